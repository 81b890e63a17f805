//! Supplier responses to CAP items: what the supplier sent back (root cause,
//! corrective and preventive action, responsible person, planned completion date,
//! evidence), stored as a `supplier_response` row on the CAP item, which a
//! reviewer accepts (it becomes the plan in force) or rejects with a reason.
//!
//! Responses never change the CAP item as agreed and signed at the closing
//! meeting; the accepted one is shown beside it as the plan now.

use chrono::{NaiveDate, Utc};
use fieldaudit_protocol::corrective::{self, SupplierResponseState};
use fieldaudit_protocol::EntityKind;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use fieldaudit_protocol::closed_sets::{ActionStatus, Severity};

use crate::model::{CorrectiveAction, Finding, SupplierResponse};
use crate::{CoreError, Result, Store};

/// One supplier answer for one CAP item, checked and ready to store.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResponseInput {
    /// The CAP item answered.
    pub action_id: Uuid,
    /// Why it happened.
    pub root_cause: Option<String>,
    /// What the site does to fix it.
    pub corrective_action: Option<String>,
    /// What keeps it from happening again.
    pub preventive_action: Option<String>,
    /// Who at the site is responsible.
    pub responsible: Option<String>,
    /// When the site plans to have it done.
    pub planned_completion: Option<NaiveDate>,
    /// The evidence the site offers.
    pub evidence_description: Option<String>,
}

/// A supplier response waiting for a reviewer, with what it answers.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PendingResponse {
    /// The response.
    pub response: SupplierResponse,
    /// The facility's name.
    pub facility: Option<String>,
    /// The finding's title in the reader's language.
    pub finding: Option<String>,
    /// The finding's severity.
    pub severity: Option<Severity>,
    /// The CAP item as agreed at the closing meeting.
    pub action: Option<CorrectiveAction>,
}

impl ResponseInput {
    /// Whether the supplier wrote anything for this item.
    pub fn is_empty(&self) -> bool {
        [
            &self.root_cause,
            &self.corrective_action,
            &self.preventive_action,
            &self.responsible,
            &self.evidence_description,
        ]
        .iter()
        .all(|t| t.is_none())
            && self.planned_completion.is_none()
    }
}

impl Store {
    /// Stores supplier responses read from `file_name`, all in one transaction: if
    /// one cannot be stored, none is. Returns the new responses' ids.
    pub fn store_supplier_responses(
        &mut self,
        file_name: &str,
        responses: &[ResponseInput],
    ) -> Result<Vec<Uuid>> {
        let now = Utc::now().to_rfc3339();
        self.write(|w| {
            let mut ids = Vec::with_capacity(responses.len());
            for r in responses {
                if !w.exists(EntityKind::CorrectiveAction, r.action_id)? {
                    return Err(CoreError::not_found("corrective action", r.action_id));
                }
                let id = Uuid::now_v7();
                let text = |t: &Option<String>| t.as_ref().map_or(Value::Null, |s| json!(s));
                w.set(
                    EntityKind::SupplierResponse,
                    id,
                    &[
                        ("action_id", json!(r.action_id.to_string())),
                        ("root_cause", text(&r.root_cause)),
                        ("corrective_action", text(&r.corrective_action)),
                        ("preventive_action", text(&r.preventive_action)),
                        ("responsible", text(&r.responsible)),
                        (
                            "planned_completion",
                            json!(r.planned_completion.map(|d| d.to_string())),
                        ),
                        ("evidence_description", text(&r.evidence_description)),
                        ("file_name", json!(file_name)),
                        ("received_at", json!(now)),
                        ("state", json!(SupplierResponseState::Pending.as_str())),
                        ("deleted", json!(false)),
                    ],
                )?;
                ids.push(id);
            }
            Ok(ids)
        })
    }

