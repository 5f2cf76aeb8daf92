//! The questions about one release's objects: show, list, search, matrix, relation, and stats
//! over every release.

use attackdb_kb::{
    answer::{FullAnswer, ObjectSummary, SearchResult, StatsAnswer},
    matrix::MatrixOptions,
    Concept, Dataset, Kb, ObjId, Relation, Visibility,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::scope::{locate, Library, Located, Noted, Scope};

/// `show REF`: one object, by ATT&CK ID, STIX ID, name or alias.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShowRequest {
    /// The reference.
    pub reference: String,
    /// With its relationships and detection (`--full`).
    pub full: bool,
    /// Domain and release.
    #[serde(flatten)]
    pub scope: Scope,
}

/// What `show` answers: the object found (for a front end's own rendering) and, with
/// `full`, the document of it.
#[derive(Debug, Clone)]
pub struct Shown<'l> {
    /// The object and the dataset holding it.
    pub found: Located<'l>,
    /// With `full`: `{"object", "related", "detection", "also"?, "notes"?}`.
    pub full: Option<FullAnswer>,
}

impl Shown<'_> {
    /// The STIX object exactly as in the bundle, with a final newline (`show --json`).
    pub fn raw(&self) -> Result<String> {
        let mut raw = self.found.dataset.raw_json(self.found.id)?.to_string();
        raw.push('\n');
        Ok(raw)
    }
}

/// Answers `show`. Notes: the other domain that answered, the other objects a shared name
/// names.
pub fn show<'l, L: Library + ?Sized>(
    library: &'l L,
    request: &ShowRequest,
) -> Result<Noted<Shown<'l>>> {
    let scope = request.scope.check()?;
    let reference = request.reference.trim();
    if reference.is_empty() {
        return Err(Error::bad_parameter(
            "name an object: an ATT&CK ID, STIX ID, name or alias",
        ));
    }
    let Noted {
        answer: found,
        mut notes,
    } = locate(library, &scope, reference, |d, r| d.lookup(r))?;
    notes.extend(attackdb_kb::answer::also_named_note(
        found.dataset,
        reference,
        found.id,
    ));
    let full = if request.full {
        let mut full = attackdb_kb::answer::full_answer_named(found.dataset, found.id, reference)?;
        full.notes.clone_from(&notes);
        Some(full)
    } else {
        None
    };
    Ok(Noted {
        answer: Shown { found, full },
        notes,
    })
}

/// The object `reference` names for a question about one object (`related`, `detection`),
/// with the cross-domain rule.
pub fn find<'l, L: Library + ?Sized>(
    library: &'l L,
    scope: &Scope,
    reference: &str,
) -> Result<Noted<Located<'l>>> {
    locate(library, &scope.check()?, reference.trim(), |d, r| {
        d.lookup(r)
    })
}

/// `list KIND`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListRequest {
    /// `techniques`, `groups`, ... (any kind `Concept::parse` reads).
    pub kind: String,
    /// Only objects of this platform (one of the release's).
    pub platform: Option<String>,
    /// Only techniques of this tactic (shortname, name or TA ID).
    pub tactic: Option<String>,
    /// Include revoked objects.
    pub include_revoked: bool,
    /// Include deprecated objects.
    pub include_deprecated: bool,
    /// Skip this many first.
    pub offset: Option<usize>,
    /// At most this many.
    pub limit: Option<usize>,
    /// Domain and release.
    #[serde(flatten)]
    pub scope: Scope,
}

/// What `list` answers.
#[derive(Debug, Clone)]
pub struct Listed<'l> {
    /// The release listed.
    pub dataset: &'l Dataset,
    /// The kind listed.
    pub concept: Concept,
    /// The objects, sorted by display ID (tactics in matrix order), offset and limit applied.
    pub ids: Vec<ObjId>,
}

impl Listed<'_> {
    /// The `--json` document.
    pub fn summaries(&self) -> Vec<ObjectSummary> {
        self.ids
            .iter()
            .map(|&i| ObjectSummary::of(self.dataset, i))
            .collect()
    }
}

/// `platform` as the release spells it, or a bad parameter naming it and the release's
/// platforms.
pub fn check_platform<'d>(dataset: &'d Dataset, platform: &str) -> Result<&'d str> {
    dataset
        .canonical_platform(platform)
        .map_err(|e| Error::from(e).for_parameter("platform"))
}

