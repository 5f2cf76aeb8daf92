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
//! let enterprise = kb.select(Some("enterprise"), None)?;
//! let apt29 = enterprise.lookup("G0016")?;
//! for technique in enterprise.related(Relation::TechniquesUsedByGroup, apt29) {
//!     println!("{}", enterprise.display_id(technique));
//! }
//! # Ok::<(), attackdb_kb::Error>(())
//! ```

mod concept;
mod dataset;
mod detection;
mod diff;
mod error;
mod kb;
mod query;
mod relations;
mod search;
mod tables;

pub use attackdb_stix::{Bundle, CacheOutcome, Diagnostic, ObjectType, Objects, StixObject};
pub use concept::{Concept, Visibility};
pub use dataset::{Dataset, Link, ObjId, RelKind};
pub use detection::{AnalyticDetail, DetectionChain, StrategyDetail};
pub use diff::{diff_releases, Category, Change, DiffType, DomainDiff, RelatedChange, TypeDiff};
pub use error::{Error, Result};
pub use kb::{load_dataset_cached, normalize_domain, CachedDataset, Kb};
pub use relations::{Relation, RelationMap};
pub use search::SearchHit;
