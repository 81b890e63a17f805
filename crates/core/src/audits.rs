//! Audits: starting one, recording answers, repeat groups, findings and their
//! corrective actions, and scores.
//!
//! Recording an answer re-evaluates the checklist it belongs to in the same
//! transaction: every visible item whose answer fails raises (or updates) its
//! finding, and a finding whose item no longer fails (answer changed, item hidden,
//! repeat instance removed) is closed. Non-conformances get a corrective action with
//! a due date from their severity. Scores are computed from the answers, never
//! stored.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use fieldaudit_protocol::closed_sets::{
    ActionStatus, AuditStatus, AuditType, FindingOrigin, FindingStatus, Notice,
};
use fieldaudit_protocol::EntityKind;
use fieldaudit_templates::{Section, Severity, Template};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::evaluation::{self, Evaluation};
use crate::model::{self, Answer, Audit, ChecklistRef, CorrectiveAction, Finding, RepeatInstance};
use crate::store::{select_rows, Writer};
use crate::{CoreError, Result, Store};

/// What is needed to start an audit.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewAudit {
    /// The facility audited.
    pub facility_id: Uuid,
    /// Checklists to include; each is pinned at the version given.
    pub checklists: Vec<ChecklistRef>,
    /// Initial, periodic or a follow-up.
    pub audit_type: AuditType,
    /// How much notice the site had.
    pub notice: Notice,
    /// First day on site.
    pub start_date: NaiveDate,
    /// Last day on site (closing meeting), if known.
    pub end_date: Option<NaiveDate>,
    /// The audit team.
    pub auditors: Vec<String>,
}

/// Days from the audit's closing meeting to the default corrective-action due date
/// (DOMAIN.md; the fix deadlines are our judgement). `None`: no action by default.
pub fn default_due_days(severity: Severity) -> Option<u64> {
    match severity {
        Severity::Critical => Some(30),
        Severity::Major => Some(60),
        Severity::Minor => Some(90),
        Severity::Observation | Severity::GoodPractice => None,
    }
}

/// Progress and conformance of one section (one instance of a repeat group).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SectionScore {
    /// Template of the section.
    pub template_id: String,
    /// Section id.
    pub section_id: String,
    /// Section title (English).
    pub title: String,
    /// The repeat instance, for repeat groups.
    pub instance_id: Option<Uuid>,
    /// Visible items that take an answer.
    pub items: u32,
    /// Of those, answered.
    pub answered: u32,
    /// Answered items that have a pass/fail rule and are not N/A.
    pub applicable: u32,
    /// Of those, passing (or only an observation / good practice).
    pub conforming: u32,
}

/// The computed score of an audit.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditScore {
    /// Per section (and repeat instance).
    pub sections: Vec<SectionScore>,
    /// Visible answerable items in the audit.
    pub items: u32,
    /// Of those, answered.
    pub answered: u32,
    /// Items with a rule, answered, not N/A.
    pub applicable: u32,
    /// Of those, conforming.
    pub conforming: u32,
    /// `conforming / applicable` as a percentage, when anything is applicable.
    pub conformance_percent: Option<f64>,
    /// Open findings per severity.
    pub open_findings: BTreeMap<String, u32>,
    /// Indicative facility score after RBA's weights (200 × conforming/applicable −
    /// 1 per minor, 4 per major, 20 per critical open finding). A secondary source:
    /// show it labelled "indicative".
    pub indicative_score: Option<f64>,
    /// `green` (> 180), `yellow` (160–180) or `red` (< 160).
    pub indicative_band: Option<String>,
    /// Whether an open corrective action blocks production.
    pub production_blocked: bool,
}

/// A finding with its corrective actions, for lists.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FindingWithActions {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// Its corrective actions.
    pub actions: Vec<CorrectiveAction>,
}

