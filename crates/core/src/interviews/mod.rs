//! Confidential worker interviews (checklist 7 of DOMAIN.md).
//!
//! A leak can cost a worker their job or worse, so:
//!
//! - **Drafts are encrypted from the first keystroke**, under a [`DraftKey`] that is
//!   never in the database file: a random key in the OS keyring when the desktop has
//!   one ([`Store::unlock_interviews_with_keyring`], [`keystore`]), else one derived
//!   from the interviewer's passphrase with Argon2id ([`Store::unlock_interviews`]).
//!   Drafts live in the local-only `interview_draft` table as XChaCha20-Poly1305
//!   ciphertext and are never synced.
//! - **Finalise seals.** [`Store::finalise_interview`] encrypts the content with
//!   `age` to every current reviewer public key of the organisation (the synced
//!   `reviewer_key` rows), writes the armored ciphertext to `interview.sealed`
//!   through the one write path (so it syncs like any field), deletes the draft in
//!   the same transaction (`secure_delete` is on) and checkpoints the WAL. From
//!   then on the device shows only non-identifying metadata: date, interviewer,
//!   language, individual or group.
//! - **Reviewers decrypt on their own machine** ([`review`]): with their private
//!   key they read an audit's interviews one by one and in aggregate.
//! - **No identity anywhere.** The content ([`InterviewContent`]) is the answers to
//!   the `worker-interview` checklist (categories, never identity) plus reported
//!   fees without any worker reference; free text that looks like an ID or phone
//!   number is refused ([`check_free_text`]).
//! - **Sampling** ([`sampling`]): suggested n = max(6, ⌈√N⌉) capped at 50, and the
//!   coverage per category so far (kept encrypted under the draft key).

mod content;
mod crypto;
pub mod form;
pub mod keystore;
pub mod review;
pub mod sampling;

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use fieldaudit_protocol::closed_sets::{ClosedSet, InterviewFormat, InterviewState};
use fieldaudit_protocol::EntityKind;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

pub use content::{
    check_free_text, interview_template, InterviewContent, ReportedFee, ReportedFees, CHANNELS,
    INTERVIEW_TEMPLATE, MIGRANT_TYPES, PAID_TO, PAID_WHEN, REIMBURSEMENT,
};
pub use form::{
    AnswerCount, InterviewForm, InterviewItemView, InterviewReview, InterviewSectionView,
    InterviewsOverview, QuestionTally, ReviewedInterviewView,
};

/// A reviewer's unlocked private key (an age X25519 identity).
pub type ReviewerIdentity = age::x25519::Identity;
pub use crypto::{
    generate_reviewer_key, parse_recipient, unlock_reviewer_key, DraftKey, OpenError,
    ReviewerKeyPair,
};

use crate::store::select_rows;
use crate::{CoreError, Result, Store, Writer};

/// How long unlocked drafts stay open without use: a laptop left open on site
/// then needs the keyring or the passphrase again.
pub const DRAFT_IDLE_LOCK: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The draft key of an unlocked session, which locks itself after
/// [`DRAFT_IDLE_LOCK`] without use (the app keeps one in memory).
pub struct UnlockedDrafts {
    key: DraftKey,
    last_used: std::time::Instant,
}

impl UnlockedDrafts {
    /// Unlocked now.
    pub fn new(key: DraftKey) -> UnlockedDrafts {
        UnlockedDrafts {
            key,
            last_used: std::time::Instant::now(),
        }
    }

    /// The key, counting this as a use at `now`; `None` once it has been idle
    /// longer than [`DRAFT_IDLE_LOCK`] (the caller then drops it).
    pub fn use_at(&mut self, now: std::time::Instant) -> Option<&DraftKey> {
        if now.saturating_duration_since(self.last_used) > DRAFT_IDLE_LOCK {
            return None;
        }
        self.last_used = self.last_used.max(now);
        Some(&self.key)
    }
}

/// An interview being written: metadata and content, encrypted at rest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterviewDraft {
    /// The interview's id (also the synced row's id once finalised).
    pub id: Uuid,
    /// The audit it belongs to.
    pub audit_id: Uuid,
    /// When it was held.
    pub conducted_on: NaiveDate,
    /// Who held it (the interviewer, never the worker).
    pub interviewer: String,
    /// What was said.
    pub content: InterviewContent,
}

/// What the device shows of an interview: metadata only, never content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InterviewSummary {
    /// Interview id.
    pub id: Uuid,
    /// A draft (on this device only, encrypted), sealed, or synced without content.
    pub state: InterviewState,
    /// Date held (sealed interviews only; a draft's date is encrypted).
    pub conducted_on: Option<String>,
    /// Interviewer (sealed interviews only).
    pub interviewer: Option<String>,
    /// Language option id (sealed interviews only).
    pub language: Option<String>,
    /// One worker or a group (sealed interviews only).
    pub format: Option<InterviewFormat>,
}

