//! `coverage`: detection coverage of rule files, assembled once (read, keep the rules asked
//! for, analyse), with the one rule for "nothing could be read".

use std::path::PathBuf;

use attackdb_coverage::{
    Actors, Analysis, Format, Ingested, Inherit, Level, RuleFilter, ScoreMode, SourceList,
    VisibilityAnswer,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Kind, Result};
use crate::intel::Answered;
use crate::query::check_platform;
use crate::scope::{Library, Noted, Scope};

/// `coverage PATH...`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CoverageRequest {
    /// Rule files and folders (searched recursively).
    pub paths: Vec<PathBuf>,
    /// `auto` (default: told per file), `sigma`, `splunk`, `elastic`, `csv` or `layer`.
    pub format: Option<String>,
    /// Only techniques of this platform.
    pub platform: Option<String>,
    /// `count` (default), `max-level` or `weighted`.
    pub score: Option<String>,
    /// Rank gaps for these groups (empty: every group).
    pub groups: Option<Vec<String>>,
    /// Rank gaps for this software instead (empty: all software).
    pub software: Option<Vec<String>>,
    /// Rank gaps for these campaigns instead (empty: every campaign).
    pub campaigns: Option<Vec<String>>,
    /// Gaps count the actors' software's techniques too.
    pub with_software: bool,
    /// Only rules of this level or higher.
    pub min_level: Option<String>,
    /// Only rules with one of these statuses (default: all but deprecated; `all`: every rule).
    pub status: Vec<String>,
    /// Join the coverage with what the sources of this file (a list or a DeTT&CT data-source
    /// file) let you see.
    pub visibility: Option<PathBuf>,
    /// Domain and release.
    #[serde(flatten)]
    pub scope: Scope,
}

/// The rule format `name` names (`auto` or absent: told per file).
pub fn parse_format(name: Option<&str>) -> Result<Option<Format>> {
    match name.map(str::trim) {
        None | Some("auto") => Ok(None),
        Some(name) => Format::parse(name).map(Some).ok_or_else(|| {
            Error::bad_parameter(format!(
                "`format`: `{name}` is not a rule format: expected auto, sigma, splunk, elastic, csv or layer"
            ))
        }),
    }
}

/// The score mode `name` names (default count).
pub fn parse_score(name: Option<&str>) -> Result<ScoreMode> {
    match name.map(str::trim) {
        None => Ok(ScoreMode::Count),
        Some(name) => ScoreMode::parse(name).ok_or_else(|| {
            Error::bad_parameter(format!(
                "`score`: `{name}` is not a score mode: expected count, max-level or weighted"
            ))
        }),
    }
}

/// The rule level `name` names.
pub fn parse_level(name: &str) -> Result<Level> {
    Level::parse(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = Level::ALL.iter().map(|l| l.as_str()).collect();
        Error::bad_parameter(format!(
            "`min_level`: `{name}` is not a level: expected one of {}",
            names.join(", ")
        ))
    })
}

impl CoverageRequest {
    /// The actors whose gaps are ranked: at most one kind.
    fn actors(&self) -> Result<Option<Actors>> {
        let given: Vec<&str> = [
            ("groups", self.groups.is_some()),
            ("software", self.software.is_some()),
            ("campaigns", self.campaigns.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect();
        if given.len() > 1 {
            return Err(Error::bad_parameter(format!(
                "`{}` cannot be used together: rank gaps for one kind of actor",
                given.join("`, `")
            )));
        }
        Ok(Actors::first_given(
            self.groups.clone(),
            self.software.clone(),
            self.campaigns.clone(),
        ))
    }
}

/// A coverage question checked, its files not read yet (REST checks the parameters before it
/// reads an upload).
pub struct CoveragePlan<'l> {
    library: &'l dyn Library,
    /// The release asked for (the other domains are read at it too), if one was.
    release: Option<attackdb_kb::Release>,
    dataset: &'l attackdb_kb::Dataset,
    visibility: Option<PathBuf>,
    format: Option<Format>,
    options: attackdb_coverage::Options,
    filter: RuleFilter,
}

/// Checks every parameter of `request` against the release (format, score, level, platform,
/// actors), reading no file.
pub fn plan_coverage<'l, L: Library>(
    library: &'l L,
    request: &CoverageRequest,
) -> Result<CoveragePlan<'l>> {
    let scope = request.scope.check()?;
    let dataset = scope.dataset(library)?;
    let format = parse_format(request.format.as_deref())?;
    let score = parse_score(request.score.as_deref())?;
    let min_level = request.min_level.as_deref().map(parse_level).transpose()?;
    let platform = request
        .platform
        .as_deref()
        .map(|p| check_platform(dataset, p).map(str::to_string))
        .transpose()?;
    Ok(CoveragePlan {
        library,
        release: scope.release,
        dataset,
        visibility: request.visibility.clone(),
        format,
        options: attackdb_coverage::Options {
            platform,
            score,
            actors: request.actors()?,
            inherit: Inherit::with_software(request.with_software),
        },
        filter: RuleFilter {
            min_level,
            statuses: request.status.clone(),
        },
    })
}

