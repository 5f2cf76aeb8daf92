//! The coverage page: rules read (uploaded, or folders given at start) into coverage of one
//! release, kept for their pages: the heatmap, per-tactic figures, the rules behind each
//! technique, and gaps ranked for chosen groups.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use attackdb_coverage::Analysis;
use attackdb_kb::{Domain, Kb};
use serde::Serialize;

use crate::site::Linker;
use crate::view::Link;
use crate::{paint, Query, Site, WebError};

/// How many results are kept (the oldest upload is dropped first; folders given at start stay).
const KEPT: usize = 32;

/// What to compute coverage of.
#[derive(Debug, Clone, Default)]
pub struct CoverageRequest {
    /// What the page calls it (the folder, or "upload").
    pub title: String,
    /// Domain (default enterprise).
    pub domain: Option<String>,
    /// Release (default newest).
    pub release: Option<String>,
    /// Rule format (default: by file).
    pub format: Option<String>,
    /// Platform scope.
    pub platform: Option<String>,
    /// Groups to rank gaps for.
    pub groups: Vec<String>,
    /// Lowest rule level.
    pub min_level: Option<String>,
    /// Rule statuses kept (default: all but deprecated).
    pub statuses: Vec<String>,
    /// Count a group's techniques through its software too.
    pub with_software: bool,
}

impl CoverageRequest {
    /// The request a form or query gives.
    pub fn from_query(query: &Query) -> CoverageRequest {
        let get = |k: &str| query.get(k).filter(|v| !v.trim().is_empty()).cloned();
        let list = |k: &str| crate::query_list(query, k);
        CoverageRequest {
            title: get("title").unwrap_or_else(|| "upload".to_string()),
            domain: get("domain"),
            release: get("release"),
            format: get("format").filter(|f| f != "auto"),
            platform: get("platform"),
            groups: list("groups"),
            min_level: get("min_level"),
            statuses: list("status"),
            with_software: query
                .get("with_software")
                .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "on" | "yes")),
        }
    }
}

struct Kept {
    id: String,
    title: String,
    base: PathBuf,
    pinned: bool,
    analysis: Analysis<'static>,
}

/// Coverage results kept for their pages, by ID.
#[derive(Default)]
pub struct CoverageStore {
    kept: Mutex<Vec<Arc<Kept>>>,
    next: std::sync::atomic::AtomicU64,
}

impl CoverageStore {
    /// Reads the rules under `paths` as `request` says, keeps the result and returns its ID.
    /// Folders given at start (`title` not "upload") stay; uploads beyond the limit drop the
    /// oldest.
    pub fn add(
        &self,
        kb: &'static Kb,
        paths: &[PathBuf],
        request: &CoverageRequest,
    ) -> Result<String, WebError> {
        let asked = attackdb_ask::CoverageRequest {
            paths: paths.to_vec(),
            format: request.format.clone(),
            platform: request.platform.clone(),
            groups: (!request.groups.is_empty()).then(|| request.groups.clone()),
            min_level: request.min_level.clone(),
            status: request.statuses.clone(),
            with_software: request.with_software,
            scope: attackdb_ask::Scope::new(request.domain.as_deref(), request.release.as_deref()),
            ..attackdb_ask::CoverageRequest::default()
        };
        let analysis = attackdb_ask::coverage(kb, &asked)?.answer.answer;
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let id = format!("r{n}");
        let kept = Arc::new(Kept {
            id: id.clone(),
            title: request.title.clone(),
            base: common_base(paths),
            pinned: request.title != "upload",
            analysis,
        });
        let mut list = self.kept.lock().map_err(|_| poisoned())?;
        list.push(kept);
        while list.iter().filter(|k| !k.pinned).count() > KEPT {
            if let Some(oldest) = list.iter().position(|k| !k.pinned) {
                list.remove(oldest);
            }
        }
        Ok(id)
    }

