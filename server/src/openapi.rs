//! The OpenAPI 3.1 document served at `/api/v1/openapi.json` (utoipa).
//!
//! The wire types live in `fieldaudit-protocol`, which has no I/O and no OpenAPI
//! dependency, so their schemas are described here by mirror types of the same
//! name and shape. Tests check real responses against these schemas, so a drift
//! between the two fails the build's tests.
#![allow(dead_code)]

use serde_json::Value;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use uuid::Uuid;

use crate::http;

/// Every error body: a stable code and a message for a person.
#[derive(ToSchema)]
pub struct ApiError {
    /// Stable machine-readable code, e.g. `invalid_json`, `sequence_gap`, `token_revoked`.
    code: String,
    /// What happened and what to do.
    message: String,
}

/// One field of one row set to one value.
#[derive(ToSchema)]
pub struct Change {
    /// Position in the writing device's log: 1, 2, 3… with no gaps.
    #[schema(minimum = 1)]
    device_seq: u64,
    /// Hybrid-logical-clock stamp, 16 lower-case hex digits.
    #[schema(pattern = "^[0-9a-f]{16}$", example = "0000000067a1b2c3")]
    hlc: String,
    /// Entity name from the registry, e.g. `answer`.
    entity: String,
    /// The row's id.
    row_id: Uuid,
    /// Field name from the registry.
    field: String,
    /// The new value (any JSON; `null` clears the field).
    value: Value,
}

/// Body of a push: changes in increasing `device_seq` right after the watermark.
#[derive(ToSchema)]
pub struct PushRequest {
    /// The changes.
    changes: Vec<Change>,
}

/// Why an op was refused.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum RejectCode {
    /// Entity not in the registry.
    UnknownEntity,
    /// Field not in the entity.
    UnknownField,
    /// Value does not fit the field's type.
    InvalidValue,
    /// The row (or the row a reference points at) belongs to another organisation.
    Forbidden,
    /// The HLC is too far in the future.
    ClockSkew,
    /// The op changes what a standing sign-off covers; reopen the audit for correction first.
    AuditSigned,
}

/// One refused op.
#[derive(ToSchema)]
pub struct Rejection {
    /// The op's `device_seq`.
    device_seq: u64,
    /// Machine-readable reason.
    code: RejectCode,
    /// What is wrong.
    message: String,
}

/// Answer to a push.
#[derive(ToSchema)]
pub struct PushResponse {
    /// The highest `device_seq` processed (applied or rejected) for this device.
    watermark: u64,
    /// Ops newly applied by this request.
    applied: u64,
    /// Refused ops.
    rejected: Vec<Rejection>,
}

/// A change as pulled, in server order.
#[derive(ToSchema)]
pub struct PulledChange {
    /// Position in the organisation's server log.
    server_seq: u64,
    /// The device that wrote it.
    device_id: Uuid,
    /// Position in that device's log.
    device_seq: u64,
    /// Hybrid-logical-clock stamp, 16 lower-case hex digits.
    #[schema(pattern = "^[0-9a-f]{16}$")]
    hlc: String,
    /// Entity name.
    entity: String,
    /// Row id.
    row_id: Uuid,
    /// Field name.
    field: String,
    /// The value (any JSON).
    value: Value,
}

/// A page of pulled changes.
#[derive(ToSchema)]
pub struct PullResponse {
    /// Other devices' changes after the cursor, in server order (the requesting
    /// device's own are left out unless `include_own=true`).
    changes: Vec<PulledChange>,
    /// The cursor to send as `after` next (past own changes left out).
    next_cursor: u64,
    /// Whether more changes remain: keep pulling while true, even after an empty page.
    more: bool,
    /// Auditors and interviewers: the current state of audits newly held (server_seq 0).
    #[schema(nullable = false)]
    backfill: Option<Vec<PulledChange>>,
    /// Auditors and interviewers: changes to the set of audits the device holds.
    #[schema(nullable = false)]
    scope: Option<ScopeUpdate>,
}

/// Changes to the set of audits an auditor's or interviewer's device holds.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ScopeUpdate {
    /// Send back as `scope` on the next pull once this page is applied.
    epoch: u64,
    /// Audits sent whole in `backfill`.
    #[schema(nullable = false)]
    added: Option<Vec<uuid::Uuid>>,
    /// Audits to remove after pushing what is unsent of them.
    #[schema(nullable = false)]
    removed: Option<Vec<uuid::Uuid>>,
    /// The role changed: remove every audit and pull again from 0.
    #[schema(nullable = false)]
    reset: Option<bool>,
}

