//! `attackdb data ...` end to end: a loopback HTTP server (std only, bounded) serves the real
//! releases under an index made from MITRE's; the tests fetch one release, `latest`, `all`,
//! update, list, import, and, with the server misbehaving, check for a clear one-line error and
//! a data home left exactly as it was.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::data_dir;

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

const MITRE_BASE: &str = "https://raw.githubusercontent.com/mitre-attack/attack-stix-data/master";

// ---------------------------------------------------------------------------------------------
// The loopback server

/// What the server answers to one request.
#[derive(Clone)]
enum Reply {
    /// 200 with this body and its `Content-Length`.
    Body(Arc<Vec<u8>>),
    /// This status and a short body.
    Status(u16),
    /// The whole body's `Content-Length`, then only its first half, then the connection closes.
    CutShort(Arc<Vec<u8>>),
    /// No `Content-Length`: the first half of the body, then the connection closes.
    CutShortUnannounced(Arc<Vec<u8>>),
    /// The whole body's `Content-Length` and a few bytes, then nothing (at most 30 s).
    Stall(Arc<Vec<u8>>),
    /// The whole body's `Content-Length`, then one byte every 50 ms (at most 30 s).
    Trickle(Arc<Vec<u8>>),
}

type Route = Arc<dyn Fn(&str) -> Reply + Send + Sync>;

