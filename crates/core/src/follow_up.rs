//! Follow-up audits: visits (or desktop reviews) that verify earlier findings.
//!
//! *Start follow-up* on a facility creates a full or partial follow-up audit that
//! carries every earlier finding of the facility not yet verified closed into its
//! **previous findings** list: one `verification` row per finding, with a
//! deterministic id (follow-up audit × finding), so two auditors verifying
//! different findings of one follow-up write different rows and never conflict. A
//! partial follow-up has only that list (plus checklists the auditor adds); a full
//! follow-up also has the full checklists.
//!
//! For each carried finding the auditor records SMETA's status (*Closed*,
//! *Progress made*, *Still open*), the evidence reviewed, the method (on site or
//! desktop review), a note, and photos (attachments on the verification row).
//! *Closed* marks the original CAP item verified and the original finding closed,
//! attributed to the follow-up audit and its auditor. None of this touches what
//! the original audit's sign-off covers ([`fieldaudit_protocol::lock`]).
//!
//! A reviewer can verify a CAP item without a visit, from evidence received, as a
//! desktop review ([`Store::desktop_review`]): the same record without an audit.
//!
//! A finding raised again for the same checklist item in a later audit of the
//! facility is linked to the earlier one (`recurrence_of`), and
//! [`Store::finding_history`] shows each finding's whole story.

use chrono::{NaiveDate, Utc};
use fieldaudit_protocol::corrective::{
    self, FollowUpStatus, SupplierResponseState, VerificationMethod,
};
use fieldaudit_protocol::closed_sets::{AttachmentSubject, AuditType, Notice, SiteResponse};
use fieldaudit_protocol::EntityKind;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::audits::NewAudit;
use crate::model::{
    self, Attachment, Audit, ChecklistRef, CorrectiveAction, Finding, Verification,
};
use crate::store::{decode, select_rows};
use crate::{CoreError, Result, Store, Writer};

pub use fieldaudit_protocol::corrective::verification_id;

/// Full or partial follow-up (SMETA's audit types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    /// The earlier findings and the full checklists.
    Full,
    /// Only the earlier findings (plus checklists the auditor adds).
    Partial,
}

impl FollowUpKind {
    /// The audit type stored for it.
    pub fn audit_type(self) -> AuditType {
        match self {
            FollowUpKind::Full => AuditType::FullFollowUp,
            FollowUpKind::Partial => AuditType::PartialFollowUp,
        }
    }
}

/// What is needed to start a follow-up.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewFollowUp {
    /// The facility.
    pub facility_id: Uuid,
    /// Full or partial.
    pub kind: FollowUpKind,
    /// Checklists to include; for a full follow-up, empty means those of the
    /// facility's latest audit.
    pub checklists: Vec<ChecklistRef>,
    /// How much notice the site had.
    pub notice: Notice,
    /// First day on site.
    pub start_date: NaiveDate,
    /// The audit team.
    pub auditors: Vec<String>,
}

/// What a follow-up (or desktop review) found of one earlier finding.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VerificationInput {
    /// What was found.
    pub status: FollowUpStatus,
    /// How it was verified.
    pub method: VerificationMethod,
    /// What evidence was reviewed.
    pub evidence_reviewed: String,
    /// A note.
    pub note: String,
    /// Who verified (the auditor's or reviewer's name).
    pub verified_by: String,
    /// When.
    pub verified_on: NaiveDate,
}

/// A finding carried into a follow-up, with its original audit and CAP item.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PreviousFinding {
    /// The verification row (status empty until recorded).
    pub verification: Verification,
    /// The original finding.
    pub finding: Finding,
    /// Its CAP item.
    pub action: Option<CorrectiveAction>,
    /// The audit it was raised in.
    pub original_audit: Audit,
    /// Photos and documents attached to this verification.
    pub attachments: Vec<Attachment>,
}

