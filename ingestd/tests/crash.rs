//! Crash safety: sustained load with unique event ids while the daemon is
//! killed with SIGKILL at random moments and restarted. Every id that got a
//! 2xx must be stored, none twice, and the file must pass `integrity_check`.
//!
//! Short version (CI): 5 kills. Long version (≥ 50 kills):
//!
//! ```text
//! FAULTS_LONG=1 cargo test -p ingestd --release --test crash -- --nocapture
//! ```
//!
//! `FAULTS_KILLS=N` sets the number of kills, `FAULTS_SEED` replays a run.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use testkit::faults::daemon::Daemon;
use testkit::faults::http::{batch_body, post, Conn};
use testkit::faults::store::inspect;
use testkit::faults::{env_number, long, raise_fd_limit, runtime, seed, IdSource};

/// The binary under test.
const INGESTD: &str = env!("CARGO_BIN_EXE_ingestd");

/// One request's worth of events; the same ids are sent again until a 2xx.
struct Batch {
    session: String,
    ids: Vec<String>,
}

/// What the clients know: acknowledged ids, and batches still to (re)send.
#[derive(Default)]
struct Ledger {
    acked: Mutex<HashSet<String>>,
    issued: Mutex<HashSet<String>>,
    unanswered: Mutex<Vec<Batch>>,
    unexpected: Mutex<Vec<String>>,
    requests: AtomicU64,
    cut_off: AtomicU64,
    refused: AtomicU64,
    /// Events a 2xx reported as already stored: committed before a kill
    /// without their acknowledgement reaching the client, then sent again.
    duplicates: AtomicU64,
}

impl Ledger {
    fn acked(&self) -> usize {
        self.acked.lock().map(|a| a.len()).unwrap_or(0)
    }
}

