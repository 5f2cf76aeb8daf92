//! The global options validated once into typed values ([`Options`]), and the one place that
//! turns them into loaded data.

use std::cell::RefCell;
use std::path::PathBuf;

use anyhow::{anyhow, Result};
use attackdb_data::{open, Need, OpenOptions, Settings, Sources};
use attackdb_kb::{Dataset, Domain, Kb, Release};

use crate::cli::Global;
use crate::progress::Stderr;

/// The global options, checked.
pub struct Options {
    /// `--data` paths.
    pub data: Vec<PathBuf>,
    /// `--domain`, if given (`None` for `all` or absent).
    pub domain: Option<Domain>,
    /// `--release` as given (commands read it as a release, or `latest`/`all`).
    pub release_text: Option<String>,
    /// `--json`.
    pub json: bool,
    /// Not `--no-index`.
    pub use_index: bool,
    /// `--verbose`.
    pub verbose: bool,
    /// The environment's settings (data home, `ATTACKDB_DATA`).
    pub settings: Settings,
    /// Where progress and warnings go.
    pub progress: Stderr,
    /// Every knowledge base opened, to report read problems of at the end.
    opened: RefCell<Vec<&'static Kb>>,
}

impl Options {
    /// Checks `global`: the domain must be one of ATT&CK's (or `all`).
    pub fn new(global: &Global) -> Result<Options> {
        let domain = match global.domain.as_deref().map(str::trim) {
            None => None,
            Some(name) if name.eq_ignore_ascii_case("all") => None,
            Some(name) => Some(name.parse::<Domain>()?),
        };
        crate::render::set_limits(crate::render::Limits::from_vars(|name| {
            std::env::var_os(name)
        })?);
        let settings = Settings::from_vars(|name| std::env::var_os(name))?;
        set_input_limits(|name| std::env::var_os(name), &settings.limits)?;
        Ok(Options {
            data: global.data.clone(),
            domain,
            release_text: global.release.clone(),
            json: global.json,
            use_index: !global.no_index,
            verbose: global.verbose,
            settings,
            progress: Stderr::new(),
            opened: RefCell::new(Vec::new()),
        })
    }

    /// The domains of a command over several: `--domain`, else every one.
    pub fn domains(&self) -> Vec<Domain> {
        self.domain
            .map_or_else(|| Domain::ALL.to_vec(), |d| vec![d])
    }

    /// Where data comes from: `--data`, else `ATTACKDB_DATA`, else the data home.
    pub fn sources(&self) -> Result<Sources> {
        Ok(Sources::require(&self.data, &self.settings)?)
    }

    /// Opens what `need` asks for. The knowledge base is left to the OS at exit: freeing
    /// hundreds of thousands of small strings one by one would only delay it.
    pub fn open(&self, need: &Need) -> Result<&'static Kb> {
        let options = OpenOptions::new(self.use_index, &self.settings);
        let kb = open(&self.sources()?, need, &options, &self.progress)?;
        let kb: &'static Kb = Box::leak(Box::new(kb));
        self.opened.borrow_mut().push(kb);
        self.report_diagnostics(kb);
        Ok(kb)
    }

    /// Says on stderr what loading found: with `--verbose` every diagnostic, else one line
    /// counting the problems of the data (nothing when there are none).
    fn report_diagnostics(&self, kb: &Kb) {
        if self.verbose {
            for diagnostic in kb.diagnostics() {
                crate::progress::say("note", &diagnostic.to_string());
            }
            return;
        }
        if let Some(line) = problem_summary(kb) {
            crate::progress::say("note", &line.to_string());
        }
    }

    /// Warns of objects whose bytes changed while they were read (the index is rebuilt next
    /// time), in every knowledge base opened.
    pub fn report_read_problems(&self) {
        for kb in self.opened.borrow().iter() {
            for dataset in kb.datasets() {
                for problem in dataset.read_problems() {
                    crate::progress::say("warning", &format!("{problem}; answers about it may be incomplete (run again to rebuild the index)"));
                }
            }
        }
    }

    /// The request scope of the global options: `--domain` and `--release` as given, checked
    /// by the question (`attackdb_ask`).
    pub fn scope(&self) -> attackdb_ask::Scope {
        attackdb_ask::Scope {
            domain: self.domain.map(|d| d.short_name().to_string()),
            release: self.release_text.clone(),
        }
    }

    /// Opens `domain` at `release` (else its newest) and selects it.
    pub fn dataset_at(&self, domain: Domain, release: Option<Release>) -> Result<&'static Dataset> {
        let kb = self.open(&Need::One {
            domain,
            release: release.clone(),
        })?;
        match kb.select(domain, release.as_ref()) {
            Ok(dataset) => Ok(dataset),
            Err(attackdb_kb::Error::NoDataset {
                domain: name,
                release,
                available,
            }) if available.is_empty() => {
                // Only the files of the release asked for were read: say which the data has.
                let available = attackdb_data::named_releases(&self.sources()?)
                    .into_iter()
                    .filter(|(d, _)| *d == domain)
                    .map(|(d, r)| format!("{d} {r}"))
                    .collect();
                Err(attackdb_kb::Error::NoDataset {
                    domain: name,
                    release,
                    available,
                }
                .into())
            }
            Err(other) => Err(other.into()),
        }
    }
}

