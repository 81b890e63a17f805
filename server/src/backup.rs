//! `fieldaudit-server backup` and `restore` for the embedded SQLite database.
//!
//! A backup is one file: a zstd-compressed tar holding `manifest.json`, a consistent
//! copy of `server.sqlite3` made with SQLite's `VACUUM INTO` while the server keeps
//! running (it reads one snapshot; pushes carry on meanwhile and are simply not in
//! it), and — for a local attachments directory, unless `--without-attachments` —
//! the attachment files. The manifest lists every stored attachment by
//! organisation, SHA-256 and size, whether or not its bytes are in the file: on S3
//! the bucket keeps them (back it up with the bucket's own versioning or
//! replication), and restore checks that each one is there.
//!
//! A restore goes into an empty data directory only, writes nothing until the whole
//! file has been read and checked (database digest, every attachment's hash, SQLite's
//! integrity check, the schema not newer than this server), and puts the database
//! in place last, by a rename.
//!
//! What a restore to an older point means for devices (README, "Backups"):
//! - Changes a device pushed after the backup are no longer on the server. The
//!   device still has them in its change log: its next sync sees the server's
//!   watermark for it below its own and pushes them again. Nothing a device still
//!   holds is lost; what only a device that never syncs again had is.
//! - The server's change numbers (`server_seq`) continue [`SEQUENCE_JUMP`] above the
//!   backup's, so a device whose pull cursor is past the backup point still
//!   receives every change pushed after the restore, including other devices'
//!   re-pushed ones.
//! - Everything else done after the backup is undone: devices signed in since must
//!   sign in again (their tokens are unknown), users added and devices revoked since
//!   must be added and revoked again, reviewer keys registered since registered again.
//! - PostgreSQL is backed up with `pg_dump` instead; [`create`] refuses it.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::attachments::Blobs;
use crate::storage::StorageLocation;

/// What goes in `manifest.json`'s `format`.
pub const FORMAT: &str = "fieldaudit-server-backup";
/// The version of the backup file's layout.
pub const FORMAT_VERSION: u32 = 1;
/// How far a restore moves every organisation's `server_seq` past the backup's: more
/// changes than any server accepts between a backup and its restore.
pub const SEQUENCE_JUMP: i64 = 1 << 40;
/// The database file in a data directory and in a backup.
pub const DATABASE_FILE: &str = "server.sqlite3";
const MANIFEST_FILE: &str = "manifest.json";

/// Why a backup or restore failed; nothing was written (no partial output file).
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The server runs on PostgreSQL.
    #[error("this server uses PostgreSQL: back it up with pg_dump (e.g. pg_dump --format=custom --file=fieldaudit.dump \"$DATABASE_URL\") and restore with pg_restore into an empty database; the README's \"Deploying the server\" says how. Attachments on S3 are kept by the bucket")]
    Postgres,
    /// Bad input (a file that is not a backup, a data directory that is not empty…).
    #[error("{0}")]
    Invalid(String),
    /// The file system failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// SQLite failed.
    #[error("{what}: {source}")]
    Sqlite {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: rusqlite::Error,
    },
    /// The attachment storage failed.
    #[error("attachment storage ({location}): {source}")]
    Storage {
        /// Where the attachments are.
        location: String,
        /// The error.
        #[source]
        source: object_store::Error,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
    let what = what.into();
    move |source| BackupError::Io { what, source }
}

fn sql(what: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> BackupError {
    let what = what.into();
    move |source| BackupError::Sqlite { what, source }
}

/// One stored attachment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestAttachment {
    /// The organisation it belongs to.
    pub organisation_id: String,
    /// Its SHA-256.
    pub sha256: String,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// Whether its bytes are in the backup file (local storage) or only in the storage (S3).
    pub included: bool,
}

/// One organisation at the time of the backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestOrganisation {
    /// Its id.
    pub id: String,
    /// Its slug.
    pub slug: String,
    /// The last `server_seq` it had handed out.
    pub last_server_seq: i64,
}

