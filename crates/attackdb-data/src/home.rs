//! The data home: the folder where `attackdb data` keeps downloaded and imported releases, its
//! layout, and its manifest (what each held file is, its SHA-256, size, source and time).
//!
//! ```text
//! $ATTACKDB_HOME (default: the user data directory + attackdb, e.g. ~/.local/share/attackdb)
//!   manifest.json                                   written atomically (temporary file + rename)
//!   releases/enterprise-attack/enterprise-attack-18.1.json
//!   releases/ics-attack/ics-attack-17.1.json.gz     (an imported gzip bundle stays gzip)
//!   .attackdb-*.part                                a transfer in progress; never read as data
//!   index/                                          prebuilt indexes of bundles kept elsewhere
//! ```
//!
//! (Prebuilt indexes of held releases sit beside them as `*.attackdb-index`; see [`crate::open`].)
//!
//! A file under `releases/` only ever appears by a rename of a complete, validated temporary file
//! of the same folder, so what is there is whole. The files are the truth about what is held; the
//! manifest adds what they cannot say (hash, source, time).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use attackdb_stix::{Domain, Release};
use serde::{Deserialize, Serialize};

use crate::error::io_error;
use crate::{Error, Result};

/// Name of the manifest file inside the home.
const MANIFEST: &str = "manifest.json";
/// Name of the folder of releases inside the home.
const RELEASES: &str = "releases";
/// Prefix and suffix of temporary files inside the home.
const TEMP_PREFIX: &str = ".attackdb-";
const TEMP_SUFFIX: &str = ".part";
/// Temporary files not written to for this long are left over from an interrupted run (a live
/// transfer writes, or times out, much sooner) and are removed.
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// Where the home's location came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeFrom {
    /// The `ATTACKDB_HOME` environment variable.
    Env,
    /// The platform's user data directory.
    Default,
}

/// The data home.
#[derive(Debug, Clone)]
pub struct Home {
    /// The folder (it may not exist yet).
    pub root: PathBuf,
    /// How it was chosen.
    pub from: HomeFrom,
}

/// One release held in the home.
#[derive(Debug, Clone)]
pub struct Held {
    /// The domain.
    pub domain: Domain,
    /// The release.
    pub release: Release,
    /// The file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// What the manifest says about it, if anything.
    pub record: Option<Record>,
}

/// The manifest's entry for one held release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// `enterprise-attack`, `mobile-attack` or `ics-attack`.
    pub domain: String,
    /// `X.Y`.
    pub release: String,
    /// The file, relative to the home, with `/` separators.
    pub file: String,
    /// Size in bytes, as stored.
    pub size: u64,
    /// SHA-256 of the stored bytes, lowercase hex.
    pub sha256: String,
    /// Where it came from: a URL or a path.
    pub source: String,
    /// When it was stored (UTC, RFC 3339).
    pub retrieved: String,
    /// `modified` of the bundle's collection object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    #[serde(default)]
    format: u32,
    #[serde(default)]
    releases: Vec<Record>,
}

/// A complete, validated file waiting in the home to be installed as a release.
pub struct Pending {
    /// The temporary file (deleted if dropped before [`Home::install`]).
    pub file: tempfile::NamedTempFile,
    /// The domain its collection object names.
    pub domain: Domain,
    /// The release its collection object names.
    pub release: Release,
    /// Whether the bytes are gzip.
    pub gzip: bool,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// Where it came from.
    pub source: String,
    /// `modified` of the collection object.
    pub modified: Option<String>,
}

impl Home {
    /// The home at `root`.
    pub fn at(root: PathBuf) -> Home {
        Home {
            root,
            from: HomeFrom::Env,
        }
    }

    /// The platform's default: `attackdb` in the user data directory, where there is one.
    pub fn default_location() -> Option<Home> {
        dirs::data_dir().map(|dir| Home {
            root: dir.join("attackdb"),
            from: HomeFrom::Default,
        })
    }

    /// The team workspace's SQLite file (`workspace.db`), the default of `attackdb serve`.
    pub fn workspace_path(&self) -> PathBuf {
        self.root.join("workspace.db")
    }

    /// The folder of releases, the one to load data from.
    pub fn releases_dir(&self) -> PathBuf {
        self.root.join(RELEASES)
    }

    fn manifest_path(&self) -> PathBuf {
        self.root.join(MANIFEST)
    }

