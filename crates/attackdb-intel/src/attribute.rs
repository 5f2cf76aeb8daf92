//! `attribute`: which groups, campaigns and software best explain a set of observed techniques.
//!
//! Each candidate is scored by the likelihood of the observed techniques under it, smoothed the
//! way text retrieval smooths a query's likelihood under a document (Dirichlet smoothing):
//! `P(o | A) = (m(A, o) + μ·p(o)) / (|A| + μ)`, where `m` is 1 when the candidate uses `o`,
//! `partial_credit` when it uses only `o`'s parent or another sub-technique of it (a sub-technique
//! observed counts partly for its parent, and a parent for its sub-techniques), else 0; `p(o)` is
//! how common `o` is among all candidates and `|A|` how many techniques the candidate has. A
//! match on a rare technique therefore weighs more than one on a common technique (the gain is
//! `ln(1 + m / (μ·p(o)))`, an IDF-like weight), and a candidate that uses everything gains little
//! from each match. The score shown is the candidate's share of the total likelihood over all
//! candidates (equal priors): a ranking hint for an analyst, not a verdict.

use attackdb_kb::{Concept, Dataset, ObjId};
use serde::Serialize;

use crate::common::md_cell;
use crate::corpus::{Actor, Corpus, TechIdx};
use crate::resolve::kind_name;
use crate::{Error, Result};

/// What every attribution answer says about itself.
pub const ATTRIBUTION_NOTE: &str = "a hint for an analyst, not a verdict: techniques are shared \
    widely and ATT&CK records only what was reported, so a high score means a playbook resembles \
    the observations, not who was behind them";

/// Options of [`attribute`].
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeOptions {
    /// How many results of each kind (default 10), or in all with `mixed`.
    pub top: usize,
    /// The kinds ranked (default groups, campaigns and software).
    pub kinds: Vec<Concept>,
    /// One ranking over all kinds instead of one per kind (groups, then campaigns, then
    /// software; the default, as the question is whose playbook it is).
    pub mixed: bool,
    /// How much a match through the parent (or a sibling sub-technique) counts, 0 to 1
    /// (default 0.25).
    pub partial_credit: f64,
    /// The smoothing μ (default 100): larger values favour candidates with few techniques less.
    pub smoothing: f64,
    /// How much a technique's rarity weighs, 0 to 1 (default 0.5): the background probability
    /// of a technique is the uniform one to the power `1 - rarity` times its share of all uses
    /// to the power `rarity`.
    pub rarity: f64,
    /// Credit a group with the best explanation of its campaigns and software (default true):
    /// a group is at least as likely as a campaign attributed to it or a piece of software it
    /// uses, and says through which (`through`).
    pub roll_up: bool,
}

impl Default for AttributeOptions {
    fn default() -> AttributeOptions {
        AttributeOptions {
            top: 10,
            kinds: vec![Concept::Group, Concept::Campaign, Concept::Software],
            mixed: false,
            partial_credit: 0.25,
            smoothing: 100.0,
            rarity: 0.5,
            roll_up: true,
        }
    }
}

/// The answer of [`attribute`].
#[derive(Debug, Clone, Serialize)]
pub struct AttributeAnswer {
    /// That this is a hint, not a verdict.
    pub note: String,
    /// How the score is computed.
    pub method: String,
    /// The observed techniques used (ATT&CK IDs).
    pub observed: Vec<String>,
    /// How many candidates were ranked.
    pub candidates: usize,
    /// The best candidates: the groups best first, then the campaigns, then the software (or
    /// one mixed ranking with [`AttributeOptions::mixed`]).
    pub results: Vec<AttributeResult>,
}

/// One candidate of an attribution.
#[derive(Debug, Clone, Serialize)]
pub struct AttributeResult {
    /// ATT&CK ID.
    pub id: String,
    /// `group`, `campaign` or `software`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Name.
    pub name: String,
    /// Its share of the likelihood over all candidates, 0 to 1.
    pub score: f64,
    /// The share of the observed techniques (weighted by rarity) it explains, 0 to 1.
    pub coverage: f64,
    /// Observed techniques it uses, or uses through the parent or a sibling (see `partial`).
    pub matched: Vec<String>,
    /// Observed techniques matched only partly: the observed technique and what it uses instead.
    pub partial: Vec<PartialMatch>,
    /// Observed techniques it does not use.
    pub unmatched: Vec<String>,
    /// How many techniques it has in all.
    pub technique_count: usize,
    /// For a group whose campaign or software explains the observations better than its own
    /// techniques: that campaign or software (its matches are then the group's own).
    pub through: Option<String>,
}

