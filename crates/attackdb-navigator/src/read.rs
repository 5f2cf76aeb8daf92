//! Reading layer files: one layer or a list; format 4.x, 3.0 and 2.x (and older), upgraded to 4.5
//! while reading. Every problem is reported with its JSON path, and a layer with problems is still
//! read as far as it goes, so the other layers of a file are still reported on.

use serde_json::{Map, Value};

use crate::model::{
    AggregateFunction, Expanded, Extra, Filters, Gradient, Layer, LayoutKind, LegendItem, LinkItem,
    MetadataItem, Technique, Versions, DOMAINS, LAYER_VERSION, NAVIGATOR_VERSION,
};
use crate::problem::{Error, Problem, Result, Severity};
use crate::{color, model::Layout};

/// A file of layers as read.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerFile {
    /// Whether the file held a JSON list (even of one layer).
    pub is_list: bool,
    /// Its layers, in order.
    pub layers: Vec<ReadLayer>,
}

/// One layer as read: the layer upgraded to 4.5 (as far as it could be read), the format version
/// it was written in, and every problem found.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadLayer {
    /// `$` for a single layer, `[i]` for the i-th of a list.
    pub path: String,
    /// The layer, upgraded to 4.5.
    pub layer: Layer,
    /// The layer format version it was written in (`2.2`, `3.0`, `4.3`...; `unknown` if none).
    pub source_version: String,
    /// Errors, warnings and notes, in document order.
    pub problems: Vec<Problem>,
}

impl ReadLayer {
    /// Returns true if and only if no problem is an error.
    pub fn is_valid(&self) -> bool {
        !self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> + '_ {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }
}

impl LayerFile {
    /// Returns true if and only if every layer is valid.
    pub fn is_valid(&self) -> bool {
        self.layers.iter().all(ReadLayer::is_valid)
    }

    /// The layers, failing with [`Error::Invalid`] on the first invalid one.
    pub fn into_valid_layers(self) -> Result<Vec<Layer>> {
        let mut layers = Vec::with_capacity(self.layers.len());
        for read in self.layers {
            if !read.is_valid() {
                return Err(Error::Invalid {
                    problems: read.errors().cloned().collect(),
                    layer: read.path,
                });
            }
            layers.push(read.layer);
        }
        Ok(layers)
    }
}

/// Reads a layer file: a JSON layer object or a list of them. Fails only when the text is not
/// JSON or not an object or list; anything else is a [`Problem`] of the layer concerned.
pub fn read_layers(text: &str) -> Result<LayerFile> {
    let limits = crate::limits::limits();
    if text.len() > limits.max_layer_bytes {
        return Err(Error::TooLarge(format!(
            "the layer file is {} bytes, more than the {} allowed (ATTACKDB_MAX_LAYER_BYTES raises the limit)",
            text.len(),
            limits.max_layer_bytes
        )));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Value =
        attackdb_kb::stix::from_str_within(text, limits.max_json_depth).map_err(|e| match e {
            attackdb_kb::stix::JsonError::TooDeep(depth) => Error::TooDeep(depth),
            attackdb_kb::stix::JsonError::Json(e) => Error::NotJson {
                message: e
                    .to_string()
                    .split(" at line")
                    .next()
                    .unwrap_or("")
                    .to_string(),
                line: e.line(),
                column: e.column(),
            },
        })?;
    match value {
        Value::Object(object) => Ok(LayerFile {
            is_list: false,
            layers: vec![read_layer_object(&object, "$")],
        }),
        Value::Array(items) => {
            let layers = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let path = format!("[{i}]");
                    match item {
                        Value::Object(object) => read_layer_object(object, &path),
                        other => ReadLayer {
                            problems: vec![Problem::error(
                                path.clone(),
                                format!("expected a layer object, found {}", describe(other)),
                            )],
                            path,
                            layer: Layer::default(),
                            source_version: "unknown".to_string(),
                        },
                    }
                })
                .collect();
            Ok(LayerFile {
                is_list: true,
                layers,
            })
        }
        other => Err(Error::NotALayer {
            found: describe(&other).to_string(),
        }),
    }
}

