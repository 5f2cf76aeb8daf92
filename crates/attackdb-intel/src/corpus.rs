//! What the comparing questions learn from, computed once per call (or once per server): every
//! live group, campaign and software with its technique set (the kb's relation families), the
//! live techniques with their parents, and how many actors use each technique.

use attackdb_kb::{Concept, Dataset, ObjId, Relation, Visibility};

/// Index of a technique in [`Corpus::techniques`].
pub type TechIdx = u32;

const NONE: u32 = u32::MAX;

/// One group, campaign or software and the techniques of its relation family.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The object.
    pub object: ObjId,
    /// `Group`, `Campaign` or `Software`.
    pub kind: Concept,
    /// Its techniques (`techniques_used_by_group`, `_by_campaign`, `_by_software`), sorted.
    pub techniques: Vec<TechIdx>,
}

/// The actors and techniques of one dataset, indexed for set comparisons.
#[derive(Debug)]
pub struct Corpus<'d> {
    dataset: &'d Dataset,
    techniques: Vec<ObjId>,
    index_of: Vec<u32>,
    parent: Vec<u32>,
    children: Vec<Vec<TechIdx>>,
    actors: Vec<Actor>,
    actor_of: Vec<u32>,
    members: Vec<Vec<usize>>,
}

/// The relation family giving the techniques of an actor of `kind`.
pub fn technique_family(kind: Concept) -> Option<Relation> {
    match kind {
        Concept::Group => Some(Relation::TechniquesUsedByGroup),
        Concept::Campaign => Some(Relation::TechniquesUsedByCampaign),
        Concept::Software => Some(Relation::TechniquesUsedBySoftware),
        _ => None,
    }
}

impl<'d> Corpus<'d> {
    /// Indexes every live technique and every live group, campaign and software of `dataset`
    /// (actors with no technique included, with an empty set).
    pub fn build(dataset: &'d Dataset) -> Corpus<'d> {
        let techniques = dataset.list_any(
            &[Concept::Technique, Concept::Subtechnique],
            Visibility::LIVE,
        );
        let mut index_of = vec![NONE; dataset.object_count()];
        for (i, &t) in techniques.iter().enumerate() {
            index_of[t as usize] = i as u32;
        }
        let mut parent = vec![NONE; techniques.len()];
        let mut children = vec![Vec::new(); techniques.len()];
        for (i, &t) in techniques.iter().enumerate() {
            if dataset.concept(t) != Some(Concept::Subtechnique) {
                continue;
            }
            if let Some(&p) = dataset
                .related(Relation::ParentTechniqueOfSubtechnique, t)
                .first()
            {
                let p = index_of[p as usize];
                if p != NONE {
                    parent[i] = p;
                    children[p as usize].push(i as TechIdx);
                }
            }
        }
        let mut actors = Vec::new();
        let mut actor_of = vec![NONE; dataset.object_count()];
        for kind in [Concept::Group, Concept::Campaign, Concept::Software] {
            let Some(family) = technique_family(kind) else {
                continue;
            };
            for object in dataset.list(kind, Visibility::LIVE) {
                let mut set: Vec<TechIdx> = dataset
                    .related(family, object)
                    .into_iter()
                    .map(|t| index_of[t as usize])
                    .filter(|&t| t != NONE)
                    .collect();
                set.sort_unstable();
                set.dedup();
                actor_of[object as usize] = actors.len() as u32;
                actors.push(Actor {
                    object,
                    kind,
                    techniques: set,
                });
            }
        }
        let mut members = vec![Vec::new(); actors.len()];
        for (position, actor) in actors.iter().enumerate() {
            if actor.kind != Concept::Group {
                continue;
            }
            let mut found: Vec<usize> = dataset
                .related(Relation::CampaignsAttributedToGroup, actor.object)
                .into_iter()
                .map(|o| actor_of[o as usize])
                .filter(|&a| a != NONE)
                .map(|a| a as usize)
                .collect();
            found.sort_unstable();
            found.dedup();
            members[position] = found;
        }
        Corpus {
            dataset,
            members,
            techniques,
            index_of,
            parent,
            children,
            actors,
            actor_of,
        }
    }

    /// The dataset.
    pub fn dataset(&self) -> &'d Dataset {
        self.dataset
    }

