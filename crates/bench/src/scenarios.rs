//! The scenarios. Each adds rows to the [`Report`]; an error in one is recorded and
//! the run goes on with the next.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use chrono::NaiveDate;
use fieldaudit_core::audits::NewAudit;
use fieldaudit_core::import::FacilityRecord;
use fieldaudit_core::model::{self, ChecklistRef};
use fieldaudit_core::sync::{self, SyncOptions, SyncPhase};
use fieldaudit_core::Store;
use fieldaudit_protocol::{Change, EntityKind, PullResponse, PushRequest};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::data::{self, login, new_device, strict_retry, write_answers};
use crate::report::{percentile_ms, Report, Row};
use crate::server::{self, Backend, Kind};
use crate::{baseline, Sizes};

/// What every scenario needs.
pub struct Ctx {
    /// Sizes of this run.
    pub sizes: Sizes,
    /// The `fieldaudit-server` binary.
    pub server_bin: PathBuf,
    /// PostgreSQL base URL, if scenario 7 runs.
    pub pg: Option<String>,
}

/// Runs the scenarios `wanted` selects.
pub fn run_all(ctx: &Ctx, wanted: &dyn Fn(u32) -> bool, report: &mut Report) {
    if wanted(1) {
        eprintln!("scenario 1: answer save");
        if let Err(e) = answer_save(ctx, report) {
            report.fail("1 answer save", &e);
        }
    }
    if [2, 3, 4, 8, 9].into_iter().any(wanted) {
        eprintln!("scenarios 2–4, 8, 9: push, pull, end to end on SQLite");
        if let Err(e) = transfer(ctx, &Kind::Sqlite, report) {
            report.fail("2–4 sqlite", &e);
        }
    }
    if wanted(5) {
        eprintln!("scenario 5: no-op sync");
        if let Err(e) = noop_sync(ctx, report) {
            report.fail("5 no-op sync", &e);
        }
    }
    if wanted(6) {
        eprintln!(
            "scenario 6: {} devices in teams of five and {} reviewers on SQLite",
            ctx.sizes.devices, ctx.sizes.reviewers
        );
        if let Err(e) = crate::scoped::many_devices(ctx, &Kind::Sqlite, report) {
            report.fail("6 sqlite", &e);
        }
        if let Some(url) = &ctx.pg {
            eprintln!("scenario 6 on PostgreSQL");
            if let Err(e) = crate::scoped::many_devices(ctx, &Kind::Postgres(url.clone()), report) {
                report.fail("6 postgres", &e);
            }
        }
    }
    if wanted(7) {
        match &ctx.pg {
            Some(url) => {
                let kind = Kind::Postgres(url.clone());
                eprintln!("scenario 7: 2–4 on PostgreSQL");
                if let Err(e) = transfer(ctx, &kind, report) {
                    report.fail("7 (2–4) postgres", &e);
                }
            }
            None => {
                eprintln!("scenario 7 skipped: no --database-url / FIELDAUDIT_TEST_DATABASE_URL")
            }
        }
    }
    if wanted(10) {
        eprintln!("scenario 10: office panels, {} audits", ctx.sizes.office_audits);
        let make = |metric: &str, ms: f64| row("10 office panels", metric, ms, "ms").target("< 200 ms", ms < 200.0);
        if let Err(e) = crate::office::office_panels(ctx.sizes.office_audits, report, &make) {
            report.fail("10 office panels", &e);
        }
    }
    if wanted(12) {
        eprintln!(
            "scenario 12: pull cost of a device with 10 audits, organisation of {} vs {} audits",
            ctx.sizes.small_org_audits, ctx.sizes.big_org_audits
        );
        let mut kinds = vec![Kind::Sqlite];
        kinds.extend(ctx.pg.iter().map(|u| Kind::Postgres(u.clone())));
        for kind in &kinds {
            if let Err(e) = crate::scoped::pull_cost(ctx, kind, report) {
                report.fail(&format!("12 {}", kind.name()), &e);
            }
        }
    }
    if wanted(11) {
        eprintln!("scenario 11: typesetting a 300-item audit with 50 photos");
        if let Err(e) = crate::report_pdf::report_render(report) {
            report.fail("11 report", &e);
        }
    }
}