    fn get(&self, id: &str) -> Result<Arc<Kept>, WebError> {
        let list = self.kept.lock().map_err(|_| poisoned())?;
        list.iter().find(|k| k.id == id).cloned().ok_or_else(|| {
            WebError::NotFound(format!("coverage result {id} is not kept (any more)"))
        })
    }

    /// The Navigator layer of result `id`.
    pub fn layer(&self, id: &str) -> Result<attackdb_navigator::Layer, WebError> {
        let kept = self.get(id)?;
        Ok(attackdb_coverage::to_layer(&kept.analysis, &kept.title))
    }

    /// The kept results: (ID, title, domain and release).
    pub fn list(&self) -> Vec<(String, String, String)> {
        self.kept
            .lock()
            .map(|list| {
                list.iter()
                    .map(|k| {
                        let d = k.analysis.dataset;
                        (
                            k.id.clone(),
                            k.title.clone(),
                            format!("{} {}", d.domain().title(), d.release()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn poisoned() -> WebError {
    WebError::Render("the coverage store's lock is poisoned".to_string())
}

/// The folder file names are shown relative to.
fn common_base(paths: &[PathBuf]) -> PathBuf {
    match paths {
        [one] if one.is_dir() => one.clone(),
        [one] => one.parent().map(Path::to_path_buf).unwrap_or_default(),
        _ => PathBuf::new(),
    }
}

#[derive(Serialize)]
struct TacticRow {
    link: Link,
    techniques: usize,
    covered: usize,
    partly: usize,
    subtechniques: usize,
    subtechniques_covered: usize,
    rules: usize,
    percent: String,
}

#[derive(Serialize)]
struct RuleView {
    name: String,
    file: String,
    level: String,
    status: String,
}

#[derive(Serialize)]
struct TechniqueRow {
    link: Link,
    status: &'static str,
    score: f64,
    rules: Vec<RuleView>,
}

#[derive(Serialize)]
struct GapRow {
    link: Link,
    status: &'static str,
    used_by: Vec<(Link, String)>,
}

impl Site {
    pub(crate) fn coverage_form(&self, query: &Query) -> Result<String, WebError> {
        let dataset = self.dataset(query)?;
        let nav = self.nav(None, "", "coverage");
        self.render(
            "coverage.html",
            nav,
            minijinja::context! {
                title => "Coverage",
                form => true,
                kept => self.coverage.list(),
                domains => Domain::ALL.iter().filter(|d| self.kb.releases(**d).next().is_some())
                    .map(|d| (d.short_name(), d.title())).collect::<Vec<_>>(),
                platforms => dataset.platforms(),
            },
        )
    }

    pub(crate) fn coverage_page(&self, id: &str, query: &Query) -> Result<String, WebError> {
        let kept = self.coverage.get(id)?;
        let analysis = &kept.analysis;
        let dataset = analysis.dataset;
        let linker = Linker::new(self.kb, dataset);
        let coverage = &analysis.coverage;
        let tactics: Vec<TacticRow> = coverage
            .tactics
            .iter()
            .map(|t| TacticRow {
                link: Link::to(&linker, t.tactic),
                techniques: t.techniques,
                covered: t.covered,
                partly: t.partly,
                subtechniques: t.subtechniques,
                subtechniques_covered: t.subtechniques_covered,
                rules: t.rules,
                percent: format!("{:.1}", t.percent()),
            })
            .collect();
        let rules = analysis.rules();
        let file_of = |path: &Path| -> String {
            path.strip_prefix(&kept.base)
                .unwrap_or(path)
                .display()
                .to_string()
        };
        let mut techniques: Vec<TechniqueRow> = coverage
            .techniques
            .values()
            .filter(|t| !t.rules.is_empty())
            .map(|t| TechniqueRow {
                link: Link::to(&linker, t.technique),
                status: t.status.as_str(),
                score: t.score,
                rules: t
                    .rules
                    .iter()
                    .filter_map(|&i| rules.get(i))
                    .map(|r| RuleView {
                        name: r.name.clone(),
                        file: file_of(&r.file),
                        level: r.level.map(|l| l.as_str().to_string()).unwrap_or_default(),
                        status: r.status.clone().unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect();
        techniques.sort_by(|a, b| a.link.id.cmp(&b.link.id));
        let gaps: Vec<GapRow> = analysis
            .gaps
            .as_ref()
            .map(|g| {
                g.gaps
                    .iter()
                    .take(200)
                    .map(|gap| GapRow {
                        link: Link::to(&linker, gap.technique),
                        status: gap.status.as_str(),
                        used_by: gap
                            .used_by
                            .iter()
                            .map(|(actor, via)| {
                                (Link::to(&linker, *actor), via.sources(dataset).join(", "))
                            })
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let actors: Vec<(Link, usize, usize, String)> = analysis
            .gaps
            .as_ref()
            .map(|g| {
                g.actors
                    .iter()
                    .map(|a| {
                        (
                            Link::to(&linker, a.actor),
                            a.techniques,
                            a.covered,
                            format!("{:.1}", a.percent()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        // `techniques=ID,...` (a mapped report's accepted set): those the rules leave
        // uncovered or partly covered, the most used by groups first.
        let chosen: Vec<(Link, &'static str, usize, usize)> = match query.get("techniques") {
            None => Vec::new(),
            Some(list) => {
                let mut rows: Vec<(Link, &'static str, usize, usize)> = Vec::new();
                for id in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                    let Some(&object) = dataset
                        .by_attack_id(id)
                        .iter()
                        .find(|&&o| dataset.is_live(o))
                    else {
                        continue;
                    };
                    let (status, rules) = coverage
                        .get(dataset.display_id(object))
                        .map_or(("not covered", 0), |t| (t.status.as_str(), t.rules.len()));
                    let groups = dataset
                        .related(attackdb_kb::Relation::GroupsUsingTechnique, object)
                        .len();
                    rows.push((Link::to(&linker, object), status, rules, groups));
                }
                let rank = |status: &str| match status {
                    "covered" => 2,
                    "partly" => 1,
                    _ => 0,
                };
                rows.sort_by(|a, b| {
                    rank(a.1)
                        .cmp(&rank(b.1))
                        .then(b.3.cmp(&a.3))
                        .then(a.0.id.cmp(&b.0.id))
                });
                rows
            }
        };
        let layer = attackdb_coverage::to_layer(analysis, &kept.title);
        let painted = paint(&layer, dataset);
        let columns = crate::view::matrix_columns(
            &linker,
            &analysis.matrix.platform.iter().cloned().collect::<Vec<_>>(),
            &crate::view::Marks::default(),
        );
        let errors: Vec<(String, String)> = analysis
            .ingested
            .errors
            .iter()
            .take(100)
            .map(|e| (file_of(&e.file), e.reason.clone()))
            .collect();
        let nav = self.nav(Some(dataset.domain()), "", "coverage");
        self.render(
            "coverage.html",
            nav,
            minijinja::context! {
                title => format!("Coverage: {}", kept.title),
                form => false,
                id => kept.id.clone(),
                name => kept.title.clone(),
                domain => dataset.domain().title(),
                domain_key => dataset.domain().short_name(),
                release => dataset.release().to_string(),
                files => analysis.ingested.files,
                rule_count => rules.len(),
                mapped => analysis.rules_mapped(),
                without => analysis.rules_without_techniques(),
                filtered => analysis.filtered_note(),
                platform => analysis.matrix.platform.clone(),
                percent => format!("{:.1}", coverage.percent()),
                technique_counts => coverage.technique_counts,
                subtechnique_counts => coverage.subtechnique_counts,
                tactics,
                techniques,
                gaps,
                gap_total => analysis.gaps.as_ref().map(|g| g.gaps.len()),
                actors,
                unknown => analysis.mapping.unknown.keys().take(50).cloned().collect::<Vec<_>>(),
                unknown_total => analysis.mapping.unknown.len(),
                errors,
                error_total => analysis.ingested.errors.len(),
                columns,
                painted,
                layer_spec => format!("coverage:{}", kept.id),
                chosen,
            },
        )
    }
}
