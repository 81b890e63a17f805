//! The office's figures against hand-computed expectations on a small fixture
//! (see `fixture` for the numbers and the arithmetic in the comments).

use chrono::NaiveDate;
use fieldaudit_protocol::EntityKind;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use uuid::Uuid;

use super::cap_tracker::{CapFilter, CapSortColumn, ExportFormat};
use super::plan::{Band, PlanSortColumn};
use super::review_queue::QueueList;
use super::OfficeFilter;
use crate::Store;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

const TODAY: &str = "2026-06-30";

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    f1: Uuid,
    f2: Uuid,
    f3: Uuid,
    a2: Uuid,
    a3: Uuid,
    c: Vec<Uuid>,
}

fn set(store: &mut Store, entity: EntityKind, id: Uuid, fields: &[(&str, Value)]) {
    store
        .write(|w| w.set(entity, id, fields).map(|_| ()))
        .unwrap();
}

fn facility(store: &mut Store, name: &str, country: &str, at: Option<(f64, f64)>) -> Uuid {
    let id = Uuid::now_v7();
    set(
        store,
        EntityKind::Facility,
        id,
        &[
            ("name", json!(name)),
            ("country_code", json!(country)),
            ("lat", json!(at.map(|a| a.0))),
            ("lng", json!(at.map(|a| a.1))),
            ("deleted", json!(false)),
        ],
    );
    id
}

fn audit(
    store: &mut Store,
    facility: Uuid,
    kind: &str,
    start: &str,
    end: &str,
    status: &str,
) -> Uuid {
    let id = Uuid::now_v7();
    set(
        store,
        EntityKind::Audit,
        id,
        &[
            ("facility_id", json!(facility.to_string())),
            ("checklists", json!([])),
            ("audit_type", json!(kind)),
            ("notice", json!("announced")),
            ("start_date", json!(start)),
            ("end_date", json!(end)),
            ("auditors", json!(["Rina", "Tuan"])),
            ("status", json!(status)),
            ("deleted", json!(false)),
        ],
    );
    id
}

/// A finding on `item` with one CAP item; returns the CAP item's id.
#[allow(clippy::too_many_arguments)]
fn finding(
    store: &mut Store,
    audit: Uuid,
    item: &str,
    severity: &str,
    due: &str,
    status: &str,
    closed_on: Option<&str>,
    blocking: bool,
) -> Uuid {
    let f = Uuid::now_v7();
    set(
        store,
        EntityKind::Finding,
        f,
        &[
            ("audit_id", json!(audit.to_string())),
            ("template_id", json!("fire-safety")),
            ("item_id", json!(item)),
            ("origin", json!("item")),
            ("severity", json!(severity)),
            ("title", json!(format!("Item {item} failed"))),
            ("status", json!("open")),
            ("deleted", json!(false)),
        ],
    );
    let c = Uuid::now_v7();
    set(
        store,
        EntityKind::CorrectiveAction,
        c,
        &[
            ("finding_id", json!(f.to_string())),
            ("due_date", json!(due)),
            ("status", json!(status)),
            ("closed_on", json!(closed_on)),
            ("production_blocking", json!(blocking)),
            ("deleted", json!(false)),
        ],
    );
    c
}

fn fee_record(
    store: &mut Store,
    audit: Uuid,
    worker: &str,
    recruited: &str,
    origin: &str,
    reimbursed: Option<(&str, &str, &str)>,
    fees: &[(&str, &str, &str)],
) {
    let r = Uuid::now_v7();
    set(
        store,
        EntityKind::FeeRecord,
        r,
        &[
            ("audit_id", json!(audit.to_string())),
            ("worker_ref", json!(worker)),
            ("origin_country", json!(origin)),
            ("recruited_on", json!(recruited)),
            (
                "reimbursement_status",
                json!(if reimbursed.is_some() {
                    "partial"
                } else {
                    "none"
                }),
            ),
            ("reimbursed_amount", json!(reimbursed.map(|r| r.0))),
            ("reimbursed_currency", json!(reimbursed.map(|r| r.1))),
            ("reimbursed_on", json!(reimbursed.map(|r| r.2))),
            ("deleted", json!(false)),
        ],
    );
    for (category, amount, currency) in fees {
        set(
            store,
            EntityKind::Fee,
            Uuid::now_v7(),
            &[
                ("fee_record_id", json!(r.to_string())),
                ("category", json!(category)),
                ("amount", json!(amount)),
                ("currency", json!(currency)),
                ("deleted", json!(false)),
            ],
        );
    }
}

