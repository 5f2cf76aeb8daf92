//! Exports of a layer over a release's matrix: SVG (tactic columns, coloured cells, scores,
//! legend), XLSX (the same matrix, one sheet per layer), CSV and Markdown (one row per technique
//! and tactic).

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook};

use crate::color::{sample_gradient, Rgb};
use crate::matrix::{LayerCell, LayerMatrix};
use crate::model::Layer;
use crate::problem::{Error, Result};

/// The column headers of CSV and Markdown exports.
pub const ROW_HEADERS: [&str; 11] = [
    "tactic_id",
    "tactic",
    "technique_id",
    "technique",
    "subtechnique",
    "annotated",
    "score",
    "aggregate_score",
    "color",
    "enabled",
    "comment",
];

fn number(n: Option<f64>) -> String {
    match n {
        Some(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", n as i64),
        Some(n) => format!("{n}"),
        None => String::new(),
    }
}

/// The rows of a matrix: one per technique and tactic, in column order.
pub fn rows(matrix: &LayerMatrix) -> Vec<[String; 11]> {
    let mut rows = Vec::new();
    for column in &matrix.columns {
        for cell in &column.cells {
            rows.push([
                column.tactic_id.clone(),
                column.name.clone(),
                cell.technique_id.clone(),
                cell.name.clone(),
                cell.is_subtechnique.to_string(),
                cell.annotated.to_string(),
                number(cell.own_score),
                number(cell.aggregate_score),
                cell.color.clone().unwrap_or_default(),
                cell.enabled.to_string(),
                cell.annotation
                    .as_ref()
                    .and_then(|a| a.comment.clone())
                    .unwrap_or_default(),
            ]);
        }
    }
    rows
}

/// The matrix as CSV (RFC 4180, header row first, CRLF line ends).
pub fn to_csv(matrix: &LayerMatrix) -> Result<String> {
    let csv_error = |e: &dyn std::fmt::Display| Error::Csv(e.to_string());
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer
        .write_record(ROW_HEADERS)
        .map_err(|e| csv_error(&e))?;
    for row in rows(matrix) {
        writer.write_record(&row).map_err(|e| csv_error(&e))?;
    }
    let bytes = writer.into_inner().map_err(|e| csv_error(&e.error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn md_cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

/// The matrix as a Markdown document: the layer's name and description, then a table.
pub fn to_markdown(layer: &Layer, matrix: &LayerMatrix) -> String {
    let mut out = format!("# {}\n\n", md_cell(&layer.name));
    if let Some(description) = layer.description.as_deref().filter(|d| !d.is_empty()) {
        out.push_str(&format!("{}\n\n", md_cell(description)));
    }
    out.push_str(&format!("| {} |\n", ROW_HEADERS.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(ROW_HEADERS.len())));
    for row in rows(matrix) {
        let cells: Vec<String> = row.iter().map(|c| md_cell(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    if !matrix.not_in_matrix.is_empty() {
        out.push_str(&format!(
            "\nAnnotated but not in the matrix: {}\n",
            matrix.not_in_matrix.join(", ")
        ));
    }
    out
}

pub use attackdb_kb::markup::escape_markup;

/// Cuts `text` to `max` characters, ending with `…` when cut.
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

const COLUMN_WIDTH: f64 = 190.0;
const GAP: f64 = 6.0;
const CELL_HEIGHT: f64 = 22.0;
const MARGIN: f64 = 12.0;
const GREY_FILL: &str = "#f2f2f2";
const GREY_TEXT: &str = "#a0a0a0";

fn cell_svg(out: &mut String, cell: &LayerCell, x: f64, y: f64) {
    let indent = if cell.is_subtechnique { 12.0 } else { 0.0 };
    let (fill, text_color) = match (&cell.color, cell.annotated) {
        (Some(color), _) => {
            let rgb = Rgb::parse(color).unwrap_or(Rgb {
                r: 255.0,
                g: 255.0,
                b: 255.0,
                a: 1.0,
            });
            (rgb.to_hex(), rgb.text_color().to_string())
        }
        (None, true) => ("#ffffff".to_string(), "#000000".to_string()),
        (None, false) => (GREY_FILL.to_string(), GREY_TEXT.to_string()),
    };
    let text_color = if cell.enabled {
        text_color
    } else {
        GREY_TEXT.to_string()
    };
    let width = COLUMN_WIDTH - indent;
    out.push_str(&format!(
        "<g class=\"technique\"><title>{}</title><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\" stroke=\"#c0c0c0\" stroke-width=\"0.5\"/>",
        escape_markup(&format!(
            "{} {}{}",
            cell.technique_id,
            cell.name,
            cell.annotation
                .as_ref()
                .and_then(|a| a.comment.as_deref())
                .filter(|c| !c.is_empty())
                .map(|c| format!("\n{c}"))
                .unwrap_or_default()
        )),
        x + indent,
        y,
        width,
        CELL_HEIGHT - 2.0,
        fill
    ));
    let score = cell.score.map(|s| number(Some(s))).unwrap_or_default();
    let room = ((width - 14.0 - score.len() as f64 * 7.0) / 5.6).max(4.0) as usize;
    let label = fit(&format!("{} {}", cell.technique_id, cell.name), room);
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{}\" fill=\"{}\">{}</text>",
        x + indent + 4.0,
        y + 14.0,
        if cell.is_subtechnique { 9 } else { 10 },
        text_color,
        escape_markup(&label)
    ));
    if !score.is_empty() {
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" font-weight=\"bold\" text-anchor=\"end\" fill=\"{}\">{}</text>",
            x + COLUMN_WIDTH - 4.0,
            y + 14.0,
            text_color,
            escape_markup(&score)
        ));
    }
    out.push_str("</g>\n");
}

/// The matrix as an SVG picture: title, tactic columns with their techniques coloured as the
/// Navigator colours them and scores at the right, then the gradient and the legend.
pub fn to_svg(layer: &Layer, matrix: &LayerMatrix) -> String {
    let columns = matrix.columns.len().max(1) as f64;
    let width = MARGIN * 2.0 + columns * COLUMN_WIDTH + (columns - 1.0) * GAP;
    let rows = matrix
        .columns
        .iter()
        .map(|c| c.cells.len())
        .max()
        .unwrap_or(0) as f64;
    let top = MARGIN + 56.0;
    let matrix_bottom = top + 34.0 + rows * CELL_HEIGHT;
    let legend_items = layer.legend_items.len() as f64;
    let height = matrix_bottom + 60.0 + legend_items * 18.0 + MARGIN;
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"Helvetica, Arial, sans-serif\">\n"
    );
    out.push_str(&format!(
        "<rect x=\"0\" y=\"0\" width=\"{width:.0}\" height=\"{height:.0}\" fill=\"#ffffff\"/>\n"
    ));
    out.push_str(&format!(
        "<text x=\"{MARGIN}\" y=\"{:.1}\" font-size=\"18\" font-weight=\"bold\">{}</text>\n",
        MARGIN + 18.0,
        escape_markup(&layer.name)
    ));
    let subtitle = format!(
        "{}{}",
        layer.domain,
        layer
            .description
            .as_deref()
            .filter(|d| !d.is_empty())
            .map(|d| format!(" · {}", fit(d.lines().next().unwrap_or(""), 160)))
            .unwrap_or_default()
    );
    out.push_str(&format!(
        "<text x=\"{MARGIN}\" y=\"{:.1}\" font-size=\"11\" fill=\"#555555\">{}</text>\n",
        MARGIN + 38.0,
        escape_markup(&subtitle)
    ));
    let tactic_fill = if layer.show_tactic_row_background.unwrap_or(false) {
        layer
            .tactic_row_background
            .clone()
            .unwrap_or_else(|| "#dddddd".to_string())
    } else {
        "#ffffff".to_string()
    };
    for (i, column) in matrix.columns.iter().enumerate() {
        let x = MARGIN + i as f64 * (COLUMN_WIDTH + GAP);
        out.push_str(&format!(
            "<g class=\"tactic\"><rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{COLUMN_WIDTH}\" height=\"30\" fill=\"{}\" stroke=\"#808080\" stroke-width=\"0.5\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" font-weight=\"bold\" text-anchor=\"middle\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"middle\" fill=\"#555555\">{} techniques</text></g>\n",
            escape_markup(&tactic_fill),
            x + COLUMN_WIDTH / 2.0,
            top + 13.0,
            escape_markup(&fit(&column.name, 30)),
            x + COLUMN_WIDTH / 2.0,
            top + 25.0,
            column.cells.iter().filter(|c| !c.is_subtechnique).count()
        ));
        for (row, cell) in column.cells.iter().enumerate() {
            cell_svg(&mut out, cell, x, top + 34.0 + row as f64 * CELL_HEIGHT);
        }
    }
    // the gradient, sampled as the Navigator samples it, with its bounds
    let gradient = layer.gradient_or_default();
    let samples = sample_gradient(&gradient.colors, 100);
    let legend_y = matrix_bottom + 16.0;
    out.push_str(&format!(
        "<text x=\"{MARGIN}\" y=\"{:.1}\" font-size=\"11\" font-weight=\"bold\">legend</text>\n",
        legend_y
    ));
    for (i, sample) in samples.iter().enumerate() {
        out.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"2\" height=\"12\" fill=\"{}\"/>",
            MARGIN + 60.0 + i as f64 * 2.0,
            legend_y - 10.0,
            sample.to_hex()
        ));
    }
    out.push('\n');
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>\n",
        MARGIN + 60.0,
        legend_y + 14.0,
        escape_markup(&number(Some(gradient.min_value))),
        MARGIN + 60.0 + samples.len() as f64 * 2.0,
        legend_y + 14.0,
        escape_markup(&number(Some(gradient.max_value)))
    ));
    for (i, item) in layer.legend_items.iter().enumerate() {
        let y = legend_y + 24.0 + i as f64 * 18.0;
        let fill = Rgb::parse(&item.color).map_or_else(|| "#ffffff".to_string(), Rgb::to_hex);
        out.push_str(&format!(
            "<rect x=\"{MARGIN}\" y=\"{:.1}\" width=\"14\" height=\"14\" fill=\"{}\" stroke=\"#808080\" stroke-width=\"0.5\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\">{}</text>\n",
            y,
            fill,
            MARGIN + 20.0,
            y + 11.0,
            escape_markup(&item.label)
        ));
    }
    out.push_str("</svg>\n");
    out
}

