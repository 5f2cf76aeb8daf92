//! Loading a bundle: two passes over the text. The first splits `objects` into raw JSON slices
//! (validating the whole document); the second parses each slice into a [`StixObject`], in
//! parallel over the machine's cores. The bundle's domain and release come from its
//! `x-mitre-collection` object, else from its objects' `x_mitre_domains` and the file name.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::object::{JsonObject, ObjectType, StixObject};
use crate::objects::{Objects, Span};
use crate::read::{read_text_limited, Limits};
use crate::text::BundleText;
use crate::{Domain, Error, Release, Result};

/// The `x-mitre-collection` object of a bundle: the release it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collection {
    /// STIX ID (fixed per domain).
    pub id: String,
    /// E.g. `Enterprise ATT&CK`.
    pub name: String,
    /// The release, e.g. `18.1`.
    pub version: Option<String>,
    /// The ATT&CK data model version, e.g. `3.3.0`.
    pub attack_spec_version: Option<String>,
    /// `modified` of the collection.
    pub modified: Option<String>,
}

/// What a diagnostic is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiagnosticKind {
    /// Objects of a type this crate does not know (kept).
    UnknownType {
        /// The STIX type.
        object_type: String,
        /// How many objects have it.
        count: usize,
    },
    /// A field this crate does not know (kept in the raw JSON).
    UnknownField {
        /// The STIX type of the objects carrying it.
        object_type: String,
        /// The field.
        field: String,
        /// How many objects carry it.
        count: usize,
    },
    /// Two objects share one STIX ID; the first is kept.
    DuplicateId {
        /// The STIX ID.
        id: String,
    },
    /// The bundle's domain or release had to be guessed, or could not be found.
    Provenance {
        /// What was guessed and from what.
        message: String,
    },
    /// A relationship names an object that is not in the bundle.
    DanglingReference {
        /// The relationship's STIX ID.
        relationship: String,
        /// The missing object's STIX ID.
        missing: String,
    },
    /// Several live objects of one kind carry the same ATT&CK ID.
    DuplicateAttackId {
        /// The ATT&CK ID.
        attack_id: String,
        /// Their STIX IDs, in bundle order.
        objects: Vec<String>,
    },
    /// A bundle of a domain and release already loaded from another file (the file this
    /// diagnostic names), which was skipped.
    Shadowed {
        /// The file the domain and release were loaded from.
        kept: PathBuf,
    },
    /// A live sub-technique whose parent technique cannot be found (no `subtechnique-of`
    /// relationship to a technique, or only to sub-techniques, as in a cycle).
    OrphanSubtechnique {
        /// Its ATT&CK ID.
        id: String,
        /// Its STIX ID.
        stix_id: String,
    },
}

impl DiagnosticKind {
    /// Returns true if and only if this is a problem of the data a user should hear of at
    /// every load (a repeated ID, a dangling reference, a skipped bundle, an orphan), not a
    /// note on what was read (unknown types and fields, a release told from the file name).
    pub fn is_problem(&self) -> bool {
        match self {
            DiagnosticKind::UnknownType { .. } | DiagnosticKind::UnknownField { .. } => false,
            DiagnosticKind::Provenance { .. } => false,
            DiagnosticKind::Shadowed { .. }
            | DiagnosticKind::DuplicateId { .. }
            | DiagnosticKind::DanglingReference { .. }
            | DiagnosticKind::DuplicateAttackId { .. }
            | DiagnosticKind::OrphanSubtechnique { .. } => true,
        }
    }

    /// A short name of the kind, for summaries: `duplicate STIX ID`, `dangling relationship`...
    pub fn label(&self) -> &'static str {
        match self {
            DiagnosticKind::UnknownType { .. } => "unknown type",
            DiagnosticKind::UnknownField { .. } => "unknown field",
            DiagnosticKind::DuplicateId { .. } => "repeated STIX ID",
            DiagnosticKind::Provenance { .. } => "provenance note",
            DiagnosticKind::Shadowed { .. } => "bundle skipped",
            DiagnosticKind::DanglingReference { .. } => "dangling relationship",
            DiagnosticKind::DuplicateAttackId { .. } => "shared ATT&CK ID",
            DiagnosticKind::OrphanSubtechnique { .. } => "sub-technique without parent",
        }
    }
}

