//! Checking that a file is the ATT&CK release bundle it should be, by its collection object.

use std::path::Path;

use attackdb_stix::{Domain, Release};

use crate::error::{io_error, FetchError};

/// The domain and release a bundle's collection object names.
#[derive(Debug, Clone)]
pub struct BundleRelease {
    /// The domain.
    pub domain: Domain,
    /// The release.
    pub release: Release,
    /// The collection's `modified`.
    pub modified: Option<String>,
}

/// Reads and parses the bundle at `path` (a temporary file; `label` is what to call it) and
/// returns what its collection object says it is.
pub fn check_bundle(path: &Path, label: &str) -> Result<BundleRelease, FetchError> {
    check_bundle_limited(path, label, &attackdb_stix::Limits::default())
}

/// [`check_bundle`] within `limits`: a bundle text larger than `limits.max_bundle_bytes` (a
/// gzip bomb) is a [`FetchError::TooLarge`], found without holding more than that in memory.
pub fn check_bundle_limited(
    path: &Path,
    label: &str,
    limits: &attackdb_stix::Limits,
) -> Result<BundleRelease, FetchError> {
    use attackdb_stix::Error as StixError;
    let text = attackdb_stix::read_text_limited(path, limits).map_err(|e| match e {
        StixError::Io { source, .. } => io_error(source, path, "cannot read"),
        StixError::TooLarge { limit, .. } => FetchError::TooLarge {
            url: label.to_string(),
            limit,
            setting: Some(crate::transfer::LIMIT_SETTING),
        },
        StixError::Gzip { source, .. } => FetchError::BrokenJson {
            url: label.to_string(),
            detail: format!("broken gzip data: {source}"),
        },
        StixError::NotUtf8 { offset, .. } => FetchError::WrongContent(format!(
            "{label}: not an ATT&CK bundle: not UTF-8 text (byte {offset})"
        )),
        StixError::TooDeep { depth, .. } => {
            FetchError::WrongContent(format!("{label}: not an ATT&CK bundle: {depth}"))
        }
        other => FetchError::WrongContent(other.to_string()),
    })?;
    let bundle = attackdb_stix::parse_bundle(Path::new(label), text).map_err(|e| match e {
        StixError::Json { message, .. } if message.contains("EOF") => FetchError::BrokenJson {
            url: label.to_string(),
            detail: message,
        },
        StixError::Json { .. }
        | StixError::NotABundle { .. }
        | StixError::BadObject { .. }
        | StixError::TooDeep { .. } => {
            let text = e.to_string();
            let detail = text
                .strip_prefix(label)
                .map_or(text.as_str(), |rest| rest.trim_start_matches(':'));
            FetchError::WrongContent(format!("{label}: not an ATT&CK bundle: {detail}"))
        }
        other => FetchError::WrongContent(other.to_string()),
    })?;
    let Some(collection) = &bundle.collection else {
        return Err(FetchError::WrongContent(format!(
            "{label}: not an ATT&CK release: the bundle has no x-mitre-collection object naming its domain and release"
        )));
    };
    let guessed = bundle
        .diagnostics
        .iter()
        .any(|d| matches!(d.kind, attackdb_stix::DiagnosticKind::Provenance { .. }));
    let domain = bundle.domain.as_deref().and_then(Domain::parse);
    let release = bundle
        .release
        .as_deref()
        .and_then(|r| Release::parse(r).ok().filter(|p| p.as_str() == r));
    match (domain, release) {
        (Some(domain), Some(release)) if !guessed => Ok(BundleRelease {
            domain,
            release,
            modified: collection.modified.clone(),
        }),
        _ => Err(FetchError::WrongContent(format!(
            "{label}: its x-mitre-collection object ({:?}, version {:?}) does not name an ATT&CK domain and release",
            collection.name, collection.version
        ))),
    }
}
