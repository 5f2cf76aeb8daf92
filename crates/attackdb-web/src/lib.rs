//! attackdb's web UI: the ATT&CK website's pages and a Navigator-style matrix, rendered on the
//! server from every loaded release, with the team's coverage and release changes.
//!
//! This crate renders; it knows no HTTP. [`Site::handle`] takes a path and its query and gives
//! a page (or a redirect); the server maps requests to it and adds the headers. Pages read
//! without JavaScript; `assets/app.js` adds interaction (filtering, search highlighting,
//! layers). Everything shown from a bundle, a layer or a rule is escaped by the templates or
//! sanitised (`markdown`): bundles may come from anyone.
//!
//! ```no_run
//! let kb = attackdb_kb::Kb::load(&["../shared/attack-stix-data".into()]).expect("data");
//! let site = attackdb_web::Site::new(Box::leak(Box::new(kb))).expect("templates");
//! let page = site.handle("/techniques/T1059/001/", &Default::default()).expect("page");
//! ```

mod changes;
mod coverage;
mod intel;
pub mod markdown;
mod object;
pub mod paint;
mod report;
mod search;
pub mod site;
mod team;
mod view;

use std::collections::BTreeMap;
use std::path::PathBuf;

use attackdb_kb::{Dataset, Domain, Kb};
use minijinja::Environment;
use serde::Serialize;

pub use coverage::{CoverageRequest, CoverageStore};
pub use object::techniques_seen_by;
pub use paint::{paint, paint_css, server_layer, Painted, PaintedCell};
pub use team::{trend_svg, Links, NotesView, Team};

/// A page's query parameters, decoded.
pub type Query = BTreeMap<String, String>;

/// What went wrong: each maps to an HTTP status in the server.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No such page (404).
    #[error("{0}")]
    NotFound(String),
    /// A parameter or upload is wrong (400).
    #[error("{0}")]
    BadRequest(String),
    /// A template failed (500): a bug.
    #[error("rendering failed: {0}")]
    Render(String),
    /// The knowledge base refused the question.
    #[error(transparent)]
    Kb(#[from] attackdb_kb::Error),
    /// A layer could not be read or made.
    #[error(transparent)]
    Layer(#[from] attackdb_navigator::Error),
    /// Rules could not be read.
    #[error(transparent)]
    Coverage(#[from] attackdb_coverage::Error),
    /// An intelligence question was refused (an unknown reference, no usable technique...).
    #[error(transparent)]
    Intel(#[from] attackdb_intel::Error),
    /// A question was refused, with its kind and code.
    #[error(transparent)]
    Asked(#[from] attackdb_ask::Error),
}

impl WebError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            WebError::NotFound(_) => 404,
            WebError::Render(_) => 500,
            WebError::Kb(attackdb_kb::Error::NotFound { .. })
            | WebError::Kb(attackdb_kb::Error::NoDataset { .. })
            | WebError::Intel(attackdb_intel::Error::UnknownReference { .. }) => 404,
            WebError::Asked(error) => match error.kind {
                attackdb_ask::Kind::NotFound => 404,
                attackdb_ask::Kind::BadRequest => 400,
                attackdb_ask::Kind::Invalid => 422,
                attackdb_ask::Kind::Internal => 500,
            },
            _ => 400,
        }
    }
}

impl From<minijinja::Error> for WebError {
    fn from(error: minijinja::Error) -> WebError {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(inner) = source {
            text.push_str(&format!(": {inner}"));
            source = inner.source();
        }
        WebError::Render(text)
    }
}

/// A rendered answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// An HTML page.
    Html(String),
    /// A redirect (303) to this path.
    Redirect(String),
}

/// The site: the knowledge base, the templates and the coverage results kept for their pages.
pub struct Site {
    kb: &'static Kb,
    templates: Environment<'static>,
    coverage: CoverageStore,
    /// Release diffs laid out for the changes page, by (domain, from, to).
    diffs: changes::DiffCache,
    /// The Atomic Red Team checkout emulation plans take their tests from.
    atomics: Option<PathBuf>,
    /// Its tests, read at the first plan and kept (a changed checkout needs a restart).
    atomic_index: std::sync::Mutex<Option<std::sync::Arc<attackdb_intel::AtomicIndex>>>,
    /// Whether the server keeps the team's workspace.
    team: bool,
}

