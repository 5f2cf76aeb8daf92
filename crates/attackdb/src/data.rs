//! Finding and loading the data a command needs: `--data`, else `ATTACKDB_DATA`, else the data
//! home's releases (see `home.rs`). When only one domain and release is needed, bundle files
//! whose names say they are another are not read.

use std::path::{Path, PathBuf};

use anyhow::Result;
use attackdb_kb::{normalize_domain, Kb};

use crate::home::Home;

/// No data was given anywhere.
#[derive(Debug, thiserror::Error)]
#[error("no ATT&CK data: no --data option, ATTACKDB_DATA is not set, and the data home{} holds no release; run `attackdb data fetch` to download MITRE's releases", .home.as_ref().map(|h| format!(" {}", h.display())).unwrap_or_default())]
pub struct NoData {
    /// The data home looked in, if it could be located.
    pub home: Option<PathBuf>,
}

impl NoData {
    /// What to do about it.
    pub fn hint(&self) -> String {
        "offline, pass --data PATH (a STIX bundle .json/.json.gz, or a folder of them, e.g. a copy of attack-stix-data), set ATTACKDB_DATA, or copy bundles into the data home with `attackdb data import PATH`".to_string()
    }
}

/// Where the data in use comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `--data` options.
    Options,
    /// The `ATTACKDB_DATA` environment variable.
    Env,
    /// The data home.
    Home,
}

impl Source {
    /// How the user names it.
    pub fn name(self) -> &'static str {
        match self {
            Source::Options => "--data",
            Source::Env => "ATTACKDB_DATA",
            Source::Home => "the data home",
        }
    }
}

/// Where data comes from and its paths, in order: `--data`, `ATTACKDB_DATA` (a path list), the
/// data home if it holds any release. `None` when there is none anywhere.
pub fn source(options: &[PathBuf]) -> Option<(Source, Vec<PathBuf>)> {
    if !options.is_empty() {
        return Some((Source::Options, options.to_vec()));
    }
    if let Some(value) = std::env::var_os("ATTACKDB_DATA") {
        let paths: Vec<PathBuf> = std::env::split_paths(&value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            return Some((Source::Env, paths));
        }
    }
    let home = Home::locate().ok()?;
    home.holds_any()
        .then(|| (Source::Home, vec![home.releases_dir()]))
}

/// The paths to read: `--data`, else `ATTACKDB_DATA` (a path list), else the data home.
pub fn data_paths(options: &[PathBuf]) -> Result<Vec<PathBuf>> {
    match source(options) {
        Some((_, paths)) => Ok(paths),
        None => Err(NoData {
            home: Home::locate().ok().map(|h| h.root),
        }
        .into()),
    }
}

/// Which bundles a command needs.
pub enum Need<'a> {
    /// Every loaded domain and release.
    Everything,
    /// One domain, and one release (or the newest).
    One {
        domain: &'a str,
        release: Option<&'a str>,
    },
    /// Every release of these domains.
    Domains(Vec<&'static str>),
    /// Several releases of several domains: every (domain, release) pair.
    Releases {
        domains: Vec<&'static str>,
        releases: Vec<&'a str>,
    },
}

/// How bundles are read.
pub struct LoadOptions {
    /// Use and write prebuilt indexes (see `attackdb_kb::load_dataset_cached`).
    pub use_index: bool,
}

/// Where prebuilt indexes of bundles in read-only folders go: `<data home>/index`.
fn index_fallback_dir() -> Option<PathBuf> {
    crate::home::Home::locate()
        .ok()
        .map(|home| home.root.join("index"))
}

/// Loads what `need` asks for from `paths`, one bundle after the other (each large bundle is
/// parsed on every core; loading them side by side only raised the peak memory). Warnings
/// about prebuilt indexes go to `warn`.
pub fn load(
    paths: &[PathBuf],
    need: Need<'_>,
    options: &LoadOptions,
    warn: &mut dyn FnMut(&str),
) -> Result<Kb> {
    let mut files = Vec::new();
    for path in paths {
        files.extend(attackdb_stix::discover_bundles(path)?);
    }
    match need {
        Need::Everything => {}
        Need::One { domain, release } => {
            let domain = normalize_domain(domain)?;
            files = prefilter(files, domain, release);
        }
        Need::Domains(domains) => {
            files.retain(|f| named(f).0.is_none_or(|d| domains.contains(&d)));
        }
        Need::Releases { domains, releases } => {
            files.retain(|f| match named(f) {
                (Some(d), Some(r)) => domains.contains(&d) && releases.contains(&r.as_str()),
                (Some(d), None) => domains.contains(&d),
                _ => true,
            });
        }
    }
    if !options.use_index {
        let mut bundles = Vec::with_capacity(files.len());
        for file in &files {
            bundles.push(attackdb_stix::load_bundle(file)?);
        }
        return Ok(Kb::from_bundles(bundles));
    }
    let fallback = index_fallback_dir();
    let mut datasets = Vec::with_capacity(files.len());
    let mut diagnostics = Vec::new();
    for file in &files {
        let indexes = attackdb_stix::index_paths(file, fallback.as_deref());
        let loaded = attackdb_kb::load_dataset_cached(file, &indexes)?;
        for warning in &loaded.warnings {
            warn(warning);
        }
        datasets.extend(loaded.dataset);
        diagnostics.extend(loaded.diagnostics);
    }
    Ok(Kb::from_datasets(datasets, diagnostics))
}

/// What a file name says about its bundle: (domain, release), where it says it.
fn named(path: &Path) -> (Option<&'static str>, Option<String>) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let domain = attackdb_stix::DOMAINS
        .into_iter()
        .find(|d| name.contains(d));
    let release = domain.and_then(|d| {
        let rest = name.split(d).nth(1)?.trim_start_matches(['-', '_', 'v']);
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let version = rest[..end].trim_end_matches('.');
        version.contains('.').then(|| version.to_string())
    });
    (domain, release)
}

fn version_key(release: &str) -> Vec<u64> {
    release.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// Drops files whose names say they are of another domain or release. Files whose names say
/// nothing are kept (their collection object decides).
fn prefilter(files: Vec<PathBuf>, domain: &str, release: Option<&str>) -> Vec<PathBuf> {
    let newest = files
        .iter()
        .filter_map(|f| match named(f) {
            (Some(d), Some(r)) if d == domain => Some(r),
            _ => None,
        })
        .max_by_key(|r| version_key(r));
    let wanted = release.map(str::to_string).or(newest);
    files
        .into_iter()
        .filter(|f| match named(f) {
            (Some(d), _) if d != domain => false,
            (Some(_), Some(r)) => wanted.as_deref().is_none_or(|w| w == r),
            _ => true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_tell_domain_and_release() {
        let (d, r) = named(Path::new("x/enterprise-attack-18.1.json.gz"));
        assert_eq!((d, r.as_deref()), (Some("enterprise-attack"), Some("18.1")));
        let (d, r) = named(Path::new("mobile-attack.json"));
        assert_eq!((d, r), (Some("mobile-attack"), None));
        let (d, r) = named(Path::new("bundle.json"));
        assert_eq!((d, r), (None, None));
    }

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
        let kept = prefilter(files.clone(), "enterprise-attack", None);
        assert_eq!(
            kept,
            [
                PathBuf::from("a/enterprise-attack-18.1.json.gz"),
                PathBuf::from("a/custom.json")
            ]
        );
        let kept = prefilter(files, "enterprise-attack", Some("9.0"));
        assert_eq!(
            kept,
            [
                PathBuf::from("a/enterprise-attack-9.0.json"),
                PathBuf::from("a/custom.json")
            ]
        );
    }
}