/// An Excel sheet name: at most 31 characters, none of `[]:*?/\`, unique among `taken`.
fn sheet_name(name: &str, taken: &mut Vec<String>) -> String {
    let clean: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    let clean = clean.trim_matches('\'').trim();
    let base: String = if clean.is_empty() {
        "layer".to_string()
    } else {
        clean.chars().take(31).collect()
    };
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&candidate)) {
        let suffix = format!(" ({n})");
        candidate = format!(
            "{}{suffix}",
            base.chars().take(31 - suffix.len()).collect::<String>()
        );
        n += 1;
    }
    taken.push(candidate.clone());
    candidate
}

fn xlsx_color(hex: &str) -> Color {
    let rgb = Rgb::parse(hex).unwrap_or(Rgb {
        r: 255.0,
        g: 255.0,
        b: 255.0,
        a: 1.0,
    });
    let value = |v: f64| v.round().clamp(0.0, 255.0) as u32;
    Color::RGB((value(rgb.r) << 16) | (value(rgb.g) << 8) | value(rgb.b))
}

/// Layers over their matrices as one workbook, one sheet per layer: a row of tactics, below
/// each its techniques (`ID name`) coloured as the Navigator colours them, the score in the
/// next column; the legend at the right.
pub fn to_xlsx(layers: &[(&Layer, &LayerMatrix)]) -> Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let mut taken = Vec::new();
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xdddddd))
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    for (layer, matrix) in layers {
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name(&layer.name, &mut taken))?;
        for (i, column) in matrix.columns.iter().enumerate() {
            let col = (i * 2) as u16;
            sheet.set_column_width(col, 36)?;
            sheet.set_column_width(col + 1, 6)?;
            sheet.merge_range(0, col, 0, col + 1, &column.name, &header)?;
            for (row, cell) in column.cells.iter().enumerate() {
                let row = row as u32 + 1;
                let mut format = Format::new().set_border(FormatBorder::Thin);
                match (&cell.color, cell.annotated) {
                    (Some(color), _) => {
                        let rgb = Rgb::parse(color);
                        format = format.set_background_color(xlsx_color(color));
                        if rgb.is_some_and(|c| c.text_color() == "#ffffff") {
                            format = format.set_font_color(Color::White);
                        }
                    }
                    (None, false) => {
                        format = format
                            .set_background_color(xlsx_color(GREY_FILL))
                            .set_font_color(xlsx_color(GREY_TEXT));
                    }
                    (None, true) => {}
                }
                if cell.is_subtechnique {
                    format = format.set_indent(1);
                }
                sheet.write_string_with_format(
                    row,
                    col,
                    format!("{} {}", cell.technique_id, cell.name),
                    &format,
                )?;
                match cell.score {
                    Some(score) => {
                        sheet.write_number_with_format(row, col + 1, score, &format)?;
                    }
                    None => {
                        sheet.write_blank(row, col + 1, &format)?;
                    }
                }
            }
        }
        let legend_col = (matrix.columns.len() * 2 + 1) as u16;
        sheet.set_column_width(legend_col, 30)?;
        sheet.write_string_with_format(0, legend_col, "legend", &header)?;
        let gradient = layer.gradient_or_default();
        let mut row = 1;
        for (label, value) in [("min", gradient.min_value), ("max", gradient.max_value)] {
            let colors = crate::color::ScoreColors::new(&gradient);
            let format = Format::new().set_background_color(xlsx_color(
                &colors.color(value).unwrap_or_else(|| "#ffffff".to_string()),
            ));
            sheet.write_string_with_format(
                row,
                legend_col,
                format!("{label} {}", number(Some(value))),
                &format,
            )?;
            row += 1;
        }
        for item in &layer.legend_items {
            let format = Format::new().set_background_color(xlsx_color(&item.color));
            sheet.write_string_with_format(row, legend_col, &item.label, &format)?;
            row += 1;
        }
    }
    Ok(workbook.save_to_buffer()?)
}
