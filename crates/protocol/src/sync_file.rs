//! Sneakernet: change batches in a file, for sites with no network at all.
//!
//! A device exports its unacknowledged changes (and the attachment bytes the server
//! may lack) as a [`SyncFile`] of kind `device_changes`; the server imports it
//! exactly like a push. The server exports an organisation's changes after a cursor
//! as kind `server_changes`; a device imports it exactly like a pull. Importing the
//! same file twice changes nothing, because push is idempotent and the merge rule
//! is. On disk the file is zstd-compressed JSON.

use base64::Engine;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Change, PulledChange};

/// The current file format version.
pub const SYNC_FILE_FORMAT: u32 = 1;

/// Largest file accepted (after decompression): 1 GiB.
pub const MAX_SYNC_FILE_BYTES: u64 = 1 << 30;

/// Which way the file travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncFileKind {
    /// A device's changes for the server (a push).
    DeviceChanges,
    /// The server's changes for devices (a pull).
    ServerChanges,
}

/// Attachment bytes carried in a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileAttachment {
    /// SHA-256 of the bytes (hex).
    pub sha256: String,
    /// The bytes, base64.
    pub data: String,
}

impl FileAttachment {
    /// Wraps bytes.
    pub fn new(sha256: String, bytes: &[u8]) -> Self {
        FileAttachment {
            sha256,
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    /// The bytes (an error says the file is damaged).
    pub fn bytes(&self) -> Result<Vec<u8>, SyncFileError> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.data)
            .map_err(|e| {
                SyncFileError::Damaged(format!(
                    "attachment {} is not valid base64: {e}",
                    self.sha256
                ))
            })
    }
}

/// A batch of changes in a file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyncFile {
    /// [`SYNC_FILE_FORMAT`].
    pub format: u32,
    /// Which way it travels.
    pub kind: SyncFileKind,
    /// The organisation's slug.
    pub organisation: String,
    /// The device that wrote `changes` (device files).
    pub device_id: Option<Uuid>,
    /// A device's changes, in `device_seq` order (device files).
    #[serde(default)]
    pub changes: Vec<Change>,
    /// The server's changes, in server order (server files).
    #[serde(default)]
    pub pulled: Vec<PulledChange>,
    /// The server cursor the pulled changes start after (server files).
    #[serde(default)]
    pub after: u64,
    /// Attachment bytes.
    #[serde(default)]
    pub attachments: Vec<FileAttachment>,
    /// When the file was written (RFC 3339).
    pub created_at: String,
}

/// A file that cannot be read as a sync file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SyncFileError {
    /// Not a FieldAudit sync file, or cut short.
    #[error("this is not a complete FieldAudit sync file ({0}); export it again")]
    Damaged(String),
    /// Made by a newer FieldAudit.
    #[error("this sync file has format {0}, newer than this FieldAudit understands ({SYNC_FILE_FORMAT}); update FieldAudit")]
    TooNew(u32),
    /// The wrong kind for where it is being imported.
    #[error("this file holds {found:?}; it must be imported {hint}")]
    WrongKind {
        /// What the file holds.
        found: SyncFileKind,
        /// Where it belongs.
        hint: &'static str,
    },
}

impl SyncFile {
    /// Serialises and compresses the file.
    pub fn encode(&self) -> Vec<u8> {
        let json = serde_json::to_vec(self).unwrap_or_default();
        zstd::encode_all(json.as_slice(), 3).unwrap_or(json)
    }

    /// Reads a file, checking its format and that it is the `expected` kind.
    pub fn decode(bytes: &[u8], expected: SyncFileKind) -> Result<SyncFile, SyncFileError> {
        let json = if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            let mut out = Vec::new();
            let decoder =
                zstd::Decoder::new(bytes).map_err(|e| SyncFileError::Damaged(e.to_string()))?;
            std::io::Read::read_to_end(
                &mut std::io::Read::take(decoder, MAX_SYNC_FILE_BYTES),
                &mut out,
            )
            .map_err(|e| SyncFileError::Damaged(e.to_string()))?;
            out
        } else {
            bytes.to_vec()
        };
        let probe: serde_json::Value =
            serde_json::from_slice(&json).map_err(|e| SyncFileError::Damaged(e.to_string()))?;
        let format = probe
            .get("format")
            .and_then(|f| f.as_u64())
            .ok_or_else(|| SyncFileError::Damaged("no format field".into()))?;
        if format > SYNC_FILE_FORMAT as u64 {
            return Err(SyncFileError::TooNew(format as u32));
        }
        let file: SyncFile =
            serde_json::from_value(probe).map_err(|e| SyncFileError::Damaged(e.to_string()))?;
        if file.kind != expected {
            let hint = match file.kind {
                SyncFileKind::DeviceChanges => "on the server (fieldaudit-server sync import)",
                SyncFileKind::ServerChanges => "on a device (fieldaudit import-sync)",
            };
            return Err(SyncFileError::WrongKind {
                found: file.kind,
                hint,
            });
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Hlc;

    fn sample() -> SyncFile {
        SyncFile {
            format: SYNC_FILE_FORMAT,
            kind: SyncFileKind::DeviceChanges,
            organisation: "acme".into(),
            device_id: Some(Uuid::nil()),
            changes: vec![Change {
                device_seq: 1,
                hlc: Hlc(9),
                entity: "facility".into(),
                row_id: Uuid::nil(),
                field: "name".into(),
                value: serde_json::json!("A"),
            }],
            pulled: vec![],
            after: 0,
            attachments: vec![FileAttachment::new("ab".into(), b"photo")],
            created_at: "2026-11-25T00:00:00Z".into(),
        }
    }

    #[test]
    fn round_trips_compressed() {
        let f = sample();
        let bytes = f.encode();
        assert_eq!(&bytes[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
        let back = SyncFile::decode(&bytes, SyncFileKind::DeviceChanges).unwrap();
        assert_eq!(back, f);
        assert_eq!(back.attachments[0].bytes().unwrap(), b"photo");
    }

    #[test]
    fn refuses_damaged_newer_and_misplaced_files() {
        let bytes = sample().encode();
        assert!(matches!(
            SyncFile::decode(&bytes[..bytes.len() / 2], SyncFileKind::DeviceChanges),
            Err(SyncFileError::Damaged(_))
        ));
        assert!(matches!(
            SyncFile::decode(b"hello", SyncFileKind::DeviceChanges),
            Err(SyncFileError::Damaged(_))
        ));
        let mut newer = serde_json::to_value(sample()).unwrap();
        newer["format"] = 99.into();
        assert_eq!(
            SyncFile::decode(newer.to_string().as_bytes(), SyncFileKind::DeviceChanges),
            Err(SyncFileError::TooNew(99))
        );
        let err = SyncFile::decode(&bytes, SyncFileKind::ServerChanges).unwrap_err();
        assert!(
            err.to_string().contains("fieldaudit-server sync import"),
            "{err}"
        );
    }
}
