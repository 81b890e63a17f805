//! What a worker interview records: the answers to the confidential
//! `worker-interview` checklist (categories, consent, topics, signs of coaching or
//! fear) and the recruitment fees the workers report. Categories and bands only:
//! there is no field for a worker's name, ID number, phone or photo, and free text
//! that looks like an ID or phone number or an e-mail address is refused.

use std::collections::BTreeMap;

use fieldaudit_protocol::closed_sets::{ClosedSet, FeeCategory, MigrantType, PaidTo, PaidWhen, RecruitmentChannel, ReimbursementStatus};
use fieldaudit_templates::{AnswerType, Template};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{CoreError, Result};

/// The checklist an interview answers.
pub const INTERVIEW_TEMPLATE: &str = "worker-interview";

/// When the worker's recruitment fees were paid.
pub const PAID_WHEN: &[&str] = PaidWhen::NAMES;
/// Who was paid.
pub const PAID_TO: &[&str] = PaidTo::NAMES;
/// How the worker was recruited.
pub const CHANNELS: &[&str] = RecruitmentChannel::NAMES;
/// Migrant status.
pub const MIGRANT_TYPES: &[&str] = MigrantType::NAMES;
/// Reimbursement status.
pub const REIMBURSEMENT: &[&str] = ReimbursementStatus::NAMES;
/// Recruitment-fee categories.
const FEE_CATEGORIES: &[&str] = FeeCategory::NAMES;

/// The confidential content of one interview. Sealed on finalisation; never stored
/// in the clear.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterviewContent {
    /// Answers to the `worker-interview` checklist, by item id (e.g.
    /// `"topics.fees": "paid"`, `"category.shift": ["night"]`).
    pub answers: BTreeMap<String, Value>,
    /// Recruitment fees reported, one entry per worker who reported any (a group
    /// interview may have several). No reference to the worker at all.
    pub fees_reported: Vec<ReportedFees>,
}

/// The recruitment fees one (unnamed) worker reported: the fee record of DOMAIN.md
/// without any worker reference.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReportedFees {
    /// `foreign`, `internal`, `local` or `undocumented`.
    pub migrant_type: Option<String>,
    /// Country of origin, ISO 3166 alpha-2.
    pub origin_country: Option<String>,
    /// `direct`, `agency`, `broker` or `self_applied`.
    pub channel: Option<String>,
    /// The fees paid.
    pub fees: Vec<ReportedFee>,
    /// `none`, `promised`, `partial` or `full`.
    pub reimbursement: Option<String>,
    /// Amount reimbursed so far (in `reimbursed_currency`).
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub reimbursed_amount: Option<Decimal>,
    /// ISO 4217 currency of the reimbursement.
    pub reimbursed_currency: Option<String>,
    /// Whether the employer holds the worker's passport.
    pub passport_held_by_employer: Option<bool>,
}

/// One fee a worker reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReportedFee {
    /// Category (`placement`, `visa`, … the registry's `FEE_CATEGORIES`).
    pub category: String,
    /// Amount paid (decimal, never a float).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub amount: Decimal,
    /// ISO 4217 currency.
    pub currency: String,
    /// Who was paid (one of [`PAID_TO`]).
    pub paid_to: Option<String>,
    /// When (one of [`PAID_WHEN`]).
    pub paid_when: Option<String>,
    /// Whether the worker took a loan to pay it.
    pub financed_by_loan: Option<bool>,
    /// Free-text note (checked like every note: no ID or phone numbers).
    pub note: Option<String>,
}

/// The interview checklist (the newest built-in version).
pub fn interview_template() -> Result<&'static Template> {
    fieldaudit_templates::builtin_latest(INTERVIEW_TEMPLATE)
        .ok_or_else(|| CoreError::Invalid(format!("the built-in {INTERVIEW_TEMPLATE} checklist is missing from this build; reinstall FieldAudit")))
}

