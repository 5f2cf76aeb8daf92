//! The set of loaded datasets: every domain and release given, and choosing one.

use std::path::PathBuf;

use attackdb_stix::{discover_bundles, load_bundle, Bundle, Diagnostic, DiagnosticKind};

use crate::dataset::Dataset;
use crate::{Error, Result};

/// Every loaded domain and release.
#[derive(Debug, Default)]
pub struct Kb {
    datasets: Vec<Dataset>,
    diagnostics: Vec<Diagnostic>,
}

/// `enterprise`, `Enterprise-ATT&CK`, `mobile-attack`... -> `enterprise-attack` etc.
pub fn normalize_domain(name: &str) -> Result<&'static str> {
    let key = name.trim().to_ascii_lowercase();
    let key = key
        .trim_end_matches("-attack")
        .trim_end_matches(" att&ck")
        .trim_start_matches("mitre-");
    match key {
        "enterprise" => Ok("enterprise-attack"),
        "mobile" => Ok("mobile-attack"),
        "ics" => Ok("ics-attack"),
        _ => Err(Error::UnknownDomain(name.to_string())),
    }
}

/// Orders releases numerically (`9.0` < `10.0` < `18.1`); unparsable ones first.
fn release_key(release: &str) -> (Vec<u64>, String) {
    let parts = release
        .split('.')
        .map(|p| p.parse::<u64>().unwrap_or(0))
        .collect();
    (parts, release.to_string())
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
            bundles.push(load_bundle(file)?);
        }
        Ok(Kb::from_bundles(bundles))
    }

    /// Indexes already-loaded bundles, one thread per bundle. Bundles whose domain cannot be
    /// told are skipped with a diagnostic; a second bundle of the same domain and release is
    /// skipped with a diagnostic.
    pub fn from_bundles(bundles: Vec<Bundle>) -> Kb {
        let mut kb = Kb::default();
        let mut kept: Vec<(String, String, Bundle)> = Vec::new();
        for bundle in bundles {
            let Some(domain) = bundle.domain.clone() else {
                kb.diagnostics.push(Diagnostic {
                    path: bundle.path.clone(),
                    kind: DiagnosticKind::Provenance {
                        message: "skipped: not an ATT&CK domain bundle".to_string(),
                    },
                });
                continue;
            };
            let release = bundle
                .release
                .clone()
                .unwrap_or_else(|| "unknown".to_string());
            if let Some((_, _, existing)) =
                kept.iter().find(|(d, r, _)| *d == domain && *r == release)
            {
                kb.diagnostics.push(Diagnostic {
                    path: bundle.path.clone(),
                    kind: DiagnosticKind::Provenance {
                        message: format!(
                            "skipped: {domain} {release} is already loaded from {}",
                            existing.path.display()
                        ),
                    },
                });
                continue;
            }
            kept.push((domain, release, bundle));
        }
        kb.datasets = std::thread::scope(|scope| {
            let handles: Vec<_> = kept
                .into_iter()
                .map(|(domain, release, bundle)| {
                    scope.spawn(move || Dataset::build(domain, release, bundle))
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        kb.datasets.sort_by(|a, b| {
            a.domain()
                .cmp(b.domain())
                .then_with(|| release_key(a.release()).cmp(&release_key(b.release())))
        });
        kb
    }

    /// Every dataset, by domain then release (oldest first).
    pub fn datasets(&self) -> &[Dataset] {
        &self.datasets
    }

    /// Problems found while loading, across every dataset.
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> + '_ {
        self.diagnostics
            .iter()
            .chain(self.datasets.iter().flat_map(|d| d.diagnostics()))
    }

    /// The dataset of `domain` (default `enterprise-attack`) and `release` (default: the newest
    /// loaded for that domain).
    pub fn select(&self, domain: Option<&str>, release: Option<&str>) -> Result<&Dataset> {
        let domain = normalize_domain(domain.unwrap_or("enterprise"))?;
        let found = self.datasets.iter().rfind(|d| {
            d.domain() == domain
                && release.is_none_or(|r| d.release() == r.trim().trim_start_matches('v'))
        });
        found.ok_or_else(|| Error::NoDataset {
            domain: domain.to_string(),
            release: release.map(str::to_string),
            available: self
                .datasets
                .iter()
                .map(|d| format!("{} {}", d.domain(), d.release()))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_normalize() {
        assert_eq!(
            normalize_domain("enterprise").ok(),
            Some("enterprise-attack")
        );
        assert_eq!(
            normalize_domain("Mobile-Attack").ok(),
            Some("mobile-attack")
        );
        assert_eq!(normalize_domain("ICS ATT&CK").ok(), Some("ics-attack"));
        assert!(normalize_domain("pre").is_err());
    }

    #[test]
    fn releases_sort_numerically() {
        let mut releases = vec!["18.1", "9.0", "10.0", "18.0"];
        releases.sort_by_key(|r| release_key(r));
        assert_eq!(releases, ["9.0", "10.0", "18.0", "18.1"]);
    }
}
