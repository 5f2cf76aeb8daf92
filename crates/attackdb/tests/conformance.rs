//! One question, one answer: each question asked through the CLI (`--json`) and REST with the
//! same arguments gives the same document, or the same error code (and message), including the
//! cases where the front ends once disagreed: no domain, an ID only ICS holds, a release one
//! domain lacks, an unknown platform or tactic, an unreadable rule file, an unknown group, an
//! echoed value of 20,000 characters. The Python package's share of it is in
//! `crates/attackdb-py/tests/test_conformance.py`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::OnceLock;

use attackdb_server::{router, AppState, Config};
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

fn state() -> Option<AppState> {
    static STATE: OnceLock<Option<AppState>> = OnceLock::new();
    STATE
        .get_or_init(|| {
            let dir = common::data_dir()?;
            let kb = attackdb_kb::Kb::load(&[dir]).expect("the real releases load");
            Some(AppState::new(kb, Config::default()))
        })
        .clone()
}

struct Rest {
    status: u16,
    notes: Vec<String>,
    body: String,
}

fn rest(state: &AppState, method: &str, uri: &str, content_type: &str, body: Vec<u8>) -> Rest {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        let response = router(state.clone()).oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let notes = response
            .headers()
            .get_all("x-attackdb-note")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Rest {
            status,
            notes,
            body: String::from_utf8_lossy(&bytes).to_string(),
        }
    })
}

fn get(state: &AppState, uri: &str) -> Rest {
    rest(state, "GET", uri, "text/plain", Vec::new())
}

struct Cli {
    ok: bool,
    stdout: String,
    notes: Vec<String>,
    error: Option<Value>,
}

fn cli(args: &[&str]) -> Cli {
    let data = common::data_dir().unwrap();
    let output = common::attackdb(&data, args);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let notes = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("note: "))
        .map(str::to_string)
        .collect();
    let error =
        if output.status.success() {
            None
        } else {
            let line = stderr.lines().last().unwrap_or_default();
            Some(serde_json::from_str(line).unwrap_or_else(|e| {
                panic!("{args:?}: stderr's last line is not JSON ({e}): {stderr}")
            }))
        };
    Cli {
        ok: output.status.success(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        notes,
        error,
    }
}

/// The same document from both, the same notes, and REST's status 200.
fn same_answer(args: &[&str], uri: &str) -> (Cli, Rest) {
    let state = state().unwrap();
    let from_cli = cli(args);
    let from_rest = get(&state, uri);
    assert!(from_cli.ok, "{args:?} failed: {:?}", from_cli.error);
    assert_eq!(from_rest.status, 200, "{uri}: {}", from_rest.body);
    assert_eq!(
        from_cli.stdout, from_rest.body,
        "{args:?} and {uri} answer differently"
    );
    assert_eq!(
        from_cli.notes, from_rest.notes,
        "{args:?} and {uri} note differently"
    );
    (from_cli, from_rest)
}

/// The same error code and message from both, and REST's status `status`.
fn same_error(args: &[&str], from_rest: Rest, status: u16, code: &str) -> String {
    same_code(args, from_rest, status, code, true)
}

/// The same error code from both (and the same message when `same_message`), and REST's
/// status `status`.
fn same_code(
    args: &[&str],
    from_rest: Rest,
    status: u16,
    code: &str,
    same_message: bool,
) -> String {
    let from_cli = cli(args);
    assert!(!from_cli.ok, "{args:?} should fail");
    let cli_error = from_cli.error.unwrap();
    assert_eq!(from_rest.status, status, "{}", from_rest.body);
    let rest_error: Value = serde_json::from_str(&from_rest.body).unwrap();
    assert_eq!(cli_error["code"], code, "{args:?}: {cli_error}");
    assert_eq!(rest_error["code"], code, "{}", from_rest.body);
    if same_message {
        assert_eq!(
            cli_error["message"], rest_error["message"],
            "{args:?}: the messages differ"
        );
    }
    rest_error["message"].as_str().unwrap().to_string()
}

fn skip() -> bool {
    if state().is_none() {
        eprintln!("!!! SKIPPING conformance tests: the real ATT&CK data is missing");
        return true;
    }
    false
}

