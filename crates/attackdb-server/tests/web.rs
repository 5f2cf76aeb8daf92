//! The web UI through the router, on the real releases: the page of every enterprise 18.1
//! object at the path of its ATT&CK URL, revoked objects and their replacements, the matrix,
//! search, changes, coverage upload, layer painting, and the security headers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

use attackdb_kb::Kb;
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
            Some(AppState::new(kb, Config::default()))
        })
        .clone()
}

struct Got {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn send(app: &axum::Router, request: Request<Body>) -> Got {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Got {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).to_string(),
    }
}

async fn get(app: &axum::Router, path: &str) -> Got {
    send(app, Request::get(path).body(Body::empty()).unwrap()).await
}

/// The text of a page with the entities the templates write turned back into characters.
fn unescape(html: &str) -> String {
    html.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The enterprise 18.1 bundle read with serde_json alone (not through attackdb).
fn raw_objects() -> Option<Vec<Value>> {
    let dir = attackdb_testdata::data_dir()?;
    let file = std::fs::File::open(dir.join("enterprise-attack/enterprise-attack-18.1.json.gz"))
        .expect("enterprise 18.1");
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap();
    let bundle: Value = serde_json::from_str(&text).unwrap();
    Some(bundle["objects"].as_array().unwrap().clone())
}

fn attack_ref(object: &Value) -> Option<(String, String)> {
    object["external_references"]
        .as_array()?
        .iter()
        .find(|r| r["source_name"] == "mitre-attack" && r["external_id"].is_string())
        .and_then(|r| {
            Some((
                r["external_id"].as_str()?.to_string(),
                r["url"].as_str()?.to_string(),
            ))
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_enterprise_object_has_its_page_at_its_attack_path() {
    let (Some(state), Some(objects)) = (state(), raw_objects()) else {
        return;
    };
    let app = router(state);
    let by_stix: HashMap<&str, &Value> = objects
        .iter()
        .filter_map(|o| Some((o["id"].as_str()?, o)))
        .collect();
    let revoked_by: HashMap<&str, &str> = objects
        .iter()
        .filter(|o| o["type"] == "relationship" && o["relationship_type"] == "revoked-by")
        .filter_map(|o| Some((o["source_ref"].as_str()?, o["target_ref"].as_str()?)))
        .collect();
    // Which object a path shows when several share it: the live one.
    let mut live_paths: HashMap<String, usize> = HashMap::new();
    for o in &objects {
        if let Some((_, url)) = attack_ref(o) {
            let live = o["revoked"] != true && o["x_mitre_deprecated"] != true;
            if live {
                let path = url
                    .trim_start_matches("https://attack.mitre.org")
                    .to_string();
                *live_paths.entry(path).or_default() += 1;
            }
        }
    }
    let mut checked = 0;
    let mut revoked_checked = 0;
    let mut analytics = 0;
    let mut failures = Vec::new();
    for object in &objects {
        let Some((id, url)) = attack_ref(object) else {
            continue;
        };
        let Some(path) = url.strip_prefix("https://attack.mitre.org") else {
            continue;
        };
        let (page_path, anchor) = match path.split_once('#') {
            Some((page, anchor)) => (page, Some(anchor)),
            None => (path, None),
        };
        let live = object["revoked"] != true && object["x_mitre_deprecated"] != true;
        if !live && live_paths.contains_key(path) {
            continue; // the path shows the live object holding the same ID
        }
        let got = get(&app, page_path).await;
        if got.status != StatusCode::OK {
            failures.push(format!("{page_path}: {}", got.status));
            continue;
        }
        let text = unescape(&got.body);
        let name = object["name"].as_str().unwrap_or_default();
        match anchor {
            Some(anchor) => {
                analytics += 1;
                if !text.contains(&format!("id=\"{anchor}\"")) || !text.contains(name) {
                    failures.push(format!("{page_path}: no analytic {anchor} {name}"));
                }
            }
            None => {
                if !text.contains(&id) || !text.contains(name) {
                    failures.push(format!("{page_path}: {id} {name} not in the page"));
                }
            }
        }
        if object["revoked"] == true {
            // Follow the chain to the object in place now (T1150 -> T1547.011 -> T1647).
            let mut current = object["id"].as_str().unwrap_or_default();
            let mut steps = 0;
            while let Some(next) = revoked_by.get(current) {
                current = next;
                steps += 1;
                if by_stix.get(current).is_some_and(|o| o["revoked"] != true) || steps > 10 {
                    break;
                }
            }
            let replacement = (steps > 0)
                .then(|| by_stix.get(current))
                .flatten()
                .and_then(|r| attack_ref(r));
            if let Some((new_id, new_url)) = replacement {
                let new_path = new_url.trim_start_matches("https://attack.mitre.org");
                let href = format!("href=\"{}/\"", new_path.trim_end_matches('/'));
                if !got.body.contains(&href) || !text.contains(&new_id) {
                    failures.push(format!("{page_path}: revoked, no link {href} to {new_id}"));
                }
                revoked_checked += 1;
            }
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} failures: {:#?}",
        failures.len(),
        &failures[..failures.len().min(30)]
    );
    // Every object with an ATT&CK URL of enterprise 18.1 (less retired ones whose path a live
    // object holds), 1,739 of them analytics (anchors on their strategy's page); each of the
    // 140 revoked ones links to the object in its place now, following revocation chains.
    assert_eq!((checked, analytics, revoked_checked), (4721, 1739, 140));
}

#[tokio::test]
async fn pages_carry_security_headers_and_errors_are_pages() {
    let Some(state) = state() else { return };
    let app = router(state);
    let got = get(&app, "/techniques/T1059/001").await;
    assert_eq!(got.status, StatusCode::OK);
    let csp = got.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(got.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(got.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    // No inline script and no other host in any page.
    assert!(!got.body.contains("<script>"));
    assert_eq!(
        got.body.matches("<script").count(),
        1,
        "only /static/app.js"
    );
    assert!(
        !got.body.contains("src=\"http"),
        "nothing loaded from another host"
    );
    // The procedure examples of T1059.001, counted from the raw bundle: live `uses`
    // relationships from live groups, software and campaigns to it.
    let objects = raw_objects().unwrap();
    let live = |o: &Value| o["revoked"] != true && o["x_mitre_deprecated"] != true;
    let by_stix: HashMap<&str, &Value> = objects
        .iter()
        .filter_map(|o| Some((o["id"].as_str()?, o)))
        .collect();
    let target = "attack-pattern--970a3432-3237-47ad-bcca-7d8cbb217736";
    let examples = objects
        .iter()
        .filter(|o| o["type"] == "relationship" && o["relationship_type"] == "uses")
        .filter(|o| o["target_ref"] == target && live(o))
        .filter(|o| {
            by_stix
                .get(o["source_ref"].as_str().unwrap_or_default())
                .is_some_and(|s| live(s))
        })
        .count();
    assert_eq!(examples, 223);
    assert!(got.body.contains(&format!("{examples} in all")));
    // Trailing slash optional; unknown objects and paths are HTML 404 pages.
    let missing = get(&app, "/techniques/T9999/").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.body.contains("T9999: no technique has this ID"),
        "{}",
        missing.body
    );
    assert!(missing.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(
        get(&app, "/nothing/here").await.status,
        StatusCode::NOT_FOUND
    );
    // API paths keep their JSON errors.
    let api = get(&app, "/api/v1/nothing").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.body.starts_with('{'));
    let css = get(&app, "/static/app.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
}

#[tokio::test]
async fn older_releases_live_under_versions() {
    let Some(state) = state() else { return };
    let app = router(state);
    // T1086 (PowerShell) was revoked in favour of T1059.001 long before 17.1.
    let got = get(&app, "/versions/v17.1/techniques/T1086/").await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got
        .body
        .contains("href=\"/versions/v17.1/techniques/T1059/001/\""));
    assert!(got.body.contains("Enterprise ATT&amp;CK 17.1"));
    // `v17` is the newest 17.x loaded.
    let major = get(&app, "/versions/v17/groups/G0016").await;
    assert!(
        major.body.contains("Enterprise ATT&amp;CK 17.1"),
        "{}",
        major.status
    );
    // Data components before 18 have no ATT&CK ID: their pages are at /stix/ID/, linked from
    // their data source, and list the techniques their `detects` relationships name.
    let source = get(&app, "/versions/v17.1/datasources/DS0017/").await;
    let href = source
        .body
        .split("href=\"")
        .find(|h| h.starts_with("/versions/v17.1/stix/x-mitre-data-component--"))
        .map(|h| h.split('"').next().unwrap().to_string())
        .expect("a link to Command Execution");
    let component = get(&app, &href).await;
    assert_eq!(component.status, StatusCode::OK, "{href}");
    assert!(component.body.contains("Command Execution"));
    let v17 = state_kb_dataset("17.1");
    let id = v17
        .by_stix_id(href.trim_end_matches('/').rsplit('/').next().unwrap())
        .unwrap();
    let detected = v17.related(attackdb_kb::Relation::TechniquesDetectedByDatacomponent, id);
    assert!(detected.len() > 10);
    assert!(
        component.body.contains(&format!(
            "{} techniques and sub-techniques this component lets you see (through detects",
            detected.len()
        )),
        "{}",
        detected.len()
    );
    // A release not loaded says which are.
    let none = get(&app, "/versions/v9.0/groups/G0016/").await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    assert!(none.body.contains("loaded: "), "{}", none.body);
    // ICS objects whose ID other domains also hold open with ?domain=ics; the ICS matrix links
    // its techniques at their own paths.
    let ics = get(&app, "/matrices/ics/").await;
    assert!(ics.body.contains("href=\"/techniques/T0800/\""));
    let group = get(&app, "/groups/G0034/?domain=ics").await;
    assert!(
        group.body.contains("ICS ATT&amp;CK 18.1"),
        "{}",
        group.status
    );
}

fn state_kb_dataset(release: &str) -> &'static attackdb_kb::Dataset {
    state()
        .unwrap()
        .kb()
        .select(
            attackdb_kb::Domain::Enterprise,
            Some(&release.parse().unwrap()),
        )
        .unwrap()
}

#[tokio::test]
async fn the_matrix_search_and_changes_pages() {
    let Some(state) = state() else { return };
    let kb = state.kb();
    let app = router(state);
    let matrix = get(&app, "/matrices/enterprise/").await;
    let dataset = kb.select(attackdb_kb::Domain::Enterprise, None).unwrap();
    let expected = dataset.matrix(&attackdb_kb::matrix::MatrixOptions {
        platforms: Vec::new(),
        subtechniques: true,
    });
    assert_eq!(
        matrix.body.matches("<li class=\"tech").count(),
        expected.technique_cells()
    );
    assert!(matrix.body.contains("14 tactics, 250 techniques"));
    let linux = get(&app, "/matrices/enterprise/?platform=linux").await;
    assert!(linux.body.contains("on Linux"), "{}", linux.status);
    assert!(
        !linux.body.contains("data-t=\"T1059.001\""),
        "PowerShell is Windows only"
    );
    let search = get(&app, "/search?q=powershell").await;
    assert!(search.body.contains("href=\"/techniques/T1059/001/\""));
    let changes = get(&app, "/changes?domain=enterprise&from=18.0&to=18.1").await;
    assert_eq!(changes.status, StatusCode::OK);
    let diff = attackdb_kb::diff::diff_releases(
        kb.select(
            attackdb_kb::Domain::Enterprise,
            Some(&"18.0".parse().unwrap()),
        )
        .unwrap(),
        dataset,
    );
    let total: usize = diff
        .types
        .values()
        .flat_map(|t| t.categories.values())
        .map(Vec::len)
        .sum();
    assert!(
        changes
            .body
            .contains(&format!("{total} objects changed from 18.0 to 18.1")),
        "{total}"
    );
}

#[tokio::test]
async fn coverage_upload_paints_the_matrix() {
    let Some(state) = state() else { return };
    let Some(sigma) = attackdb_testdata::corpus("sigma") else {
        return;
    };
    let app = router(state.clone());
    // Two real Sigma rules, uploaded as the form sends them.
    let mut files = Vec::new();
    for entry in walk(&sigma) {
        if entry.extension().is_some_and(|e| e == "yml") {
            let text = std::fs::read_to_string(&entry).unwrap();
            if text.contains("attack.t1059.001") && files.len() < 2 {
                files.push((
                    entry.file_name().unwrap().to_string_lossy().to_string(),
                    text,
                ));
            }
        }
    }
    assert_eq!(files.len(), 2);
    let boundary = "XbOuNdArYx";
    let mut body = String::new();
    for (name, value) in [
        ("domain", "enterprise"),
        ("groups", "G0016"),
        ("format", "auto"),
    ] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    for (name, text) in &files {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"rules\"; filename=\"{name}\"\r\nContent-Type: application/x-yaml\r\n\r\n{text}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let request = Request::post("/coverage")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let got = send(&app, request).await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    let location = got.headers[header::LOCATION].to_str().unwrap().to_string();
    let page = get(&app, &location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("2 rules from 2 files"), "{}", page.body);
    assert!(page.body.contains("id=\"rules-T1059.001\""));
    for (name, _) in &files {
        assert!(page.body.contains(name.as_str()), "{name}");
    }
    assert!(page.body.contains("Gaps for the groups named"));
    // The stylesheet paints T1059.001 in every tactic it is in, with the navigator's colour.
    let id = location.trim_start_matches("/coverage/");
    let css = get(&app, &format!("/ui/paint.css?layer=coverage:{id}")).await;
    assert!(
        css.body
            .contains(".matrix [data-tactic=\"execution\"] [data-t=\"T1059.001\"] > .cell"),
        "{}",
        css.body
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn paint_answers_the_navigator_colours() {
    let Some(state) = state() else { return };
    let app = router(state.clone());
    let layer = r##"{"name": "t", "domain": "enterprise-attack", "versions": {"layer": "4.5"},
        "gradient": {"colors": ["#ff6666", "#ffe766", "#8ec843"], "minValue": 0, "maxValue": 100},
        "techniques": [{"techniqueID": "T1059.001", "score": 50, "comment": "<img src=x onerror=alert(1)>"},
                       {"techniqueID": "T1003", "tactic": "credential-access", "color": "#123456"}]}"##;
    let request = Request::post("/ui/paint?domain=enterprise")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(layer))
        .unwrap();
    let got = send(&app, request).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    let answer: Value = serde_json::from_str(&got.body).unwrap();
    let cells = answer["painted"][0]["cells"].as_array().unwrap();
    let cell = |id: &str| cells.iter().find(|c| c["id"] == id).unwrap();
    // Score 50 of 0..100 on red-yellow-green is the middle colour, as the Navigator paints it.
    let expected = attackdb_navigator::color::ScoreColors::new(&attackdb_navigator::Gradient {
        colors: vec!["#ff6666".into(), "#ffe766".into(), "#8ec843".into()],
        min_value: 0.0,
        max_value: 100.0,
        extra: Default::default(),
    })
    .color(50.0)
    .unwrap();
    assert_eq!(cell("T1059.001")["color"], expected.as_str());
    assert_eq!(cell("T1003")["color"], "#123456");
    assert_eq!(cell("T1003")["text_color"], "#ffffff");
    // The comment comes back as data, for the script to set as text.
    assert_eq!(cell("T1059.001")["comment"], "<img src=x onerror=alert(1)>");
    assert_eq!(answer["layers"][0]["versions"]["layer"], "4.5");
    // Issue 22: its errors have the one API error shape.
    let broken = Request::post("/ui/paint?domain=enterprise")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let got = send(&app, broken).await;
    assert!(got.status.is_client_error(), "{}", got.body);
    let error: Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!(error["code"], "invalid_input", "{error}");
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(
        error.get("hint").is_some() && error.get("error").is_none(),
        "{error}"
    );
}

/// The enterprise 18.1 layer the server makes for `spec`, downloaded as JSON.
async fn layer_json(app: &axum::Router, spec: &str) -> Value {
    let got = get(
        app,
        &format!("/ui/layer.json?layer={spec}&domain=enterprise&release=18.1"),
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{spec}: {}", got.body);
    serde_json::from_str(&got.body).unwrap()
}

/// The objects of technique IDs.
fn observed_of(data: &attackdb_kb::Dataset, ids: &[&str]) -> Vec<attackdb_kb::ObjId> {
    ids.iter().map(|id| data.lookup(id).unwrap()).collect()
}

/// The report of an intelligence page: the HTML after `id="report"`.
fn report(page: &Got) -> &str {
    page.body
        .split_once("id=\"report\"")
        .map_or("", |(_, report)| report)
}

/// Asserts that `ids` appear in `text` in this order.
fn assert_in_order(text: &str, ids: &[String], what: &str) {
    let mut at = 0;
    for id in ids {
        let found = text[at..]
            .find(&format!(">{id}<"))
            .unwrap_or_else(|| panic!("{what}: {id} missing after byte {at}"));
        at += found + id.len();
    }
}

#[tokio::test]
async fn intelligence_pages_answer_as_the_library() {
    let Some(state) = state() else { return };
    let app = attackdb_server::router(state.clone());
    let data = state_kb_dataset("18.1");
    let index = get(&app, "/intel").await;
    assert_eq!(index.status, StatusCode::OK);
    for tool in [
        "profile",
        "similar",
        "overlap",
        "attribute",
        "predict",
        "emulate",
    ] {
        assert!(
            index.body.contains(&format!("href=\"/intel/{tool}\"")),
            "{tool}"
        );
        let empty = get(&app, &format!("/intel/{tool}")).await;
        assert_eq!(empty.status, StatusCode::OK, "{tool}");
        assert!(empty.body.contains("id=\"intel-form\""), "{tool}");
        assert!(report(&empty).is_empty(), "{tool}: no answer before asking");
    }

    // A profile: every technique of the relation family, the layer on the matrix.
    let profile = attackdb_intel::profile(data, "G0016", &Default::default()).unwrap();
    assert_eq!(profile.techniques.len(), 119);
    let page = get(&app, "/intel/profile?ref=APT29").await;
    assert_eq!(page.status, StatusCode::OK);
    let text = report(&page);
    assert!(text.contains("APT29 (G0016)"));
    // IDs standing alone are linked to their pages.
    assert!(text.contains("<strong><a href=\"/techniques/T1589/001/\">T1589.001</a></strong>"));
    for technique in &profile.techniques {
        assert!(text.contains(&technique.id), "{}", technique.id);
    }
    assert!(page
        .body
        .contains("href=\"/matrices/enterprise/?layer=group:G0016\""));
    assert!(page
        .body
        .contains("/api/v1/profile/G0016?domain=enterprise&amp;release=18.1"));

    // Similar: the library's ranking.
    let similar = attackdb_intel::similar(
        data,
        "G0016",
        &attackdb_intel::SimilarOptions {
            top: 5,
            measure: attackdb_intel::Measure::IdfCosine,
        },
    )
    .unwrap();
    let ids: Vec<String> = similar.results.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids.len(), 5);
    let page = get(&app, "/intel/similar?ref=G0016&top=5&measure=idf-cosine").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_in_order(report(&page), &ids, "similar");
    assert!(page.body.contains("<option value=\"idf-cosine\" selected>"));

    // Overlap, and its layer: each technique scored by how many of them use it.
    let answer = attackdb_intel::overlap(data, &["G0016".into(), "G0007".into()]).unwrap();
    let page = get(&app, "/intel/overlap?refs=APT29,%20G0007").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains("layer=overlap:G0016%2CG0007&amp;domain=enterprise"));
    let layer = layer_json(&app, "overlap:G0016,G0007").await;
    let techniques = layer["techniques"].as_array().unwrap();
    assert_eq!(techniques.len(), answer.techniques.len());
    let both = techniques
        .iter()
        .filter(|t| t["score"].as_f64() == Some(2.0))
        .count();
    assert_eq!(both, answer.shared_by_all.len());

    // Attribute: all of APT29's techniques, pasted one per line, rank it first.
    let all: Vec<String> = profile.techniques.iter().map(|t| t.id.clone()).collect();
    let lines = all.join("%0A");
    let page = get(&app, &format!("/intel/attribute?techniques={lines}&top=3")).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = report(&page);
    let first_row = text.split("<tbody>").nth(1).unwrap_or("");
    assert!(
        first_row
            .trim_start()
            .starts_with("<tr><td>1</td><td><a href=\"/groups/G0016/\">G0016</a></td>"),
        "{}",
        &first_row[..first_row.len().min(200)]
    );
    // One ranking over every kind, as the library's `mixed`.
    let mixed = attackdb_intel::attribute(
        data,
        &observed_of(data, &["T1059.001", "T1003.001", "T1566.001"]),
        &attackdb_intel::AttributeOptions {
            top: 5,
            mixed: true,
            ..Default::default()
        },
    )
    .unwrap();
    let ids: Vec<String> = mixed.results.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids.len(), 5);
    let page = get(
        &app,
        "/intel/attribute?techniques=T1059.001,T1003.001,T1566.001&top=5&mixed=1",
    )
    .await;
    assert_in_order(report(&page), &ids, "attribute, mixed");
    assert!(page.body.contains("name=\"mixed\" value=\"1\" checked"));
    // Predict: the library's order, the group left out; revoked and unknown input reported.
    let observed = observed_of(data, &["T1059.001", "T1003.001", "T1566.001"]);
    let predicted = attackdb_intel::predict(
        data,
        &observed,
        &attackdb_intel::PredictOptions {
            top: 10,
            exclude: vec!["G0016".into()],
            ..Default::default()
        },
    )
    .unwrap();
    let ids: Vec<String> = predicted.results.iter().map(|p| p.id.clone()).collect();
    let page = get(
        &app,
        "/intel/predict?techniques=T1086,T1003.001,T1566.001%0AT9999&exclude=G0016&top=10",
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_in_order(report(&page), &ids, "predict");
    assert!(page
        .body
        .contains("T1086 is revoked: replaced by T1059.001"));
    assert!(page
        .body
        .contains("T9999 is not a technique of enterprise-attack 18.1"));
    // A pasted Navigator layer is read as a layer.
    let layer = "{\"domain\":\"enterprise-attack\",\"techniques\":[{\"techniqueID\":\"T1059.001\",\"score\":1},{\"techniqueID\":\"T1003.001\",\"score\":1},{\"techniqueID\":\"T1566.001\",\"score\":1}]}";
    let page = get(
        &app,
        &format!(
            "/intel/predict?exclude=G0016&top=10&techniques={}",
            layer
                .bytes()
                .map(|b| format!("%{b:02X}"))
                .collect::<String>()
        ),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_in_order(report(&page), &ids, "predict from a layer");

    // Emulate: without Atomic tests the page says how to give them; with them, every test.
    let page = get(&app, "/intel/emulate?ref=G0016&platform=Windows").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("attackdb serve --atomics DIR"));
    let Some(atomics) = attackdb_testdata::corpus("atomic-red-team") else {
        return;
    };
    let with_atomics = attackdb_server::router(AppState::from_static(
        state.kb(),
        Config {
            atomics: Some(atomics.clone()),
            ..Config::default()
        },
    ));
    let plan = attackdb_intel::emulate_dir(
        data,
        "G0016",
        &atomics,
        &attackdb_intel::EmulateOptions {
            platform: Some("windows".into()),
            with_software: false,
        },
    )
    .unwrap();
    let page = get(&with_atomics, "/intel/emulate?ref=G0016&platform=Windows").await;
    assert_eq!(page.status, StatusCode::OK);
    let text = report(&page);
    let mut guids = 0;
    for step in &plan.steps {
        for atomic in &step.atomics {
            assert!(text.contains(&atomic.guid), "{}", atomic.guid);
            guids += 1;
        }
    }
    assert_eq!(guids, 523);
    assert!(page
        .body
        .contains("/api/v1/emulate/G0016?domain=enterprise&amp;release=18.1&amp;platform=windows&amp;format=yaml"));

    // The plan as a layer: each technique scored by its tests, gaps 0.
    let layer = layer_json(&with_atomics, "emulate:G0016:windows").await;
    let scores: std::collections::BTreeMap<String, f64> = layer["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["techniqueID"].as_str().unwrap().to_string(),
                t["score"].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    for step in &plan.steps {
        assert_eq!(
            scores.get(&step.technique),
            Some(&(step.atomics.len() as f64))
        );
    }
    assert_eq!(scores.len(), plan.steps.len() + plan.gaps.len());
    assert!(page
        .body
        .contains("href=\"/matrices/enterprise/?layer=emulate:G0016:windows\""));
    let painted = get(
        &with_atomics,
        "/matrices/enterprise/?layer=emulate:G0016:windows",
    )
    .await;
    assert_eq!(painted.status, StatusCode::OK);
    let unpainted = get(&app, "/matrices/enterprise/?layer=emulate:G0016").await;
    assert_eq!(unpainted.status, StatusCode::NOT_FOUND);
    assert!(unpainted.body.contains("attackdb serve --atomics DIR"));

    // Refusals are error pages with the library's message; nothing given is ever run as HTML.
    let unknown = get(&app, "/intel/profile?ref=%3Cscript%3Ealert(1)%3C/script%3E").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown
        .body
        .contains("no group, campaign or software has this ID, name or alias"));
    assert!(!unknown.body.contains("<script>alert"));
    let platform = get(&with_atomics, "/intel/emulate?ref=G0016&platform=bogus").await;
    assert_eq!(platform.status, StatusCode::BAD_REQUEST);
    assert!(platform.body.contains("unknown platform `bogus`"));
    let top = get(&app, "/intel/similar?ref=G0016&top=many").await;
    assert_eq!(top.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        get(&app, "/intel/nothing").await.status,
        StatusCode::NOT_FOUND
    );

    // Group, campaign and software pages lead to their intelligence pages; others do not.
    let group = get(&app, "/groups/G0016/").await;
    assert!(group
        .body
        .contains("href=\"/intel/emulate?ref=G0016&amp;domain=enterprise&amp;release=18.1\""));
    let software = get(&app, "/software/S0002/").await;
    assert!(software.body.contains("href=\"/intel/profile?ref=S0002"));
    assert!(!software.body.contains("/intel/emulate?"));
    let technique = get(&app, "/techniques/T1059/001/").await;
    assert!(!technique.body.contains("id=\"intel-links\""));
}

/// A multipart form as a browser sends it: (field, file name, text); no file name is a field.
fn form(parts: &[(&str, Option<&str>, &str)]) -> (String, String) {
    let boundary = "MaPbOuNdArY";
    let mut body = String::new();
    for (name, file, text) in parts {
        match file {
            Some(file) => body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: text/html\r\n\r\n{text}\r\n"
            )),
            None => body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{text}\r\n"
            )),
        }
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn a_report_uploaded_or_pasted_is_mapped_on_its_page() {
    let Some(state) = state() else { return };
    let app = router(state.clone());
    let html = "<html><body><h1>Report</h1><p>The actor moved laterally over RDP (T1021.001) and dumped LSASS memory.</p><script>T1490</script></body></html>";
    let pasted = "The actor moved laterally over RDP (T1021.001) and dumped LSASS memory.";
    let mut pages = Vec::new();
    for parts in [
        vec![
            ("domain", None, "enterprise"),
            ("text", None, ""),
            ("report", Some("report.html"), html),
        ],
        vec![
            ("domain", None, "enterprise"),
            ("text", None, pasted),
            ("report", Some(""), ""),
        ],
    ] {
        let (kind, body) = form(&parts);
        let request = Request::post("/map")
            .header(header::CONTENT_TYPE, kind)
            .body(Body::from(body))
            .unwrap();
        let got = send(&app, request).await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.body);
        pages.push(got.body);
    }
    assert!(pages[0].contains("Techniques in report.html"));
    assert!(pages[1].contains("Techniques in the pasted text"));
    for page in &pages {
        assert!(page.contains("<tr data-t=\"T1021.001\">"), "{page}");
        assert!(page.contains("<tr data-t=\"T1003.001\">"));
        assert!(
            !page.contains("data-t=\"T1490\""),
            "the script's text is not the report's"
        );
        assert!(page.contains("for an analyst to review"));
    }
    let (kind, body) = form(&[("domain", None, "enterprise"), ("text", None, "  ")]);
    let request = Request::post("/map")
        .header(header::CONTENT_TYPE, kind)
        .body(Body::from(body))
        .unwrap();
    let empty = send(&app, request).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("the report is empty"), "{}", empty.body);
}
