//! The relationship family names (`Relation`): what each joins, in which direction, its key
//! and target types, and its name in the CLI and mitreattack-python. Answering a family is
//! `relations.rs` (mitreattack-python's maps) and `detection.rs` (the 18.x detection chain),
//! which both read this module; it reads neither.

use std::collections::BTreeMap;

use attackdb_stix::ObjectType;

use crate::dataset::{ObjId, RelKind};
use crate::{Error, Result};

/// A relationship family, named as in the CLI and the library's `get_all_*` maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relation {
    /// Group -> software it uses (with its campaigns' software).
    SoftwareUsedByGroup,
    /// Software -> groups using it (with the groups of campaigns using it).
    GroupsUsingSoftware,
    /// Campaign -> software it uses.
    SoftwareUsedByCampaign,
    /// Software -> campaigns using it.
    CampaignsUsingSoftware,
    /// Campaign -> groups it is attributed to.
    GroupsAttributingToCampaign,
    /// Group -> campaigns attributed to it.
    CampaignsAttributedToGroup,
    /// Group -> techniques it uses (with its campaigns' techniques).
    TechniquesUsedByGroup,
    /// Technique -> groups using it (with the groups of campaigns using it).
    GroupsUsingTechnique,
    /// Campaign -> techniques it uses.
    TechniquesUsedByCampaign,
    /// Technique -> campaigns using it.
    CampaignsUsingTechnique,
    /// Software -> techniques it uses.
    TechniquesUsedBySoftware,
    /// Technique -> software using it.
    SoftwareUsingTechnique,
    /// Mitigation -> techniques it mitigates.
    TechniquesMitigatedByMitigation,
    /// Technique -> mitigations mitigating it.
    MitigationsMitigatingTechnique,
    /// Sub-technique -> its parent technique.
    ParentTechniqueOfSubtechnique,
    /// Technique -> its sub-techniques.
    SubtechniquesOfTechnique,
    /// Data component -> techniques it detects (`detects` relationships, up to 17.x).
    TechniquesDetectedByDatacomponent,
    /// Technique -> data components detecting it.
    DatacomponentsDetectingTechnique,
    /// Asset -> techniques targeting it.
    TechniquesTargetingAsset,
    /// Technique -> assets it targets.
    AssetsTargetedByTechnique,
    /// Technique -> detection strategies detecting it (18+).
    DetectionStrategiesDetectingTechnique,
    /// Detection strategy -> techniques it detects (18+).
    TechniquesDetectedByDetectionStrategy,
    /// attackdb's own: detection strategy -> its analytics (`x_mitre_analytic_refs`, 18+).
    AnalyticsOfDetectionStrategy,
    /// attackdb's own: analytic -> the detection strategies referencing it (18+).
    DetectionStrategiesOfAnalytic,
    /// attackdb's own: analytic -> the data components its log sources name
    /// (`x_mitre_log_source_references`, 18+).
    DatacomponentsOfAnalytic,
    /// attackdb's own: data component -> the analytics reading it (18+).
    AnalyticsUsingDatacomponent,
    /// attackdb's own: analytic -> the techniques its detection strategies detect (18+).
    TechniquesSeenByAnalytic,
    /// attackdb's own: data component -> the techniques it serves: through analytics and their
    /// detection strategies (18+), and through `detects` relationships (up to 17.x).
    TechniquesSeenByDatacomponent,
}

/// A family's answer for every source: source -> related objects, each list sorted by display
/// ID and without duplicates.
pub type RelationMap = BTreeMap<ObjId, Vec<ObjId>>;

/// Object type sets, as the library filters `source_ref` / `target_ref` by type.
const GROUP: &[ObjectType] = &[ObjectType::IntrusionSet];
const CAMPAIGN: &[ObjectType] = &[ObjectType::Campaign];
const SOFTWARE: &[ObjectType] = &[ObjectType::Malware, ObjectType::Tool];
const TECHNIQUE: &[ObjectType] = &[ObjectType::AttackPattern];
const MITIGATION: &[ObjectType] = &[ObjectType::CourseOfAction];
const DATA_COMPONENT: &[ObjectType] = &[ObjectType::DataComponent];
const ASSET: &[ObjectType] = &[ObjectType::Asset];
const DETECTION_STRATEGY: &[ObjectType] = &[ObjectType::DetectionStrategy];
const ANALYTIC: &[ObjectType] = &[ObjectType::Analytic];

