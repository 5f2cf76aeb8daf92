//! Ingestion: walks the paths given (folders recursively, in name order), picks each file's
//! format (forced, or by its name and shape), and reads every file, split over the cores. A file
//! that cannot be read is a [`FileError`] and the run goes on.

use std::path::{Path, PathBuf};

use crate::formats;
use crate::rule::{Format, Level, Rule};
use crate::{Error, Result};

/// A file (or a row of one) that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileError {
    /// The file.
    pub file: PathBuf,
    /// Why, one line.
    pub reason: String,
}

/// Everything read from the paths given.
#[derive(Debug, Clone, Default)]
pub struct Ingested {
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    /// Files (or rows) that could not be read.
    pub errors: Vec<FileError>,
    /// How many files were read (with or without errors).
    pub files: usize,
    /// How many of those gave no rule, only errors.
    pub files_unread: usize,
    /// How many rules [`Ingested::retain`] left out.
    pub filtered_out: usize,
    /// Of those, how many only for being deprecated (status `deprecated`, left out unless the
    /// filter's statuses name it).
    pub deprecated_left_out: usize,
}

/// The status that marks a retired rule in every format read (Sigma and Splunk `status`,
/// Elastic `maturity`).
pub const DEPRECATED: &str = "deprecated";

/// The status that keeps every rule, whatever its status (or none).
pub const ALL_STATUSES: &str = "all";

/// Which rules count: those of at least a level, and of some statuses. The default keeps every
/// rule but the deprecated ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFilter {
    /// Rules of this level or higher (a rule without a level is left out).
    pub min_level: Option<Level>,
    /// Rules with one of these statuses, compared case-insensitively (Sigma `stable`, `test`,
    /// `experimental`...; Splunk `production`; Elastic maturity); a rule without one is left out.
    /// Empty: every rule but those whose status is [`DEPRECATED`]. [`ALL_STATUSES`] among them:
    /// every rule.
    pub statuses: Vec<String>,
}

