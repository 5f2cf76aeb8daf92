//! Where things are: a website path to a release and an object, and an object to its path. The
//! paths are ATT&CK's own (`/techniques/T1059/001/`), so a link from any report works by
//! swapping the host; older releases live under `/versions/vX.Y/`.

use attackdb_kb::{Concept, Dataset, Domain, Kb, ObjId, ObjectType};

use crate::WebError;

/// What a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The home page.
    Home,
    /// A domain's matrix.
    Matrix(Domain),
    /// An object: the URL section (`techniques`) and its ATT&CK ID (`T1059.001`).
    Object(&'static str, String),
    /// An object by STIX ID (`/stix/ID/`): for objects without an ATT&CK ID, such as the data
    /// components of releases before 18.
    Stix(String),
}

/// A parsed path: which release (`None`: the newest of each domain) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// `/versions/vX.Y` asked for this release (`vX`: the newest X.*).
    pub version: Option<String>,
    /// What the path names.
    pub target: Target,
}

/// The URL sections of the website and the object types each holds.
pub const SECTIONS: [(&str, &[ObjectType]); 11] = [
    ("techniques", &[ObjectType::AttackPattern]),
    ("tactics", &[ObjectType::Tactic]),
    ("groups", &[ObjectType::IntrusionSet]),
    ("software", &[ObjectType::Malware, ObjectType::Tool]),
    ("campaigns", &[ObjectType::Campaign]),
    ("mitigations", &[ObjectType::CourseOfAction]),
    ("datasources", &[ObjectType::DataSource]),
    ("datacomponents", &[ObjectType::DataComponent]),
    ("detectionstrategies", &[ObjectType::DetectionStrategy]),
    ("analytics", &[ObjectType::Analytic]),
    ("assets", &[ObjectType::Asset]),
];

/// Parses a website path. `None` when it is not one of ours.
pub fn locate(path: &str) -> Option<Located> {
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut version = None;
    if segments.first() == Some(&"versions") {
        let v = segments.get(1)?;
        version = Some(v.trim_start_matches(['v', 'V']).to_string());
        segments.drain(..2);
    }
    let target = match segments.as_slice() {
        [] => Target::Home,
        ["matrices", name] => Target::Matrix(matrix_domain(name)?),
        ["stix", id] if id.contains("--") => Target::Stix(id.to_ascii_lowercase()),
        [section, id] => Target::Object(section_name(section)?, id.to_ascii_uppercase()),
        ["techniques", id, sub] if sub.chars().all(|c| c.is_ascii_digit()) => {
            Target::Object("techniques", format!("{}.{sub}", id.to_ascii_uppercase()))
        }
        _ => return None,
    };
    Some(Located { version, target })
}

fn section_name(section: &str) -> Option<&'static str> {
    SECTIONS
        .iter()
        .map(|(name, _)| *name)
        .find(|name| name.eq_ignore_ascii_case(section))
}

/// The object types of a URL section.
pub fn section_types(section: &str) -> &'static [ObjectType] {
    SECTIONS
        .iter()
        .find(|(name, _)| *name == section)
        .map_or(&[], |(_, types)| *types)
}

/// The domain a `/matrices/NAME/` path names (`enterprise`, `mobile`, `mobile-attack`, `ics`...).
pub fn matrix_domain(name: &str) -> Option<Domain> {
    Domain::parse(name)
}

/// The URL section of an object, by its type.
pub fn section_of(kind: &ObjectType) -> Option<&'static str> {
    SECTIONS
        .iter()
        .find(|(_, types)| types.contains(kind))
        .map(|(name, _)| *name)
}

/// The datasets a path's version names, one per domain, in domain order: the newest of each
/// domain without a version; with `vX.Y`, that release where loaded; with `vX`, the newest X.*.
pub fn datasets_for<'k>(kb: &'k Kb, version: Option<&str>) -> Result<Vec<&'k Dataset>, WebError> {
    let mut found = Vec::new();
    for domain in Domain::ALL {
        let pick = match version {
            None => kb.releases(domain).next_back(),
            Some(v) => kb.release_named(domain, v),
        };
        found.extend(pick);
    }
    if found.is_empty() {
        let loaded: Vec<String> = kb
            .datasets()
            .iter()
            .map(|d| format!("{} {}", d.domain().short_name(), d.release()))
            .collect();
        return Err(WebError::NotFound(format!(
            "release v{} is not loaded (loaded: {})",
            version.unwrap_or(""),
            loaded.join(", ")
        )));
    }
    Ok(found)
}

/// Whether `dataset` is the newest loaded release of its domain (served without a version).
pub fn is_newest(kb: &Kb, dataset: &Dataset) -> bool {
    kb.releases(dataset.domain())
        .next_back()
        .is_some_and(|d| std::ptr::eq(d, dataset))
}

/// The path prefix of a dataset's pages: empty for the newest release, `/versions/vX.Y` else.
pub fn prefix(kb: &Kb, dataset: &Dataset) -> String {
    if is_newest(kb, dataset) {
        String::new()
    } else {
        format!("/versions/v{}", dataset.release())
    }
}

/// Links to objects of one dataset: the path of each object on this site.
#[derive(Clone)]
pub struct Linker<'k> {
    kb: &'k Kb,
    dataset: &'k Dataset,
    prefix_newest: bool,
    /// The datasets of the same version in the domains before this one: a path they also hold
    /// would open their object, so links to it name this domain.
    earlier: Vec<&'k Dataset>,
}

