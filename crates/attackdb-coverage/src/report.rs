//! Reports: Markdown, and self-contained HTML (inline CSS, no script, no external resources) with
//! the matrix as a heatmap, the per-tactic table, the ranked gaps, and what could not be mapped.

use std::fmt::Write as _;

use attackdb_kb::ObjId;
use attackdb_navigator::color::ScoreColors;
use attackdb_navigator::export::escape_markup as esc;
use attackdb_navigator::Gradient;

use crate::coverage::Status;
use crate::layer::{GRADIENT, PARTLY};
use crate::Analysis;

/// How many gaps the HTML report lists (the Markdown report lists them all).
const TOP_GAPS: usize = 50;

/// One sentence on which techniques of the actors count.
pub(crate) fn gap_sources_note(gaps: &crate::Gaps) -> &'static str {
    match gaps.inherit {
        crate::Inherit::Campaigns => {
            "Each actor's techniques: its own and its campaigns' (as the relation family \
             techniques_used_by_group); its software's are left out (--with-software counts them)."
        }
        crate::Inherit::CampaignsAndSoftware => {
            "Each actor's techniques: its own, its campaigns' and its software's (--with-software)."
        }
    }
}

fn title(analysis: &Analysis<'_>) -> String {
    format!(
        "ATT&CK coverage: {} {}{}",
        analysis.dataset.domain(),
        analysis.dataset.release(),
        analysis.platform_note()
    )
}

fn summary_lines(analysis: &Analysis<'_>) -> Vec<String> {
    let coverage = &analysis.coverage;
    let [covered, partly, not_covered] = coverage.technique_counts;
    let [sub_covered, sub_not] = coverage.subtechnique_counts;
    let mut lines = vec![
        format!(
            "{} rules read from {} files{}; {} mapped to techniques; {} without ATT&CK techniques",
            analysis.rules().len(),
            analysis.ingested.files,
            analysis.filtered_note(),
            analysis.rules_mapped(),
            analysis.rules_without_techniques()
        ),
        format!(
            "techniques: {covered} covered, {partly} partly covered, {not_covered} not covered (of {})",
            covered + partly + not_covered
        ),
        format!(
            "sub-techniques: {sub_covered} covered, {sub_not} not covered (of {})",
            sub_covered + sub_not
        ),
        format!(
            "coverage: {:.1}% of techniques and sub-techniques (score: {})",
            coverage.percent(),
            coverage.mode.as_str()
        ),
        format!(
            "{} unknown IDs, {} revoked IDs mapped to their replacements, {} deprecated IDs, {} unreadable files or rows",
            analysis.mapping.unknown.len(),
            analysis.mapping.revoked.len(),
            analysis.mapping.deprecated.len(),
            analysis.ingested.errors.len()
        ),
    ];
    if let Some(note) = analysis.deprecated_note() {
        lines.insert(1, note);
    }
    lines
}

