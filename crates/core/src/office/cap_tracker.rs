//! The CAP tracker: every corrective-action item across all facilities with its
//! finding, severity, dates, status and supplier response; filters that combine
//! (country, facility, severity, checklist, status, overdue, due soon,
//! production-blocking), sort by any column, and export of the filtered list as
//! CSV or XLSX (written whole to a temporary file, then renamed: never a partial
//! file).

use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{bind_named, severity_rank_sql};
use crate::cap::{FINISHED_STATUSES_SQL, FIX_OVERDUE_SQL, PLAN_OVERDUE_SQL, RUNNING_STATUSES_SQL};
use crate::{CoreError, Result, Store};

/// The columns the tracker sorts by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CapSortColumn {
    /// Fix-by date (the default), earliest first.
    #[default]
    DueDate,
    /// Facility name.
    Facility,
    /// Country code.
    Country,
    /// Severity, critical first.
    Severity,
    /// Finding title.
    Finding,
    /// Checklist (topic).
    Checklist,
    /// Status.
    Status,
    /// Days overdue.
    DaysOverdue,
    /// Production-blocking first.
    ProductionBlocking,
}

impl CapSortColumn {
    fn sql(self) -> String {
        match self {
            CapSortColumn::DueDate => "ca.due_date IS NULL, ca.due_date".into(),
            CapSortColumn::Facility => "fac.name COLLATE NOCASE".into(),
            CapSortColumn::Country => "fac.country_code".into(),
            CapSortColumn::Severity => severity_rank_sql("f.severity"),
            CapSortColumn::Finding => "f.title COLLATE NOCASE".into(),
            CapSortColumn::Checklist => "f.template_id".into(),
            CapSortColumn::Status => "ca.status".into(),
            CapSortColumn::DaysOverdue => "days_overdue".into(),
            CapSortColumn::ProductionBlocking => "coalesce(ca.production_blocking, 0)".into(),
        }
    }

    /// Parses a column name as the CLI takes it (`due_date`, `facility`, …).
    pub fn parse(name: &str) -> Option<CapSortColumn> {
        serde_json::from_value(serde_json::Value::String(name.trim().replace('-', "_"))).ok()
    }
}

/// Filters of the tracker; every one given must hold (they combine).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CapFilter {
    /// ISO alpha-2 country of the facility.
    pub country: Option<String>,
    /// One facility.
    pub facility_id: Option<Uuid>,
    /// One audit's items.
    #[serde(default)]
    pub audit_id: Option<Uuid>,
    /// One severity (`critical`, `major`, …).
    pub severity: Option<String>,
    /// One checklist (topic), by template id.
    pub checklist: Option<String>,
    /// One CAP status (`open`, `in_progress`, `done`, `verified`, `disputed`).
    pub status: Option<String>,
    /// Only overdue items.
    #[serde(default)]
    pub overdue: bool,
    /// Only items not closed whose fix-by date is within this many days from today.
    pub due_within_days: Option<u32>,
    /// Only production-blocking items (not yet done or verified).
    #[serde(default)]
    pub production_blocking: bool,
    /// Sort column.
    #[serde(default)]
    pub sort: CapSortColumn,
    /// Sort descending.
    #[serde(default)]
    pub descending: bool,
}

