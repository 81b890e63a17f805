//! The office's commands for reviewers and admins: review queue, CAP tracker (and
//! its export), dashboard, audit plan (and its export), facility scorecard, and the
//! admin's imports of the exchange-rate table and the WGI file. Each calls one
//! `fieldaudit_core::office` function; every figure is computed there.
//!
//! "Today" (what overdue and days waiting are measured against) is the device's
//! local calendar day. Exports are written by core, whole or not at all, into the
//! user's Downloads folder (else `exports/` in the data directory: the webview has
//! no file-system access of its own) and the command returns the file's path.

use std::path::PathBuf;

use fieldaudit_core::office::cap_tracker::{CapFilter, CapRow, ExportFormat};
use fieldaudit_core::office::dashboard::Dashboard;
use fieldaudit_core::office::plan::{PlanRow, PlanSortColumn};
use fieldaudit_core::office::reference::ReferenceImportSummary;
use fieldaudit_core::office::review_queue::{QueueEntry, QueueList};
use fieldaudit_core::office::scorecard::Scorecard;
use fieldaudit_core::office::OfficeFilter;
use fieldaudit_core::CoreError;
use tauri::{AppHandle, Manager, State};
use uuid::Uuid;

use crate::error::CmdResult;
use crate::state::AppState;

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// One list of the review queue (waiting oldest first; returned and approved
/// newest decision first).
#[tauri::command]
pub async fn office_review_queue(state: State<'_, AppState>, list: QueueList) -> CmdResult<Vec<QueueEntry>> {
    state.with_store(move |s| Ok(s.review_queue(list, today())?)).await
}

/// The CAP tracker, filtered and sorted.
#[tauri::command]
pub async fn office_cap_tracker(state: State<'_, AppState>, filter: CapFilter) -> CmdResult<Vec<CapRow>> {
    state.with_store(move |s| Ok(s.cap_tracker(&filter, today())?)).await
}

/// A new file for an export: `<what>-<local time>.<csv|xlsx>` in the Downloads
/// folder when there is one, else in `exports/` of the data directory.
pub(crate) fn export_path(app: &AppHandle, state: &AppState, what: &str, format: ExportFormat) -> CmdResult<PathBuf> {
    let dir = app.path().download_dir().ok().filter(|d| d.is_dir()).unwrap_or_else(|| state.data_dir.join("exports"));
    std::fs::create_dir_all(&dir).map_err(|source| CoreError::Io { context: format!("cannot create the folder {}", dir.display()), source })?;
    let ext = match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Xlsx => "xlsx",
    };
    Ok(dir.join(format!("{what}-{}.{ext}", chrono::Local::now().format("%Y-%m-%d-%H%M%S"))))
}

/// Exports the filtered, sorted CAP tracker as CSV or XLSX; returns the file written.
#[tauri::command]
pub async fn office_export_caps(app: AppHandle, state: State<'_, AppState>, filter: CapFilter, format: ExportFormat) -> CmdResult<String> {
    let path = export_path(&app, &state, "cap-tracker", format)?;
    state
        .with_store(move |s| {
            s.export_cap_tracker(&filter, today(), &path, format)?;
            Ok(path.display().to_string())
        })
        .await
}

/// Every dashboard panel, narrowed by period and country, fees converted to
/// `currency` (ISO 4217).
#[tauri::command]
pub async fn office_dashboard(state: State<'_, AppState>, filter: OfficeFilter, currency: String) -> CmdResult<Dashboard> {
    state.with_store(move |s| Ok(s.dashboard(&filter, today(), &currency)?)).await
}

/// The risk-based audit plan, optionally for one country, sorted.
#[tauri::command]
pub async fn office_plan(state: State<'_, AppState>, country: Option<String>, sort: PlanSortColumn, descending: bool) -> CmdResult<Vec<PlanRow>> {
    state.with_store(move |s| Ok(s.audit_plan(country.as_deref(), today(), sort, descending)?)).await
}

/// Exports the plan as shown (country, sort) as CSV or XLSX; returns the file written.
#[tauri::command]
pub async fn office_export_plan(
    app: AppHandle,
    state: State<'_, AppState>,
    country: Option<String>,
    sort: PlanSortColumn,
    descending: bool,
    format: ExportFormat,
) -> CmdResult<String> {
    let path = export_path(&app, &state, "audit-plan", format)?;
    state
        .with_store(move |s| {
            let rows = s.audit_plan(country.as_deref(), today(), sort, descending)?;
            s.export_audit_plan(&rows, &path, format)?;
            Ok(path.display().to_string())
        })
        .await
}

/// One facility's scorecard, fees converted to `currency`.
#[tauri::command]
pub async fn office_scorecard(state: State<'_, AppState>, facility_id: Uuid, currency: String) -> CmdResult<Scorecard> {
    state.with_store(move |s| Ok(s.scorecard(facility_id, today(), &currency)?)).await
}

/// As an admin: imports the exchange-rate table (CSV `date,from,to,rate`), checked
/// whole; it syncs to every device. `file_name` labels where the rows came from.
#[tauri::command]
pub async fn office_import_rates(state: State<'_, AppState>, csv: String, file_name: String) -> CmdResult<ReferenceImportSummary> {
    state.with_store(move |s| Ok(s.import_exchange_rates(&csv, &file_name)?)).await
}

/// As an admin: imports the World Bank WGI file in its published layout, replacing
/// the WGI data held (the shipped sample included); it syncs to every device.
#[tauri::command]
pub async fn office_import_wgi(state: State<'_, AppState>, csv: String, file_name: String) -> CmdResult<ReferenceImportSummary> {
    state.with_store(move |s| Ok(s.import_wgi(&csv, &file_name)?)).await
}
