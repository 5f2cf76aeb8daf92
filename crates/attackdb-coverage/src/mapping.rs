//! Mapping rules onto one ATT&CK release: IDs normalised (case, whitespace, `attack.` prefixes),
//! revoked techniques replaced by the technique that revoked them, deprecated ones kept and
//! flagged, unknown IDs and tactics listed; tactic tags narrow a technique to those tactics.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use attackdb_kb::{Concept, Dataset, ObjId, ObjectType, Visibility};

use crate::rule::Rule;

/// The scope of a coverage question, built once: the release's tactics in order, each
/// technique's tactics, and the techniques in scope (live, and of the platform if one is
/// given).
#[derive(Debug, Clone)]
pub struct Scope {
    /// Live tactics, in matrix order.
    pub tactics: Vec<ObjId>,
    /// Per technique or sub-technique (live or not): its tactics, in matrix order.
    pub tactics_of: HashMap<ObjId, Vec<ObjId>>,
    /// Live techniques (not sub-techniques) in scope, by ID.
    pub techniques: Vec<ObjId>,
    /// Live sub-techniques in scope, by ID.
    pub subtechniques: Vec<ObjId>,
    /// The platform the scope is limited to, if any (as the release spells it).
    pub platform: Option<String>,
}

impl Scope {
    /// The scope of `dataset`, limited to `platform` (case-insensitive) if given.
    pub fn new(dataset: &Dataset, platform: Option<&str>) -> Scope {
        let tactics = dataset.tactics_in_order();
        let mut tactics_of: HashMap<ObjId, Vec<ObjId>> = HashMap::new();
        for &tactic in &tactics {
            let Some(shortname) = dataset.object(tactic).shortname.as_deref() else {
                continue;
            };
            for technique in dataset.techniques_by_tactic(shortname, Visibility::ALL) {
                tactics_of.entry(technique).or_default().push(tactic);
            }
        }
        let in_scope = |concept: Concept| -> Vec<ObjId> {
            match platform {
                Some(p) => dataset.by_platform(&[concept], p, Visibility::LIVE),
                None => dataset.list(concept, Visibility::LIVE),
            }
        };
        let platform = platform.map(|p| {
            dataset
                .platforms()
                .into_iter()
                .find(|known| known.eq_ignore_ascii_case(p.trim()))
                .unwrap_or(p.trim())
                .to_string()
        });
        Scope {
            techniques: in_scope(Concept::Technique),
            subtechniques: in_scope(Concept::Subtechnique),
            tactics,
            tactics_of,
            platform,
        }
    }

    /// The tactics of `technique` (empty if it has none in this domain's kill chain).
    pub fn tactics_of(&self, technique: ObjId) -> &[ObjId] {
        self.tactics_of.get(&technique).map_or(&[], Vec::as_slice)
    }
}

/// One technique a rule covers, after mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The technique or sub-technique (a revoked one's replacement).
    pub technique: ObjId,
    /// The tactics it is covered under (a subset of its tactics; all of them unless narrowed).
    pub tactics: Vec<ObjId>,
    /// The reference's explicit score, if any.
    pub score: Option<f64>,
}

/// What an unknown ID was taken to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UnknownKind {
    /// A technique ID (`T1685`).
    Technique,
    /// A tactic (`attack.stealth`).
    Tactic,
    /// A group, software, campaign or other object ID (`G9999`).
    Object,
}

impl UnknownKind {
    /// `technique`, `tactic` or `object`.
    pub fn as_str(self) -> &'static str {
        match self {
            UnknownKind::Technique => "technique",
            UnknownKind::Tactic => "tactic",
            UnknownKind::Object => "object",
        }
    }
}

