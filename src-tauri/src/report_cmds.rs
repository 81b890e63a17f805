//! Reports and exports: the Report screen's page preview, saving the PDF where the
//! person chose in the save dialog, and the CSV/XLSX and facility-list exports.
//! Building and typesetting are `fieldaudit-core` (model) and `fieldaudit-report`.

use base64::Engine;
use fieldaudit_core::report::{ReportKind, ReportRequest};
use fieldaudit_report::exports::ExportFormat;
use fieldaudit_report::ReportError;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;
use uuid::Uuid;

use crate::error::{CmdResult, UiError};
use crate::state::AppState;

/// Page images of the preview are rendered at this many pixels per point (~108 dpi).
const PREVIEW_PX_PER_PT: f32 = 1.5;

/// The preview of a report.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ReportPreview {
    /// Pages in the PDF.
    pub pages: u32,
    /// Whether it is a draft (no sign-off matches the audit).
    pub draft: bool,
    /// Each page as a `data:image/png;base64,…` URL.
    pub images: Vec<String>,
}

/// Where the report is while it is made (for the progress line).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ReportProgress {
    /// Pages rendered so far.
    pub done: u32,
    /// Pages in all (0 while typesetting).
    pub total: u32,
}

/// A written file.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SavedFile {
    /// Where it was written.
    pub path: String,
    /// Pages (reports) or rows (exports).
    pub count: u32,
}

impl From<ReportError> for UiError {
    fn from(e: ReportError) -> UiError {
        match e {
            ReportError::Core(c) => c.into(),
            ReportError::FontMissing { .. } => {
                UiError::new(e.to_string(), "Install the Noto fonts (Debian: fonts-noto-core and fonts-noto-cjk) or set FIELDAUDIT_FONT_DIR, then try again.")
            }
            ReportError::Io { .. } => UiError::new(e.to_string(), "Choose another place to save (a folder you can write to, with free space)."),
            other => UiError::new(other.to_string(), "Nothing was saved. Try again; if it keeps failing, report it with what you did."),
        }
    }
}

/// Typesets the report and returns its pages as images for the preview.
#[tauri::command]
pub async fn report_preview(state: State<'_, AppState>, audit_id: Uuid, report_kind: ReportKind, lang: String, on_progress: Channel<ReportProgress>) -> CmdResult<ReportPreview> {
    let identity = state.reviewer_identity.lock().ok().and_then(|k| k.clone());
    state
        .with_store(move |s| {
            let _ = on_progress.send(ReportProgress { done: 0, total: 0 });
            let rendered = fieldaudit_report::render_report(s, &ReportRequest { audit_id, kind: report_kind, lang: &lang, reviewer: identity.as_ref() })?;
            let total = rendered.page_count() as u32;
            let mut images = Vec::new();
            for i in 0..rendered.page_count() {
                let png = rendered.page_png(i, PREVIEW_PX_PER_PT)?;
                images.push(format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png)));
                let _ = on_progress.send(ReportProgress { done: i as u32 + 1, total });
            }
            Ok(ReportPreview { pages: total, draft: rendered.model.draft.is_some(), images })
        })
        .await
}

/// Writes the report PDF to `path` (from the save dialog).
#[tauri::command]
pub async fn save_report(state: State<'_, AppState>, audit_id: Uuid, report_kind: ReportKind, lang: String, path: String) -> CmdResult<SavedFile> {
    let identity = state.reviewer_identity.lock().ok().and_then(|k| k.clone());
    state
        .with_store(move |s| {
            let out = std::path::PathBuf::from(&path);
            let written = fieldaudit_report::write_report_pdf(s, &ReportRequest { audit_id, kind: report_kind, lang: &lang, reviewer: identity.as_ref() }, &out)?;
            Ok(SavedFile { path, count: written.pages as u32 })
        })
        .await
}

/// Exports records as CSV (ZIP) or XLSX to `path`: of one audit, or everything.
#[tauri::command]
pub async fn export_data(state: State<'_, AppState>, format: ExportFormat, audit_id: Option<Uuid>, path: String) -> CmdResult<SavedFile> {
    state
        .with_store(move |s| {
            let summary = fieldaudit_report::exports::export(s, format, audit_id, std::path::Path::new(&path))?;
            Ok(SavedFile { path, count: summary.rows as u32 })
        })
        .await
}

/// Writes the facility registry as Open Supply Hub CSV to `path`.
#[tauri::command]
pub async fn export_facilities(state: State<'_, AppState>, path: String) -> CmdResult<SavedFile> {
    state
        .with_store(move |s| {
            let n = fieldaudit_report::exports::export_facilities(s, std::path::Path::new(&path))?;
            Ok(SavedFile { path, count: n as u32 })
        })
        .await
}

/// Where files are saved without a dialog when `FIELDAUDIT_SAVE_DIR` is set
/// (the end-to-end tests; a native dialog cannot be driven through WebDriver).
#[tauri::command]
pub fn save_dir_override() -> Option<String> {
    std::env::var("FIELDAUDIT_SAVE_DIR").ok().filter(|s| !s.trim().is_empty())
}
