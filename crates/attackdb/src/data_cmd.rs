//! `attackdb data ...`: list the releases an index offers, fetch or import them into the data
//! home, update it, and show what it holds. These commands need no ATT&CK data to run.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use attackdb_kb::normalize_domain;
use indicatif::HumanBytes;
use serde_json::{json, Value};

use crate::cli::{DataCommand, Global};
use crate::data;
use crate::fetch::{Config, Fetcher, Index, Location, Offered};
use crate::home::{is_prerelease, release_key, Held, Home, HomeFrom, Pending};
use crate::output::{self, Table};

/// Runs one `attackdb data` command.
pub fn run(command: &DataCommand, global: &Global, out: &mut dyn Write) -> Result<()> {
    let home = Home::locate()?;
    match command {
        DataCommand::Releases(args) => releases(&home, global, &args.index, out),
        DataCommand::Fetch(args) => fetch(&home, global, &args.index, out),
        DataCommand::Import { paths } => import(&home, paths, global.json, out),
        DataCommand::Update(args) => update(&home, global, &args.index, out),
        DataCommand::Status => status(&home, global, out),
    }
}

/// Which releases of a domain `--release` asks for.
enum Wanted {
    Latest,
    All,
    One(String),
}

fn wanted(global: &Global) -> Result<Wanted> {
    match global.release.as_deref().map(str::trim) {
        None | Some("latest") => Ok(Wanted::Latest),
        Some("all") => Ok(Wanted::All),
        Some(text) => {
            let release = text.trim_start_matches('v');
            if !crate::home::is_release(release) {
                bail!("--release {text}: expected X.Y (e.g. 18.1), latest or all");
            }
            Ok(Wanted::One(release.to_string()))
        }
    }
}

/// The domains `--domain` names: every one when absent or `all`. The flag tells whether the
/// user named one.
fn domains(global: &Global) -> Result<(Vec<&'static str>, bool)> {
    match global.domain.as_deref().map(str::trim) {
        None | Some("all") => Ok((attackdb_stix::DOMAINS.to_vec(), false)),
        Some(name) => Ok((vec![normalize_domain(name)?], true)),
    }
}

fn fetcher() -> Result<Fetcher> {
    Ok(Fetcher::new(
        Config::from_env()?,
        std::io::stderr().is_terminal(),
    ))
}

fn read_index(fetcher: &Fetcher, index: &str) -> Result<Index> {
    let index = fetcher.read_index(&Location::parse(index)?)?;
    for note in &index.notes {
        eprintln!("note: {}: {note}", index.location.display());
    }
    Ok(index)
}

fn releases(home: &Home, global: &Global, index: &str, out: &mut dyn Write) -> Result<()> {
    let (domains, _) = domains(global)?;
    let index = read_index(&fetcher()?, index)?;
    let held = home.held()?;
    let offered: Vec<&Offered> = index
        .releases
        .iter()
        .filter(|o| domains.contains(&o.domain))
        .collect();
    let newest: BTreeMap<&str, &str> = domains
        .iter()
        .filter_map(|d| Some((*d, latest(&index, d)?.release.as_str())))
        .collect();
    if global.json {
        let list: Vec<Value> = offered
            .iter()
            .map(|o| {
                json!({
                    "domain": o.domain,
                    "release": o.release,
                    "modified": o.modified,
                    "url": o.location.display(),
                    "held": Home::find(&held, o.domain, &o.release).is_some(),
                    "latest": newest.get(o.domain) == Some(&o.release.as_str()),
                })
            })
            .collect();
        return output::json(
            out,
            &json!({ "index": index.location.display(), "releases": list }),
        );
    }
    let mut table = Table::new(&["DOMAIN", "RELEASE", "MODIFIED", "HELD"]);
    for o in &offered {
        let mut mark = Vec::new();
        if Home::find(&held, o.domain, &o.release).is_some() {
            mark.push("held");
        }
        if newest.get(o.domain) == Some(&o.release.as_str()) {
            mark.push("(latest)");
        }
        table.row(vec![
            o.domain.to_string(),
            o.release.clone(),
            o.modified
                .as_deref()
                .map(|m| m.get(..10).unwrap_or(m))
                .unwrap_or_default()
                .to_string(),
            mark.join(" "),
        ]);
    }
    table.write(out, output::width())?;
    let count = offered
        .iter()
        .filter(|o| Home::find(&held, o.domain, &o.release).is_some())
        .count();
    writeln!(
        out,
        "{} releases in {}; {count} held in {}",
        offered.len(),
        index.location.display(),
        home.root.display()
    )?;
    Ok(())
}

