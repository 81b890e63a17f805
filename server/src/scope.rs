//! Scope on the server: which audit each pushed op's row belongs to, whether its
//! writer may make it (the protocol's role matrix, [`fieldaudit_protocol::scope`]),
//! and which audits a device that receives only its own holds.
//!
//! Stores look up what these functions need (who owns the rows, their audits,
//! the pusher's team roles) and write what they decide; the rules are here.
//!
//! **Holding audits.** A device of an auditor or interviewer holds the audits its
//! user is on the team of. The server keeps, per device, the audits it has sent
//! (`device_audit`: the epoch it was sent in, and the epoch it was told to remove
//! it in). A device sends back the epoch of the last page it applied; an audit
//! sent in a later epoch was not received (the answer was lost) and is sent again.
//! [`plan_scope`] decides each pull's additions (sent whole, from the current
//! field state: the backfill) and removals. A removed audit stays writable by
//! that device until it confirms the removal, so what it typed before is pushed
//! and kept.

use std::collections::{HashMap, HashSet};

use fieldaudit_protocol::api::Role;
use fieldaudit_protocol::registry::EntityKind;
use fieldaudit_protocol::scope::{
    self, Actor, Scope, ScopeSource, ScopeUpdate, TeamRole, WriteKind,
};
use fieldaudit_protocol::{RejectCode, Rejection};
use uuid::Uuid;

use crate::sync::ValidOp;

/// Who is pushing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pusher {
    /// The user's organisation role.
    pub role: Role,
    /// The user.
    pub user_id: Uuid,
}

/// What a store knows about the rows and audits a batch involves.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// Rows the server has, with their scope (rows of organisation-scoped
    /// entities, and audit rows whose audit is recorded).
    pub row_scope: HashMap<Uuid, Scope>,
    /// Who started each audit involved (the user of the device that wrote it first).
    pub created_by: HashMap<Uuid, Uuid>,
    /// Audits involved that have any team row (current or removed).
    pub has_team: HashSet<Uuid>,
    /// The pusher's role on the team of each audit involved.
    pub team_role: HashMap<Uuid, TeamRole>,
    /// Audits the pushing device was told to remove but has not confirmed yet,
    /// with the role it held them in: still writable by it.
    pub held: HashMap<Uuid, TeamRole>,
    /// Earlier audits the pushing device holds for a follow-up it is on, with its
    /// role on the follow-up: writable only for what verifying them writes
    /// ([`scope::carried_write`]).
    pub carried: HashMap<Uuid, TeamRole>,
}

/// The rows whose scope [`decide`] needs besides the ops' own rows and
/// references: the rows a conflict is about.
pub fn extra_ids_to_look_up(ops: &[ValidOp<'_>]) -> Vec<Uuid> {
    ops.iter()
        .filter(|op| op.entity == EntityKind::Conflict && op.change.field == "row_id")
        .filter_map(|op| {
            op.change
                .value
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
        })
        .collect()
}

/// The audits whose team, starter and hold [`decide`] needs: every audit the
/// ops' rows (known, or named by their scope field) belong to.
pub fn audits_involved(ops: &[ValidOp<'_>], row_scope: &HashMap<Uuid, Scope>) -> Vec<Uuid> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for op in ops {
        let mut push = |a: Uuid| {
            if seen.insert(a) {
                out.push(a)
            }
        };
        if op.entity == EntityKind::Audit {
            push(op.change.row_id);
        }
        for id in [Some(op.change.row_id), op.reference].into_iter().flatten() {
            if let Some(Scope::Audit(a)) = row_scope.get(&id) {
                push(*a);
            }
        }
        if let Some(r) = op.reference.filter(|_| op.entity != EntityKind::Audit) {
            if matches!(scope::scope_source(op.entity), ScopeSource::AuditField(_)) {
                push(r);
            }
        }
    }
    out
}

/// A new row and the scope it is recorded under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewRow {
    /// The row.
    pub row_id: Uuid,
    /// Its entity.
    pub entity: EntityKind,
    /// Its audit (none for organisation rows).
    pub audit_id: Option<Uuid>,
    /// Who wrote it first.
    pub created_by: Option<Uuid>,
}