const WGI: &str = "codeindyr,code,countryname,year,indicator,estimate,stddev,nsource,pctrank,pctranklower,pctrankupper
BGDrl2023,BGD,Bangladesh,2023,rl,-0.6,0.2,10,20,15,25
BGDcc2023,BGD,Bangladesh,2023,cc,-0.9,0.2,10,10,5,15
BGDge2023,BGD,Bangladesh,2023,ge,-0.7,0.2,10,30,25,35
BGDva2023,BGD,Bangladesh,2023,va,-0.5,0.2,10,40,35,45
BGDva2022,BGD,Bangladesh,2022,va,-0.5,0.2,10,90,85,95
BGDpv2023,BGD,Bangladesh,2023,pv,-1.0,0.2,10,..,..,..
CHNrl2023,CHN,China,2023,rl,0.0,0.2,10,50,45,55
CHNcc2023,CHN,China,2023,cc,0.0,0.2,10,50,45,55
CHNge2023,CHN,China,2023,ge,0.5,0.2,10,70,65,75
CHNva2023,CHN,China,2023,va,-1.5,0.2,10,10,5,15
";

const RATES: &str = "date,from,to,rate
2025-12-01,BDT,USD,0.0085
2026-02-01,BDT,USD,0.0082
2025-03-01,CNY,USD,0.14
";

/// The fixture (today = 2026-06-30):
/// - F1 Alpha Knit (BD, risk 75.0), F2 Beta Shoes (CN, risk 55.0), F3 Gamma (VN, no WGI).
/// - A1 F1 initial 2026-01-10..12 approved: c1 critical X verified closed 02-01 (20 days),
///   c2 major Y done closed 03-23 (70 days), c3 major Z open due 03-13 (overdue 109),
///   c4 minor W in progress due 07-10 (due within 14 days).
/// - A2 F2 periodic 2025-04-01..02 submitted: c5 major Y in progress due 2025-06-01
///   (overdue 394), c6 minor V disputed due 2025-07-01 (not overdue).
/// - A3 F1 full follow-up 2026-04-01 submitted: c7 major Y open due 06-20, blocking
///   (overdue 10; a repeat of A1's Y).
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path(), "office laptop").unwrap();
    store.write_wgi(WGI, "wgi-test.csv").unwrap();
    store
        .write_exchange_rates(
            &super::reference::parse_exchange_rates(RATES).unwrap(),
            "rates.csv",
        )
        .unwrap();
    let f1 = facility(&mut store, "Alpha Knit", "BD", Some((23.9, 90.3)));
    let f2 = facility(&mut store, "Beta Shoes", "CN", Some((24.9, 118.6)));
    let f3 = facility(&mut store, "Gamma Garments", "VN", None);
    let a1 = audit(
        &mut store,
        f1,
        "initial",
        "2026-01-10",
        "2026-01-12",
        "approved",
    );
    let a2 = audit(
        &mut store,
        f2,
        "periodic",
        "2025-04-01",
        "2025-04-02",
        "submitted",
    );
    let a3 = audit(
        &mut store,
        f1,
        "full_follow_up",
        "2026-04-01",
        "2026-04-01",
        "submitted",
    );
    let c = vec![
        finding(
            &mut store,
            a1,
            "X",
            "critical",
            "2026-02-11",
            "verified",
            Some("2026-02-01"),
            false,
        ),
        finding(
            &mut store,
            a1,
            "Y",
            "major",
            "2026-03-13",
            "done",
            Some("2026-03-23"),
            false,
        ),
        finding(
            &mut store,
            a1,
            "Z",
            "major",
            "2026-03-13",
            "open",
            None,
            false,
        ),
        finding(
            &mut store,
            a1,
            "W",
            "minor",
            "2026-07-10",
            "in_progress",
            None,
            false,
        ),
        finding(
            &mut store,
            a2,
            "Y",
            "major",
            "2025-06-01",
            "in_progress",
            None,
            false,
        ),
        finding(
            &mut store,
            a2,
            "V",
            "minor",
            "2025-07-01",
            "disputed",
            None,
            false,
        ),
        finding(
            &mut store,
            a3,
            "Y",
            "major",
            "2026-06-20",
            "open",
            None,
            true,
        ),
    ];
    // F1: R1 paid 12000 + 3000 BDT (2025-12-01), 5000 BDT reimbursed 2026-02-15;
    //     R2 paid 100 USD. F2: R3 paid 2000 CNY (2025-03-01), reimbursed 2000 CNY
    //     2025-05-01 (no CNY rate within 31 days); R4 paid nothing.
    fee_record(
        &mut store,
        a1,
        "W-01",
        "2025-12-01",
        "NP",
        Some(("5000", "BDT", "2026-02-15")),
        &[("placement", "12000", "BDT"), ("visa", "3000", "BDT")],
    );
    fee_record(
        &mut store,
        a1,
        "W-02",
        "2025-12-20",
        "NP",
        None,
        &[("medical", "100", "USD")],
    );
    fee_record(
        &mut store,
        a2,
        "W-03",
        "2025-03-01",
        "CN",
        Some(("2000", "CNY", "2025-05-01")),
        &[("travel", "2000", "CNY")],
    );
    fee_record(&mut store, a2, "W-04", "2025-03-01", "CN", None, &[]);
    Fixture {
        _dir: dir,
        store,
        f1,
        f2,
        f3,
        a2,
        a3,
        c,
    }
}

