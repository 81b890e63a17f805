//! The audit workflow through the public core API, on the built-in checklists:
//! answers raise and close findings, conditions and repeat groups, corrective
//! actions, scores, fees, attachments, durability across reopen.

use chrono::NaiveDate;
use fieldaudit_core::audits::{ActionUpdate, NewAudit};
use fieldaudit_core::fees::NewFee;
use fieldaudit_core::import::FacilityRecord;
use fieldaudit_core::model::{self, ChecklistRef};
use fieldaudit_core::{CoreError, Store};
use fieldaudit_templates::Severity;
use rust_decimal::Decimal;
use serde_json::{json, Map};
use std::str::FromStr;
use uuid::Uuid;

const FIRE: &str = "fire-safety";

fn setup() -> (tempfile::TempDir, Store, Uuid) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path(), "laptop A").unwrap();
    let facility = store
        .add_facility(&FacilityRecord {
            name: "Noman Terry Towel Mills".into(),
            address: "Vawal Mirzapur, Gazipur".into(),
            country_code: "BD".into(),
            ..Default::default()
        })
        .unwrap();
    let audit = store
        .start_audit(&NewAudit {
            facility_id: facility,
            checklists: vec![ChecklistRef { template_id: FIRE.into(), version: 1 }],
            audit_type: fieldaudit_protocol::closed_sets::AuditType::Initial,
            notice: fieldaudit_protocol::closed_sets::Notice::Unannounced,
            start_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            end_date: Some(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()),
            auditors: vec!["A. Rahman".into()],
        })
        .unwrap();
    (dir, store, audit)
}

fn log_len(store: &Store) -> u64 {
    store.last_device_seq().unwrap()
}

fn open_findings(store: &Store, audit: Uuid) -> Vec<(String, String)> {
    store
        .findings(audit)
        .unwrap()
        .into_iter()
        .filter(|f| f.finding.status.map(|v| v.as_str()) == Some("open"))
        .map(|f| (f.finding.item_id.unwrap_or_default(), f.finding.severity.map(|v| v.as_str().to_owned()).unwrap_or_default()))
        .collect()
}

#[test]
fn a_locked_exit_raises_a_critical_finding_with_a_blocking_action_and_closes_when_fixed() {
    let (_d, mut store, audit) = setup();
    let floor = store
        .add_repeat_instance(audit, FIRE, "floor", "Ground floor")
        .unwrap();
    store
        .record_answer(audit, FIRE, "floor.exit_locked", Some(floor), json!("yes"))
        .unwrap();

    let findings = store.findings(audit).unwrap();
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f.finding.severity.map(|v| v.as_str()), Some("critical"));
    assert_eq!(f.finding.status.map(|v| v.as_str()), Some("open"));
    assert_eq!(f.finding.instance_id, Some(floor));
    assert_eq!(f.actions.len(), 1);
    let action = &f.actions[0];
    assert_eq!(
        action.due_date.as_deref(),
        Some("2026-12-26"),
        "critical: 30 days after the closing meeting"
    );
    assert_eq!(action.production_blocking, Some(true));
    assert!(store.score(audit).unwrap().production_blocked);

    // The auditor fills in the CAP.
    store
        .update_action(
            action.id,
            &ActionUpdate {
                root_cause: Some("Exit padlocked against theft".into()),
                owner: Some("Facility manager".into()),
                ..Default::default()
            },
        )
        .unwrap();

    // Corrected on site: the finding closes, the CAP stays.
    store
        .record_answer(audit, FIRE, "floor.exit_locked", Some(floor), json!("no"))
        .unwrap();
    assert!(open_findings(&store, audit).is_empty());
    // Fails again: the same finding reopens with the same action, CAP text kept.
    store
        .record_answer(audit, FIRE, "floor.exit_locked", Some(floor), json!("yes"))
        .unwrap();
    let findings = store.findings(audit).unwrap();
    assert_eq!(findings.len(), 1, "no duplicate finding");
    assert_eq!(findings[0].actions.len(), 1);
    assert_eq!(
        findings[0].actions[0].root_cause.as_deref(),
        Some("Exit padlocked against theft")
    );
}

