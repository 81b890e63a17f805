//! Who sees and who may change what: the one rule, used by the server on push and
//! pull and by the device to explain a refusal.
//!
//! Every synced row has a [`Scope`]: the organisation (the facility registry,
//! reviewer keys, the exchange-rate and WGI reference tables) or one audit (the
//! audit itself and everything under it, including its reopenings, the
//! verifications of its findings and the supplier responses to its CAP; see
//! [`scope_source`] for how each entity finds its audit: its match has no
//! wildcard, so a new entity does not compile until it is placed). Reviewers and
//! admins receive everything; auditors and interviewers receive the organisation's
//! rows and the audits whose team they are on ([`receives`]). A follow-up's team
//! also receives, of the facility's earlier audits, what it verifies
//! ([`FOLLOW_UP_CARRIES`]: the audit row, its findings, CAP items, verifications
//! and supplier responses; not its answers, fee records, interviews or files),
//! and may record there only the follow-up's writes ([`carried_write`]).
//!
//! Every op is one [`WriteKind`] ([`write_kind`]); [`may_write`] decides it from
//! the user's organisation role and their role on the audit's team, and a refusal
//! is a [`Refusal`] whose message names the role or assignment that is missing.
//! New kinds of write are one more [`WriteKind`] variant with its line in
//! [`rule`]. The corrective-action loop's decisions ([`crate::corrective`]) are
//! written here as they are: reopening a signed audit, verifying a finding or a
//! CAP item, supplier responses. Whether a signed audit may change at all is the
//! separate lock rule ([`crate::lock`]), applied on top of this one.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::api::Role;
pub use crate::closed_sets::TeamRole;
use crate::closed_sets::{ActionStatus, AuditStatus, AuditType};
use crate::lock::LOCK_FIELD;
use crate::registry::EntityKind;

/// Where a row belongs, which decides which devices receive it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Every device of the organisation receives it.
    Organisation,
    /// It belongs to this audit.
    Audit(Uuid),
}

impl Scope {
    /// The audit, for an audit-scoped row.
    pub fn audit(self) -> Option<Uuid> {
        match self {
            Scope::Organisation => None,
            Scope::Audit(a) => Some(a),
        }
    }
}

/// How a row of an entity finds its [`Scope`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeSource {
    /// The organisation's (registry, keys).
    Organisation,
    /// The row is the audit.
    ItsOwnAudit,
    /// This field holds the audit's id.
    AuditField(&'static str),
    /// This field names a parent row of `entity`, whose scope the row shares.
    Parent {
        /// The field holding the parent's id.
        field: &'static str,
        /// The parent's entity.
        entity: EntityKind,
    },
    /// A kept conflict: the scope of the row it is about (its `entity` and
    /// `row_id` fields).
    ConflictTarget,
}

/// How rows of `entity` find their scope.
pub fn scope_source(entity: EntityKind) -> ScopeSource {
    use EntityKind::*;
    match entity {
        Facility | ReviewerKey | ExchangeRate | WgiValue => ScopeSource::Organisation,
        Audit => ScopeSource::ItsOwnAudit,
        RepeatInstance | Answer | Finding | Attachment | FeeRecord | Interview | Signoff
        | AuditMember | Reopening => ScopeSource::AuditField("audit_id"),
        // A verification belongs with the finding it verifies (a desktop review has
        // no audit of its own; a follow-up's names its follow-up in `audit_id`).
        Verification => ScopeSource::Parent {
            field: "finding_id",
            entity: Finding,
        },
        SupplierResponse => ScopeSource::Parent {
            field: "action_id",
            entity: CorrectiveAction,
        },
        CorrectiveAction => ScopeSource::Parent {
            field: "finding_id",
            entity: Finding,
        },
        Fee => ScopeSource::Parent {
            field: "fee_record_id",
            entity: FeeRecord,
        },
        Conflict => ScopeSource::ConflictTarget,
    }
}

