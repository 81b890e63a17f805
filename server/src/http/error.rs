//! The one HTTP error shape, [`ApiFailure`] (status, stable code, message; sent as
//! a `fieldaudit_protocol::ApiError` body), and the mapping of every domain error
//! to it: the store's, the attachments', the sync files'. Domain code never
//! chooses a status; this module does.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fieldaudit_protocol::ApiError;

use crate::attachments::AttachmentError;
use crate::error::{error_chain, PushError, StoreError};
use crate::sync_file::SyncFileError;

/// An HTTP error: status, stable code and a message for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    /// The HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// What happened and what to do.
    pub message: String,
    /// Seconds to send as `Retry-After` (a throttled sign-in).
    pub retry_after: Option<u64>,
}

impl ApiFailure {
    /// A failure with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiFailure {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The same failure, answered with a `Retry-After: secs` header.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// 400 with `code`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401 with `code`.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 500 `internal`; the detail goes to the log, not to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; the error was logged",
        )
    }

    /// The JSON body.
    pub fn body(&self) -> ApiError {
        ApiError {
            code: self.code.to_owned(),
            message: self.message.clone(),
        }
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(self.body())).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        res
    }
}

impl From<StoreError> for ApiFailure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ApiFailure::not_found(m),
            StoreError::Conflict { code, message } => {
                ApiFailure::new(StatusCode::CONFLICT, code, message)
            }
            StoreError::Push(p @ PushError::SequenceGap { .. }) => {
                ApiFailure::new(StatusCode::CONFLICT, "sequence_gap", p.to_string())
            }
            StoreError::Push(PushError::InvalidBatch(m)) => {
                ApiFailure::bad_request("invalid_batch", m)
            }
            e @ (StoreError::SchemaTooNew { .. } | StoreError::Backend { .. }) => {
                ApiFailure::internal(error_chain(&e))
            }
        }
    }
}

impl From<AttachmentError> for ApiFailure {
    fn from(e: AttachmentError) -> Self {
        let message = e.to_string();
        match e {
            AttachmentError::InvalidSha256 => ApiFailure::bad_request("invalid_sha256", message),
            AttachmentError::HashMismatch { .. } => {
                ApiFailure::new(StatusCode::UNPROCESSABLE_ENTITY, "hash_mismatch", message)
            }
            AttachmentError::NotFound(_) => ApiFailure::not_found(message),
            // Down or failing storage: nothing was stored; the device tries again later.
            AttachmentError::Storage(ref inner) if crate::storage::is_unavailable(inner) => {
                tracing::error!(error = %error_chain(&e), "attachment storage unavailable");
                ApiFailure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "the attachment storage does not answer; nothing was stored or read, try again later",
                )
            }
            AttachmentError::Storage(_) => ApiFailure::internal(error_chain(&e)),
        }
    }
}

impl From<SyncFileError> for ApiFailure {
    fn from(e: SyncFileError) -> Self {
        let message = e.to_string();
        match e {
            SyncFileError::Invalid(_) => ApiFailure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_sync_file",
                message,
            ),
            SyncFileError::NotOwnFile => {
                ApiFailure::new(StatusCode::FORBIDDEN, "forbidden", message)
            }
            SyncFileError::DeviceRevoked(_) => {
                ApiFailure::new(StatusCode::FORBIDDEN, "token_revoked", message)
            }
            SyncFileError::AttachmentTooLarge { .. } => {
                ApiFailure::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
            }
            SyncFileError::UnknownOrganisation(_) => ApiFailure::not_found(message),
            SyncFileError::Attachment(e) => e.into(),
            SyncFileError::Store(e) => e.into(),
        }
    }
}