/// Questions ask the options for datasets: each bundle is opened only when a question reaches
/// for it (`show` of an ICS ID opens enterprise, then mobile and ICS only when needed).
impl attackdb_ask::Library for Options {
    fn dataset(&self, domain: Domain, release: Option<&Release>) -> attackdb_ask::Result<&Dataset> {
        self.dataset_at(domain, release.cloned())
            .map(|d| d as &Dataset)
            .map_err(ask_error)
    }

    fn every_release(&self, domains: &[Domain]) -> attackdb_ask::Result<&Kb> {
        self.open(&Need::Domains(domains.to_vec()))
            .map(|kb| kb as &Kb)
            .map_err(ask_error)
    }
}

/// An error of opening data as a question's error, its cause kept (for the hints of
/// `main.rs`).
pub fn ask_error(error: anyhow::Error) -> attackdb_ask::Error {
    let error = match error.downcast::<attackdb_kb::Error>() {
        Ok(kb) => return kb.into(),
        Err(other) => other,
    };
    match error.downcast::<attackdb_data::Error>() {
        Ok(attackdb_data::Error::Kb(kb)) => kb.into(),
        Ok(data @ attackdb_data::Error::NoData(_)) => {
            attackdb_ask::Error::new(attackdb_ask::Kind::NotFound, "no_data", data.to_string())
                .with_source(data)
        }
        Ok(data) => attackdb_ask::Error::new(
            attackdb_ask::Kind::Internal,
            "data_unreadable",
            data.to_string(),
        )
        .with_source(data),
        Err(other) => attackdb_ask::Error::internal(other.to_string()),
    }
}

/// One line counting the problems loading found in the data (`repeated STIX ID: 2, dangling
/// relationship: 1`), or `None` when there are none. Notes on what was read (unknown types and
/// fields) are not problems.
pub fn problem_summary(kb: &Kb) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for diagnostic in kb.diagnostics().filter(|d| d.kind.is_problem()) {
        let label = diagnostic.kind.label();
        match counts.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += 1,
            None => counts.push((label, 1)),
        }
    }
    if counts.is_empty() {
        return None;
    }
    let parts: Vec<String> = counts.iter().map(|(l, n)| format!("{l}: {n}")).collect();
    Some(format!(
        "problems in the data loaded ({}); repeated IDs keep their first object (--verbose lists each, stats --json too)",
        parts.join(", ")
    ))
}

/// What a number read from an environment variable counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A whole number.
    Count,
    /// A size in bytes, with an optional binary unit (`64MiB`).
    Bytes,
    /// A number of characters.
    Chars,
}

/// The number in variable `name` (looked up through `var`), at least `min`; `None` when it is
/// not set, an error naming the variable and what it must hold when it is malformed.
pub fn number_var(
    var: &impl Fn(&str) -> Option<std::ffi::OsString>,
    name: &str,
    min: usize,
    unit: Unit,
) -> Result<Option<usize>> {
    let Some(value) = var(name) else {
        return Ok(None);
    };
    let text = value.to_string_lossy().trim().to_string();
    let parsed = match unit {
        Unit::Bytes => attackdb_data::parse_bytes(&text).and_then(|n| usize::try_from(n).ok()),
        Unit::Count | Unit::Chars => text.parse::<usize>().ok(),
    };
    match parsed.filter(|&n| n >= min) {
        Some(n) => Ok(Some(n)),
        None => Err(anyhow!(
            "{name} must be {} of at least {min}{}, not {text:?}",
            match unit {
                Unit::Count => "a whole number",
                Unit::Bytes => "a size in bytes",
                Unit::Chars => "a number of characters",
            },
            if unit == Unit::Bytes {
                " (e.g. 1048576 or 64MiB)"
            } else {
                ""
            }
        )),
    }
}

