//! The checked, in-memory form of a template: sections, items, answer types, fail
//! rules, conditions and computed values. Values of these types come out of
//! [`Template::parse_toml`], which has already rejected every mistake it knows of.

use serde::Serialize;

use crate::{Severity, Text};

/// A versioned checklist. An audit pins `(id, version)`; a published version's
/// meaning never changes (a change is a new version in a new file).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Template {
    /// Stable id, e.g. `fire-safety`.
    pub id: String,
    /// Version number, starting at 1.
    pub version: u32,
    /// Title shown to the auditor.
    pub title: Text,
    /// What the checklist covers and how to use it.
    pub description: Option<Text>,
    /// Whether answers are confidential (worker interviews): sealed on
    /// finalisation, never holding a worker's identity, no photos.
    pub confidential: bool,
    /// Sections in display order.
    pub sections: Vec<Section>,
}

/// A group of items. With `repeat`, the whole section is filled once per instance
/// (e.g. once per dormitory building).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// Id, unique within the template.
    pub id: String,
    /// Heading.
    pub title: Text,
    /// Guidance for the whole section.
    pub help: Option<Text>,
    /// Present when the section is a repeat group.
    pub repeat: Option<RepeatSpec>,
    /// When present, the whole section is shown only if this holds. The condition
    /// refers to an item in a non-repeating section.
    pub show_if: Option<Condition>,
    /// Items in display order.
    pub items: Vec<Item>,
}

/// How a repeat group repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepeatSpec {
    /// What one instance is called ("Building", "Agency").
    pub label: Text,
    /// Fewest instances an auditor must fill in (when the section is shown).
    pub min: u32,
    /// Most instances allowed; `None` for no limit.
    pub max: Option<u32>,
}

/// One question on the checklist.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// Stable id, unique within the template; answers are stored against it.
    pub id: String,
    /// The question.
    pub text: Text,
    /// What to check and how, for the auditor.
    pub help: Option<Text>,
    /// The kind of answer expected.
    pub answer: AnswerType,
    /// Whether "na" (not applicable) is an accepted answer.
    pub allow_na: bool,
    /// When present, the item is shown only if this holds.
    pub show_if: Option<Condition>,
    /// Whether photo evidence is expected (typically when the item fails).
    pub evidence_photo: bool,
    /// Whether the finding this item raises is a material safety issue that stops
    /// production until fixed (locked exits, imminent danger at machines). Not
    /// every critical finding does: held passports are critical but do not stop
    /// the line.
    pub blocks_production: bool,
    /// For number answers: only whole numbers are accepted (counts).
    pub integer: bool,
    /// Rules that turn an answer into a finding. Choice items carry their
    /// severities on their options instead.
    pub fail: Vec<FailRule>,
    /// When present, the value is computed from other answers (not answered);
    /// the answer type is then `Number`.
    pub compute: Option<Computed>,
}

/// The kind of answer an item takes, and the JSON shape of that answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AnswerType {
    /// `"yes"` or `"no"`.
    YesNo,
    /// A JSON number, optionally bounded (inclusive) and with a unit.
    Number {
        /// Smallest accepted value.
        min: Option<f64>,
        /// Largest accepted value.
        max: Option<f64>,
        /// Unit shown next to the field ("m²", "hours", "%").
        unit: Option<Text>,
    },
    /// A calendar date, `"YYYY-MM-DD"`.
    Date,
    /// Free text.
    Text,
    /// One option id, or an array of option ids when `multiple`.
    Choice {
        /// The options, in display order.
        options: Vec<ChoiceOption>,
        /// Whether several options may be chosen.
        multiple: bool,
    },
    /// A photo; the answer value is `null`, the photos are attachments.
    Photo,
}

impl AnswerType {
    /// The name used in template files (`yes_no`, `number`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            AnswerType::YesNo => "yes_no",
            AnswerType::Number { .. } => "number",
            AnswerType::Date => "date",
            AnswerType::Text => "text",
            AnswerType::Choice { .. } => "choice",
            AnswerType::Photo => "photo",
        }
    }
}

/// One option of a choice item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChoiceOption {
    /// Stable id stored as the answer.
    pub id: String,
    /// Label.
    pub text: Text,
    /// The finding raised when this option is chosen, if any.
    pub severity: Option<Severity>,
}

/// A rule raising a finding of `severity` when the answer matches `when`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailRule {
    /// The failing answers.
    pub when: FailWhen,
    /// The severity of the finding raised.
    pub severity: Severity,
}

