//! Steady clients over keep-alive connections, and the record of every
//! request they sent: when, what came back, and which event ids it carried.

use super::http::{batch_body, malformed_body, post, Conn};
use super::IdSource;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The rate the daemon sustains: `connections` keep-alive clients sending
/// single-event batches for `site` back to back for `span`; returns
/// acknowledged requests per second.
pub async fn saturation(addr: SocketAddr, site: &str, connections: usize, span: Duration) -> f64 {
    let ids = Arc::new(IdSource::new("saturation"));
    let acknowledged = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + span;
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|c| {
            let (ids, acknowledged, site) =
                (Arc::clone(&ids), Arc::clone(&acknowledged), site.to_owned());
            tokio::spawn(async move {
                let Ok(mut conn) = Conn::connect(addr).await else {
                    return;
                };
                let mut n = 0;
                while Instant::now() < deadline {
                    let body = batch_body(&site, &format!("m{c}-{}", n / 20), &ids.take(1));
                    n += 1;
                    match conn.send(&post(&body)).await {
                        Ok(r) if r.status == 200 => {
                            acknowledged.fetch_add(1, Relaxed);
                        }
                        Ok(_) => {}
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    acknowledged.load(Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// One request and its answer.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub sent: Instant,
    pub done: Instant,
    /// The HTTP status; 0 when no answer came (connection refused or cut).
    pub status: u16,
    pub retry_after: Option<u64>,
    pub ids: Vec<String>,
    pub malformed: bool,
}

impl Outcome {
    pub fn latency(&self) -> Duration {
        self.done - self.sent
    }
}

/// Every outcome of a run, from all clients.
#[derive(Default)]
pub struct Record(Mutex<Vec<Outcome>>);

impl Record {
    pub fn push(&self, outcome: Outcome) {
        if let Ok(mut all) = self.0.lock() {
            all.push(outcome);
        }
    }

    /// The outcomes so far, in completion order.
    pub fn snapshot(&self) -> Vec<Outcome> {
        let mut all = self.0.lock().map(|a| a.clone()).unwrap_or_default();
        all.sort_by_key(|o| o.done);
        all
    }

    /// Forgets everything recorded so far.
    pub fn clear(&self) {
        if let Ok(mut all) = self.0.lock() {
            all.clear();
        }
    }
}

/// What steady clients send.
#[derive(Debug, Clone, Copy)]
pub struct Steady {
    pub clients: usize,
    pub events_per_batch: usize,
    /// Least time between two requests of one client (`ZERO`: back to back).
    pub interval: Duration,
    /// Every `n`-th request (spread over clients) is malformed.
    pub malformed_every: Option<u64>,
}

/// Starts the clients; they run until `stop` is set.
pub fn spawn_steady(
    addr: SocketAddr,
    steady: Steady,
    ids: Arc<IdSource>,
    record: Arc<Record>,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..steady.clients)
        .map(|client| {
            let (ids, record, stop) = (Arc::clone(&ids), Arc::clone(&record), Arc::clone(&stop));
            tokio::spawn(async move {
                let mut conn: Option<Conn> = None;
                // Spread the clients' first requests over one interval.
                let mut next = Instant::now()
                    + steady
                        .interval
                        .mul_f64(client as f64 / steady.clients.max(1) as f64);
                let mut sequence = 0u64;
                while !stop.load(Relaxed) {
                    if !steady.interval.is_zero() {
                        tokio::time::sleep_until(next.into()).await;
                        next += steady.interval;
                        // A client that fell far behind does not burst to catch up.
                        let now = Instant::now();
                        if next + Duration::from_secs(1) < now {
                            next = now;
                        }
                    }
                    let malformed = steady.malformed_every.is_some_and(|every| {
                        (sequence * steady.clients as u64 + client as u64) % every.max(1)
                            == every.max(1) - 1
                    });
                    let (body, batch_ids) = if malformed {
                        (malformed_body(sequence), Vec::new())
                    } else {
                        let batch_ids = ids.take(steady.events_per_batch);
                        let session = format!("{}-{client}-{}", ids.next(), sequence / 20);
                        (batch_body("faults", &session, &batch_ids), batch_ids)
                    };
                    sequence += 1;
                    let answered =
                        send_recorded(&mut conn, addr, &body, batch_ids, malformed, &record).await;
                    if !answered {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            })
        })
        .collect()
}

/// Posts `body` over `conn` (connecting first when there is none, dropping
/// it when the exchange fails) and records what came back for the events
/// `ids`; returns whether an answer came.
pub async fn send_recorded(
    conn: &mut Option<Conn>,
    addr: SocketAddr,
    body: &str,
    ids: Vec<String>,
    malformed: bool,
    record: &Record,
) -> bool {
    if conn.is_none() {
        *conn = Conn::connect(addr).await.ok();
    }
    let sent = Instant::now();
    let answer = match conn.as_mut() {
        Some(c) => c.send(&post(body)).await.ok(),
        None => None,
    };
    if answer.is_none() {
        *conn = None;
    }
    record.push(Outcome {
        sent,
        done: Instant::now(),
        status: answer.as_ref().map_or(0, |r| r.status),
        retry_after: answer.as_ref().and_then(|r| r.retry_after),
        ids,
        malformed,
    });
    answer.is_some()
}

/// The `p`-quantile (0..=1) of sorted durations, in milliseconds.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// The latencies of `outcomes`, sorted.
pub fn sorted_latencies<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Vec<Duration> {
    let mut latencies: Vec<Duration> = outcomes.into_iter().map(Outcome::latency).collect();
    latencies.sort_unstable();
    latencies
}
