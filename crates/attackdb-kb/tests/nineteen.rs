//! The kb on a 19.1-shaped release derived from the real 18.1 (`attackdb_testdata::nineteen`):
//! renamed and new tactics, the matrix order from the matrix object, revocation chains.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use attackdb_kb::{matrix::MatrixOptions, Domain, Kb, Release};

fn kb() -> Option<Kb> {
    let real = attackdb_testdata::data_dir()?;
    let derived = attackdb_testdata::derived_release()?;
    Some(Kb::load(&[real, derived]).unwrap())
}

#[test]
fn the_split_tactic_is_found_by_stix_id_and_the_new_one_listed() {
    let Some(kb) = kb() else { return };
    let release = |r: &str| r.parse::<Release>().unwrap();
    let new = kb
        .select(Domain::Enterprise, Some(&release("19.1")))
        .unwrap();
    let old = kb
        .select(Domain::Enterprise, Some(&release("18.1")))
        .unwrap();
    assert_eq!(
        kb.select(Domain::Enterprise, None).unwrap().release(),
        "19.1"
    );
    let stealth = new.renamed_tactic(old, "defense-evasion").unwrap();
    assert_eq!(new.display_id(stealth), "TA0005");
    assert_eq!(new.object(stealth).shortname.as_deref(), Some("stealth"));
    assert_eq!(new.renamed_tactic(old, "execution"), None);
    assert_eq!(new.renamed_tactic(old, "no-such-tactic"), None);
    let fresh: Vec<&str> = new
        .tactics_new_since(old)
        .into_iter()
        .map(|t| new.display_id(t))
        .collect();
    assert_eq!(fresh, ["TA0112"]);
    assert!(old.tactics_new_since(new).is_empty());
    // Mobile keeps its own defense-evasion.
    let mobile = kb.select(Domain::Mobile, Some(&release("19.1"))).unwrap();
    assert!(mobile.tactic_by_shortname("defense-evasion").is_some());
    let matrix = new.matrix(&MatrixOptions::default());
    let order: Vec<&str> = matrix
        .columns
        .iter()
        .map(|c| new.display_id(c.tactic))
        .collect();
    assert_eq!(order[5..9], ["TA0004", "TA0005", "TA0112", "TA0006"]);
    for (old_id, new_id, _, _) in attackdb_testdata::nineteen::REVOCATIONS {
        let revoked = new.lookup(old_id).unwrap();
        assert_eq!(
            new.display_id(new.revoking_object(revoked).unwrap()),
            new_id
        );
    }
}

#[test]
fn defense_evasion_is_followed_to_stealth_and_defense_impairment_with_or_without_18() {
    let Some(kb) = kb() else { return };
    let release = |r: &str| r.parse::<Release>().unwrap();
    let new = kb
        .select(Domain::Enterprise, Some(&release("19.1")))
        .unwrap();
    let old = kb
        .select(Domain::Enterprise, Some(&release("18.1")))
        .unwrap();
    let ids =
        |found: Vec<u32>| -> Vec<&str> { found.into_iter().map(|t| new.display_id(t)).collect() };
    // Through the loaded 18.1 (same STIX ID, plus what is new since), and through ATT&CK's
    // own history when no earlier release is loaded: the same two tactics, in matrix order.
    assert_eq!(
        ids(new.successor_tactics("defense-evasion", &[old])),
        ["TA0005", "TA0112"]
    );
    assert_eq!(
        ids(new.successor_tactics("defense_evasion", &[])),
        ["TA0005", "TA0112"]
    );
    // Known tactics and unknown names have no successors; 18.1 itself knows defense-evasion.
    assert!(new.successor_tactics("stealth", &[old]).is_empty());
    assert!(new.successor_tactics("execution", &[]).is_empty());
    assert!(new.successor_tactics("no-such-tactic", &[old]).is_empty());
    assert!(old.successor_tactics("defense-evasion", &[]).is_empty());
    // Mobile 19.1 keeps its own defense-evasion.
    let mobile = kb.select(Domain::Mobile, Some(&release("19.1"))).unwrap();
    assert!(mobile.successor_tactics("defense-evasion", &[]).is_empty());
}
