//! The database becomes unavailable under steady load: files made read-only,
//! the disk full, the write lock held by another connection, the MongoDB
//! server gone (when `MONGODB_URI` names one). While the fault
//! lasts every request gets 503 with `Retry-After` within 5 s and none a 2xx;
//! the first 2xx comes within 5 s of recovery; after a failed commit the
//! daemon opens the database afresh (`ingestd_store_reopens_total`) instead
//! of retrying on the failed handle; every acknowledged event is stored and
//! the file passes `integrity_check`.
//!
//! Short version (CI): one fault of about 3 s per case. Long version (five
//! faults of 10 s per case):
//!
//! ```text
//! FAULTS_LONG=1 cargo test -p ingestd --release --test db_faults -- --nocapture --test-threads 1
//! ```
//!
//! Cases that need privileges print `skipped: …` when they cannot run
//! (`FAULTS_REQUIRE=1` turns that into a failure); so does the MongoDB case
//! without `MONGODB_URI` (`REQUIRE_MONGO=1` turns that into a failure).

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use testkit::faults::daemon::{wal_path, Daemon};
use testkit::faults::disk::{give_dir, set_writable, unprivileged_user, Immutable, SmallFs};
use testkit::faults::http::{batch_body, post, Conn};
use testkit::faults::load::{spawn_steady, Outcome, Record, Steady};
use testkit::faults::store::{inspect, open_reader, stored_ids, WriteLock};
use testkit::faults::{long, runtime, skip, IdSource};
use testkit::mongo::server_address;
use testkit::relay::Relay;

/// The binary under test.
const INGESTD: &str = env!("CARGO_BIN_EXE_ingestd");

/// The bound the requirement sets on answering during a fault and on
/// recovering after it.
const BOUND: Duration = Duration::from_secs(5);

struct Timing {
    warm_up: Duration,
    fault: Duration,
    after: Duration,
    faults: usize,
}

fn timing() -> Timing {
    if long() {
        Timing {
            warm_up: Duration::from_secs(2),
            fault: Duration::from_secs(10),
            after: Duration::from_secs(5),
            faults: 5,
        }
    } else {
        Timing {
            warm_up: Duration::from_millis(700),
            fault: Duration::from_millis(3000),
            after: Duration::from_millis(1500),
            faults: 1,
        }
    }
}

/// One fault: when its injection started and ended, and when it was lifted.
struct Window {
    injecting: Instant,
    injected: Instant,
    recovered: Instant,
}

/// Runs steady load on `daemon` and injects the fault `timing().faults`
/// times: `inject` breaks the database and returns what `recover` needs to
/// repair it.
fn run<G>(
    name: &str,
    onset: Onset,
    daemon: &mut Daemon,
    mut inject: impl FnMut(&mut Daemon) -> G,
    mut recover: impl FnMut(&mut Daemon, G),
) -> Vec<Outcome> {
    let timing = timing();
    let record = Arc::new(Record::default());
    let stop = Arc::new(AtomicBool::new(false));
    let reopens_before = daemon.metric("ingestd_store_reopens_total").unwrap_or(0.0);
    let mut windows = Vec::new();
    let rt = runtime();
    let clients = rt.block_on(async {
        spawn_steady(
            daemon.addr,
            Steady {
                clients: 4,
                events_per_batch: 2,
                interval: Duration::from_millis(10),
                malformed_every: None,
            },
            Arc::new(IdSource::new(name)),
            Arc::clone(&record),
            Arc::clone(&stop),
        )
    });
    std::thread::sleep(timing.warm_up);
    for _ in 0..timing.faults {
        let injecting = Instant::now();
        let guard = inject(daemon);
        let injected = Instant::now();
        std::thread::sleep(timing.fault);
        recover(daemon, guard);
        let recovered = Instant::now();
        windows.push(Window {
            injecting,
            injected,
            recovered,
        });
        std::thread::sleep(timing.after);
    }
    stop.store(true, Relaxed);
    rt.block_on(async {
        for client in clients {
            client.await.expect("client task");
        }
    });
    let reopens = daemon.metric("ingestd_store_reopens_total").unwrap_or(0.0) - reopens_before;
    let outcomes = record.snapshot();
    for (i, window) in windows.iter().enumerate() {
        check_window(name, i, onset, window, &outcomes);
    }
    check_answers(name, &windows, &outcomes);
    println!(
        "{name}: {} requests, {} acknowledged, {} answered 503; the database was reopened {reopens} times",
        outcomes.len(),
        outcomes.iter().filter(|o| o.status == 200).count(),
        outcomes.iter().filter(|o| o.status == 503).count(),
    );
    assert!(
        reopens >= windows.len() as f64,
        "{name}: a failed commit must be followed by a reopen (reopens: {reopens})"
    );
    let status = daemon.stop();
    assert!(status.success(), "{name}: exit after SIGTERM: {status}");
    outcomes
}

