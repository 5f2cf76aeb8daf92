//! The whole knowledge base of one domain and release as Excel, at parity with mitreattack-python
//! 6.3.1's attackToExcel: the same workbooks (`<domain>.xlsx` and `<domain>-<type>.xlsx`), the
//! same sheets in the same order, the same columns in the same order, the same rows; attackdb's
//! own columns and sheets come after attackToExcel's.
//!
//! attackToExcel builds each sheet as a pandas DataFrame from one dict per object, so a sheet's
//! columns are the union of the keys its rows have, in the order they first appear (objects in
//! bundle order), and a column no object fills is absent. `Frame` does the same. Revoked and
//! deprecated objects and relationships are left out, as attackToExcel does.
//!
//! Where attackToExcel is wrong attackdb is right, and says so here and in the README:
//! - the matrix: a technique whose sub-techniques are all revoked, deprecated or (in a platform
//!   matrix) not of the platform gets no blank beside it in the sub-technique column, so every
//!   later sub-technique of the tactic moves up beside the wrong technique; attackdb keeps each
//!   sub-technique beside its technique (the same row count whenever the technique is last);
//! - `relationship citations` lists each sheet's citations in Python's set order (a different
//!   order each run); attackdb sorts them;
//! - a type with no relationships at all makes attackToExcel fail; attackdb leaves the column
//!   blank.

use std::collections::{HashMap, HashSet};

use attackdb_kb::{Concept, Dataset, Domain, ObjId, ObjectType, Relation, Visibility};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use crate::problem::Result;

/// One cell: text (empty for none) or a boolean (attackToExcel's `is sub-technique`,
/// `supports remote`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cell {
    /// Text; an empty string is an empty cell.
    Text(String),
    /// `TRUE` or `FALSE`.
    Bool(bool),
}

impl Cell {
    /// The cell as text (`true`/`false` for booleans).
    pub fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Bool(b) => b.to_string(),
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::Text(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::Text(text.to_string())
    }
}

impl From<bool> for Cell {
    fn from(value: bool) -> Cell {
        Cell::Bool(value)
    }
}

/// A range of merged cells of a laid-out matrix (0-based, inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    /// First row (0 is the header row).
    pub first_row: u32,
    /// First column.
    pub first_col: u16,
    /// Last row.
    pub last_row: u32,
    /// Last column.
    pub last_col: u16,
    /// The text of the merged cell.
    pub text: String,
    /// Returns true if and only if this is a tactic header (else a technique beside its
    /// sub-techniques).
    pub tactic_header: bool,
}

/// One sheet: a name, column headers and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The sheet name: `techniques`, `procedure examples`, `Enterprise ATT&CK matrix`...
    pub name: String,
    /// Column headers (a matrix's sub-technique columns have an empty header).
    pub headers: Vec<String>,
    /// Rows, each as long as `headers`.
    pub rows: Vec<Vec<Cell>>,
    /// Merged ranges: empty except in a laid-out matrix.
    pub merges: Vec<Merge>,
    /// Returns true if and only if the sheet is a laid-out matrix (tactics as columns, no
    /// frozen header, columns 20 wide).
    pub matrix: bool,
}

