//! Visibility, DeTT&CT-style but automatic: which techniques the data sources you collect let
//! you see. A source is a data component (ATT&CK ID, STIX ID or name), a log source as the 18.x
//! analytics name it (`WinEventLog:Security`, or with its channel `WinEventLog:Security
//! (EventCode=4688)`), or an ATT&CK data source (all its data components). A data component
//! sees `techniques_seen_by_datacomponent`; a log source sees the techniques of the analytics
//! reading it. Sources come from a plain list (one per line, `#` comments) or a DeTT&CT
//! data-source administration file (names with data quality scores, and technique exceptions).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use attackdb_kb::{
    answer::Named, detection::LogSourceUse, Concept, Dataset, ObjId, ObjectType, Relation,
};
use serde::{Deserialize, Serialize};

use crate::coverage::percent;
use crate::json::round2;
use crate::mapping::Scope;
use crate::{Analysis, Error, Result};

/// One source as the input names it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceEntry {
    /// The name as written (data component, log source or data source).
    pub name: String,
    /// DeTT&CT's data quality: the mean of the dimension scores (0 to 5) of its best entry.
    pub quality: Option<f64>,
    /// False when DeTT&CT scores every quality dimension of every entry 0 (not collected).
    pub available: bool,
}

/// The sources of one question, and where they came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceList {
    /// `list` (arguments or a plain text file) or `dettect` (a DeTT&CT data-source
    /// administration file).
    pub format: &'static str,
    /// The DeTT&CT file's `name`.
    pub name: Option<String>,
    /// The DeTT&CT file's `domain` (`enterprise-attack`...).
    pub domain: Option<String>,
    /// The sources, in input order.
    pub entries: Vec<SourceEntry>,
    /// Technique IDs DeTT&CT's `exceptions` take out of the visible set.
    pub exceptions: Vec<String>,
}

impl SourceList {
    /// Sources named directly (IDs or names), each available.
    pub fn from_names(names: &[String]) -> SourceList {
        SourceList {
            format: "list",
            entries: names
                .iter()
                .map(|n| n.trim())
                .filter(|n| !n.is_empty())
                .map(|name| SourceEntry {
                    name: name.to_string(),
                    quality: None,
                    available: true,
                })
                .collect(),
            ..SourceList::default()
        }
    }

    /// Reads `path`: a DeTT&CT data-source administration file (`.yaml`, `.yml`), else a plain
    /// list (one source per line, `#` starts a comment).
    pub fn read(path: &Path) -> Result<SourceList> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let yaml = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
        if yaml {
            SourceList::from_dettect(&text).map_err(|reason| Error::Sources {
                path: path.to_path_buf(),
                reason,
            })
        } else {
            Ok(SourceList::from_text(&text))
        }
    }

    /// One source per line; `#` starts a comment; blank lines are skipped.
    pub fn from_text(text: &str) -> SourceList {
        let names: Vec<String> = text
            .lines()
            .map(|line| line.split('#').next().unwrap_or("").trim().to_string())
            .filter(|line| !line.is_empty())
            .collect();
        SourceList::from_names(&names)
    }

    /// A DeTT&CT data-source administration file (`file_type: data-source-administration`).
    pub fn from_dettect(text: &str) -> std::result::Result<SourceList, String> {
        let documents: Vec<Option<DettectFile>> = crate::yaml::documents(text)?;
        let Some(Some(file)) = documents.into_iter().next() else {
            return Err("empty file: expected a DeTT&CT data-source administration file".into());
        };
        match file.file_type.as_deref() {
            Some("data-source-administration") => {}
            Some(other) => {
                return Err(format!(
                    "file_type is `{other}`: expected a DeTT&CT data-source administration file (file_type: data-source-administration)"
                ))
            }
            None => {
                return Err(
                    "no file_type: expected a DeTT&CT data-source administration file (file_type: data-source-administration)"
                        .into(),
                )
            }
        }
        let entries = file
            .data_sources
            .unwrap_or_default()
            .into_iter()
            .map(|source| {
                let scores: Vec<f64> = source
                    .data_source
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|entry| entry.data_quality.as_ref())
                    .map(|quality| {
                        let values: Vec<f64> = quality.values().filter_map(|v| *v).collect();
                        if values.is_empty() {
                            0.0
                        } else {
                            values.iter().sum::<f64>() / values.len() as f64
                        }
                    })
                    .collect();
                let quality = scores.iter().copied().reduce(f64::max);
                SourceEntry {
                    name: source.data_source_name.trim().to_string(),
                    available: quality.is_none_or(|q| q > 0.0),
                    quality: quality.map(round2),
                }
            })
            .collect();
        Ok(SourceList {
            format: "dettect",
            name: file.name,
            domain: file.domain,
            entries,
            exceptions: file
                .exceptions
                .unwrap_or_default()
                .into_iter()
                .filter_map(|e| e.technique_id)
                .map(|id| crate::mapping::normalize_id(&id))
                .collect(),
        })
    }
}

