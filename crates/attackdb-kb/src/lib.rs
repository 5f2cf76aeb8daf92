//! The ATT&CK knowledge base: every loaded domain and release, indexed once, queried many times.
//!
//! [`Kb::load`] reads bundles (see `attackdb-stix`), builds one immutable [`Dataset`] per domain
//! and release, and every question (listers, lookups, relationship families, the 18.x detection
//! chain, search) is a method on a `Dataset`. Answers follow mitreattack-python's
//! `MitreAttackData` rules: a relationship counts only when neither it nor the related object is
//! revoked or deprecated; a group's techniques and software include those of its campaigns.
//!
//! The root holds what every user of the crate needs: [`Kb`], [`Dataset`] and its handles
//! ([`ObjId`], [`Link`], [`RelKind`]), the relationship families ([`Relation`]), [`Concept`],
//! the loaders, [`Error`], and the STIX layer's everyday types ([`Domain`], [`Release`],
//! [`ObjectType`], [`StixObject`]). The rest lives in a module per question family:
//! [`answer`] (the JSON answer documents every front end prints), [`diff`] (release diffs and
//! their reports), [`detection`] (the 18.x detection chain), [`matrix`], [`search`], [`markup`]
//! (ATT&CK's text for a terminal or a page) and [`stix`] (the STIX layer itself).
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

pub mod answer;
mod concept;
mod dataset;
pub mod detection;
pub mod diff;
mod error;
mod family;
mod kb;
pub mod markup;
pub mod matrix;
mod query;
mod relations;
pub mod search;
mod tables;
mod text;

/// The STIX layer this crate reads (`attackdb-stix`): bundles, objects, the JSON reader's limits.
/// Its everyday types (domain, release, object type and the objects) are also at this root.
pub use attackdb_stix as stix;

pub use attackdb_stix::{Domain, ObjectDetails, ObjectType, Objects, Release, StixObject};
pub use concept::{Concept, Visibility};
pub use dataset::{kind_name, status_name, Dataset, Link, ObjId, RelKind, ScannedBundle};
pub use error::{echo, Error, Result, ECHO_CHARS};
pub use family::{Relation, RelationMap};
pub use kb::{load_dataset_cached, load_dataset_cached_limited, CachedDataset, Kb};
pub use query::{normalize_timestamp, RENAMED_TACTICS};
