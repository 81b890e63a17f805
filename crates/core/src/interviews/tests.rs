//! Tests of the interviewer's and the reviewer's side on one store.

use fieldaudit_protocol::closed_sets::{InterviewFormat, InterviewState};
use std::path::Path;

use chrono::NaiveDate;
use fieldaudit_protocol::EntityKind;
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use super::review::aggregate;
use super::*;
use crate::audits::NewAudit;
use crate::import::FacilityRecord;
use crate::model::ChecklistRef;

const MARKER: &str = "QXZMARKERWJV";

fn setup() -> (tempfile::TempDir, Store, Uuid) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path(), "interviewer laptop").unwrap();
    let facility = store
        .add_facility(&FacilityRecord {
            name: "Hasan Knit".into(),
            address: "Ashulia".into(),
            country_code: "BD".into(),
            workers_max: Some(1200),
            ..Default::default()
        })
        .unwrap();
    let audit = store
        .start_audit(&NewAudit {
            facility_id: facility,
            checklists: vec![ChecklistRef { template_id: "worker-interview".into(), version: 1 }],
            audit_type: fieldaudit_protocol::closed_sets::AuditType::Initial,
            notice: fieldaudit_protocol::closed_sets::Notice::Announced,
            start_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            end_date: None,
            auditors: vec!["Nadia".into()],
        })
        .unwrap();
    (dir, store, audit)
}

/// Registers a reviewer key as the server's admin command would (a synced row).
fn register(store: &mut Store, name: &str, key: &age::x25519::Identity) -> Uuid {
    let id = Uuid::now_v7();
    store
        .write(|w| {
            w.set(
                EntityKind::ReviewerKey,
                id,
                &[
                    ("public_key", json!(key.to_public().to_string())),
                    ("reviewer", json!(name)),
                    ("revoked", json!(false)),
                    ("deleted", json!(false)),
                ],
            )
            .map(|_| ())
        })
        .unwrap();
    id
}

/// A full interview with `marker` in every free-text field.
pub(crate) fn full_content(marker: &str, fee_amount: i64) -> InterviewContent {
    let mut c = InterviewContent::default();
    for (item, text) in [
        ("setup.format", "group"),
        ("setup.group_size", "3"),
        ("setup.location", "off_site"),
        ("setup.language", "other"),
        ("setup.interpreter", "independent"),
        ("setup.selected_by", "auditor"),
        ("setup.managers_absent", "yes"),
        ("setup.consent", "yes"),
        ("category.department", "sewing,finishing"),
        ("category.shift", "night"),
        ("category.gender", "woman"),
        ("category.nationality_group", "foreign_migrant"),
        ("category.agency", "agency"),
        ("topics.fees", "loan"),
        ("topics.documents", "employer"),
        ("credibility.signs", "scripted,fearful"),
    ] {
        c.set_answer_text(item, text).unwrap();
    }
    for item in free_text_items().unwrap() {
        c.set_answer_text(&item, &format!("notes {marker} {item}"))
            .unwrap();
    }
    c.fees_reported.push(ReportedFees {
        migrant_type: Some("foreign".into()),
        origin_country: Some("NP".into()),
        channel: Some("agency".into()),
        fees: vec![
            ReportedFee {
                category: "placement".into(),
                amount: Decimal::new(fee_amount, 0),
                currency: "NPR".into(),
                paid_to: Some("agency_origin".into()),
                paid_when: Some("pre_departure".into()),
                financed_by_loan: Some(true),
                note: Some(format!("fee {marker}")),
            },
            ReportedFee {
                category: "visa".into(),
                amount: Decimal::new(15050, 2),
                currency: "USD".into(),
                paid_to: None,
                paid_when: None,
                financed_by_loan: None,
                note: None,
            },
        ],
        reimbursement: Some("none".into()),
        reimbursed_amount: None,
        reimbursed_currency: None,
        passport_held_by_employer: Some(true),
    });
    c.fees_reported.push(ReportedFees::default());
    c.validate().unwrap();
    c
}

fn occurrences(path: &Path, needle: &str) -> usize {
    let Ok(bytes) = std::fs::read(path) else {
        return 0;
    };
    bytes
        .windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}

fn marker_in_db_files(dir: &Path, needle: &str) -> usize {
    ["fieldaudit.db", "fieldaudit.db-wal", "fieldaudit.db-shm"]
        .iter()
        .map(|f| occurrences(&dir.join(f), needle))
        .sum()
}

