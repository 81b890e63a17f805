//! The server under test: a backend (an embedded SQLite data directory, or a fresh
//! PostgreSQL database dropped afterwards) set up through the server's library
//! (`store::open`, `admin`), and the real `fieldaudit-server serve` binary run on it
//! as a child process on loopback.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use fieldaudit_protocol::api::Role;
use fieldaudit_protocol::Change;
use fieldaudit_server::sync::PushPolicy;
use fieldaudit_server::{admin, ServerStore};
use tokio::runtime::Runtime;
use uuid::Uuid;

/// Organisation every scenario uses.
pub const ORG: &str = "bench";
/// The one user every device signs in as.
pub const USER: &str = "auditor";
/// Its password.
pub const PASSWORD: &str = "correct horse battery";

/// Finds the `fieldaudit-server` binary.
pub fn find_server_bin(given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(p) = given {
        if p.is_file() {
            return Ok(p);
        }
        bail!("the server binary {} does not exist; build it with `cargo build --release -p fieldaudit-server`", p.display());
    }
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_owned))
    {
        candidates.push(dir.join("fieldaudit-server"));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    candidates.push(target.join("release/fieldaudit-server"));
    candidates.push(target.join("debug/fieldaudit-server"));
    candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        anyhow!(
            "cannot find the fieldaudit-server binary next to this one or under {}; build it with `cargo build --release -p fieldaudit-server` (same profile as the bench) or pass --server-bin",
            target.display()
        )
    })
}

/// Which database the server keeps its data in.
#[derive(Clone, Debug)]
pub enum Kind {
    /// Embedded SQLite in a temporary data directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server at this URL.
    Postgres(String),
}

impl Kind {
    /// Short name for the table.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Sqlite => "sqlite",
            Kind::Postgres(_) => "postgres",
        }
    }
}

/// One backend with the organisation and user created.
pub struct Backend {
    rt: Runtime,
    /// The server's data directory (SQLite file, attachments).
    pub dir: tempfile::TempDir,
    database_url: Option<String>,
    pg: Option<(String, String)>,
    /// The organisation's id.
    pub org_id: Uuid,
}

