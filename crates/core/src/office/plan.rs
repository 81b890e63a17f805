//! The risk-based audit plan: each facility's priority from its country's risk
//! (WGI), its last audit's outcome (critical and major findings), its open and
//! overdue CAP items and the months since its last audit (an audit older than 24
//! months no longer counts), with a suggested next audit — date, type and notice —
//! and the reasons spelled out. Planning assigns nothing itself.
//!
//! Priority (0–100), each part capped:
//! - country risk × 0.4 (0–40); a country without WGI data counts as 20, and says so;
//! - last audit: 15 per critical and 5 per major finding (at most 30);
//! - CAP items: 5 per overdue, 1 per other open item (at most 15);
//! - time: months since the last audit / 24 × 15; never audited, or last audit
//!   over 24 months ago: 15.
//!
//! Bands: priority ≥ 50 high, ≥ 30 medium, else low. Country risk ≥ 50 is high
//! (audit yearly, unannounced), ≥ 30 medium (every 18 months, semi-announced),
//! else low (every 24 months, announced). A last audit with critical findings or
//! overdue CAP items calls for a full follow-up (30 days after it for critical
//! findings, 90 for major), unannounced when critical. Dates are never before today.

use std::collections::HashMap;

use chrono::{Days, Months, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{bind_named};
use crate::cap::{FIX_OVERDUE_SQL, RUNNING_STATUSES_SQL};
use crate::{CoreError, Result, Store};

/// An audit older than this no longer counts.
pub const AUDIT_VALID_MONTHS: i64 = 24;

/// The plan's sort columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PlanSortColumn {
    /// Highest priority first (the default).
    #[default]
    Priority,
    /// Facility name.
    Facility,
    /// Country.
    Country,
    /// Highest country risk first.
    CountryRisk,
    /// Oldest last audit first.
    LastAudit,
    /// Earliest suggested date first.
    NextAudit,
}

impl PlanSortColumn {
    /// Parses a column name as the CLI takes it.
    pub fn parse(name: &str) -> Option<PlanSortColumn> {
        serde_json::from_value(serde_json::Value::String(name.trim().replace('-', "_"))).ok()
    }
}

/// Low, medium or high.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// One facility in the plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanRow {
    /// The facility.
    pub facility_id: Uuid,
    /// Its name.
    pub name: Option<String>,
    /// ISO alpha-2.
    pub country: Option<String>,
    /// Country risk (0–100), when WGI data has the country.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub country_risk: Option<Decimal>,
    /// The WGI year of that risk.
    pub risk_year: Option<i32>,
    /// Whether that risk comes from the shipped sample.
    pub risk_is_sample: bool,
    /// Country risk band.
    pub country_band: Option<Band>,
    /// Priority 0–100.
    pub priority: u32,
    /// Priority band.
    pub band: Band,
    /// The last audit (counted or not).
    pub last_audit_id: Option<Uuid>,
    /// Its first day.
    pub last_audit_date: Option<String>,
    /// Its type.
    pub last_audit_type: Option<String>,
    /// Whole months since then.
    pub months_since_last_audit: Option<i64>,
    /// Whether it still counts (24 months).
    pub last_audit_counts: bool,
    /// Critical findings of the last audit.
    pub last_critical: u32,
    /// Major findings of the last audit.
    pub last_major: u32,
    /// CAP items not closed, all audits.
    pub open_caps: u32,
    /// Of those, overdue.
    pub overdue_caps: u32,
    /// Suggested date of the next audit.
    pub next_audit_date: String,
    /// Suggested type (`initial`, `periodic`, `full_follow_up`).
    pub next_audit_type: String,
    /// Suggested notice.
    pub next_notice: String,
    /// Why, in words, part by part.
    pub reasons: Vec<String>,
}

fn band_of(value: f64, high: f64, medium: f64) -> Band {
    if value >= high {
        Band::High
    } else if value >= medium {
        Band::Medium
    } else {
        Band::Low
    }
}

