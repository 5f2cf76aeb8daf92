//! The ATT&CK 18+ detection chain: technique -> detection strategies -> analytics -> data
//! components and their log sources, both ways. (mitreattack-python stops at the strategies.)
//!
//! attackdb's own relation families ([`Relation::CHAIN`]) are answered here, by the library's
//! rules: a key is in a family's map when it references (or is referenced by) at least one object
//! of the related type, whatever that object's status; its list holds the live ones; the key
//! itself is not filtered. Each hop of a longer chain keeps only live objects.

use std::collections::HashMap;

use attackdb_stix::ObjectType;

use crate::dataset::{Dataset, ObjId};
use crate::family::Relation;

/// The chain's references read once, both ways: each detection strategy's analytics, each
/// analytic's data components, and their reverses (every object in the dataset, any status).
pub(crate) struct ChainIndex {
    analytics_of_strategy: HashMap<ObjId, Vec<ObjId>>,
    strategies_of_analytic: HashMap<ObjId, Vec<ObjId>>,
    components_of_analytic: HashMap<ObjId, Vec<ObjId>>,
    analytics_of_component: HashMap<ObjId, Vec<ObjId>>,
}

impl ChainIndex {
    /// Reads every detection strategy's and analytic's references.
    pub(crate) fn build(dataset: &Dataset) -> ChainIndex {
        let mut index = ChainIndex {
            analytics_of_strategy: HashMap::new(),
            strategies_of_analytic: HashMap::new(),
            components_of_analytic: HashMap::new(),
            analytics_of_component: HashMap::new(),
        };
        // Parsed at once over the cores when read through a prebuilt index.
        dataset.load_where(|o| {
            dataset.is_kind(o, &[ObjectType::DetectionStrategy, ObjectType::Analytic])
        });
        let strategies = dataset.objects_of(&[ObjectType::DetectionStrategy]);
        let analytics = dataset.objects_of(&[ObjectType::Analytic]);
        for strategy in strategies {
            for reference in &dataset.object(strategy).analytic_refs {
                let Some(analytic) = dataset.by_stix_id(reference) else {
                    continue;
                };
                if dataset.is_kind(analytic, &[ObjectType::Analytic]) {
                    push_once(&mut index.analytics_of_strategy, strategy, analytic);
                    push_once(&mut index.strategies_of_analytic, analytic, strategy);
                }
            }
        }
        for analytic in analytics {
            for reference in &dataset.object(analytic).log_source_references {
                let Some(component) = dataset.by_stix_id(&reference.data_component_ref) else {
                    continue;
                };
                if dataset.is_kind(component, &[ObjectType::DataComponent]) {
                    push_once(&mut index.components_of_analytic, analytic, component);
                    push_once(&mut index.analytics_of_component, component, analytic);
                }
            }
        }
        index
    }
}

fn push_once(map: &mut HashMap<ObjId, Vec<ObjId>>, key: ObjId, value: ObjId) {
    let list = map.entry(key).or_default();
    if !list.contains(&value) {
        list.push(value);
    }
}

/// How a technique is detected, as ATT&CK 18+ describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectionChain {
    /// The technique.
    pub technique: ObjId,
    /// Its live detection strategies, sorted by ID.
    pub strategies: Vec<StrategyDetail>,
}

/// One detection strategy and its analytics.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyDetail {
    /// The detection strategy.
    pub strategy: ObjId,
    /// Its live analytics, in the strategy's order.
    pub analytics: Vec<AnalyticDetail>,
}

/// One analytic: its platforms and the log sources it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticDetail {
    /// The analytic.
    pub analytic: ObjId,
    /// Each log source the analytic reads: data component (if it is in the dataset), log source
    /// name and channel.
    pub log_sources: Vec<(Option<ObjId>, String, Option<String>)>,
}

impl Dataset {
    /// The answer of one of attackdb's own families for `key`: `None` when `key` is not in the
    /// family's map, else the related live objects, unsorted.
    pub(crate) fn chain_related(
        &self,
        relation: Relation,
        key: ObjId,
        chain: &ChainIndex,
    ) -> Option<Vec<ObjId>> {
        if !self.is_kind(key, relation.key_types()) {
            return None;
        }
        let live = |list: &Vec<ObjId>| -> Vec<ObjId> {
            list.iter().copied().filter(|&o| self.is_live(o)).collect()
        };
        // An analytic's techniques: those its live strategies detect.
        let of_analytic = |analytic: ObjId| -> Option<Vec<ObjId>> {
            chain
                .strategies_of_analytic
                .get(&analytic)
                .map(|strategies| {
                    live(strategies)
                        .into_iter()
                        .flat_map(|s| {
                            self.related(Relation::TechniquesDetectedByDetectionStrategy, s)
                        })
                        .collect()
                })
        };
        match relation {
            Relation::AnalyticsOfDetectionStrategy => {
                chain.analytics_of_strategy.get(&key).map(live)
            }
            Relation::DetectionStrategiesOfAnalytic => {
                chain.strategies_of_analytic.get(&key).map(live)
            }
            Relation::DatacomponentsOfAnalytic => chain.components_of_analytic.get(&key).map(live),
            Relation::AnalyticsUsingDatacomponent => {
                chain.analytics_of_component.get(&key).map(live)
            }
            Relation::TechniquesSeenByAnalytic => of_analytic(key),
            Relation::TechniquesSeenByDatacomponent => {
                let mut answer =
                    self.direct_related(Relation::TechniquesDetectedByDatacomponent, key);
                if let Some(analytics) = chain.analytics_of_component.get(&key) {
                    let seen = live(analytics)
                        .into_iter()
                        .filter_map(of_analytic)
                        .flatten();
                    answer.get_or_insert_with(Vec::new).extend(seen);
                }
                answer
            }
            _ => None,
        }
    }