/// `manifest.json`: what the backup holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] of the server that wrote it.
    pub format_version: u32,
    /// When the database snapshot was taken (RFC 3339, UTC).
    pub created_at: String,
    /// The version of the server that wrote it.
    pub server_version: String,
    /// The database's schema version (SQLite `user_version`).
    pub schema_version: i64,
    /// The database copy's SHA-256 and size.
    pub database_sha256: String,
    /// Its size in bytes.
    pub database_bytes: u64,
    /// Where the attachments were kept (`s3://…` or a directory).
    pub attachments_location: String,
    /// The organisations.
    pub organisations: Vec<ManifestOrganisation>,
    /// Every stored attachment.
    pub attachments: Vec<ManifestAttachment>,
}

/// What a backup wrote.
#[derive(Clone, Debug)]
pub struct BackupSummary {
    /// The manifest.
    pub manifest: Manifest,
    /// The backup file's size.
    pub file_bytes: u64,
}

/// What a restore did.
#[derive(Clone, Debug)]
pub struct RestoreSummary {
    /// The backup's manifest.
    pub manifest: Manifest,
    /// Attachments written from the file into the storage.
    pub attachments_written: usize,
    /// Attachments the storage already had.
    pub attachments_present: usize,
    /// Attachments the manifest lists that are neither in the file nor in the storage.
    pub attachments_missing: Vec<ManifestAttachment>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn sha256_file(path: &Path) -> Result<(String, u64), BackupError> {
    let mut f = std::fs::File::open(path).map_err(io(format!("cannot read {}", path.display())))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f
            .read(&mut buf)
            .map_err(io(format!("cannot read {}", path.display())))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((hex::encode(h.finalize()), n))
}

/// Copies the live database at `db` to `to` as one consistent snapshot.
fn snapshot_database(db: &Path, to: &Path) -> Result<(), BackupError> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(sql(format!("cannot open {}", db.display())))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(sql("cannot set a busy timeout"))?;
    let target = to
        .to_str()
        .ok_or_else(|| BackupError::Invalid(format!("{} is not a UTF-8 path", to.display())))?;
    conn.execute("VACUUM INTO ?1", [target])
        .map_err(sql(format!("cannot copy {}", db.display())))?;
    Ok(())
}

