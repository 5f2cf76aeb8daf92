//! `KbCore`: several domains and releases at once, from paths or the data home, each bundle
//! through its prebuilt index when asked (as the CLI loads them).

use std::path::PathBuf;

use attackdb_kb::{Dataset, Domain};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::dataset::NativeDataset;
use crate::errors::{ask_error, data_error, kb_error};

/// Every dataset loaded, by domain then release (oldest first).
#[pyclass(frozen, module = "attackdb._native")]
pub struct KbCore {
    datasets: Vec<Py<NativeDataset>>,
    warnings: Vec<String>,
}

/// The environment's settings, as the CLI reads them (`ATTACKDB_HOME`, `ATTACKDB_DATA`,
/// `ATTACKDB_MAX_BUNDLE_BYTES`, `ATTACKDB_MAX_JSON_DEPTH`...).
pub fn settings() -> PyResult<attackdb_data::Settings> {
    attackdb_data::Settings::from_vars(|name| std::env::var_os(name))
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Collects what opening says, for `Kb.warnings`.
#[derive(Default)]
struct Said(std::sync::Mutex<Vec<String>>);

impl attackdb_data::Progress for Said {
    fn start(&self, _name: &str, _length: Option<u64>) -> Box<dyn attackdb_data::Task + '_> {
        Box::new(attackdb_data::Silent)
    }

    fn warn(&self, message: &str) {
        if let Ok(mut said) = self.0.lock() {
            said.push(message.to_string());
        }
    }
}

#[pymethods]
impl KbCore {
    /// Loads every bundle under `paths` (files or folders); with no paths, every release in the
    /// data home. `use_index`: read and write prebuilt indexes (beside the bundles, or in the
    /// data home's `index/` where that folder cannot be written).
    #[new]
    #[pyo3(signature = (paths = None, use_index = true))]
    fn new(py: Python<'_>, paths: Option<Vec<PathBuf>>, use_index: bool) -> PyResult<KbCore> {
        let settings = settings()?;
        let given = paths.unwrap_or_default();
        let sources = attackdb_data::Sources::require(&given, &settings).map_err(data_error)?;
        let options = attackdb_data::OpenOptions::new(use_index, &settings);
        let said = Said::default();
        let kb = py
            .detach(|| {
                attackdb_data::open(&sources, &attackdb_data::Need::Everything, &options, &said)
            })
            .map_err(data_error)?;
        let (datasets, diagnostics) = kb.into_parts();
        let mut warnings = said.0.into_inner().unwrap_or_default();
        warnings.extend(
            diagnostics
                .iter()
                .filter(|d| matches!(d.kind, attackdb_stix::DiagnosticKind::Shadowed { .. }))
                .map(|d| d.to_string()),
        );
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

    /// The dataset that answers for `query` and the notes of how it was reached, by the one
    /// cross-domain rule of every front end (`attackdb_ask::locate`): `domain` (default
    /// enterprise) at `release`; with no domain given, an object only another domain holds is
    /// answered from there, with a note. With `family`, `query` names that family's key.
    #[pyo3(signature = (query, domain = None, release = None, family = None))]
    fn locate(
        &self,
        py: Python<'_>,
        query: &str,
        domain: Option<&str>,
        release: Option<&str>,
        family: Option<&str>,
    ) -> PyResult<(Py<NativeDataset>, Vec<String>)> {
        let loaded = Loaded(&self.datasets);
        let scope = attackdb_ask::Scope::new(domain, release)
            .check()
            .map_err(ask_error)?;
        let relation = family
            .map(|f| attackdb_kb::Relation::parse(f.trim()).map_err(kb_error))
            .transpose()?;
        let found = attackdb_ask::locate(&loaded, &scope, query.trim(), |d, r| match relation {
            Some(relation) => d.lookup_key(relation, r),
            None => d.lookup(r),
        })
        .map_err(ask_error)?;
        let holder = self
            .datasets
            .iter()
            .find(|d| std::ptr::eq(d.get().data(), found.answer.dataset))
            .ok_or_else(|| PyValueError::new_err("the dataset answering is not loaded"))?;
        Ok((holder.clone_ref(py), found.notes))
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

/// The loaded datasets as a library of questions.
struct Loaded<'a>(&'a [Py<NativeDataset>]);

impl attackdb_ask::Library for Loaded<'_> {
    fn dataset(
        &self,
        domain: Domain,
        release: Option<&attackdb_kb::Release>,
    ) -> attackdb_ask::Result<&Dataset> {
        self.0
            .iter()
            .map(|d| d.get().data())
            .rfind(|d| d.domain() == domain && release.is_none_or(|r| d.release() == r))
            .ok_or_else(|| {
                attackdb_kb::Error::NoDataset {
                    domain: domain.to_string(),
                    release: release.map(|r| r.to_string()),
                    available: self
                        .0
                        .iter()
                        .map(|d| d.get().data())
                        .map(|d| format!("{} {}", d.domain(), d.release()))
                        .collect(),
                }
                .into()
            })
    }
}

fn diff_to_python<'py>(
    py: Python<'py>,
    old: &Dataset,
    new: &Dataset,
) -> PyResult<Bound<'py, PyDict>> {
    let diff = attackdb_kb::diff::diff_releases(old, new);
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
