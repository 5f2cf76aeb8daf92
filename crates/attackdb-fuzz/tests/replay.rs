//! Every fuzz target over, as ordinary tests on stable Rust: the regression inputs kept in
//! `fuzz/regressions/<target>/` (each a crash or wrong answer a fuzz run found, fixed since),
//! the corpus a local fuzz run left in `fuzz/corpus/<target>/` if there is one, the project's
//! own fixtures, and the real files of `../shared` read in place (the seeds of the fuzz runs).
//! A target must return on every one of them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every file under `dir` (recursively) whose name ends with one of `endings` (all when empty).
fn files(dir: &Path, endings: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if endings.is_empty()
                || endings.iter().any(|e| path.to_string_lossy().ends_with(e))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn target(name: &str) -> fn(&[u8]) {
    attackdb_fuzz::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .unwrap()
}

/// Runs target `name` over the kept inputs and `more`; returns how many inputs it took.
fn replay(name: &str, more: Vec<Vec<u8>>) -> usize {
    let run = target(name);
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for folder in ["fuzz/regressions", "fuzz/corpus"] {
        // A fuzz run going on beside the tests removes inputs it has reduced: those are gone.
        for file in files(&repo().join(folder).join(name), &[]) {
            if let Ok(input) = std::fs::read(file) {
                inputs.push(input);
            }
        }
    }
    inputs.extend(more);
    for input in &inputs {
        run(input);
    }
    inputs.len()
}

fn read_all(paths: Vec<PathBuf>) -> Vec<Vec<u8>> {
    paths
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

fn shared_files(under: &str, endings: &[&str]) -> Vec<PathBuf> {
    match attackdb_testdata::shared() {
        Some(shared) => files(&shared.join(under), endings),
        None => Vec::new(),
    }
}

fn fixtures(under: &str) -> Vec<PathBuf> {
    files(
        &repo()
            .join("crates/attackdb-coverage/tests/fixtures")
            .join(under),
        &[],
    )
}

#[test]
fn bundles() {
    // The smaller real releases whole (enterprise is exercised by every other test).
    let mut inputs = Vec::new();
    if let Some(dir) = attackdb_testdata::data_dir() {
        for domain in ["ics", "mobile"] {
            for file in files(&dir.join(format!("{domain}-attack")), &[".json.gz"]) {
                inputs.push(attackdb_stix::read_text(&file).unwrap().into_bytes());
            }
        }
        assert_eq!(inputs.len(), 6);
    }
    inputs.push(b"{}".to_vec());
    replay("bundle", inputs);
}

#[test]
fn index_tables_and_files() {
    let tables = attackdb_fuzz::small_tables();
    assert!(!tables.is_empty());
    let mut cut = Vec::new();
    for at in (0..tables.len()).step_by(7) {
        cut.push(tables[..at].to_vec());
    }
    cut.push(tables);
    replay("tables", cut);
    let index = attackdb_fuzz::small_index();
    assert!(index.starts_with(b"ATTACKDB") || !index.is_empty());
    let mut damaged = vec![index.clone()];
    for at in (0..index.len()).step_by(97) {
        let mut flipped = index.clone();
        flipped[at] ^= 0x41;
        damaged.push(flipped);
    }
    replay("index", damaged);
}

#[test]
fn layers() {
    let mut inputs = read_all(shared_files("corpora/navigator-layers", &[".json"]));
    inputs.extend(read_all(fixtures("layers")));
    if attackdb_testdata::shared().is_some() {
        assert_eq!(inputs.len(), 8);
    }
    replay("layer", inputs);
}

#[test]
fn rules_of_every_format() {
    let sigma = read_all(shared_files("corpora/sigma", &[".yml", ".yaml"]));
    let mut all_sigma = sigma;
    all_sigma.extend(read_all(fixtures("sigma")));
    replay("sigma", all_sigma);
    replay(
        "splunk",
        read_all(shared_files("corpora/splunk-security-content", &[".yml"])),
    );
    replay("elastic", read_all(fixtures("elastic")));
    replay("csv", read_all(fixtures("csv")));
}

#[test]
fn expressions() {
    let inputs: Vec<Vec<u8>> = [
        "a",
        "a + b",
        "(a + b) / 2",
        "a > 0 ? a : b",
        "max(a, b, c)",
        "not a",
        "abs(a - b)",
        "a and b or not c",
        "a ^ 2",
        "((((a))))",
        "",
        "a +",
        "min()",
    ]
    .iter()
    .map(|e| e.as_bytes().to_vec())
    .collect();
    replay("expression", inputs);
}

/// Requests as the server's clients make them, the seeds of the `server` target.
pub const REQUESTS: [&str; 16] = [
    "/api/v1/objects/T1059.001",
    "/api/v1/objects/APT29/related",
    "/api/v1/list/techniques?platform=Windows&include_revoked=true",
    "/api/v1/search?q=powershell&limit=5",
    "/api/v1/matrix?domain=enterprise&subtechniques=true",
    "/api/v1/relation/techniques_used_by_group/G0016",
    "/api/v1/diff?from=18.0&to=18.1",
    "/taxii2/",
    "/taxii2/api/collections/",
    "/taxii2/api/collections/x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019/objects/?limit=2&match[type]=attack-pattern&added_after=2020-01-01T00:00:00Z",
    "/techniques/T1059/001/",
    "/matrices/enterprise/?platform=Linux",
    "/search?q=apt",
    "/api/v1/layers/validate\n{\"name\": \"x\", \"domain\": \"enterprise-attack\", \"techniques\": [{\"techniqueID\": \"T1059\", \"score\": 1}]}",
    "/api/v1/layers/combine?expr=a%2Bb\n[{\"name\": \"a\", \"domain\": \"enterprise-attack\"}]",
    "/api/v1/coverage?format=csv\nrule,T1059.001\n",
];

#[test]
fn server_requests() {
    let mut inputs: Vec<Vec<u8>> = REQUESTS.iter().map(|r| r.as_bytes().to_vec()).collect();
    inputs.push(b"/api/v1/objects/%ff%fe".to_vec());
    inputs.push(b"/taxii2/api/collections/x/objects/?limit=-1&next=zzz".to_vec());
    replay("server", inputs);
}
