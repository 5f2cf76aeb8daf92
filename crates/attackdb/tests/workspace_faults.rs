//! The workspace under faults, over real `attackdb serve` processes on the real releases:
//! `kill -9` during a burst of writes (every acknowledged write is there after a restart), a full
//! disk and a read-only database (writes refused with a clear 503 while ATT&CK's pages and API
//! keep answering), two replicas on one PostgreSQL (a write through one is read through the
//! other at once), and 32 editors of one layer for 20 seconds (every accepted write is in the
//! history, every other got 409, none a 5xx). Each runs on SQLite and, with
//! `ATTACKDB_TEST_POSTGRES`, on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A running `attackdb serve`.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `attackdb serve` on a free loopback port over `database`; `wrap` runs it through another
/// program (`sh -c` with limits, `setpriv`), which must `exec` it.
fn serve(data: &Path, database: &str, wrap: Option<(&str, Vec<String>)>) -> Server {
    let serve = common::attackdb_command(
        data,
        &["serve", "--listen", "127.0.0.1:0", "--database", database],
        100,
    );
    let mut command = match wrap {
        None => serve,
        Some((program, args)) => {
            let mut wrapped = Command::new(program);
            wrapped
                .args(args)
                .arg(serve.get_program())
                .args(serve.get_args());
            for (key, value) in serve.get_envs() {
                match value {
                    Some(v) => wrapped.env(key, v),
                    None => wrapped.env_remove(key),
                };
            }
            wrapped
        }
    };
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| {
                panic!(
                    "attackdb serve stopped before serving: {:?}",
                    child.try_wait()
                )
            })
            .unwrap();
        if let Some(rest) = line.strip_prefix("serving ") {
            let at = rest.find("http://").unwrap() + 7;
            let end = rest[at..].find('/').unwrap() + at;
            break rest[at..end].parse().unwrap();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, addr }
}

/// One request on a fresh connection: the status, the ETag, and the body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<(u16, Option<String>, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let etag = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("etag: ")
                .or_else(|| l.strip_prefix("ETag: "))
        })
        .map(|v| v.trim().trim_matches('"').to_string());
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    Some((status, etag, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn get_json(addr: SocketAddr, path: &str) -> Value {
    let (status, _, body) = http(addr, "GET", path, &[], b"").unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn layer_file(name: &str) -> Option<Vec<u8>> {
    let dir = attackdb_testdata::corpus("navigator-layers")?;
    Some(std::fs::read(dir.join("layers/samples").join(name)).unwrap())
}

/// The databases to run on: a SQLite file in `dir`, and a fresh PostgreSQL database.
fn databases(dir: &Path, prefix: &str) -> Vec<String> {
    let mut out = vec![dir.join(format!("{prefix}.db")).display().to_string()];
    out.extend(attackdb_testdata::fresh_postgres_database(prefix));
    out
}

/// ATT&CK keeps answering: an object over REST and its page.
fn attack_answers(addr: SocketAddr) {
    let object = get_json(addr, "/api/v1/objects/T1059.001");
    assert_eq!(object["name"], "PowerShell");
    let (status, _, page) = http(addr, "GET", "/techniques/T1059/001/", &[], b"").unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("PowerShell"));
}

#[test]
fn a_killed_server_keeps_every_acknowledged_write() {
    let (Some(data), Some(bear)) = (common::data_dir(), layer_file("Bear_APT.json")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for database in databases(dir.path(), "killed") {
        let server = serve(&data, &database, None);
        let addr = server.addr;
        // (layer, version) of every write the server acknowledged.
        let acknowledged = Arc::new(Mutex::new(Vec::<(i64, i64)>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4)
            .map(|_| {
                let (acknowledged, stop, bear) = (acknowledged.clone(), stop.clone(), bear.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let Some((201, Some(v), body)) =
                            http(addr, "POST", "/api/v1/workspace/layers", &[], &bear)
                        else {
                            return;
                        };
                        let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
                            .as_i64()
                            .unwrap();
                        acknowledged.lock().unwrap().push((id, v.parse().unwrap()));
                        let if_match = format!("\"{v}\"");
                        let path = format!("/api/v1/workspace/layers/{id}?name=again");
                        let Some((200, Some(v), _)) =
                            http(addr, "PUT", &path, &[("If-Match", &if_match)], &bear)
                        else {
                            return;
                        };
                        acknowledged.lock().unwrap().push((id, v.parse().unwrap()));
                    }
                })
            })
            .collect();
        let started = Instant::now();
        while acknowledged.lock().unwrap().len() < 60
            && started.elapsed() < Duration::from_secs(120)
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        // SIGKILL: no shutdown, no flush, mid-burst.
        let mut server = server;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.join().unwrap();
        }
        let acknowledged = acknowledged.lock().unwrap().clone();
        assert!(
            acknowledged.len() >= 60,
            "{database}: only {} writes in 2 minutes",
            acknowledged.len()
        );
        drop(server);

        let again = serve(&data, &database, None);
        for (id, version) in &acknowledged {
            let layer = get_json(again.addr, &format!("/api/v1/workspace/layers/{id}"));
            assert!(
                layer["version"].as_i64().unwrap() >= *version,
                "{database}: layer {id} lost version {version}"
            );
        }
        // Nothing half-written: every layer's version is its newest revision, each revision is there.
        let list = get_json(again.addr, "/api/v1/workspace/layers");
        let ids: std::collections::BTreeSet<i64> = acknowledged.iter().map(|(id, _)| *id).collect();
        for layer in list.as_array().unwrap() {
            let id = layer["id"].as_i64().unwrap();
            let revisions = get_json(
                again.addr,
                &format!("/api/v1/workspace/layers/{id}/revisions"),
            );
            let numbers: Vec<i64> = revisions
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["revision"].as_i64().unwrap())
                .collect();
            let version = layer["version"].as_i64().unwrap();
            assert_eq!(
                numbers,
                (1..=version).collect::<Vec<_>>(),
                "{database}: layer {id}"
            );
        }
        assert!(list.as_array().unwrap().len() >= ids.len());
        // The audit log holds a line for every acknowledged write.
        let audit = get_json(again.addr, "/api/v1/workspace/audit?limit=100000");
        assert!(
            audit.as_array().unwrap().len() >= acknowledged.len(),
            "{database}"
        );
        attack_answers(again.addr);
    }
}

