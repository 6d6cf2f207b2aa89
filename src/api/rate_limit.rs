//! Rate limits, by GCRA (the `governor` crate): a bucket for each partner at
//! its own rate, one for each anonymous client network at the anonymous rate,
//! and a count of failed admin authentications per client network.
//!
//! A check is a hash lookup and one atomic compare-and-swap, on a sharded
//! map: O(1) however many callers there are, with no lock shared by every
//! request. Buckets that have refilled are indistinguishable from new ones;
//! [`RateLimiter::sweep`] drops them (governor's `retain_recent`: one
//! request's interval after they refilled), at most once every
//! [`SWEEP_EVERY`], off the request path, so memory holds only the networks
//! active in the last minute or so.
//!
//! Anonymous callers are keyed by network, not address: an IPv6 client
//! holds a whole /64 and could otherwise take a fresh bucket per request.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::{StateInformationMiddleware, StateSnapshot};
use governor::state::keyed::DashMapStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{NotUntil, Quota};

use super::partners::{Access, Caller};

/// How often idle buckets are dropped.
pub const SWEEP_EVERY: Duration = Duration::from_secs(10);
/// Failed admin authentications a client network may make a minute; one more
/// locks it out for [`LOCKOUT`].
pub const FAILED_LOGINS_PER_MINUTE: u32 = 10;
/// How long a locked-out network's admin requests are refused unread.
pub const LOCKOUT: Duration = Duration::from_secs(60);

type Direct<C> = governor::RateLimiter<NotKeyed, InMemoryState, C, StateInformationMiddleware>;
type Keyed<C> = governor::RateLimiter<Network, DashMapStateStore<Network>, C, StateInformationMiddleware>;

/// The client network a bucket belongs to: an IPv4 address, or an IPv6 /64
/// (IPv4-mapped IPv6 addresses count as IPv4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Network(IpAddr);

impl From<IpAddr> for Network {
    fn from(address: IpAddr) -> Self {
        match address.to_canonical() {
            IpAddr::V6(v6) => Network(IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX)))),
            v4 => Network(v4),
        }
    }
}

/// The outcome of one check, with what the `RateLimit-*` headers report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Requests a minute.
    pub limit: u32,
    /// Requests left in the bucket after this one.
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_seconds: u64,
    /// Seconds until the next request would be allowed (0 when allowed).
    pub retry_after_seconds: u64,
}

pub struct RateLimiter<C: Clock = DefaultClock> {
    clock: C,
    partners: HashMap<String, (NonZeroU32, Direct<C>)>,
    anonymous_per_minute: NonZeroU32,
    anonymous: Keyed<C>,
    failed_logins: Keyed<C>,
    /// Networks whose admin requests are refused, until when. Only networks
    /// that failed too often are here, and only admin requests look.
    locked_out: Mutex<HashMap<Network, C::Instant>>,
    next_sweep: Mutex<Instant>,
}

impl RateLimiter {
    /// Buckets for `access`'s partners and anonymous callers.
    pub fn new(access: &Access) -> Self {
        Self::with_clock(access, DefaultClock::default())
    }
}

impl<C: Clock + Clone> RateLimiter<C> {
    pub fn with_clock(access: &Access, clock: C) -> Self {
        let partners = access
            .partners()
            .map(|p| {
                let bucket = governor::RateLimiter::direct_with_clock(
                    Quota::per_minute(p.requests_per_minute),
                    clock.clone(),
                )
                .with_middleware();
                (p.name.clone(), (p.requests_per_minute, bucket))
            })
            .collect();
        let keyed = |per_minute| {
            governor::RateLimiter::dashmap_with_clock(Quota::per_minute(per_minute), clock.clone())
                .with_middleware()
        };
        let anonymous_per_minute = access.anonymous_per_minute();
        RateLimiter {
            partners,
            anonymous_per_minute,
            anonymous: keyed(anonymous_per_minute),
            failed_logins: keyed(NonZeroU32::new(FAILED_LOGINS_PER_MINUTE).expect("not zero")),
            locked_out: Mutex::default(),
            next_sweep: Mutex::new(Instant::now() + SWEEP_EVERY),
            clock,
        }
    }

    /// Takes one request from `caller`'s bucket, if it holds one.
    pub fn check(&self, caller: Caller<'_>) -> Decision {
        let (limit, outcome) = match caller {
            Caller::Partner(p) => {
                let (limit, bucket) = self
                    .partners
                    .get(&p.name)
                    .expect("a bucket for each partner of the Access it was built from");
                (*limit, bucket.check())
            }
            Caller::Anonymous(address) => {
                (self.anonymous_per_minute, self.anonymous.check_key(&Network::from(address)))
            }
        };
        self.decision(limit, outcome)
    }

