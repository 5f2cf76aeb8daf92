//! Operations on layers: combining N layers of one domain with a score expression, as the
//! Navigator's "create layer from other layers" does, and set operations (union, intersection,
//! difference) on the techniques the layers annotate.
//!
//! The Navigator works per technique and tactic: an annotation without a tactic counts under
//! every tactic of its technique. Given a dataset, annotations are expanded the same way; without
//! one, or for a technique the dataset does not have, an annotation stays as it is.

use std::collections::{BTreeMap, BTreeSet};

use attackdb_kb::{Concept, Dataset};

use crate::expr::Expr;
use crate::model::{Gradient, Layer, Technique};
use crate::problem::{Error, Result};

/// What a combined layer takes from which input layer (indexes into the layer list: 0 is `a`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CombineOptions {
    /// The new layer's name (default "layer by operation", as the Navigator).
    pub name: Option<String>,
    /// Technique comments from this layer.
    pub comments_from: Option<usize>,
    /// Manual technique colours from this layer.
    pub colors_from: Option<usize>,
    /// Technique metadata from this layer.
    pub metadata_from: Option<usize>,
    /// Technique links from this layer.
    pub links_from: Option<usize>,
    /// Technique enabled/disabled state from this layer.
    pub enabled_from: Option<usize>,
    /// The gradient from this layer (else one spanning the result's scores).
    pub gradient_from: Option<usize>,
    /// Filters from this layer.
    pub filters_from: Option<usize>,
    /// Legend items from this layer.
    pub legend_from: Option<usize>,
    /// Layer metadata and links from this layer.
    pub layer_metadata_from: Option<usize>,
}

/// A set operation on annotated techniques.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    /// Techniques annotated in any layer.
    Union,
    /// Techniques annotated in every layer.
    Intersection,
    /// Techniques annotated in the first layer and in none of the others.
    Difference,
}

impl SetOp {
    /// `union`, `intersection`, `difference`.
    pub fn as_str(self) -> &'static str {
        match self {
            SetOp::Union => "union",
            SetOp::Intersection => "intersection",
            SetOp::Difference => "difference",
        }
    }
}

/// (technique ID upper case, tactic shortname or none).
type Key = (String, Option<String>);

/// The layer's annotations per technique and tactic, the last one winning (as the Navigator
/// reads them).
fn expand(layer: &Layer, dataset: Option<&Dataset>) -> BTreeMap<Key, Technique> {
    let mut map = BTreeMap::new();
    for annotation in &layer.techniques {
        let id = annotation.technique_id.to_ascii_uppercase();
        let tactics: Vec<Option<String>> = match (&annotation.tactic, dataset) {
            (Some(tactic), _) => vec![Some(tactic.clone())],
            (None, Some(dataset)) => {
                let object = dataset.by_attack_id(&id).iter().copied().find(|&o| {
                    dataset.is_live(o)
                        && matches!(
                            dataset.concept(o),
                            Some(Concept::Technique | Concept::Subtechnique)
                        )
                });
                match object {
                    Some(object) => {
                        let kill_chain = dataset.kill_chain_name();
                        let tactics: Vec<Option<String>> = dataset
                            .object(object)
                            .kill_chain_phases
                            .iter()
                            .filter(|p| &*p.kill_chain_name == kill_chain)
                            .map(|p| Some(p.phase_name.to_string()))
                            .collect();
                        if tactics.is_empty() {
                            vec![None]
                        } else {
                            tactics
                        }
                    }
                    None => vec![None],
                }
            }
            (None, None) => vec![None],
        };
        for tactic in tactics {
            let mut copy = annotation.clone();
            copy.tactic.clone_from(&tactic);
            map.insert((id.clone(), tactic), copy);
        }
    }
    map
}

fn check_same_domain(layers: &[Layer]) -> Result<()> {
    let Some(first) = layers.first() else {
        return Err(Error::Combine("no layers to combine".to_string()));
    };
    for (i, layer) in layers.iter().enumerate() {
        if layer.domain != first.domain {
            return Err(Error::Combine(format!(
                "layer {} ({}) is for {}, but layer a ({}) is for {}: only layers of one domain \
                 combine",
                variable(i),
                layer.name,
                layer.domain,
                first.name,
                first.domain
            )));
        }
    }
    Ok(())
}

