//! [`Writer`]: the one write path for synced rows (row update + change log + merge
//! version, in one transaction).

use fieldaudit_protocol::{lock, registry, Clock, EntityKind, ValueType};
use rusqlite::{Connection, OptionalExtension, Transaction};
use serde_json::Value;
use uuid::Uuid;

use super::columns::{self, Bind};
use crate::{CoreError, Result};

/// Records a field's merge version (who wrote it, when).
pub(super) const FIELD_VERSION_UPSERT: &str = "INSERT INTO field_version (entity, row_id, field, hlc, device_id) VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (entity, row_id, field) DO UPDATE SET hlc = excluded.hlc, device_id = excluded.device_id";

/// A write transaction on the local store. Dropped without [`Store::write`]
/// finishing, it rolls back.
///
/// [`Store::write`]: super::Store::write
pub struct Writer<'a> {
    tx: Transaction<'a>,
    device_id: Uuid,
    clock: &'a Clock,
}

impl<'a> Writer<'a> {
    pub(super) fn new(tx: Transaction<'a>, device_id: Uuid, clock: &'a Clock) -> Self {
        Writer {
            tx,
            device_id,
            clock,
        }
    }

    pub(super) fn commit(self) -> Result<()> {
        Ok(self.tx.commit()?)
    }

    /// Read access inside the transaction (sees this transaction's writes).
    pub fn conn(&self) -> &Connection {
        &self.tx
    }

    /// Sets fields of one row, creating the row if it does not exist. Each field
    /// whose value actually changes gets a change-log entry and a new merge version;
    /// unchanged fields write nothing. Returns how many fields changed.
    pub fn set(
        &mut self,
        entity: EntityKind,
        row_id: Uuid,
        fields: &[(&str, Value)],
    ) -> Result<usize> {
        let current = columns::read_row(&self.tx, entity, row_id)?;
        if current.is_none() {
            self.tx
                .prepare_cached(&format!("INSERT INTO {entity} (id) VALUES (?1)"))?
                .execute([row_id.to_string()])?;
        }
        let mut changed = 0;
        // A new row names its audit (or parent) first, so the server knows where
        // it belongs before its other fields arrive, even across push batches.
        let mut ordered: Vec<&(&str, Value)> = fields.iter().collect();
        if current.is_none() {
            if let Some(scope_field) = fieldaudit_protocol::scope::scope_field(entity) {
                ordered.sort_by_key(|(f, _)| *f != scope_field);
            }
        }
        for (field, value) in ordered {
            let (_, spec) = registry::validate(entity.as_str(), field, value)?;
            if let ValueType::Ref(target) = spec.ty {
                if let Some(id) = value.as_str() {
                    let exists: bool = self
                        .tx
                        .prepare_cached(&format!(
                            "SELECT EXISTS (SELECT 1 FROM {target} WHERE id = ?1)"
                        ))?
                        .query_row([id], |r| r.get(0))?;
                    if !exists {
                        return Err(CoreError::not_found(target.as_str(), id));
                    }
                }
            }
            let old = current
                .as_ref()
                .and_then(|row| row.get(*field))
                .unwrap_or(&Value::Null);
            if old == value && current.is_some() {
                continue;
            }
            if lock::audit_link(entity).is_some() {
                self.refuse_if_signed(entity, row_id, field, fields, current.as_ref())?;
            }
            let sql_value = columns::to_sql(spec, value);
            self.tx
                .prepare_cached(&format!("UPDATE {entity} SET {field} = ?1 WHERE id = ?2"))?
                .execute((Bind(&sql_value), row_id.to_string()))?;
            self.log(entity, row_id, field, value)?;
            changed += 1;
        }
        Ok(changed)
    }

    /// Refuses a change to what a sign-off covers while the audit is signed off
    /// ([`fieldaudit_protocol::lock`], the rule the server applies too).
    fn refuse_if_signed(
        &self,
        entity: EntityKind,
        row_id: Uuid,
        field: &str,
        fields: &[(&str, Value)],
        current: Option<&serde_json::Map<String, Value>>,
    ) -> Result<()> {
        let read = |e: EntityKind, r: Uuid, f: &str| -> Option<Value> {
            if e == entity && r == row_id {
                if let Some((_, v)) = fields.iter().find(|(name, _)| *name == f) {
                    return Some(v.clone());
                }
                return Some(
                    current
                        .and_then(|row| row.get(f))
                        .cloned()
                        .unwrap_or(Value::Null),
                );
            }
            let row = columns::read_row(&self.tx, e, r).ok().flatten();
            Some(row.and_then(|mut row| row.remove(f)).unwrap_or(Value::Null))
        };
        if let Ok(Some(audit)) = lock::is_locked(entity, row_id, field, &read) {
            return Err(CoreError::Invalid(format!(
                "audit {audit} is signed off, so what it recorded is read-only here and on the server ({entity}.{field} was not changed). To change it, reopen it for correction with a reason (`fieldaudit audit reopen {audit} --reason \"…\"`, or Reopen for correction on the Findings screen); the lead auditor or a reviewer can, and the audit is then signed off again"
            )));
        }
        Ok(())
    }

