//! ATT&CK 19.x: a 19.1-shaped release derived at test time from the real 18.1
//! (`attackdb_testdata::nineteen`: the Defense Evasion split, revocations into T1684-T1686, an
//! ICS sub-technique and a T16xx ICS technique, a new mobile detection strategy), loaded
//! beside the real releases; the matrix, `show`, `migrate layer`, `migrate rules` and `diff`
//! across it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `attackdb --data REAL --data DERIVED ARGS...`; `None` without the real data.
fn run(args: &[&str]) -> Option<Output> {
    run_with(true, args)
}

/// [`run`], or with the derived 19.1 alone (`with_real` false), as a user who fetched only 19.1.
fn run_with(with_real: bool, args: &[&str]) -> Option<Output> {
    let real = attackdb_testdata::data_dir()?;
    let derived = attackdb_testdata::derived_release()?;
    let mut command = Command::new(env!("CARGO_BIN_EXE_attackdb"));
    if with_real {
        command.arg("--data").arg(real);
    }
    let output = command
        .arg("--data")
        .arg(derived)
        .args(args)
        .env("ATTACKDB_HOME", common::home())
        .env_remove("ATTACKDB_DATA")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "attackdb {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(output)
}

fn json(args: &[&str]) -> Option<Value> {
    Some(serde_json::from_slice(&run(args)?.stdout).unwrap())
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn enterprise_19_1_matrix_has_defense_impairment_right_after_stealth() {
    let Some(matrix) = json(&["matrix", "--release", "19.1", "--json"]) else {
        return;
    };
    let columns: Vec<(String, String, String)> = matrix
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let t = &c["tactic"];
            (
                t["id"].as_str().unwrap().to_string(),
                t["name"].as_str().unwrap().to_string(),
                t["shortname"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let ids: Vec<&str> = columns.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        ids,
        [
            "TA0043", "TA0042", "TA0001", "TA0002", "TA0003", "TA0004", "TA0005", "TA0112",
            "TA0006", "TA0007", "TA0008", "TA0009", "TA0011", "TA0010", "TA0040"
        ]
    );
    assert_eq!(columns[6].1, "Stealth");
    assert_eq!(columns[6].2, "stealth");
    assert_eq!(columns[7].1, "Defense Impairment");
    assert_eq!(columns[7].2, "defense-impairment");
    let impairment: Vec<String> = matrix[7]["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(impairment, ["T1686", "T1685"]);
    // 18.1 is unchanged beside it.
    let old = json(&["matrix", "--release", "18.1", "--json"]).unwrap();
    assert_eq!(old.as_array().unwrap().len(), 14);
    assert_eq!(old[6]["tactic"]["shortname"], "defense-evasion");
}

#[test]
fn ics_19_1_matrix_shows_t0843_001_under_t0843_and_a_t16xx_technique() {
    let Some(matrix) = json(&[
        "--domain",
        "ics",
        "matrix",
        "--release",
        "19.1",
        "--subtechniques",
        "--json",
    ]) else {
        return;
    };
    let mut found = BTreeMap::new();
    for column in matrix.as_array().unwrap() {
        for t in column["techniques"].as_array().unwrap() {
            let id = t["id"].as_str().unwrap();
            if id == "T0843" || id == "T1690" {
                let subs: Vec<String> = t["subtechniques"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["id"].as_str().unwrap().to_string())
                    .collect();
                found.insert(
                    (
                        column["tactic"]["shortname"].as_str().unwrap().to_string(),
                        id.to_string(),
                    ),
                    subs,
                );
            }
        }
    }
    let expected: BTreeMap<(String, String), Vec<String>> = [
        (
            ("lateral-movement".to_string(), "T0843".to_string()),
            vec!["T0843.001".to_string()],
        ),
        (("initial-access".to_string(), "T1690".to_string()), vec![]),
    ]
    .into_iter()
    .collect();
    assert_eq!(found, expected);
    let shown = run(&["--domain", "ics", "show", "T0843.001"]).unwrap();
    let text = String::from_utf8(shown.stdout).unwrap();
    assert!(
        text.contains("Parent     T0843  Program Download\n"),
        "{text}"
    );
}

#[test]
fn show_t1562_on_19_1_is_revoked_by_t1685() {
    let Some(shown) = run(&["show", "T1562", "--release", "19.1"]) else {
        return;
    };
    let text = String::from_utf8(shown.stdout).unwrap();
    assert!(text.starts_with("T1562  Impair Defenses\n"), "{text}");
    assert!(
        text.contains("Type          technique (revoked)\n"),
        "{text}"
    );
    assert!(
        text.contains("Release       enterprise-attack 19.1\n"),
        "{text}"
    );
    assert!(
        text.contains("Revoked by    T1685  Impair Defenses\n"),
        "{text}"
    );
    // On 18.1 it is live.
    let old =
        String::from_utf8(run(&["show", "T1562", "--release", "18.1"]).unwrap().stdout).unwrap();
    assert!(old.contains("Type          technique\n"), "{old}");
    assert!(!old.contains("Revoked by"), "{old}");
    // The replacement's sub-techniques: the new ones and T1562's live ones.
    let t1685 = String::from_utf8(run(&["show", "T1685"]).unwrap().stdout).unwrap();
    assert!(
        t1685.contains("Tactics       Defense Impairment\n"),
        "{t1685}"
    );
}

const LAYER: &str = r#"{"name": "defense evasion 18.1", "domain": "enterprise-attack",
 "versions": {"attack": "18", "layer": "4.5", "navigator": "5.1.0"},
 "techniques": [
  {"techniqueID": "T1562", "tactic": "defense-evasion", "score": 3},
  {"techniqueID": "T1562.001", "tactic": "defense-evasion", "score": 2},
  {"techniqueID": "T1562.004", "tactic": "defense-evasion", "score": 2},
  {"techniqueID": "T1070.001", "tactic": "defense-evasion", "score": 1},
  {"techniqueID": "T1027", "tactic": "defense-evasion", "score": 1},
  {"techniqueID": "T1055", "tactic": "defense-evasion", "score": 4},
  {"techniqueID": "T1055", "tactic": "privilege-escalation", "score": 4},
  {"techniqueID": "T1656", "tactic": "defense-evasion", "score": 5},
  {"techniqueID": "T1059", "tactic": "execution", "score": 1}
 ]}"#;

#[test]
fn migrate_layer_carries_defense_evasion_to_stealth_and_flags_defense_impairment() {
    let temp = tempfile::tempdir().unwrap();
    let layer = temp.path().join("layer-18.1.json");
    std::fs::write(&layer, LAYER).unwrap();
    let out = temp.path().join("layer-19.1.json");
    let (layer, out) = (layer.to_str().unwrap(), out.to_str().unwrap());
    let Some(report) = json(&[
        "migrate", "layer", layer, "--to", "19.1", "-o", out, "--json",
    ]) else {
        return;
    };
    let decisions: Vec<(String, String, Vec<String>, bool)> = report["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_string(),
                d["technique"].as_str().unwrap().to_string(),
                strings(&d["to"]),
                d["needs_review"].as_bool().unwrap(),
            )
        })
        .collect();
    let d = |kind: &str, technique: &str, to: &[&str], review: bool| {
        (
            kind.to_string(),
            technique.to_string(),
            to.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            review,
        )
    };
    assert_eq!(
        decisions,
        [
            d("moved", "T1562", &["T1685"], false),
            d("tactic-renamed", "T1562", &["T1685"], true),
            d("tactic-renamed", "T1562.001", &["T1562.001"], true),
            d("moved", "T1562.004", &["T1686"], false),
            d("tactic-renamed", "T1562.004", &["T1686"], true),
            d("moved", "T1070.001", &["T1685.005"], false),
            d("tactic-renamed", "T1070.001", &["T1685.005"], true),
            d("tactic-renamed", "T1027", &["T1027"], false),
            d("tactic-renamed", "T1055", &["T1055"], false),
            d("moved", "T1656", &["T1684.001"], false),
            d("tactic-renamed", "T1656", &["T1684.001"], false),
            d(
                "split",
                "T1685",
                &[
                    "T1562.001",
                    "T1562.003",
                    "T1562.006",
                    "T1562.007",
                    "T1562.008",
                    "T1562.009",
                    "T1562.010",
                    "T1562.011",
                    "T1562.012",
                    "T1562.013",
                    "T1685.001",
                    "T1685.005"
                ],
                true
            ),
        ]
    );
    let detail = |technique: &str| {
        report["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["kind"] == "tactic-renamed" && x["technique"] == technique)
            .map(|x| x["detail"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(
        detail("T1027"),
        "tactic defense-evasion (TA0005 Defense Evasion in 18.1) is stealth (TA0005 Stealth) in 19.1; the annotation now applies to stealth"
    );
    assert_eq!(
        detail("T1562.001"),
        "tactic defense-evasion (TA0005 Defense Evasion in 18.1) is stealth (TA0005 Stealth) in 19.1, but T1562.001 is not in it: it now sits under defense-impairment (TA0112 Defense Impairment) (split off since 18.1); the annotation now applies to defense-impairment"
    );
    assert_eq!(
        detail("T1562.004"),
        "tactic defense-evasion (TA0005 Defense Evasion in 18.1) is stealth (TA0005 Stealth) in 19.1; the annotation now applies to stealth; T1686 also sits under defense-impairment (TA0112 Defense Impairment), new since 18.1: decide whether the annotation belongs there too"
    );
    let migrated: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    let entries: Vec<(String, String, f64)> = migrated["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["techniqueID"].as_str().unwrap().to_string(),
                t["tactic"].as_str().unwrap().to_string(),
                t["score"].as_f64().unwrap(),
            )
        })
        .collect();
    let e = |id: &str, tactic: &str, score: f64| (id.to_string(), tactic.to_string(), score);
    assert_eq!(
        entries,
        [
            e("T1685", "defense-impairment", 3.0),
            e("T1562.001", "defense-impairment", 2.0),
            e("T1686", "stealth", 2.0),
            e("T1685.005", "defense-impairment", 1.0),
            e("T1027", "stealth", 1.0),
            e("T1055", "stealth", 4.0),
            e("T1055", "privilege-escalation", 4.0),
            e("T1684.001", "stealth", 5.0),
            e("T1059", "execution", 1.0),
        ]
    );
    assert_eq!(migrated["versions"]["attack"], "19");
}

#[test]
fn migrate_rules_reports_defense_evasion_and_revoked_sigma_tags_with_replacements() {
    migrate_sigma_rules_to_19_1(true);
}

#[test]
fn migrate_rules_with_19_1_alone_knows_defense_evasion_from_attacks_renames() {
    // No 18.x loaded to look the old tactic up in: ATT&CK's known renames give the same answer.
    migrate_sigma_rules_to_19_1(false);
}

fn migrate_sigma_rules_to_19_1(with_real: bool) {
    let Some(sigma) = attackdb_testdata::corpus("sigma") else {
        return;
    };
    let Some(output) = run_with(
        with_real,
        &[
            "migrate",
            "rules",
            sigma.to_str().unwrap(),
            "--to",
            "19.1",
            "--json",
        ],
    ) else {
        return;
    };
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["release"], "enterprise-attack 19.1");
    assert_eq!(report["rules"], 3748);
    let revoked: BTreeMap<String, String> = report["revoked_ids"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let expected: BTreeMap<String, String> = [
        ("T1070.001", "T1685.005"),
        ("T1562", "T1685"),
        ("T1562.002", "T1685.001"),
        ("T1562.004", "T1686"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(revoked, expected);
    assert_eq!(report["renamed_tactics"]["defense-evasion"], "stealth");
    assert_eq!(report["unknown_tactics"], serde_json::json!([]));
    assert_eq!(report["unknown_ids"], serde_json::json!([]));
    // Every finding, by what it names and what to use instead.
    let mut by_reference: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for findings in report["findings"].as_object().unwrap().values() {
        for f in findings.as_array().unwrap() {
            *by_reference
                .entry((
                    f["status"].as_str().unwrap().to_string(),
                    f["reference"].as_str().unwrap().to_lowercase(),
                    f["suggestion"].as_str().unwrap_or("").to_string(),
                ))
                .or_default() += 1;
        }
    }
    let r = |status: &str, reference: &str, suggestion: &str, n: usize| {
        (
            (
                status.to_string(),
                reference.to_string(),
                suggestion.to_string(),
            ),
            n,
        )
    };
    let expected: BTreeMap<(String, String, String), usize> = [
        r(
            "renamed",
            "attack.defense-evasion",
            "defense-impairment",
            178,
        ),
        r("renamed", "attack.defense-evasion", "stealth", 1412),
        r(
            "renamed",
            "attack.defense-evasion",
            "stealth, defense-impairment",
            22,
        ),
        r("revoked", "attack.t1070.001", "T1685.005", 7),
        r("revoked", "attack.t1562", "T1685", 28),
        r("revoked", "attack.t1562.002", "T1685.001", 28),
        r("revoked", "attack.t1562.004", "T1686", 29),
    ]
    .into_iter()
    .collect();
    assert_eq!(by_reference, expected);
    // Every rule tagged attack.defense-evasion is reported.
    let tagged = count_sigma_rules_tagged(&sigma, "attack.defense-evasion");
    assert_eq!(tagged, 178 + 1412 + 22);
    // Where the split-off tactic comes from: the earlier release loaded, else the rename itself.
    let details: BTreeSet<String> = report["findings"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|f| f.as_array().unwrap())
        .filter(|f| f["suggestion"] == "defense-impairment")
        .map(|f| f["detail"].as_str().unwrap().to_string())
        .collect();
    let since = if with_real {
        "since 18.1"
    } else {
        "from Defense Evasion"
    };
    assert!(
        details.iter().all(|d| d
            .starts_with("Defense Evasion (TA0005) is Stealth (stealth) in 19.1; the rule's")
            && d.contains(&format!(
                "under defense-impairment (TA0112 Defense Impairment, split off {since})"
            ))),
        "{details:?}"
    );
}

#[test]
fn coverage_on_19_1_reads_defense_evasion_as_stealth_and_defense_impairment() {
    let Some(sigma) = attackdb_testdata::corpus("sigma") else {
        return;
    };
    let Some(report) = json(&[
        "--release",
        "19.1",
        "coverage",
        sigma.to_str().unwrap(),
        "--json",
    ]) else {
        return;
    };
    assert_eq!(
        report["renamed_tactics"],
        serde_json::json!({"defense-evasion": ["stealth", "defense-impairment"]})
    );
    // No tactic is unknown: the rules' defense-evasion tags are read, not listed as unknown.
    assert_eq!(report["unknown_ids"], serde_json::json!({}));
    let tagged = count_sigma_rules_tagged(&sigma, "attack.defense-evasion");
    let line = format!(
        "tactic defense-evasion is not in enterprise-attack 19.1: read as stealth, defense-impairment, the tactics in its place ({tagged} rules)"
    );
    assert!(
        strings(&report["warnings"]).contains(&line),
        "{}",
        report["warnings"]
    );
    // A rule tagged defense-evasion and T1685 (Disable or Modify Tools, now under Defense
    // Impairment) counts there.
    // Rules count under the same tactics as on 18.1, apart from the split one: none of those
    // tagged defense-evasion spills into a technique's other tactics.
    let Some(old) = json(&[
        "--release",
        "18.1",
        "coverage",
        sigma.to_str().unwrap(),
        "--json",
    ]) else {
        return;
    };
    let per_tactic = |report: &Value| -> BTreeMap<String, u64> {
        report["tactics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["shortname"].as_str().unwrap().to_string(),
                    t["rules"].as_u64().unwrap(),
                )
            })
            .filter(|(s, _)| {
                !["defense-evasion", "stealth", "defense-impairment"].contains(&s.as_str())
            })
            .collect()
    };
    assert_eq!(per_tactic(&report), per_tactic(&old));
    assert_eq!(per_tactic(&report).len(), 13);
    let t1685 = &report["techniques"]["T1685"];
    assert_eq!(strings(&t1685["tactics"]), ["defense-impairment"]);
    assert_eq!(t1685["rules"], 28);
}

/// Sigma rules (files) with a `tags` line naming `tag`, read as plain text.
fn count_sigma_rules_tagged(dir: &std::path::Path, tag: &str) -> usize {
    let mut count = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                if text
                    .lines()
                    .any(|l| l.trim().trim_start_matches("- ").trim() == tag)
                {
                    count += 1;
                }
            }
        }
    }
    count
}

