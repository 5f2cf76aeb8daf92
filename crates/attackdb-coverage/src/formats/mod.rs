//! The rule formats: each turns one file's text into rules, or a one-line reason why it cannot.

pub(crate) mod csv_inventory;
pub(crate) mod elastic;
pub(crate) mod layer;
pub(crate) mod yaml_rules;

use serde_json::Value;

/// A YAML/JSON scalar as text: strings as they are, numbers and booleans printed; `None` for
/// null, lists and maps.
pub(crate) fn scalar(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A list of scalars (a single scalar is a list of one); other items are skipped.
pub(crate) fn scalar_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(|v| scalar(Some(v))).collect(),
        Some(other) => scalar(Some(other)).into_iter().collect(),
        None => Vec::new(),
    }
}
