//! `similar` and `overlap`: groups (software, campaigns) compared by their technique sets.
//!
//! The sets are the relation families (`techniques_used_by_group`, campaigns included;
//! `techniques_used_by_campaign`; `techniques_used_by_software`), sub-techniques as techniques of
//! their own. The default measure is Jaccard (shared / either); IDF-weighted cosine weighs each
//! technique by how rare it is among the objects of the kind compared.

use attackdb_kb::{Dataset, ObjId};
use attackdb_navigator::{Extra, Gradient, Layer, LegendItem, Technique};
use serde::Serialize;

use crate::common::{base_layer, md_cell, ObjectSummary};
use crate::corpus::{intersection_count, technique_family, Corpus, TechIdx};
use crate::profile::technique_name;
use crate::resolve::{kind_name, resolve, ACTOR_KINDS};
use crate::{Error, Result};

/// How two technique sets are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Measure {
    /// |A ∩ B| / |A ∪ B|.
    #[default]
    Jaccard,
    /// Cosine of the sets as vectors weighted by `idf(t) = ln((1 + N) / (1 + df(t))) + 1`, where
    /// N is the number of objects of the kind with at least one technique and df(t) how many of
    /// them use t.
    IdfCosine,
}

impl Measure {
    /// Every measure.
    pub const ALL: [Measure; 2] = [Measure::Jaccard, Measure::IdfCosine];

    /// The name in answers and options: `jaccard`, `idf-cosine`.
    pub fn name(self) -> &'static str {
        match self {
            Measure::Jaccard => "jaccard",
            Measure::IdfCosine => "idf-cosine",
        }
    }

    /// Parses a name (case-insensitive; `_` for `-`; `cosine` for `idf-cosine`).
    pub fn parse(name: &str) -> Result<Measure> {
        let key = name.trim().to_ascii_lowercase().replace('_', "-");
        match key.as_str() {
            "jaccard" => Ok(Measure::Jaccard),
            "idf-cosine" | "cosine" | "tfidf" | "tf-idf" => Ok(Measure::IdfCosine),
            _ => Err(Error::BadOptions(format!(
                "unknown measure `{name}`: expected jaccard or idf-cosine"
            ))),
        }
    }

    fn description(self) -> &'static str {
        match self {
            Measure::Jaccard => {
                "Jaccard index of the technique sets (shared / in either), relation families \
                 techniques_used_by_group (campaigns included), _by_campaign, _by_software"
            }
            Measure::IdfCosine => {
                "cosine of the technique sets weighted by idf(t) = ln((1+N)/(1+df(t)))+1 over \
                 the objects of the kind, relation families techniques_used_by_group (campaigns \
                 included), _by_campaign, _by_software"
            }
        }
    }
}

/// Options of [`similar`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimilarOptions {
    /// How many results (default 10).
    pub top: usize,
    /// The measure (default Jaccard).
    pub measure: Measure,
}

impl Default for SimilarOptions {
    fn default() -> SimilarOptions {
        SimilarOptions {
            top: 10,
            measure: Measure::Jaccard,
        }
    }
}

/// The answer of [`similar`].
#[derive(Debug, Clone, Serialize)]
pub struct SimilarAnswer {
    /// The measure's name (`jaccard`, `idf-cosine`).
    pub measure: String,
    /// What the measure computes, over which data.
    pub measure_description: String,
    /// The object compared.
    pub query: ObjectSummary,
    /// How many techniques it has.
    pub query_techniques: usize,
    /// The most similar objects of the same kind, best first (ties by ID); score 0 left out.
    pub results: Vec<SimilarResult>,
}

/// One object compared.
#[derive(Debug, Clone, Serialize)]
pub struct SimilarResult {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// The measure, 0 to 1.
    pub score: f64,
    /// Techniques both use.
    pub shared: Vec<String>,
    /// Techniques only the query uses.
    pub only_query: Vec<String>,
    /// Techniques only this object uses.
    pub only_other: Vec<String>,
}

/// The groups (campaigns, software: the kind of `reference`) most similar to `reference`.
pub fn similar(
    dataset: &Dataset,
    reference: &str,
    options: &SimilarOptions,
) -> Result<SimilarAnswer> {
    let object = resolve(dataset, reference, &ACTOR_KINDS)?;
    let corpus = Corpus::build(dataset);
    similar_in(&corpus, object, options)
}

