//! Bad layers: each problem gets its JSON path and a clear message, the valid layers of the same
//! file are still read, nothing panics.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use attackdb_navigator::{read_layers, Error, Severity};

fn errors(text: &str) -> Vec<Vec<String>> {
    read_layers(text)
        .unwrap()
        .layers
        .iter()
        .map(|l| l.errors().map(ToString::to_string).collect())
        .collect()
}

#[test]
fn every_problem_has_its_path_and_good_layers_still_read() {
    let text = r##"[
      {"name": "good", "domain": "enterprise-attack", "techniques": [{"techniqueID": "T1059.001", "score": 3}]},
      {"name": 5, "domain": "pre-attack", "sorting": 7,
       "gradient": {"colors": ["#ff0000"], "minValue": 10, "maxValue": 10},
       "layout": {"layout": "wide", "aggregateFunction": "median"},
       "techniques": [{"techniqueID": "T1059", "score": "high"}, {"techniqueID": "t1003"},
                      {"score": 1}, "x", {"techniqueID": "T1003", "color": "blue-ish", "enabled": "yes"}],
       "legendItems": [{"label": "x"}], "metadata": [{"name": "n"}], "hideDisabled": 1},
      3
    ]"##;
    assert_eq!(
        errors(text),
        vec![
            vec![],
            vec![
                "[1].name: expected a string, found a number",
                "[1].domain: unknown domain `pre-attack`: expected enterprise-attack, mobile-attack or ics-attack",
                "[1].gradient.colors: a gradient needs at least two colours, found 1",
                "[1].gradient.maxValue: maxValue (10) must be greater than minValue (10)",
                "[1].hideDisabled: expected true or false, found a number",
                "[1].layout.aggregateFunction: expected average, min, max or sum, found `median`",
                "[1].layout.layout: expected side, flat or mini, found `wide`",
                "[1].legendItems[0].color: missing required field",
                "[1].metadata[0].value: missing required field",
                "[1].sorting: expected 0, 1, 2 or 3, found 7",
                "[1].techniques[0].score: expected a number, found a string",
                "[1].techniques[1].techniqueID: `t1003` is not a technique ID (expected T#### or T####.###)",
                "[1].techniques[2].techniqueID: missing required field",
                "[1].techniques[3]: expected an object, found a string",
                "[1].techniques[4].color: `blue-ish` is not a colour (expected #rrggbb)",
                "[1].techniques[4].enabled: expected true or false, found a string",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            vec!["[2]: expected a layer object, found a number".to_string()],
        ]
    );
    let file = read_layers(text).unwrap();
    assert!(file.layers[0].is_valid());
    assert_eq!(file.layers[0].layer.techniques[0].score, Some(3.0));
    assert!(file.into_valid_layers().is_err());
}

#[test]
fn single_layer_paths_have_no_prefix() {
    let e = errors(r#"{"name": "x", "domain": "ics-attack", "techniques": {"T1": 1}}"#);
    assert_eq!(
        e,
        vec![vec![
            "techniques: expected a list, found an object".to_string()
        ]]
    );
    let e = errors(r#"{"domain": "mobile-attack"}"#);
    assert_eq!(e, vec![vec!["name: missing required field".to_string()]]);
}

#[test]
fn not_json_and_not_a_layer() {
    match read_layers("{\"name\": ").unwrap_err() {
        Error::NotJson { line, .. } => assert_eq!(line, 1),
        other => panic!("{other}"),
    }
    let error = read_layers("\"layer\"").unwrap_err();
    assert_eq!(
        error.to_string(),
        "$: expected a layer object or a list of layers, found a string"
    );
    assert!(read_layers("").is_err());
    assert!(read_layers("[]").unwrap().layers.is_empty());
}

#[test]
fn a_layer_nested_past_the_json_depth_bound_is_refused_with_its_place() {
    // A layer nests 4 deep (layer, techniques, technique, metadata list): the default bound,
    // 127, leaves room; past it, the place of the first bracket too deep.
    let shallow = r#"{"name": "x", "domain": "enterprise-attack", "techniques": [{"techniqueID": "T1059", "metadata": [{"name": "a", "value": "b"}]}]}"#;
    assert_eq!(read_layers(shallow).unwrap().layers.len(), 1);
    let deep = format!(
        "{{\"name\": \"x\",\n\"metadata\": {}{}}}",
        "[".repeat(300),
        "]".repeat(300)
    );
    match read_layers(&deep).unwrap_err() {
        Error::TooDeep(depth) => {
            assert_eq!((depth.limit, depth.line, depth.column), (127, 2, 13 + 126))
        }
        other => panic!("{other}"),
    }
}

#[test]
fn old_formats_upgrade_with_notes() {
    let file = read_layers(
        r##"{"name": "old", "version": "2.2", "domain": "mitre-mobile", "viewMode": 1,
            "hideDisable": true, "filters": {"stages": ["act"], "platforms": ["Android"]},
            "techniques": [{"techniqueID": "T1404", "score": 1.5, "aggregateScore": 3}], "custom": [1]}"##,
    )
    .unwrap();
    let read = &file.layers[0];
    assert!(read.is_valid());
    assert_eq!(read.source_version, "2.2");
    let layer = &read.layer;
    assert_eq!(layer.domain, "mobile-attack");
    let versions = layer.versions.as_ref().unwrap();
    assert_eq!(versions.layer.as_deref(), Some("4.5"));
    assert_eq!(versions.navigator.as_deref(), Some("5.1.0"));
    let layout = layer.layout.as_ref().unwrap();
    assert_eq!(
        (layout.show_name, layout.show_id),
        (Some(false), Some(true))
    );
    assert_eq!(layer.hide_disabled, Some(true));
    assert_eq!(
        layer.filters.as_ref().unwrap().platforms.as_deref(),
        Some(&["Android".to_string()][..])
    );
    // unknown fields are kept, at the layer and in techniques
    assert!(layer.extra.contains_key("custom"));
    assert!(layer.techniques[0].extra.contains_key("aggregateScore"));
    let text = attackdb_navigator::layer_to_json(layer).unwrap();
    assert!(text.contains("\"custom\""));
    assert!(text.contains("\"aggregateScore\": 3"));
    assert!(
        !text.contains("viewMode") && !text.contains("stages") && !text.contains("hideDisable\"")
    );
    assert!(read.problems.iter().all(|p| p.severity == Severity::Note));
}
