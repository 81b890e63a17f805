//! The `fieldaudit` binary as scripts use it: exit codes, messages, and that a
//! refused command changes nothing.

use std::path::Path;
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    format!(
        "{}/../../../shared/fixtures/facility-lists/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldaudit"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(dir, args)).unwrap()
}

#[test]
fn import_start_answer_and_export() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(fails(dir, &["facility", "list"]).contains("fieldaudit init"));
    ok(dir, &["init", "--device-name", "Laptop 1"]);

    // A dry run reports and changes nothing.
    let preview = ok(
        dir,
        &[
            "facility",
            "import",
            &fixture("summer-2019-compliance.csv"),
            "--dry-run",
        ],
    );
    assert!(
        preview.contains("72 to add") && preview.contains("3 duplicates"),
        "{preview}"
    );
    assert!(preview.contains("nothing changed"));
    assert_eq!(
        json(dir, &["facility", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        0
    );

    ok(
        dir,
        &["facility", "import", &fixture("summer-2019-compliance.csv")],
    );
    let facilities = json(
        dir,
        &["facility", "list", "--json", "--search", "qiang xing"],
    );
    assert_eq!(facilities.as_array().unwrap().len(), 1);
    let facility = facilities[0]["id"].as_str().unwrap().to_owned();
    // Importing again merges into the same facilities.
    let again = ok(
        dir,
        &["facility", "import", &fixture("summer-2019-compliance.csv")],
    );
    assert!(again.contains("0 added"), "{again}");

    let short = &facility[facility.len() - 8..];
    let audit = ok(
        dir,
        &[
            "audit",
            "start",
            "--facility",
            short,
            "--checklist",
            "fire-safety",
            "--checklist",
            "wages-hours@1",
            "--type",
            "periodic",
            "--notice",
            "unannounced",
            "--start",
            "2026-11-24",
            "--auditor",
            "A. Rahman",
        ],
    )
    .trim()
    .to_owned();
    let floor = ok(
        dir,
        &[
            "audit",
            "add-instance",
            &audit,
            "--checklist",
            "fire-safety",
            "--section",
            "floor",
            "--label",
            "Ground",
        ],
    )
    .trim()
    .to_owned();
    // My audits: nobody signed in, so every audit the device holds; planned until
    // something is answered.
    let mine = ok(dir, &["audit", "mine"]);
    assert!(
        mine.contains("nobody is signed in")
            && mine.contains(&audit[audit.len() - 8..])
            && mine.contains("planned"),
        "{mine}"
    );
    let said = ok(
        dir,
        &[
            "audit",
            "answer",
            &audit,
            "floor.exit_locked",
            "yes",
            "--checklist",
            "fire-safety",
            "--instance",
            &floor,
            "--note",
            "Chained at 10:40",
        ],
    );
    assert!(said.contains("critical"), "{said}");
    ok(
        dir,
        &[
            "audit",
            "answer",
            &audit,
            "floor.exit_count",
            "1",
            "--checklist",
            "fire-safety",
            "--instance",
            &floor,
        ],
    );

    let mine = json(dir, &["audit", "mine", "--json"]);
    assert_eq!(mine["total"], 1, "{mine}");
    assert_eq!(mine["groups"][0]["state"], "in_progress", "{mine}");
    assert_eq!(mine["groups"][0]["audits"][0]["id"], audit.as_str(), "{mine}");
    let findings = json(dir, &["audit", "findings", &audit, "--json"]);
    let severities: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities, vec!["critical", "major"]);
    let score = json(dir, &["audit", "score", &audit, "--json"]);
    assert_eq!(score["production_blocked"], true);

    let export_path = dir.join("export.json");
    ok(
        dir,
        &[
            "audit",
            "export",
            &audit,
            "--out",
            export_path.to_str().unwrap(),
        ],
    );
    let export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&export_path).unwrap()).unwrap();
    assert_eq!(export["audit"]["id"], audit.as_str());
    assert_eq!(export["answers"].as_array().unwrap().len(), 2);
    assert!(export["answers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["note"] == "Chained at 10:40"));

    // Sign-off: verifies while the audit is as signed, fails (exit 1) once it changed.
    assert!(fails(dir, &["audit", "verify", &audit]).contains("no sign-off"));
    assert!(ok(dir, &["audit", "sign", &audit, "--signer", "A. Rahman"])
        .contains("signed off by A. Rahman"));
    assert!(ok(dir, &["audit", "verify", &audit]).contains("unchanged since sign-off"));
    // Signed: an edit is refused with how to reopen, and nothing changes.
    let refused = fails(
        dir,
        &[
            "audit",
            "answer",
            &audit,
            "floor.exit_count",
            "2",
            "--checklist",
            "fire-safety",
            "--instance",
            &floor,
        ],
    );
    assert!(
        refused.contains("signed off") && refused.contains("fieldaudit audit reopen"),
        "{refused}"
    );
    assert!(ok(dir, &["audit", "verify", &audit]).contains("unchanged since sign-off"));
    assert!(fails(dir, &["audit", "reopen", &audit, "--reason", " "]).contains("why"));
    assert!(ok(
        dir,
        &[
            "audit",
            "reopen",
            &audit,
            "--reason",
            "Exit count was wrong"
        ]
    )
    .contains("reopened for correction"));
    ok(
        dir,
        &[
            "audit",
            "answer",
            &audit,
            "floor.exit_count",
            "2",
            "--checklist",
            "fire-safety",
            "--instance",
            &floor,
        ],
    );
    let verdict = String::from_utf8(run(dir, &["audit", "verify", &audit]).stdout).unwrap();
    assert!(verdict.contains("voided"), "{verdict}");
    // CAP deadlines: plan due in 7 days, fix by 30 for the critical finding; overdue moves with the day.
    let caps = ok(
        dir,
        &["cap", "list", "--audit", &audit, "--today", "2099-01-01"],
    );
    assert!(caps.contains("OVERDUE") && caps.contains("yes"), "{caps}");
    // Reviewing needs a reviewer's sign-in; a bare device is refused and nothing changes.
    assert!(fails(dir, &["audit", "review", &audit, "--approve"]).contains("sign in"));
    assert!(fails(dir, &["audit", "review", &audit]).contains("--approve"));
}

#[test]
fn bad_input_says_what_to_fix_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(dir, &["init"]);
    let bad_csv = dir.join("bad.csv");
    std::fs::write(&bad_csv, "factory,where\nA,B\n").unwrap();
    let err = fails(dir, &["facility", "import", bad_csv.to_str().unwrap()]);
    assert!(err.contains("name") && err.contains("country"), "{err}");
    assert!(fails(dir, &["facility", "import", "/no/such/file.csv"]).contains("cannot open"));

    let facility = ok(
        dir,
        &[
            "facility",
            "add",
            "--name",
            "Test Mill",
            "--country",
            "Bangladesh",
        ],
    )
    .trim()
    .to_owned();
    assert!(fails(
        dir,
        &["facility", "add", "--name", "X", "--country", "Atlantis"]
    )
    .contains("not a country"));
    let err = fails(
        dir,
        &[
            "audit",
            "start",
            "--facility",
            &facility,
            "--checklist",
            "nope",
        ],
    );
    assert!(
        err.contains("available") && err.contains("fire-safety"),
        "{err}"
    );
    let audit = ok(
        dir,
        &[
            "audit",
            "start",
            "--facility",
            &facility,
            "--checklist",
            "fire-safety",
        ],
    )
    .trim()
    .to_owned();
    let err = fails(
        dir,
        &[
            "audit",
            "answer",
            &audit,
            "equipment.alarm_audible",
            "maybe",
            "--checklist",
            "fire-safety",
        ],
    );
    assert!(err.contains("\"yes\" or \"no\""), "{err}");
    assert!(fails(
        dir,
        &[
            "audit",
            "answer",
            "zz",
            "x",
            "y",
            "--checklist",
            "fire-safety"
        ]
    )
    .contains("not a audit id"));
    assert!(fails(
        dir,
        &[
            "audit",
            "start",
            "--facility",
            &facility,
            "--checklist",
            "fire-safety",
            "--start",
            "25/11/2026"
        ]
    )
    .contains("25/11/2026"));
    assert_eq!(
        json(dir, &["audit", "findings", &audit, "--json"])
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        json(dir, &["audit", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn template_validate_reports_file_item_and_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("broken.toml");
    std::fs::write(
        &file,
        "id = \"x\"\nversion = 1\ntitle.en = \"X\"\n[[sections]]\nid = \"s\"\ntitle.en = \"S\"\n[[sections.items]]\nid = \"a\"\ntext.en = \"A\"\nanswer = \"yes_no\"\n[[sections.items]]\nid = \"a\"\ntext.en = \"A again\"\nanswer = \"yes_no\"\n",
    )
    .unwrap();
    let err = fails(
        tmp.path(),
        &["template", "validate", file.to_str().unwrap()],
    );
    assert!(
        err.contains("broken.toml") && err.contains("duplicate"),
        "{err}"
    );
    let builtin = format!(
        "{}/../../templates/fire-safety.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    assert!(ok(tmp.path(), &["template", "validate", &builtin]).contains("ok (fire-safety@1"));
}

#[test]
fn checklists_in_the_users_language_and_as_workbooks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Checklist text in the chosen language, English where a text lacks one.
    let bn = ok(dir, &["--lang", "bn", "template", "show", "fire-safety"]);
    assert!(bn.contains("অগ্নি নিরাপত্তা ও বহির্গমন পথ") && bn.contains("floor.exit_locked"), "{bn}");
    let list = ok(dir, &["--lang", "zh-Hans", "template", "list"]);
    assert!(list.contains("消防安全与安全出口") && list.contains("环境") && list.contains("商业道德"), "{list}");
    assert!(fails(dir, &["--lang", "fr", "template", "list"]).contains("zh-Hans"));

    // A built-in exported as a workbook validates as the same checklist; a damaged
    // workbook is refused and names what is wrong.
    let book = dir.join("fire.xlsx");
    assert!(ok(dir, &["template", "export", "fire-safety", "--out", book.to_str().unwrap()]).contains("fire-safety@1"));
    assert!(ok(dir, &["template", "validate", book.to_str().unwrap()]).contains("ok (fire-safety@1"));
    assert!(!dir.join("fire.xlsx.partial").exists());
    let bad = dir.join("bad.xlsx");
    std::fs::write(&bad, b"not a workbook").unwrap();
    let err = fails(dir, &["template", "validate", bad.to_str().unwrap()]);
    assert!(err.contains("bad.xlsx") && err.contains("not a readable XLSX workbook"), "{err}");

    // Findings read in the chosen language.
    ok(dir, &["init", "--device-name", "Laptop 1"]);
    ok(dir, &["facility", "import", &fixture("summer-2019-compliance.csv")]);
    let facility = json(dir, &["facility", "list", "--json", "--search", "qiang xing"])[0]["id"].as_str().unwrap().to_owned();
    let audit = ok(dir, &["audit", "start", "--facility", &facility, "--checklist", "fire-safety", "--type", "periodic", "--notice", "announced"]).trim().to_owned();
    let floor = ok(dir, &["audit", "add-instance", &audit, "--checklist", "fire-safety", "--section", "floor", "--label", "Ground"]).trim().to_owned();
    ok(dir, &["audit", "answer", &audit, "floor.exit_locked", "yes", "--checklist", "fire-safety", "--instance", &floor]);
    let vi = json(dir, &["--lang", "vi", "audit", "findings", &audit, "--json"]);
    assert!(vi[0]["title"].as_str().unwrap().starts_with("Khi công nhân đang làm việc trên tầng"), "{vi}");
    let en = json(dir, &["audit", "findings", &audit, "--json"]);
    assert!(en[0]["title"].as_str().unwrap().starts_with("Is any exit locked"), "{en}");
}
