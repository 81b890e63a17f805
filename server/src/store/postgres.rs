//! [`PostgresStore`]: the production backend (tokio-postgres with a deadpool pool),
//! migrated from `migrations/server-postgres`. Several server processes may share
//! one database: a push takes its organisation's `org_seq` row `FOR UPDATE`, so
//! `server_seq` order is commit order and a puller never skips a row.

use std::collections::HashMap;

use async_trait::async_trait;
use deadpool_postgres::{Pool, Runtime};
use fieldaudit_protocol::api::{Role, TemplateSummary};
use fieldaudit_protocol::{Change, PullResponse, PulledChange, PushResponse, Version};
use include_dir::{include_dir, Dir};
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;
use uuid::Uuid;

use super::sqlite::device_conflict;
use super::*;
use crate::sync;

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
                StoreError::Backend(format!(
                    "migration file {name:?} must be named NNNN_description.sql"
                ))
            })?;
        let sql = file
            .contents_utf8()
            .ok_or_else(|| StoreError::Backend(format!("migration file {name:?} is not UTF-8")))?;
        out.push(Migration { version, name, sql });
    }
    out.sort_by_key(|m| m.version);
    Ok(out)
}

/// The PostgreSQL backend.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
}

impl PostgresStore {
    /// Connects to `url`, migrates the database to the latest schema (refusing a
    /// database migrated by a newer server) and returns the store.
    pub async fn connect(url: &str) -> StoreResult<PostgresStore> {
        let cfg = deadpool_postgres::Config {
            url: Some(url.to_owned()),
            ..Default::default()
        };
        let pool = cfg
            .create_pool(Some(Runtime::Tokio1), NoTls)
            .map_err(|e| StoreError::Backend(format!("invalid PostgreSQL URL {url:?}: {e}")))?;
        let store = PostgresStore { pool };
        store.migrate().await?;
        Ok(store)
    }

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
                .map_err(|e| StoreError::Backend(format!("migration {} failed: {e}", m.name)))?;
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

fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

async fn push_tx(
    tx: &deadpool_postgres::Transaction<'_>,
    organisation_id: Uuid,
    device_id: Uuid,
    changes: &[Change],
    policy: &sync::PushPolicy,
) -> StoreResult<PushResponse> {
    let org = organisation_id.to_string();
    let dev = device_id.to_string();
    // The organisation's counter row, locked until commit: pushes of one
    // organisation are serialised, so server_seq order is commit order.
    let last: i64 = tx
        .query_opt(
            "SELECT last FROM org_seq WHERE organisation_id = $1 FOR UPDATE",
            &[&org],
        )
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!("organisation {organisation_id} does not exist"))
        })?
        .try_get(0)?;
    let watermark: i64 = tx
        .query_opt(
            "SELECT watermark FROM device WHERE id = $1 AND organisation_id = $2 FOR UPDATE",
            &[&dev, &org],
        )
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "device {device_id} is not registered in this organisation"
            ))
        })?
        .try_get(0)?;
    let watermark = watermark as u64;
    let new = sync::new_ops(watermark, changes)?;
    if new.is_empty() {
        return Ok(PushResponse {
            watermark,
            applied: 0,
            rejected: Vec::new(),
        });
    }
    let from_server_device = device_id == super::server_device_id(organisation_id);
    let (valid, invalid) = sync::validate_ops(new, policy, from_server_device);
    let lookup: Vec<String> = sync::ids_to_look_up(&valid)
        .iter()
        .map(Uuid::to_string)
        .collect();

    // Rows are claimed by the first organisation to write them. Another
    // organisation may claim one of ours concurrently (different counter row): then
    // our insert finds it taken, and we decide again with the owner now visible.
    let mut attempt = 0;
    let decision = loop {
        attempt += 1;
        let mut owners = HashMap::new();
        for row in tx
            .query(
                "SELECT row_id, organisation_id FROM row_owner WHERE row_id = ANY($1)",
                &[&lookup],
            )
            .await?
        {
            owners.insert(uuid_col(row.try_get(0)?)?, uuid_col(row.try_get(1)?)?);
        }
        let decision = sync::authorise(organisation_id, valid.clone(), &owners);
        let ids: Vec<String> = decision
            .claims
            .iter()
            .map(|(id, _)| id.to_string())
            .collect();
        let entities: Vec<String> = decision
            .claims
            .iter()
            .map(|(_, e)| e.as_str().to_owned())
            .collect();
        let inserted = tx
            .query(
                "INSERT INTO row_owner (row_id, organisation_id, entity)
                 SELECT r, $1, e FROM UNNEST($2::text[], $3::text[]) AS t(r, e)
                 ON CONFLICT (row_id) DO NOTHING RETURNING row_id",
                &[&org, &ids, &entities],
            )
            .await?
            .len();
        if inserted == ids.len() {
            break decision;
        }
        if attempt >= 3 {
            return Err(StoreError::Backend("rows were claimed concurrently by another organisation three times; retry the push".into()));
        }
    };

    let n = decision.accepted.len();
    let mut seqs = Vec::with_capacity(n);
    let mut dseqs = Vec::with_capacity(n);
    let mut hlcs = Vec::with_capacity(n);
    let mut ents = Vec::with_capacity(n);
    let mut rows = Vec::with_capacity(n);
    let mut fields = Vec::with_capacity(n);
    let mut values = Vec::with_capacity(n);
    for (i, op) in decision.accepted.iter().enumerate() {
        let c = op.change;
        seqs.push(last + 1 + i as i64);
        dseqs.push(c.device_seq as i64);
        hlcs.push(c.hlc.to_string());
        ents.push(c.entity.clone());
        rows.push(c.row_id.to_string());
        fields.push(c.field.clone());
        values.push(c.value.to_string());
    }
    let now = now_text();
    tx.execute(
        "INSERT INTO change_log (organisation_id, server_seq, device_id, device_seq, hlc, entity, row_id, field, value, received_at)
         SELECT $1, s, $2, d, h, e, r, f, v, $3
         FROM UNNEST($4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) AS t(s, d, h, e, r, f, v)",
        &[&org, &dev, &now, &seqs, &dseqs, &hlcs, &ents, &rows, &fields, &values],
    )
    .await?;

    let keys = sync::touched_fields(&decision.accepted);
    let (ke, kr, kf): (Vec<String>, Vec<String>, Vec<String>) = (
        keys.iter().map(|k| k.0.clone()).collect(),
        keys.iter().map(|k| k.1.to_string()).collect(),
        keys.iter().map(|k| k.2.clone()).collect(),
    );
    let mut current = HashMap::new();
    for row in tx
        .query(
            "SELECT s.entity, s.row_id, s.field, s.hlc, s.device_id FROM field_state s
             JOIN UNNEST($2::text[], $3::text[], $4::text[]) AS k(e, r, f)
               ON s.entity = k.e AND s.row_id = k.r AND s.field = k.f
             WHERE s.organisation_id = $1",
            &[&org, &ke, &kr, &kf],
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
    let winners = sync::winning_writes(&decision.accepted, device_id, &current);
    let column = |f: fn(&sync::ValidOp<'_>) -> String| -> Vec<String> {
        winners.iter().map(|o| f(o)).collect()
    };
    let we = column(|o| o.change.entity.clone());
    let wr = column(|o| o.change.row_id.to_string());
    let wf = column(|o| o.change.field.clone());
    let wv = column(|o| o.change.value.to_string());
    let wh = column(|o| o.change.hlc.to_string());
    tx.execute(
        "INSERT INTO field_state (organisation_id, entity, row_id, field, value, hlc, device_id)
         SELECT $1, e, r, f, v, h, $2 FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS t(e, r, f, v, h)
         ON CONFLICT (organisation_id, entity, row_id, field)
         DO UPDATE SET value = excluded.value, hlc = excluded.hlc, device_id = excluded.device_id",
        &[&org, &dev, &we, &wr, &wf, &wv, &wh],
    )
    .await?;
    tx.execute(
        "UPDATE org_seq SET last = last + $1 WHERE organisation_id = $2",
        &[&(n as i64), &org],
    )
    .await?;
    let new_watermark = new.last().map_or(watermark, |c| c.device_seq);
    tx.execute(
        "UPDATE device SET watermark = $1, last_seen_at = $2 WHERE id = $3",
        &[&(new_watermark as i64), &now, &dev],
    )
    .await?;
    Ok(PushResponse {
        watermark: new_watermark,
        applied: n as u64,
        rejected: sync::all_rejections(invalid, decision.rejected),
    })
}