/// Reads one layer from a JSON value (an object), as [`read_layers`] does for each.
pub fn read_layer_value(value: &Value) -> ReadLayer {
    match value {
        Value::Object(object) => read_layer_object(object, "$"),
        other => ReadLayer {
            path: "$".to_string(),
            layer: Layer::default(),
            source_version: "unknown".to_string(),
            problems: vec![Problem::error(
                "$",
                format!("expected a layer object, found {}", describe(other)),
            )],
        },
    }
}

/// `a string`, `a number`... for messages.
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Builds paths and collects problems while reading one layer.
struct Reader {
    root: String,
    problems: Vec<Problem>,
}

impl Reader {
    fn path(&self, field: &str) -> String {
        if field == "$" {
            self.root.clone()
        } else if self.root == "$" {
            field.to_string()
        } else if field.starts_with('[') {
            format!("{}{field}", self.root)
        } else {
            format!("{}.{field}", self.root)
        }
    }

    fn error(&mut self, field: &str, message: impl Into<String>) {
        let path = self.path(field);
        self.problems.push(Problem::error(path, message));
    }

    fn warning(&mut self, field: &str, message: impl Into<String>) {
        let path = self.path(field);
        self.problems.push(Problem::warning(path, message));
    }

    fn note(&mut self, field: &str, message: impl Into<String>) {
        let path = self.path(field);
        self.problems.push(Problem::note(path, message));
    }

    fn expected(&mut self, field: &str, what: &str, found: &Value) {
        self.error(field, format!("expected {what}, found {}", describe(found)));
    }

    fn string(&mut self, field: &str, value: &Value) -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            other => {
                self.expected(field, "a string", other);
                None
            }
        }
    }

    fn boolean(&mut self, field: &str, value: &Value) -> Option<bool> {
        match value {
            Value::Bool(b) => Some(*b),
            other => {
                self.expected(field, "true or false", other);
                None
            }
        }
    }

    fn number(&mut self, field: &str, value: &Value) -> Option<f64> {
        match value.as_f64() {
            Some(n) if value.is_number() && n.is_finite() => Some(n),
            _ => {
                self.expected(field, "a number", value);
                None
            }
        }
    }

    fn object<'v>(&mut self, field: &str, value: &'v Value) -> Option<&'v Map<String, Value>> {
        match value {
            Value::Object(o) => Some(o),
            other => {
                self.expected(field, "an object", other);
                None
            }
        }
    }

    fn list<'v>(&mut self, field: &str, value: &'v Value) -> Option<&'v [Value]> {
        match value {
            Value::Array(a) => Some(a),
            other => {
                self.expected(field, "a list", other);
                None
            }
        }
    }

    fn strings(&mut self, field: &str, value: &Value) -> Option<Vec<String>> {
        let items = self.list(field, value)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if let Some(s) = self.string(&format!("{field}[{i}]"), item) {
                out.push(s);
            }
        }
        Some(out)
    }

    fn colour(&mut self, field: &str, value: &Value) -> Option<String> {
        let s = self.string(field, value)?;
        if !s.is_empty() && color::Rgb::parse(&s).is_none() {
            self.error(field, format!("`{s}` is not a colour (expected #rrggbb)"));
        }
        Some(s)
    }

    fn unknown(&mut self, field: &str, key: &str, value: &Value, extra: &mut Extra) {
        self.note(field, format!("unknown field `{key}` kept as it is"));
        extra.insert(key.to_string(), value.clone());
    }
}

/// Returns true if and only if `id` looks like a technique ID: `T` + 4 digits, optionally `.` + 3.
pub fn is_technique_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    match bytes.len() {
        5 => bytes[0] == b'T' && digits(1..5),
        9 => bytes[0] == b'T' && digits(1..5) && bytes[5] == b'.' && digits(6..9),
        _ => false,
    }
}

