//! `attackdb data ...`: list the releases a catalogue offers, fetch or import them into the data
//! home, update it, and show what it holds, over `attackdb-data`. These commands need no ATT&CK
//! data to run.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use attackdb_data::{
    Catalogue, Fetcher, Held, Home, HttpConfig, Location, Origin, Report, Sources, Wanted,
};
use indicatif::HumanBytes;

use crate::cli::DataCommand;
use crate::options::Options;
use crate::render::{self, Table};

/// Runs one `attackdb data` command.
pub fn run(command: &DataCommand, options: &Options, out: &mut dyn Write) -> Result<()> {
    let home = options.settings.home()?;
    match command {
        DataCommand::Releases(args) => releases(home, options, &args.index, out),
        DataCommand::Fetch(args) => fetch(home, options, &args.index, out),
        DataCommand::Import { paths } => import(home, paths, options, out),
        DataCommand::Update(args) => update(home, options, &args.index, out),
        DataCommand::Status => status(home, options, out),
    }
}

fn fetcher(options: &Options) -> Result<Fetcher<'_>> {
    let config = HttpConfig::from_vars(|name| std::env::var_os(name))?;
    Ok(Fetcher::new(config, &options.progress))
}

/// Reads the catalogue `index` names, with a note for each entry skipped.
fn read_catalogue(fetcher: &Fetcher<'_>, index: &str) -> Result<Catalogue> {
    let catalogue = fetcher.read_catalogue(&Location::parse(index)?)?;
    for note in &catalogue.notes {
        crate::progress::say("note", &format!("{}: {note}", catalogue.location.display()));
    }
    Ok(catalogue)
}

fn releases(home: &Home, options: &Options, index: &str, out: &mut dyn Write) -> Result<()> {
    let domains = options.domains();
    let catalogue = read_catalogue(&fetcher(options)?, index)?;
    let held = home.held()?;
    let answer = attackdb_data::releases(&catalogue, &domains, &held);
    if options.json {
        return render::json(out, &answer);
    }
    let mut table = Table::new(&["DOMAIN", "RELEASE", "MODIFIED", "HELD"]);
    for o in &answer.releases {
        let mut mark = Vec::new();
        if o.held {
            mark.push("held");
        }
        if o.latest {
            mark.push("(latest)");
        }
        table.row(vec![
            o.domain.to_string(),
            o.release.to_string(),
            o.modified
                .as_deref()
                .map(|m| m.get(..10).unwrap_or(m))
                .unwrap_or_default()
                .to_string(),
            mark.join(" "),
        ]);
    }
    table.write(out, render::width())?;
    let count = answer.releases.iter().filter(|o| o.held).count();
    writeln!(
        out,
        "{} releases in {}; {count} held in {}",
        answer.releases.len(),
        catalogue.location.display(),
        home.root.display()
    )?;
    Ok(())
}

fn fetch(home: &Home, options: &Options, index: &str, out: &mut dyn Write) -> Result<()> {
    let wanted = Wanted::parse(options.release_text.as_deref())?;
    let fetcher = fetcher(options)?;
    let catalogue = read_catalogue(&fetcher, index)?;
    let chosen = catalogue.select(&options.domains(), options.domain.is_some(), &wanted)?;
    let report = attackdb_data::fetch(home, &fetcher, &catalogue, &chosen, &options.progress)?;
    finish(home, report, options.json, out)
}

fn update(home: &Home, options: &Options, index: &str, out: &mut dyn Write) -> Result<()> {
    let domains = options.domains();
    let held = home.held()?;
    let newest = attackdb_data::newest_held(&held);
    if newest.is_empty() {
        crate::progress::say("note", &format!("the data home {} holds no release yet; `attackdb data fetch` gets the newest of every domain",
            home.root.display()
        ));
    }
    if options.domain.is_some() {
        for domain in &domains {
            if !newest.contains_key(domain) {
                crate::progress::say("note", &format!("no {domain} release is held; `attackdb data fetch --domain {}` gets the newest",
                    domain
                ));
            }
        }
    }
    let fetcher = fetcher(options)?;
    let catalogue = read_catalogue(&fetcher, index)?;
    let chosen = catalogue.newer_than(&domains, &newest);
    let report = attackdb_data::fetch(home, &fetcher, &catalogue, &chosen, &options.progress)?;
    finish(home, report, options.json, out)
}