/// The parts of a DeTT&CT data-source administration file that visibility reads.
#[derive(Debug, Deserialize)]
struct DettectFile {
    file_type: Option<String>,
    name: Option<String>,
    domain: Option<String>,
    data_sources: Option<Vec<DettectSource>>,
    exceptions: Option<Vec<DettectException>>,
}

#[derive(Debug, Deserialize)]
struct DettectSource {
    data_source_name: String,
    data_source: Option<Vec<DettectEntry>>,
}

#[derive(Debug, Deserialize)]
struct DettectEntry {
    data_quality: Option<BTreeMap<String, Option<f64>>>,
}

#[derive(Debug, Deserialize)]
struct DettectException {
    technique_id: Option<String>,
}

/// The techniques of one tactic a source sees.
#[derive(Debug, Clone, Serialize)]
pub struct TacticTechniques {
    /// The tactic's shortname (`credential-access`).
    pub tactic: String,
    /// Its name.
    pub name: String,
    /// The techniques and sub-techniques seen in it, by ID.
    pub techniques: Vec<String>,
}

/// One source and what it lets you see.
#[derive(Debug, Clone, Serialize)]
pub struct SourceAnswer {
    /// The source as the input names it.
    pub input: String,
    /// `data component`, `log source` or `data source`.
    pub matched_as: &'static str,
    /// The data components it stands for.
    pub data_components: Vec<Named>,
    /// The log sources it stands for (`name (channel)`), when matched as a log source.
    pub log_sources: Vec<String>,
    /// DeTT&CT's data quality (mean of the dimensions, 0 to 5), when the input has one.
    pub quality: Option<f64>,
    /// False when DeTT&CT scores it 0 everywhere: listed, but not counted as visible.
    pub available: bool,
    /// How many in-scope techniques and sub-techniques it sees.
    pub techniques: usize,
    /// Those techniques per tactic, in matrix order.
    pub by_tactic: Vec<TacticTechniques>,
    /// A note (a revoked component replaced, a deprecated one used), if any.
    pub note: Option<String>,
}

/// A source that matches nothing in the release.
#[derive(Debug, Clone, Serialize)]
pub struct Unmatched {
    /// The source as the input names it.
    pub input: String,
    /// Why, and what was close.
    pub note: String,
}

/// A visible technique or sub-technique.
#[derive(Debug, Clone, Serialize)]
pub struct VisibleTechnique {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Its tactics' shortnames, in matrix order.
    pub tactics: Vec<String>,
    /// The sources (as the input names them) that see it.
    pub sources: Vec<String>,
}

/// Visibility per tactic, over the in-scope techniques and sub-techniques of the tactic.
#[derive(Debug, Clone, Serialize)]
pub struct TacticVisibility {
    /// ATT&CK ID.
    pub id: String,
    /// Shortname.
    pub shortname: String,
    /// Name.
    pub name: String,
    /// Techniques (not sub-techniques) in the tactic.
    pub techniques: usize,
    /// Of those, visible.
    pub visible: usize,
    /// Sub-techniques in the tactic.
    pub subtechniques: usize,
    /// Of those, visible.
    pub subtechniques_visible: usize,
    /// Visible techniques and sub-techniques over all of them, in percent.
    pub percent: f64,
}

