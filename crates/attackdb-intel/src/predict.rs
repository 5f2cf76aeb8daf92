//! `predict`: the techniques most likely to come with the observed ones, learned from ATT&CK's
//! own groups, campaigns and software.
//!
//! The default method looks for the objects whose technique sets are most like the observed set
//! (IDF-weighted cosine, the `neighbours` best) and scores every other technique by the summed
//! similarity of the neighbours that use it (each similarity raised to `sharpness`). A technique's
//! `because` lists the observed techniques that those neighbours share, most weight first.
//! `exclude` leaves objects out of what is learned from (a group's exclusion also leaves out the
//! campaigns attributed to it, whose techniques are part of the group's), for honest evaluation.
//! [`PredictMethod::Popularity`] is the baseline: the techniques most objects use.

use attackdb_kb::{Concept, Dataset, ObjId};
use serde::Serialize;

use crate::common::md_cell;
use crate::corpus::{Corpus, TechIdx};
use crate::profile::technique_name;
use crate::resolve::{resolve, ACTOR_KINDS};
use crate::{Error, Result};

/// How predictions are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PredictMethod {
    /// Nearest neighbours by IDF-weighted cosine (the default).
    #[default]
    Neighbours,
    /// The baseline: techniques ranked by how many objects use them.
    Popularity,
}

impl PredictMethod {
    /// `neighbours` or `popularity`.
    pub fn name(self) -> &'static str {
        match self {
            PredictMethod::Neighbours => "neighbours",
            PredictMethod::Popularity => "popularity",
        }
    }

    /// Parses a name (case-insensitive).
    pub fn parse(name: &str) -> Result<PredictMethod> {
        match name.trim().to_ascii_lowercase().as_str() {
            "neighbours" | "neighbors" | "knn" => Ok(PredictMethod::Neighbours),
            "popularity" | "baseline" => Ok(PredictMethod::Popularity),
            _ => Err(Error::BadOptions(format!(
                "unknown prediction method `{name}`: expected neighbours or popularity"
            ))),
        }
    }
}

/// Options of [`predict`].
#[derive(Debug, Clone, PartialEq)]
pub struct PredictOptions {
    /// How many techniques (default 20).
    pub top: usize,
    /// Groups, campaigns or software (IDs, names or aliases) to leave out of what is learned.
    pub exclude: Vec<String>,
    /// Also leave out the campaigns attributed to an excluded group (default true: their
    /// techniques are part of the group's, so learning from them would learn the answer).
    pub exclude_campaigns: bool,
    /// The method (default neighbours).
    pub method: PredictMethod,
    /// How many of the most similar objects vote (default 50).
    pub neighbours: usize,
    /// The power each neighbour's similarity is raised to (default 2).
    pub sharpness: f64,
    /// How much a technique's popularity is discounted, 0 to 1 (default 0.2): each score is
    /// divided by (1 + the number of objects using it) to this power, so that what the
    /// neighbours share beyond the usual comes first.
    pub damping: f64,
    /// The kinds learned from (default groups, campaigns and software).
    pub kinds: Vec<Concept>,
}

impl Default for PredictOptions {
    fn default() -> PredictOptions {
        PredictOptions {
            top: 20,
            exclude: Vec::new(),
            exclude_campaigns: true,
            method: PredictMethod::Neighbours,
            neighbours: 50,
            sharpness: 2.0,
            damping: 0.2,
            kinds: vec![Concept::Group, Concept::Campaign, Concept::Software],
        }
    }
}

/// The answer of [`predict`].
#[derive(Debug, Clone, Serialize)]
pub struct PredictAnswer {
    /// How the techniques are predicted.
    pub method: String,
    /// The observed techniques used.
    pub observed: Vec<String>,
    /// The objects left out of what was learned (the groups' campaigns included).
    pub excluded: Vec<String>,
    /// How many objects were learned from.
    pub learned_from: usize,
    /// The predicted techniques, most likely first.
    pub results: Vec<Prediction>,
}

/// One predicted technique.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// The score (higher is likelier; comparable within one answer).
    pub score: f64,
    /// The observed techniques that point to it, most weight first (at most 5).
    pub because: Vec<String>,
    /// The objects that voted for it most (at most 5).
    pub from: Vec<String>,
}

/// The techniques most likely to come with `observed` (live techniques).
pub fn predict(
    dataset: &Dataset,
    observed: &[ObjId],
    options: &PredictOptions,
) -> Result<PredictAnswer> {
    let corpus = Corpus::build(dataset);
    predict_in(&corpus, observed, options)
}

