//! `attackdb coverage`: read detection rules, map them onto the chosen release, and print the
//! coverage (table or JSON), optionally writing a Navigator layer and a Markdown/HTML report, and
//! failing under a threshold for CI.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use attackdb_coverage::{Analysis, Inherit, Level};
use clap::{Args, ValueEnum};

use crate::options::Options;
use crate::render::{self, Table};

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// By file name and content: .yml/.yaml Sigma or Splunk, .toml Elastic, .csv, .json layer
    Auto,
    /// Sigma rules
    Sigma,
    /// Splunk security_content detections
    Splunk,
    /// Elastic detection-rules TOML
    Elastic,
    /// A CSV inventory: rule name, technique IDs, optional tactic, optional score
    Csv,
    /// ATT&CK Navigator layers
    Layer,
}

/// `--score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScoreArg {
    /// The number of rules
    Count,
    /// The highest rule level (informational 1 .. critical 5)
    MaxLevel,
    /// The sum of rule level weights (informational 1 .. critical 5)
    Weighted,
}

/// `attackdb coverage` options.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Save the result in the workspace as an assessment of this name (assessments of one
    /// name make a trend)
    #[arg(long, value_name = "NAME")]
    pub save: Option<String>,
    #[command(flatten)]
    pub database: crate::cmd::workspace::DatabaseArg,
    /// Rule files or folders (searched recursively)
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Rule format (default: detected per file)
    #[arg(long, value_enum, default_value = "auto")]
    pub format: FormatArg,
    /// Only the techniques of this platform count (e.g. Windows, Linux, macOS)
    #[arg(long, value_name = "P")]
    pub platform: Option<String>,
    /// Rank gaps for these groups (IDs, names or aliases); with no ID, every group
    #[arg(long, num_args = 0.., value_name = "ID", conflicts_with_all = ["software", "campaigns"])]
    pub groups: Option<Vec<String>>,
    /// Rank gaps for this software; with no ID, all software
    #[arg(long, num_args = 0.., value_name = "ID", conflicts_with = "campaigns")]
    pub software: Option<Vec<String>>,
    /// Rank gaps for these campaigns; with no ID, every campaign
    #[arg(long, num_args = 0.., value_name = "ID")]
    pub campaigns: Option<Vec<String>>,
    /// Technique score
    #[arg(long, value_enum, default_value = "count")]
    pub score: ScoreArg,
    /// Write a Navigator layer (4.5) of the coverage to this file
    #[arg(long, value_name = "OUT")]
    pub layer: Option<PathBuf>,
    /// Write a report: Markdown (.md) or self-contained HTML (.html)
    #[arg(long, value_name = "OUT.md|OUT.html")]
    pub report: Option<PathBuf>,
    /// Show the rules against what these sources let you see: a file of data components or log
    /// sources (one per line), or a DeTT&CT data-source administration file (.yaml)
    #[arg(long, value_name = "FILE")]
    pub visibility: Option<PathBuf>,
    /// Exit non-zero when under PCT percent of techniques and sub-techniques are covered
    #[arg(long, value_name = "PCT")]
    pub fail_under: Option<f64>,
    /// How many gaps the summary lists
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Only rules of this level or higher count (informational, low, medium, high, critical;
    /// Elastic severities alike); rules without a level are left out
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    pub min_level: Option<Level>,
    /// Only rules with one of these statuses count (e.g. stable,test; Splunk: production;
    /// Elastic: maturity); rules without a status are left out. Default: every rule but the
    /// deprecated ones; `all`: every rule
    #[arg(long, value_name = "S,...", value_delimiter = ',', num_args = 1..)]
    pub status: Vec<String>,
    /// Gaps: count the techniques of the actors' software too (default: a group's own and its
    /// campaigns', as the relation family techniques_used_by_group)
    #[arg(long)]
    pub with_software: bool,
}

fn parse_level(name: &str) -> std::result::Result<Level, String> {
    Level::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Level::ALL.iter().map(|l| l.as_str()).collect();
        format!(
            "`{name}` is not a level: expected one of {}",
            names.join(", ")
        )
    })
}

/// Coverage is under the `--fail-under` threshold.
#[derive(Debug, thiserror::Error)]
#[error("coverage {percent:.2}% is under the threshold {threshold}%")]
pub struct BelowThreshold {
    /// The coverage.
    pub percent: f64,
    /// The threshold.
    pub threshold: f64,
}

