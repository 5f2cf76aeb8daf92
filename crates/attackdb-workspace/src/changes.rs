//! Comparisons that need no database: two revisions of a layer, two assessments, and the
//! trend of many.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use attackdb_navigator::{read_layer_value, Technique};

use crate::assessments::{Assessment, AssessmentSummary};
use crate::error::{Error, Result};

/// What changed between two versions of a layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerChanges {
    /// The name, when it changed: `[from, to]`.
    pub name: Option<[String; 2]>,
    /// Whether the description changed.
    pub description_changed: bool,
    /// Whether anything else of the layer itself changed (filters, gradient, legend, layout...).
    pub settings_changed: bool,
    /// Annotations only the newer one has (`T1059.001` or `T1059.001@execution`).
    pub added: Vec<String>,
    /// Annotations only the older one has.
    pub removed: Vec<String>,
    /// Annotations both have that differ.
    pub changed: Vec<TechniqueChange>,
}

/// One annotation that changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TechniqueChange {
    /// `T1059.001`, or `T1059.001@execution` for a tactic's own annotation.
    pub technique: String,
    /// The fields that differ (`score`, `color`, `comment`, `enabled`, `metadata`, `links`...).
    pub fields: Vec<&'static str>,
    /// The score before.
    pub from_score: Option<f64>,
    /// The score after.
    pub to_score: Option<f64>,
}

fn key(t: &Technique) -> String {
    match &t.tactic {
        Some(tactic) => format!("{}@{tactic}", t.technique_id),
        None => t.technique_id.clone(),
    }
}

/// The changes from layer `from` to layer `to` (each a layer's JSON).
pub fn layer_changes(from: &Value, to: &Value) -> Result<LayerChanges> {
    let a = read_layer_value(from).layer;
    let b = read_layer_value(to).layer;
    let index = |techniques: &[Technique]| -> BTreeMap<String, Technique> {
        techniques.iter().map(|t| (key(t), t.clone())).collect()
    };
    let (ta, tb) = (index(&a.techniques), index(&b.techniques));
    let mut changes = LayerChanges {
        name: (a.name != b.name).then(|| [a.name.clone(), b.name.clone()]),
        description_changed: a.description != b.description,
        settings_changed: false,
        added: tb
            .keys()
            .filter(|k| !ta.contains_key(*k))
            .cloned()
            .collect(),
        removed: ta
            .keys()
            .filter(|k| !tb.contains_key(*k))
            .cloned()
            .collect(),
        changed: Vec::new(),
    };
    for (k, x) in &ta {
        let Some(y) = tb.get(k) else { continue };
        let mut fields = Vec::new();
        if x.score != y.score {
            fields.push("score");
        }
        if x.color != y.color {
            fields.push("color");
        }
        if x.comment != y.comment {
            fields.push("comment");
        }
        if x.enabled != y.enabled {
            fields.push("enabled");
        }
        if x.metadata != y.metadata {
            fields.push("metadata");
        }
        if x.links != y.links {
            fields.push("links");
        }
        if x.show_subtechniques != y.show_subtechniques {
            fields.push("showSubtechniques");
        }
        if x.extra != y.extra {
            fields.push("other");
        }
        if !fields.is_empty() {
            changes.changed.push(TechniqueChange {
                technique: k.clone(),
                fields,
                from_score: x.score,
                to_score: y.score,
            });
        }
    }
    let mut a_rest = a.clone();
    let mut b_rest = b.clone();
    for layer in [&mut a_rest, &mut b_rest] {
        layer.name.clear();
        layer.description = None;
        layer.techniques.clear();
        layer.versions = None;
    }
    changes.settings_changed = a_rest != b_rest;
    if from.is_object() && to.is_object() {
        Ok(changes)
    } else {
        Err(Error::Invalid("a layer is a JSON object".to_string()))
    }
}

/// Two assessments side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssessmentComparison {
    /// The older.
    pub from: AssessmentSummary,
    /// The newer.
    pub to: AssessmentSummary,
    /// Techniques better covered in `to` (not covered or partly before).
    pub gained: Vec<String>,
    /// Techniques less covered in `to`.
    pub lost: Vec<String>,
    /// Per tactic, in `to`'s matrix order (then tactics only `from` has).
    pub tactics: Vec<TacticComparison>,
}

