//! Hand-made Elastic TOML, CSV and layer fixtures: every rule, mapping, warning and score.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use attackdb_coverage::{analyze, ingest, Format, Level, Options, ScoreMode, Status};
use serde_json::{json, Value};

fn rules_per_technique(json: &Value) -> BTreeMap<String, u64> {
    json["techniques"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, t)| (id.clone(), t["rules"].as_u64().unwrap()))
        .collect()
}

fn map(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn elastic_rules_are_read_in_the_formats_shape() {
    let ingested = ingest(&[common::fixture("elastic")], None).unwrap();
    assert_eq!(ingested.files, 4);
    assert_eq!(ingested.rules.len(), 3);
    assert_eq!(ingested.errors.len(), 1);
    assert!(ingested.errors[0].file.ends_with("broken_fixture.toml"));
    assert!(
        ingested.errors[0].reason.contains("line 2"),
        "{:?}",
        ingested.errors
    );
    let lsass = &ingested.rules[0];
    assert_eq!(lsass.format, Format::Elastic);
    assert_eq!(lsass.name, "Fixture LSASS Dump");
    assert_eq!(
        lsass.id.as_deref(),
        Some("11111111-1111-4111-8111-111111111111")
    );
    assert_eq!(lsass.status.as_deref(), Some("production"));
    assert_eq!(lsass.level, Some(Level::High));
    let ids: Vec<(&str, &[String])> = lsass
        .techniques
        .iter()
        .map(|t| (t.id.as_str(), t.tactics.as_slice()))
        .collect();
    // A technique with sub-techniques names itself and each sub-technique (as Elastic's own
    // Navigator export counts them); each under its threat's tactic.
    assert_eq!(
        ids,
        [
            ("T1003", &["TA0006".to_string()][..]),
            ("T1003.001", &["TA0006".to_string()][..]),
            ("T1218", &["TA0005".to_string()][..]),
            ("T1218.011", &["TA0005".to_string()][..]),
        ]
    );
}

#[test]
fn elastic_rules_map_with_revocations_unknown_ids_and_tactics() {
    let Some(dataset) = common::enterprise() else {
        return;
    };
    let ingested = ingest(&[common::fixture("elastic")], None).unwrap();
    let options = Options {
        score: ScoreMode::Weighted,
        ..Options::default()
    };
    let analysis = analyze(dataset, ingested, &options).unwrap();
    let json = attackdb_coverage::to_json(&analysis);
    assert_eq!(json["rules"], 3);
    assert_eq!(json["rules_mapped"], 3);
    assert_eq!(
        rules_per_technique(&json),
        map(&[
            ("T1003", 2),
            ("T1003.001", 2),
            ("T1057", 1),
            ("T1059.001", 1),
            ("T1078", 1),
            ("T1218", 1),
            ("T1218.011", 1)
        ])
    );
    assert_eq!(json["revoked_ids"], json!({"T1086": "T1059.001"}));
    assert_eq!(
        json["unknown_ids"],
        json!({"T1685": {"kind": "technique", "rules": 1}})
    );
    // Weighted: high (4) + low (2).
    assert_eq!(json["techniques"]["T1003.001"]["score"], 6.0);
    assert_eq!(
        json["techniques"]["T1003.001"]["levels"],
        json!({"high": 1, "low": 1})
    );
    assert_eq!(
        json["techniques"]["T1003.001"]["statuses"],
        json!({"production": 2})
    );
    // Each technique lists its rules: name, file, level, status.
    let listed: Vec<(String, String, String, String)> = json["techniques"]["T1003.001"]
        ["rule_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let file = r["file"].as_str().unwrap();
            let name = std::path::Path::new(file).file_name().unwrap();
            (
                r["name"].as_str().unwrap().to_string(),
                name.to_string_lossy().into_owned(),
                r["level"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let row = |n: &str, f: &str, l: &str, s: &str| {
        (n.to_string(), f.to_string(), l.to_string(), s.to_string())
    };
    assert_eq!(
        listed,
        [
            row(
                "Fixture LSASS Dump",
                "credential_access_lsass_fixture.toml",
                "high",
                "production"
            ),
            row(
                "Fixture Procdump",
                "low_severity_fixture.toml",
                "low",
                "production"
            ),
        ]
    );
    assert_eq!(
        json["techniques"]["T1078"]["rule_list"][0]["status"],
        "development"
    );
    // The Persistence tactic narrows T1078 (four tactics in 18.1) to Persistence.
    assert_eq!(
        json["techniques"]["T1078"]["tactics"],
        json!(["persistence"])
    );
    // The parent listed above a sub-technique is covered itself, not only partly.
    assert_eq!(
        analysis.coverage.get("T1003").unwrap().status,
        Status::Covered
    );
    assert_eq!(
        analysis.coverage.get("T1218").unwrap().status,
        Status::Covered
    );
    assert_eq!(
        analysis
            .coverage
            .get("T1003")
            .unwrap()
            .covered_subtechniques,
        ["T1003.001"]
    );
    // Only T1059 stays partly covered (T1059.001, revoked T1086's replacement).
    assert_eq!(json["partly_covered"], json!(["T1059"]));
    assert!(json["errors"][0]["file"]
        .as_str()
        .unwrap()
        .ends_with("broken_fixture.toml"));
    assert!(
        analysis
            .mapping
            .warnings
            .iter()
            .any(|w| w
                .starts_with("T1086 is revoked in enterprise-attack 18.1: counted as T1059.001"))
    );
}

#[test]
fn csv_inventory_rows_map_with_tactics_scores_and_problems() {
    let Some(dataset) = common::enterprise() else {
        return;
    };
    let ingested = ingest(&[common::fixture("csv/inventory.csv")], None).unwrap();
    assert_eq!(ingested.rules.len(), 7);
    assert_eq!(ingested.errors.len(), 1);
    assert!(ingested.errors[0]
        .reason
        .starts_with("line 7: score `lots`"));
    let options = Options {
        score: ScoreMode::MaxLevel,
        ..Options::default()
    };
    let analysis = analyze(dataset, ingested, &options).unwrap();
    let json = attackdb_coverage::to_json(&analysis);
    assert_eq!(json["rules"], 7);
    // Typo rule and Newer release map to nothing.
    assert_eq!(json["rules_mapped"], 5);
    let t1064 = dataset.by_attack_id_typed("T1064", &[attackdb_kb::ObjectType::AttackPattern]);
    let t1064 = dataset.object(t1064.unwrap());
    let mut expected = map(&[
        ("T1003.001", 1),
        ("T1003.003", 1),
        ("T1071.001", 1),
        ("T1078", 1),
        ("T1566.001", 1),
        ("T1573", 1),
    ]);
    // T1064 (Scripting) is deprecated in 18.1: counted and flagged.
    assert!(t1064.deprecated && !t1064.revoked);
    expected.insert("T1064".to_string(), 1);
    assert_eq!(json["deprecated_ids"], json!({"T1064": 1}));
    assert_eq!(json["techniques"]["T1064"]["in_scope"], false);
    assert_eq!(rules_per_technique(&json), expected);
    assert_eq!(
        json["unknown_ids"],
        json!({"T1685": {"kind": "technique", "rules": 1}, "T1O59": {"kind": "technique", "rules": 1}})
    );
    // Explicit scores win over levels.
    assert_eq!(json["techniques"]["T1003.001"]["score"], 5.0);
    assert_eq!(
        json["techniques"]["T1078"]["tactics"],
        json!(["initial-access"])
    );
    assert_eq!(
        json["techniques"]["T1078"]["statuses"],
        json!({"testing": 1})
    );
}

#[test]
fn layers_as_input_count_enabled_annotated_positive_entries() {
    let Some(dataset) = common::enterprise() else {
        return;
    };
    let ingested = ingest(&[common::fixture("layers")], Some(Format::Layer)).unwrap();
    assert_eq!(ingested.rules.len(), 1);
    assert_eq!(ingested.rules[0].name, "Fixture coverage layer");
    let analysis = analyze(dataset, ingested, &Options::default()).unwrap();
    let json = attackdb_coverage::to_json(&analysis);
    assert_eq!(
        rules_per_technique(&json),
        map(&[("T1053.005", 1), ("T1059.001", 1), ("T1105", 1)])
    );
    assert_eq!(
        json["techniques"]["T1105"]["tactics"],
        json!(["command-and-control"])
    );
}

#[test]
fn a_forced_format_reads_only_its_files_and_a_path_without_rules_fails() {
    let error = ingest(&[common::fixture("csv")], Some(Format::Elastic)).unwrap_err();
    assert!(error.to_string().contains("no rule files found"), "{error}");
    let error = ingest(&[common::fixture("nothing-here")], None).unwrap_err();
    assert!(error.to_string().contains("nothing-here"), "{error}");
}

#[test]
fn json_has_the_documented_keys() {
    let Some(dataset) = common::enterprise() else {
        return;
    };
    let ingested = ingest(&[common::fixture("elastic"), common::fixture("csv")], None).unwrap();
    let analysis = analyze(dataset, ingested, &Options::default()).unwrap();
    let json = attackdb_coverage::to_json(&analysis);
    for key in [
        "rules",
        "rules_mapped",
        "techniques",
        "unknown_ids",
        "revoked_ids",
        "errors",
        "tactics",
        "coverage",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["rules"], 10);
    assert_eq!(json["errors"].as_array().unwrap().len(), 2);
    assert_eq!(json["tactics"].as_array().unwrap().len(), 14);
    assert_eq!(json["coverage"]["techniques"]["total"], 216);
    assert_eq!(json["coverage"]["subtechniques"]["total"], 475);
}

#[test]
fn sigma_old_spellings_newer_ids_and_non_rules() {
    let Some(dataset) = common::enterprise() else {
        return;
    };
    let ingested = ingest(&[common::fixture("sigma")], None).unwrap();
    assert_eq!(ingested.files, 3);
    assert_eq!(ingested.rules.len(), 2);
    assert_eq!(ingested.errors.len(), 1);
    assert!(ingested.errors[0]
        .reason
        .contains("not a Sigma or Splunk rule"));
    let analysis = analyze(dataset, ingested, &Options::default()).unwrap();
    let json = attackdb_coverage::to_json(&analysis);
    assert_eq!(
        rules_per_technique(&json),
        map(&[("T1059.001", 1), ("T1078", 1), ("T1218.011", 1)])
    );
    // `attack.defense_evasion` narrows T1218.011 to Defense Evasion (its only tactic anyway) and
    // T1059.001 (revoked T1086's replacement, Execution only) is counted under Execution.
    assert_eq!(
        json["techniques"]["T1218.011"]["tactics"],
        json!(["defense-evasion"])
    );
    assert_eq!(
        json["techniques"]["T1059.001"]["tactics"],
        json!(["execution"])
    );
    assert_eq!(json["revoked_ids"], json!({"T1086": "T1059.001"}));
    assert_eq!(
        json["unknown_ids"],
        json!({
            "G9999": {"kind": "object", "rules": 1},
            "T1685": {"kind": "technique", "rules": 1},
            "stealth": {"kind": "tactic", "rules": 1},
        })
    );
    // `attack.stealth` is unknown to 18.1, so it narrows nothing: T1078 keeps its four tactics.
    assert_eq!(
        json["techniques"]["T1078"]["tactics"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}
