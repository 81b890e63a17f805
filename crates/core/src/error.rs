//! The error type of fieldaudit-core: each variant says what went wrong and, where
//! a person can act on it, what to do.

use std::path::PathBuf;

/// Everything that can go wrong in the core library.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The data directory has no database yet.
    #[error("no FieldAudit data in {0}; create it first (fieldaudit init)")]
    NotInitialised(PathBuf),
    /// The database was written by a newer FieldAudit.
    #[error("the database {path} was made by a newer version of FieldAudit (schema {found}, this version knows {known}); update FieldAudit to open it")]
    SchemaTooNew {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: usize,
        /// The newest this build knows.
        known: usize,
    },
    /// A value does not fit a field.
    #[error("invalid value: {0}")]
    InvalidValue(#[from] fieldaudit_protocol::ValueError),
    /// Something the caller referred to does not exist.
    #[error("{kind} {id} not found")]
    NotFound {
        /// What kind of thing.
        kind: &'static str,
        /// The id or name given.
        id: String,
    },
    /// The request is well-formed but not allowed in this state.
    #[error("{0}")]
    Invalid(String),
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Migrations failed.
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// A file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// This device has not signed in to a server.
    #[error("this device is not signed in to a server; sign in first (fieldaudit login --server URL --org ORG --user NAME)")]
    NotSignedIn,
    /// The server refused the device's token.
    #[error("{0}")]
    SignedOut(String),
    /// The server answered with an error.
    #[error("the server refused the request ({status} {code}): {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's stable error code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The server could not be reached (after retries).
    #[error("cannot reach the server at {url}: {reason}; your work is saved on this device, sync again when online")]
    Offline {
        /// Server address.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The user cancelled the sync.
    #[error("sync cancelled; nothing was lost, the next sync continues where this one stopped")]
    Cancelled,
    /// A stored value could not be decoded (database edited by hand?).
    #[error("corrupt stored value in {entity}.{field}: {reason}")]
    Corrupt {
        /// Entity (table).
        entity: String,
        /// Field (column).
        field: String,
        /// What was wrong.
        reason: String,
    },
}

/// Result with [`CoreError`].
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

impl CoreError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> CoreError {
        CoreError::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn not_found(kind: &'static str, id: impl ToString) -> CoreError {
        CoreError::NotFound {
            kind,
            id: id.to_string(),
        }
    }
}
