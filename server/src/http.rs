//! The HTTP API (axum): routes, extractors and the mapping of every failure —
//! including axum's own rejections, unknown routes and oversized bodies — to one
//! JSON [`fieldaudit_protocol::ApiError`]. Handlers stay thin: parse, authorise,
//! call one store or domain function, map the error.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use bytes::Bytes;
use fieldaudit_protocol::api::{
    Health, LoginRequest, LoginResponse, Role, TemplateSummary, WhoAmI,
};
use fieldaudit_protocol::{PullResponse, PushRequest, PushResponse};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use uuid::Uuid;

use crate::attachments::{self, AttachmentStored, Blobs};
use crate::error::ApiFailure;
use crate::store::{DeviceAuth, DeviceInfo, ServerStore};
use crate::sync::{PushPolicy, DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT};
use crate::{auth, openapi, ServerConfig};

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

fn bytes_rejection(e: BytesRejection, limit: usize, what: &str) -> ApiFailure {
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

fn query_rejection(e: axum::extract::rejection::QueryRejection) -> ApiFailure {
    ApiFailure::bad_request("invalid_query", e.body_text())
}

fn path_rejection(e: axum::extract::rejection::PathRejection) -> ApiFailure {
    ApiFailure::bad_request("invalid_path", e.body_text())
}

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

/// `POST /api/v1/auth/login`.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = openapi::LoginRequest,
    responses((status = 200, description = "Signed in; keep the token", body = openapi::LoginResponse),
              (status = 400, description = "Malformed body", body = openapi::ApiError),
              (status = 401, description = "Wrong organisation, user name or password (`invalid_credentials`)", body = openapi::ApiError),
              (status = 409, description = "The device id belongs to another user or organisation (`device_conflict`)", body = openapi::ApiError),
              (status = 413, description = "Body too large", body = openapi::ApiError),
              (status = 415, description = "Not JSON", body = openapi::ApiError)))]
pub async fn login(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiFailure> {
    auth::login(s.store.as_ref(), req, s.config.token_ttl)
        .await
        .map(Json)
        .inspect_err(|e| s.metrics.sign_in_failed(e.code))
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
    };
    let res = s
        .store
        .push(d.organisation_id, d.device_id, &req.changes, &policy)
        .await?;
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
}

/// `GET /api/v1/sync/pull`.
#[utoipa::path(get, path = "/api/v1/sync/pull", tag = "sync", security(("bearer" = [])), params(PullQuery),
    responses((status = 200, description = "A page of the organisation's changes in server order, without the requesting device's own (unless include_own)", body = openapi::PullResponse),
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
    let res = s
        .store
        .pull(
            d.organisation_id,
            q.after.unwrap_or(0),
            limit,
            s.config.pull_max_bytes,
            (!q.include_own.unwrap_or(false)).then_some(d.device_id),
        )
        .await?;
    s.metrics.pulled(res.changes.len());
    Ok(Json(res))
}

fn require_admin(d: &DeviceAuth) -> Result<(), ApiFailure> {
    if d.role != Role::Admin {
        return Err(ApiFailure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only an administrator of the organisation may do this",
        ));
    }
    Ok(())
}

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
              (status = 404, description = "Not stored for this organisation"),
              (status = 503, description = "The attachment storage does not answer")))]
pub async fn head_attachment(
    State(s): State<AppState>,
    AuthDevice(d): AuthDevice,
    p: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiFailure> {
    let sha = sha_param(p)?;
    match attachments::size(&s.blobs, d.organisation_id, &sha).await? {
        Some(size) => Ok(Response::builder()
            .status(StatusCode::OK)
            .header(CONTENT_LENGTH, HeaderValue::from(size))
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(Body::empty())
            .map_err(ApiFailure::internal)?),
        None => Err(attachments::not_found(&sha)),
    }
}

/// `GET /api/v1/attachments/{sha256}`: the bytes.
#[utoipa::path(get, path = "/api/v1/attachments/{sha256}", tag = "attachments", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "SHA-256 of the file, 64 lower-case hex digits", pattern = "^[0-9a-f]{64}$")),
    responses((status = 200, description = "The file's bytes", content_type = "application/octet-stream", body = Vec<u8>),
              (status = 400, description = "Bad hash (`invalid_sha256`)", body = openapi::ApiError),
              (status = 401, description = "Missing, invalid, expired or revoked token", body = openapi::ApiError),
              (status = 404, description = "Not stored for this organisation (`not_found`)", body = openapi::ApiError),
              (status = 503, description = "The attachment storage does not answer (`storage_unavailable`); try again later", body = openapi::ApiError)))]
pub async fn get_attachment(
    State(s): State<AppState>,
    AuthDevice(d): AuthDevice,
    p: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiFailure> {
    let sha = sha_param(p)?;
    let bytes = attachments::get(&s.blobs, d.organisation_id, &sha).await?;
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(bytes))
        .map_err(ApiFailure::internal)
}

/// `GET /api/v1/templates`: the templates devices can use.
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates", security(("bearer" = [])),
    responses((status = 200, description = "Every template's id, version and title", body = Vec<openapi::TemplateSummary>),
              (status = 401, description = "Missing, invalid, expired or revoked token", body = openapi::ApiError)))]
pub async fn list_templates(
    State(s): State<AppState>,
    AuthDevice(_): AuthDevice,
) -> Result<Json<Vec<TemplateSummary>>, ApiFailure> {
    Ok(Json(s.store.list_templates().await?))
}

/// `GET /api/v1/templates/{id}/{version}`: one template's JSON.
#[utoipa::path(get, path = "/api/v1/templates/{id}/{version}", tag = "templates", security(("bearer" = [])),
    params(("id" = String, Path, description = "Template id"), ("version" = String, Path, description = "Template version")),
    responses((status = 200, description = "The template", body = Object),
              (status = 401, description = "Missing, invalid, expired or revoked token", body = openapi::ApiError),
              (status = 404, description = "No such template (`not_found`)", body = openapi::ApiError)))]
pub async fn get_template(
    State(s): State<AppState>,
    AuthDevice(_): AuthDevice,
    p: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
) -> Result<Json<serde_json::Value>, ApiFailure> {
    let Path((id, version)) = p.map_err(path_rejection)?;
    if id.contains('\0') || version.contains('\0') {
        return Err(ApiFailure::not_found(
            "no such template; GET /api/v1/templates lists them",
        ));
    }
    s.store
        .template(&id, &version)
        .await?
        .map(Json)
        .ok_or_else(|| {
            ApiFailure::not_found(format!(
                "no template {id:?} version {version:?}; GET /api/v1/templates lists them"
            ))
        })
}

/// Serves the router on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The default token lifetime.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(180 * 24 * 3600);
