//! The corrective-action loop on devices syncing through a real server: a signed
//! audit stays as signed when an offline edit races the sign-off (both backends),
//! and the full loop from findings to a follow-up that verifies them.

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use fieldaudit_core::audits::NewAudit;
use fieldaudit_core::follow_up::{FollowUpKind, HistoryStep, NewFollowUp, VerificationInput};
use fieldaudit_core::import::FacilityRecord;
use fieldaudit_core::model::ChecklistRef;
use fieldaudit_protocol::api::Role;
use fieldaudit_protocol::corrective::SiteResponse;
use fieldaudit_server::ServerConfig;
use fieldaudit_tests::{pg_base_url, Backend, Cluster, Device};
use serde_json::json;
use uuid::Uuid;

const FIRE: &str = "fire-safety";

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn cluster(backend: Backend) -> Cluster {
    let mut c = Cluster::new(backend, ServerConfig::default());
    c.organisation("acme", &["rina", "tomas"]);
    c.start();
    c
}

/// A fire-safety audit with a locked exit (critical) and an inaudible alarm (major).
fn audit_with_findings(device: &Device) -> (Uuid, Uuid) {
    audit_at(device, "Zaber and Zubair Fabrics")
}

/// [`audit_with_findings`] at a new facility named `name`: (facility, audit).
fn audit_at(device: &Device, name: &str) -> (Uuid, Uuid) {
    let mut store = device.store();
    let facility = store
        .add_facility(&FacilityRecord {
            name: name.into(),
            address: "Tongi, Gazipur".into(),
            country_code: "BD".into(),
            ..Default::default()
        })
        .unwrap();
    let audit = store
        .start_audit(&NewAudit {
            facility_id: facility,
            checklists: vec![ChecklistRef {
                template_id: FIRE.into(),
                version: 1,
            }],
            audit_type: fieldaudit_protocol::closed_sets::AuditType::Initial,
            notice: fieldaudit_protocol::closed_sets::Notice::Unannounced,
            start_date: day("2026-11-24"),
            end_date: Some(day("2026-11-26")),
            auditors: vec!["Rina".into(), "Tomas".into()],
        })
        .unwrap();
    let floor = store
        .add_repeat_instance(audit, FIRE, "floor", "Ground floor")
        .unwrap();
    store
        .record_answer(audit, FIRE, "floor.exit_locked", Some(floor), json!("yes"))
        .unwrap();
    store
        .record_answer(audit, FIRE, "equipment.alarm_audible", None, json!("no"))
        .unwrap();
    (facility, audit)
}

fn finding_of(device: &Device, audit: Uuid, item: &str) -> Uuid {
    device
        .store()
        .findings(audit)
        .unwrap()
        .into_iter()
        .find(|f| f.finding.item_id.as_deref() == Some(item))
        .unwrap()
        .finding
        .id
}

