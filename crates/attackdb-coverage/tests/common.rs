//! Shared test support: finds the real ATT&CK releases and the rule corpora in `../shared`
//! (loud skip when absent, failure when `ATTACKDB_REQUIRE_DATA` is set), and loads 18.1 once.

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
        "\n!!! SKIPPING real-data test: no {what} at {} !!!\n",
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

/// One corpus folder under `../shared/corpora` (e.g. `sigma`).
pub fn corpus(name: &str) -> Option<PathBuf> {
    present_or_skip(
        shared().join("corpora").join(name),
        &format!("{name} corpus"),
        "",
    )
    .filter(|d| d.is_dir())
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
    Some(kb.select(Some("enterprise"), Some("18.1")).expect("18.1"))
}

/// A fixture file or folder of this crate.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}
