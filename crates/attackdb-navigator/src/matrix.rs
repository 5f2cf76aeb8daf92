//! A layer laid over one release's matrix (the kb's [`attackdb_kb::matrix::Matrix`]): tactic columns in
//! matrix order, techniques (and sub-techniques under their parent) with their annotation,
//! score and colour as the Navigator paints them. Every export draws from this.

use attackdb_kb::{matrix::MatrixOptions, Concept, Dataset, ObjId};

use crate::color::{aggregate_score, annotation_color, AggregateConfig, ScoreColors};
use crate::model::{Layer, Technique};

/// What the matrix shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LayerMatrixOptions {
    /// Show sub-techniques under their techniques.
    pub subtechniques: bool,
    /// Show every technique, annotated or not (else only annotated ones, and the parents of
    /// annotated sub-techniques).
    pub all_techniques: bool,
}

/// One technique or sub-technique under one tactic.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerCell {
    /// `T1059` / `T1059.001`.
    pub technique_id: String,
    /// Its name.
    pub name: String,
    /// Whether it is a sub-technique.
    pub is_subtechnique: bool,
    /// The layer's annotation shown here, if any.
    pub annotation: Option<Technique>,
    /// The score shown: the aggregate score for techniques when the layout asks for it, else the
    /// annotation's.
    pub score: Option<f64>,
    /// The annotation's own score.
    pub own_score: Option<f64>,
    /// The aggregate score of the technique with its sub-techniques (techniques with
    /// sub-techniques only).
    pub aggregate_score: Option<f64>,
    /// The background colour (`#rrggbb`): manual colour, else the score's, else none.
    pub color: Option<String>,
    /// Whether the layer annotates it.
    pub annotated: bool,
    /// Whether it is enabled (default true).
    pub enabled: bool,
}

/// One tactic column.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerColumn {
    /// `TA0002`.
    pub tactic_id: String,
    /// `execution`.
    pub shortname: String,
    /// `Execution`.
    pub name: String,
    /// Its techniques, each followed by its sub-techniques when shown.
    pub cells: Vec<LayerCell>,
}

/// A layer over a matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerMatrix {
    /// The tactic columns, in matrix order.
    pub columns: Vec<LayerColumn>,
    /// Technique IDs the layer annotates that are not in the matrix (unknown, revoked...).
    pub not_in_matrix: Vec<String>,
}

impl LayerMatrix {
    /// Lays `layer` over `dataset`'s matrix. Techniques are filtered by the layer's platform
    /// filter and `hideDisabled`, and sorted as its `sorting` says.
    pub fn build(layer: &Layer, dataset: &Dataset, options: LayerMatrixOptions) -> LayerMatrix {
        let colors = ScoreColors::new(&layer.gradient_or_default());
        let aggregate = AggregateConfig::of(layer);
        let show_aggregate = layer
            .layout
            .as_ref()
            .and_then(|l| l.show_aggregate_scores)
            .unwrap_or(false);
        let platforms = layer
            .filters
            .as_ref()
            .and_then(|f| f.platforms.clone())
            .unwrap_or_default();
        let hide_disabled = layer.hide_disabled.unwrap_or(false);
        let sorting = layer.sorting.unwrap_or(0);
        let matrix = dataset.matrix(&MatrixOptions {
            platforms,
            subtechniques: true,
        });
        let mut columns = Vec::new();
        for column in &matrix.columns {
            let tactic = column.tactic;
            let shortname = dataset.object(tactic).shortname.as_deref().unwrap_or("");
            let cell = |t: ObjId, parent_subs: &[ObjId]| -> LayerCell {
                let id = dataset.display_id(t);
                let annotation = layer.annotation(id, shortname).cloned();
                let own = annotation.as_ref().and_then(|a| a.score);
                let aggregate_score = (!parent_subs.is_empty())
                    .then(|| {
                        let subs: Vec<Option<f64>> = parent_subs
                            .iter()
                            .map(|&s| {
                                layer
                                    .annotation(dataset.display_id(s), shortname)
                                    .and_then(|a| a.score)
                            })
                            .collect();
                        aggregate_score(own, &subs, aggregate)
                    })
                    .flatten();
                let score = if show_aggregate && aggregate_score.is_some() {
                    aggregate_score
                } else {
                    own
                };
                let color = annotation_color(
                    annotation.as_ref().and_then(|a| a.color.as_deref()),
                    score,
                    &colors,
                );
                LayerCell {
                    technique_id: id.to_string(),
                    name: dataset.display_name(t).to_string(),
                    is_subtechnique: dataset.concept(t) == Some(Concept::Subtechnique),
                    annotated: annotation.as_ref().is_some_and(Technique::is_annotated),
                    enabled: annotation.as_ref().and_then(|a| a.enabled).unwrap_or(true),
                    annotation,
                    score,
                    own_score: own,
                    aggregate_score,
                    color,
                }
            };
            let mut groups: Vec<(LayerCell, Vec<LayerCell>)> = Vec::new();
            for row in &column.rows {
                let parent = cell(row.technique, &row.subtechniques);
                let mut sub_cells: Vec<LayerCell> = Vec::new();
                for &s in &row.subtechniques {
                    let c = cell(s, &[]);
                    if hide_disabled && !c.enabled {
                        continue;
                    }
                    sub_cells.push(c);
                }
                if hide_disabled && !parent.enabled {
                    continue;
                }
                let any_sub_annotated = sub_cells.iter().any(|c| c.annotated);
                if !options.all_techniques && !parent.annotated && !any_sub_annotated {
                    continue;
                }
                if !options.all_techniques {
                    sub_cells.retain(|c| c.annotated);
                }
                if !options.subtechniques {
                    sub_cells.clear();
                }
                groups.push((parent, sub_cells));
            }
            let key = |c: &LayerCell| c.score.unwrap_or(f64::NEG_INFINITY);
            match sorting {
                1 => groups.sort_by_key(|g| std::cmp::Reverse(g.0.name.to_lowercase())),
                2 => groups.sort_by(|a, b| key(&a.0).total_cmp(&key(&b.0))),
                3 => groups.sort_by(|a, b| key(&b.0).total_cmp(&key(&a.0))),
                _ => groups.sort_by_key(|g| g.0.name.to_lowercase()),
            }
            let mut cells = Vec::new();
            for (parent, subs) in groups {
                cells.push(parent);
                cells.extend(subs);
            }
            if cells.is_empty() && !options.all_techniques {
                continue;
            }
            columns.push(LayerColumn {
                tactic_id: dataset.display_id(tactic).to_string(),
                shortname: shortname.to_string(),
                name: dataset.display_name(tactic).to_string(),
                cells,
            });
        }
        let mut not_in_matrix: Vec<String> = layer
            .techniques
            .iter()
            .filter(|t| t.is_annotated())
            .map(|t| t.technique_id.to_ascii_uppercase())
            .filter(|id| {
                dataset
                    .by_attack_id(id)
                    .iter()
                    .all(|&o| !dataset.is_live(o) || dataset.concept(o).is_none())
            })
            .collect();
        not_in_matrix.sort();
        not_in_matrix.dedup();
        LayerMatrix {
            columns,
            not_in_matrix,
        }
    }
}
