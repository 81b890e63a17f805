//! A reviewer's decision on a submitted audit: approve it, or return it to the
//! auditors with a comment saying what to fix.
//!
//! Only what was signed can be approved: approval needs a sign-off that still
//! verifies against the audit as it is ([`crate::signoff`]), so a reviewer never
//! approves something other than what the auditor attested. The decision is made
//! by a user signed in as a reviewer or an admin; this device checks the role of
//! its session, and the server refuses a decision pushed by anyone else.

use chrono::Utc;
use fieldaudit_protocol::closed_sets::AuditStatus;
use fieldaudit_protocol::EntityKind;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::sync::session;
use crate::{CoreError, Result, Store};

/// What the reviewer decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Accept the audit as signed.
    Approve,
    /// Send it back to the auditors with a comment.
    Return,
}

/// Whether a session's role (its wire name) may approve or return audits.
pub fn role_may_review(role: &str) -> bool {
    fieldaudit_protocol::api::Role::parse(role)
        .is_some_and(fieldaudit_protocol::api::Role::may_review)
}

impl Store {
    /// Approves or returns a submitted audit as the signed-in reviewer. Returning
    /// needs a comment; approving needs a sign-off that still verifies. Nothing
    /// changes when it is refused.
    pub fn review_audit(
        &mut self,
        audit_id: Uuid,
        decision: ReviewDecision,
        comment: &str,
    ) -> Result<()> {
        let session = session::load(self.data_dir())?.ok_or_else(|| {
            CoreError::Invalid(
                "sign in to your organisation's server as a reviewer to approve or return audits"
                    .into(),
            )
        })?;
        if !role_may_review(&session.role) {
            return Err(CoreError::Invalid(format!(
                "only reviewers and admins approve or return audits; {} is signed in as {}",
                session.user, session.role
            )));
        }
        let audit = self.audit(audit_id)?;
        let status = audit.status.unwrap_or(AuditStatus::Draft);
        if status != AuditStatus::Submitted {
            return Err(CoreError::Invalid(format!(
                "only a submitted audit can be reviewed; this one is {status} (the auditors sign it off to submit it)"
            )));
        }
        let comment = comment.trim();
        let new_status = match decision {
            ReviewDecision::Approve => {
                if !self.verify_signoffs(audit_id)?.iter().any(|c| c.stands()) {
                    return Err(CoreError::Invalid(
                        "the audit has no sign-off that still verifies (it changed since, or was never signed): return it so the auditors sign it off again".into(),
                    ));
                }
                AuditStatus::Approved
            }
            ReviewDecision::Return => {
                if comment.is_empty() {
                    return Err(CoreError::Invalid(
                        "say what the auditors should fix when returning an audit".into(),
                    ));
                }
                AuditStatus::Returned
            }
        };
        if decision == ReviewDecision::Return && audit.locked == Some(true) {
            // Returning is the reviewer reopening the audit for the auditors to fix.
            self.record_reopening(
                audit_id,
                &session.user,
                &format!("Returned by the reviewer: {comment}"),
            )?;
        }
        self.write(|w| {
            w.set(
                EntityKind::Audit,
                audit_id,
                &[
                    ("status", json!(new_status)),
                    ("reviewed_by", json!(session.user)),
                    ("reviewed_at", json!(Utc::now().to_rfc3339())),
                    (
                        "review_comment",
                        if comment.is_empty() {
                            json!(null)
                        } else {
                            json!(comment)
                        },
                    ),
                ],
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed_in(dir: &std::path::Path, role: &str) {
        session::save(
            dir,
            &session::Session {
                server_url: "http://127.0.0.1:9".into(),
                organisation: "acme".into(),
                user: "lena".into(),
                role: role.into(),
                token: "t".into(),
            },
        )
        .unwrap();
    }

    #[test]
    fn reviewers_approve_what_was_signed_and_return_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), "laptop").unwrap();
        let audit = crate::test_support::fire_safety_audit(&mut store);

        assert!(store
            .review_audit(audit, ReviewDecision::Approve, "")
            .unwrap_err()
            .to_string()
            .contains("sign in"));
        signed_in(dir.path(), "auditor");
        assert!(store
            .review_audit(audit, ReviewDecision::Approve, "")
            .unwrap_err()
            .to_string()
            .contains("only reviewers"));
        signed_in(dir.path(), "reviewer");
        assert!(store
            .review_audit(audit, ReviewDecision::Approve, "")
            .unwrap_err()
            .to_string()
            .contains("only a submitted audit"));

        // Submitted, then changed after sign-off (behind the lock's back): approval
        // is refused; returning needs a reason, and reopens the audit.
        store.sign_off_audit(audit, "Rina").unwrap();
        store
            .conn()
            .execute(
                "UPDATE answer SET note = 'edited after' WHERE item_id = 'equipment.alarm_audible'",
                [],
            )
            .unwrap();
        assert!(store
            .review_audit(audit, ReviewDecision::Approve, "")
            .unwrap_err()
            .to_string()
            .contains("no sign-off that still verifies"));
        assert!(store
            .review_audit(audit, ReviewDecision::Return, " ")
            .unwrap_err()
            .to_string()
            .contains("what the auditors should fix"));
        assert_eq!(
            store.audit(audit).unwrap().status.map(|v| v.as_str()),
            Some("submitted"),
            "refusals change nothing"
        );
        store
            .review_audit(
                audit,
                ReviewDecision::Return,
                "Note changed after sign-off: sign off again",
            )
            .unwrap();
        let returned = store.audit(audit).unwrap();
        assert_eq!(
            (
                returned.status.map(|v| v.as_str()),
                returned.reviewed_by.as_deref(),
                returned.locked
            ),
            (Some("returned"), Some("lena"), Some(false))
        );
        assert!(store.reopenings(audit).unwrap()[0]
            .reason
            .contains("sign off again"));

        // Signed off again: approved, and the approval does not break the signature.
        store.sign_off_audit(audit, "Rina").unwrap();
        store
            .review_audit(audit, ReviewDecision::Approve, "")
            .unwrap();
        let approved = store.audit(audit).unwrap();
        assert_eq!(approved.status, Some(AuditStatus::Approved));
        assert_eq!(approved.review_comment, None);
        assert!(
            store
                .verify_signoffs(audit)
                .unwrap()
                .last()
                .unwrap()
                .unchanged
        );
    }
}
