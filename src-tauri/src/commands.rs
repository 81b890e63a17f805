//! The Tauri commands. Each is async, parses its arguments, calls one core function
//! on a blocking thread and maps the error to a [`UiError`]. No business logic here.

use base64::Engine;
use fieldaudit_core::audits::{ActionUpdate, FindingWithActions, NewAudit};
use fieldaudit_core::facilities::{FacilitySummary, ImportApplied};
use fieldaudit_core::fees::{FeeTotals, NewFee};
use fieldaudit_core::import::ImportPreview;
use fieldaudit_core::model::{Fee, FeeRecord};
use fieldaudit_core::permissions::AuditPermissions;
use fieldaudit_core::signoff::SignoffCheck;
use fieldaudit_core::teams::MyAuditsView;
use fieldaudit_core::workspace::{AuditWorkspace, ChecklistChoice, FacilityPage};
use fieldaudit_core::Store;
use fieldaudit_templates::Severity;
use serde::Serialize;
use serde_json::{Map, Value};
use tauri::State;
use uuid::Uuid;

use crate::error::{CmdResult, UiError};
use crate::state::{blocking, AppState, Preferences, DEMO_ORG_ENV, DEMO_USER_ENV, SERVER_URL_ENV};

/// What the UI needs to know at start-up.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AppInfo {
    /// The data directory in use.
    pub data_dir: String,
    /// Whether the device has a store and first-run setup was completed.
    pub set_up: bool,
    /// The device's name, once set up.
    pub device_name: Option<String>,
    /// UI preferences.
    pub preferences: Preferences,
    /// The server the first-run screen proposes (`FIELDAUDIT_SERVER_URL`).
    pub default_server_url: Option<String>,
    /// The organisation the first-run screen proposes (`FIELDAUDIT_DEMO_ORG`, set by
    /// `make run`).
    pub default_organisation: Option<String>,
    /// The user name the first-run screen proposes (`FIELDAUDIT_DEMO_USER`, set by
    /// `make run`).
    pub default_user: Option<String>,
    /// The app's version.
    pub version: String,
    /// Why this device's saved data could not be opened (a database from a newer
    /// FieldAudit, a damaged file); the app shows it instead of the first-run screen.
    pub store_error: Option<UiError>,
    /// Whether the app opens on *My audits* (auditors and interviewers) rather
    /// than the facilities.
    pub opens_on_my_audits: bool,
}

/// An audit's recruitment-fee records and totals.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FeesView {
    /// One record per sampled worker, with the fees they paid.
    pub records: Vec<FeeRecordView>,
    /// Paid, reimbursed and outstanding per currency.
    pub totals: FeeTotals,
}

/// A worker's fee record with its fees.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct FeeRecordView {
    /// The record.
    pub record: FeeRecord,
    /// Its fees.
    pub fees: Vec<Fee>,
}

/// A photo's bytes as a `data:` URL for an `<img>` (the CSP allows `data:` images).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PhotoData {
    /// The attachment.
    pub attachment_id: Uuid,
    /// `data:<media type>;base64,…`
    pub data_url: String,
}

/// A non-blank environment variable, trimmed.
fn env_text(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// Start-up information for a store (or none yet).
pub(crate) fn info(state: &AppState, store: Option<&Store>) -> AppInfo {
    let preferences = state.preferences();
    AppInfo {
        data_dir: state.data_dir.display().to_string(),
        set_up: store.is_some() && preferences.set_up,
        device_name: store.and_then(|s| s.device_name().ok()),
        preferences,
        default_server_url: env_text(SERVER_URL_ENV),
        default_organisation: env_text(DEMO_ORG_ENV),
        default_user: env_text(DEMO_USER_ENV),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        store_error: if store.is_none() { state.open_error.clone() } else { None },
        opens_on_my_audits: fieldaudit_core::teams::opens_on_my_audits(
            store.and_then(|s| s.signed_in_user().ok().flatten()).map(|u| u.role),
        ),
    }
}

/// Start-up information: data directory, whether set up, preferences.
#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> CmdResult<AppInfo> {
    let state = state.inner().clone();
    blocking(move || {
        let guard = state.lock_store()?;
        Ok(info(&state, guard.as_ref()))
    })
    .await
}

/// First run without a server: creates this device's store under `device_name`.
#[tauri::command]
pub async fn setup_offline(state: State<'_, AppState>, device_name: String) -> CmdResult<AppInfo> {
    let state = state.inner().clone();
    blocking(move || {
        let store = Store::create(&state.data_dir, &device_name)?;
        let mut prefs = state.preferences();
        prefs.set_up = true;
        state.save_preferences(&prefs)?;
        let mut guard = state.lock_store()?;
        *guard = Some(store);
        Ok(info(&state, guard.as_ref()))
    })
    .await
}

