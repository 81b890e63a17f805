//! The demo organisation's office data, written through the store's own API
//! (start, answer, sign off, review, CAP updates, fee records, reference imports)
//! on a device signed in as an admin, so a sync sends it to the server like any
//! laptop's work and a reviewer's app pulls it. Used by `fieldaudit demo seed`
//! (scripts/run-demo.sh).
//!
//! Over the facilities already on the device (the fixture lists): audits spread
//! over the last ten quarters and several countries, failing answers raising
//! findings (more where country risk is higher), follow-ups after bad audits,
//! CAP items in every state (some overdue), fee records with reimbursements in
//! workers' currencies, a monthly rate table (one currency's older months left out,
//! so the dashboard shows what a missing rate looks like) and the sample WGI file.
//! Deterministic for a given seed and day.

use chrono::{Datelike, Days, Months, NaiveDate};
use fieldaudit_protocol::EntityKind;
use fieldaudit_templates::{AnswerType, FailWhen};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::reference::{RateRow, SAMPLE_WGI_CSV};
use crate::audits::{ActionUpdate, NewAudit};
use crate::fees::NewFee;
use crate::model::ChecklistRef;
use crate::review::ReviewDecision;
use crate::{CoreError, Result, Store};

/// What the seed wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DemoSummary {
    /// Audits started.
    pub audits: u32,
    /// Findings raised.
    pub findings: u32,
    /// Fee records.
    pub fee_records: u32,
    /// Exchange rates.
    pub rates: u32,
    /// WGI values.
    pub wgi_values: u32,
}

const CHECKLISTS: &[&str] = &[
    "fire-safety",
    "machine-safety",
    "wages-hours",
    "emergency-preparedness",
    "recruitment",
];
const AUDITORS: &[&str] = &[
    "Rina Akter",
    "Tuan Nguyen",
    "Li Wei",
    "Priya Sharma",
    "Budi Santoso",
    "Ana García",
];
/// Workers' currencies with an approximate USD rate (a demo, not market data).
const CURRENCIES: &[(&str, &str, &str)] = &[
    ("NP", "NPR", "0.0075"),
    ("BD", "BDT", "0.0084"),
    ("MM", "MMK", "0.00048"),
    ("VN", "VND", "0.000040"),
    ("IN", "INR", "0.012"),
    ("KH", "USD", "1"),
];
const CATEGORIES: &[&str] = &[
    "placement",
    "visa",
    "medical",
    "travel",
    "training",
    "passport",
    "deposit_bond",
];

/// Yes/no items of a template's non-repeating sections with a failing answer.
fn yes_no_items(template: &fieldaudit_templates::Template) -> Vec<(&str, &str, &str)> {
    let mut out = Vec::new();
    for section in template
        .sections
        .iter()
        .filter(|s| s.repeat.is_none() && s.show_if.is_none())
    {
        for item in section
            .items
            .iter()
            .filter(|i| i.show_if.is_none() && matches!(i.answer, AnswerType::YesNo))
        {
            if let Some(FailWhen::Answer(fail)) = item.fail.first().map(|r| &r.when) {
                let pass = if fail == "yes" { "no" } else { "yes" };
                out.push((item.id.as_str(), fail.as_str(), pass));
            }
        }
    }
    out
}

