//! Sync bookkeeping on the device: watermark, pull cursor, quarantine, kept
//! conflicts (named for people by the question and audit they are about) and
//! attachment transfer state, and the status the app shows.

use chrono::Utc;
use fieldaudit_protocol::closed_sets::ConflictStatus;
use fieldaudit_protocol::{Change, EntityKind, PushResponse};
use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::phrases::{field_name, fill, phrase, Phrase};
use crate::store::{select_rows, Writer};
use crate::{CoreError, Result, Store};

const PUSH_WATERMARK: &str = "push_watermark";
const PULL_CURSOR: &str = "pull_cursor";
const SCOPE_EPOCH: &str = "scope_epoch";
const SEQ_MARKER: &str = "seq_at_last_pull";
/// Set while this device must pull its own changes too (see [`super::restore`]).
const PULL_OWN: &str = "pull_own_changes";

/// What the status bar shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    /// Whether a server session is stored.
    pub signed_in: bool,
    /// Server address, when signed in.
    pub server_url: Option<String>,
    /// Organisation, when signed in.
    pub organisation: Option<String>,
    /// User, when signed in.
    pub user: Option<String>,
    /// The signed-in user's role (`admin`, `reviewer`, `auditor`, `interviewer`).
    pub role: Option<String>,
    /// Whether that role may approve or return audits.
    pub may_review: bool,
    /// Changes made on this device that the server has not acknowledged.
    pub pending_changes: u64,
    /// When the last sync finished (RFC 3339).
    pub last_sync_at: Option<String>,
    /// Conflicts waiting for review.
    pub open_conflicts: u64,
    /// Changes the server refused.
    pub quarantined: u64,
    /// This app's version and the server's, and whether the app needs an update.
    pub versions: super::VersionInfo,
}

/// An op the server refused.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QuarantinedOp {
    /// Its place in this device's log.
    pub device_seq: u64,
    /// Entity.
    pub entity: String,
    /// Row.
    pub row_id: String,
    /// Field.
    pub field: String,
    /// The refused value.
    pub value: Value,
    /// The server's code.
    pub code: String,
    /// The server's reason.
    pub message: String,
    /// When it was refused (RFC 3339).
    pub at: String,
}

/// A kept conflict, for review.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[allow(missing_docs)]
pub struct ConflictView {
    pub id: Uuid,
    pub entity: Option<String>,
    pub row_id: Option<String>,
    pub field: Option<String>,
    pub winner_value: Option<Value>,
    pub winner_device: Option<String>,
    pub winner_hlc: Option<String>,
    pub loser_value: Option<Value>,
    pub loser_device: Option<String>,
    pub loser_hlc: Option<String>,
    pub status: Option<ConflictStatus>,
    pub deleted: Option<bool>,
    /// What the field is, in words (not stored; filled by [`Store::conflicts_in`]):
    /// for an answer the checklist, the repeat instance if any, the question and
    /// the part, e.g. "Fire safety & exits › Ground floor › Is any exit locked? — note".
    /// `None` when the row is not on this device.
    #[serde(default)]
    pub label: Option<String>,
    /// The audit it belongs to, e.g. "Dhaka Knit Ltd · audit of 2024-05-01" (not
    /// stored; filled by [`Store::conflicts_in`]).
    #[serde(default)]
    pub audit: Option<String>,
}

/// How a conflicting field is named for people: the answer's value is its "answer".
fn field_words(entity: EntityKind, field: &str, lang: &str) -> String {
    match (entity, field) {
        (EntityKind::Answer, "value") => field_name("answer", lang),
        (_, "deleted") => field_name("removed", lang),
        _ => field_name(field, lang),
    }
}

