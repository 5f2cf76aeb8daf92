//! `attackdb map` end to end on the real releases: the JSON answer is REST's
//! (`POST /api/v1/map`) byte for byte, `--lines` maps each line as `map` maps it alone, the
//! layer validates with no problem, the HTML report marks its sentences, bad input is refused
//! with the reason, and `--evaluate` says what it scored.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use attackdb_server::{router, AppState, Config};
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use common::{attackdb, data_dir};

const REPORT: &str = "Operation Example\n\n\
In March, APT29 sent spearphishing emails with malicious Word attachments to government staff. \
When opened, the macro launched PowerShell to download a second-stage loader. \
The actors then dumped credentials from LSASS memory using Mimikatz and moved laterally over RDP (T1021.001). \
This report also mentions T1086.\n";

fn ok(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn map_answers_as_rest_does_and_writes_its_layer_and_report() {
    let Some(data) = data_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.txt");
    std::fs::write(&file, REPORT).unwrap();
    let path = file.to_str().unwrap();
    let layer = dir.path().join("layer.json");
    let output = attackdb(
        &data,
        &["map", path, "--json", "--layer", layer.to_str().unwrap()],
    );
    let cli = ok(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("T1086 is revoked: mapped to T1059.001"),
        "{stderr}"
    );
    let answer: Value = serde_json::from_str(&cli).unwrap();
    // Written by ID (T1021.001, and T1086 that T1059.001 replaces): first, scored 1.
    let first: std::collections::BTreeSet<&str> = answer["techniques"].as_array().unwrap()[..2]
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(first, ["T1021.001", "T1059.001"].into_iter().collect());
    assert_eq!(answer["techniques"][0]["score"], 1.0);
    assert_eq!(answer["entities"][0]["id"], "G0016");
    // REST's twin, from the same bytes.
    let kb = attackdb_kb::Kb::load(std::slice::from_ref(&data)).unwrap();
    let state = AppState::new(kb, Config::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, rest) = runtime.block_on(async {
        let request = Request::post("/api/v1/map?name=report.txt")
            .body(Body::from(REPORT))
            .unwrap();
        let response = router(state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        (
            status,
            String::from_utf8(
                response
                    .into_body()
                    .collect()
                    .await
                    .unwrap()
                    .to_bytes()
                    .to_vec(),
            )
            .unwrap(),
        )
    });
    assert_eq!(status, 200, "{rest}");
    assert_eq!(rest, cli);
    let (status, refused) = runtime.block_on(async {
        let request = Request::post("/api/v1/map?min_score=2")
            .body(Body::from(REPORT))
            .unwrap();
        let response = router(state.clone()).oneshot(request).await.unwrap();
        (
            response.status(),
            String::from_utf8(
                response
                    .into_body()
                    .collect()
                    .await
                    .unwrap()
                    .to_bytes()
                    .to_vec(),
            )
            .unwrap(),
        )
    });
    assert_eq!(status, 400, "{refused}");
    assert!(refused.contains("between 0 and 1"));
    // The layer validates with no problem.
    let validated: Value = serde_json::from_str(&ok(&attackdb(
        &data,
        &["layer", "validate", layer.to_str().unwrap(), "--json"],
    )))
    .unwrap();
    assert_eq!(validated["valid"], true);
    assert_eq!(validated["layers"][0]["problems"], serde_json::json!([]));
    assert_eq!(
        validated["layers"][0]["techniques"],
        answer["techniques"].as_array().unwrap().len()
    );
    // The HTML report marks the mapped sentences and escapes the text.
    let html = ok(&attackdb(&data, &["map", path, "--format", "html"]));
    assert!(
        html.contains("<mark>The actors then dumped credentials"),
        "{html}"
    );
    assert!(html.contains("for an analyst to review"));
    // The table says what it is.
    let table = ok(&attackdb(&data, &["map", path]));
    assert!(table
        .lines()
        .next()
        .unwrap()
        .contains("suggested techniques for an analyst to review"));
    assert!(table.contains("T1021.001") && table.contains("G0016"));
}

#[test]
fn lines_are_mapped_one_by_one() {
    let Some(data) = data_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lines.txt");
    std::fs::write(
        &file,
        "The actor used T1059.001 to run scripts.\n\nIt dumped LSASS memory with a custom tool.\n",
    )
    .unwrap();
    let out = ok(&attackdb(
        &data,
        &["map", file.to_str().unwrap(), "--lines"],
    ));
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["techniques"][0]["id"], "T1059.001");
    assert_eq!(lines[1], serde_json::json!({}));
    let alone = dir.path().join("alone.txt");
    std::fs::write(&alone, "It dumped LSASS memory with a custom tool.").unwrap();
    let single: Value = serde_json::from_str(&ok(&attackdb(
        &data,
        &["map", alone.to_str().unwrap(), "--json"],
    )))
    .unwrap();
    assert_eq!(lines[2]["techniques"], single["techniques"]);
    assert_eq!(lines[2]["techniques"][0]["id"], "T1003.001");
}

#[test]
fn bad_reports_are_refused_with_the_reason() {
    let Some(data) = data_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, reason) in [
        (
            "empty.txt",
            b"  \n".to_vec(),
            "empty.txt: the report is empty",
        ),
        (
            "tool.bin",
            b"MZ\0\0\x90".to_vec(),
            "tool.bin: binary data, not a text",
        ),
        ("paper.pdf", b"%PDF-1.7\n".to_vec(), "paper.pdf: a PDF"),
        (
            "latin1.txt",
            b"caf\xe9".to_vec(),
            "latin1.txt: not UTF-8 text (byte 3 is not)",
        ),
        (
            "huge.txt",
            vec![b'a'; (16 << 20) + 1],
            "is over the 16 MiB a report may have",
        ),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let output = attackdb(&data, &["map", file.to_str().unwrap()]);
        assert!(!output.status.success(), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(reason), "{name}: {stderr}");
        assert!(
            stderr.lines().filter(|l| !l.trim().is_empty()).count() <= 2,
            "one line and a hint: {stderr}"
        );
    }
    let older = attackdb(&data, &["map", "--evaluate", "18.1", "--release", "17.1"]);
    assert!(!older.status.success());
    assert!(String::from_utf8_lossy(&older.stderr).contains("18.1 is not older than 17.1"));
}

#[test]
fn the_model_is_kept_beside_the_indexes_and_relearned_when_damaged() {
    let Some(data) = data_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let file = dir.path().join("report.txt");
    std::fs::write(&file, REPORT).unwrap();
    let run = || {
        let output =
            common::attackdb_command(&data, &["map", file.to_str().unwrap(), "--json"], 100)
                .env("ATTACKDB_HOME", &home)
                .output()
                .unwrap();
        ok(&output)
    };
    let first = run();
    let kept = home.join("index/map-enterprise-18.1.bin");
    let size = std::fs::metadata(&kept).unwrap().len();
    assert!(size > 1 << 20, "{size}");
    assert_eq!(run(), first, "read back, the same answer");
    // A damaged file is learned again and replaced; a changed one (another key) too.
    std::fs::write(&kept, &std::fs::read(&kept).unwrap()[..1000]).unwrap();
    assert_eq!(run(), first);
    assert_eq!(std::fs::metadata(&kept).unwrap().len(), size);
    let mut other = std::fs::read(&kept).unwrap();
    other[8] ^= 0xff;
    std::fs::write(&kept, &other).unwrap();
    assert_eq!(run(), first);
    assert_eq!(std::fs::read(&kept).unwrap()[8], other[8] ^ 0xff);
}