/// Saves the UI language.
#[tauri::command]
pub async fn set_language(state: State<'_, AppState>, language: String) -> CmdResult<Preferences> {
    if !fieldaudit_templates::SUPPORTED_LANGUAGES.contains(&language.as_str()) {
        return Err(UiError::new(
            format!("{language:?} is not a language FieldAudit offers."),
            format!(
                "Choose one of {}.",
                fieldaudit_templates::SUPPORTED_LANGUAGES.join(", ")
            ),
        ));
    }
    let mut prefs = state.preferences();
    prefs.language = language;
    state.save_preferences(&prefs)?;
    Ok(prefs)
}

/// Turns automatic sync on or off (device-local; the UI decides when to sync).
#[tauri::command]
pub async fn set_auto_sync(state: State<'_, AppState>, enabled: bool) -> CmdResult<Preferences> {
    let mut prefs = state.preferences();
    prefs.auto_sync = enabled;
    state.save_preferences(&prefs)?;
    Ok(prefs)
}

/// Facilities matching `search`, with last audit and open actions.
#[tauri::command]
pub async fn list_facilities(
    state: State<'_, AppState>,
    search: String,
) -> CmdResult<Vec<FacilitySummary>> {
    state.with_store(move |s| Ok(s.facilities(&search)?)).await
}

/// A facility's page.
#[tauri::command]
pub async fn facility_page(state: State<'_, AppState>, facility_id: Uuid) -> CmdResult<FacilityPage> {
    let lang = state.preferences().language;
    state.with_store(move |s| Ok(s.facility_page(facility_id, &lang)?)).await
}

/// Previews importing a facility list (CSV text read in the webview). The preview
/// is kept so that [`apply_import`] applies exactly what was shown.
#[tauri::command]
pub async fn preview_import(state: State<'_, AppState>, csv: String) -> CmdResult<ImportPreview> {
    let slot = state.import_preview.clone();
    let preview = state
        .with_store(move |s| Ok(s.preview_facility_import(csv.as_bytes())?))
        .await?;
    *slot
        .lock()
        .map_err(|_| UiError::new("The import preview was lost.", "Choose the file again."))? =
        Some(preview.clone());
    Ok(preview)
}

/// Applies the preview last shown (all rows or none).
#[tauri::command]
pub async fn apply_import(state: State<'_, AppState>) -> CmdResult<ImportApplied> {
    let preview = state
        .import_preview
        .lock()
        .map_err(|_| UiError::new("The import preview was lost.", "Choose the file again."))?
        .take()
        .ok_or_else(|| {
            UiError::new(
                "There is no import preview to apply.",
                "Choose a CSV file first and review the preview.",
            )
        })?;
    state
        .with_store(move |s| Ok(s.apply_facility_import(&preview)?))
        .await
}

/// Drops the preview without importing.
#[tauri::command]
pub async fn cancel_import(state: State<'_, AppState>) -> CmdResult<()> {
    state
        .import_preview
        .lock()
        .map_err(|_| UiError::new("The import preview was lost.", "Choose the file again."))?
        .take();
    Ok(())
}

/// The built-in checklists a new audit can include.
#[tauri::command]
pub async fn list_checklists(language: String) -> CmdResult<Vec<ChecklistChoice>> {
    Ok(fieldaudit_core::workspace::checklist_choices(&language))
}

/// Starts an audit; returns its id.
#[tauri::command]
pub async fn start_audit(state: State<'_, AppState>, audit: NewAudit) -> CmdResult<Uuid> {
    state.with_store(move |s| Ok(s.start_audit(&audit)?)).await
}

/// The audit workspace view (sections, visible items, answers, progress, score).
#[tauri::command]
pub async fn audit_workspace(
    state: State<'_, AppState>,
    audit_id: Uuid,
    language: String,
) -> CmdResult<AuditWorkspace> {
    state
        .with_store(move |s| Ok(s.workspace(audit_id, &language)?))
        .await
}

/// *My audits*: the signed-in user's audits grouped by state.
#[tauri::command]
pub async fn my_audits(state: State<'_, AppState>) -> CmdResult<MyAuditsView> {
    state.with_store(|s| Ok(s.my_audits_view()?)).await
}

/// What the signed-in user may do on an audit (controls the role cannot use are
/// hidden or disabled, saying why).
#[tauri::command]
pub async fn audit_permissions(state: State<'_, AppState>, audit_id: Uuid) -> CmdResult<AuditPermissions> {
    state.with_store(move |s| Ok(s.audit_permissions(audit_id)?)).await
}

/// Saves an answer (null clears it) and returns the updated workspace.
#[tauri::command]
pub async fn record_answer(
    state: State<'_, AppState>,
    audit_id: Uuid,
    template_id: String,
    item_id: String,
    instance_id: Option<Uuid>,
    value: Value,
    language: String,
) -> CmdResult<AuditWorkspace> {
    state
        .with_store(move |s| {
            s.record_answer(audit_id, &template_id, &item_id, instance_id, value)?;
            Ok(s.workspace(audit_id, &language)?)
        })
        .await
}

