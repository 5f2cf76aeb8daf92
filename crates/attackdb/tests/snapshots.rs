//! The output of the README's commands on the real releases, pinned byte for byte: `--json`
//! answers and human tables alike. A change in any of them is a change users' scripts see, so it
//! must be deliberate: run with `ATTACKDB_UPDATE_SNAPSHOTS=1` to rewrite the files under
//! `tests/snapshots/`, and list the change in the README.
//!
//! Each command runs in a fresh folder, naming the shared data as `shared/` and its output folder
//! as `out/`, and the tests' data home is written as `$HOME`, so the snapshots do not depend on
//! where the repository or the temporary folder is.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

/// One snapshot: its file name and the arguments after `--data shared/attack-stix-data`.
/// `$SHARED` in an argument is the shared folder and `$OUT` a fresh output folder.
const CASES: &[(&str, &[&str])] = &[
    ("show-T1059.001", &["show", "T1059.001"]),
    ("show-T1059.001.json", &["show", "T1059.001", "--json"]),
    ("show-G0016", &["show", "APT29"]),
    ("show-DET0103", &["show", "DET0103"]),
    ("show-DC0035", &["show", "DC0035"]),
    ("show-T0800-ics", &["--domain", "ics", "show", "T0800"]),
    ("list-tactics.json", &["list", "tactics", "--json"]),
    ("list-groups.json", &["list", "groups", "--json"]),
    (
        "list-techniques-credential-access-linux",
        &[
            "list",
            "techniques",
            "--tactic",
            "credential-access",
            "--platform",
            "Linux",
        ],
    ),
    (
        "list-techniques-credential-access-linux.json",
        &[
            "list",
            "techniques",
            "--tactic",
            "credential-access",
            "--platform",
            "Linux",
            "--json",
        ],
    ),
    (
        "list-mobile-groups-all",
        &[
            "--domain",
            "mobile",
            "list",
            "groups",
            "--include-revoked",
            "--include-deprecated",
        ],
    ),
    ("search-lsass", &["search", "lsass", "memory", "dump"]),
    (
        "search-lsass.json",
        &["search", "lsass", "memory", "dump", "--json"],
    ),
    ("matrix-ics", &["matrix", "--domain", "ics"]),
    ("matrix-ics.json", &["matrix", "--domain", "ics", "--json"]),
    ("matrix-ics-ids", &["matrix", "--domain", "ics", "--ids"]),
    (
        "matrix-macos-sub",
        &["matrix", "--platform", "macOS", "--subtechniques"],
    ),
    (
        "matrix-mobile-sub.json",
        &["--domain", "mobile", "matrix", "--subtechniques", "--json"],
    ),
    ("stats", &["stats"]),
    ("stats.json", &["stats", "--json"]),
    (
        "relation-G0016.json",
        &["relation", "techniques_used_by_group", "G0016", "--json"],
    ),
    (
        "relation-G0016",
        &["relation", "techniques_used_by_group", "G0016"],
    ),
    (
        "relation-ics-assets.json",
        &[
            "--domain",
            "ics",
            "relation",
            "assets_targeted_by_technique",
            "--json",
        ],
    ),
    (
        "relation-15.1-T1003",
        &[
            "--release",
            "15.1",
            "relation",
            "subtechniques_of_technique",
            "T1003",
        ],
    ),
    (
        "layer-validate-bear.json",
        &[
            "layer",
            "validate",
            "$SHARED/corpora/navigator-layers/layers/samples/Bear_APT.json",
            "--json",
        ],
    ),
    (
        "layer-validate-bear",
        &[
            "layer",
            "validate",
            "$SHARED/corpora/navigator-layers/layers/samples/Bear_APT.json",
        ],
    ),
    (
        "layer-upgrade-heatmap",
        &[
            "layer",
            "upgrade",
            "$SHARED/corpora/navigator-layers/layers/samples/heatmap_layer.json",
        ],
    ),
    (
        "layer-generate-apt29",
        &["layer", "generate", "--group", "APT29"],
    ),
    (
        "layer-generate-overview-linux",
        &[
            "layer",
            "generate",
            "--overview",
            "groups",
            "--platform",
            "Linux",
        ],
    ),
    (
        "layer-generate-ics-asset-overview",
        &[
            "--domain",
            "ics",
            "layer",
            "generate",
            "--overview",
            "assets",
        ],
    ),
    (
        "layer-export-bear-csv",
        &[
            "layer",
            "export",
            "$SHARED/corpora/navigator-layers/layers/samples/Bear_APT.json",
            "--format",
            "csv",
        ],
    ),
    (
        "layer-export-bear-md",
        &[
            "layer",
            "export",
            "$SHARED/corpora/navigator-layers/layers/samples/Bear_APT.json",
            "--format",
            "md",
        ],
    ),
    (
        "layer-export-bear-svg",
        &[
            "layer",
            "export",
            "$SHARED/corpora/navigator-layers/layers/samples/Bear_APT.json",
            "--format",
            "svg",
            "--subtechniques",
        ],
    ),
    (
        "visibility-components",
        &[
            "visibility",
            "DC0035",
            "Process Creation",
            "WinEventLog:Security",
        ],
    ),
    (
        "visibility-dettect.json",
        &[
            "visibility",
            "--log-sources",
            "$SHARED/corpora/dettect-samples/sample-data/data-sources-endpoints.yaml",
            "--json",
        ],
    ),
    (
        "coverage-sigma-visibility",
        &[
            "coverage",
            "$SHARED/corpora/sigma",
            "--visibility",
            "$SHARED/corpora/dettect-samples/sample-data/data-sources-endpoints.yaml",
        ],
    ),
    (
        "coverage-splunk",
        &["coverage", "$SHARED/corpora/splunk-security-content"],
    ),
    (
        "coverage-splunk.json",
        &[
            "coverage",
            "$SHARED/corpora/splunk-security-content",
            "--json",
        ],
    ),
    (
        "coverage-sigma-groups",
        &[
            "coverage",
            "$SHARED/corpora/sigma",
            "--groups",
            "G0016",
            "G0007",
            "--top",
            "10",
        ],
    ),
    (
        "coverage-sigma-apt29-software",
        &[
            "coverage",
            "$SHARED/corpora/sigma",
            "--groups",
            "G0016",
            "--with-software",
            "--top",
            "10",
        ],
    ),
    (
        "coverage-sigma-high.json",
        &[
            "coverage",
            "$SHARED/corpora/sigma",
            "--min-level",
            "high",
            "--status",
            "stable,test",
            "--platform",
            "Linux",
            "--json",
        ],
    ),
    (
        "diff-ics-17.1-18.1",
        &["diff", "--from", "17.1", "--to", "18.1", "--domain", "ics"],
    ),
    (
        "diff-ics-17.1-18.1.json",
        &[
            "diff", "--from", "17.1", "--to", "18.1", "--domain", "ics", "--json",
        ],
    ),
    (
        "diff-mobile-layer",
        &[
            "diff", "--from", "17.1", "--to", "18.1", "--domain", "mobile", "--format", "layer",
        ],
    ),
    (
        "migrate-layer-bear",
        &[
            "migrate",
            "layer",
            "$SHARED/corpora/navigator-layers/layers/samples/Bear_APT.json",
            "--to",
            "18.1",
            "-o",
            "$OUT/new.json",
        ],
    ),
    (
        "migrate-layer-bear.json",
        &[
            "migrate",
            "layer",
            "$SHARED/corpora/navigator-layers/layers/samples/Bear_APT.json",
            "--to",
            "18.1",
            "-o",
            "$OUT/new.json",
            "--json",
        ],
    ),
    (
        "migrate-rules-splunk-15.1.json",
        &[
            "migrate",
            "rules",
            "$SHARED/corpora/splunk-security-content",
            "--to",
            "15.1",
            "--json",
        ],
    ),
    (
        "migrate-rules-splunk-15.1",
        &[
            "migrate",
            "rules",
            "$SHARED/corpora/splunk-security-content",
            "--to",
            "15.1",
        ],
    ),
    (
        "data-releases.json",
        &[
            "data",
            "releases",
            "--index",
            "$SHARED/attack-stix-data/index.json",
            "--json",
        ],
    ),
    (
        "data-releases",
        &[
            "data",
            "releases",
            "--index",
            "$SHARED/attack-stix-data/index.json",
            "--domain",
            "ics",
        ],
    ),
];