/// The shortname of the tactic `tactic` names, or a bad parameter naming it and the release's
/// tactics.
pub fn check_tactic(dataset: &Dataset, tactic: &str) -> Result<String> {
    dataset.resolve_tactic(tactic).map_err(|e| match e {
        attackdb_kb::Error::NotFound { .. } => {
            let known: Vec<String> = dataset
                .tactics_in_order()
                .into_iter()
                .filter_map(|t| dataset.object(t).shortname.as_deref().map(str::to_string))
                .collect();
            Error::bad_parameter(format!(
                "`tactic`: `{}` is not a tactic of {} {}: expected one of {}",
                tactic.trim(),
                dataset.domain(),
                dataset.release(),
                known.join(", ")
            ))
        }
        other => Error::from(other).for_parameter("tactic"),
    })
}

/// Answers `list`.
pub fn list<'l, L: Library + ?Sized>(library: &'l L, request: &ListRequest) -> Result<Listed<'l>> {
    let dataset = request.scope.check()?.dataset(library)?;
    let platform = request
        .platform
        .as_deref()
        .map(|p| check_platform(dataset, p))
        .transpose()?;
    let tactic = request
        .tactic
        .as_deref()
        .map(|t| check_tactic(dataset, t))
        .transpose()?;
    let (concept, ids) = attackdb_kb::answer::list_objects(
        dataset,
        &attackdb_kb::answer::ListQuery {
            kind: request.kind.clone(),
            platform: platform.map(str::to_string),
            tactic,
            visibility: Visibility {
                include_revoked: request.include_revoked,
                include_deprecated: request.include_deprecated,
            },
        },
    )
    .map_err(|e| match e {
        attackdb_kb::Error::BadQuery(message) if message.starts_with("unknown kind") => {
            Error::new(crate::Kind::NotFound, "unknown_kind", message)
        }
        other => other.into(),
    })?;
    let ids = ids
        .into_iter()
        .skip(request.offset.unwrap_or(0))
        .take(request.limit.unwrap_or(usize::MAX))
        .collect();
    Ok(Listed {
        dataset,
        concept,
        ids,
    })
}

/// `search WORDS`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchRequest {
    /// The words to look for.
    pub q: String,
    /// Include revoked objects.
    pub include_revoked: bool,
    /// Include deprecated objects.
    pub include_deprecated: bool,
    /// At most this many (default 25).
    pub limit: usize,
    /// Domain and release.
    #[serde(flatten)]
    pub scope: Scope,
}

impl Default for SearchRequest {
    fn default() -> SearchRequest {
        SearchRequest {
            q: String::new(),
            include_revoked: false,
            include_deprecated: false,
            limit: 25,
            scope: Scope::default(),
        }
    }
}

/// What `search` answers.
#[derive(Debug, Clone)]
pub struct Searched<'l> {
    /// The release searched.
    pub dataset: &'l Dataset,
    /// Every match, best first.
    pub hits: Vec<attackdb_kb::search::SearchHit>,
    /// How many are shown (the limit).
    pub shown: usize,
}

impl Searched<'_> {
    /// The `--json` document: the matches shown.
    pub fn results(&self) -> Vec<SearchResult> {
        self.hits
            .iter()
            .take(self.shown)
            .map(|h| SearchResult::of(self.dataset, h))
            .collect()
    }
}

/// Answers `search`.
pub fn search<'l, L: Library + ?Sized>(
    library: &'l L,
    request: &SearchRequest,
) -> Result<Searched<'l>> {
    let dataset = request.scope.check()?.dataset(library)?;
    if request.q.trim().is_empty() {
        return Err(Error::bad_parameter(
            "`q` is required: the words to look for",
        ));
    }
    let hits = dataset.search(
        &request.q,
        Visibility {
            include_revoked: request.include_revoked,
            include_deprecated: request.include_deprecated,
        },
    )?;
    let shown = hits.len().min(request.limit);
    Ok(Searched {
        dataset,
        hits,
        shown,
    })
}

/// `matrix`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatrixRequest {
    /// Only techniques of these platforms (each one of the release's).
    pub platforms: Vec<String>,
    /// Sub-techniques under their techniques.
    pub subtechniques: bool,
    /// Domain and release.
    #[serde(flatten)]
    pub scope: Scope,
}

