//! `attackdb migrate layer` end to end on a real corpus layer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::shared;

use std::process::Command;

use serde_json::Value;

#[test]
fn migrate_layer_writes_a_4_5_layer_and_lists_decisions() {
    let Some(shared) = shared() else { return };
    let temp = tempfile::tempdir().unwrap();
    let layer =
        shared.join("corpora/navigator-layers/layers/samples/ATTACKcon 2018/Blue_Pins.json");
    let out = temp.path().join("blue-18.1.json");
    let report = temp.path().join("review.md");
    let output = Command::new(env!("CARGO_BIN_EXE_attackdb"))
        .arg("--data")
        .arg(shared.join("attack-stix-data"))
        .args(["migrate", "layer"])
        .arg(&layer)
        .args(["--to", "18.1", "--json", "-o"])
        .arg(&out)
        .arg("--report")
        .arg(&report)
        .env("ATTACKDB_HOME", temp.path().join("home"))
        .env_remove("ATTACKDB_DATA")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    let decisions = result["decisions"].as_array().unwrap();
    let moved = |from: &str| {
        decisions
            .iter()
            .find(|d| d["kind"] == "moved" && d["technique"] == from)
            .map(|d| d["to"][0].as_str().unwrap().to_string())
    };
    assert_eq!(moved("T1002").as_deref(), Some("T1560"));
    assert_eq!(moved("T1107").as_deref(), Some("T1070.004"));
    assert!(result["needs_review"].as_u64().unwrap() > 0);
    let migrated: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(migrated["versions"]["layer"], "4.5");
    assert_eq!(migrated["versions"]["attack"], "18");
    let ids: Vec<&str> = migrated["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["techniqueID"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"T1002") && ids.contains(&"T1560"));
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        md.contains("## Needs review") && md.contains("| $ | moved | T1002 |"),
        "{md}"
    );
}

