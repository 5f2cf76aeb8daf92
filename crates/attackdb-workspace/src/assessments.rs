//! Assessments: a coverage result kept with the rule set's name, its files' fingerprint, the
//! release and the time, so this quarter's can be compared with the last.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::audit::record;
use crate::error::{Error, Result};
use crate::store::{now_ms, Workspace};
use crate::time::timestamp;
use crate::users::{get, Actor, Role};

/// One technique's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TechniqueResult {
    /// Its name.
    pub name: String,
    /// `covered` or `partly`.
    pub status: String,
    /// Rules mapped to it.
    pub rules: i64,
    /// Its coverage score.
    pub score: f64,
    /// Its tactics in the matrix (shortnames).
    pub tactics: Vec<String>,
}

/// One tactic's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TacticResult {
    /// Its shortname (`execution`).
    pub shortname: String,
    /// Its ATT&CK ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Techniques covered.
    pub covered: i64,
    /// Techniques partly covered.
    pub partly: i64,
    /// Techniques in scope.
    pub techniques: i64,
    /// Percent covered.
    pub percent: f64,
}

/// An assessment to save (also as JSON, every field but `name` optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewAssessment {
    /// Its name (`quarterly`, `sigma-main`): assessments of one name make a trend.
    pub name: String,
    /// The rule set it measured (a folder, a repository).
    pub rule_set: String,
    /// A fingerprint of the rule files (a hash over their contents).
    pub fingerprint: String,
    /// The domain (`enterprise-attack`...).
    pub domain: String,
    /// The release it was measured against.
    pub release: String,
    /// The platform it was scoped to, if any.
    pub platform: Option<String>,
    /// When it was taken (milliseconds since 1970); now when `None`.
    pub taken_at: Option<i64>,
    /// Techniques with rules, by ATT&CK ID.
    pub techniques: BTreeMap<String, TechniqueResult>,
    /// Every tactic in matrix order.
    pub tactics: Vec<TacticResult>,
    /// Techniques covered in all.
    pub covered: i64,
    /// Partly covered.
    pub partly: i64,
    /// Techniques in scope.
    pub total: i64,
    /// Percent covered.
    pub percent: f64,
}

/// An assessment as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssessmentSummary {
    /// Its ID.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The rule set.
    pub rule_set: String,
    /// The rule files' fingerprint.
    pub fingerprint: String,
    /// The domain.
    pub domain: String,
    /// The release.
    pub release: String,
    /// The platform, if any.
    pub platform: Option<String>,
    /// When it was taken.
    pub taken_at: String,
    /// Who saved it.
    pub author: String,
    /// Techniques covered.
    pub covered: i64,
    /// Partly covered.
    pub partly: i64,
    /// In scope.
    pub total: i64,
    /// Percent covered.
    pub percent: f64,
    /// Its version.
    pub version: i64,
    /// Its page.
    pub url: String,
}

/// An assessment, whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// What lists show.
    #[serde(flatten)]
    pub summary: AssessmentSummary,
    /// Techniques with rules.
    pub techniques: BTreeMap<String, TechniqueResult>,
    /// Tactics in matrix order.
    pub tactics: Vec<TacticResult>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Results {
    pub(crate) techniques: BTreeMap<String, TechniqueResult>,
    pub(crate) tactics: Vec<TacticResult>,
}

fn summary(row: &AnyRow) -> Result<AssessmentSummary> {
    let id: i64 = get(row, "id")?;
    Ok(AssessmentSummary {
        id,
        name: get(row, "name")?,
        rule_set: get(row, "rule_set")?,
        fingerprint: get(row, "fingerprint")?,
        domain: get(row, "domain")?,
        release: get(row, "release")?,
        platform: get(row, "platform")?,
        taken_at: timestamp(get(row, "taken_at")?),
        author: get(row, "author")?,
        covered: get(row, "covered")?,
        partly: get(row, "partly")?,
        total: get(row, "total")?,
        percent: get(row, "percent")?,
        version: get(row, "version")?,
        url: format!("/assessments/{id}"),
    })
}

/// An assessment from a row holding `COLUMNS` and `results`.
fn whole(row: &AnyRow) -> Result<Assessment> {
    let summary = summary(row)?;
    let results: Results = serde_json::from_str(&get::<String>(row, "results")?)
        .map_err(|e| Error::Database(format!("assessment {}'s results: {e}", summary.id)))?;
    Ok(Assessment {
        summary,
        techniques: results.techniques,
        tactics: results.tactics,
    })
}

