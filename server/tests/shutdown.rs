//! Stopping the real `fieldaudit-server` process in the middle of a push.
//!
//! SIGTERM while a push is being received: the server stops taking new
//! connections, finishes that push (its whole batch is applied and answered) and
//! exits cleanly; the device's retry of the same batch on the restarted server
//! changes nothing. A crash (SIGKILL) in the same place applies none of the batch,
//! and the retry applies all of it: never half a batch.

mod common;

use std::time::{Duration, Instant};

use common::*;
use fieldaudit_protocol::{PullResponse, PushRequest, PushResponse};
use reqwest::Client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

const PASSWORD: &str = "a long password";
const CHANGES: u64 = 3000;

async fn login_to(http: &Client, base: &str, user: &str, device: Uuid) -> String {
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"organisation": "acme", "username": user, "password": PASSWORD, "device_id": device, "device_name": user}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200);
    res.json::<serde_json::Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// A push whose body is sent in two halves, with `between` run in the middle.
async fn split_push(base: &str, token: &str, body: &[u8]) -> (tokio::net::TcpStream, usize) {
    let addr = base.strip_prefix("http://").expect("http base");
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /api/v1/sync/push HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.expect("send head");
    let half = body.len() / 2;
    conn.write_all(&body[..half])
        .await
        .expect("send first half");
    conn.flush().await.expect("flush");
    (conn, half)
}

/// Sends the rest and reads the answer: (status, body), or None if the connection died.
async fn finish(mut conn: tokio::net::TcpStream, rest: &[u8]) -> Option<(u16, Vec<u8>)> {
    conn.write_all(rest).await.ok()?;
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).await.ok()?;
    let text_end = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&answer[..text_end]).into_owned();
    let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, answer[text_end + 4..].to_vec()))
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill {sig} {pid}");
}

fn wait_exit(srv: &mut ServerProcess) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = srv.child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the server did not exit"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn device_changes(http: &Client, base: &str, token: &str, device: Uuid) -> Vec<u64> {
    let mut seqs = Vec::new();
    let mut after = 0;
    loop {
        let page: PullResponse = http
            .get(format!("{base}/api/v1/sync/pull?after={after}&limit=10000"))
            .bearer_auth(token)
            .send()
            .await
            .expect("pull")
            .json()
            .await
            .expect("page");
        seqs.extend(
            page.changes
                .iter()
                .filter(|c| c.device_id == device)
                .map(|c| c.change.device_seq),
        );
        after = page.next_cursor;
        if !page.more {
            return seqs;
        }
    }
}

async fn push_again(http: &Client, base: &str, token: &str, body: &[u8]) -> PushResponse {
    let r = http
        .post(format!("{base}/api/v1/sync/push"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .expect("push");
    assert_eq!(r.status(), 200);
    r.json().await.expect("push answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_push_in_flight_and_a_crash_applies_none_of_it() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8 path").to_owned();
    let db = ["--data-dir", data.as_str()];
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
        &[
            "user",
            "add",
            "--org",
            "acme",
            "bo",
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
    let http = Client::new();
    let (ana, bo) = (Uuid::now_v7(), Uuid::now_v7());
    let body = serde_json::to_vec(&PushRequest {
        changes: batch(CHANGES),
    })
    .expect("json");

    // SIGTERM while the push's body is still arriving.
    let mut srv = ServerProcess::start(&db, &[]);
    let ta = login_to(&http, &srv.base, "ana", ana).await;
    let tb = login_to(&http, &srv.base, "bo", bo).await;
    let (conn, half) = split_push(&srv.base, &ta, &body).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal(srv.child.id(), "-TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        srv.child.try_wait().expect("try_wait").is_none(),
        "the server waits for the push in flight"
    );
    // It takes no new connections meanwhile.
    let refused = http
        .get(srv.url("/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(
        refused.is_err(),
        "a new request after SIGTERM is refused, got {refused:?}"
    );
    let (status, answer) = finish(conn, &body[half..])
        .await
        .expect("the push in flight is answered");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    let res: PushResponse = serde_json::from_slice(&answer).expect("push answer");
    assert_eq!((res.applied, res.watermark), (CHANGES, CHANGES));
    let exit = wait_exit(&mut srv);
    assert!(exit.success(), "a clean exit after SIGTERM: {exit}");

    // The device never saw that answer (say) and retries the same batch: nothing changes.
    let srv = ServerProcess::start(&db, &[]);
    let again = push_again(&http, &srv.base, &ta, &body).await;
    assert_eq!(
        (again.applied, again.watermark),
        (0, CHANGES),
        "the retry is idempotent"
    );
    assert_eq!(
        device_changes(&http, &srv.base, &tb, ana).await,
        (1..=CHANGES).collect::<Vec<_>>()
    );
    drop(srv);

    // A crash in the same place: none of the batch, then all of it on the retry.
    let body_b = serde_json::to_vec(&PushRequest {
        changes: batch(CHANGES),
    })
    .expect("json");
    let mut srv = ServerProcess::start(&db, &[]);
    let (conn, half) = split_push(&srv.base, &tb, &body_b).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal(srv.child.id(), "-KILL");
    let _ = wait_exit(&mut srv);
    assert!(
        finish(conn, &body_b[half..])
            .await
            .is_none_or(|(s, _)| s != 200),
        "a killed server answers nothing"
    );
    drop(srv);
    let srv = ServerProcess::start(&db, &[]);
    assert!(
        device_changes(&http, &srv.base, &ta, bo).await.is_empty(),
        "no half-applied batch"
    );
    let retry = push_again(&http, &srv.base, &tb, &body_b).await;
    assert_eq!((retry.applied, retry.watermark), (CHANGES, CHANGES));
    assert_eq!(
        device_changes(&http, &srv.base, &ta, bo).await,
        (1..=CHANGES).collect::<Vec<_>>()
    );
}
