//! [`PostgresStore`]: the production backend (tokio-postgres with a deadpool pool),
//! migrated from `migrations/server-postgres`. Several server processes may share
//! one database: a push takes its organisation's `org_seq` row `FOR UPDATE`, so
//! `server_seq` order is commit order and a puller never skips a row.
//!
//! The SQL is [`super::sql`]'s; this module connects, migrates, runs work on a
//! pooled connection (in a transaction for writes), binds parameters and reads
//! rows, and writes a push's rows as `UNNEST` arrays, one statement per step.

use std::collections::HashMap;

use async_trait::async_trait;
use deadpool_postgres::{Pool, Runtime};
use fieldaudit_protocol::registry::EntityKind;
use fieldaudit_protocol::Version;
use include_dir::{include_dir, Dir};
use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, NoTls};
use uuid::Uuid;

use super::db::{Backend, Db, EachRow, Mode, Param, SqlRow, Work};
use super::sql::{hlc_col, now_text, uuid_col, SqlStore};
use super::StoreResult;
use crate::error::StoreError;
use crate::sync::{FieldKey, ValidOp};

static MIGRATIONS_DIR: Dir = include_dir!("$CARGO_MANIFEST_DIR/../migrations/server-postgres");

/// Advisory lock key held while migrating, so servers starting together take turns.
const MIGRATION_LOCK: i64 = 0x0046_4155_4449_5400;

/// One embedded migration: `NNNN_name.sql`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// Its version (the file name's number).
    pub version: i64,
    /// The file name.
    pub name: String,
    /// Its SQL.
    pub sql: &'static str,
}

/// The embedded PostgreSQL migrations, in order.
pub fn migrations() -> StoreResult<Vec<Migration>> {
    let mut out = Vec::new();
    for file in MIGRATIONS_DIR.files() {
        let name = file.path().to_string_lossy().into_owned();
        let version = name
            .split('_')
            .next()
            .and_then(|n| n.parse::<i64>().ok())
            .ok_or_else(|| {
                StoreError::backend(format!(
                    "migration file {name:?} must be named NNNN_description.sql"
                ))
            })?;
        let sql = file
            .contents_utf8()
            .ok_or_else(|| StoreError::backend(format!("migration file {name:?} is not UTF-8")))?;
        out.push(Migration { version, name, sql });
    }
    out.sort_by_key(|m| m.version);
    Ok(out)
}

/// The PostgreSQL backend.
pub type PostgresStore = SqlStore<Postgres>;

/// A pool of connections to one PostgreSQL database.
#[derive(Clone)]
pub struct Postgres {
    pool: Pool,
}

impl SqlStore<Postgres> {
    /// Connects to `url`, migrates the database to the latest schema (refusing a
    /// database migrated by a newer server) and returns the store.
    pub async fn connect(url: &str) -> StoreResult<PostgresStore> {
        let cfg = deadpool_postgres::Config {
            url: Some(url.to_owned()),
            ..Default::default()
        };
        let pool = cfg
            .create_pool(Some(Runtime::Tokio1), NoTls)
            .map_err(|e| StoreError::backend_from(format!("invalid PostgreSQL URL {url:?}"), e))?;
        let backend = Postgres { pool };
        backend.migrate().await?;
        Ok(SqlStore::new(backend))
    }
}

impl Postgres {
    async fn migrate(&self) -> StoreResult<()> {
        let migrations = migrations()?;
        let known = migrations.last().map_or(0, |m| m.version);
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS fieldaudit_schema_migrations (
                 version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )
        .await?;
        let found: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM fieldaudit_schema_migrations",
                &[],
            )
            .await?
            .try_get(0)?;
        if found > known {
            return Err(StoreError::SchemaTooNew { found, known });
        }
        for m in migrations.iter().filter(|m| m.version > found) {
            tracing::info!(migration = %m.name, "applying PostgreSQL migration");
            tx.batch_execute(m.sql)
                .await
                .map_err(|e| StoreError::backend_from(format!("migration {} failed", m.name), e))?;
            tx.execute(
                "INSERT INTO fieldaudit_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[&m.version, &m.name, &now_text()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl Backend for Postgres {
    const NAME: &'static str = "postgres";

    fn pool_status(&self) -> crate::metrics::PoolStatus {
        let s = self.pool.status();
        crate::metrics::PoolStatus {
            connections: s.size,
            available: s.available,
            waiting: s.waiting,
        }
    }

    async fn run<T: Send + 'static>(&self, mode: Mode, work: Work<T>) -> StoreResult<T> {
        let mut client = self.pool.get().await?;
        match mode {
            Mode::Read => {
                let client: &tokio_postgres::Client = &client;
                work(&mut PgDb { client }).await
            }
            Mode::Write => {
                let tx = client.transaction().await?;
                let value = work(&mut PgDb { client: &*tx }).await?;
                tx.commit().await?;
                Ok(value)
            }
        }
    }
}

/// A pooled connection (or its transaction) while work runs on it.
struct PgDb<'c, C> {
    client: &'c C,
}

fn bind<'a>(params: &'a [&dyn Param]) -> Vec<&'a (dyn ToSql + Sync)> {
    params.iter().map(|p| p.as_postgres()).collect()
}

impl SqlRow for tokio_postgres::Row {
    fn opt_text(&self, column: usize) -> StoreResult<Option<String>> {
        Ok(self.try_get(column)?)
    }
    fn opt_int(&self, column: usize) -> StoreResult<Option<i64>> {
        Ok(self.try_get(column)?)
    }
}

