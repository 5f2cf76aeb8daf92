//! Command-line arguments (clap), parsed once into [`Cli`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// attackdb: the MITRE ATT&CK knowledge base, every domain and release, from the command line.
#[derive(Debug, Parser)]
#[command(name = "attackdb", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// ATT&CK STIX bundle file or folder (repeatable) [env: ATTACKDB_DATA, a path list]
    #[arg(long = "data", global = true, value_name = "PATH")]
    pub data: Vec<PathBuf>,
    /// Domain: enterprise, mobile, ics (`enterprise-attack` etc. also accepted) or all. One
    /// rule for the default: a question about one release reads the domain its input names (a
    /// layer's `domain`), else enterprise; commands over releases (`stats`, `diff`, `data`,
    /// `export excel`) cover every domain
    #[arg(long, global = true)]
    pub domain: Option<String>,
    /// Release X.Y or vX.Y (default: the newest loaded for the domain); `data fetch` also takes
    /// latest (its default) and all
    #[arg(long, global = true, value_name = "X.Y")]
    pub release: Option<String>,
    /// Print machine-readable JSON (stable, sorted)
    #[arg(long, global = true)]
    pub json: bool,
    /// Parse the bundles' JSON even where a prebuilt index exists, and write none
    #[arg(long, global = true)]
    pub no_index: bool,
    /// List every load diagnostic on stderr (repeated IDs, dangling relationships, skipped
    /// bundles, sub-techniques without parent, unknown types and fields), not only the one-line
    /// summary of the problems
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show one object: by ATT&CK ID, STIX ID, name or alias
    Show {
        /// T1059.001, G0016, attack-pattern--..., "APT29", "Cozy Bear"...
        query: String,
        /// With --json: `{"object": ..., "related": ..., "detection": ...}` instead of the STIX
        /// object alone
        #[arg(long)]
        full: bool,
    },
    /// List objects of one kind
    List(ListArgs),
    /// Ranked search over names, aliases, IDs and descriptions
    Search {
        /// Words to look for
        #[arg(required = true)]
        words: Vec<String>,
        /// Include revoked objects
        #[arg(long)]
        include_revoked: bool,
        /// Include deprecated objects
        #[arg(long)]
        include_deprecated: bool,
        /// At most this many results
        #[arg(long, default_value_t = 25)]
        limit: usize,
    },
    /// The matrix: tactic columns in matrix order, as wide as the terminal (or COLUMNS)
    Matrix {
        /// Only techniques of this platform
        #[arg(long)]
        platform: Option<String>,
        /// Show sub-techniques under their techniques
        #[arg(long)]
        subtechniques: bool,
        /// Show each tactic's, technique's and sub-technique's ATT&CK ID before its name
        #[arg(long)]
        ids: bool,
    },
    /// Object counts per type, domain and release
    Stats,
    /// ATT&CK Navigator layers: validate, upgrade, generate, combine, export
    Layer {
        #[command(subcommand)]
        command: crate::cmd::LayerCommand,
    },
    /// Export the knowledge base of a release: `export excel -o DIR`
    Export {
        #[command(subcommand)]
        command: crate::cmd::ExportCommand,
    },
    /// What changed between two releases (diff_stix's categories), as md, html, json or layers
    Diff {
        /// The old release, X.Y
        #[arg(long, value_name = "X.Y")]
        from: String,
        /// The new release, X.Y
        #[arg(long, value_name = "X.Y")]
        to: String,
        /// Output format (default md; json with --json)
        #[arg(long, value_enum)]
        format: Option<crate::cmd::DiffFormat>,
        /// Write to this file (a folder for layers of several domains) instead of stdout
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        output: Option<PathBuf>,
    },
    /// Detection coverage of rule files (Sigma, Splunk, Elastic, CSV, layers): table, JSON,
    /// layer, report, gaps for groups
    Coverage(crate::cmd::CoverageArgs),
    /// The techniques your data sources let you see (data components, log sources, a DeTT&CT
    /// data-source file), per source and tactic
    Visibility(crate::cmd::VisibilityArgs),
    /// Carry layers (and rule mappings) to another ATT&CK release
    Migrate {
        #[command(subcommand)]
        command: crate::cmd::MigrateCommand,
    },
    /// One relationship family, for scripts: `relation NAME [ID]`
    #[command(after_help = relation_families())]
    Relation {
        /// The family, e.g. techniques_used_by_group (all are listed below)
        name: String,
        /// The source object; without it, the whole map
        id: Option<String>,
        /// Only the object's own relationships, not those inherited through its campaigns
        /// (APT29's own 66 techniques on enterprise 18.1, beside the 119 with its campaigns');
        /// the same answer for families without campaign inheritance
        #[arg(long)]
        direct: bool,
    },
    /// A threat report (text, Markdown, HTML) to the ATT&CK techniques it describes, with the
    /// sentences and procedure examples behind each: suggestions for an analyst to review
    Map(crate::cmd::MapArgs),
    /// Threat intelligence and emulation: profile, similar, overlap, attribute, predict, emulate
    #[command(flatten)]
    Intel(crate::cmd::IntelCommand),
    /// Serve every loaded release over HTTP: the REST API (/api/v1), TAXII 2.1 (/taxii2/,
    /// /api/v21/), /healthz, /readyz, /metrics
    Serve(crate::cmd::ServeArgs),
    /// The team's workspace: users and tokens, saved layers, notes, assessments, the audit
    /// log, export and import (SQLite in the data home, or --database postgres://...)
    Workspace(crate::cmd::WorkspaceArgs),
    /// Get ATT&CK releases into the data home and see what it holds (needs no data)
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
}