/// Totals over the scope.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct VisibilityTotals {
    /// Techniques in scope.
    pub techniques: usize,
    /// Of those, visible.
    pub techniques_visible: usize,
    /// Sub-techniques in scope.
    pub subtechniques: usize,
    /// Of those, visible.
    pub subtechniques_visible: usize,
    /// Visible techniques and sub-techniques over all of them, in percent.
    pub percent: f64,
}

/// `attackdb visibility --json`.
#[derive(Debug, Clone, Serialize)]
pub struct VisibilityAnswer {
    /// The domain (`enterprise-attack`).
    pub domain: String,
    /// The release.
    pub release: String,
    /// The platform the scope is limited to, if any.
    pub platform: Option<String>,
    /// `list` or `dettect`.
    pub input_format: &'static str,
    /// The DeTT&CT file's name, if any.
    pub input_name: Option<String>,
    /// Each source that matched, in input order.
    pub sources: Vec<SourceAnswer>,
    /// Sources that match nothing in the release.
    pub unmatched: Vec<Unmatched>,
    /// Techniques taken out by DeTT&CT's `exceptions`.
    pub exceptions: Vec<String>,
    /// Every visible in-scope technique and sub-technique, by ID.
    pub techniques: Vec<VisibleTechnique>,
    /// Per live tactic, in matrix order.
    pub tactics: Vec<TacticVisibility>,
    /// Totals.
    pub totals: VisibilityTotals,
}

impl VisibilityAnswer {
    /// The IDs of the visible techniques and sub-techniques.
    pub fn visible_ids(&self) -> BTreeSet<&str> {
        self.techniques.iter().map(|t| t.id.as_str()).collect()
    }
}

/// What one source names in the release.
struct Match {
    matched_as: &'static str,
    data_components: Vec<ObjId>,
    log_sources: Vec<String>,
    techniques: Vec<ObjId>,
    note: Option<String>,
}

