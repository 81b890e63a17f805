//! Server instances for tests: one backend (a SQLite data directory or a fresh
//! PostgreSQL database, dropped afterwards), any number of server instances on it,
//! each stoppable (abruptly, as a crash) and restartable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use fieldaudit_protocol::api::Role;
use fieldaudit_protocol::scope::TeamRole;
use fieldaudit_server::teams::{self, Assignment};
use fieldaudit_server::{admin, attachments, AppState, ServerConfig, ServerStore};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

/// Where the server keeps its data.
pub enum Backend {
    /// An embedded SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on this PostgreSQL server (base URL).
    Postgres(String),
}

/// One backend and the server instances running on it.
pub struct Cluster {
    /// The runtime the servers run on.
    pub rt: Runtime,
    dir: tempfile::TempDir,
    database_url: Option<String>,
    pg: Option<(String, String)>,
    config: ServerConfig,
    instances: Vec<Option<(SocketAddr, JoinHandle<()>)>>,
}

impl Cluster {
    /// A backend with no server running yet.
    pub fn new(backend: Backend, config: ServerConfig) -> Cluster {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let (database_url, pg) = match backend {
            Backend::Sqlite => (None, None),
            Backend::Postgres(base) => {
                let name = format!("fa_sync_{}", uuid::Uuid::new_v4().simple());
                rt.block_on(async {
                    let (client, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
                        .await
                        .expect("connect to PostgreSQL");
                    tokio::spawn(conn);
                    client
                        .batch_execute(&format!("CREATE DATABASE {name}"))
                        .await
                        .expect("create test database");
                });
                (Some(with_database(&base, &name)), Some((base, name)))
            }
        };
        Cluster {
            rt,
            dir,
            database_url,
            pg,
            config,
            instances: Vec::new(),
        }
    }

    async fn open_store(url: Option<String>, dir: PathBuf) -> Arc<dyn ServerStore> {
        fieldaudit_server::store::open(url.as_deref(), &dir)
            .await
            .expect("open server store")
    }

    /// Creates an organisation with one admin per name (password `correct horse
    /// battery`): admins receive everything and may write anything, so tests of
    /// sync itself are not about roles.
    pub fn organisation(&self, slug: &str, users: &[&str]) {
        let users: Vec<(&str, Role)> = users.iter().map(|u| (*u, Role::Admin)).collect();
        self.organisation_with_roles(slug, &users);
    }

    /// Creates an organisation with these users and roles (password `correct horse battery`).
    pub fn organisation_with_roles(&self, slug: &str, users: &[(&str, Role)]) {
        let (url, dir) = (self.database_url.clone(), self.dir.path().to_owned());
        let slug = slug.to_owned();
        let users: Vec<(String, Role)> = users.iter().map(|(u, r)| (u.to_string(), *r)).collect();
        self.rt.block_on(async move {
            let store = Self::open_store(url, dir).await;
            admin::create_organisation(store.as_ref(), &slug, &slug)
                .await
                .expect("create organisation");
            for (u, role) in users {
                admin::add_user(store.as_ref(), &slug, &u, PASSWORD, role)
                    .await
                    .expect("add user");
            }
        });
    }

    /// The backend's data directory (the embedded SQLite database and attachments).
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The PostgreSQL URL of the backend's database, if it is PostgreSQL.
    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_deref()
    }

    /// Opens the backend's store, for admin functions in tests.
    pub fn server_store(&self) -> Arc<dyn ServerStore> {
        self.rt.block_on(Self::open_store(
            self.database_url.clone(),
            self.dir.path().to_owned(),
        ))
    }

    /// Sets the team of an audit of `slug` to exactly these members, as the office
    /// does (`fieldaudit-server audit assign`).
    pub fn assign(&self, slug: &str, audit: uuid::Uuid, members: &[(&str, TeamRole)]) {
        let members: Vec<Assignment> = members
            .iter()
            .map(|(u, r)| Assignment {
                username: u.to_string(),
                role: *r,
            })
            .collect();
        let store = self.server_store();
        self.rt
            .block_on(teams::assign(store.as_ref(), slug, audit, &members))
            .expect("assign the team");
    }

    /// The user names on an audit's team, as the server holds it.
    pub fn team(&self, slug: &str, audit: uuid::Uuid) -> Vec<String> {
        let store = self.server_store();
        self.rt
            .block_on(teams::team(store.as_ref(), slug, audit))
            .expect("read the team")
            .into_iter()
            .map(|m| m.username)
            .collect()
    }

    /// Revokes a device of an organisation.
    pub fn revoke(&self, slug: &str, device: uuid::Uuid) {
        let (url, dir) = (self.database_url.clone(), self.dir.path().to_owned());
        let slug = slug.to_owned();
        self.rt.block_on(async move {
            let store = Self::open_store(url, dir).await;
            admin::revoke_device(store.as_ref(), &slug, device)
                .await
                .expect("revoke");
        });
    }

