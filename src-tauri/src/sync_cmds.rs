//! Sync commands: sign in and out, run a sync whose progress streams to the UI over
//! a Tauri [`Channel`] (one at a time: the UI also starts them by itself, see
//! `ui/src/lib/sync.svelte.ts`), and review kept conflicts and the server's
//! refusals. The sync itself runs in `fieldaudit_core::sync` on its own database
//! connection, so the workspace stays responsive while it runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use fieldaudit_core::sync::{
    self, ConflictView, QuarantinedOp, Resolution, SyncOptions, SyncProgress, SyncReport,
    SyncStatus,
};
use fieldaudit_core::Store;
use tauri::ipc::Channel;
use tauri::State;
use uuid::Uuid;

use crate::commands::{info, AppInfo};
use crate::error::{CmdResult, UiError, UiErrorKind};
use crate::state::{blocking, AppState};

/// Signs this device in to a server (creating the device's store first on first
/// run) and completes setup. The UI runs a first sync next.
#[tauri::command]
pub async fn connect(
    state: State<'_, AppState>,
    server_url: String,
    organisation: String,
    username: String,
    password: String,
    device_name: String,
) -> CmdResult<AppInfo> {
    let state = state.inner().clone();
    blocking(move || {
        {
            let mut guard = state.lock_store()?;
            if guard.is_none() {
                *guard = Some(Store::create(&state.data_dir, &device_name)?);
            }
        }
        sync::login(
            &state.data_dir,
            server_url.trim(),
            &organisation,
            &username,
            &password,
        )?;
        let mut prefs = state.preferences();
        prefs.set_up = true;
        state.save_preferences(&prefs)?;
        let guard = state.lock_store()?;
        Ok(info(&state, guard.as_ref()))
    })
    .await
}

/// Signs out (forgets the token); unsynced work stays on the device.
#[tauri::command]
pub async fn logout(state: State<'_, AppState>) -> CmdResult<()> {
    let dir = state.data_dir.clone();
    blocking(move || Ok(sync::logout(&dir)?)).await
}

/// Changes waiting, last sync, server, conflicts and quarantine counts.
#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> CmdResult<SyncStatus> {
    state.with_store(|s| Ok(s.sync_status()?)).await
}

/// Clears the running flag however the sync ends (even if its task panics).
struct Running(Arc<AtomicBool>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Runs one sync; progress goes to `on_progress` as it happens. Only one runs at a
/// time: while one is running (started by the Sync button or automatically), another
/// is refused with kind `busy`.
#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>, on_progress: Channel<SyncProgress>) -> CmdResult<SyncReport> {
    if state.sync_running.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_err() {
        return Err(UiError { message: "A sync is already running.".into(), hint: "Wait for it to finish; the Sync screen shows its progress.".into(), kind: UiErrorKind::Busy });
    }
    let running = Running(state.sync_running.clone());
    let dir = state.data_dir.clone();
    let cancel = state.cancel_sync.clone();
    cancel.store(false, Ordering::Relaxed);
    blocking(move || {
        let _running = running;
        let report = sync::sync(
            &dir,
            SyncOptions::default(),
            &|p| {
                let _ = on_progress.send(p);
            },
            &cancel,
        )?;
        Ok(report)
    })
    .await
}

/// Asks a running sync to stop at its next batch boundary.
#[tauri::command]
pub async fn cancel_sync(state: State<'_, AppState>) -> CmdResult<()> {
    state.cancel_sync.store(true, Ordering::Relaxed);
    Ok(())
}

/// Kept conflicts, open ones first, each named by its question (checklist text in
/// the UI language) and audit.
#[tauri::command]
pub async fn list_conflicts(
    state: State<'_, AppState>,
    include_resolved: bool,
) -> CmdResult<Vec<ConflictView>> {
    let lang = state.preferences().language;
    state
        .with_store(move |s| Ok(s.conflicts_in(include_resolved, &lang)?))
        .await
}

/// Keeps the current value or writes the other one back.
#[tauri::command]
pub async fn resolve_conflict(
    state: State<'_, AppState>,
    conflict_id: Uuid,
    resolution: Resolution,
) -> CmdResult<()> {
    state
        .with_store(move |s| Ok(s.resolve_conflict(conflict_id, resolution)?))
        .await
}

/// Changes the server refused, with its reasons.
#[tauri::command]
pub async fn list_quarantine(state: State<'_, AppState>) -> CmdResult<Vec<QuarantinedOp>> {
    state.with_store(|s| Ok(s.quarantine()?)).await
}

/// Removes a refused change from the list once read.
#[tauri::command]
pub async fn dismiss_quarantined(state: State<'_, AppState>, device_seq: u64) -> CmdResult<()> {
    state
        .with_store(move |s| Ok(s.dismiss_quarantined(device_seq)?))
        .await
}
