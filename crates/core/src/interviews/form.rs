//! Interviews as the desktop app draws them: the interviewer's draft form (the
//! visible questions of the `worker-interview` checklist with the draft's answers),
//! the edits it makes (one answer, the reported fees, the metadata; each saved
//! encrypted at once), and the reviewer's view of an audit's opened interviews with
//! question and option labels and the aggregate per topic.
//!
//! Nothing here stores plaintext: every edit goes through
//! [`Store::save_interview_draft`], which validates and encrypts.

use chrono::NaiveDate;
use fieldaudit_templates::{AnswerType, Template};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::review::{aggregate, InterviewAggregate};
use super::sampling::SamplingGuidance;
use super::{
    check_interviewer, interview_template, DraftKey, InterviewContent, InterviewSummary,
    ReportedFees, ReviewerKey,
};
use crate::workspace::{control_of, text, Control};
use crate::{CoreError, Result, Store};

/// An interview draft, ready to draw.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InterviewForm {
    /// Interview id.
    pub id: Uuid,
    /// The audit it belongs to.
    pub audit_id: Uuid,
    /// When it is held.
    pub conducted_on: NaiveDate,
    /// Who holds it (the interviewer).
    pub interviewer: String,
    /// The visible sections (everything after the consent question stays hidden
    /// until consent is given).
    pub sections: Vec<InterviewSectionView>,
    /// The recruitment fees the workers reported (one entry per worker, unnamed).
    pub fees_reported: Vec<ReportedFees>,
    /// Whether the workers consented (fees can be recorded only then).
    pub consented: bool,
    /// What must still be answered before the interview can be finalised (question
    /// texts); empty when it can be finalised.
    pub missing: Vec<String>,
    /// The reviewers the interview will be sealed to (names), as synced.
    pub reviewers: Vec<String>,
    /// The language tag of the interview's language when it differs from the
    /// screen's and the checklist has text in it (questions then carry
    /// `spoken_text`); e.g. `bn` for an interview in Bengali on an English screen.
    pub spoken_language: Option<String>,
}

/// A visible section of the interview checklist.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InterviewSectionView {
    /// Section id.
    pub id: String,
    /// Heading.
    pub title: String,
    /// Guidance for the section.
    pub help: Option<String>,
    /// Visible questions in order.
    pub items: Vec<InterviewItemView>,
}

/// A visible question with its answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InterviewItemView {
    /// Item id.
    pub id: String,
    /// The question.
    pub text: String,
    /// How to ask it.
    pub help: Option<String>,
    /// The control to draw.
    pub control: Control,
    /// The answer; null when unanswered.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub value: Option<Value>,
    /// The answer as text in the screen's language (option labels), for reading.
    pub display: Option<String>,
    /// The question in the interview's language, to read aloud to the worker, when
    /// that differs from the screen's language (falls back per string to English).
    pub spoken_text: Option<String>,
}

/// An audit's interviews screen: what any device may show, plus the sampling
/// guidance once the interviewer has unlocked their drafts.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InterviewsOverview {
    /// The audit.
    pub audit_id: Uuid,
    /// Drafts on this device and sealed interviews, metadata only.
    pub interviews: Vec<InterviewSummary>,
    /// How drafts are protected on this device: `keyring` (the OS keyring holds
    /// the key), `passphrase`, or `unset` before the first unlock.
    pub protection: String,
    /// Whether drafts are unlocked now.
    pub unlocked: bool,
    /// Sampling guidance (only while unlocked: coverage is encrypted).
    pub sampling: Option<SamplingGuidance>,
    /// Interviews so far per category option (department, shift, gender, …),
    /// labelled, in the checklist's order; empty while locked.
    pub coverage: Vec<QuestionTally>,
    /// The organisation's reviewers interviews are sealed to.
    pub reviewers: Vec<ReviewerKey>,
}

/// The items that must be answered before finalising.
const REQUIRED: &[&str] = &["setup.format", "setup.consent"];

/// The visible sections of the interview checklist for `content`, in `lang`.
pub fn interview_sections(
    template: &Template,
    content: &InterviewContent,
    lang: &str,
) -> Vec<InterviewSectionView> {
    let answer_of = |id: &str| content.answers.get(id).filter(|v| !v.is_null()).cloned();
    template
        .sections
        .iter()
        .filter(|s| template.is_section_visible(&s.id, &answer_of))
        .map(|s| InterviewSectionView {
            id: s.id.clone(),
            title: text(&s.title, lang),
            help: s.help.as_ref().map(|h| text(h, lang)),
            items: s
                .items
                .iter()
                .filter(|i| template.is_visible(&i.id, &answer_of))
                .map(|i| {
                    let value = answer_of(&i.id);
                    InterviewItemView {
                        id: i.id.clone(),
                        text: text(&i.text, lang),
                        help: i.help.as_ref().map(|h| text(h, lang)),
                        control: control_of(i, lang),
                        display: value.as_ref().map(|v| display_value(i, v, lang)),
                        spoken_text: spoken_language(content, lang).map(|spoken| text(&i.text, spoken)),
                        value,
                    }
                })
                .collect(),
        })
        .filter(|s| !s.items.is_empty())
        .collect()
}

