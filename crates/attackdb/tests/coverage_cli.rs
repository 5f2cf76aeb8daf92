//! `attackdb coverage` end to end: JSON keys, `--fail-under` exit codes, the layer passing
//! `attackdb layer validate`, the report files, and argument errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::attackdb;

use common::data_dir;

use std::path::PathBuf;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../attackdb-coverage/tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn coverage_json_layer_report_and_fail_under() {
    let Some(data) = data_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let layer = dir.path().join("layer.json");
    let report = dir.path().join("report.html");
    let csv = fixture("csv");
    let output = attackdb(
        &data,
        &[
            "coverage",
            &csv,
            "--json",
            "--groups",
            "G0016",
            "--layer",
            layer.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["rules"], 7);
    assert_eq!(json["rules_mapped"], 5);
    assert_eq!(json["techniques"]["T1078"]["rules"], 1);
    assert_eq!(
        json["errors"][0]["reason"],
        "line 7: score `lots` is not a number"
    );
    assert_eq!(json["gaps"]["actors"][0]["id"], "G0016");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("inventory.csv: line 7"), "{stderr}");
    assert!(std::fs::read_to_string(&report)
        .unwrap()
        .contains("class=\"matrix\""));
    let validate = attackdb(&data, &["layer", "validate", layer.to_str().unwrap()]);
    assert!(
        validate.status.success(),
        "{}{}",
        String::from_utf8_lossy(&validate.stdout),
        String::from_utf8_lossy(&validate.stderr)
    );

    // 6 of 691 techniques and sub-techniques covered (0.87%): 0.5% passes, 50% fails.
    let pass = attackdb(&data, &["coverage", &csv, "--fail-under", "0.5"]);
    assert!(pass.status.success());
    let fail = attackdb(&data, &["coverage", &csv, "--fail-under", "50"]);
    assert_eq!(fail.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&fail.stderr);
    assert!(stderr.contains("is under the threshold 50%"), "{stderr}");
    assert!(String::from_utf8_lossy(&fail.stdout).contains("TACTIC"));
}

