//! Checking a layer against one release of the knowledge base: techniques that are unknown,
//! revoked or deprecated there, tactics a technique is not in, platforms the domain lacks.

use attackdb_kb::{Concept, Dataset};

use crate::model::Layer;
use crate::problem::Problem;

/// Checks every layer of `file` against the release `dataset_of` gives for its domain, adding
/// the problems found to the layer's; a layer of no ATT&CK domain, or of one `dataset_of` gives
/// no release for (`Ok(None)`), keeps only its format problems. Returns the releases checked
/// against (`enterprise-attack 18.1`), one per domain.
pub fn check_file<'d, E>(
    file: &mut crate::read::LayerFile,
    mut dataset_of: impl FnMut(attackdb_kb::Domain) -> Result<Option<&'d Dataset>, E>,
) -> Result<Vec<String>, E> {
    let mut domains: Vec<String> = file
        .layers
        .iter()
        .map(|l| l.layer.domain.clone())
        .filter(|d| crate::model::DOMAINS.contains(&d.as_str()))
        .collect();
    domains.sort();
    domains.dedup();
    let mut checked_against = Vec::new();
    for name in &domains {
        let Some(domain) = attackdb_kb::Domain::parse(name) else {
            continue;
        };
        let Some(dataset) = dataset_of(domain)? else {
            continue;
        };
        checked_against.push(format!("{} {}", dataset.domain(), dataset.release()));
        for layer in file.layers.iter_mut().filter(|l| &l.layer.domain == name) {
            let more = check_against(&layer.layer, dataset, &layer.path);
            layer.problems.extend(more);
        }
    }
    Ok(checked_against)
}

/// Problems of `layer` against `dataset` (warnings: the Navigator still opens such a layer, but
/// shows nothing for what it does not know). `root` is the layer's path (`$`, `[2]`).
pub fn check_against(layer: &Layer, dataset: &Dataset, root: &str) -> Vec<Problem> {
    let path = |field: &str| {
        if root == "$" {
            field.to_string()
        } else {
            format!("{root}.{field}")
        }
    };
    let mut problems = Vec::new();
    if layer.domain != dataset.domain().as_str() {
        problems.push(Problem::warning(
            path("domain"),
            format!(
                "the layer is for {} but is checked against {} {}",
                layer.domain,
                dataset.domain(),
                dataset.release()
            ),
        ));
    }
    let release = format!("{} {}", dataset.domain(), dataset.release());
    let technique_kinds = [Concept::Technique, Concept::Subtechnique];
    for (i, technique) in layer.techniques.iter().enumerate() {
        let field = path(&format!("techniques[{i}].techniqueID"));
        let id = &technique.technique_id;
        if !crate::is_technique_id(id) {
            continue; // already an error of the format
        }
        let found = dataset
            .by_attack_id(id)
            .iter()
            .copied()
            .filter(|&o| {
                dataset
                    .concept(o)
                    .is_some_and(|c| technique_kinds.contains(&c))
            })
            .min_by_key(|&o| (!dataset.is_live(o), dataset.object(o).revoked));
        let Some(object) = found else {
            problems.push(Problem::warning(
                field,
                format!("{id} is not a technique in {release}"),
            ));
            continue;
        };
        let stix = dataset.object(object);
        if stix.revoked {
            let by = dataset
                .revoking_object(object)
                .map(|r| {
                    format!(
                        ": replaced by {} {}",
                        dataset.display_id(r),
                        dataset.display_name(r)
                    )
                })
                .unwrap_or_default();
            problems.push(Problem::warning(
                field,
                format!("{id} is revoked in {release}{by}"),
            ));
            continue;
        }
        if stix.deprecated {
            problems.push(Problem::warning(
                field,
                format!(
                    "{id} ({}) is deprecated in {release}",
                    dataset.display_name(object)
                ),
            ));
            continue;
        }
        if let Some(tactic) = &technique.tactic {
            let phases: Vec<&str> = stix
                .kill_chain_phases
                .iter()
                .map(|p| &*p.phase_name)
                .collect();
            if !phases.contains(&tactic.as_str()) {
                let known = dataset.tactic_by_shortname(tactic).is_some();
                let message = if known {
                    format!(
                        "{id} is not in tactic `{tactic}` in {release} (its tactics: {})",
                        phases.join(", ")
                    )
                } else {
                    format!("`{tactic}` is not a tactic shortname in {release}")
                };
                problems.push(Problem::warning(
                    path(&format!("techniques[{i}].tactic")),
                    message,
                ));
            }
        }
    }
    if let Some(platforms) = layer.filters.as_ref().and_then(|f| f.platforms.as_ref()) {
        let known = dataset.platforms();
        for (i, platform) in platforms.iter().enumerate() {
            if !known.iter().any(|k| k.eq_ignore_ascii_case(platform)) {
                problems.push(Problem::warning(
                    path(&format!("filters.platforms[{i}]")),
                    format!("`{platform}` is not a platform in {release}"),
                ));
            }
        }
    }
    problems
}
