//! Human output: aligned tables whose last column wraps to the terminal, matrices whose columns
//! fit it, wrapped paragraphs; and JSON output (keys sorted, as serde_json's map sorts them).
//!
//! Human output is bounded: a table cell or matrix entry longer than
//! [`Limits::max_cell_chars`] and a paragraph longer than [`Limits::max_text_chars`] are cut,
//! with an ellipsis, so what is printed grows linearly with the input whatever the data holds
//! (`--json` always has the full values).

use std::io::Write;
use std::sync::OnceLock;

use anyhow::Result;
use unicode_width::UnicodeWidthStr;

/// Width to lay text out in: `COLUMNS`, else the terminal's (stdout, stderr or stdin, the first
/// that is one), else 100; at least 40.
pub fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .or_else(|| terminal_size::terminal_size().map(|(w, _)| w.0 as usize))
        .unwrap_or(100)
        .max(40)
}

/// Bounds on human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most characters of a table cell or matrix entry shown (default 10000,
    /// `ATTACKDB_MAX_CELL_CHARS`).
    pub max_cell_chars: usize,
    /// The most characters of a paragraph shown, e.g. a description (default 100000,
    /// `ATTACKDB_MAX_TEXT_CHARS`).
    pub max_text_chars: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_cell_chars: 10_000,
            max_text_chars: 100_000,
        }
    }
}

impl Limits {
    /// `ATTACKDB_MAX_CELL_CHARS` and `ATTACKDB_MAX_TEXT_CHARS` (whole numbers, at least 10),
    /// looked up through `var`; a malformed value is an error naming the variable.
    pub fn from_vars(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Result<Limits> {
        let mut limits = Limits::default();
        for (name, field) in [
            ("ATTACKDB_MAX_CELL_CHARS", &mut limits.max_cell_chars),
            ("ATTACKDB_MAX_TEXT_CHARS", &mut limits.max_text_chars),
        ] {
            if let Some(n) =
                crate::options::number_var(&var, name, 10, crate::options::Unit::Chars)?
            {
                *field = n;
            }
        }
        Ok(limits)
    }
}

static LIMITS: OnceLock<Limits> = OnceLock::new();

/// Sets the limits of this run's human output (once, from the options; later calls are
/// ignored).
pub fn set_limits(limits: Limits) {
    let _ = LIMITS.set(limits);
}

fn limits() -> Limits {
    LIMITS.get().copied().unwrap_or_default()
}

/// A message (an error, warning or note, a problem of a layer) as printed: quoted values of
/// more than 200 characters cut ([`attackdb_kb::stix::clip_quoted_at`]), and the whole at most a
/// table cell ([`Limits::max_cell_chars`]).
pub fn message(text: &str) -> String {
    cut(
        &attackdb_kb::stix::clip_quoted_at(text, 200),
        limits().max_cell_chars,
    )
    .into_owned()
}

/// `text` cut to `max` characters: its first `max - 1` and an ellipsis.
pub fn cut(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(text),
        Some(_) => {
            let keep = text
                .char_indices()
                .nth(max.saturating_sub(1))
                .map_or(text.len(), |(at, _)| at);
            std::borrow::Cow::Owned(format!("{}…", &text[..keep]))
        }
    }
}

/// Columns between table or matrix columns.
const GAP: usize = 2;

/// A table with a header row; columns are aligned, the last one wraps. When the other columns
/// leave the last too little room, the widest of them wrap too, so no line is wider than asked.
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    caps: Vec<(usize, usize)>,
}

