//! The one place YAML is parsed (through `yaml_serde`), so that the YAML crate can be swapped.

use serde::de::DeserializeOwned;

/// Parses every document of `text` as a `T` (an empty file is one null document). The error is one line
/// with the line and column where the YAML went wrong, when known. Text whose flow collections
/// nest deeper than [`crate::Limits::max_yaml_depth`] is refused before the YAML parser sees it (its cost
/// grows with the square of the depth: 80,000 levels took 13 s).
pub(crate) fn documents<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, String> {
    let limit = crate::limits::limits().max_yaml_depth;
    if let Some(line) = deeper_than(text, limit) {
        return Err(format!(
            "YAML nested deeper than {limit} levels at line {line} (ATTACKDB_MAX_YAML_DEPTH raises the limit)"
        ));
    }
    let mut found = Vec::new();
    for document in yaml_serde::Deserializer::from_str(text) {
        match T::deserialize(document) {
            Ok(value) => found.push(value),
            Err(error) => return Err(describe(&error)),
        }
    }
    Ok(found)
}

fn describe(error: &yaml_serde::Error) -> String {
    let message = attackdb_kb::stix::clip_quoted(&error.to_string());
    match error.location() {
        Some(location) if !message.contains("line ") => format!(
            "{message} at line {}, column {}",
            location.line(),
            location.column()
        ),
        _ => message,
    }
}

/// The line where `[`/`{` flow collections in `text` first nest deeper than `limit`, if they
/// do. A light scan, not a YAML parser: outside collections an opening bracket counts only
/// where a value starts (after `key: `, `- `, `? ` or at the start of a line), quoted strings,
/// comments and block scalars (`|`, `>`) are skipped, and document markers start again from
/// zero. It can only over-count for brackets a plain scalar leaves open at the start of a line.
fn deeper_than(text: &str, limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut block_indent: Option<usize> = None;
    for (number, line) in text.lines().enumerate() {
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        if let Some(block) = block_indent {
            if indent > block || line.trim().is_empty() {
                continue;
            }
            block_indent = None;
        }
        if depth == 0 && quote.is_none() && (line.starts_with("---") || line.starts_with("...")) {
            continue;
        }
        // Where a value may start: the line's start (after the indentation) at depth 0.
        let mut value_start = depth == 0 && quote.is_none();
        let mut previous = b' ';
        let mut i = indent.min(bytes.len());
        if quote.is_some() || depth > 0 {
            i = 0;
        }
        while i < bytes.len() {
            let b = bytes[i];
            if let Some(q) = quote {
                if q == b'"' && b == b'\\' {
                    i += 2;
                    continue;
                }
                if b == q {
                    if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    quote = None;
                }
                previous = b;
                i += 1;
                continue;
            }
            if b == b'#' && (previous == b' ' || previous == b'\t' || i == 0) {
                break;
            }
            let token_start =
                depth > 0 && matches!(previous, b' ' | b'\t' | b'[' | b'{' | b',' | b':');
            match b {
                b'[' | b'{' if depth > 0 || value_start => {
                    depth += 1;
                    if depth > limit {
                        return Some(number + 1);
                    }
                }
                b']' | b'}' if depth > 0 => depth -= 1,
                b'"' | b'\'' if value_start || token_start => quote = Some(b),
                b'|' | b'>' if depth == 0 && value_start => {
                    block_indent = Some(indent);
                    break;
                }
                b' ' | b'\t' => {
                    previous = b;
                    i += 1;
                    continue;
                }
                b'-' | b'?' | b':'
                    if depth == 0 && matches!(bytes.get(i + 1), Some(b' ') | None) =>
                {
                    value_start = true;
                    previous = b;
                    i += 1;
                    continue;
                }
                _ => {}
            }
            value_start = false;
            previous = b;
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{deeper_than, documents};

    #[test]
    fn nesting_is_measured_where_yaml_nests() {
        assert_eq!(deeper_than("a: [[[1]]]\n", 2), Some(1));
        assert_eq!(deeper_than("a: [[[1]]]\n", 3), None);
        // Brackets inside strings, comments, block scalars and plain scalars do not count.
        let text =
            "a: '[[[['\nb: \"{{{{\"\nc: x [[[[ y\n# [[[[\nd: |\n  [[[[\n  {{{{\ne: [1, [2]]\n";
        assert_eq!(deeper_than(text, 2), None);
        // A flow collection spans lines.
        assert_eq!(deeper_than("a: [\n  [\n    [1]]]\n", 2), Some(3));
        assert_eq!(deeper_than("- {a: [1, {b: [2]}]}\n", 3), Some(1));
        assert_eq!(deeper_than("- {a: [1, {b: [2]}]}\n", 4), None);
    }

    #[test]
    fn finding_6_deep_flow_nesting_is_refused_unread() {
        let deep = format!(
            "title: x\ndetection:\n  sel: {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let error = documents::<serde_json::Value>(&deep)
            .err()
            .unwrap_or_default();
        assert_eq!(
            error,
            "YAML nested deeper than 256 levels at line 3 (ATTACKDB_MAX_YAML_DEPTH raises the limit)"
        );
        let shallow = format!("sel: {}{}\n", "[".repeat(100), "]".repeat(100));
        assert!(documents::<serde_json::Value>(&shallow).is_ok());
    }

    #[test]
    fn several_documents_and_errors_with_positions() {
        let docs: Vec<serde_json::Value> = documents("a: 1\n---\na: 2\n").unwrap_or_default();
        assert_eq!(docs.len(), 2);
        // An empty file is one null document.
        let empty: Vec<Option<serde_json::Value>> = documents("").unwrap_or_default();
        assert!(empty.iter().all(Option::is_none));
        let error = documents::<serde_json::Value>("a: [1,\n")
            .err()
            .unwrap_or_default();
        assert!(error.contains("line"), "{error}");
    }
}
