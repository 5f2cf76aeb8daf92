//! ATT&CK domains and release numbers: parsing what users and files write, display, ordering
//! (numeric, pre-releases before their release), and the one rule for telling a domain from a
//! collection object or a file name.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// One of the three ATT&CK domains (matrices). Domains order by their STIX name
/// (`enterprise-attack` < `ics-attack` < `mobile-attack`), as lists and maps show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Domain {
    /// Enterprise ATT&CK (`enterprise-attack`).
    Enterprise,
    /// Mobile ATT&CK (`mobile-attack`).
    Mobile,
    /// ATT&CK for ICS (`ics-attack`).
    Ics,
}

/// A name that is not an ATT&CK domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown domain `{0}`: expected enterprise, mobile or ics")]
pub struct UnknownDomain(pub String);

impl Domain {
    /// Every domain, in the order attackdb lists them.
    pub const ALL: [Domain; 3] = [Domain::Enterprise, Domain::Mobile, Domain::Ics];

    /// The domain's STIX name: `enterprise-attack`, `mobile-attack` or `ics-attack`.
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Enterprise => "enterprise-attack",
            Domain::Mobile => "mobile-attack",
            Domain::Ics => "ics-attack",
        }
    }

    /// The short name users type: `enterprise`, `mobile` or `ics`.
    pub fn short_name(self) -> &'static str {
        match self {
            Domain::Enterprise => "enterprise",
            Domain::Mobile => "mobile",
            Domain::Ics => "ics",
        }
    }

    /// The title for headings: `Enterprise`, `Mobile` or `ICS`.
    pub fn title(self) -> &'static str {
        match self {
            Domain::Enterprise => "Enterprise",
            Domain::Mobile => "Mobile",
            Domain::Ics => "ICS",
        }
    }

    /// The STIX ID of the domain's `x-mitre-collection` object, fixed across releases.
    pub fn collection_id(self) -> &'static str {
        match self {
            Domain::Enterprise => "x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019",
            Domain::Mobile => "x-mitre-collection--dac0d2d7-8653-445c-9bff-82f934c1e858",
            Domain::Ics => "x-mitre-collection--90c00720-636b-4485-b342-8751d232bf09",
        }
    }

    /// Reads what users write: `enterprise`, `Enterprise-ATT&CK`, `mobile-attack`,
    /// `mitre-ics-attack`, `ICS ATT&CK`... (case-insensitive). `None` for anything else.
    pub fn parse(name: &str) -> Option<Domain> {
        let key = name.trim().to_ascii_lowercase();
        let key = key
            .trim_end_matches("-attack")
            .trim_end_matches(" att&ck")
            .trim_start_matches("mitre-");
        match key {
            "enterprise" => Some(Domain::Enterprise),
            "mobile" => Some(Domain::Mobile),
            "ics" => Some(Domain::Ics),
            _ => None,
        }
    }

    /// The domain of a collection (an `x-mitre-collection` object, or an entry of MITRE's
    /// release catalogue): by its fixed STIX ID, else by a word of its name (`Enterprise
    /// ATT&CK`, `Mobile ATT&CK`, `ICS ATT&CK`).
    pub fn from_collection(id: Option<&str>, name: Option<&str>) -> Option<Domain> {
        if let Some(domain) = Domain::ALL
            .into_iter()
            .find(|d| id == Some(d.collection_id()))
        {
            return Some(domain);
        }
        let name = name?.to_ascii_lowercase();
        Domain::ALL.into_iter().find(|d| {
            name.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|word| word == d.short_name())
        })
    }

    /// What a bundle's file name says: the domain it names (`enterprise-attack` somewhere in
    /// it) and the release after it (`enterprise-attack-18.1.json.gz`, `..._v18.1`), where it
    /// says one. `None` when the name names no domain.
    pub fn of_file_name(name: &str) -> Option<(Domain, Option<Release>)> {
        let name = name.to_ascii_lowercase();
        let domain = Domain::ALL
            .into_iter()
            .find(|d| name.contains(d.as_str()))?;
        let release = name.split(domain.as_str()).nth(1).and_then(|rest| {
            let rest = rest.trim_start_matches(['-', '_', 'v']);
            let end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            let version = rest[..end].trim_end_matches('.');
            Release::parse(version).ok()
        });
        Some((domain, release))
    }
}