/// One step of a finding's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HistoryStep {
    /// Raised in an audit.
    Raised,
    /// The site agreed with it at the closing meeting.
    SiteAgreed,
    /// The site disputed it.
    SiteDisputed,
    /// The audit (with the CAP as agreed) was signed off.
    SignedOff,
    /// The audit was reopened for correction.
    Reopened,
    /// The supplier sent a response.
    SupplierResponded,
    /// A reviewer accepted the supplier's response: it is the plan.
    ResponseAccepted,
    /// A reviewer rejected the supplier's response.
    ResponseRejected,
    /// A follow-up or desktop review verified it closed.
    VerifiedClosed,
    /// A follow-up found progress made.
    ProgressMade,
    /// A follow-up found it still open.
    StillOpen,
    /// The same item failed again in a later audit.
    Recurred,
    /// It recurs an earlier finding.
    RecurrenceOf,
}

/// One event in a finding's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryEvent {
    /// When (a date or an RFC 3339 time).
    pub at: String,
    /// What happened.
    pub step: HistoryStep,
    /// Who, when known.
    pub by: Option<String>,
    /// The audit it happened in, when any.
    pub audit_id: Option<Uuid>,
    /// Comment, reason, evidence or method.
    pub detail: Option<String>,
}

/// A finding and its history, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FindingHistory {
    /// The finding.
    pub finding: Finding,
    /// The events.
    pub events: Vec<HistoryEvent>,
}

fn opt_text(s: &str, what: &str) -> Result<Value> {
    let t = s.trim();
    if t.chars().count() > 4000 {
        return Err(CoreError::Invalid(format!(
            "the {what} is longer than 4000 characters; shorten it"
        )));
    }
    Ok(if t.is_empty() { Value::Null } else { json!(t) })
}

impl Store {
    /// Starts a follow-up audit of a facility carrying every earlier finding not yet
    /// verified closed (see the module doc). Returns the new audit's id.
    pub fn start_follow_up(&mut self, new: &NewFollowUp) -> Result<Uuid> {
        self.facility(new.facility_id)?;
        let earlier = self.audits(Some(new.facility_id))?;
        let mut checklists = new.checklists.clone();
        if checklists.is_empty() && new.kind == FollowUpKind::Full {
            checklists = earlier
                .iter()
                .find_map(|a| a.checklists.clone().filter(|c| !c.is_empty()))
                .unwrap_or_default();
            if checklists.is_empty() {
                return Err(CoreError::Invalid(
                    "a full follow-up needs checklists: choose them, or start a partial follow-up"
                        .into(),
                ));
            }
        }
        let carried = self.open_findings_of_facility(new.facility_id)?;
        if carried.is_empty() && new.kind == FollowUpKind::Partial && checklists.is_empty() {
            return Err(CoreError::Invalid(
                "this facility has no earlier finding left to verify; a partial follow-up would be empty (choose checklists or start a full audit)".into(),
            ));
        }
        let audit_id = self.start_audit_unchecked(&NewAudit {
            facility_id: new.facility_id,
            checklists,
            audit_type: new.kind.audit_type(),
            notice: new.notice,
            start_date: new.start_date,
            end_date: None,
            auditors: new.auditors.clone(),
        })?;
        let previous = earlier.first().map(|a| a.id);
        self.write(|w| {
            if let Some(p) = previous {
                w.set(
                    EntityKind::Audit,
                    audit_id,
                    &[("follow_up_of", json!(p.to_string()))],
                )?;
            }
            for f in &carried {
                let action = model::default_action_id(f.id);
                let action = w
                    .exists(EntityKind::CorrectiveAction, action)?
                    .then_some(action);
                w.set(
                    EntityKind::Verification,
                    verification_id(audit_id, f.id),
                    &[
                        ("audit_id", json!(audit_id.to_string())),
                        ("finding_id", json!(f.id.to_string())),
                        ("action_id", json!(action.map(|a| a.to_string()))),
                        ("deleted", json!(false)),
                    ],
                )?;
            }
            Ok(())
        })?;
        Ok(audit_id)
    }

    /// Non-conformances of a facility's audits still open and not verified closed.
    fn open_findings_of_facility(&self, facility_id: Uuid) -> Result<Vec<Finding>> {
        let rows = select_rows(
            self.conn(),
            EntityKind::Finding,
            "coalesce(deleted, 0) = 0 AND status = 'open'
             AND audit_id IN (SELECT id FROM audit WHERE facility_id = ?1 AND coalesce(deleted, 0) = 0)
             ORDER BY id",
            [facility_id.to_string()],
        )?;
        let mut out = Vec::new();
        for r in rows {
            let f: Finding = decode(EntityKind::Finding, r)?;
            if corrective::carried_into_follow_up(f.status, f.severity, f.follow_up_status) {
                out.push(f);
            }
        }
        Ok(out)
    }

