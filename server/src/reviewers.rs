//! Reviewer public keys of an organisation (the `reviewer add|remove|list` admin
//! commands). Worker interviews are sealed on the devices to every current
//! reviewer key; the keys reach the devices as ordinary `reviewer_key` rows written
//! as changes of the organisation's server-side device ([`push_as_server_device`],
//! the same path the facility import uses). Only public keys ever reach the
//! server: reviewers make their key pair on their own machine
//! (`fieldaudit reviewer keygen`).

use fieldaudit_protocol::{Change, Clock, EntityKind, PushResponse};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::store::{CurrentRow, ServerStore};
use crate::sync::PushPolicy;

/// Writes `(row_id, field, value)` ops of `entity` as changes of the
/// organisation's server device, stamped after `newest` (so they win the merge
/// even if a device's clock ran ahead), and fails if the store refuses any.
pub async fn push_as_server_device(
    store: &dyn ServerStore,
    organisation_id: Uuid,
    entity: EntityKind,
    newest: Option<fieldaudit_protocol::Hlc>,
    ops: Vec<(Uuid, &str, Value)>,
) -> anyhow::Result<PushResponse> {
    let (device, watermark) = store.server_device(organisation_id).await?;
    let clock = Clock::new(device, newest);
    let changes: Vec<Change> = ops
        .into_iter()
        .enumerate()
        .map(|(i, (row_id, field, value))| Change {
            device_seq: watermark + 1 + i as u64,
            hlc: clock.now(),
            entity: entity.as_str().into(),
            row_id,
            field: field.to_owned(),
            value,
        })
        .collect();
    let pushed = store
        .push(organisation_id, device, &changes, &PushPolicy::default())
        .await?;
    if let Some(r) = pushed.rejected.first() {
        anyhow::bail!(
            "the server refused {} of the {entity} values, e.g. change {}: {}",
            pushed.rejected.len(),
            r.device_seq,
            r.message
        );
    }
    Ok(pushed)
}

/// A registered reviewer key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewerKeyInfo {
    /// Row id (give it to `reviewer remove`).
    pub id: Uuid,
    /// Reviewer's display name.
    pub reviewer: String,
    /// `age1…` public key.
    pub public_key: String,
    /// Whether new interviews are still sealed to it.
    pub current: bool,
}

fn info(row: &CurrentRow) -> Option<ReviewerKeyInfo> {
    let f = &row.fields;
    if f.get("deleted").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    Some(ReviewerKeyInfo {
        id: row.row_id,
        reviewer: f.get("reviewer").and_then(Value::as_str).unwrap_or_default().to_owned(),
        public_key: f.get("public_key").and_then(Value::as_str).unwrap_or_default().to_owned(),
        current: f.get("revoked").and_then(Value::as_bool) != Some(true),
    })
}

/// The organisation's reviewer keys (removed ones shown as not current).
pub async fn list_reviewer_keys(store: &dyn ServerStore, org_slug: &str) -> anyhow::Result<Vec<ReviewerKeyInfo>> {
    let org = crate::admin::organisation(store, org_slug).await?;
    Ok(store.current_rows(org.id, EntityKind::ReviewerKey.as_str()).await?.iter().filter_map(info).collect())
}

/// Registers a reviewer's public key: devices seal interviews finalised after
/// their next sync to it. The key is checked to be an `age` X25519 public key
/// (`age1…`); a private key given by mistake is refused without being stored.
pub async fn add_reviewer_key(store: &dyn ServerStore, org_slug: &str, reviewer: &str, public_key: &str) -> anyhow::Result<ReviewerKeyInfo> {
    let public_key = public_key.trim();
    if public_key.to_ascii_uppercase().starts_with("AGE-SECRET-KEY") {
        anyhow::bail!("that is a private key: it must never leave the reviewer's machine. Give the public key (age1…) printed by `fieldaudit reviewer keygen`, and have the reviewer make a new key pair, since this one was exposed");
    }
    let recipient = fieldaudit_reviewer_key::parse_recipient(public_key)?;
    let public_key = recipient.to_string();
    let reviewer = reviewer.trim();
    if reviewer.is_empty() || reviewer.chars().count() > 100 {
        anyhow::bail!("give the reviewer's name (1 to 100 characters)");
    }
    let org = crate::admin::organisation(store, org_slug).await?;
    let rows = store.current_rows(org.id, EntityKind::ReviewerKey.as_str()).await?;
    if let Some(existing) = rows.iter().filter_map(info).find(|k| k.public_key == public_key && k.current) {
        anyhow::bail!("this key is already registered for {} (id {})", existing.reviewer, existing.id);
    }
    let newest = rows.iter().map(|r| r.newest).max();
    let id = Uuid::now_v7();
    let ops = vec![
        (id, "public_key", json!(public_key)),
        (id, "reviewer", json!(reviewer)),
        (id, "revoked", json!(false)),
        (id, "deleted", json!(false)),
    ];
    push_as_server_device(store, org.id, EntityKind::ReviewerKey, newest, ops).await?;
    Ok(ReviewerKeyInfo { id, reviewer: reviewer.to_owned(), public_key, current: true })
}

/// Removes a reviewer key (by row id or by the public key itself): interviews
/// finalised after the devices' next sync are no longer sealed to it. Interviews
/// sealed before stay readable with it — re-sealing needs a reviewer's key.
pub async fn remove_reviewer_key(store: &dyn ServerStore, org_slug: &str, key: &str) -> anyhow::Result<ReviewerKeyInfo> {
    let org = crate::admin::organisation(store, org_slug).await?;
    let rows = store.current_rows(org.id, EntityKind::ReviewerKey.as_str()).await?;
    let key = key.trim();
    let found = rows
        .iter()
        .filter_map(info)
        .find(|k| k.current && (k.id.to_string() == key.to_ascii_lowercase() || k.public_key == key))
        .ok_or_else(|| anyhow::anyhow!("no current reviewer key {key:?} in {org_slug}; see `fieldaudit-server reviewer list --org {org_slug}`"))?;
    let newest = rows.iter().map(|r| r.newest).max();
    push_as_server_device(store, org.id, EntityKind::ReviewerKey, newest, vec![(found.id, "revoked", json!(true))]).await?;
    Ok(ReviewerKeyInfo { current: false, ..found })
}