/// One direct family: `source --kind--> target`, answered from the source (`reverse == false`)
/// or from the target.
pub(crate) struct Direct {
    pub(crate) source: &'static [ObjectType],
    pub(crate) kind: RelKind,
    pub(crate) target: &'static [ObjectType],
    pub(crate) reverse: bool,
}

impl Relation {
    /// mitreattack-python's families (its `get_all_*` maps), in the CLI's order.
    pub const LIBRARY: [Relation; 22] = [
        Relation::SoftwareUsedByGroup,
        Relation::GroupsUsingSoftware,
        Relation::SoftwareUsedByCampaign,
        Relation::CampaignsUsingSoftware,
        Relation::GroupsAttributingToCampaign,
        Relation::CampaignsAttributedToGroup,
        Relation::TechniquesUsedByGroup,
        Relation::GroupsUsingTechnique,
        Relation::TechniquesUsedByCampaign,
        Relation::CampaignsUsingTechnique,
        Relation::TechniquesUsedBySoftware,
        Relation::SoftwareUsingTechnique,
        Relation::TechniquesMitigatedByMitigation,
        Relation::MitigationsMitigatingTechnique,
        Relation::ParentTechniqueOfSubtechnique,
        Relation::SubtechniquesOfTechnique,
        Relation::TechniquesDetectedByDatacomponent,
        Relation::DatacomponentsDetectingTechnique,
        Relation::TechniquesTargetingAsset,
        Relation::AssetsTargetedByTechnique,
        Relation::DetectionStrategiesDetectingTechnique,
        Relation::TechniquesDetectedByDetectionStrategy,
    ];

    /// attackdb's own families of the 18.x detection chain (mitreattack-python has none).
    pub const CHAIN: [Relation; 6] = [
        Relation::AnalyticsOfDetectionStrategy,
        Relation::DetectionStrategiesOfAnalytic,
        Relation::DatacomponentsOfAnalytic,
        Relation::AnalyticsUsingDatacomponent,
        Relation::TechniquesSeenByAnalytic,
        Relation::TechniquesSeenByDatacomponent,
    ];

    /// Every family: [`Relation::LIBRARY`], then [`Relation::CHAIN`].
    pub const ALL: [Relation; 28] = {
        let mut all = [Relation::SoftwareUsedByGroup; 28];
        let mut i = 0;
        while i < Relation::LIBRARY.len() {
            all[i] = Relation::LIBRARY[i];
            i += 1;
        }
        let mut j = 0;
        while j < Relation::CHAIN.len() {
            all[i + j] = Relation::CHAIN[j];
            j += 1;
        }
        all
    };

    /// Whether the family is one of mitreattack-python's (else attackdb's own).
    pub fn is_library(self) -> bool {
        self.chain_types().is_none()
    }

