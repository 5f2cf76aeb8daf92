//! mitreattack-python's relationship maps, entry for entry: `get_related`, `merge`, the campaign
//! inheritance with its de-duplication, and the 22 `get_all_*` methods built from them.
//!
//! The library's rules, kept here exactly: relationships are taken in bundle order, only those
//! neither revoked nor deprecated; a key (the object asked about, never filtered) appears on its
//! first such relationship, even when the related object is then dropped for being revoked,
//! deprecated or of another type; `merge` appends the second map's entries; inheriting from
//! campaigns appends each campaign's entries (their relationships followed by the campaign's
//! attribution) and then merges repeated objects into their first entry. Only relationships
//! whose two ends are in the bundle are seen (the others are load diagnostics).

use attackdb_kb::{Dataset, Link, ObjId, ObjectType, RelKind};
use rustc_hash::FxHashMap;

/// One related object and the relationships that relate it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The related object.
    pub object: ObjId,
    /// The relationships (for inherited entries: the campaign's, then its attribution).
    pub relationships: Vec<ObjId>,
}

/// A relationship map: keys in the library's insertion order, each with its entries.
#[derive(Debug, Default)]
pub struct RelMap {
    /// Keys, in insertion order.
    pub keys: Vec<ObjId>,
    /// The entries of each key.
    pub lists: Vec<Vec<Entry>>,
    at: FxHashMap<ObjId, usize>,
}

impl RelMap {
    fn list_mut(&mut self, key: ObjId) -> &mut Vec<Entry> {
        let next = self.keys.len();
        let at = *self.at.entry(key).or_insert(next);
        if at == next {
            self.keys.push(key);
            self.lists.push(Vec::new());
        }
        &mut self.lists[at]
    }

    fn get(&self, key: ObjId) -> Option<&[Entry]> {
        self.at.get(&key).map(|&at| &*self.lists[at])
    }

    /// The library's `merge(self, other)`: other's entries appended, its new keys added last.
    fn merge(mut self, other: RelMap) -> RelMap {
        for (key, list) in other.keys.into_iter().zip(other.lists) {
            self.list_mut(key).extend(list);
        }
        self
    }

    /// The library's `remove_duplicates`: a repeated object's relationships join its first entry.
    fn remove_duplicates(mut self) -> RelMap {
        for list in &mut self.lists {
            let mut first: FxHashMap<ObjId, usize> = FxHashMap::default();
            let mut kept: Vec<Entry> = Vec::with_capacity(list.len());
            for entry in list.drain(..) {
                match first.get(&entry.object) {
                    Some(&at) => kept[at].relationships.extend(entry.relationships),
                    None => {
                        first.insert(entry.object, kept.len());
                        kept.push(entry);
                    }
                }
            }
            *list = kept;
        }
        self
    }
}

/// The library's `add_inherited_campaign_relationships(related_campaigns, inherited, direct)`.
fn inherit(related_campaigns: &RelMap, inherited: &RelMap, mut direct: RelMap) -> RelMap {
    for (&key, campaigns) in related_campaigns.keys.iter().zip(&related_campaigns.lists) {
        for campaign in campaigns {
            let Some(entries) = inherited.get(campaign.object) else {
                continue;
            };
            for entry in entries {
                let mut relationships = entry.relationships.clone();
                relationships.extend_from_slice(&campaign.relationships);
                direct.list_mut(key).push(Entry {
                    object: entry.object,
                    relationships,
                });
            }
        }
    }
    direct.remove_duplicates()
}

fn rel_kind(name: &str) -> Option<RelKind> {
    Some(match name {
        "uses" => RelKind::Uses,
        "attributed-to" => RelKind::AttributedTo,
        "mitigates" => RelKind::Mitigates,
        "subtechnique-of" => RelKind::SubtechniqueOf,
        "detects" => RelKind::Detects,
        "targets" => RelKind::Targets,
        "revoked-by" => RelKind::RevokedBy,
        _ => return None,
    })
}

fn is_rel_type(data: &Dataset, link: &Link, name: &str, kind: Option<RelKind>) -> bool {
    match kind {
        Some(kind) => link.kind == kind,
        None => data.object(link.relationship).relationship_type.as_deref() == Some(name),
    }
}

/// The library's `get_related(source_type, relationship_type, target_type, reverse)`. Types
/// match as the library matches them: `source_type in source_ref` (a substring of the STIX ID)
/// for the relationship, the exact `type` for the related objects.
pub fn get_related(
    data: &Dataset,
    source_type: &str,
    relationship_type: &str,
    target_type: &str,
    reverse: bool,
) -> RelMap {
    let kind = rel_kind(relationship_type);
    let related_kind = [ObjectType::parse(if reverse {
        source_type
    } else {
        target_type
    })];
    let mut map = RelMap::default();
    for link in data.links() {
        if !is_rel_type(data, link, relationship_type, kind)
            || !data.is_live(link.relationship)
            || !data.stix_id(link.source).contains(source_type)
            || !data.stix_id(link.target).contains(target_type)
        {
            continue;
        }
        let (key, other) = if reverse {
            (link.target, link.source)
        } else {
            (link.source, link.target)
        };
        let keep = data.is_live(other) && data.is_kind(other, &related_kind);
        let list = map.list_mut(key);
        if keep {
            list.push(Entry {
                object: other,
                relationships: vec![link.relationship],
            });
        }
    }
    map
}

