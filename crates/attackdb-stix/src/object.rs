//! One STIX object as ATT&CK uses it: the fields queries need, typed, plus the byte range of the
//! object's original JSON in its bundle.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::fields::is_known_field;

/// The STIX `type` of an object. Types this crate does not know are kept as [`ObjectType::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ObjectType {
    /// `attack-pattern`: a technique or sub-technique.
    AttackPattern,
    /// `campaign`.
    Campaign,
    /// `course-of-action`: a mitigation.
    CourseOfAction,
    /// `identity`.
    Identity,
    /// `intrusion-set`: a group.
    IntrusionSet,
    /// `malware`: software.
    Malware,
    /// `tool`: software.
    Tool,
    /// `marking-definition`.
    MarkingDefinition,
    /// `relationship`.
    Relationship,
    /// `x-mitre-asset`: an ICS asset.
    Asset,
    /// `x-mitre-collection`: the bundle's release record.
    Collection,
    /// `x-mitre-data-component`.
    DataComponent,
    /// `x-mitre-data-source`.
    DataSource,
    /// `x-mitre-matrix`.
    Matrix,
    /// `x-mitre-tactic`.
    Tactic,
    /// `x-mitre-detection-strategy` (ATT&CK 18+).
    DetectionStrategy,
    /// `x-mitre-analytic` (ATT&CK 18+).
    Analytic,
    /// Any other type (a newer release may add some).
    Other(Box<str>),
}

impl ObjectType {
    /// Every known type, in a stable order.
    pub const KNOWN: [ObjectType; 17] = [
        ObjectType::AttackPattern,
        ObjectType::Campaign,
        ObjectType::CourseOfAction,
        ObjectType::Identity,
        ObjectType::IntrusionSet,
        ObjectType::Malware,
        ObjectType::Tool,
        ObjectType::MarkingDefinition,
        ObjectType::Relationship,
        ObjectType::Asset,
        ObjectType::Collection,
        ObjectType::DataComponent,
        ObjectType::DataSource,
        ObjectType::Matrix,
        ObjectType::Tactic,
        ObjectType::DetectionStrategy,
        ObjectType::Analytic,
    ];

    /// Parses a STIX type name.
    pub fn parse(name: &str) -> ObjectType {
        match name {
            "attack-pattern" => ObjectType::AttackPattern,
            "campaign" => ObjectType::Campaign,
            "course-of-action" => ObjectType::CourseOfAction,
            "identity" => ObjectType::Identity,
            "intrusion-set" => ObjectType::IntrusionSet,
            "malware" => ObjectType::Malware,
            "tool" => ObjectType::Tool,
            "marking-definition" => ObjectType::MarkingDefinition,
            "relationship" => ObjectType::Relationship,
            "x-mitre-asset" => ObjectType::Asset,
            "x-mitre-collection" => ObjectType::Collection,
            "x-mitre-data-component" => ObjectType::DataComponent,
            "x-mitre-data-source" => ObjectType::DataSource,
            "x-mitre-matrix" => ObjectType::Matrix,
            "x-mitre-tactic" => ObjectType::Tactic,
            "x-mitre-detection-strategy" => ObjectType::DetectionStrategy,
            "x-mitre-analytic" => ObjectType::Analytic,
            other => ObjectType::Other(other.into()),
        }
    }

    /// The STIX type name.
    pub fn as_str(&self) -> &str {
        match self {
            ObjectType::AttackPattern => "attack-pattern",
            ObjectType::Campaign => "campaign",
            ObjectType::CourseOfAction => "course-of-action",
            ObjectType::Identity => "identity",
            ObjectType::IntrusionSet => "intrusion-set",
            ObjectType::Malware => "malware",
            ObjectType::Tool => "tool",
            ObjectType::MarkingDefinition => "marking-definition",
            ObjectType::Relationship => "relationship",
            ObjectType::Asset => "x-mitre-asset",
            ObjectType::Collection => "x-mitre-collection",
            ObjectType::DataComponent => "x-mitre-data-component",
            ObjectType::DataSource => "x-mitre-data-source",
            ObjectType::Matrix => "x-mitre-matrix",
            ObjectType::Tactic => "x-mitre-tactic",
            ObjectType::DetectionStrategy => "x-mitre-detection-strategy",
            ObjectType::Analytic => "x-mitre-analytic",
            ObjectType::Other(name) => name,
        }
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `kill_chain_phases` entry: links a technique to a tactic by its shortname.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillChainPhase {
    /// `mitre-attack`, `mitre-mobile-attack` or `mitre-ics-attack` (older: `mitre-pre-attack`).
    pub kill_chain_name: Box<str>,
    /// The tactic shortname, e.g. `defense-evasion`.
    pub phase_name: Box<str>,
}

/// An `external_references` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalReference {
    /// `mitre-attack` for the ATT&CK ID; a citation name otherwise.
    pub source_name: Box<str>,
    /// The ATT&CK ID (e.g. `T1059.001`) or another system's ID.
    #[serde(default)]
    pub external_id: Option<Box<str>>,
    /// A link.
    #[serde(default)]
    pub url: Option<Box<str>>,
    /// The citation text.
    #[serde(default)]
    pub description: Option<Box<str>>,
}

/// A data component's log source (ATT&CK 18+: `x_mitre_log_sources`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSource {
    /// E.g. `WinEventLog:Security`.
    pub name: Box<str>,
    /// E.g. `EventCode=4688`.
    #[serde(default)]
    pub channel: Option<Box<str>>,
}

