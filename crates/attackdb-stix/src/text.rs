//! A bundle's JSON text: in memory after parsing JSON, or read on first use from a prebuilt
//! index (most questions never need it, so a warm start does not pay for reading it).

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::OnceLock;

use crate::{Error, Result};

/// The whole JSON text of a bundle; objects' `raw` ranges point into it.
#[derive(Debug)]
pub struct BundleText {
    loaded: OnceLock<std::result::Result<String, String>>,
    deferred: Option<Deferred>,
}

/// Where in a prebuilt index the text is, and its checksum.
#[derive(Debug, Clone)]
pub(crate) struct Deferred {
    pub(crate) index: PathBuf,
    pub(crate) offset: u64,
    pub(crate) len: u64,
    pub(crate) checksum: u64,
    /// The bundle itself: if the index's copy of the text is damaged, the text is read from here
    /// (it is the same text when the bundle is unchanged, which the checksum confirms).
    pub(crate) bundle: PathBuf,
    /// The limits the bundle was opened with.
    pub(crate) limits: crate::Limits,
}

impl BundleText {
    /// Text already in memory.
    pub fn in_memory(text: String) -> BundleText {
        let loaded = OnceLock::new();
        let _ = loaded.set(Ok(text));
        BundleText {
            loaded,
            deferred: None,
        }
    }

    /// Text to be read from a prebuilt index when first asked for.
    pub(crate) fn deferred(deferred: Deferred) -> BundleText {
        BundleText {
            loaded: OnceLock::new(),
            deferred: Some(deferred),
        }
    }

    /// The text if it is in memory already.
    pub(crate) fn loaded(&self) -> Option<&str> {
        self.loaded.get()?.as_ref().ok().map(String::as_str)
    }

    /// The text, reading it from the prebuilt index the first time. Fails when the index was
    /// changed or damaged since the bundle was loaded.
    pub fn get(&self) -> Result<&str> {
        let loaded = self.loaded.get_or_init(|| match &self.deferred {
            Some(deferred) => read_deferred(deferred),
            None => Err("no text".to_string()),
        });
        match loaded {
            Ok(text) => Ok(text),
            Err(message) => Err(Error::Index {
                path: self
                    .deferred
                    .as_ref()
                    .map(|d| d.index.clone())
                    .unwrap_or_default(),
                message: message.clone(),
            }),
        }
    }
}

fn read_deferred(deferred: &Deferred) -> std::result::Result<String, String> {
    match read_from_index(deferred) {
        Ok(text) => Ok(text),
        Err(index_problem) => {
            let text = crate::read::read_text_limited(&deferred.bundle, &deferred.limits)
                .map_err(|e| e.to_string())?;
            if text.len() as u64 == deferred.len
                && xxhash_rust::xxh3::xxh3_64(text.as_bytes()) == deferred.checksum
            {
                Ok(text)
            } else {
                Err(format!(
                    "{index_problem}, and the bundle {} changed since it was loaded",
                    deferred.bundle.display()
                ))
            }
        }
    }
}

fn read_from_index(deferred: &Deferred) -> std::result::Result<String, String> {
    let mut file = std::fs::File::open(&deferred.index).map_err(|e| e.to_string())?;
    file.seek(SeekFrom::Start(deferred.offset))
        .map_err(|e| e.to_string())?;
    let bytes = crate::read_bounded(file.take(deferred.len), deferred.len, Some(deferred.len))
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 != deferred.len || xxhash_rust::xxh3::xxh3_64(&bytes) != deferred.checksum
    {
        return Err("the bundle text in the prebuilt index changed or is damaged".to_string());
    }
    String::from_utf8(bytes).map_err(|_| "the bundle text is not UTF-8".to_string())
}
