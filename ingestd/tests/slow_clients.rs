//! Slow clients: 1,000 connections that trickle their headers (slowloris) or
//! their bodies (fixed length or chunked) a few bytes at a time, beside
//! normal traffic. Each bad connection is closed within its timeout, normal
//! requests are answered without errors and never wait on the bad ones
//! (p99 well under their 3 s timeout; the latency itself is a figure the test
//! prints for BENCHMARKS.md, not a pass mark, since it moves with the
//! machine's load), and the daemon's open file descriptors return to their
//! baseline.
//!
//! Short version (CI): one wave of 1,000 with 3 s header and body timeouts.
//! Long version (three waves of 1,000 with the default 10 s timeouts):
//!
//! ```text
//! FAULTS_LONG=1 cargo test -p ingestd --release --test slow_clients -- --nocapture
//! ```

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use testkit::faults::daemon::Daemon;
use testkit::faults::http::{batch_body, post, post_head, Conn};
use testkit::faults::load::{percentile_ms, sorted_latencies, Outcome, Record};
use testkit::faults::{long, raise_fd_limit, runtime, IdSource};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The binary under test.
const INGESTD: &str = env!("CARGO_BIN_EXE_ingestd");

/// Extra time allowed past a timeout, for scheduling a thousand timers and
/// connections on two cores.
const SLACK: Duration = Duration::from_secs(1);
/// Time between two trickled pieces.
const TRICKLE: Duration = Duration::from_millis(200);

struct Plan {
    bad: usize,
    waves: usize,
    header_timeout: u64,
    body_timeout: u64,
}

