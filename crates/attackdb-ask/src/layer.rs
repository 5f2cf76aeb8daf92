//! Navigator layers: validate, upgrade, generate, combine and export, each one request over
//! layers the front end has read (from a file, a request body). One rule picks the release a
//! layer is read against: `domain` when given, else the layer's own, at `release` (else the
//! newest); with no ATT&CK data at all, validation checks the format only, with a note, and
//! combine expands nothing.

use attackdb_kb::{Concept, Dataset, Domain};
use attackdb_navigator::generate::{self, GenerateOptions};
use attackdb_navigator::{
    self as nav, export, ops, Layer, LayerFile, LayerMatrix, LayerMatrixOptions, LayerUpgrade,
    ValidationReport,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::scope::{Checked, Library, Noted, Scope};

/// Whether `error` says there is no ATT&CK data at all (not: this release is not loaded).
pub fn is_no_data(error: &Error) -> bool {
    error.code == "no_data"
}

/// The dataset a layer of `layer_domain` is read against: the scope's domain, else the layer's
/// (one of ATT&CK's, or an error naming it), at the scope's release.
pub fn layer_dataset<'l, L: Library + ?Sized>(
    library: &'l L,
    scope: &Checked,
    layer_domain: &str,
) -> Result<&'l Dataset> {
    let domain = match scope.domain {
        Some(domain) => domain,
        None => layer_domain.parse::<Domain>().map_err(|e| {
            Error::invalid(format!("the layer's domain: {e}"))
                .with_hint("a layer names enterprise-attack, mobile-attack or ics-attack")
        })?,
    };
    library.dataset(domain, scope.release.as_ref())
}

/// `layer validate`: the format of every layer of `file` (problems recorded in it), and its
/// techniques against the release of each domain the layers name. With no ATT&CK data only the
/// format is checked, and a note says so. The report names the file as `source`.
pub fn validate<L: Library + ?Sized>(
    library: &L,
    file: &mut LayerFile,
    source: &str,
    scope: &Scope,
) -> Result<Noted<ValidationReport>> {
    let scope = scope.check()?;
    let mut notes = Vec::new();
    let checked_against = nav::check_file(file, |domain| {
        match layer_dataset(library, &scope, domain.as_str()) {
            Ok(dataset) => Ok(Some(dataset)),
            Err(error) if is_no_data(&error) => {
                if notes.is_empty() {
                    notes.push(format!(
                        "no ATT&CK data, so only the format is checked ({error})"
                    ));
                }
                Ok(None)
            }
            Err(error) => Err(error),
        }
    })?;
    Ok(Noted {
        answer: ValidationReport::new(source, &file.layers, checked_against),
        notes,
    })
}

/// A layer file upgraded to the current layer format.
#[derive(Debug, Clone)]
pub struct Upgraded {
    /// Its layers, in the current format.
    pub layers: Vec<Layer>,
    /// Whether the file was a list (and is written as one).
    pub is_list: bool,
    /// Each layer's format before.
    pub summary: Vec<LayerUpgrade>,
}

impl Upgraded {
    /// The upgraded file's text.
    pub fn to_json(&self) -> Result<String> {
        Ok(nav::layers_to_json(&self.layers, self.is_list)?)
    }
}

/// `layer upgrade`: every layer of `file` in layer format 4.5, unknown fields kept; a file with
/// an invalid layer is refused whole.
pub fn upgrade(file: LayerFile) -> Result<Upgraded> {
    let is_list = file.is_list;
    let summary = nav::upgrade_summary(&file.layers);
    let layers = file.into_valid_layers()?;
    Ok(Upgraded {
        layers,
        is_list,
        summary,
    })
}

/// Every valid layer of `file`; an invalid one is an error naming it (after `source`).
pub fn valid_layers(file: LayerFile, source: &str) -> Result<Vec<Layer>> {
    file.into_valid_layers().map_err(|e| {
        let mut error = Error::from(e);
        error.message = format!("{source}: {}", error.message);
        error
    })
}

