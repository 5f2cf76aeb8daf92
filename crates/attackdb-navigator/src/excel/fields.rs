//! The columns every object sheet shares (attackToExcel's `parseBaseStix`, then attackdb's
//! values of them) and the helpers that write a value as text: dates, sorted lists, names.

use attackdb_kb::{Dataset, ObjId};

use super::sheet::{Fields, Record};

/// attackToExcel's `MITRE_ATTACK_ID_SOURCE_NAMES`: a first external reference from one of these
/// gives the `ID` and `url` columns.
const ID_SOURCES: [&str; 4] = [
    "mitre-attack",
    "mobile-attack",
    "mitre-mobile-attack",
    "mitre-ics-attack",
];

/// The columns every sheet of objects had before attackToExcel parity; those attackToExcel
/// leaves out of a sheet (no object fills them) still come after its columns.
pub(super) const COMMON: [&str; 10] = [
    "ID",
    "STIX ID",
    "name",
    "description",
    "url",
    "created",
    "last modified",
    "domain",
    "version",
    "contributors",
];

/// Month names for [`format_date`].
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A STIX timestamp as attackToExcel's `format_date` writes it (`31 May 2017`); text that is
/// not a timestamp is kept as written.
pub(super) fn format_date(timestamp: &str) -> String {
    let parts: Vec<&str> = timestamp.get(..10).unwrap_or("").split('-').collect();
    if let [year, month, day] = parts[..] {
        if let Ok(m) = month.parse::<usize>() {
            if let Some(name) = m.checked_sub(1).and_then(|i| MONTHS.get(i)) {
                if year.len() == 4 && day.len() == 2 {
                    return format!("{day} {name} {year}");
                }
            }
        }
    }
    timestamp.to_string()
}

/// The items as strings, sorted.
pub(super) fn sorted(items: &[impl AsRef<str>]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|s| s.as_ref().to_string()).collect();
    v.sort();
    v
}

/// The items sorted, joined by `sep`.
pub(super) fn sorted_join(items: &[impl AsRef<str>], sep: &str) -> String {
    sorted(items).join(sep)
}

/// The items sorted regardless of case, joined by commas.
pub(super) fn sorted_lower_join(items: &[String]) -> String {
    let mut v = items.to_vec();
    v.sort_by_key(|s| s.to_lowercase());
    v.join(", ")
}

/// The ATT&CK ID of the object's first external reference, as attackToExcel reads it.
pub(super) fn first_ref_id(d: &Dataset, id: ObjId) -> Option<String> {
    d.object(id)
        .external_references
        .first()
        .and_then(|r| r.external_id.as_deref())
        .map(str::to_string)
}

/// attackToExcel's `parseBaseStix`.
pub(super) fn base(d: &Dataset, id: ObjId) -> Record {
    let o = d.object(id);
    let mut r = Record::default();
    let mut url = None;
    if let Some(first) = o.external_references.first() {
        if ID_SOURCES.contains(&&*first.source_name) {
            r.set("ID", first.external_id.as_deref().unwrap_or(""));
            url = first.url.as_deref().filter(|u| !u.is_empty());
        }
    }
    r.set("STIX ID", &*o.id);
    if let Some(name) = &o.name {
        r.set("name", &**name);
    }
    if let Some(description) = &o.description {
        r.set("description", &**description);
    }
    if let Some(url) = url {
        r.set("url", url);
    }
    if let Some(created) = &o.created {
        r.set("created", format_date(created));
    }
    if let Some(modified) = &o.modified {
        r.set("last modified", format_date(modified));
    }
    if !o.domains.is_empty() {
        r.set("domain", o.domains.join(","));
    }
    if let Some(version) = &o.version {
        r.set("version", &**version);
    }
    if !o.contributors.is_empty() {
        r.set("contributors", sorted_join(&o.contributors, "; "));
    }
    // attackdb's values of the common columns, for a sheet where no object fills one
    let list = |items: &[Box<str>]| items.iter().map(|s| &**s).collect::<Vec<_>>().join(", ");
    r.more = vec![
        ("ID", o.attack_id().unwrap_or("").into()),
        ("STIX ID", (&*o.id).into()),
        ("name", o.name.as_deref().unwrap_or("").into()),
        ("description", o.description.as_deref().unwrap_or("").into()),
        (
            "url",
            o.attack_reference()
                .and_then(|r| r.url.as_deref())
                .unwrap_or("")
                .into(),
        ),
        ("created", o.created.as_deref().unwrap_or("").into()),
        ("last modified", o.modified.as_deref().unwrap_or("").into()),
        ("domain", d.domain().to_string().into()),
        ("version", o.version.as_deref().unwrap_or("").into()),
        ("contributors", list(&o.contributors).into()),
    ];
    r
}

/// The items joined by commas.
pub(super) fn list(items: &[Box<str>]) -> String {
    items.iter().map(|s| &**s).collect::<Vec<_>>().join(", ")
}

/// The objects' display names, joined by commas.
pub(super) fn names(d: &Dataset, ids: &[ObjId]) -> String {
    ids.iter()
        .map(|&i| d.display_name(i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The record with attackdb's `extra` columns after its own.
pub(super) fn with_extra(mut r: Record, extra: Fields) -> Record {
    r.more.extend(extra);
    r
}

/// The common columns, then `extra`.
pub(super) fn common_and(extra: &[&'static str]) -> Vec<&'static str> {
    let mut all: Vec<&'static str> = COMMON.to_vec();
    all.extend_from_slice(extra);
    all
}

/// attackToExcel's name for a tactic shortname it has no tactic for (`defense-evasion` ->
/// `Defense Evasion`).
pub(super) fn title_case(shortname: &str) -> String {
    shortname
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(c.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// The items joined by `sep`.
pub(super) fn list_with(items: &[Box<str>], sep: &str) -> String {
    items.iter().map(|s| &**s).collect::<Vec<_>>().join(sep)
}
