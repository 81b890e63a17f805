//! The registry of entities and fields that sync, with the type of each value.
//!
//! A change names an entity, a row and one field. The server rejects a change whose
//! entity or field is not listed here or whose value does not fit the field's
//! [`ValueType`]; the client store uses the same table to map fields to columns.
//! Every field may be `null` (cleared). Every entity has a `deleted` flag: deletes
//! are tombstones merged like any other field.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kinds of synced rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A factory or site that is audited.
    Facility,
    /// One visit to a facility, with the checklists it pins.
    Audit,
    /// One instance of a repeat group (e.g. one dormitory building).
    RepeatInstance,
    /// The answer to one checklist item (deterministic id per audit/item/instance).
    Answer,
    /// A finding, raised by a failed item or by hand.
    Finding,
    /// A corrective action (CAP item) for a finding.
    CorrectiveAction,
    /// Metadata of a photo or document; the bytes are stored by SHA-256.
    Attachment,
    /// A sampled worker's recruitment-fee record (pseudonymous).
    FeeRecord,
    /// One fee a worker paid, within a fee record.
    Fee,
    /// A confidential worker interview; its content is sealed ciphertext.
    Interview,
    /// Two devices changed one field concurrently: the losing value, kept for review.
    Conflict,
    /// An auditor's sign-off of an audit: the device's ed25519 signature over the
    /// SHA-256 digest of what the audit recorded, so a report can later be checked
    /// as unchanged since sign-off.
    Signoff,
    /// A reviewer's `age` public key: finalised interviews are sealed to every
    /// current (not revoked, not deleted) key of the organisation. Written only by
    /// the server's admin commands; private keys never leave the reviewer's machine.
    ReviewerKey,
    /// One dated exchange rate of the organisation's rate table (admin-imported,
    /// org scope): converts recruitment fees to a reporting currency.
    ExchangeRate,
    /// One country's latest value of one World Bank governance indicator (WGI;
    /// admin-imported, org scope): the input of country risk.
    WgiValue,
    /// A signed audit reopened for correction: who, why, when; it voids the
    /// sign-offs before it.
    Reopening,
    /// A follow-up's verification of an earlier finding (in a follow-up audit, or
    /// a desktop review without one): Closed / Progress made / Still open.
    Verification,
    /// A supplier's answer to a CAP item (imported from the CAP workbook), which a
    /// reviewer accepts (it becomes the plan) or rejects with a reason.
    SupplierResponse,
    /// A member of an audit's team: one user of the organisation as its lead,
    /// an auditor or an interviewer. Its id is [`crate::scope::member_row_id`] of the
    /// audit and the user, so assigning the same person twice merges. Who is on an
    /// audit's team decides which devices receive the audit and who may change it
    /// ([`crate::scope`]).
    AuditMember,
}

/// What values a field accepts (besides `null`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// Any string.
    Text,
    /// A JSON integer.
    Int,
    /// A JSON number.
    Float,
    /// A decimal written as a string, e.g. `"1250.50"` (money is never a float).
    Decimal,
    /// `true` or `false`.
    Bool,
    /// A calendar date `YYYY-MM-DD`.
    Date,
    /// An RFC 3339 date-time.
    DateTime,
    /// The UUID of a row of the given entity.
    Ref(EntityKind),
    /// One of the listed strings: the [`ClosedSet::NAMES`] of one of the enums in
    /// [`closed_sets`](crate::closed_sets).
    Enum(&'static [&'static str]),
    /// An ISO 4217 currency code (three upper-case letters).
    Currency,
    /// An ISO 3166-1 alpha-2 country code (two upper-case letters).
    Country,
    /// A SHA-256 digest as 64 lower-case hex digits.
    Sha256,
    /// A JSON array of strings.
    TextList,
    /// An `age`-encrypted message, ASCII-armored (a sealed interview). Anything
    /// else is refused on the device and on the server, so a faulty client can
    /// never sync interview content in the clear.
    Sealed,
    /// Any JSON value (answers, whose shape the template decides).
    Json,
}

/// One synced field of an entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// The field's name, also its column name in the client store.
    pub name: &'static str,
    /// What values it accepts.
    pub ty: ValueType,
}

const fn f(name: &'static str, ty: ValueType) -> FieldSpec {
    FieldSpec { name, ty }
}

