//! Typed answers: the shapes every front end serialises for the knowledge base's questions
//! (the CLI's `--json`, the REST API, the web pages), so they cannot drift apart. Each is built
//! from a [`Dataset`] by a constructor here; field names are the JSON keys.
//!
//! Serialise them through [`to_json_pretty`], which writes every map with sorted keys (as the
//! CLI always has), whatever the field order of a type.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::concept::{Concept, Visibility};
use crate::dataset::{kind_name, Dataset, ObjId};
use crate::family::Relation;
use crate::kb::Kb;
use crate::matrix::{Matrix, MatrixOptions};
use crate::search::SearchHit;

/// `value` as pretty JSON with sorted keys and a final newline: the text every front end
/// prints.
pub fn to_json_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let value = serde_json::to_value(value)?;
    let mut text = serde_json::to_string_pretty(&value)?;
    text.push('\n');
    Ok(text)
}

/// One object in a list (`list`, `search`).
#[derive(Debug, Clone, Serialize)]
pub struct ObjectSummary {
    /// ATT&CK ID, if it has one.
    pub attack_id: Option<String>,
    /// STIX ID.
    pub stix_id: String,
    /// Name.
    pub name: Option<String>,
    /// STIX type.
    #[serde(rename = "type")]
    pub stix_type: String,
    /// Kind as users say it (`technique`, `group`...).
    pub kind: String,
    /// Whether it is revoked.
    pub revoked: bool,
    /// Whether it is deprecated.
    pub deprecated: bool,
    /// Its platforms, when it has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platforms: Option<Vec<String>>,
    /// Its tactics (kill chain phase names), when it has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tactics: Option<Vec<String>>,
    /// Its aliases, when it has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aliases: Option<Vec<String>>,
}

impl ObjectSummary {
    /// The summary of `id`.
    pub fn of(dataset: &Dataset, id: ObjId) -> ObjectSummary {
        let object = dataset.object(id);
        let strings = |list: &[Box<str>]| -> Option<Vec<String>> {
            (!list.is_empty()).then(|| list.iter().map(|s| s.to_string()).collect())
        };
        let tactics: Vec<String> = object
            .kill_chain_phases
            .iter()
            .map(|p| p.phase_name.to_string())
            .collect();
        ObjectSummary {
            attack_id: object.attack_id().map(str::to_string),
            stix_id: object.id.to_string(),
            name: object.name.as_deref().map(str::to_string),
            stix_type: object.kind.as_str().to_string(),
            kind: kind_name(dataset, id),
            revoked: object.revoked,
            deprecated: object.deprecated,
            platforms: strings(&object.platforms),
            tactics: (!tactics.is_empty()).then_some(tactics),
            aliases: strings(&object.aliases),
        }
    }
}

/// One search result.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    /// The object.
    #[serde(flatten)]
    pub object: ObjectSummary,
    /// Higher is better.
    pub score: u32,
    /// Where the best match was: `id`, `name`, `alias` or `description`.
    pub matched: &'static str,
}

impl SearchResult {
    /// The result for `hit`.
    pub fn of(dataset: &Dataset, hit: &SearchHit) -> SearchResult {
        SearchResult {
            object: ObjectSummary::of(dataset, hit.object),
            score: hit.score,
            matched: hit.matched,
        }
    }
}

/// An object named by its display ID and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    /// ATT&CK ID, else STIX ID.
    pub id: String,
    /// Name, else STIX ID.
    pub name: String,
}

impl Named {
    /// `id` by display ID and name.
    pub fn of(dataset: &Dataset, id: ObjId) -> Named {
        Named {
            id: dataset.display_id(id).to_string(),
            name: dataset.display_name(id).to_string(),
        }
    }
}

/// A tactic at the head of a matrix column.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixTactic {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Shortname (`credential-access`).
    pub shortname: Option<String>,
}

/// A technique cell of a matrix column.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixTechnique {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Its sub-techniques, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtechniques: Option<Vec<Named>>,
}

/// One matrix column (`matrix --json` is a list of these).
#[derive(Debug, Clone, Serialize)]
pub struct MatrixColumnAnswer {
    /// The tactic.
    pub tactic: MatrixTactic,
    /// Its techniques.
    pub techniques: Vec<MatrixTechnique>,
}

