//! Applying changes made on other devices (pulled from the server or read from a
//! sneakernet file) with the shared merge rule: a field takes the incoming value
//! only when the incoming `(hlc, device_id)` is newer than the version it holds.
//!
//! When the field's current value is this device's own write made since its last
//! completed pull, and the incoming value differs, both devices changed the field
//! without seeing each other's change: the losing value is kept in a `conflict` row
//! (whichever side wins). Conflict rows sync like any other row and their id is
//! derived from the losing write, so the two devices that detect one conflict
//! make one row.

use fieldaudit_protocol::closed_sets::ConflictStatus;
use fieldaudit_protocol::{registry, should_apply, EntityKind, PulledChange, ValueType, Version};
use rusqlite::OptionalExtension;
use serde_json::{json, Value};
use uuid::Uuid;

use super::columns::{self, Bind};
use super::{Store, Writer};
use crate::Result;

/// What happened to one remote change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The field took the incoming value.
    Applied,
    /// The field already holds a newer (or the same) version; nothing changed.
    Stale,
    /// The change is not valid for this build's registry; it was skipped.
    Invalid,
}

/// Counts of what applying a batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApplyStats {
    /// Fields that took the incoming value.
    pub applied: u64,
    /// Changes older than what the field holds.
    pub stale: u64,
    /// Changes this build does not understand (skipped).
    pub invalid: u64,
    /// Concurrent edits kept as conflict rows.
    pub conflicts: u64,
}

impl ApplyStats {
    fn add(&mut self, outcome: ApplyOutcome, conflict: bool) {
        match outcome {
            ApplyOutcome::Applied => self.applied += 1,
            ApplyOutcome::Stale => self.stale += 1,
            ApplyOutcome::Invalid => self.invalid += 1,
        }
        self.conflicts += conflict as u64;
    }
}

/// The id of the conflict row for a losing write.
pub fn conflict_id(entity: &str, row_id: Uuid, field: &str, loser: &Version) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_OID,
        format!(
            "fieldaudit-conflict/{entity}/{row_id}/{field}/{}/{}",
            loser.hlc, loser.device_id
        )
        .as_bytes(),
    )
}

