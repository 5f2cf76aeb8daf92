//! The mapping model of one release, learned from the release itself: every procedure example
//! (the `uses` relationships' descriptions, "APT29 has used PowerShell to ...", with the
//! citation markers and the user's own names taken out) and every sentence of every technique's
//! description, as TF-IDF vectors over words and word pairs. A sentence is compared with all of
//! them at once through an inverted index (cosine similarity); the techniques of its nearest
//! examples are its candidates. Nothing is fetched: the release's text is the training data.

use std::collections::HashMap;

use attackdb_kb::{Concept, Dataset, ObjId, Visibility};

use super::text::sentences;

/// Words too common to say anything about a technique.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "after",
    "again",
    "all",
    "also",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "during",
    "each",
    "either",
    "else",
    "etc",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "may",
    "might",
    "more",
    "most",
    "much",
    "must",
    "no",
    "nor",
    "not",
    "of",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "used",
    "uses",
    "using",
    "use",
    "very",
    "via",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "within",
    "would",
    "you",
    "your",
    "able",
    "capability",
    "capable",
    "leveraged",
    "leverage",
    "utilized",
    "utilize",
    "employed",
    "employ",
    "observed",
    "reported",
    "identified",
    "new",
    "several",
    "various",
    "multiple",
    "like",
    "including",
    "include",
    "includes",
    "known",
    "malware",
    "actor",
    "actors",
    "group",
    "threat",
    "adversary",
    "adversaries",
    "attacker",
    "attackers",
    "operators",
    "operator",
    "campaign",
];

/// A word's form for matching: lower case, a plural or verb ending taken off.
fn stem(word: &str) -> String {
    let w = word;
    let n = w.len();
    if n > 4 && w.ends_with("ies") {
        return format!("{}y", &w[..n - 3]);
    }
    if n > 5 && w.ends_with("ing") {
        return w[..n - 3].to_string();
    }
    if n > 4 && w.ends_with("ed") && !w.ends_with("eed") {
        return w[..n - 2].to_string();
    }
    if n > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        return w[..n - 1].to_string();
    }
    w.to_string()
}

/// The terms of a text: its content words (stemmed; `cmd.exe`, `T1059.001` kept whole) and
/// each pair of neighbouring content words.
pub(crate) fn terms(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let lower = text.to_lowercase();
    for raw in
        lower.split(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '\\' | '$')))
    {
        let word = raw.trim_matches(|c: char| matches!(c, '.' | '-' | '_' | '\\'));
        if word.chars().count() < 2 || word.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if STOPWORDS.contains(&word) {
            continue;
        }
        words.push(stem(word));
    }
    let mut out = Vec::with_capacity(words.len() * 2);
    for pair in words.windows(2) {
        out.push(format!("{} {}", pair[0], pair[1]));
    }
    out.extend(words);
    out
}

/// One example the model learned from.
#[derive(Debug, Clone)]
pub(crate) struct Example {
    /// The technique it is labelled with (an index into `techniques`).
    pub(crate) technique: u32,
    /// The object that did it (procedure examples): its ATT&CK ID and name; empty for a
    /// description's sentence.
    pub(crate) source: String,
    /// The text, citations and the source's names taken out.
    pub(crate) text: Box<str>,
}

/// A technique the model can answer.
#[derive(Debug, Clone)]
pub(crate) struct Technique {
    pub(crate) id: String,
    pub(crate) name: String,
}

/// A release's mapping model.
#[derive(Debug)]
pub struct MapModel {
    pub(crate) domain: attackdb_kb::Domain,
    pub(crate) release: String,
    pub(crate) techniques: Vec<Technique>,
    pub(crate) examples: Vec<Example>,
    /// Term -> (example, weight of the term in the example's unit vector).
    postings: HashMap<String, Vec<(u32, f32)>>,
    /// Term -> inverse document frequency.
    idf: HashMap<String, f32>,
    /// Term -> (technique, weight in the technique's centroid: the unit sum of its examples).
    centroids: HashMap<String, Vec<(u32, f32)>>,

