//! An audit stays as it was signed: which fields a sign-off covers, how a row
//! leads to its audit, and the one check the device's store and the server's push
//! both run.
//!
//! Signing an audit off sets its `locked` field; *Reopen for correction* clears it
//! (recorded as a `reopening` row that voids the sign-offs before it). While an
//! audit is locked, a change to a signed field of it, or of any row that belongs
//! to it, is refused: by the device's store with a message that says how to
//! reopen, by the server with [`crate::RejectCode::AuditSigned`] (the device then
//! keeps the op in its quarantine with that reason, so an edit made offline before
//! the sign-off was known is kept, not lost, and can be taken in after reopening).
//!
//! A sign-off covers what was recorded at the closing meeting: the audit's own
//! facts and the site's acknowledgement, checklists, repeat instances, answers and
//! notes, findings as raised with the site's agreed/disputed answer, the CAP as
//! agreed (root cause, actions, owner, deadlines, production blocking), fee records
//! and the audit's photos. What moves on after sign-off is not covered: review
//! status and decision, CAP progress and verification, follow-up results, supplier
//! responses, CAP evidence files, reimbursement progress.

use serde_json::Value;
use uuid::Uuid;

use crate::registry::EntityKind;
use crate::Change;

/// The audit field that says the audit is signed off and not reopened.
pub const LOCK_FIELD: &str = "locked";

/// Attachment subjects added after sign-off (CAP and follow-up evidence): their
/// files are not covered by the sign-off.
pub const AFTER_SIGNOFF_SUBJECTS: &[&str] =
    &["corrective_action", "verification", "supplier_response"];

/// How a row of an entity leads to the audit it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditLink {
    /// The row is the audit.
    Itself,
    /// The row's `audit_id` field.
    AuditId,
    /// Through a parent row named by `field`, of entity `parent`.
    Via {
        /// The field naming the parent row.
        field: &'static str,
        /// The parent's entity.
        parent: EntityKind,
    },
}

/// Entities a sign-off covers (some of their fields; see [`is_signed`]).
pub const SIGNED_ENTITIES: &[EntityKind] = &[
    EntityKind::Audit,
    EntityKind::RepeatInstance,
    EntityKind::Answer,
    EntityKind::Finding,
    EntityKind::CorrectiveAction,
    EntityKind::Attachment,
    EntityKind::FeeRecord,
    EntityKind::Fee,
];

/// How rows of `entity` lead to their audit, for entities a sign-off covers: the
/// placement of [`crate::scope::scope_source`], so the lock and the need-to-know
/// scope agree on every row's audit.
pub fn audit_link(entity: EntityKind) -> Option<AuditLink> {
    use crate::scope::ScopeSource;
    if !SIGNED_ENTITIES.contains(&entity) {
        return None;
    }
    match crate::scope::scope_source(entity) {
        ScopeSource::ItsOwnAudit => Some(AuditLink::Itself),
        ScopeSource::AuditField("audit_id") => Some(AuditLink::AuditId),
        ScopeSource::Parent { field, entity } => Some(AuditLink::Via {
            field,
            parent: entity,
        }),
        ScopeSource::AuditField(_) | ScopeSource::Organisation | ScopeSource::ConflictTarget => {
            None
        }
    }
}

/// Whether a sign-off covers `entity.field`. For attachments the answer depends on
/// what the file is attached to (`subject_kind`): CAP and follow-up evidence is not
/// covered.
pub fn is_signed(entity: EntityKind, field: &str, subject_kind: Option<&str>) -> bool {
    match entity {
        EntityKind::Audit => {
            matches!(
                field,
                "facility_id"
                    | "checklists"
                    | "audit_type"
                    | "notice"
                    | "start_date"
                    | "end_date"
                    | "auditors"
                    | "deleted"
            ) || matches!(field, "site_rep_name" | "site_rep_role" | "follow_up_of")
        }
        EntityKind::RepeatInstance | EntityKind::Answer | EntityKind::Fee => true,
        EntityKind::Finding => !matches!(
            field,
            "follow_up_status" | "verified_in" | "verified_by" | "verified_on" | "recurrence_of"
        ),
        EntityKind::CorrectiveAction => {
            !matches!(field, "status" | "evidence" | "verification_method" | "closed_on")
        }
        EntityKind::FeeRecord => !matches!(
            field,
            "reimbursement_status" | "reimbursed_amount" | "reimbursed_currency" | "reimbursed_on"
        ),
        EntityKind::Attachment => {
            !subject_kind.is_some_and(|k| AFTER_SIGNOFF_SUBJECTS.contains(&k))
        }
        _ => false,
    }
}

/// Reads a field's current value: `Some(Value::Null)` when the field or row is
/// absent, `None` when the reader does not know yet (the server fetches and asks
/// again).
pub type FieldReader<'a> = dyn Fn(EntityKind, Uuid, &str) -> Option<Value> + 'a;

