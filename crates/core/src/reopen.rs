//! *Reopen for correction*: the one way to change a signed audit.
//!
//! A signed audit is read-only on every device and on the server
//! ([`fieldaudit_protocol::lock`]). The lead auditor or a reviewer reopens it with a
//! reason; the reopening is a synced row (who, why, when) shown in the audit's and
//! its findings' history, it voids the sign-offs made before it and unlocks the
//! audit, which goes back to draft until it is signed off again. Edits that another
//! laptop made offline before it learned of the sign-off were refused by the
//! server and kept in that laptop's quarantine: after the reopening they can be
//! taken in ([`Store::retake_quarantined`]) or dropped.

use chrono::Utc;
use fieldaudit_protocol::scope::TeamRole;
use fieldaudit_protocol::{api::Role, corrective, lock, EntityKind};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::store::select_rows;
use crate::sync::session;
use crate::{CoreError, Result, Store};

/// A recorded reopening.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReopeningView {
    /// Row id.
    pub id: Uuid,
    /// Who reopened it.
    pub reopened_by: String,
    /// Why.
    pub reason: String,
    /// When (UTC, RFC 3339).
    pub reopened_at: String,
}

/// Who is acting on this device: the signed-in user and role, or, without a
/// session, this device's auditor.
pub(crate) struct Actor {
    pub name: String,
    pub role: Role,
    pub signed_in: bool,
}

pub(crate) fn actor(store: &Store) -> Result<Actor> {
    Ok(match session::load(store.data_dir())? {
        Some(s) => Actor {
            name: s.user.clone(),
            role: Role::parse(&s.role).unwrap_or(Role::Auditor),
            signed_in: true,
        },
        None => Actor {
            name: store.device_name()?,
            role: Role::Auditor,
            signed_in: false,
        },
    })
}

