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
                let unit = unit.as_ref().map(|u| format!(" {}", u.en())).unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::test_fixture::sample;
    use crate::Template;

    fn item<'a>(t: &'a Template, id: &str) -> &'a Item {
        match t.item(id) {
            Some((_, i)) => i,
            None => panic!("no item {id}"),
        }
    }

    fn day(s: &str) -> NaiveDate {
        parse_date(s).unwrap_or_else(|| panic!("bad date {s}"))
    }

    const TODAY: &str = "2026-11-25";

    fn eval(t: &Template, id: &str, v: Value) -> Option<Severity> {
        item(t, id).evaluate(&v, day(TODAY))
    }

    #[test]
    fn strict_dates() {
        assert_eq!(
            parse_date("2026-02-28"),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        for bad in [
            "2026-2-28",
            "2026-02-30",
            "26-02-28",
            "2026/02/28",
            "2026-02-28T00:00",
            " 2026-02-28",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn yes_no_rules_fail_on_the_given_answer() {
        let t = sample();
        assert_eq!(
            eval(&t, "site.exit_locked", json!("yes")),
            Some(Severity::Critical)
        );
        assert_eq!(eval(&t, "site.exit_locked", json!("no")), None);
        assert_eq!(eval(&t, "site.plan", json!("no")), Some(Severity::Major));
        assert_eq!(eval(&t, "site.plan", json!("yes")), None);
        assert_eq!(eval(&t, "site.plan", json!("na")), None);
        // Not an answer: no finding.
        assert_eq!(eval(&t, "site.exit_locked", json!(true)), None);
        assert_eq!(eval(&t, "site.exit_locked", Value::Null), None);
    }

    #[test]
    fn number_rules_are_strict_thresholds_and_the_worst_wins() {
        let t = sample();
        assert_eq!(eval(&t, "site.hours", json!(60)), None, "boundary passes");
        assert_eq!(eval(&t, "site.hours", json!(60.5)), Some(Severity::Major));
        assert_eq!(eval(&t, "site.hours", json!(72)), Some(Severity::Major));
        assert_eq!(eval(&t, "site.hours", json!(73)), Some(Severity::Critical));
        assert_eq!(
            eval(&t, "site.participation", json!(80)),
            None,
            "boundary passes"
        );
        assert_eq!(
            eval(&t, "site.participation", json!(79.9)),
            Some(Severity::Observation)
        );
        assert_eq!(
            eval(&t, "site.hours", json!("61")),
            None,
            "a string is not a number"
        );
        assert_eq!(
            eval(&t, "site.workers", json!(1000)),
            None,
            "no rule, no finding"
        );
    }

    #[test]
    fn date_rules_compare_with_today() {
        let t = sample();
        assert_eq!(
            eval(&t, "site.last_drill", json!("2025-11-25")),
            None,
            "exactly 365 days passes"
        );
        assert_eq!(
            eval(&t, "site.last_drill", json!("2025-11-24")),
            Some(Severity::Major)
        );
        assert_eq!(eval(&t, "site.last_drill", json!("2026-10-01")), None);
        assert_eq!(
            eval(&t, "site.last_drill", json!("2027-01-01")),
            None,
            "a future date is not old"
        );
        assert_eq!(eval(&t, "site.last_drill", json!("not a date")), None);
    }

    #[test]
    fn choice_options_carry_their_severity() {
        let t = sample();
        assert_eq!(eval(&t, "site.blocked", json!("clear")), None);
        assert_eq!(
            eval(&t, "site.blocked", json!("partly")),
            Some(Severity::Major)
        );
        assert_eq!(
            eval(&t, "site.blocked", json!("blocked")),
            Some(Severity::Critical)
        );
        assert_eq!(eval(&t, "site.blocked", json!("unknown")), None);
        assert_eq!(
            eval(&t, "site.hazards", json!(["clutter"])),
            Some(Severity::Minor)
        );
        assert_eq!(
            eval(&t, "site.hazards", json!(["clutter", "wiring"])),
            Some(Severity::Major)
        );
        assert_eq!(eval(&t, "site.hazards", json!([])), None);
    }

    #[test]
    fn text_and_photo_never_fail() {
        let t = sample();
        assert_eq!(eval(&t, "site.blocked_where", json!("stairs B")), None);
        assert_eq!(eval(&t, "site.blocked_photo", Value::Null), None);
    }

    #[test]
    fn validate_yes_no() {
        let t = sample();
        let locked = item(&t, "site.exit_locked");
        assert_eq!(locked.validate_answer(&json!("yes")), Ok(()));
        assert_eq!(locked.validate_answer(&json!("no")), Ok(()));
        assert_eq!(
            locked.validate_answer(&json!("na")),
            Err("expected \"yes\" or \"no\", got \"na\"".into())
        );
        assert_eq!(
            locked.validate_answer(&json!(true)),
            Err("expected \"yes\" or \"no\", got true".into())
        );
        let plan = item(&t, "site.plan");
        assert_eq!(plan.validate_answer(&json!("na")), Ok(()));
        assert_eq!(
            plan.validate_answer(&json!("Yes")),
            Err("expected \"yes\" or \"no\" or \"na\", got \"Yes\"".into())
        );
    }

    #[test]
    fn validate_number() {
        let t = sample();
        let hours = item(&t, "site.hours");
        assert_eq!(hours.validate_answer(&json!(0)), Ok(()));
        assert_eq!(hours.validate_answer(&json!(168)), Ok(()));
        assert_eq!(hours.validate_answer(&json!(61.5)), Ok(()));
        assert_eq!(
            hours.validate_answer(&json!(169)),
            Err("expected a number of at most 168 hours, got 169".into())
        );
        assert_eq!(
            hours.validate_answer(&json!(-1)),
            Err("expected a number of at least 0 hours, got -1".into())
        );
        assert_eq!(
            hours.validate_answer(&json!("61")),
            Err("expected a number, got \"61\"".into())
        );
        assert_eq!(
            hours.validate_answer(&json!(null)),
            Err("expected a number, got null".into())
        );
        let workers = item(&t, "site.workers");
        assert_eq!(workers.validate_answer(&json!(12)), Ok(()));
        assert_eq!(
            workers.validate_answer(&json!(12.5)),
            Err("expected a whole number, got 12.5".into())
        );
    }

    #[test]
    fn validate_date_text_photo() {
        let t = sample();
        let drill = item(&t, "site.last_drill");
        assert_eq!(drill.validate_answer(&json!("2026-03-01")), Ok(()));
        assert_eq!(
            drill.validate_answer(&json!("01/03/2026")),
            Err("expected a date as YYYY-MM-DD, got \"01/03/2026\"".into())
        );
        assert_eq!(
            drill.validate_answer(&json!(20260301)),
            Err("expected a date as YYYY-MM-DD, got 20260301".into())
        );
        let text = item(&t, "site.blocked_where");
        assert_eq!(text.validate_answer(&json!("")), Ok(()));
        assert_eq!(
            text.validate_answer(&json!(["a"])),
            Err("expected text, got a list".into())
        );
        let photo = item(&t, "site.blocked_photo");
        assert_eq!(photo.validate_answer(&Value::Null), Ok(()));
        assert!(photo.validate_answer(&json!("img.jpg")).is_err());
    }

    #[test]
    fn validate_choice() {
        let t = sample();
        let one = item(&t, "site.blocked");
        assert_eq!(one.validate_answer(&json!("partly")), Ok(()));
        assert_eq!(
            one.validate_answer(&json!("open")),
            Err("expected one of: clear, partly, blocked, got \"open\"".into())
        );
        assert!(
            one.validate_answer(&json!(["partly"])).is_err(),
            "single choice takes one id"
        );
        let many = item(&t, "site.hazards");
        assert_eq!(many.validate_answer(&json!([])), Ok(()));
        assert_eq!(
            many.validate_answer(&json!(["wiring", "chemicals"])),
            Ok(())
        );
        assert_eq!(
            many.validate_answer(&json!(["wiring", "wiring"])),
            Err("option \"wiring\" is chosen twice".into())
        );
        assert_eq!(
            many.validate_answer(&json!(["wiring", 3])),
            Err("expected option ids (one of: wiring, clutter, chemicals), got 3".into())
        );
        assert!(
            many.validate_answer(&json!("wiring")).is_err(),
            "multiple choice takes a list"
        );
    }

    #[test]
    fn computed_items_take_no_answer() {
        let t = sample();
        assert_eq!(
            item(&t, "building.per_person").validate_answer(&json!(3)),
            Err(
                "`building.per_person` is computed from other answers and cannot be answered"
                    .into()
            )
        );
        // The computed value itself is evaluated like a number.
        assert_eq!(
            eval(&t, "building.per_person", json!(1.99)),
            Some(Severity::Major)
        );
        assert_eq!(eval(&t, "building.per_person", json!(2)), None);
    }
}