/// The matrix as `matrix --json` prints it.
pub fn matrix_answer(
    dataset: &Dataset,
    matrix: &Matrix,
    options: &MatrixOptions,
) -> Vec<MatrixColumnAnswer> {
    matrix
        .columns
        .iter()
        .map(|column| MatrixColumnAnswer {
            tactic: MatrixTactic {
                id: dataset.display_id(column.tactic).to_string(),
                name: dataset.display_name(column.tactic).to_string(),
                shortname: dataset
                    .object(column.tactic)
                    .shortname
                    .as_deref()
                    .map(str::to_string),
            },
            techniques: column
                .rows
                .iter()
                .map(|row| {
                    let named = Named::of(dataset, row.technique);
                    MatrixTechnique {
                        id: named.id,
                        name: named.name,
                        subtechniques: options.subtechniques.then(|| {
                            row.subtechniques
                                .iter()
                                .map(|&s| Named::of(dataset, s))
                                .collect()
                        }),
                    }
                })
                .collect(),
        })
        .collect()
}

/// Live and total counts of one kind.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Counts {
    /// Neither revoked nor deprecated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<usize>,
    /// Everything.
    pub all: usize,
}

/// One entry of a release's `stats`: the counts of a kind, or the load's diagnostics.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum StatsEntry {
    /// Counts of one kind.
    Counts(Counts),
    /// What was found odd while loading the release (only when something was).
    Diagnostics(Vec<DiagnosticAnswer>),
}

/// A load diagnostic, as `stats --json` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct DiagnosticAnswer {
    /// What kind (`repeated STIX ID`, `dangling relationship`, `bundle skipped`...).
    pub kind: &'static str,
    /// Whether it is a problem of the data (else a note on what was read).
    pub problem: bool,
    /// The file it is about.
    pub file: String,
    /// What was found (without the file).
    pub message: String,
}

impl DiagnosticAnswer {
    /// The answer for `diagnostic`.
    pub fn of(diagnostic: &attackdb_stix::Diagnostic) -> DiagnosticAnswer {
        DiagnosticAnswer {
            kind: diagnostic.kind.label(),
            problem: diagnostic.kind.is_problem(),
            file: diagnostic.path.display().to_string(),
            message: diagnostic.kind.to_string(),
        }
    }
}

/// `stats --json`: domain -> release -> kind (`techniques`..., `relationships`, `objects`) ->
/// counts, and `diagnostics` when the release's load found something odd (its own problems and
/// the bundles skipped in its favour).
pub type StatsAnswer = BTreeMap<String, BTreeMap<String, BTreeMap<String, StatsEntry>>>;

/// The counts of every loaded dataset.
pub fn stats_answer(kb: &Kb) -> StatsAnswer {
    let mut root: StatsAnswer = BTreeMap::new();
    for dataset in kb.datasets() {
        let mut kinds = BTreeMap::new();
        for concept in Concept::ALL {
            kinds.insert(
                concept.plural().to_string(),
                StatsEntry::Counts(Counts {
                    live: Some(dataset.list(concept, Visibility::LIVE).len()),
                    all: dataset.list(concept, Visibility::ALL).len(),
                }),
            );
        }
        kinds.insert(
            "relationships".into(),
            StatsEntry::Counts(Counts {
                live: None,
                all: dataset.links().len(),
            }),
        );
        kinds.insert(
            "objects".into(),
            StatsEntry::Counts(Counts {
                live: None,
                all: dataset.objects().len(),
            }),
        );
        let path = &dataset.bundle().path;
        let found: Vec<DiagnosticAnswer> = dataset
            .diagnostics()
            .iter()
            .chain(kb.load_diagnostics().filter(|d| {
                matches!(&d.kind, attackdb_stix::DiagnosticKind::Shadowed { kept } if kept == path)
            }))
            .map(DiagnosticAnswer::of)
            .collect();
        if !found.is_empty() {
            kinds.insert("diagnostics".into(), StatsEntry::Diagnostics(found));
        }
        root.entry(dataset.domain().to_string())
            .or_default()
            .insert(dataset.release().to_string(), kinds);
    }
    root
}

/// One relationship family of an object, as its summary lists it.
#[derive(Debug, Clone, Serialize)]
pub struct RelatedFamily {
    /// The family (`techniques_used_by_group`).
    pub relation: &'static str,
    /// The related objects, sorted by display ID.
    pub objects: Vec<Named>,
}

