//! The OS keyring as the home of the interview draft key (Secret Service on
//! Linux desktops, the Keychain on macOS, Credential Manager on Windows).
//!
//! When the keyring works the first time drafts are unlocked on a device, a random
//! 32-byte key is stored there under the device's id and the device's
//! `interview_key` row records `os-keyring-v1` instead of a passphrase salt; from
//! then on drafts open whenever the interviewer's desktop session is unlocked.
//! Where there is no keyring (a bare window manager, a locked or missing Secret
//! Service) the interviewer chooses a passphrase instead ([`super::crypto`]). The
//! key is never in the database file either way.
//!
//! Built with the `os-keyring` feature (the app and the CLI); without it (the
//! server) there is no keyring and every device uses a passphrase.

use uuid::Uuid;

use crate::{CoreError, Result};

/// The `interview_key.kdf` value of a device whose key is in the OS keyring.
pub(crate) const KEYRING_KDF: &str = "os-keyring-v1";

/// The keyring entry's service name (what the user sees in their keyring manager).
const SERVICE: &str = "FieldAudit interview drafts";

#[cfg(feature = "os-keyring")]
fn entry(device_id: Uuid) -> keyring::Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, &device_id.to_string())
}

/// Stores `key` for this device and reads it back. `false` when there is no
/// usable keyring (the caller then asks for a passphrase).
#[cfg(feature = "os-keyring")]
pub(crate) fn store(device_id: Uuid, key: &[u8; 32]) -> bool {
    let Ok(e) = entry(device_id) else {
        return false;
    };
    if e.set_secret(key).is_err() {
        return false;
    }
    match e.get_secret() {
        Ok(back) if back.as_slice() == key.as_slice() => true,
        _ => {
            let _ = e.delete_credential();
            false
        }
    }
}

/// The device's key from the keyring, or an error saying what to do.
#[cfg(feature = "os-keyring")]
pub(crate) fn load(device_id: Uuid) -> Result<[u8; 32]> {
    let unavailable = |why: String| {
        CoreError::Invalid(format!(
            "the interview key of this device is kept in the system keyring, which cannot be read now ({why}); unlock your desktop session's keyring (log out and in again) and retry"
        ))
    };
    let e = entry(device_id).map_err(|e| unavailable(e.to_string()))?;
    match e.get_secret() {
        Ok(bytes) => bytes.try_into().map_err(|_| {
            CoreError::Invalid("the interview key in the system keyring was changed by another program; unfinished drafts on this device cannot be opened any more (finalised interviews are not affected)".into())
        }),
        Err(keyring::Error::NoEntry) => Err(CoreError::Invalid(
            "the interview key of this device was removed from the system keyring; unfinished drafts on this device cannot be opened any more (finalised interviews are not affected)".into(),
        )),
        Err(e) => Err(unavailable(e.to_string())),
    }
}

/// Removes the device's key from the keyring (tests, and a device being wiped).
#[cfg(feature = "os-keyring")]
pub fn forget(device_id: Uuid) {
    if let Ok(e) = entry(device_id) {
        let _ = e.delete_credential();
    }
}

/// Without the `os-keyring` feature there is no keyring: the passphrase is used.
#[cfg(not(feature = "os-keyring"))]
pub(crate) fn store(_device_id: Uuid, _key: &[u8; 32]) -> bool {
    false
}

/// Without the `os-keyring` feature a keyring device's drafts cannot be opened.
#[cfg(not(feature = "os-keyring"))]
pub(crate) fn load(_device_id: Uuid) -> Result<[u8; 32]> {
    Err(CoreError::Invalid(format!(
        "this device keeps its interview key in the system keyring, and this build of FieldAudit has no keyring support; open the interviews in the FieldAudit app ({SERVICE})"
    )))
}

/// Without the `os-keyring` feature there is nothing to forget.
#[cfg(not(feature = "os-keyring"))]
pub fn forget(_device_id: Uuid) {}