fn snapshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// Runs one case and returns what it printed (stdout, then stderr after a marker line, and
/// the exit code), with machine-specific paths replaced.
fn run_case(shared: &Path, args: &[&str]) -> String {
    // The command runs in a fresh folder holding `shared` (a link to the shared data) and `out`
    // (for what it writes), and its arguments name files relative to it: what it prints, wrapped
    // at 100 columns, is then the same wherever the repository and the temporary folder are.
    let work = tempfile::tempdir().unwrap();
    let shared = std::fs::canonicalize(shared).unwrap();
    std::os::unix::fs::symlink(&shared, work.path().join("shared")).unwrap();
    std::fs::create_dir(work.path().join("out")).unwrap();
    let args: Vec<String> = args
        .iter()
        .map(|a| a.replace("$SHARED", "shared").replace("$OUT", "out"))
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let data = Path::new("shared/attack-stix-data");
    let home = common::home().display().to_string();
    let output = common::attackdb_in(work.path(), data, &args);
    let mut text = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !stderr.is_empty() {
        text.push_str("\n----- stderr -----\n");
        text.push_str(&stderr);
    }
    text.push_str(&format!(
        "\n----- exit {} -----\n",
        output.status.code().unwrap_or(-1)
    ));
    let work_text = work.path().display().to_string();
    text.replace(&work_text, ".")
        .replace(&home, "$HOME")
        .replace(&shared.display().to_string(), "shared")
}

#[test]
fn readme_commands_print_what_they_printed() {
    let Some(shared) = common::shared() else {
        return;
    };
    let update = std::env::var_os("ATTACKDB_UPDATE_SNAPSHOTS").is_some();
    let dir = snapshot_dir();
    let mut failures = Vec::new();
    for (name, args) in CASES {
        let got = run_case(&shared, args);
        let path = dir.join(format!("{name}.txt"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let Ok(want) = std::fs::read_to_string(&path) else {
            failures.push(format!("{name}: no snapshot at {}", path.display()));
            continue;
        };
        if got != want {
            let line = got
                .lines()
                .zip(want.lines())
                .position(|(g, w)| g != w)
                .unwrap_or_else(|| got.lines().count().min(want.lines().count()));
            failures.push(format!(
                "{name} (args {args:?}) differs from line {}:\n  want: {}\n  got:  {}",
                line + 1,
                want.lines().nth(line).unwrap_or("<end>"),
                got.lines().nth(line).unwrap_or("<end>"),
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} snapshots differ (ATTACKDB_UPDATE_SNAPSHOTS=1 rewrites them):\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}
