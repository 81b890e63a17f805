//! Tests of the write path and the remote merge.

use super::*;
use fieldaudit_protocol::{Change, PulledChange};
use serde_json::json;

fn new_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(dir.path(), "test laptop").unwrap();
    (dir, store)
}

fn log_count(store: &Store) -> i64 {
    store
        .conn()
        .query_row("SELECT count(*) FROM change_log", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn every_changed_field_is_logged_in_order_without_gaps() {
    let (_d, mut store) = new_store();
    let id = Uuid::now_v7();
    let n = store
        .write(|w| {
            w.set(
                EntityKind::Facility,
                id,
                &[
                    ("name", json!("Noman Terry")),
                    ("country_code", json!("BD")),
                ],
            )
        })
        .unwrap();
    assert_eq!(n, 2);
    // Setting the same value again changes nothing and logs nothing.
    let n = store
        .write(|w| w.set(EntityKind::Facility, id, &[("name", json!("Noman Terry"))]))
        .unwrap();
    assert_eq!(n, 0);
    store
        .write(|w| {
            w.set(
                EntityKind::Facility,
                id,
                &[("name", json!("Noman Terry Towel"))],
            )
        })
        .unwrap();
    let changes = store.changes_after(0, 100).unwrap();
    assert_eq!(
        changes.iter().map(|c| c.device_seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(
        changes.windows(2).all(|w| w[0].hlc < w[1].hlc),
        "stamps increase"
    );
    assert_eq!(changes[2].field, "name");
    assert_eq!(changes[2].value, json!("Noman Terry Towel"));
    assert_eq!(store.last_device_seq().unwrap(), 3);
    let row = store.row(EntityKind::Facility, id).unwrap().unwrap();
    assert_eq!(row["name"], json!("Noman Terry Towel"));
    assert_eq!(row["country_code"], json!("BD"));
}

#[test]
fn a_failed_transaction_leaves_nothing_behind() {
    let (_d, mut store) = new_store();
    let id = Uuid::now_v7();
    let err = store.write(|w| {
        w.set(EntityKind::Facility, id, &[("name", json!("Half written"))])?;
        w.set(
            EntityKind::Facility,
            id,
            &[("country_code", json!("bangladesh"))],
        )
    });
    assert!(matches!(err, Err(CoreError::InvalidValue(_))), "{err:?}");
    assert!(store.row(EntityKind::Facility, id).unwrap().is_none());
    assert_eq!(log_count(&store), 0);
    assert_eq!(
        store.last_device_seq().unwrap(),
        0,
        "the sequence must not skip numbers"
    );
}

#[test]
fn references_must_point_at_existing_rows() {
    let (_d, mut store) = new_store();
    let missing = Uuid::now_v7();
    let err = store
        .write(|w| {
            w.set(
                EntityKind::Audit,
                Uuid::now_v7(),
                &[("facility_id", json!(missing.to_string()))],
            )
        })
        .unwrap_err();
    assert!(
        err.to_string().contains("facility") && err.to_string().contains("not found"),
        "{err}"
    );
    assert_eq!(log_count(&store), 0);
}

#[test]
fn reopening_keeps_data_and_the_clock_moves_forward() {
    let (dir, mut store) = new_store();
    let id = Uuid::now_v7();
    store
        .write(|w| w.set(EntityKind::Facility, id, &[("name", json!("A"))]))
        .unwrap();
    let before = store.changes_after(0, 10).unwrap()[0].hlc;
    let device = store.device_id();
    drop(store);
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.device_id(), device);
    store
        .write(|w| w.set(EntityKind::Facility, id, &[("name", json!("B"))]))
        .unwrap();
    let after = store.changes_after(1, 10).unwrap()[0].hlc;
    assert!(after > before);
    assert_eq!(
        store.row(EntityKind::Facility, id).unwrap().unwrap()["name"],
        json!("B")
    );
}

#[test]
fn opening_a_missing_data_dir_says_how_to_create_it() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(&dir.path().join("nowhere")).err().unwrap();
    assert!(err.to_string().contains("fieldaudit init"), "{err}");
}

fn remote(device: Uuid, hlc: u64, row: Uuid, field: &str, value: Value) -> PulledChange {
    PulledChange {
        server_seq: 0,
        device_id: device,
        change: Change {
            device_seq: 1,
            hlc: Hlc(hlc),
            entity: "facility".into(),
            row_id: row,
            field: field.into(),
            value,
        },
    }
}

#[test]
fn remote_changes_merge_last_writer_wins_per_field() {
    let (_d, mut store) = new_store();
    let row = Uuid::now_v7();
    store
        .write(|w| w.set(EntityKind::Facility, row, &[("name", json!("local"))]))
        .unwrap();
    let local_hlc = store.changes_after(0, 1).unwrap()[0].hlc.0;
    let other = Uuid::now_v7();
    let outcomes = store
        .apply_remote(&[
            remote(other, local_hlc - 1, row, "name", json!("older remote")),
            remote(other, local_hlc - 1, row, "address", json!("Gazipur")),
        ])
        .unwrap();
    assert_eq!(outcomes, vec![ApplyOutcome::Stale, ApplyOutcome::Applied]);
    let r = store.row(EntityKind::Facility, row).unwrap().unwrap();
    assert_eq!(
        (r["name"].clone(), r["address"].clone()),
        (json!("local"), json!("Gazipur"))
    );
    store
        .apply_remote(&[remote(
            other,
            local_hlc + 1,
            row,
            "name",
            json!("newer remote"),
        )])
        .unwrap();
    assert_eq!(
        store.row(EntityKind::Facility, row).unwrap().unwrap()["name"],
        json!("newer remote")
    );
    // The local clock moved past what it observed.
    store
        .write(|w| w.set(EntityKind::Facility, row, &[("name", json!("local again"))]))
        .unwrap();
    assert!(store.changes_after(1, 1).unwrap()[0].hlc.0 > local_hlc + 1);
    assert_eq!(
        log_count(&store),
        2,
        "remote changes are not re-logged as this device's"
    );
}

#[test]
fn remote_child_before_parent_keeps_foreign_keys() {
    let (_d, mut store) = new_store();
    let audit = Uuid::now_v7();
    let answer = Uuid::now_v7();
    let ch = PulledChange {
        server_seq: 1,
        device_id: Uuid::now_v7(),
        change: Change {
            device_seq: 1,
            hlc: Hlc(10),
            entity: "answer".into(),
            row_id: answer,
            field: "audit_id".into(),
            value: json!(audit.to_string()),
        },
    };
    assert_eq!(
        store.apply_remote(&[ch]).unwrap(),
        vec![ApplyOutcome::Applied]
    );
    assert!(store.row(EntityKind::Audit, audit).unwrap().is_some());
}

/// The per-change statements (one UPDATE per synced field, a few per entity) are
/// cached on the connection; the cache must hold all of them with room for the
/// rest of the store's cached queries, or SQL is re-parsed for every change again.
#[test]
fn the_statement_cache_holds_every_per_change_statement() {
    let fields: usize = EntityKind::ALL.iter().map(|e| e.fields().len()).sum();
    // Per entity: INSERT (local), INSERT … ON CONFLICT (remote), EXISTS (reference
    // check), SELECT deleted (exists), the row read (select_rows).
    let per_change = fields + 5 * EntityKind::ALL.len();
    let others = 48;
    assert!(
        per_change + others <= crate::db::STATEMENT_CACHE_CAPACITY,
        "{per_change} per-change statements + {others} others exceed the cache of {}; raise STATEMENT_CACHE_CAPACITY in db.rs",
        crate::db::STATEMENT_CACHE_CAPACITY
    );
}

/// Writing and merging many rows of every kind with cached statements behaves as
/// before: every field applied, logged once, versioned.
#[test]
fn cached_statements_write_and_merge_like_fresh_ones() {
    let (_d, mut store) = new_store();
    let ids: Vec<Uuid> = (0..40).map(|_| Uuid::now_v7()).collect();
    for (i, id) in ids.iter().enumerate() {
        store
            .write(|w| {
                w.set(
                    EntityKind::Facility,
                    *id,
                    &[
                        ("name", json!(format!("F{i}"))),
                        ("address", json!("Tongi")),
                    ],
                )
            })
            .unwrap();
    }
    assert_eq!(log_count(&store), 80);
    let other = Uuid::now_v7();
    let hlc =
        fieldaudit_protocol::Hlc::from_datetime(chrono::Utc::now() + chrono::Duration::seconds(1));
    let pulled: Vec<PulledChange> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| PulledChange {
            server_seq: i as u64 + 1,
            device_id: other,
            change: Change {
                device_seq: i as u64 + 1,
                hlc,
                entity: "facility".into(),
                row_id: *id,
                field: "name".into(),
                value: json!(format!("G{i}")),
            },
        })
        .collect();
    let outcomes = store.apply_remote(&pulled).unwrap();
    assert!(outcomes.iter().all(|o| *o == ApplyOutcome::Applied));
    for (i, id) in ids.iter().enumerate() {
        let row = store.row(EntityKind::Facility, *id).unwrap().unwrap();
        assert_eq!(
            (row["name"].clone(), row["address"].clone()),
            (json!(format!("G{i}")), json!("Tongi"))
        );
    }
    assert_eq!(
        log_count(&store),
        80,
        "remote changes are not logged as this device's"
    );
    assert_eq!(
        store.apply_remote(&pulled).unwrap(),
        vec![ApplyOutcome::Stale; 40],
        "applying again changes nothing"
    );
}
