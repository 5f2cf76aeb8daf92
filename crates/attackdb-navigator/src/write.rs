//! Writing layers as JSON: fields in the spec's order, unknown fields after them, whole numbers
//! written as integers (mitreattack-python wants integer gradient bounds).

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::model::{
    Extra, Filters, Gradient, Layer, Layout, LegendItem, LinkItem, MetadataItem, Technique,
    Versions,
};
use crate::problem::Result;

/// A number written as an integer when it is one.
struct Num(f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let n = self.0;
        if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
            s.serialize_i64(n as i64)
        } else {
            s.serialize_f64(n)
        }
    }
}

/// Serializes a map entry only when the value is present.
fn opt<M: SerializeMap, T: Serialize>(
    map: &mut M,
    key: &str,
    value: &Option<T>,
) -> std::result::Result<(), M::Error> {
    if let Some(value) = value {
        map.serialize_entry(key, value)?;
    }
    Ok(())
}

fn extra<M: SerializeMap>(map: &mut M, extra: &Extra) -> std::result::Result<(), M::Error> {
    for (key, value) in extra {
        map.serialize_entry(key, value)?;
    }
    Ok(())
}

impl Serialize for Layer {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("name", &self.name)?;
        opt(&mut map, "versions", &self.versions)?;
        map.serialize_entry("domain", &self.domain)?;
        opt(&mut map, "description", &self.description)?;
        opt(&mut map, "customDataURL", &self.custom_data_url)?;
        opt(&mut map, "filters", &self.filters)?;
        opt(&mut map, "sorting", &self.sorting)?;
        opt(&mut map, "layout", &self.layout)?;
        opt(&mut map, "hideDisabled", &self.hide_disabled)?;
        map.serialize_entry("techniques", &self.techniques)?;
        opt(&mut map, "gradient", &self.gradient)?;
        if !self.legend_items.is_empty() {
            map.serialize_entry("legendItems", &self.legend_items)?;
        }
        opt(
            &mut map,
            "showTacticRowBackground",
            &self.show_tactic_row_background,
        )?;
        opt(&mut map, "tacticRowBackground", &self.tactic_row_background)?;
        opt(
            &mut map,
            "selectTechniquesAcrossTactics",
            &self.select_techniques_across_tactics,
        )?;
        opt(
            &mut map,
            "selectSubtechniquesWithParent",
            &self.select_subtechniques_with_parent,
        )?;
        opt(
            &mut map,
            "selectVisibleTechniques",
            &self.select_visible_techniques,
        )?;
        if !self.metadata.is_empty() {
            map.serialize_entry("metadata", &self.metadata)?;
        }
        if !self.links.is_empty() {
            map.serialize_entry("links", &self.links)?;
        }
        extra(&mut map, &self.extra)?;
        map.end()
    }
}

impl Serialize for Versions {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        opt(&mut map, "attack", &self.attack)?;
        opt(&mut map, "navigator", &self.navigator)?;
        opt(&mut map, "layer", &self.layer)?;
        extra(&mut map, &self.extra)?;
        map.end()
    }
}

impl Serialize for Filters {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        opt(&mut map, "platforms", &self.platforms)?;
        extra(&mut map, &self.extra)?;
        map.end()
    }
}

impl Serialize for Layout {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        opt(&mut map, "layout", &self.layout.map(|l| l.as_str()))?;
        opt(&mut map, "showID", &self.show_id)?;
        opt(&mut map, "showName", &self.show_name)?;
        opt(&mut map, "showAggregateScores", &self.show_aggregate_scores)?;
        opt(&mut map, "countUnscored", &self.count_unscored)?;
        opt(
            &mut map,
            "aggregateFunction",
            &self.aggregate_function.map(|a| a.as_str()),
        )?;
        opt(
            &mut map,
            "expandedSubtechniques",
            &self.expanded_subtechniques.map(|e| e.as_str()),
        )?;
        extra(&mut map, &self.extra)?;
        map.end()
    }
}

impl Serialize for Technique {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("techniqueID", &self.technique_id)?;
        opt(&mut map, "tactic", &self.tactic)?;
        opt(&mut map, "score", &self.score.map(Num))?;
        opt(&mut map, "color", &self.color)?;
        opt(&mut map, "comment", &self.comment)?;
        opt(&mut map, "enabled", &self.enabled)?;
        if !self.metadata.is_empty() {
            map.serialize_entry("metadata", &self.metadata)?;
        }
        if !self.links.is_empty() {
            map.serialize_entry("links", &self.links)?;
        }
        opt(&mut map, "showSubtechniques", &self.show_subtechniques)?;
        extra(&mut map, &self.extra)?;
        map.end()
    }
}

impl Serialize for Gradient {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("colors", &self.colors)?;
        map.serialize_entry("minValue", &Num(self.min_value))?;
        map.serialize_entry("maxValue", &Num(self.max_value))?;
        extra(&mut map, &self.extra)?;
        map.end()
    }
}

impl Serialize for LegendItem {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("label", &self.label)?;
        map.serialize_entry("color", &self.color)?;
        extra(&mut map, &self.extra)?;
        map.end()
    }
}

/// Writes a `metadata` / `links` item: a named pair of strings, or a divider.
fn pair_or_divider<S: Serializer>(
    s: S,
    pair: Option<[(&str, &str); 2]>,
    divider: Option<bool>,
    more: &Extra,
) -> std::result::Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(None)?;
    for (key, value) in pair.into_iter().flatten() {
        map.serialize_entry(key, value)?;
    }
    if let Some(divider) = divider {
        map.serialize_entry("divider", &divider)?;
    }
    extra(&mut map, more)?;
    map.end()
}

impl Serialize for MetadataItem {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            MetadataItem::Entry { name, value, extra } => {
                pair_or_divider(s, Some([("name", name), ("value", value)]), None, extra)
            }
            MetadataItem::Divider { divider, extra } => {
                pair_or_divider(s, None, Some(*divider), extra)
            }
        }
    }
}

impl Serialize for LinkItem {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            LinkItem::Link { label, url, extra } => {
                pair_or_divider(s, Some([("label", label), ("url", url)]), None, extra)
            }
            LinkItem::Divider { divider, extra } => pair_or_divider(s, None, Some(*divider), extra),
        }
    }
}

/// One layer as pretty JSON (4-space indented, as the spec's examples), with a final newline.
pub fn layer_to_json(layer: &Layer) -> Result<String> {
    to_pretty(layer)
}

/// Layers as a file: a single layer as an object when `as_list` is false and there is exactly
/// one, else a JSON list.
pub fn layers_to_json(layers: &[Layer], as_list: bool) -> Result<String> {
    match layers {
        [one] if !as_list => to_pretty(one),
        _ => to_pretty(&layers),
    }
}

/// A layer as a `serde_json::Value` (keys then sorted, as `Value` maps are).
pub fn layer_to_value(layer: &Layer) -> Result<Value> {
    Ok(serde_json::to_value(layer)?)
}

fn to_pretty<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value.serialize(&mut serializer)?;
    out.push(b'\n');
    Ok(String::from_utf8_lossy(&out).into_owned())
}
