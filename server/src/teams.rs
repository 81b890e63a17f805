//! Planning audits and assigning their teams from the server (`fieldaudit-server
//! audit plan|assign|team`): the rows are ordinary synced `audit` and
//! `audit_member` rows, written as changes of the organisation's server device, so
//! a planned audit reaches its team's laptops at their next sync like anything a
//! reviewer's app writes. A planned follow-up carries the facility's open
//! findings into its previous findings (`verification` rows, as *Start
//! follow-up* on a device writes them), and its team receives what it verifies of
//! the earlier audits ([`fieldaudit_protocol::scope::FOLLOW_UP_CARRIES`]).

use fieldaudit_protocol::closed_sets::{AuditType, FindingStatus, FollowUpStatus, Notice, Severity};
use fieldaudit_protocol::corrective::{self, verification_id};
use fieldaudit_protocol::scope::{is_follow_up, member_row_id, TeamRole};
use fieldaudit_protocol::EntityKind;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::admin;
use crate::reviewers::push_as_server_device;
use crate::store::{CurrentRow, ServerStore};

/// One member to put on a team: a user name and their role on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The user's name in the organisation.
    pub username: String,
    /// Their role on the team.
    pub role: TeamRole,
}

/// One current member of a team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The user.
    pub user_id: Uuid,
    /// Their name.
    pub username: String,
    /// Their role on the team.
    pub role: TeamRole,
}

/// A new audit for a facility, planned by the office.
#[derive(Clone, Debug)]
pub struct PlannedAudit {
    /// The facility's id.
    pub facility_id: Uuid,
    /// Checklists as `template_id` (version 1) or `template_id@version`.
    pub checklists: Vec<String>,
    /// Initial, periodic or a follow-up.
    pub audit_type: AuditType,
    /// How much notice the site has.
    pub notice: Notice,
    /// First day (YYYY-MM-DD).
    pub start_date: String,
}

fn newest(rows: &[CurrentRow]) -> Option<fieldaudit_protocol::Hlc> {
    rows.iter().map(|r| r.newest).max()
}

/// The current team of an audit.
pub async fn team(
    store: &dyn ServerStore,
    org_slug: &str,
    audit: Uuid,
) -> anyhow::Result<Vec<Member>> {
    let org = admin::organisation(store, org_slug).await?;
    let rows = store
        .current_rows(org.id, EntityKind::AuditMember.as_str())
        .await?;
    let mut out: Vec<Member> = rows.iter().filter_map(|r| member(r, audit)).collect();
    out.sort_by(|a, b| (a.role, &a.username).cmp(&(b.role, &b.username)));
    Ok(out)
}

fn member(row: &CurrentRow, audit: Uuid) -> Option<Member> {
    let f = &row.fields;
    if f.get("deleted").and_then(Value::as_bool) == Some(true)
        || f.get("audit_id").and_then(Value::as_str) != Some(audit.to_string().as_str())
    {
        return None;
    }
    Some(Member {
        user_id: f
            .get("user_id")
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())?,
        username: f
            .get("username")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        role: f
            .get("role")
            .and_then(Value::as_str)
            .and_then(TeamRole::parse)?,
    })
}

/// Sets an audit's team to exactly `members` (others are removed; their laptops
/// remove the audit at their next sync). Needs exactly one lead.
pub async fn assign(
    store: &dyn ServerStore,
    org_slug: &str,
    audit: Uuid,
    members: &[Assignment],
) -> anyhow::Result<Vec<Member>> {
    let org = admin::organisation(store, org_slug).await?;
    let leads = members.iter().filter(|m| m.role == TeamRole::Lead).count();
    if leads != 1 {
        anyhow::bail!("a team needs exactly one lead (--lead NAME); {leads} given");
    }
    let audits = store
        .current_rows(org.id, EntityKind::Audit.as_str())
        .await?;
    if !audits.iter().any(|r| {
        r.row_id == audit && r.fields.get("deleted").and_then(Value::as_bool) != Some(true)
    }) {
        anyhow::bail!(
            "no audit {audit} in {org_slug}; plan one with `fieldaudit-server audit plan`"
        );
    }
    let mut wanted = Vec::new();
    for m in members {
        let user = store
            .login_candidate(org_slug, m.username.trim())
            .await?
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no user {:?} in {org_slug}; add them with `fieldaudit-server user add`",
                    m.username
                )
            })?
            .user;
        if wanted
            .iter()
            .any(|(u, _, _): &(Uuid, String, TeamRole)| *u == user.id)
        {
            anyhow::bail!(
                "{} is named twice; give each person one role",
                user.username
            );
        }
        wanted.push((user.id, user.username, m.role));
    }
    let rows = store
        .current_rows(org.id, EntityKind::AuditMember.as_str())
        .await?;
    let current: Vec<Member> = rows.iter().filter_map(|r| member(r, audit)).collect();
    let mut ops: Vec<(Uuid, &str, Value)> = Vec::new();
    for (user, name, role) in &wanted {
        let row = member_row_id(audit, *user);
        if current
            .iter()
            .any(|m| m.user_id == *user && m.role == *role)
        {
            continue;
        }
        ops.push((row, "audit_id", json!(audit.to_string())));
        ops.push((row, "user_id", json!(user.to_string())));
        ops.push((row, "username", json!(name)));
        ops.push((row, "role", json!(role.as_str())));
        ops.push((row, "deleted", json!(false)));
    }
    for m in &current {
        if !wanted.iter().any(|(u, _, _)| *u == m.user_id) {
            ops.push((member_row_id(audit, m.user_id), "deleted", json!(true)));
        }
    }
    if !ops.is_empty() {
        push_as_server_device(store, org.id, EntityKind::AuditMember, newest(&rows), ops).await?;
    }
    team(store, org_slug, audit).await
}

