//! The whole knowledge base of one domain and release as Excel, like mitreattack-python's
//! attackToExcel: one workbook with a sheet per object type (techniques, tactics, software,
//! groups, campaigns, mitigations, matrices, data sources, data components, detection
//! strategies, analytics, assets, relationships, citations) and one workbook per type. Revoked
//! and deprecated objects and relationships are left out, as attackToExcel does.

use std::collections::BTreeMap;

use attackdb_kb::{Concept, Dataset, ObjId, Relation, Visibility};
use rust_xlsxwriter::{Format, Workbook};

use crate::problem::Result;

/// One sheet: a name, column headers and rows of text.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The sheet (and file) name: `techniques`, `relationships`...
    pub name: String,
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows, each as long as `headers`.
    pub rows: Vec<Vec<String>>,
}

fn list(items: &[Box<str>]) -> String {
    items.iter().map(|s| &**s).collect::<Vec<_>>().join(", ")
}

fn common(dataset: &Dataset, id: ObjId) -> Vec<String> {
    let o = dataset.object(id);
    vec![
        o.attack_id().unwrap_or("").to_string(),
        o.id.to_string(),
        o.name.as_deref().unwrap_or("").to_string(),
        o.description.as_deref().unwrap_or("").to_string(),
        o.attack_reference()
            .and_then(|r| r.url.as_deref())
            .unwrap_or("")
            .to_string(),
        o.created.as_deref().unwrap_or("").to_string(),
        o.modified.as_deref().unwrap_or("").to_string(),
        dataset.domain().to_string(),
        o.version.as_deref().unwrap_or("").to_string(),
        list(&o.contributors),
    ]
}

const COMMON: [&str; 10] = [
    "ID",
    "STIX ID",
    "name",
    "description",
    "url",
    "created",
    "last modified",
    "domain",
    "version",
    "contributors",
];

fn names(dataset: &Dataset, ids: &[ObjId]) -> String {
    ids.iter()
        .map(|&i| dataset.display_name(i))
        .collect::<Vec<_>>()
        .join(", ")
}

fn sheet(
    dataset: &Dataset,
    name: &str,
    concepts: &[Concept],
    extra_headers: &[&str],
    extra: &dyn Fn(ObjId) -> Vec<String>,
) -> Sheet {
    let mut headers: Vec<String> = COMMON.iter().map(|h| h.to_string()).collect();
    headers.extend(extra_headers.iter().map(|h| h.to_string()));
    let rows = dataset
        .list_any(concepts, Visibility::LIVE)
        .into_iter()
        .map(|id| {
            let mut row = common(dataset, id);
            row.extend(extra(id));
            row
        })
        .collect();
    Sheet {
        name: name.to_string(),
        headers,
        rows,
    }
}

/// Every sheet of `dataset`, in attackToExcel's order; types the release lacks have no rows.
pub fn knowledge_base_sheets(dataset: &Dataset) -> Vec<Sheet> {
    let d = dataset;
    let tactic_names = |id: ObjId| names(d, &d.tactics_of_technique(id));
    let mut sheets = vec![
        sheet(
            d,
            "techniques",
            &[Concept::Technique, Concept::Subtechnique],
            &[
                "tactics",
                "platforms",
                "is sub-technique",
                "sub-technique of",
            ],
            &|id| {
                let o = d.object(id);
                let parent = d.related(Relation::ParentTechniqueOfSubtechnique, id);
                vec![
                    tactic_names(id),
                    list(&o.platforms),
                    o.is_subtechnique.to_string(),
                    parent
                        .first()
                        .map(|&p| d.display_id(p).to_string())
                        .unwrap_or_default(),
                ]
            },
        ),
        sheet(d, "tactics", &[Concept::Tactic], &["shortname"], &|id| {
            vec![d.object(id).shortname.as_deref().unwrap_or("").to_string()]
        }),
        sheet(
            d,
            "software",
            &[Concept::Software],
            &["type", "platforms", "aliases"],
            &|id| {
                let o = d.object(id);
                vec![
                    o.kind.as_str().to_string(),
                    list(&o.platforms),
                    list(&o.aliases),
                ]
            },
        ),
        sheet(d, "groups", &[Concept::Group], &["aliases"], &|id| {
            vec![list(&d.object(id).aliases)]
        }),
        sheet(
            d,
            "campaigns",
            &[Concept::Campaign],
            &["aliases", "first seen", "last seen"],
            &|id| {
                let o = d.object(id);
                vec![
                    list(&o.aliases),
                    o.first_seen.as_deref().unwrap_or("").to_string(),
                    o.last_seen.as_deref().unwrap_or("").to_string(),
                ]
            },
        ),
        sheet(d, "mitigations", &[Concept::Mitigation], &[], &|_| vec![]),
        sheet(d, "matrices", &[Concept::Matrix], &["tactics"], &|id| {
            let tactics: Vec<ObjId> = d
                .object(id)
                .tactic_refs
                .iter()
                .filter_map(|r| d.by_stix_id(r))
                .collect();
            vec![names(d, &tactics)]
        }),
        sheet(
            d,
            "datasources",
            &[Concept::DataSource],
            &["platforms"],
            &|id| vec![list(&d.object(id).platforms)],
        ),
        sheet(
            d,
            "datacomponents",
            &[Concept::DataComponent],
            &["data source", "log sources"],
            &|id| {
                let o = d.object(id);
                let source = o
                    .data_source_ref
                    .as_deref()
                    .and_then(|r| d.by_stix_id(r))
                    .map(|s| d.display_name(s).to_string())
                    .unwrap_or_default();
                let logs: Vec<String> = o
                    .log_sources
                    .iter()
                    .map(|l| match &l.channel {
                        Some(c) => format!("{}: {c}", l.name),
                        None => l.name.to_string(),
                    })
                    .collect();
                vec![source, logs.join("; ")]
            },
        ),
        sheet(
            d,
            "detectionstrategies",
            &[Concept::DetectionStrategy],
            &["analytics", "techniques"],
            &|id| {
                let analytics: Vec<String> = d
                    .analytics_of_strategy(id)
                    .iter()
                    .map(|&a| d.display_id(a).to_string())
                    .collect();
                let techniques: Vec<String> = d
                    .related(Relation::TechniquesDetectedByDetectionStrategy, id)
                    .iter()
                    .map(|&t| d.display_id(t).to_string())
                    .collect();
                vec![analytics.join(", "), techniques.join(", ")]
            },
        ),
        sheet(
            d,
            "analytics",
            &[Concept::Analytic],
            &["platforms", "log sources"],
            &|id| {
                let o = d.object(id);
                let logs: Vec<String> = o
                    .log_source_references
                    .iter()
                    .map(|r| {
                        let dc = d
                            .by_stix_id(&r.data_component_ref)
                            .map(|c| d.display_id(c).to_string())
                            .unwrap_or_default();
                        match &r.channel {
                            Some(c) => format!("{dc} {}: {c}", r.name),
                            None => format!("{dc} {}", r.name),
                        }
                    })
                    .collect();
                vec![list(&o.platforms), logs.join("; ")]
            },
        ),
        sheet(
            d,
            "assets",
            &[Concept::Asset],
            &["platforms", "sectors"],
            &|id| {
                let o = d.object(id);
                vec![list(&o.platforms), list(&o.sectors)]
            },
        ),
    ];
    sheets.push(relationships(d));
    sheets.push(citations(d, &sheets));
    sheets
}

