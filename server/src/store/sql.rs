//! The server's SQL, once for both backends: [`SqlStore`] implements every
//! [`ServerStore`] method over a [`Backend`], with each statement written once (in
//! PostgreSQL's form; [`super::dialect`] rewrites it for SQLite) and each row
//! decoded by one function here.
//!
//! A push runs the rules of [`crate::sync`] in one write transaction: lock the
//! organisation's counter and the device's row, skip known ops and refuse gaps,
//! validate, authorise against the rows' owners, claim new rows, append the log,
//! merge the field state, move the counter and the watermark. Only the batched
//! steps ([`Db::row_owners`] … [`Db::write_fields`]) differ per backend.

use async_trait::async_trait;
use fieldaudit_protocol::api::{Role, TemplateSummary};
use fieldaudit_protocol::{Change, Hlc, PullResponse, PulledChange, PushResponse};
use uuid::Uuid;

use super::db::{Backend, BoxFuture, Db, Mode, Param, SqlRow};
use super::{
    server_device_id, CurrentRow, DeviceAuth, DeviceInfo, DeviceRegistration, FieldValue,
    LoginCandidate, Organisation, ServerStore, SignInAttempt, SignInStart, StoreResult,
    StoredTemplate, User,
};
use crate::error::StoreError;
use crate::sync::{self, PushPolicy};
use crate::throttle::{self, Failures};

/// A [`ServerStore`] on a SQL database.
pub struct SqlStore<B> {
    backend: B,
}

impl<B: Backend> SqlStore<B> {
    /// The store on this backend (already migrated).
    pub(crate) fn new(backend: B) -> Self {
        SqlStore { backend }
    }

    /// The backend.
    pub(crate) fn backend_ref(&self) -> &B {
        &self.backend
    }

