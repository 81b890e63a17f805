use chrono::NaiveDate;
use serde_json::json;

use super::*;
use crate::model::ChecklistRef;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn input(status: &str, evidence: &str) -> VerificationInput {
    VerificationInput {
        status: status.parse().unwrap(),
        method: VerificationMethod::OnSite,
        evidence_reviewed: evidence.into(),
        note: String::new(),
        verified_by: "Tomas".into(),
        verified_on: day("2027-01-10"),
    }
}

/// An initial audit with a locked exit (critical) and an inaudible alarm (major),
/// signed off.
fn signed_initial(store: &mut Store) -> (Uuid, Uuid, Uuid, Uuid) {
    let facility = crate::test_support::facility(store);
    let audit = store
        .start_audit(&NewAudit {
            facility_id: facility,
            checklists: vec![ChecklistRef {
                template_id: "fire-safety".into(),
                version: 1,
            }],
            audit_type: fieldaudit_protocol::closed_sets::AuditType::Initial,
            notice: fieldaudit_protocol::closed_sets::Notice::Announced,
            start_date: day("2026-11-24"),
            end_date: Some(day("2026-11-25")),
            auditors: vec!["Rina".into()],
        })
        .unwrap();
    let floor = store
        .add_repeat_instance(audit, "fire-safety", "floor", "Ground")
        .unwrap();
    store
        .record_answer(
            audit,
            "fire-safety",
            "floor.exit_locked",
            Some(floor),
            json!("yes"),
        )
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
    store.sign_off_audit(audit, "Rina").unwrap();
    let find = |store: &Store, item: &str| {
        store
            .findings(audit)
            .unwrap()
            .into_iter()
            .find(|f| f.finding.item_id.as_deref() == Some(item))
            .unwrap()
            .finding
            .id
    };
    (
        facility,
        audit,
        find(store, "floor.exit_locked"),
        find(store, "equipment.alarm_audible"),
    )
}

