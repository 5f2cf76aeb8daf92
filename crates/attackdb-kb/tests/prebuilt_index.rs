//! The prebuilt index gives exactly the answers the JSON gives, and a damaged, stale or foreign
//! index is never trusted: it is ignored (with a warning when damaged) and rebuilt.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use attackdb_kb::{load_dataset_cached, CachedDataset, Concept, Dataset, Relation, Visibility};
use attackdb_stix::{index_paths, load_bundle, CacheOutcome};

/// Copies a real bundle into a fresh folder and returns the folder and the copy.
fn copy_bundle(domain: &str, release: &str) -> Option<(tempfile::TempDir, PathBuf)> {
    let dir = common::data_dir()?;
    let name = format!("{domain}-attack-{release}.json.gz");
    let temp = tempfile::tempdir().unwrap();
    let copy = temp.path().join(&name);
    std::fs::copy(dir.join(format!("{domain}-attack")).join(&name), &copy).unwrap();
    Some((temp, copy))
}

/// A copy of a real ICS 18.1 bundle and its prebuilt index, written by a first load.
fn indexed_ics_copy() -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    let (temp, path) = copy_bundle("ics", "18.1")?;
    let index = index_paths(&path, None)[0].clone();
    load(&path);
    Some((temp, path, index))
}

fn dataset(bundle: attackdb_stix::Bundle) -> Dataset {
    let domain = bundle.domain.as_deref().unwrap().parse().unwrap();
    let release = bundle.release.as_deref().unwrap().parse().unwrap();
    Dataset::build(domain, release, bundle)
}

/// Every object, lookup, relationship family, lister and raw JSON are equal. Objects are
/// compared one by one first (each read on its own from the index), then all at once.
fn assert_same_answers(from_index: &Dataset, from_json: &Dataset) {
    let count = from_json.object_count();
    assert_eq!(from_index.object_count(), count);
    assert_eq!(from_index.objects().len(), count);
    for id in (0..count as u32).step_by(7) {
        assert_eq!(from_index.object(id), from_json.object(id));
    }
    assert!(from_index.objects().iter().eq(from_json.objects().iter()));
    for id in 0..count as u32 {
        let object = from_json.object(id);
        assert_eq!(from_index.display_id(id), from_json.display_id(id));
        assert_eq!(from_index.display_name(id), from_json.display_name(id));
        assert_eq!(from_index.concept(id), from_json.concept(id));
        assert_eq!(from_index.is_live(id), from_json.is_live(id));
        assert_eq!(
            from_index.by_stix_id(&object.id),
            from_json.by_stix_id(&object.id)
        );
        if let Some(attack_id) = object.attack_id() {
            assert_eq!(
                from_index.by_attack_id(attack_id),
                from_json.by_attack_id(attack_id)
            );
        }
        if let Some(name) = &object.name {
            assert_eq!(from_index.by_name(name), from_json.by_name(name));
        }
        for alias in &object.aliases {
            assert_eq!(from_index.by_alias(alias), from_json.by_alias(alias));
        }
        let links = |d: &Dataset| -> Vec<attackdb_kb::Link> {
            d.outgoing(id).chain(d.incoming(id)).copied().collect()
        };
        assert_eq!(links(from_index), links(from_json));
    }
    assert_eq!(from_index.links(), from_json.links());
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
    for id in 0..count as u32 {
        assert_eq!(
            from_index.raw_json(id).unwrap(),
            from_json.raw_json(id).unwrap()
        );
    }
    assert_eq!(from_index.diagnostics(), from_json.diagnostics());
    assert!(from_index.read_problems().is_empty());
}

fn load(path: &Path) -> CachedDataset {
    load_dataset_cached(path, &index_paths(path, None)).unwrap()
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
        // The first load read the JSON without keeping its objects (each parsed again when
        // asked for): its tables, byte for byte, and its answers are those of a whole parse.
        let first = first.dataset.unwrap();
        assert_eq!(first.index_tables(), from_json.index_tables());
        assert_same_answers(&first, &from_json);
        assert_same_answers(&second.dataset.unwrap(), &from_json);
    }
}

