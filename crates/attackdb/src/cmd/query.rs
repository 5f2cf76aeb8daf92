//! The questions about one release: `show`, `list`, `search`, `matrix`, `relation`, and `stats`
//! over every release. Each asks the knowledge base for its typed answer and prints it as a
//! table or as JSON.

use std::io::Write;

use anyhow::Result;
use attackdb_data::Need;
use attackdb_kb::{
    answer::stats_answer, kind_name, status_name, Concept, Dataset, ObjId, Relation, Visibility,
};

use crate::cli::ListArgs;
use crate::options::Options;
use crate::progress::say_notes;
use crate::render::{self, Table};

/// Tactic shortnames of a technique in this domain's kill chain.
fn tactic_names(dataset: &Dataset, id: ObjId) -> Vec<String> {
    dataset
        .tactics_of_technique(id)
        .into_iter()
        .map(|t| dataset.display_name(t).to_string())
        .collect()
}

/// `attackdb show REF`.
pub fn show(query: &str, full: bool, options: &Options, out: &mut dyn Write) -> Result<()> {
    let request = attackdb_ask::ShowRequest {
        reference: query.to_string(),
        full: full && options.json,
        scope: options.scope(),
    };
    let shown = attackdb_ask::show(options, &request)?;
    say_notes(&shown.notes);
    if let Some(full) = &shown.answer.full {
        return render::json(out, full);
    }
    if options.json {
        write!(out, "{}", shown.answer.raw()?)?;
        return Ok(());
    }
    let (dataset, id) = (shown.answer.found.dataset, shown.answer.found.id);
    let width = render::width();
    let object = dataset.object(id);
    let title = match object.attack_id() {
        Some(attack_id) => format!("{attack_id}  {}", dataset.display_name(id)),
        None => dataset.display_name(id).to_string(),
    };
    writeln!(out, "{title}")?;
    writeln!(out, "{}", "═".repeat(title.chars().count().min(width)))?;
    let mut facts = Table::new(&["", ""]);
    let mut fact = |label: &str, value: String| {
        if !value.is_empty() {
            facts.row(vec![label.to_string(), value]);
        }
    };
    let mut kind = kind_name(dataset, id);
    let state = status_name(dataset, id);
    if !state.is_empty() {
        kind = format!("{kind} ({state})");
    }
    fact("Type", kind);
    fact(
        "Release",
        format!("{} {}", dataset.domain(), dataset.release()),
    );
    fact("STIX ID", object.id.to_string());
    if object.revoked {
        if let Some(by) = dataset.revoking_object(id) {
            fact(
                "Revoked by",
                format!("{}  {}", dataset.display_id(by), dataset.display_name(by)),
            );
        }
    }
    if let Some(parent) = dataset
        .related(Relation::ParentTechniqueOfSubtechnique, id)
        .first()
    {
        fact(
            "Parent",
            format!(
                "{}  {}",
                dataset.display_id(*parent),
                dataset.display_name(*parent)
            ),
        );
    }
    if object.kind == attackdb_kb::ObjectType::AttackPattern {
        fact("Tactics", tactic_names(dataset, id).join(", "));
    }
    if let Some(shortname) = &object.shortname {
        fact("Shortname", shortname.to_string());
    }
    fact("Platforms", object.platforms.join(", "));
    fact("Aliases", object.aliases.join(", "));
    fact("Sectors", object.sectors.join(", "));
    if let (Some(first), last) = (&object.first_seen, &object.last_seen) {
        fact(
            "Seen",
            format!("{first} to {}", last.as_deref().unwrap_or("?")),
        );
    }
    fact(
        "Version",
        object.version.as_deref().unwrap_or_default().to_string(),
    );
    fact(
        "Created",
        object.created.as_deref().unwrap_or_default().to_string(),
    );
    fact(
        "Modified",
        object.modified.as_deref().unwrap_or_default().to_string(),
    );
    fact("Contributors", object.contributors.join(", "));
    if let Some(url) = object.attack_reference().and_then(|r| r.url.as_deref()) {
        fact("URL", url.to_string());
    }
    let log_sources: Vec<String> = object
        .log_sources
        .iter()
        .map(|l| match &l.channel {
            Some(channel) => format!("{} ({channel})", l.name),
            None => l.name.to_string(),
        })
        .collect();
    fact("Log sources", log_sources.join("; "));
    facts.write(out, width)?;
    let mut references = Vec::new();
    if let Some(description) = &object.description {
        let text = attackdb_kb::markup::terminal_text(description, &object.external_references);
        writeln!(out)?;
        render::paragraph(out, &text.text, width, 0)?;
        references = text.references;
    }
    show_relations(dataset, id, width, out)?;
    show_detection(dataset, id, width, out)?;
    if !references.is_empty() {
        writeln!(out, "\nReferences")?;
        for reference in &references {
            render::paragraph(out, reference, width, 2)?;
        }
    }
    Ok(())
}

