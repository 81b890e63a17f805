//! The real `fieldaudit-server` binary: admin subcommands on SQLite, `serve` with
//! no flags but a data directory, revocation from the command line.

mod common;

use common::*;
use fieldaudit_protocol::ApiError;
use reqwest::Client;
use uuid::Uuid;

#[tokio::test]
async fn admin_commands_and_serve_on_embedded_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8 path");
    let db = ["--data-dir", data];

    let (ok, out, err) = admin_cmd(
        &db,
        &["org", "create", "acme", "--name", "Acme Audits"],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("created organisation acme"), "{out}");
    let (ok, _, err) = admin_cmd(&db, &["org", "create", "acme"], None);
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = admin_cmd(&db, &["org", "create", "Bad Slug!"], None);
    assert!(!ok && err.contains("slug"), "{err}");
    let (ok, out, err) = admin_cmd(
        &db,
        &["user", "add", "--org", "acme", "rina", "--role", "auditor"],
        Some("a long password\n"),
    );
    assert!(ok, "{err}");
    assert!(out.contains("added user rina (auditor)"), "{out}");
    let (ok, _, err) = admin_cmd(
        &db,
        &[
            "user",
            "add",
            "--org",
            "acme",
            "bo",
            "--role",
            "auditor",
            "--password",
            "short",
        ],
        None,
    );
    assert!(!ok && err.contains("at least 8"), "{err}");
    let (ok, _, err) = admin_cmd(
        &db,
        &[
            "user",
            "add",
            "--org",
            "nope",
            "bo",
            "--role",
            "auditor",
            "--password",
            "long enough",
        ],
        None,
    );
    assert!(!ok && err.contains("org create nope"), "{err}");
    let (ok, _, err) = admin_cmd(
        &db,
        &[
            "user",
            "add",
            "--org",
            "acme",
            "bo",
            "--role",
            "boss",
            "--password",
            "long enough",
        ],
        None,
    );
    assert!(!ok && err.contains("unknown role"), "{err}");

    let srv = ServerProcess::start(&db, &[]);
    let http = Client::new();
    let health: serde_json::Value = http
        .get(srv.url("/healthz"))
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health["backend"], "sqlite");
    let device = Uuid::now_v7();
    let res = http
        .post(srv.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"organisation": "acme", "username": "rina", "password": "a long password", "device_id": device, "device_name": "Rina's laptop"}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200);
    let token = res.json::<serde_json::Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(
        http.get(srv.url("/api/v1/sync/pull"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("pull")
            .status(),
        200
    );
    // `serve` seeds the built-in templates.
    let templates: Vec<serde_json::Value> = http
        .get(srv.url("/api/v1/templates"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("templates")
        .json()
        .await
        .expect("json");
    assert!(
        !templates.is_empty(),
        "serve must seed the built-in templates"
    );

    // The admin CLI works while the server runs (same SQLite file, WAL).
    let (ok, out, err) = admin_cmd(&db, &["device", "list", "--org", "acme"], None);
    assert!(ok, "{err}");
    assert!(
        out.contains(&device.to_string())
            && out.contains("Rina's laptop")
            && out.contains("active"),
        "{out}"
    );
    let (ok, out, err) = admin_cmd(
        &db,
        &["device", "revoke", "--org", "acme", &device.to_string()],
        None,
    );
    assert!(ok && out.contains("revoked"), "{err}");
    let res = http
        .get(srv.url("/api/v1/sync/pull"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("pull");
    assert_eq!(res.status(), 401);
    let err: ApiError = res.json().await.expect("json");
    assert_eq!(err.code, "token_revoked");
    let (ok, out, _) = admin_cmd(&db, &["device", "list", "--org", "acme"], None);
    assert!(ok && out.contains("revoked"), "{out}");
    let (ok, _, err) = admin_cmd(
        &db,
        &[
            "device",
            "revoke",
            "--org",
            "acme",
            &Uuid::now_v7().to_string(),
        ],
        None,
    );
    assert!(!ok && err.contains("no device"), "{err}");
}

#[test]
fn serve_refuses_a_newer_schema_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().to_str().expect("utf-8");
    let (ok, _, err) = admin_cmd(&["--data-dir", data], &["org", "create", "acme"], None);
    assert!(ok, "{err}");
    let conn = rusqlite::Connection::open(dir.path().join("server.sqlite3")).expect("open");
    conn.pragma_update(None, "user_version", 42).expect("bump");
    drop(conn);
    let (ok, _, err) = admin_cmd(
        &["--data-dir", data],
        &["serve", "--listen", "127.0.0.1:0"],
        None,
    );
    assert!(!ok);
    assert!(
        err.contains("schema is version 42, newer than this server knows"),
        "{err}"
    );
}
