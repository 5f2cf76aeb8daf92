//! Transfers: reading the release catalogue and bundles from `http(s)://` URLs, `file://` URLs
//! or paths into the data home, safely, with progress reported through [`Progress`]. A transfer
//! goes to a temporary file in the home; only once it is complete (its `Content-Length` met),
//! parsed, and found to be the bundle of the expected domain and release by its collection
//! object, is it renamed into place. Transient failures (5xx, a reset or refused connection, a
//! timeout, a body cut short) are retried with back-off; others (404, DNS failure, wrong content,
//! a full disk) are not. The only module that knows HTTP.

use std::cell::OnceCell;
use std::error::Error as StdError;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use attackdb_stix::BoundedReadError;
use reqwest::Url;
use sha2::{Digest, Sha256};

use crate::catalogue::{Catalogue, Offered};
use crate::check::check_bundle_limited;
use crate::error::{io_error, FetchError};
use crate::home::{Held, Home, Pending};
use crate::location::Location;
use crate::progress::{Progress, Task};
use crate::settings::HttpConfig;
use crate::Result;

/// The variable that sets the bundle limit, for messages.
pub(crate) const LIMIT_SETTING: &str = "ATTACKDB_MAX_BUNDLE_BYTES";
/// The variable that sets the largest release index read.
const INDEX_LIMIT_SETTING: &str = "ATTACKDB_MAX_INDEX_BYTES";
/// The first wait before a retry; it doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// A file transferred into the home, not yet checked.
struct Transferred {
    size: u64,
    sha256: String,
    gzip: bool,
}

/// Transfers files, with one HTTP client made on first use.
pub struct Fetcher<'p> {
    config: HttpConfig,
    progress: &'p dyn Progress,
    client: OnceCell<reqwest::blocking::Client>,
}

impl<'p> Fetcher<'p> {
    /// A fetcher that reports to `progress`.
    pub fn new(config: HttpConfig, progress: &'p dyn Progress) -> Fetcher<'p> {
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
                    self.progress.warn(&format!(
                        "{error}; retrying in {:.1}s ({tries} of {})",
                        wait.as_secs_f64(),
                        self.config.retries
                    ));
                    std::thread::sleep(wait);
                }
                result => return result,
            }
        }
    }

    /// Reads the release catalogue at `location` (a folder means its `index.json`).
    pub fn read_catalogue(&self, location: &Location) -> Result<Catalogue> {
        let location = match location {
            Location::Path(path) if path.is_dir() => Location::Path(path.join("index.json")),
            other => other.clone(),
        };
        let text = match &location {
            Location::Url(url) => self.with_retries(|| self.get_small(url))?,
            Location::Path(path) => {
                let bytes = self.read_small(path)?;
                String::from_utf8(bytes).map_err(|_| {
                    crate::Error::Catalogue(format!(
                        "{}: the index is not UTF-8 text",
                        path.display()
                    ))
                })?
            }
        };
        let config = &self.config;
        let depth = config.limits.max_json_depth;
        Catalogue::parse_limited(location, &text, config.max_index_entries, depth)
    }

    /// The error of an index larger than `max_index_bytes`, at `place`.
    fn index_too_large(&self, place: String) -> FetchError {
        FetchError::TooLarge {
            url: place,
            limit: self.config.max_index_bytes,
            setting: Some(INDEX_LIMIT_SETTING),
        }
    }

    /// Reads a local index: a regular file (a FIFO or device would block or never end) of at
    /// most `max_index_bytes`.
    fn read_small(&self, path: &std::path::Path) -> Result<Vec<u8>> {
        let limit = self.config.max_index_bytes;
        let meta =
            std::fs::metadata(path).map_err(|e| io_error(e, path, "cannot read the index"))?;
        if !meta.is_file() {
            return Err(crate::Error::Catalogue(format!(
                "{}: not a regular file",
                path.display()
            )));
        }
        let too_large = || self.index_too_large(path.display().to_string());
        if meta.len() > limit {
            return Err(too_large().into());
        }
        let file =
            std::fs::File::open(path).map_err(|e| io_error(e, path, "cannot read the index"))?;
        match attackdb_stix::read_bounded(file, limit, Some(meta.len())) {
            Ok(bytes) => Ok(bytes),
            Err(BoundedReadError::TooLarge { .. }) => Err(too_large().into()),
            Err(BoundedReadError::Io(e)) => Err(io_error(e, path, "cannot read the index").into()),
        }
    }

    /// GETs a small document (the index) as text.
    fn get_small(&self, url: &Url) -> Result<String, FetchError> {
        let label = url.as_str();
        let limit = self.config.max_index_bytes;
        let too_large = || self.index_too_large(label.to_string());
        let mut response = self.send(url)?;
        let expected = response.content_length();
        if expected.is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut counted = Counted {
            input: Deadline::new(&mut response, self.config.deadline),
            got: 0,
        };
        let bytes = match attackdb_stix::read_bounded(&mut counted, limit, expected) {
            Ok(bytes) => bytes,
            Err(BoundedReadError::TooLarge { .. }) => return Err(too_large()),
            Err(BoundedReadError::Io(e)) => {
                return Err(read_error(label, &e, counted.got, expected, self.config))
            }
        };
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
        let wanted = (offered.domain, &offered.release);
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
            let limit = self.config.limits.max_bundle_bytes;
            if expected.is_some_and(|n| n > limit) {
                return Err(FetchError::TooLarge {
                    url: label.clone(),
                    limit,
                    setting: Some(LIMIT_SETTING),
                });
            }
            self.stage(home, &mut input, expected, &label, &name, Some(wanted))
        })?;
        home.install(pending)
    }

    /// Copies the bundle file `source` into a temporary file of `home` and checks it is a release bundle.
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
    /// progress bar named `name`, and checks the bundle it holds (see [`crate::check_bundle`]); with `wanted`, the bundle
    /// must be that domain and release. The manifest will record `label` as its source.
    fn stage(
        &self,
        home: &Home,
        input: &mut dyn Read,
        expected: Option<u64>,
        label: &str,
        name: &str,
        wanted: Option<(attackdb_stix::Domain, &attackdb_stix::Release)>,
    ) -> Result<Pending, FetchError> {
        let mut file = home.temp_file()?;
        let path = file.path().to_path_buf();
        let bar = self.progress.start(name, expected);
        let checked = copy(
            input,
            file.as_file_mut(),
            &path,
            label,
            expected,
            &*bar,
            self.config,
        )
        .and_then(|transferred| {
            bar.message(&format!("{name} (checking)"));
            let found = check_bundle_limited(&path, label, &self.config.limits)?;
            if let Some((domain, release)) = wanted {
                if found.domain != domain || &found.release != release {
                    return Err(FetchError::WrongContent(format!(
                        "{label}: expected the {domain} {release} bundle, got {} {} (by its collection object)",
                        found.domain, found.release
                    )));
                }
            }
            Ok((transferred, found))
        });
        let (transferred, found) = match checked {
            Ok(checked) => checked,
            Err(error) => {
                bar.finish(false);
                return Err(error);
            }
        };
        bar.message(name);
        bar.finish(wanted.is_some());
        Ok(Pending {
            file,
            domain: found.domain,
            release: found.release,
            gzip: transferred.gzip,
            size: transferred.size,
            sha256: transferred.sha256,
            source: label.to_string(),
            modified: found.modified,
        })
    }
}

