//! `attackdb layer ...` and `attackdb export excel`: Navigator layers from the command line, over
//! the `attackdb-navigator` crate.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use attackdb_navigator::{self as nav, LayerFile, Severity};
use clap::{Args, Subcommand, ValueEnum};

use crate::options::Options;
use crate::progress::say_notes;
use crate::render;

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
    /// Generate a layer from the knowledge base: the techniques one object uses, mitigates or
    /// detects; an overview of a kind; or one layer per object of a kind
    Generate(GenerateArgs),
    /// Combine layers of one domain with a score expression over a, b, c... (as the Navigator),
    /// or a set operation on their annotated techniques
    Combine(CombineArgs),
    /// Export a layer over the matrix of the chosen release as svg, xlsx, csv or md
    Export(ExportArgs),
}

/// `attackdb layer generate`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args([
    "group", "software", "campaign", "mitigation", "datacomponent", "detectionstrategy",
    "overview", "batch"
])))]
pub struct GenerateArgs {
    /// The techniques a group uses (its campaigns' included): ID, name or alias
    #[arg(long, value_name = "ID")]
    pub group: Option<String>,
    /// The techniques a software uses
    #[arg(long, value_name = "ID")]
    pub software: Option<String>,
    /// The techniques a campaign uses
    #[arg(long, value_name = "ID")]
    pub campaign: Option<String>,
    /// The techniques a mitigation mitigates
    #[arg(long, value_name = "ID")]
    pub mitigation: Option<String>,
    /// The techniques a data component detects (`detects`, and ATT&CK 18's analytics)
    #[arg(long, value_name = "ID")]
    pub datacomponent: Option<String>,
    /// The techniques a detection strategy detects
    #[arg(long, value_name = "ID")]
    pub detectionstrategy: Option<String>,
    /// Every technique scored by how many groups, software, campaigns, mitigations,
    /// datacomponents, detectionstrategies or assets relate to it
    #[arg(long, value_name = "TYPE")]
    pub overview: Option<String>,
    /// One usage layer per object of this type (groups, software, campaigns, mitigations,
    /// datacomponents, detectionstrategies), written into the folder OUT
    #[arg(long, value_name = "TYPE")]
    pub batch: Option<String>,
    /// Only techniques of this platform (also set as the layer's filter)
    #[arg(long)]
    pub platform: Option<String>,
    /// Where to write the layer (a folder for --batch; default: stdout)
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,
}

/// `attackdb layer combine`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("how").required(true).args(["expr", "op"])))]
pub struct CombineArgs {
    /// Score expression over a, b, c... (the layers in order): + - * / % ^, comparisons (1/0),
    /// and or xor not, cond ? x : y, min() max() abs()
    #[arg(long, value_name = "EXPR")]
    pub expr: Option<String>,
    /// A set operation on the annotated techniques instead of scores
    #[arg(long, value_enum)]
    pub op: Option<SetOpArg>,
    /// The layer files (every layer of every file, in order, is a, b, c...)
    #[arg(required = true, value_name = "LAYER")]
    pub files: Vec<PathBuf>,
    /// Name of the new layer
    #[arg(long)]
    pub name: Option<String>,
    /// Take technique comments from this layer (a, b, ...)
    #[arg(long, value_name = "LAYER")]
    pub comments_from: Option<String>,
    /// Take manual technique colours from this layer
    #[arg(long, value_name = "LAYER")]
    pub colors_from: Option<String>,
    /// Take technique metadata from this layer
    #[arg(long, value_name = "LAYER")]
    pub metadata_from: Option<String>,
    /// Take technique links from this layer
    #[arg(long, value_name = "LAYER")]
    pub links_from: Option<String>,
    /// Take enabled/disabled states from this layer
    #[arg(long, value_name = "LAYER")]
    pub enabled_from: Option<String>,
    /// Take the gradient from this layer
    #[arg(long, value_name = "LAYER")]
    pub gradient_from: Option<String>,
    /// Take the filters from this layer
    #[arg(long, value_name = "LAYER")]
    pub filters_from: Option<String>,
    /// Take the legend from this layer
    #[arg(long, value_name = "LAYER")]
    pub legend_from: Option<String>,
    /// Take the layer metadata and links from this layer
    #[arg(long, value_name = "LAYER")]
    pub layer_metadata_from: Option<String>,
    /// Where to write the new layer (default: stdout)
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,
}

