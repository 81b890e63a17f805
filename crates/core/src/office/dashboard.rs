//! The programme dashboard's panels: assessments (per quarter, country, type and
//! notice, with the brand view of supplier and audit shares by country), findings
//! (checklist topic × severity, the most frequent failing items, repeat findings
//! at follow-ups) and CAP performance (closure rate, median days to close per
//! severity, overdue count and age). Each panel is one or a few SQL queries
//! narrowed by [`OfficeFilter`].

use chrono::NaiveDate;
use serde::Serialize;

use super::{bind_named, severity_rank, OfficeFilter};
use crate::cap::{FINISHED_STATUSES_SQL, FIX_OVERDUE_SQL};
use crate::{Result, Store};

/// A label and a count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Count {
    /// What is counted (a quarter, country code, audit type…).
    pub key: String,
    /// How many.
    pub count: u32,
}

/// One country in the brand view.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CountryShare {
    /// ISO alpha-2.
    pub country: String,
    /// Active suppliers (listed facilities, not deleted) in the country.
    pub active_suppliers: u32,
    /// Their share of all active suppliers, percent (one decimal).
    pub supplier_share_percent: f64,
    /// Audits in the period.
    pub audits: u32,
    /// Their share of all audits in the period, percent (one decimal).
    pub audit_share_percent: f64,
}

/// Assessments panel.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AssessmentsPanel {
    /// Audits in the period.
    pub total_audits: u32,
    /// Active suppliers (in the country filter, if any).
    pub active_suppliers: u32,
    /// Audits per quarter (`2026-Q1`), oldest first.
    pub per_quarter: Vec<Count>,
    /// Per country, most audits first (the top countries lead).
    pub per_country: Vec<CountryShare>,
    /// Per audit type.
    pub by_type: Vec<Count>,
    /// Per notice.
    pub by_notice: Vec<Count>,
    /// Per status (draft, submitted, approved, returned).
    pub by_status: Vec<Count>,
}

/// Findings of one checklist and severity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TopicSeverity {
    /// Checklist (template id); `manual` for findings raised by hand.
    pub checklist: String,
    /// Severity.
    pub severity: String,
    /// Findings.
    pub count: u32,
}

/// A frequently failing checklist item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FailingItem {
    /// Checklist.
    pub checklist: String,
    /// Item id.
    pub item_id: String,
    /// The finding's title (the item's text).
    pub title: String,
    /// Most severe severity raised.
    pub severity: String,
    /// Findings raised by it.
    pub findings: u32,
    /// Facilities where it failed.
    pub facilities: u32,
}

/// Findings panel.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FindingsPanel {
    /// Findings (not deleted) of audits in the period.
    pub total: u32,
    /// Checklist × severity.
    pub by_topic_severity: Vec<TopicSeverity>,
    /// The 10 items that fail most often.
    pub top_failing_items: Vec<FailingItem>,
    /// Findings at follow-up audits whose item had failed at an earlier audit of the
    /// same facility (repeat findings).
    pub repeat_findings: u32,
    /// Findings at follow-up audits (the denominator of the repeat rate).
    pub follow_up_findings: u32,
    /// The items found again most often at follow-ups.
    pub top_repeat_items: Vec<FailingItem>,
}

/// CAP performance of one severity.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SeverityPerformance {
    /// Severity.
    pub severity: String,
    /// CAP items.
    pub total: u32,
    /// Done or verified.
    pub closed: u32,
    /// Median days from the audit's last day to closure (closed items with a date).
    pub median_days_to_close: Option<f64>,
    /// Overdue today.
    pub overdue: u32,
}

/// CAP performance panel.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CapPerformancePanel {
    /// CAP items of audits in the period.
    pub total: u32,
    /// Done or verified.
    pub closed: u32,
    /// `closed / total`, percent (one decimal), when there are items.
    pub closure_rate_percent: Option<f64>,
    /// Median days to close, all severities.
    pub median_days_to_close: Option<f64>,
    /// Overdue today.
    pub overdue: u32,
    /// Overdue by age: 1–30, 31–60, 61–90, over 90 days past the fix-by date.
    pub overdue_by_age: Vec<Count>,
    /// The oldest overdue item's days past its fix-by date.
    pub oldest_overdue_days: Option<i64>,
    /// Per CAP status.
    pub by_status: Vec<Count>,
    /// Per severity, critical first.
    pub per_severity: Vec<SeverityPerformance>,
}

