//! A 19.x-shaped release derived at test time from the real 18.1 bundles (never committed):
//! the changes ATT&CK 19.0 and 19.1 made, applied to 18.1 so that tests can load it beside
//! the real releases.
//!
//! Enterprise: Defense Evasion (TA0005) renamed Stealth (`stealth`, same STIX ID and ATT&CK
//! ID), a new tactic TA0112 Defense Impairment (`defense-impairment`) right after it in the
//! matrix, every technique of `defense-evasion` now in `stealth` except the Impair Defenses
//! family, which moves to `defense-impairment`; five revocations as MITRE makes them (a new
//! technique, the old one `revoked` with a `revoked-by` relationship, its `uses`, `mitigates`
//! and `detects` relationships re-pointed to the new one): T1562 -> T1685, T1562.002 ->
//! T1685.001, T1562.004 -> T1686, T1070.001 -> T1685.005, T1656 -> T1684.001 (with a new
//! parent T1684). The live sub-techniques of T1562 become T1685's. ICS: a first
//! sub-technique, T0843.001 (of T0843), and a technique with a T16xx ID, T1690. Mobile: a new
//! detection strategy DET0900 with analytic AN2100 detecting T1513. Every collection says
//! `19.1`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

/// The derived release.
pub const RELEASE: &str = "19.1";

const MODIFIED: &str = "2026-04-28T12:00:00.000Z";

/// The enterprise revocations the derived release makes: (old ID, new ID, new name, tactic of
/// the new technique).
pub const REVOCATIONS: [(&str, &str, &str, &str); 5] = [
    ("T1562", "T1685", "Impair Defenses", "defense-impairment"),
    (
        "T1562.002",
        "T1685.001",
        "Disable Windows Event Logging",
        "defense-impairment",
    ),
    (
        "T1562.004",
        "T1686",
        "Disable or Modify System Firewall",
        "defense-impairment",
    ),
    (
        "T1070.001",
        "T1685.005",
        "Clear Windows Event Logs",
        "defense-impairment",
    ),
    ("T1656", "T1684.001", "Impersonation", "stealth"),
];

/// The folder holding the derived bundles (`enterprise-attack/enterprise-attack-19.1.json`,
/// `ics-attack/...`, `mobile-attack/...`), made once per test process from the real 18.1
/// bundles, or `None` (with the loud message of [`crate::data_dir`]) when the data is absent.
///
/// The folder is in the system's temporary folder, named after a hash of this generator and
/// its inputs, so runs share it and a changed generator makes a new one.
pub fn derived_release() -> Option<PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let data = crate::data_dir()?;
        Some(build(&data))
    })
    .clone()
}

