//! Audit evaluation: the one place that decides, from an audit's answers, photos
//! and repeat instances, which items are shown, what counts as answered, which
//! items conform and which fail with what severity.
//!
//! The score ([`crate::Store::score`]), the findings an answer raises or closes
//! ([`crate::audits`]), the workspace screen ([`crate::workspace`]) and the
//! reports all read an [`Evaluation`], so the app's progress, the CLI's score and a
//! report can never disagree about the same audit.
//!
//! Rules:
//! - An item of a repeat section is read in its instance; other items at audit level.
//! - A section applies once (no instance) or once per live repeat instance of it.
//! - An item counts when it is visible (its own and its section's conditions hold)
//!   and is not computed. It is answered when it has a value, or, for a photo item,
//!   when a photo is attached to its answer.
//! - It is applicable when it is answered, not N/A, and can raise a non-conformance;
//!   it conforms when applicable and not failing with a non-conformance.
//! - Date rules are judged on the audit's first day, so a report reads the same later.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use fieldaudit_templates::{AnswerType, Item, Section, Severity, Template};
use serde_json::Value;
use uuid::Uuid;

use crate::model::{self, Answer, Attachment, Audit, RepeatInstance};

/// The day date rules are judged on: the audit's first day, or today when it has none.
pub fn audit_day(audit: &Audit) -> NaiveDate {
    audit
        .start_date
        .as_deref()
        .and_then(fieldaudit_templates::parse_date)
        .unwrap_or_else(|| Utc::now().date_naive())
}

/// Answers (values and notes) of one checklist of an audit, by (instance, item).
pub struct ChecklistAnswers {
    values: HashMap<(Option<Uuid>, String), Value>,
    notes: HashMap<(Option<Uuid>, String), String>,
}

impl ChecklistAnswers {
    /// The live answers of `template_id` among an audit's answers.
    pub fn new(answers: &[Answer], template_id: &str) -> Self {
        let mine = || {
            answers.iter().filter(move |a| {
                a.template_id.as_deref() == Some(template_id) && !model::is_deleted(a.deleted)
            })
        };
        ChecklistAnswers {
            values: mine()
                .filter_map(|a| {
                    Some((
                        (a.instance_id, a.item_id.clone()?),
                        a.value.clone().filter(|v| !v.is_null())?,
                    ))
                })
                .collect(),
            notes: mine()
                .filter_map(|a| Some(((a.instance_id, a.item_id.clone()?), a.note.clone()?)))
                .collect(),
        }
    }

    fn key(
        template: &Template,
        item_id: &str,
        scope: Option<Uuid>,
    ) -> Option<(Option<Uuid>, String)> {
        let (section, _) = template.item(item_id)?;
        let instance = if section.repeat.is_some() {
            scope
        } else {
            None
        };
        Some((instance, item_id.to_owned()))
    }

    /// An item's answer as seen from `scope`: items of repeat sections are read in
    /// the same instance, other items at audit level.
    pub fn lookup(&self, template: &Template, item_id: &str, scope: Option<Uuid>) -> Option<Value> {
        self.values
            .get(&Self::key(template, item_id, scope)?)
            .cloned()
    }

    /// The auditor's note on an item, as seen from `scope`.
    pub fn note(&self, template: &Template, item_id: &str, scope: Option<Uuid>) -> Option<String> {
        self.notes
            .get(&Self::key(template, item_id, scope)?)
            .cloned()
    }
}

/// The scopes a section applies to: `(None, None)` for an ordinary section, one
/// `(instance id, label)` per live repeat instance of a repeat group (possibly none).
pub fn scopes(
    template: &Template,
    section: &Section,
    instances: &[RepeatInstance],
) -> Vec<(Option<Uuid>, Option<String>)> {
    if section.repeat.is_some() {
        instances
            .iter()
            .filter(|i| !model::is_deleted(i.deleted))
            .filter(|i| {
                i.template_id.as_deref() == Some(&template.id)
                    && i.group_id.as_deref() == Some(&section.id)
            })
            .map(|i| (Some(i.id), i.label.clone()))
            .collect()
    } else {
        vec![(None, None)]
    }
}

