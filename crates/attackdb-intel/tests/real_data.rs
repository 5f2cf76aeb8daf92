//! Exact answers on enterprise 18.1, each recomputed here independently of the crate's code:
//! profiles against the relation families, similarity scores by hand, attribution of a group's
//! own techniques, the emulation plan of G0016 against the Atomic Red Team YAML, overlap counts,
//! prediction with exclusions, and the JSON keys the issue fixes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use attackdb_intel::{
    attribute, emulate, emulate_dir, overlap, parse_technique_ids, predict, profile, similar,
    AtomicIndex, AttributeOptions, EmulateOptions, Measure, PredictOptions, ProfileOptions,
    SimilarOptions,
};
use attackdb_kb::{Concept, Relation, Visibility};

use common::{enterprise, ids};

fn set(list: &[String]) -> BTreeSet<String> {
    list.iter().cloned().collect()
}

#[test]
fn profile_techniques_are_the_relation_family_for_every_group_and_campaign() {
    let Some(data) = enterprise() else { return };
    for (concept, family) in [
        (Concept::Group, Relation::TechniquesUsedByGroup),
        (Concept::Campaign, Relation::TechniquesUsedByCampaign),
    ] {
        for object in data.list(concept, Visibility::LIVE) {
            let id = data.display_id(object);
            let answer = profile(data, id, &ProfileOptions::default()).unwrap();
            let got: BTreeSet<String> = answer.techniques.iter().map(|t| t.id.clone()).collect();
            let want: BTreeSet<String> = ids(data, &data.related(family, object))
                .into_iter()
                .collect();
            assert_eq!(got, want, "{id}");
            let grouped: BTreeSet<String> = answer
                .tactics
                .iter()
                .flat_map(|t| t.techniques.iter().cloned())
                .collect();
            assert_eq!(grouped, want, "{id}: every technique sits under a tactic");
        }
    }
}

#[test]
fn profile_of_apt29_says_where_each_technique_comes_from() {
    let Some(data) = enterprise() else { return };
    let answer = profile(data, "APT29", &ProfileOptions::default()).unwrap();
    assert_eq!(
        (answer.id.as_str(), answer.kind.as_str()),
        ("G0016", "group")
    );
    assert!(
        answer.aliases.iter().any(|a| a == "Cozy Bear"),
        "{:?}",
        answer.aliases
    );
    let group = data.lookup("G0016").unwrap();
    let campaigns = data.related(Relation::CampaignsAttributedToGroup, group);
    assert!(!campaigns.is_empty());
    assert_eq!(
        answer
            .campaigns
            .iter()
            .map(|c| c.id.clone())
            .collect::<Vec<_>>(),
        ids(data, &campaigns)
    );
    for &campaign in &campaigns {
        let through: BTreeSet<String> = answer
            .techniques
            .iter()
            .filter(|t| t.via.iter().any(|v| v == data.display_id(campaign)))
            .map(|t| t.id.clone())
            .collect();
        let want: BTreeSet<String> = ids(
            data,
            &data.related(Relation::TechniquesUsedByCampaign, campaign),
        )
        .into_iter()
        .collect();
        assert_eq!(through, want, "via {}", data.display_id(campaign));
    }
    // Techniques in matrix order: each technique's first tactic never goes back.
    let order: Vec<String> = data
        .tactics_in_order()
        .iter()
        .map(|&t| {
            data.object(t)
                .shortname
                .as_deref()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    let positions: Vec<usize> = answer
        .techniques
        .iter()
        .map(|t| order.iter().position(|o| *o == t.tactics[0]).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] <= w[1]), "{positions:?}");
    // Software and first/last seen of campaigns.
    let software = ids(data, &data.related(Relation::SoftwareUsedByGroup, group));
    assert_eq!(
        answer
            .software
            .iter()
            .map(|s| s.id.clone())
            .collect::<Vec<_>>(),
        software
    );
    assert!(answer.campaigns.iter().all(|c| c.first_seen.is_some()));
    assert!(answer.techniques.iter().all(|t| !t.procedures.is_empty()));
}

