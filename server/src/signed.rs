//! Signed audits stay as signed on the server: before a batch is applied, the ops
//! that change what a standing sign-off covers are found with the protocol's one
//! rule ([`fieldaudit_protocol::lock::check_batch`], the same the device's store
//! runs) and refused with `audit_signed`; the device keeps them in its quarantine
//! with that reason.
//!
//! The rule reads current field values (a row's audit, the audit's `locked`
//! flag); they are fetched through [`ServerStore::field_value`], so both backends
//! share this code and no store SQL is involved. The values are read just before
//! the push transaction: a sign-off landing in between is the same race as one
//! landing just after, which the device resolves by reopening.

use std::collections::HashMap;

use fieldaudit_protocol::{lock, Change, EntityKind, PushResponse};
use serde_json::Value;
use uuid::Uuid;

use crate::store::{ServerStore, StoreResult};
use crate::sync::PushPolicy;

/// How many rounds of fetching a batch may need (row → parent → audit → lock).
const MAX_ROUNDS: usize = 6;

/// The ops of `changes` refused because their audit is signed off: device_seq → audit.
pub async fn signed_refusals(
    store: &dyn ServerStore,
    organisation_id: Uuid,
    changes: &[Change],
) -> StoreResult<HashMap<u64, Uuid>> {
    if !changes
        .iter()
        .any(|c| EntityKind::parse(&c.entity).is_some_and(|e| lock::audit_link(e).is_some()))
    {
        return Ok(HashMap::new());
    }
    let mut known: HashMap<(EntityKind, Uuid, String), Value> = HashMap::new();
    for _ in 0..MAX_ROUNDS {
        let check = lock::check_batch(changes, &|e, r, f| {
            known.get(&(e, r, f.to_owned())).cloned()
        });
        if check.missing.is_empty() {
            return Ok(check.refused.into_iter().collect());
        }
        for (e, r, f) in check.missing {
            let v = store
                .field_value(organisation_id, e.as_str(), r, &f)
                .await?
                .map(|v| v.value)
                .unwrap_or(Value::Null);
            known.insert((e, r, f), v);
        }
    }
    // Unreachable with the registry's links; refuse nothing rather than guess.
    Ok(HashMap::new())
}

/// Pushes a batch after finding the ops its signed audits refuse.
pub async fn push(
    store: &dyn ServerStore,
    organisation_id: Uuid,
    device_id: Uuid,
    changes: &[Change],
    policy: &PushPolicy,
) -> StoreResult<PushResponse> {
    let mut policy = policy.clone();
    policy.signed_refusals = signed_refusals(store, organisation_id, changes).await?;
    store
        .push(organisation_id, device_id, changes, &policy)
        .await
}
