//! MITRE's release catalogue (`index.json`: every release of every domain and where its bundle
//! is) and choosing releases from it: the newest, all, or one.
//!
//! "Catalogue" is this file; "index" in attackdb means the prebuilt index of a bundle. The CLI
//! keeps its `--index` option for the catalogue, as MITRE names the file.

use attackdb_stix::{Domain, Release};
use serde::Deserialize;

use crate::location::Location;
use crate::{Error, Result};

/// One release a catalogue offers.
#[derive(Debug, Clone)]
pub struct Offered {
    /// The domain.
    pub domain: Domain,
    /// The release.
    pub release: Release,
    /// When MITRE published it, as the catalogue says.
    pub modified: Option<String>,
    /// Where its bundle is.
    pub location: Location,
}

/// A release catalogue (MITRE's `index.json` format).
#[derive(Debug)]
pub struct Catalogue {
    /// Where it was read from.
    pub location: Location,
    /// Every release it offers, sorted by domain and release.
    pub releases: Vec<Offered>,
    /// Entries that were skipped, and why.
    pub notes: Vec<String>,
}

#[derive(Deserialize)]
struct RawCatalogue {
    collections: Vec<RawCollection>,
}

#[derive(Deserialize)]
struct RawCollection {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    versions: Vec<RawVersion>,
}

#[derive(Deserialize)]
struct RawVersion {
    version: String,
    url: String,
    #[serde(default)]
    modified: Option<String>,
}

/// Which releases of a domain are wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// The newest that is not a pre-release (else the newest).
    Latest,
    /// Every release.
    All,
    /// This one.
    One(Release),
}

impl Wanted {
    /// Reads `latest`, `all` or a release (`18.1`, `v18.1`); `None` is `latest`.
    pub fn parse(text: Option<&str>) -> Result<Wanted> {
        match text.map(str::trim) {
            None | Some("latest") => Ok(Wanted::Latest),
            Some("all") => Ok(Wanted::All),
            Some(text) => Release::parse(text).map(Wanted::One).map_err(|_| {
                Error::Selection(format!(
                    "--release {text}: expected X.Y (e.g. 18.1), latest or all"
                ))
            }),
        }
    }
}

impl Catalogue {
    /// Reads the catalogue `text`, found at `location`. Entries that are not ATT&CK domains
    /// or release numbers, and second entries of one release, are skipped with a note.
    pub fn parse(location: Location, text: &str) -> Result<Catalogue> {
        let config = crate::HttpConfig::default();
        let depth = config.limits.max_json_depth;
        Catalogue::parse_limited(location, text, config.max_index_entries, depth)
    }

    /// [`Catalogue::parse`] of an index listing at most `max_entries` versions and nesting at
    /// most `max_json_depth` deep (more is an error naming the limit).
    pub fn parse_limited(
        location: Location,
        text: &str,
        max_entries: usize,
        max_json_depth: usize,
    ) -> Result<Catalogue> {
        use attackdb_stix::JsonError;
        let raw: RawCatalogue =
            attackdb_stix::from_str_within(text, max_json_depth).map_err(|e| match e {
                JsonError::TooDeep(depth) => {
                    Error::Catalogue(format!("{}: {depth}", location.display()))
                }
                JsonError::Json(e) => Error::Catalogue(format!(
                    "{}: not an ATT&CK release index (a JSON object with a \"collections\" array of versions and URLs): {}",
                    location.display(),
                    attackdb_stix::clip_quoted(&e.to_string())
                )),
            })?;
        let listed: usize = raw.collections.iter().map(|c| c.versions.len()).sum();
        if listed > max_entries {
            return Err(Error::Catalogue(format!(
                "{}: the index lists {listed} versions, more than the {max_entries} allowed (ATTACKDB_MAX_INDEX_ENTRIES raises the limit)",
                location.display()
            )));
        }
        let mut releases: Vec<Offered> = Vec::new();
        let mut notes = Vec::new();
        // Seen releases in a set: an index listing tens of thousands of versions stays linear.
        let mut seen: std::collections::BTreeSet<(Domain, Release)> = Default::default();
        let mut repeated: Vec<String> = Vec::new();
        for collection in raw.collections {
            let Some(domain) =
                Domain::from_collection(collection.id.as_deref(), collection.name.as_deref())
            else {
                notes.push(format!(
                    "skipped collection {:?}: not an ATT&CK domain",
                    collection.name.or(collection.id).unwrap_or_default()
                ));
                continue;
            };
            for version in collection.versions {
                let Ok(release) = Release::parse(&version.version) else {
                    notes.push(format!(
                        "skipped {domain} version {:?}: not X.Y",
                        version.version
                    ));
                    continue;
                };
                if !seen.insert((domain, release.clone())) {
                    repeated.push(format!("{domain} {release}"));
                    continue;
                }
                let target = location.resolve(&version.url).map_err(|e| {
                    Error::Catalogue(format!("{}: {domain} {release}: {e}", location.display()))
                })?;
                releases.push(Offered {
                    domain,
                    release,
                    modified: version.modified,
                    location: target,
                });
            }
        }
        match repeated.len() {
            0 => {}
            1 => notes.push(format!("skipped a second entry for {}", repeated[0])),
            n => {
                let shown: Vec<&str> = repeated.iter().take(5).map(String::as_str).collect();
                let more = if n > 5 { ", ..." } else { "" };
                notes.push(format!(
                    "skipped {n} repeated entries, the first of each kept ({}{more})",
                    shown.join(", ")
                ));
            }
        }
        releases.sort_by(|a, b| (a.domain, &a.release).cmp(&(b.domain, &b.release)));
        Ok(Catalogue {
            location,
            releases,
            notes,
        })
    }