impl<'k> Linker<'k> {
    /// The linker of `dataset`.
    pub fn new(kb: &'k Kb, dataset: &'k Dataset) -> Linker<'k> {
        let prefix_newest = is_newest(kb, dataset);
        let version = (!prefix_newest).then(|| dataset.release().to_string());
        let earlier = datasets_for(kb, version.as_deref())
            .unwrap_or_default()
            .into_iter()
            .take_while(|d| d.domain() != dataset.domain())
            .collect();
        Linker {
            kb,
            dataset,
            prefix_newest,
            earlier,
        }
    }

    /// The dataset.
    pub fn dataset(&self) -> &'k Dataset {
        self.dataset
    }

    /// The knowledge base.
    pub fn kb(&self) -> &'k Kb {
        self.kb
    }

    /// The path prefix of this dataset's pages.
    pub fn prefix(&self) -> String {
        if self.prefix_newest {
            String::new()
        } else {
            format!("/versions/v{}", self.dataset.release())
        }
    }

    /// `?domain=...` when a path of this dataset would otherwise open another domain's object
    /// (`held` tells whether an earlier domain's dataset has it).
    fn domain_query(&self, held: impl Fn(&Dataset) -> bool) -> String {
        if self.earlier.iter().any(|d| held(d)) {
            format!("?domain={}", self.dataset.domain().short_name())
        } else {
            String::new()
        }
    }

    /// The path of `object`'s page, if it has one: its ATT&CK path, or `/stix/ID/` for an
    /// object of a known kind without an ATT&CK ID.
    pub fn href(&self, object: ObjId) -> Option<String> {
        let dataset = self.dataset;
        let stix = dataset.object(object);
        let section = section_of(&stix.kind)?;
        let Some(id) = stix.attack_id() else {
            let query = self.domain_query(|d| d.by_stix_id(&stix.id).is_some());
            return Some(format!("{}/stix/{}/{query}", self.prefix(), stix.id));
        };
        if section == "analytics" {
            // Analytics are anchors on their detection strategy's page, as on the website.
            if let Some(path) = stix
                .attack_reference()
                .and_then(|r| r.url.as_deref())
                .and_then(|u| u.strip_prefix("https://attack.mitre.org"))
                .filter(|p| p.starts_with("/detectionstrategies/"))
            {
                let (page, anchor) = path.split_once('#').unwrap_or((path, id));
                let strategy = page.trim_end_matches('/').rsplit('/').next().unwrap_or("");
                let types = section_types("detectionstrategies");
                let query = self.domain_query(|d| d.by_attack_id_typed(strategy, types).is_some());
                return Some(format!("{}{page}/{query}#{anchor}", self.prefix()));
            }
            return Some(format!("{}/analytics/{id}/", self.prefix()));
        }
        let tail = match (section, id.split_once('.')) {
            ("techniques", Some((parent, sub))) => format!("{parent}/{sub}"),
            _ => id.to_string(),
        };
        let types = section_types(section);
        let query = self.domain_query(|d| d.by_attack_id_typed(id, types).is_some());
        Some(format!("{}/{section}/{tail}/{query}", self.prefix()))
    }

    /// The path of the matrix of this dataset.
    pub fn matrix_href(&self) -> String {
        format!(
            "{}/matrices/{}/",
            self.prefix(),
            self.dataset.domain().short_name()
        )
    }
}

/// The concept label for headings: `Technique`, `Sub-technique`, `Group`...
pub fn concept_label(concept: Option<Concept>) -> &'static str {
    match concept {
        Some(Concept::Technique) => "Technique",
        Some(Concept::Subtechnique) => "Sub-technique",
        Some(Concept::Tactic) => "Tactic",
        Some(Concept::Group) => "Group",
        Some(Concept::Software) => "Software",
        Some(Concept::Mitigation) => "Mitigation",
        Some(Concept::Campaign) => "Campaign",
        Some(Concept::DataSource) => "Data source",
        Some(Concept::DataComponent) => "Data component",
        Some(Concept::DetectionStrategy) => "Detection strategy",
        Some(Concept::Analytic) => "Analytic",
        Some(Concept::Asset) => "Asset",
        Some(Concept::Matrix) => "Matrix",
        None => "Object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn website_paths_parse() {
        let object = |s: &'static str, id: &str| Target::Object(s, id.to_string());
        let cases = [
            (
                "/techniques/T1059/001/",
                None,
                object("techniques", "T1059.001"),
            ),
            (
                "/techniques/t1059/001",
                None,
                object("techniques", "T1059.001"),
            ),
            ("/tactics/TA0006", None, object("tactics", "TA0006")),
            ("/groups/G0016/", None, object("groups", "G0016")),
            ("/software/S0154", None, object("software", "S0154")),
            (
                "/detectionstrategies/DET0103/",
                None,
                object("detectionstrategies", "DET0103"),
            ),
            ("/assets/A0001", None, object("assets", "A0001")),
            (
                "/matrices/enterprise/",
                None,
                Target::Matrix(Domain::Enterprise),
            ),
            (
                "/matrices/mobile-attack",
                None,
                Target::Matrix(Domain::Mobile),
            ),
            ("/matrices/ics/", None, Target::Matrix(Domain::Ics)),
            (
                "/versions/v17.1/groups/G0016/",
                Some("17.1"),
                object("groups", "G0016"),
            ),
            ("/versions/v17/", Some("17"), Target::Home),
            ("/", None, Target::Home),
        ];
        for (path, version, target) in cases {
            let located = locate(path).unwrap_or_else(|| panic!("{path}"));
            assert_eq!(located.version.as_deref(), version, "{path}");
            assert_eq!(located.target, target, "{path}");
        }
        for bad in [
            "/nothing/T1",
            "/techniques/T1059/001/extra",
            "/matrices/pre",
        ] {
            assert_eq!(locate(bad), None, "{bad}");
        }
    }
}
