//! A Navigator layer on the matrix: each cell's colour, score and comment as the navigator
//! crate computes them (its colour rules are the Navigator's), for the page's script (JSON) and
//! for pages without script (a stylesheet).

use attackdb_kb::{diff::diff_releases, Concept, Dataset, Domain, Kb, Release};
use attackdb_navigator::generate::{overview_layer, resolve, usage_layer, GenerateOptions};
use attackdb_navigator::{diff_layer, Layer, LayerMatrix, LayerMatrixOptions};
use serde::Serialize;

use crate::WebError;

/// One painted cell.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PaintedCell {
    /// Tactic shortname of the column.
    pub tactic: String,
    /// Technique ID.
    pub id: String,
    /// Background colour (`#rrggbb`), if any.
    pub color: Option<String>,
    /// The text colour that reads on it (`#000000` or `#ffffff`).
    pub text_color: Option<&'static str>,
    /// Score shown.
    pub score: Option<f64>,
    /// Comment.
    pub comment: Option<String>,
    /// Whether the layer disables it.
    pub disabled: bool,
}

/// A layer painted on one release's matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Painted {
    /// The layer's name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// The release painted on.
    pub domain: &'static str,
    /// The release.
    pub release: String,
    /// Cells the layer annotates or colours.
    pub cells: Vec<PaintedCell>,
    /// Legend: (label, colour).
    pub legend: Vec<(String, String)>,
    /// The gradient: colours sampled low to high, and the score range.
    pub gradient: Vec<String>,
    /// Lowest score of the gradient.
    pub min_score: f64,
    /// Highest score of the gradient.
    pub max_score: f64,
    /// Technique IDs of the layer not in this matrix.
    pub not_in_matrix: Vec<String>,
}

/// Paints `layer` on `dataset`'s matrix.
pub fn paint(layer: &Layer, dataset: &Dataset) -> Painted {
    let matrix = LayerMatrix::build(
        layer,
        dataset,
        LayerMatrixOptions {
            subtechniques: true,
            all_techniques: true,
        },
    );
    let mut cells = Vec::new();
    for column in &matrix.columns {
        for cell in &column.cells {
            let comment = cell
                .annotation
                .as_ref()
                .and_then(|a| a.comment.clone())
                .filter(|c| !c.is_empty());
            if cell.color.is_none() && cell.score.is_none() && comment.is_none() && cell.enabled {
                continue;
            }
            let text_color = cell
                .color
                .as_deref()
                .and_then(attackdb_navigator::color::Rgb::parse)
                .map(|rgb| rgb.text_color());
            cells.push(PaintedCell {
                tactic: column.shortname.clone(),
                id: cell.technique_id.clone(),
                color: cell.color.clone(),
                text_color,
                score: cell.score,
                comment,
                disabled: !cell.enabled,
            });
        }
    }
    let gradient = layer.gradient_or_default();
    Painted {
        name: layer.name.clone(),
        description: layer.description.clone(),
        domain: dataset.domain().short_name(),
        release: dataset.release().to_string(),
        cells,
        legend: layer
            .legend_items
            .iter()
            .map(|l| (l.label.clone(), l.color.clone()))
            .collect(),
        gradient: attackdb_navigator::color::sample_gradient(&gradient.colors, 5)
            .into_iter()
            .map(|c| c.to_hex())
            .collect(),
        min_score: gradient.min_value,
        max_score: gradient.max_value,
        not_in_matrix: matrix.not_in_matrix,
    }
}

/// The stylesheet that paints `painted` on a matrix page (cells are
/// `[data-tactic=T] [data-t=ID]`). Colours are `#rrggbb` from the navigator crate, so nothing
/// from the layer reaches the CSS unchecked.
pub fn paint_css(painted: &Painted) -> String {
    let mut css = String::new();
    for cell in &painted.cells {
        let (Some(color), Some(text)) = (&cell.color, cell.text_color) else {
            if cell.disabled {
                css.push_str(&format!("{} {{ opacity: .35 }}\n", selector(cell)));
            }
            continue;
        };
        if !is_hex_color(color) {
            continue;
        }
        css.push_str(&format!(
            "{} {{ background: {color}; color: {text}; }}\n",
            selector(cell)
        ));
        if cell.disabled {
            css.push_str(&format!("{} {{ opacity: .35 }}\n", selector(cell)));
        }
    }
    css
}