/// [`similar`] over a corpus built once, for a resolved object.
pub fn similar_in(
    corpus: &Corpus<'_>,
    object: ObjId,
    options: &SimilarOptions,
) -> Result<SimilarAnswer> {
    let dataset = corpus.dataset();
    let query = corpus.actor(object).ok_or_else(|| {
        Error::BadOptions(format!(
            "{} is not a live group, campaign or software",
            dataset.display_id(object)
        ))
    })?;
    let kind = query.kind;
    let same_kind = |a: &crate::corpus::Actor| a.kind == kind && !a.techniques.is_empty();
    let weights: Vec<f64> = match options.measure {
        Measure::Jaccard => Vec::new(),
        Measure::IdfCosine => {
            let df = corpus.document_frequency(same_kind);
            let n = corpus.actors().iter().filter(|a| same_kind(a)).count() as f64;
            df.iter()
                .map(|&d| ((1.0 + n) / (1.0 + f64::from(d))).ln() + 1.0)
                .collect()
        }
    };
    let norm = |set: &[TechIdx]| -> f64 {
        set.iter()
            .map(|&t| weights[t as usize] * weights[t as usize])
            .sum::<f64>()
            .sqrt()
    };
    let query_norm = if weights.is_empty() {
        0.0
    } else {
        norm(&query.techniques)
    };
    let mut scored: Vec<(f64, usize)> = Vec::new();
    for (position, other) in corpus.actors().iter().enumerate() {
        if other.object == object || other.kind != kind || other.techniques.is_empty() {
            continue;
        }
        let score = match options.measure {
            Measure::Jaccard => {
                let shared = intersection_count(&query.techniques, &other.techniques);
                let union = query.techniques.len() + other.techniques.len() - shared;
                if union == 0 {
                    0.0
                } else {
                    shared as f64 / union as f64
                }
            }
            Measure::IdfCosine => {
                let dot: f64 = shared_of(&query.techniques, &other.techniques)
                    .iter()
                    .map(|&t| weights[t as usize] * weights[t as usize])
                    .sum();
                let denominator = query_norm * norm(&other.techniques);
                if denominator == 0.0 {
                    0.0
                } else {
                    dot / denominator
                }
            }
        };
        if score > 0.0 {
            scored.push((score, position));
        }
    }
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0).then_with(|| {
            dataset
                .display_id(corpus.actors()[a.1].object)
                .cmp(dataset.display_id(corpus.actors()[b.1].object))
        })
    });
    scored.truncate(options.top);
    let ids = |set: Vec<TechIdx>| -> Vec<String> {
        set.into_iter().map(|t| corpus.id(t).to_string()).collect()
    };
    let results = scored
        .into_iter()
        .map(|(score, position)| {
            let other = &corpus.actors()[position];
            SimilarResult {
                id: dataset.display_id(other.object).to_string(),
                name: dataset.display_name(other.object).to_string(),
                score,
                shared: ids(shared_of(&query.techniques, &other.techniques)),
                only_query: ids(minus(&query.techniques, &other.techniques)),
                only_other: ids(minus(&other.techniques, &query.techniques)),
            }
        })
        .collect();
    Ok(SimilarAnswer {
        measure: options.measure.name().to_string(),
        measure_description: options.measure.description().to_string(),
        query: ObjectSummary::of(dataset, object),
        query_techniques: query.techniques.len(),
        results,
    })
}

fn shared_of(a: &[TechIdx], b: &[TechIdx]) -> Vec<TechIdx> {
    a.iter()
        .copied()
        .filter(|t| b.binary_search(t).is_ok())
        .collect()
}

fn minus(a: &[TechIdx], b: &[TechIdx]) -> Vec<TechIdx> {
    a.iter()
        .copied()
        .filter(|t| b.binary_search(t).is_err())
        .collect()
}

impl SimilarAnswer {
    /// The answer as a Markdown table.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "# {} {} {}: most similar {}\n\nMeasure: **{}** ({}). {} has {} techniques.\n\n",
            self.query.kind,
            self.query.id,
            self.query.name,
            plural(&self.query.kind),
            self.measure,
            self.measure_description,
            self.query.id,
            self.query_techniques
        );
        if self.results.is_empty() {
            out.push_str("No other object of this kind shares a technique.\n");
            return out;
        }
        out.push_str("| # | ID | Name | Score | Shared | Only query | Only other |\n|---|---|---|---|---|---|---|\n");
        for (i, r) in self.results.iter().enumerate() {
            out.push_str(&format!(
                "| {} | {} | {} | {:.3} | {} | {} | {} |\n",
                i + 1,
                r.id,
                md_cell(&r.name),
                r.score,
                r.shared.len(),
                r.only_query.len(),
                r.only_other.len()
            ));
        }
        out
    }
}

fn plural(kind: &str) -> String {
    match kind {
        "software" => "software".to_string(),
        other => format!("{other}s"),
    }
}

/// The answer of [`overlap`].
#[derive(Debug, Clone, Serialize)]
pub struct OverlapAnswer {
    /// The objects compared, in the order given, each with its technique count.
    pub objects: Vec<OverlapObject>,
    /// Every technique any of them uses, most users first, then by ID.
    pub techniques: Vec<OverlapTechnique>,
    /// Techniques all of them use.
    pub shared_by_all: Vec<String>,
    /// `enterprise-attack` etc.
    pub domain: String,
    /// The release.
    pub release: String,
}