/// Sets the navigator's and the coverage crate's input bounds from `ATTACKDB_MAX_LAYER_BYTES`,
/// `ATTACKDB_MAX_LAYER_TECHNIQUES`, `ATTACKDB_MAX_EXPR_DEPTH`, `ATTACKDB_MAX_EXPR_TOKENS`,
/// `ATTACKDB_MAX_RULE_FILES`, `ATTACKDB_MAX_RULE_FILE_BYTES` and `ATTACKDB_MAX_YAML_DEPTH`
/// (looked up through `var`); a malformed value is an error naming the variable. Layers and
/// request bodies nest at most as deep as `bundles` allows (`ATTACKDB_MAX_JSON_DEPTH`, read
/// with the other bundle limits by [`attackdb_data::Settings`]).
pub fn set_input_limits(
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
    bundles: &attackdb_stix::Limits,
) -> Result<()> {
    let number = |name: &str, bytes: bool| {
        let unit = if bytes { Unit::Bytes } else { Unit::Count };
        number_var(&var, name, 1, unit)
    };
    let mut layers = attackdb_navigator::limits();
    if let Some(n) = number("ATTACKDB_MAX_LAYER_BYTES", true)? {
        layers.max_layer_bytes = n;
    }
    if let Some(n) = number("ATTACKDB_MAX_LAYER_TECHNIQUES", false)? {
        layers.max_layer_techniques = n;
    }
    if let Some(n) = number("ATTACKDB_MAX_EXPR_DEPTH", false)? {
        let ceiling = attackdb_navigator::Limits::EXPRESSION_DEPTH_CEILING;
        if n > ceiling {
            return Err(anyhow!(
                "ATTACKDB_MAX_EXPR_DEPTH may be at most {ceiling}, not {n}"
            ));
        }
        layers.max_expression_depth = n;
    }
    if let Some(n) = number("ATTACKDB_MAX_EXPR_TOKENS", false)? {
        let ceiling = attackdb_navigator::Limits::EXPRESSION_TOKENS_CEILING;
        if n > ceiling {
            return Err(anyhow!(
                "ATTACKDB_MAX_EXPR_TOKENS may be at most {ceiling}, not {n}"
            ));
        }
        layers.max_expression_tokens = n;
    }
    layers.max_json_depth = bundles.max_json_depth;
    attackdb_navigator::set_limits(layers);
    let mut rules = attackdb_coverage::limits();
    if let Some(n) = number("ATTACKDB_MAX_RULE_FILES", false)? {
        rules.max_rule_files = n;
    }
    if let Some(n) = number("ATTACKDB_MAX_RULE_FILE_BYTES", true)? {
        rules.max_rule_file_bytes = n;
    }
    if let Some(n) = number("ATTACKDB_MAX_YAML_DEPTH", false)? {
        rules.max_yaml_depth = n;
    }
    attackdb_coverage::set_limits(rules);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{number_var, Unit};
    use std::ffi::OsString;

    fn read(value: &str, min: usize, unit: Unit) -> Result<Option<usize>, String> {
        let var = |name: &str| (name == "N").then(|| OsString::from(value));
        number_var(&var, "N", min, unit).map_err(|e| e.to_string())
    }

    #[test]
    fn numbers_from_variables_are_checked_and_errors_name_the_variable() {
        let var = |_: &str| None;
        assert_eq!(number_var(&var, "N", 1, Unit::Count).unwrap(), None);
        assert_eq!(read(" 12 ", 1, Unit::Count), Ok(Some(12)));
        assert_eq!(read("64MiB", 1, Unit::Bytes), Ok(Some(64 << 20)));
        assert_eq!(read("10", 10, Unit::Chars), Ok(Some(10)));
        assert_eq!(
            read("9", 10, Unit::Chars),
            Err("N must be a number of characters of at least 10, not \"9\"".to_string())
        );
        assert_eq!(
            read("many", 1, Unit::Count),
            Err("N must be a whole number of at least 1, not \"many\"".to_string())
        );
        assert_eq!(
            read("0", 1, Unit::Bytes),
            Err(
                "N must be a size in bytes of at least 1 (e.g. 1048576 or 64MiB), not \"0\""
                    .to_string()
            )
        );
        assert!(read("64MiB", 1, Unit::Count).is_err());
    }
}
