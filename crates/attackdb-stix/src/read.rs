//! Reading a bundle file into memory: plain JSON or gzip, decided by the file's magic bytes,
//! never more than [`Limits::max_bundle_bytes`] of text; and [`read_bounded`], the one bounded
//! read of the workspace (bundles, prebuilt indexes, layers, rule files, the release index).

use std::io::{Read, Seek, SeekFrom};
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

/// Why [`read_bounded`] gave no bytes.
#[derive(Debug, thiserror::Error)]
pub enum BoundedReadError {
    /// The input holds more than the limit.
    #[error("more than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// Reading failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The largest piece [`read_bounded`] adds at once when its input is longer than expected.
const MAX_PIECE: usize = 16 << 20;
/// The first piece when nothing is expected.
const MIN_PIECE: usize = 64 << 10;

/// Reads `reader` to its end, refusing it with [`BoundedReadError::TooLarge`] as soon as it
/// gives more than `limit` bytes. `expected` is how long the input probably is (a file's
/// length, a `Content-Length`, a gzip trailer): that much (at most `limit`, plus one byte to
/// see the end) is reserved at once, so an input of the expected length is read with no copy.
///
/// Memory is bounded by the limit, not twice it: past the reservation the input is read in
/// pieces (at most 16 MiB each, never beyond `limit + 1` bytes in all), joined once at the end,
/// so no buffer is ever reallocated and copied while it grows, and an input refused at the
/// limit has cost at most the limit plus one piece.
///
/// ```
/// let text = attackdb_stix::read_bounded(&b"{}"[..], 16, None).unwrap();
/// assert_eq!(text, b"{}");
/// let refused = attackdb_stix::read_bounded(&[0u8; 17][..], 16, Some(17));
/// assert!(matches!(refused, Err(attackdb_stix::BoundedReadError::TooLarge { limit: 16 })));
/// ```
pub fn read_bounded(
    reader: impl Read,
    limit: u64,
    expected: Option<u64>,
) -> std::result::Result<Vec<u8>, BoundedReadError> {
    let mut reader = reader;
    // `limit + 1` bytes is the most ever held: one past the limit says the input is too long.
    let most = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
    let first = expected.map_or(MIN_PIECE as u64, |n| n.saturating_add(1));
    let first = usize::try_from(first).unwrap_or(usize::MAX).min(most);
    let mut head: Vec<u8> = Vec::new();
    head.try_reserve_exact(first)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::OutOfMemory, e))?;
    let mut pieces: Vec<Vec<u8>> = Vec::new();
    let mut total = 0usize;
    loop {
        let piece = pieces.last_mut().unwrap_or(&mut head);
        let room = piece.capacity() - piece.len();
        if room > 0 {
            let before = piece.len();
            // `take` keeps `read_to_end` within the capacity: it never grows the buffer.
            (&mut reader).take(room as u64).read_to_end(piece)?;
            let got = piece.len() - before;
            total += got;
            if got < room {
                break;
            }
            continue;
        }
        if total as u64 > limit {
            return Err(BoundedReadError::TooLarge { limit });
        }
        let next = total.clamp(MIN_PIECE, MAX_PIECE).min(most - total);
        let mut piece = Vec::new();
        piece
            .try_reserve_exact(next)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::OutOfMemory, e))?;
        pieces.push(piece);
    }
    if total as u64 > limit {
        return Err(BoundedReadError::TooLarge { limit });
    }
    if pieces.is_empty() {
        return Ok(head);
    }
    let mut whole = Vec::new();
    whole
        .try_reserve_exact(total)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::OutOfMemory, e))?;
    whole.append(&mut head);
    drop(head);
    for piece in pieces {
        whole.extend_from_slice(&piece);
    }
    Ok(whole)
}

/// Reads `path` whole as UTF-8 text, decompressing it first when it is gzip (by its magic bytes,
/// whatever its name), within the default [`Limits`].
pub fn read_text(path: &Path) -> Result<String> {
    read_text_limited(path, &Limits::default())
}

