//! Release diffs: what changed for each object type between two releases of a domain, in the
//! categories of mitreattack-python's `diff_stix`, plus what changed in each changed object,
//! and (in `report`) the `--json` answer, the Markdown and the HTML changelog made of them.
//!
//! The rules (as `diff_stix`): objects are matched by STIX ID. Added and deleted objects are
//! those on one side only. A shared object newly revoked (with a `revoked-by` target of the same
//! type in the new release) is a revocation; else newly deprecated, a deprecation; an object
//! revoked or deprecated on both sides is in no category. Otherwise its `x_mitre_version` (0.0
//! when absent) decides: the next major (X+1.0) is a major change, the next minor (X.Y+1) a
//! minor change, any other different version an other change; the same version with a
//! different `modified` or description is a patch; else it is unchanged.

use std::collections::{BTreeMap, BTreeSet};

use attackdb_stix::ObjectType;

use crate::dataset::{Dataset, ObjId};
use crate::family::Relation;
use crate::query::normalize_timestamp;

mod report;

pub use report::{
    diff_answer, diff_html, diff_markdown, summary_line, AddedDropped, ChangeDetail, DiffAnswer,
    TypeDiffAnswer,
};

/// An object type as `diff_stix` groups them, plus tactics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiffType {
    /// Techniques and sub-techniques.
    Techniques,
    /// Malware and tools.
    Software,
    /// Groups.
    Groups,
    /// Campaigns.
    Campaigns,
    /// ICS assets.
    Assets,
    /// Mitigations.
    Mitigations,
    /// Data sources.
    DataSources,
    /// Data components.
    DataComponents,
    /// Detection strategies.
    DetectionStrategies,
    /// Analytics.
    Analytics,
    /// Tactics (not compared by `diff_stix`).
    Tactics,
}

impl DiffType {
    /// Every type, in changelog order.
    pub const ALL: [DiffType; 11] = [
        DiffType::Techniques,
        DiffType::Software,
        DiffType::Groups,
        DiffType::Campaigns,
        DiffType::Assets,
        DiffType::Mitigations,
        DiffType::DataSources,
        DiffType::DataComponents,
        DiffType::DetectionStrategies,
        DiffType::Analytics,
        DiffType::Tactics,
    ];

    /// The key used in JSON (`diff_stix`'s keys, plus `tactics`).
    pub fn key(self) -> &'static str {
        match self {
            DiffType::Techniques => "techniques",
            DiffType::Software => "software",
            DiffType::Groups => "groups",
            DiffType::Campaigns => "campaigns",
            DiffType::Assets => "assets",
            DiffType::Mitigations => "mitigations",
            DiffType::DataSources => "datasources",
            DiffType::DataComponents => "datacomponents",
            DiffType::DetectionStrategies => "detectionstrategies",
            DiffType::Analytics => "analytics",
            DiffType::Tactics => "tactics",
        }
    }

    /// A readable title.
    pub fn title(self) -> &'static str {
        match self {
            DiffType::Techniques => "Techniques",
            DiffType::Software => "Software",
            DiffType::Groups => "Groups",
            DiffType::Campaigns => "Campaigns",
            DiffType::Assets => "Assets",
            DiffType::Mitigations => "Mitigations",
            DiffType::DataSources => "Data Sources",
            DiffType::DataComponents => "Data Components",
            DiffType::DetectionStrategies => "Detection Strategies",
            DiffType::Analytics => "Analytics",
            DiffType::Tactics => "Tactics",
        }
    }

    fn types(self) -> &'static [ObjectType] {
        match self {
            DiffType::Techniques => &[ObjectType::AttackPattern],
            DiffType::Software => &[ObjectType::Malware, ObjectType::Tool],
            DiffType::Groups => &[ObjectType::IntrusionSet],
            DiffType::Campaigns => &[ObjectType::Campaign],
            DiffType::Assets => &[ObjectType::Asset],
            DiffType::Mitigations => &[ObjectType::CourseOfAction],
            DiffType::DataSources => &[ObjectType::DataSource],
            DiffType::DataComponents => &[ObjectType::DataComponent],
            DiffType::DetectionStrategies => &[ObjectType::DetectionStrategy],
            DiffType::Analytics => &[ObjectType::Analytic],
            DiffType::Tactics => &[ObjectType::Tactic],
        }
    }
}