#[test]
fn drafts_are_encrypted_and_finalise_seals_to_current_reviewers_only() {
    let (dir, mut store, audit) = setup();
    let alice = age::x25519::Identity::generate();
    let bob = age::x25519::Identity::generate();
    let removed = age::x25519::Identity::generate();
    let stranger = age::x25519::Identity::generate();
    register(&mut store, "Alice", &alice);
    register(&mut store, "Bob", &bob);
    let gone = register(&mut store, "Removed", &removed);
    store
        .write(|w| {
            w.set(EntityKind::ReviewerKey, gone, &[("revoked", json!(true))])
                .map(|_| ())
        })
        .unwrap();
    assert_eq!(store.reviewer_keys().unwrap().len(), 2);

    let key = store.unlock_interviews("interviewer passphrase").unwrap();
    assert!(store
        .unlock_interviews("another passphrase")
        .unwrap_err()
        .to_string()
        .contains("wrong interview passphrase"));
    let id = store
        .start_interview(
            &key,
            audit,
            "Nadia Rahman",
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        )
        .unwrap();
    let mut draft = store.interview_draft(&key, id).unwrap();
    draft.content = full_content(MARKER, 120000);
    store.save_interview_draft(&key, &draft).unwrap();
    assert_eq!(store.interview_draft(&key, id).unwrap(), draft);
    // The draft is on disk only as ciphertext.
    assert_eq!(marker_in_db_files(dir.path(), MARKER), 0);
    assert_eq!(marker_in_db_files(dir.path(), "sewing"), 0);
    assert_eq!(store.interviews(audit).unwrap()[0].state, InterviewState::Draft);
    // Another passphrase cannot read it.
    drop(store);
    let mut other = Store::open(dir.path()).unwrap();
    assert!(other.unlock_interviews("guess guess guess").is_err());
    let mut store = other;

    let summary = store.finalise_interview(&key, id).unwrap();
    assert_eq!(summary.format, Some(InterviewFormat::Group));
    assert_eq!(summary.language.as_deref(), Some("other"));
    assert_eq!(
        marker_in_db_files(dir.path(), MARKER),
        0,
        "finalised: no plaintext in db, wal or shm"
    );
    let err = store.interview_draft(&key, id).unwrap_err().to_string();
    assert!(err.contains("sealed"), "{err}");
    assert!(
        store.save_interview_draft(&key, &draft).is_err(),
        "a sealed interview cannot be edited"
    );
    let listed = store.interviews(audit).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].state, listed[0].interviewer.as_deref()), (InterviewState::Sealed, Some("Nadia Rahman")));
    // The change log carries the ciphertext (it syncs like any field).
    let changes = store.changes_after(0, 1000).unwrap();
    let sealed = changes
        .iter()
        .find(|c| c.entity == "interview" && c.field == "sealed")
        .unwrap();
    assert!(sealed
        .value
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));

    for reviewer in [&alice, &bob] {
        let reviewed = store.review_interviews(audit, reviewer).unwrap();
        let content = reviewed[0].content.as_ref().unwrap();
        assert_eq!(*content, draft.content.for_sealing().unwrap());
        assert!(content.answers["topics.pay_notes"]
            .as_str()
            .unwrap()
            .contains(MARKER));
    }
    for outsider in [&removed, &stranger] {
        assert_eq!(
            store.review_interviews(audit, outsider).unwrap()[0].content,
            Err(OpenError::NotForThisKey)
        );
    }
}

