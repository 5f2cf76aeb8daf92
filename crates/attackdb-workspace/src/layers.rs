//! Saved layers. A save is checked as the Navigator would open it (one valid layer), kept in
//! the layer format the writer gives (4.5), and becomes a revision: version N of a layer is
//! revision N, each kept whole.

use serde::Serialize;
use serde_json::Value;
use sqlx::any::AnyRow;

use attackdb_navigator::{layer_to_json, read_layers, Layer};

use crate::audit::record;
use crate::error::{Error, Result};
use crate::mentions::set_mentions;
use crate::store::{now_ms, Workspace};
use crate::time::timestamp;
use crate::users::{get, Actor, Role};

/// A layer to save.
#[derive(Debug, Clone, Default)]
pub struct NewLayer {
    /// The layer file's text: one Navigator layer, any format version the reader takes.
    pub body: String,
    /// Its name in the workspace; else the layer's own `name`.
    pub name: Option<String>,
    /// Its ATT&CK release; else the layer's `versions.attack`.
    pub release: Option<String>,
    /// Tags to find it by; `None` keeps a saved layer's tags (a new layer has none).
    pub tags: Option<Vec<String>>,
}

/// A saved layer as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerSummary {
    /// Its ID: `/layers/ID`.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its domain (`enterprise-attack`...).
    pub domain: String,
    /// Its ATT&CK release (empty when neither the save nor the layer named one).
    pub release: String,
    /// Its tags, sorted.
    pub tags: Vec<String>,
    /// Who first saved it.
    pub owner: String,
    /// Its version: the number of its newest revision. A change names it (If-Match).
    pub version: i64,
    /// How many technique annotations it holds.
    pub techniques: i64,
    /// When it was first saved.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// Who last changed it.
    pub updated_by: String,
    /// Its page.
    pub url: String,
    /// Its JSON, as the ATT&CK Navigator opens it (`layerURL`).
    pub layer_url: String,
}

/// A saved layer with its newest revision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedLayer {
    /// What lists show.
    #[serde(flatten)]
    pub summary: LayerSummary,
    /// The layer itself.
    pub layer: Value,
}

/// One revision as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevisionSummary {
    /// Its number (the layer's version it was).
    pub revision: i64,
    /// The layer's name then.
    pub name: String,
    /// Its domain then.
    pub domain: String,
    /// Its release then.
    pub release: String,
    /// Its tags then.
    pub tags: Vec<String>,
    /// Technique annotations then.
    pub techniques: i64,
    /// Who saved it.
    pub author: String,
    /// When.
    pub created_at: String,
}

/// One revision, whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revision {
    /// What lists show.
    #[serde(flatten)]
    pub summary: RevisionSummary,
    /// The layer as it was.
    pub layer: Value,
}

/// Which layers a list shows.
#[derive(Debug, Clone, Default)]
pub struct LayerQuery {
    /// Words the name or a tag contains (case-insensitive).
    pub text: Option<String>,
    /// A tag it has.
    pub tag: Option<String>,
    /// Its domain (`enterprise-attack`, or `enterprise`).
    pub domain: Option<String>,
    /// Its owner.
    pub owner: Option<String>,
}

/// A layer checked and made ready to keep.
struct Checked {
    name: String,
    domain: String,
    release: String,
    /// `None`: keep the tags the layer has.
    tags_json: Option<String>,
    body: String,
    techniques: i64,
}

fn check(new: &NewLayer) -> Result<Checked> {
    let file = read_layers(&new.body).map_err(|e| Error::Invalid(format!("not a layer: {e}")))?;
    if file.is_list || file.layers.len() != 1 {
        return Err(Error::Invalid(format!(
            "a saved layer is one layer; this file holds {} in a list",
            file.layers.len()
        )));
    }
    let mut layers = file
        .into_valid_layers()
        .map_err(|e| Error::Invalid(format!("not a valid layer: {e}")))?;
    let mut layer: Layer = layers.remove(0);
    if let Some(name) = new.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        layer.name = name.to_string();
    }
    if layer.name.trim().is_empty() {
        return Err(Error::Invalid("a saved layer needs a name".to_string()));
    }
    if layer.name.chars().count() > 200 {
        return Err(Error::Invalid(
            "a layer's name is at most 200 characters".to_string(),
        ));
    }
    let release = new
        .release
        .clone()
        .or_else(|| layer.versions.as_ref().and_then(|v| v.attack.clone()))
        .unwrap_or_default()
        .trim()
        .to_string();
    let tags = match &new.tags {
        None => None,
        Some(given) => {
            let mut tags: Vec<String> = given
                .iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect();
            tags.sort();
            tags.dedup();
            if tags.iter().any(|t| t.chars().count() > 64) || tags.len() > 32 {
                return Err(Error::Invalid(
                    "at most 32 tags of at most 64 characters".to_string(),
                ));
            }
            Some(tags)
        }
    };
    let body = layer_to_json(&layer)
        .map_err(|e| Error::Invalid(format!("cannot write the layer: {e}")))?;
    Ok(Checked {
        name: layer.name.clone(),
        domain: layer.domain.clone(),
        release,
        tags_json: tags.map(|t| serde_json::to_string(&t).unwrap_or_else(|_| "[]".to_string())),
        body,
        techniques: i64::try_from(layer.techniques.len()).unwrap_or(i64::MAX),
    })
}