    fn decision(&self, limit: NonZeroU32, outcome: Result<StateSnapshot, NotUntil<C::Instant>>) -> Decision {
        let limit = limit.get();
        // A minute refills the whole bucket: one request's worth every 60/limit s.
        let per_request = 60.0 / f64::from(limit);
        let (allowed, remaining, wait) = match outcome {
            Ok(state) => (true, state.remaining_burst_capacity(), 0.0),
            Err(refused) => (false, 0, refused.wait_time_from(self.clock.now()).as_secs_f64()),
        };
        // Refused, the bucket is `wait` short of one request, and then
        // `limit - 1` more from full.
        let until_full = if allowed {
            f64::from(limit - remaining) * per_request
        } else {
            wait + f64::from(limit - 1) * per_request
        };
        Decision {
            allowed,
            limit,
            remaining,
            reset_seconds: until_full.ceil() as u64,
            retry_after_seconds: if allowed { 0 } else { (wait.ceil() as u64).max(1) },
        }
    }

    /// Seconds `address`'s network must still wait before its admin requests
    /// are read again, if it is locked out.
    pub fn locked_out(&self, address: IpAddr) -> Option<u64> {
        let now = self.clock.now();
        let mut locked = self.locked_out.lock().unwrap_or_else(|p| p.into_inner());
        let network = Network::from(address);
        let until = *locked.get(&network)?;
        if until <= now {
            locked.remove(&network);
            return None;
        }
        Some(seconds(until.duration_since(now).into()))
    }

    /// Counts a failed admin authentication from `address`; past the limit,
    /// locks its network out and says for how many seconds.
    pub fn failed_login(&self, address: IpAddr) -> Option<u64> {
        let network = Network::from(address);
        self.failed_logins.check_key(&network).err()?;
        let lockout = governor::nanos::Nanos::from(LOCKOUT);
        let mut locked = self.locked_out.lock().unwrap_or_else(|p| p.into_inner());
        locked.insert(network, self.clock.now() + lockout);
        Some(LOCKOUT.as_secs())
    }

    /// Whether a sweep is due; true for one caller per [`SWEEP_EVERY`].
    pub fn sweep_due(&self) -> bool {
        let Ok(mut next) = self.next_sweep.try_lock() else { return false };
        let now = Instant::now();
        if now < *next {
            return false;
        }
        *next = now + SWEEP_EVERY;
        true
    }

    /// Drops the buckets that have refilled and the lockouts that ended:
    /// O(networks held), so run it off the request path.
    pub fn sweep(&self) {
        self.anonymous.retain_recent();
        self.failed_logins.retain_recent();
        let now = self.clock.now();
        let mut locked = self.locked_out.lock().unwrap_or_else(|p| p.into_inner());
        locked.retain(|_, until| *until > now);
        locked.shrink_to_fit();
        drop(locked);
        self.anonymous.shrink_to_fit();
        self.failed_logins.shrink_to_fit();
    }

    /// Anonymous networks holding a bucket: what the limiter's memory grows with.
    pub fn anonymous_networks(&self) -> usize {
        self.anonymous.len()
    }
}