impl<'l> CoveragePlan<'l> {
    /// Reads the rules under `paths` and analyses them. "Nothing could be read" is one rule:
    /// files were found but none gave a rule (each unreadable, or holding no rule of a known
    /// format), an error (`nothing_read`) naming each file and its reason. Rules read and then
    /// left out by `min_level` or `status` are a result (0 covered), not that error.
    ///
    /// When no rule maps onto the release, a note says which other domain they fit, if one.
    pub fn run(&self, paths: &[PathBuf]) -> Result<Noted<Answered<'l, Analysis<'l>>>> {
        let mut ingested = read_rules(paths, self.format)?;
        ingested.retain(&self.filter);
        let mut analysis = attackdb_coverage::analyze(self.dataset, ingested, &self.options)?;
        if let Some(path) = &self.visibility {
            let list = SourceList::read(path)?;
            let visible = attackdb_coverage::visibility(
                self.dataset,
                &list,
                self.options.platform.as_deref(),
            )?;
            analysis.visibility = Some(attackdb_coverage::join_visibility(&analysis, visible));
        }
        let mut notes = Vec::new();
        if analysis.rules_mapped() == 0 {
            let others: Vec<&attackdb_kb::Dataset> = attackdb_kb::Domain::ALL
                .into_iter()
                .filter(|&d| d != self.dataset.domain())
                .filter_map(|d| self.library.dataset(d, self.release.as_ref()).ok())
                .collect();
            notes.extend(analysis.other_domain_note(&others).map(|n| n.to_string()));
        }
        Ok(Noted {
            answer: Answered {
                dataset: self.dataset,
                answer: analysis,
            },
            notes,
        })
    }
}

/// Reads the rules under `paths`. "Nothing could be read" is one rule: files were found but
/// none gave a rule (each unreadable, or holding no rule of a known format), an error
/// (`nothing_read`) naming each file and its reason.
pub fn read_rules(paths: &[PathBuf], format: Option<Format>) -> Result<Ingested> {
    if paths.is_empty() {
        return Err(Error::bad_parameter(
            "name one or more rule files or folders",
        ));
    }
    let ingested = attackdb_coverage::ingest(paths, format)?;
    if ingested.nothing_read() {
        let reasons: Vec<String> = ingested
            .errors
            .iter()
            .take(20)
            .map(|e| format!("{}: {}", e.file.display(), e.reason))
            .collect();
        let more = ingested.errors.len().saturating_sub(reasons.len());
        return Err(Error::new(
            Kind::Invalid,
            "nothing_read",
            format!(
                "no rule could be read from the {} file(s) given: {}{}",
                ingested.files,
                reasons.join("; "),
                if more > 0 {
                    format!("; and {more} more")
                } else {
                    String::new()
                }
            ),
        )
        .with_hint("attackdb reads Sigma, Splunk and Elastic rules, CSV inventories and layers"));
    }
    Ok(ingested)
}

/// `visibility SOURCE...`: what a set of data sources lets you see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VisibilityRequest {
    /// Data components, log sources or data sources, by name or ID.
    pub sources: Vec<String>,
    /// Only techniques of this platform.
    pub platform: Option<String>,
    /// Domain (default: the source file's, else enterprise) and release.
    #[serde(flatten)]
    pub scope: Scope,
}

/// Answers `visibility`: the sources named in the request, after those of `file` (a list or a
/// DeTT&CT file the front end read), over the release of the scope's domain, else the file's,
/// else enterprise. No source at all is a bad parameter.
pub fn visibility<'l, L: Library + ?Sized>(
    library: &'l L,
    file: Option<SourceList>,
    request: &VisibilityRequest,
) -> Result<Answered<'l, VisibilityAnswer>> {
    let mut scope = request.scope.check()?;
    let mut list = file.unwrap_or_else(|| SourceList::from_names(&[]));
    list.entries
        .extend(SourceList::from_names(&request.sources).entries);
    if list.entries.is_empty() {
        return Err(Error::bad_parameter(
            "`sources` names one or more data components, log sources or data sources",
        ));
    }
    if let (None, Some(name)) = (scope.domain, list.domain.as_deref()) {
        let domain = name
            .parse::<attackdb_kb::Domain>()
            .map_err(|e| Error::invalid(format!("the source file's domain: {e}")))?;
        scope.domain = Some(domain);
    }
    let dataset = scope.dataset(library)?;
    let platform = request
        .platform
        .as_deref()
        .map(|p| check_platform(dataset, p))
        .transpose()?;
    Ok(Answered {
        dataset,
        answer: attackdb_coverage::visibility(dataset, &list, platform)?,
    })
}

/// Answers `coverage`: [`plan_coverage`], then [`CoveragePlan::run`] on the request's paths.
pub fn coverage<'l, L: Library>(
    library: &'l L,
    request: &CoverageRequest,
) -> Result<Noted<Answered<'l, Analysis<'l>>>> {
    plan_coverage(library, request)?.run(&request.paths)
}
