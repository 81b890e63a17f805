//! The random fault-injection sync property, with need-to-know scope: laptops of
//! every role (an admin, a reviewer, auditors, an interviewer) write inside and
//! outside what their role allows, through a faulty proxy and server restarts,
//! while the office changes audit teams and auditors start new audits. After a
//! clean round:
//! - every laptop holds exactly its scope: the audits whose team its user is on
//!   (every audit for the reviewer and the admin) and nothing of any other;
//! - what it holds is what a fresh laptop of the same user receives from the
//!   server, except the fields of ops the server refused, which wait in the
//!   laptop's quarantine with their reason;
//! - every op any laptop made is on the server exactly once, or was refused with a
//!   reason: nothing acknowledged is lost, including the edits of a laptop taken
//!   off a team before it synced them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use fieldaudit_core::audits::NewAudit;
use fieldaudit_core::import::FacilityRecord;
use fieldaudit_core::model::ChecklistRef;
use fieldaudit_protocol::api::Role;
use fieldaudit_protocol::closed_sets::{AuditType, Notice};
use fieldaudit_protocol::scope::TeamRole;
use fieldaudit_protocol::EntityKind;
use fieldaudit_server::ServerConfig;
use fieldaudit_tests::{cases, pg_base_url, pull_all, Backend, Cluster, Device, Faults, Proxy};
use serde_json::{json, Map, Value};
use uuid::Uuid;

const FIRE: &str = "fire-safety";
const ITEMS: [&str; 3] = [
    "equipment.alarm_audible",
    "equipment.coverage_gap",
    "hazards.flammables_apart",
];
const AUDITORS: [&str; 3] = ["ana", "bea", "cai"];
const INTERVIEWER: &str = "ida";

/// A user's laptop.
struct Laptop {
    user: &'static str,
    role: Role,
    device: Device,
}

/// What one random run did, to check that it exercised what it is about.
#[derive(Default, Debug)]
struct Tally {
    refused: usize,
    removed_audits: usize,
    reassignments: usize,
}

fn start_audit(device: &Device, facility: Uuid) -> Option<Uuid> {
    device
        .store()
        .start_audit(&NewAudit {
            facility_id: facility,
            checklists: vec![ChecklistRef {
                template_id: FIRE.into(),
                version: 1,
            }],
            audit_type: AuditType::Initial,
            notice: Notice::Announced,
            start_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            end_date: None,
            auditors: vec![],
        })
        .ok()
}

/// The audits a laptop holds.
fn held_audits(device: &Device) -> BTreeSet<Uuid> {
    device
        .store()
        .audits(None)
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect()
}

fn pick<T: Copy>(rng: &mut fastrand::Rng, from: &[T]) -> Option<T> {
    (!from.is_empty()).then(|| from[rng.usize(..from.len())])
}

/// One random write by this laptop, in or out of its user's role. Errors from the
/// store (an audit that left the laptop meanwhile) are part of the game.
///
/// Out of role: the facility registry for everyone but the admin, and answer notes
/// for the reviewer. (Out-of-role ops on an audit a laptop then loses go with the
/// audit's other rows, so the interviewer's stay in the registry, where they can
/// be checked.)
fn random_write(l: &Laptop, facility: Uuid, rng: &mut fastrand::Rng) {
    let mut store = l.device.store();
    let audits: Vec<Uuid> = held_audits(&l.device).into_iter().collect();
    if l.role == Role::Admin || rng.u8(..4) == 0 {
        let field = ["name", "address"][rng.usize(..2)];
        let value = json!(format!("{field} {}", rng.u16(..)));
        let _ = store.write(|w| w.set(EntityKind::Facility, facility, &[(field, value)]).map(drop));
        return;
    }
    let Some(audit) = pick(rng, &audits) else { return };
    let item = ITEMS[rng.usize(..ITEMS.len())];
    match (l.role, rng.bool()) {
        (Role::Auditor, true) => {
            let value = json!(if rng.bool() { "yes" } else { "no" });
            let _ = store.record_answer(audit, FIRE, item, None, value);
        }
        (Role::Interviewer, _) => {
            let worker = format!("W-{:02}", rng.u8(..20));
            let _ = store.save_fee_record(None, audit, &worker, &Map::new());
        }
        // A note on an answer that exists.
        _ => {
            let existing: Vec<Uuid> = store
                .answers(audit)
                .unwrap_or_default()
                .into_iter()
                .map(|a| a.id)
                .collect();
            if let Some(answer) = pick(rng, &existing) {
                let note = json!(format!("{} wrote {}", l.user, rng.u16(..)));
                let _ = store.write(|w| w.set(EntityKind::Answer, answer, &[("note", note)]).map(drop));
            }
        }
    }
}

