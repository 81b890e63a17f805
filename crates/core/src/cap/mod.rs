//! Corrective action plans (CAP) after the visit: deadlines, overdue, the plan in
//! force, supplier responses and the supplier's workbook.
//!
//! - Two dates per CAP item (DOMAIN.md, RBA): the **plan due** date, when the site
//!   owes its plan (critical 7 days, major and minor 14 days after the closing
//!   meeting), and the **fix-by** date, when the correction must be done (critical
//!   30, major 60, minor 90 days: our judgement). Both are defaulted when the
//!   finding is raised and editable until sign-off.
//! - *Overdue* is decided here and only here, against a day the caller passes (so
//!   tests and reports inject the date). Deadlines run while an item is open or in
//!   progress (done and verified are finished; a disputed item waits for the
//!   dispute to be settled): the fix is overdue when its fix-by date has passed,
//!   the plan when its plan-due date has passed and no plan was agreed at the
//!   closing meeting or accepted from the supplier since. [`standing`] says it for
//!   one item in Rust; [`FIX_OVERDUE_SQL`] and [`PLAN_OVERDUE_SQL`] say the same in
//!   SQL for the office's queries over many (a test holds the two to each other).
//! - [`supplier`]: supplier responses, accepted (they become the plan in force) or
//!   rejected with a reason; [`workbook`]: the XLSX sent to and read back from the
//!   supplier.

pub mod supplier;
pub mod workbook;

use chrono::{Days, NaiveDate};
use fieldaudit_protocol::closed_sets::{ActionStatus, AttachmentSubject, FindingStatus, FollowUpStatus, SupplierResponseState};
use fieldaudit_protocol::EntityKind;
use fieldaudit_templates::Severity;
use serde::Serialize;
use uuid::Uuid;

use crate::model::{Attachment, CorrectiveAction, Finding, SupplierResponse};
use crate::store::select_rows;
use crate::{Result, Store};

/// Days from the closing meeting to the plan-due date (RBA: 7 days for a priority
/// finding, 14 days otherwise). `None`: no CAP by default.
pub fn plan_due_days(severity: Severity) -> Option<u64> {
    match severity {
        Severity::Critical => Some(7),
        Severity::Major | Severity::Minor => Some(14),
        Severity::Observation | Severity::GoodPractice => None,
    }
}

/// A CAP item's two deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Deadlines {
    /// When the plan is due.
    pub plan_due: Option<NaiveDate>,
    /// When the correction must be done.
    pub fix_by: Option<NaiveDate>,
}

/// The default deadlines of a finding of `severity` whose closing meeting was on `closing`.
pub fn default_deadlines(severity: Severity, closing: NaiveDate) -> Deadlines {
    let after =
        |days: Option<u64>| days.map(|d| closing.checked_add_days(Days::new(d)).unwrap_or(closing));
    Deadlines {
        plan_due: after(plan_due_days(severity)),
        fix_by: after(crate::audits::default_due_days(severity)),
    }
}

/// CAP statuses that mean the correction is finished.
pub const FINISHED_STATUSES: [ActionStatus; 2] = [ActionStatus::Done, ActionStatus::Verified];

/// CAP statuses whose deadlines run (a missing status reads as `open`).
pub const RUNNING_STATUSES: [ActionStatus; 2] = [ActionStatus::Open, ActionStatus::InProgress];

/// [`FINISHED_STATUSES`] as an SQL list, for `coalesce(ca.status, 'open') IN …`.
pub const FINISHED_STATUSES_SQL: &str = "('done', 'verified')";

/// [`RUNNING_STATUSES`] as an SQL list, for `coalesce(ca.status, 'open') IN …`.
pub const RUNNING_STATUSES_SQL: &str = "('open', 'in_progress')";

/// The fix of a CAP item (alias `ca`) is overdue on the named parameter `:today`:
/// the SQL form of [`Standing::fix_overdue`].
pub const FIX_OVERDUE_SQL: &str = "(coalesce(ca.status, 'open') IN ('open', 'in_progress') AND ca.due_date IS NOT NULL AND ca.due_date < :today)";

/// The plan of a CAP item (alias `ca`) is overdue on `:today`: the SQL form of
/// [`Standing::plan_overdue`] (no plan agreed in `ca.corrective_action`, none
/// accepted from the supplier).
pub const PLAN_OVERDUE_SQL: &str = "(coalesce(ca.status, 'open') IN ('open', 'in_progress') AND ca.plan_due_date IS NOT NULL AND ca.plan_due_date < :today
    AND trim(coalesce(ca.corrective_action, '')) = ''
    AND NOT EXISTS (SELECT 1 FROM supplier_response sr WHERE sr.action_id = ca.id AND sr.state = 'accepted' AND coalesce(sr.deleted, 0) = 0))";

/// Whether a CAP item's status means the correction is finished.
pub fn is_finished(status: Option<ActionStatus>) -> bool {
    status.is_some_and(|s| FINISHED_STATUSES.contains(&s))
}

/// Whether a CAP item's deadlines run: open (or no status yet) or in progress.
pub fn deadlines_run(status: Option<ActionStatus>) -> bool {
    RUNNING_STATUSES.contains(&status.unwrap_or(ActionStatus::Open))
}

