//! Cookieless visitor ids for the sites that ask for them.
//!
//! For such a site the visitor id the browser sent is ignored and replaced by
//! a keyed hash: SipHash-2-4 (128 bits) of (site, client IP, user agent),
//! keyed with a random salt of the current UTC day. The salt exists only in
//! this process's memory; when the day changes, a new salt overwrites the old
//! one, so yesterday's ids cannot be recomputed by anyone — not even from a
//! copy of the database plus a known IP and user agent. The cost: a visitor
//! gets a new id at midnight UTC (and when ingestd restarts), so visitor
//! counts are per day in this mode.

use siphasher::sip128::{Hasher128, SipHasher24};
use std::hash::Hasher;
use std::net::IpAddr;
use std::sync::Mutex;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The salt could not be drawn from the operating system.
#[derive(Debug, thiserror::Error)]
#[error("no random salt for cookieless visitor ids: {0}")]
pub struct SaltError(String);

struct DailySalt {
    day: i64,
    key: [u8; 16],
}

/// Computes cookieless visitor ids; holds the day's salt.
#[derive(Default)]
pub struct VisitorHasher {
    salt: Mutex<Option<DailySalt>>,
}

impl VisitorHasher {
    /// The visitor id for a request at `now_ms` (ms since the Unix epoch):
    /// 32 hex digits.
    pub fn visitor_id(
        &self,
        site: &str,
        ip: IpAddr,
        user_agent: &str,
        now_ms: i64,
    ) -> Result<String, SaltError> {
        let day = now_ms.div_euclid(DAY_MS);
        let mut guard = match self.salt.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let key = match guard.as_mut() {
            Some(salt) if salt.day == day => salt.key,
            Some(salt) => {
                // Overwrite in place: the old salt is gone, not just unreferenced.
                fill_random(&mut salt.key)?;
                salt.day = day;
                salt.key
            }
            None => {
                let mut key = [0u8; 16];
                fill_random(&mut key)?;
                *guard = Some(DailySalt { day, key });
                key
            }
        };
        drop(guard);
        let mut hasher = SipHasher24::new_with_key(&key);
        // Length prefixes keep (site, user agent) pairs from running together.
        hasher.write_usize(site.len());
        hasher.write(site.as_bytes());
        let ip = match ip.to_canonical() {
            IpAddr::V4(v4) => v4.to_ipv6_mapped(),
            IpAddr::V6(v6) => v6,
        };
        hasher.write(&ip.octets());
        hasher.write_usize(user_agent.len());
        hasher.write(user_agent.as_bytes());
        let hash: u128 = hasher.finish128().into();
        Ok(format!("{hash:032x}"))
    }

    /// The UTC day of the salt in use, if any (for tests and diagnostics).
    pub fn salt_day(&self) -> Option<i64> {
        match self.salt.lock() {
            Ok(guard) => guard.as_ref().map(|s| s.day),
            Err(poisoned) => poisoned.into_inner().as_ref().map(|s| s.day),
        }
    }
}

fn fill_random(key: &mut [u8; 16]) -> Result<(), SaltError> {
    getrandom::fill(key).map_err(|e| SaltError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const UA: &str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0";
    const NOON: i64 = 1_764_000_000_000 - 1_764_000_000_000 % DAY_MS + DAY_MS / 2;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn id(h: &VisitorHasher, site: &str, addr: &str, ua: &str, now: i64) -> String {
        h.visitor_id(site, ip(addr), ua, now)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn stable_within_a_day_distinct_across_inputs() {
        let h = VisitorHasher::default();
        let a = id(&h, "shop", "203.0.113.5", UA, NOON);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(a, id(&h, "shop", "203.0.113.5", UA, NOON + 3_600_000));
        assert_eq!(a, id(&h, "shop", "::ffff:203.0.113.5", UA, NOON));
        assert_ne!(a, id(&h, "blog", "203.0.113.5", UA, NOON));
        assert_ne!(a, id(&h, "shop", "203.0.113.6", UA, NOON));
        assert_ne!(a, id(&h, "shop", "203.0.113.5", "curl", NOON));
        // Two processes (two salts) never agree.
        let other = VisitorHasher::default();
        assert_ne!(a, id(&other, "shop", "203.0.113.5", UA, NOON));
    }

    #[test]
    fn the_salt_rotates_at_midnight_utc_and_never_comes_back() {
        let h = VisitorHasher::default();
        let today = id(&h, "shop", "203.0.113.5", UA, NOON);
        let tomorrow = id(&h, "shop", "203.0.113.5", UA, NOON + DAY_MS);
        assert_ne!(today, tomorrow);
        assert_eq!(h.salt_day(), Some((NOON + DAY_MS).div_euclid(DAY_MS)));
        // Back to yesterday's time: yesterday's salt is gone, so is its id.
        assert_ne!(today, id(&h, "shop", "203.0.113.5", UA, NOON));
    }
}