/// The major and minor numbers of a version string (`"4.3"` -> (4, 3), `"2"` -> (2, 0)).
fn version_numbers(version: &str) -> Option<(u32, u32)> {
    let version = version.trim();
    let version = version.strip_prefix(['v', 'V']).unwrap_or(version);
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    // `4.5`, `4`, `4.5.1`, `4.5-beta`: the minor version is the digits after the first dot.
    let minor = match parts.next() {
        None => 0,
        Some(part) => {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()?
        }
    };
    Some((major, minor))
}

fn read_layer_object(object: &Map<String, Value>, root: &str) -> ReadLayer {
    let mut r = Reader {
        root: root.to_string(),
        problems: Vec::new(),
    };
    let mut layer = Layer::default();

    // The format version: `versions.layer` (4.x) or `version` (3.0 and older).
    let mut source_version = "unknown".to_string();
    if let Some(v) = object.get("version") {
        match v {
            Value::String(s) => source_version = s.clone(),
            Value::Number(n) => source_version = n.to_string(),
            other => r.expected("version", "a string", other),
        }
    }
    if let Some(Value::Object(versions)) = object.get("versions") {
        if let Some(Value::String(s)) = versions.get("layer") {
            source_version = s.clone();
        }
    }
    let numbers = version_numbers(&source_version);
    match numbers {
        Some((major, _)) if major > 4 => r.warning(
            "versions.layer",
            format!("layer format {source_version} is newer than 4.5; read as 4.5"),
        ),
        None if source_version != "unknown" => {
            let in_versions = object
                .get("versions")
                .and_then(|v| v.get("layer"))
                .is_some_and(Value::is_string);
            let field = if in_versions {
                "versions.layer"
            } else {
                "version"
            };
            r.error(
                field,
                format!(
                    "`{source_version}` is not a layer format version (expected X.Y, e.g. {LAYER_VERSION})"
                ),
            );
        }
        _ => {}
    }
    if source_version != LAYER_VERSION {
        r.note(
            "$",
            format!("upgraded from layer format {source_version} to {LAYER_VERSION}"),
        );
    }

    match object.get("name") {
        Some(v) => layer.name = r.string("name", v).unwrap_or_default(),
        None => r.error("name", "missing required field"),
    }
    match object.get("domain") {
        Some(v) => {
            if let Some(domain) = r.string("domain", v) {
                layer.domain = match domain.as_str() {
                    "mitre-enterprise" => "enterprise-attack".to_string(),
                    "mitre-mobile" => "mobile-attack".to_string(),
                    "mitre-ics" => "ics-attack".to_string(),
                    _ => domain.clone(),
                };
                if layer.domain != domain {
                    r.note("domain", format!("`{domain}` renamed `{}`", layer.domain));
                }
                if !DOMAINS.contains(&layer.domain.as_str()) {
                    r.error(
                        "domain",
                        format!(
                            "unknown domain `{domain}`: expected enterprise-attack, mobile-attack \
                             or ics-attack"
                        ),
                    );
                }
            }
        }
        None => r.error("domain", "missing required field"),
    }

    let mut view_mode = None;
    let mut hide_disable = None;
    for (key, value) in object {
        match key.as_str() {
            "name" | "domain" => {}
            "version" => r.note("version", "`version` replaced by `versions`"),
            "versions" => layer.versions = read_versions(&mut r, value),
            "description" => layer.description = r.string("description", value),
            "customDataURL" => layer.custom_data_url = r.string("customDataURL", value),
            "filters" => layer.filters = read_filters(&mut r, value),
            "sorting" => {
                if let Some(n) = r.number("sorting", value) {
                    if n.fract() == 0.0 && (0.0..=3.0).contains(&n) {
                        layer.sorting = Some(n as u8);
                    } else {
                        r.error("sorting", format!("expected 0, 1, 2 or 3, found {n}"));
                    }
                }
            }
            "viewMode" => view_mode = Some(value),
            "layout" => layer.layout = read_layout(&mut r, value),
            "hideDisabled" => layer.hide_disabled = r.boolean("hideDisabled", value),
            "hideDisable" => hide_disable = Some(value),
            "techniques" => {
                let most = crate::limits::limits().max_layer_techniques;
                if let Some(items) = r.list("techniques", value) {
                    if items.len() > most {
                        r.error(
                            "techniques",
                            format!(
                                "{} technique annotations, more than the {most} allowed (ATTACKDB_MAX_LAYER_TECHNIQUES raises the limit); none read",
                                items.len()
                            ),
                        );
                        continue;
                    }
                    for (i, item) in items.iter().enumerate() {
                        if let Some(t) = read_technique(&mut r, &format!("techniques[{i}]"), item) {
                            layer.techniques.push(t);
                        }
                    }
                }
            }
            "gradient" => layer.gradient = read_gradient(&mut r, value),
            "legendItems" => {
                if let Some(items) = r.list("legendItems", value) {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(l) =
                            read_legend_item(&mut r, &format!("legendItems[{i}]"), item)
                        {
                            layer.legend_items.push(l);
                        }
                    }
                }
            }
            "showTacticRowBackground" => {
                layer.show_tactic_row_background = r.boolean("showTacticRowBackground", value)
            }
            "tacticRowBackground" => {
                layer.tactic_row_background = r.colour("tacticRowBackground", value)
            }
            "selectTechniquesAcrossTactics" => {
                layer.select_techniques_across_tactics =
                    r.boolean("selectTechniquesAcrossTactics", value)
            }
            "selectSubtechniquesWithParent" => {
                layer.select_subtechniques_with_parent =
                    r.boolean("selectSubtechniquesWithParent", value)
            }
            "selectVisibleTechniques" => {
                layer.select_visible_techniques = r.boolean("selectVisibleTechniques", value)
            }
            "metadata" => layer.metadata = read_metadata(&mut r, "metadata", value),
            "links" => layer.links = read_links(&mut r, "links", value),
            _ => {
                let mut extra = std::mem::take(&mut layer.extra);
                r.unknown(key, key, value, &mut extra);
                layer.extra = extra;
            }
        }
    }

    // 2.x: `viewMode` became `layout` in 3.0, as the Navigator converts it.
    if let Some(value) = view_mode {
        match (value.as_f64(), layer.layout.is_some()) {
            (_, true) => r.note("viewMode", "`viewMode` dropped: `layout` is present"),
            (Some(mode), false) => {
                let mut layout = Layout::default();
                if mode == 1.0 {
                    layout.layout = Some(LayoutKind::Side);
                    layout.show_name = Some(false);
                    layout.show_id = Some(true);
                } else if mode == 2.0 {
                    layout.layout = Some(LayoutKind::Mini);
                    layout.show_name = Some(false);
                    layout.show_id = Some(false);
                } else {
                    layout.layout = Some(LayoutKind::Side);
                }
                layer.layout = Some(layout);
                r.note(
                    "viewMode",
                    format!("`viewMode` {mode} converted to `layout`"),
                );
            }
            (None, false) => r.expected("viewMode", "a number", value),
        }
    }
    // DeTT&CT writes `hideDisable`, meaning `hideDisabled`.
    if let Some(value) = hide_disable {
        if layer.hide_disabled.is_some() {
            r.note(
                "hideDisable",
                "`hideDisable` dropped: `hideDisabled` is present",
            );
        } else if let Some(b) = r.boolean("hideDisable", value) {
            layer.hide_disabled = Some(b);
            r.note(
                "hideDisable",
                "`hideDisable` (DeTT&CT's spelling) read as `hideDisabled`",
            );
        }
    }

    // Versions: always 4.5 after reading; the Navigator version at least 4.9.0.
    let mut versions = layer.versions.take().unwrap_or_default();
    versions.layer = Some(LAYER_VERSION.to_string());
    let navigator_ok = versions
        .navigator
        .as_deref()
        .and_then(version_numbers)
        .is_some_and(|(major, minor)| major > 4 || (major == 4 && minor >= 9));
    if !navigator_ok {
        versions.navigator = Some(NAVIGATOR_VERSION.to_string());
    }
    layer.versions = Some(versions);

    ReadLayer {
        path: root.to_string(),
        layer,
        source_version,
        problems: r.problems,
    }
}

