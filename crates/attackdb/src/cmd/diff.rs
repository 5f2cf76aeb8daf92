//! `attackdb diff`: what changed between two releases, as JSON, Markdown, self-contained HTML
//! (rendered by `attackdb-kb`) or Navigator layers coloured by change category (built by
//! `attackdb-navigator`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use attackdb_data::Need;
use attackdb_kb::{
    diff::{diff_html, diff_markdown},
    Release,
};
use attackdb_navigator::{diff_layer, layer_to_json};

use crate::options::Options;

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Markdown changelog
    Md,
    /// Self-contained HTML changelog
    Html,
    /// JSON: domain -> type -> category -> IDs
    Json,
    /// Navigator layers, one per domain
    Layer,
}

/// Runs `diff` from release `from` to `to` for `--domain` (default every domain).
pub fn run(
    from: &str,
    to: &str,
    format: Option<DiffFormat>,
    output: Option<&Path>,
    options: &Options,
    out: &mut dyn Write,
) -> Result<()> {
    let old_release: Release = from.parse()?;
    let new_release: Release = to.parse()?;
    let (from, to) = (old_release.as_str(), new_release.as_str());
    let domains = options.domains();
    let kb = options.open(&Need::Releases {
        domains: domains.clone(),
        releases: vec![old_release.clone(), new_release.clone()],
    })?;
    let answered = attackdb_ask::diff(
        kb,
        &attackdb_ask::DiffRequest {
            from: from.to_string(),
            to: to.to_string(),
            domain: options.domain.map(|d| d.short_name().to_string()),
        },
    )?;
    crate::progress::say_notes(&answered.notes);
    let diffs = &answered.answer;
    let format = format.unwrap_or(if options.json {
        DiffFormat::Json
    } else {
        DiffFormat::Md
    });
    match format {
        DiffFormat::Json => emit(
            output,
            out,
            &attackdb_kb::answer::to_json_pretty(&attackdb_ask::diff_document(&answered))?,
        ),
        DiffFormat::Md => emit(output, out, &diff_markdown(diffs, from, to)),
        DiffFormat::Html => emit(output, out, &diff_html(diffs, from, to)),
        DiffFormat::Layer => {
            let layers: BTreeMap<String, attackdb_navigator::Layer> = diffs
                .iter()
                .map(|d| (d.new.domain().to_string(), diff_layer(d, from, to)))
                .collect();
            match output {
                Some(path) if layers.len() > 1 || path.is_dir() => {
                    std::fs::create_dir_all(path)
                        .with_context(|| format!("cannot create folder {}", path.display()))?;
                    for (domain, layer) in &layers {
                        let file = path.join(format!("{domain}-{from}-to-{to}.json"));
                        std::fs::write(&file, layer_to_json(layer)?)
                            .with_context(|| format!("cannot write {}", file.display()))?;
                        writeln!(out, "wrote {}", file.display())?;
                    }
                    Ok(())
                }
                _ => {
                    let text = match layers.values().next() {
                        Some(layer) if layers.len() == 1 => layer_to_json(layer)?,
                        _ => serde_json::to_string_pretty(&layers)? + "\n",
                    };
                    emit(output, out, &text)
                }
            }
        }
    }
}

fn emit(output: Option<&Path>, out: &mut dyn Write, text: &str) -> Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => Ok(out.write_all(text.as_bytes())?),
    }
}
