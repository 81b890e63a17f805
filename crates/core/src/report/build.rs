//! Building a [`Report`] from the store: what goes into the site report and the
//! full report, worded in the reader's language.
//!
//! The site report never touches interview content: it counts the interviews
//! (metadata every device has) and never opens one. The full report opens them
//! only with a reviewer identity the caller has unlocked, and then shows only the
//! aggregate ([`crate::interviews::review::aggregate`]): never one interview, never
//! a worker reference.

use std::collections::BTreeMap;

use chrono::Utc;
use fieldaudit_protocol::closed_sets::{ActionStatus, FindingStatus, InterviewState, Severity, SiteResponse};
use serde_json::Value;
use uuid::Uuid;

use super::labels::Labels;
use super::model::*;
use crate::audits::FindingWithActions;
use crate::interviews::review::InterviewAggregate;
use crate::model::{Attachment, RepeatInstance};
use crate::workspace::Control;
use crate::{Result, Store};

/// What to build.
pub struct ReportRequest<'a> {
    /// The audit.
    pub audit_id: Uuid,
    /// Site or full.
    pub kind: ReportKind,
    /// Language tag.
    pub lang: &'a str,
    /// An unlocked reviewer identity (full report only; ignored for the site report).
    pub reviewer: Option<&'a age::x25519::Identity>,
}

/// The last 8 characters of an id, as lists show them.
pub fn short_id(id: Uuid) -> String {
    let s = id.simple().to_string();
    s[s.len() - 8..].to_owned()
}

fn or_dash(v: Option<&str>) -> String {
    match v.map(str::trim) {
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => "—".to_owned(),
    }
}

/// The texts that are there and not blank, one per line.
fn lines(texts: &[Option<&str>]) -> String {
    texts.iter().flatten().filter(|s| !s.trim().is_empty()).copied().collect::<Vec<_>>().join("\n")
}

fn field(label: String, value: impl Into<String>) -> Field {
    Field { label, value: value.into() }
}

/// An amount as a report prints it: whole amounts without decimals (`30000`),
/// others with at least two (`1250.50`, never `1250.5`).
fn money(amount: rust_decimal::Decimal) -> String {
    let mut a = amount.normalize();
    if a.scale() == 1 {
        a.rescale(2);
    }
    a.to_string()
}

/// Most severe first; a finding without a severity last.
fn severity_rank(severity: Option<Severity>) -> u8 {
    match severity {
        Some(Severity::Critical) => 0,
        Some(Severity::Major) => 1,
        Some(Severity::Minor) => 2,
        Some(Severity::Observation) => 3,
        Some(Severity::GoodPractice) => 4,
        None => 5,
    }
}

