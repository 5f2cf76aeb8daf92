//! The crate's one error type. A rule file that cannot be read is not an error of the run: it is
//! a [`crate::FileError`] in the ingestion result, and the run goes on.

use std::path::PathBuf;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a coverage run can fail with as a whole.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path given on the command line cannot be read at all.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A path given names no rule file (a file of another format, or an empty folder).
    #[error("{}: no rule files found (looked for {expected})", .path.display())]
    NoRules {
        /// The path.
        path: PathBuf,
        /// The file kinds looked for.
        expected: String,
    },
    /// A folder holds more rule files than [`crate::Limits::max_rule_files`] allows.
    #[error("{}: more than {limit} rule files (ATTACKDB_MAX_RULE_FILES raises the limit)", .path.display())]
    TooManyFiles {
        /// The path given.
        path: PathBuf,
        /// The limit.
        limit: usize,
    },
    /// A threat actor named by `--groups`, `--software` or `--campaigns` is unknown or of another
    /// kind.
    #[error("{query}: {reason}")]
    Actor {
        /// The ID or name given.
        query: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A visibility source file (a DeTT&CT data-source administration file) cannot be used.
    #[error("{}: {reason}", .path.display())]
    Sources {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A knowledge-base question failed.
    #[error(transparent)]
    Kb(#[from] attackdb_kb::Error),
    /// The Navigator layer could not be written.
    #[error(transparent)]
    Layer(#[from] attackdb_navigator::Error),
    /// JSON could not be written.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}