fn selector(cell: &PaintedCell) -> String {
    format!(
        ".matrix [data-tactic=\"{}\"] [data-t=\"{}\"] > .cell",
        css_string(&cell.tactic),
        css_string(&cell.id)
    )
}

/// Keeps only characters that cannot end a CSS string (IDs and shortnames are `[A-Za-z0-9.-]`).
fn css_string(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect()
}

fn is_hex_color(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// A layer the server makes, named by a spec: `group:G0016`, `software:S0154`,
/// `campaign:C0024`, `mitigation:M1038`, `datacomponent:DC0035`, `detectionstrategy:DET0001`,
/// `overview:groups` (or another overview kind), `diff:18.0:18.1`, `overlap:G0016,G0007` (each
/// technique scored by how many of them use it).
pub fn server_layer(kb: &Kb, dataset: &Dataset, spec: &str) -> Result<Layer, WebError> {
    let (kind, rest) = spec
        .split_once(':')
        .ok_or_else(|| WebError::BadRequest(format!("layer `{spec}`: expected KIND:WHAT")))?;
    let options = GenerateOptions::default();
    let concept = match kind {
        "group" => Concept::Group,
        "software" => Concept::Software,
        "campaign" => Concept::Campaign,
        "mitigation" => Concept::Mitigation,
        "datacomponent" => Concept::DataComponent,
        "detectionstrategy" => Concept::DetectionStrategy,
        "overview" => {
            let concept = Concept::parse(rest).ok_or_else(|| {
                WebError::BadRequest(format!("overview of `{rest}`: not a kind of object"))
            })?;
            return Ok(overview_layer(dataset, concept, &options)?);
        }
        "diff" => {
            let (from, to) = rest.split_once(':').ok_or_else(|| {
                WebError::BadRequest(format!("layer `{spec}`: expected diff:FROM:TO"))
            })?;
            let release = |text: &str| {
                Release::parse(text)
                    .map_err(|_| WebError::BadRequest(format!("`{text}` is not a release")))
            };
            let domain: Domain = dataset.domain();
            let old = kb.select(domain, Some(&release(from)?))?;
            let new = kb.select(domain, Some(&release(to)?))?;
            let diff = diff_releases(old, new);
            return Ok(diff_layer(&diff, from, to));
        }
        "techniques" => {
            // A chosen set (a mapped report's accepted techniques): each scored 1.
            let release = dataset.release().as_str();
            let major = release.split('.').next().unwrap_or(release);
            let mut layer = Layer::new("chosen techniques", dataset.domain().as_str(), Some(major));
            for id in rest.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                let known = dataset.by_attack_id(id).iter().any(|&o| {
                    matches!(
                        dataset.concept(o),
                        Some(Concept::Technique | Concept::Subtechnique)
                    ) && dataset.is_live(o)
                });
                if !known {
                    return Err(WebError::BadRequest(format!(
                        "layer `techniques:`: {id} is not a technique of {} {}",
                        dataset.domain(),
                        dataset.release()
                    )));
                }
                let mut technique = attackdb_navigator::Technique::new(&id.to_ascii_uppercase());
                technique.score = Some(1.0);
                technique.color = Some("#66b1ff".to_string());
                layer.techniques.push(technique);
            }
            return Ok(layer);
        }
        "overlap" => {
            let refs: Vec<String> = rest
                .split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect();
            return Ok(attackdb_intel::overlap(dataset, &refs)?.to_layer(dataset));
        }
        other => {
            return Err(WebError::BadRequest(format!(
                "layer `{spec}`: `{other}` is not group, software, campaign, mitigation, \
                 datacomponent, detectionstrategy, overview, diff, overlap, techniques or emulate"
            )))
        }
    };
    let object = resolve(dataset, rest, concept)?;
    Ok(usage_layer(dataset, object, &options)?)
}
