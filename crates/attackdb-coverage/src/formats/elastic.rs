//! Elastic detection-rules TOML: `[rule]` with `name`, `rule_id`, `severity`, `type`, and
//! `[[rule.threat]]` entries (`framework = "MITRE ATT&CK"`, `tactic`, `technique`, each technique
//! with optional `subtechnique` entries); `[metadata] maturity` is the status.
//!
//! A technique entry names its technique, and each of its sub-technique entries names that
//! sub-technique too: the rule counts for the parent and for every sub-technique listed under it,
//! as Elastic's own Navigator export of its rules counts it.

use std::path::Path;

use serde::Deserialize;

use crate::rule::{Format, Level, Rule, TechniqueRef};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct File {
    metadata: Option<Metadata>,
    rule: Option<ElasticRule>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Metadata {
    maturity: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ElasticRule {
    name: Option<String>,
    rule_id: Option<String>,
    severity: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    threat: Vec<Threat>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Threat {
    framework: Option<String>,
    tactic: Option<Entry>,
    technique: Vec<Technique>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Technique {
    id: Option<String>,
    subtechnique: Vec<Entry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Entry {
    id: Option<String>,
    name: Option<String>,
}

/// Reads one Elastic rule file.
pub(crate) fn read(path: &Path, text: &str) -> Result<Vec<Rule>, String> {
    let file: File = toml::from_str(text).map_err(|e| describe(text, &e))?;
    let Some(elastic) = file.rule else {
        return Err("not an Elastic rule: no [rule] table".to_string());
    };
    let name = elastic.name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let mut rule = Rule::new(path.to_path_buf(), Format::Elastic, name);
    rule.id = elastic.rule_id;
    rule.status = file.metadata.and_then(|m| m.maturity);
    rule.level = elastic.severity.as_deref().and_then(Level::parse);
    rule.kind = elastic.kind;
    for threat in elastic.threat {
        let framework = threat.framework.as_deref().unwrap_or("MITRE ATT&CK");
        if !framework.trim().eq_ignore_ascii_case("MITRE ATT&CK") {
            continue;
        }
        let tactics: Vec<String> = threat
            .tactic
            .iter()
            .filter_map(|t| t.id.clone().or_else(|| t.name.clone()))
            .collect();
        if threat.technique.is_empty() {
            rule.tactics.extend(tactics.iter().cloned());
        }
        for technique in threat.technique {
            let subtechniques = technique.subtechnique.into_iter().filter_map(|s| s.id);
            for id in technique.id.into_iter().chain(subtechniques) {
                rule.techniques.push(TechniqueRef {
                    id,
                    tactics: tactics.clone(),
                    score: None,
                });
            }
        }
    }
    Ok(vec![rule])
}

/// One line for a TOML error: where and what, without the parser's quote of the line (which
/// can be the whole file).
fn describe(text: &str, error: &toml::de::Error) -> String {
    let message = attackdb_kb::stix::clip_quoted(error.message().trim());
    match error.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = before.get(start..).map_or(0, |s| s.chars().count()) + 1;
            format!("TOML parse error at line {line}, column {column}: {message}")
        }
        None => format!("TOML parse error: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_toml_error_is_one_short_line_with_its_place() {
        let deep = format!(
            "[rule]\nname = \"x\"\nthreat = {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let error = read(Path::new("r.toml"), &deep).unwrap_err();
        assert!(
            error.len() < 200,
            "{} bytes: {}",
            error.len(),
            &error[..200.min(error.len())]
        );
        assert!(
            error.starts_with("TOML parse error at line 3, column "),
            "{error}"
        );
        let error = read(Path::new("r.toml"), "[rule]\nname = \"é\" x\n").unwrap_err();
        assert!(
            error.starts_with("TOML parse error at line 2, column 12: "),
            "{error}"
        );
        assert!(!error.contains('\n'), "{error}");
        // A value of the wrong type is quoted short.
        let long = format!("[rule]\nthreat = \"{}\"\n", "A".repeat(1 << 20));
        let error = read(Path::new("r.toml"), &long).unwrap_err();
        assert!(error.len() < 200, "{} bytes", error.len());
        assert!(
            error.contains(&format!("\"{}…\"", "A".repeat(40))),
            "{error}"
        );
    }

    fn ids(text: &str) -> Vec<(String, Vec<String>)> {
        let rules = read(Path::new("r.toml"), text).unwrap_or_default();
        rules
            .iter()
            .flat_map(|r| r.techniques.iter())
            .map(|t| (t.id.clone(), t.tactics.clone()))
            .collect()
    }

    #[test]
    fn a_technique_with_subtechniques_counts_for_the_parent_and_each_subtechnique() {
        let text = r#"
[rule]
name = "Parent and subs"
[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1003"
[[rule.threat.technique.subtechnique]]
id = "T1003.001"
[[rule.threat.technique.subtechnique]]
id = "T1003.002"
[[rule.threat.technique]]
id = "T1057"
[rule.threat.tactic]
id = "TA0006"
"#;
        let tactic = vec!["TA0006".to_string()];
        assert_eq!(
            ids(text),
            [
                ("T1003".to_string(), tactic.clone()),
                ("T1003.001".to_string(), tactic.clone()),
                ("T1003.002".to_string(), tactic.clone()),
                ("T1057".to_string(), tactic),
            ]
        );
    }

    #[test]
    fn a_subtechnique_without_its_parents_id_still_counts() {
        let text = "[rule]\nname = \"x\"\n[[rule.threat]]\n[[rule.threat.technique]]\nname = \"no id\"\n[[rule.threat.technique.subtechnique]]\nid = \"T1059.001\"\n";
        assert_eq!(ids(text), [("T1059.001".to_string(), Vec::new())]);
    }
}
