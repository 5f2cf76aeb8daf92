//! The data home, read only, as `attackdb data fetch` lays it out:
//! `$ATTACKDB_HOME` (default: the user data directory + `attackdb`), releases under
//! `releases/DOMAIN/DOMAIN-X.Y.json[.gz]`, prebuilt indexes of bundles kept elsewhere under
//! `index/`.
//!
//! A minimal copy of the CLI's lookup (`crates/attackdb/src/home.rs`) until the data home moves
//! into its own crate (`attackdb-data`); this crate then uses that one.

use std::path::PathBuf;

use pyo3::exceptions::PyFileNotFoundError;
use pyo3::prelude::*;

/// The data home: `ATTACKDB_HOME` if set and not empty, else `attackdb` in the user data
/// directory.
pub fn locate() -> PyResult<PathBuf> {
    if let Some(value) = std::env::var_os("ATTACKDB_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(value));
    }
    dirs::data_dir()
        .map(|dir| dir.join("attackdb"))
        .ok_or_else(|| {
            PyFileNotFoundError::new_err(
                "cannot find the user data directory for the data home; set ATTACKDB_HOME to a folder",
            )
        })
}

/// The folder of held releases.
pub fn releases_dir(home: &std::path::Path) -> PathBuf {
    home.join("releases")
}

/// The folder for prebuilt indexes of bundles in folders that cannot be written.
pub fn index_dir(home: &std::path::Path) -> PathBuf {
    home.join("index")
}

/// The data home's folder (it may not exist yet).
#[pyfunction]
pub fn data_home() -> PyResult<PathBuf> {
    locate()
}
