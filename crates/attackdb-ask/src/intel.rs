//! The threat-intelligence questions: profile, similar, overlap, attribute, predict, emulate.
//! Each names its objects by ID, name or alias with the cross-domain rule, and reads observed
//! techniques by one rule (problems listed as notes; none usable is an error).

use std::path::PathBuf;

use attackdb_intel as intel;
use attackdb_kb::{Dataset, ObjId};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::scope::{locate, Checked, Library, Noted, Scope};

/// An answer about one release, with the release it came from.
#[derive(Debug, Clone)]
pub struct Answered<'l, T> {
    /// The release answered from.
    pub dataset: &'l Dataset,
    /// The answer.
    pub answer: T,
}

/// Asks `question` of the release `scope` reads; when the reference is unknown there and the
/// scope names no domain, of the first other domain that holds an object so named (with a
/// note), as [`locate`] rules.
fn ask_holding<'l, L: Library + ?Sized, T>(
    library: &'l L,
    scope: &Checked,
    reference: &str,
    question: impl Fn(&'l Dataset) -> intel::Result<T>,
) -> Result<Noted<Answered<'l, T>>> {
    let dataset = scope.dataset(library);
    let error = match dataset.map(|d| (d, question(d))) {
        Ok((dataset, Ok(answer))) => return Ok(Noted::plain(Answered { dataset, answer })),
        Ok((_, Err(error))) => {
            let unknown = matches!(error, intel::Error::UnknownReference { .. });
            if !unknown || scope.domain.is_some() {
                return Err(error.into());
            }
            Error::from(error)
        }
        Err(error) if scope.domain.is_some() => return Err(error),
        Err(error) => error,
    };
    let Ok(found) = locate(library, scope, reference, |d, r| d.lookup(r)) else {
        return Err(error);
    };
    let dataset = found.answer.dataset;
    let answer = question(dataset)?;
    Ok(Noted {
        answer: Answered { dataset, answer },
        notes: found.notes,
    })
}

/// `profile REF`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProfileRequest {
    /// A group, campaign or software: ID, name or alias.
    pub reference: String,
    /// Count techniques used through its software too.
    pub with_software: bool,
    /// Domain and release.
    #[serde(flatten)]
    pub scope: Scope,
}

/// Answers `profile`.
pub fn profile<'l, L: Library + ?Sized>(
    library: &'l L,
    request: &ProfileRequest,
) -> Result<Noted<Answered<'l, intel::Profile>>> {
    let options = intel::ProfileOptions {
        with_software: request.with_software,
    };
    let reference = request.reference.trim();
    ask_holding(library, &request.scope.check()?, reference, |d| {
        intel::profile(d, reference, &options)
    })
}

/// `similar REF`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimilarRequest {
    /// A group, campaign or software: ID, name or alias.
    pub reference: String,
    /// How many (default 10).
    pub top: usize,
    /// `jaccard` (default) or `idf-cosine`.
    pub measure: String,
    /// Domain and release.
    #[serde(flatten)]
    pub scope: Scope,
}

impl Default for SimilarRequest {
    fn default() -> SimilarRequest {
        SimilarRequest {
            reference: String::new(),
            top: 10,
            measure: "jaccard".to_string(),
            scope: Scope::default(),
        }
    }
}

/// Answers `similar`.
pub fn similar<'l, L: Library + ?Sized>(
    library: &'l L,
    request: &SimilarRequest,
) -> Result<Noted<Answered<'l, intel::SimilarAnswer>>> {
    let options = intel::SimilarOptions {
        top: request.top,
        measure: intel::Measure::parse(&request.measure)
            .map_err(|e| Error::from(e).for_parameter("measure"))?,
    };
    let reference = request.reference.trim();
    ask_holding(library, &request.scope.check()?, reference, |d| {
        intel::similar(d, reference, &options)
    })
}

/// `overlap REF REF...`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OverlapRequest {
    /// Two or more groups, campaigns or software.
    pub refs: Vec<String>,
    /// Domain and release.
    #[serde(flatten)]
    pub scope: Scope,
}