impl Store {
    /// Seeds the demo office data as of `today`. The device must be signed in as an
    /// admin (reviews and the reference imports need it) and hold facilities.
    pub fn seed_demo(
        &mut self,
        today: NaiveDate,
        seed: u64,
        max_facilities: usize,
    ) -> Result<DemoSummary> {
        let session = crate::sync::session::load(self.data_dir())?;
        if session.as_ref().map(|s| s.role.as_str()) != Some("admin") {
            return Err(CoreError::Invalid("the demo seed runs on a device signed in as an admin (fieldaudit login … --user an admin)".into()));
        }
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut summary = DemoSummary::default();
        // Reference data first.
        summary.wgi_values = self
            .write_wgi(SAMPLE_WGI_CSV, "wgi-sample.csv")?
            .rows_stored as u32;
        let mut rates = Vec::new();
        let first = NaiveDate::from_ymd_opt(today.year() - 3, today.month(), 1).unwrap_or(today);
        for (_, currency, usd) in CURRENCIES.iter().filter(|c| c.1 != "USD") {
            let base: Decimal = usd
                .parse()
                .map_err(|_| CoreError::Invalid("demo rate".into()))?;
            let mut month = first;
            while month <= today {
                // MMK: only the last 12 months, so older MMK fees show a missing rate.
                if *currency != "MMK"
                    || month >= today.checked_sub_months(Months::new(12)).unwrap_or(today)
                {
                    let wobble = Decimal::new(rng.i64(-40..=40), 3) * base / Decimal::from(10);
                    rates.push(RateRow {
                        date: month,
                        from: (*currency).into(),
                        to: "USD".into(),
                        rate: (base + wobble).round_dp(8),
                    });
                }
                month = month
                    .checked_add_months(Months::new(1))
                    .unwrap_or(today + Days::new(1));
            }
        }
        summary.rates = self
            .write_exchange_rates(&rates, "demo-rates.csv")?
            .rows_stored as u32;
        let risks: std::collections::HashMap<String, f64> = self
            .country_risks()?
            .into_iter()
            .map(|r| (r.country, r.risk.to_string().parse::<f64>().unwrap_or(50.0)))
            .collect();

        let mut facilities = self.facilities("")?;
        facilities.retain(|f| f.facility.country_code.is_some());
        facilities.sort_by_key(|f| f.facility.id);
        // About 170 facilities, favouring the fixture's larger countries.
        let picked: Vec<_> = facilities
            .into_iter()
            .filter(|_| rng.u8(0..100) < 45)
            .take(max_facilities)
            .collect();
        for (n, fac) in picked.iter().enumerate() {
            let country = fac.facility.country_code.clone().unwrap_or_default();
            let risk = risks.get(&country).copied().unwrap_or(50.0);
            let visits = 1 + usize::from(rng.u8(0..100) < 55) + usize::from(rng.u8(0..100) < 25);
            // First visit between 30 and 2 months ago, then a follow-up or periodic one.
            let mut start = today
                .checked_sub_days(Days::new(rng.u64(60..=900)))
                .unwrap_or(today);
            for visit in 0..visits {
                if start > today {
                    break;
                }
                let (failed, fee_records) = self.seed_audit(
                    &mut rng,
                    fac.facility.id,
                    &country,
                    start,
                    visit,
                    risk,
                    today,
                    n,
                )?;
                summary.audits += 1;
                summary.findings += failed;
                summary.fee_records += fee_records;
                let gap = if failed > 3 {
                    rng.u64(45..=120)
                } else {
                    rng.u64(300..=420)
                };
                start = start
                    .checked_add_days(Days::new(gap))
                    .unwrap_or(today + Days::new(1));
            }
        }
        Ok(summary)
    }