#[test]
fn conditional_items_only_raise_findings_while_shown() {
    let (_d, mut store, audit) = setup();
    store
        .record_answer(audit, FIRE, "equipment.pumps_working", None, json!("no"))
        .unwrap();
    assert!(
        open_findings(&store, audit).is_empty(),
        "pumps item is hidden until sprinklers = yes"
    );
    store
        .record_answer(audit, FIRE, "equipment.sprinklers", None, json!("yes"))
        .unwrap();
    assert_eq!(
        open_findings(&store, audit),
        vec![("equipment.pumps_working".to_string(), "major".to_string())]
    );
    store
        .record_answer(audit, FIRE, "equipment.sprinklers", None, json!("no"))
        .unwrap();
    assert!(open_findings(&store, audit).is_empty());
}

#[test]
fn removing_a_repeat_instance_closes_its_findings_only() {
    let (_d, mut store, audit) = setup();
    let ground = store
        .add_repeat_instance(audit, FIRE, "floor", "Ground")
        .unwrap();
    let first = store.add_repeat_instance(audit, FIRE, "floor", "").unwrap();
    store
        .record_answer(audit, FIRE, "floor.exit_locked", Some(ground), json!("yes"))
        .unwrap();
    store
        .record_answer(audit, FIRE, "floor.exit_count", Some(first), json!(1))
        .unwrap();
    assert_eq!(open_findings(&store, audit).len(), 2);
    store.remove_repeat_instance(first).unwrap();
    assert_eq!(
        open_findings(&store, audit),
        vec![("floor.exit_locked".to_string(), "critical".to_string())]
    );
    let labels: Vec<_> = store
        .repeat_instances(audit)
        .unwrap()
        .into_iter()
        .map(|i| i.label.unwrap_or_default())
        .collect();
    assert_eq!(labels, vec!["Ground"]);
}

#[test]
fn bad_answers_are_refused_and_change_nothing() {
    let (_d, mut store, audit) = setup();
    let floor = store
        .add_repeat_instance(audit, FIRE, "floor", "Ground")
        .unwrap();
    let before = log_len(&store);
    let cases = [
        (FIRE, "floor.exit_locked", Some(floor), json!("maybe")),
        (FIRE, "floor.exit_count", Some(floor), json!("two")),
        (FIRE, "floor.exit_locked", None, json!("yes")),
        (FIRE, "equipment.sprinklers", Some(floor), json!("yes")),
        (FIRE, "no.such.item", None, json!("yes")),
        ("wages-hours", "anything", None, json!("yes")),
    ];
    for (template, item, instance, value) in cases {
        let err = store
            .record_answer(audit, template, item, instance, value.clone())
            .unwrap_err();
        assert!(
            matches!(err, CoreError::Invalid(_) | CoreError::NotFound { .. }),
            "{item} {value}: {err}"
        );
        assert!(!err.to_string().is_empty());
    }
    let err = store
        .record_answer(
            Uuid::now_v7(),
            FIRE,
            "floor.exit_locked",
            Some(floor),
            json!("yes"),
        )
        .unwrap_err();
    assert!(err.to_string().contains("not found"));
    assert_eq!(log_len(&store), before, "refused answers write nothing");
    assert!(store.answers(audit).unwrap().is_empty());
}

#[test]
fn answers_survive_reopening_and_derived_ids_are_the_same_on_every_device() {
    let (dir, mut store, audit) = setup();
    let id = store
        .record_answer(audit, FIRE, "equipment.alarm_audible", None, json!("no"))
        .unwrap();
    store
        .set_answer_note(
            audit,
            FIRE,
            "equipment.alarm_audible",
            None,
            "Not heard on floor 3",
        )
        .unwrap();
    assert_eq!(
        id,
        model::answer_id(audit, FIRE, "equipment.alarm_audible", None)
    );
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    let answers = store.answers(audit).unwrap();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].value, Some(json!("no")));
    assert_eq!(answers[0].note.as_deref(), Some("Not heard on floor 3"));
    assert_eq!(
        open_findings(&store, audit),
        vec![("equipment.alarm_audible".to_string(), "major".to_string())]
    );
}

