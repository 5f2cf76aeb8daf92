//! Relationships: the rows of attackToExcel's `relationshipsToDf`, the `relationships` sheet,
//! each type's relationship sheets (`procedure examples`, `techniques used`...) and its
//! `relationship citations` column.

use std::collections::HashSet;

use attackdb_kb::{Dataset, ObjectType};

use super::citations::{cited_names, Citation};
use super::context::{Context, TypeData};
use super::fields::format_date;
use super::sheet::{Cell, Record, Sheet};

/// One relationship row of attackToExcel's `relationshipsToDf`.
#[derive(Debug)]
pub(super) struct RelRow {
    /// The row's cells.
    record: Record,
    /// The source's type.
    source_kind: ObjectType,
    /// The target's type.
    target_kind: ObjectType,
    /// The source's ATT&CK term (`technique`, `group`...).
    source_type: Option<&'static str>,
    /// The target's ATT&CK term.
    target_type: Option<&'static str>,
    /// The relationship type (`uses`, `mitigates`...).
    mapping_type: String,
    /// The relationship's description.
    description: Option<String>,
    /// pandas' sort of the rows: type, terms, names, refs, dates (missing values last).
    sort_key: Vec<(bool, String)>,
}

/// attackToExcel's `stixToAttackTerm`.
fn attack_term(kind: &ObjectType) -> Option<&'static str> {
    Some(match kind {
        ObjectType::AttackPattern => "technique",
        ObjectType::Tactic => "tactic",
        ObjectType::Tool | ObjectType::Malware => "software",
        ObjectType::IntrusionSet => "group",
        ObjectType::CourseOfAction => "mitigation",
        ObjectType::Matrix => "matrix",
        ObjectType::DataComponent => "datacomponent",
        ObjectType::DataSource => "datasource",
        ObjectType::Campaign => "campaign",
        ObjectType::Asset => "asset",
        ObjectType::DetectionStrategy => "detectionstrategy",
        _ => return None,
    })
}

/// Every live relationship between live objects but `subtechnique-of` (the techniques sheet
/// has those), in bundle order.
pub(super) fn relationship_rows(d: &Dataset) -> Vec<RelRow> {
    let mut rows = Vec::new();
    for link in d.links() {
        if !d.is_live(link.relationship) || !d.is_live(link.source) || !d.is_live(link.target) {
            continue;
        }
        let r = d.object(link.relationship);
        let mapping_type = r.relationship_type.as_deref().unwrap_or("").to_string();
        if mapping_type == "revoked" || mapping_type == "subtechnique-of" {
            continue;
        }
        let source = d.object(link.source);
        let target = d.object(link.target);
        let source_type = attack_term(&source.kind);
        let target_type = attack_term(&target.kind);
        let mut record = Record::default();
        record.set("source ID", source.attack_id().unwrap_or(""));
        record.set("source name", source.name.as_deref().unwrap_or(""));
        record.set("source ref", &*source.id);
        record.set("source type", source_type.unwrap_or(""));
        record.set("mapping type", mapping_type.as_str());
        record.set("target ID", target.attack_id().unwrap_or(""));
        record.set("target name", target.name.as_deref().unwrap_or(""));
        record.set("target ref", &*target.id);
        record.set("target type", target_type.unwrap_or(""));
        if let Some(description) = &r.description {
            record.set("mapping description", &**description);
        }
        record.set("STIX ID", &*r.id);
        let created = r.created.as_deref().map(format_date);
        let modified = r.modified.as_deref().map(format_date);
        if let Some(c) = &created {
            record.set("created", c.as_str());
        }
        if let Some(m) = &modified {
            record.set("last modified", m.as_str());
        }
        let key = |v: Option<&str>| (v.is_none(), v.unwrap_or("").to_string());
        let sort_key = vec![
            key(Some(&mapping_type)),
            key(source_type),
            key(target_type),
            key(source.name.as_deref()),
            key(target.name.as_deref()),
            key(Some(&source.id)),
            key(Some(&target.id)),
            key(created.as_deref()),
            key(modified.as_deref()),
        ];
        rows.push(RelRow {
            record,
            source_kind: source.kind.clone(),
            target_kind: target.kind.clone(),
            source_type,
            target_type,
            mapping_type,
            description: r.description.as_deref().map(str::to_string),
            sort_key,
        });
    }
    rows
}

/// A relationship sheet: `rows` in pandas' order, with `columns`.
fn rel_sheet(name: &str, rows: &[&RelRow], columns: &[&'static str]) -> Sheet {
    let mut sorted: Vec<&RelRow> = rows.to_vec();
    sorted.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
    Sheet {
        name: name.to_string(),
        headers: columns.iter().map(|c| c.to_string()).collect(),
        rows: sorted
            .iter()
            .map(|r| {
                columns
                    .iter()
                    .map(|c| {
                        r.record
                            .fields
                            .iter()
                            .find(|(k, _)| k == c)
                            .map(|(_, v)| v.clone())
                            .unwrap_or(Cell::Text(String::new()))
                    })
                    .collect()
            })
            .collect(),
        merges: Vec::new(),
        matrix: false,
    }
}

/// The columns pandas gives a frame of these relationship rows.
fn rel_columns(rows: &[&RelRow]) -> Vec<&'static str> {
    let mut columns: Vec<&'static str> = Vec::new();
    for r in rows {
        for (k, _) in &r.record.fields {
            if !columns.contains(k) {
                columns.push(k);
            }
        }
    }
    columns
}

/// The relationship sheets of one object type (`relatedType`), as attackToExcel names them:
/// (sheet, relationship citations per object ID), and the citations they use.
pub(super) struct Codex {
    /// Each sheet, with (source ID, target ID, mapping description) per row.
    pub(super) sheets: Vec<(Sheet, Vec<Vec<String>>)>,
    /// The relationship citations the sheets use (`None` when the release has none).
    pub(super) citations: Option<Vec<Citation>>,
}

