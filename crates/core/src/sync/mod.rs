//! Sync between this device and its organisation's server.
//!
//! [`sync`] pushes the device's change log after the server's acknowledged
//! watermark in bounded batches, uploads attachment bytes the server lacks, pulls
//! the other devices' changes after the stored cursor and applies them with the
//! shared merge rule, then fetches attachment bytes this device lacks. Every step
//! records its progress in the same transaction as its effect, so a sync cut off at
//! any point (network, crash, server restart) resumes where it stopped and never
//! applies anything twice. Ops the server rejects go to a local quarantine with its
//! reason; the rest of the queue goes on.
//!
//! Before pushing, a server watermark above the recorded one is settled first
//! (`restore`): after a lost push answer the device takes it; after its data
//! folder was restored from an older copy, the changes it made since are given
//! numbers after the server's watermark (the server would drop them as duplicates
//! under the old ones), and its pull asks for its own changes too until it has the
//! ones made after that copy back. Writes stamped while the laptop's clock was
//! far ahead (refused by the server) are stamped again once the clock agrees with
//! the server's (`clock_skew`).
//!
//! The functions here take the data directory and open their own connection, so a
//! sync running in the background never blocks the app's own saves for long.

mod clock_skew;
mod file;
mod http;
mod restore;
mod server_version;
pub mod session;
mod state;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use fieldaudit_protocol::api::LoginRequest;
use serde::Serialize;

pub use file::{export_sync_file, import_sync_file, ExportSummary, ImportSummary};
pub use http::RetryPolicy;
pub use server_version::{app_needs_update, VersionInfo};
pub use session::Session;
pub use state::{ConflictView, QuarantinedOp, Resolution, SyncStatus};

use crate::{CoreError, Result, Store};

/// Changes per push request.
pub const PUSH_BATCH: usize = 1000;
/// Changes per pull request.
pub const PULL_BATCH: u32 = 1000;
/// A clock further than this from the server's gets a warning (seconds).
pub const CLOCK_WARNING_SECS: i64 = 120;

/// Where a sync is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    /// Checking who we are and what the server has.
    Connecting,
    /// Sending this device's changes.
    Pushing,
    /// Sending photo and document bytes.
    Uploading,
    /// Receiving other devices' changes.
    Pulling,
    /// Receiving photo and document bytes.
    Downloading,
}

/// Progress of a running sync, for a progress bar.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncProgress {
    /// Current phase.
    pub phase: SyncPhase,
    /// Items done in this phase.
    pub done: u64,
    /// Items in this phase, when known.
    pub total: Option<u64>,
    /// Bytes sent and received so far (compressed, as on the wire, where known).
    pub bytes: u64,
}

/// What a finished sync did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncReport {
    /// Changes the server newly accepted.
    pub pushed: u64,
    /// Changes the server refused (now in quarantine).
    pub rejected: u64,
    /// Remote changes received.
    pub pulled: u64,
    /// Of those, fields that took the remote value.
    pub applied: u64,
    /// Concurrent edits kept as conflicts.
    pub conflicts: u64,
    /// Attachments uploaded.
    pub uploaded: u64,
    /// Attachments the server refused (too large…), with the reason.
    pub upload_errors: Vec<String>,
    /// Attachments downloaded.
    pub downloaded: u64,
    /// Set when this laptop's clock differs a lot from the server's.
    pub clock_warning: Option<String>,
    /// Fields written while this laptop's clock was far ahead, stamped again now
    /// that it is right and sent with this sync ([`clock_skew`]).
    pub restamped: u64,
    /// Audits removed from this device because its user is no longer on their team
    /// (after everything of them was sent; the server keeps them).
    pub removed_audits: u64,
}

/// What signing in returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoginInfo {
    /// Organisation slug.
    pub organisation: String,
    /// User name.
    pub user: String,
    /// The user's role.
    pub role: String,
    /// Server address.
    pub server_url: String,
}

