//! The commands: each loads what it needs, asks the knowledge base, and prints a table or JSON.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{bail, Result};
use attackdb_kb::{Concept, Dataset, Kb, ObjId, Relation, Visibility};
use serde_json::{json, Value};

use crate::cli::{Cli, Command, ListArgs};
use crate::data::{self, Need};
use crate::output::{self, Table};

/// Runs the command `cli` names, writing its output to `out`.
pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<()> {
    let global = &cli.global;
    if let Command::Data { command } = &cli.command {
        return crate::data_cmd::run(command, global, out);
    }
    if let Command::Migrate { command } = &cli.command {
        return crate::migrate_cmd::run(command, global, out);
    }
    if let Command::Layer { command } = &cli.command {
        return crate::layer_cmd::run(command, global, out);
    }
    if let Command::Export { command } = &cli.command {
        return crate::layer_cmd::export(command, global, out);
    }
    let paths = data::data_paths(&global.data)?;
    let diff_domains = match &cli.command {
        Command::Diff { .. } => crate::diff_cmd::domains(global.domain.as_deref())?,
        _ => Vec::new(),
    };
    let need = match &cli.command {
        Command::Stats => Need::Everything,
        Command::Diff { from, to, .. } => Need::Releases {
            domains: diff_domains.clone(),
            releases: vec![from.as_str(), to.as_str()],
        },
        _ => Need::One {
            domain: global.domain(),
            release: global.release.as_deref(),
        },
    };
    let options = data::LoadOptions {
        use_index: !global.no_index,
    };
    let kb = data::load(&paths, need, &options, &mut |warning| {
        eprintln!("warning: {warning}")
    })?;
    // The process ends after this command: freeing hundreds of thousands of small strings
    // one by one would only delay the exit, so the knowledge base is left to the OS.
    let kb: &Kb = Box::leak(Box::new(kb));
    let result = answer(kb, cli, &diff_domains, out);
    for dataset in kb.datasets() {
        for problem in dataset.read_problems() {
            eprintln!("warning: {problem}; answers about it may be incomplete (run again to rebuild the index)");
        }
    }
    result
}

/// Answers the question of a command that reads the knowledge base.
fn answer(kb: &Kb, cli: &Cli, diff_domains: &[&'static str], out: &mut dyn Write) -> Result<()> {
    let global = &cli.global;
    match &cli.command {
        Command::Stats => return stats(kb, global.json, out),
        Command::Diff {
            from,
            to,
            format,
            output,
        } => {
            let format = format.unwrap_or(if global.json {
                crate::diff_cmd::DiffFormat::Json
            } else {
                crate::diff_cmd::DiffFormat::Md
            });
            return crate::diff_cmd::run(
                kb,
                from,
                to,
                diff_domains,
                format,
                output.as_deref(),
                out,
            );
        }
        _ => {}
    }
    let dataset = kb.select(Some(global.domain()), global.release.as_deref())?;
    match &cli.command {
        Command::Show { query } => show(dataset, query, global.json, out),
        Command::List(args) => list(dataset, args, global.json, out),
        Command::Search {
            words,
            include_revoked,
            include_deprecated,
            limit,
        } => {
            let visibility = Visibility {
                include_revoked: *include_revoked,
                include_deprecated: *include_deprecated,
            };
            search(
                dataset,
                &words.join(" "),
                visibility,
                *limit,
                global.json,
                out,
            )
        }
        Command::Matrix {
            platform,
            subtechniques,
        } => matrix(
            dataset,
            platform.as_deref(),
            *subtechniques,
            global.json,
            out,
        ),
        Command::Relation { name, id } => relation(dataset, name, id.as_deref(), global.json, out),
        Command::Coverage(args) => crate::coverage_cmd::run(dataset, args, global.json, out),
        Command::Stats
        | Command::Data { .. }
        | Command::Layer { .. }
        | Command::Migrate { .. }
        | Command::Export { .. }
        | Command::Diff { .. } => Ok(()),
    }
}

/// The kind of an object as users say it (`technique`, `group`...), else its STIX type.
fn kind_name(dataset: &Dataset, id: ObjId) -> String {
    dataset.concept(id).map_or_else(
        || dataset.object(id).kind.to_string(),
        |c| c.singular().to_string(),
    )
}

/// Tactic shortnames of a technique in this domain's kill chain.
fn tactic_names(dataset: &Dataset, id: ObjId) -> Vec<String> {
    dataset
        .tactics_of_technique(id)
        .into_iter()
        .map(|t| dataset.display_name(t).to_string())
        .collect()
}

/// The JSON summary of one object used by `list` and `search`.
fn summary(dataset: &Dataset, id: ObjId) -> Value {
    let object = dataset.object(id);
    let mut value = json!({
        "attack_id": object.attack_id(),
        "stix_id": &*object.id,
        "name": object.name.as_deref(),
        "type": object.kind.as_str(),
        "kind": kind_name(dataset, id),
        "revoked": object.revoked,
        "deprecated": object.deprecated,
    });
    if !object.platforms.is_empty() {
        value["platforms"] = json!(object.platforms);
    }
    if !object.kill_chain_phases.is_empty() {
        let tactics: Vec<&str> = object
            .kill_chain_phases
            .iter()
            .map(|p| &*p.phase_name)
            .collect();
        value["tactics"] = json!(tactics);
    }
    if !object.aliases.is_empty() {
        value["aliases"] = json!(object.aliases);
    }
    value
}

fn status(dataset: &Dataset, id: ObjId) -> &'static str {
    let object = dataset.object(id);
    match (object.revoked, object.deprecated) {
        (true, _) => "revoked",
        (false, true) => "deprecated",
        _ => "",
    }
}