/// Which answers fail.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailWhen {
    /// A yes/no answer equal to this (`"yes"` or `"no"`).
    Answer(String),
    /// A number strictly greater than this.
    Above(f64),
    /// A number strictly less than this.
    Below(f64),
    /// A date more than this many days before today.
    OlderThanDays(u32),
}

/// A condition on another item's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    /// The item whose answer is tested.
    pub item: String,
    /// The test.
    pub test: ConditionTest,
}

/// The test a [`Condition`] applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionTest {
    /// The answer is this value (a yes/no value, an option id, or `"na"`). For a
    /// multiple choice, the value is among those chosen.
    Equals(String),
    /// The answer is one of these values (for a multiple choice: any is chosen).
    AnyOf(Vec<String>),
    /// The answer is a number strictly greater than this.
    Above(f64),
    /// The answer is a number strictly less than this.
    Below(f64),
}

impl Condition {
    /// Whether `value` (the referenced item's answer) satisfies the condition.
    pub fn matches(&self, value: &serde_json::Value) -> bool {
        let is = |wanted: &str| match value {
            serde_json::Value::String(s) => s == wanted,
            serde_json::Value::Array(chosen) => chosen.iter().any(|c| c.as_str() == Some(wanted)),
            _ => false,
        };
        match &self.test {
            ConditionTest::Equals(v) => is(v),
            ConditionTest::AnyOf(vs) => vs.iter().any(|v| is(v)),
            ConditionTest::Above(t) => value.as_f64().is_some_and(|n| n > *t),
            ConditionTest::Below(t) => value.as_f64().is_some_and(|n| n < *t),
        }
    }
}

/// How a computed item's value is derived from other (number) answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Computed {
    /// `numerator / denominator`, e.g. floor area per resident. No value while
    /// either is unanswered or the denominator is zero.
    Ratio {
        /// Item id of the dividend.
        numerator: String,
        /// Item id of the divisor.
        denominator: String,
    },
}

impl Computed {
    /// The item ids this value is computed from.
    pub fn inputs(&self) -> Vec<&str> {
        match self {
            Computed::Ratio {
                numerator,
                denominator,
            } => vec![numerator, denominator],
        }
    }
}

impl Item {
    /// The most severe finding this item can raise, if any (for showing "critical
    /// item" badges and for planning).
    pub fn max_severity(&self) -> Option<Severity> {
        let from_rules = self.fail.iter().map(|r| r.severity);
        let from_options = match &self.answer {
            AnswerType::Choice { options, .. } => {
                options.iter().filter_map(|o| o.severity).collect()
            }
            _ => Vec::new(),
        };
        from_rules.chain(from_options).max()
    }

    /// The option with this id, for choice items.
    pub fn option(&self, id: &str) -> Option<&ChoiceOption> {
        match &self.answer {
            AnswerType::Choice { options, .. } => options.iter().find(|o| o.id == id),
            _ => None,
        }
    }
}

impl Template {
    /// The item with this id and the section holding it.
    pub fn item(&self, item_id: &str) -> Option<(&Section, &Item)> {
        self.sections
            .iter()
            .find_map(|s| s.items.iter().find(|i| i.id == item_id).map(|i| (s, i)))
    }

