//! What the signed-in user may do on one audit, for the app to hide or disable
//! what their role cannot do. It is the server's own rule
//! ([`fieldaudit_protocol::scope::may_write`]) asked for each kind of control,
//! from the user's organisation role and their role on the audit's team as this
//! device knows it; a control the rule refuses carries what is missing (a role,
//! or an assignment to the team) for the app to say why, in its language.

use fieldaudit_protocol::api::Role;
use fieldaudit_protocol::scope::{self, Actor, Refusal, Scope, TeamRole, WriteKind};
use serde::Serialize;
use uuid::Uuid;

use crate::{Result, Store};

/// What is missing for a control the user may not use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Missing {
    /// Their organisation role may not: one of these roles may.
    Role {
        /// Roles that may.
        needs: Vec<Role>,
        /// The user's role.
        role: Role,
    },
    /// Nobody signed in on this device: signing in with one of these roles.
    SignIn {
        /// Roles that may.
        needs: Vec<Role>,
    },
    /// They are not on the audit's team in a role that may.
    Assignment {
        /// Team roles that may.
        needs: Vec<TeamRole>,
        /// Their role on the team, if they are on it.
        team_role: Option<TeamRole>,
    },
}

/// Whether the user may use one kind of control, and if not, why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Permission {
    /// They may.
    pub allowed: bool,
    /// What is missing when they may not.
    pub missing: Option<Missing>,
}

impl Permission {
    const YES: Permission = Permission {
        allowed: true,
        missing: None,
    };

    fn refused(missing: Missing) -> Permission {
        Permission {
            allowed: false,
            missing: Some(missing),
        }
    }
}

/// What the signed-in user may do on an audit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditPermissions {
    /// The user's organisation role (none on a device nobody signed in on).
    pub role: Option<Role>,
    /// Their role on the audit's team.
    pub team_role: Option<TeamRole>,
    /// Answering the checklists: answers, notes, repeated sections, photos.
    pub answer_checklists: Permission,
    /// Raising findings and writing the corrective action plan.
    pub raise_findings: Permission,
    /// The site's acknowledgement and signing the audit off.
    pub sign_off: Permission,
    /// Recording workers' recruitment fees.
    pub record_fees: Permission,
    /// Worker interviews.
    pub interviews: Permission,
    /// Approving or returning the audit.
    pub review: Permission,
    /// Reopening the signed audit for correction.
    pub reopen: Permission,
    /// Recording a corrective action's progress and evidence after sign-off.
    pub cap_progress: Permission,
    /// Verifying findings and corrective actions (follow-ups).
    pub verify: Permission,
}

/// The permission of one kind of write on an audit, by the role matrix. With
/// nobody signed in the device may record anything (the server decides when it
/// syncs), but a review decision needs a reviewer's session (as
/// [`Store::review_audit`] does).
pub fn permission(role: Option<Role>, team_role: Option<TeamRole>, kind: WriteKind) -> Permission {
    let Some(role) = role else {
        return match kind {
            WriteKind::ReviewDecision => Permission::refused(Missing::SignIn {
                needs: scope::rule(kind).anywhere.to_vec(),
            }),
            _ => Permission::YES,
        };
    };
    match scope::may_write(Actor { role, team_role }, kind, Scope::Audit(Uuid::nil())) {
        Ok(()) => Permission::YES,
        Err(Refusal::Role { needs, role, .. }) => Permission::refused(Missing::Role { needs, role }),
        Err(Refusal::Assignment {
            needs, team_role, ..
        }) => Permission::refused(Missing::Assignment { needs, team_role }),
        Err(Refusal::ServerOnly { .. }) => Permission::refused(Missing::Role {
            needs: Vec::new(),
            role,
        }),
    }
}

/// What a user of `role`, on the audit's team as `team_role`, may do on it.
pub fn audit_permissions(role: Option<Role>, team_role: Option<TeamRole>) -> AuditPermissions {
    let p = |kind| permission(role, team_role, kind);
    AuditPermissions {
        role,
        team_role,
        answer_checklists: p(WriteKind::AuditWork),
        raise_findings: p(WriteKind::AuditWork),
        sign_off: p(WriteKind::AuditWork),
        record_fees: p(WriteKind::InterviewWork),
        interviews: p(WriteKind::InterviewWork),
        review: p(WriteKind::ReviewDecision),
        reopen: p(WriteKind::Reopening),
        cap_progress: p(WriteKind::CapProgress),
        verify: p(WriteKind::FindingVerification),
    }
}