impl Store {
    /// Builds the report model of an audit (see the module doc).
    pub fn build_report(&self, req: &ReportRequest<'_>) -> Result<Report> {
        let l = Labels::new(req.lang)?;
        let audit = self.audit(req.audit_id)?;
        let facility = audit.facility_id.map(|f| self.facility(f)).transpose()?;
        let findings = self.findings_in(req.audit_id, l.lang())?;
        let score = self.score(req.audit_id)?;
        let instances = self.repeat_instances(req.audit_id)?;
        let attachments = self.attachments(req.audit_id, None)?;
        let answers = self.answers(req.audit_id)?;
        let seal = self.report_seal(req.audit_id)?;
        let signoffs = self.verify_signoffs(req.audit_id)?;
        let facility_name = facility.as_ref().and_then(|f| f.name.clone()).unwrap_or_else(|| l.get("report.unknown_facility"));
        let mut photos: Vec<String> = Vec::new();

        let mut sections = Vec::new();

        // Overview.
        let mut fac = vec![field(l.get("report.facility"), facility_name.clone())];
        if let Some(f) = &facility {
            fac.push(field(l.get("report.address"), or_dash(f.address.as_deref())));
            let country = f.country_code.as_deref().map(|c| match celes::Country::from_alpha2(c) {
                Ok(country) => format!("{} ({c})", country.long_name),
                Err(_) => c.to_owned(),
            });
            fac.push(field(l.get("report.country"), or_dash(country.as_deref())));
            if let Some(os) = f.os_id.as_deref() {
                fac.push(field("Open Supply Hub ID".into(), os.to_owned()));
            }
            let workers = match (f.workers_min, f.workers_max) {
                (Some(a), Some(b)) if a == b => Some(a.to_string()),
                (Some(a), Some(b)) => Some(format!("{a}–{b}")),
                (Some(a), None) => Some(format!("≥ {a}")),
                (None, Some(b)) => Some(format!("≤ {b}")),
                (None, None) => None,
            };
            fac.push(field(l.get("report.workers"), or_dash(workers.as_deref())));
        }
        let dates = match (audit.start_date.as_deref(), audit.end_date.as_deref()) {
            (Some(a), Some(b)) if a != b => format!("{a} – {b}"),
            (Some(a), _) => a.to_owned(),
            _ => "—".into(),
        };
        let audit_facts = vec![
            field(l.get("report.audit_id"), req.audit_id.to_string()),
            field(l.get("report.audit_type"), audit.audit_type.map(|c| l.code(c.as_str())).unwrap_or_else(|| "—".into())),
            field(l.get("report.notice"), audit.notice.map(|c| l.code(c.as_str())).unwrap_or_else(|| "—".into())),
            field(l.get("report.dates"), dates),
            field(l.get("report.team"), or_dash(Some(&audit.auditors.clone().unwrap_or_default().join(", ")))),
            field(l.get("report.status"), audit.status.map(|c| l.code(c.as_str())).unwrap_or_else(|| "—".into())),
        ];
        let scope = audit
            .checklists
            .iter()
            .flatten()
            .map(|c| match fieldaudit_templates::builtin_template(&c.template_id, c.version) {
                Some(t) => format!("{} (v{})", t.title.get(l.lang()), c.version),
                None => format!("{} (v{})", c.template_id, c.version),
            })
            .collect();
        sections.push(Section::Overview(Overview {
            title: l.get("report.overview"),
            facility: fac,
            audit: audit_facts,
            scope_title: l.get("report.scope"),
            scope,
        }));

        // Score.
        let pct = |v: Option<f64>| v.map(|p| format!("{p:.1} %")).unwrap_or_else(|| "—".into());
        let mut figures = vec![
            field(l.get("report.answered"), format!("{} / {}", score.answered, score.items)),
            field(l.get("report.conformance"), format!("{} ({} / {})", pct(score.conformance_percent), score.conforming, score.applicable)),
            field(
                l.get("report.indicative_score"),
                match (score.indicative_score, score.indicative_band.as_deref()) {
                    (Some(s), Some(b)) => format!("{s:.0} / 200 · {}", l.get(&format!("report.band_{b}"))),
                    _ => "—".into(),
                },
            ),
        ];
        let mut open: Vec<(&String, &u32)> = score.open_findings.iter().collect();
        open.sort_by_key(|(s, _)| severity_rank(s.parse().ok()));
        let open_text: Vec<String> = open.iter().map(|(s, n)| format!("{} {n}", l.code(s))).collect();
        figures.push(field(l.get("report.open_findings"), if open_text.is_empty() { "0".into() } else { open_text.join(" · ") }));
        figures.push(field(l.get("report.production_blocked"), l.get(if score.production_blocked { "report.yes" } else { "report.no" })));
        let instance_label = |id: Option<Uuid>| -> Option<String> { id.and_then(|i| instances.iter().find(|x| x.id == i)).and_then(|x| x.label.clone()) };
        let by_section = Table {
            columns: vec![l.get("report.section"), l.get("report.answered"), l.get("report.conformance")],
            widths: vec![6, 2, 2],
            rows: score
                .sections
                .iter()
                .map(|s| {
                    let title = section_title(&s.template_id, &s.section_id, l.lang()).unwrap_or_else(|| s.title.clone());
                    let title = match instance_label(s.instance_id) {
                        Some(label) => format!("{title}: {label}"),
                        None => title,
                    };
                    let conf = if s.applicable > 0 { format!("{} / {}", s.conforming, s.applicable) } else { "—".into() };
                    vec![title, format!("{} / {}", s.answered, s.items), conf]
                })
                .collect(),
            empty: l.get("report.none"),
        };
        sections.push(Section::Score(ScoreSection {
            title: l.get("report.score"),
            figures,
            band: score.indicative_band.clone(),
            note: l.get("report.indicative_note"),
            by_section,
        }));

        // Previous findings (a follow-up): each carried finding and what this visit found.
        let previous = self.previous_findings(req.audit_id)?;
        if !previous.is_empty() {
            let rows = previous
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let v = &p.verification;
                    let found = lines(&[v.evidence_reviewed.as_deref(), v.note.as_deref()]);
                    let by = match (v.verified_by.as_deref(), v.verified_on.as_deref()) {
                        (Some(who), Some(on)) => format!("{who}, {on}"),
                        (Some(who), None) => who.to_owned(),
                        (None, on) => or_dash(on),
                    };
                    vec![
                        format!("P-{}", i + 1),
                        or_dash(p.original_audit.start_date.as_deref()),
                        or_dash(p.finding.title.as_deref()),
                        p.finding.severity.map(|s| l.code(s.as_str())).unwrap_or_else(|| "—".into()),
                        or_dash(p.action.as_ref().and_then(|a| a.due_date.as_deref())),
                        v.status.map(|s| l.code(s.as_str())).unwrap_or_else(|| l.get("loop.notVerified")),
                        v.method.map(|m| l.code(m.as_str())).unwrap_or_else(|| "—".into()),
                        or_dash(Some(&found)),
                        by,
                    ]
                })
                .collect();
            sections.push(Section::PreviousFindings(TableSection {
                title: l.get("loop.prevTitle"),
                intro: Some(l.get("report.previous_intro")),
                table: Table {
                    columns: vec![
                        l.get("report.ref"),
                        l.get("report.raised"),
                        l.get("report.finding"),
                        l.get("report.severity"),
                        l.get("report.fix_by"),
                        l.get("loop.prevStatus"),
                        l.get("loop.method"),
                        l.get("loop.prevEvidence"),
                        l.get("loop.prevBy"),
                    ],
                    widths: vec![1, 2, 4, 2, 2, 2, 2, 4, 3],
                    rows,
                    empty: l.get("loop.prevEmpty"),
                },
            }));
        }

        // Findings.
        let open_findings: Vec<&FindingWithActions> = findings.iter().filter(|f| f.finding.status != Some(FindingStatus::Closed)).collect();
        let reference = |f: &FindingWithActions| -> String {
            let pos = open_findings.iter().position(|x| x.finding.id == f.finding.id).unwrap_or(0);
            format!("F-{}", pos + 1)
        };
        let mut groups: BTreeMap<u8, FindingGroup> = BTreeMap::new();
        for f in &open_findings {
            let sev = f.finding.severity;
            let sev_code = sev.map(Severity::as_str).unwrap_or_default();
            let mut facts = Vec::new();
            let mut note = f.finding.description.clone().filter(|d| !d.trim().is_empty());
            let mut evidence: Vec<&Attachment> = attachments.iter().filter(|a| a.subject_id.as_deref() == Some(f.finding.id.to_string().as_str())).collect();
            if let (Some(t), Some(item)) = (f.finding.template_id.as_deref(), f.finding.item_id.as_deref()) {
                if let Some(text) = item_text(&audit, t, item, l.lang()) {
                    facts.push(field(l.get("report.item"), text));
                }
                let answer_id = crate::model::answer_id(req.audit_id, t, item, f.finding.instance_id);
                if let Some(a) = answers.iter().find(|a| a.id == answer_id) {
                    if let Some(n) = a.note.clone().filter(|n| !n.trim().is_empty()) {
                        note = Some(n);
                    }
                }
                evidence.extend(attachments.iter().filter(|a| a.subject_id.as_deref() == Some(answer_id.to_string().as_str())));
            }
            if let Some(label) = instance_label(f.finding.instance_id) {
                facts.push(field(l.get("report.where"), label));
            }
            if f.finding.site_response == Some(SiteResponse::Disputed) {
                let comment = f.finding.site_comment.clone().filter(|c| !c.trim().is_empty());
                facts.push(field(l.get("report.site_response"), match comment {
                    Some(c) => format!("{}: {c}", l.code("disputed")),
                    None => l.code("disputed"),
                }));
            }
            if let Some(earlier) = f.finding.recurrence_of {
                let raised = self.finding_history(earlier).ok().and_then(|h| h.events.first().map(|e| e.at.chars().take(10).collect::<String>()));
                facts.push(field(l.code("recurrence_of"), raised.map(|d| format!("{} {d}", l.get("report.raised"))).unwrap_or_else(|| short_id(earlier))));
            }
            let cap_due = f.actions.iter().filter_map(|a| a.due_date.clone()).min();
            if let Some(due) = cap_due {
                facts.push(field(l.get("report.fix_by"), due));
            }
            let entry = FindingEntry {
                reference: reference(f),
                title: or_dash(f.finding.title.as_deref()),
                facts,
                note,
                photos: evidence
                    .into_iter()
                    .filter_map(|a| {
                        let sha = a.sha256.clone()?;
                        if !a.media_type.as_deref().unwrap_or_default().starts_with("image/") {
                            return None;
                        }
                        if !photos.contains(&sha) {
                            photos.push(sha.clone());
                        }
                        Some(Photo { sha256: sha, caption: a.caption.clone().or_else(|| a.file_name.clone()).unwrap_or_default() })
                    })
                    .collect(),
            };
            groups
                .entry(severity_rank(sev))
                .or_insert_with(|| FindingGroup { severity: sev_code.to_owned(), title: l.code(sev_code), findings: Vec::new() })
                .findings
                .push(entry);
        }
        let groups: Vec<FindingGroup> = groups
            .into_values()
            .map(|mut g| {
                g.title = format!("{} ({})", g.title, g.findings.len());
                g
            })
            .collect();
        sections.push(Section::Findings(FindingsSection { title: l.get("report.findings"), groups, empty: l.get("report.no_findings") }));

        // Corrective action plan.
        let mut cap_rows = Vec::new();
        let mut blocking_rows = Vec::new();
        for f in &open_findings {
            for a in &f.actions {
                let actions = lines(&[a.corrective_action.as_deref(), a.preventive_action.as_deref()]);
                cap_rows.push(vec![
                    reference(f),
                    or_dash(f.finding.title.as_deref()),
                    or_dash(a.root_cause.as_deref()),
                    or_dash(Some(&actions)),
                    or_dash(a.owner.as_deref()),
                    or_dash(a.plan_due_date.as_deref()),
                    or_dash(a.due_date.as_deref()),
                    a.status.map(|s| l.code(s.as_str())).unwrap_or_else(|| "—".into()),
                ]);
                if a.production_blocking == Some(true) && !matches!(a.status, Some(ActionStatus::Done | ActionStatus::Verified)) {
                    blocking_rows.push(vec![reference(f), or_dash(f.finding.title.as_deref()), or_dash(a.owner.as_deref()), or_dash(a.due_date.as_deref())]);
                }
            }
        }
        sections.push(Section::CorrectiveActions(TableSection {
            title: l.get("report.cap"),
            intro: Some(l.get("report.cap_intro")),
            table: Table {
                columns: vec![
                    l.get("report.ref"),
                    l.get("report.finding"),
                    l.get("report.root_cause"),
                    l.get("report.actions"),
                    l.get("report.owner"),
                    l.get("report.plan_due"),
                    l.get("report.fix_by"),
                    l.get("report.status"),
                ],
                widths: vec![1, 4, 4, 5, 3, 2, 2, 2],
                rows: cap_rows,
                empty: l.get("report.no_actions"),
            },
        }));
        sections.push(Section::ProductionBlocking(TableSection {
            title: l.get("report.blocking"),
            intro: None,
            table: Table {
                columns: vec![l.get("report.ref"), l.get("report.finding"), l.get("report.owner"), l.get("report.fix_by")],
                widths: vec![1, 6, 3, 2],
                rows: blocking_rows,
                empty: l.get("report.nothing_blocks"),
            },
        }));

        // Recruitment fees (pseudonymous references only).
        let totals = self.fee_totals(req.audit_id)?;
        let records = self.fee_records(req.audit_id)?;
        let workers_rows = records
            .iter()
            .filter(|(_, fees)| !fees.is_empty())
            .map(|(r, fees)| {
                let mut by_cur: BTreeMap<String, rust_decimal::Decimal> = BTreeMap::new();
                for fee in fees {
                    if let (Some(a), Some(c)) = (fee.amount.as_deref().and_then(|a| a.parse::<rust_decimal::Decimal>().ok()), fee.currency.clone()) {
                        *by_cur.entry(c).or_default() += a;
                    }
                }
                vec![
                    or_dash(r.worker_ref.as_deref()),
                    fees.iter().filter_map(|f| f.category).map(|c| l.code(c.as_str())).collect::<Vec<_>>().join(", "),
                    by_cur.iter().map(|(c, a)| format!("{} {c}", money(*a))).collect::<Vec<_>>().join("\n"),
                    r.reimbursement_status.map(|s| l.code(s.as_str())).unwrap_or_else(|| "—".into()),
                ]
            })
            .collect();
        sections.push(Section::RecruitmentFees(FeesSection {
            title: l.get("report.fees"),
            figures: vec![
                field(l.get("report.workers_sampled"), totals.workers.to_string()),
                field(l.get("report.workers_with_fees"), totals.workers_who_paid.to_string()),
            ],
            totals: Table {
                columns: vec![l.get("report.currency"), l.get("report.paid"), l.get("report.reimbursed"), l.get("report.owed")],
                widths: vec![2, 3, 3, 3],
                rows: totals
                    .by_currency
                    .iter()
                    .map(|(c, t)| vec![c.clone(), money(t.paid), money(t.reimbursed), money(t.outstanding)])
                    .collect(),
                empty: l.get("report.no_fees"),
            },
            workers: Table {
                columns: vec![l.get("report.worker_ref"), l.get("report.fee_kinds"), l.get("report.paid"), l.get("report.reimbursement")],
                widths: vec![2, 5, 3, 3],
                rows: workers_rows,
                empty: l.get("report.no_fees"),
            },
            note: l.get("report.employer_pays"),
        }));

        // Interviews: counts always; content only as an aggregate, full report, unlocked key.
        let held = self.interviews(req.audit_id)?;
        let sealed = held.iter().filter(|i| i.state == InterviewState::Sealed).count();
        let site_workers = facility.as_ref().and_then(|f| f.workers_max.or(f.workers_min)).filter(|n| *n > 0);
        let mut ifigures = vec![field(l.get("report.interviews_held"), sealed.to_string())];
        if let Some(n) = site_workers {
            let suggested = crate::interviews::sampling::suggested_sample(n as u64);
            ifigures.push(field(l.get("report.sample_suggested"), format!("{suggested} ({} {n})", l.get("report.of_workers"))));
            ifigures.push(field(l.get("report.sample_coverage"), format!("{:.0} %", 100.0 * (sealed as f64 / suggested.max(1) as f64).min(1.0))));
        }
        let (note, aggregate) = match (req.kind, req.reviewer) {
            (ReportKind::Site, _) => (l.get("report.interviews_site_note"), None),
            (ReportKind::Full, None) => (l.get("report.interviews_sealed"), None),
            (ReportKind::Full, Some(identity)) => {
                let (_, agg) = self.interview_aggregate(req.audit_id, identity)?;
                (l.get("report.interviews_aggregate_note"), Some(aggregate_view(&l, &agg)))
            }
        };
        sections.push(Section::Interviews(InterviewsSection { title: l.get("report.interviews"), figures: ifigures, note, aggregate }));

        // Every answer (full report).
        if req.kind == ReportKind::Full {
            sections.push(Section::ChecklistAnswers(self.answers_section(&l, req.audit_id, &instances)?));
        }

        // Sign-off.
        let mut fields = Vec::new();
        match &seal {
            Some(s) => {
                fields.push(field(l.get("report.signed_by"), s.signer.clone()));
                fields.push(field(l.get("report.signed_at"), s.signed_at.clone()));
                fields.push(field(l.get("report.device"), s.signer_device.clone()));
                fields.push(field(l.get("report.digest"), s.digest.clone()));
                fields.push(field(l.get("report.public_key"), s.public_key.clone()));
            }
            None => fields.push(field(l.get("report.status"), l.get("report.not_signed"))),
        }
        if let Some(name) = audit.site_rep_name.clone().filter(|n| !n.trim().is_empty()) {
            let who = match audit.site_rep_role.as_deref().filter(|r| !r.trim().is_empty()) {
                Some(role) => format!("{name} ({role})"),
                None => name,
            };
            fields.push(field(l.get("loop.ackTitle"), who));
        }
        let draft = match (&seal, signoffs.is_empty()) {
            (Some(_), _) => None,
            (None, true) => Some(l.get("report.draft_unsigned")),
            (None, false) if signoffs.iter().all(|c| c.voided) => Some(l.get("report.draft_reopened")),
            (None, false) => Some(l.get("report.draft_changed")),
        };
        sections.push(Section::SignOff(SignOffSection {
            title: l.get("report.signoff"),
            fields,
            note: l.get("report.verify_note"),
            signature_lines: match req.kind {
                ReportKind::Site => vec![l.get("report.sign_auditor"), l.get("report.sign_site")],
                ReportKind::Full => Vec::new(),
            },
        }));

        Ok(Report {
            kind: req.kind,
            lang: l.lang().to_owned(),
            audit_id: req.audit_id,
            title: l.get(match req.kind {
                ReportKind::Site => "report.site_title",
                ReportKind::Full => "report.full_title",
            }),
            facility_name,
            audit_label: format!("{} {}", l.get("report.audit"), short_id(req.audit_id)),
            draft,
            draft_mark: l.get("report.draft_mark"),
            generated: format!("{} {}", l.get("report.generated"), Utc::now().format("%Y-%m-%d %H:%M UTC")),
            page_word: l.get("report.page"),
            contents_title: (req.kind == ReportKind::Full).then(|| l.get("report.contents")),
            sections,
            photos,
            seal,
        })
    }

    fn answers_section(&self, l: &Labels, audit_id: Uuid, instances: &[RepeatInstance]) -> Result<AnswersSection> {
        let ws = self.workspace(audit_id, l.lang())?;
        let mut blocks = Vec::new();
        for c in &ws.checklists {
            for s in &c.sections {
                for inst in &s.instances {
                    let title = match inst.instance_id.and_then(|i| instances.iter().find(|x| x.id == i)).and_then(|x| x.label.clone()) {
                        Some(label) => format!("{} — {}: {label}", c.title, s.title),
                        None => format!("{} — {}", c.title, s.title),
                    };
                    let rows = inst
                        .items
                        .iter()
                        .map(|item| {
                            let value = match (&item.value, &item.control) {
                                (None, Control::Photo) => format!("{} {}", item.attachments.len(), l.get("report.photos")),
                                (None, _) => "—".into(),
                                (Some(v), control) => answer_text(l, v, control),
                            };
                            vec![
                                item.text.clone(),
                                value,
                                item.note.clone().unwrap_or_default(),
                                item.failing.map(|s| l.code(s.as_str())).unwrap_or_default(),
                            ]
                        })
                        .collect();
                    blocks.push(AnswerBlock {
                        title,
                        table: Table {
                            columns: vec![l.get("report.question"), l.get("report.answer"), l.get("report.note"), l.get("report.finding")],
                            widths: vec![6, 3, 4, 2],
                            rows,
                            empty: l.get("report.none"),
                        },
                    });
                }
            }
        }
        Ok(AnswersSection { title: l.get("report.answers"), blocks })
    }
}