    /// How many examples each technique has (the baseline's prior).
    pub(crate) counts: Vec<u32>,
    /// The names a text may use for the release's objects.
    pub(crate) names: super::Names,
    /// ATT&CK ID (upper case) -> technique index.
    by_id: HashMap<String, u32>,
}

/// A description or procedure text as one plain line: citations dropped, links to their text.
pub(crate) fn plain(text: &str) -> String {
    crate::common::clean_text(&text.replace("<code>", "").replace("</code>", ""))
}

/// `text` without the names an object goes by (case-insensitive, whole words), so a model
/// learns what was done, not who did it.
pub(crate) fn without_names(text: &str, names: &[&str]) -> String {
    let mut out = text.to_string();
    for name in names.iter().filter(|n| n.len() >= 2) {
        // ASCII lower case keeps every byte where it was, so offsets in `lower` are offsets in `out`.
        let lower = out.to_ascii_lowercase();
        let needle = name.to_ascii_lowercase();
        let mut kept = String::with_capacity(out.len());
        let mut from = 0;
        let mut search = 0;
        while let Some(at) = lower[search..].find(&needle) {
            let start = search + at;
            let end = start + needle.len();
            let before = lower[..start].chars().next_back();
            let after = lower[end..].chars().next();
            let whole = before.is_none_or(|c| !c.is_alphanumeric())
                && after.is_none_or(|c| !c.is_alphanumeric());
            if whole && out.is_char_boundary(start) && out.is_char_boundary(end) {
                kept.push_str(&out[from..start]);
                from = end;
            }
            search = end;
            if search >= lower.len() {
                break;
            }
        }
        kept.push_str(&out[from..]);
        out = kept;
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The names and aliases of `id`.
pub(crate) fn names_of(dataset: &Dataset, id: ObjId) -> Vec<&str> {
    let object = dataset.object(id);
    let mut names: Vec<&str> = object.name.as_deref().into_iter().collect();
    names.extend(object.aliases.iter().map(|a| &**a));
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names
}

/// The models built in this process, one per loaded release (a server maps many reports
/// with one).
type Cache = std::sync::Mutex<Vec<(usize, String, std::sync::Arc<MapModel>)>>;

impl MapModel {
    /// The model of `dataset`, built at the first call for it and kept for the process.
    pub fn cached(dataset: &Dataset) -> std::sync::Arc<MapModel> {
        MapModel::cached_in(dataset, None)
    }

    /// [`MapModel::cached`], kept on disk in `dir` too ([`MapModel::build_in`]).
    pub fn cached_in(dataset: &Dataset, dir: Option<&std::path::Path>) -> std::sync::Arc<MapModel> {
        static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let key = (
            std::ptr::from_ref(dataset) as usize,
            format!("{} {}", dataset.domain(), dataset.release()),
        );
        if let Ok(kept) = cache.lock() {
            if let Some((_, _, model)) = kept.iter().find(|(a, r, _)| *a == key.0 && *r == key.1) {
                return model.clone();
            }
        }
        let model = std::sync::Arc::new(MapModel::build_in(dataset, dir));
        if let Ok(mut kept) = cache.lock() {
            kept.push((key.0, key.1, model.clone()));
        }
        model
    }

    /// Learns the model of `dataset`: every live technique and sub-technique, with its
    /// description's sentences and its procedure examples.
    pub fn build(dataset: &Dataset) -> MapModel {
        MapModel::build_in(dataset, None)
    }

    /// [`MapModel::build`], reading what was learned from the same examples from `dir` (the
    /// data home's index folder) when it is there, and keeping it there when it was not.
    pub fn build_in(dataset: &Dataset, dir: Option<&std::path::Path>) -> MapModel {
        let (techniques, examples) = extract(dataset);
        let names = super::names(dataset);
        let key = super::store::key(&techniques, &examples, &names.techniques);
        let file = dir.map(|d| {
            super::store::path(d, dataset.domain().short_name(), dataset.release().as_str())
        });
        if let Some(derived) = file
            .as_deref()
            .and_then(|f| super::store::read(f, key, examples.len(), techniques.len()))
        {
            let mut model = MapModel::assemble(
                dataset.domain(),
                dataset.release().to_string(),
                techniques,
                examples,
                names,
                derived.idf,
                derived.postings,
                derived.centroids,
            );
            model.names.techniques = derived.telling;
            model.names.compile();
            return model;
        }
        let mut model = MapModel::from_examples(
            dataset.domain(),
            dataset.release().to_string(),
            techniques,
            examples,
            names,
        );
        model.keep_telling_names();
        if let Some(file) = &file {
            super::store::write(
                file,
                key,
                &super::store::Derived {
                    idf: model.idf.clone(),
                    postings: model.postings.clone(),
                    centroids: model.centroids.clone(),
                    telling: model.names.techniques.clone(),
                },
            );
        }
        model
    }
}

/// The techniques a model answers and the examples it learns from, as `dataset` gives them.
fn extract(dataset: &Dataset) -> (Vec<Technique>, Vec<Example>) {
    {
        let mut techniques = Vec::new();
        let mut examples = Vec::new();
        let ids = dataset.list_any(
            &[Concept::Technique, Concept::Subtechnique],
            Visibility::LIVE,
        );
        for (index, &t) in ids.iter().enumerate() {
            let index = index as u32;
            techniques.push(Technique {
                id: dataset.display_id(t).to_string(),
                name: dataset.display_name(t).to_string(),
            });
            examples.push(Example {
                technique: index,
                source: String::new(),
                text: dataset.display_name(t).into(),
            });
            if let Some(description) = dataset.object(t).description.as_deref() {
                let text = plain(description);
                for span in sentences(&text) {
                    examples.push(Example {
                        technique: index,
                        source: String::new(),
                        text: text[span.start..span.end].into(),
                    });
                }
            }
            for relationship in dataset.procedure_examples(t) {
                let rel = dataset.object(relationship);
                let Some(description) = rel.description.as_deref() else {
                    continue;
                };
                let Some(source) = rel
                    .source_ref
                    .as_deref()
                    .and_then(|s| dataset.by_stix_id(s))
                else {
                    continue;
                };
                let text = without_names(&plain(description), &names_of(dataset, source));
                if text.is_empty() {
                    continue;
                }
                examples.push(Example {
                    technique: index,
                    source: format!(
                        "{} {}",
                        dataset.display_id(source),
                        dataset.display_name(source)
                    ),
                    text: text.into(),
                });
            }
        }
        (techniques, examples)
    }
}

impl MapModel {
    /// Keeps the technique names that tell their technique when a text writes them: among the
    /// examples that contain the name, most are that technique's (or its family's). "PowerShell"
    /// tells T1059.001; "Credentials" (T1589.001) or "Software" (T1592.002) tell nothing.
    fn keep_telling_names(&mut self) {
        let names = std::mem::take(&mut self.names.techniques);
        let kept = names
            .into_iter()
            .filter(|(name, id)| {
                let words: Vec<String> = terms(name)
                    .into_iter()
                    .filter(|t| !t.contains(' '))
                    .collect();
                let Some(first) = words.first() else {
                    return false;
                };
                let Some(list) = self.postings.get(first) else {
                    return words.len() > 1;
                };
                let family = id.get(..5).unwrap_or(id);
                let (mut hits, mut own) = (0usize, 0usize);
                for &(doc, _) in list {
                    let example = &self.examples[doc as usize];
                    if example.source.is_empty() {
                        continue;
                    }
                    if super::find_words(&example.text.to_lowercase(), name).is_empty() {
                        continue;
                    }
                    hits += 1;
                    let label = &self.techniques[example.technique as usize].id;
                    if label.get(..5) == Some(family) {
                        own += 1;
                    }
                }
                if hits == 0 {
                    words.len() > 1
                } else {
                    own * 2 >= hits
                }
            })
            .collect();
        self.names.techniques = kept;
        self.names.compile();
    }

    fn from_examples(
        domain: attackdb_kb::Domain,
        release: String,
        techniques: Vec<Technique>,
        examples: Vec<Example>,
        names: super::Names,
    ) -> MapModel {
        let mut df: HashMap<String, u32> = HashMap::new();
        let term_lists: Vec<Vec<String>> = examples.iter().map(|e| terms(&e.text)).collect();
        for list in &term_lists {
            let mut unique: Vec<&String> = list.iter().collect();
            unique.sort();
            unique.dedup();
            for term in unique {
                *df.entry(term.clone()).or_default() += 1;
            }
        }
        let n = examples.len() as f32;
        let idf: HashMap<String, f32> = df
            .into_iter()
            .map(|(term, d)| (term, ((n + 1.0) / (d as f32 + 1.0)).ln() + 1.0))
            .collect();
        let mut postings: HashMap<String, Vec<(u32, f32)>> = HashMap::new();
        let mut sums: Vec<HashMap<String, f32>> = vec![HashMap::new(); techniques.len()];
        for (doc, list) in term_lists.iter().enumerate() {
            let weights = weigh(list, &idf);
            let technique = examples[doc].technique as usize;
            for (term, w) in weights {
                *sums[technique].entry(term.clone()).or_default() += w;
                postings.entry(term).or_default().push((doc as u32, w));
            }
        }
        let mut centroids: HashMap<String, Vec<(u32, f32)>> = HashMap::new();
        for (technique, sum) in sums.into_iter().enumerate() {
            let mut sum: Vec<(String, f32)> = sum.into_iter().collect();
            sum.sort_by(|a, b| a.0.cmp(&b.0));
            let norm = sum.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
            if norm > 0.0 {
                for (term, w) in sum {
                    centroids
                        .entry(term)
                        .or_default()
                        .push((technique as u32, w / norm));
                }
            }
        }
        MapModel::assemble(
            domain, release, techniques, examples, names, idf, postings, centroids,
        )
    }

    /// A model of its parts (learned now or read from the disk).
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        domain: attackdb_kb::Domain,
        release: String,
        techniques: Vec<Technique>,
        examples: Vec<Example>,
        names: super::Names,
        idf: HashMap<String, f32>,
        postings: HashMap<String, Vec<(u32, f32)>>,
        centroids: HashMap<String, Vec<(u32, f32)>>,
    ) -> MapModel {
        let mut counts = vec![0u32; techniques.len()];
        for e in &examples {
            if !e.source.is_empty() {
                counts[e.technique as usize] += 1;
            }
        }
        let by_id = techniques
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.to_ascii_uppercase(), i as u32))
            .collect();
        MapModel {
            domain,
            release,
            techniques,
            examples,
            postings,
            idf,
            centroids,
            counts,
            names,
            by_id,
        }
    }

    /// The techniques a sentence describes, best first, each with its score in 0..1: the
    /// nearest examples' similarities summed per technique, relative to all of them, times the
    /// best similarity (how close the sentence is to anything at all).
    pub(crate) fn rank(&self, text: &str) -> Vec<(u32, f32, Near)> {
        let query = weigh(&terms(text), &self.idf);
        let near = self.nearest_weighted(&query, NEAREST);
        let Some(&(_, best)) = near.first() else {
            return Vec::new();
        };
        let total: f32 = near.iter().map(|(_, s)| s * s).sum();
        let mut per: HashMap<u32, (f32, f32, Near)> = HashMap::new();
        for &(doc, s) in &near {
            let entry = per
                .entry(self.examples[doc as usize].technique)
                .or_default();
            entry.0 += s * s;
            entry.1 = entry.1.max(s);
            entry.2.push((doc, s));
        }
        let mut centroid: HashMap<u32, f32> = HashMap::new();
        for (term, w) in &query {
            if let Some(list) = self.centroids.get(term) {
                for &(t, cw) in list {
                    *centroid.entry(t).or_default() += w * cw;
                }
            }
        }
        for &t in centroid.keys() {
            per.entry(t).or_default();
        }
        let mut ranked: Vec<(u32, f32, Near)> = per
            .into_iter()
            .map(|(t, (sum, top, docs))| {
                let vote = (sum / total).sqrt() * top.max(best * 0.5);
                let c = centroid.get(&t).copied().unwrap_or(0.0);
                (t, KNN_SHARE * vote + (1.0 - KNN_SHARE) * c, docs)
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }

    /// The examples nearest a query vector, best first: (example, cosine similarity), at
    /// most `k`.
    fn nearest_weighted(&self, query: &[(String, f32)], k: usize) -> Vec<(u32, f32)> {
        let mut scores = vec![0f32; self.examples.len()];
        let mut touched: Vec<u32> = Vec::new();
        for (term, w) in query {
            if let Some(list) = self.postings.get(term) {
                for &(doc, dw) in list {
                    let slot = &mut scores[doc as usize];
                    if *slot == 0.0 {
                        touched.push(doc);
                    }
                    *slot += w * dw;
                }
            }
        }
        let mut ranked: Vec<(u32, f32)> = touched
            .into_iter()
            .map(|d| (d, scores[d as usize]))
            .collect();
        let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if ranked.len() > k {
            ranked.select_nth_unstable_by(k, order);
            ranked.truncate(k);
        }
        ranked.sort_by(order);
        ranked
    }

    /// The domain it was learned on.
    pub fn domain(&self) -> attackdb_kb::Domain {
        self.domain
    }

    /// The release it was learned on.
    pub fn release(&self) -> &str {
        &self.release
    }

    /// How many examples the model holds.
    pub fn examples(&self) -> usize {
        self.examples.len()
    }

    /// How many techniques it can answer.
    pub fn techniques(&self) -> usize {
        self.techniques.len()
    }

    /// The technique index of an ATT&CK ID.
    pub(crate) fn technique_index(&self, id: &str) -> Option<u32> {
        self.by_id.get(&id.to_ascii_uppercase()).copied()
    }
}

/// Examples near a text: (example, cosine similarity).
pub(crate) type Near = Vec<(u32, f32)>;

/// How many nearest examples vote for a sentence's techniques.
const NEAREST: usize = 25;

/// The nearest examples' share of a technique's score; the rest is the similarity to the
/// technique's centroid. Measured on the 17.1 -> 18.1 evaluation: 0.5 beats 0, 0.3, 0.7 and 1.
const KNN_SHARE: f32 = 0.5;

/// A word pair's weight beside a word's. Measured on the 17.1 -> 18.1 evaluation: 0.5 gives
/// sentence top-1/5/10 of 0.580/0.878/0.930 (1: 0.572/0.861/0.914, 0: 0.586/0.882/0.924) and
/// keeps the documents' F1 that pairs bring (0 loses 0.01 to 0.03 of it).
const BIGRAM_WEIGHT: f32 = 0.5;

/// The unit TF-IDF vector of a term list (sublinear term frequency).
fn weigh(list: &[String], idf: &HashMap<String, f32>) -> Vec<(String, f32)> {
    let mut tf: HashMap<&String, u32> = HashMap::new();
    for term in list {
        *tf.entry(term).or_default() += 1;
    }
    let mut weights: Vec<(String, f32)> = tf
        .into_iter()
        .filter_map(|(term, f)| {
            let idf = *idf.get(term)?;
            let pair = if term.contains(' ') {
                BIGRAM_WEIGHT
            } else {
                1.0
            };
            Some((term.clone(), (1.0 + (f as f32).ln()) * idf * pair))
        })
        .collect();
    // One order whatever the hasher: sums of floats then come out the same in every process.
    weights.sort_by(|a, b| a.0.cmp(&b.0));
    let norm = weights.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, w) in &mut weights {
            *w /= norm;
        }
    }
    weights
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_keep_what_names_a_technique() {
        assert_eq!(
            terms("The actors used cmd.exe to run whoami."),
            vec!["cmd.exe run", "run whoami", "cmd.exe", "run", "whoami"]
        );
        assert_eq!(stem("credentials"), "credential");
        assert_eq!(stem("dumping"), "dump");
        assert_eq!(stem("process"), "process");
    }

    #[test]
    fn names_are_taken_out_as_whole_words() {
        assert_eq!(
            without_names(
                "APT29 has used PowerShell; apt29's tool, not APT290.",
                &["APT29"]
            ),
            "has used PowerShell; 's tool, not APT290."
        );
    }
}
