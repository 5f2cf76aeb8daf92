//! Exports on the real 18.1 release: SVG parses as XML and shows every annotated technique with
//! its Navigator colour; XLSX opens with a real reader; CSV and Markdown have one row per
//! technique and tactic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Cursor;

use attackdb_kb::Concept;
use attackdb_navigator::color::ScoreColors;
use attackdb_navigator::export::{rows, to_csv, to_markdown, to_svg, to_xlsx};
use attackdb_navigator::generate::{overview_layer, GenerateOptions};
use attackdb_navigator::{LayerMatrix, LayerMatrixOptions};
use calamine::{Reader, Xlsx};

#[test]
fn svg_is_xml_with_every_annotated_technique_coloured() {
    let Some(d) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let layer = overview_layer(d, Concept::Group, &GenerateOptions::default()).unwrap();
    let matrix = LayerMatrix::build(
        &layer,
        d,
        LayerMatrixOptions {
            subtechniques: true,
            all_techniques: false,
        },
    );
    let svg = to_svg(&layer, &matrix);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let colors = ScoreColors::new(layer.gradient.as_ref().unwrap());
    let mut seen = 0;
    for group in doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("technique"))
    {
        let title = group.children().find(|n| n.has_tag_name("title")).unwrap();
        let id = title.text().unwrap().split(' ').next().unwrap().to_string();
        let rect = group.children().find(|n| n.has_tag_name("rect")).unwrap();
        let annotation = layer.techniques.iter().find(|t| t.technique_id == id);
        if let Some(annotation) = annotation {
            assert_eq!(
                rect.attribute("fill"),
                colors.color(annotation.score.unwrap()).as_deref(),
                "{id}"
            );
            seen += 1;
        }
    }
    // every annotated technique appears at least once (under each of its tactics)
    assert!(
        seen >= layer.techniques.len(),
        "{seen} < {}",
        layer.techniques.len()
    );
    let tactics = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("tactic"))
        .count();
    assert_eq!(tactics, 14);
}

#[test]
fn xlsx_opens_with_one_sheet_per_layer() {
    let Some(d) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let a = common::group_layer(d, "G0016");
    let b = common::group_layer(d, "G0007");
    let options = LayerMatrixOptions {
        subtechniques: true,
        all_techniques: true,
    };
    let ma = LayerMatrix::build(&a, d, options);
    let mb = LayerMatrix::build(&b, d, options);
    let bytes = to_xlsx(&[(&a, &ma), (&b, &mb)]).unwrap();
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    assert_eq!(workbook.sheet_names(), ["APT29 (G0016)", "APT28 (G0007)"]);
    let range = workbook.worksheet_range("APT29 (G0016)").unwrap();
    assert_eq!(
        range.get_value((0, 0)).unwrap().to_string(),
        "Reconnaissance"
    );
    let cells: Vec<String> = range
        .rows()
        .flat_map(|r| r.iter().map(|c| c.to_string()))
        .collect();
    assert!(cells.iter().any(|c| c == "T1059.001 PowerShell"));
    // every technique under every tactic is there, annotated or not
    let expected: usize = ma.columns.iter().map(|c| c.cells.len()).sum();
    let written = cells
        .iter()
        .filter(|c| c.starts_with('T') && c.contains(' '))
        .count();
    assert_eq!(written, expected);
}

#[test]
fn csv_and_markdown_rows() {
    let Some(d) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let layer = common::group_layer(d, "G0016");
    let annotated = LayerMatrix::build(
        &layer,
        d,
        LayerMatrixOptions {
            subtechniques: true,
            all_techniques: false,
        },
    );
    let all = LayerMatrix::build(
        &layer,
        d,
        LayerMatrixOptions {
            subtechniques: true,
            all_techniques: true,
        },
    );
    let annotated_rows = rows(&annotated);
    // one row per annotated technique and tactic (plus unannotated parents of annotated
    // sub-techniques)
    let pairs: usize = layer
        .techniques
        .iter()
        .map(|t| {
            d.tactics_of_technique(d.lookup(&t.technique_id).unwrap())
                .len()
        })
        .sum();
    assert_eq!(
        annotated_rows.iter().filter(|r| r[5] == "true").count(),
        pairs
    );
    let all_rows = rows(&all);
    let every: usize = d
        .list_any(
            &[Concept::Technique, Concept::Subtechnique],
            attackdb_kb::Visibility::LIVE,
        )
        .into_iter()
        .map(|t| d.tactics_of_technique(t).len())
        .sum();
    assert_eq!(all_rows.len(), every);
    let csv = to_csv(&all).unwrap();
    // records end in CRLF; comments may hold bare newlines inside quotes
    assert_eq!(csv.matches("\r\n").count(), every + 1);
    assert!(csv.starts_with("tactic_id,tactic,technique_id,technique,"));
    let md = to_markdown(&layer, &annotated);
    assert!(md.starts_with("# APT29 (G0016)\n"));
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| TA")).count(),
        annotated_rows.len()
    );
}
