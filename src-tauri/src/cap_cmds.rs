//! Tauri commands of the corrective-action loop: reopening a signed audit, the
//! site's acknowledgement, CAP items with deadlines, CAP evidence, follow-up
//! verification, finding history and supplier responses. Each calls core.

use base64::Engine;
use fieldaudit_core::cap::workbook::CapImport;
use fieldaudit_core::cap::CapItem;
use fieldaudit_core::follow_up::{FindingHistory, PreviousFinding, VerificationInput};
use fieldaudit_core::cap::supplier::PendingResponse;
use fieldaudit_core::signoff::SignoffCheck;
use fieldaudit_protocol::corrective::SiteResponse;
use fieldaudit_core::office::cap_tracker::ExportFormat;
use tauri::{AppHandle, State};
use uuid::Uuid;

use crate::error::{CmdResult, UiError};
use crate::state::AppState;

fn today() -> chrono::NaiveDate {
    fieldaudit_core::follow_up::today()
}

fn decode(file_name: &str, data_base64: &str) -> CmdResult<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(data_base64.as_bytes())
        .map_err(|_| {
            UiError::new(
                format!("{file_name} could not be read."),
                "Choose the file again.",
            )
        })
}

/// Reopens a signed audit for correction with a reason; returns its sign-offs.
#[tauri::command]
pub async fn reopen_audit(
    state: State<'_, AppState>,
    audit_id: Uuid,
    reason: String,
) -> CmdResult<Vec<SignoffCheck>> {
    state
        .with_store(move |s| {
            s.reopen_audit(audit_id, &reason)?;
            Ok(s.verify_signoffs(audit_id)?)
        })
        .await
}

/// Records the facility representative (name, role); returns the audit.
#[tauri::command]
pub async fn acknowledge_audit(
    state: State<'_, AppState>,
    audit_id: Uuid,
    name: String,
    role: String,
) -> CmdResult<fieldaudit_core::model::Audit> {
    state
        .with_store(move |s| {
            s.acknowledge_audit(audit_id, &name, &role)?;
            Ok(s.audit(audit_id)?)
        })
        .await
}

/// Records the site's answer to a finding (`agreed` or `disputed`, with a comment).
#[tauri::command]
pub async fn record_site_response(
    state: State<'_, AppState>,
    finding_id: Uuid,
    response: String,
    comment: String,
) -> CmdResult<()> {
    let response = SiteResponse::parse(&response).ok_or_else(|| {
        UiError::new(
            format!("{response:?} is not agreed or disputed."),
            "Choose Agreed or Disputed.",
        )
    })?;
    state
        .with_store(move |s| Ok(s.record_site_response(finding_id, response, &comment)?))
        .await
}

/// The audit's CAP items with their deadlines and what is overdue today.
#[tauri::command]
pub async fn cap_items(state: State<'_, AppState>, audit_id: Uuid) -> CmdResult<Vec<CapItem>> {
    state
        .with_store(move |s| Ok(s.cap_items(audit_id, today())?))
        .await
}

/// Attaches a photo or document to a CAP item; returns the audit's CAP items.
#[tauri::command]
pub async fn add_cap_evidence(
    state: State<'_, AppState>,
    audit_id: Uuid,
    action_id: Uuid,
    file_name: String,
    data_base64: String,
) -> CmdResult<Vec<CapItem>> {
    let bytes = decode(&file_name, &data_base64)?;
    state
        .with_store(move |s| {
            s.add_cap_evidence(action_id, &file_name, &bytes)?;
            Ok(s.cap_items(audit_id, today())?)
        })
        .await
}

/// A follow-up's previous findings with what was found of each.
#[tauri::command]
pub async fn previous_findings(
    state: State<'_, AppState>,
    audit_id: Uuid,
) -> CmdResult<Vec<PreviousFinding>> {
    state
        .with_store(move |s| Ok(s.previous_findings(audit_id)?))
        .await
}

/// Records what the follow-up found of one previous finding; returns the list.
#[tauri::command]
pub async fn record_verification(
    state: State<'_, AppState>,
    audit_id: Uuid,
    finding_id: Uuid,
    input: VerificationInput,
) -> CmdResult<Vec<PreviousFinding>> {
    state
        .with_store(move |s| {
            s.record_verification(audit_id, finding_id, &input)?;
            Ok(s.previous_findings(audit_id)?)
        })
        .await
}

/// As a reviewer: verifies a finding's CAP from evidence received, without a visit.
#[tauri::command]
pub async fn desktop_review(state: State<'_, AppState>, finding_id: Uuid, input: VerificationInput) -> CmdResult<()> {
    state.with_store(move |s| s.desktop_review(finding_id, &input).map(|_| ()).map_err(Into::into)).await
}

/// A finding's history, oldest first.
#[tauri::command]
pub async fn finding_history(
    state: State<'_, AppState>,
    finding_id: Uuid,
) -> CmdResult<FindingHistory> {
    state
        .with_store(move |s| Ok(s.finding_history(finding_id)?))
        .await
}

/// Writes the facility's open CAP items as the supplier's XLSX into the
/// Downloads folder; returns the file written.
#[tauri::command]
pub async fn export_cap_workbook(app: AppHandle, state: State<'_, AppState>, facility_id: Uuid) -> CmdResult<String> {
    let path = crate::office_cmds::export_path(&app, &state, "open-cap", ExportFormat::Xlsx)?;
    state
        .with_store(move |s| {
            s.write_cap_workbook(facility_id, today(), &path)?;
            Ok(path.display().to_string())
        })
        .await
}

/// Reads a filled CAP workbook; with `apply`, stores the responses (all or nothing).
#[tauri::command]
pub async fn import_cap_workbook(
    state: State<'_, AppState>,
    file_name: String,
    data_base64: String,
    apply: bool,
) -> CmdResult<CapImport> {
    let bytes = decode(&file_name, &data_base64)?;
    state
        .with_store(move |s| {
            Ok(if apply {
                s.import_cap_workbook(&file_name, &bytes, today())?
            } else {
                s.read_cap_workbook(&file_name, &bytes, today())?
            })
        })
        .await
}

/// Supplier responses waiting for a reviewer, with the finding each answers.
#[tauri::command]
pub async fn pending_supplier_responses(state: State<'_, AppState>, language: String) -> CmdResult<Vec<PendingResponse>> {
    state.with_store(move |s| Ok(s.pending_responses_to_decide(&language)?)).await
}

/// As a reviewer: accepts (`reason` empty) or rejects a supplier response.
#[tauri::command]
pub async fn decide_supplier_response(
    state: State<'_, AppState>,
    response_id: Uuid,
    accept: bool,
    reason: String,
    language: String,
) -> CmdResult<Vec<PendingResponse>> {
    state
        .with_store(move |s| {
            if accept {
                s.accept_supplier_response(response_id)?;
            } else {
                s.reject_supplier_response(response_id, &reason)?;
            }
            Ok(s.pending_responses_to_decide(&language)?)
        })
        .await
}
