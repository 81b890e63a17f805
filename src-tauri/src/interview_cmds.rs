//! Interview commands: the interviewer's encrypted drafts (unlock with the
//! passphrase, edit, finalise to seal) and reviewer mode (unlock a reviewer key
//! file, read an audit's interviews). The draft key and the reviewer identity live
//! only in this process's memory, never on disk; locking drops them.

use chrono::NaiveDate;
use fieldaudit_core::interviews::{
    self, InterviewForm, InterviewReview, InterviewSummary, InterviewsOverview, ReportedFees,
    UnlockedDrafts,
};
use serde_json::Value;
use tauri::State;
use uuid::Uuid;

use crate::error::{CmdResult, UiError, UiErrorKind};
use crate::state::{blocking, AppState};

fn locked() -> UiError {
    UiError {
        kind: UiErrorKind::Locked,
        ..UiError::new("Interview drafts are locked (they lock themselves after 15 minutes without use).", "Unlock them again on the Worker interviews screen.")
    }
}

/// The unlocked key if it is still in use; an idle one is dropped here.
fn key_now(slot: &mut Option<UnlockedDrafts>) -> Option<&interviews::DraftKey> {
    if slot
        .as_mut()
        .is_some_and(|u| u.use_at(std::time::Instant::now()).is_none())
    {
        *slot = None;
    }
    slot.as_mut()
        .and_then(|u| u.use_at(std::time::Instant::now()))
}

fn parse_date(text: &str) -> CmdResult<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| UiError {
        kind: UiErrorKind::Invalid,
        ..UiError::new(format!("{text:?} is not a date."), "Give the date as YYYY-MM-DD, e.g. 2026-11-25; nothing was saved.")
    })
}

/// Runs `f` with the store and the unlocked draft key.
async fn with_key<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut fieldaudit_core::Store, &interviews::DraftKey) -> CmdResult<T> + Send + 'static,
) -> CmdResult<T> {
    let key = state.interview_key.clone();
    state
        .with_store(move |s| {
            let mut guard = key.lock().map_err(|_| locked())?;
            let key = key_now(&mut guard).ok_or_else(locked)?;
            f(s, key)
        })
        .await
}

/// An audit's interviews (metadata), and the sampling guidance when unlocked.
#[tauri::command]
pub async fn interviews_overview(
    state: State<'_, AppState>,
    audit_id: Uuid,
    site_workers: Option<u64>,
    language: String,
) -> CmdResult<InterviewsOverview> {
    let key = state.interview_key.clone();
    state
        .with_store(move |s| {
            let mut guard = key.lock().map_err(|_| locked())?;
            Ok(s.interviews_overview(key_now(&mut guard), audit_id, site_workers, &language)?)
        })
        .await
}

/// Unlocks drafts with the key in the OS keyring (making one there on first use
/// when the desktop has a keyring). `false` when the device uses a passphrase.
#[tauri::command]
pub async fn unlock_interviews_keyring(state: State<'_, AppState>) -> CmdResult<bool> {
    let slot = state.interview_key.clone();
    state
        .with_store(move |s| {
            let Some(key) = s.unlock_interviews_with_keyring()? else {
                return Ok(false);
            };
            *slot.lock().map_err(|_| locked())? = Some(UnlockedDrafts::new(key));
            Ok(true)
        })
        .await
}

/// Unlocks drafts with the interviewer's passphrase (sets it the first time).
#[tauri::command]
pub async fn unlock_interviews(state: State<'_, AppState>, passphrase: String) -> CmdResult<()> {
    let slot = state.interview_key.clone();
    state
        .with_store(move |s| {
            let key = s.unlock_interviews(&passphrase)?;
            *slot.lock().map_err(|_| locked())? = Some(UnlockedDrafts::new(key));
            Ok(())
        })
        .await
}

/// Locks drafts: the key is dropped from memory.
#[tauri::command]
pub async fn lock_interviews(state: State<'_, AppState>) -> CmdResult<()> {
    if let Ok(mut k) = state.interview_key.lock() {
        k.take();
    }
    Ok(())
}

