//! Shared test support: finds the real ATT&CK releases and loads them once per test binary.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::OnceLock;

use attackdb_kb::{Dataset, Kb};

/// The folder of real releases (see `attackdb_testdata`).
pub fn data_dir() -> Option<PathBuf> {
    attackdb_testdata::data_dir()
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
            .select(
                domain.parse().expect("a domain"),
                Some(&release.parse().expect("a release")),
            )
            .expect("release is present"),
    )
}

/// Display IDs of `ids`.
pub fn names(dataset: &Dataset, ids: &[u32]) -> Vec<String> {
    ids.iter()
        .map(|&i| dataset.display_id(i).to_string())
        .collect()
}
