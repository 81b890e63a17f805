//! Data exports from core's tables ([`fieldaudit_core::tables`]): CSV files in a
//! ZIP with a README of the columns (the `csv` and `zip` crates), one XLSX
//! workbook with a sheet per entity (`rust_xlsxwriter`), and the facility
//! registry as Open Supply Hub CSV. No hand-written quoting; every file is
//! written whole or not at all.

use std::io::Write;
use std::path::Path;

pub use fieldaudit_core::tables::ExportFormat;
use fieldaudit_core::tables::ExportTable;
use fieldaudit_core::Store;
use rust_xlsxwriter::{Format, Workbook};
use uuid::Uuid;

use crate::{check_writable, write_with, ReportError};

/// What an export wrote.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ExportSummary {
    /// Rows per entity.
    pub tables: Vec<(String, usize)>,
    /// Rows in all.
    pub rows: usize,
}

fn summary(tables: &[ExportTable]) -> ExportSummary {
    let t: Vec<(String, usize)> = tables.iter().map(|t| (t.name.clone(), t.rows.len())).collect();
    ExportSummary { rows: t.iter().map(|(_, n)| n).sum(), tables: t }
}

/// The README that goes into the ZIP: what each file and column is.
pub fn readme(tables: &[ExportTable], audit: Option<Uuid>) -> String {
    let mut s = String::from("FieldAudit data export\n======================\n\n");
    match audit {
        Some(a) => s.push_str(&format!("Scope: audit {a}.\n")),
        None => s.push_str("Scope: everything on the device that made it.\n"),
    }
    s.push_str(&format!("Made: {}\n\n", chrono::Utc::now().to_rfc3339()));
    s.push_str(
        "One CSV file per kind of record (UTF-8, comma-separated, header row). Records refer to\n\
         each other by id: answer.instance_id -> repeat_instance.id, corrective_action.finding_id\n\
         -> finding.id, fee.fee_record_id -> fee_record.id, and audit_id everywhere.\n\
         Interview content is never exported; workers appear only by pseudonymous reference.\n\n",
    );
    for t in tables {
        s.push_str(&format!("{}.csv — {} ({} rows)\n", t.name, t.description, t.rows.len()));
        for c in &t.columns {
            s.push_str(&format!("  {}: {}\n", c.name, c.description));
        }
        s.push('\n');
    }
    s
}

fn csv_bytes(t: &ExportTable) -> Result<Vec<u8>, ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ReportError::Invalid(format!("cannot write {}.csv: {e}", t.name));
    w.write_record(t.columns.iter().map(|c| c.name.as_str())).map_err(fail)?;
    for r in &t.rows {
        w.write_record(r).map_err(fail)?;
    }
    w.into_inner().map_err(|e| ReportError::Invalid(format!("cannot write {}.csv: {e}", t.name)))
}

/// Writes the CSV files and README into a ZIP at `out`.
pub fn write_csv_zip(tables: &[ExportTable], audit: Option<Uuid>, out: &Path) -> Result<(), ReportError> {
    let mut files = vec![("README.txt".to_owned(), readme(tables, audit).into_bytes())];
    for t in tables {
        files.push((format!("{}.csv", t.name), csv_bytes(t)?));
    }
    write_with(out, |f| {
        let mut zip = zip::ZipWriter::new(f);
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in &files {
            zip.start_file(name.as_str(), options).map_err(std::io::Error::other)?;
            zip.write_all(bytes)?;
        }
        zip.finish().map_err(std::io::Error::other)?;
        Ok(())
    })
}

/// Sheet names: at most 31 characters, unique.
fn sheet_name(name: &str) -> String {
    name.chars().take(31).collect()
}

/// Writes one workbook with a sheet per table (header row bold and frozen) and a
/// `README` sheet of the columns, to `out`.
pub fn write_xlsx(tables: &[ExportTable], audit: Option<Uuid>, out: &Path) -> Result<(), ReportError> {
    let fail = |e: rust_xlsxwriter::XlsxError| ReportError::Invalid(format!("cannot write the workbook: {e}"));
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    for t in tables {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&t.name)).map_err(fail)?;
        for (c, col) in t.columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, &col.name, &bold).map_err(fail)?;
            ws.set_column_width(c as u16, (col.name.len().max(12) + 2) as f64).map_err(fail)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string((r + 1) as u32, c as u16, v).map_err(fail)?;
            }
        }
        ws.set_freeze_panes(1, 0).map_err(fail)?;
    }
    let ws = wb.add_worksheet();
    ws.set_name("README").map_err(fail)?;
    for (r, line) in readme(tables, audit).lines().enumerate() {
        ws.write_string(r as u32, 0, line).map_err(fail)?;
    }
    let bytes = wb.save_to_buffer().map_err(fail)?;
    write_with(out, |f| f.write_all(&bytes))
}

/// Exports an audit (or everything) in `format` to `out`.
pub fn export(store: &Store, format: ExportFormat, audit: Option<Uuid>, out: &Path) -> Result<ExportSummary, ReportError> {
    check_writable(out)?;
    let tables = store.export_tables(audit)?;
    match format {
        ExportFormat::Csv => write_csv_zip(&tables, audit, out)?,
        ExportFormat::Xlsx => write_xlsx(&tables, audit, out)?,
    }
    Ok(summary(&tables))
}

/// Writes the facility registry as Open Supply Hub CSV to `out`; returns how many.
pub fn export_facilities(store: &Store, out: &Path) -> Result<usize, ReportError> {
    check_writable(out)?;
    let mut bytes = Vec::new();
    let n = store.export_open_supply_hub(&mut bytes)?;
    write_with(out, |f| f.write_all(&bytes))?;
    Ok(n)
}
