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

/// The PostgreSQL server the workspace tests use (`ATTACKDB_TEST_POSTGRES`, a URL whose user
/// may create databases), or `None` with a loud message; `ATTACKDB_REQUIRE_POSTGRES` (set by
/// `.ci/run`, which starts a server) makes its absence a failure.
pub fn postgres_url() -> Option<String> {
    match std::env::var("ATTACKDB_TEST_POSTGRES") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("ATTACKDB_REQUIRE_POSTGRES").is_none(),
                "PostgreSQL is required (ATTACKDB_REQUIRE_POSTGRES) but ATTACKDB_TEST_POSTGRES is not set"
            );
            eprintln!(
                "\n!!! SKIPPING PostgreSQL test: set ATTACKDB_TEST_POSTGRES=postgres://USER:PASS@HOST/postgres !!!\n"
            );
            None
        }
    }
}

/// A new, empty database on the test server ([`postgres_url`]), made with `psql`; its URL.
/// `None` (loudly) without a server; a server that refuses is a failure.
pub fn fresh_postgres_database(prefix: &str) -> Option<String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let url = postgres_url()?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    );
    let status = std::process::Command::new("psql")
        .arg(&url)
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(format!("CREATE DATABASE {name}"))
        .status();
    assert!(
        status.as_ref().is_ok_and(|s| s.success()),
        "psql could not create database {name} on {url}: {status:?}"
    );
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url.as_str(), String::new()),
    };
    let server = match base.rfind('/') {
        Some(slash) if slash > base.find("://").map_or(0, |s| s + 2) => &base[..slash],
        _ => base,
    };
    Some(format!("{server}/{name}{query}"))
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
