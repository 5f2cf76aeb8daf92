//! `NativeDataset`: one loaded bundle and the queries `MitreAttackData` is made of, answered the
//! library's way (bundle order, its filters and quirks), plus the kb's own questions for `Kb`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use attackdb_kb::{
    normalize_timestamp, Concept, Dataset, ObjId, ObjectType, RelKind, Relation, Visibility,
};
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};

use crate::errors::{ask_error, kb_error, navigator_error};
use crate::families::{get_related, library_family, RelMap};
use crate::object::StixObject;

/// One domain and release, loaded and indexed, with a cache of the Python objects made so far
/// (one per STIX object, made on first use).
#[pyclass(frozen, module = "attackdb._native")]
pub struct NativeDataset {
    data: Arc<Dataset>,
    cache: Box<[PyOnceLock<Py<StixObject>>]>,
    descriptions: std::sync::OnceLock<Descriptions>,
}

/// Every object's description lower-cased, end to end (each followed by a NUL), made on the
/// first content search: one substring search over it answers `get_objects_by_content`.
struct Descriptions {
    text: String,
    /// Per object, where its description starts in `text`.
    starts: Vec<usize>,
    /// Per object, whether it has a description at all.
    present: Vec<bool>,
}

impl Descriptions {
    fn build(data: &Dataset) -> Descriptions {
        let count = data.object_count();
        let mut text = String::new();
        let mut starts = Vec::with_capacity(count);
        let mut present = Vec::with_capacity(count);
        for id in 0..count as ObjId {
            starts.push(text.len());
            let description = data.object(id).description.as_deref();
            present.push(description.is_some());
            if let Some(description) = description {
                if description.is_ascii() {
                    text.extend(description.chars().map(|c| c.to_ascii_lowercase()));
                } else {
                    text.push_str(&description.to_lowercase());
                }
            }
            text.push('\0');
        }
        Descriptions {
            text,
            starts,
            present,
        }
    }

    /// The objects whose lower-cased description contains `needle_lower` (no NUL in it), in
    /// bundle order.
    fn find(&self, needle_lower: &str) -> Vec<ObjId> {
        let mut found: Vec<ObjId> = Vec::new();
        for at in memchr::memmem::find_iter(self.text.as_bytes(), needle_lower.as_bytes()) {
            let id = self.starts.partition_point(|&start| start <= at) - 1;
            if found.last() != Some(&(id as ObjId)) && self.present[id] {
                found.push(id as ObjId);
            }
        }
        found
    }
}

/// STIX 2.1 types that stix2 parses into its own classes (whose timestamps compare as times);
/// mitreattack-python keeps every other type (`x-mitre-*`) as a dict, whose timestamps compare
/// as strings.
const STIX2_CLASSES: &[&str] = &[
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
    "relationship",
    "sighting",
    "marking-definition",
    "language-content",
    "extension-definition",
];

impl NativeDataset {
    /// Wraps a built dataset.
    pub fn new(data: Dataset) -> NativeDataset {
        let cache = (0..data.object_count())
            .map(|_| PyOnceLock::new())
            .collect();
        NativeDataset {
            data: Arc::new(data),
            cache,
            descriptions: std::sync::OnceLock::new(),
        }
    }

    /// The dataset.
    pub fn data(&self) -> &Dataset {
        &self.data
    }

    /// The Python object of `id` (the same one every time).
    pub fn obj(&self, py: Python<'_>, id: ObjId) -> PyResult<Py<StixObject>> {
        let slot = self.cache.get(id as usize).ok_or_else(|| {
            PyValueError::new_err(format!("internal error: no object {id} in this bundle"))
        })?;
        let made =
            slot.get_or_try_init(py, || Py::new(py, StixObject::new(self.data.clone(), id)))?;
        Ok(made.clone_ref(py))
    }

    fn objs(
        &self,
        py: Python<'_>,
        ids: impl IntoIterator<Item = ObjId>,
    ) -> PyResult<Vec<Py<StixObject>>> {
        ids.into_iter().map(|id| self.obj(py, id)).collect()
    }

    fn shown(&self, id: ObjId, remove_revoked_deprecated: bool) -> bool {
        !remove_revoked_deprecated || self.data.is_live(id)
    }