/// One CAP item as the tracker lists it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CapRow {
    /// The corrective action.
    pub action_id: Uuid,
    /// Its finding.
    pub finding_id: Uuid,
    /// The audit that raised it.
    pub audit_id: Option<Uuid>,
    /// The facility.
    pub facility_id: Option<Uuid>,
    /// Facility name.
    pub facility_name: Option<String>,
    /// Facility country.
    pub country: Option<String>,
    /// Finding title.
    pub finding: Option<String>,
    /// Finding severity.
    pub severity: Option<String>,
    /// Checklist (topic) of the finding.
    pub checklist: Option<String>,
    /// Checklist item, for item findings.
    pub item_id: Option<String>,
    /// Who owns the action at the site.
    pub owner: Option<String>,
    /// The agreed corrective action.
    pub corrective_action: Option<String>,
    /// When the site's plan is due.
    pub plan_due_date: Option<String>,
    /// Whether the plan is overdue today ([`crate::cap::standing`]).
    pub plan_overdue: bool,
    /// Fix-by date.
    pub due_date: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// The state of the supplier's latest response (`pending`, `accepted`,
    /// `rejected`), if the supplier answered through the CAP workbook.
    pub supplier_response: Option<String>,
    /// Whether it blocks production.
    pub production_blocking: bool,
    /// Whether it is overdue today.
    pub overdue: bool,
    /// Days past the fix-by date (overdue items only).
    pub days_overdue: Option<i64>,
    /// The day it was closed (done or verified).
    pub closed_on: Option<String>,
}

/// The export formats: of the office's lists and of data exports
/// ([`crate::tables`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// Comma-separated, UTF-8, header row (a data export: one CSV per entity in a ZIP).
    Csv,
    /// An Excel workbook (a data export: one sheet per entity).
    Xlsx,
}

impl ExportFormat {
    /// Parses `csv` or `xlsx`.
    pub fn parse(s: &str) -> Option<ExportFormat> {
        match s {
            "csv" => Some(ExportFormat::Csv),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }
}

impl std::str::FromStr for ExportFormat {
    type Err = crate::CoreError;

    fn from_str(s: &str) -> std::result::Result<ExportFormat, crate::CoreError> {
        ExportFormat::parse(s).ok_or_else(|| {
            crate::CoreError::Invalid(format!(
                "unknown export format {s:?}: use csv or xlsx"
            ))
        })
    }
}

const SEVERITIES: &[&str] = &["critical", "major", "minor", "observation", "good_practice"];
const STATUSES: &[&str] = &["open", "in_progress", "done", "verified", "disputed"];

impl CapFilter {
    /// Checks each filter value names something that exists.
    pub fn check(&self) -> Result<()> {
        if let Some(s) = &self.severity {
            if !SEVERITIES.contains(&s.as_str()) {
                return Err(CoreError::Invalid(format!(
                    "severity {s:?} is not one of {}",
                    SEVERITIES.join(", ")
                )));
            }
        }
        if let Some(s) = &self.status {
            if !STATUSES.contains(&s.as_str()) {
                return Err(CoreError::Invalid(format!(
                    "CAP status {s:?} is not one of {}",
                    STATUSES.join(", ")
                )));
            }
        }
        if let Some(c) = &self.country {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(CoreError::Invalid(format!(
                    "country {c:?} is not an ISO 3166 alpha-2 code such as BD"
                )));
            }
        }
        if self.due_within_days.is_some_and(|d| d > 3660) {
            return Err(CoreError::Invalid(
                "due within: give a number of days up to 3660".into(),
            ));
        }
        Ok(())
    }
}