/// Refuses free text that looks like it identifies a person: a run of 9 or more
/// digits (ID, passport and phone numbers; amounts written with thousands
/// separators such as `25,000,000` are fine), a `+` followed by digits (a phone
/// number) or an e-mail address. A guard, not a proof: names cannot be detected,
/// so interviewers are told never to write them.
pub fn check_free_text(field: &str, text: &str) -> Result<()> {
    let refuse = |what: &str| {
        Err(CoreError::Invalid(format!(
            "{field}: the text contains what looks like {what}; never record a worker's name, ID, passport or phone number — describe the category instead"
        )))
    };
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit()
            || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            // A run of digits joined by spaces, hyphens, dots, slashes or brackets.
            let start = i;
            let mut digits = 0;
            let mut group = 0;
            let mut groups_of_three = true;
            let mut separators = 0;
            let mut j = i;
            while j < chars.len() {
                let c = chars[j];
                if c.is_ascii_digit() {
                    digits += 1;
                    group += 1;
                } else if matches!(c, ' ' | '-' | '/' | '(' | ')' | '.' | ',' | '+')
                    && chars
                        .get(j + 1)
                        .is_some_and(|n| n.is_ascii_digit() || *n == '(')
                {
                    if matches!(c, ',' | '.') && separators > 0 && group != 3 {
                        groups_of_three = false;
                    }
                    if !matches!(c, ',' | '.') {
                        groups_of_three = false;
                    }
                    separators += 1;
                    group = 0;
                } else {
                    break;
                }
                j += 1;
            }
            let amount_like = groups_of_three && separators > 0 && group == 3;
            if chars[start] == '+' && digits >= 7 {
                return refuse("a phone number");
            }
            if digits >= 9 && !amount_like {
                return refuse("an ID or phone number");
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    let looks_like_email = text.split_whitespace().any(|w| {
        let mut parts = w.split('@');
        matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(b), None) if !a.is_empty() && b.contains('.'))
    });
    if looks_like_email {
        return refuse("an e-mail address");
    }
    Ok(())
}

fn one_of(field: &str, value: &Option<String>, options: &[&str]) -> Result<()> {
    match value {
        Some(v) if !options.contains(&v.as_str()) => Err(CoreError::Invalid(format!(
            "{field}: {v:?} is not one of {}",
            options.join(", ")
        ))),
        _ => Ok(()),
    }
}

fn upper_code(field: &str, value: &Option<String>, len: usize, example: &str) -> Result<()> {
    match value {
        Some(v) if !(v.len() == len && v.bytes().all(|b| b.is_ascii_uppercase())) => Err(
            CoreError::Invalid(format!("{field}: {v:?} is not a code such as {example}")),
        ),
        _ => Ok(()),
    }
}

