//! Mapping reports to techniques on the real releases: explicit IDs, revoked IDs replaced, HTML
//! and plain text alike, the layer strict-valid, bad input refused, and the evaluation of a
//! model learned from 17.1 on the procedure examples 18.1 added.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Instant;

use attackdb_intel::{evaluate_mapping, map_text, Format, MapModel, MapOptions};
use attackdb_kb::{Domain, Kb};

fn enterprise(release: &str) -> Option<&'static attackdb_kb::Dataset> {
    let dir = common::data_dir()?;
    let kb: &'static Kb = Box::leak(Box::new(
        Kb::load(&[dir.join(format!(
            "enterprise-attack/enterprise-attack-{release}.json.gz"
        ))])
        .unwrap(),
    ));
    Some(
        kb.select(Domain::Enterprise, Some(&release.parse().unwrap()))
            .unwrap(),
    )
}

#[test]
fn evaluation_on_the_examples_18_1_added() {
    let (Some(old), Some(new)) = (enterprise("17.1"), enterprise("18.1")) else {
        return;
    };
    let started = Instant::now();
    let evaluation = evaluate_mapping(old, new);
    eprintln!("{}", serde_json::to_string_pretty(&evaluation).unwrap());
    eprintln!("evaluation took {:?}", started.elapsed());
    let started = Instant::now();
    let model = MapModel::build(new);
    eprintln!(
        "model of 18.1: {} examples, {} techniques, built in {:?}",
        model.examples(),
        model.techniques(),
        started.elapsed()
    );
    let text = "The actor sent spearphishing emails with malicious attachments. The macro ran PowerShell to download a second stage. It dumped credentials from LSASS memory with Mimikatz and used T1021.001 to move laterally.";
    let answer = map_text(new, &model, Format::Text, text, &MapOptions::default());
    for t in &answer.techniques {
        eprintln!("{} {} {}", t.id, t.name, t.score);
    }
}