/// Edits to a corrective action; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[allow(missing_docs)]
pub struct ActionUpdate {
    pub root_cause: Option<String>,
    pub corrective_action: Option<String>,
    pub preventive_action: Option<String>,
    pub owner: Option<String>,
    pub due_date: Option<NaiveDate>,
    pub plan_due_date: Option<NaiveDate>,
    pub evidence: Option<String>,
    pub verification_method: Option<String>,
    pub status: Option<ActionStatus>,
    pub production_blocking: Option<bool>,
}

fn template_of(checklist: &ChecklistRef) -> Result<&'static Template> {
    fieldaudit_templates::builtin_template(&checklist.template_id, checklist.version).ok_or_else(
        || {
            CoreError::not_found(
                "template",
                format!("{}@{}", checklist.template_id, checklist.version),
            )
        },
    )
}

fn decode_all<T: serde::de::DeserializeOwned>(
    rows: Vec<serde_json::Map<String, Value>>,
) -> Result<Vec<T>> {
    rows.into_iter()
        .map(|r| {
            serde_json::from_value(Value::Object(r)).map_err(|e| CoreError::Corrupt {
                entity: "row".into(),
                field: "*".into(),
                reason: e.to_string(),
            })
        })
        .collect()
}

impl Store {
    /// Starts an audit of a facility with the given checklists.
    /// A follow-up type starts a follow-up ([`Store::start_follow_up`]), which
    /// carries the facility's earlier findings into it.
    pub fn start_audit(&mut self, new: &NewAudit) -> Result<Uuid> {
        let kind = match new.audit_type {
            AuditType::FullFollowUp => Some(crate::follow_up::FollowUpKind::Full),
            AuditType::PartialFollowUp => Some(crate::follow_up::FollowUpKind::Partial),
            AuditType::Initial | AuditType::Periodic => None,
        };
        if let Some(kind) = kind {
            return self.start_follow_up(&crate::follow_up::NewFollowUp {
                facility_id: new.facility_id,
                kind,
                checklists: new.checklists.clone(),
                notice: new.notice,
                start_date: new.start_date,
                auditors: new.auditors.clone(),
            });
        }
        if new.checklists.is_empty() {
            return Err(CoreError::Invalid(
                "choose at least one checklist for the audit".into(),
            ));
        }
        self.start_audit_unchecked(new)
    }

    /// Starts an audit (a partial follow-up may have no checklist).
    pub(crate) fn start_audit_unchecked(&mut self, new: &NewAudit) -> Result<Uuid> {
        for c in &new.checklists {
            template_of(c)?;
        }
        if let Some(end) = new.end_date {
            if end < new.start_date {
                return Err(CoreError::Invalid(format!(
                    "the end date {end} is before the start date {}",
                    new.start_date
                )));
            }
        }
        let id = Uuid::now_v7();
        // The auditor who starts an audit leads it (reviewers plan audits for a team instead).
        let lead = self
            .signed_in_user()?
            .filter(|u| u.role == fieldaudit_protocol::api::Role::Auditor);
        self.write(|w| {
            if !w.exists(EntityKind::Facility, new.facility_id)? {
                return Err(CoreError::not_found("facility", new.facility_id));
            }
            w.set(
                EntityKind::Audit,
                id,
                &[
                    ("facility_id", json!(new.facility_id.to_string())),
                    ("checklists", json!(new.checklists)),
                    ("audit_type", json!(new.audit_type)),
                    ("notice", json!(new.notice)),
                    ("start_date", json!(new.start_date.to_string())),
                    ("end_date", json!(new.end_date.map(|d| d.to_string()))),
                    ("auditors", json!(new.auditors)),
                    ("status", json!(AuditStatus::Draft)),
                    ("deleted", json!(false)),
                ],
            )?;
            if let Some(me) = &lead {
                crate::teams::write_own_lead(w, id, me)?;
            }
            Ok(())
        })?;
        Ok(id)
    }

    /// One audit.
    pub fn audit(&self, id: Uuid) -> Result<Audit> {
        self.get(EntityKind::Audit, id)?
            .ok_or_else(|| CoreError::not_found("audit", id))
    }

