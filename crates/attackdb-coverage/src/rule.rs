//! Rules as read from any format: a name, optional metadata, and the ATT&CK references as written
//! (not yet checked against a release).

use std::path::PathBuf;

/// The rule formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// Sigma YAML (`tags: [attack.t1059.001, attack.execution]`).
    Sigma,
    /// Splunk security_content YAML (`tags.mitre_attack_id`).
    Splunk,
    /// Elastic detection-rules TOML (`[[rule.threat]]`).
    Elastic,
    /// A CSV inventory: rule name, technique IDs, optional tactic, optional score.
    Csv,
    /// An ATT&CK Navigator layer (JSON), any format version.
    Layer,
}

impl Format {
    /// Every format, in CLI order.
    pub const ALL: [Format; 5] = [
        Format::Sigma,
        Format::Splunk,
        Format::Elastic,
        Format::Csv,
        Format::Layer,
    ];

    /// The CLI name: `sigma`, `splunk`, `elastic`, `csv` or `layer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Sigma => "sigma",
            Format::Splunk => "splunk",
            Format::Elastic => "elastic",
            Format::Csv => "csv",
            Format::Layer => "layer",
        }
    }

    /// Parses a CLI name.
    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// The file name endings this format is read from when walking a folder.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Sigma | Format::Splunk => &["yml", "yaml"],
            Format::Elastic => &["toml"],
            Format::Csv => &["csv"],
            Format::Layer => &["json"],
        }
    }
}

/// A rule's severity, as Sigma names it (Elastic's `severity` uses the same words but
/// `informational`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// `informational`.
    Informational,
    /// `low`.
    Low,
    /// `medium`.
    Medium,
    /// `high`.
    High,
    /// `critical`.
    Critical,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 5] = [
        Level::Informational,
        Level::Low,
        Level::Medium,
        Level::High,
        Level::Critical,
    ];

    /// Parses a level name, case-insensitively (`info` is `informational`).
    pub fn parse(name: &str) -> Option<Level> {
        match name.trim().to_ascii_lowercase().as_str() {
            "informational" | "info" => Some(Level::Informational),
            "low" => Some(Level::Low),
            "medium" => Some(Level::Medium),
            "high" => Some(Level::High),
            "critical" => Some(Level::Critical),
            _ => None,
        }
    }

    /// The name, lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    /// The weight used by the `max-level` and `weighted` scores: informational 1 to critical 5.
    pub fn weight(self) -> f64 {
        match self {
            Level::Informational => 1.0,
            Level::Low => 2.0,
            Level::Medium => 3.0,
            Level::High => 4.0,
            Level::Critical => 5.0,
        }
    }
}

/// One ATT&CK technique reference as written in a rule.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TechniqueRef {
    /// The ID as written (`attack.t1059.001`, ` T1003 `...).
    pub id: String,
    /// Tactics that apply to this reference only (Elastic's `rule.threat.tactic`, a CSV row's or
    /// a layer entry's `tactic`), as written: shortname, name or TA ID.
    pub tactics: Vec<String>,
    /// An explicit score (CSV `score`, layer `score`), used instead of the rule's level weight.
    pub score: Option<f64>,
}

/// One rule, read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The file it was read from.
    pub file: PathBuf,
    /// The format it was read as.
    pub format: Format,
    /// `title` (Sigma), `name` (Splunk, Elastic, CSV), the layer's name.
    pub name: String,
    /// `id` (Sigma, Splunk), `rule_id` (Elastic).
    pub id: Option<String>,
    /// `status` (Sigma, Splunk), `metadata.maturity` (Elastic).
    pub status: Option<String>,
    /// `level` (Sigma), `severity` (Elastic), `level` column (CSV).
    pub level: Option<Level>,
    /// Splunk `type` (TTP, Anomaly, Hunting...), Elastic `type` (eql, query...).
    pub kind: Option<String>,
    /// Sigma `logsource` as `product/category/service` (the parts present).
    pub logsource: Option<String>,
    /// The technique references.
    pub techniques: Vec<TechniqueRef>,
    /// Tactic tags of the whole rule (Sigma `attack.defense-evasion`), as written.
    pub tactics: Vec<String>,
    /// Tags naming other ATT&CK objects: groups, software, campaigns, data sources
    /// (`attack.g0016`, `attack.s0154`), as written.
    pub objects: Vec<String>,
}

impl Rule {
    /// An empty rule of `format` named `name`, read from `file`.
    pub fn new(file: PathBuf, format: Format, name: String) -> Rule {
        Rule {
            file,
            format,
            name,
            id: None,
            status: None,
            level: None,
            kind: None,
            logsource: None,
            techniques: Vec::new(),
            tactics: Vec::new(),
            objects: Vec::new(),
        }
    }

    /// Returns true if and only if the rule names any ATT&CK technique.
    pub fn has_attack_techniques(&self) -> bool {
        !self.techniques.is_empty()
    }
}