    /// The follow-up's previous findings, most severe first.
    pub fn previous_findings(&self, audit_id: Uuid) -> Result<Vec<PreviousFinding>> {
        self.audit(audit_id)?;
        let rows = select_rows(
            self.conn(),
            EntityKind::Verification,
            "audit_id = ?1 AND coalesce(deleted, 0) = 0 ORDER BY id",
            [audit_id.to_string()],
        )?;
        let attachments = self.attachments(audit_id, None)?;
        let mut out = Vec::new();
        for r in rows {
            let verification: Verification = decode(EntityKind::Verification, r)?;
            let Some(finding_id) = verification.finding_id else {
                continue;
            };
            let Some(finding) = self.get::<Finding>(EntityKind::Finding, finding_id)? else {
                continue;
            };
            let Some(original_audit) = finding.audit_id.and_then(|a| self.audit(a).ok()) else {
                continue;
            };
            let action = verification
                .action_id
                .map(|a| self.get::<CorrectiveAction>(EntityKind::CorrectiveAction, a))
                .transpose()?
                .flatten();
            let id = verification.id.to_string();
            let mine = attachments
                .iter()
                .filter(|a| {
                    a.subject_kind == Some(AttachmentSubject::Verification)
                        && a.subject_id.as_deref() == Some(id.as_str())
                })
                .cloned()
                .collect();
            out.push(PreviousFinding {
                verification,
                finding,
                action,
                original_audit,
                attachments: mine,
            });
        }
        let rank = |p: &PreviousFinding| {
            std::cmp::Reverse(p.finding.severity)
        };
        out.sort_by_key(rank);
        Ok(out)
    }

