//! The changes page: what changed between two loaded releases of a domain, navigable (each
//! object links to its page in the release that has it).

use attackdb_kb::{diff_releases, Category, Domain, Release};
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

#[derive(Serialize)]
struct TypeView {
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
        let mut types = Vec::new();
        let mut summary = None;
        if let (Some(from), Some(to)) = (&from, &to) {
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
                                    .map(|r| {
                                        (r.what.to_string(), r.added.clone(), r.dropped.clone())
                                    })
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
            summary = Some(total);
        }
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
                types,
                summary,
            },
        )
    }
}