/// The size of `path` and of its write-ahead log, whichever is larger.
fn largest_file(path: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    [path.to_path_buf(), wal]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .max()
        .unwrap_or(0)
}

/// Saves `layer` until the server refuses; the number saved and the refusal.
fn save_until_refused(addr: SocketAddr, layer: &[u8]) -> (usize, u16, Value) {
    for saved in 0..10_000 {
        let (status, _, body) = http(addr, "POST", "/api/v1/workspace/layers", &[], layer).unwrap();
        if status != 201 {
            return (saved, status, serde_json::from_str(&body).unwrap());
        }
    }
    panic!("ten thousand layers saved and no refusal");
}

#[test]
fn a_full_disk_refuses_writes_and_attack_answers_go_on() {
    let (Some(data), Some(bear)) = (common::data_dir(), layer_file("Bear_APT.json")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("full.db");
    let database = db.display().to_string();
    // The schema first, then the server with a file-size limit just above the files' size:
    // a write past it fails as a full disk does (SIGXFSZ ignored, the write gets EFBIG).
    // The release indexes are made before the limit (the server only reads them then).
    let warm = common::attackdb(&data, &["stats", "--json"]);
    assert!(
        warm.status.success(),
        "{}",
        String::from_utf8_lossy(&warm.stderr)
    );
    let made = common::attackdb(
        &data,
        &["workspace", "--database", &database, "status", "--json"],
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let blocks = (largest_file(&db) + 96 * 1024) / 512;
    let script = "trap '' XFSZ; ulimit -S -f \"$0\"; exec \"$@\"".to_string();
    let server = serve(
        &data,
        &database,
        Some(("sh", vec!["-c".into(), script, blocks.to_string()])),
    );
    let (saved, status, refusal) = save_until_refused(server.addr, &bear);
    assert_eq!(status, 503, "{refusal}");
    assert_eq!(refusal["code"], "workspace_unavailable");
    assert!(
        refusal["message"]
            .as_str()
            .unwrap()
            .contains("the workspace cannot save a layer"),
        "{refusal}"
    );
    assert!(refusal["hint"]
        .as_str()
        .unwrap()
        .contains("ATT&CK answers go on"));
    // ATT&CK's pages and API answer; the workspace still reads, and holds what was acknowledged.
    attack_answers(server.addr);
    let list = get_json(server.addr, "/api/v1/workspace/layers");
    assert_eq!(
        list.as_array().unwrap().len(),
        saved,
        "the refused write left nothing behind"
    );
    // Room again (the limit lifted on the running process): writes go on.
    let lifted = Command::new("prlimit")
        .arg("--pid")
        .arg(server.child.id().to_string())
        .arg("--fsize=unlimited")
        .status();
    match lifted {
        Ok(lifted) => {
            assert!(lifted.success(), "prlimit could not lift the soft limit");
            let (status, _, body) =
                http(server.addr, "POST", "/api/v1/workspace/layers", &[], &bear).unwrap();
            assert_eq!(status, 201, "{body}");
        }
        Err(e) => eprintln!(
            "\n!!! prlimit is missing ({e}): the recovery after a full disk is not checked !!!\n"
        ),
    }
}

/// SQLite: the database file (and its folder) read-only, the server run as a user the modes
/// bind (root ignores them: then the server runs as `nobody` through `setpriv`).
fn sqlite_read_only(data: &Path, layer: &[u8]) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("ro");
    std::fs::create_dir(&folder).unwrap();
    let db = folder.join("w.db");
    let database = db.display().to_string();
    let warm = common::attackdb(data, &["stats", "--json"]);
    assert!(warm.status.success());
    let first = serve(data, &database, None);
    let (status, _, _) = http(first.addr, "POST", "/api/v1/workspace/layers", &[], layer).unwrap();
    assert_eq!(status, 201);
    drop(first);
    let mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    for entry in std::fs::read_dir(&folder).unwrap() {
        mode(&entry.unwrap().path(), 0o444);
    }
    mode(&folder, 0o555);
    mode(dir.path(), 0o755);
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let wrap = root.then(|| {
        (
            "setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups"]
                .map(String::from)
                .to_vec(),
        )
    });
    if let Some((program, args)) = &wrap {
        // `nobody` must reach the binary, the releases and the data home.
        let probe = common::attackdb_command(data, &["stats", "--json"], 100);
        let reaches = Command::new(program)
            .args(args)
            .arg(probe.get_program())
            .args(probe.get_args())
            .envs(probe.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .output()
            .is_ok_and(|o| o.status.success());
        if !reaches {
            eprintln!(
                "\n!!! the read-only SQLite file is not checked: `nobody` cannot run {} on {} !!!\n",
                probe.get_program().to_string_lossy(),
                data.display()
            );
            mode(&folder, 0o755);
            return;
        }
    }
    let server = serve(data, &database, wrap);
    let (saved, status, refusal) = save_until_refused(server.addr, layer);
    assert_eq!((saved, status), (0, 503), "{refusal}");
    assert_eq!(refusal["code"], "workspace_unavailable");
    assert!(
        refusal["message"].as_str().unwrap().contains("readonly"),
        "{refusal}"
    );
    attack_answers(server.addr);
    let list = get_json(server.addr, "/api/v1/workspace/layers");
    assert_eq!(list.as_array().unwrap().len(), 1);
    drop(server);
    mode(&folder, 0o755);
}

#[test]
fn a_read_only_database_refuses_writes_and_attack_answers_go_on() {
    let (Some(data), Some(bear)) = (common::data_dir(), layer_file("Bear_APT.json")) else {
        return;
    };
    sqlite_read_only(&data, &bear);
    // PostgreSQL: the database made read-only (`default_transaction_read_only`, as a standby or
    // a locked-down database is) after the schema was made.
    let Some(url) = attackdb_testdata::fresh_postgres_database("readonly") else {
        return;
    };
    let first = serve(&data, &url, None);
    let (status, _, _) = http(first.addr, "POST", "/api/v1/workspace/layers", &[], &bear).unwrap();
    assert_eq!(status, 201);
    drop(first);
    let name = url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let admin = attackdb_testdata::postgres_url().unwrap();
    let set = Command::new("psql")
        .arg(&admin)
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(format!(
            "ALTER DATABASE {name} SET default_transaction_read_only = on"
        ))
        .status()
        .unwrap();
    assert!(set.success());
    let server = serve(&data, &url, None);
    let (saved, status, refusal) = save_until_refused(server.addr, &bear);
    assert_eq!((saved, status), (0, 503), "{refusal}");
    assert_eq!(refusal["code"], "workspace_unavailable");
    assert!(
        refusal["message"].as_str().unwrap().contains("read-only"),
        "{refusal}"
    );
    attack_answers(server.addr);
    assert_eq!(
        get_json(server.addr, "/api/v1/workspace/layers")
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn two_replicas_on_one_postgresql_see_each_others_writes() {
    let (Some(data), Some(bear)) = (common::data_dir(), layer_file("Bear_APT.json")) else {
        return;
    };
    let Some(url) = attackdb_testdata::fresh_postgres_database("replicas") else {
        return;
    };
    let (a, b) = (serve(&data, &url, None), serve(&data, &url, None));
    for round in 0..20 {
        let (writer, reader) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let (status, etag, body) =
            http(writer.addr, "POST", "/api/v1/workspace/layers", &[], &bear).unwrap();
        assert_eq!(status, 201, "{body}");
        let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
            .as_i64()
            .unwrap();
        // The very next read, on the other replica.
        let seen = get_json(reader.addr, &format!("/api/v1/workspace/layers/{id}"));
        assert_eq!(seen["version"].to_string(), etag.unwrap());
        // A change through the reader with the version it read; the writer sees it at once.
        let path = format!("/api/v1/workspace/layers/{id}?name=round{round}");
        let (status, _, _) =
            http(reader.addr, "PUT", &path, &[("If-Match", "\"1\"")], &bear).unwrap();
        assert_eq!(status, 200);
        assert_eq!(
            get_json(writer.addr, &format!("/api/v1/workspace/layers/{id}"))["name"],
            format!("round{round}")
        );
        // The stale version is refused on either replica.
        let (status, _, _) =
            http(writer.addr, "PUT", &path, &[("If-Match", "\"1\"")], &bear).unwrap();
        assert_eq!(status, 409);
    }
    assert_eq!(
        get_json(a.addr, "/api/v1/workspace/layers"),
        get_json(b.addr, "/api/v1/workspace/layers")
    );
}

#[test]
fn thirty_two_editors_of_one_layer_for_twenty_seconds() {
    let (Some(data), Some(heat)) = (common::data_dir(), layer_file("heatmap_layer.json")) else {
        return;
    };
    let seconds: u64 = std::env::var("ATTACKDB_EDITORS_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    for database in databases(dir.path(), "editors") {
        let server = serve(&data, &database, None);
        let addr = server.addr;
        let (status, _, body) = http(addr, "POST", "/api/v1/workspace/layers", &[], &heat).unwrap();
        assert_eq!(status, 201, "{body}");
        let id = serde_json::from_str::<Value>(&body).unwrap()["id"]
            .as_i64()
            .unwrap();
        let until = Instant::now() + Duration::from_secs(seconds);
        let editors: Vec<_> = (0..32)
            .map(|editor| {
                let heat = heat.clone();
                std::thread::spawn(move || {
                    let (mut accepted, mut refused, mut other) = (Vec::new(), 0, Vec::new());
                    let mut round = 0;
                    while Instant::now() < until {
                        let (_, etag, _) = http(
                            addr,
                            "GET",
                            &format!("/api/v1/workspace/layers/{id}"),
                            &[],
                            b"",
                        )
                        .unwrap();
                        let if_match = format!("\"{}\"", etag.unwrap());
                        let path = format!("/api/v1/workspace/layers/{id}?name=e{editor}r{round}");
                        match http(addr, "PUT", &path, &[("If-Match", &if_match)], &heat) {
                            Some((200, Some(v), _)) => accepted
                                .push((v.parse::<i64>().unwrap(), format!("e{editor}r{round}"))),
                            Some((409, _, _)) => refused += 1,
                            answer => other.push(format!("{answer:?}")),
                        }
                        round += 1;
                    }
                    (accepted, refused, other)
                })
            })
            .collect();
        let (mut accepted, mut refused, mut other) = (Vec::new(), 0, Vec::new());
        for e in editors {
            let (a, r, o) = e.join().unwrap();
            accepted.extend(a);
            refused += r;
            other.extend(o);
        }
        assert!(
            other.is_empty(),
            "{database}: answers neither 200 nor 409: {:?}",
            &other[..other.len().min(3)]
        );
        accepted.sort();
        let revisions = get_json(addr, &format!("/api/v1/workspace/layers/{id}/revisions"));
        let kept: Vec<(i64, String)> = revisions.as_array().unwrap()[1..]
            .iter()
            .map(|r| {
                (
                    r["revision"].as_i64().unwrap(),
                    r["name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        // Every accepted write is its own revision, under the name it sent; nothing else is.
        assert_eq!(kept, accepted, "{database}");
        assert!(
            accepted.len() > 10 && refused > 0,
            "{database}: {} accepted, {refused} refused",
            accepted.len()
        );
        eprintln!(
            "{database}: {} accepted, {refused} refused (409) in {seconds} s",
            accepted.len()
        );
    }
}
