//! Lookups and listers: objects by STIX ID, ATT&CK ID, name, alias, type, platform, tactic,
//! content and date; tactics in matrix order; procedure examples; revocation chains.

use attackdb_stix::ObjectType;

use crate::concept::{Concept, Visibility};
use crate::dataset::{Dataset, ObjId, RelKind};
use crate::text::contains_ignore_case;
use crate::{Error, Result};

/// Tactics ATT&CK renamed or split, by their old shortname, with the ATT&CK IDs of the tactics
/// that took their place: ATT&CK 19.0 split Defense Evasion (`defense-evasion`) into Stealth
/// (TA0005, the ID kept, shortname `stealth`) and Defense Impairment (TA0112). Used by
/// [`Dataset::successor_tactics`] when no earlier release of the domain is loaded, so that
/// rules and layers written for older releases keep meaning what they meant.
pub const RENAMED_TACTICS: &[(&str, &[&str])] = &[("defense-evasion", &["TA0005", "TA0112"])];

impl Dataset {
    /// Finds one object by STIX ID, ATT&CK ID, name or alias, in that order. An ATT&CK ID held
    /// by several objects resolves to the kind its prefix names (`T` a technique, `G` a group,
    /// `M` a mitigation...: old deprecated mitigations reuse technique IDs), live before revoked
    /// before deprecated. Among several names or aliases a live object wins over a revoked or
    /// deprecated one, then the match in the exact case, and a technique, group or software
    /// over other kinds. A name or alias several objects share still finds one:
    /// [`Dataset::also_named`] lists the others, which every front end reports.
    pub fn lookup(&self, query: &str) -> Result<ObjId> {
        self.lookup_where(query, |_| true)
    }

    /// Like [`Dataset::lookup`], considering only objects for which `accept` holds.
    pub fn lookup_where(&self, query: &str, accept: impl Fn(ObjId) -> bool) -> Result<ObjId> {
        let query = query.trim();
        if let Some(id) = self.by_stix_id(query) {
            if accept(id) {
                return Ok(id);
            }
        }
        let by_id = self.by_attack_id(query);
        let kinds = kinds_of_attack_id(query);
        let best_by_id = by_id
            .iter()
            .copied()
            .filter(|&c| accept(c))
            .min_by_key(|&c| {
                let kind_fits = self.concept(c).is_some_and(|k| kinds.contains(&k));
                let state = match (self.is_live(c), self.is_revoked(c)) {
                    (true, _) => 0,
                    (false, true) => 1,
                    (false, false) => 2,
                };
                (!kind_fits, state, c)
            });
        if let Some(best) = best_by_id {
            return Ok(best);
        }
        for candidates in [self.by_name(query), self.by_alias(query)] {
            // The exact-case match first (`Domains` before a `domains`), then as `best_of`.
            let exact = |c: ObjId| {
                self.display_name(c) == query
                    || self.object(c).aliases.iter().any(|a| &**a == query)
            };
            let best = candidates
                .iter()
                .copied()
                .filter(|&c| accept(c))
                .min_by_key(|&c| {
                    (
                        !self.is_live(c),
                        self.is_revoked(c),
                        !exact(c),
                        self.kind_rank(c),
                        c,
                    )
                });
            if let Some(best) = best {
                return Ok(best);
            }
        }
        Err(Error::NotFound {
            query: query.to_string(),
            suggestions: crate::text::closest(&query.to_lowercase(), self.all_keys(), 3)
                .into_iter()
                .map(|key| self.pretty_key(&key))
                .collect(),
        })
    }

