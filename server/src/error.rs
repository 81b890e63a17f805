//! Errors of the server: what the store reports ([`StoreError`], [`PushError`]) and
//! the one HTTP error shape ([`ApiFailure`], rendered as `fieldaudit_protocol::ApiError`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fieldaudit_protocol::ApiError;

/// A push batch that is refused as a whole (nothing of it is stored).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PushError {
    /// The batch does not continue right after the device's acknowledged watermark.
    #[error(
        "expected device_seq {expected} next, got {got}; push from your acknowledged watermark"
    )]
    SequenceGap {
        /// The `device_seq` the server expects next.
        expected: u64,
        /// The `device_seq` the batch has there instead.
        got: u64,
    },
    /// The batch is malformed (e.g. `device_seq` not strictly increasing).
    #[error("{0}")]
    InvalidBatch(String),
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist (in this organisation).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with what is stored; `code` is the stable API code.
    #[error("{message}")]
    Conflict {
        /// Stable API code, e.g. `"organisation_exists"`.
        code: &'static str,
        /// What conflicts and what to do.
        message: String,
    },
    /// A push batch refused as a whole.
    #[error(transparent)]
    Push(#[from] PushError),
    /// The database was migrated by a newer server.
    #[error("the database schema is version {found}, newer than this server knows ({known}); run a newer fieldaudit-server or restore a backup made for this version")]
    SchemaTooNew {
        /// The database's schema version.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// The database failed (connection, I/O, constraint we did not expect). The
    /// message says what the server was doing; `source` is the driver's error.
    #[error("database error: {message}")]
    Backend {
        /// What failed, for the log.
        message: String,
        /// The error underneath (rusqlite, tokio-postgres, the pool, serde_json…).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
}

impl StoreError {
    /// A backend failure with no error underneath.
    pub fn backend(message: impl Into<String>) -> Self {
        StoreError::Backend {
            message: message.into(),
            source: None,
        }
    }

    /// A backend failure caused by `source`.
    pub fn backend_from(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        StoreError::Backend {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// Whether this is a driver's unique-constraint violation (SQLite or PostgreSQL).
    pub fn is_unique_violation(&self) -> bool {
        let StoreError::Backend {
            source: Some(source),
            ..
        } = self
        else {
            return false;
        };
        if let Some(e) = source.downcast_ref::<rusqlite::Error>() {
            return matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation);
        }
        source
            .downcast_ref::<tokio_postgres::Error>()
            .is_some_and(|e| e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::backend_from("SQLite failed", e)
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::backend_from("PostgreSQL failed", e)
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::backend_from("could not get a PostgreSQL connection", e)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::backend_from("stored JSON is unreadable", e)
    }
}

/// `error` and every error underneath it, `: `-separated (for the log).
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut next = error.source();
    while let Some(e) = next {
        out.push_str(": ");
        out.push_str(&e.to_string());
        next = e.source();
    }
    out
}

/// An HTTP error: status, stable code and a message for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    /// The HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// What happened and what to do.
    pub message: String,
}

impl ApiFailure {
    /// A failure with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiFailure {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 with `code`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401 with `code`.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 500 `internal`; the detail goes to the log, not to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; the error was logged",
        )
    }

    /// The JSON body.
    pub fn body(&self) -> ApiError {
        ApiError {
            code: self.code.to_owned(),
            message: self.message.clone(),
        }
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

impl From<StoreError> for ApiFailure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ApiFailure::not_found(m),
            StoreError::Conflict { code, message } => {
                ApiFailure::new(StatusCode::CONFLICT, code, message)
            }
            StoreError::Push(p @ PushError::SequenceGap { .. }) => {
                ApiFailure::new(StatusCode::CONFLICT, "sequence_gap", p.to_string())
            }
            StoreError::Push(PushError::InvalidBatch(m)) => {
                ApiFailure::bad_request("invalid_batch", m)
            }
            e @ (StoreError::SchemaTooNew { .. } | StoreError::Backend { .. }) => {
                ApiFailure::internal(error_chain(&e))
            }
        }
    }
}