/// The interview's language tag when it is not the screen's `lang`.
fn spoken_language(content: &InterviewContent, lang: &str) -> Option<&'static str> {
    content.language_tag().filter(|tag| !tag.eq_ignore_ascii_case(lang) && !lang.to_ascii_lowercase().starts_with(&tag.to_ascii_lowercase()))
}

/// An answer as words: option labels for choices, "Yes"/"No" for yes/no items.
fn display_value(item: &fieldaudit_templates::Item, value: &Value, lang: &str) -> String {
    let label = |id: &str| match &item.answer {
        AnswerType::Choice { options, .. } => options
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_owned(), |o| text(&o.text, lang)),
        AnswerType::YesNo => match id {
            "yes" => "Yes".to_owned(),
            "no" => "No".to_owned(),
            "na" => "N/A".to_owned(),
            other => other.to_owned(),
        },
        _ => id.to_owned(),
    };
    match value {
        Value::String(s) => label(s),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(label)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// An interview a reviewer opened, ready to read.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReviewedInterviewView {
    /// Metadata (as every device sees it).
    pub summary: InterviewSummary,
    /// The answered questions (read-only), when it opened.
    pub sections: Vec<InterviewSectionView>,
    /// The fees the workers reported, when it opened.
    pub fees_reported: Vec<ReportedFees>,
    /// Why it could not be opened (not sealed to this key, or changed).
    pub error: Option<String>,
}

/// How many interviews gave each answer to one question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QuestionTally {
    /// Item id.
    pub item_id: String,
    /// The question.
    pub text: String,
    /// Each answer given, with its count, in the checklist's option order.
    pub answers: Vec<AnswerCount>,
}

/// One answer option and how many interviews gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AnswerCount {
    /// Option id.
    pub id: String,
    /// Label.
    pub text: String,
    /// Interviews that gave it.
    pub count: u32,
    /// In sampling coverage: the group is present but has fewer interviews than
    /// [`super::sampling::PER_GROUP`]. Always false in a reviewer's tally.
    pub thin: bool,
}

/// What a reviewer sees of an audit's interviews.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InterviewReview {
    /// The interviews, one by one.
    pub interviews: Vec<ReviewedInterviewView>,
    /// The totals over those that opened.
    pub aggregate: InterviewAggregate,
    /// The answers per question (settings, categories, topics, signs), labelled.
    pub questions: Vec<QuestionTally>,
}

impl Store {
    /// The interviews screen of an audit in `lang`; `key` when drafts are
    /// unlocked, `site_workers` to override the facility's worker count for sampling.
    pub fn interviews_overview(
        &self,
        key: Option<&DraftKey>,
        audit_id: Uuid,
        site_workers: Option<u64>,
        lang: &str,
    ) -> Result<InterviewsOverview> {
        self.audit(audit_id)?;
        let sampling = key
            .map(|k| self.interview_sampling(k, audit_id, site_workers))
            .transpose()?;
        let template = interview_template()?;
        let coverage = match &sampling {
            Some(s) => super::sampling::COVERAGE_ITEMS
                .iter()
                .filter_map(|id| {
                    let (_, item) = template.item(id)?;
                    let counts = s.covered.by_category.get(*id);
                    let AnswerType::Choice { options, .. } = &item.answer else {
                        return None;
                    };
                    let answers = options
                        .iter()
                        .map(|o| {
                            let count = counts.and_then(|c| c.get(&o.id)).copied().unwrap_or(0);
                            AnswerCount {
                                id: o.id.clone(),
                                text: text(&o.text, lang),
                                count,
                                thin: count > 0 && count < super::sampling::PER_GROUP,
                            }
                        })
                        .collect();
                    Some(QuestionTally {
                        item_id: (*id).to_owned(),
                        text: text(&item.text, lang),
                        answers,
                    })
                })
                .collect(),
            None => Vec::new(),
        };
        Ok(InterviewsOverview {
            audit_id,
            interviews: self.interviews(audit_id)?,
            protection: self.interview_protection()?.to_owned(),
            unlocked: key.is_some(),
            sampling,
            coverage,
            reviewers: self.reviewer_keys()?,
        })
    }

