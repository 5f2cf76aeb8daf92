//! Threat-informed gaps for a fixed set of groups, checked against the relation data itself:
//! each group's techniques are `TechniquesUsedByGroup` (its campaigns included), plus those of
//! its software with `Inherit::CampaignsAndSoftware`, and a gap's rank is how many of the groups
//! use it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use attackdb_coverage::{analyze, ingest, Actors, Inherit, Options, Status};
use attackdb_kb::{Relation, Visibility};

const GROUPS: [&str; 4] = ["G0016", "G0007", "G0032", "G0034"];

#[test]
fn gap_ranking_follows_the_relation_data() {
    ranking_follows_the_relation_data(Inherit::Campaigns);
}

#[test]
fn gap_ranking_with_software_follows_the_relation_data() {
    ranking_follows_the_relation_data(Inherit::CampaignsAndSoftware);
}

fn ranking_follows_the_relation_data(inherit: Inherit) {
    let Some(dataset) = common::enterprise() else {
        return;
    };
    let ingested = ingest(&[common::fixture("csv/inventory.csv")], None).unwrap();
    let options = Options {
        actors: Some(Actors::Groups(
            GROUPS.iter().map(|g| g.to_string()).collect(),
        )),
        inherit,
        ..Options::default()
    };
    let analysis = analyze(dataset, ingested, &options).unwrap();
    // Covered, straight from the inventory (T1064 is deprecated, so out of scope).
    let covered: BTreeSet<&str> = [
        "T1003.001",
        "T1003.003",
        "T1071.001",
        "T1078",
        "T1566.001",
        "T1573",
    ]
    .into();
    let mut users: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut shares = Vec::new();
    for group in GROUPS {
        let g = dataset.lookup(group).unwrap();
        let mut techniques: BTreeSet<String> = BTreeSet::new();
        for t in dataset.related(Relation::TechniquesUsedByGroup, g) {
            techniques.insert(dataset.display_id(t).to_string());
        }
        if inherit == Inherit::CampaignsAndSoftware {
            for software in dataset.related(Relation::SoftwareUsedByGroup, g) {
                for t in dataset.related(Relation::TechniquesUsedBySoftware, software) {
                    techniques.insert(dataset.display_id(t).to_string());
                }
            }
        }
        let covered_count = techniques
            .iter()
            .filter(|t| covered.contains(t.as_str()))
            .count();
        shares.push((group.to_string(), techniques.len(), covered_count));
        for t in techniques {
            if !covered.contains(t.as_str()) {
                users.entry(t).or_default().push(group.to_string());
            }
        }
    }
    let mut expected: Vec<(String, usize, Vec<String>)> = users
        .into_iter()
        .map(|(t, mut groups)| {
            groups.sort();
            (t, groups.len(), groups)
        })
        .collect();
    expected.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let gaps = analysis.gaps.as_ref().unwrap();
    let actual: Vec<(String, usize, Vec<String>)> = gaps
        .gaps
        .iter()
        .map(|gap| {
            let mut groups: Vec<String> = gap
                .used_by
                .iter()
                .map(|&(a, _)| dataset.display_id(a).to_string())
                .collect();
            groups.sort();
            (
                dataset.display_id(gap.technique).to_string(),
                gap.used_by.len(),
                groups,
            )
        })
        .collect();
    assert_eq!(actual.len(), expected.len());
    assert_eq!(actual, expected);
    assert!(actual[0].1 == 4, "the top gap is used by all four groups");
    // Parents of covered sub-techniques are gaps too, marked partly covered.
    let t1003 = gaps
        .gaps
        .iter()
        .find(|g| dataset.display_id(g.technique) == "T1003");
    if let Some(t1003) = t1003 {
        assert_eq!(t1003.status, Status::Partly);
    }
    let mut actual_shares: Vec<(String, usize, usize)> = gaps
        .actors
        .iter()
        .map(|a| {
            (
                dataset.display_id(a.actor).to_string(),
                a.techniques,
                a.covered,
            )
        })
        .collect();
    actual_shares.sort();
    shares.sort();
    assert_eq!(actual_shares, shares);
}

