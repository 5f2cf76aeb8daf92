//! ATT&CK 19.x, through the 19.1-shaped release `attackdb_testdata` derives from the real 18.1
//! (Defense Evasion split into Stealth and Defense Impairment, T1562.002 revoked by T1685.001,
//! T1562.004 by T1686...): an emulation plan made with an Atomic Red Team checkout written for
//! 18.x keeps every test, the ones filed under a revoked ID marked, in 19.x's kill-chain order.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use attackdb_intel::{emulate, emulate_dir, AtomicIndex, EmulateOptions, EmulationPlan};
use attackdb_kb::{Dataset, Domain, Kb};

/// Enterprise 19.1 as derived from 18.1, loaded once.
fn derived() -> Option<&'static Dataset> {
    static KB: OnceLock<Option<Kb>> = OnceLock::new();
    let kb = KB
        .get_or_init(|| {
            let dir = attackdb_testdata::derived_release()?;
            Some(Kb::load(&[dir.join("enterprise-attack")]).expect("19.1 loads"))
        })
        .as_ref()?;
    Some(kb.select(Domain::Enterprise, None).expect("19.1 is loaded"))
}

fn guids(plan: &EmulationPlan) -> BTreeSet<String> {
    plan.steps
        .iter()
        .flat_map(|s| s.atomics.iter().map(|a| a.guid.clone()))
        .collect()
}

#[test]
fn a_19_plan_keeps_the_tests_filed_under_ids_19_revoked() {
    let (Some(old), Some(new), Some(dir)) =
        (common::enterprise(), derived(), common::atomics_dir())
    else {
        return;
    };
    assert_eq!(new.release().to_string(), "19.1");
    let atomics = AtomicIndex::load(&dir).unwrap();
    let windows = EmulateOptions {
        platform: Some("windows".into()),
        with_software: false,
    };
    let before = emulate(old, "G0016", &atomics, &windows).unwrap();
    let after = emulate(new, "G0016", &atomics, &windows).unwrap();
    // The same behaviours, so the same tests, though five techniques changed ID (523 entries,
    // 472 distinct tests: a parent's tests stand in for each of its sub-techniques without).
    assert_eq!((before.test_count(), guids(&before).len()), (523, 472));
    assert_eq!(guids(&after), guids(&before));
    assert_eq!(after.test_count(), before.test_count());
    assert_eq!(after.gaps.len(), before.gaps.len());
    for (new_id, old_id) in [("T1685.001", "T1562.002"), ("T1686", "T1562.004")] {
        let step = after
            .steps
            .iter()
            .find(|s| s.technique == new_id)
            .unwrap_or_else(|| panic!("{new_id} is a step"));
        assert!(
            step.tactics.iter().any(|t| t == "defense-impairment"),
            "{new_id}: {:?}",
            step.tactics
        );
        let want: BTreeSet<String> = atomics
            .tests_for(old_id, Some("windows"))
            .iter()
            .map(|t| t.guid.clone())
            .collect();
        assert!(!want.is_empty(), "{old_id} has Windows tests");
        let got: BTreeSet<String> = step.atomics.iter().map(|a| a.guid.clone()).collect();
        assert_eq!(got, want, "{new_id}");
        for atomic in &step.atomics {
            assert!(
                atomic.filed_under_revoked && !atomic.fallback,
                "{}",
                atomic.guid
            );
            assert_eq!(atomic.technique, old_id);
        }
        assert!(!after.gaps.iter().any(|g| g.technique == new_id));
    }
    // A test filed under a live ID is never marked.
    assert!(after
        .steps
        .iter()
        .flat_map(|s| &s.atomics)
        .filter(|a| a.filed_under_revoked)
        .all(|a| new.lookup(&a.technique).is_ok_and(|t| new.is_revoked(t))));
    // Kill-chain order is 19.1's: every Stealth step before every Defense Impairment step.
    let position = |tactic: &str| -> Vec<usize> {
        after
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.tactic == tactic)
            .map(|(i, _)| i)
            .collect()
    };
    let (stealth, impairment) = (position("stealth"), position("defense-impairment"));
    assert!(!stealth.is_empty() && !impairment.is_empty());
    assert!(stealth.iter().max() < impairment.iter().min());
    assert!(position("defense-evasion").is_empty());
    // Reading only the files the plan needs reads the revoked IDs' files too.
    let lean = emulate_dir(new, "G0016", &dir, &windows).unwrap();
    assert_eq!(guids(&lean), guids(&after));
    let markdown = after.to_markdown();
    assert!(
        markdown.contains("filed under T1562.002, which 19.1 revoked"),
        "the runbook says where a test comes from"
    );
}
