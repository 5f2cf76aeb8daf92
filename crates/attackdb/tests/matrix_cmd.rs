//! `attackdb matrix` on the terminal: every line fits `COLUMNS`, and every tactic, technique and
//! sub-technique name is there whole (wrapped, never cut), in its column, checked against
//! `matrix --json`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{attackdb, attackdb_columns, data_dir};

use serde_json::Value;

/// One column as printed: its header and entries (technique or sub-technique), each with its
/// wrapped lines joined and every space taken out (a word broken at a hyphen or in the middle
/// has no space to put back).
#[derive(Debug, Default, PartialEq)]
struct Column {
    header: String,
    entries: Vec<(bool, String)>,
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Splits the printed matrix into its columns, by the `───` runs of each band's rule line.
fn parse(text: &str) -> Vec<Column> {
    let mut columns = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let Some(rule) = (i..lines.len()).find(|&j| lines[j].starts_with('─')) else {
            break;
        };
        // Column spans: each run of `─` in the rule line, in characters.
        let chars: Vec<char> = lines[rule].chars().collect();
        let mut spans = Vec::new();
        let mut start = None;
        for (k, c) in chars.iter().chain([' '].iter()).enumerate() {
            match (c == &'─', start) {
                (true, None) => start = Some(k),
                (false, Some(s)) => {
                    spans.push((s, k));
                    start = None;
                }
                _ => {}
            }
        }
        let cell = |line: &str, (s, e): (usize, usize)| -> String {
            line.chars().skip(s).take(e - s).collect()
        };
        let mut band: Vec<Column> = spans.iter().map(|_| Column::default()).collect();
        for line in &lines[i..rule] {
            for (c, &span) in spans.iter().enumerate() {
                band[c].header.push_str(&squeeze(&cell(line, span)));
            }
        }
        let mut end = rule + 1;
        while end < lines.len() && !lines[end].is_empty() {
            for (c, &span) in spans.iter().enumerate() {
                let text = cell(lines[end], span);
                let entries = &mut band[c].entries;
                if let Some(rest) = text.strip_prefix(" · ") {
                    entries.push((true, squeeze(rest)));
                } else if text.starts_with(' ') {
                    if let Some(last) = entries.last_mut() {
                        last.1.push_str(&squeeze(&text));
                    }
                } else if !text.trim().is_empty() {
                    entries.push((false, squeeze(&text)));
                }
            }
            end += 1;
        }
        columns.extend(band);
        i = end + 1;
    }
    columns
}

/// What `matrix --json` says the columns hold.
fn expected(json: &Value, ids: bool) -> Vec<Column> {
    let label = |o: &Value| {
        let name = o["name"].as_str().unwrap();
        if ids {
            squeeze(&format!("{} {name}", o["id"].as_str().unwrap()))
        } else {
            squeeze(name)
        }
    };
    json.as_array()
        .unwrap()
        .iter()
        .map(|column| {
            let techniques = column["techniques"].as_array().unwrap();
            let mut entries = Vec::new();
            for t in techniques {
                entries.push((false, label(t)));
                for s in t["subtechniques"].as_array().into_iter().flatten() {
                    entries.push((true, label(s)));
                }
            }
            Column {
                header: format!("{}({})", label(&column["tactic"]), techniques.len()),
                entries,
            }
        })
        .collect()
}

fn check(args: &[&str], columns: usize, ids: bool) {
    let Some(data) = data_dir() else {
        return;
    };
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let json: Value = serde_json::from_slice(&attackdb(&data, &json_args).stdout).unwrap();
    let mut text_args = args.to_vec();
    if ids {
        text_args.push("--ids");
    }
    let output = attackdb_columns(&data, &text_args, columns);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for line in text.lines() {
        assert!(
            line.chars().count() <= columns,
            "{args:?} at {columns}: {line:?} is {} wide",
            line.chars().count()
        );
    }
    let want = expected(&json, ids);
    let got = parse(&text);
    assert_eq!(got.len(), want.len(), "{args:?} at {columns}");
    for (got, want) in got.iter().zip(&want) {
        assert_eq!(got, want, "{args:?} at {columns}");
    }
}

#[test]
fn the_enterprise_matrix_fits_every_width_with_every_name_whole() {
    for columns in [40, 80, 100, 137, 250] {
        check(&["matrix", "--subtechniques"], columns, false);
    }
    check(&["matrix", "--subtechniques"], 120, true);
    check(&["matrix", "--platform", "Linux"], 60, true);
}

#[test]
fn the_ics_and_mobile_matrices_fit_too() {
    for columns in [50, 120] {
        check(&["--domain", "ics", "matrix"], columns, false);
        check(
            &["--domain", "mobile", "matrix", "--subtechniques"],
            columns,
            true,
        );
    }
}

#[test]
fn ids_are_shown_with_ids_only() {
    let Some(data) = data_dir() else {
        return;
    };
    let plain = attackdb_columns(&data, &["matrix"], 250);
    let with_ids = attackdb_columns(&data, &["matrix", "--ids"], 250);
    let plain = String::from_utf8(plain.stdout).unwrap();
    let with_ids = String::from_utf8(with_ids.stdout).unwrap();
    assert!(!plain.contains("T1059") && !plain.contains("TA0002"));
    assert!(with_ids.contains("TA0002 Execution (17)"), "{with_ids}");
    assert!(
        with_ids.contains("T1059 Command and Scripting"),
        "{with_ids}"
    );
    // 14 tactics at 250 columns: two bands of seven.
    assert_eq!(plain.lines().filter(|l| l.starts_with('─')).count(), 2);
}
