//! The device's local store: one SQLite database under the data directory.
//!
//! Every write goes through [`Store::write`], which hands a [`Writer`] to the caller
//! inside one SQLite transaction. [`Writer::set`] is the only way to change a synced
//! row: it updates the row's columns and, in the same transaction, appends one
//! `change_log` entry per changed field (gap-free `device_seq`, a fresh HLC stamp)
//! and records the field's merge version. A crash before commit leaves nothing; after
//! commit the answer is on disk (WAL, `synchronous=FULL`).
//!
//! The one other change to the log: when sync finds that the server already holds
//! changes of this device under numbers its unpushed entries use (the data folder
//! was restored from an older copy), it renumbers those entries past the server's
//! watermark (`Writer::renumber_own_changes`). The numbers stay gap-free as the
//! server sees them; this device's own log then lacks the ones it never wrote.

mod columns;
mod remote;
mod writer;

use std::path::{Path, PathBuf};

use chrono::Utc;
use fieldaudit_protocol::{Clock, EntityKind, Hlc};
use rusqlite::{Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use uuid::Uuid;

pub(crate) use columns::decode;
pub use columns::{row_from_sql, select_rows};
pub use remote::{conflict_id, ApplyOutcome, ApplyStats};
pub use writer::Writer;

use crate::{CoreError, Result};

/// The database file's name inside a data directory.
pub const DB_FILE: &str = "fieldaudit.db";

/// The device's local database and clock.
pub struct Store {
    conn: Connection,
    data_dir: PathBuf,
    device_id: Uuid,
    clock: Clock,
}

impl Store {
    /// Creates a data directory (if needed) with a new device identity, or opens the
    /// existing one unchanged.
    pub fn create(data_dir: &Path, device_name: &str) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            CoreError::io(
                format!("cannot create data directory {}", data_dir.display()),
                e,
            )
        })?;
        let conn = crate::db::open(&data_dir.join(DB_FILE))?;
        let has_device: bool =
            conn.query_row("SELECT EXISTS (SELECT 1 FROM device)", [], |r| r.get(0))?;
        if !has_device {
            let name = device_name.trim();
            if name.is_empty() {
                return Err(CoreError::Invalid(
                    "device name is empty; give the laptop a name such as \"Dhaka laptop 2\""
                        .into(),
                ));
            }
            conn.execute(
                "INSERT INTO device (singleton, device_id, device_name, created_at) VALUES (1, ?1, ?2, ?3)",
                (Uuid::now_v7().to_string(), name, Utc::now().to_rfc3339()),
            )?;
        }
        drop(conn);
        Store::open(data_dir)
    }

    /// Opens an existing data directory.
    pub fn open(data_dir: &Path) -> Result<Store> {
        let path = data_dir.join(DB_FILE);
        if !path.exists() {
            return Err(CoreError::NotInitialised(data_dir.to_owned()));
        }
        let conn = crate::db::open(&path)?;
        let device: Option<String> = conn
            .query_row("SELECT device_id FROM device", [], |r| r.get(0))
            .optional()?;
        let device = device.ok_or_else(|| CoreError::NotInitialised(data_dir.to_owned()))?;
        let device_id = Uuid::parse_str(&device).map_err(|e| CoreError::Corrupt {
            entity: "device".into(),
            field: "device_id".into(),
            reason: e.to_string(),
        })?;
        // Seed the clock from the newest stamp stored, so it never goes backwards
        // even when the laptop's wall clock does.
        let newest: Option<String> =
            conn.query_row("SELECT max(hlc) FROM field_version", [], |r| r.get(0))?;
        let seed = newest.and_then(|s| s.parse::<Hlc>().ok());
        let clock = Clock::new(device_id, seed);
        Ok(Store {
            conn,
            data_dir: data_dir.to_owned(),
            device_id,
            clock,
        })
    }

    /// Restarts the clock from `seed` instead of the newest stamp stored: for
    /// re-stamping writes made while the wall clock was far ahead
    /// ([`Store::restamp_future_changes`]), whose stamps must not carry over.
    pub(crate) fn reset_clock(&mut self, seed: Option<Hlc>) {
        self.clock = Clock::new(self.device_id, seed);
    }

    /// This device's id (stamps every change it makes).
    pub fn device_id(&self) -> Uuid {
        self.device_id
    }

    /// The device's display name.
    pub fn device_name(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("SELECT device_name FROM device", [], |r| r.get(0))?)
    }

    /// The data directory this store lives in.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Runs `f` in one transaction; everything it writes commits together or not at all.
    pub fn write<T>(&mut self, f: impl FnOnce(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut writer = Writer::new(tx, self.device_id, &self.clock);
        let out = f(&mut writer)?;
        writer.commit()?;
        Ok(out)
    }

    /// Read access for queries. Never used to write synced rows.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// One row as a JSON object (`id` plus every registry field), if it exists.
    pub fn row(&self, entity: EntityKind, id: Uuid) -> Result<Option<Map<String, Value>>> {
        columns::read_row(&self.conn, entity, id)
    }

    /// One row decoded into a model type.
    pub fn get<T: DeserializeOwned>(&self, entity: EntityKind, id: Uuid) -> Result<Option<T>> {
        self.row(entity, id)?
            .map(|m| columns::decode(entity, m))
            .transpose()
    }

    /// The highest `device_seq` this device has used (its next change gets the
    /// next number). Usually the last change-log entry's; after a restored copy
    /// caught up with the server, possibly a number only the server has.
    pub fn last_device_seq(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT last_seq FROM device", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// This device's change-log entries after `after`, at most `limit`, in order.
    pub fn changes_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<fieldaudit_protocol::Change>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT device_seq, hlc, entity, row_id, field, value FROM change_log WHERE device_seq > ?1 ORDER BY device_seq LIMIT ?2",
        )?;
        let rows = stmt.query_map((after as i64, limit as i64), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, hlc, entity, row_id, field, value) = row?;
            let corrupt = |reason: String| CoreError::Corrupt {
                entity: "change_log".into(),
                field: seq.to_string(),
                reason,
            };
            out.push(fieldaudit_protocol::Change {
                device_seq: seq as u64,
                hlc: hlc
                    .parse()
                    .map_err(|e: fieldaudit_protocol::hlc::ParseHlcError| corrupt(e.to_string()))?,
                entity,
                row_id: Uuid::parse_str(&row_id).map_err(|e| corrupt(e.to_string()))?,
                field,
                value: serde_json::from_str(&value).map_err(|e| corrupt(e.to_string()))?,
            });
        }
        Ok(out)
    }

    /// Reads a sync bookkeeping value.
    pub fn sync_state(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM sync_state WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Stores a sync bookkeeping value (local only; not a synced row).
    pub fn set_sync_state(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;

impl Store {
    /// The id of the live row of `entity` whose id is, or ends with, `text` (at
    /// least 8 characters), so people can type the short id lists show. (UUIDv7s
    /// made in the same minute share their first characters, so the short form is
    /// the random end, not the start.)
    pub fn resolve_id(&self, entity: EntityKind, text: &str) -> Result<Uuid> {
        let text = text.trim().to_ascii_lowercase();
        if let Ok(id) = Uuid::parse_str(&text) {
            return Ok(id);
        }
        if text.len() < 8 || !text.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return Err(CoreError::Invalid(format!("{text:?} is not a {entity} id; give the id (or its last 8 or more characters) as listed")));
        }
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT id FROM {entity} WHERE id LIKE '%' || ?1 AND coalesce(deleted, 0) = 0 LIMIT 2"
        ))?;
        let ids: Vec<String> = stmt
            .query_map([&text], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        match ids.as_slice() {
            [one] => Uuid::parse_str(one).map_err(|e| CoreError::Corrupt {
                entity: entity.to_string(),
                field: "id".into(),
                reason: e.to_string(),
            }),
            [] => Err(CoreError::not_found(entity.as_str(), text)),
            _ => Err(CoreError::Invalid(format!(
                "{text:?} matches several {entity} ids; give more characters"
            ))),
        }
    }
}

impl Store {
    /// Every synced row, by entity, in id order: for comparing replicas in tests and
    /// for diagnostics.
    pub fn snapshot(&self) -> Result<std::collections::BTreeMap<String, Vec<Value>>> {
        let mut out = std::collections::BTreeMap::new();
        for entity in EntityKind::ALL {
            let rows = select_rows(&self.conn, entity, "1 = 1 ORDER BY id", [])?;
            out.insert(
                entity.as_str().to_owned(),
                rows.into_iter().map(Value::Object).collect(),
            );
        }
        Ok(out)
    }
}
