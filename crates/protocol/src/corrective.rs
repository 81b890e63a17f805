//! The closed sets of the corrective-action loop (follow-up verification, the
//! site's acknowledgement, supplier responses) and who may decide what in it.
//!
//! Each decision is one function of the user's [`Role`] so the role matrix can
//! take them in as they are; the device asks them before writing and the server
//! before accepting a pushed decision.

use serde::{Deserialize, Serialize};

use crate::api::Role;

macro_rules! closed_set {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The wire names, in display order (the registry's enum values).
            pub const NAMES: &'static [&'static str] = &[$($wire),+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            /// The value with this wire name.
            pub fn parse(name: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

closed_set! {
    /// What a follow-up found of an earlier finding (SMETA's follow-up terms).
    FollowUpStatus {
        /// Fixed and verified: the original CAP is verified and the finding closed.
        Closed = "closed",
        /// Work under way but not finished.
        ProgressMade = "progress_made",
        /// Nothing effective done.
        StillOpen = "still_open",
    }
}

closed_set! {
    /// How a finding's correction was verified.
    VerificationMethod {
        /// Seen on site during a follow-up visit.
        OnSite = "on_site",
        /// Checked from evidence sent in (photos, documents), without a visit.
        DesktopReview = "desktop_review",
    }
}

closed_set! {
    /// The facility representative's answer to a finding at the closing meeting.
    SiteResponse {
        /// The site accepts the non-compliance.
        Agreed = "agreed",
        /// The site disputes it (SMETA lets the site dispute a non-compliance).
        Disputed = "disputed",
    }
}

closed_set! {
    /// Where a supplier's CAP response stands.
    SupplierResponseState {
        /// Imported, waiting for a reviewer.
        Pending = "pending",
        /// Accepted: it is the CAP item's plan now.
        Accepted = "accepted",
        /// Rejected with a reason; the supplier answers again.
        Rejected = "rejected",
    }
}

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

    #[test]
    fn names_round_trip_and_serde_agrees() {
        for s in FollowUpStatus::ALL {
            assert_eq!(FollowUpStatus::parse(s.as_str()), Some(*s));
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
