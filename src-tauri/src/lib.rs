//! FieldAudit's desktop app: a thin Tauri shell over `fieldaudit-core`.
//!
//! - [`commands`]: every command the UI calls; each calls one core function.
//! - [`sync_cmds`]: sign-in, sync with progress over a Channel, conflicts, quarantine.
//! - [`interview_cmds`]: confidential interviews (encrypted drafts, finalise to seal)
//!   and reviewer mode.
//! - [`state`]: the data directory (Tauri's app data dir, or `FIELDAUDIT_DATA_DIR`),
//!   the open store and the UI preferences.
//! - [`error`]: failures as a message and a hint for the person.
//!
//! The UI (`ui/`) reaches these commands through one typed file, `ui/src/lib/api.ts`,
//! whose types are generated from the Rust types here (ts-rs; the `bindings` test
//! fails when the committed bindings are stale).

#[cfg(test)]
mod bindings;
pub mod cap_cmds;
pub mod commands;
pub mod error;
pub mod interview_cmds;
pub mod state;
pub mod sync_cmds;

use std::path::PathBuf;

use tauri::Manager;

use crate::state::{AppState, DATA_DIR_ENV};

/// The data directory: `FIELDAUDIT_DATA_DIR` when set, else Tauri's app data dir.
pub fn data_dir(app: &tauri::App) -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    app.path().app_data_dir().map_err(|e| format!("cannot find a folder for FieldAudit's data ({e}); set {DATA_DIR_ENV} to a writable folder"))
}

/// Starts the app.
pub fn run() {
    let result = tauri::Builder::default()
        .setup(|app| {
            let dir = data_dir(app)?;
            app.manage(AppState::new(dir));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::setup_offline,
            commands::set_language,
            commands::set_auto_sync,
            commands::list_facilities,
            commands::facility_page,
            commands::preview_import,
            commands::apply_import,
            commands::cancel_import,
            commands::list_checklists,
            commands::start_audit,
            commands::audit_workspace,
            commands::record_answer,
            commands::set_answer_note,
            commands::add_repeat_instance,
            commands::remove_repeat_instance,
            commands::add_photo,
            commands::photo_data,
            commands::remove_attachment,
            commands::list_findings,
            commands::update_action,
            commands::raise_finding,
            commands::list_fees,
            commands::save_fee_record,
            commands::add_fee,
            commands::remove_fee,
            commands::audit_signoffs,
            commands::sign_off_audit,
            commands::audit_details,
            commands::review_audit,
            cap_cmds::reopen_audit,
            cap_cmds::acknowledge_audit,
            cap_cmds::record_site_response,
            cap_cmds::cap_items,
            cap_cmds::add_cap_evidence,
            cap_cmds::previous_findings,
            cap_cmds::record_verification,
            cap_cmds::finding_history,
            cap_cmds::export_cap_workbook,
            cap_cmds::import_cap_workbook,
            cap_cmds::pending_supplier_responses,
            cap_cmds::decide_supplier_response,
            sync_cmds::connect,
            sync_cmds::logout,
            sync_cmds::sync_status,
            sync_cmds::sync_now,
            sync_cmds::cancel_sync,
            sync_cmds::list_conflicts,
            sync_cmds::resolve_conflict,
            sync_cmds::list_quarantine,
            sync_cmds::dismiss_quarantined,
            interview_cmds::interviews_overview,
            interview_cmds::unlock_interviews,
            interview_cmds::unlock_interviews_keyring,
            interview_cmds::lock_interviews,
            interview_cmds::start_interview,
            interview_cmds::interview_form,
            interview_cmds::set_interview_answer,
            interview_cmds::set_interview_fees,
            interview_cmds::set_interview_details,
            interview_cmds::finalise_interview,
            interview_cmds::discard_interview,
            interview_cmds::unlock_reviewer_key,
            interview_cmds::forget_reviewer_key,
            interview_cmds::review_interviews,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("FieldAudit could not start: {e}");
        std::process::exit(1);
    }
}