const COLUMNS: &str = "id, name, rule_set, fingerprint, domain, release, platform, taken_at, author, covered, partly, total, percent, version";

impl Workspace {
    /// Saves an assessment.
    pub async fn save_assessment(&self, actor: &Actor, new: &NewAssessment) -> Result<Assessment> {
        actor.require(Role::Editor, "save assessments")?;
        let name = new.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(Error::Invalid(
                "an assessment needs a name of at most 200 characters".to_string(),
            ));
        }
        if new
            .techniques
            .values()
            .any(|t| t.status != "covered" && t.status != "partly")
        {
            return Err(Error::Invalid(
                "a technique's status is covered or partly".to_string(),
            ));
        }
        let results = serde_json::to_string(&Results {
            techniques: new.techniques.clone(),
            tactics: new.tactics.clone(),
        })
        .map_err(|e| Error::Invalid(format!("cannot keep the results: {e}")))?;
        let taken = new.taken_at.unwrap_or_else(now_ms);
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| Error::from_db("save an assessment", e))?;
        let row = sqlx::query(&format!(
            "INSERT INTO assessments (name, rule_set, fingerprint, domain, release, platform, taken_at, author, covered, partly, total, percent, results, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1) RETURNING {COLUMNS}, results"
        ))
        .bind(name)
        .bind(new.rule_set.trim())
        .bind(new.fingerprint.trim())
        .bind(new.domain.trim())
        .bind(new.release.trim())
        .bind(new.platform.clone())
        .bind(taken)
        .bind(&actor.name)
        .bind(new.covered)
        .bind(new.partly)
        .bind(new.total)
        .bind(new.percent)
        .bind(&results)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| Error::from_db("save an assessment", e))?;
        let saved = whole(&row)?;
        let id = saved.summary.id;
        record(
            &mut tx,
            actor,
            "assessment.save",
            "assessment",
            &id.to_string(),
            &format!(
                "{name}: {} of {} covered ({}%)",
                new.covered, new.total, new.percent
            ),
        )
        .await?;
        tx.commit()
            .await
            .map_err(|e| Error::from_db("save an assessment", e))?;
        Ok(saved)
    }

    /// Assessment `id`, whole.
    pub async fn assessment(&self, id: i64) -> Result<Assessment> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, results FROM assessments WHERE id = $1 AND deleted = 0"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| Error::from_db("read an assessment", e))?;
        let Some(row) = row else {
            return Err(Error::NotFound {
                kind: "assessment",
                id: id.to_string(),
            });
        };
        whole(&row)
    }

    /// Every assessment of `name`, whole, oldest first (one read: a trend's series).
    pub async fn assessment_series(&self, name: &str) -> Result<Vec<Assessment>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS}, results FROM assessments WHERE name = $1 AND deleted = 0 ORDER BY taken_at, id"
        ))
        .bind(name.trim())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| Error::from_db("read assessments", e))?;
        rows.iter().map(whole).collect()
    }

    /// The trend of the assessments of `name`; `NotFound` when there are none.
    pub async fn trend(&self, name: &str) -> Result<crate::Trend> {
        let series = self.assessment_series(name).await?;
        if series.is_empty() {
            return Err(Error::NotFound {
                kind: "assessment named",
                id: attackdb_kb::echo(name).into_owned(),
            });
        }
        Ok(crate::changes::trend(&series))
    }

    /// Assessments (of `name` only, when given), oldest first.
    pub async fn assessments(&self, name: Option<&str>) -> Result<Vec<AssessmentSummary>> {
        let rows = match name {
            Some(name) => sqlx::query(&format!(
                "SELECT {COLUMNS} FROM assessments WHERE name = $1 AND deleted = 0 ORDER BY taken_at, id"
            ))
            .bind(name.trim())
            .fetch_all(&self.pool)
            .await,
            None => sqlx::query(&format!("SELECT {COLUMNS} FROM assessments WHERE deleted = 0 ORDER BY taken_at, id"))
                .fetch_all(&self.pool)
                .await,
        }
        .map_err(|e| Error::from_db("list assessments", e))?;
        rows.iter().map(summary).collect()
    }

    /// Deletes assessment `id` (at `version`).
    pub async fn delete_assessment(
        &self,
        actor: &Actor,
        id: i64,
        version: Option<i64>,
    ) -> Result<()> {
        self.delete(actor, "assessment", id, version).await
    }
}
