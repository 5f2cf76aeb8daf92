//! `migrate layer` and `migrate rules`: carry a layer, or check rule files, to another release,
//! reading the releases between (what a technique or tactic became).

use std::path::PathBuf;

use attackdb_coverage::ReferenceReport;
use attackdb_kb::{Dataset, Domain};
use attackdb_navigator::migrate::{self, MigrateFileError};
use attackdb_navigator::{Layer, LayerFile, MigrationReport, ProblemAnswer};
use serde::{Deserialize, Serialize};

use crate::coverage::{parse_format, read_rules};
use crate::error::{Error, Result};
use crate::scope::{required_release, Library, Noted, Scope};

/// `migrate layer FILE --to X.Y`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MigrateLayerRequest {
    /// The release to carry the layer to.
    pub to: Option<String>,
    /// The release the layer was made for (default: its `versions.attack`).
    pub from: Option<String>,
}

/// A layer file carried to a release.
#[derive(Debug, Clone)]
pub struct Migrated {
    /// The migrated layers, in file order.
    pub layers: Vec<Layer>,
    /// Whether the file was a list.
    pub is_list: bool,
    /// The domains of its layers.
    pub domains: Vec<Domain>,
    /// Every decision, with its tactic, target and detail, and the file's warnings.
    pub report: MigrationReport,
}

/// Answers `migrate layer`: every layer of `file` (named `source`; the output named `output`
/// in the report) carried to release `to` of its domain. A file with an invalid layer is
/// refused; its warnings are kept in the report.
pub fn migrate_layer<L: Library + ?Sized>(
    library: &L,
    file: &LayerFile,
    source: &str,
    output: &str,
    request: &MigrateLayerRequest,
) -> Result<Migrated> {
    let to = required_release("to", request.to.as_deref())?;
    let domains = migrate::layer_domains(file).map_err(|e| prefixed(source, e.into()))?;
    let kb = library.every_release(&domains)?;
    let migration =
        migrate::migrate_file(file, kb, &to, request.from.as_deref()).map_err(|e| match e {
            MigrateFileError::Kb(error) => Error::from(error),
            MigrateFileError::Layer(error) => prefixed(source, error.into()),
        })?;
    let mut report = MigrationReport::new(
        source,
        output,
        to.as_str(),
        migration.sources,
        &migration.decisions,
    );
    report.problems = migration.warnings.iter().map(ProblemAnswer::of).collect();
    Ok(Migrated {
        layers: migration.layers,
        is_list: file.is_list,
        domains,
        report,
    })
}

/// `error` with `source` named first.
fn prefixed(source: &str, mut error: Error) -> Error {
    error.message = format!("{source}: {}", error.message);
    error
}

/// `migrate rules PATH... --to X.Y`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MigrateRulesRequest {
    /// Rule files and folders.
    pub paths: Vec<PathBuf>,
    /// The release to check the rules against.
    pub to: Option<String>,
    /// `auto` (default), `sigma`, `splunk`, `elastic`, `csv` or `layer`.
    pub format: Option<String>,
    /// Domain (default enterprise); its release is `to`.
    #[serde(flatten)]
    pub scope: Scope,
}

/// Answers `migrate rules`: each reference of the rules under the request's paths against
/// release `to`, with what a stale one became; the files that could not be read are notes
/// (and nothing read at all is the one `nothing_read` error).
pub fn migrate_rules<'l, L: Library + ?Sized>(
    library: &'l L,
    request: &MigrateRulesRequest,
) -> Result<Noted<(&'l Dataset, ReferenceReport)>> {
    let to = required_release("to", request.to.as_deref())?;
    let domain = request.scope.check()?.domain.unwrap_or(Domain::Enterprise);
    let format = parse_format(request.format.as_deref())?;
    let kb = library.every_release(&[domain])?;
    let dataset = kb.select(domain, Some(&to))?;
    let earlier: Vec<&Dataset> = kb
        .releases(domain)
        .rev()
        .filter(|d| d.release() < dataset.release())
        .collect();
    let ingested = read_rules(&request.paths, format)?;
    let notes = ingested
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.file.display(), e.reason))
        .collect();
    let report = attackdb_coverage::check_references_with(dataset, &earlier, &ingested);
    Ok(Noted {
        answer: (dataset, report),
        notes,
    })
}
