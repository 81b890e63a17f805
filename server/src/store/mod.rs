//! The server's persistence: the [`ServerStore`] trait and its two implementations,
//! [`SqliteStore`] (embedded, the default) and [`PostgresStore`] (several servers on
//! one database).
//!
//! Both are one [`sql::SqlStore`]: every statement and row decoder is written once
//! there and runs the business rules of [`crate::sync`]; a backend ([`db::Backend`])
//! only connects, binds, locks and batches a push's rows its own way.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use fieldaudit_protocol::api::{Role, TemplateSummary};
use fieldaudit_protocol::{Change, Hlc, PullResponse, PushResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::StoreError;
use crate::sync::PushPolicy;

pub mod db;
mod dialect;
pub mod postgres;
pub mod scope_sql;
pub mod sql;
pub mod sqlite;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Short alias for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// An organisation (tenant).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// Its id.
    pub id: Uuid,
    /// Short unique name used at sign-in, e.g. `"acme-audits"`.
    pub slug: String,
    /// Display name.
    pub name: String,
}

/// A user of an organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    pub id: Uuid,
    /// The organisation it belongs to.
    pub organisation_id: Uuid,
    /// Name used at sign-in (unique within the organisation).
    pub username: String,
    /// What the user may do.
    pub role: Role,
}

/// A user as an administrator sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub username: String,
    /// Its role.
    pub role: Role,
    /// When it was disabled (RFC 3339).
    pub disabled_at: Option<String>,
}

/// One change to a user's account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserChange {
    /// A new role.
    Role(Role),
    /// Disabled (true) or enabled again (false).
    Disabled(bool),
    /// A new argon2 password hash.
    PasswordHash(String),
}

/// A user found for sign-in, with the stored argon2 hash to verify against.
#[derive(Clone, Debug)]
pub struct LoginCandidate {
    /// The organisation.
    pub organisation: Organisation,
    /// The user.
    pub user: User,
    /// PHC-format argon2 hash.
    pub password_hash: String,
}

/// A sign-in attempt, to admit or refuse before its password is checked
/// ([`ServerStore::begin_sign_in`]).
#[derive(Clone, Debug)]
pub struct SignInAttempt {
    /// The organisation's slug, as typed.
    pub organisation: String,
    /// The user name, as typed.
    pub username: String,
    /// The device signing in (one already registered to that user is not held
    /// back by the per-user counter).
    pub device_id: Uuid,
    /// Its three counters ([`crate::throttle::keys`]).
    pub keys: Vec<crate::throttle::Key>,
    /// The throttling policy.
    pub policy: crate::throttle::ThrottlePolicy,
    /// When it is made.
    pub now: chrono::DateTime<chrono::Utc>,
}

/// What [`ServerStore::begin_sign_in`] decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInStart {
    /// Whether the password may be checked.
    pub verdict: crate::throttle::Verdict,
    /// The counters before this attempt was counted, in the order of its keys
    /// (for [`ServerStore::finish_sign_in`] to put back).
    pub before: Vec<Option<crate::throttle::Failures>>,
}

/// A device being signed in.
#[derive(Clone, Debug)]
pub struct DeviceRegistration {
    /// The device's own id.
    pub device_id: Uuid,
    /// Its organisation.
    pub organisation_id: Uuid,
    /// The user signing in.
    pub user_id: Uuid,
    /// A recognisable name.
    pub name: String,
    /// SHA-256 (hex) of the new bearer token.
    pub token_hash: String,
    /// When the token stops working.
    pub token_expires_at: chrono::DateTime<chrono::Utc>,
}

/// What a bearer token resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceAuth {
    /// The device.
    pub device_id: Uuid,
    /// Its organisation.
    pub organisation_id: Uuid,
    /// The organisation's slug.
    pub organisation_slug: String,
    /// The signed-in user.
    pub user_id: Uuid,
    /// The user's role.
    pub role: Role,
    /// Set when an administrator revoked the device.
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the token stops working.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The device's acknowledged push watermark.
    pub watermark: u64,
    /// Whether an administrator disabled the device's user (their devices are
    /// revoked too; this tells the device why).
    pub user_disabled: bool,
}

