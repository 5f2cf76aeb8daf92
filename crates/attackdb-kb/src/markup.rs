//! Text made safe in markup: the one HTML and XML escape every renderer uses.

/// `text` made safe in XML and HTML text and attribute values: the five special characters as
/// references (the quote as `&#39;`, which both know), control characters XML forbids dropped.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// ATT&CK's text (a description, a procedure example) made for a terminal, and the references
/// its citations name, numbered by first use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TerminalText {
    /// The text: `(Citation: Name)` as `[n]`, `<code>x</code>` as `` `x` ``, `<br>` as a line
    /// break, a Markdown link `[text](url)` as its text.
    pub text: String,
    /// `[n]`'s reference: `Name. Its citation text. url` (the name alone when the object does
    /// not carry it).
    pub references: Vec<String>,
}

/// `text` made for a terminal with the citations resolved against `references` (the object's
/// `external_references`). A `<code>` that is never closed (ATT&CK has `<code>~/.zshrc<code>`)
/// is closed at the next code tag or at the end of the paragraph.
pub fn terminal_text(text: &str, references: &[attackdb_stix::ExternalReference]) -> TerminalText {
    const CITATION: &str = "(Citation:";
    let mut out = TerminalText::default();
    let mut names: Vec<String> = Vec::new();
    let mut rest = text;
    let mut in_code = false;
    while !rest.is_empty() {
        if rest.starts_with(CITATION) {
            if let Some(close) = rest.find(')') {
                let name = rest[CITATION.len()..close].trim();
                let number = match names.iter().position(|n| n == name) {
                    Some(at) => at + 1,
                    None => {
                        names.push(name.to_string());
                        names.len()
                    }
                };
                out.text.push_str(&format!("[{number}]"));
                rest = &rest[close + 1..];
                continue;
            }
        }
        if tag(rest, "<code>") {
            out.text.push('`');
            in_code = !in_code;
            rest = &rest["<code>".len()..];
            continue;
        }
        if tag(rest, "</code>") {
            if in_code {
                out.text.push('`');
                in_code = false;
            }
            rest = &rest["</code>".len()..];
            continue;
        }
        if let Some(br) = ["<br>", "<br/>", "<br />"]
            .into_iter()
            .find(|t| tag(rest, t))
        {
            out.text.push('\n');
            rest = &rest[br.len()..];
            continue;
        }
        if rest.starts_with('[') {
            if let Some((label, after)) = markdown_link(rest) {
                out.text.push_str(label);
                rest = after;
                continue;
            }
        }
        let Some(c) = rest.chars().next() else { break };
        if c == '\n' && in_code {
            out.text.push('`');
            in_code = false;
        }
        out.text.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if in_code {
        out.text.push('`');
    }
    out.references = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let found = references.iter().find(|r| &*r.source_name == name.as_str());
            let mut line = format!("[{}] {name}", i + 1);
            if let Some(description) = found.and_then(|r| r.description.as_deref()) {
                if description != name.as_str() {
                    line.push_str(". ");
                    line.push_str(description.trim());
                }
            }
            if let Some(url) = found.and_then(|r| r.url.as_deref()) {
                line.push(' ');
                line.push_str(url);
            }
            line
        })
        .collect();
    out
}

/// Whether `text` starts with the ASCII `tag`, ignoring case.
fn tag(text: &str, tag: &str) -> bool {
    text.as_bytes()
        .get(..tag.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(tag.as_bytes()))
}

/// `[label](url)` at the start of `text`: the label and what follows the link.
fn markdown_link(text: &str) -> Option<(&str, &str)> {
    let close = text.find("](")?;
    let label = &text[1..close];
    if label.contains(['[', '\n']) {
        return None;
    }
    let after = &text[close + 2..];
    let end = after.find(')')?;
    if after[..end].contains([' ', '\n']) {
        return None;
    }
    Some((label, &after[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(name: &str, description: &str, url: &str) -> attackdb_stix::ExternalReference {
        attackdb_stix::ExternalReference {
            source_name: name.into(),
            external_id: None,
            url: Some(url.into()),
            description: Some(description.into()),
        }
    }

    #[test]
    fn citations_are_numbered_references_and_code_is_marked() {
        let refs = [
            reference("A", "Alpha. (2020).", "https://a.example"),
            reference("B", "Beta.", "https://b.example"),
        ];
        let text = terminal_text(
            "Run <code>reg add HKLM\\</code> now.(Citation: B) See [Shell](https://attack.mitre.org/techniques/T1059/).(Citation: A)(Citation: B)",
            &refs,
        );
        assert_eq!(text.text, "Run `reg add HKLM\\` now.[1] See Shell.[2][1]");
        assert_eq!(
            text.references,
            [
                "[1] B. Beta. https://b.example",
                "[2] A. Alpha. (2020). https://a.example"
            ]
        );
    }

    #[test]
    fn an_unclosed_code_ends_with_its_paragraph() {
        let text = terminal_text("uses <code>~/.zshrc<code> to set\n\nnext <code>x", &[]);
        assert_eq!(text.text, "uses `~/.zshrc` to set\n\nnext `x`");
    }
}
