//! Shared support for the binary's end-to-end tests: where the real data is.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `shared/` beside the repository (or the parent of `ATTACKDB_TEST_DATA`).
fn shared_root() -> PathBuf {
    std::env::var_os("ATTACKDB_TEST_DATA")
        .map(|d| PathBuf::from(d).join(".."))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

/// The real releases: `ATTACKDB_TEST_DATA`, else `../shared/attack-stix-data`. `None` (with a
/// loud message) when absent, unless `ATTACKDB_REQUIRE_DATA` is set: then absence fails.
pub fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ATTACKDB_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared_root().join("attack-stix-data"));
    if dir.join("enterprise-attack").is_dir() && dir.join("index.json").is_file() {
        return Some(dir);
    }
    missing("ATT&CK data", &dir)
}

/// A data home for the tests (`ATTACKDB_HOME`), under the build's temporary folder: prebuilt
/// indexes of the shared releases, whose folders are read-only, go there and are reused by
/// later runs.
pub fn home() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("attackdb-home")
}

/// Runs `attackdb --data DATA ARGS...` with the tests' data home, without `ATTACKDB_DATA`, on
/// 100 columns.
pub fn attackdb(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_attackdb"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env("ATTACKDB_HOME", home())
        .env_remove("ATTACKDB_DATA")
        .env("COLUMNS", "100")
        .output()
        .unwrap()
}

/// `shared/` itself, with the releases and the corpora, under the same rule as [`data_dir`].
pub fn shared() -> Option<PathBuf> {
    let root = shared_root();
    if data_dir().is_some() && root.join("corpora/navigator-layers").is_dir() {
        return Some(root);
    }
    missing("corpora", &root.join("corpora"))
}

fn missing(what: &str, dir: &std::path::Path) -> Option<PathBuf> {
    assert!(
        std::env::var_os("ATTACKDB_REQUIRE_DATA").is_none(),
        "{what} is required but missing at {}",
        dir.display()
    );
    eprintln!(
        "\n!!! SKIPPING real-data test: no {what} at {} !!!\n",
        dir.display()
    );
    None
}
