//! Accounts over real HTTP, on both backends: logout revokes exactly the device
//! that signed out; a disabled user's devices are refused at once; failed sign-ins
//! are throttled per user and address (429 with Retry-After) without locking the
//! user out from elsewhere or for good, with counters every server shares that no
//! burst of simultaneous guesses gets around; and each organisation role's push is
//! accepted or refused by the role matrix, with the reason naming the role.

mod common;

use common::*;
use fieldaudit_protocol::api::{LoginRequest, Role};
use fieldaudit_protocol::{ApiError, Change, Hlc, PushRequest, PushResponse, RejectCode};
use fieldaudit_server::throttle::{Rule, ThrottlePolicy};
use fieldaudit_server::{admin, ServerConfig};
use std::time::Duration;
use reqwest::{Client, StatusCode};
use uuid::Uuid;

const PW: &str = "correct horse battery";

async fn error_of(res: reqwest::Response) -> (StatusCode, ApiError) {
    let status = res.status();
    let text = res.text().await.expect("body");
    let err: ApiError =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not an ApiError ({e}): {text}"));
    (status, err)
}

async fn push(http: &Client, srv: &TestServer, token: &str, changes: Vec<Change>) -> reqwest::Response {
    http.post(srv.url("/api/v1/sync/push"))
        .bearer_auth(token)
        .json(&PushRequest { changes })
        .send()
        .await
        .expect("push request")
}

async fn pull(http: &Client, srv: &TestServer, token: &str) -> reqwest::Response {
    http.get(srv.url("/api/v1/sync/pull?after=0&limit=10"))
        .bearer_auth(token)
        .send()
        .await
        .expect("pull request")
}

async fn try_login(http: &Client, srv: &TestServer, user: &str, password: &str) -> reqwest::Response {
    http.post(srv.url("/api/v1/auth/login"))
        .json(&LoginRequest {
            organisation: "acme".into(),
            username: user.into(),
            password: password.into(),
            device_id: Uuid::now_v7(),
            device_name: "laptop".into(),
        })
        .send()
        .await
        .expect("login request")
}

