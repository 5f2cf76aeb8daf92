//! Elastic detection-rules TOML: `[rule]` with `name`, `rule_id`, `severity`, `type`, and
//! `[[rule.threat]]` entries (`framework = "MITRE ATT&CK"`, `tactic`, `technique`, each technique
//! with optional `subtechnique` entries); `[metadata] maturity` is the status.
//!
//! A technique entry with sub-techniques is Elastic's way of naming the sub-techniques (the parent
//! entry is required by the format), so only the sub-techniques are read from it; a technique
//! entry without sub-techniques names the technique itself.

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
    let file: File = toml::from_str(text).map_err(|e| {
        e.to_string()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join(": ")
    })?;
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
            let ids: Vec<String> = if technique.subtechnique.is_empty() {
                technique.id.into_iter().collect()
            } else {
                technique
                    .subtechnique
                    .into_iter()
                    .filter_map(|s| s.id)
                    .collect()
            };
            for id in ids {
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
