//! Per-caller rate limits: a token bucket for each partner and each anonymous
//! client address, refilled continuously at its requests-per-minute rate and
//! holding at most a minute's worth, so a caller may burst up to its limit and
//! then goes at the steady rate.
//!
//! One mutex guards every bucket: a check is a hash lookup and a few
//! arithmetic operations, far shorter than the request it guards, and the
//! lock makes the count exact however many workers check at once.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Instant;

/// Whose bucket a request draws from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Client {
    Partner(String),
    Address(IpAddr),
}

/// Buckets kept before idle (full) ones are dropped: anonymous addresses come
/// and go, and a full bucket is the same as no bucket.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
    /// Its requests a minute (and capacity).
    limit: f64,
}

impl Bucket {
    /// The tokens it holds at `now`, refilled since it was last drawn from.
    fn tokens_at(&self, now: Instant) -> f64 {
        (self.tokens + now.saturating_duration_since(self.at).as_secs_f64() * self.limit / 60.0)
            .min(self.limit)
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

#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<Client, Bucket>>,
}

impl RateLimiter {
    /// Takes one request from `client`'s bucket at `now`, if it holds one.
    pub fn check(&self, client: Client, per_minute: NonZeroU32, now: Instant) -> Decision {
        let limit = f64::from(per_minute.get());
        let per_second = limit / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| b.tokens_at(now) < b.limit);
        }
        let bucket = buckets.entry(client).or_insert(Bucket { tokens: limit, at: now, limit });
        bucket.tokens = bucket.tokens_at(now);
        bucket.at = bucket.at.max(now);
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        let seconds_until = |tokens: f64| ((tokens - bucket.tokens).max(0.0) / per_second).ceil() as u64;
        Decision {
            allowed,
            limit: per_minute.get(),
            remaining: bucket.tokens.floor() as u32,
            reset_seconds: seconds_until(limit),
            retry_after_seconds: if allowed { 0 } else { seconds_until(1.0).max(1) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn rpm(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    #[test]
    fn allows_a_burst_up_to_the_limit_then_the_steady_rate() {
        let limiter = RateLimiter::default();
        let start = Instant::now();
        let client = || Client::Partner("p".into());
        for i in 0..6 {
            let d = limiter.check(client(), rpm(6), start);
            assert!(d.allowed, "request {i}");
            assert_eq!(d.remaining, 5 - i);
        }
        let refused = limiter.check(client(), rpm(6), start);
        assert!(!refused.allowed);
        assert_eq!((refused.retry_after_seconds, refused.reset_seconds), (10, 60));
        // Six a minute is one every ten seconds.
        assert!(!limiter.check(client(), rpm(6), start + Duration::from_secs(9)).allowed);
        let later = limiter.check(client(), rpm(6), start + Duration::from_secs(10));
        assert!(later.allowed);
        assert_eq!(later.remaining, 0);
        // A minute idle fills the bucket, and no further.
        let full = limiter.check(client(), rpm(6), start + Duration::from_secs(3600));
        assert_eq!(full.remaining, 5);
    }

    #[test]
    fn buckets_are_per_client() {
        let limiter = RateLimiter::default();
        let now = Instant::now();
        let a = Client::Address(IpAddr::from([127, 0, 0, 1]));
        let b = Client::Address(IpAddr::from([127, 0, 0, 2]));
        assert!(limiter.check(a.clone(), rpm(1), now).allowed);
        assert!(!limiter.check(a, rpm(1), now).allowed);
        assert!(limiter.check(b, rpm(1), now).allowed);
    }

    #[test]
    fn counts_exactly_under_concurrent_checks() {
        let limiter = RateLimiter::default();
        let now = Instant::now();
        let allowed: usize = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        (0..100)
                            .filter(|_| limiter.check(Client::Partner("p".into()), rpm(250), now).allowed)
                            .count()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).sum()
        });
        assert_eq!(allowed, 250);
    }

    #[test]
    fn forgets_idle_addresses() {
        let limiter = RateLimiter::default();
        let now = Instant::now();
        for i in 0..=PRUNE_ABOVE as u32 {
            limiter.check(Client::Address(IpAddr::from(i.to_be_bytes())), rpm(60), now);
        }
        let later = now + Duration::from_secs(61);
        limiter.check(Client::Partner("p".into()), rpm(60), later);
        assert_eq!(limiter.buckets.lock().unwrap().len(), 1);
    }
}
