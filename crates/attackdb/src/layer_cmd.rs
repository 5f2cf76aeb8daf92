//! `attackdb layer ...` and `attackdb export excel`: Navigator layers from the command line, over
//! the `attackdb-navigator` crate.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use attackdb_kb::{Dataset, Kb};
use attackdb_navigator::{self as nav, LayerFile, Severity};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Value};

use crate::cli::Global;
use crate::data::{self, LoadOptions, Need};
use crate::output;

/// `attackdb layer`.
#[derive(Debug, Subcommand)]
pub enum LayerCommand {
    /// Check a layer file (one layer or a list): the format, with a JSON path for every problem,
    /// and its techniques against the chosen release; exits non-zero when a layer is invalid
    Validate {
        /// The layer file (.json)
        file: PathBuf,
    },
    /// Upgrade a layer file (formats 2.x, 3.0, 4.x) to layer format 4.5; unknown fields are kept
    Upgrade {
        /// The layer file (.json)
        file: PathBuf,
        /// Where to write the upgraded file (default: stdout)
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        output: Option<PathBuf>,
    },
}

/// `attackdb export`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The whole knowledge base of a release as Excel, like attackToExcel
    Excel(ExcelArgs),
}

/// `attackdb export excel`.
#[derive(Debug, Args)]
pub struct ExcelArgs {
    /// Folder to write into (one subfolder per domain)
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: PathBuf,
}

/// Runs `attackdb layer ...`.
pub fn run(command: &LayerCommand, global: &Global, out: &mut dyn Write) -> Result<()> {
    match command {
        LayerCommand::Validate { file } => validate(file, global, out),
        LayerCommand::Upgrade { file, output } => upgrade(file, output.as_deref(), global, out),
    }
}

/// Runs `attackdb export ...`.
pub fn export(command: &ExportCommand, global: &Global, out: &mut dyn Write) -> Result<()> {
    match command {
        ExportCommand::Excel(args) => {
            let _ = (args, global, out);
            bail!("export excel is not available yet")
        }
    }
}

/// Reads a layer file; a file that is not JSON or not a layer is an error naming the file.
fn read_file(file: &Path) -> Result<LayerFile> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    nav::read_layers(&text).with_context(|| format!("{}", file.display()))
}

/// Loads the dataset of `domain` (the `--domain` option wins) and `--release`.
fn load_dataset(global: &Global, domain: &str) -> Result<Kb> {
    let paths = data::data_paths(&global.data)?;
    let options = LoadOptions {
        use_index: !global.no_index,
    };
    let domain = global.domain.as_deref().unwrap_or(domain);
    data::load(
        &paths,
        Need::One {
            domain,
            release: global.release.as_deref(),
        },
        &options,
        &mut |warning| eprintln!("warning: {warning}"),
    )
}

fn select<'k>(kb: &'k Kb, global: &Global, domain: &str) -> Result<&'k Dataset> {
    let domain = global.domain.as_deref().unwrap_or(domain);
    Ok(kb.select(Some(domain), global.release.as_deref())?)
}

fn problem_json(problem: &nav::Problem) -> Value {
    json!({
        "path": problem.path,
        "severity": problem.severity.as_str(),
        "message": problem.message,
    })
}