/// One workbook: its file name and its sheets in order.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkbookSheets {
    /// `enterprise-attack.xlsx`, `enterprise-attack-techniques.xlsx`...
    pub file: String,
    /// Its sheets.
    pub sheets: Vec<Sheet>,
}

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
const COMMON: [&str; 10] = [
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

/// The columns of the `defensive mappings` sheet.
const DEFENSIVE_COLUMNS: [&str; 11] = [
    "detection_strategy_attack_id",
    "detection_strategy_id",
    "detection_strategy_name",
    "analytic_id",
    "analytic_name",
    "platforms",
    "log_source_name",
    "channel",
    "data_component_id",
    "data_component_name",
    "data_component_attack_id",
];

type Fields = Vec<(&'static str, Cell)>;

/// One object's row: attackToExcel's fields in the order it sets them, then the columns added
/// to the whole sheet afterwards (`relationship citations`) and attackdb's own.
#[derive(Debug, Default)]
struct Record {
    fields: Fields,
    more: Fields,
}

impl Record {
    fn set(&mut self, key: &'static str, value: impl Into<Cell>) {
        let value = value.into();
        match self.fields.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((key, value)),
        }
    }

    fn get(&self, key: &str) -> Option<&Cell> {
        self.fields
            .iter()
            .chain(self.more.iter())
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    fn text(&self, key: &str) -> String {
        self.get(key).map(Cell::text).unwrap_or_default()
    }
}

/// A pandas-like frame: columns are the union of the records' fields in first-appearance
/// order (the records in bundle order), then `tail` (columns set on every row afterwards), then
/// those of `extra` not yet there; rows sorted by name when `by_name`.
fn frame(
    name: &str,
    mut records: Vec<Record>,
    tail: &[&str],
    extra: &[&str],
    by_name: bool,
) -> Sheet {
    let mut headers: Vec<String> = Vec::new();
    let mut add = |k: &str| {
        if !headers.iter().any(|h| h == k) {
            headers.push(k.to_string());
        }
    };
    for r in &records {
        for (k, _) in &r.fields {
            add(k);
        }
    }
    for k in tail.iter().chain(extra) {
        add(k);
    }
    if by_name {
        sort_by_name(&mut records);
    }
    let rows = records
        .iter()
        .map(|r| {
            headers
                .iter()
                .map(|h| r.get(h).cloned().unwrap_or(Cell::Text(String::new())))
                .collect()
        })
        .collect();
    Sheet {
        name: name.to_string(),
        headers,
        rows,
        merges: Vec::new(),
        matrix: false,
    }
}

/// Sorts records by `name` as pandas' `sort_values("name")` (code point order, rows without a
/// name last); ties keep bundle order.
fn sort_by_name(records: &mut [Record]) {
    records.sort_by(|a, b| {
        let key = |r: &Record| match r.fields.iter().find(|(k, _)| *k == "name") {
            Some((_, Cell::Text(t))) => (false, t.clone()),
            _ => (true, String::new()),
        };
        key(a).cmp(&key(b))
    });
}

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
fn format_date(timestamp: &str) -> String {
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

fn sorted(items: &[impl AsRef<str>]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|s| s.as_ref().to_string()).collect();
    v.sort();
    v
}

fn sorted_join(items: &[impl AsRef<str>], sep: &str) -> String {
    sorted(items).join(sep)
}

fn sorted_lower_join(items: &[String]) -> String {
    let mut v = items.to_vec();
    v.sort_by_key(|s| s.to_lowercase());
    v.join(", ")
}

/// The ATT&CK ID of the object's first external reference, as attackToExcel reads it.
fn first_ref_id(d: &Dataset, id: ObjId) -> Option<String> {
    d.object(id)
        .external_references
        .first()
        .and_then(|r| r.external_id.as_deref())
        .map(str::to_string)
}

/// attackToExcel's `parseBaseStix`.
fn base(d: &Dataset, id: ObjId) -> Record {
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

fn list(items: &[Box<str>]) -> String {
    items.iter().map(|s| &**s).collect::<Vec<_>>().join(", ")
}

fn names(d: &Dataset, ids: &[ObjId]) -> String {
    ids.iter()
        .map(|&i| d.display_name(i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One citation: an external reference that is not an ID, with a description that is not
/// itself a citation.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Citation {
    reference: String,
    citation: String,
    url: String,
}

/// attackToExcel's `get_citations`: the citations of `objects` in order, once per reference.
fn citations_of(d: &Dataset, objects: &[ObjId]) -> Vec<Citation> {
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for &id in objects {
        for r in &d.object(id).external_references {
            let Some(description) = r.description.as_deref() else {
                continue;
            };
            if r.external_id.is_some() || description.starts_with("(Citation: ") {
                continue;
            }
            if seen.insert(r.source_name.to_string()) {
                found.push(Citation {
                    reference: r.source_name.to_string(),
                    citation: description.to_string(),
                    url: r.url.as_deref().unwrap_or("").to_string(),
                });
            }
        }
    }
    found
}

fn sort_citations(citations: &mut [Citation]) {
    citations.sort_by(|a, b| a.reference.cmp(&b.reference));
}

fn citation_sheet(citations: &[Citation]) -> Sheet {
    Sheet {
        name: "citations".to_string(),
        headers: vec!["reference".into(), "citation".into(), "url".into()],
        rows: citations
            .iter()
            .map(|c| {
                vec![
                    c.reference.clone().into(),
                    c.citation.clone().into(),
                    c.url.clone().into(),
                ]
            })
            .collect(),
        merges: Vec::new(),
        matrix: false,
    }
}

/// The names cited in a text: each `(Citation: NAME)`.
fn cited_names(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("(Citation: ") {
        let after = &rest[start + "(Citation: ".len()..];
        match after.find(')') {
            Some(end) => {
                found.push(&after[..end]);
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    found
}

/// One relationship row of attackToExcel's `relationshipsToDf`.
#[derive(Debug)]
struct RelRow {
    record: Record,
    source_kind: ObjectType,
    target_kind: ObjectType,
    source_type: Option<&'static str>,
    target_type: Option<&'static str>,
    mapping_type: String,
    description: Option<String>,
    sort_key: Vec<(bool, String)>,
}

/// attackToExcel's `stixToAttackTerm`.
fn attack_term(kind: &ObjectType) -> Option<&'static str> {
    Some(match kind {
        ObjectType::AttackPattern => "technique",
        ObjectType::Tactic => "tactic",
        ObjectType::Tool | ObjectType::Malware => "software",
        ObjectType::IntrusionSet => "group",
        ObjectType::CourseOfAction => "mitigation",
        ObjectType::Matrix => "matrix",
        ObjectType::DataComponent => "datacomponent",
        ObjectType::DataSource => "datasource",
        ObjectType::Campaign => "campaign",
        ObjectType::Asset => "asset",
        ObjectType::DetectionStrategy => "detectionstrategy",
        _ => return None,
    })
}

/// Every live relationship between live objects but `subtechnique-of` (the techniques sheet
/// has those), in bundle order.
fn relationship_rows(d: &Dataset) -> Vec<RelRow> {
    let mut rows = Vec::new();
    for link in d.links() {
        if !d.is_live(link.relationship) || !d.is_live(link.source) || !d.is_live(link.target) {
            continue;
        }
        let r = d.object(link.relationship);
        let mapping_type = r.relationship_type.as_deref().unwrap_or("").to_string();
        if mapping_type == "revoked" || mapping_type == "subtechnique-of" {
            continue;
        }
        let source = d.object(link.source);
        let target = d.object(link.target);
        let source_type = attack_term(&source.kind);
        let target_type = attack_term(&target.kind);
        let mut record = Record::default();
        record.set("source ID", source.attack_id().unwrap_or(""));
        record.set("source name", source.name.as_deref().unwrap_or(""));
        record.set("source ref", &*source.id);
        record.set("source type", source_type.unwrap_or(""));
        record.set("mapping type", mapping_type.as_str());
        record.set("target ID", target.attack_id().unwrap_or(""));
        record.set("target name", target.name.as_deref().unwrap_or(""));
        record.set("target ref", &*target.id);
        record.set("target type", target_type.unwrap_or(""));
        if let Some(description) = &r.description {
            record.set("mapping description", &**description);
        }
        record.set("STIX ID", &*r.id);
        let created = r.created.as_deref().map(format_date);
        let modified = r.modified.as_deref().map(format_date);
        if let Some(c) = &created {
            record.set("created", c.as_str());
        }
        if let Some(m) = &modified {
            record.set("last modified", m.as_str());
        }
        let key = |v: Option<&str>| (v.is_none(), v.unwrap_or("").to_string());
        let sort_key = vec![
            key(Some(&mapping_type)),
            key(source_type),
            key(target_type),
            key(source.name.as_deref()),
            key(target.name.as_deref()),
            key(Some(&source.id)),
            key(Some(&target.id)),
            key(created.as_deref()),
            key(modified.as_deref()),
        ];
        rows.push(RelRow {
            record,
            source_kind: source.kind.clone(),
            target_kind: target.kind.clone(),
            source_type,
            target_type,
            mapping_type,
            description: r.description.as_deref().map(str::to_string),
            sort_key,
        });
    }
    rows
}

fn rel_sheet(name: &str, rows: &[&RelRow], columns: &[&'static str]) -> Sheet {
    let mut sorted: Vec<&RelRow> = rows.to_vec();
    sorted.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
    Sheet {
        name: name.to_string(),
        headers: columns.iter().map(|c| c.to_string()).collect(),
        rows: sorted
            .iter()
            .map(|r| {
                columns
                    .iter()
                    .map(|c| {
                        r.record
                            .fields
                            .iter()
                            .find(|(k, _)| k == c)
                            .map(|(_, v)| v.clone())
                            .unwrap_or(Cell::Text(String::new()))
                    })
                    .collect()
            })
            .collect(),
        merges: Vec::new(),
        matrix: false,
    }
}

/// The columns pandas gives a frame of these relationship rows.
fn rel_columns(rows: &[&RelRow]) -> Vec<&'static str> {
    let mut columns: Vec<&'static str> = Vec::new();
    for r in rows {
        for (k, _) in &r.record.fields {
            if !columns.contains(k) {
                columns.push(k);
            }
        }
    }
    columns
}

/// The relationship sheets of one object type (`relatedType`), as attackToExcel names them:
/// (sheet, relationship citations per object ID), and the citations they use.
struct Codex {
    sheets: Vec<(Sheet, Vec<Vec<String>>)>,
    citations: Option<Vec<Citation>>,
}

fn codex(related: &str, types: &[ObjectType], all: &[RelRow], rel_citations: &[Citation]) -> Codex {
    let rows: Vec<&RelRow> = all
        .iter()
        .filter(|r| types.contains(&r.source_kind) || types.contains(&r.target_kind))
        .collect();
    if rows.is_empty() {
        return Codex {
            sheets: Vec::new(),
            citations: None,
        };
    }
    let columns = rel_columns(&rows);
    let is = |t: Option<&str>, of: &[&str]| t.is_some_and(|t| of.contains(&t));
    type Pick = Box<dyn Fn(&RelRow) -> bool>;
    let categories: Vec<(&str, Pick)> = vec![
        (
            if related == "group" {
                "associated software"
            } else {
                "associated groups"
            },
            Box::new(move |r: &RelRow| {
                is(r.source_type, &["group", "software"])
                    && r.mapping_type == "uses"
                    && is(r.target_type, &["group", "software"])
            }),
        ),
        (
            if related == "campaign" {
                "associated software"
            } else {
                "associated campaigns"
            },
            Box::new(move |r: &RelRow| {
                is(r.source_type, &["campaign", "software"])
                    && r.mapping_type == "uses"
                    && is(r.target_type, &["campaign", "software"])
            }),
        ),
        (
            if related == "technique" {
                "procedure examples"
            } else {
                "techniques used"
            },
            Box::new(|r: &RelRow| r.mapping_type == "uses" && r.target_type == Some("technique")),
        ),
        (
            match related {
                "campaign" => "attributed groups",
                "group" => "attributed campaigns",
                _ => "associated campaigns",
            },
            Box::new(|r: &RelRow| {
                r.mapping_type == "attributed-to" && r.target_type == Some("group")
            }),
        ),
        (
            if related == "technique" {
                "associated mitigations"
            } else {
                "techniques addressed"
            },
            Box::new(|r: &RelRow| r.mapping_type == "mitigates"),
        ),
        (
            if related == "technique" {
                "targeted assets"
            } else {
                "associated techniques"
            },
            Box::new(|r: &RelRow| r.mapping_type == "targets" && r.target_type == Some("asset")),
        ),
        (
            if related == "detectionstrategy" {
                "techniques detected"
            } else {
                "associated detection strategies"
            },
            Box::new(|r: &RelRow| {
                r.mapping_type == "detects" && r.source_type == Some("detectionstrategy")
            }),
        ),
    ];
    // a Python dict: a name given twice keeps its first place and takes the later rows
    let mut picked: Vec<(&str, Vec<&RelRow>)> = Vec::new();
    for (name, pick) in &categories {
        let chosen: Vec<&RelRow> = rows.iter().copied().filter(|r| pick(r)).collect();
        if chosen.is_empty() {
            continue;
        }
        match picked.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = chosen,
            None => picked.push((name, chosen)),
        }
    }
    let mut used: HashSet<&str> = HashSet::new();
    let mut sheets = Vec::new();
    for (name, chosen) in &picked {
        for r in chosen {
            if let Some(description) = &r.description {
                used.extend(cited_names(description));
            }
        }
        let sheet = rel_sheet(name, chosen, &columns);
        let ids = |key: &str| -> Vec<String> { sheet_column(&sheet, key) };
        let (sources, targets) = (ids("source ID"), ids("target ID"));
        let descriptions = sheet_column(&sheet, "mapping description");
        let per_row = sources
            .into_iter()
            .zip(targets)
            .zip(descriptions)
            .map(|((s, t), desc)| vec![s, t, desc])
            .collect();
        sheets.push((sheet, per_row));
    }
    let citations = if rel_citations.is_empty() {
        None
    } else {
        Some(
            rel_citations
                .iter()
                .filter(|c| used.contains(c.reference.as_str()))
                .cloned()
                .collect(),
        )
    };
    Codex { sheets, citations }
}

fn sheet_column(sheet: &Sheet, header: &str) -> Vec<String> {
    match sheet.headers.iter().position(|h| h == header) {
        Some(i) => sheet.rows.iter().map(|r| r[i].text()).collect(),
        None => vec![String::new(); sheet.rows.len()],
    }
}

/// attackToExcel's `relationship citations` for an object: per relationship sheet, the
/// citations of the rows naming its ID (sorted, comma-separated), the sheets joined by commas.
fn relationship_citations(id: &str, codex: &Codex) -> String {
    codex
        .sheets
        .iter()
        .map(|(_, rows)| {
            let mut found: Vec<&str> = Vec::new();
            if !id.is_empty() {
                for row in rows {
                    if row[0] == id || row[1] == id {
                        for name in cited_names(&row[2]) {
                            if !found.contains(&name) {
                                found.push(name);
                            }
                        }
                    }
                }
            }
            found.sort_unstable();
            found
                .iter()
                .map(|n| format!("(Citation: {n})"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// One object type of attackToExcel: its main sheet, relationship sheets and citations.
struct TypeData {
    name: &'static str,
    main: Sheet,
    relationship_sheets: Vec<Sheet>,
    citations: Option<Vec<Citation>>,
}

impl TypeData {
    fn sheets(&self) -> Vec<Sheet> {
        let mut sheets = vec![self.main.clone()];
        sheets.extend(self.relationship_sheets.iter().cloned());
        if let Some(c) = &self.citations {
            sheets.push(citation_sheet(c));
        }
        sheets
    }
}

struct Context<'a> {
    d: &'a Dataset,
    rels: Vec<RelRow>,
    rel_citations: Vec<Citation>,
}

impl Context<'_> {
    fn live(&self, types: &[ObjectType]) -> Vec<ObjId> {
        self.d
            .objects_of(types)
            .into_iter()
            .filter(|&o| self.d.is_live(o))
            .collect()
    }

    /// A type with relationship sheets: rows sorted by name, `relationship citations` added,
    /// relationship citations then the objects' own.
    fn related(
        &self,
        name: &'static str,
        related: &str,
        types: &[ObjectType],
        objects: &[ObjId],
        mut records: Vec<Record>,
        extra: &[&str],
    ) -> TypeData {
        let codex = codex(related, types, &self.rels, &self.rel_citations);
        for r in &mut records {
            let cited = relationship_citations(&r.text("ID"), &codex);
            r.more.insert(0, ("relationship citations", cited.into()));
        }
        let own = citations_of(self.d, objects);
        let citations = match (codex.citations, own.is_empty()) {
            (Some(mut from_relationships), _) => {
                sort_citations(&mut from_relationships);
                from_relationships.extend(own);
                Some(from_relationships)
            }
            (None, false) => Some(own),
            (None, true) => None,
        };
        TypeData {
            name,
            main: frame(name, records, &["relationship citations"], extra, true),
            relationship_sheets: codex.sheets.into_iter().map(|(s, _)| s).collect(),
            citations,
        }
    }

    /// A type without relationship sheets: rows sorted by name, its citations sorted.
    fn plain(
        &self,
        name: &'static str,
        objects: &[ObjId],
        records: Vec<Record>,
        extra: &[&str],
    ) -> TypeData {
        let mut own = citations_of(self.d, objects);
        sort_citations(&mut own);
        TypeData {
            name,
            main: frame(name, records, &[], extra, true),
            relationship_sheets: Vec::new(),
            citations: (!own.is_empty()).then_some(own),
        }
    }
}

fn with_extra(mut r: Record, extra: Fields) -> Record {
    r.more.extend(extra);
    r
}

fn common_and(extra: &[&'static str]) -> Vec<&'static str> {
    let mut all: Vec<&'static str> = COMMON.to_vec();
    all.extend_from_slice(extra);
    all
}

fn techniques(cx: &Context) -> Result<TypeData> {
    let d = cx.d;
    let domain = d.domain();
    let objects = cx.live(&[ObjectType::AttackPattern]);
    let tactic_names: HashMap<String, String> = cx
        .live(&[ObjectType::Tactic])
        .into_iter()
        .filter_map(|t| {
            let o = d.object(t);
            Some((
                o.shortname.as_deref()?.to_string(),
                o.name.as_deref()?.to_string(),
            ))
        })
        .collect();
    let mut records = Vec::new();
    for &id in &objects {
        let o = d.object(id);
        if o.kill_chain_phases.is_empty() {
            continue;
        }
        let details = d.details(id)?;
        let mut r = base(d, id);
        let shortnames: Vec<&str> = o.kill_chain_phases.iter().map(|k| &*k.phase_name).collect();
        let tactics: Vec<String> = shortnames
            .iter()
            .map(|s| match tactic_names.get(*s) {
                Some(n) => n.clone(),
                None => title_case(s),
            })
            .collect();
        r.set("tactics", sorted_join(&tactics, ", "));
        if let Some(detection) = &details.detection {
            r.set("detection", detection.as_str());
        }
        if !o.platforms.is_empty() {
            r.set("platforms", sorted_join(&o.platforms, ", "));
        }
        if matches!(domain, Domain::Enterprise | Domain::Ics) {
            if let Some(sources) = &details.data_sources {
                r.set("data sources", sorted_join(sources, ", "));
            }
        }
        let parent = d
            .outgoing(id)
            .find(|l| {
                d.object(l.relationship).relationship_type.as_deref() == Some("subtechnique-of")
            })
            .map(|l| l.target);
        match domain {
            Domain::Enterprise => {
                r.set("is sub-technique", o.is_subtechnique);
                if let (true, Some(p)) = (o.is_subtechnique, parent) {
                    let parent_name = d.object(p).name.as_deref().unwrap_or("");
                    r.set(
                        "name",
                        format!("{parent_name}: {}", o.name.as_deref().unwrap_or("")),
                    );
                    r.set("sub-technique of", first_ref_id(d, p).unwrap_or_default());
                }
                if let Some(v) = &details.system_requirements {
                    r.set("system requirements", sorted_join(v, ", "));
                }
                if let Some(v) = &details.permissions_required {
                    r.set("permissions required", sorted_lower_join(v));
                }
                if let Some(v) = &details.effective_permissions {
                    r.set("effective permissions", sorted_lower_join(v));
                }
                if let (true, Some(v)) = (
                    shortnames.contains(&"defense-evasion"),
                    &details.defense_bypassed,
                ) {
                    r.set("defenses bypassed", sorted_join(v, ", "));
                }
                if let (true, Some(v)) = (shortnames.contains(&"execution"), details.remote_support)
                {
                    r.set("supports remote", v);
                }
                if let (true, Some(v)) = (shortnames.contains(&"impact"), &details.impact_type) {
                    r.set("impact type", sorted_join(v, ", "));
                }
                let capec: Vec<&str> = o
                    .external_references
                    .iter()
                    .filter(|e| &*e.source_name == "capec")
                    .filter_map(|e| e.external_id.as_deref())
                    .collect();
                if !capec.is_empty() {
                    r.set("CAPEC ID", capec.join(", "));
                }
            }
            Domain::Mobile => {
                if let Some(v) = &details.tactic_type {
                    r.set("tactic type", sorted_join(v, ", "));
                }
                if let Some(mtc) = o
                    .external_references
                    .iter()
                    .find(|e| &*e.source_name == "NIST Mobile Threat Catalogue")
                {
                    r.set("MTC ID", mtc.external_id.as_deref().unwrap_or(""));
                }
            }
            Domain::Ics => {}
        }
        let extra: Fields = vec![
            ("tactics", names(d, &d.tactics_of_technique(id)).into()),
            ("platforms", list(&o.platforms).into()),
            ("is sub-technique", o.is_subtechnique.into()),
            (
                "sub-technique of",
                d.related(Relation::ParentTechniqueOfSubtechnique, id)
                    .first()
                    .map(|&p| d.display_id(p).to_string())
                    .unwrap_or_default()
                    .into(),
            ),
        ];
        records.push(with_extra(r, extra));
    }
    Ok(cx.related(
        "techniques",
        "technique",
        &[ObjectType::AttackPattern],
        &objects,
        records,
        &common_and(&[
            "tactics",
            "platforms",
            "is sub-technique",
            "sub-technique of",
        ]),
    ))
}

/// attackToExcel's name for a tactic shortname it has no tactic for (`defense-evasion` ->
/// `Defense Evasion`).
fn title_case(shortname: &str) -> String {
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

/// Aliases after the first (the object's own name), sorted, with the description of the
/// external reference named after each.
fn associated(d: &Dataset, id: ObjId) -> Option<(String, String)> {
    let o = d.object(id);
    if o.aliases.is_empty() {
        return None;
    }
    let aliases = sorted(&o.aliases[1..]);
    let citations: Vec<&str> = aliases
        .iter()
        .filter_map(|a| {
            o.external_references
                .iter()
                .find(|r| &*r.source_name == a.as_str())
                .map(|r| r.description.as_deref().unwrap_or(""))
        })
        .collect();
    Some((aliases.join(", "), citations.join(", ")))
}

fn knowledge_base_types(d: &Dataset) -> Result<(Vec<TypeData>, Vec<Sheet>, Vec<Sheet>)> {
    d.load_where(|_| true);
    let rels = relationship_rows(d);
    let live_relationships: Vec<ObjId> = d
        .objects_of(&[ObjectType::Relationship])
        .into_iter()
        .filter(|&r| d.is_live(r))
        .collect();
    let mut rel_citations = citations_of(d, &live_relationships);
    sort_citations(&mut rel_citations);
    let cx = Context {
        d,
        rels,
        rel_citations,
    };
    let mut types = vec![techniques(&cx)?];

    let tactics = cx.live(&[ObjectType::Tactic]);
    let records = tactics
        .iter()
        .map(|&t| {
            let short = d.object(t).shortname.as_deref().unwrap_or("").to_string();
            with_extra(base(d, t), vec![("shortname", short.into())])
        })
        .collect();
    types.push(cx.plain("tactics", &tactics, records, &common_and(&["shortname"])));

    let software = cx.live(&[ObjectType::Tool, ObjectType::Malware]);
    let records = software
        .iter()
        .map(|&s| {
            let o = d.object(s);
            let mut r = base(d, s);
            if !o.platforms.is_empty() {
                r.set("platforms", sorted_join(&o.platforms, ", "));
            }
            if !o.aliases.is_empty() {
                r.set("aliases", sorted_join(&o.aliases[1..], ", "));
            }
            r.set("type", o.kind.as_str());
            r
        })
        .collect();
    types.push(cx.related(
        "software",
        "software",
        &[ObjectType::Tool, ObjectType::Malware],
        &software,
        records,
        &common_and(&["type", "platforms", "aliases"]),
    ));

    let groups = cx.live(&[ObjectType::IntrusionSet]);
    let records = groups
        .iter()
        .map(|&g| {
            let mut r = base(d, g);
            if let Some((aliases, citations)) = associated(d, g) {
                r.set("associated groups", aliases);
                r.set("associated groups citations", citations);
            }
            with_extra(r, vec![("aliases", list(&d.object(g).aliases).into())])
        })
        .collect();
    types.push(cx.related(
        "groups",
        "group",
        &[ObjectType::IntrusionSet],
        &groups,
        records,
        &common_and(&["aliases"]),
    ));

    let campaigns = cx.live(&[ObjectType::Campaign]);
    if !campaigns.is_empty() {
        let mut records = Vec::new();
        for &c in &campaigns {
            let o = d.object(c);
            let details = d.details(c)?;
            let mut r = base(d, c);
            if let Some((aliases, citations)) = associated(d, c) {
                r.set("associated campaigns", aliases);
                r.set("associated campaigns citations", citations);
            }
            r.set(
                "first seen",
                o.first_seen.as_deref().map(format_date).unwrap_or_default(),
            );
            r.set(
                "first seen citation",
                details.first_seen_citation.unwrap_or_default(),
            );
            r.set(
                "last seen",
                o.last_seen.as_deref().map(format_date).unwrap_or_default(),
            );
            r.set(
                "last seen citation",
                details.last_seen_citation.unwrap_or_default(),
            );
            records.push(with_extra(r, vec![("aliases", list(&o.aliases).into())]));
        }
        types.push(cx.related(
            "campaigns",
            "campaign",
            &[ObjectType::Campaign],
            &campaigns,
            records,
            &common_and(&["aliases", "first seen", "last seen"]),
        ));
    }

    let assets = cx.live(&[ObjectType::Asset]);
    if !assets.is_empty() {
        let mut records = Vec::new();
        for &a in &assets {
            let o = d.object(a);
            let details = d.details(a)?;
            let mut r = base(d, a);
            if !o.platforms.is_empty() {
                r.set("platforms", sorted_join(&o.platforms, ", "));
            }
            if !o.sectors.is_empty() {
                r.set("sectors", sorted_join(&o.sectors, ", "));
            }
            if let Some(related) = &details.related_assets {
                let field = |f: &dyn Fn(&attackdb_kb::RelatedAsset) -> String| {
                    related.iter().map(f).collect::<Vec<_>>().join("; ")
                };
                r.set(
                    "related assets",
                    field(&|x| x.name.clone().unwrap_or_default()),
                );
                r.set(
                    "related assets sectors",
                    field(&|x| {
                        x.related_asset_sectors
                            .as_deref()
                            .unwrap_or_default()
                            .join(", ")
                    }),
                );
                r.set(
                    "related assets description",
                    field(&|x| x.description.clone().unwrap_or_default()),
                );
            }
            records.push(r);
        }
        types.push(cx.related(
            "assets",
            "asset",
            &[ObjectType::Asset],
            &assets,
            records,
            &common_and(&["platforms", "sectors"]),
        ));
    }

    let mitigations = cx.live(&[ObjectType::CourseOfAction]);
    let records = mitigations.iter().map(|&m| base(d, m)).collect();
    types.push(cx.related(
        "mitigations",
        "mitigation",
        &[ObjectType::CourseOfAction],
        &mitigations,
        records,
        &COMMON,
    ));

    let (main_matrices, platform_matrices) = matrices(&cx);

    let all = cx.rels.iter().collect::<Vec<_>>();
    let columns = rel_columns(&all);
    types.push(TypeData {
        name: "relationships",
        main: rel_sheet("relationships", &all, &columns),
        relationship_sheets: Vec::new(),
        citations: (!cx.rel_citations.is_empty()).then(|| cx.rel_citations.clone()),
    });

    let components = cx.live(&[ObjectType::DataComponent]);
    let records = components
        .iter()
        .map(|&c| {
            let o = d.object(c);
            let source = o
                .data_source_ref
                .as_deref()
                .and_then(|r| d.by_stix_id(r))
                .map(|s| d.display_name(s).to_string())
                .unwrap_or_default();
            let logs: Vec<String> = o
                .log_sources
                .iter()
                .map(|l| match &l.channel {
                    Some(ch) => format!("{}: {ch}", l.name),
                    None => l.name.to_string(),
                })
                .collect();
            with_extra(
                base(d, c),
                vec![
                    ("data source", source.into()),
                    ("log sources", logs.join("; ").into()),
                ],
            )
        })
        .collect();
    types.push(cx.plain(
        "datacomponents",
        &components,
        records,
        &common_and(&["data source", "log sources"]),
    ));

    let analytics = cx.live(&[ObjectType::Analytic]);
    if !analytics.is_empty() {
        let records = analytics
            .iter()
            .map(|&a| {
                let o = d.object(a);
                let logs: Vec<String> = o
                    .log_source_references
                    .iter()
                    .map(|r| {
                        let dc = d
                            .by_stix_id(&r.data_component_ref)
                            .map(|c| d.display_id(c).to_string())
                            .unwrap_or_default();
                        match &r.channel {
                            Some(c) => format!("{dc} {}: {c}", r.name),
                            None => format!("{dc} {}", r.name),
                        }
                    })
                    .collect();
                with_extra(
                    base(d, a),
                    vec![
                        ("platforms", list(&o.platforms).into()),
                        ("log sources", logs.join("; ").into()),
                    ],
                )
            })
            .collect();
        types.push(cx.plain(
            "analytics",
            &analytics,
            records,
            &common_and(&["platforms", "log sources"]),
        ));
    }

    let strategies = cx.live(&[ObjectType::DetectionStrategy]);
    if !strategies.is_empty() {
        let records = strategies
            .iter()
            .map(|&s| {
                let mut r = base(d, s);
                r.set("analytic_refs", list_with(&d.object(s).analytic_refs, "; "));
                let analytics: Vec<String> = d
                    .analytics_of_strategy(s)
                    .iter()
                    .map(|&a| d.display_id(a).to_string())
                    .collect();
                let techniques: Vec<String> = d
                    .related(Relation::TechniquesDetectedByDetectionStrategy, s)
                    .iter()
                    .map(|&t| d.display_id(t).to_string())
                    .collect();
                with_extra(
                    r,
                    vec![
                        ("analytics", analytics.join(", ").into()),
                        ("techniques", techniques.join(", ").into()),
                    ],
                )
            })
            .collect();
        types.push(cx.plain(
            "detectionstrategies",
            &strategies,
            records,
            &common_and(&["analytics", "techniques"]),
        ));
    }
    Ok((types, main_matrices, platform_matrices))
}

fn list_with(items: &[Box<str>], sep: &str) -> String {
    items.iter().map(|s| &**s).collect::<Vec<_>>().join(sep)
}

/// attackToExcel's `PLATFORMS_LOOKUP`: the platform matrices of a domain.
fn platform_matrices(domain: Domain) -> &'static [&'static str] {
    match domain {
        Domain::Enterprise => &[
            "PRE",
            "Windows",
            "macOS",
            "Linux",
            "Cloud",
            "Office Suite",
            "Identity Provider",
            "SaaS",
            "IaaS",
            "Network Devices",
            "Containers",
            "ESXi",
        ],
        Domain::Mobile => &["Android", "iOS"],
        Domain::Ics => &[
            "Field Controller/RTU/PLC/IED",
            "Safety Instrumented System/Protection Relay",
            "Control Server",
            "Input/Output Server",
            "Windows",
            "Human-Machine Interface",
            "Engineering Workstation",
            "Data Historian",
        ],
    }
}

/// The platforms a platform matrix shows (`Cloud` is four).
fn platform_group(platform: &str) -> Vec<&str> {
    match platform {
        "Cloud" => vec!["Office Suite", "Identity Provider", "SaaS", "IaaS"],
        other => vec![other],
    }
}

fn on_platforms(d: &Dataset, id: ObjId, platforms: &[&str]) -> bool {
    let own = &d.object(id).platforms;
    platforms
        .iter()
        .any(|p| own.iter().any(|o| o.to_lowercase() == p.to_lowercase()))
}

/// A matrix being laid out: columns of cells, headers, merges.
#[derive(Default)]
struct Layout {
    grid: Vec<Vec<String>>,
    headers: Vec<String>,
    merges: Vec<Merge>,
}

fn sort_by_object_name(d: &Dataset, ids: &mut [ObjId]) {
    ids.sort_by(|&a, &b| d.object(a).name.cmp(&d.object(b).name));
}

impl Layout {
    /// One tactic: its techniques' column and, when any has sub-techniques, theirs beside it,
    /// each technique merged down beside its sub-techniques (attackToExcel's
    /// `build_technique_and_sub_columns`).
    fn add_tactic(
        &mut self,
        d: &Dataset,
        tactic: &str,
        techniques: &[ObjId],
        platform: Option<&[&str]>,
    ) {
        self.headers.push(tactic.to_string());
        let column = self.headers.len() - 1;
        let mut techs: Vec<String> = Vec::new();
        let mut subs: Vec<String> = Vec::new();
        for &t in techniques {
            let name = d.object(t).name.as_deref().unwrap_or("").to_string();
            techs.push(name.clone());
            let mut children: Vec<ObjId> = d
                .incoming(t)
                .filter(|l| {
                    d.object(l.relationship).relationship_type.as_deref() == Some("subtechnique-of")
                })
                .map(|l| l.source)
                .filter(|&s| d.is_live(s))
                .filter(|&s| platform.is_none_or(|p| on_platforms(d, s, p)))
                .collect();
            sort_by_object_name(d, &mut children);
            if children.is_empty() {
                // attackToExcel adds no blank when the technique has sub-techniques none of
                // which is shown, which moves later sub-techniques beside the wrong technique
                subs.push(String::new());
                continue;
            }
            let top = techs.len();
            for (i, &c) in children.iter().enumerate() {
                if i != 0 {
                    techs.push(String::new());
                }
                subs.push(d.object(c).name.as_deref().unwrap_or("").to_string());
            }
            let bottom = techs.len();
            if top != bottom {
                self.merges.push(Merge {
                    first_row: top as u32,
                    first_col: column as u16,
                    last_row: bottom as u32,
                    last_col: column as u16,
                    text: name,
                    tactic_header: false,
                });
            }
        }
        self.grid.push(techs);
        if subs.iter().any(|s| !s.is_empty()) {
            self.grid.push(subs);
            self.headers.push(String::new());
            self.merges.push(Merge {
                first_row: 0,
                first_col: column as u16,
                last_row: 0,
                last_col: column as u16 + 1,
                text: tactic.to_string(),
                tactic_header: true,
            });
        }
    }

    fn sheet(self, name: String) -> Sheet {
        let height = self.grid.iter().map(Vec::len).max().unwrap_or(0);
        let rows = (0..height)
            .map(|r| {
                self.grid
                    .iter()
                    .map(|c| Cell::Text(c.get(r).cloned().unwrap_or_default()))
                    .collect()
            })
            .collect();
        Sheet {
            name,
            headers: self.headers,
            rows,
            merges: self.merges,
            matrix: true,
        }
    }
}

/// attackToExcel's sheet name for a matrix: invalid characters replaced, at most 31 characters.
fn matrix_sheet_name(name: &str, only_one: bool) -> String {
    let mut sheet = if only_one {
        "matrix".to_string()
    } else {
        format!("{name} matrix")
    };
    for c in ['\\', '/', '*', '[', ']', ':', '?'] {
        let by = if matches!(c, '\\' | '/') { " or " } else { " " };
        sheet = sheet.replace(c, by);
    }
    if sheet.chars().count() > 31 {
        sheet = sheet.chars().take(28).collect::<String>() + "...";
    }
    sheet
}

/// The laid-out matrices: each matrix of the release, then each platform's.
fn matrices(cx: &Context) -> (Vec<Sheet>, Vec<Sheet>) {
    let d = cx.d;
    let matrices = cx.live(&[ObjectType::Matrix]);
    let techniques: Vec<ObjId> = cx
        .live(&[ObjectType::AttackPattern])
        .into_iter()
        .filter(|&t| !d.object(t).is_subtechnique)
        .collect();
    let platforms = platform_matrices(d.domain());
    let mut mains = Vec::new();
    let mut subs = Vec::new();
    for &m in &matrices {
        let matrix = d.object(m);
        let matrix_name = matrix.name.as_deref().unwrap_or("");
        let name = if matrices.len() == 1 {
            matrix_name.to_string()
        } else {
            let domain = d.domain().as_str().split('-').next().unwrap_or("");
            format!("{} {matrix_name}", title_case(domain))
        };
        let mut main = Layout::default();
        let mut per_platform: Vec<Layout> = platforms.iter().map(|_| Layout::default()).collect();
        for tactic_ref in &matrix.tactic_refs {
            let Some(tactic) = d.by_stix_id(tactic_ref) else {
                continue;
            };
            let t = d.object(tactic);
            let tactic_name = t.name.as_deref().unwrap_or("");
            let short = t.shortname.as_deref().unwrap_or("");
            let mut of_tactic: Vec<ObjId> = techniques
                .iter()
                .copied()
                .filter(|&x| {
                    d.object(x)
                        .kill_chain_phases
                        .iter()
                        .any(|k| &*k.phase_name == short)
                })
                .collect();
            sort_by_object_name(d, &mut of_tactic);
            main.add_tactic(d, tactic_name, &of_tactic, None);
            for (layout, platform) in per_platform.iter_mut().zip(platforms) {
                let group = platform_group(platform);
                let shown: Vec<ObjId> = of_tactic
                    .iter()
                    .copied()
                    .filter(|&x| on_platforms(d, x, &group))
                    .collect();
                if !shown.is_empty() {
                    layout.add_tactic(d, tactic_name, &shown, Some(&group));
                }
            }
        }
        mains.push((name, main));
        for (layout, platform) in per_platform.into_iter().zip(platforms) {
            if !layout.grid.is_empty() {
                let sub_name = if matrices.len() == 1 {
                    platform.to_string()
                } else {
                    format!("{platform} {matrix_name}")
                };
                subs.push((sub_name, layout));
            }
        }
    }
    let only_one = mains.len() + subs.len() == 1;
    let sheets = |list: Vec<(String, Layout)>| -> Vec<Sheet> {
        list.into_iter()
            .map(|(name, layout)| layout.sheet(matrix_sheet_name(&name, only_one)))
            .collect()
    };
    (sheets(mains), sheets(subs))
}

/// attackToExcel's `defensive mappings`: detection strategy -> analytic -> log source.
fn defensive_mappings(d: &Dataset) -> Sheet {
    let mut rows = Vec::new();
    for s in d.objects_of(&[ObjectType::DetectionStrategy]) {
        if !d.is_live(s) {
            continue;
        }
        let strategy = d.object(s);
        for analytic_ref in &strategy.analytic_refs {
            let Some(a) = d.by_stix_id(analytic_ref).filter(|&a| d.is_live(a)) else {
                continue;
            };
            let analytic = d.object(a);
            for log in &analytic.log_source_references {
                let dc = d.by_stix_id(&log.data_component_ref);
                rows.push(vec![
                    first_ref_id(d, s).unwrap_or_default().into(),
                    (&*strategy.id).into(),
                    strategy.name.as_deref().unwrap_or("").into(),
                    (&**analytic_ref).into(),
                    first_ref_id(d, a).unwrap_or_default().into(),
                    sorted_join(&analytic.platforms, ", ").into(),
                    (&*log.name).into(),
                    log.channel.as_deref().unwrap_or("").into(),
                    (&*log.data_component_ref).into(),
                    dc.and_then(|c| d.object(c).name.as_deref())
                        .unwrap_or("")
                        .into(),
                    dc.and_then(|c| first_ref_id(d, c))
                        .unwrap_or_default()
                        .into(),
                ]);
            }
        }
    }
    Sheet {
        name: "defensive mappings".to_string(),
        headers: DEFENSIVE_COLUMNS.iter().map(|h| h.to_string()).collect(),
        rows,
        merges: Vec::new(),
        matrix: false,
    }
}

/// attackdb's own sheets: the matrix objects and (up to 17.x) the data sources.
fn attackdb_sheets(cx: &Context) -> (Sheet, Sheet) {
    let d = cx.d;
    let matrices = cx.live(&[ObjectType::Matrix]);
    let records: Vec<Record> = matrices
        .iter()
        .map(|&m| {
            let tactics: Vec<ObjId> = d
                .object(m)
                .tactic_refs
                .iter()
                .filter_map(|r| d.by_stix_id(r))
                .collect();
            let mut r = Record {
                fields: Vec::new(),
                more: base(d, m).more,
            };
            r.more.push(("tactics", names(d, &tactics).into()));
            r
        })
        .collect();
    let matrices = frame("matrices", records, &[], &common_and(&["tactics"]), false);
    let sources = d.list_any(&[Concept::DataSource], Visibility::LIVE);
    let records: Vec<Record> = sources
        .iter()
        .map(|&s| Record {
            fields: Vec::new(),
            more: {
                let mut more = base(d, s).more;
                more.push(("platforms", list(&d.object(s).platforms).into()));
                more
            },
        })
        .collect();
    let datasources = frame(
        "datasources",
        records,
        &[],
        &common_and(&["platforms"]),
        true,
    );
    (matrices, datasources)
}

/// Every workbook of `dataset`, as attackToExcel writes them: `<domain>.xlsx` (each type's
/// main sheet, the matrices, `defensive mappings`, `citations`), then `<domain>-<type>.xlsx`
/// per type (its sheet, its relationship sheets, its citations, `defensive mappings` for the
/// detection types) and `<domain>-matrices.xlsx` (every matrix, then every platform's).
/// attackdb's own come after: the `matrices` sheet (matrix objects), `datasources` (when the
/// release has live ones), `<domain>-citations.xlsx` and `<domain>-datasources.xlsx`.
pub fn knowledge_base_files(dataset: &Dataset) -> Result<Vec<WorkbookSheets>> {
    let d = dataset;
    let domain = d.domain();
    let (types, main_matrices, platform_matrices) = knowledge_base_types(d)?;
    let defensive = defensive_mappings(d);
    let cx = Context {
        d,
        rels: Vec::new(),
        rel_citations: Vec::new(),
    };
    let (matrix_objects, datasources) = attackdb_sheets(&cx);
    let mut master = Vec::new();
    let mut files = Vec::new();
    let mut all_citations: Vec<Citation> = Vec::new();
    for t in &types {
        if t.main.rows.is_empty() {
            continue;
        }
        let mut sheets = t.sheets();
        let detection_type = matches!(
            t.name,
            "detectionstrategies" | "analytics" | "datacomponents"
        );
        if detection_type && !defensive.rows.is_empty() {
            sheets.push(defensive.clone());
        }
        files.push(WorkbookSheets {
            file: format!("{domain}-{}.xlsx", t.name),
            sheets,
        });
        if let Some(c) = &t.citations {
            all_citations.extend(c.iter().cloned());
        }
        master.push(t.main.clone());
        if t.name == "mitigations" {
            master.extend(main_matrices.iter().cloned());
            let mut sheets: Vec<Sheet> = main_matrices.clone();
            sheets.extend(platform_matrices.iter().cloned());
            if !matrix_objects.rows.is_empty() {
                sheets.push(matrix_objects.clone());
            }
            files.push(WorkbookSheets {
                file: format!("{domain}-matrices.xlsx"),
                sheets,
            });
        }
    }
    if !defensive.rows.is_empty() {
        master.push(defensive);
    }
    let mut seen = HashSet::new();
    all_citations.retain(|c| seen.insert(c.reference.clone()));
    sort_citations(&mut all_citations);
    let citations = citation_sheet(&all_citations);
    master.push(citations.clone());
    if !matrix_objects.rows.is_empty() {
        master.push(matrix_objects);
    }
    if !datasources.rows.is_empty() {
        master.push(datasources.clone());
        files.push(WorkbookSheets {
            file: format!("{domain}-datasources.xlsx"),
            sheets: vec![datasources],
        });
    }
    files.push(WorkbookSheets {
        file: format!("{domain}-citations.xlsx"),
        sheets: vec![citations],
    });
    files.insert(
        0,
        WorkbookSheets {
            file: format!("{domain}.xlsx"),
            sheets: master,
        },
    );
    Ok(files)
}

/// The sheets of `<domain>.xlsx`, in order.
pub fn knowledge_base_sheets(dataset: &Dataset) -> Result<Vec<Sheet>> {
    Ok(knowledge_base_files(dataset)?
        .into_iter()
        .next()
        .map(|w| w.sheets)
        .unwrap_or_default())
}

/// Excel cells hold at most 32,767 characters.
fn cell_text(text: &str) -> &str {
    match text.char_indices().nth(32_000) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

fn write_sheets(sheets: &[Sheet]) -> Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let tactic_header = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_font_size(14)
        .set_align(FormatAlign::Center)
        .set_shrink();
    let supertechnique = Format::new()
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
        .set_shrink();
    let left = Format::new()
        .set_border_left(FormatBorder::Thin)
        .set_shrink();
    let right = Format::new()
        .set_border_right(FormatBorder::Thin)
        .set_shrink();
    for s in sheets {
        let ws = workbook.add_worksheet();
        ws.set_name(&s.name)?;
        for (c, h) in s.headers.iter().enumerate() {
            let format = if s.matrix { &header } else { &bold };
            if !h.is_empty() {
                ws.write_string_with_format(0, c as u16, h, format)?;
            }
        }
        for (r, row) in s.rows.iter().enumerate() {
            for (c, value) in row.iter().enumerate() {
                match value {
                    Cell::Text(t) if t.is_empty() => {}
                    Cell::Text(t) => {
                        ws.write_string(r as u32 + 1, c as u16, cell_text(t))?;
                    }
                    Cell::Bool(b) => {
                        ws.write_boolean(r as u32 + 1, c as u16, *b)?;
                    }
                }
            }
        }
        if s.matrix {
            for c in 0..=s.headers.len() {
                ws.set_column_width(c as u16, 20)?;
            }
            for m in &s.merges {
                if m.tactic_header {
                    ws.set_column_format(m.first_col, &left)?;
                    ws.set_column_format(m.last_col, &right)?;
                }
                let format = if m.tactic_header {
                    &tactic_header
                } else {
                    &supertechnique
                };
                ws.merge_range(
                    m.first_row,
                    m.first_col,
                    m.last_row,
                    m.last_col,
                    &m.text,
                    format,
                )?;
            }
        } else {
            ws.set_freeze_panes(1, 0)?;
        }
    }
    Ok(workbook.save_to_buffer()?)
}

/// The workbooks of `dataset` as (file name, bytes): see [`knowledge_base_files`].
pub fn knowledge_base_workbooks(dataset: &Dataset) -> Result<Vec<(String, Vec<u8>)>> {
    knowledge_base_files(dataset)?
        .into_iter()
        .map(|w| Ok((w.file, write_sheets(&w.sheets)?)))
        .collect()
}