/// `--op` of `layer combine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SetOpArg {
    /// Techniques annotated in any layer
    Union,
    /// Techniques annotated in every layer
    Intersection,
    /// Techniques annotated in the first layer only
    Difference,
}

impl SetOpArg {
    /// `union`, `intersection` or `difference`.
    fn name(self) -> &'static str {
        match self {
            SetOpArg::Union => "union",
            SetOpArg::Intersection => "intersection",
            SetOpArg::Difference => "difference",
        }
    }
}

/// `attackdb layer export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The layer file (every layer of a list: one sheet each for xlsx, the first otherwise)
    pub file: PathBuf,
    /// svg, xlsx, csv or md
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Also list the techniques the layer does not annotate (greyed in svg and xlsx)
    #[arg(long)]
    pub all_techniques: bool,
    /// Show sub-techniques under their techniques in svg and xlsx (csv and md always list them)
    #[arg(long)]
    pub subtechniques: bool,
    /// Where to write (default: stdout, except xlsx)
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,
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
pub fn run(command: &LayerCommand, global: &Options, out: &mut dyn Write) -> Result<()> {
    match command {
        LayerCommand::Validate { file } => validate(file, global, out),
        LayerCommand::Upgrade { file, output } => upgrade(file, output.as_deref(), global, out),
        LayerCommand::Generate(args) => generate(args, global, out),
        LayerCommand::Combine(args) => combine(args, global, out),
        LayerCommand::Export(args) => export_layer(args, global, out),
    }
}

/// Runs `attackdb export ...`.
pub fn export(command: &ExportCommand, global: &Options, out: &mut dyn Write) -> Result<()> {
    match command {
        ExportCommand::Excel(args) => export_excel(args, global, out),
    }
}

/// `export excel`: every domain (or `--domain`), at `--release` (else the newest).
fn export_excel(args: &ExcelArgs, global: &Options, out: &mut dyn Write) -> Result<()> {
    let request = attackdb_ask::ExcelRequest {
        scope: global.scope(),
    };
    let answered = attackdb_ask::excel(global, &request)?;
    say_notes(&answered.notes);
    let mut written = Vec::new();
    for workbooks in answered.answer {
        let dataset = workbooks.dataset;
        let dir = args.output.join(dataset.domain().as_str());
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        for (name, bytes) in workbooks.files {
            let path = dir.join(&name);
            emit(&bytes, Some(&path), out)?;
            written.push(nav::Workbook {
                domain: dataset.domain().to_string(),
                release: dataset.release().to_string(),
                file: path.display().to_string(),
            });
        }
    }
    if global.json {
        render::json(out, &nav::WorkbooksReport { files: written })?;
    } else {
        writeln!(
            out,
            "wrote {} workbooks into {}",
            written.len(),
            args.output.display()
        )?;
    }
    Ok(())
}

/// Reads a layer file; a file that is not JSON or not a layer is an error naming the file.
pub fn read_file(file: &Path) -> Result<LayerFile> {
    use attackdb_stix::BoundedReadError;
    let limit = nav::limits().max_layer_bytes;
    let read = std::fs::File::open(file)
        .map_err(BoundedReadError::Io)
        .and_then(|f| {
            let expected = f.metadata().ok().map(|m| m.len());
            attackdb_stix::read_bounded(f, limit as u64, expected)
        });
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(BoundedReadError::TooLarge { .. }) => anyhow::bail!(
            "{}: the layer file is more than the {limit} bytes allowed (ATTACKDB_MAX_LAYER_BYTES raises the limit)",
            file.display()
        ),
        Err(BoundedReadError::Io(e)) => {
            return Err(e).with_context(|| format!("cannot read {}", file.display()))
        }
    };
    let text = String::from_utf8(bytes)
        .map_err(|e| anyhow::anyhow!("{}: not UTF-8 text: {e}", file.display()))?;
    nav::read_layers(&text).with_context(|| format!("{}", file.display()))
}

