//! Names and aliases several objects share: `lookup` still finds one, `also_named` lists the
//! others, on the real enterprise 18.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use attackdb_kb::{answer::also_named_note, Concept, Visibility};

/// Every live technique name that several live objects carry as a name or alias, with the
/// object `lookup` picks and the others, equals the groups computed from the bundle's JSON with
/// Python: 29 names, 23 shared by techniques only, 6 with a mitigation, a data component or
/// a tool.
#[test]
fn every_shared_technique_name_lists_the_others() {
    let Some(dataset) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let mut shared: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for technique in dataset.list_any(
        &[Concept::Technique, Concept::Subtechnique],
        Visibility::LIVE,
    ) {
        let name = dataset.display_name(technique).to_string();
        let chosen = dataset.lookup(&name).unwrap();
        let others: Vec<u32> = dataset
            .also_named(&name, chosen)
            .into_iter()
            .filter(|&o| dataset.is_live(o))
            .collect();
        if others.is_empty() {
            continue;
        }
        let mut all = vec![dataset.display_id(chosen).to_string()];
        all.extend(common::names(dataset, &others));
        shared.insert(name.to_lowercase(), all);
    }
    let expected: BTreeMap<String, Vec<String>> = [
        ("at", &["S0110", "T1053.002"][..]),
        ("botnet", &["T1583.005", "T1584.005"]),
        ("cloud account", &["T1087.004", "T1136.003"]),
        ("cloud accounts", &["T1078.004", "T1585.003", "T1586.003"]),
        ("code repositories", &["T1213.003", "T1593.003"]),
        ("code signing", &["M1045", "T1553.002"]),
        ("code signing certificates", &["T1587.002", "T1588.003"]),
        (
            "digital certificates",
            &["T1587.003", "T1588.004", "T1596.003"],
        ),
        ("dns", &["T1071.004", "T1590.002"]),
        ("dns server", &["T1583.002", "T1584.002"]),
        ("domain account", &["T1087.002", "T1136.002"]),
        ("domains", &["T1583.001", "T1584.001"]),
        ("email accounts", &["T1585.002", "T1586.002"]),
        ("exploits", &["T1587.004", "T1588.005"]),
        ("file deletion", &["DC0040", "T1070.004"]),
        ("local account", &["T1087.001", "T1136.001"]),
        ("malware", &["T1587.001", "T1588.001"]),
        ("multi-factor authentication", &["M1032", "T1556.006"]),
        ("server", &["T1583.004", "T1584.004"]),
        ("serverless", &["T1583.007", "T1584.007"]),
        ("social media", &["DC0052", "T1593.001"]),
        ("social media accounts", &["T1585.001", "T1586.001"]),
        ("spearphishing attachment", &["T1566.001", "T1598.002"]),
        ("spearphishing link", &["T1566.002", "T1598.003"]),
        ("spearphishing voice", &["T1566.004", "T1598.004"]),
        ("steganography", &["T1001.002", "T1027.003"]),
        ("virtual private server", &["T1583.003", "T1584.003"]),
        ("vulnerability scanning", &["M1016", "T1595.002"]),
        ("web services", &["T1583.006", "T1584.006"]),
    ]
    .into_iter()
    .map(|(name, ids)| {
        (
            name.to_string(),
            ids.iter().map(|s| s.to_string()).collect(),
        )
    })
    .collect();
    // The pick comes first; the others follow by ID, so compare as sets per name.
    let sorted = |m: &BTreeMap<String, Vec<String>>| -> BTreeMap<String, Vec<String>> {
        m.iter()
            .map(|(k, v)| {
                let mut v = v.clone();
                v.sort();
                (k.clone(), v)
            })
            .collect()
    };
    assert_eq!(sorted(&shared), expected);
    assert_eq!(shared["domains"][0], "T1583.001");
    assert_eq!(shared["steganography"][0], "T1027.003");
    // A technique wins over other kinds.
    assert_eq!(shared["at"][0], "T1053.002");
    assert_eq!(shared["code signing"][0], "T1553.002");
}

#[test]
fn notes_name_each_candidate_and_ids_are_never_ambiguous() {
    let Some(dataset) = common::dataset("enterprise", "18.1") else {
        return;
    };
    let note = |query: &str| {
        let chosen = dataset.lookup(query).unwrap();
        also_named_note(dataset, query, chosen)
    };
    assert_eq!(
        note("Domains").as_deref(),
        Some("also named Domains: T1584.001 (Compromise Infrastructure: Domains) (showing T1583.001 (Acquire Infrastructure: Domains); name it by ID to choose)")
    );
    assert_eq!(
        note("Carbanak").as_deref(),
        Some("also named Carbanak: S0030 (Carbanak) (showing G0008 (Carbanak); name it by ID to choose)")
    );
    assert_eq!(
        note("Shortcut Modification").as_deref(),
        Some("also named Shortcut Modification: T1023 (Shortcut Modification, revoked) (showing T1547.009 (Boot or Logon Autostart Execution: Shortcut Modification); name it by ID to choose)")
    );
    assert_eq!(note("T1583.001"), None);
    assert_eq!(
        note("attack-pattern--197ef1b9-e764-46c3-b96c-23f77985dc81"),
        None
    );
    assert_eq!(note("APT29"), None);
    assert_eq!(note("Mimikatz"), None);
}
