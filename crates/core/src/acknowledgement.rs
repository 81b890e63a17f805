//! The facility representative's acknowledgement at the closing meeting: who
//! (name and role) and, per finding, whether the site *agrees* or *disputes* it,
//! with their comment (SMETA lets the site dispute a non-compliance).
//!
//! It is part of what the sign-off signs ([`fieldaudit_protocol::lock`]), so it
//! is recorded before sign-off and is read-only after it like the rest.

use fieldaudit_protocol::corrective::SiteResponse;
use fieldaudit_protocol::EntityKind;
use serde_json::json;
use uuid::Uuid;

use crate::model::Finding;
use crate::{CoreError, Result, Store};

/// The longest name, role or comment accepted.
const MAX_CHARS: usize = 2000;

fn text(value: &str, what: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(CoreError::Invalid(format!(
            "the {what} is longer than {max} characters; shorten it"
        )));
    }
    Ok(v.to_owned())
}

impl Store {
    /// Records who acknowledged the audit for the site: the representative's name
    /// and role (e.g. "Compliance manager").
    pub fn acknowledge_audit(&mut self, audit_id: Uuid, name: &str, role: &str) -> Result<()> {
        self.audit(audit_id)?;
        let name = text(name, "representative's name", 120)?;
        let role = text(role, "representative's role", 120)?;
        if name.is_empty() {
            return Err(CoreError::Invalid(
                "give the name of the facility representative who acknowledges the findings".into(),
            ));
        }
        self.write(|w| {
            w.set(
                EntityKind::Audit,
                audit_id,
                &[
                    ("site_rep_name", json!(name)),
                    (
                        "site_rep_role",
                        if role.is_empty() {
                            json!(null)
                        } else {
                            json!(role)
                        },
                    ),
                ],
            )
            .map(|_| ())
        })
    }

    /// Records the site's answer to one finding: agreed or disputed, with their
    /// comment (a dispute needs one: what the site says).
    pub fn record_site_response(
        &mut self,
        finding_id: Uuid,
        response: SiteResponse,
        comment: &str,
    ) -> Result<()> {
        let finding: Finding = self
            .get(EntityKind::Finding, finding_id)?
            .ok_or_else(|| CoreError::not_found("finding", finding_id))?;
        let comment = text(comment, "site's comment", MAX_CHARS)?;
        if response == SiteResponse::Disputed && comment.is_empty() {
            return Err(CoreError::Invalid("say why the site disputes the finding (their comment is kept with the signed audit)".into()));
        }
        if finding.audit_id.is_none() {
            return Err(CoreError::not_found("audit of finding", finding_id));
        }
        self.write(|w| {
            w.set(
                EntityKind::Finding,
                finding_id,
                &[
                    ("site_response", json!(response.as_str())),
                    (
                        "site_comment",
                        if comment.is_empty() {
                            json!(null)
                        } else {
                            json!(comment)
                        },
                    ),
                ],
            )
            .map(|_| ())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sites_acknowledgement_is_signed_with_the_audit() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), "laptop").unwrap();
        let audit = crate::test_support::fire_safety_audit(&mut store);
        let finding = store.findings(audit).unwrap()[0].finding.id;
        assert!(store
            .acknowledge_audit(audit, " ", "HR")
            .unwrap_err()
            .to_string()
            .contains("name"));
        store
            .acknowledge_audit(audit, "Mr. Karim", "Compliance manager")
            .unwrap();
        assert!(store
            .record_site_response(finding, SiteResponse::Disputed, "")
            .unwrap_err()
            .to_string()
            .contains("why"));
        store
            .record_site_response(
                finding,
                SiteResponse::Disputed,
                "The alarm was under repair that day",
            )
            .unwrap();
        let content = String::from_utf8(store.signed_content(audit).unwrap()).unwrap();
        assert!(
            content.contains("Mr. Karim")
                && content.contains("disputed")
                && content.contains("under repair"),
            "{content}"
        );
        store.sign_off_audit(audit, "Rina").unwrap();
        let e = store
            .record_site_response(finding, SiteResponse::Agreed, "")
            .unwrap_err()
            .to_string();
        assert!(e.contains("signed off"), "{e}");
        let f = store
            .findings(audit)
            .unwrap()
            .into_iter()
            .find(|f| f.finding.id == finding)
            .unwrap();
        assert_eq!(f.finding.site_response, Some(SiteResponse::Disputed));
    }
}
