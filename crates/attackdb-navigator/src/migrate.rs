//! Carrying a layer to another ATT&CK release: revoked techniques move to their replacement
//! (scores and comments merged, with a note of where they came from), deprecated ones are
//! disabled and commented, per-tactic entries follow the technique's tactics in the target
//! release, and every decision a person should look at (a split, a merge of two scored
//! techniques, a removed tactic, an unknown ID) is listed for review.

use std::collections::BTreeSet;

use attackdb_kb::{Dataset, ObjId, ObjectType, Relation};

use crate::model::{Layer, Technique, Versions, LAYER_VERSION, NAVIGATOR_VERSION};

/// What was done to one annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DecisionKind {
    /// A revoked technique's annotation moved to its replacement.
    Moved,
    /// Two annotations landed on one technique and tactic and were merged.
    Merged,
    /// A deprecated technique's annotation was disabled.
    Disabled,
    /// The annotation's tactic is no longer one of the technique's; it was spread over the
    /// technique's current tactics.
    TacticAdjusted,
    /// The annotation's tactic does not exist in the target release.
    RemovedTactic,
    /// The annotation's tactic was renamed (same tactic, a new shortname: `defense-evasion` is
    /// `stealth` in ATT&CK 19); the annotation follows it, or, when the technique is no longer
    /// in it (it moved to a tactic split off from it), the technique's tactics, for review.
    TacticRenamed,
    /// The technique gained sub-techniques since the source release: the annotation may belong
    /// to some of them.
    Split,
    /// The ID is unknown to the target release (or its replacement is); the annotation was left out.
    Unknown,
}

impl DecisionKind {
    /// A short name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Moved => "moved",
            DecisionKind::Merged => "merged",
            DecisionKind::Disabled => "disabled",
            DecisionKind::TacticAdjusted => "tactic-adjusted",
            DecisionKind::RemovedTactic => "removed-tactic",
            DecisionKind::TacticRenamed => "tactic-renamed",
            DecisionKind::Split => "split",
            DecisionKind::Unknown => "unknown",
        }
    }
}

/// One migration decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// What was done.
    pub kind: DecisionKind,
    /// The technique ID as the source layer had it.
    pub technique: String,
    /// Its tactic in the source layer, if it named one.
    pub tactic: Option<String>,
    /// Where it went: the technique IDs in the migrated layer (empty when left out).
    pub to: Vec<String>,
    /// What happened, in words.
    pub detail: String,
    /// Returns true when a person should check it.
    pub needs_review: bool,
}

/// A migrated layer and the decisions taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    /// The layer for the target release (format 4.5).
    pub layer: Layer,
    /// Every decision, in the order of the source layer's annotations.
    pub decisions: Vec<Decision>,
}

/// The ATT&CK major version a release belongs to (`18.1` -> `18`).
fn major(release: &str) -> &str {
    release.split('.').next().unwrap_or(release)
}

fn append_comment(entry: &mut Technique, note: &str) {
    entry.comment = Some(
        match entry.comment.take().filter(|c| !c.trim().is_empty()) {
            Some(existing) => format!("{existing}\n{note}"),
            None => note.to_string(),
        },
    );
}

/// Tactic shortnames of a technique in the dataset's own kill chain.
fn tactics_of(target: &Dataset, technique: ObjId) -> Vec<String> {
    let kill_chain = target.kill_chain_name();
    target
        .object(technique)
        .kill_chain_phases
        .iter()
        .filter(|p| &*p.kill_chain_name == kill_chain)
        .map(|p| p.phase_name.to_string())
        .collect()
}

/// Migrates `layer` to the release of `target`. `source` is the release the layer was made
/// for, when it is loaded: with it, techniques that gained sub-techniques are flagged, and
/// tactics renamed since are followed. Without it, a layer made for ATT&CK before v7 (or
/// without a version) is taken to predate sub-techniques.
pub fn migrate_layer(layer: &Layer, target: &Dataset, source: Option<&Dataset>) -> Migration {
    migrate_layer_with(layer, target, source, &[])
}

