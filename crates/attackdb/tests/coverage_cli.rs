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
