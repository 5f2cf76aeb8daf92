//! Sigma and Splunk security_content rules, both YAML: one parse per file, then the document's
//! shape tells which it is (Splunk's `tags` is a map with `mitre_attack_id`, Sigma's a list).

use std::path::Path;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;

use super::{scalar, scalar_list};
use crate::rule::{Format, Level, Rule, TechniqueRef};

/// The fields either format has that coverage needs; everything else is skipped unread.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Document {
    title: Option<Value>,
    name: Option<Value>,
    id: Option<Value>,
    status: Option<Value>,
    level: Option<Value>,
    #[serde(rename = "type")]
    kind: Option<Value>,
    logsource: Option<Value>,
    detection: Option<IgnoredAny>,
    search: Option<IgnoredAny>,
    tags: Option<Value>,
}

/// Reads the rules of a YAML file, as `forced` if given, else Sigma or Splunk by shape.
pub(crate) fn read(path: &Path, text: &str, forced: Option<Format>) -> Result<Vec<Rule>, String> {
    let documents: Vec<Option<Document>> = crate::yaml::documents(text)?;
    let documents: Vec<Document> = documents.into_iter().flatten().collect();
    if documents.is_empty() {
        return Err("empty YAML file: no rule".to_string());
    }
    let mut rules = Vec::with_capacity(documents.len());
    for (index, document) in documents.into_iter().enumerate() {
        let format = match forced {
            Some(format) => format,
            None => detect(&document).ok_or_else(|| {
                let which = if index == 0 {
                    String::new()
                } else {
                    format!("document {}: ", index + 1)
                };
                format!(
                    "{which}not a Sigma or Splunk rule (no detection, logsource, search or tags)"
                )
            })?,
        };
        rules.push(match format {
            Format::Splunk => splunk(path, document),
            _ => sigma(path, document),
        });
    }
    Ok(rules)
}

fn detect(document: &Document) -> Option<Format> {
    let splunk_tags = matches!(&document.tags, Some(Value::Object(_)));
    if splunk_tags || document.search.is_some() {
        return Some(Format::Splunk);
    }
    let sigma_tags = matches!(&document.tags, Some(Value::Array(_)));
    if sigma_tags || document.detection.is_some() || document.logsource.is_some() {
        return Some(Format::Sigma);
    }
    None
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn sigma(path: &Path, document: Document) -> Rule {
    let name = scalar(document.title.as_ref()).unwrap_or_else(|| file_stem(path));
    let mut rule = Rule::new(path.to_path_buf(), Format::Sigma, name);
    rule.id = scalar(document.id.as_ref());
    rule.status = scalar(document.status.as_ref());
    rule.level = scalar(document.level.as_ref()).and_then(|l| Level::parse(&l));
    if let Some(Value::Object(logsource)) = &document.logsource {
        let parts: Vec<String> = ["product", "category", "service"]
            .iter()
            .filter_map(|key| scalar(logsource.get(*key)))
            .collect();
        rule.logsource = Some(parts.join("/")).filter(|s| !s.is_empty());
    }
    for tag in scalar_list(document.tags.as_ref()) {
        let lower = tag.to_ascii_lowercase();
        let Some(rest) = lower.strip_prefix("attack.") else {
            continue;
        };
        match tag_kind(rest) {
            TagKind::Technique => rule.techniques.push(TechniqueRef {
                id: tag,
                ..TechniqueRef::default()
            }),
            TagKind::Object => rule.objects.push(tag),
            TagKind::Tactic => rule.tactics.push(tag),
        }
    }
    rule
}

fn splunk(path: &Path, document: Document) -> Rule {
    let name = scalar(document.name.as_ref())
        .or_else(|| scalar(document.title.as_ref()))
        .unwrap_or_else(|| file_stem(path));
    let mut rule = Rule::new(path.to_path_buf(), Format::Splunk, name);
    rule.id = scalar(document.id.as_ref());
    rule.status = scalar(document.status.as_ref());
    rule.kind = scalar(document.kind.as_ref());
    rule.level = scalar(document.level.as_ref()).and_then(|l| Level::parse(&l));
    if let Some(Value::Object(tags)) = &document.tags {
        for id in scalar_list(tags.get("mitre_attack_id")) {
            rule.techniques.push(TechniqueRef {
                id,
                ..TechniqueRef::default()
            });
        }
    }
    rule
}

/// What a Sigma `attack.` tag names, from the text after `attack.` (lower case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagKind {
    /// `t1059`, `t1059.001`.
    Technique,
    /// `g0016`, `s0154`, `c0024`, `ds0005`...: a group, software, campaign or other object.
    Object,
    /// Anything else: a tactic (`execution`, `defense-evasion`, `defense_evasion`, `ta0002`).
    Tactic,
}

/// Classifies the text after `attack.` in a Sigma tag.
pub(crate) fn tag_kind(rest: &str) -> TagKind {
    let letters: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let digits = &rest[letters.len()..];
    let numbered = digits.len() >= 4 && digits.as_bytes()[..4].iter().all(u8::is_ascii_digit);
    match letters.as_str() {
        "t" if numbered => TagKind::Technique,
        "ta" if numbered => TagKind::Tactic,
        _ if numbered && !letters.is_empty() => TagKind::Object,
        _ => TagKind::Tactic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_classified() {
        assert_eq!(tag_kind("t1059.001"), TagKind::Technique);
        assert_eq!(tag_kind("t1059"), TagKind::Technique);
        assert_eq!(tag_kind("g0016"), TagKind::Object);
        assert_eq!(tag_kind("s0154"), TagKind::Object);
        assert_eq!(tag_kind("ds0005"), TagKind::Object);
        assert_eq!(tag_kind("ta0005"), TagKind::Tactic);
        assert_eq!(tag_kind("defense_evasion"), TagKind::Tactic);
        assert_eq!(tag_kind("t1"), TagKind::Tactic);
    }

    #[test]
    fn sigma_and_splunk_are_told_apart() {
        let sigma = "title: x\ntags:\n  - attack.t1003.001\n  - attack.credential_access\n  - attack.g0016\n  - car.2013-07-001\nlevel: High\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  sel: {a: 1}\n  condition: sel\n";
        let rules = read(Path::new("r.yml"), sigma, None).unwrap_or_default();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].format, Format::Sigma);
        assert_eq!(rules[0].techniques[0].id, "attack.t1003.001");
        assert_eq!(rules[0].tactics, ["attack.credential_access"]);
        assert_eq!(rules[0].objects, ["attack.g0016"]);
        assert_eq!(rules[0].level, Some(Level::High));
        assert_eq!(
            rules[0].logsource.as_deref(),
            Some("windows/process_creation")
        );
        let splunk = "name: y\nstatus: production\ntype: TTP\nsearch: '| x'\ntags:\n  mitre_attack_id:\n  - T1003.001\n  - T1003\n";
        let rules = read(Path::new("s.yml"), splunk, None).unwrap_or_default();
        assert_eq!(rules[0].format, Format::Splunk);
        assert_eq!(rules[0].techniques.len(), 2);
        assert_eq!(rules[0].kind.as_deref(), Some("TTP"));
        assert!(read(Path::new("c.yml"), "a: 1\n", None).is_err());
        assert!(read(Path::new("e.yml"), "", None).is_err());
        assert!(read(Path::new("b.yml"), "title: [\n", None).is_err());
    }
}