/// Saves the note on an item.
#[tauri::command]
pub async fn set_answer_note(
    state: State<'_, AppState>,
    audit_id: Uuid,
    template_id: String,
    item_id: String,
    instance_id: Option<Uuid>,
    note: String,
) -> CmdResult<()> {
    state
        .with_store(move |s| {
            s.set_answer_note(audit_id, &template_id, &item_id, instance_id, &note)
                .map(|_| ())
                .map_err(Into::into)
        })
        .await
}

/// Adds a repeat-group instance and returns the updated workspace.
#[tauri::command]
pub async fn add_repeat_instance(
    state: State<'_, AppState>,
    audit_id: Uuid,
    template_id: String,
    section_id: String,
    label: String,
    language: String,
) -> CmdResult<AuditWorkspace> {
    state
        .with_store(move |s| {
            s.add_repeat_instance(audit_id, &template_id, &section_id, &label)?;
            Ok(s.workspace(audit_id, &language)?)
        })
        .await
}

/// Removes a repeat-group instance and returns the updated workspace.
#[tauri::command]
pub async fn remove_repeat_instance(
    state: State<'_, AppState>,
    audit_id: Uuid,
    instance_id: Uuid,
    language: String,
) -> CmdResult<AuditWorkspace> {
    state
        .with_store(move |s| {
            s.remove_repeat_instance(instance_id)?;
            Ok(s.workspace(audit_id, &language)?)
        })
        .await
}

/// Largest photo accepted from the webview, as base64 text.
const MAX_BASE64: usize = fieldaudit_core::attachments::MAX_ATTACHMENT_BYTES / 3 * 4 + 8;

