//! `attackdb serve`: every release the data options name, loaded once and served over HTTP by
//! `attackdb-server` until Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use attackdb_data::Need;
use attackdb_server::{router, serve, shutdown_signal, AppState, Config};
use clap::Args;

use crate::options::Options;

/// `attackdb serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
    /// File of read-only bearer tokens, one per line (`#` comments); without it, no token is
    /// needed
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Allow this origin to call the API from a browser (repeatable; `*` for any), e.g. the
    /// Navigator's
    #[arg(long, value_name = "ORIGIN")]
    pub cors: Vec<String>,
    /// Largest request body accepted (layers, rule uploads), in MiB
    #[arg(long, default_value_t = 32, value_name = "MIB")]
    pub max_body: usize,
    /// Largest TAXII page served (`limit`)
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_page: usize,
    /// Time limit of each request, in seconds
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
    /// Folder (or file) of detection rules whose coverage the web UI's coverage page shows
    /// (repeatable; Sigma, Splunk, Elastic, CSV or layers, as `attackdb coverage` reads them)
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Atomic Red Team checkout (or its `atomics/` folder) for `/api/v1/emulate/{ref}`
    #[arg(long, value_name = "DIR")]
    pub atomics: Option<PathBuf>,
    /// Do not log every request on standard error
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub database: crate::cmd::workspace::DatabaseArg,
    /// Keep no workspace (no saved layers, notes or assessments)
    #[arg(long, conflicts_with = "database")]
    pub no_workspace: bool,
}

fn read_tokens(path: &PathBuf) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the token file {}", path.display()))?;
    let tokens: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    if tokens.is_empty() {
        bail!("{}: no token in the file", path.display());
    }
    Ok(tokens)
}

/// Runs the server until it is told to stop.
pub fn run(args: &ServeArgs, options: &Options, out: &mut dyn Write) -> Result<()> {
    let tokens = match &args.token_file {
        Some(path) => read_tokens(path)?,
        None => Vec::new(),
    };
    let need = match options.domain {
        Some(domain) => Need::Domains(vec![domain]),
        None => Need::Everything,
    };
    let kb = options.open(&need)?;
    if kb.datasets().is_empty() {
        bail!("no ATT&CK release found in the data given; nothing to serve");
    }
    let loopback = args.listen.ip().is_loopback();
    let config = Config {
        max_body: args.max_body.saturating_mul(1 << 20),
        max_page: args.max_page.max(1),
        timeout: Duration::from_secs(args.timeout.max(1)),
        cors_origins: args.cors.clone(),
        tokens,
        atomics: args.atomics.clone(),
        model_dir: options
            .use_index
            .then(|| options.settings.home.as_ref().map(|h| h.root.join("index")))
            .flatten(),
        loopback,
    };
    if !args.quiet {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_target(false)
            .try_init();
    }
    if let Some(dir) = &args.atomics {
        if !dir.is_dir() {
            bail!("--atomics {}: not a folder", dir.display());
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    let mut state = AppState::from_static(kb, config);
    let mut workspace_line = String::from("no workspace (--no-workspace)");
    if !args.no_workspace {
        let url = crate::cmd::workspace::database_url(&args.database, options)?;
        let ws = crate::cmd::workspace::open(&runtime, &url)?;
        let users = runtime.block_on(ws.has_users())?;
        if !users && !loopback {
            bail!(
                "the workspace {} has no users, and {} is not a loopback address: anyone could change it. \
                 Add an admin first (attackdb workspace user add NAME --role admin), or serve with --no-workspace",
                ws.location(),
                args.listen
            );
        }
        workspace_line = format!(
            "workspace: {} ({}){}",
            ws.location(),
            ws.backend().as_str(),
            if users {
                ", users sign in"
            } else {
                ", no users: open to this machine only"
            }
        );
        state = state.with_workspace(ws);
    }
    // The changes page's default diffs are made while the server starts answering.
    let warming = state.clone();
    std::thread::spawn(move || {
        if let Ok(site) = warming.site() {
            site.warm_changes();
        }
    });
    let mut kept = Vec::new();
    if !args.rules.is_empty() {
        let site = state.site().context("the web UI could not start")?;
        for folder in &args.rules {
            let id = site
                .add_rules_folder(folder.clone())
                .with_context(|| format!("cannot read the rules in {}", folder.display()))?;
            kept.push(format!("/coverage/{id} ({})", folder.display()));
        }
    }
    let releases: Vec<String> = kb
        .datasets()
        .iter()
        .map(|d| format!("{} {}", d.domain(), d.release()))
        .collect();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener.local_addr().unwrap_or(args.listen);
        writeln!(
            out,
            "serving {} releases on http://{address}/ (web UI /, REST /api/v1, TAXII /taxii2/): {}",
            releases.len(),
            releases.join(", ")
        )?;
        writeln!(out, "{workspace_line}")?;
        for line in &kept {
            writeln!(out, "coverage of rules: http://{address}{line}")?;
        }
        out.flush()?;
        serve(listener, router(state), shutdown_signal())
            .await
            .context("the server stopped")?;
        Ok::<(), anyhow::Error>(())
    })
}