#[test]
fn country_risk_is_100_minus_the_mean_of_four_percentiles() {
    let fx = fixture();
    let risks = fx.store.country_risks().unwrap();
    // BD: 100 − (20 + 10 + 30 + 40) / 4 = 75.0 (the 2022 VA value is older; PV is not used).
    // CN: 100 − (50 + 50 + 70 + 10) / 4 = 55.0.
    let got: Vec<(String, Decimal, i32)> = risks
        .iter()
        .map(|r| (r.country.clone(), r.risk, r.year))
        .collect();
    assert_eq!(
        got,
        vec![
            ("BD".into(), dec("75.0"), 2023),
            ("CN".into(), dec("55.0"), 2023)
        ]
    );
    assert!(!risks[0].sample);
    assert_eq!(risks[0].dataset, "wgi-test.csv");
}

#[test]
fn cap_performance_closure_rate_median_days_and_overdue() {
    let fx = fixture();
    let p = fx
        .store
        .cap_performance_panel(&OfficeFilter::default(), day(TODAY))
        .unwrap();
    assert_eq!((p.total, p.closed), (7, 2));
    assert_eq!(p.closure_rate_percent, Some(28.6)); // 2 / 7
    assert_eq!(p.median_days_to_close, Some(45.0)); // (20 + 70) / 2
    assert_eq!(p.overdue, 3); // c3, c5, c7; c6 is disputed, c4 not due yet
    assert_eq!(p.oldest_overdue_days, Some(394));
    let ages: Vec<u32> = p.overdue_by_age.iter().map(|c| c.count).collect();
    assert_eq!(ages, vec![1, 0, 0, 2]); // 10 | – | – | 109, 394
    let per: Vec<(String, u32, u32, Option<f64>, u32)> = p
        .per_severity
        .iter()
        .map(|s| {
            (
                s.severity.clone(),
                s.total,
                s.closed,
                s.median_days_to_close,
                s.overdue,
            )
        })
        .collect();
    assert_eq!(
        per,
        vec![
            ("critical".into(), 1, 1, Some(20.0), 0),
            ("major".into(), 4, 1, Some(70.0), 3),
            ("minor".into(), 2, 0, None, 0)
        ]
    );
    // Narrowed to China: only A2's two items, one overdue, none closed.
    let cn = fx
        .store
        .cap_performance_panel(
            &OfficeFilter {
                country: Some("CN".into()),
                ..Default::default()
            },
            day(TODAY),
        )
        .unwrap();
    assert_eq!(
        (cn.total, cn.closed, cn.overdue, cn.closure_rate_percent),
        (2, 0, 1, Some(0.0))
    );
}

