//! Getting releases: reading a release index and transferring bundles from `http(s)://` URLs,
//! `file://` URLs or paths into the data home, safely. A transfer goes to a temporary file in the
//! home; only once it is complete (its `Content-Length` met), parsed, and found to be the bundle
//! of the expected domain and release by its collection object, is it renamed into place.
//! Transient failures (5xx, a reset or refused connection, a timeout, a body cut short) are
//! retried with back-off; others (404, DNS failure, wrong content, a full disk) are not.
//!
//! `ATTACKDB_HTTP_TIMEOUT` (seconds, default 30) bounds connecting and every wait for data;
//! `ATTACKDB_HTTP_RETRIES` (default 2) is how many times a transient failure is retried.

use std::cell::OnceCell;
use std::error::Error as StdError;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use reqwest::Url;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::home::{is_release, release_key, Held, Home, Pending};

/// MITRE's official index of every ATT&CK release.
pub const DEFAULT_INDEX: &str =
    "https://raw.githubusercontent.com/mitre-attack/attack-stix-data/master/index.json";

/// The largest bundle stored (the largest release today is about 50 MB).
const MAX_BUNDLE: u64 = 1 << 30;
/// The largest index read.
const MAX_INDEX: u64 = 16 << 20;
/// The first wait before a retry; it doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// Why a transfer failed. Every message is one line naming the URL or file.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The server answered with an error status.
    #[error("{url}: HTTP {status}")]
    Http {
        /// The URL.
        url: String,
        /// The status code and reason, e.g. `404 Not Found`.
        status: String,
        /// The status code.
        code: u16,
    },
    /// The host name could not be resolved.
    #[error("{url}: cannot resolve host {host} (DNS lookup failed: {detail})")]
    Dns {
        /// The URL.
        url: String,
        /// The host.
        host: String,
        /// What the resolver said.
        detail: String,
    },
    /// No connection could be made.
    #[error("{url}: cannot connect to {host}: {detail}")]
    Connect {
        /// The URL.
        url: String,
        /// `host:port`.
        host: String,
        /// The cause.
        detail: String,
    },
    /// Nothing arrived for the timeout.
    #[error("{url}: timed out: no data for {seconds}s (ATTACKDB_HTTP_TIMEOUT)")]
    Timeout {
        /// The URL.
        url: String,
        /// The timeout.
        seconds: f64,
    },
    /// The body ended before its announced length, or the connection broke while reading it.
    #[error("{url}: download cut short after {got} bytes{of}: {detail}", of = expected.map(|e| format!(" of {e}")).unwrap_or_default())]
    Truncated {
        /// The URL.
        url: String,
        /// Bytes received.
        got: u64,
        /// Bytes announced by `Content-Length`.
        expected: Option<u64>,
        /// The cause.
        detail: String,
    },
    /// The JSON ends early: the body was cut short without the transport noticing.
    #[error("{url}: the JSON ends early ({detail}); the download was cut short")]
    BrokenJson {
        /// The URL.
        url: String,
        /// What the parser said.
        detail: String,
    },
    /// The body is not the ATT&CK bundle expected.
    #[error("{0}")]
    WrongContent(String),
    /// The body is larger than any ATT&CK bundle.
    #[error("{url}: larger than {limit}; refusing to store it", limit = HumanBytes(*limit))]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// Another transport failure.
    #[error("{url}: {detail}")]
    Transport {
        /// The URL.
        url: String,
        /// The cause.
        detail: String,
    },
    /// The disk is full.
    #[error("{path}: no space left on the device; free some space and run the command again")]
    DiskFull {
        /// The file being written.
        path: PathBuf,
    },
    /// Another file system failure.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl FetchError {
    /// Whether trying again may help.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Http { code, .. } => *code >= 500 || *code == 408 || *code == 429,
            FetchError::Connect { .. }
            | FetchError::Timeout { .. }
            | FetchError::Truncated { .. }
            | FetchError::BrokenJson { .. }
            | FetchError::Transport { .. } => true,
            FetchError::Dns { .. }
            | FetchError::WrongContent(_)
            | FetchError::TooLarge { .. }
            | FetchError::DiskFull { .. }
            | FetchError::Io { .. } => false,
        }
    }

    /// A next step for the user.
    pub fn hint(&self) -> Option<String> {
        match self {
            FetchError::Http { code: 404, .. } => Some(
                "`attackdb data releases` lists what the index offers; --index names another index".into(),
            ),
            FetchError::Dns { .. } | FetchError::Connect { .. } => Some(
                "check the network; offline, use a copy of attack-stix-data: `attackdb data fetch --index PATH/index.json`, `attackdb data import PATH` or `--data PATH`".into(),
            ),
            FetchError::Timeout { .. } => {
                Some("set ATTACKDB_HTTP_TIMEOUT=SECONDS to wait longer".into())
            }
            FetchError::Truncated { .. } | FetchError::BrokenJson { .. } => {
                Some("run the command again; nothing half-written was kept".into())
            }
            FetchError::WrongContent(_) => Some(
                "the index or mirror serves something else at that address; nothing was stored".into(),
            ),
            _ => None,
        }
    }
}

