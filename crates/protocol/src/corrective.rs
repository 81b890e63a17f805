//! Who may decide what in the corrective-action loop (follow-up verification, the
//! site's acknowledgement, supplier responses). Its closed sets live in
//! [`crate::closed_sets`].
//!
//! Each decision is one function of the user's [`Role`] so the role matrix can
//! take them in as they are; the device asks them before writing and the server
//! before accepting a pushed decision.

use crate::api::Role;
use crate::closed_sets::{FindingStatus, Severity};
use uuid::Uuid;
pub use crate::closed_sets::{FollowUpStatus, SiteResponse, SupplierResponseState, VerificationMethod};

/// Whether a user may reopen a signed audit for correction: the lead auditor of
/// that audit, or a reviewer or admin.
pub fn may_reopen(role: Role, is_lead_auditor: bool) -> bool {
    role.may_review() || (is_lead_auditor && role == Role::Auditor)
}

/// Whether a user may record a follow-up verification in an audit they conduct.
pub fn may_verify_on_site(role: Role) -> bool {
    matches!(role, Role::Auditor | Role::Reviewer | Role::Admin)
}

/// Whether a user may verify a CAP by desktop review (from evidence received).
pub fn may_verify_by_desktop_review(role: Role) -> bool {
    role.may_review()
}

/// Whether a user may accept or reject a supplier's CAP response.
pub fn may_decide_supplier_response(role: Role) -> bool {
    role.may_review()
}

/// Namespace of verification row ids.
const VERIFICATION_NAMESPACE: Uuid = Uuid::from_u128(0x2b9e_51c4_7a0d_4f63_b1e8_93c5_0d7a_6e21);

/// The id of the verification of `finding_id` in the follow-up `audit_id`: the
/// same on every device and on the server, so two auditors carrying one finding
/// into one follow-up write one row.
pub fn verification_id(audit_id: Uuid, finding_id: Uuid) -> Uuid {
    Uuid::new_v5(
        &VERIFICATION_NAMESPACE,
        format!("verification/{audit_id}/{finding_id}").as_bytes(),
    )
}

/// Whether a follow-up of the facility carries this finding into its previous
/// findings: an open non-conformance (critical, major or minor) not yet verified
/// closed. The device's *Start follow-up* and the office's planned follow-up
/// (`fieldaudit-server audit plan --type …_follow_up`) both ask this.
pub fn carried_into_follow_up(
    status: Option<FindingStatus>,
    severity: Option<Severity>,
    follow_up_status: Option<FollowUpStatus>,
) -> bool {
    status == Some(FindingStatus::Open)
        && severity.is_some_and(Severity::is_non_conformance)
        && follow_up_status != Some(FollowUpStatus::Closed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::closed_sets::ClosedSet;

    #[test]
    fn a_follow_up_carries_open_non_conformances_not_yet_closed() {
        use FindingStatus::*;
        let carried = |st, sev, fu| carried_into_follow_up(Some(st), Some(sev), fu);
        for sev in [Severity::Critical, Severity::Major, Severity::Minor] {
            assert!(carried(Open, sev, None));
            assert!(carried(Open, sev, Some(FollowUpStatus::ProgressMade)));
            assert!(carried(Open, sev, Some(FollowUpStatus::StillOpen)));
            assert!(!carried(Open, sev, Some(FollowUpStatus::Closed)));
        }
        assert!(!carried(Open, Severity::Observation, None));
        assert!(!carried(Open, Severity::GoodPractice, None));
        for st in FindingStatus::ALL.into_iter().filter(|s| *s != Open) {
            assert!(!carried(st, Severity::Critical, None), "{st:?}");
        }
        assert!(!carried_into_follow_up(None, Some(Severity::Major), None));
        assert!(!carried_into_follow_up(Some(Open), None, None));
    }

    #[test]
    fn names_round_trip_and_serde_agrees() {
        for s in FollowUpStatus::ALL {
            assert_eq!(FollowUpStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
        assert_eq!(
            SupplierResponseState::NAMES,
            ["pending", "accepted", "rejected"]
        );
        assert_eq!(
            VerificationMethod::parse("desktop_review"),
            Some(VerificationMethod::DesktopReview)
        );
    }

    #[test]
    fn who_decides_what() {
        assert!(may_reopen(Role::Reviewer, false));
        assert!(may_reopen(Role::Auditor, true));
        assert!(!may_reopen(Role::Auditor, false));
        assert!(!may_reopen(Role::Interviewer, true));
        assert!(!may_decide_supplier_response(Role::Auditor));
        assert!(may_verify_by_desktop_review(Role::Admin));
        assert!(!may_verify_on_site(Role::Interviewer));
    }
}