/// An analytic's reference to a data component and one of its log sources
/// (ATT&CK 18+: `x_mitre_log_source_references`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSourceReference {
    /// STIX ID of the data component.
    #[serde(rename = "x_mitre_data_component_ref")]
    pub data_component_ref: Box<str>,
    /// Log source name.
    pub name: Box<str>,
    /// Log source channel.
    #[serde(default)]
    pub channel: Option<Box<str>>,
}

/// One STIX object with the fields ATT&CK queries need. Fields absent from the JSON are empty.
///
/// Its derived serde implementation writes and reads the fields as named here (for tools that
/// keep objects in their own formats); STIX JSON is read through a hand-written visitor
/// (`JsonObject`), in one pass, noting unknown fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StixObject {
    /// STIX `id`.
    pub id: Box<str>,
    /// STIX `type`.
    pub kind: ObjectType,
    /// Byte range of the object's JSON in [`crate::Bundle::text`].
    pub raw: Range<usize>,
    /// `name`.
    pub name: Option<Box<str>>,
    /// `description` (Markdown).
    pub description: Option<Box<str>>,
    /// `created` timestamp as written.
    pub created: Option<Box<str>>,
    /// `modified` timestamp as written.
    pub modified: Option<Box<str>>,
    /// `revoked`.
    pub revoked: bool,
    /// `x_mitre_deprecated`.
    pub deprecated: bool,
    /// `spec_version`.
    pub spec_version: Option<Box<str>>,
    /// `x_mitre_version`.
    pub version: Option<Box<str>>,
    /// `x_mitre_attack_spec_version`.
    pub attack_spec_version: Option<Box<str>>,
    /// `external_references`.
    pub external_references: Vec<ExternalReference>,
    /// `x_mitre_platforms`.
    pub platforms: Vec<Box<str>>,
    /// `x_mitre_domains`.
    pub domains: Vec<Box<str>>,
    /// `aliases` (groups, campaigns) or `x_mitre_aliases` (software).
    pub aliases: Vec<Box<str>>,
    /// `x_mitre_contributors`.
    pub contributors: Vec<Box<str>>,
    /// `labels`.
    pub labels: Vec<Box<str>>,
    /// `kill_chain_phases`.
    pub kill_chain_phases: Vec<KillChainPhase>,
    /// `x_mitre_is_subtechnique`.
    pub is_subtechnique: bool,
    /// `x_mitre_shortname` (tactics).
    pub shortname: Option<Box<str>>,
    /// `tactic_refs` (matrices).
    pub tactic_refs: Vec<Box<str>>,
    /// `relationship_type`.
    pub relationship_type: Option<Box<str>>,
    /// `source_ref`.
    pub source_ref: Option<Box<str>>,
    /// `target_ref`.
    pub target_ref: Option<Box<str>>,
    /// `first_seen` (campaigns).
    pub first_seen: Option<Box<str>>,
    /// `last_seen` (campaigns).
    pub last_seen: Option<Box<str>>,
    /// `x_mitre_data_source_ref` (data components).
    pub data_source_ref: Option<Box<str>>,
    /// `x_mitre_log_sources` (data components, 18+).
    pub log_sources: Vec<LogSource>,
    /// `x_mitre_analytic_refs` (detection strategies).
    pub analytic_refs: Vec<Box<str>>,
    /// `x_mitre_log_source_references` (analytics).
    pub log_source_references: Vec<LogSourceReference>,
    /// `x_mitre_sectors` or `sectors` (assets).
    pub sectors: Vec<Box<str>>,
    /// Fields of this object that this crate does not know.
    pub unknown_fields: Vec<Box<str>>,
    /// Index in `external_references` of the entry carrying the ATT&CK ID, found once when the
    /// object is read (`u16::MAX`: none, or not computed).
    attack_ref: u16,
}

impl Default for ObjectType {
    /// An empty [`ObjectType::Other`]: the type of an object not yet read.
    fn default() -> Self {
        ObjectType::Other("".into())
    }
}

impl StixObject {
    /// The `external_references` entry that carries the ATT&CK ID, if any.
    pub fn attack_reference(&self) -> Option<&ExternalReference> {
        let cached = self
            .external_references
            .get(usize::from(self.attack_ref))
            .filter(|r| is_attack_reference(r));
        cached.or_else(|| {
            self.external_references
                .iter()
                .find(|r| is_attack_reference(r))
        })
    }

