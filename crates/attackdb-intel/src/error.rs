//! The crate's one error type: bad references, bad input files, and errors of the crates below.

use std::path::PathBuf;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything an intelligence question can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No object of the kinds asked for has this ID, name or alias.
    #[error("{query}: no {expected} has this ID, name or alias{}", suggestion_text(.suggestions))]
    UnknownReference {
        /// The reference as given.
        query: String,
        /// The kinds that were looked for, e.g. `group, campaign or software`.
        expected: String,
        /// Close names, best first.
        suggestions: Vec<String>,
    },
    /// Several objects carry this name or alias.
    #[error("{query} is ambiguous: it names {}; use an ATT&CK ID", .candidates.join(", "))]
    AmbiguousReference {
        /// The reference as given.
        query: String,
        /// Every object it could mean, as `ID name (kind)`, sorted.
        candidates: Vec<String>,
    },
    /// The reference names an object of another kind.
    #[error("{query} is {actual} {id}, but a {expected} is needed")]
    WrongKind {
        /// The reference as given.
        query: String,
        /// The object's ATT&CK ID.
        id: String,
        /// What it is, with an article (`a technique`).
        actual: String,
        /// What was needed.
        expected: String,
    },
    /// The reference names a revoked or deprecated object.
    #[error("{query} is {id}, which is {state}{}", replacement_text(.replacement))]
    Retired {
        /// The reference as given.
        query: String,
        /// The object's ATT&CK ID.
        id: String,
        /// `revoked` or `deprecated`.
        state: &'static str,
        /// The object that replaces it, if any.
        replacement: Option<String>,
    },
    /// A question that needs at least one observed technique got none that could be used.
    #[error("no usable technique in the input{}", detail_text(.detail))]
    NoTechniques {
        /// Why, e.g. the problems of the input list.
        detail: String,
    },
    /// A question that needs two or more references got fewer.
    #[error("{0}")]
    BadOptions(String),
    /// A technique list could not be read at all (a layer that is not JSON, ...).
    #[error("{what}: {message}")]
    BadInput {
        /// The input (file name or `input`).
        what: String,
        /// What is wrong, one line.
        message: String,
    },
    /// A file or folder could not be read.
    #[error("{}: {message}", .path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The reason, one line.
        message: String,
    },
    /// An error of the knowledge base.
    #[error(transparent)]
    Kb(#[from] attackdb_kb::Error),
    /// An error of the layer crate.
    #[error(transparent)]
    Navigator(#[from] attackdb_navigator::Error),
    /// An answer could not be written out (JSON or YAML).
    #[error("cannot write the {format} output: {message}")]
    Output {
        /// `JSON` or `YAML`.
        format: &'static str,
        /// The serializer's message.
        message: String,
    },
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(path: &std::path::Path, error: &std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            message: error.to_string(),
        }
    }
}

fn suggestion_text(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", suggestions.join(", "))
    }
}

fn replacement_text(replacement: &Option<String>) -> String {
    match replacement {
        Some(id) => format!("; use {id} instead"),
        None => String::new(),
    }
}

fn detail_text(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}
