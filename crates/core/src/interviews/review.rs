//! The reviewer's side: opening an audit's sealed interviews with the reviewer's
//! private key (on the reviewer's own machine, from their synced store) and the
//! aggregate over them: workers who reported paying fees, totals per currency,
//! documents held, and the answers per topic.

use std::collections::BTreeMap;

use fieldaudit_protocol::EntityKind;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::crypto::{self, OpenError};
use super::{summary, InterviewContent, InterviewSummary, OptionCounts, SealedPayload};
use crate::store::select_rows;
use crate::{Result, Store};

/// One interview as a reviewer sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReviewedInterview {
    /// Metadata (as every device sees it).
    pub summary: InterviewSummary,
    /// The content, or why it could not be opened.
    #[serde(serialize_with = "ser_result")]
    pub content: std::result::Result<InterviewContent, OpenError>,
}

fn ser_result<S: serde::Serializer>(
    r: &std::result::Result<InterviewContent, OpenError>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match r {
        Ok(c) => c.serialize(s),
        Err(e) => serde_json::json!({ "error": e.to_string() }).serialize(s),
    }
}

/// Fee totals of one currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReportedCurrency {
    /// Total fees reported paid.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub paid: Decimal,
    /// Total reported reimbursed.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub reimbursed: Decimal,
    /// Workers who reported paying in this currency.
    pub workers: u32,
}

/// What an audit's interviews say together.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InterviewAggregate {
    /// Interviews opened.
    pub interviews: u32,
    /// Interviews that could not be opened (not sealed to this key, or tampered).
    pub unreadable: u32,
    /// Workers interviewed (group sizes added up).
    pub workers: u32,
    /// Interviews where the workers consented.
    pub consented: u32,
    /// Workers who reported paying any recruitment fee (one per fee entry with fees).
    pub workers_reporting_fees: u32,
    /// Of those, workers who took a loan for some fee.
    pub workers_with_loans: u32,
    /// Fee totals per ISO 4217 currency.
    pub fees_by_currency: BTreeMap<String, ReportedCurrency>,
    /// Fee totals per category and currency (`visa → USD → 1500`).
    #[cfg_attr(feature = "ts", ts(type = "Record<string, Record<string, string>>"))]
    pub fees_by_category: BTreeMap<String, BTreeMap<String, Decimal>>,
    /// Workers whose passport the employer holds (from the fee entries).
    pub passports_held_by_employer: u32,
    /// Who keeps the workers' documents (`topics.documents` answers).
    pub documents_held: BTreeMap<String, u32>,
    /// Interviews with any sign of coaching or fear.
    pub coaching_or_fear: u32,
    /// Interviews per answer option of every choice and yes/no item (per topic,
    /// category and setting).
    pub answers: OptionCounts,
}

/// Adds up interviews' contents.
pub fn aggregate(contents: &[&InterviewContent]) -> InterviewAggregate {
    let mut agg = InterviewAggregate::default();
    for c in contents {
        agg.interviews += 1;
        agg.workers += c.workers();
        if c.answers.get("setup.consent").and_then(Value::as_str) == Some("yes") {
            agg.consented += 1;
        }
        for (item, value) in &c.answers {
            let options: Vec<&str> = match value {
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                // Free-text notes are not counted (they are read one by one).
                Value::String(s)
                    if !item.ends_with("_notes")
                        && item != "credibility.notes"
                        && item != "setup.language_other" =>
                {
                    vec![s.as_str()]
                }
                _ => continue,
            };
            for o in options {
                *agg.answers
                    .entry(item.clone())
                    .or_default()
                    .entry(o.to_owned())
                    .or_default() += 1;
            }
        }
        if let Some(d) = c.answers.get("topics.documents").and_then(Value::as_str) {
            *agg.documents_held.entry(d.to_owned()).or_default() += 1;
        }
        if c.answers
            .get("credibility.signs")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
        {
            agg.coaching_or_fear += 1;
        }
        for worker in &c.fees_reported {
            if worker.passport_held_by_employer == Some(true) {
                agg.passports_held_by_employer += 1;
            }
            if let (Some(amount), Some(currency)) =
                (worker.reimbursed_amount, &worker.reimbursed_currency)
            {
                agg.fees_by_currency
                    .entry(currency.clone())
                    .or_default()
                    .reimbursed += amount;
            }
            if worker.fees.is_empty() {
                continue;
            }
            agg.workers_reporting_fees += 1;
            if worker.fees.iter().any(|f| f.financed_by_loan == Some(true)) {
                agg.workers_with_loans += 1;
            }
            let mut currencies: Vec<&str> = Vec::new();
            for fee in &worker.fees {
                agg.fees_by_currency
                    .entry(fee.currency.clone())
                    .or_default()
                    .paid += fee.amount;
                *agg.fees_by_category
                    .entry(fee.category.clone())
                    .or_default()
                    .entry(fee.currency.clone())
                    .or_default() += fee.amount;
                if !currencies.contains(&fee.currency.as_str()) {
                    currencies.push(&fee.currency);
                }
            }
            for cur in currencies {
                agg.fees_by_currency
                    .entry(cur.to_owned())
                    .or_default()
                    .workers += 1;
            }
        }
    }
    agg
}

impl Store {
    /// Opens every sealed interview of an audit with a reviewer's identity. An
    /// interview that was not sealed to this key, or whose ciphertext was changed
    /// (including a ciphertext copied from another interview), is reported with
    /// the reason instead of its content.
    pub fn review_interviews(
        &self,
        audit_id: Uuid,
        identity: &age::x25519::Identity,
    ) -> Result<Vec<ReviewedInterview>> {
        let rows = select_rows(
            self.conn(),
            EntityKind::Interview,
            "audit_id = ?1 AND coalesce(deleted, 0) = 0 AND sealed IS NOT NULL ORDER BY conducted_on, id",
            [audit_id.to_string()],
        )?;
        let mut out = Vec::new();
        for row in rows {
            let summary = summary(&row)?;
            let sealed = row
                .get("sealed")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let content = crypto::open(sealed, identity).and_then(|mut plain| {
                let payload: std::result::Result<SealedPayload, _> = serde_json::from_slice(&plain);
                plain.fill(0);
                let payload = payload
                    .map_err(|e| OpenError::Tampered(format!("the content does not parse: {e}")))?;
                if payload.interview_id != summary.id || payload.audit_id != audit_id {
                    return Err(OpenError::Tampered(
                        "it was sealed for another interview or audit and copied here".into(),
                    ));
                }
                Ok(payload.content)
            });
            out.push(ReviewedInterview { summary, content });
        }
        Ok(out)
    }

    /// Opens an audit's interviews and adds them up ([`aggregate`]).
    pub fn interview_aggregate(
        &self,
        audit_id: Uuid,
        identity: &age::x25519::Identity,
    ) -> Result<(Vec<ReviewedInterview>, InterviewAggregate)> {
        let reviewed = self.review_interviews(audit_id, identity)?;
        let opened: Vec<&InterviewContent> = reviewed
            .iter()
            .filter_map(|r| r.content.as_ref().ok())
            .collect();
        let mut agg = aggregate(&opened);
        agg.unreadable = (reviewed.len() - opened.len()) as u32;
        Ok((reviewed, agg))
    }
}
