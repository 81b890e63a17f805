//! Devices syncing through a real server over HTTP: two auditors on one audit,
//! random operations through a faulty network with server restarts on both
//! backends, oversized attachments, revoked devices.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use fieldaudit_core::audits::NewAudit;
use fieldaudit_core::import::FacilityRecord;
use fieldaudit_core::model::ChecklistRef;
use fieldaudit_core::CoreError;
use fieldaudit_protocol::EntityKind;
use fieldaudit_server::ServerConfig;
use fieldaudit_tests::{cases, pg_base_url, pull_all, Backend, Cluster, Device, Faults, Proxy};
use serde_json::{json, Value};
use uuid::Uuid;

const FIRE: &str = "fire-safety";
const WAGES: &str = "wages-hours";

fn cluster(backend: Backend) -> Cluster {
    let mut c = Cluster::new(backend, ServerConfig::default());
    c.organisation("acme", &["rina", "tomas", "lan", "arif", "mei", "fresh"]);
    c.start();
    c
}

/// Rina's and Tomas's laptops, signed in to the cluster's first server.
fn rina_and_tomas(c: &Cluster) -> (Device, Device) {
    let url = c.urls()[0].clone();
    let (a, b) = (Device::new("Rina's laptop"), Device::new("Tomas's laptop"));
    a.login(&url, "acme", "rina");
    b.login(&url, "acme", "tomas");
    (a, b)
}

/// A facility added on this device (an admin's: only admins change the registry).
fn add_facility(device: &Device) -> Uuid {
    device
        .store()
        .add_facility(&FacilityRecord {
            name: "Zaber and Zubair Fabrics".into(),
            address: "Tongi, Gazipur".into(),
            country_code: "BD".into(),
            ..Default::default()
        })
        .unwrap()
}

fn start_audit(device: &Device) -> Uuid {
    let facility = add_facility(device);
    start_audit_at(device, facility)
}

fn start_audit_at(device: &Device, facility: Uuid) -> Uuid {
    let mut store = device.store();
    store
        .start_audit(&NewAudit {
            facility_id: facility,
            checklists: vec![
                ChecklistRef {
                    template_id: FIRE.into(),
                    version: 1,
                },
                ChecklistRef {
                    template_id: WAGES.into(),
                    version: 1,
                },
            ],
            audit_type: fieldaudit_protocol::closed_sets::AuditType::Initial,
            notice: fieldaudit_protocol::closed_sets::Notice::SemiAnnounced,
            start_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            end_date: Some(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()),
            auditors: vec!["Rina".into(), "Tomas".into()],
        })
        .unwrap()
}

fn answers(device: &Device, audit: Uuid) -> BTreeMap<(String, String), Value> {
    device
        .store()
        .answers(audit)
        .unwrap()
        .into_iter()
        .map(|a| {
            (
                (a.template_id.unwrap(), a.item_id.unwrap()),
                a.value.unwrap_or(Value::Null),
            )
        })
        .collect()
}

fn two_auditors(first_a: bool) {
    let c = cluster(Backend::Sqlite);
    let (a, b) = rina_and_tomas(&c);
    let audit = start_audit(&a);
    a.sync().unwrap();
    b.sync().unwrap();
    assert_eq!(
        b.store().audit(audit).unwrap().status.map(|v| v.as_str()),
        Some("draft")
    );

    // Offline: Rina does fire safety, Tomas wages & hours; both answer the alarm item.
    let mut sa = a.store();
    sa.record_answer(audit, FIRE, "equipment.sprinklers", None, json!("no"))
        .unwrap();
    sa.record_answer(audit, FIRE, "hazards.flammables_apart", None, json!("no"))
        .unwrap();
    sa.record_answer(audit, FIRE, "equipment.alarm_audible", None, json!("yes"))
        .unwrap();
    drop(sa);
    let mut sb = b.store();
    sb.record_answer(audit, WAGES, "wages.legal_minimum", None, json!(12500))
        .unwrap();
    sb.record_answer(audit, FIRE, "equipment.alarm_audible", None, json!("no"))
        .unwrap();
    drop(sb);

    let (first, second) = if first_a { (&a, &b) } else { (&b, &a) };
    first.sync().unwrap();
    let detected = second.sync().unwrap();
    assert_eq!(
        detected.conflicts, 1,
        "the second to sync sees the concurrent edit"
    );
    first.sync().unwrap();

    let (ans_a, ans_b) = (answers(&a, audit), answers(&b, audit));
    assert_eq!(ans_a, ans_b, "both devices hold the union");
    assert!(ans_a.contains_key(&(FIRE.to_string(), "hazards.flammables_apart".to_string())));
    assert!(ans_a.keys().any(|(t, _)| t == WAGES));
    assert_eq!(
        a.snapshot(),
        b.snapshot(),
        "every synced row is the same on both devices"
    );

    // One conflict record, the same on both, keeping the value that lost.
    let (ca, cb) = (
        a.store().conflicts(false).unwrap(),
        b.store().conflicts(false).unwrap(),
    );
    assert_eq!(ca.len(), 1);
    assert_eq!(ca, cb);
    let conflict = &ca[0];
    assert_eq!(conflict.field.as_deref(), Some("value"));
    let winner = ans_a[&(FIRE.to_string(), "equipment.alarm_audible".to_string())].clone();
    assert_eq!(conflict.winner_value.as_ref(), Some(&winner));
    let loser = if winner == json!("yes") {
        json!("no")
    } else {
        json!("yes")
    };
    assert_eq!(conflict.loser_value.as_ref(), Some(&loser));

    // Picking the other value is a new change that reaches everyone.
    let loser_device =
        if conflict.loser_device.as_deref() == Some(&a.store().device_id().to_string()) {
            &a
        } else {
            &b
        };
    loser_device
        .store()
        .resolve_conflict(conflict.id, fieldaudit_core::sync::Resolution::UseOther)
        .unwrap();
    loser_device.sync().unwrap();
    a.sync().unwrap();
    b.sync().unwrap();
    let key = (FIRE.to_string(), "equipment.alarm_audible".to_string());
    assert_eq!(answers(&a, audit)[&key], loser);
    assert_eq!(answers(&b, audit)[&key], loser);
    assert!(
        a.store().conflicts(false).unwrap().is_empty()
            && b.store().conflicts(false).unwrap().is_empty()
    );
    assert_eq!(a.store().sync_status().unwrap().pending_changes, 0);
}

