//! Resolution never picks silently: `show` of a name two objects share says which others
//! carry it (stderr, and `also` in `--json --full`); coverage against a domain whose IDs the
//! rules do not use says which domain they belong to.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{attackdb, data_dir};

use serde_json::Value;

fn run(args: &[&str]) -> Option<(String, String)> {
    let data = data_dir()?;
    let output = attackdb(&data, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some((
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    ))
}

#[test]
fn show_a_shared_name_notes_the_others() {
    let Some((stdout, stderr)) = run(&["show", "Domains"]) else {
        return;
    };
    assert!(stdout.starts_with("T1583.001  Domains\n"), "{stdout}");
    assert_eq!(
        stderr,
        "note: also named Domains: T1584.001 (Compromise Infrastructure: Domains) (showing T1583.001 (Acquire Infrastructure: Domains); name it by ID to choose)\n"
    );
    let (stdout, stderr) = run(&["show", "Steganography"]).unwrap();
    assert!(stdout.starts_with("T1027.003  Steganography\n"), "{stdout}");
    assert_eq!(
        stderr,
        "note: also named Steganography: T1001.002 (Data Obfuscation: Steganography) (showing T1027.003 (Obfuscated Files or Information: Steganography); name it by ID to choose)\n"
    );
    // By ID: no note.
    let (_, stderr) = run(&["show", "T1583.001"]).unwrap();
    assert_eq!(stderr, "");
}

#[test]
fn show_json_stays_the_stix_object_and_full_lists_also() {
    let Some((by_name, stderr)) = run(&["show", "Domains", "--json"]) else {
        return;
    };
    let (by_id, _) = run(&["show", "T1583.001", "--json"]).unwrap();
    assert_eq!(by_name, by_id);
    assert!(
        stderr.starts_with("note: also named Domains: T1584.001"),
        "{stderr}"
    );
    let (full, _) = run(&["show", "Domains", "--json", "--full"]).unwrap();
    let full: Value = serde_json::from_str(&full).unwrap();
    assert_eq!(
        full["also"],
        serde_json::json!([{
            "attack_id": "T1584.001",
            "deprecated": false,
            "kind": "sub-technique",
            "name": "Domains",
            "platforms": ["PRE"],
            "revoked": false,
            "stix_id": "attack-pattern--f9cc4d06-775f-4ee1-b401-4e2cc0da30ba",
            "tactics": ["resource-development"],
            "type": "attack-pattern"
        }])
    );
    assert_eq!(
        full["object"]["external_references"][0]["external_id"],
        "T1583.001"
    );
    // Named by ID, the full answer has no `also` key: its shape is as before.
    let (full, _) = run(&["show", "T1583.001", "--json", "--full"]).unwrap();
    let full: Value = serde_json::from_str(&full).unwrap();
    let keys: Vec<&String> = full.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["detection", "object", "related"]);
}

#[test]
fn coverage_of_enterprise_rules_against_ics_says_whose_ids_they_are() {
    let Some(sigma) = attackdb_testdata::corpus("sigma") else {
        return;
    };
    let sigma = sigma.to_str().unwrap();
    let (stdout, stderr) = run(&["--domain", "ics", "coverage", sigma]).unwrap();
    assert!(
        stdout.starts_with("ics-attack 18.1: 3748 rules from 3748 files, 0 mapped,"),
        "{stdout}"
    );
    let notes: Vec<&str> = stderr.lines().filter(|l| l.starts_with("note:")).collect();
    assert_eq!(
        notes,
        ["note: none of the 3748 rules' technique IDs are ICS techniques: 397 of the 397 IDs they name are Enterprise IDs (try --domain enterprise)"]
    );
    let (_, stderr) = run(&["--domain", "enterprise", "coverage", sigma]).unwrap();
    assert!(!stderr.contains("note: none of"), "{stderr}");
}
