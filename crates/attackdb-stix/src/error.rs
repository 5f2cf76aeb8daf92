//! The crate's one error type.

use std::path::PathBuf;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong reading a bundle. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The gzip stream is damaged or cut short.
    #[error("{path}: broken gzip data ({source}); the file may be truncated")]
    Gzip {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The bundle text (after decompression) is larger than [`crate::Limits::max_bundle_bytes`].
    #[error("{path}: the bundle text is larger than the limit of {limit} bytes (a gzip bomb, or not a bundle); set ATTACKDB_MAX_BUNDLE_BYTES (Limits::max_bundle_bytes) to raise it")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
    },
    /// The file is not UTF-8 text.
    #[error("{path}: not UTF-8 text (byte {offset})")]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// The JSON nests deeper than [`crate::Limits::max_json_depth`] (or serde_json's own
    /// [`crate::JSON_DEPTH_CEILING`]).
    #[error("{path}: {depth}")]
    TooDeep {
        /// The file.
        path: PathBuf,
        /// The limit and where it was passed.
        depth: crate::TooDeep,
    },
    /// The file is not valid JSON.
    #[error("{path}:{line}:{column}: invalid JSON: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// Valid JSON that is not a STIX bundle.
    #[error("{path}: not a STIX bundle: {message}")]
    NotABundle {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// An object of the bundle is malformed (missing `id`/`type`, a field of the wrong type).
    #[error("{path}:{line}:{column}: objects[{index}]: {message}")]
    BadObject {
        /// The file.
        path: PathBuf,
        /// Index of the object in the bundle's `objects` array.
        index: usize,
        /// 1-based line where the problem is.
        line: usize,
        /// 1-based column where the problem is.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// An object's export-only fields are not of the types ATT&CK gives them.
    #[error("{id}: {message}")]
    Details {
        /// The object's STIX ID.
        id: String,
        /// What the parser said.
        message: String,
    },
    /// A prebuilt index could not be used after the bundle was loaded from it.
    #[error("{path}: {message}")]
    Index {
        /// The prebuilt index.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A folder holds no ATT&CK bundle.
    #[error("{path}: no ATT&CK bundle (*.json or *.json.gz) found")]
    NoBundles {
        /// The folder.
        path: PathBuf,
    },
}