    /// Remembers which external reference carries the ATT&CK ID (call after changing
    /// `external_references`; [`StixObject::attack_reference`] is right either way, only slower).
    pub fn index_attack_reference(&mut self) {
        self.attack_ref = self
            .external_references
            .iter()
            .position(is_attack_reference)
            .and_then(|i| u16::try_from(i).ok())
            .unwrap_or(u16::MAX);
    }

    /// The ATT&CK ID (e.g. `T1059.001`), if the object has one.
    pub fn attack_id(&self) -> Option<&str> {
        self.attack_reference()
            .and_then(|r| r.external_id.as_deref())
    }
}

fn is_attack_reference(reference: &ExternalReference) -> bool {
    crate::ATTACK_SOURCE_NAMES.contains(&&*reference.source_name) && reference.external_id.is_some()
}

/// A string field that may be JSON `null`.
type OptCow<'a> = Option<Cow<'a, str>>;

fn boxed(value: OptCow<'_>) -> Option<Box<str>> {
    value.map(|v| v.into())
}

/// A list of strings, `null` read as empty.
fn string_list<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Vec<Box<str>>, A::Error> {
    let list: Option<Vec<Cow<'de, str>>> = map.next_value()?;
    Ok(list
        .unwrap_or_default()
        .into_iter()
        .map(|s| s.into())
        .collect())
}

/// A list of structs, `null` read as empty.
fn struct_list<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
) -> Result<Vec<T>, A::Error> {
    let list: Option<Vec<T>> = map.next_value()?;
    Ok(list.unwrap_or_default())
}

/// A boolean, `null` read as false.
fn flag<'de, A: MapAccess<'de>>(map: &mut A) -> Result<bool, A::Error> {
    let value: Option<bool> = map.next_value()?;
    Ok(value.unwrap_or(false))
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = StixObject;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a STIX object (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StixObject, A::Error> {
        let mut object = StixObject::default();
        let mut saw_id = false;
        let mut saw_type = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "id" => {
                    let id: Cow<'de, str> = map.next_value()?;
                    object.id = id.into();
                    saw_id = true;
                }
                "type" => {
                    let kind: Cow<'de, str> = map.next_value()?;
                    object.kind = ObjectType::parse(&kind);
                    saw_type = true;
                }
                "name" => object.name = boxed(map.next_value()?),
                "description" => object.description = boxed(map.next_value()?),
                "created" => object.created = boxed(map.next_value()?),
                "modified" => object.modified = boxed(map.next_value()?),
                "revoked" => object.revoked = flag(&mut map)?,
                "x_mitre_deprecated" => object.deprecated = flag(&mut map)?,
                "spec_version" => object.spec_version = boxed(map.next_value()?),
                "x_mitre_version" => object.version = boxed(map.next_value()?),
                "x_mitre_attack_spec_version" => {
                    object.attack_spec_version = boxed(map.next_value()?)
                }
                "external_references" => object.external_references = struct_list(&mut map)?,
                "x_mitre_platforms" => object.platforms = string_list(&mut map)?,
                "x_mitre_domains" => object.domains = string_list(&mut map)?,
                "aliases" | "x_mitre_aliases" => object.aliases = string_list(&mut map)?,
                "x_mitre_contributors" => object.contributors = string_list(&mut map)?,
                "labels" => object.labels = string_list(&mut map)?,
                "kill_chain_phases" => object.kill_chain_phases = struct_list(&mut map)?,
                "x_mitre_is_subtechnique" => object.is_subtechnique = flag(&mut map)?,
                "x_mitre_shortname" => object.shortname = boxed(map.next_value()?),
                "tactic_refs" => object.tactic_refs = string_list(&mut map)?,
                "relationship_type" => object.relationship_type = boxed(map.next_value()?),
                "source_ref" => object.source_ref = boxed(map.next_value()?),
                "target_ref" => object.target_ref = boxed(map.next_value()?),
                "first_seen" => object.first_seen = boxed(map.next_value()?),
                "last_seen" => object.last_seen = boxed(map.next_value()?),
                "x_mitre_data_source_ref" => object.data_source_ref = boxed(map.next_value()?),
                "x_mitre_log_sources" => object.log_sources = struct_list(&mut map)?,
                "x_mitre_analytic_refs" => object.analytic_refs = string_list(&mut map)?,
                "x_mitre_log_source_references" => {
                    object.log_source_references = struct_list(&mut map)?
                }
                "x_mitre_sectors" | "sectors" => object.sectors = string_list(&mut map)?,
                other => {
                    if !is_known_field(other) {
                        object.unknown_fields.push(other.into());
                    }
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !saw_type {
            return Err(de::Error::missing_field("type"));
        }
        if !saw_id {
            return Err(de::Error::missing_field("id"));
        }
        object.index_attack_reference();
        Ok(object)
    }
}

/// A [`StixObject`] read from STIX JSON: one pass over the object's keys, unknown fields noted.
pub(crate) struct JsonObject(pub(crate) StixObject);

impl<'de> Deserialize<'de> for JsonObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<JsonObject, D::Error> {
        deserializer.deserialize_map(ObjectVisitor).map(JsonObject)
    }
}