fn relationships(d: &Dataset) -> Sheet {
    let headers = [
        "source ID",
        "source name",
        "source type",
        "mapping type",
        "target ID",
        "target name",
        "target type",
        "mapping description",
        "STIX ID",
        "created",
        "last modified",
    ];
    let mut rows = Vec::new();
    for link in d.links() {
        if !d.is_live(link.relationship) || !d.is_live(link.source) || !d.is_live(link.target) {
            continue;
        }
        let r = d.object(link.relationship);
        if r.relationship_type.as_deref() == Some("revoked-by") {
            continue;
        }
        let kind = |o: ObjId| {
            d.concept(o).map_or_else(
                || d.object(o).kind.as_str().to_string(),
                |c| c.singular().to_string(),
            )
        };
        rows.push(vec![
            d.display_id(link.source).to_string(),
            d.display_name(link.source).to_string(),
            kind(link.source),
            r.relationship_type.as_deref().unwrap_or("").to_string(),
            d.display_id(link.target).to_string(),
            d.display_name(link.target).to_string(),
            kind(link.target),
            r.description.as_deref().unwrap_or("").to_string(),
            r.id.to_string(),
            r.created.as_deref().unwrap_or("").to_string(),
            r.modified.as_deref().unwrap_or("").to_string(),
        ]);
    }
    rows.sort();
    Sheet {
        name: "relationships".to_string(),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows,
    }
}

/// Every citation (external reference other than ATT&CK's own) of the live objects and
/// relationships, once per source name.
fn citations(d: &Dataset, _sheets: &[Sheet]) -> Sheet {
    let mut found: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (i, o) in d.objects().iter().enumerate() {
        if !d.is_live(i as ObjId) {
            continue;
        }
        for r in &o.external_references {
            if r.source_name.starts_with("mitre-") && r.external_id.is_some() {
                continue;
            }
            found.entry(r.source_name.to_string()).or_insert_with(|| {
                (
                    r.description.as_deref().unwrap_or("").to_string(),
                    r.url.as_deref().unwrap_or("").to_string(),
                )
            });
        }
    }
    Sheet {
        name: "citations".to_string(),
        headers: vec!["reference".into(), "citation".into(), "url".into()],
        rows: found
            .into_iter()
            .map(|(name, (citation, url))| vec![name, citation, url])
            .collect(),
    }
}

/// Excel cells hold at most 32,767 characters.
fn cell_text(text: &str) -> &str {
    match text.char_indices().nth(32_000) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

fn write_sheets(sheets: &[&Sheet]) -> Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    for s in sheets {
        let ws = workbook.add_worksheet();
        ws.set_name(&s.name)?;
        for (c, h) in s.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            for (c, value) in row.iter().enumerate() {
                if !value.is_empty() {
                    ws.write_string(r as u32 + 1, c as u16, cell_text(value))?;
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// The workbooks of `dataset`: `<domain>.xlsx` with every sheet that has rows, then
/// `<domain>-<type>.xlsx` for each of them, as (file name, bytes).
pub fn knowledge_base_workbooks(dataset: &Dataset) -> Result<Vec<(String, Vec<u8>)>> {
    let sheets = knowledge_base_sheets(dataset);
    let kept: Vec<&Sheet> = sheets.iter().filter(|s| !s.rows.is_empty()).collect();
    let domain = dataset.domain();
    let mut files = vec![(format!("{domain}.xlsx"), write_sheets(&kept)?)];
    for s in &kept {
        files.push((format!("{domain}-{}.xlsx", s.name), write_sheets(&[s])?));
    }
    Ok(files)
}
