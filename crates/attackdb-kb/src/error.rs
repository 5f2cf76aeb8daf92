//! The crate's one error type: user errors (unknown ID, missing data) and load errors.

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a knowledge-base operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bundle could not be read.
    #[error(transparent)]
    Stix(#[from] attackdb_stix::Error),
    /// No object matches the query.
    #[error("{}: not found{}", echo(.query), suggestion_text(.suggestions))]
    NotFound {
        /// What was asked for.
        query: String,
        /// Close matches, best first.
        suggestions: Vec<String>,
    },
    /// No loaded dataset for the domain / release asked for.
    #[error("no {domain} data{} is loaded{}", release_text(.release), available_text(.available))]
    NoDataset {
        /// The domain asked for.
        domain: String,
        /// The release asked for, if any.
        release: Option<String>,
        /// What is loaded, as `domain release`.
        available: Vec<String>,
    },
    /// The platform is not one of the release's.
    #[error("unknown platform `{platform}` in {release}: expected one of {}", .known.join(", "))]
    UnknownPlatform {
        /// The platform given.
        platform: String,
        /// The release (`enterprise-attack 18.1`).
        release: String,
        /// The release's platforms.
        known: Vec<String>,
    },
    /// The relation name is not one of the families.
    #[error("unknown relation `{name}`{}", suggestion_text(.suggestions))]
    UnknownRelation {
        /// The name given.
        name: String,
        /// Close names.
        suggestions: Vec<String>,
    },
    /// The object exists but is not of the kind the question needs.
    #[error("{id} is {}, but {relation} needs {expected}", with_article(.actual))]
    WrongKind {
        /// The object named.
        id: String,
        /// Its kind.
        actual: String,
        /// The kind needed, with its article (`a group or a software`).
        expected: String,
        /// The question.
        relation: String,
    },
    /// A question that cannot be asked as put (an unknown kind, a filter that does not apply).
    #[error("{0}")]
    BadQuery(String),
    /// A timestamp could not be read.
    #[error("`{0}` is not a date: expected YYYY-MM-DD or an RFC 3339 timestamp")]
    BadDate(String),
}

/// The most characters of a value a message echoes; longer ones are cut with an ellipsis.
pub const ECHO_CHARS: usize = 200;

/// `value` as a message echoes it: at most [`ECHO_CHARS`] characters, then an ellipsis.
pub fn echo(value: &str) -> std::borrow::Cow<'_, str> {
    match value.char_indices().nth(ECHO_CHARS) {
        None => std::borrow::Cow::Borrowed(value),
        Some((at, _)) => std::borrow::Cow::Owned(format!("{}…", &value[..at])),
    }
}

pub(crate) fn with_article(word: &str) -> String {
    let article = if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {word}")
}

fn suggestion_text(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", suggestions.join(", "))
    }
}

fn release_text(release: &Option<String>) -> String {
    release
        .as_ref()
        .map(|r| format!(" for release {r}"))
        .unwrap_or_default()
}

fn available_text(available: &[String]) -> String {
    if available.is_empty() {
        " (nothing is loaded)".to_string()
    } else {
        format!(" (loaded: {})", available.join(", "))
    }
}
