//! Test harness for end-to-end sync: real `fieldaudit-server` instances on loopback
//! (embedded SQLite or PostgreSQL), devices that are real `fieldaudit-core` stores
//! in temporary directories, and a fault-injecting HTTP proxy between them.

pub mod device;
pub mod proxy;
pub mod server;

pub use device::Device;
pub use proxy::{Faults, Proxy};
pub use server::{Backend, Cluster};

/// The environment variable naming the PostgreSQL server for tests.
pub const PG_ENV: &str = "FIELDAUDIT_TEST_DATABASE_URL";

/// The PostgreSQL base URL, or `None` (after saying the test is skipped). With
/// `CI=true` a missing URL fails the test: CI must never skip PostgreSQL silently.
pub fn pg_base_url() -> Option<String> {
    match std::env::var(PG_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "{PG_ENV} is not set but CI=true: PostgreSQL tests must run in CI"
            );
            eprintln!("skipped: set {PG_ENV} (e.g. postgres://postgres@127.0.0.1:5432/test) to run the PostgreSQL sync tests");
            None
        }
    }
}

/// How many random cases a property test runs: `FIELDAUDIT_SYNC_CASES`, else `default`.
pub fn cases(default: u64) -> u64 {
    std::env::var("FIELDAUDIT_SYNC_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Every change of the organisation the token's device may see, page by page
/// (the server leaves out the device's own changes).
pub fn pull_all(url: &str, token: &str) -> Vec<fieldaudit_protocol::PulledChange> {
    let http = reqwest::blocking::Client::new();
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page: fieldaudit_protocol::PullResponse = http
            .get(format!("{url}/api/v1/sync/pull?after={after}&limit=1000"))
            .bearer_auth(token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        out.extend(page.changes);
        after = page.next_cursor;
        if !page.more {
            return out;
        }
    }
}