impl Store {
    /// What the signed-in user may do on this audit. An audit without a team on
    /// this device is one its user started before a team was assigned: they lead
    /// it, as the server decides.
    pub fn audit_permissions(&self, audit: Uuid) -> Result<AuditPermissions> {
        self.audit(audit)?;
        let role = self.signed_in_user()?.map(|u| u.role);
        let team_role = match self.my_team_role(audit)? {
            Ok(team_role) => team_role,
            Err(()) => role.map(|_| TeamRole::Lead),
        };
        Ok(audit_permissions(role, team_role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::teams::SignedInUser;
    use crate::test_support;

    fn allowed(p: &AuditPermissions) -> [bool; 9] {
        [
            p.answer_checklists.allowed,
            p.raise_findings.allowed,
            p.sign_off.allowed,
            p.record_fees.allowed,
            p.interviews.allowed,
            p.review.allowed,
            p.reopen.allowed,
            p.cap_progress.allowed,
            p.verify.allowed,
        ]
    }

    /// Each role on the team, as the matrix says: an interviewer records fees and
    /// interviews only; an auditor works on the audit but neither reviews nor
    /// reopens; the lead also reopens; a reviewer reviews, reopens and verifies
    /// but records nothing of the audit itself.
    #[test]
    fn each_role_may_do_what_the_role_matrix_says() {
        use TeamRole::*;
        let t = true;
        let f = false;
        //                        answer find sign fees intv review reopen cap verify
        let cases: [(Option<Role>, Option<TeamRole>, [bool; 9]); 7] = [
            (Some(Role::Interviewer), Some(Interviewer), [f, f, f, t, t, f, f, f, f]),
            (Some(Role::Interviewer), Some(Lead), [f, f, f, t, t, f, f, f, f]),
            (Some(Role::Auditor), Some(Auditor), [t, t, t, t, t, f, f, t, t]),
            (Some(Role::Auditor), Some(Lead), [t, t, t, t, t, f, t, t, t]),
            (Some(Role::Auditor), None, [f, f, f, f, f, f, f, f, f]),
            (Some(Role::Reviewer), None, [f, f, f, f, f, t, t, t, t]),
            (None, None, [t, t, t, t, t, f, t, t, t]),
        ];
        for (role, team, want) in cases {
            assert_eq!(allowed(&audit_permissions(role, team)), want, "{role:?} as {team:?}");
        }
    }

    #[test]
    fn a_refused_control_names_the_missing_role_or_assignment() {
        let interviewer = audit_permissions(Some(Role::Interviewer), Some(TeamRole::Interviewer));
        assert_eq!(
            interviewer.answer_checklists.missing,
            Some(Missing::Role { needs: vec![Role::Admin, Role::Auditor], role: Role::Interviewer })
        );
        let auditor = audit_permissions(Some(Role::Auditor), Some(TeamRole::Auditor));
        assert_eq!(auditor.review.missing, Some(Missing::Role { needs: vec![Role::Admin, Role::Reviewer], role: Role::Auditor }));
        assert_eq!(
            auditor.reopen.missing,
            Some(Missing::Assignment { needs: vec![TeamRole::Lead], team_role: Some(TeamRole::Auditor) })
        );
        assert_eq!(auditor.answer_checklists.missing, None);
        let outsider = audit_permissions(Some(Role::Auditor), None);
        assert_eq!(
            outsider.record_fees.missing,
            Some(Missing::Assignment { needs: vec![TeamRole::Lead, TeamRole::Auditor, TeamRole::Interviewer], team_role: None })
        );
        let nobody = audit_permissions(None, None);
        assert_eq!(nobody.review.missing, Some(Missing::SignIn { needs: vec![Role::Admin, Role::Reviewer] }));
        assert!(nobody.review.missing.is_some() && !nobody.review.allowed);
    }

    /// On the device: the team as synced decides; an audit without a team is led
    /// by whoever holds it (they started it), as on the server.
    #[test]
    fn the_store_asks_the_team_the_device_holds() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), "laptop").unwrap();
        let audit = test_support::fire_safety_audit(&mut store);
        assert!(store.audit_permissions(audit).unwrap().answer_checklists.allowed, "nobody signed in");
        let me = SignedInUser { user_id: Uuid::now_v7(), username: "ivan".into(), role: Role::Interviewer };
        store.set_signed_in_user(&me).unwrap();
        let p = store.audit_permissions(audit).unwrap();
        assert_eq!((p.team_role, p.answer_checklists.allowed, p.record_fees.allowed), (Some(TeamRole::Lead), false, true));
        let lead = Uuid::now_v7();
        test_support::put_on_team(&mut store, audit, lead, "lena", TeamRole::Lead);
        test_support::put_on_team(&mut store, audit, me.user_id, "ivan", TeamRole::Interviewer);
        let p = store.audit_permissions(audit).unwrap();
        assert_eq!(p.team_role, Some(TeamRole::Interviewer));
        assert!(!p.sign_off.allowed && p.interviews.allowed && !p.reopen.allowed);
        assert!(store.audit_permissions(Uuid::now_v7()).is_err(), "an unknown audit is an error");
    }
}
