//! The `--json` document: counts, per technique (with its rules: name, file, level, status) and
//! per tactic coverage, unknown, revoked and deprecated IDs, unreadable files, warnings, and the
//! gaps when asked for (each user of a gap with where it comes from). Maps are sorted, and the
//! fields of every object are declared in the order they are written (alphabetical, as the
//! document has always been).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::coverage::Status;
use crate::visibility::CoverageVisibility;
use crate::Analysis;

/// The coverage answer as one typed document (what `coverage --json` prints and REST answers).
#[derive(Debug, Clone, Serialize)]
pub struct CoverageDocument {
    /// Overall coverage.
    pub coverage: CoverageTotals,
    /// The domain.
    pub domain: String,
    /// Deprecated technique IDs the rules name -> how many rules name each.
    pub deprecated_ids: BTreeMap<String, usize>,
    /// Files that could not be read.
    pub errors: Vec<FileErrorEntry>,
    /// Files read.
    pub files: usize,
    /// The threat-informed gaps, when actors were asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gaps: Option<GapsEntry>,
    /// Techniques partly covered (some of their in-scope sub-techniques uncovered).
    pub partly_covered: Vec<String>,
    /// The platform the scope is limited to.
    pub platform: Option<String>,
    /// The release.
    pub release: String,
    /// Tactic shortnames the rules name that the release replaced -> their replacements.
    pub renamed_tactics: BTreeMap<String, Vec<String>>,
    /// Revoked technique IDs -> the technique in their place.
    pub revoked_ids: BTreeMap<String, String>,
    /// Rules read (after the level and status filters).
    pub rules: usize,
    /// Deprecated rules left out.
    pub rules_deprecated_left_out: usize,
    /// Rules left out by the level and status filters.
    pub rules_filtered_out: usize,
    /// Rules that cover at least one technique of the release.
    pub rules_mapped: usize,
    /// Rules that name no technique.
    pub rules_without_techniques: usize,
    /// `count`, `max-level` or `weighted`.
    pub score_mode: &'static str,
    /// Per tactic, in matrix order.
    pub tactics: Vec<TacticEntry>,
    /// Every technique with a rule, by ID.
    pub techniques: BTreeMap<String, TechniqueEntry>,
    /// IDs the release does not know -> what they look like and how many rules name them.
    pub unknown_ids: BTreeMap<String, UnknownEntry>,
    /// The rules against what a set of sources lets you see, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<CoverageVisibility>,
    /// One line per problem worth a warning.
    pub warnings: Vec<String>,
}

/// `coverage` of the document.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageTotals {
    /// Percent of in-scope techniques covered (2 decimals).
    pub percent: f64,
    /// Sub-technique counts.
    pub subtechniques: SubtechniqueCounts,
    /// Technique counts.
    pub techniques: TechniqueCounts,
}

/// Technique counts.
#[derive(Debug, Clone, Serialize)]
pub struct TechniqueCounts {
    /// Covered.
    pub covered: usize,
    /// Not covered.
    pub not_covered: usize,
    /// Partly covered.
    pub partly: usize,
    /// All in scope.
    pub total: usize,
}

/// Sub-technique counts.
#[derive(Debug, Clone, Serialize)]
pub struct SubtechniqueCounts {
    /// Covered.
    pub covered: usize,
    /// Not covered.
    pub not_covered: usize,
    /// All in scope.
    pub total: usize,
}

/// A technique with rules.
#[derive(Debug, Clone, Serialize)]
pub struct TechniqueEntry {
    /// Whether the technique is deprecated (written only when it is).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
    /// Whether it is in the scope (platform).
    pub in_scope: bool,
    /// Rules per level.
    pub levels: BTreeMap<String, usize>,
    /// Its name.
    pub name: String,
    /// Its rules.
    pub rule_list: Vec<RuleEntry>,
    /// How many rules.
    pub rules: usize,
    /// Its score.
    pub score: f64,
    /// Rules per status.
    pub statuses: BTreeMap<String, usize>,
    /// The tactics its rules cover it under (shortnames).
    pub tactics: Vec<String>,
}

/// A rule of a technique.
#[derive(Debug, Clone, Serialize)]
pub struct RuleEntry {
    /// The file it was read from.
    pub file: String,
    /// Its level.
    pub level: Option<&'static str>,
    /// Its name.
    pub name: String,
    /// Its status.
    pub status: Option<String>,
}

