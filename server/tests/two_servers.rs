//! Two `fieldaudit-server` processes on one PostgreSQL database: two devices push
//! through different servers at the same time, and both pull everything, in the
//! same order, from either server.

mod common;

use common::*;
use fieldaudit_protocol::{PullResponse, PushRequest, PushResponse};
use reqwest::Client;
use uuid::Uuid;

async fn login_to(http: &Client, base: &str, user: &str, device: Uuid) -> String {
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"organisation": "acme", "username": user, "password": "a long password", "device_id": device, "device_name": user}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200);
    res.json::<serde_json::Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

async fn pull_all(http: &Client, base: &str, token: &str) -> Vec<(u64, Uuid, u64)> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page: PullResponse = http
            .get(format!("{base}/api/v1/sync/pull?after={after}&limit=37"))
            .bearer_auth(token)
            .send()
            .await
            .expect("pull")
            .json()
            .await
            .expect("page");
        out.extend(
            page.changes
                .iter()
                .map(|c| (c.server_seq, c.device_id, c.change.device_seq)),
        );
        after = page.next_cursor;
        if !page.more {
            return out;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_serve_one_order() {
    let Some(base_url) = pg_base_url() else {
        return;
    };
    let pg = PgDatabase::create(&base_url).await;
    let db = ["--database-url", pg.url.as_str()];
    for args in [
        &["org", "create", "acme"][..],
        &[
            "user",
            "add",
            "--org",
            "acme",
            "ana",
            "--role",
            "admin",
            "--password",
            "a long password",
        ][..],
        &[
            "user",
            "add",
            "--org",
            "acme",
            "bo",
            "--role",
            "admin",
            "--password",
            "a long password",
        ][..],
    ] {
        let (ok, _, err) = admin_cmd(&db, args, None);
        assert!(ok, "{args:?}: {err}");
    }
    let one = ServerProcess::start(&db, &[]);
    let two = ServerProcess::start(&db, &[]);
    let http = Client::new();
    let (dev_a, dev_b) = (Uuid::now_v7(), Uuid::now_v7());
    let ta = login_to(&http, &one.base, "ana", dev_a).await;
    let tb = login_to(&http, &two.base, "bo", dev_b).await;

    // Both devices push 10 batches of 20 at the same time, each through its own server.
    let push_all = |base: String, token: String| {
        let http = http.clone();
        async move {
            let changes = batch(200);
            for chunk in changes.chunks(20) {
                let r: PushResponse = http
                    .post(format!("{base}/api/v1/sync/push"))
                    .bearer_auth(&token)
                    .json(&PushRequest {
                        changes: chunk.to_vec(),
                    })
                    .send()
                    .await
                    .expect("push")
                    .json()
                    .await
                    .expect("push body");
                assert!(r.rejected.is_empty(), "{:?}", r.rejected);
            }
        }
    };
    let (a, b) = tokio::join!(
        tokio::spawn(push_all(one.base.clone(), ta.clone())),
        tokio::spawn(push_all(two.base.clone(), tb.clone()))
    );
    a.expect("device a pushed");
    b.expect("device b pushed");

    // Each device pulls only the other's changes (never its own back).
    let a_view = pull_all(&http, &one.base, &ta).await;
    let b_view = pull_all(&http, &one.base, &tb).await;
    assert_eq!(
        pull_all(&http, &two.base, &ta).await,
        a_view,
        "device a sees the same order through either server"
    );
    assert_eq!(
        pull_all(&http, &two.base, &tb).await,
        b_view,
        "device b sees the same order through either server"
    );
    assert_eq!(a_view.len(), 200);
    assert_eq!(b_view.len(), 200);
    assert!(
        a_view.iter().all(|c| c.1 == dev_b),
        "a gets only b's changes"
    );
    assert!(
        b_view.iter().all(|c| c.1 == dev_a),
        "b gets only a's changes"
    );
    let mut first: Vec<_> = a_view.iter().chain(&b_view).copied().collect();
    first.sort_unstable();
    assert_eq!(
        first.iter().map(|c| c.0).collect::<Vec<_>>(),
        (1..=400).collect::<Vec<_>>(),
        "gap-free server order"
    );
    for dev in [dev_a, dev_b] {
        let seqs: Vec<u64> = first.iter().filter(|c| c.1 == dev).map(|c| c.2).collect();
        assert_eq!(seqs, (1..=200).collect::<Vec<_>>());
    }
    // The pushes really interleaved across the two servers (not one after the other).
    let switches = first.windows(2).filter(|w| w[0].1 != w[1].1).count();
    eprintln!("device switches in the server order: {switches}");
}
