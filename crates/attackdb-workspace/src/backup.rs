//! Export and import: the whole workspace as one JSON document (users without their tokens),
//! exact to the millisecond and the ID, so SQLite and PostgreSQL hand a workspace to each other
//! through it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::Row;

use crate::audit::record;
use crate::error::{Error, Result};
use crate::store::{Backend, Workspace, SCHEMA_VERSION};
use crate::users::{Actor, Role};

/// The `format` of an export.
pub const EXPORT_FORMAT: &str = "attackdb-workspace";

/// A whole workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Export {
    /// [`EXPORT_FORMAT`].
    pub format: String,
    /// The schema version it was written at.
    pub schema: i64,
    /// Each table's rows, column by column, in ID order.
    pub tables: Map<String, Value>,
}

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    OptText,
    Real,
}

/// The tables in the order they are filled (every reference after what it names), with their
/// columns. Tokens are not exported: their secrets exist nowhere, and a restored user is issued
/// new ones.
/// A table: its name, its `ORDER BY`, and its columns with their kinds.
type Table = (&'static str, &'static str, &'static [(&'static str, Kind)]);

const TABLES: &[Table] = &[
    (
        "users",
        "id",
        &[
            ("id", Kind::Int),
            ("name", Kind::Text),
            ("role", Kind::Text),
            ("created_at", Kind::Int),
            ("created_by", Kind::Text),
        ],
    ),
    (
        "layers",
        "id",
        &[
            ("id", Kind::Int),
            ("name", Kind::Text),
            ("domain", Kind::Text),
            ("release", Kind::Text),
            ("tags", Kind::Text),
            ("owner", Kind::Text),
            ("version", Kind::Int),
            ("techniques", Kind::Int),
            ("created_at", Kind::Int),
            ("updated_at", Kind::Int),
            ("updated_by", Kind::Text),
            ("deleted", Kind::Int),
        ],
    ),
    (
        "layer_revisions",
        "layer_id, revision",
        &[
            ("layer_id", Kind::Int),
            ("revision", Kind::Int),
            ("name", Kind::Text),
            ("domain", Kind::Text),
            ("release", Kind::Text),
            ("tags", Kind::Text),
            ("body", Kind::Text),
            ("techniques", Kind::Int),
            ("author", Kind::Text),
            ("created_at", Kind::Int),
        ],
    ),
    (
        "assessments",
        "id",
        &[
            ("id", Kind::Int),
            ("name", Kind::Text),
            ("rule_set", Kind::Text),
            ("fingerprint", Kind::Text),
            ("domain", Kind::Text),
            ("release", Kind::Text),
            ("platform", Kind::OptText),
            ("taken_at", Kind::Int),
            ("author", Kind::Text),
            ("covered", Kind::Int),
            ("partly", Kind::Int),
            ("total", Kind::Int),
            ("percent", Kind::Real),
            ("results", Kind::Text),
            ("version", Kind::Int),
            ("deleted", Kind::Int),
        ],
    ),
    (
        "notes",
        "id",
        &[
            ("id", Kind::Int),
            ("object", Kind::Text),
            ("domain", Kind::Text),
            ("body", Kind::Text),
            ("author", Kind::Text),
            ("created_at", Kind::Int),
            ("updated_at", Kind::Int),
            ("updated_by", Kind::Text),
            ("version", Kind::Int),
            ("deleted", Kind::Int),
        ],
    ),
    (
        "mentions",
        "from_kind, from_id, to_kind, to_id",
        &[
            ("from_kind", Kind::Text),
            ("from_id", Kind::Int),
            ("to_kind", Kind::Text),
            ("to_id", Kind::Int),
        ],
    ),
    (
        "audit",
        "id",
        &[
            ("id", Kind::Int),
            ("at", Kind::Int),
            ("actor", Kind::Text),
            ("action", Kind::Text),
            ("target_kind", Kind::Text),
            ("target_id", Kind::Text),
            ("detail", Kind::Text),
        ],
    ),
];

/// The tables with an identity column, whose sequence an import moves past the rows it wrote.
const IDENTITY_TABLES: [&str; 5] = ["users", "layers", "assessments", "notes", "audit"];

