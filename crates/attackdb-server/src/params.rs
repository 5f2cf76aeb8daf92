//! Query parameters, read the way the CLI reads its options: named like them, each checked,
//! unknown names refused (a typo must not be silently ignored), and the one rule for choosing
//! a release: `domain` (default enterprise) and `release` (default the newest loaded).

use std::collections::BTreeMap;

use crate::error::ApiError;

/// The query parameters of one request.
pub struct Params {
    values: BTreeMap<String, Vec<String>>,
}

impl Params {
    /// Reads `pairs`, refusing a name not in `allowed`.
    pub fn new(pairs: Vec<(String, String)>, allowed: &[&str]) -> Result<Params, ApiError> {
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in pairs {
            if !allowed.contains(&name.as_str()) {
                return Err(ApiError::bad_parameter(format!(
                    "unknown parameter `{name}`: this route takes {}",
                    if allowed.is_empty() {
                        "none".to_string()
                    } else {
                        allowed.join(", ")
                    }
                )));
            }
            values.entry(name).or_default().push(value);
        }
        Ok(Params { values })
    }

    /// Reads `pairs` whatever their names (the REST router checked them against its table).
    pub fn any(pairs: Vec<(String, String)>) -> Result<Params, ApiError> {
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in pairs {
            values.entry(name).or_default().push(value);
        }
        Ok(Params { values })
    }

    /// The value of `name`, if given (the last one when repeated).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    /// Every value of `name`, split at commas.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.values
            .get(name)
            .into_iter()
            .flatten()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// A flag: `true`/`false`/`1`/`0`/`yes`/`no`, or present without a value (true).
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.get(name).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(false),
            Some("" | "true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(other) => Err(ApiError::bad_parameter(format!(
                "`{name}={other}`: expected true or false"
            ))),
        }
    }

    /// A count, with a default.
    pub fn count(&self, name: &str, default: usize) -> Result<usize, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(text) => text.trim().parse().map_err(|_| {
                ApiError::bad_parameter(format!("`{name}={text}`: expected a whole number"))
            }),
        }
    }
}

/// `text` encoded for a query string value that [`percent_decode`] reads back: unreserved
/// characters and `/` kept, every other byte `%XX`.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `text` of a query string decoded: `+` is a space, `%XX` a byte; `None` for a malformed
/// escape or bytes that are not UTF-8. The one decoder of REST and TAXII parameters.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}
