//! The audit log: every change, who made it and when, written in the change's own transaction.
//! The database refuses to update or delete its rows (triggers of the schema).

use serde::Serialize;
use sqlx::{Any, Transaction};

use crate::error::{Error, Result};
use crate::store::{now_ms, Workspace};
use crate::time::timestamp;
use crate::users::{get, Actor, Role};

/// One change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Its place in the log.
    pub id: i64,
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What: `layer.save`, `note.update`, `user.add`...
    pub action: String,
    /// The kind of object changed.
    pub target_kind: String,
    /// Its ID or name.
    pub target_id: String,
    /// More about it.
    pub detail: String,
}

/// Writes an audit entry in `tx`.
pub(crate) async fn record(
    tx: &mut Transaction<'_, Any>,
    actor: &Actor,
    action: &str,
    target_kind: &str,
    target_id: &str,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit (at, actor, action, target_kind, target_id, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(now_ms())
    .bind(&actor.name)
    .bind(action)
    .bind(target_kind)
    .bind(target_id)
    .bind(detail)
    .execute(&mut **tx)
    .await
    .map_err(|e| Error::from_db("write the audit log", e))?;
    Ok(())
}

pub(crate) fn audit_entry(row: &sqlx::any::AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: get(row, "id")?,
        at: timestamp(get(row, "at")?),
        actor: get(row, "actor")?,
        action: get(row, "action")?,
        target_kind: get(row, "target_kind")?,
        target_id: get(row, "target_id")?,
        detail: get(row, "detail")?,
    })
}

impl Workspace {
    /// The newest `limit` entries before entry `before` (all the newest without it), newest
    /// first. For admins.
    pub async fn audit(
        &self,
        actor: &Actor,
        limit: i64,
        before: Option<i64>,
    ) -> Result<Vec<AuditEntry>> {
        actor.require(Role::Admin, "read the audit log")?;
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target_kind, target_id, detail FROM audit \
             WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit.clamp(1, 10_000))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| Error::from_db("read the audit log", e))?;
        rows.iter().map(audit_entry).collect()
    }
}
