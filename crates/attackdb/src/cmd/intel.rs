//! Threat intelligence and emulation over `attackdb-intel`: `profile`, `similar`, `overlap`,
//! `attribute`, `predict`, `emulate`. Each prints a readable report (Markdown), `--json` (the
//! library's typed answer) and, where it makes sense, a layer (`--layer FILE`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};

use crate::options::Options;
use crate::progress::say_notes;
use crate::render;

/// Where technique lists come from: IDs on the command line, files of IDs, layers or CSVs.
#[derive(Debug, Args)]
pub struct TechniqueInput {
    /// Technique IDs (T1059.001 ...)
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// A Navigator layer of the observed techniques (enabled, annotated, score none or > 0)
    #[arg(long, value_name = "FILE")]
    pub layer: Vec<PathBuf>,
    /// A file of technique IDs (one per line or comma-separated, `#` comments) or a CSV with a
    /// technique column
    #[arg(long, value_name = "FILE")]
    pub from: Vec<PathBuf>,
}

/// Output formats of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Markdown (the default on a terminal too: it reads as text)
    Md,
    /// Self-contained HTML (profile only)
    Html,
    /// The typed answer as JSON (as --json)
    Json,
    /// A YAML emulation plan (emulate only)
    Yaml,
}

/// The intelligence commands.
#[derive(Debug, Subcommand)]
pub enum IntelCommand {
    /// A group's, campaign's or software's profile: techniques by tactic (with how they are
    /// used), software, campaigns, mitigations and detections ranked by what they address
    Profile {
        /// ID, name or alias
        reference: String,
        /// Count techniques used through the group's software too
        #[arg(long)]
        with_software: bool,
        /// Also write the profile as a Navigator layer
        #[arg(long, value_name = "FILE")]
        layer: Option<PathBuf>,
        /// Output format (default md; json with --json)
        #[arg(long, value_enum)]
        format: Option<ReportFormat>,
        /// Write the report here instead of stdout
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        output: Option<PathBuf>,
    },
    /// Objects of the same kind ranked by similarity of their technique sets (Jaccard by
    /// default)
    Similar {
        /// ID, name or alias
        reference: String,
        /// How many results
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// jaccard or idf-cosine
        #[arg(long, default_value = "jaccard")]
        measure: String,
    },
    /// One layer scoring each technique by how many of the objects use it, and a table
    Overlap {
        /// Two or more IDs, names or aliases
        #[arg(required = true, num_args = 2..)]
        references: Vec<String>,
        /// Write the layer here
        #[arg(short = 'o', long = "output", value_name = "LAYER")]
        output: Option<PathBuf>,
    },
    /// Groups, campaigns and software ranked by how well they explain observed techniques (a
    /// hint for an analyst, not a verdict)
    Attribute {
        #[command(flatten)]
        input: TechniqueInput,
        /// How many results per kind
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// One ranking over every kind instead of one per kind
        #[arg(long)]
        mixed: bool,
    },
    /// The techniques most likely to come with the observed ones, learned from ATT&CK's groups,
    /// software and campaigns
    Predict {
        #[command(flatten)]
        input: TechniqueInput,
        /// How many results
        #[arg(long, default_value_t = 20)]
        top: usize,
        /// Leave these objects out of what the prediction learns from (IDs, names or aliases)
        #[arg(long, value_name = "REF", num_args = 1..)]
        exclude: Vec<String>,
    },
    /// An emulation plan: the group's or campaign's techniques in kill-chain order with the
    /// Atomic Red Team tests that exercise them on the platform
    Emulate {
        /// Group or campaign: ID, name or alias
        reference: String,
        /// The Atomic Red Team checkout (its `atomics/T*/T*.yaml`)
        #[arg(long, value_name = "DIR")]
        atomics: PathBuf,
        /// Only tests for this platform, case-insensitive: windows, linux, macos, iaas:aws... or
        /// an ATT&CK platform name (Identity Provider is azure-ad, Office Suite office-365)
        #[arg(long)]
        platform: Option<String>,
        /// Add the techniques of its software, marked
        #[arg(long)]
        with_software: bool,
        /// Also write the plan as a Navigator layer
        #[arg(long, value_name = "FILE")]
        layer: Option<PathBuf>,
        /// Output format: md (runbook, default), json, yaml (plan)
        #[arg(long, value_enum)]
        format: Option<ReportFormat>,
        /// Write the plan here instead of stdout
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        output: Option<PathBuf>,
    },
}

fn emit(text: &str, output: Option<&Path>, out: &mut dyn Write) -> Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => Ok(out.write_all(text.as_bytes())?),
    }
}