    /// The analytics a detection strategy references, live ones only, in its order.
    pub fn analytics_of_strategy(&self, strategy: ObjId) -> Vec<ObjId> {
        self.object(strategy)
            .analytic_refs
            .iter()
            .filter_map(|r| self.by_stix_id(r))
            .filter(|&a| self.is_live(a))
            .collect()
    }

    /// The data components an analytic reads (live ones, sorted, without repeats).
    pub fn datacomponents_of_analytic(&self, analytic: ObjId) -> Vec<ObjId> {
        let mut found: Vec<ObjId> = self
            .object(analytic)
            .log_source_references
            .iter()
            .filter_map(|r| self.by_stix_id(&r.data_component_ref))
            .filter(|&d| self.is_live(d))
            .collect();
        self.sort_dedup(&mut found);
        found
    }

    /// The whole detection chain of `technique`.
    pub fn detection_chain(&self, technique: ObjId) -> DetectionChain {
        let strategies = self
            .related(Relation::DetectionStrategiesDetectingTechnique, technique)
            .into_iter()
            .map(|strategy| StrategyDetail {
                strategy,
                analytics: self
                    .analytics_of_strategy(strategy)
                    .into_iter()
                    .map(|analytic| AnalyticDetail {
                        analytic,
                        log_sources: self
                            .object(analytic)
                            .log_source_references
                            .iter()
                            .map(|r| {
                                (
                                    self.by_stix_id(&r.data_component_ref),
                                    r.name.to_string(),
                                    r.channel.as_deref().map(str::to_string),
                                )
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        DetectionChain {
            technique,
            strategies,
        }
    }

    /// The data components that detect `technique` through the 18+ chain (strategies, then
    /// analytics), sorted, without repeats.
    pub fn datacomponents_via_strategies(&self, technique: ObjId) -> Vec<ObjId> {
        let mut found: Vec<ObjId> = self
            .related(Relation::DetectionStrategiesDetectingTechnique, technique)
            .into_iter()
            .flat_map(|s| self.analytics_of_strategy(s))
            .flat_map(|a| self.datacomponents_of_analytic(a))
            .collect();
        self.sort_dedup(&mut found);
        found
    }
}

/// One log source as the release's live analytics read it (ATT&CK 18+).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSourceUse {
    /// Log source name (`WinEventLog:Security`).
    pub name: String,
    /// Channel (`EventCode=4688`), if any.
    pub channel: Option<String>,
    /// The live data components the analytics name with it, sorted.
    pub data_components: Vec<ObjId>,
    /// The live analytics reading it, sorted.
    pub analytics: Vec<ObjId>,
}

impl LogSourceUse {
    /// `name (channel)`, or the name alone, as `show` prints log sources.
    pub fn label(&self) -> String {
        match &self.channel {
            Some(channel) => format!("{} ({channel})", self.name),
            None => self.name.clone(),
        }
    }
}

impl Dataset {
    /// Every (name, channel) log source the live analytics read, sorted by name then channel
    /// (empty before 18.x, which has no analytics).
    pub fn log_sources(&self) -> Vec<LogSourceUse> {
        let mut found: std::collections::BTreeMap<(String, Option<String>), LogSourceUse> =
            std::collections::BTreeMap::new();
        let analytics: Vec<ObjId> = self
            .objects_of(&[ObjectType::Analytic])
            .into_iter()
            .filter(|&a| self.is_live(a))
            .collect();
        self.load_where(|o| self.is_kind(o, &[ObjectType::Analytic]));
        for analytic in analytics {
            for reference in &self.object(analytic).log_source_references {
                let key = (
                    reference.name.to_string(),
                    reference.channel.as_deref().map(str::to_string),
                );
                let entry = found.entry(key.clone()).or_insert_with(|| LogSourceUse {
                    name: key.0,
                    channel: key.1,
                    data_components: Vec::new(),
                    analytics: Vec::new(),
                });
                entry.analytics.push(analytic);
                if let Some(component) = self
                    .by_stix_id(&reference.data_component_ref)
                    .filter(|&d| self.is_live(d))
                {
                    entry.data_components.push(component);
                }
            }
        }
        found
            .into_values()
            .map(|mut entry| {
                self.sort_dedup(&mut entry.analytics);
                self.sort_dedup(&mut entry.data_components);
                entry
            })
            .collect()
    }

    /// The live techniques the live analytics in `analytics` serve (through their detection
    /// strategies), sorted, without repeats.
    pub fn techniques_seen_by_analytics(&self, analytics: &[ObjId]) -> Vec<ObjId> {
        let chain = ChainIndex::build(self);
        let mut found: Vec<ObjId> = analytics
            .iter()
            .filter(|&&a| self.is_live(a))
            .filter_map(|&a| self.chain_related(Relation::TechniquesSeenByAnalytic, a, &chain))
            .flatten()
            .collect();
        self.sort_dedup(&mut found);
        found
    }
}
