//! The corrective-action loop on the command line: reopening signed audits, the
//! site's acknowledgement, follow-ups, CAP deadlines, supplier workbooks and
//! responses, desktop reviews and finding history. Each command calls core.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::Subcommand;
use fieldaudit_core::follow_up::{FollowUpKind, NewFollowUp, VerificationInput};
use fieldaudit_core::Store;
use fieldaudit_protocol::closed_sets::{FollowUpStatus, Notice, SiteResponse, VerificationMethod};
use fieldaudit_protocol::EntityKind;

use crate::output::{self, short};

/// What a follow-up or desktop review found, as arguments.
#[derive(clap::Args, Debug)]
pub struct VerificationArgs {
    /// closed, progress_made or still_open.
    #[arg(long)]
    status: FollowUpStatus,
    /// What evidence was reviewed (required to close).
    #[arg(long, default_value = "")]
    evidence: String,
    /// A note.
    #[arg(long, default_value = "")]
    note: String,
    /// Who verified.
    #[arg(long)]
    by: String,
    /// When (YYYY-MM-DD; default today).
    #[arg(long)]
    on: Option<NaiveDate>,
}

impl VerificationArgs {
    fn input(self, method: VerificationMethod) -> VerificationInput {
        VerificationInput {
            status: self.status,
            method,
            evidence_reviewed: self.evidence,
            note: self.note,
            verified_by: self.by,
            verified_on: self.on.unwrap_or_else(fieldaudit_core::follow_up::today),
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum FollowUpCommand {
    /// Start a follow-up of a facility, carrying its earlier findings not yet verified closed.
    Start {
        /// Facility id.
        #[arg(long)]
        facility: String,
        /// full (earlier findings and the full checklists) or partial (earlier findings only).
        #[arg(long = "type", value_parser = ["full", "partial"], default_value = "partial")]
        kind: String,
        /// Checklist to include (`ID` or `ID@VERSION`); repeat for several.
        #[arg(long = "checklist")]
        checklists: Vec<String>,
        /// announced, semi_announced or unannounced.
        #[arg(long, default_value = "announced")]
        notice: Notice,
        /// First day on site (default today).
        #[arg(long)]
        start: Option<NaiveDate>,
        /// Auditor name; repeat for the team.
        #[arg(long = "auditor")]
        auditors: Vec<String>,
    },
    /// The follow-up's previous findings and what was found of each.
    Findings {
        /// Follow-up audit id.
        audit: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record what the follow-up found of one previous finding.
    Verify {
        /// Follow-up audit id.
        audit: String,
        /// The earlier finding's id.
        finding: String,
        /// on_site or desktop_review.
        #[arg(long, default_value = "on_site")]
        method: VerificationMethod,
        #[command(flatten)]
        found: VerificationArgs,
    },
}

/// `fieldaudit cap …`: corrective action plans, from the office's list across
/// facilities to one supplier's workbook and a reviewer's desktop review.
#[derive(Subcommand, Debug)]
pub enum CapCommand {
    /// CAP items with their plan-due and fix-by dates, what is overdue and the
    /// supplier's answer: across facilities, or of one facility or audit.
    List(crate::office_commands::CapListArgs),
    /// Write a facility's open CAP items as an XLSX for the supplier to fill in.
    Export {
        /// Facility id.
        #[arg(long)]
        facility: String,
        /// The XLSX file to write.
        #[arg(long)]
        out: PathBuf,
        /// The export day (default today).
        #[arg(long)]
        today: Option<NaiveDate>,
    },
    /// Read a filled CAP workbook: preview per item, then store every answer as a
    /// supplier response (all or nothing).
    Import {
        /// The filled XLSX.
        file: PathBuf,
        /// Show what would change without storing anything.
        #[arg(long)]
        dry_run: bool,
        /// Judge dates against this day (default today).
        #[arg(long)]
        today: Option<NaiveDate>,
        /// Print the preview as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Supplier responses waiting for a reviewer.
    Responses,
    /// As a reviewer: accept a supplier response (it becomes the CAP item's plan).
    Accept {
        /// Response id.
        response: String,
    },
    /// As a reviewer: reject a supplier response with a reason.
    Reject {
        /// Response id.
        response: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Attach a photo or document to a CAP item as evidence.
    Attach {
        /// CAP item id.
        action: String,
        /// The file.
        file: PathBuf,
    },
    /// As a reviewer: verify a finding's CAP from evidence received, without a visit.
    DesktopReview {
        /// Finding id.
        finding: String,
        #[command(flatten)]
        found: VerificationArgs,
    },
}

fn open(dir: &Path) -> Result<Store> {
    Ok(Store::open(dir)?)
}

/// `fieldaudit audit reopen`.
pub fn reopen(dir: &Path, audit: &str, reason: &str) -> Result<()> {
    let mut store = open(dir)?;
    let audit = store.resolve_id(EntityKind::Audit, audit)?;
    let r = store.reopen_audit(audit, reason)?;
    crate::out!("reopened for correction by {} ({}); its sign-offs are void: sign it off again when corrected", r.reopened_by, r.reason);
    let held = store
        .quarantine()?
        .into_iter()
        .filter(|q| q.code == "audit_signed")
        .count();
    if held > 0 {
        crate::out!("{held} change(s) the server refused while it was signed are in `fieldaudit quarantine`; take them in with `fieldaudit quarantine --retake SEQ`");
    }
    Ok(())
}

/// `fieldaudit audit acknowledge`.
pub fn acknowledge(dir: &Path, audit: &str, name: &str, role: &str) -> Result<()> {
    let mut store = open(dir)?;
    let audit = store.resolve_id(EntityKind::Audit, audit)?;
    store.acknowledge_audit(audit, name, role)?;
    crate::out!(
        "acknowledged for the site by {name}{}",
        if role.is_empty() {
            String::new()
        } else {
            format!(" ({role})")
        }
    );
    Ok(())
}

/// `fieldaudit audit site-response`.
pub fn site_response(dir: &Path, finding: &str, response: &str, comment: &str) -> Result<()> {
    let mut store = open(dir)?;
    let finding = store.resolve_id(EntityKind::Finding, finding)?;
    let r = SiteResponse::parse(response)
        .with_context(|| format!("{response:?}: say agreed or disputed"))?;
    store.record_site_response(finding, r, comment)?;
    crate::out!("the site {} finding {}", r, short(&finding));
    Ok(())
}

/// `fieldaudit audit history`.
pub fn history(dir: &Path, finding: &str, json: bool) -> Result<()> {
    let store = open(dir)?;
    let finding = store.resolve_id(EntityKind::Finding, finding)?;
    let h = store.finding_history(finding)?;
    if json {
        return output::json(&h);
    }
    crate::out!(
        "{} ({})",
        h.finding.title.clone().unwrap_or_default(),
        h.finding.severity.map(|s| s.as_str()).unwrap_or_default()
    );
    for e in &h.events {
        let step = serde_json::to_value(&e.step)?
            .as_str()
            .unwrap_or_default()
            .replace('_', " ");
        let by =
            e.by.as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default();
        let audit = e
            .audit_id
            .map(|a| format!(" [audit {}]", short(&a)))
            .unwrap_or_default();
        let detail = e
            .detail
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        crate::out!("{}  {step}{by}{audit}{detail}", e.at);
    }
    Ok(())
}

/// `fieldaudit audit follow-up …`.
pub fn follow_up(dir: &Path, cmd: FollowUpCommand) -> Result<()> {
    let mut store = open(dir)?;
    match cmd {
        FollowUpCommand::Start {
            facility,
            kind,
            checklists,
            notice,
            start,
            auditors,
        } => {
            let facility = store.resolve_id(EntityKind::Facility, &facility)?;
            let checklists = checklists
                .iter()
                .map(|c| crate::commands::checklist_ref(c))
                .collect::<Result<Vec<_>>>()?;
            let kind = if kind == "full" {
                FollowUpKind::Full
            } else {
                FollowUpKind::Partial
            };
            let id = store.start_follow_up(&NewFollowUp {
                facility_id: facility,
                kind,
                checklists,
                notice,
                start_date: start.unwrap_or_else(fieldaudit_core::follow_up::today),
                auditors,
            })?;
            let carried = store.previous_findings(id)?.len();
            crate::out!("{id}");
            crate::out!(
                "{} follow-up started with {carried} previous finding(s) to verify",
                kind.audit_type().as_str().replace('_', " ")
            );
        }
        FollowUpCommand::Findings { audit, json } => {
            let audit = store.resolve_id(EntityKind::Audit, &audit)?;
            let list = store.previous_findings(audit)?;
            if json {
                return output::json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|p| {
                    vec![
                        short(&p.finding.id),
                        p.finding.severity.map(|s| s.to_string()).unwrap_or_default(),
                        p.finding.title.clone().unwrap_or_default(),
                        p.original_audit.start_date.clone().unwrap_or_default(),
                        p.verification.status.map_or_else(|| "not yet verified".into(), |s| s.to_string()),
                        p.verification.method.map(|m| m.to_string()).unwrap_or_default(),
                    ]
                })
                .collect();
            output::table(
                &["FINDING", "SEVERITY", "TITLE", "RAISED", "STATUS", "METHOD"],
                &rows,
            );
        }
        FollowUpCommand::Verify {
            audit,
            finding,
            method,
            found,
        } => {
            let audit = store.resolve_id(EntityKind::Audit, &audit)?;
            let finding = store.resolve_id(EntityKind::Finding, &finding)?;
            let input = found.input(method);
            store.record_verification(audit, finding, &input)?;
            crate::out!(
                "finding {}: {}",
                short(&finding),
                input.status.as_str().replace('_', " ")
            );
        }
    }
    Ok(())
}

fn today_or(d: Option<NaiveDate>) -> NaiveDate {
    d.unwrap_or_else(fieldaudit_core::follow_up::today)
}

/// `fieldaudit cap …`.
pub fn cap(dir: &Path, cmd: CapCommand) -> Result<()> {
    let cmd = match cmd {
        CapCommand::List(args) => return crate::office_commands::cap_list(dir, args),
        other => other,
    };
    let mut store = open(dir)?;
    match cmd {
        CapCommand::List(_) => unreachable!("handled above"),
        CapCommand::Export {
            facility,
            out,
            today,
        } => {
            let facility = store.resolve_id(EntityKind::Facility, &facility)?;
            let items = store.write_cap_workbook(facility, today_or(today), &out)?;
            crate::out!("wrote {} ({items} open CAP items); send it to the supplier", out.display());
        }
        CapCommand::Import {
            file,
            dry_run,
            today,
            json,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let today = today_or(today);
            let preview = store.read_cap_workbook(&name, &bytes, today)?;
            if json {
                output::json(&preview)?;
            } else {
                for r in &preview.rows {
                    crate::out!(
                        "row {}: {} ({}):",
                        r.row,
                        r.finding,
                        short(&r.response.action_id)
                    );
                    for c in &r.changes {
                        crate::out!(
                            "  {}: {} -> {}",
                            c.field,
                            c.before.as_deref().unwrap_or("(none)"),
                            c.after
                        );
                    }
                }
                crate::out!(
                    "{} answered, {} left empty, {} problem(s)",
                    preview.rows.len(),
                    preview.unanswered,
                    preview.problems.len()
                );
                for p in &preview.problems {
                    if p.row == 0 {
                        crate::out!("  {}", p.reason);
                    } else {
                        crate::out!("  row {}: {}", p.row, p.reason);
                    }
                }
            }
            if !preview.problems.is_empty() {
                bail!(
                    "{} was not imported: fix the rows above and import it again (nothing changed)",
                    file.display()
                );
            }
            if dry_run {
                if !json {
                    crate::out!("dry run: nothing changed");
                }
                return Ok(());
            }
            let applied = store.import_cap_workbook(&name, &bytes, today)?;
            if !json {
                crate::out!(
                    "stored {} supplier response(s) for a reviewer to accept or reject",
                    applied.rows.len()
                );
            }
        }
        CapCommand::Responses => {
            let list = store.pending_supplier_responses()?;
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|r| {
                    vec![
                        short(&r.id),
                        r.action_id.map(|a| short(&a)).unwrap_or_default(),
                        r.corrective_action.clone().unwrap_or_default(),
                        r.planned_completion.clone().unwrap_or_default(),
                        r.file_name.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            output::table(
                &[
                    "RESPONSE",
                    "CAP ITEM",
                    "CORRECTIVE ACTION",
                    "PLANNED",
                    "FILE",
                ],
                &rows,
            );
        }
        CapCommand::Accept { response } => {
            let id = store.resolve_id(EntityKind::SupplierResponse, &response)?;
            store.accept_supplier_response(id)?;
            crate::out!("accepted: it is the CAP item's plan now");
        }
        CapCommand::Reject { response, reason } => {
            let id = store.resolve_id(EntityKind::SupplierResponse, &response)?;
            store.reject_supplier_response(id, &reason)?;
            crate::out!("rejected; the supplier is told why");
        }
        CapCommand::Attach { action, file } => {
            let action = store.resolve_id(EntityKind::CorrectiveAction, &action)?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let id = store.add_cap_evidence(action, &name, &bytes)?;
            crate::out!("{id}");
        }
        CapCommand::DesktopReview { finding, found } => {
            let finding = store.resolve_id(EntityKind::Finding, &finding)?;
            let input = found.input(VerificationMethod::DesktopReview);
            store.desktop_review(finding, &input)?;
            crate::out!(
                "finding {}: {} (desktop review)",
                short(&finding),
                input.status.as_str().replace('_', " ")
            );
        }
    }
    Ok(())
}
