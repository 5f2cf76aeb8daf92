//! attackdb's own relation families of the detection chain, checked against the raw bundles:
//! each expected map is made here by walking the STIX JSON (relationships, `x_mitre_analytic_refs`,
//! `x_mitre_log_source_references`) with `serde_json`, not through the kb.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;

use attackdb_kb::{Dataset, Relation};
use serde_json::Value;

/// (from, to) STIX ID pairs.
type Pairs = Vec<(String, String)>;

/// The raw objects of one release, by STIX ID.
struct Raw {
    objects: HashMap<String, Value>,
}

impl Raw {
    fn load(domain: &str, release: &str) -> Option<Raw> {
        let dir = common::data_dir()?;
        let path = dir.join(format!("{domain}-attack/{domain}-attack-{release}.json.gz"));
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let bundle: Value = serde_json::from_str(&text).unwrap();
        let objects = bundle["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| (o["id"].as_str().unwrap().to_string(), o.clone()))
            .collect();
        Some(Raw { objects })
    }

    fn of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.objects.values().filter(move |o| o["type"] == kind)
    }

    fn live(o: &Value) -> bool {
        o["revoked"] != true && o["x_mitre_deprecated"] != true
    }

    /// The ATT&CK ID, else the STIX ID (as the kb displays objects).
    fn display(&self, stix_id: &str) -> String {
        let object = &self.objects[stix_id];
        object["external_references"]
            .as_array()
            .and_then(|refs| {
                refs.iter().find(|r| {
                    r["source_name"]
                        .as_str()
                        .is_some_and(|s| s.starts_with("mitre-") && s.ends_with("attack"))
                })
            })
            .and_then(|r| r["external_id"].as_str())
            .unwrap_or(stix_id)
            .to_string()
    }

    /// `detects` relationships of live source type -> live techniques, both live.
    fn detects(&self, source_type: &str) -> BTreeMap<String, BTreeSet<String>> {
        let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for r in self.of_type("relationship") {
            if r["relationship_type"] != "detects" || !Raw::live(r) {
                continue;
            }
            let (Some(source), Some(target)) = (
                self.objects.get(r["source_ref"].as_str().unwrap()),
                self.objects.get(r["target_ref"].as_str().unwrap()),
            ) else {
                continue;
            };
            if source["type"] == source_type
                && target["type"] == "attack-pattern"
                && Raw::live(target)
            {
                map.entry(source["id"].as_str().unwrap().to_string())
                    .or_default()
                    .insert(target["id"].as_str().unwrap().to_string());
            }
        }
        map
    }

    /// Each strategy's live analytics; each analytic's live data components (STIX IDs).
    fn references(&self) -> (Pairs, Pairs) {
        let mut strategy_analytic = Vec::new();
        for s in self.of_type("x-mitre-detection-strategy") {
            for a in s["x_mitre_analytic_refs"].as_array().into_iter().flatten() {
                let a = a.as_str().unwrap();
                if self.objects.get(a).is_some_and(Raw::live) {
                    strategy_analytic.push((s["id"].as_str().unwrap().to_string(), a.to_string()));
                }
            }
        }
        let mut analytic_component = Vec::new();
        for a in self.of_type("x-mitre-analytic") {
            for r in a["x_mitre_log_source_references"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let d = r["x_mitre_data_component_ref"].as_str().unwrap();
                if self.objects.get(d).is_some_and(Raw::live) {
                    analytic_component.push((a["id"].as_str().unwrap().to_string(), d.to_string()));
                }
            }
        }
        (strategy_analytic, analytic_component)
    }

    /// Data component -> techniques it serves: `detects` from the component, or from a live
    /// strategy whose live analytic reads it.
    fn seen_by_component(&self) -> BTreeMap<String, Vec<String>> {
        let by_strategy = self.detects("x-mitre-detection-strategy");
        let (strategy_analytic, analytic_component) = self.references();
        let mut seen: BTreeMap<String, BTreeSet<String>> = self
            .detects("x-mitre-data-component")
            .into_iter()
            .map(|(d, ts)| {
                (
                    self.display(&d),
                    ts.iter().map(|t| self.display(t)).collect(),
                )
            })
            .collect();
        for (analytic, component) in &analytic_component {
            for (strategy, a) in &strategy_analytic {
                if a != analytic || !Raw::live(&self.objects[strategy]) {
                    continue;
                }
                let entry = seen.entry(self.display(component)).or_default();
                for t in by_strategy.get(strategy).into_iter().flatten() {
                    entry.insert(self.display(t));
                }
            }
        }
        seen.into_iter()
            .map(|(k, v)| (k, v.into_iter().collect()))
            .collect()
    }
}

fn pairs(map: &BTreeMap<String, Vec<String>>) -> usize {
    map.values().map(Vec::len).sum()
}

fn seen_matches_the_raw_chain(domain: &str, release: &str, keys: usize, total: usize) -> bool {
    let (Some(dataset), Some(raw)) = (common::dataset(domain, release), Raw::load(domain, release))
    else {
        return false;
    };
    let ours = dataset.relation_map_named(Relation::TechniquesSeenByDatacomponent);
    let expected = raw.seen_by_component();
    assert_eq!(ours, expected, "{domain} {release}");
    assert_eq!(
        (ours.len(), pairs(&ours)),
        (keys, total),
        "{domain} {release}"
    );
    true
}

fn named(dataset: &Dataset, relation: Relation, key: &str) -> Vec<String> {
    let key = dataset.lookup_key(relation, key).unwrap();
    attackdb_kb::answer::related_ids(dataset, relation, key)
}

