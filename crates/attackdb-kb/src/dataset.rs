//! One domain and release: the bundle's objects and the indexes built over them once, at load.
//! A `Dataset` is immutable after [`Dataset::build`]; share it by reference or `Arc`.

use rustc_hash::FxHashMap as HashMap;

use attackdb_stix::{Bundle, Diagnostic, DiagnosticKind, ObjectType, StixObject};

use crate::concept::Concept;

/// Index of an object in [`Dataset::objects`].
pub type ObjId = u32;

/// The relationship types ATT&CK uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelKind {
    /// `uses`.
    Uses,
    /// `attributed-to`.
    AttributedTo,
    /// `mitigates`.
    Mitigates,
    /// `subtechnique-of`.
    SubtechniqueOf,
    /// `detects`.
    Detects,
    /// `targets`.
    Targets,
    /// `revoked-by`.
    RevokedBy,
    /// Any other type.
    Other,
}

impl RelKind {
    fn parse(name: &str) -> RelKind {
        match name {
            "uses" => RelKind::Uses,
            "attributed-to" => RelKind::AttributedTo,
            "mitigates" => RelKind::Mitigates,
            "subtechnique-of" => RelKind::SubtechniqueOf,
            "detects" => RelKind::Detects,
            "targets" => RelKind::Targets,
            "revoked-by" => RelKind::RevokedBy,
            _ => RelKind::Other,
        }
    }
}

/// A relationship whose two ends are both in the dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// The `relationship` object.
    pub relationship: ObjId,
    /// Its type.
    pub kind: RelKind,
    /// `source_ref`.
    pub source: ObjId,
    /// `target_ref`.
    pub target: ObjId,
}

/// One domain and release of ATT&CK, indexed.
#[derive(Debug)]
pub struct Dataset {
    domain: String,
    release: String,
    bundle: Bundle,
    by_stix_id: HashMap<Box<str>, ObjId>,
    by_attack_id: HashMap<String, Vec<ObjId>>,
    by_name: HashMap<String, Vec<ObjId>>,
    by_alias: HashMap<String, Vec<ObjId>>,
    concepts: Vec<Option<Concept>>,
    /// Per object: neither revoked nor deprecated.
    live: Vec<bool>,
    /// Per object: index of its type in `ObjectType::KNOWN` (`KNOWN.len()` for other types).
    kinds: Vec<u8>,
    /// Objects of each type, by the same index, in bundle order.
    by_kind: Vec<Vec<ObjId>>,
    /// Per object: its position when all objects are sorted by display ID then STIX ID;
    /// computed on first use.
    rank: std::sync::OnceLock<Vec<u32>>,
    links: Vec<Link>,
    outgoing: Vec<Vec<u32>>,
    incoming: Vec<Vec<u32>>,
    diagnostics: Vec<Diagnostic>,
}

impl Dataset {
    /// Indexes `bundle` as the given domain and release.
    pub fn build(domain: String, release: String, bundle: Bundle) -> Dataset {
        let count = bundle.objects.len();
        let mut diagnostics = bundle.diagnostics.clone();
        let mut by_stix_id: HashMap<Box<str>, ObjId> = HashMap::default();
        by_stix_id.reserve(count);
        let mut by_attack_id: HashMap<String, Vec<ObjId>> = HashMap::default();
        let mut by_name: HashMap<String, Vec<ObjId>> = HashMap::default();
        let mut by_alias: HashMap<String, Vec<ObjId>> = HashMap::default();
        let mut concepts = Vec::with_capacity(count);
        let mut live = Vec::with_capacity(count);
        let mut kinds = Vec::with_capacity(count);
        let mut by_kind = vec![Vec::new(); ObjectType::KNOWN.len() + 1];
        for (i, object) in bundle.objects.iter().enumerate() {
            let id = i as ObjId;
            concepts.push(Concept::of(object));
            live.push(!object.revoked && !object.deprecated);
            let kind = kind_index(&object.kind);
            kinds.push(kind as u8);
            by_kind[kind].push(id);
            if by_stix_id.contains_key(&object.id) {
                diagnostics.push(Diagnostic {
                    path: bundle.path.clone(),
                    kind: DiagnosticKind::DuplicateId {
                        id: object.id.to_string(),
                    },
                });
                continue;
            }
            by_stix_id.insert(object.id.clone(), id);
            if object.kind == ObjectType::Relationship {
                continue;
            }
            if let Some(attack_id) = object.attack_id() {
                by_attack_id
                    .entry(attack_id.to_ascii_uppercase())
                    .or_default()
                    .push(id);
            }
            if let Some(name) = &object.name {
                by_name.entry(name.to_lowercase()).or_default().push(id);
            }
            for alias in &object.aliases {
                by_alias.entry(alias.to_lowercase()).or_default().push(id);
            }
        }
        let mut links = Vec::new();
        let mut outgoing = vec![Vec::new(); count];
        let mut incoming = vec![Vec::new(); count];
        for (i, object) in bundle.objects.iter().enumerate() {
            if object.kind != ObjectType::Relationship {
                continue;
            }
            let (Some(source_ref), Some(target_ref)) = (&object.source_ref, &object.target_ref)
            else {
                continue;
            };
            let source = by_stix_id.get(source_ref).copied();
            let target = by_stix_id.get(target_ref).copied();
            match (source, target) {
                (Some(source), Some(target)) => {
                    let link_index = links.len() as u32;
                    links.push(Link {
                        relationship: i as ObjId,
                        kind: RelKind::parse(object.relationship_type.as_deref().unwrap_or("")),
                        source,
                        target,
                    });
                    outgoing[source as usize].push(link_index);
                    incoming[target as usize].push(link_index);
                }
                _ => {
                    let missing = if source.is_none() {
                        source_ref
                    } else {
                        target_ref
                    };
                    diagnostics.push(Diagnostic {
                        path: bundle.path.clone(),
                        kind: DiagnosticKind::DanglingReference {
                            relationship: object.id.to_string(),
                            missing: missing.to_string(),
                        },
                    });
                }
            }
        }
        Dataset {
            domain,
            release,
            bundle,
            by_stix_id,
            by_attack_id,
            by_name,
            by_alias,
            concepts,
            live,
            kinds,
            by_kind,
            rank: std::sync::OnceLock::new(),
            links,
            outgoing,
            incoming,
            diagnostics,
        }
    }

