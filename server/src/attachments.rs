//! Attachment bytes (photos, documents), stored by organisation and SHA-256 through
//! the `object_store` crate: a local directory by default, S3-compatible storage in
//! production. The server verifies every upload's hash; uploading the same content
//! again changes nothing.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Why an attachment operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    /// The id is not a SHA-256 in lower-case hex.
    #[error("the attachment id must be the SHA-256 of its content as 64 lower-case hex digits")]
    InvalidSha256,
    /// The bytes do not hash to the id they were sent under.
    #[error("the uploaded content has SHA-256 {actual}, not {expected}; the file may have been cut short, upload it again")]
    HashMismatch {
        /// The id given.
        expected: String,
        /// What the bytes hash to.
        actual: String,
    },
    /// The organisation has no attachment with this SHA-256.
    #[error("attachment {0} is not stored for your organisation; upload it first")]
    NotFound(String),
    /// The object store failed.
    #[error("attachment storage failed")]
    Storage(#[source] object_store::Error),
}

/// Where attachment bytes live.
pub type Blobs = Arc<dyn ObjectStore>;

/// A local-directory object store under `dir` (created if missing).
pub fn local(dir: &Path) -> Result<Blobs, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create attachments directory {}: {e}", dir.display()))?;
    let fs = LocalFileSystem::new_with_prefix(dir)
        .map_err(|e| format!("cannot use attachments directory {}: {e}", dir.display()))?;
    Ok(Arc::new(fs))
}

/// The answer to an upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentStored {
    /// The content's SHA-256.
    pub sha256: String,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// False when the same content was already stored (the upload changed nothing).
    pub created: bool,
}

/// Checks that `sha` is 64 lower-case hex digits.
pub fn check_sha256(sha: &str) -> Result<(), AttachmentError> {
    if sha.len() == 64
        && sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(AttachmentError::InvalidSha256)
    }
}

fn object_path(organisation_id: Uuid, sha: &str) -> ObjectPath {
    ObjectPath::from(format!("{organisation_id}/{sha}"))
}

/// Stores `body` for the organisation after checking it hashes to `sha`.
pub async fn put(
    blobs: &Blobs,
    organisation_id: Uuid,
    sha: &str,
    body: Bytes,
) -> Result<AttachmentStored, AttachmentError> {
    let actual = hex::encode(Sha256::digest(&body));
    if actual != sha {
        return Err(AttachmentError::HashMismatch {
            expected: sha.to_owned(),
            actual,
        });
    }
    let size_bytes = body.len() as u64;
    if size(blobs, organisation_id, sha).await?.is_some() {
        return Ok(AttachmentStored {
            sha256: sha.to_owned(),
            size_bytes,
            created: false,
        });
    }
    blobs
        .put(&object_path(organisation_id, sha), PutPayload::from(body))
        .await
        .map_err(AttachmentError::Storage)?;
    tracing::info!(organisation = %organisation_id, sha256 = sha, size_bytes, "attachment stored");
    Ok(AttachmentStored {
        sha256: sha.to_owned(),
        size_bytes,
        created: true,
    })
}

/// The stored size of the organisation's attachment `sha`, if it has it.
pub async fn size(
    blobs: &Blobs,
    organisation_id: Uuid,
    sha: &str,
) -> Result<Option<u64>, AttachmentError> {
    match blobs.head(&object_path(organisation_id, sha)).await {
        Ok(meta) => Ok(Some(meta.size)),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(AttachmentError::Storage(e)),
    }
}

/// The bytes of the organisation's attachment `sha`.
pub async fn get(
    blobs: &Blobs,
    organisation_id: Uuid,
    sha: &str,
) -> Result<Bytes, AttachmentError> {
    match blobs.get(&object_path(organisation_id, sha)).await {
        Ok(r) => r.bytes().await.map_err(AttachmentError::Storage),
        Err(object_store::Error::NotFound { .. }) => Err(AttachmentError::NotFound(sha.to_owned())),
        Err(e) => Err(AttachmentError::Storage(e)),
    }
}