/// The field that ties a row to its scope (`audit_id`, a parent's id, or a
/// conflict's `row_id`), if it has one. A device writes it first when it creates
/// a row, so the server knows the row's audit before its other fields arrive.
pub fn scope_field(entity: EntityKind) -> Option<&'static str> {
    match scope_source(entity) {
        ScopeSource::Organisation | ScopeSource::ItsOwnAudit => None,
        ScopeSource::AuditField(f) | ScopeSource::Parent { field: f, .. } => Some(f),
        ScopeSource::ConflictTarget => Some("row_id"),
    }
}

/// Entities of a facility's earlier audits that a follow-up's team receives: the
/// audit row itself (its dates and type, which the previous-findings list shows)
/// and what the follow-up verifies.
pub const FOLLOW_UP_CARRIES: &[EntityKind] = &[
    EntityKind::Audit,
    EntityKind::Finding,
    EntityKind::CorrectiveAction,
    EntityKind::Verification,
    EntityKind::SupplierResponse,
];

/// Whether a follow-up's team receives rows of `entity` of the facility's earlier
/// audits.
pub fn carries(entity: EntityKind) -> bool {
    FOLLOW_UP_CARRIES.contains(&entity)
}

/// Whether the team of a follow-up may make this kind of write on an earlier
/// audit it carries (in the role it has on the follow-up): what verifying
/// earlier findings writes there, nothing else of that audit.
pub fn carried_write(kind: WriteKind) -> bool {
    matches!(
        kind,
        WriteKind::FindingVerification
            | WriteKind::CapVerification
            | WriteKind::CapProgress
            | WriteKind::ConflictRecord
    )
}

/// Whether an audit type is a follow-up (its team is to receive
/// [`FOLLOW_UP_CARRIES`] of the facility's earlier audits).
pub fn is_follow_up(audit_type: AuditType) -> bool {
    matches!(
        audit_type,
        AuditType::FullFollowUp | AuditType::PartialFollowUp
    )
}

/// The id of the team-membership row of `user` on `audit` (UUIDv5), so the same
/// assignment made twice, offline, is one row.
pub fn member_row_id(audit: Uuid, user: Uuid) -> Uuid {
    Uuid::new_v5(&audit, format!("audit-member:{user}").as_bytes())
}

/// The kinds of write the role matrix decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WriteKind {
    /// The facility registry.
    Registry,
    /// Reviewer public keys (only the server's admin commands).
    ReviewerKeys,
    /// An audit's plan: its facility, checklists, type, notice, dates, deletion.
    AuditPlan,
    /// Who is on an audit's team.
    Assignment,
    /// The team row that makes the auditor who started an audit its lead.
    OwnLeadMembership,
    /// Approving or returning an audit.
    ReviewDecision,
    /// Verifying a corrective action.
    CapVerification,
    /// A CAP item's progress after it was agreed: its status (short of
    /// verified), evidence, verification method and closing day.
    CapProgress,
    /// Recording what a follow-up or desktop review found of a finding (the
    /// `verification` row and the finding's follow-up fields).
    FindingVerification,
    /// Reopening a signed audit for correction: the `reopening` row, voiding its
    /// sign-offs, unlocking it and putting it back to draft.
    Reopening,
    /// Importing supplier responses to the CAP and accepting or rejecting them.
    SupplierResponse,
    /// The organisation's reference tables (exchange rates, WGI values).
    ReferenceTables,
    /// Worker interviews and fee records (with their fees).
    InterviewWork,
    /// Everything else recorded on an audit: answers, instances, findings,
    /// corrective actions, attachments, sign-offs, its status up to submission.
    AuditWork,
    /// Bookkeeping of a concurrent edit seen while merging (any device that holds
    /// the row may record it).
    ConflictRecord,
}

impl WriteKind {
    /// Every kind, for tables and tests.
    pub const ALL: [WriteKind; 15] = [
        WriteKind::Registry,
        WriteKind::ReviewerKeys,
        WriteKind::AuditPlan,
        WriteKind::Assignment,
        WriteKind::OwnLeadMembership,
        WriteKind::ReviewDecision,
        WriteKind::CapVerification,
        WriteKind::CapProgress,
        WriteKind::FindingVerification,
        WriteKind::Reopening,
        WriteKind::SupplierResponse,
        WriteKind::ReferenceTables,
        WriteKind::InterviewWork,
        WriteKind::AuditWork,
        WriteKind::ConflictRecord,
    ];

