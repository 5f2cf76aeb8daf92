//! A report's bytes to plain text (HTML tags stripped with the text kept in reading order,
//! Markdown and plain text as they are), and the text to sentences with their offsets.

use crate::error::{Error, Result};

/// The largest report read (16 MiB of text).
pub const MAX_REPORT_BYTES: usize = 16 << 20;

/// What a report was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Plain text.
    Text,
    /// Markdown (read as text: its marks do not hide words).
    Markdown,
    /// HTML: tags stripped, script and style left out, blocks as line breaks.
    Html,
}

/// The text of a report (`name` names it in errors).
pub fn report_text(name: &str, bytes: &[u8]) -> Result<(Format, String)> {
    if bytes.len() > MAX_REPORT_BYTES {
        return Err(Error::BadInput {
            what: name.to_string(),
            message: format!(
                "{} bytes is over the {} MiB a report may have",
                bytes.len(),
                MAX_REPORT_BYTES >> 20
            ),
        });
    }
    if bytes.starts_with(b"%PDF") {
        return Err(Error::BadInput {
            what: name.to_string(),
            message: format!("a PDF; give its text (for example `pdftotext {name} -`)"),
        });
    }
    if bytes.contains(&0) {
        return Err(Error::BadInput {
            what: name.to_string(),
            message: "binary data, not a text".to_string(),
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| Error::BadInput {
        what: name.to_string(),
        message: format!("not UTF-8 text (byte {} is not)", e.valid_up_to()),
    })?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(Error::BadInput {
            what: name.to_string(),
            message: "the report is empty".to_string(),
        });
    }
    let head = text
        .trim_start()
        .get(..512.min(text.trim_start().len()))
        .unwrap_or("");
    let lower = head.to_ascii_lowercase();
    let html = lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
        || lower.contains("<body")
        || lower.contains("<p>")
        || lower.contains("<div");
    if html {
        return Ok((Format::Html, html_text(text)));
    }
    let markdown = name.ends_with(".md") || name.ends_with(".markdown");
    Ok((
        if markdown {
            Format::Markdown
        } else {
            Format::Text
        },
        text.replace("\r\n", "\n"),
    ))
}

/// The text of an HTML document in reading order: the content of `script`, `style`,
/// `noscript` and `template` left out, comments dropped, block elements as line breaks,
/// character references decoded.
pub fn html_text(html: &str) -> String {
    const SKIPPED: [&str; 4] = ["script", "style", "noscript", "template"];
    const BLOCKS: [&str; 27] = [
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "td",
        "th",
        "table",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "pre",
        "dt",
        "dd",
        "hr",
        "title",
        "figcaption",
    ];
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..open]));
        rest = &rest[open..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let Some(close) = rest.find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let closing = tag.starts_with('/');
        if !closing && SKIPPED.contains(&name.as_str()) {
            let end = format!("</{name}");
            let lower = rest.to_ascii_lowercase();
            rest = match lower.find(&end) {
                Some(at) => {
                    let after = &rest[at..];
                    after.find('>').map_or("", |gt| &after[gt + 1..])
                }
                None => "",
            };
            continue;
        }
        if BLOCKS.contains(&name.as_str()) {
            out.push('\n');
        } else if name == "td" || name == "th" {
            out.push(' ');
        }
    }
    out.push_str(&decode_entities(rest));
    // Lines of blanks only become one blank line.
    let mut tidy = String::with_capacity(out.len());
    let mut blank = 0;
    for line in out.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !tidy.is_empty() {
            tidy.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        tidy.push_str(&line);
    }
    tidy
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[1..].find(';').map(|e| e + 1).filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                "ndash" => Some('–'),
                "mdash" => Some('—'),
                "rsquo" | "lsquo" => Some('\''),
                "rdquo" | "ldquo" => Some('"'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A sentence: its byte range in the text and its character range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// Past the last byte.
    pub end: usize,
}

/// Words after which a full stop does not end a sentence.
const ABBREVIATIONS: [&str; 16] = [
    "e.g", "i.e", "etc", "vs", "fig", "mr", "mrs", "dr", "inc", "ltd", "co", "no", "u.s", "cf",
    "al", "approx",
];