#[test]
fn profile_rankings_count_what_each_mitigation_and_strategy_addresses() {
    let Some(data) = enterprise() else { return };
    let answer = profile(data, "G0016", &ProfileOptions::default()).unwrap();
    let group_set = set(&answer
        .techniques
        .iter()
        .map(|t| t.id.clone())
        .collect::<Vec<_>>());
    for (ranked, concept, family) in [
        (
            &answer.mitigations,
            Concept::Mitigation,
            Relation::TechniquesMitigatedByMitigation,
        ),
        (
            &answer.detection_strategies,
            Concept::DetectionStrategy,
            Relation::TechniquesDetectedByDetectionStrategy,
        ),
    ] {
        // Independently: every live mitigation (strategy), its techniques intersected with the group's.
        let mut want: Vec<(usize, String, Vec<String>)> = data
            .list(concept, Visibility::LIVE)
            .into_iter()
            .map(|m| {
                let addressed: Vec<String> = ids(data, &data.related(family, m))
                    .into_iter()
                    .filter(|t| group_set.contains(t))
                    .collect();
                (addressed.len(), data.display_id(m).to_string(), addressed)
            })
            .filter(|(n, _, _)| *n > 0)
            .collect();
        want.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let got: Vec<(usize, String, Vec<String>)> = ranked
            .iter()
            .map(|a| (a.count, a.id.clone(), a.techniques.clone()))
            .collect();
        assert_eq!(got, want, "{concept:?}");
    }
    assert!(!answer.data_components.is_empty());
}

#[test]
fn profile_with_software_adds_the_software_techniques_marked() {
    let Some(data) = enterprise() else { return };
    let plain = profile(data, "G0016", &ProfileOptions::default()).unwrap();
    let more = profile(
        data,
        "G0016",
        &ProfileOptions {
            with_software: true,
        },
    )
    .unwrap();
    let group = data.lookup("G0016").unwrap();
    let mut want: BTreeSet<String> = plain.techniques.iter().map(|t| t.id.clone()).collect();
    want.extend(ids(data, &data.techniques_used_by_group_software(group)));
    let got: BTreeSet<String> = more.techniques.iter().map(|t| t.id.clone()).collect();
    assert_eq!(got, want);
    let software: BTreeSet<String> = more.software.iter().map(|s| s.id.clone()).collect();
    for t in &more.techniques {
        if !plain.techniques.iter().any(|p| p.id == t.id) {
            assert!(
                t.via.iter().all(|v| software.contains(v)),
                "{}: {:?}",
                t.id,
                t.via
            );
        }
    }
}

#[test]
fn profile_of_software_lists_its_groups_and_campaigns() {
    let Some(data) = enterprise() else { return };
    let answer = profile(data, "S0154", &ProfileOptions::default()).unwrap();
    let software = data.lookup("S0154").unwrap();
    assert_eq!(answer.kind, "software");
    assert_eq!(
        answer
            .groups
            .iter()
            .map(|g| g.id.clone())
            .collect::<Vec<_>>(),
        ids(data, &data.related(Relation::GroupsUsingSoftware, software))
    );
    assert_eq!(
        answer
            .campaigns
            .iter()
            .map(|c| c.id.clone())
            .collect::<Vec<_>>(),
        ids(
            data,
            &data.related(Relation::CampaignsUsingSoftware, software)
        )
    );
    assert!(answer.techniques.iter().all(|t| t.via == ["direct"]));
}

/// Every live group's technique set, by ID, from the relation family.
fn group_sets() -> BTreeMap<String, BTreeSet<String>> {
    let data = enterprise().unwrap();
    data.list(Concept::Group, Visibility::LIVE)
        .into_iter()
        .map(|g| {
            (
                data.display_id(g).to_string(),
                ids(data, &data.related(Relation::TechniquesUsedByGroup, g))
                    .into_iter()
                    .collect(),
            )
        })
        .filter(|(_, s): &(String, BTreeSet<String>)| !s.is_empty())
        .collect()
}

