//! A facility's scorecard: its audits over time with the indicative score of each
//! (the trend), findings per severity, its open CAP items and the recruitment fees
//! still owed to its workers.

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use super::cap_tracker::{CapFilter, CapRow};
use super::fee_remediation::FeeGroup;
use super::{OfficeFilter, SeverityCounts};
use crate::model::Facility;
use crate::{CoreError, Result, Store};

/// One audit on the scorecard.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScorecardAudit {
    /// The audit.
    pub audit_id: Uuid,
    /// First day on site.
    pub start_date: Option<String>,
    /// Type.
    pub audit_type: Option<String>,
    /// Notice.
    pub notice: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Conformance percent.
    pub conformance_percent: Option<f64>,
    /// Indicative score (RBA weights; label it indicative).
    pub indicative_score: Option<f64>,
    /// Its band.
    pub indicative_band: Option<String>,
    /// Findings per severity (not deleted).
    pub findings: SeverityCounts,
}

/// The scorecard.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Scorecard {
    /// The facility.
    pub facility: Facility,
    /// Its audits, oldest first (the score trend).
    pub audits: Vec<ScorecardAudit>,
    /// CAP items not closed, earliest fix-by date first.
    pub open_caps: Vec<CapRow>,
    /// Of those, overdue.
    pub overdue_caps: u32,
    /// Fees paid, reimbursed and outstanding at the facility.
    pub fees: FeeGroup,
    /// The currency `fees.converted` is in.
    pub reporting_currency: String,
}

impl Store {
    /// One facility's scorecard as of `today`, fees converted to `reporting_currency`.
    pub fn scorecard(
        &self,
        facility_id: Uuid,
        today: NaiveDate,
        reporting_currency: &str,
    ) -> Result<Scorecard> {
        let facility: Facility = self
            .get(fieldaudit_protocol::EntityKind::Facility, facility_id)?
            .ok_or_else(|| CoreError::not_found("facility", facility_id))?;
        let mut audits = Vec::new();
        let mut list = self.audits(Some(facility_id))?;
        list.sort_by(|a, b| a.start_date.cmp(&b.start_date).then(a.id.cmp(&b.id)));
        for a in list {
            let score = self.score(a.id)?;
            let mut findings = SeverityCounts::default();
            for f in self.findings(a.id)? {
                findings.add(f.finding.severity.map_or("", |s| s.as_str()), 1);
            }
            audits.push(ScorecardAudit {
                audit_id: a.id,
                start_date: a.start_date,
                audit_type: a.audit_type.map(|v| v.as_str().to_owned()),
                notice: a.notice.map(|v| v.as_str().to_owned()),
                status: a.status.map(|v| v.as_str().to_owned()),
                conformance_percent: score.conformance_percent.map(|p| (p * 10.0).round() / 10.0),
                indicative_score: score.indicative_score.map(|s| (s * 10.0).round() / 10.0),
                indicative_band: score.indicative_band,
                findings,
            });
        }
        let caps = self.cap_tracker(
            &CapFilter {
                facility_id: Some(facility_id),
                ..Default::default()
            },
            today,
        )?;
        let open_caps: Vec<CapRow> = caps
            .into_iter()
            .filter(|c| matches!(c.status.as_deref(), None | Some("open" | "in_progress")))
            .collect();
        let overdue_caps = open_caps.iter().filter(|c| c.overdue).count() as u32;
        let panel = self.fee_panel(
            &OfficeFilter {
                facility_id: Some(facility_id),
                ..Default::default()
            },
            reporting_currency,
        )?;
        let fees = panel
            .per_facility
            .into_iter()
            .next()
            .unwrap_or_else(|| FeeGroup {
                key: facility_id.to_string(),
                ..Default::default()
            });
        Ok(Scorecard {
            facility,
            audits,
            open_caps,
            overdue_caps,
            fees,
            reporting_currency: panel.reporting_currency,
        })
    }
}