/// A problem found while loading that does not stop the load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// The bundle file.
    pub path: PathBuf,
    /// What was found.
    pub kind: DiagnosticKind,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.kind)
    }
}

impl fmt::Display for DiagnosticKind {
    /// What was found, without the file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiagnosticKind::UnknownType { object_type, count } => {
                write!(f, "{count} object(s) of unknown type `{object_type}` kept as they are")
            }
            DiagnosticKind::UnknownField {
                object_type,
                field,
                count,
            } => write!(
                f,
                "unknown field `{field}` on {count} `{object_type}` object(s), kept in the raw JSON"
            ),
            DiagnosticKind::DuplicateId { id } => {
                write!(f, "STIX ID {id} appears more than once; the first is kept")
            }
            DiagnosticKind::Provenance { message } => f.write_str(message),
            DiagnosticKind::DanglingReference {
                relationship,
                missing,
            } => write!(
                f,
                "relationship {relationship} points at {missing}, which is not in the bundle; ignored"
            ),
            DiagnosticKind::DuplicateAttackId { attack_id, objects } => write!(
                f,
                "{attack_id} is the ATT&CK ID of {} live objects of one kind ({}); a lookup of {attack_id} shows the first",
                objects.len(),
                objects.join(", ")
            ),
            DiagnosticKind::Shadowed { kept } => write!(
                f,
                "skipped: its domain and release are already loaded from {}",
                kept.display()
            ),
            DiagnosticKind::OrphanSubtechnique { id, stix_id } => write!(
                f,
                "sub-technique {id} ({stix_id}) has no parent technique; listed as a sub-technique, shown in the matrix as a technique"
            ),
        }
    }
}

/// A loaded bundle: its text, its objects, what it is, and what was odd about it.
#[derive(Debug)]
pub struct Bundle {
    /// The file it came from.
    pub path: PathBuf,
    /// The whole JSON text; every object's `raw` range points into it.
    pub text: Arc<BundleText>,
    /// The bundle's `id`.
    pub id: Option<String>,
    /// The bundle-level `spec_version` (STIX 2.0 bundles only).
    pub spec_version: Option<String>,
    /// The objects, in file order.
    pub objects: Objects,
    /// The `x-mitre-collection` object, if the bundle has one.
    pub collection: Option<Collection>,
    /// `enterprise-attack`, `mobile-attack` or `ics-attack`, if it could be found.
    pub domain: Option<String>,
    /// The release, e.g. `18.1`, if it could be found.
    pub release: Option<String>,
    /// Problems that did not stop the load.
    pub diagnostics: Vec<Diagnostic>,
}

impl Bundle {
    /// The original JSON of `object`, exactly as in the file. Fails only when the text must be
    /// read from a prebuilt index that has since been damaged.
    pub fn raw_json(&self, object: &StixObject) -> Result<&str> {
        let text = self.text.get()?;
        text.get(object.raw.clone()).ok_or_else(|| Error::Index {
            path: self.path.clone(),
            message: format!("object {} lies outside the bundle text", object.id),
        })
    }
}

/// Reads and parses the bundle at `path` (`.json` or gzip).
pub fn load_bundle(path: &Path) -> Result<Bundle> {
    load_bundle_limited(path, &Limits::default())
}

/// [`load_bundle`] within `limits` (a bundle text larger than `limits.max_bundle_bytes` is an
/// [`Error::TooLarge`]).
pub fn load_bundle_limited(path: &Path, limits: &Limits) -> Result<Bundle> {
    let text = read_text_limited(path, limits)?;
    parse_bundle(path, text)
}

#[derive(Deserialize)]
struct RawBundle<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    spec_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    objects: Option<Vec<&'a RawValue>>,
}

/// Parses `text` (the content of `path`) as a STIX bundle.
pub fn parse_bundle(path: &Path, text: String) -> Result<Bundle> {
    let parts = parse_parts(path, &text, &|object| object)?;
    let text = Arc::new(BundleText::in_memory(text));
    let objects = Objects::parsed(parts.items);
    Ok(finish(path, text, parts.head, objects, parts.seen))
}