/// Answers `overlap`.
pub fn overlap<'l, L: Library + ?Sized>(
    library: &'l L,
    request: &OverlapRequest,
) -> Result<Answered<'l, intel::OverlapAnswer>> {
    let refs: Vec<String> = request
        .refs
        .iter()
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    if refs.len() < 2 {
        return Err(Error::bad_parameter(
            "`refs` names two or more objects (IDs, names or aliases)",
        ));
    }
    let dataset = request.scope.check()?.dataset(library)?;
    Ok(Answered {
        dataset,
        answer: intel::overlap(dataset, &refs)?,
    })
}

/// Observed techniques: IDs, and files of them (layers, lists, CSVs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Observations {
    /// Technique IDs; an entry may hold several, comma- or space-separated.
    pub techniques: Vec<String>,
    /// Navigator layers of the observed techniques (the CLI's `--layer`).
    pub layers: Vec<PathBuf>,
    /// Files of technique IDs or CSVs with a technique column (the CLI's `--from`).
    pub files: Vec<PathBuf>,
}

impl Observations {
    /// The techniques observed in `dataset`, every entry replaced, merged or left out said as a
    /// note; none usable is a bad parameter listing why.
    pub fn read(&self, dataset: &Dataset) -> Result<Noted<Vec<ObjId>>> {
        let mut list = intel::parse_technique_ids(dataset, &self.techniques);
        for path in &self.layers {
            let more = intel::read_technique_file(dataset, path, intel::ListFormat::Layer)?;
            list.extend(dataset, more);
        }
        for path in &self.files {
            let more = intel::read_technique_file(dataset, path, intel::ListFormat::Auto)?;
            list.extend(dataset, more);
        }
        let notes: Vec<String> = list.problem_lines().iter().map(|l| l.to_string()).collect();
        if list.objects.is_empty() {
            let why = if notes.is_empty() {
                "none was given".to_string()
            } else {
                notes.join("; ")
            };
            return Err(Error::bad_parameter(format!(
                "no usable technique in `techniques`: {why}"
            ))
            .with_hint("name technique IDs (T1059.001), a layer or a file of IDs"));
        }
        Ok(Noted {
            answer: list.objects,
            notes,
        })
    }
}

/// `attribute ID...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttributeRequest {
    /// What was observed.
    #[serde(flatten)]
    pub observed: Observations,
    /// How many per kind (default 10), or in all with `mixed`.
    pub top: usize,
    /// One ranking over every kind.
    pub mixed: bool,
    /// Domain and release.
    #[serde(flatten)]
    pub scope: Scope,
}

impl Default for AttributeRequest {
    fn default() -> AttributeRequest {
        AttributeRequest {
            observed: Observations::default(),
            top: 10,
            mixed: false,
            scope: Scope::default(),
        }
    }
}

/// Answers `attribute`.
pub fn attribute<'l, L: Library + ?Sized>(
    library: &'l L,
    request: &AttributeRequest,
) -> Result<Noted<Answered<'l, intel::AttributeAnswer>>> {
    let dataset = request.scope.check()?.dataset(library)?;
    let observed = request.observed.read(dataset)?;
    let options = intel::AttributeOptions {
        top: request.top,
        mixed: request.mixed,
        ..intel::AttributeOptions::default()
    };
    let answer = intel::attribute(dataset, &observed.answer, &options)?;
    Ok(Noted {
        answer: Answered { dataset, answer },
        notes: observed.notes,
    })
}

/// `predict ID...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PredictRequest {
    /// What was observed.
    #[serde(flatten)]
    pub observed: Observations,
    /// How many (default 20).
    pub top: usize,
    /// Objects left out of what is learned.
    pub exclude: Vec<String>,
    /// Domain and release.
    #[serde(flatten)]
    pub scope: Scope,
}

impl Default for PredictRequest {
    fn default() -> PredictRequest {
        PredictRequest {
            observed: Observations::default(),
            top: 20,
            exclude: Vec::new(),
            scope: Scope::default(),
        }
    }
}

/// Answers `predict`.
pub fn predict<'l, L: Library + ?Sized>(
    library: &'l L,
    request: &PredictRequest,
) -> Result<Noted<Answered<'l, intel::PredictAnswer>>> {
    let dataset = request.scope.check()?.dataset(library)?;
    let observed = request.observed.read(dataset)?;
    let options = intel::PredictOptions {
        top: request.top,
        exclude: request.exclude.clone(),
        ..intel::PredictOptions::default()
    };
    let answer = intel::predict(dataset, &observed.answer, &options)?;
    Ok(Noted {
        answer: Answered { dataset, answer },
        notes: observed.notes,
    })
}