    /// An interview draft as the interview screen draws it, in `lang`.
    pub fn interview_form(&self, key: &DraftKey, id: Uuid, lang: &str) -> Result<InterviewForm> {
        let draft = self.interview_draft(key, id)?;
        let template = interview_template()?;
        let content = &draft.content;
        let sections = interview_sections(template, content, lang);
        let missing = REQUIRED
            .iter()
            .filter(|id| content.answers.get(**id).is_none_or(Value::is_null))
            .filter_map(|id| template.item(id).map(|(_, i)| text(&i.text, lang)))
            .collect();
        Ok(InterviewForm {
            id,
            audit_id: draft.audit_id,
            conducted_on: draft.conducted_on,
            interviewer: draft.interviewer,
            consented: content.answers.get("setup.consent").and_then(Value::as_str) == Some("yes"),
            fees_reported: draft.content.fees_reported.clone(),
            sections,
            missing,
            reviewers: self.reviewer_keys()?.into_iter().map(|k| k.reviewer).collect(),
            spoken_language: spoken_language(content, lang).map(str::to_owned),
        })
    }

    /// Answers one question of a draft (null clears it) and saves the draft,
    /// encrypted. A refused answer (unknown item, wrong type, text that looks
    /// like an ID or phone number) changes nothing.
    pub fn set_interview_answer(
        &mut self,
        key: &DraftKey,
        id: Uuid,
        item_id: &str,
        value: Value,
    ) -> Result<()> {
        let mut draft = self.interview_draft(key, id)?;
        let value = match value {
            Value::String(s) if s.trim().is_empty() => Value::Null,
            Value::Array(a) if a.is_empty() => Value::Null,
            v => v,
        };
        if value.is_null() {
            draft.content.answers.remove(item_id);
            if interview_template()?.item(item_id).is_none() {
                return Err(CoreError::Invalid(format!(
                    "the interview checklist has no item {item_id:?}"
                )));
            }
        } else {
            draft.content.answers.insert(item_id.to_owned(), value);
        }
        self.save_interview_draft(key, &draft)
    }

    /// Replaces the fees the workers of a draft reported, and saves it encrypted.
    pub fn set_interview_fees(
        &mut self,
        key: &DraftKey,
        id: Uuid,
        fees_reported: Vec<ReportedFees>,
    ) -> Result<()> {
        let mut draft = self.interview_draft(key, id)?;
        draft.content.fees_reported = fees_reported;
        self.save_interview_draft(key, &draft)
    }

    /// Changes a draft's date and interviewer.
    pub fn set_interview_details(
        &mut self,
        key: &DraftKey,
        id: Uuid,
        interviewer: &str,
        conducted_on: NaiveDate,
    ) -> Result<()> {
        let mut draft = self.interview_draft(key, id)?;
        draft.interviewer = check_interviewer(interviewer)?;
        draft.conducted_on = conducted_on;
        self.save_interview_draft(key, &draft)
    }

    /// Opens an audit's interviews with a reviewer's identity and labels them for
    /// reading, with the aggregate and the answers per question.
    pub fn interview_review(
        &self,
        audit_id: Uuid,
        identity: &age::x25519::Identity,
        lang: &str,
    ) -> Result<InterviewReview> {
        self.audit(audit_id)?;
        let template = interview_template()?;
        let reviewed = self.review_interviews(audit_id, identity)?;
        let opened: Vec<&InterviewContent> = reviewed
            .iter()
            .filter_map(|r| r.content.as_ref().ok())
            .collect();
        let mut agg = aggregate(&opened);
        agg.unreadable = (reviewed.len() - opened.len()) as u32;
        let questions = template
            .items()
            .filter_map(|(_, item)| {
                let counts = agg.answers.get(&item.id)?;
                let answers = match &item.answer {
                    AnswerType::Choice { options, .. } => options
                        .iter()
                        .filter_map(|o| {
                            counts.get(&o.id).map(|n| AnswerCount {
                                id: o.id.clone(),
                                text: text(&o.text, lang),
                                count: *n,
                                thin: false,
                            })
                        })
                        .collect(),
                    _ => counts
                        .iter()
                        .map(|(o, n)| AnswerCount {
                            id: o.clone(),
                            text: display_value(item, &Value::String(o.clone()), lang),
                            count: *n,
                            thin: false,
                        })
                        .collect(),
                };
                Some(QuestionTally {
                    item_id: item.id.clone(),
                    text: text(&item.text, lang),
                    answers,
                })
            })
            .collect();
        let interviews = reviewed
            .into_iter()
            .map(|r| match r.content {
                Ok(c) => ReviewedInterviewView {
                    summary: r.summary,
                    sections: interview_sections(template, &c, lang)
                        .into_iter()
                        .map(|mut s| {
                            s.items.retain(|i| i.value.is_some());
                            s
                        })
                        .filter(|s| !s.items.is_empty())
                        .collect(),
                    fees_reported: c.fees_reported,
                    error: None,
                },
                Err(e) => ReviewedInterviewView {
                    summary: r.summary,
                    sections: Vec::new(),
                    fees_reported: Vec::new(),
                    error: Some(e.to_string()),
                },
            })
            .collect();
        Ok(InterviewReview {
            interviews,
            aggregate: agg,
            questions,
        })
    }
}
