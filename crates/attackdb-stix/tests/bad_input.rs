//! Bad input: every kind gets one clear error naming the file (and the position where known),
//! and nothing panics.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

use attackdb_stix::{load_bundle, load_bundle_limited, DiagnosticKind, Error};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

const GOOD: &str = r#"{"type": "bundle", "id": "bundle--1", "objects": [
  {"type": "x-mitre-collection", "id": "x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019",
   "name": "Enterprise ATT&CK", "x_mitre_version": "99.1", "spec_version": "2.1"},
  {"type": "attack-pattern", "id": "attack-pattern--1", "name": "One",
   "external_references": [{"source_name": "mitre-attack", "external_id": "T9999"}],
   "x_mitre_future_field": {"nested": true}},
  {"type": "x-mitre-future-thing", "id": "x-mitre-future-thing--1", "name": "Later"}
]}"#;

#[test]
fn a_missing_file_names_the_file() {
    let error = load_bundle(Path::new("/nonexistent/enterprise-attack.json")).unwrap_err();
    assert!(matches!(error, Error::Io { .. }));
    assert!(error
        .to_string()
        .starts_with("/nonexistent/enterprise-attack.json: cannot read"));
}

#[test]
fn a_truncated_gzip_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let full = gzip(GOOD.as_bytes());
    let path = write(dir.path(), "cut.json.gz", &full[..full.len() / 2]);
    let error = load_bundle(&path).unwrap_err();
    assert!(matches!(error, Error::Gzip { .. }), "{error}");
    assert!(
        error.to_string().contains("cut.json.gz: broken gzip data"),
        "{error}"
    );
}

#[test]
fn invalid_json_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "bad.json",
        b"{\"type\": \"bundle\",\n  \"objects\": [ {\"id\": } ]}",
    );
    let error = load_bundle(&path).unwrap_err();
    match &error {
        Error::Json { line, column, .. } => assert_eq!((*line, *column), (2, 23)),
        other => panic!("expected a JSON error, got {other}"),
    }
    assert!(
        error.to_string().contains("bad.json:2:23: invalid JSON"),
        "{error}"
    );
}

#[test]
fn truncated_json_is_invalid_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "short.json", &GOOD.as_bytes()[..200]);
    let error = load_bundle(&path).unwrap_err();
    assert!(matches!(error, Error::Json { .. }), "{error}");
    assert!(error.to_string().contains("EOF"), "{error}");
}

#[test]
fn json_that_is_not_a_bundle_says_so() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, expected) in [
        ("list.json", "[1, 2]", "not a STIX bundle"),
        (
            "layer.json",
            r#"{"name": "layer", "domain": "enterprise-attack"}"#,
            "no \"type\": \"bundle\"",
        ),
        (
            "typed.json",
            r#"{"type": "attack-pattern", "id": "x"}"#,
            "\"attack-pattern\", not \"bundle\"",
        ),
        (
            "noobjects.json",
            r#"{"type": "bundle", "id": "bundle--1"}"#,
            "no \"objects\" array",
        ),
        (
            "objectsmap.json",
            r#"{"type": "bundle", "objects": {}}"#,
            "not a STIX bundle",
        ),
    ] {
        let path = write(dir.path(), name, text.as_bytes());
        let error = load_bundle(&path).unwrap_err();
        assert!(matches!(error, Error::NotABundle { .. }), "{name}: {error}");
        let message = error.to_string();
        assert!(
            message.contains(name) && message.contains(expected),
            "{message}"
        );
    }
}

#[test]
fn an_object_without_id_or_type_is_an_error_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\"type\": \"bundle\", \"objects\": [\n {\"type\": \"tool\", \"id\": \"tool--1\"},\n {\"type\": \"tool\", \"name\": \"x\"}\n]}";
    let path = write(dir.path(), "noid.json", text.as_bytes());
    let error = load_bundle(&path).unwrap_err();
    match &error {
        Error::BadObject {
            index,
            line,
            message,
            ..
        } => {
            assert_eq!((*index, *line), (1, 3));
            assert_eq!(message, "missing field `id`");
        }
        other => panic!("expected a bad object, got {other}"),
    }
    let text = "{\"type\": \"bundle\", \"objects\": [{\"id\": \"tool--1\"}]}";
    let path = write(dir.path(), "notype.json", text.as_bytes());
    let error = load_bundle(&path).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("objects[0]: missing field `type`"),
        "{error}"
    );
}

#[test]
fn a_field_of_the_wrong_type_names_object_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\"type\": \"bundle\", \"objects\": [\n  {\"type\": \"tool\", \"id\": \"tool--1\",\n   \"revoked\": \"yes\"}]}";
    let path = write(dir.path(), "wrong.json", text.as_bytes());
    let error = load_bundle(&path).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!("{}:3:", path.display())),
        "{error}"
    );
    assert!(
        error.contains("objects[0]: invalid type: string \"yes\", expected a boolean"),
        "{error}"
    );
}