/// A change category, as `diff_stix` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// New objects.
    Additions,
    /// Version X.Y -> X+1.0.
    MajorVersionChanges,
    /// Version X.Y -> X.Y+1.
    MinorVersionChanges,
    /// Any other version change.
    OtherVersionChanges,
    /// Content changed, version not.
    Patches,
    /// Newly revoked.
    Revocations,
    /// Newly deprecated.
    Deprecations,
    /// Gone from the new release.
    Deletions,
}

impl Category {
    /// Every category, in changelog order.
    pub const ALL: [Category; 8] = [
        Category::Additions,
        Category::MajorVersionChanges,
        Category::MinorVersionChanges,
        Category::OtherVersionChanges,
        Category::Patches,
        Category::Revocations,
        Category::Deprecations,
        Category::Deletions,
    ];

    /// The JSON key.
    pub fn key(self) -> &'static str {
        match self {
            Category::Additions => "additions",
            Category::MajorVersionChanges => "major_version_changes",
            Category::MinorVersionChanges => "minor_version_changes",
            Category::OtherVersionChanges => "other_version_changes",
            Category::Patches => "patches",
            Category::Revocations => "revocations",
            Category::Deprecations => "deprecations",
            Category::Deletions => "deletions",
        }
    }

    /// A readable title.
    pub fn title(self) -> &'static str {
        match self {
            Category::Additions => "New",
            Category::MajorVersionChanges => "Major version changes",
            Category::MinorVersionChanges => "Minor version changes",
            Category::OtherVersionChanges => "Other version changes",
            Category::Patches => "Patches",
            Category::Revocations => "Revocations",
            Category::Deprecations => "Deprecations",
            Category::Deletions => "Deletions",
        }
    }

    /// The colour `diff_stix` gives the category in its Navigator layers.
    pub fn color(self) -> &'static str {
        match self {
            Category::Additions => "#a1d99b",
            Category::MajorVersionChanges => "#fcf3a2",
            Category::MinorVersionChanges => "#c7c4e0",
            Category::OtherVersionChanges => "#B5E5CF",
            Category::Patches => "#B99095",
            Category::Revocations => "#ff9000",
            Category::Deprecations => "#ff6363",
            Category::Deletions => "#ff00e1",
        }
    }
}

/// One object that changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The object in the old release (absent for additions).
    pub old: Option<ObjId>,
    /// The object in the new release (absent for deletions).
    pub new: Option<ObjId>,
    /// For revocations: the replacement, in the new release.
    pub revoked_by: Option<ObjId>,
    /// Top-level STIX fields whose value changed, was added or removed, sorted.
    pub fields_changed: Vec<String>,
    /// The old and new description, when it changed.
    pub description: Option<(String, String)>,
    /// Relationship and attribute changes: what (e.g. `mitigations`), added and dropped names.
    pub related: Vec<RelatedChange>,
}

/// Objects or values that were added to and dropped from a changed object's relations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedChange {
    /// `mitigations`, `detection strategies`, `data components`, `groups`, `software`,
    /// `tactics` or `platforms`.
    pub what: &'static str,
    /// Added, as `ID Name` (or the value).
    pub added: Vec<String>,
    /// Dropped, as `ID Name` (or the value).
    pub dropped: Vec<String>,
}

/// The diff of one object type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TypeDiff {
    /// Category -> changed objects, sorted by display ID.
    pub categories: BTreeMap<Category, Vec<Change>>,
    /// How many shared objects did not change.
    pub unchanged: usize,
}

