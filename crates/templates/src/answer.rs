//! Answers against items: checking an answer's JSON shape
//! ([`Item::validate_answer`]) and turning an answer into a finding
//! ([`Item::evaluate`]).

use chrono::NaiveDate;
use serde_json::Value;

use crate::model::{AnswerType, FailWhen, Item};
use crate::Severity;

/// The answer value meaning "not applicable", accepted on items with `allow_na`.
pub const NOT_APPLICABLE: &str = "na";

/// Parses a strict `YYYY-MM-DD` date (zero-padded, nothing else).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("\"{}\"", s.chars().take(40).collect::<String>()),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

impl Item {
    /// Checks an answer value's JSON shape: yes_no → `"yes"`|`"no"`; number → a
    /// JSON number within min/max (whole if `integer`); date → `"YYYY-MM-DD"`; text
    /// → a string; choice → an option id (an array of distinct ids if multiple);
    /// photo → `null` (photos are attachments). `"na"` is accepted when the item
    /// allows N/A. Computed items take no answer.
    ///
    /// `Err` is a human message saying what is expected.
    pub fn validate_answer(&self, value: &Value) -> Result<(), String> {
        if self.compute.is_some() {
            return Err(format!(
                "`{}` is computed from other answers and cannot be answered",
                self.id
            ));
        }
        if self.allow_na && value.as_str() == Some(NOT_APPLICABLE) {
            return Ok(());
        }
        let na = if self.allow_na { " or \"na\"" } else { "" };
        let got = describe(value);
        match &self.answer {
            AnswerType::YesNo => match value.as_str() {
                Some("yes" | "no") => Ok(()),
                _ => Err(format!("expected \"yes\" or \"no\"{na}, got {got}")),
            },
            AnswerType::Number { min, max, unit } => {
                let Some(n) = value.as_f64().filter(|_| value.is_number()) else {
                    return Err(format!("expected a number{na}, got {got}"));
                };
                let unit = unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
                if self.integer && n.fract() != 0.0 {
                    return Err(format!("expected a whole number{na}, got {got}"));
                }
                if let Some(lo) = min.filter(|lo| n < *lo) {
                    return Err(format!(
                        "expected a number of at least {}{unit}, got {got}",
                        fmt_num(lo)
                    ));
                }
                if let Some(hi) = max.filter(|hi| n > *hi) {
                    return Err(format!(
                        "expected a number of at most {}{unit}, got {got}",
                        fmt_num(hi)
                    ));
                }
                Ok(())
            }
            AnswerType::Date => match value.as_str().map(parse_date) {
                Some(Some(_)) => Ok(()),
                _ => Err(format!("expected a date as YYYY-MM-DD{na}, got {got}")),
            },
            AnswerType::Text => match value {
                Value::String(_) => Ok(()),
                _ => Err(format!("expected text{na}, got {got}")),
            },
            AnswerType::Choice { options, multiple } => {
                let ids: Vec<&str> = options.iter().map(|o| o.id.as_str()).collect();
                let known = || format!("one of: {}", ids.join(", "));
                if *multiple {
                    let Some(chosen) = value.as_array() else {
                        return Err(format!(
                            "expected a list of option ids ({}){na}, got {got}",
                            known()
                        ));
                    };
                    let mut seen: Vec<&str> = Vec::with_capacity(chosen.len());
                    for c in chosen {
                        match c.as_str() {
                            Some(id) if ids.contains(&id) => {
                                if seen.contains(&id) {
                                    return Err(format!("option \"{id}\" is chosen twice"));
                                }
                                seen.push(id);
                            }
                            _ => {
                                return Err(format!(
                                    "expected option ids ({}), got {}",
                                    known(),
                                    describe(c)
                                ))
                            }
                        }
                    }
                    Ok(())
                } else {
                    match value.as_str() {
                        Some(id) if ids.contains(&id) => Ok(()),
                        _ => Err(format!("expected {}{na}, got {got}", known())),
                    }
                }
            }
            AnswerType::Photo => match value {
                Value::Null => Ok(()),
                _ => Err(format!(
                    "a photo item's answer must be null (photos are attachments), got {got}"
                )),
            },
        }
    }

    /// The severity of the finding this answer raises, or `None` if it passes,
    /// is N/A, has no fail rule, or is not a valid answer for the item (check with
    /// [`Item::validate_answer`] first). When several rules match, the most severe
    /// wins. `today` is for date rules (e.g. last drill older than 365 days).
    pub fn evaluate(&self, value: &Value, today: NaiveDate) -> Option<Severity> {
        if value.as_str() == Some(NOT_APPLICABLE) && self.allow_na {
            return None;
        }
        match &self.answer {
            AnswerType::YesNo => {
                let v = value.as_str()?;
                self.fail
                    .iter()
                    .filter(|r| matches!(&r.when, FailWhen::Answer(a) if a == v))
                    .map(|r| r.severity)
                    .max()
            }
            AnswerType::Number { .. } => {
                let n = value.as_f64().filter(|_| value.is_number())?;
                self.fail
                    .iter()
                    .filter(|r| match r.when {
                        FailWhen::Above(t) => n > t,
                        FailWhen::Below(t) => n < t,
                        _ => false,
                    })
                    .map(|r| r.severity)
                    .max()
            }
            AnswerType::Date => {
                let date = parse_date(value.as_str()?)?;
                let age = today.signed_duration_since(date).num_days();
                self.fail
                    .iter()
                    .filter(|r| matches!(r.when, FailWhen::OlderThanDays(d) if age > i64::from(d)))
                    .map(|r| r.severity)
                    .max()
            }
            AnswerType::Choice { .. } => {
                let chosen: Vec<&str> = match value {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => return None,
                };
                chosen
                    .into_iter()
                    .filter_map(|id| self.option(id).and_then(|o| o.severity))
                    .max()
            }
            AnswerType::Text | AnswerType::Photo => None,
        }
    }
}
