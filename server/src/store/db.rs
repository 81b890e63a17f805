//! What a database backend gives the shared SQL layer ([`super::sql`]): values both
//! drivers bind ([`Param`]), rows both drivers read ([`SqlRow`]), a connection that
//! runs statements and the push's batched steps ([`Db`]), and a way to run work on
//! one connection in one transaction ([`Backend`]).
//!
//! The backends differ only behind these traits: how statements are bound and
//! prepared, how a transaction is opened (SQLite `BEGIN IMMEDIATE`, PostgreSQL row
//! locks), and how a push's rows are written (one statement per row on SQLite,
//! `UNNEST` arrays in one statement on PostgreSQL).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use fieldaudit_protocol::registry::EntityKind;
use fieldaudit_protocol::Version;
use uuid::Uuid;

use super::StoreResult;
use crate::error::StoreError;
use crate::sync::{FieldKey, ValidOp};

/// A value that both rusqlite and tokio-postgres can bind (text, integers, and
/// their `Option`s).
pub trait Param: rusqlite::ToSql + tokio_postgres::types::ToSql + Sync {
    /// As rusqlite binds it.
    fn as_sqlite(&self) -> &dyn rusqlite::ToSql;
    /// As tokio-postgres binds it.
    fn as_postgres(&self) -> &(dyn tokio_postgres::types::ToSql + Sync);
}

impl<T: rusqlite::ToSql + tokio_postgres::types::ToSql + Sync> Param for T {
    fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn as_postgres(&self) -> &(dyn tokio_postgres::types::ToSql + Sync) {
        self
    }
}

/// One result row, read by column index. Every column the server stores is text
/// or a 64-bit integer; a backend reads the nullable forms, the rest follows.
pub trait SqlRow {
    /// A nullable `TEXT` column.
    fn opt_text(&self, column: usize) -> StoreResult<Option<String>>;
    /// A nullable `BIGINT` / `INTEGER` column.
    fn opt_int(&self, column: usize) -> StoreResult<Option<i64>>;

    /// A `TEXT NOT NULL` column.
    fn text(&self, column: usize) -> StoreResult<String> {
        self.opt_text(column)?.ok_or_else(|| null_column(column))
    }
    /// A `BIGINT NOT NULL` / `INTEGER NOT NULL` column.
    fn int(&self, column: usize) -> StoreResult<i64> {
        self.opt_int(column)?.ok_or_else(|| null_column(column))
    }
}

fn null_column(column: usize) -> StoreError {
    StoreError::backend(format!(
        "column {column} of a result row is NULL where a value is required"
    ))
}

/// What to do with each row of a query.
pub type EachRow<'a> = &'a mut (dyn FnMut(&dyn SqlRow) -> StoreResult<()> + Send);

/// One connection (inside a transaction when [`Mode::Write`]) of a backend.
/// Statements are given in PostgreSQL's form (see [`super::dialect`]).
#[async_trait]
pub trait Db: Send {
    /// Runs a statement that returns no rows; the number of rows it changed.
    async fn execute(&mut self, sql: &str, params: &[&dyn Param]) -> StoreResult<u64>;

    /// Runs a query and calls `each` on every row, in order.
    async fn query(
        &mut self,
        sql: &str,
        params: &[&dyn Param],
        each: EachRow<'_>,
    ) -> StoreResult<()>;

    /// Push step: the owning organisation of each of `ids` that has one.
    async fn row_owners(&mut self, ids: &[Uuid]) -> StoreResult<HashMap<Uuid, Uuid>>;

    /// Push step: claims the rows for the organisation, skipping rows that are
    /// already owned. Returns how many it claimed.
    async fn claim_rows(&mut self, org: &str, claims: &[(Uuid, EntityKind)]) -> StoreResult<usize>;

    /// Push step: appends the accepted ops to the change log, numbered from
    /// `first_seq` in batch order.
    async fn insert_changes(
        &mut self,
        org: &str,
        device: &str,
        first_seq: i64,
        ops: &[ValidOp<'_>],
        received_at: &str,
    ) -> StoreResult<()>;

    /// Push step: the current version of each of `keys` that has a value.
    async fn field_versions(
        &mut self,
        org: &str,
        keys: &[FieldKey],
    ) -> StoreResult<HashMap<FieldKey, Version>>;

    /// Push step: makes the winning ops the fields' current values.
    async fn write_fields(
        &mut self,
        org: &str,
        device: &str,
        winners: &[&ValidOp<'_>],
    ) -> StoreResult<()>;
}

/// Whether work only reads or also writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Reads. SQLite: one read transaction (one snapshot). PostgreSQL: no
    /// transaction; each statement sees what was committed before it.
    Read,
    /// Writes, all or nothing. SQLite: `BEGIN IMMEDIATE` (the write lock from the
    /// start). PostgreSQL: a transaction; statements lock rows `FOR UPDATE`.
    Write,
}

/// A boxed future that may move between threads.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Work on one connection: borrows the connection for as long as it runs.
pub type Work<T> =
    Box<dyn for<'c> FnOnce(&'c mut (dyn Db + 'c)) -> BoxFuture<'c, StoreResult<T>> + Send>;

/// A database: runs work on one of its connections.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`.
    const NAME: &'static str;

    /// Runs `work` on one connection; with [`Mode::Write`] in one transaction that
    /// commits when `work` succeeds and rolls back when it fails.
    async fn run<T: Send + 'static>(&self, mode: Mode, work: Work<T>) -> StoreResult<T>;

    /// How its connections are used right now (for `/metrics`).
    fn pool_status(&self) -> crate::metrics::PoolStatus;
}