    async fn run<T, F>(&self, mode: Mode, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut (dyn Db + 'c)) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        self.backend.run(mode, Box::new(work)).await
    }
}

/// The rows of a query, each decoded by `decode`.
pub(crate) async fn query_all<T: Send>(
    db: &mut (dyn Db + '_),
    sql: &str,
    params: &[&dyn Param],
    decode: fn(&dyn SqlRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut out = Vec::new();
    db.query(sql, params, &mut |row| {
        out.push(decode(row)?);
        Ok(())
    })
    .await?;
    Ok(out)
}

/// The first row of a query, decoded by `decode`, if there is one.
pub(crate) async fn query_opt<T: Send>(
    db: &mut (dyn Db + '_),
    sql: &str,
    params: &[&dyn Param],
    decode: fn(&dyn SqlRow) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    Ok(query_all(db, sql, params, decode).await?.into_iter().next())
}

/// Parses a UUID read from the database.
pub(crate) fn uuid_col(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s)
        .map_err(|e| StoreError::backend_from(format!("stored id {s:?} is not a UUID"), e))
}

/// Parses a role read from the database.
fn role_col(s: &str) -> StoreResult<Role> {
    Role::parse(s).ok_or_else(|| StoreError::backend(format!("stored role {s:?} is unknown")))
}

/// Parses an HLC read from the database.
pub(crate) fn hlc_col(s: &str) -> StoreResult<Hlc> {
    s.parse()
        .map_err(|e| StoreError::backend_from(format!("stored HLC {s:?} is unreadable"), e))
}

/// Parses an RFC 3339 time read from the database.
fn time_col(s: &str) -> StoreResult<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| StoreError::backend_from(format!("stored time {s:?} is unreadable"), e))
}

/// Parses JSON read from the database.
fn json_col(s: &str) -> StoreResult<serde_json::Value> {
    Ok(serde_json::from_str(s)?)
}

/// A time as stored (RFC 3339, UTC, microseconds).
pub(crate) fn time_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Now, as stored.
pub(crate) fn now_text() -> String {
    time_text(chrono::Utc::now())
}

/// A non-negative counter read from a signed 64-bit column.
fn count_col(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn organisation(r: &dyn SqlRow) -> StoreResult<Organisation> {
    Ok(Organisation {
        id: uuid_col(&r.text(0)?)?,
        slug: r.text(1)?,
        name: r.text(2)?,
    })
}

/// `organisation` columns 0..3, then the user's id, name, role and password hash.
fn login_candidate(r: &dyn SqlRow) -> StoreResult<LoginCandidate> {
    let organisation = organisation(r)?;
    Ok(LoginCandidate {
        user: User {
            id: uuid_col(&r.text(3)?)?,
            organisation_id: organisation.id,
            username: r.text(4)?,
            role: role_col(&r.text(5)?)?,
        },
        organisation,
        password_hash: r.text(6)?,
    })
}

/// A device's owner (organisation, user) and watermark.
fn device_owner(r: &dyn SqlRow) -> StoreResult<(String, Option<String>, i64)> {
    Ok((r.text(0)?, r.opt_text(1)?, r.int(2)?))
}

/// A sign-in failure counter's row: `None` while nothing is counted.
fn failures_row(r: &dyn SqlRow) -> StoreResult<Option<Failures>> {
    let count = r.int(0)?;
    if count <= 0 {
        return Ok(None);
    }
    Ok(Some(Failures {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        last_at: time_col(&r.text(1)?)?,
    }))
}

fn device_auth(r: &dyn SqlRow) -> StoreResult<DeviceAuth> {
    Ok(DeviceAuth {
        device_id: uuid_col(&r.text(0)?)?,
        organisation_id: uuid_col(&r.text(1)?)?,
        organisation_slug: r.text(2)?,
        user_id: uuid_col(&r.text(3)?)?,
        role: role_col(&r.text(4)?)?,
        revoked_at: r.opt_text(5)?.as_deref().map(time_col).transpose()?,
        expires_at: r.opt_text(6)?.as_deref().map(time_col).transpose()?,
        watermark: count_col(r.int(7)?),
        user_disabled: r.opt_text(8)?.is_some(),
    })
}

fn device_info(r: &dyn SqlRow) -> StoreResult<DeviceInfo> {
    Ok(DeviceInfo {
        id: uuid_col(&r.text(0)?)?,
        name: r.text(1)?,
        username: r.opt_text(2)?,
        created_at: r.text(3)?,
        last_seen_at: r.opt_text(4)?,
        revoked_at: r.opt_text(5)?,
        watermark: count_col(r.int(6)?),
    })
}

fn single_int(r: &dyn SqlRow) -> StoreResult<i64> {
    r.int(0)
}

pub(crate) fn pulled_change(r: &dyn SqlRow) -> StoreResult<PulledChange> {
    Ok(PulledChange {
        server_seq: count_col(r.int(0)?),
        device_id: uuid_col(&r.text(1)?)?,
        change: Change {
            device_seq: count_col(r.int(2)?),
            hlc: hlc_col(&r.text(3)?)?,
            entity: r.text(4)?,
            row_id: uuid_col(&r.text(5)?)?,
            field: r.text(6)?,
            value: json_col(&r.text(7)?)?,
        },
    })
}

fn field_value(r: &dyn SqlRow) -> StoreResult<FieldValue> {
    Ok(FieldValue {
        value: json_col(&r.text(0)?)?,
        hlc: hlc_col(&r.text(1)?)?,
        device_id: uuid_col(&r.text(2)?)?,
    })
}

/// `(row_id, field, value, hlc)` of a field-state row.
fn field_of_row(r: &dyn SqlRow) -> StoreResult<(Uuid, String, serde_json::Value, Hlc)> {
    Ok((
        uuid_col(&r.text(0)?)?,
        r.text(1)?,
        json_col(&r.text(2)?)?,
        hlc_col(&r.text(3)?)?,
    ))
}

fn template_summary(r: &dyn SqlRow) -> StoreResult<TemplateSummary> {
    Ok(TemplateSummary {
        id: r.text(0)?,
        version: r.text(1)?,
        title: r.text(2)?,
    })
}

fn template_body(r: &dyn SqlRow) -> StoreResult<serde_json::Value> {
    json_col(&r.text(0)?)
}

/// Groups `(row_id, field, value)` rows ordered by row id into [`CurrentRow`]s.
fn group_rows(
    rows: impl IntoIterator<Item = (Uuid, String, serde_json::Value, Hlc)>,
) -> Vec<CurrentRow> {
    let mut out: Vec<CurrentRow> = Vec::new();
    for (row_id, field, value, hlc) in rows {
        match out.last_mut() {
            Some(last) if last.row_id == row_id => {
                last.fields.insert(field, value);
                last.newest = last.newest.max(hlc);
            }
            _ => {
                let mut fields = serde_json::Map::new();
                fields.insert(field, value);
                out.push(CurrentRow {
                    row_id,
                    fields,
                    newest: hlc,
                });
            }
        }
    }
    out
}

/// `Conflict` with `code` when `result` failed on a unique constraint.
fn conflict_on_unique<T>(
    result: StoreResult<T>,
    code: &'static str,
    message: impl FnOnce() -> String,
) -> StoreResult<T> {
    match result {
        Err(e) if e.is_unique_violation() => Err(StoreError::Conflict {
            code,
            message: message(),
        }),
        other => other,
    }
}

/// The conflict for a device id registered to another organisation or user.
fn device_conflict(device_id: Uuid) -> StoreError {
    StoreError::Conflict {
        code: "device_conflict",
        message: format!(
            "device {device_id} is registered to another user or organisation; sign in with that account or reset the app's device id"
        ),
    }
}

/// A push in one write transaction (see the module's doc comment).
async fn push_tx(
    db: &mut (dyn Db + '_),
    organisation_id: Uuid,
    device_id: Uuid,
    changes: &[Change],
    policy: &PushPolicy,
) -> StoreResult<PushResponse> {
    let org = organisation_id.to_string();
    let dev = device_id.to_string();
    // The organisation's counter row, locked until commit: pushes of one
    // organisation are serialised, so server_seq order is commit order.
    let last = query_opt(
        db,
        "SELECT last FROM org_seq WHERE organisation_id = $1 FOR UPDATE",
        &[&org],
        single_int,
    )
    .await?
    .ok_or_else(|| {
        StoreError::NotFound(format!("organisation {organisation_id} does not exist"))
    })?;
    let watermark = query_opt(
        db,
        "SELECT watermark FROM device WHERE id = $1 AND organisation_id = $2 FOR UPDATE",
        &[&dev, &org],
        single_int,
    )
    .await?
    .ok_or_else(|| {
        StoreError::NotFound(format!(
            "device {device_id} is not registered in this organisation"
        ))
    })?;
    let watermark = count_col(watermark);
    let new = sync::new_ops(watermark, changes)?;
    // Ops sent again (the answer to their push was lost) get the same answer: the
    // refusals recorded when they were first pushed.
    let replayed = refusals_of_replayed(db, &dev, watermark, changes).await?;
    if new.is_empty() {
        return Ok(PushResponse {
            watermark,
            applied: 0,
            rejected: replayed,
        });
    }
    let from_server_device = device_id == server_device_id(organisation_id);
    let (valid, invalid) = sync::validate_ops(new, policy, from_server_device);
    let lookup = sync::ids_to_look_up(&valid);

    // Rows are claimed by the first organisation to write them. Another
    // organisation may claim one of ours concurrently (different counter row; only
    // on PostgreSQL): then our claim finds it taken, and we decide again with the
    // owner now visible.
    let mut attempt = 0;
    let (decision, scoped) = loop {
        attempt += 1;
        let owners = db.row_owners(&lookup).await?;
        let mut decision = sync::authorise(organisation_id, valid.clone(), &owners);
        // Each op's audit, and whether its user may write it (the role matrix).
        let pusher = if from_server_device {
            None
        } else {
            policy.pusher
        };
        let known =
            super::scope_sql::scope_facts(db, &org, &dev, pusher, &decision.accepted).await?;
        let mut scoped =
            crate::scope::decide(pusher, std::mem::take(&mut decision.accepted), &known);
        // A signed audit is read-only (checked after the role matrix: see refuse_signed).
        let (kept, signed) = sync::refuse_signed(
            scoped.accepted.iter().map(|(op, _)| op.clone()).collect(),
            policy,
        );
        scoped.accepted.retain(|(op, _)| {
            kept.iter()
                .any(|k| k.change.device_seq == op.change.device_seq)
        });
        scoped.new_rows.retain(|n| {
            scoped
                .accepted
                .iter()
                .any(|(op, _)| op.change.row_id == n.row_id)
        });
        decision.accepted = kept;
        decision
            .claims
            .retain(|(row, _)| scoped.new_rows.iter().any(|n| n.row_id == *row));
        decision.rejected.extend(scoped.rejected.iter().cloned());
        decision.rejected.extend(signed);
        if db.claim_rows(&org, &decision.claims).await? == decision.claims.len() {
            break (decision, scoped);
        }
        if attempt >= 3 {
            return Err(StoreError::backend(
                "rows were claimed concurrently by another organisation three times; retry the push",
            ));
        }
    };

    super::scope_sql::record_new_rows(db, &scoped.new_rows).await?;
    let now = now_text();
    db.insert_changes(&org, &dev, last + 1, &decision.accepted, &now)
        .await?;
    super::scope_sql::scope_new_changes(db, &org, last).await?;
    let current = db
        .field_versions(&org, &sync::touched_fields(&decision.accepted))
        .await?;
    let winners = sync::winning_writes(&decision.accepted, device_id, &current);
    db.write_fields(&org, &dev, &winners).await?;
    let applied = decision.accepted.len() as u64;
    db.execute(
        "UPDATE org_seq SET last = last + $1 WHERE organisation_id = $2",
        &[&(applied as i64), &org],
    )
    .await?;
    let new_watermark = new.last().map_or(watermark, |c| c.device_seq);
    db.execute(
        "UPDATE device SET watermark = $1, last_seen_at = $2 WHERE id = $3",
        &[&(new_watermark as i64), &now, &dev],
    )
    .await?;
    let rejected = sync::all_rejections(invalid, decision.rejected);
    for r in &rejected {
        let code = serde_json::to_value(r.code)?;
        db.execute(
            "INSERT INTO refused_op (device_id, device_seq, code, message) VALUES ($1, $2, $3, $4)
             ON CONFLICT (device_id, device_seq) DO NOTHING",
            &[&dev, &(r.device_seq as i64), &code.as_str().unwrap_or_default(), &r.message],
        )
        .await?;
    }
    Ok(PushResponse {
        watermark: new_watermark,
        applied,
        rejected: sync::all_rejections(replayed, rejected),
    })
}

/// The recorded refusals of the ops of `changes` at or below the device's
/// watermark (already processed: sent again after a lost answer).
async fn refusals_of_replayed(
    db: &mut (dyn Db + '_),
    device: &str,
    watermark: u64,
    changes: &[Change],
) -> StoreResult<Vec<fieldaudit_protocol::Rejection>> {
    let seqs: std::collections::BTreeSet<u64> = changes
        .iter()
        .map(|c| c.device_seq)
        .filter(|s| *s <= watermark)
        .collect();
    let (Some(first), Some(last)) = (seqs.first(), seqs.last()) else {
        return Ok(Vec::new());
    };
    let rows = query_all(
        db,
        "SELECT device_seq, code, message FROM refused_op WHERE device_id = $1 AND device_seq BETWEEN $2 AND $3 ORDER BY device_seq",
        &[&device, &(*first as i64), &(*last as i64)],
        |r| Ok((r.int(0)?, r.text(1)?, r.text(2)?)),
    )
    .await?;
    let mut out = Vec::new();
    for (seq, code, message) in rows {
        let seq = count_col(seq);
        if !seqs.contains(&seq) {
            continue;
        }
        let code = serde_json::from_value(serde_json::Value::String(code.clone())).map_err(|e| {
            StoreError::backend_from(format!("stored refusal code {code:?} is unknown"), e)
        })?;
        out.push(fieldaudit_protocol::Rejection {
            device_seq: seq,
            code,
            message,
        });
    }
    Ok(out)
}

#[async_trait]
impl<B: Backend> ServerStore for SqlStore<B> {
    fn backend(&self) -> &'static str {
        B::NAME
    }

    fn pool_status(&self) -> crate::metrics::PoolStatus {
        self.backend_ref().pool_status()
    }

    async fn ping(&self) -> StoreResult<()> {
        self.run(Mode::Read, |db| {
            Box::pin(async move { db.query("SELECT 1", &[], &mut |_| Ok(())).await })
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
        self.run(Mode::Write, move |db| {
            Box::pin(async move {
                let id = o.id.to_string();
                let inserted = db
                    .execute(
                        "INSERT INTO organisation (id, slug, name, created_at) VALUES ($1, $2, $3, $4)",
                        &[&id, &o.slug, &o.name, &now_text()],
                    )
                    .await;
                conflict_on_unique(inserted, "organisation_exists", || {
                    format!(
                        "an organisation with slug {:?} already exists; choose another slug",
                        o.slug
                    )
                })?;
                db.execute(
                    "INSERT INTO org_seq (organisation_id, last) VALUES ($1, 0)",
                    &[&id],
                )
                .await?;
                Ok(())
            })
        })
        .await?;
        Ok(org)
    }

    async fn organisation_by_slug(&self, slug: &str) -> StoreResult<Option<Organisation>> {
        let slug = slug.to_owned();
        self.run(Mode::Read, move |db| {
            Box::pin(async move {
                query_opt(
                    db,
                    "SELECT id, slug, name FROM organisation WHERE slug = $1",
                    &[&slug],
                    organisation,
                )
                .await
            })
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
        let (u, password_hash) = (user.clone(), password_hash.to_owned());
        self.run(Mode::Write, move |db| {
            Box::pin(async move {
                let inserted = db
                    .execute(
                        "INSERT INTO app_user (id, organisation_id, username, password_hash, role, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                        &[
                            &u.id.to_string(),
                            &organisation_id.to_string(),
                            &u.username,
                            &password_hash,
                            &u.role.as_str(),
                            &now_text(),
                        ],
                    )
                    .await;
                conflict_on_unique(inserted, "user_exists", || {
                    format!("user {:?} already exists in this organisation", u.username)
                })?;
                Ok(())
            })
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
        self.run(Mode::Read, move |db| {
            Box::pin(async move {
                query_opt(
                    db,
                    "SELECT o.id, o.slug, o.name, u.id, u.username, u.role, u.password_hash
                     FROM app_user u JOIN organisation o ON o.id = u.organisation_id
                     WHERE o.slug = $1 AND u.username = $2 AND u.disabled_at IS NULL",
                    &[&slug, &username],
                    login_candidate,
                )
                .await
            })
        })
        .await
    }

    async fn begin_sign_in(&self, attempt: &SignInAttempt) -> StoreResult<SignInStart> {
        // Forget counters a day after their last failure (a few at a time, in their
        // own transaction, skipping any an attempt holds right now).
        let forget = time_text(attempt.policy.forget_before(attempt.now));
        let prune = if B::NAME == "postgres" {
            "DELETE FROM sign_in_failure WHERE key IN (SELECT key FROM sign_in_failure WHERE last_at < $1 LIMIT 100 FOR UPDATE SKIP LOCKED)"
        } else {
            "DELETE FROM sign_in_failure WHERE key IN (SELECT key FROM sign_in_failure WHERE last_at < $1 LIMIT 100)"
        };
        self.run(Mode::Write, move |db| {
            Box::pin(async move { db.execute(prune, &[&forget]).await.map(drop) })
        })
        .await?;
        let a = attempt.clone();
        self.run(Mode::Write, move |db| {
            Box::pin(async move {
                let now = time_text(a.now);
                let known_device = query_opt(
                    db,
                    "SELECT d.id FROM device d JOIN app_user u ON u.id = d.user_id JOIN organisation o ON o.id = u.organisation_id
                     WHERE d.id = $1 AND o.slug = $2 AND u.username = $3 AND d.revoked_at IS NULL",
                    &[&a.device_id.to_string(), &a.organisation, &a.username],
                    |r| r.text(0),
                )
                .await?
                .is_some();
                // Always in the keys' order (by counter), so two attempts never wait
                // on each other's locks in a cycle.
                let mut before = Vec::with_capacity(a.keys.len());
                for k in &a.keys {
                    db.execute(
                        "INSERT INTO sign_in_failure (key, failures, last_at) VALUES ($1, 0, $2) ON CONFLICT (key) DO NOTHING",
                        &[&k.id, &now],
                    )
                    .await?;
                    let state = query_opt(
                        db,
                        "SELECT failures, last_at FROM sign_in_failure WHERE key = $1 FOR UPDATE",
                        &[&k.id],
                        failures_row,
                    )
                    .await?
                    .flatten();
                    before.push(state);
                }
                let counters: Vec<_> = a.keys.iter().map(|k| k.counter).zip(before.iter().copied()).collect();
                let verdict = throttle::verdict(&a.policy, &counters, known_device, a.now);
                if verdict == throttle::Verdict::Allowed {
                    for (k, state) in a.keys.iter().zip(&before).filter(|(k, _)| k.counter.counted_before_check()) {
                        let next = throttle::after_failure(&a.policy, *state, a.now);
                        db.execute(
                            "UPDATE sign_in_failure SET failures = $2, last_at = $3 WHERE key = $1",
                            &[&k.id, &i64::from(next.count), &now],
                        )
                        .await?;
                    }
                }
                Ok(SignInStart { verdict, before })
            })
        })
        .await
    }

    async fn finish_sign_in(
        &self,
        attempt: &SignInAttempt,
        before: &[Option<Failures>],
        succeeded: bool,
    ) -> StoreResult<()> {
        let a = attempt.clone();
        let before = before.to_vec();
        self.run(Mode::Write, move |db| {
            Box::pin(async move {
                let counted_at = time_text(a.now);
                for (k, state) in a.keys.iter().zip(&before) {
                    match (succeeded, k.counter.counted_before_check()) {
                        (true, true) if k.counter.cleared_by_success() => {
                            db.execute("DELETE FROM sign_in_failure WHERE key = $1", &[&k.id]).await?;
                        }
                        (true, true) => {
                            // One failure fewer; the last one's time as it was, unless
                            // another attempt has counted since.
                            let previous = state.map_or_else(|| counted_at.clone(), |f| time_text(f.last_at));
                            db.execute(
                                "UPDATE sign_in_failure SET failures = failures - 1,
                                        last_at = CASE WHEN last_at = $2 THEN $3 ELSE last_at END
                                 WHERE key = $1 AND failures > 0",
                                &[&k.id, &counted_at, &previous],
                            )
                            .await?;
                            db.execute("DELETE FROM sign_in_failure WHERE key = $1 AND failures <= 0", &[&k.id]).await?;
                        }
                        (false, false) => {
                            let current = query_opt(
                                db,
                                "SELECT failures, last_at FROM sign_in_failure WHERE key = $1 FOR UPDATE",
                                &[&k.id],
                                failures_row,
                            )
                            .await?
                            .flatten();
                            let next = throttle::after_failure(&a.policy, current, chrono::Utc::now());
                            db.execute(
                                "INSERT INTO sign_in_failure (key, failures, last_at) VALUES ($1, $2, $3)
                                 ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at",
                                &[&k.id, &i64::from(next.count), &time_text(next.last_at)],
                            )
                            .await?;
                        }
                        // Counted already (a failure), or never (a success).
                        (false, true) | (true, false) => {}
                    }
                }
                Ok(())
            })
        })
        .await
    }

    async fn register_device(&self, reg: &DeviceRegistration) -> StoreResult<u64> {
        let reg = reg.clone();
        self.run(Mode::Write, move |db| {
            Box::pin(async move {
                let id = reg.device_id.to_string();
                let (org, user) = (reg.organisation_id.to_string(), reg.user_id.to_string());
                let expires = time_text(reg.token_expires_at);
                // Insert-or-nothing first, so two sign-ins of a new device cannot both insert.
                db.execute(
                    "INSERT INTO device (id, organisation_id, user_id, name, token_hash, token_expires_at, created_at)
                     VALUES ($1, $2, $3, $4, NULL, $5, $6) ON CONFLICT (id) DO NOTHING",
                    &[&id, &org, &user, &reg.name, &expires, &now_text()],
                )
                .await?;
                let (owner_org, owner_user, watermark) = query_opt(
                    db,
                    "SELECT organisation_id, user_id, watermark FROM device WHERE id = $1 FOR UPDATE",
                    &[&id],
                    device_owner,
                )
                .await?
                .ok_or_else(|| StoreError::backend(format!("device {id} vanished while signing in")))?;
                if owner_org != org || owner_user.as_deref() != Some(user.as_str()) {
                    return Err(device_conflict(reg.device_id));
                }
                db.execute(
                    "UPDATE device SET token_hash = $1, token_expires_at = $2, name = $3, revoked_at = NULL WHERE id = $4",
                    &[&reg.token_hash, &expires, &reg.name, &id],
                )
                .await?;
                Ok(count_col(watermark))
            })
        })
        .await
    }

    async fn device_for_token(&self, token_hash: &str) -> StoreResult<Option<DeviceAuth>> {
        let token_hash = token_hash.to_owned();
        self.run(Mode::Read, move |db| {
            Box::pin(async move {
                query_opt(
                    db,
                    "SELECT d.id, d.organisation_id, o.slug, u.id, u.role, d.revoked_at, d.token_expires_at, d.watermark, u.disabled_at
                     FROM device d JOIN organisation o ON o.id = d.organisation_id JOIN app_user u ON u.id = d.user_id
                     WHERE d.token_hash = $1",
                    &[&token_hash],
                    device_auth,
                )
                .await
            })
        })
        .await
    }

    async fn list_devices(&self, organisation_id: Uuid) -> StoreResult<Vec<DeviceInfo>> {
        self.run(Mode::Read, move |db| {
            Box::pin(async move {
                query_all(
                    db,
                    "SELECT d.id, d.name, u.username, d.created_at, d.last_seen_at, d.revoked_at, d.watermark
                     FROM device d LEFT JOIN app_user u ON u.id = d.user_id
                     WHERE d.organisation_id = $1 ORDER BY d.created_at, d.id",
                    &[&organisation_id.to_string()],
                    device_info,
                )
                .await
            })
        })
        .await
    }

    async fn pull_for_device(
        &self,
        organisation_id: Uuid,
        pull: super::scope_sql::DevicePull,
    ) -> StoreResult<PullResponse> {
        let org = organisation_id.to_string();
        self.run(Mode::Write, move |db| {
            Box::pin(async move { super::scope_sql::pull_for_device(db, &org, pull).await })
        })
        .await
    }

    async fn may_download(
        &self,
        organisation_id: Uuid,
        device_id: Uuid,
        scoped: bool,
        sha256: &str,
    ) -> StoreResult<bool> {
        let (org, sha) = (organisation_id.to_string(), sha256.to_owned());
        self.run(Mode::Read, move |db| {
            Box::pin(async move {
                super::scope_sql::may_download(db, &org, device_id, scoped, &sha).await
            })
        })
        .await
    }

    async fn list_users(&self, organisation_id: Uuid) -> StoreResult<Vec<super::UserInfo>> {
        let org = organisation_id.to_string();
        self.run(Mode::Read, move |db| {
            Box::pin(async move {
                query_all(
                    db,
                    "SELECT id, username, role, disabled_at FROM app_user WHERE organisation_id = $1 ORDER BY username",
                    &[&org],
                    |r| Ok(super::UserInfo { id: uuid_col(&r.text(0)?)?, username: r.text(1)?, role: role_col(&r.text(2)?)?, disabled_at: r.opt_text(3)? }),
                )
                .await
            })
        })
        .await
    }

    async fn update_user(
        &self,
        organisation_id: Uuid,
        username: &str,
        change: super::UserChange,
    ) -> StoreResult<()> {
        let (org, name) = (organisation_id.to_string(), username.to_owned());
        self.run(Mode::Write, move |db| {
            Box::pin(async move {
                let now = now_text();
                let n = match &change {
                    super::UserChange::Role(role) => {
                        db.execute("UPDATE app_user SET role = $1 WHERE organisation_id = $2 AND username = $3", &[&role.as_str(), &org, &name]).await?
                    }
                    super::UserChange::Disabled(true) => {
                        let n = db
                            .execute("UPDATE app_user SET disabled_at = COALESCE(disabled_at, $1) WHERE organisation_id = $2 AND username = $3", &[&now, &org, &name])
                            .await?;
                        // Their devices stop syncing at once.
                        db.execute(
                            "UPDATE device SET revoked_at = COALESCE(revoked_at, $1) WHERE organisation_id = $2 AND user_id IN (SELECT id FROM app_user WHERE organisation_id = $2 AND username = $3)",
                            &[&now, &org, &name],
                        )
                        .await?;
                        n
                    }
                    super::UserChange::Disabled(false) => {
                        db.execute("UPDATE app_user SET disabled_at = NULL WHERE organisation_id = $1 AND username = $2", &[&org, &name]).await?
                    }
                    super::UserChange::PasswordHash(hash) => {
                        db.execute("UPDATE app_user SET password_hash = $1 WHERE organisation_id = $2 AND username = $3", &[hash, &org, &name]).await?
                    }
                };
                if n == 0 {
                    return Err(StoreError::NotFound(format!("no user {name:?} in this organisation; `fieldaudit-server user list` shows them")));
                }
                Ok(())
            })
        })
        .await
    }

    async fn revoke_device(&self, organisation_id: Uuid, device_id: Uuid) -> StoreResult<()> {
        self.run(Mode::Write, move |db| {
            Box::pin(async move {
                let n = db
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
            })
        })
        .await
    }

    async fn server_device(&self, organisation_id: Uuid) -> StoreResult<(Uuid, u64)> {
        let id = server_device_id(organisation_id);
        self.run(Mode::Write, move |db| {
            Box::pin(async move {
                let device = id.to_string();
                db.execute(
                    "INSERT INTO device (id, organisation_id, user_id, name, created_at) VALUES ($1, $2, NULL, 'server', $3)
                     ON CONFLICT (id) DO NOTHING",
                    &[&device, &organisation_id.to_string(), &now_text()],
                )
                .await?;
                let watermark = query_opt(
                    db,
                    "SELECT watermark FROM device WHERE id = $1",
                    &[&device],
                    single_int,
                )
                .await?
                .ok_or_else(|| StoreError::backend(format!("server device {id} vanished")))?;
                Ok((id, count_col(watermark)))
            })
        })
        .await
    }

    async fn push(
        &self,
        organisation_id: Uuid,
        device_id: Uuid,
        changes: &[Change],
        policy: &PushPolicy,
    ) -> StoreResult<PushResponse> {
        let (changes, policy) = (changes.to_vec(), policy.clone());
        self.run(Mode::Write, move |db| {
            Box::pin(
                async move { push_tx(db, organisation_id, device_id, &changes, &policy).await },
            )
        })
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
        let org = organisation_id.to_string();
        // No device id is the empty string, so `<> ''` leaves nothing out.
        let exclude = exclude_device.map(|d| d.to_string()).unwrap_or_default();
        let (tail, rows) = self
            .run(Mode::Read, move |db| {
                Box::pin(async move {
                    // The tail first: every change up to it is visible to the page's
                    // statement (one snapshot on SQLite; on PostgreSQL server_seq
                    // order is commit order), which bound_page needs.
                    let tail = query_opt(
                        db,
                        "SELECT coalesce(max(server_seq), 0) FROM change_log WHERE organisation_id = $1",
                        &[&org],
                        single_int,
                    )
                    .await?
                    .unwrap_or(0);
                    let rows = query_all(
                        db,
                        "SELECT server_seq, device_id, device_seq, hlc, entity, row_id, field, value FROM change_log
                         WHERE organisation_id = $1 AND server_seq > $2 AND device_id <> $4 ORDER BY server_seq LIMIT $3",
                        &[&org, &after_i, &(i64::from(limit) + 1), &exclude],
                        pulled_change,
                    )
                    .await?;
                    Ok((count_col(tail), rows))
                })
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
        self.run(Mode::Read, move |db| {
            Box::pin(async move {
                query_opt(
                    db,
                    "SELECT value, hlc, device_id FROM field_state
                     WHERE organisation_id = $1 AND entity = $2 AND row_id = $3 AND field = $4",
                    &[
                        &organisation_id.to_string(),
                        &entity,
                        &row_id.to_string(),
                        &field,
                    ],
                    field_value,
                )
                .await
            })
        })
        .await
    }

    async fn current_rows(
        &self,
        organisation_id: Uuid,
        entity: &str,
    ) -> StoreResult<Vec<CurrentRow>> {
        let entity = entity.to_owned();
        let fields = self
            .run(Mode::Read, move |db| {
                Box::pin(async move {
                    query_all(
                        db,
                        "SELECT row_id, field, value, hlc FROM field_state
                         WHERE organisation_id = $1 AND entity = $2 ORDER BY row_id, field",
                        &[&organisation_id.to_string(), &entity],
                        field_of_row,
                    )
                    .await
                })
            })
            .await?;
        Ok(group_rows(fields))
    }

    async fn put_template(&self, t: &StoredTemplate) -> StoreResult<()> {
        let t = t.clone();
        self.run(Mode::Write, move |db| {
            Box::pin(async move {
                db.execute(
                    "INSERT INTO template (id, version, title, body) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (id, version) DO UPDATE SET title = excluded.title, body = excluded.body",
                    &[&t.id, &t.version, &t.title, &t.body.to_string()],
                )
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn list_templates(&self) -> StoreResult<Vec<TemplateSummary>> {
        self.run(Mode::Read, |db| {
            Box::pin(async move {
                query_all(
                    db,
                    "SELECT id, version, title FROM template ORDER BY id, version",
                    &[],
                    template_summary,
                )
                .await
            })
        })
        .await
    }

    async fn template(&self, id: &str, version: &str) -> StoreResult<Option<serde_json::Value>> {
        let (id, version) = (id.to_owned(), version.to_owned());
        self.run(Mode::Read, move |db| {
            Box::pin(async move {
                query_opt(
                    db,
                    "SELECT body FROM template WHERE id = $1 AND version = $2",
                    &[&id, &version],
                    template_body,
                )
                .await
            })
        })
        .await
    }
}