impl Store {
    /// Applies remote changes in one transaction. Local writes with a `device_seq`
    /// above `unsynced_after` count as concurrent with what arrives (see the module
    /// doc). `then` runs in the same transaction (e.g. to store the pull cursor), so
    /// a crash never separates the changes from the bookkeeping.
    pub fn apply_remote_batch(
        &mut self,
        changes: &[PulledChange],
        unsynced_after: u64,
        then: impl FnOnce(&mut Writer<'_>) -> Result<()>,
    ) -> Result<ApplyStats> {
        let device = self.device_id;
        self.write(|w| {
            let mut stats = ApplyStats::default();
            let mut touched = Vec::new();
            for pulled in changes {
                let (outcome, conflict) = w.apply_remote(pulled, device, unsynced_after)?;
                stats.add(outcome, conflict);
                if outcome == ApplyOutcome::Applied {
                    touched.push((pulled.change.entity.as_str(), pulled.change.row_id));
                }
            }
            // Findings follow answers: merged answers may fail or pass differently
            // than on any one device, so re-derive them here.
            crate::audits::reconcile_touched(w, &touched)?;
            then(w)?;
            Ok(stats)
        })
    }

    /// Applies remote changes (every local write counts as already synced).
    pub fn apply_remote(&mut self, changes: &[PulledChange]) -> Result<Vec<ApplyOutcome>> {
        let device = self.device_id;
        self.write(|w| {
            changes
                .iter()
                .map(|c| w.apply_remote(c, device, u64::MAX).map(|(o, _)| o))
                .collect()
        })
    }
}

/// Whether concurrent edits of this field are worth a person's review. Fields a
/// device derives from other rows (an item finding's status and severity follow its
/// answer) and the conflict rows themselves converge without anyone's decision.
fn keeps_conflicts(entity: EntityKind, field: &str) -> bool {
    match entity {
        EntityKind::Conflict => false,
        EntityKind::Finding => field == "description",
        _ => true,
    }
}

impl Writer<'_> {
    /// Applies one remote change; returns what happened and whether a conflict was kept.
    pub(super) fn apply_remote(
        &mut self,
        pulled: &PulledChange,
        me: Uuid,
        unsynced_after: u64,
    ) -> Result<(ApplyOutcome, bool)> {
        let c = &pulled.change;
        self.observe(c.hlc);
        let Ok((entity, spec)) = registry::validate(&c.entity, &c.field, &c.value) else {
            return Ok((ApplyOutcome::Invalid, false));
        };
        let row_id = c.row_id.to_string();
        let tx = self.conn();
        let current: Option<(String, String)> = tx
            .prepare_cached("SELECT hlc, device_id FROM field_version WHERE entity = ?1 AND row_id = ?2 AND field = ?3")?
            .query_row((entity.as_str(), &row_id, spec.name), |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let current = current.and_then(|(h, d)| {
            Some(Version {
                hlc: h.parse().ok()?,
                device_id: d.parse().ok()?,
            })
        });
        let incoming = pulled.version();
        let apply = should_apply(current.as_ref(), &incoming);

        // A concurrent local edit of the same field?
        let mut conflict = false;
        if let Some(local) = current
            .filter(|v| v.device_id == me && *v != incoming && keeps_conflicts(entity, spec.name))
        {
            let local_seq: Option<i64> = tx
                .prepare_cached("SELECT max(device_seq) FROM change_log WHERE entity = ?1 AND row_id = ?2 AND field = ?3")?
                .query_row((entity.as_str(), &row_id, spec.name), |r| r.get(0))?;
            if local_seq.is_some_and(|s| s as u64 > unsynced_after) {
                let local_value = columns::read_row(tx, entity, c.row_id)?
                    .and_then(|mut r| r.remove(spec.name))
                    .unwrap_or(Value::Null);
                if local_value != c.value {
                    let ((w_val, w_ver), (l_val, l_ver)) = if apply {
                        ((c.value.clone(), incoming), (local_value, local))
                    } else {
                        ((local_value, local), (c.value.clone(), incoming))
                    };
                    let id = conflict_id(entity.as_str(), c.row_id, spec.name, &l_ver);
                    if columns::read_row(self.conn(), EntityKind::Conflict, id)?.is_none() {
                        self.set(
                            EntityKind::Conflict,
                            id,
                            &[
                                ("entity", json!(entity.as_str())),
                                ("row_id", json!(row_id)),
                                ("field", json!(spec.name)),
                                ("winner_value", w_val),
                                ("winner_device", json!(w_ver.device_id.to_string())),
                                ("winner_hlc", json!(w_ver.hlc.to_string())),
                                ("loser_value", l_val),
                                ("loser_device", json!(l_ver.device_id.to_string())),
                                ("loser_hlc", json!(l_ver.hlc.to_string())),
                                ("status", json!(ConflictStatus::Open)),
                                ("deleted", json!(false)),
                            ],
                        )?;
                    }
                    conflict = true;
                }
            }
        }
        if !apply {
            return Ok((ApplyOutcome::Stale, conflict));
        }
        let tx = self.conn();
        // Rows arrive field by field and possibly before their parent: make sure
        // the referenced parent row exists so the foreign key holds.
        if let (ValueType::Ref(target), Some(parent)) = (spec.ty, c.value.as_str()) {
            tx.prepare_cached(&format!(
                "INSERT INTO {target} (id) VALUES (?1) ON CONFLICT (id) DO NOTHING"
            ))?
            .execute([parent])?;
        }
        tx.prepare_cached(&format!(
            "INSERT INTO {entity} (id) VALUES (?1) ON CONFLICT (id) DO NOTHING"
        ))?
        .execute([&row_id])?;
        let sql_value = columns::to_sql(spec, &c.value);
        tx.prepare_cached(&format!(
            "UPDATE {entity} SET {} = ?1 WHERE id = ?2",
            spec.name
        ))?
        .execute((Bind(&sql_value), &row_id))?;
        tx.prepare_cached(super::writer::FIELD_VERSION_UPSERT)?
            .execute((
                entity.as_str(),
                &row_id,
                spec.name,
                incoming.hlc.to_string(),
                incoming.device_id.to_string(),
            ))?;
        Ok((ApplyOutcome::Applied, conflict))
    }
}