/// [`parse_bundle`] that hands each object to `scan` as it is parsed (over every core) and keeps
/// only what `scan` returns, in bundle order: the bundle's objects stay in its text, each parsed
/// again when first asked for. Reading a bundle this way holds its text and the results of
/// `scan`, never every object at once.
pub fn parse_bundle_scanned<T: Send>(
    path: &Path,
    text: String,
    scan: impl Fn(&StixObject) -> T + Sync,
) -> Result<(Bundle, Vec<T>)> {
    if u32::try_from(text.len()).is_err() {
        // Object places are kept in 32 bits; a larger text is parsed whole.
        let bundle = parse_bundle(path, text)?;
        let found = bundle.objects.iter().map(&scan).collect();
        return Ok((bundle, found));
    }
    let parts = parse_parts(path, &text, &|object| {
        let found = scan(&object);
        (object.raw, found)
    })?;
    let mut spans = Vec::with_capacity(parts.items.len());
    let mut found = Vec::with_capacity(parts.items.len());
    for (raw, item) in parts.items {
        spans.push(Span::of(&text, raw));
        found.push(item);
    }
    let text = Arc::new(BundleText::in_memory(text));
    let objects = Objects::in_text(spans, path, Arc::clone(&text));
    Ok((finish(path, text, parts.head, objects, parts.seen), found))
}

/// [`parse_bundle_scanned`] of the bundle at `path` (`.json` or gzip), within `limits`.
pub fn load_bundle_scanned<T: Send>(
    path: &Path,
    limits: &Limits,
    scan: impl Fn(&StixObject) -> T + Sync,
) -> Result<(Bundle, Vec<T>)> {
    let text = read_text_limited(path, limits)?;
    parse_bundle_scanned(path, text, scan)
}

/// The bundle's own fields.
struct Head {
    id: Option<String>,
    spec_version: Option<String>,
}

/// What parsing every object gave: one item per object, in order, and what the bundle-level
/// facts need.
struct Parts<T> {
    head: Head,
    items: Vec<T>,
    seen: Seen,
}

/// What the bundle's facts (its release record, domain and unknown types and fields) need from
/// its objects, gathered as each is parsed.
#[derive(Default)]
struct Seen {
    /// The first `x-mitre-collection` object.
    collection: Option<Collection>,
    /// How many objects name each domain in `x_mitre_domains`.
    domains: BTreeMap<Box<str>, usize>,
    /// How many objects have each unknown type.
    types: BTreeMap<Box<str>, usize>,
    /// How many objects of each type carry each unknown field.
    fields: BTreeMap<(Box<str>, Box<str>), usize>,
}

impl Seen {
    fn note(&mut self, object: &StixObject) {
        if self.collection.is_none() && object.kind == ObjectType::Collection {
            self.collection = Some(Collection {
                id: object.id.to_string(),
                name: object.name.as_deref().unwrap_or_default().to_string(),
                version: object.version.as_deref().map(str::to_string),
                attack_spec_version: object.attack_spec_version.as_deref().map(str::to_string),
                modified: object.modified.as_deref().map(str::to_string),
            });
        }
        for domain in &object.domains {
            // A new key only for a domain not seen yet (a handful per bundle).
            match self.domains.get_mut(&**domain) {
                Some(n) => *n += 1,
                None => {
                    self.domains.insert(domain.clone(), 1);
                }
            }
        }
        if let ObjectType::Other(name) = &object.kind {
            *self.types.entry(name.clone()).or_default() += 1;
        }
        for field in &object.unknown_fields {
            *self
                .fields
                .entry((object.kind.as_str().into(), field.clone()))
                .or_default() += 1;
        }
    }

    /// Adds what `later` (the objects after these) saw.
    fn merge(&mut self, later: Seen) {
        if self.collection.is_none() {
            self.collection = later.collection;
        }
        for (map, more) in [
            (&mut self.domains, later.domains),
            (&mut self.types, later.types),
        ] {
            for (key, n) in more {
                *map.entry(key).or_default() += n;
            }
        }
        for (key, n) in later.fields {
            *self.fields.entry(key).or_default() += n;
        }
    }
}

