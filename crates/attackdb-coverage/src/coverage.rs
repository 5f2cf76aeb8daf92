//! Coverage: per technique and per tactic, the rules, their levels and statuses, a score, and
//! covered / partly covered / not covered, over the techniques in scope (all live ones, or those
//! of one platform).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use attackdb_kb::{Dataset, ObjId};

use crate::mapping::{Mapping, Scope};
use crate::rule::{Level, Rule};

/// How a technique's score is computed from its rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScoreMode {
    /// The number of rules.
    #[default]
    Count,
    /// The highest rule level (informational 1 to critical 5; an explicit score counts as is).
    MaxLevel,
    /// The sum of rule level weights (informational 1 to critical 5; an explicit score instead
    /// where a rule has one; a rule without a level weighs 1).
    Weighted,
}

impl ScoreMode {
    /// `count`, `max-level` or `weighted`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScoreMode::Count => "count",
            ScoreMode::MaxLevel => "max-level",
            ScoreMode::Weighted => "weighted",
        }
    }

    /// Parses a CLI name.
    pub fn parse(name: &str) -> Option<ScoreMode> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "count" => Some(ScoreMode::Count),
            "max-level" | "maxlevel" | "max" => Some(ScoreMode::MaxLevel),
            "weighted" => Some(ScoreMode::Weighted),
            _ => None,
        }
    }
}

/// Covered, partly covered (only some of its sub-techniques are), or not covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// At least one rule names the technique itself.
    Covered,
    /// No rule names the technique, but one names one of its sub-techniques.
    Partly,
    /// No rule.
    NotCovered,
}

impl Status {
    /// `covered`, `partly` or `not covered`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Covered => "covered",
            Status::Partly => "partly",
            Status::NotCovered => "not covered",
        }
    }
}

/// One technique's or sub-technique's coverage.
#[derive(Debug, Clone, PartialEq)]
pub struct TechniqueCoverage {
    /// The technique.
    pub technique: ObjId,
    /// Its ATT&CK ID.
    pub id: String,
    /// Rules naming it (rule indices, sorted).
    pub rules: Vec<usize>,
    /// Per tactic it is covered under: the rules covering it there.
    pub rules_by_tactic: BTreeMap<ObjId, Vec<usize>>,
    /// Rule counts per level (`none` for rules without one).
    pub by_level: BTreeMap<String, usize>,
    /// Rule counts per status (`none` for rules without one).
    pub by_status: BTreeMap<String, usize>,
    /// The score (see [`ScoreMode`]); 0 without rules.
    pub score: f64,
    /// Covered, partly or not.
    pub status: Status,
    /// Sub-techniques (for a technique) that are covered, by ID.
    pub covered_subtechniques: Vec<String>,
    /// Whether it is in scope (live, and of the platform if one is given).
    pub in_scope: bool,
    /// Whether it is deprecated in the release.
    pub deprecated: bool,
}

/// One tactic's coverage, over the in-scope techniques of the tactic.
#[derive(Debug, Clone, PartialEq)]
pub struct TacticCoverage {
    /// The tactic.
    pub tactic: ObjId,
    /// Techniques (not sub-techniques) in the tactic.
    pub techniques: usize,
    /// Of those, covered in this tactic.
    pub covered: usize,
    /// Of those, partly covered in this tactic.
    pub partly: usize,
    /// Sub-techniques in the tactic.
    pub subtechniques: usize,
    /// Of those, covered in this tactic.
    pub subtechniques_covered: usize,
    /// Distinct rules covering anything in the tactic.
    pub rules: usize,
}

impl TacticCoverage {
    /// Techniques not covered at all in this tactic.
    pub fn not_covered(&self) -> usize {
        self.techniques - self.covered - self.partly
    }

    /// Covered techniques and sub-techniques over all of them, in percent (0 when empty).
    pub fn percent(&self) -> f64 {
        percent(
            self.covered + self.subtechniques_covered,
            self.techniques + self.subtechniques,
        )
    }
}

