//! The prebuilt index: what a start needs to answer at once, in one compact binary file, so a
//! later start skips JSON parsing. It holds the bundle's facts (release, collection,
//! diagnostics), a table giving each object's place in the text with its checksum, a section
//! its user fills (the knowledge-base crate puts its lookup tables and links there), and a copy
//! of the bundle text. Opening it reads everything but the text; objects are then parsed one
//! by one from the text when first asked for ([`crate::Objects`]).
//!
//! It is keyed by the content of the bundle file (XXH3-128 of its bytes, read and hashed at every
//! start: a few milliseconds, and an edited bundle is noticed even when its size and
//! modification time did not change) and by [`FORMAT_VERSION`]: when either changes it is
//! rebuilt; when it is unreadable or damaged (a checksum does not match, a section is longer than
//! any bundle within the [`Limits`]) it is ignored with a warning and rebuilt, never trusted.
//!
//! File layout: `MAGIC`, format version (u32 LE), bundle key (XXH3-128 of the bundle file's
//! bytes, LE, then 16 zero bytes: 32 bytes), then u64 LE each:
//! bundle size, bundle modification time (ns), lengths of the facts, the table, the user's
//! section and the text, XXH3-64 of facts + table + user's section, XXH3-64 of the text. Then
//! the facts (postcard), the table (per object: start and length in the text as u32 LE, XXH3-64
//! of its bytes as u64 LE), the user's section, and the text.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::bundle::{parse_bundle, Bundle, Collection, Diagnostic};
use crate::objects::{Lazy, Objects, Span};
use crate::read::{decode_text, Limits};
use crate::text::{BundleText, Deferred};
use crate::{Error, Result, StixObject};

/// Version of the prebuilt index format; bump it whenever `StixObject` or the layout changes
/// (users of the extra section version their own content inside it).
pub const FORMAT_VERSION: u32 = 6;

const MAGIC: &[u8; 8] = b"ATKDBIX\0";
const HEADER_LEN: usize = 8 + 4 + 32 + 8 * 8;

/// The file name suffix of prebuilt indexes.
pub const INDEX_SUFFIX: &str = ".attackdb-index";

/// What the loader did with the prebuilt index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheOutcome {
    /// A valid prebuilt index was used.
    Used(PathBuf),
    /// The bundle was parsed and a prebuilt index written here.
    Written(PathBuf),
    /// The bundle was parsed; no prebuilt index could be written (the reason is in the warnings).
    NotWritten,
}

/// A bundle opened from its prebuilt index.
#[derive(Debug)]
pub struct IndexedBundle {
    /// The bundle: the same facts and objects as [`crate::load_bundle`] gives, its objects
    /// parsed on first use.
    pub bundle: Bundle,
    /// The section the index's writer filled.
    pub extra: Vec<u8>,
    /// The index file.
    pub index: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Facts {
    id: Option<String>,
    spec_version: Option<String>,
    collection: Option<Collection>,
    domain: Option<String>,
    release: Option<String>,
    diagnostics: Vec<Diagnostic>,
}

/// Where the prebuilt index of `bundle_path` is kept: beside the bundle, and, for bundles in
/// folders that cannot be written, in `fallback_dir` under a name unique to the bundle's path.
pub fn index_paths(bundle_path: &Path, fallback_dir: Option<&Path>) -> Vec<PathBuf> {
    let name = bundle_path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "bundle".to_string());
    let mut paths = vec![bundle_path.with_file_name(format!("{name}{INDEX_SUFFIX}"))];
    if let Some(dir) = fallback_dir {
        let absolute =
            std::fs::canonicalize(bundle_path).unwrap_or_else(|_| bundle_path.to_path_buf());
        let digest = Sha256::digest(absolute.to_string_lossy().as_bytes());
        let tag: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        paths.push(dir.join(format!("{tag}-{name}{INDEX_SUFFIX}")));
    }
    paths
}

