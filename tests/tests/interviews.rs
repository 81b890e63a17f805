//! Confidential worker interviews end to end: an interviewer's device seals an
//! interview to the organisation's reviewer keys (registered on the server by the
//! admin command) and syncs it; a reviewer's device opens it. A unique marker typed
//! into every free-text field never appears in the device's database, WAL or shm
//! files, nor in the server's database (SQLite files; PostgreSQL table contents),
//! before or after finalisation.

use std::path::Path;

use chrono::NaiveDate;
use fieldaudit_core::audits::NewAudit;
use fieldaudit_core::import::FacilityRecord;
use fieldaudit_core::interviews::{
    self, generate_reviewer_key, unlock_reviewer_key, InterviewContent, OpenError, ReportedFee,
    ReportedFees,
};
use fieldaudit_core::model::ChecklistRef;
use fieldaudit_server::reviewers;
use fieldaudit_server::ServerConfig;
use fieldaudit_tests::{pg_base_url, Backend, Cluster, Device};
use rust_decimal::Decimal;
use uuid::Uuid;

const PASS: &str = "reviewer passphrase";

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn count_in(path: &Path, needle: &str) -> usize {
    std::fs::read(path)
        .map(|b| {
            b.windows(needle.len())
                .filter(|w| *w == needle.as_bytes())
                .count()
        })
        .unwrap_or(0)
}

fn device_occurrences(device: &Device, needle: &str) -> usize {
    let dir = device.dir.path();
    let files = ["fieldaudit.db", "fieldaudit.db-wal", "fieldaudit.db-shm"];
    assert!(dir.join(files[0]).exists());
    files.iter().map(|f| count_in(&dir.join(f), needle)).sum()
}

fn server_occurrences(c: &Cluster, needle: &str) -> usize {
    match c.database_url() {
        None => {
            let mut files = Vec::new();
            files_under(c.data_dir(), &mut files);
            assert!(
                files.iter().any(|f| f
                    .extension()
                    .is_some_and(|e| e == "db" || e == "sqlite" || e == "sqlite3"))
                    || !files.is_empty()
            );
            files.iter().map(|f| count_in(f, needle)).sum()
        }
        Some(url) => {
            let url = url.to_owned();
            let needle = format!("%{needle}%");
            c.rt.block_on(async move {
                let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .expect("connect");
                tokio::spawn(conn);
                let tables = client
                    .query(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
                        &[],
                    )
                    .await
                    .expect("tables");
                assert!(!tables.is_empty());
                let mut n = 0i64;
                for t in tables {
                    let name: String = t.get(0);
                    let row = client
                        .query_one(
                            &format!("SELECT count(*) FROM \"{name}\" t WHERE t::text LIKE $1"),
                            &[&needle],
                        )
                        .await
                        .expect("search");
                    n += row.get::<_, i64>(0);
                }
                n as usize
            })
        }
    }
}

fn content(marker: &str) -> InterviewContent {
    let mut c = InterviewContent::default();
    for (item, text) in [
        ("setup.format", "individual"),
        ("setup.location", "off_site"),
        ("setup.language", "other"),
        ("setup.interpreter", "independent"),
        ("setup.selected_by", "auditor"),
        ("setup.consent", "yes"),
        ("category.shift", "night"),
        ("topics.fees", "paid"),
        ("topics.documents", "agent"),
    ] {
        c.set_answer_text(item, text).unwrap();
    }
    let items = interviews::free_text_items().unwrap();
    assert!(items.len() >= 8, "{items:?}");
    for item in items {
        c.set_answer_text(&item, &format!("{marker} said {item}"))
            .unwrap();
    }
    c.fees_reported.push(ReportedFees {
        fees: vec![ReportedFee {
            category: "placement".into(),
            amount: Decimal::new(95000, 0),
            currency: "BDT".into(),
            paid_to: Some("broker".into()),
            paid_when: Some("pre_departure".into()),
            financed_by_loan: Some(true),
            note: Some(format!("{marker} fee")),
        }],
        ..Default::default()
    });
    c
}

