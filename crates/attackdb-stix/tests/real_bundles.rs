//! The real releases: every object's raw JSON is exactly its object in the file, and a STIX 2.0
//! rendering of a bundle (as in mitre/cti) loads to the same objects.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use attackdb_stix::{load_bundle, parse_bundle, read_text};
use serde_json::Value;

fn data_dir() -> Option<PathBuf> {
    attackdb_testdata::data_dir()
}

#[test]
fn raw_json_of_every_object_is_the_object_in_the_file() {
    let Some(dir) = data_dir() else { return };
    let path = dir.join("enterprise-attack/enterprise-attack-18.1.json.gz");
    let bundle = load_bundle(&path).unwrap();
    let whole: Value = serde_json::from_str(&read_text(&path).unwrap()).unwrap();
    let objects = whole["objects"].as_array().unwrap();
    assert_eq!(bundle.objects.len(), objects.len());
    assert_eq!(bundle.objects.len(), 24772);
    for (object, original) in bundle.objects.iter().zip(objects) {
        let raw: Value = serde_json::from_str(bundle.raw_json(object).unwrap()).unwrap();
        assert_eq!(&raw, original);
        assert_eq!(&*object.id, original["id"].as_str().unwrap());
    }
    assert!(bundle.diagnostics.is_empty(), "{:?}", bundle.diagnostics);
}

#[test]
fn a_stix_2_0_bundle_loads_like_its_2_1_original() {
    let Some(dir) = data_dir() else { return };
    let path = dir.join("ics-attack/ics-attack-18.1.json.gz");
    let text = read_text(&path).unwrap();
    let original = parse_bundle(&path, text.clone()).unwrap();
    // mitre/cti's layout: spec_version on the bundle, labels on software, no is_family.
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["spec_version"] = Value::from("2.0");
    for object in value["objects"].as_array_mut().unwrap() {
        let map = object.as_object_mut().unwrap();
        map.remove("spec_version");
        map.remove("is_family");
        if let Some(kind @ ("malware" | "tool")) =
            map["type"].as_str().map(str::to_string).as_deref()
        {
            map.insert("labels".into(), Value::from(vec![kind]));
        }
    }
    let converted = parse_bundle(
        &PathBuf::from("ics-attack.json"),
        serde_json::to_string(&value).unwrap(),
    )
    .unwrap();
    assert_eq!(converted.spec_version.as_deref(), Some("2.0"));
    assert_eq!(converted.domain, original.domain);
    assert_eq!(converted.release, original.release);
    assert_eq!(converted.objects.len(), original.objects.len());
    for (a, b) in converted.objects.iter().zip(&original.objects) {
        assert_eq!(
            (&a.id, &a.kind, &a.name, a.revoked, a.deprecated),
            (&b.id, &b.kind, &b.name, b.revoked, b.deprecated)
        );
        assert_eq!(
            (&a.source_ref, &a.target_ref, &a.kill_chain_phases),
            (&b.source_ref, &b.target_ref, &b.kill_chain_phases)
        );
    }
}