    /// What this write is, for a person ("changes to the facility registry").
    pub fn describe(self) -> &'static str {
        match self {
            WriteKind::Registry => "changing the facility registry",
            WriteKind::ReviewerKeys => "reviewer keys",
            WriteKind::AuditPlan => "planning an audit",
            WriteKind::Assignment => "assigning an audit's team",
            WriteKind::OwnLeadMembership => "leading an audit one started",
            WriteKind::ReviewDecision => "approving or returning an audit",
            WriteKind::CapVerification => "verifying a corrective action",
            WriteKind::CapProgress => "recording a corrective action's progress",
            WriteKind::FindingVerification => "recording a follow-up verification of a finding",
            WriteKind::Reopening => "reopening a signed audit",
            WriteKind::SupplierResponse => "supplier responses to the CAP",
            WriteKind::ReferenceTables => "the exchange-rate and governance (WGI) tables",
            WriteKind::InterviewWork => "worker interviews and fee records",
            WriteKind::AuditWork => "recording an audit's answers, findings and evidence",
            WriteKind::ConflictRecord => "recording a concurrent edit",
        }
    }
}

/// Audit fields that make up its plan.
const PLAN_FIELDS: &[&str] = &[
    "facility_id",
    "checklists",
    "audit_type",
    "notice",
    "start_date",
    "end_date",
    "auditors",
    "follow_up_of",
    "deleted",
];

/// Corrective-action fields that move on after the CAP was agreed (what a
/// sign-off does not cover, [`crate::lock::is_signed`]).
const CAP_PROGRESS_FIELDS: &[&str] = &["status", "evidence", "verification_method", "closed_on"];

/// Finding fields a follow-up or desktop review writes (not its sign-off's).
const FINDING_VERIFICATION_FIELDS: &[&str] = &[
    "follow_up_status",
    "verified_in",
    "verified_by",
    "verified_on",
];

/// What kind of write an op is. An `audit_member` op is [`WriteKind::Assignment`];
/// the server re-classifies the starter's own lead row as
/// [`WriteKind::OwnLeadMembership`] (it knows who started the audit). Reopening
/// writes the `reopening` row, `voided` on the sign-offs and `locked = false`
/// with `status = draft` on the audit: each of those is [`WriteKind::Reopening`].
pub fn write_kind(entity: EntityKind, field: &str, value: &Value) -> WriteKind {
    use EntityKind::*;
    let is_false = value.as_bool() == Some(false);
    match entity {
        Facility => WriteKind::Registry,
        ReviewerKey => WriteKind::ReviewerKeys,
        ExchangeRate | WgiValue => WriteKind::ReferenceTables,
        AuditMember => WriteKind::Assignment,
        Reopening => WriteKind::Reopening,
        Verification => WriteKind::FindingVerification,
        SupplierResponse => WriteKind::SupplierResponse,
        Audit if crate::registry::is_review_op(entity, field, value) => WriteKind::ReviewDecision,
        Audit if field == LOCK_FIELD && is_false => WriteKind::Reopening,
        Audit
            if field == "status"
                && value.as_str().and_then(AuditStatus::parse) == Some(AuditStatus::Draft) =>
        {
            WriteKind::Reopening
        }
        Audit if PLAN_FIELDS.contains(&field) => WriteKind::AuditPlan,
        Signoff if field == "voided" && value.as_bool() == Some(true) => WriteKind::Reopening,
        Finding if FINDING_VERIFICATION_FIELDS.contains(&field) => WriteKind::FindingVerification,
        CorrectiveAction
            if field == "status"
                && value.as_str().and_then(ActionStatus::parse) == Some(ActionStatus::Verified) =>
        {
            WriteKind::CapVerification
        }
        CorrectiveAction if CAP_PROGRESS_FIELDS.contains(&field) => WriteKind::CapProgress,
        Interview | FeeRecord | Fee => WriteKind::InterviewWork,
        Conflict => WriteKind::ConflictRecord,
        Audit | RepeatInstance | Answer | Finding | CorrectiveAction | Attachment | Signoff => {
            WriteKind::AuditWork
        }
    }
}

