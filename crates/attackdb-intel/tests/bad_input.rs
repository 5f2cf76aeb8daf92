//! Bad input: unknown, ambiguous, retired and wrong-kind references; technique lists with
//! revoked, deprecated, unknown, malformed and repeated IDs in every format; atomics folders with
//! malformed files; options that make no sense. Each is a typed error or a reported problem,
//! never a panic and never a silent drop.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use attackdb_intel::{
    attribute, emulate, overlap, parse_technique_ids, parse_technique_text, profile,
    read_technique_file, resolve, AtomicIndex, AttributeOptions, EmulateOptions, Error, ListFormat,
    Measure, ProblemKind, ProfileOptions, ACTOR_KINDS,
};
use attackdb_kb::Concept;

use common::enterprise;

#[test]
fn unknown_references_suggest_close_names() {
    let Some(data) = enterprise() else { return };
    match profile(data, "APT 29x", &ProfileOptions::default()) {
        Err(Error::UnknownReference {
            query, suggestions, ..
        }) => {
            assert_eq!(query, "APT 29x");
            assert!(!suggestions.is_empty());
        }
        other => panic!("{other:?}"),
    }
    let message = profile(data, "no such actor at all", &ProfileOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("no group, campaign or software"),
        "{message}"
    );
}

#[test]
fn ambiguous_references_list_every_candidate() {
    let Some(data) = enterprise() else { return };
    // "Carbanak" names both the group G0008 and the malware S0030.
    match resolve(data, "carbanak", &ACTOR_KINDS) {
        Err(Error::AmbiguousReference { candidates, .. }) => {
            assert_eq!(candidates.len(), 2, "{candidates:?}");
            assert!(candidates[0].starts_with("G0008 "), "{candidates:?}");
            assert!(candidates[1].starts_with("S0030 "), "{candidates:?}");
        }
        other => panic!("{other:?}"),
    }
    // Asked for a group only, the name is no longer ambiguous.
    let group = resolve(data, "Carbanak", &[Concept::Group]).unwrap();
    assert_eq!(data.display_id(group), "G0008");
    // An alias shared by a group and a software (CozyDuke: G0016 and S0046).
    let message = resolve(data, "CozyDuke", &ACTOR_KINDS)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("G0016") && message.contains("S0046"),
        "{message}"
    );
    // A name wins over another object's alias (Thrip is G0076's name and an alias of G0030).
    assert_eq!(
        data.display_id(resolve(data, "Thrip", &ACTOR_KINDS).unwrap()),
        "G0076"
    );
}

