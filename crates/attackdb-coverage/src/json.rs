//! The `--json` document: counts, per technique (with its rules: name, file, level, status) and
//! per tactic coverage, unknown, revoked and deprecated IDs, unreadable files, warnings, and the
//! gaps when asked for (each user of a gap with where it comes from). Maps are sorted.

use serde_json::{json, Map, Value};

use crate::coverage::Status;
use crate::Analysis;

/// The analysis as one JSON document.
pub fn to_json(analysis: &Analysis<'_>) -> Value {
    let dataset = analysis.dataset;
    let coverage = &analysis.coverage;
    let rules = analysis.rules();
    let mut techniques = Map::new();
    let mut partly = Vec::new();
    for (id, technique) in &coverage.techniques {
        if technique.status == Status::Partly && technique.in_scope {
            partly.push(id.clone());
        }
        if technique.rules.is_empty() {
            continue;
        }
        let tactics: Vec<&str> = analysis
            .matrix
            .tactics_of(technique.technique)
            .iter()
            .filter(|t| technique.rules_by_tactic.contains_key(t))
            .map(|&t| dataset.object(t).shortname.as_deref().unwrap_or(""))
            .collect();
        let rule_list: Vec<Value> = technique
            .rules
            .iter()
            .filter_map(|&index| rules.get(index))
            .map(|rule| {
                json!({
                    "name": rule.name,
                    "file": rule.file.display().to_string(),
                    "level": rule.level.map(crate::Level::as_str),
                    "status": rule.status,
                })
            })
            .collect();
        let mut entry = json!({
            "rules": technique.rules.len(),
            "rule_list": rule_list,
            "score": technique.score,
            "name": dataset.display_name(technique.technique),
            "tactics": tactics,
            "levels": technique.by_level,
            "statuses": technique.by_status,
            "in_scope": technique.in_scope,
        });
        if technique.deprecated {
            entry["deprecated"] = json!(true);
        }
        techniques.insert(id.clone(), entry);
    }
    let tactics: Vec<Value> = coverage
        .tactics
        .iter()
        .map(|t| {
            let object = dataset.object(t.tactic);
            json!({
                "id": dataset.display_id(t.tactic),
                "shortname": object.shortname.as_deref(),
                "name": dataset.display_name(t.tactic),
                "techniques": t.techniques,
                "covered": t.covered,
                "partly": t.partly,
                "not_covered": t.not_covered(),
                "subtechniques": t.subtechniques,
                "subtechniques_covered": t.subtechniques_covered,
                "rules": t.rules,
                "percent": round2(t.percent()),
            })
        })
        .collect();
    let unknown: Map<String, Value> = analysis
        .mapping
        .unknown
        .iter()
        .map(|(id, (kind, rule_set))| {
            (
                id.clone(),
                json!({"kind": kind.as_str(), "rules": rule_set.len()}),
            )
        })
        .collect();
    let deprecated: Map<String, Value> = analysis
        .mapping
        .deprecated
        .iter()
        .map(|(id, rule_set)| (id.clone(), json!(rule_set.len())))
        .collect();
    let errors: Vec<Value> = analysis
        .ingested
        .errors
        .iter()
        .map(|e| json!({"file": e.file.display().to_string(), "reason": e.reason}))
        .collect();
    let [covered, partly_count, not_covered] = coverage.technique_counts;
    let [sub_covered, sub_not] = coverage.subtechnique_counts;
    let mut document = json!({
        "domain": dataset.domain(),
        "release": dataset.release(),
        "platform": analysis.matrix.platform,
        "score_mode": coverage.mode.as_str(),
        "files": analysis.ingested.files,
        "rules": rules.len(),
        "rules_filtered_out": analysis.ingested.filtered_out,
        "rules_deprecated_left_out": analysis.ingested.deprecated_left_out,
        "rules_mapped": analysis.rules_mapped(),
        "rules_without_techniques": analysis.rules_without_techniques(),
        "techniques": techniques,
        "partly_covered": partly,
        "coverage": {
            "percent": round2(coverage.percent()),
            "techniques": {
                "total": covered + partly_count + not_covered,
                "covered": covered,
                "partly": partly_count,
                "not_covered": not_covered,
            },
            "subtechniques": {
                "total": sub_covered + sub_not,
                "covered": sub_covered,
                "not_covered": sub_not,
            },
        },
        "tactics": tactics,
        "unknown_ids": unknown,
        "revoked_ids": analysis.mapping.revoked,
        "renamed_tactics": analysis.mapping.renamed_tactics,
        "deprecated_ids": deprecated,
        "errors": errors,
        "warnings": analysis.mapping.warnings,
    });
    if let Some(visibility) = &analysis.visibility {
        document["visibility"] = serde_json::to_value(visibility).unwrap_or(Value::Null);
    }
    if let Some(gaps) = &analysis.gaps {
        let ranked: Vec<Value> = gaps
            .gaps
            .iter()
            .map(|gap| {
                let used_by: Vec<Value> = gap
                    .used_by
                    .iter()
                    .map(|(actor, via)| {
                        let ids = |list: &[attackdb_kb::ObjId]| -> Vec<String> {
                            list.iter()
                                .map(|&o| dataset.display_id(o).to_string())
                                .collect()
                        };
                        json!({
                            "id": dataset.display_id(*actor),
                            "name": dataset.display_name(*actor),
                            "via": via.names(),
                            "via_campaigns": ids(&via.campaigns),
                            "via_software": ids(&via.software_used),
                            "sources": via.sources(dataset),
                        })
                    })
                    .collect();
                json!({
                    "id": dataset.display_id(gap.technique),
                    "name": dataset.display_name(gap.technique),
                    "status": gap.status.as_str(),
                    "count": gap.used_by.len(),
                    "used_by": used_by,
                })
            })
            .collect();
        let actors: Vec<Value> = gaps
            .actors
            .iter()
            .map(|a| {
                json!({
                    "id": dataset.display_id(a.actor),
                    "name": dataset.display_name(a.actor),
                    "techniques": a.techniques,
                    "covered": a.covered,
                    "percent": round2(a.percent()),
                })
            })
            .collect();
        document["gaps"] = json!({
            "kind": gaps.kind,
            "with_software": gaps.inherit == crate::Inherit::CampaignsAndSoftware,
            "ranked": ranked,
            "actors": actors,
        });
    }
    document
}

/// Rounds to 2 decimals, for stable output.
pub(crate) fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