#[test]
fn a_damaged_index_is_rebuilt_not_trusted() {
    let Some((_temp, path, index)) = indexed_ics_copy() else {
        return;
    };
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
        assert_same_answers(&loaded.dataset.unwrap(), &from_json);
        // The rebuilt index is whole again.
        assert_eq!(std::fs::read(&index).unwrap(), good, "{what}");
    }
}

#[test]
fn damaged_text_in_the_index_falls_back_to_the_bundle() {
    let Some((_temp, path, index)) = indexed_ics_copy() else {
        return;
    };
    damage_text_end(&index);
    let loaded = load(&path);
    assert!(matches!(loaded.outcome, CacheOutcome::Used(_)));
    let from_index = loaded.dataset.unwrap();
    let from_json = dataset(load_bundle(&path).unwrap());
    assert_same_answers(&from_index, &from_json);
}

/// Overwrites 4 bytes of the text copy in `index`, 100 bytes before its end (the text is the
/// index's last section).
fn damage_text_end(index: &Path) {
    let mut file = std::fs::OpenOptions::new().write(true).open(index).unwrap();
    let end = file.seek(SeekFrom::End(0)).unwrap();
    file.seek(SeekFrom::Start(end - 100)).unwrap();
    file.write_all(b"XXXX").unwrap();
}

/// The object whose JSON holds byte `at` of the bundle text.
fn object_at(dataset: &Dataset, at: usize) -> u32 {
    (0..dataset.object_count() as u32)
        .find(|&i| dataset.object(i).raw.contains(&at))
        .unwrap()
}

#[test]
fn an_object_that_cannot_be_read_back_is_reported_not_invented() {
    let Some((_temp, path, index)) = indexed_ics_copy() else {
        return;
    };
    let from_json = dataset(load_bundle(&path).unwrap());
    let text_len = from_json.bundle().text.get().unwrap().len();
    let damaged = object_at(&from_json, text_len - 100);
    let loaded = load(&path);
    assert!(matches!(loaded.outcome, CacheOutcome::Used(_)));
    let from_index = loaded.dataset.unwrap();
    // While the dataset is open, both the index's copy of the object and the bundle change.
    damage_text_end(&index);
    std::fs::write(&path, b"{}").unwrap();
    // Objects still intact are read as before; the damaged one is empty and reported.
    assert_eq!(from_index.object(0), from_json.object(0));
    assert_eq!(from_index.object(damaged).id.as_ref(), "");
    assert_eq!(
        from_index.object(damaged).raw,
        from_json.object(damaged).raw
    );
    let problems = from_index.read_problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains(&format!("object {damaged}")),
        "{problems:?}"
    );
    // Its identity and links come from the tables, read whole when the dataset was opened.
    assert_eq!(
        from_index.display_id(damaged),
        from_json.display_id(damaged)
    );
    assert!(from_index.raw_json(damaged).is_err());
}

#[test]
fn damaged_tables_are_refused_never_trusted() {
    let Some((_temp, path)) = copy_bundle("ics", "18.1") else {
        return;
    };
    let from_json = dataset(load_bundle(&path).unwrap());
    let tables = from_json.index_tables();
    let open = |tables: &[u8]| {
        let bundle = load_bundle(&path).unwrap();
        Dataset::from_index(
            attackdb_kb::Domain::Ics,
            "18.1".parse().unwrap(),
            bundle,
            tables,
        )
    };
    let again = open(&tables).unwrap();
    assert_eq!(again.links(), from_json.links());
    assert_eq!(again.by_attack_id("T0800"), from_json.by_attack_id("T0800"));
    for cut in (0..tables.len()).step_by(tables.len() / 16) {
        assert!(open(&tables[..cut]).is_err(), "cut at {cut}");
    }
    let mut longer = tables.clone();
    longer.push(0);
    assert!(open(&longer).is_err());
    // Flipped bytes: refused, or (in string text) read as other strings; never a panic, and
    // every object stays addressable.
    for at in (0..tables.len()).step_by(tables.len() / 40) {
        let mut flipped = tables.clone();
        flipped[at] ^= 0x80;
        if let Ok(dataset) = open(&flipped) {
            for id in 0..dataset.object_count() as u32 {
                let _ = (dataset.display_id(id), dataset.outgoing(id).count());
                let _ = dataset.incoming(id).map(|l| l.source).max();
            }
        }
    }
    let other = dataset(load_bundle(&copy_bundle("mobile", "18.1").unwrap().1).unwrap());
    let error = open(&other.index_tables()).unwrap_err();
    assert!(error.contains("not those of its objects"), "{error}");
}

