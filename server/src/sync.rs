//! The push and pull rules, shared by both store backends.
//!
//! A store runs a push as: lock the organisation's sequence counter and read the
//! device's watermark; [`new_ops`] (duplicates skipped, gaps refused);
//! [`validate_ops`] (registry, value types, clock skew); look up who owns the rows
//! and referenced rows; [`authorise`] (rows and references of another organisation
//! are refused); claim new rows; read the current versions of the touched fields;
//! [`winning_writes`] (the protocol's last-writer-wins rule); then write the log,
//! the field state and the new watermark — all in one transaction.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use fieldaudit_protocol::registry::{EntityKind, ValueType};
use fieldaudit_protocol::{
    should_apply, Change, Clock, PullResponse, PulledChange, RejectCode, Rejection, Version,
};
use uuid::Uuid;

use crate::error::PushError;

/// The largest `device_seq` a store can keep (a signed 64-bit column).
pub const MAX_DEVICE_SEQ: u64 = i64::MAX as u64;

/// Server-side limits applied to every pushed op.
#[derive(Clone, Debug)]
pub struct PushPolicy {
    /// How far ahead of the server's clock an op's HLC may be.
    pub max_clock_skew: Duration,
    /// Whether the pushing user may approve or return audits (reviewers and
    /// admins); others' review decisions are refused.
    pub may_review: bool,
    /// Who pushes, for the role matrix ([`crate::scope`]): set for every push from
    /// a device. `None` only for the server's own trusted callers (admin commands,
    /// tests of the store), whose ops are checked for scope but not for role.
    pub pusher: Option<crate::scope::Pusher>,
    /// Ops that change what a standing sign-off covers (device_seq → audit),
    /// found by [`crate::signed`]; they are refused with `audit_signed`.
    pub signed_refusals: HashMap<u64, Uuid>,
}

impl Default for PushPolicy {
    fn default() -> Self {
        PushPolicy {
            max_clock_skew: Duration::from_secs(600),
            may_review: false,
            pusher: None,
            signed_refusals: HashMap::new(),
        }
    }
}

/// The ops of `changes` that are new after `watermark`. Refuses a batch whose
/// `device_seq`s do not strictly increase, and one whose new ops do not continue
/// gap-free from `watermark + 1`.
pub fn new_ops(watermark: u64, changes: &[Change]) -> Result<&[Change], PushError> {
    let mut previous = 0u64;
    for (i, c) in changes.iter().enumerate() {
        if c.device_seq == 0 || c.device_seq > MAX_DEVICE_SEQ {
            return Err(PushError::InvalidBatch(format!(
                "changes[{i}].device_seq is {}; it must be between 1 and {MAX_DEVICE_SEQ}",
                c.device_seq
            )));
        }
        if i > 0 && c.device_seq <= previous {
            return Err(PushError::InvalidBatch(format!(
                "changes[{i}].device_seq {} does not follow {previous}; send changes in strictly increasing device_seq",
                c.device_seq
            )));
        }
        previous = c.device_seq;
    }
    let start = changes
        .iter()
        .position(|c| c.device_seq > watermark)
        .unwrap_or(changes.len());
    let new = &changes[start..];
    for (k, c) in new.iter().enumerate() {
        let expected = watermark + 1 + k as u64;
        if c.device_seq != expected {
            return Err(PushError::SequenceGap {
                expected,
                got: c.device_seq,
            });
        }
    }
    Ok(new)
}

/// An op that passed the registry, type and clock checks.
#[derive(Clone, Debug)]
pub struct ValidOp<'a> {
    /// The op.
    pub change: &'a Change,
    /// Its entity.
    pub entity: EntityKind,
    /// The row its value points at, for `Ref`-typed fields.
    pub reference: Option<Uuid>,
}