fn read_versions(r: &mut Reader, value: &Value) -> Option<Versions> {
    let object = r.object("versions", value)?;
    let mut versions = Versions::default();
    for (key, value) in object {
        let field = format!("versions.{key}");
        match key.as_str() {
            "attack" => versions.attack = read_version_string(r, &field, value),
            "navigator" => versions.navigator = read_version_string(r, &field, value),
            "layer" => versions.layer = read_version_string(r, &field, value),
            _ => r.unknown(&field, key, value, &mut versions.extra),
        }
    }
    Some(versions)
}

/// Versions are strings, but some tools write numbers: accepted with a note.
fn read_version_string(r: &mut Reader, field: &str, value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => {
            r.note(
                field,
                "a number where the format has a string; written as a string",
            );
            Some(n.to_string())
        }
        other => r.string(field, other),
    }
}

fn read_filters(r: &mut Reader, value: &Value) -> Option<Filters> {
    let object = r.object("filters", value)?;
    let mut filters = Filters::default();
    for (key, value) in object {
        let field = format!("filters.{key}");
        match key.as_str() {
            "platforms" => filters.platforms = r.strings(&field, value),
            "stages" => r.note(&field, "`stages` (layer format 3.0 and older) dropped"),
            _ => r.unknown(&field, key, value, &mut filters.extra),
        }
    }
    Some(filters)
}