/// Resolves one source name, or says why it matches nothing.
fn resolve(
    dataset: &Dataset,
    log_sources: &[LogSourceUse],
    name: &str,
) -> std::result::Result<Match, String> {
    let components = |ids: Vec<ObjId>, matched_as, note| {
        let mut techniques: Vec<ObjId> = ids
            .iter()
            .flat_map(|&d| dataset.related(Relation::TechniquesSeenByDatacomponent, d))
            .collect();
        techniques.sort_unstable();
        techniques.dedup();
        Match {
            matched_as,
            data_components: ids,
            log_sources: Vec::new(),
            techniques,
            note,
        }
    };
    let is_component = |o: ObjId| dataset.is_kind(o, &[ObjectType::DataComponent]);
    if let Ok(found) = dataset.lookup_where(name, is_component) {
        if dataset.is_live(found) {
            return Ok(components(vec![found], "data component", None));
        }
        if dataset.object(found).revoked {
            if let Some(by) = dataset.revoking_object(found).filter(|&b| is_component(b)) {
                let note = format!(
                    "{} is revoked: counted as {} {}",
                    dataset.display_id(found),
                    dataset.display_id(by),
                    dataset.display_name(by)
                );
                return Ok(components(vec![by], "data component", Some(note)));
            }
        }
        return Err(format!(
            "data component {} {} is {} in {} {}",
            dataset.display_id(found),
            dataset.display_name(found),
            attackdb_kb::status_name(dataset, found),
            dataset.domain(),
            dataset.release()
        ));
    }
    // A log source: `name (channel)` exactly, else every channel of `name`.
    let wanted = name.to_lowercase();
    let mut uses: Vec<&LogSourceUse> = log_sources
        .iter()
        .filter(|l| l.label().to_lowercase() == wanted)
        .collect();
    if uses.is_empty() {
        uses = log_sources
            .iter()
            .filter(|l| l.name.to_lowercase() == wanted)
            .collect();
    }
    if !uses.is_empty() {
        let analytics: Vec<ObjId> = uses.iter().flat_map(|l| l.analytics.clone()).collect();
        let mut data_components: Vec<ObjId> = uses
            .iter()
            .flat_map(|l| l.data_components.clone())
            .collect();
        data_components.sort_unstable_by(|&a, &b| dataset.display_id(a).cmp(dataset.display_id(b)));
        data_components.dedup();
        return Ok(Match {
            matched_as: "log source",
            data_components,
            log_sources: uses.iter().map(|l| l.label()).collect(),
            techniques: dataset.techniques_seen_by_analytics(&analytics),
            note: None,
        });
    }
    // An ATT&CK data source: its live data components.
    let is_source = |o: ObjId| dataset.is_kind(o, &[ObjectType::DataSource]);
    if let Ok(source) = dataset.lookup_where(name, is_source) {
        let stix_id = dataset.stix_id(source);
        let ids: Vec<ObjId> = dataset
            .list(Concept::DataComponent, attackdb_kb::Visibility::LIVE)
            .into_iter()
            .filter(|&d| dataset.object(d).data_source_ref.as_deref() == Some(stix_id))
            .collect();
        if !ids.is_empty() {
            let note = format!(
                "data source {} {}: its {} data components",
                dataset.display_id(source),
                dataset.display_name(source),
                ids.len()
            );
            return Ok(components(ids, "data source", Some(note)));
        }
        return Err(format!(
            "data source {} {} is {} in {} {} and no live data component names it: list its data components instead",
            dataset.display_id(source),
            dataset.display_name(source),
            match attackdb_kb::status_name(dataset, source) {
                "" => "live",
                status => status,
            },
            dataset.domain(),
            dataset.release()
        ));
    }
    let release = format!("{} {}", dataset.domain(), dataset.release());
    if name.contains("[DeTT&CT data source]") {
        return Err(format!(
            "a data source of DeTT&CT's own, not of ATT&CK: nothing in {release} reads it"
        ));
    }
    let suggestions = match dataset.lookup_kind(name, Concept::DataComponent) {
        Err(attackdb_kb::Error::NotFound { suggestions, .. }) if !suggestions.is_empty() => {
            format!(" (did you mean {}?)", suggestions.join(", "))
        }
        _ => String::new(),
    };
    Err(format!(
        "no data component, log source or data source of {release} has this name{suggestions}"
    ))
}

