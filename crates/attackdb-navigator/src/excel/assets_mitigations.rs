//! The assets and mitigations sheets.

use attackdb_kb::{Dataset, ObjId, ObjectType};

use super::context::{Context, TypeData};
use super::fields::{base, common_and, sorted_join, COMMON};
use super::sheet::Record;
use crate::problem::Result;

/// attackToExcel's `assets`: platforms, sectors and related assets; `None` when the release
/// has no live asset.
pub(super) fn assets(cx: &Context) -> Result<Option<TypeData>> {
    let d = cx.d;
    let Some(assets) = cx.live_if_any(&[ObjectType::Asset]) else {
        return Ok(None);
    };
    let records = assets
        .iter()
        .map(|&a| asset_record(d, a))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(cx.related(
        "assets",
        "asset",
        &[ObjectType::Asset],
        &assets,
        records,
        &common_and(&["platforms", "sectors"]),
    )))
}

/// One asset's row: its platforms, sectors and related assets (names, sectors, descriptions).
fn asset_record(d: &Dataset, a: ObjId) -> Result<Record> {
    let o = d.object(a);
    let details = d.details(a)?;
    let mut r = base(d, a);
    if !o.platforms.is_empty() {
        r.set("platforms", sorted_join(&o.platforms, ", "));
    }
    if !o.sectors.is_empty() {
        r.set("sectors", sorted_join(&o.sectors, ", "));
    }
    if let Some(related) = &details.related_assets {
        let field = |f: &dyn Fn(&attackdb_kb::stix::RelatedAsset) -> String| {
            related.iter().map(f).collect::<Vec<_>>().join("; ")
        };
        r.set(
            "related assets",
            field(&|x| x.name.clone().unwrap_or_default()),
        );
        r.set(
            "related assets sectors",
            field(&|x| {
                x.related_asset_sectors
                    .as_deref()
                    .unwrap_or_default()
                    .join(", ")
            }),
        );
        r.set(
            "related assets description",
            field(&|x| x.description.clone().unwrap_or_default()),
        );
    }
    Ok(r)
}

/// attackToExcel's `mitigations`: the common columns only.
pub(super) fn mitigations(cx: &Context) -> TypeData {
    let d = cx.d;
    let mitigations = cx.live(&[ObjectType::CourseOfAction]);
    let records = mitigations.iter().map(|&m| base(d, m)).collect();
    cx.related(
        "mitigations",
        "mitigation",
        &[ObjectType::CourseOfAction],
        &mitigations,
        records,
        &COMMON,
    )
}
