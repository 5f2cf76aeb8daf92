//! Threat intelligence and adversary emulation over ATT&CK: profile a group, campaign or
//! software; find similar ones and their overlap; attribute observed techniques; predict the
//! techniques likely to come with them; and plan an emulation with Atomic Red Team tests.
//!
//! Every question is a function over one [`attackdb_kb::Dataset`] returning a typed answer
//! (`#[derive(Serialize)]`, the same shape for the CLI's `--json`, a REST server and web pages),
//! with renderers returning `String` (Markdown, HTML, YAML) or a Navigator layer.
//!
//! ```no_run
//! use attackdb_kb::Kb;
//! use attackdb_intel::{profile, ProfileOptions};
//! let kb = Kb::load(&["../shared/attack-stix-data".into()])?;
//! let enterprise = kb.select(attackdb_kb::Domain::Enterprise, Some(&"18.1".parse()?))?;
//! let apt29 = profile(enterprise, "APT29", &ProfileOptions::default())?;
//! assert_eq!(apt29.id, "G0016");
//! let markdown = apt29.to_markdown();
//! # let _ = markdown;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Library rules as elsewhere in attackdb: no printing, no environment reads, no panics on
//! input; the only I/O is reading the files a caller names (technique lists, an atomics folder).

#![warn(missing_docs)]

mod atomics;
mod attribute;
mod common;
mod corpus;
mod emulate;
mod error;
mod input;
mod map;
mod predict;
mod profile;
mod resolve;
mod similar;
mod yaml;

pub use atomics::{AtomicDependency, AtomicIndex, AtomicProblem, AtomicTest};
pub use attribute::{
    attribute, attribute_in, AttributeAnswer, AttributeOptions, AttributeResult, PartialMatch,
    ATTRIBUTION_NOTE,
};
pub use common::ObjectSummary;
pub use corpus::{technique_family, Actor, Corpus, TechIdx};
pub use emulate::{
    atomic_platform, emulate, emulate_dir, emulate_of, EmulateOptions, EmulationPlan,
    EmulationStep, Gap, PlannedAtomic, PlannedDependency,
};
pub use error::{Error, Result};
pub use input::{
    parse_technique_ids, parse_technique_text, read_technique_file, InputProblem, ListFormat,
    ProblemKind, TechniqueList,
};
pub use map::{
    evaluate_mapping, html_text, map_text, report_text, DocumentScores, Entity, Evidence, Format,
    MapAnswer, MapEvaluation, MapModel, MapOptions, MappedSentence, MappedTechnique, SentenceRef,
    SentenceScores, SentenceTechnique, MAP_NOTE, MAX_REPORT_BYTES,
};
pub use predict::{predict, predict_in, PredictAnswer, PredictMethod, PredictOptions, Prediction};
pub use profile::{
    profile, profile_of, Addressing, Procedure, Profile, ProfileCampaign, ProfileOptions,
    ProfileSoftware, ProfileTechnique, TacticTechniques,
};
pub use resolve::{kind_name, resolve, ACTOR_KINDS};
pub use similar::{
    overlap, similar, similar_in, Measure, OverlapAnswer, OverlapObject, OverlapTechnique,
    SimilarAnswer, SimilarOptions, SimilarResult,
};
