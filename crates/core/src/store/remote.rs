//! Applying changes made on other devices (pulled from the server or read from a
//! sneakernet file) with the shared merge rule: a field takes the incoming value
//! only when the incoming `(hlc, device_id)` is newer than the version it holds.

use fieldaudit_protocol::{registry, should_apply, PulledChange, ValueType, Version};
use rusqlite::OptionalExtension;

use super::columns::{self, Bind};
use super::Store;
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

impl Store {
    /// Applies remote changes in one transaction and observes their clocks.
    pub fn apply_remote(&mut self, changes: &[PulledChange]) -> Result<Vec<ApplyOutcome>> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(changes.len());
        for pulled in changes {
            let c = &pulled.change;
            self.clock.observe(c.hlc);
            let Ok((entity, spec)) = registry::validate(&c.entity, &c.field, &c.value) else {
                outcomes.push(ApplyOutcome::Invalid);
                continue;
            };
            let row_id = c.row_id.to_string();
            let current: Option<(String, String)> = tx
                .query_row(
                    "SELECT hlc, device_id FROM field_version WHERE entity = ?1 AND row_id = ?2 AND field = ?3",
                    (entity.as_str(), &row_id, spec.name),
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let current = current.and_then(|(h, d)| Some(Version { hlc: h.parse().ok()?, device_id: d.parse().ok()? }));
            let incoming = pulled.version();
            if !should_apply(current.as_ref(), &incoming) {
                outcomes.push(ApplyOutcome::Stale);
                continue;
            }
            // Rows arrive field by field and possibly before their parent: make sure
            // the referenced parent row exists so the foreign key holds.
            if let (ValueType::Ref(target), Some(parent)) = (spec.ty, c.value.as_str()) {
                tx.execute(&format!("INSERT INTO {target} (id) VALUES (?1) ON CONFLICT (id) DO NOTHING"), [parent])?;
            }
            tx.execute(&format!("INSERT INTO {entity} (id) VALUES (?1) ON CONFLICT (id) DO NOTHING"), [&row_id])?;
            let sql_value = columns::to_sql(spec, &c.value);
            tx.execute(&format!("UPDATE {entity} SET {} = ?1 WHERE id = ?2", spec.name), (Bind(&sql_value), &row_id))?;
            tx.execute(
                "INSERT INTO field_version (entity, row_id, field, hlc, device_id) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (entity, row_id, field) DO UPDATE SET hlc = excluded.hlc, device_id = excluded.device_id",
                (entity.as_str(), &row_id, spec.name, incoming.hlc.to_string(), incoming.device_id.to_string()),
            )?;
            outcomes.push(ApplyOutcome::Applied);
        }
        tx.commit()?;
        Ok(outcomes)
    }
}