/// One object of an overlap.
#[derive(Debug, Clone, Serialize)]
pub struct OverlapObject {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// `group`, `campaign` or `software`.
    #[serde(rename = "type")]
    pub kind: String,
    /// How many techniques its relation family gives.
    pub technique_count: usize,
}

/// One technique of an overlap.
#[derive(Debug, Clone, Serialize)]
pub struct OverlapTechnique {
    /// ATT&CK ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// How many of the objects use it.
    pub count: usize,
    /// Which (ATT&CK IDs, in the order given).
    pub used_by: Vec<String>,
}

/// The techniques of several groups, campaigns or software (mixed kinds allowed), each counted
/// by how many of them use it. Needs two or more references (repeats count once).
pub fn overlap(dataset: &Dataset, references: &[String]) -> Result<OverlapAnswer> {
    let mut objects: Vec<ObjId> = Vec::new();
    for reference in references {
        let object = resolve(dataset, reference, &ACTOR_KINDS)?;
        if !objects.contains(&object) {
            objects.push(object);
        }
    }
    if objects.len() < 2 {
        return Err(Error::BadOptions(
            "overlap needs two or more different groups, campaigns or software".to_string(),
        ));
    }
    let sets: Vec<Vec<ObjId>> = objects
        .iter()
        .map(|&o| {
            dataset
                .concept(o)
                .and_then(technique_family)
                .map(|f| dataset.related(f, o))
                .unwrap_or_default()
        })
        .collect();
    let mut users: std::collections::BTreeMap<ObjId, Vec<usize>> = Default::default();
    for (i, set) in sets.iter().enumerate() {
        for &t in set {
            users.entry(t).or_default().push(i);
        }
    }
    let mut techniques: Vec<OverlapTechnique> = users
        .into_iter()
        .map(|(t, by)| OverlapTechnique {
            id: dataset.display_id(t).to_string(),
            name: technique_name(dataset, t),
            count: by.len(),
            used_by: by
                .iter()
                .map(|&i| dataset.display_id(objects[i]).to_string())
                .collect(),
        })
        .collect();
    techniques.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
    let shared_by_all = techniques
        .iter()
        .filter(|t| t.count == objects.len())
        .map(|t| t.id.clone())
        .collect();
    Ok(OverlapAnswer {
        objects: objects
            .iter()
            .zip(&sets)
            .map(|(&o, set)| OverlapObject {
                id: dataset.display_id(o).to_string(),
                name: dataset.display_name(o).to_string(),
                kind: kind_name(dataset, o).to_string(),
                technique_count: set.len(),
            })
            .collect(),
        techniques,
        shared_by_all,
        domain: dataset.domain().to_string(),
        release: dataset.release().to_string(),
    })
}

impl OverlapAnswer {
    fn label(&self, id: &str) -> String {
        self.objects
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_string(), |o| format!("{} {}", o.id, o.name))
    }

    /// The overlap as a Navigator layer: each technique scored by how many of the objects use
    /// it, the comment naming which.
    pub fn to_layer(&self, dataset: &Dataset) -> Layer {
        let names: Vec<String> = self
            .objects
            .iter()
            .map(|o| format!("{} {}", o.id, o.name))
            .collect();
        let mut layer = base_layer(
            dataset,
            &format!(
                "overlap of {}",
                self.objects
                    .iter()
                    .map(|o| o.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "Techniques scored by how many of {} use them ({} {})",
                names.join(", "),
                self.domain,
                self.release
            ),
        );
        for technique in &self.techniques {
            let mut annotation = Technique::new(&technique.id);
            annotation.score = Some(technique.count as f64);
            let by: Vec<String> = technique.used_by.iter().map(|id| self.label(id)).collect();
            annotation.comment = Some(format!(
                "used by {} of {}: {}",
                technique.count,
                self.objects.len(),
                by.join(", ")
            ));
            layer.techniques.push(annotation);
        }
        layer.gradient = Some(Gradient {
            colors: vec!["#ffffff".to_string(), "#ff6666".to_string()],
            min_value: 0.0,
            max_value: self.objects.len() as f64,
            extra: Extra::new(),
        });
        layer.legend_items = vec![LegendItem {
            label: format!("used by all {}", self.objects.len()),
            color: "#ff6666".to_string(),
            extra: Extra::new(),
        }];
        layer
    }

    /// The overlap as Markdown: the objects, then one row per technique.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from(
            "# Technique overlap\n\n| ID | Name | Type | Techniques |\n|---|---|---|---|\n",
        );
        for o in &self.objects {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                o.id,
                md_cell(&o.name),
                o.kind,
                o.technique_count
            ));
        }
        out.push_str(&format!(
            "\n{} techniques in all; {} used by every one.\n\n| Technique | Name | Count | Used by |\n|---|---|---|---|\n",
            self.techniques.len(),
            self.shared_by_all.len()
        ));
        for t in &self.techniques {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                t.id,
                md_cell(&t.name),
                t.count,
                t.used_by.join(", ")
            ));
        }
        out
    }
}