/// `emulate REF --atomics DIR`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmulateRequest {
    /// A group or campaign: ID, name or alias.
    pub reference: String,
    /// The Atomic Red Team checkout; `None` is an error saying how to give one.
    pub atomics: Option<PathBuf>,
    /// Only tests for this platform (Atomic Red Team's names or ATT&CK's).
    pub platform: Option<String>,
    /// Add the techniques of its software, marked.
    pub with_software: bool,
    /// Domain and release.
    #[serde(flatten)]
    pub scope: Scope,
}

/// Answers `emulate` (the checkout's unreadable tests are in the plan's `atomic_problems`).
pub fn emulate<'l, L: Library + ?Sized>(
    library: &'l L,
    request: &EmulateRequest,
) -> Result<Noted<Answered<'l, intel::EmulationPlan>>> {
    let Some(atomics) = &request.atomics else {
        return Err(Error::new(
            crate::Kind::NotFound,
            "not_configured",
            "no Atomic Red Team tests to plan with",
        )
        .with_hint("give an Atomic Red Team checkout: `--atomics DIR` (serve --atomics DIR)"));
    };
    let options = intel::EmulateOptions {
        platform: request.platform.clone(),
        with_software: request.with_software,
    };
    let reference = request.reference.trim();
    ask_holding(library, &request.scope.check()?, reference, |d| {
        intel::emulate_dir(d, reference, atomics, &options)
    })
}

/// `map FILE`: a report's techniques.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MapRequest {
    /// The report's name (its file), for messages and the layer's name.
    pub name: String,
    /// At most this many techniques (default 20).
    pub top: usize,
    /// Techniques below this score are left out (default 0.2).
    pub min_score: f64,
    /// Domain and release.
    #[serde(flatten)]
    pub scope: Scope,
    /// Where the release's model is kept between runs (the data home's index folder); none:
    /// learned in this process only. Set by the front end, never by a request.
    #[serde(skip)]
    pub model_dir: Option<PathBuf>,
}

impl Default for MapRequest {
    fn default() -> MapRequest {
        let options = intel::MapOptions::default();
        MapRequest {
            name: "report".to_string(),
            top: options.top,
            min_score: options.min_score,
            scope: Scope::default(),
            model_dir: None,
        }
    }
}

/// Answers `map`: `report` (its bytes: text, Markdown or HTML) on the release the scope names.
pub fn map<'l, L: Library + ?Sized>(
    library: &'l L,
    request: &MapRequest,
    report: &[u8],
) -> Result<Answered<'l, intel::MapAnswer>> {
    let dataset = request.scope.check()?.dataset(library)?;
    if !(0.0..=1.0).contains(&request.min_score) {
        return Err(Error::bad_parameter(format!(
            "--min-score is between 0 and 1, not {}",
            request.min_score
        )));
    }
    let (format, text) = intel::report_text(&request.name, report)?;
    let model = intel::MapModel::cached_in(dataset, request.model_dir.as_deref());
    let options = intel::MapOptions {
        top: request.top,
        min_score: request.min_score,
        ..intel::MapOptions::default()
    };
    let answer = intel::map_text(dataset, &model, format, &text, &options);
    Ok(Answered { dataset, answer })
}

/// `map --evaluate FROM`: the mapping learned from release `trained_on` scored on what the
/// scope's release added.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MapEvaluationRequest {
    /// The older release the model learns from (`X.Y`).
    pub trained_on: String,
    /// Domain and the newer release.
    #[serde(flatten)]
    pub scope: Scope,
}

/// Answers `map --evaluate`.
pub fn evaluate_mapping<L: Library + ?Sized>(
    library: &L,
    request: &MapEvaluationRequest,
) -> Result<intel::MapEvaluation> {
    let checked = request.scope.check()?;
    let new = checked.dataset(library)?;
    let old_scope = Scope::new(Some(new.domain().as_str()), Some(&request.trained_on)).check()?;
    let old = old_scope.dataset(library)?;
    if old.release() >= new.release() {
        return Err(Error::bad_parameter(format!(
            "the model learns from an older release than it is tested on: {} is not older than {}",
            old.release(),
            new.release()
        )));
    }
    Ok(intel::evaluate_mapping(old, new))
}