    /// `enterprise-attack`, `mobile-attack` or `ics-attack`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The release, e.g. `18.1`.
    pub fn release(&self) -> &str {
        &self.release
    }

    /// The bundle the dataset was built from.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// Every object, relationships included, in bundle order.
    pub fn objects(&self) -> &[StixObject] {
        &self.bundle.objects
    }

    /// The object at `id`.
    pub fn object(&self, id: ObjId) -> &StixObject {
        &self.bundle.objects[id as usize]
    }

    /// The ATT&CK concept of the object at `id`.
    pub fn concept(&self, id: ObjId) -> Option<Concept> {
        self.concepts[id as usize]
    }

    /// Every relationship whose two ends exist.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// Relationships whose source is `id`.
    pub fn outgoing(&self, id: ObjId) -> impl Iterator<Item = &Link> + '_ {
        self.outgoing[id as usize]
            .iter()
            .map(|&l| &self.links[l as usize])
    }

    /// Relationships whose target is `id`.
    pub fn incoming(&self, id: ObjId) -> impl Iterator<Item = &Link> + '_ {
        self.incoming[id as usize]
            .iter()
            .map(|&l| &self.links[l as usize])
    }

    /// Problems found while loading and indexing.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The original JSON of the object at `id`, exactly as in the bundle.
    pub fn raw_json(&self, id: ObjId) -> crate::Result<&str> {
        Ok(self.bundle.raw_json(self.object(id))?)
    }

    /// The object with STIX ID `stix_id`.
    pub fn by_stix_id(&self, stix_id: &str) -> Option<ObjId> {
        self.by_stix_id.get(stix_id).copied()
    }

    /// Every object with ATT&CK ID `attack_id` (case-insensitive), of any type.
    pub fn by_attack_id(&self, attack_id: &str) -> &[ObjId] {
        self.by_attack_id
            .get(&attack_id.trim().to_ascii_uppercase())
            .map_or(&[], Vec::as_slice)
    }

    /// Every object named `name` (case-insensitive).
    pub fn by_name(&self, name: &str) -> &[ObjId] {
        self.by_name
            .get(&name.trim().to_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// Every group, campaign or software with alias `alias` (case-insensitive).
    pub fn by_alias(&self, alias: &str) -> &[ObjId] {
        self.by_alias
            .get(&alias.trim().to_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// All names, ATT&CK IDs and aliases (lower case), for suggestions.
    pub(crate) fn all_keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.by_attack_id
            .keys()
            .chain(self.by_name.keys())
            .chain(self.by_alias.keys())
            .map(String::as_str)
    }

    /// How the object at `id` is named in answers: its ATT&CK ID, else its STIX ID.
    pub fn display_id(&self, id: ObjId) -> &str {
        let object = self.object(id);
        object.attack_id().unwrap_or(&object.id)
    }

    /// The object's name, or its display ID when it has none.
    pub fn display_name(&self, id: ObjId) -> &str {
        self.object(id)
            .name
            .as_deref()
            .unwrap_or_else(|| self.display_id(id))
    }

    /// Returns true if and only if the object is neither revoked nor deprecated.
    pub fn is_live(&self, id: ObjId) -> bool {
        self.live[id as usize]
    }

    /// Returns true if and only if the object's STIX type is one of `types`.
    pub fn is_kind(&self, id: ObjId, types: &[ObjectType]) -> bool {
        let kind = self.kinds[id as usize] as usize;
        match ObjectType::KNOWN.get(kind) {
            Some(known) => types.contains(known),
            None => types.contains(&self.object(id).kind),
        }
    }

    /// Every object of one of `types`, in bundle order per type.
    pub fn objects_of(&self, types: &[ObjectType]) -> Vec<ObjId> {
        let mut found = Vec::new();
        for kind in types {
            let index = kind_index(kind);
            if index < ObjectType::KNOWN.len() {
                found.extend_from_slice(&self.by_kind[index]);
            } else {
                found.extend(
                    self.by_kind[index]
                        .iter()
                        .copied()
                        .filter(|&o| self.object(o).kind == *kind),
                );
            }
        }
        found
    }

    /// The object's position in display-ID order (display ID, then STIX ID).
    pub(crate) fn rank(&self, id: ObjId) -> u32 {
        let ranks = self.rank.get_or_init(|| {
            let keys: Vec<(&str, &str)> = self
                .objects()
                .iter()
                .map(|o| (o.attack_id().unwrap_or(&o.id), &*o.id))
                .collect();
            let mut order: Vec<ObjId> = (0..self.objects().len() as ObjId).collect();
            order.sort_unstable_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]));
            let mut ranks = vec![0u32; order.len()];
            for (position, id) in order.into_iter().enumerate() {
                ranks[id as usize] = position as u32;
            }
            ranks
        });
        ranks[id as usize]
    }
}

/// Index of `kind` in [`ObjectType::KNOWN`], or `KNOWN.len()` for other types.
fn kind_index(kind: &ObjectType) -> usize {
    ObjectType::KNOWN
        .iter()
        .position(|k| k == kind)
        .unwrap_or(ObjectType::KNOWN.len())
}
