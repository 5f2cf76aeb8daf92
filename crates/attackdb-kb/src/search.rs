//! Ranked search over names, aliases, ATT&CK IDs and descriptions, and "did you mean" suggestions.

use crate::concept::Visibility;
use crate::dataset::{Dataset, ObjId};
use crate::text::contains_ignore_case;

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The object found.
    pub object: ObjId,
    /// Higher is better.
    pub score: u32,
    /// Where the best match was: `id`, `name`, `alias` or `description`.
    pub matched: &'static str,
}

/// The most distinct words one search matches: each is looked for in every description, so a
/// query of thousands of them (30,000 took 7 minutes) is refused rather than run.
pub const MAX_SEARCH_WORDS: usize = 32;

impl Dataset {
    /// Objects matching every word of `query`, best first. An exact ATT&CK ID, name or alias ranks
    /// highest, then all words in the name, then in aliases, then in the description (more
    /// occurrences rank higher). Ties sort by display ID. A word given twice counts once; more
    /// than [`MAX_SEARCH_WORDS`] distinct words is an [`crate::Error::BadQuery`].
    pub fn search(&self, query: &str, visibility: Visibility) -> crate::Result<Vec<SearchHit>> {
        let phrase = query.trim().to_lowercase();
        let mut words: Vec<&str> = Vec::new();
        for word in phrase.split_whitespace() {
            if !words.contains(&word) {
                words.push(word);
            }
            if words.len() > MAX_SEARCH_WORDS {
                return Err(crate::Error::BadQuery(format!(
                    "the query has more than {MAX_SEARCH_WORDS} distinct words; search with fewer"
                )));
            }
        }
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let mut hits = Vec::new();
        for i in self.load_where(|i| self.concept(i).is_some() && self.shows(visibility, i)) {
            let object = self.object(i);
            let id = object.attack_id().unwrap_or("").to_lowercase();
            let name = object.name.as_deref().unwrap_or("").to_lowercase();
            let aliases: Vec<String> = object.aliases.iter().map(|a| a.to_lowercase()).collect();
            let (score, matched) = if id == phrase {
                (1000, "id")
            } else if name == phrase {
                (900, "name")
            } else if aliases.contains(&phrase) {
                (800, "alias")
            } else if !id.is_empty() && id.starts_with(&phrase) && words.len() == 1 {
                (700, "id")
            } else if words.iter().all(|w| name.contains(w)) {
                (600 - (name.len().min(100) as u32), "name")
            } else if words.iter().all(|w| aliases.iter().any(|a| a.contains(w))) {
                (400, "alias")
            } else {
                let description = object.description.as_deref().unwrap_or("");
                if words.iter().all(|w| contains_ignore_case(description, w)) {
                    let lower = description.to_lowercase();
                    let count: usize = words.iter().map(|w| lower.matches(w).count()).sum();
                    (100 + count.min(99) as u32, "description")
                } else {
                    continue;
                }
            };
            hits.push(SearchHit {
                object: i,
                score,
                matched,
            });
        }
        hits.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then_with(|| self.display_id(a.object).cmp(self.display_id(b.object)))
        });
        Ok(hits)
    }
}