/// The diff of one domain between two releases.
#[derive(Debug)]
pub struct DomainDiff<'a> {
    /// The old release.
    pub old: &'a Dataset,
    /// The new release.
    pub new: &'a Dataset,
    /// Per object type.
    pub types: BTreeMap<DiffType, TypeDiff>,
    /// Contributors credited in the new release who were not on the same objects before
    /// (as `diff_stix` counts them), sorted case-insensitively, with their contribution count.
    pub new_contributors: Vec<(String, usize)>,
}

impl DomainDiff<'_> {
    /// The display ID of a change's object (new side when there is one).
    pub fn display_id(&self, change: &Change) -> &str {
        match (change.new, change.old) {
            (Some(id), _) => self.new.display_id(id),
            (None, Some(id)) => self.old.display_id(id),
            (None, None) => "",
        }
    }

    /// The name of a change's object.
    pub fn display_name(&self, change: &Change) -> &str {
        match (change.new, change.old) {
            (Some(id), _) => self.new.display_name(id),
            (None, Some(id)) => self.old.display_name(id),
            (None, None) => "",
        }
    }

    /// `1.2 → 2.0` when the version changed.
    pub fn version_change(&self, change: &Change) -> Option<String> {
        let (old, new) = (change.old?, change.new?);
        let (a, b) = (
            version(self.old.object(old).version.as_deref()),
            version(self.new.object(new).version.as_deref()),
        );
        (a != b).then(|| format!("{}.{} → {}.{}", a.0, a.1, b.0, b.1))
    }
}

/// Parses `x_mitre_version`; absent is 0.0 (as `diff_stix`, for old ICS objects).
fn version(value: Option<&str>) -> (u64, u64) {
    let value = value.unwrap_or("0.0");
    let (major, minor) = value.split_once('.').unwrap_or((value, "0"));
    (
        major.trim().parse().unwrap_or(0),
        minor.trim().parse().unwrap_or(0),
    )
}

/// Lines as Python's `str.replace("\n", " ").splitlines()` makes them.
fn description_lines(text: &str) -> Vec<String> {
    let replaced = text.replace('\n', " ");
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut chars = replaced.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut current));
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

fn descriptions_differ(old: &str, new: &str) -> bool {
    let (a, b) = (description_lines(old), description_lines(new));
    a.iter().any(|l| !b.contains(l)) || b.iter().any(|l| !a.contains(l))
}

