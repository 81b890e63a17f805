//! Audit sign-off: the auditor signs what the audit recorded, so a report can
//! later be checked as unchanged since sign-off.
//!
//! The signed content is the audit's **canonical form** ([`Store::signed_content`]):
//! the audit's own fields, checklists, repeat instances, answers and notes,
//! findings as raised, fee records with their fees and attachment metadata (files
//! by SHA-256), as JSON with sorted keys and every list sorted by id. What is
//! expected to move on after sign-off is left out: the audit's review status and
//! the reviewer's decision, the
//! corrective actions' follow-up, the workers' reimbursement progress, and what is
//! computed from the rest (score, totals) or describes the export itself.
//!
//! A device signs with its own ed25519 key (made on first use, kept in the local
//! `device_signing_key` table, never synced) over a domain-separated message of
//! the audit id and the content's SHA-256 digest. The sign-off row syncs like any
//! other, carrying the public key, so any device or the server can check it
//! ([`Store::verify_signoffs`]). The key says which device signed; trust in that
//! key (which device it is) comes from the organisation, not from this check.

use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::OsRng;
use chrono::Utc;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use fieldaudit_protocol::closed_sets::AuditStatus;
use fieldaudit_protocol::EntityKind;
use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::store::select_rows;
use crate::{CoreError, Result, Store};

/// Version of the canonical form new sign-offs use; a sign-off records its
/// version and is always checked against the form it signed.
///
/// Format 1 (before schema 6): findings without their CAP. Format 2: exactly the
/// fields [`fieldaudit_protocol::lock::is_signed`] covers, the same rule that
/// keeps a signed audit read-only, so the CAP as agreed and the site's
/// acknowledgement are signed while later CAP progress and verification are not.
pub const SIGNED_CONTENT_FORMAT: u32 = 2;

/// Prefix of every signed message, so a sign-off signature means nothing else.
const DOMAIN: &[u8] = b"fieldaudit audit sign-off v1\0";

/// A sign-off as stored and shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignoffView {
    /// Row id.
    pub id: Uuid,
    /// The audit signed.
    pub audit_id: Uuid,
    /// Who signed (the auditor's name as they typed it).
    pub signer: String,
    /// The device that signed.
    pub signer_device: String,
    /// The device's ed25519 public key (hex).
    pub public_key: String,
    /// SHA-256 of the signed content (hex).
    pub digest: String,
    /// When (UTC, RFC 3339).
    pub signed_at: String,
}

/// A sign-off checked against the audit as it is now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignoffCheck {
    /// The sign-off.
    pub signoff: SignoffView,
    /// Whether the signature is the signing key's, over that digest and audit.
    pub signature_valid: bool,
    /// Whether the audit's content still has the signed digest.
    pub unchanged: bool,
    /// Whether a reopening for correction voided this sign-off.
    pub voided: bool,
}

impl SignoffCheck {
    /// Whether this sign-off still stands: valid, unchanged and not voided.
    pub fn stands(&self) -> bool {
        self.signature_valid && self.unchanged && !self.voided
    }
}