impl InterviewContent {
    /// Checks every answer against the interview checklist (known item, valid
    /// answer, free text without ID or phone numbers) and every reported fee.
    /// The error names the field and what to write instead.
    pub fn validate(&self) -> Result<()> {
        let template = interview_template()?;
        for (item_id, value) in &self.answers {
            let Some((_, item)) = template.item(item_id) else {
                return Err(CoreError::Invalid(format!(
                    "the interview checklist has no item {item_id:?}; see `fieldaudit template show {INTERVIEW_TEMPLATE}`"
                )));
            };
            if value.is_null() {
                continue;
            }
            item.validate_answer(value)
                .map_err(|e| CoreError::Invalid(format!("{item_id}: {e}")))?;
            if let (AnswerType::Text, Some(text)) = (&item.answer, value.as_str()) {
                check_free_text(item_id, text)?;
            }
        }
        for (i, worker) in self.fees_reported.iter().enumerate() {
            let at = |f: &str| format!("fees_reported[{i}].{f}");
            one_of(&at("migrant_type"), &worker.migrant_type, MIGRANT_TYPES)?;
            one_of(&at("channel"), &worker.channel, CHANNELS)?;
            one_of(&at("reimbursement"), &worker.reimbursement, REIMBURSEMENT)?;
            upper_code(&at("origin_country"), &worker.origin_country, 2, "BD")?;
            upper_code(
                &at("reimbursed_currency"),
                &worker.reimbursed_currency,
                3,
                "USD",
            )?;
            if worker
                .reimbursed_amount
                .is_some_and(|a| a.is_sign_negative())
            {
                return Err(CoreError::Invalid(format!(
                    "{}: cannot be negative",
                    at("reimbursed_amount")
                )));
            }
            if worker.reimbursed_amount.is_some() != worker.reimbursed_currency.is_some() {
                return Err(CoreError::Invalid(format!(
                    "{}: give both the amount and its currency",
                    at("reimbursed_amount")
                )));
            }
            for (j, fee) in worker.fees.iter().enumerate() {
                let at = |f: &str| format!("fees_reported[{i}].fees[{j}].{f}");
                if !FEE_CATEGORIES.contains(&fee.category.as_str()) {
                    return Err(CoreError::Invalid(format!(
                        "{}: {:?} is not one of {}",
                        at("category"),
                        fee.category,
                        FEE_CATEGORIES.join(", ")
                    )));
                }
                if fee.amount <= Decimal::ZERO {
                    return Err(CoreError::Invalid(format!(
                        "{}: a fee must be more than zero, got {}",
                        at("amount"),
                        fee.amount
                    )));
                }
                upper_code(&at("currency"), &Some(fee.currency.clone()), 3, "USD")?;
                one_of(&at("paid_to"), &fee.paid_to, PAID_TO)?;
                one_of(&at("paid_when"), &fee.paid_when, PAID_WHEN)?;
                if let Some(note) = &fee.note {
                    check_free_text(&at("note"), note)?;
                }
            }
        }
        Ok(())
    }

    /// The content as it is sealed: answers to items the checklist hides (e.g.
    /// everything after a refused consent) and empty answers are dropped, so
    /// nothing the interviewer was told not to record is kept. Without consent no
    /// fees are kept either.
    pub fn for_sealing(&self) -> Result<InterviewContent> {
        let template = interview_template()?;
        let lookup = |id: &str| self.answers.get(id).filter(|v| !v.is_null()).cloned();
        let answers: BTreeMap<String, Value> = self
            .answers
            .iter()
            .filter(|(id, v)| !v.is_null() && template.is_visible(id, &lookup))
            .map(|(id, v)| (id.clone(), v.clone()))
            .collect();
        let consented = answers.get("setup.consent").and_then(Value::as_str) == Some("yes");
        Ok(InterviewContent {
            answers,
            fees_reported: if consented {
                self.fees_reported.clone()
            } else {
                Vec::new()
            },
        })
    }

    /// `individual` or `group`, as answered.
    pub fn format(&self) -> Option<&str> {
        self.answers.get("setup.format").and_then(Value::as_str)
    }

    /// The interview language's option id (e.g. `bengali`; `other` for another
    /// language, whose name stays sealed).
    pub fn language(&self) -> Option<&str> {
        self.answers.get("setup.language").and_then(Value::as_str)
    }

