//! The prebuilt index: a bundle's parsed objects and its text in one compact binary file, so a
//! later start skips JSON parsing. It is keyed by the SHA-256 of the bundle file and by
//! [`FORMAT_VERSION`]: when either changes it is rebuilt; when it is unreadable or damaged (its
//! checksum does not match) it is ignored with a warning and rebuilt, never trusted. As git does
//! for its index, the bundle's size and modification time are kept beside its hash: while both
//! are unchanged the bundle is not read again to hash it.
//!
//! File layout: `MAGIC`, format version (u32 LE), bundle SHA-256 (32 bytes), bundle size and
//! modification time (ns), payload length, text length, XXH3-64 of the payload, XXH3-64 of the
//! text (u64 LE each), the payload (postcard;
//! the objects in chunks decoded in parallel), then the bundle text, which is read only when an
//! object's original JSON is asked for.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::bundle::{parse_bundle, Bundle, Collection, Diagnostic};
use crate::object::StixObject;
use crate::read::decode_text;
use crate::text::{BundleText, Deferred};
use crate::{Error, Result};

/// Version of the prebuilt index format; bump it whenever `StixObject` or the payload changes.
pub const FORMAT_VERSION: u32 = 3;

const MAGIC: &[u8; 8] = b"ATKDBIX\0";
const HEADER_LEN: usize = 8 + 4 + 32 + 8 + 8 + 8 + 8 + 8 + 8;

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

/// A bundle loaded through the prebuilt index, with what happened to the index.
#[derive(Debug)]
pub struct CachedBundle {
    /// The bundle, exactly as [`crate::load_bundle`] would give it.
    pub bundle: Bundle,
    /// Whether the index was used, written or neither.
    pub outcome: CacheOutcome,
    /// Indexes ignored because unreadable or damaged, and indexes that could not be written.
    pub warnings: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Payload<'a> {
    id: Option<String>,
    spec_version: Option<String>,
    collection: Option<Collection>,
    domain: Option<String>,
    release: Option<String>,
    diagnostics: Vec<Diagnostic>,
    /// `Vec<StixObject>`s, each postcard-encoded, in order.
    #[serde(borrow)]
    chunks: Vec<&'a [u8]>,
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

/// The bundle file's identity: its size, modification time, and (computed only when needed)
/// its SHA-256.
struct BundleKey<'a> {
    path: &'a Path,
    size: u64,
    mtime_ns: u64,
    bytes: Option<Vec<u8>>,
    hash: Option<[u8; 32]>,
}

impl BundleKey<'_> {
    fn hash(&mut self) -> Result<[u8; 32]> {
        if let Some(hash) = self.hash {
            return Ok(hash);
        }
        let bytes = self.bytes()?;
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        self.hash = Some(hash);
        Ok(hash)
    }

    fn bytes(&mut self) -> Result<&[u8]> {
        if self.bytes.is_none() {
            self.bytes = Some(std::fs::read(self.path).map_err(|source| Error::Io {
                path: self.path.to_path_buf(),
                source,
            })?);
        }
        Ok(self.bytes.as_deref().unwrap_or_default())
    }
}

fn mtime_ns(meta: &std::fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos().min(u64::MAX as u128) as u64)
}