/// Rules mapped onto a release.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    /// Per rule (same index as the rules): the techniques it covers, without repeats.
    pub hits: Vec<Vec<Hit>>,
    /// Unknown IDs and tactics (normalised) -> what they looked like and the rules naming them.
    pub unknown: BTreeMap<String, (UnknownKind, BTreeSet<usize>)>,
    /// Revoked technique IDs -> the ID of the technique now in their place.
    pub revoked: BTreeMap<String, String>,
    /// Deprecated technique IDs -> the rules naming them (they are counted, and flagged).
    pub deprecated: BTreeMap<String, BTreeSet<usize>>,
    /// Tactic names (normalised) this release no longer has -> the shortnames of the tactics
    /// in their place, which the rules naming them are read as (`defense-evasion` ->
    /// `stealth`, `defense-impairment` on ATT&CK 19).
    pub renamed_tactics: BTreeMap<String, Vec<String>>,
    /// One line per problem worth a warning (revoked IDs, renamed tactics, tactics that do not
    /// fit).
    pub warnings: Vec<String>,
}

impl Mapping {
    /// Returns true if and only if rule `rule` covers at least one technique.
    pub fn is_mapped(&self, rule: usize) -> bool {
        self.hits.get(rule).is_some_and(|h| !h.is_empty())
    }
}

/// `attack.t1059.001`, ` T1059.001 `, `t1059.001` -> `T1059.001`: trimmed, quotes and an
/// `attack.` / `attack:` / `mitre.` prefix removed, upper case.
pub fn normalize_id(raw: &str) -> String {
    let trimmed = raw.trim().trim_matches(['"', '\'']).trim();
    let lower = trimmed.to_ascii_lowercase();
    let rest = ["attack.", "attack:", "mitre.", "mitre-attack."]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .map_or(trimmed, |rest| &trimmed[trimmed.len() - rest.len()..]);
    rest.trim().to_ascii_uppercase()
}

/// `attack.defense_evasion`, `Defense Evasion`, `defense-evasion` -> `defense-evasion`.
pub fn normalize_tactic(raw: &str) -> String {
    let lower = raw.trim().to_ascii_lowercase();
    let rest = lower.strip_prefix("attack.").unwrap_or(&lower);
    rest.trim().replace(['_', ' '], "-")
}

/// Returns true if and only if `id` (normalised) looks like a technique ID.
fn looks_like_technique(id: &str) -> bool {
    let Some(digits) = id.strip_prefix('T') else {
        return false;
    };
    let (main, sub) = digits.split_once('.').unwrap_or((digits, ""));
    main.len() == 4
        && main.bytes().all(|b| b.is_ascii_digit())
        && (sub.is_empty() || (sub.len() == 3 && sub.bytes().all(|b| b.is_ascii_digit())))
}

/// Resolves tactic names to tactics; each cached.
struct Tactics<'a> {
    dataset: &'a Dataset,
    cache: HashMap<String, Resolved>,
}

/// What a tactic name resolved to.
#[derive(Debug, Clone)]
enum Resolved {
    /// A tactic of the release.
    Tactic(ObjId),
    /// A tactic this release no longer has, with the tactics that took its place.
    Renamed(Vec<ObjId>),
    /// Nothing.
    Unknown,
}

