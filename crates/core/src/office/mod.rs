//! The office: what reviewers and admins see across the organisation's audits.
//! Every figure is computed here, by SQL over the typed tables (money summed as
//! decimals in Rust from the rows SQL selects); the desktop app and the CLI only
//! draw or print it.
//!
//! - [`reference`]: the exchange-rate table and the WGI data an admin imports (both
//!   sync), and country risk;
//! - [`review_queue`]: submitted audits waiting for review, and the returned and
//!   approved ones;
//! - [`cap_tracker`]: every CAP item with combinable filters, sort, CSV/XLSX export;
//! - [`dashboard`]: assessments, findings and CAP performance panels;
//! - [`fee_remediation`]: recruitment fees owed per currency and in one reporting
//!   currency through the dated rate table;
//! - [`map`]: facilities as points and countries shaded by suppliers or risk;
//! - [`scorecard`]: one facility's audits over time, open CAPs, fees outstanding;
//! - [`plan`]: the risk-based audit plan (priority, next audit and its reasons);
//! - [`demo`]: the demo organisation's data (through the store's write path).
//!
//! What *overdue* and *closed* mean for a CAP item is the CAP loop's rule
//! ([`crate::cap`]): the office's SQL uses its [`crate::cap::FIX_OVERDUE_SQL`],
//! [`crate::cap::PLAN_OVERDUE_SQL`] and status lists, never a copy.

pub mod cap_tracker;
pub mod dashboard;
pub mod demo;
pub mod fee_remediation;
pub mod map;
pub mod plan;
pub mod reference;
pub mod review_queue;
pub mod scorecard;
#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use fieldaudit_protocol::EntityKind;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{CoreError, Result, Store};

/// The period and country every dashboard panel can be narrowed to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OfficeFilter {
    /// Audits that started on or after this day.
    pub from: Option<NaiveDate>,
    /// Audits that started on or before this day.
    pub to: Option<NaiveDate>,
    /// ISO 3166 alpha-2 code of the facilities' country.
    pub country: Option<String>,
    /// One facility (the scorecard).
    #[serde(default)]
    pub facility_id: Option<Uuid>,
}

impl OfficeFilter {
    /// SQL conditions on an audit `a` joined to its facility `fac`, using the named
    /// parameters `:from`, `:to`, `:country` (always bound; NULL means no limit).
    pub(crate) const SQL: &'static str = "coalesce(a.deleted, 0) = 0
        AND (:from IS NULL OR a.start_date >= :from)
        AND (:to IS NULL OR a.start_date <= :to)
        AND (:country IS NULL OR fac.country_code = :country)
        AND (:facility IS NULL OR a.facility_id = :facility)";

    pub(crate) fn params(&self) -> [(&'static str, Option<String>); 4] {
        [
            (":from", self.from.map(|d| d.to_string())),
            (":to", self.to.map(|d| d.to_string())),
            (
                ":country",
                self.country
                    .as_ref()
                    .map(|c| c.trim().to_ascii_uppercase())
                    .filter(|c| !c.is_empty()),
            ),
            (":facility", self.facility_id.map(|f| f.to_string())),
        ]
    }

    /// Checks the filter makes sense.
    pub fn check(&self) -> Result<()> {
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                return Err(CoreError::Invalid(format!(
                    "the period starts ({from}) after it ends ({to}); swap the dates"
                )));
            }
        }
        if let Some(c) = &self.country {
            let c = c.trim();
            if !c.is_empty() && (c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic())) {
                return Err(CoreError::Invalid(format!(
                    "country {c:?} is not an ISO 3166 alpha-2 code such as BD"
                )));
            }
        }
        Ok(())
    }
}

/// Binds named parameters (owned strings or NULL) to a prepared statement.
pub(crate) fn bind_named(
    stmt: &mut rusqlite::Statement<'_>,
    params: &[(&str, Option<String>)],
) -> Result<()> {
    for (name, value) in params {
        if let Some(i) = stmt.parameter_index(name)? {
            stmt.raw_bind_parameter(i, value)?;
        }
    }
    Ok(())
}

/// Counts per severity, most severe first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SeverityCounts {
    /// Critical (zero tolerance).
    pub critical: u32,
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Observations.
    pub observation: u32,
    /// Good practice.
    pub good_practice: u32,
}

impl SeverityCounts {
    pub(crate) fn add(&mut self, severity: &str, n: u32) {
        match severity {
            "critical" => self.critical += n,
            "major" => self.major += n,
            "minor" => self.minor += n,
            "observation" => self.observation += n,
            "good_practice" => self.good_practice += n,
            _ => {}
        }
    }
}

/// The rank of a severity for sorting (critical first).
pub(crate) fn severity_rank(severity: &str) -> u8 {
    match severity {
        "critical" => 0,
        "major" => 1,
        "minor" => 2,
        "observation" => 3,
        "good_practice" => 4,
        _ => 5,
    }
}

/// SQL CASE giving a severity's rank (`col` is the column).
pub(crate) fn severity_rank_sql(col: &str) -> String {
    format!("CASE {col} WHEN 'critical' THEN 0 WHEN 'major' THEN 1 WHEN 'minor' THEN 2 WHEN 'observation' THEN 3 WHEN 'good_practice' THEN 4 ELSE 5 END")
}

/// The `closed_on` change that goes with a CAP item's new status: set to `today`
/// when it reaches done or verified (unless already set), cleared when it reopens.
pub(crate) fn cap_closure_fields(
    store: &Store,
    action_id: Uuid,
    new_status: &str,
    today: NaiveDate,
) -> Result<Vec<(&'static str, Value)>> {
    let row = store.row(EntityKind::CorrectiveAction, action_id)?;
    let closed_on = row
        .as_ref()
        .and_then(|r| r.get("closed_on"))
        .filter(|v| !v.is_null());
    Ok(match (new_status, closed_on) {
        ("done" | "verified", None) => vec![("closed_on", json!(today.to_string()))],
        ("open" | "in_progress" | "disputed", Some(_)) => vec![("closed_on", Value::Null)],
        _ => Vec::new(),
    })
}

/// A calendar quarter label such as `2026-Q1`.
pub fn quarter_of(date: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}-Q{}", date.year(), (date.month() - 1) / 3 + 1)
}
