//! Who may decide what in the corrective-action loop (follow-up verification, the
//! site's acknowledgement, supplier responses). Its closed sets live in
//! [`crate::closed_sets`].
//!
//! Each decision is one function of the user's [`Role`] so the role matrix can
//! take them in as they are; the device asks them before writing and the server
//! before accepting a pushed decision.

use crate::api::Role;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::closed_sets::ClosedSet;

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
