//! Mapping reports to techniques on the real releases: explicit IDs, revoked IDs replaced with a
//! note, HTML and plain text alike, entities, the layer strict-valid, and the evaluation of a
//! model learned from 17.1 on the procedure examples 18.1 added, beside its baseline.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use attackdb_intel::{evaluate_mapping, map_text, report_text, Format, MapModel, MapOptions};
use attackdb_kb::{Concept, Dataset, Domain, Kb, RelKind};

fn enterprise(release: &'static str) -> Option<&'static Dataset> {
    static KB: OnceLock<Option<Kb>> = OnceLock::new();
    let kb = KB
        .get_or_init(|| {
            let dir = common::data_dir()?;
            Some(
                Kb::load(&[
                    dir.join("enterprise-attack/enterprise-attack-17.1.json.gz"),
                    dir.join("enterprise-attack/enterprise-attack-18.1.json.gz"),
                ])
                .unwrap(),
            )
        })
        .as_ref()?;
    Some(
        kb.select(Domain::Enterprise, Some(&release.parse().unwrap()))
            .unwrap(),
    )
}

const REPORT: &str = "Operation Example\n\n\
In March, APT29 sent spearphishing emails with malicious Word attachments to government staff. \
When opened, the macro launched PowerShell to download a second-stage loader. \
The loader added a Registry Run key for persistence and created a scheduled task. \
The actors then dumped credentials from LSASS memory using Mimikatz and moved laterally over RDP (T1021.001). \
This report also mentions T1086, an identifier ATT&CK has since revoked.";

#[test]
fn a_report_maps_to_its_named_and_described_techniques() {
    let Some(data) = enterprise("18.1") else {
        return;
    };
    let model = MapModel::cached(data);
    let answer = map_text(data, &model, Format::Text, REPORT, &MapOptions::default());
    let ids: Vec<&str> = answer.techniques.iter().map(|t| t.id.as_str()).collect();
    // Named by ID, by a revoked ID's replacement, and by telling names: scored first.
    for named in ["T1021.001", "T1059.001", "T1003.001", "T1053.005"] {
        assert!(ids.contains(&named), "{named} in {ids:?}");
    }
    let rdp = answer
        .techniques
        .iter()
        .find(|t| t.id == "T1021.001")
        .unwrap();
    assert_eq!((rdp.score, rdp.named), (1.0, true));
    let sentence = &rdp.sentences[0];
    assert_eq!(
        &REPORT
            .chars()
            .skip(sentence.start)
            .take(sentence.end - sentence.start)
            .collect::<String>(),
        &sentence.text
    );
    assert!(sentence
        .text
        .starts_with("The actors then dumped credentials"));
    // Described, not named: the model's, with ATT&CK's own examples as evidence.
    for described in ["T1566.001", "T1547.001"] {
        let t = answer
            .techniques
            .iter()
            .find(|t| t.id == described)
            .unwrap_or_else(|| panic!("{described} in {ids:?}"));
        assert!(
            !t.named && t.score > 0.3 && t.score < 1.0,
            "{described}: {}",
            t.score
        );
        assert!(!t.evidence.is_empty() && t.evidence[0].similarity > 0.0);
    }
    assert_eq!(
        answer.notes,
        vec!["T1086 is revoked: mapped to T1059.001, which replaces it"]
    );
    let entities: Vec<(&str, &str)> = answer
        .entities
        .iter()
        .map(|e| (e.id.as_str(), e.kind))
        .collect();
    assert_eq!(entities, vec![("G0016", "group"), ("S0002", "software")]);
    // "Credentials" (T1589.001) is a word of the text, not a name that tells its technique.
    assert!(!ids.contains(&"T1589.001"), "{ids:?}");
    assert_eq!(answer.sentences.len(), 6);
    assert!(
        answer.sentences[0].techniques.is_empty(),
        "the title describes no technique"
    );
    assert!(answer.note.contains("for an analyst to review"));
}

#[test]
fn html_and_plain_text_give_the_same_techniques() {
    let Some(data) = enterprise("18.1") else {
        return;
    };
    let model = MapModel::cached(data);
    let html = format!(
        "<!doctype html><html><head><title>Operation Example</title><style>p {{ color: red }}</style></head><body>\
         <p>{}</p><script>document.write('T1490 inhibits recovery')</script></body></html>",
        REPORT.replace("Operation Example\n\n", "").replace('&', "&amp;").replace(". ", ".</p>\n<p>")
    );
    let (format, text) = report_text("report.html", html.as_bytes()).unwrap();
    assert_eq!(format, Format::Html);
    let from_html = map_text(data, &model, format, &text, &MapOptions::default());
    let from_text = map_text(data, &model, Format::Text, REPORT, &MapOptions::default());
    let scores = |a: &attackdb_intel::MapAnswer| -> Vec<(String, f64)> {
        a.techniques
            .iter()
            .map(|t| (t.id.clone(), t.score))
            .collect()
    };
    assert_eq!(scores(&from_html), scores(&from_text));
    assert!(
        !from_html.techniques.iter().any(|t| t.id == "T1490"),
        "the script's text is not the report's"
    );
}

#[test]
fn the_layer_is_strict_valid_and_scores_the_confidence() {
    let Some(data) = enterprise("18.1") else {
        return;
    };
    let model = MapModel::cached(data);
    let answer = map_text(data, &model, Format::Text, REPORT, &MapOptions::default());
    let layer = answer.to_layer(data, "report.txt");
    let text = attackdb_navigator::layer_to_json(&layer).unwrap();
    let file = attackdb_navigator::read_layers(&text).unwrap();
    assert!(
        file.layers[0].problems.is_empty(),
        "{:?}",
        file.layers[0].problems
    );
    assert!(attackdb_navigator::check_against(&file.layers[0].layer, data, "$").is_empty());
    assert_eq!(layer.techniques.len(), answer.techniques.len());
    let rdp = layer
        .techniques
        .iter()
        .find(|t| t.technique_id == "T1021.001")
        .unwrap();
    assert_eq!(rdp.score, Some(100.0));
    assert!(rdp
        .comment
        .as_deref()
        .unwrap()
        .contains("moved laterally over RDP"));
    assert!(layer
        .description
        .as_deref()
        .unwrap()
        .contains("for an analyst to review"));
}

#[test]
fn the_evaluation_scores_the_examples_18_1_added() {
    let (Some(old), Some(new)) = (enterprise("17.1"), enterprise("18.1")) else {
        return;
    };
    let e = evaluate_mapping(old, new);
    // Counted here from the relationships themselves: `uses` of a technique, live, new in 18.1,
    // with a text; those whose technique 17.1 lacks are left out.
    let old_ids: BTreeSet<&str> = old
        .list_any(
            &[Concept::Technique, Concept::Subtechnique],
            attackdb_kb::Visibility::LIVE,
        )
        .into_iter()
        .map(|t| old.display_id(t))
        .collect();
    let (mut scored, mut skipped) = (0, 0);
    for link in new.links() {
        let rel = new.object(link.relationship);
        let technique = matches!(
            new.concept(link.target),
            Some(Concept::Technique | Concept::Subtechnique)
        );
        if link.kind != RelKind::Uses
            || !technique
            || !new.is_live(link.relationship)
            || !new.is_live(link.source)
            || !new.is_live(link.target)
            || old.by_stix_id(&rel.id).is_some()
            || rel.description.is_none()
        {
            continue;
        }
        if old_ids.contains(new.display_id(link.target)) {
            scored += 1;
        } else {
            skipped += 1;
        }
    }
    assert_eq!((e.sentences.sentences, e.skipped), (scored, skipped));
    assert!(scored > 800, "{scored}");
    assert_eq!(
        (e.trained_on.as_str(), e.tested_on.as_str()),
        ("17.1", "18.1")
    );
    // Far above always answering the commonest techniques (measured: 0.60 / 0.88 against
    // 0.02 / 0.08); the goals of the issue (0.65 / 0.90) are not met yet.
    assert!(
        e.sentences.top1 > 0.5 && e.baseline_sentences.top1 < 0.05,
        "{:?}",
        e.sentences
    );
    assert!(e.sentences.top5 > 0.8 && e.baseline_sentences.top5 < 0.15);
    assert!(e.sentences.top10 >= e.sentences.top5 && e.sentences.top5 >= e.sentences.top1);
    let f1_10 = e.document_scores.iter().find(|d| d.k == 10).unwrap().f1;
    let base_10 = e.baseline_documents.iter().find(|d| d.k == 10).unwrap().f1;
    assert!(f1_10 > 0.5 && base_10 < 0.2, "{f1_10} {base_10}");
    assert!(e.documents > 100);
}