fn read_layout(r: &mut Reader, value: &Value) -> Option<Layout> {
    let object = r.object("layout", value)?;
    let mut layout = Layout::default();
    for (key, value) in object {
        let field = format!("layout.{key}");
        match key.as_str() {
            "layout" => {
                if let Some(s) = r.string(&field, value) {
                    layout.layout = LayoutKind::parse(&s);
                    if layout.layout.is_none() {
                        r.error(&field, format!("expected side, flat or mini, found `{s}`"));
                    }
                }
            }
            "showID" => layout.show_id = r.boolean(&field, value),
            "showName" => layout.show_name = r.boolean(&field, value),
            "showAggregateScores" => layout.show_aggregate_scores = r.boolean(&field, value),
            "countUnscored" => layout.count_unscored = r.boolean(&field, value),
            "aggregateFunction" => {
                if let Some(s) = r.string(&field, value) {
                    layout.aggregate_function = AggregateFunction::parse(&s);
                    if layout.aggregate_function.is_none() {
                        r.error(
                            &field,
                            format!("expected average, min, max or sum, found `{s}`"),
                        );
                    }
                }
            }
            "expandedSubtechniques" => {
                if let Some(s) = r.string(&field, value) {
                    layout.expanded_subtechniques = Expanded::parse(&s);
                    if layout.expanded_subtechniques.is_none() {
                        r.error(
                            &field,
                            format!("expected none, all or annotated, found `{s}`"),
                        );
                    }
                }
            }
            _ => r.unknown(&field, key, value, &mut layout.extra),
        }
    }
    Some(layout)
}