impl Tactics<'_> {
    fn resolve(&mut self, raw: &str) -> (String, Resolved) {
        let key = normalize_tactic(raw);
        if let Some(found) = self.cache.get(&key) {
            return (key, found.clone());
        }
        let found = match resolve_tactic(self.dataset, raw, &key) {
            Some(tactic) => Resolved::Tactic(tactic),
            None => match self.dataset.successor_tactics(&key, &[]) {
                now if now.is_empty() => Resolved::Unknown,
                now => Resolved::Renamed(now),
            },
        };
        self.cache.insert(key.clone(), found.clone());
        (key, found)
    }

    /// The tactics the names `raws` (of rule `rule`) stand for, without repeats; unknown and
    /// renamed names noted in `mapping`.
    fn take(
        &mut self,
        raws: &[String],
        mapping: &mut Mapping,
        renamed_refs: &mut BTreeMap<String, BTreeSet<usize>>,
        rule: usize,
    ) -> Vec<ObjId> {
        let mut into: Vec<ObjId> = Vec::new();
        for raw in raws {
            let (key, found) = self.resolve(raw);
            match found {
                Resolved::Tactic(tactic) => into.push(tactic),
                Resolved::Renamed(now) => {
                    for t in &now {
                        if !into.contains(t) {
                            into.push(*t);
                        }
                    }
                    renamed_refs.entry(key.clone()).or_default().insert(rule);
                    let dataset = self.dataset;
                    mapping.renamed_tactics.entry(key).or_insert_with(|| {
                        now.iter()
                            .map(|&t| {
                                let short = dataset.object(t).shortname.as_deref();
                                short.unwrap_or(dataset.display_id(t)).to_string()
                            })
                            .collect()
                    });
                }
                Resolved::Unknown => note_unknown(mapping, key, UnknownKind::Tactic, rule),
            }
        }
        into
    }
}

/// The tactic `raw` names (normalised as `key`): by shortname, ATT&CK ID or name.
pub(crate) fn resolve_tactic(dataset: &Dataset, raw: &str, key: &str) -> Option<ObjId> {
    dataset.tactic_by_shortname(key).or_else(|| {
        dataset
            .by_attack_id_typed(key, &[ObjectType::Tactic])
            .or_else(|| {
                dataset
                    .by_name(raw)
                    .iter()
                    .copied()
                    .find(|&o| dataset.concept(o) == Some(Concept::Tactic))
            })
    })
}

/// Maps every rule onto `dataset`.
pub fn map_rules(dataset: &Dataset, matrix: &Scope, rules: &[Rule]) -> Mapping {
    let mut mapping = Mapping::default();
    let mut tactics = Tactics {
        dataset,
        cache: HashMap::new(),
    };
    let mut techniques: HashMap<String, Option<(ObjId, Option<String>)>> = HashMap::new();
    let mut revoked_rules: BTreeMap<String, usize> = BTreeMap::new();
    let mut misfits: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut renamed_refs: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (index, rule) in rules.iter().enumerate() {
        let rule_tactics = tactics.take(&rule.tactics, &mut mapping, &mut renamed_refs, index);
        for raw in &rule.objects {
            let id = normalize_id(raw);
            if dataset.by_attack_id(&id).is_empty() {
                note_unknown(&mut mapping, id, UnknownKind::Object, index);
            }
        }
        let mut hits: Vec<Hit> = Vec::new();
        for reference in &rule.techniques {
            let id = normalize_id(&reference.id);
            let resolved = techniques
                .entry(id.clone())
                .or_insert_with(|| resolve_technique(dataset, &id))
                .clone();
            let Some((technique, replaced)) = resolved else {
                note_unknown(&mut mapping, id, UnknownKind::Technique, index);
                continue;
            };
            if let Some(replacement) = replaced {
                mapping.revoked.insert(id.clone(), replacement);
                *revoked_rules.entry(id.clone()).or_default() += 1;
            } else if !dataset.is_live(technique) {
                mapping
                    .deprecated
                    .entry(id.clone())
                    .or_default()
                    .insert(index);
            }
            let mut wanted =
                tactics.take(&reference.tactics, &mut mapping, &mut renamed_refs, index);
            let own_tactics = matrix.tactics_of(technique);
            let explicit = !wanted.is_empty();
            if !explicit {
                wanted = rule_tactics.clone();
            }
            let mut covered: Vec<ObjId> = own_tactics
                .iter()
                .copied()
                .filter(|t| wanted.contains(t))
                .collect();
            if covered.is_empty() {
                if explicit {
                    let tactic_names: Vec<&str> =
                        wanted.iter().map(|&t| dataset.display_name(t)).collect();
                    *misfits
                        .entry((
                            dataset.display_id(technique).to_string(),
                            tactic_names.join(", "),
                        ))
                        .or_default() += 1;
                }
                covered = own_tactics.to_vec();
            }
            match hits.iter_mut().find(|h| h.technique == technique) {
                Some(hit) => {
                    for tactic in covered {
                        if !hit.tactics.contains(&tactic) {
                            hit.tactics.push(tactic);
                        }
                    }
                    hit.tactics
                        .sort_by_key(|t| own_tactics.iter().position(|o| o == t));
                    hit.score = match (hit.score, reference.score) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                }
                None => hits.push(Hit {
                    technique,
                    tactics: covered,
                    score: reference.score,
                }),
            }
        }
        mapping.hits.push(hits);
    }
    for (id, count) in revoked_rules {
        if let Some(replacement) = mapping.revoked.get(&id) {
            mapping.warnings.push(format!(
                "{id} is revoked in {} {}: counted as {replacement} ({count} reference{})",
                dataset.domain(),
                dataset.release(),
                if count == 1 { "" } else { "s" }
            ));
        }
    }
    for (id, rules) in &mapping.deprecated {
        mapping.warnings.push(format!(
            "{id} is deprecated in {} {}: counted, but it is no longer in the matrix ({} rule{})",
            dataset.domain(),
            dataset.release(),
            rules.len(),
            if rules.len() == 1 { "" } else { "s" }
        ));
    }
    for (old, rules) in renamed_refs {
        let Some(now) = mapping.renamed_tactics.get(&old) else {
            continue;
        };
        mapping.warnings.push(format!(
            "tactic {old} is not in {} {}: read as {}, the tactics in its place ({} rule{})",
            dataset.domain(),
            dataset.release(),
            now.join(", "),
            rules.len(),
            if rules.len() == 1 { "" } else { "s" }
        ));
    }
    for ((technique, wanted), count) in misfits {
        mapping.warnings.push(format!(
            "{technique} is not in tactic {wanted}: counted under all its tactics ({count} reference{})",
            if count == 1 { "" } else { "s" }
        ));
    }
    mapping
}

