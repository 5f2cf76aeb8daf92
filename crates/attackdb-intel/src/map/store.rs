//! The mapping model kept on disk beside the prebuilt indexes (`map-DOMAIN-RELEASE.bin`): what
//! learning derives from the examples (the IDF, the inverted index, the centroids, the telling
//! names), keyed by a hash of the examples themselves, so a changed release (or a changed way
//! of reading it) is learned again and the file replaced. A file that cannot be read is learned
//! again too: it is a cache, never a source of truth.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::model::{Example, Technique};

/// The file's format; bump when the model or its reading changes.
const FORMAT: &[u8; 8] = b"ADBMAP02";

/// What the file holds.
pub(crate) struct Derived {
    pub(crate) idf: HashMap<String, f32>,
    pub(crate) postings: HashMap<String, Vec<(u32, f32)>>,
    pub(crate) centroids: HashMap<String, Vec<(u32, f32)>>,
    pub(crate) telling: Vec<(String, String)>,
}

/// The hash of what the model learns from.
pub(crate) fn key(
    techniques: &[Technique],
    examples: &[Example],
    names: &[(String, String)],
) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for t in techniques {
        h.update(t.id.as_bytes());
        h.update(&[0]);
        h.update(t.name.as_bytes());
        h.update(&[1]);
    }
    for e in examples {
        h.update(&e.technique.to_le_bytes());
        h.update(e.source.as_bytes());
        h.update(&[0]);
        h.update(e.text.as_bytes());
        h.update(&[1]);
    }
    for (name, id) in names {
        h.update(name.as_bytes());
        h.update(&[0]);
        h.update(id.as_bytes());
        h.update(&[1]);
    }
    h.digest()
}

/// Where the model of `domain` `release` is kept in `dir`.
pub(crate) fn path(dir: &Path, domain: &str, release: &str) -> PathBuf {
    dir.join(format!("map-{domain}-{release}.bin"))
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_lists(out: &mut Vec<u8>, map: &HashMap<String, Vec<(u32, f32)>>) {
    let mut terms: Vec<&String> = map.keys().collect();
    terms.sort();
    out.extend_from_slice(&(terms.len() as u32).to_le_bytes());
    for term in terms {
        put_str(out, term);
        let list = &map[term];
        out.extend_from_slice(&(list.len() as u32).to_le_bytes());
        for &(i, w) in list {
            out.extend_from_slice(&i.to_le_bytes());
            out.extend_from_slice(&w.to_le_bytes());
        }
    }
}

/// Writes the model's derived parts (through a temporary file beside it, so a reader never
/// sees half). Failing to write is not an error: the next start learns again.
pub(crate) fn write(path: &Path, key: u64, derived: &Derived) {
    let mut out = Vec::with_capacity(16 << 20);
    out.extend_from_slice(FORMAT);
    out.extend_from_slice(&key.to_le_bytes());
    let mut idf: Vec<(&String, &f32)> = derived.idf.iter().collect();
    idf.sort_by(|a, b| a.0.cmp(b.0));
    out.extend_from_slice(&(idf.len() as u32).to_le_bytes());
    for (term, w) in idf {
        put_str(&mut out, term);
        out.extend_from_slice(&w.to_le_bytes());
    }
    put_lists(&mut out, &derived.postings);
    put_lists(&mut out, &derived.centroids);
    out.extend_from_slice(&(derived.telling.len() as u32).to_le_bytes());
    for (name, id) in &derived.telling {
        put_str(&mut out, name);
        put_str(&mut out, id);
    }
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let Ok(mut file) = tempfile::NamedTempFile::new_in(dir) else {
        return;
    };
    if file.write_all(&out).is_ok() {
        let _ = file.persist(path);
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n)?;
        let piece = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(piece)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn f32(&mut self) -> Option<f32> {
        Some(f32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn string(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
    fn lists(&mut self, docs: u32) -> Option<HashMap<String, Vec<(u32, f32)>>> {
        let n = self.u32()? as usize;
        let mut map = HashMap::with_capacity(n.min(1 << 22));
        for _ in 0..n {
            let term = self.string()?;
            let m = self.u32()? as usize;
            let mut list = Vec::with_capacity(m.min(1 << 22));
            for _ in 0..m {
                let i = self.u32()?;
                if i >= docs {
                    return None;
                }
                list.push((i, self.f32()?));
            }
            map.insert(term, list);
        }
        Some(map)
    }
}

/// The derived parts kept at `path` for `key`; `None` when there are none, they were learned
/// from other examples, or the file is damaged.
pub(crate) fn read(path: &Path, key: u64, examples: usize, techniques: usize) -> Option<Derived> {
    let bytes = std::fs::read(path).ok()?;
    let mut r = Reader {
        bytes: &bytes,
        at: 0,
    };
    if r.take(8)? != FORMAT || r.u64()? != key {
        return None;
    }
    let n = r.u32()? as usize;
    let mut idf = HashMap::with_capacity(n.min(1 << 22));
    for _ in 0..n {
        let term = r.string()?;
        idf.insert(term, r.f32()?);
    }
    let postings = r.lists(u32::try_from(examples).ok()?)?;
    let centroids = r.lists(u32::try_from(techniques).ok()?)?;
    let n = r.u32()? as usize;
    let mut telling = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        telling.push((r.string()?, r.string()?));
    }
    (r.at == bytes.len()).then_some(Derived {
        idf,
        postings,
        centroids,
        telling,
    })
}