/// Checks each op against the registry, its field's value type and the clock-skew
/// limit. Returns the ops that pass and the rejections of the others.
///
/// `from_server_device` is true only for the organisation's own server device
/// (admin commands): reviewer keys decide who can read sealed interviews, so no
/// laptop may add or change one — a stolen laptop could otherwise add its own key.
pub fn validate_ops<'a>(
    ops: &'a [Change],
    policy: &PushPolicy,
    from_server_device: bool,
) -> (Vec<ValidOp<'a>>, Vec<Rejection>) {
    let mut valid = Vec::with_capacity(ops.len());
    let mut rejected = Vec::new();
    let confidential_answers = confidential_answer_rows(ops);
    for change in ops {
        let reject = |code, message: String| Rejection {
            device_seq: change.device_seq,
            code,
            message,
        };
        let Some(entity) = EntityKind::parse(&change.entity) else {
            let known: Vec<_> = EntityKind::ALL.iter().map(|e| e.as_str()).collect();
            rejected.push(reject(
                RejectCode::UnknownEntity,
                format!(
                    "unknown entity {:?}; known entities: {}",
                    change.entity,
                    known.join(", ")
                ),
            ));
            continue;
        };
        if entity == EntityKind::ReviewerKey && !from_server_device {
            rejected.push(reject(
                RejectCode::Forbidden,
                "reviewer keys are registered by an administrator on the server (fieldaudit-server reviewer add); devices cannot change them".into(),
            ));
            continue;
        }
        if fieldaudit_protocol::registry::is_reference_entity(entity)
            && !policy.may_review
            && !from_server_device
        {
            rejected.push(reject(
                RejectCode::Forbidden,
                format!("the {entity} table is imported by an administrator (fieldaudit rates import / fieldaudit risk import); this device's user may not change it"),
            ));
            continue;
        }
        if entity == EntityKind::Answer && confidential_answers.contains(&change.row_id) {
            rejected.push(reject(
                RejectCode::Forbidden,
                "answers to a confidential checklist (worker interviews) are never synced in the clear; record them as an interview, which is sealed to the reviewers (update FieldAudit on this device)".into(),
            ));
            continue;
        }
        if !policy.may_review
            && !from_server_device
            && fieldaudit_protocol::registry::is_review_op(entity, &change.field, &change.value)
        {
            rejected.push(reject(
                RejectCode::Forbidden,
                "only reviewers and admins approve or return audits; sign in as a reviewer to record this decision".into(),
            ));
            continue;
        }
        let Some(spec) = entity.field(&change.field) else {
            let known: Vec<_> = entity.fields().iter().map(|f| f.name).collect();
            rejected.push(reject(
                RejectCode::UnknownField,
                format!(
                    "unknown field {:?} of {entity}; it has {}",
                    change.field,
                    known.join(", ")
                ),
            ));
            continue;
        };
        if let Err(reason) = spec.ty.check(&change.value) {
            rejected.push(reject(
                RejectCode::InvalidValue,
                format!("{entity}.{}: {reason}", change.field),
            ));
            continue;
        }
        if let Err(e) = Clock::check_skew(change.hlc, policy.max_clock_skew) {
            rejected.push(reject(RejectCode::ClockSkew, e.to_string()));
            continue;
        }
        let reference = match spec.ty {
            ValueType::Ref(_) => change.value.as_str().and_then(|s| Uuid::parse_str(s).ok()),
            _ => None,
        };
        valid.push(ValidOp {
            change,
            entity,
            reference,
        });
    }
    (valid, rejected)
}

/// Answer rows that a batch puts under a confidential checklist (the worker
/// interview): all their ops are refused, not only the `template_id` one, so an
/// answer's text never lands on the server without its checklist either.
fn confidential_answer_rows(ops: &[Change]) -> std::collections::HashSet<Uuid> {
    ops.iter()
        .filter(|c| c.entity == EntityKind::Answer.as_str() && c.field == "template_id")
        .filter(|c| {
            c.value.as_str().is_some_and(|id| {
                fieldaudit_templates::builtin_latest(id).is_some_and(|t| t.confidential)
            })
        })
        .map(|c| c.row_id)
        .collect()
}

/// The row ids whose owners [`authorise`] needs: every op's row and every referenced row.
pub fn ids_to_look_up(ops: &[ValidOp<'_>]) -> Vec<Uuid> {
    let mut seen = HashSet::new();
    ops.iter()
        .flat_map(|op| std::iter::once(op.change.row_id).chain(op.reference))
        .filter(|id| seen.insert(*id))
        .collect()
}

/// The outcome of [`authorise`].
#[derive(Debug, Default)]
pub struct Decision<'a> {
    /// Ops to apply, in batch order.
    pub accepted: Vec<ValidOp<'a>>,
    /// Ops refused because they touch another organisation's data.
    pub rejected: Vec<Rejection>,
    /// Rows nobody owned yet that this organisation now claims (first writer owns).
    pub claims: Vec<(Uuid, EntityKind)>,
}

