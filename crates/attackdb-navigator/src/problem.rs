//! Problems found in a layer, each with the JSON path of the value it is about, and the crate's
//! error type.

use std::fmt;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The layer breaks the format: it is invalid, and is not upgraded or written.
    Error,
    /// The layer is valid but something is likely wrong (an unknown or revoked technique...).
    Warning,
    /// Information: what an upgrade changed, unknown fields kept.
    Note,
}

impl Severity {
    /// `error`, `warning` or `note`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One problem: where (a JSON path such as `techniques[12].score`), how bad, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The JSON path inside the file: `$` for a whole single layer, `[2]` for the third layer of a
    /// list, `[2].techniques[0].score` inside it.
    pub path: String,
    /// How bad.
    pub severity: Severity,
    /// What is wrong, lower case, no trailing period.
    pub message: String,
}

impl Problem {
    /// An error at `path`.
    pub fn error(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            severity: Severity::Error,
            message: message.into(),
        }
    }

    /// A warning at `path`.
    pub fn warning(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            severity: Severity::Warning,
            message: message.into(),
        }
    }

    /// A note at `path`.
    pub fn note(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            severity: Severity::Note,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a layer operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// CSV could not be written.
    #[error("cannot write CSV: {0}")]
    Csv(String),
    /// The text is not JSON.
    #[error("not JSON: {message} at line {line}, column {column}")]
    NotJson {
        /// serde_json's message.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The JSON nests deeper than [`crate::Limits::max_json_depth`].
    #[error("{0}")]
    TooDeep(attackdb_kb::stix::TooDeep),
    /// The JSON is neither a layer object nor a list of them.
    #[error("$: expected a layer object or a list of layers, found {found}")]
    NotALayer {
        /// What was found (`a string`, `a number`...).
        found: String,
    },
    /// A layer has errors and cannot be used for what was asked.
    #[error("{} is invalid: {}", .layer, .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid {
        /// Which layer (`$`, `[2]`) or file.
        layer: String,
        /// Its errors.
        problems: Vec<Problem>,
    },
    /// A score expression could not be parsed or evaluated.
    #[error("score expression: {0}")]
    Expression(String),
    /// The input is larger than a bound of [`crate::Limits`] allows.
    #[error("{0}")]
    TooLarge(String),
    /// Layers to combine disagree or are missing.
    #[error("{0}")]
    Combine(String),
    /// A generator was asked for something it cannot do.
    #[error("{0}")]
    Generate(String),
    /// A knowledge-base lookup failed (unknown object...).
    #[error(transparent)]
    Kb(#[from] attackdb_kb::Error),
    /// Writing a workbook failed.
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// Serializing JSON failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}