fn show_relations(dataset: &Dataset, id: ObjId, width: usize, out: &mut dyn Write) -> Result<()> {
    let families = attackdb_kb::answer::related_answer(dataset, id);
    if !families.is_empty() {
        writeln!(out, "\nRelationships")?;
    }
    for family in families {
        let label = family.relation.replace('_', " ");
        writeln!(out, "  {label} ({})", family.objects.len())?;
        // Analytics are named after their IDs ("Analytic 0016"): the ID says it all.
        let ids_only = Relation::parse(family.relation)
            .is_ok_and(|r| r.related_types() == [attackdb_kb::ObjectType::Analytic]);
        let items: Vec<String> = family
            .objects
            .iter()
            .map(|o| {
                if ids_only {
                    o.id.clone()
                } else {
                    format!("{} {}", o.id, o.name)
                }
            })
            .collect();
        render::paragraph(out, &items.join(" · "), width, 4)?;
    }
    Ok(())
}

fn show_detection(dataset: &Dataset, id: ObjId, width: usize, out: &mut dyn Write) -> Result<()> {
    use attackdb_kb::ObjectType;
    let kind = dataset.object(id).kind.clone();
    match kind {
        ObjectType::AttackPattern => {
            let chain = dataset.detection_chain(id);
            if chain.strategies.is_empty() {
                return Ok(());
            }
            writeln!(out, "\nDetection (strategies → analytics → log sources)")?;
            for strategy in &chain.strategies {
                let s = strategy.strategy;
                writeln!(
                    out,
                    "  {}  {}",
                    dataset.display_id(s),
                    dataset.display_name(s)
                )?;
                for analytic in &strategy.analytics {
                    write_analytic(dataset, analytic.analytic, width, out)?;
                }
            }
        }
        ObjectType::DetectionStrategy => {
            let analytics = dataset.analytics_of_strategy(id);
            if !analytics.is_empty() {
                writeln!(out, "\nAnalytics")?;
                for analytic in analytics {
                    write_analytic(dataset, analytic, width, out)?;
                }
            }
        }
        ObjectType::Analytic => {
            writeln!(out, "\nLog sources")?;
            write_analytic(dataset, id, width, out)?;
        }
        _ => {}
    }
    Ok(())
}

fn write_analytic(
    dataset: &Dataset,
    analytic: ObjId,
    width: usize,
    out: &mut dyn Write,
) -> Result<()> {
    let object = dataset.object(analytic);
    writeln!(
        out,
        "    {}  [{}]",
        dataset.display_id(analytic),
        object.platforms.join(", ")
    )?;
    let sources: Vec<String> = object
        .log_source_references
        .iter()
        .map(|r| {
            let component = dataset
                .by_stix_id(&r.data_component_ref)
                .map(|d| format!("{} {}", dataset.display_id(d), dataset.display_name(d)))
                .unwrap_or_else(|| r.data_component_ref.to_string());
            match &r.channel {
                Some(channel) => format!("{component}: {} {channel}", r.name),
                None => format!("{component}: {}", r.name),
            }
        })
        .collect();
    for source in sources {
        render::paragraph(out, &source, width, 6)?;
    }
    Ok(())
}