/// `attackdb data`: the data home (`ATTACKDB_HOME`, default: the user data directory +
/// attackdb), where commands read releases from when there is no --data or ATTACKDB_DATA.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Every release of every domain in the index, marked where already held (--domain filters)
    Releases(IndexArgs),
    /// Download releases into the data home: --domain D|all (default all), --release
    /// X.Y|latest|all (default latest)
    Fetch(IndexArgs),
    /// Copy ATT&CK bundles from files or folders into the data home, checking each
    Import {
        /// Bundle files (.json, .json.gz) or folders of them, e.g. a copy of attack-stix-data
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Fetch every release newer than the newest held, per domain
    Update(IndexArgs),
    /// What the data home holds: releases, sizes, hashes, sources, where
    Status,
}

/// Where the release catalogue is.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Release catalogue (MITRE's index.json format): an http(s):// URL, a file:// URL or a
    /// path; a folder means its index.json. A local catalogue uses bundles found beside it
    #[arg(long, visible_alias = "catalogue", value_name = "URL|PATH", env = "ATTACKDB_INDEX", default_value = attackdb_data::DEFAULT_CATALOGUE)]
    pub index: String,
}

/// `attackdb list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// techniques, subtechniques, tactics, groups, software, mitigations, campaigns,
    /// datasources, datacomponents, detectionstrategies, analytics, assets or matrices
    pub kind: String,
    /// Only objects of this platform
    #[arg(long)]
    pub platform: Option<String>,
    /// Only techniques of this tactic (shortname, name or TA ID)
    #[arg(long)]
    pub tactic: Option<String>,
    /// Include revoked objects
    #[arg(long)]
    pub include_revoked: bool,
    /// Include deprecated objects
    #[arg(long)]
    pub include_deprecated: bool,
}

/// The families `relation` takes, for its `--help`.
fn relation_families() -> String {
    use attackdb_kb::Relation;
    let names = |families: &[Relation]| -> String {
        families
            .iter()
            .map(|r| {
                let mark = if r.inherits_from_campaigns() {
                    " (with campaigns; --direct for without)"
                } else {
                    ""
                };
                format!("  {}{mark}", r.name())
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "Families (mitreattack-python's get_all_* maps, answered as it answers them):\n{}\n\nattackdb's own, along the 18.x detection chain:\n{}",
        names(&Relation::LIBRARY),
        names(&Relation::CHAIN)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
