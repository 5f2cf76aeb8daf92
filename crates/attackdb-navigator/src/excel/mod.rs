//! The whole knowledge base of one domain and release as Excel, at parity with mitreattack-python
//! 6.3.1's attackToExcel: the same workbooks (`<domain>.xlsx` and `<domain>-<type>.xlsx`), the
//! same sheets in the same order, the same columns in the same order, the same rows; attackdb's
//! own columns and sheets come after attackToExcel's.
//!
//! attackToExcel builds each sheet as a pandas DataFrame from one dict per object, so a sheet's
//! columns are the union of the keys its rows have, in the order they first appear (objects in
//! bundle order), and a column no object fills is absent. `Frame` does the same. Revoked and
//! deprecated objects and relationships are left out, as attackToExcel does.
//!
//! Where attackToExcel is wrong attackdb is right, and says so here and in the README:
//! - the matrix: a technique whose sub-techniques are all revoked, deprecated or (in a platform
//!   matrix) not of the platform gets no blank beside it in the sub-technique column, so every
//!   later sub-technique of the tactic moves up beside the wrong technique; attackdb keeps each
//!   sub-technique beside its technique (the same row count whenever the technique is last);
//! - `relationship citations` lists each sheet's citations in Python's set order (a different
//!   order each run); attackdb sorts them;
//! - a type with no relationships at all makes attackToExcel fail; attackdb leaves the column
//!   blank.
//!
//! The module by sheet family: `sheet` (cells, sheets, the pandas-like frame), `fields` (the
//! common columns and value helpers), `citations`, `relationships`, `context` (one type's
//! sheets and what they are built from), `techniques` (and tactics), `software_groups` (and
//! campaigns), `assets_mitigations`, `detection`, `matrices`, and `xlsx` (the bytes written).

mod assets_mitigations;
mod citations;
mod context;
mod detection;
mod fields;
mod matrices;
mod relationships;
mod sheet;
mod software_groups;
mod techniques;
mod xlsx;

use std::collections::HashSet;

use attackdb_kb::{Concept, Dataset, ObjId, ObjectType, Visibility};

use crate::problem::Result;
use assets_mitigations::{assets, mitigations};
use citations::{citation_sheet, sort_citations, Citation};
use context::{Context, TypeData};
use detection::{analytics, data_components, defensive_mappings, detection_strategies};
use fields::{base, common_and, list, names};
use matrices::matrices;
use relationships::relationships;
use sheet::{frame, Record};
use software_groups::{campaigns, groups, software};
use techniques::{tactics, techniques};

pub use sheet::{Cell, Merge, Sheet, WorkbookSheets};
pub use xlsx::knowledge_base_workbooks;

/// Every object type's sheets in attackToExcel's order, and the laid-out matrices (each
/// matrix's, then each platform's).
fn knowledge_base_types(d: &Dataset) -> Result<(Vec<TypeData>, Vec<Sheet>, Vec<Sheet>)> {
    let cx = Context::with_relationships(d);
    let mut types = vec![techniques(&cx)?, tactics(&cx), software(&cx), groups(&cx)];
    types.extend(campaigns(&cx)?);
    types.extend(assets(&cx)?);
    types.push(mitigations(&cx));
    let (main_matrices, platform_matrices) = matrices(&cx);
    types.push(relationships(&cx));
    types.push(data_components(&cx));
    types.extend(analytics(&cx));
    types.extend(detection_strategies(&cx));
    Ok((types, main_matrices, platform_matrices))
}

