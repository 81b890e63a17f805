//! The `fieldaudit-server` binary: `serve`, and the administration subcommands
//! (`org create`, `user add|list|set-role|disable|enable|reset-password`, `audit
//! plan|assign|team`, `device list`, `device revoke`, `facility import`). Each works on the
//! embedded SQLite database in `--data-dir`, or on PostgreSQL with `--database-url`.

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use fieldaudit_protocol::api::Role;
use fieldaudit_server::backup::BackupError;
use fieldaudit_server::storage::StorageLocation;
use fieldaudit_server::store::ServerStore;
use fieldaudit_server::sync::PushPolicy;
use fieldaudit_server::{
    admin, http, parse_duration, reviewers, store, sync_file, AppState, ServerConfig,
};
use uuid::Uuid;

/// FieldAudit sync server.
#[derive(Parser)]
#[command(name = "fieldaudit-server", version, about)]
struct Cli {
    /// Directory for the embedded SQLite database and the attachments.
    #[arg(long, global = true, default_value = "./fieldaudit-server-data")]
    data_dir: PathBuf,
    /// Use PostgreSQL instead of SQLite, e.g. postgres://user@127.0.0.1:5432/fieldaudit.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Where attachments are kept: s3://bucket/prefix (S3-compatible storage; endpoint,
    /// region and credentials from the AWS_* environment variables) or
    /// file:///absolute/dir. Every command that touches attachments uses it.
    #[arg(long, global = true, env = "FIELDAUDIT_ATTACHMENTS_URL")]
    attachments_url: Option<String>,
    /// A local attachments directory (default: <data-dir>/attachments); instead of --attachments-url.
    #[arg(long, global = true)]
    attachments_dir: Option<PathBuf>,
    /// Log format on stderr: `text` or `json` (one JSON object per event). Level from RUST_LOG.
    #[arg(long, global = true, default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve(ServeArgs),
    /// Manage organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage devices.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Manage facilities.
    #[command(subcommand)]
    Facility(FacilityCommand),
    /// Reviewer public keys that worker interviews are sealed to.
    #[command(subcommand)]
    Reviewer(ReviewerCommand),
    /// Plan audits and assign their teams.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Exchange sync files with devices that have no network (sneakernet).
    #[command(subcommand)]
    Sync(SyncFileCommand),
    /// Back up the embedded SQLite database (while the server runs) and the list of
    /// attachments into one file. PostgreSQL: use pg_dump (see the README).
    Backup {
        /// The backup file to write (it appears only when complete).
        #[arg(long)]
        out: PathBuf,
        /// Leave a local attachments directory's files out (the manifest still lists them).
        #[arg(long)]
        without_attachments: bool,
    },
    /// Restore a backup into an empty data directory (see the README on what this
    /// means for devices).
    Restore {
        /// The backup file (from `backup`).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum SyncFileCommand {
    /// Import a device's file (from `fieldaudit export-sync`), exactly like a push.
    Import {
        /// The file.
        file: std::path::PathBuf,
    },
    /// Export an organisation's changes for devices (`fieldaudit import-sync`).
    Export {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// Only changes after this server cursor (0: everything).
        #[arg(long, default_value_t = 0)]
        after: u64,
        /// Where to write the file.
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum ReviewerCommand {
    /// Register a reviewer's public key (from `fieldaudit reviewer keygen`); devices
    /// seal interviews to it after their next sync.
    Add {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// Reviewer's display name.
        #[arg(long)]
        name: String,
        /// The age public key (age1…). Never a private key.
        #[arg(long)]
        public_key: String,
    },
    /// Stop sealing new interviews to a key (id or public key).
    Remove {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// The key's id (from `reviewer list`) or the public key.
        key: String,
    },
    /// List the organisation's reviewer keys.
    List {
        /// Organisation slug.
        #[arg(long)]
        org: String,
    },
}

#[derive(Subcommand)]
enum FacilityCommand {
    /// Import a facility list CSV (brand supplier list, Open Supply Hub export) into an
    /// organisation; the facilities sync to its devices.
    Import {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// The CSV file.
        file: PathBuf,
        /// Only show what would be imported.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Largest JSON request body, in bytes (after decompression).
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    max_body_bytes: usize,
    /// Largest attachment upload, in bytes.
    #[arg(long, default_value_t = 50 * 1024 * 1024)]
    max_attachment_bytes: usize,
    /// How far ahead of the server's clock a change's HLC may be (e.g. 600, 10m, 1h).
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    max_clock_skew: Duration,
    /// How long a device stays signed in (e.g. 180d).
    #[arg(long, default_value = "180d", value_parser = parse_duration)]
    token_ttl: Duration,
    /// Serve Prometheus metrics (GET /metrics) on this address, apart from the API
    /// (e.g. 127.0.0.1:9464). Without it there is no metrics endpoint.
    #[arg(long)]
    metrics_listen: Option<SocketAddr>,
    /// On SIGTERM or Ctrl-C, how long requests being answered (pushes) may take to
    /// finish before the server stops anyway.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    shutdown_grace: Duration,
    /// A reverse proxy or load balancer in front of this server (its IP address),
    /// whose `X-Forwarded-For` header is believed for the client's address, which
    /// sign-in throttling counts; repeat for several. Without it the socket's peer is
    /// the client.
    #[arg(long = "trusted-proxy", value_name = "IP")]
    trusted_proxies: Vec<std::net::IpAddr>,
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organisation.
    Create {
        /// Short unique name used at sign-in, e.g. acme-audits.
        slug: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user to an organisation (password from --password or the first line of stdin).
    Add {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// User name.
        username: String,
        /// admin, reviewer, auditor or interviewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The password (else read from stdin).
        #[arg(long)]
        password: Option<String>,
    },
    /// List an organisation's users with their roles.
    List {
        /// Organisation slug.
        #[arg(long)]
        org: String,
    },
    /// Change a user's role.
    SetRole {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// User name.
        username: String,
        /// admin, reviewer, auditor or interviewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Disable a user: they cannot sign in and their devices stop syncing at once.
    Disable {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// User name.
        username: String,
    },
    /// Enable a disabled user again (they sign in anew on each device).
    Enable {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// User name.
        username: String,
    },
    /// Set a new password (from --password or the first line of stdin).
    ResetPassword {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// User name.
        username: String,
        /// The new password (else read from stdin).
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Plan an audit of a facility for a team (it reaches their laptops at their next sync).
    Plan {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// The facility's id.
        #[arg(long)]
        facility: Uuid,
        /// A checklist (template id, or id@version); repeat for more. A partial
        /// follow-up may have none (it verifies the facility's earlier findings).
        #[arg(long = "checklist")]
        checklists: Vec<String>,
        /// initial, periodic, full_follow_up or partial_follow_up.
        #[arg(long = "type", default_value = "initial")]
        audit_type: fieldaudit_protocol::closed_sets::AuditType,
        /// announced, semi_announced or unannounced.
        #[arg(long, default_value = "announced")]
        notice: fieldaudit_protocol::closed_sets::Notice,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        start: chrono::NaiveDate,
        #[command(flatten)]
        team: TeamArgs,
    },
    /// Set an audit's team (people left out lose it from their laptops at their next sync).
    Assign {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// The audit's id.
        audit: Uuid,
        #[command(flatten)]
        team: TeamArgs,
    },
    /// Show an audit's team.
    Team {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// The audit's id.
        audit: Uuid,
    },
}

#[derive(Args)]
struct TeamArgs {
    /// The lead auditor's user name.
    #[arg(long)]
    lead: String,
    /// An auditor's user name; repeat for more.
    #[arg(long = "auditor")]
    auditors: Vec<String>,
    /// An interviewer's user name; repeat for more.
    #[arg(long = "interviewer")]
    interviewers: Vec<String>,
}

impl TeamArgs {
    fn members(&self) -> Vec<fieldaudit_server::teams::Assignment> {
        use fieldaudit_protocol::scope::TeamRole;
        let one = |u: &String, role| fieldaudit_server::teams::Assignment {
            username: u.clone(),
            role,
        };
        std::iter::once(one(&self.lead, TeamRole::Lead))
            .chain(self.auditors.iter().map(|u| one(u, TeamRole::Auditor)))
            .chain(
                self.interviewers
                    .iter()
                    .map(|u| one(u, TeamRole::Interviewer)),
            )
            .collect()
    }
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// List an organisation's devices.
    List {
        /// Organisation slug.
        #[arg(long)]
        org: String,
    },
    /// Revoke a device: its token stops working at once.
    Revoke {
        /// Organisation slug.
        #[arg(long)]
        org: String,
        /// The device id (from `device list`).
        device_id: Uuid,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
        .ok_or_else(|| format!("unknown role {s:?}; use admin, reviewer, auditor or interviewer"))
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cli.log_format == "json" {
        logs.json().init();
    } else {
        logs.init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let storage = StorageLocation::from_args(
        cli.attachments_url.as_deref(),
        cli.attachments_dir.as_deref(),
        &cli.data_dir,
    )
    .map_err(anyhow::Error::msg)?;
    // Backup and restore work on the database file itself (restore before any exists).
    match &cli.command {
        Command::Backup {
            out,
            without_attachments,
        } => return backup(&cli, &storage, out, !without_attachments).await,
        Command::Restore { file } => return restore(&cli, &storage, file).await,
        _ => {}
    }
    let store = store::open(cli.database_url.as_deref(), &cli.data_dir)
        .await
        .context("cannot open the database")?;
    let s = store.as_ref();
    let storage = &storage;
    match cli.command {
        Command::Backup { .. } | Command::Restore { .. } => Ok(()),
        Command::Serve(args) => serve(store, storage, args).await,
        Command::Org(OrgCommand::Create { slug, name }) => org_create(s, &slug, &name).await,
        Command::User(UserCommand::Add {
            org,
            username,
            role,
            password,
        }) => user_add(s, &org, &username, role, password).await,
        Command::User(UserCommand::List { org }) => user_list(s, &org).await,
        Command::User(UserCommand::SetRole {
            org,
            username,
            role,
        }) => {
            admin::set_role(s, &org, &username, role).await?;
            println!("{username} is now {role} in {org}");
            Ok(())
        }
        Command::User(UserCommand::Disable { org, username }) => {
            admin::set_disabled(s, &org, &username, true).await?;
            println!("disabled {username} in {org}; their devices stopped syncing");
            Ok(())
        }
        Command::User(UserCommand::Enable { org, username }) => {
            admin::set_disabled(s, &org, &username, false).await?;
            println!("enabled {username} in {org}; they sign in again on each device");
            Ok(())
        }
        Command::User(UserCommand::ResetPassword {
            org,
            username,
            password,
        }) => user_reset_password(s, &org, &username, password).await,
        Command::Audit(AuditCommand::Plan {
            org,
            facility,
            checklists,
            audit_type,
            notice,
            start,
            team,
        }) => {
            let planned = fieldaudit_server::teams::PlannedAudit {
                facility_id: facility,
                checklists,
                audit_type,
                notice,
                start_date: start.to_string(),
            };
            let id = fieldaudit_server::teams::plan(s, &org, &planned, &team.members()).await?;
            println!("planned audit {id}; it reaches the team's laptops at their next sync");
            Ok(())
        }
        Command::Audit(AuditCommand::Assign { org, audit, team }) => {
            let members = fieldaudit_server::teams::assign(s, &org, audit, &team.members()).await?;
            print_team(&members);
            Ok(())
        }
        Command::Audit(AuditCommand::Team { org, audit }) => {
            print_team(&fieldaudit_server::teams::team(s, &org, audit).await?);
            Ok(())
        }
        Command::Device(DeviceCommand::List { org }) => device_list(s, &org).await,
        Command::Device(DeviceCommand::Revoke { org, device_id }) => {
            device_revoke(s, &org, device_id).await
        }
        Command::Sync(SyncFileCommand::Import { file }) => sync_import(s, storage, &file).await,
        Command::Sync(SyncFileCommand::Export { org, after, out }) => {
            sync_export(s, storage, &org, after, &out).await
        }
        Command::Facility(FacilityCommand::Import { org, file, dry_run }) => {
            facility_import(s, &org, &file, dry_run).await
        }
        Command::Reviewer(ReviewerCommand::Add {
            org,
            name,
            public_key,
        }) => reviewer_add(s, &org, &name, &public_key).await,
        Command::Reviewer(ReviewerCommand::Remove { org, key }) => {
            reviewer_remove(s, &org, &key).await
        }
        Command::Reviewer(ReviewerCommand::List { org }) => reviewer_list(s, &org).await,
    }
}

/// `org create`.
async fn org_create(s: &dyn ServerStore, slug: &str, name: &str) -> anyhow::Result<()> {
    let org = admin::create_organisation(s, slug, name).await?;
    println!(
        "created organisation {} ({}) id {}",
        org.slug, org.name, org.id
    );
    Ok(())
}

/// `user add`: the password from the flag, else one line of stdin.
async fn user_add(
    s: &dyn ServerStore,
    org: &str,
    username: &str,
    role: Role,
    password: Option<String>,
) -> anyhow::Result<()> {
    let password = password_or_stdin(password)?;
    let user = admin::add_user(s, org, username, &password, role).await?;
    println!(
        "added user {} ({}) to {org}, id {}",
        user.username, user.role, user.id
    );
    Ok(())
}

/// The password from the flag, else one line of stdin.
fn password_or_stdin(password: Option<String>) -> anyhow::Result<String> {
    Ok(match password {
        Some(p) => p,
        None => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the password from stdin")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    })
}

/// `user list`: the organisation's users with their roles and whether they are disabled.
async fn user_list(s: &dyn ServerStore, org: &str) -> anyhow::Result<()> {
    for u in admin::list_users(s, org).await? {
        let state = u
            .disabled_at
            .map(|t| format!("disabled {t}"))
            .unwrap_or_else(|| "active".into());
        println!(
            "{}  {:<12} {:<12} {state}",
            u.id,
            u.username,
            u.role.as_str()
        );
    }
    Ok(())
}

/// `user reset-password`: the new password from the flag, else one line of stdin.
async fn user_reset_password(
    s: &dyn ServerStore,
    org: &str,
    username: &str,
    password: Option<String>,
) -> anyhow::Result<()> {
    let password = password_or_stdin(password)?;
    admin::reset_password(s, org, username, &password).await?;
    println!("set a new password for {username} in {org}");
    Ok(())
}

/// An audit's team, one member a line.
fn print_team(members: &[fieldaudit_server::teams::Member]) {
    for m in members {
        println!("{:<12} {}", m.role.as_str(), m.username);
    }
}

/// `device list`: a table of the organisation's devices.
async fn device_list(s: &dyn ServerStore, org: &str) -> anyhow::Result<()> {
    let devices = admin::list_devices(s, org).await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<36}  {:<20}  {:<16}  {:>9}  {:<8}  last seen",
        "device", "name", "user", "watermark", "status"
    )?;
    for d in devices {
        let status = if d.revoked_at.is_some() {
            "revoked"
        } else {
            "active"
        };
        writeln!(
            out,
            "{:<36}  {:<20}  {:<16}  {:>9}  {:<8}  {}",
            d.id,
            d.name,
            d.username.as_deref().unwrap_or("-"),
            d.watermark,
            status,
            d.last_seen_at.as_deref().unwrap_or("never")
        )?;
    }
    Ok(())
}

/// `device revoke`.
async fn device_revoke(s: &dyn ServerStore, org: &str, device_id: Uuid) -> anyhow::Result<()> {
    admin::revoke_device(s, org, device_id).await?;
    println!("revoked device {device_id}; its token no longer works");
    Ok(())
}

/// `sync import`: a device's sync file, applied like a push.
async fn sync_import(
    s: &dyn ServerStore,
    storage: &StorageLocation,
    file: &Path,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let parsed = sync_file::decode_device_file(&bytes)?;
    let blobs = storage.open().map_err(anyhow::Error::msg)?;
    let res = sync_file::import_device_file(
        s,
        &blobs,
        &parsed,
        &PushPolicy::default(),
        ServerConfig::default().max_attachment_bytes,
        None,
    )
    .await?;
    println!(
        "imported {}: {} changes applied, {} refused, device watermark now {}",
        file.display(),
        res.applied,
        res.rejected.len(),
        res.watermark
    );
    for r in res.rejected {
        println!("  refused change {}: {}", r.device_seq, r.message);
    }
    Ok(())
}

/// `sync export`: the organisation's changes after a cursor, as a file for devices.
async fn sync_export(
    s: &dyn ServerStore,
    storage: &StorageLocation,
    org: &str,
    after: u64,
    out: &Path,
) -> anyhow::Result<()> {
    let blobs = storage.open().map_err(anyhow::Error::msg)?;
    let file = sync_file::export_server_file(s, &blobs, org, after).await?;
    std::fs::write(out, file.encode())
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "wrote {}: {} changes after {after}, {} attachments",
        out.display(),
        file.pulled.len(),
        file.attachments.len()
    );
    Ok(())
}

/// `facility import`: preview (and unless a dry run, write) a facility list.
async fn facility_import(
    s: &dyn ServerStore,
    org: &str,
    file: &Path,
    dry_run: bool,
) -> anyhow::Result<()> {
    let reader =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let outcome = fieldaudit_server::import::import_facilities(
        s,
        org,
        std::io::BufReader::new(reader),
        dry_run,
    )
    .await?;
    let sum = &outcome.preview.summary;
    let mut out = std::io::stdout().lock();
    for r in &outcome.preview.reject {
        writeln!(out, "rejected line {}: {}", r.line, r.reason)?;
    }
    for w in &outcome.preview.warnings {
        writeln!(out, "warning line {} ({}): {}", w.line, w.field, w.reason)?;
    }
    let verb = if dry_run { "would add" } else { "added" };
    writeln!(
        out,
        "{verb} {} facilities, {} existing matched ({} with new values), {} rows rejected, {} duplicate rows merged, {} warnings",
        sum.add, sum.merge, sum.merge_with_changes, sum.reject, sum.duplicates_in_file, sum.warnings
    )?;
    if let Some(p) = &outcome.pushed {
        writeln!(
            out,
            "wrote {} changes as the organisation's server device (watermark {})",
            p.applied, p.watermark
        )?;
    }
    Ok(())
}

/// `reviewer add`.
async fn reviewer_add(
    s: &dyn ServerStore,
    org: &str,
    name: &str,
    public_key: &str,
) -> anyhow::Result<()> {
    let k = reviewers::add_reviewer_key(s, org, name, public_key).await?;
    println!("registered reviewer key {} for {} (id {}); devices seal new interviews to it after their next sync", k.public_key, k.reviewer, k.id);
    Ok(())
}

/// `reviewer remove`.
async fn reviewer_remove(s: &dyn ServerStore, org: &str, key: &str) -> anyhow::Result<()> {
    let k = reviewers::remove_reviewer_key(s, org, key).await?;
    println!("removed reviewer key {} of {}; interviews finalised after the devices' next sync are not sealed to it", k.id, k.reviewer);
    Ok(())
}

/// `reviewer list`.
async fn reviewer_list(s: &dyn ServerStore, org: &str) -> anyhow::Result<()> {
    for k in reviewers::list_reviewer_keys(s, org).await? {
        println!(
            "{}  {:<8}  {:<24}  {}",
            k.id,
            if k.current { "current" } else { "removed" },
            k.reviewer,
            k.public_key
        );
    }
    Ok(())
}

/// `backup --out FILE` (SQLite only).
async fn backup(
    cli: &Cli,
    storage: &StorageLocation,
    out: &Path,
    include_attachments: bool,
) -> anyhow::Result<()> {
    if cli.database_url.is_some() {
        return Err(BackupError::Postgres.into());
    }
    let sum =
        fieldaudit_server::backup::create(&cli.data_dir, storage, out, include_attachments).await?;
    let m = &sum.manifest;
    let included = m.attachments.iter().filter(|a| a.included).count();
    println!(
        "wrote {} ({} bytes): database snapshot of {} ({} organisations, schema {}), {} attachments listed, {} included",
        out.display(),
        sum.file_bytes,
        m.created_at,
        m.organisations.len(),
        m.schema_version,
        m.attachments.len(),
        included
    );
    if included < m.attachments.len() {
        println!(
            "attachments stay in {}: back that up with the storage's own means",
            m.attachments_location
        );
    }
    Ok(())
}

/// `restore FILE` into an empty data directory (SQLite only).
async fn restore(cli: &Cli, storage: &StorageLocation, file: &Path) -> anyhow::Result<()> {
    if cli.database_url.is_some() {
        return Err(BackupError::Postgres.into());
    }
    let sum = fieldaudit_server::backup::restore(file, &cli.data_dir, storage).await?;
    let m = &sum.manifest;
    println!(
        "restored {} into {}: the server as of {} ({} organisations); {} attachments written to {}, {} already there, {} missing",
        file.display(),
        cli.data_dir.display(),
        m.created_at,
        m.organisations.len(),
        sum.attachments_written,
        storage.describe(),
        sum.attachments_present,
        sum.attachments_missing.len()
    );
    for a in &sum.attachments_missing {
        println!(
            "  missing attachment {} of organisation {} ({} bytes)",
            a.sha256, a.organisation_id, a.size_bytes
        );
    }
    println!("devices: changes they pushed after {} are sent again at their next sync; devices signed in since then sign in again; users, revocations and reviewer keys changed since then must be done again", m.created_at);
    Ok(())
}

async fn serve(
    store: Arc<dyn ServerStore>,
    storage: &StorageLocation,
    args: ServeArgs,
) -> anyhow::Result<()> {
    let seeded = fieldaudit_server::templates::seed_builtin(store.as_ref())
        .await
        .context("cannot store the built-in templates")?;
    tracing::info!(templates = seeded, "built-in templates seeded");
    let blobs = storage.open().map_err(anyhow::Error::msg)?;
    let config = ServerConfig {
        max_body_bytes: args.max_body_bytes,
        max_attachment_bytes: args.max_attachment_bytes,
        max_clock_skew: args.max_clock_skew,
        token_ttl: args.token_ttl,
        trusted_proxies: args.trusted_proxies.clone(),
        ..ServerConfig::default()
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(backend = store.backend(), %addr, attachments = %storage.describe(), "fieldaudit-server starting");
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{addr}")?;
        out.flush()?;
    }
    let metrics = Arc::new(fieldaudit_server::metrics::Metrics::new());
    let metrics_listener = match args.metrics_listen {
        Some(at) => {
            let l = tokio::net::TcpListener::bind(at)
                .await
                .with_context(|| format!("cannot listen on {at} for metrics"))?;
            let addr = l.local_addr()?;
            tracing::info!(%addr, "metrics on /metrics");
            let mut out = std::io::stdout().lock();
            writeln!(out, "metrics on http://{addr}/metrics")?;
            out.flush()?;
            Some(l)
        }
        None => None,
    };
    let state = AppState {
        store: store.clone(),
        blobs,
        config: Arc::new(config),
        metrics: metrics.clone(),
    };
    // One signal stops both listeners: the API finishes the requests it is
    // answering (a push runs to its commit), the metrics stop at once.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing the requests being answered");
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    if let Some(l) = metrics_listener {
        let app = fieldaudit_server::metrics::router(metrics, store);
        let stop = stopped(stop_rx.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(l, app).with_graceful_shutdown(stop).await {
                tracing::error!(error = %e, "metrics listener failed");
            }
        });
    }
    let grace = args.shutdown_grace;
    let overdue = {
        let stop = stopped(stop_rx.clone());
        async move {
            stop.await;
            tokio::time::sleep(grace).await;
        }
    };
    tokio::select! {
        r = http::serve(listener, state, stopped(stop_rx)) => r?,
        () = overdue => tracing::warn!(grace = ?grace, "requests still running after the shutdown grace period; stopping anyway"),
    }
    tracing::info!("fieldaudit-server stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
