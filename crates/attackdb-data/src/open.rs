//! Opening data as a [`Kb`]: where it comes from (`--data`, else `ATTACKDB_DATA`, else the data
//! home's releases), which bundles a question needs (files whose names say they are another
//! domain or release are not read), and the prebuilt index of each bundle.

use std::path::{Path, PathBuf};

use attackdb_kb::{Domain, Kb, Release};
use serde::Serialize;

use crate::error::NoData;
use crate::progress::Progress;
use crate::settings::Settings;
use crate::Result;

/// Where the data in use comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--data` options.
    Options,
    /// The `ATTACKDB_DATA` environment variable.
    Env,
    /// The data home.
    Home,
}

impl Origin {
    /// How the user names it.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Options => "--data",
            Origin::Env => "ATTACKDB_DATA",
            Origin::Home => "the data home",
        }
    }
}

/// The data in use: where it comes from and its paths.
#[derive(Debug, Clone)]
pub struct Sources {
    /// Where the paths come from.
    pub origin: Origin,
    /// Bundle files or folders of them.
    pub paths: Vec<PathBuf>,
}

impl Serialize for Sources {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("from", self.origin.name())?;
        let paths: Vec<String> = self.paths.iter().map(|p| p.display().to_string()).collect();
        map.serialize_entry("paths", &paths)?;
        map.end()
    }
}

impl Sources {
    /// Where data comes from, in order: `options` (`--data`), the environment's paths
    /// (`ATTACKDB_DATA`), the data home if it holds any release. `None` when there is none.
    pub fn find(options: &[PathBuf], settings: &Settings) -> Option<Sources> {
        if !options.is_empty() {
            return Some(Sources {
                origin: Origin::Options,
                paths: options.to_vec(),
            });
        }
        if !settings.env_data.is_empty() {
            return Some(Sources {
                origin: Origin::Env,
                paths: settings.env_data.clone(),
            });
        }
        let home = settings.home.as_ref()?;
        home.holds_any().then(|| Sources {
            origin: Origin::Home,
            paths: vec![home.releases_dir()],
        })
    }

    /// Like [`Sources::find`], but no data anywhere is an error saying what to run.
    pub fn require(options: &[PathBuf], settings: &Settings) -> Result<Sources> {
        Sources::find(options, settings).ok_or_else(|| {
            NoData {
                home: settings.home.as_ref().map(|h| h.root.clone()),
            }
            .into()
        })
    }
}

/// Which bundles a question needs.
#[derive(Debug, Clone)]
pub enum Need {
    /// Every loaded domain and release.
    Everything,
    /// One domain, and one release (or the newest).
    One {
        /// The domain.
        domain: Domain,
        /// The release; `None` for the newest.
        release: Option<Release>,
    },
    /// Every release of these domains.
    Domains(Vec<Domain>),
    /// Several releases of several domains: every (domain, release) pair.
    Releases {
        /// The domains.
        domains: Vec<Domain>,
        /// The releases.
        releases: Vec<Release>,
    },
}

/// How bundles are read.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Use and write prebuilt indexes (see `attackdb_kb::load_dataset_cached`).
    pub use_index: bool,
    /// Where prebuilt indexes of bundles in read-only folders go (`<data home>/index`).
    pub index_fallback: Option<PathBuf>,
    /// Bounds on reading bundles (and their prebuilt indexes).
    pub limits: attackdb_stix::Limits,
}

impl OpenOptions {
    /// Prebuilt indexes used (`use_index`), with the fallback folder of `settings`' data home.
    pub fn new(use_index: bool, settings: &Settings) -> OpenOptions {
        OpenOptions {
            use_index,
            index_fallback: settings.home.as_ref().map(|home| home.root.join("index")),
            limits: settings.limits,
        }
    }
}

