//! A coverage answer as an assessment: what `attackdb coverage --save NAME` and the server keep.

use std::collections::BTreeMap;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use attackdb_coverage::{document, Analysis};

use crate::assessments::{NewAssessment, TacticResult, TechniqueResult};
use crate::users::hex;

/// The assessment `name` of `analysis` (the rules of `rule_set`): every technique with rules or
/// partly covered, with its tactics in the matrix, every tactic's figures, and the rule files'
/// fingerprint.
pub fn assessment_from_coverage(
    name: &str,
    rule_set: &str,
    analysis: &Analysis<'_>,
) -> NewAssessment {
    let doc = document(analysis);
    let dataset = analysis.dataset;
    let tactics_of = |id: &str| -> Vec<String> {
        dataset
            .lookup(id)
            .map(|t| {
                dataset
                    .tactics_of_technique(t)
                    .into_iter()
                    .filter_map(|tactic| {
                        dataset
                            .object(tactic)
                            .shortname
                            .as_deref()
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut techniques = BTreeMap::new();
    for (id, entry) in &doc.techniques {
        if !entry.in_scope || entry.rules == 0 {
            continue;
        }
        let status = if doc.partly_covered.contains(id) {
            "partly"
        } else {
            "covered"
        };
        techniques.insert(
            id.clone(),
            TechniqueResult {
                name: entry.name.clone(),
                status: status.to_string(),
                rules: i64::try_from(entry.rules).unwrap_or(i64::MAX),
                score: entry.score,
                tactics: tactics_of(id),
            },
        );
    }
    for id in &doc.partly_covered {
        if techniques.contains_key(id) {
            continue;
        }
        let name = dataset
            .lookup(id)
            .map(|t| dataset.display_name(t).to_string())
            .unwrap_or_default();
        techniques.insert(
            id.clone(),
            TechniqueResult {
                name,
                status: "partly".to_string(),
                rules: 0,
                score: 0.0,
                tactics: tactics_of(id),
            },
        );
    }
    let tactics = doc
        .tactics
        .iter()
        .map(|t| TacticResult {
            shortname: t.shortname.clone().unwrap_or_default(),
            id: t.id.clone(),
            name: t.name.clone(),
            covered: count(t.covered),
            partly: count(t.partly),
            techniques: count(t.techniques),
            percent: t.percent,
        })
        .collect();
    let files: Vec<PathBuf> = analysis
        .ingested
        .rules
        .iter()
        .map(|r| r.file.clone())
        .collect();
    NewAssessment {
        name: name.to_string(),
        rule_set: rule_set.to_string(),
        fingerprint: fingerprint(&files),
        domain: dataset.domain().as_str().to_string(),
        release: dataset.release().to_string(),
        platform: doc.platform.clone(),
        taken_at: None,
        techniques,
        tactics,
        covered: count(doc.coverage.techniques.covered),
        partly: count(doc.coverage.techniques.partly),
        total: count(doc.coverage.techniques.total),
        percent: doc.coverage.percent,
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `sha256:HEX` over the contents of `files` (each once, in the order of their own hashes, so
/// the same rules give the same fingerprint wherever the checkout is). A file that cannot be
/// read counts by its name.
pub fn fingerprint(files: &[PathBuf]) -> String {
    let mut unique: Vec<&PathBuf> = files.iter().collect();
    unique.sort();
    unique.dedup();
    let mut hashes: Vec<String> = unique
        .iter()
        .map(|path| match std::fs::read(path) {
            Ok(bytes) => hex(&Sha256::digest(&bytes)),
            Err(_) => format!("unread:{}", path.display()),
        })
        .collect();
    hashes.sort();
    let mut all = Sha256::new();
    for hash in &hashes {
        all.update(hash.as_bytes());
        all.update(b"\n");
    }
    format!("sha256:{}", hex(&all.finalize()))
}
