//! Atomic Red Team tests read from a checkout's `atomics/T*/T*.yaml` files: every test with its
//! platforms, executor, command, clean-up command, input arguments and dependencies. A file that
//! cannot be read or parsed is reported (path and one-line reason) and the others are used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Every atomic test of a folder, by technique.
#[derive(Debug, Clone, Default)]
pub struct AtomicIndex {
    /// The folder read (the one holding the `T*` folders).
    pub root: PathBuf,
    /// Tests by technique ID (upper case), in file order.
    pub tests: BTreeMap<String, Vec<AtomicTest>>,
    /// Files or tests that could not be used, in path order.
    pub problems: Vec<AtomicProblem>,
    /// How many YAML files were read.
    pub files: usize,
}

/// A file (or one test of it) that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AtomicProblem {
    /// The file.
    pub path: String,
    /// Why, one line.
    pub message: String,
}

/// One atomic test as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtomicTest {
    /// The technique of its file (`attack_technique`).
    pub technique: String,
    /// `name`.
    pub name: String,
    /// `auto_generated_guid`.
    pub guid: String,
    /// `description`.
    pub description: String,
    /// `supported_platforms`, lower case.
    pub platforms: Vec<String>,
    /// `executor.name`.
    pub executor: String,
    /// `executor.command` (`executor.steps` for manual tests), placeholders unfilled.
    pub command: String,
    /// `executor.cleanup_command`.
    pub cleanup_command: Option<String>,
    /// `executor.elevation_required`.
    pub elevation_required: bool,
    /// `input_arguments`: name -> default value as text (`None`: no default).
    pub input_arguments: BTreeMap<String, Option<String>>,
    /// `dependency_executor_name`.
    pub dependency_executor: Option<String>,
    /// `dependencies`.
    pub dependencies: Vec<AtomicDependency>,
    /// The file it was read from.
    pub file: String,
}

/// One dependency of a test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AtomicDependency {
    /// `description`.
    pub description: String,
    /// `prereq_command`.
    pub prereq_command: String,
    /// `get_prereq_command`.
    pub get_prereq_command: String,
}

