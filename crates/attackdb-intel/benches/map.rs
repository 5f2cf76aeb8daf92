//! Mapping reports, on enterprise 18.1: the time to build the release's model (goal within
//! 10 s), the memory it adds (resident set before and after, printed), and the time to map a
//! 10-page report of about 30 KB once the model is built (goal within 50 ms). The report is
//! real prose: ATT&CK's own campaign descriptions, one paragraph each, citations dropped,
//! until 30 KB.
//!
//! Run with `cargo bench -p attackdb-intel --bench map`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use attackdb_intel::{map_text, Format, MapModel, MapOptions};
use attackdb_kb::{Concept, Domain, Kb, Visibility};
use criterion::{criterion_group, criterion_main, Criterion};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn bench(c: &mut Criterion) {
    let Some(dir) = attackdb_testdata::data_dir() else {
        eprintln!(
            "\n!!! SKIPPING attackdb-intel map bench: no real data (set ATTACKDB_TEST_DATA) !!!\n"
        );
        return;
    };
    let kb: &'static Kb = Box::leak(Box::new(
        Kb::load(&[dir.join("enterprise-attack/enterprise-attack-18.1.json.gz")]).unwrap(),
    ));
    let data = kb.select(Domain::Enterprise, None).unwrap();
    let mut report = String::new();
    for campaign in data.list(Concept::Campaign, Visibility::LIVE) {
        if let Some(d) = data.object(campaign).description.as_deref() {
            let mut text = d.to_string();
            while let Some(at) = text.find("(Citation:") {
                let end = text[at..].find(')').map_or(text.len(), |e| at + e + 1);
                text.replace_range(at..end, "");
            }
            report.push_str(&text);
            report.push_str("\n\n");
        }
        if report.len() >= 30_000 {
            break;
        }
    }
    // Warm the objects' descriptions, as a server has them after its first pages.
    let _ = MapModel::build(data);
    let before = rss_kib();
    let started = Instant::now();
    let model = MapModel::build(data);
    let built = started.elapsed();
    let after = rss_kib();
    let answer = map_text(data, &model, Format::Text, &report, &MapOptions::default());
    let started = Instant::now();
    let runs = 20;
    for _ in 0..runs {
        let _ = map_text(data, &model, Format::Text, &report, &MapOptions::default());
    }
    let per = started.elapsed() / runs;
    println!(
        "\nmap model of enterprise 18.1: {} examples, {} techniques, built in {:.0} ms (goal 10 s), \
         resident memory +{:.1} MiB\nmapping a {:.1} KB report ({} sentences, {} techniques found): {:.1} ms each (goal 50 ms)\n",
        model.examples(),
        model.techniques(),
        built.as_secs_f64() * 1000.0,
        after.saturating_sub(before) as f64 / 1024.0,
        report.len() as f64 / 1000.0,
        answer.sentences.len(),
        answer.techniques.len(),
        per.as_secs_f64() * 1000.0
    );
    let mut group = c.benchmark_group("map");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("build model enterprise 18.1", |b| {
        b.iter(|| MapModel::build(data))
    });
    group.bench_function("map a 30 KB report", |b| {
        b.iter(|| map_text(data, &model, Format::Text, &report, &MapOptions::default()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
