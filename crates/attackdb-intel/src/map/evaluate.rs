//! How well the mapping does on text it did not learn from: the model is built from an older
//! release, and scored on the procedure examples the newer release added (citations and the
//! actor's own names taken out), one by one (sentence accuracy at 1, 5 and 10) and grouped by
//! the report they cite (document precision, recall and F1 at 5, 10 and 20), each beside the
//! baseline of always answering the techniques with the most examples.

use std::collections::{BTreeMap, BTreeSet};

use attackdb_kb::{Dataset, RelKind};
use serde::Serialize;

use super::model::{names_of, plain, without_names};
use super::{map_text, Format, MapModel, MapOptions};

/// Sentence-level accuracy.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SentenceScores {
    /// How many sentences were scored.
    pub sentences: usize,
    /// Share whose technique is ranked first.
    pub top1: f64,
    /// Share whose technique is in the first 5.
    pub top5: f64,
    /// Share whose technique is in the first 10.
    pub top10: f64,
}

/// Document-level precision, recall and F1 at one cut-off (macro averages over documents).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DocumentScores {
    /// The cut-off: the first `k` techniques of each document.
    pub k: usize,
    /// Mean precision.
    pub precision: f64,
    /// Mean recall.
    pub recall: f64,
    /// Mean F1.
    pub f1: f64,
}

/// The evaluation's answer.
#[derive(Debug, Clone, Serialize)]
pub struct MapEvaluation {
    /// The domain.
    pub domain: String,
    /// The release the model learned from.
    pub trained_on: String,
    /// The release whose new procedure examples were scored.
    pub tested_on: String,
    /// Examples the model learned from.
    pub model_examples: usize,
    /// Techniques it can answer.
    pub model_techniques: usize,
    /// New examples left out: their technique is not in the older release.
    pub skipped: usize,
    /// The mapping, sentence by sentence.
    pub sentences: SentenceScores,
    /// Always the most common techniques, sentence by sentence.
    pub baseline_sentences: SentenceScores,
    /// How many documents (reports cited by new examples).
    pub documents: usize,
    /// The mapping, per document.
    pub document_scores: Vec<DocumentScores>,
    /// Always the most common techniques, per document.
    pub baseline_documents: Vec<DocumentScores>,
}

/// Precision, recall and F1.
type Prf = (f64, f64, f64);

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

fn round4(x: f64) -> f64 {
    (x * 10000.0).round() / 10000.0
}

/// Precision, recall and F1 of `predicted` (ranked) against `truth` at each cut-off.
fn at_k(predicted: &[String], truth: &BTreeSet<String>, ks: &[usize]) -> Vec<Prf> {
    ks.iter()
        .map(|&k| {
            let top: Vec<&String> = predicted.iter().take(k).collect();
            let hits = top.iter().filter(|t| truth.contains(t.as_str())).count() as f64;
            let p = if top.is_empty() {
                0.0
            } else {
                hits / top.len() as f64
            };
            let r = if truth.is_empty() {
                0.0
            } else {
                hits / truth.len() as f64
            };
            let f = if p + r > 0.0 {
                2.0 * p * r / (p + r)
            } else {
                0.0
            };
            (p, r, f)
        })
        .collect()
}

/// The citation names of a description's `(Citation: NAME)` markers.
fn citations(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("(Citation:") {
        let after = &rest[at + 10..];
        let Some(end) = after.find(')') else { break };
        out.push(after[..end].trim().to_string());
        rest = &after[end..];
    }
    out
}