    /// Whether the home holds at least one release.
    pub fn holds_any(&self) -> bool {
        self.scan().is_ok_and(|found| !found.is_empty())
    }

    /// Every held release with its manifest record, sorted by domain and release.
    pub fn held(&self) -> Result<Vec<Held>> {
        let mut held = self.scan()?;
        let manifest = self.read_manifest()?;
        let mut records: BTreeMap<(String, String), Record> = manifest
            .releases
            .into_iter()
            .map(|r| ((r.domain.clone(), r.release.clone()), r))
            .collect();
        for entry in &mut held {
            let key = (entry.domain.to_string(), entry.release.to_string());
            if let Some(record) = records.remove(&key) {
                if self.root.join(&record.file) == entry.path {
                    entry.record = Some(record);
                }
            }
        }
        Ok(held)
    }

    /// The held files, without the manifest.
    fn scan(&self) -> Result<Vec<Held>> {
        let mut found = Vec::new();
        for domain in Domain::ALL {
            let dir = self.releases_dir().join(domain.as_str());
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(cannot_read(&dir, &e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| cannot_read(&dir, &e))?;
                let name = entry.file_name().to_string_lossy().to_string();
                let Some(release) = release_of_file_name(domain, &name) else {
                    continue;
                };
                // A release may be a link to a bundle kept elsewhere: followed (a link to
                // nothing is no release).
                let meta = match std::fs::metadata(entry.path()) {
                    Ok(meta) => meta,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(cannot_read(&entry.path(), &e)),
                };
                if !meta.is_file() {
                    continue;
                }
                found.push(Held {
                    domain,
                    release,
                    path: entry.path(),
                    size: meta.len(),
                    record: None,
                });
            }
        }
        found.sort_by(|a, b| (a.domain, &a.release, &a.path).cmp(&(b.domain, &b.release, &b.path)));
        // Two files of one release (`.json` and `.json.gz`): the first counts.
        found.dedup_by(|b, a| a.domain == b.domain && a.release == b.release);
        Ok(found)
    }

    /// The held release of `domain` and `release`, if any.
    pub fn find<'a>(held: &'a [Held], domain: Domain, release: &Release) -> Option<&'a Held> {
        held.iter()
            .find(|h| h.domain == domain && &h.release == release)
    }

    fn read_manifest(&self) -> Result<Manifest> {
        let path = self.manifest_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Manifest::default()),
            Err(e) => return Err(cannot_read(&path, &e)),
        };
        serde_json::from_str(&text).map_err(|e| {
            Error::Home(format!(
                "{}: not a valid manifest; it only records hashes and sources, so it can be deleted (the releases stay held): {}",
                path.display(),
                attackdb_stix::clip_quoted(&e.to_string())
            ))
        })
    }

    /// Creates the home folder if needed and removes temporary files left by interrupted runs.
    pub fn prepare(&self) -> Result<()> {
        std::fs::create_dir_all(&self.root)
            .map_err(|e| io_error(e, &self.root, "cannot create the data home"))?;
        if let Ok(entries) = std::fs::read_dir(&self.root) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().to_string();
                let stale = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > STALE_TEMP);
                if name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) && stale {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(())
    }

    /// A new temporary file in the home (the same file system as the releases), deleted when
    /// dropped.
    pub fn temp_file(&self) -> Result<tempfile::NamedTempFile, crate::FetchError> {
        tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(TEMP_SUFFIX)
            .tempfile_in(&self.root)
            .map_err(|e| io_error(e, &self.root, "cannot create a temporary file in"))
    }

    /// Moves `pending` into place as a release and records it in the manifest. If the manifest
    /// cannot be written, the new file is removed again, so either both happen or neither.
    pub fn install(&self, pending: Pending) -> Result<Held> {
        // Fail before touching anything if the manifest is unreadable.
        self.read_manifest()?;
        let dir = self.releases_dir().join(pending.domain.as_str());
        std::fs::create_dir_all(&dir).map_err(|e| io_error(e, &dir, "cannot create"))?;
        let extension = if pending.gzip { "json.gz" } else { "json" };
        let name = format!("{}-{}.{extension}", pending.domain, pending.release);
        let path = dir.join(&name);
        pending
            .file
            .as_file()
            .sync_all()
            .map_err(|e| io_error(e, pending.file.path(), "cannot write"))?;
        pending
            .file
            .persist(&path)
            .map_err(|e| io_error(e.error, &path, "cannot move the download to"))?;
        sync_dir(&dir);
        let record = Record {
            domain: pending.domain.to_string(),
            release: pending.release.to_string(),
            file: format!("{RELEASES}/{}/{name}", pending.domain),
            size: pending.size,
            sha256: pending.sha256,
            source: pending.source,
            retrieved: utc_timestamp(SystemTime::now()),
            modified: pending.modified,
        };
        if let Err(error) = self.write_record(record.clone()) {
            let _ = std::fs::remove_file(&path);
            return Err(error);
        }
        Ok(Held {
            domain: pending.domain,
            release: pending.release,
            path,
            size: pending.size,
            record: Some(record),
        })
    }

    /// Adds or replaces the record of one release, writing the manifest atomically.
    fn write_record(&self, record: Record) -> Result<()> {
        let mut manifest = self.read_manifest()?;
        manifest
            .releases
            .retain(|r| !(r.domain == record.domain && r.release == record.release));
        manifest.releases.push(record);
        manifest.releases.sort_by(|a, b| {
            (&a.domain, Release::from_bundle(&a.release))
                .cmp(&(&b.domain, Release::from_bundle(&b.release)))
        });
        manifest.format = 1;
        let mut text = serde_json::to_value(&manifest)
            .and_then(|value| serde_json::to_string_pretty(&value))
            .map_err(|e| Error::Home(format!("cannot write the manifest: {e}")))?;
        text.push('\n');
        let path = self.manifest_path();
        let mut temp = self.temp_file()?;
        temp.write_all(text.as_bytes())
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| io_error(e, temp.path(), "cannot write"))?;
        temp.persist(&path)
            .map_err(|e| io_error(e.error, &path, "cannot write"))?;
        sync_dir(&self.root);
        Ok(())
    }
}