use crate::corrective::{FollowUpStatus, SiteResponse, SupplierResponseState, VerificationMethod};
use ValueType::*;

use crate::closed_sets::{
    ActionStatus, AttachmentSubject, AuditStatus, AuditType, ClosedSet, ConflictStatus,
    FeeCategory, FeeEvidence, FindingOrigin, FindingStatus, InterviewFormat, MigrantType, Notice,
    PaidWhen, RecruitmentChannel, ReimbursementStatus, Severity, TeamRole,
};

/// Audit types (SMETA vocabulary).
pub const AUDIT_TYPES: &[&str] = AuditType::NAMES;
/// How much notice the site had.
pub const NOTICE_KINDS: &[&str] = Notice::NAMES;
/// Audit workflow states.
pub const AUDIT_STATUSES: &[&str] = AuditStatus::NAMES;
/// Finding severities, most severe first.
pub const SEVERITIES: &[&str] = Severity::NAMES;
/// Corrective action states.
pub const ACTION_STATUSES: &[&str] = ActionStatus::NAMES;
/// Recruitment-fee categories (ILO definition of recruitment fees and related costs).
pub const FEE_CATEGORIES: &[&str] = FeeCategory::NAMES;

const FACILITY: &[FieldSpec] = &[
    f("name", Text),
    f("address", Text),
    f("country_code", Country),
    f("sectors", TextList),
    f("lat", Float),
    f("lng", Float),
    f("workers_min", Int),
    f("workers_max", Int),
    f("os_id", Text),
    f("parent_company", Text),
    f("facility_type", Text),
    f("product_types", TextList),
    f("deleted", Bool),
];

const AUDIT: &[FieldSpec] = &[
    f("facility_id", Ref(EntityKind::Facility)),
    f("checklists", Json),
    f("audit_type", Enum(AuditType::NAMES)),
    f("notice", Enum(Notice::NAMES)),
    f("start_date", Date),
    f("end_date", Date),
    f("auditors", TextList),
    f("status", Enum(AuditStatus::NAMES)),
    f("deleted", Bool),
    // Added in client schema 5 (columns come last there).
    f("reviewed_by", Text),
    f("reviewed_at", DateTime),
    f("review_comment", Text),
    // Added in client schema 7 (the corrective-action loop).
    f("locked", Bool),
    f("follow_up_of", Ref(EntityKind::Audit)),
    f("site_rep_name", Text),
    f("site_rep_role", Text),
];

/// Whether an audit op is a reviewer's decision: an approved/returned status or
/// one of the review fields. The server accepts these only from reviewers and
/// admins.
pub fn is_review_op(entity: EntityKind, field: &str, value: &Value) -> bool {
    entity == EntityKind::Audit
        && (matches!(field, "reviewed_by" | "reviewed_at" | "review_comment")
            || (field == "status"
                && value
                    .as_str()
                    .and_then(AuditStatus::parse)
                    .is_some_and(AuditStatus::is_review_decision)))
}

const REPEAT_INSTANCE: &[FieldSpec] = &[
    f("audit_id", Ref(EntityKind::Audit)),
    f("template_id", Text),
    f("group_id", Text),
    f("label", Text),
    f("position", Int),
    f("deleted", Bool),
];

const ANSWER: &[FieldSpec] = &[
    f("audit_id", Ref(EntityKind::Audit)),
    f("template_id", Text),
    f("item_id", Text),
    f("instance_id", Ref(EntityKind::RepeatInstance)),
    f("value", Json),
    f("note", Text),
    f("deleted", Bool),
];

const FINDING: &[FieldSpec] = &[
    f("audit_id", Ref(EntityKind::Audit)),
    f("template_id", Text),
    f("item_id", Text),
    f("instance_id", Ref(EntityKind::RepeatInstance)),
    f("origin", Enum(FindingOrigin::NAMES)),
    f("severity", Enum(Severity::NAMES)),
    f("title", Text),
    f("description", Text),
    f("status", Enum(FindingStatus::NAMES)),
    f("deleted", Bool),
    // Added in client schema 7: the site's acknowledgement (signed) and the
    // follow-up's verification (not signed).
    f("site_response", Enum(SiteResponse::NAMES)),
    f("site_comment", Text),
    f("recurrence_of", Ref(EntityKind::Finding)),
    f("follow_up_status", Enum(FollowUpStatus::NAMES)),
    f("verified_in", Ref(EntityKind::Audit)),
    f("verified_by", Text),
    f("verified_on", Date),
];

