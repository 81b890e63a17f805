//! Raw-SQLite baselines: the same rows inserted with plain rusqlite, no change log,
//! no merge state, no HTTP — the floor FieldAudit's own numbers are compared with.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use fieldaudit_protocol::Change;
use rusqlite::Connection;

fn open(dir: &std::path::Path, synchronous: &str) -> Result<Connection> {
    let conn = Connection::open(dir.join("baseline.sqlite3"))
        .context("cannot open the baseline database")?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", synchronous)?;
    Ok(conn)
}

/// Scenario 1's baseline: one transaction per answer row inserted into a table
/// shaped like the device's `answer` table, WAL and `synchronous` (`FULL` as the
/// device store). Returns each insert's latency.
pub fn answer_inserts(n: usize, synchronous: &str) -> Result<Vec<Duration>> {
    let dir = tempfile::tempdir()?;
    let mut conn = open(dir.path(), synchronous)?;
    conn.execute_batch(
        "CREATE TABLE answer (id TEXT PRIMARY KEY, audit_id TEXT, template_id TEXT, item_id TEXT, instance_id TEXT, value TEXT, note TEXT, deleted INTEGER) STRICT",
    )?;
    let audit = uuid::Uuid::now_v7().to_string();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        let tx = conn.transaction()?;
        tx.prepare_cached("INSERT INTO answer (id, audit_id, template_id, item_id, instance_id, value, deleted) VALUES (?1, ?2, ?3, ?4, NULL, ?5, 0)")?
            .execute((uuid::Uuid::now_v7().to_string(), &audit, "fire-safety", format!("item_{i}"), "\"yes\""))?;
        tx.commit()?;
        out.push(t.elapsed());
    }
    Ok(out)
}

/// Scenarios 2–4's baseline: the changes bulk-inserted in one transaction into a
/// table shaped like the server's `change_log`, WAL and `synchronous=NORMAL` as the
/// server's SQLite store. Returns the time taken.
pub fn bulk_changes(changes: &[Change], device_id: uuid::Uuid) -> Result<Duration> {
    let dir = tempfile::tempdir()?;
    let mut conn = open(dir.path(), "NORMAL")?;
    conn.execute_batch(
        "CREATE TABLE change_log (server_seq INTEGER PRIMARY KEY, device_id TEXT NOT NULL, device_seq INTEGER NOT NULL, hlc TEXT NOT NULL,
         entity TEXT NOT NULL, row_id TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, UNIQUE (device_id, device_seq))",
    )?;
    let device = device_id.to_string();
    let t = Instant::now();
    let tx = conn.transaction()?;
    {
        let mut q = tx.prepare("INSERT INTO change_log (device_id, device_seq, hlc, entity, row_id, field, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?;
        for c in changes {
            q.execute((
                &device,
                c.device_seq as i64,
                c.hlc.to_string(),
                &c.entity,
                c.row_id.to_string(),
                &c.field,
                c.value.to_string(),
            ))?;
        }
    }
    tx.commit()?;
    Ok(t.elapsed())
}