/// [`predict`] over a corpus built once.
pub fn predict_in(
    corpus: &Corpus<'_>,
    observed: &[ObjId],
    options: &PredictOptions,
) -> Result<PredictAnswer> {
    let dataset = corpus.dataset();
    let mut excluded_objects = Vec::new();
    for reference in &options.exclude {
        excluded_objects.push(resolve(dataset, reference, &ACTOR_KINDS)?);
    }
    let excluded = corpus.exclusion(&excluded_objects, options.exclude_campaigns);
    let mut observed_idx: Vec<TechIdx> = observed
        .iter()
        .filter_map(|&t| corpus.technique_index(t))
        .collect();
    observed_idx.sort_unstable();
    observed_idx.dedup();
    if observed_idx.is_empty() {
        return Err(Error::NoTechniques {
            detail: "prediction needs at least one live technique".to_string(),
        });
    }
    let actors = corpus.actors();
    let training: Vec<usize> = (0..actors.len())
        .filter(|&i| {
            !excluded[i]
                && options.kinds.contains(&actors[i].kind)
                && !actors[i].techniques.is_empty()
        })
        .collect();
    let df = {
        let mut df = vec![0u32; corpus.techniques().len()];
        for &i in &training {
            for &t in &actors[i].techniques {
                df[t as usize] += 1;
            }
        }
        df
    };
    let n = training.len() as f64;
    let idf: Vec<f64> = df
        .iter()
        .map(|&d| ((1.0 + n) / (1.0 + f64::from(d))).ln() + 1.0)
        .collect();
    let is_observed = {
        let mut flags = vec![false; corpus.techniques().len()];
        for &o in &observed_idx {
            flags[o as usize] = true;
        }
        flags
    };
    let mut score = vec![0.0f64; corpus.techniques().len()];
    let mut voters: Vec<(usize, f64)> = Vec::new();
    match options.method {
        PredictMethod::Popularity => {
            for (t, &d) in df.iter().enumerate() {
                score[t] = f64::from(d);
            }
        }
        PredictMethod::Neighbours => {
            let square = |t: TechIdx| idf[t as usize] * idf[t as usize];
            let observed_norm: f64 = observed_idx.iter().map(|&t| square(t)).sum::<f64>().sqrt();
            let mut similarities: Vec<(usize, f64)> = training
                .iter()
                .map(|&i| {
                    let set = &actors[i].techniques;
                    let dot: f64 = set
                        .iter()
                        .filter(|&&t| is_observed[t as usize])
                        .map(|&t| square(t))
                        .sum();
                    let norm: f64 = set.iter().map(|&t| square(t)).sum::<f64>().sqrt();
                    let similarity = if norm > 0.0 && observed_norm > 0.0 {
                        dot / (norm * observed_norm)
                    } else {
                        0.0
                    };
                    (i, similarity)
                })
                .filter(|&(_, s)| s > 0.0)
                .collect();
            similarities.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            similarities.truncate(options.neighbours.max(1));
            for &(i, similarity) in &similarities {
                let weight = similarity.powf(options.sharpness);
                for &t in &actors[i].techniques {
                    score[t as usize] += weight;
                }
                voters.push((i, weight));
            }
            let damping = options.damping.clamp(0.0, 1.0);
            for (t, &d) in df.iter().enumerate() {
                score[t] /= (1.0 + f64::from(d)).powf(damping);
                // Ties (and techniques no neighbour uses) fall back to popularity, a little.
                score[t] += 1e-9 * f64::from(d) / n.max(1.0);
            }
        }
    }
    let mut ranked: Vec<TechIdx> = (0..corpus.techniques().len() as TechIdx)
        .filter(|&t| !is_observed[t as usize] && score[t as usize] > 0.0)
        .collect();
    ranked.sort_by(|&a, &b| {
        score[b as usize]
            .total_cmp(&score[a as usize])
            .then(a.cmp(&b))
    });
    ranked.truncate(options.top);
    let results = ranked
        .into_iter()
        .map(|t| {
            let mut from: Vec<(usize, f64)> = voters
                .iter()
                .copied()
                .filter(|&(i, _)| actors[i].techniques.binary_search(&t).is_ok())
                .collect();
            let mut because: Vec<(TechIdx, f64)> = observed_idx
                .iter()
                .map(|&o| {
                    let weight: f64 = from
                        .iter()
                        .filter(|&&(i, _)| actors[i].techniques.binary_search(&o).is_ok())
                        .map(|&(_, w)| w)
                        .sum();
                    (o, weight)
                })
                .filter(|&(_, w)| w > 0.0)
                .collect();
            because.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            because.truncate(5);
            from.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            from.truncate(5);
            let technique = corpus.technique(t);
            Prediction {
                id: corpus.id(t).to_string(),
                name: technique_name(dataset, technique),
                score: score[t as usize],
                because: because
                    .into_iter()
                    .map(|(o, _)| corpus.id(o).to_string())
                    .collect(),
                from: from
                    .into_iter()
                    .map(|(i, _)| dataset.display_id(actors[i].object).to_string())
                    .collect(),
            }
        })
        .collect();
    let mut excluded_ids: Vec<String> = (0..actors.len())
        .filter(|&i| excluded[i])
        .map(|i| dataset.display_id(actors[i].object).to_string())
        .collect();
    excluded_ids.sort();
    Ok(PredictAnswer {
        method: match options.method {
            PredictMethod::Neighbours => format!(
                "the {} objects most like the observed set (IDF-weighted cosine over the relation \
                 families) vote for their other techniques, each vote the similarity^{}, each technique's \
                 votes divided by (1 + its users)^{}",
                options.neighbours, options.sharpness, options.damping
            ),
            PredictMethod::Popularity => {
                "baseline: techniques ranked by how many objects use them".to_string()
            }
        },
        observed: observed_idx.iter().map(|&o| corpus.id(o).to_string()).collect(),
        excluded: excluded_ids,
        learned_from: training.len(),
        results,
    })
}

impl PredictAnswer {
    /// The answer as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "# Techniques likely to come with the observed ones\n\nObserved ({}): {}\n\nMethod: {}; learned from {} objects",
            self.observed.len(),
            self.observed.join(", "),
            self.method,
            self.learned_from
        );
        if !self.excluded.is_empty() {
            out.push_str(&format!(" (left out: {})", self.excluded.join(", ")));
        }
        out.push_str(
            ".\n\n| # | ID | Name | Score | Because | From |\n|---|---|---|---|---|---|\n",
        );
        for (i, p) in self.results.iter().enumerate() {
            out.push_str(&format!(
                "| {} | {} | {} | {:.3} | {} | {} |\n",
                i + 1,
                p.id,
                md_cell(&p.name),
                p.score,
                p.because.join(", "),
                p.from.join(", ")
            ));
        }
        out
    }
}
