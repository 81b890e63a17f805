//! Sneakernet on the device: write unacknowledged changes (and attachment bytes) to
//! a file for the server, and read a file of the server's changes as a pull.

use std::path::Path;

use chrono::Utc;
use fieldaudit_protocol::sync_file::{FileAttachment, SyncFile, SyncFileKind, SYNC_FILE_FORMAT};
use serde::Serialize;

use super::{session, state};
use crate::{CoreError, Result, Store};

/// What an export wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// Changes in the file.
    pub changes: u64,
    /// Attachments in the file.
    pub attachments: u64,
    /// File size in bytes.
    pub bytes: u64,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Changes in the file.
    pub changes: u64,
    /// Fields that took a value from the file.
    pub applied: u64,
    /// Concurrent edits kept as conflicts.
    pub conflicts: u64,
    /// Attachment files stored.
    pub attachments: u64,
}

fn signed_in_org(data_dir: &Path) -> Result<String> {
    session::load(data_dir)?
        .map(|s| s.organisation)
        .ok_or_else(|| CoreError::Invalid("sign this device in to the server once (online) before exchanging sync files, so the server knows it".into()))
}

/// Writes every change the server has not acknowledged, and the attachment bytes
/// not yet uploaded, to `path` for `fieldaudit-server sync import`.
pub fn export_sync_file(data_dir: &Path, path: &Path) -> Result<ExportSummary> {
    let organisation = signed_in_org(data_dir)?;
    let store = Store::open(data_dir)?;
    let changes = store.changes_after(store.push_watermark()?, usize::MAX)?;
    let mut attachments = Vec::new();
    for sha in store.pending_uploads()? {
        let bytes = std::fs::read(store.attachment_path(&sha))
            .map_err(|e| CoreError::io(format!("cannot read attachment {sha}"), e))?;
        attachments.push(FileAttachment::new(sha, &bytes));
    }
    let file = SyncFile {
        format: SYNC_FILE_FORMAT,
        kind: SyncFileKind::DeviceChanges,
        organisation,
        device_id: Some(store.device_id()),
        changes,
        pulled: Vec::new(),
        after: 0,
        attachments,
        created_at: Utc::now().to_rfc3339(),
    };
    let bytes = file.encode();
    crate::attachments::write_durably(path, &bytes)?;
    Ok(ExportSummary {
        changes: file.changes.len() as u64,
        attachments: file.attachments.len() as u64,
        bytes: bytes.len() as u64,
    })
}

/// Reads a file the server exported (`fieldaudit-server sync export`) and applies
/// it like a pull. Importing the same file again changes nothing.
pub fn import_sync_file(data_dir: &Path, path: &Path) -> Result<ImportSummary> {
    let organisation = signed_in_org(data_dir)?;
    let bytes = std::fs::read(path)
        .map_err(|e| CoreError::io(format!("cannot read {}", path.display()), e))?;
    let file = SyncFile::decode(&bytes, SyncFileKind::ServerChanges)
        .map_err(|e| CoreError::Invalid(format!("{}: {e}", path.display())))?;
    if file.organisation != organisation {
        return Err(CoreError::Invalid(format!(
            "{} holds changes of organisation {:?}, but this device belongs to {organisation:?}",
            path.display(),
            file.organisation
        )));
    }
    let mut store = Store::open(data_dir)?;
    // Check every attachment before changing anything.
    let mut blobs = Vec::new();
    for a in &file.attachments {
        let data = a.bytes().map_err(|e| CoreError::Invalid(e.to_string()))?;
        if crate::attachments::sha256_hex(&data) != a.sha256 {
            return Err(CoreError::Invalid(format!(
                "attachment {} in {} is damaged; export the file again",
                a.sha256,
                path.display()
            )));
        }
        blobs.push((a.sha256.clone(), data));
    }
    let cursor = store.pull_cursor()?;
    let last = file
        .pulled
        .iter()
        .map(|c| c.server_seq)
        .max()
        .unwrap_or(file.after);
    let marker = store.sync_seq_marker()?;
    // The cursor only moves when the file continues from where this device is;
    // otherwise the next online pull fetches the gap (applying twice is harmless).
    let new_cursor = (file.after <= cursor && last > cursor).then_some(last);
    let stats = store.apply_remote_batch(&file.pulled, marker, |w| match new_cursor {
        Some(c) => state::set_pull_cursor(w, c),
        None => Ok(()),
    })?;
    let mut stored = 0;
    for (sha, data) in blobs {
        if !store.attachment_path(&sha).exists() {
            store.store_downloaded_attachment(&sha, &data)?;
            stored += 1;
        }
    }
    Ok(ImportSummary {
        changes: file.pulled.len() as u64,
        applied: stats.applied,
        conflicts: stats.conflicts,
        attachments: stored,
    })
}