impl Serialize for Held {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let record = self.record.as_ref();
        let mut map = serializer.serialize_map(Some(8))?;
        map.serialize_entry("domain", &self.domain)?;
        map.serialize_entry("file", &self.path.display().to_string())?;
        map.serialize_entry("modified", &record.and_then(|r| r.modified.as_deref()))?;
        map.serialize_entry("release", &self.release)?;
        map.serialize_entry("retrieved", &record.map(|r| r.retrieved.as_str()))?;
        map.serialize_entry("sha256", &record.map(|r| r.sha256.as_str()))?;
        map.serialize_entry("size", &self.size)?;
        map.serialize_entry("source", &record.map(|r| r.source.as_str()))?;
        map.end()
    }
}

fn cannot_read(path: &Path, error: &std::io::Error) -> Error {
    Error::Home(format!("cannot read {}: {error}", path.display()))
}

/// Makes a rename durable where the platform allows it; failure only loses durability.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(file) = File::open(dir) {
        let _ = file.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// The release of a held file name such as `ics-attack-18.1.json(.gz)`.
fn release_of_file_name(domain: Domain, name: &str) -> Option<Release> {
    let rest = name.strip_prefix(domain.as_str())?.strip_prefix('-')?;
    let release = rest
        .strip_suffix(".json.gz")
        .or_else(|| rest.strip_suffix(".json"))?;
    // Exactly as written: the home names its files, so `v18.1` is not one of them.
    Release::parse(release)
        .ok()
        .filter(|r| r.as_str() == release)
}

/// `time` as UTC RFC 3339, to the second: `2025-11-24T20:10:00Z`.
pub fn utc_timestamp(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// (year, month, day) of a count of days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_rfc3339() {
        assert_eq!(utc_timestamp(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_732_478_400 + 3661);
        assert_eq!(utc_timestamp(t), "2024-11-24T21:01:01Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(utc_timestamp(leap), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn held_file_names_tell_the_release() {
        let of = |n| release_of_file_name(Domain::Ics, n).map(|r| r.to_string());
        assert_eq!(of("ics-attack-18.1.json").as_deref(), Some("18.1"));
        assert_eq!(of("ics-attack-9.0.json.gz").as_deref(), Some("9.0"));
        assert_eq!(of("ics-attack-v9.0.json.gz"), None);
        assert_eq!(of("ics-attack-18.1.index.json"), None);
        assert_eq!(of("ics-attack.json"), None);
        assert_eq!(of("mobile-attack-18.1.json"), None);
        assert_eq!(of("ics-attack-../x.json"), None);
    }
}
