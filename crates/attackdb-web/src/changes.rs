//! The changes page: what changed between two loaded releases of a domain, navigable (each
//! object links to its page in the release that has it).

use attackdb_kb::{
    diff::{diff_releases, Category},
    Domain, Release,
};
use serde::Serialize;

use crate::site::Linker;
use crate::view::Link;
use crate::{parse_domain, Query, Site, WebError};

#[derive(Serialize)]
struct ChangeRow {
    link: Link,
    version: Option<String>,
    revoked_by: Option<Link>,
    fields: Vec<String>,
    description_changed: bool,
    related: Vec<(String, Vec<String>, Vec<String>)>,
}

#[derive(Serialize)]
struct CategoryView {
    title: &'static str,
    key: &'static str,
    color: &'static str,
    rows: Vec<ChangeRow>,
}

/// Diff views kept by (domain, from, to).
pub(crate) type DiffCache = std::sync::Mutex<
    Vec<(
        (Domain, String, String),
        std::sync::Arc<Vec<TypeView>>,
        usize,
    )>,
>;

#[derive(Serialize)]
pub(crate) struct TypeView {
    title: &'static str,
    key: &'static str,
    unchanged: usize,
    changed: usize,
    categories: Vec<CategoryView>,
}

impl Site {
    pub(crate) fn changes_page(&self, query: &Query) -> Result<String, WebError> {
        let domain = match query.get("domain").filter(|d| !d.is_empty()) {
            Some(d) => parse_domain(d)?,
            None => Domain::Enterprise,
        };
        let releases: Vec<String> = self
            .kb
            .releases(domain)
            .map(|d| d.release().to_string())
            .collect();
        let pick = |name: &str, fallback: Option<&String>| -> Result<Option<Release>, WebError> {
            match query.get(name).filter(|r| !r.is_empty()).or(fallback) {
                Some(text) => Release::parse(text)
                    .map(Some)
                    .map_err(|_| WebError::BadRequest(format!("`{name}={text}` is not a release"))),
                None => Ok(None),
            }
        };
        let to = pick("to", releases.last())?;
        let from = pick(
            "from",
            releases.len().checked_sub(2).and_then(|i| releases.get(i)),
        )?;
        let (types, summary) = match (&from, &to) {
            (Some(from), Some(to)) => {
                let (types, total) = self.diff_view(domain, from, to)?;
                (types, Some(total))
            }
            _ => (std::sync::Arc::new(Vec::new()), None),
        };
        let domains: Vec<(&str, &str, bool)> = Domain::ALL
            .into_iter()
            .filter(|d| self.kb.releases(*d).next().is_some())
            .map(|d| (d.short_name(), d.title(), d == domain))
            .collect();
        let nav = self.nav(Some(domain), "", "changes");
        self.render(
            "changes.html",
            nav,
            minijinja::context! {
                title => format!("Changes in {} ATT&CK", domain.title()),
                domain => domain.title(),
                domain_key => domain.short_name(),
                domains,
                releases,
                from => from.map(|r| r.to_string()),
                to => to.map(|r| r.to_string()),
                types => types.as_slice(),
                summary,
            },
        )
    }
}

impl Site {
    /// Computes the default changes of each domain (its two newest releases), so that the
    /// first visit of the changes page does not wait for the diff; for a server to call on a
    /// background thread at start.
    pub fn warm_changes(&self) {
        for domain in Domain::ALL {
            let releases: Vec<&Release> = self.kb.releases(domain).map(|d| d.release()).collect();
            if let [.., from, to] = releases.as_slice() {
                let _ = self.diff_view(domain, from, to);
            }
        }
    }

    /// The changes from `from` to `to`, laid out for the page, computed once per pair (the
    /// releases never change while served; the last 16 pairs asked are kept).
    fn diff_view(
        &self,
        domain: Domain,
        from: &Release,
        to: &Release,
    ) -> Result<(std::sync::Arc<Vec<TypeView>>, usize), WebError> {
        let key = (domain, from.to_string(), to.to_string());
        if let Ok(cache) = self.diffs.lock() {
            if let Some((_, view, total)) = cache.iter().find(|(k, _, _)| *k == key) {
                return Ok((view.clone(), *total));
            }
        }
        let mut types = Vec::new();
        let old = self.kb.select(domain, Some(from))?;
        let new = self.kb.select(domain, Some(to))?;
        let diff = diff_releases(old, new);
        let old_links = Linker::new(self.kb, old);
        let new_links = Linker::new(self.kb, new);
        let mut total = 0;
        for (diff_type, type_diff) in &diff.types {
            let mut categories = Vec::new();
            let mut changed = 0;
            for category in Category::ALL {
                let Some(changes) = type_diff.categories.get(&category) else {
                    continue;
                };
                if changes.is_empty() {
                    continue;
                }
                let mut rows: Vec<ChangeRow> = changes
                    .iter()
                    .map(|change| {
                        let link = match (change.new, change.old) {
                            (Some(n), _) => Link::to(&new_links, n),
                            (None, Some(o)) => Link::to(&old_links, o),
                            (None, None) => Link::plain(diff.display_name(change), None),
                        };
                        ChangeRow {
                            link: Link {
                                id: diff.display_id(change).to_string(),
                                name: diff.display_name(change).to_string(),
                                href: link.href,
                            },
                            version: diff.version_change(change),
                            revoked_by: change.revoked_by.map(|r| Link::to(&new_links, r)),
                            fields: change.fields_changed.clone(),
                            description_changed: change.description.is_some(),
                            related: change
                                .related
                                .iter()
                                .map(|r| (r.what.to_string(), r.added.clone(), r.dropped.clone()))
                                .collect(),
                        }
                    })
                    .collect();
                rows.sort_by(|a, b| a.link.id.cmp(&b.link.id));
                changed += rows.len();
                categories.push(CategoryView {
                    title: category.title(),
                    key: category.key(),
                    color: category.color(),
                    rows,
                });
            }
            total += changed;
            types.push(TypeView {
                title: diff_type.title(),
                key: diff_type.key(),
                unchanged: type_diff.unchanged,
                changed,
                categories,
            });
        }
        let view = std::sync::Arc::new(types);
        if let Ok(mut cache) = self.diffs.lock() {
            if cache.len() >= 16 {
                cache.remove(0);
            }
            cache.push((key, view.clone(), total));
        }
        Ok((view, total))
    }
}
