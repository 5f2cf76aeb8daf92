//! The bodies of attackdb's fuzz targets, one function per input family, each taking the raw
//! bytes a fuzzer makes. They must return, whatever the bytes: an error is a fine answer, a
//! panic, an abort or a hang is a bug. Where two paths must agree, they check it (a bundle read
//! whole and read scanned give the same tables; a layer written and read back is the same
//! layer), so the fuzzer also finds wrong answers, not only crashes.
//!
//! `fuzz/` (cargo-fuzz, nightly) runs them under libFuzzer; this crate's tests replay the
//! committed regression inputs, the corpora a fuzz run leaves in `fuzz/corpus/`, and the real
//! files of `../shared` as ordinary tests on stable Rust.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use attackdb_kb::{
    matrix::MatrixOptions, Concept, Dataset, Domain, Relation, Release, ScannedBundle, Visibility,
};

/// A target's body.
pub type Target = fn(&[u8]);

/// Every target, by the name its folders and its libFuzzer binary use.
pub const TARGETS: [(&str, Target); 10] = [
    ("bundle", bundle),
    ("tables", tables),
    ("index", index),
    ("layer", layer),
    ("sigma", sigma),
    ("splunk", splunk),
    ("elastic", elastic),
    ("csv", csv),
    ("expression", expression),
    ("server", server),
];

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// The dataset of a bundle: its domain, else enterprise.
fn dataset_of(scanned: ScannedBundle) -> Dataset {
    scanned.into_dataset()
}

/// Asks `dataset` the questions every front end asks: lists, lookups, every relation family,
/// the matrix, search, and each object's raw JSON.
fn exercise(dataset: &Dataset) {
    for concept in Concept::ALL {
        for id in dataset.list(concept, Visibility::ALL) {
            let _ = (
                dataset.display_id(id),
                dataset.display_name(id),
                dataset.raw_json(id),
            );
            let _ = dataset.lookup(dataset.display_id(id));
        }
    }
    for relation in Relation::ALL {
        let _ = dataset.relation_map(relation);
    }
    let _ = dataset.matrix(&MatrixOptions::default());
    let _ = dataset.search("a", Visibility::LIVE);
    let _ = dataset.search(&"a b ".repeat(40), Visibility::LIVE);
    let _ = dataset.platforms();
}

/// A STIX bundle: read whole and read scanned (the cold path), which must give the same
/// tables; then every question. First the JSON depth scan is held to serde_json's own bound.
pub fn bundle(data: &[u8]) {
    depth_scan_agrees_with_serde_json(&text(data));
    let path = Path::new("fuzz.json");
    let Ok(whole) = attackdb_stix::parse_bundle(path, text(data)) else {
        if ScannedBundle::from_text(path, text(data)).is_ok() {
            panic!("a bundle the whole parse refuses was read scanned");
        }
        return;
    };
    let Ok(scanned) = ScannedBundle::from_text(path, text(data)) else {
        panic!("a bundle the whole parse reads was refused scanned");
    };
    let scanned = dataset_of(scanned);
    let whole = dataset_of(ScannedBundle::from_bundle(whole));
    assert!(
        scanned.index_tables() == whole.index_tables(),
        "a bundle read scanned and read whole gives other tables"
    );
    exercise(&scanned);
}

/// The depth scan run before every JSON parse agrees with serde_json: JSON serde_json reads
/// has no level past its bound by the scan, and where serde_json stops at its bound the scan
/// stops at the same bracket.
fn depth_scan_agrees_with_serde_json(text: &str) {
    let scanned = attackdb_stix::check_json_depth(text, usize::MAX);
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(_) => {
            if let Err(depth) = scanned {
                panic!("the depth scan refuses JSON serde_json reads: {depth}");
            }
        }
        Err(error) => {
            if let Some(depth) = attackdb_stix::too_deep_in_parse(&error) {
                assert!(
                    scanned == Err(depth),
                    "serde_json stops at {depth}, the depth scan says {scanned:?}"
                );
            }
        }
    }
}