fn same_status(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

impl RuleFilter {
    /// Returns true if and only if `rule` counts.
    pub fn keeps(&self, rule: &Rule) -> bool {
        self.level_ok(rule) && self.status_ok(rule)
    }

    fn level_ok(&self, rule: &Rule) -> bool {
        self.min_level
            .is_none_or(|min| rule.level.is_some_and(|level| level >= min))
    }

    fn status_ok(&self, rule: &Rule) -> bool {
        if self.statuses.is_empty() {
            return !Self::is_deprecated(rule);
        }
        if self.statuses.iter().any(|s| same_status(s, ALL_STATUSES)) {
            return true;
        }
        rule.status
            .as_deref()
            .is_some_and(|status| self.statuses.iter().any(|s| same_status(s, status)))
    }

    /// Returns true if and only if `rule`'s status is [`DEPRECATED`].
    pub fn is_deprecated(rule: &Rule) -> bool {
        rule.status
            .as_deref()
            .is_some_and(|s| same_status(s, DEPRECATED))
    }

    /// Returns true if and only if the filter keeps every rule.
    pub fn is_empty(&self) -> bool {
        self.min_level.is_none() && self.statuses.iter().any(|s| same_status(s, ALL_STATUSES))
    }
}

impl Ingested {
    /// Keeps only the rules `filter` keeps; returns how many were left out (also added to
    /// [`Ingested::filtered_out`]; those left out only for being deprecated also to
    /// [`Ingested::deprecated_left_out`]).
    pub fn retain(&mut self, filter: &RuleFilter) -> usize {
        let before = self.rules.len();
        let mut deprecated = 0;
        self.rules.retain(|rule| {
            let keep = filter.keeps(rule);
            if !keep
                && filter.statuses.is_empty()
                && filter.level_ok(rule)
                && RuleFilter::is_deprecated(rule)
            {
                deprecated += 1;
            }
            keep
        });
        let dropped = before - self.rules.len();
        self.filtered_out += dropped;
        self.deprecated_left_out += deprecated;
        dropped
    }

    /// Returns true if and only if files were named but none of them gave a rule (each could
    /// not be read, or held no rule it could read).
    pub fn nothing_read(&self) -> bool {
        self.files > 0 && self.files_unread == self.files
    }
}

/// Reads every rule under `paths`: files of any of the formats (or of `forced` only) in
/// folders, searched recursively (hidden entries skipped), and files named directly whatever
/// their name. Fails only when a path cannot be read at all or holds no rule file.
pub fn ingest(paths: &[PathBuf], forced: Option<Format>) -> Result<Ingested> {
    let mut files = Vec::new();
    for path in paths {
        let before = files.len();
        let metadata = std::fs::metadata(path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        if metadata.is_dir() {
            walk(path, forced, &mut files)?;
            let limit = crate::limits::limits().max_rule_files;
            if files.len() - before > limit {
                return Err(Error::TooManyFiles {
                    path: path.clone(),
                    limit,
                });
            }
        } else {
            files.push(path.clone());
        }
        if files.len() == before {
            return Err(Error::NoRules {
                path: path.clone(),
                expected: wanted_extensions(forced).join(", "),
            });
        }
    }
    let results = read_all(&files, forced);
    let mut ingested = Ingested {
        files: files.len(),
        ..Ingested::default()
    };
    for (file, (rules, problems)) in files.into_iter().zip(results) {
        if rules.is_empty() && !problems.is_empty() {
            ingested.files_unread += 1;
        }
        ingested.rules.extend(rules);
        for reason in problems {
            ingested.errors.push(FileError {
                file: file.clone(),
                reason,
            });
        }
    }
    Ok(ingested)
}

fn wanted_extensions(forced: Option<Format>) -> Vec<&'static str> {
    let formats: &[Format] = match &forced {
        Some(format) => std::slice::from_ref(format),
        None => &Format::ALL,
    };
    let mut extensions: Vec<&str> = formats
        .iter()
        .flat_map(|f| f.extensions().iter().copied())
        .collect();
    extensions.dedup();
    extensions
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn walk(dir: &Path, forced: Option<Format>, files: &mut Vec<PathBuf>) -> Result<()> {
    let wanted = wanted_extensions(forced);
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry.file_type().map_err(io)?;
        entries.push((entry.path(), kind));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, kind) in entries {
        let kind = if kind.is_symlink() {
            match std::fs::metadata(&path) {
                // A link to a file is read; a link to a folder is not followed (no cycles).
                Ok(target) if target.is_file() => target.file_type(),
                _ => continue,
            }
        } else {
            kind
        };
        if kind.is_dir() {
            walk(&path, forced, files)?;
        } else if kind.is_file() && wanted.contains(&extension(&path).as_str()) {
            files.push(path);
            // Stop walking well past the limit: the caller refuses the path.
            if files.len() > crate::limits::limits().max_rule_files.saturating_mul(2) {
                return Ok(());
            }
        }
    }
    Ok(())
}

type FileResult = (Vec<Rule>, Vec<String>);

/// Reads `files` on up to as many threads as there are cores, results in file order.
fn read_all(files: &[PathBuf], forced: Option<Format>) -> Vec<FileResult> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 8);
    if threads == 1 || files.len() < 64 {
        return files.iter().map(|f| read_file(f, forced)).collect();
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|f| read_file(f, forced))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(files.len());
        for (handle, part) in handles.into_iter().zip(files.chunks(chunk)) {
            match handle.join() {
                Ok(results) => all.extend(results),
                Err(_) => all.extend(
                    part.iter()
                        .map(|_| (Vec::new(), vec!["internal error reading file".to_string()])),
                ),
            }
        }
        all
    })
}

/// Reads one file: its rules, and the problems found (a whole-file failure is one problem).
pub fn read_file(path: &Path, forced: Option<Format>) -> (Vec<Rule>, Vec<String>) {
    use attackdb_stix::BoundedReadError;
    let limit = crate::limits::limits().max_rule_file_bytes;
    let too_large = || {
        vec![format!(
            "larger than {limit} bytes, not read (ATTACKDB_MAX_RULE_FILE_BYTES raises the limit)"
        )]
    };
    let read = std::fs::File::open(path)
        .map_err(BoundedReadError::Io)
        .and_then(|file| {
            let expected = file.metadata().ok().map(|m| m.len());
            attackdb_stix::read_bounded(file, limit as u64, expected)
        });
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(BoundedReadError::TooLarge { .. }) => return (Vec::new(), too_large()),
        Err(BoundedReadError::Io(error)) => return (Vec::new(), vec![error.to_string()]),
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text.strip_prefix('\u{feff}').unwrap_or(text),
        Err(error) => return (Vec::new(), vec![format!("not UTF-8 text: {error}")]),
    };
    read_text(path, text, forced)
}