    #[allow(clippy::too_many_arguments)]
    fn seed_audit(
        &mut self,
        rng: &mut fastrand::Rng,
        facility: Uuid,
        country: &str,
        start: NaiveDate,
        visit: usize,
        risk: f64,
        today: NaiveDate,
        n: usize,
    ) -> Result<(u32, u32)> {
        let mut checklists: Vec<&str> = CHECKLISTS
            .iter()
            .copied()
            .filter(|_| rng.u8(0..100) < 60)
            .collect();
        if checklists.is_empty() {
            checklists.push("fire-safety");
        }
        let audit_type = match visit {
            0 => "initial",
            _ if rng.bool() => "full_follow_up",
            _ => "periodic",
        };
        let notice = match rng.u8(0..10) {
            0..=3 => "announced",
            4..=6 => "semi_announced",
            _ => "unannounced",
        };
        let lead = AUDITORS[(n + visit) % AUDITORS.len()];
        let end = start
            .checked_add_days(Days::new(rng.u64(0..=2)))
            .unwrap_or(start);
        let refs: Vec<ChecklistRef> = checklists
            .iter()
            .filter_map(|id| {
                fieldaudit_templates::builtin_latest(id).map(|t| ChecklistRef {
                    template_id: t.id.clone(),
                    version: t.version,
                })
            })
            .collect();
        let audit = self.start_audit(&NewAudit {
            facility_id: facility,
            checklists: refs.clone(),
            audit_type: audit_type.parse().map_err(|e: crate::UnknownName| CoreError::Invalid(e.to_string()))?,
            notice: notice.parse().map_err(|e: crate::UnknownName| CoreError::Invalid(e.to_string()))?,
            start_date: start,
            end_date: Some(end),
            auditors: vec![
                lead.into(),
                AUDITORS[(n + visit + 2) % AUDITORS.len()].into(),
            ],
        })?;
        // Fail rate: 4% in low-risk countries up to about 20% in high-risk ones.
        let fail_percent = (4.0 + risk * 0.18) as u8;
        for r in &refs {
            let Some(template) = fieldaudit_templates::builtin_template(&r.template_id, r.version)
            else {
                continue;
            };
            for (item, fail, pass) in yes_no_items(template) {
                let value = if rng.u8(0..100) < fail_percent {
                    fail
                } else {
                    pass
                };
                self.record_answer(audit, &r.template_id, item, None, json!(value))?;
            }
        }
        let findings = self.findings(audit)?;
        let age = (today - end).num_days();
        for f in &findings {
            for a in &f.actions {
                // Older audits' items are mostly closed; recent ones mostly open.
                let roll = rng.u8(0..100);
                let status = match age {
                    ..=30 => {
                        if roll < 70 {
                            "open"
                        } else {
                            "in_progress"
                        }
                    }
                    31..=120 => match roll {
                        0..=29 => "open",
                        30..=59 => "in_progress",
                        60..=84 => "done",
                        85..=94 => "verified",
                        _ => "disputed",
                    },
                    _ => match roll {
                        0..=9 => "open",
                        10..=19 => "in_progress",
                        20..=49 => "done",
                        50..=94 => "verified",
                        _ => "disputed",
                    },
                };
                let owner = [
                    "HR manager",
                    "Compliance officer",
                    "Factory manager",
                    "EHS lead",
                ][rng.usize(0..4)];
                self.update_action(
                    a.id,
                    &ActionUpdate {
                        status: Some(status.parse().map_err(|e: crate::UnknownName| CoreError::Invalid(e.to_string()))?),
                        owner: Some(owner.into()),
                        corrective_action: Some(format!(
                            "Fix: {}",
                            f.finding.title.clone().unwrap_or_default()
                        )),
                        ..Default::default()
                    },
                )?;
                if matches!(status, "done" | "verified") {
                    // Closed some days after the audit (never after today).
                    let closed = end
                        .checked_add_days(Days::new(rng.u64(5..=110)))
                        .unwrap_or(end)
                        .min(today);
                    self.write(|w| {
                        w.set(
                            EntityKind::CorrectiveAction,
                            a.id,
                            &[("closed_on", json!(closed.to_string()))],
                        )
                        .map(|_| ())
                    })?;
                }
            }
        }
        let fee_records = self.seed_fees(rng, audit, start, country, today)?;
        // Workflow (after everything is recorded, so sign-offs verify): drafts in the last two weeks, then waiting, returned or approved.
        match age {
            ..=14 if rng.bool() => {}
            ..=45 => {
                self.sign_off_audit(audit, lead)?;
                if rng.u8(0..10) == 0 {
                    self.review_audit(
                        audit,
                        ReviewDecision::Return,
                        "Photos of the fire exits are missing: add them and sign off again",
                    )?;
                }
            }
            _ => {
                self.sign_off_audit(audit, lead)?;
                if rng.u8(0..20) == 0 {
                    self.review_audit(
                        audit,
                        ReviewDecision::Return,
                        "Wage sample covers one month only: add two more and sign off again",
                    )?;
                } else {
                    self.review_audit(audit, ReviewDecision::Approve, "")?;
                }
            }
        }
        Ok((findings.len() as u32, fee_records))
    }