/// Sorts a JSON array of objects by their `id` (or `finding.id`).
fn sort_by_id(list: &mut Value) {
    if let Value::Array(items) = list {
        let key = |v: &Value| {
            v.get("id")
                .or_else(|| v.pointer("/finding/id"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        items.sort_by_key(key);
    }
}

fn remove(v: &mut Value, keys: &[&str]) {
    if let Value::Object(map) = v {
        for k in keys {
            map.remove(*k);
        }
    }
}

/// Keeps only the id and the fields a sign-off covers (the lock rule's list).
fn keep_signed(row: &mut Value, entity: EntityKind) {
    if let Value::Object(map) = row {
        let kind = map
            .get("subject_kind")
            .and_then(Value::as_str)
            .map(str::to_owned);
        map.retain(|k, _| {
            k == "id"
                || (entity.field(k).is_some()
                    && fieldaudit_protocol::lock::is_signed(entity, k, kind.as_deref()))
        });
    }
}

pub(crate) fn message(audit_id: Uuid, digest: &[u8]) -> Vec<u8> {
    [DOMAIN, audit_id.as_bytes().as_slice(), digest].concat()
}

/// Whether `signature_hex` is the ed25519 signature of `public_key_hex` over the
/// sign-off message of `audit_id` and `digest_hex` (all hex). Malformed hex is
/// simply not valid.
pub fn signature_is_valid(audit_id: Uuid, public_key_hex: &str, digest_hex: &str, signature_hex: &str) -> bool {
    (|| {
        let key: [u8; 32] = hex::decode(public_key_hex).ok()?.try_into().ok()?;
        let sig: [u8; 64] = hex::decode(signature_hex).ok()?.try_into().ok()?;
        let digest = hex::decode(digest_hex).ok()?;
        let key = VerifyingKey::from_bytes(&key).ok()?;
        key.verify(&message(audit_id, &digest), &Signature::from_bytes(&sig)).ok()
    })()
    .is_some()
}

fn corrupt(field: &str, reason: impl Into<String>) -> CoreError {
    CoreError::Corrupt {
        entity: "signoff".into(),
        field: field.into(),
        reason: reason.into(),
    }
}

impl Store {
    /// The audit's canonical form in the current format: the bytes a new sign-off
    /// signs (see the module doc for what is in it and what is left out).
    pub fn signed_content(&self, audit_id: Uuid) -> Result<Vec<u8>> {
        self.signed_content_in(audit_id, SIGNED_CONTENT_FORMAT)
    }

    /// The audit's canonical form in `format` (1 or 2).
    pub fn signed_content_in(&self, audit_id: Uuid, format: u32) -> Result<Vec<u8>> {
        match format {
            1 => self.signed_content_v1(audit_id),
            2 => self.signed_content_v2(audit_id),
            other => Err(CoreError::Invalid(format!("sign-off content format {other} is newer than this FieldAudit; update it to check this sign-off"))),
        }
    }

    /// Canonical form 2: every row of the audit reduced to its signed fields.
    fn signed_content_v2(&self, audit_id: Uuid) -> Result<Vec<u8>> {
        let export = self.export_audit(audit_id)?;
        let mut v = serde_json::to_value(&export)
            .map_err(|e| CoreError::Invalid(format!("cannot encode the audit: {e}")))?;
        remove(
            &mut v,
            &[
                "format",
                "exported_at",
                "device_id",
                "facility",
                "fee_totals",
                "score",
                "previous_findings",
            ],
        );
        if let Some(audit) = v.get_mut("audit") {
            keep_signed(audit, EntityKind::Audit);
        }
        for (list, entity) in [
            ("repeat_instances", EntityKind::RepeatInstance),
            ("answers", EntityKind::Answer),
        ] {
            if let Some(Value::Array(rows)) = v.get_mut(list) {
                rows.iter_mut().for_each(|r| keep_signed(r, entity));
            }
        }
        if let Some(Value::Array(findings)) = v.get_mut("findings") {
            // Each finding's fields are flattened beside its `actions`.
            for f in findings.iter_mut() {
                let actions = f.get_mut("actions").map(std::mem::take);
                keep_signed(f, EntityKind::Finding);
                if let (Some(mut actions), Value::Object(map)) = (actions, &mut *f) {
                    if let Value::Array(list) = &mut actions {
                        list.iter_mut()
                            .for_each(|a| keep_signed(a, EntityKind::CorrectiveAction));
                    }
                    sort_by_id(&mut actions);
                    map.insert("actions".into(), actions);
                }
            }
        }
        if let Some(Value::Array(records)) = v.get_mut("fee_records") {
            for r in records.iter_mut() {
                let fees = r.get_mut("fees").map(std::mem::take);
                keep_signed(r, EntityKind::FeeRecord);
                if let (Some(mut fees), Value::Object(map)) = (fees, &mut *r) {
                    if let Value::Array(list) = &mut fees {
                        list.iter_mut()
                            .for_each(|fee| keep_signed(fee, EntityKind::Fee));
                    }
                    sort_by_id(&mut fees);
                    map.insert("fees".into(), fees);
                }
            }
        }
        if let Some(Value::Array(attachments)) = v.get_mut("attachments") {
            attachments.retain(|a| {
                let kind = a.get("subject_kind").and_then(Value::as_str);
                fieldaudit_protocol::lock::is_signed(EntityKind::Attachment, "sha256", kind)
            });
        }
        for list in [
            "repeat_instances",
            "answers",
            "findings",
            "fee_records",
            "attachments",
        ] {
            if let Some(l) = v.get_mut(list) {
                sort_by_id(l);
            }
        }
        if let Value::Object(map) = &mut v {
            map.insert("signed_content_format".into(), json!(2));
        }
        // serde_json's maps are sorted by key, so this encoding is canonical.
        serde_json::to_vec(&v)
            .map_err(|e| CoreError::Invalid(format!("cannot encode the audit: {e}")))
    }

    /// Canonical form 1: what sign-offs made before schema 6 signed.
    fn signed_content_v1(&self, audit_id: Uuid) -> Result<Vec<u8>> {
        let export = self.export_audit(audit_id)?;
        let mut v = serde_json::to_value(&export)
            .map_err(|e| CoreError::Invalid(format!("cannot encode the audit: {e}")))?;
        remove(
            &mut v,
            &[
                "format",
                "exported_at",
                "device_id",
                "facility",
                "fee_totals",
                "score",
                "previous_findings",
            ],
        );
        if let Some(audit) = v.get_mut("audit") {
            remove(
                audit,
                &["status", "reviewed_by", "reviewed_at", "review_comment"],
            );
            // Fields added with schema 6 did not exist when format 1 was signed.
            remove(
                audit,
                &["locked", "follow_up_of", "site_rep_name", "site_rep_role"],
            );
        }
        if let Some(Value::Array(findings)) = v.get_mut("findings") {
            for f in findings.iter_mut() {
                remove(f, &["actions"]);
                remove(
                    f,
                    &[
                        "site_response",
                        "site_comment",
                        "recurrence_of",
                        "follow_up_status",
                        "verified_in",
                        "verified_by",
                        "verified_on",
                    ],
                );
            }
        }
        if let Some(Value::Array(records)) = v.get_mut("fee_records") {
            for r in records.iter_mut() {
                remove(
                    r,
                    &[
                        "reimbursement_status",
                        "reimbursed_amount",
                        "reimbursed_currency",
                    ],
                );
                if let Some(fees) = r.get_mut("fees") {
                    sort_by_id(fees);
                }
            }
        }
        for list in [
            "repeat_instances",
            "answers",
            "findings",
            "fee_records",
            "attachments",
        ] {
            if let Some(l) = v.get_mut(list) {
                sort_by_id(l);
            }
        }
        if let Value::Object(map) = &mut v {
            map.insert("signed_content_format".into(), json!(1));
        }
        // serde_json's maps are sorted by key, so this encoding is canonical.
        serde_json::to_vec(&v)
            .map_err(|e| CoreError::Invalid(format!("cannot encode the audit: {e}")))
    }

    /// SHA-256 of [`Store::signed_content`], hex.
    pub fn audit_digest(&self, audit_id: Uuid) -> Result<String> {
        Ok(hex::encode(Sha256::digest(self.signed_content(audit_id)?)))
    }

    /// This device's signing key, made on first use.
    fn signing_key(&mut self) -> Result<SigningKey> {
        let stored: Option<Vec<u8>> = self
            .conn()
            .query_row("SELECT secret FROM device_signing_key", [], |r| r.get(0))
            .optional()?;
        if let Some(bytes) = stored {
            let secret: [u8; 32] = bytes
                .try_into()
                .map_err(|_| corrupt("device_signing_key", "the stored key is not 32 bytes"))?;
            return Ok(SigningKey::from_bytes(&secret));
        }
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        let key = SigningKey::from_bytes(&secret);
        self.write(|w| {
            w.conn().execute(
                "INSERT INTO device_signing_key (singleton, secret) VALUES (1, ?1)",
                [&secret[..]],
            )?;
            Ok(())
        })?;
        secret.fill(0);
        Ok(key)
    }

    /// Signs the audit as it is now, as `signer`, marks it submitted for review
    /// and locks what the sign-off covers ([`fieldaudit_protocol::lock`]). The
    /// sign-off syncs; to change a signed audit, reopen it for correction
    /// ([`Store::reopen_audit`]) and sign it off again.
    pub fn sign_off_audit(&mut self, audit_id: Uuid, signer: &str) -> Result<SignoffView> {
        let signer = signer.trim();
        if signer.is_empty() || signer.chars().count() > 80 {
            return Err(CoreError::Invalid(
                "give the name of the auditor signing off (at most 80 characters)".into(),
            ));
        }
        if self.audit(audit_id)?.locked == Some(true) {
            return Err(CoreError::Invalid(format!(
                "audit {audit_id} is already signed off; to change it and sign again, reopen it for correction first (`fieldaudit audit reopen {audit_id} --reason \"…\"`)"
            )));
        }
        let digest = Sha256::digest(self.signed_content(audit_id)?);
        let key = self.signing_key()?;
        let signature = key.sign(&message(audit_id, &digest));
        let view = SignoffView {
            id: Uuid::now_v7(),
            audit_id,
            signer: signer.to_owned(),
            signer_device: self.device_id().to_string(),
            public_key: hex::encode(key.verifying_key().as_bytes()),
            digest: hex::encode(digest),
            signed_at: Utc::now().to_rfc3339(),
        };
        self.write(|w| {
            w.set(
                EntityKind::Signoff,
                view.id,
                &[
                    ("audit_id", json!(audit_id.to_string())),
                    ("signer", json!(view.signer)),
                    ("signer_device", json!(view.signer_device)),
                    ("public_key", json!(view.public_key)),
                    ("digest", json!(view.digest)),
                    ("signature", json!(hex::encode(signature.to_bytes()))),
                    ("signed_at", json!(view.signed_at)),
                    ("deleted", json!(false)),
                    ("content_format", json!(SIGNED_CONTENT_FORMAT)),
                    ("voided", json!(false)),
                ],
            )?;
            w.set(
                EntityKind::Audit,
                audit_id,
                &[
                    ("status", json!(AuditStatus::Submitted)),
                    (fieldaudit_protocol::lock::LOCK_FIELD, json!(true)),
                ],
            )?;
            Ok(())
        })?;
        Ok(view)
    }

    /// Every sign-off of the audit, oldest first, checked against the audit as it
    /// is now: is the signature valid, and is the content unchanged since?
    pub fn verify_signoffs(&self, audit_id: Uuid) -> Result<Vec<SignoffCheck>> {
        self.audit(audit_id)?;
        let rows = select_rows(
            self.conn(),
            EntityKind::Signoff,
            "audit_id = ?1 AND coalesce(deleted, 0) = 0 ORDER BY signed_at, id",
            [audit_id.to_string()],
        )?;
        if rows.is_empty() {
            // Nothing to check: skip building the canonical form (the Findings
            // screen asks after every edit).
            return Ok(Vec::new());
        }
        let mut digests: std::collections::BTreeMap<u32, String> =
            std::collections::BTreeMap::new();
        rows.into_iter()
            .map(|r| {
                let text = |f: &str| {
                    r.get(f)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                let format = r
                    .get("content_format")
                    .and_then(Value::as_u64)
                    .map_or(1, |f| f as u32);
                let digest_now = match digests.get(&format) {
                    Some(d) => d.clone(),
                    None => {
                        let d =
                            hex::encode(Sha256::digest(self.signed_content_in(audit_id, format)?));
                        digests.insert(format, d.clone());
                        d
                    }
                };
                let voided = r.get("voided").and_then(Value::as_bool).unwrap_or(false);
                let id = Uuid::parse_str(&text("id")).map_err(|e| corrupt("id", e.to_string()))?;
                let signoff = SignoffView {
                    id,
                    audit_id,
                    signer: text("signer"),
                    signer_device: text("signer_device"),
                    public_key: text("public_key"),
                    digest: text("digest"),
                    signed_at: text("signed_at"),
                };
                let signature_valid = signature_is_valid(audit_id, &signoff.public_key, &signoff.digest, &text("signature"));
                let unchanged = signoff.digest == digest_now;
                Ok(SignoffCheck {
                    signoff,
                    signature_valid,
                    unchanged,
                    voided,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audits::ActionUpdate;
    use fieldaudit_protocol::closed_sets::ActionStatus;

    fn audit(store: &mut Store) -> Uuid {
        let audit = crate::test_support::fire_safety_audit(store);
        store
            .set_answer_note(
                audit,
                "fire-safety",
                "equipment.alarm_audible",
                None,
                "not heard in the warehouse",
            )
            .unwrap();
        audit
    }

    #[test]
    fn a_sign_off_verifies_until_what_was_recorded_changes() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), "laptop").unwrap();
        let audit = audit(&mut store);
        assert!(store
            .sign_off_audit(audit, "  ")
            .unwrap_err()
            .to_string()
            .contains("name"));
        let signed = store.sign_off_audit(audit, "Rina Akter").unwrap();
        assert_eq!(store.audit(audit).unwrap().status, Some(AuditStatus::Submitted));
        let checks = store.verify_signoffs(audit).unwrap();
        assert_eq!(checks.len(), 1);
        assert!(
            checks[0].signature_valid && checks[0].unchanged,
            "{checks:?}"
        );
        assert_eq!(checks[0].signoff, signed);

        // Follow-up after sign-off does not count as a change…
        let finding = store
            .findings(audit)
            .unwrap()
            .into_iter()
            .next()
            .expect("a finding");
        let action = finding.actions[0].id;
        store.update_action(action, &ActionUpdate { status: Some(ActionStatus::InProgress), ..Default::default() }).unwrap();
        store.write(|w| w.set(EntityKind::Audit, audit, &[("status", json!("approved"))]).map(|_| ())).unwrap();
        assert!(store.verify_signoffs(audit).unwrap()[0].unchanged, "CAP follow-up and review status are not signed");

        // …but a changed answer or note does; the lock refuses it, and reopening
        // voids the sign-off.
        assert!(
            store
                .set_answer_note(
                    audit,
                    "fire-safety",
                    "equipment.alarm_audible",
                    None,
                    "heard everywhere"
                )
                .is_err(),
            "locked"
        );
        store.conn().execute("UPDATE answer SET note = 'heard everywhere' WHERE item_id = 'equipment.alarm_audible'", []).unwrap();
        let after = store.verify_signoffs(audit).unwrap();
        assert!(after[0].signature_valid && !after[0].unchanged && !after[0].stands());

        // A forged digest or signature is caught.
        store.conn().execute("UPDATE answer SET note = 'not heard in the warehouse' WHERE item_id = 'equipment.alarm_audible'", []).unwrap();
        assert!(
            store.verify_signoffs(audit).unwrap()[0].unchanged,
            "back as signed"
        );
        let digest_now = store.audit_digest(audit).unwrap();
        let mut forged = digest_now.clone().into_bytes();
        forged[0] = if forged[0] == b'a' { b'b' } else { b'a' };
        let forged = String::from_utf8(forged).unwrap();
        store
            .write(|w| {
                w.set(EntityKind::Signoff, signed.id, &[("digest", json!(forged))])
                    .map(|_| ())
            })
            .unwrap();
        let check = &store.verify_signoffs(audit).unwrap()[0];
        assert!(!check.signature_valid, "a digest the key never signed");
        store
            .write(|w| {
                w.set(
                    EntityKind::Signoff,
                    signed.id,
                    &[
                        ("digest", json!(digest_now)),
                        ("signature", json!("00".repeat(64))),
                    ],
                )
                .map(|_| ())
            })
            .unwrap();
        assert!(!store.verify_signoffs(audit).unwrap()[0].signature_valid);
    }

    #[test]
    fn the_canonical_form_is_the_same_on_another_device_after_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), "laptop").unwrap();
        let audit = audit(&mut store);
        let first = store.signed_content(audit).unwrap();
        assert_eq!(first, store.signed_content(audit).unwrap(), "deterministic");
        let text = String::from_utf8(first).unwrap();
        assert!(
            text.contains("not heard in the warehouse")
                && !text.contains("\"exported_at\"")
                && !text.contains("\"score\"")
        );
        // Reopened (the app restarted): same bytes.
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            text.as_bytes(),
            store.signed_content(audit).unwrap().as_slice()
        );
    }
}
