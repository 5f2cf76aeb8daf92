//! `attackdb diff`: what changed between two releases, as JSON, Markdown, self-contained HTML or
//! Navigator layers coloured by change category.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use attackdb_kb::{diff_releases, Category, Change, DiffType, DomainDiff, Kb};
use attackdb_navigator::export::escape_markup;
use serde_json::{json, Value};

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

/// Runs `diff` for `domains` from release `from` to `to`.
pub fn run(
    kb: &Kb,
    from: &str,
    to: &str,
    domains: &[&'static str],
    format: DiffFormat,
    output: Option<&Path>,
    out: &mut dyn Write,
) -> Result<()> {
    let mut diffs = Vec::new();
    for domain in domains {
        let old = kb.select(Some(domain), Some(from))?;
        let new = kb.select(Some(domain), Some(to))?;
        diffs.push(diff_releases(old, new));
    }
    match format {
        DiffFormat::Json => emit(output, out, &to_pretty(&to_json(&diffs))?),
        DiffFormat::Md => emit(output, out, &markdown(&diffs, from, to)),
        DiffFormat::Html => emit(output, out, &html(&diffs, from, to)),
        DiffFormat::Layer => {
            let layers: BTreeMap<String, Value> = diffs
                .iter()
                .map(|d| (d.new.domain().to_string(), layer(d, from, to)))
                .collect();
            match output {
                Some(path) if layers.len() > 1 || path.is_dir() => {
                    std::fs::create_dir_all(path)
                        .with_context(|| format!("cannot create folder {}", path.display()))?;
                    for (domain, layer) in &layers {
                        let file = path.join(format!("{domain}-{from}-to-{to}.json"));
                        std::fs::write(&file, to_pretty(layer)?)
                            .with_context(|| format!("cannot write {}", file.display()))?;
                        writeln!(out, "wrote {}", file.display())?;
                    }
                    Ok(())
                }
                _ => {
                    let value = if layers.len() == 1 {
                        layers.into_values().next().unwrap_or_default()
                    } else {
                        serde_json::to_value(layers)?
                    };
                    emit(output, out, &to_pretty(&value)?)
                }
            }
        }
    }
}

fn to_pretty(value: &Value) -> Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}

fn emit(output: Option<&Path>, out: &mut dyn Write, text: &str) -> Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => Ok(out.write_all(text.as_bytes())?),
    }
}

/// The JSON document: domain -> type -> category -> sorted IDs, with `unchanged` counts and
/// per-object `details` beside the categories, and `new-contributors` at the top.
fn to_json(diffs: &[DomainDiff<'_>]) -> Value {
    let mut root = serde_json::Map::new();
    let mut contributors = Vec::new();
    for diff in diffs {
        let mut types = serde_json::Map::new();
        for (diff_type, type_diff) in &diff.types {
            let mut sections = serde_json::Map::new();
            let mut details = serde_json::Map::new();
            for category in Category::ALL {
                let changes = type_diff
                    .categories
                    .get(&category)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let mut ids: Vec<String> = changes
                    .iter()
                    .map(|c| diff.display_id(c).to_string())
                    .collect();
                ids.sort();
                sections.insert(category.key().into(), json!(ids));
                for change in changes {
                    details.insert(
                        diff.display_id(change).to_string(),
                        change_json(diff, category, change),
                    );
                }
            }
            sections.insert("unchanged".into(), json!(type_diff.unchanged));
            sections.insert("details".into(), Value::Object(details));
            types.insert(diff_type.key().into(), Value::Object(sections));
        }
        root.insert(diff.new.domain().to_string(), Value::Object(types));
        contributors.extend(diff.new_contributors.iter().map(|(name, _)| name.clone()));
    }
    contributors.sort_by_key(|c| c.to_lowercase());
    contributors.dedup();
    root.insert("new-contributors".into(), json!(contributors));
    Value::Object(root)
}

fn change_json(diff: &DomainDiff<'_>, category: Category, change: &Change) -> Value {
    let mut value = json!({
        "name": diff.display_name(change),
        "category": category.key(),
    });
    if let Some(step) = diff.version_change(change) {
        value["version_change"] = json!(step);
    }
    if let Some(by) = change.revoked_by {
        value["revoked_by"] = json!(diff.new.display_id(by));
    }
    if !change.fields_changed.is_empty() {
        value["fields_changed"] = json!(change.fields_changed);
    }
    if change.description.is_some() {
        value["description_changed"] = json!(true);
    }
    if !change.related.is_empty() {
        let related: serde_json::Map<String, Value> = change
            .related
            .iter()
            .map(|r| {
                (
                    r.what.to_string(),
                    json!({"added": r.added, "dropped": r.dropped}),
                )
            })
            .collect();
        value["related"] = Value::Object(related);
    }
    value
}

fn domain_title(domain: &str) -> &'static str {
    match domain {
        "enterprise-attack" => "Enterprise",
        "mobile-attack" => "Mobile",
        "ics-attack" => "ICS",
        _ => "ATT&CK",
    }
}

