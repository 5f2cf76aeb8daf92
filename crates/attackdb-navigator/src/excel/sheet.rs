//! The sheet model (cells, merges, sheets, workbooks) and the pandas-like frame an object
//! sheet is built as: one `Record` per object, its columns in first-appearance order.

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

/// A row's cells by column name, in the order they were set.
pub(super) type Fields = Vec<(&'static str, Cell)>;

/// One object's row: attackToExcel's fields in the order it sets them, then the columns added
/// to the whole sheet afterwards (`relationship citations`) and attackdb's own.
#[derive(Debug, Default)]
pub(super) struct Record {
    /// attackToExcel's fields, in the order it sets them.
    pub(super) fields: Fields,
    /// The columns after attackToExcel's: `relationship citations`, then attackdb's own.
    pub(super) more: Fields,
}

impl Record {
    /// Sets `key` (in its first place when it is set again).
    pub(super) fn set(&mut self, key: &'static str, value: impl Into<Cell>) {
        let value = value.into();
        match self.fields.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((key, value)),
        }
    }

    /// The cell of `key`, from attackToExcel's fields first.
    pub(super) fn get(&self, key: &str) -> Option<&Cell> {
        self.fields
            .iter()
            .chain(self.more.iter())
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// The cell of `key` as text (empty when not set).
    pub(super) fn text(&self, key: &str) -> String {
        self.get(key).map(Cell::text).unwrap_or_default()
    }
}

/// A pandas-like frame: columns are the union of the records' fields in first-appearance
/// order (the records in bundle order), then `tail` (columns set on every row afterwards), then
/// those of `extra` not yet there; rows sorted by name when `by_name`.
pub(super) fn frame(
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
