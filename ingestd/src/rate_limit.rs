//! Per-IP token buckets.
//!
//! Each address gets `burst` tokens, refilled at `rate` per second; a request
//! takes one. The table is bounded: when it is full, addresses whose bucket has
//! refilled completely (idle ones) are forgotten, and if none is idle the
//! oldest entries go, so a flood of spoofed-looking addresses cannot grow memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most addresses tracked at once.
const MAX_TRACKED: usize = 100_000;

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// The verdict for one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    Allowed,
    /// Refused; a token is available after this long.
    Limited(Duration),
}

pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    /// `rate` requests per second with bursts of `burst`; a rate of 0 (or less)
    /// allows everything.
    pub fn new(rate: f64, burst: f64) -> Self {
        Self {
            rate: if rate.is_finite() { rate.max(0.0) } else { 0.0 },
            burst: if burst.is_finite() {
                burst.max(1.0)
            } else {
                1.0
            },
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn check(&self, ip: IpAddr, now: Instant) -> Verdict {
        if self.rate == 0.0 {
            return Verdict::Allowed;
        }
        let mut buckets = match self.buckets.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(&ip) {
            self.evict(&mut buckets, now);
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Verdict::Allowed
        } else {
            Verdict::Limited(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }

    fn evict(&self, buckets: &mut HashMap<IpAddr, Bucket>, now: Instant) {
        let full_after = Duration::from_secs_f64(self.burst / self.rate);
        buckets.retain(|_, b| now.saturating_duration_since(b.updated) < full_after);
        if buckets.len() >= MAX_TRACKED {
            let mut ages: Vec<Instant> = buckets.values().map(|b| b.updated).collect();
            ages.sort_unstable();
            let cutoff = ages[ages.len() / 2];
            buckets.retain(|_, b| b.updated > cutoff);
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.buckets.lock().map(|b| b.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn allows_a_burst_then_limits_then_refills() {
        let limiter = RateLimiter::new(10.0, 3.0);
        let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check(ip, t0), Verdict::Allowed);
        }
        match limiter.check(ip, t0) {
            Verdict::Limited(wait) => assert!((wait.as_secs_f64() - 0.1).abs() < 1e-6),
            Verdict::Allowed => panic!("fourth request should be limited"),
        }
        let other = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
        assert_eq!(limiter.check(other, t0), Verdict::Allowed);
        assert_eq!(
            limiter.check(ip, t0 + Duration::from_millis(100)),
            Verdict::Allowed
        );
    }

    #[test]
    fn zero_rate_disables() {
        let limiter = RateLimiter::new(0.0, 1.0);
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for _ in 0..1000 {
            assert_eq!(limiter.check(ip, Instant::now()), Verdict::Allowed);
        }
    }

    #[test]
    fn table_stays_bounded() {
        let limiter = RateLimiter::new(1.0, 1000.0);
        let t0 = Instant::now();
        for i in 0..(MAX_TRACKED as u32 + 10) {
            limiter.check(
                IpAddr::V4(Ipv4Addr::from(i)),
                t0 + Duration::from_micros(u64::from(i)),
            );
        }
        assert!(limiter.tracked() <= MAX_TRACKED);
    }
}
