//! The review queue: submitted audits waiting for a reviewer, oldest first, and
//! the lists of returned and approved audits. Approving and returning use the
//! existing review rules ([`Store::review_audit`]).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{bind_named, SeverityCounts};
use crate::{CoreError, Result, Store};

/// Which list of the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum QueueList {
    /// Submitted, waiting for review (oldest first).
    Waiting,
    /// Returned to the auditors (newest decision first).
    Returned,
    /// Approved (newest decision first).
    Approved,
}

impl QueueList {
    fn status(self) -> &'static str {
        match self {
            QueueList::Waiting => "submitted",
            QueueList::Returned => "returned",
            QueueList::Approved => "approved",
        }
    }
}

/// One audit in the queue.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueueEntry {
    /// The audit.
    pub audit_id: Uuid,
    /// Its facility.
    pub facility_id: Option<Uuid>,
    /// Facility name.
    pub facility_name: Option<String>,
    /// Facility country (ISO alpha-2).
    pub country: Option<String>,
    /// Audit type.
    pub audit_type: Option<String>,
    /// Notice.
    pub notice: Option<String>,
    /// The first auditor of the team.
    pub lead_auditor: Option<String>,
    /// First day on site.
    pub start_date: Option<String>,
    /// When it was submitted: the latest sign-off's day (else the last day on site).
    pub submitted_on: Option<String>,
    /// Days since the closing meeting (the last day on site), for the waiting
    /// list: how long the site has been waiting for its approved report.
    pub days_waiting: Option<i64>,
    /// Open findings per severity.
    pub findings: SeverityCounts,
    /// Whether a sign-off still verifies against the audit as it is (waiting list
    /// only; `None` elsewhere, where nothing is decided on it).
    pub signoff_verifies: Option<bool>,
    /// The reviewer's decision, for returned and approved audits.
    pub reviewed_by: Option<String>,
    /// When it was decided.
    pub reviewed_at: Option<String>,
    /// The reviewer's comment (what to fix, for returned audits).
    pub review_comment: Option<String>,
}

impl Store {
    /// One list of the review queue as of `today`.
    pub fn review_queue(&self, list: QueueList, today: NaiveDate) -> Result<Vec<QueueEntry>> {
        let order = match list {
            QueueList::Waiting => "coalesce(a.end_date, a.start_date) ASC, a.id",
            _ => "a.reviewed_at DESC, a.id",
        };
        let sql = format!(
            "SELECT a.id, a.facility_id, fac.name, fac.country_code, a.audit_type, a.notice, json_extract(a.auditors, '$[0]'), a.start_date,
                    coalesce((SELECT substr(max(s.signed_at), 1, 10) FROM signoff s WHERE s.audit_id = a.id AND coalesce(s.deleted, 0) = 0), a.end_date, a.start_date) AS submitted_on,
                    CAST(julianday(:today) - julianday(coalesce(a.end_date, a.start_date)) AS INTEGER),
                    (SELECT group_concat(f.severity || ':' || n, ',') FROM (SELECT severity, count(*) AS n FROM finding f WHERE f.audit_id = a.id AND coalesce(f.deleted, 0) = 0 AND f.status = 'open' GROUP BY severity) f),
                    a.reviewed_by, a.reviewed_at, a.review_comment
             FROM audit a LEFT JOIN facility fac ON fac.id = a.facility_id
             WHERE coalesce(a.deleted, 0) = 0 AND a.status = :status
             ORDER BY {order}"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        bind_named(
            &mut stmt,
            &[
                (":today", Some(today.to_string())),
                (":status", Some(list.status().to_owned())),
            ],
        )?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        let uuid = |s: String| {
            Uuid::parse_str(&s).map_err(|e| CoreError::Corrupt {
                entity: "audit".into(),
                field: "id".into(),
                reason: e.to_string(),
            })
        };
        while let Some(r) = rows.next()? {
            let mut findings = SeverityCounts::default();
            if let Some(list) = r.get::<_, Option<String>>(10)? {
                for pair in list.split(',') {
                    if let Some((sev, n)) = pair.split_once(':') {
                        findings.add(sev, n.parse().unwrap_or(0));
                    }
                }
            }
            out.push(QueueEntry {
                audit_id: uuid(r.get(0)?)?,
                facility_id: r.get::<_, Option<String>>(1)?.map(uuid).transpose()?,
                facility_name: r.get(2)?,
                country: r.get(3)?,
                audit_type: r.get(4)?,
                notice: r.get(5)?,
                lead_auditor: r.get(6)?,
                start_date: r.get(7)?,
                submitted_on: r.get(8)?,
                days_waiting: if list == QueueList::Waiting {
                    r.get(9)?
                } else {
                    None
                },
                findings,
                signoff_verifies: None,
                reviewed_by: r.get(11)?,
                reviewed_at: r.get(12)?,
                review_comment: r.get(13)?,
            });
        }
        drop(rows);
        if list == QueueList::Waiting {
            for entry in &mut out {
                entry.signoff_verifies = Some(
                    self.verify_signoffs(entry.audit_id)?
                        .iter()
                        .any(|c| c.signature_valid && c.unchanged),
                );
            }
        }
        Ok(out)
    }
}
