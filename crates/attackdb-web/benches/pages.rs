//! How long the server takes to render each kind of page, on the real releases.
//!
//! First every page of enterprise 18.1 (every object with a page, every matrix, search,
//! changes, coverage of the Sigma corpus) is rendered once (the "first use" column: objects read
//! from the prebuilt index, a release diff computed), then once more timed: the table printed
//! gives, per page type, the count, median and slowest render, and the slowest page type (the
//! target is under 50 ms each). Criterion then times the
//! slowest page of each type.
//!
//! Run with `cargo bench -p attackdb-web` (about a minute after the build).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use attackdb_kb::{Domain, Kb};
use attackdb_web::{Query, Site};
use criterion::{criterion_group, criterion_main, Criterion};

fn site() -> Option<&'static Site> {
    let Some(dir) = attackdb_testdata::data_dir() else {
        eprintln!(
            "\n!!! SKIPPING attackdb-web benches: no real data (set ATTACKDB_TEST_DATA) !!!\n"
        );
        return None;
    };
    let kb: &'static Kb = Box::leak(Box::new(Kb::load(&[dir]).expect("the real releases")));
    let site: &'static Site = Box::leak(Box::new(
        Site::new(kb)
            .expect("templates")
            .with_atomics(attackdb_testdata::corpus("atomic-red-team")),
    ));
    if let Some(sigma) = attackdb_testdata::corpus("sigma") {
        site.add_rules_folder(sigma).expect("the Sigma corpus");
    }
    Some(site)
}

/// (page type, path, query) of every page to time.
fn pages(site: &Site) -> Vec<(String, String, Query)> {
    let kb = site.kb();
    let dataset = kb.select(Domain::Enterprise, None).expect("enterprise");
    let linker = attackdb_web::site::Linker::new(kb, dataset);
    let mut out = Vec::new();
    for id in 0..dataset.object_count() as u32 {
        let Some(href) = linker.href(id) else {
            continue;
        };
        let path = href.split(['?', '#']).next().unwrap_or("").to_string();
        let kind = path.split('/').nth(1).unwrap_or("").to_string();
        out.push((kind, path, Query::new()));
    }
    out.sort();
    out.dedup_by(|a, b| a.1 == b.1);
    let query = |pairs: &[(&str, &str)]| -> Query {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    for domain in ["enterprise", "mobile", "ics"] {
        out.push((
            "matrix".into(),
            format!("/matrices/{domain}/"),
            Query::new(),
        ));
    }
    out.push((
        "matrix with a layer".into(),
        "/matrices/enterprise/".into(),
        query(&[("layer", "group:G0016")]),
    ));
    out.push((
        "matrix with a layer".into(),
        "/matrices/enterprise/".into(),
        query(&[("layer", "overview:groups")]),
    ));
    for q in [
        "powershell",
        "T1059",
        "credential dumping",
        "APT29",
        "lsass memory",
    ] {
        out.push(("search".into(), "/search".into(), query(&[("q", q)])));
    }
    out.push(("changes".into(), "/changes".into(), Query::new()));
    out.push((
        "changes".into(),
        "/changes".into(),
        query(&[("domain", "enterprise"), ("from", "15.1"), ("to", "18.1")]),
    ));
    for (tool, asked) in [
        ("profile", vec![("ref", "G0016")]),
        ("similar", vec![("ref", "G0016"), ("measure", "idf-cosine")]),
        ("overlap", vec![("refs", "G0016,G0007,G0032")]),
        (
            "attribute",
            vec![(
                "techniques",
                "T1059.001\nT1003.001\nT1566.001\nT1071.001\nT1027",
            )],
        ),
        (
            "predict",
            vec![(
                "techniques",
                "T1059.001,T1003.001,T1566.001,T1071.001,T1027",
            )],
        ),
        ("emulate", vec![("ref", "G0016"), ("platform", "windows")]),
    ] {
        out.push((
            format!("intel {tool}"),
            format!("/intel/{tool}"),
            query(&asked),
        ));
    }
    out.push(("home".into(), "/".into(), Query::new()));
    out.push(("coverage".into(), "/coverage".into(), Query::new()));
    for (id, _, _) in site.coverage().list() {
        out.push((
            "coverage result".into(),
            format!("/coverage/{id}"),
            Query::new(),
        ));
    }
    out
}

fn render(site: &Site, path: &str, query: &Query) -> Duration {
    let start = Instant::now();
    let page = site.handle(path, query);
    let elapsed = start.elapsed();
    assert!(page.is_ok(), "{path}: {:?}", page.err());
    elapsed
}

fn bench(c: &mut Criterion) {
    let Some(site) = site() else { return };
    let all = pages(site);
    let mut first: BTreeMap<String, Duration> = BTreeMap::new();
    for (kind, path, query) in &all {
        let took = render(site, path, query);
        let slowest = first.entry(kind.clone()).or_default();
        *slowest = (*slowest).max(took);
    }
    let mut by_type: BTreeMap<String, Vec<(Duration, String)>> = BTreeMap::new();
    for (kind, path, query) in &all {
        let took = render(site, path, query);
        let shown = match query
            .get("q")
            .or(query.get("layer"))
            .or(query.get("ref"))
            .or(query.get("refs"))
        {
            Some(q) => format!("{path} ({q})"),
            None => path.clone(),
        };
        by_type.entry(kind.clone()).or_default().push((took, shown));
    }
    println!("\npage type              pages   median    slowest   first use  (slowest page)");
    let mut slowest: Option<(Duration, String)> = None;
    let mut heaviest = Vec::new();
    for (kind, times) in &mut by_type {
        times.sort();
        let median = times[times.len() / 2].0;
        let (max, path) = times.last().cloned().unwrap();
        println!(
            "{kind:<22} {:>5} {:>8.2} ms {:>8.2} ms {:>8.2} ms  {path}",
            times.len(),
            median.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            first
                .get(kind.as_str())
                .copied()
                .unwrap_or_default()
                .as_secs_f64()
                * 1e3
        );
        if slowest.as_ref().is_none_or(|(d, _)| max > *d) {
            slowest = Some((max, kind.clone()));
        }
        heaviest.push((kind.clone(), path));
    }
    if let Some((d, kind)) = slowest {
        println!(
            "slowest page type: {kind}, {:.2} ms (target: under 50 ms)\n",
            d.as_secs_f64() * 1e3
        );
    }
    let mut group = c.benchmark_group("page");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(2));
    for (kind, shown) in heaviest {
        let Some((_, path, query)) = all.iter().find(|(k, p, q)| {
            *k == kind
                && match q.get("q").or(q.get("layer")) {
                    Some(x) => shown == format!("{p} ({x})"),
                    None => shown == *p,
                }
        }) else {
            continue;
        };
        group.bench_function(kind.replace(' ', "_"), |b| {
            b.iter(|| site.handle(path, query).is_ok())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
