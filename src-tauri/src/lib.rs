//! FieldAudit's desktop app: a thin Tauri shell over `fieldaudit-core`.
//!
//! - `command_list.rs`: the one list of commands the UI may call; the handler
//!   registration here, the permissions build.rs generates and the UI's
//!   `CommandName` type all come from it.
//! - [`commands`]: the audit commands the UI calls; each calls one core function.
//! - [`sync_cmds`]: sign-in, sync with progress over a Channel, conflicts, quarantine.
//! - [`interview_cmds`]: confidential interviews (encrypted drafts, finalise to seal)
//!   and reviewer mode.
//! - [`office_cmds`]: the office screens (review queue, CAP tracker, dashboard, plan).
//! - [`report_cmds`]: the Report screen (page preview, save PDF) and exports.
//! - [`state`]: the data directory (Tauri's app data dir, or `FIELDAUDIT_DATA_DIR`),
//!   the open store, the UI preferences, and [`state::blocking`], the one way a
//!   command runs blocking work.
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
pub mod office_cmds;
pub mod report_cmds;
pub mod state;
pub mod sync_cmds;

use std::path::PathBuf;

use tauri::Manager;

use crate::state::{AppState, DATA_DIR_ENV};

/// Expands the one list of commands (src/command_list.rs) into their names and
/// their registration with Tauri.
macro_rules! app_commands {
    ($($module:ident: $($name:ident,)+ ;)+) => {
        /// Every command the UI may call, in the order of src/command_list.rs.
        pub const COMMAND_NAMES: &[&str] = &[$($(stringify!($name)),+),+];

        /// Registers every command with Tauri.
        fn register_commands(builder: tauri::Builder<tauri::Wry>) -> tauri::Builder<tauri::Wry> {
            builder.invoke_handler(tauri::generate_handler![$($($module::$name),+),+])
        }
    };
}
include!("command_list.rs");

/// The data directory: `FIELDAUDIT_DATA_DIR` when set, else Tauri's app data dir.
pub fn data_dir(app: &tauri::App) -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    app.path().app_data_dir().map_err(|e| format!("cannot find a folder for FieldAudit's data ({e}); set {DATA_DIR_ENV} to a writable folder"))
}

/// Starts the app.
pub fn run() {
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .setup(|app| {
            let dir = data_dir(app)?;
            app.manage(AppState::new(dir));
            Ok(())
        });
    let result = register_commands(builder).run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("FieldAudit could not start: {e}");
        std::process::exit(1);
    }
}
