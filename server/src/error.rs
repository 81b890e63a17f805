//! Errors of the server's domain: what the store reports ([`StoreError`],
//! [`PushError`]). How they become HTTP responses is decided in the HTTP layer only
//! ([`crate::http::error`]).

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
