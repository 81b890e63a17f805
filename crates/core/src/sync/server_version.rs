//! Which server this device last talked to, and whether this app is too old for it.
//!
//! At sign-in and at the start of each sync the device reads the server's
//! `GET /healthz` (its version and the sync protocol version it speaks) and keeps it
//! in the local sync bookkeeping, so Settings can show it offline too. A server
//! whose protocol version is higher than this app's
//! ([`fieldaudit_protocol::PROTOCOL_VERSION`]) may send or expect what this app does
//! not understand: the app warns its user to update.

use fieldaudit_protocol::api::Health;
use serde::Serialize;

use crate::{Result, Store};

const SERVER_VERSION: &str = "server_version";
const SERVER_PROTOCOL: &str = "server_protocol_version";
const SERVER_SEEN_AT: &str = "server_version_seen_at";

/// This app and the server it last reached, for Settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VersionInfo {
    /// This app's version.
    pub app_version: String,
    /// The sync protocol version this app speaks.
    pub app_protocol_version: u32,
    /// The server's version, once it was reached.
    pub server_version: Option<String>,
    /// The protocol version the server speaks, once it was reached.
    pub server_protocol_version: Option<u32>,
    /// When that was read (RFC 3339).
    pub server_seen_at: Option<String>,
    /// The server speaks a newer protocol than this app: update the app.
    pub update_app: bool,
}

/// What a server speaking `server_protocol` means for an app speaking `app_protocol`:
/// true when the app should be updated.
pub fn app_needs_update(app_protocol: u32, server_protocol: u32) -> bool {
    server_protocol > app_protocol
}

/// Keeps what the server said about itself.
pub(super) fn record(store: &mut Store, health: &Health) -> Result<()> {
    store.set_sync_state(SERVER_VERSION, &health.version)?;
    store.set_sync_state(SERVER_PROTOCOL, &health.protocol_version.to_string())?;
    store.set_sync_state(SERVER_SEEN_AT, &chrono::Utc::now().to_rfc3339())
}

impl Store {
    /// This app's version and the last server's, with whether the app needs an update.
    pub fn version_info(&self) -> Result<VersionInfo> {
        let app_protocol_version = fieldaudit_protocol::PROTOCOL_VERSION;
        let server_protocol_version = self
            .sync_state(SERVER_PROTOCOL)?
            .and_then(|v| v.parse().ok());
        Ok(VersionInfo {
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            app_protocol_version,
            server_version: self.sync_state(SERVER_VERSION)?,
            server_protocol_version,
            server_seen_at: self.sync_state(SERVER_SEEN_AT)?,
            update_app: server_protocol_version
                .is_some_and(|s| app_needs_update(app_protocol_version, s)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_server_protocol_asks_for_an_update_and_an_older_one_does_not() {
        assert!(app_needs_update(1, 2));
        assert!(!app_needs_update(2, 2));
        assert!(!app_needs_update(3, 2));
    }

    #[test]
    fn the_last_server_seen_is_kept_and_judged() {
        let dir = tempfile::tempdir().expect("dir");
        let mut store = Store::create(dir.path(), "laptop").expect("store");
        let before = store.version_info().expect("info");
        assert_eq!(before.server_version, None);
        assert!(!before.update_app);
        assert_eq!(
            before.app_protocol_version,
            fieldaudit_protocol::PROTOCOL_VERSION
        );
        let newer = Health {
            status: "ok".into(),
            backend: "sqlite".into(),
            version: "9.1.0".into(),
            protocol_version: fieldaudit_protocol::PROTOCOL_VERSION + 1,
        };
        record(&mut store, &newer).expect("record");
        let info = store.version_info().expect("info");
        assert_eq!(info.server_version.as_deref(), Some("9.1.0"));
        assert_eq!(
            info.server_protocol_version,
            Some(fieldaudit_protocol::PROTOCOL_VERSION + 1)
        );
        assert!(info.update_app);
        record(
            &mut store,
            &Health {
                protocol_version: fieldaudit_protocol::PROTOCOL_VERSION,
                ..newer
            },
        )
        .expect("record");
        assert!(!store.version_info().expect("info").update_app);
    }
}