/// A tactic's coverage.
#[derive(Debug, Clone, Serialize)]
pub struct TacticEntry {
    /// Techniques covered.
    pub covered: usize,
    /// Its ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Techniques not covered.
    pub not_covered: usize,
    /// Techniques partly covered.
    pub partly: usize,
    /// Percent covered (2 decimals).
    pub percent: f64,
    /// Rules covering it.
    pub rules: usize,
    /// Its shortname.
    pub shortname: Option<String>,
    /// Sub-techniques in scope.
    pub subtechniques: usize,
    /// Sub-techniques covered.
    pub subtechniques_covered: usize,
    /// Techniques in scope.
    pub techniques: usize,
}

/// An ID the release does not know.
#[derive(Debug, Clone, Serialize)]
pub struct UnknownEntry {
    /// What it looks like.
    pub kind: &'static str,
    /// How many rules name it.
    pub rules: usize,
}

/// A file that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct FileErrorEntry {
    /// The file.
    pub file: String,
    /// Why.
    pub reason: String,
}

/// The threat-informed gaps.
#[derive(Debug, Clone, Serialize)]
pub struct GapsEntry {
    /// Each actor's coverage.
    pub actors: Vec<ActorEntry>,
    /// `groups`, `software` or `campaigns`.
    pub kind: &'static str,
    /// The gaps, most used first.
    pub ranked: Vec<GapEntry>,
    /// Whether the actors' software's techniques count.
    pub with_software: bool,
}

/// A gap.
#[derive(Debug, Clone, Serialize)]
pub struct GapEntry {
    /// How many actors use it.
    pub count: usize,
    /// The technique's ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `not_covered` or `partly`.
    pub status: &'static str,
    /// The actors using it.
    pub used_by: Vec<GapUser>,
}

/// An actor using a gap, and how.
#[derive(Debug, Clone, Serialize)]
pub struct GapUser {
    /// Its ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Where its use is cited.
    pub sources: Vec<String>,
    /// `direct`, `campaign`, `software`.
    pub via: Vec<&'static str>,
    /// The campaigns it comes through.
    pub via_campaigns: Vec<String>,
    /// The software it comes through.
    pub via_software: Vec<String>,
}

/// An actor's coverage.
#[derive(Debug, Clone, Serialize)]
pub struct ActorEntry {
    /// Techniques of it covered.
    pub covered: usize,
    /// Its ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Percent covered (2 decimals).
    pub percent: f64,
    /// Its techniques.
    pub techniques: usize,
}

impl CoverageDocument {
    /// The document as a JSON value, every object's keys sorted (the nested visibility answer
    /// included): the form `coverage --json`, REST and Python print.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Every file name of the document (rules' files, unreadable files) passed through
    /// `rename`: REST names uploads as the client named them.
    pub fn rename_files(&mut self, rename: impl Fn(&str) -> String) {
        for technique in self.techniques.values_mut() {
            for rule in &mut technique.rule_list {
                rule.file = rename(&rule.file);
            }
        }
        for error in &mut self.errors {
            error.file = rename(&error.file);
            error.reason = rename(&error.reason);
        }
        for warning in &mut self.warnings {
            *warning = rename(warning);
        }
    }
}

fn path_text(path: &Path) -> String {
    path.display().to_string()
}

