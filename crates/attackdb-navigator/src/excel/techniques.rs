//! The techniques and tactics sheets.

use std::collections::HashMap;

use attackdb_kb::{Domain, ObjectType, Relation};

use super::context::{Context, TypeData};
use super::fields::{
    base, common_and, first_ref_id, list, names, sorted_join, sorted_lower_join, title_case,
    with_extra,
};
use super::sheet::Fields;
use crate::problem::Result;

/// attackToExcel's `techniques`: every live technique with tactics, sub-techniques named
/// `parent: name`, the domain's own columns; relationship sheets from `technique`.
pub(super) fn techniques(cx: &Context) -> Result<TypeData> {
    let d = cx.d;
    let domain = d.domain();
    let objects = cx.live(&[ObjectType::AttackPattern]);
    let tactic_names: HashMap<String, String> = cx
        .live(&[ObjectType::Tactic])
        .into_iter()
        .filter_map(|t| {
            let o = d.object(t);
            Some((
                o.shortname.as_deref()?.to_string(),
                o.name.as_deref()?.to_string(),
            ))
        })
        .collect();
    let mut records = Vec::new();
    for &id in &objects {
        let o = d.object(id);
        if o.kill_chain_phases.is_empty() {
            continue;
        }
        let details = d.details(id)?;
        let mut r = base(d, id);
        let shortnames: Vec<&str> = o.kill_chain_phases.iter().map(|k| &*k.phase_name).collect();
        let tactics: Vec<String> = shortnames
            .iter()
            .map(|s| match tactic_names.get(*s) {
                Some(n) => n.clone(),
                None => title_case(s),
            })
            .collect();
        r.set("tactics", sorted_join(&tactics, ", "));
        if let Some(detection) = &details.detection {
            r.set("detection", detection.as_str());
        }
        if !o.platforms.is_empty() {
            r.set("platforms", sorted_join(&o.platforms, ", "));
        }
        if matches!(domain, Domain::Enterprise | Domain::Ics) {
            if let Some(sources) = &details.data_sources {
                r.set("data sources", sorted_join(sources, ", "));
            }
        }
        let parent = d
            .outgoing(id)
            .find(|l| {
                d.object(l.relationship).relationship_type.as_deref() == Some("subtechnique-of")
            })
            .map(|l| l.target);
        match domain {
            Domain::Enterprise => {
                r.set("is sub-technique", o.is_subtechnique);
                if let (true, Some(p)) = (o.is_subtechnique, parent) {
                    let parent_name = d.object(p).name.as_deref().unwrap_or("");
                    r.set(
                        "name",
                        format!("{parent_name}: {}", o.name.as_deref().unwrap_or("")),
                    );
                    r.set("sub-technique of", first_ref_id(d, p).unwrap_or_default());
                }
                if let Some(v) = &details.system_requirements {
                    r.set("system requirements", sorted_join(v, ", "));
                }
                if let Some(v) = &details.permissions_required {
                    r.set("permissions required", sorted_lower_join(v));
                }
                if let Some(v) = &details.effective_permissions {
                    r.set("effective permissions", sorted_lower_join(v));
                }
                if let (true, Some(v)) = (
                    shortnames.contains(&"defense-evasion"),
                    &details.defense_bypassed,
                ) {
                    r.set("defenses bypassed", sorted_join(v, ", "));
                }
                if let (true, Some(v)) = (shortnames.contains(&"execution"), details.remote_support)
                {
                    r.set("supports remote", v);
                }
                if let (true, Some(v)) = (shortnames.contains(&"impact"), &details.impact_type) {
                    r.set("impact type", sorted_join(v, ", "));
                }
                let capec: Vec<&str> = o
                    .external_references
                    .iter()
                    .filter(|e| &*e.source_name == "capec")
                    .filter_map(|e| e.external_id.as_deref())
                    .collect();
                if !capec.is_empty() {
                    r.set("CAPEC ID", capec.join(", "));
                }
            }
            Domain::Mobile => {
                if let Some(v) = &details.tactic_type {
                    r.set("tactic type", sorted_join(v, ", "));
                }
                if let Some(mtc) = o
                    .external_references
                    .iter()
                    .find(|e| &*e.source_name == "NIST Mobile Threat Catalogue")
                {
                    r.set("MTC ID", mtc.external_id.as_deref().unwrap_or(""));
                }
            }
            Domain::Ics => {}
        }
        let extra: Fields = vec![
            ("tactics", names(d, &d.tactics_of_technique(id)).into()),
            ("platforms", list(&o.platforms).into()),
            ("is sub-technique", o.is_subtechnique.into()),
            (
                "sub-technique of",
                d.related(Relation::ParentTechniqueOfSubtechnique, id)
                    .first()
                    .map(|&p| d.display_id(p).to_string())
                    .unwrap_or_default()
                    .into(),
            ),
        ];
        records.push(with_extra(r, extra));
    }
    Ok(cx.related(
        "techniques",
        "technique",
        &[ObjectType::AttackPattern],
        &objects,
        records,
        &common_and(&[
            "tactics",
            "platforms",
            "is sub-technique",
            "sub-technique of",
        ]),
    ))
}

/// attackToExcel's `tactics`: every live tactic, with attackdb's `shortname`.
pub(super) fn tactics(cx: &Context) -> TypeData {
    let d = cx.d;
    let tactics = cx.live(&[ObjectType::Tactic]);
    let records = tactics
        .iter()
        .map(|&t| {
            let short = d.object(t).shortname.as_deref().unwrap_or("").to_string();
            with_extra(base(d, t), vec![("shortname", short.into())])
        })
        .collect();
    cx.plain("tactics", &tactics, records, &common_and(&["shortname"]))
}