/// When the daemon can first know of a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Onset {
    /// At once: every commit after the injection fails.
    Injection,
    /// At the first commit that needs more disk space. Until then SQLite
    /// writes into space its write-ahead log already holds, and those
    /// commits are durable (the store check at the end covers them).
    FirstFailure,
}

/// The bounds of one fault window.
fn check_window(name: &str, i: usize, onset: Onset, window: &Window, outcomes: &[Outcome]) {
    // Requests the fault met: answered after it began, sent before its end.
    let during: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.done >= window.injected && o.sent < window.recovered)
        .collect();
    assert!(
        !during.is_empty(),
        "{name} #{i}: no request during the fault"
    );
    // How long each waited once the fault had begun.
    let slowest = during
        .iter()
        .map(|o| o.done - o.sent.max(window.injected))
        .max()
        .unwrap_or_default();
    assert!(
        slowest <= BOUND,
        "{name} #{i}: a request waited {slowest:?} for its answer during the fault"
    );
    let first_503 = outcomes
        .iter()
        .find(|o| o.done >= window.injected && o.status == 503);
    let to_first_503 = first_503.map(|o| o.done - window.injected);
    assert!(
        to_first_503.is_some_and(|d| d <= BOUND),
        "{name} #{i}: no 503 within 5 s of the fault ({to_first_503:?})"
    );
    let noticed = match (onset, first_503) {
        (Onset::FirstFailure, Some(o)) => o.done,
        _ => window.injected,
    };
    let acknowledged = during
        .iter()
        .filter(|o| o.sent >= noticed && o.done < window.recovered)
        .filter(|o| (200..300).contains(&o.status))
        .count();
    assert_eq!(
        acknowledged, 0,
        "{name} #{i}: requests got a 2xx while the fault lasted"
    );
    let before_onset = during
        .iter()
        .filter(|o| o.sent >= window.injected && o.done < noticed)
        .filter(|o| (200..300).contains(&o.status))
        .count();
    let first_2xx = outcomes
        .iter()
        .find(|o| o.sent >= window.recovered && (200..300).contains(&o.status))
        .map(|o| o.done - window.recovered);
    assert!(
        first_2xx.is_some_and(|d| d <= BOUND),
        "{name} #{i}: no 2xx within 5 s of recovery ({first_2xx:?})"
    );
    let answered_503 = during
        .iter()
        .filter(|o| o.done < window.recovered && o.status == 503)
        .count();
    println!(
        "{name} #{i}: injected in {:.0} ms; {} requests met the fault, {answered_503} answered 503 \
         before recovery, none 2xx{}; slowest answer {:.0} ms; first 503 {:.0} ms after the fault, \
         first 2xx {:.0} ms after recovery",
        (window.injected - window.injecting).as_secs_f64() * 1000.0,
        during.len(),
        if onset == Onset::FirstFailure {
            format!(
                " after the first failed commit ({before_onset} committed into space already held, {:.0} ms)",
                (noticed - window.injected).as_secs_f64() * 1000.0
            )
        } else {
            String::new()
        },
        slowest.as_secs_f64() * 1000.0,
        to_first_503.unwrap_or_default().as_secs_f64() * 1000.0,
        first_2xx.unwrap_or_default().as_secs_f64() * 1000.0,
    );
}

/// Every answer is a 200 or a 503 with `Retry-After`; requests go unanswered
/// only while the daemon restarts inside an injection.
fn check_answers(name: &str, windows: &[Window], outcomes: &[Outcome]) {
    for o in outcomes {
        match o.status {
            200 => {}
            503 => assert!(
                o.retry_after.is_some_and(|s| s >= 1),
                "{name}: a 503 without Retry-After"
            ),
            0 => assert!(
                windows
                    .iter()
                    .any(|w| o.done >= w.injecting && o.sent <= w.injected),
                "{name}: a request went unanswered outside a restart"
            ),
            other => panic!("{name}: unexpected status {other}"),
        }
    }
}

