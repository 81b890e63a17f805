//! `fieldaudit audit report`, `report verify`, `export` and `facility export` as a
//! script uses them: what they write, what they say, their exit codes, and that bad
//! input leaves no file behind.

use std::path::Path;
use std::process::{Command, Output};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldaudit")).arg("--data-dir").arg(dir).args(args).env_remove("FIELDAUDIT_LANG").output().unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail; returns what it said (stdout and stderr).
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(!out.status.success(), "{args:?} should fail: {}", String::from_utf8_lossy(&out.stdout));
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn pdftotext(pdf: &Path) -> String {
    let out = Command::new("pdftotext").arg(pdf).arg("-").output().expect("pdftotext (poppler-utils; scripts/install-deps.sh installs it)");
    assert!(out.status.success(), "pdftotext {}: {}", pdf.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Files in `dir` other than the data directory's own.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".pdf") || n.ends_with(".part") || n.ends_with(".zip") || n.ends_with(".xlsx") || n.ends_with(".csv")).collect();
    names.sort();
    names
}

/// A copy of `pdf` with one byte of the embedded signed content changed.
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
        let changed = text.replacen("Chained", "Chaines", 1);
        assert_ne!(changed, text, "the note is in the signed content");
        let mut s = lopdf::Stream::new(lopdf::Dictionary::new(), changed.into_bytes());
        s.dict.set("Type", lopdf::Object::Name(b"EmbeddedFile".to_vec()));
        *doc.get_object_mut(id).unwrap() = lopdf::Object::Stream(s);
        done = true;
    }
    assert!(done, "no embedded sign-off in the PDF");
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn report_verify_and_exports_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(dir, &["init", "--device-name", "Shenzhen laptop"]);
    let facility = ok(dir, &["facility", "add", "--name", "深圳华强电子厂", "--country", "China", "--address", "Bao'an, Shenzhen"]).trim().to_owned();
    let audit = ok(dir, &["audit", "start", "--facility", &facility, "--checklist", "fire-safety", "--type", "periodic", "--notice", "unannounced", "--start", "2026-11-24", "--auditor", "Rina Akter"]).trim().to_owned();
    let floor = ok(dir, &["audit", "add-instance", &audit, "--checklist", "fire-safety", "--section", "floor", "--label", "Building B, floor 3"]).trim().to_owned();
    ok(dir, &["audit", "answer", &audit, "floor.exit_locked", "yes", "--checklist", "fire-safety", "--instance", &floor, "--note", "Chained at 10:40"]);
    ok(dir, &["audit", "answer", &audit, "equipment.alarm_audible", "no", "--checklist", "fire-safety", "--note", "গুদামে অ্যালার্ম শোনা যায়নি"]);

    // A report of an unsigned audit is a draft, in Bengali, and verify says so (exit 1).
    let draft = dir.join("draft.pdf");
    let said = ok(dir, &["audit", "report", &audit, "--kind", "site", "--lang", "bn", "--out", draft.to_str().unwrap()]);
    assert!(said.contains("DRAFT") && said.contains("pages"), "{said}");
    let text = pdftotext(&draft);
    assert!(text.contains("深圳华强电子厂"), "{text}");
    assert!(text.contains("সাইট অডিট প্রতিবেদন"), "{text}");
    assert!(fails(dir, &["report", "verify", draft.to_str().unwrap()]).contains("DRAFT"));

    // Signed: the report verifies and says the audit is unchanged.
    ok(dir, &["audit", "sign", &audit, "--signer", "Rina Akter"]);
    let signed = dir.join("signed.pdf");
    let said = ok(dir, &["audit", "report", &audit, "--kind", "full", "--out", signed.to_str().unwrap()]);
    assert!(said.contains("sealed"), "{said}");
    let text = pdftotext(&signed);
    assert!(text.contains("Full audit report") && !text.contains("DRAFT"), "{text}");
    let verdict = ok(dir, &["report", "verify", signed.to_str().unwrap()]);
    assert!(verdict.contains("signature: valid") && verdict.contains("unchanged since sign-off"), "{verdict}");

    // One changed byte in the signed content: rejected.
    let tampered = dir.join("tampered.pdf");
    std::fs::write(&tampered, tamper(&std::fs::read(&signed).unwrap())).unwrap();
    let verdict = fails(dir, &["report", "verify", tampered.to_str().unwrap()]);
    assert!(verdict.contains("REJECTED") && verdict.contains("altered"), "{verdict}");

    // A signed audit refuses changes until it is reopened for correction.
    let refused = fails(dir, &["audit", "answer", &audit, "equipment.alarm_audible", "yes", "--checklist", "fire-safety"]);
    assert!(refused.contains("signed"), "{refused}");
    ok(dir, &["audit", "reopen", &audit, "--reason", "alarm answer was wrong"]);
    let verdict = fails(dir, &["report", "verify", signed.to_str().unwrap()]);
    assert!(verdict.contains("REOPENED FOR CORRECTION"), "{verdict}");

    // The audit changes after the reopening: the report no longer shows it as it is.
    ok(dir, &["audit", "answer", &audit, "equipment.alarm_audible", "yes", "--checklist", "fire-safety"]);
    let verdict = fails(dir, &["report", "verify", signed.to_str().unwrap()]);
    assert!(verdict.contains("signature: valid") && verdict.contains("CHANGED SINCE SIGN-OFF"), "{verdict}");

    // Exports: a ZIP of CSVs, a workbook, the facility list.
    let zip = dir.join("audit.zip");
    let said = ok(dir, &["export", "--format", "csv", "--out", zip.to_str().unwrap(), "--audit", &audit]);
    assert!(said.contains("answer 2") && said.contains("facility 1"), "{said}");
    assert!(std::fs::read(&zip).unwrap().starts_with(b"PK"));
    let xlsx = dir.join("everything.xlsx");
    ok(dir, &["export", "--format", "xlsx", "--out", xlsx.to_str().unwrap()]);
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    let suppliers = dir.join("suppliers.csv");
    assert!(ok(dir, &["facility", "export", "--out", suppliers.to_str().unwrap()]).contains("1 facilities"));
    let list = std::fs::read_to_string(&suppliers).unwrap();
    assert!(list.starts_with("country,name,address,sector,lat,lng,os_id") && list.contains("深圳华强电子厂"), "{list}");
}