fn build(data: &Path) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let sources = ["enterprise", "ics", "mobile"].map(|domain| {
        data.join(format!("{domain}-attack"))
            .join(format!("{domain}-attack-18.1.json.gz"))
    });
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    include_str!("nineteen.rs").hash(&mut hasher);
    for source in &sources {
        let meta =
            std::fs::metadata(source).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
        meta.len().hash(&mut hasher);
    }
    let dir = std::env::temp_dir().join(format!("attackdb-derived-19.1-{:016x}", hasher.finish()));
    for (domain, source) in ["enterprise", "ics", "mobile"].iter().zip(&sources) {
        let folder = dir.join(format!("{domain}-attack"));
        let file = folder.join(format!("{domain}-attack-{RELEASE}.json"));
        if file.is_file() {
            continue;
        }
        std::fs::create_dir_all(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
        let mut bundle = read_bundle(source);
        match *domain {
            "enterprise" => enterprise(&mut bundle),
            "ics" => ics(&mut bundle),
            _ => mobile(&mut bundle),
        }
        finish(&mut bundle, domain);
        let text = serde_json::to_string(&bundle).unwrap_or_else(|e| panic!("{e}"));
        let partial = folder.join(format!(".{domain}-{}.part", std::process::id()));
        std::fs::write(&partial, text).unwrap_or_else(|e| panic!("{}: {e}", partial.display()));
        std::fs::rename(&partial, &file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
    dir
}

fn read_bundle(path: &Path) -> Value {
    use std::io::Read as _;
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The bundle's objects.
fn objects(bundle: &mut Value) -> &mut Vec<Value> {
    bundle["objects"]
        .as_array_mut()
        .unwrap_or_else(|| panic!("a bundle has objects"))
}

/// The ATT&CK ID of an object.
fn attack_id(object: &Value) -> Option<&str> {
    object["external_references"].as_array()?.iter().find(|r| {
        r["source_name"]
            .as_str()
            .is_some_and(|s| s.starts_with("mitre-"))
    })?["external_id"]
        .as_str()
}

/// The index of the object of `kind` with ATT&CK ID `id`.
fn find(objects: &[Value], kind: &str, id: &str) -> usize {
    objects
        .iter()
        .position(|o| o["type"] == kind && attack_id(o) == Some(id))
        .unwrap_or_else(|| panic!("18.1 has {kind} {id}"))
}

/// A STIX ID of type `kind`, fixed by `n`.
fn stix_id(kind: &str, n: u32) -> String {
    format!("{kind}--00190000-0000-4000-8000-{n:012x}")
}

fn set_attack_id(object: &mut Value, id: &str, path: &str) {
    let url = format!("https://attack.mitre.org/{path}");
    if let Some(refs) = object["external_references"].as_array_mut() {
        if let Some(own) = refs.iter_mut().find(|r| {
            r["source_name"]
                .as_str()
                .is_some_and(|s| s.starts_with("mitre-"))
        }) {
            own["external_id"] = json!(id);
            own["url"] = json!(url);
        }
    }
}

fn technique_path(id: &str) -> String {
    format!("techniques/{}", id.replace('.', "/"))
}

/// A copy of `template` as a new technique `id` named `name` in `tactic` of `kill_chain`.
fn new_technique(
    template: &Value,
    n: u32,
    id: &str,
    name: &str,
    kill_chain: &str,
    tactics: &[&str],
) -> Value {
    let mut technique = template.clone();
    technique["id"] = json!(stix_id("attack-pattern", n));
    technique["name"] = json!(name);
    technique["created"] = json!(MODIFIED);
    technique["modified"] = json!(MODIFIED);
    technique["revoked"] = json!(false);
    technique["x_mitre_deprecated"] = json!(false);
    technique["x_mitre_version"] = json!("1.0");
    technique["x_mitre_is_subtechnique"] = json!(id.contains('.'));
    technique["kill_chain_phases"] = Value::Array(
        tactics
            .iter()
            .map(|t| json!({"kill_chain_name": kill_chain, "phase_name": t}))
            .collect(),
    );
    set_attack_id(&mut technique, id, &technique_path(id));
    technique
}

fn relationship(n: u32, kind: &str, source: &str, target: &str) -> Value {
    json!({
        "type": "relationship",
        "spec_version": "2.1",
        "id": stix_id("relationship", n),
        "created": MODIFIED,
        "modified": MODIFIED,
        "created_by_ref": "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5",
        "object_marking_refs": ["marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168"],
        "relationship_type": kind,
        "source_ref": source,
        "target_ref": target,
        "x_mitre_attack_spec_version": "3.3.0",
        "x_mitre_deprecated": false,
        "x_mitre_modified_by_ref": "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5",
    })
}

fn stix_of(objects: &[Value], index: usize) -> String {
    objects[index]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn set_phases(technique: &mut Value, kill_chain: &str, tactics: &[&str]) {
    technique["kill_chain_phases"] = Value::Array(
        tactics
            .iter()
            .map(|t| json!({"kill_chain_name": kill_chain, "phase_name": t}))
            .collect(),
    );
    technique["modified"] = json!(MODIFIED);
}

fn enterprise(bundle: &mut Value) {
    let objects = objects(bundle);
    // The tactic split.
    let stealth = find(objects, "x-mitre-tactic", "TA0005");
    let stealth_id = stix_of(objects, stealth);
    let mut impairment = objects[stealth].clone();
    {
        let tactic = &mut objects[stealth];
        tactic["name"] = json!("Stealth");
        tactic["x_mitre_shortname"] = json!("stealth");
        tactic["description"] = json!("The adversary is trying to avoid being detected.\n\nStealth consists of techniques that adversaries use to hide their presence and their tools.");
        tactic["x_mitre_version"] = json!("2.0");
        tactic["modified"] = json!(MODIFIED);
    }
    let impairment_id = stix_id("x-mitre-tactic", 1);
    impairment["id"] = json!(impairment_id);
    impairment["name"] = json!("Defense Impairment");
    impairment["x_mitre_shortname"] = json!("defense-impairment");
    impairment["description"] = json!("The adversary is trying to weaken your defenses.\n\nDefense Impairment consists of techniques that adversaries use to disable or degrade security tools, logging and controls.");
    impairment["created"] = json!(MODIFIED);
    impairment["modified"] = json!(MODIFIED);
    impairment["x_mitre_version"] = json!("1.0");
    set_attack_id(&mut impairment, "TA0112", "tactics/TA0112");
    objects.push(impairment);
    for matrix in objects.iter_mut().filter(|o| o["type"] == "x-mitre-matrix") {
        if let Some(refs) = matrix["tactic_refs"].as_array_mut() {
            if let Some(at) = refs.iter().position(|r| *r == json!(stealth_id)) {
                refs.insert(at + 1, json!(impairment_id));
                matrix["modified"] = json!(MODIFIED);
            }
        }
    }
    // Every live technique of defense-evasion is now in stealth.
    for technique in objects.iter_mut().filter(|o| {
        o["type"] == "attack-pattern"
            && o["revoked"] != json!(true)
            && o["x_mitre_deprecated"] != json!(true)
    }) {
        let mut changed = false;
        if let Some(phases) = technique["kill_chain_phases"].as_array_mut() {
            for phase in phases {
                if phase["kill_chain_name"] == "mitre-attack"
                    && phase["phase_name"] == "defense-evasion"
                {
                    phase["phase_name"] = json!("stealth");
                    changed = true;
                }
            }
        }
        if changed {
            technique["modified"] = json!(MODIFIED);
        }
    }
    // The revocations.
    let mut n = 100;
    let mut new_of: BTreeMap<String, String> = BTreeMap::new();
    let deception = find(objects, "attack-pattern", "T1656");
    let parent = new_technique(
        &objects[deception],
        n,
        "T1684",
        "Deception",
        "mitre-attack",
        &["stealth"],
    );
    let parent_id = stix_of(std::slice::from_ref(&parent), 0);
    objects.push(parent);
    n += 1;
    let mut added = Vec::new();
    for (old, new, name, tactic) in REVOCATIONS {
        let index = find(objects, "attack-pattern", old);
        let old_id = stix_of(objects, index);
        let mut tactics = vec![tactic];
        if new == "T1686" {
            tactics.push("stealth");
        }
        let technique = new_technique(&objects[index], n, new, name, "mitre-attack", &tactics);
        let new_id = stix_of(std::slice::from_ref(&technique), 0);
        objects[index]["revoked"] = json!(true);
        objects[index]["modified"] = json!(MODIFIED);
        added.push(technique);
        added.push(relationship(n, "revoked-by", &old_id, &new_id));
        n += 1;
        new_of.insert(old_id, new_id);
    }
    let t1685 = new_of
        .get(&stix_of(objects, find(objects, "attack-pattern", "T1562")))
        .cloned()
        .unwrap_or_default();
    for (sub, parent) in [
        ("T1685.001", t1685.clone()),
        ("T1685.005", t1685.clone()),
        ("T1684.001", parent_id),
    ] {
        let sub_id = added
            .iter()
            .find(|o| o["type"] == "attack-pattern" && attack_id(o) == Some(sub))
            .map(|o| o["id"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default();
        added.push(relationship(n, "subtechnique-of", &sub_id, &parent));
        n += 1;
    }
    objects.extend(added);
    // Relationships follow the revocations; T1562's live sub-techniques become T1685's and move
    // to defense-impairment.
    let old_parent = stix_of(objects, find(objects, "attack-pattern", "T1562"));
    let live_subs: Vec<String> = objects
        .iter()
        .filter(|o| {
            o["type"] == "attack-pattern"
                && o["revoked"] != json!(true)
                && attack_id(o).is_some_and(|id| id.starts_with("T1562."))
        })
        .map(|o| o["id"].as_str().unwrap_or_default().to_string())
        .collect();
    for object in objects.iter_mut() {
        if object["type"] == "relationship" {
            let kind = object["relationship_type"].as_str().unwrap_or_default();
            let target = object["target_ref"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let source = object["source_ref"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if matches!(kind, "uses" | "mitigates" | "detects") {
                if let Some(new) = new_of.get(&target) {
                    object["target_ref"] = json!(new);
                    object["modified"] = json!(MODIFIED);
                }
            } else if kind == "subtechnique-of"
                && target == old_parent
                && live_subs.contains(&source)
            {
                object["target_ref"] = json!(t1685);
                object["modified"] = json!(MODIFIED);
            }
        } else if object["type"] == "attack-pattern"
            && live_subs.iter().any(|s| object["id"] == json!(s))
        {
            set_phases(object, "mitre-attack", &["defense-impairment"]);
        }
    }
}

fn ics(bundle: &mut Value) {
    let objects = objects(bundle);
    let program = find(objects, "attack-pattern", "T0843");
    let parent = stix_of(objects, program);
    let sub = new_technique(
        &objects[program],
        200,
        "T0843.001",
        "Online Edit",
        "mitre-ics-attack",
        &["lateral-movement"],
    );
    let sub_id = stix_of(std::slice::from_ref(&sub), 0);
    objects.push(sub);
    objects.push(relationship(200, "subtechnique-of", &sub_id, &parent));
    let remote = find(objects, "attack-pattern", "T0822");
    let t1690 = new_technique(
        &objects[remote],
        201,
        "T1690",
        "Remote Management Platform Abuse",
        "mitre-ics-attack",
        &["initial-access"],
    );
    objects.push(t1690);
}

fn mobile(bundle: &mut Value) {
    let objects = objects(bundle);
    let screen = find(objects, "attack-pattern", "T1513");
    let screen_id = stix_of(objects, screen);
    let template = objects
        .iter()
        .position(|o| o["type"] == "x-mitre-detection-strategy")
        .unwrap_or_else(|| panic!("mobile 18.1 has detection strategies"));
    let analytic_template = objects
        .iter()
        .position(|o| o["type"] == "x-mitre-analytic")
        .unwrap_or_else(|| panic!("mobile 18.1 has analytics"));
    let component = objects
        .iter()
        .find(|o| o["type"] == "x-mitre-data-component" && o["name"] == "Process Creation")
        .map(|o| o["id"].as_str().unwrap_or_default().to_string())
        .unwrap_or_else(|| panic!("mobile 18.1 has Process Creation"));
    let analytic_id = stix_id("x-mitre-analytic", 300);
    let mut analytic = objects[analytic_template].clone();
    analytic["id"] = json!(analytic_id);
    analytic["name"] = json!("Analytic 2100");
    analytic["description"] =
        json!("A process reads the screen buffer without a foreground activity.");
    analytic["created"] = json!(MODIFIED);
    analytic["modified"] = json!(MODIFIED);
    analytic["x_mitre_platforms"] = json!(["Android"]);
    analytic["x_mitre_log_source_references"] = json!([{
        "x_mitre_data_component_ref": component,
        "name": "Android EDR",
        "channel": "process",
    }]);
    set_attack_id(
        &mut analytic,
        "AN2100",
        "detectionstrategies/DET0900#AN2100",
    );
    let strategy_id = stix_id("x-mitre-detection-strategy", 300);
    let mut strategy = objects[template].clone();
    strategy["id"] = json!(strategy_id);
    strategy["name"] = json!("Detection of Screen Capture");
    strategy["created"] = json!(MODIFIED);
    strategy["modified"] = json!(MODIFIED);
    strategy["x_mitre_analytic_refs"] = json!([analytic_id]);
    set_attack_id(&mut strategy, "DET0900", "detectionstrategies/DET0900");
    objects.push(analytic);
    objects.push(strategy);
    objects.push(relationship(300, "detects", &strategy_id, &screen_id));
}

/// The collection says 19.1 and lists every object; the bundle gets an ID of its own.
fn finish(bundle: &mut Value, domain: &str) {
    bundle["id"] = json!(format!(
        "bundle--00190000-0000-4000-8000-{:012x}",
        domain.len()
    ));
    let objects = objects(bundle);
    let contents: Vec<Value> = objects
        .iter()
        .filter(|o| o["type"] != "x-mitre-collection")
        .filter_map(|o| {
            let mut entry = Map::new();
            entry.insert("object_ref".into(), o.get("id")?.clone());
            entry.insert("object_modified".into(), o.get("modified")?.clone());
            Some(Value::Object(entry))
        })
        .collect();
    for collection in objects
        .iter_mut()
        .filter(|o| o["type"] == "x-mitre-collection")
    {
        collection["x_mitre_version"] = json!(RELEASE);
        collection["modified"] = json!(MODIFIED);
        collection["x_mitre_contents"] = Value::Array(contents.clone());
    }
}
