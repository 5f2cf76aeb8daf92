//! The `attackdb` binary: parse arguments, load data, run one command, print. Only here do errors
//! become exit codes; a closed pipe (`attackdb ... | head`) ends quietly.

mod cli;
mod commands;
mod coverage_cmd;
mod data;
mod data_cmd;
mod diff_cmd;
mod fetch;
mod home;
mod layer_cmd;
mod migrate_cmd;
mod output;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

/// Loading a release allocates hundreds of thousands of small strings, from several threads;
/// mimalloc does that markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let result = commands::run(&cli, &mut out).and_then(|()| out.flush().map_err(Into::into));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            drop(out);
            eprintln!("error: {error:#}");
            if let Some(hint) = hint(&error) {
                eprintln!("hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A next step for the user, for the errors that have an obvious one.
fn hint(error: &anyhow::Error) -> Option<String> {
    use attackdb_kb::Error as KbError;
    if let Some(hint) = error.downcast_ref::<data::NoData>() {
        return Some(hint.hint());
    }
    if let Some(fetch) = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<fetch::FetchError>())
    {
        return fetch.hint();
    }
    match error.downcast_ref::<KbError>()? {
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
