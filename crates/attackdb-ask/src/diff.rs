//! `diff`: what changed between two releases, over one domain or every domain (those lacking
//! either release left out, with a note).

use attackdb_kb::diff::{DiffAnswer, DomainDiff};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::scope::{each_domain, parse_domain, required_release, Checked, Library, Noted};

/// `diff --from X --to Y [--domain D]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiffRequest {
    /// The old release.
    pub from: String,
    /// The new release.
    pub to: String,
    /// One domain; absent (or `all`) for every domain.
    pub domain: Option<String>,
}

/// Answers `diff`: one [`DomainDiff`] per domain holding both releases, in domain order.
pub fn diff<'l, L: Library + ?Sized>(
    library: &'l L,
    request: &DiffRequest,
) -> Result<Noted<Vec<DomainDiff<'l>>>> {
    let from = required_release(
        "from",
        Some(request.from.as_str()).filter(|s| !s.is_empty()),
    )?;
    let to = required_release("to", Some(request.to.as_str()).filter(|s| !s.is_empty()))?;
    let scope = Checked {
        domain: parse_domain(request.domain.as_deref())?,
        release: None,
    };
    let pairs = each_domain(library, &scope, &[&from, &to])?;
    Ok(pairs.map(|pairs| {
        pairs
            .iter()
            .filter_map(|pair| match pair.as_slice() {
                [old, new] => Some(attackdb_kb::diff::diff_releases(old, new)),
                _ => None,
            })
            .collect()
    }))
}

/// The `--json` document of a diff, with its notes.
pub fn diff_document(diffs: &Noted<Vec<DomainDiff<'_>>>) -> DiffAnswer {
    let mut answer = attackdb_kb::diff::diff_answer(&diffs.answer);
    answer.notes.clone_from(&diffs.notes);
    answer
}
