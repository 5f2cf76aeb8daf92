//! `attackdb coverage --save` and `attackdb workspace` end to end on the real Sigma rules: an
//! assessment keeps exactly the figures `coverage --json` gives, `workspace compare` finds the
//! techniques gained and lost, `workspace trend` follows each tactic, and export/import
//! round-trips.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{attackdb, data_dir, shared};
use serde_json::Value;

fn json(output: &std::process::Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Each technique's rank in a coverage document: 2 covered, 1 partly (what an assessment keeps).
fn ranks(doc: &Value) -> BTreeMap<String, u8> {
    let mut out = BTreeMap::new();
    for (id, t) in doc["techniques"].as_object().unwrap() {
        if t["in_scope"] == true && t["rules"].as_u64().unwrap() > 0 {
            out.insert(id.clone(), 2);
        }
    }
    for id in doc["partly_covered"].as_array().unwrap() {
        out.insert(id.as_str().unwrap().to_string(), 1);
    }
    out
}

#[test]
fn coverage_saved_as_assessments_compares_and_trends() {
    let (Some(data), Some(shared)) = (data_dir(), shared()) else {
        return;
    };
    let sigma = shared.join("corpora/sigma/rules");
    let small = sigma.join("windows/process_creation");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let db = db.to_str().unwrap();
    let mut docs = Vec::new();
    for rules in [&small, &sigma] {
        let rules = rules.to_str().unwrap();
        docs.push(json(&attackdb(&data, &["coverage", rules, "--json"])));
        let saved = attackdb(
            &data,
            &["coverage", rules, "--save", "quarterly", "--database", db],
        );
        assert!(
            saved.status.success(),
            "{}",
            String::from_utf8_lossy(&saved.stderr)
        );
        assert!(String::from_utf8_lossy(&saved.stderr).contains("saved as assessment"));
    }
    let list = json(&attackdb(
        &data,
        &["workspace", "--database", db, "assessments", "--json"],
    ));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    for (a, doc) in list.iter().zip(&docs) {
        assert_eq!(a["name"], "quarterly");
        assert_eq!(a["domain"], "enterprise-attack");
        assert_eq!(a["release"], doc["release"]);
        assert_eq!(a["covered"], doc["coverage"]["techniques"]["covered"]);
        assert_eq!(a["partly"], doc["coverage"]["techniques"]["partly"]);
        assert_eq!(a["total"], doc["coverage"]["techniques"]["total"]);
        assert_eq!(a["percent"], doc["coverage"]["percent"]);
        assert!(a["fingerprint"].as_str().unwrap().starts_with("sha256:"));
    }
    assert_ne!(list[0]["fingerprint"], list[1]["fingerprint"]);
    let (from, to) = (list[0]["id"].to_string(), list[1]["id"].to_string());
    let compared = json(&attackdb(
        &data,
        &[
            "workspace",
            "--database",
            db,
            "compare",
            &from,
            &to,
            "--json",
        ],
    ));
    let (a, b) = (ranks(&docs[0]), ranks(&docs[1]));
    let ids: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let rank = |m: &BTreeMap<String, u8>, id: &String| m.get(id).copied().unwrap_or(0);
    let gained: Vec<&String> = ids
        .iter()
        .copied()
        .filter(|id| rank(&b, id) > rank(&a, id))
        .collect();
    let lost: Vec<&String> = ids
        .iter()
        .copied()
        .filter(|id| rank(&b, id) < rank(&a, id))
        .collect();
    let got = |key: &str| -> Vec<String> {
        compared[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        got("gained"),
        gained.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(
        got("lost"),
        lost.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    );
    assert!(
        gained.len() > 100,
        "the whole Sigma set covers far more: {}",
        gained.len()
    );
    // Per tactic, the figures are the coverage documents' own.
    for (t, (ta, tb)) in compared["tactics"].as_array().unwrap().iter().zip(
        docs[0]["tactics"]
            .as_array()
            .unwrap()
            .iter()
            .zip(docs[1]["tactics"].as_array().unwrap()),
    ) {
        assert_eq!(t["shortname"], tb["shortname"]);
        assert_eq!(t["from_covered"], ta["covered"]);
        assert_eq!(t["to_covered"], tb["covered"]);
        assert_eq!(t["to_percent"], tb["percent"]);
    }
    let trend = json(&attackdb(
        &data,
        &[
            "workspace",
            "--database",
            db,
            "trend",
            "quarterly",
            "--json",
        ],
    ));
    assert_eq!(trend["points"].as_array().unwrap().len(), 2);
    assert_eq!(trend["tactics"].as_array().unwrap().len(), 14);
    for (series, (ta, tb)) in trend["tactics"].as_array().unwrap().iter().zip(
        docs[0]["tactics"]
            .as_array()
            .unwrap()
            .iter()
            .zip(docs[1]["tactics"].as_array().unwrap()),
    ) {
        assert_eq!(
            series["percent"],
            serde_json::json!([ta["percent"], tb["percent"]])
        );
    }
    let human = attackdb(
        &data,
        &["workspace", "--database", db, "compare", &from, &to],
    );
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains(&format!("{} gained, {} lost", gained.len(), lost.len())),
        "{text}"
    );
    let nothing = attackdb(&data, &["workspace", "--database", db, "trend", "monthly"]);
    assert!(!nothing.status.success());
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("monthly"));

    // Export, import into a fresh workspace, export again: the same rows.
    let first = dir.path().join("first.json");
    let second = dir.path().join("second.json");
    let copy = dir.path().join("copy.db");
    json(&attackdb(
        &data,
        &[
            "workspace",
            "--database",
            db,
            "export",
            first.to_str().unwrap(),
            "--json",
        ],
    ));
    json(&attackdb(
        &data,
        &[
            "workspace",
            "--database",
            copy.to_str().unwrap(),
            "import",
            first.to_str().unwrap(),
            "--json",
        ],
    ));
    json(&attackdb(
        &data,
        &[
            "workspace",
            "--database",
            copy.to_str().unwrap(),
            "export",
            second.to_str().unwrap(),
            "--json",
        ],
    ));
    let read = |p: &std::path::Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let (one, two) = (read(&first), read(&second));
    for table in ["assessments", "layers", "notes", "users"] {
        assert_eq!(one["tables"][table], two["tables"][table], "{table}");
    }
    assert_eq!(
        one["tables"]["assessments"]["rows"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
