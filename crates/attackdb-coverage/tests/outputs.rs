//! The outputs: the Navigator layer reads back as a valid 4.5 layer whose techniques all exist in
//! the release; the HTML report is self-contained; the Markdown report has its sections.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use attackdb_coverage::{analyze, ingest, Actors, Options};

fn analysis_inputs() -> Vec<std::path::PathBuf> {
    vec![
        common::fixture("elastic"),
        common::fixture("csv"),
        common::fixture("layers/coverage.json"),
    ]
}

#[test]
fn the_layer_is_valid_and_names_the_rules() {
    let Some(dataset) = common::enterprise() else {
        return;
    };
    let ingested = ingest(&analysis_inputs(), None).unwrap();
    let analysis = analyze(dataset, ingested, &Options::default()).unwrap();
    let layer = attackdb_coverage::to_layer(&analysis, "fixture coverage");
    let text = attackdb_navigator::layer_to_json(&layer).unwrap();
    let file = attackdb_navigator::read_layers(&text).unwrap();
    assert!(file.is_valid(), "{:?}", file.layers[0].problems);
    let read = &file.layers[0].layer;
    assert_eq!(
        read.versions.as_ref().unwrap().layer.as_deref(),
        Some("4.5")
    );
    assert_eq!(read.domain, "enterprise-attack");
    let problems = attackdb_navigator::check_against(read, dataset, "$");
    assert!(problems.is_empty(), "{problems:?}");
    let gradient = read.gradient.as_ref().unwrap();
    // The scale tops out at the 90th percentile of the scores (here 2 rules), not at the maximum.
    assert_eq!(gradient.max_value, analysis.coverage.scale_max());
    assert_eq!(gradient.max_value, 2.0);
    assert_eq!(
        analysis.coverage.max_score(),
        3.0,
        "T1003.001 has the most rules"
    );
    assert_eq!(read.legend_items.len(), 2);
    let t1003_001 = read
        .techniques
        .iter()
        .find(|t| t.technique_id == "T1003.001")
        .unwrap();
    assert_eq!(t1003_001.score, Some(3.0));
    assert_eq!(
        t1003_001.comment.as_deref(),
        Some("3 rule(s): EDR: credential dumping; Fixture LSASS Dump; Fixture Procdump")
    );
    // T1078 is covered in two of its four tactics (Persistence, Initial Access): one entry each.
    let t1078: Vec<&str> = read
        .techniques
        .iter()
        .filter(|t| t.technique_id == "T1078")
        .filter_map(|t| t.tactic.as_deref())
        .collect();
    assert_eq!(t1078, ["initial-access", "persistence"]);
    // T1059 has only a sub-technique covered: partly, coloured without a score.
    let partly = read
        .techniques
        .iter()
        .find(|t| t.technique_id == "T1059")
        .unwrap();
    assert!(partly.score.is_none() && partly.color.is_some());
    // T1003 is covered itself: the two Elastic rules list it above T1003.001.
    let t1003 = read
        .techniques
        .iter()
        .find(|t| t.technique_id == "T1003")
        .unwrap();
    assert_eq!(t1003.score, Some(2.0));
}

#[test]
fn the_html_report_is_self_contained() {
    let Some(dataset) = common::enterprise() else {
        return;
    };
    let ingested = ingest(&analysis_inputs(), None).unwrap();
    let options = Options {
        actors: Some(Actors::Groups(vec!["APT29".to_string()])),
        ..Options::default()
    };
    let analysis = analyze(dataset, ingested, &options).unwrap();
    let html = attackdb_coverage::to_html(&analysis);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"));
    assert!(!html.contains("src="));
    assert!(!html.contains("href="));
    assert!(html.contains("<div class=\"matrix\">"));
    assert_eq!(html.matches("<div class=\"th\">").count(), 14);
    assert!(html.contains("Top gaps"));
    assert!(html.contains("T1685"), "unknown IDs are listed");
    let markdown = attackdb_coverage::to_markdown(&analysis);
    for section in [
        "## Per tactic",
        "## Matrix",
        "## Top gaps (groups)",
        "## Coverage per groups",
        "## IDs and tactics unknown to this release",
        "## Revoked IDs, counted as their replacements",
        "## Deprecated IDs (counted)",
        "## Files that could not be read",
    ] {
        assert!(markdown.contains(section), "{section}");
    }
}
