//! The bytes written: each workbook's sheets as an .xlsx file (bold frozen headers; a
//! matrix's bordered tactic headers, merged techniques and columns 20 wide).

use attackdb_kb::Dataset;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use super::knowledge_base_files;
use super::sheet::{Cell, Sheet};
use crate::problem::Result;

/// Excel cells hold at most 32,767 characters.
fn cell_text(text: &str) -> &str {
    match text.char_indices().nth(32_000) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// One workbook of `sheets`, as bytes.
fn write_sheets(sheets: &[Sheet]) -> Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let tactic_header = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_font_size(14)
        .set_align(FormatAlign::Center)
        .set_shrink();
    let supertechnique = Format::new()
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
        .set_shrink();
    let left = Format::new()
        .set_border_left(FormatBorder::Thin)
        .set_shrink();
    let right = Format::new()
        .set_border_right(FormatBorder::Thin)
        .set_shrink();
    for s in sheets {
        let ws = workbook.add_worksheet();
        ws.set_name(&s.name)?;
        for (c, h) in s.headers.iter().enumerate() {
            let format = if s.matrix { &header } else { &bold };
            if !h.is_empty() {
                ws.write_string_with_format(0, c as u16, h, format)?;
            }
        }
        for (r, row) in s.rows.iter().enumerate() {
            for (c, value) in row.iter().enumerate() {
                match value {
                    Cell::Text(t) if t.is_empty() => {}
                    Cell::Text(t) => {
                        ws.write_string(r as u32 + 1, c as u16, cell_text(t))?;
                    }
                    Cell::Bool(b) => {
                        ws.write_boolean(r as u32 + 1, c as u16, *b)?;
                    }
                }
            }
        }
        if s.matrix {
            for c in 0..=s.headers.len() {
                ws.set_column_width(c as u16, 20)?;
            }
            for m in &s.merges {
                if m.tactic_header {
                    ws.set_column_format(m.first_col, &left)?;
                    ws.set_column_format(m.last_col, &right)?;
                }
                let format = if m.tactic_header {
                    &tactic_header
                } else {
                    &supertechnique
                };
                ws.merge_range(
                    m.first_row,
                    m.first_col,
                    m.last_row,
                    m.last_col,
                    &m.text,
                    format,
                )?;
            }
        } else {
            ws.set_freeze_panes(1, 0)?;
        }
    }
    Ok(workbook.save_to_buffer()?)
}

/// The workbooks of `dataset` as (file name, bytes): see [`knowledge_base_files`].
pub fn knowledge_base_workbooks(dataset: &Dataset) -> Result<Vec<(String, Vec<u8>)>> {
    knowledge_base_files(dataset)?
        .into_iter()
        .map(|w| Ok((w.file, write_sheets(&w.sheets)?)))
        .collect()
}
