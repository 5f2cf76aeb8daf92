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

/// Timeouts and retries of transfers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HttpConfig {
    /// Bound on connecting and on every wait for data.
    pub timeout: Duration,
    /// How many times a transient failure is retried.
    pub retries: u32,
}

impl HttpConfig {
    /// `ATTACKDB_HTTP_TIMEOUT` (seconds, default 30) and `ATTACKDB_HTTP_RETRIES` (default 2),
    /// looked up through `var`; a malformed value is an error naming the variable.
    pub fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Result<HttpConfig> {
        let mut http = HttpConfig::default();
        if let Some(value) = var("ATTACKDB_HTTP_TIMEOUT") {
            let value = value.to_string_lossy().to_string();
            let seconds: f64 = value
                .trim()
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s < 1e6)
                .ok_or_else(|| {
                    Error::Selection(format!(
                        "ATTACKDB_HTTP_TIMEOUT must be a number of seconds, not {value:?}"
                    ))
                })?;
            http.timeout = Duration::from_secs_f64(seconds);
        }
        if let Some(value) = var("ATTACKDB_HTTP_RETRIES") {
            let value = value.to_string_lossy().to_string();
            http.retries = value
                .trim()
                .parse()
                .ok()
                .filter(|r| *r <= 10)
                .ok_or_else(|| {
                    Error::Selection(format!(
                        "ATTACKDB_HTTP_RETRIES must be a count from 0 to 10, not {value:?}"
                    ))
                })?;
        }
        Ok(http)
    }
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            timeout: Duration::from_secs(30),
            retries: 2,
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
}

impl Settings {
    /// Settings from environment variables, looked up through `var` (pass
    /// `|name| std::env::var_os(name)`): `ATTACKDB_HOME` (else the platform's user data
    /// directory + `attackdb`) and `ATTACKDB_DATA` (a path list).
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
        Ok(Settings { home, env_data })
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
        ]);
        let settings = Settings::from_vars(&given).ok();
        assert_eq!(
            settings.and_then(|s| s.home).map(|h| h.root),
            Some(PathBuf::from("/srv/attackdb"))
        );
        assert_eq!(
            HttpConfig::from_vars(&given).ok(),
            Some(HttpConfig {
                timeout: Duration::from_millis(2500),
                retries: 0
            })
        );
        for bad in [
            ("ATTACKDB_HTTP_TIMEOUT", "soon"),
            ("ATTACKDB_HTTP_RETRIES", "99"),
        ] {
            let error = HttpConfig::from_vars(vars(&[bad]))
                .err()
                .map(|e| e.to_string());
            assert!(error.is_some_and(|e| e.contains(bad.0)), "{bad:?}");
        }
    }
}
