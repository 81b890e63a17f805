//! Handlers of the server itself: health and the OpenAPI document.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use fieldaudit_protocol::api::Health;

use super::{ApiFailure, AppState};
use crate::openapi;

/// `GET /healthz`: 200 when the database answers, else 503.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, description = "The server and its database answer", body = openapi::Health),
              (status = 503, description = "The database does not answer", body = openapi::ApiError)))]
pub async fn healthz(State(s): State<AppState>) -> Result<Json<Health>, ApiFailure> {
    match s.store.ping().await {
        Ok(()) => Ok(Json(Health {
            status: "ok".into(),
            backend: s.store.backend().into(),
            version: env!("CARGO_PKG_VERSION").into(),
            protocol_version: fieldaudit_protocol::PROTOCOL_VERSION,
        })),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            Err(ApiFailure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database does not answer",
            ))
        }
    }
}

/// `GET /api/v1/openapi.json`: this API's OpenAPI document.
pub async fn openapi_json() -> Json<serde_json::Value> {
    Json(openapi::document())
}