const CORRECTIVE_ACTION: &[FieldSpec] = &[
    f("finding_id", Ref(EntityKind::Finding)),
    f("root_cause", Text),
    f("corrective_action", Text),
    f("preventive_action", Text),
    f("owner", Text),
    f("due_date", Date),
    f("evidence", Text),
    f("verification_method", Text),
    f("status", Enum(ActionStatus::NAMES)),
    f("production_blocking", Bool),
    f("deleted", Bool),
    // Added in client schema 6 (the office): the day the item reached done or
    // verified, for CAP performance (days to close). Cleared when it reopens.
    f("closed_on", Date),
    // Added in client schema 7: when the plan is due (the fix-by date is due_date).
    f("plan_due_date", Date),
];

const ATTACHMENT: &[FieldSpec] = &[
    f("audit_id", Ref(EntityKind::Audit)),
    f("subject_kind", Enum(AttachmentSubject::NAMES)),
    f("subject_id", Text),
    f("sha256", Sha256),
    f("file_name", Text),
    f("media_type", Text),
    f("size_bytes", Int),
    f("caption", Text),
    f("deleted", Bool),
];

const FEE_RECORD: &[FieldSpec] = &[
    f("audit_id", Ref(EntityKind::Audit)),
    f("worker_ref", Text),
    f("migrant_type", Enum(MigrantType::NAMES)),
    f("origin_country", Country),
    f("origin_region", Text),
    f("channel", Enum(RecruitmentChannel::NAMES)),
    f("agency_origin", Text),
    f("agency_destination", Text),
    f("recruited_on", Date),
    f("contract_before_departure", Bool),
    f("contract_language", Text),
    f("contract_substituted", Bool),
    f("reimbursement_status", Enum(ReimbursementStatus::NAMES)),
    f("reimbursed_amount", Decimal),
    f("reimbursed_currency", Currency),
    f("reimbursed_on", Date),
    f("passport_held_by_employer", Bool),
    f("deleted", Bool),
];

const FEE: &[FieldSpec] = &[
    f("fee_record_id", Ref(EntityKind::FeeRecord)),
    f("category", Enum(FeeCategory::NAMES)),
    f("amount", Decimal),
    f("currency", Currency),
    f("paid_to", Text),
    f("paid_when", Enum(PaidWhen::NAMES)),
    f("financed_by_loan", Bool),
    f("evidence", Enum(FeeEvidence::NAMES)),
    f("deleted", Bool),
];

const INTERVIEW: &[FieldSpec] = &[
    f("audit_id", Ref(EntityKind::Audit)),
    f("conducted_on", Date),
    f("interviewer", Text),
    f("language", Text),
    f("format", Enum(InterviewFormat::NAMES)),
    f("sealed", Sealed),
    f("deleted", Bool),
];

const REVIEWER_KEY: &[FieldSpec] = &[
    f("public_key", Text),
    f("reviewer", Text),
    f("revoked", Bool),
    f("deleted", Bool),
];

const SIGNOFF: &[FieldSpec] = &[
    f("audit_id", Ref(EntityKind::Audit)),
    f("signer", Text),
    f("signer_device", Text),
    f("public_key", Text),
    f("digest", Sha256),
    f("signature", Text),
    f("signed_at", DateTime),
    f("deleted", Bool),
    // Added in client schema 7: the canonical form's version (absent: 1), and set
    // when a reopening voided this sign-off.
    f("content_format", Int),
    f("voided", Bool),
];

const REOPENING: &[FieldSpec] = &[
    f("audit_id", Ref(EntityKind::Audit)),
    f("reopened_by", Text),
    f("reason", Text),
    f("reopened_at", DateTime),
    f("deleted", Bool),
];