/// A new team for an audit: a lead, maybe more auditors, maybe the interviewer.
fn random_team(rng: &mut fastrand::Rng) -> Vec<(&'static str, TeamRole)> {
    let lead = AUDITORS[rng.usize(..AUDITORS.len())];
    let mut team = vec![(lead, TeamRole::Lead)];
    for a in AUDITORS {
        if a != lead && rng.u8(..3) == 0 {
            team.push((a, TeamRole::Auditor));
        }
    }
    if rng.bool() {
        team.push((INTERVIEWER, TeamRole::Interviewer));
    }
    team
}

/// Every op a laptop has made so far, by (device, device_seq), and the ops the
/// server refused to it (kept even after the laptop drops them with an audit).
fn record(
    laptops: &[Laptop],
    made: &mut HashMap<(Uuid, u64), (String, Uuid, String)>,
    refused: &mut HashSet<(Uuid, u64)>,
) {
    for l in laptops {
        let store = l.device.store();
        let me = store.device_id();
        for c in store.changes_after(0, usize::MAX).unwrap() {
            made.entry((me, c.device_seq))
                .or_insert((c.entity, c.row_id, c.field));
        }
        for q in store.quarantine().unwrap() {
            refused.insert((me, q.device_seq));
        }
    }
}

/// A laptop's rows with the fields of its quarantined ops left out (their refused
/// value stays on the laptop, for its user to see and redo), and the same fields
/// left out of `reference`; rows that exist only through refused ops are dropped.
fn without_refused(
    device: &Device,
    mut mine: BTreeMap<String, Vec<Value>>,
    mut reference: BTreeMap<String, Vec<Value>>,
) -> (BTreeMap<String, Vec<Value>>, BTreeMap<String, Vec<Value>>) {
    let q = device.store().quarantine().unwrap();
    let refused: HashSet<(String, String, String)> = q
        .iter()
        .map(|o| (o.entity.clone(), o.row_id.clone(), o.field.clone()))
        .collect();
    let refused_rows: HashSet<(String, String)> = q
        .iter()
        .map(|o| (o.entity.clone(), o.row_id.clone()))
        .collect();
    let strip = |entity: &str, rows: &mut Vec<Value>| {
        for r in rows.iter_mut() {
            let id = r["id"].as_str().unwrap_or_default().to_owned();
            if let Some(obj) = r.as_object_mut() {
                obj.retain(|f, _| !refused.contains(&(entity.to_owned(), id.clone(), f.clone())));
            }
        }
    };
    for (entity, rows) in reference.iter_mut() {
        strip(entity, rows);
    }
    for (entity, rows) in mine.iter_mut() {
        strip(entity, rows);
        let id_of = |r: &Value| r["id"].as_str().unwrap_or_default().to_owned();
        let known: HashSet<String> = reference
            .get(entity)
            .map(|rs| rs.iter().map(id_of).collect())
            .unwrap_or_default();
        rows.retain(|r| known.contains(&id_of(r)) || !refused_rows.contains(&(entity.clone(), id_of(r))));
    }
    (mine, reference)
}

