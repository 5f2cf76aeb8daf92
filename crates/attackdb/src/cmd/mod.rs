//! One module per command family; [`run`] sends a parsed command line to its family.

mod coverage;
mod data;
mod diff;
mod intel;
mod layer;
mod map;
mod migrate;
mod query;
mod serve;
mod visibility;
mod workspace;

pub use coverage::CoverageArgs;
pub use diff::DiffFormat;
pub use intel::IntelCommand;
pub use layer::{ExportCommand, LayerCommand};
pub use map::MapArgs;
pub use migrate::MigrateCommand;
pub use serve::ServeArgs;
pub use visibility::VisibilityArgs;
pub use workspace::WorkspaceArgs;

use std::io::Write;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::options::Options;

/// Runs the command `cli` names, writing its output to `out`.
pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<()> {
    let options = Options::new(&cli.global)?;
    let result = match &cli.command {
        Command::Data { command } => data::run(command, &options, out),
        Command::Migrate { command } => migrate::run(command, &options, out),
        Command::Layer { command } => layer::run(command, &options, out),
        Command::Export { command } => layer::export(command, &options, out),
        Command::Diff {
            from,
            to,
            format,
            output,
        } => diff::run(from, to, *format, output.as_deref(), &options, out),
        Command::Coverage(args) => coverage::run(args, &options, out),
        Command::Visibility(args) => visibility::run(args, &options, out),
        Command::Map(args) => map::run(args, &options, out),
        Command::Serve(args) => serve::run(args, &options, out),
        Command::Workspace(args) => workspace::run(args, &options, out),
        Command::Intel(command) => intel::run(command, &options, out),
        Command::Stats => query::stats(&options, out),
        Command::Show { query, full } => query::show(query, *full, &options, out),
        Command::List(args) => query::list(args, &options, out),
        Command::Search {
            words,
            include_revoked,
            include_deprecated,
            limit,
        } => query::search(
            &words.join(" "),
            attackdb_kb::Visibility {
                include_revoked: *include_revoked,
                include_deprecated: *include_deprecated,
            },
            *limit,
            &options,
            out,
        ),
        Command::Matrix {
            platform,
            subtechniques,
            ids,
        } => query::matrix(platform.as_deref(), *subtechniques, *ids, &options, out),
        Command::Relation { name, id, direct } => {
            query::relation(name, id.as_deref(), *direct, &options, out)
        }
    };
    options.report_read_problems();
    result
}
