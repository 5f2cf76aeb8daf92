//! Getting releases into the data home: fetching what a catalogue selection names, updating to
//! what is newer than the releases held, importing bundle files; each outcome as a typed
//! report, which the front ends print or serialise.

use std::collections::BTreeMap;
use std::path::PathBuf;

use attackdb_stix::{Domain, Release};
use serde::Serialize;

use crate::catalogue::{Catalogue, Offered};
use crate::home::{Held, Home, HomeFrom, Pending};
use crate::open::Sources;
use crate::progress::Progress;
use crate::transfer::Fetcher;
use crate::{Error, Result};

/// A domain and release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainRelease {
    /// The domain.
    pub domain: Domain,
    /// The release.
    pub release: Release,
}

/// A release that could not be fetched.
#[derive(Debug, Clone, Serialize)]
pub struct Failed {
    /// The domain.
    pub domain: Domain,
    /// The release.
    pub release: Release,
    /// Why, in one line.
    pub error: String,
}

/// What fetching, updating or importing did (the `--json` answer of `data fetch`, `data
/// update` and `data import`).
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// The data home.
    pub home: String,
    /// Releases fetched (for fetch and update).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetched: Option<Vec<Held>>,
    /// Releases imported (for import).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imported: Option<Vec<Held>>,
    /// Releases asked for that were held already.
    pub already_held: Vec<DomainRelease>,
    /// Releases that could not be fetched (for fetch and update).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<Vec<Failed>>,
    /// The catalogue read (for fetch and update).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// The first failure, returned once the others were tried (see [`Report::take_error`]).
    #[serde(skip)]
    pub first_error: Option<Error>,
}

impl Report {
    fn sort(&mut self) {
        for list in [&mut self.fetched, &mut self.imported]
            .into_iter()
            .flatten()
        {
            list.sort_by(|a, b| (a.domain, &a.release).cmp(&(b.domain, &b.release)));
        }
        self.already_held
            .sort_by(|a, b| (a.domain, &a.release).cmp(&(b.domain, &b.release)));
    }

    /// The releases added (fetched or imported).
    pub fn added(&self) -> &[Held] {
        self.fetched
            .as_deref()
            .or(self.imported.as_deref())
            .unwrap_or_default()
    }

    /// How many releases were tried (added or failed).
    pub fn tried(&self) -> usize {
        self.added().len() + self.failed.as_ref().map_or(0, Vec::len)
    }

    /// Takes the first failure out, as the error of the whole: the failure itself when it was
    /// the only release tried, else [`Error::SomeNotFetched`].
    pub fn take_error(&mut self) -> Option<Error> {
        let first = self.first_error.take()?;
        let tried = self.tried();
        if tried == 1 {
            return Some(first);
        }
        Some(Error::SomeNotFetched {
            failed: self.failed.as_ref().map_or(0, Vec::len),
            tried,
            first: Box::new(first),
        })
    }
}

/// Fetches every release of `chosen` not already held, one after another; each is whole and
/// recorded before the next starts. A failure is reported (to `progress` too, when several are
/// fetched) and the others are still fetched.
pub fn fetch(
    home: &Home,
    fetcher: &Fetcher<'_>,
    catalogue: &Catalogue,
    chosen: &[&Offered],
    progress: &dyn Progress,
) -> Result<Report> {
    home.prepare()?;
    let held = home.held()?;
    let mut report = Report {
        home: home.root.display().to_string(),
        fetched: Some(Vec::new()),
        failed: Some(Vec::new()),
        index: Some(catalogue.location.display()),
        ..Report::default()
    };
    for offered in chosen {
        if Home::find(&held, offered.domain, &offered.release).is_some() {
            report.already_held.push(DomainRelease {
                domain: offered.domain,
                release: offered.release.clone(),
            });
            continue;
        }
        match fetcher.fetch_release(home, offered) {
            Ok(held) => report.fetched.get_or_insert_with(Vec::new).push(held),
            Err(error) => {
                let message = error.to_string();
                if chosen.len() > 1 {
                    progress.warn(&format!(
                        "{} {} not fetched: {message}",
                        offered.domain, offered.release
                    ));
                }
                report.failed.get_or_insert_with(Vec::new).push(Failed {
                    domain: offered.domain,
                    release: offered.release.clone(),
                    error: message,
                });
                report.first_error.get_or_insert(error);
            }
        }
    }
    report.sort();
    Ok(report)
}