/// A bundle file's identity: its size, modification time, and (computed when first needed) the
/// XXH3-128 of its bytes, the key of its prebuilt index.
#[derive(Debug)]
pub struct BundleFile {
    path: PathBuf,
    size: u64,
    mtime_ns: u64,
    hash: Option<[u8; 32]>,
    limits: Limits,
}

impl BundleFile {
    /// The bundle at `path`, read within the default [`Limits`]; fails when it cannot be
    /// looked at.
    pub fn open(path: &Path) -> Result<BundleFile> {
        BundleFile::open_limited(path, &Limits::default())
    }

    /// The bundle at `path`, read within `limits` (its text, and the sections of its prebuilt
    /// index, at most `limits.max_bundle_bytes`); fails when it cannot be looked at.
    pub fn open_limited(path: &Path, limits: &Limits) -> Result<BundleFile> {
        let meta = std::fs::metadata(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(BundleFile {
            path: path.to_path_buf(),
            size: meta.len(),
            mtime_ns: mtime_ns(&meta),
            hash: None,
            limits: *limits,
        })
    }

    /// The bundle's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads and parses the bundle; its key is then the hash of the very bytes parsed.
    pub fn parse(&mut self) -> Result<Bundle> {
        let text = self.read_text()?;
        parse_bundle(&self.path, text)
    }

    /// Reads the bundle and parses it with [`crate::parse_bundle_scanned`]; its key is then the
    /// hash of the very bytes parsed.
    pub fn parse_scanned<T: Send>(
        &mut self,
        scan: impl Fn(&StixObject) -> T + Sync,
    ) -> Result<(Bundle, Vec<T>)> {
        let text = self.read_text()?;
        crate::parse_bundle_scanned(&self.path, text, scan)
    }

    fn read_text(&mut self) -> Result<String> {
        self.check_size()?;
        let bytes = std::fs::read(&self.path).map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })?;
        self.hash = Some(key_of(&bytes));
        decode_text(&self.path, bytes, &self.limits)
    }

    fn check_size(&self) -> Result<()> {
        if self.size > self.limits.max_bundle_bytes {
            return Err(Error::TooLarge {
                path: self.path.clone(),
                limit: self.limits.max_bundle_bytes,
            });
        }
        Ok(())
    }

    /// The bundle's key ([`key_of`]), read from the file piece by piece on every core (no copy
    /// of it kept).
    fn hash(&mut self) -> Result<[u8; 32]> {
        if let Some(hash) = self.hash {
            return Ok(hash);
        }
        self.check_size()?;
        let hash = hash_file(&self.path, self.size)?;
        self.hash = Some(hash);
        Ok(hash)
    }
}

/// The bytes of a bundle are hashed in pieces of this size: the key is made of the pieces'
/// hashes, so that they can be hashed at once on several cores.
const KEY_PIECE: usize = 1 << 20;

/// The key of a bundle's bytes: XXH3-128 (LE) of the XXH3-128s of its [`KEY_PIECE`]-byte
/// pieces (LE, in order) and its length (u64 LE), then 16 zero bytes.
fn key_of(bytes: &[u8]) -> [u8; 32] {
    let digests: Vec<u128> = bytes
        .chunks(KEY_PIECE)
        .map(xxhash_rust::xxh3::xxh3_128)
        .collect();
    key_from_pieces(&digests, bytes.len() as u64)
}

fn key_from_pieces(digests: &[u128], len: u64) -> [u8; 32] {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for digest in digests {
        hasher.update(&digest.to_le_bytes());
    }
    hasher.update(&len.to_le_bytes());
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(&hasher.digest128().to_le_bytes());
    key
}