/// Logout revokes the token of the device that signed out, for push and pull,
/// and leaves the same user's other laptop syncing; a disabled user's devices are
/// refused at once, and enabling them again needs a new sign-in.
async fn logout_and_disable(backend: Backend) {
    let srv = server_with(backend, ServerConfig::default()).await;
    org_with_user(srv.store(), "acme", "nadia", PW, Role::Auditor).await;
    let http = Client::new();
    let one = login(&http, &srv, "acme", "nadia", PW, Uuid::now_v7()).await.token;
    let two = login(&http, &srv, "acme", "nadia", PW, Uuid::now_v7()).await.token;
    assert_eq!(pull(&http, &srv, &one).await.status(), StatusCode::OK);

    let res = http
        .post(srv.url("/api/v1/auth/logout"))
        .bearer_auth(&one)
        .send()
        .await
        .expect("logout");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, err) = error_of(pull(&http, &srv, &one).await).await;
    assert_eq!((status, err.code.as_str()), (StatusCode::UNAUTHORIZED, "token_revoked"), "pull after logout: {}", err.message);
    let (status, err) = error_of(push(&http, &srv, &one, vec![change(1, Uuid::now_v7(), "x")]).await).await;
    assert_eq!((status, err.code.as_str()), (StatusCode::UNAUTHORIZED, "token_revoked"), "push after logout: {}", err.message);
    let res = http.post(srv.url("/api/v1/auth/logout")).bearer_auth(&one).send().await.expect("second logout");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a revoked token cannot sign out again");
    assert_eq!(pull(&http, &srv, &two).await.status(), StatusCode::OK, "her other laptop still syncs");

    admin::set_disabled(srv.store(), "acme", "nadia", true).await.expect("disable nadia");
    let (status, err) = error_of(pull(&http, &srv, &two).await).await;
    assert_eq!((status, err.code.as_str()), (StatusCode::UNAUTHORIZED, "account_disabled"), "a disabled user's device is refused at once: {}", err.message);
    let (status, _) = error_of(try_login(&http, &srv, "nadia", PW).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a disabled user cannot sign in");

    admin::set_disabled(srv.store(), "acme", "nadia", false).await.expect("enable nadia");
    assert_eq!(pull(&http, &srv, &two).await.status(), StatusCode::UNAUTHORIZED, "enabling does not revive old tokens");
    let three = login(&http, &srv, "acme", "nadia", PW, Uuid::now_v7()).await.token;
    assert_eq!(pull(&http, &srv, &three).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_and_disable_on_sqlite() {
    logout_and_disable(sqlite().await).await;
}

#[tokio::test]
async fn logout_and_disable_on_postgres() {
    let Some(backend) = postgres().await else { return };
    logout_and_disable(backend).await;
}

/// Five wrong passwords from one address are free; the sixth attempt is answered
/// 429 `sign_in_throttled` with Retry-After without checking the password (the
/// right one too). From another address the same user still signs in (an
/// attacker cannot lock them out), and after the delay the first address may try
/// again.
async fn throttling(backend: Backend) {
    let srv = server_with(backend, ServerConfig::default()).await;
    org_with_user(srv.store(), "acme", "nadia", PW, Role::Auditor).await;
    let http = Client::new();
    for i in 1..=5 {
        let (status, err) = error_of(try_login(&http, &srv, "nadia", "wrong").await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}: {}", err.message);
    }
    let res = try_login(&http, &srv, "nadia", PW).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "the sixth attempt waits, even with the right password");
    let retry: u64 = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header in seconds");
    assert!((1..=2).contains(&retry), "the first delay is about a second, got {retry}");
    let (_, err) = error_of(res).await;
    assert_eq!(err.code, "sign_in_throttled");

    // Another address: the per-user counter has room, so the real user gets in.
    let elsewhere = Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .expect("client on 127.0.0.2");
    let res = try_login(&elsewhere, &srv, "nadia", PW).await;
    assert_eq!(res.status(), StatusCode::OK, "from another address she signs in: {}", res.text().await.unwrap_or_default());

    // After the delay the first address may try again.
    tokio::time::sleep(std::time::Duration::from_millis(retry * 1000 + 200)).await;
    let res = try_login(&http, &srv, "nadia", PW).await;
    assert_eq!(res.status(), StatusCode::OK, "after Retry-After the right password works again");
}

#[tokio::test]
async fn sign_in_throttling_on_sqlite() {
    throttling(sqlite().await).await;
}

#[tokio::test]
async fn sign_in_throttling_on_postgres() {
    let Some(backend) = postgres().await else { return };
    throttling(backend).await;
}

async fn login_from(http: &Client, base: &str, user: &str, password: &str, device: Uuid) -> reqwest::Response {
    http.post(format!("{base}/api/v1/auth/login"))
        .json(&LoginRequest {
            organisation: "acme".into(),
            username: user.into(),
            password: password.into(),
            device_id: device,
            device_name: "laptop".into(),
        })
        .send()
        .await
        .expect("login request")
}

fn client_on(last: u8) -> Client {
    Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, last]))
        .build()
        .expect("client on a loopback address")
}