/// Decides which ops the organisation may apply, given the current owners of the
/// rows involved (`owners`: row id → organisation id). A change to a row owned by
/// another organisation, or a reference to one, is refused with `forbidden`.
pub fn authorise<'a>(
    organisation_id: Uuid,
    ops: Vec<ValidOp<'a>>,
    owners: &HashMap<Uuid, Uuid>,
) -> Decision<'a> {
    let mut decision = Decision::default();
    let mut claimed: HashSet<Uuid> = HashSet::new();
    for op in ops {
        let row = op.change.row_id;
        let foreign = |id: Uuid| {
            owners
                .get(&id)
                .is_some_and(|owner| *owner != organisation_id)
        };
        if foreign(row) {
            decision.rejected.push(Rejection {
                device_seq: op.change.device_seq,
                code: RejectCode::Forbidden,
                message: format!("{} {row} belongs to another organisation", op.entity),
            });
            continue;
        }
        if let Some(target) = op.reference.filter(|t| foreign(*t)) {
            decision.rejected.push(Rejection {
                device_seq: op.change.device_seq,
                code: RejectCode::Forbidden,
                message: format!(
                    "{}.{} points at {target}, a row of another organisation",
                    op.entity, op.change.field
                ),
            });
            continue;
        }
        if !owners.contains_key(&row) && claimed.insert(row) {
            decision.claims.push((row, op.entity));
        }
        decision.accepted.push(op);
    }
    decision
}

/// The key of one field of one row.
pub type FieldKey = (String, Uuid, String);

/// The key of the field an op writes.
pub fn field_key(change: &Change) -> FieldKey {
    (change.entity.clone(), change.row_id, change.field.clone())
}

/// The distinct fields the accepted ops write.
pub fn touched_fields(ops: &[ValidOp<'_>]) -> Vec<FieldKey> {
    let mut seen = HashSet::new();
    ops.iter()
        .map(|op| field_key(op.change))
        .filter(|k| seen.insert(k.clone()))
        .collect()
}

/// For each field, the op (if any) whose value becomes the current value, under the
/// protocol's merge rule, given the fields' current versions.
pub fn winning_writes<'a, 'b>(
    ops: &'b [ValidOp<'a>],
    device_id: Uuid,
    current: &HashMap<FieldKey, Version>,
) -> Vec<&'b ValidOp<'a>> {
    let mut best: HashMap<FieldKey, (Version, usize)> = HashMap::new();
    for (i, op) in ops.iter().enumerate() {
        let key = field_key(op.change);
        let incoming = Version {
            hlc: op.change.hlc,
            device_id,
        };
        let held = best
            .get(&key)
            .map(|(v, _)| *v)
            .or_else(|| current.get(&key).copied());
        if should_apply(held.as_ref(), &incoming) {
            best.insert(key, (incoming, i));
        }
    }
    let mut winners: Vec<usize> = best.into_values().map(|(_, i)| i).collect();
    winners.sort_unstable();
    winners.into_iter().map(|i| &ops[i]).collect()
}

/// Merges the refusals of both checks in `device_seq` order.
pub fn all_rejections(mut a: Vec<Rejection>, b: Vec<Rejection>) -> Vec<Rejection> {
    a.extend(b);
    a.sort_by_key(|r| r.device_seq);
    a
}

/// Refuses, with `audit_signed`, the accepted ops that change what a standing
/// sign-off covers ([`PushPolicy::signed_refusals`]). Applied after the role
/// matrix, so a user who may not write an audit at all is told that, and learns
/// nothing about the audit's sign-off.
pub fn refuse_signed<'a>(
    ops: Vec<ValidOp<'a>>,
    policy: &PushPolicy,
) -> (Vec<ValidOp<'a>>, Vec<Rejection>) {
    let mut rejected = Vec::new();
    let kept = ops
        .into_iter()
        .filter(|op| {
            let change = op.change;
            let Some(audit) = policy.signed_refusals.get(&change.device_seq) else {
                return true;
            };
            rejected.push(Rejection {
                device_seq: change.device_seq,
                code: RejectCode::AuditSigned,
                message: format!(
                    "audit {audit} was signed off, so {}.{} cannot change: the lead auditor or a reviewer reopens it for correction (fieldaudit audit reopen {audit} --reason …) to take this change in, or you drop it",
                    op.entity, change.field
                ),
            });
            false
        })
        .collect();
    (kept, rejected)
}