    /// Records what the follow-up `audit_id` found of the earlier finding
    /// `finding_id` (carried into it), and applies it to the original finding and
    /// CAP item.
    pub fn record_verification(
        &mut self,
        audit_id: Uuid,
        finding_id: Uuid,
        input: &VerificationInput,
    ) -> Result<()> {
        let who = crate::reopen::actor(self)?;
        if !corrective::may_verify_on_site(who.role) {
            return Err(CoreError::Invalid(format!(
                "{} is signed in as {}: only auditors and reviewers verify findings",
                who.name, who.role
            )));
        }
        let id = verification_id(audit_id, finding_id);
        if !self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM verification WHERE id = ?1 AND coalesce(deleted, 0) = 0)",
            [id.to_string()],
            |r| r.get::<_, bool>(0),
        )? {
            return Err(CoreError::Invalid(format!(
                "finding {finding_id} is not among the previous findings of follow-up {audit_id}"
            )));
        }
        self.write_verification(id, Some(audit_id), finding_id, input)
    }

    /// A reviewer's desktop review of a CAP item, from evidence received (photos or
    /// documents attached to the CAP item), recorded like a follow-up's
    /// verification but without an audit. Returns the verification's id.
    pub fn desktop_review(&mut self, finding_id: Uuid, input: &VerificationInput) -> Result<Uuid> {
        let who = crate::reopen::actor(self)?;
        if !corrective::may_verify_by_desktop_review(who.role) {
            return Err(CoreError::Invalid(format!(
                "only reviewers verify a CAP by desktop review; {} is {} (sign in as a reviewer)",
                who.name,
                if who.signed_in {
                    who.role.as_str()
                } else {
                    "not signed in"
                }
            )));
        }
        let mut input = input.clone();
        input.method = VerificationMethod::DesktopReview;
        let id = Uuid::now_v7();
        self.write_verification(id, None, finding_id, &input)?;
        Ok(id)
    }

    fn write_verification(
        &mut self,
        id: Uuid,
        audit_id: Option<Uuid>,
        finding_id: Uuid,
        input: &VerificationInput,
    ) -> Result<()> {
        let (status, method) = (input.status, input.method);
        let by = input.verified_by.trim();
        if by.is_empty() || by.chars().count() > 120 {
            return Err(CoreError::Invalid(
                "say who verified (the auditor's or reviewer's name, at most 120 characters)"
                    .into(),
            ));
        }
        let finding: Finding = self
            .get(EntityKind::Finding, finding_id)?
            .ok_or_else(|| CoreError::not_found("finding", finding_id))?;
        let evidence = opt_text(&input.evidence_reviewed, "evidence reviewed")?;
        let note = opt_text(&input.note, "note")?;
        if status == FollowUpStatus::Closed && evidence.is_null() {
            return Err(CoreError::Invalid(
                "say what evidence was reviewed before closing a finding".into(),
            ));
        }
        let action = model::default_action_id(finding.id);
        let on = input.verified_on.to_string();
        self.write(|w| {
            let action = w
                .exists(EntityKind::CorrectiveAction, action)?
                .then_some(action);
            w.set(
                EntityKind::Verification,
                id,
                &[
                    ("audit_id", json!(audit_id.map(|a| a.to_string()))),
                    ("finding_id", json!(finding_id.to_string())),
                    ("action_id", json!(action.map(|a| a.to_string()))),
                    ("status", json!(status.as_str())),
                    ("method", json!(method.as_str())),
                    ("evidence_reviewed", evidence.clone()),
                    ("note", note.clone()),
                    ("verified_by", json!(by)),
                    ("verified_on", json!(on)),
                    ("deleted", json!(false)),
                ],
            )?;
            w.set(
                EntityKind::Finding,
                finding_id,
                &[
                    ("follow_up_status", json!(status.as_str())),
                    ("verified_in", json!(audit_id.map(|a| a.to_string()))),
                    ("verified_by", json!(by)),
                    ("verified_on", json!(on)),
                ],
            )?;
            if let Some(action) = action {
                let cap_status = match status {
                    FollowUpStatus::Closed => "verified",
                    FollowUpStatus::ProgressMade => "in_progress",
                    FollowUpStatus::StillOpen => "open",
                };
                w.set(
                    EntityKind::CorrectiveAction,
                    action,
                    &[
                        ("status", json!(cap_status)),
                        ("verification_method", json!(method.as_str())),
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// A finding's history, oldest first: raised, the site's answer, sign-offs and
    /// reopenings of its audit, supplier responses and decisions, verifications,
    /// recurrences.
    pub fn finding_history(&self, finding_id: Uuid) -> Result<FindingHistory> {
        let finding: Finding = self
            .get(EntityKind::Finding, finding_id)?
            .ok_or_else(|| CoreError::not_found("finding", finding_id))?;
        let mut events = Vec::new();
        let ev = |at: Option<String>,
                  step,
                  by: Option<String>,
                  audit_id: Option<Uuid>,
                  detail: Option<String>| HistoryEvent {
            at: at.unwrap_or_default(),
            step,
            by,
            audit_id,
            detail,
        };
        if let Some(audit) = finding.audit_id.and_then(|a| self.audit(a).ok()) {
            let lead = audit.auditors.as_ref().and_then(|a| a.first().cloned());
            events.push(ev(
                audit.start_date.clone(),
                HistoryStep::Raised,
                lead,
                Some(audit.id),
                finding.title.clone(),
            ));
            match finding.site_response {
                Some(SiteResponse::Agreed) => events.push(ev(
                    audit.end_date.clone().or(audit.start_date.clone()),
                    HistoryStep::SiteAgreed,
                    audit.site_rep_name.clone(),
                    Some(audit.id),
                    finding.site_comment.clone(),
                )),
                Some(SiteResponse::Disputed) => events.push(ev(
                    audit.end_date.clone().or(audit.start_date.clone()),
                    HistoryStep::SiteDisputed,
                    audit.site_rep_name.clone(),
                    Some(audit.id),
                    finding.site_comment.clone(),
                )),
                _ => {}
            }
            for s in select_rows(
                self.conn(),
                EntityKind::Signoff,
                "audit_id = ?1 AND coalesce(deleted, 0) = 0",
                [audit.id.to_string()],
            )? {
                let text = |f: &str| s.get(f).and_then(Value::as_str).map(str::to_owned);
                events.push(ev(
                    text("signed_at"),
                    HistoryStep::SignedOff,
                    text("signer"),
                    Some(audit.id),
                    None,
                ));
            }
            for r in self.reopenings(audit.id)? {
                events.push(ev(
                    Some(r.reopened_at),
                    HistoryStep::Reopened,
                    Some(r.reopened_by),
                    Some(audit.id),
                    Some(r.reason),
                ));
            }
            if let Some(earlier) = finding.recurrence_of {
                let e: Option<Finding> = self.get(EntityKind::Finding, earlier)?;
                events.push(ev(
                    audit.start_date.clone(),
                    HistoryStep::RecurrenceOf,
                    None,
                    e.and_then(|e| e.audit_id),
                    Some(earlier.to_string()),
                ));
            }
        }
        for r in self.supplier_responses(model::default_action_id(finding_id))? {
            events.push(ev(
                r.received_at.clone(),
                HistoryStep::SupplierResponded,
                r.responsible.clone(),
                None,
                r.corrective_action.clone(),
            ));
            match r.state {
                Some(SupplierResponseState::Accepted) => events.push(ev(
                    r.decided_at.clone(),
                    HistoryStep::ResponseAccepted,
                    r.decided_by.clone(),
                    None,
                    None,
                )),
                Some(SupplierResponseState::Rejected) => events.push(ev(
                    r.decided_at.clone(),
                    HistoryStep::ResponseRejected,
                    r.decided_by.clone(),
                    None,
                    r.reject_reason.clone(),
                )),
                _ => {}
            }
        }
        for v in select_rows(
            self.conn(),
            EntityKind::Verification,
            "finding_id = ?1 AND status IS NOT NULL AND coalesce(deleted, 0) = 0",
            [finding_id.to_string()],
        )? {
            let v: Verification = decode(EntityKind::Verification, v)?;
            let step = match v.status {
                Some(FollowUpStatus::Closed) => HistoryStep::VerifiedClosed,
                Some(FollowUpStatus::ProgressMade) => HistoryStep::ProgressMade,
                _ => HistoryStep::StillOpen,
            };
            let detail = [
                v.method.map(|m| m.as_str().replace('_', " ")),
                v.evidence_reviewed.clone(),
                v.note.clone(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
            events.push(ev(
                v.verified_on.clone(),
                step,
                v.verified_by.clone(),
                v.audit_id,
                Some(detail).filter(|d| !d.is_empty()),
            ));
        }
        for later in select_rows(
            self.conn(),
            EntityKind::Finding,
            "recurrence_of = ?1 AND coalesce(deleted, 0) = 0",
            [finding_id.to_string()],
        )? {
            let later: Finding = decode(EntityKind::Finding, later)?;
            let when = later
                .audit_id
                .and_then(|a| self.audit(a).ok())
                .and_then(|a| a.start_date);
            events.push(ev(
                when,
                HistoryStep::Recurred,
                None,
                later.audit_id,
                Some(later.id.to_string()),
            ));
        }
        // Dates sort before the times of the same day, which is the order they happen in.
        events.sort_by(|a, b| a.at.cmp(&b.at));
        Ok(FindingHistory { finding, events })
    }
}

/// The earlier finding a new item finding recurs: the newest finding of the same
/// checklist item in another audit of the same facility. Called when an item
/// finding is first raised.
pub(crate) fn recurrence_of(
    w: &Writer<'_>,
    audit: &Audit,
    template_id: &str,
    item_id: &str,
) -> Result<Option<Uuid>> {
    let Some(facility) = audit.facility_id else {
        return Ok(None);
    };
    let id: Option<String> = w
        .conn()
        .query_row(
            "SELECT f.id FROM finding f JOIN audit a ON a.id = f.audit_id
             WHERE a.facility_id = ?1 AND a.id <> ?2 AND coalesce(a.start_date, '') <= coalesce(?5, '9999')
               AND f.template_id = ?3 AND f.item_id = ?4 AND coalesce(f.deleted, 0) = 0
             ORDER BY a.start_date DESC, f.id DESC LIMIT 1",
            (facility.to_string(), audit.id.to_string(), template_id, item_id, audit.start_date.clone()),
            |r| r.get(0),
        )
        .ok();
    Ok(id.and_then(|s| Uuid::parse_str(&s).ok()))
}

/// Today (UTC), for callers without an injected date.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

#[cfg(test)]
mod tests;