fn seconds(duration: Duration) -> u64 {
    duration.as_secs_f64().ceil() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    use crate::api::partners::{Origins, Partner};

    fn rpm(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    fn limiter(anonymous_per_minute: u32) -> (RateLimiter<FakeRelativeClock>, FakeRelativeClock) {
        let access = Access::new(Vec::new(), rpm(anonymous_per_minute), Origins::Any);
        let clock = FakeRelativeClock::default();
        (RateLimiter::with_clock(&access, clock.clone()), clock)
    }

    fn anonymous(address: [u8; 4]) -> Caller<'static> {
        Caller::Anonymous(IpAddr::from(address))
    }

    #[test]
    fn allows_a_burst_up_to_the_limit_then_the_steady_rate() {
        let (limiter, clock) = limiter(6);
        let client = anonymous([192, 0, 2, 1]);
        for i in 0..6 {
            let d = limiter.check(client);
            assert!(d.allowed, "request {i}");
            assert_eq!(d.remaining, 5 - i);
        }
        let refused = limiter.check(client);
        assert!(!refused.allowed);
        assert_eq!((refused.retry_after_seconds, refused.reset_seconds), (10, 60));
        // Six a minute is one every ten seconds.
        clock.advance(Duration::from_secs(9));
        assert!(!limiter.check(client).allowed);
        clock.advance(Duration::from_secs(1));
        let later = limiter.check(client);
        assert!(later.allowed);
        assert_eq!(later.remaining, 0);
        // A minute idle fills the bucket, and no further.
        clock.advance(Duration::from_secs(3600));
        assert_eq!(limiter.check(client).remaining, 5);
    }

    #[test]
    fn partners_have_their_own_bucket_at_their_own_rate() {
        let partners = Access::parse_partners(&format!(
            "[[partner]]\nname = \"p\"\nkey_sha256 = \"{}\"\nrequests_per_minute = 2\n",
            "ab".repeat(32)
        ))
        .unwrap();
        let access = Access::new(partners, rpm(100), Origins::Any);
        let limiter = RateLimiter::with_clock(&access, FakeRelativeClock::default());
        let partner: &Partner = access.partners().next().unwrap();
        assert!(limiter.check(Caller::Partner(partner)).allowed);
        assert!(limiter.check(Caller::Partner(partner)).allowed);
        let refused = limiter.check(Caller::Partner(partner));
        assert_eq!((refused.allowed, refused.limit, refused.retry_after_seconds), (false, 2, 30));
        assert!(limiter.check(anonymous([127, 0, 0, 1])).allowed);
    }

    #[test]
    fn buckets_are_per_network() {
        let (limiter, _) = limiter(1);
        assert!(limiter.check(anonymous([127, 0, 0, 1])).allowed);
        assert!(!limiter.check(anonymous([127, 0, 0, 1])).allowed);
        assert!(limiter.check(anonymous([127, 0, 0, 2])).allowed);
        // One IPv6 /64 is one client however many addresses it uses; the
        // IPv4-mapped form of an address is that address.
        let v6 = |last: u16| Caller::Anonymous(IpAddr::from([0x2001, 0xdb8, 0, 1, 0, 0, 0, last]));
        assert!(limiter.check(v6(1)).allowed);
        assert!(!limiter.check(v6(2)).allowed);
        assert!(limiter.check(Caller::Anonymous(IpAddr::from([0x2001, 0xdb8, 0, 2, 0, 0, 0, 1]))).allowed);
        let mapped = Caller::Anonymous(IpAddr::V6(std::net::Ipv4Addr::new(127, 0, 0, 1).to_ipv6_mapped()));
        assert!(!limiter.check(mapped).allowed);
    }

    #[test]
    fn counts_exactly_under_concurrent_checks() {
        let (limiter, _) = limiter(250);
        let allowed: usize = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        (0..100).filter(|_| limiter.check(anonymous([10, 0, 0, 1])).allowed).count()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).sum()
        });
        assert_eq!(allowed, 250);
    }

    #[test]
    fn a_million_callers_cost_one_lookup_each_and_are_forgotten_once_refilled() {
        let (limiter, clock) = limiter(60);
        for i in 0..1_000_000u32 {
            assert!(limiter.check(Caller::Anonymous(IpAddr::from(i.to_be_bytes()))).allowed);
        }
        assert_eq!(limiter.anonymous_networks(), 1_000_000);
        // One request of sixty a minute refills in a second.
        clock.advance(Duration::from_secs(3));
        limiter.check(anonymous([192, 0, 2, 9]));
        limiter.sweep();
        assert_eq!(limiter.anonymous_networks(), 1);
    }

    #[test]
    fn too_many_failed_logins_lock_the_network_out_for_a_while() {
        let (limiter, clock) = limiter(60);
        let address = IpAddr::from([192, 0, 2, 7]);
        for _ in 0..FAILED_LOGINS_PER_MINUTE {
            assert_eq!(limiter.failed_login(address), None);
            assert_eq!(limiter.locked_out(address), None);
        }
        assert_eq!(limiter.failed_login(address), Some(60));
        assert_eq!(limiter.locked_out(address), Some(60));
        assert_eq!(limiter.locked_out(IpAddr::from([192, 0, 2, 8])), None);
        clock.advance(Duration::from_secs(59));
        assert_eq!(limiter.locked_out(address), Some(1));
        clock.advance(Duration::from_secs(1));
        assert_eq!(limiter.locked_out(address), None);
        // The minute also refilled the failures' bucket.
        assert_eq!(limiter.failed_login(address), None);
    }
}