/// Starts an interview of an audit; returns its id.
#[tauri::command]
pub async fn start_interview(
    state: State<'_, AppState>,
    audit_id: Uuid,
    interviewer: String,
    conducted_on: String,
) -> CmdResult<Uuid> {
    let date = parse_date(&conducted_on)?;
    with_key(&state, move |s, k| {
        Ok(s.start_interview(k, audit_id, &interviewer, date)?)
    })
    .await
}

/// A draft as the form draws it.
#[tauri::command]
pub async fn interview_form(
    state: State<'_, AppState>,
    interview_id: Uuid,
    language: String,
) -> CmdResult<InterviewForm> {
    with_key(&state, move |s, k| {
        Ok(s.interview_form(k, interview_id, &language)?)
    })
    .await
}

/// Saves one answer of a draft (encrypted) and returns the form.
#[tauri::command]
pub async fn set_interview_answer(
    state: State<'_, AppState>,
    interview_id: Uuid,
    item_id: String,
    value: Value,
    language: String,
) -> CmdResult<InterviewForm> {
    with_key(&state, move |s, k| {
        s.set_interview_answer(k, interview_id, &item_id, value)?;
        Ok(s.interview_form(k, interview_id, &language)?)
    })
    .await
}

/// Saves the fees the workers reported and returns the form.
#[tauri::command]
pub async fn set_interview_fees(
    state: State<'_, AppState>,
    interview_id: Uuid,
    fees: Vec<ReportedFees>,
    language: String,
) -> CmdResult<InterviewForm> {
    with_key(&state, move |s, k| {
        s.set_interview_fees(k, interview_id, fees)?;
        Ok(s.interview_form(k, interview_id, &language)?)
    })
    .await
}

/// Changes a draft's interviewer and date and returns the form.
#[tauri::command]
pub async fn set_interview_details(
    state: State<'_, AppState>,
    interview_id: Uuid,
    interviewer: String,
    conducted_on: String,
    language: String,
) -> CmdResult<InterviewForm> {
    let date = parse_date(&conducted_on)?;
    with_key(&state, move |s, k| {
        s.set_interview_details(k, interview_id, &interviewer, date)?;
        Ok(s.interview_form(k, interview_id, &language)?)
    })
    .await
}

/// Seals a draft to the organisation's reviewers and deletes the plaintext.
#[tauri::command]
pub async fn finalise_interview(
    state: State<'_, AppState>,
    interview_id: Uuid,
) -> CmdResult<InterviewSummary> {
    with_key(&state, move |s, k| {
        Ok(s.finalise_interview(k, interview_id)?)
    })
    .await
}

/// Deletes a draft that was never finalised.
#[tauri::command]
pub async fn discard_interview(state: State<'_, AppState>, interview_id: Uuid) -> CmdResult<()> {
    state
        .with_store(move |s| Ok(s.discard_interview_draft(interview_id)?))
        .await
}

/// Reviewer mode: unlocks a reviewer key file (its text) with its passphrase and
/// keeps the identity in memory until [`forget_reviewer_key`].
#[tauri::command]
pub async fn unlock_reviewer_key(
    state: State<'_, AppState>,
    key_file: String,
    passphrase: String,
) -> CmdResult<()> {
    let slot = state.reviewer_identity.clone();
    blocking(move || {
        let identity = interviews::unlock_reviewer_key(&key_file, &passphrase)?;
        *slot.lock().map_err(|_| locked())? = Some(identity);
        Ok(())
    })
    .await
}

/// Leaves reviewer mode: the identity is dropped from memory.
#[tauri::command]
pub async fn forget_reviewer_key(state: State<'_, AppState>) -> CmdResult<()> {
    if let Ok(mut k) = state.reviewer_identity.lock() {
        k.take();
    }
    Ok(())
}

/// Reviewer mode: an audit's interviews opened with the reviewer's key.
#[tauri::command]
pub async fn review_interviews(
    state: State<'_, AppState>,
    audit_id: Uuid,
    language: String,
) -> CmdResult<InterviewReview> {
    let slot = state.reviewer_identity.clone();
    state
        .with_store(move |s| {
            let guard = slot.lock().map_err(|_| locked())?;
            let identity = guard
                .as_ref()
                .ok_or_else(|| UiError { kind: UiErrorKind::Locked, ..UiError::new("No reviewer key is open.", "Open your reviewer key file and enter its passphrase.") })?;
            Ok(s.interview_review(audit_id, identity, &language)?)
        })
        .await
}
