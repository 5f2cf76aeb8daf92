//! `attackdb migrate layer` end to end on a real corpus layer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("ATTACKDB_TEST_DATA")
        .map(|d| PathBuf::from(d).join(".."))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    if dir.join("attack-stix-data/enterprise-attack").is_dir()
        && dir.join("corpora/navigator-layers").is_dir()
    {
        return Some(dir);
    }
    assert!(
        std::env::var_os("ATTACKDB_REQUIRE_DATA").is_none(),
        "real ATT&CK data and corpora are required but missing at {}",
        dir.display()
    );
    eprintln!(
        "\n!!! SKIPPING real-data test: no shared data at {} !!!\n",
        dir.display()
    );
    None
}

#[test]
fn migrate_layer_writes_a_4_5_layer_and_lists_decisions() {
    let Some(shared) = shared() else { return };
    let temp = tempfile::tempdir().unwrap();
    let layer =
        shared.join("corpora/navigator-layers/layers/samples/ATTACKcon 2018/Blue_Pins.json");
    let out = temp.path().join("blue-18.1.json");
    let report = temp.path().join("review.md");
    let output = Command::new(env!("CARGO_BIN_EXE_attackdb"))
        .arg("--data")
        .arg(shared.join("attack-stix-data"))
        .args(["migrate", "layer"])
        .arg(&layer)
        .args(["--to", "18.1", "--json", "-o"])
        .arg(&out)
        .arg("--report")
        .arg(&report)
        .env("ATTACKDB_HOME", temp.path().join("home"))
        .env_remove("ATTACKDB_DATA")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    let decisions = result["decisions"].as_array().unwrap();
    let moved = |from: &str| {
        decisions
            .iter()
            .find(|d| d["kind"] == "moved" && d["technique"] == from)
            .map(|d| d["to"][0].as_str().unwrap().to_string())
    };
    assert_eq!(moved("T1002").as_deref(), Some("T1560"));
    assert_eq!(moved("T1107").as_deref(), Some("T1070.004"));
    assert!(result["needs_review"].as_u64().unwrap() > 0);
    let migrated: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(migrated["versions"]["layer"], "4.5");
    assert_eq!(migrated["versions"]["attack"], "18");
    let ids: Vec<&str> = migrated["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["techniqueID"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"T1002") && ids.contains(&"T1560"));
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        md.contains("## Needs review") && md.contains("| $ | moved | T1002 |"),
        "{md}"
    );
}
