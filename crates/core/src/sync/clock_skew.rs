//! Recovering what was typed while the laptop's clock was far ahead.
//!
//! The server refuses changes stamped more than its allowed skew (10 minutes by
//! default) in the future, so one laptop with a wrong date cannot win every merge.
//! Those changes land in the quarantine, and because the hybrid clock never goes
//! backwards, every later write on that laptop would carry a future stamp too,
//! even after someone corrects the date. So once this laptop's clock agrees with
//! the server's again, [`Store::restamp_future_changes`] restarts the clock from
//! the newest acceptable stamp and writes each field whose current version is
//! one of those future stamps again, with a fresh stamp, in one transaction; the
//! next push sends them. [`Store::clear_superseded_clock_skew`] then drops the
//! quarantine entries that such a write replaced. Values are never changed:
//! only their stamps.

use std::time::Duration;

use chrono::{DateTime, Utc};
use fieldaudit_protocol::{EntityKind, Hlc};
use uuid::Uuid;

use super::CLOCK_WARNING_SECS;
use crate::{CoreError, Result, Store};

/// Stamps further than this ahead of the server's time are re-stamped: half the
/// server's default allowed skew, so a re-stamped change is never refused again.
pub const RESTAMP_AHEAD: Duration = Duration::from_secs(5 * 60);

impl Store {
    /// Re-stamps this device's writes whose stamps are more than
    /// [`RESTAMP_AHEAD`] ahead of `server_now`, if this laptop's clock now agrees
    /// with the server's (within [`CLOCK_WARNING_SECS`]); otherwise does nothing,
    /// since new stamps would be refused as well. Returns how many fields were
    /// re-stamped.
    pub fn restamp_future_changes(&mut self, server_now: DateTime<Utc>) -> Result<u64> {
        if (Utc::now() - server_now).num_seconds().abs() > CLOCK_WARNING_SECS {
            return Ok(0);
        }
        let limit = Hlc::from_datetime(
            server_now + chrono::Duration::from_std(RESTAMP_AHEAD).unwrap_or_default(),
        )
        .to_string();
        let me = self.device_id().to_string();
        let future: Vec<(String, String, String)> = {
            let mut stmt = self.conn().prepare("SELECT entity, row_id, field FROM field_version WHERE device_id = ?1 AND hlc > ?2 ORDER BY hlc")?;
            let rows = stmt.query_map((&me, &limit), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if future.is_empty() {
            return Ok(0);
        }
        // Parents before children and each row's audit (or parent) first, as when
        // the rows were made: the server places a row by that field.
        let mut future = future;
        let rank = |e: &str| {
            EntityKind::ALL
                .iter()
                .position(|k| k.as_str() == e)
                .unwrap_or(usize::MAX)
        };
        future.sort_by_key(|(e, r, f)| {
            let first = EntityKind::parse(e).and_then(fieldaudit_protocol::scope::scope_field)
                == Some(f.as_str());
            (rank(e), r.clone(), !first)
        });
        // The clock restarts from the newest stamp that is acceptable, so the new
        // stamps follow every merged change but are no longer in the future.
        let seed: Option<String> = self.conn().query_row(
            "SELECT max(hlc) FROM field_version WHERE hlc <= ?1",
            [&limit],
            |r| r.get(0),
        )?;
        self.reset_clock(seed.and_then(|s| s.parse().ok()));
        let count = self.write(|w| {
            let mut n = 0;
            for (entity, row, field) in &future {
                let corrupt = |what: &str| CoreError::Corrupt {
                    entity: entity.clone(),
                    field: field.clone(),
                    reason: format!("field_version holds {what}"),
                };
                let kind = EntityKind::parse(entity).ok_or_else(|| corrupt("an unknown entity"))?;
                let row_id =
                    Uuid::parse_str(row).map_err(|_| corrupt("a row id that is not a UUID"))?;
                if w.restamp(kind, row_id, field)? {
                    n += 1;
                }
            }
            Ok(n)
        })?;
        Ok(count)
    }

    /// Drops quarantined `clock_skew` refusals whose field this device has written
    /// again since (re-stamped, or typed anew): nothing of them is lost. Returns
    /// how many were dropped.
    pub fn clear_superseded_clock_skew(&mut self) -> Result<u64> {
        let n = self.write(|w| {
            Ok(w.conn().execute(
                "DELETE FROM quarantine WHERE code = 'clock_skew' AND EXISTS (
                     SELECT 1 FROM change_log c
                     WHERE c.entity = quarantine.entity AND c.row_id = quarantine.row_id
                       AND c.field = quarantine.field AND c.device_seq > quarantine.device_seq)",
                [],
            )?)
        })?;
        Ok(n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::FacilityRecord;

    fn stamps(store: &Store, future_than: &str) -> i64 {
        store
            .conn()
            .query_row(
                "SELECT count(*) FROM field_version WHERE hlc > ?1",
                [future_than],
                |r| r.get(0),
            )
            .unwrap()
    }

    #[test]
    fn writes_stamped_in_the_future_are_stamped_again_once_the_clock_is_right() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(dir.path(), "laptop").unwrap();
        let facility = crate::test_support::facility(&mut store);
        // As if typed while the date was a year ahead: the stored stamps are in the
        // future, and the reopened store's clock continues from them.
        let year_ahead = Hlc::from_datetime(Utc::now() + chrono::Duration::days(365)).to_string();
        store
            .conn()
            .execute("UPDATE field_version SET hlc = ?1", [&year_ahead])
            .unwrap();
        store
            .conn()
            .execute("UPDATE change_log SET hlc = ?1", [&year_ahead])
            .unwrap();
        let fields = stamps(&store, &Hlc::from_datetime(Utc::now()).to_string());
        assert!(fields > 0);
        drop(store);
        let mut store = Store::open(dir.path()).unwrap();
        let before_seq = store.last_device_seq().unwrap();

        // The server's clock an hour behind this laptop's: the laptop is still wrong, nothing happens.
        assert_eq!(
            store
                .restamp_future_changes(Utc::now() - chrono::Duration::hours(1))
                .unwrap(),
            0
        );
        // The clock agrees with the server's again: every field is written again, now.
        let n = store.restamp_future_changes(Utc::now()).unwrap();
        assert_eq!(n as i64, fields);
        let soon = Hlc::from_datetime(Utc::now() + chrono::Duration::minutes(1)).to_string();
        assert_eq!(stamps(&store, &soon), 0, "no stamp left in the future");
        assert_eq!(
            store.last_device_seq().unwrap(),
            before_seq + n,
            "each re-stamp is a new change to push"
        );
        assert_eq!(
            store.facility(facility).unwrap().name.as_deref(),
            Some("Hasan Knit"),
            "values are unchanged"
        );
        // New writes follow with present stamps too.
        store
            .add_facility(&FacilityRecord {
                name: "Second".into(),
                address: "Gazipur".into(),
                country_code: "BD".into(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(stamps(&store, &soon), 0);
        assert_eq!(
            store.restamp_future_changes(Utc::now()).unwrap(),
            0,
            "nothing left to re-stamp"
        );
    }
}
