//! Navigator layers as coverage input (any format version the navigator crate reads). Each layer
//! is one rule named after it; each of its technique entries that is enabled and annotated, with
//! no score or a score above 0, is a reference with the entry's tactic and score. (A score of 0
//! usually marks "no coverage" in a coverage layer, so it does not count.)

use std::path::Path;

use crate::rule::{Format, Rule, TechniqueRef};

/// Reads the layers of one file.
pub(crate) fn read(path: &Path, text: &str) -> Result<Vec<Rule>, String> {
    let file = attackdb_navigator::read_layers(text).map_err(|e| e.to_string())?;
    let mut rules = Vec::new();
    for read in file.layers {
        if let Some(error) = read.errors().next() {
            return Err(format!("not a valid layer: {error}"));
        }
        let layer = read.layer;
        let name = if layer.name.trim().is_empty() {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            layer.name.clone()
        };
        let mut rule = Rule::new(path.to_path_buf(), Format::Layer, name);
        for entry in &layer.techniques {
            let counts = entry.enabled != Some(false)
                && entry.is_annotated()
                && entry.score.is_none_or(|s| s > 0.0);
            if counts {
                rule.techniques.push(TechniqueRef {
                    id: entry.technique_id.clone(),
                    tactics: entry.tactic.iter().cloned().collect(),
                    score: entry.score,
                });
            }
        }
        rules.push(rule);
    }
    Ok(rules)
}
