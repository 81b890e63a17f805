//! Opening the device database: pragmas (WAL, foreign keys, secure delete) and the
//! embedded migrations from `migrations/client`.

use std::path::Path;
use std::sync::LazyLock;

use include_dir::{include_dir, Dir};
use rusqlite::Connection;
use rusqlite_migration::{MigrationDefinitionError, Migrations};

use crate::{CoreError, Result};

static MIGRATIONS_DIR: Dir = include_dir!("$CARGO_MANIFEST_DIR/../../migrations/client");

static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    // The directory is embedded at build time and checked by a test, so this cannot
    // fail at run time for a build whose tests passed.
    Migrations::from_directory(&MIGRATIONS_DIR).expect("embedded client migrations are well-formed")
});

/// Prepared statements kept per connection. Every synced entity and field gets an
/// UPDATE, and each entity a few more (INSERT, EXISTS, SELECT): about 215 in all
/// today (a store test checks the capacity keeps up with the registry).
pub(crate) const STATEMENT_CACHE_CAPACITY: usize = 384;

/// The newest schema version this build knows.
pub fn latest_schema_version() -> usize {
    MIGRATIONS_DIR.dirs().count()
}

/// Opens (creating if needed) the database at `path` and brings it to the latest schema.
pub(crate) fn open(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    configure(&conn)?;
    migrate(&mut conn, path)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> Result<()> {
    // WAL: readers never block the writer; synchronous=FULL: a committed answer
    // survives power loss, not just a crash of the app.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted content (e.g. interview drafts) is overwritten with zeros, not left in free pages.
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // The store's per-change statements name their table and column, so each
    // entity and field is its own statement: keep all of them prepared (rusqlite's
    // default of 16 would evict them and re-parse SQL for every change).
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(())
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    match MIGRATIONS.to_latest(conn) {
        Ok(()) => Ok(()),
        Err(rusqlite_migration::Error::MigrationDefinition(
            MigrationDefinitionError::DatabaseTooFarAhead,
        )) => {
            let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
            let found = found as usize;
            Err(CoreError::SchemaTooNew {
                path: path.to_owned(),
                found,
                known: latest_schema_version(),
            })
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_migrations_validate() {
        MIGRATIONS
            .validate()
            .expect("client migrations must apply to an empty database");
    }

    #[test]
    fn newer_schema_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        drop(open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = open(&path).unwrap_err();
        assert!(
            matches!(err, CoreError::SchemaTooNew { found: 99, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("newer version of FieldAudit"));
    }

    #[test]
    fn pragmas_are_on() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("db.sqlite")).unwrap();
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        let fk: i64 = conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        let sd: i64 = conn
            .pragma_query_value(None, "secure_delete", |r| r.get(0))
            .unwrap();
        assert_eq!((mode.as_str(), fk, sd), ("wal", 1, 1));
    }
}
