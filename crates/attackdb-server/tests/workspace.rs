//! The workspace over HTTP (router without a socket), on SQLite and on PostgreSQL
//! (`ATTACKDB_TEST_POSTGRES`): versions and 409s, roles and tokens, cross-site writes, the
//! Navigator's `layerURL`, notes found across domains, the trend chart.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use attackdb_kb::Kb;
use attackdb_server::{router, AppState, Config};
use attackdb_workspace::{Actor, Role, Workspace};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

fn kb() -> Option<&'static Kb> {
    static KB: OnceLock<Option<&'static Kb>> = OnceLock::new();
    *KB.get_or_init(|| {
        let dir = attackdb_testdata::data_dir()?;
        Some(Box::leak(Box::new(
            Kb::load(&[dir]).expect("the real releases load"),
        )))
    })
}

/// A server over a fresh workspace of each backend.
async fn servers(loopback: bool) -> Vec<(AppState, Workspace, Option<tempfile::TempDir>)> {
    let Some(kb) = kb() else { return Vec::new() };
    let dir = tempfile::tempdir().unwrap();
    let mut made = vec![(
        Workspace::open_file(&dir.path().join("w.db"))
            .await
            .unwrap(),
        Some(dir),
    )];
    if let Some(url) = attackdb_testdata::fresh_postgres_database("srv") {
        made.push((Workspace::open(&url).await.unwrap(), None));
    }
    made.into_iter()
        .map(|(ws, dir)| {
            let config = Config {
                loopback,
                ..Config::default()
            };
            (
                AppState::from_static(kb, config).with_workspace(ws.clone()),
                ws,
                dir,
            )
        })
        .collect()
}