fn scoped_convergence(backend: fn() -> Option<Backend>, servers: usize, seed: u64) -> Tally {
    let Some(b) = backend() else {
        return Tally::default();
    };
    let mut c = Cluster::new(b, ServerConfig::default());
    let mut users = vec![("ops", Role::Admin), ("lena", Role::Reviewer), (INTERVIEWER, Role::Interviewer)];
    users.extend(AUDITORS.iter().map(|a| (*a, Role::Auditor)));
    c.organisation_with_roles("acme", &users);
    for _ in 0..servers {
        c.start();
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = Tally::default();
    let proxy = Proxy::start(&c.rt, c.urls(), Faults::default(), seed);
    let laptops: Vec<Laptop> = users
        .iter()
        .map(|(user, role)| {
            let device = Device::new(&format!("{user}'s laptop"));
            device.login(&c.urls()[0], "acme", user);
            device.switch_server(&proxy.url);
            Laptop {
                user: *user,
                role: *role,
                device,
            }
        })
        .collect();
    let by_user = |u: &str| laptops.iter().find(|l| l.user == u).unwrap();

    // The office registers the facility; Ana and Bea each start an audit there, and
    // the interviewer joins Ana's.
    let facility = by_user("ops")
        .device
        .store()
        .add_facility(&FacilityRecord {
            name: "Zaber and Zubair Fabrics".into(),
            address: "Tongi".into(),
            country_code: "BD".into(),
            ..Default::default()
        })
        .unwrap();
    by_user("ops").device.sync_until_ok(3);
    let mut audits = Vec::new();
    for lead in ["ana", "bea"] {
        let d = &by_user(lead).device;
        d.sync_until_ok(3);
        audits.push(start_audit(d, facility).expect("start an audit"));
        d.sync_until_ok(3);
    }
    c.assign("acme", audits[0], &[("ana", TeamRole::Lead), (INTERVIEWER, TeamRole::Interviewer)]);

    let mut made = HashMap::new();
    let mut refused = HashSet::new();
    proxy.set_faults(Faults {
        drop_request: 0.08,
        drop_response: 0.08,
        duplicate: 0.08,
        delay: 0.1,
        truncate: 0.08,
    });
    for _step in 0..rng.usize(15..35) {
        let l = &laptops[rng.usize(..laptops.len())];
        match rng.u8(..12) {
            0..=5 => random_write(l, facility, &mut rng),
            6..=8 => {
                if let Ok(r) = l.device.sync() {
                    tally.removed_audits += r.removed_audits as usize;
                }
            }
            9 => {
                let audit = audits[rng.usize(..audits.len())];
                // The office changes the team of an audit it already has.
                if !c.team("acme", audit).is_empty() {
                    c.assign("acme", audit, &random_team(&mut rng));
                    tally.reassignments += 1;
                }
            }
            10 => {
                let auditor = by_user(AUDITORS[rng.usize(..AUDITORS.len())]);
                if audits.len() < 5 {
                    audits.extend(start_audit(&auditor.device, facility));
                }
            }
            _ => {
                let i = rng.usize(..servers);
                c.restart(i);
                proxy.set_upstreams(c.urls());
            }
        }
        record(&laptops, &mut made, &mut refused);
    }

    // Clean network: everyone syncs until nothing changes.
    proxy.set_faults(Faults::default());
    for _round in 0..3 {
        for l in &laptops {
            tally.removed_audits += l.device.sync_until_ok(3).removed_audits as usize;
        }
    }
    record(&laptops, &mut made, &mut refused);

    let teams: BTreeMap<Uuid, Vec<String>> =
        audits.iter().map(|a| (*a, c.team("acme", *a))).collect();
    let mut server_log = None;
    for l in &laptops {
        let who = format!("seed {seed}: {} ({:?})", l.user, l.role);
        let status = l.device.store().sync_status().unwrap();
        assert_eq!(status.pending_changes, 0, "{who} has unsent changes");

        // It holds exactly its scope…
        let expected: BTreeSet<Uuid> = match l.role {
            Role::Admin | Role::Reviewer => audits.iter().copied().collect(),
            _ => teams
                .iter()
                .filter(|(_, team)| team.iter().any(|u| u == l.user))
                .map(|(a, _)| *a)
                .collect(),
        };
        assert_eq!(held_audits(&l.device), expected, "{who}: audits held vs teams {teams:?}");
        let snapshot = l.device.snapshot();
        for (entity, rows) in &snapshot {
            for r in rows {
                if let Some(a) = r.get("audit_id").and_then(Value::as_str) {
                    let a: Uuid = a.parse().unwrap();
                    assert!(
                        expected.contains(&a),
                        "{who} holds a {entity} row of audit {a}, not in its scope"
                    );
                }
            }
        }

        // …as the server holds it: what a fresh laptop of the same user receives.
        let fresh = Device::new("fresh laptop");
        fresh.login(&proxy.url, "acme", l.user);
        fresh.sync_until_ok(3);
        let (mine, theirs) = without_refused(&l.device, snapshot, fresh.snapshot());
        assert_eq!(mine, theirs, "{who} differs from the server's view of its scope");
        if l.role == Role::Admin {
            let token = fieldaudit_core::sync::session::load(fresh.dir.path())
                .unwrap()
                .unwrap()
                .token;
            server_log = Some(pull_all(&proxy.url, &token));
        }
    }

    // Every op any laptop made is on the server exactly once, or was refused.
    let mut on_server = HashSet::new();
    for p in server_log.expect("the admin's view of the server") {
        assert!(
            on_server.insert((p.device_id, p.change.device_seq)),
            "seed {seed}: an op is on the server twice"
        );
    }
    for (key, (entity, row, field)) in &made {
        if on_server.contains(key) || refused.contains(key) {
            continue;
        }
        let l = laptops.iter().find(|l| l.device.store().device_id() == key.0);
        let now_on_device = l.map(|l| {
            l.device
                .store()
                .changes_after(key.1.saturating_sub(1), 1)
                .unwrap()
                .into_iter()
                .map(|c| format!("{} {}.{} of {}", c.device_seq, c.entity, c.field, c.row_id))
                .collect::<Vec<_>>()
        });
        let theirs: Vec<u64> = on_server.iter().filter(|(d, _)| *d == key.0).map(|(_, s)| *s).collect();
        panic!(
            "seed {seed}: op {} of {} ({:?}: {entity}.{field} of {row}) is neither on the server nor refused; \
             the device now has {now_on_device:?} there; the server has its seqs {theirs:?}",
            key.1,
            key.0,
            l.map(|l| l.user)
        );
    }
    tally.refused += refused.len();
    tally
}

fn sqlite() -> Option<Backend> {
    Some(Backend::Sqlite)
}

fn postgres() -> Option<Backend> {
    pg_base_url().map(Backend::Postgres)
}

/// Runs the cases and checks that, together, they refused ops, changed teams and
/// removed audits from laptops (a generator that stopped doing so would make the
/// property empty).
fn run(backend: fn() -> Option<Backend>, servers: usize, seeds: std::ops::Range<u64>) {
    let mut all = Tally::default();
    for seed in seeds {
        let t = scoped_convergence(backend, servers, seed);
        all.refused += t.refused;
        all.removed_audits += t.removed_audits;
        all.reassignments += t.reassignments;
    }
    if backend().is_some() {
        assert!(
            all.refused > 0 && all.removed_audits > 0 && all.reassignments > 0,
            "the random runs did not exercise scope: {all:?}"
        );
    }
}

#[test]
fn laptops_of_every_role_hold_exactly_their_scope_through_faults_on_sqlite() {
    run(sqlite, 1, 0..cases(12).div_ceil(4));
}

#[test]
fn laptops_of_every_role_hold_exactly_their_scope_through_two_servers_on_postgres() {
    run(postgres, 2, 5000..5000 + cases(12).div_ceil(8));
}