/// [`migrate_layer`], with `earlier`: other releases of the domain (newest first) in which a
/// tactic the layer names and the target release does not know is looked up when `source`
/// does not know it either (a renamed tactic is found by its STIX ID).
pub fn migrate_layer_with(
    layer: &Layer,
    target: &Dataset,
    source: Option<&Dataset>,
    earlier: &[&Dataset],
) -> Migration {
    let history: Vec<&Dataset> = source.into_iter().chain(earlier.iter().copied()).collect();
    let release = target.release().as_str();
    let mut decisions = Vec::new();
    let mut out: Vec<Technique> = Vec::new();
    let known_tactics: BTreeSet<String> = target
        .tactics_in_order()
        .into_iter()
        .filter_map(|t| target.object(t).shortname.as_deref().map(str::to_string))
        .collect();
    for original in &layer.techniques {
        let id = original.technique_id.trim().to_ascii_uppercase();
        let decision = |kind, to: Vec<String>, detail: String, needs_review| Decision {
            kind,
            technique: original.technique_id.clone(),
            tactic: original.tactic.clone(),
            to,
            detail,
            needs_review,
        };
        let Some(found) = target.by_attack_id_typed(&id, &[ObjectType::AttackPattern]) else {
            decisions.push(decision(
                DecisionKind::Unknown,
                Vec::new(),
                format!(
                    "{id} is not a technique of {} {release}; left out",
                    target.domain()
                ),
                true,
            ));
            continue;
        };
        let mut entry = original.clone();
        entry.technique_id = id.clone();
        let mut technique = found;
        if target.object(found).revoked {
            let Some(replacement) = target
                .revoking_object(found)
                .filter(|&r| !target.object(r).revoked)
            else {
                decisions.push(decision(
                    DecisionKind::Unknown,
                    Vec::new(),
                    format!("{id} is revoked in {release} with no replacement; left out"),
                    true,
                ));
                continue;
            };
            technique = replacement;
            let new_id = target.display_id(replacement).to_string();
            append_comment(
                &mut entry,
                &format!(
                    "moved from {id} ({}), revoked by {new_id} in ATT&CK {release}",
                    target.display_name(found)
                ),
            );
            entry.technique_id = new_id.clone();
            decisions.push(decision(
                DecisionKind::Moved,
                vec![new_id.clone()],
                format!(
                    "{id} {} → {new_id} {}",
                    target.display_name(found),
                    target.display_name(replacement)
                ),
                false,
            ));
        }
        if target.object(technique).deprecated {
            entry.enabled = Some(false);
            append_comment(
                &mut entry,
                &format!("deprecated in ATT&CK {release}, no replacement"),
            );
            decisions.push(decision(
                DecisionKind::Disabled,
                vec![entry.technique_id.clone()],
                format!(
                    "{} {} is deprecated in {release}; disabled",
                    entry.technique_id,
                    target.display_name(technique)
                ),
                false,
            ));
        }
        let tactics_now = tactics_of(target, technique);
        let mut entries = vec![entry];
        if let Some(tactic) = original.tactic.as_deref() {
            if !tactics_now.iter().any(|t| t == tactic) && !tactics_now.is_empty() {
                let id_now = entries[0].technique_id.clone();
                let renamed = if known_tactics.contains(tactic) {
                    None
                } else {
                    history.iter().find_map(|&earlier| {
                        target
                            .renamed_tactic(earlier, tactic)
                            .map(|now| (earlier, now))
                    })
                };
                let spread_to: Vec<String> = match renamed {
                    Some((earlier, now)) => {
                        let (decision_made, spread) = renamed_tactic_decision(
                            target,
                            earlier,
                            now,
                            tactic,
                            &id_now,
                            &tactics_now,
                        );
                        decisions.push(decision(
                            DecisionKind::TacticRenamed,
                            vec![id_now.clone()],
                            decision_made.0,
                            decision_made.1,
                        ));
                        spread
                    }
                    None => {
                        let (kind, review) = if known_tactics.contains(tactic) {
                            (DecisionKind::TacticAdjusted, tactics_now.len() > 1)
                        } else {
                            (DecisionKind::RemovedTactic, true)
                        };
                        decisions.push(decision(
                            kind,
                            vec![id_now.clone()],
                            format!(
                                "{id_now} is not in tactic {tactic} in {release}{}; the annotation now applies to {}",
                                if kind == DecisionKind::RemovedTactic { " (no such tactic any more)" } else { "" },
                                tactics_now.join(", ")
                            ),
                            review,
                        ));
                        tactics_now.clone()
                    }
                };
                let template = entries.remove(0);
                for tactic in &spread_to {
                    let mut copy = template.clone();
                    copy.tactic = Some(tactic.clone());
                    entries.push(copy);
                }
            }
        }
        for entry in entries {
            merge_into(&mut out, entry, original, &mut decisions, release);
        }
    }
    flag_splits(layer, target, source, &out, &mut decisions);
    let mut migrated = layer.clone();
    migrated.techniques = out;
    let versions = migrated.versions.get_or_insert_with(Versions::default);
    versions.attack = Some(major(release).to_string());
    versions.layer = Some(LAYER_VERSION.to_string());
    versions.navigator = Some(NAVIGATOR_VERSION.to_string());
    Migration {
        layer: migrated,
        decisions,
    }
}

