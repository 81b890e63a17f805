//! The need-to-know scenarios: 6, many devices in teams of five (each team's
//! laptops receive only their team's audits; a few reviewers receive everything),
//! and 12, what a pull costs a device that holds 10 audits in an organisation of
//! 100 audits and in one of 10,000.
//!
//! Teams are set through the server's own planning path
//! (`fieldaudit_server::teams::plan` / `assign`, what `fieldaudit-server audit
//! plan|assign` runs). Scenario 12's organisations are seeded through the server
//! store's push (`ServerStore::push` as the organisation's server device,
//! in-process, 10k changes a call), not through HTTP.

use std::sync::atomic::AtomicBool;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use fieldaudit_core::sync::{self, SyncOptions, SyncReport};
use fieldaudit_core::Store;
use fieldaudit_protocol::api::Role;
use fieldaudit_protocol::closed_sets::{AuditType, Notice};
use fieldaudit_protocol::scope::TeamRole;
use fieldaudit_protocol::{Change, Clock, EntityKind};
use fieldaudit_server::store::ServerStore;
use fieldaudit_server::sync::PushPolicy;
use fieldaudit_server::teams::{self, Assignment, PlannedAudit};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::data::{self, login_as, new_device, strict_retry};
use crate::report::{percentile_ms, Report};
use crate::scenarios::{row, Ctx};
use crate::server::{self, Backend, Kind, ORG, PASSWORD};

/// People per team.
pub const TEAM_SIZE: usize = 5;

/// What a simulated device's user is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seat {
    Lead,
    Auditor,
    Interviewer,
    Reviewer,
}

impl Seat {
    fn org_role(self) -> Role {
        match self {
            Seat::Lead | Seat::Auditor => Role::Auditor,
            Seat::Interviewer => Role::Interviewer,
            Seat::Reviewer => Role::Reviewer,
        }
    }
    fn team_role(self) -> Option<TeamRole> {
        match self {
            Seat::Lead => Some(TeamRole::Lead),
            Seat::Auditor => Some(TeamRole::Auditor),
            Seat::Interviewer => Some(TeamRole::Interviewer),
            Seat::Reviewer => None,
        }
    }
}

/// A team: a lead, three auditors and an interviewer.
const TEAM: [Seat; TEAM_SIZE] = [
    Seat::Lead,
    Seat::Auditor,
    Seat::Auditor,
    Seat::Auditor,
    Seat::Interviewer,
];

/// One user with a device.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Member {
    username: String,
    seat: Seat,
    team: Option<usize>,
}

/// The users of scenario 6: `teams` teams of five, then `reviewers` reviewers.
fn layout(teams: usize, reviewers: usize) -> Vec<Member> {
    let mut out = Vec::new();
    for t in 0..teams {
        for (i, seat) in TEAM.iter().enumerate() {
            out.push(Member {
                username: format!("team{t}-{i}"),
                seat: *seat,
                team: Some(t),
            });
        }
    }
    out.extend((0..reviewers).map(|r| Member {
        username: format!("reviewer{r}"),
        seat: Seat::Reviewer,
        team: None,
    }));
    out
}

/// Adds the users (one argon2 hash for all: the bulk path) and one facility.
async fn users_and_facility(
    store: &dyn ServerStore,
    org: Uuid,
    members: &[(String, Role)],
) -> Result<Uuid> {
    let hash = fieldaudit_server::auth::hash_password(PASSWORD).map_err(anyhow::Error::msg)?;
    for (name, role) in members {
        store
            .add_user(org, name, &hash, *role)
            .await
            .with_context(|| format!("cannot add user {name}"))?;
    }
    let facility = Uuid::now_v7();
    fieldaudit_server::reviewers::push_as_server_device(
        store,
        org,
        EntityKind::Facility,
        None,
        vec![
            (facility, "name", json!("Bench Garments Ltd")),
            (facility, "address", json!("Ashulia, Savar")),
            (facility, "country_code", json!("BD")),
        ],
    )
    .await?;
    Ok(facility)
}

fn planned(facility: Uuid) -> PlannedAudit {
    PlannedAudit {
        facility_id: facility,
        checklists: vec!["fire-safety".into()],
        audit_type: AuditType::Initial,
        notice: Notice::SemiAnnounced,
        start_date: "2026-12-01".into(),
    }
}

