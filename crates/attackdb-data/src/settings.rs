//! Configuration as values: where the data home is, where data comes from, and how transfers
//! behave. The front ends fill it (from flags, and from the environment through
//! [`Settings::from_vars`], which is handed the lookup rather than reading it), so the library
//! itself never reads the environment.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::home::{Home, HomeFrom};
use crate::{Error, Result};

/// MITRE's official catalogue of every ATT&CK release (`index.json`).
pub const DEFAULT_CATALOGUE: &str =
    "https://raw.githubusercontent.com/mitre-attack/attack-stix-data/master/index.json";

/// Timeouts, retries and size limits of transfers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HttpConfig {
    /// Bound on connecting and on every wait for data (the idle timeout).
    pub timeout: Duration,
    /// Bound on a whole transfer, however steadily data arrives (default 10 minutes); checked
    /// between reads, so a transfer ends at most `timeout` after it.
    pub deadline: Duration,
    /// How many times a transient failure is retried.
    pub retries: u32,
    /// Bounds on what is stored: a download, or its decompressed text, larger than
    /// `limits.max_bundle_bytes` is refused (and not retried).
    pub limits: attackdb_stix::Limits,
    /// The largest release index read, in bytes (default 16 MiB; MITRE's is 30 KB).
    pub max_index_bytes: u64,
    /// The most versions a release index may list (default 10,000; MITRE's lists 100).
    pub max_index_entries: usize,
}

impl HttpConfig {
    /// The default of [`HttpConfig::max_index_bytes`]: 16 MiB.
    pub const DEFAULT_MAX_INDEX_BYTES: u64 = 16 << 20;
    /// The default of [`HttpConfig::max_index_entries`]: 10,000.
    pub const DEFAULT_MAX_INDEX_ENTRIES: usize = 10_000;
}

/// A number of seconds (`2.5`) from `name`, or an error naming the variable.
fn seconds_var(var: &impl Fn(&str) -> Option<OsString>, name: &str) -> Result<Option<Duration>> {
    let Some(value) = var(name) else {
        return Ok(None);
    };
    let value = value.to_string_lossy().to_string();
    let seconds: f64 = value
        .trim()
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s < 1e6)
        .ok_or_else(|| {
            Error::Selection(format!("{name} must be a number of seconds, not {value:?}"))
        })?;
    Ok(Some(Duration::from_secs_f64(seconds)))
}

/// A size in bytes (`64MiB`) from `name`, or an error naming the variable with `example`.
fn bytes_var(
    var: &impl Fn(&str) -> Option<OsString>,
    name: &str,
    example: &str,
) -> Result<Option<u64>> {
    let Some(value) = var(name) else {
        return Ok(None);
    };
    let value = value.to_string_lossy().to_string();
    parse_bytes(&value).map(Some).ok_or_else(|| {
        Error::Selection(format!(
            "{name} must be a size in bytes (e.g. {example}), not {value:?}"
        ))
    })
}

/// A whole number within `range` from `name`, or an error naming the variable and the range.
fn count_var(
    var: &impl Fn(&str) -> Option<OsString>,
    name: &str,
    range: std::ops::RangeInclusive<usize>,
) -> Result<Option<usize>> {
    let Some(value) = var(name) else {
        return Ok(None);
    };
    let value = value.to_string_lossy().to_string();
    let within = match range.end() {
        &usize::MAX => format!("of at least {}", range.start()),
        end => format!("from {} to {end}", range.start()),
    };
    value
        .trim()
        .parse()
        .ok()
        .filter(|n| range.contains(n))
        .map(Some)
        .ok_or_else(|| {
            Error::Selection(format!(
                "{name} must be a whole number {within}, not {value:?}"
            ))
        })
}

/// Parses a size in bytes: a whole number, optionally with a binary unit (`512MiB`, `2G`,
/// `64k`; K, M and G count 1024s).
pub fn parse_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits.parse().ok()?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return None,
    };
    number.checked_mul(1u64 << shift).filter(|n| *n > 0)
}

/// The bundle limits: `ATTACKDB_MAX_BUNDLE_BYTES` (default 512 MiB) and `ATTACKDB_MAX_JSON_DEPTH`
/// (1 to 127, default 127), looked up through `var`.
pub fn bundle_limits_from_vars(
    var: impl Fn(&str) -> Option<OsString>,
) -> Result<attackdb_stix::Limits> {
    let mut limits = attackdb_stix::Limits::default();
    if let Some(n) = bytes_var(&var, "ATTACKDB_MAX_BUNDLE_BYTES", "536870912 or 512MiB")? {
        limits.max_bundle_bytes = n;
    }
    let depth = 1..=attackdb_stix::JSON_DEPTH_CEILING;
    if let Some(n) = count_var(&var, "ATTACKDB_MAX_JSON_DEPTH", depth)? {
        limits.max_json_depth = n;
    }
    Ok(limits)
}