/// The newest release of `domain` in `index` that is not a pre-release (else the newest).
fn latest<'a>(index: &'a Index, domain: &str) -> Option<&'a Offered> {
    let mut of_domain = index.releases.iter().filter(|o| o.domain == domain);
    of_domain
        .clone()
        .rfind(|o| !is_prerelease(&o.release))
        .or_else(|| of_domain.next_back())
}

/// The releases of `index` that `domains` and `wanted` select. With a domain named, a release it
/// lacks is an error; across all domains, only a release none of them has is.
fn select<'a>(
    index: &'a Index,
    domains: &[&'static str],
    named: bool,
    wanted: &Wanted,
) -> Result<Vec<&'a Offered>> {
    let mut chosen = Vec::new();
    for domain in domains {
        let of_domain: Vec<&Offered> = index
            .releases
            .iter()
            .filter(|o| o.domain == *domain)
            .collect();
        if of_domain.is_empty() {
            if named {
                bail!(
                    "the index {} offers no {domain} release",
                    index.location.display()
                );
            }
            continue;
        }
        match wanted {
            Wanted::Latest => chosen.extend(latest(index, domain)),
            Wanted::All => chosen.extend(of_domain),
            Wanted::One(release) => match of_domain.iter().find(|o| &o.release == release) {
                Some(o) => chosen.push(*o),
                None if named => bail!(
                    "release {release} of {domain} is not in the index {} (newest: {}); `attackdb data releases` lists them",
                    index.location.display(),
                    latest(index, domain).map_or("", |o| o.release.as_str())
                ),
                None => {}
            },
        }
    }
    if chosen.is_empty() {
        match wanted {
            Wanted::One(release) => bail!(
                "no domain has release {release} in the index {}; `attackdb data releases` lists them",
                index.location.display()
            ),
            _ => bail!("the index {} offers no release", index.location.display()),
        }
    }
    Ok(chosen)
}