#[test]
fn cap_tracker_filters_combine_and_sort() {
    let fx = fixture();
    let today = day(TODAY);
    let overdue_bd = fx
        .store
        .cap_tracker(
            &CapFilter {
                country: Some("BD".into()),
                overdue: true,
                ..Default::default()
            },
            today,
        )
        .unwrap();
    assert_eq!(
        overdue_bd.iter().map(|r| r.action_id).collect::<Vec<_>>(),
        vec![fx.c[2], fx.c[6]]
    );
    assert_eq!(
        overdue_bd
            .iter()
            .map(|r| r.days_overdue)
            .collect::<Vec<_>>(),
        vec![Some(109), Some(10)]
    );
    let soon = fx
        .store
        .cap_tracker(
            &CapFilter {
                due_within_days: Some(14),
                ..Default::default()
            },
            today,
        )
        .unwrap();
    assert_eq!(
        soon.iter().map(|r| r.action_id).collect::<Vec<_>>(),
        vec![fx.c[3]]
    );
    let blocking = fx
        .store
        .cap_tracker(
            &CapFilter {
                production_blocking: true,
                ..Default::default()
            },
            today,
        )
        .unwrap();
    assert_eq!(
        blocking.iter().map(|r| r.action_id).collect::<Vec<_>>(),
        vec![fx.c[6]]
    );
    let major_cn = fx
        .store
        .cap_tracker(
            &CapFilter {
                severity: Some("major".into()),
                facility_id: Some(fx.f2),
                ..Default::default()
            },
            today,
        )
        .unwrap();
    assert_eq!(
        major_cn.iter().map(|r| r.action_id).collect::<Vec<_>>(),
        vec![fx.c[4]]
    );
    let by_severity = fx
        .store
        .cap_tracker(
            &CapFilter {
                sort: CapSortColumn::Severity,
                ..Default::default()
            },
            today,
        )
        .unwrap();
    assert_eq!(
        by_severity.first().unwrap().severity.as_deref(),
        Some("critical")
    );
    assert_eq!(
        by_severity.last().unwrap().severity.as_deref(),
        Some("minor")
    );
    let most_overdue = fx
        .store
        .cap_tracker(
            &CapFilter {
                sort: CapSortColumn::DaysOverdue,
                descending: true,
                ..Default::default()
            },
            today,
        )
        .unwrap();
    assert_eq!(most_overdue[0].action_id, fx.c[4]);
    assert!(fx
        .store
        .cap_tracker(
            &CapFilter {
                status: Some("closed".into()),
                ..Default::default()
            },
            today
        )
        .unwrap_err()
        .to_string()
        .contains("not one of"));

    // Export: CSV with one row per item; XLSX a real workbook (starts with the zip magic).
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("caps.csv");
    let n = fx
        .store
        .export_cap_tracker(
            &CapFilter {
                country: Some("BD".into()),
                overdue: true,
                ..Default::default()
            },
            today,
            &csv_path,
            ExportFormat::Csv,
        )
        .unwrap();
    assert_eq!(n, 2);
    let text = std::fs::read_to_string(&csv_path).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(text
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("Alpha Knit,BD,Item Z failed,major"));
    let xlsx = dir.path().join("caps.xlsx");
    fx.store
        .export_cap_tracker(&CapFilter::default(), today, &xlsx, ExportFormat::Xlsx)
        .unwrap();
    assert_eq!(&std::fs::read(&xlsx).unwrap()[..2], b"PK");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "no partial files left behind"
    );
}