/// One line about a change: ID, name, version step, what changed.
fn summary_line(diff: &DomainDiff<'_>, change: &Change) -> String {
    let mut line = format!("{} {}", diff.display_id(change), diff.display_name(change));
    if let Some(step) = diff.version_change(change) {
        let _ = write!(line, " (v{step})");
    }
    if let Some(by) = change.revoked_by {
        let _ = write!(
            line,
            " → revoked by {} {}",
            diff.new.display_id(by),
            diff.new.display_name(by)
        );
    }
    let mut notes = Vec::new();
    for related in &change.related {
        let mut parts = Vec::new();
        if !related.added.is_empty() {
            parts.push(format!("+{}", related.added.join(", +")));
        }
        if !related.dropped.is_empty() {
            parts.push(format!("−{}", related.dropped.join(", −")));
        }
        notes.push(format!("{}: {}", related.what, parts.join("; ")));
    }
    let fields: Vec<&str> = change
        .fields_changed
        .iter()
        .map(String::as_str)
        .filter(|f| !matches!(*f, "modified" | "x_mitre_version"))
        .collect();
    if !fields.is_empty() {
        notes.insert(0, format!("fields: {}", fields.join(", ")));
    }
    if !notes.is_empty() {
        let _ = write!(line, " — {}", notes.join(" | "));
    }
    line
}

fn counts_table(diffs: &[DomainDiff<'_>]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut headers = vec!["Domain".to_string(), "Type".to_string()];
    headers.extend(Category::ALL.iter().map(|c| c.title().to_string()));
    headers.push("Unchanged".to_string());
    let mut rows = Vec::new();
    for diff in diffs {
        for (diff_type, type_diff) in &diff.types {
            let mut row = vec![
                domain_title(diff.new.domain()).to_string(),
                diff_type.title().to_string(),
            ];
            row.extend(
                Category::ALL
                    .iter()
                    .map(|c| type_diff.categories.get(c).map_or(0, Vec::len).to_string()),
            );
            row.push(type_diff.unchanged.to_string());
            rows.push(row);
        }
    }
    (headers, rows)
}

/// The object types of a domain diff with at least one change, in changelog order.
fn changed_types<'d>(
    diff: &'d DomainDiff<'_>,
) -> impl Iterator<Item = (&'d DiffType, &'d attackdb_kb::TypeDiff)> + 'd {
    diff.types
        .iter()
        .filter(|(_, t)| t.categories.values().any(|c| !c.is_empty()))
}

/// The non-empty categories of a type's diff, in changelog order.
fn changed_categories(
    type_diff: &attackdb_kb::TypeDiff,
) -> impl Iterator<Item = (Category, &Vec<Change>)> + '_ {
    Category::ALL.into_iter().filter_map(|category| {
        type_diff
            .categories
            .get(&category)
            .filter(|c| !c.is_empty())
            .map(|c| (category, c))
    })
}