/// The analysis as its typed document.
pub fn document(analysis: &Analysis<'_>) -> CoverageDocument {
    let dataset = analysis.dataset;
    let coverage = &analysis.coverage;
    let rules = analysis.rules();
    let mut techniques = BTreeMap::new();
    let mut partly = Vec::new();
    for (id, technique) in &coverage.techniques {
        if technique.status == Status::Partly && technique.in_scope {
            partly.push(id.clone());
        }
        if technique.rules.is_empty() {
            continue;
        }
        let tactics = analysis
            .matrix
            .tactics_of(technique.technique)
            .iter()
            .filter(|t| technique.rules_by_tactic.contains_key(t))
            .map(|&t| {
                dataset
                    .object(t)
                    .shortname
                    .as_deref()
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        let rule_list = technique
            .rules
            .iter()
            .filter_map(|&index| rules.get(index))
            .map(|rule| RuleEntry {
                name: rule.name.clone(),
                file: path_text(&rule.file),
                level: rule.level.map(crate::Level::as_str),
                status: rule.status.clone(),
            })
            .collect();
        techniques.insert(
            id.clone(),
            TechniqueEntry {
                rules: technique.rules.len(),
                rule_list,
                score: technique.score,
                name: dataset.display_name(technique.technique).to_string(),
                tactics,
                levels: technique.by_level.clone(),
                statuses: technique.by_status.clone(),
                in_scope: technique.in_scope,
                deprecated: technique.deprecated,
            },
        );
    }
    let tactics = coverage
        .tactics
        .iter()
        .map(|t| TacticEntry {
            id: dataset.display_id(t.tactic).to_string(),
            shortname: dataset
                .object(t.tactic)
                .shortname
                .as_deref()
                .map(str::to_string),
            name: dataset.display_name(t.tactic).to_string(),
            techniques: t.techniques,
            covered: t.covered,
            partly: t.partly,
            not_covered: t.not_covered(),
            subtechniques: t.subtechniques,
            subtechniques_covered: t.subtechniques_covered,
            rules: t.rules,
            percent: round2(t.percent()),
        })
        .collect();
    let unknown_ids = analysis
        .mapping
        .unknown
        .iter()
        .map(|(id, (kind, rule_set))| {
            (
                id.clone(),
                UnknownEntry {
                    kind: kind.as_str(),
                    rules: rule_set.len(),
                },
            )
        })
        .collect();
    let deprecated_ids = analysis
        .mapping
        .deprecated
        .iter()
        .map(|(id, rule_set)| (id.clone(), rule_set.len()))
        .collect();
    let errors = analysis
        .ingested
        .errors
        .iter()
        .map(|e| FileErrorEntry {
            file: path_text(&e.file),
            reason: e.reason.clone(),
        })
        .collect();
    let [covered, partly_count, not_covered] = coverage.technique_counts;
    let [sub_covered, sub_not] = coverage.subtechnique_counts;
    CoverageDocument {
        domain: dataset.domain().to_string(),
        release: dataset.release().to_string(),
        platform: analysis.matrix.platform.clone(),
        score_mode: coverage.mode.as_str(),
        files: analysis.ingested.files,
        rules: rules.len(),
        rules_filtered_out: analysis.ingested.filtered_out,
        rules_deprecated_left_out: analysis.ingested.deprecated_left_out,
        rules_mapped: analysis.rules_mapped(),
        rules_without_techniques: analysis.rules_without_techniques(),
        techniques,
        partly_covered: partly,
        coverage: CoverageTotals {
            percent: round2(coverage.percent()),
            techniques: TechniqueCounts {
                total: covered + partly_count + not_covered,
                covered,
                partly: partly_count,
                not_covered,
            },
            subtechniques: SubtechniqueCounts {
                total: sub_covered + sub_not,
                covered: sub_covered,
                not_covered: sub_not,
            },
        },
        tactics,
        unknown_ids,
        revoked_ids: analysis.mapping.revoked.clone(),
        renamed_tactics: analysis.mapping.renamed_tactics.clone(),
        deprecated_ids,
        errors,
        warnings: analysis.mapping.warnings.clone(),
        visibility: analysis.visibility.clone(),
        gaps: analysis
            .gaps
            .as_ref()
            .map(|gaps| gaps_entry(analysis, gaps)),
    }
}

fn gaps_entry(analysis: &Analysis<'_>, gaps: &crate::Gaps) -> GapsEntry {
    let dataset = analysis.dataset;
    let ids = |list: &[attackdb_kb::ObjId]| -> Vec<String> {
        list.iter()
            .map(|&o| dataset.display_id(o).to_string())
            .collect()
    };
    let ranked = gaps
        .gaps
        .iter()
        .map(|gap| GapEntry {
            id: dataset.display_id(gap.technique).to_string(),
            name: dataset.display_name(gap.technique).to_string(),
            status: gap.status.as_str(),
            count: gap.used_by.len(),
            used_by: gap
                .used_by
                .iter()
                .map(|(actor, via)| GapUser {
                    id: dataset.display_id(*actor).to_string(),
                    name: dataset.display_name(*actor).to_string(),
                    via: via.names(),
                    via_campaigns: ids(&via.campaigns),
                    via_software: ids(&via.software_used),
                    sources: via.sources(dataset),
                })
                .collect(),
        })
        .collect();
    let actors = gaps
        .actors
        .iter()
        .map(|a| ActorEntry {
            id: dataset.display_id(a.actor).to_string(),
            name: dataset.display_name(a.actor).to_string(),
            techniques: a.techniques,
            covered: a.covered,
            percent: round2(a.percent()),
        })
        .collect();
    GapsEntry {
        kind: gaps.kind,
        with_software: gaps.inherit == crate::Inherit::CampaignsAndSoftware,
        ranked,
        actors,
    }
}

/// The analysis as one JSON value, keys sorted ([`CoverageDocument::to_value`]).
pub fn to_json(analysis: &Analysis<'_>) -> Value {
    document(analysis).to_value()
}

/// Rounds to 2 decimals, for stable output.
pub(crate) fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