/// An observed technique matched through its family.
#[derive(Debug, Clone, Serialize)]
pub struct PartialMatch {
    /// The observed technique.
    pub observed: String,
    /// The techniques of the candidate in its family (parent or sub-techniques).
    pub through: Vec<String>,
}

/// Per candidate, the techniques it uses by family (a sub-technique's parent, else itself).
pub(crate) fn family_of(corpus: &Corpus<'_>, technique: TechIdx) -> TechIdx {
    corpus.parent(technique).unwrap_or(technique)
}

struct Scored {
    log_likelihood: f64,
    coverage: f64,
    position: usize,
    /// The member (campaign or software) whose explanation a group takes, if any.
    through: Option<usize>,
}

/// Ranks candidates by how well they explain `observed` (live techniques; see [`crate::TechniqueList`]).
pub fn attribute(
    dataset: &Dataset,
    observed: &[ObjId],
    options: &AttributeOptions,
) -> Result<AttributeAnswer> {
    let corpus = Corpus::build(dataset);
    attribute_in(&corpus, observed, options)
}

/// [`attribute`] over a corpus built once.
pub fn attribute_in(
    corpus: &Corpus<'_>,
    observed: &[ObjId],
    options: &AttributeOptions,
) -> Result<AttributeAnswer> {
    let dataset = corpus.dataset();
    let mut observed_idx: Vec<TechIdx> = observed
        .iter()
        .filter_map(|&t| corpus.technique_index(t))
        .collect();
    observed_idx.sort_unstable();
    observed_idx.dedup();
    if observed_idx.is_empty() {
        return Err(Error::NoTechniques {
            detail: "attribution needs at least one live technique".to_string(),
        });
    }
    let known = |a: &Actor| !a.techniques.is_empty();
    let candidate = |a: &Actor| options.kinds.contains(&a.kind) && known(a);
    let df = corpus.document_frequency(known);
    let total: f64 = df.iter().map(|&d| f64::from(d)).sum::<f64>().max(1.0);
    let count = corpus.actors().iter().filter(|a| known(a)).count() as f64;
    // Background probability of each observed technique, never 0 (a technique nobody uses).
    let rarity = options.rarity.clamp(0.0, 1.0);
    let uniform = 1.0 / corpus.techniques().len().max(1) as f64;
    let background: Vec<f64> = observed_idx
        .iter()
        .map(|&o| {
            let share = (f64::from(df[o as usize]) + 0.5) / (total + 0.5);
            uniform.powf(1.0 - rarity) * share.powf(rarity)
        })
        .collect();
    let idf: Vec<f64> = observed_idx
        .iter()
        .map(|&o| ((1.0 + count) / (1.0 + f64::from(df[o as usize]))).ln() + 1.0)
        .collect();
    let idf_total: f64 = idf.iter().sum();
    let mu = options.smoothing.max(1e-9);
    let partial = options.partial_credit.clamp(0.0, 1.0);
    let mut scored: Vec<Scored> = Vec::new();
    for (position, actor) in corpus.actors().iter().enumerate() {
        if !candidate(actor) {
            continue;
        }
        let size = actor.techniques.len() as f64;
        let mut log_likelihood = 0.0;
        let mut coverage = 0.0;
        for (i, &o) in observed_idx.iter().enumerate() {
            let m = match_strength(corpus, actor, o, partial);
            log_likelihood += ((m + mu * background[i]) / (size + mu)).ln();
            coverage += m * idf[i];
        }
        scored.push(Scored {
            log_likelihood,
            coverage: coverage / idf_total,
            position,
            through: None,
        });
    }
    if options.roll_up {
        let at: std::collections::HashMap<usize, usize> = scored
            .iter()
            .enumerate()
            .map(|(i, s)| (s.position, i))
            .collect();
        let own: Vec<(f64, f64)> = scored
            .iter()
            .map(|s| (s.log_likelihood, s.coverage))
            .collect();
        for entry in scored.iter_mut() {
            for &member in corpus.members(entry.position) {
                if let Some(&i) = at.get(&member) {
                    if own[i].0 > entry.log_likelihood {
                        entry.log_likelihood = own[i].0;
                        entry.coverage = entry.coverage.max(own[i].1);
                        entry.through = Some(member);
                    }
                }
            }
        }
    }
    let best = scored
        .iter()
        .map(|s| s.log_likelihood)
        .fold(f64::NEG_INFINITY, f64::max);
    let normalizer: f64 = scored.iter().map(|s| (s.log_likelihood - best).exp()).sum();
    let kind_rank = |position: usize| match corpus.actors()[position].kind {
        Concept::Group => 0,
        Concept::Campaign => 1,
        _ => 2,
    };
    let group_key = |position: usize| {
        if options.mixed {
            0
        } else {
            kind_rank(position)
        }
    };
    scored.sort_by(|a, b| {
        group_key(a.position)
            .cmp(&group_key(b.position))
            .then_with(|| b.log_likelihood.total_cmp(&a.log_likelihood))
            .then_with(|| kind_rank(a.position).cmp(&kind_rank(b.position)))
            .then_with(|| {
                dataset
                    .display_id(corpus.actors()[a.position].object)
                    .cmp(dataset.display_id(corpus.actors()[b.position].object))
            })
    });
    let candidates = scored.len();
    let mut kept_per_kind = [0usize; 3];
    scored.retain(|s| {
        let slot = if options.mixed {
            0
        } else {
            kind_rank(s.position)
        };
        kept_per_kind[slot] += 1;
        kept_per_kind[slot] <= options.top
    });
    let results = scored
        .into_iter()
        .map(|s| {
            let actor = &corpus.actors()[s.position];
            let mut matched = Vec::new();
            let mut partial_matches = Vec::new();
            let mut unmatched = Vec::new();
            for &o in &observed_idx {
                if actor.techniques.binary_search(&o).is_ok() {
                    matched.push(corpus.id(o).to_string());
                    continue;
                }
                let through: Vec<String> = actor
                    .techniques
                    .iter()
                    .filter(|&&t| family_of(corpus, t) == family_of(corpus, o))
                    .map(|&t| corpus.id(t).to_string())
                    .collect();
                if through.is_empty() || partial == 0.0 {
                    unmatched.push(corpus.id(o).to_string());
                } else {
                    matched.push(corpus.id(o).to_string());
                    partial_matches.push(PartialMatch {
                        observed: corpus.id(o).to_string(),
                        through,
                    });
                }
            }
            AttributeResult {
                id: dataset.display_id(actor.object).to_string(),
                kind: kind_name(dataset, actor.object).to_string(),
                name: dataset.display_name(actor.object).to_string(),
                score: if normalizer > 0.0 {
                    (s.log_likelihood - best).exp() / normalizer
                } else {
                    0.0
                },
                coverage: s.coverage,
                matched,
                partial: partial_matches,
                unmatched,
                technique_count: actor.techniques.len(),
                through: s
                    .through
                    .map(|m| dataset.display_id(corpus.actors()[m].object).to_string()),
            }
        })
        .collect();
    Ok(AttributeAnswer {
        note: ATTRIBUTION_NOTE.to_string(),
        method: format!(
            "Dirichlet-smoothed likelihood of the observed techniques under each candidate's \
             technique set (mu = {mu}, partial credit {partial} for a match through the parent \
             or a sibling sub-technique); score = share of the likelihood over {candidates} \
             candidates"
        ),
        observed: observed_idx
            .iter()
            .map(|&o| corpus.id(o).to_string())
            .collect(),
        candidates,
        results,
    })
}