fn read_snapshot(db: &Path) -> Result<(i64, Vec<ManifestOrganisation>), BackupError> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(sql("cannot open the database copy"))?;
    let schema: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(sql("cannot read the schema version"))?;
    let mut stmt = conn
        .prepare("SELECT o.id, o.slug, coalesce(s.last, 0) FROM organisation o LEFT JOIN org_seq s ON s.organisation_id = o.id ORDER BY o.slug")
        .map_err(sql("cannot read the organisations"))?;
    let orgs = stmt
        .query_map([], |r| {
            Ok(ManifestOrganisation {
                id: r.get(0)?,
                slug: r.get(1)?,
                last_server_seq: r.get(2)?,
            })
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(sql("cannot read the organisations"))?;
    Ok((schema, orgs))
}

async fn list_attachments(
    blobs: &Blobs,
    location: &str,
    orgs: &[ManifestOrganisation],
) -> Result<Vec<(String, String, u64)>, BackupError> {
    let mut out = Vec::new();
    for org in orgs {
        let prefix = ObjectPath::from(org.id.as_str());
        let mut list = blobs.list(Some(&prefix));
        while let Some(meta) = list.next().await {
            let meta = meta.map_err(|source| BackupError::Storage {
                location: location.to_owned(),
                source,
            })?;
            let Some(sha) = meta.location.filename() else {
                continue;
            };
            if crate::attachments::check_sha256(sha).is_ok() {
                out.push((org.id.clone(), sha.to_owned(), meta.size));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn append_bytes<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    bytes: &[u8],
) -> Result<(), BackupError> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(chrono::Utc::now().timestamp().max(0) as u64);
    header.set_cksum();
    tar.append_data(&mut header, name, bytes)
        .map_err(io(format!("cannot write {name} into the backup")))
}

/// Backs up the SQLite database in `data_dir` (while a server may be running on it)
/// and lists the attachments at `storage`, writing `out`. With
/// `include_attachments`, a local directory's attachment files go into the file too.
/// `out` appears only when complete (written beside it, then renamed).
pub async fn create(
    data_dir: &Path,
    storage: &StorageLocation,
    out: &Path,
    include_attachments: bool,
) -> Result<BackupSummary, BackupError> {
    let blobs = &storage.open().map_err(BackupError::Invalid)?;
    let db = data_dir.join(DATABASE_FILE);
    if !db.is_file() {
        return Err(BackupError::Invalid(format!(
            "there is no server database at {}; give the server's --data-dir",
            db.display()
        )));
    }
    let out_dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let work = tempfile::Builder::new()
        .prefix(".fieldaudit-backup-")
        .tempdir_in(out_dir)
        .map_err(io(format!("cannot write in {}", out_dir.display())))?;
    let copy = work.path().join(DATABASE_FILE);
    let created_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    {
        let (db, copy) = (db.clone(), copy.clone());
        tokio::task::spawn_blocking(move || snapshot_database(&db, &copy))
            .await
            .map_err(|e| BackupError::Invalid(format!("the copy stopped: {e}")))??;
    }
    let (schema_version, organisations) = read_snapshot(&copy)?;
    let (database_sha256, database_bytes) = sha256_file(&copy)?;
    let location = storage.describe();
    let local = matches!(storage, StorageLocation::Local(_));
    let included = local && include_attachments;
    let listed = list_attachments(blobs, &location, &organisations).await?;
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        created_at,
        server_version: env!("CARGO_PKG_VERSION").into(),
        schema_version,
        database_sha256,
        database_bytes,
        attachments_location: location.clone(),
        organisations,
        attachments: listed
            .iter()
            .map(|(org, sha, size)| ManifestAttachment {
                organisation_id: org.clone(),
                sha256: sha.clone(),
                size_bytes: *size,
                included,
            })
            .collect(),
    };
    let partial = work.path().join("backup.partial");
    let file = std::fs::File::create(&partial)
        .map_err(io(format!("cannot create {}", partial.display())))?;
    let enc = zstd::Encoder::new(file, 3).map_err(io("cannot start compressing"))?;
    let mut tar = tar::Builder::new(enc);
    let manifest_json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Invalid(e.to_string()))?;
    append_bytes(&mut tar, MANIFEST_FILE, &manifest_json)?;
    tar.append_path_with_name(&copy, DATABASE_FILE)
        .map_err(io("cannot write the database into the backup"))?;
    if included {
        for a in &manifest.attachments {
            let path = ObjectPath::from(format!("{}/{}", a.organisation_id, a.sha256));
            let data = match blobs.get(&path).await {
                Ok(r) => r.bytes().await.map_err(|source| BackupError::Storage {
                    location: location.clone(),
                    source,
                })?,
                Err(source) => {
                    return Err(BackupError::Storage {
                        location: location.clone(),
                        source,
                    })
                }
            };
            append_bytes(
                &mut tar,
                &format!("attachments/{}/{}", a.organisation_id, a.sha256),
                &data,
            )?;
        }
    }
    let enc = tar.into_inner().map_err(io("cannot finish the backup"))?;
    let file = enc.finish().map_err(io("cannot finish compressing"))?;
    file.sync_all().map_err(io("cannot flush the backup"))?;
    drop(file);
    let file_bytes = std::fs::metadata(&partial)
        .map_err(io("cannot read the backup"))?
        .len();
    std::fs::rename(&partial, out).map_err(io(format!("cannot write {}", out.display())))?;
    Ok(BackupSummary {
        manifest,
        file_bytes,
    })
}

/// What a backup file holds, read and checked in a scratch directory.
struct Unpacked {
    manifest: Manifest,
    database: PathBuf,
    attachments: BTreeMap<(String, String), Bytes>,
}

fn unpack(file: &Path, scratch: &Path) -> Result<Unpacked, BackupError> {
    let f = std::fs::File::open(file).map_err(io(format!("cannot open {}", file.display())))?;
    let not_backup = |why: String| {
        BackupError::Invalid(format!(
            "{} is not a readable FieldAudit server backup ({why})",
            file.display()
        ))
    };
    let dec = zstd::Decoder::new(f).map_err(|e| not_backup(e.to_string()))?;
    let mut archive = tar::Archive::new(dec);
    let mut manifest: Option<Manifest> = None;
    let database = scratch.join(DATABASE_FILE);
    let mut have_db = false;
    let mut attachments = BTreeMap::new();
    for entry in archive.entries().map_err(|e| not_backup(e.to_string()))? {
        let mut entry = entry.map_err(|e| not_backup(e.to_string()))?;
        let name = entry
            .path()
            .map_err(|e| not_backup(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        match name.as_str() {
            MANIFEST_FILE => {
                let mut text = Vec::new();
                entry
                    .read_to_end(&mut text)
                    .map_err(|e| not_backup(e.to_string()))?;
                manifest = Some(
                    serde_json::from_slice(&text)
                        .map_err(|e| not_backup(format!("manifest.json: {e}")))?,
                );
            }
            DATABASE_FILE => {
                let mut out = std::fs::File::create(&database)
                    .map_err(io(format!("cannot write {}", database.display())))?;
                std::io::copy(&mut entry, &mut out)
                    .map_err(|e| not_backup(format!("the database is cut short: {e}")))?;
                out.sync_all().map_err(io("cannot flush the database"))?;
                have_db = true;
            }
            other => {
                let parts: Vec<&str> = other.split('/').collect();
                let ["attachments", org, sha] = parts.as_slice() else {
                    return Err(not_backup(format!("unexpected entry {other:?}")));
                };
                let mut data = Vec::new();
                entry
                    .read_to_end(&mut data)
                    .map_err(|e| not_backup(format!("{other} is cut short: {e}")))?;
                if sha256_hex(&data) != *sha {
                    return Err(not_backup(format!(
                        "attachment {sha} does not hash to its name: the file is damaged"
                    )));
                }
                attachments.insert(((*org).to_owned(), (*sha).to_owned()), Bytes::from(data));
            }
        }
    }
    let manifest = manifest.ok_or_else(|| not_backup("no manifest.json".into()))?;
    if manifest.format != FORMAT {
        return Err(not_backup(format!("format {:?}", manifest.format)));
    }
    if manifest.format_version > FORMAT_VERSION {
        return Err(BackupError::Invalid(format!(
            "{} was written by a newer server (backup format {}; this one reads up to {FORMAT_VERSION}): restore it with fieldaudit-server {} or newer",
            file.display(),
            manifest.format_version,
            manifest.server_version
        )));
    }
    if !have_db {
        return Err(not_backup("no database".into()));
    }
    let (sha, bytes) = sha256_file(&database)?;
    if sha != manifest.database_sha256 || bytes != manifest.database_bytes {
        return Err(not_backup(
            "the database does not match the manifest's digest: the file is damaged".into(),
        ));
    }
    for a in manifest.attachments.iter().filter(|a| a.included) {
        if !attachments.contains_key(&(a.organisation_id.clone(), a.sha256.clone())) {
            return Err(not_backup(format!(
                "attachment {} is listed but missing",
                a.sha256
            )));
        }
    }
    Ok(Unpacked {
        manifest,
        database,
        attachments,
    })
}

/// Prepares the copied database to be served: checks it and moves every
/// organisation's change numbering [`SEQUENCE_JUMP`] on (see the module doc).
fn prepare_database(db: &Path) -> Result<(), BackupError> {
    let conn = rusqlite::Connection::open(db).map_err(sql("cannot open the restored database"))?;
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(sql("cannot check the restored database"))?;
    if check != "ok" {
        return Err(BackupError::Invalid(format!(
            "the backup's database fails SQLite's integrity check: {check}"
        )));
    }
    conn.execute("UPDATE org_seq SET last = last + ?1", [SEQUENCE_JUMP])
        .map_err(sql("cannot move the change numbering on"))?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(sql("cannot checkpoint the restored database"))?;
    conn.close().map_err(|(_, e)| BackupError::Sqlite {
        what: "cannot close the restored database".into(),
        source: e,
    })?;
    Ok(())
}

/// Restores the backup `file` into the empty (or missing) `data_dir`, and its
/// attachments into `storage`. Checks everything before writing anything
/// into `data_dir`; the database appears last.
pub async fn restore(
    file: &Path,
    data_dir: &Path,
    storage: &StorageLocation,
) -> Result<RestoreSummary, BackupError> {
    if data_dir.exists() {
        let mut entries = std::fs::read_dir(data_dir)
            .map_err(io(format!("cannot read {}", data_dir.display())))?;
        if entries.next().is_some() {
            return Err(BackupError::Invalid(format!(
                "{} is not empty: restore into an empty data directory (move the old one aside first)",
                data_dir.display()
            )));
        }
    }
    std::fs::create_dir_all(data_dir)
        .map_err(io(format!("cannot create {}", data_dir.display())))?;
    let scratch = tempfile::Builder::new()
        .prefix(".restore-")
        .tempdir_in(data_dir)
        .map_err(io(format!("cannot write in {}", data_dir.display())))?;
    let unpacked = {
        let (file, scratch) = (file.to_owned(), scratch.path().to_owned());
        tokio::task::spawn_blocking(move || unpack(&file, &scratch))
            .await
            .map_err(|e| BackupError::Invalid(format!("reading the backup stopped: {e}")))??
    };
    // The schema: migrate an older one, refuse a newer one (nothing is in place yet).
    let store = crate::store::open(None, scratch.path())
        .await
        .map_err(|e| {
            BackupError::Invalid(format!(
                "the backup's database cannot be served by this server: {e}"
            ))
        })?;
    drop(store);
    prepare_database(&unpacked.database)?;
    let blobs = &storage.open().map_err(BackupError::Invalid)?;
    let location = storage.describe();
    let (mut written, mut present, mut missing) = (0, 0, Vec::new());
    for a in &unpacked.manifest.attachments {
        let path = ObjectPath::from(format!("{}/{}", a.organisation_id, a.sha256));
        let there = match blobs.head(&path).await {
            Ok(meta) => meta.size == a.size_bytes,
            Err(object_store::Error::NotFound { .. }) => false,
            Err(source) => return Err(BackupError::Storage { location, source }),
        };
        if there {
            present += 1;
        } else if let Some(data) = unpacked
            .attachments
            .get(&(a.organisation_id.clone(), a.sha256.clone()))
        {
            blobs
                .put(&path, PutPayload::from(data.clone()))
                .await
                .map_err(|source| BackupError::Storage {
                    location: location.clone(),
                    source,
                })?;
            written += 1;
        } else {
            missing.push(a.clone());
        }
    }
    // Last: the database (checkpointed, so the file holds everything), by a rename
    // in the same directory; the scratch directory goes.
    std::fs::rename(&unpacked.database, data_dir.join(DATABASE_FILE))
        .map_err(io("cannot put the database in place"))?;
    Ok(RestoreSummary {
        manifest: unpacked.manifest,
        attachments_written: written,
        attachments_present: present,
        attachments_missing: missing,
    })
}
