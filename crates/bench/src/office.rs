//! Scenario 10: the office's panels on a large device (5,000 audits, 1M answers,
//! 50k findings with their CAP items, 10k fee records at `--scale full`).
//!
//! The typed tables are filled in bulk with raw SQL in one transaction (the panels
//! read only those tables, so how the rows got there does not matter to them; the
//! change log is not needed). The reference tables go through the store's own
//! imports: the sample WGI file and a monthly rate table. Each panel is then
//! computed 5 times through `fieldaudit-core`; the median is reported against the
//! 200 ms target.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{Days, NaiveDate};
use fieldaudit_core::office::cap_tracker::{CapFilter, CapSortColumn};
use fieldaudit_core::office::plan::PlanSortColumn;
use fieldaudit_core::office::review_queue::QueueList;
use fieldaudit_core::office::OfficeFilter;
use fieldaudit_core::Store;
use uuid::Uuid;

use crate::report::{Report, Row};

const COUNTRIES: &[(&str, f64, f64)] = &[
    ("BD", 23.8, 90.4),
    ("CN", 31.2, 121.5),
    ("VN", 10.8, 106.6),
    ("IN", 12.9, 77.6),
    ("ID", -6.2, 106.8),
    ("TH", 13.7, 100.5),
    ("PK", 31.5, 74.3),
    ("KH", 11.5, 104.9),
    ("TW", 25.0, 121.5),
    ("MY", 3.1, 101.7),
    ("TR", 41.0, 28.9),
    ("MX", 19.4, -99.1),
];
const SEVERITIES: &[&str] = &[
    "critical",
    "major",
    "major",
    "minor",
    "minor",
    "minor",
    "observation",
];
const STATUSES: &[&str] = &[
    "open",
    "in_progress",
    "done",
    "verified",
    "verified",
    "disputed",
];
const CHECKLISTS: &[&str] = &[
    "fire-safety",
    "machine-safety",
    "wages-hours",
    "dormitories",
    "recruitment",
];

/// Fills `store`'s database with the office scenario's rows; returns the facility ids.
fn fill(dir: &std::path::Path, audits: usize, today: NaiveDate) -> Result<Vec<Uuid>> {
    let mut conn = rusqlite::Connection::open(dir.join(fieldaudit_core::store::DB_FILE))?;
    let tx = conn.transaction()?;
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let facilities: Vec<Uuid> = (0..(audits / 5).max(1)).map(|_| Uuid::now_v7()).collect();
    {
        let mut st = tx.prepare("INSERT INTO facility (id, name, country_code, lat, lng, deleted) VALUES (?1, ?2, ?3, ?4, ?5, 0)")?;
        for (i, f) in facilities.iter().enumerate() {
            let (cc, lat, lng) = COUNTRIES[i % COUNTRIES.len()];
            st.execute((
                f.to_string(),
                format!("Factory {i}"),
                cc,
                lat + (next(100) as f64 - 50.0) / 50.0,
                lng + (next(100) as f64 - 50.0) / 50.0,
            ))?;
        }
        let mut audit = tx.prepare("INSERT INTO audit (id, facility_id, checklists, audit_type, notice, start_date, end_date, auditors, status, deleted) VALUES (?1, ?2, '[]', ?3, ?4, ?5, ?6, '[\"Rina\"]', ?7, 0)")?;
        let mut answer = tx.prepare("INSERT INTO answer (id, audit_id, template_id, item_id, value, deleted) VALUES (?1, ?2, ?3, ?4, ?5, 0)")?;
        let mut finding = tx.prepare("INSERT INTO finding (id, audit_id, template_id, item_id, origin, severity, title, status, deleted) VALUES (?1, ?2, ?3, ?4, 'item', ?5, ?6, 'open', 0)")?;
        let mut action = tx.prepare("INSERT INTO corrective_action (id, finding_id, due_date, status, production_blocking, closed_on, deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)")?;
        let mut record = tx.prepare("INSERT INTO fee_record (id, audit_id, worker_ref, origin_country, recruited_on, reimbursement_status, reimbursed_amount, reimbursed_currency, reimbursed_on, deleted) VALUES (?1, ?2, ?3, 'NP', ?4, ?5, ?6, ?7, ?8, 0)")?;
        let mut fee = tx.prepare("INSERT INTO fee (id, fee_record_id, category, amount, currency, deleted) VALUES (?1, ?2, ?3, ?4, ?5, 0)")?;
        for i in 0..audits {
            let a = Uuid::now_v7();
            let start = today - Days::new(next(1100));
            let end = start + Days::new(1);
            let status = [
                "approved",
                "approved",
                "approved",
                "submitted",
                "returned",
                "draft",
            ][next(6) as usize];
            let kind =
                ["initial", "periodic", "full_follow_up", "partial_follow_up"][next(4) as usize];
            audit.execute((
                a.to_string(),
                facilities[i % facilities.len()].to_string(),
                kind,
                ["announced", "semi_announced", "unannounced"][next(3) as usize],
                start.to_string(),
                end.to_string(),
                status,
            ))?;
            for k in 0..200 {
                let t = CHECKLISTS[k % CHECKLISTS.len()];
                answer.execute((
                    Uuid::now_v7().to_string(),
                    a.to_string(),
                    t,
                    format!("item.{k}"),
                    if next(10) == 0 { "\"no\"" } else { "\"yes\"" },
                ))?;
            }
            for _ in 0..10 {
                let f = Uuid::now_v7();
                let item = next(60);
                let t = CHECKLISTS[item as usize % CHECKLISTS.len()];
                let sev = SEVERITIES[next(SEVERITIES.len() as u64) as usize];
                finding.execute((
                    f.to_string(),
                    a.to_string(),
                    t,
                    format!("item.{item}"),
                    sev,
                    format!("Item {item} failed"),
                ))?;
                let st = STATUSES[next(STATUSES.len() as u64) as usize];
                let closed = matches!(st, "done" | "verified")
                    .then(|| (end + Days::new(next(120))).min(today).to_string());
                action.execute((
                    Uuid::now_v7().to_string(),
                    f.to_string(),
                    (end + Days::new(30 + next(90))).to_string(),
                    st,
                    i64::from(sev == "critical"),
                    closed,
                ))?;
            }
            for w in 0..2 {
                let r = Uuid::now_v7();
                let currency = ["NPR", "BDT", "USD", "VND"][next(4) as usize];
                let reimbursed = (next(2) == 0).then(|| (next(500) * 100).to_string());
                record.execute((
                    r.to_string(),
                    a.to_string(),
                    format!("W-{w}"),
                    (start - Days::new(200)).to_string(),
                    if reimbursed.is_some() {
                        "partial"
                    } else {
                        "none"
                    },
                    &reimbursed,
                    reimbursed.as_ref().map(|_| currency),
                    reimbursed.as_ref().map(|_| end.to_string()),
                ))?;
                for _ in 0..2 {
                    fee.execute((
                        Uuid::now_v7().to_string(),
                        r.to_string(),
                        ["placement", "visa", "travel"][next(3) as usize],
                        (next(1000) * 100 + 100).to_string(),
                        currency,
                    ))?;
                }
            }
        }
    }
    tx.commit()?;
    conn.execute_batch("ANALYZE")?;
    Ok(facilities)
}