impl Store {
    /// A checklist template as the audit pinned it (the newest version otherwise).
    fn pinned_template(
        &self,
        audit_id: Option<Uuid>,
        template_id: &str,
    ) -> Option<&'static fieldaudit_templates::Template> {
        let version = audit_id
            .and_then(|a| self.audit(a).ok())
            .and_then(|a| a.checklists)
            .and_then(|c| c.into_iter().find(|c| c.template_id == template_id))
            .map(|c| c.version);
        version
            .and_then(|v| fieldaudit_templates::builtin_template(template_id, v))
            .or_else(|| fieldaudit_templates::builtin_latest(template_id))
    }

    /// "Checklist › [instance ›] question" for an item of an audit.
    fn item_words(
        &self,
        audit_id: Option<Uuid>,
        template_id: Option<&str>,
        item_id: Option<&str>,
        instance_id: Option<Uuid>,
        lang: &str,
    ) -> Option<String> {
        let template = self.pinned_template(audit_id, template_id?)?;
        let (section, item) = template.item(item_id?)?;
        let mut parts = vec![template.title.get(lang).to_owned()];
        if section.repeat.is_some() {
            let instance: Option<crate::model::RepeatInstance> =
                instance_id.and_then(|i| self.get(EntityKind::RepeatInstance, i).ok().flatten());
            parts.push(
                instance
                    .and_then(|i| i.label)
                    .unwrap_or_else(|| section.title.get(lang).to_owned()),
            );
        }
        parts.push(item.text.get(lang).to_owned());
        Some(parts.join(" › "))
    }

    /// The conflicting row in words, and the audit it belongs to.
    fn conflict_words(&self, c: &ConflictView, lang: &str) -> (Option<String>, Option<String>) {
        use crate::model::{Attachment, CorrectiveAction, Fee, FeeRecord, Finding, RepeatInstance};
        let (Some(entity), Some(row), Some(field)) = (
            c.entity.as_deref().and_then(EntityKind::parse),
            c.row_id.as_deref().and_then(|r| Uuid::parse_str(r).ok()),
            c.field.as_deref(),
        ) else {
            return (None, None);
        };
        let get = |kind| self.row(kind, row).ok().flatten();
        let quoted = |s: Option<String>| s.map(|s| format!("“{s}”")).unwrap_or_default();
        let (what, audit_id): (Option<String>, Option<Uuid>) = match entity {
            EntityKind::Answer => {
                match self.get::<crate::model::Answer>(entity, row).ok().flatten() {
                    Some(a) => (
                        self.item_words(
                            a.audit_id,
                            a.template_id.as_deref(),
                            a.item_id.as_deref(),
                            a.instance_id,
                            lang,
                        ),
                        a.audit_id,
                    ),
                    None => (None, None),
                }
            }
            EntityKind::Finding => match self.get::<Finding>(entity, row).ok().flatten() {
                Some(f) => (
                    Some(fill(
                        Phrase::Finding,
                        lang,
                        &[("title", &quoted(self.finding_title(&f, lang)))],
                    )),
                    f.audit_id,
                ),
                None => (None, None),
            },
            EntityKind::CorrectiveAction => {
                let finding: Option<Finding> = self
                    .get::<CorrectiveAction>(entity, row)
                    .ok()
                    .flatten()
                    .and_then(|a| a.finding_id)
                    .and_then(|f| self.get(EntityKind::Finding, f).ok().flatten());
                match finding {
                    Some(f) => (
                        Some(fill(
                            Phrase::CorrectiveActionFor,
                            lang,
                            &[("title", &quoted(self.finding_title(&f, lang)))],
                        )),
                        f.audit_id,
                    ),
                    None => (
                        get(entity).map(|_| phrase(Phrase::CorrectiveAction, lang).to_owned()),
                        None,
                    ),
                }
            }
            EntityKind::RepeatInstance => {
                match self.get::<RepeatInstance>(entity, row).ok().flatten() {
                    Some(i) => {
                        let checklist = i
                            .template_id
                            .as_deref()
                            .and_then(|t| self.pinned_template(i.audit_id, t))
                            .map(|t| t.title.get(lang).to_owned());
                        (
                            Some(
                                [checklist, i.label]
                                    .into_iter()
                                    .flatten()
                                    .collect::<Vec<_>>()
                                    .join(" › "),
                            ),
                            i.audit_id,
                        )
                    }
                    None => (None, None),
                }
            }
            EntityKind::Attachment => match self.get::<Attachment>(entity, row).ok().flatten() {
                Some(a) => (
                    Some(fill(Phrase::Photo, lang, &[("name", &quoted(a.file_name))])),
                    a.audit_id,
                ),
                None => (None, None),
            },
            EntityKind::FeeRecord => match self.get::<FeeRecord>(entity, row).ok().flatten() {
                Some(r) => (
                    Some(fill(
                        Phrase::FeesOfWorker,
                        lang,
                        &[("worker", &r.worker_ref.unwrap_or_default())],
                    )),
                    r.audit_id,
                ),
                None => (None, None),
            },
            EntityKind::Fee => {
                let fee: Option<Fee> = self.get(entity, row).ok().flatten();
                let record: Option<FeeRecord> = fee
                    .as_ref()
                    .and_then(|f| f.fee_record_id)
                    .and_then(|r| self.get(EntityKind::FeeRecord, r).ok().flatten());
                match (fee, record) {
                    (Some(f), Some(r)) => (
                        Some(fill(
                            Phrase::FeeOfWorker,
                            lang,
                            &[
                                ("category", f.category.map_or("", |c| c.as_str())),
                                ("worker", &r.worker_ref.unwrap_or_default()),
                            ],
                        )),
                        r.audit_id,
                    ),
                    _ => (None, None),
                }
            }
            EntityKind::Facility => (
                self.facility(row)
                    .ok()
                    .map(|f| fill(Phrase::Facility, lang, &[("name", &quoted(f.name))])),
                None,
            ),
            EntityKind::Audit => (
                get(entity).map(|_| phrase(Phrase::Audit, lang).to_owned()),
                Some(row),
            ),
            _ => (None, None),
        };
        let audit = audit_id.and_then(|a| self.audit(a).ok()).map(|a| {
            let facility = a
                .facility_id
                .and_then(|f| self.facility(f).ok())
                .and_then(|f| f.name)
                .unwrap_or_else(|| phrase(Phrase::FacilityNotHere, lang).into());
            match a.start_date {
                Some(d) => fill(
                    Phrase::AuditOf,
                    lang,
                    &[("facility", &facility), ("date", &d.to_string())],
                ),
                None => facility,
            }
        });
        (
            what.map(|w| format!("{w} — {}", field_words(entity, field, lang))),
            audit,
        )
    }
}

