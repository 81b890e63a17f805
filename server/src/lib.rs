//! `fieldaudit-server`: the FieldAudit sync server.
//!
//! Devices sign in ([`auth`]), push their change logs and pull their
//! organisation's changes ([`sync`], [`http`]), upload attachments by SHA-256
//! ([`attachments`]) and fetch checklist templates. Everything is kept behind the
//! [`store::ServerStore`] trait, with an embedded SQLite backend (the default) and a
//! PostgreSQL backend for several servers on one database. [`admin`] holds what the
//! binary's administration subcommands do; [`teams`] plans audits and assigns
//! their teams; [`scope`] decides which audit each pushed row belongs to, who may
//! write it, and which audits a device holds.

pub mod admin;
pub mod attachments;
pub mod auth;
pub mod backup;
pub mod error;
pub mod http;
pub mod import;
pub mod metrics;
pub mod openapi;
pub mod reviewers;
pub mod scope;
pub mod signed;
pub mod storage;
pub mod store;
pub mod sync;
pub mod sync_file;
pub mod teams;
pub mod templates;
pub mod throttle;

use std::time::Duration;

pub use error::{PushError, StoreError};
pub use http::ApiFailure;
pub use http::{router, AppState};
pub use store::ServerStore;

/// Limits and policies of a running server.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Largest request body (after decompression) for JSON endpoints.
    pub max_body_bytes: usize,
    /// Largest attachment upload.
    pub max_attachment_bytes: usize,
    /// How far ahead of the server's clock a pushed HLC may be.
    pub max_clock_skew: Duration,
    /// How long a device token works after sign-in.
    pub token_ttl: Duration,
    /// About how many bytes of JSON one pull page may hold.
    pub pull_max_bytes: usize,
    /// How failed sign-ins are throttled ([`throttle`]).
    pub sign_in_throttle: throttle::ThrottlePolicy,
    /// Reverse proxies / load balancers whose `X-Forwarded-For` is believed for
    /// the client's address (none: the socket's peer is the client).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_body_bytes: 16 * 1024 * 1024,
            max_attachment_bytes: 50 * 1024 * 1024,
            max_clock_skew: Duration::from_secs(600),
            token_ttl: http::DEFAULT_TOKEN_TTL,
            pull_max_bytes: sync::DEFAULT_PULL_MAX_BYTES,
            sign_in_throttle: throttle::ThrottlePolicy::default(),
            trusted_proxies: Vec::new(),
        }
    }
}

/// Parses a duration such as `600`, `90s`, `10m`, `2h` or `7d` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration; write e.g. 600, 90s, 10m, 2h or 7d"))?;
    let secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{s:?}: unknown unit {unit:?}; use s, m, h or d")),
    };
    n.checked_mul(secs)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{s:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("600"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("ten minutes").is_err());
        assert!(parse_duration("5y").is_err());
    }
}
