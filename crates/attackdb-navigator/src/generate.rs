//! Layer generators, like mitreattack-python's: the usage layer of one group, software,
//! campaign, mitigation, data component or detection strategy (the techniques it uses, mitigates
//! or detects, each commented with the evidence); an overview layer scoring every technique by
//! how many objects of a kind relate to it; and one usage layer per object of a kind (batch).
//!
//! Usage layers annotate exactly the techniques of the knowledge base's relation family (e.g.
//! `techniques_used_by_group`, campaigns included), score 1; overview scores are the sizes of the
//! reverse family (e.g. `groups_using_technique`). For data components, ATT&CK 18's chain
//! (detection strategy -> analytic -> data component) counts as well as `detects`
//! relationships.

use attackdb_kb::{Concept, Dataset, ObjId, RelKind, Relation, Visibility};

use crate::model::{
    Expanded, Extra, Filters, Gradient, Layer, Layout, LayoutKind, LegendItem, LinkItem,
    MetadataItem, Technique,
};
use crate::problem::{Error, Result};

/// Options every generator takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Only techniques of this platform (case-insensitive); also set as the layer's filter.
    pub platform: Option<String>,
}

/// The kinds of object a usage layer can be made for.
pub const USAGE_KINDS: [Concept; 6] = [
    Concept::Group,
    Concept::Software,
    Concept::Campaign,
    Concept::Mitigation,
    Concept::DataComponent,
    Concept::DetectionStrategy,
];

/// The kinds of object an overview layer can count.
pub const OVERVIEW_KINDS: [Concept; 7] = [
    Concept::Group,
    Concept::Software,
    Concept::Campaign,
    Concept::Mitigation,
    Concept::DataComponent,
    Concept::DetectionStrategy,
    Concept::Asset,
];

/// Finds the object of `kind` named `query` (ATT&CK ID, STIX ID, name or alias).
pub fn resolve(dataset: &Dataset, query: &str, kind: Concept) -> Result<ObjId> {
    Ok(dataset.lookup_kind(query, kind)?)
}

/// The family giving the techniques of an object of `kind`.
fn usage_relation(kind: Concept) -> Result<Relation> {
    Ok(match kind {
        Concept::Group => Relation::TechniquesUsedByGroup,
        Concept::Software => Relation::TechniquesUsedBySoftware,
        Concept::Campaign => Relation::TechniquesUsedByCampaign,
        Concept::Mitigation => Relation::TechniquesMitigatedByMitigation,
        Concept::DataComponent => Relation::TechniquesSeenByDatacomponent,
        Concept::DetectionStrategy => Relation::TechniquesDetectedByDetectionStrategy,
        other => {
            return Err(Error::Generate(format!(
                "no usage layer for {}: expected a group, software, campaign, mitigation, data \
                 component or detection strategy",
                other.plural()
            )))
        }
    })
}

/// The family giving, for a technique, the related objects of `kind`.
fn overview_relation(kind: Concept) -> Result<Relation> {
    Ok(match kind {
        Concept::Group => Relation::GroupsUsingTechnique,
        Concept::Software => Relation::SoftwareUsingTechnique,
        Concept::Campaign => Relation::CampaignsUsingTechnique,
        Concept::Mitigation => Relation::MitigationsMitigatingTechnique,
        Concept::DataComponent => Relation::DatacomponentsDetectingTechnique,
        Concept::DetectionStrategy => Relation::DetectionStrategiesDetectingTechnique,
        Concept::Asset => Relation::AssetsTargetedByTechnique,
        other => {
            return Err(Error::Generate(format!(
                "no overview of {}: expected groups, software, campaigns, mitigations, \
                 datacomponents, detectionstrategies or assets",
                other.plural()
            )))
        }
    })
}

/// The verb of a usage layer (`used by`, `mitigated by`, `detected by`).
fn verb(kind: Concept) -> &'static str {
    match kind {
        Concept::Mitigation => "mitigated by",
        Concept::DataComponent | Concept::DetectionStrategy => "detected by",
        _ => "used by",
    }
}

fn matches_platform(dataset: &Dataset, technique: ObjId, options: &GenerateOptions) -> bool {
    options.platform.as_deref().is_none_or(|p| {
        dataset
            .object(technique)
            .platforms
            .iter()
            .any(|q| q.eq_ignore_ascii_case(p.trim()))
    })
}

/// The ATT&CK major version of a release (`18.1` -> `18`), as the Navigator writes it.
fn attack_version(dataset: &Dataset) -> String {
    let release = dataset.release().as_str();
    release.split('.').next().unwrap_or(release).to_string()
}

fn domain_title(dataset: &Dataset) -> &'static str {
    dataset.domain().title()
}