/// Tomas edits offline before he learns that Rina signed the audit off: the
/// server refuses his edit, the signed audit stays as signed everywhere, and his
/// edit is kept in his quarantine with the reason, to take in after a reopening.
fn sign_off_races_an_offline_edit(backend: Backend) {
    let c = cluster(backend);
    let url = c.urls()[0].clone();
    let (a, b) = (Device::new("Rina's laptop"), Device::new("Tomas's laptop"));
    a.login(&url, "acme", "rina");
    b.login(&url, "acme", "tomas");
    let (_facility, audit) = audit_with_findings(&a);
    a.sync().unwrap();
    b.sync().unwrap();

    // Offline on Tomas's laptop: a note on the alarm.
    b.store()
        .set_answer_note(
            audit,
            FIRE,
            "equipment.alarm_audible",
            None,
            "heard in the canteen only",
        )
        .unwrap();
    // Meanwhile Rina signs off and syncs first.
    a.store().sign_off_audit(audit, "Rina Akter").unwrap();
    a.sync().unwrap();
    let digest = a.store().audit_digest(audit).unwrap();

    let report = b.sync().unwrap();
    assert_eq!(report.rejected, 1, "{report:?}");
    let held = b.store().quarantine().unwrap();
    assert_eq!(
        (held.len(), held[0].code.as_str(), held[0].field.as_str()),
        (1, "audit_signed", "note"),
        "{held:?}"
    );
    assert!(held[0].message.contains("reopen"), "{}", held[0].message);
    assert_eq!(
        held[0].value,
        json!("heard in the canteen only"),
        "the edit is kept, not lost"
    );

    a.sync().unwrap();
    assert_eq!(
        a.store().audit_digest(audit).unwrap(),
        digest,
        "the signed audit is unchanged on the signer's laptop"
    );
    assert!(a.store().verify_signoffs(audit).unwrap()[0].stands());
    let server = c.server_store();
    let org =
        c.rt.block_on(server.organisation_by_slug("acme"))
            .unwrap()
            .unwrap();
    let answer = fieldaudit_core::model::answer_id(audit, FIRE, "equipment.alarm_audible", None);
    let note =
        c.rt.block_on(server.field_value(org.id, "answer", answer, "note"))
            .unwrap();
    assert!(
        note.as_ref().is_none_or(|n| n.value.is_null()),
        "the server kept the signed note: {note:?}"
    );
    // Taking it in needs a reopening first.
    assert!(b
        .store()
        .retake_quarantined(held[0].device_seq)
        .unwrap_err()
        .to_string()
        .contains("signed off"));

    // Rina reopens for correction; Tomas takes his edit in.
    a.store()
        .reopen_audit(audit, "Tomas's note on the alarm")
        .unwrap();
    a.sync().unwrap();
    b.sync().unwrap();
    b.store().retake_quarantined(held[0].device_seq).unwrap();
    assert!(b.store().quarantine().unwrap().is_empty());
    let report = b.sync().unwrap();
    assert_eq!(report.rejected, 0, "{report:?}");
    a.sync().unwrap();
    let answers = a.store().answers(audit).unwrap();
    let alarm = answers
        .iter()
        .find(|x| x.item_id.as_deref() == Some("equipment.alarm_audible"))
        .unwrap();
    assert_eq!(alarm.note.as_deref(), Some("heard in the canteen only"));
    let checks = a.store().verify_signoffs(audit).unwrap();
    assert!(checks[0].voided && !checks[0].stands(), "{checks:?}");
}

#[test]
fn a_sign_off_racing_an_offline_edit_on_sqlite() {
    sign_off_races_an_offline_edit(Backend::Sqlite);
}

#[test]
fn a_sign_off_racing_an_offline_edit_on_postgres() {
    let Some(url) = pg_base_url() else { return };
    sign_off_races_an_offline_edit(Backend::Postgres(url));
}

/// Fills the CAP workbook as a supplier would, with openpyxl.
/// The first of `python3` on PATH and the distribution's /usr/bin/python3 that can
/// import openpyxl (scripts/install-deps.sh installs python3-openpyxl for the latter).
fn python_with_openpyxl() -> &'static str {
    static FOUND: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    FOUND.get_or_init(|| {
        ["python3", "/usr/bin/python3"]
            .into_iter()
            .find(|p| {
                Command::new(p)
                    .args(["-c", "import openpyxl"])
                    .status()
                    .is_ok_and(|s| s.success())
            })
            .expect("no python3 with openpyxl: run scripts/install-deps.sh")
    })
}