/// An answer in words.
fn answer_text(l: &Labels, value: &Value, control: &Control) -> String {
    match (value, control) {
        (Value::String(s), _) if s == fieldaudit_templates::NOT_APPLICABLE => l.get("report.na"),
        (Value::Bool(b), _) => l.get(if *b { "report.yes" } else { "report.no" }),
        (Value::String(s), Control::YesNo) if s == "yes" || s == "no" => l.get(&format!("report.{s}")),
        (Value::String(s), Control::Choice { options, .. }) => options.iter().find(|o| &o.id == s).map(|o| o.text.clone()).unwrap_or_else(|| s.clone()),
        (Value::Array(list), Control::Choice { options, .. }) => list
            .iter()
            .filter_map(Value::as_str)
            .map(|s| options.iter().find(|o| o.id == s).map(|o| o.text.clone()).unwrap_or_else(|| s.to_owned()))
            .collect::<Vec<_>>()
            .join(", "),
        (Value::Number(n), Control::Number { unit: Some(u), .. }) => format!("{n} {u}"),
        (Value::Number(n), _) => n.to_string(),
        (Value::String(s), _) => s.clone(),
        (other, _) => other.to_string(),
    }
}

fn item_text(audit: &crate::model::Audit, template_id: &str, item_id: &str, lang: &str) -> Option<String> {
    let pinned = audit.checklists.iter().flatten().find(|c| c.template_id == template_id)?;
    let t = fieldaudit_templates::builtin_template(template_id, pinned.version)?;
    let (_, item) = t.item(item_id)?;
    Some(item.text.get(lang).to_owned())
}

