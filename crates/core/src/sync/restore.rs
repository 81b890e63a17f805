//! When the server holds more of this device's changes than the device knows it
//! acknowledged.
//!
//! The server takes pushes idempotently by (device id, `device_seq`): a change under
//! a number it already has is dropped as a duplicate. Two things leave the server's
//! watermark for this device above the one recorded here:
//!
//! - a push answer was lost (network, crash): the server holds exactly this
//!   device's next changes;
//! - the data folder was restored from an older copy (backup), which keeps the
//!   device id: the server holds changes made after that copy, some under the very
//!   numbers the copy goes on to use for new writes. Pushed as they are, those new
//!   writes would be dropped.
//!
//! [`reconcile`] tells the two apart by reading the server's copies of this
//! device's changes in the range (a pull with `include_own`, read only, from the
//! stored cursor) and comparing them with the local log by stamp, entity, row and
//! field. Entries before the first that differs are the same changes and count as
//! acknowledged. From that entry on, the local entries (and any written meanwhile)
//! are renumbered to follow the server's watermark and the counter moves past it,
//! in one transaction with the new watermark (see
//! [`Store::adopt_server_watermark`]); the push then sends them under new numbers,
//! so nothing is dropped and nothing the server has is sent again. The server's
//! copies of the lost changes are authoritative: the device never pushes its own
//! versions of those numbers, and gets them back through the pull, which asks for
//! own changes until one such pull has run to the end.
//!
//! A change of this device that the read does not return lies at or before the
//! stored pull cursor: it reached the server before this database's last pull, so
//! it was pushed from this database's own history and is the same change.
//!
//! Crash safety: the read changes nothing; the renumbering, the watermark and the
//! marker for the pull commit together. A sync cut off before that commit starts
//! over; one cut off after it finds the server's watermark at or below the recorded
//! one (or above it by pushes of the renumbered entries, which compare equal), so
//! retrying renumbers nothing twice.

use std::collections::HashMap;

use fieldaudit_protocol::Change;

use super::http::Api;
use super::state::Adopted;
use super::PULL_BATCH;
use crate::{CoreError, Result, Store};

/// Brings the recorded watermark up to the server's (`server_watermark`, from
/// `/auth/me`) when the server's is higher; see the module doc. Returns what was
/// done, or `None` when the server holds nothing beyond what is recorded here.
pub(super) fn reconcile(
    store: &mut Store,
    api: &Api,
    server_watermark: u64,
    bytes: &mut u64,
    check: &dyn Fn() -> Result<()>,
) -> Result<Option<Adopted>> {
    let acknowledged = store.push_watermark()?;
    if server_watermark <= acknowledged {
        return Ok(None);
    }
    let last = store.last_device_seq()?;
    // Numbers both sides used since the recorded watermark: compare them.
    let upto = server_watermark.min(last);
    let diverged_at = if upto > acknowledged {
        let local: HashMap<u64, Change> = store
            .changes_after(acknowledged, (upto - acknowledged) as usize)?
            .into_iter()
            .filter(|c| c.device_seq <= upto)
            .map(|c| (c.device_seq, c))
            .collect();
        let server = server_copies(store, api, acknowledged, upto, &local, bytes, check)?;
        first_difference(acknowledged, upto, &local, &server).unwrap_or(upto + 1)
    } else {
        last + 1
    };
    store
        .adopt_server_watermark(acknowledged, server_watermark, diverged_at)
        .map(Some)
}

/// Whether two log entries are the same change (a device's stamps never repeat).
fn same_change(a: &Change, b: &Change) -> bool {
    a.hlc == b.hlc && a.entity == b.entity && a.row_id == b.row_id && a.field == b.field
}

/// The first number in `(after, upto]` whose server copy differs from the local
/// entry (or that the server has and this database lacks): where this database's
/// history and the server's part. Numbers the server did not return count as equal
/// (see the module doc). `None`: no difference among the numbers seen.
fn first_difference(
    after: u64,
    upto: u64,
    local: &HashMap<u64, Change>,
    server: &HashMap<u64, Change>,
) -> Option<u64> {
    ((after + 1)..=upto).find(|seq| match (server.get(seq), local.get(seq)) {
        (Some(theirs), Some(ours)) => !same_change(theirs, ours),
        (Some(_), None) => true,
        (None, _) => false,
    })
}

