//! `StixObject`: one STIX object as Python sees it, behaving like a stix2 object (attribute and
//! item access, `get`, `in`, key iteration, `dict(...)`, equality by ID and version,
//! `serialize()`), made on first use and parsed from its original JSON only when a field is
//! first read.

use std::sync::Arc;

use attackdb_kb::{Dataset, ObjId};
use pyo3::exceptions::{PyAttributeError, PyKeyError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple};

use crate::errors::kb_error;

/// `attackdb._objects._load`: raw JSON -> the field dictionary (nested mappings with attribute
/// access, timestamps as `datetime`, stix2's defaults).
static LOADER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// `attackdb._objects._dumps`: re-serializes a field dictionary (`serialize(pretty=True)`).
static DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn helper<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let found = cell.get_or_try_init(py, || {
        py.import("attackdb._objects")?
            .getattr(name)
            .map(Bound::unbind)
    })?;
    Ok(found.bind(py).clone())
}

/// A STIX object of a loaded bundle. Read it like a stix2 object: `obj.name`,
/// `obj["external_references"][0].external_id`, `obj.get("x_mitre_platforms", [])`,
/// `"revoked" in obj`, `dict(obj)`; `obj.serialize()` is its JSON exactly as in the bundle.
/// Objects are immutable; two are equal when their STIX ID and `modified` are.
#[pyclass(frozen, module = "attackdb", name = "StixObject")]
pub struct StixObject {
    data: Arc<Dataset>,
    id: ObjId,
    fields: PyOnceLock<Py<PyDict>>,
}

impl StixObject {
    /// The object at `id` of `data`; nothing is parsed yet.
    pub fn new(data: Arc<Dataset>, id: ObjId) -> StixObject {
        StixObject {
            data,
            id,
            fields: PyOnceLock::new(),
        }
    }

    /// Its index in its dataset.
    pub fn index(&self) -> ObjId {
        self.id
    }

    /// The dataset it belongs to.
    pub fn dataset(&self) -> &Arc<Dataset> {
        &self.data
    }

    fn fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let fields = self
            .fields
            .get_or_try_init(py, || -> PyResult<Py<PyDict>> {
                let raw = self.data.raw_json(self.id).map_err(kb_error)?;
                let kind = self.data.object(self.id).kind.as_str();
                let loaded = helper(py, &LOADER, "_load")?.call1((raw, kind))?;
                Ok(loaded.cast_into::<PyDict>()?.unbind())
            })?;
        Ok(fields.bind(py).clone())
    }

    fn required(&self, py: Python<'_>, field: &str) -> PyResult<Py<PyAny>> {
        match self.fields(py)?.get_item(field)? {
            Some(value) if !value.is_none() => Ok(value.unbind()),
            _ => Err(PyAttributeError::new_err(format!(
                "{field} attribute is missing"
            ))),
        }
    }

    fn modified(&self) -> Option<&str> {
        self.data.object(self.id).modified.as_deref()
    }

    fn same_dataset(&self, other: &StixObject) -> bool {
        Arc::ptr_eq(&self.data, &other.data) && self.id == other.id
    }
}

#[pymethods]
impl StixObject {
    /// The STIX ID (read without parsing the object).
    #[getter]
    fn id(&self) -> &str {
        self.data.stix_id(self.id)
    }

    /// The STIX type (read without parsing the object).
    #[getter(r#type)]
    fn stix_type(&self) -> &str {
        self.data.object(self.id).kind.as_str()
    }