/// A current reviewer key of the organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReviewerKey {
    /// Row id.
    pub id: Uuid,
    /// Reviewer's display name.
    pub reviewer: String,
    /// `age1…` public key.
    pub public_key: String,
}

/// What is sealed: the content plus what it belongs to, so a ciphertext copied to
/// another interview or audit is detected when opened.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SealedPayload {
    pub(crate) format_version: u32,
    pub(crate) interview_id: Uuid,
    pub(crate) audit_id: Uuid,
    pub(crate) template_id: String,
    pub(crate) template_version: u32,
    pub(crate) conducted_on: NaiveDate,
    pub(crate) interviewer: String,
    pub(crate) content: InterviewContent,
}

fn draft_context(id: Uuid, audit_id: Uuid) -> String {
    format!("interview-draft/{id}/{audit_id}")
}

fn tally_context(audit_id: Uuid) -> String {
    format!("interview-tally/{audit_id}")
}

fn blob_err(what: &str) -> CoreError {
    CoreError::Invalid(format!(
        "the {what} cannot be decrypted with this passphrase: it was changed or damaged on disk (the passphrase itself is right)"
    ))
}

fn check_interviewer(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(CoreError::Invalid(
            "give the interviewer's name (yours, never a worker's), at most 80 characters".into(),
        ));
    }
    check_free_text("interviewer", name)?;
    Ok(name.to_owned())
}

