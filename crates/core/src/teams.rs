//! Audit teams on the device: who is signed in, the *My audits* list, the lead
//! row an auditor gets for an audit they start, and removing an audit this device
//! no longer holds (its team changed) — rows, change-log entries, attachment files,
//! with the WAL checkpointed so nothing of it stays in the database files.
//!
//! Who may see and change what is decided in `fieldaudit_protocol::scope`; this
//! module keeps the device's side of it.

use std::collections::BTreeSet;

use fieldaudit_protocol::api::Role;
use fieldaudit_protocol::closed_sets::AuditStatus;
use fieldaudit_protocol::scope::{self, member_row_id, ScopeSource, TeamRole};
use fieldaudit_protocol::EntityKind;
use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::{CoreError, Result, Store, Writer};

const USER_ID: &str = "user_id";
const USER_NAME: &str = "user_name";
const USER_ROLE: &str = "user_role";
/// Audits the server told this device to remove, not removed yet (JSON list).
pub(crate) const REMOVING: &str = "scope_removing";

/// The user this device is signed in as (kept in the database when signing in).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignedInUser {
    /// The user's id on the server.
    pub user_id: Uuid,
    /// The user's name.
    pub username: String,
    /// The user's organisation role.
    #[cfg_attr(
        feature = "ts",
        ts(type = "\"admin\" | \"reviewer\" | \"auditor\" | \"interviewer\"")
    )]
    pub role: Role,
}

/// Where an audit of *My audits* stands, in the order the list shows them: the
/// work to do (planned, in progress, returned with what to fix), then what waits
/// for or was decided by a reviewer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum MyAuditState {
    /// Planned: nothing recorded yet.
    Planned,
    /// Started: answers recorded, not submitted.
    InProgress,
    /// Returned by a reviewer with what to fix.
    Returned,
    /// Signed off and waiting for a reviewer.
    Submitted,
    /// Approved by a reviewer.
    Approved,
}

impl MyAuditState {
    /// Every state, in the order *My audits* shows its groups.
    pub const ALL: [MyAuditState; 5] = [
        MyAuditState::Planned,
        MyAuditState::InProgress,
        MyAuditState::Returned,
        MyAuditState::Submitted,
        MyAuditState::Approved,
    ];

    /// The stored-style name (`in_progress`), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            MyAuditState::Planned => "planned",
            MyAuditState::InProgress => "in_progress",
            MyAuditState::Returned => "returned",
            MyAuditState::Submitted => "submitted",
            MyAuditState::Approved => "approved",
        }
    }
}

/// The audits of one state of *My audits*.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MyAuditGroup {
    /// Their state.
    pub state: MyAuditState,
    /// How many there are.
    pub count: u64,
    /// The audits, by first day.
    pub audits: Vec<MyAudit>,
}

/// The *My audits* screen: the signed-in user's audits grouped by state, and what
/// the screen says when there are none.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MyAuditsView {
    /// The groups that have audits, in [`MyAuditState::ALL`] order.
    pub groups: Vec<MyAuditGroup>,
    /// Audits in all groups.
    pub total: u64,
    /// The signed-in user's name (none on a device nobody signed in on).
    pub username: Option<String>,
    /// Their organisation role.
    pub role: Option<Role>,
    /// Whether they may start an audit themselves (from a facility's page).
    pub may_start_audits: bool,
}

/// Groups *My audits* by state, in [`MyAuditState::ALL`] order, leaving out
/// states without audits; within a group the audits keep their order.
pub fn group_my_audits(audits: Vec<MyAudit>) -> Vec<MyAuditGroup> {
    MyAuditState::ALL
        .into_iter()
        .filter_map(|state| {
            let audits: Vec<MyAudit> = audits.iter().filter(|a| a.state == state).cloned().collect();
            (!audits.is_empty()).then(|| MyAuditGroup {
                state,
                count: audits.len() as u64,
                audits,
            })
        })
        .collect()
}

