//! `attackdb._native`: the Rust half of the `attackdb` Python package.
//!
//! The Python half (`python/attackdb/`) holds the public API: `MitreAttackData`, a drop-in for
//! mitreattack-python 6.3.1's class, and `Kb`, the whole knowledge base. Everything that touches
//! many objects is answered here, over an immutable `attackdb_kb::Dataset`:
//!
//! - `dataset::NativeDataset`: one bundle, with the library-shaped queries (bundle order, the
//!   library's filters) that `MitreAttackData` calls.
//! - `object::StixObject`: a STIX object as Python sees it, made on first use and parsed from
//!   its original JSON only when a field is first read.
//! - `families`: mitreattack-python's `get_related` and its 22 `get_all_*` maps, entry for entry.
//! - `kb::KbCore`: several domains and releases, from paths or the data home (`home`).
//!
//! No Rust panic is meant to reach Python: input errors are `errors` mapped to Python
//! exceptions (pyo3 would turn a panic into `PanicException` all the same).

use pyo3::prelude::*;

mod dataset;
mod errors;
mod families;
mod home;
mod kb;
mod object;

/// The extension module.
#[pymodule]
#[pyo3(name = "_native")]
fn native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<object::StixObject>()?;
    module.add_class::<dataset::NativeDataset>()?;
    module.add_class::<kb::KbCore>()?;
    module.add_function(wrap_pyfunction!(home::data_home, module)?)?;
    module.add_function(wrap_pyfunction!(dataset::finish_index_writes, module)?)?;
    module.add("LIBRARY_METHODS", families::LIBRARY_METHODS.to_vec())?;
    Ok(())
}