impl Store {
    /// Unlocks interview drafts with the interviewer's passphrase. The first time on
    /// a device this sets the passphrase (at least 8 characters); afterwards a
    /// wrong passphrase is refused. A forgotten passphrase cannot be recovered:
    /// drafts are lost, sealed interviews are not affected.
    pub fn unlock_interviews(&mut self, passphrase: &str) -> Result<DraftKey> {
        let stored: Option<(Vec<u8>, String, Vec<u8>, Vec<u8>)> = self
            .conn()
            .query_row(
                "SELECT salt, kdf, check_nonce, check_ciphertext FROM interview_key",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        match stored {
            Some((_, kdf, _, _)) if kdf == keystore::KEYRING_KDF => Err(CoreError::Invalid(
                "this device keeps its interview key in the system keyring, not behind a passphrase; unlock your desktop session's keyring and open the interviews again".into(),
            )),
            Some((salt, kdf, nonce, check)) => {
                if kdf != crypto::KDF_NAME {
                    return Err(CoreError::Invalid(format!("interview drafts use key derivation {kdf:?}, unknown to this version; update FieldAudit")));
                }
                let key = DraftKey::derive(passphrase, &salt)?;
                if !key.verify_check(&nonce, &check) {
                    return Err(CoreError::Invalid("wrong interview passphrase; drafts on this device open only with the passphrase set when the first interview was started".into()));
                }
                Ok(key)
            }
            None => {
                if passphrase.chars().count() < 8 {
                    return Err(CoreError::Invalid("choose an interview passphrase of at least 8 characters; it protects drafts on this device and cannot be recovered".into()));
                }
                let salt = DraftKey::new_salt();
                let key = DraftKey::derive(passphrase, &salt)?;
                let (nonce, check) = key.make_check()?;
                self.write(|w| {
                    w.conn().execute(
                        "INSERT INTO interview_key (singleton, salt, kdf, check_nonce, check_ciphertext) VALUES (1, ?1, ?2, ?3, ?4)",
                        (&salt[..], crypto::KDF_NAME, &nonce, &check),
                    )?;
                    Ok(())
                })?;
                Ok(key)
            }
        }
    }

    /// Unlocks interview drafts without a passphrase where the OS keyring can hold
    /// the key: on a device set up that way, reads the key from the keyring; on a
    /// device with no interview key yet, makes one and stores it in the keyring if
    /// the keyring works. `None` when the device uses (or, without a keyring, must
    /// set) a passphrase: call [`Store::unlock_interviews`].
    pub fn unlock_interviews_with_keyring(&mut self) -> Result<Option<DraftKey>> {
        let stored: Option<(String, Vec<u8>, Vec<u8>)> = self
            .conn()
            .query_row(
                "SELECT kdf, check_nonce, check_ciphertext FROM interview_key",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let device = self.device_id();
        match stored {
            Some((kdf, nonce, check)) if kdf == keystore::KEYRING_KDF => {
                let key = DraftKey::from_bytes(keystore::load(device)?);
                if !key.verify_check(&nonce, &check) {
                    return Err(CoreError::Invalid(
                        "the interview key in the system keyring does not match this device's drafts (was the keyring restored from another machine?); unfinished drafts cannot be opened".into(),
                    ));
                }
                Ok(Some(key))
            }
            Some(_) => Ok(None),
            None => {
                let mut bytes = DraftKey::random_bytes();
                if !keystore::store(device, &bytes) {
                    bytes.fill(0);
                    return Ok(None);
                }
                let key = DraftKey::from_bytes(bytes);
                let (nonce, check) = key.make_check()?;
                self.write(|w| {
                    w.conn().execute(
                        "INSERT INTO interview_key (singleton, salt, kdf, check_nonce, check_ciphertext) VALUES (1, ?1, ?2, ?3, ?4)",
                        (&[] as &[u8], keystore::KEYRING_KDF, &nonce, &check),
                    )?;
                    Ok(())
                })?;
                Ok(Some(key))
            }
        }
    }

    /// How this device protects interview drafts: `keyring`, `passphrase`, or
    /// `unset` before the first unlock.
    pub fn interview_protection(&self) -> Result<&'static str> {
        let kdf: Option<String> = self
            .conn()
            .query_row("SELECT kdf FROM interview_key", [], |r| r.get(0))
            .optional()?;
        Ok(match kdf.as_deref() {
            None => "unset",
            Some(keystore::KEYRING_KDF) => "keyring",
            Some(_) => "passphrase",
        })
    }

    /// Starts an interview of an audit: an empty encrypted draft.
    pub fn start_interview(
        &mut self,
        key: &DraftKey,
        audit_id: Uuid,
        interviewer: &str,
        conducted_on: NaiveDate,
    ) -> Result<Uuid> {
        self.audit(audit_id)?;
        let draft = InterviewDraft {
            id: Uuid::now_v7(),
            audit_id,
            conducted_on,
            interviewer: check_interviewer(interviewer)?,
            content: InterviewContent::default(),
        };
        self.save_interview_draft(key, &draft)?;
        Ok(draft.id)
    }

    /// Saves a draft (encrypted). The content is validated first; nothing is
    /// saved when it is refused.
    pub fn save_interview_draft(&mut self, key: &DraftKey, draft: &InterviewDraft) -> Result<()> {
        check_interviewer(&draft.interviewer)?;
        draft.content.validate()?;
        let sealed: Option<String> = self
            .conn()
            .query_row(
                "SELECT sealed FROM interview WHERE id = ?1",
                [draft.id.to_string()],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        if sealed.is_some() {
            return Err(CoreError::Invalid(format!(
                "interview {} is already finalised and sealed; it can no longer be changed",
                draft.id
            )));
        }
        let mut plain = serde_json::to_vec(draft).map_err(|e| CoreError::Invalid(e.to_string()))?;
        let (nonce, ct) = key.encrypt(&draft_context(draft.id, draft.audit_id), &plain)?;
        plain.fill(0);
        let (id, audit) = (draft.id.to_string(), draft.audit_id.to_string());
        self.write(|w| {
            let existing: Option<String> = w.conn().query_row("SELECT audit_id FROM interview_draft WHERE id = ?1", [&id], |r| r.get(0)).optional()?;
            if existing.as_ref().is_some_and(|a| *a != audit) {
                return Err(CoreError::Invalid("an interview cannot move to another audit".into()));
            }
            w.conn().execute(
                "INSERT INTO interview_draft (id, audit_id, nonce, ciphertext, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext, updated_at = excluded.updated_at",
                (&id, &audit, &nonce, &ct, Utc::now().to_rfc3339()),
            )?;
            Ok(())
        })
    }

    /// Opens a draft with the draft key.
    pub fn interview_draft(&self, key: &DraftKey, id: Uuid) -> Result<InterviewDraft> {
        let row: Option<(String, Vec<u8>, Vec<u8>)> = self
            .conn()
            .query_row(
                "SELECT audit_id, nonce, ciphertext FROM interview_draft WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((audit, nonce, ct)) = row else {
            let sealed = self.conn().query_row(
                "SELECT EXISTS (SELECT 1 FROM interview WHERE id = ?1 AND sealed IS NOT NULL)",
                [id.to_string()],
                |r| r.get::<_, bool>(0),
            )?;
            return Err(if sealed {
                CoreError::Invalid(format!(
                    "interview {id} is finalised and sealed: only a reviewer's key can open it"
                ))
            } else {
                CoreError::not_found("interview draft", id)
            });
        };
        let audit_id = Uuid::parse_str(&audit).map_err(|e| CoreError::Corrupt {
            entity: "interview_draft".into(),
            field: "audit_id".into(),
            reason: e.to_string(),
        })?;
        let mut plain = key
            .decrypt(&draft_context(id, audit_id), &nonce, &ct)
            .ok_or_else(|| blob_err("interview draft"))?;
        let draft: InterviewDraft =
            serde_json::from_slice(&plain).map_err(|_| blob_err("interview draft"))?;
        plain.fill(0);
        if draft.id != id || draft.audit_id != audit_id {
            return Err(blob_err("interview draft"));
        }
        Ok(draft)
    }

    /// The organisation's current reviewer keys (not revoked, not deleted), as
    /// synced from the server.
    pub fn reviewer_keys(&self) -> Result<Vec<ReviewerKey>> {
        let rows = select_rows(
            self.conn(),
            EntityKind::ReviewerKey,
            "coalesce(revoked, 0) = 0 AND coalesce(deleted, 0) = 0 AND public_key IS NOT NULL ORDER BY id",
            [],
        )?;
        rows.into_iter()
            .map(|r| {
                let id = r
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(|s| Uuid::parse_str(s).ok());
                let public_key = r
                    .get("public_key")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let reviewer = r
                    .get("reviewer")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let id = id.ok_or_else(|| CoreError::Corrupt {
                    entity: "reviewer_key".into(),
                    field: "id".into(),
                    reason: "not a UUID".into(),
                })?;
                Ok(ReviewerKey {
                    id,
                    reviewer,
                    public_key,
                })
            })
            .collect()
    }

    /// Seals an interview to every current reviewer key: the sealed ciphertext and
    /// metadata are written as a synced row, the plaintext draft is deleted in the
    /// same transaction, then the WAL is checkpointed so no old page lingers.
    pub fn finalise_interview(&mut self, key: &DraftKey, id: Uuid) -> Result<InterviewSummary> {
        let draft = self.interview_draft(key, id)?;
        draft.content.validate()?;
        let content = draft.content.for_sealing()?;
        let (Some(format), Some(_)) = (content.format(), content.answers.get("setup.consent"))
        else {
            return Err(CoreError::Invalid(
                "answer setup.format (individual or group) and setup.consent before finalising"
                    .into(),
            ));
        };
        let format = InterviewFormat::parse(format).ok_or_else(|| {
            CoreError::Invalid(format!("setup.format is {format:?}; answer it with one of {}", InterviewFormat::NAMES.join(", ")))
        })?;
        let language = content.language().map(str::to_owned);
        let keys = self.reviewer_keys()?;
        let recipients = keys
            .iter()
            .map(|k| parse_recipient(&k.public_key))
            .collect::<Result<Vec<_>>>()?;
        let template = interview_template()?;
        let payload = SealedPayload {
            format_version: 1,
            interview_id: id,
            audit_id: draft.audit_id,
            template_id: template.id.clone(),
            template_version: template.version,
            conducted_on: draft.conducted_on,
            interviewer: draft.interviewer.clone(),
            content,
        };
        let mut plain =
            serde_json::to_vec(&payload).map_err(|e| CoreError::Invalid(e.to_string()))?;
        let sealed = crypto::seal(&plain, &recipients)?;
        plain.fill(0);
        let conducted_on = draft.conducted_on.format("%Y-%m-%d").to_string();
        self.write(|w| {
            w.set(
                EntityKind::Interview,
                id,
                &[
                    ("audit_id", json!(draft.audit_id.to_string())),
                    ("conducted_on", json!(conducted_on)),
                    ("interviewer", json!(draft.interviewer)),
                    ("language", json!(language)),
                    ("format", json!(format)),
                    ("sealed", json!(sealed)),
                    ("deleted", json!(false)),
                ],
            )?;
            sampling::add_to_tally(w, key, draft.audit_id, &payload.content)?;
            w.conn().execute(
                "DELETE FROM interview_draft WHERE id = ?1",
                [id.to_string()],
            )?;
            Ok(())
        })?;
        self.checkpoint()?;
        Ok(InterviewSummary {
            id,
            state: InterviewState::Sealed,
            conducted_on: Some(conducted_on),
            interviewer: Some(draft.interviewer),
            language,
            format: Some(format),
        })
    }

    /// Deletes a draft (nothing was synced; its bytes are overwritten).
    pub fn discard_interview_draft(&mut self, id: Uuid) -> Result<()> {
        let n = self.write(|w| {
            Ok(w.conn().execute(
                "DELETE FROM interview_draft WHERE id = ?1",
                [id.to_string()],
            )?)
        })?;
        if n == 0 {
            return Err(CoreError::not_found("interview draft", id));
        }
        self.checkpoint()
    }

    /// Copies the WAL into the database file and truncates it, so pages of deleted
    /// rows do not linger in the WAL.
    fn checkpoint(&self) -> Result<()> {
        let (busy, _, _): (i64, i64, i64) =
            self.conn()
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        if busy != 0 {
            // Another connection (e.g. a sync) is reading; the WAL is truncated at
            // the next checkpoint. Everything in it is ciphertext anyway.
            return Ok(());
        }
        Ok(())
    }

    /// The interviews of an audit: drafts on this device and sealed interviews,
    /// metadata only.
    pub fn interviews(&self, audit_id: Uuid) -> Result<Vec<InterviewSummary>> {
        let mut out = Vec::new();
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT id FROM interview_draft WHERE audit_id = ?1 ORDER BY id")?;
        let ids: Vec<String> = stmt
            .query_map([audit_id.to_string()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in ids {
            let id = Uuid::parse_str(&id).map_err(|e| CoreError::Corrupt { entity: "interview_draft".into(), field: "id".into(), reason: e.to_string() })?;
            out.push(InterviewSummary { id, state: InterviewState::Draft, conducted_on: None, interviewer: None, language: None, format: None });
        }
        for row in select_rows(
            self.conn(),
            EntityKind::Interview,
            "audit_id = ?1 AND coalesce(deleted, 0) = 0 ORDER BY conducted_on, id",
            [audit_id.to_string()],
        )? {
            out.push(summary(&row)?);
        }
        Ok(out)
    }
}

pub(crate) fn summary(row: &serde_json::Map<String, Value>) -> Result<InterviewSummary> {
    let text = |f: &str| row.get(f).and_then(Value::as_str).map(str::to_owned);
    let id = text("id")
        .and_then(|s| Uuid::parse_str(&s).ok())
        .ok_or_else(|| CoreError::Corrupt {
            entity: "interview".into(),
            field: "id".into(),
            reason: "not a UUID".into(),
        })?;
    Ok(InterviewSummary {
        id,
        state: if row.get("sealed").is_some_and(|v| !v.is_null()) { InterviewState::Sealed } else { InterviewState::Incomplete },
        conducted_on: text("conducted_on"),
        interviewer: text("interviewer"),
        language: text("language"),
        format: text("format").as_deref().and_then(InterviewFormat::parse),
    })
}

/// Reads and decrypts a local-only encrypted blob keyed by audit (the tally).
pub(crate) fn read_encrypted<T: for<'de> Deserialize<'de> + Default>(
    w: &rusqlite::Connection,
    key: &DraftKey,
    audit_id: Uuid,
) -> Result<T> {
    let row: Option<(Vec<u8>, Vec<u8>)> = w
        .query_row(
            "SELECT nonce, ciphertext FROM interview_tally WHERE audit_id = ?1",
            [audit_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((nonce, ct)) = row else {
        return Ok(T::default());
    };
    let plain = key
        .decrypt(&tally_context(audit_id), &nonce, &ct)
        .ok_or_else(|| blob_err("interview coverage"))?;
    serde_json::from_slice(&plain).map_err(|_| blob_err("interview coverage"))
}

/// Encrypts and stores the tally of an audit.
pub(crate) fn write_encrypted<T: Serialize>(
    w: &Writer<'_>,
    key: &DraftKey,
    audit_id: Uuid,
    value: &T,
) -> Result<()> {
    let plain = serde_json::to_vec(value).map_err(|e| CoreError::Invalid(e.to_string()))?;
    let (nonce, ct) = key.encrypt(&tally_context(audit_id), &plain)?;
    w.conn().execute(
        "INSERT INTO interview_tally (audit_id, nonce, ciphertext) VALUES (?1, ?2, ?3)
         ON CONFLICT (audit_id) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext",
        (audit_id.to_string(), &nonce, &ct),
    )?;
    Ok(())
}

/// The interview checklist's free-text items (notes): the UI and CLI warn the
/// interviewer never to write a name, ID or phone number in them.
pub fn free_text_items() -> Result<Vec<String>> {
    Ok(interview_template()?
        .items()
        .filter(|(_, i)| matches!(i.answer, fieldaudit_templates::AnswerType::Text))
        .map(|(_, i)| i.id.clone())
        .collect())
}

/// Counts by item and option, e.g. `category.shift → night → 2`.
pub type OptionCounts = BTreeMap<String, BTreeMap<String, u32>>;

#[cfg(test)]
mod tests;
