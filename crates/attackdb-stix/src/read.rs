//! Reading a bundle file into memory: plain JSON or gzip, decided by the file's magic bytes.

use std::io::Read;
use std::path::Path;

use crate::{Error, Result};

/// Reads `path` whole as UTF-8 text, decompressing it first when it is gzip (by its magic bytes,
/// whatever its name).
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode_text(path, bytes)
}

/// Turns the bytes of the file at `path` into text: gunzips them when they are gzip, then
/// checks they are UTF-8.
pub(crate) fn decode_text(path: &Path, bytes: Vec<u8>) -> Result<String> {
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        // Typical ATT&CK bundles compress about 5:1.
        let mut out = Vec::with_capacity(bytes.len().saturating_mul(6));
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .map_err(|source| Error::Gzip {
                path: path.to_path_buf(),
                source,
            })?;
        out
    } else {
        bytes
    };
    String::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })
}
