//! The subcommands: each parses its arguments, calls one core function and prints.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::Subcommand;
use fieldaudit_core::audits::NewAudit;
use fieldaudit_core::import::FacilityRecord;
use fieldaudit_core::model::ChecklistRef;
use fieldaudit_core::Store;
use fieldaudit_protocol::closed_sets::{AuditType, FindingStatus, Notice};
use fieldaudit_protocol::EntityKind;
use fieldaudit_templates::Template;
use serde_json::Value;

use crate::output::{self, short};
use crate::{Cli, Command};

#[derive(Subcommand, Debug)]
pub enum FacilityCommand {
    /// Import a brand supplier list or Open Supply Hub CSV (all rows or none).
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Show what would be added, merged and rejected without changing anything.
        #[arg(long)]
        dry_run: bool,
        /// Print the preview as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List facilities.
    List {
        /// Only those whose name, address, country or OS ID contains this.
        #[arg(long, default_value = "")]
        search: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the facility registry as CSV in the Open Supply Hub list layout
    /// (importing it back yields the same facilities).
    Export {
        /// The CSV file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Add one facility by hand.
    Add {
        /// Name.
        #[arg(long)]
        name: String,
        /// Country name or ISO code.
        #[arg(long)]
        country: String,
        /// Address.
        #[arg(long, default_value = "")]
        address: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TemplateCommand {
    /// List the built-in checklists.
    List,
    /// Show a checklist's sections and items (`ID` or `ID@VERSION`).
    Show {
        /// Template id, optionally with @version.
        template: String,
    },
    /// Check template files and report every mistake with file, item and reason
    /// (for a workbook: sheet, row and column).
    Validate {
        /// TOML templates or XLSForm-style workbooks (`.xlsx`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write a checklist as an XLSForm-style workbook (survey, choices and settings
    /// sheets): the starting point for an organisation's own checklist.
    Export {
        /// Template id, optionally with @version.
        template: String,
        /// The workbook to write (`.xlsx`); written whole or not at all.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Start an audit of a facility.
    Start {
        /// Facility id (or its last 8+ characters, as `facility list` shows).
        #[arg(long)]
        facility: String,
        /// Checklist to include, `ID` or `ID@VERSION`; repeat for several.
        #[arg(long = "checklist", required = true)]
        checklists: Vec<String>,
        /// initial, periodic, full_follow_up or partial_follow_up.
        #[arg(long = "type", default_value = "initial")]
        audit_type: AuditType,
        /// announced, semi_announced or unannounced.
        #[arg(long, default_value = "announced")]
        notice: Notice,
        /// First day on site (YYYY-MM-DD; default today).
        #[arg(long)]
        start: Option<NaiveDate>,
        /// Last day on site (YYYY-MM-DD).
        #[arg(long)]
        end: Option<NaiveDate>,
        /// Auditor name; repeat for the team.
        #[arg(long = "auditor")]
        auditors: Vec<String>,
    },
    /// List audits.
    List {
        /// Only audits of this facility.
        #[arg(long)]
        facility: Option<String>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The signed-in user's audits (My audits): planned, in progress, returned with
    /// the reviewer's comment, submitted, approved; with their role on each team.
    Mine {
        /// Print as JSON (the groups, with who is signed in).
        #[arg(long)]
        json: bool,
    },
    /// Record an answer: VALUE is yes/no/na, a number, a date, text, an option id, or null to clear.
    Answer {
        /// Audit id.
        audit: String,
        /// Item id, e.g. floor.exit_locked.
        item: String,
        /// The answer.
        value: String,
        /// The checklist the item belongs to.
        #[arg(long)]
        checklist: String,
        /// Repeat instance id, for items of repeating sections.
        #[arg(long)]
        instance: Option<String>,
        /// A note on the answer.
        #[arg(long)]
        note: Option<String>,
    },
    /// Add an instance of a repeating section (e.g. another floor or building).
    AddInstance {
        /// Audit id.
        audit: String,
        /// Checklist id.
        #[arg(long)]
        checklist: String,
        /// Section id.
        #[arg(long)]
        section: String,
        /// Label, e.g. "Building B".
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Show an audit's findings and corrective actions.
    Findings {
        /// Audit id.
        audit: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show an audit's progress, conformance and indicative score.
    Score {
        /// Audit id.
        audit: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export an audit as one JSON document.
    Export {
        /// Audit id.
        audit: String,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Mark an audit submitted for review.
    Submit {
        /// Audit id.
        audit: String,
    },
    /// Sign an audit off (this device's ed25519 key over what it recorded) and
    /// submit it for review.
    Sign {
        /// Audit id.
        audit: String,
        /// The auditor signing off.
        #[arg(long)]
        signer: String,
    },
    /// Check an audit's sign-offs against the audit as it is now (exit status 1
    /// when one does not verify).
    Verify {
        /// Audit id.
        audit: String,
    },
    /// Write the audit's report as PDF: `site` (left with the facility; never
    /// interview content) or `full` (for the brand; every answer, and interview
    /// results in aggregate when --identity gives an unlocked reviewer key).
    Report {
        /// Audit id.
        audit: String,
        /// site or full.
        #[arg(long, default_value = "site")]
        kind: fieldaudit_core::report::ReportKind,
        /// The PDF to write (its language is the global --lang).
        #[arg(long)]
        out: PathBuf,
        /// A reviewer's private key file, to include interview aggregates (full report).
        #[arg(long)]
        identity: Option<PathBuf>,
        /// Read the reviewer key's passphrase from standard input.
        #[arg(long)]
        passphrase_stdin: bool,
    },
    /// Reopen a signed audit for correction (the lead auditor or a reviewer): the
    /// reason is recorded and the sign-offs are void until it is signed off again.
    Reopen {
        /// Audit id.
        audit: String,
        /// Why it is reopened.
        #[arg(long)]
        reason: String,
    },
    /// Record the facility representative who acknowledges the findings (before sign-off).
    Acknowledge {
        /// Audit id.
        audit: String,
        /// The representative's name.
        #[arg(long)]
        name: String,
        /// Their role.
        #[arg(long, default_value = "")]
        role: String,
    },
    /// Record whether the site agrees with or disputes a finding (before sign-off).
    SiteResponse {
        /// Finding id.
        finding: String,
        /// agreed or disputed.
        #[arg(value_parser = ["agreed", "disputed"])]
        response: String,
        /// The site's comment (required for a dispute).
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// A finding's history: raised, the site's answer, sign-off, supplier
    /// responses, verifications, recurrences.
    History {
        /// Finding id.
        finding: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Follow-up audits: start one, list its previous findings, verify them.
    #[command(subcommand)]
    FollowUp(crate::cap_commands::FollowUpCommand),
    /// As a reviewer: approve a submitted audit (its sign-off must still verify)
    /// or return it to the auditors with what to fix.
    Review {
        /// Audit id.
        audit: String,
        /// Approve the audit as signed.
        #[arg(long, conflicts_with = "return_with")]
        approve: bool,
        /// Return it, saying what the auditors should fix.
        #[arg(long = "return", value_name = "WHAT_TO_FIX")]
        return_with: Option<String>,
    },
}

pub fn run(cli: Cli) -> Result<()> {
    let dir = cli.data_dir();
    match cli.command {
        Command::Init { device_name } => {
            let store = Store::create(&dir, &device_name)?;
            crate::out!(
                "FieldAudit data in {} (device {} \"{}\")",
                dir.display(),
                store.device_id(),
                store.device_name()?
            );
            Ok(())
        }
        Command::Facility(cmd) => facility(&dir, cmd),
        Command::Template(cmd) => template(cmd),
        Command::Audit(cmd) => audit(&dir, cmd),
        Command::Demo { office: true, .. } => crate::office_commands::seed_office(&dir),
        Command::Demo { fixtures, .. } => demo(&dir, fixtures),
        Command::Cap(cmd) => crate::cap_commands::cap(&dir, cmd),
        Command::Plan { country, sort, desc, out, format } => crate::office_commands::plan(&dir, country, &sort, desc, out, &format),
        Command::Dashboard { from, to, country, currency, format } => {
            let filter = fieldaudit_core::office::OfficeFilter { from, to, country: country.map(|c| c.to_ascii_uppercase()), facility_id: None };
            crate::office_commands::dashboard(&dir, filter, &currency, &format)
        }
        Command::Queue { list, format } => {
            let list = match list.as_str() {
                "returned" => fieldaudit_core::office::review_queue::QueueList::Returned,
                "approved" => fieldaudit_core::office::review_queue::QueueList::Approved,
                _ => fieldaudit_core::office::review_queue::QueueList::Waiting,
            };
            crate::office_commands::queue(&dir, list, &format)
        }
        Command::Rates(cmd) => crate::office_commands::rates(&dir, cmd),
        Command::Risk(cmd) => crate::office_commands::risk(&dir, cmd),
        Command::Interview(cmd) => crate::interview_commands::interview(&dir, cmd),
        Command::Reviewer(cmd) => crate::interview_commands::reviewer(&dir, cmd),
        Command::Login {
            server,
            org,
            user,
            password_stdin,
        } => crate::sync_commands::login(&dir, &server, &org, &user, password_stdin),
        Command::Logout => crate::sync_commands::logout(&dir),
        Command::Sync => crate::sync_commands::run_sync(&dir),
        Command::Status => crate::sync_commands::status(&dir),
        Command::Conflicts {
            resolve,
            choose,
            all,
        } => crate::sync_commands::conflicts(&dir, resolve, choose, all),
        Command::Quarantine { retake, drop } => {
            crate::sync_commands::quarantine(&dir, retake, drop)
        }
        Command::ExportSync { file } => crate::sync_commands::export_file(&dir, &file),
        Command::ImportSync { file } => crate::sync_commands::import_file(&dir, &file),
        Command::Report(cmd) => crate::report_commands::report(&dir, cmd),
        Command::Export { format, out, audit } => crate::report_commands::export(&dir, format, &out, audit),
    }
}

fn open(dir: &Path) -> Result<Store> {
    Ok(Store::open(dir)?)
}

fn facility(dir: &Path, cmd: FacilityCommand) -> Result<()> {
    match cmd {
        FacilityCommand::Import {
            file,
            dry_run,
            json,
        } => {
            let mut store = open(dir)?;
            let input = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let preview = store.preview_facility_import(input)?;
            if json {
                output::json(&preview)?;
            } else {
                let s = &preview.summary;
                crate::out!(
                    "{}: {} rows: {} to add, {} to merge into existing facilities ({} with new values), {} duplicates within the file, {} rejected, {} warnings",
                    file.display(), s.rows, s.add, s.merge, s.merge_with_changes, s.duplicates_in_file, s.reject, s.warnings
                );
                for r in &preview.reject {
                    crate::out!("  rejected line {}: {}", r.line, r.reason);
                }
                for w in &preview.warnings {
                    crate::out!("  warning line {} ({}): {}", w.line, w.field, w.reason);
                }
            }
            if dry_run {
                if !json {
                    crate::out!("dry run: nothing changed");
                }
                return Ok(());
            }
            let applied = store.apply_facility_import(&preview)?;
            if !json {
                crate::out!(
                    "imported: {} added, {} updated, {} rejected",
                    applied.added,
                    applied.updated,
                    applied.rejected
                );
            }
            Ok(())
        }
        FacilityCommand::List { search, json } => {
            let store = open(dir)?;
            let list = store.facilities(&search)?;
            if json {
                return output::json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|s| {
                    let f = &s.facility;
                    vec![
                        short(&f.id),
                        f.name.clone().unwrap_or_default(),
                        f.country_code.clone().unwrap_or_default(),
                        f.sectors.clone().unwrap_or_default().join("|"),
                        s.last_audit.clone().unwrap_or_else(|| "-".into()),
                        s.open_actions.to_string(),
                    ]
                })
                .collect();
            output::table(
                &[
                    "ID",
                    "NAME",
                    "COUNTRY",
                    "SECTOR",
                    "LAST AUDIT",
                    "OPEN ACTIONS",
                ],
                &rows,
            );
            Ok(())
        }
        FacilityCommand::Export { out } => crate::report_commands::facility_export(dir, &out),
        FacilityCommand::Add {
            name,
            country,
            address,
        } => {
            let mut store = open(dir)?;
            let code = fieldaudit_core::import::normalise_country(&country).with_context(|| {
                format!("{country:?} is not a country name or ISO code; use a code such as BD")
            })?;
            let id = store.add_facility(&FacilityRecord {
                name,
                address,
                country_code: code.to_owned(),
                ..Default::default()
            })?;
            crate::out!("{id}");
            Ok(())
        }
    }
}

fn find_template(spec: &str) -> Result<&'static Template> {
    let (id, version) = match spec.split_once('@') {
        Some((id, v)) => (
            id,
            Some(
                v.parse::<u32>()
                    .with_context(|| format!("{v:?} is not a version number; write ID@1"))?,
            ),
        ),
        None => (spec, None),
    };
    let found = match version {
        Some(v) => fieldaudit_templates::builtin_template(id, v),
        None => fieldaudit_templates::builtin_latest(id),
    };
    found.with_context(|| {
        let ids: Vec<_> = fieldaudit_templates::builtin()
            .iter()
            .map(|t| format!("{}@{}", t.id, t.version))
            .collect();
        format!("no checklist {spec:?}; available: {}", ids.join(", "))
    })
}

fn template(cmd: TemplateCommand) -> Result<()> {
    match cmd {
        TemplateCommand::List => {
            let rows: Vec<Vec<String>> = fieldaudit_templates::builtin()
                .iter()
                .map(|t| vec![t.id.clone(), t.version.to_string(), t.title.get(output::lang()).to_owned(), t.items().count().to_string()])
                .collect();
            output::table(&["ID", "VERSION", "TITLE", "ITEMS"], &rows);
            Ok(())
        }
        TemplateCommand::Show { template } => {
            let t = find_template(&template)?;
            let lang = output::lang();
            crate::out!("{}@{}: {}", t.id, t.version, t.title.get(lang));
            for s in &t.sections {
                let repeat = if s.repeat.is_some() { " (repeats)" } else { "" };
                crate::out!("\n[{}] {}{}", s.id, s.title.get(lang), repeat);
                for i in &s.items {
                    let sev = i.max_severity().map(|s| format!(" [{}]", s.as_str())).unwrap_or_default();
                    crate::out!("  {:<36} {:<8} {}{}", i.id, i.answer.name(), i.text.get(lang), sev);
                }
            }
            Ok(())
        }
        TemplateCommand::Validate { files } => {
            let mut failed = 0;
            for f in &files {
                match fieldaudit_templates::load_file(f) {
                    Ok(t) => crate::out!(
                        "{}: ok ({}@{}, {} items)",
                        f.display(),
                        t.id,
                        t.version,
                        t.items().count()
                    ),
                    Err(e) => {
                        eprintln!("{e}");
                        failed += 1;
                    }
                }
            }
            if failed > 0 {
                bail!(
                    "{failed} of {} template files have mistakes (listed above)",
                    files.len()
                );
            }
            Ok(())
        }
        TemplateCommand::Export { template, out } => {
            let t = find_template(&template)?;
            let bytes = fieldaudit_templates::xlsform::write_xlsx(t).context("cannot build the workbook")?;
            // Write beside the target, then rename: never a half-written workbook.
            let tmp = out.with_extension("xlsx.partial");
            std::fs::write(&tmp, &bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, &out).with_context(|| format!("cannot write {}", out.display()))?;
            crate::out!("{}: {}@{} as a workbook ({} items)", out.display(), t.id, t.version, t.items().count());
            Ok(())
        }
    }
}

/// An answer typed on the command line: JSON if it parses as JSON (numbers, null),
/// otherwise the text itself (yes, no, na, option ids, dates, free text).
fn parse_value(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ (Value::Number(_) | Value::Null | Value::Array(_))) => v,
        _ => Value::String(text.to_owned()),
    }
}

/// A checklist given as `ID` or `ID@VERSION`.
pub(crate) fn checklist_ref(spec: &str) -> Result<ChecklistRef> {
    find_template(spec).map(|t| ChecklistRef {
        template_id: t.id.clone(),
        version: t.version,
    })
}

fn audit(dir: &Path, cmd: AuditCommand) -> Result<()> {
    let cmd = match cmd {
        AuditCommand::Reopen { audit, reason } => {
            return crate::cap_commands::reopen(dir, &audit, &reason)
        }
        AuditCommand::Acknowledge { audit, name, role } => {
            return crate::cap_commands::acknowledge(dir, &audit, &name, &role)
        }
        AuditCommand::SiteResponse {
            finding,
            response,
            comment,
        } => return crate::cap_commands::site_response(dir, &finding, &response, &comment),
        AuditCommand::History { finding, json } => {
            return crate::cap_commands::history(dir, &finding, json)
        }
        AuditCommand::FollowUp(cmd) => return crate::cap_commands::follow_up(dir, cmd),
        other => other,
    };
    let mut store = open(dir)?;
    match cmd {
        AuditCommand::Start {
            facility,
            checklists,
            audit_type,
            notice,
            start,
            end,
            auditors,
        } => {
            let facility_id = store.resolve_id(EntityKind::Facility, &facility)?;
            let checklists = checklists
                .iter()
                .map(|c| {
                    find_template(c).map(|t| ChecklistRef {
                        template_id: t.id.clone(),
                        version: t.version,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let id = store.start_audit(&NewAudit {
                facility_id,
                checklists,
                audit_type,
                notice,
                start_date: start.unwrap_or_else(|| chrono::Utc::now().date_naive()),
                end_date: end,
                auditors,
            })?;
            crate::out!("{id}");
        }
        AuditCommand::List { facility, json } => {
            let facility = facility
                .map(|f| store.resolve_id(EntityKind::Facility, &f))
                .transpose()?;
            let audits = store.audits(facility)?;
            if json {
                return output::json(&audits);
            }
            let rows: Vec<Vec<String>> = audits
                .iter()
                .map(|a| {
                    let name = a.facility_id.and_then(|f| store.facility(f).ok()).and_then(|f| f.name).unwrap_or_default();
                    let lists: Vec<String> = a.checklists.iter().flatten().map(|c| c.template_id.clone()).collect();
                    vec![short(&a.id), name, a.start_date.clone().unwrap_or_default(), a.status.map(|s| s.as_str().to_owned()).unwrap_or_default(), lists.join(",")]
                })
                .collect();
            output::table(&["ID", "FACILITY", "START", "STATUS", "CHECKLISTS"], &rows);
        }
        AuditCommand::Mine { json } => {
            let view = store.my_audits_view()?;
            if json {
                return output::json(&view);
            }
            match (&view.username, view.role) {
                (Some(user), Some(role)) => crate::out!("{user} ({}): {} audit(s)", role.as_str(), view.total),
                _ => crate::out!("nobody is signed in on this device (`fieldaudit sync login`): every audit it holds, {}", view.total),
            }
            let rows: Vec<Vec<String>> = view
                .groups
                .iter()
                .flat_map(|g| g.audits.iter())
                .map(|a| {
                    vec![
                        a.state.as_str().to_owned(),
                        short(&a.id),
                        a.facility.clone().unwrap_or_default(),
                        a.start_date.clone().unwrap_or_default(),
                        a.team_role.map(|r| r.as_str().to_owned()).unwrap_or_default(),
                        a.lead.clone().unwrap_or_default(),
                        a.review_comment.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            output::table(&["STATE", "ID", "FACILITY", "START", "MY ROLE", "LEAD", "REVIEWER'S COMMENT"], &rows);
        }
        AuditCommand::Answer {
            audit,
            item,
            value,
            checklist,
            instance,
            note,
        } => {
            let audit = store.resolve_id(EntityKind::Audit, &audit)?;
            let instance = instance
                .map(|i| store.resolve_id(EntityKind::RepeatInstance, &i))
                .transpose()?;
            store.record_answer(audit, &checklist, &item, instance, parse_value(&value))?;
            if let Some(note) = note {
                store.set_answer_note(audit, &checklist, &item, instance, &note)?;
            }
            let open: Vec<String> = store
                .findings(audit)?
                .into_iter()
                .filter(|f| f.finding.item_id.as_deref() == Some(item.as_str()) && f.finding.instance_id == instance && f.finding.status == Some(FindingStatus::Open))
                .map(|f| f.finding.severity.map(|s| s.as_str().to_owned()).unwrap_or_default())
                .collect();
            match open.first() {
                Some(sev) => crate::out!("saved; raises a {sev} finding"),
                None => crate::out!("saved"),
            }
        }
        AuditCommand::AddInstance {
            audit,
            checklist,
            section,
            label,
        } => {
            let audit = store.resolve_id(EntityKind::Audit, &audit)?;
            crate::out!(
                "{}",
                store.add_repeat_instance(audit, &checklist, &section, &label)?
            );
        }
        AuditCommand::Findings { audit, json } => {
            let audit = store.resolve_id(EntityKind::Audit, &audit)?;
            let findings = store.findings_in(audit, output::lang())?;
            if json {
                return output::json(&findings);
            }
            let rows: Vec<Vec<String>> = findings
                .iter()
                .map(|f| {
                    let a = f.actions.first();
                    vec![
                        short(&f.finding.id),
                        f.finding.severity.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                        f.finding.status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                        f.finding.title.clone().unwrap_or_default(),
                        a.and_then(|a| a.due_date.clone())
                            .unwrap_or_else(|| "-".into()),
                        if a.and_then(|a| a.production_blocking) == Some(true) {
                            "yes".into()
                        } else {
                            "".into()
                        },
                    ]
                })
                .collect();
            output::table(
                &[
                    "ID",
                    "SEVERITY",
                    "STATUS",
                    "FINDING",
                    "CAP DUE",
                    "BLOCKS PRODUCTION",
                ],
                &rows,
            );
            crate::out!(
                "\nplan-due and fix-by dates, and what is overdue: fieldaudit cap list --audit {}",
                short(&audit)
            );
        }
        AuditCommand::Score { audit, json } => {
            let audit = store.resolve_id(EntityKind::Audit, &audit)?;
            let score = store.score(audit)?;
            if json {
                return output::json(&score);
            }
            let rows: Vec<Vec<String>> = score
                .sections
                .iter()
                .map(|s| {
                    vec![
                        format!("{}/{}", s.template_id, s.section_id),
                        format!("{}/{}", s.answered, s.items),
                        format!("{}/{}", s.conforming, s.applicable),
                    ]
                })
                .collect();
            output::table(&["SECTION", "ANSWERED", "CONFORMING"], &rows);
            crate::out!(
                "\nanswered {}/{}; conforming {}/{}",
                score.answered,
                score.items,
                score.conforming,
                score.applicable
            );
            if let (Some(s), Some(band)) = (score.indicative_score, &score.indicative_band) {
                crate::out!("indicative score (RBA weights): {s:.1} ({band})");
            }
            if score.production_blocked {
                crate::out!("production blocked until a material safety issue is fixed");
            }
        }
        AuditCommand::Export { audit, out } => {
            let audit = store.resolve_id(EntityKind::Audit, &audit)?;
            let export = store.export_audit(audit)?;
            let text = serde_json::to_string_pretty(&export)?;
            match out {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => crate::out!("{text}"),
            }
        }
        AuditCommand::Submit { audit } => {
            let audit = store.resolve_id(EntityKind::Audit, &audit)?;
            store.submit_audit(audit)?;
            crate::out!("submitted for review");
        }
        AuditCommand::Sign { audit, signer } => {
            let audit = store.resolve_id(EntityKind::Audit, &audit)?;
            let s = store.sign_off_audit(audit, &signer)?;
            crate::out!(
                "signed off by {} on device {} (digest {}); submitted for review",
                s.signer,
                s.signer_device,
                s.digest
            );
        }
        AuditCommand::Review {
            audit,
            approve,
            return_with,
        } => {
            let audit = store.resolve_id(EntityKind::Audit, &audit)?;
            let (decision, comment) = match (approve, return_with) {
                (true, None) => (
                    fieldaudit_core::review::ReviewDecision::Approve,
                    String::new(),
                ),
                (false, Some(c)) => (fieldaudit_core::review::ReviewDecision::Return, c),
                _ => bail!("say --approve, or --return \"what to fix\""),
            };
            store.review_audit(audit, decision, &comment)?;
            crate::out!(
                "{}; it syncs with your next sync",
                if approve {
                    "approved"
                } else {
                    "returned to the auditors"
                }
            );
        }
        AuditCommand::Report { audit, kind, out, identity, passphrase_stdin } => {
            crate::report_commands::audit_report(&store, crate::report_commands::ReportArgs { audit, kind, out, identity, passphrase_stdin })?;
        }
        AuditCommand::Verify { audit } => {
            let audit = store.resolve_id(EntityKind::Audit, &audit)?;
            let checks = store.verify_signoffs(audit)?;
            if checks.is_empty() {
                bail!("audit {audit} has no sign-off; sign it with `fieldaudit audit sign {audit} --signer NAME`");
            }
            let mut ok = true;
            for c in &checks {
                let verdict = match (c.signature_valid, c.unchanged, c.voided) {
                    (true, _, true) => "voided: the audit was reopened for correction after it",
                    (true, true, false) => "valid; unchanged since sign-off",
                    (true, false, false) => "valid signature, but the audit changed since sign-off",
                    (false, _, _) => "INVALID signature: the sign-off was altered",
                };
                ok &= c.stands() || (c.voided && c.signature_valid);
                crate::out!(
                    "{}  {}  {} (device {}, key {}…): {verdict}",
                    c.signoff.signed_at,
                    crate::output::short(&c.signoff.id),
                    c.signoff.signer,
                    c.signoff.signer_device,
                    &c.signoff.public_key[..c.signoff.public_key.len().min(16)]
                );
            }
            if !ok {
                bail!("a sign-off of audit {audit} does not verify against the audit as it is now");
            }
        }
        AuditCommand::Reopen { .. }
        | AuditCommand::Acknowledge { .. }
        | AuditCommand::SiteResponse { .. }
        | AuditCommand::History { .. }
        | AuditCommand::FollowUp(_) => unreachable!("the CAP loop's audit commands are dispatched above"),
    }
    Ok(())
}

/// Demo data: the fixture facility lists and an audit in progress on the first facility.
fn demo(dir: &Path, fixtures: Option<PathBuf>) -> Result<()> {
    let mut store = Store::create(dir, "Demo laptop")?;
    let fixtures = fixtures.or_else(|| {
        let default = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/facility-lists");
        default.is_dir().then_some(default)
    });
    if let Some(folder) = fixtures {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .with_context(|| format!("cannot read {}", folder.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .collect();
        files.sort();
        for file in files {
            let preview = store.preview_facility_import(std::fs::File::open(&file)?)?;
            let applied = store.apply_facility_import(&preview)?;
            crate::out!(
                "imported {}: {} added, {} updated, {} rejected",
                file.display(),
                applied.added,
                applied.updated,
                applied.rejected
            );
        }
    }
    if store.audits(None)?.is_empty() {
        let facilities = store.facilities("")?;
        let facility = match facilities
            .iter()
            .find(|f| f.facility.country_code.as_deref() == Some("BD"))
            .or(facilities.first())
        {
            Some(f) => f.facility.id,
            None => store.add_facility(&FacilityRecord {
                name: "Demo Garments Ltd".into(),
                address: "Gazipur".into(),
                country_code: "BD".into(),
                ..Default::default()
            })?,
        };
        let checklists = ["fire-safety", "wages-hours"]
            .iter()
            .filter_map(|id| fieldaudit_templates::builtin_latest(id))
            .map(|t| ChecklistRef {
                template_id: t.id.clone(),
                version: t.version,
            })
            .collect();
        let audit = store.start_audit(&NewAudit {
            facility_id: facility,
            checklists,
            audit_type: AuditType::Initial,
            notice: Notice::SemiAnnounced,
            start_date: chrono::Utc::now().date_naive(),
            end_date: None,
            auditors: vec!["Demo Auditor".into()],
        })?;
        let floor = store.add_repeat_instance(audit, "fire-safety", "floor", "Ground floor")?;
        store.record_answer(
            audit,
            "fire-safety",
            "floor.exit_locked",
            Some(floor),
            Value::String("yes".into()),
        )?;
        store.record_answer(
            audit,
            "fire-safety",
            "equipment.alarm_audible",
            None,
            Value::String("yes".into()),
        )?;
        crate::out!("started demo audit {audit}");
    }
    crate::out!("demo data ready in {}", dir.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_typed_on_the_command_line() {
        assert_eq!(parse_value("yes"), Value::String("yes".into()));
        assert_eq!(parse_value("12"), serde_json::json!(12));
        assert_eq!(parse_value("null"), Value::Null);
        assert_eq!(
            parse_value("2026-01-05"),
            Value::String("2026-01-05".into())
        );
        assert_eq!(parse_value("true"), Value::String("true".into()));
    }
}