/// [`key_of`] the file at `path`, which is `size` bytes long: its pieces read and hashed by as
/// many threads as there are cores (at most 4), each reading its own pieces into its own
/// buffer. A file whose length is not `size` any more is an I/O error (it changed while read).
fn hash_file(path: &Path, size: u64) -> Result<[u8; 32]> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let pieces = usize::try_from(size.div_ceil(KEY_PIECE as u64)).unwrap_or(usize::MAX);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
        .min(pieces.max(1));
    // Thread `t` hashes pieces t, t + threads, t + 2 * threads...
    let hash_some = |first: usize| -> std::io::Result<Vec<(usize, u128)>> {
        use std::io::{Seek, SeekFrom};
        let mut file = std::fs::File::open(path)?;
        let mut buffer = vec![0u8; KEY_PIECE.min(size as usize)];
        let mut found = Vec::new();
        for piece in (first..pieces).step_by(threads) {
            let start = piece as u64 * KEY_PIECE as u64;
            let len = (size - start).min(KEY_PIECE as u64) as usize;
            file.seek(SeekFrom::Start(start))?;
            let bytes = &mut buffer[..len];
            file.read_exact(bytes)?;
            found.push((piece, xxhash_rust::xxh3::xxh3_128(bytes)));
        }
        Ok(found)
    };
    let parts: Vec<std::io::Result<Vec<(usize, u128)>>> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads)
            .map(|t| scope.spawn(move || hash_some(t)))
            .collect();
        let mut parts = vec![hash_some(0)];
        for helper in helpers {
            parts.push(helper.join().unwrap_or_else(|_| {
                Err(std::io::Error::other(
                    "internal error: a hashing thread failed",
                ))
            }));
        }
        parts
    });
    let mut digests = vec![0u128; pieces];
    for part in parts {
        for (piece, digest) in part.map_err(io)? {
            if let Some(slot) = digests.get_mut(piece) {
                *slot = digest;
            }
        }
    }
    let now = std::fs::metadata(path).map_err(io)?.len();
    if now != size {
        return Err(io(std::io::Error::other(format!(
            "the file changed while it was read ({size} bytes, now {now})"
        ))));
    }
    Ok(key_from_pieces(&digests, size))
}

fn mtime_ns(meta: &std::fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos().min(u64::MAX as u128) as u64)
}

/// Why an index was not used: the bundle itself could not be read, or the index is bad.
enum IndexProblem {
    Bundle(Error),
    Index(String),
}

impl From<String> for IndexProblem {
    fn from(reason: String) -> Self {
        IndexProblem::Index(reason)
    }
}

/// The warning for an index that cannot be trusted.
pub fn unreadable_index_warning(index: &Path, reason: &str) -> String {
    format!(
        "{}: ignoring unreadable prebuilt index ({reason}); rebuilding it",
        index.display()
    )
}

/// Opens the first valid prebuilt index of `file` among `index_paths`. `Ok(None)` when there is
/// none (or only ones for another bundle or format version); damaged ones are noted in
/// `warnings`. Errors are those of reading the bundle itself (to hash it).
pub fn open_index(
    file: &mut BundleFile,
    index_paths: &[PathBuf],
    warnings: &mut Vec<String>,
) -> Result<Option<IndexedBundle>> {
    for index in index_paths {
        match read_index(index, file) {
            Ok(Some(found)) => return Ok(Some(found)),
            Ok(None) => {}
            Err(IndexProblem::Bundle(error)) => return Err(error),
            Err(IndexProblem::Index(reason)) => {
                warnings.push(unreadable_index_warning(index, &reason))
            }
        }
    }
    Ok(None)
}

