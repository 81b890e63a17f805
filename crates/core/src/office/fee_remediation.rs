//! Recruitment-fee remediation across the programme: how many sampled workers
//! paid, what they paid and what was reimbursed, and what is still owed per
//! facility and per country, by fee category and by the workers' origin country —
//! in each currency, and converted to one reporting currency through the dated
//! exchange-rate table an admin imported ([`super::reference`]).
//!
//! Amounts are decimals throughout (SQL selects the rows, Rust adds them up with
//! `rust_decimal`). A fee is converted at the newest rate dated on or before its
//! date (the worker's recruitment date, else the audit's first day) and at most
//! [`RATE_MAX_AGE_DAYS`] older; a reimbursement at its own date. When no such rate
//! exists the amount is not converted: the panel says which currency and date
//! lack a rate, and the converted totals are marked incomplete instead of guessing.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{bind_named, OfficeFilter};
use crate::{CoreError, Result, Store};

/// How much older than an amount's date a rate may be (a monthly table works).
pub const RATE_MAX_AGE_DAYS: i64 = 31;

/// Paid, reimbursed and outstanding in one currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Money {
    /// ISO 4217.
    pub currency: String,
    /// Fees paid by workers.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub paid: Decimal,
    /// Reimbursed to workers.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub reimbursed: Decimal,
    /// Still owed (`paid − reimbursed`, never below zero).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub outstanding: Decimal,
}

/// Totals in the reporting currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Converted {
    /// Fees paid, converted.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub paid: Decimal,
    /// Reimbursed, converted.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub reimbursed: Decimal,
    /// Outstanding (`paid − reimbursed`, never below zero).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub outstanding: Decimal,
    /// Amounts left out for want of a rate: when non-zero the totals are incomplete.
    pub unconverted: u32,
}

/// One group (a facility, a country, a fee category, an origin country).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FeeGroup {
    /// Facility id, country code, category or origin country.
    pub key: String,
    /// Facility name (facility groups).
    pub name: Option<String>,
    /// Facility country (facility groups).
    pub country: Option<String>,
    /// Workers sampled in the group.
    pub workers: u32,
    /// Workers who paid any fee.
    pub workers_who_paid: u32,
    /// Per currency. For categories and origin countries only `paid` is known
    /// (reimbursements are recorded per worker, not per fee).
    pub per_currency: Vec<Money>,
    /// In the reporting currency.
    pub converted: Converted,
}

/// A currency and day the rate table has no rate for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MissingRate {
    /// ISO 4217 code converted from.
    pub currency: String,
    /// The amount's date.
    pub date: String,
    /// Amounts on that date in that currency.
    pub amounts: u32,
}

/// The fee remediation panel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FeePanel {
    /// The currency totals are converted to.
    pub reporting_currency: String,
    /// Everything in the period (key `all`).
    pub total: FeeGroup,
    /// Per facility, most outstanding first.
    pub per_facility: Vec<FeeGroup>,
    /// Per facility country.
    pub per_country: Vec<FeeGroup>,
    /// Per fee category (paid only).
    pub by_category: Vec<FeeGroup>,
    /// Per worker origin country (paid only).
    pub by_origin_country: Vec<FeeGroup>,
    /// Workers per reimbursement status (`none`, `promised`, `partial`, `full`).
    pub reimbursement_status: Vec<super::dashboard::Count>,
    /// Currencies and dates the rate table lacks.
    pub missing_rates: Vec<MissingRate>,
}

/// The rate table, by currency pair, dates ascending.
pub struct RateTable {
    pairs: BTreeMap<(String, String), Vec<(NaiveDate, Decimal)>>,
}

impl RateTable {
    /// Loads the organisation's rates.
    pub fn load(store: &Store) -> Result<RateTable> {
        let mut pairs: BTreeMap<(String, String), Vec<(NaiveDate, Decimal)>> = BTreeMap::new();
        for r in store.exchange_rates()? {
            pairs
                .entry((r.from.clone(), r.to.clone()))
                .or_default()
                .push((r.date, r.rate));
            if let Some(inverse) = Decimal::ONE.checked_div(r.rate) {
                pairs
                    .entry((r.to, r.from))
                    .or_default()
                    .push((r.date, inverse.round_dp(12)));
            }
        }
        for list in pairs.values_mut() {
            // A direct rate and an inverse one on the same day: keep the direct
            // (pushed first, stable sort keeps it first, dedup keeps the first).
            list.sort_by_key(|(d, _)| *d);
            list.dedup_by_key(|(d, _)| *d);
        }
        Ok(RateTable { pairs })
    }