/// Plans a new audit for a facility and assigns its team; returns its id.
pub async fn plan(
    store: &dyn ServerStore,
    org_slug: &str,
    audit: &PlannedAudit,
    members: &[Assignment],
) -> anyhow::Result<Uuid> {
    let org = admin::organisation(store, org_slug).await?;
    let facilities = store
        .current_rows(org.id, EntityKind::Facility.as_str())
        .await?;
    if !facilities.iter().any(|r| r.row_id == audit.facility_id) {
        anyhow::bail!(
            "no facility {} in {org_slug}; import it with `fieldaudit-server facility import`",
            audit.facility_id
        );
    }
    let mut checklists = Vec::new();
    for c in &audit.checklists {
        let (id, version) = match c.split_once('@') {
            Some((id, v)) => (
                id,
                v.parse::<u32>().map_err(|_| {
                    anyhow::anyhow!("checklist {c:?}: the version after @ must be a number")
                })?,
            ),
            None => (c.as_str(), 1),
        };
        checklists.push(json!({ "template_id": id, "version": version }));
    }
    let follow_up = is_follow_up(audit.audit_type);
    if checklists.is_empty() && audit.audit_type != AuditType::PartialFollowUp {
        anyhow::bail!("choose at least one checklist (--checklist fire-safety)");
    }
    let id = Uuid::now_v7();
    let audits = store
        .current_rows(org.id, EntityKind::Audit.as_str())
        .await?;
    let carried = if follow_up {
        carried_findings(store, org.id, audit.facility_id, &audits).await?
    } else {
        Carried::default()
    };
    if follow_up && carried.findings.is_empty() && checklists.is_empty() {
        anyhow::bail!("facility {} has no earlier finding left to verify; a partial follow-up would be empty (add --checklist, or plan an initial or periodic audit)", audit.facility_id);
    }
    let mut ops = vec![
        (id, "facility_id", json!(audit.facility_id.to_string())),
        (id, "checklists", json!(checklists)),
        (id, "audit_type", json!(audit.audit_type.as_str())),
        (id, "notice", json!(audit.notice.as_str())),
        (id, "start_date", json!(audit.start_date)),
        (id, "status", json!("draft")),
        (id, "deleted", json!(false)),
    ];
    if let Some(previous) = carried.previous_audit {
        ops.push((id, "follow_up_of", json!(previous.to_string())));
    }
    push_as_server_device(store, org.id, EntityKind::Audit, newest(&audits), ops).await?;
    if !carried.findings.is_empty() {
        // The follow-up's previous findings, as the device's *Start follow-up* writes them.
        let mut ops = Vec::new();
        for (finding, action) in &carried.findings {
            let v = verification_id(id, *finding);
            // Its scope field first: a verification belongs with the finding's audit.
            ops.push((v, "finding_id", json!(finding.to_string())));
            ops.push((v, "audit_id", json!(id.to_string())));
            ops.push((v, "action_id", json!(action.map(|a| a.to_string()))));
            ops.push((v, "deleted", json!(false)));
        }
        let existing = store
            .current_rows(org.id, EntityKind::Verification.as_str())
            .await?;
        push_as_server_device(store, org.id, EntityKind::Verification, newest(&existing), ops)
            .await?;
    }
    assign(store, org_slug, id, members).await?;
    Ok(id)
}

/// What a planned follow-up carries: the facility's open non-conformances not
/// yet verified closed (with their CAP item), and the audit it follows.
#[derive(Debug, Default)]
struct Carried {
    findings: Vec<(Uuid, Option<Uuid>)>,
    previous_audit: Option<Uuid>,
}

async fn carried_findings(
    store: &dyn ServerStore,
    org: Uuid,
    facility: Uuid,
    audits: &[CurrentRow],
) -> anyhow::Result<Carried> {
    let text = |r: &CurrentRow, f: &str| r.fields.get(f).and_then(Value::as_str).map(str::to_owned);
    let live = |r: &CurrentRow| r.fields.get("deleted").and_then(Value::as_bool) != Some(true);
    let of_facility: Vec<&CurrentRow> = audits
        .iter()
        .filter(|r| live(r) && text(r, "facility_id") == Some(facility.to_string()))
        .collect();
    let previous_audit = of_facility
        .iter()
        .max_by_key(|r| (text(r, "start_date"), r.row_id))
        .map(|r| r.row_id);
    let ids: std::collections::HashSet<String> =
        of_facility.iter().map(|r| r.row_id.to_string()).collect();
    let parse = |r: &CurrentRow, f: &str| text(r, f);
    let mut findings: Vec<Uuid> = store
        .current_rows(org, EntityKind::Finding.as_str())
        .await?
        .iter()
        .filter(|r| live(r) && parse(r, "audit_id").is_some_and(|a| ids.contains(&a)))
        .filter(|r| {
            corrective::carried_into_follow_up(
                parse(r, "status").as_deref().and_then(FindingStatus::parse),
                parse(r, "severity").as_deref().and_then(Severity::parse),
                parse(r, "follow_up_status").as_deref().and_then(FollowUpStatus::parse),
            )
        })
        .map(|r| r.row_id)
        .collect();
    findings.sort();
    let actions = store
        .current_rows(org, EntityKind::CorrectiveAction.as_str())
        .await?;
    let action_of = |f: Uuid| {
        actions
            .iter()
            .filter(|r| live(r) && parse(r, "finding_id") == Some(f.to_string()))
            .map(|r| r.row_id)
            .min()
    };
    Ok(Carried {
        findings: findings.into_iter().map(|f| (f, action_of(f))).collect(),
        previous_audit,
    })
}
