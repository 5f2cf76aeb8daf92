//! Machine-readable load and query timings for `scripts/bench/compare.py`: prints ONE JSON object.
//!
//! ```text
//! bench_report [--runs N] BUNDLE          timings (best of N, default 5) for one bundle
//! bench_report [--runs N] DATA_DIR        the same for DATA_DIR/enterprise-attack/enterprise-attack-18.1.json.gz
//! bench_report memory PATH...             Kb::load(PATH...), then {"peak_rss_mb": ...} from VmHWM
//! ```
//!
//! Timings mode measures, each as the best of N runs (relation maps: of at least 20): reading the file (`read_text`), a
//! `serde_json` parse of the text into `IgnoredAny` (the floor for any JSON parser of the text),
//! `parse_bundle`, `Dataset::build`, the total load (read + parse + index, end to end, as every
//! loader does it without a prebuilt index: `ScannedBundle` then `Dataset::from_scanned`), and
//! `Dataset::relation_map` for every relation family on the built dataset; and, for information,
//! the load through the prebuilt index (`load_bundle_cached` + build), cold and warm. Inputs are prepared
//! (cloned) before the clock starts and outputs are dropped after it stops.
//!
//! Memory mode must run in a fresh process: VmHWM is the whole process's peak resident set.
//!
//! Build and run: `cargo run --release -p attackdb-kb --example bench_report -- BUNDLE.json`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use attackdb_kb::{stix::Bundle, Dataset, Kb, Relation, ScannedBundle};
use serde_json::{json, Map, Value};

const ENTERPRISE_18_1: &str = "enterprise-attack/enterprise-attack-18.1.json.gz";

fn usage() -> ExitCode {
    eprintln!(
        "usage: bench_report [--runs N] BUNDLE_OR_DATA_DIR\n       bench_report memory PATH..."
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("memory") {
        if args.len() < 2 {
            return usage();
        }
        let paths: Vec<PathBuf> = args[1..].iter().map(PathBuf::from).collect();
        return memory(&paths);
    }
    let mut runs = 5usize;
    let mut target = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--runs" => match rest.next().and_then(|n| n.parse().ok()) {
                Some(n) if n > 0 => runs = n,
                _ => return usage(),
            },
            "-h" | "--help" => return usage(),
            _ if target.is_none() => target = Some(PathBuf::from(arg)),
            _ => return usage(),
        }
    }
    let Some(mut path) = target else {
        return usage();
    };
    if path.is_dir() {
        path = path.join(ENTERPRISE_18_1);
    }
    timings(&path, runs);
    ExitCode::SUCCESS
}

/// Milliseconds since `start`.
fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

/// Rounds to microseconds, for readable JSON.
fn round(ms: f64) -> f64 {
    (ms * 1e3).round() / 1e3
}

/// The best of `runs` timings of `run`, which times itself (so it can exclude its set-up and
/// the drop of its result).
fn best_of(runs: usize, mut run: impl FnMut() -> f64) -> f64 {
    (0..runs).map(|_| run()).fold(f64::INFINITY, f64::min)
}

fn dataset_of(bundle: Bundle) -> Dataset {
    let domain = bundle
        .domain
        .as_deref()
        .and_then(attackdb_kb::Domain::parse)
        .expect("the bundle's domain is known");
    let release = attackdb_kb::Release::from_bundle(bundle.release.as_deref().unwrap_or("unknown"));
    Dataset::build(domain, release, bundle)
}

