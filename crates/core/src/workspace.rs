//! The audit workspace as a screen shows it: a "view model" of one audit.
//!
//! For each checklist of the audit: its sections in order (hidden sections left
//! out), each repeat group with its instances, and in each the **visible** items
//! with their control, text and help in the auditor's language, the current answer
//! and note, the finding the item raises as things stand, its photos, and progress.
//! Visibility, computed values and failing items come from the template rules
//! (`fieldaudit-templates`); the desktop app only draws what this returns, so a
//! conditional item appears or disappears exactly as the store's findings do.

use fieldaudit_protocol::closed_sets::{ActionStatus, FindingStatus};
use fieldaudit_templates::{AnswerType, Severity, Text};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::audits::AuditScore;
use crate::evaluation::{self, Evaluation, SectionEvaluation};
use crate::model::{Attachment, Audit};
use crate::{CoreError, Result, Store};

/// One audit, ready to draw.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditWorkspace {
    /// The audit row.
    pub audit: Audit,
    /// The audited facility's name, when known on this device.
    pub facility_name: Option<String>,
    /// The checklists, in the audit's order.
    pub checklists: Vec<ChecklistView>,
    /// Visible items to answer across the audit.
    pub items: u32,
    /// Of those, answered (a photo item counts once it has a photo).
    pub answered: u32,
    /// Conformance, open findings and the indicative score.
    pub score: AuditScore,
}

/// One checklist of an audit.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChecklistView {
    /// Template id.
    pub template_id: String,
    /// Pinned template version.
    pub version: u32,
    /// Title in the requested language.
    pub title: String,
    /// Whether answers are confidential (worker interviews).
    pub confidential: bool,
    /// Visible sections in display order.
    pub sections: Vec<SectionView>,
}

/// A visible section (or repeat group).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SectionView {
    /// Section id, unique in its template.
    pub id: String,
    /// Heading.
    pub title: String,
    /// Guidance for the whole section.
    pub help: Option<String>,
    /// Present for repeat groups.
    pub repeat: Option<RepeatView>,
    /// One instance for an ordinary section (`instance_id` null); one per added
    /// instance for a repeat group (possibly none yet).
    pub instances: Vec<InstanceView>,
    /// Visible items to answer across the instances.
    pub items: u32,
    /// Of those, answered.
    pub answered: u32,
}

/// How a repeat group repeats, and whether another instance may be added.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RepeatView {
    /// What one instance is called ("Floor", "Building").
    pub label: String,
    /// Fewest instances expected.
    pub min: u32,
    /// Most instances allowed.
    pub max: Option<u32>,
    /// Whether the maximum leaves room for another.
    pub can_add: bool,
}

/// One filling of a section: the section itself, or one repeat instance.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InstanceView {
    /// The repeat instance, for repeat groups.
    pub instance_id: Option<Uuid>,
    /// The instance's label ("Ground floor"), for repeat groups.
    pub label: Option<String>,
    /// Visible items in display order.
    pub items: Vec<ItemView>,
    /// Visible items to answer (computed ones excluded).
    pub total: u32,
    /// Of those, answered.
    pub answered: u32,
    /// Answered items with a pass/fail rule, not N/A.
    pub applicable: u32,
    /// Of those, not raising a non-conformance.
    pub conforming: u32,
}

/// A visible item with everything its row on screen shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ItemView {
    /// Item id, unique in its template.
    pub id: String,
    /// The question.
    pub text: String,
    /// What to check and how.
    pub help: Option<String>,
    /// The control to draw.
    pub control: Control,
    /// Whether "N/A" is an accepted answer.
    pub allow_na: bool,
    /// Whether photo evidence is expected.
    pub evidence_photo: bool,
    /// Whether the value is computed from other answers (read-only).
    pub computed: bool,
    /// The answer (or computed value); null when unanswered.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub value: Option<Value>,
    /// The auditor's note.
    pub note: Option<String>,
    /// The id the answer is (or will be) stored under; photos attach to it.
    pub answer_id: Uuid,
    /// The finding this item raises as answered now (`critical`, `major`, …).
    pub failing: Option<Severity>,
    /// The most severe finding the item can raise (a "critical item" badge).
    pub max_severity: Option<Severity>,
    /// Photos and documents attached to this item's answer.
    pub attachments: Vec<Attachment>,
}

