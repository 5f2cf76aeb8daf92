//! A bundle's objects: all parsed at once (a bundle read from JSON), or parsed one by one on
//! first use (a bundle opened from its prebuilt index, whose table gives each object's place in
//! the text and its checksum). Both give the same [`StixObject`]s, parsed by the same code from
//! the same bytes.

use std::borrow::Cow;
use std::fs::File;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use crate::object::{JsonObject, StixObject};
use crate::text::BundleText;
use crate::{Error, Result};

/// One object's place in the bundle text and the XXH3-64 of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) len: u32,
    pub(crate) sum: u64,
}

impl Span {
    /// Bytes per span in the prebuilt index's table.
    pub(crate) const ENCODED_LEN: usize = 16;

    /// The place of `range` in `text` (which fits in 32 bits) and its checksum.
    pub(crate) fn of(text: &str, range: Range<usize>) -> Span {
        let bytes = text.as_bytes().get(range.clone()).unwrap_or_default();
        Span {
            start: range.start as u32,
            len: bytes.len() as u32,
            sum: xxhash_rust::xxh3::xxh3_64(bytes),
        }
    }

    fn range(self) -> Range<usize> {
        self.start as usize..self.start as usize + self.len as usize
    }

    pub(crate) fn encode(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.start.to_le_bytes());
        out.extend_from_slice(&self.len.to_le_bytes());
        out.extend_from_slice(&self.sum.to_le_bytes());
    }

    pub(crate) fn decode(bytes: &[u8]) -> Option<Span> {
        let word = |at: usize| -> Option<[u8; 4]> { bytes.get(at..at + 4)?.try_into().ok() };
        let sum: [u8; 8] = bytes.get(8..16)?.try_into().ok()?;
        Some(Span {
            start: u32::from_le_bytes(word(0)?),
            len: u32::from_le_bytes(word(4)?),
            sum: u64::from_le_bytes(sum),
        })
    }
}

/// Every object of a bundle, in file order.
#[derive(Debug)]
pub struct Objects {
    store: Store,
}

#[derive(Debug)]
enum Store {
    Parsed(Vec<StixObject>),
    Lazy(Box<Lazy>),
}

/// Objects read on first use: from the bundle text in memory (a bundle read from JSON), or from
/// the text of a prebuilt index (or, if that copy is damaged, from the bundle itself through
/// [`BundleText`]).
#[derive(Debug)]
pub(crate) struct Lazy {
    pub(crate) spans: Vec<Span>,
    pub(crate) cells: Box<[OnceLock<Box<StixObject>>]>,
    pub(crate) raw: Box<[OnceLock<Box<str>>]>,
    pub(crate) text: Arc<BundleText>,
    /// The file problems name: the prebuilt index, or the bundle.
    pub(crate) source: PathBuf,
    /// The prebuilt index and where its copy of the text starts, if the objects come from one.
    pub(crate) index: Option<(File, u64)>,
    /// Objects that could not be read (their place holds an empty object).
    pub(crate) problems: Mutex<Vec<String>>,
}

impl Objects {
    /// Objects already parsed.
    pub fn parsed(objects: Vec<StixObject>) -> Objects {
        Objects {
            store: Store::Parsed(objects),
        }
    }

    pub(crate) fn lazy(lazy: Lazy) -> Objects {
        Objects {
            store: Store::Lazy(Box::new(lazy)),
        }
    }

    /// Objects at `spans` of `text` (in memory, read from `path`), each parsed on first use.
    pub(crate) fn in_text(
        spans: Vec<Span>,
        path: &std::path::Path,
        text: Arc<BundleText>,
    ) -> Objects {
        let count = spans.len();
        Objects::lazy(Lazy {
            spans,
            cells: (0..count).map(|_| OnceLock::new()).collect(),
            raw: (0..count).map(|_| OnceLock::new()).collect(),
            text,
            source: path.to_path_buf(),
            index: None,
            problems: Mutex::new(Vec::new()),
        })
    }

