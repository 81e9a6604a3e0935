//! Overload: requests arrive at twice the rate the daemon was just measured
//! to sustain. The commit queue stays within its bounds, the excess is
//! answered 503 (or 429) at once, every request gets an answer, and the
//! daemon's memory levels off. With two CPUs or more the daemon is held to
//! one and the load generator to another, so that the generator can offer
//! twice what the daemon sustains (sharing the CPUs, it could not).
//!
//! Short version (CI): 3 s of measurement, 10 s at twice the rate over 1,024
//! connections, queue bound 64 batches. Long version (10 s, then 60 s over
//! 3,000 connections, queue bound 1,024 batches):
//!
//! ```text
//! FAULTS_LONG=1 cargo test -p ingestd --release --test overload -- --nocapture
//! ```

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use testkit::faults::daemon::{metric_value, rss_kib, Daemon};
use testkit::faults::http::{batch_body, get, malformed_body, post, Conn};
use testkit::faults::load::{percentile_ms, saturation, send_recorded, sorted_latencies, Record};
use testkit::faults::store::WriteLock;
use testkit::faults::{long, pin_apart, raise_fd_limit, runtime, IdSource};
use tokio::sync::Semaphore;

/// The binary under test.
const INGESTD: &str = env!("CARGO_BIN_EXE_ingestd");

struct Plan {
    queue_batches: usize,
    queue_bytes: usize,
    connections: usize,
    measure: Duration,
    overload: Duration,
}

/// The queue bound is well below the connections: batches waiting plus the
/// group being committed (up to as many again) must leave connections over,
/// whose requests are the excess. It is also below the queue a writer that
/// keeps up still builds between its commits (up to about 170 batches when
/// the daemon's one CPU is shared by its HTTP side and its writer), so that
/// the excess reaches the queue rather than waiting in the HTTP side.
fn plan() -> Plan {
    if long() {
        Plan {
            queue_batches: 1024,
            queue_bytes: 8 << 20,
            connections: 3000,
            measure: Duration::from_secs(10),
            overload: Duration::from_secs(60),
        }
    } else {
        Plan {
            queue_batches: 64,
            queue_bytes: 1 << 20,
            connections: 1024,
            measure: Duration::from_secs(3),
            overload: Duration::from_secs(10),
        }
    }
}

/// What the sampler saw.
#[derive(Default)]
struct Samples {
    queue_batches: Vec<f64>,
    queue_bytes: Vec<f64>,
    rss_kib: Vec<u64>,
}

