//! Rule references checked against a release (`attackdb migrate rules`): every technique or
//! tactic a rule names that is revoked, deprecated or unknown there, with the replacement to
//! use; as a typed answer and as a table, Markdown or CSV.

use std::collections::{BTreeMap, BTreeSet};

use attackdb_kb::{Dataset, ObjId, ObjectType};
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
    /// `unknown`, `revoked`, `deprecated` or (a tactic) `renamed`.
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
    /// Tactics renamed since an earlier loaded release (`defense-evasion` -> `stealth`): the
    /// shortname as the rules write it -> the tactic's shortname in the release.
    pub renamed_tactics: BTreeMap<String, String>,
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
    check_references_with(dataset, &[], ingested)
}

/// [`check_references`], with `earlier`: other releases of the domain (newest first) in which
/// a tactic the rules name and `dataset` does not know is looked up, so that a renamed tactic
/// (`defense-evasion`, Stealth in ATT&CK 19) is reported with the shortname to use: its new
/// one, or the tactics the rule's techniques now sit under when they moved to a tactic split
/// off from it.
pub fn check_references_with(
    dataset: &Dataset,
    earlier: &[&Dataset],
    ingested: &Ingested,
) -> ReferenceReport {
    let release = dataset.release();
    let mut renamed_tactics: BTreeMap<String, String> = BTreeMap::new();
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
            if resolve_tactic(dataset, raw, &key).is_some() {
                continue;
            }
            let renamed = earlier
                .iter()
                .find_map(|&e| {
                    let now = dataset.renamed_tactic(e, &key)?;
                    let old_name = e
                        .tactic_by_shortname(&key)
                        .map_or(key.clone(), |t| e.display_name(t).to_string());
                    Some(Successors {
                        now,
                        fresh: dataset.tactics_new_since(e),
                        since: format!("since {}", e.release()),
                        old_name,
                    })
                })
                .or_else(|| known_rename(dataset, &key));
            let (status, suggestion, detail) = match renamed {
                Some(successors) => {
                    let now = successors.now;
                    let (suggestion, detail) = renamed_tactic(dataset, &successors, rule);
                    if let Some(short) = dataset.object(now).shortname.as_deref() {
                        renamed_tactics.insert(key.clone(), short.to_string());
                    }
                    ("renamed", Some(suggestion), detail)
                }
                None => (
                    "unknown",
                    None,
                    format!(
                        "not a tactic of {} {release} (a newer release's, or a typo)",
                        dataset.domain()
                    ),
                ),
            };
            findings.push(Finding {
                file: file.clone(),
                rule: rule.name.clone(),
                reference: raw.trim().to_string(),
                kind: "tactic",
                status,
                suggestion,
                detail,
            });
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
            .filter(|f| f.kind == "tactic" && f.status == "unknown")
            .map(|f| normalize_tactic(&f.reference))
            .collect(),
        revoked_ids: findings
            .iter()
            .filter(|f| f.status == "revoked")
            .map(|f| (normalize_id(&f.reference), f.suggestion.clone()))
            .collect(),
        deprecated_ids: ids("deprecated"),
        renamed_tactics,
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

/// What took the place of a tactic a release no longer has.
struct Successors {
    /// The tactic of the old one's STIX ID (or, from ATT&CK's known renames, the first named).
    now: ObjId,
    /// The tactics split off from it.
    fresh: Vec<ObjId>,
    /// Where they come from, for the detail: `since 18.1`, or `from Defense Evasion`.
    since: String,
    /// The old tactic's name.
    old_name: String,
}

/// The successors of tactic `key` from ATT&CK's known renames, when no earlier release that
/// has it is loaded (a 19.x release alone): `defense-evasion` is TA0005 Stealth, with TA0112
/// Defense Impairment split off.
fn known_rename(dataset: &Dataset, key: &str) -> Option<Successors> {
    let mut found = dataset.known_successor_tactics(key).into_iter();
    let now = found.next()?;
    let old_name = key
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or(String::new(), |c| {
                c.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect::<Vec<_>>()
        .join(" ");
    Some(Successors {
        now,
        fresh: found.collect(),
        since: format!("from {old_name}"),
        old_name,
    })
}

/// The shortname(s) a rule should write for a tactic that is `successors.now` in `dataset`
/// under another shortname, and why: the new shortname, unless the rule's techniques (revoked
/// ones followed) sit under tactics split off from it, and not under it; then those.
fn renamed_tactic(
    dataset: &Dataset,
    successors: &Successors,
    rule: &crate::rule::Rule,
) -> (String, String) {
    let release = dataset.release();
    let now = successors.now;
    let new_short = dataset
        .object(now)
        .shortname
        .as_deref()
        .unwrap_or("")
        .to_string();
    let fresh = &successors.fresh;
    let shortname = |t: ObjId| {
        dataset
            .object(t)
            .shortname
            .as_deref()
            .unwrap_or("")
            .to_string()
    };
    let mut in_renamed: Vec<String> = Vec::new();
    let mut moved: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for reference in &rule.techniques {
        let id = normalize_id(&reference.id);
        let Some(mut technique) = dataset.by_attack_id_typed(&id, &[ObjectType::AttackPattern])
        else {
            continue;
        };
        if dataset.object(technique).revoked {
            match dataset
                .revoking_object(technique)
                .filter(|&r| dataset.is_live(r))
            {
                Some(r) => technique = r,
                None => continue,
            }
        }
        let tactics = dataset.tactics_of_technique(technique);
        let technique_id = dataset.display_id(technique).to_string();
        if tactics.contains(&now) {
            in_renamed.push(technique_id);
        } else {
            for &t in tactics.iter().filter(|t| fresh.contains(t)) {
                moved
                    .entry(shortname(t))
                    .or_default()
                    .insert(technique_id.clone());
            }
        }
    }
    let mut detail = format!(
        "{} ({}) is {} ({new_short}) in {release}",
        successors.old_name,
        dataset.display_id(now),
        dataset.display_name(now)
    );
    let mut suggestions: Vec<String> = Vec::new();
    if !in_renamed.is_empty() || moved.is_empty() {
        suggestions.push(new_short.clone());
    }
    for (tactic, techniques) in &moved {
        let named = dataset
            .tactic_by_shortname(tactic)
            .map(|t| format!("{} {}", dataset.display_id(t), dataset.display_name(t)))
            .unwrap_or_default();
        detail.push_str(&format!(
            "; the rule's {} now sit{} under {tactic} ({named}, split off {})",
            techniques.iter().cloned().collect::<Vec<_>>().join(", "),
            if techniques.len() == 1 { "s" } else { "" },
            successors.since
        ));
        suggestions.push(tactic.clone());
    }
    (suggestions.join(", "), detail)
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