#[test]
fn retired_and_wrong_kind_references_are_errors() {
    let Some(data) = enterprise() else { return };
    let old = data.lookup("G0118").unwrap();
    assert!(data.is_revoked(old));
    let replacement = data
        .display_id(data.revoking_object(old).unwrap())
        .to_string();
    match profile(data, "G0118", &ProfileOptions::default()) {
        Err(Error::Retired {
            state,
            replacement: Some(r),
            ..
        }) => {
            assert_eq!(state, "revoked");
            assert_eq!(r, replacement);
        }
        other => panic!("{other:?}"),
    }
    match profile(data, "G0014", &ProfileOptions::default()) {
        Err(Error::Retired {
            state: "deprecated",
            replacement: None,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    match profile(data, "T1059", &ProfileOptions::default()) {
        Err(Error::WrongKind { id, actual, .. }) => {
            assert_eq!(id, "T1059");
            assert_eq!(actual, "a technique");
        }
        other => panic!("{other:?}"),
    }
    // Emulation takes groups and campaigns, not software.
    let atomics = AtomicIndex::default();
    assert!(matches!(
        emulate(data, "S0154", &atomics, &EmulateOptions::default()),
        Err(Error::WrongKind { .. })
    ));
}

fn kinds(list: &attackdb_intel::TechniqueList) -> Vec<ProblemKind> {
    list.problems.iter().map(|p| p.kind).collect()
}

#[test]
fn id_lists_report_every_entry_they_change_or_leave_out() {
    let Some(data) = enterprise() else { return };
    let text = "# observed on host A\nT1059.001, t1003.001\nT1086 # PowerShell, revoked\n\nT1064\nT9999; foo T12\nT1003.001\n";
    let list = parse_technique_text(data, text, ListFormat::Auto, "observed.txt").unwrap();
    assert_eq!(list.techniques, ["T1059.001", "T1003.001"]);
    assert_eq!(
        kinds(&list),
        [
            ProblemKind::Revoked,
            ProblemKind::Deprecated,
            ProblemKind::Unknown,
            ProblemKind::Malformed,
            ProblemKind::Malformed,
            ProblemKind::Duplicate,
        ]
    );
    let revoked = &list.problems[0];
    assert_eq!(revoked.location, "line 3");
    assert_eq!(revoked.replacement.as_deref(), Some("T1059.001"));
    assert!(revoked.message.contains("revoked"), "{}", revoked.message);
    assert!(list.problems[2].message.contains("T9999"));
    // A revoked ID alone brings its replacement in.
    let list = parse_technique_ids(data, &["T1193".to_string()]);
    assert_eq!(list.techniques, ["T1566.001"]);
    assert_eq!(kinds(&list), [ProblemKind::Revoked]);
}

#[test]
fn layers_count_enabled_annotated_entries_and_say_which_do_not() {
    let Some(data) = enterprise() else { return };
    let layer = r##"{"name": "observed", "domain": "enterprise-attack",
        "versions": {"layer": "4.5", "navigator": "5.1.0"},
        "techniques": [
            {"techniqueID": "T1059.001", "score": 1},
            {"techniqueID": "T1003", "score": 1, "enabled": false},
            {"techniqueID": "T1088", "comment": "old"},
            {"techniqueID": "T1082"},
            {"techniqueID": "T1105", "score": 0},
            {"techniqueID": "T7777", "color": "#ff0000"}
        ]}"##;
    let list = parse_technique_text(data, layer, ListFormat::Auto, "observed.json").unwrap();
    assert_eq!(list.techniques, ["T1059.001", "T1548.002"]);
    assert_eq!(
        kinds(&list),
        [
            ProblemKind::Revoked,
            ProblemKind::Unknown,
            ProblemKind::NotCounted
        ]
    );
    assert_eq!(list.problems[2].input, "T1003, T1082, T1105");
    assert!(matches!(
        parse_technique_text(data, "{not json", ListFormat::Layer, "bad.json"),
        Err(Error::BadInput { .. })
    ));
}

#[test]
fn csv_files_use_their_technique_column() {
    let Some(data) = enterprise() else { return };
    let csv = "id,name,Technique ID\n1,first,T1059.001\n2,\"second, quoted\",\"T1003.001; T1086\"\n3,third,not an id\n4,fourth,\n";
    let list = parse_technique_text(data, csv, ListFormat::Auto, "alerts.csv").unwrap();
    assert_eq!(list.techniques, ["T1059.001", "T1003.001"]);
    assert_eq!(kinds(&list), [ProblemKind::Revoked, ProblemKind::Malformed]);
    assert_eq!(list.problems[1].location, "row 4");
    // No header: the column holding IDs.
    let list =
        parse_technique_text(data, "host1,T1082\nhost2,T1083\n", ListFormat::Csv, "x").unwrap();
    assert_eq!(list.techniques, ["T1082", "T1083"]);
    assert!(list.problems.is_empty());
    match parse_technique_text(data, "host,user\na,b\n", ListFormat::Csv, "x.csv") {
        Err(Error::BadInput { message, .. }) => assert!(message.contains("technique column")),
        other => panic!("{other:?}"),
    }
    let missing = std::path::Path::new("/nonexistent/observed.txt");
    assert!(matches!(
        read_technique_file(data, missing, ListFormat::Auto),
        Err(Error::Io { .. })
    ));
}

#[test]
fn malformed_atomic_files_are_reported_and_the_rest_used() {
    let Some(data) = enterprise() else { return };
    let dir = common::temp_dir("atomics");
    let write = |technique: &str, text: &str| {
        let folder = dir.join("atomics").join(technique);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(format!("{technique}.yaml")), text).unwrap();
    };
    write(
        "T1059.001",
        "attack_technique: T1059.001\natomic_tests:\n- name: Run a script\n  auto_generated_guid: 11111111-1111-1111-1111-111111111111\n  supported_platforms: [windows]\n  input_arguments:\n    script: {description: s, type: string, default: 'C:\\x.ps1'}\n  executor:\n    name: powershell\n    command: '& #{script}'\n    cleanup_command: 'Remove-Item #{script}'\n",
    );
    write(
        "T1003",
        "attack_technique: T1003\natomic_tests: [\n  {name: broken\n",
    );
    write(
        "T1082",
        "attack_technique: T1082\natomic_tests:\n- name: no guid\n  supported_platforms: [windows]\n  executor: {name: command_prompt, command: systeminfo}\n",
    );
    let atomics = AtomicIndex::load(&dir).unwrap();
    assert_eq!(atomics.files, 3);
    assert_eq!(atomics.problems.len(), 2, "{:?}", atomics.problems);
    assert!(atomics.problems[0].path.ends_with("T1003.yaml"));
    assert!(atomics.problems[1].path.ends_with("T1082.yaml"));
    assert!(atomics.problems[1].message.contains("auto_generated_guid"));
    let plan = emulate(
        data,
        "G0016",
        &atomics,
        &EmulateOptions {
            platform: Some("WINDOWS".into()),
            with_software: false,
        },
    )
    .unwrap();
    assert_eq!(plan.test_count(), 1);
    let step = &plan.steps[0];
    assert_eq!(step.technique, "T1059.001");
    assert_eq!(step.atomics[0].command, "& C:\\x.ps1");
    assert_eq!(
        step.atomics[0].cleanup_command.as_deref(),
        Some("Remove-Item C:\\x.ps1")
    );
    assert_eq!(plan.atomic_problems.len(), 2);
    assert!(plan.to_markdown().contains("T1003.yaml"));
    let missing = dir.join("nowhere");
    assert!(matches!(AtomicIndex::load(&missing), Err(Error::Io { .. })));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn options_that_make_no_sense_are_errors() {
    let Some(data) = enterprise() else { return };
    assert!(matches!(
        attribute(data, &[], &AttributeOptions::default()),
        Err(Error::NoTechniques { .. })
    ));
    assert!(matches!(
        overlap(data, &["G0016".into(), "APT29".into()]),
        Err(Error::BadOptions(_))
    ));
    assert!(matches!(
        Measure::parse("euclid"),
        Err(Error::BadOptions(_))
    ));
    assert_eq!(Measure::parse("IDF_Cosine").unwrap(), Measure::IdfCosine);
}
