//! Map a threat report to ATT&CK: the report's text split into sentences, each sentence's
//! explicit ATT&CK IDs and technique names found, the groups, software and campaigns it names
//! reported as entities, and the techniques it describes ranked by a model learned from the
//! release's own procedure examples and descriptions ([`MapModel`]). Per report, the techniques
//! are aggregated over the sentences with the sentences that support each and the closest
//! procedure examples as evidence. Every answer is a suggestion for an analyst to review.

mod evaluate;
mod model;
mod store;
mod text;

use std::collections::BTreeMap;

use attackdb_kb::{Concept, Dataset, Visibility};
use serde::Serialize;

pub use evaluate::{evaluate_mapping, DocumentScores, MapEvaluation, SentenceScores};
pub use model::MapModel;
pub use text::{html_text, report_text, sentences, Format, MAX_REPORT_BYTES};

/// What every mapping says of itself.
pub const MAP_NOTE: &str = "suggested techniques for an analyst to review: the text was matched against ATT&CK's own procedure examples and descriptions, not read by a person";

/// How a report is mapped.
#[derive(Debug, Clone)]
pub struct MapOptions {
    /// At most this many techniques in the answer.
    pub top: usize,
    /// Techniques below this score (0 to 1) are left out.
    pub min_score: f64,
    /// A sentence whose nearest example is less similar than this describes no technique.
    pub sentence_threshold: f64,
    /// At most this many procedure examples as evidence per technique.
    pub evidence: usize,
    /// At most this many techniques suggested per sentence by the model.
    pub per_sentence: usize,
}

impl Default for MapOptions {
    fn default() -> MapOptions {
        MapOptions {
            top: 20,
            min_score: 0.2,
            sentence_threshold: 0.2,
            evidence: 3,
            // Measured on the evaluation (17.1 -> 18.1 and 15.1 -> 17.1): two per sentence
            // give the documents' best F1 at 10 (0.601 and 0.502; three: 0.592 and 0.498).
            per_sentence: 2,
        }
    }
}

/// A report mapped to techniques.
#[derive(Debug, Clone, Serialize)]
pub struct MapAnswer {
    /// The release it was mapped on.
    pub domain: String,
    /// Its version.
    pub release: String,
    /// What the answer is: suggestions.
    pub note: &'static str,
    /// What the input was read as.
    pub format: Format,
    /// The techniques, best first.
    pub techniques: Vec<MappedTechnique>,
    /// Groups, software and campaigns the text names.
    pub entities: Vec<Entity>,
    /// Every sentence with its offsets (in characters) and techniques.
    pub sentences: Vec<MappedSentence>,
    /// What was changed on the way (revoked IDs replaced, unknown IDs).
    pub notes: Vec<String>,
}

/// One technique of a report.
#[derive(Debug, Clone, Serialize)]
pub struct MappedTechnique {
    /// Its ATT&CK ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// 0 to 1: 1 when the text names it, else how strongly its sentences match its examples.
    pub score: f64,
    /// Whether the text names it (by ID or name).
    pub named: bool,
    /// The sentences that support it.
    pub sentences: Vec<SentenceRef>,
    /// The closest procedure examples or description sentences.
    pub evidence: Vec<Evidence>,
}

/// A sentence, by its place in the text.
#[derive(Debug, Clone, Serialize)]
pub struct SentenceRef {
    /// Its index in `sentences`.
    pub index: usize,
    /// First character.
    pub start: usize,
    /// Past the last character.
    pub end: usize,
    /// The sentence.
    pub text: String,
}

/// An example of ATT&CK close to the report's sentence.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// Who did it (`G0016 APT29`), or empty for a sentence of the technique's description.
    pub source: String,
    /// The example's text.
    pub text: String,
    /// Its similarity to the sentence (0 to 1).
    pub similarity: f64,
}

/// A group, software or campaign the text names.
#[derive(Debug, Clone, Serialize)]
pub struct Entity {
    /// Its ATT&CK ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `group`, `software` or `campaign`.
    pub kind: &'static str,
    /// The name or alias as the text wrote it.
    pub matched: String,
    /// The sentences that name it (indexes).
    pub sentences: Vec<usize>,
}

