//! `fieldaudit`: the command line over fieldaudit-core, for admins, scripts and tests.
//!
//! Every command works on a data directory (`--data-dir`, or `FIELDAUDIT_DATA_DIR`,
//! or the platform's data directory). Errors go to stderr with what to fix, and the
//! exit code is non-zero (2 for bad arguments, 1 for everything else).

mod cap_commands;
mod commands;
mod interview_commands;
mod office_commands;
mod output;
mod report_commands;
mod sync_commands;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// FieldAudit: offline-first social-compliance audits.
#[derive(Parser, Debug)]
#[command(name = "fieldaudit", version, about, long_about = None)]
pub struct Cli {
    /// Data directory holding this device's database and attachments.
    #[arg(long, global = true, env = "FIELDAUDIT_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Language of checklist text and labels in the output: en, zh-Hans, bn, vi or hi
    /// (a text missing in that language shows in English).
    #[arg(long, global = true, env = "FIELDAUDIT_LANG", default_value = "en", value_parser = fieldaudit_templates::SUPPORTED_LANGUAGES)]
    lang: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a data directory with a new device identity (keeps an existing one).
    Init {
        /// A name for this laptop, shown to reviewers.
        #[arg(long, default_value = "FieldAudit device")]
        device_name: String,
    },
    /// Facilities: import lists, list, add.
    #[command(subcommand)]
    Facility(commands::FacilityCommand),
    /// Checklist templates: list, show, validate a file.
    #[command(subcommand)]
    Template(commands::TemplateCommand),
    /// Audits: start, answer, findings, score, export.
    #[command(subcommand)]
    Audit(commands::AuditCommand),
    /// Confidential worker interviews: start, edit, finalise (seal), list, sampling.
    #[command(subcommand)]
    Interview(interview_commands::InterviewCommand),
    /// Reviewer keys (keygen) and decrypting an audit's interviews.
    #[command(subcommand)]
    Reviewer(interview_commands::ReviewerCommand),
    /// Sign this device in to a sync server.
    Login {
        /// Server address, e.g. https://audit.example.org.
        #[arg(long, env = "FIELDAUDIT_SERVER_URL")]
        server: String,
        /// Organisation (its short name).
        #[arg(long)]
        org: String,
        /// Your user name.
        #[arg(long)]
        user: String,
        /// Read the password from standard input instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Sign out (unsynced work stays on this device).
    Logout,
    /// Send this device's changes and receive everyone else's.
    Sync,
    /// Show the sync state: server, changes waiting, last sync, conflicts.
    Status,
    /// Conflicts kept for review, or resolve one.
    Conflicts {
        /// Resolve this conflict (id or its last 8+ characters).
        #[arg(long, requires = "choose")]
        resolve: Option<String>,
        /// keep (the current value stays) or other (write the other value back).
        #[arg(long, value_parser = ["keep", "other"])]
        choose: Option<String>,
        /// Include resolved conflicts.
        #[arg(long)]
        all: bool,
    },
    /// Changes the server refused, with its reasons; take one back in (after the
    /// audit it changes was reopened) or drop it.
    Quarantine {
        /// Send this refused change again (its audit must be reopened first).
        #[arg(long, value_name = "CHANGE", conflicts_with = "drop")]
        retake: Option<u64>,
        /// Drop this refused change from the list.
        #[arg(long, value_name = "CHANGE")]
        drop: Option<u64>,
    },
    /// Write unsynced changes (and photos) to a file for the server (no network on site).
    ExportSync {
        /// The file to write.
        file: PathBuf,
    },
    /// Read a file the server exported and apply it like a sync.
    ImportSync {
        /// The file to read.
        file: PathBuf,
    },
    /// Reports: verify a report PDF against its sign-off.
    #[command(subcommand)]
    Report(report_commands::ReportCommand),
    /// Export records as CSV files in a ZIP (with a README of the columns) or one
    /// XLSX workbook, of one audit or of everything. Interview content is never exported.
    Export {
        /// csv or xlsx.
        #[arg(long)]
        format: fieldaudit_report::exports::ExportFormat,
        /// The file to write (.zip for csv, .xlsx).
        #[arg(long)]
        out: PathBuf,
        /// Only this audit.
        #[arg(long)]
        audit: Option<String>,
    },
    /// Fill a data directory with demo data (fixture facilities and an audit in progress).
    Demo {
        /// Folder with facility-list CSVs to import (default: ../shared/fixtures/facility-lists if present).
        #[arg(long)]
        fixtures: Option<PathBuf>,
        /// Instead: the office's demo data (a few hundred audits with findings, CAPs,
        /// fees, rates and the sample WGI file) over the facilities this device
        /// holds; needs an admin session (fieldaudit login … --user ADMIN).
        #[arg(long, conflicts_with = "fixtures")]
        office: bool,
    },
    /// Corrective action plans: the list with deadlines and overdue (across
    /// facilities, or one facility or audit), the supplier's XLSX out and back in,
    /// supplier responses, CAP evidence, desktop reviews.
    #[command(subcommand)]
    Cap(cap_commands::CapCommand),
    /// The risk-based audit plan: priority, suggested next audit and why.
    Plan {
        /// Only facilities in this country (ISO alpha-2).
        #[arg(long)]
        country: Option<String>,
        /// Sort by priority, facility, country, country_risk, last_audit or next_audit.
        #[arg(long, default_value = "priority")]
        sort: String,
        /// Sort descending.
        #[arg(long)]
        desc: bool,
        /// Write the plan to this file (.csv or .xlsx).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        format: office_commands::Format,
    },
    /// The programme dashboard's figures (assessments, findings, CAPs, fees).
    Dashboard {
        /// Audits that started on or after this day (YYYY-MM-DD).
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// Audits that started on or before this day (YYYY-MM-DD).
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
        /// Facilities in this country (ISO alpha-2).
        #[arg(long)]
        country: Option<String>,
        /// The reporting currency fees are converted to.
        #[arg(long, default_value = "USD")]
        currency: String,
        #[command(flatten)]
        format: office_commands::Format,
    },
    /// The review queue: waiting (oldest first), returned or approved audits.
    Queue {
        /// Which list.
        #[arg(long, value_parser = ["waiting", "returned", "approved"], default_value = "waiting")]
        list: String,
        #[command(flatten)]
        format: office_commands::Format,
    },
    /// The exchange-rate table (admin: import a CSV of date,from,to,rate; it syncs).
    #[command(subcommand)]
    Rates(office_commands::ImportCommand),
    /// Country risk from the World Bank WGI data file (admin: import; it syncs).
    #[command(subcommand)]
    Risk(office_commands::ImportCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::set_lang(&cli.lang);
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

impl Cli {
    fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| {
            dirs::data_dir()
                .unwrap_or_else(|| PathBuf::from("."))
                .join("fieldaudit")
        })
    }
}