#[test]
fn a_follow_up_verifies_earlier_findings_without_touching_the_signed_audit() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path(), "laptop").unwrap();
    let (facility, initial, exit, alarm) = signed_initial(&mut store);
    let digest = store.audit_digest(initial).unwrap();

    let follow = store
        .start_follow_up(&NewFollowUp {
            facility_id: facility,
            kind: FollowUpKind::Partial,
            checklists: vec![],
            notice: fieldaudit_protocol::closed_sets::Notice::Announced,
            start_date: day("2027-01-10"),
            auditors: vec!["Tomas".into()],
        })
        .unwrap();
    let a = store.audit(follow).unwrap();
    assert_eq!(
        (
            a.audit_type.map(|v| v.as_str()),
            a.follow_up_of,
            a.checklists.as_deref().map(<[_]>::len)
        ),
        (Some("partial_follow_up"), Some(initial), Some(0))
    );
    let previous = store.previous_findings(follow).unwrap();
    assert_eq!(
        previous.iter().map(|p| p.finding.id).collect::<Vec<_>>(),
        vec![exit, alarm],
        "most severe first"
    );
    assert!(previous
        .iter()
        .all(|p| p.verification.status.is_none() && p.original_audit.id == initial));

    assert!(store
        .record_verification(follow, exit, &input("closed", ""))
        .unwrap_err()
        .to_string()
        .contains("evidence"));
    // An unknown status cannot reach the store: decoding the input refuses it.
    let mut bad = serde_json::to_value(input("closed", "x")).unwrap();
    bad["status"] = json!("fixed");
    assert!(serde_json::from_value::<VerificationInput>(bad).unwrap_err().to_string().contains("fixed"));
    store
        .record_verification(
            follow,
            exit,
            &input("closed", "Padlock removed, push bar fitted (photo)"),
        )
        .unwrap();
    store
        .record_verification(follow, alarm, &input("progress_made", "New alarm ordered"))
        .unwrap();

    let f = store
        .get::<Finding>(EntityKind::Finding, exit)
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            f.follow_up_status.map(|v| v.as_str()),
            f.verified_in,
            f.verified_by.as_deref()
        ),
        (Some("closed"), Some(follow), Some("Tomas"))
    );
    let cap = store.cap_items(initial, day("2027-01-10")).unwrap();
    let status = |id: Uuid| {
        cap.iter()
            .find(|c| c.finding.id == id)
            .unwrap()
            .action
            .status
            .clone()
    };
    assert_eq!(
        (status(exit).map(|v| v.as_str()), status(alarm).map(|v| v.as_str())),
        (Some("verified"), Some("in_progress"))
    );
    assert_eq!(
        store.audit_digest(initial).unwrap(),
        digest,
        "the signed audit is unchanged"
    );
    assert!(store.verify_signoffs(initial).unwrap()[0].stands());

    // The next follow-up carries only what is not verified closed.
    let next = store
        .start_follow_up(&NewFollowUp {
            facility_id: facility,
            kind: FollowUpKind::Full,
            checklists: vec![],
            notice: fieldaudit_protocol::closed_sets::Notice::Unannounced,
            start_date: day("2027-03-01"),
            auditors: vec!["Rina".into()],
        })
        .unwrap();
    assert_eq!(
        store
            .previous_findings(next)
            .unwrap()
            .iter()
            .map(|p| p.finding.id)
            .collect::<Vec<_>>(),
        vec![alarm]
    );
    assert_eq!(
        store.audit(next).unwrap().checklists.unwrap().len(),
        1,
        "a full follow-up has the full checklists"
    );

    // The alarm fails again there: the recurrence is linked, and the history shows every step.
    store
        .record_answer(
            next,
            "fire-safety",
            "equipment.alarm_audible",
            None,
            json!("no"),
        )
        .unwrap();
    let again = store
        .findings(next)
        .unwrap()
        .into_iter()
        .find(|f| f.finding.item_id.as_deref() == Some("equipment.alarm_audible"))
        .unwrap();
    assert_eq!(again.finding.recurrence_of, Some(alarm));
    let steps: Vec<HistoryStep> = store
        .finding_history(alarm)
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.step)
        .collect();
    assert_eq!(
        steps,
        vec![
            HistoryStep::Raised,
            HistoryStep::SignedOff,
            HistoryStep::ProgressMade,
            HistoryStep::Recurred
        ],
        "{steps:?}"
    );
    let steps: Vec<HistoryStep> = store
        .finding_history(exit)
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.step)
        .collect();
    assert_eq!(
        steps,
        vec![
            HistoryStep::Raised,
            HistoryStep::SignedOff,
            HistoryStep::VerifiedClosed
        ]
    );
}

#[test]
fn a_desktop_review_is_a_reviewers_verification_without_a_visit() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path(), "laptop").unwrap();
    let (_facility, initial, exit, _alarm) = signed_initial(&mut store);
    let e = store
        .desktop_review(exit, &input("closed", "photo of the new push bar"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("only reviewers"), "{e}");
    crate::sync::session::save(
        dir.path(),
        &crate::sync::session::Session {
            server_url: "http://127.0.0.1:9".into(),
            organisation: "acme".into(),
            user: "lena".into(),
            role: "reviewer".into(),
            token: "t".into(),
        },
    )
    .unwrap();
    let action = model::default_action_id(exit);
    store
        .add_attachment(
            initial,
            "corrective_action",
            action,
            "push-bar.jpg",
            "image/jpeg",
            b"jpeg",
        )
        .unwrap();
    let id = store
        .desktop_review(exit, &input("closed", "photo of the new push bar"))
        .unwrap();
    let v: Verification = store.get(EntityKind::Verification, id).unwrap().unwrap();
    assert_eq!(
        (v.method.map(|v| v.as_str()), v.audit_id),
        (Some("desktop_review"), None)
    );
    let item = store
        .cap_items(initial, day("2027-01-10"))
        .unwrap()
        .into_iter()
        .find(|c| c.finding.id == exit)
        .unwrap();
    assert_eq!(
        (item.action.status.map(|v| v.as_str()), item.attachments.len()),
        (Some("verified"), 1)
    );
    assert!(
        store.verify_signoffs(initial).unwrap()[0].stands(),
        "CAP evidence and verification are not signed"
    );
}
