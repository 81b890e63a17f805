//! Request extractors whose rejections are [`ApiFailure`]s: a JSON body
//! ([`ApiJson`]), the signed-in device ([`AuthDevice`]), and the mapping of axum's
//! body, query and path rejections; plus the administrator check.

use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use fieldaudit_protocol::api::Role;
use serde::de::DeserializeOwned;

use super::{ApiFailure, AppState};
use crate::auth;
use crate::store::DeviceAuth;

/// A JSON body whose rejections are ApiErrors (400 `invalid_json`, 413, 415).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiFailure;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(json_rejection(e, state.config.max_body_bytes)),
        }
    }
}

fn json_rejection(e: JsonRejection, limit: usize) -> ApiFailure {
    match e {
        JsonRejection::JsonDataError(e) => ApiFailure::bad_request("invalid_json", e.body_text()),
        JsonRejection::JsonSyntaxError(e) => ApiFailure::bad_request("invalid_json", e.body_text()),
        JsonRejection::MissingJsonContentType(_) => ApiFailure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with Content-Type: application/json",
        ),
        JsonRejection::BytesRejection(e) => bytes_rejection(e, limit, "request body"),
        other => ApiFailure::bad_request("invalid_json", other.body_text()),
    }
}

pub(super) fn bytes_rejection(e: BytesRejection, limit: usize, what: &str) -> ApiFailure {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large(limit, what);
    }
    ApiFailure::bad_request(
        "invalid_body",
        format!("could not read the {what}: {}", e.body_text()),
    )
}

fn too_large(limit: usize, what: &str) -> ApiFailure {
    ApiFailure::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the {what} is larger than this server accepts ({limit} bytes); send less at a time or a smaller file"),
    )
}

/// The signed-in device of a request (from its bearer token).
pub struct AuthDevice(pub DeviceAuth);

impl FromRequestParts<AppState> for AuthDevice {
    type Rejection = ApiFailure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = match parts.headers.get(AUTHORIZATION) {
            None => None,
            Some(v) => Some(v.to_str().map_err(|_| {
                ApiFailure::unauthorized(
                    "invalid_token",
                    "the Authorization header must be \"Bearer <token>\"",
                )
            })?),
        };
        auth::authenticate(state.store.as_ref(), header)
            .await
            .map(AuthDevice)
    }
}

pub(super) fn query_rejection(e: axum::extract::rejection::QueryRejection) -> ApiFailure {
    ApiFailure::bad_request("invalid_query", e.body_text())
}

pub(super) fn path_rejection(e: axum::extract::rejection::PathRejection) -> ApiFailure {
    ApiFailure::bad_request("invalid_path", e.body_text())
}

pub(super) fn require_admin(d: &DeviceAuth) -> Result<(), ApiFailure> {
    if d.role != Role::Admin {
        return Err(ApiFailure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only an administrator of the organisation may do this",
        ));
    }
    Ok(())
}