/// The sentences of `text`: ended by `.`, `!` or `?` before white space and a capital, digit,
/// quote or bracket, or by a blank line or a line that is a heading or list item.
pub fn sentences(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    let push = |spans: &mut Vec<Span>, from: usize, to: usize| {
        let piece = &text[from..to];
        let lead = piece.len() - piece.trim_start().len();
        let trail = piece.len() - piece.trim_end().len();
        if to - trail > from + lead {
            spans.push(Span {
                start: from + lead,
                end: to - trail,
            });
        }
    };
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' {
            // A line break ends a sentence when the next line starts a new block.
            let next = text[i + 1..].trim_start_matches([' ', '\t']);
            let new_block = next.starts_with('\n')
                || next.starts_with("- ")
                || next.starts_with("* ")
                || next.starts_with('#')
                || next.starts_with('|')
                || text[start..i].trim_end().ends_with(':')
                || next.chars().next().is_some_and(|c| c.is_ascii_digit())
                    && next.contains(". ")
                    && next.find(". ") < Some(4);
            if new_block || line_is_heading(&text[start..i]) {
                push(&mut spans, start, i);
                start = i + 1;
            }
            i += 1;
            continue;
        }
        if matches!(b, b'.' | b'!' | b'?') {
            let after = &text[i + 1..];
            let ws = after.len() - after.trim_start_matches([' ', '\t', '\n']).len();
            if ws > 0 {
                let next = after[ws..].chars().next();
                let starts = next.is_some_and(|c| {
                    c.is_uppercase()
                        || c.is_ascii_digit()
                        || matches!(c, '"' | '\'' | '(' | '[' | '“')
                });
                let word: String = text[start..i]
                    .rsplit(|c: char| c.is_whitespace() || c == '(')
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let abbreviation = b == b'.' && ABBREVIATIONS.contains(&word.as_str());
                let initial =
                    b == b'.' && word.chars().count() == 1 && word.chars().all(char::is_alphabetic);
                if (starts || next.is_none()) && !abbreviation && !initial {
                    push(&mut spans, start, i + 1);
                    start = i + 1;
                }
            }
        }
        i += 1;
    }
    push(&mut spans, start, text.len());
    spans
}

/// A line with no full stop that is short and looks like a title (no sentence runs on from it).
fn line_is_heading(line: &str) -> bool {
    let line = line.trim();
    line.starts_with('#')
        || (line.len() < 80
            && !line.is_empty()
            && !line.ends_with(['.', ',', ';'])
            && !line.contains(". ")
            && line.split_whitespace().count() <= 8
            && line.chars().next().is_some_and(char::is_uppercase))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        sentences(text)
            .iter()
            .map(|s| &text[s.start..s.end])
            .collect()
    }

    #[test]
    fn sentences_end_where_a_reader_ends_them() {
        assert_eq!(
            split("APT29 used PowerShell, e.g. to run scripts. Then cmd.exe ran whoami.exe! Next?"),
            vec![
                "APT29 used PowerShell, e.g. to run scripts.",
                "Then cmd.exe ran whoami.exe!",
                "Next?"
            ]
        );
        assert_eq!(
            split("Initial Access\nThe actor sent spearphishing mail with a link.\n\n- It used a loader\n- It dumped LSASS"),
            vec!["Initial Access", "The actor sent spearphishing mail with a link.", "- It used a loader", "- It dumped LSASS"]
        );
        assert_eq!(
            split("Version 1.2 of the tool ran. J. Smith wrote it."),
            vec!["Version 1.2 of the tool ran.", "J. Smith wrote it."]
        );
    }

    #[test]
    fn html_keeps_the_text_in_reading_order() {
        let html = "<html><head><title>T</title><style>p{x}</style></head><body><h1>Report</h1>\
            <p>The actor used <b>PowerShell</b> &amp; <code>cmd.exe</code>.</p><script>var a='<p>';</script>\
            <!-- hidden --><ul><li>Dumped&nbsp;LSASS</li></ul></body></html>";
        assert_eq!(
            html_text(html),
            "T\n\nReport\n\nThe actor used PowerShell & cmd.exe.\n\nDumped LSASS"
        );
    }

    #[test]
    fn bad_reports_are_refused_with_the_reason() {
        assert!(report_text("r.txt", b"")
            .unwrap_err()
            .to_string()
            .contains("empty"));
        assert!(report_text("r.bin", b"ab\0cd")
            .unwrap_err()
            .to_string()
            .contains("binary"));
        assert!(report_text("r.txt", &[0x66, 0xff, 0x66])
            .unwrap_err()
            .to_string()
            .contains("byte 1"));
        assert!(report_text("r.pdf", b"%PDF-1.7")
            .unwrap_err()
            .to_string()
            .contains("pdftotext"));
        let big = vec![b'a'; MAX_REPORT_BYTES + 1];
        assert!(report_text("big.txt", &big)
            .unwrap_err()
            .to_string()
            .contains("16 MiB"));
    }
}