/// After saving, `INFLATE = (MARKER, TEXT)` in a script replaces MARKER by TEXT in
/// the saved file's XML: a cell longer than openpyxl (and Excel) write, as a
/// broken or hostile tool could.
const INFLATE: &str = "INFLATE = globals().get('INFLATE')
if INFLATE:
    import shutil, zipfile
    marker, text = INFLATE
    with zipfile.ZipFile(sys.argv[2]) as zin, zipfile.ZipFile(sys.argv[2] + '.tmp', 'w', zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.endswith('.xml'):
                data = data.replace(marker.encode(), text.encode())
            zout.writestr(item, data)
    shutil.move(sys.argv[2] + '.tmp', sys.argv[2])
";

fn fill_as_supplier(input: &Path, output: &Path, script_body: &str) {
    let script = format!(
        "import openpyxl, sys\nwb = openpyxl.load_workbook(sys.argv[1])\nws = wb['CAP']\n{script_body}\nwb.save(sys.argv[2])\n{INFLATE}"
    );
    let status = Command::new(python_with_openpyxl())
        .arg("-c")
        .arg(script)
        .arg(input)
        .arg(output)
        .status()
        .expect("python3 with openpyxl (scripts/install-deps.sh)");
    assert!(status.success(), "the supplier's script failed");
}

/// The whole loop on two laptops and a reviewer's: an audit with critical and
/// major findings → sign-off with the site's acknowledgement → the CAP exported,
/// filled by the supplier, imported, accepted → a follow-up on the other laptop
/// verifies one finding closed and one in progress → the original findings and
/// their history show it, and the follow-up lists the previous findings.
#[test]
fn the_corrective_action_loop_on_two_devices() {
    let c = cluster(Backend::Sqlite);
    c.rt.block_on(fieldaudit_server::admin::add_user(
        c.server_store().as_ref(),
        "acme",
        "lena",
        fieldaudit_tests::server::PASSWORD,
        Role::Reviewer,
    ))
    .unwrap();
    let url = c.urls()[0].clone();
    let (a, b, r) = (
        Device::new("Rina's laptop"),
        Device::new("Tomas's laptop"),
        Device::new("Lena's laptop"),
    );
    a.login(&url, "acme", "rina");
    b.login(&url, "acme", "tomas");
    r.login(&url, "acme", "lena");

    // The audit, acknowledged by the site (the alarm disputed) and signed off.
    let (facility, audit) = audit_with_findings(&a);
    let (exit, alarm) = (
        finding_of(&a, audit, "floor.exit_locked"),
        finding_of(&a, audit, "equipment.alarm_audible"),
    );
    {
        let mut s = a.store();
        s.acknowledge_audit(audit, "Md. Karim", "Compliance manager")
            .unwrap();
        s.record_site_response(exit, SiteResponse::Agreed, "")
            .unwrap();
        s.record_site_response(
            alarm,
            SiteResponse::Disputed,
            "The alarm was being serviced that day",
        )
        .unwrap();
        s.sign_off_audit(audit, "Rina Akter").unwrap();
    }
    a.sync().unwrap();

    // The CAP workbook goes to the supplier and comes back filled.
    let dir = tempfile::tempdir().unwrap();
    let (sent, back) = (
        dir.path().join("cap.xlsx"),
        dir.path().join("cap-filled.xlsx"),
    );
    std::fs::write(
        &sent,
        a.store()
            .export_cap_workbook(facility, day("2026-11-27"))
            .unwrap(),
    )
    .unwrap();
    fill_as_supplier(
        &sent,
        &back,
        "for row in ws.iter_rows(min_row=2):\n    if row[0].value:\n        row[8].value = 'Exit padlocked against theft' if row[2].value == 'critical' else 'Alarm panel not maintained'\n        row[9].value = 'Remove padlocks; fit push bars' if row[2].value == 'critical' else 'Service contract; weekly test'\n        row[11].value = 'Facility manager'\n        row[12].value = '2026-12-20'",
    );
    let bytes = std::fs::read(&back).unwrap();
    let preview = a
        .store()
        .read_cap_workbook("cap-filled.xlsx", &bytes, day("2026-11-28"))
        .unwrap();
    assert!(preview.problems.is_empty(), "{:?}", preview.problems);
    assert_eq!(preview.rows.len(), 2);
    assert!(
        preview
            .rows
            .iter()
            .all(|row| row.changes.iter().any(|ch| ch.field == "Corrective action")),
        "{:?}",
        preview.rows
    );
    a.store()
        .import_cap_workbook("cap-filled.xlsx", &bytes, day("2026-11-28"))
        .unwrap();
    a.sync().unwrap();

    // The reviewer accepts both responses.
    r.sync().unwrap();
    let pending = r.store().pending_supplier_responses().unwrap();
    assert_eq!(pending.len(), 2);
    for p in &pending {
        r.store().accept_supplier_response(p.id).unwrap();
    }
    assert_eq!(r.sync().unwrap().rejected, 0);

    // The reviewer files the supplier's photo of the fix with the exit's CAP item:
    // evidence added after sign-off, which a reviewer may add (not on the team).
    let action = r
        .store()
        .findings(audit)
        .unwrap()
        .into_iter()
        .find(|f| f.finding.id == exit)
        .unwrap()
        .actions[0]
        .id;
    r.store()
        .add_attachment(audit, "corrective_action", action, "push-bars.jpg", "image/jpeg", b"PUSH-BARS-PHOTO")
        .unwrap();
    let sent = r.sync().unwrap();
    assert_eq!(sent.rejected, 0, "{:?}", r.store().quarantine().unwrap());
    a.sync().unwrap();
    let evidence = a.store().attachments(audit, Some(action)).unwrap();
    assert_eq!(
        evidence.iter().map(|x| x.file_name.as_deref()).collect::<Vec<_>>(),
        [Some("push-bars.jpg")],
        "the team's laptop receives the reviewer's evidence"
    );

    // Tomas follows up on his laptop: the exit is fixed, the alarm is on its way.
    b.sync().unwrap();
    let follow = b
        .store()
        .start_follow_up(&NewFollowUp {
            facility_id: facility,
            kind: FollowUpKind::Partial,
            checklists: vec![],
            notice: fieldaudit_protocol::closed_sets::Notice::Announced,
            start_date: day("2027-01-12"),
            auditors: vec!["Tomas".into()],
        })
        .unwrap();
    let verify = |finding, status: &str, evidence: &str| {
        b.store()
            .record_verification(
                follow,
                finding,
                &VerificationInput {
                    status: status.parse().unwrap(),
                    method: fieldaudit_protocol::closed_sets::VerificationMethod::OnSite,
                    evidence_reviewed: evidence.into(),
                    note: String::new(),
                    verified_by: "Tomas".into(),
                    verified_on: day("2027-01-12"),
                },
            )
            .unwrap()
    };
    verify(exit, "closed", "Push bars fitted on all exits; photo");
    verify(
        alarm,
        "progress_made",
        "Service contract signed; panel not yet replaced",
    );
    assert_eq!(
        b.sync().unwrap().rejected,
        0,
        "CAP progress on a signed audit is accepted"
    );

    // Back on Rina's laptop: the original findings show it, the signature holds.
    a.sync().unwrap();
    let s = a.store();
    let items = s.cap_items(audit, day("2027-01-13")).unwrap();
    let item = |f: Uuid| items.iter().find(|i| i.finding.id == f).unwrap();
    assert_eq!(
        (
            item(exit).action.status.map(|v| v.as_str()),
            item(exit).finding.follow_up_status.map(|v| v.as_str())
        ),
        (Some("verified"), Some("closed"))
    );
    assert_eq!(
        (
            item(alarm).action.status.map(|v| v.as_str()),
            item(alarm).finding.follow_up_status.map(|v| v.as_str())
        ),
        (Some("in_progress"), Some("progress_made"))
    );
    assert_eq!(item(exit).finding.verified_in, Some(follow));
    assert!(item(alarm)
        .accepted_response
        .as_ref()
        .is_some_and(|p| p.corrective_action.as_deref() == Some("Service contract; weekly test")));
    assert!(
        s.verify_signoffs(audit).unwrap()[0].stands(),
        "CAP progress and verification do not break the signature"
    );
    let steps: Vec<HistoryStep> = s
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
            HistoryStep::SiteDisputed,
            HistoryStep::SignedOff,
            HistoryStep::SupplierResponded,
            HistoryStep::ResponseAccepted,
            HistoryStep::ProgressMade
        ],
        "{steps:?}"
    );
    // The follow-up lists the previous findings with their status.
    let previous = s.previous_findings(follow).unwrap();
    let status: Vec<(Uuid, Option<String>)> = previous
        .iter()
        .map(|p| (p.finding.id, p.verification.status.map(|v| v.as_str().to_owned())))
        .collect();
    assert_eq!(
        status,
        vec![
            (exit, Some("closed".into())),
            (alarm, Some("progress_made".into()))
        ]
    );
    // …and so does the follow-up's report input (the audit export reports read).
    let report = serde_json::to_value(s.export_audit(follow).unwrap()).unwrap();
    let listed: Vec<(String, String)> = report["previous_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["finding"]["title"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                p["verification"]["status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(
        listed.iter().map(|(_, st)| st.as_str()).collect::<Vec<_>>(),
        vec!["closed", "progress_made"],
        "{listed:?}"
    );
    // …and the follow-up's PDF report, as a reader's tool (pdftotext) sees it.
    let out = tempfile::tempdir().unwrap();
    let pdf = out.path().join("follow-up-report.pdf");
    let req = fieldaudit_core::report::ReportRequest {
        audit_id: follow,
        kind: fieldaudit_core::report::ReportKind::Site,
        lang: "en",
        reviewer: None,
    };
    fieldaudit_report::write_report_pdf(&s, &req, &pdf).unwrap();
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils; scripts/install-deps.sh installs it)");
    let text: String = String::from_utf8_lossy(&text.stdout).split_whitespace().collect();
    for expected in ["Previousfindings", "Closed", "Progressmade"] {
        assert!(text.contains(expected), "{expected} missing from the follow-up report: {text}");
    }
    // The next follow-up carries only the alarm.
    drop(s);
    let next = a
        .store()
        .start_follow_up(&NewFollowUp {
            facility_id: facility,
            kind: FollowUpKind::Partial,
            checklists: vec![],
            notice: fieldaudit_protocol::closed_sets::Notice::Announced,
            start_date: day("2027-03-01"),
            auditors: vec!["Rina".into()],
        })
        .unwrap();
    assert_eq!(
        a.store()
            .previous_findings(next)
            .unwrap()
            .iter()
            .map(|p| p.finding.id)
            .collect::<Vec<_>>(),
        vec![alarm]
    );
}