    /// The section with this id.
    pub fn section(&self, section_id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id == section_id)
    }

    /// Every text of the template with where it is, in display order, e.g.
    /// `("item floor.exit_locked: help", &Text)`: titles, descriptions, section
    /// help, repeat labels, questions, help, options and units.
    pub fn texts(&self) -> Vec<(String, &Text)> {
        let mut all = vec![("title".to_owned(), &self.title)];
        if let Some(d) = &self.description {
            all.push(("description".into(), d));
        }
        for s in &self.sections {
            all.push((format!("section {}: title", s.id), &s.title));
            if let Some(h) = &s.help {
                all.push((format!("section {}: help", s.id), h));
            }
            if let Some(r) = &s.repeat {
                all.push((format!("section {}: repeat label", s.id), &r.label));
            }
            for i in &s.items {
                all.push((format!("item {}: text", i.id), &i.text));
                if let Some(h) = &i.help {
                    all.push((format!("item {}: help", i.id), h));
                }
                match &i.answer {
                    AnswerType::Choice { options, .. } => {
                        for o in options {
                            all.push((format!("item {}: option {}", i.id, o.id), &o.text));
                        }
                    }
                    AnswerType::Number { unit: Some(u), .. } => {
                        all.push((format!("item {}: unit", i.id), u));
                    }
                    _ => {}
                }
            }
        }
        all
    }

    /// Where the template has no text in `lang` (it falls back to English there),
    /// e.g. `["title", "section floor: title", "item floor.exit_locked: help"]`:
    /// a translator's to-do list. Empty for `en`.
    pub fn untranslated(&self, lang: &str) -> Vec<String> {
        self.texts()
            .into_iter()
            .filter(|(_, t)| !t.has(lang))
            .map(|(what, _)| what)
            .collect()
    }

    /// Every item, in display order, with its section.
    pub fn items(&self) -> impl Iterator<Item = (&Section, &Item)> {
        self.sections
            .iter()
            .flat_map(|s| s.items.iter().map(move |i| (s, i)))
    }

    /// Whether an item is shown, given how other items are answered.
    ///
    /// `answer_of(item_id)` returns that item's current value in the same repeat
    /// instance or, for non-repeat items, the audit. An item is shown when its
    /// section's condition and its own condition hold **and** the items those
    /// conditions refer to are themselves shown (an answer left behind on a hidden
    /// item does not reveal anything). An unknown item id is not visible.
    pub fn is_visible(
        &self,
        item_id: &str,
        answer_of: &dyn Fn(&str) -> Option<serde_json::Value>,
    ) -> bool {
        self.visible_at_depth(item_id, answer_of, 0)
    }

    /// Whether a whole section is shown (see [`Template::is_visible`]). An unknown
    /// section id is not visible.
    pub fn is_section_visible(
        &self,
        section_id: &str,
        answer_of: &dyn Fn(&str) -> Option<serde_json::Value>,
    ) -> bool {
        match self.section(section_id) {
            Some(section) => self.condition_holds(section.show_if.as_ref(), answer_of, 0),
            None => false,
        }
    }

    fn visible_at_depth(
        &self,
        item_id: &str,
        answer_of: &dyn Fn(&str) -> Option<serde_json::Value>,
        depth: usize,
    ) -> bool {
        let Some((section, item)) = self.item(item_id) else {
            return false;
        };
        self.condition_holds(section.show_if.as_ref(), answer_of, depth)
            && self.condition_holds(item.show_if.as_ref(), answer_of, depth)
    }

    fn condition_holds(
        &self,
        condition: Option<&Condition>,
        answer_of: &dyn Fn(&str) -> Option<serde_json::Value>,
        depth: usize,
    ) -> bool {
        let Some(cond) = condition else {
            return true;
        };
        // Parsed templates have no condition cycles; this bound keeps a hand-built
        // template with a cycle from recursing forever.
        if depth > self.items().count() {
            return false;
        }
        self.visible_at_depth(&cond.item, answer_of, depth + 1)
            && answer_of(&cond.item).is_some_and(|v| cond.matches(&v))
    }

    /// The value of a computed item from the answers it depends on, as a JSON
    /// number; `None` if the item is not computed, an input is unanswered or not a
    /// number, or the result is not finite (division by zero).
    pub fn compute(
        &self,
        item_id: &str,
        answer_of: &dyn Fn(&str) -> Option<serde_json::Value>,
    ) -> Option<serde_json::Value> {
        let (_, item) = self.item(item_id)?;
        let number = |id: &str| answer_of(id).and_then(|v| v.as_f64());
        let value = match item.compute.as_ref()? {
            Computed::Ratio {
                numerator,
                denominator,
            } => {
                let d = number(denominator)?;
                if d == 0.0 {
                    return None;
                }
                number(numerator)? / d
            }
        };
        serde_json::Number::from_f64(value).map(serde_json::Value::Number)
    }

    /// The finding an item raises as things stand: `None` when it is hidden,
    /// unanswered or passes. Computed items are computed first; others are
    /// evaluated on `answer_of(item_id)`.
    pub fn evaluate_item(
        &self,
        item_id: &str,
        answer_of: &dyn Fn(&str) -> Option<serde_json::Value>,
        today: chrono::NaiveDate,
    ) -> Option<Severity> {
        let (_, item) = self.item(item_id)?;
        if !self.is_visible(item_id, answer_of) {
            return None;
        }
        let value = if item.compute.is_some() {
            self.compute(item_id, answer_of)?
        } else {
            answer_of(item_id)?
        };
        item.evaluate(&value, today)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::{json, Value};

    use super::*;
    use crate::test_fixture::sample;

    fn answers(pairs: &[(&str, Value)]) -> impl Fn(&str) -> Option<Value> {
        let map: HashMap<String, Value> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        move |id: &str| map.get(id).cloned()
    }

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
    }

    #[test]
    fn item_lookup() {
        let t = sample();
        let (section, item) = t.item("building.bunks").expect("item");
        assert_eq!(section.id, "building");
        assert_eq!(item.answer, AnswerType::YesNo);
        assert!(t.item("building").is_none());
        assert_eq!(t.items().count(), 15);
        assert_eq!(
            t.item("site.blocked")
                .and_then(|(_, i)| i.option("blocked"))
                .map(|o| o.severity),
            Some(Some(Severity::Critical))
        );
        assert_eq!(
            t.item("site.hours").and_then(|(_, i)| i.max_severity()),
            Some(Severity::Critical)
        );
        assert_eq!(
            t.item("site.workers").and_then(|(_, i)| i.max_severity()),
            None
        );
    }

    #[test]
    fn unconditional_items_are_visible_and_unknown_ones_are_not() {
        let t = sample();
        let none = answers(&[]);
        assert!(t.is_visible("site.exit_locked", &none));
        assert!(!t.is_visible("site.nope", &none));
    }

    #[test]
    fn equals_condition() {
        let t = sample();
        assert!(t.is_visible("site.last_drill", &answers(&[("site.plan", json!("yes"))])));
        assert!(!t.is_visible("site.last_drill", &answers(&[("site.plan", json!("no"))])));
        assert!(!t.is_visible("site.last_drill", &answers(&[("site.plan", json!("na"))])));
        assert!(
            !t.is_visible("site.last_drill", &answers(&[])),
            "unanswered hides"
        );
    }

    #[test]
    fn any_of_condition() {
        let t = sample();
        assert!(t.is_visible(
            "site.blocked_where",
            &answers(&[("site.blocked", json!("partly"))])
        ));
        assert!(t.is_visible(
            "site.blocked_where",
            &answers(&[("site.blocked", json!("blocked"))])
        ));
        assert!(!t.is_visible(
            "site.blocked_where",
            &answers(&[("site.blocked", json!("clear"))])
        ));
    }

    #[test]
    fn number_condition_is_strict() {
        let t = sample();
        let shown = |n: Value| {
            t.is_visible(
                "building.bunks",
                &answers(&[("site.dorms", json!("yes")), ("building.residents", n)]),
            )
        };
        assert!(shown(json!(1)));
        assert!(!shown(json!(0)));
        assert!(!shown(json!("5")));
    }

    #[test]
    fn section_condition_hides_all_its_items() {
        let t = sample();
        let no = answers(&[
            ("site.dorms", json!("no")),
            ("building.residents", json!(40)),
        ]);
        assert!(!t.is_section_visible("building", &no));
        assert!(!t.is_visible("building.area", &no));
        assert!(
            !t.is_visible("building.bunks", &no),
            "hidden with its section even though its own condition holds"
        );
        let yes = answers(&[("site.dorms", json!("yes"))]);
        assert!(t.is_section_visible("building", &yes));
        assert!(t.is_visible("building.area", &yes));
        assert!(t.is_section_visible("site", &answers(&[])));
        assert!(!t.is_section_visible("nope", &yes));
    }

    #[test]
    fn hidden_items_do_not_reveal_their_dependants() {
        // building.followup ← building.bunks ← building.residents > 0 (and the section's site.dorms).
        let src = format!(
            "{}\n[[sections.items]]\nid = \"building.followup\"\ntext.en = \"F\"\nanswer = \"yes_no\"\nshow_if = {{ item = \"building.bunks\", equals = \"yes\" }}\n",
            crate::test_fixture::SAMPLE
        );
        let t = Template::parse_toml(&src, "x.toml").expect("parses");
        let stale = answers(&[
            ("site.dorms", json!("yes")),
            ("building.residents", json!(0)),
            ("building.bunks", json!("yes")),
        ]);
        assert!(!t.is_visible("building.bunks", &stale));
        assert!(
            !t.is_visible("building.followup", &stale),
            "a stale answer on a hidden item reveals nothing"
        );
        let live = answers(&[
            ("site.dorms", json!("yes")),
            ("building.residents", json!(3)),
            ("building.bunks", json!("yes")),
        ]);
        assert!(t.is_visible("building.followup", &live));
    }

    #[test]
    fn multiple_choice_condition_matches_any_chosen() {
        let c = Condition {
            item: "x".into(),
            test: ConditionTest::Equals("b".into()),
        };
        assert!(c.matches(&json!(["a", "b"])));
        assert!(!c.matches(&json!(["a"])));
        assert!(!c.matches(&json!(null)));
        let c = Condition {
            item: "x".into(),
            test: ConditionTest::AnyOf(vec!["c".into(), "b".into()]),
        };
        assert!(c.matches(&json!(["b"])));
        assert!(c.matches(&json!("c")));
        assert!(!c.matches(&json!("a")));
    }

    #[test]
    fn hand_built_cycle_does_not_hang() {
        let mut t = sample();
        // Make site.plan depend on site.last_drill, which depends on site.plan.
        if let Some(item) = t.sections[0].items.iter_mut().find(|i| i.id == "site.plan") {
            item.show_if = Some(Condition {
                item: "site.last_drill".into(),
                test: ConditionTest::Equals("2026-01-01".into()),
            });
        }
        assert!(!t.is_visible("site.last_drill", &answers(&[("site.plan", json!("yes"))])));
    }

    #[test]
    fn compute_ratio() {
        let t = sample();
        let a = answers(&[
            ("building.area", json!(90)),
            ("building.residents", json!(60)),
        ]);
        assert_eq!(t.compute("building.per_person", &a), Some(json!(1.5)));
        assert_eq!(
            t.compute(
                "building.per_person",
                &answers(&[("building.area", json!(90))])
            ),
            None
        );
        assert_eq!(
            t.compute(
                "building.per_person",
                &answers(&[
                    ("building.area", json!(90)),
                    ("building.residents", json!(0))
                ])
            ),
            None,
            "division by zero has no value"
        );
        assert_eq!(t.compute("building.area", &a), None, "not a computed item");
        assert_eq!(t.compute("nope", &a), None);
    }

    #[test]
    fn evaluate_item_respects_visibility_and_computation() {
        let t = sample();
        let cramped = answers(&[
            ("site.dorms", json!("yes")),
            ("building.area", json!(90)),
            ("building.residents", json!(60)),
        ]);
        assert_eq!(
            t.evaluate_item("building.per_person", &cramped, today()),
            Some(Severity::Major)
        );
        let roomy = answers(&[
            ("site.dorms", json!("yes")),
            ("building.area", json!(120)),
            ("building.residents", json!(60)),
        ]);
        assert_eq!(
            t.evaluate_item("building.per_person", &roomy, today()),
            None,
            "exactly 2 m² passes"
        );
        let no_dorms = answers(&[
            ("site.dorms", json!("no")),
            ("building.area", json!(90)),
            ("building.residents", json!(60)),
        ]);
        assert_eq!(
            t.evaluate_item("building.per_person", &no_dorms, today()),
            None,
            "hidden section raises nothing"
        );
        // A stale answer on a hidden item raises nothing.
        let stale = answers(&[
            ("site.plan", json!("no")),
            ("site.last_drill", json!("2020-01-01")),
        ]);
        assert_eq!(t.evaluate_item("site.last_drill", &stale, today()), None);
        let shown = answers(&[
            ("site.plan", json!("yes")),
            ("site.last_drill", json!("2020-01-01")),
        ]);
        assert_eq!(
            t.evaluate_item("site.last_drill", &shown, today()),
            Some(Severity::Major)
        );
        assert_eq!(
            t.evaluate_item(
                "site.exit_locked",
                &answers(&[("site.exit_locked", json!("yes"))]),
                today()
            ),
            Some(Severity::Critical)
        );
        assert_eq!(
            t.evaluate_item("site.exit_locked", &answers(&[]), today()),
            None,
            "unanswered"
        );
    }

    #[test]
    fn untranslated_lists_what_a_translator_must_do() {
        let src = "id = \"t\"\nversion = 1\ntitle = { en = \"T\", vi = \"T vi\" }\n\
            [[sections]]\nid = \"s\"\ntitle.en = \"S\"\n\
            [[sections.items]]\nid = \"s.a\"\ntext = { en = \"A\", vi = \"A vi\" }\nhelp.en = \"H\"\nanswer = \"choice\"\n\
            options = [{ id = \"x\", text = { en = \"X\", vi = \"X vi\" } }, { id = \"y\", text.en = \"Y\" }]\n";
        let t = Template::parse_toml(src, "t.toml").expect("parses");
        assert_eq!(
            t.untranslated("vi"),
            vec!["section s: title", "item s.a: help", "item s.a: option y"]
        );
        assert_eq!(t.untranslated("bn").len(), 6);
        assert!(t.untranslated("en").is_empty());
    }

    #[test]
    fn serialises_for_the_ui() {
        let t = sample();
        let v = serde_json::to_value(&t).unwrap_or_default();
        assert_eq!(v["id"], json!("sample"));
        assert_eq!(
            v["sections"][0]["items"][0]["answer"],
            json!({"type": "yes_no"})
        );
        assert_eq!(
            v["sections"][0]["items"][0]["fail"][0],
            json!({"when": {"answer": "yes"}, "severity": "critical"})
        );
        assert_eq!(
            v["sections"][1]["repeat"],
            json!({"label": {"en": "Building"}, "min": 1, "max": 5})
        );
    }
}