/// Every relationship family that has `id` as its key and is not empty, in family order.
pub fn related_answer(dataset: &Dataset, id: ObjId) -> Vec<RelatedFamily> {
    let kind = &dataset.object(id).kind;
    Relation::ALL
        .into_iter()
        .filter(|relation| relation.key_types().contains(kind))
        .filter_map(|relation| {
            let related = dataset.related(relation, id);
            (!related.is_empty()).then(|| RelatedFamily {
                relation: relation.name(),
                objects: related.iter().map(|&r| Named::of(dataset, r)).collect(),
            })
        })
        .collect()
}

/// A log source an analytic reads.
#[derive(Debug, Clone, Serialize)]
pub struct LogSourceAnswer {
    /// The data component, if it is in the release.
    pub data_component: Option<Named>,
    /// The STIX ID of the data component as the analytic names it.
    pub data_component_ref: String,
    /// Log source name (`WinEventLog:Security`).
    pub name: String,
    /// Channel (`EventCode=4688`), if any.
    pub channel: Option<String>,
}

/// An analytic of a detection strategy.
#[derive(Debug, Clone, Serialize)]
pub struct AnalyticAnswer {
    /// The analytic.
    #[serde(flatten)]
    pub analytic: Named,
    /// Its platforms.
    pub platforms: Vec<String>,
    /// The log sources it reads.
    pub log_sources: Vec<LogSourceAnswer>,
}

/// A detection strategy with its analytics.
#[derive(Debug, Clone, Serialize)]
pub struct StrategyAnswer {
    /// The detection strategy.
    #[serde(flatten)]
    pub strategy: Named,
    /// Its live analytics, in the strategy's order.
    pub analytics: Vec<AnalyticAnswer>,
}

/// The analytic `id` with its log sources.
pub fn analytic_answer(dataset: &Dataset, id: ObjId) -> AnalyticAnswer {
    let object = dataset.object(id);
    AnalyticAnswer {
        analytic: Named::of(dataset, id),
        platforms: object.platforms.iter().map(|p| p.to_string()).collect(),
        log_sources: object
            .log_source_references
            .iter()
            .map(|r| LogSourceAnswer {
                data_component: dataset
                    .by_stix_id(&r.data_component_ref)
                    .map(|d| Named::of(dataset, d)),
                data_component_ref: r.data_component_ref.to_string(),
                name: r.name.to_string(),
                channel: r.channel.as_deref().map(str::to_string),
            })
            .collect(),
    }
}

/// The detection of an object: for a technique its detection strategies with their analytics;
/// for a detection strategy its analytics; for an analytic itself. Empty for other objects.
pub fn detection_answer(dataset: &Dataset, id: ObjId) -> Vec<StrategyAnswer> {
    use attackdb_stix::ObjectType;
    let strategy = |s: ObjId| StrategyAnswer {
        strategy: Named::of(dataset, s),
        analytics: dataset
            .analytics_of_strategy(s)
            .into_iter()
            .map(|a| analytic_answer(dataset, a))
            .collect(),
    };
    match dataset.object(id).kind {
        ObjectType::AttackPattern => dataset
            .detection_chain(id)
            .strategies
            .iter()
            .map(|s| strategy(s.strategy))
            .collect(),
        ObjectType::DetectionStrategy => vec![strategy(id)],
        _ => Vec::new(),
    }
}

/// A `list` question: a kind, maybe a platform and a tactic, and which objects count.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// `techniques`, `groups`... (see [`Concept::parse`]).
    pub kind: String,
    /// Only objects of this platform.
    pub platform: Option<String>,
    /// Only techniques of this tactic (shortname, name or TA ID).
    pub tactic: Option<String>,
    /// Which objects count.
    pub visibility: Visibility,
}

/// The objects a `list` question names, sorted by display ID (tactics in matrix order).
pub fn list_objects(dataset: &Dataset, query: &ListQuery) -> crate::Result<(Concept, Vec<ObjId>)> {
    let Some(concept) = Concept::parse(&query.kind) else {
        let kinds: Vec<&str> = Concept::ALL.iter().map(|c| c.plural()).collect();
        return Err(crate::Error::BadQuery(format!(
            "unknown kind `{}`: expected one of {}",
            query.kind,
            kinds.join(", ")
        )));
    };
    let visibility = query.visibility;
    let mut ids = match &query.platform {
        Some(platform) => dataset.by_platform(&[concept], platform, visibility),
        None => dataset.list(concept, visibility),
    };
    if let Some(tactic) = &query.tactic {
        if !matches!(concept, Concept::Technique | Concept::Subtechnique) {
            return Err(crate::Error::BadQuery(
                "--tactic applies to techniques and subtechniques only".to_string(),
            ));
        }
        let shortname = dataset.resolve_tactic(tactic)?;
        let in_tactic = dataset.techniques_by_tactic(&shortname, visibility);
        ids.retain(|i| in_tactic.contains(i));
    }
    if concept == Concept::Tactic && query.platform.is_none() {
        let order = dataset.tactics_in_order();
        ids.sort_by_key(|t| order.iter().position(|o| o == t).unwrap_or(usize::MAX));
    }
    Ok((concept, ids))
}