fn show(dataset: &Dataset, query: &str, as_json: bool, out: &mut dyn Write) -> Result<()> {
    let id = dataset.lookup(query)?;
    if as_json {
        writeln!(out, "{}", dataset.raw_json(id)?)?;
        return Ok(());
    }
    let width = output::width();
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
    let state = status(dataset, id);
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
        output::paragraph(out, description, width, 0)?;
    }
    show_relations(dataset, id, width, out)?;
    show_detection(dataset, id, width, out)
}

fn show_relations(dataset: &Dataset, id: ObjId, width: usize, out: &mut dyn Write) -> Result<()> {
    let kind = &dataset.object(id).kind;
    let mut printed = false;
    for relation in Relation::ALL {
        if !relation.key_types().contains(kind) {
            continue;
        }
        let related = dataset.related(relation, id);
        if related.is_empty() {
            continue;
        }
        if !printed {
            writeln!(out, "\nRelationships")?;
            printed = true;
        }
        let label = relation.name().replace('_', " ");
        writeln!(out, "  {label} ({})", related.len())?;
        let items: Vec<String> = related
            .iter()
            .map(|&r| format!("{} {}", dataset.display_id(r), dataset.display_name(r)))
            .collect();
        output::paragraph(out, &items.join(" · "), width, 4)?;
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
        output::paragraph(out, &source, width, 6)?;
    }
    Ok(())
}

fn resolve_tactic(dataset: &Dataset, query: &str) -> Result<String> {
    if let Some(t) = dataset.tactic_by_shortname(query) {
        if let Some(shortname) = &dataset.object(t).shortname {
            return Ok(shortname.to_string());
        }
    }
    let id = dataset.lookup_where(query, |o| dataset.concept(o) == Some(Concept::Tactic))?;
    match &dataset.object(id).shortname {
        Some(shortname) => Ok(shortname.to_string()),
        None => bail!("tactic {query} has no shortname"),
    }
}

fn list(dataset: &Dataset, args: &ListArgs, as_json: bool, out: &mut dyn Write) -> Result<()> {
    let Some(concept) = Concept::parse(&args.kind) else {
        let kinds: Vec<&str> = Concept::ALL.iter().map(|c| c.plural()).collect();
        bail!(
            "unknown kind `{}`: expected one of {}",
            args.kind,
            kinds.join(", ")
        );
    };
    let visibility = Visibility {
        include_revoked: args.include_revoked,
        include_deprecated: args.include_deprecated,
    };
    let mut ids = match &args.platform {
        Some(platform) => dataset.by_platform(&[concept], platform, visibility),
        None => dataset.list(concept, visibility),
    };
    if let Some(tactic) = &args.tactic {
        if !matches!(concept, Concept::Technique | Concept::Subtechnique) {
            bail!("--tactic applies to techniques and subtechniques only");
        }
        let shortname = resolve_tactic(dataset, tactic)?;
        let in_tactic = dataset.techniques_by_tactic(&shortname, visibility);
        ids.retain(|i| in_tactic.contains(i));
    }
    if concept == Concept::Tactic && args.platform.is_none() {
        let order = dataset.tactics_in_order();
        ids.sort_by_key(|t| order.iter().position(|o| o == t).unwrap_or(usize::MAX));
    }
    if as_json {
        let values: Vec<Value> = ids.iter().map(|&i| summary(dataset, i)).collect();
        return output::json(out, &Value::Array(values));
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
            row.push(status(dataset, id).to_string());
        }
        row.push(details.join(" · "));
        table.row(row);
    }
    table.write(out, output::width())?;
    writeln!(out, "{} {}", ids.len(), concept.plural())?;
    Ok(())
}