/// `layer generate`: one of the objects (or `overview`) named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenerateRequest {
    /// The techniques a group uses (its campaigns' included): ID, name or alias.
    pub group: Option<String>,
    /// The techniques a software uses.
    pub software: Option<String>,
    /// The techniques a campaign uses.
    pub campaign: Option<String>,
    /// The techniques a mitigation mitigates.
    pub mitigation: Option<String>,
    /// The techniques a data component detects.
    pub datacomponent: Option<String>,
    /// The techniques a detection strategy detects.
    pub detectionstrategy: Option<String>,
    /// Every technique scored by how many objects of this kind relate to it.
    pub overview: Option<String>,
    /// Only techniques of this platform (also the layer's filter).
    pub platform: Option<String>,
    /// Domain and release.
    #[serde(flatten)]
    pub scope: Scope,
}

/// `kind` read as one of `allowed`, or a bad parameter naming `parameter` and the kinds.
fn concept(parameter: &str, kind: &str, allowed: &[Concept], what: &str) -> Result<Concept> {
    Concept::parse(kind)
        .filter(|c| allowed.contains(c))
        .ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|c| c.plural()).collect();
            Error::bad_parameter(format!(
                "`{parameter}`: `{}` cannot be {what}: expected one of {}",
                crate::echo(kind),
                names.join(", ")
            ))
        })
}

/// The generate options of a platform, checked against the release.
fn generate_options(dataset: &Dataset, platform: Option<&str>) -> Result<GenerateOptions> {
    Ok(GenerateOptions {
        platform: platform
            .map(|p| crate::check_platform(dataset, p).map(str::to_string))
            .transpose()?,
    })
}

/// Answers `layer generate`: a usage layer of the object named, or an overview.
pub fn generate_layer<L: Library + ?Sized>(
    library: &L,
    request: &GenerateRequest,
) -> Result<Layer> {
    let dataset = request.scope.check()?.dataset(library)?;
    let options = generate_options(dataset, request.platform.as_deref())?;
    if let Some(kind) = &request.overview {
        let kind = concept("overview", kind, &generate::OVERVIEW_KINDS, "overviewed")?;
        return Ok(generate::overview_layer(dataset, kind, &options)?);
    }
    let (query, kind) = [
        (&request.group, Concept::Group),
        (&request.software, Concept::Software),
        (&request.campaign, Concept::Campaign),
        (&request.mitigation, Concept::Mitigation),
        (&request.datacomponent, Concept::DataComponent),
        (&request.detectionstrategy, Concept::DetectionStrategy),
    ]
    .into_iter()
    .find_map(|(q, k)| q.as_ref().map(|q| (q, k)))
    .ok_or_else(|| {
        Error::bad_parameter(
            "name what to generate: group, software, campaign, mitigation, datacomponent, detectionstrategy or overview",
        )
    })?;
    let object = generate::resolve(dataset, query, kind)?;
    Ok(generate::usage_layer(dataset, object, &options)?)
}

/// `layer generate --batch KIND`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BatchRequest {
    /// groups, software, campaigns, mitigations, datacomponents or detectionstrategies.
    pub kind: String,
    /// Only techniques of this platform.
    pub platform: Option<String>,
    /// Domain and release.
    #[serde(flatten)]
    pub scope: Scope,
}

/// One layer of a batch.
#[derive(Debug, Clone)]
pub struct BatchedLayer {
    /// The object's ATT&CK ID.
    pub id: String,
    /// A file name for it, unique within the batch.
    pub file_name: String,
    /// The layer.
    pub layer: Layer,
}

/// Answers `layer generate --batch`: one usage layer per object of the kind, and its kind.
pub fn generate_batch<L: Library + ?Sized>(
    library: &L,
    request: &BatchRequest,
) -> Result<(Concept, Vec<BatchedLayer>)> {
    let dataset = request.scope.check()?.dataset(library)?;
    let kind = concept("batch", &request.kind, &generate::USAGE_KINDS, "batched")?;
    let options = generate_options(dataset, request.platform.as_deref())?;
    let layers = generate::batch_layers(dataset, kind, &options)?;
    let ids: Vec<&str> = layers.iter().map(|(id, _)| id.as_str()).collect();
    let names = generate::layer_file_names(&ids);
    let batch = layers
        .into_iter()
        .zip(names)
        .map(|((id, layer), file_name)| BatchedLayer {
            id,
            file_name,
            layer,
        })
        .collect();
    Ok((kind, batch))
}