    fn seed_fees(
        &mut self,
        rng: &mut fastrand::Rng,
        audit: Uuid,
        start: NaiveDate,
        country: &str,
        today: NaiveDate,
    ) -> Result<u32> {
        // Migrant workers are sampled where recruitment is a risk.
        let chance = match country {
            "TW" | "MY" | "TH" | "JP" | "KR" | "CN" | "VN" => 60,
            _ => 15,
        };
        if rng.u8(0..100) >= chance {
            return Ok(0);
        }
        let workers = rng.u32(2..=6);
        for i in 0..workers {
            let (origin, currency, _) = CURRENCIES[rng.usize(0..CURRENCIES.len())];
            let recruited = start
                .checked_sub_days(Days::new(rng.u64(30..=700)))
                .unwrap_or(start);
            let paid = rng.u8(0..100) < 70;
            let unit: i64 = match currency {
                "USD" => 1,
                "NPR" | "BDT" | "INR" => 100,
                "MMK" => 2_000,
                _ => 25_000,
            };
            let fees: Vec<(&str, Decimal)> = if paid {
                (0..rng.usize(1..=3))
                    .map(|_| {
                        (
                            CATEGORIES[rng.usize(0..CATEGORIES.len())],
                            Decimal::from(unit * rng.i64(5..=120)),
                        )
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let total: Decimal = fees.iter().map(|f| f.1).sum();
            let (status, amount) = match rng.u8(0..10) {
                _ if !paid => ("none", None),
                0..=3 => ("none", None),
                4..=5 => ("promised", None),
                6..=7 => ("partial", Some((total / Decimal::from(2)).round_dp(0))),
                _ => ("full", Some(total)),
            };
            let mut fields = Map::new();
            fields.insert(
                "migrant_type".into(),
                json!(if origin == country {
                    "internal"
                } else {
                    "foreign"
                }),
            );
            fields.insert("origin_country".into(), json!(origin));
            fields.insert(
                "channel".into(),
                json!(["agency", "broker", "direct"][rng.usize(0..3)]),
            );
            fields.insert("recruited_on".into(), json!(recruited.to_string()));
            fields.insert("reimbursement_status".into(), json!(status));
            if let Some(a) = amount {
                let on = start
                    .checked_add_days(Days::new(rng.u64(20..=90)))
                    .unwrap_or(start)
                    .min(today);
                fields.insert("reimbursed_amount".into(), json!(a.to_string()));
                fields.insert("reimbursed_currency".into(), json!(currency));
                fields.insert("reimbursed_on".into(), Value::String(on.to_string()));
            }
            let record = self.save_fee_record(None, audit, &format!("W-{:02}", i + 1), &fields)?;
            for (category, amount) in fees {
                self.add_fee(
                    record,
                    &NewFee {
                        category: category.parse().map_err(|e: crate::UnknownName| CoreError::Invalid(e.to_string()))?,
                        amount,
                        currency: currency.into(),
                        paid_to: Some("agency".into()),
                        paid_when: Some(fieldaudit_protocol::closed_sets::PaidWhen::PreDeparture),
                        financed_by_loan: Some(rng.bool()),
                        evidence: Some(fieldaudit_protocol::closed_sets::FeeEvidence::Interview),
                    },
                )?;
            }
        }
        Ok(workers)
    }
}