/// Splits `text` into its objects (validating the whole document) and parses each, handing it
/// to `keep`.
fn parse_parts<T: Send>(
    path: &Path,
    text: &str,
    keep: &(dyn Fn(StixObject) -> T + Sync),
) -> Result<Parts<T>> {
    let raw: RawBundle<'_> = serde_json::from_str(text).map_err(|e| bundle_error(path, &e))?;
    if raw.kind.as_deref() != Some("bundle") {
        return Err(Error::NotABundle {
            path: path.to_path_buf(),
            message: match raw.kind {
                Some(kind) => format!("its \"type\" is \"{kind}\", not \"bundle\""),
                None => "the top-level object has no \"type\": \"bundle\"".to_string(),
            },
        });
    }
    let Some(raw_objects) = raw.objects else {
        return Err(Error::NotABundle {
            path: path.to_path_buf(),
            message: "it has no \"objects\" array".to_string(),
        });
    };
    let base = text.as_ptr() as usize;
    let slices: Vec<(usize, &str)> = raw_objects
        .iter()
        .map(|r| (r.get().as_ptr() as usize - base, r.get()))
        .collect();
    drop(raw_objects);
    let (items, seen) = parse_objects(path, text, &slices, keep)?;
    Ok(Parts {
        head: Head {
            id: raw.id.map(Cow::into_owned),
            spec_version: raw.spec_version.map(Cow::into_owned),
        },
        items,
        seen,
    })
}

/// The bundle of `objects`, with its release record, domain, release and diagnostics.
fn finish(path: &Path, text: Arc<BundleText>, head: Head, objects: Objects, seen: Seen) -> Bundle {
    let mut bundle = Bundle {
        path: path.to_path_buf(),
        id: head.id,
        spec_version: head.spec_version,
        text,
        objects,
        collection: seen.collection.clone(),
        domain: None,
        release: None,
        diagnostics: Vec::new(),
    };
    tell_domain_and_release(&mut bundle, &seen);
    report_unknowns(&mut bundle, seen);
    bundle
}

/// Parses every slice, splitting the work over the available cores for large bundles.
fn parse_objects<T: Send>(
    path: &Path,
    text: &str,
    slices: &[(usize, &str)],
    keep: &(dyn Fn(StixObject) -> T + Sync),
) -> Result<(Vec<T>, Seen)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads == 1 || slices.len() < 4096 {
        return parse_chunk(path, text, slices, 0, keep);
    }
    let chunk_len = slices.len().div_ceil(threads);
    let results: Vec<Result<(Vec<T>, Seen)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = slices
            .chunks(chunk_len)
            .enumerate()
            .map(|(i, chunk)| {
                scope.spawn(move || parse_chunk(path, text, chunk, i * chunk_len, keep))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::NotABundle {
                        path: path.to_path_buf(),
                        message: "internal error: a parser thread failed".to_string(),
                    })
                })
            })
            .collect()
    });
    let mut items = Vec::with_capacity(slices.len());
    let mut seen = Seen::default();
    for result in results {
        let (part, part_seen) = result?;
        items.extend(part);
        seen.merge(part_seen);
    }
    Ok((items, seen))
}

fn parse_chunk<T>(
    path: &Path,
    text: &str,
    slices: &[(usize, &str)],
    first_index: usize,
    keep: &(dyn Fn(StixObject) -> T + Sync),
) -> Result<(Vec<T>, Seen)> {
    let mut items = Vec::with_capacity(slices.len());
    let mut seen = Seen::default();
    for (i, (offset, slice)) in slices.iter().enumerate() {
        let JsonObject(mut object) = serde_json::from_str(slice).map_err(|e| {
            let at = offset + offset_in(slice, e.line(), e.column());
            let (line, column) = line_column(text, at);
            if let Some(depth) = crate::too_deep_in_parse(&e) {
                return Error::TooDeep {
                    path: path.to_path_buf(),
                    depth: crate::TooDeep {
                        line,
                        column,
                        ..depth
                    },
                };
            }
            Error::BadObject {
                path: path.to_path_buf(),
                index: first_index + i,
                line,
                column,
                message: strip_position(&e.to_string()),
            }
        })?;
        object.raw = *offset..offset + slice.len();
        seen.note(&object);
        items.push(keep(object));
    }
    Ok((items, seen))
}

