//! Technique lists as analysts hand them over: IDs on a command line, a file of IDs (one per line
//! or comma-separated, `#` comments), a Navigator layer, or a CSV file with a technique column.
//! Every entry is either used or reported: revoked IDs are replaced by the end of their
//! `revoked-by` chain (reported), deprecated, unknown and malformed ones are reported and left out.

use std::path::Path;

use attackdb_kb::{Dataset, ObjId, ObjectType};
use serde::Serialize;

use crate::{Error, Result};

/// How a technique list is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListFormat {
    /// Told by the file name (`.json` layer, `.csv`), else by the text (`{` or `[` a layer).
    #[default]
    Auto,
    /// IDs, one per line or separated by commas, semicolons or spaces; `#` starts a comment.
    Ids,
    /// A Navigator layer (or a list of layers); enabled, annotated entries with no score or a
    /// score above 0 count.
    Layer,
    /// CSV with a header naming a technique column (`technique`, `technique_id`, `id`,
    /// `attack_id`...), else the first column holding technique IDs.
    Csv,
}

/// What went wrong with one entry of a technique list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// Revoked: replaced by its replacement (which is used).
    Revoked,
    /// Revoked with no live replacement: left out.
    RevokedWithoutReplacement,
    /// Deprecated: left out.
    Deprecated,
    /// Well-formed but not a technique of this release: left out.
    Unknown,
    /// Not a technique ID: left out.
    Malformed,
    /// Listed more than once: counted once.
    Duplicate,
    /// Entries a layer holds but that do not count (disabled, score 0, not annotated).
    NotCounted,
    /// A problem of a layer file itself (as read by the layer crate).
    Layer,
}

/// One reported entry of a technique list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputProblem {
    /// The entry as written.
    pub input: String,
    /// What is wrong.
    pub kind: ProblemKind,
    /// Where: `line 3`, `row 2`, `argument 1`, a layer's JSON path.
    pub location: String,
    /// For a revoked technique, the technique used instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// The message, one line, lower case.
    pub message: String,
}

/// A technique list: the live techniques it names, in input order without repeats, and every
/// entry that was changed or left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TechniqueList {
    /// ATT&CK IDs of the techniques used.
    pub techniques: Vec<String>,
    /// Every entry that was replaced, merged or left out, in input order.
    pub problems: Vec<InputProblem>,
    /// The techniques used, as objects of the dataset.
    #[serde(skip)]
    pub objects: Vec<ObjId>,
}

impl TechniqueList {
    /// Adds the entries of `other` (duplicates counted once, reported).
    pub fn extend(&mut self, dataset: &Dataset, other: TechniqueList) {
        self.problems.extend(other.problems);
        for (object, id) in other.objects.into_iter().zip(other.techniques) {
            if self.objects.contains(&object) {
                self.problems.push(InputProblem {
                    input: id.clone(),
                    kind: ProblemKind::Duplicate,
                    location: "input".to_string(),
                    replacement: None,
                    message: format!("{id} is listed more than once: counted once"),
                });
            } else {
                self.objects.push(object);
                self.techniques.push(dataset.display_id(object).to_string());
            }
        }
    }

    /// The problems as one line each (`line 3: T9999: unknown technique ...`).
    pub fn problem_lines(&self) -> Vec<String> {
        self.problems
            .iter()
            .map(|p| format!("{}: {}", p.location, p.message))
            .collect()
    }

    fn add(&mut self, dataset: &Dataset, written: &str, location: &str, report_duplicates: bool) {
        match resolve_technique(dataset, written) {
            Resolved::Live(object) => {
                self.push(dataset, object, written, location, report_duplicates)
            }
            Resolved::Replaced(old, new) => {
                let message = format!(
                    "{} is revoked: replaced by {} {}",
                    dataset.display_id(old),
                    dataset.display_id(new),
                    dataset.display_name(new)
                );
                self.problems.push(InputProblem {
                    input: written.to_string(),
                    kind: ProblemKind::Revoked,
                    location: location.to_string(),
                    replacement: Some(dataset.display_id(new).to_string()),
                    message,
                });
                self.push(dataset, new, written, location, false);
            }
            Resolved::Problem(kind, message) => self.problems.push(InputProblem {
                input: written.to_string(),
                kind,
                location: location.to_string(),
                replacement: None,
                message,
            }),
        }
    }

    fn push(
        &mut self,
        dataset: &Dataset,
        object: ObjId,
        written: &str,
        location: &str,
        report_duplicates: bool,
    ) {
        if self.objects.contains(&object) {
            if report_duplicates {
                self.problems.push(InputProblem {
                    input: written.to_string(),
                    kind: ProblemKind::Duplicate,
                    location: location.to_string(),
                    replacement: None,
                    message: format!(
                        "{} is listed more than once: counted once",
                        dataset.display_id(object)
                    ),
                });
            }
            return;
        }
        self.objects.push(object);
        self.techniques.push(dataset.display_id(object).to_string());
    }
}

