//! The search page: every object type of every domain, by ID, name, alias or text.

use attackdb_kb::{Concept, Visibility};
use serde::Serialize;

use crate::site::{concept_label, datasets_for, Linker};
use crate::{Query, Site, WebError};

/// The most results shown per domain.
const LIMIT: usize = 100;

#[derive(Serialize)]
struct Hit {
    id: String,
    name: String,
    kind: &'static str,
    href: Option<String>,
    matched: &'static str,
    status: &'static str,
    snippet: String,
}

#[derive(Serialize)]
struct DomainHits {
    domain: &'static str,
    release: String,
    total: usize,
    hits: Vec<Hit>,
}

impl Site {
    pub(crate) fn search_page(&self, query: &Query) -> Result<String, WebError> {
        let q = query.get("q").map(|q| q.trim()).unwrap_or("");
        let kind = query
            .get("kind")
            .filter(|k| !k.is_empty())
            .map(|k| {
                Concept::parse(k).ok_or_else(|| {
                    WebError::BadRequest(format!("`kind={k}`: not a kind of object"))
                })
            })
            .transpose()?;
        let visibility = if query.get("retired").is_some_and(|v| v == "1") {
            Visibility::ALL
        } else {
            Visibility::LIVE
        };
        let mut domains = Vec::new();
        if !q.is_empty() {
            for dataset in datasets_for(self.kb, query.get("version").map(String::as_str))? {
                let linker = Linker::new(self.kb, dataset);
                let found: Vec<_> = dataset
                    .search(q, visibility)?
                    .into_iter()
                    .filter(|h| kind.is_none_or(|k| dataset.concept(h.object) == Some(k)))
                    .collect();
                let hits = found
                    .iter()
                    .take(LIMIT)
                    .map(|h| {
                        let object = dataset.object(h.object);
                        Hit {
                            id: object.attack_id().unwrap_or_default().to_string(),
                            name: dataset.display_name(h.object).to_string(),
                            kind: concept_label(dataset.concept(h.object)),
                            href: linker.href(h.object),
                            matched: h.matched,
                            status: attackdb_kb::status_name(dataset, h.object),
                            snippet: snippet(object.description.as_deref().unwrap_or(""), q),
                        }
                    })
                    .collect();
                domains.push(DomainHits {
                    domain: dataset.domain().title(),
                    release: dataset.release().to_string(),
                    total: found.len(),
                    hits,
                });
            }
        }
        let kinds: Vec<(&str, &str)> = Concept::ALL
            .iter()
            .filter(|c| **c != Concept::Matrix)
            .map(|c| (c.plural(), concept_label(Some(*c))))
            .collect();
        let nav = self.nav(None, q, "search");
        self.render(
            "search.html",
            nav,
            minijinja::context! {
                title => if q.is_empty() { "Search".to_string() } else { format!("Search: {q}") },
                q,
                kind => kind.map(Concept::plural),
                kinds,
                retired => visibility.include_revoked,
                domains,
                total => domains_total(&domains),
            },
        )
    }
}

fn domains_total(domains: &[DomainHits]) -> usize {
    domains.iter().map(|d| d.total).sum()
}

/// About 200 characters of `text` around the first word of `q`, without Markdown links and
/// citations.
fn snippet(text: &str, q: &str) -> String {
    let plain = strip_markup(text);
    let lower = plain.to_lowercase();
    let word = q.split_whitespace().next().unwrap_or("").to_lowercase();
    let at = lower.find(&word).unwrap_or(0);
    let mut start = at.saturating_sub(80);
    while !plain.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + 200).min(plain.len());
    while !plain.is_char_boundary(end) {
        end += 1;
    }
    let mut out = String::new();
    if start > 0 {
        out.push('\u{2026}');
    }
    out.push_str(plain[start..end].trim());
    if end < plain.len() {
        out.push('\u{2026}');
    }
    out
}

/// `[text](url)` to `text`, citations and HTML tags dropped.
fn strip_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("(Citation:") {
            match rest.find(')') {
                Some(end) => rest = &rest[end + 1..],
                None => break,
            }
            continue;
        }
        if c == '<' {
            if let Some(end) = rest.find('>') {
                rest = &rest[end + 1..];
                continue;
            }
        }
        if c == '[' {
            if let Some(close) = rest.find("](") {
                if let Some(end) = rest[close..].find(')') {
                    out.push_str(&rest[1..close]);
                    rest = &rest[close + end + 1..];
                    continue;
                }
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_drop_markup() {
        let text =
            "Adversaries may abuse [PowerShell](https://attack.mitre.org/techniques/T1059/001) \
            commands.(Citation: TechNet PowerShell) <code>x</code>";
        assert_eq!(
            snippet(text, "powershell"),
            "Adversaries may abuse PowerShell commands. x"
        );
    }
}