    /// Supplier responses waiting for a reviewer, oldest first.
    pub fn pending_supplier_responses(&self) -> Result<Vec<SupplierResponse>> {
        crate::store::select_rows(
            self.conn(),
            EntityKind::SupplierResponse,
            "state = 'pending' AND coalesce(deleted, 0) = 0 ORDER BY received_at, id",
            [],
        )?
        .into_iter()
        .map(|r| crate::store::decode(EntityKind::SupplierResponse, r))
        .collect()
    }

    /// [`Store::pending_supplier_responses`] with the facility, the finding (its
    /// title in `lang`) and the CAP item each answers, for a reviewer to decide.
    pub fn pending_responses_to_decide(&self, lang: &str) -> Result<Vec<PendingResponse>> {
        let mut out = Vec::new();
        for response in self.pending_supplier_responses()? {
            let action: Option<CorrectiveAction> = match response.action_id {
                Some(id) => self.get(EntityKind::CorrectiveAction, id)?,
                None => None,
            };
            let finding: Option<Finding> = match action.as_ref().and_then(|a| a.finding_id) {
                Some(id) => self.get(EntityKind::Finding, id)?,
                None => None,
            };
            let facility = match finding.as_ref().and_then(|f| f.audit_id) {
                Some(audit) => self.audit(audit)?.facility_id.map(|f| self.facility(f)).transpose()?.and_then(|f| f.name),
                None => None,
            };
            out.push(PendingResponse {
                facility,
                finding: finding.as_ref().and_then(|f| self.finding_title(f, lang)),
                severity: finding.and_then(|f| f.severity),
                action,
                response,
            });
        }
        Ok(out)
    }

    fn pending_response(&self, id: Uuid) -> Result<(SupplierResponse, String)> {
        let who = crate::reopen::actor(self)?;
        if !who.signed_in || !corrective::may_decide_supplier_response(who.role) {
            return Err(CoreError::Invalid(format!(
                "only reviewers accept or reject supplier responses; sign in as a reviewer ({} is {})",
                who.name,
                if who.signed_in { who.role.as_str() } else { "not signed in" }
            )));
        }
        let r: SupplierResponse = self
            .get(EntityKind::SupplierResponse, id)?
            .ok_or_else(|| CoreError::not_found("supplier response", id))?;
        if r.state != Some(SupplierResponseState::Pending) {
            return Err(CoreError::Invalid(format!(
                "this supplier response was already {}",
                r.state.map_or("decided", |s| s.as_str())
            )));
        }
        Ok((r, who.name))
    }

    /// Accepts a supplier response: it becomes the CAP item's plan, and the item is
    /// in progress.
    pub fn accept_supplier_response(&mut self, id: Uuid) -> Result<()> {
        let (r, by) = self.pending_response(id)?;
        let action: Option<CorrectiveAction> = match r.action_id {
            Some(a) => self.get(EntityKind::CorrectiveAction, a)?,
            None => None,
        };
        self.write(|w| {
            w.set(
                EntityKind::SupplierResponse,
                id,
                &[
                    ("state", json!(SupplierResponseState::Accepted.as_str())),
                    ("decided_by", json!(by)),
                    ("decided_at", json!(Utc::now().to_rfc3339())),
                ],
            )?;
            if let Some(a) = action.filter(|a| a.status == Some(ActionStatus::Open)) {
                w.set(
                    EntityKind::CorrectiveAction,
                    a.id,
                    &[("status", json!("in_progress"))],
                )?;
            }
            Ok(())
        })
    }

    /// Rejects a supplier response with a reason the supplier is told.
    pub fn reject_supplier_response(&mut self, id: Uuid, reason: &str) -> Result<()> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(CoreError::Invalid("say why the response is rejected (at most 2000 characters): the supplier answers it".into()));
        }
        let (_, by) = self.pending_response(id)?;
        self.write(|w| {
            w.set(
                EntityKind::SupplierResponse,
                id,
                &[
                    ("state", json!(SupplierResponseState::Rejected.as_str())),
                    ("decided_by", json!(by)),
                    ("decided_at", json!(Utc::now().to_rfc3339())),
                    ("reject_reason", json!(reason)),
                ],
            )
            .map(|_| ())
        })
    }
}