/// [`read_text`] within `limits`: a file, or its decompressed text, larger than
/// `limits.max_bundle_bytes` is an [`Error::TooLarge`] (and is never held in memory whole);
/// text nesting deeper than `limits.max_json_depth` is an [`Error::TooDeep`]. The text is held
/// once: a plain file is read into a buffer of its length, a gzip file is decompressed as it
/// is read (into a buffer of the length its trailer gives).
pub fn read_text_limited(path: &Path, limits: &Limits) -> Result<String> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let limit = limits.max_bundle_bytes;
    let size = file.metadata().map_err(io)?.len();
    if size > limit {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    let mut magic = [0u8; 2];
    let is_gzip = size >= 2 && file.read_exact(&mut magic).is_ok() && magic == GZIP_MAGIC;
    let bytes = if is_gzip {
        let expected = gzip_trailer_size(&mut file, size);
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        gunzip(path, std::io::BufReader::new(file), limit, expected)?
    } else {
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        read_bounded(file, limit, Some(size)).map_err(|e| bounded_error(path, e, false))?
    };
    finish_text(path, bytes, limits)
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The length a gzip file of `size` bytes says its text has (its last four bytes: exact for a
/// one-member file under 4 GiB, which is what gzip writes), when plausible.
fn gzip_trailer_size(file: &mut std::fs::File, size: u64) -> Option<u64> {
    let mut trailer = [0u8; 4];
    file.seek(SeekFrom::Start(size.checked_sub(4)?)).ok()?;
    file.read_exact(&mut trailer).ok()?;
    plausible_trailer(trailer, size)
}

/// The trailer's length, unless it is less than half the compressed size (no JSON compresses
/// that badly: then it is not a one-member gzip file's).
fn plausible_trailer(trailer: [u8; 4], compressed: u64) -> Option<u64> {
    Some(u64::from(u32::from_le_bytes(trailer))).filter(|&n| n >= compressed / 2)
}

/// Decompresses the gzip stream `input` (of the file `path`), refusing it past `limit` bytes.
fn gunzip(path: &Path, input: impl Read, limit: u64, expected: Option<u64>) -> Result<Vec<u8>> {
    read_bounded(flate2::read::MultiGzDecoder::new(input), limit, expected)
        .map_err(|e| bounded_error(path, e, true))
}

fn bounded_error(path: &Path, error: BoundedReadError, gzip: bool) -> Error {
    match error {
        BoundedReadError::TooLarge { limit } => Error::TooLarge {
            path: path.to_path_buf(),
            limit,
        },
        BoundedReadError::Io(source) if gzip => Error::Gzip {
            path: path.to_path_buf(),
            source,
        },
        BoundedReadError::Io(source) => Error::Io {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// Turns the bytes of the file at `path` into text: gunzips them when they are gzip (stopping
/// with [`Error::TooLarge`] past `limits.max_bundle_bytes`), then checks they are UTF-8 and
/// nest no deeper than `limits.max_json_depth`.
pub(crate) fn decode_text(path: &Path, bytes: Vec<u8>, limits: &Limits) -> Result<String> {
    let limit = limits.max_bundle_bytes;
    let bytes = if bytes.starts_with(&GZIP_MAGIC) {
        let expected = bytes
            .get(bytes.len().saturating_sub(4)..)
            .and_then(|t| <[u8; 4]>::try_from(t).ok())
            .and_then(|t| plausible_trailer(t, bytes.len() as u64));
        gunzip(path, bytes.as_slice(), limit, expected)?
    } else {
        if bytes.len() as u64 > limit {
            return Err(Error::TooLarge {
                path: path.to_path_buf(),
                limit,
            });
        }
        bytes
    };
    finish_text(path, bytes, limits)
}

/// Checks `bytes` are UTF-8 and nest no deeper than `limits.max_json_depth`.
fn finish_text(path: &Path, bytes: Vec<u8>, limits: &Limits) -> Result<String> {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::io::Write;

    /// A reader that counts the bytes it gives.
    struct Counted<R> {
        inner: R,
        given: u64,
    }

    impl<R: Read> Read for Counted<R> {
        fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buffer)?;
            self.given += n as u64;
            Ok(n)
        }
    }

    fn gzip_of_zeros(n: usize) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let block = vec![0u8; 1 << 20];
        let mut left = n;
        while left > 0 {
            let now = left.min(block.len());
            encoder.write_all(&block[..now]).unwrap();
            left -= now;
        }
        encoder.finish().unwrap()
    }

    #[test]
    fn a_gzip_stream_expanding_past_the_limit_is_refused_at_the_limit() {
        // 64 MiB of zeros, about 64 KiB compressed, against a 1 MiB limit: refused after
        // reading one byte past the limit, whether its trailer is believed or not known.
        let limit = 1 << 20;
        let bomb = gzip_of_zeros(64 << 20);
        for expected in [None, Some(64 << 20), Some(10)] {
            let mut decoder = Counted {
                inner: flate2::read::MultiGzDecoder::new(bomb.as_slice()),
                given: 0,
            };
            let result = read_bounded(&mut decoder, limit, expected);
            assert!(
                matches!(result, Err(BoundedReadError::TooLarge { limit: l }) if l == limit),
                "{expected:?}: {result:?}"
            );
            assert_eq!(decoder.given, limit + 1, "{expected:?}");
        }
    }

    #[test]
    fn a_gzip_bomb_file_is_refused_with_the_files_name_and_the_limit() {
        let dir = std::env::temp_dir().join(format!("attackdb-stix-bomb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bomb.json.gz");
        std::fs::write(&path, gzip_of_zeros(8 << 20)).unwrap();
        let limits = Limits {
            max_bundle_bytes: 1 << 20,
            ..Limits::default()
        };
        let error = read_text_limited(&path, &limits).unwrap_err();
        let bytes = std::fs::read(&path).unwrap();
        let from_bytes = decode_text(&path, bytes, &limits).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        for error in [error, from_bytes] {
            assert!(
                matches!(&error, Error::TooLarge { limit, path: p } if *limit == 1 << 20 && p == &path),
                "{error}"
            );
            assert!(error
                .to_string()
                .contains("larger than the limit of 1048576 bytes"));
        }
    }

    #[test]
    fn inputs_of_any_length_within_the_limit_are_read_exactly() {
        // Lengths around the piece sizes, read with the right length expected, a wrong one
        // and none; and exactly at the limit, and one past it.
        let limit = 3 * MAX_PIECE as u64;
        for len in [
            0,
            1,
            MIN_PIECE - 1,
            MIN_PIECE,
            MIN_PIECE + 1,
            MAX_PIECE + 7,
            3 * MAX_PIECE,
        ] {
            let input: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            for expected in [None, Some(len as u64), Some(len as u64 / 3), Some(u64::MAX)] {
                let read = read_bounded(input.as_slice(), limit, expected).unwrap();
                assert!(read == input, "{len} {expected:?}");
            }
        }
        let over = vec![7u8; 3 * MAX_PIECE + 1];
        for expected in [None, Some(over.len() as u64), Some(1)] {
            let result = read_bounded(over.as_slice(), limit, expected);
            assert!(matches!(result, Err(BoundedReadError::TooLarge { .. })));
        }
    }

    #[test]
    fn a_read_error_is_an_io_error() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk on fire"))
            }
        }
        let result = read_bounded(Failing, 10, None);
        assert!(matches!(result, Err(BoundedReadError::Io(e)) if e.to_string() == "disk on fire"));
    }
}