/// What `matrix` answers.
#[derive(Debug, Clone)]
pub struct MatrixAnswered<'l> {
    /// The release.
    pub dataset: &'l Dataset,
    /// The options, platforms checked.
    pub options: MatrixOptions,
    /// The matrix.
    pub matrix: attackdb_kb::matrix::Matrix,
}

impl MatrixAnswered<'_> {
    /// The `--json` document.
    pub fn document(&self) -> Vec<attackdb_kb::answer::MatrixColumnAnswer> {
        attackdb_kb::answer::matrix_answer(self.dataset, &self.matrix, &self.options)
    }
}

/// Answers `matrix`: an unknown platform is a bad parameter, never an empty matrix.
pub fn matrix<'l, L: Library + ?Sized>(
    library: &'l L,
    request: &MatrixRequest,
) -> Result<MatrixAnswered<'l>> {
    let dataset = request.scope.check()?.dataset(library)?;
    let platforms = request
        .platforms
        .iter()
        .map(|p| check_platform(dataset, p).map(str::to_string))
        .collect::<Result<Vec<_>>>()?;
    let options = MatrixOptions {
        platforms,
        subtechniques: request.subtechniques,
    };
    let matrix = dataset.matrix(&options);
    Ok(MatrixAnswered {
        dataset,
        options,
        matrix,
    })
}

/// `relation FAMILY [REF]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelationRequest {
    /// The family (`techniques_used_by_group`...).
    pub family: String,
    /// One object's answer; absent for the whole map.
    pub reference: Option<String>,
    /// Only the objects' own relationships, not those inherited through campaigns (a group's
    /// own techniques). `false` (the default) answers as mitreattack-python does.
    pub direct: bool,
    /// Domain and release.
    #[serde(flatten)]
    pub scope: Scope,
}

/// What `relation` answers.
#[derive(Debug, Clone)]
pub enum RelationAnswer<'l> {
    /// The whole family: display ID -> related display IDs, sorted.
    Map {
        /// The release.
        dataset: &'l Dataset,
        /// The family.
        relation: Relation,
        /// The map.
        map: std::collections::BTreeMap<String, Vec<String>>,
    },
    /// One object's related objects.
    One {
        /// The object.
        key: Located<'l>,
        /// The family.
        relation: Relation,
        /// The related objects, sorted by display ID.
        related: Vec<ObjId>,
    },
}

impl RelationAnswer<'_> {
    /// The `--json` document: the map, or the sorted display IDs.
    pub fn document(&self) -> serde_json::Value {
        match self {
            RelationAnswer::Map { map, .. } => serde_json::json!(map),
            RelationAnswer::One { key, related, .. } => {
                let mut ids: Vec<String> = related
                    .iter()
                    .map(|&r| key.dataset.display_id(r).to_string())
                    .collect();
                ids.sort();
                ids.dedup();
                serde_json::json!(ids)
            }
        }
    }
}

/// Answers `relation`.
pub fn relation<'l, L: Library + ?Sized>(
    library: &'l L,
    request: &RelationRequest,
) -> Result<Noted<RelationAnswer<'l>>> {
    let scope = request.scope.check()?;
    let relation = Relation::parse(request.family.trim())?;
    let Some(reference) = request.reference.as_deref() else {
        let dataset = scope.dataset(library)?;
        let map = if request.direct {
            dataset.relation_map_named_direct(relation)
        } else {
            dataset.relation_map_named(relation)
        };
        return Ok(Noted::plain(RelationAnswer::Map {
            dataset,
            relation,
            map,
        }));
    };
    let reference = reference.trim();
    let Noted {
        answer: key,
        mut notes,
    } = locate(library, &scope, reference, |d, r| d.lookup_key(relation, r))?;
    notes.extend(attackdb_kb::answer::also_named_note(
        key.dataset,
        reference,
        key.id,
    ));
    let related = if request.direct {
        key.dataset.related_direct(relation, key.id)
    } else {
        key.dataset.related(relation, key.id)
    };
    Ok(Noted {
        answer: RelationAnswer::One {
            key,
            relation,
            related,
        },
        notes,
    })
}

/// Answers `stats`: counts per type of every loaded domain and release.
pub fn stats(kb: &Kb) -> StatsAnswer {
    attackdb_kb::answer::stats_answer(kb)
}