/// One sentence of the report.
#[derive(Debug, Clone, Serialize)]
pub struct MappedSentence {
    /// First character.
    pub start: usize,
    /// Past the last character.
    pub end: usize,
    /// The sentence.
    pub text: String,
    /// Its techniques, best first.
    pub techniques: Vec<SentenceTechnique>,
}

/// A technique of one sentence.
#[derive(Debug, Clone, Serialize)]
pub struct SentenceTechnique {
    /// Its ATT&CK ID.
    pub id: String,
    /// 0 to 1.
    pub score: f64,
    /// `id`, `name` or `model`.
    pub how: &'static str,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The names the text may use for the release's objects: technique names (for explicit
/// matches) and the names and aliases of groups, software and campaigns (entities).
#[derive(Debug)]
pub(crate) struct Names {
    /// (lowercase name, technique ID).
    pub(crate) techniques: Vec<(String, String)>,
    /// (name as written, ID, name, kind).
    entities: Vec<(String, String, String, &'static str)>,
    /// Finds the technique names in a sentence (ASCII case-insensitive), once [`Names::compile`]d.
    technique_finder: Option<aho_corasick::AhoCorasick>,
    /// Finds the entities' names and aliases (case as written).
    entity_finder: Option<aho_corasick::AhoCorasick>,
}

impl Names {
    /// Makes the finders of the names kept.
    pub(crate) fn compile(&mut self) {
        self.technique_finder = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(self.techniques.iter().map(|(n, _)| n.as_str()))
            .ok();
        self.entity_finder =
            aho_corasick::AhoCorasick::new(self.entities.iter().map(|(n, ..)| n.as_str())).ok();
    }

    /// The technique names (indexes into `techniques`) standing as whole words in `sentence`.
    fn techniques_in(&self, sentence: &str) -> Vec<usize> {
        let Some(finder) = &self.technique_finder else {
            return Vec::new();
        };
        let mut found: Vec<usize> = finder
            .find_overlapping_iter(sentence)
            .filter(|m| whole_word(sentence, m.start(), m.end() - m.start()))
            .map(|m| m.pattern().as_usize())
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The entities (index, byte offset) standing as whole words in `sentence`, each once.
    fn entities_in(&self, sentence: &str) -> Vec<(usize, usize)> {
        let Some(finder) = &self.entity_finder else {
            return Vec::new();
        };
        let mut found: Vec<(usize, usize)> = finder
            .find_overlapping_iter(sentence)
            .filter(|m| whole_word(sentence, m.start(), m.end() - m.start()))
            .map(|m| (m.pattern().as_usize(), m.start()))
            .collect();
        found.sort_unstable();
        found.dedup_by_key(|f| f.0);
        found
    }
}

pub(crate) fn names(dataset: &Dataset) -> Names {
    let mut techniques: Vec<(String, String)> = dataset
        .list_any(
            &[Concept::Technique, Concept::Subtechnique],
            Visibility::LIVE,
        )
        .into_iter()
        .map(|t| {
            (
                dataset.display_name(t).to_lowercase(),
                dataset.display_id(t).to_string(),
            )
        })
        .filter(|(name, _)| name.len() >= 6)
        .collect();
    techniques.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.cmp(b)));
    let mut entities = Vec::new();
    for (concept, kind) in [
        (Concept::Group, "group"),
        (Concept::Software, "software"),
        (Concept::Campaign, "campaign"),
    ] {
        for id in dataset.list(concept, Visibility::LIVE) {
            for name in model::names_of(dataset, id) {
                // Short or lower-case aliases ("at", "page") would match ordinary words.
                if name.len() >= 3 && name.chars().any(|c| c.is_uppercase() || c.is_ascii_digit()) {
                    entities.push((
                        name.to_string(),
                        dataset.display_id(id).to_string(),
                        dataset.display_name(id).to_string(),
                        kind,
                    ));
                }
            }
        }
    }
    entities.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.cmp(b)));
    Names {
        techniques,
        entities,
        technique_finder: None,
        entity_finder: None,
    }
}