struct Facts {
    id: String,
    name: Option<String>,
    country: Option<String>,
    last_audit: Option<String>,
    last_date: Option<String>,
    last_end: Option<String>,
    last_type: Option<String>,
    critical: u32,
    major: u32,
    open: u32,
    overdue: u32,
}

/// Computes one facility's row (pure: the facts in, the row out).
fn plan_row(
    f: Facts,
    risk: Option<&super::reference::CountryRisk>,
    today: NaiveDate,
) -> Result<PlanRow> {
    let corrupt = |reason: String| CoreError::Corrupt {
        entity: "facility".into(),
        field: "id".into(),
        reason,
    };
    let mut reasons = Vec::new();
    let country = f.country.clone().unwrap_or_else(|| "?".into());
    let risk_value = risk.and_then(|r| r.risk.to_f64());
    let country_band = risk_value.map(|r| band_of(r, 50.0, 30.0));
    let risk_points = match (risk, risk_value) {
        (Some(r), Some(v)) => {
            let band = band_of(v, 50.0, 30.0);
            let label = match band {
                Band::High => "high: audit yearly, unannounced",
                Band::Medium => "medium: audit every 18 months",
                Band::Low => "low: audit every 24 months",
            };
            let sample = if r.sample { ", sample data" } else { "" };
            reasons.push(format!(
                "country risk {} for {country} (WGI {}{sample}) is {label}",
                r.risk, r.year
            ));
            v * 0.4
        }
        _ => {
            reasons.push(format!(
                "no WGI data for {country}: country risk counted as medium (20 points)"
            ));
            20.0
        }
    };
    let last_date = f
        .last_date
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let months = last_date.map(|d| months_between(d, today));
    let counts = months.is_some_and(|m| m <= AUDIT_VALID_MONTHS);
    let (critical, major) = if counts {
        (f.critical, f.major)
    } else {
        (0, 0)
    };
    let finding_points = f64::from((15 * critical + 5 * major).min(30));
    if counts && (critical > 0 || major > 0) {
        reasons.push(format!(
            "last audit ({}): {critical} critical and {major} major findings",
            f.last_date.clone().unwrap_or_default()
        ));
    }
    let cap_points = f64::from((5 * f.overdue + f.open.saturating_sub(f.overdue)).min(15));
    if f.open > 0 {
        reasons.push(format!(
            "{} CAP items open, {} of them overdue",
            f.open, f.overdue
        ));
    }
    let time_points = match months {
        None => {
            reasons.push("never audited".into());
            15.0
        }
        Some(m) if m > AUDIT_VALID_MONTHS => {
            reasons.push(format!("last audit {m} months ago: older than {AUDIT_VALID_MONTHS} months, it no longer counts"));
            15.0
        }
        Some(m) => {
            reasons.push(format!("last audit {m} months ago"));
            (m as f64 / AUDIT_VALID_MONTHS as f64 * 15.0).min(15.0)
        }
    };
    let priority = (risk_points + finding_points + cap_points + time_points)
        .round()
        .clamp(0.0, 100.0) as u32;
    let band = band_of(f64::from(priority), 50.0, 30.0);
    // The next audit.
    let follow_up = counts && (critical > 0 || major > 0 || f.overdue > 0);
    let base = f
        .last_end
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .or(last_date);
    let (next_type, mut next_date) = if follow_up {
        let days = if critical > 0 || f.overdue > 0 {
            30
        } else {
            90
        };
        (
            "full_follow_up",
            base.and_then(|b| b.checked_add_days(Days::new(days)))
                .unwrap_or(today),
        )
    } else if !counts {
        (
            if months.is_none() {
                "initial"
            } else {
                "periodic"
            },
            today,
        )
    } else {
        let interval = match country_band.unwrap_or(Band::Medium) {
            Band::High => 12,
            Band::Medium => 18,
            Band::Low => 24,
        };
        (
            "periodic",
            base.and_then(|b| b.checked_add_months(Months::new(interval)))
                .unwrap_or(today),
        )
    };
    if next_date < today {
        next_date = today;
    }
    let notice = if country_band == Some(Band::High) || critical > 0 {
        "unannounced"
    } else if country_band.unwrap_or(Band::Medium) == Band::Medium {
        "semi_announced"
    } else {
        "announced"
    };
    reasons.push(match (next_type, follow_up) {
        ("full_follow_up", _) if critical > 0 => {
            "next: full follow-up within 30 days of the last audit (critical findings), unannounced"
                .into()
        }
        ("full_follow_up", _) if f.overdue > 0 => {
            "next: full follow-up to verify the overdue CAP items".into()
        }
        ("full_follow_up", _) => {
            "next: full follow-up within 90 days of the last audit (major findings)".into()
        }
        ("initial", _) => "next: initial audit as soon as possible".into(),
        _ if !counts => "next: periodic audit as soon as possible (no audit counts)".into(),
        _ => format!(
            "next: periodic audit {} months after the last one",
            match country_band.unwrap_or(Band::Medium) {
                Band::High => 12,
                Band::Medium => 18,
                Band::Low => 24,
            }
        ),
    });
    Ok(PlanRow {
        facility_id: Uuid::parse_str(&f.id).map_err(|e| corrupt(e.to_string()))?,
        name: f.name,
        country: f.country,
        country_risk: risk.map(|r| r.risk),
        risk_year: risk.map(|r| r.year),
        risk_is_sample: risk.is_some_and(|r| r.sample),
        country_band,
        priority,
        band,
        last_audit_id: f
            .last_audit
            .map(|s| Uuid::parse_str(&s))
            .transpose()
            .map_err(|e| corrupt(e.to_string()))?,
        last_audit_date: f.last_date,
        last_audit_type: f.last_type,
        months_since_last_audit: months,
        last_audit_counts: counts,
        last_critical: f.critical,
        last_major: f.major,
        open_caps: f.open,
        overdue_caps: f.overdue,
        next_audit_date: next_date.to_string(),
        next_audit_type: next_type.into(),
        next_notice: notice.into(),
        reasons,
    })
}

