//! Migrating the real corpus layers (3.0 layers full of revoked IDs) to ATT&CK 18.1: nothing
//! revoked or deprecated stays enabled, every move goes to the technique that revoked the old
//! one, and every decision is listed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use attackdb_kb::ObjectType;
use attackdb_navigator::migrate::{migrate_layer, DecisionKind};
use attackdb_navigator::{layer_to_json, read_layers};

fn corpus_layers() -> Vec<(String, attackdb_navigator::Layer)> {
    let Some(dir) = common::corpora_dir() else {
        return Vec::new();
    };
    let mut layers = Vec::new();
    for path in common::json_files(&dir.join("navigator-layers/layers/samples")) {
        let file = read_layers(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for read in file.layers {
            layers.push((
                path.file_name().unwrap().to_string_lossy().to_string(),
                read.layer,
            ));
        }
    }
    layers
}

#[test]
fn corpus_layers_migrate_to_18_1_with_nothing_retired_left_enabled() {
    let Some(target) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let layers = corpus_layers();
    assert_eq!(layers.len(), 7);
    for (name, layer) in &layers {
        let migration = migrate_layer(layer, target, None);
        let out = &migration.layer;
        assert_eq!(out.versions.as_ref().unwrap().attack.as_deref(), Some("18"));
        assert_eq!(out.versions.as_ref().unwrap().layer.as_deref(), Some("4.5"));
        for entry in &out.techniques {
            let t = target
                .by_attack_id_typed(&entry.technique_id, &[ObjectType::AttackPattern])
                .unwrap_or_else(|| panic!("{name}: {} unknown in 18.1", entry.technique_id));
            let object = target.object(t);
            assert!(!object.revoked, "{name}: {} is revoked", entry.technique_id);
            if object.deprecated {
                assert_eq!(
                    entry.enabled,
                    Some(false),
                    "{name}: deprecated {} left enabled",
                    entry.technique_id
                );
            }
            if let Some(tactic) = &entry.tactic {
                assert!(
                    object
                        .kill_chain_phases
                        .iter()
                        .any(|p| &*p.phase_name == tactic),
                    "{name}: {} is not in {tactic}",
                    entry.technique_id
                );
            }
        }
        // Every source annotation that is revoked, deprecated or in a stale tactic has a decision.
        for original in &layer.techniques {
            let t = target
                .by_attack_id_typed(&original.technique_id, &[ObjectType::AttackPattern])
                .unwrap();
            if target.object(t).revoked || target.object(t).deprecated {
                assert!(
                    migration
                        .decisions
                        .iter()
                        .any(|d| d.technique == original.technique_id),
                    "{name}: no decision for {}",
                    original.technique_id
                );
            }
        }
        // The output is a valid 4.5 layer that reads back the same.
        let text = layer_to_json(out).unwrap();
        let again = read_layers(&text).unwrap();
        assert!(again.is_valid(), "{name}");
        assert_eq!(&again.layers[0].layer, out, "{name}");
    }
}

#[test]
fn revoked_ids_move_to_the_technique_that_revoked_them() {
    let Some(target) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let layers: BTreeMap<String, attackdb_navigator::Layer> = corpus_layers().into_iter().collect();
    let moves = |file: &str| -> BTreeMap<String, Vec<String>> {
        migrate_layer(&layers[file], target, None)
            .decisions
            .into_iter()
            .filter(|d| d.kind == DecisionKind::Moved)
            .map(|d| (d.technique, d.to))
            .collect()
    };
    // Checked against the bundle's revoked-by relationships, followed to the end of the chain.
    let gold = moves("Gold_Pins.json");
    assert_eq!(gold["T1086"], ["T1059.001"]);
    assert_eq!(gold["T1155"], ["T1059.002"]);
    assert_eq!(gold["T1094"], ["T1095"]);
    let blue = moves("Blue_Pins.json");
    assert_eq!(blue["T1156"], ["T1546.004"]);
    assert_eq!(blue["T1002"], ["T1560"]);
    assert_eq!(blue["T1107"], ["T1070.004"]);
    let heatmap = moves("heatmap_layer.json");
    assert_eq!(heatmap["T1053.001"], ["T1053.002"]);
    assert_eq!(heatmap["T1547.011"], ["T1647"]);
    // The moved annotation says where it came from.
    let migrated = migrate_layer(&layers["Gold_Pins.json"], target, None).layer;
    let powershell = migrated
        .techniques
        .iter()
        .find(|t| t.technique_id == "T1059.001")
        .unwrap();
    assert!(powershell
        .comment
        .as_deref()
        .unwrap()
        .contains("moved from T1086 (PowerShell), revoked by T1059.001 in ATT&CK 18.1"));
}

#[test]
fn deprecated_techniques_are_disabled_and_splits_are_flagged_for_review() {
    let Some(target) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let layers: BTreeMap<String, attackdb_navigator::Layer> = corpus_layers().into_iter().collect();
    let migration = migrate_layer(&layers["Blue_Pins.json"], target, None);
    let disabled: Vec<&str> = migration
        .decisions
        .iter()
        .filter(|d| d.kind == DecisionKind::Disabled)
        .map(|d| d.technique.as_str())
        .collect();
    assert!(
        disabled.contains(&"T1043") && disabled.contains(&"T1064"),
        "{disabled:?}"
    );
    let t1064 = migration
        .layer
        .techniques
        .iter()
        .find(|t| t.technique_id == "T1064")
        .unwrap();
    assert_eq!(t1064.enabled, Some(false));
    // A 3.0 layer predates sub-techniques: annotated parents that have some now need a look.
    let splits: Vec<&str> = migration
        .decisions
        .iter()
        .filter(|d| d.kind == DecisionKind::Split)
        .map(|d| d.technique.as_str())
        .collect();
    assert!(!splits.is_empty());
    assert!(migration
        .decisions
        .iter()
        .filter(|d| d.kind == DecisionKind::Split)
        .all(|d| d.needs_review));
    // With the source release known, only sub-techniques new since then count: none from 17.1.
    let source = common::dataset("enterprise", "17.1").unwrap();
    let mut layer = layers["Blue_Pins.json"].clone();
    layer.versions.get_or_insert_with(Default::default).attack = Some("17".into());
    let since_17 = migrate_layer(&layer, target, Some(source));
    let splits_since_17: Vec<&str> = since_17
        .decisions
        .iter()
        .filter(|d| d.kind == DecisionKind::Split)
        .map(|d| d.technique.as_str())
        .collect();
    assert!(splits_since_17.len() < splits.len(), "{splits_since_17:?}");
}