pub(crate) fn row(scenario: &str, metric: &str, value: f64, unit: &str) -> Row {
    Row {
        scenario: scenario.into(),
        metric: metric.into(),
        value,
        unit: unit.into(),
        baseline: None,
        slowdown: None,
        target: None,
        met: None,
    }
}

impl Row {
    /// A throughput row compared with a baseline throughput.
    fn vs_rate(mut self, base: f64) -> Row {
        self.baseline = Some(base);
        self.slowdown = Some(base / self.value);
        self
    }
    /// A time row compared with a baseline time.
    fn vs_time(mut self, base: f64) -> Row {
        self.baseline = Some(base);
        self.slowdown = Some(self.value / base);
        self
    }
    pub(crate) fn target(mut self, text: &str, met: bool) -> Row {
        self.target = Some(text.into());
        self.met = Some(met);
        self
    }
}

// ---------------------------------------------------------------- scenario 1

fn answer_save(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let n = ctx.sizes.answers;
    let dir = new_device("bench laptop")?;
    let mut store = Store::open(dir.path())?;
    let facility = store.add_facility(&FacilityRecord {
        name: "Zaber and Zubair Fabrics".into(),
        address: "Tongi, Gazipur".into(),
        country_code: "BD".into(),
        ..Default::default()
    })?;
    let audit = store.start_audit(&NewAudit {
        facility_id: facility,
        checklists: vec![ChecklistRef { template_id: "fire-safety".into(), version: 1 }],
        audit_type: fieldaudit_protocol::closed_sets::AuditType::Initial,
        notice: fieldaudit_protocol::closed_sets::Notice::SemiAnnounced,
        start_date: NaiveDate::from_ymd_opt(2026, 11, 24).ok_or_else(|| anyhow!("bad date"))?,
        end_date: None,
        auditors: vec!["Rina".into()],
    })?;
    let mut lat = Vec::with_capacity(n);
    let t0 = Instant::now();
    for i in 0..n {
        // Exactly the row `record_answer` writes (answer_fields + value), one
        // transaction per answer as the app saves each answer.
        let item = format!("bench.item_{i}");
        let id = model::answer_id(audit, "fire-safety", &item, None);
        let fields = [
            ("audit_id", json!(audit.to_string())),
            ("template_id", json!("fire-safety")),
            ("item_id", json!(item)),
            ("instance_id", Value::Null),
            ("deleted", json!(false)),
            ("value", json!(if i % 3 == 0 { "no" } else { "yes" })),
        ];
        let t = Instant::now();
        store.write(|w| w.set(EntityKind::Answer, id, &fields).map(drop))?;
        lat.push(t.elapsed());
    }
    let total = t0.elapsed().as_secs_f64();
    let mut base = baseline::answer_inserts(n, "FULL")?;
    let base_total: f64 = base.iter().map(Duration::as_secs_f64).sum();
    lat.sort();
    base.sort();
    let (p50, p99) = (percentile_ms(&lat, 50.0), percentile_ms(&lat, 99.0));
    let (b50, b99) = (percentile_ms(&base, 50.0), percentile_ms(&base, 99.0));
    report.add(
        row(
            "1",
            "answer save p50 (Store::write, 6 fields, FULL)",
            p50,
            "ms",
        )
        .vs_time(b50),
    );
    report.add(
        row("1", "answer save p99", p99, "ms")
            .vs_time(b99)
            .target("< 2 ms", p99 < 2.0),
    );
    report.add(
        row(
            "1",
            "answers saved per second",
            n as f64 / total,
            "answers/s",
        )
        .vs_rate(n as f64 / base_total),
    );
    // What the fsync per commit costs: the same raw inserts with synchronous=NORMAL.
    let mut normal = baseline::answer_inserts(n, "NORMAL")?;
    normal.sort();
    report.add(row(
        "1",
        "raw insert p99 with synchronous=NORMAL (no fsync per commit)",
        percentile_ms(&normal, 99.0),
        "ms",
    ));
    Ok(())
}

// ------------------------------------------------------- scenarios 2–4, 8, 9

