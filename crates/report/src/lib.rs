//! What leaves the laptop as a file: audit reports as PDF, their verification,
//! photo thumbnails, and data exports.
//!
//! - [`typeset`]: the report model (built in core, `fieldaudit_core::report`) laid
//!   out by typst, used as a library, into a PDF or page images. typst because it
//!   is a real typesetting engine in pure Rust (tables that break across pages
//!   with repeating headers, a table of contents, page x / y, shaping for Bengali
//!   and Devanagari, CJK line breaking) that runs offline with no external
//!   program, embeds font subsets, and can attach a file to the PDF. It lives in
//!   this crate, not in core, so the server, which links core, stays light.
//! - [`fonts`]: which fonts, where they are found, and the coverage check.
//! - [`verify`]: reading the seal back from a PDF.
//! - [`thumbnails`]: one cached, upright JPEG thumbnail per photo.
//! - [`exports`]: CSV files in a ZIP with a README of the columns, an XLSX
//!   workbook with a sheet per entity, and the facility list as Open Supply Hub CSV.
//!
//! Every file is written to a temporary file in the target directory and renamed
//! into place, so an error never leaves a partial file behind.

pub mod exports;
pub mod fonts;
pub mod thumbnails;
pub mod typeset;
pub mod verify;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use fieldaudit_core::report::{Report, ReportRequest};
use fieldaudit_core::{CoreError, Store};
use serde_json::Value;
use typst_layout::PagedDocument;

/// Errors of reports and exports.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// From the store (unknown audit, unknown language…).
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Bad input.
    #[error("{0}")]
    Invalid(String),
    /// No font covers a script the report needs.
    #[error("no font covers {scripts} in this report; install Debian's fonts-noto-core and fonts-noto-cjk (or the Noto Sans, Noto Sans CJK SC, Noto Sans Bengali and Noto Sans Devanagari fonts) or set FIELDAUDIT_FONT_DIR to a folder that has them (searched: {searched})")]
    FontMissing {
        /// Scripts without a font, with an example character.
        scripts: String,
        /// Directories searched.
        searched: String,
    },
    /// typst failed (a bug in the layout, not in the data).
    #[error("the report could not be typeset: {0}")]
    Typeset(String),
    /// A report PDF whose seal cannot be read.
    #[error("{0}")]
    Damaged(String),
    /// Reading or writing a file.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl ReportError {
    fn io(what: impl Into<String>, source: std::io::Error) -> ReportError {
        ReportError::Io { what: what.into(), source }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory that is
/// synced and renamed into place: readers see the old file or the whole new one,
/// and a failure leaves nothing behind.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    write_with(path, |f| f.write_all(bytes))
}

/// Like [`write_atomically`], with the content written by `fill`.
pub fn write_with(path: &Path, fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>) -> Result<(), ReportError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    if path.is_dir() {
        return Err(ReportError::Invalid(format!("{} is a folder; give a file name to write", path.display())));
    }
    std::fs::create_dir_all(&dir).map_err(|e| ReportError::io(format!("cannot create the folder {}", dir.display()), e))?;
    let mut tmp = tempfile::Builder::new().prefix(".fieldaudit-").suffix(".part").tempfile_in(&dir).map_err(|e| ReportError::io(format!("cannot write in {}", dir.display()), e))?;
    fill(tmp.as_file_mut()).map_err(|e| ReportError::io(format!("cannot write {}", path.display()), e))?;
    tmp.as_file().sync_all().map_err(|e| ReportError::io(format!("cannot write {}", path.display()), e))?;
    tmp.persist(path).map_err(|e| ReportError::io(format!("cannot save {}", path.display()), e.error))?;
    Ok(())
}

/// A typeset report.
pub struct RenderedReport {
    /// The model it was made from.
    pub model: Report,
    /// The laid-out pages.
    pub document: PagedDocument,
}

impl RenderedReport {
    /// Number of pages.
    pub fn page_count(&self) -> usize {
        self.document.pages().len()
    }
    /// The PDF.
    pub fn pdf(&self) -> Result<Vec<u8>, ReportError> {
        typeset::pdf(&self.document)
    }
    /// Page `index` (from 0) as a PNG, `pixel_per_pt` pixels per point.
    pub fn page_png(&self, index: usize, pixel_per_pt: f32) -> Result<Vec<u8>, ReportError> {
        typeset::page_png(&self.document, index, pixel_per_pt)
    }
}

fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// Builds and typesets the report of an audit.
pub fn render_report(store: &Store, request: &ReportRequest<'_>) -> Result<RenderedReport, ReportError> {
    let model = store.build_report(request)?;
    typeset_model(store, model)
}

/// Typesets a report model built by core.
pub fn typeset_model(store: &Store, model: Report) -> Result<RenderedReport, ReportError> {
    let mut json = serde_json::to_value(&model).map_err(|e| ReportError::Invalid(format!("cannot encode the report: {e}")))?;
    if let Value::Object(m) = &mut json {
        // The seal travels as its own attached file (always there: a draft's says
        // "draft"), so the layout only needs to know that it attaches one.
        m.insert("seal".into(), Value::Bool(true));
    }
    let fonts = fonts::fonts();
    let mut texts = Vec::new();
    strings(&json, &mut texts);
    fonts.check_coverage(&texts)?;
    let photos: HashMap<String, Vec<u8>> = thumbnails::thumbnails(store, &model.photos).into_iter().collect();
    let seal = match &model.seal {
        Some(seal) => serde_json::to_vec(seal),
        None => serde_json::to_vec(&serde_json::json!({ "format": fieldaudit_core::report::seal::SEAL_FORMAT, "draft": true, "audit_id": model.audit_id, "reason": model.draft })),
    }
    .map_err(|e| ReportError::Invalid(format!("cannot encode the sign-off: {e}")))?;
    let model_json = serde_json::to_vec(&json).map_err(|e| ReportError::Invalid(format!("cannot encode the report: {e}")))?;
    let document = typeset::compile(model_json, photos, Some(seal), fonts)?;
    Ok(RenderedReport { model, document })
}

/// What writing a report produced.
#[derive(Clone, Debug, serde::Serialize)]
pub struct WrittenReport {
    /// Pages.
    pub pages: usize,
    /// Bytes written.
    pub bytes: usize,
    /// Whether it is a draft (no matching sign-off).
    pub draft: bool,
}

/// Renders a report and writes the PDF to `out` (all or nothing).
pub fn write_report_pdf(store: &Store, request: &ReportRequest<'_>, out: &Path) -> Result<WrittenReport, ReportError> {
    check_writable(out)?;
    let rendered = render_report(store, request)?;
    let pdf = rendered.pdf()?;
    write_atomically(out, &pdf)?;
    Ok(WrittenReport { pages: rendered.page_count(), bytes: pdf.len(), draft: rendered.model.draft.is_some() })
}

/// Fails early, before any work, when `out` cannot be written: a folder, or a
/// folder that does not exist.
pub fn check_writable(out: &Path) -> Result<(), ReportError> {
    if out.is_dir() {
        return Err(ReportError::Invalid(format!("{} is a folder; give a file name such as report.pdf", out.display())));
    }
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(ReportError::Invalid(format!("the folder {} does not exist; create it or choose another place to save", dir.display())));
    }
    Ok(())
}