fn bundle_error(path: &Path, e: &serde_json::Error) -> Error {
    use serde_json::error::Category;
    if let Some(depth) = crate::too_deep_in_parse(e) {
        return Error::TooDeep {
            path: path.to_path_buf(),
            depth,
        };
    }
    match e.classify() {
        Category::Data => Error::NotABundle {
            path: path.to_path_buf(),
            message: format!(
                "{} (line {}, column {}); a bundle is a JSON object with \"type\": \"bundle\" and an \"objects\" array",
                strip_position(&e.to_string()),
                e.line(),
                e.column()
            ),
        },
        Category::Io | Category::Syntax | Category::Eof => Error::Json {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        },
    }
}

/// serde_json appends " at line L column C"; we report the position ourselves. A long value it
/// quotes is cut.
fn strip_position(message: &str) -> String {
    crate::clip_quoted(match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    })
}

/// Byte offset in `text` of 1-based `line` and `column` (serde_json's columns count bytes).
fn offset_in(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line, offset - line_start + 1)
}

fn tell_domain_and_release(bundle: &mut Bundle, seen: &Seen) {
    let file_name = bundle
        .path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut notes = Vec::new();
    bundle.domain = bundle
        .collection
        .as_ref()
        .and_then(|c| Domain::from_collection(Some(&c.id), Some(&c.name)))
        .map(|d| d.as_str().to_string());
    if bundle.domain.is_none() {
        let from_objects = seen
            .domains
            .iter()
            .filter(|(d, _)| Domain::ALL.iter().any(|known| known.as_str() == &***d))
            .max_by_key(|(_, n)| **n)
            .map(|(d, _)| d.to_string());
        let from_name = Domain::of_file_name(&file_name).map(|(d, _)| d.as_str().to_string());
        bundle.domain = from_objects.clone().or(from_name.clone());
        match (&bundle.domain, from_objects.is_some()) {
            (Some(d), true) => notes.push(format!(
                "no x-mitre-collection object; domain {d} taken from the objects' x_mitre_domains"
            )),
            (Some(d), false) => notes.push(format!(
                "no x-mitre-collection object; domain {d} taken from the file name"
            )),
            (None, _) => notes.push("the bundle's domain could not be determined".to_string()),
        }
    }
    bundle.release = bundle.collection.as_ref().and_then(|c| c.version.clone());
    if bundle.release.is_none() {
        bundle.release = Release::in_file_name(&file_name).map(|r| r.as_str().to_string());
        match &bundle.release {
            Some(r) => notes.push(format!("release {r} taken from the file name")),
            None => notes.push("the bundle's release could not be determined".to_string()),
        }
    }
    for message in notes {
        bundle.diagnostics.push(Diagnostic {
            path: bundle.path.clone(),
            kind: DiagnosticKind::Provenance { message },
        });
    }
}

fn report_unknowns(bundle: &mut Bundle, seen: Seen) {
    let mut found: Vec<DiagnosticKind> = seen
        .types
        .into_iter()
        .map(|(t, count)| DiagnosticKind::UnknownType {
            object_type: t.into(),
            count,
        })
        .collect();
    found.extend(
        seen.fields
            .into_iter()
            .map(|((t, field), count)| DiagnosticKind::UnknownField {
                object_type: t.into(),
                field: field.into(),
                count,
            }),
    );
    let path = bundle.path.clone();
    bundle
        .diagnostics
        .extend(found.into_iter().map(|kind| Diagnostic {
            path: path.clone(),
            kind,
        }));
}