#[test]
fn similar_jaccard_scores_match_a_recomputation() {
    let Some(data) = enterprise() else { return };
    let sets = group_sets();
    let query = &sets["G0016"];
    let mut want: Vec<(String, f64)> = sets
        .iter()
        .filter(|(id, _)| *id != "G0016")
        .map(|(id, s)| {
            let shared = s.intersection(query).count() as f64;
            let union = s.union(query).count() as f64;
            (id.clone(), shared / union)
        })
        .filter(|(_, score)| *score > 0.0)
        .collect();
    want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    want.truncate(15);
    let answer = similar(
        data,
        "G0016",
        &SimilarOptions {
            top: 15,
            measure: Measure::Jaccard,
        },
    )
    .unwrap();
    assert_eq!(answer.measure, "jaccard");
    let got: Vec<(String, f64)> = answer
        .results
        .iter()
        .map(|r| (r.id.clone(), r.score))
        .collect();
    assert_eq!(got, want);
    let first = &answer.results[0];
    let other = &sets[&first.id];
    assert_eq!(
        set(&first.shared),
        query.intersection(other).cloned().collect()
    );
    assert_eq!(
        set(&first.only_query),
        query.difference(other).cloned().collect()
    );
    assert_eq!(
        set(&first.only_other),
        other.difference(query).cloned().collect()
    );
}

#[test]
fn similar_idf_cosine_scores_match_a_recomputation() {
    let Some(data) = enterprise() else { return };
    let sets = group_sets();
    let n = sets.len() as f64;
    let mut df: BTreeMap<&str, f64> = BTreeMap::new();
    for s in sets.values() {
        for t in s {
            *df.entry(t.as_str()).or_default() += 1.0;
        }
    }
    let weight = |t: &str| ((1.0 + n) / (1.0 + df[t])).ln() + 1.0;
    let norm = |s: &BTreeSet<String>| s.iter().map(|t| weight(t).powi(2)).sum::<f64>().sqrt();
    let query = &sets["G0007"];
    let mut want: Vec<(String, f64)> = sets
        .iter()
        .filter(|(id, _)| *id != "G0007")
        .map(|(id, s)| {
            let dot: f64 = s.intersection(query).map(|t| weight(t).powi(2)).sum();
            (id.clone(), dot / (norm(s) * norm(query)))
        })
        .filter(|(_, score)| *score > 0.0)
        .collect();
    want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    want.truncate(10);
    let answer = similar(
        data,
        "APT28",
        &SimilarOptions {
            top: 10,
            measure: Measure::IdfCosine,
        },
    )
    .unwrap();
    assert_eq!(answer.measure, "idf-cosine");
    assert_eq!(answer.results.len(), want.len());
    for (got, (id, score)) in answer.results.iter().zip(&want) {
        assert_eq!(&got.id, id);
        assert!(
            (got.score - score).abs() < 1e-12,
            "{id}: {} vs {score}",
            got.score
        );
    }
}

#[test]
fn similar_compares_within_the_kind_of_the_reference() {
    let Some(data) = enterprise() else { return };
    let answer = similar(data, "S0154", &SimilarOptions::default()).unwrap();
    assert!(!answer.results.is_empty());
    for r in &answer.results {
        let object = data.lookup(&r.id).unwrap();
        assert_eq!(data.concept(object), Some(Concept::Software), "{}", r.id);
    }
}

#[test]
fn attribute_ranks_a_group_first_given_all_its_techniques() {
    let Some(data) = enterprise() else { return };
    let sets = group_sets();
    let mut checked = 0;
    for (id, techniques) in &sets {
        // A group whose set another group shares exactly cannot be told apart; none in 18.1
        // has a duplicate among groups with 3 or more techniques, which this counts.
        if techniques.len() < 3 {
            continue;
        }
        let list = parse_technique_ids(data, &techniques.iter().cloned().collect::<Vec<_>>());
        assert!(list.problems.is_empty());
        let answer = attribute(data, &list.objects, &AttributeOptions::default()).unwrap();
        assert_eq!(answer.results[0].id, *id, "{id}");
        assert!(answer.results[0].unmatched.is_empty());
        assert_eq!(set(&answer.results[0].matched), *techniques);
        checked += 1;
    }
    assert_eq!(checked, sets.values().filter(|s| s.len() >= 3).count());
    assert!(checked > 150, "{checked}");
}