/// `part / whole` in percent, 0 when `whole` is 0.
pub fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// The whole coverage of a rule set on a release.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// The score mode used.
    pub mode: ScoreMode,
    /// Every in-scope technique and sub-technique, and every other one some rule names, by ID.
    pub techniques: BTreeMap<String, TechniqueCoverage>,
    /// Per live tactic, in matrix order.
    pub tactics: Vec<TacticCoverage>,
    /// In-scope techniques: covered, partly, not covered.
    pub technique_counts: [usize; 3],
    /// In-scope sub-techniques: covered, not covered.
    pub subtechnique_counts: [usize; 2],
}

impl Coverage {
    /// In-scope techniques and sub-techniques covered by a rule naming them, in percent: the
    /// number `--fail-under` compares with.
    pub fn percent(&self) -> f64 {
        let covered = self.technique_counts[0] + self.subtechnique_counts[0];
        let total = self.technique_counts.iter().sum::<usize>()
            + self.subtechnique_counts.iter().sum::<usize>();
        percent(covered, total)
    }

    /// The coverage of the technique with this ID, if in scope or named by a rule.
    pub fn get(&self, id: &str) -> Option<&TechniqueCoverage> {
        self.techniques.get(id)
    }

    /// The top of the colour scale in layers and reports: the 90th percentile of the scores of
    /// covered techniques in scope (at least 1), so that a few techniques with very many rules
    /// do not wash every other colour out; higher scores take the top colour.
    pub fn scale_max(&self) -> f64 {
        let mut scores: Vec<f64> = self
            .techniques
            .values()
            .filter(|t| t.in_scope && t.score > 0.0)
            .map(|t| t.score)
            .collect();
        scores.sort_by(f64::total_cmp);
        let index = (scores.len() * 9 / 10).min(scores.len().saturating_sub(1));
        scores.get(index).copied().unwrap_or(1.0).max(1.0)
    }

    /// The highest score of any technique (0 when none is covered).
    pub fn max_score(&self) -> f64 {
        self.techniques
            .values()
            .map(|t| t.score)
            .fold(0.0, f64::max)
    }
}

/// The score of a set of rules covering one technique.
pub fn score(
    mode: ScoreMode,
    rules: &[Rule],
    mapping: &Mapping,
    technique: ObjId,
    of: &[usize],
) -> f64 {
    let weight = |index: usize| -> f64 {
        let explicit = mapping
            .hits
            .get(index)
            .and_then(|hits| hits.iter().find(|h| h.technique == technique))
            .and_then(|h| h.score);
        explicit.unwrap_or_else(|| rules[index].level.map_or(1.0, Level::weight))
    };
    match mode {
        ScoreMode::Count => of.len() as f64,
        ScoreMode::MaxLevel => of.iter().map(|&i| weight(i)).fold(0.0, f64::max),
        ScoreMode::Weighted => of.iter().map(|&i| weight(i)).sum(),
    }
}