/// Loads the bundle at `path`, from the first valid prebuilt index among `index_paths` if there
/// is one, else from its JSON, then writes the index to the first of `index_paths` that can be
/// written. Errors are those of reading the bundle itself; index problems are only warnings.
pub fn load_bundle_cached(path: &Path, index_paths: &[PathBuf]) -> Result<CachedBundle> {
    let meta = std::fs::metadata(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut key = BundleKey {
        path,
        size: meta.len(),
        mtime_ns: mtime_ns(&meta),
        bytes: None,
        hash: None,
    };
    let mut warnings = Vec::new();
    for index in index_paths {
        match read_index(index, &mut key) {
            Ok(Some(mut bundle)) => {
                bundle.path = path.to_path_buf();
                for diagnostic in &mut bundle.diagnostics {
                    diagnostic.path = path.to_path_buf();
                }
                return Ok(CachedBundle {
                    bundle,
                    outcome: CacheOutcome::Used(index.clone()),
                    warnings,
                });
            }
            Ok(None) => {}
            Err(IndexProblem::Bundle(error)) => return Err(error),
            Err(IndexProblem::Index(reason)) => warnings.push(format!(
                "{}: ignoring unreadable prebuilt index ({reason}); rebuilding it",
                index.display()
            )),
        }
    }
    let hash = key.hash()?;
    let bytes = key.bytes.take().unwrap_or_default();
    let bundle = parse_bundle(path, decode_text(path, bytes)?)?;
    let mut outcome = CacheOutcome::NotWritten;
    let mut write_errors = Vec::new();
    for index in index_paths {
        match write_index(index, &hash, key.size, key.mtime_ns, &bundle) {
            Ok(()) => {
                outcome = CacheOutcome::Written(index.clone());
                break;
            }
            Err(e) => write_errors.push(format!("{}: {e}", index.display())),
        }
    }
    if outcome == CacheOutcome::NotWritten && !index_paths.is_empty() {
        warnings.push(format!(
            "cannot write a prebuilt index for {} ({}); the next start will parse the JSON again",
            path.display(),
            write_errors.join("; ")
        ));
    }
    Ok(CachedBundle {
        bundle,
        outcome,
        warnings,
    })
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

/// `Ok(None)`: no index there, or one for another bundle or format version (not a problem).
/// `Err`: an index that cannot be trusted.
fn read_index(
    index: &Path,
    key: &mut BundleKey<'_>,
) -> std::result::Result<Option<Bundle>, IndexProblem> {
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
    if (word(44), word(52)) != (key.size, key.mtime_ns) {
        let hash = key.hash().map_err(IndexProblem::Bundle)?;
        if header[12..44] != hash {
            return Ok(None);
        }
    }
    let (payload_len, text_len, payload_sum, text_sum) = (word(60), word(68), word(76), word(84));
    let size = file.metadata().map_err(|e| e.to_string())?.len();
    let expected = HEADER_LEN as u64 + payload_len + text_len;
    if size != expected {
        return Err(format!("{size} bytes where its header promises {expected}").into());
    }
    let mut payload = Vec::with_capacity(payload_len as usize);
    (&mut file)
        .take(payload_len)
        .read_to_end(&mut payload)
        .map_err(|e| e.to_string())?;
    if payload.len() as u64 != payload_len || xxhash_rust::xxh3::xxh3_64(&payload) != payload_sum {
        return Err("checksum mismatch: the file is damaged".to_string().into());
    }
    let decoded: Payload<'_> = postcard::from_bytes(&payload).map_err(|e| e.to_string())?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let per_thread = decoded.chunks.len().div_ceil(threads).max(1);
    let chunks: Vec<std::result::Result<Vec<StixObject>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = decoded
            .chunks
            .chunks(per_thread)
            .map(|group| {
                scope.spawn(move || {
                    let mut objects = Vec::new();
                    for chunk in group {
                        let part: Vec<StixObject> =
                            postcard::from_bytes(chunk).map_err(|e| e.to_string())?;
                        objects.extend(part);
                    }
                    Ok(objects)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a decoder thread failed".to_string()))
            })
            .collect()
    });
    let mut objects = Vec::new();
    for chunk in chunks {
        objects.extend(chunk?);
    }
    if objects
        .iter()
        .any(|o| o.raw.end as u64 > text_len || o.raw.start > o.raw.end)
    {
        return Err("an object's range lies outside the text".to_string().into());
    }
    Ok(Some(Bundle {
        path: PathBuf::new(),
        text: Arc::new(BundleText::deferred(Deferred {
            index: index.to_path_buf(),
            offset: HEADER_LEN as u64 + payload_len,
            len: text_len,
            checksum: text_sum,
            bundle: key.path.to_path_buf(),
        })),
        id: decoded.id,
        spec_version: decoded.spec_version,
        objects,
        collection: decoded.collection,
        domain: decoded.domain,
        release: decoded.release,
        diagnostics: decoded.diagnostics,
    }))
}

/// Objects per chunk of the payload: chunks are written one at a time (little memory) and
/// decoded in parallel.
const CHUNK_OBJECTS: usize = 2048;

/// The fields of [`Payload`] before `chunks`, encoded as postcard encodes a struct (its fields
/// one after the other), so that these, the chunk count and the chunks decode as a `Payload`.
type PayloadMeta<'a> = (
    &'a Option<String>,
    &'a Option<String>,
    &'a Option<Collection>,
    &'a Option<String>,
    &'a Option<String>,
    &'a Vec<Diagnostic>,
);

fn encode<T: Serialize + ?Sized>(value: &T) -> std::io::Result<Vec<u8>> {
    postcard::to_stdvec(value).map_err(std::io::Error::other)
}

/// Writes the index atomically: a temporary file in the same folder, filled chunk by chunk,
/// its header written last, then renamed into place.
fn write_index(
    index: &Path,
    hash: &[u8; 32],
    size: u64,
    mtime_ns: u64,
    bundle: &Bundle,
) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};

    let text = bundle.text.get().map_err(std::io::Error::other)?.as_bytes();
    let meta: PayloadMeta<'_> = (
        &bundle.id,
        &bundle.spec_version,
        &bundle.collection,
        &bundle.domain,
        &bundle.release,
        &bundle.diagnostics,
    );
    let dir = index
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
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
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut payload_len = 0u64;
        let mut put = |writer: &mut std::io::BufWriter<std::fs::File>, bytes: &[u8]| {
            hasher.update(bytes);
            payload_len += bytes.len() as u64;
            writer.write_all(bytes)
        };
        put(&mut writer, &encode(&meta)?)?;
        let chunks: Vec<&[StixObject]> = bundle.objects.chunks(CHUNK_OBJECTS).collect();
        put(&mut writer, &encode(&chunks.len())?)?;
        for chunk in chunks {
            let bytes = encode(chunk)?;
            put(&mut writer, &encode(&bytes.len())?)?;
            put(&mut writer, &bytes)?;
        }
        let payload_sum = hasher.digest();
        writer.write_all(text)?;
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        header.extend_from_slice(hash);
        header.extend_from_slice(&size.to_le_bytes());
        header.extend_from_slice(&mtime_ns.to_le_bytes());
        header.extend_from_slice(&payload_len.to_le_bytes());
        header.extend_from_slice(&(text.len() as u64).to_le_bytes());
        header.extend_from_slice(&payload_sum.to_le_bytes());
        header.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(text).to_le_bytes());
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
