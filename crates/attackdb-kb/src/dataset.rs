//! One domain and release: the bundle's objects and the indexes built over them once, at load.
//! A `Dataset` is immutable after [`Dataset::build`]; share it by reference or `Arc`.

use rustc_hash::FxHashMap as HashMap;

use attackdb_stix::{
    Bundle, Diagnostic, DiagnosticKind, Domain, ObjectType, Objects, Release, StixObject,
};

use crate::concept::{Concept, Visibility};
use crate::tables::{Csr, Keyed, Reader, Strings, Writer};

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
    const ALL: [RelKind; 8] = [
        RelKind::Uses,
        RelKind::AttributedTo,
        RelKind::Mitigates,
        RelKind::SubtechniqueOf,
        RelKind::Detects,
        RelKind::Targets,
        RelKind::RevokedBy,
        RelKind::Other,
    ];

    fn code(self) -> u8 {
        RelKind::ALL.iter().position(|&k| k == self).unwrap_or(7) as u8
    }

    fn from_code(code: u8) -> RelKind {
        RelKind::ALL
            .get(code as usize)
            .copied()
            .unwrap_or(RelKind::Other)
    }

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
    domain: Domain,
    release: Release,
    bundle: Bundle,
    /// Per object: its STIX ID, ATT&CK ID (empty: none) and name (empty: none, see `flags`).
    stix_ids: Strings,
    attack_ids: Strings,
    names: Strings,
    /// Per object: `REVOKED`, `DEPRECATED`, `NAMED`.
    flags: Vec<u8>,
    /// Objects sorted by STIX ID (for each repeated ID, only its first object).
    stix_order: Vec<ObjId>,
    by_attack_id: Keyed,
    by_name: Keyed,
    by_alias: Keyed,
    /// Per object: index of its concept in `Concept::ALL`, or `NO_CONCEPT`.
    concepts: Vec<u8>,
    /// Per object: index of its type in `ObjectType::KNOWN` (`KNOWN.len()` for other types).
    kinds: Vec<u8>,
    /// Objects of each type, by the same index, in bundle order.
    by_kind: Csr,
    /// Per object: its position when all objects are sorted by display ID then STIX ID;
    /// computed on first use (or read from the prebuilt index).
    rank: std::sync::OnceLock<Vec<u32>>,
    links: Vec<Link>,
    outgoing: Csr,
    incoming: Csr,
    diagnostics: Vec<Diagnostic>,
    /// Live sub-techniques without a parent technique, sorted (see [`Dataset::is_orphan`]).
    orphans: Vec<ObjId>,
}

/// What a dataset's tables take from one object.
#[derive(Debug)]
struct Row {
    id: Box<str>,
    attack_id: Option<Box<str>>,
    name: Option<Box<str>>,
    /// `REVOKED`, `DEPRECATED`, `NAMED`.
    flags: u8,
    concept: u8,
    kind: u8,
    aliases: Vec<Box<str>>,
    /// A relationship's type, `source_ref` and `target_ref` (when it has both).
    link: Option<(RelKind, Box<str>, Box<str>)>,
}

impl Row {
    fn of(object: &StixObject) -> Row {
        let flags = [
            (object.revoked, REVOKED),
            (object.deprecated, DEPRECATED),
            (object.name.is_some(), NAMED),
        ]
        .into_iter()
        .filter(|(set, _)| *set)
        .fold(0, |flags, (_, flag)| flags | flag);
        let link = match (&object.kind, &object.source_ref, &object.target_ref) {
            (ObjectType::Relationship, Some(source), Some(target)) => Some((
                RelKind::parse(object.relationship_type.as_deref().unwrap_or("")),
                source.clone(),
                target.clone(),
            )),
            _ => None,
        };
        Row {
            id: object.id.clone(),
            attack_id: object.attack_id().map(Box::from),
            name: object.name.clone(),
            flags,
            concept: Concept::of(object).map_or(NO_CONCEPT, concept_code),
            kind: kind_index(&object.kind) as u8,
            aliases: object.aliases.clone(),
            link,
        }
    }