#[test]
fn tampered_or_moved_ciphertext_is_reported() {
    let (_dir, mut store, audit) = setup();
    let alice = age::x25519::Identity::generate();
    register(&mut store, "Alice", &alice);
    let key = store.unlock_interviews("interviewer passphrase").unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let id = store
            .start_interview(
                &key,
                audit,
                "Nadia",
                NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            )
            .unwrap();
        let mut d = store.interview_draft(&key, id).unwrap();
        d.content = full_content("x", 100);
        store.save_interview_draft(&key, &d).unwrap();
        store.finalise_interview(&key, id).unwrap();
        ids.push(id);
    }
    let first = store.row(EntityKind::Interview, ids[0]).unwrap().unwrap();
    let sealed = first["sealed"].as_str().unwrap().to_owned();
    // Copy the first ciphertext over the second (as a malicious writer could).
    store
        .write(|w| {
            w.set(EntityKind::Interview, ids[1], &[("sealed", json!(sealed))])
                .map(|_| ())
        })
        .unwrap();
    let reviewed = store.review_interviews(audit, &alice).unwrap();
    let moved = reviewed.iter().find(|r| r.summary.id == ids[1]).unwrap();
    assert!(
        matches!(&moved.content, Err(OpenError::Tampered(m)) if m.contains("another interview")),
        "{:?}",
        moved.content
    );
    // Flip a character of the payload.
    let mut lines: Vec<String> = sealed.lines().map(str::to_owned).collect();
    let i = lines.len() - 3;
    let mut chars: Vec<char> = lines[i].chars().collect();
    chars[3] = if chars[3] == 'Q' { 'R' } else { 'Q' };
    lines[i] = chars.into_iter().collect();
    store
        .write(|w| {
            w.set(
                EntityKind::Interview,
                ids[0],
                &[("sealed", json!(lines.join("\n")))],
            )
            .map(|_| ())
        })
        .unwrap();
    let (reviewed, agg) = store.interview_aggregate(audit, &alice).unwrap();
    let damaged = reviewed.iter().find(|r| r.summary.id == ids[0]).unwrap();
    assert!(
        matches!(&damaged.content, Err(OpenError::Tampered(_))),
        "{:?}",
        damaged.content
    );
    assert!(damaged
        .content
        .as_ref()
        .unwrap_err()
        .to_string()
        .contains("modified or damaged"));
    assert_eq!((agg.interviews, agg.unreadable), (0, 2));
}

#[test]
fn finalise_needs_a_reviewer_and_the_essentials() {
    let (_dir, mut store, audit) = setup();
    let key = store.unlock_interviews("interviewer passphrase").unwrap();
    let id = store
        .start_interview(
            &key,
            audit,
            "Nadia",
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        )
        .unwrap();
    let e = store.finalise_interview(&key, id).unwrap_err().to_string();
    assert!(e.contains("setup.format"), "{e}");
    let mut d = store.interview_draft(&key, id).unwrap();
    d.content = full_content("x", 100);
    store.save_interview_draft(&key, &d).unwrap();
    let e = store.finalise_interview(&key, id).unwrap_err().to_string();
    assert!(e.contains("no reviewer keys"), "{e}");
    // Nothing changed: the draft is still there, nothing synced.
    assert_eq!(store.interview_draft(&key, id).unwrap(), d);
    assert!(store.row(EntityKind::Interview, id).unwrap().is_none());
    assert!(store
        .start_interview(
            &key,
            audit,
            "call 01712345678",
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
        )
        .is_err());
    assert!(store
        .start_interview(
            &key,
            Uuid::now_v7(),
            "Nadia",
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
        )
        .is_err());
}

