//! The seal a report carries: the audit's sign-off (signer, key, digest,
//! signature) and the canonical content that was signed, so a printed or mailed
//! PDF can be checked later by anyone with `fieldaudit report verify`.
//!
//! Checking a seal ([`Store::check_seal`]) answers three questions: does the
//! content still hash to the signed digest (nobody edited the embedded file), is
//! the signature the signing key's over that digest, and — when the audit is on
//! this device — has the audit changed since it was signed.

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::signoff::signature_is_valid;
use crate::{CoreError, Result, Store};

/// Version of [`Seal`].
pub const SEAL_FORMAT: u32 = 1;

/// Name of the file embedded in the PDF.
pub const SEAL_FILE_NAME: &str = "fieldaudit-signoff.json";

/// A sign-off and what it signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    /// [`SEAL_FORMAT`].
    pub format: u32,
    /// The audit.
    pub audit_id: Uuid,
    /// The sign-off row.
    pub signoff_id: Uuid,
    /// Who signed.
    pub signer: String,
    /// The device that signed.
    pub signer_device: String,
    /// ed25519 public key (hex).
    pub public_key: String,
    /// SHA-256 of `signed_content` (hex), as signed.
    pub digest: String,
    /// ed25519 signature (hex).
    pub signature: String,
    /// When (UTC, RFC 3339).
    pub signed_at: String,
    /// The canonical signed content ([`Store::signed_content`]), as UTF-8 JSON.
    pub signed_content: String,
}

/// The audit on this device compared with a seal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AuditSinceSignOff {
    /// The audit still has the signed content.
    Unchanged,
    /// Something signed has changed since.
    Changed,
    /// The audit was reopened for correction after this sign-off, which voided it.
    Reopened,
    /// This device does not hold the audit.
    NotOnThisDevice,
}

/// What checking a seal found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SealCheck {
    /// The audit.
    pub audit_id: Uuid,
    /// Who signed, and when.
    pub signer: String,
    /// When signed.
    pub signed_at: String,
    /// The signed digest (hex).
    pub digest: String,
    /// Whether the embedded content hashes to the digest.
    pub content_matches_digest: bool,
    /// Whether the signature is valid for that digest and audit.
    pub signature_valid: bool,
    /// Whether the audit on this device still matches.
    pub since: AuditSinceSignOff,
    /// When the audit is on this device: whether this exact sign-off (id, key,
    /// digest, signature) is one of its recorded sign-offs. `false` for a seal
    /// made with some other key; `true` when the audit is not here (nothing to
    /// compare with).
    pub signoff_recorded: bool,
}

impl SealCheck {
    /// Whether the report is an untouched copy of a valid sign-off (and, when the
    /// audit is on this device, of one of its own sign-offs).
    pub fn authentic(&self) -> bool {
        self.content_matches_digest && self.signature_valid && self.signoff_recorded
    }
}