#[async_trait]
impl<C: GenericClient + Sync> Db for PgDb<'_, C> {
    async fn execute(&mut self, sql: &str, params: &[&dyn Param]) -> StoreResult<u64> {
        Ok(self.client.execute(sql, &bind(params)).await?)
    }

    async fn query(
        &mut self,
        sql: &str,
        params: &[&dyn Param],
        each: EachRow<'_>,
    ) -> StoreResult<()> {
        for row in self.client.query(sql, &bind(params)).await? {
            each(&row)?;
        }
        Ok(())
    }

    async fn row_owners(&mut self, ids: &[Uuid]) -> StoreResult<HashMap<Uuid, Uuid>> {
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        let mut owners = HashMap::new();
        for row in self
            .client
            .query(
                "SELECT row_id, organisation_id FROM row_owner WHERE row_id = ANY($1)",
                &[&ids],
            )
            .await?
        {
            owners.insert(uuid_col(row.try_get(0)?)?, uuid_col(row.try_get(1)?)?);
        }
        Ok(owners)
    }

    async fn claim_rows(&mut self, org: &str, claims: &[(Uuid, EntityKind)]) -> StoreResult<usize> {
        let ids: Vec<String> = claims.iter().map(|(id, _)| id.to_string()).collect();
        let entities: Vec<&str> = claims.iter().map(|(_, e)| e.as_str()).collect();
        let claimed = self
            .client
            .query(
                "INSERT INTO row_owner (row_id, organisation_id, entity)
                 SELECT r, $1, e FROM UNNEST($2::text[], $3::text[]) AS t(r, e)
                 ON CONFLICT (row_id) DO NOTHING RETURNING row_id",
                &[&org, &ids, &entities],
            )
            .await?
            .len();
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
        let n = ops.len();
        let mut seqs = Vec::with_capacity(n);
        let mut dseqs = Vec::with_capacity(n);
        let mut hlcs = Vec::with_capacity(n);
        let mut ents = Vec::with_capacity(n);
        let mut rows = Vec::with_capacity(n);
        let mut fields = Vec::with_capacity(n);
        let mut values = Vec::with_capacity(n);
        for (i, op) in ops.iter().enumerate() {
            let c = op.change;
            seqs.push(first_seq + i as i64);
            dseqs.push(c.device_seq as i64);
            hlcs.push(c.hlc.to_string());
            ents.push(c.entity.as_str());
            rows.push(c.row_id.to_string());
            fields.push(c.field.as_str());
            values.push(c.value.to_string());
        }
        self.client
            .execute(
                "INSERT INTO change_log (organisation_id, server_seq, device_id, device_seq, hlc, entity, row_id, field, value, received_at)
                 SELECT $1, s, $2, d, h, e, r, f, v, $3
                 FROM UNNEST($4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) AS t(s, d, h, e, r, f, v)",
                &[&org, &device, &received_at, &seqs, &dseqs, &hlcs, &ents, &rows, &fields, &values],
            )
            .await?;
        Ok(())
    }

    async fn field_versions(
        &mut self,
        org: &str,
        keys: &[FieldKey],
    ) -> StoreResult<HashMap<FieldKey, Version>> {
        let entities: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
        let rows: Vec<String> = keys.iter().map(|k| k.1.to_string()).collect();
        let fields: Vec<&str> = keys.iter().map(|k| k.2.as_str()).collect();
        let mut current = HashMap::new();
        for row in self
            .client
            .query(
                "SELECT s.entity, s.row_id, s.field, s.hlc, s.device_id FROM field_state s
                 JOIN UNNEST($2::text[], $3::text[], $4::text[]) AS k(e, r, f)
                   ON s.entity = k.e AND s.row_id = k.r AND s.field = k.f
                 WHERE s.organisation_id = $1",
                &[&org, &entities, &rows, &fields],
            )
            .await?
        {
            let key = (
                row.try_get::<_, String>(0)?,
                uuid_col(row.try_get(1)?)?,
                row.try_get::<_, String>(2)?,
            );
            current.insert(
                key,
                Version {
                    hlc: hlc_col(row.try_get(3)?)?,
                    device_id: uuid_col(row.try_get(4)?)?,
                },
            );
        }
        Ok(current)
    }

    async fn write_fields(
        &mut self,
        org: &str,
        device: &str,
        winners: &[&ValidOp<'_>],
    ) -> StoreResult<()> {
        let entities: Vec<&str> = winners.iter().map(|o| o.change.entity.as_str()).collect();
        let rows: Vec<String> = winners
            .iter()
            .map(|o| o.change.row_id.to_string())
            .collect();
        let fields: Vec<&str> = winners.iter().map(|o| o.change.field.as_str()).collect();
        let values: Vec<String> = winners.iter().map(|o| o.change.value.to_string()).collect();
        let hlcs: Vec<String> = winners.iter().map(|o| o.change.hlc.to_string()).collect();
        self.client
            .execute(
                "INSERT INTO field_state (organisation_id, entity, row_id, field, value, hlc, device_id)
                 SELECT $1, e, r, f, v, h, $2 FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS t(e, r, f, v, h)
                 ON CONFLICT (organisation_id, entity, row_id, field)
                 DO UPDATE SET value = excluded.value, hlc = excluded.hlc, device_id = excluded.device_id",
                &[&org, &device, &entities, &rows, &fields, &values, &hlcs],
            )
            .await?;
        Ok(())
    }
}