const VERIFICATION: &[FieldSpec] = &[
    f("audit_id", Ref(EntityKind::Audit)),
    f("finding_id", Ref(EntityKind::Finding)),
    f("action_id", Ref(EntityKind::CorrectiveAction)),
    f("status", Enum(FollowUpStatus::NAMES)),
    f("method", Enum(VerificationMethod::NAMES)),
    f("evidence_reviewed", Text),
    f("note", Text),
    f("verified_by", Text),
    f("verified_on", Date),
    f("deleted", Bool),
];

const SUPPLIER_RESPONSE: &[FieldSpec] = &[
    f("action_id", Ref(EntityKind::CorrectiveAction)),
    f("root_cause", Text),
    f("corrective_action", Text),
    f("preventive_action", Text),
    f("responsible", Text),
    f("planned_completion", Date),
    f("evidence_description", Text),
    f("file_name", Text),
    f("received_at", DateTime),
    f("state", Enum(SupplierResponseState::NAMES)),
    f("decided_by", Text),
    f("decided_at", DateTime),
    f("reject_reason", Text),
    f("deleted", Bool),
];

const EXCHANGE_RATE: &[FieldSpec] = &[
    f("rate_date", Date),
    f("from_currency", Currency),
    f("to_currency", Currency),
    // Units of `to_currency` for one unit of `from_currency`.
    f("rate", Decimal),
    f("source", Text),
    f("deleted", Bool),
];

const WGI_VALUE: &[FieldSpec] = &[
    f("country_code", Country),
    f("indicator", Enum(crate::reference::WgiIndicator::NAMES)),
    f("year", Int),
    f("estimate", Decimal),
    f("percentile_rank", Decimal),
    // What the values came from: the imported file's name, or the shipped sample.
    f("dataset", Text),
    f("deleted", Bool),
];

/// Whether an entity is organisation reference data (exchange rates, WGI values)
/// that admins import and every device reads. The server accepts changes to it
/// only from reviewers and admins.
pub fn is_reference_entity(entity: EntityKind) -> bool {
    matches!(entity, EntityKind::ExchangeRate | EntityKind::WgiValue)
}

/// What became of a kept conflict.
pub const CONFLICT_STATUSES: &[&str] = ConflictStatus::NAMES;

const CONFLICT: &[FieldSpec] = &[
    f("entity", Text),
    f("row_id", Text),
    f("field", Text),
    f("winner_value", Json),
    f("winner_device", Text),
    f("winner_hlc", Text),
    f("loser_value", Json),
    f("loser_device", Text),
    f("loser_hlc", Text),
    f("status", Enum(ConflictStatus::NAMES)),
    f("deleted", Bool),
];

const AUDIT_MEMBER: &[FieldSpec] = &[
    f("audit_id", Ref(EntityKind::Audit)),
    f("user_id", Text),
    f("username", Text),
    f("role", Enum(TeamRole::NAMES)),
    f("deleted", Bool),
];

impl EntityKind {
    /// Every entity, in an order where referenced entities come first.
    pub const ALL: [EntityKind; 19] = [
        EntityKind::Facility,
        EntityKind::Audit,
        EntityKind::RepeatInstance,
        EntityKind::Answer,
        EntityKind::Finding,
        EntityKind::CorrectiveAction,
        EntityKind::Attachment,
        EntityKind::FeeRecord,
        EntityKind::Fee,
        EntityKind::Interview,
        EntityKind::Conflict,
        EntityKind::Signoff,
        EntityKind::ReviewerKey,
        EntityKind::ExchangeRate,
        EntityKind::WgiValue,
        EntityKind::Reopening,
        EntityKind::Verification,
        EntityKind::SupplierResponse,
        EntityKind::AuditMember,
    ];