    /// Objects of `stix_type` in bundle order (any type name; unknown ones have no objects).
    fn of_type(&self, stix_type: &str) -> Vec<ObjId> {
        self.data.objects_of(&[ObjectType::parse(stix_type)])
    }

    /// `ids`, parsed now over every core if they were not yet (a dataset opened from its
    /// prebuilt index parses objects on first use), before a scan reads their fields.
    fn parsed(&self, ids: Vec<ObjId>) -> Vec<ObjId> {
        let indexes: Vec<usize> = ids.iter().map(|&i| i as usize).collect();
        self.data.objects().load(&indexes);
        ids
    }

    fn parsed_of_type(&self, stix_type: &str) -> Vec<ObjId> {
        self.parsed(self.of_type(stix_type))
    }

    fn is(&self, id: ObjId, kind: ObjectType) -> bool {
        self.data.is_kind(id, &[kind])
    }

    fn has_field(&self, id: ObjId, field: &str) -> bool {
        let Ok(raw) = self.data.raw_json(id) else {
            return false;
        };
        serde_json::from_str::<
            rustc_hash::FxHashMap<std::borrow::Cow<'_, str>, serde::de::IgnoredAny>,
        >(raw)
        .is_ok_and(|fields| fields.contains_key(field))
    }

    /// A relationship map as the library returns it: `{key stix id: [{"object", "relationships"}]}`.
    fn map_to_python<'py>(&self, py: Python<'py>, map: &RelMap) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        let object_key = intern!(py, "object");
        let relationships_key = intern!(py, "relationships");
        for (&key, list) in map.keys.iter().zip(&map.lists) {
            let entries = PyList::empty(py);
            for entry in list {
                let item = PyDict::new(py);
                item.set_item(object_key, self.obj(py, entry.object)?)?;
                let relationships = PyList::new(
                    py,
                    entry
                        .relationships
                        .iter()
                        .map(|&r| self.obj(py, r))
                        .collect::<PyResult<Vec<_>>>()?,
                )?;
                item.set_item(relationships_key, relationships)?;
                entries.append(item)?;
            }
            out.set_item(self.data.stix_id(key), entries)?;
        }
        Ok(out)
    }

    fn timestamp_after(&self, id: ObjId, field: &str, bound: &str, bound_time: &str) -> bool {
        let object = self.data.object(id);
        let value = match field {
            "created" => object.created.as_deref(),
            _ => object.modified.as_deref(),
        };
        let Some(value) = value else {
            return false;
        };
        if STIX2_CLASSES.contains(&object.kind.as_str()) {
            normalize_timestamp(value).is_some_and(|v| v.as_str() > bound_time)
        } else {
            value > bound
        }
    }
}

/// Returns true if and only if `haystack` contains `needle_lower` (lower case already) when
/// lower-cased, as Python's `needle.lower() in haystack.lower()`.
fn contains_lowercase(haystack: &str, needle_lower: &str) -> bool {
    if needle_lower.is_empty() {
        return true;
    }
    if needle_lower.is_ascii() {
        if contains_ascii_ignore_case(haystack.as_bytes(), needle_lower.as_bytes()) {
            return true;
        }
        // ASCII letters lower-case alike wherever they stand; of the other characters only
        // 'İ' (to "i̇") and the Kelvin sign (to 'k') lower-case to ASCII.
        let bytes = haystack.as_bytes();
        if haystack.is_ascii()
            || !(memchr::memmem::find(bytes, "\u{130}".as_bytes()).is_some()
                || memchr::memmem::find(bytes, "\u{212A}".as_bytes()).is_some())
        {
            return false;
        }
    }
    haystack.to_lowercase().contains(needle_lower)
}

/// Returns true if and only if `haystack` contains `needle` (lower-case ASCII), ignoring ASCII
/// case.
fn contains_ascii_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    if haystack.len() < needle.len() {
        return false;
    }
    let last_start = haystack.len() - needle.len();
    memchr::memchr2_iter(first, first.to_ascii_uppercase(), &haystack[..=last_start])
        .any(|at| haystack[at + 1..at + needle.len()].eq_ignore_ascii_case(rest))
}

