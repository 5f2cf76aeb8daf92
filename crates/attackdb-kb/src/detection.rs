//! The ATT&CK 18+ detection chain: technique -> detection strategies -> analytics -> data
//! components and their log sources. (mitreattack-python stops at the strategies.)

use crate::dataset::{Dataset, ObjId};
use crate::relations::Relation;

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