    /// The wire name, also the client table name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Facility => "facility",
            EntityKind::Audit => "audit",
            EntityKind::RepeatInstance => "repeat_instance",
            EntityKind::Answer => "answer",
            EntityKind::Finding => "finding",
            EntityKind::CorrectiveAction => "corrective_action",
            EntityKind::Attachment => "attachment",
            EntityKind::FeeRecord => "fee_record",
            EntityKind::Fee => "fee",
            EntityKind::Interview => "interview",
            EntityKind::Conflict => "conflict",
            EntityKind::Signoff => "signoff",
            EntityKind::ReviewerKey => "reviewer_key",
            EntityKind::ExchangeRate => "exchange_rate",
            EntityKind::WgiValue => "wgi_value",
            EntityKind::Reopening => "reopening",
            EntityKind::Verification => "verification",
            EntityKind::SupplierResponse => "supplier_response",
            EntityKind::AuditMember => "audit_member",
        }
    }

    /// The entity with this wire name.
    pub fn parse(name: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|e| e.as_str() == name)
    }

    /// The synced fields of this entity.
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            EntityKind::Facility => FACILITY,
            EntityKind::Audit => AUDIT,
            EntityKind::RepeatInstance => REPEAT_INSTANCE,
            EntityKind::Answer => ANSWER,
            EntityKind::Finding => FINDING,
            EntityKind::CorrectiveAction => CORRECTIVE_ACTION,
            EntityKind::Attachment => ATTACHMENT,
            EntityKind::FeeRecord => FEE_RECORD,
            EntityKind::Fee => FEE,
            EntityKind::Interview => INTERVIEW,
            EntityKind::Conflict => CONFLICT,
            EntityKind::Signoff => SIGNOFF,
            EntityKind::ReviewerKey => REVIEWER_KEY,
            EntityKind::ExchangeRate => EXCHANGE_RATE,
            EntityKind::WgiValue => WGI_VALUE,
            EntityKind::Reopening => REOPENING,
            EntityKind::Verification => VERIFICATION,
            EntityKind::SupplierResponse => SUPPLIER_RESPONSE,
            EntityKind::AuditMember => AUDIT_MEMBER,
        }
    }

    /// The spec of one field, if the entity has it.
    pub fn field(self, name: &str) -> Option<&'static FieldSpec> {
        self.fields().iter().find(|f| f.name == name)
    }
}

impl std::fmt::Display for EntityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value that does not fit its field.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{entity}.{field}: {reason}")]
pub struct ValueError {
    /// The entity named by the change.
    pub entity: String,
    /// The field named by the change.
    pub field: String,
    /// What is wrong and what is expected.
    pub reason: String,
}

/// Checks that `entity.field` exists and that `value` fits it.
pub fn validate(
    entity: &str,
    field: &str,
    value: &Value,
) -> Result<(EntityKind, &'static FieldSpec), ValueError> {
    let err = |reason: String| ValueError {
        entity: entity.to_owned(),
        field: field.to_owned(),
        reason,
    };
    let kind =
        EntityKind::parse(entity).ok_or_else(|| err(format!("unknown entity {entity:?}")))?;
    let spec = kind.field(field).ok_or_else(|| {
        let known: Vec<_> = kind.fields().iter().map(|f| f.name).collect();
        err(format!(
            "unknown field {field:?}; {entity} has {}",
            known.join(", ")
        ))
    })?;
    spec.ty.check(value).map_err(err)?;
    Ok((kind, spec))
}

impl ValueType {
    /// Whether `value` fits this type; `null` always fits (a cleared field).
    pub fn check(self, value: &Value) -> Result<(), String> {
        if value.is_null() {
            return Ok(());
        }
        let ok = match self {
            Text => value.is_string(),
            Int => value.is_i64() || value.is_u64(),
            Float => value.as_f64().is_some_and(f64::is_finite),
            Bool => value.is_boolean(),
            Json => true,
            TextList => value
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_string)),
            Decimal => return check_str(value, "a decimal string such as \"1250.50\"", is_decimal),
            Date => {
                return check_str(value, "a date YYYY-MM-DD", |s| {
                    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() && s.len() == 10
                })
            }
            DateTime => {
                return check_str(value, "an RFC 3339 date-time", |s| {
                    chrono::DateTime::parse_from_rfc3339(s).is_ok()
                })
            }
            Ref(kind) => {
                return check_str(value, &format!("the UUID of a {kind}"), |s| {
                    uuid::Uuid::parse_str(s).is_ok()
                });
            }
            Enum(options) => {
                return check_str(value, &format!("one of {}", options.join(", ")), |s| {
                    options.contains(&s)
                });
            }
            Currency => {
                return check_str(value, "an ISO 4217 code such as \"USD\"", |s| {
                    is_upper_code(s, 3)
                })
            }
            Country => {
                return check_str(value, "an ISO 3166 alpha-2 code such as \"BD\"", |s| {
                    is_upper_code(s, 2)
                })
            }
            Sealed => {
                return check_str(
                    value,
                    "an age-encrypted, ASCII-armored message (-----BEGIN AGE ENCRYPTED FILE-----)",
                    is_age_armor,
                )
            }
            Sha256 => {
                return check_str(value, "64 lower-case hex digits", |s| {
                    s.len() == 64
                        && s.bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                });
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!("expected {}, got {value}", self.describe()))
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Text => "a string",
            Int => "an integer",
            Float => "a finite number",
            Bool => "true or false",
            TextList => "an array of strings",
            _ => "a valid value",
        }
    }
}