/// Runs `attackdb coverage` on `--domain` (default enterprise) at `--release`.
pub fn run(args: &CoverageArgs, cli: &Options, out: &mut dyn Write) -> Result<()> {
    let json = cli.json;
    let name =
        |value: Option<clap::builder::PossibleValue>| value.map(|v| v.get_name().to_string());
    let request = attackdb_ask::CoverageRequest {
        paths: args.paths.clone(),
        format: name(args.format.to_possible_value()),
        platform: args.platform.clone(),
        score: name(args.score.to_possible_value()),
        groups: args.groups.clone(),
        software: args.software.clone(),
        campaigns: args.campaigns.clone(),
        with_software: args.with_software,
        min_level: args.min_level.map(|l| l.as_str().to_string()),
        status: args.status.clone(),
        visibility: args.visibility.clone(),
        scope: cli.scope(),
    };
    let answered = attackdb_ask::coverage(cli, &request)?;
    let analysis = answered.answer.answer;
    for error in &analysis.ingested.errors {
        crate::progress::say(
            "warning",
            &format!("{}: {}", error.file.display(), error.reason),
        );
    }
    for warning in &analysis.mapping.warnings {
        crate::progress::say("warning", &warning.to_string());
    }
    crate::progress::say_notes(&answered.notes);
    if let Some(path) = &args.layer {
        let layer = attackdb_coverage::to_layer(&analysis, &layer_name(&args.paths));
        let text = attackdb_navigator::layer_to_json(&layer)?;
        write_file(path, &text)?;
    }
    if let Some(path) = &args.report {
        let html = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
        let text = if html {
            attackdb_coverage::to_html(&analysis)
        } else {
            attackdb_coverage::to_markdown(&analysis)
        };
        write_file(path, &text)?;
    }
    if let Some(name) = &args.save {
        let rule_set: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        let saved = crate::cmd::workspace::save_assessment(
            &args.database,
            cli,
            name,
            &rule_set.join(", "),
            &analysis,
        )?;
        crate::progress::say(
            "note",
            &format!(
                "saved as assessment {} ({}, {}) in the workspace",
                saved.summary.id, saved.summary.name, saved.summary.taken_at
            ),
        );
    }
    if json {
        render::json(out, &attackdb_coverage::document(&analysis).to_value())?;
    } else {
        summary(&analysis, args.top, out)?;
    }
    if let Some(threshold) = args.fail_under {
        let percent = analysis.coverage.percent();
        if percent < threshold {
            out.flush()?;
            return Err(BelowThreshold { percent, threshold }.into());
        }
    }
    Ok(())
}

fn layer_name(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths
        .iter()
        .map(|p| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect();
    format!("coverage: {}", names.join(", "))
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("{}: cannot write", path.display()))
}

fn summary(analysis: &Analysis<'_>, top: usize, out: &mut dyn Write) -> Result<()> {
    let dataset = analysis.dataset;
    let coverage = &analysis.coverage;
    let width = render::width();
    let [covered, partly, not_covered] = coverage.technique_counts;
    let [sub_covered, sub_not] = coverage.subtechnique_counts;
    let header = format!(
        "{} {}{}: {} rules from {} files{}, {} mapped, {} without ATT&CK techniques",
        dataset.domain(),
        dataset.release(),
        analysis.platform_note(),
        analysis.rules().len(),
        analysis.ingested.files,
        analysis.filtered_note(),
        analysis.rules_mapped(),
        analysis.rules_without_techniques()
    );
    render::paragraph(out, &header, width, 0)?;
    match analysis.ingested.deprecated_left_out {
        0 => {}
        n => render::paragraph(
            out,
            &format!(
                "{n} deprecated rule(s) left out (--status deprecated,... or --status all counts them)"
            ),
            width,
            0,
        )?,
    }
    let counts = format!(
        "techniques: {covered} covered, {partly} partly, {not_covered} not covered; sub-techniques: {sub_covered} covered, {sub_not} not; coverage {:.1}%",
        coverage.percent()
    );
    render::paragraph(out, &counts, width, 0)?;
    writeln!(out)?;
    let mut table = Table::new(&[
        "TACTIC",
        "TECHNIQUES",
        "COVERED",
        "PARTLY",
        "NOT",
        "SUBS COVERED",
        "RULES",
        "COVERAGE",
    ]);
    for t in &coverage.tactics {
        table.row(vec![
            dataset.display_name(t.tactic).to_string(),
            t.techniques.to_string(),
            t.covered.to_string(),
            t.partly.to_string(),
            t.not_covered().to_string(),
            format!("{}/{}", t.subtechniques_covered, t.subtechniques),
            t.rules.to_string(),
            format!("{:.1}%", t.percent()),
        ]);
    }
    table.write(out, width)?;
    if let Some(join) = &analysis.visibility {
        visibility_table(join, width, out)?;
    }
    let mapping = &analysis.mapping;
    if !mapping.unknown.is_empty() {
        let ids: Vec<String> = mapping
            .unknown
            .iter()
            .map(|(id, (kind, rules))| format!("{id} ({}, {} rules)", kind.as_str(), rules.len()))
            .collect();
        writeln!(out)?;
        render::paragraph(
            out,
            &format!(
                "unknown to {} {}: {}",
                dataset.domain(),
                dataset.release(),
                ids.join(", ")
            ),
            width,
            0,
        )?;
    }
    if !mapping.revoked.is_empty() {
        let pairs: Vec<String> = mapping
            .revoked
            .iter()
            .map(|(old, new)| format!("{old} -> {new}"))
            .collect();
        render::paragraph(out, &format!("revoked: {}", pairs.join(", ")), width, 0)?;
    }
    if !mapping.deprecated.is_empty() {
        let ids: Vec<&str> = mapping.deprecated.keys().map(String::as_str).collect();
        render::paragraph(out, &format!("deprecated: {}", ids.join(", ")), width, 0)?;
    }
    if !analysis.ingested.errors.is_empty() {
        writeln!(
            out,
            "{} files or rows could not be read (listed on stderr)",
            analysis.ingested.errors.len()
        )?;
    }
    if let Some(gaps) = &analysis.gaps {
        gap_summary(analysis, gaps, top, width, out)?;
    }
    Ok(())
}