/// Every `get_all_*` method of the library, in its order.
pub const LIBRARY_METHODS: [&str; 22] = [
    "get_all_software_used_by_all_groups",
    "get_all_groups_using_all_software",
    "get_all_software_used_by_all_campaigns",
    "get_all_campaigns_using_all_software",
    "get_all_groups_attributing_to_all_campaigns",
    "get_all_campaigns_attributed_to_all_groups",
    "get_all_techniques_used_by_all_groups",
    "get_all_groups_using_all_techniques",
    "get_all_techniques_used_by_all_campaigns",
    "get_all_campaigns_using_all_techniques",
    "get_all_techniques_used_by_all_software",
    "get_all_software_using_all_techniques",
    "get_all_techniques_mitigated_by_all_mitigations",
    "get_all_mitigations_mitigating_all_techniques",
    "get_all_parent_techniques_of_all_subtechniques",
    "get_all_subtechniques_of_all_techniques",
    "get_all_techniques_detected_by_all_datacomponents",
    "get_all_datacomponents_detecting_all_techniques",
    "get_all_techniques_targeting_all_assets",
    "get_all_assets_targeted_by_all_techniques",
    "get_all_detection_strategies_detecting_all_techniques",
    "get_all_techniques_detected_by_all_detection_strategies",
];

const GROUP: &str = "intrusion-set";
const CAMPAIGN: &str = "campaign";
const TECHNIQUE: &str = "attack-pattern";
const TOOL: &str = "tool";
const MALWARE: &str = "malware";

/// The map the library's `get_all_*` method `method` returns, or `None` for another name.
pub fn library_family(data: &Dataset, method: &str) -> Option<RelMap> {
    let related = |source: &str, kind: &str, target: &str, reverse: bool| {
        get_related(data, source, kind, target, reverse)
    };
    let software = |source: &str, reverse: bool| {
        related(source, "uses", TOOL, reverse).merge(related(source, "uses", MALWARE, reverse))
    };
    Some(match method {
        "get_all_software_used_by_all_groups" => inherit(
            &related(CAMPAIGN, "attributed-to", GROUP, true),
            &software(CAMPAIGN, false),
            software(GROUP, false),
        ),
        "get_all_groups_using_all_software" => inherit(
            &software(CAMPAIGN, true),
            &related(CAMPAIGN, "attributed-to", GROUP, false),
            software(GROUP, true),
        ),
        "get_all_software_used_by_all_campaigns" => software(CAMPAIGN, false),
        "get_all_campaigns_using_all_software" => software(CAMPAIGN, true),
        "get_all_groups_attributing_to_all_campaigns" => {
            related(CAMPAIGN, "attributed-to", GROUP, false)
        }
        "get_all_campaigns_attributed_to_all_groups" => {
            related(CAMPAIGN, "attributed-to", GROUP, true)
        }
        "get_all_techniques_used_by_all_groups" => inherit(
            &related(CAMPAIGN, "attributed-to", GROUP, true),
            &related(CAMPAIGN, "uses", TECHNIQUE, false),
            related(GROUP, "uses", TECHNIQUE, false),
        ),
        "get_all_groups_using_all_techniques" => inherit(
            &related(CAMPAIGN, "uses", TECHNIQUE, true),
            &related(CAMPAIGN, "attributed-to", GROUP, false),
            related(GROUP, "uses", TECHNIQUE, true),
        ),
        "get_all_techniques_used_by_all_campaigns" => related(CAMPAIGN, "uses", TECHNIQUE, false),
        "get_all_campaigns_using_all_techniques" => related(CAMPAIGN, "uses", TECHNIQUE, true),
        "get_all_techniques_used_by_all_software" => related(TOOL, "uses", TECHNIQUE, false)
            .merge(related(MALWARE, "uses", TECHNIQUE, false)),
        "get_all_software_using_all_techniques" => {
            related(TOOL, "uses", TECHNIQUE, true).merge(related(MALWARE, "uses", TECHNIQUE, true))
        }
        "get_all_techniques_mitigated_by_all_mitigations" => {
            related("course-of-action", "mitigates", TECHNIQUE, false)
        }
        "get_all_mitigations_mitigating_all_techniques" => {
            related("course-of-action", "mitigates", TECHNIQUE, true)
        }
        "get_all_parent_techniques_of_all_subtechniques" => {
            related(TECHNIQUE, "subtechnique-of", TECHNIQUE, false)
        }
        "get_all_subtechniques_of_all_techniques" => {
            related(TECHNIQUE, "subtechnique-of", TECHNIQUE, true)
        }
        "get_all_techniques_detected_by_all_datacomponents" => {
            related("x-mitre-data-component", "detects", TECHNIQUE, false)
        }
        "get_all_datacomponents_detecting_all_techniques" => {
            related("x-mitre-data-component", "detects", TECHNIQUE, true)
        }
        "get_all_techniques_targeting_all_assets" => {
            related(TECHNIQUE, "targets", "x-mitre-asset", true)
        }
        "get_all_assets_targeted_by_all_techniques" => {
            related(TECHNIQUE, "targets", "x-mitre-asset", false)
        }
        "get_all_detection_strategies_detecting_all_techniques" => {
            related("x-mitre-detection-strategy", "detects", TECHNIQUE, true)
        }
        "get_all_techniques_detected_by_all_detection_strategies" => {
            related("x-mitre-detection-strategy", "detects", TECHNIQUE, false)
        }
        _ => return None,
    })
}
