//! An audit as one self-contained JSON document: the facility, the pinned
//! checklists, answers, findings with corrective actions, fee records with totals,
//! attachment metadata and the computed score. Used by `fieldaudit audit export`
//! and as the input of reports.

use serde::Serialize;
use uuid::Uuid;

use crate::audits::{AuditScore, FindingWithActions};
use crate::fees::FeeTotals;
use crate::model::{
    Answer, Attachment, Audit, ChecklistRef, Facility, Fee, FeeRecord, RepeatInstance,
};
use crate::{Result, Store};

/// Format version of [`AuditExport`]; bumped when its shape changes.
pub const EXPORT_FORMAT: u32 = 1;

/// A checklist as pinned, with its title.
#[derive(Clone, Debug, Serialize)]
pub struct ExportedChecklist {
    /// Template id and version.
    #[serde(flatten)]
    pub pinned: ChecklistRef,
    /// Title in English.
    pub title: String,
}

/// A fee record with its fees.
#[derive(Clone, Debug, Serialize)]
pub struct ExportedFeeRecord {
    /// The record.
    #[serde(flatten)]
    pub record: FeeRecord,
    /// Fees paid.
    pub fees: Vec<Fee>,
}

/// Everything about one audit.
#[derive(Clone, Debug, Serialize)]
pub struct AuditExport {
    /// [`EXPORT_FORMAT`].
    pub format: u32,
    /// When the export was made (UTC, RFC 3339).
    pub exported_at: String,
    /// The device that exported it.
    pub device_id: Uuid,
    /// The audit.
    pub audit: Audit,
    /// The facility audited.
    pub facility: Option<Facility>,
    /// The checklists the audit pins.
    pub checklists: Vec<ExportedChecklist>,
    /// Repeat-group instances.
    pub repeat_instances: Vec<RepeatInstance>,
    /// Answers.
    pub answers: Vec<Answer>,
    /// Findings with their corrective actions.
    pub findings: Vec<FindingWithActions>,
    /// Recruitment-fee records.
    pub fee_records: Vec<ExportedFeeRecord>,
    /// Fee totals per currency.
    pub fee_totals: FeeTotals,
    /// Attachment metadata (bytes are referenced by SHA-256).
    pub attachments: Vec<Attachment>,
    /// Computed score.
    pub score: AuditScore,
    /// For a follow-up: the earlier findings it carried, with what it found of each
    /// (the report's "previous findings and their status").
    pub previous_findings: Vec<crate::follow_up::PreviousFinding>,
}

impl Store {
    /// Collects an audit into one document.
    pub fn export_audit(&self, audit_id: Uuid) -> Result<AuditExport> {
        let audit = self.audit(audit_id)?;
        let facility = audit.facility_id.map(|f| self.facility(f)).transpose()?;
        let checklists = audit
            .checklists
            .iter()
            .flatten()
            .map(|c| ExportedChecklist {
                pinned: c.clone(),
                title: fieldaudit_templates::builtin_template(&c.template_id, c.version)
                    .map(|t| t.title.en().to_owned())
                    .unwrap_or_default(),
            })
            .collect();
        Ok(AuditExport {
            format: EXPORT_FORMAT,
            exported_at: chrono::Utc::now().to_rfc3339(),
            device_id: self.device_id(),
            facility,
            checklists,
            repeat_instances: self.repeat_instances(audit_id)?,
            answers: self.answers(audit_id)?,
            findings: self.findings(audit_id)?,
            fee_records: self
                .fee_records(audit_id)?
                .into_iter()
                .map(|(record, fees)| ExportedFeeRecord { record, fees })
                .collect(),
            fee_totals: self.fee_totals(audit_id)?,
            attachments: self.attachments(audit_id, None)?,
            score: self.score(audit_id)?,
            previous_findings: self.previous_findings(audit_id)?,
            audit,
        })
    }
}
