//! Sign-in throttling: the rule that slows password guessing down without
//! letting an attacker lock a real user out for long. Pure: it decides from
//! counters of failed sign-ins. The store keeps them (table `sign_in_failure`,
//! shared by every server) and applies this rule in one transaction per attempt
//! ([`crate::store::ServerStore::begin_sign_in`]), counting the attempt as failed
//! on the per-user counters before its password is checked and taking that back
//! when it is right ([`Counter::counted_before_check`]).
//!
//! Three counters of failed sign-ins (wrong organisation, user name or password):
//!
//! | counter ([`Counter`]) | key | free failures | then a delay of | up to | cleared by |
//! | --- | --- | --- | --- | --- | --- |
//! | `user_address` | organisation, user name, client address | 5 | 1 s, doubling | 15 min | a sign-in with the right password from that address |
//! | `user` | organisation, user name (any address) | 10 | 1 s, doubling | 60 s | time only |
//! | `address` | client address (any user) | 20 | 1 s, doubling | 5 min | time only |
//!
//! A counter is forgotten 24 hours after its last failure. The delay counts from
//! the last failure: after the 5th failure from one address the next attempt
//! waits 1 s, after the 6th 2 s, after the 7th 4 s, … never more than the cap. An
//! attempt made while throttled is answered at once without checking the
//! password and is not counted, so waiting it out always works.
//!
//! Why these numbers: one address guessing one user's password gets about 100
//! tries a day once the cap is reached. The `user` counter stops a guesser who
//! spreads over many addresses, but its cap is low (60 s) because the real user
//! elsewhere shares it; and a device already registered to the user (its id)
//! skips it altogether ([`verdict`]'s `known_device`), so an attacker cannot keep
//! a user's own laptop from signing in. The `address` counter slows one address
//! trying many user names; an office behind one address shares it, hence 20
//! free failures.
//!
//! IPv6 clients are counted per /64 (one host usually holds a whole /64);
//! IPv4-mapped IPv6 addresses count as the IPv4 address. Behind a reverse proxy
//! or load balancer the client address is taken from `X-Forwarded-For` only when
//! the socket's peer is a configured trusted proxy ([`client_address`]).

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// One of the three counters of failed sign-ins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Counter {
    /// One user name of one organisation from one client address.
    UserAddress,
    /// One user name of one organisation, from any address.
    User,
    /// One client address, for any user.
    Address,
}

impl Counter {
    /// Every counter.
    pub const ALL: [Counter; 3] = [Counter::UserAddress, Counter::User, Counter::Address];

    /// Its name in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Counter::UserAddress => "user_address",
            Counter::User => "user",
            Counter::Address => "address",
        }
    }

    /// Whether a sign-in with the right password clears it (only the counter of
    /// that user at that address: the others count what others did).
    pub fn cleared_by_success(self) -> bool {
        matches!(self, Counter::UserAddress)
    }

    /// Whether an attempt counts on it as soon as it is admitted, before its
    /// password is checked (and is taken back when the password is right), so
    /// simultaneous guesses at one user cannot all pass while none has failed yet.
    /// The per-address counter counts only failures: an office behind one address
    /// signing many people in at once must not look like an attack.
    pub fn counted_before_check(self) -> bool {
        !matches!(self, Counter::Address)
    }
}

/// How one counter throttles: so many free failures, then a delay doubling from
/// `first_delay` up to `max_delay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Failures allowed without any delay.
    pub free_failures: u32,
    /// The delay after the first failure past the free ones.
    pub first_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
}