    /// Finds one object of `kind` (see [`Dataset::lookup`]). When `query` names an object of
    /// another kind, the error says what it is; otherwise the suggestions are of `kind`.
    pub fn lookup_kind(&self, query: &str, kind: Concept) -> Result<ObjId> {
        match self.lookup_where(query, |o| self.concept(o) == Some(kind)) {
            Ok(found) => Ok(found),
            Err(error) => match self.lookup(query) {
                Ok(other) => Err(Error::WrongKind {
                    id: self.display_id(other).to_string(),
                    actual: crate::dataset::kind_name(self, other),
                    expected: crate::error::with_article(kind.singular()),
                    relation: "this question".to_string(),
                }),
                Err(_) => {
                    let names: Vec<String> = self
                        .list(kind, Visibility::LIVE)
                        .into_iter()
                        .flat_map(|o| {
                            [
                                self.display_id(o).to_lowercase(),
                                self.display_name(o).to_lowercase(),
                            ]
                        })
                        .collect();
                    let suggestions = crate::text::closest(
                        &query.to_lowercase(),
                        names.iter().map(String::as_str),
                        3,
                    )
                    .into_iter()
                    .map(|key| self.pretty_key(&key))
                    .collect();
                    match error {
                        Error::NotFound { query, .. } => {
                            Err(Error::NotFound { query, suggestions })
                        }
                        other => Err(other),
                    }
                }
            },
        }
    }

    /// Finds an object of one of `types` by ATT&CK ID, preferring the live one (the library's
    /// `get_object_by_attack_id(attack_id, stix_type)`).
    pub fn by_attack_id_typed(&self, attack_id: &str, types: &[ObjectType]) -> Option<ObjId> {
        self.best_of(
            self.by_attack_id(attack_id)
                .iter()
                .copied()
                .filter(|&c| types.contains(&self.object(c).kind)),
        )
    }

    fn best_of(&self, candidates: impl Iterator<Item = ObjId>) -> Option<ObjId> {
        candidates.min_by_key(|&c| (!self.is_live(c), self.is_revoked(c), self.kind_rank(c), c))
    }

    /// Techniques first, then groups, software and campaigns, then the rest.
    fn kind_rank(&self, c: ObjId) -> u8 {
        match self.concept(c) {
            Some(Concept::Technique | Concept::Subtechnique) => 0,
            Some(Concept::Group | Concept::Software | Concept::Campaign) => 1,
            Some(_) => 2,
            None => 3,
        }
    }

    /// The other objects that `query` names when it is a name or alias several objects share
    /// (`Domains`: T1583.001 and T1584.001), besides `chosen` (what [`Dataset::lookup`] picked),
    /// sorted by display ID; revoked and deprecated ones included. Empty when `query` is a
    /// STIX ID or ATT&CK ID of `chosen`, or names only it.
    pub fn also_named(&self, query: &str, chosen: ObjId) -> Vec<ObjId> {
        self.also_named_where(query, chosen, |_| true)
    }

    /// Like [`Dataset::also_named`], considering only objects for which `accept` holds.
    pub fn also_named_where(
        &self,
        query: &str,
        chosen: ObjId,
        accept: impl Fn(ObjId) -> bool,
    ) -> Vec<ObjId> {
        let query = query.trim();
        if self.by_stix_id(query) == Some(chosen) || self.by_attack_id(query).contains(&chosen) {
            return Vec::new();
        }
        let mut others: Vec<ObjId> = self
            .by_name(query)
            .iter()
            .chain(self.by_alias(query).iter())
            .copied()
            .filter(|&c| c != chosen && accept(c))
            .collect();
        self.sort_dedup(&mut others);
        others
    }

    /// A suggestion key as the user would type it: ATT&CK IDs upper case, names as written.
    fn pretty_key(&self, key: &str) -> String {
        let ids = self.by_attack_id(key);
        if let Some(&first) = ids.first() {
            return self.display_id(first).to_string();
        }
        if let Some(&first) = self.by_name(key).first() {
            return self.display_name(first).to_string();
        }
        if let Some(&first) = self.by_alias(key).first() {
            if let Some(alias) = self
                .object(first)
                .aliases
                .iter()
                .find(|a| a.to_lowercase() == key)
            {
                return alias.to_string();
            }
        }
        key.to_string()
    }