    /// The rate from `from` to `to` for an amount dated `date`: the newest dated on
    /// or before it, at most [`RATE_MAX_AGE_DAYS`] older.
    pub fn rate(&self, from: &str, to: &str, date: NaiveDate) -> Option<Decimal> {
        if from == to {
            return Some(Decimal::ONE);
        }
        let list = self.pairs.get(&(from.to_owned(), to.to_owned()))?;
        let i = list.partition_point(|(d, _)| *d <= date);
        let (d, rate) = list.get(i.checked_sub(1)?)?;
        ((date - *d).num_days() <= RATE_MAX_AGE_DAYS).then_some(*rate)
    }
}

#[derive(Default)]
struct Acc {
    name: Option<String>,
    country: Option<String>,
    workers: std::collections::BTreeSet<String>,
    payers: std::collections::BTreeSet<String>,
    money: BTreeMap<String, (Decimal, Decimal)>,
    conv_paid: Decimal,
    conv_reimbursed: Decimal,
    unconverted: u32,
}

impl Acc {
    fn finish(self, key: String, reimbursements_known: bool) -> FeeGroup {
        let per_currency = self
            .money
            .into_iter()
            .map(|(currency, (paid, reimbursed))| Money {
                currency,
                paid,
                reimbursed,
                outstanding: if reimbursements_known {
                    (paid - reimbursed).max(Decimal::ZERO)
                } else {
                    Decimal::ZERO
                },
            })
            .collect();
        FeeGroup {
            key,
            name: self.name,
            country: self.country,
            workers: self.workers.len() as u32,
            workers_who_paid: self.payers.len() as u32,
            per_currency,
            converted: Converted {
                paid: self.conv_paid.round_dp(2),
                reimbursed: self.conv_reimbursed.round_dp(2),
                outstanding: if reimbursements_known {
                    (self.conv_paid - self.conv_reimbursed)
                        .max(Decimal::ZERO)
                        .round_dp(2)
                } else {
                    Decimal::ZERO
                },
                unconverted: self.unconverted,
            },
        }
    }
}

fn corrupt(field: &str, reason: String) -> CoreError {
    CoreError::Corrupt {
        entity: "fee".into(),
        field: field.into(),
        reason,
    }
}