/// Whether the app opens on *My audits* for a user of this role: auditors and
/// interviewers work on their audits; reviewers and admins (and a device nobody
/// signed in on) open on the facilities as before.
pub fn opens_on_my_audits(role: Option<Role>) -> bool {
    matches!(role, Some(Role::Auditor | Role::Interviewer))
}

/// Whether a user of this role may start an audit (and lead it): planning an
/// audit as its lead, by the role matrix. Anyone may on a device nobody signed in
/// on (the server decides when it syncs).
pub fn may_start_audits(role: Option<Role>) -> bool {
    role.is_none_or(|role| {
        scope::may_write(
            scope::Actor {
                role,
                team_role: Some(TeamRole::Lead),
            },
            scope::WriteKind::AuditPlan,
            scope::Scope::Audit(Uuid::nil()),
        )
        .is_ok()
    })
}

/// One audit of *My audits*.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MyAudit {
    /// The audit.
    pub id: Uuid,
    /// Its facility's name.
    pub facility: Option<String>,
    /// Its first day.
    pub start_date: Option<String>,
    /// Where it stands.
    pub state: MyAuditState,
    /// The signed-in user's role on its team.
    pub team_role: Option<TeamRole>,
    /// The reviewer's comment when it was returned.
    pub review_comment: Option<String>,
    /// The team's lead, by name.
    pub lead: Option<String>,
}

/// Decides an audit's place in *My audits* from its status and whether anything
/// was recorded.
pub fn my_audit_state(status: Option<AuditStatus>, answers: u64) -> MyAuditState {
    match status {
        Some(AuditStatus::Returned) => MyAuditState::Returned,
        Some(AuditStatus::Submitted) => MyAuditState::Submitted,
        Some(AuditStatus::Approved) => MyAuditState::Approved,
        Some(AuditStatus::Draft) | None if answers > 0 => MyAuditState::InProgress,
        Some(AuditStatus::Draft) | None => MyAuditState::Planned,
    }
}

impl Store {
    /// Remembers who signed in on this device (done by [`crate::sync::login`]).
    pub fn set_signed_in_user(&mut self, user: &SignedInUser) -> Result<()> {
        self.set_sync_state(USER_ID, &user.user_id.to_string())?;
        self.set_sync_state(USER_NAME, &user.username)?;
        self.set_sync_state(USER_ROLE, user.role.as_str())
    }

    /// Who is signed in on this device, if anyone ever did.
    pub fn signed_in_user(&self) -> Result<Option<SignedInUser>> {
        let (Some(id), Some(name), Some(role)) = (
            self.sync_state(USER_ID)?,
            self.sync_state(USER_NAME)?,
            self.sync_state(USER_ROLE)?,
        ) else {
            return Ok(None);
        };
        let user_id = Uuid::parse_str(&id).map_err(|e| {
            CoreError::Invalid(format!("stored user id {id:?}: {e}; sign in again"))
        })?;
        let role = Role::parse(&role).ok_or_else(|| {
            CoreError::Invalid(format!("stored role {role:?} is unknown; sign in again"))
        })?;
        Ok(Some(SignedInUser {
            user_id,
            username: name,
            role,
        }))
    }