/// The outcome of [`decide`].
#[derive(Debug, Default)]
pub struct ScopeDecision<'a> {
    /// Ops to apply, in batch order, with their row's audit (none: organisation).
    pub accepted: Vec<(ValidOp<'a>, Option<Uuid>)>,
    /// Ops refused, with the missing role or assignment named.
    pub rejected: Vec<Rejection>,
    /// Rows this batch creates, with their scope.
    pub new_rows: Vec<NewRow>,
}

/// Decides, op by op in batch order, each op's scope and whether `pusher` may
/// make it. `pusher` is `None` for the organisation's own server device (admin
/// commands), which may write anything. Rows created earlier in the batch count
/// as known for the ops after them.
pub fn decide<'a>(
    pusher: Option<Pusher>,
    ops: Vec<ValidOp<'a>>,
    known: &Known,
) -> ScopeDecision<'a> {
    let mut out = ScopeDecision::default();
    let mut row_scope = known.row_scope.clone();
    let mut created_by = known.created_by.clone();
    let mut new_rows: HashMap<Uuid, usize> = HashMap::new();
    // What each attachment of the batch is attached to (a device sends its
    // `subject_kind` with the row's other fields): evidence added after sign-off is
    // CAP progress or verifying, which reviewers may do too.
    let subjects: HashMap<Uuid, &'a str> = ops
        .iter()
        .filter(|o| o.entity == EntityKind::Attachment && o.change.field == "subject_kind")
        .filter_map(|o| Some((o.change.row_id, o.change.value.as_str()?)))
        .collect();
    // New rows whose first op in this batch was refused: (its device_seq, code, reason).
    let mut refused_new: HashMap<Uuid, (u64, RejectCode, String)> = HashMap::new();
    for op in ops {
        let c = op.change;
        let refuse = |code, message: String| Rejection {
            device_seq: c.device_seq,
            code,
            message,
        };
        let existing = row_scope.get(&c.row_id).copied();
        if existing.is_none() {
            if let Some((seq, code, why)) = refused_new.get(&c.row_id) {
                out.rejected.push(refuse(*code, format!(
                    "{} {} is new, and its first op in this batch (device_seq {seq}) was refused, so this one is too: {why}",
                    op.entity, c.row_id
                )));
                continue;
            }
        }
        let scope = match resolve_scope(&op, existing, &row_scope) {
            Ok(s) => s,
            Err(message) => {
                if existing.is_none() {
                    refused_new.insert(c.row_id, (c.device_seq, RejectCode::InvalidValue, message.clone()));
                }
                out.rejected.push(refuse(RejectCode::InvalidValue, message));
                continue;
            }
        };
        if let (Some(p), None, EntityKind::Audit) = (pusher, existing, op.entity) {
            // A new audit: its writer starts it (and leads it until a team is assigned).
            created_by.entry(c.row_id).or_insert(p.user_id);
        }
        if let Some(pusher) = pusher {
            // A new attachment's ops are classified by what the batch attaches it to;
            // an existing one's stay audit work (its stored subject is not at hand).
            let new_row = existing.is_none() || new_rows.contains_key(&c.row_id);
            let mut kind = match op.entity {
                EntityKind::Attachment if new_row => {
                    scope::attachment_write_kind(subjects.get(&c.row_id).copied())
                }
                _ => scope::write_kind(op.entity, &c.field, &c.value),
            };
            let audit = scope.audit();
            if let (Some(a), WriteKind::Assignment) = (audit, kind) {
                if is_own_lead_op(&op, a, pusher.user_id)
                    && created_by.get(&a) == Some(&pusher.user_id)
                {
                    kind = WriteKind::OwnLeadMembership;
                }
            }
            let team_role = audit.and_then(|a| {
                known
                    .team_role
                    .get(&a)
                    .or_else(|| known.held.get(&a))
                    .copied()
                    .or_else(|| {
                        // The auditor who started an audit leads it until a team is assigned.
                        (created_by.get(&a) == Some(&pusher.user_id)
                            && !known.has_team.contains(&a))
                        .then_some(TeamRole::Lead)
                    })
                    .or_else(|| {
                        // A follow-up's team verifies the earlier audit's findings.
                        known
                            .carried
                            .get(&a)
                            .copied()
                            .filter(|_| scope::carried_write(kind))
                    })
            });
            if let Err(refusal) = scope::may_write(
                Actor {
                    role: pusher.role,
                    team_role,
                },
                kind,
                scope,
            ) {
                if existing.is_none() {
                    refused_new.insert(c.row_id, (c.device_seq, RejectCode::Forbidden, refusal.to_string()));
                }
                out.rejected
                    .push(refuse(RejectCode::Forbidden, refusal.to_string()));
                continue;
            }
        }
        if existing.is_none() {
            let audit_id = scope.audit();
            let creator = pusher.map(|p| p.user_id);
            match new_rows.get(&c.row_id) {
                Some(_) => {}
                None => {
                    new_rows.insert(c.row_id, out.new_rows.len());
                    out.new_rows.push(NewRow {
                        row_id: c.row_id,
                        entity: op.entity,
                        audit_id,
                        created_by: creator,
                    });
                }
            }
            row_scope.insert(c.row_id, scope);
            if op.entity == EntityKind::Audit {
                if let Some(u) = creator {
                    created_by.entry(c.row_id).or_insert(u);
                }
            }
        }
        out.accepted.push((op, scope.audit()));
    }
    out
}

