//! `attackdb layer ...` end to end: validate's exit code and JSON paths, upgrade, generate and
//! export through the binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::data_dir;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

/// `attackdb` on the enterprise 18.1 bundle alone.
fn attackdb(data: &Path, args: &[&str]) -> Output {
    let bundle = data.join("enterprise-attack/enterprise-attack-18.1.json.gz");
    common::attackdb(&bundle, args)
}

#[test]
fn validate_fails_on_an_invalid_layer_and_names_the_paths() {
    let Some(data) = data_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("layers.json");
    std::fs::write(
        &file,
        r#"[{"name": "ok", "domain": "enterprise-attack", "techniques": [{"techniqueID": "T1086"}]},
            {"name": "bad", "domain": "enterprise-attack", "techniques": [{"techniqueID": "T1059", "score": "x"}]}]"#,
    )
    .unwrap();
    let output = attackdb(
        &data,
        &["--json", "layer", "validate", file.to_str().unwrap()],
    );
    assert!(!output.status.success());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["layers"][0]["valid"], true);
    let first: Vec<String> = report["layers"][0]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}: {}",
                p["path"].as_str().unwrap(),
                p["message"].as_str().unwrap()
            )
        })
        .collect();
    // T1086 (PowerShell) was revoked by T1059.001 when sub-techniques came
    assert!(
        first.iter().any(|p| p.starts_with("[0].techniques[0].techniqueID: T1086 is revoked in enterprise-attack 18.1: replaced by T1059.001")),
        "{first:?}"
    );
    let second = &report["layers"][1]["problems"];
    assert!(second
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["path"] == "[1].techniques[0].score" && p["severity"] == "error"));
    // upgrade refuses an invalid file
    let out = dir.path().join("out.json");
    let output = attackdb(
        &data,
        &[
            "layer",
            "upgrade",
            file.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert!(!output.status.success());
    assert!(!out.exists());
}

#[test]
fn generate_then_validate_and_export() {
    let Some(data) = data_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let layer = dir.path().join("g0016.json");
    let output = attackdb(
        &data,
        &[
            "layer",
            "generate",
            "--group",
            "Cozy Bear",
            "-o",
            layer.to_str().unwrap(),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = attackdb(&data, &["layer", "validate", layer.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let output = attackdb(
        &data,
        &["relation", "techniques_used_by_group", "G0016", "--json"],
    );
    let expected: Value = serde_json::from_slice(&output.stdout).unwrap();
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&layer).unwrap()).unwrap();
    let ids: Vec<&str> = written["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["techniqueID"].as_str().unwrap())
        .collect();
    let expected_ids: Vec<&str> = expected
        .as_array()
        .or_else(|| expected["G0016"].as_array())
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(ids, expected_ids);
    let svg = dir.path().join("g.svg");
    let output = attackdb(
        &data,
        &[
            "layer",
            "export",
            layer.to_str().unwrap(),
            "--format",
            "svg",
            "-o",
            svg.to_str().unwrap(),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<?xml"));
}