/// What to say and where the annotation goes when its tactic `old` (a shortname of
/// `earlier`) is tactic `now` of `target` under another shortname: `((detail, needs review),
/// tactics)`. The annotation follows the tactic when the technique is in it (for review when
/// the technique also sits under a tactic `earlier` did not have); otherwise it goes to the
/// technique's tactics, for review.
fn renamed_tactic_decision(
    target: &Dataset,
    earlier: &Dataset,
    now: ObjId,
    old: &str,
    technique: &str,
    tactics_now: &[String],
) -> ((String, bool), Vec<String>) {
    let release = target.release().as_str();
    let new_short = target.object(now).shortname.as_deref().unwrap_or("");
    let fresh: Vec<String> = target
        .tactics_new_since(earlier)
        .into_iter()
        .filter_map(|t| target.object(t).shortname.as_deref().map(str::to_string))
        .filter(|t| tactics_now.contains(t))
        .collect();
    let named = |shortname: &str| match target.tactic_by_shortname(shortname) {
        Some(t) => format!(
            "{shortname} ({} {})",
            target.display_id(t),
            target.display_name(t)
        ),
        None => shortname.to_string(),
    };
    let renamed = format!(
        "tactic {old} ({} {} in {}) is {} in {release}",
        target.display_id(now),
        earlier
            .tactic_by_shortname(old)
            .map_or(old, |t| earlier.display_name(t)),
        earlier.release(),
        named(new_short)
    );
    let fresh_named: Vec<String> = fresh.iter().map(|t| named(t)).collect();
    if tactics_now.iter().any(|t| t == new_short) {
        let mut detail = format!("{renamed}; the annotation now applies to {new_short}");
        if !fresh.is_empty() {
            detail.push_str(&format!(
                "; {technique} also sits under {}, new since {}: decide whether the annotation belongs there too",
                fresh_named.join(", "),
                earlier.release()
            ));
        }
        ((detail, !fresh.is_empty()), vec![new_short.to_string()])
    } else {
        let now_named: Vec<String> = tactics_now.iter().map(|t| named(t)).collect();
        let detail = format!(
            "{renamed}, but {technique} is not in it: it now sits under {}{}; the annotation now applies to {}",
            now_named.join(", "),
            if fresh.is_empty() {
                String::new()
            } else {
                format!(" (split off since {})", earlier.release())
            },
            tactics_now.join(", ")
        );
        ((detail, true), tactics_now.to_vec())
    }
}

