//! Typed views of the synced rows, decoded from the store's JSON rows.
//!
//! Rows sync field by field, so every field is optional: a row can exist on a
//! device before all of its fields have arrived. Identifiers of derived rows
//! (answers, item findings, their corrective actions) are UUIDv5 of what they are
//! about, so two auditors answering the same item offline write the same row and
//! merge per field instead of creating duplicates.

use fieldaudit_protocol::closed_sets::{
    ActionStatus, AttachmentSubject, AuditStatus, AuditType, FeeCategory, FeeEvidence, FindingOrigin, FindingStatus, MigrantType,
    FollowUpStatus, Notice, PaidWhen, RecruitmentChannel, ReimbursementStatus, Severity, SiteResponse, SupplierResponseState,
    VerificationMethod,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// Namespace for the UUIDv5 ids of derived rows.
const DERIVED_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a4e_93b7_4d0a_8e55_1f0d_c2b3_a9e7);

/// The id of the answer to `item_id` of `template_id` in an audit (and repeat instance).
pub fn answer_id(
    audit_id: Uuid,
    template_id: &str,
    item_id: &str,
    instance_id: Option<Uuid>,
) -> Uuid {
    let instance = instance_id.map(|i| i.to_string()).unwrap_or_default();
    Uuid::new_v5(
        &DERIVED_NAMESPACE,
        format!("answer/{audit_id}/{template_id}/{item_id}/{instance}").as_bytes(),
    )
}

/// The id of the finding an item raises in an audit (and repeat instance).
pub fn item_finding_id(
    audit_id: Uuid,
    template_id: &str,
    item_id: &str,
    instance_id: Option<Uuid>,
) -> Uuid {
    let instance = instance_id.map(|i| i.to_string()).unwrap_or_default();
    Uuid::new_v5(
        &DERIVED_NAMESPACE,
        format!("finding/{audit_id}/{template_id}/{item_id}/{instance}").as_bytes(),
    )
}

/// The id of the corrective action created with a finding.
pub fn default_action_id(finding_id: Uuid) -> Uuid {
    Uuid::new_v5(
        &DERIVED_NAMESPACE,
        format!("action/{finding_id}").as_bytes(),
    )
}

/// A checklist pinned by an audit: template id and the version it started with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChecklistRef {
    /// Template id, e.g. `fire-safety`.
    pub template_id: String,
    /// Template version.
    pub version: u32,
}

/// A factory or site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[allow(missing_docs)]
pub struct Facility {
    pub id: Uuid,
    pub name: Option<String>,
    pub address: Option<String>,
    pub country_code: Option<String>,
    pub sectors: Option<Vec<String>>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub workers_min: Option<i64>,
    pub workers_max: Option<i64>,
    pub os_id: Option<String>,
    pub parent_company: Option<String>,
    pub facility_type: Option<String>,
    pub product_types: Option<Vec<String>>,
    pub deleted: Option<bool>,
}

/// One audit visit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[allow(missing_docs)]
pub struct Audit {
    pub id: Uuid,
    pub facility_id: Option<Uuid>,
    pub checklists: Option<Vec<ChecklistRef>>,
    pub audit_type: Option<AuditType>,
    pub notice: Option<Notice>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub auditors: Option<Vec<String>>,
    pub status: Option<AuditStatus>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub review_comment: Option<String>,
    pub deleted: Option<bool>,
    pub locked: Option<bool>,
    pub follow_up_of: Option<Uuid>,
    pub site_rep_name: Option<String>,
    pub site_rep_role: Option<String>,
}

/// One instance of a repeat group (e.g. "Building B").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[allow(missing_docs)]
pub struct RepeatInstance {
    pub id: Uuid,
    pub audit_id: Option<Uuid>,
    pub template_id: Option<String>,
    pub group_id: Option<String>,
    pub label: Option<String>,
    pub position: Option<i64>,
    pub deleted: Option<bool>,
}

/// The answer to one item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[allow(missing_docs)]
pub struct Answer {
    pub id: Uuid,
    pub audit_id: Option<Uuid>,
    pub template_id: Option<String>,
    pub item_id: Option<String>,
    pub instance_id: Option<Uuid>,
    pub value: Option<Value>,
    pub note: Option<String>,
    pub deleted: Option<bool>,
}

