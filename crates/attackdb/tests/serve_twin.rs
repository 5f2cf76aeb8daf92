//! The REST API is a twin of the CLI: for every command of the README that prints `--json`, the
//! matching route answers the same document, byte for byte (the file-path fields of layer
//! validation aside: the API reads the layer from the request body).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::OnceLock;

use attackdb_server::{router, AppState, Config};
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
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

fn answer(state: &AppState, method: &str, uri: &str, body: Vec<u8>) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::from(body))
            .unwrap();
        let response = router(state.clone()).oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).to_string())
    })
}

fn cli(args: &[&str]) -> String {
    let data = common::data_dir().unwrap();
    let output = common::attackdb(&data, args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// (CLI arguments, REST route) pairs that must answer the same bytes.
const TWINS: &[(&[&str], &str)] = &[
    (
        &["show", "T1059.001", "--json"],
        "/api/v1/objects/T1059.001",
    ),
    (&["show", "APT29", "--json"], "/api/v1/objects/APT29"),
    // A name two objects share: the `also` list is the same on both sides.
    (&["show", "Domains", "--json"], "/api/v1/objects/Domains"),
    (
        &["show", "Domains", "--json", "--full"],
        "/api/v1/objects/Domains?full=true",
    ),
    (
        &["show", "T1059.001", "--json", "--full"],
        "/api/v1/objects/T1059.001?full=true",
    ),
    (
        &["--domain", "ics", "show", "T0800", "--json"],
        "/api/v1/objects/T0800?domain=ics",
    ),
    (&["list", "tactics", "--json"], "/api/v1/list/tactics"),
    (
        &[
            "list",
            "groups",
            "--include-revoked",
            "--include-deprecated",
            "--json",
        ],
        "/api/v1/list/groups?include_revoked=true&include_deprecated=true",
    ),
    (
        &[
            "list",
            "techniques",
            "--tactic",
            "credential-access",
            "--platform",
            "Linux",
            "--json",
        ],
        "/api/v1/list/techniques?tactic=credential-access&platform=Linux",
    ),
    (
        &["search", "lsass", "memory", "dump", "--json"],
        "/api/v1/search?q=lsass+memory+dump",
    ),
    (
        &["matrix", "--domain", "ics", "--json"],
        "/api/v1/matrix?domain=ics",
    ),
    (
        &["matrix", "--platform", "macOS", "--subtechniques", "--json"],
        "/api/v1/matrix?platform=macOS&subtechniques=true",
    ),
    (&["stats", "--json"], "/api/v1/stats"),
    (
        &["relation", "techniques_used_by_group", "G0016", "--json"],
        "/api/v1/relation/techniques_used_by_group/G0016",
    ),
    (
        &["relation", "groups_using_technique", "--json"],
        "/api/v1/relation/groups_using_technique",
    ),
    (
        &[
            "--release",
            "15.1",
            "relation",
            "subtechniques_of_technique",
            "T1003",
            "--json",
        ],
        "/api/v1/relation/subtechniques_of_technique/T1003?release=15.1",
    ),
    (
        &[
            "relation",
            "techniques_seen_by_datacomponent",
            "DC0035",
            "--json",
        ],
        "/api/v1/relation/techniques_seen_by_datacomponent/DC0035",
    ),
    (
        &["relation", "analytics_of_detection_strategy", "--json"],
        "/api/v1/relation/analytics_of_detection_strategy",
    ),
    (
        &["show", "DC0035", "--json", "--full"],
        "/api/v1/objects/DC0035?full=true",
    ),
    (
        &[
            "visibility",
            "DC0035",
            "Process Creation",
            "WinEventLog:Security",
            "--json",
        ],
        "/api/v1/visibility?sources=DC0035,Process+Creation,WinEventLog:Security",
    ),
    (
        &[
            "diff",
            "--from",
            "18.0",
            "--to",
            "18.1",
            "--domain",
            "enterprise",
            "--json",
        ],
        "/api/v1/diff?from=18.0&to=18.1&domain=enterprise",
    ),
    (
        &["diff", "--from", "17.1", "--to", "18.1", "--json"],
        "/api/v1/diff?from=17.1&to=18.1",
    ),
    (&["profile", "APT29", "--json"], "/api/v1/profile/APT29"),
    (
        &["similar", "G0016", "--top", "5", "--json"],
        "/api/v1/similar/G0016?top=5",
    ),
    (
        &["overlap", "G0016", "G0007", "--json"],
        "/api/v1/overlap?refs=G0016,G0007",
    ),
    (
        &["attribute", "T1059.001", "T1003.001", "T1566.001", "--json"],
        "/api/v1/attribute?techniques=T1059.001,T1003.001,T1566.001",
    ),
    (
        &[
            "predict",
            "T1059.001",
            "T1003.001",
            "--exclude",
            "G0016",
            "--json",
        ],
        "/api/v1/predict?techniques=T1059.001,T1003.001&exclude=G0016",
    ),
];

#[test]
fn every_json_command_of_the_readme_has_a_rest_twin() {
    let Some(state) = state() else { return };
    for (args, uri) in TWINS {
        let want = cli(args);
        let (status, got) = answer(&state, "GET", uri, Vec::new());
        assert_eq!(status, 200, "{uri}: {got}");
        assert!(got == want, "{args:?} and {uri} differ");
    }
}

#[test]
fn layer_commands_have_rest_twins() {
    let Some(state) = state() else { return };
    let Some(shared) = common::shared() else {
        return;
    };
    let want = cli(&["layer", "generate", "--group", "APT29"]);
    let (status, got) = answer(
        &state,
        "POST",
        "/api/v1/layers/generate",
        br#"{"group": "APT29"}"#.to_vec(),
    );
    assert_eq!(status, 200, "{got}");
    assert_eq!(got, want);
    let want = cli(&[
        "layer",
        "generate",
        "--overview",
        "groups",
        "--platform",
        "Linux",
    ]);
    let (_, got) = answer(
        &state,
        "POST",
        "/api/v1/layers/generate",
        br#"{"overview": "groups", "platform": "Linux"}"#.to_vec(),
    );
    assert_eq!(got, want);
    let file = shared.join("corpora/navigator-layers/layers/samples/Bear_APT.json");
    let path = file.display().to_string();
    let mut want: serde_json::Value =
        serde_json::from_str(&cli(&["layer", "validate", &path, "--json"])).unwrap();
    let (status, got) = answer(
        &state,
        "POST",
        "/api/v1/layers/validate",
        std::fs::read(&file).unwrap(),
    );
    assert_eq!(status, 200, "{got}");
    let mut got: serde_json::Value = serde_json::from_str(&got).unwrap();
    want["file"] = serde_json::Value::Null;
    got["file"] = serde_json::Value::Null;
    assert_eq!(got, want);
    let want = cli(&["layer", "upgrade", &path]);
    let (_, got) = answer(
        &state,
        "POST",
        "/api/v1/layers/upgrade",
        std::fs::read(&file).unwrap(),
    );
    assert_eq!(got, want);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("new.json");
    let mut want: serde_json::Value = serde_json::from_str(&cli(&[
        "migrate",
        "layer",
        &path,
        "--to",
        "18.1",
        "-o",
        &target.display().to_string(),
        "--json",
    ]))
    .unwrap();
    let (status, got) = answer(
        &state,
        "POST",
        "/api/v1/migrate/layer?to=18.1",
        std::fs::read(&file).unwrap(),
    );
    assert_eq!(status, 200, "{got}");
    let mut got: serde_json::Value = serde_json::from_str(&got).unwrap();
    let layers = got["layers"].take();
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    // The API always answers a list of layers; the file holds one layer object.
    let written = match written {
        serde_json::Value::Array(list) => serde_json::Value::Array(list),
        one => serde_json::Value::Array(vec![one]),
    };
    assert!(layers == written, "the migrated layer is the CLI's");
    for value in [&mut want, &mut got] {
        let map = value.as_object_mut().unwrap();
        map.remove("file");
        map.remove("output");
        map.remove("layers");
    }
    assert_eq!(got, want);
    let want = cli(&["layer", "export", &path, "--format", "csv"]);
    let (_, got) = answer(
        &state,
        "POST",
        "/api/v1/layers/export?format=csv",
        std::fs::read(&file).unwrap(),
    );
    assert_eq!(got, want);
}

fn files_under(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(&path, found);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            found.push(path);
        }
    }
}