    fn is_relationship(&self) -> bool {
        usize::from(self.kind) == kind_index(&ObjectType::Relationship)
    }
}

/// A bundle read from JSON with what its dataset's tables need of each object, gathered while
/// each object was parsed: a dataset built from it ([`Dataset::from_scanned`]) never held every
/// object at once, and parses each again only when asked for.
#[derive(Debug)]
pub struct ScannedBundle {
    bundle: Bundle,
    rows: Vec<Row>,
}

impl ScannedBundle {
    /// Reads the bundle at `path` (`.json` or gzip) within `limits`.
    pub fn load(
        path: &std::path::Path,
        limits: &attackdb_stix::Limits,
    ) -> crate::Result<ScannedBundle> {
        let (bundle, rows) = attackdb_stix::load_bundle_scanned(path, limits, Row::of)?;
        Ok(ScannedBundle { bundle, rows })
    }

    /// Reads the bundle `file`, which then knows the key of the bytes read (for its prebuilt
    /// index).
    pub fn parse(file: &mut attackdb_stix::BundleFile) -> crate::Result<ScannedBundle> {
        let (bundle, rows) = file.parse_scanned(Row::of)?;
        Ok(ScannedBundle { bundle, rows })
    }

    /// Parses `text` (the content of `path`) as a bundle.
    pub fn from_text(path: &std::path::Path, text: String) -> crate::Result<ScannedBundle> {
        let (bundle, rows) = attackdb_stix::parse_bundle_scanned(path, text, Row::of)?;
        Ok(ScannedBundle { bundle, rows })
    }

    /// A bundle already parsed whole.
    pub fn from_bundle(bundle: Bundle) -> ScannedBundle {
        let rows = bundle.objects.iter().map(Row::of).collect();
        ScannedBundle { bundle, rows }
    }

    /// The bundle.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// Indexes a bundle of any kind: an ATT&CK domain bundle as its domain and release, another
    /// STIX bundle as enterprise (ATT&CK's kill chain name) of release `unknown`.
    pub fn into_dataset(self) -> Dataset {
        let domain = self
            .bundle
            .domain
            .as_deref()
            .and_then(Domain::parse)
            .unwrap_or(Domain::Enterprise);
        let release = Release::from_bundle(self.bundle.release.as_deref().unwrap_or("unknown"));
        Dataset::from_scanned(domain, release, self)
    }
}

const REVOKED: u8 = 1;
const DEPRECATED: u8 = 2;
const NAMED: u8 = 4;
const NO_CONCEPT: u8 = u8::MAX;

/// Tag and version of the tables a dataset keeps in its prebuilt index.
const TABLES_TAG: &[u8] = b"attackdb-kb tables 2";

/// Why [`Dataset::from_index`] refuses tables of another version of attackdb: not damage, so
/// the index is rebuilt without a warning.
pub const OTHER_VERSION: &str = "its tables were written by another version of attackdb";

impl Dataset {
    /// Indexes `bundle` as the given domain and release.
    pub fn build(domain: Domain, release: Release, bundle: Bundle) -> Dataset {
        Dataset::from_scanned(domain, release, ScannedBundle::from_bundle(bundle))
    }