/// The kind of write of an attachment row's ops, from what it is attached to
/// (`subject_kind`): a file attached to a CAP item or a supplier response is CAP
/// progress, one attached to a verification is verifying (both are added after
/// sign-off, by the team or a reviewer); any other file is the audit's own work.
/// [`write_kind`] sees one op at a time and says [`WriteKind::AuditWork`] for
/// every attachment op; the server asks this when the row's subject is known.
pub fn attachment_write_kind(subject_kind: Option<&str>) -> WriteKind {
    match subject_kind {
        Some("corrective_action" | "supplier_response") => WriteKind::CapProgress,
        Some("verification") => WriteKind::FindingVerification,
        _ => WriteKind::AuditWork,
    }
}

/// Who is writing: their organisation role and their role on the team of the
/// row's audit (`None` when not on it, or for organisation rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The user's organisation role.
    pub role: Role,
    /// Their role on the audit's team.
    pub team_role: Option<TeamRole>,
}

/// Who may do one kind of write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Organisation roles that may do it on any audit (or the organisation's rows).
    pub anywhere: &'static [Role],
    /// Organisation roles that may do it on an audit whose team they are on…
    pub on_team: &'static [Role],
    /// …in one of these team roles.
    pub team_roles: &'static [TeamRole],
}

const NOBODY: Rule = Rule {
    anywhere: &[],
    on_team: &[],
    team_roles: &[],
};
const ALL_TEAM: &[TeamRole] = &[TeamRole::Lead, TeamRole::Auditor, TeamRole::Interviewer];
const AUDITING: &[TeamRole] = &[TeamRole::Lead, TeamRole::Auditor];

/// The role matrix: who may do each kind of write.
pub fn rule(kind: WriteKind) -> Rule {
    use Role::*;
    match kind {
        WriteKind::Registry => Rule {
            anywhere: &[Admin],
            ..NOBODY
        },
        WriteKind::ReviewerKeys => NOBODY,
        WriteKind::AuditPlan => Rule {
            anywhere: &[Admin, Reviewer],
            on_team: &[Auditor],
            team_roles: AUDITING,
        },
        WriteKind::Assignment => Rule {
            anywhere: &[Admin, Reviewer],
            ..NOBODY
        },
        WriteKind::OwnLeadMembership => Rule {
            anywhere: &[Admin, Reviewer],
            on_team: &[Auditor],
            team_roles: &[TeamRole::Lead],
        },
        WriteKind::ReviewDecision | WriteKind::SupplierResponse | WriteKind::ReferenceTables => {
            Rule {
                anywhere: &[Admin, Reviewer],
                ..NOBODY
            }
        }
        // Reviewers verify from evidence received (desktop review); the audit's
        // lead and auditors verify on site ([`crate::corrective::may_verify_on_site`]).
        // Reviewers follow CAP progress in the office (accepting a supplier's
        // response puts the item in progress); the audit's team records it on site.
        WriteKind::CapProgress | WriteKind::CapVerification | WriteKind::FindingVerification => {
            Rule {
                anywhere: &[Admin, Reviewer],
                on_team: &[Auditor],
                team_roles: AUDITING,
            }
        }
        // The lead auditor or a reviewer ([`crate::corrective::may_reopen`]).
        WriteKind::Reopening => Rule {
            anywhere: &[Admin, Reviewer],
            on_team: &[Auditor],
            team_roles: &[TeamRole::Lead],
        },
        // Admins may correct anything (they also manage users, devices and the registry).
        WriteKind::InterviewWork => Rule {
            anywhere: &[Admin],
            on_team: &[Auditor, Interviewer],
            team_roles: ALL_TEAM,
        },
        WriteKind::AuditWork => Rule {
            anywhere: &[Admin],
            on_team: &[Auditor],
            team_roles: AUDITING,
        },
        WriteKind::ConflictRecord => Rule {
            anywhere: &[Admin, Reviewer],
            on_team: &[Auditor, Interviewer],
            team_roles: ALL_TEAM,
        },
    }
}

