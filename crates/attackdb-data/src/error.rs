//! The crate's errors: [`FetchError`] for one transfer (each message one line naming the URL or
//! file), and [`Error`] for everything getting and opening data can fail with.

use std::path::{Path, PathBuf};

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything getting and opening data can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A transfer or a file of the data home failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// A bundle could not be opened.
    #[error(transparent)]
    Kb(#[from] attackdb_kb::Error),
    /// A bundle could not be read.
    #[error(transparent)]
    Stix(#[from] attackdb_stix::Error),
    /// No data was given anywhere.
    #[error(transparent)]
    NoData(#[from] NoData),
    /// The release catalogue could not be read or used (the message names it).
    #[error("{0}")]
    Catalogue(String),
    /// The data home could not be located or read (the message names the file).
    #[error("{0}")]
    Home(String),
    /// What was asked for is not offered, or is not a valid choice.
    #[error("{0}")]
    Selection(String),
    /// A file given to import is not a release bundle; nothing was imported.
    #[error("nothing was imported; {file} is not an ATT&CK release bundle: {source}")]
    NotImported {
        /// The file.
        file: PathBuf,
        /// Why.
        source: Box<Error>,
    },
    /// Some releases of several could not be fetched; the others were.
    #[error(
        "{failed} of {tried} releases could not be fetched (the others were); the first: {first}"
    )]
    SomeNotFetched {
        /// How many failed.
        failed: usize,
        /// How many were tried.
        tried: usize,
        /// The first failure.
        first: Box<Error>,
    },
}

impl Error {
    /// The transfer error inside, if this is one (for its hint).
    pub fn fetch_error(&self) -> Option<&FetchError> {
        match self {
            Error::Fetch(error) => Some(error),
            Error::NotImported { source, .. } => source.fetch_error(),
            Error::SomeNotFetched { first, .. } => first.fetch_error(),
            _ => None,
        }
    }
}

/// No data was given anywhere.
#[derive(Debug, thiserror::Error)]
#[error("no ATT&CK data: no --data option, ATTACKDB_DATA is not set, and the data home{} holds no release; run `attackdb data fetch` to download MITRE's releases", .home.as_ref().map(|h| format!(" {}", h.display())).unwrap_or_default())]
pub struct NoData {
    /// The data home looked in, if it could be located.
    pub home: Option<PathBuf>,
}

impl NoData {
    /// What to do about it.
    pub fn hint(&self) -> String {
        "offline, pass --data PATH (a STIX bundle .json/.json.gz, or a folder of them, e.g. a copy of attack-stix-data), set ATTACKDB_DATA, or copy bundles into the data home with `attackdb data import PATH`".to_string()
    }
}

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
    /// The whole transfer took longer than its deadline (`HttpConfig::deadline`).
    #[error("{url}: the transfer took longer than {seconds}s (ATTACKDB_HTTP_DEADLINE) after {got} bytes")]
    Deadline {
        /// The URL.
        url: String,
        /// Bytes received.
        got: u64,
        /// The deadline.
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
    /// The body, or the bundle text it decompresses to, is larger than the limit
    /// (`HttpConfig::limits`).
    #[error("{url}: larger than the limit of {limit} ({bytes} bytes); refusing to store it{raise}", limit = human_bytes(*limit), bytes = limit, raise = setting.map(|s| format!(" (set {s} to raise it)")).unwrap_or_default())]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
        /// The variable that sets the limit, if one does.
        setting: Option<&'static str>,
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
            | FetchError::Deadline { .. }
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
            FetchError::Deadline { .. } => {
                Some("set ATTACKDB_HTTP_DEADLINE=SECONDS to allow a longer transfer".into())
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

/// A byte count as people read it: `512 B`, `16.00 MiB`, `1.00 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}", UNITS[unit])
}
