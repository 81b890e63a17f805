//! The store test suite, run against every backend: SQLite always, PostgreSQL when
//! FIELDAUDIT_TEST_DATABASE_URL is set (and required when CI=true).

mod common;

use std::collections::HashMap;

use common::*;
use fieldaudit_protocol::api::Role;
use fieldaudit_protocol::{Change, Hlc, PulledChange, RejectCode};
use fieldaudit_server::store::{DeviceRegistration, ServerStore};
use fieldaudit_server::sync::PushPolicy;
use fieldaudit_server::{auth, PushError, StoreError};
use serde_json::json;
use uuid::Uuid;

macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let b = super::sqlite().await;
                    super::$name(b.store()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(b) = super::postgres().await else { return };
                    super::$name(b.store()).await;
                }
            )*
        }
    };
}

on_every_backend!(
    push_then_pull_returns_changes_in_server_order,
    same_batch_three_times_is_idempotent,
    split_and_replayed_batches_end_in_the_same_state,
    a_gap_is_refused_and_nothing_is_stored,
    non_increasing_seqs_are_refused,
    bad_ops_are_rejected_with_reasons_and_skipped,
    rows_and_references_of_another_organisation_are_forbidden,
    last_writer_wins_per_field,
    pull_pages_by_count_and_bytes_and_never_skips,
    concurrent_pushes_get_gap_free_server_order,
    devices_register_conflict_and_revoke,
    organisations_and_users_are_unique,
    templates_round_trip,
    pull_is_scoped_by_organisation,
    a_device_never_pulls_its_own_changes,
    a_signed_audit_refuses_changes_to_what_was_signed,
);

async fn pull_all(store: &dyn ServerStore, org: Uuid) -> Vec<PulledChange> {
    let mut out = Vec::new();
    let mut cursor = 0;
    loop {
        let page = store
            .pull(org, cursor, 1000, usize::MAX, None)
            .await
            .expect("pull");
        out.extend(page.changes);
        cursor = page.next_cursor;
        if !page.more {
            return out;
        }
    }
}

fn policy() -> PushPolicy {
    PushPolicy::default()
}

async fn push_then_pull_returns_changes_in_server_order(store: &dyn ServerStore) {
    let t = tenant(store, "acme").await;
    let row = Uuid::now_v7();
    let changes = vec![
        change(1, row, "Dhaka Knit"),
        change(2, row, "Dhaka Knitwear"),
        change(3, Uuid::now_v7(), "Other"),
    ];
    let res = store
        .push(t.org.id, t.device, &changes, &policy())
        .await
        .expect("push");
    assert_eq!((res.watermark, res.applied), (3, 3));
    assert!(res.rejected.is_empty());
    let pulled = pull_all(store, t.org.id).await;
    assert_eq!(
        pulled.iter().map(|c| c.server_seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(
        pulled.iter().map(|c| c.change.clone()).collect::<Vec<_>>(),
        changes
    );
    assert!(pulled.iter().all(|c| c.device_id == t.device));
    let current = store
        .field_value(t.org.id, "facility", row, "name")
        .await
        .expect("field")
        .expect("has value");
    assert_eq!(current.value, json!("Dhaka Knitwear"));
    assert_eq!(current.device_id, t.device);
}

async fn same_batch_three_times_is_idempotent(store: &dyn ServerStore) {
    let t = tenant(store, "acme").await;
    let mut changes = batch(20);
    // One op the server refuses: sent again, it is refused again, with the same reason.
    changes[7].entity = "no_such_entity".into();
    let first = store
        .push(t.org.id, t.device, &changes, &policy())
        .await
        .expect("push 1");
    assert_eq!(first.rejected.len(), 1, "{:?}", first.rejected);
    assert_eq!(first.rejected[0].device_seq, 8);
    let after_first = pull_all(store, t.org.id).await;
    for _ in 0..2 {
        let again = store
            .push(t.org.id, t.device, &changes, &policy())
            .await
            .expect("replay");
        assert_eq!(again.watermark, first.watermark);
        assert_eq!(again.applied, 0, "duplicates are not counted");
        assert_eq!(again.rejected, first.rejected, "the same answer to the same push");
    }
    assert_eq!(pull_all(store, t.org.id).await, after_first);
    assert_eq!(after_first.len(), 19);
    // Part of it again, with new ops after: the old refusal and the new ops' answers.
    let more = batch(22);
    let mut replay = changes[5..].to_vec();
    replay.extend(more[20..].iter().cloned());
    let mixed = store
        .push(t.org.id, t.device, &replay, &policy())
        .await
        .expect("replay with new ops");
    assert_eq!((mixed.watermark, mixed.applied), (22, 2));
    assert_eq!(mixed.rejected, first.rejected);
    assert_eq!(pull_all(store, t.org.id).await.len(), 21);
}

async fn split_and_replayed_batches_end_in_the_same_state(store: &dyn ServerStore) {
    let a = tenant(store, "split").await;
    let changes = batch(30);
    // Overlapping pieces, replays, then everything again.
    for range in [0..10, 0..15, 10..22, 5..30, 0..30] {
        let r = store
            .push(a.org.id, a.device, &changes[range.clone()], &policy())
            .await
            .expect("push piece");
        assert_eq!(r.watermark, range.end as u64);
    }
    let pulled: Vec<_> = pull_all(store, a.org.id)
        .await
        .into_iter()
        .map(|c| (c.server_seq, c.change))
        .collect();
    let whole: Vec<_> = changes
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, c)| (i as u64 + 1, c))
        .collect();
    assert_eq!(
        pulled, whole,
        "pieces and replays must leave exactly the log of one whole push"
    );
    for c in &changes[27..] {
        let v = store
            .field_value(a.org.id, "facility", c.row_id, &c.field)
            .await
            .expect("field")
            .expect("value");
        assert_eq!(v.value, c.value, "the last write of each field is current");
    }
}

