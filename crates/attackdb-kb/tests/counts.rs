//! Object counts of the real releases, against the published figures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use attackdb_kb::{Concept, Visibility};

fn live_count(domain: &str, release: &str, concept: Concept) -> Option<usize> {
    Some(
        common::dataset(domain, release)?
            .list(concept, Visibility::LIVE)
            .len(),
    )
}

#[test]
fn enterprise_18_1_live_counts() {
    let Some(_) = common::kb() else { return };
    let expected = [
        (Concept::Tactic, 14),
        (Concept::Technique, 216),
        (Concept::Subtechnique, 475),
        (Concept::Group, 172),
        (Concept::Software, 784),
        (Concept::Mitigation, 44),
        (Concept::Campaign, 52),
        (Concept::DataComponent, 106),
        (Concept::DetectionStrategy, 691),
        (Concept::Analytic, 1739),
    ];
    for (concept, count) in expected {
        assert_eq!(
            live_count("enterprise", "18.1", concept),
            Some(count),
            "{concept:?}"
        );
    }
}

#[test]
fn mobile_and_ics_18_1_live_counts() {
    let Some(_) = common::kb() else { return };
    assert_eq!(live_count("mobile", "18.1", Concept::Tactic), Some(12));
    assert_eq!(live_count("mobile", "18.1", Concept::Technique), Some(77));
    assert_eq!(
        live_count("mobile", "18.1", Concept::Subtechnique),
        Some(47)
    );
    assert_eq!(live_count("ics", "18.1", Concept::Tactic), Some(12));
    assert_eq!(live_count("ics", "18.1", Concept::Technique), Some(83));
    assert_eq!(live_count("ics", "18.1", Concept::Asset), Some(18));
}

#[test]
fn every_release_is_loaded_with_its_domain_and_version() {
    let Some(kb) = common::kb() else { return };
    let loaded: Vec<String> = kb
        .datasets()
        .iter()
        .map(|d| format!("{} {} {}", d.domain(), d.release(), d.objects().len()))
        .collect();
    assert_eq!(
        loaded,
        [
            "enterprise-attack 15.1 19982",
            "enterprise-attack 17.1 22653",
            "enterprise-attack 18.0 24774",
            "enterprise-attack 18.1 24772",
            "ics-attack 15.1 1631",
            "ics-attack 17.1 1651",
            "ics-attack 18.1 1826",
            "mobile-attack 15.1 2015",
            "mobile-attack 17.1 2148",
            "mobile-attack 18.1 2536",
        ]
    );
}
