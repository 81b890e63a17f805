//! A test device: a real fieldaudit-core data directory that signs in and syncs
//! over HTTP like the app does.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use fieldaudit_core::sync::{self, RetryPolicy, SyncOptions, SyncReport};
use fieldaudit_core::{Result, Store};
use serde_json::Value;

/// A device with its own data directory.
pub struct Device {
    /// The data directory.
    pub dir: tempfile::TempDir,
    /// Retries per request.
    pub retry: RetryPolicy,
}

impl Device {
    /// A fresh device.
    pub fn new(name: &str) -> Device {
        let dir = tempfile::tempdir().expect("temp dir");
        Store::create(dir.path(), name).expect("create device store");
        Device {
            dir,
            retry: RetryPolicy {
                attempts: 4,
                base_delay: Duration::from_millis(2),
                max_delay: Duration::from_millis(40),
                timeout: Duration::from_secs(20),
            },
        }
    }

    /// Opens the device's store.
    pub fn store(&self) -> Store {
        Store::open(self.dir.path()).expect("open device store")
    }

    /// Signs in as `user` of `org` (test password).
    pub fn login(&self, url: &str, org: &str, user: &str) {
        sync::login(self.dir.path(), url, org, user, crate::server::PASSWORD).expect("login");
    }

    /// Points the stored session at another server address (same token).
    pub fn switch_server(&self, url: &str) {
        let mut s = sync::session::load(self.dir.path())
            .expect("session")
            .expect("signed in");
        s.server_url = url.to_owned();
        sync::session::save(self.dir.path(), &s).expect("save session");
    }

    /// One sync.
    pub fn sync(&self) -> Result<SyncReport> {
        sync::sync(
            self.dir.path(),
            SyncOptions { retry: self.retry },
            &|_| {},
            &AtomicBool::new(false),
        )
    }

    /// Syncs until one sync succeeds (at most `tries` attempts), as a person would retry.
    pub fn sync_until_ok(&self, tries: usize) -> SyncReport {
        let mut last = None;
        for _ in 0..tries {
            match self.sync() {
                Ok(r) => return r,
                Err(e) => last = Some(e),
            }
        }
        panic!("sync kept failing: {last:?}");
    }

    /// Every synced row on the device, by entity.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<Value>> {
        self.store().snapshot().expect("snapshot")
    }
}