/// The outcome of fetching, updating or importing.
#[derive(Default)]
struct Report {
    added: Vec<Held>,
    already: Vec<(&'static str, String)>,
    /// Releases that could not be fetched, with why.
    failed: Vec<(&'static str, String, String)>,
    /// The first failure, to return once the others were tried.
    first_error: Option<anyhow::Error>,
}

fn fetch(home: &Home, global: &Global, index: &str, out: &mut dyn Write) -> Result<()> {
    let (domains, named) = domains(global)?;
    let wanted = wanted(global)?;
    let fetcher = fetcher()?;
    let index = read_index(&fetcher, index)?;
    let chosen = select(&index, &domains, named, &wanted)?;
    let report = get(home, &fetcher, &chosen)?;
    finish(home, report, &index, global.json, out)
}

/// Fetches every release in `chosen` not already held, one after another; each is whole and
/// recorded before the next starts.
fn get(home: &Home, fetcher: &Fetcher, chosen: &[&Offered]) -> Result<Report> {
    home.prepare()?;
    let held = home.held()?;
    let mut report = Report::default();
    for offered in chosen {
        if Home::find(&held, offered.domain, &offered.release).is_some() {
            report
                .already
                .push((offered.domain, offered.release.clone()));
            continue;
        }
        match fetcher.fetch_release(home, offered) {
            Ok(held) => report.added.push(held),
            Err(error) => {
                let message = format!("{error:#}");
                if chosen.len() > 1 {
                    eprintln!(
                        "warning: {} {} not fetched: {message}",
                        offered.domain, offered.release
                    );
                }
                report
                    .failed
                    .push((offered.domain, offered.release.clone(), message));
                report.first_error.get_or_insert(error);
            }
        }
    }
    Ok(report)
}

/// Prints the report of a fetch or update; fails when a release could not be fetched, after
/// the others were (a lone failure is reported as it is).
fn finish(
    home: &Home,
    mut report: Report,
    index: &Index,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let Some(error) = report.first_error.take() else {
        return write_report(home, &report, "fetched", Some(index), as_json, out);
    };
    let tried = report.added.len() + report.failed.len();
    if tried == 1 {
        if as_json {
            write_report(home, &report, "fetched", Some(index), as_json, out)?;
        }
        return Err(error);
    }
    write_report(home, &report, "fetched", Some(index), as_json, out)?;
    out.flush()?;
    Err(error.context(format!(
        "{} of {tried} releases could not be fetched (the others were); the first",
        report.failed.len()
    )))
}

fn update(home: &Home, global: &Global, index: &str, out: &mut dyn Write) -> Result<()> {
    let (domains, named) = domains(global)?;
    let held = home.held()?;
    // `held` is sorted, so the last of each domain is its newest.
    let mut newest: BTreeMap<&str, &str> = BTreeMap::new();
    for h in held.iter().filter(|h| !is_prerelease(&h.release)) {
        newest.insert(h.domain, &h.release);
    }
    if newest.is_empty() {
        eprintln!(
            "note: the data home {} holds no release yet; `attackdb data fetch` gets the newest of every domain",
            home.root.display()
        );
    }
    for domain in &domains {
        if named && !newest.contains_key(domain) {
            eprintln!(
                "note: no {domain} release is held; `attackdb data fetch --domain {domain}` gets the newest"
            );
        }
    }
    let fetcher = fetcher()?;
    let index = read_index(&fetcher, index)?;
    let chosen: Vec<&Offered> = index
        .releases
        .iter()
        .filter(|o| domains.contains(&o.domain) && !is_prerelease(&o.release))
        .filter(|o| {
            newest
                .get(o.domain)
                .is_some_and(|n| release_key(&o.release) > release_key(n))
        })
        .collect();
    let report = get(home, &fetcher, &chosen)?;
    finish(home, report, &index, global.json, out)
}

fn import(home: &Home, paths: &[PathBuf], as_json: bool, out: &mut dyn Write) -> Result<()> {
    let mut files = Vec::new();
    for path in paths {
        files.extend(attackdb_stix::discover_bundles(path)?);
    }
    home.prepare()?;
    let fetcher = fetcher()?;
    let held = home.held()?;
    let mut report = Report::default();
    // Every file is copied and checked before any is installed: one bad file imports nothing.
    let mut staged: Vec<Pending> = Vec::new();
    for file in &files {
        let pending = fetcher.stage_file(home, file).with_context(|| {
            format!(
                "nothing was imported; {} is not an ATT&CK release bundle",
                file.display()
            )
        })?;
        let seen = Home::find(&held, pending.domain, &pending.release).is_some()
            || staged
                .iter()
                .any(|p| p.domain == pending.domain && p.release == pending.release);
        if seen {
            report.already.push((pending.domain, pending.release));
        } else {
            staged.push(pending);
        }
    }
    for pending in staged {
        report.added.push(home.install(pending)?);
    }
    write_report(home, &report, "imported", None, as_json, out)
}

fn write_report(
    home: &Home,
    report: &Report,
    verb: &str,
    index: Option<&Index>,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let mut added: Vec<&Held> = report.added.iter().collect();
    added.sort_by(|a, b| {
        (a.domain, release_key(&a.release)).cmp(&(b.domain, release_key(&b.release)))
    });
    let mut already = report.already.clone();
    already.sort_by(|a, b| (a.0, release_key(&a.1)).cmp(&(b.0, release_key(&b.1))));
    if as_json {
        let mut value = json!({
            "home": home.root.display().to_string(),
            "already_held": already
                .iter()
                .map(|(d, r)| json!({ "domain": d, "release": r }))
                .collect::<Vec<_>>(),
        });
        value[verb] = added.iter().map(|h| h.to_json()).collect();
        if verb == "fetched" {
            value["failed"] = report
                .failed
                .iter()
                .map(|(domain, release, error)| {
                    json!({ "domain": domain, "release": release, "error": error })
                })
                .collect();
        }
        if let Some(index) = index {
            value["index"] = json!(index.location.display());
        }
        return output::json(out, &value);
    }
    if added.is_empty() && already.is_empty() && report.failed.is_empty() {
        writeln!(
            out,
            "nothing to {}: no newer release",
            verb.trim_end_matches("ed")
        )?;
        return Ok(());
    }
    let mut table = Table::new(&["DOMAIN", "RELEASE", "SIZE", "STATUS"]);
    for h in &added {
        table.row(vec![
            h.domain.to_string(),
            h.release.clone(),
            HumanBytes(h.size).to_string(),
            verb.to_string(),
        ]);
    }
    for (domain, release) in &already {
        table.row(vec![
            domain.to_string(),
            release.clone(),
            String::new(),
            "already held".to_string(),
        ]);
    }
    for (domain, release, _) in &report.failed {
        table.row(vec![
            domain.to_string(),
            release.clone(),
            String::new(),
            "FAILED (see above)".to_string(),
        ]);
    }
    table.write(out, output::width())?;
    writeln!(
        out,
        "{} {verb} into {}",
        added.len(),
        home.releases_dir().display()
    )?;
    Ok(())
}

fn status(home: &Home, global: &Global, out: &mut dyn Write) -> Result<()> {
    let held = match home.held() {
        Ok(held) => held,
        Err(error) => {
            eprintln!("warning: {error:#}");
            Vec::new()
        }
    };
    let total: u64 = held.iter().map(|h| h.size).sum();
    let from = match home.from {
        HomeFrom::Env => "ATTACKDB_HOME",
        HomeFrom::Default => "default",
    };
    let in_use = data::source(&global.data);
    if global.json {
        let in_use = in_use.map(|(source, paths)| {
            json!({
                "from": source.name(),
                "paths": paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            })
        });
        return output::json(
            out,
            &json!({
                "home": home.root.display().to_string(),
                "home_from": from,
                "releases": held.iter().map(Held::to_json).collect::<Vec<_>>(),
                "total_size": total,
                "in_use": in_use,
            }),
        );
    }
    writeln!(out, "data home: {} ({from})", home.root.display())?;
    if held.is_empty() {
        writeln!(
            out,
            "it holds no release; `attackdb data fetch` downloads the newest of every domain"
        )?;
    } else {
        let mut table = Table::new(&[
            "DOMAIN",
            "RELEASE",
            "SIZE",
            "RETRIEVED",
            "SHA-256",
            "SOURCE",
        ]);
        for h in &held {
            let record = h.record.as_ref();
            table.row(vec![
                h.domain.to_string(),
                h.release.clone(),
                HumanBytes(h.size).to_string(),
                record.map_or("?", |r| r.retrieved.as_str()).to_string(),
                record
                    .map_or("unrecorded", |r| r.sha256.get(..12).unwrap_or(&r.sha256))
                    .to_string(),
                record.map_or_else(|| h.path.display().to_string(), |r| r.source.clone()),
            ]);
        }
        writeln!(out)?;
        table.write(out, output::width())?;
        writeln!(
            out,
            "\n{} releases, {} in {}",
            held.len(),
            HumanBytes(total),
            home.releases_dir().display()
        )?;
    }
    match in_use {
        Some((source, _)) if source != data::Source::Home => writeln!(
            out,
            "note: commands read {} now, not the data home",
            source.name()
        )?,
        _ => {}
    }
    Ok(())
}
