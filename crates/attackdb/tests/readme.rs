//! Every command of the README that needs only `../shared` runs as written and succeeds.
//!
//! The commands are read from the README's `sh` blocks, in order, and run in a fresh folder
//! beside a `shared` link (so `../shared/...` means what it says), with `ATTACKDB_DATA` naming the
//! real releases (the README's first steps put them in the data home; here they are read in
//! place) and a data home of its own. Files a command writes are there for the commands after
//! it. Commands that need what a test cannot have are left out, each for a reason checked
//! below: the network (`data fetch`, `data update`, `data releases`), a server that runs until
//! stopped (`serve`), and files of the user's own (`my-layer.json`, `rules/`...); the list of
//! those left out is asserted exactly, so a new README command is either run or named here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

/// The README's commands: `attackdb ...` lines of its `sh` blocks, comments dropped.
fn readme_commands() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let mut commands = Vec::new();
    let mut in_sh = false;
    for line in readme.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_sh = trimmed == "```sh";
            continue;
        }
        if !in_sh || !trimmed.starts_with("attackdb ") {
            continue;
        }
        // A shell comment: `#` after a space.
        let command = match trimmed.find(" #") {
            Some(at) => trimmed[..at].trim_end(),
            None => trimmed,
        };
        commands.push(command.to_string());
    }
    commands
}

/// Splits a command line as a shell would for these lines: spaces, and double quotes.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            ' ' if !quoted => {
                if started {
                    out.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(word);
    }
    out
}

/// Options whose value is a file the command writes.
const OUTPUTS: &[&str] = &["-o", "--output", "--layer", "--report"];

/// Why a command cannot run here, if it cannot.
fn left_out(args: &[String], work: &Path) -> Option<String> {
    // The command word: the first one that is neither a global option nor its value.
    let is_option_value =
        |i: usize| i > 0 && matches!(args[i - 1].as_str(), "--data" | "--domain" | "--release");
    let mut command = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with('-') && !is_option_value(*i));
    match command.next().map(|(i, a)| (i, a.as_str())) {
        Some((_, "serve")) => return Some("runs until stopped".into()),
        Some((i, "data"))
            if matches!(
                args.get(i + 1).map(String::as_str),
                Some("fetch" | "update" | "releases")
            ) =>
        {
            return Some("needs MITRE's servers".into())
        }
        _ => {}
    }
    if args.iter().any(|a| a.starts_with("/media/")) {
        return Some("needs a USB copy".into());
    }
    let mut previous = "";
    for arg in args {
        let is_output = OUTPUTS.contains(&previous);
        previous = arg;
        let looks_like_file = arg.contains('/')
            || [
                ".json", ".csv", ".txt", ".yml", ".yaml", ".toml", ".md", ".html",
            ]
            .iter()
            .any(|e| arg.ends_with(e));
        if is_output || !looks_like_file || arg.starts_with('-') {
            continue;
        }
        if !work.join(arg).exists() {
            return Some(format!("needs the user's {arg}"));
        }
    }
    None
}

#[test]
fn every_readme_command_that_needs_only_shared_runs() {
    let Some(data) = common::data_dir() else {
        return;
    };
    let Some(shared) = common::shared() else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let work = root.path().join("work");
    std::fs::create_dir(&work).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&shared, root.path().join("shared")).unwrap();
    let home = root.path().join("home");
    let mut ran = Vec::new();
    let mut skipped = Vec::new();
    let mut failed = Vec::new();
    for line in readme_commands() {
        let args: Vec<String> = words(&line).into_iter().skip(1).collect();
        if let Some(reason) = left_out(&args, &work) {
            skipped.push((line, reason));
            continue;
        }
        for (i, arg) in args.iter().enumerate() {
            if i > 0 && OUTPUTS.contains(&args[i - 1].as_str()) && arg.ends_with('/') {
                std::fs::create_dir_all(work.join(arg)).unwrap();
            }
        }
        let output = Command::new(env!("CARGO_BIN_EXE_attackdb"))
            .args(&args)
            .current_dir(&work)
            .env("ATTACKDB_DATA", &data)
            .env("ATTACKDB_HOME", &home)
            .env("COLUMNS", "100")
            .output()
            .unwrap();
        if output.status.success() {
            ran.push(line);
        } else {
            failed.push(format!(
                "{line}: {:?}\n{}",
                output.status.code(),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    let skipped_lines: Vec<&str> = skipped.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        skipped_lines,
        [
            "attackdb data fetch",
            "attackdb data releases",
            "attackdb data fetch --domain ics --release all",
            "attackdb data fetch --domain enterprise --release 15.1",
            "attackdb data update",
            "attackdb data fetch --index /media/usb/attack-stix-data --release all",
            "attackdb layer validate my-layer.json",
            "attackdb layer upgrade old-layer.json -o new.json",
            "attackdb layer combine --expr \"a > 0 and b == 0\" apt29.json apt28.json --comments-from a -o only29.json",
            "attackdb layer combine --op intersection apt29.json apt28.json -o both.json",
            "attackdb coverage rules/ --json",
            "attackdb coverage rules/ --groups G0016 G0007 --top 30",
            "attackdb coverage rules/ --groups G0016 --with-software",
            "attackdb coverage rules/ --groups --report gaps.md",
            "attackdb coverage rules/ --platform Linux --score weighted --layer coverage.json --report coverage.html",
            "attackdb coverage detections/ inventory.csv --fail-under 40",
            "attackdb migrate layer old-layer.json --to 18.1 -o new-layer.json --report review.md",
            "attackdb attribute --layer observed.json --from iocs.txt",
            "attackdb map report.html",
            "attackdb map report.txt --json --layer report-layer.json",
            "attackdb map advisory.md --format html -o marked.html",
            "attackdb --data ../shared/attack-stix-data serve --listen 127.0.0.1:8080",
            "attackdb --data ../shared/attack-stix-data serve --rules ../shared/corpora/sigma",
            "attackdb --data ../shared/attack-stix-data serve --database postgres://attackdb:secret@db.internal/attackdb --listen 0.0.0.0:8080",
        ],
        "the commands left out changed: {skipped:#?}"
    );
    assert!(
        ran.len() >= 40,
        "only {} README commands ran: {ran:#?}",
        ran.len()
    );
}