/// The scope of an op's row: known already, or given by this op's scope field.
fn resolve_scope(
    op: &ValidOp<'_>,
    existing: Option<Scope>,
    row_scope: &HashMap<Uuid, Scope>,
) -> Result<Scope, String> {
    let c = op.change;
    let entity = op.entity;
    let named = |field: &str| -> Option<Uuid> {
        (c.field == field)
            .then(|| c.value.as_str().and_then(|s| Uuid::parse_str(s).ok()))
            .flatten()
    };
    let moved = |to: Scope, from: Scope| {
        format!("{entity} {} belongs to {}; a row cannot move to another audit ({} points elsewhere): make a new row instead", c.row_id, describe(from), describe_field(entity, to))
    };
    let source = scope::scope_source(entity);
    let computed: Option<Scope> = match source {
        ScopeSource::Organisation => Some(Scope::Organisation),
        ScopeSource::ItsOwnAudit => Some(Scope::Audit(c.row_id)),
        ScopeSource::AuditField(f) => named(f).map(Scope::Audit),
        ScopeSource::Parent { field, entity: parent } => match named(field) {
            Some(p) => Some(*row_scope.get(&p).ok_or_else(|| format!("{entity}.{field} points at {parent} {p}, which the server does not have (or refused); sync the {parent} first"))?),
            None => None,
        },
        ScopeSource::ConflictTarget => match named("row_id") {
            Some(t) => Some(row_scope.get(&t).copied().unwrap_or(Scope::Organisation)),
            None => None,
        },
    };
    match (existing, computed) {
        (Some(e), Some(n)) if e != n && !matches!(source, ScopeSource::ConflictTarget) => Err(moved(n, e)),
        (Some(e), _) => Ok(e),
        (None, Some(n)) => Ok(n),
        (None, None) => Err(format!(
            "{entity} {} is new to the server and this op does not say which audit it belongs to; send its {} first (update FieldAudit on this device)",
            c.row_id,
            scope::scope_field(entity).unwrap_or("audit_id")
        )),
    }
}

fn describe(s: Scope) -> String {
    match s {
        Scope::Organisation => "the organisation".into(),
        Scope::Audit(a) => format!("audit {a}"),
    }
}

