//! [`SqliteStore`]: the embedded backend, one SQLite file in WAL mode (rusqlite,
//! behind `spawn_blocking`), migrated from `migrations/server-sqlite`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use async_trait::async_trait;
use fieldaudit_protocol::api::{Role, TemplateSummary};
use fieldaudit_protocol::{Change, PullResponse, PulledChange, PushResponse, Version};
use include_dir::{include_dir, Dir};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use rusqlite_migration::{MigrationDefinitionError, Migrations};
use uuid::Uuid;

use super::*;
use crate::sync;

static MIGRATIONS_DIR: Dir = include_dir!("$CARGO_MANIFEST_DIR/../migrations/server-sqlite");

static MIGRATIONS: LazyLock<Result<Migrations<'static>, String>> =
    LazyLock::new(|| Migrations::from_directory(&MIGRATIONS_DIR).map_err(|e| e.to_string()));

/// The newest SQLite schema version this build knows.
pub fn latest_schema_version() -> i64 {
    MIGRATIONS_DIR.dirs().count() as i64
}

/// The embedded SQLite backend.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and migrates it.
    /// Refuses a file migrated by a newer server.
    pub async fn open(path: &Path) -> StoreResult<SqliteStore> {
        let path = path.to_owned();
        let p = path.clone();
        let conn = tokio::task::spawn_blocking(move || -> StoreResult<Connection> {
            let mut conn = Connection::open(&p).map_err(|e| {
                StoreError::Backend(format!("cannot open SQLite database {}: {e}", p.display()))
            })?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            conn.busy_timeout(std::time::Duration::from_secs(10))?;
            let migrations = MIGRATIONS
                .as_ref()
                .map_err(|e| StoreError::Backend(format!("embedded migrations: {e}")))?;
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
                Err(e) => Err(StoreError::Backend(format!(
                    "migrating {}: {e}",
                    p.display()
                ))),
            }
        })
        .await
        .map_err(|e| StoreError::Backend(format!("database task failed: {e}")))??;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| StoreError::Backend("database lock poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("database task failed: {e}")))?
    }
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

fn org_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

fn to_org((id, slug, name): (String, String, String)) -> StoreResult<Organisation> {
    Ok(Organisation {
        id: uuid_col(&id)?,
        slug,
        name,
    })
}

