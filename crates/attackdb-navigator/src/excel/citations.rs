//! Citations: those of objects and relationships (attackToExcel's `get_citations`), the
//! `citations` sheet, and the names a text cites.

use std::collections::HashSet;

use attackdb_kb::{Dataset, ObjId};

use super::sheet::Sheet;

/// One citation: an external reference that is not an ID, with a description that is not
/// itself a citation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Citation {
    /// The reference's source name.
    pub(super) reference: String,
    /// Its description.
    citation: String,
    /// Its URL (empty for none).
    url: String,
}

/// attackToExcel's `get_citations`: the citations of `objects` in order, once per reference.
pub(super) fn citations_of(d: &Dataset, objects: &[ObjId]) -> Vec<Citation> {
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for &id in objects {
        for r in &d.object(id).external_references {
            let Some(description) = r.description.as_deref() else {
                continue;
            };
            if r.external_id.is_some() || description.starts_with("(Citation: ") {
                continue;
            }
            if seen.insert(r.source_name.to_string()) {
                found.push(Citation {
                    reference: r.source_name.to_string(),
                    citation: description.to_string(),
                    url: r.url.as_deref().unwrap_or("").to_string(),
                });
            }
        }
    }
    found
}

/// Sorts citations by reference.
pub(super) fn sort_citations(citations: &mut [Citation]) {
    citations.sort_by(|a, b| a.reference.cmp(&b.reference));
}

/// The `citations` sheet: reference, citation, url.
pub(super) fn citation_sheet(citations: &[Citation]) -> Sheet {
    Sheet {
        name: "citations".to_string(),
        headers: vec!["reference".into(), "citation".into(), "url".into()],
        rows: citations
            .iter()
            .map(|c| {
                vec![
                    c.reference.clone().into(),
                    c.citation.clone().into(),
                    c.url.clone().into(),
                ]
            })
            .collect(),
        merges: Vec::new(),
        matrix: false,
    }
}

/// The names cited in a text: each `(Citation: NAME)`.
pub(super) fn cited_names(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("(Citation: ") {
        let after = &rest[start + "(Citation: ".len()..];
        match after.find(')') {
            Some(end) => {
                found.push(&after[..end]);
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    found
}
