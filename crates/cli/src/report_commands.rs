//! Reports and exports: `audit report`, `report verify`, `export`, `facility export`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use fieldaudit_core::interviews::unlock_reviewer_key;
use fieldaudit_core::report::{AuditSinceSignOff, ReportKind, ReportRequest};
use fieldaudit_core::Store;
use fieldaudit_protocol::EntityKind;
use fieldaudit_report::exports::ExportFormat;
use fieldaudit_report::verify::Verification;

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Check a report PDF: does it carry a valid sign-off, and has the audit
    /// changed since (exit status 1 when it does not verify or changed).
    Verify {
        /// The report PDF.
        file: PathBuf,
    },
}

/// Arguments of `audit report`.
pub struct ReportArgs {
    pub audit: String,
    pub kind: ReportKind,
    pub out: PathBuf,
    pub identity: Option<PathBuf>,
    pub passphrase_stdin: bool,
}

pub fn audit_report(store: &Store, a: ReportArgs) -> Result<()> {
    let kind = a.kind;
    let lang = crate::output::lang();
    // Check what is cheap before the work: output place, audit.
    fieldaudit_report::check_writable(&a.out)?;
    let audit = store.resolve_id(EntityKind::Audit, &a.audit)?;
    let identity = match (&a.identity, kind) {
        (Some(_), ReportKind::Site) => bail!("a site report never contains interview results; leave out --identity or use --kind full"),
        (Some(path), ReportKind::Full) => {
            let file = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            Some(unlock_reviewer_key(&file, &crate::interview_commands::passphrase(a.passphrase_stdin, "Reviewer key passphrase: ")?)?)
        }
        (None, _) => None,
    };
    let request = ReportRequest { audit_id: audit, kind, lang, reviewer: identity.as_ref() };
    let written = fieldaudit_report::write_report_pdf(store, &request, &a.out)?;
    crate::out!(
        "{} report of audit {} written to {} ({} pages, {} KiB){}",
        a.kind,
        crate::output::short(&audit),
        a.out.display(),
        written.pages,
        written.bytes.div_ceil(1024),
        if written.draft { "; DRAFT: the audit has no sign-off that matches it" } else { "; sealed with its sign-off" }
    );
    Ok(())
}

pub fn report(dir: &Path, cmd: ReportCommand) -> Result<()> {
    match cmd {
        ReportCommand::Verify { file } => {
            let pdf = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let store = Store::open(dir)?;
            match fieldaudit_report::verify::verify_pdf(&store, &pdf)? {
                Verification::Draft => bail!("{} is a DRAFT report: the audit was not signed off when it was made, so there is nothing to verify", file.display()),
                Verification::Checked(c) => {
                    crate::out!("audit {}, signed off by {} at {}", c.audit_id, c.signer, c.signed_at);
                    crate::out!("digest {}", c.digest);
                    if !c.content_matches_digest {
                        bail!("REJECTED: the signed content inside {} does not match its digest: the report was altered", file.display());
                    }
                    if !c.signature_valid {
                        bail!("REJECTED: the signature does not match the signed content: the report was altered or forged");
                    }
                    if !c.signoff_recorded {
                        bail!("REJECTED: this audit on this device has no such sign-off: the report was signed with another key or forged");
                    }
                    crate::out!("signature: valid; the report matches the sign-off");
                    match c.since {
                        AuditSinceSignOff::Unchanged => crate::out!("audit on this device: unchanged since sign-off"),
                        AuditSinceSignOff::NotOnThisDevice => crate::out!("audit on this device: not here (sync it to check for later changes)"),
                        AuditSinceSignOff::Reopened => bail!("the audit on this device was REOPENED FOR CORRECTION after this sign-off, which voided it: this report is not the audit as it now stands"),
                        AuditSinceSignOff::Changed => bail!("the audit on this device has CHANGED SINCE SIGN-OFF: this report no longer shows the audit as it is"),
                    }
                    Ok(())
                }
            }
        }
    }
}

pub fn export(dir: &Path, format: ExportFormat, out: &Path, audit: Option<String>) -> Result<()> {
    let store = Store::open(dir)?;
    let audit = audit.map(|a| store.resolve_id(EntityKind::Audit, &a)).transpose()?;
    let summary = fieldaudit_report::exports::export(&store, format, audit, out)?;
    let counts: Vec<String> = summary.tables.iter().map(|(t, n)| format!("{t} {n}")).collect();
    crate::out!("{} rows written to {} ({})", summary.rows, out.display(), counts.join(", "));
    Ok(())
}

pub fn facility_export(dir: &Path, out: &Path) -> Result<()> {
    let store = Store::open(dir)?;
    let n = fieldaudit_report::exports::export_facilities(&store, out)?;
    crate::out!("{n} facilities written to {} (Open Supply Hub list layout)", out.display());
    Ok(())
}
