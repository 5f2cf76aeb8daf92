//! What a layer, assessment or note names of the others: `layer:12`, `assessment:3`,
//! `note:7`, or their paths (`/layers/12`, `/assessments/3`, `/notes/7`) in its text. Kept in
//! the change's transaction, so "what names this" is one indexed read.

use std::collections::BTreeSet;

use serde::Serialize;
use sqlx::{Any, Transaction};

use crate::error::{Error, Result};
use crate::store::Workspace;
use crate::users::get;

/// A link between two workspace objects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Mention {
    /// `layer`, `assessment` or `note`.
    pub kind: String,
    /// Its ID.
    pub id: i64,
}

const KINDS: [(&str, &str); 3] = [
    ("layer", "layers"),
    ("assessment", "assessments"),
    ("note", "notes"),
];

/// The workspace objects `text` names, each once, in order.
pub fn mentions_in(text: &str) -> BTreeSet<Mention> {
    let mut found = BTreeSet::new();
    let lower = text.to_ascii_lowercase();
    for (kind, plural) in KINDS {
        for marker in [format!("{kind}:"), format!("/{plural}/")] {
            let mut from = 0;
            while let Some(at) = lower[from..].find(&marker) {
                let start = from + at;
                let digits_at = start + marker.len();
                let digits: String = lower[digits_at..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                // `layer:` must start a word, so `multilayer:3` names nothing.
                let word_start = marker.starts_with('/')
                    || lower[..start]
                        .chars()
                        .next_back()
                        .is_none_or(|c| !c.is_ascii_alphanumeric());
                if word_start {
                    if let Ok(id) = digits.parse::<i64>() {
                        found.insert(Mention {
                            kind: kind.to_string(),
                            id,
                        });
                    }
                }
                from = digits_at;
            }
        }
    }
    found
}

/// Replaces what `(kind, id)` names with what `text` names (itself left out).
pub(crate) async fn set_mentions(
    tx: &mut Transaction<'_, Any>,
    kind: &str,
    id: i64,
    text: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM mentions WHERE from_kind = $1 AND from_id = $2")
        .bind(kind)
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(|e| Error::from_db("save links", e))?;
    for mention in mentions_in(text) {
        if mention.kind == kind && mention.id == id {
            continue;
        }
        sqlx::query(
            "INSERT INTO mentions (from_kind, from_id, to_kind, to_id) VALUES ($1, $2, $3, $4)",
        )
        .bind(kind)
        .bind(id)
        .bind(&mention.kind)
        .bind(mention.id)
        .execute(&mut **tx)
        .await
        .map_err(|e| Error::from_db("save links", e))?;
    }
    Ok(())
}

impl Workspace {
    /// What `(kind, id)` names, and what names it (each sorted).
    pub async fn links(&self, kind: &str, id: i64) -> Result<(Vec<Mention>, Vec<Mention>)> {
        let names = sqlx::query(
            "SELECT to_kind AS kind, to_id AS id FROM mentions WHERE from_kind = $1 AND from_id = $2 ORDER BY to_kind, to_id",
        )
        .bind(kind)
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| Error::from_db("read links", e))?;
        let named_by = sqlx::query(
            "SELECT from_kind AS kind, from_id AS id FROM mentions WHERE to_kind = $1 AND to_id = $2 ORDER BY from_kind, from_id",
        )
        .bind(kind)
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| Error::from_db("read links", e))?;
        let read = |rows: Vec<sqlx::any::AnyRow>| -> Result<Vec<Mention>> {
            rows.iter()
                .map(|r| {
                    Ok(Mention {
                        kind: get(r, "kind")?,
                        id: get(r, "id")?,
                    })
                })
                .collect()
        };
        Ok((read(names)?, read(named_by)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths_are_found_once() {
        let text = "See layer:12 and /layers/12/ and assessment:3; note:x, multilayer:9, /notes/7.";
        let found: Vec<(String, i64)> = mentions_in(text)
            .into_iter()
            .map(|m| (m.kind, m.id))
            .collect();
        assert_eq!(
            found,
            vec![
                ("assessment".to_string(), 3),
                ("layer".to_string(), 12),
                ("note".to_string(), 7)
            ]
        );
    }
}