#[test]
fn dc0035_serves_77_techniques_on_enterprise_18_1_through_the_chain() {
    if !seen_matches_the_raw_chain("enterprise", "18.1", 97, 2615) {
        return;
    }
    let dataset = common::dataset("enterprise", "18.1").unwrap();
    let seen = named(dataset, Relation::TechniquesSeenByDatacomponent, "DC0035");
    assert_eq!(seen.len(), 77);
    assert_eq!(seen.first().map(String::as_str), Some("T1001.001"));
    assert_eq!(
        named(dataset, Relation::TechniquesSeenByDatacomponent, "DC0032").len(),
        452
    );
    // mitreattack-python's family stays as the library answers it: empty on 18.x.
    assert!(named(
        dataset,
        Relation::TechniquesDetectedByDatacomponent,
        "DC0035"
    )
    .is_empty());
    assert!(dataset
        .relation_map(Relation::TechniquesDetectedByDatacomponent)
        .is_empty());
}

#[test]
fn techniques_seen_by_datacomponent_on_ics_and_mobile_18_1() {
    seen_matches_the_raw_chain("ics", "18.1", 34, 236);
    seen_matches_the_raw_chain("mobile", "18.1", 17, 173);
}

#[test]
fn before_18_techniques_seen_by_datacomponent_are_the_detects_relationships() {
    for (release, total) in [("17.1", 2116), ("15.1", 1987)] {
        if !seen_matches_the_raw_chain("enterprise", release, 106, total) {
            return;
        }
        let dataset = common::dataset("enterprise", release).unwrap();
        assert_eq!(
            dataset.relation_map_named(Relation::TechniquesSeenByDatacomponent),
            dataset.relation_map_named(Relation::TechniquesDetectedByDatacomponent),
            "{release}"
        );
        for family in Relation::CHAIN {
            if family != Relation::TechniquesSeenByDatacomponent {
                assert!(
                    dataset.relation_map(family).is_empty(),
                    "{release} {family:?}"
                );
            }
        }
    }
}

/// Inverts a family's map.
fn inverse(map: &BTreeMap<String, Vec<String>>) -> BTreeMap<String, Vec<String>> {
    let mut inverted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, list) in map {
        for item in list {
            inverted.entry(item.clone()).or_default().push(key.clone());
        }
    }
    for list in inverted.values_mut() {
        list.sort();
    }
    inverted
}

#[test]
fn chain_families_both_ways_enterprise_18_1() {
    let (Some(dataset), Some(raw)) = (
        common::dataset("enterprise", "18.1"),
        Raw::load("enterprise", "18.1"),
    ) else {
        return;
    };
    let (strategy_analytic, analytic_component) = raw.references();
    let expected = |pairs: &[(String, String)]| -> BTreeMap<String, Vec<String>> {
        let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in pairs {
            map.entry(raw.display(a))
                .or_default()
                .insert(raw.display(b));
        }
        map.into_iter()
            .map(|(k, v)| (k, v.into_iter().collect()))
            .collect()
    };
    let analytics_of = dataset.relation_map_named(Relation::AnalyticsOfDetectionStrategy);
    assert_eq!(analytics_of, expected(&strategy_analytic));
    assert_eq!((analytics_of.len(), pairs(&analytics_of)), (691, 1739));
    let components_of = dataset.relation_map_named(Relation::DatacomponentsOfAnalytic);
    assert_eq!(components_of, expected(&analytic_component));
    // The reverse families are the inverses.
    let strategies_of = dataset.relation_map_named(Relation::DetectionStrategiesOfAnalytic);
    assert_eq!(strategies_of, inverse(&analytics_of));
    assert_eq!((strategies_of.len(), pairs(&strategies_of)), (1739, 1739));
    let using = dataset.relation_map_named(Relation::AnalyticsUsingDatacomponent);
    assert_eq!(using, inverse(&components_of));
    assert_eq!((using.len(), pairs(&using)), (97, 4124));
    // An analytic's techniques are its strategies' techniques; a component's, its analytics'.
    let seen_by_analytic = dataset.relation_map_named(Relation::TechniquesSeenByAnalytic);
    let by_strategy = dataset.relation_map_named(Relation::TechniquesDetectedByDetectionStrategy);
    for (analytic, strategies) in &strategies_of {
        let mut expected: Vec<String> = strategies
            .iter()
            .flat_map(|s| by_strategy.get(s).cloned().unwrap_or_default())
            .collect();
        expected.sort();
        expected.dedup();
        assert_eq!(seen_by_analytic[analytic], expected, "{analytic}");
    }
    let seen = dataset.relation_map_named(Relation::TechniquesSeenByDatacomponent);
    for (component, analytics) in &using {
        let mut expected: Vec<String> = analytics
            .iter()
            .flat_map(|a| seen_by_analytic[a].clone())
            .collect();
        expected.sort();
        expected.dedup();
        assert_eq!(seen[component], expected, "{component}");
    }
    // One object's answer is its map entry.
    assert_eq!(
        named(dataset, Relation::AnalyticsOfDetectionStrategy, "DET0103"),
        analytics_of["DET0103"]
    );
    assert_eq!(
        named(
            dataset,
            Relation::AnalyticsUsingDatacomponent,
            "Process Access"
        ),
        using["DC0035"]
    );
}

#[test]
fn chain_family_names_parse_and_are_attackdbs_own() {
    assert_eq!(Relation::ALL.len(), 28);
    for family in Relation::LIBRARY {
        assert!(family.is_library());
    }
    for family in Relation::CHAIN {
        assert!(!family.is_library());
        assert_eq!(Relation::parse(family.name()).unwrap(), family);
    }
    assert_eq!(
        Relation::parse("techniques-seen-by-datacomponent").unwrap(),
        Relation::TechniquesSeenByDatacomponent
    );
}