    /// Every object of `concept` shown by `visibility`, sorted by display ID.
    pub fn list(&self, concept: Concept, visibility: Visibility) -> Vec<ObjId> {
        self.list_any(&[concept], visibility)
    }

    /// Every object of any of `concepts` shown by `visibility`, sorted by display ID.
    pub fn list_any(&self, concepts: &[Concept], visibility: Visibility) -> Vec<ObjId> {
        let mut types: Vec<ObjectType> = Vec::new();
        for concept in concepts {
            for kind in concept.stix_types() {
                if !types.contains(kind) {
                    types.push(kind.clone());
                }
            }
        }
        let mut list: Vec<ObjId> = self
            .objects_of(&types)
            .into_iter()
            .filter(|&i| self.concept(i).is_some_and(|c| concepts.contains(&c)))
            .filter(|&i| self.shows(visibility, i))
            .collect();
        self.sort_dedup(&mut list);
        list
    }

    /// Every object of one of `types` (STIX types) shown by `visibility`, sorted by display ID.
    pub fn list_types(&self, types: &[ObjectType], visibility: Visibility) -> Vec<ObjId> {
        let mut list: Vec<ObjId> = self
            .objects_of(types)
            .into_iter()
            .filter(|&i| self.shows(visibility, i))
            .collect();
        self.sort_dedup(&mut list);
        list
    }