/// Escapes `|` for Markdown table cells.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The report as Markdown.
pub fn to_markdown(analysis: &Analysis<'_>) -> String {
    let dataset = analysis.dataset;
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", title(analysis));
    for line in summary_lines(analysis) {
        let _ = writeln!(md, "- {line}");
    }
    let _ = writeln!(md, "\n## Per tactic\n");
    let _ = writeln!(
        md,
        "| Tactic | Techniques | Covered | Partly | Not covered | Sub-techniques covered | Rules | Coverage |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---|");
    for t in &analysis.coverage.tactics {
        let bar_len = (t.percent() / 10.0).round() as usize;
        let _ = writeln!(
            md,
            "| {} ({}) | {} | {} | {} | {} | {}/{} | {} | `{}{}` {:.1}% |",
            cell(dataset.display_name(t.tactic)),
            dataset.display_id(t.tactic),
            t.techniques,
            t.covered,
            t.partly,
            t.not_covered(),
            t.subtechniques_covered,
            t.subtechniques,
            t.rules,
            "█".repeat(bar_len.min(10)),
            "░".repeat(10 - bar_len.min(10)),
            t.percent()
        );
    }
    let _ = writeln!(md, "\n## Matrix\n");
    let _ = writeln!(
        md,
        "Each tactic's techniques: **ID (rules)** covered, *ID* partly covered (sub-techniques only), plain not covered.\n"
    );
    for (tactic, cells) in matrix_cells(analysis) {
        let items: Vec<String> = cells
            .iter()
            .map(|c| match c.status {
                Status::Covered => format!("**{} ({})**", c.id, c.rules),
                Status::Partly => format!("*{}*", c.id),
                Status::NotCovered => c.id.clone(),
            })
            .collect();
        let _ = writeln!(
            md,
            "- **{}**: {}",
            dataset.display_name(tactic),
            items.join(", ")
        );
    }
    if let Some(gaps) = &analysis.gaps {
        let _ = writeln!(md, "\n## Top gaps ({})\n", gaps.kind);
        let _ = writeln!(md, "{}\n", gap_sources_note(gaps));
        let _ = writeln!(md, "| Rank | Technique | Status | Used by | Names |");
        let _ = writeln!(md, "|---:|---|---|---:|---|");
        for (rank, gap) in gaps.gaps.iter().enumerate() {
            let names: Vec<String> = gap
                .used_by
                .iter()
                .map(|(a, via)| {
                    format!(
                        "{} {} ({})",
                        dataset.display_id(*a),
                        dataset.display_name(*a),
                        via.sources(dataset).join(", ")
                    )
                })
                .collect();
            let _ = writeln!(
                md,
                "| {} | {} {} | {} | {} | {} |",
                rank + 1,
                dataset.display_id(gap.technique),
                cell(dataset.display_name(gap.technique)),
                gap.status.as_str(),
                gap.used_by.len(),
                cell(&names.join("; "))
            );
        }
        let _ = writeln!(md, "\n## Coverage per {}\n", gaps.kind);
        let _ = writeln!(md, "| ID | Name | Techniques | Covered | Coverage |");
        let _ = writeln!(md, "|---|---|---:|---:|---:|");
        for a in &gaps.actors {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {:.1}% |",
                dataset.display_id(a.actor),
                cell(dataset.display_name(a.actor)),
                a.techniques,
                a.covered,
                a.percent()
            );
        }
    }
    write_problems_md(analysis, &mut md);
    md
}

fn write_problems_md(analysis: &Analysis<'_>, md: &mut String) {
    let mapping = &analysis.mapping;
    if !mapping.unknown.is_empty() {
        let _ = writeln!(md, "\n## IDs and tactics unknown to this release\n");
        for (id, (kind, rules)) in &mapping.unknown {
            let _ = writeln!(md, "- `{id}` ({}): {} rule(s)", kind.as_str(), rules.len());
        }
    }
    if !mapping.revoked.is_empty() {
        let _ = writeln!(md, "\n## Revoked IDs, counted as their replacements\n");
        for (old, new) in &mapping.revoked {
            let _ = writeln!(md, "- `{old}` → `{new}`");
        }
    }
    if !mapping.deprecated.is_empty() {
        let _ = writeln!(md, "\n## Deprecated IDs (counted)\n");
        for (id, rules) in &mapping.deprecated {
            let _ = writeln!(md, "- `{id}`: {} rule(s)", rules.len());
        }
    }
    if !analysis.ingested.errors.is_empty() {
        let _ = writeln!(md, "\n## Files that could not be read\n");
        for error in &analysis.ingested.errors {
            let _ = writeln!(md, "- `{}`: {}", error.file.display(), cell(&error.reason));
        }
    }
}

/// One cell of the matrix: a technique under one tactic.
struct Cell {
    id: String,
    name: String,
    status: Status,
    rules: usize,
    score: f64,
    subtechniques: (usize, usize),
}

/// Per tactic (matrix order), its in-scope techniques with their coverage in that tactic,
/// in the matrix's order (by name, as the Navigator sorts).
fn matrix_cells(analysis: &Analysis<'_>) -> Vec<(ObjId, Vec<Cell>)> {
    let dataset = analysis.dataset;
    let coverage = &analysis.coverage;
    let matrix = &analysis.matrix;
    let layout = dataset.matrix(&attackdb_kb::matrix::MatrixOptions {
        platforms: matrix.platform.iter().cloned().collect(),
        subtechniques: false,
    });
    let mut columns = Vec::new();
    for column in &layout.columns {
        let tactic = column.tactic;
        let mut cells = Vec::new();
        for technique in column.rows.iter().map(|row| row.technique) {
            let id = dataset.display_id(technique).to_string();
            let here = |id: &str| {
                coverage
                    .get(id)
                    .and_then(|c| c.rules_by_tactic.get(&tactic))
                    .cloned()
                    .unwrap_or_default()
            };
            let rules = here(&id);
            let prefix = format!("{id}.");
            let subs: Vec<&ObjId> = matrix
                .subtechniques
                .iter()
                .filter(|&&s| dataset.display_id(s).starts_with(&prefix))
                .collect();
            let subs_covered = subs
                .iter()
                .filter(|&&&s| !here(dataset.display_id(s)).is_empty())
                .count();
            let status = if !rules.is_empty() {
                Status::Covered
            } else if subs_covered > 0 {
                Status::Partly
            } else {
                Status::NotCovered
            };
            let score = if rules.is_empty() {
                0.0
            } else {
                crate::coverage::score(
                    coverage.mode,
                    analysis.rules(),
                    &analysis.mapping,
                    technique,
                    &rules,
                )
            };
            cells.push(Cell {
                name: dataset.display_name(technique).to_string(),
                id,
                status,
                rules: rules.len(),
                score,
                subtechniques: (subs_covered, subs.len()),
            });
        }
        columns.push((tactic, cells));
    }
    columns
}

