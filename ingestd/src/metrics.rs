//! Prometheus text metrics, kept in atomics so the ingest path never takes a lock.
//!
//! Counters by reason are arrays indexed by the reason enums
//! ([`RejectCode`], [`RequestRejection`]), rendered by iterating their
//! `ALL`, so every reason is listed, at zero until it happens.

use crate::refusal::RequestRejection;
use shared::reject_code::RejectCode;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

/// A histogram with fixed upper bounds.
pub struct Histogram {
    bounds: &'static [f64],
    buckets: Vec<AtomicU64>,
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, value: f64) {
        if let Some(i) = self.bounds.iter().position(|&b| value <= b) {
            self.buckets[i].fetch_add(1, Relaxed);
        }
        self.sum_micros.fetch_add((value * 1e6) as u64, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, bucket) in self.bounds.iter().zip(&self.buckets) {
            cumulative += bucket.load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.sum_micros.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {count}");
    }
}

const SIZE_BOUNDS: &[f64] = &[
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0,
];
const LATENCY_BOUNDS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Every metric ingestd exports.
pub struct Metrics {
    pub events_received: AtomicU64,
    pub events_accepted: AtomicU64,
    pub events_duplicate: AtomicU64,
    /// `200` replies that asked the browser for a layout snapshot.
    pub layout_asks: AtomicU64,
    /// Layout snapshots accepted.
    pub layouts_received: AtomicU64,
    events_rejected: [AtomicU64; RejectCode::ALL.len()],
    requests_rejected: [AtomicU64; RequestRejection::ALL.len()],
    pub requests: AtomicU64,
    /// Events per committed transaction (group commit size).
    pub commit_events: Histogram,
    /// Events per accepted request.
    pub request_events: Histogram,
    /// Seconds per commit.
    pub commit_seconds: Histogram,
    pub commit_failures: AtomicU64,
    /// Attempts to open the database afresh after a failed commit.
    pub store_reopens: AtomicU64,
    /// Of those, the attempts that failed.
    pub store_reopen_failures: AtomicU64,
    /// 1 while the last open or commit succeeded, 0 after a failure.
    pub store_available: AtomicI64,
    pub queue_batches: AtomicI64,
    pub queue_bytes: AtomicI64,
    pub open_connections: AtomicI64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            events_received: AtomicU64::new(0),
            events_accepted: AtomicU64::new(0),
            events_duplicate: AtomicU64::new(0),
            layout_asks: AtomicU64::new(0),
            layouts_received: AtomicU64::new(0),
            events_rejected: std::array::from_fn(|_| AtomicU64::new(0)),
            requests_rejected: std::array::from_fn(|_| AtomicU64::new(0)),
            requests: AtomicU64::new(0),
            commit_events: Histogram::new(SIZE_BOUNDS),
            request_events: Histogram::new(SIZE_BOUNDS),
            commit_seconds: Histogram::new(LATENCY_BOUNDS),
            commit_failures: AtomicU64::new(0),
            store_reopens: AtomicU64::new(0),
            store_reopen_failures: AtomicU64::new(0),
            store_available: AtomicI64::new(0),
            queue_batches: AtomicI64::new(0),
            queue_bytes: AtomicI64::new(0),
            open_connections: AtomicI64::new(0),
        }
    }
}

impl Metrics {
    pub fn event_rejected(&self, code: RejectCode) {
        if let Some(n) = self.events_rejected.get(code.index()) {
            n.fetch_add(1, Relaxed);
        }
    }

