//! Photo and document evidence: the bytes are stored once under the data directory,
//! named by their SHA-256 (`attachments/ab/abcdef…`), and an `attachment` row holds
//! the metadata that syncs. The file is written (and synced to disk) before the row
//! is committed, so a row never points at a missing file.

use std::io::Write;
use std::path::PathBuf;

use chrono::Utc;
use fieldaudit_protocol::EntityKind;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::model::Attachment;
use crate::store::select_rows;
use crate::{CoreError, Result, Store};

/// Largest attachment accepted on the device (50 MiB): a phone photo is a few MiB.
pub const MAX_ATTACHMENT_BYTES: usize = 50 * 1024 * 1024;

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Store {
    /// Where the bytes with this digest live (or would live).
    pub fn attachment_path(&self, sha256: &str) -> PathBuf {
        self.data_dir()
            .join("attachments")
            .join(&sha256[..2.min(sha256.len())])
            .join(sha256)
    }

    /// Stores bytes as evidence on something in an audit (`subject_kind` is
    /// `audit`, `answer`, `finding`, `corrective_action` or `fee_record`).
    pub fn add_attachment(
        &mut self,
        audit_id: Uuid,
        subject_kind: &str,
        subject_id: Uuid,
        file_name: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Uuid> {
        if bytes.is_empty() {
            return Err(CoreError::Invalid(format!(
                "{file_name} is empty; choose another file"
            )));
        }
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(CoreError::Invalid(format!(
                "{file_name} is {} MiB; attachments can be at most {} MiB — resize the photo or split the document",
                bytes.len() / (1024 * 1024),
                MAX_ATTACHMENT_BYTES / (1024 * 1024)
            )));
        }
        self.audit(audit_id)?;
        let sha = sha256_hex(bytes);
        let path = self.attachment_path(&sha);
        if !path.exists() {
            write_durably(&path, bytes)?;
        }
        let id = Uuid::now_v7();
        let now = Utc::now().to_rfc3339();
        self.write(|w| {
            w.conn().execute(
                "INSERT INTO attachment_file (sha256, size_bytes, stored_at) VALUES (?1, ?2, ?3) ON CONFLICT (sha256) DO NOTHING",
                (&sha, bytes.len() as i64, &now),
            )?;
            w.set(
                EntityKind::Attachment,
                id,
                &[
                    ("audit_id", json!(audit_id.to_string())),
                    ("subject_kind", json!(subject_kind)),
                    ("subject_id", json!(subject_id.to_string())),
                    ("sha256", json!(sha)),
                    ("file_name", json!(file_name)),
                    ("media_type", json!(media_type)),
                    ("size_bytes", json!(bytes.len())),
                    ("deleted", json!(false)),
                ],
            )
            .map(|_| ())
        })?;
        Ok(id)
    }

    /// Attachments of an audit (optionally only those on one subject).
    pub fn attachments(&self, audit_id: Uuid, subject_id: Option<Uuid>) -> Result<Vec<Attachment>> {
        let rows = match subject_id {
            Some(s) => select_rows(
                self.conn(),
                EntityKind::Attachment,
                "audit_id = ?1 AND subject_id = ?2 AND coalesce(deleted, 0) = 0 ORDER BY id",
                (audit_id.to_string(), s.to_string()),
            )?,
            None => select_rows(
                self.conn(),
                EntityKind::Attachment,
                "audit_id = ?1 AND coalesce(deleted, 0) = 0 ORDER BY id",
                [audit_id.to_string()],
            )?,
        };
        rows.into_iter()
            .map(|r| serde_json::from_value(serde_json::Value::Object(r)))
            .collect::<Result<_, _>>()
            .map_err(|e| CoreError::Corrupt {
                entity: "attachment".into(),
                field: "*".into(),
                reason: e.to_string(),
            })
    }

    /// Removes an attachment from its subject (tombstone; the bytes stay until no
    /// row refers to them).
    pub fn remove_attachment(&mut self, attachment_id: Uuid) -> Result<()> {
        self.write(|w| {
            if !w.exists(EntityKind::Attachment, attachment_id)? {
                return Err(CoreError::not_found("attachment", attachment_id));
            }
            w.set(
                EntityKind::Attachment,
                attachment_id,
                &[("deleted", json!(true))],
            )
            .map(|_| ())
        })
    }
}

/// Writes to a temporary file, syncs it, then renames it into place: a crash
/// leaves either no file or the whole file.
pub(crate) fn write_durably(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(path);
    std::fs::create_dir_all(dir)
        .map_err(|e| CoreError::io(format!("cannot create {}", dir.display()), e))?;
    let tmp = dir.join(format!(".{}.tmp", Uuid::now_v7()));
    let io = |e| CoreError::io(format!("cannot write {}", tmp.display()), e);
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path)
        .map_err(|e| CoreError::io(format!("cannot move attachment into {}", path.display()), e))
}