    /// The signed-in user's audits in [`MyAuditState::ALL`] order: planned, in
    /// progress, returned, submitted, approved (by start date within each).
    /// Reviewers and admins, and a device nobody signed in on, see every audit it
    /// holds.
    pub fn my_audits(&self) -> Result<Vec<MyAudit>> {
        let me = self.signed_in_user()?;
        let everyone = me.as_ref().is_none_or(|u| scope::sees_everything(u.role));
        let me_id = me
            .as_ref()
            .map(|u| u.user_id.to_string())
            .unwrap_or_default();
        let mut stmt = self.conn().prepare(
            "SELECT a.id, f.name, a.start_date, a.status, a.review_comment,
                    (SELECT count(*) FROM answer n WHERE n.audit_id = a.id AND coalesce(n.deleted, 0) = 0 AND n.value IS NOT NULL),
                    (SELECT m.role FROM audit_member m WHERE m.audit_id = a.id AND m.user_id = ?1 AND coalesce(m.deleted, 0) = 0),
                    (SELECT m.username FROM audit_member m WHERE m.audit_id = a.id AND m.role = 'lead' AND coalesce(m.deleted, 0) = 0 ORDER BY m.username LIMIT 1)
             FROM audit a LEFT JOIN facility f ON f.id = a.facility_id
             WHERE coalesce(a.deleted, 0) = 0",
        )?;
        let rows = stmt.query_map([&me_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, facility, start_date, status, comment, answers, team, lead) = row?;
            let team_role = team.as_deref().and_then(TeamRole::parse);
            if !everyone && team_role.is_none() {
                continue;
            }
            let state = my_audit_state(
                status.as_deref().and_then(AuditStatus::parse),
                answers as u64,
            );
            let id = Uuid::parse_str(&id)
                .map_err(|e| CoreError::Invalid(format!("stored audit id: {e}")))?;
            let review_comment = if state == MyAuditState::Returned {
                comment
            } else {
                None
            };
            out.push(MyAudit {
                id,
                facility,
                start_date,
                state,
                team_role,
                review_comment,
                lead,
            });
        }
        out.sort_by(|a, b| (a.state, &a.start_date, a.id).cmp(&(b.state, &b.start_date, b.id)));
        Ok(out)
    }

    /// *My audits* grouped by state, with who is signed in and whether they may
    /// start an audit themselves.
    pub fn my_audits_view(&self) -> Result<MyAuditsView> {
        let me = self.signed_in_user()?;
        let groups = group_my_audits(self.my_audits()?);
        let role = me.as_ref().map(|u| u.role);
        Ok(MyAuditsView {
            total: groups.iter().map(|g| g.count).sum(),
            groups,
            username: me.map(|u| u.username),
            role,
            may_start_audits: may_start_audits(role),
        })
    }