#[test]
fn unknown_types_and_fields_are_kept_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "future.json.gz", &gzip(GOOD.as_bytes()));
    let bundle = load_bundle(&path).unwrap();
    assert_eq!(bundle.domain.as_deref(), Some("enterprise-attack"));
    assert_eq!(bundle.release.as_deref(), Some("99.1"));
    assert_eq!(bundle.objects.len(), 3);
    let kinds: Vec<&DiagnosticKind> = bundle.diagnostics.iter().map(|d| &d.kind).collect();
    assert_eq!(
        kinds,
        [
            &DiagnosticKind::UnknownType {
                object_type: "x-mitre-future-thing".into(),
                count: 1
            },
            &DiagnosticKind::UnknownField {
                object_type: "attack-pattern".into(),
                field: "x_mitre_future_field".into(),
                count: 1
            },
        ]
    );
    // The unknown field is still in the object's original JSON.
    let raw = bundle.raw_json(&bundle.objects[1]).unwrap();
    assert!(
        raw.contains("\"x_mitre_future_field\": {\"nested\": true}"),
        "{raw}"
    );
    assert_eq!(bundle.objects[1].attack_id(), Some("T9999"));
}

#[test]
fn without_a_collection_domain_and_release_come_from_objects_and_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"{"type": "bundle", "spec_version": "2.0", "objects": [
      {"type": "malware", "id": "malware--1", "labels": ["malware"], "x_mitre_domains": ["mobile-attack"]}]}"#;
    let path = write(dir.path(), "mobile-attack-9.0.json", text.as_bytes());
    let bundle = load_bundle(&path).unwrap();
    assert_eq!(bundle.domain.as_deref(), Some("mobile-attack"));
    assert_eq!(bundle.release.as_deref(), Some("9.0"));
    assert_eq!(bundle.spec_version.as_deref(), Some("2.0"));
    let notes: Vec<String> = bundle.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].contains("domain mobile-attack taken from the objects' x_mitre_domains"));
    assert!(notes[1].contains("release 9.0 taken from the file name"));
}

#[test]
fn an_empty_folder_has_no_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let error = attackdb_stix::discover_bundles(dir.path()).unwrap_err();
    assert!(error
        .to_string()
        .ends_with("no ATT&CK bundle (*.json or *.json.gz) found"));
}

/// Issue 16, finding 6: a folder with symlink loops (`a -> .`, `b -> .`) is walked once, and a
/// FIFO named like a bundle is not opened (it would block forever).
#[cfg(unix)]
#[test]
fn symlink_loops_and_fifos_do_not_hang_discovery() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bundle.json"), "{}").unwrap();
    std::os::unix::fs::symlink(".", dir.path().join("a")).unwrap();
    std::os::unix::fs::symlink(".", dir.path().join("b")).unwrap();
    std::os::unix::fs::symlink("bundle.json", dir.path().join("again.json")).unwrap();
    let fifo = dir.path().join("pipe.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let found = attackdb_stix::discover_bundles(dir.path()).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    if made.is_ok_and(|s| s.success()) {
        assert!(!found.contains(&fifo));
    }
}

#[test]
fn finding_3_a_gzip_bomb_stops_at_the_limit() {
    use attackdb_stix::{load_bundle_limited, read_text_limited, BundleFile, Limits};
    let dir = tempfile::tempdir().unwrap();
    // Valid JSON: the bundle with 8 MiB of spaces before it, about 8 KiB compressed.
    let mut text = vec![b' '; 8 << 20];
    text.extend_from_slice(GOOD.as_bytes());
    let bomb = write(dir.path(), "bomb.json.gz", &gzip(&text));
    let plain = write(dir.path(), "big.json", &text);
    let limits = Limits {
        max_bundle_bytes: 1 << 20,
        ..Limits::default()
    };
    for path in [&bomb, &plain] {
        for error in [
            read_text_limited(path, &limits).unwrap_err(),
            load_bundle_limited(path, &limits).unwrap_err(),
            BundleFile::open_limited(path, &limits)
                .unwrap()
                .parse()
                .unwrap_err(),
        ] {
            assert!(matches!(error, Error::TooLarge { limit, .. } if limit == 1 << 20));
            let message = error.to_string();
            assert!(
                message.starts_with(&format!("{}: ", path.display()))
                    && message.contains("1048576 bytes")
                    && message.contains("ATTACKDB_MAX_BUNDLE_BYTES"),
                "{message}"
            );
        }
    }
    // Within the limit (the default is 512 MiB) the same file loads.
    assert_eq!(Limits::default().max_bundle_bytes, 512 << 20);
    let roomy = Limits {
        max_bundle_bytes: 16 << 20,
        ..Limits::default()
    };
    assert_eq!(load_bundle_limited(&bomb, &roomy).unwrap().objects.len(), 3);
    assert_eq!(load_bundle(&bomb).unwrap().objects.len(), 3);
}

/// `n` arrays, one in another.
fn nested(n: usize) -> String {
    format!("{}{}", "[".repeat(n), "]".repeat(n))
}