fn search(
    dataset: &Dataset,
    query: &str,
    visibility: Visibility,
    limit: usize,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let hits = dataset.search(query, visibility);
    let shown = &hits[..hits.len().min(limit)];
    if as_json {
        let values: Vec<Value> = shown
            .iter()
            .map(|h| {
                let mut value = summary(dataset, h.object);
                value["score"] = json!(h.score);
                value["matched"] = json!(h.matched);
                value
            })
            .collect();
        return output::json(out, &Value::Array(values));
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
    table.write(out, output::width())?;
    writeln!(out, "{} of {} matches shown", shown.len(), hits.len())?;
    Ok(())
}

/// One matrix column: a tactic and its techniques, each with its sub-techniques.
type Column = (ObjId, Vec<(ObjId, Vec<ObjId>)>);

fn matrix_columns(dataset: &Dataset, platform: Option<&str>, subtechniques: bool) -> Vec<Column> {
    let on_platform = |t: ObjId| {
        platform.is_none_or(|p| {
            dataset
                .object(t)
                .platforms
                .iter()
                .any(|q| q.eq_ignore_ascii_case(p))
        })
    };
    let by_name = |list: &mut Vec<ObjId>| {
        list.sort_by(|&a, &b| dataset.display_name(a).cmp(dataset.display_name(b)));
    };
    dataset
        .tactics_in_order()
        .into_iter()
        .map(|tactic| {
            let shortname = dataset.object(tactic).shortname.as_deref().unwrap_or("");
            let in_tactic = dataset.techniques_by_tactic(shortname, Visibility::LIVE);
            let mut techniques: Vec<ObjId> = in_tactic
                .iter()
                .copied()
                .filter(|&t| dataset.concept(t) == Some(Concept::Technique) && on_platform(t))
                .collect();
            by_name(&mut techniques);
            let rows = techniques
                .into_iter()
                .map(|t| {
                    let mut subs = Vec::new();
                    if subtechniques {
                        subs = dataset
                            .related(Relation::SubtechniquesOfTechnique, t)
                            .into_iter()
                            .filter(|s| in_tactic.contains(s) && on_platform(*s))
                            .collect();
                        by_name(&mut subs);
                    }
                    (t, subs)
                })
                .collect();
            (tactic, rows)
        })
        .collect()
}

fn matrix(
    dataset: &Dataset,
    platform: Option<&str>,
    subtechniques: bool,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let columns = matrix_columns(dataset, platform, subtechniques);
    let entry = |id: ObjId| json!({"id": dataset.display_id(id), "name": dataset.display_name(id)});
    if as_json {
        let values: Vec<Value> = columns
            .iter()
            .map(|(tactic, rows)| {
                json!({
                    "tactic": {
                        "id": dataset.display_id(*tactic),
                        "name": dataset.display_name(*tactic),
                        "shortname": dataset.object(*tactic).shortname.as_deref(),
                    },
                    "techniques": rows.iter().map(|(t, subs)| {
                        let mut value = entry(*t);
                        if subtechniques {
                            value["subtechniques"] = subs.iter().map(|&s| entry(s)).collect();
                        }
                        value
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        return output::json(out, &Value::Array(values));
    }
    let width = output::width();
    let column_width = 22;
    let per_band = (width / (column_width + 1)).max(1);
    for band in columns.chunks(per_band) {
        let cells: Vec<Vec<String>> = band
            .iter()
            .map(|(_, rows)| {
                let mut cells = Vec::new();
                for (t, subs) in rows {
                    cells.push(output::truncate(dataset.display_name(*t), column_width));
                    for s in subs {
                        let name = format!(" ·{}", dataset.display_name(*s));
                        cells.push(output::truncate(&name, column_width));
                    }
                }
                cells
            })
            .collect();
        let header: Vec<String> = band
            .iter()
            .map(|(t, rows)| {
                output::truncate(
                    &format!("{} ({})", dataset.display_name(*t), rows.len()),
                    column_width,
                )
            })
            .collect();
        let line = |texts: &[String]| -> String {
            texts
                .iter()
                .map(|t| format!("{t:<column_width$}"))
                .collect::<Vec<_>>()
                .join(" ")
                .trim_end()
                .to_string()
        };
        writeln!(out, "{}", line(&header))?;
        writeln!(out, "{}", line(&vec!["─".repeat(column_width); band.len()]))?;
        let height = cells.iter().map(Vec::len).max().unwrap_or(0);
        for row in 0..height {
            let texts: Vec<String> = cells
                .iter()
                .map(|c| c.get(row).cloned().unwrap_or_default())
                .collect();
            writeln!(out, "{}", line(&texts))?;
        }
        writeln!(out)?;
    }
    let total: usize = columns.iter().map(|(_, rows)| rows.len()).sum();
    writeln!(
        out,
        "{} {}: {} tactics, {} technique cells{}",
        dataset.domain(),
        dataset.release(),
        columns.len(),
        total,
        platform.map(|p| format!(" on {p}")).unwrap_or_default()
    )?;
    Ok(())
}

fn stats(kb: &Kb, as_json: bool, out: &mut dyn Write) -> Result<()> {
    if as_json {
        let mut root: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
        for dataset in kb.datasets() {
            let mut types = serde_json::Map::new();
            for concept in Concept::ALL {
                types.insert(
                    concept.plural().to_string(),
                    json!({
                        "live": dataset.list(concept, Visibility::LIVE).len(),
                        "all": dataset.list(concept, Visibility::ALL).len(),
                    }),
                );
            }
            types.insert(
                "relationships".into(),
                json!({"all": dataset.links().len()}),
            );
            types.insert("objects".into(), json!({"all": dataset.objects().len()}));
            root.entry(dataset.domain().to_string())
                .or_default()
                .insert(dataset.release().to_string(), Value::Object(types));
        }
        return output::json(out, &serde_json::to_value(root)?);
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
    table.write(out, output::width().max(120))?;
    writeln!(out, "live objects (neither revoked nor deprecated) per type; Objects counts everything in the bundle")?;
    Ok(())
}

fn relation(
    dataset: &Dataset,
    name: &str,
    id: Option<&str>,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let relation = Relation::parse(name)?;
    let Some(query) = id else {
        let map = dataset.relation_map_named(relation);
        if as_json {
            return output::json(out, &serde_json::to_value(&map)?);
        }
        let mut table = Table::new(&["Source", "Related"]);
        for (source, related) in &map {
            table.row(vec![source.clone(), related.join(" ")]);
        }
        table.write(out, output::width())?;
        writeln!(out, "{} sources in {}", map.len(), relation.name())?;
        return Ok(());
    };
    let key_types = relation.key_types();
    let key = match dataset.lookup_where(query, |o| key_types.contains(&dataset.object(o).kind)) {
        Ok(key) => key,
        Err(error) => {
            if let Ok(other) = dataset.lookup(query) {
                return Err(attackdb_kb::Error::WrongKind {
                    id: dataset.display_id(other).to_string(),
                    actual: kind_name(dataset, other),
                    expected: key_types
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(" or "),
                    relation: relation.name().to_string(),
                }
                .into());
            }
            return Err(error.into());
        }
    };
    let mut related: Vec<String> = dataset
        .related(relation, key)
        .into_iter()
        .map(|r| dataset.display_id(r).to_string())
        .collect();
    related.sort();
    related.dedup();
    if as_json {
        return output::json(out, &json!(related));
    }
    let mut table = Table::new(&["ID", "Name"]);
    for r in dataset.related(relation, key) {
        table.row(vec![
            dataset.display_id(r).to_string(),
            dataset.display_name(r).to_string(),
        ]);
    }
    table.write(out, output::width())?;
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