async fn a_gap_is_refused_and_nothing_is_stored(store: &dyn ServerStore) {
    let t = tenant(store, "acme").await;
    store
        .push(t.org.id, t.device, &batch(3), &policy())
        .await
        .expect("push");
    let gap: Vec<Change> = batch(8).into_iter().skip(5).collect(); // seqs 6..8 after watermark 3
    let err = store
        .push(t.org.id, t.device, &gap, &policy())
        .await
        .expect_err("gap must be refused");
    assert!(
        matches!(
            err,
            StoreError::Push(PushError::SequenceGap {
                expected: 4,
                got: 6
            })
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("expected device_seq 4 next, got 6"),
        "{err}"
    );
    let mut holed = batch(6).split_off(3); // 4, 5, 6
    holed.remove(1); // 4, 6
    assert!(matches!(
        store.push(t.org.id, t.device, &holed, &policy()).await,
        Err(StoreError::Push(PushError::SequenceGap {
            expected: 5,
            got: 6
        }))
    ));
    assert_eq!(
        pull_all(store, t.org.id).await.len(),
        3,
        "nothing of a refused batch is stored"
    );
    let d = store.list_devices(t.org.id).await.expect("devices");
    assert_eq!(d[0].watermark, 3);
}

async fn non_increasing_seqs_are_refused(store: &dyn ServerStore) {
    let t = tenant(store, "acme").await;
    let mut b = batch(3);
    b.swap(1, 2);
    let err = store
        .push(t.org.id, t.device, &b, &policy())
        .await
        .expect_err("must refuse");
    assert!(
        matches!(err, StoreError::Push(PushError::InvalidBatch(_))),
        "{err:?}"
    );
    let mut dup = batch(2);
    dup[1].device_seq = 1;
    assert!(matches!(
        store.push(t.org.id, t.device, &dup, &policy()).await,
        Err(StoreError::Push(PushError::InvalidBatch(_)))
    ));
    assert!(pull_all(store, t.org.id).await.is_empty());
}

async fn bad_ops_are_rejected_with_reasons_and_skipped(store: &dyn ServerStore) {
    let t = tenant(store, "acme").await;
    let row = Uuid::now_v7();
    let mut ops: Vec<Change> = (1..=6).map(|i| change(i, row, "ok")).collect();
    ops[0].entity = "spaceship".into();
    ops[1].field = "colour".into();
    ops[2].field = "workers_min".into();
    ops[2].value = json!("many");
    ops[3].hlc = Hlc::from_datetime(chrono::Utc::now() + chrono::Duration::hours(2));
    let res = store
        .push(t.org.id, t.device, &ops, &policy())
        .await
        .expect("push");
    assert_eq!(res.watermark, 6, "rejected ops count towards the watermark");
    assert_eq!(res.applied, 2);
    let codes: Vec<_> = res
        .rejected
        .iter()
        .map(|r| (r.device_seq, r.code))
        .collect();
    assert_eq!(
        codes,
        vec![
            (1, RejectCode::UnknownEntity),
            (2, RejectCode::UnknownField),
            (3, RejectCode::InvalidValue),
            (4, RejectCode::ClockSkew)
        ]
    );
    assert!(res.rejected.iter().all(|r| !r.message.is_empty()));
    let pulled = pull_all(store, t.org.id).await;
    assert_eq!(
        pulled
            .iter()
            .map(|c| c.change.device_seq)
            .collect::<Vec<_>>(),
        vec![5, 6]
    );
    // A generous skew policy accepts what the default refused.
    let lenient = PushPolicy {
        max_clock_skew: std::time::Duration::from_secs(3 * 3600),
        ..PushPolicy::default()
    };
    let mut later = ops[3].clone();
    later.device_seq = 7;
    assert_eq!(
        store
            .push(t.org.id, t.device, &[later], &lenient)
            .await
            .expect("push")
            .applied,
        1
    );
}

async fn rows_and_references_of_another_organisation_are_forbidden(store: &dyn ServerStore) {
    let a = tenant(store, "org-a").await;
    let b = tenant(store, "org-b").await;
    let facility = Uuid::now_v7();
    store
        .push(
            a.org.id,
            a.device,
            &[change(1, facility, "A's factory")],
            &policy(),
        )
        .await
        .expect("push a");
    // B writes A's row, and points an audit of its own at A's facility.
    let mut ops = vec![change(1, facility, "hijacked")];
    ops.push(Change {
        device_seq: 2,
        hlc: Hlc::from_datetime(chrono::Utc::now()),
        entity: "audit".into(),
        row_id: Uuid::now_v7(),
        field: "facility_id".into(),
        value: json!(facility.to_string()),
    });
    ops.push(change(3, Uuid::now_v7(), "B's own factory"));
    let res = store
        .push(b.org.id, b.device, &ops, &policy())
        .await
        .expect("push b");
    assert_eq!(
        res.rejected
            .iter()
            .map(|r| (r.device_seq, r.code))
            .collect::<Vec<_>>(),
        vec![(1, RejectCode::Forbidden), (2, RejectCode::Forbidden)]
    );
    assert_eq!((res.applied, res.watermark), (1, 3));
    let current = store
        .field_value(a.org.id, "facility", facility, "name")
        .await
        .expect("field")
        .expect("value");
    assert_eq!(current.value, json!("A's factory"));
    assert!(store
        .field_value(b.org.id, "facility", facility, "name")
        .await
        .expect("field")
        .is_none());
    let pa = pull_all(store, a.org.id).await;
    assert_eq!(pa.len(), 1);
    assert_eq!(pull_all(store, b.org.id).await.len(), 1);
}

async fn last_writer_wins_per_field(store: &dyn ServerStore) {
    let t = tenant(store, "acme").await;
    let other = Uuid::now_v7();
    add_device(store, &t.org, &t.user, other, &auth::new_token()).await;
    let row = Uuid::now_v7();
    let now = Hlc::from_datetime(chrono::Utc::now()).0;
    let mut newer = change(1, row, "newer");
    newer.hlc = Hlc(now);
    let mut older = change(1, row, "older");
    older.hlc = Hlc(now - (60 << 32));
    store
        .push(t.org.id, t.device, &[newer], &policy())
        .await
        .expect("push newer");
    store
        .push(t.org.id, other, &[older], &policy())
        .await
        .expect("push older, later");
    let v = store
        .field_value(t.org.id, "facility", row, "name")
        .await
        .expect("field")
        .expect("value");
    assert_eq!(
        (v.value, v.device_id),
        (json!("newer"), t.device),
        "an older stamp arriving later must not win"
    );
    assert_eq!(
        pull_all(store, t.org.id).await.len(),
        2,
        "both changes stay in the log for other replicas"
    );
}

async fn pull_pages_by_count_and_bytes_and_never_skips(store: &dyn ServerStore) {
    let t = tenant(store, "acme").await;
    store
        .push(t.org.id, t.device, &batch(25), &policy())
        .await
        .expect("push");
    let page = store
        .pull(t.org.id, 0, 10, usize::MAX, None)
        .await
        .expect("pull");
    assert_eq!(
        (page.changes.len(), page.next_cursor, page.more),
        (10, 10, true)
    );
    let page = store
        .pull(t.org.id, 20, 10, usize::MAX, None)
        .await
        .expect("pull");
    assert_eq!(
        (page.changes.len(), page.next_cursor, page.more),
        (5, 25, false)
    );
    let empty = store
        .pull(t.org.id, 25, 10, usize::MAX, None)
        .await
        .expect("pull");
    assert_eq!(
        (empty.changes.len(), empty.next_cursor, empty.more),
        (0, 25, false)
    );
    // A byte bound of ~2 changes per page still walks every change exactly once.
    let mut seen = Vec::new();
    let mut cursor = 0;
    loop {
        let p = store
            .pull(t.org.id, cursor, 1000, 500, None)
            .await
            .expect("pull");
        assert!(p.changes.len() <= 2 && !p.changes.is_empty() || !p.more);
        seen.extend(p.changes.iter().map(|c| c.server_seq));
        cursor = p.next_cursor;
        if !p.more {
            break;
        }
    }
    assert_eq!(seen, (1..=25).collect::<Vec<_>>());
}

async fn concurrent_pushes_get_gap_free_server_order(store: &dyn ServerStore) {
    let t = tenant(store, "acme").await;
    let mut devices = vec![t.device];
    for _ in 0..3 {
        let d = Uuid::now_v7();
        add_device(store, &t.org, &t.user, d, &auth::new_token()).await;
        devices.push(d);
    }
    // Four devices push 5 batches of 10 each at the same time.
    let org = t.org.id;
    let mut tasks = Vec::new();
    for d in devices.clone() {
        let changes = batch(50);
        let store_ptr: &dyn ServerStore = store;
        // Scoped futures: run them together on this task.
        tasks.push(async move {
            for chunk in changes.chunks(10) {
                store_ptr
                    .push(org, d, chunk, &PushPolicy::default())
                    .await
                    .expect("push");
            }
        });
    }
    futures_join_all(tasks).await;
    let pulled = pull_all(store, org).await;
    assert_eq!(
        pulled.iter().map(|c| c.server_seq).collect::<Vec<_>>(),
        (1..=200).collect::<Vec<_>>()
    );
    let mut per_device: HashMap<Uuid, Vec<u64>> = HashMap::new();
    for c in &pulled {
        per_device
            .entry(c.device_id)
            .or_default()
            .push(c.change.device_seq);
    }
    for d in devices {
        assert_eq!(
            per_device[&d],
            (1..=50).collect::<Vec<_>>(),
            "each device's changes in its own order"
        );
    }
}

/// Runs futures concurrently without an extra dependency.
async fn futures_join_all<F: std::future::Future<Output = ()>>(futs: Vec<F>) {
    let mut futs: Vec<_> = futs.into_iter().map(Box::pin).collect();
    let mut done = vec![false; futs.len()];
    std::future::poll_fn(|cx| {
        for (i, f) in futs.iter_mut().enumerate() {
            if !done[i] && f.as_mut().poll(cx).is_ready() {
                done[i] = true;
            }
        }
        if done.iter().all(|d| *d) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

async fn devices_register_conflict_and_revoke(store: &dyn ServerStore) {
    let a = tenant(store, "org-a").await;
    let b = tenant(store, "org-b").await;
    let found = store
        .device_for_token(&auth::token_hash(&a.token))
        .await
        .expect("lookup")
        .expect("device");
    assert_eq!(
        (found.device_id, found.organisation_id, found.role),
        (a.device, a.org.id, Role::Auditor)
    );
    assert!(found.revoked_at.is_none());
    assert!(store
        .device_for_token(&auth::token_hash("nonsense"))
        .await
        .expect("lookup")
        .is_none());
    // A's device id cannot be registered by B's user.
    let err = store
        .register_device(&DeviceRegistration {
            device_id: a.device,
            organisation_id: b.org.id,
            user_id: b.user.id,
            name: "thief".into(),
            token_hash: auth::token_hash("x"),
            token_expires_at: chrono::Utc::now() + chrono::Duration::days(1),
        })
        .await
        .expect_err("conflict");
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                code: "device_conflict",
                ..
            }
        ),
        "{err:?}"
    );
    // Revoke: token lookup reports it; the device list shows it.
    store
        .revoke_device(a.org.id, a.device)
        .await
        .expect("revoke");
    let found = store
        .device_for_token(&auth::token_hash(&a.token))
        .await
        .expect("lookup")
        .expect("device");
    assert!(found.revoked_at.is_some());
    assert!(store.list_devices(a.org.id).await.expect("list")[0]
        .revoked_at
        .is_some());
    // B cannot revoke A's device.
    assert!(matches!(
        store.revoke_device(b.org.id, b.device).await,
        Ok(())
    ));
    assert!(matches!(
        store.revoke_device(b.org.id, a.device).await,
        Err(StoreError::NotFound(_))
    ));
    // Signing in again issues a new token and lifts the revocation; the old token is gone.
    let new_token = auth::new_token();
    add_device(store, &a.org, &a.user, a.device, &new_token).await;
    assert!(store
        .device_for_token(&auth::token_hash(&a.token))
        .await
        .expect("lookup")
        .is_none());
    let again = store
        .device_for_token(&auth::token_hash(&new_token))
        .await
        .expect("lookup")
        .expect("device");
    assert!(again.revoked_at.is_none());
}

async fn organisations_and_users_are_unique(store: &dyn ServerStore) {
    let org = store
        .create_organisation("acme", "Acme")
        .await
        .expect("create");
    assert!(matches!(
        store.create_organisation("acme", "Other").await,
        Err(StoreError::Conflict {
            code: "organisation_exists",
            ..
        })
    ));
    assert_eq!(
        store.organisation_by_slug("acme").await.expect("by slug"),
        Some(org.clone())
    );
    assert!(store
        .organisation_by_slug("nope")
        .await
        .expect("by slug")
        .is_none());
    store
        .add_user(org.id, "rina", "hash", Role::Admin)
        .await
        .expect("add");
    assert!(matches!(
        store.add_user(org.id, "rina", "hash", Role::Auditor).await,
        Err(StoreError::Conflict {
            code: "user_exists",
            ..
        })
    ));
    let c = store
        .login_candidate("acme", "rina")
        .await
        .expect("candidate")
        .expect("found");
    assert_eq!(
        (c.user.role, c.password_hash.as_str(), c.organisation.id),
        (Role::Admin, "hash", org.id)
    );
    assert!(store
        .login_candidate("acme", "nobody")
        .await
        .expect("candidate")
        .is_none());
    let (id, w) = store.server_device(org.id).await.expect("server device");
    assert_eq!(
        store.server_device(org.id).await.expect("again"),
        (id, w),
        "server device is stable"
    );
}

async fn templates_round_trip(store: &dyn ServerStore) {
    use fieldaudit_server::store::StoredTemplate;
    let t = StoredTemplate {
        id: "smeta-6".into(),
        version: "6.1".into(),
        title: "SMETA".into(),
        body: json!({"id": "smeta-6", "items": [1, 2]}),
    };
    store.put_template(&t).await.expect("put");
    store
        .put_template(&StoredTemplate {
            title: "SMETA 6.1".into(),
            ..t.clone()
        })
        .await
        .expect("put again replaces");
    let list = store.list_templates().await.expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].title, "SMETA 6.1");
    assert_eq!(
        store.template("smeta-6", "6.1").await.expect("get"),
        Some(t.body)
    );
    assert_eq!(store.template("smeta-6", "9").await.expect("get"), None);
}

