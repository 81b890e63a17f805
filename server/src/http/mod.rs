//! The HTTP API (axum): the router with its layers, and the mapping of every
//! failure — including axum's own rejections, unknown routes and oversized
//! bodies — to one JSON [`fieldaudit_protocol::ApiError`]. Handlers stay thin:
//! parse, authorise, call one store or domain function, map the error. They live
//! per resource: [`meta`], [`auth`], [`sync`], [`devices`], [`attachments`],
//! [`templates`]; the request extractors in [`extract`], the error shape and the
//! mapping of domain errors to statuses in [`error`].

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};

use crate::attachments::Blobs;
use crate::store::ServerStore;
use crate::ServerConfig;

pub mod attachments;
pub mod auth;
pub mod devices;
pub mod error;
pub mod extract;
pub mod meta;
pub mod sync;
pub mod templates;

pub use attachments::{get_attachment, head_attachment, put_attachment};
pub use auth::{login, logout, me};
pub use devices::{list_devices, revoke_device};
pub use error::ApiFailure;
pub use extract::{ApiJson, AuthDevice};
pub use meta::{healthz, openapi_json};
pub use sync::{import_sync_file, pull, push, PullQuery};
pub use templates::{get_template, list_templates};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Arc<dyn ServerStore>,
    /// Attachment bytes.
    pub blobs: Blobs,
    /// Limits and policies.
    pub config: Arc<ServerConfig>,
    /// This process's Prometheus metrics (served on their own listener).
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// The whole API as an axum router, with compression, limits, tracing and JSON errors.
pub fn router(state: AppState) -> Router {
    let attachment_limit = state.config.max_attachment_bytes;
    let api = Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/me", get(me))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/sync/push", post(push))
        .route("/api/v1/sync/pull", get(pull))
        .route("/api/v1/sync/import", post(import_sync_file))
        .route("/api/v1/devices", get(list_devices))
        .route("/api/v1/devices/{device_id}/revoke", post(revoke_device))
        .route(
            "/api/v1/attachments/{sha256}",
            put(put_attachment)
                .layer(DefaultBodyLimit::max(attachment_limit))
                .get(get_attachment)
                .head(head_attachment),
        )
        .route("/api/v1/templates", get(list_templates))
        .route("/api/v1/templates/{id}/{version}", get(get_template))
        .route_layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::track,
        ))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .with_state(state);
    api.layer(RequestDecompressionLayer::new())
        .layer(CompressionLayer::new())
        // Outside the (de)compression layers, so their own refusals become JSON too.
        .layer(middleware::from_fn(json_errors))
        .layer(CatchPanicLayer::custom(|_| {
            ApiFailure::internal("a request handler panicked").into_response()
        }))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
}

/// Turns any error response that is not already JSON (e.g. from a middleware) into an ApiError.
async fn json_errors(req: Request, next: Next) -> Response {
    let head = req.method() == Method::HEAD;
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if status.is_success() || status.is_redirection() || is_json || head {
        return res;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is larger than the server accepts"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "unsupported Content-Type or Content-Encoding; send JSON, compressed with zstd or gzip or not at all",
        ),
        s if s.is_server_error() => ("internal", "the server failed; the error was logged"),
        _ => ("bad_request", "the request was refused"),
    };
    ApiFailure::new(status, code, message).into_response()
}

async fn not_found() -> ApiFailure {
    ApiFailure::not_found("no such endpoint; see /api/v1/openapi.json for the API")
}

async fn method_not_allowed() -> ApiFailure {
    ApiFailure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not support that HTTP method",
    )
}

/// Serves the router on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer's address is the client's for sign-in throttling (crate::throttle).
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
        .await
}

/// The default token lifetime.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(180 * 24 * 3600);