impl Table {
    /// A table with these column headers.
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            caps: Vec::new(),
        }
    }

    /// Wraps column `column` (not the last) at `width` columns at most.
    pub fn wrap_at(&mut self, column: usize, width: usize) {
        self.caps.push((column, width));
    }

    /// Adds a row (missing cells are empty; cells longer than [`Limits::max_cell_chars`] are
    /// cut).
    pub fn row(&mut self, cells: Vec<String>) {
        let max = limits().max_cell_chars;
        let cells = cells
            .into_iter()
            .map(|cell| match cut(&cell, max) {
                std::borrow::Cow::Borrowed(_) => cell,
                std::borrow::Cow::Owned(short) => short,
            })
            .collect();
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
        for &(column, cap) in &self.caps {
            if column + 1 < n {
                widths[column] = widths[column].min(cap.max(1));
            }
        }
        // The last column wants 20 columns (or less, when all of it is narrower); the others
        // give way, widest first: first down to their longest word, then to 8 columns, then to
        // 1 (a table too wide for the width even so).
        let last_wanted = widths[n - 1].min(20);
        let fixed_of =
            |widths: &[usize]| -> usize { widths[..n - 1].iter().map(|w| w + GAP).sum() };
        let longest_word: Vec<usize> = (0..n)
            .map(|i| {
                let cells = self.rows.iter().filter_map(|r| r.get(i));
                std::iter::once(&self.headers[i])
                    .chain(cells)
                    .flat_map(|c| c.split_whitespace())
                    .map(UnicodeWidthStr::width)
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for floor in [None, Some(8), Some(1)] {
            while fixed_of(&widths) + last_wanted > width {
                let widest = (0..n - 1)
                    .filter(|&i| widths[i] > floor.unwrap_or(longest_word[i].max(8)))
                    .max_by_key(|&i| widths[i]);
                match widest {
                    Some(i) => widths[i] -= 1,
                    None => break,
                }
            }
        }
        let fixed = fixed_of(&widths);
        let last = width.saturating_sub(fixed).max(last_wanted).max(1);
        let has_header = self.headers.iter().any(|h| !h.is_empty());
        let header = has_header.then_some(&self.headers);
        for (index, row) in header.into_iter().chain(&self.rows).enumerate() {
            let cell = |i: usize| row.get(i).map_or("", String::as_str);
            let wrapped: Vec<Vec<String>> = (0..n)
                .map(|i| {
                    let limit = if i == n - 1 { last } else { widths[i] };
                    let text = cell(i);
                    if i < n - 1 && text.width() <= limit {
                        vec![text.to_string()]
                    } else {
                        textwrap::wrap(text, limit)
                            .into_iter()
                            .map(|l| l.into_owned())
                            .collect()
                    }
                })
                .collect();
            let height = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            for line in 0..height {
                let mut text = String::new();
                for (i, lines) in wrapped.iter().enumerate() {
                    let part = lines.get(line).map_or("", String::as_str);
                    text.push_str(part);
                    if i < n - 1 {
                        text.push_str(&" ".repeat(widths[i] - part.width().min(widths[i]) + GAP));
                    }
                }
                writeln!(out, "{}", text.trim_end())?;
            }
            if index == 0 && has_header {
                let rule: usize = (fixed + widths[n - 1].min(last)).min(width);
                writeln!(out, "{}", "─".repeat(rule))?;
            }
        }
        Ok(())
    }
}

/// One entry of a matrix column: a technique (depth 0) or a sub-technique under it (depth 1).
pub struct MatrixEntry {
    /// The text shown: a name, or an ID and a name.
    pub text: String,
    /// 0 for a technique, 1 for a sub-technique.
    pub depth: usize,
}

/// One matrix column: its header and entries, top to bottom.
pub struct MatrixColumn {
    /// The tactic's header text.
    pub header: String,
    /// Its techniques and sub-techniques.
    pub entries: Vec<MatrixEntry>,
}

/// The narrowest matrix column: how many columns fit in a band is chosen from it.
const MATRIX_MIN_COLUMN: usize = 18;

/// Writes matrix columns side by side in bands that fit `width`: as many columns per band as
/// fit at 18 or more columns each, the bands as even as possible, every column as wide as the
/// band allows. Names wrap (a technique's further lines indented by 2, a sub-technique's
/// written ` · NAME` and indented by 3); nothing is cut.
pub fn matrix(out: &mut dyn Write, columns: &[MatrixColumn], width: usize) -> Result<()> {
    if columns.is_empty() {
        return Ok(());
    }
    let fit = ((width + GAP) / (MATRIX_MIN_COLUMN + GAP)).clamp(1, columns.len());
    let bands = columns.len().div_ceil(fit);
    let per_band = columns.len().div_ceil(bands);
    let column_width = (width.saturating_sub(GAP * (per_band - 1)) / per_band).max(1);
    let max = limits().max_cell_chars;
    let wrap = |text: &str, first: &str, rest: &str| -> Vec<String> {
        let text = cut(text, max);
        let options = textwrap::Options::new(column_width)
            .initial_indent(first)
            .subsequent_indent(rest);
        textwrap::wrap(&text, options)
            .into_iter()
            .map(|l| l.into_owned())
            .collect()
    };
    let line = |texts: &[&str]| -> String {
        let cells: Vec<String> = texts
            .iter()
            .map(|t| format!("{t}{}", " ".repeat(column_width.saturating_sub(t.width()))))
            .collect();
        cells.join(&" ".repeat(GAP)).trim_end().to_string()
    };
    for band in columns.chunks(per_band) {
        let headers: Vec<Vec<String>> = band.iter().map(|c| wrap(&c.header, "", "")).collect();
        let cells: Vec<Vec<String>> = band
            .iter()
            .map(|column| {
                column
                    .entries
                    .iter()
                    .flat_map(|entry| match entry.depth {
                        0 => wrap(&entry.text, "", "  "),
                        _ => wrap(&entry.text, " · ", "   "),
                    })
                    .collect()
            })
            .collect();
        let write_rows = |out: &mut dyn Write, rows: &[Vec<String>]| -> Result<()> {
            let height = rows.iter().map(Vec::len).max().unwrap_or(0);
            for row in 0..height {
                let texts: Vec<&str> = rows
                    .iter()
                    .map(|c| c.get(row).map_or("", String::as_str))
                    .collect();
                writeln!(out, "{}", line(&texts))?;
            }
            Ok(())
        };
        write_rows(out, &headers)?;
        let rule = "─".repeat(column_width);
        writeln!(out, "{}", line(&vec![rule.as_str(); band.len()]))?;
        write_rows(out, &cells)?;
        writeln!(out)?;
    }
    Ok(())
}

/// Writes `text` wrapped to `width`, each line indented by `indent` spaces (cut at
/// [`Limits::max_text_chars`]).
pub fn paragraph(out: &mut dyn Write, text: &str, width: usize, indent: usize) -> Result<()> {
    let text = cut(text, limits().max_text_chars);
    let indent = indent.min(width / 2);
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
    out.write_all(attackdb_kb::answer::to_json_pretty(value)?.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_short_text_and_ends_long_text_with_an_ellipsis() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "ab…");
        assert_eq!(cut("Zürich!", 4), "Zür…");
        assert_eq!(cut("", 1), "");
    }

    #[test]
    fn finding_2_output_is_linear_in_the_input() {
        // A 1 MB cell of words and one of a single word, in a table, a matrix and a paragraph:
        // the output is bounded by the cell limit, not by the cell.
        for huge in ["ab ".repeat(1 << 18), "x".repeat(1 << 20)] {
            let mut table = Table::new(&["ID", "NAME", "TACTICS"]);
            table.row(vec!["T1".into(), huge.clone(), "execution".into()]);
            table.row(vec!["T2".into(), "Short".into(), huge.clone()]);
            let mut out = Vec::new();
            table.write(&mut out, 100).unwrap();
            assert!(out.len() < 400_000, "table: {} bytes", out.len());
            let text = String::from_utf8(out).unwrap();
            assert!(text.contains('…'));
            let columns = vec![MatrixColumn {
                header: huge.clone(),
                entries: vec![MatrixEntry {
                    text: huge.clone(),
                    depth: 1,
                }],
            }];
            let mut out = Vec::new();
            matrix(&mut out, &columns, 100).unwrap();
            assert!(out.len() < 400_000, "matrix: {} bytes", out.len());
            let mut out = Vec::new();
            paragraph(&mut out, &huge, 100, 6).unwrap();
            assert!(out.len() < 200_000, "paragraph: {} bytes", out.len());
        }
    }
}
