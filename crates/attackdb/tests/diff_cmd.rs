//! `attackdb diff` end to end: the JSON categories equal diff_stix's, and the Markdown, HTML and
//! layer outputs carry the same changes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::data_dir;

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn attackdb(home: &std::path::Path, args: &[&str]) -> Output {
    let data = data_dir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_attackdb"))
        .arg("--data")
        .arg(&data)
        .args(args)
        .env("ATTACKDB_HOME", home)
        .env_remove("ATTACKDB_DATA")
        .output()
        .unwrap()
}

fn reference() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../attackdb-kb/tests/expected/diff-17.1-18.1.json.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn diff_json_lists_the_ids_diff_stix_lists() {
    if data_dir().is_none() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let output = attackdb(
        home.path(),
        &["diff", "--from", "17.1", "--to", "18.1", "--json"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ours: Value = serde_json::from_slice(&output.stdout).unwrap();
    let theirs = reference();
    for domain in ["enterprise-attack", "mobile-attack", "ics-attack"] {
        for (object_type, sections) in theirs[domain].as_object().unwrap() {
            for (category, ids) in sections.as_object().unwrap() {
                assert_eq!(
                    &ours[domain][object_type][category], ids,
                    "{domain} {object_type} {category}"
                );
            }
        }
        // Beside the categories: unchanged counts, per-object details, and tactics.
        assert!(ours[domain]["techniques"]["unchanged"].is_u64());
        assert!(ours[domain]["tactics"]["additions"].is_array());
    }
    assert_eq!(ours["new-contributors"], theirs["new-contributors"]);
    let details = &ours["enterprise-attack"]["techniques"]["details"]["T1082"];
    assert_eq!(details["category"], "major_version_changes");
    assert!(details["version_change"].as_str().unwrap().contains(" → "));
}

#[test]
fn diff_markdown_html_and_layer_carry_the_changes() {
    if data_dir().is_none() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let output = attackdb(
        home.path(),
        &["--domain", "ics", "diff", "--from", "17.1", "--to", "18.1"],
    );
    let md = String::from_utf8(output.stdout).unwrap();
    assert!(
        md.starts_with("# ATT&CK changes from 17.1 to 18.1\n"),
        "{md}"
    );
    assert!(md.contains("| ICS | Assets | 4 | 6 |"), "{md}");
    assert!(!md.contains("Enterprise"));

    let html_path = home.path().join("changes.html");
    let output = attackdb(
        home.path(),
        &[
            "--domain",
            "ics",
            "diff",
            "--from",
            "17.1",
            "--to",
            "18.1",
            "--format",
            "html",
            "-o",
            html_path.to_str().unwrap(),
        ],
    );
    assert!(output.status.success());
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<h3>Assets</h3>"));
    assert!(!html.contains("<script"), "self-contained, no scripts");

    let output = attackdb(
        home.path(),
        &[
            "diff",
            "--from",
            "17.1",
            "--to",
            "18.1",
            "--format",
            "layer",
            "--domain",
            "enterprise",
        ],
    );
    let layer: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(layer["versions"]["layer"], "4.5");
    assert_eq!(layer["domain"], "enterprise-attack");
    let techniques = layer["techniques"].as_array().unwrap();
    let t1082: Vec<&Value> = techniques
        .iter()
        .filter(|t| t["techniqueID"] == "T1082")
        .collect();
    assert_eq!(t1082.len(), 1, "T1082 is in one tactic");
    assert_eq!(t1082[0]["comment"], "major_version_change");
    assert_eq!(t1082[0]["color"], "#fcf3a2");
    let additions = techniques
        .iter()
        .filter(|t| t["comment"] == "addition")
        .count();
    assert!(additions >= 12, "12 new techniques, one entry per tactic");
}

#[test]
fn a_missing_release_is_a_clear_error() {
    if data_dir().is_none() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let output = attackdb(home.path(), &["diff", "--from", "16.1", "--to", "18.1"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("error: no enterprise-attack data for release 16.1 is loaded"),
        "{stderr}"
    );
}
