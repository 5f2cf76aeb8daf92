//! Where something is: an `http(s)://` URL or a local path (`file://` URLs become paths), and
//! how a reference found in a release catalogue resolves against the catalogue's own location.

use std::path::{Path, PathBuf};

use reqwest::Url;

use crate::{Error, Result};

/// Where something is: a URL, or a local path (`file://` URLs become paths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An `http://` or `https://` URL.
    Url(Url),
    /// A local file or folder.
    Path(PathBuf),
}

impl Location {
    /// Reads `http(s)://...`, `file://...` or a plain path.
    pub fn parse(text: &str) -> Result<Location> {
        let lower = text.trim().to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            let url = Url::parse(text.trim())
                .map_err(|e| Error::Catalogue(format!("bad URL {text}: {e}")))?;
            return Ok(Location::Url(url));
        }
        if lower.starts_with("file:") {
            let url = Url::parse(text.trim())
                .map_err(|e| Error::Catalogue(format!("bad URL {text}: {e}")))?;
            return match url.to_file_path() {
                Ok(path) => Ok(Location::Path(path)),
                Err(()) => Err(Error::Catalogue(format!(
                    "{text}: not a local file URL (file:///path)"
                ))),
            };
        }
        if lower.contains("://") {
            return Err(Error::Catalogue(format!(
                "{text}: only http://, https:// and file:// URLs, or paths, are supported"
            )));
        }
        Ok(Location::Path(PathBuf::from(text)))
    }

    /// What to show the user.
    pub fn display(&self) -> String {
        match self {
            Location::Url(url) => url.as_str().to_string(),
            Location::Path(path) => path.display().to_string(),
        }
    }

    /// Where `reference` (a URL found in the index at `self`) points. A relative reference is
    /// resolved against the index; a remote index may not name local files; a local index that
    /// names `https://.../DOMAIN/FILE` uses `DOMAIN/FILE` (or `FILE.gz`) beside the index when it
    /// is there, so a copied attack-stix-data folder works offline.
    pub(crate) fn resolve(&self, reference: &str) -> Result<Location> {
        let lower = reference.trim().to_ascii_lowercase();
        let absolute = lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("file:");
        match (self, absolute) {
            (Location::Url(_), true) => match Location::parse(reference)? {
                Location::Path(_) => Err(Error::Catalogue(format!(
                    "the index at {} names a local file ({reference}); a remote index may only name http(s) URLs",
                    self.display()
                ))),
                url => Ok(url),
            },
            (Location::Url(base), false) => {
                Ok(Location::Url(base.join(reference).map_err(|e| {
                    Error::Catalogue(format!("bad URL {reference} in the index: {e}"))
                })?))
            }
            (Location::Path(index), true) => {
                let target = Location::parse(reference)?;
                if let (Location::Url(url), Some(dir)) = (&target, index.parent()) {
                    if let Some(local) = local_copy(dir, url) {
                        return Ok(Location::Path(local));
                    }
                }
                Ok(target)
            }
            (Location::Path(index), false) => {
                let dir = index.parent().unwrap_or(Path::new("."));
                Ok(Location::Path(dir.join(reference)))
            }
        }
    }
}

/// `dir/DOMAIN/FILE`, `dir/DOMAIN/FILE.gz`, `dir/FILE` or `dir/FILE.gz` for a URL ending in
/// `DOMAIN/FILE`, whichever exists first.
fn local_copy(dir: &Path, url: &Url) -> Option<PathBuf> {
    let segments: Vec<&str> = url.path_segments()?.collect();
    let safe = |s: &str| !s.is_empty() && s != "." && s != ".." && !s.contains(['\\', ':', '%']);
    let name = segments.last().filter(|s| safe(s))?;
    let mut candidates = Vec::new();
    if let Some(parent) = segments.len().checked_sub(2).and_then(|i| segments.get(i)) {
        if safe(parent) {
            candidates.push(dir.join(parent).join(name));
            candidates.push(dir.join(parent).join(format!("{name}.gz")));
        }
    }
    candidates.push(dir.join(name));
    candidates.push(dir.join(format!("{name}.gz")));
    candidates.into_iter().find(|c| c.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_urls_or_paths() {
        assert!(matches!(
            Location::parse("https://example.org/index.json"),
            Ok(Location::Url(_))
        ));
        assert_eq!(
            Location::parse("file:///srv/attack/index.json").ok(),
            Some(Location::Path(PathBuf::from("/srv/attack/index.json")))
        );
        assert_eq!(
            Location::parse("mirror/index.json").ok(),
            Some(Location::Path(PathBuf::from("mirror/index.json")))
        );
        assert!(Location::parse("ftp://example.org/index.json").is_err());
    }

    #[test]
    fn index_urls_resolve_against_the_index() {
        let remote = Location::parse("http://mirror.test/attack/index.json").ok();
        let remote = remote.as_ref();
        let got = remote.and_then(|r| r.resolve("ics-attack/ics-attack-18.1.json").ok());
        assert_eq!(
            got.map(|l| l.display()).as_deref(),
            Some("http://mirror.test/attack/ics-attack/ics-attack-18.1.json")
        );
        assert!(remote.is_some_and(|r| r.resolve("file:///etc/passwd").is_err()));
        let local = Location::Path(PathBuf::from("/srv/attack/index.json"));
        assert_eq!(
            local.resolve("ics-attack/x.json").ok(),
            Some(Location::Path(PathBuf::from(
                "/srv/attack/ics-attack/x.json"
            )))
        );
    }
}
