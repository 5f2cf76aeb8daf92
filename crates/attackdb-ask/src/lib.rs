//! The questions attackdb answers, each one typed request and one function that answers it.
//! The CLI, REST, the web UI and Python translate their input into a request and render the
//! answer; every rule (which release, the cross-domain fallback, defaults, what a parameter
//! may be, what "nothing could be read" means) is decided here, once.
//!
//! A request is a plain struct (serde-deserialisable, every field defaulted); its function
//! checks it against the release (domain, release, platform, tactic, references) and returns
//! a typed answer, or an [`Error`] with a stable code that every front end shows alike.
//!
//! ```no_run
//! use attackdb_ask::{show, ShowRequest, Scope};
//! let kb = attackdb_kb::Kb::load(&["../shared/attack-stix-data".into()])?;
//! let shown = show(&kb, &ShowRequest { reference: "T0800".into(), ..ShowRequest::default() })?;
//! assert_eq!(shown.answer.found.dataset.domain(), attackdb_kb::Domain::Ics);
//! println!("{}", shown.notes.join("\n")); // T0800 is not in enterprise-attack 18.1; ...
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod coverage;
mod diff;
mod error;
mod intel;
mod layer;
mod migrate;
mod query;
mod scope;

pub use coverage::{
    coverage, parse_format, parse_level, parse_score, plan_coverage, read_rules, visibility,
    CoveragePlan, CoverageRequest, VisibilityRequest,
};
pub use diff::{diff, diff_document, DiffRequest};
pub use error::{echo, kb_code, Error, Kind, Result, ECHO_CHARS};
pub use intel::{
    attribute, emulate, evaluate_mapping, map, overlap, predict, profile, similar, Answered,
    AttributeRequest, EmulateRequest, MapEvaluationRequest, MapRequest, Observations,
    OverlapRequest, PredictRequest, ProfileRequest, SimilarRequest,
};
pub use layer::{
    combine, excel, export_layers, generate_batch, generate_layer, is_no_data, layer_dataset,
    parse_set_op, upgrade, valid_layers, validate, BatchRequest, BatchedLayer, CombineRequest,
    ExcelRequest, ExportRequest, Exported, GenerateRequest, Upgraded, Workbooks,
};
pub use migrate::{
    migrate_layer, migrate_rules, MigrateLayerRequest, MigrateRulesRequest, Migrated,
};
pub use query::{
    check_platform, check_tactic, find, list, matrix, relation, search, show, stats, ListRequest,
    Listed, MatrixAnswered, MatrixRequest, RelationAnswer, RelationRequest, SearchRequest,
    Searched, ShowRequest, Shown,
};
pub use scope::{
    each_domain, locate, newest_each, parse_domain, parse_release, required_release, Checked,
    Library, Located, Noted, Scope,
};
