//! `fieldaudit-server backup` and `restore` as an operator types them: a backup of a
//! running server, restored into an empty data directory and served again; the
//! refusals (PostgreSQL, a data directory that is not empty, a damaged file) say what
//! to do and write nothing.

mod common;

use common::*;
use sha2::{Digest, Sha256};
use uuid::Uuid;

const PASSWORD: &str = "a long password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_running_server_restores_into_an_empty_directory() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let data_s = data.to_str().expect("utf-8").to_owned();
    let db = ["--data-dir", data_s.as_str()];
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
    let srv = ServerProcess::start(&db, &[]);
    let http = reqwest::Client::new();
    let login = http
        .post(srv.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"organisation": "acme", "username": "ana", "password": PASSWORD, "device_id": Uuid::now_v7(), "device_name": "laptop"}))
        .send()
        .await
        .expect("login")
        .json::<serde_json::Value>()
        .await
        .expect("json");
    let token = login["token"].as_str().expect("token").to_owned();
    let photo = b"the fire exit, chained".to_vec();
    let sha = hex::encode(Sha256::digest(&photo));
    let put = http
        .put(srv.url(&format!("/api/v1/attachments/{sha}")))
        .bearer_auth(&token)
        .body(photo.clone())
        .send()
        .await
        .expect("upload");
    assert_eq!(put.status(), 201);
    let pushed = http
        .post(srv.url("/api/v1/sync/push"))
        .bearer_auth(&token)
        .json(&fieldaudit_protocol::PushRequest { changes: batch(30) })
        .send()
        .await
        .expect("push");
    assert_eq!(pushed.status(), 200);

    // Backed up while it runs.
    let file = dir.path().join("acme.fabackup");
    let (ok, out, err) = admin_cmd(
        &db,
        &["backup", "--out", file.to_str().expect("utf-8")],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("1 attachments listed, 1 included"), "{out}");
    assert!(file.is_file());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".fieldaudit-backup-"))
        .collect();
    assert!(leftovers.is_empty(), "no scratch files left: {leftovers:?}");
    drop(srv);

    // Refusals that change nothing.
    let (ok, _, err) = admin_cmd(
        &["--database-url", "postgres://nobody@127.0.0.1:1/none"],
        &[
            "backup",
            "--out",
            dir.path().join("pg.fabackup").to_str().expect("utf-8"),
        ],
        None,
    );
    assert!(!ok && err.contains("pg_dump"), "{err}");
    assert!(!dir.path().join("pg.fabackup").exists());
    let (ok, _, err) = admin_cmd(&db, &["restore", file.to_str().expect("utf-8")], None);
    assert!(!ok && err.contains("not empty"), "{err}");
    let damaged = dir.path().join("damaged.fabackup");
    let mut bytes = std::fs::read(&file).expect("read");
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&damaged, bytes).expect("write");
    let fresh = dir.path().join("fresh");
    let fresh_s = fresh.to_str().expect("utf-8").to_owned();
    let (ok, _, err) = admin_cmd(
        &["--data-dir", &fresh_s],
        &["restore", damaged.to_str().expect("utf-8")],
        None,
    );
    assert!(
        !ok && err.contains("not a readable FieldAudit server backup"),
        "{err}"
    );
    assert!(
        !fresh.join("server.sqlite3").exists(),
        "nothing restored from a damaged file"
    );

    // Restored into an empty directory and served: the same data, the photo, the sign-in.
    let restored = dir.path().join("restored");
    let restored_s = restored.to_str().expect("utf-8").to_owned();
    let rdb = ["--data-dir", restored_s.as_str()];
    let (ok, out, err) = admin_cmd(&rdb, &["restore", file.to_str().expect("utf-8")], None);
    assert!(ok, "{err}");
    assert!(out.contains("1 attachments written"), "{out}");
    assert!(out.contains("0 missing"), "{out}");
    let srv = ServerProcess::start(&rdb, &[]);
    let got = http
        .get(srv.url(&format!("/api/v1/attachments/{sha}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("download");
    assert_eq!(
        got.status(),
        200,
        "the device's token from before the backup works"
    );
    assert_eq!(got.bytes().await.expect("bytes").as_ref(), photo.as_slice());
    let page: fieldaudit_protocol::PullResponse = http
        .get(srv.url("/api/v1/sync/pull?after=0&include_own=true&limit=100"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("pull")
        .json()
        .await
        .expect("page");
    assert_eq!(page.changes.len(), 30);
    // New changes are numbered far above the backup's.
    let more = http
        .post(srv.url("/api/v1/sync/push"))
        .bearer_auth(&token)
        .json(&fieldaudit_protocol::PushRequest {
            changes: batch(31).split_off(30),
        })
        .send()
        .await
        .expect("push");
    assert_eq!(more.status(), 200);
    let after: fieldaudit_protocol::PullResponse = http
        .get(srv.url(&format!(
            "/api/v1/sync/pull?after={}&include_own=true",
            page.next_cursor
        )))
        .bearer_auth(&token)
        .send()
        .await
        .expect("pull")
        .json()
        .await
        .expect("page");
    assert_eq!(after.changes.len(), 1);
    assert!(
        after.changes[0].server_seq > 1 << 40,
        "{}",
        after.changes[0].server_seq
    );
}
