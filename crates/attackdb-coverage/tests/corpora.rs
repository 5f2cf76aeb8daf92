//! The real Sigma and Splunk corpora, read in place: every number the analysis gives is checked
//! against the same number computed here from a plain YAML walk (a `serde_json::Value` per file)
//! and direct knowledge-base lookups, not through the crate's readers or mapping.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use attackdb_coverage::{analyze, ingest, Level, Options, RuleFilter};
use attackdb_kb::{Dataset, ObjectType};
use serde_json::Value;

fn yaml_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, found);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            found.push(path);
        }
    }
}

/// Each rule file as a plain value.
fn rule_values(dir: &Path) -> Vec<Value> {
    let mut files = Vec::new();
    yaml_files(dir, &mut files);
    files
        .iter()
        .map(|file| yaml_serde::from_str(&std::fs::read_to_string(file).unwrap()).unwrap())
        .collect()
}

/// Each rule file's technique IDs, upper case, as the file lists them (a plain walk).
fn technique_ids(dir: &Path, ids_of: impl Fn(&Value) -> Vec<String>) -> Vec<Vec<String>> {
    rule_values(dir).iter().map(ids_of).collect()
}

fn sigma_ids(rule: &Value) -> Vec<String> {
    let Some(tags) = rule.get("tags").and_then(Value::as_array) else {
        return Vec::new();
    };
    tags.iter()
        .filter_map(Value::as_str)
        .filter_map(|tag| {
            let rest = tag.trim().to_ascii_lowercase();
            let rest = rest.strip_prefix("attack.t")?;
            rest.chars()
                .next()
                .filter(char::is_ascii_digit)
                .map(|_| format!("T{}", rest.to_ascii_uppercase()))
        })
        .collect()
}

fn splunk_ids(rule: &Value) -> Vec<String> {
    rule.get("tags")
        .and_then(|t| t.get("mitre_attack_id"))
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_str)
                .map(|id| id.trim().to_ascii_uppercase())
                .collect()
        })
        .unwrap_or_default()
}

/// What the knowledge base says of each ID: known and live or deprecated (itself), revoked (its
/// replacement), or unknown.
#[derive(Debug, Default)]
struct Expected {
    rules: usize,
    without_techniques: usize,
    distinct: BTreeSet<String>,
    unknown: BTreeSet<String>,
    revoked: BTreeMap<String, String>,
    deprecated: BTreeSet<String>,
    mapped_rules: usize,
    /// Technique ID (after revocation) -> rules naming it.
    rule_counts: BTreeMap<String, usize>,
}

fn expected(dataset: &Dataset, per_rule: &[Vec<String>]) -> Expected {
    let mut expected = Expected {
        rules: per_rule.len(),
        ..Expected::default()
    };
    for ids in per_rule {
        if ids.is_empty() {
            expected.without_techniques += 1;
        }
        let mut targets = BTreeSet::new();
        for id in ids {
            expected.distinct.insert(id.clone());
            let found = dataset
                .by_attack_id(id)
                .iter()
                .copied()
                .filter(|&o| dataset.object(o).kind == ObjectType::AttackPattern)
                .min_by_key(|&o| (dataset.object(o).revoked, dataset.object(o).deprecated));
            let Some(object) = found else {
                expected.unknown.insert(id.clone());
                continue;
            };
            let target = if dataset.object(object).revoked {
                let replacement = dataset.display_id(dataset.revoking_object(object).unwrap());
                expected.revoked.insert(id.clone(), replacement.to_string());
                replacement.to_string()
            } else {
                if dataset.object(object).deprecated {
                    expected.deprecated.insert(id.clone());
                }
                id.clone()
            };
            targets.insert(target);
        }
        if !targets.is_empty() {
            expected.mapped_rules += 1;
        }
        for target in targets {
            *expected.rule_counts.entry(target).or_default() += 1;
        }
    }
    expected
}

fn check(dir: &Path, per_rule: &[Vec<String>], dataset: &Dataset) -> (Expected, Value) {
    check_filtered(dir, per_rule, dataset, &RuleFilter::default())
}