/// The bundle files at `path`: the file itself, or every `*.json` / `*.json.gz` under a folder
/// (recursively, sorted; `index.json` and hidden files are skipped).
pub fn discover_bundles(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut found = Vec::new();
    walk(path, &mut found, &mut std::collections::HashSet::new())?;
    found.sort();
    // The same file reached through two links is one bundle.
    let mut seen = std::collections::HashSet::new();
    found.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    if found.is_empty() {
        return Err(Error::NoBundles {
            path: path.to_path_buf(),
        });
    }
    Ok(found)
}

/// Collects bundle files under `dir`. A folder reached twice (a symlink loop such as `a -> .`,
/// or two links to one folder) is read once, and only regular files count (a FIFO named like a
/// bundle would block the read forever).
fn walk(
    dir: &Path,
    found: &mut Vec<PathBuf>,
    visited: &mut std::collections::HashSet<PathBuf>,
) -> Result<()> {
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !visited.insert(canonical) {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, found, visited)?;
        } else if path.is_file()
            && (name.ends_with(".json") || name.ends_with(".json.gz"))
            && name != "index.json"
            && !name.ends_with(".index.json")
        {
            found.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_is_found_in_file_names() {
        let found = |name| Release::in_file_name(name).map(|r| r.as_str().to_string());
        assert_eq!(
            found("enterprise-attack-18.1.json.gz").as_deref(),
            Some("18.1")
        );
        assert_eq!(found("ics-attack-v15.1.json").as_deref(), Some("15.1"));
        assert_eq!(found("attack 17.0 copy.json").as_deref(), Some("17.0"));
        assert_eq!(found("enterprise-attack.json"), None);
        assert_eq!(found("v2bundle.json"), None);
    }

    #[test]
    fn a_scanned_bundle_has_the_facts_and_objects_of_a_whole_parse() {
        // No release record (domain from the objects, release from the file name), an unknown
        // type, an unknown field, a repeated ID.
        let text = r#"{"type": "bundle", "id": "bundle--1", "objects": [
            {"type": "attack-pattern", "id": "attack-pattern--1", "name": "One",
             "x_mitre_domains": ["mobile-attack"], "x_new_field": 1},
            {"type": "x-mitre-future", "id": "x-mitre-future--1",
             "x_mitre_domains": ["mobile-attack", "enterprise-attack"]},
            {"type": "attack-pattern", "id": "attack-pattern--1", "name": "Again",
             "x_mitre_domains": ["mobile-attack"], "x_new_field": 2}
        ]}"#;
        let path = Path::new("mobile-attack-19.1.json");
        let whole = parse_bundle(path, text.to_string()).unwrap();
        let (scanned, names) =
            parse_bundle_scanned(path, text.to_string(), |o| o.name.clone()).unwrap();
        assert_eq!(
            names,
            [Some("One".into()), None, Some("Again".into())] as [Option<Box<str>>; 3]
        );
        assert_eq!(scanned.domain.as_deref(), Some("mobile-attack"));
        assert_eq!(scanned.release.as_deref(), Some("19.1"));
        assert_eq!(scanned.diagnostics, whole.diagnostics);
        assert_eq!(scanned.diagnostics.len(), 4, "{:?}", scanned.diagnostics);
        assert_eq!(scanned.objects.ranges(), whole.objects.ranges());
        assert!(scanned.objects.iter().eq(whole.objects.iter()));
        assert_eq!(
            scanned.objects.raw_json(2).unwrap().unwrap(),
            &text[whole.objects[2].raw.clone()]
        );
    }

    #[test]
    fn a_bad_object_fails_a_scanned_parse_as_a_whole_one() {
        let text =
            r#"{"type": "bundle", "objects": [{"type": "tool", "id": "tool--1"}, {"id": 5}]}"#;
        let path = Path::new("x.json");
        let whole = parse_bundle(path, text.to_string()).unwrap_err();
        let scanned = parse_bundle_scanned(path, text.to_string(), |_| ()).unwrap_err();
        assert_eq!(scanned.to_string(), whole.to_string());
        assert!(
            matches!(scanned, Error::BadObject { index: 1, .. }),
            "{scanned}"
        );
    }

    #[test]
    fn positions_are_one_based() {
        let text = "ab\ncd\nef";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 4), (2, 2));
        assert_eq!(offset_in(text, 3, 2), 7);
    }
}
