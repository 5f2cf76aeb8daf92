//! Reading a bundle file into memory: plain JSON or gzip, decided by the file's magic bytes,
//! never more than [`Limits::max_bundle_bytes`] of text.

use std::io::Read;
use std::path::Path;

use crate::{Error, Result};

/// Bounds on what reading a bundle may cost. The defaults are generous: the largest ATT&CK
/// bundle today is 47 MB of JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes of bundle text read, after decompression (default
    /// [`Limits::DEFAULT_MAX_BUNDLE_BYTES`], 512 MiB). A larger bundle, or a gzip stream that
    /// expands past it, is refused with [`Error::TooLarge`] before it is read whole. Prebuilt
    /// indexes whose sections claim more are ignored as damaged.
    pub max_bundle_bytes: u64,
    /// The deepest nesting of arrays and objects in a bundle's JSON (default and most
    /// [`crate::JSON_DEPTH_CEILING`], 127: serde_json's own bound; ATT&CK's bundles nest at
    /// most 6 deep). A deeper bundle is refused with [`Error::TooDeep`] before it is parsed.
    pub max_json_depth: usize,
}

impl Limits {
    /// The default of [`Limits::max_bundle_bytes`]: 512 MiB.
    pub const DEFAULT_MAX_BUNDLE_BYTES: u64 = 512 << 20;
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bundle_bytes: Limits::DEFAULT_MAX_BUNDLE_BYTES,
            max_json_depth: crate::JSON_DEPTH_CEILING,
        }
    }
}

/// Reads `path` whole as UTF-8 text, decompressing it first when it is gzip (by its magic bytes,
/// whatever its name), within the default [`Limits`].
pub fn read_text(path: &Path) -> Result<String> {
    read_text_limited(path, &Limits::default())
}

/// [`read_text`] within `limits`: a file, or its decompressed text, larger than
/// `limits.max_bundle_bytes` is an [`Error::TooLarge`] (and is never held in memory whole);
/// text nesting deeper than `limits.max_json_depth` is an [`Error::TooDeep`].
pub fn read_text_limited(path: &Path, limits: &Limits) -> Result<String> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let too_large = || Error::TooLarge {
        path: path.to_path_buf(),
        limit: limits.max_bundle_bytes,
    };
    if file.metadata().map_err(io)?.len() > limits.max_bundle_bytes {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(limits.max_bundle_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limits.max_bundle_bytes {
        return Err(too_large());
    }
    decode_text(path, bytes, limits)
}

/// Turns the bytes of the file at `path` into text: gunzips them when they are gzip (stopping
/// with [`Error::TooLarge`] past `limits.max_bundle_bytes`), then checks they are UTF-8 and
/// nest no deeper than `limits.max_json_depth`.
pub(crate) fn decode_text(path: &Path, bytes: Vec<u8>, limits: &Limits) -> Result<String> {
    let limit = limits.max_bundle_bytes;
    let too_large = || Error::TooLarge {
        path: path.to_path_buf(),
        limit,
    };
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        // Reserve the size the gzip trailer gives (exact for a one-member file, which is what
        // gzip writes), else a 6:1 guess; never more than the limit allows.
        let trailer = bytes
            .get(bytes.len().saturating_sub(4)..)
            .and_then(|t| <[u8; 4]>::try_from(t).ok())
            .map(|t| u64::from(u32::from_le_bytes(t)))
            .filter(|&n| n >= bytes.len() as u64 / 2);
        let guess = trailer
            .unwrap_or_else(|| (bytes.len() as u64).saturating_mul(6))
            .min(limit);
        let mut out = Vec::with_capacity(usize::try_from(guess).unwrap_or(0));
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .take(limit.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|source| Error::Gzip {
                path: path.to_path_buf(),
                source,
            })?;
        if out.len() as u64 > limit {
            return Err(too_large());
        }
        out
    } else {
        if bytes.len() as u64 > limit {
            return Err(too_large());
        }
        bytes
    };
    let text = String::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    crate::check_json_depth(&text, limits.max_json_depth).map_err(|depth| Error::TooDeep {
        path: path.to_path_buf(),
        depth,
    })?;
    Ok(text)
}
