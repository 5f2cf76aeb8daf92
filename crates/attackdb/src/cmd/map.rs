//! `attackdb map FILE|-`: a threat report's text to ATT&CK techniques, suggested for an
//! analyst to review; `--lines` maps one text per input line; `--evaluate FROM` measures the
//! mapping learned from an older release on the procedure examples the newer one added.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};

use crate::options::Options;
use crate::render::{self, Table};

/// `attackdb map`.
#[derive(Debug, Args)]
pub struct MapArgs {
    /// The report: a text, Markdown or HTML file, or `-` for standard input
    #[arg(value_name = "FILE|-", required_unless_present = "evaluate")]
    pub input: Option<String>,
    /// At most this many techniques
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Leave out techniques scored below this (0 to 1)
    #[arg(long, default_value_t = 0.2)]
    pub min_score: f64,
    /// One text per input line; one JSON object per line out
    #[arg(long)]
    pub lines: bool,
    /// Also write the techniques as a Navigator layer (score = confidence, comment = sentences)
    #[arg(long, value_name = "FILE")]
    pub layer: Option<PathBuf>,
    /// Output format (default a table; json with --json)
    #[arg(long, value_enum)]
    pub format: Option<MapFormat>,
    /// Write the output here instead of stdout
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Measure instead: learn from release FROM, score the procedure examples of --release
    /// (default the newest) that FROM does not have
    #[arg(long, value_name = "FROM", conflicts_with_all = ["lines", "layer"])]
    pub evaluate: Option<String>,
}

/// How `map` writes its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MapFormat {
    /// A table of techniques and entities.
    Table,
    /// The answer as JSON.
    Json,
    /// The text with its mapped sentences marked, as Markdown.
    Md,
    /// The text with its mapped sentences marked, as HTML.
    Html,
}

fn read_input(input: &str) -> Result<(String, Vec<u8>)> {
    if input == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(attackdb_intel::MAX_REPORT_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        return Ok(("standard input".to_string(), bytes));
    }
    let path = PathBuf::from(input);
    let file = std::fs::File::open(&path).with_context(|| format!("cannot read {input}"))?;
    let mut bytes = Vec::new();
    file.take(attackdb_intel::MAX_REPORT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {input}"))?;
    let name = path
        .file_name()
        .map_or_else(|| input.to_string(), |n| n.to_string_lossy().into_owned());
    Ok((name, bytes))
}

/// Runs `attackdb map`.
pub fn run(args: &MapArgs, options: &Options, out: &mut dyn Write) -> Result<()> {
    if let Some(from) = &args.evaluate {
        return evaluate(from, options, out);
    }
    let Some(input) = args.input.as_deref() else {
        bail!("give a report file, or - for standard input");
    };
    let (name, bytes) = read_input(input)?;
    let request = attackdb_ask::MapRequest {
        name: name.clone(),
        top: args.top,
        min_score: args.min_score,
        scope: options.scope(),
        model_dir: options
            .use_index
            .then(|| options.settings.home.as_ref().map(|h| h.root.join("index")))
            .flatten(),
    };
    if args.lines {
        let text =
            std::str::from_utf8(&bytes).with_context(|| format!("{name}: not UTF-8 text"))?;
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                writeln!(out, "{{}}")?;
                continue;
            }
            let line_request = attackdb_ask::MapRequest {
                name: format!("{name} line {}", number + 1),
                ..request.clone()
            };
            let answered = attackdb_ask::map(options, &line_request, line.as_bytes())?;
            writeln!(out, "{}", serde_json::to_string(&answered.answer)?)?;
        }
        return Ok(());
    }
    let answered = attackdb_ask::map(options, &request, &bytes)?;
    let (dataset, answer) = (answered.dataset, &answered.answer);
    for note in &answer.notes {
        crate::progress::say("note", note);
    }
    if let Some(path) = &args.layer {
        let layer = answer.to_layer(dataset, &name);
        let text = attackdb_navigator::layer_to_json(&layer)?;
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let format = args.format.unwrap_or(if options.json {
        MapFormat::Json
    } else {
        MapFormat::Table
    });
    let mut text = Vec::new();
    match format {
        MapFormat::Json => render::json(&mut text, answer)?,
        MapFormat::Md => text.extend(answer.to_markdown(&name).into_bytes()),
        MapFormat::Html => text.extend(answer.to_html(&name).into_bytes()),
        MapFormat::Table => table(answer, &mut text)?,
    }
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => Ok(out.write_all(&text)?),
    }
}

fn table(answer: &attackdb_intel::MapAnswer, out: &mut dyn Write) -> Result<()> {
    let width = render::width();
    writeln!(
        out,
        "{} techniques in {} sentences ({} {}); {}.",
        answer.techniques.len(),
        answer.sentences.len(),
        answer.domain,
        answer.release,
        answer.note
    )?;
    let mut table = Table::new(&["ID", "NAME", "SCORE", "HOW", "SENTENCES", "FIRST SENTENCE"]);
    for t in &answer.techniques {
        table.row(vec![
            t.id.clone(),
            t.name.clone(),
            format!("{:.2}", t.score),
            if t.named {
                "named".to_string()
            } else {
                "model".to_string()
            },
            t.sentences.len().to_string(),
            t.sentences
                .first()
                .map(|s| s.text.clone())
                .unwrap_or_default(),
        ]);
    }
    table.write(out, width)?;
    if !answer.entities.is_empty() {
        writeln!(out)?;
        let mut table = Table::new(&["ENTITY", "NAME", "KIND", "AS WRITTEN", "SENTENCES"]);
        for e in &answer.entities {
            table.row(vec![
                e.id.clone(),
                e.name.clone(),
                e.kind.to_string(),
                e.matched.clone(),
                e.sentences.len().to_string(),
            ]);
        }
        table.write(out, width)?;
    }
    Ok(())
}

fn evaluate(from: &str, options: &Options, out: &mut dyn Write) -> Result<()> {
    let request = attackdb_ask::MapEvaluationRequest {
        trained_on: from.to_string(),
        scope: options.scope(),
    };
    let e = attackdb_ask::evaluate_mapping(options, &request)?;
    if options.json {
        return render::json(out, &e);
    }
    writeln!(
        out,
        "Learned from {} {} ({} examples, {} techniques); scored on the {} procedure examples {} added ({} left out: their technique is not in {}).",
        e.domain, e.trained_on, e.model_examples, e.model_techniques, e.sentences.sentences, e.tested_on, e.skipped, e.trained_on
    )?;
    let width = render::width();
    let mut table = Table::new(&["SENTENCES", "TOP-1", "TOP-5", "TOP-10"]);
    for (label, s) in [
        ("mapping", &e.sentences),
        ("baseline: most common", &e.baseline_sentences),
    ] {
        table.row(vec![
            label.to_string(),
            format!("{:.3}", s.top1),
            format!("{:.3}", s.top5),
            format!("{:.3}", s.top10),
        ]);
    }
    table.write(out, width)?;
    writeln!(
        out,
        "\n{} documents (the reports the new examples cite):",
        e.documents
    )?;
    let mut table = Table::new(&["DOCUMENTS", "K", "PRECISION", "RECALL", "F1"]);
    for (label, list) in [
        ("mapping", &e.document_scores),
        ("baseline: most common", &e.baseline_documents),
    ] {
        for d in list {
            table.row(vec![
                label.to_string(),
                d.k.to_string(),
                format!("{:.3}", d.precision),
                format!("{:.3}", d.recall),
                format!("{:.3}", d.f1),
            ]);
        }
    }
    table.write(out, width)?;
    Ok(())
}
