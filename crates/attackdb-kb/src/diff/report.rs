//! Release diffs rendered for people and programs: the `--json` answer (domain -> type ->
//! category -> IDs, with per-object details), a Markdown changelog and a self-contained HTML
//! one (word-level description diffs), from [`DomainDiff`]s.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::{Category, Change, DiffType, DomainDiff, TypeDiff};
use crate::markup::escape_markup;

/// What changed in one object, beside the category lists.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeDetail {
    /// Its name.
    pub name: String,
    /// Its category key (`additions`, `major_version_changes`...).
    pub category: &'static str,
    /// `1.2 → 2.0` when the version changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_change: Option<String>,
    /// For revocations: the replacement's ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
    /// Top-level STIX fields changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields_changed: Vec<String>,
    /// Whether the description changed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub description_changed: bool,
    /// Relations added and dropped, by what they are.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub related: BTreeMap<String, AddedDropped>,
}

/// Names added and dropped.
#[derive(Debug, Clone, Serialize)]
pub struct AddedDropped {
    /// Added.
    pub added: Vec<String>,
    /// Dropped.
    pub dropped: Vec<String>,
}

/// The diff of one object type: category key -> sorted IDs, `unchanged` and `details`.
#[derive(Debug, Clone, Serialize)]
pub struct TypeDiffAnswer {
    /// Category key -> sorted display IDs (every category present).
    #[serde(flatten)]
    pub categories: BTreeMap<&'static str, Vec<String>>,
    /// How many objects of the type did not change.
    pub unchanged: usize,
    /// Display ID -> what changed.
    pub details: BTreeMap<String, ChangeDetail>,
}

/// `diff --json`: domain -> type key -> its diff, and `new-contributors`.
#[derive(Debug, Clone, Serialize)]
pub struct DiffAnswer {
    /// Domain -> type key -> diff.
    #[serde(flatten)]
    pub domains: BTreeMap<String, BTreeMap<&'static str, TypeDiffAnswer>>,
    /// Contributors new in the new releases, sorted case-insensitively.
    #[serde(rename = "new-contributors")]
    pub new_contributors: Vec<String>,
    /// Domains left out of a diff over every domain (they lack one of the releases), one line
    /// each; absent when none was.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The `--json` answer of `diffs`.
pub fn diff_answer(diffs: &[DomainDiff<'_>]) -> DiffAnswer {
    let mut domains = BTreeMap::new();
    for diff in diffs {
        let mut types = BTreeMap::new();
        for (diff_type, type_diff) in &diff.types {
            let mut categories = BTreeMap::new();
            let mut details = BTreeMap::new();
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
                categories.insert(category.key(), ids);
                for change in changes {
                    details.insert(
                        diff.display_id(change).to_string(),
                        change_detail(diff, category, change),
                    );
                }
            }
            types.insert(
                diff_type.key(),
                TypeDiffAnswer {
                    categories,
                    unchanged: type_diff.unchanged,
                    details,
                },
            );
        }
        domains.insert(diff.new.domain().to_string(), types);
    }
    DiffAnswer {
        domains,
        new_contributors: all_contributors(diffs),
        notes: Vec::new(),
    }
}

fn change_detail(diff: &DomainDiff<'_>, category: Category, change: &Change) -> ChangeDetail {
    ChangeDetail {
        name: diff.display_name(change).to_string(),
        category: category.key(),
        version_change: diff.version_change(change),
        revoked_by: change
            .revoked_by
            .map(|by| diff.new.display_id(by).to_string()),
        fields_changed: change.fields_changed.clone(),
        description_changed: change.description.is_some(),
        related: change
            .related
            .iter()
            .map(|r| {
                (
                    r.what.to_string(),
                    AddedDropped {
                        added: r.added.clone(),
                        dropped: r.dropped.clone(),
                    },
                )
            })
            .collect(),
    }
}

/// One line about a change: ID, name, version step, what changed.
pub fn summary_line(diff: &DomainDiff<'_>, change: &Change) -> String {
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
                diff.new.domain().title().to_string(),
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
) -> impl Iterator<Item = (&'d DiffType, &'d TypeDiff)> + 'd {
    diff.types
        .iter()
        .filter(|(_, t)| t.categories.values().any(|c| !c.is_empty()))
}

/// The non-empty categories of a type's diff, in changelog order.
fn changed_categories(type_diff: &TypeDiff) -> impl Iterator<Item = (Category, &Vec<Change>)> + '_ {
    Category::ALL.into_iter().filter_map(|category| {
        type_diff
            .categories
            .get(&category)
            .filter(|c| !c.is_empty())
            .map(|c| (category, c))
    })
}

/// The Markdown changelog of `diffs` from release `from` to `to`.
pub fn diff_markdown(diffs: &[DomainDiff<'_>], from: &str, to: &str) -> String {
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
            diff.new.domain().title(),
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

/// The self-contained HTML changelog of `diffs` from release `from` to `to`.
pub fn diff_html(diffs: &[DomainDiff<'_>], from: &str, to: &str) -> String {
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
            diff.new.domain().title(),
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
