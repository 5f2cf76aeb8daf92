//! The shapes templates draw: links, tables and the matrix. Every string here is plain text
//! (templates escape it) except fields named `html`, which are sanitised by `markdown`.

use std::collections::BTreeSet;

use attackdb_kb::{matrix::MatrixOptions, Dataset, ObjId};
use serde::Serialize;

use crate::site::Linker;

/// A link to an object (or plain text when `href` is `None`).
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    /// ATT&CK ID (or empty).
    pub id: String,
    /// Name.
    pub name: String,
    /// Where it leads.
    pub href: Option<String>,
}

impl Link {
    /// The link to `object` of the linker's dataset.
    pub fn to(linker: &Linker<'_>, object: ObjId) -> Link {
        let dataset = linker.dataset();
        Link {
            id: dataset
                .object(object)
                .attack_id()
                .unwrap_or_default()
                .to_string(),
            name: dataset.display_name(object).to_string(),
            href: linker.href(object),
        }
    }

    /// A link with a text and a target.
    pub fn plain(name: impl Into<String>, href: Option<String>) -> Link {
        Link {
            id: String::new(),
            name: name.into(),
            href,
        }
    }
}

/// One table cell: text, maybe a link, or sanitised HTML.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Cell {
    /// The text.
    pub text: String,
    /// Where it links.
    pub href: Option<String>,
    /// Sanitised HTML shown instead of the text.
    pub html: Option<String>,
}

impl Cell {
    /// A text cell.
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }

    /// A link cell.
    pub fn link(text: impl Into<String>, href: Option<String>) -> Cell {
        Cell {
            text: text.into(),
            href,
            html: None,
        }
    }

    /// A cell of sanitised HTML.
    pub fn html(html: String) -> Cell {
        Cell {
            html: Some(html),
            ..Cell::default()
        }
    }
}

/// A titled table of a page.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    /// Heading.
    pub title: String,
    /// Anchor (`id`) of the heading.
    pub anchor: String,
    /// A line under the heading.
    pub note: Option<String>,
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table with `headers`.
    pub fn new(title: impl Into<String>, headers: &[&str]) -> Table {
        let title = title.into();
        Table {
            anchor: anchor_of(&title),
            title,
            note: None,
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }
}

/// `Procedure Examples` -> `procedure-examples`.
pub fn anchor_of(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// One technique (or sub-technique) in a matrix column.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixCell {
    /// `T1059.001`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Its page.
    pub href: Option<String>,
    /// Platforms, comma separated (for filtering in the page).
    pub platforms: String,
    /// Extra CSS classes (`used`).
    pub class: String,
    /// Hover text.
    pub title: String,
    /// Its sub-techniques shown under it.
    pub subs: Vec<MatrixCell>,
    /// How many sub-techniques it has in this column (shown or not).
    pub sub_count: usize,
    /// Whether its sub-techniques start unfolded.
    pub open: bool,
}

/// One tactic column.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixColumnView {
    /// `TA0002`.
    pub id: String,
    /// `Execution`.
    pub name: String,
    /// `execution`.
    pub shortname: String,
    /// The tactic's page.
    pub href: Option<String>,
    /// Techniques in the column.
    pub count: usize,
    /// Sub-techniques in the column.
    pub sub_count: usize,
    /// The techniques.
    pub cells: Vec<MatrixCell>,
}

/// What a matrix marks.
#[derive(Debug, Clone, Default)]
pub struct Marks {
    /// Techniques shown as used (a heatmap of one object).
    pub used: BTreeSet<ObjId>,
    /// Show only used sub-techniques (heatmaps), else every one.
    pub used_subs_only: bool,
    /// Unfold every technique's sub-techniques.
    pub open_all: bool,
}

/// Lays out `dataset`'s matrix on `platforms` for a template.
pub fn matrix_columns(
    linker: &Linker<'_>,
    platforms: &[String],
    marks: &Marks,
) -> Vec<MatrixColumnView> {
    let dataset = linker.dataset();
    let matrix = dataset.matrix(&MatrixOptions {
        platforms: platforms.to_vec(),
        subtechniques: true,
    });
    let cell = |t: ObjId, subs: Vec<MatrixCell>, sub_count: usize| -> MatrixCell {
        let used = marks.used.contains(&t);
        let any_sub_used = subs.iter().any(|s| s.class.contains("used"));
        let mut class = String::new();
        if used {
            class.push_str("used");
        } else if any_sub_used {
            class.push_str("sub-used");
        }
        MatrixCell {
            id: dataset.display_id(t).to_string(),
            name: dataset.display_name(t).to_string(),
            href: linker.href(t),
            platforms: platform_list(dataset, t),
            title: format!("{} {}", dataset.display_id(t), dataset.display_name(t)),
            class,
            open: marks.open_all || any_sub_used,
            subs,
            sub_count,
        }
    };
    matrix
        .columns
        .iter()
        .map(|column| {
            let tactic = dataset.object(column.tactic);
            let cells: Vec<MatrixCell> = column
                .rows
                .iter()
                .map(|row| {
                    let subs = row
                        .subtechniques
                        .iter()
                        .filter(|s| !marks.used_subs_only || marks.used.contains(s))
                        .map(|&s| cell(s, Vec::new(), 0))
                        .collect();
                    cell(row.technique, subs, row.subtechniques.len())
                })
                .collect();
            MatrixColumnView {
                id: tactic.attack_id().unwrap_or_default().to_string(),
                name: dataset.display_name(column.tactic).to_string(),
                shortname: tactic.shortname.as_deref().unwrap_or_default().to_string(),
                href: linker.href(column.tactic),
                count: column.rows.len(),
                sub_count: column.rows.iter().map(|r| r.subtechniques.len()).sum(),
                cells,
            }
        })
        .collect()
}

fn platform_list(dataset: &Dataset, object: ObjId) -> String {
    dataset
        .object(object)
        .platforms
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(",")
}
