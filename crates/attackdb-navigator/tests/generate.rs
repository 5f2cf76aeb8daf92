//! Generators and combining on the real 18.1 release: usage layers annotate exactly the relation
//! family's techniques, overview scores are relation counts, generated layers read back valid.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use attackdb_kb::{Concept, Relation, Visibility};
use attackdb_navigator::generate::{
    batch_layers, overview_layer, resolve, usage_layer, GenerateOptions,
};
use attackdb_navigator::ops::{combine, set_operation, CombineOptions, SetOp};
use attackdb_navigator::{layers_to_json, read_layers, Expr, Layer};

fn ids(layer: &Layer) -> Vec<String> {
    layer
        .techniques
        .iter()
        .map(|t| t.technique_id.clone())
        .collect()
}

fn reads_back_valid(layer: &Layer) {
    let text = layers_to_json(std::slice::from_ref(layer), false).unwrap();
    let read = read_layers(&text).unwrap();
    assert!(read.is_valid(), "{:?}", read.layers[0].problems);
    assert_eq!(&read.layers[0].layer, layer);
}

#[test]
fn usage_layer_of_g0016_is_its_relation() {
    let Some(d) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let apt29 = resolve(d, "APT29", Concept::Group).unwrap();
    assert_eq!(resolve(d, "Cozy Bear", Concept::Group).unwrap(), apt29);
    assert_eq!(resolve(d, "G0016", Concept::Group).unwrap(), apt29);
    assert!(resolve(d, "T1003", Concept::Group).is_err());
    let layer = usage_layer(d, apt29, &GenerateOptions::default()).unwrap();
    let expected: Vec<String> = d
        .related(Relation::TechniquesUsedByGroup, apt29)
        .iter()
        .map(|&t| d.display_id(t).to_string())
        .collect();
    assert_eq!(ids(&layer), expected);
    assert!(expected.len() > 50, "{}", expected.len());
    assert_eq!(layer.name, "APT29 (G0016)");
    assert_eq!(layer.domain, "enterprise-attack");
    assert!(layer.techniques.iter().all(|t| t.score == Some(1.0)));
    // every comment names its evidence; the campaign-only techniques say so
    assert!(layer
        .techniques
        .iter()
        .all(|t| !t.comment.as_deref().unwrap_or("").is_empty()));
    assert!(layer.techniques.iter().any(|t| t
        .comment
        .as_deref()
        .unwrap_or("")
        .contains("[via campaign C0024")));
    reads_back_valid(&layer);
}

#[test]
fn usage_layers_of_every_kind_are_their_relations() {
    let Some(d) = common::dataset("enterprise", "18.1") else {
        return;
    };
    for (query, kind, relation) in [
        (
            "S0154",
            Concept::Software,
            Relation::TechniquesUsedBySoftware,
        ),
        (
            "Cobalt Strike",
            Concept::Software,
            Relation::TechniquesUsedBySoftware,
        ),
        (
            "C0024",
            Concept::Campaign,
            Relation::TechniquesUsedByCampaign,
        ),
        (
            "M1036",
            Concept::Mitigation,
            Relation::TechniquesMitigatedByMitigation,
        ),
        (
            "DET0001",
            Concept::DetectionStrategy,
            Relation::TechniquesDetectedByDetectionStrategy,
        ),
    ] {
        let object = resolve(d, query, kind).unwrap();
        let layer = usage_layer(d, object, &GenerateOptions::default()).unwrap();
        let expected: Vec<String> = d
            .related(relation, object)
            .iter()
            .map(|&t| d.display_id(t).to_string())
            .collect();
        assert!(!expected.is_empty(), "{query}");
        assert_eq!(ids(&layer), expected, "{query}");
        reads_back_valid(&layer);
    }
}

#[test]
fn data_component_usage_follows_the_18_detection_chain() {
    let Some(d) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let dc = resolve(d, "DC0001", Concept::DataComponent).unwrap();
    let layer = usage_layer(d, dc, &GenerateOptions::default()).unwrap();
    let expected: Vec<String> = d
        .list_any(
            &[Concept::Technique, Concept::Subtechnique],
            Visibility::LIVE,
        )
        .into_iter()
        .filter(|&t| d.datacomponents_via_strategies(t).contains(&dc))
        .map(|t| d.display_id(t).to_string())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(ids(&layer), expected);
    // 17.1: the `detects` relationships
    let Some(old) = common::dataset("enterprise", "17.1") else {
        return;
    };
    // data components have ATT&CK IDs only from 18.0 on
    let dc = resolve(old, "Process Creation", Concept::DataComponent).unwrap();
    let layer = usage_layer(old, dc, &GenerateOptions::default()).unwrap();
    let expected: Vec<String> = old
        .related(Relation::TechniquesDetectedByDatacomponent, dc)
        .iter()
        .map(|&t| old.display_id(t).to_string())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(ids(&layer), expected);
}

#[test]
fn platform_filter_keeps_only_that_platform() {
    let Some(d) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let apt29 = resolve(d, "G0016", Concept::Group).unwrap();
    let options = GenerateOptions {
        platform: Some("linux".to_string()),
    };
    let layer = usage_layer(d, apt29, &options).unwrap();
    let all = usage_layer(d, apt29, &GenerateOptions::default()).unwrap();
    assert!(!layer.techniques.is_empty() && layer.techniques.len() < all.techniques.len());
    for t in &layer.techniques {
        let object = d.lookup(&t.technique_id).unwrap();
        assert!(d.object(object).platforms.iter().any(|p| &**p == "Linux"));
    }
    assert_eq!(
        layer.filters.as_ref().and_then(|f| f.platforms.clone()),
        Some(vec!["Linux".to_string()])
    );
}