fn timings(path: &Path, runs: usize) {
    let read_ms = best_of(runs, || {
        let start = Instant::now();
        let text = attackdb_stix::read_text(path).unwrap();
        let ms = ms_since(start);
        drop(black_box(text));
        ms
    });
    let text = attackdb_stix::read_text(path).unwrap();

    let ignored_any_ms = best_of(runs, || {
        let start = Instant::now();
        serde_json::from_str::<serde::de::IgnoredAny>(black_box(&text)).unwrap();
        ms_since(start)
    });

    let parse_ms = best_of(runs, || {
        let owned = text.clone();
        let start = Instant::now();
        let bundle = attackdb_stix::parse_bundle(path, owned).unwrap();
        let ms = ms_since(start);
        drop(black_box(bundle));
        ms
    });
    let build_ms = best_of(runs, || {
        let owned = attackdb_stix::parse_bundle(path, text.clone()).unwrap();
        let start = Instant::now();
        let dataset = dataset_of(owned);
        let ms = ms_since(start);
        drop(black_box(dataset));
        ms
    });

    // The total is the path every loader takes without a prebuilt index: each object parsed
    // once for the tables and not kept (`ScannedBundle`).
    let total_ms = best_of(runs, || {
        let start = Instant::now();
        let scanned = ScannedBundle::load(path, &attackdb_stix::Limits::default()).unwrap();
        let bundle = scanned.bundle();
        let domain = bundle
            .domain
            .as_deref()
            .and_then(attackdb_kb::Domain::parse)
            .expect("the bundle's domain is known");
        let release =
            attackdb_kb::Release::from_bundle(bundle.release.as_deref().unwrap_or("unknown"));
        let dataset = Dataset::from_scanned(domain, release, scanned);
        let ms = ms_since(start);
        drop(black_box(dataset));
        ms
    });

    let (cold_ms, warm_ms) = cached_loads(path, runs);

    let dataset = dataset_of(attackdb_stix::parse_bundle(path, text.clone()).unwrap());
    let mut relations = Map::new();
    let mut sizes = Map::new();
    // A map takes well under a millisecond: take the best of at least 20 runs, so the figure is
    // not one scheduler hiccup on a small machine.
    let map_runs = runs.max(20);
    for relation in Relation::ALL {
        let ms = best_of(map_runs, || {
            let start = Instant::now();
            let map = dataset.relation_map(black_box(relation));
            let ms = ms_since(start);
            drop(black_box(map));
            ms
        });
        relations.insert(relation.name().to_string(), json!(round(ms)));
        sizes.insert(
            relation.name().to_string(),
            json!(dataset.relation_map(relation).len()),
        );
    }

    let report = json!({
        "bundle": path.display().to_string(),
        "domain": dataset.domain(),
        "release": dataset.release(),
        "bytes": text.len(),
        "objects": dataset.objects().len(),
        "links": dataset.links().len(),
        "runs": runs,
        "relation_map_runs": map_runs,
        "threads": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "read_ms": round(read_ms),
        "ignored_any_ms": round(ignored_any_ms),
        "parse_bundle_ms": round(parse_ms),
        "build_ms": round(build_ms),
        "total_load_ms": round(total_ms),
        "cached_cold_load_ms": round(cold_ms),
        "cached_warm_load_ms": round(warm_ms),
        "relation_map_ms": Value::Object(relations),
        "relation_map_sources": Value::Object(sizes),
    });
    println!("{report}");
}

/// Loads through the prebuilt index (`load_dataset_cached`, as the CLI does), best of
/// `runs`: cold (no index yet: JSON parsed and the index written) and warm (the index read). The
/// index is kept in a temporary folder, removed afterwards.
fn cached_loads(path: &Path, runs: usize) -> (f64, f64) {
    let dir = std::env::temp_dir().join(format!("attackdb-bench-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let index = vec![dir.join(format!("bundle{}", attackdb_stix::INDEX_SUFFIX))];
    let load = |expect_used: bool| {
        let start = Instant::now();
        let cached = attackdb_kb::load_dataset_cached(path, &index).unwrap();
        let used = matches!(cached.outcome, attackdb_stix::CacheOutcome::Used(_));
        let dataset = cached.dataset.unwrap();
        let ms = ms_since(start);
        assert_eq!(
            used, expect_used,
            "prebuilt index outcome: {:?}",
            cached.warnings
        );
        drop(black_box(dataset));
        ms
    };
    let cold = best_of(runs, || {
        let _ = std::fs::remove_file(&index[0]);
        load(false)
    });
    let warm = best_of(runs, || load(true));
    let _ = std::fs::remove_dir_all(&dir);
    (cold, warm)
}

/// `(VmHWM, VmRSS)` of this process in KiB, from `/proc/self/status` (Linux only).
fn rss_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

fn memory(paths: &[PathBuf]) -> ExitCode {
    let start = Instant::now();
    let kb = match Kb::load(paths) {
        Ok(kb) => kb,
        Err(e) => {
            eprintln!("bench_report: {e}");
            return ExitCode::FAILURE;
        }
    };
    let load_ms = ms_since(start);
    let Some((hwm, rss)) = rss_kib() else {
        eprintln!("bench_report: cannot read VmHWM from /proc/self/status (Linux only)");
        return ExitCode::FAILURE;
    };
    let datasets: Vec<String> = kb
        .datasets()
        .iter()
        .map(|d| format!("{} {}", d.domain(), d.release()))
        .collect();
    let objects: usize = kb.datasets().iter().map(|d| d.objects().len()).sum();
    let report = json!({
        "peak_rss_mb": round(hwm as f64 / 1024.0),
        "rss_after_load_mb": round(rss as f64 / 1024.0),
        "objects": objects,
        "load_ms": round(load_ms),
        "datasets": datasets,
    });
    println!("{report}");
    drop(black_box(kb));
    ExitCode::SUCCESS
}
