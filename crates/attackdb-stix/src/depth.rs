//! JSON nesting depth: one bound for every JSON document attackdb reads (bundles, layers, the
//! release index, request bodies).
//!
//! serde_json refuses values nested deeper than 127 arrays and objects (its recursion limit,
//! which keeps its parser within a thread's stack), counted from the value it parses. The
//! bound set is checked on the whole document first, by a linear scan that counts brackets
//! outside strings, so a deep document is refused before any of it is parsed. Either way the
//! error is the same: [`TooDeep`], with its position.

use std::fmt;

/// The deepest JSON nesting any document may have: serde_json's own recursion limit.
pub const JSON_DEPTH_CEILING: usize = 127;

/// Where a JSON document first nests deeper than its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    /// The limit it went past.
    pub limit: usize,
    /// 1-based line of the bracket that went past it.
    pub line: usize,
    /// 1-based column (in bytes, as serde_json counts) of that bracket.
    pub column: usize,
}

impl fmt::Display for TooDeep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "JSON nested deeper than {} levels at line {}, column {} (ATTACKDB_MAX_JSON_DEPTH sets the limit, 1 to {JSON_DEPTH_CEILING})",
            self.limit, self.line, self.column
        )
    }
}

impl std::error::Error for TooDeep {}

/// Checks that `text` nests arrays and objects at most `limit` deep (a limit above
/// [`JSON_DEPTH_CEILING`] counts as the ceiling), by a scan of its bytes (about 15 ms for the
/// 41 MB Enterprise bundle). Text that is not JSON is not judged here: the parser reports it.
pub fn check_json_depth(text: &str, limit: usize) -> Result<(), TooDeep> {
    let limit = limit.min(JSON_DEPTH_CEILING);
    match deeper_than(text.as_bytes(), limit) {
        None => Ok(()),
        Some(at) => {
            let (line, column) = crate::bundle::line_column(text, at);
            Err(TooDeep {
                limit,
                line,
                column,
            })
        }
    }
}

/// The [`TooDeep`] of a serde_json error that is its recursion limit, with the error's position
/// (that of the bracket one level too deep).
pub fn too_deep_in_parse(error: &serde_json::Error) -> Option<TooDeep> {
    error
        .to_string()
        .starts_with("recursion limit exceeded")
        .then(|| TooDeep {
            limit: JSON_DEPTH_CEILING,
            line: error.line(),
            column: error.column(),
        })
}

/// Why JSON text could not be read as wanted ([`from_str_within`]).
#[derive(Debug)]
pub enum JsonError {
    /// It nests deeper than the limit (or serde_json's own bound).
    TooDeep(TooDeep),
    /// It is not JSON, or not of the shape wanted: serde_json's error.
    Json(serde_json::Error),
}

/// Parses `text` as a `T` when it nests at most `limit` deep: [`check_json_depth`] first, then
/// serde_json, whose own bound reads as [`JsonError::TooDeep`] too. The one way JSON from
/// outside (layers, the release index, request bodies) is parsed.
pub fn from_str_within<'a, T: serde::Deserialize<'a>>(
    text: &'a str,
    limit: usize,
) -> Result<T, JsonError> {
    check_json_depth(text, limit).map_err(JsonError::TooDeep)?;
    serde_json::from_str(text).map_err(|e| match too_deep_in_parse(&e) {
        Some(depth) => JsonError::TooDeep(depth),
        None => JsonError::Json(e),
    })
}

/// The byte offset of the first `[` or `{` (outside strings) that opens a level deeper than
/// `limit`, if one does.
fn deeper_than(bytes: &[u8], limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                // Skip the string: to its closing quote, stepping over escapes.
                i += 1;
                loop {
                    let k = memchr::memchr2(b'"', b'\\', bytes.get(i..)?)?;
                    i += k;
                    if bytes.get(i) == Some(&b'\\') {
                        i += 2;
                    } else {
                        break;
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn depth_is_counted_outside_strings_only() {
        assert_eq!(check_json_depth(&nested(5), 5), Ok(()));
        assert_eq!(
            check_json_depth(&nested(6), 5),
            Err(TooDeep {
                limit: 5,
                line: 1,
                column: 6
            })
        );
        // Brackets in strings, escaped quotes and backslashes do not count.
        let text = r#"{"a": "[[[[{{{{\"[[[[\\", "b": [{"c": "]]]]"}]}"#;
        assert_eq!(check_json_depth(text, 3), Ok(()));
        assert!(check_json_depth(text, 2).is_err());
        // Siblings do not add up; the position is the bracket one level too deep, in characters.
        let text = "{\"é\": [[1], [2]],\n  \"b\": [[[3]]]}";
        assert_eq!(
            check_json_depth(text, 3),
            Err(TooDeep {
                limit: 3,
                line: 2,
                column: 10
            })
        );
        assert_eq!(check_json_depth(text, 4), Ok(()));
        // An unterminated string or stray closers are the parser's to report.
        assert_eq!(check_json_depth("[\"[[[[[", 1), Ok(()));
        assert_eq!(check_json_depth("]]]][[", 2), Ok(()));
    }

    #[test]
    fn the_ceiling_is_serde_jsons_own_and_its_error_reads_the_same() {
        // The scan and the parser agree: 127 levels pass, the 128th bracket is refused.
        assert_eq!(
            check_json_depth(&nested(JSON_DEPTH_CEILING), usize::MAX),
            Ok(())
        );
        assert_eq!(
            check_json_depth(&nested(10_000), usize::MAX),
            Err(TooDeep {
                limit: JSON_DEPTH_CEILING,
                line: 1,
                column: JSON_DEPTH_CEILING + 1
            })
        );
        let error = serde_json::from_str::<serde_json::Value>(&nested(JSON_DEPTH_CEILING + 1))
            .err()
            .and_then(|e| too_deep_in_parse(&e));
        assert_eq!(
            error,
            Some(TooDeep {
                limit: JSON_DEPTH_CEILING,
                line: 1,
                column: JSON_DEPTH_CEILING + 1
            })
        );
        assert!(serde_json::from_str::<serde_json::Value>(&nested(JSON_DEPTH_CEILING)).is_ok());
        let other = serde_json::from_str::<serde_json::Value>("[1,").err();
        assert_eq!(other.and_then(|e| too_deep_in_parse(&e)), None);
        assert_eq!(
            TooDeep { limit: 4, line: 2, column: 7 }.to_string(),
            "JSON nested deeper than 4 levels at line 2, column 7 (ATTACKDB_MAX_JSON_DEPTH sets the limit, 1 to 127)"
        );
    }
}