#[test]
fn aggregates_match_the_individual_interviews_and_sampling_tracks_coverage() {
    let (_dir, mut store, audit) = setup();
    let alice = age::x25519::Identity::generate();
    register(&mut store, "Alice", &alice);
    let key = store.unlock_interviews("interviewer passphrase").unwrap();
    let amounts = [120000, 80000, 5000];
    for (i, amount) in amounts.iter().enumerate() {
        let id = store
            .start_interview(
                &key,
                audit,
                "Nadia",
                NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            )
            .unwrap();
        let mut d = store.interview_draft(&key, id).unwrap();
        d.content = full_content("note", *amount);
        if i == 2 {
            d.content
                .set_answer_text("setup.format", "individual")
                .unwrap();
            d.content
                .set_answer_text("topics.documents", "own")
                .unwrap();
            d.content.set_answer_text("credibility.signs", "").unwrap();
        }
        store.save_interview_draft(&key, &d).unwrap();
        store.finalise_interview(&key, id).unwrap();
    }
    let (reviewed, agg) = store.interview_aggregate(audit, &alice).unwrap();
    let contents: Vec<&InterviewContent> = reviewed
        .iter()
        .map(|r| r.content.as_ref().unwrap())
        .collect();
    assert_eq!(agg, aggregate(&contents));
    assert_eq!(agg.interviews, 3);
    assert_eq!(agg.workers, 3 + 3 + 1);
    assert_eq!(
        agg.workers_reporting_fees, 3,
        "one fee entry with fees per interview"
    );
    assert_eq!(agg.workers_with_loans, 3);
    let npr: i64 = amounts.iter().sum();
    assert_eq!(agg.fees_by_currency["NPR"].paid, Decimal::new(npr, 0));
    assert_eq!(agg.fees_by_currency["USD"].paid, Decimal::new(15050 * 3, 2));
    assert_eq!(agg.fees_by_currency["USD"].workers, 3);
    assert_eq!(
        agg.fees_by_category["placement"]["NPR"],
        Decimal::new(npr, 0)
    );
    assert_eq!(
        agg.documents_held,
        [("employer".to_owned(), 2), ("own".to_owned(), 1)]
            .into_iter()
            .collect()
    );
    assert_eq!(agg.coaching_or_fear, 2);
    assert_eq!(agg.passports_held_by_employer, 3);
    assert_eq!(agg.answers["topics.fees"]["loan"], 3);
    assert!(
        !agg.answers.contains_key("topics.pay_notes"),
        "notes are read one by one, not counted"
    );
    // Independently: the sum of each interview's own fees.
    let by_hand: Decimal = contents
        .iter()
        .flat_map(|c| &c.fees_reported)
        .flat_map(|w| &w.fees)
        .filter(|f| f.currency == "NPR")
        .map(|f| f.amount)
        .sum();
    assert_eq!(agg.fees_by_currency["NPR"].paid, by_hand);

    let g = store.interview_sampling(&key, audit, None).unwrap();
    assert_eq!((g.site_workers, g.suggested), (Some(1200), Some(35)));
    assert_eq!(g.covered.interviews, 3);
    assert_eq!(g.covered.workers, 7);
    assert_eq!(g.remaining, Some(28));
    assert_eq!(g.covered.by_category["category.shift"]["night"], 3);
    assert_eq!(g.drafts, 0);
    let g = store.interview_sampling(&key, audit, Some(20)).unwrap();
    assert_eq!((g.suggested, g.remaining), (Some(6), Some(0)));
    // The tally is ciphertext: another key cannot read it.
    let dir2 = tempfile::tempdir().unwrap();
    let mut s2 = Store::create(dir2.path(), "x").unwrap();
    let other = s2.unlock_interviews("different passphrase").unwrap();
    assert!(store.interview_sampling(&other, audit, None).is_err());
}

/// No field of the interview schema can hold a worker's identity: the synced
/// interview row holds metadata and ciphertext only, the sealed content is the
/// checklist (checked in crates/templates) plus reported fees whose fields are all
/// bands, codes and amounts; the only free text is notes.
#[test]
fn the_interview_schema_has_no_place_for_identity() {
    const IDENTITY: &[&str] = &[
        "name",
        "id_number",
        "phone",
        "photo",
        "passport_number",
        "address",
        "birth",
        "mobile",
        "email",
        "worker_ref",
        "employee",
    ];
    let synced: Vec<&str> = EntityKind::Interview
        .fields()
        .iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(
        synced,
        [
            "audit_id",
            "conducted_on",
            "interviewer",
            "language",
            "format",
            "sealed",
            "deleted"
        ]
    );
    let content = serde_json::to_value(full_content("x", 1)).unwrap();
    let mut keys = Vec::new();
    fn walk(v: &serde_json::Value, keys: &mut Vec<String>, in_answers: bool) {
        if let serde_json::Value::Object(m) = v {
            for (k, v) in m {
                if !in_answers {
                    keys.push(k.clone());
                }
                walk(v, keys, k == "answers");
            }
        } else if let serde_json::Value::Array(a) = v {
            a.iter().for_each(|x| walk(x, keys, false));
        }
    }
    walk(&content, &mut keys, false);
    keys.sort();
    keys.dedup();
    assert_eq!(
        keys,
        [
            "amount",
            "answers",
            "category",
            "channel",
            "currency",
            "fees",
            "fees_reported",
            "financed_by_loan",
            "migrant_type",
            "note",
            "origin_country",
            "paid_to",
            "paid_when",
            "passport_held_by_employer",
            "reimbursed_amount",
            "reimbursed_currency",
            "reimbursement"
        ]
    );
    for k in keys
        .iter()
        .map(String::as_str)
        .chain(synced.iter().copied())
    {
        assert!(
            !IDENTITY.iter().any(|w| k.contains(w)),
            "field {k} could hold identity"
        );
    }
    // Unknown fields are refused rather than kept.
    let smuggled = json!({ "answers": {}, "fees_reported": [], "worker_name": "x" });
    assert!(serde_json::from_value::<InterviewContent>(smuggled).is_err());
    let smuggled = json!({ "answers": {}, "fees_reported": [{ "fees": [], "worker_ref": "W-1" }] });
    assert!(serde_json::from_value::<InterviewContent>(smuggled).is_err());
    // Answers only for the checklist's items; its only free text is notes.
    let mut c = InterviewContent::default();
    c.answers.insert("category.worker_name".into(), json!("x"));
    assert!(c.validate().is_err());
    for item in free_text_items().unwrap() {
        assert!(
            item.ends_with("_notes")
                || item == "credibility.notes"
                || item == "setup.language_other",
            "{item}"
        );
    }
}