#[test]
fn json_nested_deeper_than_the_limit_is_refused_with_its_position() {
    use attackdb_stix::{BundleFile, Limits, TooDeep, JSON_DEPTH_CEILING};
    let dir = tempfile::tempdir().unwrap();
    let with_limit = |depth| Limits {
        max_json_depth: depth,
        ..Limits::default()
    };
    // An object's field nested 200 deep: past serde_json's own bound (the default), refused
    // at the bracket that went past it, whether the bundle is parsed whole or object by object.
    let deep_field = GOOD.replace(
        r#"{"nested": true}"#,
        &format!("{{\"nested\": {}}}", nested(200)),
    );
    let path = write(dir.path(), "deep.json", deep_field.as_bytes());
    // The bundle is level 1, `objects` 2, the object 3, the field's object 4, its arrays 5 on.
    let column = deep_field.lines().nth(5).unwrap().find("[[").unwrap() + 1;
    let expected = |limit: usize| TooDeep {
        limit,
        line: 6,
        column: column + limit - 4,
    };
    let errors = [
        load_bundle(&path).unwrap_err(),
        BundleFile::open(&path).unwrap().parse().unwrap_err(),
        BundleFile::open(&path)
            .unwrap()
            .parse_scanned(|_| ())
            .unwrap_err(),
    ];
    for error in errors {
        match &error {
            Error::TooDeep { depth, .. } => assert_eq!(*depth, expected(JSON_DEPTH_CEILING)),
            other => panic!("not TooDeep: {other}"),
        }
        assert_eq!(
            error.to_string(),
            format!(
                "{}: JSON nested deeper than 127 levels at line 6, column {} (ATTACKDB_MAX_JSON_DEPTH sets the limit, 1 to 127)",
                path.display(),
                column + 123
            )
        );
    }
    // A lower limit is checked before anything is parsed, gzip or not.
    let gz = write(dir.path(), "deep.json.gz", &gzip(deep_field.as_bytes()));
    for file in [&path, &gz] {
        match load_bundle_limited(file, &with_limit(10)).unwrap_err() {
            Error::TooDeep { depth, path } => {
                assert_eq!((depth, path.as_path()), (expected(10), file.as_path()))
            }
            other => panic!("not TooDeep: {other}"),
        }
    }
    // JSON the parser skips unparsed (a field of the bundle itself, 100,000 deep) holds no
    // recursion: text handed to the parser directly loads; read from a file it is refused.
    let skipped = GOOD.replacen(
        r#""id": "bundle--1","#,
        &format!(r#""id": "bundle--1", "x_deep": {},"#, nested(100_000)),
        1,
    );
    let parsed = attackdb_stix::parse_bundle(Path::new("skipped.json"), skipped.clone());
    assert_eq!(parsed.unwrap().objects.len(), 3);
    let path = write(dir.path(), "skipped.json", skipped.as_bytes());
    assert!(matches!(
        load_bundle(&path).unwrap_err(),
        Error::TooDeep {
            depth: TooDeep {
                limit: 127,
                line: 1,
                ..
            },
            ..
        }
    ));
}

#[test]
fn real_bundles_nest_at_most_six_deep() {
    use attackdb_stix::{Limits, TooDeep};
    let Some(dir) = attackdb_testdata::data_dir() else {
        return;
    };
    let ics = dir.join("ics-attack/ics-attack-18.1.json.gz");
    let limits = |depth| Limits {
        max_json_depth: depth,
        ..Limits::default()
    };
    for name in [
        "enterprise-attack/enterprise-attack-18.1.json.gz",
        "mobile-attack/mobile-attack-18.1.json.gz",
    ] {
        assert!(
            load_bundle_limited(&dir.join(name), &limits(5)).is_ok(),
            "{name}"
        );
    }
    assert_eq!(
        load_bundle_limited(&ics, &limits(6)).unwrap().objects.len(),
        load_bundle(&ics).unwrap().objects.len()
    );
    // ICS 18.1 goes six deep in an asset's related_asset_sectors (asset, list, sector).
    match load_bundle_limited(&ics, &limits(5)).unwrap_err() {
        Error::TooDeep { depth, .. } => assert_eq!(
            depth,
            TooDeep {
                limit: 5,
                line: 50105,
                column: 31
            }
        ),
        other => panic!("not TooDeep: {other}"),
    }
}

#[test]
fn a_long_value_of_the_wrong_type_is_quoted_short_in_the_error() {
    // serde quotes the value it refused: a 1 MB platform string made a 1 MB error line.
    let dir = tempfile::tempdir().unwrap();
    let long = "A".repeat(1 << 20);
    let text = GOOD.replace(
        r#""name": "One","#,
        &format!(r#""name": "One", "x_mitre_platforms": "{long}","#),
    );
    let path = write(dir.path(), "long.json", text.as_bytes());
    let message = load_bundle(&path).unwrap_err().to_string();
    assert!(message.len() < 300, "{} bytes", message.len());
    assert!(
        message.ends_with(&format!(
            "objects[1]: invalid type: string \"{}…\", expected a sequence",
            "A".repeat(40)
        )),
        "{message}"
    );
}