#[test]
fn a_changed_bundle_or_format_gets_a_new_index() {
    let Some((temp, path, index)) = indexed_ics_copy() else {
        return;
    };
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
    assert_eq!(loaded.dataset.unwrap().release(), "15.1");
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
    let loaded = load_dataset_cached(&path, &candidates).unwrap();
    assert_eq!(loaded.outcome, CacheOutcome::Written(candidates[1].clone()));
    assert!(candidates[1].starts_with(fallback.path()));
    assert_eq!(
        load_dataset_cached(&path, &candidates).unwrap().outcome,
        CacheOutcome::Used(candidates[1].clone())
    );
}

#[cfg(unix)]
#[test]
fn a_folder_without_write_permission_is_left_untouched() {
    use std::os::unix::fs::PermissionsExt;

    let Some((temp, path)) = copy_bundle("ics", "18.1") else {
        return;
    };
    let fallback = tempfile::tempdir().unwrap();
    let candidates = index_paths(&path, Some(fallback.path()));
    std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    // Even a process that could write there (root) leaves a read-only folder as it is.
    let loaded = load_dataset_cached(&path, &candidates).unwrap();
    let entries = std::fs::read_dir(temp.path()).unwrap().count();
    std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(loaded.outcome, CacheOutcome::Written(candidates[1].clone()));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(entries, 1);
    assert_eq!(
        load_dataset_cached(&path, &candidates).unwrap().outcome,
        CacheOutcome::Used(candidates[1].clone())
    );
}

/// Sets the u64 header word at `at` of `index` to `value` and makes the file (sparsely) as
/// long as the header then promises.
fn claim_section_length(index: &Path, at: usize, value: u64) {
    let mut bytes = std::fs::read(index).unwrap();
    let word = |bytes: &[u8], at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
    let total = 108 + word(&bytes, 60) + word(&bytes, 68) + word(&bytes, 76) + word(&bytes, 84);
    std::fs::write(index, &bytes).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(index).unwrap();
    file.set_len(total).unwrap();
}

#[test]
fn finding_5_huge_section_lengths_in_a_sparse_index_are_damage_not_an_abort() {
    let Some((_temp, path, index)) = indexed_ics_copy() else {
        return;
    };
    let good = std::fs::read(&index).unwrap();
    let from_json = dataset(load_bundle(&path).unwrap());
    // Facts, table, the user's section and the text each claiming 40 GiB, the file sparse to
    // match: every size check passes, and reading it used to allocate 40 GiB and abort.
    for (what, at) in [("facts", 60), ("table", 68), ("tables", 76), ("text", 84)] {
        std::fs::write(&index, &good).unwrap();
        claim_section_length(&index, at, 40 << 30);
        let loaded = load(&path);
        assert_eq!(
            loaded.outcome,
            CacheOutcome::Written(index.clone()),
            "{what}"
        );
        assert_eq!(loaded.warnings.len(), 1, "{what}: {:?}", loaded.warnings);
        assert!(
            loaded.warnings[0].contains("ignoring unreadable prebuilt index")
                && loaded.warnings[0].contains("limit"),
            "{what}: {:?}",
            loaded.warnings
        );
        assert_same_answers(&loaded.dataset.unwrap(), &from_json);
        assert_eq!(std::fs::read(&index).unwrap(), good, "{what}: rewritten");
    }
}

