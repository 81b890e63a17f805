//! Scenario 11: typesetting a report. A 300-item audit (every field checklist,
//! with repeated floors and buildings) with 50 photos, all answered; the site and
//! the full report built from core's model and typeset to PDF by
//! `fieldaudit-report`. The first run makes the 50 thumbnails; later runs reuse
//! them (what a second report of the same audit costs). Target: under 2 s.

use std::time::Instant;

use anyhow::{anyhow, Result};
use chrono::NaiveDate;
use fieldaudit_core::audits::NewAudit;
use fieldaudit_core::import::FacilityRecord;
use fieldaudit_core::model::ChecklistRef;
use fieldaudit_core::report::{ReportKind, ReportRequest};
use fieldaudit_core::workspace::Control;
use fieldaudit_core::Store;
use fieldaudit_protocol::closed_sets::{AuditType, Notice};
use serde_json::{json, Value};

use crate::data::new_device;
use crate::report::{Report, Row};

/// Items the audit answers.
pub const ITEMS: u32 = 300;
/// Photos attached.
pub const PHOTOS: usize = 50;

fn photo(i: usize) -> Vec<u8> {
    // A 1600×1200 phone-like photo with detail, so the JPEG is a realistic size.
    let img = image::RgbImage::from_fn(1600, 1200, |x, y| {
        let v = ((x * 7 + y * 13 + (i as u32) * 31) ^ (x * y)) % 255;
        image::Rgb([v as u8, ((x / 8) % 255) as u8, ((y / 8 + i as u32) % 255) as u8])
    });
    let mut out = Vec::new();
    let _ = image::DynamicImage::ImageRgb8(img).write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85));
    out
}

fn value_for(control: &Control, i: usize) -> Option<Value> {
    Some(match control {
        Control::YesNo => json!(if i % 4 == 0 { "no" } else { "yes" }),
        Control::Number { min, .. } => json!(min.unwrap_or(0.0).max(0.0) as i64 + (i % 5) as i64),
        Control::Date => json!("2026-06-01"),
        Control::Text => json!(format!("Observed on the walk-through, point {i}")),
        Control::Choice { options, multiple } => {
            let o = options.get(i % options.len().max(1))?;
            if *multiple {
                json!([o.id])
            } else {
                json!(o.id)
            }
        }
        Control::Photo => return None,
    })
}

/// Builds the audit; returns the store's directory guard, the store and the audit.
fn audit() -> Result<(tempfile::TempDir, Store, uuid::Uuid)> {
    let dir = new_device("bench laptop")?;
    let mut store = Store::open(dir.path())?;
    let facility = store.add_facility(&FacilityRecord { name: "Zaber and Zubair Fabrics".into(), address: "Tongi, Gazipur".into(), country_code: "BD".into(), workers_max: Some(2400), ..Default::default() })?;
    let checklists = ["fire-safety", "emergency-preparedness", "machine-safety", "dormitories", "recruitment", "wages-hours"];
    let audit = store.start_audit(&NewAudit {
        facility_id: facility,
        checklists: checklists.iter().map(|t| ChecklistRef { template_id: (*t).into(), version: 1 }).collect(),
        audit_type: AuditType::Periodic,
        notice: Notice::Unannounced,
        start_date: NaiveDate::from_ymd_opt(2026, 11, 24).ok_or_else(|| anyhow!("bad date"))?,
        end_date: NaiveDate::from_ymd_opt(2026, 11, 26),
        auditors: vec!["Rina Akter".into(), "Li Wei".into()],
    })?;
    let mut answered = 0u32;
    let mut photos = 0usize;
    let mut round = 0;
    while answered < ITEMS && round < 20 {
        // Another instance of every repeated section, then answer what is visible.
        let ws = store.workspace(audit, "en")?;
        for c in &ws.checklists {
            for s in c.sections.iter().filter(|s| s.repeat.as_ref().is_some_and(|r| r.can_add)) {
                store.add_repeat_instance(audit, &c.template_id, &s.id, &format!("Building {}, floor {}", (b'A' + round as u8) as char, round + 1))?;
            }
        }
        let ws = store.workspace(audit, "en")?;
        answered = 0;
        for c in &ws.checklists {
            for s in &c.sections {
                for inst in &s.instances {
                    for (i, item) in inst.items.iter().enumerate() {
                        if item.computed {
                            continue;
                        }
                        if item.value.is_none() {
                            if let Some(v) = value_for(&item.control, i + round) {
                                if store.record_answer(audit, &c.template_id, &item.id, inst.instance_id, v).is_err() {
                                    continue;
                                }
                            } else if photos < PHOTOS {
                                store.add_attachment(audit, "answer", item.answer_id, &format!("photo-{photos}.jpg"), "image/jpeg", &photo(photos))?;
                                photos += 1;
                            }
                        }
                        answered += 1;
                    }
                }
            }
        }
        round += 1;
    }
    // The rest of the photos as evidence on findings.
    let findings = store.findings(audit)?;
    let mut k = 0;
    while photos < PHOTOS && !findings.is_empty() {
        let f = &findings[k % findings.len()];
        store.add_attachment(audit, "finding", f.finding.id, &format!("photo-{photos}.jpg"), "image/jpeg", &photo(photos))?;
        photos += 1;
        k += 1;
    }
    Ok((dir, store, audit))
}

/// Runs scenario 11.
pub fn report_render(report: &mut Report) -> Result<()> {
    let (_dir, store, audit) = audit()?;
    let score = store.score(audit)?;
    let photos = store.attachments(audit, None)?.len();
    eprintln!("  audit: {} items ({} answered), {} findings, {photos} photos", score.items, score.answered, store.findings(audit)?.len());
    let mut run = |kind: ReportKind, label: &str, cold: bool| -> Result<()> {
        if cold {
            fieldaudit_report::typeset::forget_layouts();
        }
        let t = Instant::now();
        let rendered = fieldaudit_report::render_report(&store, &ReportRequest { audit_id: audit, kind, lang: "en", reviewer: None })?;
        let pdf = rendered.pdf()?;
        let secs = t.elapsed().as_secs_f64();
        let metric = format!("{label}: {} items, {photos} photos → {} pages, {} KiB", score.answered, rendered.page_count(), pdf.len() / 1024);
        report.add(Row { scenario: "11".into(), metric, value: secs, unit: "s".into(), baseline: None, slowdown: None, target: Some("< 2 s".into()), met: Some(secs < 2.0) });
        Ok(())
    };
    run(ReportKind::Site, "site report, thumbnails made (first report)", true)?;
    run(ReportKind::Site, "site report, thumbnails cached, layout from nothing", true)?;
    run(ReportKind::Site, "site report again, typst's layout memo warm (a preview after an edit)", false)?;
    run(ReportKind::Full, "full report (every answer), thumbnails cached, layout from nothing", true)?;
    Ok(())
}
