//! The `attackdb` binary: parse arguments, validate them once, call the libraries, print. Only
//! here do errors become exit codes; a closed pipe (`attackdb ... | head`) ends quietly.

mod cli;
mod cmd;
mod options;
mod progress;
mod render;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

/// Loading a release allocates hundreds of thousands of small strings, from several threads;
/// mimalloc does that markedly faster than the system allocator. Its v2 (the `v2` feature)
/// returns freed memory to the system where v3 keeps it: a cold load of enterprise peaks about
/// 20 MB lower (`scripts/bench/memory.py`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let result = cmd::run(&cli, &mut out).and_then(|()| out.flush().map_err(Into::into));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            drop(out);
            let hint = hint(&error);
            if cli.global.json {
                // One JSON line on stderr, the shape of every REST error.
                let body = serde_json::json!({
                    "code": code(&error),
                    "message": render::message(&one_line(&error)),
                    "hint": hint,
                });
                eprintln!("{body}");
                return ExitCode::FAILURE;
            }
            progress::say("error", &one_line(&error));
            if let Some(hint) = hint {
                progress::say("hint", &hint);
            }
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each said once: a cause whose text the line already
/// holds (a wrapper that repeats its source) is left out.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        // A question's error says all there is (its causes are kept for the hints only).
        if let Some(asked) = cause.downcast_ref::<attackdb_ask::Error>() {
            if !line.contains(&asked.message) {
                if !line.is_empty() {
                    line.push_str(": ");
                }
                line.push_str(&asked.message);
            }
            break;
        }
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The stable code of an error, as REST names it (`not_found`, `bad_parameter`...): the
/// question's, else the knowledge base's, else `error`.
fn code(error: &anyhow::Error) -> &'static str {
    for cause in error.chain() {
        if let Some(asked) = cause.downcast_ref::<attackdb_ask::Error>() {
            return asked.code;
        }
        if let Some(kb) = cause.downcast_ref::<attackdb_kb::Error>() {
            return attackdb_ask::kb_code(kb).1;
        }
    }
    "error"
}

/// A next step for the user, for the errors that have an obvious one.
fn hint(error: &anyhow::Error) -> Option<String> {
    use attackdb_kb::Error as KbError;
    let data_error = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<attackdb_data::Error>());
    if let Some(data_error) = data_error {
        if let attackdb_data::Error::NoData(no_data) = data_error {
            return Some(no_data.hint());
        }
        if let Some(fetch) = data_error.fetch_error() {
            return fetch.hint();
        }
    }
    let kb_error = error.chain().find_map(|cause| {
        cause.downcast_ref::<KbError>().or_else(|| {
            match cause.downcast_ref::<attackdb_data::Error>() {
                Some(attackdb_data::Error::Kb(inner)) => Some(inner),
                _ => None,
            }
        })
    });
    match kb_error? {
        KbError::NotFound { .. } => {
            Some("try `attackdb search WORDS` to find an object by name or description".into())
        }
        KbError::NoDataset { .. } => Some(
            "pass --data with a bundle of that domain and release, or pick one of those loaded"
                .into(),
        ),
        KbError::UnknownRelation { .. } => {
            Some("`attackdb relation --help` lists every family".into())
        }
        KbError::Stix(_) => {
            Some("check the file: attackdb reads STIX 2.0/2.1 bundles as .json or .json.gz".into())
        }
        _ => None,
    }
}