/// A user's role.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum Role {
    /// Administrator.
    Admin,
    /// Reviewer.
    Reviewer,
    /// Auditor.
    Auditor,
    /// Interviewer.
    Interviewer,
}

/// Sign-in body.
#[derive(ToSchema)]
pub struct LoginRequest {
    /// Organisation slug.
    organisation: String,
    /// User name.
    username: String,
    /// Password.
    password: String,
    /// The device's own id.
    device_id: Uuid,
    /// A recognisable device name (1 to 200 characters, not only spaces).
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    device_name: String,
}

/// Sign-in answer.
#[derive(ToSchema)]
pub struct LoginResponse {
    /// Bearer token for this device.
    token: String,
    /// The device.
    device_id: Uuid,
    /// The user's id.
    user_id: Uuid,
    /// The user's name.
    user: String,
    /// The user's role.
    role: Role,
    /// Organisation slug.
    organisation: String,
    /// The device's acknowledged push watermark.
    watermark: u64,
}

/// Who a token belongs to.
#[derive(ToSchema)]
pub struct WhoAmI {
    /// The device.
    device_id: Uuid,
    /// The user's id.
    user_id: Uuid,
    /// The user's role.
    role: Role,
    /// Organisation slug.
    organisation: String,
    /// The device's acknowledged push watermark.
    watermark: u64,
}

/// A device, as an administrator sees it.
#[derive(ToSchema)]
pub struct DeviceInfo {
    /// Device id.
    id: Uuid,
    /// Device name.
    name: String,
    /// The user who signed it in (null for the server's own device).
    username: Option<String>,
    /// First registration (RFC 3339).
    created_at: String,
    /// Last push (RFC 3339).
    last_seen_at: Option<String>,
    /// Revocation time (RFC 3339).
    revoked_at: Option<String>,
    /// Acknowledged push watermark.
    watermark: u64,
}

/// Answer to an attachment upload.
#[derive(ToSchema)]
pub struct AttachmentStored {
    /// SHA-256 of the content.
    sha256: String,
    /// Size in bytes.
    size_bytes: u64,
    /// False when the content was already stored.
    created: bool,
}

/// One template.
#[derive(ToSchema)]
pub struct TemplateSummary {
    /// Template id.
    id: String,
    /// Template version.
    version: String,
    /// Title (English).
    title: String,
}

/// Health.
#[derive(ToSchema)]
pub struct Health {
    /// `ok`.
    status: String,
    /// `sqlite` or `postgres`.
    backend: String,
    /// Server version.
    version: String,
    /// The sync protocol version the server speaks; a device with a lower one should be updated.
    protocol_version: u32,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "FieldAudit sync server", description = "Accounts, device tokens, push/pull of change logs, attachments and templates. Every error is an ApiError."),
    paths(
        http::meta::healthz, http::auth::login, http::auth::me, http::auth::logout, http::sync::push, http::sync::pull, http::sync::import_sync_file,
        http::devices::list_devices, http::devices::revoke_device, http::attachments::put_attachment,
        http::attachments::head_attachment, http::attachments::get_attachment, http::templates::list_templates,
        http::templates::get_template
    ),
    components(schemas(ApiError, Change, PushRequest, RejectCode, Rejection, PushResponse, PulledChange, PullResponse, ScopeUpdate,
        Role, LoginRequest, LoginResponse, WhoAmI, DeviceInfo, AttachmentStored, TemplateSummary, Health)),
    modifiers(&BearerAuth),
    tags((name = "sync", description = "Push and pull of change logs"), (name = "auth", description = "Sign-in"),
         (name = "attachments", description = "Files by SHA-256"), (name = "templates", description = "Checklist templates"),
         (name = "admin", description = "Organisation administration"), (name = "meta", description = "Health"))
)]
struct ApiDoc;

/// The OpenAPI document as JSON.
pub fn document() -> serde_json::Value {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    serde_json::to_value(&doc).unwrap_or_else(|e| serde_json::json!({"error": e.to_string()}))
}