/// attackdb's own sheets: the matrix objects and (up to 17.x) the data sources.
fn attackdb_sheets(cx: &Context) -> (Sheet, Sheet) {
    let d = cx.d;
    let matrices = cx.live(&[ObjectType::Matrix]);
    let records: Vec<Record> = matrices
        .iter()
        .map(|&m| {
            let tactics: Vec<ObjId> = d
                .object(m)
                .tactic_refs
                .iter()
                .filter_map(|r| d.by_stix_id(r))
                .collect();
            let mut r = Record {
                fields: Vec::new(),
                more: base(d, m).more,
            };
            r.more.push(("tactics", names(d, &tactics).into()));
            r
        })
        .collect();
    let matrices = frame("matrices", records, &[], &common_and(&["tactics"]), false);
    let sources = d.list_any(&[Concept::DataSource], Visibility::LIVE);
    let records: Vec<Record> = sources
        .iter()
        .map(|&s| Record {
            fields: Vec::new(),
            more: {
                let mut more = base(d, s).more;
                more.push(("platforms", list(&d.object(s).platforms).into()));
                more
            },
        })
        .collect();
    let datasources = frame(
        "datasources",
        records,
        &[],
        &common_and(&["platforms"]),
        true,
    );
    (matrices, datasources)
}

/// Every workbook of `dataset`, as attackToExcel writes them: `<domain>.xlsx` (each type's
/// main sheet, the matrices, `defensive mappings`, `citations`), then `<domain>-<type>.xlsx`
/// per type (its sheet, its relationship sheets, its citations, `defensive mappings` for the
/// detection types) and `<domain>-matrices.xlsx` (every matrix, then every platform's).
/// attackdb's own come after: the `matrices` sheet (matrix objects), `datasources` (when the
/// release has live ones), `<domain>-citations.xlsx` and `<domain>-datasources.xlsx`.
pub fn knowledge_base_files(dataset: &Dataset) -> Result<Vec<WorkbookSheets>> {
    let d = dataset;
    let domain = d.domain();
    let (types, main_matrices, platform_matrices) = knowledge_base_types(d)?;
    let defensive = defensive_mappings(d);
    let cx = Context {
        d,
        rels: Vec::new(),
        rel_citations: Vec::new(),
    };
    let (matrix_objects, datasources) = attackdb_sheets(&cx);
    let mut master = Vec::new();
    let mut files = Vec::new();
    let mut all_citations: Vec<Citation> = Vec::new();
    for t in &types {
        if t.main.rows.is_empty() {
            continue;
        }
        let mut sheets = t.sheets();
        let detection_type = matches!(
            t.name,
            "detectionstrategies" | "analytics" | "datacomponents"
        );
        if detection_type && !defensive.rows.is_empty() {
            sheets.push(defensive.clone());
        }
        files.push(WorkbookSheets {
            file: format!("{domain}-{}.xlsx", t.name),
            sheets,
        });
        if let Some(c) = &t.citations {
            all_citations.extend(c.iter().cloned());
        }
        master.push(t.main.clone());
        if t.name == "mitigations" {
            master.extend(main_matrices.iter().cloned());
            let mut sheets: Vec<Sheet> = main_matrices.clone();
            sheets.extend(platform_matrices.iter().cloned());
            if !matrix_objects.rows.is_empty() {
                sheets.push(matrix_objects.clone());
            }
            files.push(WorkbookSheets {
                file: format!("{domain}-matrices.xlsx"),
                sheets,
            });
        }
    }
    if !defensive.rows.is_empty() {
        master.push(defensive);
    }
    let mut seen = HashSet::new();
    all_citations.retain(|c| seen.insert(c.reference.clone()));
    sort_citations(&mut all_citations);
    let citations = citation_sheet(&all_citations);
    master.push(citations.clone());
    if !matrix_objects.rows.is_empty() {
        master.push(matrix_objects);
    }
    if !datasources.rows.is_empty() {
        master.push(datasources.clone());
        files.push(WorkbookSheets {
            file: format!("{domain}-datasources.xlsx"),
            sheets: vec![datasources],
        });
    }
    files.push(WorkbookSheets {
        file: format!("{domain}-citations.xlsx"),
        sheets: vec![citations],
    });
    files.insert(
        0,
        WorkbookSheets {
            file: format!("{domain}.xlsx"),
            sheets: master,
        },
    );
    Ok(files)
}

/// The sheets of `<domain>.xlsx`, in order.
pub fn knowledge_base_sheets(dataset: &Dataset) -> Result<Vec<Sheet>> {
    Ok(knowledge_base_files(dataset)?
        .into_iter()
        .next()
        .map(|w| w.sheets)
        .unwrap_or_default())
}
