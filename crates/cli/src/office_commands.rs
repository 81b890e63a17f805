//! The office on the command line: the CAP tracker (`cap list`), the audit plan
//! (`plan`), the dashboard's figures (`dashboard`), the review queue (`queue`) and
//! the admin's reference imports (`rates import`, `risk import`). Every figure comes
//! from fieldaudit-core's `office` module; this file parses arguments and prints.
//!
//! The imports run **on an admin's device** (signed in as an admin): the rows are
//! written through the store and reach the server and every other device at the
//! next sync. The server refuses them from other users.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use fieldaudit_core::office::cap_tracker::{CapFilter, CapSortColumn, ExportFormat};
use fieldaudit_core::office::plan::PlanSortColumn;
use fieldaudit_core::office::review_queue::QueueList;
use fieldaudit_core::office::OfficeFilter;
use fieldaudit_core::Store;

use crate::output;

/// How to print a list.
#[derive(Args, Debug, Clone, Default)]
pub struct Format {
    /// Print JSON (for scripts).
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV (for spreadsheets).
    #[arg(long)]
    csv: bool,
    /// The day overdue and ages are measured on (default: today), YYYY-MM-DD.
    #[arg(long, value_parser = parse_day)]
    today: Option<NaiveDate>,
}

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("{s:?} is not a date YYYY-MM-DD"))
}

impl Format {
    fn today(&self) -> NaiveDate {
        self.today
            .unwrap_or_else(|| chrono::Utc::now().date_naive())
    }
}

/// `fieldaudit cap list`: CAP items across facilities (or of one facility or
/// audit) with both deadlines, filtered (filters combine) and sorted.
#[derive(Args, Debug)]
pub struct CapListArgs {
    /// Facilities in this country (ISO alpha-2, e.g. BD).
    #[arg(long)]
    country: Option<String>,
    /// One facility (id or its last 8+ characters).
    #[arg(long)]
    facility: Option<String>,
    /// One audit's items (id or its last 8+ characters).
    #[arg(long)]
    audit: Option<String>,
    /// critical, major, minor, observation or good_practice.
    #[arg(long)]
    severity: Option<String>,
    /// One checklist (topic), e.g. fire-safety.
    #[arg(long)]
    checklist: Option<String>,
    /// open, in_progress, done, verified or disputed.
    #[arg(long)]
    status: Option<String>,
    /// Only items whose fix-by date has passed.
    #[arg(long)]
    overdue: bool,
    /// Only open items due within this many days.
    #[arg(long, value_name = "DAYS")]
    due_within: Option<u32>,
    /// Only production-blocking items.
    #[arg(long)]
    blocking: bool,
    /// Sort by due_date, facility, country, severity, finding, checklist, status, days_overdue, production_blocking.
    #[arg(long, default_value = "due_date")]
    sort: String,
    /// Sort descending.
    #[arg(long)]
    desc: bool,
    /// Write the list to this file (.csv or .xlsx) instead of printing it.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    format: Format,
}

/// Reference-table imports (admin).
#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Import a file (refused whole, with line and reason, when anything is wrong).
    Import {
        /// The CSV file.
        file: PathBuf,
    },
    /// List what this device holds.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn open(dir: &Path) -> Result<Store> {
    Ok(Store::open(dir)?)
}

