//! Shared test support: finds the real ATT&CK releases and loads them once per test binary.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::OnceLock;

use attackdb_kb::{Dataset, Kb};

/// The folder of real releases: `ATTACKDB_TEST_DATA`, else `../shared/attack-stix-data` beside
/// the repository. `None` (with a loud message) when absent, unless `ATTACKDB_REQUIRE_DATA` is
/// set, in which case absence fails the test.
pub fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ATTACKDB_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/attack-stix-data")
        });
    if dir.join("enterprise-attack").is_dir() {
        return Some(dir);
    }
    if std::env::var_os("ATTACKDB_REQUIRE_DATA").is_some() {
        panic!(
            "real ATT&CK data is required but missing at {}",
            dir.display()
        );
    }
    eprintln!(
        "\n!!! SKIPPING real-data test: no ATT&CK data at {} (set ATTACKDB_TEST_DATA) !!!\n",
        dir.display()
    );
    None
}

/// Every real release, loaded once.
pub fn kb() -> Option<&'static Kb> {
    static KB: OnceLock<Option<Kb>> = OnceLock::new();
    KB.get_or_init(|| {
        let dir = data_dir()?;
        Some(Kb::load(&[dir]).expect("the real releases load"))
    })
    .as_ref()
}

/// One domain and release of the real data.
pub fn dataset(domain: &str, release: &str) -> Option<&'static Dataset> {
    Some(
        kb()?
            .select(Some(domain), Some(release))
            .expect("release is present"),
    )
}

/// Display IDs of `ids`.
pub fn names(dataset: &Dataset, ids: &[u32]) -> Vec<String> {
    ids.iter()
        .map(|&i| dataset.display_id(i).to_string())
        .collect()
}
