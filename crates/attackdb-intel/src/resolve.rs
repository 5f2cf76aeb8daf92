//! References to objects: an ATT&CK ID, STIX ID, name or alias, resolved to one live object of
//! the kinds a question takes; unknown, ambiguous, retired and wrong-kind references are errors.

use attackdb_kb::{Concept, Dataset, ObjId};

use crate::{Error, Result};

/// The kinds of object whose behaviour the questions describe: groups, campaigns, software.
pub const ACTOR_KINDS: [Concept; 3] = [Concept::Group, Concept::Campaign, Concept::Software];

/// Finds the one live object of one of `kinds` that `query` names.
///
/// In order: a STIX ID; an ATT&CK ID (case-insensitive); a name; an alias (both
/// case-insensitive). A name or alias that several live objects of `kinds` carry is an
/// [`Error::AmbiguousReference`] listing them (a name wins over other objects' aliases); a
/// reference to a revoked or deprecated object is [`Error::Retired`] (with the replacement);
/// one to an object of another kind is [`Error::WrongKind`]; anything else is
/// [`Error::UnknownReference`] with suggestions.
pub fn resolve(dataset: &Dataset, query: &str, kinds: &[Concept]) -> Result<ObjId> {
    let trimmed = query.trim();
    let accepted = |o: ObjId| dataset.concept(o).is_some_and(|c| kinds.contains(&c));
    let mut other_kind: Option<ObjId> = None;
    let mut retired: Option<ObjId> = None;
    let stix: Vec<ObjId> = dataset.by_stix_id(trimmed).into_iter().collect();
    for candidates in [
        &stix[..],
        dataset.by_attack_id(trimmed),
        dataset.by_name(trimmed),
        dataset.by_alias(trimmed),
    ] {
        let mut live: Vec<ObjId> = Vec::new();
        for &candidate in candidates {
            if !accepted(candidate) {
                if dataset.concept(candidate).is_some() && dataset.is_live(candidate) {
                    other_kind.get_or_insert(candidate);
                }
                continue;
            }
            if dataset.is_live(candidate) {
                if !live.contains(&candidate) {
                    live.push(candidate);
                }
            } else {
                retired.get_or_insert(candidate);
            }
        }
        match live.len() {
            0 => {}
            1 => return Ok(live[0]),
            _ => {
                let mut names: Vec<String> = live
                    .iter()
                    .map(|&o| {
                        format!(
                            "{} {} ({})",
                            dataset.display_id(o),
                            dataset.display_name(o),
                            kind_name(dataset, o)
                        )
                    })
                    .collect();
                names.sort();
                return Err(Error::AmbiguousReference {
                    query: trimmed.to_string(),
                    candidates: names,
                });
            }
        }
    }
    if let Some(old) = retired {
        let replacement = if dataset.is_revoked(old) {
            dataset
                .revoking_object(old)
                .filter(|&r| dataset.is_live(r))
                .map(|r| dataset.display_id(r).to_string())
        } else {
            None
        };
        return Err(Error::Retired {
            query: trimmed.to_string(),
            id: dataset.display_id(old).to_string(),
            state: if dataset.is_revoked(old) {
                "revoked"
            } else {
                "deprecated"
            },
            replacement,
        });
    }
    if let Some(other) = other_kind {
        return Err(Error::WrongKind {
            query: trimmed.to_string(),
            id: dataset.display_id(other).to_string(),
            actual: with_article(kind_name(dataset, other)),
            expected: kinds_text(kinds),
        });
    }
    let suggestions = match dataset.lookup_where(trimmed, |o| accepted(o) && dataset.is_live(o)) {
        Err(attackdb_kb::Error::NotFound { suggestions, .. }) => suggestions,
        _ => Vec::new(),
    };
    Err(Error::UnknownReference {
        query: trimmed.to_string(),
        expected: kinds_text(kinds),
        suggestions,
    })
}

/// The kind of an object as answers name it: `group`, `campaign`, `software`, `technique`...
pub fn kind_name(dataset: &Dataset, object: ObjId) -> &'static str {
    match dataset.concept(object) {
        Some(Concept::Subtechnique) => "technique",
        Some(concept) => concept.singular(),
        None => "object",
    }
}

fn with_article(noun: &str) -> String {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {noun}")
    } else {
        format!("a {noun}")
    }
}

/// `group`, `group or campaign`, `group, campaign or software`.
pub(crate) fn kinds_text(kinds: &[Concept]) -> String {
    let names: Vec<&str> = kinds.iter().map(|k| k.singular()).collect();
    match names.split_last() {
        None => "object".to_string(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_listed_in_prose() {
        assert_eq!(kinds_text(&[Concept::Group]), "group");
        assert_eq!(kinds_text(&ACTOR_KINDS), "group, campaign or software");
        assert_eq!(with_article("technique"), "a technique");
        assert_eq!(with_article("asset"), "an asset");
    }
}