/// Computes coverage.
pub fn compute(
    dataset: &Dataset,
    matrix: &Scope,
    rules: &[Rule],
    mapping: &Mapping,
    mode: ScoreMode,
) -> Coverage {
    let mut by_technique: HashMap<ObjId, BTreeMap<ObjId, BTreeSet<usize>>> = HashMap::new();
    let mut all_rules: HashMap<ObjId, BTreeSet<usize>> = HashMap::new();
    for (index, hits) in mapping.hits.iter().enumerate() {
        for hit in hits {
            all_rules.entry(hit.technique).or_default().insert(index);
            let tactics = by_technique.entry(hit.technique).or_default();
            for &tactic in &hit.tactics {
                tactics.entry(tactic).or_default().insert(index);
            }
        }
    }
    let in_scope: BTreeSet<ObjId> = matrix
        .techniques
        .iter()
        .chain(&matrix.subtechniques)
        .copied()
        .collect();
    let mut named: BTreeSet<ObjId> = in_scope.clone();
    named.extend(all_rules.keys().copied());
    let mut techniques = BTreeMap::new();
    for technique in named {
        let rule_list: Vec<usize> = all_rules
            .get(&technique)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        let mut by_level = BTreeMap::new();
        let mut by_status = BTreeMap::new();
        for &index in &rule_list {
            let rule = &rules[index];
            let level = rule.level.map_or("none", Level::as_str).to_string();
            *by_level.entry(level).or_insert(0) += 1;
            let status = rule.status.clone().unwrap_or_else(|| "none".to_string());
            *by_status.entry(status).or_insert(0) += 1;
        }
        let rules_by_tactic = by_technique
            .get(&technique)
            .map(|m| {
                m.iter()
                    .map(|(&t, s)| (t, s.iter().copied().collect()))
                    .collect()
            })
            .unwrap_or_default();
        let id = dataset.display_id(technique).to_string();
        techniques.insert(
            id.clone(),
            TechniqueCoverage {
                technique,
                score: score(mode, rules, mapping, technique, &rule_list),
                status: if rule_list.is_empty() {
                    Status::NotCovered
                } else {
                    Status::Covered
                },
                rules: rule_list,
                rules_by_tactic,
                by_level,
                by_status,
                covered_subtechniques: Vec::new(),
                in_scope: in_scope.contains(&technique),
                deprecated: dataset.object(technique).deprecated,
                id,
            },
        );
    }
    // Parents of covered sub-techniques are partly covered (when not covered themselves).
    let covered_subs: Vec<String> = techniques
        .iter()
        .filter(|(id, t)| id.contains('.') && t.status == Status::Covered)
        .map(|(id, _)| id.clone())
        .collect();
    for sub in covered_subs {
        let parent = sub.split('.').next().unwrap_or("").to_string();
        if let Some(parent) = techniques.get_mut(&parent) {
            parent.covered_subtechniques.push(sub);
            if parent.status == Status::NotCovered {
                parent.status = Status::Partly;
            }
        }
    }
    let mut technique_counts = [0usize; 3];
    for &t in &matrix.techniques {
        if let Some(c) = techniques.get(dataset.display_id(t)) {
            technique_counts[c.status as usize] += 1;
        }
    }
    let mut subtechnique_counts = [0usize; 2];
    for &t in &matrix.subtechniques {
        if let Some(c) = techniques.get(dataset.display_id(t)) {
            subtechnique_counts[usize::from(c.status != Status::Covered)] += 1;
        }
    }
    let tactics = matrix
        .tactics
        .iter()
        .map(|&tactic| tactic_coverage(dataset, matrix, &techniques, tactic))
        .collect();
    Coverage {
        mode,
        techniques,
        tactics,
        technique_counts,
        subtechnique_counts,
    }
}

fn tactic_coverage(
    dataset: &Dataset,
    matrix: &Scope,
    techniques: &BTreeMap<String, TechniqueCoverage>,
    tactic: ObjId,
) -> TacticCoverage {
    let mut result = TacticCoverage {
        tactic,
        techniques: 0,
        covered: 0,
        partly: 0,
        subtechniques: 0,
        subtechniques_covered: 0,
        rules: 0,
    };
    let mut rules: BTreeSet<usize> = BTreeSet::new();
    let covered_here = |id: &str| -> Option<&Vec<usize>> {
        techniques
            .get(id)
            .and_then(|c| c.rules_by_tactic.get(&tactic))
            .filter(|r| !r.is_empty())
    };
    for &sub in &matrix.subtechniques {
        if !matrix.tactics_of(sub).contains(&tactic) {
            continue;
        }
        result.subtechniques += 1;
        if let Some(list) = covered_here(dataset.display_id(sub)) {
            result.subtechniques_covered += 1;
            rules.extend(list);
        }
    }
    for &technique in &matrix.techniques {
        if !matrix.tactics_of(technique).contains(&tactic) {
            continue;
        }
        result.techniques += 1;
        let id = dataset.display_id(technique);
        if let Some(list) = covered_here(id) {
            result.covered += 1;
            rules.extend(list);
        } else {
            let prefix = format!("{id}.");
            let partly = techniques
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .any(|(k, c)| {
                    c.in_scope && covered_here(k).is_some() && c.status == Status::Covered
                });
            if partly {
                result.partly += 1;
            }
        }
    }
    result.rules = rules.len();
    result
}