    /// Every live technique and sub-technique, sorted by ATT&CK ID.
    pub fn techniques(&self) -> &[ObjId] {
        &self.techniques
    }

    /// The technique at `index`.
    pub fn technique(&self, index: TechIdx) -> ObjId {
        self.techniques[index as usize]
    }

    /// The index of a live technique.
    pub fn technique_index(&self, technique: ObjId) -> Option<TechIdx> {
        self.index_of
            .get(technique as usize)
            .copied()
            .filter(|&i| i != NONE)
    }

    /// The parent of a sub-technique.
    pub fn parent(&self, technique: TechIdx) -> Option<TechIdx> {
        self.parent
            .get(technique as usize)
            .copied()
            .filter(|&p| p != NONE)
    }

    /// The live sub-techniques of a technique.
    pub fn children(&self, technique: TechIdx) -> &[TechIdx] {
        self.children
            .get(technique as usize)
            .map_or(&[], Vec::as_slice)
    }

    /// Every actor: groups, then campaigns, then software, each sorted by ATT&CK ID.
    pub fn actors(&self) -> &[Actor] {
        &self.actors
    }

    /// The actor entry of `object`, if it is a live group, campaign or software.
    pub fn actor(&self, object: ObjId) -> Option<&Actor> {
        let at = *self.actor_of.get(object as usize)?;
        self.actors.get(at as usize)
    }

    /// Position of `object` in [`Corpus::actors`].
    pub fn actor_position(&self, object: ObjId) -> Option<usize> {
        self.actor_of
            .get(object as usize)
            .copied()
            .filter(|&i| i != NONE)
            .map(|i| i as usize)
    }

    /// The ATT&CK ID of a technique.
    pub fn id(&self, technique: TechIdx) -> &'d str {
        self.dataset.display_id(self.technique(technique))
    }

    /// Per technique: how many of the actors `counted` lets through use it.
    pub fn document_frequency(&self, counted: impl Fn(&Actor) -> bool) -> Vec<u32> {
        let mut df = vec![0u32; self.techniques.len()];
        for actor in self.actors.iter().filter(|a| counted(a)) {
            for &t in &actor.techniques {
                df[t as usize] += 1;
            }
        }
        df
    }

    /// For a group, the positions (in [`Corpus::actors`]) of the campaigns attributed to it;
    /// empty for others.
    pub fn members(&self, position: usize) -> &[usize] {
        self.members.get(position).map_or(&[], Vec::as_slice)
    }

    /// The objects an exclusion of `objects` leaves out, by position in [`Corpus::actors`]:
    /// each of them, and with `with_campaigns` for a group the campaigns attributed to it
    /// (their techniques are part of the group's).
    pub fn exclusion(&self, objects: &[ObjId], with_campaigns: bool) -> Vec<bool> {
        let mut excluded = vec![false; self.actors.len()];
        for &object in objects {
            if let Some(at) = self.actor_position(object) {
                excluded[at] = true;
            }
            if with_campaigns && self.dataset.concept(object) == Some(Concept::Group) {
                for campaign in self
                    .dataset
                    .related(Relation::CampaignsAttributedToGroup, object)
                {
                    if let Some(at) = self.actor_position(campaign) {
                        excluded[at] = true;
                    }
                }
            }
        }
        excluded
    }
}

/// How many elements two sorted lists share.
pub(crate) fn intersection_count(a: &[TechIdx], b: &[TechIdx]) -> usize {
    let (mut i, mut j, mut count) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                count += 1;
                i += 1;
                j += 1;
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::intersection_count;

    #[test]
    fn sorted_lists_intersect() {
        assert_eq!(intersection_count(&[1, 3, 5, 7], &[2, 3, 7, 9]), 2);
        assert_eq!(intersection_count(&[], &[1]), 0);
    }
}