use chrono::Datelike;

/// Whole months from `from` to `to` (0 when `to` is earlier).
pub fn months_between(from: NaiveDate, to: NaiveDate) -> i64 {
    if to <= from {
        return 0;
    }
    let mut m =
        (to.year() as i64 - from.year() as i64) * 12 + to.month() as i64 - from.month() as i64;
    if to.day() < from.day() {
        m -= 1;
    }
    m.max(0)
}

impl Store {
    /// The audit plan as of `today`, optionally for one country, sorted.
    pub fn audit_plan(
        &self,
        country: Option<&str>,
        today: NaiveDate,
        sort: PlanSortColumn,
        descending: bool,
    ) -> Result<Vec<PlanRow>> {
        let risks: HashMap<String, super::reference::CountryRisk> = self
            .country_risks()?
            .into_iter()
            .map(|r| (r.country.clone(), r))
            .collect();
        let mut stmt = self.conn().prepare_cached(&format!(
            "WITH last AS (
                 SELECT a.facility_id, a.id, a.start_date, a.end_date, a.audit_type,
                        row_number() OVER (PARTITION BY a.facility_id ORDER BY a.start_date DESC, a.id DESC) AS n
                 FROM audit a WHERE coalesce(a.deleted, 0) = 0 AND a.start_date <= :today AND coalesce(a.status, 'draft') <> 'draft'
             ),
             caps AS (
                 SELECT a.facility_id,
                        sum(CASE WHEN coalesce(ca.status, 'open') IN {RUNNING_STATUSES_SQL} THEN 1 ELSE 0 END) AS open,
                        sum(CASE WHEN {FIX_OVERDUE_SQL} THEN 1 ELSE 0 END) AS overdue
                 FROM corrective_action ca JOIN finding f ON f.id = ca.finding_id JOIN audit a ON a.id = f.audit_id
                 WHERE coalesce(ca.deleted, 0) = 0 AND coalesce(f.deleted, 0) = 0 AND coalesce(a.deleted, 0) = 0
                 GROUP BY a.facility_id
             )
             SELECT fac.id, fac.name, fac.country_code, l.id, l.start_date, l.end_date, l.audit_type,
                    (SELECT count(*) FROM finding f WHERE f.audit_id = l.id AND coalesce(f.deleted, 0) = 0 AND f.severity = 'critical'),
                    (SELECT count(*) FROM finding f WHERE f.audit_id = l.id AND coalesce(f.deleted, 0) = 0 AND f.severity = 'major'),
                    coalesce(c.open, 0), coalesce(c.overdue, 0)
             FROM facility fac
             LEFT JOIN last l ON l.facility_id = fac.id AND l.n = 1
             LEFT JOIN caps c ON c.facility_id = fac.id
             WHERE coalesce(fac.deleted, 0) = 0 AND (:country IS NULL OR fac.country_code = :country)"
        ))?;
        bind_named(
            &mut stmt,
            &[
                (":today", Some(today.to_string())),
                (
                    ":country",
                    country
                        .map(|c| c.trim().to_ascii_uppercase())
                        .filter(|c| !c.is_empty()),
                ),
            ],
        )?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let facts = Facts {
                id: r.get(0)?,
                name: r.get(1)?,
                country: r.get(2)?,
                last_audit: r.get(3)?,
                last_date: r.get(4)?,
                last_end: r.get(5)?,
                last_type: r.get(6)?,
                critical: r.get(7)?,
                major: r.get(8)?,
                open: r.get(9)?,
                overdue: r.get(10)?,
            };
            let risk = facts.country.as_ref().and_then(|c| risks.get(c));
            out.push(plan_row(facts, risk, today)?);
        }
        let key_name = |r: &PlanRow| r.name.clone().unwrap_or_default().to_lowercase();
        out.sort_by(|a, b| {
            let primary = match sort {
                PlanSortColumn::Priority => b.priority.cmp(&a.priority),
                PlanSortColumn::Facility => key_name(a).cmp(&key_name(b)),
                PlanSortColumn::Country => a.country.cmp(&b.country),
                PlanSortColumn::CountryRisk => b.country_risk.cmp(&a.country_risk),
                PlanSortColumn::LastAudit => a.last_audit_date.cmp(&b.last_audit_date),
                PlanSortColumn::NextAudit => a.next_audit_date.cmp(&b.next_audit_date),
            };
            let primary = if descending {
                primary.reverse()
            } else {
                primary
            };
            primary
                .then_with(|| b.priority.cmp(&a.priority))
                .then_with(|| key_name(a).cmp(&key_name(b)))
                .then(a.facility_id.cmp(&b.facility_id))
        });
        Ok(out)
    }

    /// Exports the plan as CSV or XLSX; returns how many rows.
    pub fn export_audit_plan(
        &self,
        rows: &[PlanRow],
        path: &std::path::Path,
        format: super::cap_tracker::ExportFormat,
    ) -> Result<usize> {
        let header = [
            "priority",
            "band",
            "facility",
            "country",
            "country risk",
            "WGI year",
            "last audit",
            "last audit type",
            "months since",
            "critical",
            "major",
            "open CAPs",
            "overdue CAPs",
            "next audit",
            "next type",
            "notice",
            "reasons",
            "facility id",
        ];
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        let band = |b: Band| {
            serde_json::to_value(b)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        };
        let body: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.priority.to_string(),
                    band(r.band),
                    s(&r.name),
                    s(&r.country),
                    r.country_risk.map(|d| d.to_string()).unwrap_or_default(),
                    r.risk_year.map(|y| y.to_string()).unwrap_or_default(),
                    s(&r.last_audit_date),
                    s(&r.last_audit_type),
                    r.months_since_last_audit
                        .map(|m| m.to_string())
                        .unwrap_or_default(),
                    r.last_critical.to_string(),
                    r.last_major.to_string(),
                    r.open_caps.to_string(),
                    r.overdue_caps.to_string(),
                    r.next_audit_date.clone(),
                    r.next_audit_type.clone(),
                    r.next_notice.clone(),
                    r.reasons.join("; "),
                    r.facility_id.to_string(),
                ]
            })
            .collect();
        super::cap_tracker::write_table(path, format, "Audit plan", &header, &body)?;
        Ok(rows.len())
    }
}