fn read_technique(r: &mut Reader, field: &str, value: &Value) -> Option<Technique> {
    let object = r.object(field, value)?;
    let mut technique = Technique::default();
    match object.get("techniqueID") {
        None => {
            r.error(&format!("{field}.techniqueID"), "missing required field");
        }
        Some(v) => {
            let sub = format!("{field}.techniqueID");
            if let Some(id) = r.string(&sub, v) {
                if !is_technique_id(&id) {
                    r.error(
                        &sub,
                        format!("`{id}` is not a technique ID (expected T#### or T####.###)"),
                    );
                }
                technique.technique_id = id;
            }
        }
    }
    for (key, value) in object {
        let sub = format!("{field}.{key}");
        match key.as_str() {
            "techniqueID" => {}
            "tactic" => technique.tactic = r.string(&sub, value),
            "comment" => technique.comment = r.string(&sub, value),
            "enabled" => technique.enabled = r.boolean(&sub, value),
            "score" => {
                // The Navigator writes an unscored technique without `score`; some tools write null.
                if !value.is_null() {
                    technique.score = r.number(&sub, value);
                }
            }
            "color" => technique.color = r.colour(&sub, value),
            "metadata" => technique.metadata = read_metadata(r, &sub, value),
            "links" => technique.links = read_links(r, &sub, value),
            "showSubtechniques" => technique.show_subtechniques = r.boolean(&sub, value),
            _ => r.unknown(&sub, key, value, &mut technique.extra),
        }
    }
    Some(technique)
}

fn read_gradient(r: &mut Reader, value: &Value) -> Option<Gradient> {
    let object = r.object("gradient", value)?;
    let mut colors = Vec::new();
    let mut min_value = None;
    let mut max_value = None;
    let mut extra = Extra::new();
    let mut ok = true;
    for (key, value) in object {
        let field = format!("gradient.{key}");
        match key.as_str() {
            "colors" => {
                if let Some(items) = r.list(&field, value) {
                    for (i, item) in items.iter().enumerate() {
                        let sub = format!("{field}[{i}]");
                        if let Some(c) = r.colour(&sub, item) {
                            if c.is_empty() {
                                r.error(&sub, "empty colour");
                            }
                            colors.push(c);
                        }
                    }
                } else {
                    ok = false;
                }
            }
            "minValue" => min_value = r.number(&field, value),
            "maxValue" => max_value = r.number(&field, value),
            _ => r.unknown(&field, key, value, &mut extra),
        }
    }
    for (name, found) in [
        ("colors", object.contains_key("colors")),
        ("minValue", object.contains_key("minValue")),
        ("maxValue", object.contains_key("maxValue")),
    ] {
        if !found {
            r.error(&format!("gradient.{name}"), "missing required field");
            ok = false;
        }
    }
    if ok && colors.len() < 2 {
        r.error(
            "gradient.colors",
            format!(
                "a gradient needs at least two colours, found {}",
                colors.len()
            ),
        );
    }
    let (Some(min_value), Some(max_value)) = (min_value, max_value) else {
        return None;
    };
    if min_value >= max_value {
        r.error(
            "gradient.maxValue",
            format!("maxValue ({max_value}) must be greater than minValue ({min_value})"),
        );
    }
    Some(Gradient {
        colors,
        min_value,
        max_value,
        extra,
    })
}

fn read_legend_item(r: &mut Reader, field: &str, value: &Value) -> Option<LegendItem> {
    let object = r.object(field, value)?;
    let mut item = LegendItem::default();
    for name in ["label", "color"] {
        if !object.contains_key(name) {
            r.error(&format!("{field}.{name}"), "missing required field");
        }
    }
    for (key, value) in object {
        let sub = format!("{field}.{key}");
        match key.as_str() {
            "label" => item.label = r.string(&sub, value).unwrap_or_default(),
            "color" => item.color = r.colour(&sub, value).unwrap_or_default(),
            _ => r.unknown(&sub, key, value, &mut item.extra),
        }
    }
    Some(item)
}

/// One item of a `metadata` or `links` list: a pair of required strings, or a divider.
enum PairItem {
    Pair(String, String, Extra),
    Divider(bool, Extra),
}