#[test]
fn an_id_only_ics_holds_is_answered_from_ics_with_the_same_note() {
    if skip() {
        return;
    }
    let (from_cli, _) = same_answer(&["show", "T0800", "--json"], "/api/v1/objects/T0800");
    let object: Value = serde_json::from_str(&from_cli.stdout).unwrap();
    assert_eq!(object["name"], "Activate Firmware Update Mode");
    assert_eq!(
        from_cli.notes,
        ["T0800 is not in enterprise-attack 18.1; answered from ics-attack 18.1 (domain ics)"]
    );
    // With --full the note is in the document too.
    let (from_cli, _) = same_answer(
        &["show", "T0800", "--json", "--full"],
        "/api/v1/objects/T0800?full=true",
    );
    let full: Value = serde_json::from_str(&from_cli.stdout).unwrap();
    assert_eq!(full["notes"][0], from_cli.notes[0]);
    // The same rule for relation, related, profile: answered from ICS.
    let (from_cli, _) = same_answer(
        &[
            "relation",
            "techniques_mitigated_by_mitigation",
            "M0801",
            "--json",
        ],
        "/api/v1/relation/techniques_mitigated_by_mitigation/M0801",
    );
    let ids: Vec<String> = serde_json::from_str(&from_cli.stdout).unwrap();
    assert!(
        !ids.is_empty() && ids.iter().all(|id| id.starts_with("T0")),
        "{ids:?}"
    );
    // Named domain: no fallback, the same 404 from both.
    let state = state().unwrap();
    let message = same_error(
        &["--domain", "enterprise", "show", "T0800", "--json"],
        get(&state, "/api/v1/objects/T0800?domain=enterprise"),
        404,
        "not_found",
    );
    assert!(message.starts_with("T0800: not found"), "{message}");
}

#[test]
fn a_diff_over_every_domain_leaves_out_those_lacking_a_release() {
    if skip() {
        return;
    }
    let (from_cli, _) = same_answer(
        &["diff", "--from", "18.0", "--to", "18.1", "--json"],
        "/api/v1/diff?from=18.0&to=18.1",
    );
    let diff: Value = serde_json::from_str(&from_cli.stdout).unwrap();
    assert!(diff["enterprise-attack"].is_object());
    assert!(diff.get("mobile-attack").is_none() && diff.get("ics-attack").is_none());
    assert_eq!(
        diff["notes"],
        serde_json::json!([
            "mobile-attack has no release 18.0 loaded; left out",
            "ics-attack has no release 18.0 loaded; left out"
        ])
    );
    // One domain named that lacks it: the same 404 (the CLI read only the files it needed, so
    // the releases it lists as loaded are fewer).
    let state = state().unwrap();
    same_code(
        &[
            "diff", "--from", "18.0", "--to", "18.1", "--domain", "ics", "--json",
        ],
        get(&state, "/api/v1/diff?from=18.0&to=18.1&domain=ics"),
        404,
        "unknown_release",
        false,
    );
}

#[test]
fn an_unknown_platform_or_tactic_is_an_error_naming_the_parameter() {
    if skip() {
        return;
    }
    let state = state().unwrap();
    let message = same_error(
        &["list", "techniques", "--platform", "Amiga", "--json"],
        get(&state, "/api/v1/list/techniques?platform=Amiga"),
        400,
        "bad_parameter",
    );
    assert!(
        message.starts_with("`platform`: unknown platform `Amiga`"),
        "{message}"
    );
    assert!(
        message.contains("Linux") && message.contains("Windows"),
        "{message}"
    );
    let message = same_error(
        &["matrix", "--platform", "Amiga", "--json"],
        get(&state, "/api/v1/matrix?platform=Amiga"),
        400,
        "bad_parameter",
    );
    assert!(message.starts_with("`platform`:"), "{message}");
    let message = same_error(
        &["list", "techniques", "--tactic", "nope", "--json"],
        get(&state, "/api/v1/list/techniques?tactic=nope"),
        400,
        "bad_parameter",
    );
    assert!(
        message.starts_with("`tactic`: `nope` is not a tactic of enterprise-attack 18.1"),
        "{message}"
    );
    assert!(message.contains("credential-access"), "{message}");
    // The platform is checked the same for coverage, before a rule is read.
    let sigma = common::shared()
        .unwrap()
        .join("corpora/sigma/rules/windows");
    let message = same_error(
        &[
            "coverage",
            sigma.to_str().unwrap(),
            "--platform",
            "Amiga",
            "--json",
        ],
        rest(
            &state,
            "POST",
            "/api/v1/coverage?platform=Amiga",
            "multipart/form-data; boundary=X",
            b"--X--\r\n".to_vec(),
        ),
        400,
        "bad_parameter",
    );
    assert!(message.starts_with("`platform`:"), "{message}");
}