fn base_layer(
    dataset: &Dataset,
    name: &str,
    description: String,
    options: &GenerateOptions,
) -> Layer {
    let mut layer = Layer::new(
        name,
        dataset.domain().as_str(),
        Some(&attack_version(dataset)),
    );
    layer.description = Some(description);
    if let Some(platform) = &options.platform {
        let canonical = dataset
            .platforms()
            .into_iter()
            .find(|p| p.eq_ignore_ascii_case(platform.trim()))
            .map_or_else(|| platform.trim().to_string(), str::to_string);
        layer.filters = Some(Filters {
            platforms: Some(vec![canonical]),
            extra: Extra::new(),
        });
    }
    layer.layout = Some(Layout {
        layout: Some(LayoutKind::Side),
        show_id: Some(true),
        show_name: Some(true),
        expanded_subtechniques: Some(Expanded::Annotated),
        ..Layout::default()
    });
    layer.metadata = vec![
        MetadataItem::entry("generated by", "attackdb"),
        MetadataItem::entry(
            "ATT&CK release",
            &format!("{} {}", dataset.domain(), dataset.release()),
        ),
    ];
    layer
}

/// The ATT&CK page of an object, if it has one.
fn url(dataset: &Dataset, object: ObjId) -> Option<String> {
    dataset
        .object(object)
        .attack_reference()
        .and_then(|r| r.url.as_deref())
        .map(str::to_string)
}

fn label(dataset: &Dataset, object: ObjId) -> String {
    format!(
        "{} {}",
        dataset.display_id(object),
        dataset.display_name(object)
    )
}