#[test]
fn score_counts_conforming_items_and_penalises_open_findings() {
    let (_d, mut store, audit) = setup();
    store
        .record_answer(audit, FIRE, "equipment.alarm_audible", None, json!("yes"))
        .unwrap();
    store
        .record_answer(audit, FIRE, "equipment.coverage_gap", None, json!("no"))
        .unwrap();
    store
        .record_answer(audit, FIRE, "hazards.flammables_apart", None, json!("no"))
        .unwrap();
    let score = store.score(audit).unwrap();
    assert_eq!((score.applicable, score.conforming), (3, 2));
    let pct = score.conformance_percent.unwrap();
    assert!((pct - 66.666).abs() < 0.01, "{pct}");
    // 200 × 2/3 − 4 (one major) = 129.33 → red.
    assert!((score.indicative_score.unwrap() - (400.0 / 3.0 - 4.0)).abs() < 1e-9);
    assert_eq!(score.indicative_band.as_deref(), Some("red"));
    assert_eq!(score.open_findings.get("major"), Some(&1));
    assert!(score.answered >= 3 && score.items > score.answered);
}

#[test]
fn manual_findings_get_default_due_dates_by_severity() {
    let (_d, mut store, audit) = setup();
    let f = store
        .raise_finding(
            audit,
            Severity::Major,
            "Fire door wedged open",
            "Stairwell B",
        )
        .unwrap();
    let obs = store
        .raise_finding(
            audit,
            Severity::Observation,
            "Drill log kept on loose sheets",
            "",
        )
        .unwrap();
    let findings = store.findings(audit).unwrap();
    let major = findings.iter().find(|x| x.finding.id == f).unwrap();
    assert_eq!(
        major.actions[0].due_date.as_deref(),
        Some("2027-01-25"),
        "major: 60 days after 2026-11-26"
    );
    assert_eq!(major.actions[0].production_blocking, Some(false));
    assert!(
        findings
            .iter()
            .find(|x| x.finding.id == obs)
            .unwrap()
            .actions
            .is_empty(),
        "observations need no CAP"
    );
    assert!(store
        .raise_finding(audit, Severity::Minor, "  ", "")
        .is_err());
}

#[test]
fn fee_totals_are_exact_decimals_per_currency() {
    let (_d, mut store, audit) = setup();
    let mut fields = Map::new();
    fields.insert("migrant_type".into(), json!("foreign"));
    fields.insert("origin_country".into(), json!("NP"));
    fields.insert("reimbursement_status".into(), json!("partial"));
    fields.insert("reimbursed_amount".into(), json!("100.10"));
    fields.insert("reimbursed_currency".into(), json!("USD"));
    let w1 = store.save_fee_record(None, audit, "W-01", &fields).unwrap();
    let w2 = store
        .save_fee_record(None, audit, "W-02", &Map::new())
        .unwrap();
    let fee = |category: &str, amount: &str, currency: &str| NewFee {
        category: category.parse().unwrap(),
        amount: Decimal::from_str(amount).unwrap(),
        currency: currency.into(),
        paid_to: Some("Agency".into()),
        paid_when: Some(fieldaudit_protocol::closed_sets::PaidWhen::PreDeparture),
        financed_by_loan: Some(true),
        evidence: Some(fieldaudit_protocol::closed_sets::FeeEvidence::Interview),
    };
    store
        .add_fee(w1, &fee("placement", "1000.10", "USD"))
        .unwrap();
    store.add_fee(w1, &fee("visa", "0.20", "USD")).unwrap();
    let gone = store.add_fee(w1, &fee("medical", "5000", "NPR")).unwrap();
    store.remove_fee(gone).unwrap();
    store.add_fee(w2, &fee("travel", "15000", "BDT")).unwrap();
    assert!(store.add_fee(w2, &fee("travel", "-5", "BDT")).is_err());
    assert!(store.add_fee(w2, &fee("travel", "5", "taka")).is_err());
    assert!(
        store
            .save_fee_record(None, audit, "Rahima Begum", &Map::new())
            .is_err(),
        "names are refused"
    );

    let totals = store.fee_totals(audit).unwrap();
    assert_eq!((totals.workers, totals.workers_who_paid), (2, 2));
    let usd = &totals.by_currency["USD"];
    assert_eq!(
        usd.paid,
        Decimal::from_str("1000.30").unwrap(),
        "0.1 + 0.2 style sums stay exact"
    );
    assert_eq!(usd.outstanding, Decimal::from_str("900.20").unwrap());
    assert_eq!(
        totals.by_currency["BDT"].outstanding,
        Decimal::from_str("15000").unwrap()
    );
    assert!(
        !totals.by_currency.contains_key("NPR"),
        "removed fees do not count"
    );
}

