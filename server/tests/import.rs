//! Facility import for an organisation, on every backend: rows become changes by
//! the organisation's server device, devices pull them, re-importing changes
//! nothing, and another organisation sees none of it.

mod common;

use common::*;
use fieldaudit_server::import::import_facilities;
use fieldaudit_server::store::{server_device_id, ServerStore};
use serde_json::json;

const CSV: &str = "name,country,address,number of workers\n\
Dhaka Knit Ltd,Bangladesh,\"Plot 5, Gazipur\",1200\n\
Saigon Sewing,VN,12 Le Loi,300-500\n\
Nowhere Mills,Atlantis,1 Main St,10\n";

async fn imports_become_synced_changes(store: &dyn ServerStore) {
    let t = tenant(store, "acme").await;
    let other = tenant(store, "other").await;
    let dry = import_facilities(store, "acme", CSV.as_bytes(), true)
        .await
        .expect("dry run");
    assert_eq!(
        (dry.preview.summary.add, dry.preview.summary.reject),
        (2, 1)
    );
    assert!(dry.pushed.is_none());
    assert!(
        store
            .pull(t.org.id, 0, 100, usize::MAX, None)
            .await
            .expect("pull")
            .changes
            .is_empty(),
        "a dry run writes nothing"
    );

    let done = import_facilities(store, "acme", CSV.as_bytes(), false)
        .await
        .expect("import");
    assert_eq!(done.created.len(), 2);
    assert_eq!(done.preview.reject[0].line, 4);
    let pushed = done.pushed.expect("pushed");
    assert!(pushed.rejected.is_empty());
    let page = store
        .pull(t.org.id, 0, 1000, usize::MAX, None)
        .await
        .expect("pull");
    assert_eq!(page.changes.len() as u64, pushed.applied);
    assert!(page
        .changes
        .iter()
        .all(|c| c.device_id == server_device_id(t.org.id) && c.change.entity == "facility"));
    let name = store
        .field_value(t.org.id, "facility", done.created[0], "name")
        .await
        .expect("field")
        .expect("value");
    assert_eq!(name.value, json!("Dhaka Knit Ltd"));
    let country = store
        .field_value(t.org.id, "facility", done.created[0], "country_code")
        .await
        .expect("field")
        .expect("value");
    assert_eq!(country.value, json!("BD"));
    assert!(store
        .pull(other.org.id, 0, 1000, usize::MAX, None)
        .await
        .expect("pull")
        .changes
        .is_empty());

    // The same file again: both facilities match, nothing new is written.
    let again = import_facilities(store, "acme", CSV.as_bytes(), false)
        .await
        .expect("import again");
    assert_eq!(
        (again.preview.summary.add, again.preview.summary.merge),
        (0, 2)
    );
    assert!(again.pushed.is_none());
    assert_eq!(
        store
            .pull(t.org.id, 0, 1000, usize::MAX, None)
            .await
            .expect("pull")
            .changes
            .len(),
        page.changes.len()
    );

    // A whole-file problem is an error that says what to fix, and writes nothing.
    let err = import_facilities(store, "acme", "colour,size\nred,L\n".as_bytes(), false)
        .await
        .expect_err("no name column");
    assert!(err.to_string().contains("name"), "{err}");
    assert!(import_facilities(store, "nope", CSV.as_bytes(), false)
        .await
        .is_err());
}

/// A device whose clock runs ahead (within the allowed skew) wrote a facility; an
/// import that fills its blank address must still win the merge.
async fn imports_win_over_slightly_future_stamps(store: &dyn ServerStore) {
    use fieldaudit_protocol::{Change, Hlc};
    use fieldaudit_server::sync::PushPolicy;
    let t = tenant(store, "acme").await;
    let row = uuid::Uuid::now_v7();
    let ahead = Hlc::from_datetime(chrono::Utc::now() + chrono::Duration::minutes(5));
    let mk = |seq: u64, field: &str, value: serde_json::Value| Change {
        device_seq: seq,
        hlc: Hlc(ahead.0 + seq),
        entity: "facility".into(),
        row_id: row,
        field: field.into(),
        value,
    };
    let ops = vec![
        mk(1, "name", json!("Dhaka Knit Ltd")),
        mk(2, "country_code", json!("BD")),
        mk(3, "os_id", json!("BD2020ABC")),
        mk(4, "address", json!(null)),
    ];
    assert_eq!(
        store
            .push(t.org.id, t.device, &ops, &PushPolicy::default())
            .await
            .expect("push")
            .applied,
        4
    );
    let csv = "name,country,address,os_id\nDhaka Knit Ltd,BD,Plot 5 Gazipur,BD2020ABC\n";
    let done = import_facilities(store, "acme", csv.as_bytes(), false)
        .await
        .expect("import");
    assert_eq!(
        (
            done.preview.summary.add,
            done.preview.summary.merge_with_changes
        ),
        (0, 1)
    );
    let address = store
        .field_value(t.org.id, "facility", row, "address")
        .await
        .expect("field")
        .expect("value");
    assert_eq!(
        address.value,
        json!("Plot 5 Gazipur"),
        "the import's fill must not lose to an older-but-later-clocked null"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_imports_win_over_slightly_future_stamps() {
    let b = sqlite().await;
    imports_win_over_slightly_future_stamps(b.store()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_imports_win_over_slightly_future_stamps() {
    let Some(b) = postgres().await else { return };
    imports_win_over_slightly_future_stamps(b.store()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_imports_become_synced_changes() {
    let b = sqlite().await;
    imports_become_synced_changes(b.store()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_imports_become_synced_changes() {
    let Some(b) = postgres().await else { return };
    imports_become_synced_changes(b.store()).await;
}

#[test]
fn facility_import_command_reports_what_it_did() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let db = ["--data-dir", data.to_str().expect("utf-8")];
    let csv = dir.path().join("list.csv");
    std::fs::write(&csv, CSV).expect("write csv");
    let (ok, _, err) = admin_cmd(&db, &["org", "create", "acme"], None);
    assert!(ok, "{err}");
    let (ok, out, err) = admin_cmd(
        &db,
        &[
            "facility",
            "import",
            "--org",
            "acme",
            csv.to_str().expect("utf-8"),
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("rejected line 4"), "{out}");
    assert!(out.contains("added 2 facilities"), "{out}");
    let (ok, _, err) = admin_cmd(
        &db,
        &["facility", "import", "--org", "acme", "/nonexistent.csv"],
        None,
    );
    assert!(!ok && err.contains("cannot open"), "{err}");
}
