//! Queries beyond the library's: lookups across colliding IDs, revocation chains, the 18.x
//! detection chain, search, and diagnostics of dangling relationships.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use attackdb_kb::{Concept, Kb, ObjectType, Relation, Visibility};

#[test]
fn lookup_prefers_the_live_technique_over_an_old_mitigation_with_its_id() {
    let Some(dataset) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let t1003 = dataset.lookup("t1003").unwrap();
    assert_eq!(dataset.object(t1003).kind, ObjectType::AttackPattern);
    assert_eq!(dataset.display_name(t1003), "OS Credential Dumping");
    let kinds: Vec<String> = dataset
        .by_attack_id("T1003")
        .iter()
        .map(|&o| dataset.object(o).kind.to_string())
        .collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    let old = dataset
        .by_attack_id_typed("T1003", &[ObjectType::CourseOfAction])
        .unwrap();
    assert!(dataset.object(old).deprecated);
}

#[test]
fn lookup_by_name_alias_and_stix_id() {
    let Some(dataset) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let apt29 = dataset.lookup("G0016").unwrap();
    assert_eq!(dataset.lookup("apt29").unwrap(), apt29);
    assert_eq!(dataset.lookup("Cozy Bear").unwrap(), apt29);
    assert_eq!(
        dataset
            .lookup("intrusion-set--899ce53f-13a0-479b-a0e4-67d46e241542")
            .unwrap(),
        apt29
    );
    assert_eq!(
        dataset.display_id(dataset.lookup("Mimikatz").unwrap()),
        "S0002"
    );
    assert_eq!(
        dataset.display_id(dataset.lookup("SolarWinds Compromise").unwrap()),
        "C0024"
    );
}

#[test]
fn unknown_ids_suggest_close_matches() {
    let Some(dataset) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let error = dataset.lookup("T1059.00l").unwrap_err().to_string();
    assert!(
        error.starts_with("T1059.00l: not found; did you mean T1059.00"),
        "{error}"
    );
    let error = dataset.lookup("Mimikats").unwrap_err().to_string();
    assert!(error.contains("Mimikatz"), "{error}");
}

#[test]
fn revoked_techniques_resolve_to_their_replacement() {
    let Some(dataset) = common::dataset("enterprise", "18.1") else {
        return;
    };
    // T1002 (Data Compressed) was revoked by T1560 (Archive Collected Data).
    let old = dataset
        .by_attack_id_typed("T1002", &[ObjectType::AttackPattern])
        .unwrap();
    assert!(dataset.object(old).revoked);
    let new = dataset.revoking_object(old).unwrap();
    assert_eq!(dataset.display_id(new), "T1560");
    // Hidden by default, listed when asked.
    let live = dataset.list(Concept::Technique, Visibility::LIVE);
    let all = dataset.list(Concept::Technique, Visibility::ALL);
    assert!(!live.contains(&old) && all.contains(&old));
}

#[test]
fn the_18_detection_chain_reaches_log_sources() {
    let Some(dataset) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let technique = dataset.lookup("T1003.001").unwrap();
    let chain = dataset.detection_chain(technique);
    let strategies: Vec<&str> = chain
        .strategies
        .iter()
        .map(|s| dataset.display_id(s.strategy))
        .collect();
    assert_eq!(
        strategies,
        common::names(
            dataset,
            &dataset.related(Relation::DetectionStrategiesDetectingTechnique, technique)
        )
    );
    assert!(!strategies.is_empty());
    for strategy in &chain.strategies {
        assert_eq!(
            strategy
                .analytics
                .iter()
                .map(|a| a.analytic)
                .collect::<Vec<_>>(),
            dataset.analytics_of_strategy(strategy.strategy)
        );
        for analytic in &strategy.analytics {
            assert!(!analytic.log_sources.is_empty());
            for (component, name, _) in &analytic.log_sources {
                let component = component.expect("every referenced data component exists");
                assert_eq!(dataset.concept(component), Some(Concept::DataComponent));
                assert!(!name.is_empty());
            }
        }
    }
    let components = common::names(dataset, &dataset.datacomponents_via_strategies(technique));
    // Computed independently from the bundle's JSON (DET0363's live analytics' log sources).
    assert_eq!(strategies, ["DET0363"]);
    assert_eq!(
        components,
        ["DC0013", "DC0032", "DC0035", "DC0039", "DC0063"]
    );
}

