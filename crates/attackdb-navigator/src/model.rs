//! The layer format 4.5 as Rust types: every field of the spec, plus every unknown field kept as
//! JSON so that it is written back. Optional fields stay `None` when absent, so a layer is written
//! back with the fields it was read with.

use std::collections::BTreeMap;

use serde_json::Value;

/// Fields the model does not know, kept as read (sorted by name) and written back after the known
/// ones.
pub type Extra = BTreeMap<String, Value>;

/// The layer format version this crate writes.
pub const LAYER_VERSION: &str = "4.5";
/// The Navigator version written into upgraded and generated layers (4.5 needs at least 4.9.0).
pub const NAVIGATOR_VERSION: &str = "5.1.0";
/// The three domains a 4.x layer may name.
pub const DOMAINS: [&str; 3] = ["enterprise-attack", "mobile-attack", "ics-attack"];

/// One Navigator layer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layer {
    /// `name` (required).
    pub name: String,
    /// `versions`: ATT&CK, Navigator and layer format versions.
    pub versions: Option<Versions>,
    /// `domain` (required): `enterprise-attack`, `mobile-attack` or `ics-attack`.
    pub domain: String,
    /// `description`.
    pub description: Option<String>,
    /// `customDataURL`: the bundle a custom layer was built from.
    pub custom_data_url: Option<String>,
    /// `filters`.
    pub filters: Option<Filters>,
    /// `sorting`: 0 name ascending, 1 name descending, 2 score ascending, 3 score descending.
    pub sorting: Option<u8>,
    /// `layout`.
    pub layout: Option<Layout>,
    /// `hideDisabled`.
    pub hide_disabled: Option<bool>,
    /// `techniques`: the annotations.
    pub techniques: Vec<Technique>,
    /// `gradient`.
    pub gradient: Option<Gradient>,
    /// `legendItems`.
    pub legend_items: Vec<LegendItem>,
    /// `showTacticRowBackground`.
    pub show_tactic_row_background: Option<bool>,
    /// `tacticRowBackground`.
    pub tactic_row_background: Option<String>,
    /// `selectTechniquesAcrossTactics`.
    pub select_techniques_across_tactics: Option<bool>,
    /// `selectSubtechniquesWithParent`.
    pub select_subtechniques_with_parent: Option<bool>,
    /// `selectVisibleTechniques`.
    pub select_visible_techniques: Option<bool>,
    /// `metadata`: name/value pairs and dividers.
    pub metadata: Vec<MetadataItem>,
    /// `links`: labelled URLs and dividers.
    pub links: Vec<LinkItem>,
    /// Unknown fields.
    pub extra: Extra,
}

/// `versions`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Versions {
    /// `attack`: the ATT&CK version the layer was made with.
    pub attack: Option<String>,
    /// `navigator`.
    pub navigator: Option<String>,
    /// `layer`: the layer format version.
    pub layer: Option<String>,
    /// Unknown fields.
    pub extra: Extra,
}

/// `filters`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filters {
    /// `platforms`: only techniques of these platforms are shown.
    pub platforms: Option<Vec<String>>,
    /// Unknown fields.
    pub extra: Extra,
}

/// `layout.layout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutKind {
    /// `side`.
    Side,
    /// `flat`.
    Flat,
    /// `mini`.
    Mini,
}

impl LayoutKind {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            LayoutKind::Side => "side",
            LayoutKind::Flat => "flat",
            LayoutKind::Mini => "mini",
        }
    }

    /// Parses the JSON name.
    pub fn parse(name: &str) -> Option<LayoutKind> {
        match name {
            "side" => Some(LayoutKind::Side),
            "flat" => Some(LayoutKind::Flat),
            "mini" => Some(LayoutKind::Mini),
            _ => None,
        }
    }
}

/// `layout.aggregateFunction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AggregateFunction {
    /// `average` (the default).
    #[default]
    Average,
    /// `min`.
    Min,
    /// `max`.
    Max,
    /// `sum`.
    Sum,
}

impl AggregateFunction {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            AggregateFunction::Average => "average",
            AggregateFunction::Min => "min",
            AggregateFunction::Max => "max",
            AggregateFunction::Sum => "sum",
        }
    }

    /// Parses the JSON name (case-insensitively, as mitreattack-python does).
    pub fn parse(name: &str) -> Option<AggregateFunction> {
        match name.to_ascii_lowercase().as_str() {
            "average" => Some(AggregateFunction::Average),
            "min" => Some(AggregateFunction::Min),
            "max" => Some(AggregateFunction::Max),
            "sum" => Some(AggregateFunction::Sum),
            _ => None,
        }
    }
}

/// `layout.expandedSubtechniques`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expanded {
    /// `none`.
    None,
    /// `all`.
    All,
    /// `annotated`.
    Annotated,
}

impl Expanded {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Expanded::None => "none",
            Expanded::All => "all",
            Expanded::Annotated => "annotated",
        }
    }

    /// Parses the JSON name.
    pub fn parse(name: &str) -> Option<Expanded> {
        match name {
            "none" => Some(Expanded::None),
            "all" => Some(Expanded::All),
            "annotated" => Some(Expanded::Annotated),
            _ => None,
        }
    }
}

/// `layout`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layout {
    /// `layout`: side, flat or mini.
    pub layout: Option<LayoutKind>,
    /// `showID`.
    pub show_id: Option<bool>,
    /// `showName`.
    pub show_name: Option<bool>,
    /// `showAggregateScores`.
    pub show_aggregate_scores: Option<bool>,
    /// `countUnscored`.
    pub count_unscored: Option<bool>,
    /// `aggregateFunction`.
    pub aggregate_function: Option<AggregateFunction>,
    /// `expandedSubtechniques`.
    pub expanded_subtechniques: Option<Expanded>,
    /// Unknown fields.
    pub extra: Extra,
}

