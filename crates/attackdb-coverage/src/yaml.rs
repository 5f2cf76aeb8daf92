//! The one place YAML is parsed (through `yaml_serde`), so that the YAML crate can be swapped.

use serde::de::DeserializeOwned;

/// Parses every document of `text` as a `T` (an empty file is one null document). The error is one line
/// with the line and column where the YAML went wrong, when known.
pub(crate) fn documents<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, String> {
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
    let message = error.to_string();
    match error.location() {
        Some(location) if !message.contains("line ") => format!(
            "{message} at line {}, column {}",
            location.line(),
            location.column()
        ),
        _ => message,
    }
}

#[cfg(test)]
mod tests {
    use super::documents;

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
