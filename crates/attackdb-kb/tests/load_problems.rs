//! Issue 16 findings 8 and 9 on a copy of the real ICS 18.1 edited as a hostile or careless
//! bundle would be: every load problem becomes a diagnostic, and one rule (the first of a
//! repeated STIX ID is kept) holds for objects and relationships, in lists, lookups, links and
//! counts alike; a sub-technique without parent is listed, counted and in the matrix.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use attackdb_kb::{
    answer::{stats_answer, StatsEntry},
    matrix::MatrixOptions,
    Concept, Dataset, Domain, Kb, Visibility,
};
use attackdb_stix::DiagnosticKind;
use serde_json::{json, Value};

const ORPHAN: &str = "attack-pattern--00000000-0000-4000-8000-000000000001";
const CYCLE: [&str; 2] = [
    "attack-pattern--00000000-0000-4000-8000-0000000000c1",
    "attack-pattern--00000000-0000-4000-8000-0000000000c2",
];
const MISSING: &str = "attack-pattern--00000000-0000-4000-8000-0000000000ff";

/// The real ICS 18.1 objects.
fn ics_objects() -> Option<Vec<Value>> {
    let dir = attackdb_testdata::data_dir()?;
    let text = attackdb_stix::read_text(&dir.join("ics-attack/ics-attack-18.1.json.gz")).unwrap();
    let bundle: Value = serde_json::from_str(&text).unwrap();
    Some(bundle["objects"].as_array().unwrap().clone())
}

fn live_techniques(objects: &[Value]) -> Vec<Value> {
    objects
        .iter()
        .filter(|o| {
            o["type"] == "attack-pattern" && o["revoked"] != true && o["x_mitre_deprecated"] != true
        })
        .cloned()
        .collect()
}

fn with_id(object: &Value, id: &str, name: &str, attack_id: &str) -> Value {
    let mut copy = object.clone();
    copy["id"] = json!(id);
    copy["name"] = json!(name);
    copy["x_mitre_is_subtechnique"] = json!(true);
    copy["external_references"][0]["external_id"] = json!(attack_id);
    copy
}

/// Writes the edited bundle into `dir`; returns it with the first technique, the relationship
/// repeated and the technique the repeat points at.
fn hostile_copy(dir: &Path) -> Option<(PathBuf, Value, Value, Value)> {
    let mut objects = ics_objects()?;
    let techniques = live_techniques(&objects);
    let first = techniques[0].clone();
    let mut repeat = first.clone();
    repeat["name"] = json!("A LATER COPY");
    objects.push(repeat);
    let uses = objects
        .iter()
        .find(|o| o["type"] == "relationship" && o["relationship_type"] == "uses")
        .unwrap()
        .clone();
    let mut repeated_rel = uses.clone();
    repeated_rel["target_ref"] = techniques[1]["id"].clone();
    objects.push(repeated_rel);
    let mut dangling = uses.clone();
    dangling["id"] = json!("relationship--00000000-0000-4000-8000-000000000002");
    dangling["target_ref"] = json!(MISSING);
    objects.push(dangling);
    objects.push(with_id(&techniques[2], ORPHAN, "Orphan Sub", "T0999.001"));
    objects.push(with_id(&techniques[3], CYCLE[0], "Cycle One", "T0998.001"));
    objects.push(with_id(&techniques[3], CYCLE[1], "Cycle Two", "T0998.002"));
    for (i, (source, target)) in [(CYCLE[0], CYCLE[1]), (CYCLE[1], CYCLE[0])]
        .into_iter()
        .enumerate()
    {
        objects.push(json!({
            "type": "relationship", "spec_version": "2.1",
            "id": format!("relationship--00000000-0000-4000-8000-00000000c00{i}"),
            "relationship_type": "subtechnique-of", "source_ref": source, "target_ref": target,
            "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z"
        }));
    }
    let path = dir.join("ics-attack-18.1.json");
    let bundle = json!({"type": "bundle", "id": "bundle--1", "objects": objects});
    std::fs::write(&path, serde_json::to_vec(&bundle).unwrap()).unwrap();
    Some((path, first, uses, techniques[1].clone()))
}

fn ics(kb: &Kb) -> &Dataset {
    kb.select(Domain::Ics, None).unwrap()
}