/// Signs this device in to a server and keeps the token (see [`session`]).
pub fn login(
    data_dir: &Path,
    server_url: &str,
    organisation: &str,
    username: &str,
    password: &str,
) -> Result<LoginInfo> {
    let mut store = Store::open(data_dir)?;
    let api = http::Api::new(
        server_url,
        None,
        RetryPolicy {
            attempts: 2,
            ..RetryPolicy::default()
        },
    )?;
    let resp = api.login(&LoginRequest {
        organisation: organisation.trim().to_owned(),
        username: username.trim().to_owned(),
        password: password.to_owned(),
        device_id: store.device_id(),
        device_name: store.device_name()?,
    })?;
    let s = Session {
        server_url: api.base().to_owned(),
        organisation: resp.organisation.clone(),
        user: resp.user.clone(),
        role: resp.role.as_str().to_owned(),
        token: resp.token,
    };
    session::save(data_dir, &s)?;
    store.set_signed_in_user(&crate::teams::SignedInUser {
        user_id: resp.user_id,
        username: resp.user.clone(),
        role: resp.role,
    })?;
    // Which server this is (Settings shows it; a newer protocol asks for an app update).
    if let Ok(health) = api.health() {
        server_version::record(&mut store, &health)?;
    }
    Ok(LoginInfo {
        organisation: s.organisation,
        user: s.user,
        role: s.role,
        server_url: s.server_url,
    })
}

