//! Human output: aligned tables whose last column wraps to the terminal, matrices whose columns
//! fit it, wrapped paragraphs; and JSON output (keys sorted, as serde_json's map sorts them).

use std::io::Write;

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
    let wrap = |text: &str, first: &str, rest: &str| -> Vec<String> {
        let options = textwrap::Options::new(column_width)
            .initial_indent(first)
            .subsequent_indent(rest);
        textwrap::wrap(text, options)
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