/// Maps an I/O error on `path` to [`FetchError`], telling a full disk apart.
pub fn io_error(source: std::io::Error, path: &Path, what: &'static str) -> FetchError {
    if is_disk_full(&source) {
        FetchError::DiskFull {
            path: path.to_path_buf(),
        }
    } else {
        FetchError::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Whether `error` says the disk (or the user's quota) is full.
fn is_disk_full(error: &std::io::Error) -> bool {
    let code = error.raw_os_error();
    if cfg!(windows) {
        // ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL
        matches!(code, Some(39 | 112))
    } else {
        // ENOSPC everywhere; EDQUOT on Linux (122) and the BSDs and macOS (69)
        matches!(code, Some(28)) || (cfg!(target_os = "linux") && code == Some(122))
    }
}

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
            let url = Url::parse(text.trim()).with_context(|| format!("bad URL {text}"))?;
            return Ok(Location::Url(url));
        }
        if lower.starts_with("file:") {
            let url = Url::parse(text.trim()).with_context(|| format!("bad URL {text}"))?;
            return match url.to_file_path() {
                Ok(path) => Ok(Location::Path(path)),
                Err(()) => bail!("{text}: not a local file URL (file:///path)"),
            };
        }
        if lower.contains("://") {
            bail!("{text}: only http://, https:// and file:// URLs, or paths, are supported");
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
    fn resolve(&self, reference: &str) -> Result<Location> {
        let lower = reference.trim().to_ascii_lowercase();
        let absolute = lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("file:");
        match (self, absolute) {
            (Location::Url(_), true) => match Location::parse(reference)? {
                Location::Path(_) => {
                    bail!("the index at {} names a local file ({reference}); a remote index may only name http(s) URLs", self.display())
                }
                url => Ok(url),
            },
            (Location::Url(base), false) => {
                Ok(Location::Url(base.join(reference).with_context(|| {
                    format!("bad URL {reference} in the index")
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

/// Timeouts and retries, from the environment.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Bound on connecting and on every wait for data.
    pub timeout: Duration,
    /// How many times a transient failure is retried.
    pub retries: u32,
}

impl Config {
    /// `ATTACKDB_HTTP_TIMEOUT` (seconds, default 30) and `ATTACKDB_HTTP_RETRIES` (default 2).
    pub fn from_env() -> Result<Config> {
        let mut config = Config {
            timeout: Duration::from_secs(30),
            retries: 2,
        };
        if let Ok(value) = std::env::var("ATTACKDB_HTTP_TIMEOUT") {
            let seconds: f64 = value
                .trim()
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s < 1e6)
                .with_context(|| {
                    format!("ATTACKDB_HTTP_TIMEOUT must be a number of seconds, not {value:?}")
                })?;
            config.timeout = Duration::from_secs_f64(seconds);
        }
        if let Ok(value) = std::env::var("ATTACKDB_HTTP_RETRIES") {
            config.retries = value
                .trim()
                .parse()
                .ok()
                .filter(|r| *r <= 10)
                .with_context(|| {
                    format!("ATTACKDB_HTTP_RETRIES must be a count from 0 to 10, not {value:?}")
                })?;
        }
        Ok(config)
    }
}

/// One release an index offers.
#[derive(Debug, Clone)]
pub struct Offered {
    /// `enterprise-attack`, `mobile-attack` or `ics-attack`.
    pub domain: &'static str,
    /// `X.Y`.
    pub release: String,
    /// When MITRE published it, as the index says.
    pub modified: Option<String>,
    /// Where its bundle is.
    pub location: Location,
}

/// A release index (MITRE's `index.json` format).
#[derive(Debug)]
pub struct Index {
    /// Where it was read from.
    pub location: Location,
    /// Every release it offers, sorted by domain and release.
    pub releases: Vec<Offered>,
    /// Entries that were skipped, and why.
    pub notes: Vec<String>,
}

#[derive(Deserialize)]
struct RawIndex {
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

/// The domain of an index collection: by its fixed STIX ID, else its name.
fn collection_domain(id: Option<&str>, name: Option<&str>) -> Option<&'static str> {
    match id {
        Some("x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019") => {
            return Some("enterprise-attack")
        }
        Some("x-mitre-collection--dac0d2d7-8653-445c-9bff-82f934c1e858") => {
            return Some("mobile-attack")
        }
        Some("x-mitre-collection--90c00720-636b-4485-b342-8751d232bf09") => {
            return Some("ics-attack")
        }
        _ => {}
    }
    let name = name?.to_ascii_lowercase();
    ["enterprise", "mobile", "ics"]
        .into_iter()
        .zip(attackdb_stix::DOMAINS)
        .find(|(word, _)| name.split_whitespace().any(|w| w == *word))
        .map(|(_, domain)| domain)
}

/// A file transferred into the home, not yet checked.
struct Transferred {
    size: u64,
    sha256: String,
    gzip: bool,
}

/// What a bundle's collection object says it is.
pub struct Identity {
    /// The domain.
    pub domain: &'static str,
    /// The release.
    pub release: String,
    /// The collection's `modified`.
    pub modified: Option<String>,
}

/// Transfers files, with one HTTP client made on first use.
pub struct Fetcher {
    config: Config,
    progress: bool,
    client: OnceCell<reqwest::blocking::Client>,
}

impl Fetcher {
    /// A fetcher; `progress` shows progress bars on standard error.
    pub fn new(config: Config, progress: bool) -> Fetcher {
        Fetcher {
            config,
            progress,
            client: OnceCell::new(),
        }
    }

    fn client(&self, url: &str) -> Result<&reqwest::blocking::Client, FetchError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = reqwest::blocking::Client::builder()
            .timeout(Some(self.config.timeout))
            .connect_timeout(self.config.timeout)
            .user_agent(concat!("attackdb/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Transport {
                url: url.to_string(),
                detail: format!("cannot set up HTTP: {}", deepest(&e)),
            })?;
        Ok(self.client.get_or_init(|| client))
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are used up.
    fn with_retries<T>(
        &self,
        mut attempt: impl FnMut() -> Result<T, FetchError>,
    ) -> Result<T, FetchError> {
        let mut tries = 0;
        loop {
            match attempt() {
                Err(error) if error.is_transient() && tries < self.config.retries => {
                    let wait = FIRST_BACKOFF * 2u32.pow(tries);
                    tries += 1;
                    eprintln!(
                        "warning: {error}; retrying in {:.1}s ({tries} of {})",
                        wait.as_secs_f64(),
                        self.config.retries
                    );
                    std::thread::sleep(wait);
                }
                result => return result,
            }
        }
    }

    /// Reads the release index at `location` (a folder means its `index.json`).
    pub fn read_index(&self, location: &Location) -> Result<Index> {
        let location = match location {
            Location::Path(path) if path.is_dir() => Location::Path(path.join("index.json")),
            other => other.clone(),
        };
        let text = match &location {
            Location::Url(url) => self.with_retries(|| self.get_small(url))?,
            Location::Path(path) => {
                let bytes =
                    std::fs::read(path).map_err(|e| io_error(e, path, "cannot read the index"))?;
                String::from_utf8(bytes).map_err(|_| {
                    anyhow::anyhow!("{}: the index is not UTF-8 text", path.display())
                })?
            }
        };
        let raw: RawIndex = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: not an ATT&CK release index (a JSON object with a \"collections\" array of versions and URLs): {e}",
                location.display()
            )
        })?;
        let mut releases: Vec<Offered> = Vec::new();
        let mut notes = Vec::new();
        for collection in raw.collections {
            let Some(domain) =
                collection_domain(collection.id.as_deref(), collection.name.as_deref())
            else {
                notes.push(format!(
                    "skipped collection {:?}: not an ATT&CK domain",
                    collection.name.or(collection.id).unwrap_or_default()
                ));
                continue;
            };
            for version in collection.versions {
                let release = version.version.trim().trim_start_matches('v').to_string();
                if !is_release(&release) {
                    notes.push(format!(
                        "skipped {domain} version {:?}: not X.Y",
                        version.version
                    ));
                    continue;
                }
                if releases
                    .iter()
                    .any(|o| o.domain == domain && o.release == release)
                {
                    notes.push(format!("skipped a second entry for {domain} {release}"));
                    continue;
                }
                let target = location
                    .resolve(&version.url)
                    .with_context(|| format!("{}: {domain} {release}", location.display()))?;
                releases.push(Offered {
                    domain,
                    release,
                    modified: version.modified,
                    location: target,
                });
            }
        }
        releases.sort_by(|a, b| {
            (a.domain, release_key(&a.release)).cmp(&(b.domain, release_key(&b.release)))
        });
        Ok(Index {
            location,
            releases,
            notes,
        })
    }

    /// GETs a small document (the index) as text.
    fn get_small(&self, url: &Url) -> Result<String, FetchError> {
        let label = url.as_str();
        let mut response = self.send(url)?;
        let expected = response.content_length();
        if expected.is_some_and(|n| n > MAX_INDEX) {
            return Err(FetchError::TooLarge {
                url: label.to_string(),
                limit: MAX_INDEX,
            });
        }
        let mut bytes = Vec::new();
        (&mut response)
            .take(MAX_INDEX + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| read_error(label, &e, bytes.len() as u64, expected, self.config))?;
        if bytes.len() as u64 > MAX_INDEX {
            return Err(FetchError::TooLarge {
                url: label.to_string(),
                limit: MAX_INDEX,
            });
        }
        if let Some(expected) = expected.filter(|n| *n != bytes.len() as u64) {
            return Err(FetchError::Truncated {
                url: label.to_string(),
                got: bytes.len() as u64,
                expected: Some(expected),
                detail: "the connection closed early".into(),
            });
        }
        String::from_utf8(bytes)
            .map_err(|_| FetchError::WrongContent(format!("{label}: the index is not UTF-8 text")))
    }

    /// Sends a GET and checks the status.
    fn send(&self, url: &Url) -> Result<reqwest::blocking::Response, FetchError> {
        let label = url.as_str();
        let response = self
            .client(label)?
            .get(url.clone())
            .send()
            .map_err(|e| send_error(url, &e, self.config))?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Http {
                url: label.to_string(),
                status: format!(
                    "{} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("")
                )
                .trim_end()
                .to_string(),
                code: status.as_u16(),
            });
        }
        Ok(response)
    }

    /// Fetches `offered` into `home`: transfer to a temporary file, check, rename into place,
    /// record. On any failure nothing is left behind and nothing held is touched.
    pub fn fetch_release(&self, home: &Home, offered: &Offered) -> Result<Held> {
        let label = offered.location.display();
        let name = format!("{} {}", offered.domain, offered.release);
        let pending = self.with_retries(|| {
            let (mut input, expected): (Box<dyn Read>, Option<u64>) = match &offered.location {
                Location::Url(url) => {
                    let response = self.send(url)?;
                    let expected = response.content_length();
                    (Box::new(response), expected)
                }
                Location::Path(source) => {
                    let input =
                        File::open(source).map_err(|e| io_error(e, source, "cannot read"))?;
                    let expected = input.metadata().ok().map(|m| m.len());
                    (Box::new(input), expected)
                }
            };
            if expected.is_some_and(|n| n > MAX_BUNDLE) {
                return Err(FetchError::TooLarge {
                    url: label.clone(),
                    limit: MAX_BUNDLE,
                });
            }
            let wanted = (&*offered.domain, &*offered.release);
            self.stage(home, &mut input, expected, &label, &name, Some(wanted))
        })?;
        home.install(pending)
    }

    /// Copies the bundle file `source` into a temporary file of `home` and identifies it.
    pub fn stage_file(&self, home: &Home, source: &Path) -> Result<Pending> {
        let label = source.display().to_string();
        let mut input = File::open(source).map_err(|e| io_error(e, source, "cannot read"))?;
        let expected = input.metadata().ok().map(|m| m.len());
        let short = source
            .file_name()
            .map_or_else(|| label.clone(), |name| name.to_string_lossy().to_string());
        let mut pending = self.stage(home, &mut input, expected, &label, &short, None)?;
        pending.source = std::fs::canonicalize(source)
            .unwrap_or_else(|_| source.to_path_buf())
            .display()
            .to_string();
        Ok(pending)
    }

    /// Copies `input` (`expected` bytes, if known) into a new temporary file of `home` with a
    /// progress bar named `name`, and identifies the bundle it holds; with `wanted`, the bundle
    /// must be that domain and release. The manifest will record `label` as its source.
    fn stage(
        &self,
        home: &Home,
        input: &mut dyn Read,
        expected: Option<u64>,
        label: &str,
        name: &str,
        wanted: Option<(&str, &str)>,
    ) -> Result<Pending, FetchError> {
        let mut file = home.temp_file().map_err(into_fetch_error)?;
        let path = file.path().to_path_buf();
        let bar = self.bar(name, expected);
        let checked = copy(
            input,
            file.as_file_mut(),
            &path,
            label,
            expected,
            &bar,
            self.config,
        )
        .and_then(|transferred| {
            bar.set_message(format!("{name} (checking)"));
            let identity = identify(&path, label)?;
            if let Some((domain, release)) = wanted {
                if identity.domain != domain || identity.release != release {
                    return Err(FetchError::WrongContent(format!(
                        "{label}: expected the {domain} {release} bundle, got {} {} (by its collection object)",
                        identity.domain, identity.release
                    )));
                }
            }
            Ok((transferred, identity))
        });
        let (transferred, identity) = match checked {
            Ok(checked) => checked,
            Err(error) => {
                bar.finish_and_clear();
                return Err(error);
            }
        };
        if wanted.is_some() {
            bar.finish_with_message(name.to_string());
        } else {
            bar.finish_and_clear();
        }
        Ok(Pending {
            file,
            domain: identity.domain,
            release: identity.release,
            gzip: transferred.gzip,
            size: transferred.size,
            sha256: transferred.sha256,
            source: label.to_string(),
            modified: identity.modified,
        })
    }

    /// A progress bar (bytes, rate) on standard error when it is a terminal, else a hidden one.
    fn bar(&self, name: &str, length: Option<u64>) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(length, ProgressDrawTarget::stderr());
        let template = match length {
            Some(_) => "{msg} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            None => "{spinner} {msg} {bytes} {bytes_per_sec}",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(name.to_string());
        bar
    }
}

/// `home.temp_file()` returns anyhow errors; inside a retry loop they are final.
fn into_fetch_error(error: anyhow::Error) -> FetchError {
    match error.downcast::<FetchError>() {
        Ok(error) => error,
        Err(other) => FetchError::Transport {
            url: String::new(),
            detail: format!("{other:#}"),
        },
    }
}

/// Streams `input` into `file`, hashing, counting and checking the announced length.
fn copy(
    input: &mut dyn Read,
    file: &mut File,
    path: &Path,
    label: &str,
    expected: Option<u64>,
    bar: &ProgressBar,
    config: Config,
) -> Result<Transferred, FetchError> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut got: u64 = 0;
    let mut head: Vec<u8> = Vec::with_capacity(2);
    loop {
        let n = match input.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(label, &e, got, expected, config)),
        };
        let chunk = &buffer[..n];
        if head.len() < 2 {
            head.extend(chunk.iter().take(2 - head.len()));
        }
        got += n as u64;
        if got > MAX_BUNDLE {
            return Err(FetchError::TooLarge {
                url: label.to_string(),
                limit: MAX_BUNDLE,
            });
        }
        file.write_all(chunk)
            .map_err(|e| io_error(e, path, "cannot write"))?;
        hasher.update(chunk);
        bar.inc(n as u64);
    }
    file.flush()
        .map_err(|e| io_error(e, path, "cannot write"))?;
    if let Some(expected) = expected.filter(|e| *e != got) {
        return Err(FetchError::Truncated {
            url: label.to_string(),
            got,
            expected: Some(expected),
            detail: "the connection closed early".into(),
        });
    }
    Ok(Transferred {
        size: got,
        sha256: format!("{:x}", hasher.finalize()),
        gzip: head == [0x1f, 0x8b],
    })
}

/// Reads and parses the bundle at `path` (a temporary file; `label` is what to call it) and
/// returns what its collection object says it is.
pub fn identify(path: &Path, label: &str) -> Result<Identity, FetchError> {
    use attackdb_stix::Error as StixError;
    let text = attackdb_stix::read_text(path).map_err(|e| match e {
        StixError::Io { source, .. } => io_error(source, path, "cannot read"),
        StixError::Gzip { source, .. } => FetchError::BrokenJson {
            url: label.to_string(),
            detail: format!("broken gzip data: {source}"),
        },
        StixError::NotUtf8 { offset, .. } => FetchError::WrongContent(format!(
            "{label}: not an ATT&CK bundle: not UTF-8 text (byte {offset})"
        )),
        other => FetchError::WrongContent(other.to_string()),
    })?;
    let bundle = attackdb_stix::parse_bundle(Path::new(label), text).map_err(|e| match e {
        StixError::Json { message, .. } if message.contains("EOF") => FetchError::BrokenJson {
            url: label.to_string(),
            detail: message,
        },
        StixError::Json { .. } | StixError::NotABundle { .. } | StixError::BadObject { .. } => {
            let text = e.to_string();
            let detail = text
                .strip_prefix(label)
                .map_or(text.as_str(), |rest| rest.trim_start_matches(':'));
            FetchError::WrongContent(format!("{label}: not an ATT&CK bundle: {detail}"))
        }
        other => FetchError::WrongContent(other.to_string()),
    })?;
    let Some(collection) = &bundle.collection else {
        return Err(FetchError::WrongContent(format!(
            "{label}: not an ATT&CK release: the bundle has no x-mitre-collection object naming its domain and release"
        )));
    };
    let guessed = bundle
        .diagnostics
        .iter()
        .any(|d| matches!(d.kind, attackdb_stix::DiagnosticKind::Provenance { .. }));
    let domain = bundle
        .domain
        .as_deref()
        .and_then(|d| attackdb_stix::DOMAINS.into_iter().find(|known| *known == d));
    match (domain, &bundle.release) {
        (Some(domain), Some(release)) if !guessed && is_release(release) => Ok(Identity {
            domain,
            release: release.clone(),
            modified: collection.modified.clone(),
        }),
        _ => Err(FetchError::WrongContent(format!(
            "{label}: its x-mitre-collection object ({:?}, version {:?}) does not name an ATT&CK domain and release",
            collection.name, collection.version
        ))),
    }
}

/// The innermost message of an error chain (looking inside `io::Error`s too).
fn deepest(error: &(dyn StdError + 'static)) -> String {
    causes(error)
        .last()
        .map_or_else(|| error.to_string(), |e| e.to_string())
}

/// Every error of a chain, outermost first, looking inside `io::Error`s.
fn causes<'a>(error: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut found = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        found.push(e);
        if found.len() > 16 {
            break;
        }
        current = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        };
    }
    found
}