fn push_tx(
    conn: &mut Connection,
    organisation_id: Uuid,
    device_id: Uuid,
    changes: &[Change],
    policy: &sync::PushPolicy,
) -> StoreResult<PushResponse> {
    let org = organisation_id.to_string();
    let dev = device_id.to_string();
    // IMMEDIATE: take the write lock now, so the watermark read below stays true.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let watermark: i64 = tx
        .query_row(
            "SELECT watermark FROM device WHERE id = ?1 AND organisation_id = ?2",
            params![dev, org],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "device {device_id} is not registered in this organisation"
            ))
        })?;
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

    let mut owners = HashMap::new();
    {
        let mut q = tx.prepare_cached("SELECT organisation_id FROM row_owner WHERE row_id = ?1")?;
        for id in sync::ids_to_look_up(&valid) {
            if let Some(owner) = q
                .query_row([id.to_string()], |r| r.get::<_, String>(0))
                .optional()?
            {
                owners.insert(id, uuid_col(&owner)?);
            }
        }
    }
    let decision = sync::authorise(organisation_id, valid, &owners);
    {
        let mut claim = tx.prepare_cached(
            "INSERT OR IGNORE INTO row_owner (row_id, organisation_id, entity) VALUES (?1, ?2, ?3)",
        )?;
        for (row, entity) in &decision.claims {
            claim.execute(params![row.to_string(), org, entity.as_str()])?;
        }
    }

    let last: i64 = tx.query_row(
        "SELECT last FROM org_seq WHERE organisation_id = ?1",
        [&org],
        |r| r.get(0),
    )?;
    let now = now_text();
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO change_log (organisation_id, server_seq, device_id, device_seq, hlc, entity, row_id, field, value, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for (i, op) in decision.accepted.iter().enumerate() {
            let c = op.change;
            insert.execute(params![
                org,
                last + 1 + i as i64,
                dev,
                c.device_seq as i64,
                c.hlc.to_string(),
                c.entity,
                c.row_id.to_string(),
                c.field,
                c.value.to_string(),
                now
            ])?;
        }
    }
    let mut current = HashMap::new();
    {
        let mut q = tx.prepare_cached(
            "SELECT hlc, device_id FROM field_state WHERE organisation_id = ?1 AND entity = ?2 AND row_id = ?3 AND field = ?4",
        )?;
        for key in sync::touched_fields(&decision.accepted) {
            let found = q
                .query_row(params![org, key.0, key.1.to_string(), key.2], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .optional()?;
            if let Some((hlc, device)) = found {
                current.insert(
                    key,
                    Version {
                        hlc: hlc_col(&hlc)?,
                        device_id: uuid_col(&device)?,
                    },
                );
            }
        }
    }
    {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO field_state (organisation_id, entity, row_id, field, value, hlc, device_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (organisation_id, entity, row_id, field)
             DO UPDATE SET value = excluded.value, hlc = excluded.hlc, device_id = excluded.device_id",
        )?;
        for op in sync::winning_writes(&decision.accepted, device_id, &current) {
            let c = op.change;
            upsert.execute(params![
                org,
                c.entity,
                c.row_id.to_string(),
                c.field,
                c.value.to_string(),
                c.hlc.to_string(),
                dev
            ])?;
        }
    }
    let applied = decision.accepted.len() as u64;
    tx.execute(
        "UPDATE org_seq SET last = last + ?1 WHERE organisation_id = ?2",
        params![applied as i64, org],
    )?;
    let new_watermark = new.last().map_or(watermark, |c| c.device_seq);
    tx.execute(
        "UPDATE device SET watermark = ?1, last_seen_at = ?2 WHERE id = ?3",
        params![new_watermark as i64, now, dev],
    )?;
    tx.commit()?;
    Ok(PushResponse {
        watermark: new_watermark,
        applied,
        rejected: sync::all_rejections(invalid, decision.rejected),
    })
}