/// A bounded HTTP/1.1 server on 127.0.0.1: at most 64 connections, 120 s, one thread each;
/// stops when dropped.
struct Server {
    base: String,
    stop: Arc<AtomicBool>,
    hits: Arc<Mutex<Vec<String>>>,
    handle: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts a server whose route is made from its base URL.
    fn start(make_route: impl FnOnce(&str) -> Route) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let route = make_route(&base);
        let stop = Arc::new(AtomicBool::new(false));
        let hits = Arc::new(Mutex::new(Vec::new()));
        let handle = {
            let (stop, hits) = (Arc::clone(&stop), Arc::clone(&hits));
            thread::spawn(move || {
                let started = Instant::now();
                let mut workers = Vec::new();
                while !stop.load(Ordering::SeqCst)
                    && workers.len() < 64
                    && started.elapsed() < Duration::from_secs(120)
                {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (route, hits, stop) =
                                (Arc::clone(&route), Arc::clone(&hits), Arc::clone(&stop));
                            workers.push(thread::spawn(move || {
                                let _ = serve(stream, &route, &hits, &stop);
                            }));
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => break,
                    }
                }
                for worker in workers {
                    let _ = worker.join();
                }
            })
        };
        Server {
            base,
            stop,
            hits,
            handle: Some(handle),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// How many requests asked for `path`.
    fn hits(&self, path: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

fn serve(
    mut stream: TcpStream,
    route: &Route,
    hits: &Mutex<Vec<String>>,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        if stream.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    hits.lock().unwrap().push(path.clone());
    let reply = route(&path);
    let header = |status: &str, length: Option<usize>| {
        let length = length.map_or(String::new(), |n| format!("Content-Length: {n}\r\n"));
        format!("HTTP/1.1 {status}\r\n{length}Content-Type: application/json\r\nConnection: close\r\n\r\n")
    };
    match reply {
        Reply::Body(body) => {
            stream.write_all(header("200 OK", Some(body.len())).as_bytes())?;
            stream.write_all(&body)?;
        }
        Reply::Status(code) => {
            let body = format!("status {code}\n");
            let reason = match code {
                404 => "Not Found",
                500 => "Internal Server Error",
                503 => "Service Unavailable",
                _ => "Whatever",
            };
            stream.write_all(header(&format!("{code} {reason}"), Some(body.len())).as_bytes())?;
            stream.write_all(body.as_bytes())?;
        }
        Reply::CutShort(body) => {
            stream.write_all(header("200 OK", Some(body.len())).as_bytes())?;
            stream.write_all(&body[..body.len() / 2])?;
        }
        Reply::CutShortUnannounced(body) => {
            stream.write_all(header("200 OK", None).as_bytes())?;
            stream.write_all(&body[..body.len() / 2])?;
        }
        Reply::Stall(body) => {
            stream.write_all(header("200 OK", Some(body.len())).as_bytes())?;
            stream.write_all(&body[..1000])?;
            stream.flush()?;
            let started = Instant::now();
            while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(30) {
                thread::sleep(Duration::from_millis(20));
            }
        }
        Reply::Trickle(body) => {
            stream.write_all(header("200 OK", Some(body.len())).as_bytes())?;
            let started = Instant::now();
            for byte in body.iter() {
                if stop.load(Ordering::SeqCst) || started.elapsed() > Duration::from_secs(30) {
                    break;
                }
                stream.write_all(&[*byte])?;
                stream.flush()?;
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
    stream.flush()?;
    let _ = stream.shutdown(std::net::Shutdown::Both);
    Ok(())
}

/// The decompressed bytes of `path` (a `.json.gz`), read once per test binary.
fn decompressed(path: &Path) -> Option<Arc<Vec<u8>>> {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Vec<u8>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(bytes) = cache.lock().unwrap().get(path) {
        return Some(Arc::clone(bytes));
    }
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .unwrap();
    let bytes = Arc::new(bytes);
    cache
        .lock()
        .unwrap()
        .insert(path.to_path_buf(), Arc::clone(&bytes));
    Some(bytes)
}

/// The served bytes of a release (`/ics-attack/ics-attack-18.1.json`, decompressed).
fn release_bytes(data: &Path, domain: &str, release: &str) -> Arc<Vec<u8>> {
    decompressed(&data.join(format!("{domain}/{domain}-{release}.json.gz"))).unwrap()
}

/// MITRE's index.json, cut down to `domains` and to the releases present in the data folder,
/// its URLs pointing at `base`.
fn test_index(data: &Path, base: &str, domains: &[&str]) -> Vec<u8> {
    let text = std::fs::read_to_string(data.join("index.json")).unwrap();
    let mut index: Value = serde_json::from_str(&text).unwrap();
    let collections = index["collections"].as_array_mut().unwrap();
    for collection in collections.iter_mut() {
        let versions = collection["versions"].as_array_mut().unwrap();
        versions.retain(|v| {
            let url = v["url"].as_str().unwrap();
            let rest = url.strip_prefix(MITRE_BASE).unwrap();
            let domain = rest.split('/').nth(1).unwrap();
            domains.contains(&domain) && data.join(format!("{}.gz", &rest[1..])).is_file()
        });
        for version in versions.iter_mut() {
            let url = version["url"].as_str().unwrap().replace(MITRE_BASE, base);
            version["url"] = Value::String(url);
        }
    }
    collections.retain(|c| !c["versions"].as_array().unwrap().is_empty());
    serde_json::to_vec_pretty(&index).unwrap()
}

/// A server of the real releases of `domains` under `/index.json`; `special` answers some paths
/// differently (the misbehaviours).
fn release_server(
    data: &Path,
    domains: &'static [&'static str],
    special: impl Fn(&str) -> Option<Reply> + Send + Sync + 'static,
) -> Server {
    let data = data.to_path_buf();
    Server::start(move |base| {
        let index = Arc::new(test_index(&data, base, domains));
        Arc::new(move |path: &str| {
            if let Some(reply) = special(path) {
                return reply;
            }
            if path == "/index.json" {
                return Reply::Body(Arc::clone(&index));
            }
            let relative = path.trim_start_matches('/');
            if relative.contains("..") {
                return Reply::Status(404);
            }
            if relative.ends_with(".json.gz") {
                return match std::fs::read(data.join(relative)) {
                    Ok(bytes) => Reply::Body(Arc::new(bytes)),
                    Err(_) => Reply::Status(404),
                };
            }
            match decompressed(&data.join(format!("{relative}.gz"))) {
                Some(bytes) => Reply::Body(bytes),
                None => Reply::Status(404),
            }
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Running attackdb

fn attackdb(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_attackdb"));
    command
        .args(args)
        .env("ATTACKDB_HOME", home)
        .env("COLUMNS", "100");
    for name in [
        "ATTACKDB_DATA",
        "ATTACKDB_INDEX",
        "ATTACKDB_HTTP_TIMEOUT",
        "ATTACKDB_HTTP_RETRIES",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

/// Runs a command that must succeed and returns its JSON.
fn ok_json(home: &Path, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    let output = attackdb(home, &args, &[]);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// `[(domain, release)]` of a JSON list of releases.
fn pairs(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["domain"].as_str().unwrap().to_string(),
                r["release"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pair(domain: &str, release: &str) -> (String, String) {
    (domain.to_string(), release.to_string())
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Every file and folder under `dir`, with each file's SHA-256.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(dir).unwrap().to_path_buf();
            if path.is_dir() {
                found.insert(relative, "folder".to_string());
                stack.push(path);
            } else {
                found.insert(relative, sha256(&std::fs::read(&path).unwrap()));
            }
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// Fetching

#[test]
fn fetch_one_release_records_it_and_commands_use_it() {
    let Some(data) = data_dir() else { return };
    let server = release_server(&data, &["ics-attack", "mobile-attack"], |_| None);
    let home = tempfile::tempdir().unwrap();
    let index = server.url("/index.json");
    let report = ok_json(
        home.path(),
        &[
            "data",
            "fetch",
            "--index",
            &index,
            "--domain",
            "ics",
            "--release",
            "17.1",
        ],
    );
    assert_eq!(
        keys(&report),
        ["already_held", "failed", "fetched", "home", "index"]
    );
    assert_eq!(report["failed"], serde_json::json!([]));
    assert_eq!(report["index"], index.as_str());
    assert_eq!(report["already_held"], serde_json::json!([]));
    assert_eq!(pairs(&report["fetched"]), [pair("ics-attack", "17.1")]);
    let fetched = &report["fetched"][0];
    assert_eq!(
        keys(fetched),
        [
            "domain",
            "file",
            "modified",
            "release",
            "retrieved",
            "sha256",
            "size",
            "source"
        ]
    );
    let served = release_bytes(&data, "ics-attack", "17.1");
    let file = PathBuf::from(fetched["file"].as_str().unwrap());
    assert_eq!(
        file,
        home.path().join("releases/ics-attack/ics-attack-17.1.json")
    );
    assert_eq!(std::fs::read(&file).unwrap(), *served);
    assert_eq!(fetched["sha256"], sha256(&served).as_str());
    assert_eq!(fetched["size"], served.len() as u64);
    assert_eq!(
        fetched["source"],
        server.url("/ics-attack/ics-attack-17.1.json").as_str()
    );
    assert_eq!(fetched["modified"], "2025-05-06T14:00:00.188Z");

    // The manifest says the same.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(home.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["format"], 1);
    assert_eq!(manifest["releases"][0]["sha256"], fetched["sha256"]);
    assert_eq!(
        manifest["releases"][0]["file"],
        "releases/ics-attack/ics-attack-17.1.json"
    );

    // status shows it.
    let status = ok_json(home.path(), &["data", "status"]);
    assert_eq!(
        keys(&status),
        ["home", "home_from", "in_use", "releases", "total_size"]
    );
    assert_eq!(status["home_from"], "ATTACKDB_HOME");
    assert_eq!(status["releases"], report["fetched"]);
    assert_eq!(status["total_size"], served.len() as u64);
    assert_eq!(status["in_use"]["from"], "the data home");

    // With no --data and no ATTACKDB_DATA, commands read the data home.
    let shown = ok_json(home.path(), &["--domain", "ics", "stats"]);
    assert!(shown.to_string().contains("17.1"), "{shown}");
    let output = attackdb(home.path(), &["--domain", "ics", "show", "T0800"], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("ics-attack 17.1"));
}

#[test]
fn fetch_defaults_to_the_latest_of_every_domain_and_skips_what_is_held() {
    let Some(data) = data_dir() else { return };
    let server = release_server(&data, &["ics-attack", "mobile-attack"], |_| None);
    let home = tempfile::tempdir().unwrap();
    let index = server.url("/index.json");
    let report = ok_json(home.path(), &["data", "fetch", "--index", &index]);
    assert_eq!(
        pairs(&report["fetched"]),
        [pair("ics-attack", "18.1"), pair("mobile-attack", "18.1")]
    );
    // `--release latest` is the default; nothing is fetched twice.
    let again = ok_json(
        home.path(),
        &["data", "fetch", "--index", &index, "--release", "latest"],
    );
    assert_eq!(again["fetched"], serde_json::json!([]));
    assert_eq!(
        pairs(&again["already_held"]),
        [pair("ics-attack", "18.1"), pair("mobile-attack", "18.1")]
    );
    assert_eq!(server.hits("/mobile-attack/mobile-attack-18.1.json"), 1);
    // Human output: an aligned table.
    let output = attackdb(home.path(), &["data", "fetch", "--index", &index], &[]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.starts_with("DOMAIN         RELEASE  SIZE  STATUS"),
        "{text}"
    );
    assert!(
        text.contains("mobile-attack  18.1           already held"),
        "{text}"
    );
}

#[test]
fn fetch_all_releases_of_one_domain() {
    let Some(data) = data_dir() else { return };
    let server = release_server(&data, &["ics-attack", "mobile-attack"], |_| None);
    let home = tempfile::tempdir().unwrap();
    let index = server.url("/index.json");
    let report = ok_json(
        home.path(),
        &[
            "data",
            "fetch",
            "--index",
            &index,
            "--domain",
            "ics-attack",
            "--release",
            "all",
        ],
    );
    assert_eq!(
        pairs(&report["fetched"]),
        [
            pair("ics-attack", "15.1"),
            pair("ics-attack", "17.1"),
            pair("ics-attack", "18.1")
        ]
    );
    let status = ok_json(home.path(), &["data", "status"]);
    assert_eq!(pairs(&status["releases"]), pairs(&report["fetched"]));
    // A release the index lacks is an error that says what to run.
    let output = attackdb(
        home.path(),
        &[
            "data",
            "fetch",
            "--index",
            &index,
            "--domain",
            "ics",
            "--release",
            "16.0",
        ],
        &[],
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("release 16.0 of ics-attack is not in the index"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn fetch_an_enterprise_release_over_http() {
    let Some(data) = data_dir() else { return };
    let server = release_server(&data, &["enterprise-attack"], |_| None);
    let home = tempfile::tempdir().unwrap();
    let index = server.url("/index.json");
    let report = ok_json(
        home.path(),
        &[
            "data",
            "fetch",
            "--index",
            &index,
            "--domain",
            "enterprise",
            "--release",
            "18.1",
        ],
    );
    assert_eq!(
        pairs(&report["fetched"]),
        [pair("enterprise-attack", "18.1")]
    );
    let served = release_bytes(&data, "enterprise-attack", "18.1");
    assert_eq!(report["fetched"][0]["sha256"], sha256(&served).as_str());
}

#[test]
fn update_fetches_every_newer_release_per_domain() {
    let Some(data) = data_dir() else { return };
    let server = release_server(&data, &["ics-attack", "mobile-attack"], |_| None);
    let home = tempfile::tempdir().unwrap();
    let index = server.url("/index.json");
    // Nothing held: nothing to update.
    let report = ok_json(home.path(), &["data", "update", "--index", &index]);
    assert_eq!(report["fetched"], serde_json::json!([]));
    ok_json(
        home.path(),
        &[
            "data",
            "fetch",
            "--index",
            &index,
            "--domain",
            "ics",
            "--release",
            "15.1",
        ],
    );
    ok_json(
        home.path(),
        &[
            "data",
            "fetch",
            "--index",
            &index,
            "--domain",
            "mobile",
            "--release",
            "17.1",
        ],
    );
    let report = ok_json(home.path(), &["data", "update", "--index", &index]);
    assert_eq!(
        pairs(&report["fetched"]),
        [
            pair("ics-attack", "17.1"),
            pair("ics-attack", "18.1"),
            pair("mobile-attack", "18.1")
        ]
    );
    let report = ok_json(home.path(), &["data", "update", "--index", &index]);
    assert_eq!(report["fetched"], serde_json::json!([]));
    let output = attackdb(home.path(), &["data", "update", "--index", &index], &[]);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "nothing to fetch: no newer release\n"
    );
}

#[test]
fn releases_lists_the_index_and_marks_what_is_held() {
    let Some(data) = data_dir() else { return };
    let server = release_server(&data, &["ics-attack", "mobile-attack"], |_| None);
    let home = tempfile::tempdir().unwrap();
    let index = server.url("/index.json");
    ok_json(
        home.path(),
        &[
            "data",
            "fetch",
            "--index",
            &index,
            "--domain",
            "mobile",
            "--release",
            "17.1",
        ],
    );
    let listed = ok_json(home.path(), &["data", "releases", "--index", &index]);
    assert_eq!(keys(&listed), ["index", "releases"]);
    let releases = listed["releases"].as_array().unwrap();
    assert_eq!(
        pairs(&listed["releases"]),
        [
            pair("ics-attack", "15.1"),
            pair("ics-attack", "17.1"),
            pair("ics-attack", "18.1"),
            pair("mobile-attack", "15.1"),
            pair("mobile-attack", "17.1"),
            pair("mobile-attack", "18.1"),
        ]
    );
    assert_eq!(
        keys(&releases[0]),
        ["domain", "held", "latest", "modified", "release", "url"]
    );
    let held: Vec<bool> = releases
        .iter()
        .map(|r| r["held"].as_bool().unwrap())
        .collect();
    assert_eq!(held, [false, false, false, false, true, false]);
    let latest: Vec<bool> = releases
        .iter()
        .map(|r| r["latest"].as_bool().unwrap())
        .collect();
    assert_eq!(latest, [false, false, true, false, false, true]);
    // --domain filters; the table marks held releases.
    let output = attackdb(
        home.path(),
        &["data", "releases", "--index", &index, "--domain", "mobile"],
        &[],
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("mobile-attack  17.1     2025-05-06  held\n"),
        "{text}"
    );
    assert!(
        text.contains("mobile-attack  18.1     2025-11-13  (latest)\n"),
        "{text}"
    );
    assert!(!text.contains("ics-attack"), "{text}");
}

#[test]
fn a_local_index_uses_the_bundles_beside_it() {
    let Some(data) = data_dir() else { return };
    let home = tempfile::tempdir().unwrap();
    // MITRE's own index.json names github URLs; the copies beside it are used instead.
    let plain = data.join("index.json");
    let report = ok_json(
        home.path(),
        &[
            "data",
            "fetch",
            "--index",
            plain.to_str().unwrap(),
            "--domain",
            "ics",
            "--release",
            "15.1",
        ],
    );
    assert_eq!(pairs(&report["fetched"]), [pair("ics-attack", "15.1")]);
    let source = data.join("ics-attack/ics-attack-15.1.json.gz");
    assert_eq!(report["fetched"][0]["source"], source.to_str().unwrap());
    assert!(home
        .path()
        .join("releases/ics-attack/ics-attack-15.1.json.gz")
        .is_file());
    // A file:// URL of the folder works the same.
    let url = format!("file://{}", data.display());
    let report = ok_json(
        home.path(),
        &[
            "data",
            "fetch",
            "--index",
            &url,
            "--domain",
            "mobile",
            "--release",
            "15.1",
        ],
    );
    assert_eq!(pairs(&report["fetched"]), [pair("mobile-attack", "15.1")]);
}

// ---------------------------------------------------------------------------------------------
// Misbehaving servers: a clear error and an untouched home

/// Fetches ics 15.1 into a new home, then ics 18.1 from a server whose answer for it is
/// `reply`; checks the failure's message contains `expected` and the home did not change.
/// A fresh data home holding ICS 15.1, fetched from `index`, and a snapshot of it.
fn home_with_ics_15_1(index: &str) -> (tempfile::TempDir, BTreeMap<PathBuf, String>) {
    let home = tempfile::tempdir().unwrap();
    let args = ["data", "fetch", "--index", index, "--domain", "ics"];
    ok_json(home.path(), &[&args[..], &["--release", "15.1"]].concat());
    let before = snapshot(home.path());
    (home, before)
}

/// Returns the server (for its hit counts).
fn failing_fetch(
    reply: impl Fn(&Path) -> Reply + Send + Sync + 'static,
    env: &[(&str, &str)],
    expected: &str,
) -> Option<Server> {
    let data = data_dir()?;
    let reply_data = data.clone();
    let server = release_server(&data, &["ics-attack"], move |path| {
        (path == TARGET).then(|| reply(&reply_data))
    });
    let index = server.url("/index.json");
    let (home, before) = home_with_ics_15_1(&index);
    assert!(before.contains_key(Path::new("manifest.json")));
    let started = Instant::now();
    let output = attackdb(
        home.path(),
        &[
            "data",
            "fetch",
            "--index",
            &index,
            "--domain",
            "ics",
            "--release",
            "18.1",
        ],
        env,
    );
    let message = stderr(&output);
    eprintln!("--- fetch {TARGET} ({:?}):\n{message}", started.elapsed());
    assert!(!output.status.success(), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    let errors: Vec<&str> = message
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{message}");
    assert!(
        errors[0].contains(expected),
        "expected {expected:?} in {message}"
    );
    assert!(errors[0].contains(&server.url(TARGET)), "{message}");
    assert_eq!(
        snapshot(home.path()),
        before,
        "the data home changed: {message}"
    );
    // And what was held still loads.
    let shown = ok_json(home.path(), &["data", "status"]);
    assert_eq!(pairs(&shown["releases"]), [pair("ics-attack", "15.1")]);
    Some(server)
}

const TARGET: &str = "/ics-attack/ics-attack-18.1.json";

#[test]
fn http_500_is_retried_then_reported() {
    let Some(server) = failing_fetch(
        |_| Reply::Status(500),
        &[],
        "HTTP 500 Internal Server Error",
    ) else {
        return;
    };
    assert_eq!(server.hits(TARGET), 3, "one try and two retries");
}

#[test]
fn http_404_is_reported_without_retrying() {
    let Some(server) = failing_fetch(|_| Reply::Status(404), &[], "HTTP 404 Not Found") else {
        return;
    };
    assert_eq!(server.hits(TARGET), 1);
}

#[test]
fn a_body_shorter_than_its_content_length_is_rejected() {
    failing_fetch(
        |data| Reply::CutShort(release_bytes(data, "ics-attack", "18.1")),
        &[("ATTACKDB_HTTP_RETRIES", "1")],
        "download cut short",
    );
}

#[test]
fn a_body_cut_short_without_content_length_is_broken_json() {
    failing_fetch(
        |data| Reply::CutShortUnannounced(release_bytes(data, "ics-attack", "18.1")),
        &[("ATTACKDB_HTTP_RETRIES", "0")],
        "the JSON ends early",
    );
}

#[test]
fn a_bundle_of_another_domain_is_rejected() {
    let Some(server) = failing_fetch(
        |data| Reply::Body(release_bytes(data, "mobile-attack", "18.1")),
        &[],
        "expected the ics-attack 18.1 bundle, got mobile-attack 18.1",
    ) else {
        return;
    };
    assert_eq!(server.hits(TARGET), 1, "wrong content is not retried");
}

#[test]
fn a_bundle_of_another_release_is_rejected() {
    failing_fetch(
        |data| Reply::Body(release_bytes(data, "ics-attack", "17.1")),
        &[],
        "expected the ics-attack 18.1 bundle, got ics-attack 17.1",
    );
}

#[test]
fn a_page_that_is_not_a_bundle_is_rejected() {
    failing_fetch(
        |_| Reply::Body(Arc::new(b"<html><body>rate limited</body></html>".to_vec())),
        &[],
        "not an ATT&CK bundle",
    );
}

#[test]
fn a_stall_past_the_timeout_is_reported() {
    failing_fetch(
        |data| Reply::Stall(release_bytes(data, "ics-attack", "18.1")),
        &[
            ("ATTACKDB_HTTP_TIMEOUT", "1"),
            ("ATTACKDB_HTTP_RETRIES", "0"),
        ],
        "timed out",
    );
}

#[test]
fn finding_3_a_gzip_bomb_is_refused_at_the_limit_and_not_retried() {
    // 40 MiB of spaces in 40 KiB of gzip: parsed whole, it was "the JSON ends early", retried
    // twice more, each time holding all of it in memory.
    let bomb = {
        use std::io::Write as _;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&vec![b' '; 40 << 20]).unwrap();
        Arc::new(encoder.finish().unwrap())
    };
    let Some(server) = failing_fetch(
        move |_| Reply::Body(Arc::clone(&bomb)),
        &[("ATTACKDB_MAX_BUNDLE_BYTES", "8MiB")],
        "larger than the limit of 8.00 MiB (8388608 bytes); refusing to store it (set ATTACKDB_MAX_BUNDLE_BYTES to raise it)",
    ) else {
        return;
    };
    assert_eq!(server.hits(TARGET), 1, "oversized content is not retried");
}

#[test]
fn json_nested_past_the_depth_limit_is_refused_in_a_fetched_bundle_and_index() {
    // ICS 18.1 nests 6 deep (an asset's sector list): a limit of 5 refuses it unstored and
    // unretried, with the place.
    let Some(server) = failing_fetch(
        |data| Reply::Body(release_bytes(data, "ics-attack", "18.1")),
        &[("ATTACKDB_MAX_JSON_DEPTH", "5")],
        "not an ATT&CK bundle: JSON nested deeper than 5 levels at line 50105, column 31 (ATTACKDB_MAX_JSON_DEPTH sets the limit, 1 to 127)",
    ) else {
        return;
    };
    assert_eq!(server.hits(TARGET), 1, "a bundle too deep is not retried");
    // MITRE's index nests 5 deep (index, collections, a collection, versions, a version).
    let index = server.url("/index.json");
    let home = tempfile::tempdir().unwrap();
    let list = ["data", "releases", "--index", &index, "--json"];
    let output = attackdb(home.path(), &list, &[("ATTACKDB_MAX_JSON_DEPTH", "5")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = attackdb(home.path(), &list, &[("ATTACKDB_MAX_JSON_DEPTH", "4")]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains(&format!(
            "{index}: JSON nested deeper than 4 levels at line "
        )),
        "{message}"
    );
}

#[test]
fn the_release_index_is_bounded_in_versions_and_bytes_and_must_be_a_file() {
    let Some(data) = data_dir() else { return };
    let home = tempfile::tempdir().unwrap();
    // MITRE's index.json lists 100 versions in 29,868 bytes.
    let index = data.join("index.json");
    let index = index.to_str().unwrap();
    let releases = ["data", "releases", "--index", index, "--json"];
    let output = attackdb(
        home.path(),
        &releases,
        &[("ATTACKDB_MAX_INDEX_ENTRIES", "100")],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let output = attackdb(
        home.path(),
        &releases,
        &[("ATTACKDB_MAX_INDEX_ENTRIES", "99")],
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains(&format!(
            "{index}: the index lists 100 versions, more than the 99 allowed (ATTACKDB_MAX_INDEX_ENTRIES raises the limit)"
        )),
        "{}",
        stderr(&output)
    );
    let output = attackdb(
        home.path(),
        &releases,
        &[("ATTACKDB_MAX_INDEX_BYTES", "29868")],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    for (place, name) in [
        (index.to_string(), "local"),
        (
            release_server(&data, &["ics-attack"], |_| None).url("/index.json"),
            "served",
        ),
    ] {
        let releases = ["data", "releases", "--index", &place, "--json"];
        let output = attackdb(
            home.path(),
            &releases,
            &[("ATTACKDB_MAX_INDEX_BYTES", "1KiB")],
        );
        assert!(!output.status.success(), "{name}");
        assert!(
            stderr(&output).contains(&format!(
                "{place}: larger than the limit of 1.00 KiB (1024 bytes)"
            )) && stderr(&output).contains("(set ATTACKDB_MAX_INDEX_BYTES to raise it)"),
            "{name}: {}",
            stderr(&output)
        );
    }
    // A FIFO named as the index is refused at once, never opened (opening it would block).
    let fifo = home.path().join("index.json");
    if std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        let fifo = fifo.to_str().unwrap();
        let output = attackdb(home.path(), &["data", "releases", "--index", fifo], &[]);
        assert!(!output.status.success());
        assert!(
            stderr(&output).contains(&format!("{fifo}: not a regular file")),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn finding_6_a_trickle_past_the_deadline_is_reported() {
    let Some(server) = failing_fetch(
        |data| Reply::Trickle(release_bytes(data, "ics-attack", "18.1")),
        &[("ATTACKDB_HTTP_DEADLINE", "1")],
        "the transfer took longer than 1s (ATTACKDB_HTTP_DEADLINE)",
    ) else {
        return;
    };
    assert_eq!(
        server.hits(TARGET),
        1,
        "a transfer past its deadline is not retried"
    );
}

#[test]
fn one_failing_release_does_not_stop_the_others() {
    let Some(data) = data_dir() else { return };
    let broken = "/ics-attack/ics-attack-17.1.json";
    let server = release_server(&data, &["ics-attack"], move |path| {
        (path == broken).then_some(Reply::Status(404))
    });
    let home = tempfile::tempdir().unwrap();
    let index = server.url("/index.json");
    let output = attackdb(
        home.path(),
        &[
            "data",
            "fetch",
            "--index",
            &index,
            "--release",
            "all",
            "--json",
        ],
        &[],
    );
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("warning: ics-attack 17.1 not fetched: "),
        "{message}"
    );
    // With --json the error is one JSON line on stderr, the shape of REST's errors.
    let errors: Vec<Value> = message
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(errors.len(), 1, "{message}");
    let error = errors[0]["message"].as_str().unwrap();
    assert!(
        error.starts_with("1 of 3 releases could not be fetched"),
        "{message}"
    );
    assert!(error.contains("HTTP 404 Not Found"), "{message}");
    assert!(errors[0]["hint"].is_string(), "{message}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        pairs(&report["fetched"]),
        [pair("ics-attack", "15.1"), pair("ics-attack", "18.1")]
    );
    assert_eq!(pairs(&report["failed"]), [pair("ics-attack", "17.1")]);
    assert!(report["failed"][0]["error"]
        .as_str()
        .unwrap()
        .ends_with("HTTP 404 Not Found"));
    let status = ok_json(home.path(), &["data", "status"]);
    assert_eq!(pairs(&status["releases"]), pairs(&report["fetched"]));
}

#[test]
fn an_interrupted_fetch_leaves_no_release_behind() {
    let Some(data) = data_dir() else { return };
    let server = release_server(&data, &["ics-attack"], |path| {
        (path == TARGET).then(|| {
            let data = data_dir().unwrap();
            Reply::Stall(release_bytes(&data, "ics-attack", "18.1"))
        })
    });
    let index = server.url("/index.json");
    let (home, before) = home_with_ics_15_1(&index);
    let mut child = Command::new(env!("CARGO_BIN_EXE_attackdb"))
        .args([
            "data",
            "fetch",
            "--index",
            &index,
            "--domain",
            "ics",
            "--release",
            "18.1",
        ])
        .env("ATTACKDB_HOME", home.path())
        .env("ATTACKDB_HTTP_TIMEOUT", "20")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the transfer to start, then kill the process mid-download.
    let started = Instant::now();
    while server.hits(TARGET) == 0 && started.elapsed() < Duration::from_secs(10) {
        thread::sleep(Duration::from_millis(20));
    }
    thread::sleep(Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();
    // Only a hidden temporary file may be left, outside releases/; what was held is untouched.
    let after = snapshot(home.path());
    let extra: Vec<&PathBuf> = after.keys().filter(|p| !before.contains_key(*p)).collect();
    for path in &extra {
        let name = path.to_str().unwrap();
        assert!(
            name.starts_with(".attackdb-") && name.ends_with(".part"),
            "{name}"
        );
    }
    for (path, hash) in &before {
        assert_eq!(after.get(path), Some(hash), "{}", path.display());
    }
    let status = ok_json(home.path(), &["data", "status"]);
    assert_eq!(pairs(&status["releases"]), [pair("ics-attack", "15.1")]);
    let stats = ok_json(home.path(), &["--domain", "ics", "stats"]);
    assert!(stats.to_string().contains("15.1"), "{stats}");
}

#[test]
fn index_errors_are_clear() {
    let Some(data) = data_dir() else { return };
    let server = release_server(&data, &["ics-attack"], |path| {
        (path == "/broken.json").then(|| Reply::Body(Arc::new(b"{\"no\": 1}".to_vec())))
    });
    let home = tempfile::tempdir().unwrap();
    let run = |index: &str| {
        let output = attackdb(
            home.path(),
            &["data", "releases", "--index", index],
            &[("ATTACKDB_HTTP_RETRIES", "0")],
        );
        assert!(!output.status.success());
        eprintln!("--- releases --index {index}:\n{}", stderr(&output));
        stderr(&output)
    };
    let missing = run(&server.url("/missing.json"));
    assert!(
        missing.contains("missing.json: HTTP 404 Not Found"),
        "{missing}"
    );
    let broken = run(&server.url("/broken.json"));
    assert!(broken.contains("not an ATT&CK release index"), "{broken}");
    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let refused = run(&format!("http://{address}/index.json"));
    assert!(
        refused.contains(&format!("cannot connect to {address}")),
        "{refused}"
    );
    assert!(refused.contains("hint: check the network"), "{refused}");
    let bad = run("ftp://example.org/index.json");
    assert!(bad.contains("only http://, https:// and file://"), "{bad}");
    assert!(!home.path().join("releases").exists());
}

// ---------------------------------------------------------------------------------------------
// Import, and no data

#[test]
fn import_copies_checked_bundles_and_refuses_others() {
    let Some(data) = data_dir() else { return };
    let home = tempfile::tempdir().unwrap();
    let folder = data.join("ics-attack");
    let report = ok_json(home.path(), &["data", "import", folder.to_str().unwrap()]);
    assert_eq!(keys(&report), ["already_held", "home", "imported"]);
    assert_eq!(
        pairs(&report["imported"]),
        [
            pair("ics-attack", "15.1"),
            pair("ics-attack", "17.1"),
            pair("ics-attack", "18.1")
        ]
    );
    let original = std::fs::read(folder.join("ics-attack-18.1.json.gz")).unwrap();
    assert_eq!(report["imported"][2]["sha256"], sha256(&original).as_str());
    let stored = home
        .path()
        .join("releases/ics-attack/ics-attack-18.1.json.gz");
    assert_eq!(std::fs::read(stored).unwrap(), original);

    // Importing again changes nothing.
    let before = snapshot(home.path());
    let one = folder.join("ics-attack-17.1.json.gz");
    let again = ok_json(home.path(), &["data", "import", one.to_str().unwrap()]);
    assert_eq!(pairs(&again["already_held"]), [pair("ics-attack", "17.1")]);
    assert_eq!(snapshot(home.path()), before);

    // A file that is not an ATT&CK release fails the whole import, and nothing is copied.
    let scratch = tempfile::tempdir().unwrap();
    std::fs::copy(
        data.join("mobile-attack/mobile-attack-15.1.json.gz"),
        scratch.path().join("a.json.gz"),
    )
    .unwrap();
    std::fs::write(
        scratch.path().join("b.json"),
        br#"{"type": "bundle", "id": "bundle--1", "objects": []}"#,
    )
    .unwrap();
    let output = attackdb(
        home.path(),
        &["data", "import", scratch.path().to_str().unwrap()],
        &[],
    );
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("nothing was imported"), "{message}");
    assert!(
        message.contains("no x-mitre-collection object"),
        "{message}"
    );
    assert_eq!(snapshot(home.path()), before);
}

#[test]
fn with_no_data_anywhere_the_error_says_what_to_run() {
    let home = tempfile::tempdir().unwrap();
    let output = attackdb(home.path(), &["show", "T1059"], &[]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("run `attackdb data fetch`"), "{message}");
    assert!(message.contains("--data PATH"), "{message}");
    assert!(message.contains("ATTACKDB_DATA"), "{message}");
    // The data commands need no data.
    let status = ok_json(home.path(), &["data", "status"]);
    assert_eq!(status["releases"], serde_json::json!([]));
    assert_eq!(status["in_use"], Value::Null);
    let output = attackdb(home.path(), &["data", "status"], &[]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("`attackdb data fetch`"), "{text}");
}