impl Ord for Domain {
    fn cmp(&self, other: &Domain) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Domain {
    fn partial_cmp(&self, other: &Domain) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Domain {
    type Err = UnknownDomain;

    fn from_str(name: &str) -> Result<Domain, UnknownDomain> {
        Domain::parse(name).ok_or_else(|| UnknownDomain(name.to_string()))
    }
}

impl serde::Serialize for Domain {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An ATT&CK release number: `18.1`, `9.0`, `1.0.2`, or a pre-release such as `11.0-beta`.
/// Releases order numerically (`9.0` < `10.0` < `11.0-beta` < `11.0` < `19.1`); a release
/// read from a bundle that names none, or names it oddly, keeps its text and sorts first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Release {
    text: Box<str>,
}

/// Text that is not a release number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a release: expected X.Y (e.g. 18.1, v18.1 or 11.0-beta)")]
pub struct BadRelease(pub String);

impl Release {
    /// Reads a release as users and file names write it: `18.1`, `v18.1`, `11.0-beta` (digits
    /// and dots, at least two parts, then maybe `-` and letters or digits; at most 24
    /// characters, so it is always safe in a file name).
    pub fn parse(text: &str) -> Result<Release, BadRelease> {
        let trimmed = text.trim();
        let release = trimmed
            .strip_prefix(['v', 'V'])
            .unwrap_or(trimmed)
            .to_string();
        let (numbers, tag) = match release.split_once('-') {
            Some((numbers, tag)) => (numbers, Some(tag)),
            None => (release.as_str(), None),
        };
        let tag_ok =
            tag.is_none_or(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric()));
        let numbers_ok = numbers.split('.').count() >= 2
            && numbers
                .split('.')
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
        if release.len() <= 24 && tag_ok && numbers_ok {
            Ok(Release {
                text: release.into(),
            })
        } else {
            Err(BadRelease(text.to_string()))
        }
    }

    /// The release a bundle names, kept as written even when it is not a release number (a
    /// custom bundle's `version`, or `unknown`).
    pub fn from_bundle(text: &str) -> Release {
        Release::parse(text).unwrap_or_else(|_| Release { text: text.into() })
    }

    /// The release as text, `18.1`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether this is a pre-release (`11.0-beta`), which "latest" and updates pass over.
    pub fn is_prerelease(&self) -> bool {
        self.text.contains('-')
    }

    /// The major version: `18` of `18.1`.
    pub fn major(&self) -> Option<u64> {
        self.text.split(['.', '-']).next()?.parse().ok()
    }

    /// The release a bundle's file name gives: the one after the domain it names
    /// (`enterprise-attack-18.1.json`, `ics-attack_v15.1.json`), else the first `X.Y` standing
    /// alone in it (`attack 17.0 copy.json`).
    pub fn in_file_name(name: &str) -> Option<Release> {
        if let Some((_, release)) = Domain::of_file_name(name) {
            return release;
        }
        let bytes = name.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                    i += 1;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                    return Release::parse(&name[start..i]).ok();
                }
            }
            i += 1;
        }
        None
    }

    /// Whether this release is well formed (not one kept as written by [`Release::from_bundle`]).
    pub fn is_number(&self) -> bool {
        Release::parse(&self.text).is_ok()
    }

    fn key(&self) -> (bool, Vec<u64>, bool, &str) {
        let (numbers, tag) = match self.text.split_once('-') {
            Some((numbers, tag)) => (numbers, Some(tag)),
            None => (&*self.text, None),
        };
        (
            self.is_number(),
            numbers
                .split('.')
                .map(|p| p.parse::<u64>().unwrap_or(0))
                .collect(),
            tag.is_none(),
            tag.unwrap_or_default(),
        )
    }
}