/// `layer combine`: a score expression or a set operation over layers a, b, c...
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CombineRequest {
    /// Score expression over a, b, c...
    pub expr: Option<String>,
    /// `union`, `intersection` or `difference` of the annotated techniques.
    pub op: Option<String>,
    /// The new layer's name.
    pub name: Option<String>,
    /// Technique comments from this layer (a, b, ...).
    pub comments_from: Option<String>,
    /// Manual technique colours from this layer.
    pub colors_from: Option<String>,
    /// Technique metadata from this layer.
    pub metadata_from: Option<String>,
    /// Technique links from this layer.
    pub links_from: Option<String>,
    /// Enabled states from this layer.
    pub enabled_from: Option<String>,
    /// The gradient from this layer.
    pub gradient_from: Option<String>,
    /// The filters from this layer.
    pub filters_from: Option<String>,
    /// The legend from this layer.
    pub legend_from: Option<String>,
    /// The layer metadata and links from this layer.
    pub layer_metadata_from: Option<String>,
    /// Domain and release (for expanding annotations without a tactic).
    #[serde(flatten)]
    pub scope: Scope,
}

/// The set operation `op` names.
pub fn parse_set_op(op: &str) -> Result<ops::SetOp> {
    match op.trim() {
        "union" => Ok(ops::SetOp::Union),
        "intersection" => Ok(ops::SetOp::Intersection),
        "difference" => Ok(ops::SetOp::Difference),
        other => Err(Error::bad_parameter(format!(
            "`op`: `{}` is not a set operation: expected union, intersection or difference",
            crate::echo(other)
        ))),
    }
}

/// Answers `layer combine` over `layers` (a, b, c... in order). An expression expands
/// annotations without a tactic over the technique's tactics in the release of the first
/// layer's domain, as the Navigator, when there is data.
pub fn combine<L: Library + ?Sized>(
    library: &L,
    layers: &[Layer],
    request: &CombineRequest,
) -> Result<Layer> {
    let scope = request.scope.check()?;
    let n = layers.len();
    let index = |parameter: &str, name: &Option<String>| -> Result<Option<usize>> {
        let Some(name) = name else { return Ok(None) };
        ops::variable_index(name, n).map(Some).ok_or_else(|| {
            Error::bad_parameter(format!(
                "`{parameter}`: `{}` is not a layer variable (a, b, c...)",
                crate::echo(name)
            ))
        })
    };
    match (&request.expr, &request.op) {
        (Some(expr), _) => {
            let expr = nav::Expr::parse(expr)?;
            let options = ops::CombineOptions {
                name: request.name.clone(),
                comments_from: index("comments_from", &request.comments_from)?,
                colors_from: index("colors_from", &request.colors_from)?,
                metadata_from: index("metadata_from", &request.metadata_from)?,
                links_from: index("links_from", &request.links_from)?,
                enabled_from: index("enabled_from", &request.enabled_from)?,
                gradient_from: index("gradient_from", &request.gradient_from)?,
                filters_from: index("filters_from", &request.filters_from)?,
                legend_from: index("legend_from", &request.legend_from)?,
                layer_metadata_from: index("layer_metadata_from", &request.layer_metadata_from)?,
            };
            let domain = layers.first().map_or("enterprise-attack", |l| &l.domain);
            let dataset = match layer_dataset(library, &scope, domain) {
                Ok(dataset) => Some(dataset),
                Err(error) if is_no_data(&error) => None,
                Err(error) => return Err(error),
            };
            Ok(ops::combine(layers, &expr, &options, dataset)?)
        }
        (None, Some(op)) => Ok(ops::set_operation(
            layers,
            parse_set_op(op)?,
            request.name.as_deref(),
        )?),
        (None, None) => Err(Error::bad_parameter("give `expr` or `op`")),
    }
}