#[test]
fn coverage_has_a_rest_twin() {
    let Some(state) = state() else { return };
    let Some(shared) = common::shared() else {
        return;
    };
    let corpus = shared.join("corpora/splunk-security-content");
    let want = cli(&[
        "coverage",
        &corpus.display().to_string(),
        "--status",
        "production,experimental",
        "--json",
    ]);
    let mut files = Vec::new();
    files_under(&corpus, &mut files);
    assert!(files.len() > 1000);
    let boundary = "attackdb-twin-boundary";
    let mut body = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"rules\"; filename=\"{name}\"\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&std::fs::read(file).unwrap());
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let got = runtime.block_on(async {
        let request = Request::post("/api/v1/coverage?status=production,experimental")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap();
        let response = router(state.clone()).oneshot(request).await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8_lossy(&bytes).to_string()
    });
    // Rule files are named as the client gave them: paths for the CLI, `upload/NNNNN-NAME` for
    // the server, which never sees the client's folders. Alike by file name, the rest byte for
    // byte.
    let by_file_name = |text: &str| -> String {
        let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
        for technique in value["techniques"].as_object_mut().unwrap().values_mut() {
            for rule in technique["rule_list"].as_array_mut().unwrap() {
                let file = rule["file"].as_str().unwrap();
                let name = std::path::Path::new(file).file_name().unwrap();
                let name = name.to_string_lossy();
                // The server keeps each upload as `NNNNN-NAME` (its place in the upload).
                let name = match name.split_once('-') {
                    Some((n, rest)) if n.len() == 5 && n.bytes().all(|b| b.is_ascii_digit()) => {
                        rest.to_string()
                    }
                    _ => name.into_owned(),
                };
                rule["file"] = name.into();
            }
        }
        attackdb_kb::answer::to_json_pretty(&value).unwrap()
    };
    // Files are named as the client named them, never by the server's copy (`00000-NAME`).
    assert!(!got.contains("\"file\": \"upload/00"));
    assert!(!got.contains("/tmp/"));
    assert!(
        by_file_name(&got) == by_file_name(&want),
        "coverage over REST differs from the CLI's"
    );
}