/// Why a write was refused; its message names the missing role or assignment.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Only the server's admin commands make this write.
    #[error("{} are registered by an administrator on the server (fieldaudit-server reviewer add); devices cannot change them", kind.describe())]
    ServerOnly {
        /// What was attempted.
        kind: WriteKind,
    },
    /// The user's organisation role may not do this.
    #[error("{} needs the {} role; you are signed in as {role}: ask an administrator", kind.describe(), names(needs))]
    Role {
        /// What was attempted.
        kind: WriteKind,
        /// The user's role.
        role: Role,
        /// Roles that may.
        needs: Vec<Role>,
    },
    /// The user is not on the audit's team in a role that may.
    #[error("{} on audit {} needs an assignment to its team as {}; {}: ask a reviewer to assign you", kind.describe(), short(*audit), names(needs), match team_role { Some(r) => format!("you are on it as {r}"), None => "you are not on its team".into() })]
    Assignment {
        /// What was attempted.
        kind: WriteKind,
        /// The audit.
        audit: Uuid,
        /// The user's role on its team.
        team_role: Option<TeamRole>,
        /// Team roles that may.
        needs: Vec<TeamRole>,
    },
}

fn names<T: std::fmt::Display>(items: &[T]) -> String {
    let v: Vec<String> = items.iter().map(|r| r.to_string()).collect();
    match v.len() {
        0 => "no".into(),
        1 => v[0].clone(),
        _ => format!("{} or {}", v[..v.len() - 1].join(", "), v[v.len() - 1]),
    }
}

fn short(id: Uuid) -> String {
    let s = id.simple().to_string();
    s[s.len() - 8..].to_owned()
}

/// Decides one write of `actor` on a row of `scope`.
pub fn may_write(actor: Actor, kind: WriteKind, scope: Scope) -> Result<(), Refusal> {
    let rule = rule(kind);
    if kind == WriteKind::ReviewerKeys {
        return Err(Refusal::ServerOnly { kind });
    }
    if rule.anywhere.contains(&actor.role) {
        return Ok(());
    }
    let refuse_role = || Refusal::Role {
        kind,
        role: actor.role,
        needs: rule.anywhere.iter().chain(rule.on_team).copied().collect(),
    };
    if !rule.on_team.contains(&actor.role) {
        return Err(refuse_role());
    }
    let Scope::Audit(audit) = scope else {
        return Err(refuse_role());
    };
    // An interviewer never does more than an interviewer, whatever the team says.
    let team_role = match (actor.role, actor.team_role) {
        (Role::Interviewer, Some(_)) => Some(TeamRole::Interviewer),
        (_, t) => t,
    };
    match team_role {
        Some(t) if rule.team_roles.contains(&t) => Ok(()),
        _ => Err(Refusal::Assignment {
            kind,
            audit,
            team_role: actor.team_role,
            needs: rule.team_roles.to_vec(),
        }),
    }
}

/// Whether a user of this role receives every audit (reviewers and admins).
pub fn sees_everything(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Reviewer)
}

/// Whether a device of a user receives a row of `scope`.
pub fn receives(role: Role, team_role: Option<TeamRole>, scope: Scope) -> bool {
    match scope {
        Scope::Organisation => true,
        Scope::Audit(_) => sees_everything(role) || team_role.is_some(),
    }
}