/// The gaps in brief: the top ones with where each comes from, the actors' shares when they are
/// few; the whole list is in `--json` and the `--report` file.
fn gap_summary(
    analysis: &Analysis<'_>,
    gaps: &attackdb_coverage::Gaps,
    top: usize,
    width: usize,
    out: &mut dyn Write,
) -> Result<()> {
    let dataset = analysis.dataset;
    writeln!(out)?;
    let counted = match gaps.inherit {
        Inherit::Campaigns => {
            "their own and their campaigns' techniques; --with-software adds their software's"
        }
        Inherit::CampaignsAndSoftware => {
            "their own, their campaigns' and their software's techniques"
        }
    };
    render::paragraph(
        out,
        &format!(
            "top gaps: techniques the {} {} use that no rule covers ({counted})",
            gaps.actors.len(),
            gaps.kind
        ),
        width,
        0,
    )?;
    let mut table = Table::new(&["RANK", "TECHNIQUE", "STATUS", "USERS", "USED BY"]);
    table.wrap_at(1, 36);
    for (rank, gap) in gaps.gaps.iter().take(top).enumerate() {
        let users: Vec<String> = gap
            .used_by
            .iter()
            .map(|(actor, via)| {
                format!(
                    "{} ({})",
                    dataset.display_name(*actor),
                    via.sources(dataset).join(", ")
                )
            })
            .collect();
        table.row(vec![
            (rank + 1).to_string(),
            format!(
                "{} {}",
                dataset.display_id(gap.technique),
                dataset.display_name(gap.technique)
            ),
            gap.status.as_str().to_string(),
            gap.used_by.len().to_string(),
            users.join("; "),
        ]);
    }
    table.write(out, width)?;
    if gaps.actors.len() <= 30 {
        writeln!(out)?;
        let mut table = Table::new(&["ID", "NAME", "TECHNIQUES", "COVERED", "COVERAGE"]);
        for a in &gaps.actors {
            table.row(vec![
                dataset.display_id(a.actor).to_string(),
                dataset.display_name(a.actor).to_string(),
                a.techniques.to_string(),
                a.covered.to_string(),
                format!("{:.1}%", a.percent()),
            ]);
        }
        table.write(out, width)?;
    }
    let shown = gaps.gaps.len().min(top);
    let hidden_actors = if gaps.actors.len() > 30 {
        format!(
            " (and the coverage of each of the {} {})",
            gaps.actors.len(),
            gaps.kind
        )
    } else {
        String::new()
    };
    writeln!(out)?;
    render::paragraph(
        out,
        &format!(
            "{shown} of {} gaps shown; all of them{hidden_actors}: --json, or --report FILE.md",
            gaps.gaps.len()
        ),
        width,
        0,
    )?;
    Ok(())
}

fn visibility_table(
    join: &attackdb_coverage::CoverageVisibility,
    width: usize,
    out: &mut dyn Write,
) -> Result<()> {
    let totals = &join.totals;
    let seen = &join.visibility;
    writeln!(out)?;
    writeln!(
        out,
        "against visibility ({} of {} sources matched): techniques and sub-techniques {} covered, {} covered but not visible, {} visible but not covered, {} not visible",
        seen.sources.len(),
        seen.sources.len() + seen.unmatched.len(),
        totals.covered,
        totals.covered_not_visible,
        totals.visible_not_covered,
        totals.not_visible
    )?;
    writeln!(out)?;
    let mut table = Table::new(&[
        "TACTIC",
        "COVERED",
        "COVERED, NOT VISIBLE",
        "VISIBLE, NOT COVERED",
        "NOT VISIBLE",
    ]);
    for t in &join.tactics {
        table.row(vec![
            t.name.clone(),
            t.counts.covered.to_string(),
            t.counts.covered_not_visible.to_string(),
            t.counts.visible_not_covered.to_string(),
            t.counts.not_visible.to_string(),
        ]);
    }
    table.write(out, width)?;
    for unmatched in &seen.unmatched {
        render::paragraph(
            out,
            &format!("source {}: {}", unmatched.input, unmatched.note),
            width,
            0,
        )?;
    }
    Ok(())
}