fn describe_field(entity: EntityKind, s: Scope) -> String {
    format!(
        "its {} ({})",
        scope::scope_field(entity).unwrap_or("audit"),
        describe(s)
    )
}

/// Whether an `audit_member` op only makes `user` the lead of `audit` on the row
/// [`scope::member_row_id`] gives them (what an auditor who starts an audit writes).
fn is_own_lead_op(op: &ValidOp<'_>, audit: Uuid, user: Uuid) -> bool {
    let c = op.change;
    if op.entity != EntityKind::AuditMember || c.row_id != scope::member_row_id(audit, user) {
        return false;
    }
    let s = c.value.as_str();
    match c.field.as_str() {
        "audit_id" => s == Some(audit.to_string().as_str()),
        "user_id" => s == Some(user.to_string().as_str()),
        "role" => s == Some(TeamRole::Lead.as_str()),
        "username" => true,
        _ => false,
    }
}

/// Why a device is to hold an audit: its user's role on the audit's team, or on
/// a follow-up that carries it (`carried`: only [`scope::FOLLOW_UP_CARRIES`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hold {
    /// The user's role on the team (of the audit, or of the follow-up carrying it).
    pub team_role: TeamRole,
    /// Held only for what a follow-up verifies.
    pub carried: bool,
}

impl Hold {
    /// Held as a member of the audit's own team.
    pub fn team(team_role: TeamRole) -> Hold {
        Hold {
            team_role,
            carried: false,
        }
    }
}

/// Adds to `desired` (the audits a user is on the team of) the earlier audits
/// each follow-up among them carries: `earlier` gives, for a follow-up, the
/// other audits of its facility. An audit the user is on the team of is held
/// whole, whatever else carries it.
pub fn with_carried(
    team: &HashMap<Uuid, TeamRole>,
    earlier: &HashMap<Uuid, Vec<Uuid>>,
) -> HashMap<Uuid, Hold> {
    let mut out: HashMap<Uuid, Hold> = team.iter().map(|(a, r)| (*a, Hold::team(*r))).collect();
    let mut follow_ups: Vec<_> = earlier.iter().collect();
    follow_ups.sort();
    for (follow_up, audits) in follow_ups {
        let Some(role) = team.get(follow_up) else {
            continue;
        };
        for a in audits {
            let hold = out.entry(*a).or_insert(Hold {
                team_role: *role,
                carried: true,
            });
            // Carried by several follow-ups: the strongest role decides what it may write.
            if hold.carried && rank(*role) > rank(hold.team_role) {
                hold.team_role = *role;
            }
        }
    }
    out
}

fn rank(r: TeamRole) -> u8 {
    match r {
        TeamRole::Lead => 2,
        TeamRole::Auditor => 1,
        TeamRole::Interviewer => 0,
    }
}

/// One audit a device holds (or is being told to remove).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceAudit {
    /// The audit.
    pub audit_id: Uuid,
    /// The role the device's user had on its team when it was sent.
    pub team_role: TeamRole,
    /// Held only for what a follow-up verifies ([`Hold::carried`]).
    pub carried: bool,
    /// The scope epoch it was sent in.
    pub added_epoch: u64,
    /// The scope epoch it was told to remove it in.
    pub removed_epoch: Option<u64>,
}

/// What one pull does to the audits a device holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopePlan {
    /// The device's new set, to store (rows not listed are deleted).
    pub holds: Vec<DeviceAudit>,
    /// Audits to send whole on this page.
    pub backfill: Vec<Uuid>,
    /// What to tell the device.
    pub update: ScopeUpdate,
}

