//! Typed answers about layers, for every front end (the CLI's `--json`, the REST API): what a
//! validation found, what an upgrade did, which files were written, a migration's review list;
//! and the layer of a release diff.

use std::fmt::Write as _;

use attackdb_kb::diff::{Category, DiffType, DomainDiff};
use serde::Serialize;

use crate::migrate::Decision;
use crate::model::{Layer, LegendItem, Technique};
use crate::problem::Problem;
use crate::read::ReadLayer;

/// A problem of a layer, as JSON shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemAnswer {
    /// JSON path (`[1].techniques[12].score`).
    pub path: String,
    /// `error` or `warning`.
    pub severity: &'static str,
    /// What is wrong.
    pub message: String,
}

impl ProblemAnswer {
    /// The answer for `problem`.
    pub fn of(problem: &Problem) -> ProblemAnswer {
        ProblemAnswer {
            path: problem.path.clone(),
            severity: problem.severity.as_str(),
            message: problem.message.clone(),
        }
    }
}

/// One layer of a validated file.
#[derive(Debug, Clone, Serialize)]
pub struct LayerValidation {
    /// Where it is in the file (`[0]`, or empty for a single layer).
    pub path: String,
    /// Its name.
    pub name: String,
    /// Its domain.
    pub domain: String,
    /// The layer format it was written in.
    pub layer_format: String,
    /// Whether it has no errors.
    pub valid: bool,
    /// How many technique entries it has.
    pub techniques: usize,
    /// Every problem found.
    pub problems: Vec<ProblemAnswer>,
}

/// `layer validate --json`.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationReport {
    /// The file.
    pub file: String,
    /// Whether the file holds a layer and every layer is valid.
    pub valid: bool,
    /// The releases the techniques were checked against (`enterprise-attack 18.1`).
    pub checked_against: Vec<String>,
    /// Each layer.
    pub layers: Vec<LayerValidation>,
}

impl ValidationReport {
    /// The report on `layers` of `file`, checked against `checked_against`.
    pub fn new(file: &str, layers: &[ReadLayer], checked_against: Vec<String>) -> ValidationReport {
        let layers: Vec<LayerValidation> = layers
            .iter()
            .map(|l| LayerValidation {
                path: l.path.clone(),
                name: l.layer.name.clone(),
                domain: l.layer.domain.clone(),
                layer_format: l.source_version.clone(),
                valid: l.is_valid(),
                techniques: l.layer.techniques.len(),
                problems: l.problems.iter().map(ProblemAnswer::of).collect(),
            })
            .collect();
        ValidationReport {
            file: file.to_string(),
            valid: !layers.is_empty() && layers.iter().all(|l| l.valid),
            checked_against,
            layers,
        }
    }

    /// How many layers are invalid.
    pub fn invalid(&self) -> usize {
        self.layers.iter().filter(|l| !l.valid).count()
    }
}

/// One layer of an upgraded file.
#[derive(Debug, Clone, Serialize)]
pub struct LayerUpgrade {
    /// Where it is in the file.
    pub path: String,
    /// Its name.
    pub name: String,
    /// The layer format it was written in.
    pub from: String,
    /// The layer format it is now (4.5).
    pub to: &'static str,
    /// Problems found on the way.
    pub problems: Vec<ProblemAnswer>,
}

/// `layer upgrade -o FILE --json`.
#[derive(Debug, Clone, Serialize)]
pub struct UpgradeReport {
    /// The file read.
    pub file: String,
    /// The file written.
    pub output: String,
    /// Each layer.
    pub layers: Vec<LayerUpgrade>,
}

/// What upgrading each of `layers` does.
pub fn upgrade_summary(layers: &[ReadLayer]) -> Vec<LayerUpgrade> {
    layers
        .iter()
        .map(|l| LayerUpgrade {
            path: l.path.clone(),
            name: l.layer.name.clone(),
            from: l.source_version.clone(),
            to: crate::model::LAYER_VERSION,
            problems: l.problems.iter().map(ProblemAnswer::of).collect(),
        })
        .collect()
}

/// A layer written to a file (`layer generate|combine -o FILE --json`).
#[derive(Debug, Clone, Serialize)]
pub struct WrittenLayer {
    /// The file.
    pub file: String,
    /// The layer's name.
    pub name: String,
    /// How many technique entries it has.
    pub techniques: usize,
}

/// One layer of a batch.
#[derive(Debug, Clone, Serialize)]
pub struct BatchLayer {
    /// The object's ID.
    pub id: String,
    /// The file.
    pub file: String,
    /// How many technique entries it has.
    pub techniques: usize,
}

/// `layer generate --batch KIND -o DIR --json`.
#[derive(Debug, Clone, Serialize)]
pub struct BatchReport {
    /// The kind (`campaigns`).
    pub kind: &'static str,
    /// The layers written.
    pub layers: Vec<BatchLayer>,
}

/// `layer export -o FILE --json`.
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    /// The file.
    pub file: String,
    /// `svg`, `xlsx`, `csv` or `md`.
    pub format: &'static str,
    /// How many layers it shows.
    pub layers: usize,
}

/// One workbook of `export excel`.
#[derive(Debug, Clone, Serialize)]
pub struct Workbook {
    /// The domain.
    pub domain: String,
    /// The release.
    pub release: String,
    /// The file.
    pub file: String,
}

/// `export excel --json`.
#[derive(Debug, Clone, Serialize)]
pub struct WorkbooksReport {
    /// Every workbook written.
    pub files: Vec<Workbook>,
}