/// Signs out: the server revokes this device's token (when it can be reached),
/// and the device forgets it. Unsynced work stays on the device.
pub fn logout(data_dir: &Path) -> Result<()> {
    if let Some(s) = session::load(data_dir)? {
        let api = http::Api::new(
            &s.server_url,
            Some(s.token.clone()),
            RetryPolicy {
                attempts: 1,
                ..RetryPolicy::default()
            },
        )?;
        match api.logout() {
            // Revoked, or the token no longer works anyway.
            Ok(()) | Err(CoreError::Server { status: 401, .. }) => {}
            // Offline: the token is forgotten here; an administrator can revoke the device.
            Err(CoreError::Offline { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    session::remove(data_dir)
}

/// Options of one sync run.
#[derive(Clone, Copy, Debug, Default)]
pub struct SyncOptions {
    /// Retry behaviour for each request.
    pub retry: RetryPolicy,
}

/// Runs one full sync. `progress` is called as work advances; setting `cancel`
/// stops at the next batch boundary with [`CoreError::Cancelled`].
pub fn sync(
    data_dir: &Path,
    options: SyncOptions,
    progress: &dyn Fn(SyncProgress),
    cancel: &AtomicBool,
) -> Result<SyncReport> {
    let mut store = Store::open(data_dir)?;
    let session = session::load(data_dir)?.ok_or(CoreError::NotSignedIn)?;
    let api = http::Api::new(
        &session.server_url,
        Some(session.token.clone()),
        options.retry,
    )?;
    let mut report = SyncReport::default();
    let mut bytes = 0u64;
    let check = || {
        if cancel.load(Ordering::Relaxed) {
            Err(CoreError::Cancelled)
        } else {
            Ok(())
        }
    };
    let tell = |phase, done, total: Option<u64>, bytes| {
        progress(SyncProgress {
            phase,
            done,
            total,
            bytes,
        })
    };

    tell(SyncPhase::Connecting, 0, None, 0);
    // The server is the authority on what it has: push from its watermark (it may
    // be behind ours if it was restored from a backup, never ahead).
    let (me, server_time) = api.me()?;
    // The role may have changed on the server since sign-in.
    store.set_signed_in_user(&crate::teams::SignedInUser {
        user_id: me.user_id,
        username: session.user.clone(),
        role: me.role,
    })?;
    // The server's version and protocol, for Settings (not needed to sync).
    if let Ok(health) = api.health() {
        server_version::record(&mut store, &health)?;
    }
    report.clock_warning = server_time.and_then(|t| {
        let diff = (Utc::now() - t).num_seconds();
        (diff.abs() > CLOCK_WARNING_SECS).then(|| {
            let dir = if diff > 0 { "ahead of" } else { "behind" };
            format!("this laptop's clock is {} minutes {dir} the server's; set the date and time correctly (changes still merge, but far-ahead ones are refused until the clock is right, then sent again)", diff.abs() / 60)
        })
    });
    // Writes stamped while the clock was far ahead go again, now stamped right.
    if let Some(t) = server_time {
        report.restamped = store.restamp_future_changes(t)?;
    }
    // The server holds more of this device's changes than recorded here: a push
    // answer was lost, or the database was restored from an older copy (same
    // device id) and its unpushed changes reuse numbers the server has. Settle
    // that before pushing (see `restore`): such changes get new numbers after the
    // server's watermark, and the pull asks for the device's own changes until it
    // has them back.
    let acknowledged = store.push_watermark()?;
    restore::reconcile(&mut store, &api, me.watermark, &mut bytes, &check)?;
    let include_own = store.pulls_own_changes()?;
    // Changes the server took while its answer was lost go once more: it answers
    // them as duplicates, with the refusals it recorded then, so the reason for
    // each refused one still reaches the quarantine.
    let mut watermark = me.watermark.min(acknowledged).min(store.last_device_seq()?);
    watermark = push_all(
        &mut store,
        &api,
        watermark,
        &mut report,
        &mut bytes,
        &check,
        &tell,
    )?;
    // Refusals of day-ahead stamps whose fields went again re-stamped are not kept.
    let superseded = store.clear_superseded_clock_skew()?;
    report.rejected = report.rejected.saturating_sub(superseded);

    // Upload attachment bytes after their metadata went up.
    let pending = store.pending_uploads()?;
    for (i, sha) in pending.iter().enumerate() {
        check()?;
        tell(
            SyncPhase::Uploading,
            i as u64,
            Some(pending.len() as u64),
            bytes,
        );
        if !api.has_attachment(sha)? {
            let data = std::fs::read(store.attachment_path(sha))
                .map_err(|e| CoreError::io(format!("cannot read attachment {sha}"), e))?;
            match api.upload_attachment(sha, &data) {
                Ok(()) => {
                    bytes += data.len() as u64;
                    report.uploaded += 1;
                }
                Err(CoreError::Server {
                    status: 413,
                    message,
                    ..
                }) => {
                    let why = format!("attachment {sha} was not uploaded: {message}");
                    store.record_upload_error(sha, &why)?;
                    report.upload_errors.push(why);
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        store.mark_uploaded(sha)?;
    }

    // Pull. Local writes after this point count as not yet seen by others.
    let unsynced_after = store.sync_seq_marker()?;
    let seen_through = store.last_device_seq()?;
    let mut cursor = store.pull_cursor()?;
    loop {
        check()?;
        tell(SyncPhase::Pulling, report.pulled, None, bytes);
        let page = api.pull(cursor, PULL_BATCH, include_own, store.scope_epoch()?)?;
        bytes += page
            .changes
            .iter()
            .chain(&page.backfill)
            .map(|c| c.change.value.to_string().len() as u64 + 120)
            .sum::<u64>();
        let mut next = page.next_cursor;
        let last_page = !page.more;
        let scope = page.scope.clone();
        if scope.as_ref().is_some_and(|s| s.reset) {
            // The user's role changed: hold nothing of audits until pulled again from the start.
            next = 0;
        }
        // Backfill first: an audit's current state, then what changed after.
        let mut all = page.backfill;
        all.extend(page.changes);
        let stats = store.apply_remote_batch(&all, unsynced_after, |w| {
            state::set_pull_cursor(w, next)?;
            if let Some(scope) = &scope {
                state::set_scope_epoch(w, scope.epoch)?;
                crate::teams::keep(w, &scope.added)?;
                crate::teams::add_to_remove(w, &scope.removed)?;
                if scope.reset {
                    let held = crate::teams::held_audits(w)?;
                    crate::teams::add_to_remove(w, &held)?;
                }
            }
            // The device's own changes are back once such a pull reaches the end.
            if include_own && last_page {
                state::clear_pull_own_changes(w)?;
            }
            Ok(())
        })?;
        report.pulled += all.len() as u64;
        report.applied += stats.applied;
        report.conflicts += stats.conflicts;
        // A page may be empty while more remain (the server leaves this device's
        // own changes out); only `more` ends the pull. A cursor that does not move
        // would ask for the same page forever.
        if scope.as_ref().is_some_and(|s| s.reset) {
            // Push what is unsent, remove every audit, then pull from the start.
            watermark = push_all(
                &mut store,
                &api,
                watermark,
                &mut report,
                &mut bytes,
                &check,
                &tell,
            )?;
            remove_pending_audits(&mut store, &mut report)?;
            cursor = 0;
            continue;
        }
        if page.more && next <= cursor {
            return Err(CoreError::Server {
                status: 200,
                code: "no_progress".into(),
                message: format!("the server's pull did not move past {cursor}; try again later, and tell the server's administrator if it keeps happening"),
            });
        }
        cursor = next;
        if !page.more {
            break;
        }
    }
    store.set_sync_seq_marker(seen_through)?;
    // Conflicts found while pulling are rows too: send them now so the other
    // device sees them on its next pull.
    if store.last_device_seq()? > watermark {
        push_all(
            &mut store,
            &api,
            watermark,
            &mut report,
            &mut bytes,
            &check,
            &tell,
        )?;
    }
    // Audits this device no longer holds go once everything of them is sent.
    remove_pending_audits(&mut store, &mut report)?;

    // Download attachment bytes this device lacks.
    let missing = store.missing_attachment_files()?;
    for (i, sha) in missing.iter().enumerate() {
        check()?;
        tell(
            SyncPhase::Downloading,
            i as u64,
            Some(missing.len() as u64),
            bytes,
        );
        match api.download_attachment(sha) {
            Ok(data) => {
                bytes += data.len() as u64;
                store.store_downloaded_attachment(sha, &data)?;
                report.downloaded += 1;
            }
            // Not on the server (yet): its device has not uploaded it. Next time.
            Err(CoreError::Server { status: 404, .. }) => {}
            Err(e) => return Err(e),
        }
    }
    store.set_sync_state("last_sync_at", &Utc::now().to_rfc3339())?;
    tell(
        SyncPhase::Downloading,
        missing.len() as u64,
        Some(missing.len() as u64),
        bytes,
    );
    Ok(report)
}

/// Removes the audits the server said this device no longer holds, if nothing of
/// them is left unsent (else the next sync does, after pushing).
fn remove_pending_audits(store: &mut Store, report: &mut SyncReport) -> Result<()> {
    let pending = store.audits_to_remove()?;
    if pending.is_empty() {
        return Ok(());
    }
    match store.remove_audits(&pending) {
        Ok(r) => {
            report.removed_audits += r.audits;
            Ok(())
        }
        Err(CoreError::Invalid(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Pushes every change after `watermark` in batches; returns the new watermark.
fn push_all(
    store: &mut Store,
    api: &http::Api,
    mut watermark: u64,
    report: &mut SyncReport,
    bytes: &mut u64,
    check: &dyn Fn() -> Result<()>,
    tell: &dyn Fn(SyncPhase, u64, Option<u64>, u64),
) -> Result<u64> {
    let last = store.last_device_seq()?;
    let total = last.saturating_sub(watermark);
    while watermark < last {
        check()?;
        tell(
            SyncPhase::Pushing,
            total - (last - watermark),
            Some(total),
            *bytes,
        );
        let batch = store.changes_after(watermark, PUSH_BATCH)?;
        if batch.is_empty() {
            break;
        }
        let (resp, sent) = api.push(&batch)?;
        *bytes += sent;
        if resp.watermark <= watermark {
            return Err(CoreError::Server {
                status: 200,
                code: "no_progress".into(),
                message: format!(
                    "the server did not move past change {watermark}; try again later"
                ),
            });
        }
        store.record_push(&batch, &resp)?;
        report.pushed += resp.applied;
        report.rejected += resp.rejected.len() as u64;
        watermark = resp.watermark;
    }
    tell(SyncPhase::Pushing, total, Some(total), *bytes);
    Ok(watermark)
}