impl Backend {
    /// A fresh backend with organisation [`ORG`] and user [`USER`].
    pub fn new(kind: &Kind) -> Result<Backend> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start a tokio runtime")?;
        let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
        let (database_url, pg) = match kind {
            Kind::Sqlite => (None, None),
            Kind::Postgres(base) => {
                let name = format!("fa_bench_{}", Uuid::new_v4().simple());
                rt.block_on(async {
                    let (client, conn) = tokio_postgres::connect(base, tokio_postgres::NoTls)
                        .await
                        .with_context(|| format!("cannot connect to PostgreSQL at {base}; start it or leave out --database-url / FIELDAUDIT_TEST_DATABASE_URL"))?;
                    tokio::spawn(conn);
                    client.batch_execute(&format!("CREATE DATABASE {name}")).await.context("cannot create the benchmark database (does the user have CREATEDB?)")?;
                    anyhow::Ok(())
                })?;
                (Some(with_database(base, &name)), Some((base.clone(), name)))
            }
        };
        let mut b = Backend {
            rt,
            dir,
            database_url,
            pg,
            org_id: Uuid::nil(),
        };
        let store = b.store()?;
        b.org_id = b.rt.block_on(async {
            let org = admin::create_organisation(store.as_ref(), ORG, "Benchmark").await?;
            // An admin: the transfer scenarios write registry rows and receive everything.
            admin::add_user(store.as_ref(), ORG, USER, PASSWORD, Role::Admin).await?;
            anyhow::Ok(org.id)
        })?;
        Ok(b)
    }

    /// Opens the server store (in this process) on the backend.
    pub fn store(&self) -> Result<Arc<dyn ServerStore>> {
        self.rt
            .block_on(fieldaudit_server::store::open(
                self.database_url.as_deref(),
                self.dir.path(),
            ))
            .map_err(|e| anyhow!("cannot open the server store: {e}"))
    }

    /// Runs a future on the backend's runtime (the server library's async API).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// How many changes the organisation's log holds (its last `server_seq`), read
    /// straight from the database.
    pub fn org_changes(&self) -> Result<u64> {
        let org = self.org_id.to_string();
        let sql = "SELECT last FROM org_seq WHERE organisation_id = $1";
        match &self.database_url {
            None => {
                let conn = rusqlite::Connection::open(self.dir.path().join("server.sqlite3"))
                    .context("cannot open the server's SQLite file")?;
                let last: i64 = conn
                    .query_row(sql, [&org], |r| r.get(0))
                    .context("cannot read the organisation's change count")?;
                Ok(last as u64)
            }
            Some(url) => self.rt.block_on(async {
                let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .context("cannot connect to the benchmark database")?;
                tokio::spawn(conn);
                let row = client
                    .query_one(sql, &[&org])
                    .await
                    .context("cannot read the organisation's change count")?;
                let last: i64 = row.get(0);
                Ok(last as u64)
            }),
        }
    }

    /// Pushes a device's changes straight into the server store (no HTTP), in
    /// batches of `batch`; used to load a long history quickly.
    pub fn load_history(
        &self,
        store: &dyn ServerStore,
        device_id: Uuid,
        changes: &[Change],
    ) -> Result<()> {
        self.rt.block_on(async {
            let resp = store
                .push(self.org_id, device_id, changes, &PushPolicy::default())
                .await
                .map_err(|e| anyhow!("loading history into the server store failed: {e}"))?;
            if !resp.rejected.is_empty() {
                bail!(
                    "the server store rejected {} history ops, first: {:?}",
                    resp.rejected.len(),
                    resp.rejected[0]
                );
            }
            Ok(())
        })
    }

    /// Starts `fieldaudit-server serve` on this backend.
    pub fn spawn(&self, bin: &Path) -> Result<ServerProc> {
        let mut cmd = Command::new(bin);
        cmd.arg("--data-dir").arg(self.dir.path());
        if let Some(url) = &self.database_url {
            cmd.arg("--database-url").arg(url);
        }
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(
                std::fs::File::create(self.dir.path().join("server.log"))
                    .context("cannot create server.log")?,
            ));
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("no stdout from the server"))?;
        let mut lines = BufReader::new(stdout).lines();
        let mut url = None;
        for line in lines.by_ref() {
            let line = line.context("cannot read the server's output")?;
            if let Some(rest) = line.strip_prefix("listening on ") {
                url = Some(rest.trim().to_owned());
                break;
            }
        }
        let Some(url) = url else {
            let _ = child.kill();
            let _ = child.wait();
            let log =
                std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
            bail!("the server exited without saying where it listens; its log:\n{log}");
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(ServerProc { child, url })
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
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

/// A running server process; killed when dropped.
pub struct ServerProc {
    child: Child,
    /// Its base URL.
    pub url: String,
}

impl ServerProc {
    /// The server's peak resident memory so far (VmHWM), in MiB.
    pub fn peak_mib(&self) -> Result<f64> {
        peak_mib_of(self.child.id())
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// VmHWM of a process, in MiB.
pub fn peak_mib_of(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status (Linux only)"))?;
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow!("no VmHWM in /proc/{pid}/status"))?;
    Ok(kb as f64 / 1024.0)
}

/// CPU time (user + system, all threads) a process has used so far, in seconds.
pub fn cpu_secs_of(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("cannot read /proc/{pid}/stat (Linux only)"))?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| anyhow!("odd /proc/{pid}/stat"))?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| anyhow!("odd /proc/{pid}/stat"))
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    Ok((ticks(11)? + ticks(12)?) / 100.0)
}

fn with_database(base: &str, name: &str) -> String {
    let (head, query) = base.split_at(base.find('?').unwrap_or(base.len()));
    let scheme_end = head.find("//").map_or(0, |i| i + 2);
    let path_start = head[scheme_end..]
        .find('/')
        .map_or(head.len(), |i| scheme_end + i);
    format!("{}/{name}{query}", &head[..path_start])
}
