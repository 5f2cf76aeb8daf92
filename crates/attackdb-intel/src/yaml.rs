//! The one place YAML is read and written (through `yaml_serde`), so that the YAML crate can be
//! swapped.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Parses `text` as one YAML document of type `T`. The error is one line with the line and
/// column where the YAML went wrong, when known.
pub(crate) fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    yaml_serde::from_str(text).map_err(|error| {
        let message = error.to_string();
        match error.location() {
            Some(location) if !message.contains("line ") => format!(
                "{message} at line {}, column {}",
                location.line(),
                location.column()
            ),
            _ => message,
        }
    })
}

/// `value` as YAML text.
pub(crate) fn write<T: Serialize>(value: &T) -> Result<String, String> {
    yaml_serde::to_string(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn errors_carry_positions() {
        let error = super::parse::<serde_json::Value>("a: [1,\n")
            .err()
            .unwrap_or_default();
        assert!(error.contains("line"), "{error}");
        let text = super::write(&serde_json::json!({"a": "x\ny\n"})).unwrap_or_default();
        assert!(text.contains('a'), "{text}");
    }
}