#[test]
fn fees_outstanding_per_currency_and_converted_and_missing_rates_said() {
    let fx = fixture();
    let p = fx.store.fee_panel(&OfficeFilter::default(), "usd").unwrap();
    assert_eq!(p.reporting_currency, "USD");
    assert_eq!((p.total.workers, p.total.workers_who_paid), (4, 3));
    let cur: Vec<(String, Decimal, Decimal, Decimal)> = p
        .total
        .per_currency
        .iter()
        .map(|m| (m.currency.clone(), m.paid, m.reimbursed, m.outstanding))
        .collect();
    assert_eq!(
        cur,
        vec![
            ("BDT".into(), dec("15000"), dec("5000"), dec("10000")),
            ("CNY".into(), dec("2000"), dec("2000"), dec("0")),
            ("USD".into(), dec("100"), dec("0"), dec("100")),
        ]
    );
    // F1: 15000 BDT × 0.0085 + 100 = 227.50 paid; 5000 BDT × 0.0082 (rate of 02-01 for 02-15) = 41.00 back.
    let f1 = p
        .per_facility
        .iter()
        .find(|g| g.key == fx.f1.to_string())
        .unwrap();
    assert_eq!(
        (
            f1.converted.paid,
            f1.converted.reimbursed,
            f1.converted.outstanding,
            f1.converted.unconverted
        ),
        (dec("227.50"), dec("41.00"), dec("186.50"), 0)
    );
    // F2: 2000 CNY × 0.14 = 280 paid; the reimbursement of 2025-05-01 has no CNY rate within 31 days.
    let f2 = p
        .per_facility
        .iter()
        .find(|g| g.key == fx.f2.to_string())
        .unwrap();
    assert_eq!(
        (f2.converted.paid, f2.converted.unconverted),
        (dec("280.00"), 1)
    );
    assert_eq!(p.missing_rates.len(), 1);
    assert_eq!(
        (
            p.missing_rates[0].currency.as_str(),
            p.missing_rates[0].date.as_str(),
            p.missing_rates[0].amounts
        ),
        ("CNY", "2025-05-01", 1)
    );
    assert_eq!(
        p.total.converted.unconverted, 1,
        "the total says it is incomplete"
    );
    let bd = p.per_country.iter().find(|g| g.key == "BD").unwrap();
    assert_eq!(bd.converted.outstanding, dec("186.50"));
    let placement = p.by_category.iter().find(|g| g.key == "placement").unwrap();
    assert_eq!(placement.converted.paid, dec("102.00")); // 12000 × 0.0085
    let nepal = p.by_origin_country.iter().find(|g| g.key == "NP").unwrap();
    assert_eq!((nepal.workers, nepal.converted.paid), (2, dec("227.50")));
    assert!(fx
        .store
        .fee_panel(&OfficeFilter::default(), "dollars")
        .is_err());
}