/// One annotated technique or sub-technique (`techniques[i]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Technique {
    /// `techniqueID`: `T####` or `T####.###`.
    pub technique_id: String,
    /// `tactic`: a tactic shortname; absent means every tactic of the technique.
    pub tactic: Option<String>,
    /// `comment`.
    pub comment: Option<String>,
    /// `enabled`.
    pub enabled: Option<bool>,
    /// `score`; `None` is unscored.
    pub score: Option<f64>,
    /// `color`: a manual colour, which wins over the score's.
    pub color: Option<String>,
    /// `metadata`.
    pub metadata: Vec<MetadataItem>,
    /// `links`.
    pub links: Vec<LinkItem>,
    /// `showSubtechniques`.
    pub show_subtechniques: Option<bool>,
    /// Unknown fields.
    pub extra: Extra,
}

impl Technique {
    /// A bare annotation of `technique_id`.
    pub fn new(technique_id: &str) -> Technique {
        Technique {
            technique_id: technique_id.to_string(),
            ..Technique::default()
        }
    }

    /// Returns true if and only if the annotation says anything beyond its ID and tactic (the
    /// Navigator's "annotated": a score, comment, colour, metadata, links, or disabled).
    pub fn is_annotated(&self) -> bool {
        self.score.is_some()
            || self.comment.as_deref().is_some_and(|c| !c.is_empty())
            || self.color.as_deref().is_some_and(|c| !c.is_empty())
            || !self.metadata.is_empty()
            || !self.links.is_empty()
            || self.enabled == Some(false)
    }
}

/// `gradient`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradient {
    /// `colors`: at least two.
    pub colors: Vec<String>,
    /// `minValue`.
    pub min_value: f64,
    /// `maxValue`: greater than `minValue`.
    pub max_value: f64,
    /// Unknown fields.
    pub extra: Extra,
}

impl Default for Gradient {
    /// The Navigator's default: red, yellow, green from 0 to 100.
    fn default() -> Gradient {
        Gradient {
            colors: vec![
                "#ff6666ff".to_string(),
                "#ffe766ff".to_string(),
                "#8ec843ff".to_string(),
            ],
            min_value: 0.0,
            max_value: 100.0,
            extra: Extra::new(),
        }
    }
}

/// `legendItems[i]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LegendItem {
    /// `label`.
    pub label: String,
    /// `color`.
    pub color: String,
    /// Unknown fields.
    pub extra: Extra,
}

/// `metadata[i]`: a name/value pair or a divider.
#[derive(Debug, Clone, PartialEq)]
pub enum MetadataItem {
    /// `{"name": ..., "value": ...}`.
    Entry {
        /// `name`.
        name: String,
        /// `value`.
        value: String,
        /// Unknown fields.
        extra: Extra,
    },
    /// `{"divider": true}`.
    Divider {
        /// `divider`.
        divider: bool,
        /// Unknown fields.
        extra: Extra,
    },
}

impl MetadataItem {
    /// A name/value entry.
    pub fn entry(name: &str, value: &str) -> MetadataItem {
        MetadataItem::Entry {
            name: name.to_string(),
            value: value.to_string(),
            extra: Extra::new(),
        }
    }
}

/// `links[i]`: a labelled URL or a divider.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkItem {
    /// `{"label": ..., "url": ...}`.
    Link {
        /// `label`.
        label: String,
        /// `url`.
        url: String,
        /// Unknown fields.
        extra: Extra,
    },
    /// `{"divider": true}`.
    Divider {
        /// `divider`.
        divider: bool,
        /// Unknown fields.
        extra: Extra,
    },
}

impl LinkItem {
    /// A labelled URL.
    pub fn link(label: &str, url: &str) -> LinkItem {
        LinkItem::Link {
            label: label.to_string(),
            url: url.to_string(),
            extra: Extra::new(),
        }
    }
}

impl Layer {
    /// A new 4.5 layer with `name` and `domain` and nothing else but `versions`.
    pub fn new(name: &str, domain: &str, attack_version: Option<&str>) -> Layer {
        Layer {
            name: name.to_string(),
            domain: domain.to_string(),
            versions: Some(Versions {
                attack: attack_version.map(str::to_string),
                navigator: Some(NAVIGATOR_VERSION.to_string()),
                layer: Some(LAYER_VERSION.to_string()),
                extra: Extra::new(),
            }),
            ..Layer::default()
        }
    }

    /// The gradient in force: the layer's, else the Navigator's default.
    pub fn gradient_or_default(&self) -> Gradient {
        self.gradient.clone().unwrap_or_default()
    }

    /// The layout in force (defaults filled in by callers).
    pub fn layout_or_default(&self) -> Layout {
        self.layout.clone().unwrap_or_default()
    }

    /// The annotations of `technique_id` that apply under tactic `tactic`: those for that tactic
    /// and those without one.
    pub fn annotations_for<'a>(
        &'a self,
        technique_id: &'a str,
        tactic: &'a str,
    ) -> impl Iterator<Item = &'a Technique> + 'a {
        self.techniques.iter().filter(move |t| {
            t.technique_id.eq_ignore_ascii_case(technique_id)
                && t.tactic.as_deref().is_none_or(|x| x == tactic)
        })
    }

    /// The annotation that the Navigator shows for `technique_id` under `tactic`: the last one in
    /// the list that applies (the Navigator overwrites earlier ones as it reads).
    pub fn annotation(&self, technique_id: &str, tactic: &str) -> Option<&Technique> {
        self.techniques.iter().rev().find(|t| {
            t.technique_id.eq_ignore_ascii_case(technique_id)
                && t.tactic.as_deref().is_none_or(|x| x == tactic)
        })
    }
}
