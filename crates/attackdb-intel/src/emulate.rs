//! `emulate`: an adversary emulation plan for a group or campaign: its techniques in kill-chain
//! order (the matrix's tactic order), each step with the procedure examples and the Atomic Red
//! Team tests that exercise it on a platform, input arguments filled from their defaults. A
//! sub-technique without a test for the platform falls back to its parent's tests (marked); a
//! technique with none is a gap. Rendered as a Markdown runbook, JSON, a YAML plan in the style of
//! public emulation plans, and a Navigator layer.

use std::collections::BTreeMap;

use attackdb_kb::{Concept, Dataset, ObjId};
use attackdb_navigator::{Extra, Gradient, Layer, LegendItem, MetadataItem, Technique};
use serde::Serialize;

use crate::atomics::{AtomicIndex, AtomicProblem, AtomicTest};
use crate::common::{base_layer, clean_text, md_cell, ObjectSummary, TacticOrder};
use crate::profile::{evidence, technique_name, technique_via, Procedure};
use crate::resolve::resolve;
use crate::{Error, Result};

/// Options of [`emulate`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmulateOptions {
    /// Only tests for this platform, case-insensitive: an Atomic Red Team platform (`windows`,
    /// `iaas:aws`, `azure-ad`) or an ATT&CK one (`Windows`, `Identity Provider`, `Office
    /// Suite`), see [`atomic_platform`]; all when `None`.
    pub platform: Option<String>,
    /// Also emulate the techniques of the group's (campaign's) software, marked in `via`.
    pub with_software: bool,
}

/// An emulation plan.
#[derive(Debug, Clone, Serialize)]
pub struct EmulationPlan {
    /// The group or campaign emulated.
    pub adversary: ObjectSummary,
    /// Its description, one line.
    pub description: String,
    /// `enterprise-attack` etc.
    pub domain: String,
    /// The release.
    pub release: String,
    /// The platform asked for, as Atomic Red Team names it (`windows`, `azure-ad` for ATT&CK's
    /// Identity Provider).
    pub platform: Option<String>,
    /// Whether the software's techniques are included.
    pub with_software: bool,
    /// The folder the tests come from.
    pub atomics: String,
    /// One step per technique with tests, in kill-chain order.
    pub steps: Vec<EmulationStep>,
    /// Techniques with no test for the platform (not even the parent's).
    pub gaps: Vec<Gap>,
    /// Atomic files or tests that could not be read (the others are used).
    pub atomic_problems: Vec<AtomicProblem>,
}

/// One step of a plan: a technique and its tests.
#[derive(Debug, Clone, Serialize)]
pub struct EmulationStep {
    /// The technique's ATT&CK ID.
    pub technique: String,
    /// Its name.
    pub name: String,
    /// The tactic of the step (shortname; the technique's first in matrix order).
    pub tactic: String,
    /// The tactic's name.
    pub tactic_name: String,
    /// Every tactic of the technique (shortnames, matrix order).
    pub tactics: Vec<String>,
    /// `direct`, or the campaigns and software it comes through.
    pub via: Vec<String>,
    /// The procedure examples.
    pub procedures: Vec<Procedure>,
    /// The tests.
    pub atomics: Vec<PlannedAtomic>,
}

/// One atomic test in a plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedAtomic {
    /// `auto_generated_guid`.
    pub guid: String,
    /// Name.
    pub name: String,
    /// The technique of the test's file (the parent's, for a fallback).
    pub technique: String,
    /// `powershell`, `command_prompt`, `sh`, `bash`, `manual`.
    pub executor: String,
    /// The command, input arguments filled from their defaults.
    pub command: String,
    /// The clean-up command, filled the same way.
    pub cleanup_command: Option<String>,
    /// Supported platforms.
    pub platforms: Vec<String>,
    /// True when the step's technique has no test of its own and this is its parent's.
    pub fallback: bool,
    /// True when `technique`, the test's file, is an ID this release revoked in favour of the
    /// step's technique (or, for a fallback, of its parent): an Atomic Red Team checkout
    /// written for an earlier release (`T1562.002`, Disable Windows Event Logging, is T1685.001
    /// in ATT&CK 19).
    pub filed_under_revoked: bool,
    /// Whether it needs elevation.
    pub elevation_required: bool,
    /// The input arguments and the defaults filled in.
    pub input_arguments: BTreeMap<String, Option<String>>,
    /// Placeholders that no argument fills (left as written).
    pub unfilled: Vec<String>,
    /// The executor of the dependency commands.
    pub dependency_executor: Option<String>,
    /// Dependencies, commands filled.
    pub dependencies: Vec<PlannedDependency>,
    /// The test's description.
    pub description: String,
}

