//! Shared test support: finds the real corpora and ATT&CK releases beside the repository.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use attackdb_kb::{Dataset, Kb};

/// `shared/corpora`, read in place; `None` (loudly) when absent, unless `ATTACKDB_REQUIRE_DATA`.
pub fn corpora_dir() -> Option<PathBuf> {
    Some(attackdb_testdata::shared()?.join("corpora"))
}

/// The real ATT&CK releases, loaded once.
pub fn kb() -> Option<&'static Kb> {
    static KB: OnceLock<Option<Kb>> = OnceLock::new();
    KB.get_or_init(|| {
        let dir = attackdb_testdata::data_dir()?;
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

/// Every `.json` file under `dir`, sorted.
pub fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The usage layer of group `group` (an ATT&CK ID), with default options.
pub fn group_layer(d: &Dataset, group: &str) -> attackdb_navigator::Layer {
    let id = attackdb_navigator::generate::resolve(d, group, attackdb_kb::Concept::Group).unwrap();
    attackdb_navigator::generate::usage_layer(d, id, &Default::default()).unwrap()
}
