//! Every closed set of values the app stores or sends: audit, finding and corrective
//! action states, severities, roles, fee categories and the other option lists.
//!
//! Each is a Rust enum whose stored and wire form is its snake_case name (the same
//! strings the database has always held; nothing is migrated). The sync registry's
//! [`ValueType::Enum`](crate::registry::ValueType::Enum) lists are the enums'
//! [`ClosedSet::NAMES`], the device's model and scoring match on the variants, and the
//! desktop app generates a TypeScript union type and a `*_VALUES` array for each
//! (`ui/src/bindings/`), so a typo is a compile error on every side.

use std::fmt;

/// A closed set of values, stored and sent as their snake_case names.
pub trait ClosedSet: Copy + Eq + fmt::Debug + Sized + 'static {
    /// The set's name in messages, e.g. `"severity"`.
    const LABEL: &'static str;
    /// The Rust (and TypeScript) type name, e.g. `"Severity"`.
    const TYPE_NAME: &'static str;
    /// Every value, in the order lists show them.
    const VALUES: &'static [Self];
    /// The stored names, in the order of [`ClosedSet::VALUES`].
    const NAMES: &'static [&'static str];

    /// The stored and wire name.
    fn as_str(self) -> &'static str;

    /// The value with this stored name.
    fn from_name(name: &str) -> Option<Self> {
        Self::VALUES.iter().copied().find(|v| v.as_str() == name)
    }
}

/// A name that is not in a closed set; says which names are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {label} `{value}` (expected one of: {})", expected.join(", "))]
pub struct UnknownName {
    /// The set's name, e.g. `"severity"`.
    pub label: &'static str,
    /// The name that was given.
    pub value: String,
    /// The names the set has.
    pub expected: &'static [&'static str],
}

/// One closed set as the bindings generator and the registry check see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetInfo {
    /// The Rust and TypeScript type name.
    pub type_name: &'static str,
    /// The stored names, in list order.
    pub names: &'static [&'static str],
}

impl SetInfo {
    const fn of<T: ClosedSet>() -> SetInfo {
        SetInfo { type_name: T::TYPE_NAME, names: T::NAMES }
    }
}

/// Declares a closed set: the enum with serde snake_case names (and ts-rs with the
/// `ts` feature), its [`ClosedSet`] impl, `ALL`, `as_str`, `parse`, `FromStr` and
/// `Display`. The literal of each variant is its stored name; a test checks that it
/// is what serde writes.
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($label:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[serde(rename_all = "snake_case")]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in the order lists show them.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The stored and wire name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }

            /// The value with this stored name.
            pub fn parse(name: &str) -> Option<$name> {
                <$name as $crate::closed_sets::ClosedSet>::from_name(name)
            }
        }

        impl $crate::closed_sets::ClosedSet for $name {
            const LABEL: &'static str = $label;
            const TYPE_NAME: &'static str = stringify!($name);
            const VALUES: &'static [$name] = &$name::ALL;
            const NAMES: &'static [&'static str] = &[$($text),+];

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::closed_sets::UnknownName;

            fn from_str(s: &str) -> Result<$name, Self::Err> {
                $name::parse(s).ok_or_else(|| $crate::closed_sets::UnknownName {
                    label: $label,
                    value: s.to_owned(),
                    expected: <$name as $crate::closed_sets::ClosedSet>::NAMES,
                })
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
    /// An audit's type (SMETA vocabulary).
    pub enum AuditType ("audit type") {
        /// The first audit of a site.
        Initial = "initial",
        /// A scheduled re-audit.
        Periodic = "periodic",
        /// A follow-up that checks everything again.
        FullFollowUp = "full_follow_up",
        /// A follow-up that checks only the open corrective actions.
        PartialFollowUp = "partial_follow_up",
    }
}

closed_set! {
    /// How much notice the site had of the audit.
    pub enum Notice ("notice") {
        /// The date was agreed with the site.
        Announced = "announced",
        /// The site knew a window of weeks, not the day.
        SemiAnnounced = "semi_announced",
        /// The site was not told.
        Unannounced = "unannounced",
    }
}

closed_set! {
    /// Where an audit is in its workflow.
    pub enum AuditStatus ("audit status") {
        /// Being filled in on site.
        Draft = "draft",
        /// Signed off by the auditor and waiting for review.
        Submitted = "submitted",
        /// Approved by a reviewer.
        Approved = "approved",
        /// Sent back by a reviewer with a comment.
        Returned = "returned",
    }
}

impl AuditStatus {
    /// Whether only a reviewer (or an admin) may set this status.
    pub fn is_review_decision(self) -> bool {
        matches!(self, AuditStatus::Approved | AuditStatus::Returned)
    }
}

