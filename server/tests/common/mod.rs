//! Test helpers: fresh stores on each backend (SQLite in a temp dir; PostgreSQL in
//! a database of its own, dropped afterwards), in-process servers on loopback and
//! sign-in shortcuts.
#![allow(dead_code, missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;

use fieldaudit_protocol::api::{LoginRequest, LoginResponse, Role};
use fieldaudit_protocol::{Change, Hlc};
use fieldaudit_server::store::{self, DeviceRegistration, Organisation, ServerStore, User};
use fieldaudit_server::{admin, attachments, auth, AppState, ServerConfig};
use uuid::Uuid;

pub mod seaweed;

pub const PG_ENV: &str = "FIELDAUDIT_TEST_DATABASE_URL";

/// A store on one backend, cleaned up when dropped.
pub struct Backend {
    pub store: Arc<dyn ServerStore>,
    pub dir: tempfile::TempDir,
    pub pg: Option<PgDatabase>,
}

impl Backend {
    pub fn store(&self) -> &dyn ServerStore {
        self.store.as_ref()
    }
}

pub async fn sqlite() -> Backend {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store::open(None, dir.path())
        .await
        .expect("open SQLite store");
    Backend {
        store,
        dir,
        pg: None,
    }
}

/// The base PostgreSQL URL, or None (after saying so) when tests should skip PG.
/// In CI (CI=true) a missing URL is a failure, never a silent pass.
pub fn pg_base_url() -> Option<String> {
    match std::env::var(PG_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "{PG_ENV} is not set but CI=true: the PostgreSQL store tests must run in CI"
                );
            }
            eprintln!("skipped: PostgreSQL tests need {PG_ENV} (e.g. postgres://postgres@127.0.0.1:5432/test)");
            None
        }
    }
}

/// A database created for one test and dropped afterwards.
pub struct PgDatabase {
    pub base_url: String,
    pub name: String,
    pub url: String,
}

fn with_db(url: &str, db: &str) -> String {
    let (head, tail) = match url.find('?') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let slash = head
        .rfind('/')
        .filter(|i| *i > head.find("//").map_or(0, |j| j + 1))
        .unwrap_or(head.len());
    format!("{}/{db}{tail}", &head[..slash])
}

