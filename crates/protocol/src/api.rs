//! JSON bodies of the server's account and template endpoints (besides sync).
//!
//! A device signs in once with [`LoginRequest`] and keeps the bearer token of the
//! [`LoginResponse`]; every other call sends it as `Authorization: Bearer <token>`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::closed_sets::Role;

/// `POST /api/v1/auth/login` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    /// The organisation's slug, e.g. `"acme-audits"`.
    pub organisation: String,
    /// The user's name within the organisation.
    pub username: String,
    /// The user's password.
    pub password: String,
    /// The device's own id (it stamps its changes and its clock with it).
    pub device_id: Uuid,
    /// A name for the device that an administrator will recognise, e.g. "Rina's laptop".
    pub device_name: String,
}

/// `POST /api/v1/auth/login` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// The bearer token for this device. Shown once; the server keeps only its hash.
    pub token: String,
    /// The device the token belongs to.
    pub device_id: Uuid,
    /// The signed-in user's id.
    pub user_id: Uuid,
    /// The signed-in user's name.
    pub user: String,
    /// The user's role.
    pub role: Role,
    /// The organisation's slug.
    pub organisation: String,
    /// The device's acknowledged push watermark (0 for a new device): push after it.
    pub watermark: u64,
}

/// `GET /api/v1/auth/me` answer: who a token belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoAmI {
    /// The device the token belongs to.
    pub device_id: Uuid,
    /// The signed-in user's id.
    pub user_id: Uuid,
    /// The user's role.
    pub role: Role,
    /// The organisation's slug.
    pub organisation: String,
    /// The device's acknowledged push watermark.
    pub watermark: u64,
}

/// One entry of `GET /api/v1/templates`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSummary {
    /// The template's id.
    pub id: String,
    /// The template's version.
    pub version: String,
    /// The template's title (English).
    pub title: String,
}

/// `GET /healthz` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `"ok"` when the database answers.
    pub status: String,
    /// Which database backend the server runs on: `"sqlite"` or `"postgres"`.
    pub backend: String,
    /// The server's version.
    pub version: String,
    /// The sync protocol version the server speaks ([`crate::PROTOCOL_VERSION`] of
    /// its build). Missing from servers older than the field: read as 1.
    #[serde(default = "first_protocol_version")]
    pub protocol_version: u32,
}

fn first_protocol_version() -> u32 {
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_by_name_and_json() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(
                serde_json::to_value(role).unwrap(),
                serde_json::json!(role.as_str())
            );
        }
        assert_eq!(Role::parse("boss"), None);
        assert!(serde_json::from_str::<Role>("\"boss\"").is_err());
    }
}