    /// Imports a device's sync file as `fieldaudit-server sync import` does.
    pub fn import_device_file(
        &self,
        bytes: &[u8],
    ) -> Result<fieldaudit_protocol::PushResponse, String> {
        let (url, dir) = (self.database_url.clone(), self.dir.path().to_owned());
        let bytes = bytes.to_vec();
        self.rt.block_on(async move {
            let store = Self::open_store(url, dir.clone()).await;
            let blobs = attachments::local(&dir.join("attachments"))?;
            let file = fieldaudit_server::sync_file::decode_device_file(&bytes)
                .map_err(|e| e.to_string())?;
            let policy = fieldaudit_server::sync::PushPolicy::default();
            fieldaudit_server::sync_file::import_device_file(
                store.as_ref(),
                &blobs,
                &file,
                &policy,
                1 << 30,
                None,
            )
            .await
            .map_err(|e| e.to_string())
        })
    }

    /// Exports an organisation's changes after `after` as `fieldaudit-server sync export` does.
    pub fn export_server_file(&self, org: &str, after: u64) -> Vec<u8> {
        let (url, dir) = (self.database_url.clone(), self.dir.path().to_owned());
        let org = org.to_owned();
        self.rt.block_on(async move {
            let store = Self::open_store(url, dir.clone()).await;
            let blobs = attachments::local(&dir.join("attachments")).expect("attachments dir");
            fieldaudit_server::sync_file::export_server_file(store.as_ref(), &blobs, &org, after)
                .await
                .expect("export")
                .encode()
        })
    }

    /// Backs the SQLite backend up into `out` as `fieldaudit-server backup` does, while
    /// its servers keep running.
    pub fn backup(&self, out: &std::path::Path) -> fieldaudit_server::backup::BackupSummary {
        assert!(
            self.database_url.is_none(),
            "backup is for the SQLite backend"
        );
        let dir = self.dir.path().to_owned();
        let out = out.to_owned();
        self.rt.block_on(async move {
            let storage =
                fieldaudit_server::storage::StorageLocation::Local(dir.join("attachments"));
            fieldaudit_server::backup::create(&dir, &storage, &out, true)
                .await
                .expect("backup")
        })
    }

    /// A SQLite backend restored from a backup file as `fieldaudit-server restore`
    /// does, into a new empty data directory; no server running yet.
    pub fn restored(
        file: &std::path::Path,
        config: ServerConfig,
    ) -> (Cluster, fieldaudit_server::backup::RestoreSummary) {
        let c = Cluster::new(Backend::Sqlite, config);
        let dir = c.dir.path().to_owned();
        let file = file.to_owned();
        let summary = c.rt.block_on(async move {
            let storage =
                fieldaudit_server::storage::StorageLocation::Local(dir.join("attachments"));
            fieldaudit_server::backup::restore(&file, &dir, &storage)
                .await
                .expect("restore")
        });
        (c, summary)
    }

    /// Starts one more server instance on the backend; returns its index.
    pub fn start(&mut self) -> usize {
        let (url, dir, config) = (
            self.database_url.clone(),
            self.dir.path().to_owned(),
            self.config.clone(),
        );
        let (addr, task) = self.rt.block_on(async move {
            let store = Self::open_store(url, dir.clone()).await;
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
            let addr = listener.local_addr().expect("address");
            let task = tokio::spawn(async move {
                let _ =
                    fieldaudit_server::http::serve(listener, state, std::future::pending()).await;
            });
            (addr, task)
        });
        self.instances.push(Some((addr, task)));
        self.instances.len() - 1
    }

    /// Stops instance `i` at once, in the middle of whatever it was doing.
    pub fn kill(&mut self, i: usize) {
        if let Some((_, task)) = self.instances[i].take() {
            task.abort();
            let _ = self.rt.block_on(task);
        }
    }

    /// Replaces instance `i` with a fresh one (a restart; the address changes).
    pub fn restart(&mut self, i: usize) {
        self.kill(i);
        let j = self.start();
        self.instances.swap(i, j);
        self.instances.pop();
    }

    /// Base URLs of the running instances.
    pub fn urls(&self) -> Vec<String> {
        self.instances
            .iter()
            .flatten()
            .map(|(a, _)| format!("http://{a}"))
            .collect()
    }
}

/// The test password of every user.
pub const PASSWORD: &str = "correct horse battery";

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.instances.len() {
            self.kill(i);
        }
        if let Some((base, name)) = self.pg.take() {
            self.rt.block_on(async move {
                if let Ok((client, conn)) =
                    tokio_postgres::connect(&base, tokio_postgres::NoTls).await
                {
                    tokio::spawn(conn);
                    let _ = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        }
    }
}

fn with_database(base: &str, name: &str) -> String {
    let (head, query) = base.split_at(base.find('?').unwrap_or(base.len()));
    let scheme_end = head.find("//").map_or(0, |i| i + 2);
    let path_start = head[scheme_end..]
        .find('/')
        .map_or(head.len(), |i| scheme_end + i);
    format!("{}/{name}{query}", &head[..path_start])
}