/// `attackdb list KIND`.
pub fn list(args: &ListArgs, options: &Options, out: &mut dyn Write) -> Result<()> {
    let listed = attackdb_ask::list(
        options,
        &attackdb_ask::ListRequest {
            kind: args.kind.clone(),
            platform: args.platform.clone(),
            tactic: args.tactic.clone(),
            include_revoked: args.include_revoked,
            include_deprecated: args.include_deprecated,
            scope: options.scope(),
            ..attackdb_ask::ListRequest::default()
        },
    )?;
    if options.json {
        return render::json(out, &listed.summaries());
    }
    let (dataset, concept, ids) = (listed.dataset, listed.concept, &listed.ids);
    let show_status = args.include_revoked || args.include_deprecated;
    let mut headers = vec!["ID", "Name"];
    if show_status {
        headers.push("Status");
    }
    headers.push("Details");
    let mut table = Table::new(&headers);
    for &id in ids {
        let object = dataset.object(id);
        let mut details = Vec::new();
        if object.kind == attackdb_kb::ObjectType::AttackPattern {
            details.push(tactic_names(dataset, id).join(", "));
        }
        if !object.platforms.is_empty() {
            details.push(object.platforms.join(", "));
        }
        if !object.aliases.is_empty() {
            details.push(object.aliases.join(", "));
        }
        let mut row = vec![
            dataset.display_id(id).to_string(),
            dataset.display_name(id).to_string(),
        ];
        if show_status {
            row.push(status_name(dataset, id).to_string());
        }
        row.push(details.join(" · "));
        table.row(row);
    }
    table.write(out, render::width())?;
    writeln!(out, "{} {}", ids.len(), concept.plural())?;
    Ok(())
}

/// `attackdb search WORDS`.
pub fn search(
    query: &str,
    visibility: Visibility,
    limit: usize,
    options: &Options,
    out: &mut dyn Write,
) -> Result<()> {
    let searched = attackdb_ask::search(
        options,
        &attackdb_ask::SearchRequest {
            q: query.to_string(),
            include_revoked: visibility.include_revoked,
            include_deprecated: visibility.include_deprecated,
            limit,
            scope: options.scope(),
        },
    )?;
    if options.json {
        return render::json(out, &searched.results());
    }
    let dataset = searched.dataset;
    let (hits, shown) = (&searched.hits, &searched.hits[..searched.shown]);
    let mut table = Table::new(&["ID", "Name", "Kind", "Matched"]);
    for hit in shown {
        table.row(vec![
            dataset.display_id(hit.object).to_string(),
            dataset.display_name(hit.object).to_string(),
            kind_name(dataset, hit.object),
            hit.matched.to_string(),
        ]);
    }
    table.write(out, render::width())?;
    writeln!(out, "{} of {} matches shown", shown.len(), hits.len())?;
    Ok(())
}