/// Diffs one domain between `old` and `new` (two releases of the same domain).
pub fn diff_releases<'a>(old: &'a Dataset, new: &'a Dataset) -> DomainDiff<'a> {
    let mut contributors: BTreeMap<String, usize> = BTreeMap::new();
    let mut types = BTreeMap::new();
    for diff_type in DiffType::ALL {
        let by_id = |dataset: &Dataset| -> BTreeMap<String, ObjId> {
            dataset
                .objects()
                .iter()
                .enumerate()
                .filter(|(_, o)| diff_type.types().contains(&o.kind))
                // A repeated STIX ID: the first object, as everywhere.
                .filter(|(i, o)| dataset.by_stix_id(&o.id) == Some(*i as ObjId))
                .map(|(i, o)| (o.id.to_string(), i as ObjId))
                .collect()
        };
        let (old_ids, new_ids) = (by_id(old), by_id(new));
        let mut result = TypeDiff::default();
        let mut add = |category: Category, change: Change| {
            result
                .categories
                .entry(category)
                .or_insert_with(Vec::new)
                .push(change);
        };
        for (stix_id, &n) in &new_ids {
            let Some(&o) = old_ids.get(stix_id) else {
                count_contributors(&mut contributors, None, &new.object(n).contributors);
                add(Category::Additions, Change::plain(None, Some(n)));
                continue;
            };
            let (old_object, new_object) = (old.object(o), new.object(n));
            if new_object.revoked {
                if !old_object.revoked {
                    let replacement = new
                        .outgoing(n)
                        .find(|l| l.kind == crate::dataset::RelKind::RevokedBy)
                        .map(|l| l.target)
                        .filter(|&t| diff_type.types().contains(&new.object(t).kind));
                    if let Some(by) = replacement {
                        let mut change = Change::plain(Some(o), Some(n));
                        change.revoked_by = Some(by);
                        add(Category::Revocations, change);
                    }
                }
                continue;
            }
            if new_object.deprecated {
                if !old_object.deprecated {
                    add(Category::Deprecations, Change::plain(Some(o), Some(n)));
                }
                continue;
            }
            count_contributors(
                &mut contributors,
                Some(&old_object.contributors),
                &new_object.contributors,
            );
            let (a, b) = (
                version(old_object.version.as_deref()),
                version(new_object.version.as_deref()),
            );
            let description_changed = match (&old_object.description, &new_object.description) {
                (Some(x), Some(y)) => descriptions_differ(x, y),
                _ => false,
            };
            let category = if b == (a.0 + 1, 0) {
                Some(Category::MajorVersionChanges)
            } else if b == (a.0, a.1 + 1) {
                Some(Category::MinorVersionChanges)
            } else if a != b {
                Some(Category::OtherVersionChanges)
            } else if old_object.modified.as_deref().and_then(normalize_timestamp)
                != new_object.modified.as_deref().and_then(normalize_timestamp)
                || description_changed
            {
                Some(Category::Patches)
            } else {
                None
            };
            match category {
                Some(category) => add(category, detail(old, new, o, n)),
                None => result.unchanged += 1,
            }
        }
        for (stix_id, &o) in &old_ids {
            if !new_ids.contains_key(stix_id) {
                add(Category::Deletions, Change::plain(Some(o), None));
            }
        }
        for changes in result.categories.values_mut() {
            changes.sort_by(|x, y| {
                let key = |c: &Change| match (c.new, c.old) {
                    (Some(n), _) => new.display_id(n).to_string(),
                    (None, Some(o)) => old.display_id(o).to_string(),
                    _ => String::new(),
                };
                key(x).cmp(&key(y))
            });
        }
        types.insert(diff_type, result);
    }
    let mut new_contributors: Vec<(String, usize)> = contributors
        .into_iter()
        .filter(|(name, _)| name != "ATT&CK")
        .collect();
    new_contributors.sort_by(|a, b| {
        a.0.to_lowercase()
            .cmp(&b.0.to_lowercase())
            .then(a.0.cmp(&b.0))
    });
    DomainDiff {
        old,
        new,
        types,
        new_contributors,
    }
}

fn count_contributors(
    counts: &mut BTreeMap<String, usize>,
    old: Option<&[Box<str>]>,
    new: &[Box<str>],
) {
    let old: BTreeSet<&str> = old.unwrap_or_default().iter().map(|c| &**c).collect();
    let new: BTreeSet<&str> = new.iter().map(|c| &**c).collect();
    for name in new.difference(&old) {
        *counts.entry(name.to_string()).or_default() += 1;
    }
}

impl Change {
    fn plain(old: Option<ObjId>, new: Option<ObjId>) -> Change {
        Change {
            old,
            new,
            revoked_by: None,
            fields_changed: Vec::new(),
            description: None,
            related: Vec::new(),
        }
    }
}