fn pct(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (1000.0 * part as f64 / whole as f64).round() / 10.0
    }
}

/// The median of a list of day counts.
pub(crate) fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2] as f64
    } else {
        (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0
    })
}

impl Store {
    fn counts(&self, sql: &str, params: &[(&str, Option<String>)]) -> Result<Vec<Count>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        bind_named(&mut stmt, params)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(Count {
                key: r
                    .get::<_, Option<String>>(0)?
                    .unwrap_or_else(|| "unknown".into()),
                count: r.get(1)?,
            });
        }
        Ok(out)
    }

    /// The assessments panel.
    pub fn assessments_panel(&self, filter: &OfficeFilter) -> Result<AssessmentsPanel> {
        filter.check()?;
        let p = filter.params();
        let from = format!(
            "FROM audit a LEFT JOIN facility fac ON fac.id = a.facility_id WHERE {}",
            OfficeFilter::SQL
        );
        let per_quarter = self.counts(
            &format!("SELECT substr(a.start_date, 1, 4) || '-Q' || ((CAST(substr(a.start_date, 6, 2) AS INTEGER) + 2) / 3) AS q, count(*) {from} AND a.start_date IS NOT NULL GROUP BY q ORDER BY q"),
            &p,
        )?;
        let by_type = self.counts(&format!("SELECT a.audit_type, count(*) {from} GROUP BY a.audit_type ORDER BY count(*) DESC, a.audit_type"), &p)?;
        let by_notice = self.counts(&format!("SELECT a.notice, count(*) {from} GROUP BY a.notice ORDER BY count(*) DESC, a.notice"), &p)?;
        let by_status = self.counts(&format!("SELECT a.status, count(*) {from} GROUP BY a.status ORDER BY count(*) DESC, a.status"), &p)?;
        let audits_by_country = self.counts(
            &format!("SELECT fac.country_code, count(*) {from} GROUP BY fac.country_code"),
            &p,
        )?;
        let suppliers = self.counts(
            "SELECT country_code, count(*) FROM facility WHERE coalesce(deleted, 0) = 0 AND (:country IS NULL OR country_code = :country) GROUP BY country_code",
            &p,
        )?;
        let total_audits: u32 = audits_by_country.iter().map(|c| c.count).sum();
        let active_suppliers: u32 = suppliers.iter().map(|c| c.count).sum();
        let mut per_country: Vec<CountryShare> = suppliers
            .iter()
            .map(|s| s.key.clone())
            .chain(audits_by_country.iter().map(|a| a.key.clone()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|country| {
                let sup = suppliers
                    .iter()
                    .find(|s| s.key == country)
                    .map_or(0, |s| s.count);
                let aud = audits_by_country
                    .iter()
                    .find(|s| s.key == country)
                    .map_or(0, |s| s.count);
                CountryShare {
                    supplier_share_percent: pct(sup, active_suppliers),
                    audit_share_percent: pct(aud, total_audits),
                    country,
                    active_suppliers: sup,
                    audits: aud,
                }
            })
            .collect();
        per_country.sort_by(|a, b| {
            b.audits
                .cmp(&a.audits)
                .then(b.active_suppliers.cmp(&a.active_suppliers))
                .then(a.country.cmp(&b.country))
        });
        Ok(AssessmentsPanel {
            total_audits,
            active_suppliers,
            per_quarter,
            per_country,
            by_type,
            by_notice,
            by_status,
        })
    }

    fn failing_items(
        &self,
        sql: &str,
        params: &[(&str, Option<String>)],
    ) -> Result<Vec<FailingItem>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        bind_named(&mut stmt, params)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(FailingItem {
                checklist: r.get(0)?,
                item_id: r.get(1)?,
                title: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                severity: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                findings: r.get(4)?,
                facilities: r.get(5)?,
            });
        }
        Ok(out)
    }

    /// The findings panel.
    pub fn findings_panel(&self, filter: &OfficeFilter) -> Result<FindingsPanel> {
        filter.check()?;
        let p = filter.params();
        let base = format!(
            "FROM finding f JOIN audit a ON a.id = f.audit_id LEFT JOIN facility fac ON fac.id = a.facility_id
             WHERE coalesce(f.deleted, 0) = 0 AND {}",
            OfficeFilter::SQL
        );
        let mut by_topic_severity = Vec::new();
        {
            let mut stmt = self.conn().prepare_cached(&format!(
                "SELECT coalesce(f.template_id, 'manual'), coalesce(f.severity, 'unknown'), count(*) {base} GROUP BY 1, 2"
            ))?;
            bind_named(&mut stmt, &p)?;
            let mut rows = stmt.raw_query();
            while let Some(r) = rows.next()? {
                by_topic_severity.push(TopicSeverity {
                    checklist: r.get(0)?,
                    severity: r.get(1)?,
                    count: r.get(2)?,
                });
            }
        }
        by_topic_severity.sort_by(|a, b| {
            a.checklist
                .cmp(&b.checklist)
                .then(severity_rank(&a.severity).cmp(&severity_rank(&b.severity)))
        });
        let total = by_topic_severity.iter().map(|t| t.count).sum();
        let rank = super::severity_rank_sql("f.severity");
        let top_failing_items = self.failing_items(
            &format!(
                "SELECT f.template_id, f.item_id, max(f.title),
                        CASE min({rank}) WHEN 0 THEN 'critical' WHEN 1 THEN 'major' WHEN 2 THEN 'minor' WHEN 3 THEN 'observation' ELSE 'good_practice' END,
                        count(*), count(DISTINCT a.facility_id)
                 {base} AND f.origin = 'item' AND f.item_id IS NOT NULL AND f.severity IN ('critical', 'major', 'minor')
                 GROUP BY f.template_id, f.item_id ORDER BY count(*) DESC, min({rank}), f.template_id, f.item_id LIMIT 10"
            ),
            &p,
        )?;
        // A repeat finding: at a follow-up audit, the same item failed at an earlier
        // audit of the same facility.
        let repeat_cond = "a.audit_type IN ('full_follow_up', 'partial_follow_up') AND f.item_id IS NOT NULL AND EXISTS (
                SELECT 1 FROM finding pf JOIN audit pa ON pa.id = pf.audit_id
                WHERE pa.facility_id = a.facility_id AND pa.id <> a.id AND coalesce(pa.deleted, 0) = 0 AND coalesce(pf.deleted, 0) = 0
                  AND pa.start_date < a.start_date AND pf.template_id = f.template_id AND pf.item_id = f.item_id
                  AND pf.severity IN ('critical', 'major', 'minor'))";
        let (repeat_findings, follow_up_findings): (u32, u32) = {
            let mut stmt = self.conn().prepare_cached(&format!(
                "SELECT coalesce(sum(CASE WHEN {repeat_cond} THEN 1 ELSE 0 END), 0), count(*)
                 {base} AND a.audit_type IN ('full_follow_up', 'partial_follow_up') AND f.severity IN ('critical', 'major', 'minor')"
            ))?;
            bind_named(&mut stmt, &p)?;
            let mut rows = stmt.raw_query();
            let r = rows.next()?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            (r.get(0)?, r.get(1)?)
        };
        let top_repeat_items = self.failing_items(
            &format!(
                "SELECT f.template_id, f.item_id, max(f.title),
                        CASE min({rank}) WHEN 0 THEN 'critical' WHEN 1 THEN 'major' WHEN 2 THEN 'minor' ELSE 'observation' END,
                        count(*), count(DISTINCT a.facility_id)
                 {base} AND f.severity IN ('critical', 'major', 'minor') AND {repeat_cond}
                 GROUP BY f.template_id, f.item_id ORDER BY count(*) DESC, f.template_id, f.item_id LIMIT 10"
            ),
            &p,
        )?;
        Ok(FindingsPanel {
            total,
            by_topic_severity,
            top_failing_items,
            repeat_findings,
            follow_up_findings,
            top_repeat_items,
        })
    }

    /// The CAP performance panel as of `today`.
    pub fn cap_performance_panel(
        &self,
        filter: &OfficeFilter,
        today: NaiveDate,
    ) -> Result<CapPerformancePanel> {
        filter.check()?;
        let mut p = filter.params().to_vec();
        p.push((":today", Some(today.to_string())));
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT coalesce(f.severity, 'unknown'), coalesce(ca.status, 'open'),
                    CASE WHEN coalesce(ca.status, 'open') IN {FINISHED_STATUSES_SQL} AND ca.closed_on IS NOT NULL
                         THEN CAST(julianday(ca.closed_on) - julianday(coalesce(a.end_date, a.start_date)) AS INTEGER) END,
                    CASE WHEN {FIX_OVERDUE_SQL} THEN CAST(julianday(:today) - julianday(ca.due_date) AS INTEGER) END
             FROM corrective_action ca JOIN finding f ON f.id = ca.finding_id JOIN audit a ON a.id = f.audit_id
             LEFT JOIN facility fac ON fac.id = a.facility_id
             WHERE coalesce(ca.deleted, 0) = 0 AND coalesce(f.deleted, 0) = 0 AND {}",
            OfficeFilter::SQL
        ))?;
        bind_named(&mut stmt, &p)?;
        let mut rows = stmt.raw_query();
        #[derive(Default)]
        struct Acc {
            total: u32,
            closed: u32,
            days: Vec<i64>,
            overdue: u32,
        }
        let mut per: std::collections::BTreeMap<(u8, String), Acc> = Default::default();
        let mut status: std::collections::BTreeMap<String, u32> = Default::default();
        let mut ages = [0u32; 4];
        let mut oldest: Option<i64> = None;
        while let Some(r) = rows.next()? {
            let sev: String = r.get(0)?;
            let st: String = r.get(1)?;
            let days: Option<i64> = r.get(2)?;
            let overdue: Option<i64> = r.get(3)?;
            let acc = per.entry((severity_rank(&sev), sev)).or_default();
            acc.total += 1;
            if st == "done" || st == "verified" {
                acc.closed += 1;
                if let Some(d) = days {
                    acc.days.push(d.max(0));
                }
            }
            if let Some(age) = overdue {
                acc.overdue += 1;
                ages[match age {
                    ..=30 => 0,
                    31..=60 => 1,
                    61..=90 => 2,
                    _ => 3,
                }] += 1;
                oldest = Some(oldest.map_or(age, |o: i64| o.max(age)));
            }
            *status.entry(st).or_default() += 1;
        }
        let total = per.values().map(|a| a.total).sum();
        let closed = per.values().map(|a| a.closed).sum();
        let overdue = per.values().map(|a| a.overdue).sum();
        let mut all_days: Vec<i64> = per.values().flat_map(|a| a.days.iter().copied()).collect();
        let per_severity = per
            .into_iter()
            .map(|((_, severity), mut a)| SeverityPerformance {
                severity,
                total: a.total,
                closed: a.closed,
                median_days_to_close: median(&mut a.days),
                overdue: a.overdue,
            })
            .collect();
        let labels = ["1–30 days", "31–60 days", "61–90 days", "over 90 days"];
        Ok(CapPerformancePanel {
            total,
            closed,
            closure_rate_percent: (total > 0).then(|| pct(closed, total)),
            median_days_to_close: median(&mut all_days),
            overdue,
            overdue_by_age: labels
                .iter()
                .zip(ages)
                .map(|(k, count)| Count {
                    key: (*k).into(),
                    count,
                })
                .collect(),
            oldest_overdue_days: oldest,
            by_status: status
                .into_iter()
                .map(|(key, count)| Count { key, count })
                .collect(),
            per_severity,
        })
    }
}

/// Every panel of the dashboard at once (the CLI's `dashboard`, the app's screen).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Dashboard {
    /// The filter applied.
    pub filter: OfficeFilter,
    /// The day overdue is measured on.
    pub today: String,
    /// Assessments.
    pub assessments: AssessmentsPanel,
    /// Findings.
    pub findings: FindingsPanel,
    /// CAP performance.
    pub cap_performance: CapPerformancePanel,
    /// Recruitment fees.
    pub fees: super::fee_remediation::FeePanel,
    /// The supply-chain map.
    pub map: super::map::MapPanel,
}

impl Store {
    /// Every dashboard panel, narrowed by `filter`, as of `today`.
    pub fn dashboard(
        &self,
        filter: &OfficeFilter,
        today: NaiveDate,
        reporting_currency: &str,
    ) -> Result<Dashboard> {
        Ok(Dashboard {
            filter: filter.clone(),
            today: today.to_string(),
            assessments: self.assessments_panel(filter)?,
            findings: self.findings_panel(filter)?,
            cap_performance: self.cap_performance_panel(filter, today)?,
            fees: self.fee_panel(filter, reporting_currency)?,
            map: self.map_panel(filter, today)?,
        })
    }
}