/// The live relationships of kind `kind` from `source` to `technique`: their descriptions.
fn evidence(dataset: &Dataset, source: ObjId, kind: RelKind, technique: ObjId) -> Vec<String> {
    dataset
        .outgoing(source)
        .filter(|l| l.kind == kind && l.target == technique && dataset.is_live(l.relationship))
        .map(|l| {
            dataset
                .object(l.relationship)
                .description
                .as_deref()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .collect()
}

/// What says that `object` (of `kind`) relates to `technique`, one line per piece of evidence.
fn evidence_lines(
    dataset: &Dataset,
    object: ObjId,
    kind: Concept,
    technique: ObjId,
) -> Vec<String> {
    let rel_kind = match kind {
        Concept::Mitigation => RelKind::Mitigates,
        Concept::DataComponent | Concept::DetectionStrategy => RelKind::Detects,
        _ => RelKind::Uses,
    };
    let mut lines: Vec<String> = evidence(dataset, object, rel_kind, technique)
        .into_iter()
        .map(|d| {
            if d.is_empty() {
                format!(
                    "{} {} {}",
                    label(dataset, object),
                    verb_active(kind),
                    dataset.display_id(technique)
                )
            } else {
                d
            }
        })
        .collect();
    if kind == Concept::Group {
        for campaign in dataset.related(Relation::CampaignsAttributedToGroup, object) {
            for d in evidence(dataset, campaign, RelKind::Uses, technique) {
                lines.push(format!("[via campaign {}] {d}", label(dataset, campaign)));
            }
        }
    }
    if kind == Concept::DataComponent {
        for strategy in dataset.related(Relation::DetectionStrategiesDetectingTechnique, technique)
        {
            for analytic in dataset.analytics_of_strategy(strategy) {
                if dataset
                    .datacomponents_of_analytic(analytic)
                    .contains(&object)
                {
                    lines.push(format!(
                        "read by analytic {} of detection strategy {}",
                        dataset.display_id(analytic),
                        label(dataset, strategy)
                    ));
                }
            }
        }
    }
    lines
}

fn verb_active(kind: Concept) -> &'static str {
    match kind {
        Concept::Mitigation => "mitigates",
        Concept::DataComponent | Concept::DetectionStrategy => "detects",
        _ => "uses",
    }
}

/// The techniques an object of `kind` relates to: the relation family's answer (for data
/// components `techniques_seen_by_datacomponent`: through ATT&CK 18's detection strategies and
/// analytics, and through `detects` relationships before).
pub fn usage_techniques(dataset: &Dataset, object: ObjId, kind: Concept) -> Result<Vec<ObjId>> {
    Ok(dataset.related(usage_relation(kind)?, object))
}

/// The usage layer of `object`: every technique it uses (mitigates, detects), score 1, the
/// evidence as comment, a link to the object's page.
pub fn usage_layer(dataset: &Dataset, object: ObjId, options: &GenerateOptions) -> Result<Layer> {
    let kind = dataset.concept(object).ok_or_else(|| {
        Error::Generate(format!(
            "{} is not an ATT&CK object",
            dataset.display_id(object)
        ))
    })?;
    let techniques = usage_techniques(dataset, object, kind)?;
    let name = format!(
        "{} ({})",
        dataset.display_name(object),
        dataset.display_id(object)
    );
    let description = format!(
        "{} techniques {} {}, ATT&CK {} {} ({} {})",
        domain_title(dataset),
        verb(kind),
        dataset.display_name(object),
        kind.singular(),
        dataset.display_id(object),
        dataset.domain(),
        dataset.release()
    );
    let mut layer = base_layer(dataset, &name, description, options);
    let link = url(dataset, object).map(|u| LinkItem::link(&label(dataset, object), &u));
    for technique in techniques {
        if !matches_platform(dataset, technique, options) {
            continue;
        }
        let mut annotation = Technique::new(dataset.display_id(technique));
        annotation.score = Some(1.0);
        annotation.comment = Some(evidence_lines(dataset, object, kind, technique).join("\n\n"));
        annotation.links.extend(link.clone());
        layer.techniques.push(annotation);
    }
    layer.gradient = Some(Gradient {
        colors: vec!["#ffffff".to_string(), "#66b1ff".to_string()],
        min_value: 0.0,
        max_value: 1.0,
        extra: Extra::new(),
    });
    layer.legend_items = vec![LegendItem {
        label: format!("{} {}", verb(kind), dataset.display_name(object)),
        color: "#66b1ff".to_string(),
        extra: Extra::new(),
    }];
    layer.metadata.push(MetadataItem::entry(
        kind.singular(),
        &label(dataset, object),
    ));
    Ok(layer)
}

/// The overview layer of `kind`: every live technique scored by how many live objects of `kind`
/// relate to it (techniques with none are left out), the objects named in the comment.
pub fn overview_layer(
    dataset: &Dataset,
    kind: Concept,
    options: &GenerateOptions,
) -> Result<Layer> {
    let relation = overview_relation(kind)?;
    let description = format!(
        "{} techniques scored by the number of {} related to them ({}; {} {})",
        domain_title(dataset),
        kind.plural(),
        relation.name(),
        dataset.domain(),
        dataset.release()
    );
    let mut layer = base_layer(
        dataset,
        &format!("{} overview", kind.plural()),
        description,
        options,
    );
    let mut max = 0usize;
    for technique in dataset.list_any(
        &[Concept::Technique, Concept::Subtechnique],
        Visibility::LIVE,
    ) {
        if !matches_platform(dataset, technique, options) {
            continue;
        }
        let mut related = dataset.related(relation, technique);
        if kind == Concept::DataComponent {
            for dc in dataset.datacomponents_via_strategies(technique) {
                if !related.contains(&dc) {
                    related.push(dc);
                }
            }
            related.sort_by(|&a, &b| dataset.display_id(a).cmp(dataset.display_id(b)));
        }
        if related.is_empty() {
            continue;
        }
        max = max.max(related.len());
        let mut annotation = Technique::new(dataset.display_id(technique));
        annotation.score = Some(related.len() as f64);
        let names: Vec<String> = related.iter().map(|&o| label(dataset, o)).collect();
        annotation.comment = Some(format!(
            "{} {}: {}",
            related.len(),
            kind.plural(),
            names.join(", ")
        ));
        layer.techniques.push(annotation);
    }
    layer.gradient = Some(Gradient {
        colors: vec!["#ffffff".to_string(), "#ff6666".to_string()],
        min_value: 0.0,
        max_value: max.max(1) as f64,
        extra: Extra::new(),
    });
    layer.legend_items = vec![LegendItem {
        label: format!("{max} {} (the most for one technique)", kind.plural()),
        color: "#ff6666".to_string(),
        extra: Extra::new(),
    }];
    Ok(layer)
}

/// File names for layers of objects with these IDs: never a path (only letters, digits, `.`,
/// `-` and `_`; no leading dot; at most 100 characters), and never the same name twice (ignoring
/// case, for file systems that do): a repeat gets `-2`, `-3`... Each ends in `.json`.
pub fn layer_file_names(ids: &[&str]) -> Vec<String> {
    let mut taken = std::collections::HashSet::new();
    ids.iter()
        .map(|id| {
            let cleaned: String = id
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                        c
                    } else {
                        '_'
                    }
                })
                .take(100)
                .collect();
            let cleaned = cleaned.trim_start_matches('.');
            let base = if cleaned.is_empty() { "layer" } else { cleaned };
            let mut name = format!("{base}.json");
            let mut n = 1;
            while !taken.insert(name.to_ascii_lowercase()) {
                n += 1;
                name = format!("{base}-{n}.json");
            }
            name
        })
        .collect()
}

/// One usage layer per live object of `kind`, with the object's display ID, sorted by it.
pub fn batch_layers(
    dataset: &Dataset,
    kind: Concept,
    options: &GenerateOptions,
) -> Result<Vec<(String, Layer)>> {
    usage_relation(kind)?;
    dataset
        .list(kind, Visibility::LIVE)
        .into_iter()
        .map(|object| {
            Ok((
                dataset.display_id(object).to_string(),
                usage_layer(dataset, object, options)?,
            ))
        })
        .collect()
}