/// What changed in a shared object: fields, description, relations.
fn detail(old: &Dataset, new: &Dataset, o: ObjId, n: ObjId) -> Change {
    let mut change = Change::plain(Some(o), Some(n));
    let parse = |dataset: &Dataset, id: ObjId| -> BTreeMap<String, serde_json::Value> {
        dataset
            .raw_json(id)
            .ok()
            .and_then(|raw| serde_json::from_str(raw).ok())
            .unwrap_or_default()
    };
    let (a, b) = (parse(old, o), parse(new, n));
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    change.fields_changed = keys
        .into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect();
    let (old_object, new_object) = (old.object(o), new.object(n));
    if old_object.description != new_object.description {
        change.description = Some((
            old_object.description.as_deref().unwrap_or("").to_string(),
            new_object.description.as_deref().unwrap_or("").to_string(),
        ));
    }
    let mut relation = |what: &'static str, relation: Relation| {
        let names = |dataset: &Dataset, id: ObjId| -> BTreeMap<String, String> {
            dataset
                .related(relation, id)
                .into_iter()
                .map(|r| {
                    (
                        dataset.object(r).id.to_string(),
                        format!("{} {}", dataset.display_id(r), dataset.display_name(r)),
                    )
                })
                .collect()
        };
        let (before, after) = (names(old, o), names(new, n));
        let added: Vec<String> = after
            .iter()
            .filter(|(k, _)| !before.contains_key(*k))
            .map(|(_, v)| v.clone())
            .collect();
        let dropped: Vec<String> = before
            .iter()
            .filter(|(k, _)| !after.contains_key(*k))
            .map(|(_, v)| v.clone())
            .collect();
        if !added.is_empty() || !dropped.is_empty() {
            change.related.push(RelatedChange {
                what,
                added,
                dropped,
            });
        }
    };
    match new_object.kind {
        ObjectType::AttackPattern => {
            relation("mitigations", Relation::MitigationsMitigatingTechnique);
            relation(
                "detection strategies",
                Relation::DetectionStrategiesDetectingTechnique,
            );
            relation(
                "data components",
                Relation::DatacomponentsDetectingTechnique,
            );
            relation("groups", Relation::GroupsUsingTechnique);
            relation("software", Relation::SoftwareUsingTechnique);
        }
        ObjectType::IntrusionSet => {
            relation("techniques", Relation::TechniquesUsedByGroup);
            relation("software", Relation::SoftwareUsedByGroup);
        }
        ObjectType::Malware | ObjectType::Tool => {
            relation("techniques", Relation::TechniquesUsedBySoftware);
        }
        ObjectType::Campaign => {
            relation("techniques", Relation::TechniquesUsedByCampaign);
            relation("software", Relation::SoftwareUsedByCampaign);
        }
        ObjectType::CourseOfAction => {
            relation("techniques", Relation::TechniquesMitigatedByMitigation);
        }
        _ => {}
    }
    let values = |list: Vec<String>, other: &[String]| -> Vec<String> {
        list.into_iter().filter(|v| !other.contains(v)).collect()
    };
    let tactics = |dataset: &Dataset, id: ObjId| -> Vec<String> {
        dataset
            .object(id)
            .kill_chain_phases
            .iter()
            .map(|p| p.phase_name.to_string())
            .collect()
    };
    let platforms = |dataset: &Dataset, id: ObjId| -> Vec<String> {
        dataset
            .object(id)
            .platforms
            .iter()
            .map(|p| p.to_string())
            .collect()
    };
    for (what, before, after) in [
        ("tactics", tactics(old, o), tactics(new, n)),
        ("platforms", platforms(old, o), platforms(new, n)),
    ] {
        let added = values(after.clone(), &before);
        let dropped = values(before, &after);
        if !added.is_empty() || !dropped.is_empty() {
            change.related.push(RelatedChange {
                what,
                added,
                dropped,
            });
        }
    }
    change
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_with_absent_as_zero() {
        assert_eq!(version(Some("1.2")), (1, 2));
        assert_eq!(version(None), (0, 0));
        assert_eq!(version(Some("3")), (3, 0));
    }

    #[test]
    fn description_lines_follow_python_splitlines_after_joining_newlines() {
        assert_eq!(description_lines("a\nb"), ["a b"]);
        assert_eq!(description_lines("a\r\nb\u{2028}c"), ["a", " b", "c"]);
        assert!(!descriptions_differ("a\nb", "a\nb"));
        assert!(descriptions_differ("a\nb", "a\nc"));
    }
}
