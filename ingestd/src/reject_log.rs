//! Log lines for refused requests and rejected events, bounded per reason.
//!
//! An operator needs to see why events are dropped (a tracker sending a field
//! the server refuses, a site key that is not configured, a bot), but the
//! reasons are chosen by clients: a flood of bad requests must not become a
//! flood of log lines. Each reason therefore has a small token bucket
//! ([`BURST`] lines at once, then one per [`REFILL`]); what the bucket does not
//! let through is counted and reported as `suppressed` on the reason's next
//! line. The metrics count every refusal; the log samples them.
//!
//! Lines name the reason, the site (when the body was read far enough to know
//! it) and the reason's text; never the client's address or user agent, which
//! are not kept anywhere.

use shared::validate::Rejection;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Lines a reason may log at once.
const BURST: u32 = 5;
/// How often a reason earns another line once its burst is spent.
const REFILL: Duration = Duration::from_secs(10);

/// Per-reason budgets of log lines.
#[derive(Default)]
pub struct RejectLog {
    buckets: Mutex<HashMap<&'static str, Bucket>>,
}

struct Bucket {
    tokens: u32,
    refilled: Instant,
    suppressed: u64,
}

impl RejectLog {
    /// A refused request: its reason label, HTTP status and site if known.
    pub fn request(&self, reason: &'static str, status: u16, site: Option<&str>) {
        if let Some(suppressed) = self.admit(reason, Instant::now()) {
            tracing::warn!(
                reason,
                status,
                site = site.unwrap_or("-"),
                suppressed,
                "request refused"
            );
        }
    }

    /// Events rejected from a request (the request itself may be accepted).
    pub fn events(&self, site: Option<&str>, rejected: &[Rejection]) {
        let now = Instant::now();
        for r in rejected {
            if let Some(suppressed) = self.admit(r.reason.code(), now) {
                tracing::warn!(
                    reason = r.reason.code(),
                    site = site.unwrap_or("-"),
                    index = r.index,
                    detail = %r.reason,
                    suppressed,
                    "event rejected"
                );
            }
        }
    }

    /// Whether `reason` may log a line now; if so, how many lines it
    /// suppressed since its last one.
    fn admit(&self, reason: &'static str, now: Instant) -> Option<u64> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(reason).or_insert(Bucket {
            tokens: BURST,
            refilled: now,
            suppressed: 0,
        });
        let earned =
            now.saturating_duration_since(bucket.refilled).as_millis() / REFILL.as_millis();
        if earned >= u128::from(BURST) {
            bucket.tokens = BURST;
            bucket.refilled = now;
        } else if earned > 0 {
            // Below BURST, so the casts cannot truncate.
            bucket.tokens = BURST.min(bucket.tokens + earned as u32);
            bucket.refilled += REFILL * earned as u32;
        }
        if bucket.tokens == 0 {
            bucket.suppressed += 1;
            return None;
        }
        bucket.tokens -= 1;
        Some(std::mem::take(&mut bucket.suppressed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_logs_a_burst_then_one_line_per_refill() {
        let log = RejectLog::default();
        let start = Instant::now();
        let admitted = (0..100)
            .filter(|_| log.admit("malformed", start).is_some())
            .count();
        assert_eq!(admitted, BURST as usize);
        // Another reason has its own budget.
        assert_eq!(log.admit("bot", start), Some(0));
        // One refill later, one line, reporting what was held back.
        assert_eq!(log.admit("malformed", start + REFILL), Some(95));
        assert_eq!(log.admit("malformed", start + REFILL), None);
        // A long quiet spell refills up to the burst, no further.
        let later = start + REFILL * 1000;
        let admitted = (0..100)
            .filter(|_| log.admit("malformed", later).is_some())
            .count();
        assert_eq!(admitted, BURST as usize);
    }
}