impl Store {
    /// The fee remediation panel, converted to `reporting_currency`.
    pub fn fee_panel(&self, filter: &OfficeFilter, reporting_currency: &str) -> Result<FeePanel> {
        filter.check()?;
        let reporting = reporting_currency.trim().to_ascii_uppercase();
        if reporting.len() != 3 || !reporting.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(CoreError::Invalid(format!(
                "reporting currency {reporting_currency:?} is not an ISO 4217 code such as USD"
            )));
        }
        let rates = RateTable::load(self)?;
        let p = filter.params();
        let mut missing: BTreeMap<(String, String), u32> = BTreeMap::new();
        let mut convert = |amount: Decimal, currency: &str, date: NaiveDate| -> Option<Decimal> {
            let r = rates.rate(currency, &reporting, date);
            if r.is_none() {
                *missing
                    .entry((currency.to_owned(), date.to_string()))
                    .or_default() += 1;
            }
            r.map(|r| amount * r)
        };
        let (mut total, mut fac, mut country, mut cat, mut origin) = (
            Acc::default(),
            BTreeMap::<String, Acc>::new(),
            BTreeMap::<String, Acc>::new(),
            BTreeMap::<String, Acc>::new(),
            BTreeMap::<String, Acc>::new(),
        );
        // Every sampled worker (fee record), with its reimbursement.
        let mut status_counts: BTreeMap<String, u32> = BTreeMap::new();
        {
            let mut stmt = self.conn().prepare_cached(&format!(
                "SELECT r.id, fac.id, fac.name, fac.country_code, r.reimbursed_amount, r.reimbursed_currency,
                        coalesce(r.reimbursed_on, r.recruited_on, a.start_date), coalesce(r.reimbursement_status, 'none')
                 FROM fee_record r JOIN audit a ON a.id = r.audit_id LEFT JOIN facility fac ON fac.id = a.facility_id
                 WHERE coalesce(r.deleted, 0) = 0 AND {}",
                OfficeFilter::SQL
            ))?;
            bind_named(&mut stmt, &p)?;
            let mut rows = stmt.raw_query();
            while let Some(r) = rows.next()? {
                let record: String = r.get(0)?;
                let fac_id: String = r.get::<_, Option<String>>(1)?.unwrap_or_default();
                let cc: String = r
                    .get::<_, Option<String>>(3)?
                    .unwrap_or_else(|| "unknown".into());
                *status_counts.entry(r.get(7)?).or_default() += 1;
                let f = fac.entry(fac_id).or_default();
                f.name = r.get(2)?;
                f.country = Some(cc.clone());
                let c = country.entry(cc).or_default();
                for acc in [&mut total, f, c] {
                    acc.workers.insert(record.clone());
                }
                let (Some(amount), Some(currency)) = (
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ) else {
                    continue;
                };
                let amount = Decimal::from_str(&amount)
                    .map_err(|e| corrupt("reimbursed_amount", e.to_string()))?;
                let date: Option<String> = r.get(6)?;
                let date = date.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
                let converted = date.and_then(|d| convert(amount, &currency, d));
                let f = fac
                    .get_mut(&r.get::<_, Option<String>>(1)?.unwrap_or_default())
                    .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                let c = country
                    .get_mut(f.country.as_deref().unwrap_or("unknown"))
                    .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                for acc in [&mut total, f, c] {
                    acc.money.entry(currency.clone()).or_default().1 += amount;
                    match converted {
                        Some(v) => acc.conv_reimbursed += v,
                        None => acc.unconverted += 1,
                    }
                }
            }
        }
        // Every fee paid.
        {
            let mut stmt = self.conn().prepare_cached(&format!(
                "SELECT r.id, fac.id, coalesce(fac.country_code, 'unknown'), fe.category, fe.amount, fe.currency,
                        coalesce(r.recruited_on, a.start_date), coalesce(r.origin_country, 'unknown')
                 FROM fee fe JOIN fee_record r ON r.id = fe.fee_record_id JOIN audit a ON a.id = r.audit_id
                 LEFT JOIN facility fac ON fac.id = a.facility_id
                 WHERE coalesce(fe.deleted, 0) = 0 AND coalesce(r.deleted, 0) = 0 AND fe.amount IS NOT NULL AND fe.currency IS NOT NULL AND {}",
                OfficeFilter::SQL
            ))?;
            bind_named(&mut stmt, &p)?;
            let mut rows = stmt.raw_query();
            while let Some(r) = rows.next()? {
                let record: String = r.get(0)?;
                let fac_id: String = r.get::<_, Option<String>>(1)?.unwrap_or_default();
                let cc: String = r.get(2)?;
                let category: String = r
                    .get::<_, Option<String>>(3)?
                    .unwrap_or_else(|| "other".into());
                let amount = Decimal::from_str(&r.get::<_, String>(4)?)
                    .map_err(|e| corrupt("amount", e.to_string()))?;
                let currency: String = r.get(5)?;
                let date: Option<String> = r.get(6)?;
                let date = date.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
                let converted = date.and_then(|d| convert(amount, &currency, d));
                let oc: String = r.get(7)?;
                let groups = [
                    &mut total,
                    fac.entry(fac_id).or_default(),
                    country.entry(cc).or_default(),
                    cat.entry(category).or_default(),
                    origin.entry(oc).or_default(),
                ];
                for acc in groups {
                    acc.workers.insert(record.clone());
                    acc.payers.insert(record.clone());
                    acc.money.entry(currency.clone()).or_default().0 += amount;
                    match converted {
                        Some(v) => acc.conv_paid += v,
                        None => acc.unconverted += 1,
                    }
                }
            }
        }
        let mut per_facility: Vec<FeeGroup> =
            fac.into_iter().map(|(k, a)| a.finish(k, true)).collect();
        per_facility.sort_by(|a, b| {
            b.converted
                .outstanding
                .cmp(&a.converted.outstanding)
                .then(a.name.cmp(&b.name))
        });
        let mut per_country: Vec<FeeGroup> = country
            .into_iter()
            .map(|(k, a)| a.finish(k, true))
            .collect();
        per_country.sort_by(|a, b| {
            b.converted
                .outstanding
                .cmp(&a.converted.outstanding)
                .then(a.key.cmp(&b.key))
        });
        let mut by_category: Vec<FeeGroup> =
            cat.into_iter().map(|(k, a)| a.finish(k, false)).collect();
        by_category.sort_by(|a, b| {
            b.converted
                .paid
                .cmp(&a.converted.paid)
                .then(a.key.cmp(&b.key))
        });
        let mut by_origin_country: Vec<FeeGroup> = origin
            .into_iter()
            .map(|(k, a)| a.finish(k, false))
            .collect();
        by_origin_country.sort_by(|a, b| {
            b.converted
                .paid
                .cmp(&a.converted.paid)
                .then(a.key.cmp(&b.key))
        });
        Ok(FeePanel {
            total: total.finish("all".into(), true),
            per_facility,
            per_country,
            by_category,
            by_origin_country,
            reimbursement_status: status_counts
                .into_iter()
                .map(|(key, count)| super::dashboard::Count { key, count })
                .collect(),
            missing_rates: missing
                .into_iter()
                .map(|((currency, date), amounts)| MissingRate {
                    currency,
                    date,
                    amounts,
                })
                .collect(),
            reporting_currency: reporting,
        })
    }
}