/// What the sources of `list` let you see on `dataset`, over the live techniques (of
/// `platform`, if given).
pub fn visibility(
    dataset: &Dataset,
    list: &SourceList,
    platform: Option<&str>,
) -> Result<VisibilityAnswer> {
    let platform = match platform {
        Some(p) => Some(dataset.canonical_platform(p)?.to_string()),
        None => None,
    };
    let scope = Scope::new(dataset, platform.as_deref());
    let in_scope: BTreeSet<ObjId> = scope
        .techniques
        .iter()
        .chain(&scope.subtechniques)
        .copied()
        .collect();
    let exceptions: BTreeSet<&str> = list.exceptions.iter().map(String::as_str).collect();
    let counted = |t: &ObjId| in_scope.contains(t) && !exceptions.contains(dataset.display_id(*t));
    let log_sources = dataset.log_sources();
    let tactic_name = |t: ObjId| {
        dataset
            .object(t)
            .shortname
            .as_deref()
            .unwrap_or("")
            .to_string()
    };
    let mut sources = Vec::new();
    let mut unmatched = Vec::new();
    let mut seen_by: BTreeMap<ObjId, Vec<String>> = BTreeMap::new();
    for entry in &list.entries {
        let found = match resolve(dataset, &log_sources, &entry.name) {
            Ok(found) => found,
            Err(note) => {
                unmatched.push(Unmatched {
                    input: entry.name.clone(),
                    note,
                });
                continue;
            }
        };
        let mut techniques: Vec<ObjId> = found.techniques.into_iter().filter(counted).collect();
        techniques.sort_by(|&a, &b| dataset.display_id(a).cmp(dataset.display_id(b)));
        if entry.available {
            for &t in &techniques {
                seen_by.entry(t).or_default().push(entry.name.clone());
            }
        }
        let by_tactic = scope
            .tactics
            .iter()
            .filter_map(|&tactic| {
                let ids: Vec<String> = techniques
                    .iter()
                    .filter(|&&t| scope.tactics_of(t).contains(&tactic))
                    .map(|&t| dataset.display_id(t).to_string())
                    .collect();
                (!ids.is_empty()).then(|| TacticTechniques {
                    tactic: tactic_name(tactic),
                    name: dataset.display_name(tactic).to_string(),
                    techniques: ids,
                })
            })
            .collect();
        let mut note = found.note;
        if !entry.available {
            let why = "DeTT&CT scores its data quality 0: not counted as visible".to_string();
            note = Some(match note {
                Some(n) => format!("{n}; {why}"),
                None => why,
            });
        }
        sources.push(SourceAnswer {
            input: entry.name.clone(),
            matched_as: found.matched_as,
            data_components: found
                .data_components
                .iter()
                .map(|&d| Named::of(dataset, d))
                .collect(),
            log_sources: found.log_sources,
            quality: entry.quality,
            available: entry.available,
            techniques: techniques.len(),
            by_tactic,
            note,
        });
    }
    let mut techniques: Vec<VisibleTechnique> = seen_by
        .iter()
        .map(|(&t, names)| {
            let mut names = names.clone();
            names.dedup();
            VisibleTechnique {
                id: dataset.display_id(t).to_string(),
                name: dataset.display_name(t).to_string(),
                tactics: scope
                    .tactics_of(t)
                    .iter()
                    .map(|&x| tactic_name(x))
                    .collect(),
                sources: names,
            }
        })
        .collect();
    techniques.sort_by(|a, b| a.id.cmp(&b.id));
    let tactics = scope
        .tactics
        .iter()
        .map(|&tactic| {
            let of = |list: &[ObjId]| -> (usize, usize) {
                let here: Vec<ObjId> = list
                    .iter()
                    .copied()
                    .filter(|&t| scope.tactics_of(t).contains(&tactic))
                    .collect();
                let visible = here.iter().filter(|t| seen_by.contains_key(t)).count();
                (here.len(), visible)
            };
            let (techniques, visible) = of(&scope.techniques);
            let (subtechniques, subtechniques_visible) = of(&scope.subtechniques);
            TacticVisibility {
                id: dataset.display_id(tactic).to_string(),
                shortname: tactic_name(tactic),
                name: dataset.display_name(tactic).to_string(),
                techniques,
                visible,
                subtechniques,
                subtechniques_visible,
                percent: round2(percent(
                    visible + subtechniques_visible,
                    techniques + subtechniques,
                )),
            }
        })
        .collect();
    let visible_of = |list: &[ObjId]| list.iter().filter(|t| seen_by.contains_key(t)).count();
    let (techniques_visible, subtechniques_visible) = (
        visible_of(&scope.techniques),
        visible_of(&scope.subtechniques),
    );
    Ok(VisibilityAnswer {
        domain: dataset.domain().to_string(),
        release: dataset.release().to_string(),
        platform,
        input_format: list.format,
        input_name: list.name.clone(),
        sources,
        unmatched,
        exceptions: list.exceptions.clone(),
        techniques,
        tactics,
        totals: VisibilityTotals {
            techniques: scope.techniques.len(),
            techniques_visible,
            subtechniques: scope.subtechniques.len(),
            subtechniques_visible,
            percent: round2(percent(
                techniques_visible + subtechniques_visible,
                scope.techniques.len() + scope.subtechniques.len(),
            )),
        },
    })
}

/// How many source names a layer comment lists before "and N more".
const SOURCES_IN_COMMENT: usize = 10;