#[test]
fn gaps_say_how_a_group_uses_a_technique() {
    let Some(dataset) = common::enterprise() else {
        return;
    };
    // APT29 (G0016) has campaigns attributed to it (e.g. SolarWinds, C0024).
    let g = dataset.lookup("G0016").unwrap();
    let mut by_campaign: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for campaign in dataset.related(Relation::CampaignsAttributedToGroup, g) {
        for t in dataset.related(Relation::TechniquesUsedByCampaign, campaign) {
            by_campaign.entry(t).or_default().push(campaign);
        }
    }
    assert!(!by_campaign.is_empty());
    let via = attackdb_coverage::techniques_of(dataset, g, Inherit::Campaigns);
    for (t, campaigns) in &by_campaign {
        assert!(via[t].campaign, "{}", dataset.display_id(*t));
        assert_eq!(&via[t].campaigns, campaigns, "{}", dataset.display_id(*t));
    }
    // Without software: exactly the relation family (its own and its campaigns' techniques).
    let family: BTreeSet<u32> = dataset
        .related(Relation::TechniquesUsedByGroup, g)
        .into_iter()
        .collect();
    assert_eq!(via.keys().copied().collect::<BTreeSet<_>>(), family);
    assert!(via
        .values()
        .all(|v| !v.software && v.software_used.is_empty()));
    // With software: the family and every technique of its software, each naming the software.
    let with_software = attackdb_coverage::techniques_of(dataset, g, Inherit::CampaignsAndSoftware);
    let all: BTreeSet<u32> = family
        .iter()
        .copied()
        .chain(dataset.techniques_used_by_group_software(g))
        .collect();
    assert_eq!(with_software.keys().copied().collect::<BTreeSet<_>>(), all);
    for software in dataset.related(Relation::SoftwareUsedByGroup, g) {
        for t in dataset.related(Relation::TechniquesUsedBySoftware, software) {
            assert!(with_software[&t].software_used.contains(&software));
        }
    }
    // Every technique says where it comes from.
    assert!(with_software
        .values()
        .all(|v| !v.sources(dataset).is_empty()));
}

/// APT29's gap counts on enterprise 18.1, with no rule at all (so every technique is a gap):
/// its techniques as the relation family gives them, and with its software's.
#[test]
fn apt29_gaps_with_and_without_software() {
    let Some(dataset) = common::enterprise() else {
        return;
    };
    let g = dataset.lookup("G0016").unwrap();
    let family = dataset.related(Relation::TechniquesUsedByGroup, g);
    let with_software: BTreeSet<u32> = family
        .iter()
        .copied()
        .chain(dataset.techniques_used_by_group_software(g))
        .collect();
    // An inventory whose one rule names no technique of the release.
    let dir = tempfile_dir();
    let csv = dir.join("none.csv");
    std::fs::write(&csv, "name,techniques\nnothing,T1685\n").unwrap();
    for (inherit, expected) in [
        (Inherit::Campaigns, family.len()),
        (Inherit::CampaignsAndSoftware, with_software.len()),
    ] {
        let options = Options {
            actors: Some(Actors::Groups(vec!["APT29".to_string()])),
            inherit,
            ..Options::default()
        };
        let ingested = ingest(std::slice::from_ref(&csv), None).unwrap();
        let gaps = analyze(dataset, ingested, &options).unwrap().gaps.unwrap();
        assert_eq!(gaps.actors[0].techniques, expected);
        assert_eq!(gaps.actors[0].covered, 0);
        assert_eq!(gaps.gaps.len(), expected);
    }
    assert_eq!((family.len(), with_software.len()), (119, 249));
    std::fs::remove_dir_all(dir).unwrap();
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("attackdb-coverage-gaps-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn all_groups_and_unknown_or_wrong_actors() {
    let Some(dataset) = common::enterprise() else {
        return;
    };
    let ingested = ingest(&[common::fixture("csv/inventory.csv")], None).unwrap();
    let options = Options {
        actors: Some(Actors::Groups(Vec::new())),
        ..Options::default()
    };
    let analysis = analyze(dataset, ingested.clone(), &options).unwrap();
    let gaps = analysis.gaps.unwrap();
    assert_eq!(
        gaps.actors.len(),
        dataset
            .list(attackdb_kb::Concept::Group, Visibility::LIVE)
            .len()
    );
    assert_eq!(gaps.actors.len(), 172);
    for bad in ["G9999", "T1003"] {
        let options = Options {
            actors: Some(Actors::Groups(vec![bad.to_string()])),
            ..Options::default()
        };
        let error = analyze(dataset, ingested.clone(), &options).unwrap_err();
        assert!(error.to_string().starts_with(bad), "{error}");
    }
    let options = Options {
        actors: Some(Actors::Software(vec!["Mimikatz".to_string()])),
        ..Options::default()
    };
    let gaps = analyze(dataset, ingested, &options).unwrap().gaps.unwrap();
    assert_eq!(gaps.kind, "software");
    assert_eq!(dataset.display_id(gaps.actors[0].actor), "S0002");
}
