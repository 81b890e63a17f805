//! The scripted audit the report and export tests share.
#![allow(dead_code)]

use chrono::NaiveDate;
use fieldaudit_core::audits::{ActionUpdate, NewAudit};
use fieldaudit_core::import::FacilityRecord;
use fieldaudit_core::interviews::{free_text_items, InterviewContent, ReportedFee, ReportedFees};
use fieldaudit_core::model::ChecklistRef;
use fieldaudit_core::Store;
use fieldaudit_protocol::closed_sets::{AuditType, FeeCategory, Notice, Severity};
use fieldaudit_protocol::EntityKind;
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

/// Text that appears only inside interviews: it must never reach a report.
pub const INTERVIEW_MARKER: &str = "QXZINTERVIEWWJV";
/// A worker reference used only inside an interview's fee entry.
pub const CHINESE_NAME: &str = "深圳华强电子厂";
pub const BENGALI_NOTE: &str = "গুদামে অ্যালার্ম শোনা যায়নি";
/// Typst markup characters in a note: printed as typed, never evaluated.
pub const HOSTILE: &str = r#"#set page(fill: red) $x^2$ *bold* ] [ \ _under_ @ref <lbl> // not a comment"#;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub audit: Uuid,
    pub reviewer: age::x25519::Identity,
}

pub fn jpeg(width: u32, height: u32, exif_orientation: Option<u16>) -> Vec<u8> {
    use image::ImageEncoder;
    let img = image::RgbImage::from_fn(width, height, |x, _| if x < width / 2 { image::Rgb([200, 30, 30]) } else { image::Rgb([30, 30, 200]) });
    let mut out = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    if let Some(o) = exif_orientation {
        // A TIFF header and one IFD entry: Orientation (0x0112), SHORT, 1 value.
        let mut exif = b"MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01".to_vec();
        exif.extend_from_slice(&o.to_be_bytes());
        exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        enc.set_exif_metadata(exif).unwrap();
    }
    enc.write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8).unwrap();
    out
}

/// A factory in China with a critical exit finding on "Building B, floor 3" (with a
/// photo and a Bengali note), a CAP owner and due date, fees of two workers, and
/// three sealed interviews full of [`INTERVIEW_MARKER`].
pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path(), "auditor laptop").unwrap();
    let facility = store
        .add_facility(&FacilityRecord { name: CHINESE_NAME.into(), address: "Bao'an, Shenzhen".into(), country_code: "CN".into(), workers_max: Some(400), workers_min: Some(400), ..Default::default() })
        .unwrap();
    let audit = store
        .start_audit(&NewAudit {
            facility_id: facility,
            checklists: vec![ChecklistRef { template_id: "fire-safety".into(), version: 1 }, ChecklistRef { template_id: "worker-interview".into(), version: 1 }],
            audit_type: AuditType::Periodic,
            notice: Notice::Unannounced,
            start_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2026, 11, 25),
            auditors: vec!["Rina Akter".into(), "Li Wei".into()],
        })
        .unwrap();
    let floor = store.add_repeat_instance(audit, "fire-safety", "floor", "Building B, floor 3").unwrap();
    let answer = store.record_answer(audit, "fire-safety", "floor.exit_locked", Some(floor), json!("yes")).unwrap();
    store.set_answer_note(audit, "fire-safety", "floor.exit_locked", Some(floor), "Exit 3 chained at 10:40").unwrap();
    store.add_attachment(audit, "answer", answer, "exit3.jpg", "image/jpeg", &jpeg(64, 48, None)).unwrap();
    store.record_answer(audit, "fire-safety", "equipment.alarm_audible", None, json!("no")).unwrap();
    store.set_answer_note(audit, "fire-safety", "equipment.alarm_audible", None, &format!("{BENGALI_NOTE} {HOSTILE}")).unwrap();
    let findings = store.findings(audit).unwrap();
    let critical = findings.iter().find(|f| f.finding.severity == Some(Severity::Critical)).expect("a critical finding");
    store
        .update_action(
            critical.actions[0].id,
            &ActionUpdate {
                root_cause: Some("Doors chained against theft".into()),
                corrective_action: Some("Remove chains; panic bars on exit 3".into()),
                owner: Some("Mr Chen, EHS manager".into()),
                due_date: NaiveDate::from_ymd_opt(2026, 12, 2),
                production_blocking: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
    let w07 = store.save_fee_record(None, audit, "W-07", &serde_json::Map::new()).unwrap();
    store.add_fee(w07, &fieldaudit_core::fees::NewFee { category: FeeCategory::Placement, amount: Decimal::new(125050, 2), currency: "USD".into(), paid_to: None, paid_when: None, financed_by_loan: Some(true), evidence: None }).unwrap();
    let w08 = store.save_fee_record(None, audit, "W-08", &serde_json::Map::new()).unwrap();
    store.add_fee(w08, &fieldaudit_core::fees::NewFee { category: FeeCategory::Visa, amount: Decimal::new(30000, 0), currency: "BDT".into(), paid_to: None, paid_when: None, financed_by_loan: None, evidence: None }).unwrap();

    // Interviews sealed to a reviewer.
    let reviewer = age::x25519::Identity::generate();
    store
        .write(|w| {
            w.set(EntityKind::ReviewerKey, Uuid::now_v7(), &[("public_key", json!(reviewer.to_public().to_string())), ("reviewer", json!("Lead")), ("revoked", json!(false)), ("deleted", json!(false))])
                .map(|_| ())
        })
        .unwrap();
    let key = store.unlock_interviews("interviewer passphrase").unwrap();
    for amount in [120000, 80000, 5000] {
        let id = store.start_interview(&key, audit, "Nadia", NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()).unwrap();
        let mut d = store.interview_draft(&key, id).unwrap();
        let mut c = InterviewContent::default();
        for (item, text) in [("setup.format", "individual"), ("setup.consent", "yes"), ("topics.fees", "loan"), ("topics.documents", "employer")] {
            c.set_answer_text(item, text).unwrap();
        }
        for item in free_text_items().unwrap() {
            c.set_answer_text(&item, &format!("{INTERVIEW_MARKER} {item}")).unwrap();
        }
        c.fees_reported.push(ReportedFees {
            fees: vec![ReportedFee { category: "placement".into(), amount: Decimal::new(amount, 0), currency: "NPR".into(), paid_to: None, paid_when: None, financed_by_loan: Some(true), note: Some(format!("fee {INTERVIEW_MARKER}")) }],
            ..Default::default()
        });
        d.content = c;
        store.save_interview_draft(&key, &d).unwrap();
        store.finalise_interview(&key, id).unwrap();
    }
    Fixture { dir, store, audit, reviewer }
}

