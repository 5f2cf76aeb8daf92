//! A CSV inventory of rules kept anywhere else: one row per rule with its name, technique IDs
//! (several in one cell, split at `;`, `,`, `|` or spaces), and optionally a tactic, a score, a
//! level and a status.
//!
//! A first row naming the columns (`name`/`rule`, `techniques`/`technique`/`technique_id`,
//! `tactic`, `score`, `level`, `status`; any case) sets their order; without one the columns are
//! name, techniques, tactic, score. A row that cannot be read is reported and skipped.

use std::path::Path;

use crate::rule::{Format, Level, Rule, TechniqueRef};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Techniques,
    Tactic,
    Score,
    Level,
    Status,
    Other,
}

fn column(header: &str) -> Column {
    let key: String = header
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    match key.as_str() {
        "name" | "rule" | "rulename" | "title" | "detection" => Column::Name,
        "technique" | "techniques" | "techniqueid" | "techniqueids" | "attackid" | "attackids"
        | "mitreattackid" | "ids" => Column::Techniques,
        "tactic" | "tactics" => Column::Tactic,
        "score" => Column::Score,
        "level" | "severity" => Column::Level,
        "status" => Column::Status,
        _ => Column::Other,
    }
}

/// Reads a CSV inventory: its rules, and a reason for each row that could not be read.
pub(crate) fn read(path: &Path, text: &str) -> Result<(Vec<Rule>, Vec<String>), String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut columns = vec![
        Column::Name,
        Column::Techniques,
        Column::Tactic,
        Column::Score,
    ];
    let mut rules = Vec::new();
    let mut problems = Vec::new();
    // The csv crate reads a quoted field that is never closed to the end of the file as one
    // cell: the rows from the line where it opens are not rows, and are reported instead.
    let unclosed = unclosed_quote_line(text);
    if let Some(line) = unclosed {
        problems.push(format!(
            "line {line}: a quoted field opens here and is never closed (an unterminated `\"`); the rest of the file is not read"
        ));
    }
    let mut first = true;
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                problems.push(error.to_string());
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if let Some(unclosed) = unclosed {
            // The record holding the unclosed quote starts on or before its line.
            if line + lines_in(&record) >= unclosed {
                break;
            }
        }
        if first {
            first = false;
            let named: Vec<Column> = record.iter().map(column).collect();
            if named.contains(&Column::Techniques) {
                columns = named;
                continue;
            }
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        match row(path, &columns, &record) {
            Ok(rule) => rules.push(rule),
            Err(reason) => problems.push(format!("line {line}: {reason}")),
        }
    }
    if rules.is_empty() && !problems.is_empty() {
        return Err(problems.join("; "));
    }
    Ok((rules, problems))
}

/// How many line breaks the cells of `record` hold (a quoted cell may span lines).
fn lines_in(record: &csv::StringRecord) -> u64 {
    record
        .iter()
        .map(|cell| cell.matches('\n').count() as u64)
        .sum()
}

