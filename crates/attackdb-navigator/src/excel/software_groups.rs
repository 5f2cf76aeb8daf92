//! The software, groups and campaigns sheets.

use attackdb_kb::{Dataset, ObjId, ObjectType};

use super::context::{Context, TypeData};
use super::fields::{base, common_and, format_date, list, sorted, sorted_join, with_extra};
use crate::problem::Result;

/// Aliases after the first (the object's own name), sorted, with the description of the
/// external reference named after each.
fn associated(d: &Dataset, id: ObjId) -> Option<(String, String)> {
    let o = d.object(id);
    if o.aliases.is_empty() {
        return None;
    }
    let aliases = sorted(&o.aliases[1..]);
    let citations: Vec<&str> = aliases
        .iter()
        .filter_map(|a| {
            o.external_references
                .iter()
                .find(|r| &*r.source_name == a.as_str())
                .map(|r| r.description.as_deref().unwrap_or(""))
        })
        .collect();
    Some((aliases.join(", "), citations.join(", ")))
}

/// attackToExcel's `software`: tools and malware with platforms, aliases and type.
pub(super) fn software(cx: &Context) -> TypeData {
    let d = cx.d;
    let software = cx.live(&[ObjectType::Tool, ObjectType::Malware]);
    let records = software
        .iter()
        .map(|&s| {
            let o = d.object(s);
            let mut r = base(d, s);
            if !o.platforms.is_empty() {
                r.set("platforms", sorted_join(&o.platforms, ", "));
            }
            if !o.aliases.is_empty() {
                r.set("aliases", sorted_join(&o.aliases[1..], ", "));
            }
            r.set("type", o.kind.as_str());
            r
        })
        .collect();
    cx.related(
        "software",
        "software",
        &[ObjectType::Tool, ObjectType::Malware],
        &software,
        records,
        &common_and(&["type", "platforms", "aliases"]),
    )
}

/// attackToExcel's `groups`: intrusion sets with their associated groups and citations.
pub(super) fn groups(cx: &Context) -> TypeData {
    let d = cx.d;
    let groups = cx.live(&[ObjectType::IntrusionSet]);
    let records = groups
        .iter()
        .map(|&g| {
            let mut r = base(d, g);
            if let Some((aliases, citations)) = associated(d, g) {
                r.set("associated groups", aliases);
                r.set("associated groups citations", citations);
            }
            with_extra(r, vec![("aliases", list(&d.object(g).aliases).into())])
        })
        .collect();
    cx.related(
        "groups",
        "group",
        &[ObjectType::IntrusionSet],
        &groups,
        records,
        &common_and(&["aliases"]),
    )
}

/// attackToExcel's `campaigns`: associated campaigns, first and last seen with their
/// citations; `None` when the release has no live campaign.
pub(super) fn campaigns(cx: &Context) -> Result<Option<TypeData>> {
    let d = cx.d;
    let Some(campaigns) = cx.live_if_any(&[ObjectType::Campaign]) else {
        return Ok(None);
    };
    let mut records = Vec::new();
    for &c in &campaigns {
        let o = d.object(c);
        let details = d.details(c)?;
        let mut r = base(d, c);
        if let Some((aliases, citations)) = associated(d, c) {
            r.set("associated campaigns", aliases);
            r.set("associated campaigns citations", citations);
        }
        r.set(
            "first seen",
            o.first_seen.as_deref().map(format_date).unwrap_or_default(),
        );
        r.set(
            "first seen citation",
            details.first_seen_citation.unwrap_or_default(),
        );
        r.set(
            "last seen",
            o.last_seen.as_deref().map(format_date).unwrap_or_default(),
        );
        r.set(
            "last seen citation",
            details.last_seen_citation.unwrap_or_default(),
        );
        records.push(with_extra(r, vec![("aliases", list(&o.aliases).into())]));
    }
    Ok(Some(cx.related(
        "campaigns",
        "campaign",
        &[ObjectType::Campaign],
        &campaigns,
        records,
        &common_and(&["aliases", "first seen", "last seen"]),
    )))
}
