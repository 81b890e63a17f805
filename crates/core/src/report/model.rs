//! The report model: everything a report says, already worded and formatted, in
//! the order it says it. Typesetting (crate `fieldaudit-report`) only lays it out.
//!
//! A report is a header plus a list of [`Section`]s. Each section is its own type,
//! so a new section (a follow-up report's "previous findings", say) is a new enum
//! variant with its struct, built in [`super::build`] and drawn by one function of
//! the typst template; nothing else changes. Every string a reader sees is here,
//! in the report's language; numbers are computed by core and given as text.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Left with the facility at the closing meeting: never interview content.
    Site,
    /// For the brand: the site report plus every answer and, on an unlocked
    /// reviewer device, interview aggregates.
    Full,
}

impl ReportKind {
    /// Every kind, as choices list them.
    pub const ALL: [ReportKind; 2] = [ReportKind::Site, ReportKind::Full];

    /// The name on the command line and over IPC.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReportKind::Site => "site",
            ReportKind::Full => "full",
        }
    }

    /// Parses `site` or `full`.
    pub fn parse(s: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::str::FromStr for ReportKind {
    type Err = crate::CoreError;

    fn from_str(s: &str) -> Result<ReportKind, crate::CoreError> {
        ReportKind::parse(s).ok_or_else(|| crate::CoreError::Invalid(format!("unknown report kind {s:?}: use site or full")))
    }
}

impl std::fmt::Display for ReportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One report, ready to typeset.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Site or full.
    pub kind: ReportKind,
    /// Language tag of the wording (`en`, `zh-Hans`, `bn`, `vi`, `hi`).
    pub lang: String,
    /// The audit reported on.
    pub audit_id: Uuid,
    /// Title on the first page.
    pub title: String,
    /// Facility name for the page header.
    pub facility_name: String,
    /// Short audit id for the page header ("Audit 1a2b3c4d").
    pub audit_label: String,
    /// `Some(reason)` when the audit has no sign-off that still matches: every
    /// page then says DRAFT, and why, on the first.
    pub draft: Option<String>,
    /// The watermark word ("DRAFT" in the report's language).
    pub draft_mark: String,
    /// When the report was made, as shown ("2026-12-02 04:30 UTC").
    pub generated: String,
    /// "Page" (the footer reads "Page 3 / 12").
    pub page_word: String,
    /// Heading of the table of contents (full report only).
    pub contents_title: Option<String>,
    /// The sections, in order.
    pub sections: Vec<Section>,
    /// Photos the report shows, by SHA-256; the typesetter supplies their thumbnails.
    pub photos: Vec<String>,
    /// What is sealed into the PDF: the sign-off and its canonical content.
    pub seal: Option<super::seal::Seal>,
}

/// A labelled value ("Audit type: Periodic").
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Field {
    /// Label.
    pub label: String,
    /// Value as shown.
    pub value: String,
}

/// A table: column headings and rows of text cells. Rows break across pages and
/// the heading repeats.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Table {
    /// Column headings.
    pub columns: Vec<String>,
    /// Relative column widths (same length as `columns`).
    pub widths: Vec<u32>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
    /// What to print instead of an empty table.
    pub empty: String,
}

/// A photo as evidence: thumbnail plus its digest, so the original can be checked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Photo {
    /// SHA-256 of the original file (hex).
    pub sha256: String,
    /// Caption or file name.
    pub caption: String,
}

/// A report section. Serialised with `kind` naming the variant; the template has
/// one drawing function per kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Section {
    /// Facility, audit type, notice, dates, team and scope.
    Overview(Overview),
    /// Conformance and the indicative score.
    Score(ScoreSection),
    /// A follow-up's earlier findings and what this visit found of each.
    PreviousFindings(TableSection),
    /// Every open finding by severity with its evidence.
    Findings(FindingsSection),
    /// The corrective action plan.
    CorrectiveActions(TableSection),
    /// What blocks production.
    ProductionBlocking(TableSection),
    /// Recruitment fees: workers with fees, totals per currency, reimbursement.
    RecruitmentFees(FeesSection),
    /// Worker interviews: counts and sampling; aggregates on a reviewer device.
    Interviews(InterviewsSection),
    /// Every checklist answer by section (full report).
    ChecklistAnswers(AnswersSection),
    /// The sign-off block.
    SignOff(SignOffSection),
}