/// The source release a migrated layer was read as.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationSource {
    /// The layer's path in its file.
    pub layer: String,
    /// The loaded release used as its source, if any.
    pub from: Option<String>,
    /// The release asked for (`--from`, else the layer's `versions.attack`).
    pub asked: Option<String>,
}

/// One decision of a migration, with its layer.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionAnswer {
    /// The layer's path in its file.
    pub layer: String,
    /// What was done (`moved`, `disabled`...).
    pub kind: &'static str,
    /// The technique.
    pub technique: String,
    /// The tactic of the entry.
    pub tactic: Option<String>,
    /// Where it went.
    pub to: Vec<String>,
    /// Why.
    pub detail: String,
    /// Whether a person must look at it.
    pub needs_review: bool,
}

/// `migrate layer --json` (and its `--report x.json`).
#[derive(Debug, Clone, Serialize)]
pub struct MigrationReport {
    /// The file read.
    pub file: String,
    /// The file written.
    pub output: String,
    /// The target release.
    pub to: String,
    /// The source release of each layer.
    pub sources: Vec<MigrationSource>,
    /// Every decision.
    pub decisions: Vec<DecisionAnswer>,
    /// How many need review.
    pub needs_review: usize,
    /// Warnings found reading the layers (as `layer validate` reports them).
    pub problems: Vec<ProblemAnswer>,
}

impl MigrationReport {
    /// The report of migrating `file` to release `to` into `output`.
    pub fn new(
        file: &str,
        output: &str,
        to: &str,
        sources: Vec<MigrationSource>,
        decisions: &[(String, Decision)],
    ) -> MigrationReport {
        MigrationReport {
            file: file.to_string(),
            output: output.to_string(),
            to: to.to_string(),
            sources,
            decisions: decisions
                .iter()
                .map(|(layer, d)| DecisionAnswer {
                    layer: layer.clone(),
                    kind: d.kind.as_str(),
                    technique: d.technique.clone(),
                    tactic: d.tactic.clone(),
                    to: d.to.clone(),
                    detail: d.detail.clone(),
                    needs_review: d.needs_review,
                })
                .collect(),
            needs_review: decisions.iter().filter(|(_, d)| d.needs_review).count(),
            problems: Vec::new(),
        }
    }

    /// The review report as Markdown: decisions needing a person first.
    pub fn to_markdown(&self) -> String {
        let mut md = format!("# Migration of {} to ATT&CK {}\n\n", self.file, self.to);
        let _ = writeln!(
            md,
            "{} decisions, {} need a person's review.\n",
            self.decisions.len(),
            self.needs_review
        );
        for (title, wanted) in [("Needs review", true), ("Done automatically", false)] {
            let rows: Vec<&DecisionAnswer> = self
                .decisions
                .iter()
                .filter(|d| d.needs_review == wanted)
                .collect();
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(md, "## {title}\n\n| Layer | Decision | Technique | Tactic | To | Detail |\n|---|---|---|---|---|---|");
            for d in rows {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} |",
                    d.layer,
                    d.kind,
                    d.technique,
                    d.tactic.as_deref().unwrap_or(""),
                    d.to.join(", "),
                    d.detail.replace('|', "\\|").replace('\n', " ")
                );
            }
            md.push('\n');
        }
        md
    }
}

/// A layer colouring a domain's techniques by what changed between two releases, as
/// `diff_stix` colours them: revocations and deprecations are left out; one entry per tactic
/// of the technique, commented with its category.
pub fn diff_layer(diff: &DomainDiff<'_>, from: &str, to: &str) -> Layer {
    let domain = diff.new.domain();
    let attack = to.split('.').next().unwrap_or(to);
    let mut layer = Layer::new(
        &format!("{} changes {from} → {to}", domain.title()),
        domain.as_str(),
        Some(attack),
    );
    layer.description = Some(format!(
        "Techniques of {domain} coloured by what changed from ATT&CK {from} to {to}"
    ));
    let shown = |c: &Category| !matches!(c, Category::Revocations | Category::Deprecations);
    if let Some(type_diff) = diff.types.get(&DiffType::Techniques) {
        for category in Category::ALL.into_iter().filter(shown) {
            for change in type_diff.categories.get(&category).into_iter().flatten() {
                let (dataset, id) = match (change.new, change.old) {
                    (Some(n), _) => (diff.new, n),
                    (None, Some(o)) => (diff.old, o),
                    (None, None) => continue,
                };
                let comment = category.key().trim_end_matches('s');
                for phase in &dataset.object(id).kill_chain_phases {
                    let mut entry = Technique::new(dataset.display_id(id));
                    entry.tactic = Some(phase.phase_name.to_string());
                    entry.enabled = Some(true);
                    entry.color = Some(category.color().to_string());
                    entry.comment = Some(comment.to_string());
                    layer.techniques.push(entry);
                }
            }
        }
    }
    layer.sorting = Some(0);
    layer.hide_disabled = Some(false);
    layer.legend_items = Category::ALL
        .iter()
        .filter(|c| shown(c))
        .map(|c| LegendItem {
            label: c.title().to_string(),
            color: c.color().to_string(),
            extra: Default::default(),
        })
        .collect();
    layer.show_tactic_row_background = Some(true);
    layer.tactic_row_background = Some("#205b8f".to_string());
    layer.select_techniques_across_tactics = Some(true);
    layer
}
