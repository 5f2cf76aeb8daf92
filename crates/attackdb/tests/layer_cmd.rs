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

/// Issue 16, finding 1: campaign IDs from a crafted bundle (`../../escaped_rel`, an absolute
/// path, two campaigns with one ID) never write outside the output folder nor overwrite each
/// other.
#[test]
fn batch_layer_names_from_the_data_are_never_paths() {
    use std::io::Read;
    let Some(data) = common::data_dir() else {
        return;
    };
    let mut text = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(data.join("ics-attack/ics-attack-18.1.json.gz")).unwrap(),
    )
    .read_to_string(&mut text)
    .unwrap();
    let mut bundle: serde_json::Value = serde_json::from_str(&text).unwrap();
    let crafted = [
        "../../escaped_rel",
        "/tmp/attackdb-absolute-escape",
        "C9999",
        "c9999",
    ];
    let mut next = crafted.iter();
    for object in bundle["objects"].as_array_mut().unwrap() {
        if object["type"] != "campaign" {
            continue;
        }
        let Some(id) = next.next() else { break };
        for reference in object["external_references"].as_array_mut().unwrap() {
            if reference["source_name"] == "mitre-attack" {
                reference["external_id"] = serde_json::json!(id);
            }
        }
    }
    assert!(next.next().is_none(), "the bundle has enough campaigns");
    let work = tempfile::tempdir().unwrap();
    let bundle_path = work.path().join("ics-attack-18.1.json");
    std::fs::write(&bundle_path, serde_json::to_string(&bundle).unwrap()).unwrap();
    let out = work.path().join("deep/er/out");
    let output = common::attackdb(
        &bundle_path,
        &[
            "--domain",
            "ics",
            "layer",
            "generate",
            "--batch",
            "campaigns",
            "-o",
            &out.display().to_string(),
            "--json",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let written = report["layers"].as_array().unwrap();
    let files: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert_eq!(
        files.len(),
        written.len(),
        "one file per layer, none overwritten"
    );
    for layer in written {
        let file = std::path::PathBuf::from(layer["file"].as_str().unwrap());
        assert_eq!(file.parent(), Some(out.as_path()), "{file:?}");
    }
    assert!(!work.path().join("deep/escaped_rel.json").exists());
    assert!(!std::path::Path::new("/tmp/attackdb-absolute-escape.json").exists());
    let names: Vec<String> = written
        .iter()
        .map(|l| {
            l["file"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(names.contains(&"C9999.json".to_string()), "{names:?}");
    assert!(
        names.contains(&"_.._escaped_rel.json".to_string()),
        "{names:?}"
    );
}

#[test]
fn finding_12_validate_reports_a_garbage_version_and_an_empty_list() {
    let Some(data) = data_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.json");
    std::fs::write(
        &garbage,
        r#"{"name": "g", "domain": "enterprise-attack", "versions": {"layer": "garbage"}, "techniques": []}"#,
    )
    .unwrap();
    let output = attackdb(&data, &["layer", "validate", garbage.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert!(stdout.starts_with("INVALID $"), "{stdout}");
    assert!(
        stdout.contains("versions.layer: `garbage` is not a layer format version"),
        "{stdout}"
    );
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "[]").unwrap();
    let output = attackdb(&data, &["layer", "validate", empty.to_str().unwrap()]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(!output.status.success());
    assert!(stdout.contains("no layer (an empty list)"), "{stdout}");
    assert!(stderr.contains("no layer in the file"), "{stderr}");
    let output = attackdb(
        &data,
        &["--json", "layer", "validate", empty.to_str().unwrap()],
    );
    assert!(!output.status.success());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["valid"], false);
}