    /// The kill chain name of this dataset's domain (`mitre-attack`, `mitre-mobile-attack`, ...).
    pub fn kill_chain_name(&self) -> &'static str {
        match self.domain() {
            attackdb_stix::Domain::Mobile => "mitre-mobile-attack",
            attackdb_stix::Domain::Ics => "mitre-ics-attack",
            attackdb_stix::Domain::Enterprise => "mitre-attack",
        }
    }

    /// The matrices (live first) with their tactics in matrix order (the library's
    /// `get_tactics_by_matrix`).
    pub fn tactics_by_matrix(&self) -> Vec<(ObjId, Vec<ObjId>)> {
        self.list_types(&[ObjectType::Matrix], Visibility::ALL)
            .into_iter()
            .map(|matrix| {
                let tactics = self
                    .object(matrix)
                    .tactic_refs
                    .iter()
                    .filter_map(|r| self.by_stix_id(r))
                    .collect();
                (matrix, tactics)
            })
            .collect()
    }

    /// The live tactics in matrix order: those of the live matrices, in order, then any others.
    pub fn tactics_in_order(&self) -> Vec<ObjId> {
        let mut order: Vec<ObjId> = Vec::new();
        for (matrix, tactics) in self.tactics_by_matrix() {
            if !self.is_live(matrix) {
                continue;
            }
            for tactic in tactics {
                if self.is_live(tactic) && !order.contains(&tactic) {
                    order.push(tactic);
                }
            }
        }
        for tactic in self.list(Concept::Tactic, Visibility::LIVE) {
            if !order.contains(&tactic) {
                order.push(tactic);
            }
        }
        order
    }

    /// The tactic with shortname `shortname` (live preferred).
    pub fn tactic_by_shortname(&self, shortname: &str) -> Option<ObjId> {
        let key = shortname
            .trim()
            .to_ascii_lowercase()
            .replace(['_', ' '], "-");
        self.best_of(
            self.list(Concept::Tactic, Visibility::ALL)
                .into_iter()
                .filter(|&t| self.object(t).shortname.as_deref() == Some(key.as_str())),
        )
    }

    /// The tactic of this release that tactic `shortname` of `earlier` (another release of the
    /// domain) became, when this release has no tactic of that shortname: the tactic with the
    /// same STIX ID (ATT&CK 19 renamed Defense Evasion, `defense-evasion`, to Stealth,
    /// `stealth`, keeping TA0005). `None` when this release knows the shortname, when
    /// `earlier` does not, or when the tactic is gone.
    pub fn renamed_tactic(&self, earlier: &Dataset, shortname: &str) -> Option<ObjId> {
        if self.tactic_by_shortname(shortname).is_some() {
            return None;
        }
        let old = earlier.tactic_by_shortname(shortname)?;
        self.by_stix_id(earlier.stix_id(old))
            .filter(|&t| self.concept(t) == Some(Concept::Tactic))
    }

    /// The tactics of this release that took the place of tactic `shortname`, which this
    /// release does not have: through the first release among `earlier` (other releases of the
    /// domain) that has it, the tactic of the same STIX ID and the tactics new since; else
    /// through the tactics ATT&CK is known to have renamed or split ([`RENAMED_TACTICS`]).
    /// Empty when this release knows `shortname`, or nothing took its place. In matrix order.
    pub fn successor_tactics(&self, shortname: &str, earlier: &[&Dataset]) -> Vec<ObjId> {
        if self.tactic_by_shortname(shortname).is_some() {
            return Vec::new();
        }
        let key = shortname
            .trim()
            .to_ascii_lowercase()
            .replace(['_', ' '], "-");
        let mut found: Vec<ObjId> = match earlier
            .iter()
            .find_map(|e| self.renamed_tactic(e, &key).map(|now| (e, now)))
        {
            Some((earlier, now)) => std::iter::once(now)
                .chain(self.tactics_new_since(earlier))
                .collect(),
            None => self.known_successor_tactics(&key),
        };
        let order = self.tactics_in_order();
        found.sort_by_key(|t| order.iter().position(|o| o == t).unwrap_or(usize::MAX));
        found.dedup();
        found
    }

    /// The tactics of this release that [`RENAMED_TACTICS`] names in the place of tactic
    /// `shortname` (normalised: lowercase, hyphens), in the table's order: the tactic that kept
    /// the old one's ID first, then those split off. Empty when the table does not name it.
    pub fn known_successor_tactics(&self, shortname: &str) -> Vec<ObjId> {
        RENAMED_TACTICS
            .iter()
            .filter(|(old, _)| *old == shortname)
            .flat_map(|(_, ids)| ids.iter())
            .filter_map(|id| self.by_attack_id_typed(id, &[ObjectType::Tactic]))
            .collect()
    }

    /// The live tactics of this release (in matrix order) that `earlier`, another release of
    /// the domain, does not have (by STIX ID): TA0112 Defense Impairment in 19.x against 18.x.
    pub fn tactics_new_since(&self, earlier: &Dataset) -> Vec<ObjId> {
        self.tactics_in_order()
            .into_iter()
            .filter(|&t| earlier.by_stix_id(self.stix_id(t)).is_none())
            .collect()
    }

    /// The tactics of a technique: those whose shortname is one of its kill chain phases, in
    /// matrix order (the library's `get_tactics_by_technique`, which ignores revocation).
    pub fn tactics_of_technique(&self, technique: ObjId) -> Vec<ObjId> {
        let phases: Vec<&str> = self
            .object(technique)
            .kill_chain_phases
            .iter()
            .map(|p| &*p.phase_name)
            .collect();
        let mut tactics: Vec<ObjId> = self
            .list(Concept::Tactic, Visibility::ALL)
            .into_iter()
            .filter(|&t| {
                self.object(t)
                    .shortname
                    .as_deref()
                    .is_some_and(|s| phases.contains(&s))
            })
            .collect();
        let order = self.tactics_in_order();
        tactics.sort_by_key(|t| order.iter().position(|o| o == t).unwrap_or(usize::MAX));
        tactics
    }

    /// Techniques and sub-techniques in tactic `shortname` of this domain's kill chain (the
    /// library's `get_techniques_by_tactic`).
    pub fn techniques_by_tactic(&self, shortname: &str, visibility: Visibility) -> Vec<ObjId> {
        let key = shortname
            .trim()
            .to_ascii_lowercase()
            .replace(['_', ' '], "-");
        let kill_chain = self.kill_chain_name();
        self.list_any(&[Concept::Technique, Concept::Subtechnique], visibility)
            .into_iter()
            .filter(|&t| {
                self.object(t)
                    .kill_chain_phases
                    .iter()
                    .any(|p| *p.phase_name == key && &*p.kill_chain_name == kill_chain)
            })
            .collect()
    }

    /// Objects of `concepts` whose platforms include `platform` (case-insensitive).
    pub fn by_platform(
        &self,
        concepts: &[Concept],
        platform: &str,
        visibility: Visibility,
    ) -> Vec<ObjId> {
        let platform = platform.trim();
        self.list_any(concepts, visibility)
            .into_iter()
            .filter(|&o| {
                self.object(o)
                    .platforms
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(platform))
            })
            .collect()
    }

    /// Every platform named by any object, sorted. Relationships, which name none, are not
    /// read (after a cold load they are most of the objects not parsed yet).
    pub fn platforms(&self) -> Vec<&str> {
        let wanted = self.load_where(|o| !self.is_kind(o, &[ObjectType::Relationship]));
        let mut all: Vec<&str> = wanted
            .into_iter()
            .flat_map(|o| self.object(o).platforms.iter().map(|p| &**p))
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// Objects (of `concepts`, or of any type when empty) whose description contains `content`,
    /// case-insensitively (the library's `get_objects_by_content`).
    pub fn by_content(
        &self,
        content: &str,
        concepts: &[Concept],
        visibility: Visibility,
    ) -> Vec<ObjId> {
        let needle = content.to_lowercase();
        let candidates = self.load_where(|i| {
            (concepts.is_empty() || self.concept(i).is_some_and(|c| concepts.contains(&c)))
                && self.shows(visibility, i)
        });
        let mut found: Vec<ObjId> = candidates
            .into_iter()
            .filter(|&i| {
                self.object(i)
                    .description
                    .as_deref()
                    .is_some_and(|d| contains_ignore_case(d, &needle))
            })
            .collect();
        self.sort_dedup(&mut found);
        found
    }

    /// Objects (relationships included, as the library does) created strictly after `timestamp`.
    pub fn created_after(&self, timestamp: &str, visibility: Visibility) -> Result<Vec<ObjId>> {
        self.dated_after(timestamp, visibility, |o| o.created.as_deref())
    }

    /// Objects (relationships included, as the library does) modified strictly after `timestamp`.
    pub fn modified_after(&self, timestamp: &str, visibility: Visibility) -> Result<Vec<ObjId>> {
        self.dated_after(timestamp, visibility, |o| o.modified.as_deref())
    }

    fn dated_after(
        &self,
        timestamp: &str,
        visibility: Visibility,
        field: impl Fn(&attackdb_stix::StixObject) -> Option<&str>,
    ) -> Result<Vec<ObjId>> {
        let bound =
            normalize_timestamp(timestamp).ok_or_else(|| Error::BadDate(timestamp.to_string()))?;
        let mut found: Vec<ObjId> = self
            .load_where(|i| self.shows(visibility, i))
            .into_iter()
            .filter(|&i| {
                field(self.object(i))
                    .and_then(normalize_timestamp)
                    .is_some_and(|t| t > bound)
            })
            .collect();
        self.sort_dedup(&mut found);
        Ok(found)
    }

    /// The live `uses` relationships that target `technique`: its procedure examples (the
    /// relationship's description says how the source used it).
    pub fn procedure_examples(&self, technique: ObjId) -> Vec<ObjId> {
        let mut found: Vec<ObjId> = self
            .incoming(technique)
            .filter(|l| l.kind == RelKind::Uses && self.is_live(l.relationship))
            .filter(|l| self.is_live(l.source))
            .map(|l| l.relationship)
            .collect();
        found.sort_by(|&a, &b| {
            let source =
                |r: ObjId| self.by_stix_id(self.object(r).source_ref.as_deref().unwrap_or(""));
            let key = |r: ObjId| source(r).map(|s| self.display_id(s).to_string());
            key(a).cmp(&key(b)).then(a.cmp(&b))
        });
        found
    }

    /// The object that revoked `revoked` (its `revoked-by` target), if any.
    pub fn revoked_by(&self, revoked: ObjId) -> Option<ObjId> {
        self.outgoing(revoked)
            .find(|l| l.kind == RelKind::RevokedBy)
            .map(|l| l.target)
    }

    /// Follows `revoked-by` from `revoked` to the end of the chain: the object that replaces it
    /// now (the library's `get_revoking_object` follows one step). Cycles stop the walk.
    pub fn revoking_object(&self, revoked: ObjId) -> Option<ObjId> {
        let mut current = self.revoked_by(revoked)?;
        let mut seen = vec![revoked, current];
        while self.object(current).revoked {
            match self.revoked_by(current) {
                Some(next) if !seen.contains(&next) => {
                    seen.push(next);
                    current = next;
                }
                _ => break,
            }
        }
        Some(current)
    }

    /// The source object of a relationship.
    pub fn relationship_source(&self, relationship: ObjId) -> Option<ObjId> {
        self.object(relationship)
            .source_ref
            .as_deref()
            .and_then(|r| self.by_stix_id(r))
    }

    /// The target object of a relationship.
    pub fn relationship_target(&self, relationship: ObjId) -> Option<ObjId> {
        self.object(relationship)
            .target_ref
            .as_deref()
            .and_then(|r| self.by_stix_id(r))
    }

    /// The shortname of the tactic `query` names: a shortname (`credential-access`), an ATT&CK
    /// ID (`TA0006`), a name or an alias.
    pub fn resolve_tactic(&self, query: &str) -> Result<String> {
        if let Some(shortname) = self
            .tactic_by_shortname(query)
            .and_then(|t| self.object(t).shortname.as_deref())
        {
            return Ok(shortname.to_string());
        }
        let id = self.lookup_where(query, |o| self.concept(o) == Some(Concept::Tactic))?;
        match &self.object(id).shortname {
            Some(shortname) => Ok(shortname.to_string()),
            None => Err(Error::NotFound {
                query: format!("tactic {query} has no shortname"),
                suggestions: Vec::new(),
            }),
        }
    }

    /// The object `query` names as the key of `relation`: one of its key types, else an
    /// error saying what the object is and what the family needs.
    pub fn lookup_key(&self, relation: crate::Relation, query: &str) -> Result<ObjId> {
        let key_types = relation.key_types();
        match self.lookup_where(query, |o| key_types.contains(&self.object(o).kind)) {
            Ok(key) => Ok(key),
            Err(error) => match self.lookup(query) {
                Ok(other) => Err(Error::WrongKind {
                    id: self.display_id(other).to_string(),
                    actual: crate::dataset::kind_name(self, other),
                    expected: {
                        let mut words: Vec<&str> = key_types.iter().map(type_word).collect();
                        words.dedup();
                        let words: Vec<String> =
                            words.into_iter().map(crate::error::with_article).collect();
                        words.join(" or ")
                    },
                    relation: relation.name().to_string(),
                }),
                Err(_) => Err(error),
            },
        }
    }

    /// The platform `name` as this release spells it (case-insensitive), or an error listing
    /// the release's platforms.
    pub fn canonical_platform(&self, name: &str) -> Result<&str> {
        let known = self.platforms();
        known
            .iter()
            .copied()
            .find(|p| p.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| Error::UnknownPlatform {
                platform: name.to_string(),
                release: format!("{} {}", self.domain(), self.release()),
                known: known.iter().map(|p| p.to_string()).collect(),
            })
    }
}