    /// The signed-in user's role on an audit's team as this device knows it:
    /// `Ok(None)` when the audit has a team they are not on, `Err(())` when the
    /// audit has no team (yet) or nobody signed in.
    pub(crate) fn my_team_role(
        &self,
        audit: Uuid,
    ) -> Result<std::result::Result<Option<TeamRole>, ()>> {
        let Some(me) = self.signed_in_user()? else {
            return Ok(Err(()));
        };
        let mut stmt = self.conn().prepare_cached(
            "SELECT user_id, role FROM audit_member WHERE audit_id = ?1 AND coalesce(deleted, 0) = 0",
        )?;
        let rows: Vec<(Option<String>, Option<String>)> = stmt
            .query_map([audit.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if rows.is_empty() {
            return Ok(Err(()));
        }
        let me = me.user_id.to_string();
        Ok(Ok(rows
            .into_iter()
            .find(|(u, _)| u.as_deref() == Some(me.as_str()))
            .and_then(|(_, r)| r.as_deref().and_then(TeamRole::parse))))
    }

    /// The audits this device was told to remove and has not removed yet.
    pub fn audits_to_remove(&self) -> Result<Vec<Uuid>> {
        Ok(self
            .sync_state(REMOVING)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default())
    }

    /// Removes every row of these audits from this device (nothing is sent: the
    /// server keeps them), with the change-log entries and merge versions of those
    /// rows, their quarantined ops and kept conflicts, local interview drafts, and
    /// attachment files no remaining row uses; then checkpoints the WAL so the
    /// deleted pages (zeroed: `secure_delete` is on) leave the log file too.
    ///
    /// Refuses while any change to them is unsent: push first.
    pub fn remove_audits(&mut self, audits: &[Uuid]) -> Result<RemovedAudits> {
        let mut removed = RemovedAudits::default();
        if audits.is_empty() {
            return Ok(removed);
        }
        let watermark = self.push_watermark()?;
        let ids: Vec<String> = audits.iter().map(Uuid::to_string).collect();
        let files = self.write(|w| {
            let rows = rows_of_audits(w, &ids)?;
            let unsent: i64 = {
                let mut n = 0;
                let mut stmt = w.conn().prepare_cached("SELECT count(*) FROM change_log WHERE device_seq > ?1 AND entity = ?2 AND row_id = ?3")?;
                for (entity, row) in &rows {
                    n += stmt.query_row((watermark as i64, entity.as_str(), row), |r| r.get::<_, i64>(0))?;
                }
                n
            };
            if unsent > 0 {
                return Err(CoreError::Invalid(format!("{unsent} changes to these audits are not sent yet; sync first")));
            }
            w.conn().execute_batch("PRAGMA defer_foreign_keys = ON")?;
            let shas: BTreeSet<String> = {
                let mut stmt = w.conn().prepare_cached("SELECT sha256 FROM attachment WHERE id = ?1 AND sha256 IS NOT NULL")?;
                let mut out = BTreeSet::new();
                for (entity, row) in &rows {
                    if *entity == EntityKind::Attachment {
                        if let Some(s) = stmt.query_row([row], |r| r.get::<_, String>(0)).optional()? {
                            out.insert(s);
                        }
                    }
                }
                out
            };
            for (entity, row) in &rows {
                let conn = w.conn();
                conn.execute(&format!("DELETE FROM {entity} WHERE id = ?1"), [row])?;
                conn.execute("DELETE FROM field_version WHERE entity = ?1 AND row_id = ?2", (entity.as_str(), row))?;
                conn.execute("DELETE FROM change_log WHERE entity = ?1 AND row_id = ?2", (entity.as_str(), row))?;
                conn.execute("DELETE FROM quarantine WHERE entity = ?1 AND row_id = ?2", (entity.as_str(), row))?;
                removed.rows += 1;
            }
            keep_referenced_rows(w)?;
            // Local-only tables tied to an audit (interview drafts, coverage…).
            for table in local_tables_with_audit_id(w)? {
                for id in &ids {
                    w.conn().execute(&format!("DELETE FROM {table} WHERE audit_id = ?1"), [id])?;
                }
            }
            let mut gone = Vec::new();
            for sha in shas {
                let still_used: bool = w.conn().query_row("SELECT EXISTS (SELECT 1 FROM attachment WHERE sha256 = ?1)", [&sha], |r| r.get(0))?;
                if !still_used {
                    w.conn().execute("DELETE FROM attachment_file WHERE sha256 = ?1", [&sha])?;
                    gone.push(sha);
                }
            }
            let mut left: Vec<Uuid> = self_audits_to_remove(w)?;
            left.retain(|a| !audits.contains(a));
            set_removing(w, &left)?;
            Ok(gone)
        })?;
        for sha in &files {
            let path = self.attachment_path(sha);
            match std::fs::remove_file(&path) {
                Ok(()) => removed.files += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(CoreError::io(
                        format!("cannot remove {}", path.display()),
                        e,
                    ))
                }
            }
        }
        self.conn()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        removed.audits = audits.len() as u64;
        Ok(removed)
    }
}

/// What [`Store::remove_audits`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RemovedAudits {
    /// Audits removed.
    pub audits: u64,
    /// Synced rows removed.
    pub rows: u64,
    /// Attachment files removed.
    pub files: u64,
}

/// Writes the lead row of the signed-in auditor on an audit they start.
pub(crate) fn write_own_lead(w: &mut Writer<'_>, audit: Uuid, me: &SignedInUser) -> Result<()> {
    w.set(
        EntityKind::AuditMember,
        member_row_id(audit, me.user_id),
        &[
            ("audit_id", json!(audit.to_string())),
            ("user_id", json!(me.user_id.to_string())),
            ("username", json!(me.username)),
            ("role", json!(TeamRole::Lead.as_str())),
        ],
    )?;
    Ok(())
}

/// Records the audits to remove (in the transaction that applies the pull page
/// that said so), so a sync cut off before removing them removes them next time.
pub(crate) fn add_to_remove(w: &mut Writer<'_>, audits: &[Uuid]) -> Result<()> {
    let mut all = self_audits_to_remove(w)?;
    for a in audits {
        if !all.contains(a) {
            all.push(*a);
        }
    }
    set_removing(w, &all)
}

