//! `attackdb workspace`: the team's workspace from the command line: users and their tokens,
//! saved layers, notes, assessments, the audit log, export and import. The CLI acts as the
//! machine's own admin (`local`): whoever can open the database may.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use attackdb_workspace::{Actor, Export, LayerQuery, NewLayer, Role, Workspace};
use clap::{Args, Subcommand};

use crate::options::Options;
use crate::render::{self, Table};

/// Where the workspace is.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArg {
    /// The workspace's database: postgres://USER:PASS@HOST/DB, or a SQLite file (default:
    /// workspace.db in the data home)
    #[arg(long, env = "ATTACKDB_DATABASE", value_name = "URL", global = true)]
    pub database: Option<String>,
}

/// `attackdb workspace`.
#[derive(Debug, Args)]
pub struct WorkspaceArgs {
    #[command(flatten)]
    pub database: DatabaseArg,
    #[command(subcommand)]
    pub command: WorkspaceCommand,
}

/// The workspace's commands.
#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Where the workspace is, its schema version, and what it holds
    Status,
    /// Users: add, list, remove, and issue tokens
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Saved layers: save a layer file, list them, show one (or a revision)
    Layer {
        #[command(subcommand)]
        command: LayerCommand,
    },
    /// Notes on ATT&CK objects
    Notes {
        /// Only the notes on this ATT&CK ID
        object: Option<String>,
    },
    /// Saved assessments (`attackdb coverage ... --save NAME` saves one)
    Assessments {
        /// Only the assessments of this name
        name: Option<String>,
    },
    /// Compare two assessments: techniques gained and lost, per tactic
    Compare {
        /// The older assessment's ID
        from: i64,
        /// The newer assessment's ID
        to: i64,
    },
    /// Each tactic's coverage over the assessments of one name
    Trend {
        /// The assessments' name (as `coverage --save NAME` gave it)
        name: String,
    },
    /// The audit log, newest first
    Audit {
        /// At most this many entries
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Write the whole workspace (users without tokens) to FILE
    Export {
        /// The export file (JSON)
        file: PathBuf,
    },
    /// Fill an empty workspace from an export
    Import {
        /// An export file
        file: PathBuf,
    },
}

/// `attackdb workspace user`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user
    Add {
        /// The user's name
        name: String,
        /// viewer (reads), editor (also changes layers, notes, assessments) or admin
        #[arg(long, default_value = "editor")]
        role: String,
    },
    /// Every user and their tokens (never the secrets)
    List,
    /// Remove a user and their tokens
    Remove {
        /// The user's name
        name: String,
    },
    /// Issue a token for a user: shown once, kept only as a hash
    Token {
        /// The user's name
        name: String,
        /// What the token is for
        #[arg(long, default_value = "")]
        label: String,
    },
}

/// `attackdb workspace layer`.
#[derive(Debug, Subcommand)]
pub enum LayerCommand {
    /// Save a layer file as a new saved layer
    Save {
        /// A Navigator layer file
        file: PathBuf,
        /// Its name (default: the layer's own)
        #[arg(long)]
        name: Option<String>,
        /// Tags, comma-separated
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
    },
    /// Saved layers, newest change first
    List {
        /// Words the name or a tag contains
        #[arg(long)]
        search: Option<String>,
        /// Only layers with this tag
        #[arg(long)]
        tag: Option<String>,
    },
    /// One saved layer's newest revision (or --revision N), as the Navigator opens it
    Show {
        /// The layer's ID
        id: i64,
        /// A revision
        #[arg(long)]
        revision: Option<i64>,
    },
}

/// The workspace `database` names, else the data home's SQLite file.
pub fn database_url(database: &DatabaseArg, options: &Options) -> Result<String> {
    match &database.database {
        Some(url) if !url.trim().is_empty() => Ok(url.trim().to_string()),
        _ => {
            let home = options.settings.home()?;
            let path = home.workspace_path();
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot make the data home {}", dir.display()))?;
            }
            Ok(format!("sqlite:{}", path.display()))
        }
    }
}

