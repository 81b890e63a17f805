//! `fieldaudit interview …` and `fieldaudit reviewer …` as scripts use them: drafts
//! behind the passphrase, identifying notes refused, no finalise without reviewer
//! keys, key files encrypted and never overwritten.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn run(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fieldaudit"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that fails before it reads its standard input closes the pipe:
    // that is its answer, not the test's failure.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

fn ok(dir: &Path, args: &[&str], stdin: &str) -> String {
    let out = run(dir, args, stdin);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(dir: &Path, args: &[&str], stdin: &str) -> String {
    let out = run(dir, args, stdin);
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

fn uuid_in(text: &str) -> String {
    text.split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .find(|w| w.len() == 36)
        .unwrap()
        .to_owned()
}

#[test]
fn interviewer_and_reviewer_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(dir, &["init", "--device-name", "Laptop"], "");
    ok(
        dir,
        &["facility", "add", "--name", "Hasan Knit", "--country", "BD"],
        "",
    );
    let list: serde_json::Value =
        serde_json::from_str(&ok(dir, &["facility", "list", "--json"], "")).unwrap();
    let facility = list[0]["id"].as_str().unwrap().to_owned();
    let audit = uuid_in(&ok(
        dir,
        &[
            "audit",
            "start",
            "--facility",
            &facility,
            "--checklist",
            "worker-interview",
            "--type",
            "initial",
            "--notice",
            "announced",
            "--start",
            "2026-11-24",
        ],
        "",
    ));

    let pass = "interview pass\n";
    let id = uuid_in(&ok(
        dir,
        &[
            "interview",
            "start",
            "--audit",
            &audit,
            "--interviewer",
            "Nadia",
            "--passphrase-stdin",
        ],
        pass,
    ));
    ok(
        dir,
        &[
            "interview",
            "edit",
            &id,
            "--set",
            "setup.format=individual",
            "--set",
            "setup.consent=yes",
            "--set",
            "topics.fees_notes=SECRETNOTE",
            "--fee",
            "visa,1500,USD",
            "--passphrase-stdin",
        ],
        pass,
    );
    let e = fails(
        dir,
        &[
            "interview",
            "edit",
            &id,
            "--set",
            "topics.pay_notes=call 01712345678",
            "--passphrase-stdin",
        ],
        pass,
    );
    assert!(e.contains("never record"), "{e}");
    let e = fails(
        dir,
        &["interview", "edit", &id, "--passphrase-stdin"],
        "wrong passphrase\n",
    );
    assert!(e.contains("wrong interview passphrase"), "{e}");
    let draft: serde_json::Value = serde_json::from_str(&ok(
        dir,
        &["interview", "edit", &id, "--passphrase-stdin"],
        pass,
    ))
    .unwrap();
    assert_eq!(
        draft["content"]["answers"]["topics.fees_notes"],
        "SECRETNOTE"
    );
    assert!(
        draft["content"]["answers"]
            .get("topics.pay_notes")
            .is_none(),
        "the refused edit changed nothing"
    );
    let db = std::fs::read(dir.join("fieldaudit.db")).unwrap();
    assert!(
        !db.windows(10).any(|w| w == b"SECRETNOTE"),
        "the draft is encrypted at rest"
    );
    let e = fails(
        dir,
        &["interview", "finalise", &id, "--passphrase-stdin"],
        pass,
    );
    assert!(e.contains("no reviewer keys"), "{e}");
    let listed = ok(dir, &["interview", "list", "--audit", &audit], "");
    assert!(listed.contains(&id) && listed.contains("draft"), "{listed}");
    let sampling: serde_json::Value = serde_json::from_str(&ok(
        dir,
        &[
            "interview",
            "sampling",
            "--audit",
            &audit,
            "--workers",
            "400",
            "--passphrase-stdin",
        ],
        pass,
    ))
    .unwrap();
    assert_eq!(
        (sampling["suggested"].as_u64(), sampling["drafts"].as_u64()),
        (Some(20), Some(1))
    );

    let key = dir.join("reviewer.age");
    let out = ok(
        dir,
        &[
            "reviewer",
            "keygen",
            "--out",
            key.to_str().unwrap(),
            "--passphrase-stdin",
        ],
        "reviewer pass 1\n",
    );
    assert!(out.contains("age1"), "{out}");
    let file = std::fs::read_to_string(&key).unwrap();
    assert!(file.contains("BEGIN AGE ENCRYPTED FILE") && !file.contains("AGE-SECRET-KEY"));
    let e = fails(
        dir,
        &[
            "reviewer",
            "keygen",
            "--out",
            key.to_str().unwrap(),
            "--passphrase-stdin",
        ],
        "reviewer pass 1\n",
    );
    assert!(e.contains("already exists"), "{e}");
    let e = fails(
        dir,
        &[
            "reviewer",
            "decrypt",
            &audit,
            "--identity",
            key.to_str().unwrap(),
            "--passphrase-stdin",
        ],
        "not it at all\n",
    );
    assert!(e.contains("wrong passphrase"), "{e}");
    let out = ok(
        dir,
        &[
            "reviewer",
            "decrypt",
            &audit,
            "--identity",
            key.to_str().unwrap(),
            "--passphrase-stdin",
        ],
        "reviewer pass 1\n",
    );
    assert!(out.contains("0 interviews opened"), "{out}");
}