    /// The newest release of `domain` that is not a pre-release (else the newest).
    pub fn latest(&self, domain: Domain) -> Option<&Offered> {
        let mut of_domain = self.releases.iter().filter(|o| o.domain == domain);
        of_domain
            .clone()
            .rfind(|o| !o.release.is_prerelease())
            .or_else(|| of_domain.next_back())
    }

    /// The releases that `domains` and `wanted` select. With a domain `named` by the user, a
    /// release it lacks is an error; across all domains, only a release none of them has is.
    pub fn select(
        &self,
        domains: &[Domain],
        named: bool,
        wanted: &Wanted,
    ) -> Result<Vec<&Offered>> {
        let mut chosen = Vec::new();
        for &domain in domains {
            let of_domain: Vec<&Offered> = self
                .releases
                .iter()
                .filter(|o| o.domain == domain)
                .collect();
            if of_domain.is_empty() {
                if named {
                    return Err(Error::Selection(format!(
                        "the index {} offers no {domain} release",
                        self.location.display()
                    )));
                }
                continue;
            }
            match wanted {
                Wanted::Latest => chosen.extend(self.latest(domain)),
                Wanted::All => chosen.extend(of_domain),
                Wanted::One(release) => match of_domain.iter().find(|o| &o.release == release) {
                    Some(o) => chosen.push(*o),
                    None if named => {
                        return Err(Error::Selection(format!(
                            "release {release} of {domain} is not in the index {} (newest: {}); `attackdb data releases` lists them",
                            self.location.display(),
                            self.latest(domain).map_or("", |o| o.release.as_str())
                        )))
                    }
                    None => {}
                },
            }
        }
        if chosen.is_empty() {
            return Err(Error::Selection(match wanted {
                Wanted::One(release) => format!(
                    "no domain has release {release} in the index {}; `attackdb data releases` lists them",
                    self.location.display()
                ),
                _ => format!("the index {} offers no release", self.location.display()),
            }));
        }
        Ok(chosen)
    }