/// `Ok(None)`: no index there, or one for another bundle or format version (not a problem).
/// `Err`: an index that cannot be trusted.
fn read_index(
    index: &Path,
    key: &mut BundleFile,
) -> std::result::Result<Option<IndexedBundle>, IndexProblem> {
    let mut file = match std::fs::File::open(index) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string().into()),
    };
    let mut header = [0u8; HEADER_LEN];
    file.read_exact(&mut header)
        .map_err(|_| "shorter than its header".to_string())?;
    if &header[..8] != MAGIC {
        return Err("not an attackdb prebuilt index".to_string().into());
    }
    let word = |at: usize| -> u64 {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&header[at..at + 8]);
        u64::from_le_bytes(bytes)
    };
    let mut version = [0u8; 4];
    version.copy_from_slice(&header[8..12]);
    if u32::from_le_bytes(version) != FORMAT_VERSION {
        return Ok(None);
    }
    // Keyed by content: a bundle of another size is another bundle; one of the same size is
    // hashed (an edit in place may keep its size and modification time).
    if word(44) != key.size {
        return Ok(None);
    }
    // The bundle is hashed (on every core) while the index's sections are read and checked;
    // the key is compared first all the same: an index of another bundle is not a problem.
    key.check_size().map_err(IndexProblem::Bundle)?;
    let (facts_len, table_len, extra_len, text_len) = (word(60), word(68), word(76), word(84));
    let (head_sum, text_sum) = (word(92), word(100));
    let (hash, head) = std::thread::scope(|scope| {
        let known = key.hash;
        let hashing = known
            .is_none()
            .then(|| scope.spawn(|| hash_file(&key.path, key.size)));
        let head = read_head(
            &mut file,
            [facts_len, table_len, extra_len, text_len],
            &key.limits,
        );
        let hash = match (known, hashing) {
            (Some(known), _) => Ok(known),
            (None, None) => hash_file(&key.path, key.size),
            (None, Some(hashing)) => hashing.join().unwrap_or_else(|_| {
                Err(Error::Io {
                    path: key.path.clone(),
                    source: std::io::Error::other("internal error: the hashing thread failed"),
                })
            }),
        };
        (hash, head)
    });
    let hash = hash.map_err(IndexProblem::Bundle)?;
    key.hash = Some(hash);
    if header[12..44] != hash {
        return Ok(None);
    }
    let head = head?;
    if xxhash_rust::xxh3::xxh3_64(&head) != head_sum {
        return Err("checksum mismatch: the file is damaged".to_string().into());
    }
    let (facts, rest) = head.split_at(facts_len as usize);
    let (table, extra) = rest.split_at(table_len as usize);
    let facts: Facts = postcard::from_bytes(facts).map_err(|e| e.to_string())?;
    if table.len() % Span::ENCODED_LEN != 0 {
        return Err("the object table has a partial entry".to_string().into());
    }
    let spans: Vec<Span> = table
        .chunks_exact(Span::ENCODED_LEN)
        .filter_map(Span::decode)
        .collect();
    if spans
        .iter()
        .any(|s| u64::from(s.start) + u64::from(s.len) > text_len)
    {
        return Err("an object's range lies outside the text".to_string().into());
    }
    let count = spans.len();
    let text_offset = HEADER_LEN as u64 + head.len() as u64;
    let text = Arc::new(BundleText::deferred(Deferred {
        index: index.to_path_buf(),
        offset: text_offset,
        len: text_len,
        checksum: text_sum,
        bundle: key.path.clone(),
        limits: key.limits,
    }));
    let objects = Objects::lazy(Lazy {
        spans,
        cells: (0..count).map(|_| OnceLock::new()).collect(),
        raw: (0..count).map(|_| OnceLock::new()).collect(),
        text: Arc::clone(&text),
        source: index.to_path_buf(),
        index: Some((file, text_offset)),
        problems: Mutex::new(Vec::new()),
    });
    let mut diagnostics = facts.diagnostics;
    for diagnostic in &mut diagnostics {
        diagnostic.path.clone_from(&key.path);
    }
    Ok(Some(IndexedBundle {
        bundle: Bundle {
            path: key.path.clone(),
            text,
            id: facts.id,
            spec_version: facts.spec_version,
            objects,
            collection: facts.collection,
            domain: facts.domain,
            release: facts.release,
            diagnostics,
        },
        extra: extra.to_vec(),
        index: index.to_path_buf(),
    }))
}