/// What the `device-sync` child prints.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ChildOut {
    /// Whether the sync succeeded.
    pub ok: bool,
    /// Why not.
    pub error: Option<String>,
    /// Changes the server newly accepted.
    pub pushed: u64,
    /// Changes pulled.
    pub pulled: u64,
    /// Seconds from the first push request to the first pull request.
    pub push_secs: f64,
    /// Seconds from the first pull request to the end.
    pub pull_secs: f64,
    /// Seconds for the whole sync (in the child, without process start-up).
    pub total_secs: f64,
    /// The child's peak resident memory (VmHWM), MiB.
    pub peak_mib: f64,
}

/// The hidden `device-sync` subcommand: one sync, timings as JSON on stdout.
pub fn device_sync_child(dir: &Path) -> ExitCode {
    let firsts: Mutex<Vec<(SyncPhase, Instant)>> = Mutex::new(Vec::new());
    let start = Instant::now();
    let result = sync::sync(
        dir,
        SyncOptions {
            retry: strict_retry(),
        },
        &|p| {
            if let Ok(mut f) = firsts.lock() {
                if !f.iter().any(|(ph, _)| *ph == p.phase) {
                    f.push((p.phase, Instant::now()));
                }
            }
        },
        &AtomicBool::new(false),
    );
    let end = Instant::now();
    let firsts = firsts.into_inner().unwrap_or_default();
    let at = |ph: SyncPhase| firsts.iter().find(|(p, _)| *p == ph).map(|(_, t)| *t);
    let push_start = at(SyncPhase::Pushing).unwrap_or(start);
    let pull_start = at(SyncPhase::Pulling).unwrap_or(end);
    let mut out = ChildOut {
        push_secs: (pull_start - push_start).as_secs_f64(),
        pull_secs: (end - pull_start).as_secs_f64(),
        total_secs: (end - start).as_secs_f64(),
        peak_mib: server::peak_mib_of(std::process::id()).unwrap_or(0.0),
        ..Default::default()
    };
    match result {
        Ok(r) => {
            out.ok = true;
            out.pushed = r.pushed;
            out.pulled = r.pulled;
        }
        Err(e) => out.error = Some(e.to_string()),
    }
    match serde_json::to_string(&out) {
        Ok(s) => {
            println!("{s}");
            if out.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one sync of `dir` in a child process of this binary.
fn child_sync(dir: &Path) -> Result<ChildOut> {
    let exe = std::env::current_exe().context("cannot find this binary to run the device child")?;
    let out = std::process::Command::new(exe)
        .arg("device-sync")
        .arg(dir)
        .output()
        .context("cannot run the device-sync child")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or("");
    let parsed: ChildOut = serde_json::from_str(line).map_err(|e| {
        anyhow!(
            "device-sync child printed no result ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    if !parsed.ok {
        bail!("device sync failed: {}", parsed.error.unwrap_or_default());
    }
    Ok(parsed)
}

/// A device with `n` changes written; returns it with the changes it logged.
fn device_with_changes(
    name: &str,
    n: usize,
) -> Result<(tempfile::TempDir, Vec<Change>, uuid::Uuid)> {
    let dir = new_device(name)?;
    let mut store = Store::open(dir.path())?;
    let audit = data::bench_audit(&mut store)?;
    // The audit's one change, then the answers'.
    let written = 1 + write_answers(&mut store, audit, n, 2000)?;
    let changes = store.changes_after(0, written)?;
    Ok((dir, changes, store.device_id()))
}

fn transfer(ctx: &Ctx, kind: &Kind, report: &mut Report) -> Result<()> {
    let b = kind.name();
    let n = ctx.sizes.changes;
    let (a, changes, a_id) = device_with_changes("bench device A", n)?;
    let n = changes.len();
    let nf = n as f64;
    let base_secs = baseline::bulk_changes(&changes, a_id)?.as_secs_f64();
    let base_rate = nf / base_secs;

    // Scenario 2: push A's changes (the sync also pulls, see the echo row).
    let backend = Backend::new(kind)?;
    let srv = backend.spawn(&ctx.server_bin)?;
    login(a.path(), &srv.url)?;
    let out_a = child_sync(a.path())?;
    if out_a.pushed != n as u64 {
        bail!("the server accepted {} of {n} pushed changes", out_a.pushed);
    }
    let sc = |s: &str| {
        if b == "sqlite" {
            s.to_owned()
        } else {
            format!("7 ({s})")
        }
    };
    report.add(
        row(
            &sc("2"),
            &format!("push {n} changes ({b})"),
            nf / out_a.push_secs,
            "changes/s",
        )
        .vs_rate(base_rate),
    );
    report.add(row(
        &sc("2"),
        "same sync: pull of the device's own changes echoed back",
        out_a.pull_secs,
        "s",
    ));
    report.add(row(
        &sc("2"),
        "same sync: changes pulled back by the pushing device",
        out_a.pulled as f64,
        "changes",
    ));

    // Scenario 3: a second, empty device pulls them.
    let bdev = new_device("bench device B")?;
    login(bdev.path(), &srv.url)?;
    let out_b = child_sync(bdev.path())?;
    if out_b.pulled < n as u64 {
        bail!("the second device pulled {} of {n} changes", out_b.pulled);
    }
    report.add(
        row(
            &sc("3"),
            &format!("pull {n} changes into an empty device ({b})"),
            nf / out_b.pull_secs,
            "changes/s",
        )
        .vs_rate(base_rate),
    );

    // Scenario 8: bytes on the wire (SQLite only; the encoding does not depend on the backend).
    if b == "sqlite" {
        wire_bytes(&changes, bdev.path(), &srv.url, report)?;
    }
    drop(srv);
    drop(backend);

    // Scenario 4 (+9): a fresh server; C writes, syncs; D, empty, syncs.
    let (c, changes_c, _) = device_with_changes("bench device C", n)?;
    let backend = Backend::new(kind)?;
    let srv = backend.spawn(&ctx.server_bin)?;
    let d = new_device("bench device D")?;
    login(c.path(), &srv.url)?;
    login(d.path(), &srv.url)?;
    let t = Instant::now();
    let out_c = child_sync(c.path())?;
    let out_d = child_sync(d.path())?;
    let e2e = t.elapsed().as_secs_f64();
    if out_d.pulled < changes_c.len() as u64 {
        bail!(
            "end to end: the receiving device got {} of {n} changes",
            out_d.pulled
        );
    }
    let rate = nf / e2e;
    // Baseline: the rows bulk-inserted twice (once on the server, once on the receiving device).
    let r = row(
        &sc("4"),
        &format!("end to end device → server → device ({b})"),
        rate,
        "changes/s",
    )
    .vs_rate(nf / (2.0 * base_secs));
    let within = r.slowdown.unwrap_or(f64::INFINITY) <= 3.0;
    report.add(r.target("≥ 20,000/s and ≤ 3× baseline", rate >= 20_000.0 && within));
    report.add(row(
        &sc("4"),
        "  of which: sender's sync (push + echo pull)",
        out_c.total_secs,
        "s",
    ));
    report.add(row(
        &sc("4"),
        "  of which: receiver's sync (pull)",
        out_d.total_secs,
        "s",
    ));
    let speak = srv.peak_mib()?;
    report.add(row(
        &sc("9"),
        "server peak memory during scenario 4 (VmHWM)",
        speak,
        "MiB",
    ));
    report.add(row(
        &sc("9"),
        "device peak memory during scenario 4 (VmHWM of sync child, max of both)",
        out_c.peak_mib.max(out_d.peak_mib),
        "MiB",
    ));
    Ok(())
}

/// Scenario 8: push bodies as the client sends them (JSON, zstd level 3, batches of
/// `PUSH_BATCH`), and pull pages as the server sends them with each encoding.
fn wire_bytes(changes: &[Change], device: &Path, url: &str, report: &mut Report) -> Result<()> {
    let nf = changes.len() as f64;
    let (mut raw, mut zst) = (0usize, 0usize);
    for batch in changes.chunks(sync::PUSH_BATCH) {
        let body = serde_json::to_vec(&PushRequest {
            changes: batch.to_vec(),
        })?;
        raw += body.len();
        zst += zstd::encode_all(body.as_slice(), 3)?.len();
    }
    report.add(row(
        "8",
        "push bytes per changed field, uncompressed JSON",
        raw as f64 / nf,
        "B",
    ));
    report.add(row(
        "8",
        "push bytes per changed field, zstd (as sent)",
        zst as f64 / nf,
        "B",
    ));

    let session = sync::session::load(device)?.ok_or_else(|| anyhow!("device not signed in"))?;
    let http = reqwest::blocking::Client::builder()
        .no_gzip()
        .no_zstd()
        .timeout(Duration::from_secs(120))
        .build()?;
    let mut totals = [0usize; 3];
    let encodings = ["identity", "zstd", "gzip"];
    let (mut cursor, mut pulled) = (0u64, 0usize);
    loop {
        let mut page: Option<PullResponse> = None;
        for (i, enc) in encodings.iter().enumerate() {
            let resp = http
                .get(format!("{url}/api/v1/sync/pull"))
                .query(&[("after", cursor), ("limit", sync::PULL_BATCH as u64)])
                .bearer_auth(&session.token)
                .header(reqwest::header::ACCEPT_ENCODING, *enc)
                .send()?
                .error_for_status()?;
            let body = resp.bytes()?;
            totals[i] += body.len();
            if i == 0 {
                page = Some(serde_json::from_slice(&body)?);
            }
        }
        let page = page.ok_or_else(|| anyhow!("no pull page"))?;
        pulled += page.changes.len();
        cursor = page.next_cursor;
        if !page.more || page.changes.is_empty() {
            break;
        }
    }
    let pf = pulled.max(1) as f64;
    report.add(row(
        "8",
        "pull bytes per changed field, uncompressed JSON",
        totals[0] as f64 / pf,
        "B",
    ));
    report.add(row(
        "8",
        "pull bytes per changed field, zstd response",
        totals[1] as f64 / pf,
        "B",
    ));
    report.add(row(
        "8",
        "pull bytes per changed field, gzip response",
        totals[2] as f64 / pf,
        "B",
    ));
    Ok(())
}

// ---------------------------------------------------------------- scenario 5

fn noop_sync(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let small = noop_with_history(ctx, ctx.sizes.small_history)?;
    let large = noop_with_history(ctx, ctx.sizes.history)?;
    let (hs, hl) = (ctx.sizes.small_history, ctx.sizes.history);
    report.add(row(
        "5",
        &format!("no-op sync, {hs} changes of history"),
        small,
        "ms",
    ));
    report.add(
        row(
            "5",
            &format!("no-op sync, {hl} changes of history"),
            large,
            "ms",
        )
        .vs_time(small)
        .target("< 50 ms at 1M, ≈ small history", large < 50.0),
    );
    Ok(())
}

/// Median time of a no-op sync of a device and server that share `history`
/// changes; the history is written on the device through the store API and loaded
/// into the server through its store API (`ServerStore::push`, 10k per batch).
fn noop_with_history(ctx: &Ctx, history: usize) -> Result<f64> {
    let t = Instant::now();
    let dir = new_device("bench history device")?;
    let mut store = Store::open(dir.path())?;
    let audit = data::bench_audit(&mut store)?;
    let written = 1 + write_answers(&mut store, audit, history, 5000)?;
    let backend = Backend::new(&Kind::Sqlite)?;
    let srv = backend.spawn(&ctx.server_bin)?;
    login(dir.path(), &srv.url)?;
    let sstore = backend.store()?;
    let mut after = 0;
    loop {
        let batch = store.changes_after(after, 10_000)?;
        let Some(last) = batch.last() else { break };
        after = last.device_seq;
        backend.load_history(sstore.as_ref(), store.device_id(), &batch)?;
    }
    drop(sstore);
    // The device has seen the server's whole log (its own changes).
    store.set_sync_state("pull_cursor", &written.to_string())?;
    drop(store);
    eprintln!(
        "  history of {written} changes ready in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    let opts = || SyncOptions {
        retry: strict_retry(),
    };
    let warm = sync::sync(dir.path(), opts(), &|_| {}, &AtomicBool::new(false))?;
    if warm.pushed != 0 {
        bail!(
            "the warm-up sync pushed {} changes; the history was not fully loaded",
            warm.pushed
        );
    }
    let mut times = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let r = sync::sync(dir.path(), opts(), &|_| {}, &AtomicBool::new(false))?;
        times.push(t.elapsed());
        if r.pushed != 0 || r.pulled != 0 {
            bail!(
                "a no-op sync moved data (pushed {}, pulled {})",
                r.pushed,
                r.pulled
            );
        }
    }
    times.sort();
    Ok(percentile_ms(&times, 50.0))
}
