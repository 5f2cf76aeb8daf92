//! Release diffs against mitreattack-python 6.3.1's `diff_stix` on the real releases: the IDs in
//! every category of every object type equal its own, and its new contributors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read;

use attackdb_kb::diff::{diff_releases, Category, DiffType};
use serde_json::Value;

fn expected(name: &str) -> Value {
    let path = format!(
        "{}/tests/expected/{name}.json.gz",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn check(from: &str, to: &str, domains: &[&str]) {
    let Some(kb) = common::kb() else { return };
    let reference = expected(&format!("diff-{from}-{to}"));
    let mut contributors = Vec::new();
    for domain in domains {
        let old = kb
            .select(domain.parse().unwrap(), Some(&from.parse().unwrap()))
            .unwrap();
        let new = kb
            .select(domain.parse().unwrap(), Some(&to.parse().unwrap()))
            .unwrap();
        let diff = diff_releases(old, new);
        let theirs = &reference[new.domain().as_str()];
        for diff_type in DiffType::ALL {
            if diff_type == DiffType::Tactics {
                continue; // diff_stix does not compare tactics
            }
            let ours = &diff.types[&diff_type];
            for category in Category::ALL {
                let mut ids: Vec<String> = ours
                    .categories
                    .get(&category)
                    .map(|changes| {
                        changes
                            .iter()
                            .map(|c| diff.display_id(c).to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                ids.sort();
                let mut expected: Vec<String> = theirs[diff_type.key()][category.key()]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect();
                expected.sort();
                assert_eq!(
                    ids,
                    expected,
                    "{domain} {from}->{to} {} {}",
                    diff_type.key(),
                    category.key()
                );
            }
        }
        contributors.extend(diff.new_contributors.iter().map(|(name, _)| name.clone()));
    }
    if domains.len() == 3 {
        // diff_stix counts contributors across domains; its list is the union, sorted.
        contributors.sort_by_key(|c| c.to_lowercase());
        contributors.dedup();
        let theirs: Vec<String> = reference["new-contributors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(contributors, theirs);
    }
}

#[test]
fn diff_17_1_to_18_1_matches_diff_stix_on_all_domains() {
    check("17.1", "18.1", &["enterprise", "mobile", "ics"]);
}

#[test]
fn diff_18_0_to_18_1_matches_diff_stix_on_enterprise() {
    check("18.0", "18.1", &["enterprise"]);
}

#[test]
fn changed_objects_say_what_changed() {
    let Some(kb) = common::kb() else { return };
    let old = kb
        .select(
            "enterprise".parse().unwrap(),
            Some(&"17.1".parse().unwrap()),
        )
        .unwrap();
    let new = kb
        .select(
            "enterprise".parse().unwrap(),
            Some(&"18.1".parse().unwrap()),
        )
        .unwrap();
    let diff = diff_releases(old, new);
    let techniques = &diff.types[&DiffType::Techniques];
    // PowerShell kept its version (a patch, as diff_stix says) but changed its data.
    let changed = techniques.categories[&Category::Patches]
        .iter()
        .find(|c| diff.display_id(c) == "T1059.001")
        .expect("PowerShell is a patch between 17.1 and 18.1");
    assert!(changed.fields_changed.contains(&"modified".to_string()));
    assert!(diff.version_change(changed).is_none());
    // A minor version change reports its version step and the version field.
    let minor = techniques.categories[&Category::MinorVersionChanges]
        .iter()
        .find(|c| diff.display_id(c) == "T1005")
        .unwrap();
    assert!(minor
        .fields_changed
        .contains(&"x_mitre_version".to_string()));
    let step = diff.version_change(minor).unwrap();
    let (a, b) = step.split_once(" → ").unwrap();
    let (a, b): (f64, f64) = (a.parse().unwrap(), b.parse().unwrap());
    assert!(b > a, "{step}");
    // 18.x introduced detection strategies: every technique that has one gained it.
    let detection = changed
        .related
        .iter()
        .find(|r| r.what == "detection strategies")
        .unwrap();
    assert!(!detection.added.is_empty() && detection.dropped.is_empty());
    assert!(detection.added.iter().all(|d| d.starts_with("DET")));
    // Revocations name the replacement, which is in the new release.
    for change in techniques
        .categories
        .get(&Category::Revocations)
        .into_iter()
        .flatten()
    {
        let by = change.revoked_by.unwrap();
        assert!(new.display_id(by).starts_with('T'));
    }
}