/// Reads the facts, object table and user's section of an index (`lengths`: theirs and the
/// text's, from its header), after checking them against the file's length and `limits`.
fn read_head(
    file: &mut std::fs::File,
    lengths: [u64; 4],
    limits: &Limits,
) -> std::result::Result<Vec<u8>, String> {
    let [facts_len, table_len, extra_len, text_len] = lengths;
    let head_len = facts_len
        .checked_add(table_len)
        .and_then(|n| n.checked_add(extra_len))
        .ok_or_else(|| "impossible section lengths".to_string())?;
    let size = file.metadata().map_err(|e| e.to_string())?.len();
    let expected = (HEADER_LEN as u64)
        .checked_add(head_len)
        .and_then(|n| n.checked_add(text_len))
        .ok_or_else(|| "impossible section lengths".to_string())?;
    if size != expected {
        return Err(format!("{size} bytes where its header promises {expected}"));
    }
    // A file can be as long as its header says and still lie (a sparse file): no section is
    // read, or memory reserved for it, past what a bundle within the limits can have.
    check_section_lengths(head_len, text_len, limits)?;
    let head = crate::read_bounded(file.take(head_len), head_len, Some(head_len))
        .map_err(|e| e.to_string())?;
    if head.len() as u64 != head_len {
        return Err("checksum mismatch: the file is damaged".to_string());
    }
    Ok(head)
}

/// Fails, saying why, when the sections of an index are larger than any bundle within `limits`
/// can give: its text longer than `limits.max_bundle_bytes` (or than 4 GiB, which is never
/// indexed), or the facts, object table and user's section together longer than that limit
/// (they are about a tenth of the text for ATT&CK's bundles).
fn check_section_lengths(head_len: u64, text_len: u64, limits: &Limits) -> Result<(), String> {
    let limit = limits.max_bundle_bytes.min(u64::from(u32::MAX));
    if text_len > limit {
        return Err(format!(
            "its text section claims {text_len} bytes, over the limit of {limit}"
        ));
    }
    if head_len > limit {
        return Err(format!(
            "its table sections claim {head_len} bytes, over the limit of {limit}"
        ));
    }
    Ok(())
}

/// Writes the prebuilt index of `bundle` (parsed from `file`) with `extra` as its user's
/// section, to the first of `index_paths` that can be written. What could not be written is
/// noted in `warnings`.
pub fn write_index(
    file: &mut BundleFile,
    bundle: &Bundle,
    extra: &[u8],
    index_paths: &[PathBuf],
    warnings: &mut Vec<String>,
) -> Result<CacheOutcome> {
    let hash = file.hash()?;
    let mut errors = Vec::new();
    for index in index_paths {
        if folder_is_read_only(index) {
            errors.push(format!("{}: its folder is read-only", index.display()));
            continue;
        }
        match write_one(index, &hash, file, bundle, extra) {
            Ok(()) => return Ok(CacheOutcome::Written(index.clone())),
            Err(e) => errors.push(format!("{}: {e}", index.display())),
        }
    }
    if !index_paths.is_empty() {
        warnings.push(format!(
            "cannot write a prebuilt index for {} ({}); the next start will parse the JSON again",
            file.path.display(),
            errors.join("; ")
        ));
    }
    Ok(CacheOutcome::NotWritten)
}

/// Returns true if and only if the folder `index` would go in exists and its permissions allow
/// nobody to write (honoured even where the process could write anyway, e.g. as root: a folder
/// made read-only, such as a shared copy of the releases, is left untouched).
fn folder_is_read_only(index: &Path) -> bool {
    let dir = index
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::metadata(dir).is_ok_and(|m| m.permissions().readonly())
}

/// How old a temporary index file of a process that may still be alive must be to be removed.
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes temporary index files (`.NAME.attackdb-index.PID.tmp`) left in `dir` by writers that
/// were killed: those of processes that no longer exist (where that can be told) and those
/// older than an hour. Best effort: what cannot be looked at or removed is left.
fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let own = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = temp_file_pid(&name.to_string_lossy()) else {
            continue;
        };
        if pid == own {
            continue;
        }
        let old = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_TEMP_AGE);
        if old || process_is_gone(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The writer's process ID in the name of a temporary index file, if `name` is one.
fn temp_file_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (index, pid) = rest.rsplit_once('.')?;
    if !index.ends_with(INDEX_SUFFIX) || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    pid.parse().ok()
}

