//! What each step of a warm start costs (for `scripts/bench/warm_start.py --steps`): the bundle
//! read through (no hashing), the bundle read and hashed as the index key, opening the prebuilt
//! index (key check, facts, object table, the kb's tables: `open_index`), reading the kb's
//! tables back (`Dataset::from_index`), and the lookup and parse of one object; each the median
//! of N runs in this process, in milliseconds, as ONE JSON object.
//!
//! ```text
//! warm_steps [--runs N] BUNDLE [QUERY]      default QUERY T1059.001, N 50
//! ```
//!
//! The bundle's prebuilt index must exist beside it (any earlier `attackdb` run writes it).
//! Build and run: `cargo run --release -p attackdb-kb --example warm_steps -- BUNDLE.json`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use attackdb_kb::Dataset;
use attackdb_stix::{index_paths, open_index, BundleFile, Domain, Release};

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    let mid = times.len() / 2;
    if times.len() % 2 == 1 {
        times[mid]
    } else {
        (times[mid - 1] + times[mid]) / 2.0
    }
}

fn timed(runs: usize, mut run: impl FnMut()) -> f64 {
    let times = (0..runs)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    median(times)
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut runs = 50usize;
    if args.first().map(String::as_str) == Some("--runs") {
        runs = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(0);
        args.drain(..2.min(args.len()));
    }
    let (Some(bundle), true) = (args.first().map(PathBuf::from), runs > 0) else {
        eprintln!("usage: warm_steps [--runs N] BUNDLE [QUERY]");
        return ExitCode::from(2);
    };
    let query = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "T1059.001".to_string());
    let indexes = index_paths(&bundle, None);
    let mut buffer = vec![0u8; 256 << 10];
    let read_through = timed(runs, || {
        let mut file = std::fs::File::open(&bundle).unwrap();
        while file.read(&mut buffer).unwrap() > 0 {}
    });
    let read_and_hash = timed(runs, || {
        let mut file = std::fs::File::open(&bundle).unwrap();
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        loop {
            let n = file.read(&mut buffer).unwrap();
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
        std::hint::black_box(hasher.digest128());
    });
    let open = || {
        let mut file = BundleFile::open(&bundle).unwrap();
        let mut warnings = Vec::new();
        let found = open_index(&mut file, &indexes, &mut warnings).unwrap();
        found.expect("no valid prebuilt index beside the bundle: run attackdb on it once")
    };
    let open_time = timed(runs, || drop(open()));
    let domain_release = |found: &attackdb_stix::IndexedBundle| {
        let domain = found
            .bundle
            .domain
            .as_deref()
            .and_then(Domain::parse)
            .unwrap_or(Domain::Enterprise);
        let release = Release::from_bundle(found.bundle.release.as_deref().unwrap_or("unknown"));
        (domain, release)
    };
    let mut tables = Vec::new();
    for _ in 0..runs {
        let found = open();
        let (domain, release) = domain_release(&found);
        let start = Instant::now();
        let dataset = Dataset::from_index(domain, release, found.bundle, &found.extra).unwrap();
        tables.push(start.elapsed().as_secs_f64() * 1000.0);
        drop(dataset);
    }
    let mut lookups = Vec::new();
    for _ in 0..runs {
        let found = open();
        let (domain, release) = domain_release(&found);
        let dataset = Dataset::from_index(domain, release, found.bundle, &found.extra).unwrap();
        let start = Instant::now();
        let id = dataset.lookup(&query).unwrap();
        std::hint::black_box(dataset.object(id));
        lookups.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let size = std::fs::metadata(&bundle).map(|m| m.len()).unwrap_or(0);
    println!(
        "{}",
        serde_json::json!({
            "bundle": bundle.display().to_string(),
            "bundle_bytes": size,
            "runs": runs,
            "read_through_ms": read_through,
            "read_and_hash_ms": read_and_hash,
            "open_index_ms": open_time,
            "from_index_ms": median(tables),
            "lookup_and_parse_ms": median(lookups),
        })
    );
    ExitCode::SUCCESS
}