fn check_filtered(
    dir: &Path,
    per_rule: &[Vec<String>],
    dataset: &Dataset,
    filter: &RuleFilter,
) -> (Expected, Value) {
    let expected = expected(dataset, per_rule);
    let mut ingested = ingest(&[dir.to_path_buf()], None).unwrap();
    ingested.retain(filter);
    let analysis = analyze(dataset, ingested, &Options::default()).unwrap();
    let json = attackdb_coverage::to_json(&analysis);
    assert_eq!(json["rules"], expected.rules);
    assert_eq!(json["rules_mapped"], expected.mapped_rules);
    assert_eq!(
        json["rules_without_techniques"],
        expected.without_techniques
    );
    assert_eq!(
        json["errors"].as_array().unwrap().len(),
        0,
        "{}",
        json["errors"]
    );
    let unknown: BTreeSet<String> = json["unknown_ids"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v["kind"] == "technique")
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(unknown, expected.unknown);
    let revoked: BTreeMap<String, String> =
        serde_json::from_value(json["revoked_ids"].clone()).unwrap();
    assert_eq!(revoked, expected.revoked);
    let deprecated: BTreeSet<String> = json["deprecated_ids"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(deprecated, expected.deprecated);
    let counts: BTreeMap<String, usize> = json["techniques"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, t)| (id.clone(), t["rules"].as_u64().unwrap() as usize))
        .collect();
    assert_eq!(counts, expected.rule_counts);
    (expected, json)
}

#[test]
fn sigma_level_and_status_filters_match_a_plain_yaml_walk() {
    let (Some(dataset), Some(dir)) = (common::enterprise(), common::corpus("sigma")) else {
        return;
    };
    let values = rule_values(&dir);
    let field = |v: &Value, name: &str| v[name].as_str().map(str::to_ascii_lowercase);
    let high = |v: &&Value| matches!(field(v, "level").as_deref(), Some("high" | "critical"));
    let per_rule: Vec<Vec<String>> = values.iter().filter(high).map(sigma_ids).collect();
    let filter = RuleFilter {
        min_level: Some(Level::High),
        statuses: Vec::new(),
    };
    let (expected, json) = check_filtered(&dir, &per_rule, dataset, &filter);
    assert_eq!(json["rules_filtered_out"], values.len() - expected.rules);
    // As of the corpus snapshot: 1,888 of the 3,748 rules are high or critical.
    assert_eq!(expected.rules, 1888);
    let stable = |v: &&Value| field(v, "status").as_deref() == Some("stable");
    let both = |v: &&Value| high(v) && stable(v);
    assert_eq!(values.iter().filter(stable).count(), 104);
    for (statuses, keep) in [
        (
            vec![" Stable".to_string()],
            &stable as &dyn Fn(&&Value) -> bool,
        ),
        (vec!["stable".to_string()], &both),
    ] {
        let per_rule: Vec<Vec<String>> = values.iter().filter(keep).map(sigma_ids).collect();
        let filter = RuleFilter {
            min_level: (statuses[0] == "stable").then_some(Level::High),
            statuses,
        };
        let (expected, json) = check_filtered(&dir, &per_rule, dataset, &filter);
        assert_eq!(json["rules_filtered_out"], values.len() - expected.rules);
    }
}

/// How many rule files of `dir` have a top-level `status: deprecated` line (a plain text scan).
fn deprecated_by_status_lines(dir: &Path) -> usize {
    let mut files = Vec::new();
    yaml_files(dir, &mut files);
    files
        .iter()
        .filter(|file| {
            std::fs::read_to_string(file).unwrap().lines().any(|line| {
                line.strip_prefix("status:")
                    .is_some_and(|v| v.trim().trim_matches(['"', '\'']) == "deprecated")
            })
        })
        .count()
}

#[test]
fn sigma_deprecated_rules_are_left_out_by_default() {
    let (Some(dataset), Some(dir)) = (common::enterprise(), common::corpus("sigma")) else {
        return;
    };
    // The corpus snapshot has no deprecated rule (SigmaHQ moves them to `deprecated/`, which
    // the snapshot does not hold): the default and `--status all` give the same coverage.
    assert_eq!(deprecated_by_status_lines(&dir), 0);
    let per_rule = technique_ids(&dir, sigma_ids);
    let all = RuleFilter {
        min_level: None,
        statuses: vec!["all".to_string()],
    };
    let (_, with_all) = check_filtered(&dir, &per_rule, dataset, &all);
    let (_, default) = check(&dir, &per_rule, dataset);
    assert_eq!(default["rules_deprecated_left_out"], 0);
    assert_eq!(default["coverage"], with_all["coverage"]);
    assert_eq!(default["coverage"]["percent"], 57.45);
}

