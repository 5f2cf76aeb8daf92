//! Text helpers every module of the crate may use, and which use nothing of it: "did you
//! mean" candidates and case-insensitive containment. A leaf: it imports no other module.

/// Returns true if and only if `haystack` contains `needle_lower` (already lower case),
/// ignoring case.
pub(crate) fn contains_ignore_case(haystack: &str, needle_lower: &str) -> bool {
    if haystack.is_ascii() && needle_lower.is_ascii() {
        let needle = needle_lower.as_bytes();
        if needle.is_empty() {
            return true;
        }
        haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    } else {
        haystack.to_lowercase().contains(needle_lower)
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
    use super::*;

    #[test]
    fn closest_prefers_near_spellings() {
        let names = ["t1059.001", "t1059", "t1003", "apt29"];
        assert_eq!(
            closest("t1095", names.iter().copied(), 2),
            vec!["t1003".to_string(), "t1059".to_string()]
        );
        assert!(closest("zzzzzzzz", names.iter().copied(), 3).is_empty());
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
            let found = closest(&query, names.iter().map(String::as_str), 3);
            let _ = sender.send(found);
        });
        // A hang guard, not a speed target: it takes milliseconds.
        let found = receiver.recv_timeout(std::time::Duration::from_secs(20));
        assert_eq!(found.ok(), Some(Vec::new()));
    }

    #[test]
    fn case_insensitive_contains() {
        assert!(contains_ignore_case("Dumps LSASS memory", "lsass"));
        assert!(!contains_ignore_case("Dumps memory", "lsass"));
        assert!(contains_ignore_case("Ünïcode LSASS", "lsass"));
    }
}