    /// How many objects.
    pub fn len(&self) -> usize {
        match &self.store {
            Store::Parsed(objects) => objects.len(),
            Store::Lazy(lazy) => lazy.spans.len(),
        }
    }

    /// Returns true if and only if there are no objects.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The object at `index`, parsed now if it was not yet. An object whose bytes cannot be read
    /// back (the prebuilt index and the bundle both changed since loading) is an empty object,
    /// and the reason is kept in [`Objects::problems`].
    pub fn get(&self, index: usize) -> Option<&StixObject> {
        match &self.store {
            Store::Parsed(objects) => objects.get(index),
            Store::Lazy(lazy) => {
                let cell = lazy.cells.get(index)?;
                Some(cell.get_or_init(|| Box::new(lazy.parse(index))))
            }
        }
    }

    /// Every object, in file order. Objects not parsed yet are parsed first, over every core.
    pub fn iter(&self) -> Iter<'_> {
        self.load_all();
        Iter {
            objects: self,
            next: 0,
        }
    }

    /// Parses every object not parsed yet, over every core.
    pub fn load_all(&self) {
        if let Store::Lazy(lazy) = &self.store {
            let all: Vec<usize> = (0..lazy.cells.len()).collect();
            self.load(&all);
        }
    }

    /// Parses the objects at `indexes` not parsed yet, over every core (a lister about to read
    /// many objects calls this first).
    pub fn load(&self, indexes: &[usize]) {
        let Store::Lazy(lazy) = &self.store else {
            return;
        };
        let missing: Vec<usize> = indexes
            .iter()
            .copied()
            .filter(|&i| lazy.cells.get(i).is_some_and(|c| c.get().is_none()))
            .collect();
        if missing.is_empty() {
            return;
        }
        if missing.len() < 64 {
            for i in missing {
                let _ = self.get(i);
            }
            return;
        }
        let Ok(text) = lazy.text.get() else {
            // Each object then tries the index and the bundle on its own, noting problems.
            for i in missing {
                let _ = self.get(i);
            }
            return;
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        let per_thread = missing.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            for part in missing.chunks(per_thread) {
                scope.spawn(move || {
                    for &i in part {
                        if let Some(cell) = lazy.cells.get(i) {
                            cell.get_or_init(|| Box::new(lazy.parse_in(i, text)));
                        }
                    }
                });
            }
        });
    }

    /// The original JSON of the object at `index`, exactly as in the bundle.
    pub fn raw_json(&self, index: usize) -> Option<Result<&str>> {
        match &self.store {
            Store::Parsed(_) => None,
            Store::Lazy(lazy) => {
                let cell = lazy.raw.get(index)?;
                if let Some(raw) = cell.get() {
                    return Some(Ok(raw));
                }
                Some(lazy.bytes(index).map(|json| match json {
                    Cow::Borrowed(raw) => raw,
                    Cow::Owned(raw) => &**cell.get_or_init(|| raw.into()),
                }))
            }
        }
    }

    /// Every object's byte range in the bundle text, in order.
    pub(crate) fn ranges(&self) -> Vec<Range<usize>> {
        match &self.store {
            Store::Parsed(objects) => objects.iter().map(|o| o.raw.clone()).collect(),
            Store::Lazy(lazy) => lazy.spans.iter().map(|s| s.range()).collect(),
        }
    }

    /// Objects that could not be read back from a prebuilt index or the bundle, and why.
    pub fn problems(&self) -> Vec<String> {
        match &self.store {
            Store::Parsed(_) => Vec::new(),
            Store::Lazy(lazy) => lazy.problems.lock().map(|p| p.clone()).unwrap_or_default(),
        }
    }
}

impl std::ops::Index<usize> for Objects {
    type Output = StixObject;

    /// The object at `index`; panics when `index` is out of range, as a slice does.
    fn index(&self, index: usize) -> &StixObject {
        match self.get(index) {
            Some(object) => object,
            None => panic!("object index {index} out of range ({} objects)", self.len()),
        }
    }
}