#[test]
fn overload_at_twice_the_saturation_rate() {
    let plan = plan();
    raise_fd_limit();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("overload.db");
    let mut daemon = Daemon::start(
        INGESTD,
        &db,
        &[
            "--queue-batches",
            &plan.queue_batches.to_string(),
            "--queue-bytes",
            &plan.queue_bytes.to_string(),
        ],
    );
    let (addr, pid) = (daemon.addr, daemon.pid());
    let cpus = match pin_apart(pid) {
        Some((daemon_cpu, own_cpu)) => {
            format!("daemon on CPU {daemon_cpu}, load generator on CPU {own_cpu}")
        }
        None => "daemon and load generator sharing the CPUs".to_owned(),
    };
    let record = Arc::new(Record::default());
    let rt = runtime();
    let (rate, offered, skipped, samples, elapsed) = rt.block_on(async {
        let rate = 2.0 * saturation(addr, "overload", 64, plan.measure).await;

        // Open loop: a ticket per request at `rate`; connections take them.
        let tickets = Arc::new(Semaphore::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let ids = Arc::new(IdSource::new("overload"));
        let sent = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for c in 0..plan.connections {
            let (tickets, ids, record, sent) = (
                Arc::clone(&tickets),
                Arc::clone(&ids),
                Arc::clone(&record),
                Arc::clone(&sent),
            );
            tasks.push(tokio::spawn(async move {
                // Connected before the first ticket, like clients already there.
                let mut conn: Option<Conn> = Conn::connect(addr).await.ok();
                let mut n = 0;
                while let Ok(ticket) = tickets.acquire().await {
                    ticket.forget();
                    let batch_ids = ids.take(1);
                    let body = batch_body("overload", &format!("o{c}-{}", n / 20), &batch_ids);
                    n += 1;
                    sent.fetch_add(1, Relaxed);
                    send_recorded(&mut conn, addr, &body, batch_ids, false, &record).await;
                }
            }));
        }
        // The sampler: queue gauges over a keep-alive connection, RSS from /proc.
        let sampler = {
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                let mut samples = Samples::default();
                let mut conn = Conn::connect(addr).await.expect("metrics connection");
                while !stop.load(Relaxed) {
                    if let Ok(r) = conn.send(&get("/metrics")).await {
                        let text = String::from_utf8_lossy(&r.body);
                        samples
                            .queue_batches
                            .extend(metric_value(&text, "ingestd_queue_batches"));
                        samples
                            .queue_bytes
                            .extend(metric_value(&text, "ingestd_queue_bytes"));
                    }
                    samples.rss_kib.extend(rss_kib(pid));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                samples
            })
        };
        // The ticker: tickets due so far, minus those no idle connection took.
        let started = Instant::now();
        let mut issued = 0u64;
        let mut skipped = 0u64;
        while started.elapsed() < plan.overload {
            tokio::time::sleep(Duration::from_millis(1)).await;
            let due = (started.elapsed().as_secs_f64() * rate) as u64;
            let new = due.saturating_sub(issued + skipped);
            let waiting = tickets.available_permits() as u64;
            let take = new.min((plan.connections as u64).saturating_sub(waiting));
            tickets.add_permits(take as usize);
            issued += take;
            skipped += new - take;
        }
        let elapsed = started.elapsed();
        tickets.close();
        for task in tasks {
            task.await.expect("client task");
        }
        stop.store(true, Relaxed);
        let samples = sampler.await.expect("sampler");
        let offered = sent.load(Relaxed) as f64 / elapsed.as_secs_f64();
        (rate, offered, skipped, samples, elapsed)
    });

    let outcomes = record.snapshot();
    let count = |status: u16| outcomes.iter().filter(|o| o.status == status).count();
    let (ok, busy, limited, unanswered) = (count(200), count(503), count(429), count(0));
    let other = outcomes.len() - ok - busy - limited - unanswered;
    let queue_full = daemon
        .metric("ingestd_requests_rejected_total{reason=\"queue_full\"}")
        .unwrap_or(0.0);
    let max = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);
    let (max_batches, max_bytes) = (max(&samples.queue_batches), max(&samples.queue_bytes));
    let half = samples.rss_kib.len() / 2;
    let first_peak = samples.rss_kib[..half].iter().max().copied().unwrap_or(0);
    let second_peak = samples.rss_kib[half..].iter().max().copied().unwrap_or(0);
    let ok_latencies = sorted_latencies(outcomes.iter().filter(|o| o.status == 200));
    let busy_latencies = sorted_latencies(outcomes.iter().filter(|o| o.status == 503));
    println!(
        "overload ({cpus}): target {rate:.0} req/s (2 x saturation {:.0}), offered {offered:.0} req/s over {:.1} s \
         through {} connections ({skipped} tickets found every connection busy); \
         {ok} x 200 ({:.0}/s, p50 {:.1} ms, p99 {:.1} ms), {busy} x 503 (p50 {:.1} ms, p99 {:.1} ms), \
         {limited} x 429, {other} other, {unanswered} unanswered; \
         queue at most {max_batches} of {} batches and {max_bytes} of {} bytes; \
         RSS peak {:.1} MiB in the first half, {:.1} MiB in the second",
        rate / 2.0,
        elapsed.as_secs_f64(),
        plan.connections,
        ok as f64 / elapsed.as_secs_f64(),
        percentile_ms(&ok_latencies, 0.5),
        percentile_ms(&ok_latencies, 0.99),
        percentile_ms(&busy_latencies, 0.5),
        percentile_ms(&busy_latencies, 0.99),
        plan.queue_batches,
        plan.queue_bytes,
        first_peak as f64 / 1024.0,
        second_peak as f64 / 1024.0,
    );
    assert_eq!(unanswered, 0, "requests without an answer");
    assert_eq!(other, 0, "answers other than 200, 503 and 429");
    assert!(
        busy + limited > 0 && queue_full > 0.0,
        "no excess was refused: the load did not exceed what the daemon commits"
    );
    assert!(
        outcomes
            .iter()
            .filter(|o| o.status == 503)
            .all(|o| o.retry_after.is_some()),
        "a 503 without Retry-After"
    );
    assert!(
        max_batches <= plan.queue_batches as f64,
        "queue held {max_batches} batches, bound {}",
        plan.queue_batches
    );
    assert!(
        max_bytes <= plan.queue_bytes as f64,
        "queue held {max_bytes} bytes, bound {}",
        plan.queue_bytes
    );
    assert!(
        second_peak as f64 <= first_peak as f64 * 1.10,
        "RSS kept growing under overload: {first_peak} KiB then {second_peak} KiB"
    );
    let status = daemon.stop();
    assert!(status.success(), "exit after SIGTERM: {status}");
}

/// With the queue at its bound, a request is refused 503 before its body is
/// parsed: even a malformed one gets "busy", not 400, so the excess costs
/// the daemon little more than reading it. The writer is held on a write
/// lock (it waits up to 1 s for it) while one batch fills a one-batch queue.
#[test]
fn the_excess_is_refused_before_it_is_parsed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("shed.db");
    let daemon = Daemon::start(INGESTD, &db, &["--queue-batches", "1"]);
    let addr = daemon.addr;
    let ids = IdSource::new("shed");
    let rt = runtime();
    let lock = WriteLock::hold(&db);
    let (held, queued, malformed) = rt.block_on(async {
        let send = |body: String| {
            tokio::spawn(async move {
                let mut conn = Conn::connect(addr).await.expect("connect");
                conn.send(&post(&body)).await.expect("an answer")
            })
        };
        // The writer takes the first batch and waits for the lock; the
        // second waits in the queue, which is then full.
        let held = send(batch_body("shed", "s1", &ids.take(1)));
        tokio::time::sleep(Duration::from_millis(150)).await;
        let queued = send(batch_body("shed", "s2", &ids.take(1)));
        tokio::time::sleep(Duration::from_millis(150)).await;
        let malformed = send(malformed_body(0)).await.expect("malformed request");
        (held, queued, malformed)
    });
    assert_eq!(malformed.status, 503, "{malformed:?}");
    assert!(malformed.retry_after.is_some(), "503 without Retry-After");
    let text = String::from_utf8_lossy(&malformed.body);
    assert!(text.contains("busy"), "{text}");
    drop(lock);
    let (held, queued) = rt.block_on(async { (held.await, queued.await) });
    let statuses = (
        held.expect("first request").status,
        queued.expect("second request").status,
    );
    assert!(
        [200, 503].contains(&statuses.0) && [200, 503].contains(&statuses.1),
        "{statuses:?}"
    );
    // Once the queue has room, the same malformed body is judged: 400.
    let judged = rt.block_on(async {
        let mut conn = Conn::connect(addr).await.expect("connect");
        conn.send(&post(&malformed_body(0)))
            .await
            .expect("an answer")
    });
    assert_eq!(judged.status, 400, "{judged:?}");
}