fn print_rows(format: &Format, header: &[&str], rows: Vec<Vec<String>>) -> Result<()> {
    if format.csv {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(header)?;
        for r in &rows {
            w.write_record(r)?;
        }
        crate::out!("{}", String::from_utf8(w.into_inner()?)?.trim_end());
    } else {
        output::table(header, &rows);
    }
    Ok(())
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// `fieldaudit cap list`
pub fn cap_list(dir: &Path, args: CapListArgs) -> Result<()> {
    let CapListArgs {
        country,
        facility,
        audit,
        severity,
        checklist,
        status,
        overdue,
        due_within,
        blocking,
        sort,
        desc,
        out,
        format,
    } = args;
    let store = open(dir)?;
    let facility_id = facility
        .map(|f| store.resolve_id(fieldaudit_protocol::EntityKind::Facility, &f))
        .transpose()?;
    let audit_id = audit
        .map(|a| store.resolve_id(fieldaudit_protocol::EntityKind::Audit, &a))
        .transpose()?;
    let sort = CapSortColumn::parse(&sort).with_context(|| {
        format!("cannot sort by {sort:?}; use due_date, facility, country, severity, finding, checklist, status, days_overdue or production_blocking")
    })?;
    let filter = CapFilter {
        country: country.map(|c| c.to_ascii_uppercase()),
        facility_id,
        audit_id,
        severity,
        checklist,
        status,
        overdue,
        due_within_days: due_within,
        production_blocking: blocking,
        sort,
        descending: desc,
    };
    let today = format.today();
    if let Some(path) = out {
        let fmt = match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => ExportFormat::Csv,
            Some("xlsx") => ExportFormat::Xlsx,
            _ => bail!("--out {}: name the file .csv or .xlsx", path.display()),
        };
        let n = store.export_cap_tracker(&filter, today, &path, fmt)?;
        crate::out!("wrote {n} CAP items to {}", path.display());
        return Ok(());
    }
    let rows = store.cap_tracker(&filter, today)?;
    if format.json {
        return output::json(&rows);
    }
    let header = [
        "action",
        "facility",
        "country",
        "severity",
        "checklist",
        "finding",
        "plan due",
        "fix by",
        "status",
        "overdue",
        "blocking",
    ];
    let body = rows
        .iter()
        .map(|r| {
            vec![
                output::short(&r.action_id),
                opt(&r.facility_name),
                opt(&r.country),
                opt(&r.severity),
                opt(&r.checklist),
                opt(&r.finding),
                match (&r.plan_due_date, r.plan_overdue) {
                    (Some(d), true) => format!("{d} OVERDUE"),
                    (d, _) => opt(d),
                },
                opt(&r.due_date),
                opt(&r.status),
                r.days_overdue
                    .map(|d| format!("{d} days"))
                    .unwrap_or_default(),
                if r.production_blocking {
                    "yes".into()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    print_rows(&format, &header, body)
}

/// `fieldaudit plan`
pub fn plan(
    dir: &Path,
    country: Option<String>,
    sort: &str,
    desc: bool,
    out: Option<PathBuf>,
    format: &Format,
) -> Result<()> {
    let store = open(dir)?;
    let sort = PlanSortColumn::parse(sort).with_context(|| format!("cannot sort by {sort:?}; use priority, facility, country, country_risk, last_audit or next_audit"))?;
    let rows = store.audit_plan(country.as_deref(), format.today(), sort, desc)?;
    if let Some(path) = out {
        let fmt = match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => ExportFormat::Csv,
            Some("xlsx") => ExportFormat::Xlsx,
            _ => bail!("--out {}: name the file .csv or .xlsx", path.display()),
        };
        let n = store.export_audit_plan(&rows, &path, fmt)?;
        crate::out!("wrote {n} facilities to {}", path.display());
        return Ok(());
    }
    if format.json {
        return output::json(&rows);
    }
    let header = [
        "priority",
        "facility",
        "country",
        "risk",
        "last audit",
        "critical",
        "major",
        "open/overdue CAPs",
        "next audit",
        "type",
        "notice",
        "why",
    ];
    let body = rows
        .iter()
        .map(|r| {
            vec![
                r.priority.to_string(),
                opt(&r.name),
                opt(&r.country),
                r.country_risk
                    .map(|d| format!("{d} ({})", r.risk_year.unwrap_or_default()))
                    .unwrap_or_else(|| "no WGI data".into()),
                opt(&r.last_audit_date),
                r.last_critical.to_string(),
                r.last_major.to_string(),
                format!("{}/{}", r.open_caps, r.overdue_caps),
                r.next_audit_date.clone(),
                r.next_audit_type.clone(),
                r.next_notice.clone(),
                r.reasons.join("; "),
            ]
        })
        .collect();
    print_rows(format, &header, body)
}

/// `fieldaudit dashboard`
pub fn dashboard(dir: &Path, filter: OfficeFilter, currency: &str, format: &Format) -> Result<()> {
    let store = open(dir)?;
    let d = store.dashboard(&filter, format.today(), currency)?;
    if format.json {
        return output::json(&d);
    }
    // CSV and the table: one line per figure (panel, figure, key, value).
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut push = |panel: &str, figure: &str, key: &str, value: String| {
        rows.push(vec![panel.into(), figure.into(), key.into(), value])
    };
    let a = &d.assessments;
    push("assessments", "audits", "", a.total_audits.to_string());
    push(
        "assessments",
        "active suppliers",
        "",
        a.active_suppliers.to_string(),
    );
    for c in &a.per_quarter {
        push(
            "assessments",
            "audits per quarter",
            &c.key,
            c.count.to_string(),
        );
    }
    for c in &a.per_country {
        push(
            "assessments",
            "audits per country",
            &c.country,
            format!(
                "{} ({}% of audits; {} suppliers, {}%)",
                c.audits, c.audit_share_percent, c.active_suppliers, c.supplier_share_percent
            ),
        );
    }
    for c in &a.by_type {
        push("assessments", "audits by type", &c.key, c.count.to_string());
    }
    for c in &a.by_notice {
        push(
            "assessments",
            "audits by notice",
            &c.key,
            c.count.to_string(),
        );
    }
    let f = &d.findings;
    push("findings", "findings", "", f.total.to_string());
    for t in &f.by_topic_severity {
        push(
            "findings",
            "by checklist and severity",
            &format!("{} / {}", t.checklist, t.severity),
            t.count.to_string(),
        );
    }
    for i in &f.top_failing_items {
        push(
            "findings",
            "most frequent failing items",
            &format!("{} {}", i.checklist, i.item_id),
            format!(
                "{} findings at {} facilities ({})",
                i.findings, i.facilities, i.severity
            ),
        );
    }
    push(
        "findings",
        "repeat findings at follow-ups",
        "",
        format!("{} of {}", f.repeat_findings, f.follow_up_findings),
    );
    let c = &d.cap_performance;
    push("caps", "items", "", c.total.to_string());
    push(
        "caps",
        "closure rate %",
        "",
        c.closure_rate_percent
            .map(|p| p.to_string())
            .unwrap_or_default(),
    );
    push(
        "caps",
        "median days to close",
        "",
        c.median_days_to_close
            .map(|p| p.to_string())
            .unwrap_or_default(),
    );
    push("caps", "overdue", "", c.overdue.to_string());
    for s in &c.per_severity {
        push(
            "caps",
            "per severity",
            &s.severity,
            format!(
                "{} items, {} closed, median {} days, {} overdue",
                s.total,
                s.closed,
                s.median_days_to_close
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| "-".into()),
                s.overdue
            ),
        );
    }
    for b in &c.overdue_by_age {
        push("caps", "overdue by age", &b.key, b.count.to_string());
    }
    let fees = &d.fees;
    push(
        "fees",
        "workers sampled",
        "",
        fees.total.workers.to_string(),
    );
    push(
        "fees",
        "workers who paid",
        "",
        fees.total.workers_who_paid.to_string(),
    );
    for m in &fees.total.per_currency {
        push(
            "fees",
            "paid / reimbursed / outstanding",
            &m.currency,
            format!("{} / {} / {}", m.paid, m.reimbursed, m.outstanding),
        );
    }
    let conv = &fees.total.converted;
    let note = if conv.unconverted > 0 {
        format!(" (incomplete: {} amounts without a rate)", conv.unconverted)
    } else {
        String::new()
    };
    push(
        "fees",
        "outstanding in reporting currency",
        &fees.reporting_currency,
        format!("{}{note}", conv.outstanding),
    );
    for g in fees.per_country.iter() {
        push(
            "fees",
            "outstanding per country",
            &g.key,
            format!("{} {}", g.converted.outstanding, fees.reporting_currency),
        );
    }
    for m in &fees.missing_rates {
        push(
            "fees",
            "no exchange rate",
            &format!("{} on {}", m.currency, m.date),
            format!("{} amounts not converted", m.amounts),
        );
    }
    print_rows(format, &["panel", "figure", "key", "value"], rows)
}

/// `fieldaudit queue`
pub fn queue(dir: &Path, list: QueueList, format: &Format) -> Result<()> {
    let store = open(dir)?;
    let rows = store.review_queue(list, format.today())?;
    if format.json {
        return output::json(&rows);
    }
    let header = [
        "audit",
        "facility",
        "country",
        "type",
        "lead auditor",
        "days waiting",
        "critical",
        "major",
        "minor",
        "sign-off verifies",
        "reviewed by",
    ];
    let body = rows
        .iter()
        .map(|r| {
            vec![
                output::short(&r.audit_id),
                opt(&r.facility_name),
                opt(&r.country),
                opt(&r.audit_type),
                opt(&r.lead_auditor),
                r.days_waiting.map(|d| d.to_string()).unwrap_or_default(),
                r.findings.critical.to_string(),
                r.findings.major.to_string(),
                r.findings.minor.to_string(),
                r.signoff_verifies
                    .map(|v| if v { "yes" } else { "NO" }.to_owned())
                    .unwrap_or_default(),
                opt(&r.reviewed_by),
            ]
        })
        .collect();
    print_rows(format, &header, body)
}

/// `fieldaudit rates …`
pub fn rates(dir: &Path, cmd: ImportCommand) -> Result<()> {
    let mut store = open(dir)?;
    match cmd {
        ImportCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {} (a UTF-8 CSV file)", file.display()))?;
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("rates.csv");
            let s = store.import_exchange_rates(&text, name)?;
            crate::out!("imported {} exchange rates from {}; they reach every device at the next sync (fieldaudit sync)", s.rows_stored, file.display());
            Ok(())
        }
        ImportCommand::List { json } => {
            let rates = store.exchange_rates()?;
            if json {
                return output::json(&rates);
            }
            let rows = rates
                .iter()
                .map(|r| {
                    vec![
                        r.date.to_string(),
                        r.from.clone(),
                        r.to.clone(),
                        r.rate.to_string(),
                    ]
                })
                .collect::<Vec<_>>();
            output::table(&["date", "from", "to", "rate"], &rows);
            Ok(())
        }
    }
}

/// `fieldaudit risk …`
pub fn risk(dir: &Path, cmd: ImportCommand) -> Result<()> {
    let mut store = open(dir)?;
    match cmd {
        ImportCommand::Import { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| {
                format!("cannot read {} (the WGI data file as CSV)", file.display())
            })?;
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("wgi.csv");
            let s = store.import_wgi(&text, name)?;
            crate::out!(
                "imported {} rows of {}: {} country values kept (latest year each), {} earlier values replaced; dataset: {}",
                s.rows_read,
                file.display(),
                s.rows_stored,
                s.rows_removed,
                s.dataset
            );
            Ok(())
        }
        ImportCommand::List { json } => {
            let risks = store.country_risks()?;
            if json {
                return output::json(&risks);
            }
            let rows = risks
                .iter()
                .map(|r| {
                    vec![
                        r.country.clone(),
                        r.risk.to_string(),
                        r.year.to_string(),
                        r.dataset.clone(),
                    ]
                })
                .collect::<Vec<_>>();
            output::table(&["country", "risk", "WGI year", "dataset"], &rows);
            Ok(())
        }
    }
}

/// `fieldaudit demo --office`: the office's demo data (needs an admin session).
pub fn seed_office(dir: &Path) -> Result<()> {
    let mut store = open(dir)?;
    let s = store.seed_demo(chrono::Utc::now().date_naive(), 17, 170)?;
    crate::out!(
        "demo office: {} audits, {} findings, {} fee records, {} exchange rates, {} WGI values (sample); run fieldaudit sync to send them",
        s.audits,
        s.findings,
        s.fee_records,
        s.rates,
        s.wgi_values
    );
    Ok(())
}
