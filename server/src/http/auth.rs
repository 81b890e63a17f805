//! Handlers of sign-in, "who am I" and sign-out (the rules are in [`crate::auth`]).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::Json;
use fieldaudit_protocol::api::{LoginRequest, LoginResponse, WhoAmI};

use super::extract::{ApiJson, AuthDevice};
use super::{ApiFailure, AppState};
use crate::{auth, openapi, throttle};

/// `POST /api/v1/auth/login`.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = openapi::LoginRequest,
    responses((status = 200, description = "Signed in; keep the token", body = openapi::LoginResponse),
              (status = 400, description = "Malformed body", body = openapi::ApiError),
              (status = 401, description = "Wrong organisation, user name or password (`invalid_credentials`)", body = openapi::ApiError),
              (status = 409, description = "The device id belongs to another user or organisation (`device_conflict`)", body = openapi::ApiError),
              (status = 413, description = "Body too large", body = openapi::ApiError),
              (status = 415, description = "Not JSON", body = openapi::ApiError),
              (status = 429, description = "Too many failed sign-ins for this user or address (`sign_in_throttled`); the password was not checked. Try again after `Retry-After` seconds",
               body = openapi::ApiError,
               headers(("Retry-After" = u64, description = "Seconds to wait before trying again")))))]
pub async fn login(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiFailure> {
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let ctx = auth::SignInContext {
        client: throttle::client_address(peer.ip(), &forwarded, &s.config.trusted_proxies),
        policy: &s.config.sign_in_throttle,
    };
    let res = auth::login(s.store.as_ref(), req, s.config.token_ttl, ctx)
        .await
        .map(Json)
        .map_err(ApiFailure::from);
    if let Err(e) = &res {
        s.metrics.sign_in_failed(e.code);
    }
    res
}

/// `GET /api/v1/auth/me`: who the token belongs to.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The token's device, user and watermark", body = openapi::WhoAmI),
              (status = 401, description = "Missing, invalid, expired or revoked token", body = openapi::ApiError)))]
pub async fn me(AuthDevice(d): AuthDevice) -> Json<WhoAmI> {
    Json(WhoAmI {
        device_id: d.device_id,
        user_id: d.user_id,
        role: d.role,
        organisation: d.organisation_slug,
        watermark: d.watermark,
    })
}

/// `POST /api/v1/auth/logout`: revokes this device's token (sign out).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "The token no longer works"),
              (status = 401, description = "Missing, invalid, expired or revoked token", body = openapi::ApiError)))]
pub async fn logout(
    State(s): State<AppState>,
    AuthDevice(d): AuthDevice,
) -> Result<StatusCode, ApiFailure> {
    s.store
        .revoke_device(d.organisation_id, d.device_id)
        .await?;
    tracing::info!(device = %d.device_id, "device signed out");
    Ok(StatusCode::NO_CONTENT)
}
