//! HTTP calls to the sync server, with retries.
//!
//! Transient failures (no connection, timeouts, 5xx, 429, a response cut short or
//! garbled) are retried with exponential backoff and full jitter; a definite answer
//! (4xx) is not. Request bodies are zstd-compressed; responses may be zstd or gzip.

use std::time::Duration;

use chrono::{DateTime, Utc};
use fieldaudit_protocol::api::{Health, LoginRequest, LoginResponse, WhoAmI};
use fieldaudit_protocol::{ApiError, Change, PullResponse, PushRequest, PushResponse};
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::{CoreError, Result};

/// How often and how patiently to retry transient failures.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts per request, including the first.
    pub attempts: u32,
    /// Delay before the first retry; doubles each time (with full jitter).
    pub base_delay: Duration,
    /// Longest delay between attempts.
    pub max_delay: Duration,
    /// Timeout of one request.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            timeout: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    fn delay(&self, attempt: u32) -> Duration {
        let cap = self
            .base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay);
        cap.mul_f64(fastrand::f64())
    }
}

/// One failed attempt: retry it, or give up with this error.
enum Failure {
    Transient(String),
    Final(CoreError),
}

/// A connection to one server, optionally signed in.
pub(crate) struct Api {
    base: String,
    token: Option<String>,
    http: Client,
    retry: RetryPolicy,
}

/// The server's clock, read from a response's `Date` header.
pub(crate) type ServerTime = Option<DateTime<Utc>>;