/// Iterator over [`Objects`], in file order.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    objects: &'a Objects,
    next: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a StixObject;

    fn next(&mut self) -> Option<&'a StixObject> {
        let object = self.objects.get(self.next)?;
        self.next += 1;
        Some(object)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.objects.len().saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Objects {
    type Item = &'a StixObject;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl From<Vec<StixObject>> for Objects {
    fn from(objects: Vec<StixObject>) -> Objects {
        Objects::parsed(objects)
    }
}

impl Lazy {
    fn outside(&self, index: usize) -> Error {
        Error::Index {
            path: self.source.clone(),
            message: format!("object {index} lies outside the bundle text"),
        }
    }

    /// The object's JSON in `text` (the whole bundle text), checked against its checksum.
    fn slice_in<'t>(&self, index: usize, text: &'t str) -> Result<&'t str> {
        let span = self.spans.get(index).ok_or_else(|| self.outside(index))?;
        let slice = text.get(span.range()).ok_or_else(|| self.outside(index))?;
        if xxhash_rust::xxh3::xxh3_64(slice.as_bytes()) != span.sum {
            return Err(Error::Index {
                path: self.source.clone(),
                message: "its text changed since the bundle was indexed".to_string(),
            });
        }
        Ok(slice)
    }

    /// The object's JSON, checked against its checksum: from the whole text when it is in
    /// memory, else read alone from the index file, else from the whole text read now (the
    /// index's copy, else the bundle).
    fn bytes(&self, index: usize) -> Result<Cow<'_, str>> {
        if let Some(text) = self.text.loaded() {
            return self.slice_in(index, text).map(Cow::Borrowed);
        }
        if let (Some(span), Some((file, text_offset))) = (self.spans.get(index), &self.index) {
            let mut bytes = vec![0u8; span.len as usize];
            let at = text_offset + u64::from(span.start);
            if read_at(file, &mut bytes, at).is_ok()
                && xxhash_rust::xxh3::xxh3_64(&bytes) == span.sum
            {
                if let Ok(json) = String::from_utf8(bytes) {
                    return Ok(Cow::Owned(json));
                }
            }
        }
        self.slice_in(index, self.text.get()?).map(Cow::Borrowed)
    }

    fn parse(&self, index: usize) -> StixObject {
        match self.bytes(index) {
            Ok(json) => self.parse_bytes(index, &json),
            Err(e) => self.failed(index, e.to_string()),
        }
    }

    fn parse_in(&self, index: usize, text: &str) -> StixObject {
        match self.slice_in(index, text) {
            Ok(json) => self.parse_bytes(index, json),
            Err(e) => self.failed(index, e.to_string()),
        }
    }

    fn parse_bytes(&self, index: usize, json: &str) -> StixObject {
        match serde_json::from_str::<JsonObject>(json) {
            Ok(JsonObject(mut object)) => {
                object.raw = self.spans.get(index).map_or(0..0, |s| s.range());
                object
            }
            Err(e) => self.failed(index, format!("{}: {e}", self.source.display())),
        }
    }

    fn failed(&self, index: usize, message: String) -> StixObject {
        if let Ok(mut problems) = self.problems.lock() {
            problems.push(format!("object {index} cannot be read back: {message}"));
        }
        let mut object = StixObject::default();
        object.raw = self.spans.get(index).map_or(0..0, |s| s.range());
        object
    }
}

/// Fills `buf` from `file` at `offset`, without moving a shared cursor.
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n = std::os::windows::fs::FileExt::seek_read(
                file,
                &mut buf[done..],
                offset + done as u64,
            )?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
    #[cfg(not(any(unix, windows)))]
    {
        // No positioned reads here: objects are then read from the whole text instead.
        let _ = (file, buf, offset);
        Err(std::io::ErrorKind::Unsupported.into())
    }
}
