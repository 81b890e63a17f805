//! Handlers of device administration (administrators only).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use uuid::Uuid;

use super::extract::{path_rejection, require_admin, AuthDevice};
use super::{ApiFailure, AppState};
use crate::openapi;
use crate::store::DeviceInfo;

/// `GET /api/v1/devices` (administrators): the organisation's devices.
#[utoipa::path(get, path = "/api/v1/devices", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "The organisation's devices", body = Vec<openapi::DeviceInfo>),
              (status = 401, description = "Missing, invalid, expired or revoked token", body = openapi::ApiError),
              (status = 403, description = "Not an administrator (`forbidden`)", body = openapi::ApiError)))]
pub async fn list_devices(
    State(s): State<AppState>,
    AuthDevice(d): AuthDevice,
) -> Result<Json<Vec<DeviceInfo>>, ApiFailure> {
    require_admin(&d)?;
    Ok(Json(s.store.list_devices(d.organisation_id).await?))
}

/// `POST /api/v1/devices/{device_id}/revoke` (administrators).
#[utoipa::path(post, path = "/api/v1/devices/{device_id}/revoke", tag = "admin", security(("bearer" = [])),
    params(("device_id" = Uuid, Path, description = "The device to revoke")),
    responses((status = 204, description = "Revoked: its token no longer works"),
              (status = 400, description = "Bad device id (`invalid_path`)", body = openapi::ApiError),
              (status = 401, description = "Missing, invalid, expired or revoked token", body = openapi::ApiError),
              (status = 403, description = "Not an administrator (`forbidden`)", body = openapi::ApiError),
              (status = 404, description = "No such device in the organisation (`not_found`)", body = openapi::ApiError)))]
pub async fn revoke_device(
    State(s): State<AppState>,
    AuthDevice(d): AuthDevice,
    p: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
) -> Result<StatusCode, ApiFailure> {
    let Path(device_id) = p.map_err(path_rejection)?;
    require_admin(&d)?;
    s.store.revoke_device(d.organisation_id, device_id).await?;
    tracing::info!(by = %d.device_id, revoked = %device_id, "device revoked");
    Ok(StatusCode::NO_CONTENT)
}