/// How one visible item stands in one scope.
#[derive(Clone, Debug)]
pub struct ItemEvaluation<'t> {
    /// The template item.
    pub item: &'t Item,
    /// The id its answer is (or will be) stored under; photos attach to it.
    pub answer_id: Uuid,
    /// The answer, or the computed value for computed items.
    pub value: Option<Value>,
    /// Whether the value is computed from other answers.
    pub computed: bool,
    /// Counts towards progress (visible and not computed).
    pub counts: bool,
    /// Has a value, or a photo for a photo item.
    pub answered: bool,
    /// Answered, not N/A, and able to raise a non-conformance.
    pub applicable: bool,
    /// Applicable and not failing with a non-conformance.
    pub conforming: bool,
    /// The finding the item raises as answered now.
    pub failing: Option<Severity>,
}

/// One section in one scope: its visible items.
#[derive(Clone, Debug)]
pub struct ScopeEvaluation<'t> {
    /// The section.
    pub section: &'t Section,
    /// The repeat instance, for repeat groups.
    pub instance_id: Option<Uuid>,
    /// The instance's label, for repeat groups.
    pub label: Option<String>,
    /// Visible items, in template order.
    pub items: Vec<ItemEvaluation<'t>>,
}

impl ScopeEvaluation<'_> {
    /// Items that count towards progress.
    pub fn total(&self) -> u32 {
        self.items.iter().filter(|i| i.counts).count() as u32
    }
    /// Of those, answered.
    pub fn answered(&self) -> u32 {
        self.items.iter().filter(|i| i.counts && i.answered).count() as u32
    }
    /// Applicable items (answered, not N/A, with a pass/fail rule).
    pub fn applicable(&self) -> u32 {
        self.items
            .iter()
            .filter(|i| i.counts && i.applicable)
            .count() as u32
    }
    /// Of those, conforming.
    pub fn conforming(&self) -> u32 {
        self.items
            .iter()
            .filter(|i| i.counts && i.conforming)
            .count() as u32
    }
}

/// One section with the scopes it applies to.
#[derive(Clone, Debug)]
pub struct SectionEvaluation<'t> {
    /// The section.
    pub section: &'t Section,
    /// One per scope (none for a repeat group without instances).
    pub scopes: Vec<ScopeEvaluation<'t>>,
}

/// One checklist of an audit, evaluated.
pub struct Evaluation<'t> {
    /// The pinned template.
    pub template: &'t Template,
    /// Its answers.
    pub answers: ChecklistAnswers,
    /// Visible sections in template order.
    pub sections: Vec<SectionEvaluation<'t>>,
}

impl<'t> Evaluation<'t> {
    /// Evaluates `template` for an audit from its answers, live repeat instances and
    /// attachments, with date rules judged on `day` (see [`audit_day`]).
    pub fn new(
        audit_id: Uuid,
        template: &'t Template,
        answers: &[Answer],
        instances: &[RepeatInstance],
        attachments: &[Attachment],
        day: NaiveDate,
    ) -> Self {
        let answers = ChecklistAnswers::new(answers, &template.id);
        let with_photo: HashSet<&str> = attachments
            .iter()
            .filter(|a| !model::is_deleted(a.deleted))
            .filter_map(|a| a.subject_id.as_deref())
            .collect();
        let mut sections = Vec::new();
        for section in &template.sections {
            if !template
                .is_section_visible(&section.id, &|id: &str| answers.lookup(template, id, None))
            {
                continue;
            }
            let mut out = SectionEvaluation {
                section,
                scopes: Vec::new(),
            };
            for (scope, label) in scopes(template, section, instances) {
                let answer_of = |id: &str| answers.lookup(template, id, scope);
                let mut items = Vec::new();
                for item in &section.items {
                    if !template.is_visible(&item.id, &answer_of) {
                        continue;
                    }
                    let answer_id = model::answer_id(audit_id, &template.id, &item.id, scope);
                    let computed = item.compute.is_some();
                    let value = if computed {
                        template.compute(&item.id, &answer_of)
                    } else {
                        answer_of(&item.id)
                    };
                    let failing = template.evaluate_item(&item.id, &answer_of, day);
                    let has_photo = with_photo.contains(answer_id.to_string().as_str());
                    let answered =
                        value.is_some() || (matches!(item.answer, AnswerType::Photo) && has_photo);
                    let na = value.as_ref().and_then(Value::as_str)
                        == Some(fieldaudit_templates::NOT_APPLICABLE);
                    let applicable = value.is_some()
                        && !na
                        && item
                            .max_severity()
                            .is_some_and(Severity::is_non_conformance);
                    let conforming =
                        applicable && !failing.is_some_and(Severity::is_non_conformance);
                    items.push(ItemEvaluation {
                        item,
                        answer_id,
                        value,
                        computed,
                        counts: !computed,
                        answered,
                        applicable,
                        conforming,
                        failing,
                    });
                }
                out.scopes.push(ScopeEvaluation {
                    section,
                    instance_id: scope,
                    label,
                    items,
                });
            }
            sections.push(out);
        }
        Evaluation {
            template,
            answers,
            sections,
        }
    }