/// `relation NAME ID --json`: the display IDs related to `key`, sorted, without repeats.
pub fn related_ids(dataset: &Dataset, relation: Relation, key: ObjId) -> Vec<String> {
    let mut related: Vec<String> = dataset
        .related(relation, key)
        .into_iter()
        .map(|r| dataset.display_id(r).to_string())
        .collect();
    related.sort();
    related.dedup();
    related
}

/// `show REF --json --full`: the STIX object with its relationship families and detection.
#[derive(Debug, Clone, Serialize)]
pub struct FullAnswer {
    /// The STIX object as in the release.
    pub object: serde_json::Value,
    /// Its relationship families (see [`related_answer`]).
    pub related: Vec<RelatedFamily>,
    /// Its detection (see [`detection_answer`]).
    pub detection: Vec<StrategyAnswer>,
    /// The other objects the reference named, when it is a name or alias several objects
    /// share (see [`Dataset::also_named`]); absent when it named one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<ObjectSummary>,
    /// How the object was reached, when the user should know (it was found in another domain
    /// than the one asked); absent when there is nothing to say.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The full answer about `id`.
pub fn full_answer(dataset: &Dataset, id: ObjId) -> crate::Result<FullAnswer> {
    let raw = dataset.raw_json(id)?;
    let object = serde_json::from_str(raw).map_err(|e| {
        crate::Error::BadQuery(format!(
            "{}: its JSON cannot be read back: {e}",
            dataset.display_id(id)
        ))
    })?;
    Ok(FullAnswer {
        object,
        related: related_answer(dataset, id),
        detection: detection_answer(dataset, id),
        also: Vec::new(),
        notes: Vec::new(),
    })
}

/// [`full_answer`] about `id`, found by `query`: with the other objects `query` names
/// ([`Dataset::also_named`]).
pub fn full_answer_named(dataset: &Dataset, id: ObjId, query: &str) -> crate::Result<FullAnswer> {
    let mut answer = full_answer(dataset, id)?;
    answer.also = also_answer(dataset, query, id);
    Ok(answer)
}

/// The other objects `query` names besides `chosen`, as summaries.
pub fn also_answer(dataset: &Dataset, query: &str, chosen: ObjId) -> Vec<ObjectSummary> {
    dataset
        .also_named(query, chosen)
        .into_iter()
        .map(|o| ObjectSummary::of(dataset, o))
        .collect()
}

/// `Domains: T1584.001 (Compromise Infrastructure: Domains)`: the note every front end
/// prints when a name or alias several objects share was resolved to one (`None` when `query`
/// named only `chosen`). Sub-techniques are named with their parent, retired objects say so.
pub fn also_named_note(dataset: &Dataset, query: &str, chosen: ObjId) -> Option<String> {
    let others = dataset.also_named(query, chosen);
    if others.is_empty() {
        return None;
    }
    let qualified = |o: ObjId| match dataset
        .related(crate::Relation::ParentTechniqueOfSubtechnique, o)
        .first()
    {
        Some(&parent) => format!(
            "{}: {}",
            dataset.display_name(parent),
            dataset.display_name(o)
        ),
        None => dataset.display_name(o).to_string(),
    };
    let listed: Vec<String> = others
        .iter()
        .map(|&o| {
            let state = if dataset.is_revoked(o) {
                ", revoked"
            } else if !dataset.is_live(o) {
                ", deprecated"
            } else {
                ""
            };
            format!("{} ({}{state})", dataset.display_id(o), qualified(o))
        })
        .collect();
    Some(format!(
        "also named {}: {} (showing {} ({}); name it by ID to choose)",
        query.trim(),
        listed.join(", "),
        dataset.display_id(chosen),
        qualified(chosen)
    ))
}