/// Opens the workspace on `runtime`.
pub fn open(runtime: &tokio::runtime::Runtime, url: &str) -> Result<Workspace> {
    runtime.block_on(Workspace::open(url)).with_context(|| {
        format!(
            "cannot open the workspace {}",
            attackdb_workspace::redact(url)
        )
    })
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the workspace's runtime")
}

/// Runs `attackdb workspace ...`.
pub fn run(args: &WorkspaceArgs, options: &Options, out: &mut dyn Write) -> Result<()> {
    let runtime = runtime()?;
    let url = database_url(&args.database, options)?;
    let ws = open(&runtime, &url)?;
    let me = Actor::local();
    let json = options.json;
    let width = render::width();
    runtime.block_on(async {
        match &args.command {
            WorkspaceCommand::Status => {
                let status = serde_json::json!({
                    "backend": ws.backend().as_str(),
                    "location": ws.location(),
                    "schema": ws.schema_version().await?,
                    "users": ws.users(&me).await?.len(),
                    "layers": ws.layers(&LayerQuery::default()).await?.len(),
                    "notes": ws.notes(None).await?.len(),
                    "assessments": ws.assessments(None).await?.len(),
                });
                if json {
                    render::json(out, &status)?;
                } else {
                    let mut table = Table::new(&["", ""]);
                    for key in [
                        "backend",
                        "location",
                        "schema",
                        "users",
                        "layers",
                        "notes",
                        "assessments",
                    ] {
                        let value = &status[key];
                        table.row(vec![
                            key.to_string(),
                            value
                                .as_str()
                                .map_or_else(|| value.to_string(), str::to_string),
                        ]);
                    }
                    table.write(out, width)?;
                }
            }
            WorkspaceCommand::User { command } => user(&ws, &me, command, json, width, out).await?,
            WorkspaceCommand::Layer { command } => {
                layer(&ws, &me, command, json, width, out).await?
            }
            WorkspaceCommand::Notes { object } => {
                let notes = ws.notes(object.as_deref()).await?;
                if json {
                    render::json(out, &notes)?;
                } else {
                    let mut table = Table::new(&["ID", "OBJECT", "AUTHOR", "UPDATED", "NOTE"]);
                    for n in &notes {
                        table.row(vec![
                            n.id.to_string(),
                            n.object.clone(),
                            n.author.clone(),
                            n.updated_at.clone(),
                            n.body.replace('\n', " "),
                        ]);
                    }
                    table.write(out, width)?;
                }
            }
            WorkspaceCommand::Assessments { name } => {
                let list = ws.assessments(name.as_deref()).await?;
                if json {
                    render::json(out, &list)?;
                } else {
                    let mut table = Table::new(&[
                        "ID", "NAME", "TAKEN", "RELEASE", "COVERED", "PERCENT", "RULE SET",
                    ]);
                    for a in &list {
                        table.row(vec![
                            a.id.to_string(),
                            a.name.clone(),
                            a.taken_at.clone(),
                            format!("{} {}", a.domain, a.release),
                            format!("{} of {}", a.covered, a.total),
                            format!("{:.2}%", a.percent),
                            a.rule_set.clone(),
                        ]);
                    }
                    table.write(out, width)?;
                }
            }
            WorkspaceCommand::Compare { from, to } => {
                let (a, b) = (ws.assessment(*from).await?, ws.assessment(*to).await?);
                let comparison = attackdb_workspace::compare_assessments(&a, &b);
                if json {
                    render::json(out, &comparison)?;
                } else {
                    writeln!(
                        out,
                        "{} {} ({:.2}%) -> {} {} ({:.2}%): {} gained, {} lost",
                        a.summary.id,
                        a.summary.taken_at,
                        a.summary.percent,
                        b.summary.id,
                        b.summary.taken_at,
                        b.summary.percent,
                        comparison.gained.len(),
                        comparison.lost.len()
                    )?;
                    let mut table = Table::new(&["TACTIC", "COVERED", "PERCENT", "GAINED", "LOST"]);
                    for t in &comparison.tactics {
                        table.row(vec![
                            t.name.clone(),
                            format!("{} -> {}", t.from_covered, t.to_covered),
                            format!("{:.2} -> {:.2}", t.from_percent, t.to_percent),
                            t.gained.join(", "),
                            t.lost.join(", "),
                        ]);
                    }
                    table.write(out, width)?;
                }
            }
            WorkspaceCommand::Trend { name } => {
                let trend = ws.trend(name).await?;
                if json {
                    render::json(out, &trend)?;
                } else {
                    let mut headers = vec!["TACTIC".to_string()];
                    headers.extend(trend.points.iter().map(|p| {
                        format!("{} {}", p.taken_at.get(..10).unwrap_or(&p.taken_at), p.id)
                    }));
                    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
                    let mut table = Table::new(&headers);
                    let mut all = vec!["All".to_string()];
                    all.extend(trend.points.iter().map(|p| format!("{:.2}%", p.percent)));
                    table.row(all);
                    for series in &trend.tactics {
                        let mut row = vec![series.name.clone()];
                        row.extend(
                            series
                                .percent
                                .iter()
                                .map(|p| p.map_or_else(|| "-".to_string(), |p| format!("{p:.2}%"))),
                        );
                        table.row(row);
                    }
                    table.write(out, width)?;
                }
            }
            WorkspaceCommand::Audit { limit } => {
                let entries = ws.audit(&me, *limit, None).await?;
                if json {
                    render::json(out, &entries)?;
                } else {
                    let mut table = Table::new(&["ID", "AT", "WHO", "ACTION", "TARGET", "DETAIL"]);
                    for e in &entries {
                        table.row(vec![
                            e.id.to_string(),
                            e.at.clone(),
                            e.actor.clone(),
                            e.action.clone(),
                            format!("{} {}", e.target_kind, e.target_id),
                            e.detail.clone(),
                        ]);
                    }
                    table.write(out, width)?;
                }
            }
            WorkspaceCommand::Export { file } => {
                let export = ws.export(&me).await?;
                let text = serde_json::to_string_pretty(&export)?;
                write_new(file, &text)?;
                let rows: usize = export
                    .tables
                    .values()
                    .filter_map(|t| t["rows"].as_array().map(Vec::len))
                    .sum();
                if json {
                    render::json(
                        out,
                        &serde_json::json!({"file": file.display().to_string(), "rows": rows}),
                    )?;
                } else {
                    writeln!(out, "wrote {rows} rows to {}", file.display())?;
                }
            }
            WorkspaceCommand::Import { file } => {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let export: Export = serde_json::from_str(&text)
                    .with_context(|| format!("{}: not a workspace export", file.display()))?;
                ws.import(&me, &export).await?;
                if json {
                    render::json(
                        out,
                        &serde_json::json!({"file": file.display().to_string(), "imported": true}),
                    )?;
                } else {
                    writeln!(out, "imported {} into {}", file.display(), ws.location())?;
                }
            }
        }
        Ok::<(), anyhow::Error>(())
    })
}

