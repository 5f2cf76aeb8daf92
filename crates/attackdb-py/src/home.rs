//! The data home as `attackdb data fetch` lays it out, through `attackdb-data` (the same
//! rule as the CLI: `$ATTACKDB_HOME`, else the user data directory + `attackdb`).

use std::path::PathBuf;

use pyo3::exceptions::PyFileNotFoundError;
use pyo3::prelude::*;

/// The data home: `ATTACKDB_HOME` if set and not empty, else `attackdb` in the user data
/// directory.
pub fn locate() -> PyResult<PathBuf> {
    let settings = attackdb_data::Settings::from_vars(|name| std::env::var_os(name))
        .map_err(|e| PyFileNotFoundError::new_err(e.to_string()))?;
    settings
        .home()
        .map(|home| home.root.clone())
        .map_err(|e| PyFileNotFoundError::new_err(e.to_string()))
}

/// The data home's folder (it may not exist yet).
#[pyfunction]
pub fn data_home() -> PyResult<PathBuf> {
    locate()
}