    /// Writes a field's current value again with a fresh stamp (a new change-log
    /// entry and merge version) although it did not change: the earlier entry's
    /// stamp was refused. Returns false when the row or field is gone.
    pub(crate) fn restamp(
        &mut self,
        entity: EntityKind,
        row_id: Uuid,
        field: &str,
    ) -> Result<bool> {
        let Some(row) = columns::read_row(&self.tx, entity, row_id)? else {
            return Ok(false);
        };
        let Some(value) = row.get(field).cloned() else {
            return Ok(false);
        };
        self.log(entity, row_id, field, &value)?;
        Ok(true)
    }

    /// [`Writer::restamp`] for a change a person takes back in: refused while
    /// what it changes is covered by a standing sign-off.
    pub(crate) fn restamp_checked(
        &mut self,
        entity: EntityKind,
        row_id: Uuid,
        field: &str,
    ) -> Result<bool> {
        let current = columns::read_row(&self.tx, entity, row_id)?;
        if current.is_none() {
            return Ok(false);
        }
        if lock::audit_link(entity).is_some() {
            self.refuse_if_signed(entity, row_id, field, &[], current.as_ref())?;
        }
        self.restamp(entity, row_id, field)
    }

    /// Appends one change-log entry and records the field's new merge version.
    fn log(&mut self, entity: EntityKind, row_id: Uuid, field: &str, value: &Value) -> Result<()> {
        let hlc = self.clock.now().to_string();
        let seq: i64 = self
            .tx
            .prepare_cached("UPDATE device SET last_seq = last_seq + 1 RETURNING last_seq")?
            .query_row([], |r| r.get(0))?;
        self.tx
            .prepare_cached("INSERT INTO change_log (device_seq, hlc, entity, row_id, field, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
            .execute((seq, &hlc, entity.as_str(), row_id.to_string(), field, value.to_string()))?;
        self.tx.prepare_cached(FIELD_VERSION_UPSERT)?.execute((
            entity.as_str(),
            row_id.to_string(),
            field,
            &hlc,
            self.device_id.to_string(),
        ))?;
        Ok(())
    }

    /// Renumbers this device's change-log entries from `from` on so that they
    /// continue after `server_watermark`, and moves the device's counter past both;
    /// returns how many entries moved. Entries keep their order, stamps and values;
    /// only their `device_seq` changes (quarantine entries at those numbers follow).
    ///
    /// For a data folder restored from an older copy: the server already holds
    /// changes of this device id up to `server_watermark`, some under the numbers
    /// this copy went on to use, so entries from `from` on would be taken as
    /// duplicates and dropped. The log stays gap-free as the server sees it (it has
    /// `..=server_watermark`, these follow), but this device's own log lacks the
    /// numbers it never wrote. `from` must be at most one past the last entry and
    /// at most one past `server_watermark`.
    pub(crate) fn renumber_own_changes(&mut self, from: u64, server_watermark: u64) -> Result<u64> {
        let last: i64 = self
            .tx
            .query_row("SELECT last_seq FROM device", [], |r| r.get(0))?;
        let last = last as u64;
        if from == 0 || from > last + 1 || from > server_watermark + 1 {
            return Err(CoreError::Invalid(format!(
                "cannot renumber this device's changes from {from} (last change {last}, server watermark {server_watermark})"
            )));
        }
        let delta = server_watermark + 1 - from;
        let moved = last + 1 - from;
        if delta > 0 && moved > 0 {
            let (from_i, delta_i) = (from as i64, delta as i64);
            // Through negative numbers, so no entry lands on one not yet moved.
            for table in ["change_log", "quarantine"] {
                self.tx.execute(
                    &format!(
                        "UPDATE {table} SET device_seq = -(device_seq + ?2) WHERE device_seq >= ?1"
                    ),
                    (from_i, delta_i),
                )?;
                self.tx.execute(
                    &format!("UPDATE {table} SET device_seq = -device_seq WHERE device_seq < 0"),
                    [],
                )?;
            }
        }
        let new_last = if moved > 0 {
            last + delta
        } else {
            last.max(server_watermark)
        };
        self.tx
            .execute("UPDATE device SET last_seq = ?1", [new_last as i64])?;
        Ok(if delta > 0 { moved } else { 0 })
    }

    /// Moves this device's clock past a stamp seen elsewhere.
    pub(super) fn observe(&self, hlc: fieldaudit_protocol::Hlc) {
        self.clock.observe(hlc);
    }

    /// Whether a row exists (and is not a tombstone).
    pub fn exists(&self, entity: EntityKind, row_id: Uuid) -> Result<bool> {
        let deleted: Option<Option<i64>> = self
            .tx
            .prepare_cached(&format!("SELECT deleted FROM {entity} WHERE id = ?1"))?
            .query_row([row_id.to_string()], |r| r.get(0))
            .optional()?;
        Ok(matches!(deleted, Some(None | Some(0))))
    }
}