/// Writes `text` to `path` through a temporary file beside it, so a reader never sees half.
fn write_new(path: &Path, text: &str) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    file.write_all(text.as_bytes())?;
    file.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

async fn user(
    ws: &Workspace,
    me: &Actor,
    command: &UserCommand,
    json: bool,
    width: usize,
    out: &mut dyn Write,
) -> Result<()> {
    match command {
        UserCommand::Add { name, role } => {
            let user = ws.add_user(me, name, Role::parse(role)?).await?;
            if json {
                render::json(out, &user)?;
            } else {
                writeln!(
                    out,
                    "added {} ({}); issue a token with: attackdb workspace user token {}",
                    user.name,
                    user.role.as_str(),
                    user.name
                )?;
            }
        }
        UserCommand::List => {
            let users = ws.users(me).await?;
            if json {
                render::json(out, &users)?;
            } else {
                let mut table = Table::new(&["NAME", "ROLE", "ADDED", "BY", "TOKENS"]);
                for u in &users {
                    let tokens: Vec<String> = u
                        .tokens
                        .iter()
                        .map(|t| format!("{}… ({})", t.prefix, t.label))
                        .collect();
                    table.row(vec![
                        u.name.clone(),
                        u.role.as_str().to_string(),
                        u.created_at.clone(),
                        u.created_by.clone(),
                        tokens.join(", "),
                    ]);
                }
                table.write(out, width)?;
            }
        }
        UserCommand::Remove { name } => {
            ws.remove_user(me, name).await?;
            if json {
                render::json(out, &serde_json::json!({"removed": name}))?;
            } else {
                writeln!(out, "removed {name} and their tokens")?;
            }
        }
        UserCommand::Token { name, label } => {
            let issued = ws.issue_token(me, name, label).await?;
            if json {
                render::json(out, &issued)?;
            } else {
                writeln!(out, "{}", issued.secret)?;
                crate::progress::say(
                    "note",
                    &format!(
                        "this token of {} is shown once: only its hash is kept",
                        issued.user
                    ),
                );
            }
        }
    }
    Ok(())
}