    fn __getattr__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        match self.fields(py)?.get_item(name)? {
            Some(value) => Ok(value.unbind()),
            None => Err(PyAttributeError::new_err(format!(
                "'StixObject' object ({}) has no attribute '{name}'",
                self.stix_type()
            ))),
        }
    }

    fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match self.fields(py)?.get_item(key)? {
            Some(value) => Ok(value.unbind()),
            None => Err(PyKeyError::new_err(key.clone().unbind())),
        }
    }

    /// The value of field `key`, or `default` when the object has no such field.
    #[pyo3(signature = (key, default = None))]
    fn get(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        default: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        match self.fields(py)?.get_item(key)? {
            Some(value) => Ok(value.unbind()),
            None => Ok(default.unwrap_or_else(|| py.None())),
        }
    }

    fn __contains__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.fields(py)?.contains(key)
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.fields(py)?.len())
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.fields(py)?.as_any().try_iter().map(Bound::into_any)
    }

    /// The field names, in the bundle's order (then stix2's defaults, e.g. `revoked`).
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.fields(py)?.call_method0("keys")
    }

    /// The field values.
    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.fields(py)?.call_method0("values")
    }

    /// The (name, value) pairs.
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.fields(py)?.call_method0("items")
    }

    /// The object's JSON: exactly as in the bundle by default; with `pretty=True` (or any
    /// `json.dumps` keyword argument) re-serialized from its fields, in the bundle's order.
    #[pyo3(signature = (pretty = false, **kwargs))]
    fn serialize(
        &self,
        py: Python<'_>,
        pretty: bool,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let raw = self.data.raw_json(self.id).map_err(kb_error)?;
        if !pretty && kwargs.is_none_or(|k| k.is_empty()) {
            return Ok(PyString::new(py, raw).into_any().unbind());
        }
        let dumped = helper(py, &DUMPS, "_dumps")?.call((raw, pretty), kwargs)?;
        Ok(dumped.unbind())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = other.py();
        let Ok(other) = other.cast::<StixObject>() else {
            return Ok(py.NotImplemented());
        };
        let other = other.get();
        let equal = self.same_dataset(other)
            || (self.id() == other.id() && self.modified() == other.modified());
        Ok(equal.into_pyobject(py)?.to_owned().into_any().unbind())
    }

    fn __ne__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = other.py();
        let Ok(other) = other.cast::<StixObject>() else {
            return Ok(py.NotImplemented());
        };
        let other = other.get();
        let equal = self.same_dataset(other)
            || (self.id() == other.id() && self.modified() == other.modified());
        Ok((!equal).into_pyobject(py)?.to_owned().into_any().unbind())
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        PyTuple::new(py, [self.id(), self.modified().unwrap_or("")])?.hash()
    }

    fn __repr__(&self) -> String {
        let object = self.data.object(self.id);
        match &object.name {
            Some(name) => format!(
                "StixObject(type={:?}, id={:?}, name={:?})",
                object.kind.as_str(),
                self.id(),
                name
            ),
            None => format!(
                "StixObject(type={:?}, id={:?})",
                object.kind.as_str(),
                self.id()
            ),
        }
    }

    /// Like stix2: the pretty-printed JSON.
    fn __str__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.serialize(py, true, None)
    }

    fn __dir__(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let mut names: Vec<String> = self.fields(py)?.keys().extract()?;
        names.extend(
            ["get", "keys", "values", "items", "serialize", "id", "type"].map(str::to_string),
        );
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// `x_mitre_version` (mitreattack-python's custom ATT&CK classes have this method).
    fn get_version(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.required(py, "x_mitre_version")
    }

    /// `x_mitre_shortname` of a tactic (as mitreattack-python's `Tactic.get_shortname`).
    fn get_shortname(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.required(py, "x_mitre_shortname")
    }

    /// Objects are immutable: a copy is the object itself.
    fn __copy__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Objects are immutable: a deep copy is the object itself.
    fn __deepcopy__(slf: Py<Self>, _memo: &Bound<'_, PyAny>) -> Py<Self> {
        slf
    }

    /// Pickles as a plain `dict` of the fields (the dataset does not travel with it).
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let dict_type = py.get_type::<PyDict>();
        let copy = self.fields(py)?.copy()?;
        PyTuple::new(
            py,
            [dict_type.into_any(), PyTuple::new(py, [copy])?.into_any()],
        )
    }
}