/// Builds the model of `old` and scores the mapping on the procedure examples `new` added.
pub fn evaluate_mapping(old: &Dataset, new: &Dataset) -> MapEvaluation {
    let model = MapModel::build(old);
    let mut common: Vec<(u32, u32)> = model
        .counts
        .iter()
        .enumerate()
        .map(|(i, &c)| (i as u32, c))
        .collect();
    common.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let common: Vec<String> = common
        .iter()
        .map(|(i, _)| model.techniques[*i as usize].id.clone())
        .collect();
    let options = MapOptions {
        top: usize::MAX,
        min_score: 0.0,
        sentence_threshold: 0.0,
        evidence: 0,
        per_sentence: 10,
    };
    let ks = [5usize, 10, 20];
    let (mut ranks, mut base_ranks) = (Vec::new(), Vec::new());
    let mut skipped = 0;
    let mut documents: BTreeMap<String, (Vec<String>, BTreeSet<String>)> = BTreeMap::new();
    for link in new.links() {
        if link.kind != RelKind::Uses
            || !new.is_live(link.relationship)
            || !new.is_live(link.source)
            || !new.is_live(link.target)
        {
            continue;
        }
        let rel = new.object(link.relationship);
        if old.by_stix_id(&rel.id).is_some() {
            continue;
        }
        if !matches!(
            new.concept(link.target),
            Some(attackdb_kb::Concept::Technique | attackdb_kb::Concept::Subtechnique)
        ) {
            continue;
        }
        let Some(description) = rel.description.as_deref() else {
            continue;
        };
        let truth = new.display_id(link.target).to_string();
        if model.technique_index(&truth).is_none() {
            skipped += 1;
            continue;
        }
        let text = without_names(&plain(description), &names_of(new, link.source));
        if text.is_empty() {
            continue;
        }
        let answer = map_text(old, &model, Format::Text, &text, &options);
        let rank = answer.techniques.iter().position(|t| t.id == truth);
        ranks.push(rank);
        base_ranks.push(common.iter().position(|t| *t == truth));
        for citation in citations(description) {
            let doc = documents.entry(citation).or_default();
            doc.0.push(text.clone());
            doc.1.insert(truth.clone());
        }
    }
    let share = |ranks: &[Option<usize>], k: usize| -> f64 {
        round4(
            ranks.iter().filter(|r| r.is_some_and(|r| r < k)).count() as f64
                / ranks.len().max(1) as f64,
        )
    };
    let scores = |ranks: &[Option<usize>]| SentenceScores {
        sentences: ranks.len(),
        top1: share(ranks, 1),
        top5: share(ranks, 5),
        top10: share(ranks, 10),
    };
    let (mut ours, mut base): (Vec<Vec<Prf>>, Vec<Vec<Prf>>) = (Vec::new(), Vec::new());
    // Documents are mapped as `attackdb map` maps a report (its defaults), uncut.
    let document_options = MapOptions {
        top: usize::MAX,
        evidence: 0,
        ..MapOptions::default()
    };
    for (texts, truth) in documents.values() {
        let report = texts.join("\n\n");
        let answer = map_text(old, &model, Format::Text, &report, &document_options);
        let predicted: Vec<String> = answer.techniques.iter().map(|t| t.id.clone()).collect();
        ours.push(at_k(&predicted, truth, &ks));
        base.push(at_k(&common, truth, &ks));
    }
    let summarise = |all: &[Vec<Prf>]| -> Vec<DocumentScores> {
        ks.iter()
            .enumerate()
            .map(|(i, &k)| DocumentScores {
                k,
                precision: round4(mean(&all.iter().map(|d| d[i].0).collect::<Vec<_>>())),
                recall: round4(mean(&all.iter().map(|d| d[i].1).collect::<Vec<_>>())),
                f1: round4(mean(&all.iter().map(|d| d[i].2).collect::<Vec<_>>())),
            })
            .collect()
    };
    MapEvaluation {
        domain: new.domain().as_str().to_string(),
        trained_on: old.release().to_string(),
        tested_on: new.release().to_string(),
        model_examples: model.examples(),
        model_techniques: model.techniques(),
        skipped,
        sentences: scores(&ranks),
        baseline_sentences: scores(&base_ranks),
        documents: documents.len(),
        document_scores: summarise(&ours),
        baseline_documents: summarise(&base),
    }
}