/// Writes one round of a device's work on `audit`: `rows` answers (a lead or an
/// auditor) or fee records (an interviewer), four fields each; a reviewer writes nothing.
fn write_work(store: &mut Store, seat: Seat, audit: Uuid, rows: usize) -> Result<()> {
    match seat {
        Seat::Reviewer => Ok(()),
        Seat::Lead | Seat::Auditor => {
            data::write_answers(store, audit, rows * data::FIELDS_PER_ROW, rows).map(drop)
        }
        Seat::Interviewer => store
            .write(|w| {
                for i in 0..rows {
                    w.set(
                        EntityKind::FeeRecord,
                        Uuid::now_v7(),
                        &[
                            ("audit_id", json!(audit.to_string())),
                            ("worker_ref", json!(format!("W-{i:04}"))),
                            ("origin_country", json!("NP")),
                            ("origin_region", json!("Jhapa")),
                        ],
                    )?;
                }
                Ok(())
            })
            .context("writing fee records through the store failed"),
    }
}

fn one_sync(dir: &std::path::Path) -> Result<SyncReport> {
    let r = sync::sync(
        dir,
        SyncOptions {
            retry: strict_retry(),
        },
        &|_| {},
        &AtomicBool::new(false),
    )?;
    if r.rejected > 0 {
        bail!("the server refused {} changes", r.rejected);
    }
    Ok(r)
}

/// What one device did in scenario 6's timed part.
#[derive(Default)]
struct DevStats {
    pulled: u64,
    pushed: u64,
    lat: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
}

fn mean(v: &[u64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<u64>() as f64 / v.len() as f64
    }
}