enum Resolved {
    Live(ObjId),
    Replaced(ObjId, ObjId),
    Problem(ProblemKind, String),
}

/// `t1059.001`, ` T1059.001 `, `"T1059.001"`, `attack.t1059.001` -> `T1059.001`.
fn normalize(written: &str) -> String {
    let trimmed = written.trim().trim_matches(['"', '\'']).trim();
    let upper = trimmed.to_ascii_uppercase();
    upper
        .strip_prefix("ATTACK.")
        .map_or(upper.clone(), str::to_string)
}

fn resolve_technique(dataset: &Dataset, written: &str) -> Resolved {
    let id = normalize(written);
    if !attackdb_navigator::is_technique_id(&id) {
        return Resolved::Problem(
            ProblemKind::Malformed,
            format!(
                "`{}` is not a technique ID (T1234 or T1234.567): left out",
                written.trim()
            ),
        );
    }
    let Some(object) = dataset.by_attack_id_typed(&id, &[ObjectType::AttackPattern]) else {
        return Resolved::Problem(
            ProblemKind::Unknown,
            format!(
                "{id} is not a technique of {} {}: left out",
                dataset.domain(),
                dataset.release()
            ),
        );
    };
    if dataset.is_live(object) {
        return Resolved::Live(object);
    }
    if dataset.is_revoked(object) {
        return match dataset.revoking_object(object) {
            Some(new)
                if dataset.is_live(new) && dataset.is_kind(new, &[ObjectType::AttackPattern]) =>
            {
                Resolved::Replaced(object, new)
            }
            _ => Resolved::Problem(
                ProblemKind::RevokedWithoutReplacement,
                format!("{id} is revoked and has no live replacement: left out"),
            ),
        };
    }
    Resolved::Problem(
        ProblemKind::Deprecated,
        format!(
            "{id} ({}) is deprecated, with no replacement: left out",
            dataset.display_name(object)
        ),
    )
}

/// The techniques named by `ids` (command-line arguments; each may hold several IDs separated
/// by commas, semicolons or spaces).
pub fn parse_technique_ids(dataset: &Dataset, ids: &[String]) -> TechniqueList {
    let mut list = TechniqueList::default();
    for (i, argument) in ids.iter().enumerate() {
        for token in tokens(argument) {
            list.add(dataset, token, &format!("argument {}", i + 1), true);
        }
    }
    list
}