    /// Indexes a bundle read by [`ScannedBundle::load`] as the given domain and release; its
    /// objects are parsed again only when first asked for.
    pub fn from_scanned(domain: Domain, release: Release, scanned: ScannedBundle) -> Dataset {
        let ScannedBundle { bundle, rows } = scanned;
        let count = rows.len();
        let mut diagnostics = bundle.diagnostics.clone();
        let mut stix_ids = Strings::with_capacity(count);
        let mut attack_ids = Strings::with_capacity(count);
        let mut names = Strings::with_capacity(count);
        let mut flags = Vec::with_capacity(count);
        let mut concepts = Vec::with_capacity(count);
        let mut kinds = Vec::with_capacity(count);
        let mut kind_pairs = Vec::with_capacity(count);
        let mut attack_pairs = Vec::new();
        let mut name_pairs = Vec::new();
        let mut alias_pairs = Vec::new();
        let mut first_of: HashMap<&str, ObjId> = HashMap::default();
        first_of.reserve(count);
        let mut duplicates: Vec<ObjId> = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let id = i as ObjId;
            stix_ids.push(&row.id);
            attack_ids.push(row.attack_id.as_deref().unwrap_or_default());
            names.push(row.name.as_deref().unwrap_or_default());
            flags.push(row.flags);
            concepts.push(row.concept);
            kinds.push(row.kind);
            if first_of.contains_key(&*row.id) {
                // One rule for every repeated STIX ID, objects and relationships alike: the
                // first is kept, later ones are in no list, lookup or link.
                duplicates.push(id);
                diagnostics.push(Diagnostic {
                    path: bundle.path.clone(),
                    kind: DiagnosticKind::DuplicateId {
                        id: row.id.to_string(),
                    },
                });
                continue;
            }
            first_of.insert(&row.id, id);
            kind_pairs.push((u32::from(row.kind), id));
            if row.is_relationship() {
                continue;
            }
            if let Some(attack_id) = &row.attack_id {
                attack_pairs.push((attack_id.to_ascii_uppercase(), id));
            }
            if let Some(name) = &row.name {
                name_pairs.push((name.to_lowercase(), id));
            }
            for alias in &row.aliases {
                alias_pairs.push((alias.to_lowercase(), id));
            }
        }
        let mut links = Vec::new();
        let mut out_pairs = Vec::new();
        let mut in_pairs = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let Some((kind, source_ref, target_ref)) = &row.link else {
                continue;
            };
            if duplicates.binary_search(&(i as ObjId)).is_ok() {
                continue;
            }
            let source = first_of.get(&**source_ref).copied();
            let target = first_of.get(&**target_ref).copied();
            match (source, target) {
                (Some(source), Some(target)) => {
                    let link_index = links.len() as u32;
                    links.push(Link {
                        relationship: i as ObjId,
                        kind: *kind,
                        source,
                        target,
                    });
                    out_pairs.push((source, link_index));
                    in_pairs.push((target, link_index));
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
                            relationship: row.id.to_string(),
                            missing: missing.to_string(),
                        },
                    });
                }
            }
        }
        let mut stix_order: Vec<ObjId> = first_of.into_values().collect();
        stix_order
            .sort_unstable_by(|&a, &b| stix_ids.get(a as usize).cmp(stix_ids.get(b as usize)));
        for (attack_id, objects) in shared_attack_ids(&attack_pairs, &flags, &concepts) {
            diagnostics.push(Diagnostic {
                path: bundle.path.clone(),
                kind: DiagnosticKind::DuplicateAttackId {
                    attack_id,
                    objects: objects
                        .iter()
                        .map(|&o| rows[o as usize].id.to_string())
                        .collect(),
                },
            });
        }
        drop(rows);
        let mut dataset = Dataset {
            domain,
            release,
            bundle,
            stix_ids,
            attack_ids,
            names,
            flags,
            stix_order,
            by_attack_id: Keyed::from_pairs(attack_pairs),
            by_name: Keyed::from_pairs(name_pairs),
            by_alias: Keyed::from_pairs(alias_pairs),
            concepts,
            kinds,
            by_kind: Csr::from_pairs(ObjectType::KNOWN.len() + 1, &kind_pairs),
            rank: std::sync::OnceLock::new(),
            outgoing: Csr::from_pairs(count, &out_pairs),
            incoming: Csr::from_pairs(count, &in_pairs),
            links,
            diagnostics,
            orphans: Vec::new(),
        };
        dataset.orphans = dataset.find_orphans();
        for &orphan in &dataset.orphans {
            let diagnostic = Diagnostic {
                path: dataset.bundle.path.clone(),
                kind: DiagnosticKind::OrphanSubtechnique {
                    id: dataset.display_id(orphan).to_string(),
                    stix_id: dataset.stix_id(orphan).to_string(),
                },
            };
            dataset.diagnostics.push(diagnostic);
        }
        dataset
    }

    /// The live sub-techniques with no `subtechnique-of` relationship to a technique that is
    /// not itself a sub-technique (none at all, or only to sub-techniques, as in a cycle),
    /// sorted. They are listed and counted as sub-techniques, and stand as techniques of their
    /// own in the matrix.
    fn find_orphans(&self) -> Vec<ObjId> {
        let subtechnique = concept_code(Concept::Subtechnique);
        let technique = concept_code(Concept::Technique);
        (0..self.concepts.len() as ObjId)
            .filter(|&o| self.concepts[o as usize] == subtechnique && self.is_live(o))
            .filter(|&o| self.by_stix_id(self.stix_id(o)) == Some(o))
            .filter(|&o| {
                !self.outgoing(o).any(|l| {
                    l.kind == RelKind::SubtechniqueOf
                        && self.concepts.get(l.target as usize) == Some(&technique)
                })
            })
            .collect()
    }

    /// Returns true if and only if `id` is a live sub-technique whose parent technique cannot
    /// be found ([`DiagnosticKind::OrphanSubtechnique`]).
    pub fn is_orphan(&self, id: ObjId) -> bool {
        self.orphans.binary_search(&id).is_ok()
    }

    /// The tables of this dataset, for its prebuilt index: read back by
    /// [`Dataset::from_index`] they give the same dataset without looking at any object.
    pub fn index_tables(&self) -> Vec<u8> {
        let mut out = Writer::default();
        out.bytes(TABLES_TAG);
        out.u32s(&[self.object_count() as u32, self.links.len() as u32]);
        out.strings(&self.stix_ids);
        out.strings(&self.attack_ids);
        out.strings(&self.names);
        out.bytes(&self.flags);
        out.u32s(&self.stix_order);
        out.keyed(&self.by_attack_id);
        out.keyed(&self.by_name);
        out.keyed(&self.by_alias);
        out.bytes(&self.concepts);
        out.bytes(&self.kinds);
        out.csr(&self.by_kind);
        out.u32s(self.ranks());
        out.u32s(
            &self
                .links
                .iter()
                .map(|l| l.relationship)
                .collect::<Vec<_>>(),
        );
        out.bytes(&self.links.iter().map(|l| l.kind.code()).collect::<Vec<_>>());
        out.u32s(&self.links.iter().map(|l| l.source).collect::<Vec<_>>());
        out.u32s(&self.links.iter().map(|l| l.target).collect::<Vec<_>>());
        out.csr(&self.outgoing);
        out.csr(&self.incoming);
        let own = &self.diagnostics[self.bundle.diagnostics.len()..];
        out.bytes(&serde_json::to_vec(own).unwrap_or_default());
        out.out
    }

    /// The dataset of `bundle` (opened from its prebuilt index) from the tables
    /// [`Dataset::index_tables`] wrote. Fails, saying why, when they are not whole and
    /// consistent with the bundle.
    pub fn from_index(
        domain: Domain,
        release: Release,
        bundle: Bundle,
        tables: &[u8],
    ) -> std::result::Result<Dataset, String> {
        let mut input = Reader::new(tables);
        if input.bytes()? != TABLES_TAG {
            return Err(OTHER_VERSION.to_string());
        }
        let sizes = input.u32s()?;
        let (count, link_count) = match sizes[..] {
            [count, links] => (count as usize, links as usize),
            _ => return Err("its table sizes are missing".to_string()),
        };
        if count != bundle.objects.len() {
            return Err("its tables are not those of its objects".to_string());
        }
        let stix_ids = input.strings_of(count)?;
        let attack_ids = input.strings_of(count)?;
        let names = input.strings_of(count)?;
        let flags = input.bytes_of(count)?;
        let stix_order = input.u32s_below(count)?;
        let by_attack_id = input.keyed(count)?;
        let by_name = input.keyed(count)?;
        let by_alias = input.keyed(count)?;
        let concepts = input.bytes_of(count)?;
        let kinds = input.bytes_of(count)?;
        if concepts
            .iter()
            .any(|&c| c != NO_CONCEPT && c as usize >= Concept::ALL.len())
            || kinds.iter().any(|&k| k as usize > ObjectType::KNOWN.len())
        {
            return Err("its type tables hold unknown codes".to_string());
        }
        let by_kind = input.csr(ObjectType::KNOWN.len() + 1, count)?;
        let ranks = input.u32s_of(count, count)?;
        let relationships = input.u32s_of(link_count, count)?;
        let link_kinds = input.bytes_of(link_count)?;
        let sources = input.u32s_of(link_count, count)?;
        let targets = input.u32s_of(link_count, count)?;
        let outgoing = input.csr(count, link_count)?;
        let incoming = input.csr(count, link_count)?;
        let own: Vec<Diagnostic> = serde_json::from_slice(input.bytes()?)
            .map_err(|e| format!("its diagnostics are unreadable: {e}"))?;
        if !input.is_done() {
            return Err("its tables have trailing bytes".to_string());
        }
        let links = (0..link_count)
            .map(|i| Link {
                relationship: relationships[i],
                kind: RelKind::from_code(link_kinds[i]),
                source: sources[i],
                target: targets[i],
            })
            .collect();
        let mut diagnostics = bundle.diagnostics.clone();
        diagnostics.extend(own.into_iter().map(|mut d| {
            d.path.clone_from(&bundle.path);
            d
        }));
        let rank = std::sync::OnceLock::new();
        let _ = rank.set(ranks);
        let mut dataset = Dataset {
            domain,
            release,
            bundle,
            stix_ids,
            attack_ids,
            names,
            flags,
            stix_order,
            by_attack_id,
            by_name,
            by_alias,
            concepts,
            kinds,
            by_kind,
            rank,
            links,
            outgoing,
            incoming,
            diagnostics,
            orphans: Vec::new(),
        };
        dataset.orphans = dataset.find_orphans();
        Ok(dataset)
    }

    /// The domain (displayed as `enterprise-attack`, `mobile-attack` or `ics-attack`).
    pub fn domain(&self) -> Domain {
        self.domain
    }

    /// The release, e.g. `18.1`.
    pub fn release(&self) -> &Release {
        &self.release
    }

    /// The bundle the dataset was built from.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// Every object, relationships included, in bundle order. Objects opened from a prebuilt
    /// index are parsed on first use; iterating parses every one not parsed yet.
    pub fn objects(&self) -> &Objects {
        &self.bundle.objects
    }

    /// The objects for which `wanted` holds, in bundle order, parsed now over every core if
    /// they were not yet (for questions about to read many objects).
    pub fn load_where(&self, wanted: impl Fn(ObjId) -> bool) -> Vec<ObjId> {
        let found: Vec<ObjId> = (0..self.object_count() as ObjId)
            .filter(|&i| wanted(i))
            .collect();
        let indexes: Vec<usize> = found.iter().map(|&i| i as usize).collect();
        self.bundle.objects.load(&indexes);
        found
    }

    /// How many objects, relationships included.
    pub fn object_count(&self) -> usize {
        self.flags.len()
    }

    /// The object at `id`.
    pub fn object(&self, id: ObjId) -> &StixObject {
        &self.bundle.objects[id as usize]
    }

    /// The ATT&CK concept of the object at `id`.
    pub fn concept(&self, id: ObjId) -> Option<Concept> {
        let code = *self.concepts.get(id as usize)?;
        Concept::ALL.get(code as usize).copied()
    }

    /// Every relationship whose two ends exist.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// Relationships whose source is `id`.
    pub fn outgoing(&self, id: ObjId) -> impl Iterator<Item = &Link> + '_ {
        self.outgoing
            .get(id as usize)
            .iter()
            .map(|&l| &self.links[l as usize])
    }

    /// Relationships whose target is `id`.
    pub fn incoming(&self, id: ObjId) -> impl Iterator<Item = &Link> + '_ {
        self.incoming
            .get(id as usize)
            .iter()
            .map(|&l| &self.links[l as usize])
    }

    /// Problems found while loading and indexing.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The original JSON of the object at `id`, exactly as in the bundle.
    pub fn raw_json(&self, id: ObjId) -> crate::Result<&str> {
        match self.bundle.objects.raw_json(id as usize) {
            Some(raw) => Ok(raw?),
            None => Ok(self.bundle.raw_json(self.object(id))?),
        }
    }

    /// The fields of the object at `id` that only exports read (detection, impact type, related
    /// assets...), parsed from its JSON.
    pub fn details(&self, id: ObjId) -> crate::Result<attackdb_stix::ObjectDetails> {
        let json = self.raw_json(id)?;
        Ok(attackdb_stix::ObjectDetails::parse(self.stix_id(id), json)?)
    }

    /// Objects that could not be read back from the prebuilt index or the bundle (both changed
    /// while in use), and why; their answers may be incomplete.
    pub fn read_problems(&self) -> Vec<String> {
        self.bundle.objects.problems()
    }

    /// The object with STIX ID `stix_id`.
    pub fn by_stix_id(&self, stix_id: &str) -> Option<ObjId> {
        let found = self
            .stix_order
            .binary_search_by(|&o| self.stix_ids.get(o as usize).cmp(stix_id));
        found.ok().map(|at| self.stix_order[at])
    }

    /// Every object with ATT&CK ID `attack_id` (case-insensitive), of any type.
    pub fn by_attack_id(&self, attack_id: &str) -> &[ObjId] {
        self.by_attack_id
            .get(&attack_id.trim().to_ascii_uppercase())
    }

    /// Every object named `name` (case-insensitive).
    pub fn by_name(&self, name: &str) -> &[ObjId] {
        self.by_name.get(&name.trim().to_lowercase())
    }

    /// Every group, campaign or software with alias `alias` (case-insensitive).
    pub fn by_alias(&self, alias: &str) -> &[ObjId] {
        self.by_alias.get(&alias.trim().to_lowercase())
    }

    /// All names, ATT&CK IDs and aliases (lower case), for suggestions.
    pub(crate) fn all_keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.by_attack_id
            .keys()
            .chain(self.by_name.keys())
            .chain(self.by_alias.keys())
    }

    /// How the object at `id` is named in answers: its ATT&CK ID, else its STIX ID.
    pub fn display_id(&self, id: ObjId) -> &str {
        match self.attack_ids.get(id as usize) {
            "" => self.stix_ids.get(id as usize),
            attack_id => attack_id,
        }
    }

    /// The object's STIX ID.
    pub fn stix_id(&self, id: ObjId) -> &str {
        self.stix_ids.get(id as usize)
    }

    /// The object's name, or its display ID when it has none.
    pub fn display_name(&self, id: ObjId) -> &str {
        if self.flag(id, NAMED) {
            self.names.get(id as usize)
        } else {
            self.display_id(id)
        }
    }

    fn flag(&self, id: ObjId, flag: u8) -> bool {
        self.flags.get(id as usize).is_some_and(|f| f & flag != 0)
    }

    /// Returns true if and only if the object is neither revoked nor deprecated.
    pub fn is_live(&self, id: ObjId) -> bool {
        !self.flag(id, REVOKED | DEPRECATED)
    }

    /// Returns true if and only if the object is revoked.
    pub fn is_revoked(&self, id: ObjId) -> bool {
        self.flag(id, REVOKED)
    }

    /// Returns true if and only if `visibility` shows the object.
    pub fn shows(&self, visibility: Visibility, id: ObjId) -> bool {
        (visibility.include_revoked || !self.flag(id, REVOKED))
            && (visibility.include_deprecated || !self.flag(id, DEPRECATED))
    }

    /// Returns true if and only if the object's STIX type is one of `types`.
    pub fn is_kind(&self, id: ObjId, types: &[ObjectType]) -> bool {
        let kind = self.kinds.get(id as usize).map_or(0, |&k| k as usize);
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
                found.extend_from_slice(self.by_kind.get(index));
            } else {
                found.extend(
                    self.by_kind
                        .get(index)
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
        self.ranks().get(id as usize).copied().unwrap_or(u32::MAX)
    }

    fn ranks(&self) -> &[u32] {
        self.rank.get_or_init(|| {
            let count = self.object_count() as ObjId;
            let mut order: Vec<ObjId> = (0..count).collect();
            order.sort_unstable_by(|&a, &b| {
                (self.display_id(a), self.stix_id(a)).cmp(&(self.display_id(b), self.stix_id(b)))
            });
            let mut ranks = vec![0u32; order.len()];
            for (position, id) in order.into_iter().enumerate() {
                ranks[id as usize] = position as u32;
            }
            ranks
        })
    }
}