/// A timestamp as a string that sorts in time order: `YYYY-MM-DDTHH:MM:SS.fffffffff` (UTC).
/// Accepts `YYYY-MM-DD` and RFC 3339 with `Z` or an offset of zero (`+00:00`); `None` for
/// anything else. The one reading of timestamps (the kb's filters and diffs, Python's).
pub fn normalize_timestamp(value: &str) -> Option<String> {
    let value = value.trim();
    let (date, time) = value.split_once(['T', ' ']).unwrap_or((value, "00:00:00Z"));
    let digits = |s: &str, seps: &[(usize, u8)]| {
        s.bytes()
            .enumerate()
            .all(|(i, b)| match seps.iter().find(|(at, _)| *at == i) {
                Some((_, sep)) => b == *sep,
                None => b.is_ascii_digit(),
            })
    };
    if date.len() != 10 || !digits(date, &[(4, b'-'), (7, b'-')]) {
        return None;
    }
    let time = time.trim_end_matches(['Z', 'z']).trim_end_matches("+00:00");
    let (hms, fraction) = time.split_once('.').unwrap_or((time, ""));
    if hms.len() != 8
        || !digits(hms, &[(2, b':'), (5, b':')])
        || fraction.len() > 9
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some(format!("{date}T{hms}.{fraction:0<9}"))
}