/// What a device is told about its audits in a pull: which it newly holds (and
/// got whole, as `backfill`) and which it must remove.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeUpdate {
    /// The scope version the device holds once it applied this page; it sends it
    /// back as `scope` on its next pull (so a lost answer is sent again).
    pub epoch: u64,
    /// Audits this page sent whole (their current state is in `backfill`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<Uuid>,
    /// Audits the device no longer holds: it pushes what it has of them unsent,
    /// then deletes their rows and files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<Uuid>,
    /// The user's role changed between receiving everything and receiving only
    /// its audits: the device pushes what it has unsent, deletes every audit it
    /// holds and pulls again from the start (`after=0`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reset: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use Role::*;

    /// The documented matrix, one line per kind of write: what each role may do
    /// on an audit whose team they are on as lead / auditor / interviewer, and on
    /// one whose team they are not on. `y` accepted, `-` refused.
    const MATRIX: &[(WriteKind, [&str; 4])] = &[
        //                                  admin   reviewer auditor  interviewer   (L A I none)
        (WriteKind::Registry, ["yyyy", "----", "----", "----"]),
        (WriteKind::ReviewerKeys, ["----", "----", "----", "----"]),
        (WriteKind::AuditPlan, ["yyyy", "yyyy", "yy--", "----"]),
        (WriteKind::Assignment, ["yyyy", "yyyy", "----", "----"]),
        (
            WriteKind::OwnLeadMembership,
            ["yyyy", "yyyy", "y---", "----"],
        ),
        (WriteKind::ReviewDecision, ["yyyy", "yyyy", "----", "----"]),
        (WriteKind::CapVerification, ["yyyy", "yyyy", "yy--", "----"]),
        (WriteKind::CapProgress, ["yyyy", "yyyy", "yy--", "----"]),
        (
            WriteKind::FindingVerification,
            ["yyyy", "yyyy", "yy--", "----"],
        ),
        (WriteKind::Reopening, ["yyyy", "yyyy", "y---", "----"]),
        (
            WriteKind::SupplierResponse,
            ["yyyy", "yyyy", "----", "----"],
        ),
        (WriteKind::ReferenceTables, ["yyyy", "yyyy", "----", "----"]),
        (WriteKind::InterviewWork, ["yyyy", "----", "yyy-", "yyy-"]),
        (WriteKind::AuditWork, ["yyyy", "----", "yy--", "----"]),
        (WriteKind::ConflictRecord, ["yyyy", "yyyy", "yyy-", "yyy-"]),
    ];

    #[test]
    fn every_role_and_kind_of_write_follows_the_documented_matrix() {
        assert_eq!(
            MATRIX.len(),
            WriteKind::ALL.len(),
            "every kind of write has its line"
        );
        let audit = Uuid::from_u128(0xabcdef12);
        let teams = [
            Some(TeamRole::Lead),
            Some(TeamRole::Auditor),
            Some(TeamRole::Interviewer),
            None,
        ];
        for (kind, per_role) in MATRIX {
            for (role, line) in [Admin, Reviewer, Auditor, Interviewer]
                .into_iter()
                .zip(per_role)
            {
                for (team_role, want) in teams.into_iter().zip(line.chars()) {
                    let got = may_write(Actor { role, team_role }, *kind, Scope::Audit(audit));
                    assert_eq!(
                        got.is_ok(),
                        want == 'y',
                        "{kind:?} by {role} on the team as {team_role:?}: {got:?}"
                    );
                    if let Err(refusal) = got {
                        let m = refusal.to_string();
                        let named = match &refusal {
                            Refusal::ServerOnly { .. } => m.contains("administrator"),
                            Refusal::Role { needs, .. } => {
                                needs.iter().all(|r| m.contains(r.as_str()))
                                    && m.contains(role.as_str())
                            }
                            Refusal::Assignment { needs, .. } => {
                                needs.iter().all(|r| m.contains(r.as_str()))
                                    && m.contains("abcdef12")
                            }
                        };
                        assert!(
                            named,
                            "{kind:?} by {role}: the reason names what is missing: {m}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn evidence_added_after_sign_off_is_cap_progress_or_verification() {
        for subject in crate::lock::AFTER_SIGNOFF_SUBJECTS {
            let kind = attachment_write_kind(Some(subject));
            assert_ne!(kind, WriteKind::AuditWork, "{subject}");
            let reviewer = Actor {
                role: Role::Reviewer,
                team_role: None,
            };
            assert!(
                may_write(reviewer, kind, Scope::Audit(Uuid::nil())).is_ok(),
                "a reviewer attaches evidence to a {subject}"
            );
        }
        for subject in [None, Some("answer"), Some("audit"), Some("finding")] {
            assert_eq!(attachment_write_kind(subject), WriteKind::AuditWork, "{subject:?}");
        }
    }

    #[test]
    fn organisation_rows_need_a_role_not_an_assignment() {
        let auditor = Actor {
            role: Auditor,
            team_role: None,
        };
        let e = may_write(auditor, WriteKind::Registry, Scope::Organisation).unwrap_err();
        assert!(e.to_string().contains("needs the admin role"), "{e}");
        assert!(may_write(
            Actor {
                role: Admin,
                team_role: None
            },
            WriteKind::Registry,
            Scope::Organisation
        )
        .is_ok());
        let e = may_write(auditor, WriteKind::AuditWork, Scope::Audit(Uuid::nil())).unwrap_err();
        assert!(
            e.to_string().contains("not on its team") && e.to_string().contains("lead or auditor"),
            "{e}"
        );
        let e = may_write(
            Actor {
                role: Interviewer,
                team_role: Some(TeamRole::Lead),
            },
            WriteKind::AuditWork,
            Scope::Audit(Uuid::nil()),
        )
        .unwrap_err();
        assert!(
            matches!(e, Refusal::Role { .. }),
            "an interviewer named lead still only interviews: {e}"
        );
    }

    #[test]
    fn ops_are_classified_by_entity_field_and_value() {
        let k = |e, f: &str, v: Value| write_kind(e, f, &v);
        assert_eq!(
            k(EntityKind::Facility, "name", json!("x")),
            WriteKind::Registry
        );
        assert_eq!(
            k(EntityKind::Audit, "status", json!("approved")),
            WriteKind::ReviewDecision
        );
        assert_eq!(
            k(EntityKind::Audit, "status", json!("submitted")),
            WriteKind::AuditWork
        );
        assert_eq!(
            k(EntityKind::Audit, "start_date", json!("2026-01-01")),
            WriteKind::AuditPlan
        );
        assert_eq!(
            k(EntityKind::CorrectiveAction, "status", json!("verified")),
            WriteKind::CapVerification
        );
        assert_eq!(
            k(EntityKind::CorrectiveAction, "status", json!("done")),
            WriteKind::CapProgress
        );
        assert_eq!(
            k(EntityKind::CorrectiveAction, "root_cause", json!("x")),
            WriteKind::AuditWork
        );
        for field in CAP_PROGRESS_FIELDS {
            assert!(
                !crate::lock::is_signed(EntityKind::CorrectiveAction, field, None),
                "{field} moves on after sign-off"
            );
        }
        assert_eq!(
            k(EntityKind::Fee, "amount", json!("10")),
            WriteKind::InterviewWork
        );
        assert_eq!(
            k(EntityKind::AuditMember, "role", json!("lead")),
            WriteKind::Assignment
        );
        assert_eq!(
            k(EntityKind::Conflict, "status", json!("kept")),
            WriteKind::ConflictRecord
        );
        // The corrective-action loop.
        assert_eq!(
            k(EntityKind::Reopening, "reason", json!("x")),
            WriteKind::Reopening
        );
        assert_eq!(
            k(EntityKind::Audit, "locked", json!(false)),
            WriteKind::Reopening
        );
        assert_eq!(
            k(EntityKind::Audit, "status", json!("draft")),
            WriteKind::Reopening
        );
        assert_eq!(
            k(EntityKind::Signoff, "voided", json!(true)),
            WriteKind::Reopening
        );
        assert_eq!(
            k(EntityKind::Audit, "locked", json!(true)),
            WriteKind::AuditWork,
            "signing off locks the audit"
        );
        assert_eq!(
            k(EntityKind::Verification, "status", json!("closed")),
            WriteKind::FindingVerification
        );
        assert_eq!(
            k(EntityKind::Finding, "follow_up_status", json!("closed")),
            WriteKind::FindingVerification
        );
        assert_eq!(
            k(EntityKind::Finding, "site_response", json!("agreed")),
            WriteKind::AuditWork
        );
        assert_eq!(
            k(EntityKind::SupplierResponse, "state", json!("accepted")),
            WriteKind::SupplierResponse
        );
        assert_eq!(
            k(EntityKind::ExchangeRate, "rate", json!("1.1")),
            WriteKind::ReferenceTables
        );
        assert_eq!(
            k(EntityKind::WgiValue, "estimate", json!("0.5")),
            WriteKind::ReferenceTables
        );
    }

    /// Every entity is placed: an organisation entity has no audit to belong to,
    /// an audit entity names its audit or a parent whose chain ends at an audit,
    /// and the field it names is a reference of the right kind. A new entity that
    /// is placed wrongly (or an audit-field entity made organisation-wide) fails here.
    #[test]
    fn every_entity_is_placed_in_its_audit_or_the_organisation() {
        use crate::registry::ValueType;
        for e in EntityKind::ALL {
            let mut at = e;
            for _ in 0..EntityKind::ALL.len() {
                match scope_source(at) {
                    ScopeSource::Organisation => {
                        assert_eq!(at, e, "{e}: its parent {at} is organisation-wide");
                        assert!(
                            e.fields()
                                .iter()
                                .all(|f| f.ty != ValueType::Ref(EntityKind::Audit)),
                            "{e} refers to an audit, so it belongs to one: place it in scope_source"
                        );
                        break;
                    }
                    ScopeSource::ItsOwnAudit | ScopeSource::ConflictTarget => break,
                    ScopeSource::AuditField(f) => {
                        assert_eq!(
                            at.field(f).map(|s| s.ty),
                            Some(ValueType::Ref(EntityKind::Audit)),
                            "{at}.{f} is the audit's id"
                        );
                        break;
                    }
                    ScopeSource::Parent { field, entity } => {
                        assert_eq!(
                            at.field(field).map(|s| s.ty),
                            Some(ValueType::Ref(entity)),
                            "{at}.{field} refers to a {entity}"
                        );
                        at = entity;
                    }
                }
            }
            assert!(
                !matches!(scope_source(at), ScopeSource::Parent { .. }),
                "{e}: its chain of parents does not end"
            );
        }
        for e in [EntityKind::ExchangeRate, EntityKind::WgiValue] {
            assert_eq!(scope_source(e), ScopeSource::Organisation, "{e}");
        }
        for e in [
            EntityKind::Reopening,
            EntityKind::Verification,
            EntityKind::SupplierResponse,
        ] {
            assert_ne!(scope_source(e), ScopeSource::Organisation, "{e}");
        }
    }

    #[test]
    fn every_entity_has_a_scope_and_audit_rows_name_their_audit_first() {
        for e in EntityKind::ALL {
            if let Some(f) = scope_field(e) {
                assert!(e.field(f).is_some(), "{e}.{f} exists");
            }
        }
        assert_eq!(
            scope_source(EntityKind::Facility),
            ScopeSource::Organisation
        );
        assert_eq!(
            scope_source(EntityKind::Fee),
            ScopeSource::Parent {
                field: "fee_record_id",
                entity: EntityKind::FeeRecord
            }
        );
        assert!(receives(Auditor, None, Scope::Organisation));
        assert!(!receives(Auditor, None, Scope::Audit(Uuid::nil())));
        assert!(receives(
            Interviewer,
            Some(TeamRole::Interviewer),
            Scope::Audit(Uuid::nil())
        ));
        assert!(receives(Reviewer, None, Scope::Audit(Uuid::nil())));
        let (a, u) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(member_row_id(a, u), member_row_id(a, u));
        assert_ne!(member_row_id(a, u), member_row_id(u, a));
        for r in TeamRole::ALL {
            assert_eq!(TeamRole::parse(r.as_str()), Some(r));
        }
    }
}