#[test]
fn coverage_argument_errors() {
    let Some(data) = data_dir() else {
        return;
    };
    let csv = fixture("csv");
    let output = attackdb(&data, &["coverage", &csv, "--platform", "Amiga"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown platform `Amiga`"));
    let output = attackdb(&data, &["coverage", &csv, "--groups", "T1003"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("T1003: is a technique, not a group"));
    let output = attackdb(&data, &["coverage", &csv, "--platform", "linux", "--json"]);
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["platform"], "Linux");
    assert!(json["coverage"]["techniques"]["total"].as_u64().unwrap() < 216);
}

#[test]
fn coverage_fails_when_no_file_could_be_read() {
    let Some(data) = data_dir() else {
        return;
    };
    let broken = fixture("elastic/broken_fixture.toml");
    let output = attackdb(&data, &["coverage", &broken]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken_fixture.toml"), "{stderr}");
    assert!(
        stderr.contains("error: no rule could be read from the 1 file(s) given"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
    // A folder of files none of which is a rule fails too; one readable file among them does
    // not.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yml"), "a: 1\n").unwrap();
    std::fs::write(dir.path().join("b.yml"), "title: [\n").unwrap();
    let folder = dir.path().display().to_string();
    let output = attackdb(&data, &["coverage", &folder, "--json"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("from the 2 file(s) given"));
    std::fs::copy(
        fixture("sigma/old_style_tags.yml"),
        dir.path().join("c.yml"),
    )
    .unwrap();
    let output = attackdb(&data, &["coverage", &folder, "--json"]);
    assert!(output.status.success());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (json["rules"].as_u64(), json["files"].as_u64()),
        (Some(1), Some(3))
    );
}

#[test]
fn deprecated_splunk_detections_are_left_out_unless_named() {
    let (Some(data), Some(shared)) = (data_dir(), common::shared()) else {
        return;
    };
    let corpus = shared
        .join("corpora/splunk-security-content")
        .display()
        .to_string();
    // The deprecated detections, counted from their `status:` lines.
    let mut deprecated = 0;
    let mut stack = vec![shared.join("corpora/splunk-security-content")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yml") {
                let text = std::fs::read_to_string(&path).unwrap();
                if text.lines().any(|l| l.trim_end() == "status: deprecated") {
                    deprecated += 1;
                }
            }
        }
    }
    assert_eq!(deprecated, 98);
    let run = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["coverage", corpus.as_str(), "--json"];
        args.extend(extra);
        serde_json::from_slice(&attackdb(&data, &args).stdout).unwrap()
    };
    let default = run(&[]);
    assert_eq!(default["rules"], 1711 - deprecated);
    assert_eq!(default["rules_deprecated_left_out"], deprecated);
    let all = run(&["--status", "all"]);
    assert_eq!(all["rules"], 1711);
    assert_eq!(all["rules_deprecated_left_out"], 0);
    let named = run(&["--status", "production,deprecated"]);
    assert_eq!(named["rules"], 1472 + deprecated);
    let text = attackdb(&data, &["coverage", &corpus]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.lines().nth(1).unwrap().starts_with(
            "98 deprecated rule(s) left out (--status deprecated,... or --status all counts them)"
        ),
        "{text}"
    );
    // Each technique lists its rules.
    let t1003_001 = &default["techniques"]["T1003.001"];
    let listed = t1003_001["rule_list"].as_array().unwrap();
    assert_eq!(listed.len() as u64, t1003_001["rules"].as_u64().unwrap());
    assert!(listed
        .iter()
        .all(|r| r["status"] != "deprecated" && r["file"].as_str().unwrap().ends_with(".yml")));
    assert!(listed
        .iter()
        .any(|r| r["name"] == "Access LSASS Memory for Dump Creation"));
}

#[test]
fn apt29_gaps_count_software_only_when_asked() {
    let Some(data) = data_dir() else {
        return;
    };
    // The relation family, asked independently of coverage.
    let family = attackdb(
        &data,
        &["relation", "techniques_used_by_group", "G0016", "--json"],
    );
    let family: serde_json::Value = serde_json::from_slice(&family.stdout).unwrap();
    let family_ids: Vec<&str> = family
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(family_ids.len(), 119);
    // An inventory that covers nothing of 18.1: every technique of APT29 is a gap.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("none.csv");
    std::fs::write(&csv, "name,techniques\nnothing,T1685\n").unwrap();
    let csv = csv.display().to_string();
    let gaps = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["coverage", csv.as_str(), "--json", "--groups", "APT29"];
        args.extend(extra);
        let json: serde_json::Value =
            serde_json::from_slice(&attackdb(&data, &args).stdout).unwrap();
        json["gaps"].clone()
    };
    let without = gaps(&[]);
    assert_eq!(without["actors"][0]["techniques"], 119);
    assert_eq!(without["with_software"], false);
    let mut ranked: Vec<&str> = without["ranked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    ranked.sort();
    let mut want = family_ids.clone();
    want.sort();
    assert_eq!(ranked, want);
    // Every gap says where it comes from: direct or a campaign (C0023, C0024...), no software.
    for gap in without["ranked"].as_array().unwrap() {
        let user = &gap["used_by"][0];
        let sources = user["sources"].as_array().unwrap();
        assert!(!sources.is_empty(), "{gap}");
        assert!(user["via_software"].as_array().unwrap().is_empty());
        for source in sources {
            let source = source.as_str().unwrap();
            assert!(source == "direct" || source.starts_with("via C"), "{gap}");
        }
    }
    let with = gaps(&["--with-software"]);
    assert_eq!(with["actors"][0]["techniques"], 249);
    assert_eq!(with["ranked"].as_array().unwrap().len(), 249);
    assert!(with["ranked"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["used_by"][0]["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().starts_with("via S"))));
    // The summary fits 60 columns and says how to get the rest.
    let output = common::attackdb_columns(&data, &["coverage", &csv, "--groups", "APT29"], 60);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.lines().all(|l| l.chars().count() <= 60), "{text}");
    assert!(text.contains("20 of 119 gaps shown"), "{text}");
}

fn json_of(data: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let output = attackdb(data, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn visibility_of_the_dettect_sample_and_coverage_against_it() {
    let (Some(data), Some(dettect), Some(sigma)) = (
        data_dir(),
        attackdb_testdata::corpus("dettect-samples"),
        attackdb_testdata::corpus("sigma"),
    ) else {
        return;
    };
    let file = dettect.join("sample-data/data-sources-endpoints.yaml");
    let file = file.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let layer_path = dir.path().join("visibility.json");
    let seen = json_of(
        &data,
        &[
            "visibility",
            "--log-sources",
            file,
            "--layer",
            layer_path.to_str().unwrap(),
            "--json",
        ],
    );
    let totals = &seen["totals"];
    assert_eq!(
        (
            &totals["techniques_visible"],
            &totals["subtechniques_visible"]
        ),
        (&serde_json::json!(175), &serde_json::json!(360))
    );
    let visible: std::collections::BTreeSet<&str> = seen["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(visible.len(), 535);
    // The layer holds exactly the visible techniques.
    let layer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&layer_path).unwrap()).unwrap();
    let in_layer: std::collections::BTreeSet<&str> = layer["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["techniqueID"].as_str().unwrap())
        .collect();
    assert_eq!(in_layer, visible);
    assert_eq!(layer["domain"], "enterprise-attack");
    // Coverage against it: the four counts partition the scope, and agree with coverage and
    // visibility taken apart.
    let sigma = sigma.to_str().unwrap();
    let plain = json_of(&data, &["coverage", sigma, "--json"]);
    let joined = json_of(&data, &["coverage", sigma, "--visibility", file, "--json"]);
    let covered: std::collections::BTreeSet<&str> = plain["techniques"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, t)| t["in_scope"] == true)
        .map(|(id, _)| id.as_str())
        .collect();
    let join = &joined["visibility"];
    let scope = plain_scope(&plain);
    let count = |c: bool, v: bool| -> usize {
        scope
            .iter()
            .filter(|id| covered.contains(id.as_str()) == c && visible.contains(id.as_str()) == v)
            .count()
    };
    let expected = serde_json::json!({
        "covered": count(true, true),
        "covered_not_visible": count(true, false),
        "visible_not_covered": count(false, true),
        "not_visible": count(false, false),
    });
    assert_eq!(join["totals"], expected);
    assert_eq!(
        expected,
        serde_json::json!({"covered": 349, "covered_not_visible": 48, "visible_not_covered": 186, "not_visible": 108})
    );
    assert_eq!(join["visible_not_covered"].as_array().unwrap().len(), 186);
}

/// Every in-scope technique and sub-technique ID of a coverage answer: those its rules name,
/// and the uncovered ones, from the release's lists.
fn plain_scope(coverage: &serde_json::Value) -> Vec<String> {
    let data = data_dir().unwrap();
    let mut ids = Vec::new();
    for kind in ["techniques", "subtechniques"] {
        let list = json_of(&data, &["list", kind, "--json"]);
        ids.extend(
            list.as_array()
                .unwrap()
                .iter()
                .map(|o| o["attack_id"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(
        ids.len(),
        coverage["coverage"]["techniques"]["total"]
            .as_u64()
            .unwrap() as usize
            + coverage["coverage"]["subtechniques"]["total"]
                .as_u64()
                .unwrap() as usize
    );
    ids
}