/// ATT&CK IDs that several live objects of one concept carry (each repeated STIX ID counted
/// once), with those objects: IDs a lookup cannot tell apart. Retired objects sharing an ID
/// with a live one (a revoked technique and the deprecated mitigation of the same ID) are how
/// ATT&CK keeps history and are not reported.
fn shared_attack_ids(
    attack_pairs: &[(String, ObjId)],
    flags: &[u8],
    concepts: &[u8],
) -> Vec<(String, Vec<ObjId>)> {
    let mut groups: std::collections::BTreeMap<(&str, u8), Vec<ObjId>> =
        std::collections::BTreeMap::new();
    for (attack_id, id) in attack_pairs {
        let i = *id as usize;
        let live = flags
            .get(i)
            .is_some_and(|f| f & (REVOKED | DEPRECATED) == 0);
        let concept = concepts.get(i).copied().unwrap_or(NO_CONCEPT);
        if live && concept != NO_CONCEPT {
            groups.entry((attack_id, concept)).or_default().push(*id);
        }
    }
    groups
        .into_iter()
        .filter(|(_, objects)| objects.len() > 1)
        .map(|((attack_id, _), objects)| (attack_id.to_string(), objects))
        .collect()
}

fn concept_code(concept: Concept) -> u8 {
    Concept::ALL
        .iter()
        .position(|&c| c == concept)
        .map_or(NO_CONCEPT, |i| i as u8)
}

/// Index of `kind` in [`ObjectType::KNOWN`], or `KNOWN.len()` for other types.
fn kind_index(kind: &ObjectType) -> usize {
    ObjectType::KNOWN
        .iter()
        .position(|k| k == kind)
        .unwrap_or(ObjectType::KNOWN.len())
}

/// The kind of an object as users say it (`technique`, `group`...), else its STIX type.
pub fn kind_name(dataset: &Dataset, id: ObjId) -> String {
    dataset.concept(id).map_or_else(
        || dataset.object(id).kind.to_string(),
        |c| c.singular().to_string(),
    )
}

/// `revoked`, `deprecated` or empty.
pub fn status_name(dataset: &Dataset, id: ObjId) -> &'static str {
    let object = dataset.object(id);
    match (object.revoked, object.deprecated) {
        (true, _) => "revoked",
        (false, true) => "deprecated",
        _ => "",
    }
}