/// The kinds an ATT&CK ID's prefix names: `T1059` techniques, `TA0002` tactics, `G` groups, `S`
/// software, `C` campaigns, `M` mitigations, `DS` data sources, `DC` data components, `DET`
/// detection strategies, `AN` analytics, `A` assets; none for anything else.
fn kinds_of_attack_id(id: &str) -> &'static [Concept] {
    let upper = id.trim().to_ascii_uppercase();
    let prefix: String = upper
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let rest = &upper[prefix.len()..];
    if rest.is_empty() || !rest.starts_with(|c: char| c.is_ascii_digit()) {
        return &[];
    }
    match prefix.as_str() {
        "T" => &[Concept::Technique, Concept::Subtechnique],
        "TA" => &[Concept::Tactic],
        "G" => &[Concept::Group],
        "S" => &[Concept::Software],
        "C" => &[Concept::Campaign],
        "M" => &[Concept::Mitigation],
        "DS" => &[Concept::DataSource],
        "DC" => &[Concept::DataComponent],
        "DET" => &[Concept::DetectionStrategy],
        "AN" => &[Concept::Analytic],
        "A" => &[Concept::Asset],
        _ => &[],
    }
}

/// What users call objects of a STIX type: `group` for `intrusion-set`, `software` for
/// `malware` and `tool`, `mitigation` for `course-of-action`...
pub(crate) fn type_word(kind: &ObjectType) -> &str {
    match kind {
        ObjectType::AttackPattern => "technique",
        ObjectType::IntrusionSet => "group",
        ObjectType::Malware | ObjectType::Tool => "software",
        ObjectType::CourseOfAction => "mitigation",
        ObjectType::Campaign => "campaign",
        ObjectType::Tactic => "tactic",
        ObjectType::DataSource => "data source",
        ObjectType::DataComponent => "data component",
        ObjectType::DetectionStrategy => "detection strategy",
        ObjectType::Analytic => "analytic",
        ObjectType::Asset => "asset",
        ObjectType::Matrix => "matrix",
        other => other.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_normalize_to_sortable_strings() {
        assert_eq!(
            normalize_timestamp("2024-01-01").as_deref(),
            Some("2024-01-01T00:00:00.000000000")
        );
        assert_eq!(
            normalize_timestamp("2017-05-31T21:30:19.735Z").as_deref(),
            Some("2017-05-31T21:30:19.735000000")
        );
        assert!(normalize_timestamp("yesterday").is_none());
        assert_eq!(
            normalize_timestamp("2017-05-31T21:30:19.735+00:00"),
            normalize_timestamp("2017-05-31T21:30:19.735Z")
        );
        assert!(normalize_timestamp("2024-1-01").is_none());
    }
}
