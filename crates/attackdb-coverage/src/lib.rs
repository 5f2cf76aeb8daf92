//! Detection coverage of ATT&CK: read rule files (Sigma, Splunk security_content, Elastic
//! detection-rules, a CSV inventory, Navigator layers), map their technique references onto one
//! release, and compute coverage per technique and tactic, threat-informed gaps, a Navigator
//! layer, and Markdown and HTML reports; and visibility: which techniques the data sources you
//! collect let you see (data components, log sources, DeTT&CT data-source files), and the rules
//! against it.
//!
//! ```no_run
//! use attackdb_coverage::{analyze, ingest, Options};
//! use attackdb_kb::Kb;
//! let kb = Kb::load(&["../shared/attack-stix-data".into()])?;
//! let dataset = kb.select(attackdb_kb::Domain::Enterprise, None)?;
//! let ingested = ingest(&["../shared/corpora/sigma".into()], None)?;
//! let analysis = analyze(dataset, ingested, &Options::default())?;
//! println!("{:.1}% covered", analysis.coverage.percent());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Library rules as elsewhere in attackdb: no printing, no exiting, no environment reads, no
//! panics on input; reading the rule files is the only I/O. A file that cannot be read is a
//! [`FileError`] of the result, and the run goes on.

mod coverage;
mod error;
mod formats;
mod gaps;
mod ingest;
mod json;
mod layer;
mod limits;
mod mapping;
mod report;
mod rule;
mod stale;
mod visibility;
mod yaml;

pub use coverage::{
    compute, percent, score, Coverage, ScoreMode, Status, TacticCoverage, TechniqueCoverage,
};
pub use error::{Error, Result};
pub use gaps::{gaps, resolve, techniques_of, ActorCoverage, Actors, Gap, Gaps, Inherit, Via};
pub use ingest::{
    ingest, read_file, read_text, FileError, Ingested, RuleFilter, ALL_STATUSES, DEPRECATED,
};
pub use json::{document, to_json, CoverageDocument};
pub use layer::to_layer;
pub use limits::{limits, set_limits, Limits};
pub use mapping::{map_rules, normalize_id, normalize_tactic, Hit, Mapping, Scope, UnknownKind};
pub use report::{to_html, to_markdown};
pub use rule::{Format, Level, Rule, TechniqueRef};
pub use stale::{check_references, check_references_with, Finding, ReferenceReport, UnreadFile};
pub use visibility::visibility_layer;
pub use visibility::{
    join_visibility, visibility, CoverageVisibility, JoinCounts, SourceAnswer, SourceEntry,
    SourceList, TacticJoin, TacticTechniques, TacticVisibility, Unmatched, VisibilityAnswer,
    VisibilityTotals, VisibleTechnique,
};

use attackdb_kb::Dataset;

/// What to compute.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// Limit the scope to the techniques of this platform.
    pub platform: Option<String>,
    /// How technique scores are computed.
    pub score: ScoreMode,
    /// Threat actors to rank gaps for, if any.
    pub actors: Option<Actors>,
    /// Which of the actors' techniques count: their own and their campaigns' (the default), or
    /// their software's too.
    pub inherit: Inherit,
}

/// A complete coverage analysis of one rule set on one release.
#[derive(Debug, Clone)]
pub struct Analysis<'a> {
    /// The release.
    pub dataset: &'a Dataset,
    /// The rules read, files that could not be read, files read.
    pub ingested: Ingested,
    /// The release's matrix and the scope.
    pub matrix: Scope,
    /// The rules mapped onto the release.
    pub mapping: Mapping,
    /// The coverage.
    pub coverage: Coverage,
    /// The threat-informed gaps, when actors were given.
    pub gaps: Option<Gaps>,
    /// The rules against what a set of sources lets you see, when asked for (see
    /// [`join_visibility`]).
    pub visibility: Option<CoverageVisibility>,
}