/// Forgets a pending removal of audits the server sends again (assigned back).
pub(crate) fn keep(w: &mut Writer<'_>, audits: &[Uuid]) -> Result<()> {
    let mut all = self_audits_to_remove(w)?;
    all.retain(|a| !audits.contains(a));
    set_removing(w, &all)
}

/// Every audit this device holds (for a reset of its scope).
pub(crate) fn held_audits(w: &Writer<'_>) -> Result<Vec<Uuid>> {
    let mut stmt = w.conn().prepare("SELECT id FROM audit")?;
    let ids: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids.iter().filter_map(|s| Uuid::parse_str(s).ok()).collect())
}

fn self_audits_to_remove(w: &Writer<'_>) -> Result<Vec<Uuid>> {
    let s: Option<String> = w
        .conn()
        .query_row(
            "SELECT value FROM sync_state WHERE key = ?1",
            [REMOVING],
            |r| r.get(0),
        )
        .optional()?;
    Ok(s.and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default())
}

fn set_removing(w: &Writer<'_>, audits: &[Uuid]) -> Result<()> {
    w.conn().execute(
        "INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (REMOVING, serde_json::to_string(audits).unwrap_or_else(|_| "[]".into())),
    )?;
    Ok(())
}

/// Every synced row of these audits, children before parents (so deleting in
/// this order satisfies the foreign keys), conflicts about them first.
fn rows_of_audits(w: &Writer<'_>, audits: &[String]) -> Result<Vec<(EntityKind, String)>> {
    let conn = w.conn();
    let mut by_entity: Vec<(EntityKind, Vec<String>)> = Vec::new();
    for entity in EntityKind::ALL {
        let ids: Vec<String> = match scope::scope_source(entity) {
            ScopeSource::Organisation | ScopeSource::ConflictTarget => continue,
            ScopeSource::ItsOwnAudit => audits.to_vec(),
            ScopeSource::AuditField(field) => {
                let mut stmt =
                    conn.prepare_cached(&format!("SELECT id FROM {entity} WHERE {field} = ?1"))?;
                let mut out = Vec::new();
                for a in audits {
                    for id in stmt.query_map([a], |r| r.get::<_, String>(0))? {
                        out.push(id?);
                    }
                }
                out
            }
            ScopeSource::Parent {
                field,
                entity: parent,
            } => {
                let parents = by_entity
                    .iter()
                    .find(|(e, _)| *e == parent)
                    .map(|(_, ids)| ids.clone())
                    .unwrap_or_default();
                let mut stmt =
                    conn.prepare_cached(&format!("SELECT id FROM {entity} WHERE {field} = ?1"))?;
                let mut out = Vec::new();
                for p in &parents {
                    for id in stmt.query_map([p], |r| r.get::<_, String>(0))? {
                        out.push(id?);
                    }
                }
                out
            }
        };
        by_entity.push((entity, ids));
    }
    let mut rows = Vec::new();
    // Conflicts kept about any of these rows.
    let mut stmt =
        conn.prepare_cached("SELECT id FROM conflict WHERE entity = ?1 AND row_id = ?2")?;
    for (entity, ids) in &by_entity {
        for id in ids {
            for c in stmt.query_map((entity.as_str(), id), |r| r.get::<_, String>(0))? {
                rows.push((EntityKind::Conflict, c?));
            }
        }
    }
    for (entity, ids) in by_entity.into_iter().rev() {
        rows.extend(ids.into_iter().map(|id| (entity, id)));
    }
    Ok(rows)
}