impl Rule {
    /// How long to wait after the last of `failures` failures before trying again.
    pub fn delay(&self, failures: u32) -> Duration {
        if failures < self.free_failures {
            return Duration::ZERO;
        }
        let doublings = failures - self.free_failures;
        if doublings >= 31 {
            return self.max_delay;
        }
        self.first_delay
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// The whole throttling policy (part of [`crate::ServerConfig`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// The `user_address` counter's rule.
    pub per_user_address: Rule,
    /// The `user` counter's rule.
    pub per_user: Rule,
    /// The `address` counter's rule.
    pub per_address: Rule,
    /// A counter is forgotten this long after its last failure.
    pub forget_after: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        let rule = |free_failures, max_secs| Rule {
            free_failures,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(max_secs),
        };
        ThrottlePolicy {
            per_user_address: rule(5, 15 * 60),
            per_user: rule(10, 60),
            per_address: rule(20, 5 * 60),
            forget_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl ThrottlePolicy {
    /// The rule of one counter.
    pub fn rule(&self, counter: Counter) -> Rule {
        match counter {
            Counter::UserAddress => self.per_user_address,
            Counter::User => self.per_user,
            Counter::Address => self.per_address,
        }
    }

    /// Counters whose last failure is before this time are forgotten.
    pub fn forget_before(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - chrono::Duration::from_std(self.forget_after).unwrap_or(chrono::Duration::days(1))
    }
}

/// One counter's key: SHA-256 (hex) of what it counts, so keys have a bounded
/// length and the database holds no user names or addresses in the clear.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// The counter.
    pub counter: Counter,
    /// The hashed key.
    pub id: String,
}

/// The keys of the three counters of a sign-in of `username` in `organisation`
/// from `address` (organisation and user name as typed; they hold no NUL, which
/// sign-in refuses before).
pub fn keys(organisation: &str, username: &str, address: IpAddr) -> [Key; 3] {
    let address = address_key(address);
    let key = |counter: Counter, parts: &[&str]| {
        let mut h = Sha256::new();
        h.update(counter.as_str().as_bytes());
        for p in parts {
            h.update([0u8]);
            h.update(p.as_bytes());
        }
        Key {
            counter,
            id: hex::encode(h.finalize()),
        }
    };
    [
        key(Counter::UserAddress, &[organisation, username, &address]),
        key(Counter::User, &[organisation, username]),
        key(Counter::Address, &[&address]),
    ]
}

/// How an address is counted: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by its /64.
pub fn address_key(address: IpAddr) -> String {
    match address.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// A counter's state: how many failures, the last one when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failures {
    /// Failures counted.
    pub count: u32,
    /// When the last one was.
    pub last_at: DateTime<Utc>,
}

/// Whether a sign-in attempt may check its password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead.
    Allowed,
    /// Refuse without checking the password.
    Throttled {
        /// The counter that holds it back longest.
        counter: Counter,
        /// When the attempt may be made.
        until: DateTime<Utc>,
        /// How long that is from now.
        retry_after: Duration,
    },
}

/// Decides an attempt from its counters' states (`None`: no failures counted).
/// `known_device`: the attempt comes from a device already registered to the
/// user, which the `user` counter does not hold back.
pub fn verdict(
    policy: &ThrottlePolicy,
    counters: &[(Counter, Option<Failures>)],
    known_device: bool,
    now: DateTime<Utc>,
) -> Verdict {
    let forget_before = policy.forget_before(now);
    let mut out = Verdict::Allowed;
    for &(counter, state) in counters {
        let Some(f) = state else { continue };
        if f.last_at < forget_before || (known_device && counter == Counter::User) {
            continue;
        }
        let delay = policy.rule(counter).delay(f.count);
        let until = f.last_at + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
        if until <= now {
            continue;
        }
        let longer = match out {
            Verdict::Allowed => true,
            Verdict::Throttled { until: u, .. } => until > u,
        };
        if longer {
            out = Verdict::Throttled {
                counter,
                until,
                retry_after: (until - now).to_std().unwrap_or(Duration::ZERO),
            };
        }
    }
    out
}

/// A counter's state after one more failure `now` (a forgotten one starts again).
pub fn after_failure(
    policy: &ThrottlePolicy,
    state: Option<Failures>,
    now: DateTime<Utc>,
) -> Failures {
    let count = match state {
        Some(f) if f.last_at >= policy.forget_before(now) => f.count.saturating_add(1),
        _ => 1,
    };
    Failures {
        count,
        last_at: now,
    }
}

/// The `Retry-After` value: whole seconds, rounded up, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// The message of a throttled sign-in's answer.
pub fn throttled_message(wait: Duration, until: DateTime<Utc>) -> String {
    let n = retry_after_secs(wait);
    format!(
        "too many failed sign-ins; try again in {n} second{} (after {} UTC); the password was not checked",
        if n == 1 { "" } else { "s" },
        until.format("%H:%M:%S")
    )
}

/// The client's address: the socket's peer, or, when the peer is one of the
/// `trusted` proxies, the rightmost `X-Forwarded-For` entry that is not itself a
/// trusted proxy (`forwarded_for`: the header's values, in order). An entry that
/// is not an IP address ends the walk at the last trusted hop.
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpAddr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| t.to_canonical() == ip.to_canonical());
    let mut current = peer.to_canonical();
    let entries = forwarded_for
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for entry in entries.iter().rev() {
        if !is_trusted(current) {
            break;
        }
        match entry.parse::<IpAddr>() {
            Ok(ip) => current = ip.to_canonical(),
            Err(_) => break,
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("time")
    }

    #[test]
    fn delays_start_after_the_free_failures_and_double_up_to_the_cap() {
        let p = ThrottlePolicy::default();
        let r = p.per_user_address;
        let secs: Vec<u64> = (0..20).map(|n| r.delay(n).as_secs()).collect();
        assert_eq!(
            secs,
            [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900, 900]
        );
        assert_eq!(p.per_user.delay(9), Duration::ZERO);
        assert_eq!(p.per_user.delay(10), Duration::from_secs(1));
        assert_eq!(p.per_user.delay(1000), Duration::from_secs(60));
        assert_eq!(p.per_address.delay(u32::MAX), Duration::from_secs(300));
    }

    #[test]
    fn a_throttled_attempt_waits_for_the_longest_counter_and_then_goes_ahead() {
        let p = ThrottlePolicy::default();
        let f = |count, last| Some(Failures { count, last_at: at(last) });
        // 7 failures here (4 s), 12 for the user (4 s from 2 s later), 3 for the address.
        let counters = [
            (Counter::UserAddress, f(7, 0)),
            (Counter::User, f(12, 2)),
            (Counter::Address, f(3, 0)),
        ];
        match verdict(&p, &counters, false, at(1)) {
            Verdict::Throttled { counter, until, retry_after } => {
                assert_eq!((counter, until), (Counter::User, at(6)));
                assert_eq!(retry_after, Duration::from_secs(5));
            }
            v => panic!("expected throttled, got {v:?}"),
        }
        // The user's own laptop is not held back by the per-user counter.
        assert!(matches!(
            verdict(&p, &counters, true, at(1)),
            Verdict::Throttled { counter: Counter::UserAddress, .. }
        ));
        assert_eq!(verdict(&p, &counters, false, at(6)), Verdict::Allowed);
        assert_eq!(verdict(&p, &[(Counter::UserAddress, None)], false, at(0)), Verdict::Allowed);
    }

    #[test]
    fn counters_are_forgotten_a_day_after_their_last_failure() {
        let p = ThrottlePolicy::default();
        let huge = Some(Failures { count: 1000, last_at: at(0) });
        assert!(matches!(
            verdict(&p, &[(Counter::UserAddress, huge)], false, at(899)),
            Verdict::Throttled { .. }
        ));
        // Capped: after 15 minutes even a thousand failures let one attempt through.
        assert_eq!(verdict(&p, &[(Counter::UserAddress, huge)], false, at(900)), Verdict::Allowed);
        assert_eq!(after_failure(&p, huge, at(1000)).count, 1001);
        assert_eq!(
            after_failure(&p, huge, at(24 * 3600 + 1)),
            Failures { count: 1, last_at: at(24 * 3600 + 1) }
        );
        assert_eq!(after_failure(&p, None, at(5)).count, 1);
        assert!(Counter::UserAddress.cleared_by_success());
        assert!(!Counter::User.cleared_by_success() && !Counter::Address.cleared_by_success());
    }

    #[test]
    fn keys_separate_counters_users_and_addresses() {
        let a: IpAddr = "127.0.0.1".parse().expect("ip");
        let b: IpAddr = "127.0.0.2".parse().expect("ip");
        let [ua, u, ad] = keys("acme", "rina", a);
        let [ub, u2, bd] = keys("acme", "rina", b);
        assert_ne!(ua.id, ub.id);
        assert_eq!(u, u2, "the per-user counter is shared across addresses");
        assert_ne!(ad.id, bd.id);
        assert_ne!(keys("acme", "rin", a)[0].id, keys("acm", "erin", a)[0].id);
        assert_eq!(ua.id.len(), 64);
        // IPv6 by /64; mapped IPv4 as IPv4.
        let v6 = |s: &str| address_key(s.parse().expect("ip"));
        assert_eq!(v6("2001:db8:1:2:aaaa::1"), v6("2001:db8:1:2:bbbb::2"));
        assert_ne!(v6("2001:db8:1:2::1"), v6("2001:db8:1:3::1"));
        assert_eq!(v6("::ffff:10.0.0.7"), "10.0.0.7");
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let ip = |s: &str| -> IpAddr { s.parse().expect("ip") };
        let proxy = ip("10.0.0.1");
        // Not a trusted peer: the header is ignored.
        assert_eq!(client_address(ip("203.0.113.9"), &["198.51.100.1"], &[]), ip("203.0.113.9"));
        // Trusted: the rightmost entry that is not a trusted proxy; spoofed entries on the left are ignored.
        assert_eq!(
            client_address(proxy, &["6.6.6.6, 198.51.100.7", "10.0.0.2"], &[proxy, ip("10.0.0.2")]),
            ip("198.51.100.7")
        );
        assert_eq!(client_address(proxy, &[], &[proxy]), proxy);
        assert_eq!(client_address(proxy, &["not an address"], &[proxy]), proxy);
    }

    #[test]
    fn the_message_says_when_to_try_again() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        let m = throttled_message(Duration::from_secs(4), at(0) + chrono::Duration::seconds(4));
        assert!(m.contains("try again in 4 seconds"), "{m}");
        assert!(m.contains("UTC"), "{m}");
    }
}
