//! Properties over bundles made from the real ICS 18.1 (proptest, issue 16 item 8): any subset
//! of its objects answers every question the same read from JSON (whole or scanned) and from
//! its prebuilt index, and any truncation of a bundle is an error or the same answers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::OnceLock;

use attackdb_kb::{Concept, Dataset, Domain, Relation, Release, ScannedBundle, Visibility};
use proptest::prelude::*;
use serde_json::{json, Value};

/// The real ICS 18.1 objects, once.
fn objects() -> Option<&'static Vec<Value>> {
    static OBJECTS: OnceLock<Option<Vec<Value>>> = OnceLock::new();
    OBJECTS
        .get_or_init(|| {
            let dir = attackdb_testdata::data_dir()?;
            let text =
                attackdb_stix::read_text(&dir.join("ics-attack/ics-attack-18.1.json.gz")).ok()?;
            let bundle: Value = serde_json::from_str(&text).ok()?;
            bundle["objects"].as_array().cloned()
        })
        .as_ref()
}

/// The bundle of the objects that `seed` keeps with probability `percent` (the release record
/// always), as text.
fn subset(objects: &[Value], seed: u64, percent: u64) -> String {
    let kept: Vec<&Value> = objects
        .iter()
        .enumerate()
        .filter(|(i, o)| {
            o["type"] == "x-mitre-collection" || {
                let mut x = seed ^ (*i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                x ^= x >> 31;
                x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
                x ^= x >> 29;
                x % 100 < percent
            }
        })
        .map(|(_, o)| o)
        .collect();
    json!({"type": "bundle", "id": "bundle--p", "objects": kept}).to_string()
}

fn dataset(scanned: ScannedBundle) -> Dataset {
    Dataset::from_scanned(Domain::Ics, Release::from_bundle("18.1"), scanned)
}

/// Everything a front end asks, as comparable values.
fn answers(d: &Dataset) -> Vec<String> {
    let mut out = Vec::new();
    for concept in Concept::ALL {
        for visibility in [Visibility::ALL, Visibility::LIVE] {
            out.push(format!("{:?}", d.list(concept, visibility)));
        }
    }
    for relation in Relation::ALL {
        out.push(format!("{:?}", d.relation_map_named(relation)));
    }
    for id in 0..d.object_count() as u32 {
        out.push(format!(
            "{} {} {:?} {}",
            d.display_id(id),
            d.display_name(id),
            d.concept(id),
            d.raw_json(id).unwrap_or_default()
        ));
    }
    out.push(format!("{:?}", d.links()));
    out.push(format!("{:?}", d.diagnostics()));
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn json_whole_scanned_and_prebuilt_index_answer_the_same(seed in any::<u64>(), percent in 1u64..100) {
        let Some(objects) = objects() else { return Ok(()) };
        let text = subset(objects, seed, percent);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ics-attack-18.1.json");
        std::fs::write(&path, &text).unwrap();
        let whole = dataset(ScannedBundle::from_bundle(
            attackdb_stix::parse_bundle(&path, text.clone()).unwrap(),
        ));
        let scanned = dataset(ScannedBundle::from_text(&path, text).unwrap());
        prop_assert_eq!(scanned.index_tables(), whole.index_tables());
        let index = vec![dir.path().join("i.attackdb-index")];
        let first = attackdb_kb::load_dataset_cached(&path, &index).unwrap();
        let again = attackdb_kb::load_dataset_cached(&path, &index).unwrap();
        prop_assert!(matches!(again.outcome, attackdb_stix::CacheOutcome::Used(_)));
        let want = answers(&whole);
        prop_assert_eq!(answers(&scanned), want.clone());
        prop_assert_eq!(answers(&first.dataset.unwrap()), want.clone());
        prop_assert_eq!(answers(&again.dataset.unwrap()), want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn a_truncated_bundle_is_an_error_or_the_same_answers(seed in any::<u64>(), cut in 0.0f64..1.0) {
        let Some(objects) = objects() else { return Ok(()) };
        let text = format!("{}\n  \n", subset(objects, seed, 3));
        let at = ((text.len() as f64) * cut) as usize;
        let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let path = Path::new("ics-attack-18.1.json");
        let full = dataset(ScannedBundle::from_text(path, text.clone()).unwrap());
        match ScannedBundle::from_text(path, text[..at].to_string()) {
            Err(_) => {}
            Ok(scanned) => {
                // Only whitespace after the bundle was cut.
                prop_assert!(text[at..].trim().is_empty(), "cut at {} of {} read", at, text.len());
                prop_assert_eq!(answers(&dataset(scanned)), answers(&full));
            }
        }
    }
}
