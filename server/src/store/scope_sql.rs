//! The SQL of scoped sync, once for both backends: what a push's scope check
//! needs to know ([`scope_facts`]), recording new rows' audits, and a pull for a
//! device that receives only its audits ([`pull_for_device`]). The rules are in
//! [`crate::scope`]; this module reads and writes what they decide.
//!
//! Schema (server migration 2): `row_owner.audit_id` (the row's audit; NULL for
//! organisation rows) and `created_by` (the user who wrote it first);
//! `change_log.audit_id`, indexed with `server_seq`, so a device's pull reads only
//! its audits' changes; `device_audit` (what each scoped device holds, by epoch);
//! `device.scope_epoch` and `device.scoped`; a partial index over team rows' user
//! and one over audits' facility (the earlier audits a follow-up carries,
//! `device_audit.carried`).

use std::collections::HashMap;

use fieldaudit_protocol::closed_sets::AuditType;
use fieldaudit_protocol::registry::EntityKind;
use fieldaudit_protocol::scope::{member_row_id, Scope, ScopeSource, ScopeUpdate, TeamRole};
use fieldaudit_protocol::{Change, PullResponse, PulledChange};
use uuid::Uuid;

use super::db::{Db, SqlRow};
use super::sql::{hlc_col, query_all, query_opt, uuid_col};
use super::StoreResult;
use crate::scope::{self, DeviceAudit, Known, NewRow, Pusher};
use crate::sync::{self, ValidOp};

/// The audit id recorded for rows of an audit-scoped entity whose audit could not
/// be found when the schema was migrated: no device holds it (reviewers and
/// admins still receive it).
pub const NO_AUDIT: &str = "00000000-0000-0000-0000-000000000000";

fn owner_row(r: &dyn SqlRow) -> StoreResult<(String, Option<String>, Option<String>)> {
    Ok((r.text(0)?, r.opt_text(1)?, r.opt_text(2)?))
}

fn text_pair(r: &dyn SqlRow) -> StoreResult<(String, String)> {
    Ok((r.text(0)?, r.text(1)?))
}

fn single_text(r: &dyn SqlRow) -> StoreResult<String> {
    r.text(0)
}

/// A row was found (for `SELECT 1 … LIMIT 1`, whose literal is `int4` on
/// PostgreSQL, not the `int8` that [`SqlRow::int`] reads).
fn present(_: &dyn SqlRow) -> StoreResult<()> {
    Ok(())
}

fn one_int(r: &dyn SqlRow) -> StoreResult<i64> {
    r.int(0)
}

/// The scope of a stored row.
fn stored_scope(row_id: Uuid, entity: &str, audit_id: Option<&str>) -> Option<Scope> {
    let entity = EntityKind::parse(entity)?;
    match fieldaudit_protocol::scope::scope_source(entity) {
        ScopeSource::Organisation => Some(Scope::Organisation),
        ScopeSource::ItsOwnAudit => Some(Scope::Audit(row_id)),
        _ => match audit_id {
            None => None,
            Some(a) => Uuid::parse_str(a).ok().map(Scope::Audit),
        },
    }
}

/// The pusher's current role on an audit's team (its team row, unless deleted).
async fn team_role(
    db: &mut (dyn Db + '_),
    org: &str,
    audit: Uuid,
    user: Uuid,
) -> StoreResult<Option<TeamRole>> {
    let row = member_row_id(audit, user).to_string();
    let fields = query_all(
        db,
        "SELECT field, value FROM field_state WHERE organisation_id = $1 AND entity = 'audit_member' AND row_id = $2",
        &[&org, &row],
        text_pair,
    )
    .await?;
    let get = |name: &str| {
        fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, v)| v.as_str())
    };
    if get("deleted") == Some("true") || get("audit_id") != Some(format!("\"{audit}\"").as_str()) {
        return Ok(None);
    }
    Ok(get("role")
        .and_then(|v| serde_json::from_str::<String>(v).ok())
        .and_then(|r| TeamRole::parse(&r)))
}

