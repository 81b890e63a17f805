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
    store.conn().query_row("SELECT count(*) FROM change_log", [], |r| r.get(0)).unwrap()
}

#[test]
fn every_changed_field_is_logged_in_order_without_gaps() {
    let (_d, mut store) = new_store();
    let id = Uuid::now_v7();
    let n = store
        .write(|w| w.set(EntityKind::Facility, id, &[("name", json!("Noman Terry")), ("country_code", json!("BD"))]))
        .unwrap();
    assert_eq!(n, 2);
    // Setting the same value again changes nothing and logs nothing.
    let n = store.write(|w| w.set(EntityKind::Facility, id, &[("name", json!("Noman Terry"))])).unwrap();
    assert_eq!(n, 0);
    store.write(|w| w.set(EntityKind::Facility, id, &[("name", json!("Noman Terry Towel"))])).unwrap();
    let changes = store.changes_after(0, 100).unwrap();
    assert_eq!(changes.iter().map(|c| c.device_seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert!(changes.windows(2).all(|w| w[0].hlc < w[1].hlc), "stamps increase");
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
        w.set(EntityKind::Facility, id, &[("country_code", json!("bangladesh"))])
    });
    assert!(matches!(err, Err(CoreError::InvalidValue(_))), "{err:?}");
    assert!(store.row(EntityKind::Facility, id).unwrap().is_none());
    assert_eq!(log_count(&store), 0);
    assert_eq!(store.last_device_seq().unwrap(), 0, "the sequence must not skip numbers");
}

#[test]
fn references_must_point_at_existing_rows() {
    let (_d, mut store) = new_store();
    let missing = Uuid::now_v7();
    let err = store
        .write(|w| w.set(EntityKind::Audit, Uuid::now_v7(), &[("facility_id", json!(missing.to_string()))]))
        .unwrap_err();
    assert!(err.to_string().contains("facility") && err.to_string().contains("not found"), "{err}");
    assert_eq!(log_count(&store), 0);
}

#[test]
fn reopening_keeps_data_and_the_clock_moves_forward() {
    let (dir, mut store) = new_store();
    let id = Uuid::now_v7();
    store.write(|w| w.set(EntityKind::Facility, id, &[("name", json!("A"))])).unwrap();
    let before = store.changes_after(0, 10).unwrap()[0].hlc;
    let device = store.device_id();
    drop(store);
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.device_id(), device);
    store.write(|w| w.set(EntityKind::Facility, id, &[("name", json!("B"))])).unwrap();
    let after = store.changes_after(1, 10).unwrap()[0].hlc;
    assert!(after > before);
    assert_eq!(store.row(EntityKind::Facility, id).unwrap().unwrap()["name"], json!("B"));
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
        change: Change { device_seq: 1, hlc: Hlc(hlc), entity: "facility".into(), row_id: row, field: field.into(), value },
    }
}

#[test]
fn remote_changes_merge_last_writer_wins_per_field() {
    let (_d, mut store) = new_store();
    let row = Uuid::now_v7();
    store.write(|w| w.set(EntityKind::Facility, row, &[("name", json!("local"))])).unwrap();
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
    assert_eq!((r["name"].clone(), r["address"].clone()), (json!("local"), json!("Gazipur")));
    store.apply_remote(&[remote(other, local_hlc + 1, row, "name", json!("newer remote"))]).unwrap();
    assert_eq!(store.row(EntityKind::Facility, row).unwrap().unwrap()["name"], json!("newer remote"));
    // The local clock moved past what it observed.
    store.write(|w| w.set(EntityKind::Facility, row, &[("name", json!("local again"))])).unwrap();
    assert!(store.changes_after(1, 1).unwrap()[0].hlc.0 > local_hlc + 1);
    assert_eq!(log_count(&store), 2, "remote changes are not re-logged as this device's");
}

#[test]
fn remote_child_before_parent_keeps_foreign_keys() {
    let (_d, mut store) = new_store();
    let audit = Uuid::now_v7();
    let answer = Uuid::now_v7();
    let ch = PulledChange {
        server_seq: 1,
        device_id: Uuid::now_v7(),
        change: Change { device_seq: 1, hlc: Hlc(10), entity: "answer".into(), row_id: answer, field: "audit_id".into(), value: json!(audit.to_string()) },
    };
    assert_eq!(store.apply_remote(&[ch]).unwrap(), vec![ApplyOutcome::Applied]);
    assert!(store.row(EntityKind::Audit, audit).unwrap().is_some());
}