/// `attackdb matrix`: the columns fit the width (`COLUMNS`, else the terminal's), names wrap,
/// `--ids` puts each ID before its name.
pub fn matrix(
    platform: Option<&str>,
    subtechniques: bool,
    ids: bool,
    options: &Options,
    out: &mut dyn Write,
) -> Result<()> {
    let answered = attackdb_ask::matrix(
        options,
        &attackdb_ask::MatrixRequest {
            platforms: platform.iter().map(|p| p.to_string()).collect(),
            subtechniques,
            scope: options.scope(),
        },
    )?;
    if options.json {
        return render::json(out, &answered.document());
    }
    let (dataset, matrix) = (answered.dataset, &answered.matrix);
    let label = |object| {
        if ids {
            format!(
                "{} {}",
                dataset.display_id(object),
                dataset.display_name(object)
            )
        } else {
            dataset.display_name(object).to_string()
        }
    };
    let columns = &matrix.columns;
    let laid_out: Vec<render::MatrixColumn> = columns
        .iter()
        .map(|column| render::MatrixColumn {
            header: format!("{} ({})", label(column.tactic), column.rows.len()),
            entries: column
                .rows
                .iter()
                .flat_map(|row| {
                    std::iter::once(render::MatrixEntry {
                        text: label(row.technique),
                        depth: 0,
                    })
                    .chain(row.subtechniques.iter().map(|&s| {
                        render::MatrixEntry {
                            text: label(s),
                            depth: 1,
                        }
                    }))
                })
                .collect(),
        })
        .collect();
    let width = render::width();
    render::matrix(out, &laid_out, width)?;
    let total = matrix.technique_cells();
    let summary = format!(
        "{} {}: {} tactics, {} technique cells{}",
        dataset.domain(),
        dataset.release(),
        columns.len(),
        total,
        platform.map(|p| format!(" on {p}")).unwrap_or_default()
    );
    render::paragraph(out, &summary, width, 0)?;
    Ok(())
}

/// `attackdb stats`: every loaded domain and release.
pub fn stats(options: &Options, out: &mut dyn Write) -> Result<()> {
    let kb = options.open(&Need::Everything)?;
    if options.json {
        return render::json(out, &stats_answer(kb));
    }
    let short = [
        "Tac", "Tech", "Sub", "Grp", "Soft", "Camp", "Mitig", "DS", "DC", "DET", "AN", "Asset",
        "Mtx",
    ];
    let mut headers = vec!["Domain", "Release"];
    headers.extend(short);
    headers.push("Objects");
    let mut table = Table::new(&headers);
    for dataset in kb.datasets() {
        let mut row = vec![dataset.domain().to_string(), dataset.release().to_string()];
        for concept in Concept::ALL {
            row.push(dataset.list(concept, Visibility::LIVE).len().to_string());
        }
        row.push(dataset.objects().len().to_string());
        table.row(row);
    }
    table.write(out, render::width().max(120))?;
    writeln!(out, "live objects (neither revoked nor deprecated) per type; Objects counts everything in the bundle")?;
    Ok(())
}

/// `attackdb relation NAME [ID]`.
pub fn relation(
    name: &str,
    id: Option<&str>,
    direct: bool,
    options: &Options,
    out: &mut dyn Write,
) -> Result<()> {
    let answered = attackdb_ask::relation(
        options,
        &attackdb_ask::RelationRequest {
            family: name.to_string(),
            reference: id.map(str::to_string),
            direct,
            scope: options.scope(),
        },
    )?;
    say_notes(&answered.notes);
    if options.json {
        return render::json(out, &answered.answer.document());
    }
    let own = if direct {
        " (own, not via campaigns)"
    } else {
        ""
    };
    match &answered.answer {
        attackdb_ask::RelationAnswer::Map { relation, map, .. } => {
            let mut table = Table::new(&["Source", "Related"]);
            for (source, related) in map {
                table.row(vec![source.clone(), related.join(" ")]);
            }
            table.write(out, render::width())?;
            writeln!(out, "{} sources in {}{own}", map.len(), relation.name())?;
        }
        attackdb_ask::RelationAnswer::One {
            key,
            relation,
            related,
        } => {
            let dataset = key.dataset;
            let mut table = Table::new(&["ID", "Name"]);
            for &r in related {
                table.row(vec![
                    dataset.display_id(r).to_string(),
                    dataset.display_name(r).to_string(),
                ]);
            }
            table.write(out, render::width())?;
            writeln!(
                out,
                "{} {} of {} {}{own}",
                related.len(),
                relation.name(),
                dataset.display_id(key.id),
                dataset.display_name(key.id)
            )?;
        }
    }
    Ok(())
}