/// A dependency of a planned test.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedDependency {
    /// What is needed.
    pub description: String,
    /// The check.
    pub prereq_command: String,
    /// How to get it.
    pub get_prereq_command: String,
}

/// A technique of the adversary with no test.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    /// ATT&CK ID.
    pub technique: String,
    /// Name.
    pub name: String,
    /// The tactic (shortname).
    pub tactic: String,
    /// What it comes through.
    pub via: Vec<String>,
    /// Why it is a gap.
    pub reason: String,
}

fn planned(test: &AtomicTest, fallback: bool, filed_under_revoked: bool) -> PlannedAtomic {
    PlannedAtomic {
        filed_under_revoked,
        guid: test.guid.clone(),
        name: test.name.clone(),
        technique: test.technique.clone(),
        executor: test.executor.clone(),
        command: test.filled_command(),
        cleanup_command: test.filled_cleanup(),
        platforms: test.platforms.clone(),
        fallback,
        elevation_required: test.elevation_required,
        input_arguments: test.input_arguments.clone(),
        unfilled: test.unfilled(),
        dependency_executor: test.dependency_executor.clone(),
        dependencies: test
            .dependencies
            .iter()
            .map(|d| PlannedDependency {
                description: test.fill(&d.description),
                prereq_command: test.fill(&d.prereq_command),
                get_prereq_command: test.fill(&d.get_prereq_command),
            })
            .collect(),
        description: test.description.clone(),
    }
}

/// ATT&CK's platform names (lower case, words joined by `-`) and the Atomic Red Team platform
/// each is written as in `supported_platforms`; older ATT&CK names too.
const PLATFORM_NAMES: [(&str, &str); 14] = [
    ("windows", "windows"),
    ("macos", "macos"),
    ("linux", "linux"),
    ("office-suite", "office-365"),
    ("office-365", "office-365"),
    ("identity-provider", "azure-ad"),
    ("azure-ad", "azure-ad"),
    ("entra-id", "azure-ad"),
    ("google-workspace", "google-workspace"),
    ("saas", "saas"),
    ("iaas", "iaas"),
    ("containers", "containers"),
    ("esxi", "esxi"),
    ("network-devices", "network-devices"),
];

/// The Atomic Red Team sub-platforms of `iaas`.
const CLOUD_PLATFORMS: [&str; 3] = ["iaas:aws", "iaas:azure", "iaas:gcp"];