/// attackToExcel's `relationshipsToDf` for `related` (of `types`): its relationship sheets by
/// category, a name given twice keeping its first place.
pub(super) fn codex(
    related: &str,
    types: &[ObjectType],
    all: &[RelRow],
    rel_citations: &[Citation],
) -> Codex {
    let rows: Vec<&RelRow> = all
        .iter()
        .filter(|r| types.contains(&r.source_kind) || types.contains(&r.target_kind))
        .collect();
    if rows.is_empty() {
        return Codex {
            sheets: Vec::new(),
            citations: None,
        };
    }
    let columns = rel_columns(&rows);
    let is = |t: Option<&str>, of: &[&str]| t.is_some_and(|t| of.contains(&t));
    type Pick = Box<dyn Fn(&RelRow) -> bool>;
    let categories: Vec<(&str, Pick)> = vec![
        (
            if related == "group" {
                "associated software"
            } else {
                "associated groups"
            },
            Box::new(move |r: &RelRow| {
                is(r.source_type, &["group", "software"])
                    && r.mapping_type == "uses"
                    && is(r.target_type, &["group", "software"])
            }),
        ),
        (
            if related == "campaign" {
                "associated software"
            } else {
                "associated campaigns"
            },
            Box::new(move |r: &RelRow| {
                is(r.source_type, &["campaign", "software"])
                    && r.mapping_type == "uses"
                    && is(r.target_type, &["campaign", "software"])
            }),
        ),
        (
            if related == "technique" {
                "procedure examples"
            } else {
                "techniques used"
            },
            Box::new(|r: &RelRow| r.mapping_type == "uses" && r.target_type == Some("technique")),
        ),
        (
            match related {
                "campaign" => "attributed groups",
                "group" => "attributed campaigns",
                _ => "associated campaigns",
            },
            Box::new(|r: &RelRow| {
                r.mapping_type == "attributed-to" && r.target_type == Some("group")
            }),
        ),
        (
            if related == "technique" {
                "associated mitigations"
            } else {
                "techniques addressed"
            },
            Box::new(|r: &RelRow| r.mapping_type == "mitigates"),
        ),
        (
            if related == "technique" {
                "targeted assets"
            } else {
                "associated techniques"
            },
            Box::new(|r: &RelRow| r.mapping_type == "targets" && r.target_type == Some("asset")),
        ),
        (
            if related == "detectionstrategy" {
                "techniques detected"
            } else {
                "associated detection strategies"
            },
            Box::new(|r: &RelRow| {
                r.mapping_type == "detects" && r.source_type == Some("detectionstrategy")
            }),
        ),
    ];
    // a Python dict: a name given twice keeps its first place and takes the later rows
    let mut picked: Vec<(&str, Vec<&RelRow>)> = Vec::new();
    for (name, pick) in &categories {
        let chosen: Vec<&RelRow> = rows.iter().copied().filter(|r| pick(r)).collect();
        if chosen.is_empty() {
            continue;
        }
        match picked.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = chosen,
            None => picked.push((name, chosen)),
        }
    }
    let mut used: HashSet<&str> = HashSet::new();
    let mut sheets = Vec::new();
    for (name, chosen) in &picked {
        for r in chosen {
            if let Some(description) = &r.description {
                used.extend(cited_names(description));
            }
        }
        let sheet = rel_sheet(name, chosen, &columns);
        let ids = |key: &str| -> Vec<String> { sheet_column(&sheet, key) };
        let (sources, targets) = (ids("source ID"), ids("target ID"));
        let descriptions = sheet_column(&sheet, "mapping description");
        let per_row = sources
            .into_iter()
            .zip(targets)
            .zip(descriptions)
            .map(|((s, t), desc)| vec![s, t, desc])
            .collect();
        sheets.push((sheet, per_row));
    }
    let citations = if rel_citations.is_empty() {
        None
    } else {
        Some(
            rel_citations
                .iter()
                .filter(|c| used.contains(c.reference.as_str()))
                .cloned()
                .collect(),
        )
    };
    Codex { sheets, citations }
}

/// The cells of a column as text (empty cells when the sheet has no such column).
fn sheet_column(sheet: &Sheet, header: &str) -> Vec<String> {
    match sheet.headers.iter().position(|h| h == header) {
        Some(i) => sheet.rows.iter().map(|r| r[i].text()).collect(),
        None => vec![String::new(); sheet.rows.len()],
    }
}

/// attackToExcel's `relationship citations` for an object: per relationship sheet, the
/// citations of the rows naming its ID (sorted, comma-separated), the sheets joined by commas.
pub(super) fn relationship_citations(id: &str, codex: &Codex) -> String {
    codex
        .sheets
        .iter()
        .map(|(_, rows)| {
            let mut found: Vec<&str> = Vec::new();
            if !id.is_empty() {
                for row in rows {
                    if row[0] == id || row[1] == id {
                        for name in cited_names(&row[2]) {
                            if !found.contains(&name) {
                                found.push(name);
                            }
                        }
                    }
                }
            }
            found.sort_unstable();
            found
                .iter()
                .map(|n| format!("(Citation: {n})"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The `relationships` type: every relationship row with pandas' columns, and the
/// relationships' citations.
pub(super) fn relationships(cx: &Context) -> TypeData {
    let all = cx.rels.iter().collect::<Vec<_>>();
    let columns = rel_columns(&all);
    TypeData {
        name: "relationships",
        main: rel_sheet("relationships", &all, &columns),
        relationship_sheets: Vec::new(),
        citations: (!cx.rel_citations.is_empty()).then(|| cx.rel_citations.clone()),
    }
}
