//! Rule references checked against a release (`attackdb migrate rules`): every technique or
//! tactic a rule names that is revoked, deprecated or unknown there, with the replacement to
//! use; as a typed answer and as a table, Markdown or CSV.

use std::collections::{BTreeMap, BTreeSet};

use attackdb_kb::{Dataset, ObjectType};
use serde::Serialize;

use crate::ingest::Ingested;
use crate::mapping::{normalize_id, normalize_tactic, resolve_tactic};

/// One reference in a rule that does not hold in the release.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The rule's file.
    #[serde(skip)]
    pub file: String,
    /// The rule's name.
    pub rule: String,
    /// The reference as written (trimmed).
    pub reference: String,
    /// `technique` or `tactic`.
    pub kind: &'static str,
    /// `unknown`, `revoked` or `deprecated`.
    pub status: &'static str,
    /// What to use instead, if anything.
    pub suggestion: Option<String>,
    /// Why, in a sentence.
    pub detail: String,
}

/// A file that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct UnreadFile {
    /// The file.
    pub file: String,
    /// Why.
    pub reason: String,
}

/// `migrate rules --json`.
#[derive(Debug, Clone, Serialize)]
pub struct ReferenceReport {
    /// The release checked against (`enterprise-attack 15.1`).
    pub release: String,
    /// How many rules were read.
    pub rules: usize,
    /// How many files were read.
    pub files: usize,
    /// How many technique references the rules hold.
    pub references: usize,
    /// Technique IDs unknown to the release.
    pub unknown_ids: BTreeSet<String>,
    /// Tactics unknown to the release.
    pub unknown_tactics: BTreeSet<String>,
    /// Revoked technique IDs -> their live replacement, if any.
    pub revoked_ids: BTreeMap<String, Option<String>>,
    /// Deprecated technique IDs.
    pub deprecated_ids: BTreeSet<String>,
    /// File -> its findings.
    pub findings: BTreeMap<String, Vec<Finding>>,
    /// Files that could not be read.
    pub errors: Vec<UnreadFile>,
    /// Every finding, in rule order (the per-file map above is for JSON).
    #[serde(skip)]
    pub all: Vec<Finding>,
}