/// A small real-shaped bundle: a tactic, two techniques, a group and their relationships.
const SMALL_BUNDLE: &str = r#"{"type": "bundle", "id": "bundle--1", "objects": [
{"type": "x-mitre-collection", "id": "x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019", "name": "Enterprise ATT&CK", "x_mitre_version": "18.1", "spec_version": "2.1"},
{"type": "x-mitre-matrix", "id": "x-mitre-matrix--1", "name": "Enterprise ATT&CK", "tactic_refs": ["x-mitre-tactic--1"], "external_references": [{"source_name": "mitre-attack", "external_id": "enterprise-attack"}]},
{"type": "x-mitre-tactic", "id": "x-mitre-tactic--1", "name": "Execution", "x_mitre_shortname": "execution", "external_references": [{"source_name": "mitre-attack", "external_id": "TA0002"}]},
{"type": "attack-pattern", "id": "attack-pattern--1", "name": "Command and Scripting Interpreter", "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}], "x_mitre_platforms": ["Windows"], "external_references": [{"source_name": "mitre-attack", "external_id": "T1059"}]},
{"type": "attack-pattern", "id": "attack-pattern--2", "name": "PowerShell", "x_mitre_is_subtechnique": true, "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}], "external_references": [{"source_name": "mitre-attack", "external_id": "T1059.001"}]},
{"type": "intrusion-set", "id": "intrusion-set--1", "name": "APT29", "aliases": ["Cozy Bear"], "external_references": [{"source_name": "mitre-attack", "external_id": "G0016"}]},
{"type": "relationship", "id": "relationship--1", "relationship_type": "subtechnique-of", "source_ref": "attack-pattern--2", "target_ref": "attack-pattern--1"},
{"type": "relationship", "id": "relationship--2", "relationship_type": "uses", "source_ref": "intrusion-set--1", "target_ref": "attack-pattern--2", "description": "APT29 used PowerShell."}
]}"#;

/// The small bundle, written once per process (with the folder it is in), for the index
/// targets.
fn small_bundle_file() -> Option<&'static PathBuf> {
    static FILE: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = tempfile::tempdir().ok()?;
        let path = dir.path().join("enterprise-attack-18.1.json");
        std::fs::write(&path, SMALL_BUNDLE).ok()?;
        Some((dir, path))
    })
    .as_ref()
    .map(|(_, path)| path)
}

/// The kb's tables section of a prebuilt index, read against the small bundle: refused, or a
/// dataset that answers every question.
pub fn tables(data: &[u8]) {
    let Ok(bundle) = attackdb_stix::parse_bundle(Path::new("small.json"), SMALL_BUNDLE.to_string())
    else {
        panic!("the small bundle is a bundle");
    };
    if let Ok(dataset) = Dataset::from_index(
        Domain::Enterprise,
        Release::from_bundle("18.1"),
        bundle,
        data,
    ) {
        exercise(&dataset);
    }
}

/// The tables of the small bundle, the seed of the `tables` target.
pub fn small_tables() -> Vec<u8> {
    match attackdb_stix::parse_bundle(Path::new("small.json"), SMALL_BUNDLE.to_string()) {
        Ok(bundle) => dataset_of(ScannedBundle::from_bundle(bundle)).index_tables(),
        Err(_) => Vec::new(),
    }
}

/// A whole prebuilt index file of the small bundle: ignored (with a warning at most), or a
/// dataset that answers every question; never trusted when it does not match.
pub fn index(data: &[u8]) {
    let Some(bundle) = small_bundle_file() else {
        return;
    };
    let Some(dir) = bundle.parent() else {
        return;
    };
    let index = dir.join(format!(
        "fuzz-{:?}.attackdb-index",
        std::thread::current().id()
    ));
    if std::fs::write(&index, data).is_err() {
        return;
    }
    if let Ok(loaded) = attackdb_kb::load_dataset_cached(bundle, std::slice::from_ref(&index)) {
        if let Some(dataset) = loaded.dataset {
            exercise(&dataset);
        }
    }
    let _ = std::fs::remove_file(&index);
}

/// A prebuilt index of the small bundle, the seed of the `index` target.
pub fn small_index() -> Vec<u8> {
    let Some(bundle) = small_bundle_file() else {
        return Vec::new();
    };
    let Some(dir) = bundle.parent() else {
        return Vec::new();
    };
    let index = dir.join("seed.attackdb-index");
    let _ = std::fs::remove_file(&index);
    let _ = attackdb_kb::load_dataset_cached(bundle, std::slice::from_ref(&index));
    std::fs::read(&index).unwrap_or_default()
}

