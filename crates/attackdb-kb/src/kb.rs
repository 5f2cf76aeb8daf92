//! The set of loaded datasets: every domain and release given, and choosing one.

use std::path::{Path, PathBuf};

use attackdb_stix::{
    discover_bundles, open_index, unreadable_index_warning, write_index, Bundle, BundleFile,
    CacheOutcome, Diagnostic, DiagnosticKind, Domain, IndexedBundle, Limits, Release,
};

use crate::dataset::{Dataset, ScannedBundle};
use crate::{Error, Result};

/// Every loaded domain and release.
#[derive(Debug, Default)]
pub struct Kb {
    datasets: Vec<Dataset>,
    diagnostics: Vec<Diagnostic>,
}

impl Kb {
    /// Loads every bundle found at `paths` (files, or folders searched recursively). A path that
    /// cannot be read or a file that is not a valid bundle fails the whole load.
    pub fn load(paths: &[PathBuf]) -> Result<Kb> {
        let mut files = Vec::new();
        for path in paths {
            files.extend(discover_bundles(path)?);
        }
        let mut bundles = Vec::with_capacity(files.len());
        for file in &files {
            bundles.push(ScannedBundle::load(file, &Limits::default())?);
        }
        Ok(Kb::from_scanned(bundles))
    }

    /// Indexes already-loaded bundles, one thread per bundle. Bundles whose domain cannot be
    /// told are skipped with a diagnostic; a second bundle of the same domain and release is
    /// skipped with a diagnostic.
    pub fn from_bundles(bundles: Vec<Bundle>) -> Kb {
        Kb::from_scanned(
            bundles
                .into_iter()
                .map(ScannedBundle::from_bundle)
                .collect(),
        )
    }

