//! The knowledge base to Excel on the real 18.1 release: a sheet per type with the data model's
//! counts, for every domain, ICS included; the workbooks open with a real reader.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Cursor;

use attackdb_navigator::excel::{knowledge_base_sheets, knowledge_base_workbooks};
use calamine::{Reader, Xlsx};

fn count(sheets: &[attackdb_navigator::excel::Sheet], name: &str) -> usize {
    sheets.iter().find(|s| s.name == name).unwrap().rows.len()
}

#[test]
fn sheets_hold_the_live_objects_of_every_domain() {
    let Some(enterprise) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let sheets = knowledge_base_sheets(enterprise);
    for (name, n) in [
        ("techniques", 216 + 475),
        ("tactics", 14),
        ("groups", 172),
        ("software", 784),
        ("mitigations", 44),
        ("campaigns", 52),
        ("datacomponents", 106),
        ("detectionstrategies", 691),
        ("analytics", 1739),
        ("datasources", 0),
    ] {
        assert_eq!(count(&sheets, name), n, "{name}");
    }
    let ics = common::dataset("ics", "18.1").unwrap();
    let sheets = knowledge_base_sheets(ics);
    assert_eq!(count(&sheets, "assets"), 18);
    assert_eq!(count(&sheets, "techniques"), 83);
    let files = knowledge_base_workbooks(ics).unwrap();
    assert_eq!(files[0].0, "ics-attack.xlsx");
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(files[0].1.clone())).unwrap();
    assert!(workbook.sheet_names().contains(&"assets".to_string()));
    let assets = workbook.worksheet_range("assets").unwrap();
    assert_eq!(assets.height(), 19);
    assert!(files
        .iter()
        .any(|(name, _)| name == "ics-attack-relationships.xlsx"));
    let mobile = common::dataset("mobile", "18.1").unwrap();
    assert_eq!(count(&knowledge_base_sheets(mobile), "techniques"), 77 + 47);
}