/// Adds `entry`, merging it into an earlier annotation of the same technique and tactic.
fn merge_into(
    out: &mut Vec<Technique>,
    entry: Technique,
    original: &Technique,
    decisions: &mut Vec<Decision>,
    release: &str,
) {
    let same = out.iter_mut().find(|e| {
        e.technique_id.eq_ignore_ascii_case(&entry.technique_id) && e.tactic == entry.tactic
    });
    let Some(existing) = same else {
        out.push(entry);
        return;
    };
    let both_scored = matches!((existing.score, entry.score), (Some(a), Some(b)) if a != b);
    let detail = match (existing.score, entry.score) {
        (Some(a), Some(b)) if a != b => format!(
            "{} {}: scores {a} and {b} met in {release}; kept the higher, {}",
            entry.technique_id,
            entry.tactic.as_deref().unwrap_or("every tactic"),
            a.max(b)
        ),
        _ => format!(
            "{} {}: two annotations met in {release}; comments joined",
            entry.technique_id,
            entry.tactic.as_deref().unwrap_or("every tactic")
        ),
    };
    existing.score = match (existing.score, entry.score) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    if let Some(comment) = entry.comment.as_deref().filter(|c| !c.trim().is_empty()) {
        if existing.comment.as_deref() != Some(comment) {
            append_comment(existing, comment);
        }
    }
    if existing.color.is_none() {
        existing.color = entry.color.clone();
    }
    // Disabled only when both were: an enabled annotation keeps the merged one visible.
    existing.enabled = match (existing.enabled, entry.enabled) {
        (Some(false), Some(false)) => Some(false),
        (Some(false), other) | (other, Some(false)) => other.or(Some(true)),
        (a, b) => a.or(b),
    };
    existing.metadata.extend(entry.metadata.iter().cloned());
    existing.links.extend(entry.links.iter().cloned());
    decisions.push(Decision {
        kind: DecisionKind::Merged,
        technique: original.technique_id.clone(),
        tactic: original.tactic.clone(),
        to: vec![entry.technique_id.clone()],
        detail,
        needs_review: both_scored,
    });
}

/// Flags annotated techniques that gained sub-techniques since the layer's release.
fn flag_splits(
    layer: &Layer,
    target: &Dataset,
    source: Option<&Dataset>,
    out: &[Technique],
    decisions: &mut Vec<Decision>,
) {
    let layer_major: Option<u64> = layer
        .versions
        .as_ref()
        .and_then(|v| v.attack.as_deref())
        .and_then(|a| major(a).trim().trim_start_matches('v').parse().ok());
    let predates_subtechniques = layer_major.is_none_or(|m| m < 7);
    let mut seen = BTreeSet::new();
    for entry in out {
        if entry.technique_id.contains('.') || !seen.insert(entry.technique_id.clone()) {
            continue;
        }
        let Some(technique) =
            target.by_attack_id_typed(&entry.technique_id, &[ObjectType::AttackPattern])
        else {
            continue;
        };
        let subs_now = target.related(Relation::SubtechniquesOfTechnique, technique);
        if subs_now.is_empty() {
            continue;
        }
        let new_subs: Vec<String> = match source {
            Some(source) => {
                let stix_id = &target.object(technique).id;
                let before: BTreeSet<String> = source
                    .by_stix_id(stix_id)
                    .map(|t| source.related(Relation::SubtechniquesOfTechnique, t))
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| source.object(s).id.to_string())
                    .collect();
                subs_now
                    .iter()
                    .filter(|&&s| !before.contains(&*target.object(s).id))
                    .map(|&s| target.display_id(s).to_string())
                    .collect()
            }
            None if predates_subtechniques => subs_now
                .iter()
                .map(|&s| target.display_id(s).to_string())
                .collect(),
            None => Vec::new(),
        };
        if new_subs.is_empty() {
            continue;
        }
        decisions.push(Decision {
            kind: DecisionKind::Split,
            technique: entry.technique_id.clone(),
            tactic: entry.tactic.clone(),
            to: new_subs.clone(),
            detail: format!(
                "{} {} has sub-techniques the layer's release did not have ({}): decide which the annotation applies to",
                entry.technique_id,
                target.display_name(technique),
                new_subs.join(", ")
            ),
            needs_review: true,
        });
    }
}