async fn pull_is_scoped_by_organisation(store: &dyn ServerStore) {
    let a = tenant(store, "org-a").await;
    let b = tenant(store, "org-b").await;
    store
        .push(a.org.id, a.device, &batch(5), &policy())
        .await
        .expect("push a");
    store
        .push(b.org.id, b.device, &batch(3), &policy())
        .await
        .expect("push b");
    let pa = pull_all(store, a.org.id).await;
    let pb = pull_all(store, b.org.id).await;
    assert!(pa.iter().all(|c| c.device_id == a.device) && pa.len() == 5);
    assert!(pb.iter().all(|c| c.device_id == b.device) && pb.len() == 3);
    assert_eq!(
        pb.iter().map(|c| c.server_seq).collect::<Vec<_>>(),
        vec![1, 2, 3],
        "each organisation has its own order"
    );
    // A device of B cannot push as a device of A's organisation.
    assert!(matches!(
        store.push(a.org.id, b.device, &batch(1), &policy()).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn sqlite_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().expect("dir");
    drop(
        fieldaudit_server::store::open(None, dir.path())
            .await
            .expect("create"),
    );
    let conn = rusqlite::Connection::open(dir.path().join("server.sqlite3")).expect("open");
    conn.pragma_update(None, "user_version", 99).expect("bump");
    drop(conn);
    let err = fieldaudit_server::store::open(None, dir.path())
        .await
        .err()
        .expect("must refuse");
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 99, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("newer than this server knows"),
        "{err}"
    );
}

#[tokio::test]
async fn postgres_refuses_a_newer_schema() {
    let Some(b) = postgres().await else { return };
    let url = b.pg.as_ref().expect("pg").url.clone();
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    client
        .execute("INSERT INTO fieldaudit_schema_migrations (version, name, applied_at) VALUES (999, 'future', 'now')", &[])
        .await
        .expect("insert");
    let err = fieldaudit_server::store::open(Some(&url), std::path::Path::new("/nonexistent"))
        .await
        .err()
        .expect("must refuse");
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 999, .. }),
        "{err:?}"
    );
}