/// Rows that stay may refer to a removed one across audits (a follow-up's
/// `follow_up_of`, a finding's `verified_in` or `recurrence_of`, a verification's
/// follow-up audit): such a removed row is put back bare (its id only, marked
/// deleted, nothing logged), as a pull does for a parent not received yet, so the
/// foreign keys hold and lists do not show it. A later pull fills it in again.
fn keep_referenced_rows(w: &Writer<'_>) -> Result<()> {
    let conn = w.conn();
    let broken: Vec<(String, Option<i64>, String, i64)> = {
        let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows
    };
    for (table, rowid, parent, fk) in broken {
        let (Some(rowid), Some(parent)) = (rowid, EntityKind::parse(&parent)) else {
            continue;
        };
        let column: String = conn.query_row(
            &format!("SELECT \"from\" FROM pragma_foreign_key_list('{table}') WHERE id = ?1"),
            [fk],
            |r| r.get(0),
        )?;
        let id: Option<String> = conn.query_row(
            &format!("SELECT {column} FROM {table} WHERE rowid = ?1"),
            [rowid],
            |r| r.get(0),
        )?;
        if let Some(id) = id {
            conn.execute(
                &format!(
                    "INSERT INTO {parent} (id, deleted) VALUES (?1, 1) ON CONFLICT (id) DO NOTHING"
                ),
                [id],
            )?;
        }
    }
    Ok(())
}