    /// [`Kb::from_bundles`] of bundles read by [`ScannedBundle::load`] (whose objects are
    /// parsed only when asked for).
    pub fn from_scanned(bundles: Vec<ScannedBundle>) -> Kb {
        let mut diagnostics = Vec::new();
        let mut kept: Vec<(Domain, Release, ScannedBundle)> = Vec::new();
        for scanned in bundles {
            let bundle = scanned.bundle();
            let Some((domain, release)) = domain_and_release(bundle, &mut diagnostics) else {
                continue;
            };
            keep_one(
                &mut kept,
                (domain, release, scanned),
                |(d, r, b)| (*d, r.clone(), b.bundle().path.clone()),
                &mut diagnostics,
            );
        }
        let datasets = std::thread::scope(|scope| {
            let handles: Vec<_> = kept
                .into_iter()
                .map(|(domain, release, scanned)| {
                    scope.spawn(move || Dataset::from_scanned(domain, release, scanned))
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        Kb::from_datasets(datasets, diagnostics)
    }

    /// Gathers datasets already built (e.g. by [`load_dataset_cached`]), with the diagnostics
    /// of bundles skipped on the way; a second dataset of the same domain and release is
    /// skipped with a diagnostic.
    pub fn from_datasets(datasets: Vec<Dataset>, diagnostics: Vec<Diagnostic>) -> Kb {
        let mut kb = Kb {
            datasets: Vec::with_capacity(datasets.len()),
            diagnostics,
        };
        for dataset in datasets {
            keep_one(
                &mut kb.datasets,
                dataset,
                |d| (d.domain(), d.release().clone(), d.bundle().path.clone()),
                &mut kb.diagnostics,
            );
        }
        kb.datasets
            .sort_by(|a, b| (a.domain(), a.release()).cmp(&(b.domain(), b.release())));
        kb
    }

    /// The datasets (by domain then release) and the diagnostics of bundles skipped, taken out
    /// (for a front end that keeps each dataset on its own, as the Python package does).
    pub fn into_parts(self) -> (Vec<Dataset>, Vec<Diagnostic>) {
        (self.datasets, self.diagnostics)
    }

    /// Every dataset, by domain then release (oldest first).
    pub fn datasets(&self) -> &[Dataset] {
        &self.datasets
    }

    /// What was found while gathering the datasets, not about any one of them: bundles skipped
    /// (another of the same domain and release, or of no ATT&CK domain).
    pub fn load_diagnostics(&self) -> impl Iterator<Item = &Diagnostic> + '_ {
        self.diagnostics.iter()
    }

    /// Problems found while loading, across every dataset.
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> + '_ {
        self.diagnostics
            .iter()
            .chain(self.datasets.iter().flat_map(|d| d.diagnostics()))
    }

    /// The dataset of `domain` and `release` (default: the newest loaded for that domain).
    pub fn select(&self, domain: Domain, release: Option<&Release>) -> Result<&Dataset> {
        let found = self
            .datasets
            .iter()
            .rfind(|d| d.domain() == domain && release.is_none_or(|r| d.release() == r));
        found.ok_or_else(|| Error::NoDataset {
            domain: domain.to_string(),
            release: release.map(Release::to_string),
            available: self
                .datasets
                .iter()
                .map(|d| format!("{} {}", d.domain(), d.release()))
                .collect(),
        })
    }

    /// The loaded release of `domain` that a layer's `versions.attack` (`8`, `8.2`, `v8`)
    /// names: that release, or the newest loaded one of that major version.
    pub fn release_named(&self, domain: Domain, wanted: &str) -> Option<&Dataset> {
        let wanted = wanted.trim().trim_start_matches(['v', 'V']);
        let mut candidates = self.releases(domain);
        if wanted.contains('.') {
            return candidates.find(|d| d.release() == wanted);
        }
        candidates.rfind(|d| d.release().major().map(|m| m.to_string()).as_deref() == Some(wanted))
    }

    /// Every loaded release of `domain`, oldest first.
    pub fn releases(&self, domain: Domain) -> impl DoubleEndedIterator<Item = &Dataset> + '_ {
        self.datasets.iter().filter(move |d| d.domain() == domain)
    }
}

/// The domain and release of `bundle`, or `None` (with a diagnostic) when it is not an ATT&CK
/// domain bundle.
fn domain_and_release(
    bundle: &Bundle,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(Domain, Release)> {
    let Some(domain) = bundle.domain.as_deref().and_then(Domain::parse) else {
        diagnostics.push(Diagnostic {
            path: bundle.path.clone(),
            kind: DiagnosticKind::Provenance {
                message: "skipped: not an ATT&CK domain bundle".to_string(),
            },
        });
        return None;
    };
    let release = Release::from_bundle(bundle.release.as_deref().unwrap_or("unknown"));
    Some((domain, release))
}

/// The diagnostic for a bundle whose domain and release is among those kept already.
/// Adds `item` to `kept` unless an item of the same domain and release (`key`) is there
/// already. Of two such bundles the one whose file has the release's own name
/// (`enterprise-attack-18.1.json.gz`) is kept, else the first, and the other becomes a
/// diagnostic (an edited copy beside the original never wins silently); the same file reached
/// twice is kept once, without a word.
fn keep_one<T>(
    kept: &mut Vec<T>,
    item: T,
    key: impl Fn(&T) -> (Domain, Release, PathBuf),
    diagnostics: &mut Vec<Diagnostic>,
) {
    let (domain, release, path) = key(&item);
    let Some(at) = kept.iter().position(|k| {
        let (d, r, _) = key(k);
        d == domain && r == release
    }) else {
        kept.push(item);
        return;
    };
    let (_, _, existing) = key(&kept[at]);
    let same_file = |a: &Path, b: &Path| {
        a == b
            || std::fs::canonicalize(a)
                .ok()
                .is_some_and(|a| std::fs::canonicalize(b).ok() == Some(a))
    };
    if same_file(&existing, &path) {
        return;
    }
    let own_name = |p: &Path| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let stem = format!("{domain}-{release}.json");
        name == stem || name == format!("{stem}.gz")
    };
    let (kept_path, skipped_path) = if own_name(&path) && !own_name(&existing) {
        kept[at] = item;
        (path, existing)
    } else {
        (existing, path)
    };
    diagnostics.push(Diagnostic {
        path: skipped_path,
        kind: DiagnosticKind::Shadowed { kept: kept_path },
    });
}

/// A bundle loaded through its prebuilt index, with what happened to the index.
#[derive(Debug)]
pub struct CachedDataset {
    /// The dataset; `None` when the bundle is not an ATT&CK domain bundle (see `diagnostics`).
    pub dataset: Option<Dataset>,
    /// Why the bundle was skipped, if it was.
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the index was used, written or neither.
    pub outcome: CacheOutcome,
    /// Indexes ignored because unreadable or damaged, and indexes that could not be written.
    pub warnings: Vec<String>,
}

/// Loads the bundle at `path` from the first valid prebuilt index among `index_paths` if there
/// is one (the dataset's tables are read back whole, its objects parsed when first asked for),
/// else from its JSON, and then writes the index to the first of `index_paths` that can be
/// written. Either way the dataset answers exactly the same. Errors are those of reading the
/// bundle itself; index problems are only warnings.
pub fn load_dataset_cached(path: &Path, index_paths: &[PathBuf]) -> Result<CachedDataset> {
    load_dataset_cached_limited(path, index_paths, &Limits::default())
}

/// [`load_dataset_cached`] within `limits`: a bundle text larger than
/// `limits.max_bundle_bytes` is an error, and an index whose sections claim more is ignored.
pub fn load_dataset_cached_limited(
    path: &Path,
    index_paths: &[PathBuf],
    limits: &Limits,
) -> Result<CachedDataset> {
    let mut file = BundleFile::open_limited(path, limits)?;
    let mut warnings = Vec::new();
    let mut diagnostics = Vec::new();
    if let Some(found) = open_index(&mut file, index_paths, &mut warnings)? {
        let IndexedBundle {
            bundle,
            extra,
            index,
        } = found;
        let outcome = CacheOutcome::Used(index.clone());
        let Some((domain, release)) = domain_and_release(&bundle, &mut diagnostics) else {
            return Ok(CachedDataset {
                dataset: None,
                diagnostics,
                outcome,
                warnings,
            });
        };
        match Dataset::from_index(domain, release, bundle, &extra) {
            Ok(dataset) => {
                return Ok(CachedDataset {
                    dataset: Some(dataset),
                    diagnostics,
                    outcome,
                    warnings,
                })
            }
            // Tables of another version are rebuilt without a word: upgrading is not damage.
            Err(reason) if reason == crate::dataset::OTHER_VERSION => {}
            Err(reason) => warnings.push(unreadable_index_warning(&index, &reason)),
        }
    }
    let scanned = ScannedBundle::parse(&mut file)?;
    let (dataset, outcome) = match domain_and_release(scanned.bundle(), &mut diagnostics) {
        Some((domain, release)) => {
            let dataset = Dataset::from_scanned(domain, release, scanned);
            let tables = dataset.index_tables();
            let outcome = write_index(
                &mut file,
                dataset.bundle(),
                &tables,
                index_paths,
                &mut warnings,
            )?;
            (Some(dataset), outcome)
        }
        // Not a domain bundle: indexed all the same (without tables), so that the next start
        // skips it without parsing it again.
        None => (
            None,
            write_index(&mut file, scanned.bundle(), &[], index_paths, &mut warnings)?,
        ),
    };
    Ok(CachedDataset {
        dataset,
        diagnostics,
        outcome,
        warnings,
    })
}
