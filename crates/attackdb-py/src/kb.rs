//! `KbCore`: several domains and releases at once, from paths or the data home, each bundle
//! through its prebuilt index when asked (as the CLI loads them).

use std::path::PathBuf;

use attackdb_kb::{Dataset, Domain, Release};
use pyo3::exceptions::{PyFileNotFoundError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::dataset::NativeDataset;
use crate::errors::{kb_error, stix_error};
use crate::home;

/// Every dataset loaded, by domain then release (oldest first).
#[pyclass(frozen, module = "attackdb._native")]
pub struct KbCore {
    datasets: Vec<Py<NativeDataset>>,
    warnings: Vec<String>,
}

fn load_one(
    path: &std::path::Path,
    use_index: bool,
    fallback: Option<&std::path::Path>,
    warnings: &mut Vec<String>,
) -> PyResult<Option<Dataset>> {
    if use_index {
        let indexes = attackdb_stix::index_paths(path, fallback);
        let loaded = attackdb_kb::load_dataset_cached(path, &indexes).map_err(kb_error)?;
        warnings.extend(loaded.warnings);
        return Ok(loaded.dataset);
    }
    let scanned = attackdb_kb::ScannedBundle::load(path, &attackdb_stix::Limits::default())
        .map_err(kb_error)?;
    let bundle = scanned.bundle();
    let Some(domain) = bundle.domain.as_deref().and_then(Domain::parse) else {
        return Ok(None);
    };
    let release = Release::from_bundle(bundle.release.as_deref().unwrap_or("unknown"));
    Ok(Some(Dataset::from_scanned(domain, release, scanned)))
}

#[pymethods]
impl KbCore {
    /// Loads every bundle under `paths` (files or folders); with no paths, every release in the
    /// data home. `use_index`: read and write prebuilt indexes (beside the bundles, or in the
    /// data home's `index/` where that folder cannot be written).
    #[new]
    #[pyo3(signature = (paths = None, use_index = true))]
    fn new(py: Python<'_>, paths: Option<Vec<PathBuf>>, use_index: bool) -> PyResult<KbCore> {
        let home = home::locate().ok();
        let paths = match paths {
            Some(paths) if !paths.is_empty() => paths,
            _ => {
                let Some(home) = &home else {
                    return Err(PyFileNotFoundError::new_err(
                        "no data given and no data home: pass paths, or set ATTACKDB_HOME",
                    ));
                };
                let releases = home::releases_dir(home);
                if !releases.is_dir() {
                    return Err(PyFileNotFoundError::new_err(format!(
                        "no ATT&CK releases in the data home {}: run `attackdb data fetch` (or set ATTACKDB_HOME, or pass paths)",
                        home.display()
                    )));
                }
                vec![releases]
            }
        };
        let fallback = home.as_deref().map(home::index_dir);
        let (datasets, warnings) = py.detach(|| -> PyResult<(Vec<Dataset>, Vec<String>)> {
            let mut files = Vec::new();
            for path in &paths {
                files.extend(attackdb_stix::discover_bundles(path).map_err(stix_error)?);
            }
            let mut warnings = Vec::new();
            let mut datasets: Vec<Dataset> = Vec::new();
            for file in &files {
                let Some(dataset) = load_one(file, use_index, fallback.as_deref(), &mut warnings)?
                else {
                    warnings.push(format!(
                        "{}: skipped: not an ATT&CK domain bundle",
                        file.display()
                    ));
                    continue;
                };
                if datasets
                    .iter()
                    .any(|d| d.domain() == dataset.domain() && d.release() == dataset.release())
                {
                    warnings.push(format!(
                        "{}: skipped: {} {} is already loaded",
                        file.display(),
                        dataset.domain(),
                        dataset.release()
                    ));
                    continue;
                }
                datasets.push(dataset);
            }
            datasets.sort_by(|a, b| (a.domain(), a.release()).cmp(&(b.domain(), b.release())));
            Ok((datasets, warnings))
        })?;
        let datasets = datasets
            .into_iter()
            .map(|d| Py::new(py, NativeDataset::new(d)))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(KbCore { datasets, warnings })
    }

    /// `(domain, release)` of every dataset, by domain then release.
    fn releases(&self, py: Python<'_>) -> Vec<(String, String)> {
        self.datasets
            .iter()
            .map(|d| {
                let d = d.bind(py).get().data();
                (d.domain().to_string(), d.release().to_string())
            })
            .collect()
    }

    /// Warnings of the load: skipped bundles, unusable prebuilt indexes.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// The dataset of `domain` (default enterprise) and `release` (default the newest loaded).
    #[pyo3(signature = (domain = None, release = None))]
    fn select(
        &self,
        py: Python<'_>,
        domain: Option<&str>,
        release: Option<&str>,
    ) -> PyResult<Py<NativeDataset>> {
        let name = domain.unwrap_or("enterprise");
        let domain = Domain::parse(name).ok_or_else(|| {
            pyo3::exceptions::PyValueError::new_err(
                attackdb_kb::Error::BadQuery(format!(
                    "unknown domain `{name}`: expected enterprise, mobile or ics"
                ))
                .to_string(),
            )
        })?;
        let wanted = release.map(|r| r.trim().trim_start_matches('v'));
        let found = self.datasets.iter().rfind(|d| {
            let d = d.bind(py).get().data();
            d.domain() == domain && wanted.is_none_or(|r| d.release() == r)
        });
        match found {
            Some(found) => Ok(found.clone_ref(py)),
            None => {
                let loaded: Vec<String> = self
                    .releases(py)
                    .into_iter()
                    .map(|(d, r)| format!("{d} {r}"))
                    .collect();
                Err(PyValueError::new_err(format!(
                    "no {domain} data{} is loaded (loaded: {})",
                    release
                        .map(|r| format!(" for release {r}"))
                        .unwrap_or_default(),
                    if loaded.is_empty() {
                        "nothing".to_string()
                    } else {
                        loaded.join(", ")
                    }
                )))
            }
        }
    }

    /// What changed from `old` to `new` (two releases of one domain), as `diff_stix` sorts it:
    /// `{object type: {category: [ATT&CK IDs]}}`.
    fn diff<'py>(
        &self,
        py: Python<'py>,
        old: &Bound<'py, NativeDataset>,
        new: &Bound<'py, NativeDataset>,
    ) -> PyResult<Bound<'py, PyDict>> {
        diff_to_python(py, old.get().data(), new.get().data())
    }
}

fn diff_to_python<'py>(
    py: Python<'py>,
    old: &Dataset,
    new: &Dataset,
) -> PyResult<Bound<'py, PyDict>> {
    let diff = attackdb_kb::diff_releases(old, new);
    let out = PyDict::new(py);
    for (kind, type_diff) in &diff.types {
        let categories = PyDict::new(py);
        for (category, changes) in &type_diff.categories {
            let ids: Vec<String> = changes
                .iter()
                .map(|c| diff.display_id(c).to_string())
                .collect();
            categories.set_item(category.key(), ids)?;
        }
        out.set_item(kind.key(), categories)?;
    }
    Ok(out)
}
