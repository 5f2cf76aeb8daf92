//! The detection sheets: data components, analytics, detection strategies and attackToExcel's
//! `defensive mappings` (detection strategy -> analytic -> log source).

use attackdb_kb::{Dataset, ObjectType, Relation};

use super::context::{Context, TypeData};
use super::fields::{base, common_and, first_ref_id, list, list_with, sorted_join, with_extra};
use super::sheet::Sheet;

/// The columns of the `defensive mappings` sheet.
const DEFENSIVE_COLUMNS: [&str; 11] = [
    "detection_strategy_attack_id",
    "detection_strategy_id",
    "detection_strategy_name",
    "analytic_id",
    "analytic_name",
    "platforms",
    "log_source_name",
    "channel",
    "data_component_id",
    "data_component_name",
    "data_component_attack_id",
];

/// attackToExcel's `defensive mappings`: detection strategy -> analytic -> log source.
pub(super) fn defensive_mappings(d: &Dataset) -> Sheet {
    let mut rows = Vec::new();
    for s in d.objects_of(&[ObjectType::DetectionStrategy]) {
        if !d.is_live(s) {
            continue;
        }
        let strategy = d.object(s);
        for analytic_ref in &strategy.analytic_refs {
            let Some(a) = d.by_stix_id(analytic_ref).filter(|&a| d.is_live(a)) else {
                continue;
            };
            let analytic = d.object(a);
            for log in &analytic.log_source_references {
                let dc = d.by_stix_id(&log.data_component_ref);
                rows.push(vec![
                    first_ref_id(d, s).unwrap_or_default().into(),
                    (&*strategy.id).into(),
                    strategy.name.as_deref().unwrap_or("").into(),
                    (&**analytic_ref).into(),
                    first_ref_id(d, a).unwrap_or_default().into(),
                    sorted_join(&analytic.platforms, ", ").into(),
                    (&*log.name).into(),
                    log.channel.as_deref().unwrap_or("").into(),
                    (&*log.data_component_ref).into(),
                    dc.and_then(|c| d.object(c).name.as_deref())
                        .unwrap_or("")
                        .into(),
                    dc.and_then(|c| first_ref_id(d, c))
                        .unwrap_or_default()
                        .into(),
                ]);
            }
        }
    }
    Sheet {
        name: "defensive mappings".to_string(),
        headers: DEFENSIVE_COLUMNS.iter().map(|h| h.to_string()).collect(),
        rows,
        merges: Vec::new(),
        matrix: false,
    }
}

/// attackToExcel's `datacomponents`, with attackdb's data source and log sources.
pub(super) fn data_components(cx: &Context) -> TypeData {
    let d = cx.d;
    let components = cx.live(&[ObjectType::DataComponent]);
    let records = components
        .iter()
        .map(|&c| {
            let o = d.object(c);
            let source = o
                .data_source_ref
                .as_deref()
                .and_then(|r| d.by_stix_id(r))
                .map(|s| d.display_name(s).to_string())
                .unwrap_or_default();
            let logs: Vec<String> = o
                .log_sources
                .iter()
                .map(|l| match &l.channel {
                    Some(ch) => format!("{}: {ch}", l.name),
                    None => l.name.to_string(),
                })
                .collect();
            with_extra(
                base(d, c),
                vec![
                    ("data source", source.into()),
                    ("log sources", logs.join("; ").into()),
                ],
            )
        })
        .collect();
    cx.plain(
        "datacomponents",
        &components,
        records,
        &common_and(&["data source", "log sources"]),
    )
}

/// attackToExcel's `analytics`, with attackdb's platforms and log sources; `None` when the
/// release has no live analytic.
pub(super) fn analytics(cx: &Context) -> Option<TypeData> {
    let d = cx.d;
    let analytics = cx.live_if_any(&[ObjectType::Analytic])?;
    let records = analytics
        .iter()
        .map(|&a| {
            let o = d.object(a);
            let logs: Vec<String> = o
                .log_source_references
                .iter()
                .map(|r| {
                    let dc = d
                        .by_stix_id(&r.data_component_ref)
                        .map(|c| d.display_id(c).to_string())
                        .unwrap_or_default();
                    match &r.channel {
                        Some(c) => format!("{dc} {}: {c}", r.name),
                        None => format!("{dc} {}", r.name),
                    }
                })
                .collect();
            with_extra(
                base(d, a),
                vec![
                    ("platforms", list(&o.platforms).into()),
                    ("log sources", logs.join("; ").into()),
                ],
            )
        })
        .collect();
    Some(cx.plain(
        "analytics",
        &analytics,
        records,
        &common_and(&["platforms", "log sources"]),
    ))
}

/// attackToExcel's `detectionstrategies` (`analytic_refs`), with attackdb's analytics and
/// techniques detected; `None` when the release has no live detection strategy.
pub(super) fn detection_strategies(cx: &Context) -> Option<TypeData> {
    let d = cx.d;
    let strategies = cx.live_if_any(&[ObjectType::DetectionStrategy])?;
    let records = strategies
        .iter()
        .map(|&s| {
            let mut r = base(d, s);
            r.set("analytic_refs", list_with(&d.object(s).analytic_refs, "; "));
            let analytics: Vec<String> = d
                .analytics_of_strategy(s)
                .iter()
                .map(|&a| d.display_id(a).to_string())
                .collect();
            let techniques: Vec<String> = d
                .related(Relation::TechniquesDetectedByDetectionStrategy, s)
                .iter()
                .map(|&t| d.display_id(t).to_string())
                .collect();
            with_extra(
                r,
                vec![
                    ("analytics", analytics.join(", ").into()),
                    ("techniques", techniques.join(", ").into()),
                ],
            )
        })
        .collect();
    Some(cx.plain(
        "detectionstrategies",
        &strategies,
        records,
        &common_and(&["analytics", "techniques"]),
    ))
}