/// What a person decided about a conflict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// The value that won stays; the conflict is marked seen.
    KeepCurrent,
    /// The other value is written back (a new change that syncs).
    UseOther,
}

/// Stores the scope version of the page just applied (same transaction).
pub(super) fn set_scope_epoch(w: &mut Writer<'_>, epoch: u64) -> Result<()> {
    set_state(w.conn(), SCOPE_EPOCH, &epoch.to_string())
}

pub(super) fn set_pull_cursor(w: &mut Writer<'_>, cursor: u64) -> Result<()> {
    set_state(w.conn(), PULL_CURSOR, &cursor.to_string())
}

/// Marks the device's own changes as received (the pull that asked for them ended).
pub(super) fn clear_pull_own_changes(w: &mut Writer<'_>) -> Result<()> {
    w.conn()
        .execute("DELETE FROM sync_state WHERE key = ?1", [PULL_OWN])?;
    Ok(())
}

/// What [`Store::adopt_server_watermark`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Adopted {
    /// Unacknowledged changes given new numbers after the server's watermark.
    pub renumbered: u64,
    /// Whether the server holds changes of this device that this database never
    /// had (it was restored from an older copy), so the next pull asks for them.
    pub restored: bool,
}

fn read_u64(conn: &rusqlite::Connection, key: &str) -> Result<u64> {
    let v: Option<String> = conn
        .query_row("SELECT value FROM sync_state WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

fn set_state(conn: &rusqlite::Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )?;
    Ok(())
}

impl Store {
    fn state_u64(&self, key: &str) -> Result<u64> {
        Ok(self
            .sync_state(key)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// The version of the set of audits this device holds, as the server last said.
    pub fn scope_epoch(&self) -> Result<u64> {
        self.state_u64(SCOPE_EPOCH)
    }

    /// The server_seq this device has pulled through.
    pub fn pull_cursor(&self) -> Result<u64> {
        self.state_u64(PULL_CURSOR)
    }

    /// The highest `device_seq` the server has acknowledged (as last heard).
    pub fn push_watermark(&self) -> Result<u64> {
        self.state_u64(PUSH_WATERMARK)
    }

    /// Whether the next pull asks for this device's own changes too: set when the
    /// server turned out to hold changes of this device that its database lacks,
    /// cleared when a pull that asked for them has finished.
    pub fn pulls_own_changes(&self) -> Result<bool> {
        Ok(self.sync_state(PULL_OWN)?.is_some())
    }

    /// Takes the server's watermark for this device when it is above the one
    /// recorded here (`acknowledged`, as read before comparing), in one
    /// transaction: entries from `diverged_at` on (this device's changes the server
    /// does not hold, although it holds changes under some of their numbers) are
    /// renumbered to follow `server_watermark`, the counter moves past it, the
    /// entries before `diverged_at` count as acknowledged, and when the server has
    /// changes this database never had, the next pull is marked to ask for the
    /// device's own changes. Running it again with the same numbers after it
    /// committed fails (the recorded watermark moved) and changes nothing.
    pub(super) fn adopt_server_watermark(
        &mut self,
        acknowledged: u64,
        server_watermark: u64,
        diverged_at: u64,
    ) -> Result<Adopted> {
        self.write(|w| {
            let recorded = read_u64(w.conn(), PUSH_WATERMARK)?;
            if recorded != acknowledged {
                return Err(CoreError::Invalid(format!(
                    "another sync of this device moved its acknowledged changes from {acknowledged} to {recorded} meanwhile; sync again"
                )));
            }
            let last: i64 = w.conn().query_row("SELECT last_seq FROM device", [], |r| r.get(0))?;
            let last = last as u64;
            // Numbers the server holds that this database never reached, or under
            // which it wrote something else: the server has changes it lacks.
            let restored = server_watermark > last || diverged_at <= server_watermark;
            let renumbered = w.renumber_own_changes(diverged_at, server_watermark)?;
            // Local writes up to the marker count as seen by the last pull; the
            // entries that moved keep their place relative to it.
            let marker = read_u64(w.conn(), SEQ_MARKER)?;
            if renumbered > 0 && marker >= diverged_at {
                set_state(w.conn(), SEQ_MARKER, &(marker + server_watermark + 1 - diverged_at).to_string())?;
            }
            set_state(w.conn(), PUSH_WATERMARK, &server_watermark.to_string())?;
            if restored {
                set_state(w.conn(), PULL_OWN, "true")?;
            }
            Ok(Adopted { renumbered, restored })
        })
    }

    pub(crate) fn sync_seq_marker(&self) -> Result<u64> {
        self.state_u64(SEQ_MARKER)
    }

    pub(super) fn set_sync_seq_marker(&mut self, seq: u64) -> Result<()> {
        self.set_sync_state(SEQ_MARKER, &seq.to_string())
    }

    /// Records a push answer: the new watermark and the refused ops, together.
    pub(super) fn record_push(&mut self, batch: &[Change], resp: &PushResponse) -> Result<()> {
        let now = Utc::now().to_rfc3339();
        self.write(|w| {
            for r in &resp.rejected {
                let Some(op) = batch.iter().find(|c| c.device_seq == r.device_seq) else { continue };
                let code = serde_json::to_value(r.code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                w.conn().execute(
                    "INSERT INTO quarantine (device_seq, entity, row_id, field, value, code, message, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (device_seq) DO NOTHING",
                    (op.device_seq as i64, &op.entity, op.row_id.to_string(), &op.field, op.value.to_string(), code, &r.message, &now),
                )?;
            }
            set_state(w.conn(), PUSH_WATERMARK, &resp.watermark.to_string())
        })
    }

    /// Attachment bytes not yet on the server (and not refused by it).
    pub(super) fn pending_uploads(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn().prepare("SELECT sha256 FROM attachment_file WHERE uploaded = 0 AND upload_error IS NULL ORDER BY stored_at")?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(rows)
    }

    pub(super) fn mark_uploaded(&mut self, sha: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE attachment_file SET uploaded = 1 WHERE sha256 = ?1",
            [sha],
        )?;
        Ok(())
    }

    pub(super) fn record_upload_error(&mut self, sha: &str, why: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE attachment_file SET upload_error = ?2 WHERE sha256 = ?1",
            (sha, why),
        )?;
        Ok(())
    }

    /// Attachments whose rows arrived but whose bytes this device lacks.
    pub(super) fn missing_attachment_files(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn().prepare(
            "SELECT DISTINCT sha256 FROM attachment WHERE sha256 IS NOT NULL AND coalesce(deleted, 0) = 0
               AND sha256 NOT IN (SELECT sha256 FROM attachment_file) ORDER BY sha256",
        )?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(rows)
    }

    pub(super) fn store_downloaded_attachment(&mut self, sha: &str, bytes: &[u8]) -> Result<()> {
        crate::attachments::write_durably(&self.attachment_path(sha), bytes)?;
        self.conn().execute(
            "INSERT INTO attachment_file (sha256, size_bytes, stored_at, uploaded) VALUES (?1, ?2, ?3, 1) ON CONFLICT (sha256) DO NOTHING",
            (sha, bytes.len() as i64, Utc::now().to_rfc3339()),
        )?;
        Ok(())
    }

    /// What the status bar shows.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let session = super::session::load(self.data_dir())?;
        let count = |sql: &str| -> Result<u64> {
            Ok(self.conn().query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
        };
        Ok(SyncStatus {
            signed_in: session.is_some(),
            server_url: session.as_ref().map(|s| s.server_url.clone()),
            organisation: session.as_ref().map(|s| s.organisation.clone()),
            user: session.as_ref().map(|s| s.user.clone()),
            role: session.as_ref().map(|s| s.role.clone()),
            may_review: session
                .as_ref()
                .is_some_and(|s| crate::review::role_may_review(&s.role)),
            pending_changes: self
                .last_device_seq()?
                .saturating_sub(self.push_watermark()?),
            last_sync_at: self.sync_state("last_sync_at")?,
            open_conflicts: count(
                "SELECT count(*) FROM conflict WHERE status = 'open' AND coalesce(deleted, 0) = 0",
            )?,
            quarantined: count("SELECT count(*) FROM quarantine")?,
            versions: self.version_info()?,
        })
    }

    /// Ops the server refused, newest first.
    pub fn quarantine(&self) -> Result<Vec<QuarantinedOp>> {
        let mut stmt = self.conn().prepare("SELECT device_seq, entity, row_id, field, value, code, message, at FROM quarantine ORDER BY device_seq DESC")?;
        let rows = stmt.query_map([], |r| {
            Ok(QuarantinedOp {
                device_seq: r.get::<_, i64>(0)? as u64,
                entity: r.get(1)?,
                row_id: r.get(2)?,
                field: r.get(3)?,
                value: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or(Value::Null),
                code: r.get(5)?,
                message: r.get(6)?,
                at: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Kept conflicts (open ones first), labelled in English.
    pub fn conflicts(&self, include_resolved: bool) -> Result<Vec<ConflictView>> {
        self.conflicts_in(include_resolved, "en")
    }

    /// Kept conflicts (open ones first), each with its label and audit; checklist
    /// text in `lang` (falling back to English).
    pub fn conflicts_in(&self, include_resolved: bool, lang: &str) -> Result<Vec<ConflictView>> {
        let cond = if include_resolved {
            "coalesce(deleted, 0) = 0 ORDER BY status = 'open' DESC, loser_hlc DESC"
        } else {
            "status = 'open' AND coalesce(deleted, 0) = 0 ORDER BY loser_hlc DESC"
        };
        select_rows(self.conn(), EntityKind::Conflict, cond, [])?
            .into_iter()
            .map(|r| {
                let mut c: ConflictView =
                    serde_json::from_value(Value::Object(r)).map_err(|e| CoreError::Corrupt {
                        entity: "conflict".into(),
                        field: "*".into(),
                        reason: e.to_string(),
                    })?;
                (c.label, c.audit) = self.conflict_words(&c, lang);
                Ok(c)
            })
            .collect()
    }

    /// Resolves a conflict: keep the current value, or write the other one back.
    pub fn resolve_conflict(&mut self, conflict_id: Uuid, resolution: Resolution) -> Result<()> {
        let c: ConflictView = self
            .get(EntityKind::Conflict, conflict_id)?
            .ok_or_else(|| CoreError::not_found("conflict", conflict_id))?;
        let target = c.entity.as_deref().and_then(EntityKind::parse);
        let row = c.row_id.as_deref().and_then(|r| Uuid::parse_str(r).ok());
        self.write(|w| {
            match resolution {
                Resolution::KeepCurrent => {
                    w.set(EntityKind::Conflict, conflict_id, &[("status", json!(ConflictStatus::Kept))])?;
                }
                Resolution::UseOther => {
                    let (Some(entity), Some(row), Some(field)) = (target, row, c.field.as_deref()) else {
                        return Err(CoreError::Invalid("this conflict does not name a field this version knows; keep the current value".into()));
                    };
                    w.set(entity, row, &[(field, c.loser_value.clone().unwrap_or(Value::Null))])?;
                    crate::audits::reconcile_touched(w, &[(entity.as_str(), row)])?;
                    w.set(EntityKind::Conflict, conflict_id, &[("status", json!(ConflictStatus::Replaced))])?;
                }
            }
            Ok(())
        })
    }

    /// Removes an op from the quarantine list after a person has read it.
    pub fn dismiss_quarantined(&mut self, device_seq: u64) -> Result<()> {
        let n = self.conn().execute(
            "DELETE FROM quarantine WHERE device_seq = ?1",
            [device_seq as i64],
        )?;
        if n == 0 {
            return Err(CoreError::not_found("quarantined change", device_seq));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audits::NewAudit;
    use crate::import::FacilityRecord;
    use crate::model::ChecklistRef;
    use chrono::NaiveDate;
    use fieldaudit_templates::Severity;

    fn keep_conflict(
        store: &mut Store,
        entity: &str,
        row: Uuid,
        field: &str,
        winner: Value,
        loser: Value,
    ) {
        store
            .write(|w| {
                w.set(
                    EntityKind::Conflict,
                    Uuid::now_v7(),
                    &[
                        ("entity", json!(entity)),
                        ("row_id", json!(row.to_string())),
                        ("field", json!(field)),
                        ("winner_value", winner),
                        ("loser_value", loser),
                        ("loser_hlc", json!("1")),
                        ("status", json!("open")),
                    ],
                )
            })
            .expect("conflict kept");
    }

    #[test]
    fn conflicts_name_the_question_and_the_audit_not_the_row() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::create(dir.path(), "laptop A").expect("store");
        let facility = store
            .add_facility(&FacilityRecord {
                name: "Dhaka Knit Ltd".into(),
                country_code: "BD".into(),
                ..Default::default()
            })
            .expect("facility");
        let audit = store
            .start_audit(&NewAudit {
                facility_id: facility,
                checklists: vec![ChecklistRef {
                    template_id: "fire-safety".into(),
                    version: 1,
                }],
                audit_type: fieldaudit_protocol::closed_sets::AuditType::Initial,
                notice: fieldaudit_protocol::closed_sets::Notice::Announced,
                start_date: NaiveDate::from_ymd_opt(2026, 5, 1).expect("date"),
                end_date: None,
                auditors: vec!["A".into()],
            })
            .expect("audit");
        let floor = store
            .add_repeat_instance(audit, "fire-safety", "floor", "Ground floor")
            .expect("floor");
        let exit = store
            .set_answer_note(
                audit,
                "fire-safety",
                "floor.exit_locked",
                Some(floor),
                "Padlock on door 3",
            )
            .expect("note");
        let alarm = store
            .record_answer(
                audit,
                "fire-safety",
                "equipment.alarm_audible",
                None,
                json!("yes"),
            )
            .expect("answer");
        let finding = store
            .raise_finding(
                audit,
                Severity::Major,
                "Blocked aisle",
                "Boxes in the aisle",
            )
            .expect("finding");
        keep_conflict(
            &mut store,
            "answer",
            exit,
            "note",
            json!("Padlock on door 3"),
            json!("Chained"),
        );
        keep_conflict(
            &mut store,
            "answer",
            alarm,
            "value",
            json!("yes"),
            json!("no"),
        );
        keep_conflict(
            &mut store,
            "finding",
            finding,
            "severity",
            json!("major"),
            json!("minor"),
        );
        keep_conflict(
            &mut store,
            "answer",
            Uuid::now_v7(),
            "note",
            json!("a"),
            json!("b"),
        );

        let list = store.conflicts(false).expect("conflicts");
        let labels: Vec<Option<&str>> = list.iter().map(|c| c.label.as_deref()).collect();
        assert!(labels.contains(&Some("Fire safety & exits › Ground floor › Is any exit locked, chained or otherwise impossible to open from the inside while workers are on the floor? — note")), "{labels:?}");
        assert!(labels.contains(&Some("Fire safety & exits › Can the fire alarm be heard (or seen) on every floor, over running machines? — answer")), "{labels:?}");
        assert!(
            labels.contains(&Some("Finding “Blocked aisle” — severity")),
            "{labels:?}"
        );
        assert!(
            labels.contains(&None),
            "a row this device does not hold has no label: {labels:?}"
        );
        let on_audit = list
            .iter()
            .filter(|c| c.audit.as_deref() == Some("Dhaka Knit Ltd · audit of 2026-05-01"))
            .count();
        assert_eq!(on_audit, 3, "each conflict names its audit: {list:?}");

        // Resolving still works on a labelled conflict.
        let exit_conflict = list
            .iter()
            .find(|c| c.row_id.as_deref() == Some(exit.to_string().as_str()))
            .expect("exit conflict");
        store
            .resolve_conflict(exit_conflict.id, Resolution::UseOther)
            .expect("use the other value");
        assert_eq!(
            store
                .answers(audit)
                .expect("answers")
                .iter()
                .find(|a| a.id == exit)
                .and_then(|a| a.note.clone())
                .as_deref(),
            Some("Chained")
        );
    }
}