fn time<T>(f: impl Fn() -> Result<T>) -> Result<Duration> {
    let mut runs = Vec::new();
    f()?; // warm-up
    for _ in 0..5 {
        let t = Instant::now();
        f()?;
        runs.push(t.elapsed());
    }
    runs.sort();
    Ok(runs[2])
}

/// Scenario 10. `row` makes a report row (with its 200 ms target) of a panel's median time in ms.
pub fn office_panels(
    audits: usize,
    report: &mut Report,
    row: &dyn Fn(&str, f64) -> Row,
) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path();
    let today = chrono::Utc::now().date_naive();
    let mut store = Store::create(dir, "office bench")?;
    let session = serde_json::json!({"server_url": "http://127.0.0.1:9", "organisation": "bench", "user": "admin", "role": "admin", "token": "-"});
    std::fs::write(dir.join("session.json"), session.to_string())?;
    store.import_wgi(
        fieldaudit_core::office::reference::SAMPLE_WGI_CSV,
        "wgi-sample.csv",
    )?;
    let mut rates = String::from("date,from,to,rate\n");
    for m in 0..40 {
        let d = (today - Days::new(30 * m)).to_string();
        for (c, r) in [("NPR", "0.0075"), ("BDT", "0.0084"), ("VND", "0.00004")] {
            rates.push_str(&format!("{d},{c},USD,{r}\n"));
        }
    }
    store.import_exchange_rates(&rates, "rates.csv")?;
    drop(store);
    let started = Instant::now();
    let facilities = fill(dir, audits, today).context("filling the office tables")?;
    eprintln!(
        "  {audits} audits, {} answers, {} findings written in {:.1} s",
        audits * 200,
        audits * 10,
        started.elapsed().as_secs_f64()
    );
    let store = Store::open(dir)?;
    let all = OfficeFilter::default();
    let bd = OfficeFilter {
        country: Some("BD".into()),
        from: Some(today - Days::new(365)),
        ..Default::default()
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let panels: Vec<(&str, Duration)> = vec![
        (
            "review queue (waiting)",
            time(|| Ok(store.review_queue(QueueList::Waiting, today)?))?,
        ),
        (
            "CAP tracker, all items",
            time(|| Ok(store.cap_tracker(&CapFilter::default(), today)?))?,
        ),
        (
            "CAP tracker, overdue in one country, by severity",
            time(|| {
                Ok(store.cap_tracker(
                    &CapFilter {
                        country: Some("BD".into()),
                        overdue: true,
                        sort: CapSortColumn::Severity,
                        ..Default::default()
                    },
                    today,
                )?)
            })?,
        ),
        (
            "assessments panel",
            time(|| Ok(store.assessments_panel(&all)?))?,
        ),
        ("findings panel", time(|| Ok(store.findings_panel(&all)?))?),
        (
            "CAP performance panel",
            time(|| Ok(store.cap_performance_panel(&all, today)?))?,
        ),
        (
            "fees panel (USD)",
            time(|| Ok(store.fee_panel(&all, "USD")?))?,
        ),
        ("map panel", time(|| Ok(store.map_panel(&all, today)?))?),
        (
            "dashboard, one country, last year",
            time(|| Ok(store.dashboard(&bd, today, "USD")?))?,
        ),
        (
            "audit plan",
            time(|| Ok(store.audit_plan(None, today, PlanSortColumn::Priority, false)?))?,
        ),
        (
            "facility scorecard",
            time(|| Ok(store.scorecard(facilities[0], today, "USD")?))?,
        ),
    ];
    for (name, d) in panels {
        let v = ms(d);
        report.add(row(name, v));
    }
    Ok(())
}