/// `layer export`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExportRequest {
    /// `svg`, `xlsx`, `csv` or `md`.
    pub format: String,
    /// Also list the techniques the layer does not annotate.
    pub all_techniques: bool,
    /// Sub-techniques under their techniques in svg and xlsx (csv and md always list them).
    pub subtechniques: bool,
    /// Domain and release (default: each layer's domain, the newest release).
    #[serde(flatten)]
    pub scope: Scope,
}

/// A layer exported.
#[derive(Debug, Clone)]
pub struct Exported {
    /// `svg`, `xlsx`, `csv` or `md`.
    pub format: &'static str,
    /// Its media type.
    pub content_type: &'static str,
    /// Whether it is binary (not for a terminal).
    pub binary: bool,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The export formats: name, media type, binary.
const EXPORT_FORMATS: [(&str, &str, bool); 4] = [
    ("svg", "image/svg+xml", false),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        true,
    ),
    ("csv", "text/csv; charset=utf-8", false),
    ("md", "text/markdown; charset=utf-8", false),
];

/// Answers `layer export`: the first layer over the matrix of its release (every layer, one
/// sheet each, for xlsx).
pub fn export_layers<L: Library + ?Sized>(
    library: &L,
    layers: &[Layer],
    request: &ExportRequest,
) -> Result<Exported> {
    let format = request.format.trim();
    let Some(&(format, content_type, binary)) =
        EXPORT_FORMATS.iter().find(|(name, _, _)| *name == format)
    else {
        return Err(Error::bad_parameter(format!(
            "`format`: `{}` is not an export format: expected svg, xlsx, csv or md",
            crate::echo(format)
        )));
    };
    let scope = request.scope.check()?;
    let Some(first) = layers.first() else {
        return Err(Error::invalid("the file holds no layer"));
    };
    let options = LayerMatrixOptions {
        subtechniques: request.subtechniques || matches!(format, "csv" | "md"),
        all_techniques: request.all_techniques,
    };
    let mut matrices = Vec::with_capacity(layers.len());
    for layer in layers {
        let dataset = layer_dataset(library, &scope, &layer.domain)?;
        matrices.push(LayerMatrix::build(layer, dataset, options));
    }
    let bytes = match format {
        "svg" => export::to_svg(first, &matrices[0]).into_bytes(),
        "csv" => export::to_csv(&matrices[0])?.into_bytes(),
        "md" => export::to_markdown(first, &matrices[0]).into_bytes(),
        _ => {
            let pairs: Vec<(&Layer, &LayerMatrix)> = layers.iter().zip(&matrices).collect();
            export::to_xlsx(&pairs)?
        }
    };
    Ok(Exported {
        format,
        content_type,
        binary,
        bytes,
    })
}

/// `export excel`: the whole knowledge base of a release, as attackToExcel writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExcelRequest {
    /// Domain (default: every domain) and release (default: each domain's newest).
    #[serde(flatten)]
    pub scope: Scope,
}

/// The workbooks of one release.
#[derive(Debug, Clone)]
pub struct Workbooks<'l> {
    /// The release.
    pub dataset: &'l Dataset,
    /// Each workbook: its file name and bytes.
    pub files: Vec<(String, Vec<u8>)>,
}

/// Answers `export excel`: the workbooks of each domain of the scope, leaving out (with a
/// note) the domains that lack the release when none was named.
pub fn excel<'l, L: Library + ?Sized>(
    library: &'l L,
    request: &ExcelRequest,
) -> Result<Noted<Vec<Workbooks<'l>>>> {
    let scope = request.scope.check()?;
    let datasets = crate::scope::newest_each(library, &scope)?;
    let mut answer = Vec::with_capacity(datasets.answer.len());
    for dataset in datasets.answer {
        answer.push(Workbooks {
            dataset,
            files: nav::excel::knowledge_base_workbooks(dataset)?,
        });
    }
    Ok(Noted {
        answer,
        notes: datasets.notes,
    })
}
