//! ATT&CK text to safe HTML: `(Citation: Name)` markers become numbered references, the Markdown
//! is rendered by pulldown-cmark, and the HTML is cleaned by ammonia (bundles may come from
//! anyone: no script, no event handler, no `javascript:` link survives). Links to
//! attack.mitre.org are turned into links on this site.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use attackdb_stix::ExternalReference;
use serde::Serialize;

/// The host whose links are served here.
const WEBSITE: &str = "https://attack.mitre.org/";

/// One numbered reference of a page.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Reference {
    /// Its number on the page (from 1).
    pub number: usize,
    /// The citation name (`source_name`).
    pub name: String,
    /// The citation text, if the object gives one.
    pub text: Option<String>,
    /// Its link, when it is an http(s) link.
    pub url: Option<String>,
}

/// The references of one page, numbered in the order they are first cited.
#[derive(Debug, Default)]
pub struct Citations {
    list: Vec<Reference>,
    by_name: HashMap<String, usize>,
}

impl Citations {
    /// The references cited so far, in order.
    pub fn into_list(self) -> Vec<Reference> {
        self.list
    }

    /// The number of the citation `name`, given with the references of the object citing it.
    fn number(&mut self, name: &str, references: &[ExternalReference]) -> usize {
        if let Some(&n) = self.by_name.get(name) {
            return n;
        }
        let found = references.iter().find(|r| &*r.source_name == name);
        let number = self.list.len() + 1;
        self.list.push(Reference {
            number,
            name: name.to_string(),
            text: found.and_then(|r| r.description.as_deref().map(str::to_string)),
            url: found
                .and_then(|r| r.url.as_deref())
                .filter(|u| is_web_link(u))
                .map(str::to_string),
        });
        self.by_name.insert(name.to_string(), number);
        number
    }
}

/// Whether `url` is an http or https link (the only ones made clickable).
pub fn is_web_link(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Renders one ATT&CK text (a description, a procedure example) to safe HTML. Citations are
/// numbered into `citations` from `references` (the external references of the object that
/// holds the text); website links point under `prefix` (`""` or `/versions/v17.1`).
pub fn render(
    text: &str,
    references: &[ExternalReference],
    citations: &mut Citations,
    prefix: &str,
) -> String {
    let marked = mark_citations(text, references, citations);
    let mut html = String::with_capacity(marked.len() + marked.len() / 4);
    let parser = pulldown_cmark::Parser::new_ext(&marked, pulldown_cmark::Options::ENABLE_TABLES);
    pulldown_cmark::html::push_html(&mut html, parser);
    let clean = cleaner().clean(&html).to_string();
    localise_links(&clean, prefix)
}

/// Renders a short text (a name, a citation) with no Markdown: escaped only. Templates escape
/// on their own; this is for text put into HTML built here.
pub fn escape(text: &str) -> String {
    attackdb_kb::markup::escape_markup(text)
}

/// Replaces each `(Citation: Name)` with a superscript link to its numbered reference.
fn mark_citations(
    text: &str,
    references: &[ExternalReference],
    citations: &mut Citations,
) -> String {
    const OPEN: &str = "(Citation:";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        let Some(end) = after.find(')') else { break };
        let name = after[..end].trim();
        out.push_str(&rest[..start]);
        if name.is_empty() {
            out.push_str(&rest[start..start + OPEN.len() + end + 1]);
        } else {
            let n = citations.number(name, references);
            out.push_str(&format!(
                "<sup class=\"cite\"><a href=\"#ref-{n}\" title=\"{}\">[{n}]</a></sup>",
                escape(name)
            ));
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The one sanitiser: what ATT&CK text uses (paragraphs, lists, emphasis, code, tables, links),
/// nothing that runs.
fn cleaner() -> &'static ammonia::Builder<'static> {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut builder = ammonia::Builder::default();
        builder
            .url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some("noopener noreferrer"))
            .add_tag_attributes("sup", ["class"])
            .add_tag_attributes("a", ["title"])
            .add_generic_attributes(["id"])
            .id_prefix(Some("t-"));
        builder
    })
}

/// Turns `https://attack.mitre.org/x` links into `prefix/x` on this site.
fn localise_links(html: &str, prefix: &str) -> String {
    let pattern = format!("href=\"{WEBSITE}");
    if !html.contains(&pattern) {
        return html.to_string();
    }
    html.replace(&pattern, &format!("href=\"{prefix}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(name: &str, url: Option<&str>) -> ExternalReference {
        ExternalReference {
            source_name: name.into(),
            external_id: None,
            url: url.map(Into::into),
            description: Some(format!("{name} text").into()),
        }
    }

    #[test]
    fn citations_are_numbered_once_each_in_order() {
        let refs = [
            reference("A", Some("https://a.example/")),
            reference("B", Some("javascript:alert(1)")),
        ];
        let mut citations = Citations::default();
        let html = render(
            "One.(Citation: B) Two.(Citation: A)(Citation: B)",
            &refs,
            &mut citations,
            "",
        );
        assert!(html.contains("href=\"#ref-1\""), "{html}");
        assert!(html.contains("[2]"), "{html}");
        let list = citations.into_list();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].name, "B");
        assert_eq!(list[0].url, None, "a javascript: link is never a link");
        assert_eq!(list[1].url.as_deref(), Some("https://a.example/"));
    }

    #[test]
    fn nothing_that_runs_survives() {
        let mut citations = Citations::default();
        let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>\n\n\
            A [markdown link](javascript:alert(3)) and <a href=\"JaVaScRiPt:alert(4)\">y</a>\n\n\
            <iframe src=\"https://evil.example\"></iframe><svg onload=alert(5)></svg>\n\n\
            <a href=\"https://attack.mitre.org/techniques/T1059/001\" onclick=\"alert(6)\">ps</a> \
            <p style=\"background:url(javascript:alert(7))\">s</p>";
        let html = render(hostile, &[], &mut citations, "/versions/v17.1").to_lowercase();
        for bad in [
            "<script",
            "onerror",
            "href=\"javascript",
            "<iframe",
            "style=",
            "onload",
            "onclick",
            "<svg",
        ] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
        assert!(
            html.contains("href=\"/versions/v17.1/techniques/t1059/001\""),
            "{html}"
        );
        assert!(
            html.contains("markdown link"),
            "the text of a refused link stays: {html}"
        );
    }

    #[test]
    fn markdown_is_rendered() {
        let mut citations = Citations::default();
        let html = render("A *b* `c`\n\n* one\n* two", &[], &mut citations, "");
        assert!(html.contains("<em>b</em>"), "{html}");
        assert!(html.contains("<code>c</code>"), "{html}");
        assert!(html.contains("<li>one</li>"), "{html}");
    }
}
