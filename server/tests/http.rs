//! HTTP-level tests against an in-process server on loopback: sign-in, push/pull,
//! compression, tenant isolation, every documented bad input (4xx, nothing
//! stored), attachments and the OpenAPI document.

mod common;

use common::*;
use fieldaudit_protocol::api::{Role, WhoAmI};
use fieldaudit_protocol::{
    ApiError, Change, Hlc, PullResponse, PushRequest, PushResponse, RejectCode,
};
use fieldaudit_server::ServerConfig;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const PW: &str = "correct horse battery";

async fn setup() -> (TestServer, Client, String) {
    let srv = server().await;
    org_with_user(srv.store(), "acme", "rina", PW, Role::Admin).await;
    let http = Client::new();
    let token = login(&http, &srv, "acme", "rina", PW, Uuid::now_v7())
        .await
        .token;
    (srv, http, token)
}

async fn error_of(res: reqwest::Response) -> (StatusCode, ApiError) {
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = res.text().await.expect("body");
    assert!(
        ct.starts_with("application/json"),
        "error must be JSON, got {ct:?}: {text}"
    );
    let err: ApiError =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not an ApiError ({e}): {text}"));
    assert!(!err.message.is_empty());
    (status, err)
}

async fn push(
    http: &Client,
    srv: &TestServer,
    token: &str,
    changes: &[Change],
) -> reqwest::Response {
    http.post(srv.url("/api/v1/sync/push"))
        .bearer_auth(token)
        .json(&PushRequest {
            changes: changes.to_vec(),
        })
        .send()
        .await
        .expect("push request")
}

/// Every change on the server, as the device `token` can pull it (its own included).
async fn pull_all(http: &Client, srv: &TestServer, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let res = http
            .get(srv.url(&format!(
                "/api/v1/sync/pull?after={after}&limit=7&include_own=true"
            )))
            .bearer_auth(token)
            .send()
            .await
            .expect("pull");
        assert_eq!(res.status(), 200);
        let page: PullResponse = res.json().await.expect("pull body");
        out.extend(
            page.changes
                .iter()
                .map(|c| serde_json::to_value(c).expect("json")),
        );
        after = page.next_cursor;
        if !page.more {
            return out;
        }
    }
}

async fn whoami(http: &Client, srv: &TestServer, token: &str) -> WhoAmI {
    let res = http
        .get(srv.url("/api/v1/auth/me"))
        .bearer_auth(token)
        .send()
        .await
        .expect("me");
    assert_eq!(res.status(), 200);
    res.json().await.expect("me body")
}

#[tokio::test]
async fn login_issues_a_token_and_wrong_credentials_are_refused() {
    let (srv, http, token) = setup().await;
    let me = whoami(&http, &srv, &token).await;
    assert_eq!(
        (me.organisation.as_str(), me.role, me.watermark),
        ("acme", Role::Admin, 0)
    );
    for (org, user, pw) in [
        ("acme", "rina", "wrong password"),
        ("acme", "nobody", PW),
        ("nope", "rina", PW),
    ] {
        let res = http
            .post(srv.url("/api/v1/auth/login"))
            .json(&json!({"organisation": org, "username": user, "password": pw, "device_id": Uuid::now_v7(), "device_name": "x"}))
            .send()
            .await
            .expect("login");
        let (status, err) = error_of(res).await;
        assert_eq!(
            (status, err.code.as_str()),
            (StatusCode::UNAUTHORIZED, "invalid_credentials")
        );
    }
    // The token is stored hashed: the database never holds it.
    let db = std::fs::read(srv.backend.dir.path().join("server.sqlite3")).expect("db file");
    let wal = std::fs::read(srv.backend.dir.path().join("server.sqlite3-wal")).unwrap_or_default();
    let needle = token.as_bytes();
    assert!(
        !db.windows(needle.len()).any(|w| w == needle)
            && !wal.windows(needle.len()).any(|w| w == needle)
    );
}