/// Scenario 6 on one backend.
pub fn many_devices(ctx: &Ctx, kind: &Kind, report: &mut Report) -> Result<()> {
    let b = kind.name();
    let sc = if b == "sqlite" {
        "6".to_owned()
    } else {
        "6 pg".to_owned()
    };
    let s = &ctx.sizes;
    if s.devices == 0 || s.devices % TEAM_SIZE != 0 {
        bail!(
            "--devices {} is not a multiple of {TEAM_SIZE}: scenario 6's devices are teams of five",
            s.devices
        );
    }
    let nteams = s.devices / TEAM_SIZE;
    let members = layout(nteams, s.reviewers);
    let backend = Backend::new(kind)?;
    let store = backend.store()?;
    let t_setup = Instant::now();
    let team_audits: Vec<Vec<Uuid>> = backend.block_on(async {
        let users: Vec<(String, Role)> = members
            .iter()
            .map(|m| (m.username.clone(), m.seat.org_role()))
            .collect();
        let facility = users_and_facility(store.as_ref(), backend.org_id, &users).await?;
        let mut out = Vec::new();
        for t in 0..nteams {
            let team: Vec<Assignment> = members
                .iter()
                .filter(|m| m.team == Some(t))
                .filter_map(|m| {
                    m.seat.team_role().map(|role| Assignment {
                        username: m.username.clone(),
                        role,
                    })
                })
                .collect();
            let mut audits = Vec::new();
            for _ in 0..s.team_audits.max(1) {
                audits.push(teams::plan(store.as_ref(), ORG, &planned(facility), &team).await?);
            }
            out.push(audits);
        }
        anyhow::Ok(out)
    })?;
    drop(store);
    eprintln!(
        "  {nteams} teams with {} audits each planned in {:.1}s",
        s.team_audits.max(1),
        t_setup.elapsed().as_secs_f64()
    );
    let srv = backend.spawn(&ctx.server_bin)?;
    let devices: Vec<tempfile::TempDir> = members
        .iter()
        .map(|m| new_device(&format!("laptop of {}", m.username)))
        .collect::<Result<_>>()?;
    // Sign-ins (argon2) and each device's first sync (its audits sent whole), two at a
    // time, before the clock starts.
    let nd = devices.len();
    let firsts: Vec<u64> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..2)
            .map(|k| {
                let (devices, members, url) = (&devices, &members, &srv.url);
                sc.spawn(move || -> Result<Vec<(usize, u64)>> {
                    let mut out = Vec::new();
                    for i in (k..nd).step_by(2) {
                        login_as(devices[i].path(), url, &members[i].username)?;
                        out.push((
                            i,
                            one_sync(devices[i].path())
                                .with_context(|| format!("first sync of {}", members[i].username))?
                                .pulled,
                        ));
                    }
                    Ok(out)
                })
            })
            .collect();
        let mut firsts = vec![0; nd];
        for h in handles {
            for (i, n) in h
                .join()
                .map_err(|_| anyhow!("a sign-in thread panicked"))??
            {
                firsts[i] = n;
            }
        }
        anyhow::Ok(firsts)
    })?;
    let after_login = srv.peak_mib()?;
    let org0 = backend.org_changes()?;
    let (server_cpu0, own_cpu0) = (
        server::cpu_secs_of(srv.pid())?,
        server::cpu_secs_of(std::process::id())?,
    );
    let barrier = Barrier::new(nd + 1);
    let (rounds, batch) = (s.rounds, s.batch_answers);
    let (started, stats) = std::thread::scope(|sc| {
        let handles: Vec<_> = devices
            .iter()
            .zip(&members)
            .enumerate()
            .map(|(i, (d, m))| {
                let (barrier, team_audits) = (&barrier, &team_audits);
                sc.spawn(move || {
                    let mut st = DevStats::default();
                    barrier.wait();
                    for round in 0..rounds {
                        let res = (|| {
                            if let Some(t) = m.team {
                                let audits = &team_audits[t];
                                let mut store = Store::open(d.path())?;
                                write_work(
                                    &mut store,
                                    m.seat,
                                    audits[(i + round) % audits.len()],
                                    batch,
                                )?;
                            }
                            let t = Instant::now();
                            let r = one_sync(d.path())?;
                            Ok::<_, anyhow::Error>((t.elapsed(), r))
                        })();
                        match res {
                            Ok((lat, r)) => {
                                st.lat.push(lat);
                                st.pulled += r.pulled;
                                st.pushed += r.pushed;
                            }
                            Err(e) => {
                                st.errors += 1;
                                st.first_error
                                    .get_or_insert_with(|| format!("{}: {e:#}", m.username));
                            }
                        }
                    }
                    st
                })
            })
            .collect();
        barrier.wait();
        let started = Instant::now();
        let stats: Vec<DevStats> = handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| DevStats {
                    errors: 1,
                    first_error: Some("a device thread panicked".into()),
                    ..Default::default()
                })
            })
            .collect();
        (started, stats)
    });
    let wall = started.elapsed().as_secs_f64();
    let server_cpu = server::cpu_secs_of(srv.pid())? - server_cpu0;
    let devices_cpu = server::cpu_secs_of(std::process::id())? - own_cpu0;
    let org_run = backend.org_changes()? - org0;
    let peak = srv.peak_mib()?;

    let mut all: Vec<Duration> = stats.iter().flat_map(|s| s.lat.iter().copied()).collect();
    all.sort();
    let lat_of = |reviewer: bool| {
        let mut v: Vec<Duration> = stats
            .iter()
            .zip(&members)
            .filter(|(_, m)| (m.seat == Seat::Reviewer) == reviewer)
            .flat_map(|(s, _)| s.lat.iter().copied())
            .collect();
        v.sort();
        v
    };
    let errs: u64 = stats.iter().map(|s| s.errors).sum();
    let pushed: u64 = stats.iter().map(|s| s.pushed).sum();
    // Per team device: what it pulled, and what the rest of its team pushed.
    let mut team_pulled = Vec::new();
    let mut team_others = Vec::new();
    let mut first_team = Vec::new();
    let mut first_rev = Vec::new();
    let mut rev_pulled = Vec::new();
    for (i, m) in members.iter().enumerate() {
        match m.team {
            Some(t) => {
                let others: u64 = members
                    .iter()
                    .enumerate()
                    .filter(|(j, o)| *j != i && o.team == Some(t))
                    .map(|(j, _)| stats[j].pushed)
                    .sum();
                team_pulled.push(stats[i].pulled);
                team_others.push(others);
                first_team.push(firsts[i]);
            }
            None => {
                rev_pulled.push(stats[i].pulled);
                first_rev.push(firsts[i]);
            }
        }
    }
    let within_team = team_pulled.iter().zip(&team_others).all(|(p, o)| p <= o);
    report.add(row(
        &sc,
        &format!("{} team devices ({nteams} teams of 5, {} audits each) + {} reviewers × {rounds} syncs of {} changes ({b}): syncs", s.devices, s.team_audits.max(1), s.reviewers, batch * data::FIELDS_PER_ROW),
        all.len() as f64,
        "syncs",
    ));
    report.add(row(
        &sc,
        "throughput: changes pushed per second (all devices)",
        pushed as f64 / wall,
        "changes/s",
    ));
    report.add(row(
        &sc,
        "throughput: syncs per second",
        all.len() as f64 / wall,
        "syncs/s",
    ));
    report.add(row(&sc, "wall time", wall, "s"));
    report.add(row(&sc, "server CPU time (user+sys)", server_cpu, "s"));
    report.add(row(
        &sc,
        "simulated devices' CPU time (bench process, same cores)",
        devices_cpu,
        "s",
    ));
    report.add(row(
        &sc,
        "sync latency p50",
        percentile_ms(&all, 50.0),
        "ms",
    ));
    let p99 = percentile_ms(&all, 99.0);
    report.add(row(&sc, "sync latency p99", p99, "ms").target("< 1 s", p99 < 1000.0));
    let (lt, lr) = (lat_of(false), lat_of(true));
    report.add(row(
        &sc,
        "  team devices: sync latency p99",
        percentile_ms(&lt, 99.0),
        "ms",
    ));
    report.add(row(
        &sc,
        "  reviewers: sync latency p99",
        percentile_ms(&lr, 99.0),
        "ms",
    ));
    report.add(row(&sc, "failed syncs", errs as f64, "").target("0", errs == 0));
    report.add(row(
        &sc,
        "organisation's changes during the run (all devices)",
        org_run as f64,
        "changes",
    ));
    report.add(
        row(
            &sc,
            "changes a team device pulled during the run (mean)",
            mean(&team_pulled),
            "changes",
        )
        .target("≤ its team's changes, every device", within_team),
    );
    report.add(row(
        &sc,
        "  its team's other members pushed (mean)",
        mean(&team_others),
        "changes",
    ));
    report.add(row(
        &sc,
        "changes a reviewer's device pulled during the run (mean)",
        mean(&rev_pulled),
        "changes",
    ));
    report.add(row(
        &sc,
        "first sync before the run: changes a team device pulled (mean)",
        mean(&first_team),
        "changes",
    ));
    report.add(row(
        &sc,
        "first sync before the run: changes a reviewer pulled (mean)",
        mean(&first_rev),
        "changes",
    ));
    report.add(row(
        &sc,
        "server peak memory after sign-ins (VmHWM)",
        after_login,
        "MiB",
    ));
    report.add(
        row(&sc, "server peak memory (VmHWM)", peak, "MiB")
            .target("< 200 MB", peak * 1.048_576 < 200.0),
    );
    if let Some(e) = stats.iter().find_map(|s| s.first_error.clone()) {
        bail!("{errs} device syncs failed; first: {e}");
    }
    Ok(())
}