#[test]
fn overview_scores_are_relation_counts() {
    let Some(d) = common::dataset("enterprise", "18.1") else {
        return;
    };
    for (kind, relation) in [
        (Concept::Group, Relation::GroupsUsingTechnique),
        (Concept::Software, Relation::SoftwareUsingTechnique),
        (Concept::Campaign, Relation::CampaignsUsingTechnique),
        (
            Concept::Mitigation,
            Relation::MitigationsMitigatingTechnique,
        ),
        (
            Concept::DetectionStrategy,
            Relation::DetectionStrategiesDetectingTechnique,
        ),
    ] {
        let layer = overview_layer(d, kind, &GenerateOptions::default()).unwrap();
        let mut expected = Vec::new();
        for t in d.list_any(
            &[Concept::Technique, Concept::Subtechnique],
            Visibility::LIVE,
        ) {
            let n = d.related(relation, t).len();
            if n > 0 {
                expected.push((d.display_id(t).to_string(), n as f64));
            }
        }
        let got: Vec<(String, f64)> = layer
            .techniques
            .iter()
            .map(|t| (t.technique_id.clone(), t.score.unwrap()))
            .collect();
        assert_eq!(got, expected, "{kind:?}");
        let max = expected.iter().map(|e| e.1).fold(0.0, f64::max);
        assert_eq!(layer.gradient.as_ref().unwrap().max_value, max);
        reads_back_valid(&layer);
    }
    let ics = common::dataset("ics", "18.1").unwrap();
    let assets = overview_layer(ics, Concept::Asset, &GenerateOptions::default()).unwrap();
    let t0800 = ics.lookup("T0800").unwrap();
    let n = ics
        .related(Relation::AssetsTargetedByTechnique, t0800)
        .len();
    let got = assets
        .techniques
        .iter()
        .find(|t| t.technique_id == "T0800")
        .unwrap();
    assert_eq!(got.score, Some(n as f64));
}

#[test]
fn batch_makes_one_layer_per_live_object() {
    let Some(d) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let layers = batch_layers(d, Concept::Campaign, &GenerateOptions::default()).unwrap();
    assert_eq!(layers.len(), 52);
    assert_eq!(layers[0].0, "C0001");
    assert!(batch_layers(d, Concept::Tactic, &GenerateOptions::default()).is_err());
}

#[test]
fn combine_two_usage_layers() {
    let Some(d) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let a = common::group_layer(d, "G0016");
    let b = common::group_layer(d, "G0007");
    let both = combine(
        &[a.clone(), b.clone()],
        &Expr::parse("a and b").unwrap(),
        &CombineOptions {
            comments_from: Some(1),
            ..CombineOptions::default()
        },
        Some(d),
    )
    .unwrap();
    let a_ids: std::collections::BTreeSet<String> = ids(&a).into_iter().collect();
    let b_ids: std::collections::BTreeSet<String> = ids(&b).into_iter().collect();
    let in_both: std::collections::BTreeSet<String> = both
        .techniques
        .iter()
        .filter(|t| t.score == Some(1.0))
        .map(|t| t.technique_id.clone())
        .collect();
    let expected: std::collections::BTreeSet<String> =
        a_ids.intersection(&b_ids).cloned().collect();
    assert_eq!(in_both, expected);
    // every annotation is per tactic after expansion, and scores are 0 or 1
    assert!(both.techniques.iter().all(|t| t.tactic.is_some()));
    assert!(both
        .techniques
        .iter()
        .all(|t| matches!(t.score, Some(s) if s == 0.0 || s == 1.0)));
    assert_eq!(
        both.gradient.as_ref().unwrap().colors,
        ["#ffffff00", "#66b1ffff"]
    );
    reads_back_valid(&both);

    let inter = set_operation(&[a.clone(), b.clone()], SetOp::Intersection, None).unwrap();
    assert_eq!(
        ids(&inter)
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>(),
        expected
    );
    let union = set_operation(&[a.clone(), b.clone()], SetOp::Union, None).unwrap();
    assert_eq!(union.techniques.len(), a_ids.union(&b_ids).count());
    let diff = set_operation(&[a, b], SetOp::Difference, None).unwrap();
    assert_eq!(diff.techniques.len(), a_ids.difference(&b_ids).count());
}

/// Issue 16, finding 1: names from the data are never paths, and never the same twice.
#[test]
fn layer_file_names_are_safe_and_unique() {
    let names = attackdb_navigator::generate::layer_file_names(&[
        "../../escaped_rel",
        "/etc/passwd",
        "C0001",
        "C0001",
        "c0001",
        "",
        "..",
        "a\\b:c",
    ]);
    assert_eq!(
        names,
        [
            "_.._escaped_rel.json",
            "_etc_passwd.json",
            "C0001.json",
            "C0001-2.json",
            "c0001-3.json",
            "layer.json",
            "layer-2.json",
            "a_b_c.json",
        ]
    );
}