/// The kind of answer control, with what it needs.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Control {
    /// Yes / No (and N/A when allowed).
    YesNo,
    /// A number.
    Number {
        /// Smallest accepted value.
        min: Option<f64>,
        /// Largest accepted value.
        max: Option<f64>,
        /// Unit shown beside the field.
        unit: Option<String>,
        /// Whole numbers only.
        integer: bool,
    },
    /// A calendar date.
    Date,
    /// Free text.
    Text,
    /// One or several options.
    Choice {
        /// Options in display order.
        options: Vec<OptionView>,
        /// Whether several may be chosen.
        multiple: bool,
    },
    /// Photo evidence (attachments; no value).
    Photo,
}

/// One option of a choice control.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OptionView {
    /// Stored id.
    pub id: String,
    /// Label.
    pub text: String,
    /// The finding choosing it raises.
    pub severity: Option<Severity>,
}

/// A built-in checklist offered when starting an audit.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChecklistChoice {
    /// Template id.
    pub template_id: String,
    /// Newest version (what a new audit pins).
    pub version: u32,
    /// Title in the requested language.
    pub title: String,
    /// What it covers.
    pub description: Option<String>,
    /// Whether answers are confidential.
    pub confidential: bool,
}

/// The newest version of every built-in checklist, with text in `lang`.
pub fn checklist_choices(lang: &str) -> Vec<ChecklistChoice> {
    let mut ids: Vec<&str> = Vec::new();
    for t in fieldaudit_templates::builtin() {
        if !ids.contains(&t.id.as_str()) {
            ids.push(&t.id);
        }
    }
    ids.into_iter()
        .filter_map(fieldaudit_templates::builtin_latest)
        .map(|t| ChecklistChoice {
            template_id: t.id.clone(),
            version: t.version,
            title: t.title.get(lang).to_owned(),
            description: t.description.as_ref().map(|d| d.get(lang).to_owned()),
            confidential: t.confidential,
        })
        .collect()
}

pub(crate) fn text(t: &Text, lang: &str) -> String {
    t.get(lang).to_owned()
}

pub(crate) fn control_of(item: &fieldaudit_templates::Item, lang: &str) -> Control {
    match &item.answer {
        AnswerType::YesNo => Control::YesNo,
        AnswerType::Number { min, max, unit } => Control::Number { min: *min, max: *max, unit: unit.as_ref().map(|u| text(u, lang)), integer: item.integer },
        AnswerType::Date => Control::Date,
        AnswerType::Text => Control::Text,
        AnswerType::Choice { options, multiple } => Control::Choice {
            options: options
                .iter()
                .map(|o| OptionView {
                    id: o.id.clone(),
                    text: text(&o.text, lang),
                    severity: o.severity,
                })
                .collect(),
            multiple: *multiple,
        },
        AnswerType::Photo => Control::Photo,
    }
}