/// What [`crate::scope::decide`] needs to know about a batch's rows and audits.
pub(crate) async fn scope_facts(
    db: &mut (dyn Db + '_),
    org: &str,
    device: &str,
    pusher: Option<Pusher>,
    ops: &[ValidOp<'_>],
) -> StoreResult<Known> {
    let mut known = Known::default();
    let mut ids = sync::ids_to_look_up(ops);
    ids.extend(scope::extra_ids_to_look_up(ops));
    ids.sort();
    ids.dedup();
    for id in &ids {
        let s = id.to_string();
        if let Some((entity, audit, creator)) = query_opt(
            db,
            "SELECT entity, audit_id, created_by FROM row_owner WHERE row_id = $1 AND organisation_id = $2",
            &[&s, &org],
            owner_row,
        )
        .await?
        {
            if let Some(scope) = stored_scope(*id, &entity, audit.as_deref()) {
                known.row_scope.insert(*id, scope);
            }
            if entity == "audit" {
                if let Some(u) = creator.as_deref().and_then(|c| Uuid::parse_str(c).ok()) {
                    known.created_by.insert(*id, u);
                }
            }
        }
    }
    let Some(pusher) = pusher else {
        return Ok(known);
    };
    for audit in scope::audits_involved(ops, &known.row_scope) {
        let a = audit.to_string();
        if !known.created_by.contains_key(&audit) {
            if let Some(Some(c)) = query_opt(
                db,
                "SELECT created_by FROM row_owner WHERE row_id = $1 AND organisation_id = $2",
                &[&a, &org],
                |r| r.opt_text(0),
            )
            .await?
            {
                if let Ok(u) = Uuid::parse_str(&c) {
                    known.created_by.insert(audit, u);
                }
            }
        }
        let teamed = query_opt(
            db,
            "SELECT 1 FROM row_owner WHERE organisation_id = $1 AND audit_id = $2 AND entity = 'audit_member' LIMIT 1",
            &[&org, &a],
            present,
        )
        .await?;
        if teamed.is_some() {
            known.has_team.insert(audit);
        }
        if let Some(role) = team_role(db, org, audit, pusher.user_id).await? {
            known.team_role.insert(audit, role);
        }
        if let Some((held, carried)) = query_opt(
            db,
            "SELECT team_role, carried FROM device_audit WHERE device_id = $1 AND audit_id = $2",
            &[&device, &a],
            |r| Ok((r.text(0)?, r.int(1)? != 0)),
        )
        .await?
        {
            if let Some(role) = TeamRole::parse(&held) {
                if carried {
                    known.carried.insert(audit, role);
                } else {
                    known.held.insert(audit, role);
                }
            }
        }
    }
    Ok(known)
}

/// Records the audit and first writer of rows a push created (after they were claimed).
pub(crate) async fn record_new_rows(db: &mut (dyn Db + '_), rows: &[NewRow]) -> StoreResult<()> {
    for r in rows {
        let (id, audit, creator) = (
            r.row_id.to_string(),
            r.audit_id.map(|a| a.to_string()),
            r.created_by.map(|u| u.to_string()),
        );
        db.execute("UPDATE row_owner SET audit_id = $1, created_by = $2 WHERE row_id = $3 AND audit_id IS NULL", &[&audit, &creator, &id]).await?;
    }
    Ok(())
}

/// Gives the changes a push appended (server_seq after `after`) their rows' audit.
pub(crate) async fn scope_new_changes(
    db: &mut (dyn Db + '_),
    org: &str,
    after: i64,
) -> StoreResult<()> {
    db.execute(
        "UPDATE change_log SET audit_id = (SELECT r.audit_id FROM row_owner r WHERE r.row_id = change_log.row_id)
         WHERE organisation_id = $1 AND server_seq > $2",
        &[&org, &after],
    )
    .await?;
    Ok(())
}

/// The audits `user` is on the team of now, with their role.
async fn desired_audits(
    db: &mut (dyn Db + '_),
    org: &str,
    user: Uuid,
) -> StoreResult<HashMap<Uuid, TeamRole>> {
    let rows = query_all(
        db,
        "SELECT row_id FROM field_state WHERE organisation_id = $1 AND entity = 'audit_member' AND field = 'user_id' AND value = $2",
        &[&org, &format!("\"{user}\"")],
        single_text,
    )
    .await?;
    let mut out = HashMap::new();
    for row in rows {
        let Some(audit) = query_opt(
            db,
            "SELECT value FROM field_state WHERE organisation_id = $1 AND entity = 'audit_member' AND row_id = $2 AND field = 'audit_id'",
            &[&org, &row],
            single_text,
        )
        .await?
        .and_then(|v| serde_json::from_str::<String>(&v).ok())
        .and_then(|s| Uuid::parse_str(&s).ok()) else {
            continue;
        };
        if member_row_id(audit, user).to_string() != row {
            continue;
        }
        if let Some(role) = team_role(db, org, audit, user).await? {
            out.insert(audit, role);
        }
    }
    Ok(out)
}

/// For each follow-up among `team`, the facility's other audits (which it carries).
async fn follow_ups_carry(
    db: &mut (dyn Db + '_),
    org: &str,
    team: &HashMap<Uuid, TeamRole>,
) -> StoreResult<HashMap<Uuid, Vec<Uuid>>> {
    let mut out = HashMap::new();
    for audit in team.keys() {
        let a = audit.to_string();
        let fields = query_all(
            db,
            "SELECT field, value FROM field_state WHERE organisation_id = $1 AND entity = 'audit' AND row_id = $2 AND field IN ('audit_type', 'facility_id', 'deleted')",
            &[&org, &a],
            text_pair,
        )
        .await?;
        let get = |name: &str| {
            fields
                .iter()
                .find(|(f, _)| f == name)
                .and_then(|(_, v)| serde_json::from_str::<serde_json::Value>(v).ok())
        };
        let is_follow_up = get("audit_type")
            .and_then(|v| v.as_str().and_then(AuditType::parse))
            .is_some_and(fieldaudit_protocol::scope::is_follow_up);
        let (Some(facility), false) = (get("facility_id"), get("deleted") == Some(serde_json::Value::Bool(true))) else {
            continue;
        };
        if !is_follow_up {
            continue;
        }
        let others = query_all(
            db,
            "SELECT row_id FROM field_state WHERE organisation_id = $1 AND entity = 'audit' AND field = 'facility_id' AND value = $2 AND row_id <> $3",
            &[&org, &facility.to_string(), &a],
            single_text,
        )
        .await?;
        let others: Vec<Uuid> = others.iter().filter_map(|o| Uuid::parse_str(o).ok()).collect();
        out.insert(*audit, others);
    }
    Ok(out)
}

/// The entities a follow-up carries of an earlier audit, as an SQL list.
fn carried_entities_sql() -> String {
    fieldaudit_protocol::scope::FOLLOW_UP_CARRIES
        .iter()
        .map(|e| format!("'{}'", e.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn device_audit(r: &dyn SqlRow) -> StoreResult<DeviceAudit> {
    Ok(DeviceAudit {
        audit_id: uuid_col(&r.text(0)?)?,
        team_role: TeamRole::parse(&r.text(1)?).unwrap_or(TeamRole::Auditor),
        added_epoch: r.int(2)? as u64,
        removed_epoch: r.opt_int(3)?.map(|e| e as u64),
        carried: r.int(4)? != 0,
    })
}

fn backfill_row(r: &dyn SqlRow) -> StoreResult<PulledChange> {
    Ok(PulledChange {
        server_seq: 0,
        device_id: uuid_col(&r.text(5)?)?,
        change: Change {
            device_seq: 0,
            hlc: hlc_col(&r.text(4)?)?,
            entity: r.text(0)?,
            row_id: uuid_col(&r.text(1)?)?,
            field: r.text(2)?,
            value: serde_json::from_str(&r.text(3)?)
                .map_err(|e| crate::error::StoreError::backend(format!("stored value: {e}")))?,
        },
    })
}

/// What a pull by a device asks for.
#[derive(Clone, Copy, Debug)]
pub struct DevicePull {
    /// The pulling device.
    pub device_id: Uuid,
    /// Its user.
    pub user_id: Uuid,
    /// Whether the user receives only their audits.
    pub scoped: bool,
    /// The cursor.
    pub after: u64,
    /// Changes per page.
    pub limit: u32,
    /// About this many bytes per page.
    pub max_bytes: usize,
    /// The scope epoch the device applied last.
    pub epoch: u64,
    /// Whether to include the device's own changes.
    pub include_own: bool,
}

/// A pull by a device: for reviewers and admins the organisation's changes; for
/// others their audits' and the organisation rows' changes, with newly held
/// audits sent whole and removed ones named (see [`crate::scope`]).
pub(crate) async fn pull_for_device(
    db: &mut (dyn Db + '_),
    org: &str,
    p: DevicePull,
) -> StoreResult<PullResponse> {
    let dev = p.device_id.to_string();
    let after = i64::try_from(p.after).unwrap_or(i64::MAX);
    let exclude = if p.include_own {
        String::new()
    } else {
        dev.clone()
    };
    let (epoch, was_scoped) = query_opt(
        db,
        "SELECT scope_epoch, scoped FROM device WHERE id = $1 FOR UPDATE",
        &[&dev],
        |r| Ok((r.int(0)?, r.int(1)?)),
    )
    .await?
    .ok_or_else(|| {
        crate::error::StoreError::NotFound(format!("device {} is not registered", p.device_id))
    })?;
    let epoch = epoch as u64;
    if (was_scoped != 0) != p.scoped {
        if p.after != 0 {
            // Start again from nothing: the device removes its audits, then pulls from 0.
            return Ok(PullResponse {
                changes: Vec::new(),
                next_cursor: p.after,
                more: false,
                backfill: Vec::new(),
                scope: Some(ScopeUpdate {
                    epoch,
                    reset: true,
                    ..ScopeUpdate::default()
                }),
            });
        }
        db.execute(
            "UPDATE device SET scoped = $1 WHERE id = $2",
            &[&i64::from(p.scoped), &dev],
        )
        .await?;
        db.execute("DELETE FROM device_audit WHERE device_id = $1", &[&dev])
            .await?;
    }
    let tail = query_opt(
        db,
        "SELECT coalesce(max(server_seq), 0) FROM change_log WHERE organisation_id = $1",
        &[&org],
        one_int,
    )
    .await?
    .unwrap_or(0);
    if !p.scoped {
        let rows = query_all(
            db,
            "SELECT server_seq, device_id, device_seq, hlc, entity, row_id, field, value FROM change_log
             WHERE organisation_id = $1 AND server_seq > $2 AND device_id <> $4 ORDER BY server_seq LIMIT $3",
            &[&org, &after, &(i64::from(p.limit) + 1), &exclude],
            super::sql::pulled_change,
        )
        .await?;
        return Ok(sync::bound_page(
            rows,
            p.after,
            p.limit,
            p.max_bytes,
            tail as u64,
        ));
    }
    let team = desired_audits(db, org, p.user_id).await?;
    let carry = follow_ups_carry(db, org, &team).await?;
    let desired = scope::with_carried(&team, &carry);
    let held = query_all(db, "SELECT audit_id, team_role, added_epoch, removed_epoch, carried FROM device_audit WHERE device_id = $1", &[&dev], device_audit).await?;
    let plan = scope::plan_scope(p.epoch, epoch, &desired, &held);
    db.execute("DELETE FROM device_audit WHERE device_id = $1", &[&dev])
        .await?;
    for h in &plan.holds {
        let (a, r, added, removed, carried) = (
            h.audit_id.to_string(),
            h.team_role.as_str(),
            h.added_epoch as i64,
            h.removed_epoch.map(|e| e as i64),
            i64::from(h.carried),
        );
        db.execute(
            "INSERT INTO device_audit (device_id, audit_id, team_role, added_epoch, removed_epoch, carried) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&dev, &a, &r, &added, &removed, &carried],
        )
        .await?;
    }
    db.execute(
        "UPDATE device SET scope_epoch = $1 WHERE id = $2",
        &[&(plan.update.epoch as i64), &dev],
    )
    .await?;
    let mut backfill = Vec::new();
    let carried_sql = carried_entities_sql();
    for audit in &plan.backfill {
        let a = audit.to_string();
        let carried = plan.holds.iter().any(|h| h.audit_id == *audit && h.carried);
        let only = if carried {
            format!(" AND r.entity IN ({carried_sql})")
        } else {
            String::new()
        };
        backfill.extend(
            query_all(
                db,
                &format!(
                    "SELECT f.entity, f.row_id, f.field, f.value, f.hlc, f.device_id FROM row_owner r
                     JOIN field_state f ON f.organisation_id = r.organisation_id AND f.entity = r.entity AND f.row_id = r.row_id
                     WHERE r.organisation_id = $1 AND r.audit_id = $2{only}"
                ),
                &[&org, &a],
                backfill_row,
            )
            .await?,
        );
    }
    // Parents before children, so a device applies rows in an order its foreign keys accept.
    let rank = |e: &str| {
        EntityKind::ALL
            .iter()
            .position(|k| k.as_str() == e)
            .unwrap_or(usize::MAX)
    };
    backfill.sort_by(|a, b| {
        (rank(&a.change.entity), a.change.row_id, &a.change.field).cmp(&(
            rank(&b.change.entity),
            b.change.row_id,
            &b.change.field,
        ))
    });
    // The organisation's rows, and the changes of the audits the device holds (of
    // carried ones, only what a follow-up carries): each from the
    // (organisation_id, audit_id, server_seq) index, so the cost follows the
    // team's work, not the organisation's.
    let rows = query_all(
        db,
        &format!("SELECT server_seq, device_id, device_seq, hlc, entity, row_id, field, value FROM (
             SELECT c.server_seq, c.device_id, c.device_seq, c.hlc, c.entity, c.row_id, c.field, c.value FROM change_log c
             WHERE c.organisation_id = $1 AND c.audit_id IS NULL AND c.server_seq > $2 AND c.device_id <> $4
             UNION ALL
             SELECT c.server_seq, c.device_id, c.device_seq, c.hlc, c.entity, c.row_id, c.field, c.value
             FROM device_audit d JOIN change_log c ON c.organisation_id = $1 AND c.audit_id = d.audit_id AND c.server_seq > $2
             WHERE d.device_id = $5 AND d.removed_epoch IS NULL AND c.device_id <> $4
               AND (d.carried = 0 OR c.entity IN ({carried_sql}))
         ) AS mine ORDER BY server_seq LIMIT $3"),
        &[&org, &after, &(i64::from(p.limit) + 1), &exclude, &dev],
        super::sql::pulled_change,
    )
    .await?;
    let mut page = sync::bound_page(rows, p.after, p.limit, p.max_bytes, tail as u64);
    page.backfill = backfill;
    page.scope = Some(plan.update);
    Ok(page)
}

/// Whether a device may download the attachment with this digest: reviewers and
/// admins any of the organisation's; others those of audits they hold (or that
/// they uploaded).
pub(crate) async fn may_download(
    db: &mut (dyn Db + '_),
    org: &str,
    device: Uuid,
    scoped: bool,
    sha256: &str,
) -> StoreResult<bool> {
    let value = format!("\"{sha256}\"");
    let dev = device.to_string();
    let found = if scoped {
        query_opt(
            db,
            "SELECT 1 FROM field_state f JOIN row_owner r ON r.row_id = f.row_id
             WHERE f.organisation_id = $1 AND f.entity = 'attachment' AND f.field = 'sha256' AND f.value = $2
               AND (f.device_id = $3 OR r.audit_id IN (SELECT audit_id FROM device_audit WHERE device_id = $3 AND removed_epoch IS NULL AND carried = 0))
             LIMIT 1",
            &[&org, &value, &dev],
            present,
        )
        .await?
    } else {
        query_opt(
            db,
            "SELECT 1 FROM field_state f WHERE f.organisation_id = $1 AND f.entity = 'attachment' AND f.field = 'sha256' AND f.value = $2 LIMIT 1",
            &[&org, &value],
            present,
        )
        .await?
    };
    Ok(found.is_some())
}