async fn a_device_never_pulls_its_own_changes(store: &dyn ServerStore) {
    let t = tenant(store, "acme").await;
    let (a, b) = (t.device, Uuid::now_v7());
    add_device(store, &t.org, &t.user, b, &auth::new_token()).await;
    // Server order: A 1..=5, B 6..=8, A 9..=12.
    let a_changes = batch(9);
    store
        .push(t.org.id, a, &a_changes[..5], &policy())
        .await
        .expect("push a");
    store
        .push(t.org.id, b, &batch(3), &policy())
        .await
        .expect("push b");
    store
        .push(t.org.id, a, &a_changes[5..], &policy())
        .await
        .expect("push a again");
    let seqs = |p: &fieldaudit_protocol::PullResponse| {
        p.changes.iter().map(|c| c.server_seq).collect::<Vec<_>>()
    };

    let p = store
        .pull(t.org.id, 0, 1000, usize::MAX, Some(a))
        .await
        .expect("pull");
    assert_eq!(seqs(&p), vec![6, 7, 8], "only B's changes");
    assert!(p.changes.iter().all(|c| c.device_id == b));
    assert_eq!(
        (p.next_cursor, p.more),
        (12, false),
        "the cursor moves past A's own changes at the end, so they are not scanned again"
    );
    // Exactly B's three fill the page: `more` must not count A's own that follow.
    let p = store
        .pull(t.org.id, 0, 3, usize::MAX, Some(a))
        .await
        .expect("pull");
    assert_eq!(
        (seqs(&p), p.next_cursor, p.more),
        (vec![6, 7, 8], 12, false)
    );
    let p = store
        .pull(t.org.id, 0, 2, usize::MAX, Some(a))
        .await
        .expect("pull");
    assert_eq!((seqs(&p), p.next_cursor, p.more), (vec![6, 7], 7, true));
    let p = store
        .pull(t.org.id, 7, 2, usize::MAX, Some(a))
        .await
        .expect("pull");
    assert_eq!((seqs(&p), p.next_cursor, p.more), (vec![8], 12, false));
    // Only own changes left: an empty page that still advances.
    let p = store
        .pull(t.org.id, 8, 1000, usize::MAX, Some(a))
        .await
        .expect("pull");
    assert_eq!((seqs(&p), p.next_cursor, p.more), (vec![], 12, false));
    let p = store
        .pull(t.org.id, 12, 1000, usize::MAX, Some(a))
        .await
        .expect("pull");
    assert_eq!((seqs(&p), p.next_cursor, p.more), (vec![], 12, false));

    let p = store
        .pull(t.org.id, 0, 1000, usize::MAX, Some(b))
        .await
        .expect("pull");
    assert_eq!(
        seqs(&p),
        vec![1, 2, 3, 4, 5, 9, 10, 11, 12],
        "B gets all of A's"
    );
    assert_eq!((p.next_cursor, p.more), (12, false));
    // Byte-bounded pages walk B's view too, each change once.
    let (mut cursor, mut seen) = (0, Vec::new());
    loop {
        let p = store
            .pull(t.org.id, cursor, 1000, 500, Some(b))
            .await
            .expect("pull");
        seen.extend(seqs(&p));
        cursor = p.next_cursor;
        if !p.more {
            break;
        }
    }
    assert_eq!((seen, cursor), (vec![1, 2, 3, 4, 5, 9, 10, 11, 12], 12));
    // Without exclusion (server exports), everything.
    assert_eq!(pull_all(store, t.org.id).await.len(), 12);
}