/// 1 when `actor` uses `observed`, `partial` when it uses another technique of its family.
fn match_strength(corpus: &Corpus<'_>, actor: &Actor, observed: TechIdx, partial: f64) -> f64 {
    if actor.techniques.binary_search(&observed).is_ok() {
        return 1.0;
    }
    if partial == 0.0 {
        return 0.0;
    }
    let family = family_of(corpus, observed);
    let in_family = actor.techniques.binary_search(&family).is_ok()
        || corpus
            .children(family)
            .iter()
            .any(|c| *c != observed && actor.techniques.binary_search(c).is_ok());
    if in_family {
        partial
    } else {
        0.0
    }
}

impl AttributeAnswer {
    /// The answer as Markdown: the note first, then the ranking.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "# Who does this look like?\n\n> **Note:** {}.\n\nObserved ({}): {}\n\nMethod: {}.\n\n",
            self.note,
            self.observed.len(),
            self.observed.join(", "),
            self.method
        );
        if self.results.is_empty() {
            out.push_str("No candidate.\n");
            return out;
        }
        out.push_str("| # | ID | Type | Name | Score | Coverage | Matched | Lacks |\n|---|---|---|---|---|---|---|---|\n");
        for (i, r) in self.results.iter().enumerate() {
            let matched: Vec<String> = r
                .matched
                .iter()
                .map(|m| {
                    if r.partial.iter().any(|p| p.observed == *m) {
                        format!("{m} (partly)")
                    } else {
                        m.clone()
                    }
                })
                .collect();
            out.push_str(&format!(
                "| {} | {} | {} | {} | {:.3} | {:.0}% | {} | {} |\n",
                i + 1,
                r.id,
                r.kind,
                md_cell(&r.name),
                r.score,
                r.coverage * 100.0,
                matched.join(", "),
                r.unmatched.join(", ")
            ));
        }
        out
    }
}