impl Store {
    /// The audit as the workspace screen shows it, with text in `lang` (falling
    /// back to English). Progress, visibility and failing items come from the
    /// audit's [`Evaluation`], the same one the score and the findings read.
    pub fn workspace(&self, audit_id: Uuid, lang: &str) -> Result<AuditWorkspace> {
        let audit = self.audit(audit_id)?;
        let facility_name = match audit.facility_id {
            Some(f) => self.facility(f).ok().and_then(|f| f.name),
            None => None,
        };
        let answers = self.answers(audit_id)?;
        let instances = self.repeat_instances(audit_id)?;
        let attachments = self.attachments(audit_id, None)?;
        let score = self.score(audit_id)?;
        let day = evaluation::audit_day(&audit);

        let mut checklists = Vec::new();
        for checklist in audit.checklists.clone().unwrap_or_default() {
            let template =
                fieldaudit_templates::builtin_template(&checklist.template_id, checklist.version)
                    .ok_or_else(|| {
                    CoreError::not_found(
                        "checklist",
                        format!("{}@{}", checklist.template_id, checklist.version),
                    )
                })?;
            if template.confidential {
                // Worker interviews have their own encrypted screen; never a plain checklist.
                continue;
            }
            let eval = Evaluation::new(audit_id, template, &answers, &instances, &attachments, day);
            let sections = eval
                .sections
                .iter()
                .map(|section| section_view(&eval, section, &attachments, lang))
                .collect();
            checklists.push(ChecklistView {
                template_id: checklist.template_id.clone(),
                version: checklist.version,
                title: text(&template.title, lang),
                confidential: template.confidential,
                sections,
            });
        }
        let items = checklists
            .iter()
            .flat_map(|c| &c.sections)
            .map(|s| s.items)
            .sum();
        let answered = checklists
            .iter()
            .flat_map(|c| &c.sections)
            .map(|s| s.answered)
            .sum();
        Ok(AuditWorkspace {
            audit,
            facility_name,
            checklists,
            items,
            answered,
            score,
        })
    }
}

fn section_view(
    eval: &Evaluation<'_>,
    section: &SectionEvaluation<'_>,
    attachments: &[Attachment],
    lang: &str,
) -> SectionView {
    let template = eval.template;
    let count = section.scopes.len() as u32;
    let views: Vec<InstanceView> = section
        .scopes
        .iter()
        .map(|scope| InstanceView {
            instance_id: scope.instance_id,
            label: scope.label.clone(),
            total: scope.total(),
            answered: scope.answered(),
            applicable: scope.applicable(),
            conforming: scope.conforming(),
            items: scope
                .items
                .iter()
                .map(|e| {
                    let item = e.item;
                    let answer_id = e.answer_id.to_string();
                    ItemView {
                        id: item.id.clone(),
                        text: text(&item.text, lang),
                        help: item.help.as_ref().map(|h| text(h, lang)),
                        control: control_of(item, lang),
                        allow_na: item.allow_na,
                        evidence_photo: item.evidence_photo,
                        computed: e.computed,
                        value: e.value.clone(),
                        note: eval.answers.note(template, &item.id, scope.instance_id),
                        answer_id: e.answer_id,
                        failing: e.failing,
                        max_severity: item.max_severity(),
                        attachments: attachments
                            .iter()
                            .filter(|a| a.subject_id.as_deref() == Some(answer_id.as_str()))
                            .cloned()
                            .collect(),
                    }
                })
                .collect(),
        })
        .collect();
    let s = section.section;
    SectionView {
        id: s.id.clone(),
        title: text(&s.title, lang),
        help: s.help.as_ref().map(|h| text(h, lang)),
        repeat: s.repeat.as_ref().map(|r| RepeatView {
            label: text(&r.label, lang),
            min: r.min,
            max: r.max,
            can_add: r.max.is_none_or(|m| count < m),
        }),
        items: views.iter().map(|v| v.total).sum(),
        answered: views.iter().map(|v| v.answered).sum(),
        instances: views,
    }
}

/// A facility with its audits and the corrective actions still open across them.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FacilityPage {
    /// The facility.
    pub facility: crate::model::Facility,
    /// Its audits, newest first.
    pub audits: Vec<Audit>,
    /// Open corrective actions (open, in progress or disputed) of open findings.
    pub open_actions: Vec<OpenAction>,
}

/// A corrective action still open, with its finding and audit.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OpenAction {
    /// The audit the finding was raised in.
    pub audit_id: Uuid,
    /// The finding.
    pub finding: crate::model::Finding,
    /// The action.
    pub action: crate::model::CorrectiveAction,
}

