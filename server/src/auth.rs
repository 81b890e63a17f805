//! Accounts and device tokens: argon2 password hashes, random bearer tokens kept
//! only as SHA-256, sign-in ([`login`], throttled by [`crate::throttle`]'s rule
//! over failure counters kept in the store, shared by every server) and token
//! checks ([`authenticate`]).

use std::net::IpAddr;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::Argon2;
use axum::http::StatusCode;
use fieldaudit_protocol::api::{LoginRequest, LoginResponse};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::http::ApiFailure;
use crate::store::{DeviceAuth, DeviceRegistration, ServerStore, SignInAttempt};

/// A hash to verify against when the user does not exist.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("no such user, no such password").unwrap_or_default());

/// Argon2 runs allowed at once in this process: each needs about 19 MiB
/// (`Argon2::default()`). Freed, that memory stayed with the allocator's arena of
/// the thread that used it, so a burst of sign-ins on many blocking threads drove
/// the server's resident memory up (451 MiB after 200 concurrent sign-ins,
/// BENCHMARKS.md scenario 6). So sign-ins verify in one of a few reused buffers
/// ([`MEMORY`]), one per permit. More at once than there are cores would not
/// finish sooner anyway.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(hashing_permits()));

/// How many argon2 runs [`run_argon2`] allows at once: the number of CPUs, at least 2.
pub fn hashing_permits() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(2)
}

/// Runs an argon2 computation (`hash_password`, `verify_password`) on a blocking
/// thread, waiting first while [`hashing_permits`] others are running.
pub async fn run_argon2<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiFailure> {
    let _permit = HASHING.acquire().await.map_err(ApiFailure::internal)?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiFailure::internal)
}

/// Hashes a password with argon2id (PHC string with its own random salt).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash password: {e}"))
}

/// Argon2 working memory kept for reuse between sign-ins: at most one buffer per
/// [`HASHING`] permit is ever in use, so the pool never grows past that.
static MEMORY: Mutex<Vec<Vec<argon2::Block>>> = Mutex::new(Vec::new());

/// Whether `password` matches the stored PHC hash (false for a malformed hash).
/// Computes the hash in a pooled buffer ([`MEMORY`]) instead of a fresh 19 MiB
/// allocation per sign-in; the comparison is constant-time.
pub fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let Some(expected) = parsed.hash else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        argon2::Algorithm::try_from(parsed.algorithm),
        argon2::Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Some(salt) = parsed.salt else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut memory = MEMORY
        .lock()
        .ok()
        .and_then(|mut pool| pool.pop())
        .unwrap_or_default();
    memory.resize(params.block_count(), argon2::Block::default());
    let mut out = vec![0u8; expected.len()];
    let computed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        &mut out,
        &mut memory,
    );
    if let Ok(mut pool) = MEMORY.lock() {
        if pool.len() < hashing_permits() {
            pool.push(memory);
        }
    }
    // `Output` compares in constant time.
    computed.is_ok() && argon2::password_hash::Output::new(&out).is_ok_and(|o| o == expected)
}

/// A new bearer token: 32 random bytes as 64 hex digits.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The SHA-256 (hex) of a token: the only form the server stores.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The smallest acceptable password.
pub const MIN_PASSWORD_LEN: usize = 8;

/// Checks a new password; says what is wrong.
pub fn check_new_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(format!(
            "the password must have at least {MIN_PASSWORD_LEN} characters"
        ));
    }
    Ok(())
}

/// Where a sign-in comes from and how it is throttled.
#[derive(Clone, Copy, Debug)]
pub struct SignInContext<'a> {
    /// The client's address ([`crate::throttle::client_address`]).
    pub client: IpAddr,
    /// The policy.
    pub policy: &'a crate::throttle::ThrottlePolicy,
}

fn invalid_credentials() -> ApiFailure {
    ApiFailure::unauthorized(
        "invalid_credentials",
        "organisation, user name or password is wrong; check them and try again",
    )
}

