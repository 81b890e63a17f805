//! `/metrics` of the real `fieldaudit-server` process: on its own listener
//! (`--metrics-listen`), never on the API port, in the Prometheus text format, with
//! the numbers of what was just done: requests by route and status, pushed and
//! pulled changes, refused changes by reason, sync latency, the database pool and
//! failed sign-ins.

mod common;

use common::*;
use fieldaudit_protocol::{Change, Hlc, PushRequest, PushResponse};
use reqwest::Client;
use uuid::Uuid;

const PASSWORD: &str = "a long password";

fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .unwrap_or_else(|| panic!("no series {series} in:\n{text}"))
        .trim()
        .parse()
        .expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_the_server_did_on_their_own_port() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let db = ["--data-dir", data.to_str().expect("utf-8")];
    for args in [
        &["org", "create", "acme"][..],
        &[
            "user",
            "add",
            "--org",
            "acme",
            "ana",
            "--role",
            // An admin: the batches are facility rows, which only admins change.
            "admin",
            "--password",
            PASSWORD,
        ][..],
    ] {
        let (ok, _, err) = admin_cmd(&db, args, None);
        assert!(ok, "{args:?}: {err}");
    }
    let srv = ServerProcess::start(&db, &["--metrics-listen", "127.0.0.1:0"]);
    let metrics_url = srv
        .next_line()
        .strip_prefix("metrics on ")
        .expect("the metrics address is printed")
        .to_owned();
    assert_ne!(
        metrics_url.trim_end_matches("/metrics"),
        srv.base,
        "metrics are not on the API port"
    );
    let http = Client::new();

    // One failed sign-in, one that works.
    let login = |password: &'static str| {
        http.post(srv.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"organisation": "acme", "username": "ana", "password": password, "device_id": Uuid::now_v7(), "device_name": "laptop"}))
            .send()
    };
    assert_eq!(
        login("not the password").await.expect("login").status(),
        401
    );
    let ok = login(PASSWORD).await.expect("login");
    assert_eq!(ok.status(), 200);
    let token = ok.json::<serde_json::Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned();

    // A push of 5 changes, one of them refused (unknown entity), then a pull.
    let mut changes = batch(5);
    changes[2] = Change {
        entity: "spaceship".into(),
        ..changes[2].clone()
    };
    changes[2].hlc = Hlc::from_datetime(chrono::Utc::now());
    let res: PushResponse = http
        .post(srv.url("/api/v1/sync/push"))
        .bearer_auth(&token)
        .json(&PushRequest { changes })
        .send()
        .await
        .expect("push")
        .json()
        .await
        .expect("answer");
    assert_eq!((res.applied, res.rejected.len()), (4, 1));
    let pull = http
        .get(srv.url("/api/v1/sync/pull?after=0&include_own=true"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("pull");
    assert_eq!(pull.status(), 200);

    // Not on the public port.
    assert_eq!(
        http.get(srv.url("/metrics"))
            .send()
            .await
            .expect("get")
            .status(),
        404
    );
    let r = http.get(&metrics_url).send().await.expect("metrics");
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .contains("text"));
    let text = r.text().await.expect("text");
    assert_eq!(
        value(
            &text,
            "fieldaudit_sign_in_failures_total{code=\"invalid_credentials\"}"
        ),
        1.0
    );
    assert_eq!(value(&text, "fieldaudit_sync_ops_total{op=\"push\"}"), 4.0);
    assert_eq!(value(&text, "fieldaudit_sync_ops_total{op=\"pull\"}"), 4.0);
    assert_eq!(
        value(
            &text,
            "fieldaudit_sync_rejected_ops_total{code=\"unknown_entity\"}"
        ),
        1.0
    );
    assert_eq!(
        value(&text, "fieldaudit_http_requests_total{route=\"/api/v1/sync/push\",method=\"POST\",status=\"200\"}"),
        1.0
    );
    assert_eq!(
        value(&text, "fieldaudit_http_requests_total{route=\"/api/v1/auth/login\",method=\"POST\",status=\"401\"}"),
        1.0
    );
    assert_eq!(
        value(&text, "fieldaudit_sync_duration_seconds_count{op=\"push\"}"),
        1.0
    );
    assert_eq!(
        value(&text, "fieldaudit_sync_duration_seconds_count{op=\"pull\"}"),
        1.0
    );
    assert!(value(&text, "fieldaudit_sync_duration_seconds_sum{op=\"push\"}") > 0.0);
    assert_eq!(value(&text, "fieldaudit_db_pool_connections"), 1.0);
    assert!(
        text.contains("# TYPE fieldaudit_sync_duration_seconds histogram"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("# EOF"), "a complete exposition");
}
