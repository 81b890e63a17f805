//! A server backed up while devices push, then restored from that backup: what a
//! restore to an older point means for devices, shown end to end.
//!
//! - Devices that still have their changes (acknowledged after the backup or not)
//!   push them again at their next sync; every device converges on the same data
//!   and nothing such a device had is lost.
//! - A device whose pull cursor is past the backup point still receives the other
//!   devices' re-pushed changes (the restored server numbers changes above its
//!   old numbering).
//! - A device signed in only after the backup is told to sign in again, and then
//!   sends everything.
//! - What only a device that never syncs again had pushed after the backup is gone:
//!   the one loss a restore to an older point brings.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use fieldaudit_core::audits::NewAudit;
use fieldaudit_core::import::FacilityRecord;
use fieldaudit_core::model::ChecklistRef;
use fieldaudit_core::CoreError;
use fieldaudit_server::ServerConfig;
use fieldaudit_tests::{Backend, Cluster, Device};
use serde_json::Value;

fn add(device: &Device, name: &str) {
    device
        .store()
        .add_facility(&FacilityRecord {
            name: name.into(),
            address: "Tongi, Gazipur".into(),
            country_code: "BD".into(),
            ..Default::default()
        })
        .expect("add facility");
}

fn names(device: &Device) -> BTreeSet<String> {
    device.snapshot()["facility"]
        .iter()
        .filter_map(|f| f.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// An audit with a photo; returns the photo's hash.
fn audit_with_photo(device: &Device, bytes: &[u8]) -> String {
    let mut store = device.store();
    let facility = store
        .add_facility(&FacilityRecord {
            name: "With a photo".into(),
            country_code: "BD".into(),
            ..Default::default()
        })
        .expect("facility");
    let audit = store
        .start_audit(&NewAudit {
            facility_id: facility,
            checklists: vec![ChecklistRef {
                template_id: "fire-safety".into(),
                version: 1,
            }],
            audit_type: fieldaudit_protocol::closed_sets::AuditType::Initial,
            notice: fieldaudit_protocol::closed_sets::Notice::Announced,
            start_date: NaiveDate::from_ymd_opt(2026, 11, 24).expect("date"),
            end_date: None,
            auditors: vec!["Rina".into()],
        })
        .expect("audit");
    store
        .add_attachment(audit, "audit", audit, "gate.jpg", "image/jpeg", bytes)
        .expect("attachment");
    fieldaudit_core::attachments::sha256_hex(bytes)
}

#[test]
fn a_server_restored_from_a_backup_taken_during_pushes_converges_with_its_devices() {
    let mut c = Cluster::new(Backend::Sqlite, ServerConfig::default());
    c.organisation("acme", &["rina", "tomas", "lan", "fresh", "auditor"]);
    c.start();
    let url = c.urls()[0].clone();
    let (rina, tomas, lan) = (
        Device::new("Rina's laptop"),
        Device::new("Tomas's laptop"),
        Device::new("Lan's laptop"),
    );
    rina.login(&url, "acme", "rina");
    tomas.login(&url, "acme", "tomas");
    lan.login(&url, "acme", "lan");
    add(&rina, "Before backup (Rina)");
    let photo = audit_with_photo(&rina, b"a photo of the locked gate");
    add(&lan, "Before backup (Lan)");
    for d in [&rina, &tomas, &lan] {
        d.sync_until_ok(3);
    }

    // Rina keeps pushing while the backup runs.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("server.fabackup");
    let pushed_meanwhile = std::thread::scope(|s| {
        let pusher = s.spawn(|| {
            for i in 0..12 {
                add(&rina, &format!("During backup {i}"));
                rina.sync_until_ok(3);
            }
        });
        std::thread::sleep(std::time::Duration::from_millis(150));
        let summary = c.backup(&file);
        pusher.join().expect("pusher");
        summary
    });
    assert_eq!(pushed_meanwhile.manifest.organisations.len(), 1);
    assert_eq!(
        pushed_meanwhile.manifest.attachments.len(),
        1,
        "the photo is listed"
    );
    assert!(pushed_meanwhile.manifest.attachments[0].included);
    assert_eq!(pushed_meanwhile.manifest.attachments[0].sha256, photo);

    // After the backup: changes acknowledged by the old server.
    add(&tomas, "After backup (Tomas)");
    tomas.sync_until_ok(3);
    add(&rina, "After backup (Rina)");
    rina.sync_until_ok(3);
    add(&lan, "After backup (Lan, whose laptop is then lost)");
    lan.sync_until_ok(3);
    let fresh = Device::new("New laptop");
    fresh.login(&url, "acme", "fresh");
    add(&fresh, "After backup (a laptop signed in since)");
    fresh.sync_until_ok(3);
    // Everyone has everything on the old server.
    for d in [&rina, &tomas, &fresh] {
        d.sync_until_ok(3);
    }
    let before_restore = names(&rina);
    assert_eq!(names(&tomas), before_restore);
    drop(lan);
    // Typed while the server is being replaced: never acknowledged by anyone.
    add(&rina, "Typed while the server was down (Rina)");

    // The old server is gone; the backup is restored on a new one.
    c.kill(0);
    let (mut r, restored) = Cluster::restored(&file, ServerConfig::default());
    assert_eq!(
        restored.attachments_written, 1,
        "the photo comes back from the file"
    );
    assert!(restored.attachments_missing.is_empty());
    r.start();
    let new_url = r.urls()[0].clone();
    for d in [&rina, &tomas, &fresh] {
        d.switch_server(&new_url);
    }

    // The laptop signed in after the backup is unknown to the restored server.
    match fresh.sync() {
        Err(CoreError::SignedOut(_)) => {}
        other => panic!("a device registered after the backup must sign in again, got {other:?}"),
    }
    fresh.login(&new_url, "acme", "fresh");

    // Two rounds: each device re-sends what the restored server lacks, then receives the others'.
    for _ in 0..2 {
        for d in [&rina, &tomas, &fresh] {
            d.sync_until_ok(3);
        }
    }
    let rina_now = names(&rina);
    assert_eq!(names(&tomas), rina_now, "Tomas converges with Rina");
    assert_eq!(
        names(&fresh),
        rina_now,
        "the re-signed-in laptop converges too"
    );
    assert_eq!(
        rina.snapshot(),
        tomas.snapshot(),
        "every synced row, not only names"
    );

    // Nothing a surviving device had is lost: all that was acknowledged after the
    // backup by Rina, Tomas and the new laptop is on the restored server. A device
    // that never used this server gets exactly that from it.
    let newcomer = Device::new("Reviewer's laptop");
    newcomer.login(&new_url, "acme", "auditor");
    newcomer.sync_until_ok(3);
    let on_server = names(&newcomer);
    for n in [
        "Before backup (Rina)",
        "After backup (Rina)",
        "After backup (Tomas)",
        "After backup (a laptop signed in since)",
    ] {
        assert!(
            on_server.contains(n),
            "{n:?} is on the restored server: {on_server:?}"
        );
    }
    for i in 0..12 {
        assert!(
            on_server.contains(&format!("During backup {i}")),
            "push {i} made during the backup is on the restored server"
        );
    }
    // The one loss: what only the lost laptop pushed after the backup.
    assert!(on_server.contains("Before backup (Lan)"));
    assert!(!on_server.contains("After backup (Lan, whose laptop is then lost)"));
    let mut expected = before_restore.clone();
    expected.insert("Typed while the server was down (Rina)".into());
    let on_devices = expected.clone();
    expected.remove("After backup (Lan, whose laptop is then lost)");
    assert_eq!(on_server, expected);
    // Devices that had pulled Lan's last change keep it (nothing deletes it), but the
    // server does not have it, so devices that sync from it later never get it.
    assert_eq!(
        rina_now, on_devices,
        "the devices keep what they had, Lan's last change included"
    );
    // The photo is there for the newcomer too.
    assert_eq!(
        std::fs::read(newcomer.store().attachment_path(&photo)).expect("photo downloaded"),
        b"a photo of the locked gate"
    );
}