    /// The releases newer than `newest` held per domain (pre-releases passed over), for
    /// `domains`: what an update fetches.
    pub fn newer_than<'a>(
        &'a self,
        domains: &[Domain],
        newest: &std::collections::BTreeMap<Domain, &Release>,
    ) -> Vec<&'a Offered> {
        self.releases
            .iter()
            .filter(|o| domains.contains(&o.domain) && !o.release.is_prerelease())
            .filter(|o| newest.get(&o.domain).is_some_and(|n| &o.release > *n))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Option<Catalogue> {
        let text = r#"{"collections": [
            {"id": "x-mitre-collection--90c00720-636b-4485-b342-8751d232bf09", "name": "ICS ATT&CK",
             "versions": [{"version": "18.1", "url": "ics-attack/ics-attack-18.1.json"},
                          {"version": "9.0", "url": "ics-attack/ics-attack-9.0.json"},
                          {"version": "19.0-beta", "url": "ics-attack/ics-attack-19.0-beta.json"},
                          {"version": "18.1", "url": "again.json"},
                          {"version": "latest", "url": "x.json"}]},
            {"name": "Mobile ATT&CK", "versions": [{"version": "v17.1", "url": "m.json"}]},
            {"name": "Something else", "versions": []}
        ]}"#;
        Catalogue::parse(Location::parse("/srv/attack/index.json").ok()?, text).ok()
    }

    #[test]
    fn catalogues_sort_releases_numerically_and_note_what_they_skip() {
        let Some(catalogue) = catalogue() else {
            panic!("the catalogue parses");
        };
        let releases: Vec<String> = catalogue
            .releases
            .iter()
            .map(|o| format!("{} {}", o.domain, o.release))
            .collect();
        assert_eq!(
            releases,
            [
                "ics-attack 9.0",
                "ics-attack 18.1",
                "ics-attack 19.0-beta",
                "mobile-attack 17.1"
            ]
        );
        assert_eq!(catalogue.notes.len(), 3, "{:?}", catalogue.notes);
        assert_eq!(
            catalogue.latest(Domain::Ics).map(|o| o.release.as_str()),
            Some("18.1")
        );
    }

    #[test]
    fn finding_6_an_index_of_90000_versions_is_read_in_linear_time_with_one_note() {
        // 60,000 releases and 30,000 repeats of them: the duplicate check was quadratic
        // (billions of comparisons); it now takes a set lookup per version.
        let mut versions: Vec<String> = Vec::new();
        for major in 0..600 {
            for minor in 0..100 {
                versions.push(format!(
                    r#"{{"version": "{major}.{minor}", "url": "e-{major}.{minor}.json"}}"#
                ));
            }
        }
        for major in 0..300 {
            for minor in 0..100 {
                versions.push(format!(
                    r#"{{"version": "{major}.{minor}", "url": "x.json"}}"#
                ));
            }
        }
        let text = format!(
            r#"{{"collections": [{{"name": "Enterprise ATT&CK", "versions": [{}]}}]}}"#,
            versions.join(",")
        );
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let location = Location::parse("/srv/attack/index.json").ok();
            let parsed =
                location.and_then(|l| Catalogue::parse_limited(l, &text, 100_000, 127).ok());
            let _ = sender.send(parsed.map(|c| (c.releases.len(), c.notes)));
        });
        // A hang guard, not a speed target: the parse takes milliseconds.
        let parsed = receiver
            .recv_timeout(std::time::Duration::from_secs(60))
            .ok()
            .flatten();
        let Some((count, notes)) = parsed else {
            panic!("the index was not read within a minute");
        };
        assert_eq!(count, 60_000);
        assert_eq!(
            notes,
            ["skipped 30000 repeated entries, the first of each kept (enterprise-attack 0.0, enterprise-attack 0.1, enterprise-attack 0.2, enterprise-attack 0.3, enterprise-attack 0.4, ...)"]
        );
    }

    #[test]
    fn an_index_listing_more_versions_than_allowed_is_refused() {
        let text = r#"{"collections": [{"name": "ICS ATT&CK", "versions": [
            {"version": "18.1", "url": "a.json"}, {"version": "18.0", "url": "b.json"},
            {"version": "18.1", "url": "c.json"}]}]}"#;
        let location = || Location::parse("/srv/attack/index.json").ok();
        let within = location().map(|l| Catalogue::parse_limited(l, text, 3, 127));
        assert_eq!(
            within.and_then(Result::ok).map(|c| c.releases.len()),
            Some(2)
        );
        let past = location().map(|l| Catalogue::parse_limited(l, text, 2, 127));
        assert_eq!(
            past.and_then(Result::err).map(|e| e.to_string()),
            Some("/srv/attack/index.json: the index lists 3 versions, more than the 2 allowed (ATTACKDB_MAX_INDEX_ENTRIES raises the limit)".to_string())
        );
    }

    #[test]
    fn selections_name_what_is_missing() {
        let Some(catalogue) = catalogue() else {
            panic!("the catalogue parses");
        };
        let one = |r: &str| Wanted::One(Release::from_bundle(r));
        let named = catalogue.select(&[Domain::Ics], true, &one("16.0"));
        assert!(named
            .err()
            .is_some_and(|e| e.to_string().contains("release 16.0 of ics-attack")));
        let across = catalogue.select(&Domain::ALL, false, &one("17.1"));
        assert_eq!(across.map(|c| c.len()).ok(), Some(1));
        assert!(catalogue
            .select(&[Domain::Enterprise], true, &Wanted::Latest)
            .is_err());
        assert_eq!(Wanted::parse(Some("v18.1")).ok(), Some(one("18.1")));
        assert!(Wanted::parse(Some("eighteen")).is_err());
    }
}