struct Got {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

async fn send(
    state: &AppState,
    method: &str,
    uri: &str,
    headers: &[(header::HeaderName, &str)],
    body: impl Into<Body>,
) -> Got {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    let response = router(state.clone())
        .oneshot(request.body(body.into()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Got {
        status,
        headers,
        body,
    }
}

fn assert_error(got: &Got, status: StatusCode, code: &str) {
    assert_eq!(got.status, status, "{}", String::from_utf8_lossy(&got.body));
    let body = got.json();
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
}

fn bear() -> Option<String> {
    let dir = attackdb_testdata::corpus("navigator-layers")?;
    Some(std::fs::read_to_string(dir.join("layers/samples/Bear_APT.json")).unwrap())
}

#[tokio::test]
async fn saved_layers_have_versions_and_refuse_stale_writes() {
    let Some(layer) = bear() else { return };
    for (state, _ws, _dir) in servers(true).await {
        // No users, loopback: the local user may write.
        let saved = send(
            &state,
            "POST",
            "/api/v1/workspace/layers?tags=apt,russia",
            &[],
            layer.clone(),
        )
        .await;
        assert_eq!(
            saved.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&saved.body)
        );
        assert_eq!(saved.headers[header::ETAG], "\"1\"");
        let id = saved.json()["id"].as_i64().unwrap();
        assert_eq!(
            saved.headers[header::LOCATION],
            format!("/api/v1/workspace/layers/{id}")
        );
        let uri = format!("/api/v1/workspace/layers/{id}");
        let got = send(&state, "GET", &uri, &[], Body::empty()).await;
        assert_eq!(got.headers[header::ETAG], "\"1\"");
        assert_eq!(got.json()["tags"], serde_json::json!(["apt", "russia"]));
        let v2 = send(
            &state,
            "PUT",
            &uri,
            &[(header::IF_MATCH, "\"1\"")],
            layer.clone(),
        )
        .await;
        assert_eq!(v2.status, StatusCode::OK);
        assert_eq!(v2.json()["version"], 2);
        let stale = send(
            &state,
            "PUT",
            &uri,
            &[(header::IF_MATCH, "\"1\"")],
            layer.clone(),
        )
        .await;
        assert_error(&stale, StatusCode::CONFLICT, "conflict");
        assert!(stale.json()["message"]
            .as_str()
            .unwrap()
            .contains("version 2"));
        let blind = send(&state, "PUT", &uri, &[], layer.clone()).await;
        assert_error(
            &blind,
            StatusCode::PRECONDITION_REQUIRED,
            "version_required",
        );
        let invalid = send(
            &state,
            "PUT",
            &uri,
            &[(header::IF_MATCH, "2")],
            "{\"name\": 1}",
        )
        .await;
        assert_error(&invalid, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        let revisions = send(
            &state,
            "GET",
            &format!("{uri}/revisions"),
            &[],
            Body::empty(),
        )
        .await
        .json();
        assert_eq!(revisions.as_array().unwrap().len(), 2);
        let diff = send(&state, "GET", &format!("{uri}/diff"), &[], Body::empty())
            .await
            .json();
        assert_eq!(
            (diff["from"].as_i64(), diff["to"].as_i64()),
            (Some(1), Some(2))
        );
        assert_eq!(diff["changes"]["added"], serde_json::json!([]));
        // The Navigator opens it by URL.
        let navigator = send(
            &state,
            "GET",
            &format!("/layers/{id}/layer.json"),
            &[],
            Body::empty(),
        )
        .await;
        assert_eq!(navigator.status, StatusCode::OK);
        let read =
            attackdb_navigator::read_layers(std::str::from_utf8(&navigator.body).unwrap()).unwrap();
        assert!(read.is_valid());
        assert_eq!(read.layers[0].layer.techniques.len(), 126);
        let missing = send(
            &state,
            "GET",
            "/api/v1/workspace/layers/999",
            &[],
            Body::empty(),
        )
        .await;
        assert_error(&missing, StatusCode::NOT_FOUND, "not_found");
    }
}

#[tokio::test]
async fn roles_tokens_and_cross_site_writes() {
    let Some(layer) = bear() else { return };
    for (state, ws, _dir) in servers(false).await {
        // Not loopback and no users: nobody may act.
        let nobody = send(
            &state,
            "GET",
            "/api/v1/workspace/layers",
            &[],
            Body::empty(),
        )
        .await;
        assert_error(&nobody, StatusCode::UNAUTHORIZED, "unauthorized");
        let local = Actor::local();
        ws.add_user(&local, "ana", Role::Admin).await.unwrap();
        ws.add_user(&local, "eve", Role::Editor).await.unwrap();
        ws.add_user(&local, "vic", Role::Viewer).await.unwrap();
        let token = |name: &'static str| {
            let ws = ws.clone();
            async move {
                ws.issue_token(&Actor::local(), name, "test")
                    .await
                    .unwrap()
                    .secret
            }
        };
        let (ana, eve, vic) = (token("ana").await, token("eve").await, token("vic").await);
        let bearer = |t: &str| format!("Bearer {t}");
        let anonymous = send(
            &state,
            "POST",
            "/api/v1/workspace/layers",
            &[],
            layer.clone(),
        )
        .await;
        assert_error(&anonymous, StatusCode::UNAUTHORIZED, "unauthorized");
        let viewer = send(
            &state,
            "POST",
            "/api/v1/workspace/layers",
            &[(header::AUTHORIZATION, &bearer(&vic))],
            layer.clone(),
        )
        .await;
        assert_error(&viewer, StatusCode::FORBIDDEN, "forbidden");
        let listed = send(
            &state,
            "GET",
            "/api/v1/workspace/layers",
            &[(header::AUTHORIZATION, &bearer(&vic))],
            Body::empty(),
        )
        .await;
        assert_eq!(listed.status, StatusCode::OK);
        let editor = send(
            &state,
            "POST",
            "/api/v1/workspace/layers",
            &[(header::AUTHORIZATION, &bearer(&eve))],
            layer.clone(),
        )
        .await;
        assert_eq!(editor.status, StatusCode::CREATED);
        assert_eq!(editor.json()["owner"], "eve");
        let users = send(
            &state,
            "GET",
            "/api/v1/workspace/users",
            &[(header::AUTHORIZATION, &bearer(&eve))],
            Body::empty(),
        )
        .await;
        assert_error(&users, StatusCode::FORBIDDEN, "forbidden");
        let audit = send(
            &state,
            "GET",
            "/api/v1/workspace/audit",
            &[(header::AUTHORIZATION, &bearer(&ana))],
            Body::empty(),
        )
        .await;
        assert_eq!(audit.json()[0]["action"], "layer.save");
        assert_eq!(audit.json()[0]["actor"], "eve");
        // The sign-in cookie writes only from this server's own pages.
        let cookie = format!(
            "attackdb_token={}",
            eve.bytes().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let forged = send(
            &state,
            "POST",
            "/api/v1/workspace/layers",
            &[
                (header::COOKIE, &cookie),
                (header::HOST, "attackdb.example"),
                (header::ORIGIN, "https://evil.example"),
            ],
            layer.clone(),
        )
        .await;
        assert_error(&forged, StatusCode::FORBIDDEN, "cross_site");
        let own = send(
            &state,
            "POST",
            "/api/v1/workspace/layers",
            &[
                (header::COOKIE, &cookie),
                (header::HOST, "attackdb.example"),
                (header::ORIGIN, "https://attackdb.example"),
            ],
            layer.clone(),
        )
        .await;
        assert_eq!(own.status, StatusCode::CREATED);
        // A token issued over REST is shown once and works at once; removed, it stops.
        let issued = send(
            &state,
            "POST",
            "/api/v1/workspace/users/vic/tokens?label=laptop",
            &[(header::AUTHORIZATION, &bearer(&ana))],
            Body::empty(),
        )
        .await;
        assert_eq!(issued.status, StatusCode::CREATED);
        assert_eq!(issued.headers[header::CACHE_CONTROL], "no-store");
        let secret = issued.json()["secret"].as_str().unwrap().to_string();
        let me = send(
            &state,
            "GET",
            "/api/v1/workspace",
            &[(header::AUTHORIZATION, &bearer(&secret))],
            Body::empty(),
        )
        .await
        .json();
        assert_eq!(
            me["you"],
            serde_json::json!({"name": "vic", "role": "viewer"})
        );
        let removed = send(
            &state,
            "DELETE",
            "/api/v1/workspace/users/vic",
            &[(header::AUTHORIZATION, &bearer(&ana))],
            Body::empty(),
        )
        .await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT);
        let gone = send(
            &state,
            "GET",
            "/api/v1/workspace/layers",
            &[(header::AUTHORIZATION, &bearer(&secret))],
            Body::empty(),
        )
        .await;
        assert_error(&gone, StatusCode::UNAUTHORIZED, "unauthorized");
    }
}

#[tokio::test]
async fn notes_find_their_object_and_trends_draw() {
    for (state, ws, _dir) in servers(true).await {
        // T0800 is only in ICS: the note is kept under it, with the cross-domain note.
        let note = send(
            &state,
            "POST",
            "/api/v1/workspace/notes",
            &[],
            "{\"object\": \"t0800\", \"body\": \"Seen on the **line 3** PLCs.\"}",
        )
        .await;
        assert_eq!(
            note.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&note.body)
        );
        assert_eq!(note.json()["object"], "T0800");
        assert_eq!(note.json()["domain"], "ics-attack");
        assert!(note.headers.get("x-attackdb-note").is_some());
        let unknown = send(
            &state,
            "POST",
            "/api/v1/workspace/notes",
            &[],
            "{\"object\": \"T9999\", \"body\": \"x\"}",
        )
        .await;
        assert_error(&unknown, StatusCode::NOT_FOUND, "not_found");
        let listed = send(
            &state,
            "GET",
            "/api/v1/workspace/notes?object=T0800",
            &[],
            Body::empty(),
        )
        .await
        .json();
        assert_eq!(listed.as_array().unwrap().len(), 1);
        let id = note.json()["id"].as_i64().unwrap();
        let stale = send(
            &state,
            "PUT",
            &format!("/api/v1/workspace/notes/{id}"),
            &[],
            "{\"body\": \"y\", \"version\": 7}",
        )
        .await;
        assert_error(&stale, StatusCode::CONFLICT, "conflict");
        for (taken, percent) in [(1_000, 10.0), (2_000, 30.0)] {
            let body = serde_json::json!({
                "name": "quarterly", "rule_set": "sigma", "domain": "enterprise-attack", "release": "18.1",
                "taken_at": taken, "covered": 1, "total": 10, "percent": percent,
                "tactics": [{"shortname": "execution", "id": "TA0002", "name": "Execution", "covered": 1, "partly": 0, "techniques": 10, "percent": percent}],
                "techniques": {"T1059": {"name": "Command and Scripting Interpreter", "status": "covered", "rules": 3, "score": 1.0, "tactics": ["execution"]}}
            });
            let saved = send(
                &state,
                "POST",
                "/api/v1/workspace/assessments",
                &[],
                body.to_string(),
            )
            .await;
            assert_eq!(
                saved.status,
                StatusCode::CREATED,
                "{}",
                String::from_utf8_lossy(&saved.body)
            );
        }
        let trend = send(
            &state,
            "GET",
            "/api/v1/workspace/trend?name=quarterly",
            &[],
            Body::empty(),
        )
        .await
        .json();
        assert_eq!(
            trend["tactics"][0]["percent"],
            serde_json::json!([10.0, 30.0])
        );
        let svg = send(
            &state,
            "GET",
            "/api/v1/workspace/trend?name=quarterly&format=svg",
            &[],
            Body::empty(),
        )
        .await;
        assert_eq!(svg.headers[header::CONTENT_TYPE], "image/svg+xml");
        let text = String::from_utf8(svg.body).unwrap();
        assert!(
            text.starts_with("<svg")
                && text.contains("Execution (30%)")
                && text.contains("<polyline")
        );
        drop(ws);
    }
}

/// `text` as a form field's value.
fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn text(got: &Got) -> String {
    String::from_utf8_lossy(&got.body).into_owned()
}

#[tokio::test]
async fn pages_show_saved_layers_notes_and_assessments() {
    let Some(layer) = bear() else { return };
    let kb = kb().unwrap();
    let bear = attackdb_navigator::read_layers(&layer)
        .unwrap()
        .into_valid_layers()
        .unwrap()
        .remove(0);
    let dataset = kb.select(attackdb_kb::Domain::Enterprise, None).unwrap();
    let painted = attackdb_web::paint(&bear, dataset);
    for (state, _ws, _dir) in servers(true).await {
        let saved = send(
            &state,
            "POST",
            "/api/v1/workspace/layers?tags=apt",
            &[],
            layer.clone(),
        )
        .await;
        assert_eq!(saved.status, StatusCode::CREATED, "{}", text(&saved));
        let id = saved.json()["id"].as_i64().unwrap();
        let again = send(
            &state,
            "PUT",
            &format!("/api/v1/workspace/layers/{id}?name=Bears%20again"),
            &[(header::IF_MATCH, "\"1\"")],
            layer.clone(),
        )
        .await;
        assert_eq!(again.status, StatusCode::OK, "{}", text(&again));

        // The list and the layer's own page, painted as the navigator paints it.
        let list = send(&state, "GET", "/layers?tag=apt", &[], Body::empty()).await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(text(&list).contains(&format!("<a href=\"/layers/{id}\">Bears again</a>")));
        let none = send(&state, "GET", "/layers?q=zebra", &[], Body::empty()).await;
        assert!(text(&none).contains("id=\"no-layers\""));
        let page = send(&state, "GET", &format!("/layers/{id}"), &[], Body::empty()).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = text(&page);
        assert!(
            html.contains(&format!("(layer {id}, revision 2 of 2)")),
            "{html}"
        );
        assert!(html.contains(&format!(
            "/ui/paint.css?layer=saved%3A{id}&amp;domain=enterprise"
        )));
        assert!(html.contains(&format!("href=\"/layers/{id}?revision=1\"")));
        let old = send(
            &state,
            "GET",
            &format!("/layers/{id}?revision=1"),
            &[],
            Body::empty(),
        )
        .await;
        assert!(text(&old).contains("revision 1 of 2"));
        let css = send(
            &state,
            "GET",
            &format!("/ui/paint.css?layer=saved:{id}&domain=enterprise"),
            &[],
            Body::empty(),
        )
        .await;
        assert_eq!(css.status, StatusCode::OK);
        let css = text(&css);
        assert_eq!(css, attackdb_web::paint_css(&painted));
        assert_eq!(
            css.lines().filter(|l| l.contains("background")).count(),
            painted.cells.iter().filter(|c| c.color.is_some()).count()
        );
        let json = send(
            &state,
            "GET",
            &format!("/ui/layer.json?layer=saved:{id}@1&domain=enterprise"),
            &[],
            Body::empty(),
        )
        .await;
        assert_eq!(json.status, StatusCode::OK);
        assert_eq!(json.json()["name"], bear.name);
        let missing = send(&state, "GET", "/layers/999", &[], Body::empty()).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);

        // A note through the object page's form: refused from another site, kept from ours,
        // shown on the page rendered and sanitised.
        let form = format!(
            "object=T1059.001&domain=enterprise-attack&next=%2Ftechniques%2FT1059%2F001%2F&body={}",
            form_encode(&format!(
                "Seen by **EDR rule 42** on servers, see layer:{id}. <script>alert(1)</script><img src=x onerror=alert(2)>"
            ))
        );
        let forged = send(
            &state,
            "POST",
            "/notes",
            &[
                (header::HOST, "attackdb.example"),
                (header::ORIGIN, "https://evil.example"),
                (header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            ],
            form.clone(),
        )
        .await;
        assert_error(&forged, StatusCode::FORBIDDEN, "cross_site");
        let posted = send(
            &state,
            "POST",
            "/notes",
            &[
                (header::HOST, "attackdb.example"),
                (header::ORIGIN, "http://attackdb.example"),
                (header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            ],
            form,
        )
        .await;
        assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", text(&posted));
        let to = posted.headers[header::LOCATION]
            .to_str()
            .unwrap()
            .to_string();
        assert!(to.starts_with("/techniques/T1059/001/#note-"), "{to}");
        let note_id: i64 = to.rsplit('-').next().unwrap().parse().unwrap();
        let object = send(&state, "GET", "/techniques/T1059/001/", &[], Body::empty()).await;
        let html = text(&object);
        assert!(html.contains(&format!("id=\"note-{note_id}\"")));
        assert!(
            html.contains("Seen by <strong>EDR rule 42</strong>"),
            "{html}"
        );
        assert!(!html.contains("<script>alert") && !html.contains("onerror"));
        assert!(html.contains("id=\"note-form\""));
        let other = send(&state, "GET", "/techniques/T1059/003/", &[], Body::empty()).await;
        assert!(text(&other).contains("id=\"no-notes\""));
        let layer_page = send(&state, "GET", &format!("/layers/{id}"), &[], Body::empty()).await;
        assert!(
            text(&layer_page).contains(&format!("<a href=\"/notes/{note_id}\">note {note_id}</a>"))
        );
        let note_page = send(
            &state,
            "GET",
            &format!("/notes/{note_id}"),
            &[],
            Body::empty(),
        )
        .await;
        assert!(text(&note_page).contains(&format!("<a href=\"/layers/{id}\">layer {id}</a>")));
        let stale = send(
            &state,
            "POST",
            &format!("/notes/{note_id}/delete"),
            &[(header::CONTENT_TYPE, "application/x-www-form-urlencoded")],
            "version=9&next=%2Ftechniques%2FT1059%2F001%2F",
        )
        .await;
        assert_eq!(stale.status, StatusCode::CONFLICT);
        let deleted = send(
            &state,
            "POST",
            &format!("/notes/{note_id}/delete"),
            &[(header::CONTENT_TYPE, "application/x-www-form-urlencoded")],
            "version=1&next=%2Ftechniques%2FT1059%2F001%2F",
        )
        .await;
        assert_eq!(deleted.status, StatusCode::SEE_OTHER);
        let after = send(&state, "GET", "/techniques/T1059/001/", &[], Body::empty()).await;
        assert!(text(&after).contains("id=\"no-notes\""));

        // Assessments: the list, one, its trend (an SVG in the page) and a comparison.
        let mut ids = Vec::new();
        for (taken, status) in [(1_000, "partly"), (2_000, "covered")] {
            let body = serde_json::json!({
                "name": "quarterly", "rule_set": "sigma", "domain": "enterprise-attack", "release": "18.1",
                "taken_at": taken, "covered": 1, "total": 10, "percent": 10.0,
                "tactics": [{"shortname": "execution", "id": "TA0002", "name": "Execution", "covered": 1, "partly": 0, "techniques": 10, "percent": 10.0}],
                "techniques": {"T1059": {"name": "Command and Scripting Interpreter", "status": status, "rules": 3, "score": 1.0, "tactics": ["execution"]}}
            });
            let saved = send(
                &state,
                "POST",
                "/api/v1/workspace/assessments",
                &[],
                body.to_string(),
            )
            .await;
            ids.push(saved.json()["id"].as_i64().unwrap());
        }
        let list = text(&send(&state, "GET", "/assessments", &[], Body::empty()).await);
        assert!(list.contains("/assessments/trend?name=quarterly"));
        assert!(
            list.contains(&format!(
                "/assessments/compare?from={}&amp;to={}",
                ids[0], ids[1]
            )),
            "{list}"
        );
        let one = send(
            &state,
            "GET",
            &format!("/assessments/{}", ids[1]),
            &[],
            Body::empty(),
        )
        .await;
        assert!(text(&one).contains(&format!(
            "/assessments/compare?from={}&amp;to={}",
            ids[0], ids[1]
        )));
        let trend = text(
            &send(
                &state,
                "GET",
                "/assessments/trend?name=quarterly",
                &[],
                Body::empty(),
            )
            .await,
        );
        assert!(trend.contains("<svg") && trend.contains("Execution (10%)"));
        let compare = text(
            &send(
                &state,
                "GET",
                &format!("/assessments/compare?from={}&to={}", ids[0], ids[1]),
                &[],
                Body::empty(),
            )
            .await,
        );
        assert!(compare.contains("1 techniques gained, 0 lost"), "{compare}");
        assert!(compare.contains("<a href=\"/techniques/T1059/\">T1059</a>"));
        let nameless = send(
            &state,
            "GET",
            "/assessments/trend?name=nothing",
            &[],
            Body::empty(),
        )
        .await;
        assert_eq!(nameless.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn workspace_pages_need_a_user_where_users_exist() {
    for (state, ws, _dir) in servers(false).await {
        ws.add_user(&Actor::local(), "vic", Role::Viewer)
            .await
            .unwrap();
        let secret = ws
            .issue_token(&Actor::local(), "vic", "test")
            .await
            .unwrap()
            .secret;
        let page = send(
            &state,
            "GET",
            "/layers",
            &[(header::ACCEPT, "text/html")],
            Body::empty(),
        )
        .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.headers[header::LOCATION], "/login?next=/layers");
        // ATT&CK's pages stay open; the notes section is not shown to an anonymous reader.
        let object = send(&state, "GET", "/techniques/T1059/001/", &[], Body::empty()).await;
        assert_eq!(object.status, StatusCode::OK);
        assert!(!text(&object).contains("team-notes"));
        let bearer = format!("Bearer {secret}");
        let seen = send(
            &state,
            "GET",
            "/techniques/T1059/001/",
            &[(header::AUTHORIZATION, &bearer)],
            Body::empty(),
        )
        .await;
        let html = text(&seen);
        assert!(
            html.contains("id=\"team-notes\"") && !html.contains("id=\"note-form\""),
            "a viewer sees notes, no form"
        );
        let write = send(
            &state,
            "POST",
            "/notes",
            &[
                (header::AUTHORIZATION, &bearer),
                (header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            ],
            "object=T1059&body=x",
        )
        .await;
        assert_eq!(write.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn uploads_over_max_body_are_refused_and_nothing_is_saved() {
    let Some(kb) = kb() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open_file(&dir.path().join("w.db"))
        .await
        .unwrap();
    let config = Config {
        max_body: 1 << 20,
        ..Config::default()
    };
    let state = AppState::from_static(kb, config).with_workspace(ws.clone());
    let big = format!(
        "{{\"name\": \"big\", \"domain\": \"enterprise-attack\", \"description\": \"{}\", \"techniques\": []}}",
        "x".repeat(2 << 20)
    );
    for (method, uri) in [
        ("POST", "/api/v1/workspace/layers"),
        ("POST", "/api/v1/workspace/notes"),
        ("POST", "/api/v1/workspace/assessments"),
    ] {
        let got = send(&state, method, uri, &[], big.clone()).await;
        assert_eq!(
            got.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{uri}: {}",
            text(&got)
        );
    }
    assert!(ws
        .layers(&attackdb_workspace::LayerQuery::default())
        .await
        .unwrap()
        .is_empty());
    assert!(ws.notes(None).await.unwrap().is_empty());
}
