//! The one error of every question: a kind (which the front ends map to an exit code or an
//! HTTP status), a stable code, a one-line message with echoed values cut, and a hint.

use std::fmt;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What sort of failure an [`Error`] is; REST maps each to one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The object, release or family asked for does not exist (404).
    NotFound,
    /// A parameter cannot be read or names nothing valid (400).
    BadRequest,
    /// An input document (a layer, a rule set) is not valid (422).
    Invalid,
    /// Something outside the question failed (500).
    Internal,
}

/// Why a question could not be answered.
#[derive(Debug)]
pub struct Error {
    /// Its sort.
    pub kind: Kind,
    /// A stable code: `not_found`, `unknown_release`, `unknown_family`, `unknown_kind`,
    /// `wrong_kind`, `bad_parameter`, `invalid_input`, `nothing_read`, `not_configured`,
    /// `internal`.
    pub code: &'static str,
    /// What went wrong, one line; quoted values of more than [`ECHO_CHARS`] characters cut.
    pub message: String,
    /// What to do about it, when there is something obvious.
    pub hint: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

pub use attackdb_kb::ECHO_CHARS;

impl Error {
    /// An error of `kind` with `code` and `message` (its long quoted values cut).
    pub fn new(kind: Kind, code: &'static str, message: impl Into<String>) -> Error {
        Error {
            kind,
            code,
            message: attackdb_kb::stix::clip_quoted_at(&message.into(), ECHO_CHARS),
            hint: None,
            source: None,
        }
    }

    /// A parameter that cannot be read; `message` names it.
    pub fn bad_parameter(message: impl Into<String>) -> Error {
        Error::new(Kind::BadRequest, "bad_parameter", message)
    }

    /// An input document that is not valid.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(Kind::Invalid, "invalid_input", message)
    }

    /// A failure outside the question.
    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(Kind::Internal, "internal", message)
    }

    /// With a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    /// With the underlying error kept as the source (front ends read it for their own hints).
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.source = Some(Box::new(source));
        self
    }

    /// The message with `parameter` named first (`` `platform`: ... ``), when it is not already.
    pub fn for_parameter(mut self, parameter: &str) -> Error {
        let named = format!("`{parameter}`");
        if !self.message.starts_with(&named) {
            self.message = format!("{named}: {}", self.message);
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// `value` cut to [`ECHO_CHARS`] characters (its first ones and an ellipsis), for messages
/// that echo what was given.
pub fn echo(value: &str) -> String {
    attackdb_kb::echo(value).into_owned()
}

/// The kind and code of a knowledge-base error (the one mapping, for the front ends that hold
/// such an error by reference).
pub fn kb_code(error: &attackdb_kb::Error) -> (Kind, &'static str) {
    use attackdb_kb::Error as E;
    match error {
        E::NotFound { .. } => (Kind::NotFound, "not_found"),
        E::NoDataset { .. } => (Kind::NotFound, "unknown_release"),
        E::UnknownRelation { .. } => (Kind::NotFound, "unknown_family"),
        E::WrongKind { .. } => (Kind::BadRequest, "wrong_kind"),
        E::UnknownPlatform { .. } | E::BadDate(_) | E::BadQuery(_) => {
            (Kind::BadRequest, "bad_parameter")
        }
        E::Stix(_) => (Kind::Internal, "internal"),
    }
}

impl From<attackdb_kb::Error> for Error {
    fn from(error: attackdb_kb::Error) -> Error {
        use attackdb_kb::Error as E;
        let (kind, code) = kb_code(&error);
        let hint = match &error {
            E::NotFound { .. } => Some("search finds objects by name or description"),
            E::NoDataset { .. } => Some("the releases list says what is loaded"),
            E::UnknownRelation { .. } => {
                Some("`attackdb relation --help` and the API's openapi.json list the families")
            }
            _ => None,
        };
        let mut out = Error::new(kind, code, error.to_string());
        out.hint = hint.map(str::to_string);
        out.with_source(error)
    }
}

impl From<attackdb_intel::Error> for Error {
    fn from(error: attackdb_intel::Error) -> Error {
        use attackdb_intel::Error as E;
        match error {
            E::Kb(error) => error.into(),
            E::Navigator(error) => error.into(),
            E::UnknownReference { .. } => {
                Error::new(Kind::NotFound, "not_found", error.to_string()).with_source(error)
            }
            E::Io { .. } => {
                Error::new(Kind::Invalid, "unreadable", error.to_string()).with_source(error)
            }
            E::BadInput { .. } => Error::invalid(error.to_string()).with_source(error),
            E::Output { .. } => Error::internal(error.to_string()).with_source(error),
            _ => Error::bad_parameter(error.to_string()).with_source(error),
        }
    }
}

impl From<attackdb_navigator::Error> for Error {
    fn from(error: attackdb_navigator::Error) -> Error {
        use attackdb_navigator::Error as E;
        match error {
            E::Kb(error) => error.into(),
            E::Generate(_) | E::Expression(_) => {
                Error::bad_parameter(error.to_string()).with_source(error)
            }
            E::Xlsx(_) | E::Json(_) | E::Csv(_) => {
                Error::internal(error.to_string()).with_source(error)
            }
            _ => Error::invalid(error.to_string()).with_source(error),
        }
    }
}

impl From<attackdb_coverage::Error> for Error {
    fn from(error: attackdb_coverage::Error) -> Error {
        use attackdb_coverage::Error as E;
        match error {
            E::Kb(error) => error.into(),
            E::Layer(error) => error.into(),
            E::Actor { .. } => {
                Error::new(Kind::NotFound, "not_found", error.to_string()).with_source(error)
            }
            E::Io { .. } | E::NoRules { .. } => {
                Error::new(Kind::Invalid, "unreadable", error.to_string()).with_source(error)
            }
            _ => Error::invalid(error.to_string()).with_source(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_echoed_values_are_cut() {
        let long = "x".repeat(20_000);
        let error = Error::bad_parameter(format!("`{long}` is not a tactic"));
        assert!(error.message.chars().count() < 300, "{}", error.message);
        assert!(echo(&long).chars().count() == ECHO_CHARS + 1);
        assert_eq!(echo("T1059"), "T1059");
    }

    #[test]
    fn a_parameter_is_named_once() {
        let error = Error::bad_parameter("unknown platform `Amiga`").for_parameter("platform");
        assert_eq!(error.message, "`platform`: unknown platform `Amiga`");
        let again = error.for_parameter("platform");
        assert_eq!(again.message, "`platform`: unknown platform `Amiga`");
    }
}