#[async_trait]
impl ServerStore for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    /// One connection, idle unless a request holds it.
    fn pool_status(&self) -> crate::metrics::PoolStatus {
        crate::metrics::PoolStatus {
            connections: 1,
            available: usize::from(self.conn.try_lock().is_ok()),
            waiting: 0,
        }
    }

    async fn ping(&self) -> StoreResult<()> {
        self.run(|c| {
            Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
                .map(|_| ())?)
        })
        .await
    }

    async fn create_organisation(&self, slug: &str, name: &str) -> StoreResult<Organisation> {
        let org = Organisation {
            id: Uuid::now_v7(),
            slug: slug.to_owned(),
            name: name.to_owned(),
        };
        let o = org.clone();
        self.run(move |c| {
            let tx = c.transaction()?;
            let inserted = tx.execute(
                "INSERT INTO organisation (id, slug, name, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![o.id.to_string(), o.slug, o.name, now_text()],
            );
            match inserted {
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::Conflict {
                        code: "organisation_exists",
                        message: format!(
                            "an organisation with slug {:?} already exists; choose another slug",
                            o.slug
                        ),
                    })
                }
                other => other?,
            };
            tx.execute(
                "INSERT INTO org_seq (organisation_id, last) VALUES (?1, 0)",
                [o.id.to_string()],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await?;
        Ok(org)
    }

    async fn organisation_by_slug(&self, slug: &str) -> StoreResult<Option<Organisation>> {
        let slug = slug.to_owned();
        self.run(move |c| {
            c.query_row(
                "SELECT id, slug, name FROM organisation WHERE slug = ?1",
                [slug],
                org_row,
            )
            .optional()?
            .map(to_org)
            .transpose()
        })
        .await
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
        let (u, hash) = (user.clone(), password_hash.to_owned());
        self.run(move |c| {
            let r = c.execute(
                "INSERT INTO app_user (id, organisation_id, username, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![u.id.to_string(), u.organisation_id.to_string(), u.username, hash, u.role.as_str(), now_text()],
            );
            match r {
                Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict {
                    code: "user_exists",
                    message: format!("user {:?} already exists in this organisation", u.username),
                }),
                other => other.map(|_| ()).map_err(Into::into),
            }
        })
        .await?;
        Ok(user)
    }

    async fn login_candidate(
        &self,
        slug: &str,
        username: &str,
    ) -> StoreResult<Option<LoginCandidate>> {
        let (slug, username) = (slug.to_owned(), username.to_owned());
        self.run(move |c| {
            let row = c
                .query_row(
                    "SELECT o.id, o.slug, o.name, u.id, u.username, u.role, u.password_hash
                     FROM app_user u JOIN organisation o ON o.id = u.organisation_id
                     WHERE o.slug = ?1 AND u.username = ?2",
                    params![slug, username],
                    |r| {
                        Ok((
                            (r.get(0)?, r.get(1)?, r.get(2)?),
                            r.get::<_, String>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, String>(5)?,
                            r.get::<_, String>(6)?,
                        ))
                    },
                )
                .optional()?;
            let Some((org, user_id, username, role, password_hash)) = row else {
                return Ok(None);
            };
            let organisation = to_org(org)?;
            let user = User {
                id: uuid_col(&user_id)?,
                organisation_id: organisation.id,
                username,
                role: role_col(&role)?,
            };
            Ok(Some(LoginCandidate {
                organisation,
                user,
                password_hash,
            }))
        })
        .await
    }

    async fn register_device(&self, reg: &DeviceRegistration) -> StoreResult<u64> {
        let reg = reg.clone();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing = tx
                .query_row(
                    "SELECT organisation_id, user_id, watermark FROM device WHERE id = ?1",
                    [reg.device_id.to_string()],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, i64>(2)?)),
                )
                .optional()?;
            let expires = reg.token_expires_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            let watermark = match existing {
                Some((org, user, watermark)) => {
                    if org != reg.organisation_id.to_string() || user.as_deref() != Some(reg.user_id.to_string().as_str()) {
                        return Err(device_conflict(reg.device_id));
                    }
                    tx.execute(
                        "UPDATE device SET token_hash = ?1, token_expires_at = ?2, name = ?3, revoked_at = NULL WHERE id = ?4",
                        params![reg.token_hash, expires, reg.name, reg.device_id.to_string()],
                    )?;
                    watermark as u64
                }
                None => {
                    tx.execute(
                        "INSERT INTO device (id, organisation_id, user_id, name, token_hash, token_expires_at, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![
                            reg.device_id.to_string(),
                            reg.organisation_id.to_string(),
                            reg.user_id.to_string(),
                            reg.name,
                            reg.token_hash,
                            expires,
                            now_text()
                        ],
                    )?;
                    0
                }
            };
            tx.commit()?;
            Ok(watermark)
        })
        .await
    }

    async fn device_for_token(&self, token_hash: &str) -> StoreResult<Option<DeviceAuth>> {
        let token_hash = token_hash.to_owned();
        self.run(move |c| {
            let row = c
                .query_row(
                    "SELECT d.id, d.organisation_id, o.slug, u.id, u.role, d.revoked_at, d.token_expires_at, d.watermark
                     FROM device d JOIN organisation o ON o.id = d.organisation_id JOIN app_user u ON u.id = d.user_id
                     WHERE d.token_hash = ?1",
                    [token_hash],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, Option<String>>(5)?,
                            r.get::<_, Option<String>>(6)?,
                            r.get::<_, i64>(7)?,
                        ))
                    },
                )
                .optional()?;
            let Some((dev, org, slug, user, role, revoked, expires, watermark)) = row else { return Ok(None) };
            Ok(Some(DeviceAuth {
                device_id: uuid_col(&dev)?,
                organisation_id: uuid_col(&org)?,
                organisation_slug: slug,
                user_id: uuid_col(&user)?,
                role: role_col(&role)?,
                revoked_at: revoked.as_deref().map(time_col).transpose()?,
                expires_at: expires.as_deref().map(time_col).transpose()?,
                watermark: watermark as u64,
            }))
        })
        .await
    }

    async fn list_devices(&self, organisation_id: Uuid) -> StoreResult<Vec<DeviceInfo>> {
        self.run(move |c| {
            let mut q = c.prepare(
                "SELECT d.id, d.name, u.username, d.created_at, d.last_seen_at, d.revoked_at, d.watermark
                 FROM device d LEFT JOIN app_user u ON u.id = d.user_id
                 WHERE d.organisation_id = ?1 ORDER BY d.created_at, d.id",
            )?;
            let rows = q.query_map([organisation_id.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, name, username, created_at, last_seen_at, revoked_at, watermark) = row?;
                out.push(DeviceInfo { id: uuid_col(&id)?, name, username, created_at, last_seen_at, revoked_at, watermark: watermark as u64 });
            }
            Ok(out)
        })
        .await
    }

    async fn revoke_device(&self, organisation_id: Uuid, device_id: Uuid) -> StoreResult<()> {
        self.run(move |c| {
            let n = c.execute(
                "UPDATE device SET revoked_at = COALESCE(revoked_at, ?1) WHERE id = ?2 AND organisation_id = ?3",
                params![now_text(), device_id.to_string(), organisation_id.to_string()],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("no device {device_id} in this organisation")));
            }
            Ok(())
        })
        .await
    }

    async fn server_device(&self, organisation_id: Uuid) -> StoreResult<(Uuid, u64)> {
        let id = server_device_id(organisation_id);
        self.run(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO device (id, organisation_id, user_id, name, created_at) VALUES (?1, ?2, NULL, 'server', ?3)",
                params![id.to_string(), organisation_id.to_string(), now_text()],
            )?;
            let w: i64 = c.query_row("SELECT watermark FROM device WHERE id = ?1", [id.to_string()], |r| r.get(0))?;
            Ok((id, w as u64))
        })
        .await
    }

    async fn push(
        &self,
        organisation_id: Uuid,
        device_id: Uuid,
        changes: &[Change],
        policy: &sync::PushPolicy,
    ) -> StoreResult<PushResponse> {
        let (changes, policy) = (changes.to_vec(), policy.clone());
        self.run(move |c| push_tx(c, organisation_id, device_id, &changes, &policy))
            .await
    }

    async fn pull(
        &self,
        organisation_id: Uuid,
        after: u64,
        limit: u32,
        max_bytes: usize,
        exclude_device: Option<Uuid>,
    ) -> StoreResult<PullResponse> {
        let after_i = i64::try_from(after).unwrap_or(i64::MAX);
        // No device id is the empty string, so `<> ''` leaves nothing out.
        let exclude = exclude_device.map(|d| d.to_string()).unwrap_or_default();
        let (tail, rows) = self
            .run(move |c| {
                // One read transaction, so the tail is read no later than the page
                // (what bound_page needs); the connection is ours alone meanwhile.
                let tx = c.transaction()?;
                let tail: i64 = tx
                    .prepare_cached("SELECT coalesce(max(server_seq), 0) FROM change_log WHERE organisation_id = ?1")?
                    .query_row([organisation_id.to_string()], |r| r.get(0))?;
                let mut q = tx.prepare_cached(
                    "SELECT server_seq, device_id, device_seq, hlc, entity, row_id, field, value FROM change_log
                     WHERE organisation_id = ?1 AND server_seq > ?2 AND device_id <> ?4 ORDER BY server_seq LIMIT ?3",
                )?;
                let rows = q.query_map(params![organisation_id.to_string(), after_i, limit as i64 + 1, exclude], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                    ))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (server_seq, device, device_seq, hlc, entity, row_id, field, value) = row?;
                    out.push(PulledChange {
                        server_seq: server_seq as u64,
                        device_id: uuid_col(&device)?,
                        change: Change {
                            device_seq: device_seq as u64,
                            hlc: hlc_col(&hlc)?,
                            entity,
                            row_id: uuid_col(&row_id)?,
                            field,
                            value: serde_json::from_str(&value)?,
                        },
                    });
                }
                drop(q);
                tx.finish()?;
                Ok((tail as u64, out))
            })
            .await?;
        Ok(sync::bound_page(rows, after, limit, max_bytes, tail))
    }

    async fn field_value(
        &self,
        organisation_id: Uuid,
        entity: &str,
        row_id: Uuid,
        field: &str,
    ) -> StoreResult<Option<FieldValue>> {
        let (entity, field) = (entity.to_owned(), field.to_owned());
        self.run(move |c| {
            let row = c
                .query_row(
                    "SELECT value, hlc, device_id FROM field_state WHERE organisation_id = ?1 AND entity = ?2 AND row_id = ?3 AND field = ?4",
                    params![organisation_id.to_string(), entity, row_id.to_string(), field],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)),
                )
                .optional()?;
            row.map(|(v, h, d)| Ok(FieldValue { value: serde_json::from_str(&v)?, hlc: hlc_col(&h)?, device_id: uuid_col(&d)? }))
                .transpose()
        })
        .await
    }

    async fn current_rows(
        &self,
        organisation_id: Uuid,
        entity: &str,
    ) -> StoreResult<Vec<CurrentRow>> {
        let entity = entity.to_owned();
        self.run(move |c| {
            let mut q = c.prepare(
                "SELECT row_id, field, value, hlc FROM field_state WHERE organisation_id = ?1 AND entity = ?2 ORDER BY row_id, field",
            )?;
            let rows = q.query_map(params![organisation_id.to_string(), entity], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, field, value, hlc) = row?;
                out.push((uuid_col(&id)?, field, serde_json::from_str(&value)?, hlc_col(&hlc)?));
            }
            Ok(group_rows(out))
        })
        .await
    }

    async fn put_template(&self, t: &StoredTemplate) -> StoreResult<()> {
        let t = t.clone();
        self.run(move |c| {
            c.execute(
                "INSERT INTO template (id, version, title, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id, version) DO UPDATE SET title = excluded.title, body = excluded.body",
                params![t.id, t.version, t.title, t.body.to_string()],
            )?;
            Ok(())
        })
        .await
    }

    async fn list_templates(&self) -> StoreResult<Vec<TemplateSummary>> {
        self.run(|c| {
            let mut q =
                c.prepare("SELECT id, version, title FROM template ORDER BY id, version")?;
            let rows = q.query_map([], |r| {
                Ok(TemplateSummary {
                    id: r.get(0)?,
                    version: r.get(1)?,
                    title: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn template(&self, id: &str, version: &str) -> StoreResult<Option<serde_json::Value>> {
        let (id, version) = (id.to_owned(), version.to_owned());
        self.run(move |c| {
            let body: Option<String> = c
                .query_row(
                    "SELECT body FROM template WHERE id = ?1 AND version = ?2",
                    params![id, version],
                    |r| r.get(0),
                )
                .optional()?;
            body.map(|b| serde_json::from_str(&b).map_err(Into::into))
                .transpose()
        })
        .await
    }
}

/// The conflict for a device id registered to another organisation or user.
pub(crate) fn device_conflict(device_id: Uuid) -> StoreError {
    StoreError::Conflict {
        code: "device_conflict",
        message: format!(
            "device {device_id} is registered to another user or organisation; sign in with that account or reset the app's device id"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_migrations_validate() {
        let m = MIGRATIONS.as_ref().expect("migrations parse");
        m.validate()
            .expect("server SQLite migrations apply to an empty database");
    }
}