impl Store {
    /// A facility's page: its audits and open corrective actions, most severe first,
    /// findings titled in `lang`.
    pub fn facility_page(&self, facility_id: Uuid, lang: &str) -> Result<FacilityPage> {
        let facility = self.facility(facility_id)?;
        let audits = self.audits(Some(facility_id))?;
        let mut open_actions = Vec::new();
        for audit in &audits {
            for f in self.findings_in(audit.id, lang)? {
                if f.finding.status != Some(FindingStatus::Open) {
                    continue;
                }
                for a in f.actions.iter().filter(|a| a.status.is_some_and(ActionStatus::is_outstanding)) {
                    open_actions.push(OpenAction { audit_id: audit.id, finding: f.finding.clone(), action: a.clone() });
                }
            }
        }
        Ok(FacilityPage {
            facility,
            audits,
            open_actions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audits::NewAudit;
    use fieldaudit_protocol::closed_sets::{AuditType, Notice};
    use crate::import::FacilityRecord;
    use crate::model::ChecklistRef;
    use chrono::NaiveDate;
    use serde_json::json;

    fn setup() -> (tempfile::TempDir, Store, Uuid) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::create(dir.path(), "laptop A").expect("store");
        let facility = store
            .add_facility(&FacilityRecord {
                name: "Mill".into(),
                country_code: "BD".into(),
                ..Default::default()
            })
            .expect("facility");
        let audit = store
            .start_audit(&NewAudit {
                facility_id: facility,
                checklists: vec![ChecklistRef { template_id: "fire-safety".into(), version: 1 }],
                audit_type: AuditType::Initial,
                notice: Notice::Announced,
                start_date: NaiveDate::from_ymd_opt(2026, 11, 24).expect("date"),
                end_date: None,
                auditors: vec!["A".into()],
            })
            .expect("audit");
        (dir, store, audit)
    }

    #[test]
    fn repeat_groups_show_their_instances_and_failing_items() {
        let (_d, mut store, audit) = setup();
        let ws = store.workspace(audit, "en").expect("workspace");
        let floor = &ws.checklists[0].sections[0];
        assert_eq!(floor.id, "floor");
        assert!(floor.repeat.as_ref().is_some_and(|r| r.can_add));
        assert!(floor.instances.is_empty(), "no floor added yet");
        assert_eq!(ws.facility_name.as_deref(), Some("Mill"));

        let ground = store
            .add_repeat_instance(audit, "fire-safety", "floor", "Ground")
            .expect("floor");
        store
            .record_answer(
                audit,
                "fire-safety",
                "floor.exit_locked",
                Some(ground),
                json!("yes"),
            )
            .expect("answer");
        let ws = store.workspace(audit, "en").expect("workspace");
        let inst = &ws.checklists[0].sections[0].instances[0];
        assert_eq!(inst.label.as_deref(), Some("Ground"));
        let item = inst
            .items
            .iter()
            .find(|i| i.id == "floor.exit_locked")
            .expect("item");
        assert_eq!(item.failing, Some(Severity::Critical));
        assert_eq!(item.value, Some(json!("yes")));
        assert_eq!(inst.answered, 1);
        assert_eq!(inst.applicable, 1);
        assert_eq!(inst.conforming, 0);
        assert_eq!(ws.answered, 1);
    }

    #[test]
    fn photos_count_as_answers_and_notes_show() {
        let (_d, mut store, audit) = setup();
        let ground = store
            .add_repeat_instance(audit, "fire-safety", "floor", "")
            .expect("floor");
        store
            .set_answer_note(
                audit,
                "fire-safety",
                "floor.exit_locked",
                Some(ground),
                "chain on door 3",
            )
            .expect("note");
        let ws = store.workspace(audit, "en").expect("workspace");
        let item = ws.checklists[0].sections[0].instances[0]
            .items
            .iter()
            .find(|i| i.id == "floor.exit_locked")
            .expect("item");
        assert_eq!(item.note.as_deref(), Some("chain on door 3"));
        let photo_item = ws.checklists[0]
            .sections
            .iter()
            .flat_map(|s| &s.instances)
            .flat_map(|i| &i.items)
            .find(|i| i.control == Control::Photo);
        if let Some(p) = photo_item {
            let before = ws.answered;
            store
                .add_attachment(
                    audit,
                    "answer",
                    p.answer_id,
                    "a.png",
                    "image/png",
                    b"png-bytes",
                )
                .expect("attach");
            let ws = store.workspace(audit, "en").expect("workspace");
            assert_eq!(ws.answered, before + 1);
        }
    }

    #[test]
    fn a_facility_page_lists_its_audits_and_open_actions() {
        let (_d, mut store, audit) = setup();
        let facility = store.audit(audit).expect("audit").facility_id.expect("facility");
        assert!(store.facility_page(facility, "en").expect("page").open_actions.is_empty());
        let ground = store.add_repeat_instance(audit, "fire-safety", "floor", "Ground").expect("floor");
        store.record_answer(audit, "fire-safety", "floor.exit_locked", Some(ground), json!("yes")).expect("answer");
        let page = store.facility_page(facility, "en").expect("page");
        assert_eq!(page.audits.len(), 1);
        assert_eq!(page.open_actions.len(), 1);
        assert_eq!(page.open_actions[0].finding.severity, Some(Severity::Critical));
        store.record_answer(audit, "fire-safety", "floor.exit_locked", Some(ground), json!("no")).expect("answer");
        assert!(store.facility_page(facility, "en").expect("page").open_actions.is_empty(), "finding closed");
    }

    #[test]
    fn findings_store_the_item_and_read_in_the_readers_language() {
        let (_d, mut store, audit) = setup();
        let facility = store.audit(audit).expect("audit").facility_id.expect("facility");
        let ground = store.add_repeat_instance(audit, "fire-safety", "floor", "Ground").expect("floor");
        store.record_answer(audit, "fire-safety", "floor.exit_locked", Some(ground), json!("yes")).expect("answer");
        let id = store.findings(audit).expect("findings")[0].finding.id;
        let stored: crate::model::Finding = store.get(fieldaudit_protocol::EntityKind::Finding, id).expect("read").expect("row");
        assert_eq!(stored.title, None, "the finding stores its item, not a copy of the English text");
        assert_eq!(stored.item_id.as_deref(), Some("floor.exit_locked"));
        let title = |lang: &str| store.findings_in(audit, lang).expect("findings")[0].finding.title.clone();
        assert_eq!(title("en").as_deref(), Some("Is any exit locked, chained or otherwise impossible to open from the inside while workers are on the floor?"));
        assert_eq!(title("zh-Hans").as_deref(), Some("工人在岗时，是否有任何安全出口被上锁、用链条锁住或以其他方式无法从内部打开？"));
        assert_eq!(title("bn").as_deref(), Some("শ্রমিকরা তলায় থাকার সময় কোনো বহির্গমন পথ কি তালাবদ্ধ, শিকল দিয়ে আটকানো বা অন্য কোনোভাবে ভেতর থেকে খোলা অসম্ভব?"));
        assert_eq!(title("fr"), title("en"), "a language the checklist lacks falls back to English");
        let page = store.facility_page(facility, "vi").expect("page");
        assert!(page.open_actions[0].finding.title.as_deref().is_some_and(|t| t.starts_with("Khi công nhân")), "{:?}", page.open_actions[0].finding.title);
        // A finding raised by hand keeps the title its author wrote, in any language.
        store.raise_finding(audit, Severity::Minor, "Chemical store unlocked", "").expect("manual finding");
        assert!(store.findings_in(audit, "hi").expect("findings").iter().any(|f| f.finding.title.as_deref() == Some("Chemical store unlocked")));
    }

    #[test]
    fn every_builtin_checklist_is_offered_once() {
        let choices = checklist_choices("en");
        assert_eq!(choices.len(), 9);
        assert!(choices.iter().any(|c| c.template_id == "fire-safety"));
        let mut ids: Vec<_> = choices.iter().map(|c| &c.template_id).collect();
        ids.dedup();
        assert_eq!(ids.len(), 9);
    }
}