/// Escapes text for HTML.
const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:28px 0 8px}
ul.summary{margin:4px 0 12px;padding-left:18px;font-size:13px}
.legend{display:flex;gap:14px;align-items:center;font-size:12px;margin:6px 0 10px}
.legend span.sw{display:inline-block;width:14px;height:14px;border:1px solid #999;vertical-align:middle;margin-right:4px}
.matrix{display:flex;gap:3px;align-items:flex-start;overflow-x:auto}
.col{flex:1 1 0;min-width:86px}
.th{background:#263042;color:#fff;font-size:11px;font-weight:600;padding:5px 4px;text-align:center;min-height:44px}
.th small{display:block;font-weight:400;opacity:.85}
.t{font-size:10px;line-height:1.2;padding:3px 4px;margin-top:2px;border:1px solid #d0d4db;overflow:hidden;text-overflow:ellipsis}
.t b{font-weight:600}.t.none{background:#f4f5f7;color:#6b7280}.t.partly{border-style:dashed;border-color:#b8860b}
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #d0d4db;padding:4px 8px;text-align:left}
th{background:#eef0f4}td.n{text-align:right}
.bar{display:inline-block;height:9px;background:#2e8b3e;vertical-align:middle}
.barbg{display:inline-block;width:100px;height:9px;background:#e5e7eb;vertical-align:middle;margin-right:6px}
code{font-size:12px}";

/// The report as one self-contained HTML page.
pub fn to_html(analysis: &Analysis<'_>) -> String {
    let dataset = analysis.dataset;
    let coverage = &analysis.coverage;
    let max = coverage.scale_max();
    let colors = ScoreColors::new(&Gradient {
        colors: GRADIENT.iter().map(|c| c.to_string()).collect(),
        min_value: 0.0,
        max_value: max,
        extra: Default::default(),
    });
    let mut html = String::new();
    let title = title(analysis);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>\n<h1>{}</h1>\n<ul class=\"summary\">",
        esc(&title),
        esc(&title)
    );
    for line in summary_lines(analysis) {
        let _ = write!(html, "<li>{}</li>", esc(&line));
    }
    let _ = write!(html, "</ul>\n<h2>Matrix</h2>\n<div class=\"legend\">");
    let low = colors.color(1.0).unwrap_or_default();
    let high = colors.color(max).unwrap_or_default();
    let _ = write!(
        html,
        "<span><span class=\"sw\" style=\"background:{low}\"></span>score 1</span><span><span class=\"sw\" style=\"background:{high}\"></span>score {max} or more ({})</span><span><span class=\"sw\" style=\"background:{PARTLY}\"></span>partly covered (sub-techniques only)</span><span><span class=\"sw\" style=\"background:#f4f5f7\"></span>not covered</span></div>\n<div class=\"matrix\">",
        coverage.mode.as_str()
    );
    let tactic_rows: std::collections::HashMap<ObjId, &crate::TacticCoverage> =
        coverage.tactics.iter().map(|t| (t.tactic, t)).collect();
    for (tactic, cells) in matrix_cells(analysis) {
        let percent = tactic_rows.get(&tactic).map_or(0.0, |t| t.percent());
        let _ = write!(
            html,
            "<div class=\"col\"><div class=\"th\">{}<small>{} techniques · {:.0}%</small></div>",
            esc(dataset.display_name(tactic)),
            cells.len(),
            percent
        );
        for c in cells {
            let (class, style) = match c.status {
                Status::Covered => {
                    let background = colors.color(c.score).unwrap_or_default();
                    let text = attackdb_navigator::color::Rgb::parse(&background)
                        .map_or("#000000", |rgb| rgb.text_color());
                    (
                        "t",
                        format!(" style=\"background:{background};color:{text}\""),
                    )
                }
                Status::Partly => ("t partly", format!(" style=\"background:{PARTLY}\"")),
                Status::NotCovered => ("t none", String::new()),
            };
            let subs = if c.subtechniques.1 > 0 {
                format!(" · {}/{} sub", c.subtechniques.0, c.subtechniques.1)
            } else {
                String::new()
            };
            let _ = write!(
                html,
                "<div class=\"{class}\"{style} title=\"{} {}: {} rule(s), score {}{}\"><b>{}</b> {}<br>{} rule(s){}</div>",
                esc(&c.id),
                esc(&c.name),
                c.rules,
                c.score,
                esc(&subs),
                esc(&c.id),
                esc(&c.name),
                c.rules,
                esc(&subs)
            );
        }
        let _ = write!(html, "</div>");
    }
    let _ = write!(html, "</div>\n<h2>Per tactic</h2>\n<table><tr><th>Tactic</th><th>Techniques</th><th>Covered</th><th>Partly</th><th>Not covered</th><th>Sub-techniques covered</th><th>Rules</th><th>Coverage</th></tr>");
    for t in &coverage.tactics {
        let _ = write!(
            html,
            "<tr><td>{} ({})</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}/{}</td><td class=\"n\">{}</td><td><span class=\"barbg\"><span class=\"bar\" style=\"width:{:.0}px\"></span></span>{:.1}%</td></tr>",
            esc(dataset.display_name(t.tactic)),
            esc(dataset.display_id(t.tactic)),
            t.techniques,
            t.covered,
            t.partly,
            t.not_covered(),
            t.subtechniques_covered,
            t.subtechniques,
            t.rules,
            t.percent(),
            t.percent()
        );
    }
    let _ = write!(html, "</table>");
    if let Some(gaps) = &analysis.gaps {
        let _ = write!(
            html,
            "\n<h2>Top gaps: techniques used by the {} chosen, not covered</h2>\n<table><tr><th>Rank</th><th>Technique</th><th>Status</th><th>Used by</th><th>Names</th></tr>",
            esc(gaps.kind)
        );
        for (rank, gap) in gaps.gaps.iter().take(TOP_GAPS).enumerate() {
            let names: Vec<String> = gap
                .used_by
                .iter()
                .map(|(a, via)| {
                    format!(
                        "{} ({})",
                        dataset.display_name(*a),
                        via.sources(dataset).join(", ")
                    )
                })
                .collect();
            let _ = write!(
                html,
                "<tr><td class=\"n\">{}</td><td><b>{}</b> {}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                rank + 1,
                esc(dataset.display_id(gap.technique)),
                esc(dataset.display_name(gap.technique)),
                gap.status.as_str(),
                gap.used_by.len(),
                esc(&names.join("; "))
            );
        }
        let _ = write!(
            html,
            "</table>\n<h2>Coverage per {}</h2>\n<table><tr><th>ID</th><th>Name</th><th>Techniques</th><th>Covered</th><th>Coverage</th></tr>",
            esc(gaps.kind)
        );
        for a in &gaps.actors {
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}%</td></tr>",
                esc(dataset.display_id(a.actor)),
                esc(dataset.display_name(a.actor)),
                a.techniques,
                a.covered,
                a.percent()
            );
        }
        let _ = write!(html, "</table>");
    }
    let mut problems = String::new();
    write_problems_md(analysis, &mut problems);
    if !problems.is_empty() {
        let _ = write!(html, "\n<h2>Unmapped and unreadable</h2>\n<ul>");
        for line in problems.lines().filter(|l| l.starts_with("- ")) {
            let _ = write!(
                html,
                "<li>{}</li>",
                esc(line.trim_start_matches("- ").replace('`', "").as_str())
            );
        }
        let _ = write!(html, "</ul>");
    }
    let _ = write!(
        html,
        "\n<p style=\"font-size:11px;color:#6b7280\">Generated by attackdb coverage from MITRE ATT&amp;CK® {} {}. ATT&amp;CK is a registered trademark of The MITRE Corporation.</p>\n</body></html>\n",
        esc(dataset.domain().as_str()),
        esc(dataset.release().as_str())
    );
    html
}