#[test]
fn attachments_are_stored_once_by_content() {
    let (_d, mut store, audit) = setup();
    let bytes = b"\x89PNG fake photo bytes".to_vec();
    let a = store
        .add_attachment(audit, "audit", audit, "exit.png", "image/png", &bytes)
        .unwrap();
    let b = store
        .add_attachment(audit, "audit", audit, "exit-copy.png", "image/png", &bytes)
        .unwrap();
    assert_ne!(a, b);
    let list = store.attachments(audit, None).unwrap();
    assert_eq!(list.len(), 2);
    let sha = list[0].sha256.clone().unwrap();
    assert_eq!(sha, fieldaudit_core::attachments::sha256_hex(&bytes));
    assert_eq!(std::fs::read(store.attachment_path(&sha)).unwrap(), bytes);
    let files = std::fs::read_dir(store.attachment_path(&sha).parent().unwrap())
        .unwrap()
        .count();
    assert_eq!(files, 1, "same bytes, one file");
    assert!(store
        .add_attachment(audit, "audit", audit, "empty.png", "image/png", &[])
        .is_err());
    store.remove_attachment(a).unwrap();
    assert_eq!(store.attachments(audit, None).unwrap().len(), 1);
}

#[test]
fn export_contains_the_whole_audit() {
    let (_d, mut store, audit) = setup();
    store
        .record_answer(audit, FIRE, "equipment.alarm_audible", None, json!("no"))
        .unwrap();
    let export = store.export_audit(audit).unwrap();
    let v = serde_json::to_value(&export).unwrap();
    assert_eq!(v["format"], 1);
    assert_eq!(v["facility"]["country_code"], "BD");
    assert_eq!(v["checklists"][0]["template_id"], FIRE);
    assert_eq!(v["answers"].as_array().unwrap().len(), 1);
    assert_eq!(v["findings"][0]["severity"], "major");
    assert_eq!(v["score"]["open_findings"]["major"], 1);
}

#[test]
fn an_audit_needs_a_real_facility_and_checklist() {
    let (_d, mut store, _) = setup();
    let new = |facility_id, template: &str| NewAudit {
        facility_id,
        checklists: vec![ChecklistRef { template_id: template.into(), version: 1 }],
        audit_type: fieldaudit_protocol::closed_sets::AuditType::Periodic,
        notice: fieldaudit_protocol::closed_sets::Notice::Announced,
        start_date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        end_date: None,
        auditors: vec![],
    };
    let facility = store.facilities("").unwrap()[0].facility.id;
    assert!(matches!(store.start_audit(&new(Uuid::now_v7(), FIRE)), Err(CoreError::NotFound { .. })));
    assert!(store.start_audit(&new(facility, "no-such-checklist")).unwrap_err().to_string().contains("no-such-checklist"));
    // An unknown audit type cannot even be built: the bridge refuses it when decoding.
    let mut bad_type = serde_json::to_value(new(facility, FIRE)).unwrap();
    bad_type["audit_type"] = json!("surprise");
    assert!(serde_json::from_value::<NewAudit>(bad_type).unwrap_err().to_string().contains("surprise"));
    assert_eq!(store.audits(Some(facility)).unwrap().len(), 1, "only the setup audit exists");
}