    /// The language tag checklist text has for the interview's language
    /// (`bengali` → `bn`), when the checklist carries it; `None` for languages it
    /// does not (Thai, another language, ...) or before the question is answered.
    pub fn language_tag(&self) -> Option<&'static str> {
        match self.language()? {
            "chinese" => Some("zh-Hans"),
            "bengali" => Some("bn"),
            "vietnamese" => Some("vi"),
            "hindi" => Some("hi"),
            "english" => Some("en"),
            _ => None,
        }
    }

    /// How many workers took part (1, or the group size).
    pub fn workers(&self) -> u32 {
        match self.format() {
            Some("group") => self
                .answers
                .get("setup.group_size")
                .and_then(Value::as_u64)
                .map_or(1, |n| n as u32),
            _ => 1,
        }
    }

    /// Sets an answer from text typed at a prompt or on the command line: a choice
    /// item with several answers takes comma-separated option ids, a number item a
    /// number, other items the text as is. An empty text clears the answer.
    pub fn set_answer_text(&mut self, item_id: &str, text: &str) -> Result<()> {
        let template = interview_template()?;
        let Some((_, item)) = template.item(item_id) else {
            return Err(CoreError::Invalid(format!(
                "the interview checklist has no item {item_id:?}; see `fieldaudit template show {INTERVIEW_TEMPLATE}`"
            )));
        };
        let text = text.trim();
        let value = if text.is_empty() {
            Value::Null
        } else {
            match &item.answer {
                AnswerType::Choice { multiple: true, .. } => Value::Array(
                    text.split(',')
                        .map(|s| Value::String(s.trim().to_owned()))
                        .filter(|v| v != "")
                        .collect(),
                ),
                AnswerType::Number { .. } => match text.parse::<f64>() {
                    Ok(n) if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 => {
                        Value::from(n as i64)
                    }
                    Ok(n) if n.is_finite() => Value::from(n),
                    _ => {
                        return Err(CoreError::Invalid(format!(
                            "{item_id}: expected a number, got {text:?}"
                        )))
                    }
                },
                _ => Value::String(text.to_owned()),
            }
        };
        let mut next = self.clone();
        if value.is_null() {
            next.answers.remove(item_id);
        } else {
            next.answers.insert(item_id.to_owned(), value);
        }
        next.validate()?;
        *self = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identifying_text_is_refused_and_amounts_pass() {
        for ok in [
            "paid 15000 taka to the agent in Dhaka",
            "about 25,000,000 rupiah before departure",
            "fee of 25.000.000 IDR",
            "worked 72 hours in week 12; 3 days off in 2 months",
            "",
        ] {
            assert!(check_free_text("note", ok).is_ok(), "{ok}");
        }
        for bad in [
            "her number is 01712345678",
            "call +880 1712 345678",
            "NID 1990 2691 0345 6",
            "id 11010519491231002X",
            "write to rahima@example.org",
            "phone 0171-234-5678",
        ] {
            let e = check_free_text("topics.fees_notes", bad)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("topics.fees_notes") && e.contains("never record"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn answers_are_checked_against_the_checklist() {
        let mut c = InterviewContent::default();
        c.set_answer_text("setup.format", "group").unwrap();
        c.set_answer_text("setup.group_size", "4").unwrap();
        c.set_answer_text("category.shift", "night, day").unwrap();
        assert_eq!(c.answers["setup.group_size"], json!(4));
        assert_eq!(c.answers["category.shift"], json!(["night", "day"]));
        assert_eq!(c.workers(), 4);
        assert!(c.set_answer_text("setup.group_size", "9").is_err());
        assert!(c
            .set_answer_text("category.worker_name", "x")
            .unwrap_err()
            .to_string()
            .contains("no item"));
        assert!(c
            .set_answer_text("topics.pay_notes", "her phone 017 1234 5678")
            .is_err());
        // A refused value leaves the content unchanged.
        assert_eq!(c.answers.len(), 3);
        c.set_answer_text("category.shift", "").unwrap();
        assert!(!c.answers.contains_key("category.shift"));
    }

    #[test]
    fn without_consent_nothing_but_the_setting_is_sealed() {
        let mut c = InterviewContent::default();
        c.set_answer_text("setup.format", "individual").unwrap();
        c.set_answer_text("setup.consent", "no").unwrap();
        c.set_answer_text("topics.fees", "paid").unwrap();
        c.fees_reported.push(ReportedFees::default());
        let sealed = c.for_sealing().unwrap();
        assert!(sealed.answers.contains_key("setup.format"));
        assert!(!sealed.answers.contains_key("topics.fees"));
        assert!(sealed.fees_reported.is_empty());
    }

    #[test]
    fn bad_fees_are_refused_with_the_field_named() {
        let fee = ReportedFee {
            category: "visa".into(),
            amount: Decimal::new(1500, 0),
            currency: "usd".into(),
            paid_to: None,
            paid_when: None,
            financed_by_loan: None,
            note: None,
        };
        let c = InterviewContent {
            answers: BTreeMap::new(),
            fees_reported: vec![ReportedFees {
                fees: vec![fee],
                ..Default::default()
            }],
        };
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("fees_reported[0].fees[0].currency"), "{e}");
    }
}
