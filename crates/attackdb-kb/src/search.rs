//! Ranked search over names, aliases, ATT&CK IDs and descriptions, and "did you mean" suggestions.

use crate::concept::Visibility;
use crate::dataset::{Dataset, ObjId};
use crate::query::contains_ignore_case;

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

/// Up to `n` candidates closest to `query` (edit distance, with prefix and substring matches
/// first), for "did you mean" messages.
pub(crate) fn closest<'a>(
    query: &str,
    candidates: impl Iterator<Item = &'a str>,
    n: usize,
) -> Vec<String> {
    let query = query.to_lowercase();
    let length = query.chars().count();
    let limit = (length / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .filter_map(|c| {
            let lower = c.to_lowercase();
            let distance =
                if lower.starts_with(&query) || (query.len() >= 4 && lower.contains(&query)) {
                    0
                } else if lower.chars().count().abs_diff(length) > limit {
                    // The distance is at least the difference in length: not within the
                    // limit, and not worth the quadratic count (a 100,000-character query
                    // took 30 s against every name).
                    return None;
                } else {
                    strsim::levenshtein(&query, &lower)
                };
            (distance <= limit).then_some((distance, c))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(n)
        .map(|(_, c)| c.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn closest_prefers_near_spellings() {
        let names = ["t1059.001", "t1059", "t1003", "apt29"];
        assert_eq!(
            super::closest("t1095", names.iter().copied(), 2),
            vec!["t1003".to_string(), "t1059".to_string()]
        );
        assert!(super::closest("zzzzzzzz", names.iter().copied(), 3).is_empty());
    }

    #[test]
    fn a_very_long_query_is_not_compared_character_by_character() {
        // Quadratic edit distances made a 100,000-character `show` take 30 s.
        let names: Vec<String> = (0..5000)
            .map(|i| format!("t{i:04}.{:03}", i % 1000))
            .collect();
        let query = "1".repeat(100_000);
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let found = super::closest(&query, names.iter().map(String::as_str), 3);
            let _ = sender.send(found);
        });
        // A hang guard, not a speed target: it takes milliseconds.
        let found = receiver.recv_timeout(std::time::Duration::from_secs(20));
        assert_eq!(found.ok(), Some(Vec::new()));
    }
}
