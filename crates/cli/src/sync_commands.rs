//! Sync subcommands: login, logout, sync with a progress bar, status, conflicts,
//! quarantine.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use fieldaudit_core::sync::{self, Resolution, SyncOptions, SyncPhase};
use fieldaudit_core::Store;
use fieldaudit_protocol::EntityKind;
use indicatif::{ProgressBar, ProgressStyle};

use crate::out;
use crate::output::{self, short};

pub fn login(dir: &Path, server: &str, org: &str, user: &str, password_stdin: bool) -> Result<()> {
    let password = if password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read the password from standard input")?;
        s.trim_end_matches(['\n', '\r']).to_owned()
    } else {
        rpassword::prompt_password(format!("Password for {user} at {org}: "))
            .context("cannot read the password")?
    };
    let info = sync::login(dir, server, org, user, &password)?;
    out!(
        "signed in to {} as {} ({}) of {}",
        info.server_url,
        info.user,
        info.role,
        info.organisation
    );
    Ok(())
}

pub fn logout(dir: &Path) -> Result<()> {
    sync::logout(dir)?;
    out!("signed out; work not yet synced stays on this device");
    Ok(())
}

pub fn run_sync(dir: &Path) -> Result<()> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let progress = |p: sync::SyncProgress| {
        let phase = match p.phase {
            SyncPhase::Connecting => "connecting",
            SyncPhase::Pushing => "sending",
            SyncPhase::Uploading => "uploading",
            SyncPhase::Pulling => "receiving",
            SyncPhase::Downloading => "downloading",
        };
        bar.set_message(phase);
        bar.set_length(p.total.unwrap_or(p.done.max(1)));
        bar.set_position(p.done);
    };
    let report = sync::sync(
        dir,
        SyncOptions::default(),
        &progress,
        &AtomicBool::new(false),
    );
    bar.finish_and_clear();
    let report = report?;
    out!(
        "sent {} changes, received {} ({} applied)",
        report.pushed,
        report.pulled,
        report.applied
    );
    if report.uploaded + report.downloaded > 0 {
        out!(
            "attachments: {} uploaded, {} downloaded",
            report.uploaded,
            report.downloaded
        );
    }
    for e in &report.upload_errors {
        out!("warning: {e}");
    }
    if report.rejected > 0 {
        out!(
            "{} changes were refused by the server; see `fieldaudit quarantine`",
            report.rejected
        );
    }
    if report.restamped > 0 {
        out!(
            "{} changes made while this laptop's clock was wrong were stamped again and sent",
            report.restamped
        );
    }
    if report.conflicts > 0 {
        out!("{} fields were changed on two devices at once; review them with `fieldaudit conflicts`", report.conflicts);
    }
    if let Some(w) = report.clock_warning {
        out!("warning: {w}");
    }
    Ok(())
}

pub fn status(dir: &Path) -> Result<()> {
    let s = Store::open(dir)?.sync_status()?;
    match (&s.server_url, &s.user, &s.organisation) {
        (Some(url), Some(user), Some(org)) => out!("server: {url} (signed in as {user} of {org})"),
        _ => out!("server: not signed in (working offline)"),
    }
    out!("changes waiting: {}", s.pending_changes);
    out!(
        "last sync: {}",
        s.last_sync_at.as_deref().unwrap_or("never")
    );
    out!("conflicts to review: {}", s.open_conflicts);
    out!("refused changes: {}", s.quarantined);
    Ok(())
}

pub fn conflicts(
    dir: &Path,
    resolve: Option<String>,
    choose: Option<String>,
    all: bool,
) -> Result<()> {
    let mut store = Store::open(dir)?;
    if let (Some(id), Some(choice)) = (resolve, choose) {
        let id = store.resolve_id(EntityKind::Conflict, &id)?;
        let resolution = if choice == "other" {
            Resolution::UseOther
        } else {
            Resolution::KeepCurrent
        };
        store.resolve_conflict(id, resolution)?;
        out!("resolved; it syncs with your next sync");
        return Ok(());
    }
    let list = store.conflicts_in(all, crate::output::lang())?;
    if list.is_empty() {
        out!("no conflicts to review");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            let v = |x: &Option<serde_json::Value>| {
                x.as_ref().map(|v| v.to_string()).unwrap_or_default()
            };
            vec![
                short(&c.id),
                // The question (or record) it is about, as the app shows it; the raw
                // entity.field when the row is not on this device.
                c.label.clone().unwrap_or_else(|| {
                    format!(
                        "{}.{}",
                        c.entity.clone().unwrap_or_default(),
                        c.field.clone().unwrap_or_default()
                    )
                }),
                v(&c.winner_value),
                v(&c.loser_value),
                c.status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            ]
        })
        .collect();
    output::table(
        &["ID", "WHAT", "CURRENT VALUE", "OTHER VALUE", "STATUS"],
        &rows,
    );
    out!("\nresolve with: fieldaudit conflicts --resolve ID --choose keep|other");
    Ok(())
}

pub fn quarantine(dir: &Path, retake: Option<u64>, drop: Option<u64>) -> Result<()> {
    if let Some(seq) = retake {
        Store::open(dir)?.retake_quarantined(seq)?;
        out!("change {seq} taken back in: it is sent with your next sync");
        return Ok(());
    }
    if let Some(seq) = drop {
        Store::open(dir)?.dismiss_quarantined(seq)?;
        out!("change {seq} dropped from the list");
        return Ok(());
    }
    let list = Store::open(dir)?.quarantine()?;
    if list.is_empty() {
        out!("the server has refused nothing");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|q| {
            vec![
                q.device_seq.to_string(),
                format!("{}.{}", q.entity, q.field),
                q.value.to_string(),
                q.message.clone(),
            ]
        })
        .collect();
    output::table(&["CHANGE", "FIELD", "VALUE", "SERVER'S REASON"], &rows);
    Ok(())
}

pub fn export_file(dir: &Path, file: &Path) -> Result<()> {
    let s = sync::export_sync_file(dir, file)?;
    out!("wrote {}: {} changes, {} attachments ({} bytes); import it on the server with `fieldaudit-server sync import`", file.display(), s.changes, s.attachments, s.bytes);
    Ok(())
}

pub fn import_file(dir: &Path, file: &Path) -> Result<()> {
    let s = sync::import_sync_file(dir, file)?;
    out!(
        "read {}: {} changes ({} applied), {} attachments stored",
        file.display(),
        s.changes,
        s.applied,
        s.attachments
    );
    if s.conflicts > 0 {
        out!("{} fields were changed on two devices at once; review them with `fieldaudit conflicts`", s.conflicts);
    }
    Ok(())
}