#[test]
fn finding_11_a_bundle_edited_in_place_with_the_same_size_and_mtime_is_not_trusted() {
    let Some(dir) = common::data_dir() else {
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("ics-attack-18.1.json");
    let text = attackdb_stix::read_text(&dir.join("ics-attack/ics-attack-18.1.json.gz")).unwrap();
    std::fs::write(&path, &text).unwrap();
    let index = index_paths(&path, None)[0].clone();
    assert_eq!(load(&path).outcome, CacheOutcome::Written(index.clone()));
    let before = load(&path);
    assert_eq!(before.outcome, CacheOutcome::Used(index.clone()));
    let technique = before.dataset.as_ref().unwrap().by_attack_id("T0800")[0];
    let name = before
        .dataset
        .as_ref()
        .unwrap()
        .object(technique)
        .name
        .as_deref()
        .unwrap()
        .to_string();
    // The same bytes but one letter of a name, the same size and modification time.
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let edited_name: String = name
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i == 0 {
                if c == 'X' {
                    'Y'
                } else {
                    'X'
                }
            } else {
                c
            }
        })
        .collect();
    let edited = text.replacen(
        &format!("\"name\": \"{name}\""),
        &format!("\"name\": \"{edited_name}\""),
        1,
    );
    assert_ne!(edited, text, "the name is in the bundle");
    assert_eq!(edited.len(), text.len());
    std::fs::write(&path, &edited).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_modified(modified).unwrap();
    drop(file);
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );
    let after = load(&path);
    assert_eq!(after.outcome, CacheOutcome::Written(index.clone()));
    let dataset = after.dataset.unwrap();
    assert_eq!(
        dataset.object(technique).name.as_deref(),
        Some(&*edited_name)
    );
    assert_same_answers(&dataset, &dataset_from(&path));
    assert_eq!(load(&path).outcome, CacheOutcome::Used(index));
}

fn dataset_from(path: &Path) -> Dataset {
    dataset(load_bundle(path).unwrap())
}

#[test]
fn finding_12_temporary_index_files_of_killed_writers_are_removed() {
    let Some((temp, path)) = copy_bundle("ics", "18.1") else {
        return;
    };
    let dir = temp.path();
    let name = |pid: &str| format!(".ics-attack-18.1.json.gz.attackdb-index.{pid}.tmp");
    // A writer killed during a first load (no such process: PIDs stop at 2^22), one of a live
    // process (PID 1) written a moment ago, and files that are not temporary indexes.
    let dead = dir.join(name("999999999"));
    let live = dir.join(name("1"));
    let others = [dir.join(".notes.tmp"), dir.join(name("x1"))];
    for file in [&dead, &live].into_iter().chain(&others) {
        std::fs::write(file, b"partial").unwrap();
    }
    let loaded = load(&path);
    assert!(matches!(loaded.outcome, CacheOutcome::Written(_)));
    assert!(!dead.exists(), "a dead writer's temporary file is removed");
    if cfg!(target_os = "linux") {
        assert!(
            live.exists(),
            "a live writer's recent temporary file is kept"
        );
    }
    for other in &others {
        assert!(other.exists(), "{} is kept", other.display());
    }
    // Older than an hour: removed whoever wrote it.
    let file = std::fs::OpenOptions::new().write(true).open(&live).unwrap();
    file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(7200))
        .unwrap();
    drop(file);
    std::fs::remove_file(index_paths(&path, None)[0].clone()).unwrap();
    load(&path);
    assert!(!live.exists(), "an hour-old temporary file is removed");
}

#[test]
fn tables_of_another_version_are_rebuilt_without_a_warning() {
    let Some((_temp, path)) = copy_bundle("ics", "18.1") else {
        return;
    };
    let index = index_paths(&path, None)[0].clone();
    let from_json = dataset(load_bundle(&path).unwrap());
    let mut tables = from_json.index_tables();
    let tag = b"attackdb-kb tables ";
    let at = tables.windows(tag.len()).position(|w| w == tag).unwrap() + tag.len();
    tables[at] = b'1';
    let mut file = attackdb_stix::BundleFile::open(&path).unwrap();
    let mut warnings = Vec::new();
    attackdb_stix::write_index(
        &mut file,
        from_json.bundle(),
        &tables,
        std::slice::from_ref(&index),
        &mut warnings,
    )
    .unwrap();
    let loaded = load(&path);
    assert_eq!(loaded.warnings, Vec::<String>::new());
    assert_eq!(loaded.outcome, CacheOutcome::Written(index.clone()));
    assert_eq!(load(&path).outcome, CacheOutcome::Used(index));
}