/// Sends batches over one keep-alive connection (reconnecting as needed) until
/// `stop`; with `drain`, sends only unanswered batches and returns when none
/// is left.
async fn client(
    addr: SocketAddr,
    number: usize,
    ids: Arc<IdSource>,
    ledger: Arc<Ledger>,
    stop: Arc<AtomicBool>,
    drain: bool,
) {
    let mut conn: Option<Conn> = None;
    let mut sequence = 0usize;
    while !stop.load(Relaxed) {
        let retry = ledger.unanswered.lock().ok().and_then(|mut u| u.pop());
        let batch = match retry {
            Some(batch) => batch,
            None if drain => return,
            None => {
                let batch = Batch {
                    session: format!("crash-{number}-{}", sequence / 10),
                    ids: ids.take(1 + sequence % 4),
                };
                if let Ok(mut issued) = ledger.issued.lock() {
                    issued.extend(batch.ids.iter().cloned());
                }
                sequence += 1;
                batch
            }
        };
        if conn.is_none() {
            match Conn::connect(addr).await {
                Ok(c) => conn = Some(c),
                Err(_) => {
                    ledger.refused.fetch_add(1, Relaxed);
                    if let Ok(mut u) = ledger.unanswered.lock() {
                        u.push(batch);
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        ledger.requests.fetch_add(1, Relaxed);
        match c
            .send(&post(&batch_body("crash", &batch.session, &batch.ids)))
            .await
        {
            Ok(r) if (200..300).contains(&r.status) => {
                ledger
                    .duplicates
                    .fetch_add(r.json_number("duplicates").unwrap_or(0), Relaxed);
                if let Ok(mut acked) = ledger.acked.lock() {
                    acked.extend(batch.ids);
                }
            }
            Ok(r) if r.status == 503 => {
                if let Ok(mut u) = ledger.unanswered.lock() {
                    u.push(batch);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Ok(r) => {
                if let Ok(mut unexpected) = ledger.unexpected.lock() {
                    unexpected.push(format!(
                        "status {} for {:?}: {}",
                        r.status,
                        batch.ids,
                        String::from_utf8_lossy(&r.body)
                    ));
                }
            }
            Err(_) => {
                // Killed mid-request: the batch may or may not be stored.
                ledger.cut_off.fetch_add(1, Relaxed);
                conn = None;
                if let Ok(mut u) = ledger.unanswered.lock() {
                    u.push(batch);
                }
            }
        }
    }
}

#[test]
fn acknowledged_events_survive_kill_9() {
    let kills: u32 = env_number("FAULTS_KILLS", if long() { 50 } else { 5 });
    let clients = if long() { 16 } else { 8 };
    let mut rng = fastrand::Rng::with_seed(seed());
    raise_fd_limit();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("crash.db");
    let mut daemon = Daemon::start(INGESTD, &db, &[]);
    let ledger = Arc::new(Ledger::default());
    let ids = Arc::new(IdSource::new("crash"));
    let started = Instant::now();
    let mut acked_per_cycle = Vec::new();

    let rt = runtime();
    rt.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let tasks: Vec<_> = (0..clients)
            .map(|n| {
                tokio::spawn(client(
                    daemon.addr,
                    n,
                    Arc::clone(&ids),
                    Arc::clone(&ledger),
                    Arc::clone(&stop),
                    false,
                ))
            })
            .collect();
        for _ in 0..kills {
            let before = ledger.acked();
            // A random moment of sustained load: once the clients are back
            // and being answered (they reconnect with a backoff after each
            // restart, slower on a busy machine), then up to 600 ms more.
            let back = tokio::time::Instant::now() + Duration::from_secs(30);
            while ledger.acked() == before && tokio::time::Instant::now() < back {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            tokio::time::sleep(Duration::from_millis(rng.u64(0..=600))).await;
            tokio::task::block_in_place(|| {
                daemon.kill9();
                daemon.restart();
            });
            acked_per_cycle.push(ledger.acked() - before);
        }
        // Load after the last restart, then every unanswered batch again.
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.store(true, Relaxed);
        for task in tasks {
            task.await.expect("client task");
        }
        let drain_stop = Arc::new(AtomicBool::new(false));
        let drained = tokio::time::timeout(
            Duration::from_secs(60),
            client(
                daemon.addr,
                clients,
                ids,
                Arc::clone(&ledger),
                drain_stop,
                true,
            ),
        )
        .await;
        assert!(
            drained.is_ok(),
            "unanswered batches still refused after 60 s"
        );
    });
    let status = daemon.stop();
    assert!(status.success(), "ingestd exit after SIGTERM: {status}");

    let stored = inspect(&db);
    let acked = ledger.acked.lock().expect("acked").clone();
    let issued = ledger.issued.lock().expect("issued").clone();
    let unexpected = ledger.unexpected.lock().expect("unexpected").clone();
    let missing: Vec<&String> = acked.difference(&stored.ids).take(10).collect();
    let phantom: Vec<&String> = stored.ids.difference(&issued).take(10).collect();
    println!(
        "crash: {kills} kills in {:.1} s; {} requests, {} events acknowledged ({} per cycle: {:?}); \
         {} requests cut off by a kill, {} connections refused while down; \
         {} events committed without their acknowledgement and recognised when sent again; \
         stored {} events, {} duplicated ids, integrity {}",
        started.elapsed().as_secs_f64(),
        ledger.requests.load(Relaxed),
        acked.len(),
        if acked_per_cycle.is_empty() { 0 } else { acked_per_cycle.iter().sum::<usize>() / acked_per_cycle.len() },
        acked_per_cycle,
        ledger.cut_off.load(Relaxed),
        ledger.refused.load(Relaxed),
        ledger.duplicates.load(Relaxed),
        stored.rows,
        stored.duplicated,
        stored.integrity
    );
    assert!(unexpected.is_empty(), "unexpected answers: {unexpected:?}");
    assert_eq!(stored.integrity, "ok", "PRAGMA integrity_check");
    assert!(
        missing.is_empty(),
        "{} acknowledged events are not stored, e.g. {missing:?}",
        acked.difference(&stored.ids).count()
    );
    assert_eq!(stored.duplicated, 0, "event ids stored twice");
    assert!(phantom.is_empty(), "stored ids never sent: {phantom:?}");
    assert_eq!(
        stored.rows as usize,
        acked.len(),
        "after resending every unanswered batch, the store holds exactly the acknowledged events"
    );
    assert_eq!(
        stored.session_events, stored.rows as i64,
        "session rollups agree with the events (committed in the same transaction)"
    );
    assert!(
        acked_per_cycle.iter().all(|&n| n > 0),
        "every kill came during load that was being acknowledged: {acked_per_cycle:?}"
    );
}