/// The visibility as a Navigator 4.5 layer named `name`: each visible technique scored by how
/// many sources see it, the sources in its comment, a gradient from one source to the most.
pub fn visibility_layer(answer: &VisibilityAnswer, name: &str) -> attackdb_navigator::Layer {
    use attackdb_navigator::{Expanded, Gradient, Layer, Layout, MetadataItem, Technique};
    let mut layer = Layer::new(name, &answer.domain, Some(&answer.release));
    let totals = &answer.totals;
    layer.description = Some(format!(
        "Visibility of {} sources ({} matched) on ATT&CK {} {}: {} of {} techniques and {} of {} sub-techniques visible ({:.1}%); score: sources seeing it",
        answer.sources.len() + answer.unmatched.len(),
        answer.sources.len(),
        answer.domain,
        answer.release,
        totals.techniques_visible,
        totals.techniques,
        totals.subtechniques_visible,
        totals.subtechniques,
        totals.percent
    ));
    let max = answer
        .techniques
        .iter()
        .map(|t| t.sources.len())
        .max()
        .unwrap_or(1)
        .max(2);
    layer.gradient = Some(Gradient {
        colors: ["#dbe9f6", "#1f5fa8"]
            .iter()
            .map(|c| c.to_string())
            .collect(),
        min_value: 1.0,
        max_value: max as f64,
        extra: Default::default(),
    });
    layer.layout = Some(Layout {
        expanded_subtechniques: Some(Expanded::Annotated),
        ..Layout::default()
    });
    if let Some(platform) = &answer.platform {
        layer.filters = Some(attackdb_navigator::Filters {
            platforms: Some(vec![platform.clone()]),
            extra: Default::default(),
        });
    }
    layer.metadata = vec![
        MetadataItem::entry("sources", &answer.sources.len().to_string()),
        MetadataItem::entry("unmatched sources", &answer.unmatched.len().to_string()),
        MetadataItem::entry("generated by", "attackdb visibility"),
    ];
    for technique in &answer.techniques {
        let mut entry = Technique::new(&technique.id);
        entry.score = Some(technique.sources.len() as f64);
        let more = technique.sources.len().saturating_sub(SOURCES_IN_COMMENT);
        let mut comment = format!(
            "seen by {}",
            technique
                .sources
                .iter()
                .take(SOURCES_IN_COMMENT)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        );
        if more > 0 {
            comment.push_str(&format!("; and {more} more"));
        }
        entry.comment = Some(comment);
        layer.techniques.push(entry);
    }
    layer
}

/// Coverage against visibility, counted over techniques and sub-techniques.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct JoinCounts {
    /// Covered by a rule and visible.
    pub covered: usize,
    /// Covered by a rule, but no source sees it: the rule has nothing to read.
    pub covered_not_visible: usize,
    /// Visible, but no rule covers it: where a rule could be written.
    pub visible_not_covered: usize,
    /// Neither visible nor covered.
    pub not_visible: usize,
}

/// One tactic of the join.
#[derive(Debug, Clone, Serialize)]
pub struct TacticJoin {
    /// ATT&CK ID.
    pub id: String,
    /// Shortname.
    pub shortname: String,
    /// Name.
    pub name: String,
    /// The counts over the tactic's in-scope techniques and sub-techniques.
    #[serde(flatten)]
    pub counts: JoinCounts,
}

/// `coverage --visibility FILE`: rules against what is visible.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageVisibility {
    /// Totals over the scope.
    pub totals: JoinCounts,
    /// Per tactic, in matrix order (a technique counts as covered in a tactic when a rule
    /// covers it there).
    pub tactics: Vec<TacticJoin>,
    /// Visible but not covered, by ID.
    pub visible_not_covered: Vec<String>,
    /// Covered but not visible, by ID.
    pub covered_not_visible: Vec<String>,
    /// The visibility it is joined with.
    pub visibility: VisibilityAnswer,
}

