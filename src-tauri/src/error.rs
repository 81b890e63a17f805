//! What the UI is told when a command fails: a sentence saying what happened and a
//! hint saying what to do, never a raw error code or a stack.

use fieldaudit_core::CoreError;
use serde::Serialize;

/// What kind of failure it was, so the UI can react (go offline, ask for a key…).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum UiErrorKind {
    /// The server cannot be reached; work continues on the device.
    Offline,
    /// The device is not signed in, or its sign-in was revoked or expired.
    SignedOut,
    /// A value or request was refused; nothing was saved.
    Invalid,
    /// What the screen refers to no longer exists.
    NotFound,
    /// The device's database or files could not be read or written.
    Storage,
    /// Interview drafts or the reviewer key are locked.
    Locked,
    /// A sync is already running.
    Busy,
    /// Anything else.
    Other,
}

/// A failure as the UI shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct UiError {
    /// What happened, in plain words.
    pub message: String,
    /// What the person can do about it.
    pub hint: String,
    /// What kind of failure, for the UI to react to.
    pub kind: UiErrorKind,
}

impl UiError {
    /// An error with a message and a hint.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> UiError {
        UiError { message: message.into(), hint: hint.into(), kind: UiErrorKind::Other }
    }

    /// The arguments a command received could not be used.
    pub fn bad_input(what: impl std::fmt::Display) -> UiError {
        UiError::new(format!("The app sent something it cannot use: {what}."), "Reload the screen (Ctrl+R) and try again; if it happens again, report it with what you did.")
    }
}

impl From<CoreError> for UiError {
    fn from(e: CoreError) -> UiError {
        let message = capitalise(&e.to_string());
        use UiErrorKind::*;
        let (kind, hint) = match &e {
            CoreError::NotInitialised(_) => (Storage, "Set up this device first (the first-run screen), or check FIELDAUDIT_DATA_DIR."),
            CoreError::SchemaTooNew { .. } => (Storage, "Install the newest FieldAudit; your data is untouched."),
            CoreError::InvalidValue(_) | CoreError::Invalid(_) => (Invalid, "Correct the value and try again; nothing was saved."),
            CoreError::NotFound { .. } => (NotFound, "It may have been removed, possibly on another device after a sync. Go back and open it again from the list."),
            CoreError::Sqlite(_) | CoreError::Migration(_) => (Storage, "Nothing was saved. Close and reopen FieldAudit; if it persists, check the disk is not full."),
            CoreError::Io { .. } => (Storage, "Check that the disk is not full and the file is readable, then try again."),
            CoreError::Corrupt { .. } => (Storage, "Stored data could not be read. Sync to restore it from the server, or contact your administrator."),
            CoreError::Offline { .. } => (Offline, "Keep working: everything is saved on this device. Sync again when the connection is back."),
            CoreError::NotSignedIn => (SignedOut, "Connect to your organisation's server in Settings."),
            CoreError::SignedOut(_) => (SignedOut, "Sign in again in Settings; your unsynced work stays on this device."),
            CoreError::Server { .. } => (Other, "Try again later; if it keeps failing, send this message to your administrator."),
            CoreError::Cancelled => (Other, "Press Sync when you are ready to continue."),
        };
        UiError { message, hint: hint.into(), kind }
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Result of a command.
pub type CmdResult<T> = Result<T, UiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_become_a_sentence_and_a_hint() {
        let e: UiError = CoreError::Invalid("a facility needs a name".into()).into();
        assert_eq!(e.message, "A facility needs a name");
        assert!(e.hint.contains("nothing was saved"));
        let e: UiError = CoreError::NotInitialised("/tmp/x".into()).into();
        assert!(e.message.starts_with("No FieldAudit data"));
        assert!(e.hint.contains("first-run"));
        let e: UiError = CoreError::Offline { url: "http://127.0.0.1:9".into(), reason: "connection refused".into() }.into();
        assert_eq!(e.kind, UiErrorKind::Offline);
        assert!(e.message.starts_with("Cannot reach the server"));
    }
}