/// Signs a device in: checks the password, issues a new token for the device and
/// stores its hash. The same message answers an unknown organisation, user or
/// wrong password, so sign-in does not reveal which accounts exist. A throttled
/// attempt (429 `sign_in_throttled` with `Retry-After`) is answered before the
/// password is looked at.
pub async fn login(
    store: &dyn ServerStore,
    req: LoginRequest,
    token_ttl: Duration,
    ctx: SignInContext<'_>,
) -> Result<LoginResponse, ApiFailure> {
    // PostgreSQL text cannot hold NUL; such input is simply wrong, so say so.
    for (what, value) in [
        ("organisation", &req.organisation),
        ("username", &req.username),
        ("password", &req.password),
        ("device_name", &req.device_name),
    ] {
        if value.contains('\0') {
            return Err(ApiFailure::bad_request(
                "invalid_request",
                format!("{what} must not contain NUL characters"),
            ));
        }
    }
    let device_name = req.device_name.trim();
    if device_name.is_empty() || device_name.chars().count() > 200 {
        return Err(ApiFailure::bad_request(
            "invalid_request",
            "device_name must be 1 to 200 characters",
        ));
    }
    if req.device_id.is_nil() {
        return Err(ApiFailure::bad_request(
            "invalid_request",
            "device_id must not be the nil UUID",
        ));
    }
    let attempt = SignInAttempt {
        organisation: req.organisation.clone(),
        username: req.username.clone(),
        device_id: req.device_id,
        keys: crate::throttle::keys(&req.organisation, &req.username, ctx.client).to_vec(),
        policy: ctx.policy.clone(),
        now: chrono::Utc::now(),
    };
    // Counted as a failure from here on; taken back once the password is right.
    let start = store.begin_sign_in(&attempt).await?;
    if let crate::throttle::Verdict::Throttled { counter, until, retry_after } = start.verdict {
        let secs = crate::throttle::retry_after_secs(retry_after);
        tracing::warn!(organisation = %req.organisation, user = %req.username, client = %ctx.client,
            counter = counter.as_str(), retry_after_secs = secs, "sign-in throttled");
        return Err(ApiFailure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "sign_in_throttled",
            crate::throttle::throttled_message(retry_after, until),
        )
        .with_retry_after(secs));
    }
    let candidate = store
        .login_candidate(&req.organisation, &req.username)
        .await?;
    let Some(candidate) = candidate else {
        // Spend the same time as a real check, so timing does not reveal which accounts exist.
        let password = req.password.clone();
        let _ = run_argon2(move || verify_password(&password, &DUMMY_HASH)).await;
        store.finish_sign_in(&attempt, &start.before, false).await?;
        return Err(invalid_credentials());
    };
    let (password, hash) = (req.password.clone(), candidate.password_hash.clone());
    let ok = run_argon2(move || verify_password(&password, &hash)).await?;
    store.finish_sign_in(&attempt, &start.before, ok).await?;
    if !ok {
        return Err(invalid_credentials());
    }
    let token = new_token();
    let ttl = chrono::Duration::from_std(token_ttl).unwrap_or(chrono::Duration::days(365));
    let watermark = store
        .register_device(&DeviceRegistration {
            device_id: req.device_id,
            organisation_id: candidate.organisation.id,
            user_id: candidate.user.id,
            name: device_name.to_owned(),
            token_hash: token_hash(&token),
            token_expires_at: chrono::Utc::now() + ttl,
        })
        .await?;
    tracing::info!(organisation = %candidate.organisation.slug, user = %candidate.user.username, device = %req.device_id, "device signed in");
    Ok(LoginResponse {
        token,
        device_id: req.device_id,
        user_id: candidate.user.id,
        user: candidate.user.username,
        role: candidate.user.role,
        organisation: candidate.organisation.slug,
        watermark,
    })
}

/// The device an `Authorization` header value belongs to, or the 401 to answer.
pub async fn authenticate(
    store: &dyn ServerStore,
    header: Option<&str>,
) -> Result<DeviceAuth, ApiFailure> {
    let Some(header) = header else {
        return Err(ApiFailure::unauthorized(
            "missing_token",
            "this endpoint needs an Authorization: Bearer <token> header; sign in to get a token",
        ));
    };
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiFailure::unauthorized(
                "invalid_token",
                "the Authorization header must be \"Bearer <token>\"",
            )
        })?;
    let device = store.device_for_token(&token_hash(token)).await?.ok_or_else(|| {
        ApiFailure::unauthorized("invalid_token", "this token is not valid (it may have been replaced by a newer sign-in); sign in again")
    })?;
    if device.user_disabled {
        return Err(ApiFailure::unauthorized(
            "account_disabled",
            "this user account was disabled by an administrator; ask them to enable it, then sign in again",
        ));
    }
    if device.revoked_at.is_some() {
        return Err(ApiFailure::unauthorized(
            "token_revoked",
            "this device was revoked by an administrator; sign in again",
        ));
    }
    if device.expires_at.is_some_and(|at| at <= chrono::Utc::now()) {
        return Err(ApiFailure::new(
            StatusCode::UNAUTHORIZED,
            "token_expired",
            "this device's sign-in has expired; sign in again",
        ));
    }
    Ok(device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let h = hash_password("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn pooled_verification_agrees_with_the_argon2_crate_and_reuses_memory() {
        use argon2::password_hash::PasswordVerifier;
        // Hashes with other parameters and versions (e.g. made by an older server).
        let salt = SaltString::generate(&mut OsRng);
        let small = argon2::Params::new(8 * 1024, 3, 1, None).expect("params");
        let hashes = [
            hash_password("pw one").expect("hash"),
            Argon2::new(
                argon2::Algorithm::Argon2id,
                argon2::Version::V0x13,
                small.clone(),
            )
            .hash_password(b"pw one", &salt)
            .expect("hash")
            .to_string(),
            Argon2::new(argon2::Algorithm::Argon2i, argon2::Version::V0x10, small)
                .hash_password(b"pw one", &salt)
                .expect("hash")
                .to_string(),
        ];
        for h in &hashes {
            let parsed = PasswordHash::new(h).expect("phc");
            for pw in ["pw one", "pw two", ""] {
                let reference = Argon2::default()
                    .verify_password(pw.as_bytes(), &parsed)
                    .is_ok();
                assert_eq!(verify_password(pw, h), reference, "{pw:?} against {h}");
            }
        }
        // A hash whose digest was cut short or changed does not verify.
        let h = &hashes[0];
        assert!(!verify_password("pw one", &h[..h.len() - 4]));
        let last = h.chars().last().expect("char");
        let flipped = format!(
            "{}{}",
            &h[..h.len() - 1],
            if last == 'A' { 'B' } else { 'A' }
        );
        assert!(!verify_password("pw one", &flipped));
        let pool = MEMORY.lock().expect("pool").len();
        assert!(
            (1..=hashing_permits()).contains(&pool),
            "buffers are kept for reuse, never more than the permits: {pool}"
        );
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
    }
}
