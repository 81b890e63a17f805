//! [`SqliteStore`]: the embedded backend, one SQLite file in WAL mode (rusqlite,
//! behind `spawn_blocking`), migrated from `migrations/server-sqlite`.
//!
//! The SQL is [`super::sql`]'s; this module opens the file, runs work on its one
//! connection (a write is `BEGIN IMMEDIATE`: the write lock is taken at the start,
//! which is SQLite's row lock), binds parameters and reads rows, and writes a
//! push's rows one prepared statement at a time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use async_trait::async_trait;
use fieldaudit_protocol::registry::EntityKind;
use fieldaudit_protocol::Version;
use include_dir::{include_dir, Dir};
use rusqlite::{Connection, OptionalExtension};
use rusqlite_migration::{MigrationDefinitionError, Migrations};
use uuid::Uuid;

use super::db::{Backend, Db, EachRow, Mode, Param, SqlRow, Work};
use super::dialect::to_sqlite;
use super::sql::{hlc_col, uuid_col, SqlStore};
use super::StoreResult;
use crate::error::StoreError;
use crate::sync::{FieldKey, ValidOp};

static MIGRATIONS_DIR: Dir = include_dir!("$CARGO_MANIFEST_DIR/../migrations/server-sqlite");

static MIGRATIONS: LazyLock<Result<Migrations<'static>, String>> =
    LazyLock::new(|| Migrations::from_directory(&MIGRATIONS_DIR).map_err(|e| e.to_string()));

/// The newest SQLite schema version this build knows.
pub fn latest_schema_version() -> i64 {
    MIGRATIONS_DIR.dirs().count() as i64
}

/// The embedded SQLite backend.
pub type SqliteStore = SqlStore<Sqlite>;

/// One SQLite file and its connection.
#[derive(Clone)]
pub struct Sqlite {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl SqlStore<Sqlite> {
    /// Opens (creating if needed) the database file at `path` and migrates it.
    /// Refuses a file migrated by a newer server.
    pub async fn open(path: &Path) -> StoreResult<SqliteStore> {
        let path = path.to_owned();
        let p = path.clone();
        let conn = tokio::task::spawn_blocking(move || open_and_migrate(&p))
            .await
            .map_err(|e| StoreError::backend_from("database task failed", e))??;
        Ok(SqlStore::new(Sqlite {
            conn: Arc::new(Mutex::new(conn)),
            path,
        }))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.backend_ref().path
    }
}

fn open_and_migrate(path: &Path) -> StoreResult<Connection> {
    let mut conn = Connection::open(path).map_err(|e| {
        StoreError::backend_from(format!("cannot open SQLite database {}", path.display()), e)
    })?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let migrations = MIGRATIONS
        .as_ref()
        .map_err(|e| StoreError::backend(format!("embedded migrations: {e}")))?;
    match migrations.to_latest(&mut conn) {
        Ok(()) => Ok(conn),
        Err(rusqlite_migration::Error::MigrationDefinition(
            MigrationDefinitionError::DatabaseTooFarAhead,
        )) => {
            let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
            Err(StoreError::SchemaTooNew {
                found,
                known: latest_schema_version(),
            })
        }
        Err(e) => Err(StoreError::backend_from(
            format!("migrating {}", path.display()),
            e,
        )),
    }
}

#[async_trait]
impl Backend for Sqlite {
    const NAME: &'static str = "sqlite";

    /// One connection, idle unless a request holds it.
    fn pool_status(&self) -> crate::metrics::PoolStatus {
        crate::metrics::PoolStatus {
            connections: 1,
            available: usize::from(self.conn.try_lock().is_ok()),
            waiting: 0,
        }
    }

    async fn run<T: Send + 'static>(&self, mode: Mode, work: Work<T>) -> StoreResult<T> {
        let conn = Arc::clone(&self.conn);
        // The work's futures never wait on anything (rusqlite is synchronous), so
        // this blocking thread drives them to the end at once.
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| StoreError::backend("database lock poisoned"))?;
            let conn: &mut Connection = &mut guard;
            conn.execute_batch(match mode {
                Mode::Read => "BEGIN DEFERRED",
                Mode::Write => "BEGIN IMMEDIATE",
            })?;
            let result = runtime.block_on(work(&mut SqliteDb { conn: &mut *conn }));
            let result =
                result.and_then(|v| conn.execute_batch("COMMIT").map(|()| v).map_err(Into::into));
            if result.is_err() && !conn.is_autocommit() {
                // The rollback's own failure would hide the error that matters.
                let _ = conn.execute_batch("ROLLBACK");
            }
            result
        })
        .await
        .map_err(|e| StoreError::backend_from("database task failed", e))?
    }
}