/// Reads a list of `{KEY1: string, KEY2: string}` items or `{"divider": bool}` items, the shape
/// shared by `metadata` (`name`, `value`) and `links` (`label`, `url`).
fn read_pairs(r: &mut Reader, field: &str, value: &Value, keys: [&str; 2]) -> Vec<PairItem> {
    let Some(items) = r.list(field, value) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let sub = format!("{field}[{i}]");
        let Some(object) = r.object(&sub, item) else {
            continue;
        };
        let mut extra = Extra::new();
        if let Some(divider) = object.get("divider") {
            let divider = r
                .boolean(&format!("{sub}.divider"), divider)
                .unwrap_or(true);
            for (key, value) in object {
                if key != "divider" {
                    r.unknown(&format!("{sub}.{key}"), key, value, &mut extra);
                }
            }
            out.push(PairItem::Divider(divider, extra));
            continue;
        }
        let mut found: [Option<String>; 2] = [None, None];
        for (key, value) in object {
            let path = format!("{sub}.{key}");
            match keys.iter().position(|k| k == key) {
                Some(slot) => found[slot] = r.string(&path, value),
                None => r.unknown(&path, key, value, &mut extra),
            }
        }
        for (key, present) in keys.iter().zip(found.iter().map(Option::is_some)) {
            if !present && !object.contains_key(*key) {
                r.error(&format!("{sub}.{key}"), "missing required field");
            }
        }
        let [first, second] = found;
        out.push(PairItem::Pair(
            first.unwrap_or_default(),
            second.unwrap_or_default(),
            extra,
        ));
    }
    out
}

fn read_metadata(r: &mut Reader, field: &str, value: &Value) -> Vec<MetadataItem> {
    read_pairs(r, field, value, ["name", "value"])
        .into_iter()
        .map(|item| match item {
            PairItem::Pair(name, value, extra) => MetadataItem::Entry { name, value, extra },
            PairItem::Divider(divider, extra) => MetadataItem::Divider { divider, extra },
        })
        .collect()
}

fn read_links(r: &mut Reader, field: &str, value: &Value) -> Vec<LinkItem> {
    read_pairs(r, field, value, ["label", "url"])
        .into_iter()
        .map(|item| match item {
            PairItem::Pair(label, url, extra) => LinkItem::Link { label, url, extra },
            PairItem::Divider(divider, extra) => LinkItem::Divider { divider, extra },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_links_with_dividers_round_trip() {
        let text = r#"{"name": "m", "domain": "enterprise-attack",
            "metadata": [{"name": "owner", "value": "soc", "x": 1}, {"divider": true}, {"name": "n"}],
            "links": [{"label": "wiki", "url": "https://example.org"}, {"divider": true, "y": 2}],
            "techniques": [{"techniqueID": "T1003", "metadata": [{"divider": true}],
                            "links": [{"label": "l", "url": "u"}]}]}"#;
        let file = read_layers(text).unwrap_or_else(|e| panic!("{e}"));
        let read = &file.layers[0];
        let messages: Vec<String> = read
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect();
        assert!(
            messages.contains(&"metadata[2].value: missing required field".to_string()),
            "{messages:?}"
        );
        let layer = &read.layer;
        assert_eq!(layer.metadata.len(), 3);
        assert!(matches!(
            &layer.metadata[1],
            MetadataItem::Divider { divider: true, .. }
        ));
        assert!(
            matches!(&layer.links[0], LinkItem::Link { label, url, .. } if label == "wiki" && url == "https://example.org")
        );
        assert!(
            matches!(&layer.links[1], LinkItem::Divider { extra, .. } if extra.contains_key("y"))
        );
        let written = crate::layer_to_json(layer).unwrap_or_else(|e| panic!("{e}"));
        let again = read_layers(&written).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&again.layers[0].layer, layer);
    }

    #[test]
    fn technique_ids() {
        assert!(is_technique_id("T1059"));
        assert!(is_technique_id("T1059.001"));
        assert!(!is_technique_id("t1059"));
        assert!(!is_technique_id("T105"));
        assert!(!is_technique_id("T1059.1"));
        assert!(!is_technique_id("T1059.0011"));
        assert!(!is_technique_id("TA0001"));
    }

    #[test]
    fn versions_parse() {
        assert_eq!(version_numbers("4.3"), Some((4, 3)));
        assert_eq!(version_numbers("2"), Some((2, 0)));
        assert_eq!(version_numbers("x"), None);
    }
}
