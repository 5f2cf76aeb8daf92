//! The `attackdb` binary end to end on the real releases: output shapes, the `relation` maps
//! against mitreattack-python's, errors and hints, and quiet exits on closed pipes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::attackdb;

use common::data_dir;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

fn json(data: &Path, args: &[&str]) -> Value {
    let output = attackdb(data, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn expected(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../attackdb-kb/tests/expected/{name}.json.gz"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `relation NAME --json` equals the library's map, for every family.
fn relations_match_library(domain: &str, release: &str) {
    let Some(data) = data_dir() else { return };
    let reference = expected(&format!("{domain}-attack-{release}"));
    for (name, theirs) in reference["relations"].as_object().unwrap() {
        let ours = json(
            &data,
            &[
                "--domain",
                domain,
                "--release",
                release,
                "relation",
                name,
                "--json",
            ],
        );
        assert_eq!(&ours, theirs, "{domain} {release} {name}");
        // And one source asked for by ID gives its list.
        if let Some((key, list)) = theirs.as_object().unwrap().iter().next() {
            let ours = json(
                &data,
                &[
                    "--domain",
                    domain,
                    "--release",
                    release,
                    "relation",
                    name,
                    key,
                    "--json",
                ],
            );
            assert_eq!(&ours, list, "{domain} {release} {name} {key}");
        }
    }
}

#[test]
fn relation_maps_match_mitreattack_python_enterprise_18_1() {
    relations_match_library("enterprise", "18.1");
}

#[test]
fn relation_maps_match_mitreattack_python_enterprise_15_1() {
    relations_match_library("enterprise", "15.1");
}

#[test]
fn relation_maps_match_mitreattack_python_mobile_18_1() {
    relations_match_library("mobile", "18.1");
}

#[test]
fn relation_maps_match_mitreattack_python_ics_18_1() {
    relations_match_library("ics", "18.1");
}

#[test]
fn show_json_prints_the_stix_object_exactly() {
    let Some(data) = data_dir() else { return };
    let output = attackdb(&data, &["show", "T1059.001", "--json"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let bundle =
        attackdb_stix::load_bundle(&data.join("enterprise-attack/enterprise-attack-18.1.json.gz"))
            .unwrap();
    let object = bundle
        .objects
        .iter()
        .find(|o| o.attack_id() == Some("T1059.001"))
        .unwrap();
    assert_eq!(text.trim_end(), bundle.raw_json(object).unwrap());
}

#[test]
fn show_summarises_an_object_and_its_relationships() {
    let Some(data) = data_dir() else { return };
    let output = attackdb(&data, &["show", "Cozy Bear"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("G0016  APT29\n"), "{text}");
    assert!(
        text.contains("Release       enterprise-attack 18.1"),
        "{text}"
    );
    assert!(text.contains("techniques used by group ("));
    // C0023 and C0024, as `relation campaigns_attributed_to_group G0016` (checked against the library).
    assert!(text.contains("campaigns attributed to group (2)\n    C0023 Operation Ghost · C0024 SolarWinds Compromise"), "{text}");
}

#[test]
fn list_counts_follow_the_data() {
    let Some(data) = data_dir() else { return };
    let count = |args: &[&str]| json(&data, args).as_array().unwrap().len();
    assert_eq!(count(&["list", "techniques", "--json"]), 216);
    assert_eq!(count(&["list", "subtechniques", "--json"]), 475);
    assert_eq!(count(&["list", "tactics", "--json"]), 14);
    assert_eq!(count(&["--domain", "ics", "list", "assets", "--json"]), 18);
    assert_eq!(
        count(&["--release", "15.1", "list", "groups", "--json"]),
        148
    );
    // Everything, revoked and deprecated included: the library's remove_revoked_deprecated=False.
    let reference = expected("enterprise-attack-18.1");
    let all = reference["listers"]["get_techniques(include_subtechniques=False)"]["count_all"]
        .as_u64()
        .unwrap();
    assert_eq!(
        count(&[
            "list",
            "techniques",
            "--include-revoked",
            "--include-deprecated",
            "--json"
        ]) as u64,
        all
    );
    // Filters: techniques of a tactic on a platform, checked against the library's lists.
    let in_tactic = reference["spot"]["get_techniques_by_tactic"]
        ["credential-access|enterprise-attack"]["active"]
        .clone();
    let on_linux = reference["spot"]["get_techniques_by_platform"]["Linux"]["active"].clone();
    let both: Vec<&str> = in_tactic
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| on_linux.as_array().unwrap().contains(t))
        .map(|t| t.as_str().unwrap())
        .filter(|t| !t.contains('.'))
        .collect();
    let listed = json(
        &data,
        &[
            "list",
            "techniques",
            "--tactic",
            "Credential Access",
            "--platform",
            "linux",
            "--json",
        ],
    );
    let listed: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["attack_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, both);
}

#[test]
fn matrix_and_stats_json_shapes() {
    let Some(data) = data_dir() else { return };
    let matrix = json(&data, &["matrix", "--subtechniques", "--json"]);
    let columns = matrix.as_array().unwrap();
    assert_eq!(columns.len(), 14);
    assert_eq!(columns[0]["tactic"]["shortname"], "reconnaissance");
    let execution = columns
        .iter()
        .find(|c| c["tactic"]["id"] == "TA0002")
        .unwrap();
    let scripting = execution["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "T1059")
        .unwrap();
    assert_eq!(scripting["subtechniques"].as_array().unwrap().len(), 13);
    let stats = json(&data, &["stats", "--json"]);
    assert_eq!(
        stats["enterprise-attack"]["18.1"]["techniques"]["live"],
        216
    );
    assert_eq!(stats["ics-attack"]["18.1"]["assets"]["live"], 18);
    assert_eq!(stats["mobile-attack"]["18.1"]["subtechniques"]["live"], 47);
    assert_eq!(stats["enterprise-attack"]["18.1"]["objects"]["all"], 24772);
}

#[test]
fn search_json_ranks_and_limits() {
    let Some(data) = data_dir() else { return };
    let hits = json(&data, &["search", "cozy", "bear", "--limit", "3", "--json"]);
    assert_eq!(hits[0]["attack_id"], "G0016");
    assert_eq!(hits[0]["matched"], "alias");
    assert!(hits.as_array().unwrap().len() <= 3);
}

#[test]
fn an_unknown_id_is_one_line_with_suggestions_and_a_hint() {
    let Some(data) = data_dir() else { return };
    let output = attackdb(&data, &["show", "T1059.00l"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with("error: T1059.00l: not found; did you mean T1059.00"),
        "{stderr}"
    );
    assert!(lines[1].starts_with("hint: "), "{stderr}");
    let output = attackdb(&data, &["relation", "techniques_used_by_group", "T1003"]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with(
            // In ATT&CK words, not STIX types (issue 14: it used to say "needs a intrusion-set").
            "error: T1003 is a technique, but techniques_used_by_group needs a group"
        ),
        "{stderr}"
    );
    let output = attackdb(&data, &["relation", "techniques_used_by_grup"]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with("error: unknown relation `techniques_used_by_grup`; did you mean techniques_used_by_group"), "{stderr}");
}

#[test]
fn bad_data_is_reported_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("enterprise-attack-18.1.json");
    std::fs::write(&path, "{\"type\": \"bundle\", \"objects\": [").unwrap();
    let output = attackdb(&path, &["stats"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!("error: {}:1:", path.display())),
        "{stderr}"
    );
    assert!(stderr.contains("invalid JSON"), "{stderr}");
}

#[test]
fn no_data_says_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_attackdb"))
        .args(["show", "T1003"])
        .env_remove("ATTACKDB_DATA")
        .env("ATTACKDB_HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with("error: no ATT&CK data"), "{stderr}");
    assert!(stderr.contains("run `attackdb data fetch`"), "{stderr}");
    assert!(
        stderr.contains("hint: offline, pass --data PATH"),
        "{stderr}"
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let Some(data) = data_dir() else { return };
    for args in [
        &["relation", "techniques_used_by_software"][..],
        // Issue 16, finding 12: `list techniques --json | head -c 10` said "error: Broken pipe".
        &["list", "techniques", "--json"][..],
    ] {
        closed_pipe_is_quiet(&data, args);
    }
}

fn closed_pipe_is_quiet(data: &Path, args: &[&str]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_attackdb"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env("ATTACKDB_HOME", common::home())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Issue 14: a reference found only in another loaded domain is answered from there, saying so;
/// with `--domain` it is not.
#[test]
fn an_id_of_another_domain_is_answered_from_it() {
    let Some(data) = data_dir() else { return };
    let output = attackdb(&data, &["show", "T0800"]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.starts_with("T0800  Activate Firmware Update Mode"),
        "{stdout}"
    );
    assert!(stdout.contains("ics-attack 18.1"), "{stdout}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("answered from ics-attack 18.1 (domain ics)"),
        "{stderr}"
    );
    let explicit = attackdb(&data, &["--domain", "enterprise", "show", "T0800"]);
    assert_eq!(explicit.status.code(), Some(1));
}

/// Issue 14: a diff over every domain leaves out a domain lacking a release, with a note.
#[test]
fn a_diff_over_every_domain_skips_those_lacking_a_release() {
    let Some(data) = data_dir() else { return };
    let output = attackdb(&data, &["diff", "--from", "18.0", "--to", "18.1", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(value.get("enterprise-attack").is_some());
    assert!(value.get("mobile-attack").is_none());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("note: mobile-attack has no release 18.0 loaded"),
        "{stderr}"
    );
    let one = attackdb(
        &data,
        &[
            "diff", "--from", "18.0", "--to", "18.1", "--domain", "mobile",
        ],
    );
    assert_eq!(one.status.code(), Some(1));
}

/// Issue 14: an unknown release lists the releases the data has; a folder that also holds a
/// Navigator layer loads its bundles and says it skipped the layer.
#[test]
fn unknown_releases_and_stray_files_are_said_clearly() {
    let Some(data) = data_dir() else { return };
    let output = attackdb(&data, &["--release", "12.0", "show", "T1003"]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("release 12.0 is loaded (loaded: enterprise-attack 15.1, enterprise-attack 17.1, enterprise-attack 18.0, enterprise-attack 18.1)"),
        "{stderr}"
    );
    let Some(shared) = common::shared() else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    std::fs::copy(
        data.join("ics-attack/ics-attack-18.1.json.gz"),
        folder.path().join("ics-attack-18.1.json.gz"),
    )
    .unwrap();
    std::fs::copy(
        shared.join("corpora/navigator-layers/layers/samples/Bear_APT.json"),
        folder.path().join("Bear_APT.json"),
    )
    .unwrap();
    for extra in [&[][..], &["--no-index"][..]] {
        let mut args = extra.to_vec();
        args.extend(["--domain", "ics", "show", "T0800"]);
        let output = attackdb(folder.path(), &args);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            stderr.contains("skipped 1 file that is not a STIX bundle"),
            "{stderr}"
        );
    }
    let only_layer = tempfile::tempdir().unwrap();
    std::fs::copy(
        shared.join("corpora/navigator-layers/layers/samples/Bear_APT.json"),
        only_layer.path().join("Bear_APT.json"),
    )
    .unwrap();
    let output = attackdb(only_layer.path(), &["show", "T1003"]);
    assert_eq!(output.status.code(), Some(1));
}

/// Issue 14: `show REF --json --full` is `{"object", "related", "detection"}`.
#[test]
fn show_full_json_has_the_object_its_relations_and_detection() {
    let Some(data) = data_dir() else { return };
    let output = attackdb(&data, &["show", "T1059.001", "--json", "--full"]);
    assert!(output.status.success());
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["object"]["name"], "PowerShell");
    let families: Vec<&str> = value["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["relation"].as_str().unwrap())
        .collect();
    assert!(families.contains(&"groups_using_technique"), "{families:?}");
    assert!(value["detection"][0]["id"]
        .as_str()
        .unwrap()
        .starts_with("DET"));
}

#[test]
fn techniques_seen_by_datacomponent_is_what_the_datacomponent_layer_shows() {
    let Some(data) = data_dir() else { return };
    let seen = json(
        &data,
        &[
            "relation",
            "techniques_seen_by_datacomponent",
            "DC0035",
            "--json",
        ],
    );
    assert_eq!(seen.as_array().unwrap().len(), 77);
    let detected = json(
        &data,
        &[
            "relation",
            "techniques_detected_by_datacomponent",
            "DC0035",
            "--json",
        ],
    );
    assert_eq!(
        detected,
        serde_json::json!([]),
        "the library's family stays empty on 18.x"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dc0035.json");
    let output = attackdb(
        &data,
        &[
            "layer",
            "generate",
            "--datacomponent",
            "DC0035",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert!(output.status.success());
    let layer: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let mut in_layer: Vec<&str> = layer["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["techniqueID"].as_str().unwrap())
        .collect();
    in_layer.sort_unstable();
    let seen: Vec<&str> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(in_layer, seen);
    // `show` lists them too.
    let output = attackdb(&data, &["show", "DC0035"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("techniques seen by datacomponent (77)"),
        "{text}"
    );
}

#[test]
fn finding_2_a_huge_name_is_cut_in_human_output_and_kept_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("enterprise-attack-99.1.json");
    let huge = "ab ".repeat(1 << 18);
    let objects = serde_json::json!([
        {"type": "x-mitre-collection", "id": "x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019",
         "name": "Enterprise ATT&CK", "x_mitre_version": "99.1", "spec_version": "2.1"},
        {"type": "x-mitre-tactic", "id": "x-mitre-tactic--1", "name": "Execution",
         "x_mitre_shortname": "execution",
         "external_references": [{"source_name": "mitre-attack", "external_id": "TA0002"}]},
        {"type": "attack-pattern", "id": "attack-pattern--1", "name": huge,
         "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}],
         "x_mitre_platforms": ["Windows"],
         "external_references": [{"source_name": "mitre-attack", "external_id": "T9999"}]}
    ]);
    let text = serde_json::json!({"type": "bundle", "id": "bundle--1", "objects": objects});
    std::fs::write(&bundle, text.to_string()).unwrap();
    for args in [&["list", "techniques"][..], &["matrix"], &["search", "ab"]] {
        let output = common::attackdb(&bundle, args);
        assert!(output.status.success(), "{args:?}");
        assert!(
            output.stdout.len() < 400_000,
            "{args:?}: {} bytes for a {} byte name",
            output.stdout.len(),
            huge.len()
        );
        assert!(
            String::from_utf8_lossy(&output.stdout).contains('…'),
            "{args:?}"
        );
    }
    let output = common::attackdb(&bundle, &["--json", "show", "T9999"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains(&huge));
}

#[test]
fn finding_8_load_problems_are_summed_up_on_stderr_and_listed_with_verbose() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("enterprise-attack-99.1.json");
    let technique = |id: &str, name: &str, attack_id: &str| {
        serde_json::json!({"type": "attack-pattern", "id": id, "name": name,
         "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}],
         "external_references": [{"source_name": "mitre-attack", "external_id": attack_id}]})
    };
    let objects = serde_json::json!([
        {"type": "x-mitre-collection", "id": "x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019",
         "name": "Enterprise ATT&CK", "x_mitre_version": "99.1", "spec_version": "2.1"},
        {"type": "x-mitre-tactic", "id": "x-mitre-tactic--1", "name": "Execution",
         "x_mitre_shortname": "execution",
         "external_references": [{"source_name": "mitre-attack", "external_id": "TA0002"}]},
        technique("attack-pattern--1", "First", "T9999"),
        technique("attack-pattern--1", "Second", "T9999"),
        technique("attack-pattern--2", "Twin", "T9998"),
        technique("attack-pattern--3", "Twin Too", "T9998"),
        {"type": "relationship", "id": "relationship--1", "relationship_type": "uses",
         "source_ref": "intrusion-set--gone", "target_ref": "attack-pattern--1"}
    ]);
    let text = serde_json::json!({"type": "bundle", "id": "bundle--1", "objects": objects});
    std::fs::write(&bundle, text.to_string()).unwrap();
    let output = common::attackdb(&bundle, &["list", "techniques"]);
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        ["note: problems in the data loaded (repeated STIX ID: 1, dangling relationship: 1, shared ATT&CK ID: 1); repeated IDs keep their first object (--verbose lists each, stats --json too)"]
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("First") && !stdout.contains("Second"),
        "{stdout}"
    );
    let output = common::attackdb(&bundle, &["--verbose", "list", "techniques"]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    let path = bundle.display().to_string();
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        [
            format!("note: {path}: STIX ID attack-pattern--1 appears more than once; the first is kept"),
            format!("note: {path}: relationship relationship--1 points at intrusion-set--gone, which is not in the bundle; ignored"),
            format!("note: {path}: T9998 is the ATT&CK ID of 2 live objects of one kind (attack-pattern--2, attack-pattern--3); a lookup of T9998 shows the first"),
        ]
    );
    let stats = json(&bundle, &["stats", "--json"]);
    let listed = stats["enterprise-attack"]["99.1"]["diagnostics"]
        .as_array()
        .unwrap();
    let kinds: Vec<&str> = listed.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "repeated STIX ID",
            "dangling relationship",
            "shared ATT&CK ID"
        ]
    );
}

/// Runs attackdb on `data` with the environment variables `env` set.
fn attackdb_with(data: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_attackdb"));
    command
        .arg("--data")
        .arg(data)
        .args(args)
        .env("ATTACKDB_HOME", common::home())
        .env_remove("ATTACKDB_DATA");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

#[test]
fn input_limits_come_from_the_environment_and_are_named_when_reached() {
    let Some(data) = data_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let layer = dir.path().join("layer.json");
    std::fs::write(
        &layer,
        r#"{"name": "x", "domain": "enterprise-attack", "versions": {"layer": "4.5"},
            "techniques": [{"techniqueID": "T1059", "score": 1}, {"techniqueID": "T1003", "score": 2},
                           {"techniqueID": "T1078", "score": 3}]}"#,
    )
    .unwrap();
    let layer_arg = layer.to_str().unwrap();
    let (ok, _, _) = attackdb_with(&data, &["layer", "validate", layer_arg], &[]);
    assert!(ok);
    let (ok, stdout, stderr) = attackdb_with(
        &data,
        &["layer", "validate", layer_arg],
        &[("ATTACKDB_MAX_LAYER_TECHNIQUES", "2")],
    );
    assert!(!ok);
    assert!(
        (stdout.clone() + &stderr).contains(
            "3 technique annotations, more than the 2 allowed (ATTACKDB_MAX_LAYER_TECHNIQUES raises the limit)"
        ),
        "{stdout}{stderr}"
    );
    let (ok, _, stderr) = attackdb_with(
        &data,
        &["layer", "validate", layer_arg],
        &[("ATTACKDB_MAX_LAYER_BYTES", "100")],
    );
    assert!(!ok);
    assert!(
        stderr.contains(
            "more than the 100 bytes allowed (ATTACKDB_MAX_LAYER_BYTES raises the limit)"
        ),
        "{stderr}"
    );
    let combine = ["layer", "combine", "--expr", "((a + 1) * 2)", layer_arg];
    let (ok, _, _) = attackdb_with(&data, &combine, &[]);
    assert!(ok);
    let (ok, _, stderr) = attackdb_with(&data, &combine, &[("ATTACKDB_MAX_EXPR_DEPTH", "3")]);
    assert!(!ok);
    assert!(stderr.contains("nests deeper than 3 levels"), "{stderr}");
    let (ok, _, stderr) = attackdb_with(&data, &combine, &[("ATTACKDB_MAX_EXPR_DEPTH", "5000")]);
    assert!(!ok);
    assert!(
        stderr.contains("ATTACKDB_MAX_EXPR_DEPTH may be at most 1000, not 5000"),
        "{stderr}"
    );
    let Some(sigma) = attackdb_testdata::corpus("sigma") else {
        return;
    };
    let sigma = sigma.to_str().unwrap();
    let (ok, _, stderr) = attackdb_with(
        &data,
        &["coverage", sigma],
        &[("ATTACKDB_MAX_RULE_FILES", "100")],
    );
    assert!(!ok);
    assert!(
        stderr.contains("more than 100 rule files (ATTACKDB_MAX_RULE_FILES raises the limit)"),
        "{stderr}"
    );
    let (ok, _, stderr) = attackdb_with(
        &data,
        &["coverage", sigma, "--json"],
        &[("ATTACKDB_MAX_RULE_FILE_BYTES", "1KiB")],
    );
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains(
            "larger than 1024 bytes, not read (ATTACKDB_MAX_RULE_FILE_BYTES raises the limit)"
        ),
        "{stderr}"
    );
    let (ok, _, stderr) = attackdb_with(&data, &["stats"], &[("ATTACKDB_MAX_RULE_FILES", "many")]);
    assert!(!ok);
    assert!(
        stderr
            .contains("ATTACKDB_MAX_RULE_FILES must be a whole number of at least 1, not \"many\""),
        "{stderr}"
    );
}

#[test]
fn json_nesting_depth_comes_from_the_environment_and_is_named_when_reached() {
    let Some(data) = data_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let layer = dir.path().join("layer.json");
    let text = "{\"name\": \"x\", \"domain\": \"enterprise-attack\",\n \"techniques\": [{\"techniqueID\": \"T1059\", \"score\": 1}]}";
    std::fs::write(&layer, text).unwrap();
    let validate = ["layer", "validate", layer.to_str().unwrap()];
    let (ok, _, stderr) = attackdb_with(&data, &validate, &[("ATTACKDB_MAX_JSON_DEPTH", "3")]);
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = attackdb_with(&data, &validate, &[("ATTACKDB_MAX_JSON_DEPTH", "2")]);
    assert!(!ok);
    assert!(
        stderr.contains("JSON nested deeper than 2 levels at line 2, column 17 (ATTACKDB_MAX_JSON_DEPTH sets the limit, 1 to 127)"),
        "{stderr}"
    );
    // Bundles: ICS 18.1 nests 6 deep, so a limit of 5 refuses it, naming the file and place.
    let bundles = tempfile::tempdir().unwrap();
    let ics = bundles.path().join("ics-attack-18.1.json.gz");
    std::fs::copy(data.join("ics-attack/ics-attack-18.1.json.gz"), &ics).unwrap();
    let (ok, _, stderr) = attackdb_with(
        bundles.path(),
        &["stats"],
        &[("ATTACKDB_MAX_JSON_DEPTH", "6")],
    );
    assert!(ok, "{stderr}");
    let _ = std::fs::remove_dir_all(bundles.path());
    std::fs::create_dir_all(bundles.path()).unwrap();
    std::fs::copy(data.join("ics-attack/ics-attack-18.1.json.gz"), &ics).unwrap();
    let (ok, _, stderr) = attackdb_with(
        bundles.path(),
        &["stats"],
        &[("ATTACKDB_MAX_JSON_DEPTH", "5")],
    );
    assert!(!ok);
    assert!(
        stderr.contains(&format!(
            "{}: JSON nested deeper than 5 levels at line 50105, column 31",
            ics.display()
        )),
        "{stderr}"
    );
    for bad in ["0", "128", "deep"] {
        let (ok, _, stderr) = attackdb_with(&data, &["stats"], &[("ATTACKDB_MAX_JSON_DEPTH", bad)]);
        assert!(!ok);
        assert!(
            stderr.contains("ATTACKDB_MAX_JSON_DEPTH"),
            "{bad}: {stderr}"
        );
    }
}

#[test]
fn a_megabyte_value_in_an_input_gives_short_messages_and_full_json() {
    let Some(data) = data_dir() else {
        return;
    };
    // Every problem of a layer quoted its value whole: one 1 MB field printed 8 MB.
    let dir = tempfile::tempdir().unwrap();
    let long = "A".repeat(1 << 20);
    let layer = dir.path().join("long.json");
    let text = serde_json::json!({"name": "x", "domain": long, "versions": {"layer": long},
        "techniques": [{"techniqueID": "T1059", "color": long}]});
    std::fs::write(&layer, text.to_string()).unwrap();
    let validate = ["layer", "validate", layer.to_str().unwrap()];
    let (ok, stdout, stderr) = attackdb_with(&data, &validate, &[]);
    assert!(!ok);
    assert!(
        stdout.len() + stderr.len() < 50_000,
        "{} bytes",
        stdout.len() + stderr.len()
    );
    let clipped = format!("`{}…`", "A".repeat(133));
    assert!(
        stdout.contains(&format!(
            "  error   domain: unknown domain {clipped}: expected enterprise-attack"
        )),
        "{}",
        &stdout[..stdout.len().min(2000)]
    );
    // --json keeps the values whole.
    let mut json = validate.to_vec();
    json.push("--json");
    let (_, stdout, _) = attackdb_with(&data, &json, &[]);
    assert!(stdout.contains(&format!("unknown domain `{long}`")));
    // An error line is at most a table cell (ATTACKDB_MAX_CELL_CHARS) long.
    let id = format!("T{}", "1".repeat(100_000));
    let (ok, _, stderr) =
        attackdb_with(&data, &["show", &id], &[("ATTACKDB_MAX_CELL_CHARS", "500")]);
    assert!(!ok);
    let error = stderr.lines().next().unwrap();
    // The ID itself is echoed cut at 200 characters (issue 22), well within the cell.
    assert!(
        error.starts_with("error: T111") && error.contains("…: not found"),
        "{error}"
    );
    assert!(error.chars().count() <= "error: ".len() + 500);
}

/// Issue 22 item 6: human `show` renders ATT&CK's text for a terminal: citations as numbered
/// references listed at the end, `<code>` as code, links as their text.
#[test]
fn show_renders_attack_text_for_a_terminal() {
    let Some(data) = data_dir() else { return };
    let output = attackdb(&data, &["show", "T1546.004"]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        !stdout.contains("<code>") && !stdout.contains("</code>"),
        "{stdout}"
    );
    assert!(!stdout.contains("(Citation:"), "{stdout}");
    assert!(stdout.contains("`/etc/profile`"), "{stdout}");
    // ATT&CK's own unclosed `<code>~/.zshrc<code>` is closed.
    assert!(stdout.contains("`~/.zshrc`"), "{stdout}");
    let references = stdout.split("\nReferences\n").nth(1).unwrap();
    let first = references.lines().next().unwrap();
    assert!(first.starts_with("  [1] "), "{first}");
    // Every [n] in the text has its reference line.
    let count = references.lines().filter(|l| l.starts_with("  [")).count();
    assert!(count >= 5, "{references}");
    assert!(stdout.contains(&format!("[{count}]")));
}