/// Prints the report of a fetch or update; fails when a release could not be fetched, after
/// the others were (a lone failure is reported as it is, the report only in JSON).
fn finish(home: &Home, mut report: Report, as_json: bool, out: &mut dyn Write) -> Result<()> {
    let Some(error) = report.take_error() else {
        return write_report(home, &report, "fetched", as_json, out);
    };
    if report.tried() > 1 || as_json {
        write_report(home, &report, "fetched", as_json, out)?;
        out.flush()?;
    }
    Err(error.into())
}

fn import(home: &Home, paths: &[PathBuf], options: &Options, out: &mut dyn Write) -> Result<()> {
    let mut files = Vec::new();
    for path in paths {
        files.extend(attackdb_stix::discover_bundles(path)?);
    }
    let report = attackdb_data::import(home, &fetcher(options)?, &files)?;
    write_report(home, &report, "imported", options.json, out)
}

fn write_report(
    home: &Home,
    report: &Report,
    verb: &str,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    if as_json {
        return render::json(out, report);
    }
    let added = report.added();
    let failed = report.failed.as_deref().unwrap_or_default();
    if added.is_empty() && report.already_held.is_empty() && failed.is_empty() {
        writeln!(
            out,
            "nothing to {}: no newer release",
            verb.trim_end_matches("ed")
        )?;
        return Ok(());
    }
    let mut table = Table::new(&["DOMAIN", "RELEASE", "SIZE", "STATUS"]);
    for h in added {
        table.row(vec![
            h.domain.to_string(),
            h.release.to_string(),
            HumanBytes(h.size).to_string(),
            verb.to_string(),
        ]);
    }
    for held in &report.already_held {
        table.row(vec![
            held.domain.to_string(),
            held.release.to_string(),
            String::new(),
            "already held".to_string(),
        ]);
    }
    for f in failed {
        table.row(vec![
            f.domain.to_string(),
            f.release.to_string(),
            String::new(),
            "FAILED (see above)".to_string(),
        ]);
    }
    table.write(out, render::width())?;
    writeln!(
        out,
        "{} {verb} into {}",
        added.len(),
        home.releases_dir().display()
    )?;
    Ok(())
}

fn status(home: &Home, options: &Options, out: &mut dyn Write) -> Result<()> {
    let held: Vec<Held> = match home.held() {
        Ok(held) => held,
        Err(error) => {
            crate::progress::say("warning", &error.to_string());
            Vec::new()
        }
    };
    let in_use = Sources::find(&options.data, &options.settings);
    let answer = attackdb_data::status(home, held, in_use);
    if options.json {
        return render::json(out, &answer);
    }
    writeln!(out, "data home: {} ({})", answer.home, answer.home_from)?;
    if answer.releases.is_empty() {
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
        for h in &answer.releases {
            let record = h.record.as_ref();
            table.row(vec![
                h.domain.to_string(),
                h.release.to_string(),
                HumanBytes(h.size).to_string(),
                record.map_or("?", |r| r.retrieved.as_str()).to_string(),
                record
                    .map_or("unrecorded", |r| r.sha256.get(..12).unwrap_or(&r.sha256))
                    .to_string(),
                record.map_or_else(|| h.path.display().to_string(), |r| r.source.clone()),
            ]);
        }
        writeln!(out)?;
        table.write(out, render::width())?;
        writeln!(
            out,
            "\n{} releases, {} in {}",
            answer.releases.len(),
            HumanBytes(answer.total_size),
            home.releases_dir().display()
        )?;
    }
    if let Some(sources) = &answer.in_use {
        if sources.origin != Origin::Home {
            writeln!(
                out,
                "note: commands read {} now, not the data home",
                sources.origin.name()
            )?;
        }
    }
    Ok(())
}