fn validate(file: &Path, global: &Options, out: &mut dyn Write) -> Result<()> {
    let mut read = read_file(file)?;
    let name = file.display().to_string();
    let validated = attackdb_ask::validate(global, &mut read, &name, &global.scope())?;
    say_notes(&validated.notes);
    let report = validated.answer;
    let checked_against = report.checked_against.clone();
    let invalid = report.invalid();
    if global.json {
        render::json(out, &report)?;
    } else if read.layers.is_empty() {
        writeln!(out, "INVALID {}: no layer (an empty list)", file.display())?;
    } else {
        for l in &read.layers {
            let errors = l.errors().count();
            let warnings = l
                .problems
                .iter()
                .filter(|p| p.severity == Severity::Warning)
                .count();
            let line = format!(
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
            );
            writeln!(out, "{}", render::message(&line))?;
            for p in &l.problems {
                let problem = render::message(&p.to_string());
                writeln!(out, "  {:<7} {problem}", p.severity.as_str())?;
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
    if read.layers.is_empty() {
        return Err(anyhow!(
            "{}: no layer in the file (an empty list)",
            file.display()
        ));
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

fn upgrade(
    file: &Path,
    output: Option<&Path>,
    global: &Options,
    out: &mut dyn Write,
) -> Result<()> {
    let read = read_file(file)?;
    let upgraded =
        attackdb_ask::upgrade(read).with_context(|| format!("{}: not upgraded", file.display()))?;
    let text = upgraded.to_json()?;
    let summary = upgraded.summary;
    match output {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            if global.json {
                render::json(
                    out,
                    &nav::UpgradeReport {
                        file: file.display().to_string(),
                        output: path.display().to_string(),
                        layers: summary,
                    },
                )?;
            } else {
                for s in &summary {
                    writeln!(
                        out,
                        "{} \"{}\": layer format {} -> {}",
                        s.path,
                        s.name,
                        s.from,
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

impl ExportFormat {
    /// `svg`, `xlsx`, `csv` or `md`.
    fn name(self) -> &'static str {
        match self {
            ExportFormat::Svg => "svg",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
            ExportFormat::Md => "md",
        }
    }
}

/// Writes `text` to `output`, or to `out` when there is none.
fn emit(text: &[u8], output: Option<&Path>, out: &mut dyn Write) -> Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => Ok(out.write_all(text)?),
    }
}

fn generate(args: &GenerateArgs, global: &Options, out: &mut dyn Write) -> Result<()> {
    if let Some(kind) = &args.batch {
        let Some(dir) = &args.output else {
            bail!("--batch writes one file per object: give a folder with -o");
        };
        let request = attackdb_ask::BatchRequest {
            kind: kind.clone(),
            platform: args.platform.clone(),
            scope: global.scope(),
        };
        let (kind, layers) = attackdb_ask::generate_batch(global, &request)?;
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut written = Vec::new();
        for batched in &layers {
            let path = dir.join(&batched.file_name);
            emit(
                nav::layer_to_json(&batched.layer)?.as_bytes(),
                Some(&path),
                out,
            )?;
            written.push(nav::BatchLayer {
                id: batched.id.clone(),
                file: path.display().to_string(),
                techniques: batched.layer.techniques.len(),
            });
        }
        if global.json {
            render::json(
                out,
                &nav::BatchReport {
                    kind: kind.plural(),
                    layers: written,
                },
            )?;
        } else {
            writeln!(
                out,
                "wrote {} {} layers into {}",
                layers.len(),
                kind.singular(),
                dir.display()
            )?;
        }
        return Ok(());
    }
    let request = attackdb_ask::GenerateRequest {
        group: args.group.clone(),
        software: args.software.clone(),
        campaign: args.campaign.clone(),
        mitigation: args.mitigation.clone(),
        datacomponent: args.datacomponent.clone(),
        detectionstrategy: args.detectionstrategy.clone(),
        overview: args.overview.clone(),
        platform: args.platform.clone(),
        scope: global.scope(),
    };
    let layer = attackdb_ask::generate_layer(global, &request)?;
    write_layer(&layer, args.output.as_deref(), "techniques", global, out)
}

/// Writes `layer` to `output` (and says so, as a line or JSON), or to stdout without one.
fn write_layer(
    layer: &nav::Layer,
    output: Option<&Path>,
    noun: &str,
    global: &Options,
    out: &mut dyn Write,
) -> Result<()> {
    let text = nav::layer_to_json(layer)?;
    let Some(path) = output else {
        return emit(text.as_bytes(), None, out);
    };
    emit(text.as_bytes(), Some(path), out)?;
    if global.json {
        render::json(
            out,
            &nav::WrittenLayer {
                file: path.display().to_string(),
                name: layer.name.clone(),
                techniques: layer.techniques.len(),
            },
        )
    } else {
        writeln!(
            out,
            "wrote \"{}\" ({} {noun}) to {}",
            layer.name,
            layer.techniques.len(),
            path.display()
        )?;
        Ok(())
    }
}

/// Every valid layer of `files`, in order; an invalid one is an error naming it.
fn read_all(files: &[PathBuf]) -> Result<Vec<nav::Layer>> {
    let mut layers = Vec::new();
    for file in files {
        let read = read_file(file)?;
        layers.extend(attackdb_ask::valid_layers(
            read,
            &file.display().to_string(),
        )?);
    }
    Ok(layers)
}

fn combine(args: &CombineArgs, global: &Options, out: &mut dyn Write) -> Result<()> {
    let layers = read_all(&args.files)?;
    let request = attackdb_ask::CombineRequest {
        expr: args.expr.clone(),
        op: args.op.map(|op| op.name().to_string()),
        name: args.name.clone(),
        comments_from: args.comments_from.clone(),
        colors_from: args.colors_from.clone(),
        metadata_from: args.metadata_from.clone(),
        links_from: args.links_from.clone(),
        enabled_from: args.enabled_from.clone(),
        gradient_from: args.gradient_from.clone(),
        filters_from: args.filters_from.clone(),
        legend_from: args.legend_from.clone(),
        layer_metadata_from: args.layer_metadata_from.clone(),
        scope: global.scope(),
    };
    let layer = attackdb_ask::combine(global, &layers, &request)?;
    write_layer(&layer, args.output.as_deref(), "annotations", global, out)
}

fn export_layer(args: &ExportArgs, global: &Options, out: &mut dyn Write) -> Result<()> {
    let layers = read_all(std::slice::from_ref(&args.file))?;
    if layers.is_empty() {
        bail!("{}: no layer", args.file.display());
    }
    let request = attackdb_ask::ExportRequest {
        format: args.format.name().to_string(),
        all_techniques: args.all_techniques,
        subtechniques: args.subtechniques,
        scope: global.scope(),
    };
    let exported = attackdb_ask::export_layers(global, &layers, &request)?;
    if exported.binary && args.output.is_none() {
        bail!("{} is binary: give a file with -o", exported.format);
    }
    emit(&exported.bytes, args.output.as_deref(), out)?;
    if let Some(path) = &args.output {
        if global.json {
            render::json(
                out,
                &nav::ExportReport {
                    file: path.display().to_string(),
                    format: exported.format,
                    layers: layers.len(),
                },
            )?;
        } else {
            writeln!(out, "wrote {}", path.display())?;
        }
    }
    Ok(())
}