fn tokens(text: &str) -> impl Iterator<Item = &str> + '_ {
    text.split([',', ';', ' ', '\t', '\r', '\n'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The techniques of `text`, written in `format`; `name` (a file name or `input`) tells
/// [`ListFormat::Auto`] the format by its extension and names the input in errors. Fails only
/// when the text cannot be read as its format at all (a layer that is not JSON, a CSV with no
/// technique column).
pub fn parse_technique_text(
    dataset: &Dataset,
    text: &str,
    format: ListFormat,
    name: &str,
) -> Result<TechniqueList> {
    match detect(format, text, name) {
        ListFormat::Layer => parse_layer(dataset, text, name),
        ListFormat::Csv => parse_csv(dataset, text, name),
        _ => Ok(parse_id_lines(dataset, text)),
    }
}

/// Reads the file at `path` and parses it as [`parse_technique_text`] does.
pub fn read_technique_file(
    dataset: &Dataset,
    path: &Path,
    format: ListFormat,
) -> Result<TechniqueList> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
    parse_technique_text(dataset, &text, format, &path.display().to_string())
}

fn detect(format: ListFormat, text: &str, name: &str) -> ListFormat {
    if format != ListFormat::Auto {
        return format;
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".json") {
        ListFormat::Layer
    } else if lower.ends_with(".csv") {
        ListFormat::Csv
    } else if text.trim_start().starts_with(['{', '[']) {
        ListFormat::Layer
    } else {
        ListFormat::Ids
    }
}

fn parse_id_lines(dataset: &Dataset, text: &str) -> TechniqueList {
    let mut list = TechniqueList::default();
    for (number, line) in text.lines().enumerate() {
        let content = line.split('#').next().unwrap_or("");
        for token in tokens(content) {
            list.add(dataset, token, &format!("line {}", number + 1), true);
        }
    }
    list
}

fn parse_layer(dataset: &Dataset, text: &str, name: &str) -> Result<TechniqueList> {
    let file = attackdb_navigator::read_layers(text).map_err(|e| Error::BadInput {
        what: name.to_string(),
        message: e.to_string(),
    })?;
    let mut list = TechniqueList::default();
    for read in &file.layers {
        for problem in read.errors() {
            list.problems.push(InputProblem {
                input: String::new(),
                kind: ProblemKind::Layer,
                location: problem.path.clone(),
                replacement: None,
                message: problem.message.clone(),
            });
        }
        let mut not_counted: Vec<String> = Vec::new();
        for (i, entry) in read.layer.techniques.iter().enumerate() {
            let counts = entry.enabled != Some(false)
                && entry.is_annotated()
                && entry.score.is_none_or(|s| s > 0.0);
            if !counts {
                if !not_counted.contains(&entry.technique_id) {
                    not_counted.push(entry.technique_id.clone());
                }
                continue;
            }
            let location = format!("{}.techniques[{i}]", read.path);
            list.add(dataset, &entry.technique_id, &location, false);
        }
        not_counted.retain(|id| {
            let normalized = normalize(id);
            !list.techniques.contains(&normalized)
        });
        if !not_counted.is_empty() {
            list.problems.push(InputProblem {
                input: not_counted.join(", "),
                kind: ProblemKind::NotCounted,
                location: format!("{}.techniques", read.path),
                replacement: None,
                message: format!(
                    "{} entries left out: disabled, scored 0 or not annotated ({})",
                    not_counted.len(),
                    not_counted.join(", ")
                ),
            });
        }
    }
    Ok(list)
}

/// Names a header cell may give the technique column (lower case, letters and digits only).
const TECHNIQUE_HEADERS: [&str; 10] = [
    "technique",
    "techniqueid",
    "techniques",
    "techniqueids",
    "attackid",
    "attacktechnique",
    "mitreattackid",
    "mitreid",
    "id",
    "ttp",
];

fn parse_csv(dataset: &Dataset, text: &str, name: &str) -> Result<TechniqueList> {
    let rows = csv_rows(text);
    let header_key = |cell: &str| -> String {
        cell.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let first = rows.first().map(Vec::as_slice).unwrap_or(&[]);
    let named = TECHNIQUE_HEADERS
        .iter()
        .find_map(|wanted| first.iter().position(|c| header_key(c) == *wanted));
    let (column, skip) = match named {
        Some(column) => (column, 1),
        None => {
            let found = rows.iter().find_map(|row| {
                row.iter()
                    .position(|cell| !technique_ids_in(cell).is_empty())
            });
            match found {
                Some(column) => {
                    let header = first
                        .get(column)
                        .is_some_and(|c| technique_ids_in(c).is_empty());
                    (column, usize::from(header))
                }
                None => {
                    return Err(Error::BadInput {
                        what: name.to_string(),
                        message: "no technique column: no header names one (technique, \
                                  technique_id, id, attack_id) and no column holds technique IDs"
                            .to_string(),
                    })
                }
            }
        }
    };
    let mut list = TechniqueList::default();
    for (number, row) in rows.iter().enumerate().skip(skip) {
        let Some(cell) = row.get(column).map(|c| c.trim()) else {
            continue;
        };
        if cell.is_empty() {
            continue;
        }
        let location = format!("row {}", number + 1);
        let ids = technique_ids_in(cell);
        if ids.is_empty() {
            list.add(dataset, cell, &location, true);
        }
        for id in ids {
            list.add(dataset, id, &location, true);
        }
    }
    Ok(list)
}

/// The substrings of `cell` shaped like technique IDs (`T1234`, `T1234.567`, any case).
fn technique_ids_in(cell: &str) -> Vec<&str> {
    let bytes = cell.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let digits = |from: usize, n: usize| {
            bytes.len() >= from + n && bytes[from..from + n].iter().all(u8::is_ascii_digit)
        };
        if starts_word && matches!(bytes[i], b'T' | b't') && digits(i + 1, 4) {
            let mut end = i + 5;
            if bytes.get(end) == Some(&b'.') && digits(end + 1, 3) {
                end += 4;
            }
            if bytes.get(end).is_none_or(|b| !b.is_ascii_alphanumeric()) {
                found.push(&cell[i..end]);
                i = end;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// Rows of a CSV text: fields separated by commas, `"` quoting (with `""` inside), CRLF or LF.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_split_with_quotes() {
        let rows = csv_rows("a,\"b, c\",\"say \"\"hi\"\"\"\r\nd,e,f\n");
        assert_eq!(
            rows,
            vec![
                vec![
                    "a".to_string(),
                    "b, c".to_string(),
                    "say \"hi\"".to_string()
                ],
                vec!["d".to_string(), "e".to_string(), "f".to_string()]
            ]
        );
    }

    #[test]
    fn technique_ids_are_found_in_cells() {
        assert_eq!(
            technique_ids_in("T1059.001 - PowerShell; t1003"),
            vec!["T1059.001", "t1003"]
        );
        assert!(technique_ids_in("XT1059 T12345").is_empty());
    }

    #[test]
    fn ids_are_normalized() {
        assert_eq!(normalize(" attack.t1059.001 "), "T1059.001");
        assert_eq!(normalize("\"T1003\""), "T1003");
    }
}
