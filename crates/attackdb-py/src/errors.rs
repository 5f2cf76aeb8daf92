//! Rust errors as Python exceptions: missing files are `FileNotFoundError` (and the other
//! `OSError`s as the OS says), unreadable bundles and unknown names `ValueError`.

use pyo3::exceptions::{
    PyFileNotFoundError, PyIsADirectoryError, PyOSError, PyPermissionError, PyValueError,
};
use pyo3::PyErr;

/// A bundle that could not be read, as the Python exception a script expects.
pub fn stix_error(error: attackdb_stix::Error) -> PyErr {
    use attackdb_stix::Error;
    let message = error.to_string();
    match &error {
        Error::Io { source, .. } => match source.kind() {
            std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
            std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
            std::io::ErrorKind::IsADirectory => PyIsADirectoryError::new_err(message),
            _ => PyOSError::new_err(message),
        },
        Error::NoBundles { .. } => PyFileNotFoundError::new_err(message),
        _ => PyValueError::new_err(message),
    }
}

/// A knowledge-base error as a Python exception.
pub fn kb_error(error: attackdb_kb::Error) -> PyErr {
    match error {
        attackdb_kb::Error::Stix(error) => stix_error(error),
        other => PyValueError::new_err(other.to_string()),
    }
}

/// A Navigator layer error as a Python exception.
pub fn navigator_error(error: attackdb_navigator::Error) -> PyErr {
    PyValueError::new_err(error.to_string())
}

/// A coverage error as a Python exception, with `message`: unreadable paths are `OSError`s as
/// the OS says, a path with no rule file `FileNotFoundError`.
fn coverage_exception(error: &attackdb_coverage::Error, message: String) -> PyErr {
    match error {
        attackdb_coverage::Error::Io { source, .. } => match source.kind() {
            std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
            std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
            _ => PyOSError::new_err(message),
        },
        attackdb_coverage::Error::NoRules { .. } => PyFileNotFoundError::new_err(message),
        _ => PyValueError::new_err(message),
    }
}

/// An error of opening data (through `attackdb-data`, as the CLI opens it) as a Python
/// exception: no data at all is `FileNotFoundError`, with the CLI's hint.
pub fn data_error(error: attackdb_data::Error) -> PyErr {
    match error {
        attackdb_data::Error::Kb(error) => kb_error(error),
        attackdb_data::Error::Stix(error) => stix_error(error),
        attackdb_data::Error::NoData(no_data) => {
            PyFileNotFoundError::new_err(format!("{no_data}; {}", no_data.hint()))
        }
        attackdb_data::Error::Home(message) => PyFileNotFoundError::new_err(message),
        other => PyValueError::new_err(other.to_string()),
    }
}

/// A question's error as a Python exception: the errors of reading rules as
/// [`coverage_exception`] says, the rest `ValueError`s.
pub fn ask_error(error: attackdb_ask::Error) -> PyErr {
    use std::error::Error as _;
    let message = error.message.clone();
    match error
        .source()
        .and_then(|s| s.downcast_ref::<attackdb_coverage::Error>())
    {
        Some(coverage) => coverage_exception(coverage, message),
        None => PyValueError::new_err(message),
    }
}