/// The index of the layer a variable (`a`, `B`, `a1`...) names among `count` layers, or `None`
/// when it names none.
pub fn variable_index(name: &str, count: usize) -> Option<usize> {
    let key = name.trim().to_ascii_lowercase();
    (0..count.max(1) + 26).find(|&i| variable(i) == key)
}

/// The variable naming layer `index`: `a`, `b`, ... `z`, then `a1`...
pub fn variable(index: usize) -> String {
    let letter = char::from(b'a' + (index % 26) as u8);
    if index < 26 {
        letter.to_string()
    } else {
        format!("{letter}{}", index / 26)
    }
}

fn index_ok(layers: &[Layer], index: Option<usize>, what: &str) -> Result<()> {
    match index {
        Some(i) if i >= layers.len() => Err(Error::Combine(format!(
            "{what} from layer {}: there are only {} layers",
            variable(i),
            layers.len()
        ))),
        _ => Ok(()),
    }
}

/// Combines `layers` (all of one domain) with `expression` over `a` (the first layer's scores),
/// `b`, ... as the Navigator does: every technique annotated in some layer is scored when at
/// least one layer scores it (a missing or unscored score counts as 0); comparisons give 1/0;
/// the gradient spans the resulting scores (white to blue for 0/1 results); comments, colours,
/// metadata, links and enabled state are taken from the layers `options` names.
pub fn combine(
    layers: &[Layer],
    expression: &Expr,
    options: &CombineOptions,
    dataset: Option<&Dataset>,
) -> Result<Layer> {
    check_same_domain(layers)?;
    for name in expression.variables() {
        if !(0..layers.len()).any(|i| variable(i) == *name) {
            return Err(Error::Expression(format!(
                "unknown variable `{name}`: {} layers give {}",
                layers.len(),
                (0..layers.len())
                    .map(variable)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    for (index, what) in [
        (options.comments_from, "comments"),
        (options.colors_from, "colours"),
        (options.metadata_from, "metadata"),
        (options.links_from, "links"),
        (options.enabled_from, "enabled state"),
        (options.gradient_from, "gradient"),
        (options.filters_from, "filters"),
        (options.legend_from, "legend"),
        (options.layer_metadata_from, "layer metadata"),
    ] {
        index_ok(layers, index, what)?;
    }
    let expanded: Vec<BTreeMap<Key, Technique>> =
        layers.iter().map(|l| expand(l, dataset)).collect();
    let keys: BTreeSet<&Key> = expanded.iter().flat_map(|m| m.keys()).collect();
    let mut result: BTreeMap<Key, Technique> = BTreeMap::new();
    let mut low = f64::INFINITY;
    let mut high = f64::NEG_INFINITY;
    let constant = expression.variables().is_empty();
    for key in keys {
        let mut misses = 0;
        let scores: Vec<f64> = expanded
            .iter()
            .map(|m| match m.get(key).and_then(|t| t.score) {
                Some(score) => score,
                None => {
                    misses += 1;
                    0.0
                }
            })
            .collect();
        if misses == layers.len() && !constant {
            continue;
        }
        let score = expression.eval(&|name| {
            (0..layers.len())
                .find(|&i| variable(i) == name)
                .map(|i| scores[i])
        })?;
        if !score.is_finite() {
            return Err(Error::Expression(format!(
                "the score of {}{} is {score} (division by zero?)",
                key.0,
                key.1
                    .as_deref()
                    .map(|t| format!(" in {t}"))
                    .unwrap_or_default()
            )));
        }
        low = low.min(score);
        high = high.max(score);
        let mut technique = Technique::new(&key.0);
        technique.tactic.clone_from(&key.1);
        technique.score = Some(score);
        result.insert(key.clone(), technique);
    }
    let inherit = |result: &mut BTreeMap<Key, Technique>,
                   from: Option<usize>,
                   set: &dyn Fn(&mut Technique, &Technique)| {
        if let Some(i) = from {
            for (key, source) in &expanded[i] {
                let target = result.entry(key.clone()).or_insert_with(|| {
                    let mut t = Technique::new(&key.0);
                    t.tactic.clone_from(&key.1);
                    t
                });
                set(target, source);
            }
        }
    };
    inherit(&mut result, options.comments_from, &|t, s| {
        t.comment.clone_from(&s.comment)
    });
    inherit(&mut result, options.links_from, &|t, s| {
        t.links.clone_from(&s.links)
    });
    inherit(&mut result, options.metadata_from, &|t, s| {
        t.metadata.clone_from(&s.metadata)
    });
    inherit(&mut result, options.colors_from, &|t, s| {
        t.color.clone_from(&s.color)
    });
    inherit(&mut result, options.enabled_from, &|t, s| {
        t.enabled = s.enabled
    });

    let first = &layers[0];
    let mut layer = Layer::new(
        options.name.as_deref().unwrap_or("layer by operation"),
        &first.domain,
        first.versions.as_ref().and_then(|v| v.attack.as_deref()),
    );
    layer.description = Some(format!(
        "score = {} over {}",
        expression_text(expression),
        layers
            .iter()
            .enumerate()
            .map(|(i, l)| format!("{} = \"{}\"", variable(i), l.name))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    // As the Navigator exports: only annotated techniques (an inherited property may have
    // been nothing at all, e.g. the comment of a technique that has none).
    layer.techniques = result
        .into_values()
        .filter(Technique::is_annotated)
        .collect();
    layer.gradient = Some(match options.gradient_from {
        Some(i) => layers[i].gradient_or_default(),
        None => result_gradient(low, high),
    });
    if let Some(i) = options.filters_from {
        layer.filters.clone_from(&layers[i].filters);
    }
    if let Some(i) = options.legend_from {
        layer.legend_items.clone_from(&layers[i].legend_items);
    }
    if let Some(i) = options.layer_metadata_from {
        layer.metadata.clone_from(&layers[i].metadata);
        layer.links.clone_from(&layers[i].links);
    }
    Ok(layer)
}

fn expression_text(expression: &Expr) -> String {
    expression.text().to_string()
}

/// The Navigator's gradient for a result: red-yellow-green over [low, high]; white to blue when
/// the scores are 0 and 1; the default 0-100 when every score is the same. (Deliberate
/// difference: a range narrower than 2 drops the middle yellow, which mitreattack-python
/// cannot load.)
fn result_gradient(low: f64, high: f64) -> Gradient {
    let mut gradient = Gradient::default();
    if low < high {
        gradient.min_value = low;
        gradient.max_value = high;
        if low == 0.0 && high == 1.0 {
            gradient.colors = vec!["#ffffff00".to_string(), "#66b1ffff".to_string()];
        } else if high - low < (gradient.colors.len() - 1) as f64 {
            // mitreattack-python cannot load a gradient narrower than its colours less one;
            // red to green without the middle yellow
            gradient.colors = vec!["#ff6666ff".to_string(), "#8ec843ff".to_string()];
        }
    }
    gradient
}

/// The set operation `op` on the techniques `layers` annotate (by technique ID): each technique
/// of the result keeps the annotations of the first layer that annotates it.
pub fn set_operation(layers: &[Layer], op: SetOp, name: Option<&str>) -> Result<Layer> {
    check_same_domain(layers)?;
    let sets: Vec<BTreeSet<String>> = layers
        .iter()
        .map(|l| {
            l.techniques
                .iter()
                .filter(|t| t.is_annotated())
                .map(|t| t.technique_id.to_ascii_uppercase())
                .collect()
        })
        .collect();
    let chosen: BTreeSet<String> = match op {
        SetOp::Union => sets.iter().flatten().cloned().collect(),
        SetOp::Intersection => sets[0]
            .iter()
            .filter(|id| sets.iter().all(|s| s.contains(*id)))
            .cloned()
            .collect(),
        SetOp::Difference => sets[0]
            .iter()
            .filter(|id| sets[1..].iter().all(|s| !s.contains(*id)))
            .cloned()
            .collect(),
    };
    let first = &layers[0];
    let mut layer = Layer::new(
        name.unwrap_or(&format!("{} of {} layers", op.as_str(), layers.len())),
        &first.domain,
        first.versions.as_ref().and_then(|v| v.attack.as_deref()),
    );
    layer.description = Some(format!(
        "{} of the techniques annotated in {}",
        op.as_str(),
        layers
            .iter()
            .map(|l| format!("\"{}\"", l.name))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    layer.gradient.clone_from(&first.gradient);
    let mut taken_from: BTreeMap<String, usize> = BTreeMap::new();
    for (index, source) in layers.iter().enumerate() {
        for t in source.techniques.iter().filter(|t| t.is_annotated()) {
            let id = t.technique_id.to_ascii_uppercase();
            if !chosen.contains(&id) {
                continue;
            }
            // only the first layer that annotates a technique gives its annotations
            if *taken_from.entry(id).or_insert(index) == index {
                layer.techniques.push(t.clone());
            }
        }
    }
    Ok(layer)
}