/// `platform` lower case, its words joined by `-` (`Identity Provider` -> `identity-provider`).
fn platform_key(platform: &str) -> String {
    platform
        .split(|c: char| c.is_whitespace() || c == '_' || c == '-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
        .to_ascii_lowercase()
}

/// The Atomic Red Team platform a plan for `platform` takes tests of: the key of an ATT&CK
/// platform (`Identity Provider` is `azure-ad`, `Office Suite` is `office-365`), an Atomic
/// platform itself (`iaas:aws`), or another platform of `dataset`, lower case. Anything else is
/// refused, naming what is known: a typo must not give an empty plan.
pub fn atomic_platform(dataset: &Dataset, platform: &str) -> Result<String> {
    let key = platform_key(platform);
    if let Some((_, atomic)) = PLATFORM_NAMES.iter().find(|(name, _)| *name == key) {
        return Ok((*atomic).to_string());
    }
    if CLOUD_PLATFORMS.contains(&key.as_str()) {
        return Ok(key);
    }
    if let Ok(known) = dataset.canonical_platform(platform) {
        return Ok(platform_key(known));
    }
    let atomic: Vec<&str> = PLATFORM_NAMES
        .iter()
        .map(|(_, atomic)| *atomic)
        .chain(CLOUD_PLATFORMS)
        .fold(Vec::new(), |mut names, name| {
            if !names.contains(&name) {
                names.push(name);
            }
            names
        });
    Err(Error::BadOptions(format!(
        "unknown platform `{}`: expected one of {} {} ({}) or of Atomic Red Team ({})",
        platform.trim(),
        dataset.domain(),
        dataset.release(),
        dataset.platforms().join(", "),
        atomic.join(", ")
    )))
}

/// The emulation plan of the group or campaign `reference` names, with the tests of `atomics`.
pub fn emulate(
    dataset: &Dataset,
    reference: &str,
    atomics: &AtomicIndex,
    options: &EmulateOptions,
) -> Result<EmulationPlan> {
    let adversary = resolve(dataset, reference, &[Concept::Group, Concept::Campaign])?;
    let options = checked(dataset, options)?;
    Ok(plan_of(dataset, adversary, atomics, &options))
}

/// [`emulate`] reading from the Atomic Red Team checkout `dir` only the files the plan needs
/// (the techniques and their parents); for one question from a command line. Problems are those
/// of the files read; [`AtomicIndex::load`] reads (and reports on) every file.
pub fn emulate_dir(
    dataset: &Dataset,
    reference: &str,
    dir: &std::path::Path,
    options: &EmulateOptions,
) -> Result<EmulationPlan> {
    let adversary = resolve(dataset, reference, &[Concept::Group, Concept::Campaign])?;
    let options = checked(dataset, options)?;
    let mut needed: Vec<String> = Vec::new();
    for technique in technique_via(dataset, adversary, options.with_software).into_keys() {
        for t in std::iter::once(technique).chain(parent_of(dataset, technique)) {
            needed.push(dataset.display_id(t).to_string());
            needed.extend(
                predecessors(dataset, t)
                    .into_iter()
                    .map(|p| dataset.display_id(p).to_string()),
            );
        }
    }
    needed.sort();
    needed.dedup();
    let atomics = AtomicIndex::load_only(dir, &needed)?;
    Ok(plan_of(dataset, adversary, &atomics, &options))
}

/// The techniques `technique` took the place of: those revoked by it, and by those, in ATT&CK
/// ID order (ATT&CK 19 revoked T1562.002 by T1685.001).
fn predecessors(dataset: &Dataset, technique: ObjId) -> Vec<ObjId> {
    let mut found: Vec<ObjId> = Vec::new();
    let mut next = vec![technique];
    while let Some(current) = next.pop() {
        for link in dataset.incoming(current) {
            if link.kind == attackdb_kb::RelKind::RevokedBy
                && link.source != technique
                && !found.contains(&link.source)
            {
                found.push(link.source);
                next.push(link.source);
            }
        }
    }
    found.sort_by(|&a, &b| dataset.display_id(a).cmp(dataset.display_id(b)));
    found
}

/// The tests of `technique` on `platform`: its own, then those filed under the techniques it
/// took the place of (marked true), each test once.
fn tests_of<'a>(
    dataset: &Dataset,
    atomics: &'a AtomicIndex,
    technique: ObjId,
    platform: Option<&str>,
) -> Vec<(&'a AtomicTest, bool)> {
    let mut tests: Vec<(&AtomicTest, bool)> = atomics
        .tests_for(dataset.display_id(technique), platform)
        .into_iter()
        .map(|t| (t, false))
        .collect();
    for old in predecessors(dataset, technique) {
        for test in atomics.tests_for(dataset.display_id(old), platform) {
            if !tests.iter().any(|(t, _)| t.guid == test.guid) {
                tests.push((test, true));
            }
        }
    }
    tests
}