fn tags_of(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn summary(row: &AnyRow) -> Result<LayerSummary> {
    let id: i64 = get(row, "id")?;
    Ok(LayerSummary {
        id,
        name: get(row, "name")?,
        domain: get(row, "domain")?,
        release: get(row, "release")?,
        tags: tags_of(&get::<String>(row, "tags")?),
        owner: get(row, "owner")?,
        version: get(row, "version")?,
        techniques: get(row, "techniques")?,
        created_at: timestamp(get(row, "created_at")?),
        updated_at: timestamp(get(row, "updated_at")?),
        updated_by: get(row, "updated_by")?,
        url: format!("/layers/{id}"),
        layer_url: format!("/layers/{id}/layer.json"),
    })
}

fn revision_summary(row: &AnyRow) -> Result<RevisionSummary> {
    Ok(RevisionSummary {
        revision: get(row, "revision")?,
        name: get(row, "name")?,
        domain: get(row, "domain")?,
        release: get(row, "release")?,
        tags: tags_of(&get::<String>(row, "tags")?),
        techniques: get(row, "techniques")?,
        author: get(row, "author")?,
        created_at: timestamp(get(row, "created_at")?),
    })
}

fn body_value(body: &str) -> Result<Value> {
    serde_json::from_str(body)
        .map_err(|e| Error::Database(format!("a kept layer is not JSON: {e}")))
}

const LAYER_COLUMNS: &str =
    "id, name, domain, release, tags, owner, version, techniques, created_at, updated_at, updated_by";

impl Workspace {
    /// Saves a new layer (revision 1).
    pub async fn save_layer(&self, actor: &Actor, new: &NewLayer) -> Result<SavedLayer> {
        actor.require(Role::Editor, "save layers")?;
        let mut checked = check(new)?;
        checked.tags_json.get_or_insert_with(|| "[]".to_string());
        let now = now_ms();
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| Error::from_db("save a layer", e))?;
        let row = sqlx::query(&format!(
            "INSERT INTO layers (name, domain, release, tags, owner, version, techniques, created_at, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $7, $5) RETURNING {LAYER_COLUMNS}"
        ))
        .bind(&checked.name)
        .bind(&checked.domain)
        .bind(&checked.release)
        .bind(&checked.tags_json)
        .bind(&actor.name)
        .bind(checked.techniques)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| Error::from_db("save a layer", e))?;
        // What this write made, as every read shows it (one row reader, not a copy of it).
        let written = summary(&row)?;
        let id = written.id;
        self.write_revision(&mut tx, actor, id, 1, &checked, now)
            .await?;
        record(
            &mut tx,
            actor,
            "layer.save",
            "layer",
            &id.to_string(),
            &format!("revision 1: {}", checked.name),
        )
        .await?;
        tx.commit()
            .await
            .map_err(|e| Error::from_db("save a layer", e))?;
        Ok(SavedLayer {
            summary: written,
            layer: body_value(&checked.body)?,
        })
    }

    /// Saves a new revision of layer `id`, which must still be at `version`.
    pub async fn update_layer(
        &self,
        actor: &Actor,
        id: i64,
        version: Option<i64>,
        new: &NewLayer,
    ) -> Result<SavedLayer> {
        actor.require(Role::Editor, "change layers")?;
        let Some(given) = version else {
            return Err(Error::VersionRequired { kind: "layer", id });
        };
        let mut checked = check(new)?;
        let now = now_ms();
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| Error::from_db("save a layer", e))?;
        // The write comes first, so a SQLite transaction takes the write lock before it reads.
        let updated = sqlx::query(&format!(
            "UPDATE layers SET name = $1, domain = $2, release = $3, tags = COALESCE($4, tags), version = version + 1, \
             techniques = $5, updated_at = $6, updated_by = $7 \
             WHERE id = $8 AND version = $9 AND deleted = 0 RETURNING {LAYER_COLUMNS}"
        ))
        .bind(&checked.name)
        .bind(&checked.domain)
        .bind(&checked.release)
        .bind(&checked.tags_json)
        .bind(checked.techniques)
        .bind(now)
        .bind(&actor.name)
        .bind(id)
        .bind(given)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| Error::from_db("save a layer", e))?;
        let Some(row) = updated else {
            drop(tx);
            let current = self.layer_summary(id).await?;
            return Err(Error::Conflict {
                kind: "layer",
                id,
                given,
                current: current.version,
            });
        };
        let written = summary(&row)?;
        let revision = written.version;
        checked.tags_json = Some(get(&row, "tags")?);
        self.write_revision(&mut tx, actor, id, revision, &checked, now)
            .await?;
        record(
            &mut tx,
            actor,
            "layer.update",
            "layer",
            &id.to_string(),
            &format!("revision {revision}: {}", checked.name),
        )
        .await?;
        tx.commit()
            .await
            .map_err(|e| Error::from_db("save a layer", e))?;
        // What this write made, not a read after it: another editor's write may already have
        // followed, and its version is not this one's.
        Ok(SavedLayer {
            summary: written,
            layer: body_value(&checked.body)?,
        })
    }

    async fn write_revision(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        actor: &Actor,
        id: i64,
        revision: i64,
        checked: &Checked,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO layer_revisions (layer_id, revision, name, domain, release, tags, body, techniques, author, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(revision)
        .bind(&checked.name)
        .bind(&checked.domain)
        .bind(&checked.release)
        .bind(checked.tags_json.as_deref().unwrap_or("[]"))
        .bind(&checked.body)
        .bind(checked.techniques)
        .bind(&actor.name)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(|e| Error::from_db("save a layer", e))?;
        let description = serde_json::from_str::<Value>(&checked.body)
            .ok()
            .and_then(|v| {
                v.get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_default();
        set_mentions(tx, "layer", id, &description).await
    }

    /// Deletes layer `id` (at `version`); its revisions stay for the audit's sake but it is in
    /// no list and no URL.
    pub async fn delete_layer(&self, actor: &Actor, id: i64, version: Option<i64>) -> Result<()> {
        self.delete(actor, "layer", id, version).await
    }

    /// Layer `id` as lists show it.
    pub async fn layer_summary(&self, id: i64) -> Result<LayerSummary> {
        let row = sqlx::query(&format!(
            "SELECT {LAYER_COLUMNS} FROM layers WHERE id = $1 AND deleted = 0"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| Error::from_db("read a layer", e))?;
        match row {
            Some(row) => summary(&row),
            None => Err(Error::NotFound {
                kind: "layer",
                id: id.to_string(),
            }),
        }
    }

    /// Layer `id` with its newest revision.
    pub async fn layer(&self, id: i64) -> Result<SavedLayer> {
        let summary = self.layer_summary(id).await?;
        let revision = self.revision(id, summary.version).await?;
        Ok(SavedLayer {
            summary,
            layer: revision.layer,
        })
    }

    /// The newest revision's JSON text, as the Navigator opens it.
    pub async fn layer_json(&self, id: i64) -> Result<(LayerSummary, String)> {
        let summary = self.layer_summary(id).await?;
        let row =
            sqlx::query("SELECT body FROM layer_revisions WHERE layer_id = $1 AND revision = $2")
                .bind(id)
                .bind(summary.version)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| Error::from_db("read a layer", e))?;
        match row {
            Some(row) => Ok((summary, get(&row, "body")?)),
            None => Err(Error::NotFound {
                kind: "layer",
                id: id.to_string(),
            }),
        }
    }

    /// Saved layers, newest change first.
    pub async fn layers(&self, query: &LayerQuery) -> Result<Vec<LayerSummary>> {
        let rows = sqlx::query(&format!(
            "SELECT {LAYER_COLUMNS} FROM layers WHERE deleted = 0 ORDER BY updated_at DESC, id DESC"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| Error::from_db("list layers", e))?;
        let text = query.text.as_deref().map(str::to_lowercase);
        let domain = query.domain.as_deref().map(|d| {
            if d.ends_with("-attack") {
                d.to_string()
            } else {
                format!("{d}-attack")
            }
        });
        let mut out = Vec::new();
        for row in rows {
            let layer = summary(&row)?;
            let keep = text.as_deref().is_none_or(|t| {
                t.split_whitespace().all(|w| {
                    layer.name.to_lowercase().contains(w)
                        || layer.tags.iter().any(|tag| tag.to_lowercase().contains(w))
                })
            }) && query
                .tag
                .as_deref()
                .is_none_or(|t| layer.tags.iter().any(|x| x == t))
                && domain.as_deref().is_none_or(|d| layer.domain == d)
                && query.owner.as_deref().is_none_or(|o| layer.owner == o);
            if keep {
                out.push(layer);
            }
        }
        Ok(out)
    }

    /// Every revision of layer `id`, oldest first.
    pub async fn revisions(&self, id: i64) -> Result<Vec<RevisionSummary>> {
        self.layer_summary(id).await?;
        let rows = sqlx::query(
            "SELECT revision, name, domain, release, tags, techniques, author, created_at \
             FROM layer_revisions WHERE layer_id = $1 ORDER BY revision",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| Error::from_db("list revisions", e))?;
        rows.iter().map(revision_summary).collect()
    }

    /// Revision `revision` of layer `id`.
    pub async fn revision(&self, id: i64, revision: i64) -> Result<Revision> {
        let row = sqlx::query(
            "SELECT revision, name, domain, release, tags, techniques, author, created_at, body \
             FROM layer_revisions WHERE layer_id = $1 AND revision = $2",
        )
        .bind(id)
        .bind(revision)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| Error::from_db("read a revision", e))?;
        match row {
            Some(row) => Ok(Revision {
                summary: revision_summary(&row)?,
                layer: body_value(&get::<String>(&row, "body")?)?,
            }),
            None => Err(Error::NotFound {
                kind: "revision",
                id: format!("{revision} of layer {id}"),
            }),
        }
    }
}