async fn layer(
    ws: &Workspace,
    me: &Actor,
    command: &LayerCommand,
    json: bool,
    width: usize,
    out: &mut dyn Write,
) -> Result<()> {
    match command {
        LayerCommand::Save { file, name, tags } => {
            let body = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let saved = ws
                .save_layer(
                    me,
                    &NewLayer {
                        body,
                        name: name.clone(),
                        release: None,
                        tags: Some(tags.clone()),
                    },
                )
                .await
                .with_context(|| format!("{}: not saved", file.display()))?;
            if json {
                render::json(out, &saved)?;
            } else {
                writeln!(
                    out,
                    "saved layer {} ({}, {} techniques): {}",
                    saved.summary.id,
                    saved.summary.name,
                    saved.summary.techniques,
                    saved.summary.url
                )?;
            }
        }
        LayerCommand::List { search, tag } => {
            let layers = ws
                .layers(&LayerQuery {
                    text: search.clone(),
                    tag: tag.clone(),
                    ..LayerQuery::default()
                })
                .await?;
            if json {
                render::json(out, &layers)?;
            } else {
                let mut table = Table::new(&[
                    "ID",
                    "NAME",
                    "DOMAIN",
                    "VERSION",
                    "TECHNIQUES",
                    "UPDATED",
                    "BY",
                    "TAGS",
                ]);
                for l in &layers {
                    table.row(vec![
                        l.id.to_string(),
                        l.name.clone(),
                        l.domain.clone(),
                        l.version.to_string(),
                        l.techniques.to_string(),
                        l.updated_at.clone(),
                        l.updated_by.clone(),
                        l.tags.join(", "),
                    ]);
                }
                table.write(out, width)?;
            }
        }
        LayerCommand::Show { id, revision } => {
            let layer = match revision {
                Some(r) => ws.revision(*id, *r).await?.layer,
                None => ws.layer(*id).await?.layer,
            };
            // The layer itself, as the Navigator opens it, whether or not --json is given.
            let _ = json;
            render::json(out, &layer)?;
        }
    }
    Ok(())
}

/// Saves `analysis` as the assessment `name` (`attackdb coverage ... --save NAME`).
pub fn save_assessment(
    database: &DatabaseArg,
    options: &Options,
    name: &str,
    rule_set: &str,
    analysis: &attackdb_coverage::Analysis<'_>,
) -> Result<attackdb_workspace::Assessment> {
    if name.trim().is_empty() {
        bail!("--save needs a name");
    }
    let runtime = runtime()?;
    let url = database_url(database, options)?;
    let ws = open(&runtime, &url)?;
    let new = attackdb_workspace::assessment_from_coverage(name, rule_set, analysis);
    runtime
        .block_on(ws.save_assessment(&Actor::local(), &new))
        .context("the assessment was not saved")
}
