//! ATT&CK STIX 2.0 / 2.1 wire model and bundle loader: the only crate that knows STIX field names.
//!
//! A bundle is read whole (plain `.json` or gzip `.json.gz`), its objects are parsed into
//! [`StixObject`]s that keep the fields ATT&CK queries need, and every object keeps the byte
//! range of its original JSON inside [`Bundle::text`] so it can be served back exactly.
//!
//! ```no_run
//! let bundle = attackdb_stix::load_bundle(std::path::Path::new("enterprise-attack-18.1.json.gz"))?;
//! println!("{} objects, domain {:?}", bundle.objects.len(), bundle.domain);
//! # Ok::<(), attackdb_stix::Error>(())
//! ```

mod bundle;
mod cache;
mod depth;
mod details;
mod domain;
mod error;
mod fields;
mod message;
mod object;
mod objects;
mod read;
mod text;

pub use bundle::{
    discover_bundles, load_bundle, load_bundle_limited, load_bundle_scanned, parse_bundle,
    parse_bundle_scanned, Bundle, Collection, Diagnostic, DiagnosticKind,
};
pub use cache::{
    index_paths, open_index, unreadable_index_warning, write_index, BundleFile, CacheOutcome,
    IndexedBundle, FORMAT_VERSION, INDEX_SUFFIX,
};
pub use depth::{
    check_json_depth, from_str_within, too_deep_in_parse, JsonError, TooDeep, JSON_DEPTH_CEILING,
};
pub use details::{ObjectDetails, RelatedAsset};
pub use domain::{BadRelease, Domain, Release, UnknownDomain};
pub use error::{Error, Result};
pub use message::{clip_quoted, clip_quoted_at};
pub use object::{
    ExternalReference, KillChainPhase, LogSource, LogSourceReference, ObjectType, StixObject,
};
pub use objects::{Iter as ObjectsIter, Objects};
pub use read::{read_bounded, read_text, read_text_limited, BoundedReadError, Limits};
pub use text::BundleText;

/// The `source_name`s of `external_references` entries that carry an ATT&CK ID.
pub const ATTACK_SOURCE_NAMES: [&str; 3] =
    ["mitre-attack", "mitre-mobile-attack", "mitre-ics-attack"];