impl Store {
    /// The seal for a report made now: the newest sign-off whose signature is
    /// valid and whose content is still the audit's. `None` when the audit is not
    /// signed, or changed since every sign-off (the report is then a draft).
    pub fn report_seal(&self, audit_id: Uuid) -> Result<Option<Seal>> {
        let Some(check) = self.verify_signoffs(audit_id)?.into_iter().rev().find(|c| c.stands()) else {
            return Ok(None);
        };
        let s = check.signoff;
        let (signature, format): (Option<String>, Option<u32>) = self
            .conn()
            .query_row("SELECT signature, content_format FROM signoff WHERE id = ?1", [s.id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .unwrap_or_default();
        // The content in the format this sign-off signed (older sign-offs: format 1).
        let signed_content = String::from_utf8(self.signed_content_in(audit_id, format.unwrap_or(1))?)
            .map_err(|e| CoreError::Invalid(format!("the audit's canonical form is not UTF-8: {e}")))?;
        Ok(Some(Seal {
            format: SEAL_FORMAT,
            audit_id,
            signoff_id: s.id,
            signer: s.signer,
            signer_device: s.signer_device,
            public_key: s.public_key,
            digest: s.digest,
            signature: signature.unwrap_or_default(),
            signed_at: s.signed_at,
            signed_content,
        }))
    }

    /// Checks a seal read back from a report (see the module doc).
    pub fn check_seal(&self, seal: &Seal) -> Result<SealCheck> {
        let content_digest = hex::encode(Sha256::digest(seal.signed_content.as_bytes()));
        let content_matches_digest = content_digest == seal.digest;
        // The content names its audit: a seal copied onto another audit's id fails.
        let content = serde_json::from_str::<Value>(&seal.signed_content).ok();
        let content_audit = content.as_ref().and_then(|v| v.pointer("/audit/id").and_then(Value::as_str).map(str::to_owned));
        // Which canonical form was signed: the content says so (format 1 when it does not).
        let format = content.as_ref().and_then(|v| v.get("signed_content_format")).and_then(Value::as_u64).map_or(1, |f| f as u32);
        let names_same_audit = content_audit.as_deref() == Some(seal.audit_id.to_string().as_str());
        let signature_valid = signature_is_valid(seal.audit_id, &seal.public_key, &seal.digest, &seal.signature);
        let (since, signoff_recorded) = match self.audit(seal.audit_id) {
            Ok(_) => {
                let digest_now = hex::encode(Sha256::digest(self.signed_content_in(seal.audit_id, format)?));
                let recorded: Option<(String, String, Option<String>, Option<bool>)> = self
                    .conn()
                    .query_row(
                        "SELECT public_key, digest, signature, voided FROM signoff WHERE id = ?1 AND audit_id = ?2 AND coalesce(deleted, 0) = 0",
                        [seal.signoff_id.to_string(), seal.audit_id.to_string()],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()?;
                let voided = recorded.as_ref().is_some_and(|r| r.3 == Some(true));
                let since = if digest_now != seal.digest {
                    AuditSinceSignOff::Changed
                } else if voided {
                    AuditSinceSignOff::Reopened
                } else {
                    AuditSinceSignOff::Unchanged
                };
                let matches = recorded.is_some_and(|(key, digest, signature, _)| key == seal.public_key && digest == seal.digest && signature.as_deref() == Some(seal.signature.as_str()));
                (since, matches)
            }
            Err(CoreError::NotFound { .. }) => (AuditSinceSignOff::NotOnThisDevice, true),
            Err(e) => return Err(e),
        };
        Ok(SealCheck {
            audit_id: seal.audit_id,
            signer: seal.signer.clone(),
            signed_at: seal.signed_at.clone(),
            digest: seal.digest.clone(),
            content_matches_digest: content_matches_digest && names_same_audit,
            signature_valid,
            since,
            signoff_recorded,
        })
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signer, SigningKey};

    use super::*;

    #[test]
    fn a_seal_checks_content_signature_the_recorded_signoff_and_later_changes() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), "laptop").unwrap();
        let audit = crate::test_support::fire_safety_audit(&mut store);
        assert_eq!(store.report_seal(audit).unwrap(), None, "not signed: no seal");
        store.sign_off_audit(audit, "Rina").unwrap();
        let seal = store.report_seal(audit).unwrap().expect("a seal");
        let check = store.check_seal(&seal).unwrap();
        assert!(check.authentic() && check.since == AuditSinceSignOff::Unchanged, "{check:?}");

        // One changed byte of the signed content.
        let mut edited = seal.clone();
        edited.signed_content = edited.signed_content.replacen("Rina", "Rino", 1);
        assert_ne!(edited.signed_content, seal.signed_content);
        let check = store.check_seal(&edited).unwrap();
        assert!(!check.content_matches_digest && !check.authentic());

        // Content re-signed with another key: the signature is valid for that key,
        // but this audit has no such sign-off.
        let forger = SigningKey::from_bytes(&[7; 32]);
        let mut forged = seal.clone();
        forged.public_key = hex::encode(forger.verifying_key().as_bytes());
        let digest = hex::decode(&seal.digest).unwrap();
        forged.signature = hex::encode(forger.sign(&crate::signoff::message(audit, &digest)).to_bytes());
        let check = store.check_seal(&forged).unwrap();
        assert!(check.signature_valid && !check.signoff_recorded && !check.authentic(), "{check:?}");

        // A seal moved onto another audit's id fails.
        let mut moved = seal.clone();
        moved.audit_id = Uuid::now_v7();
        assert!(!store.check_seal(&moved).unwrap().authentic());

        // Reopened for correction: the report stays authentic, but its sign-off is void.
        store.reopen_audit(audit, "alarm answer was recorded on the wrong floor").unwrap();
        let check = store.check_seal(&seal).unwrap();
        assert!(check.authentic() && check.since == AuditSinceSignOff::Reopened, "{check:?}");
        assert_eq!(store.report_seal(audit).unwrap(), None, "reopened: the report is a draft");

        // A later change: still authentic, but the audit changed since.
        store.record_answer(audit, "fire-safety", "equipment.alarm_audible", None, serde_json::json!("yes")).unwrap();
        let check = store.check_seal(&seal).unwrap();
        assert!(check.authentic() && check.since == AuditSinceSignOff::Changed, "{check:?}");
        assert_eq!(store.report_seal(audit).unwrap(), None, "changed since sign-off: the report is a draft");
    }
}