/// A CAP item's standing on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Standing {
    /// The plan's date has passed with no plan agreed or accepted.
    pub plan_overdue: bool,
    /// The fix-by date has passed and the item is still open or in progress.
    pub fix_overdue: bool,
    /// Days left to the fix-by date while its deadlines run (negative: days late).
    pub days_to_fix: Option<i64>,
}

/// The standing of `action` on `today`; `has_plan` says whether a plan was agreed
/// at the closing meeting or a supplier response accepted since.
pub fn standing(action: &CorrectiveAction, has_plan: bool, today: NaiveDate) -> Standing {
    let date = |d: &Option<String>| d.as_deref().and_then(fieldaudit_templates::parse_date);
    let running = deadlines_run(action.status);
    let plan_due = date(&action.plan_due_date);
    let fix_by = date(&action.due_date);
    Standing {
        plan_overdue: running && !has_plan && plan_due.is_some_and(|d| today > d),
        fix_overdue: running && fix_by.is_some_and(|d| today > d),
        days_to_fix: fix_by.filter(|_| running).map(|d| (d - today).num_days()),
    }
}

/// A CAP item as the screens, the CLI and reports show it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CapItem {
    /// The audit the finding was raised in.
    pub audit_id: Uuid,
    /// The finding.
    pub finding: Finding,
    /// The CAP item as agreed (and its progress).
    pub action: CorrectiveAction,
    /// Overdue flags on the day asked about.
    pub standing: Standing,
    /// The supplier response in force (accepted), if any: the plan now.
    pub accepted_response: Option<SupplierResponse>,
    /// Every supplier response, oldest first.
    pub responses: Vec<SupplierResponse>,
    /// Evidence attached to the CAP item (photos, documents).
    pub attachments: Vec<Attachment>,
}

impl CapItem {
    /// Whether the item still needs work (not done or verified, finding not closed by a follow-up).
    pub fn is_open(&self) -> bool {
        !is_finished(self.action.status)
            && self.finding.follow_up_status != Some(FollowUpStatus::Closed)
    }
}

impl Store {
    /// The CAP items of an audit, most severe first, with their standing on `today`.
    pub fn cap_items(&self, audit_id: Uuid, today: NaiveDate) -> Result<Vec<CapItem>> {
        let mut out = Vec::new();
        let attachments = self.attachments(audit_id, None)?;
        for f in self.findings(audit_id)? {
            if f.finding.status != Some(FindingStatus::Open) {
                continue;
            }
            for action in f.actions {
                let responses = self.supplier_responses(action.id)?;
                let accepted_response = responses
                    .iter()
                    .rev()
                    .find(|r| r.state == Some(SupplierResponseState::Accepted))
                    .cloned();
                let agreed = action
                    .corrective_action
                    .as_deref()
                    .is_some_and(|t| !t.trim().is_empty());
                let standing = standing(&action, agreed || accepted_response.is_some(), today);
                let id = action.id.to_string();
                let mine = attachments
                    .iter()
                    .filter(|a| {
                        a.subject_kind == Some(AttachmentSubject::CorrectiveAction)
                            && a.subject_id.as_deref() == Some(id.as_str())
                    })
                    .cloned()
                    .collect();
                out.push(CapItem {
                    audit_id,
                    finding: f.finding.clone(),
                    action,
                    standing,
                    accepted_response,
                    responses,
                    attachments: mine,
                });
            }
        }
        Ok(out)
    }

    /// The open CAP items of every audit of a facility, oldest audit first.
    pub fn facility_cap_items(&self, facility_id: Uuid, today: NaiveDate) -> Result<Vec<CapItem>> {
        let mut audits = self.audits(Some(facility_id))?;
        audits.reverse();
        let mut out = Vec::new();
        for audit in audits {
            out.extend(
                self.cap_items(audit.id, today)?
                    .into_iter()
                    .filter(CapItem::is_open),
            );
        }
        Ok(out)
    }

    /// Attaches a photo or document to a CAP item as evidence (received from the
    /// site, or taken at a follow-up). CAP evidence is not covered by the audit's
    /// sign-off, so it can be added after it.
    pub fn add_cap_evidence(
        &mut self,
        action_id: Uuid,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<Uuid> {
        let action: CorrectiveAction = self
            .get(EntityKind::CorrectiveAction, action_id)?
            .ok_or_else(|| crate::CoreError::not_found("corrective action", action_id))?;
        let finding: Option<Finding> = match action.finding_id {
            Some(f) => self.get(EntityKind::Finding, f)?,
            None => None,
        };
        let audit = finding
            .and_then(|f| f.audit_id)
            .ok_or_else(|| crate::CoreError::not_found("audit of corrective action", action_id))?;
        self.add_attachment(
            audit,
            "corrective_action",
            action_id,
            file_name,
            media_type_of(file_name),
            bytes,
        )
    }

    /// The supplier responses to one CAP item, oldest first.
    pub fn supplier_responses(&self, action_id: Uuid) -> Result<Vec<SupplierResponse>> {
        select_rows(
            self.conn(),
            EntityKind::SupplierResponse,
            "action_id = ?1 AND coalesce(deleted, 0) = 0 ORDER BY received_at, id",
            [action_id.to_string()],
        )?
        .into_iter()
        .map(|r| crate::store::decode(EntityKind::SupplierResponse, r))
        .collect()
    }
}

/// The media type of an evidence file, from its extension.
pub fn media_type_of(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "heic" => "image/heic",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests;