impl HttpConfig {
    /// `ATTACKDB_HTTP_TIMEOUT` (seconds, default 30), `ATTACKDB_HTTP_DEADLINE` (seconds, default
    /// 600), `ATTACKDB_HTTP_RETRIES` (default 2), the bundle limits (see
    /// [`bundle_limits_from_vars`]), `ATTACKDB_MAX_INDEX_BYTES` (default 16 MiB) and
    /// `ATTACKDB_MAX_INDEX_ENTRIES` (default 10,000), looked up through `var`; a malformed value
    /// is an error naming the variable.
    pub fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Result<HttpConfig> {
        let mut http = HttpConfig::default();
        if let Some(timeout) = seconds_var(&var, "ATTACKDB_HTTP_TIMEOUT")? {
            http.timeout = timeout;
        }
        if let Some(deadline) = seconds_var(&var, "ATTACKDB_HTTP_DEADLINE")? {
            http.deadline = deadline;
        }
        http.limits = bundle_limits_from_vars(&var)?;
        if let Some(n) = bytes_var(&var, "ATTACKDB_MAX_INDEX_BYTES", "16777216 or 16MiB")? {
            http.max_index_bytes = n;
        }
        if let Some(n) = count_var(&var, "ATTACKDB_MAX_INDEX_ENTRIES", 1..=usize::MAX)? {
            http.max_index_entries = n;
        }
        if let Some(n) = count_var(&var, "ATTACKDB_HTTP_RETRIES", 0..=10)? {
            http.retries = u32::try_from(n).unwrap_or(10);
        }
        Ok(http)
    }
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(600),
            retries: 2,
            limits: attackdb_stix::Limits::default(),
            max_index_bytes: HttpConfig::DEFAULT_MAX_INDEX_BYTES,
            max_index_entries: HttpConfig::DEFAULT_MAX_INDEX_ENTRIES,
        }
    }
}

/// Everything about where data is and how it is fetched.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The data home, if one could be located.
    pub home: Option<Home>,
    /// Data paths named by the environment (`ATTACKDB_DATA`, a path list); `--data` options
    /// come on top of these, see [`crate::Sources`].
    pub env_data: Vec<PathBuf>,
    /// Bounds on reading bundles (`ATTACKDB_MAX_BUNDLE_BYTES`).
    pub limits: attackdb_stix::Limits,
}

impl Settings {
    /// Settings from environment variables, looked up through `var` (pass
    /// `|name| std::env::var_os(name)`): `ATTACKDB_HOME` (else the platform's user data
    /// directory + `attackdb`), `ATTACKDB_DATA` (a path list) and `ATTACKDB_MAX_BUNDLE_BYTES`
    /// (the most bytes of bundle text read, default 512 MiB).
    pub fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Result<Settings> {
        let home = match var("ATTACKDB_HOME").filter(|v| !v.is_empty()) {
            Some(value) => Some(Home {
                root: PathBuf::from(value),
                from: HomeFrom::Env,
            }),
            None => Home::default_location(),
        };
        let env_data = var("ATTACKDB_DATA")
            .map(|value| {
                std::env::split_paths(&value)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let limits = bundle_limits_from_vars(&var)?;
        Ok(Settings {
            home,
            env_data,
            limits,
        })
    }

    /// The data home, or an error saying how to name one.
    pub fn home(&self) -> Result<&Home> {
        self.home.as_ref().ok_or_else(|| {
            Error::Home(
                "cannot find the user data directory for the data home; set ATTACKDB_HOME to a folder"
                    .to_string(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn settings_come_from_the_variables_given() {
        let given = vars(&[
            ("ATTACKDB_HOME", "/srv/attackdb"),
            ("ATTACKDB_HTTP_TIMEOUT", "2.5"),
            ("ATTACKDB_HTTP_RETRIES", "0"),
            ("ATTACKDB_HTTP_DEADLINE", "90"),
            ("ATTACKDB_MAX_BUNDLE_BYTES", "64MiB"),
            ("ATTACKDB_MAX_JSON_DEPTH", "16"),
            ("ATTACKDB_MAX_INDEX_BYTES", "1MiB"),
            ("ATTACKDB_MAX_INDEX_ENTRIES", "500"),
        ]);
        let settings = Settings::from_vars(&given).ok();
        assert_eq!(
            settings.as_ref().map(|s| s.limits.max_bundle_bytes),
            Some(64 << 20)
        );
        assert_eq!(
            settings.and_then(|s| s.home).map(|h| h.root),
            Some(PathBuf::from("/srv/attackdb"))
        );
        assert_eq!(
            HttpConfig::from_vars(&given).ok(),
            Some(HttpConfig {
                timeout: Duration::from_millis(2500),
                deadline: Duration::from_secs(90),
                retries: 0,
                limits: attackdb_stix::Limits {
                    max_bundle_bytes: 64 << 20,
                    max_json_depth: 16,
                },
                max_index_bytes: 1 << 20,
                max_index_entries: 500,
            })
        );
        for bad in [
            ("ATTACKDB_HTTP_TIMEOUT", "soon"),
            ("ATTACKDB_HTTP_RETRIES", "99"),
            ("ATTACKDB_HTTP_DEADLINE", "-1"),
            ("ATTACKDB_MAX_BUNDLE_BYTES", "lots"),
            ("ATTACKDB_MAX_JSON_DEPTH", "0"),
            ("ATTACKDB_MAX_JSON_DEPTH", "128"),
            ("ATTACKDB_MAX_INDEX_BYTES", "big"),
            ("ATTACKDB_MAX_INDEX_ENTRIES", "0"),
        ] {
            let error = HttpConfig::from_vars(vars(&[bad]))
                .err()
                .map(|e| e.to_string());
            assert!(error.is_some_and(|e| e.contains(bad.0)), "{bad:?}");
        }
        assert_eq!(parse_bytes("512MiB"), Some(512 << 20));
        assert_eq!(parse_bytes("2g"), Some(2 << 30));
        assert_eq!(parse_bytes(" 1000 "), Some(1000));
        assert_eq!(parse_bytes("0"), None);
        assert_eq!(parse_bytes("5 parsecs"), None);
    }
}