/// The 1-based line where a quoted field opens that is never closed, if one does: CSV's quoting
/// (a field starting with `"` runs to the next `"` not doubled), with `#` comment lines, as the
/// reader reads it.
fn unclosed_quote_line(text: &str) -> Option<u64> {
    #[derive(PartialEq)]
    enum State {
        RecordStart,
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
        Comment,
    }
    let mut state = State::RecordStart;
    let mut line: u64 = 1;
    let mut opened_at = 0;
    for c in text.chars() {
        state = match (state, c) {
            (State::Comment, '\n') => State::RecordStart,
            (State::Comment, _) => State::Comment,
            (State::RecordStart, '#') => State::Comment,
            (State::RecordStart | State::FieldStart, '"') => {
                opened_at = line;
                State::Quoted
            }
            (State::Quoted, '"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, '"') => State::Quoted,
            (_, '\n') => State::RecordStart,
            (_, ',') => State::FieldStart,
            // Spaces before a quote make it an ordinary character, as the reader has it.
            (_, _) => State::Unquoted,
        };
        if c == '\n' {
            line += 1;
        }
    }
    (state == State::Quoted).then_some(opened_at)
}

fn row(path: &Path, columns: &[Column], record: &csv::StringRecord) -> Result<Rule, String> {
    let cell = |wanted: Column| {
        columns
            .iter()
            .position(|c| *c == wanted)
            .and_then(|i| record.get(i))
            .filter(|s| !s.is_empty())
    };
    let name = cell(Column::Name).ok_or("no rule name")?;
    let techniques = cell(Column::Techniques).ok_or("no technique IDs")?;
    let score = match cell(Column::Score) {
        None => None,
        Some(text) => Some(
            text.parse::<f64>()
                .ok()
                .filter(|s| s.is_finite())
                .ok_or_else(|| format!("score `{text}` is not a number"))?,
        ),
    };
    let mut rule = Rule::new(path.to_path_buf(), Format::Csv, name.to_string());
    rule.status = cell(Column::Status).map(str::to_string);
    if let Some(level) = cell(Column::Level) {
        rule.level =
            Some(Level::parse(level).ok_or_else(|| format!("level `{level}` is not a level"))?);
    }
    let tactics: Vec<String> = cell(Column::Tactic)
        .map(|t| {
            t.split([';', '|'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    for id in techniques
        .split([';', ',', '|', ' ', '\t'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        rule.techniques.push(TechniqueRef {
            id: id.to_string(),
            tactics: tactics.clone(),
            score,
        });
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_10_an_unterminated_quote_is_reported_not_read_as_ids() {
        // The quote on line 3 is never closed: the csv crate reads the rest of the file as one
        // cell, which was one rule with a thousand junk "IDs" and no error.
        let mut text = String::from("name,techniques\nGood,T1059\nBad,\"T1003\n");
        for i in 0..1000 {
            text.push_str(&format!("word{i} T{i}\n"));
        }
        let (rules, problems) = read(Path::new("i.csv"), &text).unwrap_or_default();
        assert_eq!(rules.len(), 1, "{problems:?}");
        assert_eq!(rules[0].name, "Good");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("line 3: a quoted field opens here and is never closed"),
            "{problems:?}"
        );
        // Only the unclosed quote: the whole file unreadable.
        let error = read(Path::new("i.csv"), "name,techniques\nBad,\"T1003").unwrap_err();
        assert!(error.contains("line 2"), "{error}");
        // Quoted fields that close, doubled quotes, quotes inside cells and in comments are fine.
        let fine = "# a \"comment\nname,techniques\n\"Multi\nline \"\"name\"\"\",T1059\nSay \"hi\",T1003\n";
        assert_eq!(unclosed_quote_line(fine), None);
        let (rules, problems) = read(Path::new("i.csv"), fine).unwrap_or_default();
        assert_eq!((rules.len(), problems.len()), (2, 0), "{problems:?}");
    }

    #[test]
    fn headers_order_columns_and_bad_rows_are_reported() {
        let text = "Score,Technique IDs,Rule name,Tactic\n3,T1003.001;T1059,Dump,credential-access\nx,T1,Bad,\n,,Empty,\n";
        let (rules, problems) = read(Path::new("i.csv"), text).unwrap_or_default();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].name, "Dump");
        assert_eq!(rules[0].techniques.len(), 2);
        assert_eq!(rules[0].techniques[0].score, Some(3.0));
        assert_eq!(rules[0].techniques[0].tactics, ["credential-access"]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("line 3: score `x`"), "{problems:?}");
    }

    #[test]
    fn without_headers_columns_are_positional() {
        let (rules, _) = read(Path::new("i.csv"), "Rule A,T1105\n").unwrap_or_default();
        assert_eq!(rules[0].name, "Rule A");
        assert_eq!(rules[0].techniques[0].id, "T1105");
    }
}