/// The audit's header facts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Overview {
    /// Heading.
    pub title: String,
    /// Facility facts.
    pub facility: Vec<Field>,
    /// Audit facts (type, notice, dates, team, status).
    pub audit: Vec<Field>,
    /// Heading of the scope list.
    pub scope_title: String,
    /// Checklists covered ("Fire safety & exits (v1)").
    pub scope: Vec<String>,
}

/// Score figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreSection {
    /// Heading.
    pub title: String,
    /// Figures (answered, conformance, indicative score and band, open findings).
    pub figures: Vec<Field>,
    /// Colour band of the indicative score (`green`, `yellow`, `red`), if any.
    pub band: Option<String>,
    /// The "indicative, after RBA's weights" caveat.
    pub note: String,
    /// Conformance per checklist section.
    pub by_section: Table,
}

/// Findings grouped by severity.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FindingsSection {
    /// Heading.
    pub title: String,
    /// One group per severity that has findings, most severe first.
    pub groups: Vec<FindingGroup>,
    /// Shown when there are no findings.
    pub empty: String,
}

/// The findings of one severity.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FindingGroup {
    /// Severity code (for colour).
    pub severity: String,
    /// Severity in words, with the count.
    pub title: String,
    /// The findings.
    pub findings: Vec<FindingEntry>,
}

/// One finding with its context and evidence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FindingEntry {
    /// Reference used in the CAP table ("F-3").
    pub reference: String,
    /// Finding title.
    pub title: String,
    /// Facts: checklist item, where ("Building B, floor 3"), status.
    pub facts: Vec<Field>,
    /// The auditor's note on the answer, or the finding's description.
    pub note: Option<String>,
    /// Photo evidence.
    pub photos: Vec<Photo>,
}

/// A section that is a heading and a table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TableSection {
    /// Heading.
    pub title: String,
    /// Text before the table.
    pub intro: Option<String>,
    /// The table.
    pub table: Table,
}

/// Recruitment fees.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FeesSection {
    /// Heading.
    pub title: String,
    /// Workers sampled, workers with fees.
    pub figures: Vec<Field>,
    /// Totals per currency: paid, reimbursed, still owed.
    pub totals: Table,
    /// Per worker (pseudonymous reference only): fees, reimbursement status.
    pub workers: Table,
    /// The Employer Pays Principle reminder.
    pub note: String,
}

/// Worker interviews.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InterviewsSection {
    /// Heading.
    pub title: String,
    /// Interviews held, workers, suggested sample.
    pub figures: Vec<Field>,
    /// Why no content is shown (site report), or that results are sealed (full
    /// report without an unlocked reviewer key).
    pub note: String,
    /// Aggregates (full report on a reviewer device only).
    pub aggregate: Option<InterviewAggregateView>,
}

/// Interview results in aggregate: never one interview, never a worker.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InterviewAggregateView {
    /// Heading.
    pub title: String,
    /// Figures (workers, consent, fees reported, loans, passports, coaching).
    pub figures: Vec<Field>,
    /// Fees reported per currency.
    pub fees: Table,
    /// Interviews per answer option, per question.
    pub answers: Table,
}

/// Every answer, checklist by checklist.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnswersSection {
    /// Heading.
    pub title: String,
    /// One block per checklist section (and repeat instance).
    pub blocks: Vec<AnswerBlock>,
}

/// The answers of one checklist section (one repeat instance).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnswerBlock {
    /// "Fire safety & exits — Floors: Ground floor".
    pub title: String,
    /// Question, answer, note, finding.
    pub table: Table,
}

/// The sign-off block.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SignOffSection {
    /// Heading.
    pub title: String,
    /// Signer, device, time, digest — or that the audit is not signed.
    pub fields: Vec<Field>,
    /// How to check the report (`fieldaudit report verify`).
    pub note: String,
    /// Lines for hand signatures at the closing meeting (site report).
    pub signature_lines: Vec<String>,
}