/// Opens what `need` asks for from `sources`, one bundle after the other (each large bundle is
/// parsed on every core; loading them side by side only raised the peak memory). Warnings about
/// prebuilt indexes go to `progress`.
pub fn open(
    sources: &Sources,
    need: &Need,
    options: &OpenOptions,
    progress: &dyn Progress,
) -> Result<Kb> {
    let mut files = Vec::new();
    let mut in_folders = std::collections::HashSet::new();
    for path in &sources.paths {
        let found = attackdb_stix::discover_bundles(path)?;
        if path.is_dir() {
            in_folders.extend(found.iter().cloned());
        }
        files.extend(found);
    }
    files = needed(files, need);
    let mut skipped: Vec<PathBuf> = Vec::new();
    // A JSON file found in a folder that is not a STIX bundle (a Navigator layer, a config) is
    // skipped with a note; a file named on its own must be a bundle.
    let mut skip_or_fail = |file: &Path, error: attackdb_stix::Error| -> Result<()> {
        use attackdb_stix::Error as E;
        let not_a_bundle = matches!(error, E::NotABundle { .. } | E::Json { .. });
        if not_a_bundle && in_folders.contains(file) {
            skipped.push(file.to_path_buf());
            return Ok(());
        }
        Err(error.into())
    };
    let kb = if options.use_index {
        let mut datasets = Vec::with_capacity(files.len());
        let mut diagnostics = Vec::new();
        for file in &files {
            let indexes = attackdb_stix::index_paths(file, options.index_fallback.as_deref());
            let loaded =
                match attackdb_kb::load_dataset_cached_limited(file, &indexes, &options.limits) {
                    Ok(loaded) => loaded,
                    Err(attackdb_kb::Error::Stix(error)) => {
                        skip_or_fail(file, error)?;
                        continue;
                    }
                    Err(other) => return Err(other.into()),
                };
            for warning in &loaded.warnings {
                progress.warn(warning);
            }
            datasets.extend(loaded.dataset);
            diagnostics.extend(loaded.diagnostics);
        }
        Kb::from_datasets(datasets, diagnostics)
    } else {
        let mut bundles = Vec::with_capacity(files.len());
        for file in &files {
            match attackdb_kb::ScannedBundle::load(file, &options.limits) {
                Ok(bundle) => bundles.push(bundle),
                Err(attackdb_kb::Error::Stix(error)) => skip_or_fail(file, error)?,
                Err(other) => return Err(other.into()),
            }
        }
        Kb::from_scanned(bundles)
    };
    if let Some(first) = skipped.first() {
        let what = match skipped.len() {
            1 => "1 file that is not a STIX bundle".to_string(),
            n => format!("{n} files that are not STIX bundles"),
        };
        progress.note(&format!("skipped {what} (e.g. {})", first.display()));
        if kb.datasets().is_empty() && files.len() == skipped.len() {
            return Err(attackdb_stix::Error::NoBundles {
                path: sources.paths.first().cloned().unwrap_or_default(),
            }
            .into());
        }
    }
    Ok(kb)
}

/// The domains and releases the file names under `sources` name (without reading them), for
/// saying what could be loaded.
pub fn named_releases(sources: &Sources) -> Vec<(Domain, Release)> {
    let mut found: Vec<(Domain, Release)> = sources
        .paths
        .iter()
        .filter_map(|p| attackdb_stix::discover_bundles(p).ok())
        .flatten()
        .filter_map(|f| match named(&f) {
            Some((d, Some(r))) => Some((d, r)),
            _ => None,
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

/// What a file name says about its bundle.
fn named(path: &Path) -> Option<(Domain, Option<Release>)> {
    Domain::of_file_name(&path.file_name()?.to_string_lossy())
}

/// The files `need` reads: files whose names say they are of another domain or release are
/// dropped; files whose names say nothing are kept (their collection object decides).
fn needed(files: Vec<PathBuf>, need: &Need) -> Vec<PathBuf> {
    match need {
        Need::Everything => files,
        Need::One { domain, release } => prefilter(files, *domain, release.as_ref()),
        Need::Domains(domains) => files
            .into_iter()
            .filter(|f| named(f).is_none_or(|(d, _)| domains.contains(&d)))
            .collect(),
        Need::Releases { domains, releases } => files
            .into_iter()
            .filter(|f| match named(f) {
                Some((d, Some(r))) => domains.contains(&d) && releases.contains(&r),
                Some((d, None)) => domains.contains(&d),
                None => true,
            })
            .collect(),
    }
}

/// Keeps the files of `domain` and `release` (else the newest its file names give), and those
/// whose names say nothing.
fn prefilter(files: Vec<PathBuf>, domain: Domain, release: Option<&Release>) -> Vec<PathBuf> {
    let newest = files
        .iter()
        .filter_map(|f| match named(f) {
            Some((d, Some(r))) if d == domain => Some(r),
            _ => None,
        })
        .max();
    let wanted = release.cloned().or(newest);
    files
        .into_iter()
        .filter(|f| match named(f) {
            Some((d, _)) if d != domain => false,
            Some((_, Some(r))) => wanted.as_ref().is_none_or(|w| *w == r),
            _ => true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefilter_keeps_the_newest_of_the_domain_and_unnamed_files() {
        let files: Vec<PathBuf> = [
            "a/enterprise-attack-9.0.json",
            "a/enterprise-attack-18.1.json.gz",
            "a/enterprise-attack-10.0.json",
            "a/mobile-attack-18.1.json",
            "a/custom.json",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let kept = prefilter(files.clone(), Domain::Enterprise, None);
        assert_eq!(
            kept,
            [
                PathBuf::from("a/enterprise-attack-18.1.json.gz"),
                PathBuf::from("a/custom.json")
            ]
        );
        let nine = Release::parse("9.0").ok();
        let kept = prefilter(files, Domain::Enterprise, nine.as_ref());
        assert_eq!(
            kept,
            [
                PathBuf::from("a/enterprise-attack-9.0.json"),
                PathBuf::from("a/custom.json")
            ]
        );
    }
}