#[test]
fn sigma_corpus_numbers_match_a_plain_yaml_walk() {
    let (Some(dataset), Some(dir)) = (common::enterprise(), common::corpus("sigma")) else {
        return;
    };
    let per_rule = technique_ids(&dir, sigma_ids);
    let (expected, json) = check(&dir, &per_rule, dataset);
    // The numbers themselves, as of the corpus snapshot (SigmaHQ 0e3b749, ATT&CK v18 IDs).
    assert_eq!(expected.rules, 3748);
    assert_eq!(expected.without_techniques, 472);
    assert_eq!(expected.distinct.len(), 397);
    assert_eq!(expected.unknown.len(), 0);
    assert_eq!(expected.revoked.len(), 0);
    assert_eq!(json["rules_mapped"], 3276);
    // Tactic tags, counted in a plain walk: all are tactics of 18.1.
    let mut files = Vec::new();
    yaml_files(&dir, &mut files);
    let mut tactic_tags = BTreeSet::new();
    for file in &files {
        let value: Value = yaml_serde::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        for tag in value["tags"].as_array().into_iter().flatten() {
            let tag = tag.as_str().unwrap().trim().to_ascii_lowercase();
            let Some(rest) = tag.strip_prefix("attack.") else {
                continue;
            };
            let numbered = rest.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            if numbered.len() >= 4 && numbered.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
                continue;
            }
            tactic_tags.insert(rest.to_string());
        }
    }
    // (This snapshot spells every tactic with hyphens; `attack.defense_evasion` is in the
    // fixtures.)
    assert_eq!(tactic_tags.len(), 14, "{tactic_tags:?}");
    let shortnames: BTreeSet<String> = dataset
        .tactics_in_order()
        .into_iter()
        .filter_map(|t| dataset.object(t).shortname.as_deref().map(str::to_string))
        .collect();
    let unknown_tactics: Vec<&String> = tactic_tags
        .iter()
        .filter(|t| !shortnames.contains(&t.replace('_', "-")))
        .collect();
    assert!(unknown_tactics.is_empty(), "{unknown_tactics:?}");
    // So nothing at all is unknown to 18.1.
    assert_eq!(
        json["unknown_ids"].as_object().unwrap().len(),
        0,
        "{}",
        json["unknown_ids"]
    );
}

#[test]
fn splunk_corpus_numbers_match_a_plain_yaml_walk() {
    let (Some(dataset), Some(dir)) = (
        common::enterprise(),
        common::corpus("splunk-security-content"),
    ) else {
        return;
    };
    let values = rule_values(&dir);
    let per_rule: Vec<Vec<String>> = values.iter().map(splunk_ids).collect();
    let all = RuleFilter {
        min_level: None,
        statuses: vec!["all".to_string()],
    };
    let (expected, json) = check_filtered(&dir, &per_rule, dataset, &all);
    assert_eq!(expected.rules, 1711);
    assert_eq!(expected.without_techniques, 59);
    assert_eq!(json["rules_filtered_out"], 0);
    // By default the deprecated detections are left out: counted here from the files' own
    // `status:` lines.
    let deprecated = deprecated_by_status_lines(&dir);
    assert_eq!(deprecated, 98);
    let live: Vec<Vec<String>> = values
        .iter()
        .filter(|v| v["status"].as_str() != Some("deprecated"))
        .map(splunk_ids)
        .collect();
    let (live_expected, live_json) = check(&dir, &live, dataset);
    assert_eq!(live_expected.rules, 1711 - deprecated);
    assert_eq!(live_json["rules_deprecated_left_out"], deprecated);
    assert_eq!(live_json["rules_filtered_out"], deprecated);
    // Leaving the deprecated detections out uncovers three sub-techniques.
    assert_eq!(json["coverage"]["percent"], 43.99);
    assert_eq!(json["coverage"]["subtechniques"]["covered"], 177);
    assert_eq!(live_json["coverage"]["percent"], 43.56);
    assert_eq!(live_json["coverage"]["subtechniques"]["covered"], 174);
    assert_eq!(
        live_json["coverage"]["techniques"],
        json["coverage"]["techniques"]
    );
    assert_eq!(
        expected.revoked,
        BTreeMap::from([("T1574.002".to_string(), "T1574.001".to_string())])
    );
    assert_eq!(expected.unknown.len(), 0);
    // Statuses as the corpus notes give them: 1,472 production, 141 experimental, 98 deprecated.
    let ingested = ingest(&[dir], None).unwrap();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for rule in &ingested.rules {
        *statuses
            .entry(rule.status.clone().unwrap_or_default())
            .or_default() += 1;
    }
    assert_eq!(
        statuses,
        BTreeMap::from([
            ("deprecated".to_string(), 98),
            ("experimental".to_string(), 141),
            ("production".to_string(), 1472),
        ])
    );
    assert!(json["warnings"][0]
        .as_str()
        .unwrap()
        .starts_with("T1574.002 is revoked"));
}