    pub fn request_rejected(&self, why: RequestRejection) {
        if let Some(n) = self.requests_rejected.get(why.index()) {
            n.fetch_add(1, Relaxed);
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        self.render_events(&mut out);
        self.render_rejections(&mut out);
        self.render_store(&mut out);
        self.render_queue(&mut out);
        out
    }

    /// Requests and events received, accepted and duplicated.
    fn render_events(&self, out: &mut String) {
        counter(
            out,
            "ingestd_http_requests_total",
            "HTTP requests received.",
            self.requests.load(Relaxed),
        );
        counter(
            out,
            "ingestd_events_received_total",
            "Events received in request bodies.",
            self.events_received.load(Relaxed),
        );
        counter(
            out,
            "ingestd_events_accepted_total",
            "Events committed (including duplicates of stored events).",
            self.events_accepted.load(Relaxed),
        );
        counter(
            out,
            "ingestd_events_duplicate_total",
            "Accepted events that were already stored.",
            self.events_duplicate.load(Relaxed),
        );
        counter(
            out,
            "ingestd_layout_asks_total",
            "Replies that asked the browser for a layout snapshot.",
            self.layout_asks.load(Relaxed),
        );
        counter(
            out,
            "ingestd_layouts_received_total",
            "Layout snapshots accepted (also counted as events).",
            self.layouts_received.load(Relaxed),
        );
    }

    /// Rejected events and refused requests, one line per reason.
    fn render_rejections(&self, out: &mut String) {
        counter_by_reason(
            out,
            "ingestd_events_rejected_total",
            "Events rejected by validation, by reason.",
            RejectCode::ALL.map(RejectCode::as_str),
            &self.events_rejected,
        );
        counter_by_reason(
            out,
            "ingestd_requests_rejected_total",
            "Requests refused as a whole, by reason.",
            RequestRejection::ALL.map(RequestRejection::label),
            &self.requests_rejected,
        );
    }

    /// Commits and the database's health.
    fn render_store(&self, out: &mut String) {
        counter(
            out,
            "ingestd_commit_failures_total",
            "Commits that failed (their requests got 503).",
            self.commit_failures.load(Relaxed),
        );
        counter(
            out,
            "ingestd_store_reopens_total",
            "Times the database was opened afresh after a failed commit.",
            self.store_reopens.load(Relaxed),
        );
        counter(
            out,
            "ingestd_store_reopen_failures_total",
            "Reopen attempts that failed (the database stayed unavailable).",
            self.store_reopen_failures.load(Relaxed),
        );
        gauge(
            out,
            "ingestd_store_available",
            "1 while the last database open or commit succeeded, 0 after a failure.",
            self.store_available.load(Relaxed),
        );
        self.commit_events.render(
            out,
            "ingestd_commit_batch_events",
            "Events per committed transaction.",
        );
        self.request_events.render(
            out,
            "ingestd_request_batch_events",
            "Valid events per request.",
        );
        self.commit_seconds.render(
            out,
            "ingestd_commit_duration_seconds",
            "Time to commit one transaction durably.",
        );
    }

    /// What waits for the writer, and the open connections.
    fn render_queue(&self, out: &mut String) {
        gauge(
            out,
            "ingestd_queue_batches",
            "Batches waiting for the writer.",
            self.queue_batches.load(Relaxed),
        );
        gauge(
            out,
            "ingestd_queue_bytes",
            "Body bytes waiting for the writer.",
            self.queue_bytes.load(Relaxed),
        );
        gauge(
            out,
            "ingestd_open_connections",
            "Open client connections.",
            self.open_connections.load(Relaxed),
        );
    }
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
    );
}

fn gauge(out: &mut String, name: &str, help: &str, value: i64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
    );
}

/// A counter with a `reason` label: one line per reason, in `reasons`' order.
fn counter_by_reason<const N: usize>(
    out: &mut String,
    name: &str,
    help: &str,
    reasons: [&str; N],
    counts: &[AtomicU64; N],
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
    for (reason, n) in reasons.iter().zip(counts) {
        let _ = writeln!(out, "{name}{{reason=\"{reason}\"}} {}", n.load(Relaxed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.events_received.fetch_add(3, Relaxed);
        m.event_rejected(RejectCode::InvalidUrl);
        m.request_rejected(RequestRejection::QueueFull);
        m.commit_seconds.observe(0.003);
        m.commit_events.observe(64.0);
        let text = m.render();
        assert!(text.contains("ingestd_events_received_total 3\n"));
        assert!(text.contains("ingestd_events_rejected_total{reason=\"invalid_url\"} 1\n"));
        assert!(text.contains("ingestd_requests_rejected_total{reason=\"queue_full\"} 1\n"));
        assert!(text.contains("ingestd_commit_duration_seconds_bucket{le=\"0.002\"} 0\n"));
        assert!(text.contains("ingestd_commit_duration_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(text.contains("ingestd_commit_batch_events_bucket{le=\"+Inf\"} 1\n"));
        assert!(text.contains("ingestd_commit_batch_events_sum 64\n"));
    }
}