/// Every layer of a file carried to release `to`: the migrated layers, the source release each
/// was read as, and every decision with its layer's path.
#[derive(Debug, Clone)]
pub struct FileMigration {
    /// The migrated layers, in file order.
    pub layers: Vec<Layer>,
    /// The source release of each layer.
    pub sources: Vec<crate::answer::MigrationSource>,
    /// Every decision, with the path of its layer in the file.
    pub decisions: Vec<(String, Decision)>,
    /// The warnings found reading the layers (as `layer validate` reports them; errors refuse
    /// the file instead).
    pub warnings: Vec<crate::problem::Problem>,
}

/// The domains of the layers of `file` (each must be one of ATT&CK's), in order, without
/// repeats; the error names the layer.
pub fn layer_domains(
    file: &crate::read::LayerFile,
) -> crate::problem::Result<Vec<attackdb_kb::Domain>> {
    let mut domains = Vec::new();
    for read in &file.layers {
        let domain = read
            .layer
            .domain
            .parse::<attackdb_kb::Domain>()
            .map_err(|e| crate::problem::Error::Generate(format!("layer {}: {e}", read.path)))?;
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    Ok(domains)
}

/// Carries every layer of `file` to release `to` of its domain in `kb`; a file with an invalid
/// layer is refused ([`crate::problem::Error::Invalid`]), its warnings are kept. Each layer's source
/// release is `from` if given, else its `versions.attack` (`8`, `8.2`: that release, or the
/// newest loaded of that major version), when loaded.
pub fn migrate_file(
    file: &crate::read::LayerFile,
    kb: &attackdb_kb::Kb,
    to: &attackdb_kb::Release,
    from: Option<&str>,
) -> std::result::Result<FileMigration, MigrateFileError> {
    if file.layers.is_empty() {
        return Err(MigrateFileError::Layer(crate::problem::Error::Generate(
            "no layer in the file".to_string(),
        )));
    }
    // A layer with errors (a score that is not a number, colours that are not colours) is
    // refused, as `layer upgrade` refuses it: migrating it would drop what it says silently.
    if let Some(invalid) = file.layers.iter().find(|l| !l.is_valid()) {
        return Err(MigrateFileError::Layer(crate::problem::Error::Invalid {
            layer: invalid.path.clone(),
            problems: invalid.errors().cloned().collect(),
        }));
    }
    let mut migration = FileMigration {
        layers: Vec::new(),
        sources: Vec::new(),
        decisions: Vec::new(),
        warnings: file
            .layers
            .iter()
            .flat_map(|l| &l.problems)
            .filter(|p| p.severity == crate::problem::Severity::Warning)
            .cloned()
            .collect(),
    };
    for read in &file.layers {
        let domain = read
            .layer
            .domain
            .parse::<attackdb_kb::Domain>()
            .map_err(|e| {
                MigrateFileError::Layer(crate::problem::Error::Generate(format!(
                    "layer {}: {e}",
                    read.path
                )))
            })?;
        let target = kb.select(domain, Some(to))?;
        let wanted = from
            .map(str::to_string)
            .or_else(|| read.layer.versions.as_ref().and_then(|v| v.attack.clone()));
        let source = wanted
            .as_deref()
            .and_then(|w| kb.release_named(target.domain(), w));
        migration.sources.push(crate::answer::MigrationSource {
            layer: read.path.clone(),
            from: source.map(|s| s.release().to_string()),
            asked: wanted,
        });
        let earlier: Vec<&Dataset> = kb
            .releases(target.domain())
            .rev()
            .filter(|d| d.release() < target.release())
            .collect();
        let done = migrate_layer_with(&read.layer, target, source, &earlier);
        migration
            .decisions
            .extend(done.decisions.into_iter().map(|d| (read.path.clone(), d)));
        migration.layers.push(done.layer);
    }
    Ok(migration)
}

/// Why a file could not be migrated.
#[derive(Debug, thiserror::Error)]
pub enum MigrateFileError {
    /// A layer of the file cannot be migrated (no layer, a domain that is not ATT&CK's).
    #[error(transparent)]
    Layer(crate::problem::Error),
    /// The target release is not loaded.
    #[error(transparent)]
    Kb(#[from] attackdb_kb::Error),
}