/// Decides a pull's additions and removals. `request_epoch` is what the device
/// applied last; `current_epoch` the device's epoch on the server; `desired` the
/// audits it is to hold now ([`with_carried`]); `held` what the server sent it.
///
/// An audit held whole that is now only carried is removed first (the device
/// deletes it) and sent again, carried, once the device confirmed the removal; a
/// carried audit whose team the user joins is sent whole.
pub fn plan_scope(
    request_epoch: u64,
    current_epoch: u64,
    desired: &HashMap<Uuid, Hold>,
    held: &[DeviceAudit],
) -> ScopePlan {
    let new_epoch = current_epoch + 1;
    let mut plan = ScopePlan::default();
    let mut changed = false;
    let mut seen = HashSet::new();
    let fresh = |audit_id: Uuid, hold: &Hold| DeviceAudit {
        audit_id,
        team_role: hold.team_role,
        carried: hold.carried,
        added_epoch: new_epoch,
        removed_epoch: None,
    };
    for h in held {
        seen.insert(h.audit_id);
        let narrowed = |want: &Hold| want.carried && !h.carried;
        match (desired.get(&h.audit_id), h.removed_epoch) {
            // Only carried now, but held whole: remove it first.
            (Some(want), None) if narrowed(want) => {
                plan.holds.push(DeviceAudit {
                    removed_epoch: Some(new_epoch),
                    ..*h
                });
                plan.update.removed.push(h.audit_id);
                changed = true;
            }
            // Kept; sent again if the device never applied the page that sent it,
            // or whole if it was only carried until now.
            (Some(want), None) => {
                let mut h = *h;
                let widened = h.carried && !want.carried;
                h.team_role = want.team_role;
                h.carried = want.carried;
                if widened || h.added_epoch > request_epoch {
                    h.added_epoch = new_epoch;
                    plan.backfill.push(h.audit_id);
                    changed = true;
                }
                plan.holds.push(h);
            }
            // Being removed to be held narrower: tell again until confirmed.
            (Some(want), Some(e)) if narrowed(want) && e > request_epoch => {
                plan.holds.push(*h);
                plan.update.removed.push(h.audit_id);
            }
            // Assigned again before the device confirmed its removal (or the
            // removal to narrow it is confirmed): send it whole again.
            (Some(want), Some(_)) => {
                plan.holds.push(fresh(h.audit_id, want));
                plan.backfill.push(h.audit_id);
                changed = true;
            }
            // No longer on the team: tell the device (it stays writable until confirmed).
            (None, None) => {
                plan.holds.push(DeviceAudit {
                    removed_epoch: Some(new_epoch),
                    ..*h
                });
                plan.update.removed.push(h.audit_id);
                changed = true;
            }
            // Told before: confirmed once the device applied that page; else tell again.
            (None, Some(e)) => {
                if e > request_epoch {
                    plan.holds.push(*h);
                    plan.update.removed.push(h.audit_id);
                }
            }
        }
    }
    let mut new: Vec<(&Uuid, &Hold)> = desired.iter().filter(|(a, _)| !seen.contains(a)).collect();
    new.sort();
    for (a, hold) in new {
        plan.holds.push(fresh(*a, hold));
        plan.backfill.push(*a);
        changed = true;
    }
    plan.backfill.sort();
    plan.update.removed.sort();
    plan.update.added = plan.backfill.clone();
    plan.update.epoch = if changed { new_epoch } else { current_epoch };
    plan
}

