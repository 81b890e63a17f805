//! Recruitment fees: one pseudonymous record per sampled worker, the fees they paid,
//! what was reimbursed, and the totals a supplier still owes per currency
//! (Employer Pays Principle: workers are reimbursed in full). Amounts are decimals,
//! never floats.

use std::collections::BTreeMap;
use std::str::FromStr;

use fieldaudit_protocol::closed_sets::{FeeCategory, FeeEvidence, PaidWhen};
use fieldaudit_protocol::EntityKind;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::model::{Fee, FeeRecord};
use crate::store::select_rows;
use crate::{CoreError, Result, Store};

/// A fee as entered.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewFee {
    /// What the fee was for (ILO categories).
    pub category: FeeCategory,
    /// Amount paid, e.g. `"1250.50"`.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub amount: Decimal,
    /// ISO 4217 currency.
    pub currency: String,
    /// Who was paid (agency, broker, employer…).
    pub paid_to: Option<String>,
    /// When it was paid.
    pub paid_when: Option<PaidWhen>,
    /// Whether the worker took a loan to pay it.
    pub financed_by_loan: Option<bool>,
    /// What shows it was paid.
    pub evidence: Option<FeeEvidence>,
}

/// Totals of one currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CurrencyTotals {
    /// Fees workers paid.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub paid: Decimal,
    /// Reimbursed so far.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub reimbursed: Decimal,
    /// Still owed to workers (`paid − reimbursed`, never below zero).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub outstanding: Decimal,
}

/// Fee totals of an audit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FeeTotals {
    /// Workers sampled (fee records).
    pub workers: u32,
    /// Workers who paid any fee.
    pub workers_who_paid: u32,
    /// Per ISO 4217 currency.
    pub by_currency: BTreeMap<String, CurrencyTotals>,
}

fn decimal(entity: &str, field: &str, s: &str) -> Result<Decimal> {
    Decimal::from_str(s).map_err(|e| CoreError::Corrupt {
        entity: entity.into(),
        field: field.into(),
        reason: e.to_string(),
    })
}

/// Rejects a worker reference that looks like a name or an identity number.
fn check_worker_ref(worker_ref: &str) -> Result<()> {
    let r = worker_ref.trim();
    if r.is_empty() {
        return Err(CoreError::Invalid(
            "give the worker a pseudonymous reference such as W-07".into(),
        ));
    }
    let digits = r.chars().filter(char::is_ascii_digit).count();
    if r.contains(' ') || digits >= 6 || r.len() > 16 {
        return Err(CoreError::Invalid(format!(
            "worker reference {r:?} looks like a name or an ID number; use a short pseudonymous code such as W-07 (never a worker's name or ID)"
        )));
    }
    Ok(())
}

impl Store {
    /// Creates or updates a worker's fee record. `fields` are registry fields of
    /// `fee_record` (e.g. `migrant_type`, `channel`, `reimbursement_status`).
    pub fn save_fee_record(
        &mut self,
        id: Option<Uuid>,
        audit_id: Uuid,
        worker_ref: &str,
        fields: &Map<String, Value>,
    ) -> Result<Uuid> {
        check_worker_ref(worker_ref)?;
        self.audit(audit_id)?;
        if let Some(v) = fields.get("reimbursed_amount").and_then(Value::as_str) {
            if decimal("fee_record", "reimbursed_amount", v)?.is_sign_negative() {
                return Err(CoreError::Invalid(
                    "the reimbursed amount cannot be negative".into(),
                ));
            }
        }
        let id = id.unwrap_or_else(Uuid::now_v7);
        let mut all: Vec<(&str, Value)> = vec![
            ("audit_id", json!(audit_id.to_string())),
            ("worker_ref", json!(worker_ref.trim())),
            ("deleted", json!(false)),
        ];
        for (k, v) in fields {
            if matches!(k.as_str(), "audit_id" | "worker_ref" | "deleted") {
                continue;
            }
            let spec = EntityKind::FeeRecord
                .field(k)
                .ok_or_else(|| CoreError::Invalid(format!("fee records have no field {k:?}")))?;
            all.push((spec.name, v.clone()));
        }
        self.write(|w| w.set(EntityKind::FeeRecord, id, &all).map(|_| ()))?;
        Ok(id)
    }

