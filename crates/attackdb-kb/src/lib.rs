//! The ATT&CK knowledge base: every loaded domain and release, indexed once, queried many times.
//!
//! [`Kb::load`] reads bundles (see `attackdb-stix`), builds one immutable [`Dataset`] per domain
//! and release, and every question (listers, lookups, relationship families, the 18.x detection
//! chain, search) is a method on a `Dataset`. Answers follow mitreattack-python's
//! `MitreAttackData` rules: a relationship counts only when neither it nor the related object is
//! revoked or deprecated; a group's techniques and software include those of its campaigns.
//!
//! ```no_run
//! use attackdb_kb::{Kb, Relation};
//! let kb = Kb::load(&["../shared/attack-stix-data".into()])?;
//! let enterprise = kb.select(attackdb_kb::Domain::Enterprise, None)?;
//! let apt29 = enterprise.lookup("G0016")?;
//! for technique in enterprise.related(Relation::TechniquesUsedByGroup, apt29) {
//!     println!("{}", enterprise.display_id(technique));
//! }
//! # Ok::<(), attackdb_kb::Error>(())
//! ```

mod answer;
mod concept;
mod dataset;
mod detection;
mod diff;
mod diff_report;
mod error;
mod family;
mod kb;
mod markup;
mod matrix;
mod query;
mod relations;
mod search;
mod tables;
mod text;

pub use answer::{
    also_answer, also_named_note, analytic_answer, detection_answer, full_answer,
    full_answer_named, list_objects, matrix_answer, related_answer, related_ids, stats_answer,
    to_json_pretty, AnalyticAnswer, Counts, DiagnosticAnswer, FullAnswer, ListQuery,
    LogSourceAnswer, MatrixColumnAnswer, MatrixTactic, MatrixTechnique, Named, ObjectSummary,
    RelatedFamily, SearchResult, StatsAnswer, StatsEntry, StrategyAnswer,
};
pub use attackdb_stix::{
    clip_quoted, clip_quoted_at, from_str_within, Bundle, CacheOutcome, Diagnostic, Domain,
    JsonError, ObjectDetails, ObjectType, Objects, RelatedAsset, Release, StixObject, TooDeep,
    JSON_DEPTH_CEILING,
};
pub use concept::{Concept, Visibility};
pub use dataset::{kind_name, status_name, Dataset, Link, ObjId, RelKind, ScannedBundle};
pub use detection::{AnalyticDetail, DetectionChain, LogSourceUse, StrategyDetail};
pub use diff::{diff_releases, Category, Change, DiffType, DomainDiff, RelatedChange, TypeDiff};
pub use diff_report::{
    diff_answer, diff_html, diff_markdown, summary_line, AddedDropped, ChangeDetail, DiffAnswer,
    TypeDiffAnswer,
};
pub use error::{echo, Error, Result, ECHO_CHARS};
pub use family::{Relation, RelationMap};
pub use kb::{load_dataset_cached, load_dataset_cached_limited, CachedDataset, Kb};
pub use markup::{escape_markup, terminal_text, TerminalText};
pub use matrix::{Matrix, MatrixColumn, MatrixOptions, MatrixRow};
pub use query::{normalize_timestamp, RENAMED_TACTICS};
pub use search::{SearchHit, MAX_SEARCH_WORDS};