/// Local-only tables (not synced entities) that have an `audit_id` column.
fn local_tables_with_audit_id(w: &Writer<'_>) -> Result<Vec<String>> {
    let conn = w.conn();
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )?;
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::new();
    for t in tables {
        if EntityKind::parse(&t).is_some() {
            continue;
        }
        let has: bool = conn.query_row(
            &format!(
                "SELECT EXISTS (SELECT 1 FROM pragma_table_info('{t}') WHERE name = 'audit_id')"
            ),
            [],
            |r| r.get(0),
        )?;
        if has {
            out.push(t);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support;

    fn sign_in(store: &mut Store, name: &str, role: Role) -> SignedInUser {
        let user = SignedInUser {
            user_id: Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()),
            username: name.into(),
            role,
        };
        store.set_signed_in_user(&user).unwrap();
        user
    }

    fn set_status(store: &mut Store, audit: Uuid, status: AuditStatus, comment: Option<&str>) {
        store
            .write(|w| {
                w.set(
                    EntityKind::Audit,
                    audit,
                    &[("status", json!(status.as_str())), ("review_comment", json!(comment))],
                )
                .map(drop)
            })
            .unwrap();
    }

    /// An audit with nothing recorded yet.
    fn planned(store: &mut Store) -> Uuid {
        let facility = test_support::facility(store);
        store
            .start_audit(&crate::audits::NewAudit {
                facility_id: facility,
                checklists: vec![crate::model::ChecklistRef { template_id: "fire-safety".into(), version: 1 }],
                audit_type: fieldaudit_protocol::closed_sets::AuditType::Initial,
                notice: fieldaudit_protocol::closed_sets::Notice::Announced,
                start_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
                end_date: None,
                auditors: Vec::new(),
            })
            .unwrap()
    }

    /// The groups come in the order the screen shows them (planned, in progress,
    /// returned, submitted, approved), only those with audits, each counted; the
    /// returned audit carries the reviewer's comment and the others none.
    #[test]
    fn my_audits_are_grouped_by_state_in_the_order_of_the_screen() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), "laptop").unwrap();
        // Received from the server (planned by the office), not started here.
        let in_progress = test_support::fire_safety_audit(&mut store);
        let plan_a = planned(&mut store);
        let plan_b = planned(&mut store);
        let returned = test_support::fire_safety_audit(&mut store);
        let approved = test_support::fire_safety_audit(&mut store);
        let not_mine = test_support::fire_safety_audit(&mut store);
        let nadia = sign_in(&mut store, "nadia", Role::Auditor);
        let lena = Uuid::now_v7();
        set_status(&mut store, returned, AuditStatus::Returned, Some("Photo of exit 3 missing"));
        set_status(&mut store, approved, AuditStatus::Approved, Some("Fine"));
        for a in [in_progress, plan_a, plan_b, returned, approved] {
            test_support::put_on_team(&mut store, a, nadia.user_id, "nadia", TeamRole::Auditor);
        }
        test_support::put_on_team(&mut store, plan_a, lena, "lena", TeamRole::Lead);
        test_support::put_on_team(&mut store, not_mine, lena, "lena", TeamRole::Lead);

        let view = store.my_audits_view().unwrap();
        let states: Vec<(MyAuditState, u64)> = view.groups.iter().map(|g| (g.state, g.count)).collect();
        assert_eq!(
            states,
            vec![
                (MyAuditState::Planned, 2),
                (MyAuditState::InProgress, 1),
                (MyAuditState::Returned, 1),
                (MyAuditState::Approved, 1),
            ],
            "no submitted group, and not the audit she is not on"
        );
        assert_eq!(view.total, 5);
        assert_eq!((view.username.as_deref(), view.role, view.may_start_audits), (Some("nadia"), Some(Role::Auditor), true));
        for g in &view.groups {
            assert_eq!(g.count as usize, g.audits.len());
            assert!(g.audits.iter().all(|a| a.state == g.state));
        }
        let all: Vec<&MyAudit> = view.groups.iter().flat_map(|g| &g.audits).collect();
        assert!(all.iter().all(|a| a.id != not_mine));
        let r = all.iter().find(|a| a.id == returned).unwrap();
        assert_eq!(r.review_comment.as_deref(), Some("Photo of exit 3 missing"));
        assert_eq!(all.iter().find(|a| a.id == approved).unwrap().review_comment, None, "only a returned audit shows the comment");
        let a = all.iter().find(|a| a.id == plan_a).unwrap();
        assert_eq!((a.team_role, a.lead.as_deref(), a.facility.as_deref()), (Some(TeamRole::Auditor), Some("lena"), Some("Hasan Knit")));
        assert_eq!(a.start_date.as_deref(), Some("2026-11-24"));
    }

    #[test]
    fn no_groups_without_audits_and_who_may_start_one() {
        assert!(group_my_audits(Vec::new()).is_empty());
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), "laptop").unwrap();
        test_support::fire_safety_audit(&mut store);
        sign_in(&mut store, "ivan", Role::Interviewer);
        let view = store.my_audits_view().unwrap();
        assert_eq!((view.total, view.groups.len(), view.may_start_audits), (0, 0, false), "an interviewer on no team has none and starts none");
        assert!(may_start_audits(Some(Role::Auditor)) && may_start_audits(Some(Role::Reviewer)) && may_start_audits(None));
        assert!(opens_on_my_audits(Some(Role::Auditor)) && opens_on_my_audits(Some(Role::Interviewer)));
        assert!(!opens_on_my_audits(Some(Role::Reviewer)) && !opens_on_my_audits(Some(Role::Admin)) && !opens_on_my_audits(None));
        assert_eq!(MyAuditState::ALL.map(|s| serde_json::to_value(s).unwrap()), MyAuditState::ALL.map(|s| json!(s.as_str())));
    }

    /// Removing an audit that a kept one refers to (its follow-up) leaves the
    /// kept audit whole and its reference in place.
    #[test]
    fn removing_an_audit_a_kept_follow_up_refers_to_keeps_the_follow_up() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), "laptop").unwrap();
        let first = test_support::fire_safety_audit(&mut store);
        let follow_up = test_support::fire_safety_audit(&mut store);
        store
            .write(|w| {
                w.set(
                    EntityKind::Audit,
                    follow_up,
                    &[("follow_up_of", json!(first.to_string()))],
                )
                .map(drop)
            })
            .unwrap();
        // As if everything had been pushed.
        store
            .conn()
            .execute(
                "INSERT INTO sync_state (key, value) VALUES ('push_watermark', '1000000')
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [],
            )
            .unwrap();
        let removed = store.remove_audits(&[first]).unwrap();
        assert_eq!(removed.audits, 1);
        assert!(store.audits(None).unwrap().iter().all(|a| a.id != first));
        let kept = store.audit(follow_up).unwrap();
        assert_eq!(kept.follow_up_of, Some(first));
        assert_eq!(store.answers(follow_up).unwrap().len(), 1);
    }
}