/// Loads `path` within the environment's limits (`ATTACKDB_MAX_BUNDLE_BYTES`,
/// `ATTACKDB_MAX_JSON_DEPTH`, read as the CLI reads them). With `index_dir`: through the
/// bundle's prebuilt index in that folder, read when valid, else written after the JSON is
/// parsed, by the loader the CLI and the server use (`attackdb_kb::load_dataset_cached_limited`).
/// Nothing is written beside the bundle. A bundle of no ATT&CK domain is indexed as enterprise.
fn load_path(
    py: Python<'_>,
    path: PathBuf,
    index_dir: Option<PathBuf>,
) -> PyResult<(NativeDataset, Vec<String>)> {
    let limits = crate::kb::settings()?.limits;
    let index: Vec<PathBuf> = match &index_dir {
        Some(dir) => attackdb_stix::index_paths(&path, Some(dir))
            .pop()
            .into_iter()
            .collect(),
        None => Vec::new(),
    };
    if !index.is_empty() {
        let loaded = py
            .detach(|| attackdb_kb::load_dataset_cached_limited(&path, &index, &limits))
            .map_err(kb_error)?;
        if let Some(dataset) = loaded.dataset {
            return Ok((NativeDataset::new(dataset), loaded.warnings));
        }
    }
    let bundle = py
        .detach(|| attackdb_kb::ScannedBundle::load(&path, &limits))
        .map_err(kb_error)?;
    Ok((build(py, bundle), Vec::new()))
}

/// Kept for scripts that call it (the package registers it at exit): prebuilt indexes are
/// written before a load returns, so there is nothing left to wait for.
#[pyfunction]
pub fn finish_index_writes() {}

/// Indexes a bundle of any kind (an ATT&CK domain bundle or another STIX bundle).
pub fn build(py: Python<'_>, scanned: attackdb_kb::ScannedBundle) -> NativeDataset {
    // A bundle of no ATT&CK domain is indexed as enterprise, and its `domain` reads `unknown`.
    NativeDataset::new(py.detach(|| scanned.into_dataset()))
}

fn visibility(include_revoked: bool, include_deprecated: bool) -> Visibility {
    Visibility {
        include_revoked,
        include_deprecated,
    }
}

#[pymethods]
impl NativeDataset {
    /// Loads a bundle (`.json` or `.json.gz`, STIX 2.0 or 2.1); with `index_dir`, through a
    /// prebuilt index kept in that folder (read when valid, else written after parsing).
    /// Returns the dataset and the index warnings.
    #[staticmethod]
    #[pyo3(signature = (path, index_dir = None))]
    fn load(
        py: Python<'_>,
        path: PathBuf,
        index_dir: Option<PathBuf>,
    ) -> PyResult<(NativeDataset, Vec<String>)> {
        load_path(py, path, index_dir)
    }

