//! Handlers of push, pull and sync-file import (the rules are in [`crate::sync`]
//! and [`crate::sync_file`]).

use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::Json;
use bytes::Bytes;
use fieldaudit_protocol::{PullResponse, PushRequest, PushResponse};
use serde::{Deserialize, Serialize};

use super::extract::{bytes_rejection, query_rejection, ApiJson, AuthDevice};
use super::{ApiFailure, AppState};
use crate::openapi;
use crate::sync::{PushPolicy, DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT};

/// `POST /api/v1/sync/push`.
#[utoipa::path(post, path = "/api/v1/sync/push", tag = "sync", security(("bearer" = [])), request_body = openapi::PushRequest,
    responses((status = 200, description = "Applied; the new watermark and any rejected ops", body = openapi::PushResponse),
              (status = 400, description = "Malformed JSON (`invalid_json`) or device_seq not strictly increasing (`invalid_batch`)", body = openapi::ApiError),
              (status = 401, description = "Missing, invalid, expired or revoked token", body = openapi::ApiError),
              (status = 409, description = "The batch does not continue from the acknowledged watermark (`sequence_gap`)", body = openapi::ApiError),
              (status = 413, description = "Body too large (`payload_too_large`)", body = openapi::ApiError),
              (status = 415, description = "Not JSON", body = openapi::ApiError)))]
pub async fn push(
    State(s): State<AppState>,
    AuthDevice(d): AuthDevice,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiFailure> {
    let policy = PushPolicy {
        max_clock_skew: s.config.max_clock_skew,
        may_review: d.role.may_review(),
        pusher: Some(crate::scope::Pusher {
            role: d.role,
            user_id: d.user_id,
        }),
        ..PushPolicy::default()
    };
    let res = crate::signed::push(s.store.as_ref(), d.organisation_id, d.device_id, &req.changes, &policy).await?;
    s.metrics.pushed(&res);
    tracing::info!(device = %d.device_id, applied = res.applied, rejected = res.rejected.len(), watermark = res.watermark, "push");
    Ok(Json(res))
}

/// `POST /api/v1/sync/import`: a device's sync file (sneakernet), applied exactly
/// like a push of its changes.
#[utoipa::path(post, path = "/api/v1/sync/import", tag = "sync", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "A file written by `fieldaudit export-sync` (zstd JSON)"),
    responses((status = 200, description = "Applied like a push (idempotent)", body = openapi::PushResponse),
              (status = 401, description = "Missing, invalid, expired or revoked token", body = openapi::ApiError),
              (status = 403, description = "The file is another device's (`forbidden`)", body = openapi::ApiError),
              (status = 409, description = "The file starts after a gap (`sequence_gap`): import the earlier file first", body = openapi::ApiError),
              (status = 413, description = "Body too large (`payload_too_large`)", body = openapi::ApiError),
              (status = 422, description = "Not a valid device sync file (`invalid_sync_file`)", body = openapi::ApiError)))]
pub async fn import_sync_file(
    State(s): State<AppState>,
    AuthDevice(d): AuthDevice,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PushResponse>, ApiFailure> {
    let body = body.map_err(|e| bytes_rejection(e, s.config.max_body_bytes, "sync file"))?;
    let file = crate::sync_file::decode_device_file(&body)?;
    let policy = PushPolicy {
        max_clock_skew: s.config.max_clock_skew,
        may_review: d.role.may_review(),
        pusher: Some(crate::scope::Pusher {
            role: d.role,
            user_id: d.user_id,
        }),
        ..PushPolicy::default()
    };
    let res = crate::sync_file::import_device_file(
        s.store.as_ref(),
        &s.blobs,
        &file,
        &policy,
        s.config.max_attachment_bytes,
        Some((d.organisation_id, d.device_id)),
    )
    .await?;
    s.metrics.pushed(&res);
    tracing::info!(device = %d.device_id, applied = res.applied, watermark = res.watermark, "sync file imported");
    Ok(Json(res))
}

/// Query of `GET /api/v1/sync/pull`.
#[derive(Debug, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullQuery {
    /// The cursor: the last `server_seq` already received (0 to start).
    #[param(minimum = 0)]
    pub after: Option<u64>,
    /// At most this many changes (default 1000, 1 to 10000).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<u32>,
    /// Also send the changes this device made itself (default false: it has them).
    /// A device whose database was restored from an older copy asks for them to get
    /// back what it had pushed since.
    pub include_own: Option<bool>,
    /// The scope epoch of the last page this device applied (auditors and
    /// interviewers; see `scope` in the answer). 0 or absent: none yet.
    #[param(minimum = 0)]
    pub scope: Option<u64>,
}

/// `GET /api/v1/sync/pull`.
#[utoipa::path(get, path = "/api/v1/sync/pull", tag = "sync", security(("bearer" = [])), params(PullQuery),
    responses((status = 200, description = "A page of the organisation's changes in server order, without the requesting device's own (unless include_own); for auditors and interviewers only the organisation's rows and their assigned audits, with newly assigned audits in `backfill` and the change of held audits in `scope`", body = openapi::PullResponse),
              (status = 400, description = "Bad query (`invalid_query`)", body = openapi::ApiError),
              (status = 401, description = "Missing, invalid, expired or revoked token", body = openapi::ApiError)))]
pub async fn pull(
    State(s): State<AppState>,
    AuthDevice(d): AuthDevice,
    q: Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<PullResponse>, ApiFailure> {
    let Query(q) = q.map_err(query_rejection)?;
    let limit = q.limit.unwrap_or(DEFAULT_PULL_LIMIT);
    if !(1..=MAX_PULL_LIMIT).contains(&limit) {
        return Err(ApiFailure::bad_request(
            "invalid_query",
            format!("limit must be between 1 and {MAX_PULL_LIMIT}"),
        ));
    }
    let pull = crate::store::scope_sql::DevicePull {
        device_id: d.device_id,
        user_id: d.user_id,
        scoped: crate::scope::is_scoped(d.role),
        after: q.after.unwrap_or(0),
        limit,
        max_bytes: s.config.pull_max_bytes,
        epoch: q.scope.unwrap_or(0),
        include_own: q.include_own.unwrap_or(false),
    };
    let res = s.store.pull_for_device(d.organisation_id, pull).await?;
    s.metrics.pulled(res.changes.len());
    Ok(Json(res))
}
