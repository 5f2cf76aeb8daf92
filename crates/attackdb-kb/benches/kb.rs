//! Criterion benchmarks of loading and querying the real enterprise 18.1 release.
//!
//! The data is found like the tests find it: `ATTACKDB_TEST_DATA`, else
//! `../shared/attack-stix-data` beside the repository. Without it every bench is skipped with a
//! loud message. The gzip bundle is decompressed once, into memory, before any measurement, so
//! the parse benches measure parsing only.
//!
//! Run with `cargo bench -p attackdb-kb` (about two minutes); filter with e.g.
//! `cargo bench -p attackdb-kb -- relation_map/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use attackdb_kb::{Dataset, Relation};
use criterion::{criterion_group, criterion_main, Criterion};

const BUNDLE: &str = "enterprise-attack/enterprise-attack-18.1.json.gz";

/// The folder of real releases, or `None` (with a loud message) when absent.
fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ATTACKDB_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/attack-stix-data")
        });
    if dir.join(BUNDLE).is_file() {
        return Some(dir);
    }
    eprintln!(
        "\n!!! SKIPPING attackdb-kb benches: no {BUNDLE} under {} (set ATTACKDB_TEST_DATA) !!!\n",
        dir.display()
    );
    None
}

/// Builds the dataset from an in-memory copy of the bundle text.
fn build(path: &Path, text: &str) -> Dataset {
    let bundle = attackdb_stix::parse_bundle(path, text.to_string()).unwrap();
    let domain = bundle.domain.as_deref().unwrap().parse().unwrap();
    let release = bundle.release.as_deref().unwrap().parse().unwrap();
    Dataset::build(domain, release, bundle)
}

fn benches(c: &mut Criterion) {
    let Some(dir) = data_dir() else {
        return;
    };
    let path = dir.join(BUNDLE);
    let text = attackdb_stix::read_text(&path).unwrap();

    // Top-level names (sample size 10 from the group config below).
    c.bench_function("serde_json IgnoredAny parse", |b| {
        b.iter(|| serde_json::from_str::<serde::de::IgnoredAny>(black_box(&text)).unwrap())
    });
    // Every iteration copies the text (parse_bundle takes ownership of a String); the copy is a
    // few milliseconds of memcpy, small next to the parse, and is included in both benches below.
    c.bench_function("parse_bundle enterprise 18.1", |b| {
        b.iter(|| attackdb_stix::parse_bundle(&path, black_box(&text).to_string()).unwrap())
    });
    c.bench_function("parse + index (Dataset::build)", |b| {
        b.iter(|| build(&path, black_box(&text)))
    });

    let dataset = build(&path, &text);
    let mut maps = c.benchmark_group("relation_map");
    maps.sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for relation in Relation::ALL {
        maps.bench_function(relation.name(), |b| {
            b.iter(|| dataset.relation_map(black_box(relation)))
        });
    }
    maps.finish();
}

criterion_group! {
    name = kb;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = benches
}
criterion_main!(kb);