#[async_trait]
impl ServerStore for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn pool_status(&self) -> crate::metrics::PoolStatus {
        let s = self.pool.status();
        crate::metrics::PoolStatus {
            connections: s.size,
            available: s.available,
            waiting: s.waiting,
        }
    }

    async fn ping(&self) -> StoreResult<()> {
        self.pool.get().await?.query_one("SELECT 1", &[]).await?;
        Ok(())
    }

    async fn create_organisation(&self, slug: &str, name: &str) -> StoreResult<Organisation> {
        let org = Organisation {
            id: Uuid::now_v7(),
            slug: slug.to_owned(),
            name: name.to_owned(),
        };
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let id = org.id.to_string();
        match tx
            .execute(
                "INSERT INTO organisation (id, slug, name, created_at) VALUES ($1, $2, $3, $4)",
                &[&id, &org.slug, &org.name, &now_text()],
            )
            .await
        {
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Conflict {
                    code: "organisation_exists",
                    message: format!(
                        "an organisation with slug {:?} already exists; choose another slug",
                        org.slug
                    ),
                })
            }
            other => other?,
        };
        tx.execute(
            "INSERT INTO org_seq (organisation_id, last) VALUES ($1, 0)",
            &[&id],
        )
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    async fn organisation_by_slug(&self, slug: &str) -> StoreResult<Option<Organisation>> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT id, slug, name FROM organisation WHERE slug = $1",
                &[&slug],
            )
            .await?;
        row.map(|r| {
            Ok(Organisation {
                id: uuid_col(r.try_get(0)?)?,
                slug: r.try_get(1)?,
                name: r.try_get(2)?,
            })
        })
        .transpose()
    }

    async fn add_user(
        &self,
        organisation_id: Uuid,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> StoreResult<User> {
        let user = User {
            id: Uuid::now_v7(),
            organisation_id,
            username: username.to_owned(),
            role,
        };
        let client = self.pool.get().await?;
        let r = client
            .execute(
                "INSERT INTO app_user (id, organisation_id, username, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&user.id.to_string(), &organisation_id.to_string(), &username, &password_hash, &role.as_str(), &now_text()],
            )
            .await;
        match r {
            Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict {
                code: "user_exists",
                message: format!("user {username:?} already exists in this organisation"),
            }),
            other => other.map(|_| user).map_err(Into::into),
        }
    }

    async fn login_candidate(
        &self,
        slug: &str,
        username: &str,
    ) -> StoreResult<Option<LoginCandidate>> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT o.id, o.slug, o.name, u.id, u.username, u.role, u.password_hash
                 FROM app_user u JOIN organisation o ON o.id = u.organisation_id
                 WHERE o.slug = $1 AND u.username = $2",
                &[&slug, &username],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        let organisation = Organisation {
            id: uuid_col(r.try_get(0)?)?,
            slug: r.try_get(1)?,
            name: r.try_get(2)?,
        };
        let user = User {
            id: uuid_col(r.try_get(3)?)?,
            organisation_id: organisation.id,
            username: r.try_get(4)?,
            role: role_col(r.try_get(5)?)?,
        };
        Ok(Some(LoginCandidate {
            organisation,
            user,
            password_hash: r.try_get(6)?,
        }))
    }

    async fn register_device(&self, reg: &DeviceRegistration) -> StoreResult<u64> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let id = reg.device_id.to_string();
        let expires = reg
            .token_expires_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        // Insert-or-nothing first, so two sign-ins of a new device cannot both insert.
        tx.execute(
            "INSERT INTO device (id, organisation_id, user_id, name, token_hash, token_expires_at, created_at)
             VALUES ($1, $2, $3, $4, NULL, $5, $6) ON CONFLICT (id) DO NOTHING",
            &[&id, &reg.organisation_id.to_string(), &reg.user_id.to_string(), &reg.name, &expires, &now_text()],
        )
        .await?;
        let row = tx
            .query_one(
                "SELECT organisation_id, user_id, watermark FROM device WHERE id = $1 FOR UPDATE",
                &[&id],
            )
            .await?;
        let (org, user, watermark): (String, Option<String>, i64) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        if org != reg.organisation_id.to_string()
            || user.as_deref() != Some(reg.user_id.to_string().as_str())
        {
            return Err(device_conflict(reg.device_id));
        }
        tx.execute(
            "UPDATE device SET token_hash = $1, token_expires_at = $2, name = $3, revoked_at = NULL WHERE id = $4",
            &[&reg.token_hash, &expires, &reg.name, &id],
        )
        .await?;
        tx.commit().await?;
        Ok(watermark as u64)
    }

    async fn device_for_token(&self, token_hash: &str) -> StoreResult<Option<DeviceAuth>> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT d.id, d.organisation_id, o.slug, u.id, u.role, d.revoked_at, d.token_expires_at, d.watermark
                 FROM device d JOIN organisation o ON o.id = d.organisation_id JOIN app_user u ON u.id = d.user_id
                 WHERE d.token_hash = $1",
                &[&token_hash],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(DeviceAuth {
            device_id: uuid_col(r.try_get(0)?)?,
            organisation_id: uuid_col(r.try_get(1)?)?,
            organisation_slug: r.try_get(2)?,
            user_id: uuid_col(r.try_get(3)?)?,
            role: role_col(r.try_get(4)?)?,
            revoked_at: r.try_get::<_, Option<&str>>(5)?.map(time_col).transpose()?,
            expires_at: r.try_get::<_, Option<&str>>(6)?.map(time_col).transpose()?,
            watermark: r.try_get::<_, i64>(7)? as u64,
        }))
    }

    async fn list_devices(&self, organisation_id: Uuid) -> StoreResult<Vec<DeviceInfo>> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT d.id, d.name, u.username, d.created_at, d.last_seen_at, d.revoked_at, d.watermark
                 FROM device d LEFT JOIN app_user u ON u.id = d.user_id
                 WHERE d.organisation_id = $1 ORDER BY d.created_at, d.id",
                &[&organisation_id.to_string()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DeviceInfo {
                    id: uuid_col(r.try_get(0)?)?,
                    name: r.try_get(1)?,
                    username: r.try_get(2)?,
                    created_at: r.try_get(3)?,
                    last_seen_at: r.try_get(4)?,
                    revoked_at: r.try_get(5)?,
                    watermark: r.try_get::<_, i64>(6)? as u64,
                })
            })
            .collect()
    }

    async fn revoke_device(&self, organisation_id: Uuid, device_id: Uuid) -> StoreResult<()> {
        let client = self.pool.get().await?;
        let n = client
            .execute(
                "UPDATE device SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND organisation_id = $3",
                &[&now_text(), &device_id.to_string(), &organisation_id.to_string()],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "no device {device_id} in this organisation"
            )));
        }
        Ok(())
    }

    async fn server_device(&self, organisation_id: Uuid) -> StoreResult<(Uuid, u64)> {
        let id = server_device_id(organisation_id);
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO device (id, organisation_id, user_id, name, created_at) VALUES ($1, $2, NULL, 'server', $3)
                 ON CONFLICT (id) DO NOTHING",
                &[&id.to_string(), &organisation_id.to_string(), &now_text()],
            )
            .await?;
        let w: i64 = client
            .query_one(
                "SELECT watermark FROM device WHERE id = $1",
                &[&id.to_string()],
            )
            .await?
            .try_get(0)?;
        Ok((id, w as u64))
    }

    async fn push(
        &self,
        organisation_id: Uuid,
        device_id: Uuid,
        changes: &[Change],
        policy: &sync::PushPolicy,
    ) -> StoreResult<PushResponse> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let response = push_tx(&tx, organisation_id, device_id, changes, policy).await?;
        tx.commit().await?;
        Ok(response)
    }

    async fn pull(
        &self,
        organisation_id: Uuid,
        after: u64,
        limit: u32,
        max_bytes: usize,
        exclude_device: Option<Uuid>,
    ) -> StoreResult<PullResponse> {
        let client = self.pool.get().await?;
        let after_i = i64::try_from(after).unwrap_or(i64::MAX);
        let org = organisation_id.to_string();
        // No device id is the empty string, so `<> ''` leaves nothing out.
        let exclude = exclude_device.map(|d| d.to_string()).unwrap_or_default();
        // The tail first, in its own statement: each statement sees everything
        // committed before it, and server_seq order is commit order, so every
        // change up to the tail is visible to the page's statement (bound_page).
        let tail: i64 = client
            .query_one(
                "SELECT coalesce(max(server_seq), 0) FROM change_log WHERE organisation_id = $1",
                &[&org],
            )
            .await?
            .try_get(0)?;
        let rows = client
            .query(
                "SELECT server_seq, device_id, device_seq, hlc, entity, row_id, field, value FROM change_log
                 WHERE organisation_id = $1 AND server_seq > $2 AND device_id <> $4 ORDER BY server_seq LIMIT $3",
                &[&org, &after_i, &(limit as i64 + 1), &exclude],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(PulledChange {
                server_seq: r.try_get::<_, i64>(0)? as u64,
                device_id: uuid_col(r.try_get(1)?)?,
                change: Change {
                    device_seq: r.try_get::<_, i64>(2)? as u64,
                    hlc: hlc_col(r.try_get(3)?)?,
                    entity: r.try_get(4)?,
                    row_id: uuid_col(r.try_get(5)?)?,
                    field: r.try_get(6)?,
                    value: serde_json::from_str(r.try_get(7)?)?,
                },
            });
        }
        Ok(sync::bound_page(out, after, limit, max_bytes, tail as u64))
    }

    async fn field_value(
        &self,
        organisation_id: Uuid,
        entity: &str,
        row_id: Uuid,
        field: &str,
    ) -> StoreResult<Option<FieldValue>> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT value, hlc, device_id FROM field_state WHERE organisation_id = $1 AND entity = $2 AND row_id = $3 AND field = $4",
                &[&organisation_id.to_string(), &entity, &row_id.to_string(), &field],
            )
            .await?;
        row.map(|r| {
            Ok(FieldValue {
                value: serde_json::from_str(r.try_get(0)?)?,
                hlc: hlc_col(r.try_get(1)?)?,
                device_id: uuid_col(r.try_get(2)?)?,
            })
        })
        .transpose()
    }

    async fn current_rows(
        &self,
        organisation_id: Uuid,
        entity: &str,
    ) -> StoreResult<Vec<CurrentRow>> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT row_id, field, value, hlc FROM field_state WHERE organisation_id = $1 AND entity = $2 ORDER BY row_id, field",
                &[&organisation_id.to_string(), &entity],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push((
                uuid_col(r.try_get(0)?)?,
                r.try_get::<_, String>(1)?,
                serde_json::from_str(r.try_get(2)?)?,
                hlc_col(r.try_get(3)?)?,
            ));
        }
        Ok(group_rows(out))
    }

    async fn put_template(&self, t: &StoredTemplate) -> StoreResult<()> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO template (id, version, title, body) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id, version) DO UPDATE SET title = excluded.title, body = excluded.body",
                &[&t.id, &t.version, &t.title, &t.body.to_string()],
            )
            .await?;
        Ok(())
    }

    async fn list_templates(&self) -> StoreResult<Vec<TemplateSummary>> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT id, version, title FROM template ORDER BY id, version",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(TemplateSummary {
                    id: r.try_get(0)?,
                    version: r.try_get(1)?,
                    title: r.try_get(2)?,
                })
            })
            .collect()
    }

    async fn template(&self, id: &str, version: &str) -> StoreResult<Option<serde_json::Value>> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT body FROM template WHERE id = $1 AND version = $2",
                &[&id, &version],
            )
            .await?;
        row.map(|r| serde_json::from_str(r.try_get(0)?).map_err(Into::into))
            .transpose()
    }
}