/// Streams `input` into `file`, hashing, counting and checking the announced length.
fn copy(
    input: &mut dyn Read,
    file: &mut File,
    path: &Path,
    label: &str,
    expected: Option<u64>,
    bar: &dyn Task,
    config: HttpConfig,
) -> Result<Transferred, FetchError> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut got: u64 = 0;
    let mut head: Vec<u8> = Vec::with_capacity(2);
    let limit = config.limits.max_bundle_bytes;
    let mut input = Deadline::new(input, config.deadline);
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
        if got > limit {
            return Err(FetchError::TooLarge {
                url: label.to_string(),
                limit,
                setting: Some(LIMIT_SETTING),
            });
        }
        file.write_all(chunk)
            .map_err(|e| io_error(e, path, "cannot write"))?;
        hasher.update(chunk);
        bar.advance(n as u64);
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

/// A reader that fails once `deadline` has passed since it was made: the bound on a whole
/// transfer (each read is bounded by the idle timeout, so a transfer ends at most one timeout
/// after its deadline).
struct Deadline<'a> {
    input: &'a mut dyn Read,
    until: Option<Instant>,
    seconds: f64,
}

impl<'a> Deadline<'a> {
    fn new(input: &'a mut dyn Read, deadline: Duration) -> Deadline<'a> {
        Deadline {
            input,
            until: Instant::now().checked_add(deadline),
            seconds: deadline.as_secs_f64(),
        }
    }
}

impl Read for Deadline<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        if self.until.is_some_and(|until| Instant::now() >= until) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                DeadlinePassed(self.seconds),
            ));
        }
        self.input.read(buffer)
    }
}

/// A reader that counts the bytes it gave (for the message of a transfer cut short).
struct Counted<R> {
    input: R,
    got: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.input.read(buffer)?;
        self.got += n as u64;
        Ok(n)
    }
}

/// The error of a [`Deadline`] reader.
#[derive(Debug)]
struct DeadlinePassed(f64);

impl std::fmt::Display for DeadlinePassed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the transfer took longer than {}s", self.0)
    }
}

impl StdError for DeadlinePassed {}

/// The host a failure happened at when it is not the one asked (a redirect), found in the
/// error chain.
fn other_host(error: &(dyn StdError + 'static), asked: &str) -> Option<String> {
    let asked_host = Url::parse(asked).ok()?.host_str()?.to_string();
    causes(error).iter().find_map(|e| {
        let url = e.downcast_ref::<reqwest::Error>()?.url()?;
        let host = url.host_str()?;
        (host != asked_host).then(|| host.to_string())
    })
}

/// `label`, and the host that failed when a redirect led elsewhere.
fn naming_host(label: &str, error: &(dyn StdError + 'static)) -> String {
    match other_host(error, label) {
        Some(host) => format!("{label} (redirected to {host})"),
        None => label.to_string(),
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

fn send_error(url: &Url, error: &reqwest::Error, config: HttpConfig) -> FetchError {
    let label = naming_host(url.as_str(), error);
    let host = error
        .url()
        .and_then(|u| u.host_str())
        .or(url.host_str())
        .unwrap_or_default()
        .to_string();
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
        let port = error
            .url()
            .unwrap_or(url)
            .port_or_known_default()
            .unwrap_or(0);
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
    config: HttpConfig,
) -> FetchError {
    let label = naming_host(label, error);
    if let Some(passed) = causes(error)
        .iter()
        .find_map(|e| e.downcast_ref::<DeadlinePassed>())
    {
        return FetchError::Deadline {
            url: label,
            got,
            seconds: passed.0,
        };
    }
    if is_timeout(error) {
        return FetchError::Timeout {
            url: label,
            seconds: config.timeout.as_secs_f64(),
        };
    }
    FetchError::Truncated {
        url: label,
        got,
        expected,
        detail: deepest(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