/// `options` with the platform checked and named as Atomic Red Team names it.
fn checked(dataset: &Dataset, options: &EmulateOptions) -> Result<EmulateOptions> {
    let platform = match options.platform.as_deref().map(str::trim) {
        Some(p) if !p.is_empty() => Some(atomic_platform(dataset, p)?),
        _ => None,
    };
    Ok(EmulateOptions {
        platform,
        ..options.clone()
    })
}

/// [`emulate`] for a resolved group or campaign. A platform [`atomic_platform`] does not know
/// is taken as written, lower case, instead of refused.
pub fn emulate_of(
    dataset: &Dataset,
    adversary: ObjId,
    atomics: &AtomicIndex,
    options: &EmulateOptions,
) -> EmulationPlan {
    let platform = options
        .platform
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| atomic_platform(dataset, p).unwrap_or_else(|_| p.to_ascii_lowercase()));
    let options = EmulateOptions {
        platform,
        ..options.clone()
    };
    plan_of(dataset, adversary, atomics, &options)
}

/// The parent of a sub-technique.
fn parent_of(dataset: &Dataset, technique: ObjId) -> Option<ObjId> {
    if dataset.concept(technique) != Some(Concept::Subtechnique) {
        return None;
    }
    dataset
        .related(
            attackdb_kb::Relation::ParentTechniqueOfSubtechnique,
            technique,
        )
        .first()
        .copied()
}

