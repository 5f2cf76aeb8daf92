//! `attackdb migrate layer`: carry a Navigator layer to another ATT&CK release, with a review
//! list of every decision.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use attackdb_navigator::layers_to_json;
use clap::Subcommand;

use crate::options::Options;
use crate::render::{self, Table};

/// `attackdb migrate`.
#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Carry a layer file to release X.Y: revoked techniques move to their replacement,
    /// deprecated ones are disabled, tactics follow; decisions needing a person are listed
    Layer {
        /// The layer file (one layer or a list; formats 2.x to 4.5)
        file: PathBuf,
        /// The target release, X.Y
        #[arg(long, value_name = "X.Y")]
        to: String,
        /// The release the layer was made for (default: its versions.attack)
        #[arg(long, value_name = "X.Y")]
        from: Option<String>,
        /// Where to write the migrated layer file
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        output: PathBuf,
        /// Also write the review report here (.md or .json)
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// Check rule files (read as `coverage` reads them) against release X.Y: every technique or
    /// tactic reference that is revoked, deprecated or unknown there, with a suggested replacement
    Rules {
        /// Rule files or folders (Sigma, Splunk, Elastic, CSV, layers)
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The target release, X.Y
        #[arg(long, value_name = "X.Y")]
        to: String,
        /// Force one rule format instead of detecting it per file
        #[arg(long, value_name = "FORMAT")]
        format: Option<String>,
        /// Output format: table (default), json, md or csv (json with --json)
        #[arg(long = "output-format", value_name = "FORMAT")]
        output_format: Option<String>,
        /// Write the report here instead of stdout
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        output: Option<PathBuf>,
    },
}

/// Runs `attackdb migrate ...`.
pub fn run(command: &MigrateCommand, global: &Options, out: &mut dyn Write) -> Result<()> {
    match command {
        MigrateCommand::Layer {
            file,
            to,
            from,
            output,
            report,
        } => migrate_layer_file(
            file,
            to,
            from.as_deref(),
            output,
            report.as_deref(),
            global,
            out,
        ),
        MigrateCommand::Rules {
            paths,
            to,
            format,
            output_format,
            output,
        } => migrate_rules(
            paths,
            to,
            format.as_deref(),
            output_format.as_deref(),
            output.as_deref(),
            global,
            out,
        ),
    }
}

fn migrate_layer_file(
    file: &std::path::Path,
    to: &str,
    from: Option<&str>,
    target_path: &std::path::Path,
    report: Option<&std::path::Path>,
    global: &Options,
    out: &mut dyn Write,
) -> Result<()> {
    let layer_file = crate::cmd::layer::read_file(file)?;
    let request = attackdb_ask::MigrateLayerRequest {
        to: Some(to.to_string()),
        from: from.map(str::to_string),
    };
    let migrated = attackdb_ask::migrate_layer(
        global,
        &layer_file,
        &file.display().to_string(),
        &target_path.display().to_string(),
        &request,
    )?;
    for warning in &migrated.report.problems {
        crate::progress::say(
            "warning",
            &format!("{}: {}: {}", file.display(), warning.path, warning.message),
        );
    }
    let written = layers_to_json(&migrated.layers, migrated.is_list)?;
    std::fs::write(target_path, written)
        .with_context(|| format!("cannot write {}", target_path.display()))?;
    let domains = migrated.domains;
    let json_report = migrated.report;
    let all_decisions = &json_report.decisions;
    let review = json_report.needs_review;
    if let Some(report) = report {
        let content = if report.extension().is_some_and(|e| e == "json") {
            attackdb_kb::answer::to_json_pretty(&json_report)?
        } else {
            json_report.to_markdown()
        };
        std::fs::write(report, content)
            .with_context(|| format!("cannot write {}", report.display()))?;
    }
    if global.json {
        return render::json(out, &json_report);
    }
    let width = render::width();
    let domain_names: Vec<String> = domains.iter().map(ToString::to_string).collect();
    render::paragraph(
        out,
        &format!(
            "{} to {} {}: {} decisions, {review} for review",
            file.display(),
            domain_names.join(", "),
            to,
            all_decisions.len(),
        ),
        width,
        0,
    )?;
    // Per kind: how many, how many for review, and the techniques.
    let mut kinds: Vec<(&str, usize, usize, Vec<&str>)> = Vec::new();
    for d in all_decisions {
        let kind = d.kind;
        let index = match kinds.iter().position(|k| k.0 == kind) {
            Some(index) => index,
            None => {
                kinds.push((kind, 0, 0, Vec::new()));
                kinds.len() - 1
            }
        };
        let entry = &mut kinds[index];
        entry.1 += 1;
        entry.2 += usize::from(d.needs_review);
        if !entry.3.contains(&d.technique.as_str()) {
            entry.3.push(d.technique.as_str());
        }
    }
    if !kinds.is_empty() {
        writeln!(out)?;
        let mut table = Table::new(&["DECISION", "COUNT", "REVIEW", "TECHNIQUES"]);
        for (kind, count, for_review, techniques) in &kinds {
            table.row(vec![
                kind.to_string(),
                count.to_string(),
                for_review.to_string(),
                techniques.join(" "),
            ]);
        }
        table.write(out, width)?;
        writeln!(out)?;
    }
    let report_note = match report {
        Some(path) => format!("written to {}", path.display()),
        None => "--report FILE.md (or .json), or --json".to_string(),
    };
    render::paragraph(
        out,
        &format!(
            "wrote {}; every decision with its tactic, target and detail: {report_note}",
            target_path.display()
        ),
        width,
        0,
    )?;
    Ok(())
}

fn migrate_rules(
    paths: &[PathBuf],
    to: &str,
    format: Option<&str>,
    output_format: Option<&str>,
    output_path: Option<&std::path::Path>,
    global: &Options,
    out: &mut dyn Write,
) -> Result<()> {
    let request = attackdb_ask::MigrateRulesRequest {
        paths: paths.to_vec(),
        to: Some(to.to_string()),
        format: format.map(str::to_string),
        scope: global.scope(),
    };
    let answered = attackdb_ask::migrate_rules(global, &request)?;
    for note in &answered.notes {
        crate::progress::say("warning", note);
    }
    let (dataset, report) = answered.answer;
    let chosen = output_format.unwrap_or(if global.json { "json" } else { "table" });
    let text = match chosen {
        "json" => attackdb_kb::answer::to_json_pretty(&report)?,
        "md" => report.to_markdown(),
        "csv" => report.to_csv()?,
        "table" => {
            let mut table = Table::new(&["Status", "Reference", "Suggestion", "Rule", "File"]);
            for f in &report.all {
                table.row(vec![
                    f.status.to_string(),
                    f.reference.clone(),
                    f.suggestion.clone().unwrap_or_default(),
                    f.rule.clone(),
                    f.file.clone(),
                ]);
            }
            let mut buffer = Vec::new();
            table.write(&mut buffer, render::width())?;
            let mut text = String::from_utf8_lossy(&buffer).to_string();
            text.push_str(&format!(
                "{} findings in {} rules ({} files) against {} {to}\n",
                report.all.len(),
                report.rules,
                report.files,
                dataset.domain()
            ));
            text
        }
        other => bail!("unknown output format `{other}`: expected table, json, md or csv"),
    };
    match output_path {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => out.write_all(text.as_bytes())?,
    }
    Ok(())
}