    /// Adds a fee to a worker's record.
    pub fn add_fee(&mut self, fee_record_id: Uuid, fee: &NewFee) -> Result<Uuid> {
        if fee.amount.is_sign_negative() || fee.amount.is_zero() {
            return Err(CoreError::Invalid(format!(
                "a fee amount must be more than zero, got {}",
                fee.amount
            )));
        }
        let id = Uuid::now_v7();
        self.write(|w| {
            if !w.exists(EntityKind::FeeRecord, fee_record_id)? {
                return Err(CoreError::not_found("fee record", fee_record_id));
            }
            w.set(
                EntityKind::Fee,
                id,
                &[
                    ("fee_record_id", json!(fee_record_id.to_string())),
                    ("category", json!(fee.category)),
                    ("amount", json!(fee.amount.normalize().to_string())),
                    ("currency", json!(fee.currency)),
                    ("paid_to", json!(fee.paid_to)),
                    ("paid_when", json!(fee.paid_when)),
                    ("financed_by_loan", json!(fee.financed_by_loan)),
                    ("evidence", json!(fee.evidence)),
                    ("deleted", json!(false)),
                ],
            )
            .map(|_| ())
        })?;
        Ok(id)
    }

    /// Removes a fee (tombstone).
    pub fn remove_fee(&mut self, fee_id: Uuid) -> Result<()> {
        self.write(|w| {
            if !w.exists(EntityKind::Fee, fee_id)? {
                return Err(CoreError::not_found("fee", fee_id));
            }
            w.set(EntityKind::Fee, fee_id, &[("deleted", json!(true))])
                .map(|_| ())
        })
    }

    /// Fee records of an audit with their fees.
    pub fn fee_records(&self, audit_id: Uuid) -> Result<Vec<(FeeRecord, Vec<Fee>)>> {
        let records = select_rows(
            self.conn(),
            EntityKind::FeeRecord,
            "audit_id = ?1 AND coalesce(deleted, 0) = 0 ORDER BY worker_ref, id",
            [audit_id.to_string()],
        )?;
        let mut out = Vec::new();
        for r in records {
            let record: FeeRecord =
                serde_json::from_value(Value::Object(r)).map_err(|e| CoreError::Corrupt {
                    entity: "fee_record".into(),
                    field: "*".into(),
                    reason: e.to_string(),
                })?;
            let fees = select_rows(
                self.conn(),
                EntityKind::Fee,
                "fee_record_id = ?1 AND coalesce(deleted, 0) = 0 ORDER BY id",
                [record.id.to_string()],
            )?
            .into_iter()
            .map(|f| serde_json::from_value(Value::Object(f)))
            .collect::<Result<Vec<Fee>, _>>()
            .map_err(|e| CoreError::Corrupt {
                entity: "fee".into(),
                field: "*".into(),
                reason: e.to_string(),
            })?;
            out.push((record, fees));
        }
        Ok(out)
    }

    /// What workers paid, what was reimbursed and what is still owed, per currency.
    pub fn fee_totals(&self, audit_id: Uuid) -> Result<FeeTotals> {
        let mut totals = FeeTotals::default();
        for (record, fees) in self.fee_records(audit_id)? {
            totals.workers += 1;
            let mut paid_any = false;
            for fee in &fees {
                let (Some(amount), Some(currency)) = (&fee.amount, &fee.currency) else {
                    continue;
                };
                totals.by_currency.entry(currency.clone()).or_default().paid +=
                    decimal("fee", "amount", amount)?;
                paid_any = true;
            }
            if paid_any {
                totals.workers_who_paid += 1;
            }
            if let (Some(amount), Some(currency)) =
                (&record.reimbursed_amount, &record.reimbursed_currency)
            {
                totals
                    .by_currency
                    .entry(currency.clone())
                    .or_default()
                    .reimbursed += decimal("fee_record", "reimbursed_amount", amount)?;
            }
        }
        for t in totals.by_currency.values_mut() {
            t.outstanding = (t.paid - t.reimbursed).max(Decimal::ZERO);
        }
        Ok(totals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_refs_that_identify_people_are_refused() {
        assert!(check_worker_ref("W-07").is_ok());
        assert!(check_worker_ref("Rahima Begum").is_err());
        assert!(check_worker_ref("19901234567").is_err());
        assert!(check_worker_ref(" ").is_err());
    }
}