fn note_unknown(mapping: &mut Mapping, id: String, kind: UnknownKind, rule: usize) {
    mapping
        .unknown
        .entry(id)
        .or_insert_with(|| (kind, BTreeSet::new()))
        .1
        .insert(rule);
}

/// The technique `id` names: itself, or for a revoked one the technique that replaces it (with
/// its ID). `None` when the release has no such technique (or a revoked one without
/// replacement), or when `id` is not a technique ID at all.
fn resolve_technique(dataset: &Dataset, id: &str) -> Option<(ObjId, Option<String>)> {
    if !looks_like_technique(id) {
        return None;
    }
    let technique = dataset.by_attack_id_typed(id, &[ObjectType::AttackPattern])?;
    if !dataset.object(technique).revoked {
        return Some((technique, None));
    }
    let replacement = dataset.revoking_object(technique)?;
    let valid = dataset.is_kind(replacement, &[ObjectType::AttackPattern])
        && !dataset.object(replacement).revoked;
    valid.then(|| {
        (
            replacement,
            Some(dataset.display_id(replacement).to_string()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_tactics_normalise() {
        assert_eq!(normalize_id("attack.t1059.001"), "T1059.001");
        assert_eq!(normalize_id("  T1003 "), "T1003");
        assert_eq!(normalize_id("ATTACK.T1105"), "T1105");
        assert_eq!(normalize_id("'t1105'"), "T1105");
        assert_eq!(
            normalize_tactic("attack.defense_evasion"),
            "defense-evasion"
        );
        assert_eq!(normalize_tactic("Defense Evasion"), "defense-evasion");
        assert!(looks_like_technique("T1059.001"));
        assert!(!looks_like_technique("T105"));
        assert!(!looks_like_technique("TA0001"));
    }
}