fn plan() -> Plan {
    if long() {
        Plan {
            bad: 1000,
            waves: 3,
            header_timeout: 10,
            body_timeout: 10,
        }
    } else {
        Plan {
            bad: 1000,
            waves: 1,
            header_timeout: 3,
            body_timeout: 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trickle {
    /// Headers a byte at a time, never finished.
    Headers,
    /// A `Content-Length` body a byte at a time.
    Body,
    /// A chunked body, one small chunk at a time.
    Chunks,
}

/// How long one bad connection stayed open, and what it was allowed.
struct Closed {
    kind: Trickle,
    open_for: Option<Duration>,
    allowed: Duration,
}

/// Opens one bad connection and trickles until the server closes it (or
/// well past its timeout).
async fn bad_connection(addr: SocketAddr, kind: Trickle, allowed: Duration) -> Closed {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return Closed {
            kind,
            open_for: None,
            allowed,
        };
    };
    let opened = Instant::now();
    let (start, piece): (String, &[u8]) = match kind {
        Trickle::Headers => (
            "POST /api/events HTTP/1.1\r\nhost: faults\r\nx-slow: ".to_owned(),
            b"a",
        ),
        Trickle::Body => (post_head(4096), b"{"),
        Trickle::Chunks => (
            "POST /api/events HTTP/1.1\r\nhost: faults\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n"
                .to_owned(),
            b"1\r\n \r\n",
        ),
    };
    let give_up = opened + allowed + SLACK + Duration::from_secs(5);
    let mut closed = stream.write_all(start.as_bytes()).await.is_err();
    let mut buf = [0u8; 1024];
    let mut next = Instant::now() + TRICKLE;
    while !closed && Instant::now() < give_up {
        tokio::select! {
            read = stream.read(&mut buf) => {
                // A 408 may come first; the connection counts once it is closed.
                closed = matches!(read, Ok(0) | Err(_));
            }
            () = tokio::time::sleep_until(next.into()) => {
                next += TRICKLE;
                closed = stream.write_all(piece).await.is_err();
            }
        }
    }
    Closed {
        kind,
        open_for: closed.then(|| opened.elapsed()),
        allowed,
    }
}

#[test]
fn slow_clients_are_cut_off_and_normal_traffic_is_unharmed() {
    let plan = plan();
    raise_fd_limit();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("slow.db");
    let mut daemon = Daemon::start(
        INGESTD,
        &db,
        &[
            "--header-timeout-secs",
            &plan.header_timeout.to_string(),
            "--body-timeout-secs",
            &plan.body_timeout.to_string(),
        ],
    );
    let addr = daemon.addr;
    let rt = runtime();
    // Baseline: after one request (the database files are open), no client.
    rt.block_on(async {
        let mut conn = Conn::connect(addr).await.expect("connect");
        let body = batch_body("slow", "warm", &IdSource::new("warm").take(1));
        assert_eq!(conn.send(&post(&body)).await.expect("warm-up").status, 200);
    });
    std::thread::sleep(Duration::from_millis(300));
    let baseline = daemon.fd_count();

    let record = Arc::new(Record::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut closed = Vec::new();
    let mut peak_fds = baseline;
    // Normal traffic: 8 keep-alive clients, 50 requests/s each, on a runtime
    // of their own, so that their timings never wait behind the thousand
    // trickling tasks of this process.
    let normal = {
        let (record, stop) = (Arc::clone(&record), Arc::clone(&stop));
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let ids = Arc::new(IdSource::new("normal"));
                let normal: Vec<_> = (0..8)
                    .map(|c| {
                        let (ids, record, stop) =
                            (Arc::clone(&ids), Arc::clone(&record), Arc::clone(&stop));
                        tokio::spawn(async move {
                            let mut conn = Conn::connect(addr).await.ok();
                            let mut n = 0;
                            while !stop.load(Relaxed) {
                                let batch_ids = ids.take(1);
                                let body =
                                    batch_body("slow", &format!("n{c}-{}", n / 20), &batch_ids);
                                n += 1;
                                let sent = Instant::now();
                                let answer = match conn.as_mut() {
                                    Some(conn) => conn.send(&post(&body)).await.ok(),
                                    None => None,
                                };
                                if answer.is_none() {
                                    conn = Conn::connect(addr).await.ok();
                                }
                                record.push(Outcome {
                                    sent,
                                    done: Instant::now(),
                                    status: answer.as_ref().map_or(0, |r| r.status),
                                    retry_after: None,
                                    ids: batch_ids,
                                    malformed: false,
                                });
                                tokio::time::sleep(Duration::from_millis(20)).await;
                            }
                        })
                    })
                    .collect();
                for task in normal {
                    task.await.expect("normal client");
                }
            })
        })
    };
    rt.block_on(async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        for _ in 0..plan.waves {
            let wave: Vec<_> = (0..plan.bad)
                .map(|i| {
                    let kind = [Trickle::Headers, Trickle::Body, Trickle::Chunks][i % 3];
                    let allowed = Duration::from_secs(match kind {
                        Trickle::Headers => plan.header_timeout,
                        Trickle::Body | Trickle::Chunks => plan.body_timeout,
                    });
                    tokio::spawn(bad_connection(addr, kind, allowed))
                })
                .collect();
            // The daemon's descriptors while the wave is open.
            let wave_end =
                Instant::now() + Duration::from_secs(plan.header_timeout.min(plan.body_timeout));
            while Instant::now() < wave_end {
                tokio::time::sleep(Duration::from_millis(100)).await;
                peak_fds = peak_fds.max(tokio::task::block_in_place(|| daemon.fd_count()));
            }
            for task in wave {
                closed.push(task.await.expect("bad connection task"));
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    });
    stop.store(true, Relaxed);
    normal.join().expect("normal traffic thread");
    // Every client is gone: the descriptors must come back to the baseline.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut fds = daemon.fd_count();
    while fds > baseline && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        fds = daemon.fd_count();
    }

    let outcomes = record.snapshot();
    let latencies = sorted_latencies(&outcomes);
    let errors = outcomes.iter().filter(|o| o.status != 200).count();
    let p99 = percentile_ms(&latencies, 0.99);
    let still_open = closed.iter().filter(|c| c.open_for.is_none()).count();
    let late: Vec<String> = closed
        .iter()
        .filter_map(|c| {
            let open_for = c.open_for?;
            (open_for > c.allowed + SLACK).then(|| format!("{:?} open {open_for:?}", c.kind))
        })
        .take(5)
        .collect();
    let longest = |kind: Trickle| {
        closed
            .iter()
            .filter(|c| c.kind == kind)
            .filter_map(|c| c.open_for)
            .max()
            .unwrap_or_default()
            .as_secs_f64()
    };
    println!(
        "slow clients: {} waves of {} (headers, bodies, chunks; timeouts {} s / {} s): \
         longest open {:.2} s, {:.2} s, {:.2} s; {still_open} never closed; \
         normal traffic {} requests, {errors} errors, p50 {:.1} ms, p99 {p99:.1} ms, max {:.1} ms; \
         open files: baseline {baseline}, peak {peak_fds}, after {fds}",
        plan.waves,
        plan.bad,
        plan.header_timeout,
        plan.body_timeout,
        longest(Trickle::Headers),
        longest(Trickle::Body),
        longest(Trickle::Chunks),
        outcomes.len(),
        percentile_ms(&latencies, 0.5),
        percentile_ms(&latencies, 1.0),
    );
    assert_eq!(still_open, 0, "bad connections the server never closed");
    assert!(late.is_empty(), "closed later than their timeout: {late:?}");
    assert!(
        peak_fds >= baseline + plan.bad / 2,
        "the bad connections were not open at the same time (peak {peak_fds} descriptors)"
    );
    assert_eq!(errors, 0, "normal requests that failed");
    // Normal requests queued behind the slow ones would wait for their
    // timeouts (3 s); a loaded machine only moves the latency by tens of ms.
    assert!(
        p99 <= 1000.0,
        "normal p99 {p99:.1} ms: normal requests waited on the slow clients"
    );
    assert!(
        fds <= baseline,
        "open file descriptors {fds} did not return to the baseline {baseline}"
    );
    let status = daemon.stop();
    assert!(status.success(), "exit after SIGTERM: {status}");
}