#[test]
fn the_form_edits_one_answer_at_a_time_and_shows_only_what_applies() {
    let (dir, mut store, audit) = setup();
    let key = store.unlock_interviews("interviewer passphrase").unwrap();
    let id = store
        .start_interview(
            &key,
            audit,
            "Nadia",
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        )
        .unwrap();
    let form = store.interview_form(&key, id, "en").unwrap();
    assert_eq!(
        form.sections
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        ["setup"],
        "topics stay hidden until consent"
    );
    assert_eq!(
        form.missing.len(),
        2,
        "format and consent are required: {:?}",
        form.missing
    );
    assert!(!form.consented);

    store
        .set_interview_answer(&key, id, "setup.format", json!("group"))
        .unwrap();
    store
        .set_interview_answer(&key, id, "setup.consent", json!("yes"))
        .unwrap();
    store
        .set_interview_answer(&key, id, "category.shift", json!(["night"]))
        .unwrap();
    store
        .set_interview_answer(
            &key,
            id,
            "topics.fees_notes",
            json!(format!("agent said {MARKER}")),
        )
        .unwrap();
    let form = store.interview_form(&key, id, "en").unwrap();
    assert!(form.missing.is_empty() && form.consented);
    assert!(form.sections.iter().any(|s| s.id == "topics"));
    let size = form.sections[0]
        .items
        .iter()
        .find(|i| i.id == "setup.group_size")
        .expect("group size shows for a group");
    assert!(size.value.is_none());
    let shift = form
        .sections
        .iter()
        .flat_map(|s| &s.items)
        .find(|i| i.id == "category.shift")
        .unwrap();
    assert_eq!(shift.value, Some(json!(["night"])));
    assert_eq!(
        shift.display.as_deref(),
        Some("Night"),
        "answers read as labels"
    );

    // Refused edits change nothing and say what to fix.
    let e = store
        .set_interview_answer(
            &key,
            id,
            "topics.pay_notes",
            json!("her phone 017 1234 5678"),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("never record"), "{e}");
    assert!(store
        .set_interview_answer(&key, id, "setup.format", json!("crowd"))
        .is_err());
    assert!(store
        .set_interview_answer(&key, id, "worker.name", json!(null))
        .unwrap_err()
        .to_string()
        .contains("no item"));
    assert_eq!(store.interview_form(&key, id, "en").unwrap(), form);

    // Clearing an answer, fees and details.
    store
        .set_interview_answer(&key, id, "category.shift", json!([]))
        .unwrap();
    let fee = ReportedFee {
        category: "visa".into(),
        amount: Decimal::new(1500, 0),
        currency: "USD".into(),
        paid_to: Some("broker".into()),
        paid_when: Some("pre_departure".into()),
        financed_by_loan: Some(true),
        note: None,
    };
    store
        .set_interview_fees(
            &key,
            id,
            vec![ReportedFees {
                fees: vec![fee],
                ..Default::default()
            }],
        )
        .unwrap();
    let bad = ReportedFee {
        category: "gift".into(),
        amount: Decimal::ONE,
        currency: "USD".into(),
        paid_to: None,
        paid_when: None,
        financed_by_loan: None,
        note: None,
    };
    assert!(store
        .set_interview_fees(
            &key,
            id,
            vec![ReportedFees {
                fees: vec![bad],
                ..Default::default()
            }]
        )
        .unwrap_err()
        .to_string()
        .contains("fees[0].category"));
    store
        .set_interview_details(
            &key,
            id,
            "Nadia R.",
            NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        )
        .unwrap();
    assert!(store
        .set_interview_details(&key, id, "", NaiveDate::from_ymd_opt(2026, 11, 26).unwrap())
        .is_err());
    let form = store.interview_form(&key, id, "en").unwrap();
    assert_eq!(form.fees_reported.len(), 1);
    assert_eq!(
        (
            form.interviewer.as_str(),
            form.conducted_on.to_string().as_str()
        ),
        ("Nadia R.", "2026-11-26")
    );
    assert!(form
        .sections
        .iter()
        .flat_map(|s| &s.items)
        .all(|i| i.id != "category.shift" || i.value.is_none()));
    assert_eq!(
        marker_in_db_files(dir.path(), MARKER),
        0,
        "every edit is saved encrypted"
    );
}