#[test]
fn an_unreadable_rule_file_is_nothing_read_everywhere() {
    if skip() {
        return;
    }
    let dir = tempfile_dir("unreadable-rule");
    let file = dir.join("broken.yml");
    std::fs::write(&file, "title: [unclosed\n").unwrap();
    let state = state().unwrap();
    let body = b"--X\r\ncontent-disposition: form-data; name=\"rules\"; filename=\"broken.yml\"\r\n\r\ntitle: [unclosed\n\r\n--X--\r\n".to_vec();
    let from_rest = rest(
        &state,
        "POST",
        "/api/v1/coverage",
        "multipart/form-data; boundary=X",
        body,
    );
    let from_cli = cli(&["coverage", file.to_str().unwrap(), "--json"]);
    let cli_error = from_cli.error.unwrap();
    assert_eq!(cli_error["code"], "nothing_read", "{cli_error}");
    assert_eq!(from_rest.status, 422, "{}", from_rest.body);
    let rest_error: Value = serde_json::from_str(&from_rest.body).unwrap();
    assert_eq!(rest_error["code"], "nothing_read");
    // The messages differ only in where the file was: the upload, or the path given.
    let cli_message = cli_error["message"].as_str().unwrap();
    let rest_message = rest_error["message"].as_str().unwrap();
    assert!(
        cli_message.starts_with("no rule could be read from the 1 file(s) given: "),
        "{cli_message}"
    );
    assert_eq!(
        cli_message.replace(&file.display().to_string(), "F"),
        rest_message.replace("broken.yml", "F"),
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn an_unknown_group_is_not_found_everywhere() {
    if skip() {
        return;
    }
    let state = state().unwrap();
    same_error(
        &["profile", "NOPE", "--json"],
        get(&state, "/api/v1/profile/NOPE"),
        404,
        "not_found",
    );
    same_error(
        &["layer", "generate", "--group", "NOPE", "--json"],
        rest(
            &state,
            "POST",
            "/api/v1/layers/generate",
            "application/json",
            br#"{"group": "NOPE"}"#.to_vec(),
        ),
        404,
        "not_found",
    );
    same_error(
        &["relation", "techniques_used_by_group", "NOPE", "--json"],
        get(&state, "/api/v1/relation/techniques_used_by_group/NOPE"),
        404,
        "not_found",
    );
}

#[test]
fn a_long_unknown_id_is_echoed_cut() {
    if skip() {
        return;
    }
    let state = state().unwrap();
    let long = format!("T{}", "9".repeat(20_000));
    let message = same_error(
        &["show", &long, "--json"],
        get(&state, &format!("/api/v1/objects/{long}")),
        404,
        "not_found",
    );
    assert!(
        message.chars().count() < 400,
        "{} characters",
        message.len()
    );
    assert!(message.contains("…: not found"), "{message}");
}

#[test]
fn a_groups_own_techniques_are_asked_by_name() {
    if skip() {
        return;
    }
    let (own, _) = same_answer(
        &[
            "relation",
            "techniques_used_by_group",
            "G0016",
            "--direct",
            "--json",
        ],
        "/api/v1/relation/techniques_used_by_group/G0016?direct=true",
    );
    let (all, _) = same_answer(
        &["relation", "techniques_used_by_group", "G0016", "--json"],
        "/api/v1/relation/techniques_used_by_group/G0016",
    );
    let own: Vec<String> = serde_json::from_str(&own.stdout).unwrap();
    let all: Vec<String> = serde_json::from_str(&all.stdout).unwrap();
    // attackcti's 66 (APT29's own `uses`), beside mitreattack-python's 119 with C0023's and
    // C0024's.
    assert_eq!((own.len(), all.len()), (66, 119));
    assert!(own.iter().all(|id| all.contains(id)));
    // A family without campaign inheritance answers the same either way.
    let (direct, _) = same_answer(
        &[
            "relation",
            "techniques_used_by_software",
            "S0154",
            "--direct",
            "--json",
        ],
        "/api/v1/relation/techniques_used_by_software/S0154?direct=true",
    );
    let (plain, _) = same_answer(
        &["relation", "techniques_used_by_software", "S0154", "--json"],
        "/api/v1/relation/techniques_used_by_software/S0154",
    );
    assert_eq!(direct.stdout, plain.stdout);
}

#[test]
fn observed_techniques_are_read_by_one_rule() {
    if skip() {
        return;
    }
    let state = state().unwrap();
    let message = same_error(
        &["attribute", "T9999", "--json"],
        get(&state, "/api/v1/attribute?techniques=T9999"),
        400,
        "bad_parameter",
    );
    assert!(
        message.starts_with("no usable technique in `techniques`: "),
        "{message}"
    );
    // A revoked ID is replaced, and both say so.
    let (from_cli, _) = same_answer(
        &["attribute", "T1086", "T1003.001", "--json"],
        "/api/v1/attribute?techniques=T1086,T1003.001",
    );
    assert!(
        from_cli
            .notes
            .iter()
            .any(|n| n.contains("T1086 is revoked")),
        "{:?}",
        from_cli.notes
    );
}

fn tempfile_dir(name: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("conformance-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A layer of the shared corpus.
fn corpus_layer(name: &str) -> std::path::PathBuf {
    common::shared()
        .unwrap()
        .join("corpora/navigator-layers/layers/samples")
        .join(name)
}

/// The same document from the CLI's stdout and a REST answer (status 200).
fn same_document(args: &[&str], from_rest: &Rest) -> Cli {
    let from_cli = cli(args);
    assert!(from_cli.ok, "{args:?} failed: {:?}", from_cli.error);
    assert_eq!(from_rest.status, 200, "{args:?}: {}", from_rest.body);
    assert_eq!(
        from_cli.stdout, from_rest.body,
        "{args:?} and REST answer differently"
    );
    from_cli
}

#[test]
fn layers_are_generated_upgraded_combined_and_exported_alike() {
    if skip() {
        return;
    }
    let state = state().unwrap();
    let post = |uri: &str, body: Vec<u8>| rest(&state, "POST", uri, "application/json", body);
    let from_cli = same_document(
        &["layer", "generate", "--group", "G0016"],
        &post("/api/v1/layers/generate", br#"{"group": "G0016"}"#.to_vec()),
    );
    let layer: Value = serde_json::from_str(&from_cli.stdout).unwrap();
    assert_eq!(layer["domain"], "enterprise-attack");
    let techniques = layer["techniques"].as_array().unwrap();
    assert!(techniques.len() > 50, "{} techniques", techniques.len());
    // The body takes the scope like every request; an unknown field is refused.
    same_document(
        &[
            "--domain",
            "ics",
            "layer",
            "generate",
            "--overview",
            "groups",
        ],
        &post(
            "/api/v1/layers/generate",
            br#"{"overview": "groups", "domain": "ics"}"#.to_vec(),
        ),
    );
    let refused = post("/api/v1/layers/generate", br#"{"grup": "G0016"}"#.to_vec());
    assert_eq!(refused.status, 400, "{}", refused.body);
    // An unknown platform is an error naming it, as for every question.
    let message = same_error(
        &[
            "layer",
            "generate",
            "--group",
            "G0016",
            "--platform",
            "Amiga",
            "--json",
        ],
        post(
            "/api/v1/layers/generate",
            br#"{"group": "G0016", "platform": "Amiga"}"#.to_vec(),
        ),
        400,
        "bad_parameter",
    );
    assert!(message.starts_with("`platform`:"), "{message}");
    let message = same_error(
        &["layer", "generate", "--overview", "tactics", "--json"],
        post(
            "/api/v1/layers/generate",
            br#"{"overview": "tactics"}"#.to_vec(),
        ),
        400,
        "bad_parameter",
    );
    assert!(
        message.starts_with("`overview`: `tactics` cannot be overviewed"),
        "{message}"
    );

    let bear = corpus_layer("Bear_APT.json");
    let bear_text = std::fs::read(&bear).unwrap();
    let bear_arg = bear.to_str().unwrap();
    let upgraded = same_document(
        &["layer", "upgrade", bear_arg],
        &post("/api/v1/layers/upgrade", bear_text.clone()),
    );
    let upgraded: Value = serde_json::from_str(&upgraded.stdout).unwrap();
    assert_eq!(upgraded["versions"]["layer"], "4.5");
    let pair = format!(
        "{{\"layers\": [{}, {}], \"expr\": \"a + b\", \"name\": \"twice\"}}",
        String::from_utf8_lossy(&bear_text),
        String::from_utf8_lossy(&bear_text)
    );
    let combined = same_document(
        &[
            "layer", "combine", "--expr", "a + b", "--name", "twice", bear_arg, bear_arg,
        ],
        &post("/api/v1/layers/combine", pair.into_bytes()),
    );
    let combined: Value = serde_json::from_str(&combined.stdout).unwrap();
    assert_eq!(combined["name"], "twice");
    for format in ["csv", "md", "svg"] {
        same_document(
            &["layer", "export", bear_arg, "--format", format],
            &post(
                &format!("/api/v1/layers/export?format={format}"),
                bear_text.clone(),
            ),
        );
    }
    let refused = post("/api/v1/layers/export?format=pdf", bear_text.clone());
    assert_eq!(refused.status, 400, "{}", refused.body);
    let error: Value = serde_json::from_str(&refused.body).unwrap();
    assert_eq!(
        error["message"],
        "`format`: `pdf` is not an export format: expected svg, xlsx, csv or md"
    );

    // Validation: the same report, the file named as each front end read it.
    let from_cli = cli(&["layer", "validate", bear_arg, "--json"]);
    let from_rest = post("/api/v1/layers/validate", bear_text);
    assert_eq!(from_rest.status, 200, "{}", from_rest.body);
    let mut cli_report: Value = serde_json::from_str(&from_cli.stdout).unwrap();
    let mut rest_report: Value = serde_json::from_str(&from_rest.body).unwrap();
    assert_eq!(cli_report["file"], bear_arg);
    assert_eq!(rest_report["file"], "request body");
    cli_report["file"] = Value::Null;
    rest_report["file"] = Value::Null;
    assert_eq!(cli_report, rest_report);
    assert_eq!(
        cli_report["checked_against"],
        serde_json::json!(["enterprise-attack 18.1"])
    );
}

#[test]
fn visibility_and_migration_answer_alike() {
    if skip() {
        return;
    }
    let state = state().unwrap();
    let (from_cli, _) = same_answer(
        &[
            "visibility",
            "Process Creation",
            "Command Execution",
            "--platform",
            "windows",
            "--json",
        ],
        "/api/v1/visibility?sources=Process%20Creation,Command%20Execution&platform=windows",
    );
    let answer: Value = serde_json::from_str(&from_cli.stdout).unwrap();
    assert_eq!(answer["platform"], "Windows");
    assert_eq!(answer["sources"].as_array().unwrap().len(), 2);
    same_error(
        &[
            "visibility",
            "Process Creation",
            "--platform",
            "Amiga",
            "--json",
        ],
        get(
            &state,
            "/api/v1/visibility?sources=Process%20Creation&platform=Amiga",
        ),
        400,
        "bad_parameter",
    );

    // A layer of ATT&CK 8 carried to 18.1: the same decisions and layers.
    let bear = corpus_layer("Bear_APT.json");
    let dir = tempfile_dir("migrate");
    let out = dir.join("bear-18.1.json");
    let from_cli = cli(&[
        "migrate",
        "layer",
        bear.to_str().unwrap(),
        "--to",
        "18.1",
        "-o",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(from_cli.ok, "{:?}", from_cli.error);
    let from_rest = rest(
        &state,
        "POST",
        "/api/v1/migrate/layer?to=18.1",
        "application/json",
        std::fs::read(&bear).unwrap(),
    );
    assert_eq!(from_rest.status, 200, "{}", from_rest.body);
    let mut cli_report: Value = serde_json::from_str(&from_cli.stdout).unwrap();
    let mut rest_report: Value = serde_json::from_str(&from_rest.body).unwrap();
    let written: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(rest_report["layers"][0], written);
    for report in [&mut cli_report, &mut rest_report] {
        let object = report.as_object_mut().unwrap();
        for name in ["file", "output", "layers"] {
            object.remove(name);
        }
    }
    assert_eq!(cli_report, rest_report);
    assert!(cli_report["decisions"].as_array().unwrap().len() > 1);

    // Rules checked against a release: the same findings, the file named as given.
    let sigma = common::shared()
        .unwrap()
        .join("corpora/sigma/rules/windows/builtin");
    let rule = std::fs::read_dir(&sigma)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .min()
        .unwrap();
    let name = rule.file_name().unwrap().to_str().unwrap().to_string();
    let mut body = format!(
        "--X\r\ncontent-disposition: form-data; name=\"rules\"; filename=\"{name}\"\r\n\r\n"
    )
    .into_bytes();
    body.extend(std::fs::read(&rule).unwrap());
    body.extend(b"\r\n--X--\r\n");
    let from_rest = rest(
        &state,
        "POST",
        "/api/v1/migrate/rules?to=18.1",
        "multipart/form-data; boundary=X",
        body,
    );
    let from_cli = cli(&[
        "migrate",
        "rules",
        rule.to_str().unwrap(),
        "--to",
        "18.1",
        "--json",
    ]);
    assert!(from_cli.ok, "{:?}", from_cli.error);
    assert_eq!(from_rest.status, 200, "{}", from_rest.body);
    assert_eq!(
        from_cli.stdout.replace(&rule.display().to_string(), &name),
        from_rest.body
    );
    std::fs::remove_dir_all(dir).ok();
}
