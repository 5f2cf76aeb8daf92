//! Shared test support: finds the real ATT&CK releases and the Atomic Red Team corpus in
//! `../shared` (loud skip when absent, failure when `ATTACKDB_REQUIRE_DATA` is set), and loads
//! enterprise 18.1 once per test binary.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::OnceLock;

use attackdb_kb::{Dataset, Kb};

/// `../shared` beside the repository.
fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn present_or_skip(dir: PathBuf, what: &str, probe: &str) -> Option<PathBuf> {
    if dir.join(probe).exists() {
        return Some(dir);
    }
    if std::env::var_os("ATTACKDB_REQUIRE_DATA").is_some() {
        panic!("{what} is required but missing at {}", dir.display());
    }
    eprintln!(
        "\n!!! SKIPPING real-data test: no {what} at {} (set ATTACKDB_TEST_DATA) !!!\n",
        dir.display()
    );
    None
}

/// The folder of real releases: `ATTACKDB_TEST_DATA`, else `../shared/attack-stix-data`.
pub fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ATTACKDB_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared().join("attack-stix-data"));
    present_or_skip(dir, "ATT&CK data", "enterprise-attack")
}

/// The Atomic Red Team checkout under `../shared/corpora` (beside the data folder).
pub fn atomics_dir() -> Option<PathBuf> {
    let base = std::env::var_os("ATTACKDB_TEST_DATA")
        .map(|d| PathBuf::from(d).join(".."))
        .unwrap_or_else(shared);
    present_or_skip(
        base.join("corpora/atomic-red-team"),
        "Atomic Red Team corpus",
        "atomics",
    )
}

/// Enterprise 18.1, loaded once.
pub fn enterprise() -> Option<&'static Dataset> {
    static KB: OnceLock<Option<Kb>> = OnceLock::new();
    let kb = KB
        .get_or_init(|| {
            let dir = data_dir()?;
            let file = dir.join("enterprise-attack/enterprise-attack-18.1.json");
            let path = if file.exists() {
                file
            } else {
                dir.join("enterprise-attack/enterprise-attack-18.1.json.gz")
            };
            Some(Kb::load(&[path]).expect("18.1 loads"))
        })
        .as_ref()?;
    Some(
        kb.select(Some("enterprise"), Some("18.1"))
            .expect("18.1 is loaded"),
    )
}

/// Display IDs of `ids`, sorted.
pub fn ids(dataset: &Dataset, objects: &[u32]) -> Vec<String> {
    let mut found: Vec<String> = objects
        .iter()
        .map(|&o| dataset.display_id(o).to_string())
        .collect();
    found.sort();
    found
}

/// A fresh empty folder under the system's temporary folder.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("attackdb-intel-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