impl Store {
    /// Reopens a signed audit for correction, with a reason: records who and why,
    /// voids its sign-offs and unlocks it (it is back to draft until signed off
    /// again). Only the lead auditor (the lead of the audit's team, or, for an
    /// audit without a team, its first auditor; without a session the device that
    /// signed) or a reviewer may.
    pub fn reopen_audit(&mut self, audit_id: Uuid, reason: &str) -> Result<ReopeningView> {
        let audit = self.audit(audit_id)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(CoreError::Invalid("say why the audit is reopened (at most 500 characters); the reason is kept in its history".into()));
        }
        if audit.locked != Some(true) {
            return Err(CoreError::Invalid(format!(
                "audit {audit_id} is not signed off, so it is open for changes already"
            )));
        }
        let who = actor(self)?;
        let signed_here = select_rows(
            self.conn(),
            EntityKind::Signoff,
            "audit_id = ?1 AND coalesce(voided, 0) = 0 AND coalesce(deleted, 0) = 0",
            [audit_id.to_string()],
        )?
        .iter()
        .any(|r| {
            r.get("signer_device").and_then(Value::as_str)
                == Some(self.device_id().to_string().as_str())
        });
        // The team's lead when the audit has a team (as the server decides),
        // else its first auditor.
        let lead = match self.my_team_role(audit_id)? {
            Ok(team_role) => team_role == Some(TeamRole::Lead),
            Err(()) => audit
                .auditors
                .as_ref()
                .and_then(|a| a.first())
                .is_some_and(|l| l.trim().eq_ignore_ascii_case(who.name.trim())),
        };
        let is_lead = lead || (!who.signed_in && signed_here);
        if !corrective::may_reopen(who.role, is_lead) {
            return Err(CoreError::Invalid(format!(
                "only the lead auditor of this audit or a reviewer may reopen it; {} is signed in as {}",
                who.name, who.role
            )));
        }
        self.record_reopening(audit_id, &who.name, reason)
    }

    /// Records a reopening (checks done by the caller).
    pub(crate) fn record_reopening(
        &mut self,
        audit_id: Uuid,
        by: &str,
        reason: &str,
    ) -> Result<ReopeningView> {
        let view = ReopeningView {
            id: Uuid::now_v7(),
            reopened_by: by.to_owned(),
            reason: reason.to_owned(),
            reopened_at: Utc::now().to_rfc3339(),
        };
        let signoffs = select_rows(
            self.conn(),
            EntityKind::Signoff,
            "audit_id = ?1 AND coalesce(voided, 0) = 0 AND coalesce(deleted, 0) = 0",
            [audit_id.to_string()],
        )?;
        self.write(|w| {
            w.set(
                EntityKind::Reopening,
                view.id,
                &[
                    ("audit_id", json!(audit_id.to_string())),
                    ("reopened_by", json!(view.reopened_by)),
                    ("reason", json!(view.reason)),
                    ("reopened_at", json!(view.reopened_at)),
                    ("deleted", json!(false)),
                ],
            )?;
            for s in &signoffs {
                if let Some(id) = s
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(|s| Uuid::parse_str(s).ok())
                {
                    w.set(EntityKind::Signoff, id, &[("voided", json!(true))])?;
                }
            }
            w.set(
                EntityKind::Audit,
                audit_id,
                &[(lock::LOCK_FIELD, json!(false)), ("status", json!("draft"))],
            )?;
            Ok(())
        })?;
        Ok(view)
    }

    /// The audit's reopenings, oldest first.
    pub fn reopenings(&self, audit_id: Uuid) -> Result<Vec<ReopeningView>> {
        let rows = select_rows(
            self.conn(),
            EntityKind::Reopening,
            "audit_id = ?1 AND coalesce(deleted, 0) = 0 ORDER BY reopened_at, id",
            [audit_id.to_string()],
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let text = |f: &str| {
                    r.get(f)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                Some(ReopeningView {
                    id: Uuid::parse_str(&text("id")).ok()?,
                    reopened_by: text("reopened_by"),
                    reason: text("reason"),
                    reopened_at: text("reopened_at"),
                })
            })
            .collect())
    }

    /// Takes a change the server refused because its audit was signed off back in,
    /// once the audit is reopened: it is sent again with a fresh stamp and leaves
    /// the quarantine. Refused (nothing changes) while the audit is still signed off.
    pub fn retake_quarantined(&mut self, device_seq: u64) -> Result<()> {
        let op = self
            .quarantine()?
            .into_iter()
            .find(|q| q.device_seq == device_seq)
            .ok_or_else(|| CoreError::not_found("quarantined change", device_seq))?;
        let entity = EntityKind::parse(&op.entity).ok_or_else(|| {
            CoreError::Invalid(format!("unknown entity {:?} in the quarantine", op.entity))
        })?;
        let row = Uuid::parse_str(&op.row_id)
            .map_err(|e| CoreError::Invalid(format!("quarantined row id {:?}: {e}", op.row_id)))?;
        self.write(|w| {
            if !w.restamp_checked(entity, row, &op.field)? {
                return Err(CoreError::Invalid(
                    "that row or field is gone on this device; drop the quarantined change instead"
                        .into(),
                ));
            }
            w.conn().execute(
                "DELETE FROM quarantine WHERE device_seq = ?1",
                [device_seq as i64],
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_signed_audit_is_read_only_until_reopened_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), "laptop").unwrap();
        let audit = crate::test_support::fire_safety_audit(&mut store);
        assert!(store
            .reopen_audit(audit, "typo")
            .unwrap_err()
            .to_string()
            .contains("not signed off"));
        store.sign_off_audit(audit, "Rina").unwrap();

        let e = store
            .record_answer(
                audit,
                "fire-safety",
                "equipment.alarm_audible",
                None,
                json!("yes"),
            )
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("signed off") && e.contains("fieldaudit audit reopen"),
            "{e}"
        );
        let e = store
            .set_answer_note(audit, "fire-safety", "equipment.alarm_audible", None, "x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("reopen"), "{e}");
        assert!(
            store.verify_signoffs(audit).unwrap()[0].stands(),
            "nothing changed"
        );
        assert!(store
            .sign_off_audit(audit, "Rina")
            .unwrap_err()
            .to_string()
            .contains("already signed off"));

        assert!(store
            .reopen_audit(audit, "  ")
            .unwrap_err()
            .to_string()
            .contains("why"));
        let r = store
            .reopen_audit(audit, "Exit count on floor 2 was wrong")
            .unwrap();
        assert_eq!(store.reopenings(audit).unwrap(), vec![r]);
        let a = store.audit(audit).unwrap();
        assert_eq!(
            (a.locked, a.status.map(|v| v.as_str())),
            (Some(false), Some("draft"))
        );
        assert!(store.verify_signoffs(audit).unwrap()[0].voided);
        store
            .record_answer(
                audit,
                "fire-safety",
                "equipment.alarm_audible",
                None,
                json!("yes"),
            )
            .unwrap();
        store.sign_off_audit(audit, "Rina").unwrap();
        let checks = store.verify_signoffs(audit).unwrap();
        assert!(!checks[0].stands() && checks[1].stands(), "{checks:?}");
    }

    #[test]
    fn only_the_lead_auditor_or_a_reviewer_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), "laptop").unwrap();
        let audit = crate::test_support::fire_safety_audit(&mut store);
        store.sign_off_audit(audit, "Rina").unwrap();
        let sign_in = |user: &str, role: &str| {
            session::save(
                dir.path(),
                &session::Session {
                    server_url: "http://127.0.0.1:9".into(),
                    organisation: "acme".into(),
                    user: user.into(),
                    role: role.into(),
                    token: "t".into(),
                },
            )
            .unwrap()
        };
        sign_in("tomas", "auditor");
        assert!(store
            .reopen_audit(audit, "fix")
            .unwrap_err()
            .to_string()
            .contains("only the lead auditor"));
        sign_in("rina", "auditor");
        store.reopen_audit(audit, "fix").unwrap();
        store.sign_off_audit(audit, "Rina").unwrap();
        sign_in("lena", "reviewer");
        store.reopen_audit(audit, "photo missing").unwrap();
    }
}