fn check_str(value: &Value, expected: &str, ok: impl Fn(&str) -> bool) -> Result<(), String> {
    match value.as_str() {
        Some(s) if ok(s) => Ok(()),
        _ => Err(format!("expected {expected}, got {value}")),
    }
}

/// The age armor: its begin and end lines around base64 lines, nothing else.
fn is_age_armor(s: &str) -> bool {
    const BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
    const END: &str = "-----END AGE ENCRYPTED FILE-----";
    let Some(body) = s
        .trim()
        .strip_prefix(BEGIN)
        .and_then(|b| b.strip_suffix(END))
    else {
        return false;
    };
    let body = body.trim();
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\n' | b'\r'))
}

fn is_upper_code(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_uppercase())
}

fn is_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let mut parts = digits.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
        && digits.len() <= 40
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_entity_round_trips_its_name_and_has_a_tombstone() {
        for kind in EntityKind::ALL {
            assert_eq!(EntityKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                kind.field("deleted").map(|f| f.ty),
                Some(ValueType::Bool),
                "{kind}"
            );
        }
    }

    #[test]
    fn interview_content_syncs_only_as_age_ciphertext() {
        let armored = "-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBh\nQk1=\n-----END AGE ENCRYPTED FILE-----\n";
        assert!(validate("interview", "sealed", &json!(armored)).is_ok());
        for plain in [
            "worker said the agent took her passport",
            "-----BEGIN AGE ENCRYPTED FILE-----\nworker said: the agent took it\n-----END AGE ENCRYPTED FILE-----",
            "-----BEGIN AGE ENCRYPTED FILE-----\n-----END AGE ENCRYPTED FILE-----",
            "{\"answers\":{}}",
        ] {
            let e = validate("interview", "sealed", &json!(plain)).unwrap_err();
            assert!(e.reason.contains("age-encrypted"), "{plain}: {e}");
        }
    }

    #[test]
    fn every_enum_field_lists_a_closed_set() {
        for kind in EntityKind::ALL {
            for spec in kind.fields() {
                if let ValueType::Enum(names) = spec.ty {
                    assert!(
                        crate::closed_sets::ALL_SETS.iter().any(|set| set.names == names),
                        "{kind}.{}: its options are not one of closed_sets::ALL_SETS, so the UI gets no generated list",
                        spec.name
                    );
                }
            }
        }
    }

    #[test]
    fn validation_names_what_is_wrong() {
        assert!(validate("answer", "note", &json!("ok")).is_ok());
        assert!(validate("answer", "note", &json!(null)).is_ok());
        let e = validate("nonsense", "note", &json!("x")).unwrap_err();
        assert!(e.reason.contains("unknown entity"));
        let e = validate("answer", "colour", &json!("x")).unwrap_err();
        assert!(e.reason.contains("unknown field") && e.reason.contains("note"));
        let e = validate("fee", "amount", &json!(12.5)).unwrap_err();
        assert!(e.reason.contains("decimal"), "{e}");
        assert!(validate("fee", "amount", &json!("12.50")).is_ok());
        assert!(validate("fee", "amount", &json!("12.")).is_err());
        assert!(validate("fee", "currency", &json!("usd")).is_err());
        assert!(validate("finding", "severity", &json!("catastrophic")).is_err());
        assert!(validate("finding", "severity", &json!("critical")).is_ok());
        assert!(validate("audit", "start_date", &json!("2026-02-30")).is_err());
        assert!(validate("audit", "facility_id", &json!("not-a-uuid")).is_err());
        assert!(validate("facility", "lat", &json!(23.5)).is_ok());
        assert!(validate("facility", "sectors", &json!(["Apparel", 3])).is_err());
    }
}