/// Whether `hay[at..at + len]` stands as a whole word.
fn whole_word(hay: &str, at: usize, len: usize) -> bool {
    let before = hay[..at].chars().next_back();
    let after = hay[at + len..].chars().next();
    before.is_none_or(|c| !c.is_alphanumeric())
        && after.is_none_or(|c| {
            !c.is_alphanumeric() && c != '.'
                || c == '.' && !hay[at + len + 1..].starts_with(|d: char| d.is_ascii_digit())
        })
}

/// Every place `needle` stands as a whole word in `hay`.
pub(crate) fn find_words(hay: &str, needle: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = hay[from..].find(needle) {
        let start = from + at;
        if whole_word(hay, start, needle.len()) {
            found.push(start);
        }
        from = start + needle.len().max(1);
        if from >= hay.len() {
            break;
        }
    }
    found
}

/// ATT&CK technique IDs written in `text` (`T1059`, `T1059.001`), upper-cased.
fn technique_ids(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i + 5 <= bytes.len() {
        let starts = (bytes[i] == b'T' || bytes[i] == b't')
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
            && bytes[i + 1..i + 5].iter().all(u8::is_ascii_digit);
        if starts {
            let mut end = i + 5;
            if end + 4 <= bytes.len()
                && bytes[end] == b'.'
                && bytes[end + 1..end + 4].iter().all(u8::is_ascii_digit)
            {
                end += 4;
            }
            if end == bytes.len() || !bytes[end].is_ascii_alphanumeric() {
                found.push(text[i..end].to_ascii_uppercase());
                i = end;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// The score of a technique a sentence names (by name; an ID is 1).
/// Measured on the evaluation: a name is weak evidence of its technique (a sentence that says
/// "PowerShell" is often about something done with it: obfuscation, reflective loading), so it
/// weighs just above the default `min_score` (always suggested) and below the model's stronger
/// matches: 0.25 gives sentence top-1 0.601 where 0.7 gave 0.580 (15.1 -> 17.1: 0.539, 0.530).
const NAMED: f64 = 0.25;

/// What a report's sentences say of one technique.
#[derive(Default)]
struct Aggregate {
    /// The sentences' scores combined (1 - the product of 1 - each).
    score: f64,
    /// Whether a sentence names it (by ID or name).
    named: bool,
    /// Whether a sentence writes its ID.
    by_id: bool,
    /// The sentences that support it.
    sentences: Vec<usize>,
    /// Their nearest examples of it, with their similarity.
    docs: Vec<(u32, f32)>,
}

/// The technique that replaces revoked technique `id`, by its ATT&CK ID.
fn replacement(dataset: &Dataset, id: &str) -> Option<String> {
    dataset
        .by_attack_id(id)
        .iter()
        .filter(|&&o| dataset.is_revoked(o))
        .find_map(|&o| dataset.revoking_object(o))
        .map(|o| dataset.display_id(o).to_string())
}

/// Character offset of each byte offset in `text` (for `start`/`end` in characters).
fn char_offsets(text: &str) -> impl Fn(usize) -> usize + '_ {
    move |byte| text[..byte].chars().count()
}

/// Maps `text` (the report `name`, read as `format`) on `dataset` with `model` (built from
/// the same dataset).
pub fn map_text(
    dataset: &Dataset,
    model: &MapModel,
    format: Format,
    text: &str,
    options: &MapOptions,
) -> MapAnswer {
    let names = &model.names;
    let chars = char_offsets(text);
    let spans = sentences(text);
    let mut notes = Vec::new();
    let mut sentences_out = Vec::with_capacity(spans.len());
    // technique index -> what the sentences say of it
    let mut per: BTreeMap<u32, Aggregate> = BTreeMap::new();
    let mut entities: BTreeMap<String, Entity> = BTreeMap::new();
    for (index, span) in spans.iter().enumerate() {
        let sentence = &text[span.start..span.end];
        // This sentence's techniques: (technique, score, how, nearest examples).
        let mut here: Vec<(u32, f64, &'static str, model::Near)> = Vec::new();
        let mut put = |t: u32, score: f64, how: &'static str, docs: &[(u32, f32)]| match here
            .iter_mut()
            .find(|e| e.0 == t)
        {
            Some(e) => {
                e.1 = e.1.max(score);
                if how != "model" {
                    e.2 = how;
                }
                e.3.extend_from_slice(docs);
            }
            None => here.push((t, score, how, docs.to_vec())),
        };
        let ranked = model.rank(sentence);
        let best = ranked.first().map_or(0.0, |r| f64::from(r.1));
        if best >= options.sentence_threshold {
            for (t, score, docs) in ranked.iter().take(options.per_sentence) {
                let score = f64::from(*score);
                if score < options.sentence_threshold * 0.75 {
                    break;
                }
                put(*t, score, "model", docs);
            }
        }
        for id in technique_ids(sentence) {
            let resolved = match model.technique_index(&id) {
                Some(t) => Some(t),
                None => match replacement(dataset, &id) {
                    Some(new) => {
                        notes.push(format!(
                            "{id} is revoked: mapped to {new}, which replaces it"
                        ));
                        model.technique_index(&new)
                    }
                    None => {
                        notes.push(format!(
                            "{id} is not a technique of {} {}",
                            dataset.domain(),
                            dataset.release()
                        ));
                        None
                    }
                },
            };
            if let Some(t) = resolved {
                put(t, 1.0, "id", &[]);
            }
        }
        for found in names.techniques_in(sentence) {
            if let Some(t) = model.technique_index(&names.techniques[found].1) {
                put(t, NAMED, "name", &[]);
            }
        }
        for (found, at) in names.entities_in(sentence) {
            let (name, id, full, kind) = &names.entities[found];
            {
                let entity = entities.entry(id.clone()).or_insert_with(|| Entity {
                    id: id.clone(),
                    name: full.clone(),
                    kind,
                    matched: sentence[at..at + name.len()].to_string(),
                    sentences: Vec::new(),
                });
                if !entity.sentences.contains(&index) {
                    entity.sentences.push(index);
                }
            }
        }
        here.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut found = Vec::with_capacity(here.len());
        for (t, score, how, docs) in here {
            let entry = per.entry(t).or_default();
            entry.score = 1.0 - (1.0 - entry.score) * (1.0 - score);
            entry.named |= how != "model";
            entry.by_id |= how == "id";
            entry.sentences.push(index);
            entry.docs.extend(docs);
            found.push(SentenceTechnique {
                id: model.techniques[t as usize].id.clone(),
                score: round3(score),
                how,
            });
        }
        sentences_out.push(MappedSentence {
            start: chars(span.start),
            end: chars(span.end),
            text: sentence.to_string(),
            techniques: found,
        });
    }
    let mut techniques: Vec<MappedTechnique> = per
        .into_iter()
        .map(
            |(
                t,
                Aggregate {
                    score,
                    named,
                    by_id,
                    sentences: supporting,
                    mut docs,
                },
            )| {
                docs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                docs.dedup_by_key(|d| d.0);
                let technique = &model.techniques[t as usize];
                MappedTechnique {
                    id: technique.id.clone(),
                    name: technique.name.clone(),
                    score: round3(if by_id { 1.0 } else { score }),
                    named,
                    sentences: supporting
                        .iter()
                        .map(|&i| SentenceRef {
                            index: i,
                            start: sentences_out[i].start,
                            end: sentences_out[i].end,
                            text: sentences_out[i].text.clone(),
                        })
                        .collect(),
                    evidence: docs
                        .iter()
                        .take(options.evidence)
                        .map(|&(d, s)| {
                            let e = &model.examples[d as usize];
                            Evidence {
                                source: e.source.clone(),
                                text: e.text.to_string(),
                                similarity: round3(f64::from(s)),
                            }
                        })
                        .collect(),
                }
            },
        )
        .filter(|t| t.score >= options.min_score)
        .collect();
    techniques.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.sentences.len().cmp(&a.sentences.len()))
            .then(a.id.cmp(&b.id))
    });
    techniques.truncate(options.top);
    notes.sort();
    notes.dedup();
    MapAnswer {
        domain: dataset.domain().as_str().to_string(),
        release: dataset.release().to_string(),
        note: MAP_NOTE,
        format,
        techniques,
        entities: entities.into_values().collect(),
        sentences: sentences_out,
        notes,
    }
}

impl MapAnswer {
    /// The answer as a Navigator layer: each technique scored by its confidence (0 to 100), its
    /// supporting sentences as the comment.
    pub fn to_layer(&self, dataset: &Dataset, name: &str) -> attackdb_navigator::Layer {
        let mut layer = crate::common::base_layer(
            dataset,
            name,
            format!("Techniques mapped from {name}. {MAP_NOTE}."),
        );
        layer.techniques = self
            .techniques
            .iter()
            .map(|t| attackdb_navigator::Technique {
                score: Some((t.score * 100.0).round()),
                comment: Some(
                    t.sentences
                        .iter()
                        .map(|s| s.text.as_str())
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                ..attackdb_navigator::Technique::new(&t.id)
            })
            .collect();
        layer
    }

    /// The report as Markdown: the text with each mapped sentence marked and its techniques
    /// after it, then the techniques.
    pub fn to_markdown(&self, name: &str) -> String {
        let mut out = format!("# Techniques in {name}\n\n> {MAP_NOTE}.\n\n");
        out.push_str("| Technique | Name | Score | Sentences |\n|---|---|---|---|\n");
        for t in &self.techniques {
            out.push_str(&format!(
                "| {} | {} | {:.2} | {} |\n",
                t.id,
                crate::common::md_cell(&t.name),
                t.score,
                t.sentences.len()
            ));
        }
        out.push_str("\n## The text\n\n");
        for s in &self.sentences {
            if s.techniques.is_empty() {
                out.push_str(&s.text);
            } else {
                let ids: Vec<String> = s.techniques.iter().map(|t| t.id.clone()).collect();
                out.push_str(&format!(
                    "**{}** _[{}]_",
                    s.text.replace('*', "\\*"),
                    ids.join(", ")
                ));
            }
            out.push_str("\n\n");
        }
        out
    }

    /// The report as an HTML page: the text with its mapped sentences marked.
    pub fn to_html(&self, name: &str) -> String {
        let esc = crate::common::html;
        let mut out = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Techniques in {}</title><style>{}mark{{background:#fff3a8}}</style></head><body><h1>Techniques in {}</h1><p class=\"muted\">{}.</p><table><tr><th>Technique</th><th>Name</th><th>Score</th><th>Sentences</th></tr>",
            esc(name), crate::common::HTML_STYLE, esc(name), esc(MAP_NOTE)
        );
        for t in &self.techniques {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{:.2}</td><td>{}</td></tr>",
                esc(&t.id),
                esc(&t.name),
                t.score,
                t.sentences.len()
            ));
        }
        out.push_str("</table><h2>The text</h2>");
        for s in &self.sentences {
            if s.techniques.is_empty() {
                out.push_str(&format!("<p>{}</p>", esc(&s.text)));
            } else {
                let ids: Vec<String> = s
                    .techniques
                    .iter()
                    .map(|t| format!("{} ({:.2})", t.id, t.score))
                    .collect();
                out.push_str(&format!(
                    "<p><mark>{}</mark> <span class=\"via\">{}</span></p>",
                    esc(&s.text),
                    esc(&ids.join(", "))
                ));
            }
        }
        out.push_str("</body></html>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_ids_are_read_as_written() {
        assert_eq!(
            technique_ids("used T1059.001 and t1003, not T10591 or XT1000."),
            vec!["T1059.001", "T1003"]
        );
        assert_eq!(technique_ids("(T1566)."), vec!["T1566"]);
    }
}
