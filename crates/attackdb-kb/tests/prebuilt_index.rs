//! The prebuilt index gives exactly the answers the JSON gives, and a damaged, stale or foreign
//! index is never trusted: it is ignored (with a warning when damaged) and rebuilt.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use attackdb_kb::{Concept, Dataset, Relation, Visibility};
use attackdb_stix::{index_paths, load_bundle, load_bundle_cached, CacheOutcome};

/// Copies a real bundle into a fresh folder and returns the folder and the copy.
fn copy_bundle(domain: &str, release: &str) -> Option<(tempfile::TempDir, PathBuf)> {
    let dir = common::data_dir()?;
    let name = format!("{domain}-attack-{release}.json.gz");
    let temp = tempfile::tempdir().unwrap();
    let copy = temp.path().join(&name);
    std::fs::copy(dir.join(format!("{domain}-attack")).join(&name), &copy).unwrap();
    Some((temp, copy))
}

fn dataset(bundle: attackdb_stix::Bundle) -> Dataset {
    let domain = bundle.domain.clone().unwrap();
    let release = bundle.release.clone().unwrap();
    Dataset::build(domain, release, bundle)
}

/// Every relationship family, every lister and every object's raw JSON are equal.
fn assert_same_answers(from_index: &Dataset, from_json: &Dataset) {
    assert_eq!(from_index.objects(), from_json.objects());
    for relation in Relation::ALL {
        assert_eq!(
            from_index.relation_map_named(relation),
            from_json.relation_map_named(relation),
            "{}",
            relation.name()
        );
    }
    for concept in Concept::ALL {
        for visibility in [Visibility::ALL, Visibility::LIVE] {
            assert_eq!(
                from_index.list(concept, visibility),
                from_json.list(concept, visibility)
            );
        }
    }
    for id in 0..from_json.objects().len() as u32 {
        assert_eq!(
            from_index.raw_json(id).unwrap(),
            from_json.raw_json(id).unwrap()
        );
    }
    assert_eq!(from_index.diagnostics(), from_json.diagnostics());
}

fn load(path: &Path) -> attackdb_stix::CachedBundle {
    load_bundle_cached(path, &index_paths(path, None)).unwrap()
}

#[test]
fn the_index_answers_exactly_as_the_json_for_every_family() {
    for (domain, release) in [
        ("enterprise", "18.1"),
        ("mobile", "18.1"),
        ("ics", "18.1"),
        ("enterprise", "15.1"),
    ] {
        let Some((_temp, path)) = copy_bundle(domain, release) else {
            return;
        };
        let index = index_paths(&path, None)[0].clone();
        let first = load(&path);
        assert_eq!(first.outcome, CacheOutcome::Written(index.clone()));
        let second = load(&path);
        assert_eq!(second.outcome, CacheOutcome::Used(index));
        assert!(second.warnings.is_empty());
        let from_json = dataset(load_bundle(&path).unwrap());
        assert_same_answers(&dataset(second.bundle), &from_json);
    }
}

#[test]
fn a_damaged_index_is_rebuilt_not_trusted() {
    let Some((_temp, path)) = copy_bundle("ics", "18.1") else {
        return;
    };
    let index = index_paths(&path, None)[0].clone();
    load(&path);
    let good = std::fs::read(&index).unwrap();
    let from_json = dataset(load_bundle(&path).unwrap());
    let damages: Vec<(&str, Vec<u8>)> = vec![
        ("flipped payload byte", {
            let mut bytes = good.clone();
            bytes[500] ^= 0x55;
            bytes
        }),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("shorter than a header", good[..20].to_vec()),
        ("not an index", b"hello, world".repeat(10)),
    ];
    for (what, bytes) in damages {
        std::fs::write(&index, &bytes).unwrap();
        let loaded = load(&path);
        assert_eq!(
            loaded.outcome,
            CacheOutcome::Written(index.clone()),
            "{what}"
        );
        assert_eq!(loaded.warnings.len(), 1, "{what}");
        assert!(
            loaded.warnings[0].contains("ignoring unreadable prebuilt index"),
            "{what}: {:?}",
            loaded.warnings
        );
        assert_same_answers(&dataset(loaded.bundle), &from_json);
        // The rebuilt index is whole again.
        assert_eq!(std::fs::read(&index).unwrap(), good, "{what}");
    }
}

#[test]
fn damaged_text_in_the_index_falls_back_to_the_bundle() {
    let Some((_temp, path)) = copy_bundle("ics", "18.1") else {
        return;
    };
    let index = index_paths(&path, None)[0].clone();
    load(&path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(&index)
        .unwrap();
    let end = file.seek(SeekFrom::End(0)).unwrap();
    file.seek(SeekFrom::Start(end - 100)).unwrap();
    file.write_all(b"XXXX").unwrap();
    drop(file);
    let loaded = load(&path);
    assert!(matches!(loaded.outcome, CacheOutcome::Used(_)));
    let from_index = dataset(loaded.bundle);
    let from_json = dataset(load_bundle(&path).unwrap());
    assert_same_answers(&from_index, &from_json);
}

#[test]
fn a_changed_bundle_or_format_gets_a_new_index() {
    let Some((temp, path)) = copy_bundle("ics", "18.1") else {
        return;
    };
    let index = index_paths(&path, None)[0].clone();
    load(&path);
    // Same content, new modification time: the hash still matches, the index is used.
    let content = std::fs::read(&path).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&path, &content).unwrap();
    assert_eq!(load(&path).outcome, CacheOutcome::Used(index.clone()));
    // Another release under the same name: the index is rebuilt for it, silently.
    let data = common::data_dir().unwrap();
    std::fs::copy(data.join("ics-attack/ics-attack-15.1.json.gz"), &path).unwrap();
    let loaded = load(&path);
    assert_eq!(loaded.outcome, CacheOutcome::Written(index.clone()));
    assert!(loaded.warnings.is_empty());
    assert_eq!(loaded.bundle.release.as_deref(), Some("15.1"));
    // Another format version: the header's version differs, so it is rebuilt, silently.
    let mut bytes = std::fs::read(&index).unwrap();
    bytes[8] = bytes[8].wrapping_add(1);
    std::fs::write(&index, &bytes).unwrap();
    let loaded = load(&path);
    assert_eq!(loaded.outcome, CacheOutcome::Written(index));
    assert!(loaded.warnings.is_empty());
    drop(temp);
}

#[test]
fn a_read_only_folder_uses_the_fallback_folder() {
    let Some((temp, path)) = copy_bundle("ics", "18.1") else {
        return;
    };
    let fallback = tempfile::tempdir().unwrap();
    let unwritable = temp
        .path()
        .join("no-such-dir")
        .join("x.json.gz.attackdb-index");
    let candidates = [
        unwritable.clone(),
        index_paths(&path, Some(fallback.path()))[1].clone(),
    ];
    // A file where the first candidate's folder should be makes it unwritable.
    std::fs::write(temp.path().join("no-such-dir"), b"").unwrap();
    let loaded = load_bundle_cached(&path, &candidates).unwrap();
    assert_eq!(loaded.outcome, CacheOutcome::Written(candidates[1].clone()));
    assert!(candidates[1].starts_with(fallback.path()));
    assert_eq!(
        load_bundle_cached(&path, &candidates).unwrap().outcome,
        CacheOutcome::Used(candidates[1].clone())
    );
}