/// The plan, `options.platform` already named as Atomic Red Team names it (see [`checked`]).
fn plan_of(
    dataset: &Dataset,
    adversary: ObjId,
    atomics: &AtomicIndex,
    options: &EmulateOptions,
) -> EmulationPlan {
    let order = TacticOrder::of(dataset);
    let platform = options.platform.clone();
    let via = technique_via(dataset, adversary, options.with_software);
    let mut entries: Vec<(usize, String, ObjId, Vec<Option<ObjId>>)> = via
        .into_iter()
        .map(|(technique, through)| {
            let first = order
                .positions(dataset, technique)
                .first()
                .copied()
                .unwrap_or(usize::MAX);
            (
                first,
                dataset.display_id(technique).to_string(),
                technique,
                through,
            )
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let mut steps = Vec::new();
    let mut gaps = Vec::new();
    for (first, id, technique, through) in entries {
        let (via_names, procedures) = evidence(dataset, adversary, technique, &through);
        let (tactic, tactic_name) = match order.tactics.get(first) {
            Some(t) => (
                t.shortname.clone(),
                dataset.display_name(t.object).to_string(),
            ),
            None => (String::new(), String::new()),
        };
        let own = tests_of(dataset, atomics, technique, platform.as_deref());
        let (tests, fallback) = if own.is_empty() {
            match parent_of(dataset, technique) {
                Some(parent) => (
                    tests_of(dataset, atomics, parent, platform.as_deref()),
                    true,
                ),
                None => (Vec::new(), false),
            }
        } else {
            (own, false)
        };
        if tests.is_empty() {
            let on = platform
                .as_deref()
                .map(|p| format!(" for {p}"))
                .unwrap_or_default();
            let reason = match parent_of(dataset, technique) {
                Some(parent) => format!(
                    "no atomic test{on}, nor for its parent {}",
                    dataset.display_id(parent)
                ),
                None => format!("no atomic test{on}"),
            };
            gaps.push(Gap {
                technique: id,
                name: technique_name(dataset, technique),
                tactic,
                via: via_names,
                reason,
            });
            continue;
        }
        steps.push(EmulationStep {
            technique: id,
            name: technique_name(dataset, technique),
            tactic,
            tactic_name,
            tactics: order
                .positions(dataset, technique)
                .into_iter()
                .map(|p| order.tactics[p].shortname.clone())
                .collect(),
            via: via_names,
            procedures,
            atomics: tests
                .into_iter()
                .map(|(t, revoked)| planned(t, fallback, revoked))
                .collect(),
        });
    }
    EmulationPlan {
        adversary: ObjectSummary::of(dataset, adversary),
        description: clean_text(
            dataset
                .object(adversary)
                .description
                .as_deref()
                .unwrap_or(""),
        ),
        domain: dataset.domain().to_string(),
        release: dataset.release().to_string(),
        platform,
        with_software: options.with_software,
        atomics: atomics.root.display().to_string(),
        steps,
        gaps,
        atomic_problems: atomics.problems.clone(),
    }
}

/// The YAML plan's executor key for an Atomic Red Team executor (`psh`, `cmd`, `sh`...).
fn executor_key(executor: &str) -> &str {
    match executor {
        "powershell" => "psh",
        "command_prompt" => "cmd",
        other => other,
    }
}

#[derive(Serialize)]
#[serde(untagged)]
enum PlanEntry {
    Details {
        emulation_plan_details: Box<PlanDetails>,
    },
    Step(Box<PlanStep>),
}

#[derive(Serialize)]
struct PlanDetails {
    id: String,
    adversary_name: String,
    adversary_id: String,
    adversary_description: String,
    attack_domain: String,
    attack_version: String,
    platform: String,
    format_version: f64,
    generated_by: String,
    gaps: Vec<String>,
}

#[derive(Serialize)]
struct PlanTechnique {
    attack_id: String,
    name: String,
}

#[derive(Serialize)]
struct PlanCommand {
    command: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    cleanup: Option<String>,
    elevation_required: bool,
}

#[derive(Serialize)]
struct PlanStep {
    id: String,
    name: String,
    description: String,
    tactic: String,
    technique: PlanTechnique,
    procedure_group: String,
    procedure_step: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fallback_from: Option<String>,
    platforms: BTreeMap<String, BTreeMap<String, PlanCommand>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    input_arguments: BTreeMap<String, Option<String>>,
}

impl EmulationPlan {
    /// How many tests in all.
    pub fn test_count(&self) -> usize {
        self.steps.iter().map(|s| s.atomics.len()).sum()
    }

    /// The plan as a YAML emulation plan in the style of public ones: plan details, then one
    /// entry per test with its tactic, technique, platforms, executor and command.
    pub fn to_yaml(&self) -> Result<String> {
        let mut entries = vec![PlanEntry::Details {
            emulation_plan_details: Box::new(PlanDetails {
                id: format!(
                    "attackdb-{}-{}",
                    self.adversary.id,
                    self.platform.as_deref().unwrap_or("all")
                ),
                adversary_name: self.adversary.name.clone(),
                adversary_id: self.adversary.id.clone(),
                adversary_description: self.description.clone(),
                attack_domain: self.domain.clone(),
                attack_version: self.release.clone(),
                platform: self.platform.clone().unwrap_or_else(|| "all".to_string()),
                format_version: 1.0,
                generated_by: "attackdb".to_string(),
                gaps: self.gaps.iter().map(|g| g.technique.clone()).collect(),
            }),
        }];
        for (s, step) in self.steps.iter().enumerate() {
            for (a, atomic) in step.atomics.iter().enumerate() {
                let mut platforms = BTreeMap::new();
                for platform in &atomic.platforms {
                    if self
                        .platform
                        .as_deref()
                        .is_some_and(|p| !(platform == p || platform.starts_with(&format!("{p}:"))))
                    {
                        continue;
                    }
                    let mut by_executor = BTreeMap::new();
                    by_executor.insert(
                        executor_key(&atomic.executor).to_string(),
                        PlanCommand {
                            command: atomic.command.clone(),
                            cleanup: atomic.cleanup_command.clone(),
                            elevation_required: atomic.elevation_required,
                        },
                    );
                    platforms.insert(platform.clone(), by_executor);
                }
                entries.push(PlanEntry::Step(Box::new(PlanStep {
                    id: atomic.guid.clone(),
                    name: atomic.name.clone(),
                    description: atomic.description.clone(),
                    tactic: step.tactic_name.clone(),
                    technique: PlanTechnique {
                        attack_id: step.technique.clone(),
                        name: step.name.clone(),
                    },
                    procedure_group: format!("procedure_{}", step.tactic.replace('-', "_")),
                    procedure_step: format!("{}.{}", s + 1, a + 1),
                    fallback_from: atomic.fallback.then(|| atomic.technique.clone()),
                    platforms,
                    input_arguments: atomic.input_arguments.clone(),
                })));
            }
        }
        crate::yaml::write(&entries).map_err(|message| Error::Output {
            format: "YAML",
            message,
        })
    }

    /// The plan as a Navigator layer: each technique scored by how many tests it has (gaps 0),
    /// the tests (or why it is a gap) in the comment.
    pub fn to_layer(&self, dataset: &Dataset) -> Layer {
        let on = self.platform.as_deref().unwrap_or("all platforms");
        let mut layer = base_layer(
            dataset,
            &format!(
                "emulation of {} ({}) on {on}",
                self.adversary.name, self.adversary.id
            ),
            format!(
                "Techniques of {} {} scored by their Atomic Red Team tests on {on} ({} {})",
                self.adversary.kind, self.adversary.id, self.domain, self.release
            ),
        );
        let mut max = 1usize;
        for step in &self.steps {
            let mut annotation = Technique::new(&step.technique);
            annotation.score = Some(step.atomics.len() as f64);
            max = max.max(step.atomics.len());
            let lines: Vec<String> = step
                .atomics
                .iter()
                .map(|a| {
                    let fallback = if a.fallback {
                        format!(" (fallback: {}'s test)", a.technique)
                    } else if a.filed_under_revoked {
                        format!(" (filed under {}, revoked)", a.technique)
                    } else {
                        String::new()
                    };
                    format!("{} [{}] {}{fallback}", a.guid, a.executor, a.name)
                })
                .collect();
            annotation.comment = Some(lines.join("\n"));
            layer.techniques.push(annotation);
        }
        for gap in &self.gaps {
            let mut annotation = Technique::new(&gap.technique);
            annotation.score = Some(0.0);
            annotation.comment = Some(format!("gap: {}", gap.reason));
            annotation.color = Some("#cccccc".to_string());
            layer.techniques.push(annotation);
        }
        layer.gradient = Some(Gradient {
            colors: vec!["#e8f5e9".to_string(), "#43a047".to_string()],
            min_value: 0.0,
            max_value: max as f64,
            extra: Extra::new(),
        });
        layer.legend_items = vec![
            LegendItem {
                label: "gap: no test".to_string(),
                color: "#cccccc".to_string(),
                extra: Extra::new(),
            },
            LegendItem {
                label: format!("{max} tests"),
                color: "#43a047".to_string(),
                extra: Extra::new(),
            },
        ];
        layer.metadata.push(MetadataItem::entry(
            &self.adversary.kind,
            &format!("{} {}", self.adversary.id, self.adversary.name),
        ));
        layer
    }

    /// The plan as a Markdown runbook.
    pub fn to_markdown(&self) -> String {
        let on = self.platform.as_deref().unwrap_or("all platforms");
        let mut out = format!(
            "# Emulation plan: {} ({}) on {on}\n\n",
            self.adversary.name, self.adversary.id
        );
        out.push_str(&format!(
            "ATT&CK {} {} {}; Atomic Red Team tests from `{}`. {} steps with {} tests; {} techniques \
             without a test (gaps){}.\n\n",
            self.adversary.kind,
            self.domain,
            self.release,
            self.atomics,
            self.steps.len(),
            self.test_count(),
            self.gaps.len(),
            if self.with_software {
                "; the techniques of its software included"
            } else {
                ""
            }
        ));
        out.push_str(
            "> Run these tests only on systems you are authorised to test, in a lab first; \
             each step lists its clean-up.\n\n",
        );
        if !self.description.is_empty() {
            out.push_str(&format!("{}\n\n", self.description));
        }
        let mut tactic = "";
        let mut tactic_number = 0;
        for (s, step) in self.steps.iter().enumerate() {
            if step.tactic != tactic {
                tactic = &step.tactic;
                tactic_number += 1;
                out.push_str(&format!("## {tactic_number}. {}\n\n", step.tactic_name));
            }
            out.push_str(&format!(
                "### Step {}: {} {} (via {})\n\n",
                s + 1,
                step.technique,
                step.name,
                step.via.join(", ")
            ));
            if !step.procedures.is_empty() {
                out.push_str("What ATT&CK reports:\n\n");
                for p in &step.procedures {
                    out.push_str(&format!("- {}: {}\n", p.source, clean_text(&p.description)));
                }
                out.push('\n');
            }
            for (a, atomic) in step.atomics.iter().enumerate() {
                let mut notes = vec![format!("`{}`", atomic.executor)];
                if atomic.elevation_required {
                    notes.push("elevated".to_string());
                }
                if atomic.fallback {
                    notes.push(format!(
                        "fallback: a test of the parent {}",
                        atomic.technique
                    ));
                }
                if atomic.filed_under_revoked {
                    notes.push(format!(
                        "filed under {}, which {} revoked",
                        atomic.technique, self.release
                    ));
                }
                out.push_str(&format!(
                    "#### {}.{} {} ({})\n\nGUID `{}`; platforms {}.\n\n",
                    s + 1,
                    a + 1,
                    atomic.name,
                    notes.join(", "),
                    atomic.guid,
                    atomic.platforms.join(", ")
                ));
                let fence = fence_language(&atomic.executor);
                if !atomic.dependencies.is_empty() {
                    out.push_str("Dependencies:\n\n");
                    for d in &atomic.dependencies {
                        out.push_str(&format!("- {}\n", clean_text(&d.description)));
                        if !d.get_prereq_command.trim().is_empty() {
                            out.push_str(&format!(
                                "\n  ```{}\n{}\n  ```\n",
                                fence_language(
                                    atomic
                                        .dependency_executor
                                        .as_deref()
                                        .unwrap_or(&atomic.executor)
                                ),
                                indent(d.get_prereq_command.trim_end(), "  ")
                            ));
                        }
                    }
                    out.push('\n');
                }
                out.push_str(&format!(
                    "```{fence}\n{}\n```\n\n",
                    atomic.command.trim_end()
                ));
                if let Some(cleanup) = atomic
                    .cleanup_command
                    .as_deref()
                    .filter(|c| !c.trim().is_empty())
                {
                    out.push_str(&format!(
                        "Clean-up:\n\n```{fence}\n{}\n```\n\n",
                        cleanup.trim_end()
                    ));
                }
                if !atomic.unfilled.is_empty() {
                    out.push_str(&format!(
                        "Placeholders without a default: {}\n\n",
                        atomic.unfilled.join(", ")
                    ));
                }
            }
        }
        if !self.gaps.is_empty() {
            out.push_str(&format!(
                "## Gaps ({} techniques without a test)\n\n| Technique | Name | Tactic | Via | Why |\n|---|---|---|---|---|\n",
                self.gaps.len()
            ));
            for g in &self.gaps {
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    g.technique,
                    md_cell(&g.name),
                    g.tactic,
                    g.via.join(", "),
                    md_cell(&g.reason)
                ));
            }
            out.push('\n');
        }
        if !self.atomic_problems.is_empty() {
            out.push_str("## Atomic files that could not be used\n\n");
            for p in &self.atomic_problems {
                out.push_str(&format!("- `{}`: {}\n", p.path, p.message));
            }
            out.push('\n');
        }
        out
    }
}

fn fence_language(executor: &str) -> &'static str {
    match executor {
        "powershell" => "powershell",
        "command_prompt" => "bat",
        "sh" | "bash" => "sh",
        _ => "text",
    }
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|l| format!("{prefix}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