#[test]
fn diff_18_1_to_19_1_lists_the_revocations_and_additions() {
    let Some(diff) = json(&["diff", "--from", "18.1", "--to", "19.1", "--json"]) else {
        return;
    };
    let list = |domain: &str, kind: &str, category: &str| -> BTreeSet<String> {
        strings(&diff[domain][kind][category]).into_iter().collect()
    };
    let set = |ids: &[&str]| -> BTreeSet<String> { ids.iter().map(|s| s.to_string()).collect() };
    let e = "enterprise-attack";
    assert_eq!(
        list(e, "techniques", "revocations"),
        set(&["T1070.001", "T1562", "T1562.002", "T1562.004", "T1656"])
    );
    assert_eq!(
        list(e, "techniques", "additions"),
        set(&[
            "T1684",
            "T1684.001",
            "T1685",
            "T1685.001",
            "T1685.005",
            "T1686"
        ])
    );
    let details = &diff[e]["techniques"]["details"];
    for (old, new, _, _) in attackdb_testdata::nineteen::REVOCATIONS {
        assert_eq!(details[old]["revoked_by"], new, "{old}");
    }
    assert_eq!(list(e, "tactics", "additions"), set(&["TA0112"]));
    assert_eq!(
        list(e, "tactics", "major_version_changes"),
        set(&["TA0005"])
    );
    assert_eq!(
        details["T1027"]["related"]["tactics"]["added"],
        serde_json::json!(["stealth"])
    );
    assert_eq!(
        details["T1027"]["related"]["tactics"]["dropped"],
        serde_json::json!(["defense-evasion"])
    );
    assert_eq!(
        list("ics-attack", "techniques", "additions"),
        set(&["T0843.001", "T1690"])
    );
    assert_eq!(
        list("mobile-attack", "detectionstrategies", "additions"),
        set(&["DET0900"])
    );
    assert_eq!(
        list("mobile-attack", "analytics", "additions"),
        set(&["AN2100"])
    );
}

#[test]
fn releases_compare_numerically_19_1_is_newest() {
    let Some(stats) = json(&["stats", "--json"]) else {
        return;
    };
    let text = stats.to_string();
    assert!(text.contains("19.1"), "{text}");
    // The default release is the newest: 19.1, not 18.1 (nor 9.x by string order).
    let shown = String::from_utf8(run(&["show", "TA0005"]).unwrap().stdout).unwrap();
    assert!(
        shown.contains("Release    enterprise-attack 19.1\n"),
        "{shown}"
    );
    assert!(shown.starts_with("TA0005  Stealth\n"), "{shown}");
}
