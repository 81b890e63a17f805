//! Attachments on real S3-compatible storage (SeaweedFS on loopback): two
//! `fieldaudit-server` processes on one PostgreSQL database and one bucket, with no
//! shared disk. A photo uploaded through one is downloaded through the other; the
//! hash is checked on the way in; a too-large upload gets a clean 413; while the
//! bucket is down uploads and downloads get a 503 JSON error and nothing is lost:
//! the same upload goes through once the storage is back. The sneakernet export
//! (`sync export`) reads the same bucket with the same setting.

mod common;

use common::seaweed::SeaweedFs;
use common::*;
use fieldaudit_protocol::{ApiError, Change, Hlc, PushRequest, PushResponse};
use reqwest::Client;
use sha2::{Digest, Sha256};
use uuid::Uuid;

const PASSWORD: &str = "a long password";

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

fn photo(len: usize, seed: u8) -> (Vec<u8>, String) {
    let bytes: Vec<u8> = (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    let sha = hex::encode(Sha256::digest(&bytes));
    (bytes, sha)
}

async fn put(
    http: &Client,
    base: &str,
    token: &str,
    sha: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    http.put(format!("{base}/api/v1/attachments/{sha}"))
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .expect("upload")
}

async fn error_of(r: reqwest::Response) -> (u16, ApiError) {
    let status = r.status().as_u16();
    (
        status,
        r.json::<ApiError>().await.expect("a JSON ApiError body"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_one_bucket_and_survive_its_outage() {
    let Some(base_url) = pg_base_url() else {
        return;
    };
    let Some(mut s3) = SeaweedFs::start().await else {
        return;
    };
    let bucket = format!("fa-{}", &Uuid::new_v4().simple().to_string()[..12]);
    s3.create_bucket(&bucket).await;
    let url = format!("s3://{bucket}/site-a");
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
            // An admin: downloads the attachments of every audit.
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
            // An admin: downloads the attachments of every audit.
            "admin",
            "--password",
            PASSWORD,
        ][..],
    ] {
        let (ok, _, err) = admin_cmd(&db, args, None);
        assert!(ok, "{args:?}: {err}");
    }
    let env = s3.aws_env();
    let serve = [
        "--attachments-url",
        url.as_str(),
        "--max-attachment-bytes",
        "65536",
    ];
    let one = ServerProcess::start_with_env(&db, &serve, &env);
    let two = ServerProcess::start_with_env(&db, &serve, &env);
    let http = Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client");
    let ta = login_to(&http, &one.base, "ana", Uuid::now_v7()).await;
    let tb = login_to(&http, &two.base, "bo", Uuid::now_v7()).await;

    // Uploaded through one server, downloaded through the other.
    let (bytes, sha) = photo(40_000, 7);
    let r = put(&http, &one.base, &ta, &sha, bytes.clone()).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let head = http
        .head(format!("{}/api/v1/attachments/{sha}", two.base))
        .bearer_auth(&tb)
        .send()
        .await
        .expect("head");
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], "40000");
    let got = http
        .get(format!("{}/api/v1/attachments/{sha}", two.base))
        .bearer_auth(&tb)
        .send()
        .await
        .expect("get");
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.expect("bytes").as_ref(), bytes.as_slice());
    // The same content again through the other server changes nothing.
    let again = put(&http, &two.base, &tb, &sha, bytes.clone()).await;
    assert_eq!(again.status(), 200);
    // It is really in the bucket, under the prefix, keyed by organisation and hash.
    let keys = s3.keys(&bucket, "site-a/").await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(
        keys[0].starts_with("site-a/") && keys[0].ends_with(&format!("/{sha}")),
        "{keys:?}"
    );

    // The hash is checked on the way in: a body that does not match is refused and not stored.
    let (other, other_sha) = photo(1000, 9);
    let mut cut = other.clone();
    cut.truncate(600);
    let (status, e) = error_of(put(&http, &two.base, &tb, &other_sha, cut).await).await;
    assert_eq!(
        (status, e.code.as_str()),
        (422, "hash_mismatch"),
        "{}",
        e.message
    );
    assert_eq!(s3.keys(&bucket, "site-a/").await.len(), 1, "nothing stored");

    // Too large: a clean 413 JSON error, nothing stored.
    let (big, big_sha) = photo(70_000, 3);
    let (status, e) = error_of(put(&http, &one.base, &ta, &big_sha, big).await).await;
    assert_eq!(
        (status, e.code.as_str()),
        (413, "payload_too_large"),
        "{}",
        e.message
    );
    assert_eq!(s3.keys(&bucket, "site-a/").await.len(), 1, "nothing stored");

    // The sneakernet export reads the bucket too: a device pushed the photo's
    // metadata (an attachment names its audit first: every row belongs to one).
    let (audit, row) = (Uuid::now_v7(), Uuid::now_v7());
    let hlc = Hlc::from_datetime(chrono::Utc::now());
    let op = |device_seq, entity: &str, row_id, field: &str, value| Change {
        device_seq,
        hlc,
        entity: entity.into(),
        row_id,
        field: field.into(),
        value,
    };
    let changes = vec![
        op(1, "audit", audit, "status", serde_json::json!("draft")),
        op(
            2,
            "attachment",
            row,
            "audit_id",
            serde_json::json!(audit.to_string()),
        ),
        op(3, "attachment", row, "sha256", serde_json::json!(sha)),
    ];
    let pushed: PushResponse = http
        .post(format!("{}/api/v1/sync/push", one.base))
        .bearer_auth(&ta)
        .json(&PushRequest { changes })
        .send()
        .await
        .expect("push")
        .json()
        .await
        .expect("push answer");
    assert_eq!(pushed.applied, 3, "{:?}", pushed.rejected);
    let out = tempfile::tempdir().expect("dir");
    let file = out.path().join("for-site.fasync");
    let mut export_args: Vec<&str> = db.to_vec();
    export_args.extend(["--attachments-url", url.as_str()]);
    let export = std::process::Command::new(BIN)
        .args(&export_args)
        .args(["sync", "export", "--org", "acme", "--out"])
        .arg(&file)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("RUST_LOG", "warn")
        .output()
        .expect("run sync export");
    let said = String::from_utf8_lossy(&export.stdout);
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    assert!(said.contains("1 attachments"), "{said}");

    // The bucket goes down: uploads and downloads answer 503 with a JSON error.
    s3.stop();
    let (later, later_sha) = photo(20_000, 11);
    let (status, e) = error_of(put(&http, &one.base, &ta, &later_sha, later.clone()).await).await;
    assert_eq!(
        (status, e.code.as_str()),
        (503, "storage_unavailable"),
        "{}",
        e.message
    );
    let r = http
        .get(format!("{}/api/v1/attachments/{sha}", two.base))
        .bearer_auth(&tb)
        .send()
        .await
        .expect("get while down");
    let (status, e) = error_of(r).await;
    assert_eq!((status, e.code.as_str()), (503, "storage_unavailable"));
    // The servers themselves stay up (their database answers).
    let health = http.get(one.url("/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), 200);

    // Back up: the device's retry of the same upload goes through, nothing was lost.
    s3.restart().await;
    let r = put(&http, &two.base, &tb, &later_sha, later.clone()).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    for (sha, bytes) in [(&sha, &bytes), (&later_sha, &later)] {
        let got = http
            .get(format!("{}/api/v1/attachments/{sha}", one.base))
            .bearer_auth(&ta)
            .send()
            .await
            .expect("get after restart");
        assert_eq!(got.status(), 200);
        assert_eq!(got.bytes().await.expect("bytes").as_ref(), bytes.as_slice());
    }
    assert_eq!(s3.keys(&bucket, "site-a/").await.len(), 2);
}

#[test]
fn s3_without_credentials_is_refused_with_what_to_set() {
    let out = std::process::Command::new(BIN)
        .args(["--data-dir"])
        .arg(tempfile::tempdir().expect("dir").path())
        .args([
            "--attachments-url",
            "s3://fa-photos/x",
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .env_remove("AWS_SKIP_SIGNATURE")
        .env_remove("FIELDAUDIT_S3_INSTANCE_CREDENTIALS")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("AWS_ACCESS_KEY_ID"), "{err}");
    let out = std::process::Command::new(BIN)
        .args([
            "--attachments-url",
            "gs://elsewhere",
            "sync",
            "export",
            "--org",
            "acme",
            "--out",
            "/nonexistent/x",
        ])
        .arg("--data-dir")
        .arg(tempfile::tempdir().expect("dir").path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("s3://bucket/prefix"), "{err}");
}