/// The ids of every acknowledged event.
fn acknowledged(outcomes: &[Outcome]) -> HashSet<&String> {
    outcomes
        .iter()
        .filter(|o| o.status == 200)
        .flat_map(|o| &o.ids)
        .collect()
}

/// Every acknowledged id is stored once and the file is sound.
fn check_sqlite(name: &str, db: &Path, outcomes: &[Outcome]) {
    let stored = inspect(db);
    let acked = acknowledged(outcomes);
    let missing = acked.iter().filter(|id| !stored.ids.contains(**id)).count();
    assert_eq!(stored.integrity, "ok", "{name}: PRAGMA integrity_check");
    assert_eq!(
        missing, 0,
        "{name}: acknowledged events missing from the store"
    );
    assert_eq!(stored.duplicated, 0, "{name}: event ids stored twice");
    assert_eq!(
        stored.session_events, stored.rows as i64,
        "{name}: session rollups agree with the events"
    );
}

/// The database file and its write-ahead log.
fn db_files(db: &Path) -> Vec<std::path::PathBuf> {
    vec![db.to_owned(), wal_path(db)]
}

#[test]
fn read_only_files_while_running() {
    let dir = tempfile::tempdir().expect("temp dir");
    if let Err(reason) = Immutable::probe(dir.path()) {
        skip(&format!("read-only files while running: {reason}"));
        return;
    }
    let db = dir.path().join("ro.db");
    let mut daemon = Daemon::start(INGESTD, &db, &[]);
    let name = "read-only files (immutable flag) while running";
    let outcomes = run(
        name,
        Onset::Injection,
        &mut daemon,
        |d| Immutable::set(&db_files(&d.db)).expect("set the immutable flag"),
        |_, flag| flag.clear(),
    );
    check_sqlite(name, &db, &outcomes);
}

#[test]
fn read_only_files_at_restart() {
    // Permissions are checked when a file is opened: a running daemon keeps
    // its descriptors. This case restarts the daemon onto read-only files;
    // it must come up, answer 503 and recover, not exit.
    let dir = tempfile::tempdir().expect("temp dir");
    let user = unprivileged_user();
    give_dir(dir.path(), user);
    let db = dir.path().join("ro.db");
    let mut daemon = Daemon::start_as(INGESTD, &db, &[], user);
    let name = "read-only files at restart";
    let outcomes = run(
        name,
        Onset::Injection,
        &mut daemon,
        |d| {
            set_writable(&db_files(&d.db), false);
            d.restart();
        },
        |d, ()| set_writable(&db_files(&d.db), true),
    );
    check_sqlite(name, &db, &outcomes);
}

#[test]
fn disk_full() {
    // Room for the write-ahead log at its largest (the writer checkpoints
    // it at 64 MiB) and the database, so that only the filler fills it.
    let fs = match SmallFs::new(256 * 1024) {
        Ok(fs) => fs,
        Err(reason) => {
            skip(&format!("disk full: {reason}"));
            return;
        }
    };
    println!("disk full: on {}", fs.how);
    let db = fs.path().join("full.db");
    let mut daemon = Daemon::start(INGESTD, &db, &[]);
    // The console is open, as it often is. Without any other connection, the
    // daemon's reopen after a failed commit closes the last connection, which
    // checkpoints and deletes the write-ahead log when the database file has
    // room, and the next few commits (durably) use the space that freed.
    let _console = open_reader(&db);
    let name = "disk full";
    let fs = std::sync::Arc::new(fs);
    let outcomes = run(
        name,
        Onset::FirstFailure,
        &mut daemon,
        |_| {
            let filled = fs.fill().expect("fill the filesystem");
            println!("disk full: filler took {} MiB", filled >> 20);
            // The disk stays full while the fault lasts: space the daemon
            // frees (a checkpoint truncating the write-ahead log) is taken
            // back at once.
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let (refill_fs, refill_stop) =
                (std::sync::Arc::clone(&fs), std::sync::Arc::clone(&stop));
            let refill = std::thread::spawn(move || {
                while !refill_stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let _ = refill_fs.fill();
                    std::thread::sleep(Duration::from_millis(1));
                }
            });
            (stop, refill)
        },
        |_, (stop, refill)| {
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = refill.join();
            fs.free();
        },
    );
    check_sqlite(name, &db, &outcomes);
}