impl Store {
    /// The CAP items that pass every filter, sorted, as of `today`.
    pub fn cap_tracker(&self, filter: &CapFilter, today: NaiveDate) -> Result<Vec<CapRow>> {
        filter.check()?;
        let direction = if filter.descending { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT ca.id, f.id, a.id, fac.id, fac.name, fac.country_code, f.title, f.severity, f.template_id, f.item_id,
                    ca.owner, ca.corrective_action, ca.due_date, ca.status, coalesce(ca.production_blocking, 0),
                    {FIX_OVERDUE_SQL} AS is_overdue,
                    CASE WHEN {FIX_OVERDUE_SQL} THEN CAST(julianday(:today) - julianday(ca.due_date) AS INTEGER) END AS days_overdue,
                    ca.closed_on, ca.plan_due_date, {PLAN_OVERDUE_SQL} AS plan_overdue,
                    (SELECT sr.state FROM supplier_response sr WHERE sr.action_id = ca.id AND coalesce(sr.deleted, 0) = 0
                      ORDER BY sr.received_at DESC, sr.id DESC LIMIT 1) AS supplier_response
             FROM corrective_action ca
             JOIN finding f ON f.id = ca.finding_id
             LEFT JOIN audit a ON a.id = f.audit_id
             LEFT JOIN facility fac ON fac.id = a.facility_id
             WHERE coalesce(ca.deleted, 0) = 0 AND coalesce(f.deleted, 0) = 0 AND coalesce(a.deleted, 0) = 0
               AND (:country IS NULL OR fac.country_code = :country)
               AND (:facility IS NULL OR fac.id = :facility)
               AND (:audit IS NULL OR a.id = :audit)
               AND (:severity IS NULL OR f.severity = :severity)
               AND (:checklist IS NULL OR f.template_id = :checklist)
               AND (:status IS NULL OR coalesce(ca.status, 'open') = :status)
               AND (:overdue IS NULL OR {FIX_OVERDUE_SQL})
               AND (:due_within IS NULL OR (coalesce(ca.status, 'open') IN {RUNNING_STATUSES_SQL} AND ca.due_date >= :today AND ca.due_date <= date(:today, '+' || :due_within || ' days')))
               AND (:blocking IS NULL OR (ca.production_blocking = 1 AND coalesce(ca.status, 'open') NOT IN {FINISHED_STATUSES_SQL}))
             ORDER BY {} {direction}, ca.due_date, ca.id",
            filter.sort.sql()
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        // A flag that is off binds NULL: the condition then does not apply.
        let flag = |b: bool| b.then(|| "1".to_owned());
        bind_named(
            &mut stmt,
            &[
                (":today", Some(today.to_string())),
                (
                    ":country",
                    filter.country.as_ref().map(|c| c.to_ascii_uppercase()),
                ),
                (":facility", filter.facility_id.map(|f| f.to_string())),
                (":audit", filter.audit_id.map(|a| a.to_string())),
                (":severity", filter.severity.clone()),
                (":checklist", filter.checklist.clone()),
                (":status", filter.status.clone()),
                (":overdue", flag(filter.overdue)),
                (":due_within", filter.due_within_days.map(|d| d.to_string())),
                (":blocking", flag(filter.production_blocking)),
            ],
        )?;
        let mut rows = stmt.raw_query();
        let uuid = |s: String| {
            Uuid::parse_str(&s).map_err(|e| CoreError::Corrupt {
                entity: "corrective_action".into(),
                field: "id".into(),
                reason: e.to_string(),
            })
        };
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(CapRow {
                action_id: uuid(r.get(0)?)?,
                finding_id: uuid(r.get(1)?)?,
                audit_id: r.get::<_, Option<String>>(2)?.map(uuid).transpose()?,
                facility_id: r.get::<_, Option<String>>(3)?.map(uuid).transpose()?,
                facility_name: r.get(4)?,
                country: r.get(5)?,
                finding: r.get(6)?,
                severity: r.get(7)?,
                checklist: r.get(8)?,
                item_id: r.get(9)?,
                owner: r.get(10)?,
                corrective_action: r.get(11)?,
                plan_due_date: r.get(18)?,
                plan_overdue: r.get::<_, i64>(19)? != 0,
                due_date: r.get(12)?,
                status: r.get(13)?,
                supplier_response: r.get(20)?,
                production_blocking: r.get::<_, i64>(14)? != 0,
                overdue: r.get::<_, i64>(15)? != 0,
                days_overdue: r.get(16)?,
                closed_on: r.get(17)?,
            });
        }
        Ok(out)
    }
}

