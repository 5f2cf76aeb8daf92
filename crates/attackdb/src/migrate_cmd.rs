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
pub fn run(command: &MigrateCommand, global: &Global, out: &mut dyn Write) -> Result<()> {
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
    global: &Global,
    out: &mut dyn Write,
) -> Result<()> {
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
            .map(str::to_string)
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

/// One reference in a rule that does not hold in the target release.
struct RuleFinding {
    file: String,
    rule: String,
    reference: String,
    kind: &'static str,
    status: &'static str,
    suggestion: Option<String>,
    detail: String,
}

#[allow(clippy::too_many_arguments)]
fn migrate_rules(
    paths: &[PathBuf],
    to: &str,
    format: Option<&str>,
    output_format: Option<&str>,
    output_path: Option<&std::path::Path>,
    global: &Global,
    out: &mut dyn Write,
) -> Result<()> {
    use attackdb_coverage::{ingest, normalize_id, normalize_tactic, Format};
    use attackdb_kb::{Concept, ObjectType};

    let forced = match format {
        None | Some("auto") => None,
        Some(name) => Some(Format::parse(name).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown rule format `{name}`: expected auto, sigma, splunk, elastic, csv or layer"
            )
        })?),
    };
    let domain = global.domain();
    let kb = data::load(
        &data::data_paths(&global.data)?,
        Need::One {
            domain,
            release: Some(to),
        },
        &LoadOptions {
            use_index: !global.no_index,
        },
        &mut |warning| eprintln!("warning: {warning}"),
    )?;
    let dataset = kb.select(Some(domain), Some(to))?;
    let ingested = ingest(paths, forced)?;
    let mut findings = Vec::new();
    let mut references = 0usize;
    for rule in &ingested.rules {
        let file = rule.file.display().to_string();
        let mut seen = std::collections::BTreeSet::new();
        for reference in &rule.techniques {
            references += 1;
            let id = normalize_id(&reference.id);
            if !seen.insert(id.clone()) {
                continue;
            }
            let found = dataset.by_attack_id_typed(&id, &[ObjectType::AttackPattern]);
            let (status, suggestion, detail) = match found {
                None => {
                    let parent = id.split_once('.').and_then(|(parent, _)| {
                        dataset
                            .by_attack_id_typed(parent, &[ObjectType::AttackPattern])
                            .filter(|&p| dataset.is_live(p))
                    });
                    (
                        "unknown",
                        parent.map(|p| dataset.display_id(p).to_string()),
                        match parent {
                            Some(p) => format!(
                                "not a technique of {} {to} (a newer release's, or a typo); its parent {} {} exists",
                                dataset.domain(),
                                dataset.display_id(p),
                                dataset.display_name(p)
                            ),
                            None => format!("not a technique of {} {to} (a newer release's, or a typo)", dataset.domain()),
                        },
                    )
                }
                Some(t) if dataset.object(t).revoked => {
                    let by = dataset.revoking_object(t).filter(|&r| dataset.is_live(r));
                    (
                        "revoked",
                        by.map(|r| dataset.display_id(r).to_string()),
                        match by {
                            Some(r) => format!(
                                "{} was revoked by {} {}",
                                dataset.display_name(t),
                                dataset.display_id(r),
                                dataset.display_name(r)
                            ),
                            None => format!(
                                "{} was revoked, with no live replacement",
                                dataset.display_name(t)
                            ),
                        },
                    )
                }
                Some(t) if dataset.object(t).deprecated => (
                    "deprecated",
                    None,
                    format!(
                        "{} is deprecated in {to}, with no replacement",
                        dataset.display_name(t)
                    ),
                ),
                Some(_) => continue,
            };
            findings.push(RuleFinding {
                file: file.clone(),
                rule: rule.name.clone(),
                reference: reference.id.trim().to_string(),
                kind: "technique",
                status,
                suggestion,
                detail,
            });
        }
        let tactic_names = rule
            .tactics
            .iter()
            .chain(rule.techniques.iter().flat_map(|t| t.tactics.iter()));
        for raw in tactic_names {
            let key = normalize_tactic(raw);
            if !seen.insert(format!("tactic:{key}")) {
                continue;
            }
            let known = dataset.tactic_by_shortname(&key).is_some()
                || dataset
                    .by_attack_id_typed(&key, &[ObjectType::Tactic])
                    .is_some()
                || dataset
                    .by_name(raw)
                    .iter()
                    .any(|&o| dataset.concept(o) == Some(Concept::Tactic));
            if !known {
                findings.push(RuleFinding {
                    file: file.clone(),
                    rule: rule.name.clone(),
                    reference: raw.trim().to_string(),
                    kind: "tactic",
                    status: "unknown",
                    suggestion: None,
                    detail: format!(
                        "not a tactic of {} {to} (a newer release's, or a typo)",
                        dataset.domain()
                    ),
                });
            }
        }
    }
    let chosen = output_format.unwrap_or(if global.json { "json" } else { "table" });
    let text = match chosen {
        "json" => {
            let unknown: std::collections::BTreeSet<String> = findings
                .iter()
                .filter(|f| f.status == "unknown" && f.kind == "technique")
                .map(|f| normalize_id(&f.reference))
                .collect();
            let unknown_tactics: std::collections::BTreeSet<String> = findings
                .iter()
                .filter(|f| f.kind == "tactic")
                .map(|f| normalize_tactic(&f.reference))
                .collect();
            let revoked: std::collections::BTreeMap<String, Option<String>> = findings
                .iter()
                .filter(|f| f.status == "revoked")
                .map(|f| (normalize_id(&f.reference), f.suggestion.clone()))
                .collect();
            let deprecated: std::collections::BTreeSet<String> = findings
                .iter()
                .filter(|f| f.status == "deprecated")
                .map(|f| normalize_id(&f.reference))
                .collect();
            let mut per_file: std::collections::BTreeMap<&str, Vec<Value>> =
                std::collections::BTreeMap::new();
            for f in &findings {
                per_file.entry(&f.file).or_default().push(json!({
                    "rule": f.rule,
                    "reference": f.reference,
                    "kind": f.kind,
                    "status": f.status,
                    "suggestion": f.suggestion,
                    "detail": f.detail,
                }));
            }
            let value = json!({
                "release": format!("{} {to}", dataset.domain()),
                "rules": ingested.rules.len(),
                "files": ingested.files,
                "references": references,
                "unknown_ids": unknown,
                "unknown_tactics": unknown_tactics,
                "revoked_ids": revoked,
                "deprecated_ids": deprecated,
                "findings": per_file,
                "errors": ingested.errors.iter().map(|e| json!({"file": e.file.display().to_string(), "reason": e.reason})).collect::<Vec<_>>(),
            });
            serde_json::to_string_pretty(&value)? + "\n"
        }
        "md" => {
            let mut md = format!(
                "# Rule references against ATT&CK {to} ({})\n\n{} rules in {} files; {} findings.\n\n| File | Rule | Reference | Status | Suggestion | Detail |\n|---|---|---|---|---|---|\n",
                dataset.domain(),
                ingested.rules.len(),
                ingested.files,
                findings.len()
            );
            for f in &findings {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} |",
                    f.file.replace('|', "\\|"),
                    f.rule.replace('|', "\\|"),
                    f.reference,
                    f.status,
                    f.suggestion.as_deref().unwrap_or(""),
                    f.detail.replace('|', "\\|")
                );
            }
            md
        }
        "csv" => {
            let mut csv = String::from("file,rule,reference,kind,status,suggestion,detail\n");
            let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            for f in &findings {
                let _ = writeln!(
                    csv,
                    "{},{},{},{},{},{},{}",
                    quote(&f.file),
                    quote(&f.rule),
                    quote(&f.reference),
                    f.kind,
                    f.status,
                    quote(f.suggestion.as_deref().unwrap_or("")),
                    quote(&f.detail)
                );
            }
            csv
        }
        "table" => {
            let mut table = Table::new(&["Status", "Reference", "Suggestion", "Rule", "File"]);
            for f in &findings {
                table.row(vec![
                    f.status.to_string(),
                    f.reference.clone(),
                    f.suggestion.clone().unwrap_or_default(),
                    f.rule.clone(),
                    f.file.clone(),
                ]);
            }
            let mut buffer = Vec::new();
            table.write(&mut buffer, output::width())?;
            let mut text = String::from_utf8_lossy(&buffer).to_string();
            let _ = writeln!(
                text,
                "{} findings in {} rules ({} files) against {} {to}",
                findings.len(),
                ingested.rules.len(),
                ingested.files,
                dataset.domain()
            );
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
