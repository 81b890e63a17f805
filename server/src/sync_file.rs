//! Sneakernet on the server: a device's sync file is imported exactly like a push
//! (idempotent, same validation, same sequence rules), and an organisation's
//! changes after a cursor are exported as a file devices import like a pull.
//! The file format lives in `fieldaudit_protocol::sync_file`.

use bytes::Bytes;
use chrono::Utc;
use fieldaudit_protocol::sync_file::{FileAttachment, SyncFile, SyncFileKind, SYNC_FILE_FORMAT};
use fieldaudit_protocol::PushResponse;
use uuid::Uuid;

use crate::attachments::{self, AttachmentError, Blobs};
use crate::error::StoreError;
use crate::store::ServerStore;
use crate::sync::PushPolicy;

/// Why a sync file was not imported or exported (nothing was stored).
#[derive(Debug, thiserror::Error)]
pub enum SyncFileError {
    /// The file is not a device sync file this server can apply; says what to do.
    #[error("{0}")]
    Invalid(String),
    /// A device sent another device's file.
    #[error("a device can only import its own sync files")]
    NotOwnFile,
    /// The file's device was revoked.
    #[error("device {0} was revoked; its changes are not accepted")]
    DeviceRevoked(Uuid),
    /// An attachment in the file is larger than the server accepts.
    #[error("attachment {sha256} is {size} bytes; this server accepts at most {limit}")]
    AttachmentTooLarge {
        /// The attachment.
        sha256: String,
        /// Its size.
        size: usize,
        /// The server's limit.
        limit: usize,
    },
    /// Export for an organisation the server does not have.
    #[error("no organisation {0:?}")]
    UnknownOrganisation(String),
    /// An attachment in the file is bad or could not be stored.
    #[error(transparent)]
    Attachment(#[from] AttachmentError),
    /// The store failed or refused the changes.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn bad_file(message: impl Into<String>) -> SyncFileError {
    SyncFileError::Invalid(message.into())
}

/// Reads a device file's bytes (zstd JSON).
pub fn decode_device_file(bytes: &[u8]) -> Result<SyncFile, SyncFileError> {
    SyncFile::decode(bytes, SyncFileKind::DeviceChanges).map_err(|e| bad_file(e.to_string()))
}

/// Imports a device's file as a push. `caller`, for HTTP imports, is the
/// `(organisation, device)` of the token: the file must be that device's.
pub async fn import_device_file(
    store: &dyn ServerStore,
    blobs: &Blobs,
    file: &SyncFile,
    policy: &PushPolicy,
    max_attachment_bytes: usize,
    caller: Option<(Uuid, Uuid)>,
) -> Result<PushResponse, SyncFileError> {
    let org = store
        .organisation_by_slug(&file.organisation)
        .await?
        .ok_or_else(|| {
            bad_file(format!(
                "the file is for organisation {:?}, which this server does not have",
                file.organisation
            ))
        })?;
    let device = file.device_id.ok_or_else(|| {
        bad_file("the file names no device; export it again with fieldaudit export-sync")
    })?;
    if let Some((caller_org, caller_device)) = caller {
        if caller_org != org.id || caller_device != device {
            return Err(SyncFileError::NotOwnFile);
        }
    }
    let known = store.list_devices(org.id).await?;
    let registered = known.iter().find(|d| d.id == device).ok_or_else(|| {
        bad_file(format!(
            "device {device} is not registered with {}; sign it in once (online) first",
            file.organisation
        ))
    })?;
    if registered.revoked_at.is_some() {
        return Err(SyncFileError::DeviceRevoked(device));
    }
    // Check every attachment before storing anything.
    let mut blobs_in = Vec::new();
    for a in &file.attachments {
        attachments::check_sha256(&a.sha256)?;
        let data = a.bytes().map_err(|e| bad_file(e.to_string()))?;
        if data.len() > max_attachment_bytes {
            return Err(SyncFileError::AttachmentTooLarge {
                sha256: a.sha256.clone(),
                size: data.len(),
                limit: max_attachment_bytes,
            });
        }
        blobs_in.push((a.sha256.clone(), Bytes::from(data)));
    }
    // The file's decisions count as its user's: a reviewer's approvals carried by
    // file are accepted like when pushed online, anyone else's refused, and the
    // role matrix ([`crate::scope`]) decides its ops as that user's.
    let mut policy = policy.clone();
    let user = match &registered.username {
        Some(user) => store
            .login_candidate(&file.organisation, user)
            .await?
            .map(|c| c.user),
        None => None,
    };
    policy.may_review = user.as_ref().is_some_and(|u| u.role.may_review());
    if let Some(u) = &user {
        policy.pusher = Some(crate::scope::Pusher {
            role: u.role,
            user_id: u.id,
        });
    }
    let policy = &policy;
    let response = if file.changes.is_empty() {
        PushResponse {
            watermark: registered.watermark,
            applied: 0,
            rejected: Vec::new(),
        }
    } else {
        crate::signed::push(store, org.id, device, &file.changes, policy).await?
    };
    for (sha, data) in blobs_in {
        attachments::put(blobs, org.id, &sha, data).await?;
    }
    Ok(response)
}

/// Exports the organisation's changes after `after` (and the attachment bytes
/// they refer to) as a file for devices.
pub async fn export_server_file(
    store: &dyn ServerStore,
    blobs: &Blobs,
    org_slug: &str,
    after: u64,
) -> Result<SyncFile, SyncFileError> {
    let org = store
        .organisation_by_slug(org_slug)
        .await?
        .ok_or_else(|| SyncFileError::UnknownOrganisation(org_slug.to_owned()))?;
    let mut pulled = Vec::new();
    let mut cursor = after;
    loop {
        let page = store.pull(org.id, cursor, 10_000, 64 << 20, None).await?;
        let more = page.more && !page.changes.is_empty();
        cursor = page.next_cursor;
        pulled.extend(page.changes);
        if !more {
            break;
        }
    }
    let mut attachments_out = Vec::new();
    for c in pulled
        .iter()
        .filter(|c| c.change.entity == "attachment" && c.change.field == "sha256")
    {
        let Some(sha) = c.change.value.as_str() else {
            continue;
        };
        if attachments_out
            .iter()
            .any(|a: &FileAttachment| a.sha256 == sha)
        {
            continue;
        }
        if attachments::size(blobs, org.id, sha).await?.is_some() {
            let data = attachments::get(blobs, org.id, sha).await?;
            attachments_out.push(FileAttachment::new(sha.to_owned(), &data));
        }
    }
    Ok(SyncFile {
        format: SYNC_FILE_FORMAT,
        kind: SyncFileKind::ServerChanges,
        organisation: org.slug,
        device_id: None,
        changes: Vec::new(),
        pulled,
        after,
        attachments: attachments_out,
        created_at: Utc::now().to_rfc3339(),
    })
}