/// Reads rules from `text` as if from the file `path` (its name picks the format unless forced).
pub fn read_text(path: &Path, text: &str, forced: Option<Format>) -> (Vec<Rule>, Vec<String>) {
    let format = forced.or_else(|| match extension(path).as_str() {
        "yml" | "yaml" => None,
        "toml" => Some(Format::Elastic),
        "csv" => Some(Format::Csv),
        "json" => Some(Format::Layer),
        _ => Some(Format::Sigma),
    });
    let result = match format {
        Some(Format::Elastic) => formats::elastic::read(path, text),
        Some(Format::Csv) => {
            return formats::csv_inventory::read(path, text)
                .unwrap_or_else(|reason| (Vec::new(), vec![reason]))
        }
        Some(Format::Layer) => formats::layer::read(path, text),
        Some(format @ (Format::Sigma | Format::Splunk)) if forced.is_some() => {
            formats::yaml_rules::read(path, text, Some(format))
        }
        _ => formats::yaml_rules::read(path, text, None),
    };
    match result {
        Ok(rules) => (rules, Vec::new()),
        Err(reason) => (Vec::new(), vec![reason]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(level: Option<Level>, status: Option<&str>) -> Rule {
        let mut rule = Rule::new(PathBuf::from("r.yml"), Format::Sigma, "r".to_string());
        rule.level = level;
        rule.status = status.map(str::to_string);
        rule
    }

    #[test]
    fn filters_keep_levels_at_or_above_and_listed_statuses() {
        let filter = RuleFilter {
            min_level: Some(Level::Medium),
            statuses: vec!["Stable".to_string(), "test".to_string()],
        };
        assert!(filter.keeps(&rule(Some(Level::Medium), Some("stable"))));
        assert!(filter.keeps(&rule(Some(Level::Critical), Some("TEST "))));
        assert!(!filter.keeps(&rule(Some(Level::Low), Some("stable"))));
        assert!(!filter.keeps(&rule(None, Some("stable"))));
        assert!(!filter.keeps(&rule(Some(Level::High), Some("experimental"))));
        assert!(!filter.keeps(&rule(Some(Level::High), None)));
        assert!(RuleFilter::default().keeps(&rule(None, None)));
        // By default every rule counts but the deprecated ones; naming a status or `all` counts
        // them.
        assert!(!RuleFilter::default().keeps(&rule(None, Some("Deprecated"))));
        assert!(RuleFilter::default().keeps(&rule(None, Some("production"))));
        let all = RuleFilter {
            min_level: None,
            statuses: vec!["ALL".to_string()],
        };
        assert!(all.keeps(&rule(None, Some("deprecated"))) && all.keeps(&rule(None, None)));
        assert!(all.is_empty() && !RuleFilter::default().is_empty());
        let named = RuleFilter {
            min_level: None,
            statuses: vec!["deprecated".to_string()],
        };
        assert!(named.keeps(&rule(None, Some("deprecated"))));
        assert!(!named.keeps(&rule(None, Some("stable"))));
        let mut ingested = Ingested {
            rules: vec![rule(Some(Level::High), Some("stable")), rule(None, None)],
            ..Ingested::default()
        };
        assert_eq!(ingested.retain(&filter), 1);
        assert_eq!((ingested.rules.len(), ingested.filtered_out), (1, 1));
        let mut ingested = Ingested {
            rules: vec![
                rule(Some(Level::High), Some("deprecated")),
                rule(Some(Level::Low), Some("deprecated")),
                rule(Some(Level::High), Some("test")),
            ],
            ..Ingested::default()
        };
        let high = RuleFilter {
            min_level: Some(Level::High),
            statuses: Vec::new(),
        };
        // The low deprecated rule is left out by its level: it is not counted as deprecated.
        assert_eq!(ingested.retain(&high), 2);
        assert_eq!(
            (ingested.filtered_out, ingested.deprecated_left_out),
            (2, 1)
        );
    }
}