#[test]
fn bad_input_is_refused_with_a_clear_message_and_leaves_no_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(dir, &["init"]);
    let facility = ok(dir, &["facility", "add", "--name", "Test Mill", "--country", "Bangladesh"]).trim().to_owned();
    let audit = ok(dir, &["audit", "start", "--facility", &facility, "--checklist", "fire-safety"]).trim().to_owned();
    let out = dir.join("r.pdf");
    let out_s = out.to_str().unwrap();
    let before = files_in(dir);

    let err = fails(dir, &["audit", "report", "0123abcd", "--out", out_s]);
    assert!(err.contains("audit") && err.contains("0123abcd"), "{err}");
    let err = fails(dir, &["audit", "report", &audit, "--lang", "xx", "--out", out_s]);
    assert!(err.contains("xx") && err.contains("zh-Hans"), "{err}");
    let err = fails(dir, &["audit", "report", &audit, "--kind", "summary", "--out", out_s]);
    assert!(err.contains("summary") && err.contains("site") && err.contains("full"), "{err}");
    let nowhere = dir.join("no-such-folder").join("r.pdf");
    let err = fails(dir, &["audit", "report", &audit, "--out", nowhere.to_str().unwrap()]);
    assert!(err.contains("does not exist"), "{err}");
    let err = fails(dir, &["audit", "report", &audit, "--out", dir.to_str().unwrap()]);
    assert!(err.contains("is a folder"), "{err}");
    let err = fails(dir, &["audit", "report", &audit, "--kind", "site", "--identity", "key.txt", "--out", out_s]);
    assert!(err.contains("never contains interview results"), "{err}");

    let err = fails(dir, &["export", "--format", "pdf", "--out", dir.join("x.zip").to_str().unwrap()]);
    assert!(err.contains("pdf") && err.contains("csv"), "{err}");
    let err = fails(dir, &["export", "--format", "csv", "--audit", "0123abcd", "--out", dir.join("x.zip").to_str().unwrap()]);
    assert!(err.contains("0123abcd"), "{err}");
    let err = fails(dir, &["export", "--format", "xlsx", "--out", dir.join("nope").join("x.xlsx").to_str().unwrap()]);
    assert!(err.contains("does not exist"), "{err}");
    let err = fails(dir, &["facility", "export", "--out", dir.join("nope").join("s.csv").to_str().unwrap()]);
    assert!(err.contains("does not exist"), "{err}");

    let err = fails(dir, &["report", "verify", dir.join("missing.pdf").to_str().unwrap()]);
    assert!(err.contains("cannot read") && err.contains("missing.pdf"), "{err}");
    let not_pdf = dir.join("not.txt");
    std::fs::write(&not_pdf, "hello").unwrap();
    assert!(fails(dir, &["report", "verify", not_pdf.to_str().unwrap()]).contains("not a PDF"));

    assert_eq!(files_in(dir), before, "a refused command left a file behind");
    assert!(!dir.join("no-such-folder").exists() && !dir.join("nope").exists());
}