    /// Audits, newest first, optionally of one facility.
    pub fn audits(&self, facility: Option<Uuid>) -> Result<Vec<Audit>> {
        let rows = match facility {
            Some(f) => select_rows(
                self.conn(),
                EntityKind::Audit,
                "coalesce(deleted, 0) = 0 AND facility_id = ?1 ORDER BY start_date DESC, id DESC",
                [f.to_string()],
            )?,
            None => select_rows(
                self.conn(),
                EntityKind::Audit,
                "coalesce(deleted, 0) = 0 ORDER BY start_date DESC, id DESC",
                [],
            )?,
        };
        decode_all(rows)
    }

    /// Records the answer to an item (a value valid for the item's type, `"na"` where
    /// allowed, or `null` to clear it) and updates the audit's findings.
    pub fn record_answer(
        &mut self,
        audit_id: Uuid,
        template_id: &str,
        item_id: &str,
        instance_id: Option<Uuid>,
        value: Value,
    ) -> Result<Uuid> {
        let (audit, template) = self.audit_template(audit_id, template_id)?;
        let (section, item) = template.item(item_id).ok_or_else(|| {
            CoreError::Invalid(format!("checklist {template_id} has no item {item_id:?}; see `fieldaudit template show {template_id}` for item ids"))
        })?;
        check_instance_matches(section, instance_id)?;
        if !value.is_null() {
            item.validate_answer(&value)
                .map_err(|e| CoreError::Invalid(format!("{item_id}: {e}")))?;
        }
        let id = model::answer_id(audit_id, template_id, item_id, instance_id);
        self.write(|w| {
            if let Some(instance) = instance_id {
                check_instance(w, instance, audit_id, template_id, &section.id)?;
            }
            w.set(
                EntityKind::Answer,
                id,
                &answer_fields(
                    audit_id,
                    template_id,
                    item_id,
                    instance_id,
                    &[("value", value)],
                ),
            )?;
            reconcile_findings(w, &audit, template)?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Sets (or clears, with an empty string) the note on an item's answer.
    pub fn set_answer_note(
        &mut self,
        audit_id: Uuid,
        template_id: &str,
        item_id: &str,
        instance_id: Option<Uuid>,
        note: &str,
    ) -> Result<Uuid> {
        let (_, template) = self.audit_template(audit_id, template_id)?;
        let (section, _) = template.item(item_id).ok_or_else(|| {
            CoreError::Invalid(format!("checklist {template_id} has no item {item_id:?}"))
        })?;
        check_instance_matches(section, instance_id)?;
        let id = model::answer_id(audit_id, template_id, item_id, instance_id);
        let note = if note.trim().is_empty() {
            Value::Null
        } else {
            json!(note)
        };
        self.write(|w| {
            w.set(
                EntityKind::Answer,
                id,
                &answer_fields(
                    audit_id,
                    template_id,
                    item_id,
                    instance_id,
                    &[("note", note)],
                ),
            )?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Answers of an audit (not cleared ones).
    pub fn answers(&self, audit_id: Uuid) -> Result<Vec<Answer>> {
        decode_all(select_rows(
            self.conn(),
            EntityKind::Answer,
            "audit_id = ?1 AND coalesce(deleted, 0) = 0 ORDER BY template_id, item_id",
            [audit_id.to_string()],
        )?)
    }

    /// Adds an instance of a repeat group (e.g. another dormitory building).
    pub fn add_repeat_instance(
        &mut self,
        audit_id: Uuid,
        template_id: &str,
        section_id: &str,
        label: &str,
    ) -> Result<Uuid> {
        let (audit, template) = self.audit_template(audit_id, template_id)?;
        let section = template.section(section_id).ok_or_else(|| {
            CoreError::Invalid(format!(
                "checklist {template_id} has no section {section_id:?}"
            ))
        })?;
        let spec = section.repeat.as_ref().ok_or_else(|| {
            CoreError::Invalid(format!(
                "section {section_id} is not a repeat group; it is filled once per audit"
            ))
        })?;
        let existing = self.repeat_instances(audit_id)?;
        let count = existing
            .iter()
            .filter(|i| {
                i.template_id.as_deref() == Some(template_id)
                    && i.group_id.as_deref() == Some(section_id)
            })
            .count();
        if spec.max.is_some_and(|max| count as u32 >= max) {
            return Err(CoreError::Invalid(format!(
                "section {section_id} allows at most {} instances",
                spec.max.unwrap_or_default()
            )));
        }
        let label = if label.trim().is_empty() {
            format!("{} {}", spec.label.en(), count + 1)
        } else {
            label.trim().to_owned()
        };
        let id = Uuid::now_v7();
        self.write(|w| {
            w.set(
                EntityKind::RepeatInstance,
                id,
                &[
                    ("audit_id", json!(audit_id.to_string())),
                    ("template_id", json!(template_id)),
                    ("group_id", json!(section_id)),
                    ("label", json!(label)),
                    ("position", json!(count as i64 + 1)),
                    ("deleted", json!(false)),
                ],
            )?;
            reconcile_findings(w, &audit, template)
        })?;
        Ok(id)
    }

    /// Removes a repeat instance (a tombstone); its findings close.
    pub fn remove_repeat_instance(&mut self, instance_id: Uuid) -> Result<()> {
        let inst: RepeatInstance = self
            .get(EntityKind::RepeatInstance, instance_id)?
            .ok_or_else(|| CoreError::not_found("repeat instance", instance_id))?;
        let audit_id = inst
            .audit_id
            .ok_or_else(|| CoreError::not_found("audit of repeat instance", instance_id))?;
        let template_id = inst.template_id.unwrap_or_default();
        let (audit, template) = self.audit_template(audit_id, &template_id)?;
        self.write(|w| {
            w.set(
                EntityKind::RepeatInstance,
                instance_id,
                &[("deleted", json!(true))],
            )?;
            reconcile_findings(w, &audit, template)
        })
    }

    /// Live repeat instances of an audit, in order.
    pub fn repeat_instances(&self, audit_id: Uuid) -> Result<Vec<RepeatInstance>> {
        decode_all(select_rows(self.conn(), EntityKind::RepeatInstance, "audit_id = ?1 AND coalesce(deleted, 0) = 0 ORDER BY template_id, group_id, position, id", [audit_id.to_string()])?)
    }

    /// Raises a finding by hand (not tied to an item).
    pub fn raise_finding(
        &mut self,
        audit_id: Uuid,
        severity: Severity,
        title: &str,
        description: &str,
    ) -> Result<Uuid> {
        let audit = self.audit(audit_id)?;
        if title.trim().is_empty() {
            return Err(CoreError::Invalid(
                "a finding needs a title that says what was found".into(),
            ));
        }
        let id = Uuid::now_v7();
        self.write(|w| {
            w.set(
                EntityKind::Finding,
                id,
                &[
                    ("audit_id", json!(audit_id.to_string())),
                    ("origin", json!(FindingOrigin::Manual)),
                    ("severity", json!(severity.as_str())),
                    ("title", json!(title.trim())),
                    ("description", json!(description)),
                    ("status", json!(FindingStatus::Open)),
                    ("deleted", json!(false)),
                ],
            )?;
            ensure_default_action(w, &audit, id, severity, false)
        })?;
        Ok(id)
    }

    /// Findings of an audit, most severe first, each with its corrective actions,
    /// item findings titled in English ([`Store::findings_in`] for another language).
    pub fn findings(&self, audit_id: Uuid) -> Result<Vec<FindingWithActions>> {
        self.findings_in(audit_id, "en")
    }

    /// The title of a finding in `lang`: for a finding a checklist item raised, the
    /// item's question in the audit's pinned template version (falling back per
    /// string to English); for a finding raised by hand, the title its author wrote.
    pub fn finding_title(&self, finding: &Finding, lang: &str) -> Option<String> {
        let from_item = || -> Option<String> {
            let audit = self.audit(finding.audit_id?).ok()?;
            let template_id = finding.template_id.as_deref()?;
            let checklist = audit
                .checklists?
                .into_iter()
                .find(|c| c.template_id == template_id)?;
            let template = template_of(&checklist).ok()?;
            let (_, item) = template.item(finding.item_id.as_deref()?)?;
            Some(item.text.get(lang).to_owned())
        };
        match finding.origin {
            Some(FindingOrigin::Item) => from_item().or_else(|| finding.title.clone()),
            _ => finding.title.clone(),
        }
    }

    /// Findings of an audit, most severe first, each with its corrective actions;
    /// `finding.title` is the title in `lang` ([`Store::finding_title`]).
    pub fn findings_in(&self, audit_id: Uuid, lang: &str) -> Result<Vec<FindingWithActions>> {
        let findings: Vec<Finding> = decode_all(select_rows(
            self.conn(),
            EntityKind::Finding,
            "audit_id = ?1 AND coalesce(deleted, 0) = 0",
            [audit_id.to_string()],
        )?)?;
        let actions: Vec<CorrectiveAction> = decode_all(select_rows(
            self.conn(),
            EntityKind::CorrectiveAction,
            "coalesce(deleted, 0) = 0 AND finding_id IN (SELECT id FROM finding WHERE audit_id = ?1) ORDER BY id",
            [audit_id.to_string()],
        )?)?;
        let mut out: Vec<FindingWithActions> = findings
            .into_iter()
            .map(|f| {
                let mine = actions
                    .iter()
                    .filter(|a| a.finding_id == Some(f.id))
                    .cloned()
                    .collect();
                let title = self.finding_title(&f, lang);
                FindingWithActions {
                    finding: Finding { title, ..f },
                    actions: mine,
                }
            })
            .collect();
        let rank = |f: &Finding| {
            (
                f.status != Some(FindingStatus::Open),
                std::cmp::Reverse(f.severity),
                f.id,
            )
        };
        out.sort_by_key(|f| rank(&f.finding));
        Ok(out)
    }

    /// Edits a corrective action.
    pub fn update_action(&mut self, action_id: Uuid, update: &ActionUpdate) -> Result<()> {
        if self
            .get::<CorrectiveAction>(EntityKind::CorrectiveAction, action_id)?
            .is_none()
        {
            return Err(CoreError::not_found("corrective action", action_id));
        }
        let text = |v: &Option<String>| {
            v.as_ref().map(|s| {
                if s.trim().is_empty() {
                    Value::Null
                } else {
                    json!(s)
                }
            })
        };
        let mut fields: Vec<(&str, Value)> = Vec::new();
        let texts = [
            ("root_cause", &update.root_cause),
            ("corrective_action", &update.corrective_action),
            ("preventive_action", &update.preventive_action),
            ("owner", &update.owner),
            ("evidence", &update.evidence),
            ("verification_method", &update.verification_method),
        ];
        for (name, value) in texts {
            if let Some(v) = text(value) {
                fields.push((name, v));
            }
        }
        if let Some(status) = update.status {
            fields.push(("status", json!(status)));
        }
        if let Some(d) = update.due_date {
            fields.push(("due_date", json!(d.to_string())));
        }
        if let Some(d) = update.plan_due_date {
            fields.push(("plan_due_date", json!(d.to_string())));
        }
        if let Some(b) = update.production_blocking {
            fields.push(("production_blocking", json!(b)));
        }
        if let Some(status) = update.status.map(ActionStatus::as_str) {
            fields.extend(crate::office::cap_closure_fields(
                self,
                action_id,
                status,
                Utc::now().date_naive(),
            )?);
        }
        self.write(|w| {
            w.set(EntityKind::CorrectiveAction, action_id, &fields)
                .map(|_| ())
        })
    }

    /// Marks an audit submitted for review.
    pub fn submit_audit(&mut self, audit_id: Uuid) -> Result<()> {
        self.audit(audit_id)?;
        self.write(|w| {
            w.set(
                EntityKind::Audit,
                audit_id,
                &[("status", json!(AuditStatus::Submitted))],
            )
            .map(|_| ())
        })
    }

    /// Progress, conformance and the indicative score of an audit, from its
    /// [`Evaluation`] (the same one the workspace screen and reports read).
    pub fn score(&self, audit_id: Uuid) -> Result<AuditScore> {
        let audit = self.audit(audit_id)?;
        let answers = self.answers(audit_id)?;
        let instances = self.repeat_instances(audit_id)?;
        let attachments = self.attachments(audit_id, None)?;
        let day = evaluation::audit_day(&audit);
        let mut sections = Vec::new();
        for checklist in audit.checklists.clone().unwrap_or_default() {
            let template = template_of(&checklist)?;
            if template.confidential {
                continue;
            }
            let eval = Evaluation::new(audit_id, template, &answers, &instances, &attachments, day);
            for section in &eval.sections {
                for scope in &section.scopes {
                    sections.push(SectionScore {
                        template_id: checklist.template_id.clone(),
                        section_id: section.section.id.clone(),
                        title: section.section.title.en().to_owned(),
                        instance_id: scope.instance_id,
                        items: scope.total(),
                        answered: scope.answered(),
                        applicable: scope.applicable(),
                        conforming: scope.conforming(),
                    });
                }
            }
        }
        let sum = |f: fn(&SectionScore) -> u32| sections.iter().map(f).sum::<u32>();
        let (items, answered, applicable, conforming) = (
            sum(|s| s.items),
            sum(|s| s.answered),
            sum(|s| s.applicable),
            sum(|s| s.conforming),
        );
        let findings = self.findings(audit_id)?;
        let mut open_findings = BTreeMap::new();
        let mut penalty = 0.0;
        let mut production_blocked = false;
        for f in findings
            .iter()
            .filter(|f| f.finding.status == Some(FindingStatus::Open))
        {
            let sev = f.finding.severity;
            *open_findings
                .entry(sev.map(|s| s.as_str().to_owned()).unwrap_or_default())
                .or_insert(0) += 1;
            penalty += sev.map(evaluation::penalty).unwrap_or(0.0);
            production_blocked |= f.actions.iter().any(|a| {
                a.production_blocking == Some(true)
                    && !matches!(a.status, Some(ActionStatus::Done | ActionStatus::Verified))
            });
        }
        let conformance_percent =
            (applicable > 0).then(|| 100.0 * conforming as f64 / applicable as f64);
        let indicative_score =
            (applicable > 0).then(|| 200.0 * conforming as f64 / applicable as f64 - penalty);
        let indicative_band = indicative_score.map(|s| evaluation::band(s).to_owned());
        Ok(AuditScore {
            sections,
            items,
            answered,
            applicable,
            conforming,
            conformance_percent,
            open_findings,
            indicative_score,
            indicative_band,
            production_blocked,
        })
    }

    fn audit_template(
        &self,
        audit_id: Uuid,
        template_id: &str,
    ) -> Result<(Audit, &'static Template)> {
        let audit = self.audit(audit_id)?;
        let checklist = audit
            .checklists
            .iter()
            .flatten()
            .find(|c| c.template_id == template_id)
            .ok_or_else(|| {
                CoreError::Invalid(format!(
                    "audit {audit_id} does not include checklist {template_id:?}"
                ))
            })?;
        let template = template_of(checklist)?;
        if template.confidential {
            // Interview answers are never stored in the clear: they go through the
            // encrypted interview drafts and are sealed to reviewers on finalising.
            return Err(CoreError::Invalid(format!(
                "checklist {template_id:?} is confidential: record it as an interview (the Interviews screen, or `fieldaudit interview start`), which keeps it encrypted and seals it to the reviewers"
            )));
        }
        Ok((audit, template))
    }
}

/// Re-derives item findings of every audit touched by merged changes (answers,
/// repeat instances, the audit row itself), inside the merging transaction.
pub(crate) fn reconcile_touched(w: &mut Writer<'_>, touched: &[(&str, Uuid)]) -> Result<()> {
    let mut audits: Vec<Uuid> = Vec::new();
    for (entity, row) in touched {
        let audit_id = match EntityKind::parse(entity) {
            Some(EntityKind::Audit) => Some(*row),
            Some(
                kind @ (EntityKind::Answer | EntityKind::RepeatInstance | EntityKind::Finding),
            ) => w
                .conn()
                .query_row(
                    &format!("SELECT audit_id FROM {kind} WHERE id = ?1"),
                    [row.to_string()],
                    |r| r.get::<_, Option<String>>(0),
                )
                .ok()
                .flatten()
                .and_then(|s| Uuid::parse_str(&s).ok()),
            _ => None,
        };
        if let Some(a) = audit_id.filter(|a| !audits.contains(a)) {
            audits.push(a);
        }
    }
    for audit_id in audits {
        let Some(audit) = select_rows(
            w.conn(),
            EntityKind::Audit,
            "id = ?1",
            [audit_id.to_string()],
        )?
        .pop() else {
            continue;
        };
        let Ok(audit) = serde_json::from_value::<Audit>(Value::Object(audit)) else {
            continue;
        };
        if audit.locked == Some(true) {
            // Signed off: its findings are as signed (and synced from the signer).
            continue;
        }
        for checklist in audit.checklists.clone().unwrap_or_default() {
            // A checklist this build does not know cannot be evaluated here; the
            // device that knows it derives its findings.
            if let Ok(template) = template_of(&checklist) {
                reconcile_findings(w, &audit, template)?;
            }
        }
    }
    Ok(())
}

fn check_instance_matches(section: &Section, instance_id: Option<Uuid>) -> Result<()> {
    match (section.repeat.is_some(), instance_id) {
        (true, None) => Err(CoreError::Invalid(format!(
            "section {} repeats (e.g. per building); say which instance the answer is for",
            section.id
        ))),
        (false, Some(_)) => Err(CoreError::Invalid(format!(
            "section {} does not repeat; answer it without an instance",
            section.id
        ))),
        _ => Ok(()),
    }
}

fn check_instance(
    w: &Writer<'_>,
    instance: Uuid,
    audit_id: Uuid,
    template_id: &str,
    section_id: &str,
) -> Result<()> {
    let row = crate::store::select_rows(
        w.conn(),
        EntityKind::RepeatInstance,
        "id = ?1 AND coalesce(deleted, 0) = 0",
        [instance.to_string()],
    )?;
    let ok = row.first().is_some_and(|r| {
        r["audit_id"] == json!(audit_id.to_string())
            && r["template_id"] == json!(template_id)
            && r["group_id"] == json!(section_id)
    });
    if ok {
        Ok(())
    } else {
        Err(CoreError::not_found(
            "repeat instance of this section",
            instance,
        ))
    }
}

fn answer_fields<'a>(
    audit_id: Uuid,
    template_id: &str,
    item_id: &str,
    instance_id: Option<Uuid>,
    extra: &[(&'a str, Value)],
) -> Vec<(&'a str, Value)> {
    let mut fields = vec![
        ("audit_id", json!(audit_id.to_string())),
        ("template_id", json!(template_id)),
        ("item_id", json!(item_id)),
        ("instance_id", json!(instance_id.map(|i| i.to_string()))),
        ("deleted", json!(false)),
    ];
    fields.extend(extra.iter().cloned());
    fields
}

/// Brings the item findings of one checklist in line with its answers: raises or
/// updates the findings of failing visible items, closes the rest.
fn reconcile_findings(w: &mut Writer<'_>, audit: &Audit, template: &Template) -> Result<()> {
    let audit_id = audit.id;
    let answers: Vec<Answer> = decode_all(select_rows(
        w.conn(),
        EntityKind::Answer,
        "audit_id = ?1 AND template_id = ?2 AND coalesce(deleted, 0) = 0",
        (audit_id.to_string(), &template.id),
    )?)?;
    let instances: Vec<RepeatInstance> = decode_all(select_rows(
        w.conn(),
        EntityKind::RepeatInstance,
        "audit_id = ?1 AND template_id = ?2 AND coalesce(deleted, 0) = 0",
        (audit_id.to_string(), &template.id),
    )?)?;
    let existing: Vec<Finding> = decode_all(select_rows(
        w.conn(),
        EntityKind::Finding,
        "audit_id = ?1 AND template_id = ?2 AND origin = 'item'",
        (audit_id.to_string(), &template.id),
    )?)?;
    let eval = Evaluation::new(
        audit_id,
        template,
        &answers,
        &instances,
        &[],
        evaluation::audit_day(audit),
    );
    let failing: Vec<(Option<Uuid>, &str, Severity, bool)> = eval
        .failing()
        .map(|(scope, item, sev)| (scope, item.id.as_str(), sev, item.blocks_production))
        .collect();

    let mut open_ids = Vec::with_capacity(failing.len());
    // An item finding stores the item it refers to, never a copy of its text: every
    // screen, report and CLI shows the item's text in the reader's language
    // (`Store::finding_title`), so a finding raised in Bengali reads in Chinese on a
    // colleague's laptop.
    for (scope, item_id, severity, blocks_production) in failing {
        let id = model::item_finding_id(audit_id, &template.id, item_id, scope);
        open_ids.push(id);
        let before = existing.iter().find(|f| f.id == id);
        let reopened = before
            .is_none_or(|f| f.status != Some(FindingStatus::Open) || model::is_deleted(f.deleted));
        if before.is_none() {
            if let Some(earlier) = crate::follow_up::recurrence_of(w, audit, &template.id, item_id)?
            {
                w.set(
                    EntityKind::Finding,
                    id,
                    &[("recurrence_of", json!(earlier.to_string()))],
                )?;
            }
        }
        w.set(
            EntityKind::Finding,
            id,
            &[
                ("audit_id", json!(audit_id.to_string())),
                ("template_id", json!(template.id)),
                ("item_id", json!(item_id)),
                ("instance_id", json!(scope.map(|s| s.to_string()))),
                ("origin", json!(FindingOrigin::Item)),
                ("severity", json!(severity.as_str())),
                ("status", json!(FindingStatus::Open)),
                ("deleted", json!(false)),
            ],
        )?;
        if reopened {
            ensure_default_action(w, audit, id, severity, blocks_production)?;
        }
    }
    for f in existing
        .iter()
        .filter(|f| !open_ids.contains(&f.id) && f.status == Some(FindingStatus::Open))
    {
        w.set(
            EntityKind::Finding,
            f.id,
            &[("status", json!(FindingStatus::Closed))],
        )?;
    }
    Ok(())
}

/// Creates the finding's corrective action, with its plan-due and fix-by dates
/// from its severity ([`crate::cap::default_deadlines`]) and production blocking
/// from the checklist item's flag, unless it already has one.
fn ensure_default_action(
    w: &mut Writer<'_>,
    audit: &Audit,
    finding_id: Uuid,
    severity: Severity,
    blocks_production: bool,
) -> Result<()> {
    let closing = audit
        .end_date
        .as_deref()
        .and_then(fieldaudit_templates::parse_date)
        .unwrap_or_else(|| evaluation::audit_day(audit));
    let deadlines = crate::cap::default_deadlines(severity, closing);
    let Some(fix_by) = deadlines.fix_by else {
        return Ok(());
    };
    let action_id = model::default_action_id(finding_id);
    if w.exists(EntityKind::CorrectiveAction, action_id)? {
        return Ok(());
    }
    w.set(
        EntityKind::CorrectiveAction,
        action_id,
        &[
            ("finding_id", json!(finding_id.to_string())),
            ("due_date", json!(fix_by.to_string())),
            (
                "plan_due_date",
                json!(deadlines.plan_due.map(|d| d.to_string())),
            ),
            ("status", json!(ActionStatus::Open)),
            ("production_blocking", json!(blocks_production)),
            ("deleted", json!(false)),
        ],
    )?;
    Ok(())
}
