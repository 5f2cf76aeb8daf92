//! The questions about one release: `show`, `list`, `search`, `matrix`, `relation`, and `stats`
//! over every release. Each asks the knowledge base for its typed answer and prints it as a
//! table or as JSON.

use std::io::Write;

use anyhow::Result;
use attackdb_data::Need;
use attackdb_kb::{
    kind_name, matrix_answer, stats_answer, status_name, Concept, Dataset, Domain, MatrixOptions,
    ObjId, ObjectSummary, Relation, SearchResult, Visibility,
};

use crate::cli::ListArgs;
use crate::options::Options;
use crate::render::{self, Table};

/// Tactic shortnames of a technique in this domain's kill chain.
fn tactic_names(dataset: &Dataset, id: ObjId) -> Vec<String> {
    dataset
        .tactics_of_technique(id)
        .into_iter()
        .map(|t| dataset.display_name(t).to_string())
        .collect()
}

/// The object `query` names in the release a question reads; without `--domain`, one found
/// only in another domain is answered from there (and a note says so).
fn find_anywhere(query: &str, options: &Options) -> Result<(&'static Dataset, ObjId)> {
    let dataset = one_release(options)?;
    let error = match dataset.lookup(query) {
        Ok(id) => return Ok((dataset, id)),
        Err(error) => error,
    };
    if options.domain.is_none() && matches!(error, attackdb_kb::Error::NotFound { .. }) {
        for other in [Domain::Mobile, Domain::Ics] {
            let Ok(elsewhere) = options.dataset(other) else {
                continue;
            };
            if let Ok(id) = elsewhere.lookup(query) {
                crate::progress::say(
                    "note",
                    &format!(
                        "{query} is not in {} {}; answered from {} {} (--domain {})",
                        dataset.domain(),
                        dataset.release(),
                        elsewhere.domain(),
                        elsewhere.release(),
                        other.short_name()
                    ),
                );
                return Ok((elsewhere, id));
            }
        }
    }
    Err(error.into())
}

/// The dataset a question about one release reads: `--domain` (default enterprise) at
/// `--release` (default the newest).
fn one_release(options: &Options) -> Result<&'static Dataset> {
    options.dataset(options.domain_or(Domain::Enterprise))
}

/// `attackdb show REF`.
pub fn show(query: &str, full: bool, options: &Options, out: &mut dyn Write) -> Result<()> {
    let (dataset, id) = find_anywhere(query, options)?;
    if let Some(note) = attackdb_kb::also_named_note(dataset, query, id) {
        crate::progress::say("note", &note.to_string());
    }
    if options.json && full {
        return render::json(out, &attackdb_kb::full_answer_named(dataset, id, query)?);
    }
    if options.json {
        writeln!(out, "{}", dataset.raw_json(id)?)?;
        return Ok(());
    }
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
    if let Some(description) = &object.description {
        writeln!(out)?;
        render::paragraph(out, description, width, 0)?;
    }
    show_relations(dataset, id, width, out)?;
    show_detection(dataset, id, width, out)
}

fn show_relations(dataset: &Dataset, id: ObjId, width: usize, out: &mut dyn Write) -> Result<()> {
    let families = attackdb_kb::related_answer(dataset, id);
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
    let dataset = one_release(options)?;
    let (concept, ids) = attackdb_kb::list_objects(
        dataset,
        &attackdb_kb::ListQuery {
            kind: args.kind.clone(),
            platform: args.platform.clone(),
            tactic: args.tactic.clone(),
            visibility: Visibility {
                include_revoked: args.include_revoked,
                include_deprecated: args.include_deprecated,
            },
        },
    )?;
    if options.json {
        let answer: Vec<ObjectSummary> =
            ids.iter().map(|&i| ObjectSummary::of(dataset, i)).collect();
        return render::json(out, &answer);
    }
    let show_status = args.include_revoked || args.include_deprecated;
    let mut headers = vec!["ID", "Name"];
    if show_status {
        headers.push("Status");
    }
    headers.push("Details");
    let mut table = Table::new(&headers);
    for &id in &ids {
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
    let dataset = one_release(options)?;
    let hits = dataset.search(query, visibility)?;
    let shown = &hits[..hits.len().min(limit)];
    if options.json {
        let answer: Vec<SearchResult> =
            shown.iter().map(|h| SearchResult::of(dataset, h)).collect();
        return render::json(out, &answer);
    }
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
    let dataset = one_release(options)?;
    let matrix_options = MatrixOptions {
        platforms: platform.iter().map(|p| p.to_string()).collect(),
        subtechniques,
    };
    let matrix = dataset.matrix(&matrix_options);
    if options.json {
        return render::json(out, &matrix_answer(dataset, &matrix, &matrix_options));
    }
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
    options: &Options,
    out: &mut dyn Write,
) -> Result<()> {
    let dataset = one_release(options)?;
    let as_json = options.json;
    let relation = Relation::parse(name)?;
    let Some(query) = id else {
        let map = dataset.relation_map_named(relation);
        if as_json {
            return render::json(out, &map);
        }
        let mut table = Table::new(&["Source", "Related"]);
        for (source, related) in &map {
            table.row(vec![source.clone(), related.join(" ")]);
        }
        table.write(out, render::width())?;
        writeln!(out, "{} sources in {}", map.len(), relation.name())?;
        return Ok(());
    };
    let key = dataset.lookup_key(relation, query)?;
    if let Some(note) = attackdb_kb::also_named_note(dataset, query, key) {
        crate::progress::say("note", &note.to_string());
    }
    let related = attackdb_kb::related_ids(dataset, relation, key);
    if as_json {
        return render::json(out, &related);
    }
    let mut table = Table::new(&["ID", "Name"]);
    for r in dataset.related(relation, key) {
        table.row(vec![
            dataset.display_id(r).to_string(),
            dataset.display_name(r).to_string(),
        ]);
    }
    table.write(out, render::width())?;
    writeln!(
        out,
        "{} {} of {} {}",
        related.len(),
        relation.name(),
        dataset.display_id(key),
        dataset.display_name(key)
    )?;
    Ok(())
}