fn write_layer(layer: &attackdb_navigator::Layer, path: &Path) -> Result<()> {
    let text = attackdb_navigator::layer_to_json(layer)?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

impl TechniqueInput {
    fn observations(&self) -> attackdb_ask::Observations {
        attackdb_ask::Observations {
            techniques: self.ids.clone(),
            layers: self.layer.clone(),
            files: self.from.clone(),
        }
    }
}

/// Runs one intelligence command on `--domain` (default enterprise) at `--release`.
pub fn run(command: &IntelCommand, options: &Options, out: &mut dyn Write) -> Result<()> {
    let json = options.json;
    let scope = options.scope();
    match command {
        IntelCommand::Profile {
            reference,
            with_software,
            layer,
            format,
            output,
        } => {
            let answered = attackdb_ask::profile(
                options,
                &attackdb_ask::ProfileRequest {
                    reference: reference.clone(),
                    with_software: *with_software,
                    scope,
                },
            )?;
            say_notes(&answered.notes);
            let (dataset, profile) = (answered.answer.dataset, &answered.answer.answer);
            if let Some(path) = layer {
                write_layer(&profile.to_layer(dataset), path)?;
            }
            let text = match format.unwrap_or(if json {
                ReportFormat::Json
            } else {
                ReportFormat::Md
            }) {
                ReportFormat::Json => attackdb_kb::answer::to_json_pretty(profile)?,
                ReportFormat::Html => profile.to_html(),
                ReportFormat::Md => profile.to_markdown(),
                ReportFormat::Yaml => {
                    bail!("--format yaml is for emulate; profile takes md, html or json")
                }
            };
            emit(&text, output.as_deref(), out)
        }
        IntelCommand::Similar {
            reference,
            top,
            measure,
        } => {
            let answered = attackdb_ask::similar(
                options,
                &attackdb_ask::SimilarRequest {
                    reference: reference.clone(),
                    top: *top,
                    measure: measure.clone(),
                    scope,
                },
            )?;
            say_notes(&answered.notes);
            let answer = &answered.answer.answer;
            if json {
                return render::json(out, answer);
            }
            emit(&answer.to_markdown(), None, out)
        }
        IntelCommand::Overlap { references, output } => {
            let answered = attackdb_ask::overlap(
                options,
                &attackdb_ask::OverlapRequest {
                    refs: references.clone(),
                    scope,
                },
            )?;
            let answer = &answered.answer;
            if let Some(path) = output {
                write_layer(&answer.to_layer(answered.dataset), path)?;
            }
            if json {
                return render::json(out, answer);
            }
            emit(&answer.to_markdown(), None, out)
        }
        IntelCommand::Attribute { input, top, mixed } => {
            let answered = attackdb_ask::attribute(
                options,
                &attackdb_ask::AttributeRequest {
                    observed: input.observations(),
                    top: *top,
                    mixed: *mixed,
                    scope,
                },
            )?;
            say_notes(&answered.notes);
            let answer = &answered.answer.answer;
            if json {
                return render::json(out, answer);
            }
            emit(&answer.to_markdown(), None, out)
        }
        IntelCommand::Predict {
            input,
            top,
            exclude,
        } => {
            let answered = attackdb_ask::predict(
                options,
                &attackdb_ask::PredictRequest {
                    observed: input.observations(),
                    top: *top,
                    exclude: exclude.clone(),
                    scope,
                },
            )?;
            say_notes(&answered.notes);
            let answer = &answered.answer.answer;
            if json {
                return render::json(out, answer);
            }
            emit(&answer.to_markdown(), None, out)
        }
        IntelCommand::Emulate {
            reference,
            atomics,
            platform,
            with_software,
            layer,
            format,
            output,
        } => {
            let answered = attackdb_ask::emulate(
                options,
                &attackdb_ask::EmulateRequest {
                    reference: reference.clone(),
                    atomics: Some(atomics.clone()),
                    platform: platform.clone(),
                    with_software: *with_software,
                    scope,
                },
            )?;
            say_notes(&answered.notes);
            let (dataset, plan) = (answered.answer.dataset, &answered.answer.answer);
            for problem in &plan.atomic_problems {
                crate::progress::say("warning", &format!("{}: {}", problem.path, problem.message));
            }
            if let Some(path) = layer {
                write_layer(&plan.to_layer(dataset), path)?;
            }
            let text = match format.unwrap_or(if json {
                ReportFormat::Json
            } else {
                ReportFormat::Md
            }) {
                ReportFormat::Json => attackdb_kb::answer::to_json_pretty(plan)?,
                ReportFormat::Yaml => plan.to_yaml()?,
                ReportFormat::Md => plan.to_markdown(),
                ReportFormat::Html => {
                    bail!("--format html is for profile; emulate takes md, json or yaml")
                }
            };
            emit(&text, output.as_deref(), out)
        }
    }
}
