//! Human output: aligned tables whose last column wraps to the terminal, wrapped paragraphs;
//! and JSON output (keys sorted, as serde_json's map sorts them).

use std::io::Write;

use anyhow::Result;
use unicode_width::UnicodeWidthStr;

/// Width to lay text out in: `COLUMNS`, else the terminal's, else 100.
pub fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| terminal_size::terminal_size().map(|(w, _)| w.0 as usize))
        .unwrap_or(100)
        .max(40)
}

/// A table with a header row; columns are aligned, the last one wraps.
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are empty).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Writes the table laid out in `width` columns.
    pub fn write(&self, out: &mut dyn Write, width: usize) -> Result<()> {
        let n = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.width()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(n) {
                widths[i] = widths[i].max(cell.width());
            }
        }
        let fixed: usize = widths[..n - 1].iter().map(|w| w + 2).sum();
        let last = width.saturating_sub(fixed).max(20);
        let has_header = self.headers.iter().any(|h| !h.is_empty());
        let header = has_header.then_some(&self.headers);
        for (index, row) in header.into_iter().chain(&self.rows).enumerate() {
            let cell = |i: usize| row.get(i).map_or("", String::as_str);
            let wrapped = textwrap::wrap(cell(n - 1), last);
            let mut prefix = String::new();
            for (i, w) in widths.iter().enumerate().take(n - 1) {
                let text = cell(i);
                prefix.push_str(text);
                prefix.push_str(&" ".repeat(w - text.width() + 2));
            }
            let first = wrapped.first().map_or("", |l| l.as_ref());
            writeln!(out, "{}", format!("{prefix}{first}").trim_end())?;
            for line in wrapped.iter().skip(1) {
                writeln!(out, "{}{}", " ".repeat(fixed), line)?;
            }
            if index == 0 && has_header {
                let rule: usize = (fixed + widths[n - 1].min(last)).min(width);
                writeln!(out, "{}", "─".repeat(rule))?;
            }
        }
        Ok(())
    }
}

/// Writes `text` wrapped to `width`, each line indented by `indent` spaces.
pub fn paragraph(out: &mut dyn Write, text: &str, width: usize, indent: usize) -> Result<()> {
    let pad = " ".repeat(indent);
    let options = textwrap::Options::new(width.saturating_sub(indent).max(20));
    for source_line in text.lines() {
        if source_line.trim().is_empty() {
            writeln!(out)?;
            continue;
        }
        for line in textwrap::wrap(source_line, &options) {
            writeln!(out, "{pad}{line}")?;
        }
    }
    Ok(())
}

/// Writes `value` as pretty JSON (keys sorted) and a newline.
pub fn json<T: serde::Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> Result<()> {
    out.write_all(attackdb_kb::to_json_pretty(value)?.as_bytes())?;
    Ok(())
}

/// Cuts `text` to at most `max` display columns, ending with `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.width() <= max {
        return text.to_string();
    }
    let mut result = String::new();
    for c in text.chars() {
        if result.width() + 1 >= max {
            break;
        }
        result.push(c);
    }
    result.push('…');
    result
}