closed_set! {
    /// How serious a finding is (DOMAIN.md, "Severity and deadlines").
    ///
    /// Ordered by seriousness: `Critical` is the **greatest** value, so
    /// `iter().max()` picks the most severe finding; `GoodPractice` is the least.
    /// Lists show them most severe first.
    pub enum Severity ("severity") {
        /// Zero tolerance (RBA Priority, amfori ZT): contain at once, CAP in 7 days.
        Critical = "critical",
        /// RBA Major: CAP in 14 days.
        Major = "major",
        /// RBA Minor: record gaps, signage.
        Minor = "minor",
        /// SMETA observation: a weak system, looked at again at the next audit.
        Observation = "observation",
        /// SMETA good example: recorded, no action.
        GoodPractice = "good_practice",
    }
}

impl Severity {
    /// Whether a finding of this severity is a non-conformance needing a
    /// corrective action (critical, major, minor), as opposed to an observation or
    /// a good practice.
    pub fn is_non_conformance(self) -> bool {
        matches!(self, Severity::Critical | Severity::Major | Severity::Minor)
    }

    fn rank(self) -> u8 {
        match self {
            Severity::Critical => 4,
            Severity::Major => 3,
            Severity::Minor => 2,
            Severity::Observation => 1,
            Severity::GoodPractice => 0,
        }
    }
}