// ---------------------------------------------------------------- scenario 12

/// Changes per `ServerStore::push` call when seeding.
const SEED_BATCH: usize = 10_000;

/// Pushes `ops` (entity, row, field, value) as the organisation's server device, in batches.
async fn push_ops(
    store: &dyn ServerStore,
    org: Uuid,
    ops: Vec<(EntityKind, Uuid, &'static str, Value)>,
) -> Result<()> {
    for chunk in ops.chunks(SEED_BATCH) {
        let (device, watermark) = store.server_device(org).await?;
        let clock = Clock::new(device, None);
        let changes: Vec<Change> = chunk
            .iter()
            .enumerate()
            .map(|(i, (e, row, field, value))| Change {
                device_seq: watermark + 1 + i as u64,
                hlc: clock.now(),
                entity: e.as_str().into(),
                row_id: *row,
                field: (*field).into(),
                value: value.clone(),
            })
            .collect();
        let resp = store
            .push(org, device, &changes, &PushPolicy::default())
            .await?;
        if let Some(r) = resp.rejected.first() {
            bail!(
                "the server store refused {} seeded changes, first: {}",
                resp.rejected.len(),
                r.message
            );
        }
    }
    Ok(())
}

/// The ops of `n` answers of `audit` (4 fields each).
fn answer_ops(audit: Uuid, n: usize, from: usize) -> Vec<(EntityKind, Uuid, &'static str, Value)> {
    let mut out = Vec::new();
    for i in from..from + n {
        let row = Uuid::now_v7();
        for (f, v) in data::answer_fields(audit, i) {
            out.push((EntityKind::Answer, row, f, v));
        }
    }
    out
}

/// What scenario 12 measured in one organisation.
struct PullCost {
    log: u64,
    seed_secs: f64,
    first_pulled: u64,
    first_ms: f64,
    noop_ms: f64,
    edit_ms: f64,
}

/// Audits the measured device is on the team of.
const HELD: usize = 10;
/// Other audits that change (one answer each) before each measured edit-pull.
const BUSY_OTHERS: usize = 20;

fn pull_cost_in(ctx: &Ctx, kind: &Kind, audits: usize) -> Result<PullCost> {
    let answers = ctx.sizes.org_answers;
    let backend = Backend::new(kind)?;
    let store = backend.store()?;
    let user = "auditor-ten";
    let t = Instant::now();
    let ids: Vec<Uuid> = backend.block_on(async {
        let facility = users_and_facility(
            store.as_ref(),
            backend.org_id,
            &[(user.to_owned(), Role::Auditor)],
        )
        .await?;
        let ids: Vec<Uuid> = (0..audits).map(|_| Uuid::now_v7()).collect();
        let mut ops = Vec::new();
        let checklists = json!([{ "template_id": "fire-safety", "version": 1 }]);
        for id in &ids {
            let id = *id;
            for (f, v) in [
                ("facility_id", json!(facility.to_string())),
                ("checklists", checklists.clone()),
                ("audit_type", json!(AuditType::Initial.as_str())),
                ("notice", json!(Notice::SemiAnnounced.as_str())),
                ("start_date", json!("2026-12-01")),
                ("status", json!("draft")),
                ("deleted", json!(false)),
            ] {
                ops.push((EntityKind::Audit, id, f, v));
            }
            ops.extend(answer_ops(id, answers, 0));
            if ops.len() >= SEED_BATCH * 5 {
                push_ops(store.as_ref(), backend.org_id, std::mem::take(&mut ops)).await?;
            }
        }
        push_ops(store.as_ref(), backend.org_id, ops).await?;
        anyhow::Ok(ids)
    })?;
    // The device's audits, spread through the history; its user leads each.
    let held: Vec<Uuid> = (0..HELD.min(audits))
        .map(|k| ids[k * audits / HELD.min(audits)])
        .collect();
    backend.block_on(async {
        for a in &held {
            teams::assign(
                store.as_ref(),
                ORG,
                *a,
                &[Assignment {
                    username: user.into(),
                    role: TeamRole::Lead,
                }],
            )
            .await?;
        }
        anyhow::Ok(())
    })?;
    let log = backend.org_changes()?;
    let seed_secs = t.elapsed().as_secs_f64();
    eprintln!("  organisation of {audits} audits ({log} changes) seeded in {seed_secs:.1}s");
    let srv = backend.spawn(&ctx.server_bin)?;
    let dev = new_device("laptop with ten audits")?;
    login_as(dev.path(), &srv.url, user)?;
    let t = Instant::now();
    let first = one_sync(dev.path())?;
    let first_ms = t.elapsed().as_secs_f64() * 1000.0;
    one_sync(dev.path())?; // warm-up
    let others: Vec<Uuid> = ids
        .iter()
        .filter(|a| !held.contains(a))
        .take(BUSY_OTHERS)
        .copied()
        .collect();
    let (mut noop, mut edit) = (Vec::new(), Vec::new());
    for k in 0..7 {
        let t = Instant::now();
        let r = one_sync(dev.path())?;
        noop.push(t.elapsed());
        if r.pulled != 0 || r.pushed != 0 {
            bail!(
                "a no-op sync moved data (pushed {}, pulled {})",
                r.pushed,
                r.pulled
            );
        }
        // The rest of the organisation works, and one answer changes in one of its audits.
        backend.block_on(async {
            let mut ops: Vec<_> = others
                .iter()
                .flat_map(|a| answer_ops(*a, 1, 1000 + k))
                .collect();
            ops.extend(answer_ops(held[k % held.len()], 1, 1000 + k));
            push_ops(store.as_ref(), backend.org_id, ops).await
        })?;
        let t = Instant::now();
        let r = one_sync(dev.path())?;
        edit.push(t.elapsed());
        if r.pulled != data::FIELDS_PER_ROW as u64 {
            bail!(
                "the device pulled {} changes after one answer ({} fields) changed in its audits",
                r.pulled,
                data::FIELDS_PER_ROW
            );
        }
    }
    noop.sort();
    edit.sort();
    Ok(PullCost {
        log,
        seed_secs,
        first_pulled: first.pulled,
        first_ms,
        noop_ms: percentile_ms(&noop, 50.0),
        edit_ms: percentile_ms(&edit, 50.0),
    })
}

/// Scenario 12 on one backend: a device with 10 assigned audits in a small and a large organisation.
pub fn pull_cost(ctx: &Ctx, kind: &Kind, report: &mut Report) -> Result<()> {
    let b = kind.name();
    let sc = if b == "sqlite" {
        "12".to_owned()
    } else {
        "12 pg".to_owned()
    };
    let (small_n, big_n) = (ctx.sizes.small_org_audits, ctx.sizes.big_org_audits);
    let small = pull_cost_in(ctx, kind, small_n)?;
    let big = pull_cost_in(ctx, kind, big_n)?;
    for (n, c) in [(small_n, &small), (big_n, &big)] {
        report.add(row(
            &sc,
            &format!(
                "org of {n} audits ({} answers each): changes in its log ({b})",
                ctx.sizes.org_answers
            ),
            c.log as f64,
            "changes",
        ));
        report.add(row(
            &sc,
            &format!("org of {n} audits: seeded in"),
            c.seed_secs,
            "s",
        ));
        report.add(row(
            &sc,
            &format!("org of {n} audits: first sync, its {HELD} audits sent whole: changes pulled"),
            c.first_pulled as f64,
            "changes",
        ));
        report.add(row(
            &sc,
            &format!("org of {n} audits: first sync"),
            c.first_ms,
            "ms",
        ));
        report.add(row(
            &sc,
            &format!("org of {n} audits: no-op sync (median of 7)"),
            c.noop_ms,
            "ms",
        ));
        report.add(row(&sc, &format!("org of {n} audits: sync pulling one answer (4 changes) of its audits while {BUSY_OTHERS} other audits changed (median of 7)"), c.edit_ms, "ms"));
    }
    let r1 = big.noop_ms / small.noop_ms;
    let r2 = big.edit_ms / small.edit_ms;
    report.add(
        row(
            &sc,
            &format!("no-op sync, {big_n} vs {small_n} audits"),
            r1,
            "×",
        )
        .target("≈ same (≤ 1.5×)", r1 <= 1.5),
    );
    report.add(
        row(
            &sc,
            &format!("pull of a small change, {big_n} vs {small_n} audits"),
            r2,
            "×",
        )
        .target("≈ same (≤ 1.5×)", r2 <= 1.5),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teams_have_one_lead_and_reviewers_no_team() {
        let m = layout(3, 2);
        assert_eq!(m.len(), 17);
        for t in 0..3 {
            let team: Vec<_> = m.iter().filter(|x| x.team == Some(t)).collect();
            assert_eq!(team.len(), TEAM_SIZE);
            assert_eq!(team.iter().filter(|x| x.seat == Seat::Lead).count(), 1);
            assert!(team.iter().all(|x| x.seat.team_role().is_some()));
        }
        let rev: Vec<_> = m.iter().filter(|x| x.team.is_none()).collect();
        assert_eq!(rev.len(), 2);
        assert!(rev
            .iter()
            .all(|x| x.seat == Seat::Reviewer && x.seat.org_role() == Role::Reviewer));
        let mut names: Vec<_> = m.iter().map(|x| &x.username).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 17, "user names are unique");
    }
}
