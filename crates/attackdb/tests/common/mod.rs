//! Shared support for the binary's end-to-end tests: where the real data is.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The real releases (see `attackdb_testdata`); the data commands' tests also need MITRE's
/// `index.json` beside them.
pub fn data_dir() -> Option<PathBuf> {
    let dir = attackdb_testdata::data_dir()?;
    assert!(
        dir.join("index.json").is_file(),
        "{} has no index.json",
        dir.display()
    );
    Some(dir)
}

/// A data home for the tests (`ATTACKDB_HOME`), under the build's temporary folder: prebuilt
/// indexes of the shared releases, whose folders are read-only, go there and are reused by
/// later runs.
pub fn home() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("attackdb-home")
}

/// Runs `attackdb --data DATA ARGS...` with the tests' data home, without `ATTACKDB_DATA`, on
/// 100 columns.
pub fn attackdb(data: &Path, args: &[&str]) -> Output {
    attackdb_columns(data, args, 100)
}

/// [`attackdb`] on `columns` columns (`COLUMNS`).
pub fn attackdb_columns(data: &Path, args: &[&str], columns: usize) -> Output {
    attackdb_command(data, args, columns).output().unwrap()
}

/// [`attackdb`] run from the folder `cwd`, so relative paths in `args` are read from there.
#[allow(dead_code)]
pub fn attackdb_in(cwd: &Path, data: &Path, args: &[&str]) -> Output {
    attackdb_command(data, args, 100)
        .current_dir(cwd)
        .output()
        .unwrap()
}

/// The command [`attackdb`] runs, to spawn or wrap.
pub fn attackdb_command(data: &Path, args: &[&str], columns: usize) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_attackdb"));
    command
        .arg("--data")
        .arg(data)
        .args(args)
        .env("ATTACKDB_HOME", home())
        .env_remove("ATTACKDB_DATA")
        .env("COLUMNS", columns.to_string());
    command
}

/// `shared/` itself, with the releases and the corpora.
pub fn shared() -> Option<PathBuf> {
    attackdb_testdata::shared()
}
