//! Properties over generated layers (proptest, issue 16 item 8): a layer written and read back
//! is the same layer, and combining a layer with itself under `a` keeps every score.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use attackdb_navigator::ops::{combine, CombineOptions};
use attackdb_navigator::{layer_to_json, read_layers, Expr, Layer};
use proptest::prelude::*;
use serde_json::{json, Value};

const TACTICS: [&str; 4] = ["execution", "persistence", "defense-evasion", "stealth"];

/// One technique annotation as a layer file writes it.
fn technique() -> impl Strategy<Value = Value> {
    (
        1000u32..1700,
        proptest::option::of(1u32..20),
        proptest::option::of(0usize..TACTICS.len()),
        proptest::option::of(-1000i32..1000),
        proptest::option::of("[a-zA-Z0-9 .,:;!?'\"<>&\\\\/-]{0,40}"),
        proptest::option::of(0u32..0xffffff),
        proptest::option::of(any::<bool>()),
        proptest::collection::vec(("[a-z]{1,8}", "[a-zA-Z0-9 ]{0,12}"), 0..3),
    )
        .prop_map(
            |(id, sub, tactic, score, comment, color, enabled, metadata)| {
                let id = match sub {
                    Some(s) => format!("T{id}.{s:03}"),
                    None => format!("T{id}"),
                };
                let mut t = json!({"techniqueID": id});
                if let Some(tactic) = tactic {
                    t["tactic"] = json!(TACTICS[tactic]);
                }
                if let Some(score) = score {
                    t["score"] = json!(f64::from(score) / 4.0);
                }
                if let Some(comment) = comment {
                    t["comment"] = json!(comment);
                }
                if let Some(color) = color {
                    t["color"] = json!(format!("#{color:06x}"));
                }
                if let Some(enabled) = enabled {
                    t["enabled"] = json!(enabled);
                }
                if !metadata.is_empty() {
                    t["metadata"] = metadata
                        .into_iter()
                        .map(|(name, value)| json!({"name": name, "value": value}))
                        .collect();
                }
                t
            },
        )
}

/// A layer file of format 4.5 with generated techniques, gradient, legend and filters.
fn layer_json() -> impl Strategy<Value = Value> {
    (
        "[a-zA-Z0-9 _-]{1,30}",
        proptest::collection::vec(technique(), 0..40),
        proptest::option::of((-100i32..0, 1i32..100)),
        proptest::collection::vec(("[a-z ]{1,10}", 0u32..0xffffff), 0..4),
        proptest::sample::subsequence(vec!["Windows", "Linux", "macOS", "Network Devices"], 0..4),
    )
        .prop_map(|(name, techniques, gradient, legend, platforms)| {
            let mut layer = json!({
                "name": name,
                "domain": "enterprise-attack",
                "versions": {"layer": "4.5", "attack": "18", "navigator": "5.1.0"},
                "techniques": techniques,
            });
            if let Some((min, max)) = gradient {
                layer["gradient"] =
                    json!({"colors": ["#ff6666ff", "#66ff66ff"], "minValue": min, "maxValue": max});
            }
            if !legend.is_empty() {
                layer["legendItems"] = legend
                    .into_iter()
                    .map(|(label, color)| json!({"label": label, "color": format!("#{color:06x}")}))
                    .collect();
            }
            if !platforms.is_empty() {
                layer["filters"] = json!({"platforms": platforms});
            }
            layer
        })
}

fn read_one(text: &str) -> Layer {
    let file = read_layers(text).unwrap();
    assert_eq!(file.layers.len(), 1);
    file.layers[0].layer.clone()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn a_layer_written_and_read_back_is_the_same_layer(value in layer_json()) {
        let layer = read_one(&value.to_string());
        let written = layer_to_json(&layer).unwrap();
        let again = read_one(&written);
        prop_assert_eq!(&again, &layer);
        prop_assert_eq!(layer_to_json(&again).unwrap(), written);
        // Nothing the generator wrote was lost on the way in.
        let techniques = value["techniques"].as_array().unwrap();
        prop_assert_eq!(layer.techniques.len(), techniques.len());
        for (read, generated) in layer.techniques.iter().zip(techniques) {
            prop_assert_eq!(&read.technique_id, generated["techniqueID"].as_str().unwrap());
            prop_assert_eq!(read.score, generated["score"].as_f64());
            prop_assert_eq!(read.comment.as_deref(), generated["comment"].as_str());
            prop_assert_eq!(read.tactic.as_deref(), generated["tactic"].as_str());
            prop_assert_eq!(read.enabled, generated["enabled"].as_bool());
        }
    }

    #[test]
    fn combining_a_layer_with_itself_under_a_keeps_every_score(value in layer_json()) {
        let layer = read_one(&value.to_string());
        let options = CombineOptions {
            comments_from: Some(0),
            colors_from: Some(0),
            metadata_from: Some(0),
            enabled_from: Some(0),
            ..CombineOptions::default()
        };
        let combined = combine(std::slice::from_ref(&layer), &Expr::parse("a").unwrap(), &options, None).unwrap();
        // Every scored annotation keeps its score (of a repeated technique and tactic the last
        // annotation, which the Navigator shows); the others are there only when they say
        // something (a comment, a colour...).
        let key = |t: &attackdb_navigator::Technique| (t.technique_id.clone(), t.tactic.clone());
        let mut last: Vec<(_, Option<f64>)> = Vec::new();
        for t in &layer.techniques {
            match last.iter_mut().find(|(k, _)| *k == key(t)) {
                Some(entry) => entry.1 = t.score,
                None => last.push((key(t), t.score)),
            }
        }
        let mut want: Vec<_> = last.into_iter().filter(|(_, s)| s.is_some()).collect();
        want.sort_by(|a, b| a.0.cmp(&b.0));
        let mut got: Vec<_> = combined
            .techniques
            .iter()
            .filter(|t| t.score.is_some())
            .map(|t| (key(t), t.score))
            .collect();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        prop_assert!(combined.techniques.iter().all(|t| t.is_annotated()));
        prop_assert_eq!(got, want);
    }
}
