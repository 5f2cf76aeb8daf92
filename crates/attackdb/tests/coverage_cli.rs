//! `attackdb coverage` end to end: JSON keys, `--fail-under` exit codes, the layer passing
//! `attackdb layer validate`, the report files, and argument errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::attackdb;

use common::data_dir;

use std::path::PathBuf;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../attackdb-coverage/tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn coverage_json_layer_report_and_fail_under() {
    let Some(data) = data_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let layer = dir.path().join("layer.json");
    let report = dir.path().join("report.html");
    let csv = fixture("csv");
    let output = attackdb(
        &data,
        &[
            "coverage",
            &csv,
            "--json",
            "--groups",
            "G0016",
            "--layer",
            layer.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["rules"], 7);
    assert_eq!(json["rules_mapped"], 5);
    assert_eq!(json["techniques"]["T1078"]["rules"], 1);
    assert_eq!(
        json["errors"][0]["reason"],
        "line 7: score `lots` is not a number"
    );
    assert_eq!(json["gaps"]["actors"][0]["id"], "G0016");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("inventory.csv: line 7"), "{stderr}");
    assert!(std::fs::read_to_string(&report)
        .unwrap()
        .contains("class=\"matrix\""));
    let validate = attackdb(&data, &["layer", "validate", layer.to_str().unwrap()]);
    assert!(
        validate.status.success(),
        "{}{}",
        String::from_utf8_lossy(&validate.stdout),
        String::from_utf8_lossy(&validate.stderr)
    );

    // 6 of 691 techniques and sub-techniques covered (0.87%): 0.5% passes, 50% fails.
    let pass = attackdb(&data, &["coverage", &csv, "--fail-under", "0.5"]);
    assert!(pass.status.success());
    let fail = attackdb(&data, &["coverage", &csv, "--fail-under", "50"]);
    assert_eq!(fail.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&fail.stderr);
    assert!(stderr.contains("is under the threshold 50%"), "{stderr}");
    assert!(String::from_utf8_lossy(&fail.stdout).contains("TACTIC"));
}

#[test]
fn coverage_argument_errors() {
    let Some(data) = data_dir() else {
        return;
    };
    let csv = fixture("csv");
    let output = attackdb(&data, &["coverage", &csv, "--platform", "Amiga"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown platform `Amiga`"));
    let output = attackdb(&data, &["coverage", &csv, "--groups", "T1003"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("T1003: is a technique, not a group"));
    let output = attackdb(&data, &["coverage", &csv, "--platform", "linux", "--json"]);
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["platform"], "Linux");
    assert!(json["coverage"]["techniques"]["total"].as_u64().unwrap() < 216);
}

fn json_of(data: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let output = attackdb(data, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn visibility_of_the_dettect_sample_and_coverage_against_it() {
    let (Some(data), Some(dettect), Some(sigma)) = (
        data_dir(),
        attackdb_testdata::corpus("dettect-samples"),
        attackdb_testdata::corpus("sigma"),
    ) else {
        return;
    };
    let file = dettect.join("sample-data/data-sources-endpoints.yaml");
    let file = file.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let layer_path = dir.path().join("visibility.json");
    let seen = json_of(
        &data,
        &[
            "visibility",
            "--log-sources",
            file,
            "--layer",
            layer_path.to_str().unwrap(),
            "--json",
        ],
    );
    let totals = &seen["totals"];
    assert_eq!(
        (
            &totals["techniques_visible"],
            &totals["subtechniques_visible"]
        ),
        (&serde_json::json!(175), &serde_json::json!(360))
    );
    let visible: std::collections::BTreeSet<&str> = seen["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(visible.len(), 535);
    // The layer holds exactly the visible techniques.
    let layer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&layer_path).unwrap()).unwrap();
    let in_layer: std::collections::BTreeSet<&str> = layer["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["techniqueID"].as_str().unwrap())
        .collect();
    assert_eq!(in_layer, visible);
    assert_eq!(layer["domain"], "enterprise-attack");
    // Coverage against it: the four counts partition the scope, and agree with coverage and
    // visibility taken apart.
    let sigma = sigma.to_str().unwrap();
    let plain = json_of(&data, &["coverage", sigma, "--json"]);
    let joined = json_of(&data, &["coverage", sigma, "--visibility", file, "--json"]);
    let covered: std::collections::BTreeSet<&str> = plain["techniques"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, t)| t["in_scope"] == true)
        .map(|(id, _)| id.as_str())
        .collect();
    let join = &joined["visibility"];
    let scope = plain_scope(&plain);
    let count = |c: bool, v: bool| -> usize {
        scope
            .iter()
            .filter(|id| covered.contains(id.as_str()) == c && visible.contains(id.as_str()) == v)
            .count()
    };
    let expected = serde_json::json!({
        "covered": count(true, true),
        "covered_not_visible": count(true, false),
        "visible_not_covered": count(false, true),
        "not_visible": count(false, false),
    });
    assert_eq!(join["totals"], expected);
    assert_eq!(
        expected,
        serde_json::json!({"covered": 349, "covered_not_visible": 48, "visible_not_covered": 186, "not_visible": 108})
    );
    assert_eq!(join["visible_not_covered"].as_array().unwrap().len(), 186);
}

/// Every in-scope technique and sub-technique ID of a coverage answer: those its rules name,
/// and the uncovered ones, from the release's lists.
fn plain_scope(coverage: &serde_json::Value) -> Vec<String> {
    let data = data_dir().unwrap();
    let mut ids = Vec::new();
    for kind in ["techniques", "subtechniques"] {
        let list = json_of(&data, &["list", kind, "--json"]);
        ids.extend(
            list.as_array()
                .unwrap()
                .iter()
                .map(|o| o["attack_id"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(
        ids.len(),
        coverage["coverage"]["techniques"]["total"]
            .as_u64()
            .unwrap() as usize
            + coverage["coverage"]["subtechniques"]["total"]
                .as_u64()
                .unwrap() as usize
    );
    ids
}