fn section_title(template_id: &str, section_id: &str, lang: &str) -> Option<String> {
    let t = fieldaudit_templates::builtin_latest(template_id)?;
    t.sections.iter().find(|s| s.id == section_id).map(|s| s.title.get(lang).to_owned())
}

/// The aggregate in words: figures, fees per currency, answers per option.
fn aggregate_view(l: &Labels, agg: &InterviewAggregate) -> InterviewAggregateView {
    let mut figures = vec![
        field(l.get("report.interviews_opened"), agg.interviews.to_string()),
        field(l.get("report.workers_interviewed"), agg.workers.to_string()),
        field(l.get("report.consented"), agg.consented.to_string()),
        field(l.get("report.workers_reporting_fees"), agg.workers_reporting_fees.to_string()),
        field(l.get("report.workers_with_loans"), agg.workers_with_loans.to_string()),
        field(l.get("report.passports_held"), agg.passports_held_by_employer.to_string()),
        field(l.get("report.coaching_or_fear"), agg.coaching_or_fear.to_string()),
    ];
    if agg.unreadable > 0 {
        figures.push(field(l.get("report.unreadable"), agg.unreadable.to_string()));
    }
    let template = crate::interviews::interview_template().ok();
    let question = |id: &str| -> String { template.and_then(|t| t.item(id)).map(|(_, i)| i.text.get(l.lang()).to_owned()).unwrap_or_else(|| id.to_owned()) };
    let option = |id: &str, opt: &str| -> String {
        template
            .and_then(|t| t.item(id))
            .and_then(|(_, i)| match &i.answer {
                fieldaudit_templates::AnswerType::Choice { options, .. } => options.iter().find(|o| o.id == opt).map(|o| o.text.get(l.lang()).to_owned()),
                _ => None,
            })
            .unwrap_or_else(|| l.code(opt))
    };
    InterviewAggregateView {
        title: l.get("report.interview_results"),
        figures,
        fees: Table {
            columns: vec![l.get("report.currency"), l.get("report.paid"), l.get("report.reimbursed"), l.get("report.workers")],
            widths: vec![2, 3, 3, 2],
            rows: agg.fees_by_currency.iter().map(|(c, t)| vec![c.clone(), money(t.paid), money(t.reimbursed), t.workers.to_string()]).collect(),
            empty: l.get("report.no_fees"),
        },
        answers: Table {
            columns: vec![l.get("report.question"), l.get("report.answers_count")],
            widths: vec![5, 5],
            rows: agg
                .answers
                .iter()
                .map(|(item, counts)| vec![question(item), counts.iter().map(|(o, n)| format!("{}: {n}", option(item, o))).collect::<Vec<_>>().join(" · ")])
                .collect(),
            empty: l.get("report.none"),
        },
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    #[test]
    fn amounts_print_whole_or_with_two_decimals() {
        assert_eq!(super::money(Decimal::new(30000, 0)), "30000");
        assert_eq!(super::money(Decimal::new(3000000, 2)), "30000");
        assert_eq!(super::money(Decimal::new(12505, 1)), "1250.50");
        assert_eq!(super::money(Decimal::new(125055, 3)), "125.055");
    }
}