    /// The family's name, e.g. `techniques_used_by_group`.
    pub fn name(self) -> &'static str {
        match self {
            Relation::SoftwareUsedByGroup => "software_used_by_group",
            Relation::GroupsUsingSoftware => "groups_using_software",
            Relation::SoftwareUsedByCampaign => "software_used_by_campaign",
            Relation::CampaignsUsingSoftware => "campaigns_using_software",
            Relation::GroupsAttributingToCampaign => "groups_attributing_to_campaign",
            Relation::CampaignsAttributedToGroup => "campaigns_attributed_to_group",
            Relation::TechniquesUsedByGroup => "techniques_used_by_group",
            Relation::GroupsUsingTechnique => "groups_using_technique",
            Relation::TechniquesUsedByCampaign => "techniques_used_by_campaign",
            Relation::CampaignsUsingTechnique => "campaigns_using_technique",
            Relation::TechniquesUsedBySoftware => "techniques_used_by_software",
            Relation::SoftwareUsingTechnique => "software_using_technique",
            Relation::TechniquesMitigatedByMitigation => "techniques_mitigated_by_mitigation",
            Relation::MitigationsMitigatingTechnique => "mitigations_mitigating_technique",
            Relation::ParentTechniqueOfSubtechnique => "parent_technique_of_subtechnique",
            Relation::SubtechniquesOfTechnique => "subtechniques_of_technique",
            Relation::TechniquesDetectedByDatacomponent => "techniques_detected_by_datacomponent",
            Relation::DatacomponentsDetectingTechnique => "datacomponents_detecting_technique",
            Relation::TechniquesTargetingAsset => "techniques_targeting_asset",
            Relation::AssetsTargetedByTechnique => "assets_targeted_by_technique",
            Relation::DetectionStrategiesDetectingTechnique => {
                "detection_strategies_detecting_technique"
            }
            Relation::TechniquesDetectedByDetectionStrategy => {
                "techniques_detected_by_detection_strategy"
            }
            Relation::AnalyticsOfDetectionStrategy => "analytics_of_detection_strategy",
            Relation::DetectionStrategiesOfAnalytic => "detection_strategies_of_analytic",
            Relation::DatacomponentsOfAnalytic => "datacomponents_of_analytic",
            Relation::AnalyticsUsingDatacomponent => "analytics_using_datacomponent",
            Relation::TechniquesSeenByAnalytic => "techniques_seen_by_analytic",
            Relation::TechniquesSeenByDatacomponent => "techniques_seen_by_datacomponent",
        }
    }

    /// Parses a family name (`-` and `_` are interchangeable, case-insensitive).
    pub fn parse(name: &str) -> Result<Relation> {
        let key = name.trim().to_ascii_lowercase().replace('-', "_");
        Relation::ALL
            .into_iter()
            .find(|r| r.name() == key)
            .ok_or_else(|| Error::UnknownRelation {
                name: name.to_string(),
                suggestions: crate::text::closest(&key, Relation::ALL.iter().map(|r| r.name()), 3),
            })
    }

    /// The STIX types the family's answers are keyed by (the object asked about).
    pub fn key_types(self) -> &'static [ObjectType] {
        if let Some((key, _)) = self.chain_types() {
            return key;
        }
        let direct = self.direct();
        if direct.reverse {
            direct.target
        } else {
            direct.source
        }
    }

    /// The STIX types of the related objects.
    pub fn related_types(self) -> &'static [ObjectType] {
        if let Some((_, related)) = self.chain_types() {
            return related;
        }
        let direct = self.direct();
        if direct.reverse {
            direct.source
        } else {
            direct.target
        }
    }

    /// For attackdb's own families: (key types, related types); `None` for the library's.
    fn chain_types(self) -> Option<(&'static [ObjectType], &'static [ObjectType])> {
        use Relation::*;
        Some(match self {
            AnalyticsOfDetectionStrategy => (DETECTION_STRATEGY, ANALYTIC),
            DetectionStrategiesOfAnalytic => (ANALYTIC, DETECTION_STRATEGY),
            DatacomponentsOfAnalytic => (ANALYTIC, DATA_COMPONENT),
            AnalyticsUsingDatacomponent => (DATA_COMPONENT, ANALYTIC),
            TechniquesSeenByAnalytic => (ANALYTIC, TECHNIQUE),
            TechniquesSeenByDatacomponent => (DATA_COMPONENT, TECHNIQUE),
            _ => return None,
        })
    }

    /// The library family's one relationship type; attackdb's own families (answered by
    /// `detection.rs`, never through this) map to an impossible pairing.
    pub(crate) fn direct(self) -> Direct {
        use Relation::*;
        let (source, kind, target, reverse) = match self {
            SoftwareUsedByGroup => (GROUP, RelKind::Uses, SOFTWARE, false),
            GroupsUsingSoftware => (GROUP, RelKind::Uses, SOFTWARE, true),
            SoftwareUsedByCampaign => (CAMPAIGN, RelKind::Uses, SOFTWARE, false),
            CampaignsUsingSoftware => (CAMPAIGN, RelKind::Uses, SOFTWARE, true),
            GroupsAttributingToCampaign => (CAMPAIGN, RelKind::AttributedTo, GROUP, false),
            CampaignsAttributedToGroup => (CAMPAIGN, RelKind::AttributedTo, GROUP, true),
            TechniquesUsedByGroup => (GROUP, RelKind::Uses, TECHNIQUE, false),
            GroupsUsingTechnique => (GROUP, RelKind::Uses, TECHNIQUE, true),
            TechniquesUsedByCampaign => (CAMPAIGN, RelKind::Uses, TECHNIQUE, false),
            CampaignsUsingTechnique => (CAMPAIGN, RelKind::Uses, TECHNIQUE, true),
            TechniquesUsedBySoftware => (SOFTWARE, RelKind::Uses, TECHNIQUE, false),
            SoftwareUsingTechnique => (SOFTWARE, RelKind::Uses, TECHNIQUE, true),
            TechniquesMitigatedByMitigation => (MITIGATION, RelKind::Mitigates, TECHNIQUE, false),
            MitigationsMitigatingTechnique => (MITIGATION, RelKind::Mitigates, TECHNIQUE, true),
            ParentTechniqueOfSubtechnique => (TECHNIQUE, RelKind::SubtechniqueOf, TECHNIQUE, false),
            SubtechniquesOfTechnique => (TECHNIQUE, RelKind::SubtechniqueOf, TECHNIQUE, true),
            TechniquesDetectedByDatacomponent => {
                (DATA_COMPONENT, RelKind::Detects, TECHNIQUE, false)
            }
            DatacomponentsDetectingTechnique => (DATA_COMPONENT, RelKind::Detects, TECHNIQUE, true),
            TechniquesTargetingAsset => (TECHNIQUE, RelKind::Targets, ASSET, true),
            AssetsTargetedByTechnique => (TECHNIQUE, RelKind::Targets, ASSET, false),
            DetectionStrategiesDetectingTechnique => {
                (DETECTION_STRATEGY, RelKind::Detects, TECHNIQUE, true)
            }
            TechniquesDetectedByDetectionStrategy => {
                (DETECTION_STRATEGY, RelKind::Detects, TECHNIQUE, false)
            }
            AnalyticsOfDetectionStrategy
            | DetectionStrategiesOfAnalytic
            | DatacomponentsOfAnalytic
            | AnalyticsUsingDatacomponent
            | TechniquesSeenByAnalytic
            | TechniquesSeenByDatacomponent => (&[][..], RelKind::Detects, &[][..], false),
        };
        Direct {
            source,
            kind,
            target,
            reverse,
        }
    }

    /// For families that also go through campaigns: how. `Forward(f)`: the key's campaigns (by
    /// attribution) contribute their `f` answers. `Backward(f)`: the campaigns in the key's `f`
    /// answer contribute the groups they are attributed to.
    /// Whether the family also counts what an object's campaigns do (a group's techniques and
    /// software, and the groups using a technique or software).
    pub fn inherits_from_campaigns(self) -> bool {
        self.via_campaigns().is_some()
    }

    pub(crate) fn via_campaigns(self) -> Option<ViaCampaigns> {
        match self {
            Relation::TechniquesUsedByGroup => {
                Some(ViaCampaigns::Forward(Relation::TechniquesUsedByCampaign))
            }
            Relation::SoftwareUsedByGroup => {
                Some(ViaCampaigns::Forward(Relation::SoftwareUsedByCampaign))
            }
            Relation::GroupsUsingTechnique => {
                Some(ViaCampaigns::Backward(Relation::CampaignsUsingTechnique))
            }
            Relation::GroupsUsingSoftware => {
                Some(ViaCampaigns::Backward(Relation::CampaignsUsingSoftware))
            }
            _ => None,
        }
    }
}

/// How a family reaches through campaigns: the campaign family to follow, and its direction.
pub(crate) enum ViaCampaigns {
    Forward(Relation),
    Backward(Relation),
}