/// The default number of changes in a pull page.
pub const DEFAULT_PULL_LIMIT: u32 = 1000;
/// The largest number of changes in a pull page.
pub const MAX_PULL_LIMIT: u32 = 10_000;
/// About how many bytes of JSON a pull page may hold.
pub const DEFAULT_PULL_MAX_BYTES: usize = 4 * 1024 * 1024;

/// Cuts the rows a store read (up to `limit + 1`, in server order) into one page:
/// at most `limit` changes and about `max_bytes` of JSON, but always at least one.
///
/// `tail` is the organisation's highest `server_seq`, read *before* `rows` (so every
/// change up to it is visible to the read of `rows`: `server_seq` order is commit
/// order). Stores leave the pulling device's own changes out of `rows`; when no
/// more rows remain, the cursor moves to `tail`, past any own changes at the end,
/// so the device does not scan them again on its next pull. When more remain, the
/// cursor is the last change sent: own changes before it are passed too.
pub fn bound_page(
    rows: Vec<PulledChange>,
    after: u64,
    limit: u32,
    max_bytes: usize,
    tail: u64,
) -> PullResponse {
    let limit = limit as usize;
    let mut bytes = 0usize;
    let mut take = 0usize;
    for row in rows.iter().take(limit) {
        let size = approx_json_size(row);
        if take > 0 && bytes + size > max_bytes {
            break;
        }
        bytes += size;
        take += 1;
    }
    let more = rows.len() > take;
    let mut changes = rows;
    changes.truncate(take);
    let last_sent = changes.last().map_or(after, |c| c.server_seq);
    let next_cursor = if more {
        last_sent
    } else {
        last_sent.max(tail).max(after)
    };
    PullResponse {
        changes,
        next_cursor,
        more,
        backfill: Vec::new(),
        scope: None,
    }
}