#[test]
fn finding_8_every_load_problem_is_a_diagnostic_and_in_stats() {
    let temp = tempfile::tempdir().unwrap();
    let Some((path, _, _, _)) = hostile_copy(temp.path()) else {
        return;
    };
    // An edited copy beside it, named otherwise: the bundle with the release's own name wins,
    // whatever the order, and the copy is reported.
    let mut copy: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    copy["objects"][5]["name"] = json!("EDITED");
    let copy_path = temp.path().join("ics-attack-18.1-copy.json");
    std::fs::write(&copy_path, serde_json::to_vec(&copy).unwrap()).unwrap();
    let kb = Kb::load(&[temp.path().to_path_buf()]).unwrap();
    let data = ics(&kb);
    assert_eq!(data.bundle().path, path);
    let mut found: Vec<(String, String)> = kb
        .diagnostics()
        .filter(|d| d.kind.is_problem())
        .map(|d| (d.kind.label().to_string(), d.kind.to_string()))
        .collect();
    found.sort();
    let first = live_techniques(&ics_objects().unwrap())[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let labels: Vec<&str> = found.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        labels,
        [
            "bundle skipped",
            "dangling relationship",
            "repeated STIX ID",
            "repeated STIX ID",
            "sub-technique without parent",
            "sub-technique without parent",
            "sub-technique without parent",
        ]
    );
    assert!(found.iter().any(|(_, m)| m.contains(&first)));
    assert!(found.iter().any(|(_, m)| m.contains(MISSING)));
    assert!(found.iter().any(|(_, m)| m.contains("T0999.001")));
    assert!(
        found
            .iter()
            .any(|(_, m)| m.contains(&copy_path.display().to_string())
                || m.contains("already loaded"))
    );
    let stats = stats_answer(&kb);
    let StatsEntry::Diagnostics(listed) = &stats["ics-attack"]["18.1"]["diagnostics"] else {
        panic!("no diagnostics in stats");
    };
    assert_eq!(listed.len(), 7);
    assert!(listed.iter().all(|d| d.problem));
    // The real releases have none of these problems: no diagnostics key, no summary.
    let Some(real) = attackdb_testdata::data_dir() else {
        return;
    };
    let kb = Kb::load(&[real]).unwrap();
    assert_eq!(kb.diagnostics().filter(|d| d.kind.is_problem()).count(), 0);
    let stats = stats_answer(&kb);
    for releases in stats.values() {
        for kinds in releases.values() {
            assert!(!kinds.contains_key("diagnostics"));
        }
    }
}

#[test]
fn finding_9_repeated_ids_keep_their_first_everywhere_and_orphans_stay_visible() {
    let temp = tempfile::tempdir().unwrap();
    let Some((path, first, uses, retargeted)) = hostile_copy(temp.path()) else {
        return;
    };
    let kb = Kb::load(&[path]).unwrap();
    let data = ics(&kb);
    let real = Kb::load(&[attackdb_testdata::data_dir()
        .unwrap()
        .join("ics-attack/ics-attack-18.1.json.gz")])
    .unwrap();
    let real = ics(&real);
    // The repeated technique: the first is shown, listed and counted once.
    let attack_id = first["external_references"][0]["external_id"]
        .as_str()
        .unwrap();
    let shown = data.lookup(attack_id).unwrap();
    assert_eq!(data.display_name(shown), first["name"].as_str().unwrap());
    let listed: Vec<&str> = data
        .list(Concept::Technique, Visibility::LIVE)
        .into_iter()
        .map(|t| data.display_name(t))
        .collect();
    assert!(!listed.contains(&"A LATER COPY"));
    assert_eq!(
        data.list(Concept::Technique, Visibility::ALL).len(),
        real.list(Concept::Technique, Visibility::ALL).len()
    );
    // The repeated relationship and the dangling one are no links: the real release's links
    // and the cycle's two.
    assert_eq!(data.links().len(), real.links().len() + 2);
    let retargeted = data.by_stix_id(retargeted["id"].as_str().unwrap()).unwrap();
    let source = data
        .by_stix_id(uses["source_ref"].as_str().unwrap())
        .unwrap();
    let real_source = real
        .by_stix_id(uses["source_ref"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        data.outgoing(source).count(),
        real.outgoing(real_source).count()
    );
    assert!(!data
        .outgoing(source)
        .any(|l| l.target == retargeted && data.stix_id(l.relationship) == uses["id"]));
    // The orphan and the cycle: listed and counted as sub-techniques, and in the matrix.
    let subs: Vec<&str> = data
        .list(Concept::Subtechnique, Visibility::LIVE)
        .into_iter()
        .map(|s| data.display_id(s))
        .collect();
    assert_eq!(subs, ["T0998.001", "T0998.002", "T0999.001"]);
    let matrix = data.matrix(&MatrixOptions::default());
    let mut in_matrix: Vec<&str> = matrix
        .columns
        .iter()
        .flat_map(|c| c.rows.iter().map(|r| data.display_id(r.technique)))
        .filter(|id| id.contains('.'))
        .collect();
    in_matrix.sort();
    in_matrix.dedup();
    assert_eq!(in_matrix, ["T0998.001", "T0998.002", "T0999.001"]);
    for id in [ORPHAN, CYCLE[0], CYCLE[1]] {
        assert!(data.is_orphan(data.by_stix_id(id).unwrap()));
    }
    assert!(kb.diagnostics().any(|d| matches!(
        &d.kind,
        DiagnosticKind::OrphanSubtechnique { id, .. } if id == "T0999.001"
    )));
    // The same answers through the prebuilt index.
    let index_dir = tempfile::tempdir().unwrap();
    let bundle = temp.path().join("ics-attack-18.1.json");
    let index = vec![index_dir.path().join("i.attackdb-index")];
    attackdb_kb::load_dataset_cached(&bundle, &index).unwrap();
    let again = attackdb_kb::load_dataset_cached(&bundle, &index).unwrap();
    assert!(matches!(
        again.outcome,
        attackdb_stix::CacheOutcome::Used(_)
    ));
    let again = again.dataset.unwrap();
    assert_eq!(again.links().len(), data.links().len());
    assert_eq!(again.diagnostics(), data.diagnostics());
    assert!(again.is_orphan(again.by_stix_id(ORPHAN).unwrap()));
}
