//! Notes: Markdown on any ATT&CK object, by anyone of the team. The text is kept as written;
//! every front end shows it through its sanitiser (the web UI's Markdown renderer).

use serde::Serialize;
use sqlx::any::AnyRow;

use crate::audit::record;
use crate::error::{Error, Result};
use crate::mentions::set_mentions;
use crate::store::{now_ms, Workspace};
use crate::time::timestamp;
use crate::users::{get, Actor, Role};

/// The longest note kept.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;

/// A note to add.
#[derive(Debug, Clone, Default)]
pub struct NewNote {
    /// The object: its ATT&CK ID (`T1059.001`, `G0016`) or STIX ID.
    pub object: String,
    /// Its domain (`enterprise-attack`...).
    pub domain: String,
    /// The note, Markdown.
    pub body: String,
}

/// A note.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    /// Its ID.
    pub id: i64,
    /// The object it is on.
    pub object: String,
    /// The object's domain.
    pub domain: String,
    /// The note, Markdown as written.
    pub body: String,
    /// Who wrote it.
    pub author: String,
    /// When.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// Who last changed it.
    pub updated_by: String,
    /// Its version: a change names it (If-Match).
    pub version: i64,
    /// Its page.
    pub url: String,
}

fn check_body(body: &str) -> Result<&str> {
    let body = body.trim();
    if body.is_empty() {
        return Err(Error::Invalid("a note needs text".to_string()));
    }
    if body.len() > MAX_NOTE_BYTES {
        return Err(Error::Invalid(format!(
            "a note is at most {MAX_NOTE_BYTES} bytes; this one is {}",
            body.len()
        )));
    }
    Ok(body)
}

fn check_object(object: &str, domain: &str) -> Result<()> {
    let ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 100
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    };
    if !ok(object.trim()) {
        return Err(Error::Invalid(format!(
            "{object:?} is not an ATT&CK ID or STIX ID"
        )));
    }
    if !ok(domain.trim()) {
        return Err(Error::Invalid(format!("{domain:?} is not a domain")));
    }
    Ok(())
}

fn note(row: &AnyRow) -> Result<Note> {
    let id: i64 = get(row, "id")?;
    Ok(Note {
        id,
        object: get(row, "object")?,
        domain: get(row, "domain")?,
        body: get(row, "body")?,
        author: get(row, "author")?,
        created_at: timestamp(get(row, "created_at")?),
        updated_at: timestamp(get(row, "updated_at")?),
        updated_by: get(row, "updated_by")?,
        version: get(row, "version")?,
        url: format!("/notes/{id}"),
    })
}

const NOTE_COLUMNS: &str =
    "id, object, domain, body, author, created_at, updated_at, updated_by, version";

impl Workspace {
    /// Adds a note. The front end checks the object exists.
    pub async fn add_note(&self, actor: &Actor, new: &NewNote) -> Result<Note> {
        actor.require(Role::Editor, "write notes")?;
        check_object(&new.object, &new.domain)?;
        let body = check_body(&new.body)?;
        let now = now_ms();
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| Error::from_db("save a note", e))?;
        let row = sqlx::query(&format!(
            "INSERT INTO notes (object, domain, body, author, created_at, updated_at, updated_by, version) \
             VALUES ($1, $2, $3, $4, $5, $5, $4, 1) RETURNING {NOTE_COLUMNS}"
        ))
        .bind(new.object.trim())
        .bind(new.domain.trim())
        .bind(body)
        .bind(&actor.name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| Error::from_db("save a note", e))?;
        let added = note(&row)?;
        let id = added.id;
        set_mentions(&mut tx, "note", id, body).await?;
        record(
            &mut tx,
            actor,
            "note.add",
            "note",
            &id.to_string(),
            &format!("on {}", new.object.trim()),
        )
        .await?;
        tx.commit()
            .await
            .map_err(|e| Error::from_db("save a note", e))?;
        // What this write made, not a read after it (another write may follow at once).
        Ok(added)
    }

    /// Replaces note `id`'s text; it must still be at `version`.
    pub async fn update_note(
        &self,
        actor: &Actor,
        id: i64,
        version: Option<i64>,
        body: &str,
    ) -> Result<Note> {
        actor.require(Role::Editor, "change notes")?;
        let Some(given) = version else {
            return Err(Error::VersionRequired { kind: "note", id });
        };
        let body = check_body(body)?;
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| Error::from_db("save a note", e))?;
        let done = sqlx::query(&format!(
            "UPDATE notes SET body = $1, updated_at = $2, updated_by = $3, version = version + 1 \
             WHERE id = $4 AND version = $5 AND deleted = 0 RETURNING {NOTE_COLUMNS}"
        ))
        .bind(body)
        .bind(now_ms())
        .bind(&actor.name)
        .bind(id)
        .bind(given)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| Error::from_db("save a note", e))?;
        let Some(row) = done else {
            drop(tx);
            let current = self.note(id).await?;
            return Err(Error::Conflict {
                kind: "note",
                id,
                given,
                current: current.version,
            });
        };
        let changed = note(&row)?;
        set_mentions(&mut tx, "note", id, body).await?;
        record(
            &mut tx,
            actor,
            "note.update",
            "note",
            &id.to_string(),
            &format!("version {}", given + 1),
        )
        .await?;
        tx.commit()
            .await
            .map_err(|e| Error::from_db("save a note", e))?;
        Ok(changed)
    }

    /// Deletes note `id` (at `version`).
    pub async fn delete_note(&self, actor: &Actor, id: i64, version: Option<i64>) -> Result<()> {
        self.delete(actor, "note", id, version).await
    }

    /// Note `id`.
    pub async fn note(&self, id: i64) -> Result<Note> {
        let row = sqlx::query(&format!(
            "SELECT {NOTE_COLUMNS} FROM notes WHERE id = $1 AND deleted = 0"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| Error::from_db("read a note", e))?;
        match row {
            Some(row) => note(&row),
            None => Err(Error::NotFound {
                kind: "note",
                id: id.to_string(),
            }),
        }
    }

    /// The notes on `object` (every object without one), oldest first.
    pub async fn notes(&self, object: Option<&str>) -> Result<Vec<Note>> {
        let rows = match object {
            Some(object) => {
                sqlx::query(&format!(
                "SELECT {NOTE_COLUMNS} FROM notes WHERE object = $1 AND deleted = 0 ORDER BY id"
            ))
                .bind(object.trim())
                .fetch_all(&self.pool)
                .await
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {NOTE_COLUMNS} FROM notes WHERE deleted = 0 ORDER BY id"
                ))
                .fetch_all(&self.pool)
                .await
            }
        }
        .map_err(|e| Error::from_db("read notes", e))?;
        rows.iter().map(note).collect()
    }
}