/// Whether every number up to the first difference has been seen, so reading
/// further cannot move it.
fn settled(
    after: u64,
    upto: u64,
    local: &HashMap<u64, Change>,
    server: &HashMap<u64, Change>,
) -> bool {
    for seq in (after + 1)..=upto {
        match (server.get(&seq), local.get(&seq)) {
            (None, _) => return false,
            (Some(theirs), Some(ours)) if same_change(theirs, ours) => {}
            (Some(_), _) => return true,
        }
    }
    true
}

/// The server's copies of this device's changes numbered `(after, upto]`, read
/// from the stored pull cursor on with `include_own`; nothing is applied and the
/// cursor does not move.
fn server_copies(
    store: &Store,
    api: &Api,
    after: u64,
    upto: u64,
    local: &HashMap<u64, Change>,
    bytes: &mut u64,
    check: &dyn Fn() -> Result<()>,
) -> Result<HashMap<u64, Change>> {
    let me = store.device_id();
    let mut found = HashMap::new();
    let mut cursor = store.pull_cursor()?;
    loop {
        check()?;
        let page = api.pull(cursor, PULL_BATCH, true, store.scope_epoch()?)?;
        *bytes += page
            .changes
            .iter()
            .map(|c| c.change.value.to_string().len() as u64 + 120)
            .sum::<u64>();
        for p in page.changes {
            if p.device_id == me && p.change.device_seq > after && p.change.device_seq <= upto {
                found.insert(p.change.device_seq, p.change);
            }
        }
        if !page.more || settled(after, upto, local, &found) {
            return Ok(found);
        }
        if page.next_cursor <= cursor {
            return Err(CoreError::Server {
                status: 200,
                code: "no_progress".into(),
                message: format!("the server's pull did not move past {cursor}; try again later, and tell the server's administrator if it keeps happening"),
            });
        }
        cursor = page.next_cursor;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldaudit_protocol::{Clock, Hlc};
    use serde_json::json;
    use uuid::Uuid;

    fn changes(clock: &Clock, seqs: std::ops::RangeInclusive<u64>) -> HashMap<u64, Change> {
        seqs.map(|s| {
            let hlc: Hlc = clock.now();
            (
                s,
                Change {
                    device_seq: s,
                    hlc,
                    entity: "facility".into(),
                    row_id: Uuid::nil(),
                    field: "name".into(),
                    value: json!(s),
                },
            )
        })
        .collect()
    }

    fn store_with(n: usize) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), "restored laptop").unwrap();
        let row = Uuid::now_v7();
        for i in 0..n {
            store
                .write(|w| {
                    w.set(
                        fieldaudit_protocol::EntityKind::Facility,
                        row,
                        &[("name", json!(format!("typed {i}")))],
                    )
                    .map(drop)
                })
                .unwrap();
        }
        (dir, store)
    }

    fn seqs(store: &Store) -> Vec<u64> {
        store
            .changes_after(0, usize::MAX)
            .unwrap()
            .iter()
            .map(|c| c.device_seq)
            .collect()
    }

    #[test]
    fn renumbering_moves_unacknowledged_changes_past_the_servers_watermark() {
        let (_d, mut store) = store_with(5);
        let before = store.changes_after(0, usize::MAX).unwrap();
        store.set_sync_state("push_watermark", "2").unwrap();
        store.set_sync_state("seq_at_last_pull", "4").unwrap();
        let done = store.adopt_server_watermark(2, 9, 3).unwrap();
        assert_eq!(
            done,
            Adopted {
                renumbered: 3,
                restored: true
            }
        );
        assert_eq!(seqs(&store), vec![1, 2, 10, 11, 12]);
        let after = store.changes_after(0, usize::MAX).unwrap();
        for (old, new) in before.iter().zip(&after) {
            assert_eq!(
                (old.hlc, &old.value, &old.field),
                (new.hlc, &new.value, &new.field),
                "only the numbers change"
            );
        }
        assert_eq!(store.last_device_seq().unwrap(), 12);
        assert_eq!(store.push_watermark().unwrap(), 9);
        assert_eq!(
            store.sync_seq_marker().unwrap(),
            11,
            "old 3 and 4 were seen by the last pull, old 5 was not"
        );
        assert!(store.pulls_own_changes().unwrap());
        assert_eq!(
            store.changes_after(9, 100).unwrap().len(),
            3,
            "the push sends exactly the moved entries"
        );
        assert_eq!(store.sync_status().unwrap().pending_changes, 3);

        // The next write follows them.
        let row = Uuid::now_v7();
        store
            .write(|w| {
                w.set(
                    fieldaudit_protocol::EntityKind::Facility,
                    row,
                    &[("name", json!("after"))],
                )
                .map(drop)
            })
            .unwrap();
        assert_eq!(seqs(&store), vec![1, 2, 10, 11, 12, 13]);

        // Settling the same watermark again (a retry with stale numbers) changes nothing.
        let err = store.adopt_server_watermark(2, 9, 3).unwrap_err();
        assert!(err.to_string().contains("sync again"), "{err}");
        assert_eq!(seqs(&store), vec![1, 2, 10, 11, 12, 13]);
    }

    #[test]
    fn a_lost_push_answer_is_taken_without_renumbering() {
        let (_d, mut store) = store_with(5);
        store.set_sync_state("push_watermark", "2").unwrap();
        let done = store.adopt_server_watermark(2, 4, 5).unwrap();
        assert_eq!(
            done,
            Adopted {
                renumbered: 0,
                restored: false
            }
        );
        assert_eq!(seqs(&store), vec![1, 2, 3, 4, 5]);
        assert_eq!(
            (
                store.last_device_seq().unwrap(),
                store.push_watermark().unwrap()
            ),
            (5, 4)
        );
        assert!(!store.pulls_own_changes().unwrap());
    }

    #[test]
    fn a_restored_copy_without_new_writes_moves_its_counter_past_the_server() {
        let (_d, mut store) = store_with(3);
        store.set_sync_state("push_watermark", "3").unwrap();
        let done = store.adopt_server_watermark(3, 8, 4).unwrap();
        assert_eq!(
            done,
            Adopted {
                renumbered: 0,
                restored: true
            }
        );
        assert_eq!(
            (
                store.last_device_seq().unwrap(),
                store.push_watermark().unwrap()
            ),
            (8, 8)
        );
        assert!(store.pulls_own_changes().unwrap());
        let row = Uuid::now_v7();
        store
            .write(|w| {
                w.set(
                    fieldaudit_protocol::EntityKind::Facility,
                    row,
                    &[("name", json!("new"))],
                )
                .map(drop)
            })
            .unwrap();
        assert_eq!(seqs(&store), vec![1, 2, 3, 9]);
    }

    #[test]
    fn renumbering_refuses_numbers_that_would_leave_a_gap_or_go_back() {
        let (_d, mut store) = store_with(3);
        let err = store.write(|w| w.renumber_own_changes(5, 9)).unwrap_err();
        assert!(matches!(err, CoreError::Invalid(_)), "{err:?}");
        let err = store.write(|w| w.renumber_own_changes(3, 1)).unwrap_err();
        assert!(matches!(err, CoreError::Invalid(_)), "{err:?}");
        assert_eq!(seqs(&store), vec![1, 2, 3]);
    }

    #[test]
    fn a_lost_push_answer_shows_no_difference() {
        let clock = Clock::new(Uuid::now_v7(), None);
        let local = changes(&clock, 1..=8);
        let server: HashMap<_, _> = local
            .iter()
            .filter(|(s, _)| **s > 3)
            .map(|(s, c)| (*s, c.clone()))
            .collect();
        assert_eq!(first_difference(3, 8, &local, &server), None);
        assert!(settled(3, 8, &local, &server));
        // Numbers the server did not return (before the cursor) count as equal.
        let partial: HashMap<_, _> = server
            .iter()
            .filter(|(s, _)| **s > 5)
            .map(|(s, c)| (*s, c.clone()))
            .collect();
        assert_eq!(first_difference(3, 8, &local, &partial), None);
        assert!(!settled(3, 8, &local, &partial), "4 and 5 may still come");
    }

    #[test]
    fn a_restored_copy_parts_from_the_server_where_its_new_writes_begin() {
        let clock = Clock::new(Uuid::now_v7(), None);
        let shared = changes(&clock, 1..=5);
        // The lost device went on with 6..=9; the restored copy wrote its own 6..=7.
        let mut server = shared.clone();
        server.extend(changes(&clock, 6..=9));
        let mut local = shared;
        local.extend(changes(&clock, 6..=7));
        assert_eq!(first_difference(3, 7, &local, &server), Some(6));
        assert!(settled(3, 7, &local, &server));
        // Same values, different stamps: still different changes.
        let mut retyped = local.clone();
        for (s, c) in server.iter().filter(|(s, _)| **s >= 6) {
            retyped.insert(
                *s,
                Change {
                    hlc: clock.now(),
                    ..c.clone()
                },
            );
        }
        assert_eq!(first_difference(3, 7, &retyped, &server), Some(6));
        // The server has a number this database never wrote.
        local.remove(&7);
        local.remove(&6);
        assert_eq!(first_difference(3, 7, &local, &server), Some(6));
    }
}
