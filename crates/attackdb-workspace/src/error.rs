//! The workspace's one error type.

/// What went wrong with a workspace request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such object (or it was deleted).
    #[error("no {kind} {id} in the workspace")]
    NotFound {
        /// `layer`, `note`, `assessment`, `user`, `revision`.
        kind: &'static str,
        /// What was asked for.
        id: String,
    },
    /// A write named a version that is no longer the object's.
    #[error("{kind} {id} is at version {current}, not {given}: it changed since it was read")]
    Conflict {
        /// The object's kind.
        kind: &'static str,
        /// Its ID.
        id: i64,
        /// The version the write expected.
        given: i64,
        /// The version it is at.
        current: i64,
    },
    /// A write that names no version to replace.
    #[error("a change of {kind} {id} must name the version it replaces (If-Match or \"version\")")]
    VersionRequired {
        /// The object's kind.
        kind: &'static str,
        /// Its ID.
        id: i64,
    },
    /// The actor's role does not allow it.
    #[error("{user} ({role}) may not {action}")]
    Forbidden {
        /// Who asked.
        user: String,
        /// Their role.
        role: &'static str,
        /// What they asked to do.
        action: &'static str,
    },
    /// The request itself is wrong (an invalid layer, an empty name...).
    #[error("{0}")]
    Invalid(String),
    /// Something of that name already exists.
    #[error("{kind} {name} already exists")]
    Exists {
        /// Its kind.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// The database's schema is newer than this program knows: it is never altered.
    #[error(
        "the workspace database is at schema version {found}; this attackdb knows up to {known}"
    )]
    SchemaTooNew {
        /// The database's version.
        found: i64,
        /// The newest this program knows.
        known: i64,
    },
    /// The database cannot take writes now (read-only, disk full) or cannot be reached.
    #[error("the workspace cannot {doing}: {reason}")]
    Unavailable {
        /// What it was doing (`save`, `open`...).
        doing: &'static str,
        /// The database's reason, one line.
        reason: String,
    },
    /// A database error of no kind above.
    #[error("workspace database error: {0}")]
    Database(String),
}

/// A workspace result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The stable code front ends report (`not_found`, `conflict`...).
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => "not_found",
            Error::Conflict { .. } => "conflict",
            Error::VersionRequired { .. } => "version_required",
            Error::Forbidden { .. } => "forbidden",
            Error::Invalid(_) => "invalid",
            Error::Exists { .. } => "exists",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::Unavailable { .. } => "workspace_unavailable",
            Error::Database(_) => "database",
        }
    }

    /// Maps a database error met while `doing` something: read-only files, full disks and
    /// lost connections are [`Error::Unavailable`]; unique keys are the caller's to name.
    pub(crate) fn from_db(doing: &'static str, error: sqlx::Error) -> Error {
        let reason = one_line(&error.to_string());
        let lower = reason.to_lowercase();
        let unavailable = matches!(
            error,
            sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Tls(_)
        ) || [
            "readonly",
            "read-only",
            "read only",
            "disk is full",
            "disk full",
            "disk i/o error",
            "no space",
            "database is locked",
            "unable to open",
            "could not extend",
            "connection",
        ]
        .iter()
        .any(|m| lower.contains(m));
        if unavailable {
            Error::Unavailable { doing, reason }
        } else {
            Error::Database(reason)
        }
    }
}

/// Whether `error` is a unique-key violation.
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            db.is_unique_violation() || db.message().to_lowercase().contains("unique")
        }
        _ => false,
    }
}

fn one_line(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 300 {
        let cut: String = line.chars().take(300).collect();
        format!("{cut}…")
    } else {
        line
    }
}
