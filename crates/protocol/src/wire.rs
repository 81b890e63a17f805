//! JSON bodies exchanged between a device and the server.
//!
//! A device pushes its [`Change`]s in `device_seq` order after the watermark the
//! server last acknowledged; the server answers the new watermark and any
//! [`Rejection`]s. A device pulls [`PulledChange`]s in server order after a cursor.
//! Every API error is an [`ApiError`] with a stable `code` and a human message.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::{merge::Version, Hlc};

/// One field of one row set to one value, as recorded in a device's change log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Position in the writing device's log: 1, 2, 3… with no gaps.
    pub device_seq: u64,
    /// When it was written (hybrid logical clock).
    pub hlc: Hlc,
    /// Entity name from the registry, e.g. `"answer"`. A string, not an enum, so an
    /// unknown entity rejects one op instead of the whole batch.
    pub entity: String,
    /// The row's id (UUIDv7 made on the device, or UUIDv5 for derived rows).
    pub row_id: Uuid,
    /// Field name from the registry.
    pub field: String,
    /// The new value; `null` clears the field.
    pub value: Value,
}

/// `POST /api/v1/sync/push` body. The device is the one the bearer token belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    /// Changes in increasing `device_seq`, starting right after the acknowledged watermark.
    pub changes: Vec<Change>,
}

/// `POST /api/v1/sync/push` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    /// The highest `device_seq` the server has processed (applied or rejected) for this device.
    pub watermark: u64,
    /// How many ops of this batch were newly applied (duplicates are not counted).
    pub applied: u64,
    /// Ops the server refused, with reasons. They still count towards the watermark:
    /// the device moves them to its quarantine. An op sent again (the answer to its
    /// first push was lost) is answered with the refusal recorded then.
    pub rejected: Vec<Rejection>,
}

/// Why the server refused one op.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// The entity is not in the registry.
    UnknownEntity,
    /// The field is not in the entity's registry entry.
    UnknownField,
    /// The value does not fit the field's type.
    InvalidValue,
    /// The row belongs to another organisation.
    Forbidden,
    /// The HLC is further in the future than the server allows.
    ClockSkew,
    /// The op changes what a sign-off covers while the audit is signed off
    /// ([`crate::lock`]): reopen the audit for correction to take it in, or drop it.
    AuditSigned,
}

/// One refused op.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The op's `device_seq`.
    pub device_seq: u64,
    /// Machine-readable reason.
    pub code: RejectCode,
    /// What is wrong, for a person.
    pub message: String,
}

/// A change as the server hands it out, in server order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PulledChange {
    /// Position in the server's log for this organisation (strictly increasing).
    pub server_seq: u64,
    /// The device that wrote the change.
    pub device_id: Uuid,
    /// The change itself.
    #[serde(flatten)]
    pub change: Change,
}

impl PulledChange {
    /// The merge version of this change.
    pub fn version(&self) -> Version {
        Version {
            hlc: self.change.hlc,
            device_id: self.device_id,
        }
    }
}

/// `GET /api/v1/sync/pull` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Changes of other devices after the requested cursor, in server order (the
    /// requesting device's own are not sent: it has them).
    pub changes: Vec<PulledChange>,
    /// The cursor to ask for next: the last `server_seq` returned or, on the last
    /// page, the organisation's newest `server_seq` (past own changes not sent).
    /// Never less than the request's.
    pub next_cursor: u64,
    /// Whether more changes remain after `next_cursor`. Clients keep pulling while
    /// it is true, even after an empty page.
    pub more: bool,
    /// For a device that receives only its audits: the current state (latest value
    /// of every field) of the audits it newly holds (`scope.added`), however old
    /// their history. Applied with the same merge rule as `changes`; their
    /// `server_seq` is 0 (they do not move the cursor).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backfill: Vec<PulledChange>,
    /// For a device that receives only its audits: what changed in the set it
    /// holds ([`crate::scope::ScopeUpdate`]). Absent for reviewers and admins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<crate::scope::ScopeUpdate>,
}

/// The body of every error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable machine-readable code, e.g. `"unauthorized"`, `"payload_too_large"`.
    pub code: String,
    /// What happened and what to do, for a person.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pulled_change_is_flat_json() {
        let c = PulledChange {
            server_seq: 7,
            device_id: Uuid::nil(),
            change: Change {
                device_seq: 3,
                hlc: Hlc(42),
                entity: "answer".into(),
                row_id: Uuid::nil(),
                field: "note".into(),
                value: json!("ok"),
            },
        };
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["server_seq"], 7);
        assert_eq!(v["hlc"], "000000000000002a");
        assert_eq!(v["field"], "note");
        let back: PulledChange = serde_json::from_value(v).unwrap();
        assert_eq!(back, c);
    }
}