/// A finding (raised by a failed item, or by hand).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[allow(missing_docs)]
pub struct Finding {
    pub id: Uuid,
    pub audit_id: Option<Uuid>,
    pub template_id: Option<String>,
    pub item_id: Option<String>,
    pub instance_id: Option<Uuid>,
    pub origin: Option<FindingOrigin>,
    pub severity: Option<Severity>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<FindingStatus>,
    pub deleted: Option<bool>,
    pub site_response: Option<SiteResponse>,
    pub site_comment: Option<String>,
    pub recurrence_of: Option<Uuid>,
    pub follow_up_status: Option<FollowUpStatus>,
    pub verified_in: Option<Uuid>,
    pub verified_by: Option<String>,
    pub verified_on: Option<String>,
}

/// A corrective action (CAP item).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[allow(missing_docs)]
pub struct CorrectiveAction {
    pub id: Uuid,
    pub finding_id: Option<Uuid>,
    pub root_cause: Option<String>,
    pub corrective_action: Option<String>,
    pub preventive_action: Option<String>,
    pub owner: Option<String>,
    pub due_date: Option<String>,
    pub evidence: Option<String>,
    pub verification_method: Option<String>,
    pub status: Option<ActionStatus>,
    pub production_blocking: Option<bool>,
    pub deleted: Option<bool>,
    pub plan_due_date: Option<String>,
}

/// A follow-up's verification of an earlier finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[allow(missing_docs)]
pub struct Verification {
    pub id: Uuid,
    /// The follow-up audit (none for a desktop review).
    pub audit_id: Option<Uuid>,
    pub finding_id: Option<Uuid>,
    pub action_id: Option<Uuid>,
    /// None until recorded.
    pub status: Option<FollowUpStatus>,
    pub method: Option<VerificationMethod>,
    pub evidence_reviewed: Option<String>,
    pub note: Option<String>,
    pub verified_by: Option<String>,
    pub verified_on: Option<String>,
    pub deleted: Option<bool>,
}

/// A supplier's response to a CAP item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[allow(missing_docs)]
pub struct SupplierResponse {
    pub id: Uuid,
    pub action_id: Option<Uuid>,
    pub root_cause: Option<String>,
    pub corrective_action: Option<String>,
    pub preventive_action: Option<String>,
    pub responsible: Option<String>,
    pub planned_completion: Option<String>,
    pub evidence_description: Option<String>,
    pub file_name: Option<String>,
    pub received_at: Option<String>,
    pub state: Option<SupplierResponseState>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub reject_reason: Option<String>,
    pub deleted: Option<bool>,
}

/// Metadata of a photo or document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[allow(missing_docs)]
pub struct Attachment {
    pub id: Uuid,
    pub audit_id: Option<Uuid>,
    pub subject_kind: Option<AttachmentSubject>,
    pub subject_id: Option<String>,
    pub sha256: Option<String>,
    pub file_name: Option<String>,
    pub media_type: Option<String>,
    pub size_bytes: Option<i64>,
    pub caption: Option<String>,
    pub deleted: Option<bool>,
}

/// A sampled worker's recruitment-fee record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[allow(missing_docs)]
pub struct FeeRecord {
    pub id: Uuid,
    pub audit_id: Option<Uuid>,
    pub worker_ref: Option<String>,
    pub migrant_type: Option<MigrantType>,
    pub origin_country: Option<String>,
    pub origin_region: Option<String>,
    pub channel: Option<RecruitmentChannel>,
    pub agency_origin: Option<String>,
    pub agency_destination: Option<String>,
    pub recruited_on: Option<String>,
    pub contract_before_departure: Option<bool>,
    pub contract_language: Option<String>,
    pub contract_substituted: Option<bool>,
    pub reimbursement_status: Option<ReimbursementStatus>,
    pub reimbursed_amount: Option<String>,
    pub reimbursed_currency: Option<String>,
    pub reimbursed_on: Option<String>,
    pub passport_held_by_employer: Option<bool>,
    pub deleted: Option<bool>,
}

/// One fee a worker paid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[allow(missing_docs)]
pub struct Fee {
    pub id: Uuid,
    pub fee_record_id: Option<Uuid>,
    pub category: Option<FeeCategory>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub paid_to: Option<String>,
    pub paid_when: Option<PaidWhen>,
    pub financed_by_loan: Option<bool>,
    pub evidence: Option<FeeEvidence>,
    pub deleted: Option<bool>,
}

/// Whether a row's tombstone is set.
pub(crate) fn is_deleted(deleted: Option<bool>) -> bool {
    deleted.unwrap_or(false)
}
