//! `attackdb layer ...` and `attackdb export excel`: Navigator layers from the command line, over
//! the `attackdb-navigator` crate.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use attackdb_kb::{Concept, Dataset, Domain};
use attackdb_navigator::generate::{self, GenerateOptions};
use attackdb_navigator::{self as nav, export, ops, LayerFile, Severity};
use clap::{Args, Subcommand, ValueEnum};

use crate::options::Options;
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
    let mut written = Vec::new();
    for domain in global.domains() {
        let dataset = global.dataset(domain)?;
        let dir = args.output.join(dataset.domain().as_str());
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        for (name, bytes) in nav::excel::knowledge_base_workbooks(dataset)? {
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

/// The dataset of a layer's domain (`--domain` wins) at `--release`. A domain that is not
/// ATT&CK's is an error.
fn layer_dataset(global: &Options, layer_domain: &str) -> Result<&'static Dataset> {
    let domain = match global.domain {
        Some(domain) => domain,
        None => layer_domain.parse::<Domain>()?,
    };
    global.dataset(domain)
}

/// Whether `error` says no data was given anywhere.
fn is_no_data(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<attackdb_data::Error>()
        .is_some_and(|e| matches!(e, attackdb_data::Error::NoData(_)))
}

fn validate(file: &Path, global: &Options, out: &mut dyn Write) -> Result<()> {
    let mut read = read_file(file)?;
    // Check the techniques against the release, one dataset per domain the layers name.
    let mut noted = false;
    let checked_against = nav::check_file(&mut read, |domain| {
        match layer_dataset(global, domain.as_str()) {
            Ok(dataset) => Ok(Some(dataset)),
            Err(error) if is_no_data(&error) => {
                if !noted {
                    crate::progress::say(
                        "note",
                        &format!("no ATT&CK data, so only the format is checked ({error})"),
                    );
                    noted = true;
                }
                Ok(None)
            }
            Err(error) => Err(error),
        }
    })?;
    let report = nav::ValidationReport::new(
        &file.display().to_string(),
        &read.layers,
        checked_against.clone(),
    );
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
    let is_list = read.is_list;
    let summary = nav::upgrade_summary(&read.layers);
    let layers = read
        .into_valid_layers()
        .with_context(|| format!("{}: not upgraded", file.display()))?;
    let text = nav::layers_to_json(&layers, is_list)?;
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

fn concept(name: &str, allowed: &[Concept], what: &str) -> Result<Concept> {
    Concept::parse(name)
        .filter(|c| allowed.contains(c))
        .ok_or_else(|| {
            anyhow!(
                "`{name}` cannot be {what}: expected one of {}",
                allowed
                    .iter()
                    .map(|c| c.plural())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

fn generate(args: &GenerateArgs, global: &Options, out: &mut dyn Write) -> Result<()> {
    let dataset = global.dataset(global.domain_or(Domain::Enterprise))?;
    let options = GenerateOptions {
        platform: args.platform.clone(),
    };
    if let Some(kind) = &args.batch {
        let kind = concept(kind, &generate::USAGE_KINDS, "batched")?;
        let Some(dir) = &args.output else {
            bail!("--batch writes one file per object: give a folder with -o");
        };
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let layers = generate::batch_layers(dataset, kind, &options)?;
        let mut written = Vec::new();
        let ids: Vec<&str> = layers.iter().map(|(id, _)| id.as_str()).collect();
        let names = generate::layer_file_names(&ids);
        for ((id, layer), name) in layers.iter().zip(&names) {
            let path = dir.join(name);
            emit(nav::layer_to_json(layer)?.as_bytes(), Some(&path), out)?;
            written.push(nav::BatchLayer {
                id: id.clone(),
                file: path.display().to_string(),
                techniques: layer.techniques.len(),
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
    let layer = if let Some(kind) = &args.overview {
        let kind = concept(kind, &generate::OVERVIEW_KINDS, "overviewed")?;
        generate::overview_layer(dataset, kind, &options)?
    } else {
        let (query, kind) = [
            (&args.group, Concept::Group),
            (&args.software, Concept::Software),
            (&args.campaign, Concept::Campaign),
            (&args.mitigation, Concept::Mitigation),
            (&args.datacomponent, Concept::DataComponent),
            (&args.detectionstrategy, Concept::DetectionStrategy),
        ]
        .into_iter()
        .find_map(|(q, k)| q.as_ref().map(|q| (q, k)))
        .ok_or_else(|| anyhow!("nothing to generate"))?;
        let object = generate::resolve(dataset, query, kind).map_err(attackdb_ask::Error::from)?;
        generate::usage_layer(dataset, object, &options)?
    };
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
        layers.extend(
            read.into_valid_layers()
                .with_context(|| format!("{}", file.display()))?,
        );
    }
    Ok(layers)
}

fn layer_index(name: &Option<String>, count: usize) -> Result<Option<usize>> {
    let Some(name) = name else {
        return Ok(None);
    };
    ops::variable_index(name, count)
        .map(Some)
        .ok_or_else(|| anyhow!("`{name}` is not a layer variable (a, b, c...)"))
}

fn combine(args: &CombineArgs, global: &Options, out: &mut dyn Write) -> Result<()> {
    let layers = read_all(&args.files)?;
    let layer = match (&args.expr, args.op) {
        (Some(expr), _) => {
            let expr = nav::Expr::parse(expr)?;
            let n = layers.len();
            let options = ops::CombineOptions {
                name: args.name.clone(),
                comments_from: layer_index(&args.comments_from, n)?,
                colors_from: layer_index(&args.colors_from, n)?,
                metadata_from: layer_index(&args.metadata_from, n)?,
                links_from: layer_index(&args.links_from, n)?,
                enabled_from: layer_index(&args.enabled_from, n)?,
                gradient_from: layer_index(&args.gradient_from, n)?,
                filters_from: layer_index(&args.filters_from, n)?,
                legend_from: layer_index(&args.legend_from, n)?,
                layer_metadata_from: layer_index(&args.layer_metadata_from, n)?,
            };
            // expand annotations without a tactic over the technique's tactics, as the Navigator
            let domain = layers.first().map_or("enterprise", |l| l.domain.as_str());
            let dataset = match layer_dataset(global, domain) {
                Ok(dataset) => Some(dataset),
                Err(error) if is_no_data(&error) => None,
                Err(error) => return Err(error),
            };
            ops::combine(&layers, &expr, &options, dataset)?
        }
        (None, Some(op)) => {
            let op = match op {
                SetOpArg::Union => ops::SetOp::Union,
                SetOpArg::Intersection => ops::SetOp::Intersection,
                SetOpArg::Difference => ops::SetOp::Difference,
            };
            ops::set_operation(&layers, op, args.name.as_deref())?
        }
        (None, None) => bail!("give --expr or --op"),
    };
    write_layer(&layer, args.output.as_deref(), "annotations", global, out)
}

fn export_layer(args: &ExportArgs, global: &Options, out: &mut dyn Write) -> Result<()> {
    let layers = read_all(std::slice::from_ref(&args.file))?;
    let Some(first) = layers.first() else {
        bail!("{}: no layer", args.file.display());
    };
    let options = nav::LayerMatrixOptions {
        subtechniques: args.subtechniques
            || matches!(args.format, ExportFormat::Csv | ExportFormat::Md),
        all_techniques: args.all_techniques,
    };
    let mut matrices = Vec::new();
    for layer in &layers {
        let dataset = layer_dataset(global, &layer.domain)?;
        matrices.push(nav::LayerMatrix::build(layer, dataset, options));
    }
    let bytes = match args.format {
        ExportFormat::Svg => export::to_svg(first, &matrices[0]).into_bytes(),
        ExportFormat::Csv => export::to_csv(&matrices[0])?.into_bytes(),
        ExportFormat::Md => export::to_markdown(first, &matrices[0]).into_bytes(),
        ExportFormat::Xlsx => {
            if args.output.is_none() {
                bail!("xlsx is binary: give a file with -o");
            }
            let pairs: Vec<(&nav::Layer, &nav::LayerMatrix)> =
                layers.iter().zip(&matrices).collect();
            export::to_xlsx(&pairs)?
        }
    };
    emit(&bytes, args.output.as_deref(), out)?;
    if let Some(path) = &args.output {
        if global.json {
            render::json(
                out,
                &nav::ExportReport {
                    file: path.display().to_string(),
                    format: args.format.name(),
                    layers: layers.len(),
                },
            )?;
        } else {
            writeln!(out, "wrote {}", path.display())?;
        }
    }
    Ok(())
}