impl Api {
    pub fn new(base: &str, token: Option<String>, retry: RetryPolicy) -> Result<Api> {
        let base = base.trim().trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base).map_err(|e| {
            CoreError::Invalid(format!(
                "{base:?} is not a server address ({e}); write it like https://audit.example.org"
            ))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(CoreError::Invalid(format!(
                "{base:?} is not an http(s) address; write it like https://audit.example.org"
            )));
        }
        let http = Client::builder()
            .timeout(retry.timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("fieldaudit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CoreError::Invalid(format!("cannot set up HTTP: {e}")))?;
        Ok(Api {
            base,
            token,
            http,
            retry,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn authed(&self, rb: RequestBuilder) -> RequestBuilder {
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or attempts run out.
    fn with_retry<T>(
        &self,
        mut attempt: impl FnMut() -> std::result::Result<T, Failure>,
    ) -> Result<T> {
        let mut last = String::new();
        for n in 0..self.retry.attempts {
            if n > 0 {
                std::thread::sleep(self.retry.delay(n - 1));
            }
            match attempt() {
                Ok(v) => return Ok(v),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Transient(why)) => last = why,
            }
        }
        Err(CoreError::Offline {
            url: self.base.clone(),
            reason: last,
        })
    }

    /// Sends, and sorts the answer into success, transient or final failure.
    fn send(&self, rb: RequestBuilder) -> std::result::Result<Response, Failure> {
        self.send_allowing(rb, false)
    }

    /// Like `send`; with `not_found_is_answer`, a 404 is returned as a response
    /// (HEAD of an attachment: "not there" is an answer, not an error).
    fn send_allowing(
        &self,
        rb: RequestBuilder,
        not_found_is_answer: bool,
    ) -> std::result::Result<Response, Failure> {
        let resp = self
            .authed(rb)
            .send()
            .map_err(|e| Failure::Transient(describe(&e)))?;
        let status = resp.status();
        if status.is_success() || (not_found_is_answer && status == StatusCode::NOT_FOUND) {
            return Ok(resp);
        }
        if status.is_server_error()
            || status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::REQUEST_TIMEOUT
        {
            return Err(Failure::Transient(format!("server answered {status}")));
        }
        let body = resp.text().unwrap_or_default();
        let err: ApiError = serde_json::from_str(&body).unwrap_or_else(|_| ApiError {
            code: status.as_str().to_owned(),
            message: body.chars().take(300).collect(),
        });
        if status == StatusCode::UNAUTHORIZED && self.token.is_some() {
            return Err(Failure::Final(CoreError::SignedOut(format!(
                "{} — sign in again to sync",
                err.message
            ))));
        }
        Err(Failure::Final(CoreError::Server {
            status: status.as_u16(),
            code: err.code,
            message: err.message,
        }))
    }

    fn json<T: DeserializeOwned>(
        &self,
        make: impl Fn() -> RequestBuilder,
    ) -> Result<(T, ServerTime)> {
        self.with_retry(|| {
            let resp = self.send(make())?;
            let date = server_time(&resp);
            // A body cut short or garbled in transit is worth another try.
            let bytes = resp.bytes().map_err(|e| Failure::Transient(describe(&e)))?;
            let value = serde_json::from_slice(&bytes)
                .map_err(|e| Failure::Transient(format!("unreadable answer: {e}")))?;
            Ok((value, date))
        })
    }

    pub fn login(&self, req: &LoginRequest) -> Result<LoginResponse> {
        Ok(self
            .json(|| self.http.post(self.url("/api/v1/auth/login")).json(req))?
            .0)
    }

    /// Asks the server to revoke this device's token (sign out).
    pub fn logout(&self) -> Result<()> {
        self.with_retry(|| {
            self.send(self.http.post(self.url("/api/v1/auth/logout")))
                .map(drop)
        })
    }

    /// The server's version and protocol version (`GET /healthz`).
    pub fn health(&self) -> Result<Health> {
        Ok(self.json(|| self.http.get(self.url("/healthz")))?.0)
    }

    pub fn me(&self) -> Result<(WhoAmI, ServerTime)> {
        self.json(|| self.http.get(self.url("/api/v1/auth/me")))
    }

    pub fn push(&self, changes: &[Change]) -> Result<(PushResponse, u64)> {
        let body = serde_json::to_vec(&PushRequest {
            changes: changes.to_vec(),
        })
        .map_err(|e| CoreError::Invalid(e.to_string()))?;
        let compressed = zstd::encode_all(body.as_slice(), 3)
            .map_err(|e| CoreError::io("cannot compress the push", e))?;
        let sent = compressed.len() as u64;
        let resp = self.json(|| {
            self.http
                .post(self.url("/api/v1/sync/push"))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(reqwest::header::CONTENT_ENCODING, "zstd")
                .body(compressed.clone())
        })?;
        Ok((resp.0, sent))
    }

    /// One page of other devices' changes after `after`; with `include_own`, this
    /// device's own changes too (the server leaves them out otherwise).
    pub fn pull(
        &self,
        after: u64,
        limit: u32,
        include_own: bool,
        scope: u64,
    ) -> Result<PullResponse> {
        let query = [
            ("after", after.to_string()),
            ("limit", limit.to_string()),
            ("include_own", include_own.to_string()),
            ("scope", scope.to_string()),
        ];
        Ok(self
            .json(|| self.http.get(self.url("/api/v1/sync/pull")).query(&query))?
            .0)
    }

    /// Whether the server already has this attachment.
    pub fn has_attachment(&self, sha256: &str) -> Result<bool> {
        self.with_retry(|| {
            Ok(self
                .send_allowing(
                    self.http
                        .head(self.url(&format!("/api/v1/attachments/{sha256}"))),
                    true,
                )?
                .status()
                .is_success())
        })
    }

    pub fn upload_attachment(&self, sha256: &str, bytes: &[u8]) -> Result<()> {
        self.with_retry(|| {
            self.send(
                self.http
                    .put(self.url(&format!("/api/v1/attachments/{sha256}")))
                    .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                    .body(bytes.to_vec()),
            )
            .map(drop)
        })
    }

    /// Downloads an attachment and checks it has the digest asked for.
    pub fn download_attachment(&self, sha256: &str) -> Result<Vec<u8>> {
        self.with_retry(|| {
            let resp = self.send(
                self.http
                    .get(self.url(&format!("/api/v1/attachments/{sha256}"))),
            )?;
            let bytes = resp.bytes().map_err(|e| Failure::Transient(describe(&e)))?;
            if crate::attachments::sha256_hex(&bytes) != sha256 {
                return Err(Failure::Transient(format!(
                    "attachment {sha256} arrived damaged"
                )));
            }
            Ok(bytes.to_vec())
        })
    }
}

fn server_time(resp: &Response) -> ServerTime {
    let date = resp.headers().get(reqwest::header::DATE)?.to_str().ok()?;
    DateTime::parse_from_rfc2822(date)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

fn describe(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}