/// Attaches a photo or document (read in the webview from the picker or a drop,
/// sent as base64) to an item's answer.
#[tauri::command]
pub async fn add_photo(
    state: State<'_, AppState>,
    audit_id: Uuid,
    answer_id: Uuid,
    file_name: String,
    media_type: String,
    data_base64: String,
) -> CmdResult<Uuid> {
    if data_base64.len() > MAX_BASE64 {
        return Err(UiError::new(
            format!(
                "{file_name} is larger than {} MiB.",
                fieldaudit_core::attachments::MAX_ATTACHMENT_BYTES / (1024 * 1024)
            ),
            "Resize the photo and attach it again.",
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data_base64.as_bytes())
        .map_err(|_| {
            UiError::new(
                format!("{file_name} could not be read."),
                "Choose the file again; if it persists, save it again from the camera app.",
            )
        })?;
    state
        .with_store(move |s| {
            Ok(s.add_attachment(
                audit_id,
                "answer",
                answer_id,
                &file_name,
                &media_type,
                &bytes,
            )?)
        })
        .await
}

/// Largest photo sent to the webview as it is, when no thumbnail can be made of it.
const UNDECODED_PHOTO_LIMIT: usize = 4 * 1024 * 1024;

/// The photos of an audit as `data:` URLs of their thumbnails (made once per
/// photo and cached; see `fieldaudit_report::thumbnails`); the full photo only
/// when it cannot be thumbnailed and is at most [`UNDECODED_PHOTO_LIMIT`].
#[tauri::command]
pub async fn photo_data(
    state: State<'_, AppState>,
    audit_id: Uuid,
    attachment_ids: Vec<Uuid>,
) -> CmdResult<Vec<PhotoData>> {
    state
        .with_store(move |s| {
            let mut out = Vec::new();
            for a in s
                .attachments(audit_id, None)?
                .into_iter()
                .filter(|a| attachment_ids.contains(&a.id))
            {
                let (Some(sha), Some(media)) = (a.sha256.as_deref(), a.media_type.as_deref())
                else {
                    continue;
                };
                if !media.starts_with("image/") {
                    continue;
                }
                // The thumbnail; a photo synced from another device may not have its
                // bytes here yet (no picture). One the thumbnailer cannot decode (a
                // format it lacks) goes to the webview as it is, if it is small.
                let (media, bytes) = match fieldaudit_report::thumbnails::thumbnail(s, sha) {
                    Ok(Some(thumb)) => ("image/jpeg", thumb),
                    Ok(None) => continue,
                    Err(_) => match std::fs::read(s.attachment_path(sha)) {
                        Ok(b) if b.len() <= UNDECODED_PHOTO_LIMIT => (media, b),
                        _ => continue,
                    },
                };
                let data = base64::engine::general_purpose::STANDARD.encode(bytes);
                out.push(PhotoData { attachment_id: a.id, data_url: format!("data:{media};base64,{data}") });
            }
            Ok(out)
        })
        .await
}

/// Removes an attachment.
#[tauri::command]
pub async fn remove_attachment(state: State<'_, AppState>, attachment_id: Uuid) -> CmdResult<()> {
    state
        .with_store(move |s| Ok(s.remove_attachment(attachment_id)?))
        .await
}

/// Findings of an audit with their corrective actions, most severe first.
#[tauri::command]
pub async fn list_findings(state: State<'_, AppState>, audit_id: Uuid) -> CmdResult<Vec<FindingWithActions>> {
    let lang = state.preferences().language;
    state.with_store(move |s| Ok(s.findings_in(audit_id, &lang)?)).await
}

/// Edits a corrective action.
#[tauri::command]
pub async fn update_action(
    state: State<'_, AppState>,
    action_id: Uuid,
    update: ActionUpdate,
) -> CmdResult<()> {
    state
        .with_store(move |s| Ok(s.update_action(action_id, &update)?))
        .await
}

/// Raises a finding by hand.
#[tauri::command]
pub async fn raise_finding(
    state: State<'_, AppState>,
    audit_id: Uuid,
    severity: Severity,
    title: String,
    description: String,
) -> CmdResult<Uuid> {
    state
        .with_store(move |s| Ok(s.raise_finding(audit_id, severity, &title, &description)?))
        .await
}

fn fees_view(s: &Store, audit_id: Uuid) -> CmdResult<FeesView> {
    let records = s
        .fee_records(audit_id)?
        .into_iter()
        .map(|(record, fees)| FeeRecordView { record, fees })
        .collect();
    Ok(FeesView {
        records,
        totals: s.fee_totals(audit_id)?,
    })
}

/// An audit's fee records and totals.
#[tauri::command]
pub async fn list_fees(state: State<'_, AppState>, audit_id: Uuid) -> CmdResult<FeesView> {
    state.with_store(move |s| fees_view(s, audit_id)).await
}

/// Creates or updates a worker's fee record; returns the updated fees view.
#[tauri::command]
pub async fn save_fee_record(
    state: State<'_, AppState>,
    audit_id: Uuid,
    record_id: Option<Uuid>,
    worker_ref: String,
    fields: Map<String, Value>,
) -> CmdResult<FeesView> {
    state
        .with_store(move |s| {
            s.save_fee_record(record_id, audit_id, &worker_ref, &fields)?;
            fees_view(s, audit_id)
        })
        .await
}

/// Adds a fee to a worker's record; returns the updated fees view.
#[tauri::command]
pub async fn add_fee(
    state: State<'_, AppState>,
    audit_id: Uuid,
    record_id: Uuid,
    fee: NewFee,
) -> CmdResult<FeesView> {
    state
        .with_store(move |s| {
            s.add_fee(record_id, &fee)?;
            fees_view(s, audit_id)
        })
        .await
}

/// Removes a fee; returns the updated fees view.
#[tauri::command]
pub async fn remove_fee(
    state: State<'_, AppState>,
    audit_id: Uuid,
    fee_id: Uuid,
) -> CmdResult<FeesView> {
    state
        .with_store(move |s| {
            s.remove_fee(fee_id)?;
            fees_view(s, audit_id)
        })
        .await
}

/// The audit's sign-offs, each checked against the audit as it is now.
#[tauri::command]
pub async fn audit_signoffs(
    state: State<'_, AppState>,
    audit_id: Uuid,
) -> CmdResult<Vec<SignoffCheck>> {
    state
        .with_store(move |s| Ok(s.verify_signoffs(audit_id)?))
        .await
}

/// Signs the audit off as `signer` (and submits it); returns its sign-offs checked.
#[tauri::command]
pub async fn sign_off_audit(
    state: State<'_, AppState>,
    audit_id: Uuid,
    signer: String,
) -> CmdResult<Vec<SignoffCheck>> {
    state
        .with_store(move |s| {
            s.sign_off_audit(audit_id, &signer)?;
            Ok(s.verify_signoffs(audit_id)?)
        })
        .await
}

/// One audit row (status and review decision included).
#[tauri::command]
pub async fn audit_details(
    state: State<'_, AppState>,
    audit_id: Uuid,
) -> CmdResult<fieldaudit_core::model::Audit> {
    state.with_store(move |s| Ok(s.audit(audit_id)?)).await
}

/// As a reviewer: approves or returns a submitted audit; returns the audit.
#[tauri::command]
pub async fn review_audit(
    state: State<'_, AppState>,
    audit_id: Uuid,
    decision: fieldaudit_core::review::ReviewDecision,
    comment: String,
) -> CmdResult<fieldaudit_core::model::Audit> {
    state
        .with_store(move |s| {
            s.review_audit(audit_id, decision, &comment)?;
            Ok(s.audit(audit_id)?)
        })
        .await
}
