//! Reports made from a scripted audit, read back as a person's tools would:
//! `pdftotext` (text layer), `pdffonts` (embedded fonts), and `report verify`'s
//! own reader; a tampered copy and a later change to the audit.

use std::path::Path;
use std::process::Command;

use fieldaudit_core::report::{AuditSinceSignOff, ReportKind, ReportRequest};
use fieldaudit_core::Store;
use fieldaudit_report::verify::{verify_pdf, Verification};
use uuid::Uuid;

mod common;
use common::*;

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| panic!("{name} is needed for this test (poppler-utils; scripts/install-deps.sh installs it): {e}"));
    assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The text layer in reading order (a table cell's lines stay together, so
/// [`squash`] joins a wrapped cell back into its text).
fn pdftotext(path: &Path) -> String {
    tool("pdftotext", &[path.to_str().unwrap(), "-"])
}

fn write(f: &Fixture, kind: ReportKind, lang: &str, reviewer: bool, name: &str) -> std::path::PathBuf {
    let out = f.dir.path().join(name);
    let req = ReportRequest { audit_id: f.audit, kind, lang, reviewer: reviewer.then_some(&f.reviewer) };
    let written = fieldaudit_report::write_report_pdf(&f.store, &req, &out).unwrap();
    assert!(written.pages >= 1);
    out
}

/// pdftotext breaks lines; compare with whitespace removed.
fn squash(s: &str) -> String {
    s.split_whitespace().collect()
}

#[test]
fn the_site_report_has_findings_cap_and_fees_and_no_interview_content() {
    let f = fixture();
    let pdf = write(&f, ReportKind::Site, "en", true, "site.pdf");
    let text = pdftotext(&pdf);
    let flat = squash(&text);
    for expected in [
        "Site audit report",
        "Building B, floor 3",
        "Exit 3 chained at 10:40",
        "Mr Chen, EHS manager",
        "2026-12-02",
        "Doors chained against theft",
        "1250.50",
        "30000",
        "W-07",
        "What blocks production",
        "Interviews held (sealed)",
        "DRAFT",
    ] {
        assert!(flat.contains(&squash(expected)), "{expected:?} missing from the site report:\n{text}");
    }
    // Every finding is there by its title.
    for finding in f.store.findings(f.audit).unwrap() {
        let title = finding.finding.title.unwrap();
        assert!(flat.contains(&squash(&title)), "finding {title:?} missing:\n{text}");
    }
    // Hostile markup is printed as typed.
    assert!(flat.contains(&squash(HOSTILE)), "the note with typst markup was not printed literally:\n{text}");
    assert!(!text.contains(INTERVIEW_MARKER), "interview content in a site report");
    assert!(!text.contains("NPR"), "interview fee currency in a site report");
    // Draft on every page.
    let pages: usize = tool("pdfinfo", &[pdf.to_str().unwrap()]).lines().find_map(|l| l.strip_prefix("Pages:").map(|n| n.trim().parse().unwrap())).unwrap();
    for p in 1..=pages {
        let page = tool("pdftotext", &["-f", &p.to_string(), "-l", &p.to_string(), pdf.to_str().unwrap(), "-"]);
        assert!(page.contains("DRAFT"), "page {p} does not say DRAFT");
        assert!(page.contains(&format!("Page {p} / {pages}")), "page {p} has no page number:\n{page}");
    }
}

#[test]
fn the_full_report_shows_interviews_only_in_aggregate_and_only_with_a_key() {
    let f = fixture();
    let sealed = pdftotext(&write(&f, ReportKind::Full, "en", false, "full-sealed.pdf"));
    assert!(squash(&sealed).contains(&squash("Interview results are sealed to the reviewers")), "{sealed}");
    assert!(!sealed.contains("Workers interviewed"));
    let text = pdftotext(&write(&f, ReportKind::Full, "en", true, "full.pdf"));
    let flat = squash(&text);
    for expected in ["Full audit report", "Contents", "Checklist answers", "Interview results (aggregate)", "Workers interviewed", "NPR", "205000"] {
        assert!(flat.contains(&squash(expected)), "{expected:?} missing from the full report:\n{text}");
    }
    assert!(!text.contains(INTERVIEW_MARKER), "a single interview's text in the full report");
    assert!(!text.contains("120000") && !text.contains("80000"), "one interview's fee is shown on its own");
}

#[test]
fn chinese_and_bengali_text_is_in_the_text_layer_with_embedded_fonts() {
    let f = fixture();
    let pdf = write(&f, ReportKind::Site, "bn", false, "bn.pdf");
    let text = pdftotext(&pdf);
    assert!(text.contains(CHINESE_NAME), "Chinese facility name missing:\n{text}");
    assert!(squash(&text).contains(&squash(BENGALI_NOTE)), "Bengali note missing:\n{text}");
    assert!(text.contains("সাইট অডিট প্রতিবেদন"), "the Bengali title is missing");
    let fonts = tool("pdffonts", &[pdf.to_str().unwrap()]);
    let embedded = |family: &str| fonts.lines().any(|l| l.contains(family) && l.split_whitespace().rev().nth(4) == Some("yes"));
    assert!(embedded("NotoSansCJK"), "no embedded CJK font:\n{fonts}");
    assert!(embedded("NotoSansBengali"), "no embedded Bengali font:\n{fonts}");
    let hi = pdftotext(&write(&f, ReportKind::Site, "hi", false, "hi.pdf"));
    assert!(hi.contains("साइट ऑडिट रिपोर्ट"), "{hi}");
}

/// Rewrites the embedded sign-off with one byte of the signed content changed.
fn tamper(pdf: &[u8]) -> Vec<u8> {
    let mut doc = lopdf::Document::load_mem(pdf).unwrap();
    let ids: Vec<lopdf::ObjectId> = doc.objects.keys().copied().collect();
    let mut done = false;
    for id in ids {
        let Ok(stream) = doc.get_object(id).and_then(lopdf::Object::as_stream) else { continue };
        let Ok(content) = stream.get_plain_content() else { continue };
        let Ok(text) = String::from_utf8(content) else { continue };
        if !text.contains("\"signed_content\"") {
            continue;
        }
        let changed = text.replacen("Exit 3 chained", "Exit 3 chaineD", 1);
        assert_ne!(changed, text);
        let mut s = lopdf::Stream::new(lopdf::Dictionary::new(), changed.into_bytes());
        s.dict.set("Type", lopdf::Object::Name(b"EmbeddedFile".to_vec()));
        *doc.get_object_mut(id).unwrap() = lopdf::Object::Stream(s);
        done = true;
    }
    assert!(done, "no embedded sign-off found to tamper with");
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn verify_accepts_the_signed_report_rejects_a_tampered_one_and_sees_later_changes() {
    let mut f = fixture();
    let draft = std::fs::read(write(&f, ReportKind::Site, "en", false, "draft.pdf")).unwrap();
    assert!(matches!(verify_pdf(&f.store, &draft).unwrap(), Verification::Draft));

    f.store.sign_off_audit(f.audit, "Rina Akter").unwrap();
    let path = write(&f, ReportKind::Site, "en", false, "signed.pdf");
    let text = pdftotext(&path);
    assert!(!text.contains("DRAFT"), "a signed report says DRAFT");
    let digest = f.store.audit_digest(f.audit).unwrap();
    assert!(squash(&text).contains(&digest), "the digest is not printed in the sign-off block");
    let signed = std::fs::read(&path).unwrap();
    match verify_pdf(&f.store, &signed).unwrap() {
        Verification::Checked(c) => {
            assert!(c.authentic(), "{c:?}");
            assert_eq!(c.since, AuditSinceSignOff::Unchanged);
            assert_eq!(c.digest, digest);
        }
        other => panic!("{other:?}"),
    }
    // On another device without the audit: authentic, not here.
    let other = tempfile::tempdir().unwrap();
    let elsewhere = Store::create(other.path(), "office").unwrap();
    match verify_pdf(&elsewhere, &signed).unwrap() {
        Verification::Checked(c) => assert!(c.authentic() && c.since == AuditSinceSignOff::NotOnThisDevice),
        other => panic!("{other:?}"),
    }

    let tampered = tamper(&signed);
    match verify_pdf(&f.store, &tampered).unwrap() {
        Verification::Checked(c) => assert!(!c.content_matches_digest && !c.authentic(), "{c:?}"),
        other => panic!("{other:?}"),
    }

    // A signed audit changes only after it is reopened for correction.
    f.store.reopen_audit(f.audit, "alarm note was incomplete").unwrap();
    f.store.set_answer_note(f.audit, "fire-safety", "equipment.alarm_audible", None, "heard after repair").unwrap();
    match verify_pdf(&f.store, &signed).unwrap() {
        Verification::Checked(c) => assert!(c.authentic() && c.since == AuditSinceSignOff::Changed, "{c:?}"),
        other => panic!("{other:?}"),
    }
    // A report made now is a draft again, and says why.
    let again = pdftotext(&write(&f, ReportKind::Site, "en", false, "again.pdf"));
    assert!(again.contains("DRAFT") && squash(&again).contains(&squash("reopened for correction after it was signed off")), "{again}");

    assert!(verify_pdf(&f.store, b"not a pdf").unwrap_err().to_string().contains("not a PDF"));
}

#[test]
fn bad_input_gets_a_clear_error_and_leaves_no_file() {
    let f = fixture();
    let out = f.dir.path().join("bad.pdf");
    let req = |lang| ReportRequest { audit_id: f.audit, kind: ReportKind::Site, lang, reviewer: None };
    let err = fieldaudit_report::write_report_pdf(&f.store, &req("xx"), &out).unwrap_err().to_string();
    assert!(err.contains("unknown language") && err.contains("zh-Hans"), "{err}");
    let unknown = ReportRequest { audit_id: Uuid::now_v7(), kind: ReportKind::Site, lang: "en", reviewer: None };
    let err = fieldaudit_report::write_report_pdf(&f.store, &unknown, &out).unwrap_err().to_string();
    assert!(err.contains("audit"), "{err}");
    let nowhere = f.dir.path().join("no-such-folder").join("r.pdf");
    let err = fieldaudit_report::write_report_pdf(&f.store, &req("en"), &nowhere).unwrap_err().to_string();
    assert!(err.contains("does not exist"), "{err}");
    let err = fieldaudit_report::write_report_pdf(&f.store, &req("en"), f.dir.path()).unwrap_err().to_string();
    assert!(err.contains("is a folder"), "{err}");
    let leftovers: Vec<_> = std::fs::read_dir(f.dir.path()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".pdf") || n.ends_with(".part")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn thumbnails_are_upright_cached_and_small() {
    let f = fixture();
    // 600×300 landscape pixels with EXIF "rotate 90° clockwise": a portrait photo.
    let bytes = jpeg(600, 300, Some(6));
    let sha = fieldaudit_core::attachments::sha256_hex(&bytes);
    let answer = f.store.answers(f.audit).unwrap()[0].id;
    let mut store = f.store;
    store.add_attachment(f.audit, "answer", answer, "portrait.jpg", "image/jpeg", &bytes).unwrap();
    let thumb = fieldaudit_report::thumbnails::thumbnail(&store, &sha).unwrap().unwrap();
    let img = image::load_from_memory(&thumb).unwrap();
    assert_eq!((img.width(), img.height()), (240, 480), "turned upright and scaled to the long edge");
    assert!(fieldaudit_report::thumbnails::thumbnail_path(&store, &sha).exists(), "cached");
    assert!(thumb.len() < bytes.len() * 2);
    assert_eq!(fieldaudit_report::thumbnails::thumbnail(&store, &"0".repeat(64)).unwrap(), None, "a photo not on this device");

    // Many at once (a report's first rendering): each photo its own thumbnail, in
    // order; a missing photo or a bad digest gets the placeholder.
    let more: Vec<Vec<u8>> = (0..5).map(|i| jpeg(200 + i * 10, 100, None)).collect();
    let mut digests = Vec::new();
    for (i, b) in more.iter().enumerate() {
        store.add_attachment(f.audit, "answer", answer, &format!("p{i}.jpg"), "image/jpeg", b).unwrap();
        digests.push(fieldaudit_core::attachments::sha256_hex(b));
    }
    digests.push("0".repeat(64));
    digests.push("not a digest".into());
    let made = fieldaudit_report::thumbnails::thumbnails(&store, &digests);
    assert_eq!(made.iter().map(|(d, _)| d.clone()).collect::<Vec<_>>(), digests, "one per digest, in order");
    for (i, (_, thumb)) in made.iter().take(5).enumerate() {
        let img = image::load_from_memory(thumb).unwrap();
        assert_eq!(img.width(), 200 + i as u32 * 10, "photo {i} got its own thumbnail");
    }
    let placeholder = fieldaudit_report::thumbnails::placeholder();
    assert_eq!(made[5].1, placeholder);
    assert_eq!(made[6].1, placeholder);
}

#[test]
fn a_follow_up_report_lists_the_previous_findings_with_what_the_visit_found() {
    use fieldaudit_core::follow_up::{FollowUpKind, NewFollowUp, VerificationInput};
    use fieldaudit_protocol::closed_sets::{FollowUpStatus, Notice, Severity, VerificationMethod};

    let mut f = fixture();
    let facility = f.store.audit(f.audit).unwrap().facility_id.unwrap();
    let earlier = f.store.findings(f.audit).unwrap();
    let critical = earlier.iter().find(|x| x.finding.severity == Some(Severity::Critical)).unwrap().finding.id;
    f.store.sign_off_audit(f.audit, "Rina Akter").unwrap();
    let follow_up = f
        .store
        .start_follow_up(&NewFollowUp {
            facility_id: facility,
            kind: FollowUpKind::Partial,
            checklists: Vec::new(),
            notice: Notice::Announced,
            start_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 20).unwrap(),
            auditors: vec!["Li Wei".into()],
        })
        .unwrap();
    f.store
        .record_verification(
            follow_up,
            critical,
            &VerificationInput {
                status: FollowUpStatus::Closed,
                method: VerificationMethod::OnSite,
                evidence_reviewed: "Panic bars fitted on exit 3".into(),
                note: "Walked every exit".into(),
                verified_by: "Li Wei".into(),
                verified_on: chrono::NaiveDate::from_ymd_opt(2026, 12, 20).unwrap(),
            },
        )
        .unwrap();

    let out = f.dir.path().join("follow-up.pdf");
    let req = ReportRequest { audit_id: follow_up, kind: ReportKind::Site, lang: "en", reviewer: None };
    fieldaudit_report::write_report_pdf(&f.store, &req, &out).unwrap();
    let flat = squash(&pdftotext(&out));
    for expected in ["Previous findings", "Closed", "On site", "Panic bars fitted on exit 3", "Li Wei, 2026-12-20", "2026-11-24", "Fix by"] {
        assert!(flat.contains(&squash(expected)), "{expected:?} missing from the follow-up report: {flat}");
    }
    if earlier.len() > 1 {
        assert!(flat.contains(&squash("Not yet verified")), "an earlier finding not verified yet is listed as such: {flat}");
    }

    // The earlier audit's own report has no such section.
    let first = pdftotext(&write(&f, ReportKind::Site, "en", false, "first.pdf"));
    assert!(!squash(&first).contains(&squash("Previous findings")), "{first}");
}