fn is_timeout(error: &(dyn StdError + 'static)) -> bool {
    causes(error).iter().any(|e| {
        e.downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_timeout)
            || e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
    })
}

fn send_error(url: &Url, error: &reqwest::Error, config: Config) -> FetchError {
    let label = url.as_str().to_string();
    let host = url.host_str().unwrap_or_default().to_string();
    let text: Vec<String> = causes(error).iter().map(|e| e.to_string()).collect();
    let detail = deepest(error);
    if is_timeout(error) {
        return FetchError::Timeout {
            url: label,
            seconds: config.timeout.as_secs_f64(),
        };
    }
    let dns = text
        .iter()
        .any(|t| t.contains("dns error") || t.contains("failed to lookup address"));
    if dns {
        return FetchError::Dns {
            url: label,
            host,
            detail,
        };
    }
    if error.is_connect() {
        let port = url.port_or_known_default().unwrap_or(0);
        return FetchError::Connect {
            url: label,
            host: format!("{host}:{port}"),
            detail,
        };
    }
    FetchError::Transport { url: label, detail }
}

fn read_error(
    label: &str,
    error: &std::io::Error,
    got: u64,
    expected: Option<u64>,
    config: Config,
) -> FetchError {
    if is_timeout(error) {
        return FetchError::Timeout {
            url: label.to_string(),
            seconds: config.timeout.as_secs_f64(),
        };
    }
    FetchError::Truncated {
        url: label.to_string(),
        got,
        expected,
        detail: deepest(error),
    }
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

    #[test]
    fn collections_are_domains_by_id_or_name() {
        assert_eq!(
            collection_domain(
                Some("x-mitre-collection--90c00720-636b-4485-b342-8751d232bf09"),
                None
            ),
            Some("ics-attack")
        );
        assert_eq!(
            collection_domain(None, Some("Mobile ATT&CK")),
            Some("mobile-attack")
        );
        assert_eq!(collection_domain(None, Some("Something else")), None);
    }

    #[test]
    fn transient_errors_are_retried_and_others_not() {
        let http = |code| FetchError::Http {
            url: String::new(),
            status: String::new(),
            code,
        };
        assert!(http(503).is_transient());
        assert!(http(429).is_transient());
        assert!(!http(404).is_transient());
        assert!(!FetchError::WrongContent(String::new()).is_transient());
        let full = io_error(
            std::io::Error::from_raw_os_error(if cfg!(windows) { 112 } else { 28 }),
            Path::new("x"),
            "cannot write",
        );
        assert!(matches!(full, FetchError::DiskFull { .. }));
        assert!(full.to_string().contains("no space left"));
    }
}
