//! Which release a question reads, and the rules for choosing it, written once: `domain`
//! (default enterprise) at `release` (default the newest loaded); an object found only in
//! another domain is answered from there with a note; a question over every domain leaves out
//! the domains that lack a release, with a note.

use attackdb_kb::{Dataset, Domain, Kb, ObjId, Release};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Where datasets come from. [`Kb`] holds them all; the CLI opens each bundle only when a
/// question reaches for it.
pub trait Library {
    /// The dataset of `domain` at `release` (the newest when `None`).
    fn dataset(&self, domain: Domain, release: Option<&Release>) -> Result<&Dataset>;

    /// A knowledge base holding every release of `domains` there is (migration reads the
    /// releases between two). A library that holds one release says it cannot.
    fn every_release(&self, domains: &[Domain]) -> Result<&Kb> {
        let names: Vec<&str> = domains.iter().map(|d| d.as_str()).collect();
        Err(Error::new(
            crate::Kind::BadRequest,
            "not_configured",
            format!(
                "this question reads every release of {}, and only one is open here",
                names.join(", ")
            ),
        ))
    }
}

impl Library for Kb {
    fn dataset(&self, domain: Domain, release: Option<&Release>) -> Result<&Dataset> {
        Ok(self.select(domain, release)?)
    }

    fn every_release(&self, _domains: &[Domain]) -> Result<&Kb> {
        Ok(self)
    }
}

/// One dataset alone (a Python `MitreAttackData`, a test): it answers for its own domain and
/// release, and for no other.
impl Library for Dataset {
    fn dataset(&self, domain: Domain, release: Option<&Release>) -> Result<&Dataset> {
        if domain == self.domain() && release.is_none_or(|r| r == self.release()) {
            return Ok(self);
        }
        Err(attackdb_kb::Error::NoDataset {
            domain: domain.to_string(),
            release: release.map(|r| r.to_string()),
            available: vec![format!("{} {}", self.domain(), self.release())],
        }
        .into())
    }
}

/// The domain and release of a request, as given (every front end's `domain` / `release`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scope {
    /// `enterprise`, `mobile`, `ics` (or their `-attack` names); `all` or absent for none.
    pub domain: Option<String>,
    /// `X.Y` or `vX.Y`; absent for the newest loaded.
    pub release: Option<String>,
}

/// A [`Scope`] checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    /// The domain asked for; `None`: not said (enterprise for one release, every domain for
    /// questions over domains).
    pub domain: Option<Domain>,
    /// The release asked for; `None`: the newest.
    pub release: Option<Release>,
}

impl Scope {
    /// A scope of `domain` and `release` texts.
    pub fn new(domain: Option<&str>, release: Option<&str>) -> Scope {
        Scope {
            domain: domain.map(str::to_string),
            release: release.map(str::to_string),
        }
    }

    /// The scope checked: an unknown domain or a release that is not `X.Y` is a bad parameter
    /// naming it.
    pub fn check(&self) -> Result<Checked> {
        Ok(Checked {
            domain: parse_domain(self.domain.as_deref())?,
            release: parse_release("release", self.release.as_deref())?,
        })
    }
}

/// `domain` read: `all` or absent is `None`; anything but ATT&CK's domains is an error.
pub fn parse_domain(text: Option<&str>) -> Result<Option<Domain>> {
    match text.map(str::trim) {
        None => Ok(None),
        Some(name) if name.eq_ignore_ascii_case("all") || name.is_empty() => Ok(None),
        Some(name) => name
            .parse::<Domain>()
            .map(Some)
            .map_err(|e| Error::bad_parameter(e.to_string()).for_parameter("domain")),
    }
}

/// A release parameter (`release`, `from`, `to`, ...) read, if given.
pub fn parse_release(parameter: &str, text: Option<&str>) -> Result<Option<Release>> {
    text.map(|text| {
        text.parse::<Release>()
            .map_err(|e| Error::bad_parameter(e.to_string()).for_parameter(parameter))
    })
    .transpose()
}

/// A release parameter that must be given.
pub fn required_release(parameter: &str, text: Option<&str>) -> Result<Release> {
    parse_release(parameter, text)?
        .ok_or_else(|| Error::bad_parameter(format!("`{parameter}` is required: a release X.Y")))
}

impl Checked {
    /// The dataset a question about one release reads.
    pub fn dataset<'l, L: Library + ?Sized>(&self, library: &'l L) -> Result<&'l Dataset> {
        library.dataset(
            self.domain.unwrap_or(Domain::Enterprise),
            self.release.as_ref(),
        )
    }

    /// The domains of a question over several: the one asked for, else every one.
    pub fn domains(&self) -> Vec<Domain> {
        self.domain
            .map_or_else(|| Domain::ALL.to_vec(), |d| vec![d])
    }
}

/// An answer with the notes that go with it (the CLI prints them on stderr, REST adds them to
/// the answer where it is a document of attackdb's and as `X-Attackdb-Note` headers).
#[derive(Debug, Clone)]
pub struct Noted<T> {
    /// The answer.
    pub answer: T,
    /// What the user should know about how it was reached, one line each.
    pub notes: Vec<String>,
}