fn validate(file: &Path, global: &Global, out: &mut dyn Write) -> Result<()> {
    let mut read = read_file(file)?;
    // Check the techniques against the release, one dataset per domain the layers name.
    let mut checked_against = Vec::new();
    let mut domains: Vec<String> = read
        .layers
        .iter()
        .map(|l| l.layer.domain.clone())
        .filter(|d| nav::DOMAINS.contains(&d.as_str()))
        .collect();
    domains.sort();
    domains.dedup();
    for domain in &domains {
        let kb = match load_dataset(global, domain) {
            Ok(kb) => kb,
            Err(error) if error.downcast_ref::<data::NoData>().is_some() => {
                eprintln!("note: no ATT&CK data, so only the format is checked ({error})");
                break;
            }
            Err(error) => return Err(error),
        };
        let dataset = select(&kb, global, domain)?;
        checked_against.push(format!("{} {}", dataset.domain(), dataset.release()));
        for layer in read.layers.iter_mut() {
            if &layer.layer.domain == domain {
                let more = nav::check_against(&layer.layer, dataset, &layer.path);
                layer.problems.extend(more);
            }
        }
    }
    let valid = read.layers.iter().filter(|l| l.is_valid()).count();
    let invalid = read.layers.len() - valid;
    if global.json {
        let layers: Vec<Value> = read
            .layers
            .iter()
            .map(|l| {
                json!({
                    "path": l.path,
                    "name": l.layer.name,
                    "domain": l.layer.domain,
                    "layer_format": l.source_version,
                    "valid": l.is_valid(),
                    "techniques": l.layer.techniques.len(),
                    "problems": l.problems.iter().map(problem_json).collect::<Vec<_>>(),
                })
            })
            .collect();
        output::json(
            out,
            &json!({
                "file": file.display().to_string(),
                "valid": invalid == 0,
                "checked_against": checked_against,
                "layers": layers,
            }),
        )?;
    } else {
        for l in &read.layers {
            let errors = l.errors().count();
            let warnings = l
                .problems
                .iter()
                .filter(|p| p.severity == Severity::Warning)
                .count();
            writeln!(
                out,
                "{} {} \"{}\" ({}, layer format {}, {} techniques): {}{}",
                if l.is_valid() { "ok     " } else { "INVALID" },
                l.path,
                l.layer.name,
                if l.layer.domain.is_empty() {
                    "no domain"
                } else {
                    &l.layer.domain
                },
                l.source_version,
                l.layer.techniques.len(),
                if errors > 0 {
                    format!("{errors} errors, ")
                } else {
                    String::new()
                },
                format_args!("{warnings} warnings"),
            )?;
            for p in &l.problems {
                writeln!(out, "  {:<7} {p}", p.severity.as_str())?;
            }
        }
        if !checked_against.is_empty() {
            writeln!(
                out,
                "techniques checked against {}",
                checked_against.join(", ")
            )?;
        }
    }
    if invalid > 0 {
        return Err(anyhow!(
            "{}: {invalid} of {} layers invalid",
            file.display(),
            read.layers.len()
        ));
    }
    Ok(())
}

fn upgrade(file: &Path, output: Option<&Path>, global: &Global, out: &mut dyn Write) -> Result<()> {
    let read = read_file(file)?;
    let is_list = read.is_list;
    let summary: Vec<Value> = read
        .layers
        .iter()
        .map(|l| {
            json!({
                "path": l.path,
                "name": l.layer.name,
                "from": l.source_version,
                "to": nav::LAYER_VERSION,
                "problems": l.problems.iter().map(problem_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let layers = read
        .into_valid_layers()
        .with_context(|| format!("{}: not upgraded", file.display()))?;
    let text = nav::layers_to_json(&layers, is_list)?;
    match output {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            if global.json {
                output::json(
                    out,
                    &json!({"file": file.display().to_string(), "output": path.display().to_string(), "layers": summary}),
                )?;
            } else {
                for s in &summary {
                    writeln!(
                        out,
                        "{} \"{}\": layer format {} -> {}",
                        s["path"].as_str().unwrap_or(""),
                        s["name"].as_str().unwrap_or(""),
                        s["from"].as_str().unwrap_or(""),
                        nav::LAYER_VERSION
                    )?;
                }
                writeln!(out, "wrote {}", path.display())?;
            }
        }
        None => out.write_all(text.as_bytes())?,
    }
    Ok(())
}

/// Output formats of `layer export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// The matrix as an SVG picture
    Svg,
    /// The matrix as an Excel workbook, one sheet per layer
    Xlsx,
    /// One row per technique and tactic
    Csv,
    /// A Markdown table, one row per technique and tactic
    Md,
}
