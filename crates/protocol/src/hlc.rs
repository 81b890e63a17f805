//! Hybrid logical clock: timestamps that order changes across devices even when
//! wall clocks disagree.
//!
//! [`Hlc`] is the stamp (a 64-bit NTP-style time: seconds since the Unix epoch in
//! the high 32 bits, a binary fraction in the low 32). It is written as 16 lower-case
//! hex digits on the wire and in every database, so string order equals time order
//! and JavaScript never rounds it.
//!
//! [`Clock`] wraps the `uhlc` crate. It is seeded with the highest stamp already
//! stored, so a laptop whose wall clock went backwards still issues increasing
//! stamps, and it is advanced past every remote stamp it observes.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// A hybrid-logical-clock timestamp. Orders like the time it encodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hlc(pub u64);

impl Hlc {
    /// The smallest stamp; older than anything a clock issues.
    pub const ZERO: Hlc = Hlc(0);

    /// The wall-clock time this stamp encodes (UTC).
    pub fn to_datetime(self) -> DateTime<Utc> {
        let secs = (self.0 >> 32) as i64;
        let frac = self.0 & 0xFFFF_FFFF;
        let nanos = ((frac * 1_000_000_000) >> 32) as u32;
        DateTime::from_timestamp(secs, nanos).unwrap_or_default()
    }

    /// The stamp of a wall-clock time (no logical counter).
    pub fn from_datetime(at: DateTime<Utc>) -> Hlc {
        let secs = at.timestamp().max(0) as u64;
        let frac = ((at.timestamp_subsec_nanos() as u64) << 32) / 1_000_000_000;
        Hlc((secs << 32) | frac)
    }

    /// How far this stamp is ahead of `now` (zero when it is not ahead).
    pub fn ahead_of(self, now: Hlc) -> Duration {
        if self <= now {
            return Duration::ZERO;
        }
        let diff = self.0 - now.0;
        Duration::from_secs(diff >> 32)
            + Duration::from_nanos(((diff & 0xFFFF_FFFF) * 1_000_000_000) >> 32)
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// An HLC string that is not 16 hex digits.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid HLC {0:?}: expected 16 lower-case hex digits")]
pub struct ParseHlcError(pub String);

impl FromStr for Hlc {
    type Err = ParseHlcError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 16
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(ParseHlcError(s.to_owned()));
        }
        u64::from_str_radix(s, 16)
            .map(Hlc)
            .map_err(|_| ParseHlcError(s.to_owned()))
    }
}

impl Serialize for Hlc {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Why a clock refused a remote stamp.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClockError {
    /// The remote stamp is further ahead of our wall clock than the allowed skew.
    #[error("timestamp {stamp} is {ahead:?} ahead of this clock (allowed: {allowed:?}); check the device's date and time")]
    TooFarAhead {
        /// The refused stamp.
        stamp: Hlc,
        /// How far ahead of now it is.
        ahead: Duration,
        /// The configured maximum skew.
        allowed: Duration,
    },
}

/// A device's (or server's) hybrid logical clock.
pub struct Clock {
    inner: uhlc::HLC,
    id: uhlc::ID,
}

impl Clock {
    /// A clock for `node` (a device id), never issuing a stamp at or below `seed`.
    pub fn new(node: Uuid, seed: Option<Hlc>) -> Clock {
        // uhlc IDs must be non-zero; a nil UUID (never issued in practice) maps to 1.
        let id = uhlc::ID::try_from(node.as_bytes().as_slice()).unwrap_or_else(|_| {
            uhlc::ID::try_from([1u8].as_slice()).expect("1 is a valid uhlc ID")
        });
        // Seeding must accept any stored stamp, however far ahead, so the clock's
        // own skew bound is effectively off; skew is judged by `check_skew`.
        let inner = uhlc::HLCBuilder::new()
            .with_id(id)
            .with_max_delta(Duration::from_secs(100 * 365 * 24 * 3600))
            .build();
        let clock = Clock { inner, id };
        if let Some(seed) = seed {
            clock.observe(seed);
        }
        clock
    }

    /// A new stamp, greater than every stamp issued or observed before.
    pub fn now(&self) -> Hlc {
        Hlc(self.inner.new_timestamp().get_time().as_u64())
    }

    /// Move the clock past a stamp seen elsewhere (a pulled change, the seed).
    pub fn observe(&self, remote: Hlc) {
        let ts = uhlc::Timestamp::new(uhlc::NTP64(remote.0), self.id);
        // Cannot fail: the clock's max delta is a century (see `new`).
        let _ = self.inner.update_with_timestamp(&ts);
    }

    /// Whether `stamp` is within `allowed` of this machine's wall clock.
    pub fn check_skew(stamp: Hlc, allowed: Duration) -> Result<(), ClockError> {
        let now = Hlc::from_datetime(Utc::now());
        let ahead = stamp.ahead_of(now);
        if ahead > allowed {
            return Err(ClockError::TooFarAhead {
                stamp,
                ahead,
                allowed,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_round_trips_and_orders_like_numbers() {
        let a = Hlc(0x0000_0001_0000_0000);
        let b = Hlc(0x0000_0000_ffff_ffff);
        assert_eq!(a.to_string(), "0000000100000000");
        assert_eq!(a.to_string().parse::<Hlc>(), Ok(a));
        assert!(a > b && a.to_string() > b.to_string());
        assert!("00000001000000".parse::<Hlc>().is_err());
        assert!("000000010000000G".parse::<Hlc>().is_err());
    }

    #[test]
    fn clock_seeded_ahead_of_wall_time_keeps_increasing() {
        let future = Hlc::from_datetime(Utc::now() + chrono::Duration::days(365));
        let clock = Clock::new(Uuid::now_v7(), Some(future));
        let first = clock.now();
        assert!(
            first > future,
            "seeded clock must issue stamps after the seed"
        );
        assert!(clock.now() > first);
    }

    #[test]
    fn observe_moves_clock_forward() {
        let clock = Clock::new(Uuid::now_v7(), None);
        let remote = Hlc(clock.now().0 + (10u64 << 32));
        clock.observe(remote);
        assert!(clock.now() > remote);
    }

    #[test]
    fn datetime_round_trip_is_close() {
        let now = Utc::now();
        let back = Hlc::from_datetime(now).to_datetime();
        assert!((back - now).num_microseconds().unwrap_or(i64::MAX).abs() < 2);
    }

    #[test]
    fn skew_check_refuses_far_future() {
        let far = Hlc::from_datetime(Utc::now() + chrono::Duration::hours(2));
        assert!(Clock::check_skew(far, Duration::from_secs(600)).is_err());
        assert!(
            Clock::check_skew(Hlc::from_datetime(Utc::now()), Duration::from_secs(600)).is_ok()
        );
    }
}