#[test]
fn attribute_says_it_is_a_hint_and_lists_what_is_lacking() {
    let Some(data) = enterprise() else { return };
    let list = parse_technique_ids(data, &["T1059.001,T1003.001,T1566.002,T9999".to_string()]);
    assert_eq!(list.techniques.len(), 3);
    let answer = attribute(data, &list.objects, &AttributeOptions::default()).unwrap();
    assert!(answer.note.contains("not a verdict"));
    let mut kinds_seen = Vec::new();
    for r in &answer.results {
        let mut all = r.matched.clone();
        all.extend(r.unmatched.iter().cloned());
        assert_eq!(set(&all), set(&list.techniques), "{}", r.id);
        if !kinds_seen.contains(&r.kind) {
            kinds_seen.push(r.kind.clone());
        }
    }
    // One ranking per kind: groups, then campaigns, then software.
    assert_eq!(kinds_seen, ["group", "campaign", "software"]);
    // A sub-technique observed counts partly for its parent.
    let parent_only = attribute(
        data,
        &parse_technique_ids(data, &["T1059.001".to_string()]).objects,
        &AttributeOptions {
            top: 2000,
            ..AttributeOptions::default()
        },
    )
    .unwrap();
    let partial = parent_only
        .results
        .iter()
        .find(|r| r.partial.iter().any(|p| p.observed == "T1059.001"))
        .expect("some candidate uses only another T1059 technique");
    assert!(partial.score > 0.0 && partial.coverage > 0.0 && partial.coverage < 1.0);
}