/// The technique IDs tagged in the Sigma corpus, read independently of attackdb's rule readers:
/// every `- attack.tNNNN[.NNN]` list item of every `.yml` file.
fn sigma_technique_tags(dir: &std::path::Path) -> std::collections::BTreeSet<String> {
    let mut found = std::collections::BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yml") {
                let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).to_string();
                for line in text.lines() {
                    let item = line
                        .trim_start()
                        .trim_start_matches('-')
                        .trim()
                        .trim_matches(['\'', '"']);
                    let lower = item.to_ascii_lowercase();
                    let Some(id) = lower.strip_prefix("attack.t") else {
                        continue;
                    };
                    let (main, sub) = id.split_once('.').unwrap_or((id, ""));
                    let digits = |s: &str, n| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
                    if digits(main, 4) && (sub.is_empty() || digits(sub, 3)) {
                        found.insert(format!("T{}", id.to_ascii_uppercase()));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn migrate_rules_reports_exactly_the_sigma_ids_unknown_to_a_release() {
    let Some(shared) = shared() else { return };
    let temp = tempfile::tempdir().unwrap();
    let sigma = shared.join("corpora/sigma");
    let tags = sigma_technique_tags(&sigma);
    assert!(tags.len() > 300, "{}", tags.len());
    let kb = attackdb_kb::Kb::load(&[shared.join("attack-stix-data/enterprise-attack")]).unwrap();
    for release in ["18.1", "15.1"] {
        let dataset = kb
            .select(
                "enterprise".parse().unwrap(),
                Some(&release.parse().unwrap()),
            )
            .unwrap();
        let technique =
            |id: &str| dataset.by_attack_id_typed(id, &[attackdb_kb::ObjectType::AttackPattern]);
        let unknown: Vec<String> = tags
            .iter()
            .filter(|t| technique(t).is_none())
            .cloned()
            .collect();
        let revoked: Vec<String> = tags
            .iter()
            .filter(|t| technique(t).is_some_and(|o| dataset.object(o).revoked))
            .cloned()
            .collect();
        let output = Command::new(env!("CARGO_BIN_EXE_attackdb"))
            .arg("--data")
            .arg(shared.join("attack-stix-data"))
            .args(["migrate", "rules"])
            .arg(&sigma)
            .args(["--to", release, "--json"])
            .env("ATTACKDB_HOME", temp.path())
            .env_remove("ATTACKDB_DATA")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        let reported: Vec<String> = report["unknown_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(reported, unknown, "{release}");
        let reported_revoked: Vec<String> = report["revoked_ids"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(reported_revoked, revoked, "{release}");
        assert_eq!(report["rules"], 3748);
        if release == "18.1" {
            // This Sigma snapshot is the last one on ATT&CK v18 IDs: nothing unknown to 18.1.
            assert!(unknown.is_empty());
        } else {
            // Techniques added after 15.1 are unknown to it, each with its rules listed.
            assert!(!unknown.is_empty());
            let findings = report["findings"].as_object().unwrap();
            let listed: usize = findings.values().map(|f| f.as_array().unwrap().len()).sum();
            assert!(listed >= unknown.len());
        }
    }
}

/// `attackdb --data <enterprise 18.1> ARGS` with the tests' home: status, stdout, stderr.
fn run_on_18_1(args: &[&str]) -> Option<(bool, String, String)> {
    let data = common::data_dir()?;
    let bundle = data.join("enterprise-attack/enterprise-attack-18.1.json.gz");
    let output = common::attackdb(&bundle, args);
    Some((
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    ))
}

#[test]
fn finding_7_migrate_layer_refuses_invalid_layers_and_reports_warnings() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out.json");
    for (what, layer, path) in [
        (
            "a score that is not a number",
            r#"{"name": "x", "domain": "enterprise-attack", "versions": {"layer": "4.5", "attack": "18"},
                "techniques": [{"techniqueID": "T1059", "score": "garbage"}]}"#,
            "techniques[0].score",
        ),
        (
            "colours that are not a list",
            r#"{"name": "x", "domain": "enterprise-attack", "versions": {"layer": "4.5", "attack": "18"},
                "gradient": {"colors": "garbage", "minValue": 0, "maxValue": 1}, "techniques": []}"#,
            "gradient.colors",
        ),
    ] {
        let file = temp.path().join("layer.json");
        std::fs::write(&file, layer).unwrap();
        let args = [
            "migrate",
            "layer",
            file.to_str().unwrap(),
            "--to",
            "18.1",
            "-o",
            out.to_str().unwrap(),
        ];
        let Some((ok, _, stderr)) = run_on_18_1(&args) else {
            return;
        };
        assert!(!ok, "{what}: {stderr}");
        assert!(
            stderr.contains(path) && stderr.contains("invalid"),
            "{what}: {stderr}"
        );
        assert!(!out.exists(), "{what}: nothing written");
    }
    // A warning (a format newer than 4.5) is said on stderr and kept in --json; the layer is
    // migrated.
    let file = temp.path().join("newer.json");
    std::fs::write(
        &file,
        r#"{"name": "x", "domain": "enterprise-attack", "versions": {"layer": "5.0", "attack": "18"},
            "techniques": [{"techniqueID": "T1059", "score": 1}]}"#,
    )
    .unwrap();
    let args = [
        "--json",
        "migrate",
        "layer",
        file.to_str().unwrap(),
        "--to",
        "18.1",
        "-o",
        out.to_str().unwrap(),
    ];
    let (ok, stdout, stderr) = run_on_18_1(&args).unwrap();
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("warning: ")
            && stderr.contains("versions.layer: layer format 5.0 is newer"),
        "{stderr}"
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["problems"][0]["severity"], "warning", "{report}");
    assert!(out.exists());
}

#[test]
fn finding_10_migrate_rules_says_why_files_could_not_be_read() {
    let temp = tempfile::tempdir().unwrap();
    let yaml = temp.path().join("bad.yml");
    std::fs::write(&yaml, "title: [unclosed\ntags:\n  - attack.t1059\n").unwrap();
    let toml = temp.path().join("bad.toml");
    std::fs::write(&toml, "[rule\nname = 1\n").unwrap();
    for file in [&yaml, &toml] {
        let args = ["migrate", "rules", file.to_str().unwrap(), "--to", "18.1"];
        let Some((ok, stdout, stderr)) = run_on_18_1(&args) else {
            return;
        };
        assert!(!ok, "{stdout}");
        // One error naming each file and why (as coverage says it).
        assert!(
            stderr.contains(&format!(
                "no rule could be read from the 1 file(s) given: {}: ",
                file.display()
            )),
            "{stderr}"
        );
    }
    // A CSV with an unterminated quote: its good rows are read, the error is reported, and the
    // rest of the file is not read as technique IDs.
    let csv = temp.path().join("rules.csv");
    let mut text = String::from("name,techniques\nGood,T1059\nBad,\"T1003\n");
    for i in 0..1000 {
        text.push_str(&format!("word{i} T{i}\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let args = [
        "--json",
        "migrate",
        "rules",
        csv.to_str().unwrap(),
        "--to",
        "18.1",
    ];
    let (ok, stdout, stderr) = run_on_18_1(&args).unwrap();
    assert!(ok, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["rules"], 1);
    assert_eq!(
        report["unknown_ids"].as_array().unwrap().len(),
        0,
        "{report}"
    );
    assert!(
        report["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("line 3: a quoted field opens here and is never closed"),
        "{report}"
    );
    assert!(stderr.contains("never closed"), "{stderr}");
}