impl Analysis<'_> {
    /// The rules read.
    pub fn rules(&self) -> &[Rule] {
        &self.ingested.rules
    }

    /// Rules that cover at least one technique of the release.
    pub fn rules_mapped(&self) -> usize {
        (0..self.ingested.rules.len())
            .filter(|&i| self.mapping.is_mapped(i))
            .count()
    }

    /// One line when no rule maps onto the release but the technique IDs the rules name are
    /// techniques of another loaded domain (ICS coverage of Enterprise Sigma rules): which
    /// domain, and the `--domain` to try. `others` are releases of other domains; `None` when
    /// a rule maps, when the rules name no technique ID, or when no other domain knows them.
    pub fn other_domain_note(&self, others: &[&Dataset]) -> Option<String> {
        if self.rules_mapped() > 0 {
            return None;
        }
        let ids: Vec<&str> = self
            .mapping
            .unknown
            .iter()
            .filter(|(_, (kind, _))| *kind == UnknownKind::Technique)
            .map(|(id, _)| id.as_str())
            .collect();
        if ids.is_empty() {
            return None;
        }
        let here = self.dataset.domain();
        let (best, known) = others
            .iter()
            .filter(|d| d.domain() != here)
            .map(|d| {
                let known = ids
                    .iter()
                    .filter(|id| {
                        d.by_attack_id_typed(id, &[attackdb_kb::ObjectType::AttackPattern])
                            .is_some()
                    })
                    .count();
                (*d, known)
            })
            .max_by_key(|&(d, known)| (known, std::cmp::Reverse(d.domain())))?;
        if known == 0 {
            return None;
        }
        let other = best.domain();
        Some(format!(
            "none of the {} rules' technique IDs are {} techniques: {known} of the {} IDs they name are {} IDs (try --domain {})",
            self.rules().len(),
            here.title(),
            ids.len(),
            other.title(),
            other.short_name()
        ))
    }

    /// `", platform P"` when the analysis is limited to a platform, else nothing.
    pub fn platform_note(&self) -> String {
        self.matrix
            .platform
            .as_deref()
            .map(|p| format!(", platform {p}"))
            .unwrap_or_default()
    }

    /// `" (N more left out by the level and status filters)"` when rules were filtered out
    /// (not counting the deprecated ones the default leaves out), else nothing.
    pub fn filtered_note(&self) -> String {
        match self
            .ingested
            .filtered_out
            .saturating_sub(self.ingested.deprecated_left_out)
        {
            0 => String::new(),
            n => format!(" ({n} more left out by the level and status filters)"),
        }
    }

    /// One line on the deprecated rules left out by default, when there are any.
    pub fn deprecated_note(&self) -> Option<String> {
        match self.ingested.deprecated_left_out {
            0 => None,
            1 => Some(
                "1 deprecated rule left out (counted when the status filter names deprecated, or all)"
                    .to_string(),
            ),
            n => Some(format!(
                "{n} deprecated rules left out (counted when the status filter names deprecated, or all)"
            )),
        }
    }

    /// Rules without any ATT&CK technique reference.
    pub fn rules_without_techniques(&self) -> usize {
        self.ingested
            .rules
            .iter()
            .filter(|r| !r.has_attack_techniques())
            .count()
    }
}

/// Maps `ingested` onto `dataset` and computes coverage and, if asked, gaps.
pub fn analyze<'a>(
    dataset: &'a Dataset,
    ingested: Ingested,
    options: &Options,
) -> Result<Analysis<'a>> {
    let matrix = Scope::new(dataset, options.platform.as_deref());
    let mapping = map_rules(dataset, &matrix, &ingested.rules);
    let coverage = compute(dataset, &matrix, &ingested.rules, &mapping, options.score);
    let gaps = match &options.actors {
        Some(actors) => Some(gaps(dataset, &coverage, actors, options.inherit)?),
        None => None,
    };
    Ok(Analysis {
        dataset,
        ingested,
        matrix,
        mapping,
        coverage,
        gaps,
        visibility: None,
    })
}
