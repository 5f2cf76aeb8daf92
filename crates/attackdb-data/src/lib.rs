//! Getting and opening ATT&CK data, for every front end (CLI, server, Python): the data home
//! and its manifest, MITRE's release catalogue and its mirrors, fetching with retries and
//! verification, and opening data sources as a [`attackdb_kb::Kb`] with prefiltering and the
//! prebuilt index.
//!
//! It never prints and never reads the environment: progress and warnings go through
//! [`Progress`], and configuration is [`Settings`] and [`HttpConfig`], which the front ends
//! fill (from the environment through `from_vars`, handed the lookup).
//!
//! ```no_run
//! use attackdb_data::{open, Need, OpenOptions, Settings, Silent, Sources};
//! use attackdb_kb::Domain;
//! let settings = Settings::from_vars(|name| std::env::var_os(name))?;
//! let sources = Sources::require(&["../shared/attack-stix-data".into()], &settings)?;
//! let need = Need::One { domain: Domain::Enterprise, release: None };
//! let kb = open(&sources, &need, &OpenOptions::new(true, &settings), &Silent)?;
//! println!("{} datasets", kb.datasets().len());
//! # Ok::<(), attackdb_data::Error>(())
//! ```

mod catalogue;
mod check;
mod error;
mod fetch;
mod home;
mod location;
mod open;
mod progress;
mod settings;
mod transfer;

pub use catalogue::{Catalogue, Offered, Wanted};
pub use check::{check_bundle, check_bundle_limited, BundleRelease};
pub use error::{human_bytes, io_error, Error, FetchError, NoData, Result};
pub use fetch::{
    fetch, import, newest_held, releases, status, DomainRelease, Failed, OfferedRelease,
    ReleasesAnswer, Report, StatusAnswer,
};
pub use home::{utc_timestamp, Held, Home, HomeFrom, Pending, Record};
pub use location::Location;
pub use open::{named_releases, open, Need, OpenOptions, Origin, Sources};
pub use progress::{Progress, Silent, Task};
pub use settings::{bundle_limits_from_vars, parse_bytes, HttpConfig, Settings, DEFAULT_CATALOGUE};
pub use transfer::Fetcher;