/// One tactic of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TacticComparison {
    /// Its shortname.
    pub shortname: String,
    /// Its name.
    pub name: String,
    /// Covered in `from`.
    pub from_covered: i64,
    /// Covered in `to`.
    pub to_covered: i64,
    /// Percent in `from`.
    pub from_percent: f64,
    /// Percent in `to`.
    pub to_percent: f64,
    /// Its techniques gained.
    pub gained: Vec<String>,
    /// Its techniques lost.
    pub lost: Vec<String>,
}

fn rank(assessment: &Assessment, id: &str) -> u8 {
    match assessment.techniques.get(id).map(|t| t.status.as_str()) {
        Some("covered") => 2,
        Some("partly") => 1,
        _ => 0,
    }
}

/// What changed from assessment `from` to `to`.
pub fn compare_assessments(from: &Assessment, to: &Assessment) -> AssessmentComparison {
    let ids: BTreeSet<&String> = from.techniques.keys().chain(to.techniques.keys()).collect();
    let mut gained = Vec::new();
    let mut lost = Vec::new();
    for id in ids {
        let (a, b) = (rank(from, id), rank(to, id));
        if b > a {
            gained.push(id.clone());
        } else if b < a {
            lost.push(id.clone());
        }
    }
    let tactics_of = |id: &String| -> Vec<String> {
        to.techniques
            .get(id)
            .or_else(|| from.techniques.get(id))
            .map(|t| t.tactics.clone())
            .unwrap_or_default()
    };
    let mut order: Vec<(String, String)> = to
        .tactics
        .iter()
        .map(|t| (t.shortname.clone(), t.name.clone()))
        .collect();
    for t in &from.tactics {
        if !order.iter().any(|(s, _)| *s == t.shortname) {
            order.push((t.shortname.clone(), t.name.clone()));
        }
    }
    let tactics = order
        .into_iter()
        .map(|(shortname, name)| {
            let find =
                |a: &Assessment| a.tactics.iter().find(|t| t.shortname == shortname).cloned();
            let (fa, fb) = (find(from), find(to));
            TacticComparison {
                from_covered: fa.as_ref().map_or(0, |t| t.covered),
                to_covered: fb.as_ref().map_or(0, |t| t.covered),
                from_percent: fa.as_ref().map_or(0.0, |t| t.percent),
                to_percent: fb.as_ref().map_or(0.0, |t| t.percent),
                gained: gained
                    .iter()
                    .filter(|id| tactics_of(id).contains(&shortname))
                    .cloned()
                    .collect(),
                lost: lost
                    .iter()
                    .filter(|id| tactics_of(id).contains(&shortname))
                    .cloned()
                    .collect(),
                shortname,
                name,
            }
        })
        .collect();
    AssessmentComparison {
        from: from.summary.clone(),
        to: to.summary.clone(),
        gained,
        lost,
        tactics,
    }
}

/// Each tactic's coverage over a series of assessments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// The assessments, oldest first.
    pub points: Vec<TrendPoint>,
    /// Every tactic, in the newest assessment's matrix order.
    pub tactics: Vec<TrendSeries>,
}

/// One assessment of a trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    /// The assessment.
    pub id: i64,
    /// When it was taken.
    pub taken_at: String,
    /// Its release.
    pub release: String,
    /// Its overall percent.
    pub percent: f64,
}

/// One tactic over the trend's points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendSeries {
    /// Its shortname.
    pub shortname: String,
    /// Its name.
    pub name: String,
    /// Its percent at each point (`None` where that release had no such tactic).
    pub percent: Vec<Option<f64>>,
}

/// The trend over `assessments` (sorted oldest first here).
pub fn trend(assessments: &[Assessment]) -> Trend {
    let mut sorted: Vec<&Assessment> = assessments.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.summary.taken_at, a.summary.id).cmp(&(&b.summary.taken_at, b.summary.id))
    });
    let mut order: Vec<(String, String)> = Vec::new();
    for a in sorted.iter().rev() {
        for t in &a.tactics {
            if !order.iter().any(|(s, _)| *s == t.shortname) {
                order.push((t.shortname.clone(), t.name.clone()));
            }
        }
    }
    Trend {
        points: sorted
            .iter()
            .map(|a| TrendPoint {
                id: a.summary.id,
                taken_at: a.summary.taken_at.clone(),
                release: a.summary.release.clone(),
                percent: a.summary.percent,
            })
            .collect(),
        tactics: order
            .into_iter()
            .map(|(shortname, name)| TrendSeries {
                percent: sorted
                    .iter()
                    .map(|a| {
                        a.tactics
                            .iter()
                            .find(|t| t.shortname == shortname)
                            .map(|t| t.percent)
                    })
                    .collect(),
                shortname,
                name,
            })
            .collect(),
    }
}