impl PartialOrd for Severity {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Severity {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

closed_set! {
    /// How a finding came about.
    pub enum FindingOrigin ("finding origin") {
        /// Raised by a failed checklist item (and closed when the answer changes).
        Item = "item",
        /// Written by an auditor.
        Manual = "manual",
    }
}

closed_set! {
    /// Whether a finding still stands.
    pub enum FindingStatus ("finding status") {
        /// The non-conformity stands.
        Open = "open",
        /// The answer that raised it changed, or it was closed by hand.
        Closed = "closed",
    }
}

closed_set! {
    /// Where a corrective action (CAP item) stands.
    pub enum ActionStatus ("corrective action status") {
        /// Agreed, not started.
        Open = "open",
        /// The site is working on it.
        InProgress = "in_progress",
        /// The site says it is done; not yet checked.
        Done = "done",
        /// An auditor checked the evidence.
        Verified = "verified",
        /// The site disputes the finding or the action.
        Disputed = "disputed",
    }
}

impl ActionStatus {
    /// Whether the action still needs work (open, in progress or disputed), so it
    /// counts as outstanding and keeps a production block in place.
    pub fn is_outstanding(self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress | ActionStatus::Disputed)
    }
}

closed_set! {
    /// What an attachment is evidence for.
    pub enum AttachmentSubject ("attachment subject") {
        /// The audit as a whole.
        Audit = "audit",
        /// One answer.
        Answer = "answer",
        /// One finding.
        Finding = "finding",
        /// One corrective action.
        CorrectiveAction = "corrective_action",
        /// One worker's fee record.
        FeeRecord = "fee_record",
        /// A follow-up's verification of an earlier finding.
        Verification = "verification",
        /// A supplier's CAP response.
        SupplierResponse = "supplier_response",
    }
}

closed_set! {
    /// What a follow-up found of an earlier finding (SMETA's follow-up terms).
    pub enum FollowUpStatus ("follow-up status") {
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
    pub enum VerificationMethod ("verification method") {
        /// Seen on site during a follow-up visit.
        OnSite = "on_site",
        /// Checked from evidence sent in (photos, documents), without a visit.
        DesktopReview = "desktop_review",
    }
}

closed_set! {
    /// The facility representative's answer to a finding at the closing meeting.
    pub enum SiteResponse ("site response") {
        /// The site accepts the non-compliance.
        Agreed = "agreed",
        /// The site disputes it (SMETA lets the site dispute a non-compliance).
        Disputed = "disputed",
    }
}

closed_set! {
    /// Where a supplier's CAP response stands.
    pub enum SupplierResponseState ("supplier response state") {
        /// Imported, waiting for a reviewer.
        Pending = "pending",
        /// Accepted: it is the CAP item's plan now.
        Accepted = "accepted",
        /// Rejected with a reason; the supplier answers again.
        Rejected = "rejected",
    }
}

closed_set! {
    /// A sampled worker's migrant status.
    pub enum MigrantType ("migrant type") {
        /// From another country, documented.
        Foreign = "foreign",
        /// From another region of the same country.
        Internal = "internal",
        /// From the area.
        Local = "local",
        /// From another country, without valid papers.
        Undocumented = "undocumented",
    }
}

closed_set! {
    /// How a worker was recruited.
    pub enum RecruitmentChannel ("recruitment channel") {
        /// Hired by the employer directly.
        Direct = "direct",
        /// Through a licensed agency.
        Agency = "agency",
        /// Through an informal broker.
        Broker = "broker",
        /// The worker applied on their own.
        SelfApplied = "self_applied",
    }
}

closed_set! {
    /// Whether a worker's recruitment fees were paid back.
    pub enum ReimbursementStatus ("reimbursement status") {
        /// Nothing paid back or promised.
        None = "none",
        /// Promised, not yet paid.
        Promised = "promised",
        /// Partly paid back.
        Partial = "partial",
        /// Fully paid back.
        Full = "full",
    }
}

closed_set! {
    /// Recruitment-fee categories (ILO definition of recruitment fees and related costs).
    pub enum FeeCategory ("fee category") {
        /// Placement or recruitment fee.
        Placement = "placement",
        /// Visa.
        Visa = "visa",
        /// Work permit.
        WorkPermit = "work_permit",
        /// Passport.
        Passport = "passport",
        /// Medical examination.
        Medical = "medical",
        /// Insurance.
        Insurance = "insurance",
        /// Skills or trade test.
        SkillsTest = "skills_test",
        /// Pre-departure or orientation training.
        Training = "training",
        /// Travel to the workplace.
        Travel = "travel",
        /// Lodging while in transit.
        Lodging = "lodging",
        /// Tools, uniforms or protective equipment.
        Equipment = "equipment",
        /// Administrative or processing charges.
        Admin = "admin",
        /// A deposit or bond held against leaving.
        DepositBond = "deposit_bond",
        /// An informal payment to an official.
        Bribe = "bribe",
        /// Anything else.
        Other = "other",
    }
}

closed_set! {
    /// When a recruitment fee was paid.
    pub enum PaidWhen ("payment time") {
        /// Before leaving home.
        PreDeparture = "pre_departure",
        /// On arrival at the workplace.
        OnArrival = "on_arrival",
        /// Deducted from wages.
        WageDeduction = "wage_deduction",
    }
}

closed_set! {
    /// Who received a recruitment fee (worker interviews; the fee record's
    /// `paid_to` stays free text).
    pub enum PaidTo ("payee") {
        /// An agency in the worker's country of origin.
        AgencyOrigin = "agency_origin",
        /// An agency in the country of work.
        AgencyDestination = "agency_destination",
        /// An informal broker.
        Broker = "broker",
        /// The employer.
        Employer = "employer",
        /// A government office.
        Government = "government",
        /// Anyone else.
        Other = "other",
    }
}

closed_set! {
    /// What shows that a fee was paid.
    pub enum FeeEvidence ("fee evidence") {
        /// A receipt or other document.
        Receipt = "receipt",
        /// The worker's account in an interview.
        Interview = "interview",
        /// Nothing.
        None = "none",
    }
}

closed_set! {
    /// Whether a worker interview was one worker or a group.
    pub enum InterviewFormat ("interview format") {
        /// One worker.
        Individual = "individual",
        /// Several workers together.
        Group = "group",
    }
}

closed_set! {
    /// Where a worker interview is, as the device sees it.
    pub enum InterviewState ("interview state") {
        /// An encrypted draft on this device.
        Draft = "draft",
        /// Sealed to the reviewers; only its metadata is readable here.
        Sealed = "sealed",
        /// Its row arrived by sync without the sealed content (yet).
        Incomplete = "incomplete",
    }
}

closed_set! {
    /// What became of a kept sync conflict.
    pub enum ConflictStatus ("conflict status") {
        /// Waiting for someone to choose.
        Open = "open",
        /// The winning value was kept.
        Kept = "kept",
        /// The losing value replaced the winner.
        Replaced = "replaced",
    }
}

closed_set! {
    /// What a user may do in an organisation.
    pub enum Role ("role") {
        /// Manages users, devices and facilities of the organisation.
        Admin = "admin",
        /// Reviews submitted audits.
        Reviewer = "reviewer",
        /// Conducts audits.
        Auditor = "auditor",
        /// Conducts worker interviews only.
        Interviewer = "interviewer",
    }
}

closed_set! {
    /// A user's role on one audit's team (the audit's need-to-know scope,
    /// [`crate::scope`]).
    #[derive(PartialOrd, Ord)]
    pub enum TeamRole ("team role") {
        /// Leads the audit (the auditor who started it, or whom a reviewer named).
        Lead = "lead",
        /// Audits with the lead.
        Auditor = "auditor",
        /// Conducts worker interviews and records fees.
        Interviewer = "interviewer",
    }
}

impl Role {
    /// Whether this role may approve or return audits.
    pub fn may_review(self) -> bool {
        matches!(self, Role::Admin | Role::Reviewer)
    }
}

/// Every closed set, for the generated TypeScript lists and the registry check.
/// A new closed set goes here too (the registry test fails while a registry enum
/// is missing).
pub const ALL_SETS: &[SetInfo] = &[
    SetInfo::of::<AuditType>(),
    SetInfo::of::<Notice>(),
    SetInfo::of::<AuditStatus>(),
    SetInfo::of::<Severity>(),
    SetInfo::of::<FindingOrigin>(),
    SetInfo::of::<FindingStatus>(),
    SetInfo::of::<ActionStatus>(),
    SetInfo::of::<AttachmentSubject>(),
    SetInfo::of::<FollowUpStatus>(),
    SetInfo::of::<VerificationMethod>(),
    SetInfo::of::<SiteResponse>(),
    SetInfo::of::<SupplierResponseState>(),
    SetInfo::of::<MigrantType>(),
    SetInfo::of::<RecruitmentChannel>(),
    SetInfo::of::<ReimbursementStatus>(),
    SetInfo::of::<FeeCategory>(),
    SetInfo::of::<PaidWhen>(),
    SetInfo::of::<PaidTo>(),
    SetInfo::of::<FeeEvidence>(),
    SetInfo::of::<InterviewFormat>(),
    SetInfo::of::<InterviewState>(),
    SetInfo::of::<ConflictStatus>(),
    SetInfo::of::<Role>(),
    SetInfo::of::<TeamRole>(),
    SetInfo::of::<crate::reference::WgiIndicator>(),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_names_match<T: ClosedSet + serde::Serialize + serde::de::DeserializeOwned>() {
        assert_eq!(T::VALUES.len(), T::NAMES.len(), "{}", T::TYPE_NAME);
        for (v, name) in T::VALUES.iter().zip(T::NAMES) {
            assert_eq!(v.as_str(), *name);
            assert_eq!(serde_json::to_value(v).ok(), Some(serde_json::json!(name)), "{}::{v:?}", T::TYPE_NAME);
            assert_eq!(serde_json::from_value::<T>(serde_json::json!(name)).ok(), Some(*v));
            assert_eq!(T::from_name(name), Some(*v));
        }
        assert_eq!(T::from_name("no such value"), None);
    }

    #[test]
    fn stored_names_are_what_serde_writes() {
        serde_names_match::<AuditType>();
        serde_names_match::<Notice>();
        serde_names_match::<crate::reference::WgiIndicator>();
        serde_names_match::<AuditStatus>();
        serde_names_match::<Severity>();
        serde_names_match::<FindingOrigin>();
        serde_names_match::<FindingStatus>();
        serde_names_match::<ActionStatus>();
        serde_names_match::<AttachmentSubject>();
        serde_names_match::<FollowUpStatus>();
        serde_names_match::<VerificationMethod>();
        serde_names_match::<SiteResponse>();
        serde_names_match::<SupplierResponseState>();
        serde_names_match::<MigrantType>();
        serde_names_match::<RecruitmentChannel>();
        serde_names_match::<ReimbursementStatus>();
        serde_names_match::<FeeCategory>();
        serde_names_match::<PaidWhen>();
        serde_names_match::<PaidTo>();
        serde_names_match::<FeeEvidence>();
        serde_names_match::<InterviewFormat>();
        serde_names_match::<InterviewState>();
        serde_names_match::<ConflictStatus>();
        serde_names_match::<Role>();
        serde_names_match::<TeamRole>();
    }

    #[test]
    fn every_set_is_listed_once() {
        for (i, a) in ALL_SETS.iter().enumerate() {
            assert!(ALL_SETS[i + 1..].iter().all(|b| b.type_name != a.type_name), "{} listed twice", a.type_name);
        }
        assert_eq!(ALL_SETS.len(), 25);
    }

    #[test]
    fn severity_round_trips_through_strings() {
        for sev in Severity::ALL {
            assert_eq!(sev.as_str().parse::<Severity>(), Ok(sev));
            assert_eq!(sev.to_string(), sev.as_str());
        }
        let e = "Critical".parse::<Severity>().unwrap_err();
        assert_eq!(e.value, "Critical");
        assert_eq!(e.to_string(), "unknown severity `Critical` (expected one of: critical, major, minor, observation, good_practice)");
        assert!("high".parse::<Severity>().is_err());
    }

    #[test]
    fn critical_is_greatest() {
        assert!(Severity::Critical > Severity::Major);
        assert!(Severity::Major > Severity::Minor);
        assert!(Severity::Minor > Severity::Observation);
        assert!(Severity::Observation > Severity::GoodPractice);
        let worst = [Severity::Minor, Severity::Critical, Severity::Major].into_iter().max();
        assert_eq!(worst, Some(Severity::Critical));
    }

    #[test]
    fn non_conformance_split() {
        assert!(Severity::Minor.is_non_conformance());
        assert!(!Severity::Observation.is_non_conformance());
        assert!(!Severity::GoodPractice.is_non_conformance());
    }
}
