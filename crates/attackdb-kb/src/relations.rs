//! The relationship families: which objects relate to which, in both directions, by the rules of
//! mitreattack-python's `get_all_*` maps ([`Relation::LIBRARY`]), and attackdb's own families of
//! the 18.x detection chain ([`Relation::CHAIN`], answered in `detection.rs` by the same rules).
//!
//! The rules: a relationship counts only when it is neither revoked nor deprecated and the related
//! object is neither revoked nor deprecated; the object asked about is not filtered. A source
//! appears in a map when it has at least one counting relationship of the family, even if every
//! related object is then filtered out (its list is then empty). A group's techniques and software
//! include those of the campaigns attributed to it, and a technique's or software's groups include
//! the groups its campaigns are attributed to.

use std::collections::BTreeMap;

use attackdb_stix::ObjectType;

use crate::dataset::{Dataset, ObjId, RelKind};
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
struct Direct {
    source: &'static [ObjectType],
    kind: RelKind,
    target: &'static [ObjectType],
    reverse: bool,
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
                suggestions: crate::search::closest(
                    &key,
                    Relation::ALL.iter().map(|r| r.name()),
                    3,
                ),
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
    fn direct(self) -> Direct {
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

    fn via_campaigns(self) -> Option<ViaCampaigns> {
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

enum ViaCampaigns {
    Forward(Relation),
    Backward(Relation),
}

impl Dataset {
    /// The direct answer for `key`: `None` when `key` has no counting relationship of the family
    /// (it is then absent from the family's map), else the related live objects, unsorted.
    pub(crate) fn direct_related(&self, relation: Relation, key: ObjId) -> Option<Vec<ObjId>> {
        let direct = relation.direct();
        let (key_types, other_types) = if direct.reverse {
            (direct.target, direct.source)
        } else {
            (direct.source, direct.target)
        };
        if !self.is_kind(key, key_types) {
            return None;
        }
        let mut found = false;
        let mut related = Vec::new();
        let mut visit = |link: &crate::dataset::Link, other: ObjId| {
            if link.kind == direct.kind
                && self.is_live(link.relationship)
                && self.is_kind(other, other_types)
            {
                found = true;
                if self.is_live(other) {
                    related.push(other);
                }
            }
        };
        if direct.reverse {
            self.incoming(key).for_each(|l| visit(l, l.source));
        } else {
            self.outgoing(key).for_each(|l| visit(l, l.target));
        }
        found.then_some(related)
    }

    /// The raw answer for `key` (with campaigns where the family has them), or `None` when `key`
    /// is not in the family's map.
    fn related_raw(&self, relation: Relation, key: ObjId) -> Option<Vec<ObjId>> {
        if !relation.is_library() {
            return self.chain_related(relation, key, &crate::detection::ChainIndex::build(self));
        }
        self.library_related(relation, key)
    }

    /// [`Dataset::related_raw`] for one of the library's families.
    fn library_related(&self, relation: Relation, key: ObjId) -> Option<Vec<ObjId>> {
        let mut answer = self.direct_related(relation, key);
        match relation.via_campaigns() {
            None => {}
            Some(ViaCampaigns::Forward(campaign_family)) => {
                if let Some(campaigns) =
                    self.direct_related(Relation::CampaignsAttributedToGroup, key)
                {
                    for campaign in campaigns {
                        let more = self.direct_related(campaign_family, campaign);
                        if let Some(more) = more.filter(|m| !m.is_empty()) {
                            answer.get_or_insert_with(Vec::new).extend(more);
                        }
                    }
                }
            }
            Some(ViaCampaigns::Backward(campaign_family)) => {
                if let Some(campaigns) = self.direct_related(campaign_family, key) {
                    let mut groups = Vec::new();
                    for campaign in campaigns {
                        if let Some(more) =
                            self.direct_related(Relation::GroupsAttributingToCampaign, campaign)
                        {
                            groups.extend(more);
                        }
                    }
                    if !groups.is_empty() {
                        answer.get_or_insert_with(Vec::new).extend(groups);
                    }
                }
            }
        }
        answer
    }

    /// The objects related to `key` by `relation`, sorted by display ID, without duplicates.
    /// Empty when `key` is of the wrong type or has no such relationship.
    pub fn related(&self, relation: Relation, key: ObjId) -> Vec<ObjId> {
        let mut list = self.related_raw(relation, key).unwrap_or_default();
        self.sort_dedup(&mut list);
        list
    }

    /// [`Dataset::related`] without what the family inherits through campaigns: a group's own
    /// techniques and software (APT29's 66 techniques on enterprise 18.1, beside the 119 with
    /// its campaigns'), the groups using a technique or software themselves. The same as
    /// [`Dataset::related`] for families that have no campaign inheritance.
    pub fn related_direct(&self, relation: Relation, key: ObjId) -> Vec<ObjId> {
        if relation.via_campaigns().is_none() {
            return self.related(relation, key);
        }
        let mut list = self.direct_related(relation, key).unwrap_or_default();
        self.sort_dedup(&mut list);
        list
    }

    /// [`Dataset::relation_map_named`] without campaign inheritance (see
    /// [`Dataset::related_direct`]): every source with a counting relationship of its own.
    pub fn relation_map_named_direct(&self, relation: Relation) -> BTreeMap<String, Vec<String>> {
        if relation.via_campaigns().is_none() {
            return self.relation_map_named(relation);
        }
        let mut named = BTreeMap::new();
        for key in self.objects_of(relation.key_types()) {
            if let Some(mut list) = self.direct_related(relation, key) {
                self.sort_dedup(&mut list);
                let ids: Vec<String> = list
                    .iter()
                    .map(|&o| self.display_id(o).to_string())
                    .collect();
                named
                    .entry(self.display_id(key).to_string())
                    .or_insert_with(Vec::new)
                    .extend(ids);
            }
        }
        for list in named.values_mut() {
            list.sort();
            list.dedup();
        }
        named
    }

    /// The whole family: every source with at least one counting relationship, mapped to its
    /// related objects (the library's `get_all_*` map).
    pub fn relation_map(&self, relation: Relation) -> RelationMap {
        let mut map = RelationMap::new();
        let chain = (!relation.is_library()).then(|| crate::detection::ChainIndex::build(self));
        for key in self.objects_of(relation.key_types()) {
            let raw = match &chain {
                Some(chain) => self.chain_related(relation, key, chain),
                None => self.library_related(relation, key),
            };
            if let Some(mut list) = raw {
                self.sort_dedup(&mut list);
                map.insert(key, list);
            }
        }
        map
    }

    /// [`Dataset::relation_map`] with every object named by its display ID, sorted.
    pub fn relation_map_named(&self, relation: Relation) -> BTreeMap<String, Vec<String>> {
        let mut named = BTreeMap::new();
        for (key, list) in self.relation_map(relation) {
            let ids: Vec<String> = list
                .iter()
                .map(|&o| self.display_id(o).to_string())
                .collect();
            named
                .entry(self.display_id(key).to_string())
                .or_insert_with(Vec::new)
                .extend(ids);
        }
        for list in named.values_mut() {
            list.sort();
            list.dedup();
        }
        named
    }

    /// Sorts by display ID (then STIX ID, for a total order) and drops repeats.
    pub(crate) fn sort_dedup(&self, list: &mut Vec<ObjId>) {
        if list.len() < 64 {
            // Short lists (one object's answer) sort directly, without building the ranks of
            // every object in the dataset.
            list.sort_unstable_by(|&a, &b| {
                self.display_id(a)
                    .cmp(self.display_id(b))
                    .then_with(|| self.stix_id(a).cmp(self.stix_id(b)))
            });
        } else {
            list.sort_unstable_by_key(|&id| self.rank(id));
        }
        list.dedup();
    }
}

impl Dataset {
    /// The techniques used by the software a group uses (its campaigns' software included),
    /// sorted, without repeats (the library's `get_techniques_used_by_group_software`).
    pub fn techniques_used_by_group_software(&self, group: ObjId) -> Vec<ObjId> {
        let mut found: Vec<ObjId> = self
            .related(Relation::SoftwareUsedByGroup, group)
            .into_iter()
            .flat_map(|software| self.related(Relation::TechniquesUsedBySoftware, software))
            .collect();
        self.sort_dedup(&mut found);
        found
    }
}
