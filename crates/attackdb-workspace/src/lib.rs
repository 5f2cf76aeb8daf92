//! The team's workspace: saved Navigator layers with every revision, coverage assessments over
//! time, Markdown notes on ATT&CK objects, users with roles and hashed API tokens, and an
//! append-only audit log, in one database: an embedded SQLite file by default, or a PostgreSQL
//! server that several `attackdb serve` replicas share.
//!
//! One code path serves both backends (sqlx's `Any` driver, SQL written once with `$N`
//! parameters). Every change is one transaction that also writes its audit entry; every
//! changeable object carries a version, and a change naming a stale one is refused
//! ([`Error::Conflict`]), never applied over the newer one. The schema is migrated at
//! [`Workspace::open`]; a newer schema than this program knows is refused.
//!
//! The crate sits above the libraries (it reads layers through `attackdb-navigator` and turns a
//! coverage answer into an assessment, [`assessment_from_coverage`]); none of them knows it.
//! Front ends check that a note's object exists.

mod assessments;
mod audit;
mod backup;
mod changes;
mod coverage;
mod deletion;
mod error;
mod layers;
mod mentions;
mod notes;
mod store;
mod time;
mod users;

pub use assessments::{
    Assessment, AssessmentSummary, NewAssessment, TacticResult, TechniqueResult,
};
pub use audit::AuditEntry;
pub use backup::{Export, EXPORT_FORMAT};
pub use changes::{
    compare_assessments, layer_changes, trend, AssessmentComparison, LayerChanges,
    TacticComparison, TechniqueChange, Trend, TrendPoint, TrendSeries,
};
pub use coverage::{assessment_from_coverage, fingerprint};
pub use error::{Error, Result};
pub use layers::{LayerQuery, LayerSummary, NewLayer, Revision, RevisionSummary, SavedLayer};
pub use mentions::{mentions_in, Mention};
pub use notes::{NewNote, Note};
pub use store::{redact, Backend, Workspace, SCHEMA_VERSION};
pub use time::{parse_timestamp, timestamp};
pub use users::{Actor, IssuedToken, Role, TokenInfo, User};