fn markdown(diffs: &[DomainDiff<'_>], from: &str, to: &str) -> String {
    let mut md = format!("# ATT&CK changes from {from} to {to}\n\n");
    let (headers, rows) = counts_table(diffs);
    let _ = writeln!(md, "| {} |", headers.join(" | "));
    let _ = writeln!(md, "|{}", "---|".repeat(headers.len()));
    for row in rows {
        let _ = writeln!(md, "| {} |", row.join(" | "));
    }
    for diff in diffs {
        let _ = write!(
            md,
            "\n## {} ({})\n",
            domain_title(diff.new.domain()),
            diff.new.domain()
        );
        for (diff_type, type_diff) in changed_types(diff) {
            let _ = write!(md, "\n### {}\n", diff_type.title());
            for (category, changes) in changed_categories(type_diff) {
                let _ = write!(md, "\n#### {} ({})\n\n", category.title(), changes.len());
                for change in changes {
                    let _ = writeln!(md, "- {}", summary_line(diff, change).replace('|', "\\|"));
                }
            }
        }
    }
    let contributors = all_contributors(diffs);
    if !contributors.is_empty() {
        let _ = write!(md, "\n## Contributors to this release\n\n");
        for name in contributors {
            let _ = writeln!(md, "- {name}");
        }
    }
    md
}

fn all_contributors(diffs: &[DomainDiff<'_>]) -> Vec<String> {
    let mut names: Vec<String> = diffs
        .iter()
        .flat_map(|d| d.new_contributors.iter().map(|(n, _)| n.clone()))
        .collect();
    names.sort_by_key(|c| c.to_lowercase());
    names.dedup();
    names
}

/// A word-level diff of two descriptions, with `<del>` and `<ins>`.
fn description_diff(old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_words(old, new);
    let mut html = String::new();
    for change in diff.iter_all_changes() {
        let text = escape_markup(change.value());
        match change.tag() {
            similar::ChangeTag::Equal => html.push_str(&text),
            similar::ChangeTag::Delete => {
                let _ = write!(html, "<del>{text}</del>");
            }
            similar::ChangeTag::Insert => {
                let _ = write!(html, "<ins>{text}</ins>");
            }
        }
    }
    html
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}\
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}\
td:first-child,td:nth-child(2),th{text-align:left}th{background:#f3f3f3}h2{border-bottom:2px solid #205b8f;padding-bottom:.2rem}\
.cat{display:inline-block;width:.8rem;height:.8rem;border:1px solid #888;margin-right:.4rem;vertical-align:middle}\
li{margin:.3rem 0}details{margin:.2rem 0 .6rem 1rem}del{background:#fdd;text-decoration:line-through}ins{background:#dfd;text-decoration:none}\
.note{color:#555;font-size:.9rem}summary{cursor:pointer;color:#205b8f}";

fn html(diffs: &[DomainDiff<'_>], from: &str, to: &str) -> String {
    let title = format!("ATT&CK changes from {from} to {to}");
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        escape_markup(&title),
        escape_markup(&title)
    );
    let (headers, rows) = counts_table(diffs);
    page.push_str("<table><tr>");
    for header in &headers {
        let _ = write!(page, "<th>{}</th>", escape_markup(header));
    }
    page.push_str("</tr>\n");
    for row in rows {
        page.push_str("<tr>");
        for cell in row {
            let _ = write!(page, "<td>{}</td>", escape_markup(&cell));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</table>\n");
    for diff in diffs {
        let _ = writeln!(
            page,
            "<h2>{} ({})</h2>",
            domain_title(diff.new.domain()),
            diff.new.domain()
        );
        for (diff_type, type_diff) in changed_types(diff) {
            let _ = writeln!(page, "<h3>{}</h3>", diff_type.title());
            for (category, changes) in changed_categories(type_diff) {
                let _ = write!(
                    page,
                    "<h4><span class=\"cat\" style=\"background:{}\"></span>{} ({})</h4>\n<ul>\n",
                    category.color(),
                    category.title(),
                    changes.len()
                );
                for change in changes {
                    let _ = write!(page, "<li>{}", escape_markup(&summary_line(diff, change)));
                    if let Some((old, new)) = &change.description {
                        let _ = write!(
                            page,
                            "<details><summary>description changes</summary><p>{}</p></details>",
                            description_diff(old, new)
                        );
                    }
                    page.push_str("</li>\n");
                }
                page.push_str("</ul>\n");
            }
        }
    }
    let contributors = all_contributors(diffs);
    if !contributors.is_empty() {
        page.push_str("<h2>Contributors to this release</h2>\n<ul>\n");
        for name in contributors {
            let _ = writeln!(page, "<li>{}</li>", escape_markup(&name));
        }
        page.push_str("</ul>\n");
    }
    page.push_str("<p class=\"note\">Categories as in MITRE's changelog (diff_stix). ATT&amp;CK® is a registered trademark of The MITRE Corporation.</p>\n</body></html>\n");
    page
}

/// A Navigator 4.5 layer colouring techniques by change category (as `diff_stix` does:
/// revocations and deprecations are left out; one entry per tactic of the technique).
fn layer(diff: &DomainDiff<'_>, from: &str, to: &str) -> Value {
    let mut techniques = Vec::new();
    let empty = Default::default();
    let type_diff = diff.types.get(&DiffType::Techniques).unwrap_or(&empty);
    for category in Category::ALL {
        if matches!(category, Category::Revocations | Category::Deprecations) {
            continue;
        }
        for change in type_diff.categories.get(&category).into_iter().flatten() {
            let (dataset, id) = match (change.new, change.old) {
                (Some(n), _) => (diff.new, n),
                (None, Some(o)) => (diff.old, o),
                (None, None) => continue,
            };
            let comment = category.key().trim_end_matches('s');
            for phase in &dataset.object(id).kill_chain_phases {
                techniques.push(json!({
                    "techniqueID": dataset.display_id(id),
                    "tactic": &*phase.phase_name,
                    "enabled": true,
                    "color": category.color(),
                    "comment": comment,
                }));
            }
        }
    }
    let legend: Vec<Value> = Category::ALL
        .iter()
        .filter(|c| !matches!(c, Category::Revocations | Category::Deprecations))
        .map(|c| json!({"color": c.color(), "label": c.title()}))
        .collect();
    json!({
        "name": format!("{} changes {from} → {to}", domain_title(diff.new.domain())),
        "versions": {"attack": to.split('.').next().unwrap_or(to), "navigator": "5.1.0", "layer": "4.5"},
        "domain": diff.new.domain(),
        "description": format!("Techniques of {} coloured by what changed from ATT&CK {from} to {to}", diff.new.domain()),
        "techniques": techniques,
        "sorting": 0,
        "hideDisabled": false,
        "legendItems": legend,
        "showTacticRowBackground": true,
        "tacticRowBackground": "#205b8f",
        "selectTechniquesAcrossTactics": true,
    })
}

/// Checks the domain option of `diff`: `all` or one domain.
pub fn domains(option: Option<&str>) -> Result<Vec<&'static str>> {
    match option {
        None => Ok(attackdb_stix::DOMAINS.to_vec()),
        Some(value) if value.eq_ignore_ascii_case("all") => Ok(attackdb_stix::DOMAINS.to_vec()),
        Some(value) => match attackdb_kb::normalize_domain(value) {
            Ok(domain) => Ok(vec![domain]),
            Err(_) => bail!("unknown domain `{value}`: expected enterprise, mobile, ics or all"),
        },
    }
}