/// Returns true if and only if no process `pid` exists (known on Linux, through `/proc`;
/// elsewhere never assumed, so only age removes temporary files there).
fn process_is_gone(pid: u32) -> bool {
    cfg!(target_os = "linux")
        && Path::new("/proc/self").exists()
        && !Path::new(&format!("/proc/{pid}")).exists()
}

/// Writes one index atomically: a temporary file in the same folder, its header written last,
/// then renamed into place.
fn write_one(
    index: &Path,
    hash: &[u8; 32],
    file: &BundleFile,
    bundle: &Bundle,
    extra: &[u8],
) -> std::io::Result<()> {
    let (size, mtime_ns) = (file.size, file.mtime_ns);
    use std::io::{Seek, SeekFrom};

    let text = bundle.text.get().map_err(std::io::Error::other)?.as_bytes();
    if u32::try_from(text.len()).is_err() {
        return Err(std::io::Error::other("bundles over 4 GiB are not indexed"));
    }
    let facts = postcard::to_stdvec(&Facts {
        id: bundle.id.clone(),
        spec_version: bundle.spec_version.clone(),
        collection: bundle.collection.clone(),
        domain: bundle.domain.clone(),
        release: bundle.release.clone(),
        diagnostics: bundle.diagnostics.clone(),
    })
    .map_err(std::io::Error::other)?;
    let ranges = bundle.objects.ranges();
    let mut table = Vec::with_capacity(ranges.len() * Span::ENCODED_LEN);
    for range in ranges {
        let bytes = text
            .get(range.clone())
            .ok_or_else(|| std::io::Error::other("an object lies outside the bundle text"))?;
        Span {
            start: range.start as u32,
            len: bytes.len() as u32,
            sum: xxhash_rust::xxh3::xxh3_64(bytes),
        }
        .encode(&mut table);
    }
    let head_len = (facts.len() + table.len() + extra.len()) as u64;
    check_section_lengths(head_len, text.len() as u64, &file.limits)
        .map_err(|reason| std::io::Error::other(format!("not indexed: {reason}")))?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for part in [&facts[..], &table, extra] {
        hasher.update(part);
    }
    let dir = index
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    remove_stale_temp_files(dir);
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        index
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        std::process::id()
    ));
    let result = (|| {
        let mut writer = std::io::BufWriter::new(std::fs::File::create(&temp)?);
        writer.write_all(&[0u8; HEADER_LEN])?;
        for part in [&facts[..], &table, extra, text] {
            writer.write_all(part)?;
        }
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        header.extend_from_slice(hash);
        for word in [
            size,
            mtime_ns,
            facts.len() as u64,
            table.len() as u64,
            extra.len() as u64,
            text.len() as u64,
            hasher.digest(),
            xxhash_rust::xxh3::xxh3_64(text),
        ] {
            header.extend_from_slice(&word.to_le_bytes());
        }
        let mut file = writer.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header)?;
        file.sync_all()?;
        std::fs::rename(&temp, index)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_file_hashed_in_pieces_on_several_threads_has_the_key_of_its_bytes() {
        let dir = std::env::temp_dir().join(format!("attackdb-stix-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bundle.json");
        // Lengths around the piece size: none, one short piece, exact pieces, a short last one.
        let mut keys = Vec::new();
        for len in [0, 1, KEY_PIECE, 3 * KEY_PIECE, 5 * KEY_PIECE + 17] {
            let mut bytes: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            std::fs::write(&path, &bytes).unwrap();
            let key = hash_file(&path, len as u64).unwrap();
            assert_eq!(key, key_of(&bytes), "{len}");
            keys.push(key);
            if len > 0 {
                // One byte changed anywhere, even in the last piece, is another key.
                let last = bytes.len() - 1;
                bytes[last] ^= 1;
                std::fs::write(&path, &bytes).unwrap();
                assert_ne!(hash_file(&path, len as u64).unwrap(), key, "{len}");
            }
        }
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 5);
        // A file that is not the length it had when looked at is an error, not a key.
        let error = hash_file(&path, 3).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            error.to_string().contains("changed while it was read"),
            "{error}"
        );
    }
}