#[test]
fn emulate_has_a_rest_twin_with_serve_atomics() {
    let Some(state) = state() else { return };
    let Some(atomics) = common::shared().map(|s| s.join("corpora/atomic-red-team")) else {
        return;
    };
    // Without --atomics the route says how to give them.
    let (status, got) = answer(&state, "GET", "/api/v1/emulate/G0016", Vec::new());
    assert_eq!(status, 404, "{got}");
    assert!(got.contains("--atomics"), "{got}");
    let with_atomics = AppState::from_static(
        state.kb(),
        Config {
            atomics: Some(atomics.clone()),
            ..Config::default()
        },
    );
    let dir = atomics.display().to_string();
    let want = cli(&[
        "emulate",
        "G0016",
        "--atomics",
        &dir,
        "--platform",
        "windows",
        "--json",
    ]);
    let (status, got) = answer(
        &with_atomics,
        "GET",
        "/api/v1/emulate/G0016?platform=windows",
        Vec::new(),
    );
    assert_eq!(status, 200, "{got}");
    assert!(
        got == want,
        "emulate G0016 differs between the CLI and REST"
    );
    let want = cli(&["emulate", "APT29", "--atomics", &dir, "--format", "yaml"]);
    let (_, got) = answer(
        &with_atomics,
        "GET",
        "/api/v1/emulate/APT29?format=yaml",
        Vec::new(),
    );
    assert!(got == want, "the YAML plans differ");
}
