//! Shared test support: finds the real ATT&CK releases and the Atomic Red Team corpus in
//! `../shared` (loud skip when absent, failure when `ATTACKDB_REQUIRE_DATA` is set), and loads
//! enterprise 18.1 once per test binary.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::OnceLock;

use attackdb_kb::{Dataset, Kb};

/// The folder of real releases (see `attackdb_testdata`).
pub fn data_dir() -> Option<PathBuf> {
    attackdb_testdata::data_dir()
}

/// The Atomic Red Team checkout under `shared/corpora`.
pub fn atomics_dir() -> Option<PathBuf> {
    attackdb_testdata::corpus("atomic-red-team")
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
        kb.select(
            attackdb_kb::Domain::Enterprise,
            Some(&"18.1".parse().unwrap()),
        )
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