/// The audit a row belongs to, following [`audit_link`]; `Ok(None)` when it
/// belongs to none (yet), `Err(())` when `read` did not know a value on the way.
pub fn audit_of(entity: EntityKind, row: Uuid, read: &FieldReader<'_>) -> Result<Option<Uuid>, ()> {
    let id = |v: Value| v.as_str().and_then(|s| Uuid::parse_str(s).ok());
    match audit_link(entity) {
        None => Ok(None),
        Some(AuditLink::Itself) => Ok(Some(row)),
        Some(AuditLink::AuditId) => Ok(id(read(entity, row, "audit_id").ok_or(())?)),
        Some(AuditLink::Via { field, parent }) => match id(read(entity, row, field).ok_or(())?) {
            Some(p) => Ok(id(read(parent, p, "audit_id").ok_or(())?)),
            None => Ok(None),
        },
    }
}

/// Whether `entity.field` of `row` is covered by a sign-off of a locked audit;
/// `Err(())` when `read` did not know a value needed to decide.
pub fn is_locked(
    entity: EntityKind,
    row: Uuid,
    field: &str,
    read: &FieldReader<'_>,
) -> Result<Option<Uuid>, ()> {
    if audit_link(entity).is_none() {
        return Ok(None);
    }
    let subject_kind = if entity == EntityKind::Attachment {
        read(entity, row, "subject_kind").ok_or(())?
    } else {
        Value::Null
    };
    if !is_signed(entity, field, subject_kind.as_str()) {
        return Ok(None);
    }
    let Some(audit) = audit_of(entity, row, read)? else {
        return Ok(None);
    };
    let locked = read(EntityKind::Audit, audit, LOCK_FIELD).ok_or(())?;
    Ok((locked == Value::Bool(true)).then_some(audit))
}

/// The outcome of checking a pushed batch against sign-offs.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BatchCheck {
    /// `(device_seq, audit)` of each op refused because its audit is signed.
    pub refused: Vec<(u64, Uuid)>,
    /// Fields `read` did not know; fetch them and check again.
    pub missing: Vec<(EntityKind, Uuid, String)>,
}