/// The counters are in the database, and an attempt counts before its password is
/// checked: of twelve wrong guesses sent at once from one address only the five
/// free ones are checked (the others get 429 at once); a second server on the same
/// database refuses that address too; and once guesses from several addresses
/// have used up the per-user counter, the user's own registered laptop still
/// signs in from a new address while an unknown device is held back.
async fn throttling_shared_and_burst_proof(backend: Backend) {
    // The default free failures, with first delays long enough that no slow
    // machine sees one run out during the test.
    let rule = |free_failures, secs| Rule {
        free_failures,
        first_delay: Duration::from_secs(secs),
        max_delay: Duration::from_secs(secs),
    };
    let config = || ServerConfig {
        sign_in_throttle: ThrottlePolicy {
            per_user_address: rule(5, 120),
            per_user: rule(10, 120),
            per_address: rule(20, 120),
            ..ThrottlePolicy::default()
        },
        ..ServerConfig::default()
    };
    let srv = server_with(backend, config()).await;
    org_with_user(srv.store(), "acme", "nadia", PW, Role::Auditor).await;
    // Her laptop, registered before anything happens.
    let laptop = Uuid::now_v7();
    let res = login_from(&client_on(9), &srv.base, "nadia", PW, laptop).await;
    assert_eq!(res.status(), StatusCode::OK);

    let guesses: Vec<_> = (0..12)
        .map(|_| {
            let base = srv.base.clone();
            tokio::spawn(async move { login_from(&client_on(1), &base, "nadia", "wrong guess", Uuid::now_v7()).await.status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.expect("guess task"));
    }
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let held = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((checked, held), (5, 7), "only the free guesses are checked: {statuses:?}");

    // Another server on the same database knows.
    let (second, _stop) = spawn_server(srv.backend.reopen().await, srv.backend.dir.path(), config()).await;
    let res = login_from(&client_on(1), &format!("http://{second}"), "nadia", PW, Uuid::now_v7()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "the second server sees the same counters");

    // Guesses from another address use up the per-user counter's free ten (5 + 5).
    for _ in 0..5 {
        let res = login_from(&client_on(2), &srv.base, "nadia", "wrong guess", Uuid::now_v7()).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = login_from(&client_on(4), &srv.base, "nadia", PW, Uuid::now_v7()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "an unknown device waits for the per-user counter");
    let (_, err) = error_of(res).await;
    assert_eq!(err.code, "sign_in_throttled");
    let res = login_from(&client_on(4), &srv.base, "nadia", PW, laptop).await;
    assert_eq!(res.status(), StatusCode::OK, "her own laptop is not held back: {}", res.text().await.unwrap_or_default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_throttling_is_shared_and_burst_proof_on_sqlite() {
    throttling_shared_and_burst_proof(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_throttling_is_shared_and_burst_proof_on_postgres() {
    let Some(backend) = postgres().await else { return };
    throttling_shared_and_burst_proof(backend).await;
}

/// One push per organisation role: a facility registry change is applied for an
/// admin and refused for everyone else; a new audit is refused for an
/// interviewer. Each refusal is `forbidden` and names what the role may not do.
async fn push_per_role(backend: Backend) {
    let srv = server_with(backend, ServerConfig::default()).await;
    org_with_user(srv.store(), "acme", "ada", PW, Role::Admin).await;
    for (user, role) in [("rita", Role::Reviewer), ("nadia", Role::Auditor), ("ivan", Role::Interviewer)] {
        admin::add_user(srv.store(), "acme", user, PW, role).await.expect("add user");
    }
    let http = Client::new();
    let facility = Uuid::now_v7();
    for (user, role, applied) in [
        ("ada", Role::Admin, true),
        ("rita", Role::Reviewer, false),
        ("nadia", Role::Auditor, false),
        ("ivan", Role::Interviewer, false),
    ] {
        let token = login(&http, &srv, "acme", user, PW, Uuid::now_v7()).await.token;
        let res = push(&http, &srv, &token, vec![change(1, facility, &format!("renamed by {user}"))]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: PushResponse = res.json().await.expect("push response");
        assert_eq!(body.watermark, 1, "{user}: the op is processed either way");
        if applied {
            assert_eq!((body.applied, body.rejected.len()), (1, 0), "{role:?} changes the registry: {:?}", body.rejected);
        } else {
            assert_eq!(body.applied, 0, "{role:?}");
            let r = body.rejected.first().unwrap_or_else(|| panic!("{role:?}'s registry change is refused"));
            assert_eq!(r.code, RejectCode::Forbidden, "{role:?}");
            assert!(r.message.contains("changing the facility registry"), "{role:?}: {}", r.message);
            assert!(r.message.contains(role.as_str()), "{role:?}: the reason names the role: {}", r.message);
        }
        if role == Role::Interviewer {
            let audit = Change {
                device_seq: 2,
                hlc: Hlc::from_datetime(chrono::Utc::now()),
                entity: "audit".into(),
                row_id: Uuid::now_v7(),
                field: "facility_id".into(),
                value: serde_json::json!(facility.to_string()),
            };
            let body: PushResponse = push(&http, &srv, &token, vec![audit]).await.json().await.expect("push response");
            assert_eq!(body.applied, 0);
            let r = body.rejected.first().expect("an interviewer's new audit is refused");
            assert_eq!(r.code, RejectCode::Forbidden);
            assert!(r.message.contains("interviewer"), "{}", r.message);
        }
    }
}

#[tokio::test]
async fn a_push_per_role_on_sqlite() {
    push_per_role(sqlite().await).await;
}

#[tokio::test]
async fn a_push_per_role_on_postgres() {
    let Some(backend) = postgres().await else { return };
    push_per_role(backend).await;
}