/// Checks every technique and tactic reference of `ingested` against `dataset`.
pub fn check_references(dataset: &Dataset, ingested: &Ingested) -> ReferenceReport {
    let release = dataset.release();
    let mut findings = Vec::new();
    let mut references = 0usize;
    for rule in &ingested.rules {
        let file = rule.file.display().to_string();
        let mut seen = BTreeSet::new();
        for reference in &rule.techniques {
            references += 1;
            let id = normalize_id(&reference.id);
            if !seen.insert(id.clone()) {
                continue;
            }
            let found = dataset.by_attack_id_typed(&id, &[ObjectType::AttackPattern]);
            let (status, suggestion, detail) = match found {
                None => {
                    let parent = id.split_once('.').and_then(|(parent, _)| {
                        dataset
                            .by_attack_id_typed(parent, &[ObjectType::AttackPattern])
                            .filter(|&p| dataset.is_live(p))
                    });
                    (
                        "unknown",
                        parent.map(|p| dataset.display_id(p).to_string()),
                        match parent {
                            Some(p) => format!(
                                "not a technique of {} {release} (a newer release's, or a typo); its parent {} {} exists",
                                dataset.domain(),
                                dataset.display_id(p),
                                dataset.display_name(p)
                            ),
                            None => format!(
                                "not a technique of {} {release} (a newer release's, or a typo)",
                                dataset.domain()
                            ),
                        },
                    )
                }
                Some(t) if dataset.object(t).revoked => {
                    let by = dataset.revoking_object(t).filter(|&r| dataset.is_live(r));
                    (
                        "revoked",
                        by.map(|r| dataset.display_id(r).to_string()),
                        match by {
                            Some(r) => format!(
                                "{} was revoked by {} {}",
                                dataset.display_name(t),
                                dataset.display_id(r),
                                dataset.display_name(r)
                            ),
                            None => format!(
                                "{} was revoked, with no live replacement",
                                dataset.display_name(t)
                            ),
                        },
                    )
                }
                Some(t) if dataset.object(t).deprecated => (
                    "deprecated",
                    None,
                    format!(
                        "{} is deprecated in {release}, with no replacement",
                        dataset.display_name(t)
                    ),
                ),
                Some(_) => continue,
            };
            findings.push(Finding {
                file: file.clone(),
                rule: rule.name.clone(),
                reference: reference.id.trim().to_string(),
                kind: "technique",
                status,
                suggestion,
                detail,
            });
        }
        let tactic_names = rule
            .tactics
            .iter()
            .chain(rule.techniques.iter().flat_map(|t| t.tactics.iter()));
        for raw in tactic_names {
            let key = normalize_tactic(raw);
            if !seen.insert(format!("tactic:{key}")) {
                continue;
            }
            if resolve_tactic(dataset, raw, &key).is_none() {
                findings.push(Finding {
                    file: file.clone(),
                    rule: rule.name.clone(),
                    reference: raw.trim().to_string(),
                    kind: "tactic",
                    status: "unknown",
                    suggestion: None,
                    detail: format!(
                        "not a tactic of {} {release} (a newer release's, or a typo)",
                        dataset.domain()
                    ),
                });
            }
        }
    }
    let ids = |status: &str| -> BTreeSet<String> {
        findings
            .iter()
            .filter(|f| f.status == status && f.kind == "technique")
            .map(|f| normalize_id(&f.reference))
            .collect()
    };
    let mut per_file: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    for f in &findings {
        per_file.entry(f.file.clone()).or_default().push(f.clone());
    }
    ReferenceReport {
        release: format!("{} {release}", dataset.domain()),
        rules: ingested.rules.len(),
        files: ingested.files,
        references,
        unknown_ids: ids("unknown"),
        unknown_tactics: findings
            .iter()
            .filter(|f| f.kind == "tactic")
            .map(|f| normalize_tactic(&f.reference))
            .collect(),
        revoked_ids: findings
            .iter()
            .filter(|f| f.status == "revoked")
            .map(|f| (normalize_id(&f.reference), f.suggestion.clone()))
            .collect(),
        deprecated_ids: ids("deprecated"),
        findings: per_file,
        errors: ingested
            .errors
            .iter()
            .map(|e| UnreadFile {
                file: e.file.display().to_string(),
                reason: e.reason.clone(),
            })
            .collect(),
        all: findings,
    }
}

impl ReferenceReport {
    /// The findings as a Markdown table, under a heading naming the release.
    pub fn to_markdown(&self) -> String {
        use std::fmt::Write as _;
        let (domain, release) = self.release.split_once(' ').unwrap_or((&self.release, ""));
        let mut md = format!(
            "# Rule references against ATT&CK {release} ({domain})\n\n{} rules in {} files; {} findings.\n\n| File | Rule | Reference | Status | Suggestion | Detail |\n|---|---|---|---|---|---|\n",
            self.rules,
            self.files,
            self.all.len()
        );
        for f in &self.all {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                f.file.replace('|', "\\|"),
                f.rule.replace('|', "\\|"),
                f.reference,
                f.status,
                f.suggestion.as_deref().unwrap_or(""),
                f.detail.replace('|', "\\|")
            );
        }
        md
    }

    /// The findings as CSV: `file,rule,reference,kind,status,suggestion,detail`.
    pub fn to_csv(&self) -> std::result::Result<String, csv::Error> {
        let mut writer = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::NonNumeric)
            .from_writer(Vec::new());
        writer.write_record([
            "file",
            "rule",
            "reference",
            "kind",
            "status",
            "suggestion",
            "detail",
        ])?;
        for f in &self.all {
            writer.write_record([
                f.file.as_str(),
                &f.rule,
                &f.reference,
                f.kind,
                f.status,
                f.suggestion.as_deref().unwrap_or(""),
                &f.detail,
            ])?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}