#[test]
fn plan_orders_by_priority_and_says_why() {
    let fx = fixture();
    let plan = fx
        .store
        .audit_plan(None, day(TODAY), PlanSortColumn::Priority, false)
        .unwrap();
    // F1: 75.0 × 0.4 = 30 + 1 major × 5 + (2 overdue × 5 + 1 other open) 11 + 2/24 × 15 = 1.25 → 47.
    // F2: 55.0 × 0.4 = 22 + 5 + (1 overdue × 5) 5 + 14/24 × 15 = 8.75 → 41.
    // F3: no WGI → 20, never audited → 15 → 35.
    let got: Vec<(Uuid, u32, Band)> = plan
        .iter()
        .map(|r| (r.facility_id, r.priority, r.band))
        .collect();
    assert_eq!(
        got,
        vec![
            (fx.f1, 47, Band::Medium),
            (fx.f2, 41, Band::Medium),
            (fx.f3, 35, Band::Medium)
        ]
    );
    let f1 = &plan[0];
    assert_eq!(
        (
            f1.last_audit_id,
            f1.months_since_last_audit,
            f1.open_caps,
            f1.overdue_caps
        ),
        (Some(fx.a3), Some(2), 3, 2)
    );
    assert_eq!(
        (
            f1.next_audit_type.as_str(),
            f1.next_notice.as_str(),
            f1.next_audit_date.as_str()
        ),
        ("full_follow_up", "unannounced", TODAY)
    );
    assert!(
        f1.reasons
            .iter()
            .any(|r| r.contains("country risk 75.0 for BD (WGI 2023)") && r.contains("high")),
        "{:?}",
        f1.reasons
    );
    assert!(
        f1.reasons
            .iter()
            .any(|r| r == "3 CAP items open, 2 of them overdue"),
        "{:?}",
        f1.reasons
    );
    let f3 = &plan[2];
    assert_eq!(
        (f3.next_audit_type.as_str(), f3.next_notice.as_str()),
        ("initial", "semi_announced")
    );
    assert!(f3.reasons.iter().any(|r| r.contains("no WGI data for VN")));
    assert!(f3.reasons.iter().any(|r| r == "never audited"));
    // Older than 24 months no longer counts: three years on, F2's findings drop out.
    let later = fx
        .store
        .audit_plan(
            Some("CN"),
            day("2028-06-30"),
            PlanSortColumn::Priority,
            false,
        )
        .unwrap();
    assert!(!later[0].last_audit_counts);
    assert_eq!(
        later[0].last_critical + later[0].last_major,
        1,
        "facts stay shown"
    );
    assert!(later[0]
        .reasons
        .iter()
        .any(|r| r.contains("no longer counts")));
    assert_eq!(later[0].next_audit_type, "periodic");
    // Sorted by name instead.
    let by_name = fx
        .store
        .audit_plan(None, day(TODAY), PlanSortColumn::Facility, false)
        .unwrap();
    assert_eq!(
        by_name.iter().map(|r| r.facility_id).collect::<Vec<_>>(),
        vec![fx.f1, fx.f2, fx.f3]
    );
}