/// Bad supplier workbooks are refused whole, each problem with its row and
/// reason, and nothing is stored.
#[test]
fn bad_supplier_workbooks_are_refused_with_the_row_and_the_reason() {
    let d = Device::new("Rina's laptop");
    let (facility, _audit) = audit_with_findings(&d);
    let (_other_facility, other_audit) = audit_at(&d, "Hasan Knit Composite");
    let foreign = d.store().findings(other_audit).unwrap()[0].actions[0].id;
    let dir = tempfile::tempdir().unwrap();
    let sent = dir.path().join("cap.xlsx");
    std::fs::write(
        &sent,
        d.store()
            .export_cap_workbook(facility, day("2026-11-27"))
            .unwrap(),
    )
    .unwrap();
    // Row 2 is answered well in every file; row 3 carries the fault.
    let good = "ws.cell(row=2, column=10).value = 'Remove padlocks'\n";
    let cases: [(&str, String, &str); 8] = [
        ("wrong sheet", "ws.title = 'Sheet1'".into(), "no sheet named \"CAP\""),
        ("another facility's id", format!("ws.cell(row=3, column=1).value = '{foreign}'\nws.cell(row=3, column=10).value = 'x'"), "row 3: CAP item"),
        ("a date in the past", "ws.cell(row=3, column=13).value = '2020-01-01'".into(), "row 3: cell M3: the planned completion date 2020-01-01 is in the past"),
        ("an unparseable date", "ws.cell(row=3, column=13).value = 'next month'".into(), "row 3: cell M3: \"next month\" is not a date"),
        ("a 50,000-character cell", "ws.cell(row=3, column=9).value = 'LONGCELL'\nINFLATE = ('LONGCELL', 'x' * 50000)".into(), "row 3: cell I3 (Root cause) has 50000 characters"),
        ("a name of 300 characters", "ws.cell(row=3, column=12).value = 'n' * 300".into(), "row 3: cell L3 (Responsible person) has 300 characters"),
        ("no answer at all", "ws.cell(row=2, column=10).value = None".into(), "no CAP item is answered"),
        ("a formula", "ws.cell(row=3, column=10).value = '=A3&\"!\"'".into(), "row 3: cell J3 holds a formula"),
    ];
    for (what, fault, expected) in cases {
        let back = dir.path().join("back.xlsx");
        fill_as_supplier(&sent, &back, &format!("{good}{fault}"));
        let bytes = std::fs::read(&back).unwrap();
        let e = d
            .store()
            .import_cap_workbook("back.xlsx", &bytes, day("2026-11-28"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(expected) && e.contains("nothing changed"),
            "{what}: {e}"
        );
        if what == "another facility's id" {
            assert!(e.contains("belongs to another facility"), "{e}");
        }
        assert!(
            d.store().pending_supplier_responses().unwrap().is_empty(),
            "{what}: nothing applied"
        );
    }
    // The good row alone goes in.
    let back = dir.path().join("back.xlsx");
    fill_as_supplier(&sent, &back, good);
    d.store()
        .import_cap_workbook(
            "back.xlsx",
            &std::fs::read(&back).unwrap(),
            day("2026-11-28"),
        )
        .unwrap();
    assert_eq!(d.store().pending_supplier_responses().unwrap().len(), 1);
    // The same file again is refused: its answer is already waiting for a reviewer.
    let e = d
        .store()
        .import_cap_workbook(
            "back.xlsx",
            &std::fs::read(&back).unwrap(),
            day("2026-11-28"),
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("row 2: ") && e.contains("already waiting for a reviewer"),
        "{e}"
    );
    assert_eq!(d.store().pending_supplier_responses().unwrap().len(), 1);
}