/// A Navigator layer file: read, and each layer written and read back gives the same JSON.
pub fn layer(data: &[u8]) {
    let Ok(file) = attackdb_navigator::read_layers(&text(data)) else {
        return;
    };
    // Only layers read without errors round-trip: a list item that is no layer object at all
    // reads as an empty placeholder carrying the error.
    for read in file.layers.iter().filter(|r| r.is_valid()) {
        let Ok(written) = attackdb_navigator::layer_to_json(&read.layer) else {
            continue;
        };
        let Ok(again) = attackdb_navigator::read_layers(&written) else {
            panic!("a layer attackdb wrote does not read back: {written}");
        };
        let Some(again) = again.layers.first() else {
            panic!("a layer attackdb wrote reads back as no layer");
        };
        let rewritten = attackdb_navigator::layer_to_json(&again.layer).unwrap_or_default();
        assert!(
            rewritten == written,
            "a layer written and read back is another layer:\n{written}\n{rewritten}"
        );
    }
}

fn rules(data: &[u8], name: &str, format: attackdb_coverage::Format) {
    let _ = attackdb_coverage::read_text(Path::new(name), &text(data), Some(format));
}

/// A Sigma rule file.
pub fn sigma(data: &[u8]) {
    rules(data, "rule.yml", attackdb_coverage::Format::Sigma);
}

/// A Splunk security_content detection.
pub fn splunk(data: &[u8]) {
    rules(data, "detection.yml", attackdb_coverage::Format::Splunk);
}

/// An Elastic detection-rules TOML file.
pub fn elastic(data: &[u8]) {
    rules(data, "rule.toml", attackdb_coverage::Format::Elastic);
}

/// A CSV rule inventory.
pub fn csv(data: &[u8]) {
    rules(data, "rules.csv", attackdb_coverage::Format::Csv);
}

/// A `layer combine` score expression: parsed, then evaluated with every variable set.
pub fn expression(data: &[u8]) {
    let Ok(expr) = attackdb_navigator::Expr::parse(&text(data)) else {
        return;
    };
    let _ = expr.eval(&|name: &str| Some(name.len() as f64));
    let _ = expr.eval(&|_: &str| None);
}

/// The server over the small bundle, and a runtime to ask it, made once per process.
fn server_state() -> Option<&'static (tokio::runtime::Runtime, axum::Router)> {
    static STATE: OnceLock<Option<(tokio::runtime::Runtime, axum::Router)>> = OnceLock::new();
    STATE
        .get_or_init(|| {
            let bundle =
                attackdb_stix::parse_bundle(Path::new("small.json"), SMALL_BUNDLE.to_string())
                    .ok()?;
            let kb = attackdb_kb::Kb::from_bundles(vec![bundle]);
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            let state = attackdb_server::AppState::new(kb, attackdb_server::Config::default());
            Some((runtime, attackdb_server::router(state)))
        })
        .as_ref()
}

/// A request to the server (REST, TAXII, the web UI): the first line is the path and query,
/// the rest, if any, a body POSTed there. Any answer is fine but a server error (5xx): hostile
/// parameters and bodies are the client's error.
pub fn server(data: &[u8]) {
    use axum::body::Body;
    use axum::http::{header, Method, Request};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let Some((runtime, app)) = server_state() else {
        return;
    };
    let text = text(data);
    let (target, body) = text.split_once('\n').unwrap_or((&text, ""));
    let Ok(uri) = format!("/{}", target.trim_start_matches('/')).parse::<axum::http::Uri>() else {
        return;
    };
    let method = if body.is_empty() {
        Method::GET
    } else {
        Method::POST
    };
    let Ok(request) = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/taxii+json;version=2.1")
        .body(Body::from(body.to_string()))
    else {
        return;
    };
    let app = app.clone();
    runtime.block_on(async move {
        let Ok(response) = app.oneshot(request).await;
        let status = response.status();
        let bytes = response.into_body().collect().await.map(|b| b.to_bytes());
        assert!(
            !status.is_server_error() || status.as_u16() == 503,
            "{target:?} answered {status}: {:?}",
            bytes.map(|b| String::from_utf8_lossy(&b).into_owned())
        );
    });
}