/// Whether a device of a user in this role receives only its audits.
pub fn is_scoped(role: Role) -> bool {
    !scope::sees_everything(role)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldaudit_protocol::{Change, Hlc};
    use serde_json::{json, Value};

    fn op(seq: u64, entity: &str, row: Uuid, field: &str, value: Value) -> Change {
        Change {
            device_seq: seq,
            hlc: Hlc::from_datetime(chrono::Utc::now()),
            entity: entity.into(),
            row_id: row,
            field: field.into(),
            value,
        }
    }

    fn valid(ops: &[Change]) -> Vec<ValidOp<'_>> {
        crate::sync::validate_ops(ops, &crate::sync::PushPolicy::default(), true).0
    }

    /// A reviewer (not on the team) may attach evidence to a CAP item or a
    /// verification, not a photo of the audit's own work, and may not change an
    /// existing attachment by naming a CAP subject for it.
    #[test]
    fn a_reviewer_attaches_cap_evidence_but_not_audit_photos() {
        let reviewer = Pusher {
            role: Role::Reviewer,
            user_id: Uuid::from_u128(5),
        };
        let (audit, evidence, photo, old) =
            (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let a = json!(audit.to_string());
        let ops = vec![
            op(1, "attachment", evidence, "audit_id", a.clone()),
            op(2, "attachment", evidence, "subject_kind", json!("corrective_action")),
            op(3, "attachment", evidence, "file_name", json!("fix.jpg")),
            op(4, "attachment", photo, "audit_id", a.clone()),
            op(5, "attachment", photo, "subject_kind", json!("answer")),
            op(6, "attachment", old, "subject_kind", json!("corrective_action")),
        ];
        let mut known = Known::default();
        known.row_scope.insert(audit, Scope::Audit(audit));
        known.row_scope.insert(old, Scope::Audit(audit));
        known.has_team.insert(audit);
        let d = decide(Some(reviewer), valid(&ops), &known);
        let accepted: Vec<u64> = d.accepted.iter().map(|(o, _)| o.change.device_seq).collect();
        assert_eq!(accepted, [1, 2, 3]);
        let refused: Vec<u64> = d.rejected.iter().map(|r| r.device_seq).collect();
        assert_eq!(refused, [4, 5, 6]);
    }

    #[test]
    fn an_auditor_starts_an_audit_leads_it_and_may_not_touch_others() {
        let me = Pusher {
            role: Role::Auditor,
            user_id: Uuid::from_u128(1),
        };
        let (mine, theirs, answer, stray, forged) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let lead_row = scope::member_row_id(mine, me.user_id);
        let ops = vec![
            op(1, "audit", mine, "status", json!("draft")),
            op(
                2,
                "audit_member",
                lead_row,
                "audit_id",
                json!(mine.to_string()),
            ),
            op(3, "audit_member", lead_row, "role", json!("lead")),
            op(4, "answer", answer, "audit_id", json!(mine.to_string())),
            op(5, "answer", answer, "note", json!("ok")),
            op(6, "answer", forged, "audit_id", json!(theirs.to_string())),
            op(7, "answer", stray, "note", json!("no audit named")),
            op(8, "facility", Uuid::now_v7(), "name", json!("F")),
            op(
                9,
                "audit_member",
                scope::member_row_id(mine, Uuid::from_u128(2)),
                "audit_id",
                json!(mine.to_string()),
            ),
            // Later ops of rows whose first op was refused say so.
            op(10, "answer", forged, "note", json!("forged")),
            op(11, "answer", stray, "value", json!("yes")),
        ];
        let mut known = Known::default();
        known.row_scope.insert(theirs, Scope::Audit(theirs));
        known.created_by.insert(theirs, Uuid::from_u128(9));
        known.has_team.insert(theirs);
        let d = decide(Some(me), valid(&ops), &known);
        let accepted: Vec<u64> = d
            .accepted
            .iter()
            .map(|(o, _)| o.change.device_seq)
            .collect();
        assert_eq!(accepted, [1, 2, 3, 4, 5]);
        assert!(d.accepted.iter().all(|(_, a)| *a == Some(mine)));
        let why: HashMap<u64, &str> = d
            .rejected
            .iter()
            .map(|r| (r.device_seq, r.message.as_str()))
            .collect();
        assert!(why[&6].contains("not on its team"), "{}", why[&6]);
        assert!(why[&7].contains("send its audit_id first"), "{}", why[&7]);
        assert!(why[&8].contains("admin role"), "{}", why[&8]);
        assert!(
            why[&10].contains("first op in this batch (device_seq 6) was refused")
                && why[&10].contains("not on its team"),
            "{}",
            why[&10]
        );
        assert!(why[&11].contains("(device_seq 7)"), "{}", why[&11]);
        assert!(
            why[&9].contains("reviewer"),
            "only reviewers assign others: {}",
            why[&9]
        );
        assert_eq!(
            d.new_rows
                .iter()
                .find(|r| r.row_id == mine)
                .unwrap()
                .created_by,
            Some(me.user_id)
        );
    }

    #[test]
    fn children_share_their_parents_audit_and_rows_never_move() {
        let (a, b, finding, action) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let mut known = Known::default();
        known.row_scope.insert(finding, Scope::Audit(a));
        known.team_role.insert(a, TeamRole::Auditor);
        let ops = vec![
            op(
                1,
                "corrective_action",
                action,
                "finding_id",
                json!(finding.to_string()),
            ),
            op(2, "corrective_action", action, "owner", json!("HR")),
            op(3, "finding", finding, "audit_id", json!(b.to_string())),
        ];
        let d = decide(
            Some(Pusher {
                role: Role::Auditor,
                user_id: Uuid::nil(),
            }),
            valid(&ops),
            &known,
        );
        assert_eq!(
            d.accepted
                .iter()
                .map(|(o, a)| (o.change.device_seq, *a))
                .collect::<Vec<_>>(),
            [(1, Some(a)), (2, Some(a))]
        );
        assert!(
            d.rejected[0].message.contains("cannot move"),
            "{}",
            d.rejected[0].message
        );
    }

    #[test]
    fn a_device_gets_new_audits_whole_is_told_of_removed_ones_and_a_lost_answer_is_repeated() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let desired = HashMap::from([(a, Hold::team(TeamRole::Lead))]);
        // First pull: a is new.
        let p1 = plan_scope(0, 0, &desired, &[]);
        assert_eq!((p1.backfill.clone(), p1.update.epoch), (vec![a], 1));
        // The answer was lost: the device still says 0, so a is sent again.
        let p2 = plan_scope(0, 1, &desired, &p1.holds);
        assert_eq!((p2.backfill.clone(), p2.update.epoch), (vec![a], 2));
        // Applied: nothing more to send.
        let p3 = plan_scope(2, 2, &desired, &p2.holds);
        assert!(p3.backfill.is_empty() && p3.update.removed.is_empty());
        assert_eq!(p3.update.epoch, 2);
        // Moved to b: a is removed (still held until confirmed), b sent whole.
        let desired = HashMap::from([(b, Hold::team(TeamRole::Auditor))]);
        let p4 = plan_scope(2, 2, &desired, &p3.holds);
        assert_eq!(
            (
                p4.backfill.clone(),
                p4.update.removed.clone(),
                p4.update.epoch
            ),
            (vec![b], vec![a], 3)
        );
        assert!(p4
            .holds
            .iter()
            .any(|h| h.audit_id == a && h.removed_epoch == Some(3)));
        // Not confirmed yet: told again.
        let p5 = plan_scope(2, 3, &desired, &p4.holds);
        assert_eq!(p5.update.removed, vec![a]);
        // Confirmed: a is forgotten.
        let p6 = plan_scope(3, 3, &desired, &p4.holds);
        assert!(p6.update.removed.is_empty() && p6.holds.iter().all(|h| h.audit_id != a));
        assert!(p6.backfill.is_empty());
        // Assigned back before confirming: sent whole again.
        let both = HashMap::from([
            (a, Hold::team(TeamRole::Auditor)),
            (b, Hold::team(TeamRole::Auditor)),
        ]);
        let p7 = plan_scope(2, 3, &both, &p4.holds);
        assert!(p7.backfill.contains(&a) && p7.update.removed.is_empty());
    }

    #[test]
    fn a_follow_up_carries_the_facilitys_earlier_audits_and_its_team_verifies_only_there() {
        let (follow_up, earlier, mine) = (Uuid::from_u128(10), Uuid::from_u128(11), Uuid::from_u128(12));
        let team = HashMap::from([(follow_up, TeamRole::Lead), (mine, TeamRole::Auditor)]);
        // The follow-up carries the earlier audit; an audit the user is on stays whole.
        let facility_audits = HashMap::from([(follow_up, vec![earlier, mine])]);
        let desired = with_carried(&team, &facility_audits);
        assert_eq!(
            desired[&earlier],
            Hold {
                team_role: TeamRole::Lead,
                carried: true
            }
        );
        assert_eq!(desired[&mine], Hold::team(TeamRole::Auditor));
        assert_eq!(desired[&follow_up], Hold::team(TeamRole::Lead));

        // The lead verifies an earlier finding and its CAP item there, and may do nothing else.
        let (finding, action, answer) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let mut known = Known::default();
        known.row_scope.insert(finding, Scope::Audit(earlier));
        known.row_scope.insert(action, Scope::Audit(earlier));
        known.row_scope.insert(answer, Scope::Audit(earlier));
        known.has_team.insert(earlier);
        known.carried.insert(earlier, TeamRole::Lead);
        let ops = vec![
            op(1, "finding", finding, "follow_up_status", json!("closed")),
            op(2, "corrective_action", action, "status", json!("verified")),
            op(3, "corrective_action", action, "evidence", json!("Exit unlocked")),
            op(4, "answer", answer, "note", json!("rewritten")),
            op(5, "finding", finding, "title", json!("changed")),
        ];
        let d = decide(
            Some(Pusher {
                role: Role::Auditor,
                user_id: Uuid::from_u128(1),
            }),
            valid(&ops),
            &known,
        );
        let accepted: Vec<u64> = d.accepted.iter().map(|(o, _)| o.change.device_seq).collect();
        assert_eq!(accepted, [1, 2, 3]);
        assert_eq!(d.rejected.len(), 2);
        assert!(d.rejected.iter().all(|r| r.message.contains("not on its team")), "{:?}", d.rejected);
    }

    #[test]
    fn an_audit_held_whole_that_is_only_carried_now_is_removed_before_it_comes_back_carried() {
        let (follow_up, earlier) = (Uuid::from_u128(20), Uuid::from_u128(21));
        let whole = HashMap::from([(follow_up, Hold::team(TeamRole::Lead)), (earlier, Hold::team(TeamRole::Auditor))]);
        let p1 = plan_scope(0, 0, &whole, &[]);
        assert_eq!(p1.backfill, {
            let mut v = vec![follow_up, earlier];
            v.sort();
            v
        });
        assert!(p1.holds.iter().all(|h| !h.carried));
        // Taken off the earlier audit's team: it is only carried now. Removed first…
        let carried = Hold {
            team_role: TeamRole::Lead,
            carried: true,
        };
        let narrow = HashMap::from([(follow_up, Hold::team(TeamRole::Lead)), (earlier, carried)]);
        let p2 = plan_scope(1, 1, &narrow, &p1.holds);
        assert_eq!((p2.update.removed.clone(), p2.backfill.clone()), (vec![earlier], vec![]));
        // …told again while the device has not confirmed…
        let p3 = plan_scope(1, 2, &narrow, &p2.holds);
        assert_eq!((p3.update.removed.clone(), p3.backfill.clone()), (vec![earlier], vec![]));
        // …and sent back, carried, once it has.
        let p4 = plan_scope(2, 2, &narrow, &p3.holds);
        assert_eq!((p4.update.removed.clone(), p4.backfill.clone()), (vec![], vec![earlier]));
        assert!(p4.holds.iter().any(|h| h.audit_id == earlier && h.carried && h.removed_epoch.is_none()));
        // Put on its team again: sent whole.
        let p5 = plan_scope(3, 3, &whole, &p4.holds);
        assert_eq!(p5.backfill, vec![earlier]);
        assert!(p5.holds.iter().any(|h| h.audit_id == earlier && !h.carried));
    }
}
