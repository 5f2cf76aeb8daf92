//! Combining hand-made layers: the Navigator's rules on missing scores, inheritance and
//! gradients, and errors for mixed domains and unknown variables.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use attackdb_navigator::ops::{combine, set_operation, CombineOptions, SetOp};
use attackdb_navigator::{read_layers, Expr, Layer};

fn layer(text: &str) -> Layer {
    let read = read_layers(text).unwrap();
    assert!(read.is_valid(), "{:?}", read.layers[0].problems);
    read.layers[0].layer.clone()
}

fn scores(layer: &Layer) -> Vec<(String, Option<f64>)> {
    layer
        .techniques
        .iter()
        .map(|t| (t.technique_id.clone(), t.score))
        .collect()
}

#[test]
fn scores_combine_missing_as_zero_and_unscored_everywhere_skipped() {
    let a = layer(
        r##"{"name": "A", "domain": "enterprise-attack", "techniques": [
        {"techniqueID": "T1001", "score": 10, "comment": "from a"},
        {"techniqueID": "T1002", "score": 5},
        {"techniqueID": "T1004", "comment": "unscored"}]}"##,
    );
    let b = layer(
        r##"{"name": "B", "domain": "enterprise-attack", "techniques": [
        {"techniqueID": "T1001", "score": 1, "color": "#ff0000"},
        {"techniqueID": "T1003", "score": 7}]}"##,
    );
    let sum = combine(
        &[a.clone(), b.clone()],
        &Expr::parse("a + b").unwrap(),
        &CombineOptions::default(),
        None,
    )
    .unwrap();
    assert_eq!(
        scores(&sum),
        [
            ("T1001".to_string(), Some(11.0)),
            ("T1002".to_string(), Some(5.0)),
            ("T1003".to_string(), Some(7.0)),
        ]
    );
    let g = sum.gradient.as_ref().unwrap();
    assert_eq!((g.min_value, g.max_value), (5.0, 11.0));
    let gt = combine(
        &[a.clone(), b.clone()],
        &Expr::parse("a > b ? a : b").unwrap(),
        &CombineOptions {
            comments_from: Some(0),
            colors_from: Some(1),
            ..CombineOptions::default()
        },
        None,
    )
    .unwrap();
    let t1001 = gt
        .techniques
        .iter()
        .find(|t| t.technique_id == "T1001")
        .unwrap();
    assert_eq!(t1001.score, Some(10.0));
    assert_eq!(t1001.comment.as_deref(), Some("from a"));
    assert_eq!(t1001.color.as_deref(), Some("#ff0000"));
    // inherited comments create annotations even without a score
    let t1004 = gt
        .techniques
        .iter()
        .find(|t| t.technique_id == "T1004")
        .unwrap();
    assert_eq!(
        (t1004.score, t1004.comment.as_deref()),
        (None, Some("unscored"))
    );
}

#[test]
fn combine_errors() {
    let a = layer(r#"{"name": "A", "domain": "enterprise-attack"}"#);
    let m = layer(r#"{"name": "M", "domain": "mobile-attack"}"#);
    let error = combine(
        &[a.clone(), m.clone()],
        &Expr::parse("a+b").unwrap(),
        &CombineOptions::default(),
        None,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("only layers of one domain"),
        "{error}"
    );
    let error = combine(
        std::slice::from_ref(&a),
        &Expr::parse("a+c").unwrap(),
        &CombineOptions::default(),
        None,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("unknown variable `c`"),
        "{error}"
    );
    let error = combine(
        std::slice::from_ref(&a),
        &Expr::parse("a").unwrap(),
        &CombineOptions {
            comments_from: Some(3),
            ..CombineOptions::default()
        },
        None,
    )
    .unwrap_err();
    assert!(error.to_string().contains("only 1 layers"), "{error}");
    let b = layer(
        r#"{"name": "B", "domain": "enterprise-attack", "techniques": [{"techniqueID": "T1001", "score": 0}]}"#,
    );
    let error = combine(
        std::slice::from_ref(&b),
        &Expr::parse("1 / a").unwrap(),
        &CombineOptions::default(),
        None,
    )
    .unwrap_err();
    assert!(error.to_string().contains("division by zero"), "{error}");
    assert!(set_operation(&[a, m], SetOp::Union, None).is_err());
}
