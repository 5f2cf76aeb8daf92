//! Test support, for every crate's tests (a dev-dependency only): where the real ATT&CK
//! releases and the corpora are.
//!
//! The releases are `ATTACKDB_TEST_DATA`, else `shared/attack-stix-data` beside the
//! repository; the corpora are `corpora/` beside the releases. When they are absent a test
//! says so loudly and skips (the helpers return `None`), unless `ATTACKDB_REQUIRE_DATA` is set
//! (as `.ci/run` sets it), in which case absence fails the test.
//!
//! [`derived_release`] makes a 19.x-shaped release from the real 18.1 bundles (see
//! [`nineteen`]), written to a temporary folder at test time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod nineteen;

pub use nineteen::derived_release;

use std::path::{Path, PathBuf};

/// `shared/` beside the repository, or the parent of `ATTACKDB_TEST_DATA`.
fn shared_root() -> PathBuf {
    match std::env::var_os("ATTACKDB_TEST_DATA") {
        Some(dir) => PathBuf::from(dir).join(".."),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// The folder of real releases (it holds `enterprise-attack/`, `mobile-attack/`,
/// `ics-attack/` and `index.json`), or `None` with a loud message.
pub fn data_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("ATTACKDB_TEST_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => shared_root().join("attack-stix-data"),
    };
    if dir.join("enterprise-attack").is_dir() {
        return Some(dir);
    }
    missing("ATT&CK data", &dir)
}

/// `shared/` itself, with the releases and the corpora, under the same rule as [`data_dir`].
pub fn shared() -> Option<PathBuf> {
    data_dir()?;
    let root = shared_root();
    if root.join("corpora").is_dir() {
        return Some(root);
    }
    missing("corpora", &root.join("corpora"))
}

/// One corpus folder (`sigma`, `atomic-red-team`, `navigator-layers`...), under the same rule.
pub fn corpus(name: &str) -> Option<PathBuf> {
    let dir = shared()?.join("corpora").join(name);
    if dir.is_dir() {
        return Some(dir);
    }
    missing("the corpus", &dir)
}

/// Whether absent data fails the tests (`ATTACKDB_REQUIRE_DATA` is set).
pub fn required() -> bool {
    std::env::var_os("ATTACKDB_REQUIRE_DATA").is_some()
}

fn missing(what: &str, dir: &Path) -> Option<PathBuf> {
    assert!(
        !required(),
        "{what} is required (ATTACKDB_REQUIRE_DATA) but missing at {}",
        dir.display()
    );
    eprintln!(
        "\n!!! SKIPPING real-data test: no {what} at {} (set ATTACKDB_TEST_DATA) !!!\n",
        dir.display()
    );
    None
}
