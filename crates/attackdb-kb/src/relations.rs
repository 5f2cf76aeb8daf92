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

use crate::dataset::{Dataset, ObjId};
use crate::family::{Relation, RelationMap, ViaCampaigns};

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