/// The connection while work runs on it.
struct SqliteDb<'c> {
    conn: &'c mut Connection,
}

fn bind<'a>(params: &'a [&dyn Param]) -> Vec<&'a dyn rusqlite::ToSql> {
    params.iter().map(|p| p.as_sqlite()).collect()
}

impl SqlRow for rusqlite::Row<'_> {
    fn opt_text(&self, column: usize) -> StoreResult<Option<String>> {
        Ok(self.get(column)?)
    }
    fn opt_int(&self, column: usize) -> StoreResult<Option<i64>> {
        Ok(self.get(column)?)
    }
}

#[async_trait]
impl Db for SqliteDb<'_> {
    async fn execute(&mut self, sql: &str, params: &[&dyn Param]) -> StoreResult<u64> {
        let n = self
            .conn
            .prepare_cached(&to_sqlite(sql))?
            .execute(&*bind(params))?;
        Ok(n as u64)
    }

    async fn query(
        &mut self,
        sql: &str,
        params: &[&dyn Param],
        each: EachRow<'_>,
    ) -> StoreResult<()> {
        let mut statement = self.conn.prepare_cached(&to_sqlite(sql))?;
        let mut rows = statement.query(&*bind(params))?;
        while let Some(row) = rows.next()? {
            each(row)?;
        }
        Ok(())
    }

    async fn row_owners(&mut self, ids: &[Uuid]) -> StoreResult<HashMap<Uuid, Uuid>> {
        let mut q = self
            .conn
            .prepare_cached("SELECT organisation_id FROM row_owner WHERE row_id = ?1")?;
        let mut owners = HashMap::new();
        for id in ids {
            if let Some(owner) = q
                .query_row([id.to_string()], |r| r.get::<_, String>(0))
                .optional()?
            {
                owners.insert(*id, uuid_col(&owner)?);
            }
        }
        Ok(owners)
    }

    async fn claim_rows(&mut self, org: &str, claims: &[(Uuid, EntityKind)]) -> StoreResult<usize> {
        let mut claim = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO row_owner (row_id, organisation_id, entity) VALUES (?1, ?2, ?3)",
        )?;
        let mut claimed = 0;
        for (row, entity) in claims {
            claimed += claim.execute(rusqlite::params![row.to_string(), org, entity.as_str()])?;
        }
        Ok(claimed)
    }

    async fn insert_changes(
        &mut self,
        org: &str,
        device: &str,
        first_seq: i64,
        ops: &[ValidOp<'_>],
        received_at: &str,
    ) -> StoreResult<()> {
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO change_log (organisation_id, server_seq, device_id, device_seq, hlc, entity, row_id, field, value, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for (i, op) in ops.iter().enumerate() {
            let c = op.change;
            insert.execute(rusqlite::params![
                org,
                first_seq + i as i64,
                device,
                c.device_seq as i64,
                c.hlc.to_string(),
                c.entity,
                c.row_id.to_string(),
                c.field,
                c.value.to_string(),
                received_at
            ])?;
        }
        Ok(())
    }

    async fn field_versions(
        &mut self,
        org: &str,
        keys: &[FieldKey],
    ) -> StoreResult<HashMap<FieldKey, Version>> {
        let mut q = self.conn.prepare_cached(
            "SELECT hlc, device_id FROM field_state WHERE organisation_id = ?1 AND entity = ?2 AND row_id = ?3 AND field = ?4",
        )?;
        let mut current = HashMap::new();
        for key in keys {
            let found = q
                .query_row(
                    rusqlite::params![org, key.0, key.1.to_string(), key.2],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
                )
                .optional()?;
            if let Some((hlc, device)) = found {
                current.insert(
                    key.clone(),
                    Version {
                        hlc: hlc_col(&hlc)?,
                        device_id: uuid_col(&device)?,
                    },
                );
            }
        }
        Ok(current)
    }

    async fn write_fields(
        &mut self,
        org: &str,
        device: &str,
        winners: &[&ValidOp<'_>],
    ) -> StoreResult<()> {
        let mut upsert = self.conn.prepare_cached(
            "INSERT INTO field_state (organisation_id, entity, row_id, field, value, hlc, device_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (organisation_id, entity, row_id, field)
             DO UPDATE SET value = excluded.value, hlc = excluded.hlc, device_id = excluded.device_id",
        )?;
        for op in winners {
            let c = op.change;
            upsert.execute(rusqlite::params![
                org,
                c.entity,
                c.row_id.to_string(),
                c.field,
                c.value.to_string(),
                c.hlc.to_string(),
                device
            ])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Schema 2 gives every existing row and change its audit: rows that name it
    /// (`audit_id`), rows under a parent (a CAP item under its finding, a fee under
    /// its record), rows two steps down (a verification under a finding, a supplier
    /// response under a CAP item), kept conflicts by the row they are about; the
    /// registry stays the organisation's and a row whose audit is unknown goes to
    /// the nil audit (no device holds it; reviewers see it).
    #[test]
    fn migration_2_places_cap_loop_rows_in_their_audit() {
        let m = MIGRATIONS.as_ref().expect("migrations parse");
        let mut conn = rusqlite::Connection::open_in_memory().expect("in-memory database");
        m.to_version(&mut conn, 1).expect("schema 1");
        let org = "00000000-0000-0000-0000-00000000000a";
        conn.execute(
            "INSERT INTO organisation (id, slug, name, created_at) VALUES (?1, 'acme', 'Acme', '2026-11-01T00:00:00Z')",
            [org],
        )
        .expect("organisation");
        let id = |n: u128| Uuid::from_u128(n).to_string();
        let (audit, finding, action, verification, response) = (id(1), id(2), id(3), id(4), id(5));
        let (record, fee, conflict, facility, orphan) = (id(6), id(7), id(8), id(9), id(10));
        // (entity, row, its field that points up, the value)
        let rows: [(&str, &str, Option<(&str, &str)>); 10] = [
            ("audit", &audit, Some(("facility_id", &facility))),
            ("finding", &finding, Some(("audit_id", &audit))),
            ("corrective_action", &action, Some(("finding_id", &finding))),
            ("verification", &verification, Some(("finding_id", &finding))),
            ("supplier_response", &response, Some(("action_id", &action))),
            ("fee_record", &record, Some(("audit_id", &audit))),
            ("fee", &fee, Some(("fee_record_id", &record))),
            ("conflict", &conflict, Some(("row_id", &action))),
            ("facility", &facility, None),
            ("answer", &orphan, None),
        ];
        for (seq, (entity, row, up)) in rows.iter().enumerate() {
            conn.execute(
                "INSERT INTO row_owner (row_id, organisation_id, entity) VALUES (?1, ?2, ?3)",
                [*row, org, *entity],
            )
            .expect("row owner");
            let (field, value) = up.map_or(("note", "null".to_owned()), |(f, v)| (f, format!("\"{v}\"")));
            conn.execute(
                "INSERT INTO field_state (organisation_id, entity, row_id, field, value, hlc, device_id) VALUES (?1, ?2, ?3, ?4, ?5, '1', 'd')",
                [org, *entity, *row, field, value.as_str()],
            )
            .expect("field state");
            conn.execute(
                "INSERT INTO change_log (organisation_id, server_seq, device_id, device_seq, hlc, entity, row_id, field, value, received_at)
                 VALUES (?1, ?2, 'd', ?2, '1', ?3, ?4, ?5, ?6, '2026-11-01T00:00:00Z')",
                rusqlite::params![org, seq as i64 + 1, entity, row, field, value],
            )
            .expect("change");
        }
        m.to_latest(&mut conn).expect("migrate to the latest schema");
        let placed = |table: &str, row: &str| -> Option<String> {
            conn.query_row(&format!("SELECT audit_id FROM {table} WHERE row_id = ?1"), [row], |r| r.get(0))
                .expect("the row is still there")
        };
        for (entity, row, _) in &rows {
            let want = match *entity {
                "facility" => None,
                "answer" => Some(Uuid::nil().to_string()),
                _ => Some(audit.clone()),
            };
            assert_eq!(placed("row_owner", row), want, "row_owner of the {entity}");
            assert_eq!(placed("change_log", row), want, "change_log of the {entity}");
        }
    }

    #[test]
    fn embedded_migrations_validate() {
        let m = MIGRATIONS.as_ref().expect("migrations parse");
        m.validate()
            .expect("server SQLite migrations apply to an empty database");
    }
}