#[test]
fn questions_show_in_the_interview_language_next_to_the_screen_language() {
    let (_dir, mut store, audit) = setup();
    let key = store.unlock_interviews("interviewer passphrase").unwrap();
    let id = store.start_interview(&key, audit, "Nadia", NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()).unwrap();
    let form = store.interview_form(&key, id, "en").unwrap();
    assert_eq!(form.spoken_language, None, "no interview language yet");
    assert!(form.sections.iter().flat_map(|s| &s.items).all(|i| i.spoken_text.is_none()));

    store.set_interview_answer(&key, id, "setup.language", json!("bengali")).unwrap();
    let form = store.interview_form(&key, id, "en").unwrap();
    assert_eq!(form.spoken_language.as_deref(), Some("bn"));
    let q = form.sections.iter().flat_map(|s| &s.items).find(|i| i.id == "setup.format").unwrap();
    assert_eq!(q.text, "Individual or group interview?");
    assert_eq!(q.spoken_text.as_deref(), Some("একক না দলগত সাক্ষাৎকার?"));

    // On a Vietnamese screen the question reads in Vietnamese, with Bengali beside it.
    let form = store.interview_form(&key, id, "vi").unwrap();
    let q = form.sections.iter().flat_map(|s| &s.items).find(|i| i.id == "setup.format").unwrap();
    assert_eq!((q.text.as_str(), q.spoken_text.as_deref()), ("Phỏng vấn cá nhân hay nhóm?", Some("একক না দলগত সাক্ষাৎকার?")));

    // Same language as the screen, or a language the checklist lacks: nothing beside.
    assert_eq!(store.interview_form(&key, id, "bn").unwrap().spoken_language, None);
    store.set_interview_answer(&key, id, "setup.language", json!("thai")).unwrap();
    assert_eq!(store.interview_form(&key, id, "en").unwrap().spoken_language, None);
}

#[test]
fn the_reviewer_view_labels_answers_and_matches_the_aggregate() {
    let (_dir, mut store, audit) = setup();
    let reviewer = age::x25519::Identity::generate();
    register(&mut store, "Alice", &reviewer);
    let key = store.unlock_interviews("interviewer passphrase").unwrap();
    for amount in [1500, 700] {
        let id = store
            .start_interview(
                &key,
                audit,
                "Nadia",
                NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            )
            .unwrap();
        let mut draft = store.interview_draft(&key, id).unwrap();
        draft.content = full_content("note", amount);
        store.save_interview_draft(&key, &draft).unwrap();
        assert_eq!(
            store.interview_form(&key, id, "en").unwrap().reviewers,
            ["Alice"]
        );
        store.finalise_interview(&key, id).unwrap();
    }
    let review = store.interview_review(audit, &reviewer, "en").unwrap();
    assert_eq!(review.interviews.len(), 2);
    assert!(review
        .interviews
        .iter()
        .all(|i| i.error.is_none() && !i.sections.is_empty()));
    assert!(
        review
            .interviews
            .iter()
            .flat_map(|i| &i.sections)
            .flat_map(|s| &s.items)
            .all(|i| i.value.is_some()),
        "only answered questions are listed"
    );
    let (_, agg) = store.interview_aggregate(audit, &reviewer).unwrap();
    assert_eq!(review.aggregate, agg);
    let fees = review
        .questions
        .iter()
        .find(|q| q.item_id == "topics.fees")
        .expect("the fees topic is tallied");
    assert_eq!(fees.answers.iter().map(|a| a.count).sum::<u32>(), 2);
    assert!(
        fees.answers.iter().all(|a| a.text != a.id),
        "options are labelled: {:?}",
        fees.answers
    );

    let stranger = age::x25519::Identity::generate();
    let other = store.interview_review(audit, &stranger, "en").unwrap();
    assert_eq!(other.aggregate.unreadable, 2);
    assert!(other
        .interviews
        .iter()
        .all(|i| i.error.is_some() && i.sections.is_empty() && i.fees_reported.is_empty()));
}