#[test]
fn predict_leaves_out_what_is_observed_and_excluded() {
    let Some(data) = enterprise() else { return };
    let group = data.lookup("G0016").unwrap();
    let techniques = data.related(Relation::TechniquesUsedByGroup, group);
    let observed = &techniques[..techniques.len() * 8 / 10];
    let options = PredictOptions {
        exclude: vec!["APT29".to_string()],
        ..PredictOptions::default()
    };
    let answer = predict(data, observed, &options).unwrap();
    assert_eq!(answer.results.len(), 20);
    let observed_ids = ids(data, observed);
    let mut excluded = vec!["G0016".to_string()];
    excluded.extend(ids(
        data,
        &data.related(Relation::CampaignsAttributedToGroup, group),
    ));
    excluded.sort();
    assert_eq!(answer.excluded, excluded);
    let all = data.list(Concept::Group, Visibility::LIVE).len()
        + data.list(Concept::Campaign, Visibility::LIVE).len()
        + data.list(Concept::Software, Visibility::LIVE).len();
    assert!(answer.learned_from < all);
    for p in &answer.results {
        assert!(!observed_ids.contains(&p.id), "{}", p.id);
        assert!(!p.because.is_empty() && p.because.iter().all(|b| observed_ids.contains(b)));
        assert!(p.from.iter().all(|f| !excluded.contains(f)), "{:?}", p.from);
    }
    let scores: Vec<f64> = answer.results.iter().map(|p| p.score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn overlap_counts_each_technique_by_its_users() {
    let Some(data) = enterprise() else { return };
    let refs = ["G0016", "G0007", "S0154"].map(str::to_string);
    let answer = overlap(data, &refs).unwrap();
    let sets: Vec<BTreeSet<String>> = [
        (Relation::TechniquesUsedByGroup, "G0016"),
        (Relation::TechniquesUsedByGroup, "G0007"),
        (Relation::TechniquesUsedBySoftware, "S0154"),
    ]
    .iter()
    .map(|(f, id)| {
        ids(data, &data.related(*f, data.lookup(id).unwrap()))
            .into_iter()
            .collect()
    })
    .collect();
    let union: BTreeSet<&String> = sets.iter().flatten().collect();
    assert_eq!(answer.techniques.len(), union.len());
    for t in &answer.techniques {
        let users: Vec<String> = refs
            .iter()
            .zip(&sets)
            .filter(|(_, s)| s.contains(&t.id))
            .map(|(r, _)| r.clone())
            .collect();
        assert_eq!(t.used_by, users, "{}", t.id);
        assert_eq!(t.count, users.len());
    }
    let layer = answer.to_layer(data);
    assert_eq!(layer.techniques.len(), union.len());
    let all3 = answer.techniques.iter().filter(|t| t.count == 3).count();
    assert_eq!(answer.shared_by_all.len(), all3);
    assert!(layer.techniques.iter().all(|t| t
        .comment
        .as_deref()
        .is_some_and(|c| c.starts_with("used by"))));
}

/// The expected tests of a group on `platform` (an Atomic Red Team platform), from the YAML
/// itself: the tests whose platforms include it (`iaas` includes `iaas:aws`) and whose
/// technique the group uses, or whose technique is the parent of a used sub-technique that has
/// no test for it.
fn expected_guids(
    dir: &std::path::Path,
    used: &BTreeSet<String>,
    platform: &str,
) -> BTreeSet<String> {
    let mut windows: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for folder in std::fs::read_dir(dir.join("atomics")).unwrap() {
        let folder = folder.unwrap().path();
        let name = folder.file_name().unwrap().to_string_lossy().to_string();
        let file = folder.join(format!("{name}.yaml"));
        if !file.is_file() {
            continue;
        }
        let value: serde_json::Value =
            yaml_serde::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let technique = value["attack_technique"].as_str().unwrap().to_string();
        for test in value["atomic_tests"].as_array().unwrap() {
            let on_windows = test["supported_platforms"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().trim().to_ascii_lowercase())
                .any(|p| p == platform || p.starts_with(&format!("{platform}:")));
            if on_windows {
                windows
                    .entry(technique.clone())
                    .or_default()
                    .push(test["auto_generated_guid"].as_str().unwrap().to_string());
            }
        }
    }
    let mut want = BTreeSet::new();
    for technique in used {
        match windows.get(technique) {
            Some(guids) => want.extend(guids.iter().cloned()),
            None => {
                if let Some((parent, _)) = technique.split_once('.') {
                    want.extend(windows.get(parent).into_iter().flatten().cloned());
                }
            }
        }
    }
    want
}

/// APT29's emulation plan on `platform`, without its software.
fn apt29_plan(
    data: &attackdb_kb::Dataset,
    atomics: &AtomicIndex,
    platform: &str,
) -> attackdb_intel::Result<attackdb_intel::EmulationPlan> {
    emulate(
        data,
        "G0016",
        atomics,
        &EmulateOptions {
            platform: Some(platform.to_string()),
            with_software: false,
        },
    )
}

/// The GUIDs of a plan's tests.
fn plan_guids(plan: &attackdb_intel::EmulationPlan) -> BTreeSet<String> {
    plan.steps
        .iter()
        .flat_map(|s| s.atomics.iter().map(|a| a.guid.clone()))
        .collect()
}

#[test]
fn emulation_of_apt29_on_windows_lists_exactly_the_corpus_tests() {
    let (Some(data), Some(dir)) = (enterprise(), common::atomics_dir()) else {
        return;
    };
    let atomics = AtomicIndex::load(&dir).unwrap();
    assert!(atomics.problems.is_empty(), "{:?}", atomics.problems);
    let group = data.lookup("G0016").unwrap();
    let used: BTreeSet<String> = ids(data, &data.related(Relation::TechniquesUsedByGroup, group))
        .into_iter()
        .collect();
    let want = expected_guids(&dir, &used, "windows");
    for platform in ["windows", "Windows"] {
        let plan = apt29_plan(data, &atomics, platform).unwrap();
        assert_eq!(plan_guids(&plan), want, "platform {platform}");
        assert!(!want.is_empty());
        // Reading only the files the plan needs gives the same plan.
        let options = EmulateOptions {
            platform: Some(platform.to_string()),
            with_software: false,
        };
        let lean = emulate_dir(data, "G0016", &dir, &options).unwrap();
        assert_eq!(
            serde_json::to_value(&lean).unwrap()["steps"],
            serde_json::to_value(&plan).unwrap()["steps"]
        );
        // Every technique is a step or a gap, once.
        let mut covered: Vec<String> = plan.steps.iter().map(|s| s.technique.clone()).collect();
        covered.extend(plan.gaps.iter().map(|g| g.technique.clone()));
        covered.sort();
        assert_eq!(covered, used.iter().cloned().collect::<Vec<_>>());
        for step in &plan.steps {
            for atomic in &step.atomics {
                assert!(atomic.platforms.iter().any(|p| p == "windows"));
                assert_eq!(
                    atomic.fallback,
                    atomic.technique != step.technique,
                    "{}",
                    atomic.guid
                );
                if atomic.fallback {
                    assert_eq!(
                        Some(atomic.technique.as_str()),
                        step.technique.split('.').next()
                    );
                }
                assert!(
                    !atomic.command.contains("#{") || !atomic.unfilled.is_empty(),
                    "{}",
                    atomic.guid
                );
            }
        }
    }
}

/// ATT&CK's platform names are read as the Atomic Red Team platforms they are written as
/// (Identity Provider is `azure-ad`, Office Suite `office-365`), Atomic's own names pass, and a
/// name neither knows is refused instead of giving an empty plan.
#[test]
fn emulation_platforms_take_attack_and_atomic_names() {
    let (Some(data), Some(dir)) = (enterprise(), common::atomics_dir()) else {
        return;
    };
    let atomics = AtomicIndex::load(&dir).unwrap();
    let group = data.lookup("G0016").unwrap();
    let used: BTreeSet<String> = ids(data, &data.related(Relation::TechniquesUsedByGroup, group))
        .into_iter()
        .collect();
    let plan = |platform: &str| apt29_plan(data, &atomics, platform);
    let guids = plan_guids;
    for (names, atomic) in [
        (
            &[
                "Identity Provider",
                "identity-provider",
                "azure-ad",
                "Azure AD",
            ][..],
            "azure-ad",
        ),
        (
            &["Office Suite", "office-365", "Office 365"][..],
            "office-365",
        ),
        (&["IaaS", "iaas"][..], "iaas"),
        (&["iaas:aws", "IAAS:AWS"][..], "iaas:aws"),
        (&["macOS", "MACOS"][..], "macos"),
    ] {
        let want = expected_guids(&dir, &used, atomic);
        assert!(!want.is_empty(), "{atomic}: APT29 has tests on it");
        for name in names {
            let got = plan(name).unwrap();
            assert_eq!(got.platform.as_deref(), Some(atomic), "{name}");
            assert_eq!(guids(&got), want, "{name}");
            let lean = emulate_dir(
                data,
                "G0016",
                &dir,
                &EmulateOptions {
                    platform: Some(name.to_string()),
                    with_software: false,
                },
            )
            .unwrap();
            assert_eq!(guids(&lean), want, "{name}, files read as needed");
        }
    }
    // ESXi is an ATT&CK platform the corpus has no test for: a plan of gaps, not an error.
    let esxi = plan("ESXi").unwrap();
    assert!(esxi.steps.is_empty());
    assert_eq!(esxi.gaps.len(), used.len());
    let error = plan("bogus").unwrap_err().to_string();
    assert!(
        error.starts_with("unknown platform `bogus`: expected one of enterprise-attack 18.1 ("),
        "{error}"
    );
    assert!(
        error.contains("Identity Provider") && error.contains("iaas:aws"),
        "{error}"
    );
    assert!(emulate_dir(
        data,
        "G0016",
        &dir,
        &EmulateOptions {
            platform: Some("bogus".into()),
            with_software: false,
        },
    )
    .is_err());
}

#[test]
fn emulation_with_software_adds_marked_steps_and_renders() {
    let (Some(data), Some(dir)) = (enterprise(), common::atomics_dir()) else {
        return;
    };
    let atomics = AtomicIndex::load(&dir).unwrap();
    let options = EmulateOptions {
        platform: Some("windows".into()),
        with_software: false,
    };
    let plain = emulate(data, "G0016", &atomics, &options).unwrap();
    let more = emulate(
        data,
        "G0016",
        &atomics,
        &EmulateOptions {
            with_software: true,
            ..options
        },
    )
    .unwrap();
    assert!(more.steps.len() + more.gaps.len() > plain.steps.len() + plain.gaps.len());
    let group = data.lookup("G0016").unwrap();
    let software: BTreeSet<String> = ids(data, &data.related(Relation::SoftwareUsedByGroup, group))
        .into_iter()
        .collect();
    for step in &more.steps {
        if !plain.steps.iter().any(|s| s.technique == step.technique) {
            assert!(
                step.via.iter().all(|v| software.contains(v)),
                "{}: {:?}",
                step.technique,
                step.via
            );
        }
    }
    // Kill-chain order.
    let order: Vec<String> = data
        .tactics_in_order()
        .iter()
        .map(|&t| {
            data.object(t)
                .shortname
                .as_deref()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    let positions: Vec<usize> = plain
        .steps
        .iter()
        .map(|s| order.iter().position(|o| *o == s.tactic).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] <= w[1]));
    let markdown = plain.to_markdown();
    let yaml = plain.to_yaml().unwrap();
    for step in &plain.steps {
        assert!(markdown.contains(&step.technique));
        for atomic in &step.atomics {
            assert!(yaml.contains(&atomic.guid) && markdown.contains(&atomic.guid));
        }
    }
    // The YAML plan reads back: details first, then one entry per test.
    let entries: Vec<serde_json::Value> = yaml_serde::from_str(&yaml).unwrap();
    assert_eq!(entries.len(), plain.test_count() + 1);
    assert_eq!(
        entries[0]["emulation_plan_details"]["adversary_id"],
        "G0016"
    );
    assert!(entries[1]["platforms"]["windows"].is_object());
    let layer = plain.to_layer(data);
    assert_eq!(layer.techniques.len(), plain.steps.len() + plain.gaps.len());
}

#[test]
fn answers_serialize_with_the_keys_the_issue_fixes() {
    let (Some(data), Some(dir)) = (enterprise(), common::atomics_dir()) else {
        return;
    };
    let has = |value: &serde_json::Value, keys: &[&str]| {
        for key in keys {
            assert!(value.get(key).is_some(), "missing {key} in {value:.200}");
        }
    };
    let p =
        serde_json::to_value(profile(data, "G0016", &ProfileOptions::default()).unwrap()).unwrap();
    has(
        &p,
        &[
            "id",
            "name",
            "type",
            "aliases",
            "techniques",
            "software",
            "campaigns",
            "mitigations",
            "detection_strategies",
        ],
    );
    has(&p["techniques"][0], &["id", "name", "tactics", "via"]);
    has(&p["mitigations"][0], &["id", "name", "techniques"]);
    has(&p["detection_strategies"][0], &["id", "name", "techniques"]);
    let s =
        serde_json::to_value(similar(data, "G0016", &SimilarOptions::default()).unwrap()).unwrap();
    has(&s, &["measure", "results"]);
    has(
        &s["results"][0],
        &["id", "name", "score", "shared", "only_query", "only_other"],
    );
    let observed = parse_technique_ids(data, &["T1059.001".into(), "T1003.001".into()]).objects;
    let a = serde_json::to_value(attribute(data, &observed, &AttributeOptions::default()).unwrap())
        .unwrap();
    has(&a, &["results", "note"]);
    has(
        &a["results"][0],
        &["id", "type", "name", "score", "matched", "unmatched"],
    );
    let r = serde_json::to_value(predict(data, &observed, &PredictOptions::default()).unwrap())
        .unwrap();
    has(&r["results"][0], &["id", "name", "score", "because"]);
    let atomics = AtomicIndex::load(&dir).unwrap();
    let e = serde_json::to_value(
        emulate(
            data,
            "G0016",
            &atomics,
            &EmulateOptions {
                platform: Some("windows".into()),
                with_software: false,
            },
        )
        .unwrap(),
    )
    .unwrap();
    has(&e, &["steps", "gaps"]);
    has(&e["steps"][0], &["technique", "tactic", "atomics"]);
    has(
        &e["steps"][0]["atomics"][0],
        &[
            "guid",
            "name",
            "technique",
            "executor",
            "command",
            "platforms",
            "fallback",
        ],
    );
}

#[test]
fn renderers_escape_and_layers_read_back() {
    let Some(data) = enterprise() else { return };
    let answer = profile(data, "G0016", &ProfileOptions::default()).unwrap();
    let html = answer.to_html();
    assert!(html.starts_with("<!DOCTYPE html>") && !html.contains("<script"));
    // Every technique name appears escaped (names hold `&`, `:` and quotes).
    for t in &answer.techniques {
        assert!(
            html.contains(&attackdb_navigator::export::escape_markup(&t.name)),
            "{}",
            t.name
        );
    }
    let markdown = answer.to_markdown();
    for t in &answer.techniques {
        assert!(markdown.contains(&format!("**{}**", t.id)));
    }
    let layer = answer.to_layer(data);
    let text = attackdb_navigator::layer_to_json(&layer).unwrap();
    let read = attackdb_navigator::read_layers(&text).unwrap();
    assert!(read.is_valid());
    assert_eq!(
        read.layers[0].layer.techniques.len(),
        answer.techniques.len()
    );
    assert!(
        attackdb_navigator::check_against(&read.layers[0].layer, data, "$")
            .iter()
            .all(|p| p.severity != attackdb_navigator::Severity::Error)
    );
}

#[test]
fn attribute_weighs_a_rare_match_over_a_common_one() {
    let Some(data) = enterprise() else { return };
    let sets = group_sets();
    let mut users: BTreeMap<&str, usize> = BTreeMap::new();
    for s in sets.values() {
        for t in s {
            *users.entry(t.as_str()).or_default() += 1;
        }
    }
    let common = "T1105";
    assert!(users[common] > 50);
    // A group using a technique only one other group uses, but not the common one; and a group
    // using the common one but not the rare one, with no more techniques than the first.
    let (rare, a) = sets
        .iter()
        .filter(|(_, s)| !s.contains(common))
        .find_map(|(id, s)| {
            s.iter()
                .find(|t| users[t.as_str()] == 2)
                .map(|t| (t.clone(), id.clone()))
        })
        .expect("such a group exists in 18.1");
    let b = sets
        .iter()
        .find(|(_, s)| s.contains(common) && !s.contains(&rare) && s.len() <= sets[&a].len())
        .map(|(id, _)| id.clone())
        .expect("such a group exists in 18.1");
    let observed = parse_technique_ids(data, &[rare.clone(), common.to_string()]).objects;
    let answer = attribute(
        data,
        &observed,
        &AttributeOptions {
            top: 1000,
            ..AttributeOptions::default()
        },
    )
    .unwrap();
    let rank = |id: &str| answer.results.iter().position(|r| r.id == id).unwrap();
    assert!(
        rank(&a) < rank(&b),
        "{a} (rare {rare}) should rank above {b} (common {common})"
    );
    let coverage = |id: &str| answer.results[rank(id)].coverage;
    assert!(
        coverage(&a) > 0.5 && coverage(&b) < 0.5,
        "{} {}",
        coverage(&a),
        coverage(&b)
    );
}

#[test]
fn emulation_without_a_platform_takes_every_test_and_campaigns_plan_too() {
    let (Some(data), Some(dir)) = (enterprise(), common::atomics_dir()) else {
        return;
    };
    let atomics = AtomicIndex::load(&dir).unwrap();
    let all = emulate(data, "C0024", &atomics, &EmulateOptions::default()).unwrap();
    let windows = emulate(
        data,
        "SolarWinds Compromise",
        &atomics,
        &EmulateOptions {
            platform: Some("windows".into()),
            with_software: false,
        },
    )
    .unwrap();
    assert_eq!(all.adversary.id, "C0024");
    assert_eq!(windows.adversary.id, "C0024");
    assert!(all.test_count() > windows.test_count());
    let campaign = data.lookup("C0024").unwrap();
    // Without a platform, a technique's own tests are all its tests.
    for step in all
        .steps
        .iter()
        .filter(|s| s.atomics.iter().all(|a| !a.fallback))
    {
        assert_eq!(
            step.atomics.len(),
            atomics.tests_for(&step.technique, None).len(),
            "{}",
            step.technique
        );
    }
    let mut covered: Vec<String> = all.steps.iter().map(|s| s.technique.clone()).collect();
    covered.extend(all.gaps.iter().map(|g| g.technique.clone()));
    covered.sort();
    assert_eq!(
        covered,
        ids(
            data,
            &data.related(Relation::TechniquesUsedByCampaign, campaign)
        )
    );
    let yaml: Vec<serde_json::Value> = yaml_serde::from_str(&all.to_yaml().unwrap()).unwrap();
    assert!(yaml.iter().any(|e| e["platforms"].get("linux").is_some()));
}
