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
use crate::objects::Objects;
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
        write!(f, "{}: ", self.path.display())?;
        match &self.kind {
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
    let raw: RawBundle<'_> = serde_json::from_str(&text).map_err(|e| bundle_error(path, &e))?;
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
    let objects = parse_objects(path, &text, &slices)?;
    let id = raw.id.map(Cow::into_owned);
    let spec_version = raw.spec_version.map(Cow::into_owned);
    drop(slices);
    let mut bundle = Bundle {
        path: path.to_path_buf(),
        id,
        spec_version,
        text: Arc::new(BundleText::in_memory(text)),
        objects: Objects::parsed(objects),
        collection: None,
        domain: None,
        release: None,
        diagnostics: Vec::new(),
    };
    bundle.collection = find_collection(&bundle);
    tell_domain_and_release(&mut bundle);
    report_unknowns(&mut bundle);
    Ok(bundle)
}

/// Parses every slice, splitting the work over the available cores for large bundles.
fn parse_objects(path: &Path, text: &str, slices: &[(usize, &str)]) -> Result<Vec<StixObject>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads == 1 || slices.len() < 4096 {
        return parse_chunk(path, text, slices, 0);
    }
    let chunk_len = slices.len().div_ceil(threads);
    let results: Vec<Result<Vec<StixObject>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = slices
            .chunks(chunk_len)
            .enumerate()
            .map(|(i, chunk)| scope.spawn(move || parse_chunk(path, text, chunk, i * chunk_len)))
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
    let mut objects = Vec::with_capacity(slices.len());
    for result in results {
        objects.extend(result?);
    }
    Ok(objects)
}

fn parse_chunk(
    path: &Path,
    text: &str,
    slices: &[(usize, &str)],
    first_index: usize,
) -> Result<Vec<StixObject>> {
    let mut objects = Vec::with_capacity(slices.len());
    for (i, (offset, slice)) in slices.iter().enumerate() {
        let JsonObject(mut object) = serde_json::from_str(slice).map_err(|e| {
            let at = offset + offset_in(slice, e.line(), e.column());
            let (line, column) = line_column(text, at);
            Error::BadObject {
                path: path.to_path_buf(),
                index: first_index + i,
                line,
                column,
                message: strip_position(&e.to_string()),
            }
        })?;
        object.raw = *offset..offset + slice.len();
        objects.push(object);
    }
    Ok(objects)
}

fn bundle_error(path: &Path, e: &serde_json::Error) -> Error {
    use serde_json::error::Category;
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

/// serde_json appends " at line L column C"; we report the position ourselves.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
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
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line, offset - line_start + 1)
}

fn find_collection(bundle: &Bundle) -> Option<Collection> {
    let object = bundle
        .objects
        .iter()
        .find(|o| o.kind == ObjectType::Collection)?;
    Some(Collection {
        id: object.id.to_string(),
        name: object.name.as_deref().unwrap_or_default().to_string(),
        version: object.version.as_deref().map(str::to_string),
        attack_spec_version: object.attack_spec_version.as_deref().map(str::to_string),
        modified: object.modified.as_deref().map(str::to_string),
    })
}

fn tell_domain_and_release(bundle: &mut Bundle) {
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
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for object in bundle.objects.iter() {
            for domain in &object.domains {
                *counts.entry(domain).or_default() += 1;
            }
        }
        let from_objects = counts
            .iter()
            .filter(|(d, _)| Domain::ALL.iter().any(|known| known.as_str() == **d))
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

fn report_unknowns(bundle: &mut Bundle) {
    let mut types: BTreeMap<&str, usize> = BTreeMap::new();
    let mut fields: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for object in bundle.objects.iter() {
        if let ObjectType::Other(name) = &object.kind {
            *types.entry(name).or_default() += 1;
        }
        for field in &object.unknown_fields {
            *fields.entry((object.kind.as_str(), field)).or_default() += 1;
        }
    }
    let mut found: Vec<DiagnosticKind> = types
        .into_iter()
        .map(|(t, count)| DiagnosticKind::UnknownType {
            object_type: t.to_string(),
            count,
        })
        .collect();
    found.extend(
        fields
            .into_iter()
            .map(|((t, field), count)| DiagnosticKind::UnknownField {
                object_type: t.to_string(),
                field: field.to_string(),
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
    fn positions_are_one_based() {
        let text = "ab\ncd\nef";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 4), (2, 2));
        assert_eq!(offset_in(text, 3, 2), 7);
    }
}