impl PgDatabase {
    pub async fn create(base_url: &str) -> PgDatabase {
        let name = format!("fa_test_{}", Uuid::new_v4().simple());
        let (client, conn) = tokio_postgres::connect(base_url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {base_url} ({PG_ENV}): {e}"));
        tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        PgDatabase {
            base_url: base_url.to_owned(),
            url: with_db(base_url, &name),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (base, name) = (self.base_url.clone(), self.name.clone());
        // Drop runs outside async; use a small runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let (client, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
                    .await
                    .ok()?;
                tokio::spawn(conn);
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
    }
}

pub async fn postgres() -> Option<Backend> {
    let base = pg_base_url()?;
    let db = PgDatabase::create(&base).await;
    let store = store::open(Some(&db.url), std::path::Path::new("/nonexistent"))
        .await
        .expect("open PostgreSQL store");
    Some(Backend {
        store,
        dir: tempfile::tempdir().expect("temp dir"),
        pg: Some(db),
    })
}

/// An organisation with one user and one registered device.
pub struct Tenant {
    pub org: Organisation,
    pub user: User,
    pub device: Uuid,
    pub token: String,
}

pub async fn tenant(store: &dyn ServerStore, slug: &str) -> Tenant {
    let org = store
        .create_organisation(slug, slug)
        .await
        .expect("create org");
    let user = store
        .add_user(org.id, "rina", "$argon2id$not-used-here", Role::Auditor)
        .await
        .expect("add user");
    let device = Uuid::now_v7();
    let token = auth::new_token();
    add_device(store, &org, &user, device, &token).await;
    Tenant {
        org,
        user,
        device,
        token,
    }
}

pub async fn add_device(
    store: &dyn ServerStore,
    org: &Organisation,
    user: &User,
    device: Uuid,
    token: &str,
) {
    store
        .register_device(&DeviceRegistration {
            device_id: device,
            organisation_id: org.id,
            user_id: user.id,
            name: "test laptop".into(),
            token_hash: auth::token_hash(token),
            token_expires_at: chrono::Utc::now() + chrono::Duration::days(1),
        })
        .await
        .expect("register device");
}

/// A valid change: `facility.name` of `row` set to `value`, stamped now.
pub fn change(seq: u64, row: Uuid, value: &str) -> Change {
    Change {
        device_seq: seq,
        hlc: Hlc::from_datetime(chrono::Utc::now()),
        entity: "facility".into(),
        row_id: row,
        field: "name".into(),
        value: serde_json::json!(value),
    }
}

/// `n` changes numbered 1..=n over a few rows and fields.
pub fn batch(n: u64) -> Vec<Change> {
    let rows: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
    let base = Hlc::from_datetime(chrono::Utc::now()).0;
    (1..=n)
        .map(|i| Change {
            device_seq: i,
            hlc: Hlc(base + i),
            entity: "facility".into(),
            row_id: rows[(i % 3) as usize],
            field: if i % 2 == 0 {
                "name".into()
            } else {
                "address".into()
            },
            value: serde_json::json!(format!("value {i}")),
        })
        .collect()
}

/// An in-process server on 127.0.0.1:0, stopped when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    pub backend: Backend,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
    pub fn store(&self) -> &dyn ServerStore {
        self.backend.store()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

pub async fn server_with(backend: Backend, config: ServerConfig) -> TestServer {
    let (addr, stop) = spawn_server(backend.store.clone(), backend.dir.path(), config).await;
    TestServer {
        addr,
        base: format!("http://{addr}"),
        backend,
        stop: Some(stop),
    }
}

/// Serves `store` on 127.0.0.1:0 (attachments under `dir`) until the sender is
/// dropped or sent to.
pub async fn spawn_server(
    store: Arc<dyn ServerStore>,
    dir: &std::path::Path,
    config: ServerConfig,
) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let blobs = attachments::local(&dir.join("attachments")).expect("attachments dir");
    let state = AppState {
        store,
        blobs,
        config: Arc::new(config),
        metrics: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(fieldaudit_server::http::serve(
        listener,
        state,
        async move {
            let _ = rx.await;
        },
    ));
    (addr, tx)
}

impl Backend {
    /// The same database opened again, as a second server process would.
    pub async fn reopen(&self) -> Arc<dyn ServerStore> {
        let url = self.pg.as_ref().map(|db| db.url.clone());
        store::open(url.as_deref(), self.dir.path())
            .await
            .expect("open the store again")
    }
}

pub async fn server() -> TestServer {
    server_with(sqlite().await, ServerConfig::default()).await
}

/// Creates an organisation with a user (real argon2 hash) through the admin functions.
pub async fn org_with_user(
    store: &dyn ServerStore,
    slug: &str,
    user: &str,
    password: &str,
    role: Role,
) {
    admin::create_organisation(store, slug, slug)
        .await
        .expect("create org");
    admin::add_user(store, slug, user, password, role)
        .await
        .expect("add user");
}

pub async fn login(
    http: &reqwest::Client,
    srv: &TestServer,
    org: &str,
    user: &str,
    password: &str,
    device: Uuid,
) -> LoginResponse {
    let res = http
        .post(srv.url("/api/v1/auth/login"))
        .json(&LoginRequest {
            organisation: org.into(),
            username: user.into(),
            password: password.into(),
            device_id: device,
            device_name: "test laptop".into(),
        })
        .send()
        .await
        .expect("login request");
    assert_eq!(
        res.status(),
        200,
        "login failed: {}",
        res.text().await.unwrap_or_default()
    );
    res.json().await.expect("login body")
}

/// The `fieldaudit-server` binary built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_fieldaudit-server");

/// Runs an admin subcommand; returns (success, stdout, stderr).
pub fn admin_cmd(db_args: &[&str], args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(BIN)
        .args(db_args)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("run fieldaudit-server");
    if let Some(mut input) = child.stdin.take() {
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("write stdin");
        }
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A `fieldaudit-server serve` process on 127.0.0.1:0, killed (by its pid) when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub base: String,
    /// Its later lines on stdout.
    lines: std::sync::mpsc::Receiver<String>,
}

impl ServerProcess {
    pub fn start(db_args: &[&str], extra: &[&str]) -> ServerProcess {
        Self::start_with_env(db_args, extra, &[])
    }

    /// Like [`ServerProcess::start`], with these environment variables set.
    pub fn start_with_env(
        db_args: &[&str],
        extra: &[&str],
        env: &[(String, String)],
    ) -> ServerProcess {
        use std::io::BufRead;
        let mut child = std::process::Command::new(BIN)
            .args(db_args)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start fieldaudit-server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let line = match rx.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                panic!("fieldaudit-server did not print its address within 60 s");
            }
        };
        let base = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        ServerProcess {
            child,
            base,
            lines: rx,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The next line it prints on stdout (within 30 s).
    pub fn next_line(&self) -> String {
        self.lines
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("another line from fieldaudit-server")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