impl<T> Noted<T> {
    /// An answer without notes.
    pub fn plain(answer: T) -> Noted<T> {
        Noted {
            answer,
            notes: Vec::new(),
        }
    }

    /// The answer changed by `f`, with the same notes.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Noted<U> {
        Noted {
            answer: f(self.answer),
            notes: self.notes,
        }
    }
}

/// An object found for a reference: the dataset holding it, and why it is that one.
#[derive(Debug, Clone, Copy)]
pub struct Located<'l> {
    /// The dataset answered from.
    pub dataset: &'l Dataset,
    /// The object.
    pub id: ObjId,
}

/// The object `reference` names, by `find`, in the release `scope` reads; when the scope names
/// no domain and the reference is not found there (or enterprise lacks the release), the first
/// other domain (mobile, then ICS) holding it at the same release answers, and a note says
/// so. The one cross-domain rule of every front end.
pub fn locate<'l, L: Library + ?Sized>(
    library: &'l L,
    scope: &Checked,
    reference: &str,
    find: impl Fn(&Dataset, &str) -> attackdb_kb::Result<ObjId>,
) -> Result<Noted<Located<'l>>> {
    let first_domain = scope.domain.unwrap_or(Domain::Enterprise);
    let (first, first_error) = match library.dataset(first_domain, scope.release.as_ref()) {
        Ok(dataset) => match find(dataset, reference) {
            Ok(id) => return Ok(Noted::plain(Located { dataset, id })),
            Err(error)
                if scope.domain.is_none()
                    && matches!(error, attackdb_kb::Error::NotFound { .. }) =>
            {
                (Some(dataset), Error::from(error))
            }
            Err(error) => return Err(error.into()),
        },
        Err(error) if scope.domain.is_some() => return Err(error),
        Err(error) => (None, error),
    };
    for other in Domain::ALL.into_iter().filter(|&d| d != first_domain) {
        let Ok(elsewhere) = library.dataset(other, scope.release.as_ref()) else {
            continue;
        };
        if let Ok(id) = find(elsewhere, reference) {
            let asked = match first {
                Some(dataset) => format!("{} {}", dataset.domain(), dataset.release()),
                None => format!("the {first_domain} data loaded"),
            };
            let note = format!(
                "{} is not in {asked}; answered from {} {} (domain {})",
                crate::echo(reference),
                elsewhere.domain(),
                elsewhere.release(),
                other.short_name()
            );
            return Ok(Noted {
                answer: Located {
                    dataset: elsewhere,
                    id,
                },
                notes: vec![note],
            });
        }
    }
    Err(first_error)
}

/// The datasets of `domains` at `release` each, leaving out (with a note) those that lack it
/// when the scope named no domain; an error when none has it, or when the one domain named
/// lacks it.
pub fn each_domain<'l, L: Library + ?Sized>(
    library: &'l L,
    scope: &Checked,
    releases: &[&Release],
) -> Result<Noted<Vec<Vec<&'l Dataset>>>> {
    let mut found = Vec::new();
    let mut notes = Vec::new();
    let mut first_error = None;
    for domain in scope.domains() {
        let mut row = Vec::with_capacity(releases.len());
        let mut missing = None;
        for &release in releases {
            match library.dataset(domain, Some(release)) {
                Ok(dataset) => row.push(dataset),
                Err(error) => {
                    if scope.domain.is_some() {
                        return Err(error);
                    }
                    missing = Some(release.as_str().to_string());
                    first_error = first_error.or(Some(error));
                    break;
                }
            }
        }
        match missing {
            None => found.push(row),
            Some(release) => notes.push(format!(
                "{domain} has no release {release} loaded; left out"
            )),
        }
    }
    if found.is_empty() {
        return Err(first_error.unwrap_or_else(|| {
            Error::new(
                crate::Kind::NotFound,
                "unknown_release",
                "no domain has the releases asked for",
            )
        }));
    }
    Ok(Noted {
        answer: found,
        notes,
    })
}

/// The dataset of each domain of the scope: at its release when one is named (as
/// [`each_domain`]), else each domain's newest; with no domain named, the domains with no data
/// are left out with a note (an error when none has any).
pub fn newest_each<'l, L: Library + ?Sized>(
    library: &'l L,
    scope: &Checked,
) -> Result<Noted<Vec<&'l Dataset>>> {
    if let Some(release) = &scope.release {
        return Ok(each_domain(library, scope, &[release])?
            .map(|rows| rows.into_iter().flatten().collect()));
    }
    let mut found = Vec::new();
    let mut notes = Vec::new();
    let mut first_error = None;
    for domain in scope.domains() {
        match library.dataset(domain, None) {
            Ok(dataset) => found.push(dataset),
            Err(error) if scope.domain.is_some() => return Err(error),
            Err(error) => {
                notes.push(format!("{domain} has no data loaded; left out"));
                first_error = first_error.or(Some(error));
            }
        }
    }
    match first_error {
        Some(error) if found.is_empty() => Err(error),
        _ => Ok(Noted {
            answer: found,
            notes,
        }),
    }
}