/// A device as an administrator sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// The device id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// The user who signed it in (none for the server's own import device).
    pub username: Option<String>,
    /// When it was first registered (RFC 3339).
    pub created_at: String,
    /// When it last pushed (RFC 3339).
    pub last_seen_at: Option<String>,
    /// When it was revoked (RFC 3339).
    pub revoked_at: Option<String>,
    /// Its acknowledged push watermark.
    pub watermark: u64,
}

/// The current merged value of one field, with who wrote it and when.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldValue {
    /// The value.
    pub value: serde_json::Value,
    /// When it was written.
    pub hlc: Hlc,
    /// By which device.
    pub device_id: Uuid,
}

/// The current merged fields of one row.
#[derive(Clone, Debug, PartialEq)]
pub struct CurrentRow {
    /// The row id.
    pub row_id: Uuid,
    /// Field name → current value.
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// The newest stamp among its fields.
    pub newest: Hlc,
}

/// A template as stored on the server.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredTemplate {
    /// Template id.
    pub id: String,
    /// Template version.
    pub version: String,
    /// Title (English).
    pub title: String,
    /// The whole template as JSON.
    pub body: serde_json::Value,
}

/// Everything the server keeps in its database. Every method that touches synced
/// data is scoped by organisation.
#[async_trait]
pub trait ServerStore: Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// Whether the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// How the database connections are used right now (for `/metrics`).
    fn pool_status(&self) -> crate::metrics::PoolStatus {
        crate::metrics::PoolStatus::default()
    }

    /// Creates an organisation; `organisation_exists` conflict if the slug is taken.
    async fn create_organisation(&self, slug: &str, name: &str) -> StoreResult<Organisation>;

    /// The organisation with this slug.
    async fn organisation_by_slug(&self, slug: &str) -> StoreResult<Option<Organisation>>;

    /// Adds a user; `user_exists` conflict if the name is taken in the organisation.
    async fn add_user(
        &self,
        organisation_id: Uuid,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> StoreResult<User>;

    /// The user `username` of the organisation `slug`, for sign-in.
    async fn login_candidate(
        &self,
        slug: &str,
        username: &str,
    ) -> StoreResult<Option<LoginCandidate>>;

    /// Admits or refuses a sign-in attempt, in one write transaction on its
    /// counters (locked, so attempts made at the same moment queue here): reads
    /// them, asks [`crate::throttle::verdict`] and, when the attempt is allowed,
    /// counts it as a failure *before* its password is checked on the per-user
    /// counters ([`crate::throttle::Counter::counted_before_check`]), so a burst
    /// of simultaneous guesses cannot all pass while none has failed yet. The
    /// counters live in the database: every server of the organisation and every
    /// restart sees the same ones.
    async fn begin_sign_in(&self, attempt: &SignInAttempt) -> StoreResult<SignInStart>;

    /// Records how an admitted attempt ended. Right password: clears the counters
    /// a success clears and takes back the failure [`ServerStore::begin_sign_in`]
    /// counted on the others. Wrong: counts it on the counters that count only
    /// failures.
    async fn finish_sign_in(
        &self,
        attempt: &SignInAttempt,
        before: &[Option<crate::throttle::Failures>],
        succeeded: bool,
    ) -> StoreResult<()>;

    /// Registers a device or, for a device of the same user signing in again,
    /// replaces its token and lifts a revocation. `device_conflict` if the id belongs
    /// to another organisation or user. Returns the device's watermark.
    async fn register_device(&self, registration: &DeviceRegistration) -> StoreResult<u64>;

    /// The device whose token has this SHA-256 (hex).
    async fn device_for_token(&self, token_hash: &str) -> StoreResult<Option<DeviceAuth>>;

    /// Every device of the organisation, oldest first.
    async fn list_devices(&self, organisation_id: Uuid) -> StoreResult<Vec<DeviceInfo>>;

    /// Revokes a device of the organisation: its token stops working at once.
    async fn revoke_device(&self, organisation_id: Uuid, device_id: Uuid) -> StoreResult<()>;

    /// The organisation's server-side device (for changes the server itself makes,
    /// such as facility imports), created on first use. Returns its id and watermark.
    async fn server_device(&self, organisation_id: Uuid) -> StoreResult<(Uuid, u64)>;

    /// Applies a device's batch in one transaction (see [`crate::sync`] for the rules).
    async fn push(
        &self,
        organisation_id: Uuid,
        device_id: Uuid,
        changes: &[Change],
        policy: &PushPolicy,
    ) -> StoreResult<PushResponse>;

    /// A pull by one device: the organisation's changes for reviewers and admins;
    /// for others, their audits' and the organisation rows' (with newly held
    /// audits whole and removed ones named; see [`crate::scope`]).
    async fn pull_for_device(
        &self,
        organisation_id: Uuid,
        pull: scope_sql::DevicePull,
    ) -> StoreResult<PullResponse>;

    /// Whether a device may download the attachment with this digest (see
    /// [`scope_sql::may_download`]).
    async fn may_download(
        &self,
        organisation_id: Uuid,
        device_id: Uuid,
        scoped: bool,
        sha256: &str,
    ) -> StoreResult<bool>;

    /// Every user of the organisation, by name.
    async fn list_users(&self, organisation_id: Uuid) -> StoreResult<Vec<UserInfo>>;

    /// Changes a user's role, disables or enables them, or sets a new password
    /// hash; `not_found` if there is no such user. Disabling revokes every device
    /// of the user at once.
    async fn update_user(
        &self,
        organisation_id: Uuid,
        username: &str,
        change: UserChange,
    ) -> StoreResult<()>;

    /// The organisation's changes after `after`, in server order, at most `limit`
    /// of them and about `max_bytes` of JSON (always at least one if any remain).
    ///
    /// Changes made by `exclude_device` (the pulling device: it has them already)
    /// are left out, but the returned cursor still moves past them (see
    /// [`crate::sync::bound_page`]), and `more` is true only when changes of
    /// other devices remain.
    async fn pull(
        &self,
        organisation_id: Uuid,
        after: u64,
        limit: u32,
        max_bytes: usize,
        exclude_device: Option<Uuid>,
    ) -> StoreResult<PullResponse>;

    /// The current merged value of a field of a row of the organisation.
    async fn field_value(
        &self,
        organisation_id: Uuid,
        entity: &str,
        row_id: Uuid,
        field: &str,
    ) -> StoreResult<Option<FieldValue>>;

    /// The current merged fields of every row of `entity` in the organisation
    /// (rows whose `deleted` field is true included; callers decide).
    async fn current_rows(
        &self,
        organisation_id: Uuid,
        entity: &str,
    ) -> StoreResult<Vec<CurrentRow>>;

    /// Inserts or replaces a template.
    async fn put_template(&self, template: &StoredTemplate) -> StoreResult<()>;

    /// Every template, by id then version.
    async fn list_templates(&self) -> StoreResult<Vec<TemplateSummary>>;

    /// One template's JSON.
    async fn template(&self, id: &str, version: &str) -> StoreResult<Option<serde_json::Value>>;
}

/// Opens the store the flags ask for: PostgreSQL when `database_url` is given,
/// else the SQLite file `server.sqlite3` in `data_dir`. Migrates it to the latest schema.
pub async fn open(
    database_url: Option<&str>,
    data_dir: &Path,
) -> StoreResult<Arc<dyn ServerStore>> {
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PostgresStore::connect(url).await?))
        }
        Some(url) if url.starts_with("sqlite:") => {
            let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
            Ok(Arc::new(SqliteStore::open(Path::new(path)).await?))
        }
        Some(other) => Err(StoreError::backend(format!(
            "unsupported --database-url {other:?}: use postgres://user@host:port/db, or leave it out to use SQLite in --data-dir"
        ))),
        None => {
            std::fs::create_dir_all(data_dir).map_err(|e| {
                StoreError::backend_from(
                    format!("cannot create data directory {}", data_dir.display()),
                    e,
                )
            })?;
            Ok(Arc::new(SqliteStore::open(&data_dir.join("server.sqlite3")).await?))
        }
    }
}

/// The id of an organisation's server-side device (stable, derived from the organisation).
pub fn server_device_id(organisation_id: Uuid) -> Uuid {
    Uuid::new_v5(&organisation_id, b"fieldaudit-server-device")
}
