//! The router without a socket, on the real releases: every REST route and its errors, the
//! OpenAPI document against the routes, and TAXII 2.1 as MITRE's clients use it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use attackdb_kb::{Domain, Kb};
use attackdb_server::{router, AppState, Config};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

fn state() -> Option<AppState> {
    static STATE: OnceLock<Option<AppState>> = OnceLock::new();
    STATE
        .get_or_init(|| {
            let dir = attackdb_testdata::data_dir()?;
            let kb = Kb::load(&[dir]).expect("the real releases load");
            let config = Config {
                atomics: attackdb_testdata::corpus("atomic-red-team"),
                ..Config::default()
            };
            Some(AppState::new(kb, config))
        })
        .clone()
}

struct Got {
    status: StatusCode,
    content_type: String,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
}

async fn send(state: &AppState, request: Request<Body>) -> Got {
    let response = router(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Got {
        status,
        content_type,
        headers,
        body,
    }
}

async fn get(state: &AppState, uri: &str) -> Got {
    send(state, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// GET `uri` with one header.
async fn get_with(state: &AppState, uri: &str, name: header::HeaderName, value: &str) -> Got {
    send(
        state,
        Request::get(uri)
            .header(name, value)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

/// A server with nothing loaded that needs the token `s3cret`.
fn locked() -> AppState {
    AppState::new(
        Kb::default(),
        Config {
            tokens: vec!["s3cret".to_string()],
            ..Config::default()
        },
    )
}

async fn post(state: &AppState, uri: &str, body: impl Into<Body>) -> Got {
    send(state, Request::post(uri).body(body.into()).unwrap()).await
}

fn assert_error(got: &Got, status: StatusCode, code: &str) {
    assert_eq!(got.status, status, "{}", got.text());
    assert_eq!(got.content_type, "application/json");
    let body = got.json();
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(body.get("hint").is_some(), "{body}");
}

#[tokio::test]
async fn objects_are_served_exactly_as_in_the_release() {
    let Some(state) = state() else { return };
    let dataset = state.kb().select(Domain::Enterprise, None).unwrap();
    let id = dataset.lookup("T1059.001").unwrap();
    let want = format!("{}\n", dataset.raw_json(id).unwrap());
    for reference in [
        "T1059.001",
        "PowerShell",
        "attack-pattern--970a3432-3237-47ad-bcca-7d8cbb217736",
    ] {
        let got = get(&state, &format!("/api/v1/objects/{reference}")).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.text(), want, "{reference}");
        assert_eq!(got.content_type, "application/stix+json;version=2.1");
    }
    let ics = get(&state, "/api/v1/objects/T0800?domain=ics&release=v18.1").await;
    assert_eq!(ics.json()["name"], "Activate Firmware Update Mode");
    let old = get(&state, "/api/v1/objects/T1059.001?release=15.1").await;
    assert_eq!(old.status, StatusCode::OK);
    assert_ne!(old.text(), want, "15.1's object is its own");
}

#[tokio::test]
async fn related_and_detection_name_what_the_kb_relates() {
    let Some(state) = state() else { return };
    let related = get(&state, "/api/v1/objects/G0016/related").await.json();
    let families: Vec<&str> = related
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["relation"].as_str().unwrap())
        .collect();
    assert!(
        families.contains(&"techniques_used_by_group"),
        "{families:?}"
    );
    let dataset = state.kb().select(Domain::Enterprise, None).unwrap();
    let apt29 = dataset.lookup("G0016").unwrap();
    let want = attackdb_kb::answer::related_ids(
        dataset,
        attackdb_kb::Relation::TechniquesUsedByGroup,
        apt29,
    );
    let used = related
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["relation"] == "techniques_used_by_group")
        .unwrap();
    let mut got: Vec<String> = used["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    assert_eq!(got, want);
    let detection = get(&state, "/api/v1/objects/T1059.001/detection")
        .await
        .json();
    let strategies = detection.as_array().unwrap();
    assert!(!strategies.is_empty());
    assert!(strategies[0]["id"].as_str().unwrap().starts_with("DET"));
    assert!(!strategies[0]["analytics"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn lists_page_with_limit_and_offset() {
    let Some(state) = state() else { return };
    let all = get(&state, "/api/v1/list/techniques").await.json();
    assert_eq!(all.as_array().unwrap().len(), 216);
    let page = get(&state, "/api/v1/list/techniques?limit=10&offset=200")
        .await
        .json();
    assert_eq!(
        page.as_array().unwrap().as_slice(),
        &all.as_array().unwrap()[200..210]
    );
    let linux = get(
        &state,
        "/api/v1/list/techniques?tactic=credential-access&platform=Linux",
    )
    .await
    .json();
    assert!(linux.as_array().unwrap().iter().all(|t| t["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "Linux")));
    let with_revoked = get(&state, "/api/v1/list/groups?include_revoked=true")
        .await
        .json();
    assert!(with_revoked.as_array().unwrap().len() > 172);
}

#[tokio::test]
async fn every_error_has_its_status_and_code() {
    let Some(state) = state() else { return };
    let cases: &[(&str, StatusCode, &str)] = &[
        ("/api/v1/objects/T9999", StatusCode::NOT_FOUND, "not_found"),
        (
            "/api/v1/objects/T1059.001?release=9.9",
            StatusCode::NOT_FOUND,
            "unknown_release",
        ),
        (
            "/api/v1/objects/T1059.001?release=eighteen",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        (
            "/api/v1/objects/T1059.001?domain=pre",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        (
            "/api/v1/objects/T1059.001?colour=red",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        (
            "/api/v1/list/widgets",
            StatusCode::NOT_FOUND,
            "unknown_kind",
        ),
        (
            "/api/v1/list/groups?tactic=execution",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        (
            "/api/v1/list/techniques?limit=ten",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        (
            "/api/v1/list/techniques?include_revoked=perhaps",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        ("/api/v1/search", StatusCode::BAD_REQUEST, "bad_parameter"),
        (
            "/api/v1/search?q=%zz",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        (
            "/api/v1/relation/techniques_used_by_gang",
            StatusCode::NOT_FOUND,
            "unknown_family",
        ),
        (
            "/api/v1/relation/techniques_used_by_group/T1003",
            StatusCode::BAD_REQUEST,
            "wrong_kind",
        ),
        (
            "/api/v1/relation/techniques_used_by_group/G9999",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/v1/diff?from=17.1",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        (
            "/api/v1/diff?from=17.1&to=16.0",
            StatusCode::NOT_FOUND,
            "unknown_release",
        ),
        // Issue 22: an unknown platform is an error naming the parameter, not an empty matrix.
        (
            "/api/v1/matrix?platform=Amiga",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        (
            "/api/v1/list/techniques?platform=Amiga",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        (
            "/api/v1/list/techniques?tactic=nope",
            StatusCode::BAD_REQUEST,
            "bad_parameter",
        ),
        ("/api/v1/nothing-here", StatusCode::NOT_FOUND, "no_route"),
    ];
    for (uri, status, code) in cases {
        let got = get(&state, uri).await;
        if code.is_empty() {
            assert_eq!(got.status, *status, "{uri}");
            continue;
        }
        assert_error(&got, *status, code);
    }
    // A search of thousands of words ran for minutes; more than 32 distinct words is refused.
    let words: Vec<String> = (0..33).map(|i| format!("w{i}")).collect();
    let many = get(&state, &format!("/api/v1/search?q={}", words.join("+"))).await;
    assert_error(&many, StatusCode::BAD_REQUEST, "bad_parameter");
    let page = get(&state, &format!("/search?q={}", words.join("+"))).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let repeated = get(
        &state,
        &format!("/api/v1/search?q={}", ["lsass"; 5000].join("+")),
    )
    .await;
    assert_eq!(repeated.status, StatusCode::OK);
    let broken = post(&state, "/api/v1/layers/validate", "{not json").await;
    assert_error(&broken, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let not_a_layer = post(&state, "/api/v1/layers/upgrade", "[1, 2]").await;
    assert_error(
        &not_a_layer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    let bad_body = post(&state, "/api/v1/layers/generate", "{\"gang\": \"APT29\"}").await;
    assert_error(&bad_body, StatusCode::BAD_REQUEST, "bad_parameter");
    let unknown_group = post(&state, "/api/v1/layers/generate", "{\"group\": \"APT99\"}").await;
    // Issue 22: an unknown group is 404, as the README says and the CLI's --json code.
    assert_error(&unknown_group, StatusCode::NOT_FOUND, "not_found");
    // Bodies nested past the JSON depth bound: refused with the place, before any parsing.
    let deep = format!("{{\"group\": {}{}}}", "[".repeat(5000), "]".repeat(5000));
    let deep_body = post(&state, "/api/v1/layers/generate", deep.clone()).await;
    assert_error(&deep_body, StatusCode::BAD_REQUEST, "bad_parameter");
    assert!(
        deep_body.text().contains(
            "the body: JSON nested deeper than 127 levels at line 1, column 137 (ATTACKDB_MAX_JSON_DEPTH"
        ),
        "{}",
        deep_body.text()
    );
    let deep_layer = post(&state, "/api/v1/layers/validate", deep).await;
    assert_error(
        &deep_layer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    assert!(
        deep_layer
            .text()
            .contains("JSON nested deeper than 127 levels at line 1, column 137"),
        "{}",
        deep_layer.text()
    );
    let small = AppState::new(
        Kb::default(),
        Config {
            max_body: 64,
            ..Config::default()
        },
    );
    let big = post(&small, "/api/v1/layers/validate", vec![b' '; 1000]).await;
    assert_error(&big, StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    let wrong_method = post(&state, "/api/v1/stats", "").await;
    assert_error(
        &wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
}

#[tokio::test]
async fn layers_are_generated_validated_upgraded_combined_and_exported() {
    let Some(state) = state() else { return };
    let layer = post(&state, "/api/v1/layers/generate", "{\"group\": \"APT29\"}").await;
    assert_eq!(layer.status, StatusCode::OK, "{}", layer.text());
    let value = layer.json();
    assert_eq!(value["domain"], "enterprise-attack");
    let report = post(&state, "/api/v1/layers/validate", layer.body.clone())
        .await
        .json();
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["checked_against"][0], "enterprise-attack 18.1");
    let upgraded = post(&state, "/api/v1/layers/upgrade", layer.body.clone()).await;
    assert_eq!(upgraded.json()["versions"]["layer"], "4.5");
    let combined = post(
        &state,
        "/api/v1/layers/combine",
        serde_json::to_vec(
            &serde_json::json!({"layers": [value.clone(), value.clone()], "expr": "a + b"}),
        )
        .unwrap(),
    )
    .await;
    assert_eq!(combined.status, StatusCode::OK, "{}", combined.text());
    let techniques = combined.json()["techniques"].as_array().unwrap().len();
    assert!(techniques > 0);
    for (format, media) in [
        ("svg", "image/svg+xml"),
        ("csv", "text/csv; charset=utf-8"),
        ("md", "text/markdown; charset=utf-8"),
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ] {
        let got = post(
            &state,
            &format!("/api/v1/layers/export?format={format}"),
            layer.body.clone(),
        )
        .await;
        assert_eq!(got.status, StatusCode::OK, "{format}: {}", got.text());
        assert_eq!(got.content_type, media);
        assert!(got.body.len() > 1000, "{format}");
    }
}

#[tokio::test]
async fn coverage_takes_rule_files_as_multipart() {
    let Some(state) = state() else { return };
    let rule = "title: t\nid: 1\nstatus: test\nlevel: high\ntags:\n  - attack.t1059.001\n  - attack.execution\nlogsource:\n  product: windows\ndetection:\n  sel:\n    a: b\n  condition: sel\n";
    let boundary = "XBOUNDARYX";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"rules\"; filename=\"../../etc/r.yml\"\r\nContent-Type: application/yaml\r\n\r\n{rule}\r\n--{boundary}--\r\n"
    );
    let request = Request::post("/api/v1/coverage?min_level=medium")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let got = send(&state, request).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    let value = got.json();
    assert_eq!(value["rules"], 1, "{value}");
    assert_eq!(value["rules_mapped"], 1, "{value}");
    assert!(!got.text().contains("/tmp"), "no server path leaks");
    // An upload none of whose files is a readable rule is refused, saying why.
    let not_rules = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"rules\"; filename=\"a.yml\"\r\n\r\na: 1\n\r\n--{boundary}--\r\n"
    );
    let request = Request::post("/api/v1/coverage")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(not_rules))
        .unwrap();
    let got = send(&state, request).await;
    // One rule for "nothing could be read", named as the CLI names it (issue 22); the file
    // is named as the client named it.
    assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "nothing_read");
    assert!(
        got.text()
            .contains("no rule could be read from the 1 file(s) given: a.yml: not a Sigma"),
        "{}",
        got.text()
    );
    assert!(!got.text().contains("/tmp"), "no server path leaks");
    let broken = Request::post("/api/v1/coverage")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=X")
        .body(Body::from("garbage"))
        .unwrap();
    assert_error(
        &send(&state, broken).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    // Issue 22: a body that is not multipart says what the route reads.
    let not_multipart = Request::post("/api/v1/coverage")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let got = send(&state, not_multipart).await;
    assert_error(&got, StatusCode::BAD_REQUEST, "bad_parameter");
    assert!(
        got.text()
            .contains("multipart/form-data body, one part per file"),
        "{}",
        got.text()
    );
}

/// `coverage` ranks gaps for groups, software or campaigns, as the CLI's options do: one kind
/// at a time, an empty list meaning every one of its kind.
#[tokio::test]
async fn coverage_ranks_gaps_for_groups_software_or_campaigns() {
    let Some(state) = state() else { return };
    let rule = "title: t\nid: 1\nstatus: test\nlevel: high\ntags:\n  - attack.t1003.001\nlogsource:\n  product: windows\ndetection:\n  sel:\n    a: b\n  condition: sel\n";
    let boundary = "GAPSBOUNDARY";
    let upload = |query: &str| {
        Request::post(format!("/api/v1/coverage?{query}"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"rules\"; filename=\"r.yml\"\r\n\r\n{rule}\r\n--{boundary}--\r\n"
            )))
            .unwrap()
    };
    // Mimikatz has 17 techniques in 18.1; the rule covers one of them, LSASS Memory.
    let got = send(&state, upload("software=S0002")).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    let gaps = &got.json()["gaps"];
    assert_eq!(gaps["kind"], "software", "{gaps}");
    assert_eq!(gaps["actors"][0]["id"], "S0002", "{gaps}");
    assert_eq!(gaps["actors"][0]["techniques"], 17, "{gaps}");
    assert_eq!(gaps["actors"][0]["covered"], 1, "{gaps}");
    assert_eq!(gaps["ranked"].as_array().map(Vec::len), Some(16), "{gaps}");
    // The SolarWinds Compromise, by name.
    let got = send(&state, upload("campaigns=SolarWinds%20Compromise")).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    let gaps = &got.json()["gaps"];
    assert_eq!(gaps["kind"], "campaigns", "{gaps}");
    assert_eq!(gaps["actors"][0]["id"], "C0024", "{gaps}");
    // Given empty: every live group.
    let got = send(&state, upload("groups=")).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    let groups = state
        .kb()
        .select(attackdb_kb::Domain::Enterprise, None)
        .unwrap()
        .list(attackdb_kb::Concept::Group, attackdb_kb::Visibility::LIVE)
        .len();
    assert_eq!(
        got.json()["gaps"]["actors"].as_array().map(Vec::len),
        Some(groups)
    );
    // Two kinds at once are refused, as the CLI refuses them.
    let got = send(&state, upload("groups=G0016&software=S0002")).await;
    assert_error(&got, StatusCode::BAD_REQUEST, "bad_parameter");
    assert!(
        got.text()
            .contains("`groups`, `software` cannot be used together"),
        "{}",
        got.text()
    );
}

#[tokio::test]
async fn rule_references_are_checked_against_a_release() {
    let Some(state) = state() else { return };
    let rule = "title: old\nid: 2\nstatus: test\nlogsource:\n  product: windows\ndetection:\n  sel:\n    a: b\n  condition: sel\ntags:\n  - attack.t1086\n  - attack.t1685\n  - attack.stealth\n";
    let boundary = "B0UNDARY";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"old.yml\"\r\n\r\n{rule}\r\n--{boundary}--\r\n"
    );
    let request = Request::post("/api/v1/migrate/rules?to=18.1")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let got = send(&state, request).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    let report = got.json();
    assert_eq!(report["revoked_ids"]["T1086"], "T1059.001", "{report}");
    assert_eq!(report["unknown_ids"], serde_json::json!(["T1685"]));
    assert_eq!(report["unknown_tactics"], serde_json::json!(["stealth"]));
    let missing = post(&state, "/api/v1/migrate/layer", "{}").await;
    assert_error(&missing, StatusCode::BAD_REQUEST, "bad_parameter");
}

/// A client that sends half a request and waits, and another that disconnects mid-answer,
/// never hold up anyone else.
#[tokio::test]
async fn slow_and_vanishing_clients_do_not_hold_up_others() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(state) = state() else { return };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(attackdb_server::serve(listener, router(state), async {
        let _ = stopped.await;
    }));
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"GET /api/v1/stats HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(stream);
    }
    for _ in 0..5 {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"GET /api/v1/relation/groups_using_technique HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut first = [0u8; 64];
        let _ = stream.read(&mut first).await.unwrap();
        drop(stream);
    }
    let started = std::time::Instant::now();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    drop(slow);
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn etags_answer_304_when_unchanged() {
    let Some(state) = state() else { return };
    let first = get(&state, "/api/v1/stats").await;
    let etag = first.headers.get(header::ETAG).unwrap().clone();
    let again = get_with(
        &state,
        "/api/v1/stats",
        header::IF_NONE_MATCH,
        etag.to_str().unwrap(),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
}

#[tokio::test]
async fn every_documented_route_answers_as_documented() {
    let Some(state) = state() else { return };
    let document = get(&state, "/api/v1/openapi.json").await.json();
    assert_eq!(document["openapi"], "3.1.0");
    let layer = post(&state, "/api/v1/layers/generate", "{\"group\": \"G0016\"}")
        .await
        .body;
    let paths = document["paths"].as_object().unwrap();
    assert_eq!(
        paths.len(),
        attackdb_server::openapi_document()["paths"]
            .as_object()
            .unwrap()
            .len()
    );
    for (path, methods) in paths {
        if path.starts_with("/api/v1/workspace") {
            // The workspace's routes answer from a database: `tests/workspace.rs`.
            continue;
        }
        for (method, operation) in methods.as_object().unwrap() {
            let uri = path
                .replace("{ref}", "G0016")
                .replace("{kind}", "groups")
                .replace("{family}", "techniques_used_by_group");
            let uri = match path.as_str() {
                "/api/v1/search" => format!("{uri}?q=powershell"),
                "/api/v1/overlap" => format!("{uri}?refs=G0016,G0007"),
                "/api/v1/visibility" => format!("{uri}?sources=DC0035,WinEventLog:Security"),
                "/api/v1/attribute" | "/api/v1/predict" => {
                    format!("{uri}?techniques=T1059.001,T1003.001")
                }
                "/api/v1/diff" => format!("{uri}?from=17.1&to=18.1"),
                "/api/v1/layers/export" => format!("{uri}?format=svg"),
                "/api/v1/migrate/layer" => format!("{uri}?to=18.1"),
                _ => uri,
            };
            let got = match method.as_str() {
                "get" => get(&state, &uri).await,
                "post" if path == "/api/v1/coverage" || path == "/api/v1/migrate/rules" => continue,
                "post" if path == "/api/v1/layers/generate" => {
                    post(&state, &uri, "{\"group\": \"G0016\"}").await
                }
                "post" if path == "/api/v1/layers/combine" => {
                    let layer: Value = serde_json::from_slice(&layer).unwrap();
                    post(
                        &state,
                        &uri,
                        serde_json::to_vec(&serde_json::json!({"layers": [layer], "op": "union"}))
                            .unwrap(),
                    )
                    .await
                }
                _ => post(&state, &uri, layer.clone()).await,
            };
            assert_eq!(got.status, StatusCode::OK, "{method} {uri}: {}", got.text());
            let media = operation["responses"]["200"]["content"]
                .as_object()
                .unwrap()
                .keys()
                .next()
                .unwrap()
                .clone();
            assert!(
                media.split(" | ").any(|m| m == got.content_type),
                "{method} {uri}: {} is not {media}",
                got.content_type
            );
            for (name, _) in operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["in"] == "query")
                .map(|p| (p["name"].as_str().unwrap(), ()))
            {
                assert!(!name.is_empty());
            }
        }
    }
    // And no route answers that the document does not list.
    for route in ["/api/v1/objects/G0016/everything", "/api/v1/list"] {
        assert_eq!(
            get(&state, route).await.status,
            StatusCode::NOT_FOUND,
            "{route}"
        );
    }
}

const ENTERPRISE: &str = "x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019";

async fn taxii(state: &AppState, uri: &str) -> Got {
    send(
        state,
        Request::get(uri)
            .header(header::ACCEPT, "application/taxii+json;version=2.1")
            .header(header::HOST, "attackdb.test")
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn taxii_discovery_roots_and_collections_are_mitres() {
    let Some(state) = state() else { return };
    let discovery = taxii(&state, "/taxii2/").await;
    assert_eq!(discovery.content_type, "application/taxii+json;version=2.1");
    let discovery = discovery.json();
    assert_eq!(discovery["default"], "http://attackdb.test/api/v21/");
    let roots: Vec<&str> = discovery["api_roots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        roots.contains(&"http://attackdb.test/api/v21/attack-15.1/"),
        "{roots:?}"
    );
    let root = taxii(&state, "/api/v21/").await.json();
    assert_eq!(root["versions"][0], "application/taxii+json;version=2.1");
    let collections = taxii(&state, "/api/v21/collections/").await.json();
    let ids: Vec<&str> = collections["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            ENTERPRISE,
            "x-mitre-collection--dac0d2d7-8653-445c-9bff-82f934c1e858",
            "x-mitre-collection--90c00720-636b-4485-b342-8751d232bf09"
        ]
    );
    assert!(collections["collections"][0]["can_read"].as_bool().unwrap());
    let pinned = taxii(&state, "/api/v21/attack-18.0/collections/")
        .await
        .json();
    assert_eq!(
        pinned["collections"].as_array().unwrap().len(),
        1,
        "only enterprise has 18.0"
    );
    let one = taxii(&state, &format!("/api/v21/collections/{ENTERPRISE}/"))
        .await
        .json();
    assert_eq!(one["id"], ENTERPRISE);
}

#[tokio::test]
async fn taxii_pages_every_object_byte_for_byte() {
    let Some(state) = state() else { return };
    let dataset = state.kb().select(Domain::Enterprise, None).unwrap();
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        let uri = match &next {
            Some(token) => {
                format!("/api/v21/collections/{ENTERPRISE}/objects/?limit=1000&next={token}")
            }
            None => format!("/api/v21/collections/{ENTERPRISE}/objects/?limit=1000"),
        };
        let got = taxii(&state, &uri).await;
        assert_eq!(got.status, StatusCode::OK);
        assert!(got.headers.contains_key("x-taxii-date-added-first"));
        let envelope = got.json();
        for object in envelope["objects"].as_array().unwrap() {
            seen.push(object["id"].as_str().unwrap().to_string());
        }
        // The objects' bytes are the release's.
        let first_id = envelope["objects"][0]["id"].as_str().unwrap();
        let raw = dataset
            .raw_json(dataset.by_stix_id(first_id).unwrap())
            .unwrap();
        assert!(got.text().contains(raw));
        pages += 1;
        if envelope["more"] == true {
            next = Some(envelope["next"].as_str().unwrap().to_string());
        } else {
            break;
        }
    }
    assert_eq!(pages, dataset.objects().len().div_ceil(1000));
    let mut want: Vec<String> = (0..dataset.objects().len() as u32)
        .map(|o| dataset.object(o).id.to_string())
        .collect();
    want.sort();
    seen.sort();
    assert_eq!(seen, want, "every object once");
}

#[tokio::test]
async fn taxii_filters_and_errors_are_mitres() {
    let Some(state) = state() else { return };
    let base = format!("/api/v21/collections/{ENTERPRISE}");
    let groups = taxii(
        &state,
        &format!("{base}/objects/?match[type]=intrusion-set"),
    )
    .await
    .json();
    let dataset = state.kb().select(Domain::Enterprise, None).unwrap();
    let want = dataset
        .objects_of(&[attackdb_kb::ObjectType::IntrusionSet])
        .len();
    assert_eq!(groups["objects"].as_array().unwrap().len(), want);
    let id = "attack-pattern--970a3432-3237-47ad-bcca-7d8cbb217736";
    let one = taxii(&state, &format!("{base}/objects/{id}/")).await.json();
    assert_eq!(one["objects"].as_array().unwrap().len(), 1);
    let versions = taxii(&state, &format!("{base}/objects/{id}/versions/"))
        .await
        .json();
    let version = versions["versions"][0].as_str().unwrap().to_string();
    assert_eq!(one["objects"][0]["modified"], version.as_str());
    let by_version = taxii(
        &state,
        &format!("{base}/objects/?match[id]={id}&match[version]={version}"),
    )
    .await
    .json();
    assert_eq!(by_version["objects"].as_array().unwrap().len(), 1);
    let by_other = taxii(
        &state,
        &format!("{base}/objects/?match[id]={id}&match[version]=2001-01-01T00:00:00Z"),
    )
    .await
    .json();
    assert!(by_other.get("objects").is_none());
    let after = taxii(
        &state,
        &format!("{base}/manifest/?added_after=2025-10-01T00:00:00Z"),
    )
    .await;
    let manifest = after.json();
    assert!(manifest["objects"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["date_added"].as_str().unwrap() > "2025-10-01"));
    let spec = taxii(&state, &format!("{base}/objects/?match[spec_version]=2.0"))
        .await
        .json();
    assert!(spec.get("objects").is_none());
    for (uri, status) in [
        (format!("{base}/objects/?limit=0"), StatusCode::BAD_REQUEST),
        (
            format!("{base}/objects/?added_after=yesterday"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{base}/objects/?match[version]=newest"),
            StatusCode::BAD_REQUEST,
        ),
        (format!("{base}/objects/?next=abc"), StatusCode::BAD_REQUEST),
        (
            format!("{base}/objects/?colour=red"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{base}/objects/attack-pattern--00000000-0000-0000-0000-000000000000/"),
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v21/collections/x-mitre-collection--nope/objects/".to_string(),
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v21/attack-9.9/collections/".to_string(),
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v21/nowhere/at/all/".to_string(),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let got = taxii(&state, &uri).await;
        assert_eq!(got.status, status, "{uri}: {}", got.text());
        assert_eq!(
            got.content_type, "application/taxii+json;version=2.1",
            "{uri}"
        );
        assert_eq!(
            got.json()["http_status"],
            status.as_u16().to_string(),
            "{uri}"
        );
    }
    let wrong_accept = get_with(
        &state,
        "/api/v21/collections/",
        header::ACCEPT,
        "application/xml",
    )
    .await;
    assert_eq!(wrong_accept.status, StatusCode::NOT_ACCEPTABLE);
    let wrong_version = get_with(
        &state,
        "/api/v21/collections/",
        header::ACCEPT,
        "application/taxii+json;version=2.0",
    )
    .await;
    assert_eq!(wrong_version.status, StatusCode::NOT_ACCEPTABLE);
}

/// A browser cannot send a bearer token: with `--token-file` it signs in once at `/login`, and
/// an HTTP-only cookie carries the token from then on.
#[tokio::test]
async fn a_browser_signs_in_with_a_token_and_a_cookie_carries_it() {
    let locked = locked();
    let page = |uri: &str, cookie: Option<&str>| {
        let mut request = Request::get(uri).header(header::ACCEPT, "text/html,*/*;q=0.8");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.body(Body::empty()).unwrap()
    };
    // A page without a token sends the browser to sign in, and back afterwards.
    let sent = send(&locked, page("/techniques/T1059/?x=1", None)).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(
        sent.headers.get(header::LOCATION).unwrap(),
        "/login?next=/techniques/T1059/%3Fx%3D1"
    );
    // The API still answers 401, and says where a browser signs in.
    let api = get(&locked, "/api/v1/stats").await;
    assert_error(&api, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(api.text().contains("/login"), "{}", api.text());
    // The sign-in page and its stylesheet need no token.
    let form = send(&locked, page("/login?next=/search", None)).await;
    assert_eq!(form.status, StatusCode::OK);
    let text = form.text();
    assert!(
        text.contains("<form method=\"post\" action=\"/login\">"),
        "{text}"
    );
    assert!(text.contains("name=\"next\" value=\"/search\""), "{text}");
    assert_eq!(get(&locked, "/static/app.css").await.status, StatusCode::OK);
    // A wrong token: the form again, with a message, and no cookie.
    let wrong = post(&locked, "/login", "token=guess&next=%2Fsearch").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text().contains("not a token of this server"));
    assert!(wrong.headers.get(header::SET_COOKIE).is_none());
    // The right one: an HTTP-only, same-site cookie, and back to where the browser was going.
    let signed = post(
        &locked,
        "/login",
        "token=s3cret&next=%2Fsearch%3Fq%3Dpowershell",
    )
    .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        signed.headers.get(header::LOCATION).unwrap(),
        "/search?q=powershell"
    );
    let cookie = signed
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        cookie,
        "attackdb_token=733363726574; Path=/; HttpOnly; SameSite=Strict"
    );
    let value = cookie.split(';').next().unwrap();
    let with_cookie = send(
        &locked,
        Request::get("/api/v1/stats")
            .header(header::COOKIE, format!("theme=dark; {value}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(with_cookie.status, StatusCode::OK);
    // A forged or malformed cookie is no token.
    for forged in [
        "attackdb_token=73336372657",
        "attackdb_token=zz",
        "attackdb_token=s3cret",
    ] {
        let got = get_with(&locked, "/api/v1/stats", header::COOKIE, forged).await;
        assert_eq!(got.status, StatusCode::UNAUTHORIZED, "{forged}");
    }
    // Sign-in never sends the browser to another host.
    for next in [
        "%2F%2Fevil.example%2F",
        "https%3A%2F%2Fevil.example%2F",
        "%2F%5Cevil.example",
    ] {
        let got = post(&locked, "/login", format!("token=s3cret&next={next}")).await;
        assert_eq!(got.headers.get(header::LOCATION).unwrap(), "/", "{next}");
    }
    // Signing out forgets the cookie.
    let out = get(&locked, "/logout").await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    // Without tokens there is nothing to sign in to.
    let open = AppState::new(Kb::default(), Config::default());
    let got = get(&open, "/login?next=/search").await;
    assert_eq!(got.status, StatusCode::SEE_OTHER);
    assert_eq!(got.headers.get(header::LOCATION).unwrap(), "/search");
}

#[tokio::test]
async fn operations_routes_and_tokens() {
    let Some(state) = state() else { return };
    assert_eq!(get(&state, "/healthz").await.status, StatusCode::OK);
    assert_eq!(get(&state, "/readyz").await.status, StatusCode::OK);
    let _ = get(&state, "/api/v1/stats").await;
    let metrics = get(&state, "/metrics").await.text();
    assert!(
        metrics.contains("attackdb_http_requests_total{route=\"/api/v1/stats\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "attackdb_objects_loaded{domain=\"enterprise-attack\",release=\"18.1\"} 24772"
        ),
        "{metrics}"
    );
    let locked = locked();
    assert_eq!(get(&locked, "/healthz").await.status, StatusCode::OK);
    assert_eq!(
        get(&locked, "/readyz").await.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "nothing loaded"
    );
    assert_error(
        &get(&locked, "/api/v1/stats").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let with = get_with(
        &locked,
        "/api/v1/stats",
        header::AUTHORIZATION,
        "Bearer s3cret",
    )
    .await;
    assert_eq!(with.status, StatusCode::OK);
    let compressed = get_with(
        &state,
        "/api/v1/list/techniques",
        header::ACCEPT_ENCODING,
        "gzip",
    )
    .await;
    assert_eq!(
        compressed.headers.get(header::CONTENT_ENCODING).unwrap(),
        "gzip"
    );
}

/// Issue 22: the router, its parameter checks and the OpenAPI document are made from one
/// table. For every route the document lists, the router refuses a name the document does not
/// list, naming exactly the parameters the document lists; the other method is a 405 with the
/// JSON error shape.
#[tokio::test]
async fn openapi_lists_exactly_the_parameters_each_route_takes() {
    let Some(state) = state() else { return };
    let document = get(&state, "/api/v1/openapi.json").await.json();
    let paths = document["paths"].as_object().unwrap();
    // ATT&CK's 27 paths and the workspace's 18.
    assert_eq!(paths.len(), 28 + 18);
    let any = |state: &AppState, method: &str, uri: &str| {
        let request = Request::builder()
            .method(method.to_ascii_uppercase().as_str())
            .uri(uri)
            .body(Body::from("{}"))
            .unwrap();
        let state = state.clone();
        async move { send(&state, request).await }
    };
    for (path, methods) in paths {
        let uri = path
            .replace("{ref}", "G0016")
            .replace("{kind}", "groups")
            .replace("{family}", "techniques_used_by_group")
            .replace("{id}", "1")
            .replace("{revision}", "1")
            .replace("{name}", "ana");
        for (method, operation) in methods.as_object().unwrap() {
            let documented: Vec<&str> = operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["in"] == "query")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            let with_unlisted = format!("{uri}?zz_unlisted=1");
            let got = any(&state, method, &with_unlisted).await;
            assert_error(&got, StatusCode::BAD_REQUEST, "bad_parameter");
            let takes = if documented.is_empty() {
                "none".to_string()
            } else {
                documented.join(", ")
            };
            assert_eq!(
                got.json()["message"],
                format!("unknown parameter `zz_unlisted`: this route takes {takes}"),
                "{method} {path}"
            );
            // Every documented name is taken (a wrong value may be refused, never the name).
            for name in &documented {
                let got = any(&state, method, &format!("{uri}?{name}=x")).await;
                assert!(
                    !got.text().contains("unknown parameter"),
                    "{method} {path} refused `{name}`: {}",
                    got.text()
                );
            }
            let other = any(&state, "PATCH", &uri).await;
            assert_error(&other, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
        }
    }
}

/// Issue 22: the answers hyper gives itself (a URI over its limit, headers over its buffer)
/// carry the JSON error body of every other error, on a real socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_requests_get_the_json_error_shape() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let state = AppState::new(Kb::default(), Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(attackdb_server::serve(listener, router(state), async {
        let _ = stopped.await;
    }));
    let ask = |request: Vec<u8>| async move {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let _ = stream.write_all(&request).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            stream.read_to_end(&mut answer),
        )
        .await;
        String::from_utf8_lossy(&answer).to_string()
    };
    let long_uri = format!(
        "GET /api/v1/objects/{} HTTP/1.1\r\nhost: x\r\n\r\n",
        "T".repeat(70_000)
    );
    let huge_header = format!(
        "GET /api/v1/stats HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "a".repeat(1 << 20)
    );
    for (request, status, code) in [
        (long_uri, "414", "uri_too_long"),
        (huge_header, "431", "headers_too_large"),
        ("NONSENSE\r\n\r\n".to_string(), "400", "bad_request"),
    ] {
        let answer = ask(request.into_bytes()).await;
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        let body: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
        assert_eq!(body["code"], code);
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(body.get("hint").is_some());
    }
    let _ = stop.send(());
    let _ = server.await;
}
