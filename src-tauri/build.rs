//! Build step: makes sure the UI (`ui/dist`) is built from the current `ui/` sources
//! so the binary always embeds the UI it was built with, then runs Tauri's build
//! (checks tauri.conf.json and the capabilities, generates the command permissions).
//!
//! Building the UI needs Node and npm (scripts/install-deps.sh installs them). When
//! they are missing the build still succeeds with a page that says how to build the
//! UI, and a cargo warning.

use std::path::Path;
use std::process::Command;

/// The commands the UI may call; each is allowed to the main window in
/// capabilities/main.json. A command not listed here is refused by Tauri.
const COMMANDS: &[&str] = &[
    "app_info",
    "setup_offline",
    "set_language",
    "set_auto_sync",
    "list_facilities",
    "facility_page",
    "preview_import",
    "apply_import",
    "cancel_import",
    "list_checklists",
    "start_audit",
    "audit_workspace",
    "record_answer",
    "set_answer_note",
    "add_repeat_instance",
    "remove_repeat_instance",
    "add_photo",
    "photo_data",
    "remove_attachment",
    "list_findings",
    "update_action",
    "raise_finding",
    "list_fees",
    "save_fee_record",
    "add_fee",
    "remove_fee",
    "audit_signoffs",
    "sign_off_audit",
    "audit_details",
    "review_audit",
    "reopen_audit",
    "acknowledge_audit",
    "record_site_response",
    "cap_items",
    "add_cap_evidence",
    "previous_findings",
    "record_verification",
    "finding_history",
    "export_cap_workbook",
    "import_cap_workbook",
    "pending_supplier_responses",
    "decide_supplier_response",
    "connect",
    "logout",
    "sync_status",
    "sync_now",
    "cancel_sync",
    "list_conflicts",
    "resolve_conflict",
    "list_quarantine",
    "dismiss_quarantined",
    "interviews_overview",
    "unlock_interviews",
    "unlock_interviews_keyring",
    "lock_interviews",
    "start_interview",
    "interview_form",
    "set_interview_answer",
    "set_interview_fees",
    "set_interview_details",
    "finalise_interview",
    "discard_interview",
    "unlock_reviewer_key",
    "forget_reviewer_key",
    "review_interviews",
];

fn npm(ui: &Path, args: &[&str]) -> bool {
    Command::new("npm")
        .args(args)
        .current_dir(ui)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn build_ui() {
    let ui = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui");
    for p in [
        "src",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
    ] {
        println!("cargo:rerun-if-changed=../ui/{p}");
    }
    if std::env::var_os("FIELDAUDIT_SKIP_UI_BUILD").is_some() && ui.join("dist/index.html").exists()
    {
        return;
    }
    let ok = (ui.join("node_modules").exists() || npm(&ui, &["ci", "--no-audit", "--no-fund"]))
        && npm(&ui, &["run", "build", "--silent"]);
    if !ok {
        println!("cargo:warning=could not build the UI in ui/ (is Node/npm installed? run scripts/install-deps.sh, then `npm ci && npm run build` in ui/); the app shows a page saying so");
        let dist = ui.join("dist");
        if !dist.join("index.html").exists() {
            let _ = std::fs::create_dir_all(&dist);
            let _ = std::fs::write(
                dist.join("index.html"),
                "<!doctype html><html lang=\"en\"><title>FieldAudit</title><main><h1>The FieldAudit UI was not built</h1><p>Install Node.js and npm, run <code>npm ci &amp;&amp; npm run build</code> in <code>ui/</code>, then build the app again.</p></main></html>",
            );
        }
    }
}

fn main() {
    build_ui();
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|e| panic!("tauri build step failed: {e:#}"));
}
