//! Visibility on enterprise 18.1, checked against a walk of the raw STIX JSON (data component
//! names -> analytics reading them -> strategies referencing those -> `detects` targets), and the
//! DeTT&CT sample file read here line by line, not through the crate's YAML.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::PathBuf;

use attackdb_coverage::{visibility, SourceList};
use serde_json::Value;

fn live(o: &Value) -> bool {
    o["revoked"] != true && o["x_mitre_deprecated"] != true
}

fn attack_id(o: &Value) -> Option<String> {
    o["external_references"]
        .as_array()?
        .iter()
        .find(|r| r["source_name"] == "mitre-attack")?["external_id"]
        .as_str()
        .map(str::to_string)
}

/// The techniques the live data components named `names` (case-insensitive) serve on
/// enterprise 18.1, by ATT&CK ID, walking the raw bundle.
fn raw_seen(names: &[String]) -> BTreeSet<String> {
    let path = common::data_dir()
        .unwrap()
        .join("enterprise-attack/enterprise-attack-18.1.json.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let bundle: Value = serde_json::from_str(&text).unwrap();
    let objects = bundle["objects"].as_array().unwrap();
    let by_id: HashMap<&str, &Value> = objects
        .iter()
        .map(|o| (o["id"].as_str().unwrap(), o))
        .collect();
    let wanted: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    let components: BTreeSet<&str> = objects
        .iter()
        .filter(|o| o["type"] == "x-mitre-data-component" && live(o))
        .filter(|o| wanted.contains(&o["name"].as_str().unwrap().to_lowercase()))
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    let analytics: BTreeSet<&str> = objects
        .iter()
        .filter(|o| o["type"] == "x-mitre-analytic" && live(o))
        .filter(|o| {
            o["x_mitre_log_source_references"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|r| components.contains(r["x_mitre_data_component_ref"].as_str().unwrap()))
        })
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    let strategies: BTreeSet<&str> = objects
        .iter()
        .filter(|o| o["type"] == "x-mitre-detection-strategy" && live(o))
        .filter(|o| {
            o["x_mitre_analytic_refs"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|a| analytics.contains(a.as_str().unwrap()))
        })
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    objects
        .iter()
        .filter(|r| r["type"] == "relationship" && r["relationship_type"] == "detects" && live(r))
        .filter(|r| strategies.contains(r["source_ref"].as_str().unwrap()))
        .filter_map(|r| by_id.get(r["target_ref"].as_str().unwrap()))
        .filter(|t| t["type"] == "attack-pattern" && live(t))
        .filter_map(|t| attack_id(t))
        .collect()
}

fn sample(name: &str) -> Option<PathBuf> {
    Some(
        common::corpus("dettect-samples")?
            .join("sample-data")
            .join(name),
    )
}

#[test]
fn dettect_endpoint_sample_sees_175_techniques_and_360_subtechniques_on_18_1() {
    let (Some(dataset), Some(path)) = (common::enterprise(), sample("data-sources-endpoints.yaml"))
    else {
        return;
    };
    // The names, read as lines.
    let text = std::fs::read_to_string(&path).unwrap();
    let names: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- data_source_name: "))
        .map(|n| n.trim().to_string())
        .collect();
    assert_eq!(names.len(), 12);
    let mut expected = raw_seen(&names);
    assert!(expected.remove("T1557"), "the file's exception is seen");
    let list = SourceList::read(&path).unwrap();
    let answer = visibility(dataset, &list, None).unwrap();
    let ours: BTreeSet<String> = answer.techniques.iter().map(|t| t.id.clone()).collect();
    assert_eq!(ours, expected);
    let subtechniques = expected.iter().filter(|t| t.contains('.')).count();
    assert_eq!((expected.len() - subtechniques, subtechniques), (175, 360));
    let totals = answer.totals;
    assert_eq!(
        (
            totals.techniques_visible,
            totals.techniques,
            totals.subtechniques_visible,
            totals.subtechniques
        ),
        (175, 216, 360, 475)
    );
    assert_eq!(answer.exceptions, ["T1557"]);
    // Ten ATT&CK data components match ("Firewall rule modification" in another case); the
    // two DeTT&CT data sources of its own match nothing, with a note.
    assert_eq!(answer.sources.len(), 10);
    assert!(answer
        .sources
        .iter()
        .all(|s| s.matched_as == "data component"));
    let unmatched: Vec<&str> = answer.unmatched.iter().map(|u| u.input.as_str()).collect();
    assert_eq!(
        unmatched,
        [
            "Web [DeTT&CT data source]",
            "Internal DNS [DeTT&CT data source]"
        ]
    );
    assert!(answer.unmatched[0].note.contains("DeTT&CT's own"));
    // Each source's count is its own walk.
    for source in &answer.sources {
        let mut seen = raw_seen(std::slice::from_ref(&source.input));
        seen.remove("T1557");
        assert_eq!(source.techniques, seen.len(), "{}", source.input);
    }
    let process = answer
        .sources
        .iter()
        .find(|s| s.input == "Process Creation")
        .unwrap();
    assert_eq!(process.data_components[0].id, "DC0032");
    assert_eq!(process.quality, Some(1.0));
    // Per tactic, the visible counts add up to the visible techniques in each tactic.
    let tactic_total: usize = answer
        .tactics
        .iter()
        .map(|t| t.visible + t.subtechniques_visible)
        .sum();
    let by_tactic: usize = answer.techniques.iter().map(|t| t.tactics.len()).sum();
    assert_eq!(tactic_total, by_tactic);
}

#[test]
fn data_components_log_sources_and_unknown_names() {
    let Some(dataset) = common::enterprise() else {
        return;
    };
    let names = [
        "DC0035".to_string(),
        "process access".to_string(),
        "WinEventLog:Sysmon (EventCode=10)".to_string(),
        "Proces Creation".to_string(),
        "Process".to_string(),
    ];
    let answer = visibility(dataset, &SourceList::from_names(&names), None).unwrap();
    let dc0035 = raw_seen(&["Process Access".to_string()]);
    assert_eq!(dc0035.len(), 77);
    assert_eq!(answer.sources[0].techniques, 77);
    assert_eq!(answer.sources[1].techniques, 77);
    let sysmon = &answer.sources[2];
    assert_eq!(sysmon.matched_as, "log source");
    assert_eq!(sysmon.log_sources, ["WinEventLog:Sysmon (EventCode=10)"]);
    assert_eq!(sysmon.data_components[0].id, "DC0035");
    // The analytics reading Sysmon event 10 see a part of what DC0035 sees.
    assert!(sysmon.techniques > 0 && sysmon.techniques <= 77);
    let ours: BTreeSet<String> = answer.techniques.iter().map(|t| t.id.clone()).collect();
    assert_eq!(ours, dc0035);
    let notes: Vec<(&str, &str)> = answer
        .unmatched
        .iter()
        .map(|u| (u.input.as_str(), u.note.as_str()))
        .collect();
    assert_eq!(notes.len(), 2);
    assert!(
        notes[0].1.contains("did you mean Process Creation"),
        "{notes:?}"
    );
    assert!(
        notes[1].1.contains("DS0009") && notes[1].1.contains("deprecated"),
        "{notes:?}"
    );
}

#[test]
fn a_file_that_is_not_a_data_source_administration_is_refused() {
    let Some(path) = sample("groups.yaml") else {
        return;
    };
    let error = SourceList::read(&path).unwrap_err().to_string();
    assert!(error.contains("group-administration"), "{error}");
}