/// After sign-off (the audit's `locked` field) the server refuses changes to what
/// the sign-off covers, through every link (answer → audit, CAP item → finding →
/// audit), and still accepts CAP progress and the reopening itself.
async fn a_signed_audit_refuses_changes_to_what_was_signed(store: &dyn ServerStore) {
    let t = tenant(store, "acme").await;
    let (audit, answer, finding, action) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    let now = || Hlc::from_datetime(chrono::Utc::now());
    let op = |seq: u64, entity: &str, row: Uuid, field: &str, value: serde_json::Value| Change {
        device_seq: seq,
        hlc: now(),
        entity: entity.into(),
        row_id: row,
        field: field.into(),
        value,
    };
    let (org, device) = (t.org.id, t.device);
    let push = |changes: Vec<Change>| async move {
        fieldaudit_server::signed::push(store, org, device, &changes, &policy())
            .await
            .expect("push")
    };
    let setup = vec![
        op(1, "audit", audit, "notice", json!("announced")),
        op(2, "answer", answer, "audit_id", json!(audit.to_string())),
        op(3, "answer", answer, "value", json!("yes")),
        op(4, "finding", finding, "audit_id", json!(audit.to_string())),
        op(
            5,
            "corrective_action",
            action,
            "finding_id",
            json!(finding.to_string()),
        ),
        op(6, "audit", audit, "locked", json!(true)),
        // The same batch after its own sign-off: refused.
        op(7, "answer", answer, "value", json!("no")),
    ];
    let res = push(setup).await;
    assert_eq!(
        res.rejected
            .iter()
            .map(|r| (r.device_seq, r.code))
            .collect::<Vec<_>>(),
        vec![(7, RejectCode::AuditSigned)]
    );
    let later = vec![
        op(8, "answer", answer, "note", json!("edited offline")),
        op(
            9,
            "corrective_action",
            action,
            "corrective_action",
            json!("new plan"),
        ),
        op(
            10,
            "corrective_action",
            action,
            "status",
            json!("in_progress"),
        ),
        op(11, "audit", audit, "start_date", json!("2026-11-25")),
    ];
    let res = push(later).await;
    assert_eq!(
        res.rejected
            .iter()
            .map(|r| r.device_seq)
            .collect::<Vec<_>>(),
        vec![8, 9, 11]
    );
    assert!(
        res.rejected
            .iter()
            .all(|r| r.code == RejectCode::AuditSigned && r.message.contains("reopen")),
        "{:?}",
        res.rejected
    );
    assert_eq!(res.applied, 1, "CAP progress is not signed");
    let value = store
        .field_value(t.org.id, "answer", answer, "value")
        .await
        .expect("read")
        .expect("value");
    assert_eq!(value.value, json!("yes"), "the signed answer is unchanged");
    // Reopened: the change goes through.
    let res = push(vec![
        op(12, "audit", audit, "locked", json!(false)),
        op(13, "answer", answer, "note", json!("corrected")),
    ])
    .await;
    assert!(res.rejected.is_empty(), "{:?}", res.rejected);
}