/// A close upper estimate of a pulled change's JSON size, without serialising it twice.
fn approx_json_size(c: &PulledChange) -> usize {
    // Fixed keys and punctuation, UUIDs, HLC, numbers: about 200 bytes.
    200 + c.change.entity.len() + c.change.field.len() + c.change.value.to_string().len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldaudit_protocol::Hlc;
    use serde_json::json;

    fn change(seq: u64) -> Change {
        Change {
            device_seq: seq,
            hlc: Hlc::from_datetime(chrono::Utc::now()),
            entity: "facility".into(),
            row_id: Uuid::from_u128(seq as u128),
            field: "name".into(),
            value: json!("x"),
        }
    }

    #[test]
    fn new_ops_skips_duplicates_and_refuses_gaps() {
        let batch: Vec<_> = (1..=5).map(change).collect();
        assert_eq!(new_ops(0, &batch).map(|n| n.len()), Ok(5));
        assert_eq!(new_ops(3, &batch).map(|n| n[0].device_seq), Ok(4));
        assert_eq!(new_ops(9, &batch).map(|n| n.len()), Ok(0));
        assert_eq!(
            new_ops(0, &batch[1..]),
            Err(PushError::SequenceGap {
                expected: 1,
                got: 2
            })
        );
        let holed = vec![change(1), change(3)];
        assert_eq!(
            new_ops(0, &holed),
            Err(PushError::SequenceGap {
                expected: 2,
                got: 3
            })
        );
        let backwards = vec![change(2), change(1)];
        assert!(matches!(
            new_ops(0, &backwards),
            Err(PushError::InvalidBatch(_))
        ));
        assert!(matches!(
            new_ops(0, &[change(0)]),
            Err(PushError::InvalidBatch(_))
        ));
    }

    #[test]
    fn validation_names_each_reason() {
        let mut ops: Vec<_> = (1..=5).map(change).collect();
        ops[0].entity = "spaceship".into();
        ops[1].field = "colour".into();
        ops[2].value = json!(42);
        ops[3].hlc = Hlc::from_datetime(chrono::Utc::now() + chrono::Duration::hours(1));
        let (valid, rejected) = validate_ops(&ops, &PushPolicy::default(), false);
        let codes: Vec<_> = rejected.iter().map(|r| (r.device_seq, r.code)).collect();
        assert_eq!(
            codes,
            vec![
                (1, RejectCode::UnknownEntity),
                (2, RejectCode::UnknownField),
                (3, RejectCode::InvalidValue),
                (4, RejectCode::ClockSkew)
            ]
        );
        assert_eq!(valid.len(), 1);
        assert!(
            rejected[1].message.contains("name"),
            "lists the known fields: {}",
            rejected[1].message
        );
    }

    #[test]
    fn foreign_rows_and_references_are_forbidden_and_new_rows_claimed() {
        let (me, other) = (Uuid::from_u128(100), Uuid::from_u128(200));
        let mut ops: Vec<_> = (1..=3).map(change).collect();
        ops[2].entity = "audit".into();
        ops[2].field = "facility_id".into();
        ops[2].value = json!(Uuid::from_u128(9).to_string());
        let owners = HashMap::from([(Uuid::from_u128(2), other), (Uuid::from_u128(9), other)]);
        let (valid, _) = validate_ops(&ops, &PushPolicy::default(), false);
        assert_eq!(ids_to_look_up(&valid).len(), 4);
        let d = authorise(me, valid, &owners);
        assert_eq!(d.accepted.len(), 1);
        assert_eq!(
            d.rejected.iter().map(|r| r.device_seq).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert!(d.rejected.iter().all(|r| r.code == RejectCode::Forbidden));
        assert_eq!(d.claims, vec![(Uuid::from_u128(1), EntityKind::Facility)]);
    }

    #[test]
    fn only_the_newest_write_of_a_field_wins() {
        let dev = Uuid::from_u128(7);
        let mut a = change(1);
        let mut b = change(2);
        b.row_id = a.row_id;
        a.hlc = Hlc(10);
        b.hlc = Hlc(5);
        let ops = [a, b];
        let (valid, _) = validate_ops(&ops, &PushPolicy::default(), false);
        let w = winning_writes(&valid, dev, &HashMap::new());
        assert_eq!(w.len(), 1);
        assert_eq!(
            w[0].change.device_seq, 1,
            "the older stamp must not win even though it came later"
        );
        let newer = HashMap::from([(
            field_key(&ops[0]),
            Version {
                hlc: Hlc(11),
                device_id: dev,
            },
        )]);
        assert!(winning_writes(&valid, dev, &newer).is_empty());
    }

    #[test]
    fn pages_are_bounded_by_count_and_bytes() {
        let rows: Vec<_> = (1..=5)
            .map(|i| PulledChange {
                server_seq: i,
                device_id: Uuid::nil(),
                change: change(i),
            })
            .collect();
        let p = bound_page(rows.clone(), 0, 3, usize::MAX, 9);
        assert_eq!((p.changes.len(), p.next_cursor, p.more), (3, 3, true));
        let p = bound_page(rows.clone(), 0, 10, 1, 9);
        assert_eq!(
            (p.changes.len(), p.next_cursor, p.more),
            (1, 1, true),
            "at least one change per page"
        );
        let p = bound_page(rows.clone(), 0, 10, usize::MAX, 5);
        assert_eq!((p.changes.len(), p.next_cursor, p.more), (5, 5, false));
        let p = bound_page(Vec::new(), 42, 10, usize::MAX, 42);
        assert_eq!((p.next_cursor, p.more), (42, false));
        let p = bound_page(Vec::new(), 42, 10, usize::MAX, 0);
        assert_eq!(
            (p.next_cursor, p.more),
            (42, false),
            "the cursor never goes back"
        );
    }

    #[test]
    fn the_last_page_moves_the_cursor_past_own_changes_left_out() {
        // Changes 1..=3 by others; 4..=9 were the puller's own and were left out.
        let rows: Vec<_> = (1..=3)
            .map(|i| PulledChange {
                server_seq: i,
                device_id: Uuid::nil(),
                change: change(i),
            })
            .collect();
        let p = bound_page(rows.clone(), 0, 10, usize::MAX, 9);
        assert_eq!((p.changes.len(), p.next_cursor, p.more), (3, 9, false));
        let p = bound_page(Vec::new(), 3, 10, usize::MAX, 9);
        assert_eq!(
            (p.changes.len(), p.next_cursor, p.more),
            (0, 9, false),
            "only own changes remained: an empty last page still advances"
        );
        let p = bound_page(rows, 0, 2, usize::MAX, 9);
        assert_eq!(
            (p.next_cursor, p.more),
            (2, true),
            "with more to come the cursor is the last change sent"
        );
    }

    #[test]
    fn only_reviewers_approve_or_return_audits() {
        let audit = Uuid::now_v7();
        let op = |seq, field: &str, value: serde_json::Value| Change {
            device_seq: seq,
            hlc: fieldaudit_protocol::Hlc::from_datetime(chrono::Utc::now()),
            entity: "audit".into(),
            row_id: audit,
            field: field.into(),
            value,
        };
        let ops = vec![
            op(1, "status", serde_json::json!("submitted")),
            op(2, "status", serde_json::json!("approved")),
            op(3, "reviewed_by", serde_json::json!("rina")),
            op(4, "notice", serde_json::json!("announced")),
        ];
        let auditor = PushPolicy::default();
        let (valid, rejected) = validate_ops(&ops, &auditor, false);
        assert_eq!(
            valid
                .iter()
                .map(|v| v.change.device_seq)
                .collect::<Vec<_>>(),
            [1, 4]
        );
        assert_eq!(
            rejected
                .iter()
                .map(|r| (r.device_seq, r.code))
                .collect::<Vec<_>>(),
            [(2, RejectCode::Forbidden), (3, RejectCode::Forbidden)]
        );
        assert!(rejected[0].message.contains("reviewers"));
        let reviewer = PushPolicy {
            may_review: true,
            ..PushPolicy::default()
        };
        assert_eq!(validate_ops(&ops, &reviewer, false).0.len(), 4);
    }

    #[test]
    fn interview_answers_in_the_clear_are_refused_whole() {
        let row = Uuid::now_v7();
        let other = Uuid::now_v7();
        let op = |seq, row_id, field: &str, value: serde_json::Value| Change {
            device_seq: seq,
            hlc: fieldaudit_protocol::Hlc::from_datetime(chrono::Utc::now()),
            entity: "answer".into(),
            row_id,
            field: field.into(),
            value,
        };
        let ops = vec![
            op(1, row, "template_id", serde_json::json!("worker-interview")),
            op(2, row, "value", serde_json::json!("she paid the broker")),
            op(3, other, "template_id", serde_json::json!("fire-safety")),
            op(4, other, "value", serde_json::json!("yes")),
        ];
        let (valid, rejected) = validate_ops(&ops, &PushPolicy::default(), false);
        assert_eq!(
            valid
                .iter()
                .map(|v| v.change.device_seq)
                .collect::<Vec<_>>(),
            [3, 4]
        );
        assert_eq!(
            rejected.iter().map(|r| r.device_seq).collect::<Vec<_>>(),
            [1, 2]
        );
        assert!(rejected
            .iter()
            .all(|r| r.code == RejectCode::Forbidden && r.message.contains("interview")));
    }

    #[test]
    fn only_the_server_device_may_write_reviewer_keys() {
        let op = Change {
            device_seq: 1,
            hlc: fieldaudit_protocol::Hlc::from_datetime(chrono::Utc::now()),
            entity: "reviewer_key".into(),
            row_id: Uuid::now_v7(),
            field: "reviewer".into(),
            value: serde_json::json!("Mallory"),
        };
        let ops = vec![op];
        let (valid, rejected) = validate_ops(&ops, &PushPolicy::default(), false);
        assert!(valid.is_empty());
        assert_eq!(rejected[0].code, RejectCode::Forbidden);
        assert!(rejected[0].message.contains("administrator"));
        let (valid, rejected) = validate_ops(&ops, &PushPolicy::default(), true);
        assert_eq!((valid.len(), rejected.len()), (1, 0));
    }

    #[test]
    fn only_reviewers_and_admins_may_write_reference_tables() {
        let ops = vec![Change {
            device_seq: 1,
            hlc: fieldaudit_protocol::Hlc::from_datetime(chrono::Utc::now()),
            entity: "exchange_rate".into(),
            row_id: Uuid::now_v7(),
            field: "rate".into(),
            value: serde_json::json!("0.0085"),
        }];
        let (valid, rejected) = validate_ops(&ops, &PushPolicy::default(), false);
        assert!(valid.is_empty());
        assert_eq!(rejected[0].code, RejectCode::Forbidden);
        assert!(
            rejected[0].message.contains("fieldaudit rates import"),
            "{}",
            rejected[0].message
        );
        let admin = PushPolicy {
            may_review: true,
            ..PushPolicy::default()
        };
        let (valid, rejected) = validate_ops(&ops, &admin, false);
        assert_eq!((valid.len(), rejected.len()), (1, 0));
    }
}