    /// Every visible item that fails now: (scope, item, severity).
    pub fn failing(&self) -> impl Iterator<Item = (Option<Uuid>, &'t Item, Severity)> + '_ {
        self.sections.iter().flat_map(|s| &s.scopes).flat_map(|sc| {
            sc.items
                .iter()
                .filter_map(move |i| i.failing.map(|sev| (sc.instance_id, i.item, sev)))
        })
    }
}

/// The indicative score's penalty for an open finding of this severity (RBA's
/// weights: priority 20, major 4, minor 1).
pub fn penalty(severity: Severity) -> f64 {
    match severity {
        Severity::Critical => 20.0,
        Severity::Major => 4.0,
        Severity::Minor => 1.0,
        Severity::Observation | Severity::GoodPractice => 0.0,
    }
}

/// The band of an indicative score (green > 180, yellow 160–180, red < 160).
pub fn band(score: f64) -> &'static str {
    if score > 180.0 {
        "green"
    } else if score >= 160.0 {
        "yellow"
    } else {
        "red"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The app's progress (workspace) and the CLI's score come from one evaluation:
    /// a photo-only item counts as answered in both once it has a photo.
    #[test]
    fn the_apps_progress_and_the_cli_score_agree() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::Store::create(dir.path(), "laptop").unwrap();
        let facility = crate::test_support::facility(&mut store);
        let audit = store
            .start_audit(&crate::audits::NewAudit {
                facility_id: facility,
                checklists: vec![crate::model::ChecklistRef {
                    template_id: "dormitories".into(),
                    version: 1,
                }],
                audit_type: fieldaudit_protocol::closed_sets::AuditType::Initial,
                notice: fieldaudit_protocol::closed_sets::Notice::Announced,
                start_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
                end_date: None,
                auditors: vec!["Rina".into()],
            })
            .unwrap();
        store
            .record_answer(
                audit,
                "dormitories",
                "provision.provided",
                None,
                json!("yes"),
            )
            .unwrap();
        let building = store
            .add_repeat_instance(audit, "dormitories", "building", "Block A")
            .unwrap();
        store
            .record_answer(
                audit,
                "dormitories",
                "building.drill",
                Some(building),
                json!("no"),
            )
            .unwrap();
        let ws = store.workspace(audit, "en").unwrap();
        let photo = ws
            .checklists
            .iter()
            .flat_map(|c| &c.sections)
            .flat_map(|s| &s.instances)
            .flat_map(|i| &i.items)
            .find(|i| i.control == crate::workspace::Control::Photo)
            .cloned();
        let check = |store: &crate::Store| {
            let ws = store.workspace(audit, "en").unwrap();
            let score = store.score(audit).unwrap();
            assert_eq!(
                (ws.items, ws.answered),
                (score.items, score.answered),
                "workspace progress = score progress"
            );
            let ws_applicable: u32 = ws
                .checklists
                .iter()
                .flat_map(|c| &c.sections)
                .flat_map(|s| &s.instances)
                .map(|i| i.applicable)
                .sum();
            let ws_conforming: u32 = ws
                .checklists
                .iter()
                .flat_map(|c| &c.sections)
                .flat_map(|s| &s.instances)
                .map(|i| i.conforming)
                .sum();
            assert_eq!(
                (ws_applicable, ws_conforming),
                (score.applicable, score.conforming)
            );
            score.answered
        };
        let before = check(&store);
        let photo = photo.expect("the dormitory building has a photo item");
        store
            .add_attachment(
                audit,
                "answer",
                photo.answer_id,
                "exit.jpg",
                "image/jpeg",
                b"jpeg",
            )
            .unwrap();
        let after = check(&store);
        assert_eq!(
            after,
            before + 1,
            "a photo answers a photo item, in the score as in the app"
        );
        store
            .record_answer(
                audit,
                "dormitories",
                "building.drill",
                Some(building),
                json!("yes"),
            )
            .unwrap();
        check(&store);
    }
}
