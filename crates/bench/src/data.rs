//! Devices and the data they write.
//!
//! Bulk data is answer rows written through the core store API ([`Store::write`] /
//! `Writer::set`), four fields each (`audit_id`, `item_id`, `value`, `note`), so
//! N field changes are N/4 answer rows, all in one bench audit ([`bench_audit`], a
//! row of one field): the server records every row of an audit under its audit
//! (need-to-know sync), so an answer has to name one. The change-log volume is
//! what matters here.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use fieldaudit_core::sync::{self, RetryPolicy};
use fieldaudit_core::Store;
use fieldaudit_protocol::EntityKind;
use serde_json::json;
use uuid::Uuid;

use crate::server::{ORG, PASSWORD, USER};

/// Fields per bulk answer row.
pub const FIELDS_PER_ROW: usize = 4;

/// A fresh device data directory.
pub fn new_device(name: &str) -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    Store::create(dir.path(), name).context("cannot create a device store")?;
    Ok(dir)
}

/// Signs a device in to the server as the bench's admin user [`USER`].
pub fn login(dir: &Path, url: &str) -> Result<()> {
    login_as(dir, url, USER)
}

/// Signs a device in to the server as `user` (password [`PASSWORD`]).
pub fn login_as(dir: &Path, url: &str, user: &str) -> Result<()> {
    sync::login(dir, url, ORG, user, PASSWORD)
        .with_context(|| format!("sign-in of {user} to {url} failed"))?;
    Ok(())
}

/// Writes the audit the bulk answers belong to: one change (`deleted` = false).
pub fn bench_audit(store: &mut Store) -> Result<Uuid> {
    let id = Uuid::now_v7();
    store
        .write(|w| w.set(EntityKind::Audit, id, &[("deleted", json!(false))]))
        .context("writing the bench audit through the store failed")?;
    Ok(id)
}

/// Writes about `changes` field changes (rounded up to whole rows) of answers of
/// `audit` in transactions of `rows_per_tx` rows; returns the number of changes written.
pub fn write_answers(
    store: &mut Store,
    audit: Uuid,
    changes: usize,
    rows_per_tx: usize,
) -> Result<usize> {
    let rows = changes.div_ceil(FIELDS_PER_ROW);
    let mut done = 0;
    while done < rows {
        let n = rows_per_tx.min(rows - done);
        store
            .write(|w| {
                for i in done..done + n {
                    w.set(EntityKind::Answer, Uuid::now_v7(), &answer_fields(audit, i))?;
                }
                Ok(())
            })
            .context("writing answers through the store failed")?;
        done += n;
    }
    Ok(rows * FIELDS_PER_ROW)
}

/// The four fields of bulk answer `i` of `audit` (its `audit_id` first, as the app
/// writes it, so the server learns the row's audit from the first op).
pub fn answer_fields(audit: Uuid, i: usize) -> [(&'static str, serde_json::Value); FIELDS_PER_ROW] {
    [
        ("audit_id", json!(audit.to_string())),
        ("item_id", json!(format!("equipment.item_{}", i % 97))),
        ("value", json!(if i % 3 == 0 { "no" } else { "yes" })),
        (
            "note",
            json!(format!("checked on the floor, line {}", i % 13)),
        ),
    ]
}

/// Retry policy for the benchmark's syncs: one attempt, so any failure counts.
pub fn strict_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 1,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(10),
        timeout: Duration::from_secs(300),
    }
}
