//! The interview draft key in a real OS keyring (GNOME Keyring's Secret Service on
//! a private D-Bus session), and the passphrase fallback where there is none.
//!
//! Each scenario runs in a child process of this test binary: one under
//! `dbus-run-session` with a freshly unlocked `gnome-keyring-daemon` in a temporary
//! home, one with no session bus at all. Under CI both tools must exist
//! (scripts/install-deps.sh installs them); elsewhere the keyring scenario is
//! skipped with a message when they are missing.

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use fieldaudit_core::audits::NewAudit;
use fieldaudit_core::import::FacilityRecord;
use fieldaudit_core::interviews::keystore;
use fieldaudit_core::model::ChecklistRef;
use fieldaudit_core::Store;
use serde_json::json;
use uuid::Uuid;

const CHILD: &str = "FIELDAUDIT_KEYRING_CHILD";
const MARKER: &str = "KEYRINGMARKERQZX";

fn which(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn audit(store: &mut Store) -> Uuid {
    let facility = store
        .add_facility(&FacilityRecord {
            name: "Hasan Knit".into(),
            address: "Ashulia".into(),
            country_code: "BD".into(),
            ..Default::default()
        })
        .unwrap();
    store
        .start_audit(&NewAudit {
            facility_id: facility,
            checklists: vec![ChecklistRef { template_id: "fire-safety".into(), version: 1 }],
            audit_type: fieldaudit_protocol::closed_sets::AuditType::Initial,
            notice: fieldaudit_protocol::closed_sets::Notice::Announced,
            start_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            end_date: None,
            auditors: vec!["Nadia".into()],
        })
        .unwrap()
}

fn marker_in(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path()).ok())
        .map(|b| {
            b.windows(MARKER.len())
                .filter(|w| *w == MARKER.as_bytes())
                .count()
        })
        .sum()
}

/// Runs `scenario` of this binary in a child process and asserts it passed.
fn run_child(scenario: &str, mut cmd: Command) {
    let exe = std::env::current_exe().unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = cmd
        .arg(exe)
        .args([
            "--exact",
            "child_scenario",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, scenario)
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_RUNTIME_DIR", home.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("1 passed"),
        "scenario {scenario} failed:\n{text}"
    );
}

#[test]
fn drafts_use_the_os_keyring_when_the_desktop_has_one() {
    if !(which("dbus-run-session") && which("gnome-keyring-daemon")) {
        assert!(std::env::var("CI").map_or(true, |v| v != "true"), "dbus-run-session and gnome-keyring-daemon must be installed under CI (scripts/install-deps.sh)");
        eprintln!("SKIPPED keyring scenario: install dbus and gnome-keyring");
        return;
    }
    let mut cmd = Command::new("dbus-run-session");
    // Unlock a fresh login keyring with a throwaway password, then run the scenario.
    cmd.args(["--", "sh", "-c", "printf 'keyring test' | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec \"$@\"", "sh"]);
    run_child("keyring", cmd);
}

#[test]
fn without_a_keyring_the_interviewer_sets_a_passphrase() {
    let exe_cmd = Command::new("env");
    let mut cmd = exe_cmd;
    cmd.args([
        "-u",
        "DBUS_SESSION_BUS_ADDRESS",
        "DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus",
    ]);
    run_child("none", cmd);
}

/// The scenarios themselves; a no-op unless started by one of the tests above.
#[test]
fn child_scenario() {
    let Ok(scenario) = std::env::var(CHILD) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path(), "interviewer laptop").unwrap();
    let audit = audit(&mut store);
    assert_eq!(store.interview_protection().unwrap(), "unset");
    match scenario.as_str() {
        "keyring" => {
            let key = store
                .unlock_interviews_with_keyring()
                .unwrap()
                .expect("the keyring holds the key");
            assert_eq!(store.interview_protection().unwrap(), "keyring");
            let id = store
                .start_interview(
                    &key,
                    audit,
                    "Nadia",
                    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
                )
                .unwrap();
            store
                .set_interview_answer(&key, id, "setup.format", json!("individual"))
                .unwrap();
            store
                .set_interview_answer(&key, id, "setup.consent", json!("yes"))
                .unwrap();
            store
                .set_interview_answer(
                    &key,
                    id,
                    "topics.fees_notes",
                    json!(format!("agent {MARKER}")),
                )
                .unwrap();
            drop(store);
            assert_eq!(marker_in(dir.path()), 0, "the draft is encrypted on disk");

            // Reopened (the app restarted): the keyring opens the drafts again, no passphrase.
            let mut store = Store::open(dir.path()).unwrap();
            let key = store
                .unlock_interviews_with_keyring()
                .unwrap()
                .expect("key from the keyring");
            let form = store.interview_form(&key, id, "en").unwrap();
            assert!(form
                .sections
                .iter()
                .flat_map(|s| &s.items)
                .any(|i| i.value == Some(json!(format!("agent {MARKER}")))));
            let e = store
                .unlock_interviews("any passphrase at all")
                .unwrap_err()
                .to_string();
            assert!(e.contains("keyring"), "{e}");

            // The key removed from the keyring: drafts cannot be opened, and it says so.
            keystore::forget(store.device_id());
            let e = store
                .unlock_interviews_with_keyring()
                .unwrap_err()
                .to_string();
            assert!(e.contains("removed from the system keyring"), "{e}");
        }
        "none" => {
            assert!(
                store.unlock_interviews_with_keyring().unwrap().is_none(),
                "no keyring: the caller must ask for a passphrase"
            );
            assert_eq!(
                store.interview_protection().unwrap(),
                "unset",
                "nothing was stored"
            );
            let key = store.unlock_interviews("field passphrase").unwrap();
            assert_eq!(store.interview_protection().unwrap(), "passphrase");
            store
                .start_interview(
                    &key,
                    audit,
                    "Nadia",
                    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
                )
                .unwrap();
            assert!(
                store.unlock_interviews_with_keyring().unwrap().is_none(),
                "a passphrase device stays on its passphrase"
            );
        }
        other => panic!("unknown scenario {other}"),
    }
}
