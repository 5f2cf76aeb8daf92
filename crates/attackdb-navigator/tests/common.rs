//! Shared test support: finds the real corpora and ATT&CK releases beside the repository.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use attackdb_kb::{Dataset, Kb};

fn require_or_skip(what: &str, dir: &Path) {
    if std::env::var_os("ATTACKDB_REQUIRE_DATA").is_some() {
        panic!("{what} is required but missing at {}", dir.display());
    }
    eprintln!(
        "\n!!! SKIPPING real-data test: no {what} at {} !!!\n",
        dir.display()
    );
}

/// `shared/` beside the repository (or the parent of `ATTACKDB_TEST_DATA`).
fn shared_dir() -> PathBuf {
    std::env::var_os("ATTACKDB_TEST_DATA")
        .map(|d| PathBuf::from(d).join(".."))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

/// `shared/corpora`, read in place; `None` (loudly) when absent, unless `ATTACKDB_REQUIRE_DATA`.
pub fn corpora_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ATTACKDB_TEST_CORPORA")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared_dir().join("corpora"));
    if dir.join("navigator-layers").is_dir() {
        return Some(dir);
    }
    require_or_skip("corpora", &dir);
    None
}

/// The real ATT&CK releases, loaded once.
pub fn kb() -> Option<&'static Kb> {
    static KB: OnceLock<Option<Kb>> = OnceLock::new();
    KB.get_or_init(|| {
        let dir = std::env::var_os("ATTACKDB_TEST_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| shared_dir().join("attack-stix-data"));
        if !dir.join("enterprise-attack").is_dir() {
            require_or_skip("ATT&CK data", &dir);
            return None;
        }
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