fn run(backend: Backend) {
    let marker =
        format!("MRK{}", Uuid::new_v4().simple()).replace(|c: char| c.is_ascii_digit(), "Q");
    let mut c = Cluster::new(backend, ServerConfig::default());
    c.organisation("acme", &["nadia", "rev"]);
    c.organisation("other", &["olga"]);
    c.start();
    let url = c.urls()[0].clone();

    // Reviewers make key pairs on their own machines; the admin registers public keys.
    let alice = generate_reviewer_key(PASS, Some(10)).unwrap();
    let bob = generate_reviewer_key(PASS, Some(10)).unwrap();
    let carol = generate_reviewer_key(PASS, Some(10)).unwrap();
    let store = c.server_store();
    let (alice_pub, bob_pub, carol_pub) = (
        alice.public_key.clone(),
        bob.public_key.clone(),
        carol.public_key.clone(),
    );
    let bob_row = c.rt.block_on(async {
        reviewers::add_reviewer_key(store.as_ref(), "acme", "Alice", &alice_pub)
            .await
            .unwrap();
        let b = reviewers::add_reviewer_key(store.as_ref(), "acme", "Bob", &bob_pub)
            .await
            .unwrap();
        reviewers::add_reviewer_key(store.as_ref(), "other", "Carol", &carol_pub)
            .await
            .unwrap();
        assert!(
            reviewers::add_reviewer_key(store.as_ref(), "acme", "Eve", "AGE-SECRET-KEY-1XYZ")
                .await
                .unwrap_err()
                .to_string()
                .contains("private key")
        );
        assert!(
            reviewers::add_reviewer_key(store.as_ref(), "acme", "Eve", "not a key")
                .await
                .is_err()
        );
        b
    });

    let interviewer = Device::new("Nadia's laptop");
    interviewer.login(&url, "acme", "nadia");
    let audit = {
        let mut s = interviewer.store();
        let facility = s
            .add_facility(&FacilityRecord {
                name: "Hasan Knit".into(),
                address: "Ashulia".into(),
                country_code: "BD".into(),
                ..Default::default()
            })
            .unwrap();
        s.start_audit(&NewAudit {
            facility_id: facility,
            checklists: vec![ChecklistRef { template_id: "worker-interview".into(), version: 1 }],
            audit_type: fieldaudit_protocol::closed_sets::AuditType::Initial,
            notice: fieldaudit_protocol::closed_sets::Notice::Announced,
            start_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            end_date: None,
            auditors: vec!["Nadia".into()],
        })
        .unwrap()
    };
    interviewer.sync().unwrap();
    assert_eq!(
        interviewer.store().reviewer_keys().unwrap().len(),
        2,
        "devices receive the organisation's keys only"
    );

    // Bob's key is removed before the interview is finalised.
    c.rt.block_on(reviewers::remove_reviewer_key(
        store.as_ref(),
        "acme",
        &bob_row.id.to_string(),
    ))
    .unwrap();
    interviewer.sync().unwrap();
    assert_eq!(interviewer.store().reviewer_keys().unwrap().len(), 1);

    // The draft: typed, saved, synced — never on disk in the clear, never on the server.
    let mut s = interviewer.store();
    let key = s.unlock_interviews("interviewer passphrase").unwrap();
    let id = s
        .start_interview(
            &key,
            audit,
            "Nadia",
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        )
        .unwrap();
    let mut draft = s.interview_draft(&key, id).unwrap();
    draft.content = content(&marker);
    s.save_interview_draft(&key, &draft).unwrap();
    drop(s);
    interviewer.sync().unwrap();
    assert_eq!(
        device_occurrences(&interviewer, &marker),
        0,
        "draft in device files"
    );
    assert_eq!(server_occurrences(&c, &marker), 0, "draft on the server");

    let mut s = interviewer.store();
    s.finalise_interview(&key, id).unwrap();
    drop(s);
    interviewer.sync().unwrap();
    assert_eq!(
        device_occurrences(&interviewer, &marker),
        0,
        "sealed: device files"
    );
    assert_eq!(
        server_occurrences(&c, &marker),
        0,
        "sealed: server database"
    );
    assert!(
        server_occurrences(&c, "BEGIN AGE ENCRYPTED FILE") > 0,
        "the ciphertext did reach the server"
    );

    // The reviewer's machine: sync, then open with the private key file.
    let reviewer = Device::new("Review office");
    reviewer.login(&url, "acme", "rev");
    reviewer.sync().unwrap();
    let rs = reviewer.store();
    let alice_id = unlock_reviewer_key(&alice.identity_file, PASS).unwrap();
    let (reviewed, agg) = rs.interview_aggregate(audit, &alice_id).unwrap();
    assert_eq!(reviewed.len(), 1);
    let opened = reviewed[0].content.as_ref().unwrap();
    assert_eq!(*opened, draft.content.for_sealing().unwrap());
    assert!(opened.answers["credibility.notes"]
        .as_str()
        .unwrap()
        .contains(&marker));
    assert_eq!(
        (agg.workers_reporting_fees, agg.fees_by_currency["BDT"].paid),
        (1, Decimal::new(95000, 0))
    );
    assert_eq!(agg.documents_held["agent"], 1);
    // Removed, other organisation's, and a non-reviewer's keys cannot.
    let bob_id = unlock_reviewer_key(&bob.identity_file, PASS).unwrap();
    let carol_id = unlock_reviewer_key(&carol.identity_file, PASS).unwrap();
    let nobody = age::x25519::Identity::generate();
    for id in [&bob_id, &carol_id, &nobody] {
        assert_eq!(
            rs.review_interviews(audit, id).unwrap()[0].content,
            Err(OpenError::NotForThisKey)
        );
    }
    // The reviewer's synced copy never held the marker either.
    assert_eq!(device_occurrences(&reviewer, &marker), 0);
    // The other organisation's device sees neither the interview nor acme's keys.
    let outsider = Device::new("Olga's laptop");
    outsider.login(&url, "other", "olga");
    outsider.sync().unwrap();
    let os = outsider.store();
    assert!(os.interviews(audit).unwrap().is_empty());
    assert_eq!(
        os.reviewer_keys()
            .unwrap()
            .iter()
            .map(|k| k.public_key.clone())
            .collect::<Vec<_>>(),
        vec![carol.public_key.clone()]
    );
}

#[test]
fn interviews_are_sealed_end_to_end_on_sqlite() {
    run(Backend::Sqlite);
}

#[test]
fn interviews_are_sealed_end_to_end_on_postgres() {
    if let Some(base) = pg_base_url() {
        run(Backend::Postgres(base));
    }
}