#[test]
fn review_queue_oldest_first_with_days_waiting() {
    let fx = fixture();
    let q = fx
        .store
        .review_queue(QueueList::Waiting, day(TODAY))
        .unwrap();
    assert_eq!(
        q.iter().map(|e| e.audit_id).collect::<Vec<_>>(),
        vec![fx.a2, fx.a3]
    );
    assert_eq!(q[0].days_waiting, Some(454)); // 2025-04-02 → 2026-06-30
    assert_eq!(q[0].lead_auditor.as_deref(), Some("Rina"));
    assert_eq!((q[1].findings.major, q[1].findings.critical), (1, 0));
    assert_eq!(q[0].signoff_verifies, Some(false));
    assert_eq!(
        fx.store
            .review_queue(QueueList::Approved, day(TODAY))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn assessments_and_findings_panels() {
    let fx = fixture();
    let a = fx
        .store
        .assessments_panel(&OfficeFilter::default())
        .unwrap();
    assert_eq!((a.total_audits, a.active_suppliers), (3, 3));
    let q: Vec<(&str, u32)> = a
        .per_quarter
        .iter()
        .map(|c| (c.key.as_str(), c.count))
        .collect();
    assert_eq!(q, vec![("2025-Q2", 1), ("2026-Q1", 1), ("2026-Q2", 1)]);
    assert_eq!(a.per_country[0].country, "BD");
    assert_eq!(
        (
            a.per_country[0].audits,
            a.per_country[0].audit_share_percent,
            a.per_country[0].supplier_share_percent
        ),
        (2, 66.7, 33.3)
    );
    let period = fx
        .store
        .assessments_panel(&OfficeFilter {
            from: Some(day("2026-01-01")),
            to: Some(day("2026-03-31")),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(period.total_audits, 1);
    assert!(fx
        .store
        .assessments_panel(&OfficeFilter {
            from: Some(day("2026-02-01")),
            to: Some(day("2026-01-01")),
            ..Default::default()
        })
        .is_err());

    let f = fx.store.findings_panel(&OfficeFilter::default()).unwrap();
    assert_eq!(f.total, 7);
    let major = f
        .by_topic_severity
        .iter()
        .find(|t| t.severity == "major")
        .unwrap();
    assert_eq!(major.count, 4);
    assert_eq!(
        (
            f.top_failing_items[0].item_id.as_str(),
            f.top_failing_items[0].findings,
            f.top_failing_items[0].facilities
        ),
        ("Y", 3, 2)
    );
    assert_eq!((f.repeat_findings, f.follow_up_findings), (1, 1)); // A3's Y failed at A1 before
    assert_eq!(f.top_repeat_items[0].item_id, "Y");

    let map = fx
        .store
        .map_panel(&OfficeFilter::default(), day(TODAY))
        .unwrap();
    assert_eq!((map.points.len(), map.without_coordinates), (2, 1));
    let alpha = map.points.iter().find(|p| p.facility_id == fx.f1).unwrap();
    assert_eq!(
        (alpha.audits, alpha.open_caps, alpha.overdue_caps),
        (2, 3, 2)
    );
    let bd = map.countries.iter().find(|c| c.country == "BD").unwrap();
    assert_eq!((bd.active_suppliers, bd.risk), (1, Some(dec("75.0"))));
    // The key of Bangladesh's boundary in Natural Earth's files, and where its risk is from.
    assert_eq!(bd.iso_numeric.as_deref(), Some("050"));
    assert!(bd.risk_year.is_some());

    let card = fx.store.scorecard(fx.f1, day(TODAY), "USD").unwrap();
    assert_eq!(card.audits.len(), 2);
    assert_eq!((card.open_caps.len(), card.overdue_caps), (3, 2));
    assert_eq!(card.fees.converted.outstanding, dec("186.50"));
}

#[test]
fn closing_a_cap_item_records_the_day_and_reopening_clears_it() {
    let mut fx = fixture();
    let c = fx.c[2];
    fx.store
        .update_action(
            c,
            &crate::audits::ActionUpdate {
                status: Some("done".parse().unwrap()),
                ..Default::default()
            },
        )
        .unwrap();
    let row = fx
        .store
        .row(EntityKind::CorrectiveAction, c)
        .unwrap()
        .unwrap();
    assert_eq!(
        row["closed_on"],
        json!(chrono::Utc::now().date_naive().to_string())
    );
    fx.store
        .update_action(
            c,
            &crate::audits::ActionUpdate {
                status: Some("open".parse().unwrap()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        fx.store
            .row(EntityKind::CorrectiveAction, c)
            .unwrap()
            .unwrap()["closed_on"],
        Value::Null
    );
}

fn wgi_rows(store: &Store) -> i64 {
    store
        .conn()
        .query_row(
            "SELECT count(*) FROM wgi_value WHERE coalesce(deleted, 0) = 0",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn bad_wgi_files_are_refused_whole_with_line_and_reason() {
    let fx = fixture();
    let header = "code,countryname,year,indicator,estimate,pctrank\n";
    let cases = [
        (
            "code,countryname,year,indicator,estimate\nBGD,Bangladesh,2023,rl,-0.6\n",
            1,
            "missing column \"pctrank\"",
        ),
        (
            &*format!("{header}BGD,Bangladesh,2023,rl,-0.6,20\nBGD,Bangladesh,2023,cc,abc,10\n"),
            3,
            "estimate \"abc\" is not a number",
        ),
        (
            &*format!("{header}XYZ,Nowhere,2023,rl,-0.6,20\n"),
            2,
            "unknown country code \"XYZ\"",
        ),
        (
            &*format!("{header}BGD,Bangladesh,2023,rl,-0.6,20\nBGD,Bangladesh,2023,rl,-0.6,20\n"),
            3,
            "duplicate row: BD rl 2023 is already on line 2",
        ),
        (
            &*format!("{header}BGD,Bangladesh,2023,rl,-0.6,120\n"),
            2,
            "outside 0–100",
        ),
        (
            &*format!("{header}BGD,Bangladesh,2023,zz,-0.6,20\n"),
            2,
            "indicator \"zz\"",
        ),
    ];
    let mut store = fx.store;
    let before = wgi_rows(&store);
    for (text, line, reason) in cases {
        let e = super::reference::parse_wgi(text).unwrap_err();
        assert!(
            e.problems
                .iter()
                .any(|p| p.line == line && p.reason.contains(reason)),
            "{e}"
        );
        let err = store.write_wgi(text, "bad.csv").unwrap_err().to_string();
        assert!(
            err.contains("nothing was imported") && err.contains(&format!("line {line}")),
            "{err}"
        );
        assert_eq!(wgi_rows(&store), before, "a refused file changes nothing");
    }
}

#[test]
fn a_real_wgi_file_replaces_the_sample_and_the_sample_says_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path(), "laptop").unwrap();
    let s = store
        .write_wgi(super::reference::SAMPLE_WGI_CSV, "wgi-sample.csv")
        .unwrap();
    assert_eq!(s.dataset, super::reference::SAMPLE_WGI_LABEL);
    assert!(s.rows_stored >= 36 * 6);
    let risks = store.country_risks().unwrap();
    assert!(risks.iter().all(|r| r.sample && r.year == 2023));
    // A real file with two countries replaces all of it.
    let s = store.write_wgi(WGI, "wgidataset.csv").unwrap();
    assert_eq!(s.rows_removed, 36 * 6 - 8); // BD and CN keep RL, CC, GE, VA (PV had no rank)
    let risks = store.country_risks().unwrap();
    assert_eq!(risks.len(), 2);
    assert!(risks
        .iter()
        .all(|r| !r.sample && r.dataset == "wgidataset.csv"));
}

#[test]
fn rate_files_good_and_bad() {
    let good = super::reference::parse_exchange_rates(
        "Date,From,To,Rate,Note\n2026-01-01,bdt,USD,0.0082,central bank\n",
    )
    .unwrap();
    assert_eq!(
        (good[0].from.as_str(), good[0].rate),
        ("BDT", dec("0.0082"))
    );
    let cases = [
        (
            "date,from,rate\n2026-01-01,BDT,0.1\n",
            1,
            "missing column \"to\"",
        ),
        (
            "date,from,to,rate\n2026-01-01,BDT,USD,0,0082\n2026-01-01,CNY,USD,abc\n",
            3,
            "rate \"abc\" is not a number",
        ),
        (
            "date,from,to,rate\n2026-01-01,TAKA,USD,0.1\n",
            2,
            "currency \"TAKA\"",
        ),
        (
            "date,from,to,rate\n2026-01-01,BDT,USD,0.1\n2026-01-01,BDT,USD,0.2\n",
            3,
            "duplicate row: BDT→USD on 2026-01-01 is already on line 2",
        ),
        (
            "date,from,to,rate\n01/02/2026,BDT,USD,0.1\n",
            2,
            "is not a date",
        ),
    ];
    for (text, line, reason) in cases {
        let e = super::reference::parse_exchange_rates(text).unwrap_err();
        assert!(
            e.problems
                .iter()
                .any(|p| p.line == line && p.reason.contains(reason)),
            "{e}"
        );
    }
    // Imports need an admin session; refused before anything is written.
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path(), "laptop").unwrap();
    assert!(store
        .import_exchange_rates("date,from,to,rate\n2026-01-01,BDT,USD,0.1\n", "r.csv")
        .unwrap_err()
        .to_string()
        .contains("as an admin"));
    assert!(store.exchange_rates().unwrap().is_empty());
}