/// Checks a batch in order against sign-offs: an op is refused when it changes a
/// signed field of a locked audit, where "locked" and the rows' parents are as
/// the earlier accepted ops of the batch left them (so a device's own edits before
/// its sign-off pass, and its edits after a reopen in the same batch pass too).
pub fn check_batch(changes: &[Change], read: &FieldReader<'_>) -> BatchCheck {
    let mut overlay: std::collections::HashMap<(EntityKind, Uuid, String), Value> =
        std::collections::HashMap::new();
    // What each new attachment of the batch is attached to, whichever of its ops
    // comes first (a row's subject is set when it is made and never changes).
    let subjects: std::collections::HashMap<Uuid, &Value> = changes
        .iter()
        .filter(|c| c.entity == EntityKind::Attachment.as_str() && c.field == "subject_kind")
        .map(|c| (c.row_id, &c.value))
        .collect();
    let missing = std::cell::RefCell::new(Vec::new());
    let mut out = BatchCheck::default();
    for c in changes {
        let Some(entity) = EntityKind::parse(&c.entity) else {
            continue;
        };
        let decision = {
            let lookup = |e: EntityKind, r: Uuid, f: &str| {
                let v = overlay.get(&(e, r, f.to_owned())).cloned().or_else(|| {
                    let v = read(e, r, f);
                    if v.is_none() {
                        missing.borrow_mut().push((e, r, f.to_owned()));
                    }
                    v
                });
                match (v, subjects.get(&r)) {
                    // A new attachment (no subject stored yet): the batch says.
                    (Some(Value::Null), Some(subject))
                        if e == EntityKind::Attachment && f == "subject_kind" =>
                    {
                        Some((*subject).clone())
                    }
                    (v, _) => v,
                }
            };
            is_locked(entity, c.row_id, &c.field, &lookup)
        };
        match decision {
            Ok(Some(audit)) => out.refused.push((c.device_seq, audit)),
            Ok(None) => {
                overlay.insert((entity, c.row_id, c.field.clone()), c.value.clone());
            }
            Err(()) => {}
        }
    }
    out.missing = missing.into_inner();
    out.missing
        .sort_by(|a, b| (a.0.as_str(), a.1, &a.2).cmp(&(b.0.as_str(), b.1, &b.2)));
    out.missing.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Hlc;
    use serde_json::json;
    use std::collections::HashMap;

    fn op(seq: u64, entity: &str, row: Uuid, field: &str, value: Value) -> Change {
        Change {
            device_seq: seq,
            hlc: Hlc(seq),
            entity: entity.into(),
            row_id: row,
            field: field.into(),
            value,
        }
    }

    #[test]
    fn every_signed_entity_finds_its_audit_as_the_scope_places_it() {
        for e in EntityKind::ALL {
            assert_eq!(
                audit_link(e).is_some(),
                SIGNED_ENTITIES.contains(&e),
                "{e}: covered by a sign-off exactly when it leads to its audit"
            );
            if !SIGNED_ENTITIES.contains(&e) {
                assert!(
                    ["status", "deleted", "audit_id", "note"]
                        .iter()
                        .all(|f| !is_signed(e, f, None)),
                    "{e} is not signed"
                );
            }
        }
    }

    #[test]
    fn signed_fields_are_what_the_closing_meeting_recorded() {
        assert!(is_signed(EntityKind::Answer, "value", None));
        assert!(is_signed(EntityKind::Finding, "site_response", None));
        assert!(!is_signed(EntityKind::Finding, "follow_up_status", None));
        assert!(is_signed(
            EntityKind::CorrectiveAction,
            "corrective_action",
            None
        ));
        assert!(!is_signed(EntityKind::CorrectiveAction, "status", None));
        assert!(
            !is_signed(EntityKind::Audit, "status", None)
                && !is_signed(EntityKind::Audit, LOCK_FIELD, None)
        );
        assert!(is_signed(EntityKind::Attachment, "caption", Some("answer")));
        assert!(!is_signed(
            EntityKind::Attachment,
            "caption",
            Some("corrective_action")
        ));
        assert!(!is_signed(EntityKind::Signoff, "digest", None));
    }

    #[test]
    fn a_batch_is_checked_in_order_against_the_lock() {
        let (audit, answer, finding, action) = (
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            Uuid::from_u128(3),
            Uuid::from_u128(4),
        );
        let server: HashMap<(EntityKind, Uuid, &str), Value> = HashMap::from([
            ((EntityKind::Audit, audit, LOCK_FIELD), json!(true)),
            (
                (EntityKind::Answer, answer, "audit_id"),
                json!(audit.to_string()),
            ),
            (
                (EntityKind::Finding, finding, "audit_id"),
                json!(audit.to_string()),
            ),
            (
                (EntityKind::CorrectiveAction, action, "finding_id"),
                json!(finding.to_string()),
            ),
        ]);
        let read = |e: EntityKind, r: Uuid, f: &str| {
            Some(server.get(&(e, r, f)).cloned().unwrap_or(Value::Null))
        };
        let batch = vec![
            op(1, "answer", answer, "value", json!("yes")),
            op(2, "corrective_action", action, "status", json!("done")),
            op(
                3,
                "corrective_action",
                action,
                "corrective_action",
                json!("unchain"),
            ),
            op(4, "audit", audit, LOCK_FIELD, json!(false)),
            op(5, "answer", answer, "note", json!("after reopening")),
            op(6, "audit", audit, LOCK_FIELD, json!(true)),
            op(7, "answer", answer, "note", json!("after signing again")),
        ];
        let check = check_batch(&batch, &read);
        assert_eq!(check.refused, vec![(1, audit), (3, audit), (7, audit)]);
        assert!(check.missing.is_empty());

        // What the reader does not know is asked for, not guessed.
        let unknown = |_: EntityKind, _: Uuid, _: &str| None;
        let check = check_batch(&batch[..1], &unknown);
        assert!(check.refused.is_empty());
        assert_eq!(
            check.missing,
            vec![(EntityKind::Answer, answer, "audit_id".to_owned())]
        );
    }

    #[test]
    fn evidence_attached_after_sign_off_passes_whatever_the_order_of_its_ops() {
        let (audit, action, photo, evidence, old) = (
            Uuid::from_u128(1),
            Uuid::from_u128(4),
            Uuid::from_u128(5),
            Uuid::from_u128(6),
            Uuid::from_u128(7),
        );
        let server: HashMap<(EntityKind, Uuid, &str), Value> = HashMap::from([
            ((EntityKind::Audit, audit, LOCK_FIELD), json!(true)),
            ((EntityKind::Attachment, old, "audit_id"), json!(audit.to_string())),
            ((EntityKind::Attachment, old, "subject_kind"), json!("answer")),
        ]);
        let read = |e: EntityKind, r: Uuid, f: &str| {
            Some(server.get(&(e, r, f)).cloned().unwrap_or(Value::Null))
        };
        let a = audit.to_string();
        let batch = vec![
            // A new CAP photo: its audit first, its subject after (as devices send them).
            op(1, "attachment", evidence, "audit_id", json!(a)),
            op(2, "attachment", evidence, "subject_kind", json!("corrective_action")),
            op(3, "attachment", evidence, "subject_id", json!(action.to_string())),
            // A new photo of an answer: covered by the sign-off.
            op(4, "attachment", photo, "audit_id", json!(a)),
            op(5, "attachment", photo, "subject_kind", json!("answer")),
            // An existing answer photo cannot be passed off as CAP evidence.
            op(6, "attachment", old, "subject_kind", json!("corrective_action")),
            op(7, "attachment", old, "caption", json!("moved")),
        ];
        let check = check_batch(&batch, &read);
        assert_eq!(check.refused, vec![(5, audit), (6, audit), (7, audit)]);
    }
}
