//! Attachment bytes (photos, documents), stored by organisation and SHA-256 through
//! the `object_store` crate: a local directory by default, S3-compatible storage in
//! production. The server verifies every upload's hash; uploading the same content
//! again changes nothing.

use std::path::Path;
use std::sync::Arc;

use axum::http::StatusCode;
use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::ApiFailure;

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
pub fn check_sha256(sha: &str) -> Result<(), ApiFailure> {
    if sha.len() == 64
        && sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(ApiFailure::bad_request(
            "invalid_sha256",
            "the attachment id must be the SHA-256 of its content as 64 lower-case hex digits",
        ))
    }
}

fn object_path(organisation_id: Uuid, sha: &str) -> ObjectPath {
    ObjectPath::from(format!("{organisation_id}/{sha}"))
}

/// The 404 for an attachment this organisation does not have.
pub fn not_found(sha: &str) -> ApiFailure {
    ApiFailure::not_found(format!(
        "attachment {sha} is not stored for your organisation; upload it first"
    ))
}

/// A storage failure: 503 `storage_unavailable` when the storage is down or failing
/// (nothing was stored; the device tries again later), else 500.
fn storage_error(e: object_store::Error) -> ApiFailure {
    if crate::storage::is_unavailable(&e) {
        tracing::error!(error = %e, "attachment storage unavailable");
        ApiFailure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            "the attachment storage does not answer; nothing was stored or read, try again later",
        )
    } else {
        ApiFailure::internal(format!("attachment storage: {e}"))
    }
}

/// Stores `body` for the organisation after checking it hashes to `sha`.
pub async fn put(
    blobs: &Blobs,
    organisation_id: Uuid,
    sha: &str,
    body: Bytes,
) -> Result<AttachmentStored, ApiFailure> {
    let actual = hex::encode(Sha256::digest(&body));
    if actual != sha {
        return Err(ApiFailure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "hash_mismatch",
            format!("the uploaded content has SHA-256 {actual}, not {sha}; the file may have been cut short, upload it again"),
        ));
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
        .map_err(storage_error)?;
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
) -> Result<Option<u64>, ApiFailure> {
    match blobs.head(&object_path(organisation_id, sha)).await {
        Ok(meta) => Ok(Some(meta.size)),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(storage_error(e)),
    }
}

/// The bytes of the organisation's attachment `sha`.
pub async fn get(blobs: &Blobs, organisation_id: Uuid, sha: &str) -> Result<Bytes, ApiFailure> {
    match blobs.get(&object_path(organisation_id, sha)).await {
        Ok(r) => r.bytes().await.map_err(storage_error),
        Err(object_store::Error::NotFound { .. }) => Err(not_found(sha)),
        Err(e) => Err(storage_error(e)),
    }
}