impl Ord for Release {
    fn cmp(&self, other: &Release) -> Ordering {
        self.key()
            .cmp(&other.key())
            .then_with(|| self.text.cmp(&other.text))
    }
}

impl PartialOrd for Release {
    fn partial_cmp(&self, other: &Release) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Release {
    type Err = BadRelease;

    fn from_str(text: &str) -> Result<Release, BadRelease> {
        Release::parse(text)
    }
}

impl PartialEq<str> for Release {
    fn eq(&self, other: &str) -> bool {
        &*self.text == other
    }
}

impl PartialEq<&str> for Release {
    fn eq(&self, other: &&str) -> bool {
        &*self.text == *other
    }
}

impl serde::Serialize for Release {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(text: &str) -> Release {
        Release::parse(text).unwrap_or_else(|_| Release::from_bundle("invalid"))
    }

    #[test]
    fn domains_parse_as_users_write_them() {
        assert_eq!(Domain::parse("enterprise"), Some(Domain::Enterprise));
        assert_eq!(Domain::parse("Mobile-Attack"), Some(Domain::Mobile));
        assert_eq!(Domain::parse("ICS ATT&CK"), Some(Domain::Ics));
        assert_eq!(Domain::parse("mitre-ics-attack"), Some(Domain::Ics));
        assert_eq!(Domain::parse("pre"), None);
        assert_eq!(Domain::Enterprise.to_string(), "enterprise-attack");
    }

    #[test]
    fn collections_name_their_domain_by_id_or_a_word_of_the_name() {
        assert_eq!(
            Domain::from_collection(
                Some("x-mitre-collection--90c00720-636b-4485-b342-8751d232bf09"),
                Some("Enterprise")
            ),
            Some(Domain::Ics)
        );
        assert_eq!(
            Domain::from_collection(None, Some("Mobile ATT&CK")),
            Some(Domain::Mobile)
        );
        assert_eq!(Domain::from_collection(None, Some("Physics")), None);
        assert_eq!(Domain::from_collection(None, Some("Something else")), None);
    }

    #[test]
    fn file_names_tell_domain_and_release() {
        assert_eq!(
            Domain::of_file_name("enterprise-attack-18.1.json.gz"),
            Some((Domain::Enterprise, Some(release("18.1"))))
        );
        assert_eq!(
            Domain::of_file_name("mobile-attack.json"),
            Some((Domain::Mobile, None))
        );
        assert_eq!(Domain::of_file_name("bundle.json"), None);
    }

    #[test]
    fn releases_are_digits_and_dots_maybe_a_tag() {
        for good in ["18.1", "1.0.2", "11.2-beta", "v18.1", " V9.0 "] {
            assert!(Release::parse(good).is_ok(), "{good}");
        }
        for bad in ["18", "18.", "../18.1", "11.2-", "11.2-../x", "", "x.y"] {
            assert!(Release::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(release("v18.1").as_str(), "18.1");
        assert_eq!(release("18.1").major(), Some(18));
    }

    #[test]
    fn releases_order_numerically_with_prereleases_first() {
        let mut releases: Vec<Release> = ["19.1", "9.0", "11.0", "11.0-beta", "10.0", "18.1"]
            .into_iter()
            .map(release)
            .collect();
        releases.push(Release::from_bundle("unknown"));
        releases.sort();
        let texts: Vec<&str> = releases.iter().map(Release::as_str).collect();
        assert_eq!(
            texts,
            [
                "unknown",
                "9.0",
                "10.0",
                "11.0-beta",
                "11.0",
                "18.1",
                "19.1"
            ]
        );
    }
}