/// The tracker's columns as exported: header and cell text of a row.
fn export_table(rows: &[CapRow]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = vec![
        "facility",
        "country",
        "finding",
        "severity",
        "checklist",
        "item",
        "owner",
        "corrective action",
        "plan due",
        "plan overdue",
        "fix by",
        "status",
        "supplier response",
        "production blocking",
        "overdue",
        "days overdue",
        "closed on",
        "action id",
    ];
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let body = rows
        .iter()
        .map(|r| {
            vec![
                s(&r.facility_name),
                s(&r.country),
                s(&r.finding),
                s(&r.severity),
                s(&r.checklist),
                s(&r.item_id),
                s(&r.owner),
                s(&r.corrective_action),
                s(&r.plan_due_date),
                if r.plan_overdue { "yes" } else { "no" }.into(),
                s(&r.due_date),
                s(&r.status),
                s(&r.supplier_response),
                if r.production_blocking { "yes" } else { "no" }.into(),
                if r.overdue { "yes" } else { "no" }.into(),
                r.days_overdue.map(|d| d.to_string()).unwrap_or_default(),
                s(&r.closed_on),
                r.action_id.to_string(),
            ]
        })
        .collect();
    (header, body)
}

/// Writes a table to `path` as CSV or XLSX, whole or not at all.
pub fn write_table(
    path: &Path,
    format: ExportFormat,
    sheet: &str,
    header: &[&str],
    rows: &[Vec<String>],
) -> Result<()> {
    let tmp = path.with_extension(format!(
        "{}.partial",
        path.extension().and_then(|e| e.to_str()).unwrap_or("out")
    ));
    let io = |e: std::io::Error| CoreError::io(format!("cannot write {}", tmp.display()), e);
    let result = match format {
        ExportFormat::Csv => (|| {
            let mut w = csv::Writer::from_path(&tmp)
                .map_err(|e| CoreError::Invalid(format!("cannot write {}: {e}", tmp.display())))?;
            w.write_record(header)
                .map_err(|e| CoreError::Invalid(e.to_string()))?;
            for r in rows {
                w.write_record(r)
                    .map_err(|e| CoreError::Invalid(e.to_string()))?;
            }
            w.flush().map_err(io)?;
            Ok(())
        })(),
        ExportFormat::Xlsx => (|| {
            let xlsx = |e: rust_xlsxwriter::XlsxError| {
                CoreError::Invalid(format!("cannot write the workbook {}: {e}", tmp.display()))
            };
            let mut book = rust_xlsxwriter::Workbook::new();
            let bold = rust_xlsxwriter::Format::new().set_bold();
            let ws = book.add_worksheet();
            ws.set_name(sheet).map_err(xlsx)?;
            for (c, h) in header.iter().enumerate() {
                ws.write_string_with_format(0, c as u16, *h, &bold)
                    .map_err(xlsx)?;
            }
            for (i, r) in rows.iter().enumerate() {
                for (c, v) in r.iter().enumerate() {
                    match v.parse::<f64>() {
                        Ok(n) if !v.is_empty() && v.len() < 16 && !v.contains('-') => {
                            ws.write_number(i as u32 + 1, c as u16, n).map_err(xlsx)?
                        }
                        _ => ws.write_string(i as u32 + 1, c as u16, v).map_err(xlsx)?,
                    };
                }
            }
            ws.autofilter(
                0,
                0,
                rows.len() as u32,
                header.len().saturating_sub(1) as u16,
            )
            .map_err(xlsx)?;
            ws.set_freeze_panes(1, 0).map_err(xlsx)?;
            book.save(&tmp).map_err(xlsx)?;
            Ok(())
        })(),
    };
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path)
        .map_err(|e| CoreError::io(format!("cannot write {}", path.display()), e))
}

impl Store {
    /// Exports the filtered tracker to a CSV or XLSX file; returns how many rows.
    pub fn export_cap_tracker(
        &self,
        filter: &CapFilter,
        today: NaiveDate,
        path: &Path,
        format: ExportFormat,
    ) -> Result<usize> {
        let rows = self.cap_tracker(filter, today)?;
        let (header, body) = export_table(&rows);
        write_table(path, format, "CAP tracker", &header, &body)?;
        Ok(rows.len())
    }
}