#[test]
fn write_lock_held_by_another_connection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("locked.db");
    let mut daemon = Daemon::start(INGESTD, &db, &[]);
    let name = "write lock held elsewhere";
    let outcomes = run(
        name,
        Onset::Injection,
        &mut daemon,
        |d| WriteLock::hold(&d.db),
        |_, lock| drop(lock),
    );
    check_sqlite(name, &db, &outcomes);
}

/// A commit that outlasts `--commit-timeout-ms` (here it waits for the write
/// lock another connection holds) is answered 503 with `Retry-After` at the
/// timeout, saying it may still complete; once the lock is gone the same
/// events resent are acknowledged and stored once.
#[test]
fn a_commit_past_its_timeout_answers_503_and_the_resend_is_stored_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("analytics.db");
    let mut daemon = Daemon::start(INGESTD, &db, &["--commit-timeout-ms", "200"]);
    let ids = IdSource::new("commit timeout").take(4);
    let request = post(&batch_body("timeout", "s-timeout", &ids));
    let rt = runtime();
    let send = |request: &[u8]| {
        rt.block_on(async {
            let mut conn = Conn::connect(daemon.addr).await?;
            conn.send(request).await
        })
        .expect("an answer")
    };
    let lock = WriteLock::hold(&db);
    let first = send(&request);
    drop(lock);
    assert_eq!(first.status, 503, "{first:?}");
    assert!(first.retry_after.is_some(), "503 without Retry-After");
    let text = String::from_utf8_lossy(&first.body);
    assert!(text.contains("not confirmed in time"), "{text}");
    assert_eq!(
        daemon.metric("ingestd_requests_rejected_total{reason=\"commit_timeout\"}"),
        Some(1.0)
    );
    // The commit may have completed once the lock was gone, or failed (then
    // the daemon reopens the database): either way a resend is acknowledged.
    let deadline = Instant::now() + BOUND;
    let resent = loop {
        let answer = send(&request);
        if answer.status == 200 || Instant::now() > deadline {
            break answer;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(resent.status, 200, "{resent:?}");
    let duplicates = resent.json_number("duplicates").expect("duplicates");
    assert!(
        duplicates == 0 || duplicates == ids.len() as u64,
        "{resent:?}"
    );
    let stored = inspect(&db);
    assert_eq!(stored.integrity, "ok");
    assert_eq!(stored.rows, ids.len() as u64);
    assert_eq!(stored.duplicated, 0);
    assert!(ids.iter().all(|id| stored.ids.contains(id)));
    assert_eq!(stored.session_events, ids.len() as i64);
    daemon.stop();
}

#[test]
fn mongodb_goes_away() {
    let uri = match std::env::var("MONGODB_URI") {
        Ok(uri) if !uri.trim().is_empty() => uri,
        _ => {
            if std::env::var("REQUIRE_MONGO").is_ok_and(|v| v == "1") {
                panic!("MONGODB_URI is not set and REQUIRE_MONGO=1");
            }
            skip("MongoDB going away: MONGODB_URI is not set");
            return;
        }
    };
    let relay = Relay::start(server_address(&uri));
    let url = format!(
        "mongodb://127.0.0.1:{}/faults_{}_{}?directConnection=true",
        relay.port,
        std::process::id(),
        shared::now_ms()
    );
    let mut daemon = Daemon::start_url(INGESTD, &url, &[]);
    let name = "MongoDB going away";
    let outcomes = run(
        name,
        Onset::Injection,
        &mut daemon,
        |_| relay.cut(),
        |_, ()| relay.restore(),
    );
    let (stored, listed) = stored_ids(&url);
    let acked = acknowledged(&outcomes);
    let missing = acked.iter().filter(|id| !stored.contains(**id)).count();
    assert_eq!(
        missing, 0,
        "{name}: acknowledged events missing from the store"
    );
    assert_eq!(
        listed,
        stored.len() as u64,
        "{name}: event ids stored twice"
    );
}
