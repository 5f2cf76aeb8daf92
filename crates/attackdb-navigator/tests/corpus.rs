//! Every layer of the real corpora (Navigator samples, DeTT&CT threat-actor layers) reads,
//! upgrades to 4.5 and round-trips: read, write, read gives the same layer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use attackdb_navigator::{layers_to_json, read_layers, Severity, DOMAINS};

#[test]
fn every_corpus_layer_reads_upgrades_and_round_trips() {
    let Some(corpora) = common::corpora_dir() else {
        return;
    };
    let mut files = common::json_files(&corpora.join("navigator-layers"));
    files.extend(common::json_files(&corpora.join("dettect-samples")));
    let mut layers = 0;
    let mut techniques = 0;
    let mut versions = std::collections::BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let read = read_layers(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for layer in &read.layers {
            let errors: Vec<String> = layer.errors().map(ToString::to_string).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", file.display());
            assert!(DOMAINS.contains(&layer.layer.domain.as_str()));
            let v = layer.layer.versions.as_ref().unwrap();
            assert_eq!(v.layer.as_deref(), Some("4.5"));
            *versions.entry(layer.source_version.clone()).or_insert(0) += 1;
            layers += 1;
            techniques += layer.layer.techniques.len();
        }
        let upgraded: Vec<_> = read.layers.iter().map(|l| l.layer.clone()).collect();
        let written = layers_to_json(&upgraded, read.is_list).unwrap();
        let again = read_layers(&written).unwrap();
        let again_layers: Vec<_> = again.layers.iter().map(|l| l.layer.clone()).collect();
        assert_eq!(
            again_layers,
            upgraded,
            "{} does not round-trip",
            file.display()
        );
        for layer in &again.layers {
            assert_eq!(layer.source_version, "4.5");
            // a written layer needs no upgrade: only unknown fields are noted
            for p in &layer.problems {
                assert!(
                    p.severity == Severity::Note && p.message.starts_with("unknown field"),
                    "{}: {p}",
                    file.display()
                );
            }
        }
        assert_eq!(
            layers_to_json(&again_layers, again.is_list).unwrap(),
            written
        );
    }
    assert_eq!(files.len(), 64);
    assert_eq!(layers, 64);
    assert_eq!(techniques, 2849);
    let expected: std::collections::BTreeMap<String, usize> =
        [("2.2", 39), ("3.0", 7), ("4.1", 4), ("4.2", 7), ("4.3", 7)]
            .into_iter()
            .map(|(v, n)| (v.to_string(), n))
            .collect();
    assert_eq!(versions, expected);
}
