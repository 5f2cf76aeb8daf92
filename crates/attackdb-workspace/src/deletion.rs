//! Deleting a layer, note or assessment: one rule for the three. The row stays (revisions and
//! the audit log name it) but is in no list and no URL; the delete names the version it
//! replaces, and a stale one is a conflict, never applied.

use crate::audit::record;
use crate::error::{Error, Result};
use crate::mentions::set_mentions;
use crate::store::{now_ms, Workspace};
use crate::users::{get, Actor, Role};

/// A kind that can be deleted: its table, and whether it keeps who changed it last and when.
struct Kind {
    name: &'static str,
    table: &'static str,
    stamped: bool,
    doing: &'static str,
    action: &'static str,
    audit: &'static str,
}

const KINDS: [Kind; 3] = [
    Kind {
        name: "layer",
        table: "layers",
        stamped: true,
        doing: "delete a layer",
        action: "delete layers",
        audit: "layer.delete",
    },
    Kind {
        name: "note",
        table: "notes",
        stamped: true,
        doing: "delete a note",
        action: "delete notes",
        audit: "note.delete",
    },
    Kind {
        name: "assessment",
        table: "assessments",
        stamped: false,
        doing: "delete an assessment",
        action: "delete assessments",
        audit: "assessment.delete",
    },
];

impl Workspace {
    /// Deletes `kind` (`layer`, `note` or `assessment`) `id` at `version`, in one transaction
    /// with its audit entry; what it named is no longer linked.
    pub async fn delete(
        &self,
        actor: &Actor,
        kind: &'static str,
        id: i64,
        version: Option<i64>,
    ) -> Result<()> {
        let Some(k) = KINDS.iter().find(|k| k.name == kind) else {
            return Err(Error::Invalid(format!(
                "{kind} is not a kind of the workspace"
            )));
        };
        actor.require(Role::Editor, k.action)?;
        let Some(given) = version else {
            return Err(Error::VersionRequired { kind: k.name, id });
        };
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| Error::from_db(k.doing, e))?;
        // SQLite numbers `$N` parameters in the order they first appear: they appear in order.
        let sql = if k.stamped {
            format!(
                "UPDATE {} SET deleted = 1, version = version + 1, updated_at = $1, updated_by = $2 \
                 WHERE id = $3 AND version = $4 AND deleted = 0",
                k.table
            )
        } else {
            format!(
                "UPDATE {} SET deleted = 1, version = version + 1 WHERE id = $1 AND version = $2 AND deleted = 0",
                k.table
            )
        };
        let mut query = sqlx::query(&sql);
        if k.stamped {
            query = query.bind(now_ms()).bind(&actor.name);
        }
        let query = query.bind(id).bind(given);
        let done = query
            .execute(&mut *tx)
            .await
            .map_err(|e| Error::from_db(k.doing, e))?;
        if done.rows_affected() == 0 {
            drop(tx);
            let row = sqlx::query(&format!(
                "SELECT version FROM {} WHERE id = $1 AND deleted = 0",
                k.table
            ))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| Error::from_db(k.doing, e))?;
            return Err(match row {
                Some(row) => Error::Conflict {
                    kind: k.name,
                    id,
                    given,
                    current: get(&row, "version")?,
                },
                None => Error::NotFound {
                    kind: k.name,
                    id: id.to_string(),
                },
            });
        }
        set_mentions(&mut tx, k.name, id, "").await?;
        record(&mut tx, actor, k.audit, k.name, &id.to_string(), "").await?;
        tx.commit().await.map_err(|e| Error::from_db(k.doing, e))
    }
}