#[derive(Deserialize)]
struct RawFile {
    attack_technique: Option<String>,
    #[serde(default)]
    atomic_tests: Vec<RawTest>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawTest {
    name: Option<String>,
    auto_generated_guid: Option<String>,
    description: Option<String>,
    supported_platforms: Vec<String>,
    input_arguments: Option<BTreeMap<String, RawArgument>>,
    dependency_executor_name: Option<String>,
    dependencies: Option<Vec<RawDependency>>,
    executor: Option<RawExecutor>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawArgument {
    default: serde_json::Value,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawDependency {
    description: Option<String>,
    prereq_command: Option<String>,
    get_prereq_command: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawExecutor {
    name: Option<String>,
    command: Option<String>,
    steps: Option<String>,
    cleanup_command: Option<String>,
    elevation_required: Option<bool>,
}

impl AtomicIndex {
    /// Reads every `T*/T*.yaml` (or `.yml`) file under `dir`'s `atomics` folder, or under `dir`
    /// itself when it has none. Fails only when the folder cannot be listed; unreadable or
    /// malformed files are [`AtomicIndex::problems`].
    pub fn load(dir: &Path) -> Result<AtomicIndex> {
        AtomicIndex::load_where(dir, |_| true)
    }

    /// Like [`AtomicIndex::load`], reading only the folders named after `techniques` (ATT&CK
    /// IDs, any case): what one plan needs, without parsing the whole corpus. Problems are
    /// those of the files read.
    pub fn load_only(dir: &Path, techniques: &[String]) -> Result<AtomicIndex> {
        let wanted: Vec<String> = techniques
            .iter()
            .map(|t| t.trim().to_ascii_uppercase())
            .collect();
        AtomicIndex::load_where(dir, |folder| {
            wanted.iter().any(|w| folder.eq_ignore_ascii_case(w))
        })
    }

    fn load_where(dir: &Path, wanted: impl Fn(&str) -> bool) -> Result<AtomicIndex> {
        let root = if dir.join("atomics").is_dir() {
            dir.join("atomics")
        } else {
            dir.to_path_buf()
        };
        let mut files = Vec::new();
        let mut problems = Vec::new();
        for folder in sorted_entries(&root).map_err(|e| Error::io(&root, &e))? {
            let name = file_name(&folder);
            if !name.starts_with(['T', 't']) || !wanted(&name) || !folder.is_dir() {
                continue;
            }
            let entries = match sorted_entries(&folder) {
                Ok(entries) => entries,
                Err(e) => {
                    problems.push(AtomicProblem {
                        path: folder.display().to_string(),
                        message: format!("cannot list the folder: {e}"),
                    });
                    continue;
                }
            };
            for file in entries {
                let file_name = file_name(&file);
                let lower = file_name.to_ascii_lowercase();
                if !file_name.starts_with(['T', 't'])
                    || !(lower.ends_with(".yaml") || lower.ends_with(".yml"))
                    || !file.is_file()
                {
                    continue;
                }
                match std::fs::read_to_string(&file) {
                    Ok(text) => files.push((file.display().to_string(), name.clone(), text)),
                    Err(e) => problems.push(AtomicProblem {
                        path: file.display().to_string(),
                        message: format!("cannot read the file: {e}"),
                    }),
                }
            }
        }
        let mut index = AtomicIndex::from_texts(&files);
        index.root = root;
        problems.append(&mut index.problems);
        problems.sort_by(|a, b| a.path.cmp(&b.path));
        index.problems = problems;
        Ok(index)
    }

    /// The tests of texts already read: (path, folder name, text) each. The folder name is the
    /// technique when the file does not say. Files are parsed over every core; the result is in
    /// file order.
    pub fn from_texts(files: &[(String, String, String)]) -> AtomicIndex {
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, 8);
        let chunk = files.len().div_ceil(threads).max(1);
        let parsed: Vec<ParsedFile> = std::thread::scope(|scope| {
            let handles: Vec<_> = files
                .chunks(chunk)
                .map(|part| scope.spawn(move || part.iter().map(parse_file).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let mut index = AtomicIndex {
            files: files.len(),
            ..AtomicIndex::default()
        };
        if parsed.len() != files.len() {
            index.problems.push(AtomicProblem {
                path: String::new(),
                message: "some files could not be parsed (a parser thread failed)".to_string(),
            });
        }
        for file in parsed {
            match file {
                Err(problem) => index.problems.push(problem),
                Ok((technique, tests, problems)) => {
                    index.problems.extend(problems);
                    if !tests.is_empty() {
                        index.tests.entry(technique).or_default().extend(tests);
                    }
                }
            }
        }
        index
    }

    /// The tests of `technique` (an ATT&CK ID) that run on `platform` (case-insensitive; an
    /// `iaas` platform also matches `iaas:aws` and the like), or all of them for `None`.
    pub fn tests_for(&self, technique: &str, platform: Option<&str>) -> Vec<&AtomicTest> {
        self.tests
            .get(&technique.trim().to_ascii_uppercase())
            .map(|tests| tests.iter().filter(|t| t.runs_on(platform)).collect())
            .unwrap_or_default()
    }

    /// How many tests in all.
    pub fn test_count(&self) -> usize {
        self.tests.values().map(Vec::len).sum()
    }
}

impl AtomicTest {
    /// Returns true if and only if the test supports `platform` (always for `None`).
    pub fn runs_on(&self, platform: Option<&str>) -> bool {
        let Some(wanted) = platform else {
            return true;
        };
        let wanted = wanted.trim().to_ascii_lowercase();
        self.platforms.iter().any(|p| {
            *p == wanted
                || p.strip_prefix(wanted.as_str())
                    .is_some_and(|rest| rest.starts_with(':'))
        })
    }

    /// The command with every `#{argument}` replaced by the argument's default.
    pub fn filled_command(&self) -> String {
        self.fill(&self.command)
    }

    /// The clean-up command, filled the same way.
    pub fn filled_cleanup(&self) -> Option<String> {
        self.cleanup_command.as_deref().map(|c| self.fill(c))
    }

    /// `text` with every `#{argument}` of a known argument replaced by its default (empty when
    /// it has none); other placeholders are left as written.
    pub fn fill(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (name, default) in &self.input_arguments {
            out = out.replace(&format!("#{{{name}}}"), default.as_deref().unwrap_or(""));
        }
        out
    }

    /// Placeholders of the command and clean-up that no input argument fills.
    pub fn unfilled(&self) -> Vec<String> {
        let mut found = Vec::new();
        for text in [Some(self.command.as_str()), self.cleanup_command.as_deref()]
            .into_iter()
            .flatten()
        {
            let filled = self.fill(text);
            let mut rest = filled.as_str();
            while let Some(start) = rest.find("#{") {
                let after = &rest[start + 2..];
                match after.find('}') {
                    Some(end) => {
                        let name = after[..end].to_string();
                        if !found.contains(&name) {
                            found.push(name);
                        }
                        rest = &after[end + 1..];
                    }
                    None => break,
                }
            }
        }
        found
    }
}

/// One file parsed: its technique, its usable tests and the problems of the others, or the
/// problem that made the whole file unusable.
type ParsedFile = std::result::Result<(String, Vec<AtomicTest>, Vec<AtomicProblem>), AtomicProblem>;

fn parse_file((path, folder, text): &(String, String, String)) -> ParsedFile {
    let raw: RawFile = crate::yaml::parse(text).map_err(|message| AtomicProblem {
        path: path.clone(),
        message: format!("not an atomic test file: {message}"),
    })?;
    let technique = raw
        .attack_technique
        .as_deref()
        .map(|t| t.trim().to_ascii_uppercase())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| folder.trim().to_ascii_uppercase());
    let mut tests = Vec::new();
    let mut problems = Vec::new();
    for (i, test) in raw.atomic_tests.into_iter().enumerate() {
        match convert(test, &technique, path) {
            Ok(test) => tests.push(test),
            Err(message) => problems.push(AtomicProblem {
                path: path.clone(),
                message: format!("atomic_tests[{i}]: {message}: left out"),
            }),
        }
    }
    Ok((technique, tests, problems))
}

fn convert(test: RawTest, technique: &str, path: &str) -> std::result::Result<AtomicTest, String> {
    let guid = test
        .auto_generated_guid
        .map(|g| g.trim().to_string())
        .filter(|g| !g.is_empty())
        .ok_or("no auto_generated_guid")?;
    let executor = test.executor.ok_or("no executor")?;
    let executor_name = executor
        .name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .ok_or("no executor name")?;
    let command = executor
        .command
        .or(executor.steps)
        .ok_or("the executor has no command or steps")?;
    let input_arguments = test
        .input_arguments
        .unwrap_or_default()
        .into_iter()
        .map(|(name, argument)| (name, value_text(&argument.default)))
        .collect();
    Ok(AtomicTest {
        technique: technique.to_string(),
        name: test.name.unwrap_or_default().trim().to_string(),
        guid,
        description: test.description.unwrap_or_default().trim().to_string(),
        platforms: test
            .supported_platforms
            .iter()
            .map(|p| p.trim().to_ascii_lowercase())
            .collect(),
        executor: executor_name,
        command,
        cleanup_command: executor.cleanup_command,
        elevation_required: executor.elevation_required.unwrap_or(false),
        input_arguments,
        dependency_executor: test.dependency_executor_name,
        dependencies: test
            .dependencies
            .unwrap_or_default()
            .into_iter()
            .map(|d| AtomicDependency {
                description: d.description.unwrap_or_default().trim().to_string(),
                prereq_command: d.prereq_command.unwrap_or_default(),
                get_prereq_command: d.get_prereq_command.unwrap_or_default(),
            })
            .collect(),
        file: path.to_string(),
    })
}

/// A YAML scalar as the text it stands for (`None` for null).
fn value_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn sorted_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| !file_name(p).starts_with('.'))
        .collect();
    entries.sort();
    Ok(entries)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> AtomicIndex {
        AtomicIndex::from_texts(&[("T1.yaml".to_string(), "T1000".to_string(), text.to_string())])
    }

    #[test]
    fn tests_are_read_and_filled() {
        let index = one(
            "attack_technique: t1000\natomic_tests:\n- name: x\n  auto_generated_guid: g\n  supported_platforms: [Windows]\n  input_arguments:\n    n: {default: 3}\n    p: {default: 'C:\\a'}\n  executor:\n    name: command_prompt\n    command: 'run #{p} #{n} #{q}'\n",
        );
        assert!(index.problems.is_empty(), "{:?}", index.problems);
        let tests = index.tests_for("T1000", Some("WINDOWS"));
        assert_eq!(tests.len(), 1);
        assert_eq!(tests[0].filled_command(), "run C:\\a 3 #{q}");
        assert_eq!(tests[0].unfilled(), vec!["q".to_string()]);
        assert!(index.tests_for("T1000", Some("linux")).is_empty());
    }

    #[test]
    fn bad_files_and_tests_are_reported() {
        let index = one("attack_technique: [\n");
        assert_eq!(index.problems.len(), 1);
        let index = one("atomic_tests:\n- name: no guid\n  executor: {name: sh, command: ls}\n");
        assert_eq!(index.problems.len(), 1);
        assert!(index.problems[0].message.contains("auto_generated_guid"));
    }

    #[test]
    fn cloud_platforms_match_their_family() {
        let index = one("atomic_tests:\n- name: x\n  auto_generated_guid: g\n  supported_platforms: ['iaas:aws']\n  executor: {name: sh, command: ls}\n");
        assert_eq!(index.tests_for("T1000", Some("IaaS")).len(), 1);
        assert_eq!(index.tests_for("T1000", Some("iaas:aws")).len(), 1);
        assert!(index.tests_for("T1000", Some("iaa")).is_empty());
    }
}
