//! The app's state: where its data lives, the open store, the import preview being
//! reviewed, whether a sync is running, the unlocked interview and reviewer keys
//! (memory only), and the UI preferences file.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use fieldaudit_core::import::ImportPreview;
use fieldaudit_core::interviews::{ReviewerIdentity, UnlockedDrafts};
use fieldaudit_core::{CoreError, Store};
use serde::{Deserialize, Serialize};

use crate::error::{CmdResult, UiError};

/// Environment variable that overrides the data directory (tests, the demo).
pub const DATA_DIR_ENV: &str = "FIELDAUDIT_DATA_DIR";
/// Environment variable with the server the first-run screen proposes (the demo).
pub const SERVER_URL_ENV: &str = "FIELDAUDIT_SERVER_URL";
/// Environment variable with the organisation the first-run screen proposes (the demo).
pub const DEMO_ORG_ENV: &str = "FIELDAUDIT_DEMO_ORG";
/// Environment variable with the user name the first-run screen proposes (the demo).
pub const DEMO_USER_ENV: &str = "FIELDAUDIT_DEMO_USER";
/// Preferences file in the data directory (device-local, never synced).
const SETTINGS_FILE: &str = "app-settings.json";

/// Shared state behind every command.
#[derive(Clone)]
pub struct AppState {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The open store; `None` until the device is set up (or when it could not be
    /// opened: then `open_error` says why).
    pub store: Arc<Mutex<Option<Store>>>,
    /// Why the data directory's store could not be opened at start-up, when it
    /// exists but is unusable (a database from a newer FieldAudit, a damaged file, a
    /// folder without permission). `None` when it opened or is simply not set up.
    pub open_error: Option<UiError>,
    /// The facility-list preview shown for review, applied as shown.
    pub import_preview: Arc<Mutex<Option<ImportPreview>>>,
    /// Set to ask a running sync to stop.
    pub cancel_sync: Arc<AtomicBool>,
    /// Set while a sync runs: a second one (the Sync button during an automatic
    /// sync) is refused instead of running alongside it.
    pub sync_running: Arc<AtomicBool>,
    /// The interviewer's draft key while drafts are unlocked (never on disk); it
    /// locks itself when left idle.
    pub interview_key: Arc<Mutex<Option<UnlockedDrafts>>>,
    /// The reviewer's identity while in reviewer mode (never on disk).
    pub reviewer_identity: Arc<Mutex<Option<ReviewerIdentity>>>,
}

/// Device-local UI preferences. A field missing from the file (written by an older
/// version) takes its default; the others are kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(default)]
pub struct Preferences {
    /// UI language (`en`, `zh-Hans`, `bn`, `vi`, `hi`).
    pub language: String,
    /// Whether first-run setup has been completed (connected or offline).
    pub set_up: bool,
    /// Whether the app syncs by itself while signed in (on by default).
    pub auto_sync: bool,
}

impl Default for Preferences {
    fn default() -> Preferences {
        Preferences {
            language: String::new(),
            set_up: false,
            auto_sync: true,
        }
    }
}

impl AppState {
    /// State for a data directory, opening its store if it has one.
    pub fn new(data_dir: PathBuf) -> AppState {
        let (store, open_error) = match Store::open(&data_dir) {
            Ok(store) => (Some(store), None),
            Err(CoreError::NotInitialised(_)) => (None, None),
            Err(e) => (None, Some(UiError::from(e))),
        };
        AppState {
            data_dir,
            store: Arc::new(Mutex::new(store)),
            open_error,
            import_preview: Arc::new(Mutex::new(None)),
            cancel_sync: Arc::new(AtomicBool::new(false)),
            sync_running: Arc::new(AtomicBool::new(false)),
            interview_key: Arc::new(Mutex::new(None)),
            reviewer_identity: Arc::new(Mutex::new(None)),
        }
    }

    /// The store slot, locked (call on a blocking thread).
    pub fn lock_store(&self) -> CmdResult<MutexGuard<'_, Option<Store>>> {
        self.store.lock().map_err(|_| poisoned())
    }