impl Workspace {
    /// The whole workspace (admins).
    pub async fn export(&self, actor: &Actor) -> Result<Export> {
        actor.require(Role::Admin, "export the workspace")?;
        // One snapshot: a read transaction sees every table as of one moment.
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| Error::from_db("export", e))?;
        let mut tables = Map::new();
        for (table, order, columns) in TABLES {
            let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
            let sql = format!("SELECT {} FROM {table} ORDER BY {order}", names.join(", "));
            let rows = sqlx::query(&sql)
                .fetch_all(&mut *tx)
                .await
                .map_err(|e| Error::from_db("export", e))?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let mut values = Vec::with_capacity(columns.len());
                for (i, (column, kind)) in columns.iter().enumerate() {
                    let wrong = |e: sqlx::Error| Error::Database(format!("{table}.{column}: {e}"));
                    values.push(match kind {
                        Kind::Int => Value::from(row.try_get::<i64, _>(i).map_err(wrong)?),
                        Kind::Text => Value::from(row.try_get::<String, _>(i).map_err(wrong)?),
                        Kind::OptText => row
                            .try_get::<Option<String>, _>(i)
                            .map_err(wrong)?
                            .map_or(Value::Null, Value::from),
                        Kind::Real => Value::from(row.try_get::<f64, _>(i).map_err(wrong)?),
                    });
                }
                out.push(Value::Array(values));
            }
            let mut entry = Map::new();
            entry.insert(
                "columns".to_string(),
                Value::from(names.iter().map(|c| Value::from(*c)).collect::<Vec<_>>()),
            );
            entry.insert("rows".to_string(), Value::Array(out));
            tables.insert((*table).to_string(), Value::Object(entry));
        }
        tx.commit().await.map_err(|e| Error::from_db("export", e))?;
        Ok(Export {
            format: EXPORT_FORMAT.to_string(),
            schema: SCHEMA_VERSION,
            tables,
        })
    }

    /// Fills an empty workspace from an export (admins), in one transaction: either all of it
    /// is there afterwards, or nothing. The import itself is the audit log's newest entry.
    pub async fn import(&self, actor: &Actor, export: &Export) -> Result<()> {
        actor.require(Role::Admin, "import a workspace")?;
        if export.format != EXPORT_FORMAT {
            return Err(Error::Invalid(format!(
                "not a workspace export (format {:?}, not {EXPORT_FORMAT:?})",
                export.format
            )));
        }
        if export.schema > SCHEMA_VERSION || export.schema < 1 {
            return Err(Error::SchemaTooNew {
                found: export.schema,
                known: SCHEMA_VERSION,
            });
        }
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| Error::from_db("import", e))?;
        let mut total = 0usize;
        for (table, _, columns) in TABLES {
            let n: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
                .fetch_one(&mut *tx)
                .await
                .and_then(|r| r.try_get("n"))
                .map_err(|e| Error::from_db("import", e))?;
            if n > 0 && *table != "mentions" {
                return Err(Error::Invalid(format!(
                    "the workspace is not empty ({n} rows in {table}): import into a new database"
                )));
            }
            let Some(entry) = export.tables.get(*table) else {
                continue;
            };
            let given: Vec<&str> = entry
                .get("columns")
                .and_then(Value::as_array)
                .map(|c| c.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
            if given != names {
                return Err(Error::Invalid(format!(
                    "table {table}: columns {given:?}, expected {names:?}"
                )));
            }
            let rows = entry
                .get("rows")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                names.join(", "),
                placeholders.join(", ")
            );
            for (r, row) in rows.iter().enumerate() {
                let values = row
                    .as_array()
                    .filter(|v| v.len() == names.len())
                    .ok_or_else(|| {
                        Error::Invalid(format!(
                            "table {table}, row {r}: not {} values",
                            names.len()
                        ))
                    })?;
                let mut query = sqlx::query(&sql);
                for ((column, kind), value) in columns.iter().zip(values) {
                    let bad =
                        || Error::Invalid(format!("table {table}, row {r}, {column}: {value}"));
                    query = match kind {
                        Kind::Int => query.bind(value.as_i64().ok_or_else(bad)?),
                        Kind::Text => query.bind(value.as_str().ok_or_else(bad)?.to_string()),
                        Kind::OptText => query.bind(match value {
                            Value::Null => None,
                            v => Some(v.as_str().ok_or_else(bad)?.to_string()),
                        }),
                        Kind::Real => query.bind(value.as_f64().ok_or_else(bad)?),
                    };
                }
                query
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| Error::from_db("import", e))?;
                total += 1;
            }
        }
        if self.backend() == Backend::Postgres {
            for table in IDENTITY_TABLES {
                sqlx::query(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                ))
                .execute(&mut *tx)
                .await
                .map_err(|e| Error::from_db("import", e))?;
            }
        }
        record(
            &mut tx,
            actor,
            "workspace.import",
            "workspace",
            "",
            &format!("{total} rows"),
        )
        .await?;
        tx.commit().await.map_err(|e| Error::from_db("import", e))
    }
}