#[test]
fn search_ranks_exact_ids_names_and_aliases_first() {
    let Some(dataset) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let first = |q: &str| {
        dataset
            .display_id(dataset.search(q, Visibility::LIVE).unwrap()[0].object)
            .to_string()
    };
    assert_eq!(first("T1059.001"), "T1059.001");
    assert_eq!(first("powershell"), "T1059.001");
    assert_eq!(first("cozy bear"), "G0016");
    assert_eq!(first("credential dumping"), "T1003");
    let hits = dataset.search("lsass", Visibility::LIVE).unwrap();
    assert!(hits.len() > 20);
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn a_search_of_more_than_32_distinct_words_is_refused_and_repeats_count_once() {
    let Some(dataset) = common::dataset("enterprise", "18.1") else {
        return;
    };
    // 30,000 words took 7 minutes: each was looked for in every description.
    let repeated = "lsass ".repeat(30_000);
    assert_eq!(
        dataset.search(&repeated, Visibility::LIVE).unwrap(),
        dataset.search("lsass", Visibility::LIVE).unwrap()
    );
    let words: Vec<String> = (0..33).map(|i| format!("w{i}")).collect();
    assert_eq!(
        dataset
            .search(&words[..32].join(" "), Visibility::LIVE)
            .map(|h| h.len())
            .ok(),
        Some(0)
    );
    let error = dataset
        .search(&words.join(" "), Visibility::LIVE)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the query has more than 32 distinct words; search with fewer"
    );
}

#[test]
fn tactics_come_in_matrix_order() {
    let Some(dataset) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let order: Vec<String> = dataset
        .tactics_in_order()
        .iter()
        .map(|&t| {
            dataset
                .object(t)
                .shortname
                .as_deref()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(order.first().map(String::as_str), Some("reconnaissance"));
    assert_eq!(order.last().map(String::as_str), Some("impact"));
    assert_eq!(order.len(), 14);
}

#[test]
fn a_relationship_to_a_missing_object_is_a_diagnostic_not_a_failure() {
    let dir = std::env::temp_dir().join(format!("attackdb-dangling-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("enterprise-attack-1.0.json");
    std::fs::write(
        &path,
        r#"{"type": "bundle", "objects": [
          {"type": "intrusion-set", "id": "intrusion-set--1", "name": "G", "x_mitre_domains": ["enterprise-attack"]},
          {"type": "attack-pattern", "id": "attack-pattern--1", "name": "T"},
          {"type": "relationship", "id": "relationship--1", "relationship_type": "uses",
           "source_ref": "intrusion-set--1", "target_ref": "attack-pattern--1"},
          {"type": "relationship", "id": "relationship--2", "relationship_type": "uses",
           "source_ref": "intrusion-set--1", "target_ref": "attack-pattern--missing"}]}"#,
    )
    .unwrap();
    let kb = Kb::load(&[path]).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let dataset = kb.select(attackdb_kb::Domain::Enterprise, None).unwrap();
    assert_eq!(dataset.release(), "1.0");
    assert_eq!(dataset.links().len(), 1);
    let group = dataset.lookup("G").unwrap();
    assert_eq!(
        common::names(
            dataset,
            &dataset.related(Relation::TechniquesUsedByGroup, group)
        ),
        ["attack-pattern--1"]
    );
    let messages: Vec<String> = kb.diagnostics().map(|d| d.to_string()).collect();
    assert!(
        messages.iter().any(|m| m.ends_with(
            "relationship relationship--2 points at attack-pattern--missing, which is not in the bundle; ignored"
        )),
        "{messages:?}"
    );
}

#[test]
fn a_missing_release_is_a_clear_error() {
    let Some(kb) = common::kb() else { return };
    let error = kb
        .select("mobile".parse().unwrap(), Some(&"16.0".parse().unwrap()))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(
            "no mobile-attack data for release 16.0 is loaded (loaded: enterprise-attack 15.1"
        ),
        "{error}"
    );
    assert_eq!(
        kb.select("ics-attack".parse().unwrap(), None)
            .unwrap()
            .release(),
        "18.1"
    );
}

/// Issue 14: an ATT&CK ID held by several objects resolves by the kind its prefix names, live
/// before revoked before deprecated (T1086 is a revoked technique and a deprecated mitigation).
#[test]
fn attack_ids_resolve_by_the_kind_their_prefix_names() {
    let Some(dataset) = common::dataset("enterprise", "18.1") else {
        return;
    };
    for (id, replacement) in [
        ("T1086", "T1059.001"),
        ("T1088", "T1548.002"),
        ("T1035", "T1569.002"),
        ("T1050", "T1543.003"),
    ] {
        let found = dataset.lookup(id).unwrap();
        let object = dataset.object(found);
        assert_eq!(object.kind, attackdb_kb::ObjectType::AttackPattern, "{id}");
        assert!(object.revoked, "{id}");
        let by = dataset.revoking_object(found).unwrap();
        assert_eq!(dataset.display_id(by), replacement, "{id}");
    }
    let mitigation = dataset.lookup("M1038").unwrap();
    assert_eq!(
        dataset.object(mitigation).kind,
        attackdb_kb::ObjectType::CourseOfAction
    );
}