/// Joins a coverage analysis with the visibility of a set of sources on the same release.
pub fn join_visibility(
    analysis: &Analysis<'_>,
    visibility: VisibilityAnswer,
) -> CoverageVisibility {
    let dataset = analysis.dataset;
    let scope = &analysis.matrix;
    let visible = visibility.visible_ids();
    let coverage = &analysis.coverage;
    let all: Vec<ObjId> = scope
        .techniques
        .iter()
        .chain(&scope.subtechniques)
        .copied()
        .collect();
    let covered_in = |t: ObjId, tactic: Option<ObjId>| -> bool {
        coverage
            .get(dataset.display_id(t))
            .is_some_and(|c| match tactic {
                Some(tactic) => c
                    .rules_by_tactic
                    .get(&tactic)
                    .is_some_and(|r| !r.is_empty()),
                None => !c.rules.is_empty(),
            })
    };
    let count = |ids: &mut dyn Iterator<Item = ObjId>, tactic: Option<ObjId>| -> JoinCounts {
        let mut counts = JoinCounts::default();
        for t in ids {
            let seen = visible.contains(dataset.display_id(t));
            match (covered_in(t, tactic), seen) {
                (true, true) => counts.covered += 1,
                (true, false) => counts.covered_not_visible += 1,
                (false, true) => counts.visible_not_covered += 1,
                (false, false) => counts.not_visible += 1,
            }
        }
        counts
    };
    let tactics = scope
        .tactics
        .iter()
        .map(|&tactic| TacticJoin {
            id: dataset.display_id(tactic).to_string(),
            shortname: dataset
                .object(tactic)
                .shortname
                .as_deref()
                .unwrap_or("")
                .to_string(),
            name: dataset.display_name(tactic).to_string(),
            counts: count(
                &mut all
                    .iter()
                    .copied()
                    .filter(|&t| scope.tactics_of(t).contains(&tactic)),
                Some(tactic),
            ),
        })
        .collect();
    let ids = |covered: bool, seen: bool| -> Vec<String> {
        let mut list: Vec<String> = all
            .iter()
            .filter(|&&t| {
                covered_in(t, None) == covered && visible.contains(dataset.display_id(t)) == seen
            })
            .map(|&t| dataset.display_id(t).to_string())
            .collect();
        list.sort();
        list
    };
    let visible_not_covered = ids(false, true);
    let covered_not_visible = ids(true, false);
    CoverageVisibility {
        totals: count(&mut all.iter().copied(), None),
        tactics,
        visible_not_covered,
        covered_not_visible,
        visibility,
    }
}

#[cfg(test)]
mod tests {
    use super::SourceList;

    #[test]
    fn plain_lists_skip_comments_and_blank_lines() {
        let list = SourceList::from_text("# mine\nDC0035\n\n  Process Creation  # sysmon 1\n#\n");
        let names: Vec<&str> = list.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["DC0035", "Process Creation"]);
        assert_eq!(list.format, "list");
    }

    #[test]
    fn dettect_files_give_names_quality_and_exceptions() {
        let text =
            "version: 1.1\nfile_type: data-source-administration\ndomain: enterprise-attack\n\
            data_sources:\n  - data_source_name: Process Creation\n    data_source:\n\
            \x20     - data_quality:\n          device_completeness: 4\n          timeliness: 2\n\
            \x20 - data_source_name: Process Access\n    data_source:\n\
            \x20     - data_quality:\n          device_completeness: 0\n          timeliness: 0\n\
            exceptions:\n  - technique_id: t1557\n";
        let list = SourceList::from_dettect(text).unwrap_or_default();
        assert_eq!(list.format, "dettect");
        assert_eq!(list.entries.len(), 2);
        assert_eq!(list.entries[0].quality, Some(3.0));
        assert!(list.entries[0].available);
        assert!(!list.entries[1].available);
        assert_eq!(list.exceptions, ["T1557"]);
        let wrong = SourceList::from_dettect("file_type: technique-administration\n");
        assert!(wrong.is_err_and(|e| e.contains("technique-administration")));
    }
}