/// The newest release held per domain, pre-releases passed over.
pub fn newest_held(held: &[Held]) -> BTreeMap<Domain, &Release> {
    let mut newest = BTreeMap::new();
    // `held` is sorted, so the last of each domain is its newest.
    for h in held.iter().filter(|h| !h.release.is_prerelease()) {
        newest.insert(h.domain, &h.release);
    }
    newest
}

/// Copies the bundle files `files` into the home. Every file is copied and checked before any
/// is installed: one file that is not a release bundle imports nothing.
pub fn import(home: &Home, fetcher: &Fetcher<'_>, files: &[PathBuf]) -> Result<Report> {
    home.prepare()?;
    let held = home.held()?;
    let mut report = Report {
        home: home.root.display().to_string(),
        imported: Some(Vec::new()),
        ..Report::default()
    };
    let mut staged: Vec<Pending> = Vec::new();
    for file in files {
        let pending = fetcher
            .stage_file(home, file)
            .map_err(|source| Error::NotImported {
                file: file.clone(),
                source: Box::new(source),
            })?;
        let seen = Home::find(&held, pending.domain, &pending.release).is_some()
            || staged
                .iter()
                .any(|p| p.domain == pending.domain && p.release == pending.release);
        if seen {
            report.already_held.push(DomainRelease {
                domain: pending.domain,
                release: pending.release.clone(),
            });
        } else {
            staged.push(pending);
        }
    }
    for pending in staged {
        let held = home.install(pending)?;
        report.imported.get_or_insert_with(Vec::new).push(held);
    }
    report.sort();
    Ok(report)
}

/// One release of a catalogue, as `data releases --json` lists it.
#[derive(Debug, Serialize)]
pub struct OfferedRelease {
    /// The domain.
    pub domain: Domain,
    /// The release.
    pub release: Release,
    /// When MITRE published it.
    pub modified: Option<String>,
    /// Where its bundle is.
    pub url: String,
    /// Whether the data home holds it.
    pub held: bool,
    /// Whether it is the domain's newest (pre-releases passed over).
    pub latest: bool,
}

/// The `--json` answer of `data releases`.
#[derive(Debug, Serialize)]
pub struct ReleasesAnswer {
    /// The catalogue read.
    pub index: String,
    /// Its releases of the domains asked for.
    pub releases: Vec<OfferedRelease>,
}

/// The releases of `catalogue` for `domains`, each marked held and latest.
pub fn releases(catalogue: &Catalogue, domains: &[Domain], held: &[Held]) -> ReleasesAnswer {
    let releases = catalogue
        .releases
        .iter()
        .filter(|o| domains.contains(&o.domain))
        .map(|o| OfferedRelease {
            domain: o.domain,
            release: o.release.clone(),
            modified: o.modified.clone(),
            url: o.location.display(),
            held: Home::find(held, o.domain, &o.release).is_some(),
            latest: catalogue
                .latest(o.domain)
                .is_some_and(|l| l.release == o.release),
        })
        .collect();
    ReleasesAnswer {
        index: catalogue.location.display(),
        releases,
    }
}

/// The `--json` answer of `data status`.
#[derive(Debug, Serialize)]
pub struct StatusAnswer {
    /// The data home.
    pub home: String,
    /// How it was chosen: `ATTACKDB_HOME` or `default`.
    pub home_from: &'static str,
    /// What it holds.
    pub releases: Vec<Held>,
    /// Their total size in bytes.
    pub total_size: u64,
    /// The data commands read now, if any.
    pub in_use: Option<Sources>,
}

/// What the data home holds, and what commands read now.
pub fn status(home: &Home, held: Vec<Held>, in_use: Option<Sources>) -> StatusAnswer {
    StatusAnswer {
        home: home.root.display().to_string(),
        home_from: match home.from {
            HomeFrom::Env => "ATTACKDB_HOME",
            HomeFrom::Default => "default",
        },
        total_size: held.iter().map(|h| h.size).sum(),
        releases: held,
        in_use,
    }
}
