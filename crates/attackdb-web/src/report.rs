//! `/map`: a threat report pasted or uploaded, its sentences marked with the techniques they
//! describe, each suggestion to accept or reject, and the accepted set opened on the matrix,
//! attributed, predicted from, or downloaded as a layer. The server maps; this renders.

use attackdb_intel::MapAnswer;
use attackdb_kb::{Dataset, Domain};
use serde::Serialize;

use crate::site::Linker;
use crate::{Query, Site, WebError};

#[derive(Serialize)]
struct Row {
    id: String,
    name: String,
    href: String,
    score: f64,
    named: bool,
    sentences: usize,
    evidence: Option<(String, String)>,
}

#[derive(Serialize)]
struct Marked {
    text: String,
    techniques: Vec<(String, String, f64)>,
}

impl Site {
    /// The form: paste a report or choose a file.
    pub(crate) fn map_form(&self, query: &Query) -> Result<String, WebError> {
        let dataset = self.dataset(query)?;
        self.render(
            "map.html",
            self.nav(None, "", "map"),
            minijinja::context! {
                title => "Map a report",
                form => true,
                domains => Domain::ALL.iter().filter(|d| self.kb.releases(**d).next().is_some())
                    .map(|d| (d.short_name(), d.title())).collect::<Vec<_>>(),
                domain_key => dataset.domain().short_name(),
            },
        )
    }

    /// A mapped report: its techniques to accept or reject, its text with the sentences
    /// marked, and what to do with the accepted set.
    pub fn map_page(
        &self,
        dataset: &Dataset,
        name: &str,
        answer: &MapAnswer,
    ) -> Result<String, WebError> {
        let linker = Linker::new(self.kb, dataset);
        let href = |id: &str| {
            dataset
                .by_attack_id(id)
                .first()
                .and_then(|&o| linker.href(o))
                .unwrap_or_default()
        };
        let rows: Vec<Row> = answer
            .techniques
            .iter()
            .map(|t| Row {
                id: t.id.clone(),
                name: t.name.clone(),
                href: href(&t.id),
                score: t.score,
                named: t.named,
                sentences: t.sentences.len(),
                evidence: t
                    .evidence
                    .first()
                    .map(|e| (e.source.clone(), e.text.clone())),
            })
            .collect();
        let kept: Vec<&str> = answer.techniques.iter().map(|t| t.id.as_str()).collect();
        let marked: Vec<Marked> = answer
            .sentences
            .iter()
            .map(|s| Marked {
                text: s.text.clone(),
                techniques: s
                    .techniques
                    .iter()
                    .filter(|t| kept.contains(&t.id.as_str()))
                    .map(|t| (t.id.clone(), href(&t.id), t.score))
                    .collect(),
            })
            .collect();
        let entities: Vec<(String, String, String, &str)> = answer
            .entities
            .iter()
            .map(|e| (e.id.clone(), e.name.clone(), href(&e.id), e.kind))
            .collect();
        self.render(
            "map.html",
            self.nav(Some(dataset.domain()), "", "map"),
            minijinja::context! {
                title => format!("Techniques in {name}"),
                form => false,
                name,
                note => answer.note,
                notes => &answer.notes,
                rows,
                marked,
                entities,
                accepted => kept.join(","),
                domain_key => dataset.domain().short_name(),
                release => dataset.release().to_string(),
                matrix_href => linker.matrix_href(),
                kept => self.coverage.list().into_iter()
                    .filter(|(_, _, release)| *release == format!("{} {}", dataset.domain().title(), dataset.release()))
                    .collect::<Vec<_>>(),
            },
        )
    }
}
