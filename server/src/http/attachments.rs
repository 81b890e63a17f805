//! Handlers of attachment bytes by SHA-256 (storage is [`crate::attachments`]).

use axum::body::Body;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::Json;
use bytes::Bytes;

use super::extract::{bytes_rejection, path_rejection, AuthDevice};
use super::{ApiFailure, AppState};
use crate::attachments::{self, AttachmentError, AttachmentStored};
use crate::openapi;
use crate::store::DeviceAuth;

fn sha_param(
    p: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<String, ApiFailure> {
    let Path(sha) = p.map_err(path_rejection)?;
    attachments::check_sha256(&sha)?;
    Ok(sha)
}

/// `PUT /api/v1/attachments/{sha256}`: stores bytes whose SHA-256 is `sha256`.
#[utoipa::path(put, path = "/api/v1/attachments/{sha256}", tag = "attachments", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "SHA-256 of the body, 64 lower-case hex digits", pattern = "^[0-9a-f]{64}$")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    responses((status = 201, description = "Stored", body = openapi::AttachmentStored),
              (status = 200, description = "Already stored; nothing changed", body = openapi::AttachmentStored),
              (status = 400, description = "Bad hash in the path (`invalid_sha256`)", body = openapi::ApiError),
              (status = 401, description = "Missing, invalid, expired or revoked token", body = openapi::ApiError),
              (status = 413, description = "Larger than the attachment limit (`payload_too_large`)", body = openapi::ApiError),
              (status = 422, description = "The body's SHA-256 differs from the path (`hash_mismatch`)", body = openapi::ApiError),
              (status = 503, description = "The attachment storage does not answer (`storage_unavailable`); nothing was stored, try again later", body = openapi::ApiError)))]
pub async fn put_attachment(
    State(s): State<AppState>,
    AuthDevice(d): AuthDevice,
    p: Result<Path<String>, axum::extract::rejection::PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<AttachmentStored>), ApiFailure> {
    let sha = sha_param(p)?;
    let body = body.map_err(|e| bytes_rejection(e, s.config.max_attachment_bytes, "attachment"))?;
    let stored = attachments::put(&s.blobs, d.organisation_id, &sha, body).await?;
    let status = if stored.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(stored)))
}

/// `HEAD /api/v1/attachments/{sha256}`: 200 with Content-Length if stored, else 404.
#[utoipa::path(head, path = "/api/v1/attachments/{sha256}", tag = "attachments", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "SHA-256 of the file, 64 lower-case hex digits", pattern = "^[0-9a-f]{64}$")),
    responses((status = 200, description = "Stored for this organisation; Content-Length is its size"),
              (status = 400, description = "Bad hash (`invalid_sha256`)"),
              (status = 401, description = "Missing, invalid, expired or revoked token"),
              (status = 404, description = "Not stored for this organisation, or (auditors and interviewers) not of an audit the device holds"),
              (status = 503, description = "The attachment storage does not answer")))]
pub async fn head_attachment(
    State(s): State<AppState>,
    AuthDevice(d): AuthDevice,
    p: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiFailure> {
    let sha = sha_param(p)?;
    in_scope(&s, &d, &sha).await?;
    match attachments::size(&s.blobs, d.organisation_id, &sha).await? {
        Some(size) => Ok(Response::builder()
            .status(StatusCode::OK)
            .header(CONTENT_LENGTH, HeaderValue::from(size))
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(Body::empty())
            .map_err(ApiFailure::internal)?),
        None => Err(AttachmentError::NotFound(sha).into()),
    }
}

/// Refuses (as not found) an attachment outside the device's scope: auditors and
/// interviewers get only those of the audits they hold.
async fn in_scope(s: &AppState, d: &DeviceAuth, sha: &str) -> Result<(), ApiFailure> {
    let scoped = crate::scope::is_scoped(d.role);
    if scoped
        && !s
            .store
            .may_download(d.organisation_id, d.device_id, scoped, sha)
            .await?
    {
        return Err(AttachmentError::NotFound(sha.to_owned()).into());
    }
    Ok(())
}

/// `GET /api/v1/attachments/{sha256}`: the bytes.
#[utoipa::path(get, path = "/api/v1/attachments/{sha256}", tag = "attachments", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "SHA-256 of the file, 64 lower-case hex digits", pattern = "^[0-9a-f]{64}$")),
    responses((status = 200, description = "The file's bytes", content_type = "application/octet-stream", body = Vec<u8>),
              (status = 400, description = "Bad hash (`invalid_sha256`)", body = openapi::ApiError),
              (status = 401, description = "Missing, invalid, expired or revoked token", body = openapi::ApiError),
              (status = 404, description = "Not stored for this organisation, or (auditors and interviewers) not of an audit the device holds (`not_found`)", body = openapi::ApiError),
              (status = 503, description = "The attachment storage does not answer (`storage_unavailable`); try again later", body = openapi::ApiError)))]
pub async fn get_attachment(
    State(s): State<AppState>,
    AuthDevice(d): AuthDevice,
    p: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiFailure> {
    let sha = sha_param(p)?;
    in_scope(&s, &d, &sha).await?;
    let bytes = attachments::get(&s.blobs, d.organisation_id, &sha).await?;
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(bytes))
        .map_err(ApiFailure::internal)
}
