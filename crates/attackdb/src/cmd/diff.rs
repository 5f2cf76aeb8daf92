//! `attackdb diff`: what changed between two releases, as JSON, Markdown, self-contained HTML
//! (rendered by `attackdb-kb`) or Navigator layers coloured by change category (built by
//! `attackdb-navigator`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use attackdb_data::Need;
use attackdb_kb::{diff_answer, diff_html, diff_markdown, diff_releases, Release};
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
    let mut diffs = Vec::new();
    let mut first_error = None;
    let mut notes = Vec::new();
    for &domain in &domains {
        let pair = (
            kb.select(domain, Some(&old_release)),
            kb.select(domain, Some(&new_release)),
        );
        match pair {
            (Ok(old), Ok(new)) => diffs.push(diff_releases(old, new)),
            // Over every domain, one lacking either release is left out, with a note.
            (old, new) if options.domain.is_none() => {
                let missing = if old.is_err() { from } else { to };
                first_error = first_error.or(old.err()).or(new.err());
                notes.push(format!(
                    "note: {domain} has no release {missing} loaded; left out of the diff"
                ));
            }
            (Err(error), _) | (_, Err(error)) => return Err(error.into()),
        }
    }
    if diffs.is_empty() {
        if let Some(error) = first_error {
            return Err(error.into());
        }
        anyhow::bail!("no domain has both releases {from} and {to} loaded");
    }
    for note in notes {
        eprintln!("{}", crate::render::message(&note));
    }
    let format = format.unwrap_or(if options.json {
        DiffFormat::Json
    } else {
        DiffFormat::Md
    });
    match format {
        DiffFormat::Json => emit(
            output,
            out,
            &attackdb_kb::to_json_pretty(&diff_answer(&diffs))?,
        ),
        DiffFormat::Md => emit(output, out, &diff_markdown(&diffs, from, to)),
        DiffFormat::Html => emit(output, out, &diff_html(&diffs, from, to)),
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
