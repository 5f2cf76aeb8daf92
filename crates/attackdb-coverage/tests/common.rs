//! Shared test support: finds the real ATT&CK releases and the rule corpora in `../shared`
//! (loud skip when absent, failure when `ATTACKDB_REQUIRE_DATA` is set), and loads 18.1 once.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::OnceLock;

use attackdb_kb::{Dataset, Kb};

/// The folder of real releases (see `attackdb_testdata`).
pub fn data_dir() -> Option<PathBuf> {
    attackdb_testdata::data_dir()
}

/// One corpus folder under `shared/corpora` (e.g. `sigma`).
pub fn corpus(name: &str) -> Option<PathBuf> {
    attackdb_testdata::corpus(name)
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
        kb.select(attackdb_kb::Domain::Enterprise, None)
            .expect("18.1"),
    )
}

/// A fixture file or folder of this crate.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}