    /// Loads a bundle from its JSON text; `name` stands for the file in messages.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: String, name: &str) -> PyResult<NativeDataset> {
        let bundle = py
            .detach(|| attackdb_kb::ScannedBundle::from_text(Path::new(name), text))
            .map_err(kb_error)?;
        Ok(build(py, bundle))
    }

    /// `enterprise-attack`, `mobile-attack`, `ics-attack` (`unknown` for other bundles).
    #[getter]
    fn domain(&self) -> &str {
        match self.data.bundle().domain {
            Some(_) => self.data.domain().as_str(),
            None => "unknown",
        }
    }

    /// The release, e.g. `18.1` (`unknown` when the bundle does not say).
    #[getter]
    fn release(&self) -> &str {
        self.data.release().as_str()
    }

    /// The bundle file.
    #[getter]
    fn path(&self) -> PathBuf {
        self.data.bundle().path.clone()
    }

    /// How many objects the bundle has, relationships included.
    #[getter]
    fn object_count(&self) -> usize {
        self.data.object_count()
    }

    /// Problems found while loading (dangling relationships, unknown fields...), one line each.
    #[getter]
    fn diagnostics(&self) -> Vec<String> {
        self.data
            .diagnostics()
            .iter()
            .map(|d| format!("{d:?}"))
            .collect()
    }

    /// The object with this STIX ID, or `None`.
    fn by_stix_id(&self, py: Python<'_>, stix_id: &str) -> PyResult<Option<Py<StixObject>>> {
        self.data
            .by_stix_id(stix_id)
            .map(|id| self.obj(py, id))
            .transpose()
    }

    /// Every object, in bundle order.
    fn all_objects(&self, py: Python<'_>) -> PyResult<Vec<Py<StixObject>>> {
        self.objs(py, 0..self.data.object_count() as ObjId)
    }

    /// Objects of each of `types` in turn, each in bundle order.
    fn objects_by_type(
        &self,
        py: Python<'_>,
        types: Vec<String>,
        remove_revoked_deprecated: bool,
    ) -> PyResult<Vec<Py<StixObject>>> {
        let ids: Vec<ObjId> = types
            .iter()
            .flat_map(|t| self.of_type(t))
            .filter(|&id| self.shown(id, remove_revoked_deprecated))
            .collect();
        self.objs(py, ids)
    }

    /// Attack patterns; with `subtechnique` set, only those whose `x_mitre_is_subtechnique` is
    /// present and equal to it (as stix2's filter).
    #[pyo3(signature = (subtechnique, remove_revoked_deprecated))]
    fn techniques(
        &self,
        py: Python<'_>,
        subtechnique: Option<bool>,
        remove_revoked_deprecated: bool,
    ) -> PyResult<Vec<Py<StixObject>>> {
        let ids: Vec<ObjId> = self
            .parsed_of_type("attack-pattern")
            .into_iter()
            .filter(|&id| match subtechnique {
                None => true,
                Some(true) => self.data.object(id).is_subtechnique,
                Some(false) => {
                    !self.data.object(id).is_subtechnique
                        && self.has_field(id, "x_mitre_is_subtechnique")
                }
            })
            .filter(|&id| self.shown(id, remove_revoked_deprecated))
            .collect();
        self.objs(py, ids)
    }

    /// Objects (of `stix_type`, or of every type) whose description contains `content`,
    /// ignoring case.
    #[pyo3(signature = (content, stix_type, remove_revoked_deprecated))]
    fn by_content(
        &self,
        py: Python<'_>,
        content: &str,
        stix_type: Option<&str>,
        remove_revoked_deprecated: bool,
    ) -> PyResult<Vec<Py<StixObject>>> {
        let needle = content.to_lowercase();
        let data = &self.data;
        let ids: Vec<ObjId> = if needle.is_empty() || needle.contains('\0') {
            let candidates: Vec<ObjId> = self.parsed(match stix_type {
                Some(t) => self.of_type(t),
                None => (0..self.data.object_count() as ObjId).collect(),
            });
            py.detach(|| {
                candidates
                    .into_iter()
                    .filter(|&id| {
                        // As the library's `content.lower() in obj.get("description", "").lower()`.
                        data.object(id)
                            .description
                            .as_deref()
                            .map_or(needle.is_empty(), |d| contains_lowercase(d, &needle))
                    })
                    .collect()
            })
        } else {
            let descriptions = &self.descriptions;
            let found = py.detach(|| {
                descriptions
                    .get_or_init(|| {
                        let all: Vec<usize> = (0..data.object_count()).collect();
                        data.objects().load(&all);
                        Descriptions::build(data)
                    })
                    .find(&needle)
            });
            match stix_type {
                Some(t) => {
                    let kind = [ObjectType::parse(t)];
                    found
                        .into_iter()
                        .filter(|&id| data.is_kind(id, &kind))
                        .collect()
                }
                None => found,
            }
        };
        let ids: Vec<ObjId> = ids
            .into_iter()
            .filter(|&id| self.shown(id, remove_revoked_deprecated))
            .collect();
        self.objs(py, ids)
    }

    /// Attack patterns with a platform containing `platform` (stix2's `contains`: a substring).
    fn techniques_by_platform(
        &self,
        py: Python<'_>,
        platform: &str,
        remove_revoked_deprecated: bool,
    ) -> PyResult<Vec<Py<StixObject>>> {
        let ids: Vec<ObjId> = self
            .parsed_of_type("attack-pattern")
            .into_iter()
            .filter(|&id| {
                self.data
                    .object(id)
                    .platforms
                    .iter()
                    .any(|p| p.contains(platform))
            })
            .filter(|&id| self.shown(id, remove_revoked_deprecated))
            .collect();
        self.objs(py, ids)
    }

    /// Attack patterns with a kill chain phase named `shortname` and a phase of `kill_chain`
    /// (two separate conditions, as the library's two filters).
    fn techniques_by_tactic(
        &self,
        py: Python<'_>,
        shortname: &str,
        kill_chain: &str,
        remove_revoked_deprecated: bool,
    ) -> PyResult<Vec<Py<StixObject>>> {
        let ids: Vec<ObjId> = self
            .parsed_of_type("attack-pattern")
            .into_iter()
            .filter(|&id| {
                let phases = &self.data.object(id).kill_chain_phases;
                phases.iter().any(|p| &*p.phase_name == shortname)
                    && phases.iter().any(|p| &*p.kill_chain_name == kill_chain)
            })
            .filter(|&id| self.shown(id, remove_revoked_deprecated))
            .collect();
        self.objs(py, ids)
    }

    /// Every matrix (bundle order) with its name and its `tactic_refs` resolved (`None` where
    /// the bundle lacks one).
    #[allow(clippy::type_complexity)]
    fn tactics_by_matrix(
        &self,
        py: Python<'_>,
    ) -> PyResult<Vec<(String, Vec<Option<Py<StixObject>>>)>> {
        let mut out = Vec::new();
        for matrix in self.of_type("x-mitre-matrix") {
            let object = self.data.object(matrix);
            let name = object.name.as_deref().unwrap_or_default().to_string();
            let tactics = object
                .tactic_refs
                .iter()
                .map(|r| self.data.by_stix_id(r).map(|t| self.obj(py, t)).transpose())
                .collect::<PyResult<Vec<_>>>()?;
            out.push((name, tactics));
        }
        Ok(out)
    }

    /// The tactics (bundle order, retired ones too) whose shortname is a phase of `stix_id`'s
    /// kill chain phases (of any kill chain).
    fn tactics_of(&self, py: Python<'_>, stix_id: &str) -> PyResult<Vec<Py<StixObject>>> {
        let Some(technique) = self.data.by_stix_id(stix_id) else {
            return Ok(Vec::new());
        };
        let phases: Vec<&str> = self
            .data
            .object(technique)
            .kill_chain_phases
            .iter()
            .map(|p| &*p.phase_name)
            .collect();
        let ids: Vec<ObjId> = self
            .parsed_of_type("x-mitre-tactic")
            .into_iter()
            .filter(|&t| {
                self.data
                    .object(t)
                    .shortname
                    .as_deref()
                    .is_some_and(|s| phases.contains(&s))
            })
            .collect();
        self.objs(py, ids)
    }

    /// Every `uses` relationship targeting `stix_id`, retired ones too, in bundle order.
    fn procedure_examples(&self, py: Python<'_>, stix_id: &str) -> PyResult<Vec<Py<StixObject>>> {
        let Some(target) = self.data.by_stix_id(stix_id) else {
            return Ok(Vec::new());
        };
        let mut ids: Vec<ObjId> = self
            .data
            .incoming(target)
            .filter(|l| l.kind == RelKind::Uses)
            .map(|l| l.relationship)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        self.objs(py, ids)
    }

    /// Objects whose `field` (`created` or `modified`) is after `bound`: as times for the
    /// types stix2 parses, as strings for the others (the library's store keeps those as dicts).
    fn dated_after(
        &self,
        py: Python<'_>,
        field: &str,
        bound: &str,
        remove_revoked_deprecated: bool,
    ) -> PyResult<Vec<Py<StixObject>>> {
        let bound_time = normalize_timestamp(bound).ok_or_else(|| {
            PyValueError::new_err(format!(
                "{bound:?} is not a timestamp: expected e.g. \"2018-10-01T00:14:20.652Z\" or \"2022-10-01\""
            ))
        })?;
        let ids: Vec<ObjId> = self
            .parsed((0..self.data.object_count() as ObjId).collect())
            .into_iter()
            .filter(|&id| self.timestamp_after(id, field, bound, &bound_time))
            .filter(|&id| self.shown(id, remove_revoked_deprecated))
            .collect();
        self.objs(py, ids)
    }

    /// The attack patterns used by the software the group uses (the library's
    /// `get_techniques_used_by_group_software`: every relationship counts, retired or not).
    fn techniques_used_by_group_software(
        &self,
        py: Python<'_>,
        group_stix_id: &str,
    ) -> PyResult<Vec<Py<StixObject>>> {
        let Some(group) = self.data.by_stix_id(group_stix_id) else {
            return Ok(Vec::new());
        };
        let type_of = |id: ObjId| {
            let stix_id = self.data.stix_id(id);
            stix_id.split_once("--").map_or(stix_id, |(t, _)| t)
        };
        let software: Vec<ObjId> = self
            .data
            .outgoing(group)
            .filter(|l| l.kind == RelKind::Uses && matches!(type_of(l.target), "malware" | "tool"))
            .map(|l| l.target)
            .collect();
        let mut ids: Vec<ObjId> = software
            .iter()
            .flat_map(|&s| self.data.outgoing(s))
            .filter(|l| l.kind == RelKind::Uses)
            .map(|l| l.target)
            .filter(|&t| self.is(t, ObjectType::AttackPattern))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        self.objs(py, ids)
    }

    /// The analytics a detection strategy references, in bundle order.
    fn analytics_of(
        &self,
        py: Python<'_>,
        strategy_stix_id: &str,
        remove_revoked_deprecated: bool,
    ) -> PyResult<Vec<Py<StixObject>>> {
        let Some(strategy) = self.data.by_stix_id(strategy_stix_id) else {
            return Ok(Vec::new());
        };
        let mut ids: Vec<ObjId> = self
            .data
            .object(strategy)
            .analytic_refs
            .iter()
            .filter_map(|r| self.data.by_stix_id(r))
            .filter(|&a| self.is(a, ObjectType::Analytic))
            .filter(|&a| self.shown(a, remove_revoked_deprecated))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        self.objs(py, ids)
    }

    /// The first object (bundle order) of `stix_type` with an external reference whose
    /// `external_id` is `external_id`.
    fn by_external_id(
        &self,
        py: Python<'_>,
        external_id: &str,
        stix_type: &str,
    ) -> PyResult<Option<Py<StixObject>>> {
        let kind = ObjectType::parse(stix_type);
        let indexed = self
            .data
            .by_attack_id(external_id)
            .iter()
            .copied()
            .filter(|&id| self.is(id, kind.clone()))
            .filter(|&id| self.data.display_id(id) == external_id)
            .min();
        if let Some(id) = indexed {
            // An ATT&CK ID (the kb indexes them): no need to read every object's references.
            return self.obj(py, id).map(Some);
        }
        self.parsed_of_type(stix_type)
            .into_iter()
            .find(|&id| {
                self.data
                    .object(id)
                    .external_references
                    .iter()
                    .any(|r| r.external_id.as_deref() == Some(external_id))
            })
            .map(|id| self.obj(py, id))
            .transpose()
    }

    /// Objects of `stix_type` named exactly `name`, in bundle order.
    fn by_name(
        &self,
        py: Python<'_>,
        name: &str,
        stix_type: &str,
    ) -> PyResult<Vec<Py<StixObject>>> {
        let ids: Vec<ObjId> = self
            .parsed_of_type(stix_type)
            .into_iter()
            .filter(|&id| self.data.object(id).name.as_deref() == Some(name))
            .collect();
        self.objs(py, ids)
    }

    /// Objects of each of `types` in turn (bundle order) with an alias containing `alias`
    /// (stix2's `contains`: a case-sensitive substring of an alias).
    fn by_alias(
        &self,
        py: Python<'_>,
        alias: &str,
        types: Vec<String>,
    ) -> PyResult<Vec<Py<StixObject>>> {
        let ids: Vec<ObjId> = types
            .iter()
            .flat_map(|t| self.parsed_of_type(t))
            .filter(|&id| {
                self.data
                    .object(id)
                    .aliases
                    .iter()
                    .any(|a| a.contains(alias))
            })
            .collect();
        self.objs(py, ids)
    }

    /// The first (bundle order) target of the object's `revoked-by` relationships.
    fn revoking_object(&self, py: Python<'_>, stix_id: &str) -> PyResult<Option<Py<StixObject>>> {
        let Some(revoked) = self.data.by_stix_id(stix_id) else {
            return Ok(None);
        };
        self.data
            .outgoing(revoked)
            .filter(|l| l.kind == RelKind::RevokedBy)
            .map(|l| l.target)
            .min()
            .map(|id| self.obj(py, id))
            .transpose()
    }

    /// The library's `get_related`.
    fn related<'py>(
        &self,
        py: Python<'py>,
        source_type: &str,
        relationship_type: &str,
        target_type: &str,
        reverse: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let data = &self.data;
        let map =
            py.detach(|| get_related(data, source_type, relationship_type, target_type, reverse));
        self.map_to_python(py, &map)
    }

    /// The map of the library's `get_all_*` method `method`.
    fn library_family<'py>(&self, py: Python<'py>, method: &str) -> PyResult<Bound<'py, PyDict>> {
        let data = &self.data;
        let map = py
            .detach(|| library_family(data, method))
            .ok_or_else(|| PyValueError::new_err(format!("unknown relationship map `{method}`")))?;
        self.map_to_python(py, &map)
    }

    // ---- the kb's own questions (attackdb.Kb) ----

    /// A relation family (`techniques_used_by_group`...) as `{ATT&CK ID: [ATT&CK IDs]}`, or for
    /// one object (`key`: ATT&CK ID, STIX ID, name or alias) its sorted list.
    #[pyo3(signature = (family, key = None))]
    fn relation<'py>(
        &self,
        py: Python<'py>,
        family: &str,
        key: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let relation = Relation::parse(family).map_err(kb_error)?;
        match key {
            None => Ok(self
                .data
                .relation_map_named(relation)
                .into_pyobject(py)?
                .into_any()),
            Some(key) => {
                let types = relation.key_types();
                let id = self
                    .data
                    .lookup_where(key, |o| types.contains(&self.data.object(o).kind))
                    .map_err(kb_error)?;
                let ids: Vec<String> = self
                    .data
                    .related(relation, id)
                    .into_iter()
                    .map(|o| self.data.display_id(o).to_string())
                    .collect();
                Ok(ids.into_pyobject(py)?.into_any())
            }
        }
    }

    /// Finds one object by STIX ID, ATT&CK ID, name or alias (as `attackdb show`).
    fn lookup(&self, py: Python<'_>, query: &str) -> PyResult<Py<StixObject>> {
        let id = self.data.lookup(query).map_err(kb_error)?;
        self.obj(py, id)
    }

    /// Every object of a concept (`techniques`, `groups`...), sorted by ATT&CK ID.
    #[pyo3(signature = (concept, include_revoked = false, include_deprecated = false))]
    fn list(
        &self,
        py: Python<'_>,
        concept: &str,
        include_revoked: bool,
        include_deprecated: bool,
    ) -> PyResult<Vec<Py<StixObject>>> {
        let found = Concept::parse(concept).ok_or_else(|| {
            let known: Vec<&str> = Concept::ALL.iter().map(|c| c.plural()).collect();
            PyValueError::new_err(format!(
                "unknown concept `{concept}`: expected one of {}",
                known.join(", ")
            ))
        })?;
        let ids = self
            .data
            .list(found, visibility(include_revoked, include_deprecated));
        self.objs(py, ids)
    }

    /// Ranked search over names, IDs, aliases and descriptions: the objects, best first.
    #[pyo3(signature = (query, include_revoked = false, include_deprecated = false))]
    fn search(
        &self,
        py: Python<'_>,
        query: &str,
        include_revoked: bool,
        include_deprecated: bool,
    ) -> PyResult<Vec<Py<StixObject>>> {
        let hits = self
            .data
            .search(query, visibility(include_revoked, include_deprecated))
            .map_err(crate::errors::kb_error)?;
        self.objs(py, hits.into_iter().map(|h| h.object))
    }

    /// The Navigator layer (4.5, as JSON text) of the techniques an object uses, mitigates or
    /// detects (a group, software, campaign, mitigation, data component or detection strategy,
    /// named by ID, name or alias), as `attackdb layer generate`.
    #[pyo3(signature = (query, platform = None))]
    fn usage_layer(&self, query: &str, platform: Option<String>) -> PyResult<String> {
        use attackdb_navigator::generate;
        let object = generate::USAGE_KINDS
            .iter()
            .find_map(|&kind| generate::resolve(&self.data, query, kind).ok())
            .map_or_else(|| self.data.lookup(query).map_err(kb_error), Ok)?;
        let options = generate::GenerateOptions { platform };
        let layer = generate::usage_layer(&self.data, object, &options).map_err(navigator_error)?;
        attackdb_navigator::layer_to_json(&layer).map_err(navigator_error)
    }

    /// Detection coverage of the rule files under `paths` (Sigma, Splunk, Elastic, CSV
    /// inventories, layers), as `attackdb coverage --json` (JSON text).
    #[pyo3(signature = (paths, platform = None))]
    fn coverage(
        &self,
        py: Python<'_>,
        paths: Vec<PathBuf>,
        platform: Option<String>,
    ) -> PyResult<String> {
        let data: &Dataset = &self.data;
        py.detach(|| {
            // As the CLI without `--status`: every rule but the deprecated ones.
            let request = attackdb_ask::CoverageRequest {
                paths,
                platform,
                scope: attackdb_ask::Scope::new(
                    Some(data.domain().as_str()),
                    Some(data.release().as_str()),
                ),
                ..attackdb_ask::CoverageRequest::default()
            };
            let analysis = attackdb_ask::coverage(data, &request)
                .map_err(ask_error)?
                .answer
                .answer;
            serde_json::to_string(&attackdb_coverage::document(&analysis).to_value())
                .map_err(|e| PyValueError::new_err(e.to_string()))
        })
    }

    /// A report's text (plain, Markdown or HTML) mapped to techniques, as `attackdb map
    /// --json` (JSON text). The model of the release is built at the first call and kept.
    #[pyo3(signature = (text, name = None, top = 20, min_score = 0.2))]
    fn map(
        &self,
        py: Python<'_>,
        text: &str,
        name: Option<String>,
        top: usize,
        min_score: f64,
    ) -> PyResult<String> {
        let data: &Dataset = &self.data;
        let bytes = text.as_bytes().to_vec();
        py.detach(move || {
            let request = attackdb_ask::MapRequest {
                name: name.unwrap_or_else(|| "text".to_string()),
                top,
                min_score,
                scope: attackdb_ask::Scope::new(
                    Some(data.domain().as_str()),
                    Some(data.release().as_str()),
                ),
                // Kept beside the prebuilt indexes of the data home, as the CLI keeps it.
                model_dir: crate::home::locate().ok().map(|home| home.join("index")),
            };
            let answered = attackdb_ask::map(data, &request, &bytes).map_err(ask_error)?;
            serde_json::to_string(&answered.answer)
                .map_err(|e| PyValueError::new_err(e.to_string()))
        })
    }

    /// The ATT&CK ID of an object (any of the three ATT&CK source names), else `None`.
    fn attack_id_of(&self, stix_id: &str) -> Option<String> {
        let id = self.data.by_stix_id(stix_id)?;
        self.data.object(id).attack_id().map(str::to_string)
    }

    /// How a technique is detected (18+): `[{strategy, analytics: [{analytic, log_sources:
    /// [(data component ID or None, name, channel)]}]}]`, by ATT&CK ID.
    fn detection_chain<'py>(
        &self,
        py: Python<'py>,
        technique: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        let id = self
            .data
            .lookup_where(technique, |o| {
                self.data.object(o).kind == ObjectType::AttackPattern
            })
            .map_err(kb_error)?;
        let chain = self.data.detection_chain(id);
        let out = PyList::empty(py);
        for strategy in chain.strategies {
            let analytics = PyList::empty(py);
            for analytic in strategy.analytics {
                let sources: Vec<(Option<String>, String, Option<String>)> = analytic
                    .log_sources
                    .into_iter()
                    .map(|(dc, name, channel)| {
                        (
                            dc.map(|d| self.data.display_id(d).to_string()),
                            name,
                            channel,
                        )
                    })
                    .collect();
                let item = PyDict::new(py);
                item.set_item("analytic", self.data.display_id(analytic.analytic))?;
                item.set_item("log_sources", sources)?;
                analytics.append(item)?;
            }
            let item = PyDict::new(py);
            item.set_item("strategy", self.data.display_id(strategy.strategy))?;
            item.set_item("analytics", analytics)?;
            out.append(item)?;
        }
        Ok(out)
    }
}
