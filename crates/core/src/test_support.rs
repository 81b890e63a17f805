//! Fixtures shared by the crate's unit tests.

use chrono::NaiveDate;
use serde_json::json;
use uuid::Uuid;

use crate::audits::NewAudit;
use crate::import::FacilityRecord;
use crate::model::ChecklistRef;
use crate::Store;

/// A facility in Bangladesh.
pub(crate) fn facility(store: &mut Store) -> Uuid {
    store
        .add_facility(&FacilityRecord {
            name: "Hasan Knit".into(),
            address: "Ashulia".into(),
            country_code: "BD".into(),
            ..Default::default()
        })
        .unwrap()
}

/// A fire-safety audit of a new facility, with the alarm answered "no".
pub(crate) fn fire_safety_audit(store: &mut Store) -> Uuid {
    let facility = facility(store);
    let audit = store
        .start_audit(&NewAudit {
            facility_id: facility,
            checklists: vec![ChecklistRef { template_id: "fire-safety".into(), version: 1 }],
            audit_type: fieldaudit_protocol::closed_sets::AuditType::Initial,
            notice: fieldaudit_protocol::closed_sets::Notice::Announced,
            start_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            end_date: None,
            auditors: vec!["Rina".into()],
        })
        .unwrap();
    store
        .record_answer(
            audit,
            "fire-safety",
            "equipment.alarm_audible",
            None,
            json!("no"),
        )
        .unwrap();
    audit
}

/// Puts `user` on the audit's team in `role`, as an assignment synced from the server.
pub(crate) fn put_on_team(
    store: &mut Store,
    audit: Uuid,
    user: Uuid,
    name: &str,
    role: fieldaudit_protocol::scope::TeamRole,
) {
    store
        .write(|w| {
            w.set(
                fieldaudit_protocol::EntityKind::AuditMember,
                fieldaudit_protocol::scope::member_row_id(audit, user),
                &[
                    ("audit_id", json!(audit.to_string())),
                    ("user_id", json!(user.to_string())),
                    ("username", json!(name)),
                    ("role", json!(role.as_str())),
                ],
            )
            .map(drop)
        })
        .unwrap();
}