#[test]
fn confidential_checklists_never_take_plain_answers() {
    let (_dir, mut store, audit) = setup();
    let e = store
        .record_answer(
            audit,
            "worker-interview",
            "setup.consent",
            None,
            json!("yes"),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("confidential") && e.contains("interview"), "{e}");
    assert!(store
        .set_answer_note(audit, "worker-interview", "setup.consent", None, "x")
        .is_err());
    assert!(store.answers(audit).unwrap().is_empty());
    assert!(
        store.workspace(audit, "en").unwrap().checklists.is_empty(),
        "the workspace leaves the interview checklist to the interview screen"
    );
}

#[test]
fn the_overview_shows_sampling_only_while_unlocked() {
    let (_dir, mut store, audit) = setup();
    let locked = store.interviews_overview(None, audit, None, "en").unwrap();
    assert!(
        locked.protection == "unset"
            && !locked.unlocked
            && locked.sampling.is_none()
            && locked.coverage.is_empty()
    );
    let key = store.unlock_interviews("interviewer passphrase").unwrap();
    store
        .start_interview(
            &key,
            audit,
            "Nadia",
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        )
        .unwrap();
    let open = store
        .interviews_overview(Some(&key), audit, None, "en")
        .unwrap();
    assert!(open.protection == "passphrase" && open.unlocked);
    let sampling = open.sampling.expect("sampling while unlocked");
    assert_eq!(
        (sampling.site_workers, sampling.suggested, sampling.drafts),
        (Some(1200), Some(35), 1)
    );
    assert_eq!(open.interviews.len(), 1);
    assert_eq!(
        store
            .interviews_overview(Some(&key), audit, Some(30), "en")
            .unwrap()
            .sampling
            .unwrap()
            .suggested,
        Some(6)
    );

    // Coverage: a finalised night-shift interview counts under Night, labelled.
    let reviewer = age::x25519::Identity::generate();
    register(&mut store, "Alice", &reviewer);
    let id = open.interviews[0].id;
    let mut draft = store.interview_draft(&key, id).unwrap();
    draft.content = full_content("note", 100);
    store.save_interview_draft(&key, &draft).unwrap();
    store.finalise_interview(&key, id).unwrap();
    let after = store
        .interviews_overview(Some(&key), audit, None, "en")
        .unwrap();
    let shift = after
        .coverage
        .iter()
        .find(|q| q.item_id == "category.shift")
        .expect("shift coverage");
    assert_eq!(shift.text, "Shift");
    let counts: Vec<(&str, u32)> = shift
        .answers
        .iter()
        .map(|a| (a.text.as_str(), a.count))
        .collect();
    assert_eq!(counts, [("Day", 0), ("Night", 1), ("Rotating", 0)]);
    assert_eq!(
        shift
            .answers
            .iter()
            .filter(|a| a.thin)
            .map(|a| a.id.as_str())
            .collect::<Vec<_>>(),
        ["night"],
        "one interview: a thin group"
    );
    assert_eq!(after.coverage.len(), sampling::COVERAGE_ITEMS.len());
}

#[test]
fn unlocked_drafts_lock_themselves_when_left_idle() {
    let (_dir, mut store, _) = setup();
    let key = store.unlock_interviews("interviewer passphrase").unwrap();
    let mut unlocked = UnlockedDrafts::new(key);
    let start = std::time::Instant::now();
    let minute = std::time::Duration::from_secs(60);
    // Used every ten minutes it stays open for an hour…
    for i in 1..=6 {
        assert!(
            unlocked.use_at(start + minute * 10 * i).is_some(),
            "use {i}"
        );
    }
    // …but sixteen minutes without use lock it.
    assert!(unlocked
        .use_at(start + minute * 60 + DRAFT_IDLE_LOCK + minute)
        .is_none());
}
