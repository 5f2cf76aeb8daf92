//! The server under faults (issue 16 item 9), over real sockets on the real releases: 1,000 idle
//! connections, slow clients dripping their headers, clients that hang up mid-response,
//! oversized, lying and malformed uploads, and a flood of them. Through it all the server stays
//! up, answers a well-behaved client promptly, and its memory stays bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use attackdb_kb::Kb;
use attackdb_server::{router, serve, AppState, Config};

/// The limit a well-behaved request must meet while the faults go on (a debug build on a
/// 2-core machine; the release build answers in milliseconds).
const PROMPT: Duration = Duration::from_secs(3);

/// Starts the server on a free loopback port, in a runtime of its own.
fn start() -> Option<SocketAddr> {
    let dir = attackdb_testdata::data_dir()?;
    let kb = Kb::load(&[dir.join("enterprise-attack/enterprise-attack-18.1.json.gz")]).unwrap();
    let config = Config {
        max_body: 1 << 20,
        timeout: Duration::from_secs(10),
        ..Config::default()
    };
    let state = AppState::new(kb, config);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sender.send(listener.local_addr().unwrap()).unwrap();
            serve(listener, router(state), std::future::pending())
                .await
                .unwrap();
        });
    });
    Some(receiver.recv().unwrap())
}

/// One request on a fresh connection; the status and body, within `PROMPT`.
fn request(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PROMPT)).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(body);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let elapsed = started.elapsed();
    assert!(elapsed < PROMPT, "{head:?} took {elapsed:?}");
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer to {head:?}: {text:?}"));
    let body_at = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(answer.len(), |i| i + 4);
    (status, answer[body_at..].to_vec())
}

fn get(addr: SocketAddr, path: &str) -> (u16, Vec<u8>) {
    request(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"),
        b"",
    )
}

fn post(addr: SocketAddr, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    request(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        ),
        body,
    )
}

/// The process's resident memory, in MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// How many descriptors this process may open.
fn fd_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1024)
}

fn prompt_answers(addr: SocketAddr) {
    let (status, body) = get(addr, "/healthz");
    assert_eq!((status, body.as_slice()), (200, &b"ok\n"[..]));
    let (status, body) = get(addr, "/api/v1/objects/T1059.001");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("PowerShell"));
}

#[test]
fn the_server_stays_up_and_prompt_under_faults() {
    let Some(addr) = start() else {
        return;
    };
    prompt_answers(addr);
    // Warm the answers used below, then measure memory from here.
    for _ in 0..3 {
        let _ = get(addr, "/api/v1/list/techniques");
    }
    let before = rss_mib();

    // 1,000 idle connections (fewer when the descriptor limit is lower: each takes two here,
    // the client's end and the server's).
    let idle_count = 1000.min(fd_limit().saturating_sub(200) / 2);
    let idle: Vec<TcpStream> = (0..idle_count)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    prompt_answers(addr);

    // Slow clients: headers dripped a byte at a time, never finished.
    let drips: Vec<std::thread::JoinHandle<()>> = (0..20)
        .map(|_| {
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).unwrap();
                for byte in b"GET /api/v1/stats HTTP/1.1\r\nHost: slow\r\nX-Slow: ".iter() {
                    if stream.write_all(&[*byte]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        })
        .collect();
    prompt_answers(addr);

    // Clients that hang up mid-response, on a large answer.
    for _ in 0..30 {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET /api/v1/list/techniques?full=true HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut first = [0u8; 512];
        let _ = stream.read(&mut first);
        drop(stream);
    }
    prompt_answers(addr);

    // Uploads over the limit, lying about their length, malformed, and a flood of them.
    let big = vec![b' '; (1 << 20) + 1];
    assert_eq!(post(addr, "/api/v1/layers/validate", &big).0, 413);
    let (status, _) = post(
        addr,
        "/api/v1/layers/validate",
        b"{\"name\": \"x\", \"techniques\": [",
    );
    assert!((400..500).contains(&status), "{status}");
    let (status, _) = post(addr, "/api/v1/coverage", b"\x00\xff\xfe not rules");
    assert!((400..500).contains(&status), "{status}");
    for _ in 0..20 {
        // Says 1 MiB, sends 10 bytes, hangs up.
        let mut stream = TcpStream::connect(addr).unwrap();
        let _ = stream.write_all(
            b"POST /api/v1/layers/validate HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n{\"name\":1",
        );
        drop(stream);
    }
    for i in 0..200 {
        let body: &[u8] = if i % 2 == 0 { &big } else { b"[[[[[[[[[[" };
        let status = post(addr, "/api/v1/layers/validate", body).0;
        assert!((400..500).contains(&status), "{status}");
    }
    prompt_answers(addr);

    drop(idle);
    for drip in drips {
        let _ = drip.join();
    }
    prompt_answers(addr);
    let after = rss_mib();
    eprintln!("{idle_count} idle connections; resident memory {before:.0} MiB before the faults, {after:.0} MiB after");
    assert!(
        after - before < 150.0,
        "resident memory grew from {before:.0} MiB to {after:.0} MiB under the faults"
    );
}
