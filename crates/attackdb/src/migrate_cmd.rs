//! `attackdb migrate layer`: carry a Navigator layer to another ATT&CK release, with a review
//! list of every decision.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use attackdb_kb::{normalize_domain, Kb};
use attackdb_navigator::migrate::{migrate_layer, Decision};
use attackdb_navigator::{layers_to_json, read_layers};
use clap::Subcommand;
use serde_json::{json, Value};

use crate::cli::Global;
use crate::data::{self, LoadOptions, Need};
use crate::output::{self, Table};

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
}

/// Runs `attackdb migrate ...`.
pub fn run(command: &MigrateCommand, global: &Global, out: &mut dyn Write) -> Result<()> {
    let MigrateCommand::Layer {
        file,
        to,
        from,
        output: target_path,
        report,
    } = command;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let layer_file = read_layers(&text).with_context(|| file.display().to_string())?;
    let is_list = layer_file.is_list;
    let layers = layer_file.layers;
    if layers.is_empty() {
        bail!("{}: no layer in the file", file.display());
    }
    let mut domains: Vec<&'static str> = Vec::new();
    for read in &layers {
        let domain = normalize_domain(&read.layer.domain)
            .with_context(|| format!("{}: layer {}", file.display(), read.path))?;
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    let paths = data::data_paths(&global.data)?;
    let kb = data::load(
        &paths,
        Need::Domains(domains),
        &LoadOptions {
            use_index: !global.no_index,
        },
        &mut |warning| eprintln!("warning: {warning}"),
    )?;
    let mut migrated_layers = Vec::new();
    let mut all_decisions: Vec<(String, Decision)> = Vec::new();
    let mut sources = Vec::new();
    for read in &layers {
        let target = kb.select(Some(&read.layer.domain), Some(to))?;
        let wanted = from
            .clone()
            .or_else(|| read.layer.versions.as_ref().and_then(|v| v.attack.clone()));
        let source = wanted
            .as_deref()
            .and_then(|w| source_release(&kb, target.domain(), w));
        sources.push(json!({
            "layer": read.path,
            "from": source.map(|s| s.release()),
            "asked": wanted,
        }));
        let migration = migrate_layer(&read.layer, target, source);
        all_decisions.extend(
            migration
                .decisions
                .into_iter()
                .map(|d| (read.path.clone(), d)),
        );
        migrated_layers.push(migration.layer);
    }
    let written = layers_to_json(&migrated_layers, is_list)?;
    std::fs::write(target_path, written)
        .with_context(|| format!("cannot write {}", target_path.display()))?;
    let review = all_decisions.iter().filter(|(_, d)| d.needs_review).count();
    let json_report = json!({
        "file": file.display().to_string(),
        "output": target_path.display().to_string(),
        "to": to,
        "sources": sources,
        "decisions": all_decisions.iter().map(|(layer, d)| decision_json(layer, d)).collect::<Vec<_>>(),
        "needs_review": review,
    });
    if let Some(report) = report {
        let content = if report.extension().is_some_and(|e| e == "json") {
            serde_json::to_string_pretty(&json_report)? + "\n"
        } else {
            markdown(file.display().to_string(), to, &all_decisions)
        };
        std::fs::write(report, content)
            .with_context(|| format!("cannot write {}", report.display()))?;
    }
    if global.json {
        return output::json(out, &json_report);
    }
    let mut table = Table::new(&["Decision", "Technique", "Tactic", "To", "Review", "Detail"]);
    for (_, d) in &all_decisions {
        table.row(vec![
            d.kind.as_str().to_string(),
            d.technique.clone(),
            d.tactic.clone().unwrap_or_default(),
            d.to.join(" "),
            if d.needs_review { "yes" } else { "" }.to_string(),
            d.detail.clone(),
        ]);
    }
    table.write(out, output::width())?;
    writeln!(
        out,
        "{} decisions, {review} for review; wrote {}",
        all_decisions.len(),
        target_path.display()
    )?;
    Ok(())
}

/// The loaded release a layer's `versions.attack` (`8`, `8.2`, `v8`) names: that release, or
/// the newest loaded one of that major version.
fn source_release<'k>(kb: &'k Kb, domain: &str, wanted: &str) -> Option<&'k attackdb_kb::Dataset> {
    let wanted = wanted.trim().trim_start_matches(['v', 'V']);
    let mut candidates = kb.datasets().iter().filter(|d| d.domain() == domain);
    if wanted.contains('.') {
        return candidates.find(|d| d.release() == wanted);
    }
    candidates.rfind(|d| d.release().split('.').next() == Some(wanted))
}

fn decision_json(layer: &str, d: &Decision) -> Value {
    json!({
        "layer": layer,
        "kind": d.kind.as_str(),
        "technique": d.technique,
        "tactic": d.tactic,
        "to": d.to,
        "detail": d.detail,
        "needs_review": d.needs_review,
    })
}

fn markdown(file: String, to: &str, decisions: &[(String, Decision)]) -> String {
    let mut md = format!("# Migration of {file} to ATT&CK {to}\n\n");
    let review: Vec<&(String, Decision)> =
        decisions.iter().filter(|(_, d)| d.needs_review).collect();
    let _ = writeln!(
        md,
        "{} decisions, {} need a person's review.\n",
        decisions.len(),
        review.len()
    );
    for (title, wanted) in [("Needs review", true), ("Done automatically", false)] {
        let rows: Vec<&(String, Decision)> = decisions
            .iter()
            .filter(|(_, d)| d.needs_review == wanted)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(md, "## {title}\n\n| Layer | Decision | Technique | Tactic | To | Detail |\n|---|---|---|---|---|---|");
        for (layer, d) in rows {
            let _ = writeln!(
                md,
                "| {layer} | {} | {} | {} | {} | {} |",
                d.kind.as_str(),
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
