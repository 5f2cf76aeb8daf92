//! ATT&CK Navigator layers: read (format 4.x, 3.0, 2.x), validate, upgrade to 4.5, write; score
//! colours as the Navigator computes them; generate layers from the knowledge base; combine
//! layers; export them to SVG, XLSX, CSV and Markdown; and the whole knowledge base to Excel.
//!
//! ```
//! use attackdb_navigator::{read_layers, layers_to_json};
//! let file = read_layers(r#"{"name": "old", "version": "2.2", "domain": "mitre-enterprise",
//!     "techniques": [{"techniqueID": "T1003", "score": 3}]}"#)?;
//! let layer = &file.layers[0];
//! assert!(layer.is_valid());
//! assert_eq!(layer.layer.domain, "enterprise-attack");
//! let text = layers_to_json(&[layer.layer.clone()], false)?;
//! assert!(text.contains(r#""layer": "4.5""#));
//! # Ok::<(), attackdb_navigator::Error>(())
//! ```
//!
//! Library rules as elsewhere in attackdb: no I/O (text in, text or bytes out), no printing, no
//! panics on input; every problem with a layer is a [`Problem`] with its JSON path.

mod answer;
pub mod color;
pub mod excel;
pub mod export;
mod expr;
pub mod generate;
mod limits;
mod matrix;
pub mod migrate;
mod model;
pub mod ops;
mod problem;
mod read;
mod validate;
mod write;

pub use answer::{
    diff_layer, upgrade_summary, BatchLayer, BatchReport, DecisionAnswer, ExportReport,
    LayerUpgrade, LayerValidation, MigrationReport, MigrationSource, ProblemAnswer, UpgradeReport,
    ValidationReport, Workbook, WorkbooksReport, WrittenLayer,
};
pub use expr::Expr;
pub use limits::{limits, set_limits, Limits};
pub use matrix::{LayerCell, LayerColumn, LayerMatrix, LayerMatrixOptions};
pub use model::*;
pub use problem::{Error, Problem, Result, Severity};
pub use read::{is_technique_id, read_layer_value, read_layers, LayerFile, ReadLayer};
pub use validate::{check_against, check_file};
pub use write::{layer_to_json, layer_to_value, layers_to_json};