#[tokio::test]
async fn push_and_pull_over_http_with_compression_both_ways() {
    let (srv, http, token) = setup().await;
    let changes = batch(40);
    let body = serde_json::to_vec(&PushRequest {
        changes: changes.clone(),
    })
    .expect("json");
    let compressed = zstd::encode_all(&body[..], 3).expect("zstd");
    assert!(compressed.len() < body.len());
    let res = http
        .post(srv.url("/api/v1/sync/push"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .header("content-encoding", "zstd")
        .body(compressed)
        .send()
        .await
        .expect("push");
    assert_eq!(res.status(), 200);
    let r: PushResponse = res.json().await.expect("body");
    assert_eq!((r.watermark, r.applied), (40, 40));
    // Responses are compressed when asked (raw client, no automatic decoding).
    let raw = Client::builder()
        .no_gzip()
        .no_zstd()
        .build()
        .expect("client");
    let res = raw
        .get(srv.url("/api/v1/sync/pull?after=0&limit=1000&include_own=true"))
        .bearer_auth(&token)
        .header("accept-encoding", "zstd")
        .send()
        .await
        .expect("pull");
    assert_eq!(
        res.headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("zstd")
    );
    let bytes = res.bytes().await.expect("bytes");
    let page: PullResponse =
        serde_json::from_slice(&zstd::decode_all(&bytes[..]).expect("unzstd")).expect("page");
    assert_eq!(page.changes.len(), 40);
    assert_eq!(
        page.changes
            .iter()
            .map(|c| c.change.clone())
            .collect::<Vec<_>>(),
        changes
    );
    let res = raw
        .get(srv.url("/api/v1/sync/pull?include_own=true"))
        .bearer_auth(&token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("pull");
    assert_eq!(
        res.headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
    // The device's watermark is what sign-in and /me report.
    assert_eq!(whoami(&http, &srv, &token).await.watermark, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sign_ins_at_once_all_get_their_answer() {
    // Password checks queue for a few permits (fieldaudit_server::auth::run_argon2)
    // instead of all running at once: every sign-in must still be answered, right
    // or wrong, and every token issued must work. (Each attempt is another user of
    // the office, all from one address: throttling holds back simultaneous
    // attempts at one user, not an office signing in.)
    let (srv, http, _) = setup().await;
    let n = 6 * fieldaudit_server::auth::hashing_permits();
    for i in 0..n {
        fieldaudit_server::admin::add_user(srv.store(), "acme", &format!("rina{i}"), PW, Role::Auditor)
            .await
            .expect("add user");
    }
    let attempts: Vec<_> =
        (0..n)
            .map(|i| {
                let (http, url) = (http.clone(), srv.url("/api/v1/auth/login"));
                let password = if i % 5 == 4 { "wrong password" } else { PW };
                async move {
                    let res = http
                .post(url)
                .json(&json!({"organisation": "acme", "username": format!("rina{i}"), "password": password,
                              "device_id": Uuid::now_v7(), "device_name": format!("laptop {i}")}))
                .send()
                .await
                .expect("login");
                    (
                        password == PW,
                        res.status(),
                        res.json::<Value>().await.expect("json"),
                    )
                }
            })
            .map(tokio::spawn)
            .collect();
    for attempt in attempts {
        let (right, status, body) = attempt.await.expect("sign-in task");
        if right {
            assert_eq!(status, StatusCode::OK, "{body}");
            let token = body["token"].as_str().expect("token");
            assert_eq!(whoami(&http, &srv, token).await.organisation, "acme");
        } else {
            assert_eq!(
                (status, body["code"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
            );
        }
    }
}

#[tokio::test]
async fn a_device_pulls_other_devices_changes_but_not_its_own_unless_it_asks() {
    let (srv, http, a) = setup().await;
    let b = login(&http, &srv, "acme", "rina", PW, Uuid::now_v7())
        .await
        .token;
    let r: PushResponse = push(&http, &srv, &a, &batch(5))
        .await
        .json()
        .await
        .expect("body");
    assert_eq!(r.applied, 5);
    let page = |token: String, query: &'static str| {
        let (http, url) = (http.clone(), srv.url(&format!("/api/v1/sync/pull{query}")));
        async move {
            let res = http.get(url).bearer_auth(token).send().await.expect("pull");
            assert_eq!(res.status(), 200);
            res.json::<PullResponse>().await.expect("page")
        }
    };
    let own = page(a.clone(), "").await;
    assert_eq!(
        (own.changes.len(), own.next_cursor, own.more),
        (0, 5, false),
        "no echo of a's own changes, and the cursor moves past them"
    );
    let others = page(b.clone(), "").await;
    assert_eq!((others.changes.len(), others.next_cursor), (5, 5));
    let asked = page(a.clone(), "?include_own=true").await;
    assert_eq!(
        asked.changes.len(),
        5,
        "a device restored from an older copy can ask for its own"
    );
    let (status, err) = error_of(
        http.get(srv.url("/api/v1/sync/pull?include_own=maybe"))
            .bearer_auth(&a)
            .send()
            .await
            .expect("pull"),
    )
    .await;
    assert_eq!(
        (status, err.code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
}

#[tokio::test]
async fn the_same_batch_three_times_or_split_and_replayed_leaves_the_same_state() {
    let (srv, http, token) = setup().await;
    let changes = batch(12);
    for _ in 0..3 {
        let r: PushResponse = push(&http, &srv, &token, &changes)
            .await
            .json()
            .await
            .expect("body");
        assert_eq!(r.watermark, 12);
    }
    let once = pull_all(&http, &srv, &token).await;
    for piece in [&changes[0..5], &changes[3..9], &changes[..]] {
        let r: PushResponse = push(&http, &srv, &token, piece)
            .await
            .json()
            .await
            .expect("body");
        assert_eq!((r.watermark, r.applied), (12, 0));
    }
    assert_eq!(pull_all(&http, &srv, &token).await, once);
    assert_eq!(once.len(), 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_are_isolated_on_sqlite() {
    tenants_are_isolated(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_are_isolated_on_postgres() {
    let Some(backend) = postgres().await else {
        return;
    };
    tenants_are_isolated(backend).await;
}

async fn tenants_are_isolated(backend: Backend) {
    let srv = server_with(backend, ServerConfig::default()).await;
    nul_bytes_are_client_errors(&srv).await;
    org_with_user(srv.store(), "org-a", "ana", PW, Role::Admin).await;
    org_with_user(srv.store(), "org-b", "bo", PW, Role::Admin).await;
    let http = Client::new();
    let a = login(&http, &srv, "org-a", "ana", PW, Uuid::now_v7())
        .await
        .token;
    let b = login(&http, &srv, "org-b", "bo", PW, Uuid::now_v7())
        .await
        .token;
    let b_row = Uuid::now_v7();
    let r: PushResponse = push(&http, &srv, &b, &[change(1, b_row, "B's factory")])
        .await
        .json()
        .await
        .expect("body");
    assert_eq!(r.applied, 1);
    // A cannot pull B's changes.
    assert!(pull_all(&http, &srv, &a).await.is_empty());
    // A cannot write B's row, nor point at it.
    let mut ops = vec![change(1, b_row, "taken over")];
    ops.push(Change {
        device_seq: 2,
        hlc: Hlc::from_datetime(chrono::Utc::now()),
        entity: "audit".into(),
        row_id: Uuid::now_v7(),
        field: "facility_id".into(),
        value: json!(b_row),
    });
    let r: PushResponse = push(&http, &srv, &a, &ops)
        .await
        .json()
        .await
        .expect("body");
    assert_eq!(r.applied, 0);
    assert_eq!(
        r.rejected.iter().map(|x| x.code).collect::<Vec<_>>(),
        vec![RejectCode::Forbidden, RejectCode::Forbidden]
    );
    let bs = pull_all(&http, &srv, &b).await;
    assert_eq!(bs.len(), 1);
    assert_eq!(bs[0]["value"], "B's factory");
    // A cannot download, probe or see B's attachment.
    let bytes = b"B's photo".to_vec();
    let sha = hex::encode(Sha256::digest(&bytes));
    let res = http
        .put(srv.url(&format!("/api/v1/attachments/{sha}")))
        .bearer_auth(&b)
        .body(bytes.clone())
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), 201);
    let res = http
        .get(srv.url(&format!("/api/v1/attachments/{sha}")))
        .bearer_auth(&a)
        .send()
        .await
        .expect("get");
    let (status, err) = error_of(res).await;
    assert_eq!(
        (status, err.code.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let res = http
        .head(srv.url(&format!("/api/v1/attachments/{sha}")))
        .bearer_auth(&a)
        .send()
        .await
        .expect("head");
    assert_eq!(res.status(), 404);
    let res = http
        .get(srv.url(&format!("/api/v1/attachments/{sha}")))
        .bearer_auth(&b)
        .send()
        .await
        .expect("get");
    assert_eq!(res.bytes().await.expect("bytes").to_vec(), bytes);
    // A's own upload of the same content is A's, separately.
    let res = http
        .put(srv.url(&format!("/api/v1/attachments/{sha}")))
        .bearer_auth(&a)
        .body(bytes.clone())
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), 201);
}

/// Every bad input gets its documented 4xx JSON error and changes nothing.
#[tokio::test]
async fn bad_inputs_get_documented_4xx_and_change_nothing() {
    let srv = server_with(
        sqlite().await,
        ServerConfig {
            max_body_bytes: 64 * 1024,
            ..ServerConfig::default()
        },
    )
    .await;
    org_with_user(srv.store(), "acme", "rina", PW, Role::Admin).await;
    let http = Client::new();
    let token = login(&http, &srv, "acme", "rina", PW, Uuid::now_v7())
        .await
        .token;
    let good = batch(5);
    push(&http, &srv, &token, &good).await;
    let before = (
        pull_all(&http, &srv, &token).await,
        whoami(&http, &srv, &token).await.watermark,
    );
    let push_url = srv.url("/api/v1/sync/push");
    let next = |seq: u64| change(seq, Uuid::now_v7(), "x");

    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode, &str)> = vec![
        ("malformed JSON", http.post(&push_url).bearer_auth(&token).header("content-type", "application/json").body("{\"changes\": [}"), StatusCode::BAD_REQUEST, "invalid_json"),
        ("wrong type", http.post(&push_url).bearer_auth(&token).json(&json!({"changes": [{"device_seq": "six", "hlc": "0000000000000001", "entity": "facility", "row_id": Uuid::now_v7(), "field": "name", "value": 1}]})), StatusCode::BAD_REQUEST, "invalid_json"),
        ("bad hlc", http.post(&push_url).bearer_auth(&token).json(&json!({"changes": [{"device_seq": 6, "hlc": "yesterday", "entity": "facility", "row_id": Uuid::now_v7(), "field": "name", "value": 1}]})), StatusCode::BAD_REQUEST, "invalid_json"),
        ("missing field", http.post(&push_url).bearer_auth(&token).json(&json!({"chnages": []})), StatusCode::BAD_REQUEST, "invalid_json"),
        ("no content type", http.post(&push_url).bearer_auth(&token).body(serde_json::to_vec(&PushRequest { changes: vec![next(6)] }).expect("json")), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        ("no token", http.post(&push_url).json(&PushRequest { changes: vec![next(6)] }), StatusCode::UNAUTHORIZED, "missing_token"),
        ("not bearer", http.post(&push_url).header("authorization", format!("Basic {token}")).json(&PushRequest { changes: vec![next(6)] }), StatusCode::UNAUTHORIZED, "invalid_token"),
        ("unknown token", http.post(&push_url).bearer_auth("0".repeat(64)).json(&PushRequest { changes: vec![next(6)] }), StatusCode::UNAUTHORIZED, "invalid_token"),
        ("too large", http.post(&push_url).bearer_auth(&token).json(&PushRequest { changes: (6..400).map(|i| change(i, Uuid::now_v7(), &"x".repeat(300))).collect() }), StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        ("gap", http.post(&push_url).bearer_auth(&token).json(&PushRequest { changes: vec![next(8)] }), StatusCode::CONFLICT, "sequence_gap"),
        ("not increasing", http.post(&push_url).bearer_auth(&token).json(&PushRequest { changes: vec![next(7), next(6)] }), StatusCode::BAD_REQUEST, "invalid_batch"),
        ("unknown route", http.get(srv.url("/api/v1/nothing")).bearer_auth(&token), StatusCode::NOT_FOUND, "not_found"),
        ("wrong method", http.delete(&push_url).bearer_auth(&token), StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        ("limit 0", http.get(srv.url("/api/v1/sync/pull?limit=0")).bearer_auth(&token), StatusCode::BAD_REQUEST, "invalid_query"),
        ("limit too big", http.get(srv.url("/api/v1/sync/pull?limit=10001")).bearer_auth(&token), StatusCode::BAD_REQUEST, "invalid_query"),
        ("negative cursor", http.get(srv.url("/api/v1/sync/pull?after=-1")).bearer_auth(&token), StatusCode::BAD_REQUEST, "invalid_query"),
        ("bad device id", http.post(srv.url("/api/v1/auth/login")).json(&json!({"organisation": "acme", "username": "rina", "password": PW, "device_id": "laptop", "device_name": "x"})), StatusCode::BAD_REQUEST, "invalid_json"),
        ("empty device name", http.post(srv.url("/api/v1/auth/login")).json(&json!({"organisation": "acme", "username": "rina", "password": PW, "device_id": Uuid::now_v7(), "device_name": " "})), StatusCode::BAD_REQUEST, "invalid_request"),
        ("bad compression", http.post(&push_url).bearer_auth(&token).header("content-type", "application/json").header("content-encoding", "zstd").body("not zstd at all"), StatusCode::BAD_REQUEST, "invalid_body"),
        ("unknown compression", http.post(&push_url).bearer_auth(&token).header("content-type", "application/json").header("content-encoding", "lzma").body("{}"), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
    ];
    for (what, req, status, code) in cases {
        let (got, err) = error_of(req.send().await.expect(what)).await;
        assert_eq!(
            (got, err.code.as_str()),
            (status, code),
            "{what}: {}",
            err.message
        );
        let after = (
            pull_all(&http, &srv, &token).await,
            whoami(&http, &srv, &token).await.watermark,
        );
        assert_eq!(after, before, "{what} must leave the database unchanged");
    }
    // The gap message says what to do.
    let (_, err) = error_of(push(&http, &srv, &token, &[next(9)]).await).await;
    assert_eq!(
        err.message,
        "expected device_seq 6 next, got 9; push from your acknowledged watermark"
    );
}

#[tokio::test]
async fn revoked_and_expired_tokens_are_refused() {
    let srv = server_with(
        sqlite().await,
        ServerConfig {
            token_ttl: std::time::Duration::ZERO,
            ..ServerConfig::default()
        },
    )
    .await;
    org_with_user(srv.store(), "acme", "rina", PW, Role::Admin).await;
    let http = Client::new();
    let expired = login(&http, &srv, "acme", "rina", PW, Uuid::now_v7())
        .await
        .token;
    let (status, err) = error_of(
        http.get(srv.url("/api/v1/sync/pull"))
            .bearer_auth(&expired)
            .send()
            .await
            .expect("pull"),
    )
    .await;
    assert_eq!(
        (status, err.code.as_str()),
        (StatusCode::UNAUTHORIZED, "token_expired")
    );

    let srv = server().await;
    org_with_user(srv.store(), "acme", "admin", PW, Role::Admin).await;
    fieldaudit_server::admin::add_user(srv.store(), "acme", "rina", PW, Role::Auditor)
        .await
        .expect("user");
    let admin = login(&http, &srv, "acme", "admin", PW, Uuid::now_v7())
        .await
        .token;
    let device = Uuid::now_v7();
    let rina = login(&http, &srv, "acme", "rina", PW, device).await.token;
    // Only an administrator may list or revoke devices.
    let (status, err) = error_of(
        http.get(srv.url("/api/v1/devices"))
            .bearer_auth(&rina)
            .send()
            .await
            .expect("list"),
    )
    .await;
    assert_eq!(
        (status, err.code.as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let devices: Vec<Value> = http
        .get(srv.url("/api/v1/devices"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("body");
    assert_eq!(devices.len(), 2);
    let res = http
        .post(srv.url(&format!("/api/v1/devices/{device}/revoke")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("revoke");
    assert_eq!(res.status(), 204);
    let (status, err) = error_of(push(&http, &srv, &rina, &batch(1)).await).await;
    assert_eq!(
        (status, err.code.as_str()),
        (StatusCode::UNAUTHORIZED, "token_revoked")
    );
    assert_eq!(
        err.message,
        "this device was revoked by an administrator; sign in again"
    );
    assert!(
        pull_all(&http, &srv, &admin).await.is_empty(),
        "nothing stored by the revoked device"
    );
    // Signing in again works and gives a fresh token; the old one stays dead.
    let again = login(&http, &srv, "acme", "rina", PW, device).await.token;
    assert_eq!(push(&http, &srv, &again, &batch(1)).await.status(), 200);
    let (_, err) = error_of(push(&http, &srv, &rina, &batch(1)).await).await;
    assert_eq!(err.code, "invalid_token");
    // A device id registered to another user is refused.
    let res = http
        .post(srv.url("/api/v1/auth/login"))
        .json(&json!({"organisation": "acme", "username": "admin", "password": PW, "device_id": device, "device_name": "x"}))
        .send()
        .await
        .expect("login");
    let (status, err) = error_of(res).await;
    assert_eq!(
        (status, err.code.as_str()),
        (StatusCode::CONFLICT, "device_conflict")
    );
}

#[tokio::test]
async fn attachments_are_stored_by_verified_hash() {
    let srv = server_with(
        sqlite().await,
        ServerConfig {
            max_attachment_bytes: 1024,
            ..ServerConfig::default()
        },
    )
    .await;
    org_with_user(srv.store(), "acme", "rina", PW, Role::Admin).await;
    let http = Client::new();
    let token = login(&http, &srv, "acme", "rina", PW, Uuid::now_v7())
        .await
        .token;
    let bytes = b"\x89PNG fake photo bytes".to_vec();
    let sha = hex::encode(Sha256::digest(&bytes));
    let url = srv.url(&format!("/api/v1/attachments/{sha}"));
    assert_eq!(
        http.head(&url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("head")
            .status(),
        404
    );
    let res = http
        .put(&url)
        .bearer_auth(&token)
        .body(bytes.clone())
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.expect("json");
    assert_eq!(
        body,
        json!({"sha256": sha, "size_bytes": bytes.len(), "created": true})
    );
    let res = http
        .put(&url)
        .bearer_auth(&token)
        .body(bytes.clone())
        .send()
        .await
        .expect("put again");
    assert_eq!(res.status(), 200, "the same content twice is a no-op");
    let res = http
        .head(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("head");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok()),
        Some(bytes.len().to_string().as_str())
    );
    let got = http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(got.to_vec(), bytes);
    // Wrong content for the hash, oversized, bad hash, no token.
    let other = hex::encode(Sha256::digest(b"other"));
    let res = http
        .put(srv.url(&format!("/api/v1/attachments/{other}")))
        .bearer_auth(&token)
        .body(bytes.clone())
        .send()
        .await
        .expect("put");
    let (status, err) = error_of(res).await;
    assert_eq!(
        (status, err.code.as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "hash_mismatch")
    );
    let big = vec![7u8; 2048];
    let big_sha = hex::encode(Sha256::digest(&big));
    let res = http
        .put(srv.url(&format!("/api/v1/attachments/{big_sha}")))
        .bearer_auth(&token)
        .body(big)
        .send()
        .await
        .expect("put");
    let (status, err) = error_of(res).await;
    assert_eq!(
        (status, err.code.as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    assert!(err.message.contains("1024"), "{}", err.message);
    for path in [&other, &big_sha] {
        let res = http
            .head(srv.url(&format!("/api/v1/attachments/{path}")))
            .bearer_auth(&token)
            .send()
            .await
            .expect("head");
        assert_eq!(res.status(), 404, "a refused upload stores nothing");
    }
    let (status, err) = error_of(
        http.get(srv.url("/api/v1/attachments/NOT-A-HASH"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(
        (status, err.code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_sha256")
    );
    let (status, err) = error_of(http.get(&url).send().await.expect("get")).await;
    assert_eq!(
        (status, err.code.as_str()),
        (StatusCode::UNAUTHORIZED, "missing_token")
    );
}

/// Collects every `$ref` in a JSON value.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

fn check_against(doc: &Value, schema_name: &str, instance: &Value) {
    let mut schema = json!({"$ref": format!("#/components/schemas/{schema_name}")});
    schema["components"] = doc["components"].clone();
    let validator = jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("schema {schema_name} does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{schema_name} does not describe {instance}: {errors:?}"
    );
}

#[tokio::test]
async fn openapi_document_is_served_valid_and_matches_real_responses() {
    let (srv, http, token) = setup().await;
    let doc: Value = http
        .get(srv.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("doc")
        .json()
        .await
        .expect("json");
    assert!(doc["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.1")));
    // Every reference resolves; every operation documents its responses.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in &all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected ref {r}"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "dangling $ref {r}"
        );
    }
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/api/v1/auth/login",
        "/api/v1/sync/push",
        "/api/v1/sync/pull",
        "/api/v1/attachments/{sha256}",
        "/api/v1/templates",
        "/healthz",
    ] {
        assert!(paths.contains_key(p), "{p} is not documented");
    }
    for (path, ops) in paths {
        for (method, op) in ops.as_object().expect("ops") {
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
        }
    }
    // Real responses match their schemas.
    let r: Value = push(&http, &srv, &token, &{
        let mut b = batch(3);
        b[2].field = "colour".into();
        b
    })
    .await
    .json()
    .await
    .expect("push");
    assert_eq!(r["rejected"][0]["code"], "unknown_field");
    check_against(&doc, "PushResponse", &r);
    let p: Value = http
        .get(srv.url("/api/v1/sync/pull?include_own=true"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("pull")
        .json()
        .await
        .expect("json");
    assert_eq!(p["changes"].as_array().map(Vec::len), Some(2));
    check_against(&doc, "PullResponse", &p);
    let me: Value = http
        .get(srv.url("/api/v1/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    check_against(&doc, "WhoAmI", &me);
    let e: Value = http
        .post(srv.url("/api/v1/sync/push"))
        .send()
        .await
        .expect("push")
        .json()
        .await
        .expect("json");
    check_against(&doc, "ApiError", &e);
    let h: Value = http
        .get(srv.url("/healthz"))
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(h["backend"], "sqlite");
    check_against(&doc, "Health", &h);
    // And a schema does reject what it should (the check can fail).
    let mut wrong = p.clone();
    wrong["changes"][0]["hlc"] = json!("not-an-hlc");
    let mut schema = json!({"$ref": "#/components/schemas/PullResponse"});
    schema["components"] = doc["components"].clone();
    assert!(!jsonschema::validator_for(&schema)
        .expect("compiles")
        .is_valid(&wrong));
}

#[tokio::test]
async fn built_in_templates_are_served() {
    let (srv, http, token) = setup().await;
    let seeded = fieldaudit_server::templates::seed_builtin(srv.store())
        .await
        .expect("seed");
    assert!(seeded > 0, "the templates crate ships built-in checklists");
    let list: Vec<Value> = http
        .get(srv.url("/api/v1/templates"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(list.len(), seeded);
    let first = &list[0];
    let (id, version) = (
        first["id"].as_str().expect("id"),
        first["version"].as_str().expect("version"),
    );
    let t: Value = http
        .get(srv.url(&format!("/api/v1/templates/{id}/{version}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(t["id"], id);
    assert!(
        t["sections"].as_array().is_some_and(|s| !s.is_empty()),
        "the whole template is served"
    );
    let res = http
        .get(srv.url(&format!("/api/v1/templates/{id}/999")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    let (status, err) = error_of(res).await;
    assert_eq!(
        (status, err.code.as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let res = http
        .get(srv.url("/api/v1/templates"))
        .send()
        .await
        .expect("list");
    assert_eq!(res.status(), 401);
}

/// NUL characters (which PostgreSQL text cannot hold) are refused as bad input, not a 500.
async fn nul_bytes_are_client_errors(srv: &TestServer) {
    let http = Client::new();
    let res = http
        .post(srv.url("/api/v1/auth/login"))
        .json(&json!({"organisation": "org\0", "username": "a\0", "password": "x", "device_id": Uuid::now_v7(), "device_name": "n"}))
        .send()
        .await
        .expect("login");
    let (status, err) = error_of(res).await;
    assert_eq!(
        (status, err.code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
}