    /// Runs `f` with the open store on a blocking thread. Without a store it fails
    /// with why the store could not be opened, or else that the device is not set up.
    pub async fn with_store<T: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> CmdResult<T> + Send + 'static) -> CmdResult<T> {
        let store = self.store.clone();
        let open_error = self.open_error.clone();
        blocking(move || {
            let mut guard = store.lock().map_err(|_| poisoned())?;
            match guard.as_mut() {
                Some(s) => f(s),
                None => Err(open_error.unwrap_or_else(|| UiError::new("This device is not set up yet.", "Finish the first-run screen: connect to a server or choose to work offline."))),
            }
        })
        .await
    }

    /// Reads the preferences (defaults when missing or unreadable).
    pub fn preferences(&self) -> Preferences {
        read_preferences(&self.data_dir)
    }

    /// Writes the preferences.
    pub fn save_preferences(&self, p: &Preferences) -> CmdResult<()> {
        let text = serde_json::to_string_pretty(p).map_err(|e| {
            UiError::new(format!("Could not encode the settings: {e}."), "Try again.")
        })?;
        std::fs::create_dir_all(&self.data_dir)
            .and_then(|_| std::fs::write(self.data_dir.join(SETTINGS_FILE), text))
            .map_err(|e| {
                UiError::new(
                    format!(
                        "Could not save the settings in {}: {e}.",
                        self.data_dir.display()
                    ),
                    "Check that the disk is not full and the folder is writable.",
                )
            })
    }
}

/// Runs blocking work (the store, files, the network) on a blocking thread, so the
/// UI's event loop never waits on it: every command that does such work goes
/// through here.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> CmdResult<T> + Send + 'static) -> CmdResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| UiError::new(format!("A background task stopped unexpectedly ({e})."), "Try again; your saved work is safe on this device."))?
}

/// A lock left poisoned by a panic in an earlier command.
fn poisoned() -> UiError {
    UiError::new("The app's database handle was left in a bad state by an earlier failure.", "Close and reopen FieldAudit; your saved answers are safe.")
}

fn read_preferences(dir: &Path) -> Preferences {
    let mut p: Preferences = std::fs::read_to_string(dir.join(SETTINGS_FILE))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    if p.language.is_empty() {
        p.language = "en".into();
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferences_round_trip_and_default_to_english() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = AppState::new(dir.path().to_owned());
        assert_eq!(
            state.preferences(),
            Preferences {
                language: "en".into(),
                set_up: false,
                auto_sync: true
            }
        );
        state
            .save_preferences(&Preferences {
                language: "vi".into(),
                set_up: true,
                auto_sync: false,
            })
            .expect("save");
        assert_eq!(
            state.preferences(),
            Preferences {
                language: "vi".into(),
                set_up: true,
                auto_sync: false
            }
        );
        std::fs::write(dir.path().join(SETTINGS_FILE), "not json").expect("write");
        assert_eq!(
            state.preferences().language,
            "en",
            "a broken file falls back to defaults"
        );
    }

    #[test]
    fn a_damaged_database_says_so_instead_of_asking_to_set_up_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(AppState::new(dir.path().to_owned()).open_error, None, "an empty folder is simply not set up");
        drop(Store::create(dir.path(), "Dhaka laptop 2").expect("create"));
        assert_eq!(AppState::new(dir.path().to_owned()).open_error, None, "a good store opens");
        let db = dir.path().join(fieldaudit_core::store::DB_FILE);
        std::fs::write(&db, b"this is not a SQLite database, it was overwritten by something else").expect("damage");
        let state = AppState::new(dir.path().to_owned());
        let error = state.open_error.expect("the damage is reported");
        assert!(!error.message.contains("not set up"), "{error:?}");
        assert!(state.store.lock().expect("lock").is_none());
    }

    #[test]
    fn a_settings_file_from_before_auto_sync_keeps_its_values_and_syncs_by_itself() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(SETTINGS_FILE),
            r#"{ "language": "bn", "set_up": true }"#,
        )
        .expect("write");
        let state = AppState::new(dir.path().to_owned());
        assert_eq!(
            state.preferences(),
            Preferences {
                language: "bn".into(),
                set_up: true,
                auto_sync: true
            }
        );
    }
}
