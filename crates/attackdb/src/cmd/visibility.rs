//! `attackdb visibility`: which techniques your data sources (data components, log sources,
//! DeTT&CT data-source files) let you see, per source and per tactic, as a table, JSON or a
//! Navigator layer.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use attackdb_coverage::{SourceList, VisibilityAnswer};
use clap::Args;

use crate::options::Options;
use crate::render::{self, Table};

/// `attackdb visibility` options.
#[derive(Debug, Args)]
pub struct VisibilityArgs {
    /// Data components (DC0035, "Process Creation"), log sources as the 18.x analytics name them
    /// ("WinEventLog:Security", "WinEventLog:Sysmon (EventCode=10)") or ATT&CK data sources
    #[arg(value_name = "SOURCE", required_unless_present = "log_sources")]
    pub sources: Vec<String>,
    /// A file of sources: one per line (`#` comments), or a DeTT&CT data-source administration
    /// file (.yaml/.yml: names with data quality scores, exceptions)
    #[arg(long, value_name = "FILE", visible_alias = "sources")]
    pub log_sources: Option<PathBuf>,
    /// Only the techniques of this platform count (e.g. Windows, Linux, macOS)
    #[arg(long, value_name = "P")]
    pub platform: Option<String>,
    /// Write a Navigator layer (4.5) of the visible techniques to this file
    #[arg(long, value_name = "OUT")]
    pub layer: Option<PathBuf>,
}

pub fn run(args: &VisibilityArgs, options: &Options, out: &mut dyn Write) -> Result<()> {
    let file = args
        .log_sources
        .as_deref()
        .map(SourceList::read)
        .transpose()?;
    let request = attackdb_ask::VisibilityRequest {
        sources: args.sources.clone(),
        platform: args.platform.clone(),
        scope: options.scope(),
    };
    let answer = attackdb_ask::visibility(options, file, &request)?.answer;
    if let Some(path) = &args.layer {
        let name = match (&answer.input_name, &args.log_sources) {
            (Some(name), _) => format!("visibility: {name}"),
            (None, Some(path)) => format!(
                "visibility: {}",
                path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned()
                )
            ),
            (None, None) => format!("visibility: {}", args.sources.join(", ")),
        };
        let layer = attackdb_coverage::visibility_layer(&answer, &name);
        let text = attackdb_navigator::layer_to_json(&layer)?;
        std::fs::write(path, text).with_context(|| format!("{}: cannot write", path.display()))?;
    }
    if options.json {
        // The answer lists them too; said on stderr so that a script's reader sees them.
        for unmatched in &answer.unmatched {
            crate::progress::say("note", &format!("{}: {}", unmatched.input, unmatched.note));
        }
        return render::json(out, &answer);
    }
    summary(&answer, out)
}

fn summary(answer: &VisibilityAnswer, out: &mut dyn Write) -> Result<()> {
    let width = render::width();
    let totals = &answer.totals;
    writeln!(
        out,
        "{} {}{}: {} of {} sources matched; {} of {} techniques and {} of {} sub-techniques visible ({:.1}%)",
        answer.domain,
        answer.release,
        answer
            .platform
            .as_deref()
            .map(|p| format!(", platform {p}"))
            .unwrap_or_default(),
        answer.sources.len(),
        answer.sources.len() + answer.unmatched.len(),
        totals.techniques_visible,
        totals.techniques,
        totals.subtechniques_visible,
        totals.subtechniques,
        totals.percent
    )?;
    writeln!(out)?;
    let mut table = Table::new(&["SOURCE", "MATCHED AS", "DATA COMPONENTS", "QUALITY", "SEES"]);
    table.wrap_at(2, 60);
    for source in &answer.sources {
        let components: Vec<String> = source
            .data_components
            .iter()
            .map(|d| {
                // Before 18.0 data components have no ATT&CK ID: the name says it.
                if d.id.starts_with("x-mitre-") {
                    d.name.clone()
                } else {
                    format!("{} {}", d.id, d.name)
                }
            })
            .collect();
        let quality = match (source.quality, source.available) {
            (_, false) => "0 (off)".to_string(),
            (Some(q), true) => format!("{q:.1}"),
            (None, true) => String::new(),
        };
        table.row(vec![
            source.input.clone(),
            source.matched_as.to_string(),
            components.join(", "),
            quality,
            source.techniques.to_string(),
        ]);
    }
    table.write(out, width)?;
    writeln!(out)?;
    let mut table = Table::new(&[
        "TACTIC",
        "TECHNIQUES",
        "VISIBLE",
        "SUBS VISIBLE",
        "VISIBILITY",
    ]);
    for t in &answer.tactics {
        table.row(vec![
            t.name.clone(),
            t.techniques.to_string(),
            t.visible.to_string(),
            format!("{}/{}", t.subtechniques_visible, t.subtechniques),
            format!("{:.1}%", t.percent),
        ]);
    }
    table.write(out, width)?;
    for source in &answer.sources {
        writeln!(out)?;
        writeln!(
            out,
            "{} sees {} techniques",
            source.input, source.techniques
        )?;
        if let Some(note) = &source.note {
            render::paragraph(out, &format!("note: {note}"), width, 2)?;
        }
        for tactic in &source.by_tactic {
            render::paragraph(
                out,
                &format!(
                    "{} ({}): {}",
                    tactic.name,
                    tactic.techniques.len(),
                    tactic.techniques.join(" ")
                ),
                width,
                2,
            )?;
        }
    }
    if !answer.exceptions.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "exceptions (not counted): {}",
            answer.exceptions.join(", ")
        )?;
    }
    if !answer.unmatched.is_empty() {
        writeln!(out)?;
        writeln!(out, "{} sources match nothing:", answer.unmatched.len())?;
        for unmatched in &answer.unmatched {
            render::paragraph(
                out,
                &format!("{}: {}", unmatched.input, unmatched.note),
                width,
                2,
            )?;
        }
    }
    Ok(())
}