#[test]
fn two_auditors_offline_then_a_syncs_first() {
    two_auditors(true);
}

#[test]
fn two_auditors_offline_then_b_syncs_first() {
    two_auditors(false);
}

/// What every device did, for checking the final state against last-writer-wins.
#[derive(Default)]
struct Expected {
    /// (entity, row, field) → ((hlc, device), value) of the newest write.
    newest: HashMap<(String, Uuid, String), ((String, Uuid), Value)>,
}

impl Expected {
    fn record(&mut self, device: &Device) {
        let store = device.store();
        let me = store.device_id();
        for c in store.changes_after(0, usize::MAX).unwrap() {
            let key = (c.entity.clone(), c.row_id, c.field.clone());
            let ver = (c.hlc.to_string(), me);
            let e = self
                .newest
                .entry(key)
                .or_insert((ver.clone(), c.value.clone()));
            if ver > e.0 {
                *e = (ver, c.value);
            }
        }
    }
}

/// Random operations on 3–5 devices, random sync order through a faulty proxy and
/// server restarts; then a clean sync round. Every device (and a fresh one, which
/// reflects the server) ends identical; every acknowledged write is on the server;
/// every field holds the newest write.
fn random_convergence(backend: fn() -> Option<Backend>, servers: usize, seed: u64) {
    let Some(b) = backend() else { return };
    let mut c = cluster(b);
    for _ in 1..servers {
        c.start();
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    let faults = Faults {
        drop_request: 0.08,
        drop_response: 0.08,
        duplicate: 0.08,
        delay: 0.1,
        truncate: 0.08,
    };
    let proxy = Proxy::start(&c.rt, c.urls(), faults, seed);
    let users = ["rina", "tomas", "lan", "arif", "mei"];
    let devices: Vec<Device> = (0..rng.usize(3..=5))
        .map(|i| Device::new(&format!("laptop {i}")))
        .collect();
    for (d, user) in devices.iter().zip(users) {
        d.login(&c.urls()[0], "acme", user);
        d.switch_server(&proxy.url);
    }
    let audit = start_audit(&devices[0]);
    let items = [
        "equipment.alarm_audible",
        "equipment.coverage_gap",
        "hazards.flammables_apart",
    ];

    for _step in 0..rng.usize(10..25) {
        let d = &devices[rng.usize(..devices.len())];
        match rng.u8(..10) {
            0..=5 => {
                let mut store = d.store();
                let known: Vec<Uuid> = store.snapshot().unwrap()["facility"]
                    .iter()
                    .filter_map(|r| r["id"].as_str()?.parse().ok())
                    .collect();
                let op = rng.u8(..5);
                if op == 0 || known.is_empty() {
                    store
                        .write(|w| {
                            w.set(
                                EntityKind::Facility,
                                Uuid::now_v7(),
                                &[("name", json!(format!("F{}", rng.u16(..))))],
                            )
                            .map(drop)
                        })
                        .unwrap();
                } else {
                    let row = known[rng.usize(..known.len())];
                    let field = ["name", "address", "deleted"][rng.usize(..3)];
                    let value = if field == "deleted" {
                        json!(rng.bool())
                    } else {
                        json!(format!("v{}", rng.u16(..)))
                    };
                    store
                        .write(|w| {
                            w.set(EntityKind::Facility, row, &[(field, value)])
                                .map(drop)
                        })
                        .unwrap();
                }
                if store.audit(audit).is_ok() {
                    let item = items[rng.usize(..items.len())];
                    let _ = store.record_answer(
                        audit,
                        FIRE,
                        item,
                        None,
                        json!(if rng.bool() { "yes" } else { "no" }),
                    );
                }
            }
            6..=8 => {
                let _ = d.sync(); // may fail through the faults; the next one resumes
            }
            _ => {
                let i = rng.usize(..servers);
                c.restart(i);
                proxy.set_upstreams(c.urls());
            }
        }
    }

    // Clean network: everyone syncs until nothing changes.
    proxy.set_faults(Faults::default());
    for _round in 0..3 {
        for d in &devices {
            d.sync_until_ok(3);
        }
    }
    let fresh = Device::new("fresh laptop");
    fresh.login(&proxy.url, "acme", "fresh");
    fresh.sync_until_ok(3);

    let reference = fresh.snapshot();
    for (i, d) in devices.iter().enumerate() {
        assert_eq!(
            d.snapshot(),
            reference,
            "seed {seed}: device {i} differs from the server's state"
        );
        assert_eq!(
            d.store().sync_status().unwrap().pending_changes,
            0,
            "seed {seed}: device {i} has unsent changes"
        );
    }

    // Every acknowledged write is on the server, exactly once.
    let token = fieldaudit_core::sync::session::load(fresh.dir.path())
        .unwrap()
        .unwrap()
        .token;
    let server_log = pull_all(&c.urls()[0], &token);
    let mut seen = HashSet::new();
    for p in &server_log {
        assert!(
            seen.insert((p.device_id, p.change.device_seq)),
            "seed {seed}: duplicate op on the server"
        );
    }
    let mut expected = Expected::default();
    for d in &devices {
        let store = d.store();
        let me = store.device_id();
        for ch in store.changes_after(0, usize::MAX).unwrap() {
            assert!(
                seen.contains(&(me, ch.device_seq)),
                "seed {seed}: acknowledged change {} of {me} missing on the server",
                ch.device_seq
            );
        }
        expected.record(d);
    }
    // Every field holds the newest write (last writer wins by (hlc, device)).
    for ((entity, row, field), (_, value)) in &expected.newest {
        let rows = &reference[entity];
        let got = rows
            .iter()
            .find(|r| r["id"] == json!(row.to_string()))
            .map(|r| r[field.as_str()].clone());
        assert_eq!(
            got.as_ref(),
            Some(value),
            "seed {seed}: {entity}.{field} of {row}"
        );
    }
}

fn sqlite() -> Option<Backend> {
    Some(Backend::Sqlite)
}

fn postgres() -> Option<Backend> {
    pg_base_url().map(Backend::Postgres)
}

#[test]
fn random_devices_converge_through_faults_and_restarts_on_sqlite() {
    for seed in 0..cases(12) {
        random_convergence(sqlite, 1, seed);
    }
}

#[test]
fn random_devices_converge_through_two_servers_on_postgres() {
    for seed in 0..cases(12).div_ceil(3) {
        random_convergence(postgres, 2, 1000 + seed);
    }
}

/// A device pulls other devices' changes, never its own back (the server leaves
/// them out and still moves the device's cursor past them).
fn no_echo(backend: fn() -> Option<Backend>) {
    let Some(backend) = backend() else { return };
    let c = cluster(backend);
    let (a, b) = rina_and_tomas(&c);
    let audit = start_audit(&a);
    let first = a.sync().unwrap();
    assert!(first.pushed > 10, "{first:?}");
    assert_eq!(
        first.pulled, 0,
        "a must not receive its own {} changes back",
        first.pushed
    );
    let got = b.sync().unwrap();
    assert_eq!(got.pulled, first.pushed, "b receives exactly a's changes");
    let mut b_pushed = got.pushed;
    b.store()
        .record_answer(audit, FIRE, "equipment.alarm_audible", None, json!("no"))
        .unwrap();
    let r = b.sync().unwrap();
    assert!(r.pushed > 0);
    assert_eq!(r.pulled, 0, "b must not receive its own changes back");
    b_pushed += r.pushed;
    let r = a.sync().unwrap();
    assert_eq!(r.pulled, b_pushed, "a receives exactly b's changes");
    let again = a.sync().unwrap();
    assert_eq!(
        (again.pushed, again.pulled),
        (0, 0),
        "nothing new either way"
    );
    assert_eq!(a.snapshot(), b.snapshot());
}

#[test]
fn a_device_never_pulls_its_own_changes_on_sqlite() {
    no_echo(sqlite);
}

#[test]
fn a_device_never_pulls_its_own_changes_on_postgres() {
    no_echo(postgres);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A laptop whose data folder is restored from an older copy keeps its device id;
/// the server has changes of that id that the copy lacks. Such a device asks for
/// its own changes too, so nothing it had pushed is lost to it.
#[test]
fn a_device_restored_from_an_older_copy_gets_its_own_pushed_changes_back() {
    let c = cluster(Backend::Sqlite);
    let url = c.urls()[0].clone();
    let a = Device::new("Rina's laptop");
    a.login(&url, "acme", "rina");
    let audit = start_audit(&a);
    a.sync().unwrap();
    let backup = tempfile::tempdir().unwrap();
    copy_dir(a.dir.path(), backup.path());

    let late = Uuid::now_v7();
    a.store()
        .write(|w| {
            w.set(
                EntityKind::Facility,
                late,
                &[("name", json!("Written after the backup"))],
            )
            .map(drop)
        })
        .unwrap();
    a.store()
        .record_answer(audit, FIRE, "equipment.alarm_audible", None, json!("no"))
        .unwrap();
    a.sync().unwrap();
    let before_loss = a.snapshot();

    // The disk dies; the folder comes back from the backup.
    std::fs::remove_dir_all(a.dir.path()).unwrap();
    copy_dir(backup.path(), a.dir.path());
    assert!(a.store().row(EntityKind::Facility, late).unwrap().is_none());
    let r = a.sync().unwrap();
    assert!(r.pulled > 0, "{r:?}");
    assert_eq!(
        a.snapshot(),
        before_loss,
        "everything it had pushed is back"
    );
    // Caught up: it stops asking for its own changes.
    assert!(!a.store().pulls_own_changes().unwrap());
    let again = a.sync().unwrap();
    assert_eq!((again.pushed, again.pulled), (0, 0), "{again:?}");
}

/// How the first sync after a restore goes wrong before it succeeds.
#[derive(Clone, Copy, PartialEq)]
enum Trouble {
    None,
    /// The push after the renumbering never reaches the server (as if the laptop
    /// crashed right after renumbering), then its answer is lost after the server
    /// applied it; then a clean sync.
    CrashThenLostAnswer,
}

/// A laptop syncs, its data folder is copied (backup), it makes more changes and
/// syncs them, and then the folder comes back from the copy. The auditor types new
/// things (`new_writes` facilities with unique names, a note, and a different
/// answer to an item answered before the loss) and syncs. Every new change must
/// reach the server and a second device exactly once, the server's copies of the
/// changes made before the loss stay as they were and come back to the laptop, and
/// the differing answer is kept as a conflict.
fn restored_then_typed(backend: fn() -> Option<Backend>, new_writes: usize, trouble: Trouble) {
    let Some(backend) = backend() else { return };
    let c = cluster(backend);
    let url = c.urls()[0].clone();
    let proxy = Proxy::start(&c.rt, c.urls(), Faults::default(), 7);
    let (a, b, fresh) = (
        Device::new("Rina's laptop"),
        Device::new("Tomas's laptop"),
        Device::new("fresh laptop"),
    );
    a.login(&url, "acme", "rina");
    b.login(&url, "acme", "tomas");
    fresh.login(&url, "acme", "fresh");
    a.switch_server(&proxy.url);
    let me = a.store().device_id();
    let audit = start_audit(&a);
    a.sync().unwrap();
    b.sync().unwrap();
    let backup = tempfile::tempdir().unwrap();
    copy_dir(a.dir.path(), backup.path());
    let backed_up = a.store().last_device_seq().unwrap();

    // After the backup: changes that reach the server, then the disk dies.
    let late = Uuid::now_v7();
    a.store()
        .write(|w| {
            w.set(
                EntityKind::Facility,
                late,
                &[("name", json!("Written after the backup"))],
            )
            .map(drop)
        })
        .unwrap();
    a.store()
        .record_answer(audit, FIRE, "equipment.alarm_audible", None, json!("no"))
        .unwrap();
    a.store()
        .set_answer_note(
            audit,
            FIRE,
            "equipment.alarm_audible",
            None,
            "Siren silent on floor 2",
        )
        .unwrap();
    for i in 0..10 {
        a.store()
            .write(|w| {
                w.set(
                    EntityKind::Facility,
                    Uuid::now_v7(),
                    &[("name", json!(format!("Lost side {i}")))],
                )
                .map(drop)
            })
            .unwrap();
    }
    a.sync().unwrap();
    let token = fieldaudit_core::sync::session::load(fresh.dir.path())
        .unwrap()
        .unwrap()
        .token;
    let own =
        |log: &[fieldaudit_protocol::PulledChange]| -> BTreeMap<u64, fieldaudit_protocol::Change> {
            log.iter()
                .filter(|p| p.device_id == me)
                .map(|p| (p.change.device_seq, p.change.clone()))
                .collect()
        };
    let lost = own(&pull_all(&url, &token));
    let server_watermark = *lost.keys().max().unwrap();
    assert!(
        server_watermark > backed_up + 3,
        "the server holds changes the copy lacks"
    );
    std::fs::remove_dir_all(a.dir.path()).unwrap();
    copy_dir(backup.path(), a.dir.path());
    assert_eq!(a.store().last_device_seq().unwrap(), backed_up);

    // Typed after the restore. With more writes than the server holds beyond the
    // copy, the copy's numbers overtake the server's watermark before it syncs.
    let run = Uuid::now_v7().simple().to_string();
    let names: Vec<String> = (0..new_writes)
        .map(|i| format!("typed after restore {i} [{run}]"))
        .collect();
    let mut typed = a.store();
    let mut rows = Vec::new();
    for name in &names {
        let id = Uuid::now_v7();
        typed
            .write(|w| {
                w.set(EntityKind::Facility, id, &[("name", json!(name))])
                    .map(drop)
            })
            .unwrap();
        rows.push(id);
    }
    let note = format!("Retyped after restore [{run}]");
    typed
        .record_answer(audit, FIRE, "equipment.alarm_audible", None, json!("yes"))
        .unwrap();
    typed
        .set_answer_note(audit, FIRE, "equipment.alarm_audible", None, &note)
        .unwrap();
    drop(typed);
    let typed_log = a.store().changes_after(backed_up, usize::MAX).unwrap();
    assert!(typed_log.len() >= new_writes + 2);
    let copy_last = a.store().last_device_seq().unwrap();
    if new_writes > 10 {
        assert!(
            copy_last > server_watermark,
            "the copy's numbers went past the server's ({copy_last}, {server_watermark})"
        );
    } else {
        assert!(
            copy_last < server_watermark,
            "the copy's numbers stay below the server's ({copy_last}, {server_watermark})"
        );
    }

    let sync_with = |on_push: &dyn Fn()| {
        fieldaudit_core::sync::sync(
            a.dir.path(),
            fieldaudit_core::sync::SyncOptions { retry: a.retry },
            &|p| {
                if p.phase == fieldaudit_core::sync::SyncPhase::Pushing {
                    on_push();
                }
            },
            &std::sync::atomic::AtomicBool::new(false),
        )
    };
    if trouble == Trouble::CrashThenLostAnswer {
        let err = sync_with(&|| {
            proxy.set_faults(Faults {
                drop_request: 1.0,
                ..Faults::default()
            })
        })
        .unwrap_err();
        assert!(
            matches!(err, CoreError::Offline { .. } | CoreError::Server { .. }),
            "{err:?}"
        );
        proxy.set_faults(Faults::default());
        let renumbered = a.store().changes_after(0, usize::MAX).unwrap();
        assert!(
            renumbered
                .iter()
                .all(|c| c.device_seq <= backed_up || c.device_seq > server_watermark),
            "new changes follow the server's watermark"
        );
        assert_eq!(a.store().push_watermark().unwrap(), server_watermark);
        assert!(a.store().pulls_own_changes().unwrap());
        let err = sync_with(&|| {
            proxy.set_faults(Faults {
                drop_response: 1.0,
                ..Faults::default()
            })
        })
        .unwrap_err();
        assert!(
            matches!(err, CoreError::Offline { .. } | CoreError::Server { .. }),
            "{err:?}"
        );
        proxy.set_faults(Faults::default());
        assert_eq!(
            a.store().push_watermark().unwrap(),
            server_watermark,
            "the answer never arrived"
        );
    }
    let r = sync_with(&|| {}).unwrap();
    assert_eq!(
        r.conflicts, 2,
        "the answer and note typed again differently are kept as conflicts: {r:?}"
    );
    assert!(
        !a.store().pulls_own_changes().unwrap(),
        "caught up: no more asking for its own changes"
    );
    assert_eq!(a.store().sync_status().unwrap().pending_changes, 0);

    // On the server: every typed change once, under new numbers; the changes made
    // before the loss untouched; this device's numbers gap-free.
    let log = pull_all(&url, &token);
    let server_own = own(&log);
    assert_eq!(
        server_own.keys().copied().collect::<Vec<_>>(),
        (1..=*server_own.keys().max().unwrap()).collect::<Vec<_>>(),
        "gap-free"
    );
    for (seq, change) in &lost {
        assert_eq!(
            server_own.get(seq),
            Some(change),
            "change {seq} from before the loss is as it was"
        );
    }
    let mut stamps = HashSet::new();
    for change in server_own.values() {
        assert!(
            stamps.insert((
                change.hlc,
                change.entity.clone(),
                change.row_id,
                change.field.clone()
            )),
            "change sent twice: {change:?}"
        );
    }
    for t in &typed_log {
        let on_server: Vec<_> = server_own
            .values()
            .filter(|c| c.hlc == t.hlc && c.row_id == t.row_id && c.field == t.field)
            .collect();
        assert_eq!(on_server.len(), 1, "typed change {t:?} on the server once");
        assert_eq!(on_server[0].value, t.value);
        assert!(
            on_server[0].device_seq > server_watermark,
            "under a new number"
        );
    }

    // On the second device: everything, the same as on the laptop.
    b.sync().unwrap();
    let b_store = b.store();
    for (id, name) in rows.iter().zip(&names) {
        assert_eq!(
            b_store.row(EntityKind::Facility, *id).unwrap().unwrap()["name"],
            json!(name)
        );
    }
    assert_eq!(
        b_store.row(EntityKind::Facility, late).unwrap().unwrap()["name"],
        json!("Written after the backup")
    );
    let answer = b_store
        .answers(audit)
        .unwrap()
        .into_iter()
        .find(|x| x.item_id.as_deref() == Some("equipment.alarm_audible"))
        .unwrap();
    assert_eq!(
        (answer.value, answer.note.as_deref()),
        (Some(json!("yes")), Some(note.as_str())),
        "the newer writes win"
    );
    drop(b_store);
    a.sync().unwrap();
    assert_eq!(a.snapshot(), b.snapshot());
    let conflicts = a.store().conflicts(false).unwrap();
    assert!(
        conflicts.iter().any(|k| k.loser_value == Some(json!("no"))),
        "{conflicts:?}"
    );
    assert!(
        conflicts
            .iter()
            .any(|k| k.loser_value == Some(json!("Siren silent on floor 2"))),
        "{conflicts:?}"
    );
    let again = a.sync().unwrap();
    assert_eq!((again.pushed, again.pulled), (0, 0), "{again:?}");
}

#[test]
fn a_restored_device_keeps_what_is_typed_after_the_restore_on_sqlite() {
    restored_then_typed(sqlite, 2, Trouble::None);
    restored_then_typed(sqlite, 40, Trouble::None);
}

#[test]
fn a_restored_device_keeps_what_is_typed_after_the_restore_on_postgres() {
    restored_then_typed(postgres, 2, Trouble::None);
    restored_then_typed(postgres, 40, Trouble::None);
}

#[test]
fn a_restored_device_recovers_through_a_crash_and_a_lost_answer_on_sqlite() {
    restored_then_typed(sqlite, 40, Trouble::CrashThenLostAnswer);
}

#[test]
fn a_restored_device_recovers_through_a_crash_and_a_lost_answer_on_postgres() {
    restored_then_typed(postgres, 3, Trouble::CrashThenLostAnswer);
}

#[test]
fn an_oversized_attachment_is_reported_and_blocks_nothing_else() {
    let mut c = Cluster::new(
        Backend::Sqlite,
        ServerConfig {
            max_attachment_bytes: 1024,
            ..ServerConfig::default()
        },
    );
    c.organisation("acme", &["rina", "tomas"]);
    c.start();
    let url = c.urls()[0].clone();
    let (a, b) = (Device::new("a"), Device::new("b"));
    a.login(&url, "acme", "rina");
    b.login(&url, "acme", "tomas");
    let audit = start_audit(&a);
    let mut sa = a.store();
    sa.add_attachment(
        audit,
        "audit",
        audit,
        "big.jpg",
        "image/jpeg",
        &vec![7u8; 4096],
    )
    .unwrap();
    sa.add_attachment(
        audit,
        "audit",
        audit,
        "small.jpg",
        "image/jpeg",
        &[1u8; 100],
    )
    .unwrap();
    sa.record_answer(audit, FIRE, "equipment.alarm_audible", None, json!("no"))
        .unwrap();
    drop(sa);
    let report = a.sync().unwrap();
    assert_eq!(report.upload_errors.len(), 1, "{report:?}");
    assert!(
        report.upload_errors[0].contains("not uploaded"),
        "{}",
        report.upload_errors[0]
    );
    assert_eq!(report.uploaded, 1);
    assert_eq!(a.store().sync_status().unwrap().pending_changes, 0);
    // The next sync does not try the refused file again and still works.
    assert!(a.sync().unwrap().upload_errors.is_empty());

    let got = b.sync().unwrap();
    assert_eq!(
        got.downloaded, 1,
        "the small photo arrives; the big one is not on the server"
    );
    assert_eq!(answers(&b, audit).len(), 1);
    let small = fieldaudit_core::attachments::sha256_hex(&[1u8; 100]);
    assert_eq!(
        std::fs::read(b.store().attachment_path(&small)).unwrap(),
        vec![1u8; 100]
    );
}

#[test]
fn a_revoked_device_is_told_to_sign_in_again() {
    let c = cluster(Backend::Sqlite);
    let url = c.urls()[0].clone();
    let a = Device::new("lost laptop");
    a.login(&url, "acme", "rina");
    a.sync().unwrap();
    c.revoke("acme", a.store().device_id());
    let err = a.sync().unwrap_err();
    assert!(matches!(err, CoreError::SignedOut(_)), "{err:?}");
    assert!(err.to_string().contains("sign in again"), "{err}");
}

#[test]
fn an_unreachable_server_is_reported_as_offline_and_nothing_is_lost() {
    let mut c = cluster(Backend::Sqlite);
    let url = c.urls()[0].clone();
    let a = Device::new("a");
    a.login(&url, "acme", "rina");
    let audit = start_audit(&a);
    c.kill(0);
    let err = a.sync().unwrap_err();
    assert!(matches!(err, CoreError::Offline { .. }), "{err:?}");
    assert!(err.to_string().contains("saved on this device"));
    let pending = a.store().sync_status().unwrap().pending_changes;
    assert!(pending > 0);
    c.start();
    a.switch_server(&c.urls()[0]);
    a.sync().unwrap();
    assert_eq!(a.store().sync_status().unwrap().pending_changes, 0);
    let b = Device::new("b");
    b.login(&c.urls()[0], "acme", "tomas");
    b.sync().unwrap();
    assert!(b.store().audit(audit).is_ok());
}

#[test]
fn sneakernet_files_give_the_same_result_as_a_network_sync() {
    let c = cluster(Backend::Sqlite);
    let url = c.urls()[0].clone();
    let (field, office, online) = (
        Device::new("site laptop"),
        Device::new("office laptop"),
        Device::new("online laptop"),
    );
    field.login(&url, "acme", "rina");
    office.login(&url, "acme", "tomas");
    online.login(&url, "acme", "lan");
    field.sync().unwrap();

    // On site, no network: work, then carry a file to the office.
    let audit = start_audit(&field);
    let mut s = field.store();
    s.record_answer(audit, FIRE, "equipment.alarm_audible", None, json!("no"))
        .unwrap();
    s.add_attachment(
        audit,
        "audit",
        audit,
        "exit.jpg",
        "image/jpeg",
        b"jpeg bytes",
    )
    .unwrap();
    drop(s);
    let out = field.dir.path().join("to-office.fasync");
    let exported = fieldaudit_core::sync::export_sync_file(field.dir.path(), &out).unwrap();
    assert!(
        exported.changes > 10 && exported.attachments == 1,
        "{exported:?}"
    );
    let bytes = std::fs::read(&out).unwrap();
    let first = c.import_device_file(&bytes).unwrap();
    let again = c.import_device_file(&bytes).unwrap();
    assert_eq!(
        again.watermark, first.watermark,
        "importing twice changes nothing"
    );
    assert_eq!(again.applied, 0);
    assert!(c
        .import_device_file(b"not a sync file")
        .unwrap_err()
        .contains("not a complete FieldAudit sync file"));

    // The office exports everything for a device that also has no network.
    let server_file = c.export_server_file("acme", 0);
    let back = office.dir.path().join("from-office.fasync");
    std::fs::write(&back, &server_file).unwrap();
    let imported = fieldaudit_core::sync::import_sync_file(office.dir.path(), &back).unwrap();
    assert!(
        imported.applied > 0 && imported.attachments == 1,
        "{imported:?}"
    );
    let snapshot = office.snapshot();
    assert_eq!(
        fieldaudit_core::sync::import_sync_file(office.dir.path(), &back)
            .unwrap()
            .applied,
        0,
        "a second import applies nothing"
    );
    assert_eq!(office.snapshot(), snapshot);

    // Same as a device that synced over the network.
    online.sync().unwrap();
    assert_eq!(office.snapshot(), online.snapshot());
    let sha = fieldaudit_core::attachments::sha256_hex(b"jpeg bytes");
    assert_eq!(
        std::fs::read(office.store().attachment_path(&sha)).unwrap(),
        b"jpeg bytes"
    );
    // A device file is refused by a device, with where it belongs.
    let err = fieldaudit_core::sync::import_sync_file(office.dir.path(), &out).unwrap_err();
    assert!(
        err.to_string().contains("fieldaudit-server sync import"),
        "{err}"
    );
}

/// A laptop whose date was a day ahead while the auditor typed: the server
/// refuses those stamps, and once the laptop's clock agrees with the server's the
/// same values are stamped again and arrive everywhere; nothing stays quarantined.
fn clock_was_ahead(backend: fn() -> Option<Backend>) {
    let Some(backend) = backend() else { return };
    let c = cluster(backend);
    let (a, b) = rina_and_tomas(&c);
    let audit = start_audit(&a);
    a.store()
        .record_answer(audit, FIRE, "equipment.alarm_audible", None, json!("no"))
        .unwrap();
    let typed = answers(&a, audit);
    {
        // What a day-ahead wall clock would have stamped (the hybrid clock then
        // continues from there when the store is opened again).
        let db = rusqlite::Connection::open(a.dir.path().join("fieldaudit.db")).unwrap();
        let ahead =
            fieldaudit_protocol::Hlc::from_datetime(chrono::Utc::now() + chrono::Duration::days(1))
                .to_string();
        db.execute("UPDATE change_log SET hlc = ?1", [&ahead])
            .unwrap();
        db.execute("UPDATE field_version SET hlc = ?1", [&ahead])
            .unwrap();
    }
    let r = a.sync().unwrap();
    assert!(
        r.restamped > 10,
        "every field typed is stamped again: {r:?}"
    );
    assert_eq!(
        r.rejected, 0,
        "the day-ahead stamps were refused, but replaced, so not reported as refused: {r:?}"
    );
    assert!(
        a.store().quarantine().unwrap().is_empty(),
        "refusals replaced by re-stamped changes are not kept"
    );
    b.sync().unwrap();
    assert_eq!(
        answers(&b, audit),
        typed,
        "the other auditor has everything typed"
    );
    assert_eq!(a.snapshot(), b.snapshot());
    let again = a.sync().unwrap();
    assert_eq!((again.restamped, again.pushed, again.rejected), (0, 0, 0));
    // Writes after recovery carry present stamps and go through at once.
    a.store()
        .record_answer(audit, FIRE, "equipment.alarm_audible", None, json!("yes"))
        .unwrap();
    let r = a.sync().unwrap();
    assert!(r.pushed >= 1 && r.rejected == 0, "{r:?}");
    b.sync().unwrap();
    assert_eq!(
        answers(&b, audit)[&(FIRE.to_owned(), "equipment.alarm_audible".to_owned())],
        json!("yes")
    );
}

#[test]
fn a_laptop_whose_clock_was_ahead_gets_its_changes_through_on_sqlite() {
    clock_was_ahead(sqlite);
}

#[test]
fn a_laptop_whose_clock_was_ahead_gets_its_changes_through_on_postgres() {
    clock_was_ahead(postgres);
}

/// A sign-off made on one laptop verifies on another after sync (the canonical
/// form is the same there), and stops verifying there once the audit changes.
#[test]
fn a_sign_off_verifies_on_another_device() {
    let Some(backend) = sqlite() else { return };
    let c = cluster(backend);
    let (a, b) = rina_and_tomas(&c);
    let audit = start_audit(&a);
    {
        let mut s = a.store();
        s.record_answer(audit, FIRE, "equipment.alarm_audible", None, json!("no"))
            .unwrap();
        s.record_answer(audit, WAGES, "hours.highest_weekly", None, json!(72))
            .unwrap();
        s.set_answer_note(
            audit,
            FIRE,
            "equipment.alarm_audible",
            None,
            "not heard in the warehouse",
        )
        .unwrap();
        s.sign_off_audit(audit, "Rina Akter").unwrap();
    }
    a.sync().unwrap();
    b.sync().unwrap();
    let checks = b.store().verify_signoffs(audit).unwrap();
    assert_eq!(checks.len(), 1);
    assert!(
        checks[0].signature_valid && checks[0].unchanged,
        "{checks:?}"
    );
    assert_eq!(
        b.store().audit_digest(audit).unwrap(),
        a.store().audit_digest(audit).unwrap()
    );
    // Signed: read-only on the other laptop too, until the lead auditor reopens it.
    let e = b
        .store()
        .set_answer_note(
            audit,
            FIRE,
            "equipment.alarm_audible",
            None,
            "heard after all",
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("reopen"), "{e}");
    a.store()
        .reopen_audit(audit, "Tomas heard the alarm after all")
        .unwrap();
    a.sync().unwrap();
    b.sync().unwrap();
    b.store()
        .set_answer_note(
            audit,
            FIRE,
            "equipment.alarm_audible",
            None,
            "heard after all",
        )
        .unwrap();
    b.sync().unwrap();
    a.sync().unwrap();
    let checks = a.store().verify_signoffs(audit).unwrap();
    assert!(
        checks[0].signature_valid && !checks[0].unchanged && checks[0].voided,
        "the other auditor's change shows on the signer's laptop too"
    );
}

/// Only reviewers approve: an auditor's laptop that writes an approval itself is
/// refused by the server (and the refusal kept for review); a reviewer's approval
/// of the signed audit goes through and reaches the auditor.
#[test]
fn only_a_reviewer_approves_an_audit() {
    let Some(backend) = sqlite() else { return };
    use fieldaudit_protocol::api::Role;
    let mut c = Cluster::new(backend, ServerConfig::default());
    c.organisation_with_roles(
        "acme",
        &[
            ("rina", Role::Auditor),
            ("lena", Role::Reviewer),
            ("ops", Role::Admin),
        ],
    );
    c.start();
    let url = c.urls()[0].clone();
    let (a, r, ops) = (
        Device::new("Rina's laptop"),
        Device::new("Lena's laptop"),
        Device::new("Office"),
    );
    a.login(&url, "acme", "rina");
    r.login(&url, "acme", "lena");
    ops.login(&url, "acme", "ops");
    let facility = add_facility(&ops);
    ops.sync().unwrap();
    a.sync().unwrap();
    let audit = start_audit_at(&a, facility);
    a.store()
        .record_answer(audit, FIRE, "equipment.alarm_audible", None, json!("no"))
        .unwrap();
    a.store().sign_off_audit(audit, "Rina Akter").unwrap();
    a.sync().unwrap();

    // The auditor cannot approve through the app's core…
    let e = a
        .store()
        .review_audit(audit, fieldaudit_core::review::ReviewDecision::Approve, "")
        .unwrap_err()
        .to_string();
    assert!(e.contains("only reviewers"), "{e}");
    // …and a forged approval written straight into the store is refused by the server.
    a.store()
        .write(|w| {
            w.set(EntityKind::Audit, audit, &[("status", json!("approved"))])
                .map(|_| ())
        })
        .unwrap();
    let forged = a.sync().unwrap();
    assert_eq!(forged.rejected, 1, "{forged:?}");
    assert!(a.store().quarantine().unwrap()[0]
        .message
        .contains("reviewers"));

    // The reviewer approves what was signed; it reaches the auditor.
    r.sync().unwrap();
    assert_eq!(
        r.store().audit(audit).unwrap().status.map(|v| v.as_str()),
        Some("submitted"),
        "the forged approval never reached the server"
    );
    r.store()
        .review_audit(audit, fieldaudit_core::review::ReviewDecision::Approve, "")
        .unwrap();
    let approved = r.sync().unwrap();
    assert_eq!(approved.rejected, 0, "{approved:?}");
    a.sync().unwrap();
    let seen = a.store().audit(audit).unwrap();
    assert_eq!(
        (seen.status.map(|v| v.as_str()), seen.reviewed_by.as_deref()),
        (Some("approved"), Some("lena"))
    );

    // By sync file (no network at the reviewer's end) the decision counts as its
    // user's too: the reviewer's comment is accepted, the auditor's refused.
    r.store()
        .write(|w| {
            w.set(
                EntityKind::Audit,
                audit,
                &[("review_comment", json!("approved on site"))],
            )
            .map(|_| ())
        })
        .unwrap();
    a.store()
        .write(|w| {
            w.set(
                EntityKind::Audit,
                audit,
                &[("review_comment", json!("self-approved"))],
            )
            .map(|_| ())
        })
        .unwrap();
    let file = |d: &Device| {
        let out = d.dir.path().join("out.fasync");
        fieldaudit_core::sync::export_sync_file(d.dir.path(), &out).unwrap();
        std::fs::read(out).unwrap()
    };
    assert!(c.import_device_file(&file(&r)).unwrap().rejected.is_empty());
    let refused = c.import_device_file(&file(&a)).unwrap();
    assert_eq!(refused.rejected.len(), 1, "{refused:?}");
}
