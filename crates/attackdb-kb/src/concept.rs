//! ATT&CK concepts (technique, group, ...) as the user names them, and which objects they cover.

use attackdb_stix::{ObjectType, StixObject};

/// An ATT&CK concept: a kind of object as the user sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Concept {
    /// Techniques that are not sub-techniques.
    Technique,
    /// Sub-techniques.
    Subtechnique,
    /// Tactics.
    Tactic,
    /// Groups (`intrusion-set`).
    Group,
    /// Software (`malware` and `tool`).
    Software,
    /// Mitigations (`course-of-action`).
    Mitigation,
    /// Campaigns.
    Campaign,
    /// Data sources.
    DataSource,
    /// Data components.
    DataComponent,
    /// Detection strategies (18+).
    DetectionStrategy,
    /// Analytics (18+).
    Analytic,
    /// ICS assets.
    Asset,
    /// Matrices.
    Matrix,
}

impl Concept {
    /// Every concept, in display order.
    pub const ALL: [Concept; 13] = [
        Concept::Tactic,
        Concept::Technique,
        Concept::Subtechnique,
        Concept::Group,
        Concept::Software,
        Concept::Campaign,
        Concept::Mitigation,
        Concept::DataSource,
        Concept::DataComponent,
        Concept::DetectionStrategy,
        Concept::Analytic,
        Concept::Asset,
        Concept::Matrix,
    ];

    /// The plural name used by the CLI (`techniques`, `datacomponents`, ...).
    pub fn plural(self) -> &'static str {
        match self {
            Concept::Technique => "techniques",
            Concept::Subtechnique => "subtechniques",
            Concept::Tactic => "tactics",
            Concept::Group => "groups",
            Concept::Software => "software",
            Concept::Mitigation => "mitigations",
            Concept::Campaign => "campaigns",
            Concept::DataSource => "datasources",
            Concept::DataComponent => "datacomponents",
            Concept::DetectionStrategy => "detectionstrategies",
            Concept::Analytic => "analytics",
            Concept::Asset => "assets",
            Concept::Matrix => "matrices",
        }
    }

    /// A readable singular name.
    pub fn singular(self) -> &'static str {
        match self {
            Concept::Technique => "technique",
            Concept::Subtechnique => "sub-technique",
            Concept::Tactic => "tactic",
            Concept::Group => "group",
            Concept::Software => "software",
            Concept::Mitigation => "mitigation",
            Concept::Campaign => "campaign",
            Concept::DataSource => "data source",
            Concept::DataComponent => "data component",
            Concept::DetectionStrategy => "detection strategy",
            Concept::Analytic => "analytic",
            Concept::Asset => "asset",
            Concept::Matrix => "matrix",
        }
    }

    /// Parses a plural or singular name, case-insensitively, ignoring `-`, `_` and spaces.
    pub fn parse(name: &str) -> Option<Concept> {
        let key: String = name
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect::<String>()
            .to_ascii_lowercase();
        Concept::ALL.into_iter().find(|c| {
            let plural = c.plural();
            let singular: String = c
                .singular()
                .chars()
                .filter(|ch| !matches!(ch, '-' | ' '))
                .collect();
            key == plural || key == singular
        })
    }

    /// The STIX types whose objects may be of this concept.
    pub fn stix_types(self) -> &'static [ObjectType] {
        match self {
            Concept::Technique | Concept::Subtechnique => &[ObjectType::AttackPattern],
            Concept::Tactic => &[ObjectType::Tactic],
            Concept::Group => &[ObjectType::IntrusionSet],
            Concept::Software => &[ObjectType::Malware, ObjectType::Tool],
            Concept::Mitigation => &[ObjectType::CourseOfAction],
            Concept::Campaign => &[ObjectType::Campaign],
            Concept::DataSource => &[ObjectType::DataSource],
            Concept::DataComponent => &[ObjectType::DataComponent],
            Concept::DetectionStrategy => &[ObjectType::DetectionStrategy],
            Concept::Analytic => &[ObjectType::Analytic],
            Concept::Asset => &[ObjectType::Asset],
            Concept::Matrix => &[ObjectType::Matrix],
        }
    }

    /// The concept of `object`, if it is one of ATT&CK's.
    pub fn of(object: &StixObject) -> Option<Concept> {
        Some(match object.kind {
            ObjectType::AttackPattern if object.is_subtechnique => Concept::Subtechnique,
            ObjectType::AttackPattern => Concept::Technique,
            ObjectType::Tactic => Concept::Tactic,
            ObjectType::IntrusionSet => Concept::Group,
            ObjectType::Malware | ObjectType::Tool => Concept::Software,
            ObjectType::CourseOfAction => Concept::Mitigation,
            ObjectType::Campaign => Concept::Campaign,
            ObjectType::DataSource => Concept::DataSource,
            ObjectType::DataComponent => Concept::DataComponent,
            ObjectType::DetectionStrategy => Concept::DetectionStrategy,
            ObjectType::Analytic => Concept::Analytic,
            ObjectType::Asset => Concept::Asset,
            ObjectType::Matrix => Concept::Matrix,
            _ => return None,
        })
    }
}

/// Which retired objects a listing shows. The default hides both revoked and deprecated ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Visibility {
    /// Show revoked objects.
    pub include_revoked: bool,
    /// Show deprecated objects.
    pub include_deprecated: bool,
}

impl Visibility {
    /// Everything, retired or not (the library's `remove_revoked_deprecated=False`).
    pub const ALL: Visibility = Visibility {
        include_revoked: true,
        include_deprecated: true,
    };
    /// Only live objects (the library's `remove_revoked_deprecated=True`).
    pub const LIVE: Visibility = Visibility {
        include_revoked: false,
        include_deprecated: false,
    };

    /// Returns true if and only if `object` is shown.
    pub fn shows(self, object: &StixObject) -> bool {
        (self.include_revoked || !object.revoked) && (self.include_deprecated || !object.deprecated)
    }
}

#[cfg(test)]
mod tests {
    use super::Concept;

    #[test]
    fn concepts_parse_from_cli_names() {
        for concept in Concept::ALL {
            assert_eq!(Concept::parse(concept.plural()), Some(concept));
        }
        assert_eq!(Concept::parse("sub-technique"), Some(Concept::Subtechnique));
        assert_eq!(
            Concept::parse("Detection Strategy"),
            Some(Concept::DetectionStrategy)
        );
        assert_eq!(Concept::parse("widgets"), None);
    }
}