/// Static files of the UI, embedded in the binary: (name, content type, bytes).
const ASSETS: [(&str, &str, &[u8]); 2] = [
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/app.js"),
    ),
];

/// The static file `name` (under `/static/`): its content type and bytes.
pub fn asset(name: &str) -> Option<(&'static str, &'static [u8])> {
    ASSETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, content_type, bytes)| (*content_type, *bytes))
}

/// The templates, embedded in the binary.
const TEMPLATES: [(&str, &str); 13] = [
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("object.html", include_str!("../templates/object.html")),
    ("matrix.html", include_str!("../templates/matrix.html")),
    ("search.html", include_str!("../templates/search.html")),
    ("changes.html", include_str!("../templates/changes.html")),
    ("coverage.html", include_str!("../templates/coverage.html")),
    ("intel.html", include_str!("../templates/intel.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("team.html", include_str!("../templates/team.html")),
    ("map.html", include_str!("../templates/map.html")),
];

/// The navigation every page carries.
#[derive(Debug, Clone, Serialize)]
struct Nav {
    /// (title, matrix href, active).
    domains: Vec<(String, String, bool)>,
    /// The search box's text.
    q: String,
    /// Which top-level page is shown.
    section: &'static str,
    /// Whether the server keeps the team's workspace (the navigation links to it).
    team: bool,
}

impl Site {
    /// The site over `kb`.
    pub fn new(kb: &'static Kb) -> Result<Site, WebError> {
        let mut templates = Environment::new();
        for (name, text) in TEMPLATES {
            templates.add_template(name, text)?;
        }
        templates.set_formatter(format_value);
        templates.set_trim_blocks(true);
        templates.set_lstrip_blocks(true);
        Ok(Site {
            kb,
            templates,
            coverage: CoverageStore::default(),
            diffs: Default::default(),
            atomics: None,
            atomic_index: Default::default(),
            team: false,
        })
    }

    /// The site with links to the team's workspace pages (`/layers`, `/assessments`): the
    /// server keeps one.
    pub fn with_team(mut self, team: bool) -> Site {
        self.team = team;
        self
    }

    /// The site with emulation plans taking their tests from `atomics`, an Atomic Red Team
    /// checkout (`serve --atomics DIR`); without one the emulation page says how to give one.
    pub fn with_atomics(mut self, atomics: Option<PathBuf>) -> Site {
        self.atomics = atomics;
        self
    }

    /// The tests of the Atomic Red Team checkout, read whole at the first call and kept (a
    /// plan page then takes milliseconds instead of reading YAML files); `None` without one.
    /// A checkout that cannot be read is an error each time, not kept.
    fn atomic_index(
        &self,
    ) -> Result<Option<std::sync::Arc<attackdb_intel::AtomicIndex>>, WebError> {
        let Some(dir) = &self.atomics else {
            return Ok(None);
        };
        let mut kept = self
            .atomic_index
            .lock()
            .map_err(|_| WebError::Render("the Atomic tests' lock was poisoned".to_string()))?;
        if let Some(index) = kept.as_ref() {
            return Ok(Some(index.clone()));
        }
        let index = std::sync::Arc::new(attackdb_intel::AtomicIndex::load(dir)?);
        *kept = Some(index.clone());
        Ok(Some(index))
    }

    /// The knowledge base.
    pub fn kb(&self) -> &'static Kb {
        self.kb
    }

    /// The coverage results kept for their pages.
    pub fn coverage(&self) -> &CoverageStore {
        &self.coverage
    }

    /// Reads a rule folder given at start (`serve --rules DIR`) and keeps its coverage.
    pub fn add_rules_folder(&self, folder: PathBuf) -> Result<String, WebError> {
        let request = CoverageRequest {
            title: folder.display().to_string(),
            ..CoverageRequest::default()
        };
        self.coverage.add(self.kb, &[folder], &request)
    }

    fn render(
        &self,
        template: &str,
        nav: Nav,
        context: impl Serialize,
    ) -> Result<String, WebError> {
        let template = self.templates.get_template(template)?;
        Ok(template.render(minijinja::context! {
            nav => nav,
            page => context,
            notice => "MITRE ATT&CK\u{ae} content \u{a9} The MITRE Corporation, reproduced \
                and distributed with its permission.",
        })?)
    }

    fn nav(&self, active: Option<Domain>, q: &str, section: &'static str) -> Nav {
        let domains = Domain::ALL
            .into_iter()
            .filter(|d| self.kb.releases(*d).next().is_some())
            .map(|d| {
                (
                    d.title().to_string(),
                    format!("/matrices/{}/", d.short_name()),
                    Some(d) == active,
                )
            })
            .collect();
        Nav {
            domains,
            q: q.to_string(),
            section,
            team: self.team,
        }
    }

    /// The sign-in page: one field for a token of `--token-file`, coming back to `next` (a path
    /// of this server) after it; `problem` says why the last token was refused.
    pub fn login_page(&self, next: &str, problem: Option<&str>) -> Result<String, WebError> {
        self.render(
            "login.html",
            self.nav(None, "", "login"),
            minijinja::context! { title => "Sign in", next => next, problem => problem },
        )
    }

    /// The page at `path` with `query`; `Err(NotFound)` for paths that are not pages.
    pub fn handle(&self, path: &str, query: &Query) -> Result<Response, WebError> {
        self.handle_with(path, query, &Team::default())
    }

    /// The page at `path` with what the team's workspace adds to it (an object's notes, a
    /// saved layer the matrix names), read by the server.
    pub fn handle_with(
        &self,
        path: &str,
        query: &Query,
        team: &Team<'_>,
    ) -> Result<Response, WebError> {
        let trimmed = path.trim_end_matches('/');
        match trimmed {
            "/search" => return self.search_page(query).map(Response::Html),
            "/changes" => return self.changes_page(query).map(Response::Html),
            "/coverage" => return self.coverage_form(query).map(Response::Html),
            "/intel" => return self.intel_index().map(Response::Html),
            "/map" => return self.map_form(query).map(Response::Html),
            _ => {}
        }
        if let Some(tool) = trimmed.strip_prefix("/intel/") {
            return self.intel_page(tool, query).map(Response::Html);
        }
        if let Some(id) = trimmed.strip_prefix("/coverage/") {
            return self.coverage_page(id, query).map(Response::Html);
        }
        let located = site::locate(path)
            .ok_or_else(|| WebError::NotFound(format!("{path}: no such page")))?;
        let version = located.version.as_deref();
        let wanted = query.get("domain").map(|d| parse_domain(d)).transpose()?;
        match located.target {
            site::Target::Home => self.home_page(version).map(Response::Html),
            site::Target::Matrix(domain) => {
                let dataset = site::datasets_for(self.kb, version)?
                    .into_iter()
                    .find(|d| d.domain() == domain)
                    .ok_or_else(|| {
                        WebError::NotFound(format!(
                            "no {} release{} is loaded",
                            domain.title(),
                            version.map(|v| format!(" v{v}")).unwrap_or_default()
                        ))
                    })?;
                self.matrix_with(dataset, query, team.layer.clone(), None)
                    .map(Response::Html)
            }
            site::Target::Object(..) | site::Target::Stix(_) => {
                let (dataset, object, section) = match &located.target {
                    site::Target::Object(section, id) => {
                        let (d, o) = object::find(self.kb, version, section, id, wanted)?;
                        (d, o, *section)
                    }
                    site::Target::Stix(id) => {
                        let (d, o) = object::find_stix(self.kb, version, id, wanted)?;
                        (d, o, "stix")
                    }
                    _ => return Err(WebError::NotFound(format!("{path}: no such page"))),
                };
                let linker = site::Linker::new(self.kb, dataset);
                if section == "analytics" {
                    if let Some(href) = linker.href(object).filter(|h| !h.contains("/analytics/")) {
                        return Ok(Response::Redirect(href));
                    }
                }
                let page = object::object_page(&linker, object);
                let title = format!("{}: {}", page.id, page.name);
                let mut nav = self.nav(Some(dataset.domain()), "", "object");
                nav.q = String::new();
                let notes = self.notes_context(team, &page.id, dataset.domain().as_str(), path);
                self.render(
                    "object.html",
                    nav,
                    minijinja::context! { title, notes, ..minijinja::Value::from_serialize(&page) },
                )
                .map(Response::Html)
            }
        }
    }

    /// The page shown for an error.
    pub fn error_page(&self, status: u16, message: &str) -> String {
        let nav = self.nav(None, "", "error");
        self.render(
            "error.html",
            nav,
            minijinja::context! { status, message, title => format!("Error {status}") },
        )
        .unwrap_or_else(|_| {
            format!(
                "<!doctype html><title>Error {status}</title><p>{}</p>",
                markdown::escape(message)
            )
        })
    }

    fn home_page(&self, version: Option<&str>) -> Result<String, WebError> {
        #[derive(Serialize)]
        struct DomainRow {
            title: &'static str,
            release: String,
            matrix: String,
            counts: Vec<(String, usize)>,
            releases: Vec<(String, String)>,
        }
        let mut rows = Vec::new();
        for dataset in site::datasets_for(self.kb, version)? {
            let linker = site::Linker::new(self.kb, dataset);
            let counts = [
                attackdb_kb::Concept::Tactic,
                attackdb_kb::Concept::Technique,
                attackdb_kb::Concept::Subtechnique,
                attackdb_kb::Concept::Group,
                attackdb_kb::Concept::Software,
                attackdb_kb::Concept::Campaign,
                attackdb_kb::Concept::Mitigation,
                attackdb_kb::Concept::DetectionStrategy,
                attackdb_kb::Concept::DataComponent,
                attackdb_kb::Concept::Asset,
            ]
            .into_iter()
            .map(|c| {
                (
                    c.plural().to_string(),
                    dataset.list(c, attackdb_kb::Visibility::LIVE).len(),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect();
            let releases = self
                .kb
                .releases(dataset.domain())
                .rev()
                .map(|d| {
                    (
                        d.release().to_string(),
                        site::Linker::new(self.kb, d).matrix_href(),
                    )
                })
                .collect();
            rows.push(DomainRow {
                title: dataset.domain().title(),
                release: dataset.release().to_string(),
                matrix: linker.matrix_href(),
                counts,
                releases,
            });
        }
        let nav = self.nav(None, "", "home");
        self.render(
            "home.html",
            nav,
            minijinja::context! { title => "attackdb", domains => rows },
        )
    }

    /// A domain's matrix; `given` is a layer read elsewhere (a saved one: its spec and file),
    /// else the query's `layer` is made here; `saved` is what the page says of a saved layer.
    fn matrix_with(
        &self,
        dataset: &'static Dataset,
        query: &Query,
        given: Option<(String, String)>,
        saved: Option<minijinja::Value>,
    ) -> Result<String, WebError> {
        let linker = site::Linker::new(self.kb, dataset);
        let platform = query.get("platform").filter(|p| !p.is_empty());
        let platforms: Vec<String> = match platform {
            Some(p) => vec![dataset.canonical_platform(p)?.to_string()],
            None => Vec::new(),
        };
        let marks = view::Marks {
            open_all: query.get("subs").is_some_and(|v| v == "open"),
            ..view::Marks::default()
        };
        let columns = view::matrix_columns(&linker, &platforms, &marks);
        let layer = match (given, query.get("layer").filter(|l| !l.is_empty())) {
            (Some((spec, file)), _) => {
                let layer = attackdb_navigator::read_layers(&file)?
                    .into_valid_layers()?
                    .into_iter()
                    .next()
                    .ok_or_else(|| WebError::BadRequest(format!("{spec}: holds no layer")))?;
                Some((spec, paint(&layer, dataset)))
            }
            (None, Some(spec)) => {
                let layer = self.layer(dataset, spec)?;
                let painted = paint(&layer, dataset);
                Some((spec.clone(), painted))
            }
            (None, None) => None,
        };
        let (layer_spec, painted) = layer.unzip();
        let releases: Vec<(String, String, bool)> = self
            .kb
            .releases(dataset.domain())
            .rev()
            .map(|d| {
                (
                    d.release().to_string(),
                    site::Linker::new(self.kb, d).matrix_href(),
                    std::ptr::eq(d, dataset),
                )
            })
            .collect();
        let techniques: usize = columns.iter().map(|c| c.count).sum();
        let matrices: Vec<(String, String)> = dataset
            .list(attackdb_kb::Concept::Matrix, attackdb_kb::Visibility::LIVE)
            .into_iter()
            .map(|m| {
                (
                    dataset.display_id(m).to_string(),
                    dataset.display_name(m).to_string(),
                )
            })
            .collect();
        let nav = self.nav(Some(dataset.domain()), "", "matrix");
        self.render(
            "matrix.html",
            nav,
            minijinja::context! {
                title => format!("{} ATT&CK {} matrix", dataset.domain().title(), dataset.release()),
                domain => dataset.domain().title(),
                domain_key => dataset.domain().short_name(),
                release => dataset.release().to_string(),
                releases,
                platforms => dataset.platforms(),
                platform => platforms.first(),
                show_ids => query.get("ids").is_some_and(|v| v == "1" || v == "true"),
                subs_open => marks.open_all,
                columns,
                techniques,
                matrices,
                layer_spec,
                painted,
                saved,
                matrix_href => linker.matrix_href(),
            },
        )
    }

    /// A layer the server makes (see [`server_layer`]), a kept coverage result's layer
    /// (`coverage:ID`), or an emulation plan's with the tests of `serve --atomics`
    /// (`emulate:G0016`, `emulate:G0016:windows`: each technique scored by its tests).
    pub fn layer(
        &self,
        dataset: &Dataset,
        spec: &str,
    ) -> Result<attackdb_navigator::Layer, WebError> {
        if let Some(id) = spec.strip_prefix("coverage:") {
            return self.coverage.layer(id);
        }
        if let Some(rest) = spec.strip_prefix("emulate:") {
            let atomics = self.atomic_index()?.ok_or_else(|| {
                WebError::NotFound(
                    "this server has no Atomic Red Team tests to plan with: start it with \
                     `attackdb serve --atomics DIR`"
                        .to_string(),
                )
            })?;
            let (reference, platform) = match rest.split_once(':') {
                Some((reference, platform)) => (reference, Some(platform.to_string())),
                None => (rest, None),
            };
            let options = attackdb_intel::EmulateOptions {
                platform,
                with_software: false,
            };
            let plan = attackdb_intel::emulate(dataset, reference, &atomics, &options)?;
            return Ok(plan.to_layer(dataset));
        }
        server_layer(self.kb, dataset, spec)
    }

    /// The dataset a UI request names with `domain` and `release` (default: enterprise, the
    /// newest release).
    pub fn dataset(&self, query: &Query) -> Result<&'static Dataset, WebError> {
        let domain = match query.get("domain").filter(|d| !d.is_empty()) {
            Some(d) => parse_domain(d)?,
            None => Domain::ALL
                .into_iter()
                .find(|d| self.kb.releases(*d).next().is_some())
                .unwrap_or(Domain::Enterprise),
        };
        let release = match query.get("release").filter(|r| !r.is_empty()) {
            Some(r) => Some(
                attackdb_kb::Release::parse(r)
                    .map_err(|_| WebError::BadRequest(format!("`{r}` is not a release")))?,
            ),
            None => None,
        };
        Ok(self.kb.select(domain, release.as_ref())?)
    }
}

/// Writes a template value, escaping `& < > " '` in HTML templates (minijinja's own escape also
/// writes `/` as an entity, which makes every path in the page unreadable to grep and curl).
fn format_value(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if state.auto_escape() == minijinja::AutoEscape::Html && !value.is_safe() {
        let text = if value.is_none() || value.is_undefined() {
            String::new()
        } else {
            value.to_string()
        };
        out.write_str(&markdown::escape(&text))
            .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
    } else {
        minijinja::escape_formatter(out, state, value)
    }
}

/// The values of `name` in `query`, split at commas and line ends, trimmed, empty ones left out.
fn query_list(query: &Query, name: &str) -> Vec<String> {
    query
        .get(name)
        .map(|v| {
            v.split([',', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn parse_domain(text: &str) -> Result<Domain, WebError> {
    Domain::parse(text).ok_or_else(|| {
        WebError::BadRequest(format!(
            "`domain={text}`: expected enterprise, mobile or ics"
        ))
    })
}
