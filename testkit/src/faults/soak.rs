//! The soak run: the real daemon under steady load at half its measured
//! saturation rate, 5 % of the requests malformed, while the console reads
//! the database in live mode; `/proc` and the database files are sampled
//! throughout. Used by the `soak` test (short) and the `soak` benchmark
//! (the documented ten-minute run).
//!
//! The console is the real `analytics-tui` binary in a pseudo-terminal,
//! switched to its live view, when one is given; otherwise a thread does
//! what the live view does: every 500 ms it reads the change token and,
//! when it moved, the next 200 events after its cursor.

use super::daemon::{fd_count, file_size, rss_kib, wal_path, Daemon};
use super::http::{batch_body, malformed_body, post, Conn};
use super::load::saturation;
use super::IdSource;
use crate::pty::spawn_in_pty;
use shared::store::sqlite::SqliteReader;
use shared::store::EventReader;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What reads the database while the load runs.
#[derive(Debug, Clone)]
pub enum Console {
    /// The `analytics-tui` binary at this path, in its live view.
    Binary(PathBuf),
    /// The live view's queries on a thread of this process.
    Queries,
}

#[derive(Debug, Clone)]
pub struct SoakOptions {
    /// The `ingestd` binary under load.
    pub daemon: PathBuf,
    pub duration: Duration,
    pub warm_up: Duration,
    /// Requests per second; `None`: half of the rate measured first.
    pub rate: Option<f64>,
    /// How long the saturation rate is measured.
    pub measure: Duration,
    /// Every `n`-th request is malformed (20: 5 %).
    pub malformed_every: u64,
    pub sample_every: Duration,
    pub clients: usize,
    pub console: Console,
}

/// The writer connection's page cache bound (`cache_size = -8192`, in
/// `shared/src/store/sqlite/writer.rs`).
const WRITER_CACHE_BYTES: u64 = 8192 * 1024;

/// One look at the daemon and the files.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub at: Duration,
    pub rss_kib: u64,
    pub fds: usize,
    pub wal_bytes: u64,
    pub db_bytes: u64,
    /// The write-ahead log's checkpoint sequence number: it grows each time
    /// the log restarts from its beginning after a complete checkpoint.
    pub wal_restarts: u32,
    pub requests: u64,
    pub console_rss_kib: u64,
    /// The console's progress so far: KiB it drew (the binary) or reads it
    /// made (the queries).
    pub console_progress: u64,
}

/// Latencies in 100 µs buckets up to 2 s (the last bucket holds the rest).
struct Histogram {
    buckets: Vec<AtomicU64>,
}

impl Histogram {
    fn new() -> Self {
        Self {
            buckets: (0..20_001).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn observe(&self, latency: Duration) {
        let i = ((latency.as_micros() / 100) as usize).min(self.buckets.len() - 1);
        self.buckets[i].fetch_add(1, Relaxed);
    }

    /// The `p`-quantile in milliseconds (bucket upper bound).
    fn quantile_ms(&self, p: f64) -> f64 {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        let rank = (total as f64 * p).ceil() as u64;
        let mut seen = 0;
        for (i, n) in counts.iter().enumerate() {
            seen += n;
            if seen >= rank.max(1) {
                return (i + 1) as f64 / 10.0;
            }
        }
        0.0
    }
}

/// Answers counted by kind.
#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    ok: AtomicU64,
    malformed_refused: AtomicU64,
    malformed_other: AtomicU64,
    valid_refused: AtomicU64,
    server_errors: AtomicU64,
    unanswered: AtomicU64,
}

pub struct SoakReport {
    pub options: SoakOptions,
    pub saturation: Option<f64>,
    pub rate: f64,
    pub elapsed: Duration,
    pub samples: Vec<Sample>,
    pub requests: u64,
    pub ok: u64,
    pub malformed_refused: u64,
    pub malformed_other: u64,
    pub valid_refused: u64,
    pub server_errors: u64,
    pub unanswered: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub console: String,
    /// What the console did: reads made, or bytes it drew.
    pub console_activity: String,
    pub peak_rss_kib: u64,
}

/// One criterion of the soak, judged.
pub struct Verdict {
    pub name: &'static str,
    pub pass: bool,
    pub detail: String,
}

/// The writer checkpoints the log itself when it reaches 16,384 pages of
/// 4 KiB; a log much longer than that means checkpoints are starved.
const WAL_BOUND: u64 = 64 * 1024 * 1024 + 4 * 1024 * 1024;

impl SoakReport {
    fn after_warm_up(&self) -> impl Iterator<Item = &Sample> {
        let warm_up = self.options.warm_up;
        self.samples.iter().filter(move |s| s.at >= warm_up)
    }

    pub fn verdicts(&self) -> Vec<Verdict> {
        let after: Vec<&Sample> = self.after_warm_up().collect();
        let Some(first) = after.first() else {
            return vec![Verdict {
                name: "samples after warm-up",
                pass: false,
                detail: "none: the run was shorter than its warm-up".into(),
            }];
        };
        // Growth above the highest RSS of the warm-up: caches that fill and
        // start over make a sawtooth, and a sample that lands in a trough
        // is no baseline.
        let warm_up = self.options.warm_up;
        let warm_peak = self
            .samples
            .iter()
            .filter(|s| s.at < warm_up)
            .map(|s| s.rss_kib)
            .max()
            .unwrap_or(first.rss_kib)
            .max(first.rss_kib);
        let max_rss = after.iter().map(|s| s.rss_kib).max().unwrap_or(0);
        // The writer's SQLite page cache fills as the database grows, up to
        // its bound: that is memory in use, not a leak, so the growth is
        // counted above what the cache can have taken since the warm-up.
        let cached = |db_bytes: u64| db_bytes.min(WRITER_CACHE_BYTES) / 1024;
        let warm_db = self
            .samples
            .iter()
            .filter(|s| s.at < warm_up)
            .map(|s| s.db_bytes)
            .max()
            .unwrap_or(first.db_bytes);
        let max_db = after.iter().map(|s| s.db_bytes).max().unwrap_or(warm_db);
        let cache_fill = cached(max_db).saturating_sub(cached(warm_db));
        let growth =
            (max_rss as f64 - warm_peak as f64 - cache_fill as f64) / warm_peak.max(1) as f64;
        let (min_fds, max_fds) = after.iter().fold((usize::MAX, 0), |(lo, hi), s| {
            (lo.min(s.fds), hi.max(s.fds))
        });
        let max_wal = self.samples.iter().map(|s| s.wal_bytes).max().unwrap_or(0);
        let last = after.last().unwrap_or(first);
        let restarts = last.wal_restarts.saturating_sub(first.wal_restarts);
        vec![
            Verdict {
                name: "RSS growth after warm-up < 10 %",
                pass: growth < 0.10,
                detail: format!(
                    "at most {:.1} MiB during warm-up, at most {:.1} MiB after, of which \
                     {:.1} MiB the writer's page cache filling as the database grew: {:+.1} %",
                    warm_peak as f64 / 1024.0,
                    max_rss as f64 / 1024.0,
                    cache_fill as f64 / 1024.0,
                    growth * 100.0
                ),
            },
            Verdict {
                name: "open file descriptors stable",
                pass: max_fds - min_fds <= 2,
                detail: format!("{min_fds}..{max_fds} after warm-up"),
            },
            Verdict {
                name: "WAL bounded, checkpoints not starved",
                pass: max_wal <= WAL_BOUND && restarts > 0,
                detail: format!(
                    "largest {:.1} MiB (bound {} MiB); the log restarted {restarts} times after warm-up",
                    max_wal as f64 / 1048576.0,
                    WAL_BOUND >> 20
                ),
            },
            Verdict {
                name: "no 5xx",
                pass: self.server_errors == 0 && self.unanswered == 0,
                detail: format!(
                    "{} x 5xx, {} unanswered of {} requests",
                    self.server_errors, self.unanswered, self.requests
                ),
            },
            Verdict {
                name: "malformed requests refused, valid ones stored",
                pass: self.malformed_other == 0 && self.valid_refused == 0,
                detail: format!(
                    "{} malformed answered 4xx, {} otherwise; {} valid answered 200, {} otherwise",
                    self.malformed_refused, self.malformed_other, self.ok, self.valid_refused
                ),
            },
        ]
    }

    pub fn passed(&self) -> bool {
        self.verdicts().iter().all(|v| v.pass)
    }

    pub fn print(&self) {
        let secs = self.elapsed.as_secs_f64();
        println!(
            "soak: {:.0} s at {:.0} req/s{} with {:.0} % malformed, {} keep-alive clients; console: {} ({})",
            secs,
            self.rate,
            self.saturation
                .map(|s| format!(" (half the measured saturation {s:.0} req/s)"))
                .unwrap_or_default(),
            100.0 / self.options.malformed_every as f64,
            self.options.clients,
            self.console,
            self.console_activity,
        );
        println!(
            "requests {} ({:.0}/s): {} x 200, p50 {:.1} ms, p99 {:.1} ms; daemon peak RSS {:.1} MiB",
            self.requests,
            self.requests as f64 / secs,
            self.ok,
            self.p50_ms,
            self.p99_ms,
            self.peak_rss_kib as f64 / 1024.0
        );
        println!(
            "{:>8} {:>10} {:>5} {:>10} {:>10} {:>9} {:>12} {:>12} {:>10}",
            "t (s)",
            "RSS MiB",
            "fds",
            "WAL MiB",
            "DB MiB",
            "restarts",
            "requests",
            "console MiB",
            if matches!(self.options.console, Console::Binary(_)) {
                "drawn KiB"
            } else {
                "reads"
            }
        );
        let step = (self.samples.len() / 20).max(1);
        for (i, s) in self.samples.iter().enumerate() {
            if i % step == 0 || i + 1 == self.samples.len() {
                println!(
                    "{:>8.0} {:>10.1} {:>5} {:>10.1} {:>10.1} {:>9} {:>12} {:>12.1} {:>10}",
                    s.at.as_secs_f64(),
                    s.rss_kib as f64 / 1024.0,
                    s.fds,
                    s.wal_bytes as f64 / 1048576.0,
                    s.db_bytes as f64 / 1048576.0,
                    s.wal_restarts,
                    s.requests,
                    s.console_rss_kib as f64 / 1024.0,
                    s.console_progress
                );
            }
        }
        for v in self.verdicts() {
            println!(
                "{} {}: {}",
                if v.pass { "PASS" } else { "FAIL" },
                v.name,
                v.detail
            );
        }
    }
}

/// The write-ahead log's checkpoint sequence number (bytes 12..16 of its header).
fn wal_checkpoint_sequence(db: &Path) -> u32 {
    use std::io::Read;
    let mut header = [0u8; 16];
    std::fs::File::open(wal_path(db))
        .and_then(|mut f| f.read_exact(&mut header))
        .map(|()| u32::from_be_bytes([header[12], header[13], header[14], header[15]]))
        .unwrap_or(0)
}

/// Paced keep-alive clients; every `malformed_every`-th request is malformed.
fn spawn_clients(
    addr: SocketAddr,
    options: &SoakOptions,
    rate: f64,
    tally: Arc<Tally>,
    latencies: Arc<Histogram>,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let clients = options.clients.max(1);
    let interval = Duration::from_secs_f64(clients as f64 / rate.max(1.0));
    let every = options.malformed_every.max(1);
    let ids = Arc::new(IdSource::new("soak"));
    (0..clients)
        .map(|c| {
            let (tally, latencies, stop, ids) = (
                Arc::clone(&tally),
                Arc::clone(&latencies),
                Arc::clone(&stop),
                Arc::clone(&ids),
            );
            tokio::spawn(async move {
                let mut conn: Option<Conn> = None;
                let mut next = Instant::now() + interval.mul_f64(c as f64 / clients as f64);
                let mut n = 0u64;
                while !stop.load(Relaxed) {
                    tokio::time::sleep_until(next.into()).await;
                    next += interval;
                    let now = Instant::now();
                    if next + Duration::from_secs(1) < now {
                        next = now;
                    }
                    let sequence = n * clients as u64 + c as u64;
                    let malformed = sequence % every == every - 1;
                    let body = if malformed {
                        malformed_body(sequence)
                    } else {
                        batch_body("soak", &format!("s{c}-{}", n / 20), &ids.take(1))
                    };
                    n += 1;
                    if conn.is_none() {
                        conn = Conn::connect(addr).await.ok();
                    }
                    let sent = Instant::now();
                    let answer = match conn.as_mut() {
                        Some(conn) => conn.send(&post(&body)).await.ok(),
                        None => None,
                    };
                    tally.requests.fetch_add(1, Relaxed);
                    let counter = match answer.as_ref().map(|r| r.status) {
                        None => {
                            conn = None;
                            &tally.unanswered
                        }
                        Some(500..=599) => &tally.server_errors,
                        Some(400..=499) if malformed => &tally.malformed_refused,
                        Some(_) if malformed => &tally.malformed_other,
                        Some(200) => {
                            latencies.observe(sent.elapsed());
                            &tally.ok
                        }
                        Some(_) => &tally.valid_refused,
                    };
                    counter.fetch_add(1, Relaxed);
                }
            })
        })
        .collect()
}

/// The live view's reads on a thread: change token every 500 ms, the tail
/// after the cursor when it moved.
fn spawn_live_queries(
    db: PathBuf,
    reads: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader: Option<SqliteReader> = None;
        let mut token: Option<u64> = None;
        let mut cursor: Option<String> = None;
        while !stop.load(Relaxed) {
            std::thread::sleep(Duration::from_millis(500));
            if reader.is_none() {
                reader = SqliteReader::open(&db).ok();
            }
            let Some(r) = reader.as_ref() else { continue };
            let Ok(now) = r.change_token() else { continue };
            if token == Some(now) && cursor.is_some() {
                continue;
            }
            if let Ok(tail) = r.live_tail(cursor.as_deref(), 200) {
                cursor = tail.cursor;
                token = Some(now);
                reads.fetch_add(1, Relaxed);
            }
        }
    })
}

/// The real console in a pseudo-terminal, in its live view.
struct ConsoleProcess {
    child: std::process::Child,
    input: std::fs::File,
    output_bytes: Arc<AtomicU64>,
}

impl ConsoleProcess {
    fn start(binary: &Path, db: &Path) -> Self {
        use std::io::{Read, Write};
        let mut command = std::process::Command::new(binary);
        command
            .arg("--db")
            .arg(format!("sqlite:{}", db.display()))
            .env("TERM", "xterm-256color");
        let (child, mut input, mut reader) = spawn_in_pty(&mut command, 40, 120);
        let output_bytes = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&output_bytes);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = reader.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                counted.fetch_add(n as u64, Relaxed);
            }
        });
        // Once the first frame is drawn: the live view (6), live updates on (L).
        let deadline = Instant::now() + Duration::from_secs(10);
        while output_bytes.load(Relaxed) == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        let _ = input.write_all(b"6");
        let _ = input.flush();
        std::thread::sleep(Duration::from_millis(300));
        let _ = input.write_all(b"L");
        let _ = input.flush();
        Self {
            child,
            input,
            output_bytes,
        }
    }

    fn stop(mut self) {
        use std::io::Write;
        let _ = self.input.write_all(b"q");
        let _ = self.input.flush();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the soak against a daemon started on `db` and reports.
pub fn run(db: &Path, options: SoakOptions) -> SoakReport {
    let mut daemon = Daemon::start(&options.daemon, db, &[]);
    let addr = daemon.addr;
    let pid = daemon.pid();
    let rt = super::runtime();
    let saturation = match options.rate {
        Some(_) => None,
        None => Some(rt.block_on(saturation(addr, "soak", 64, options.measure))),
    };
    let rate = options
        .rate
        .unwrap_or_else(|| saturation.unwrap_or(0.0) / 2.0);

    let stop = Arc::new(AtomicBool::new(false));
    let console_reads = Arc::new(AtomicU64::new(0));
    let (console_name, console_process, live_queries) = match &options.console {
        Console::Binary(path) => (
            format!("{} (live view)", path.display()),
            Some(ConsoleProcess::start(path, db)),
            None,
        ),
        Console::Queries => (
            "the live view's queries on a thread".to_owned(),
            None,
            Some(spawn_live_queries(
                db.to_owned(),
                Arc::clone(&console_reads),
                Arc::clone(&stop),
            )),
        ),
    };

    let tally = Arc::new(Tally::default());
    let latencies = Arc::new(Histogram::new());
    let clients = {
        let _guard = rt.enter();
        spawn_clients(
            addr,
            &options,
            rate,
            Arc::clone(&tally),
            Arc::clone(&latencies),
            Arc::clone(&stop),
        )
    };
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut next = started;
    while started.elapsed() < options.duration {
        let console_rss_kib = console_process
            .as_ref()
            .and_then(|c| rss_kib(c.child.id()))
            .unwrap_or(0);
        samples.push(Sample {
            at: started.elapsed(),
            rss_kib: rss_kib(pid).unwrap_or(0),
            fds: fd_count(pid).unwrap_or(0),
            wal_bytes: file_size(&wal_path(db)),
            db_bytes: file_size(db),
            wal_restarts: wal_checkpoint_sequence(db),
            requests: tally.requests.load(Relaxed),
            console_rss_kib,
            console_progress: match console_process.as_ref() {
                Some(c) => c.output_bytes.load(Relaxed) / 1024,
                None => console_reads.load(Relaxed),
            },
        });
        next += options.sample_every;
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    let elapsed = started.elapsed();
    stop.store(true, Relaxed);
    rt.block_on(async {
        for client in clients {
            let _ = client.await;
        }
    });
    if let Some(thread) = live_queries {
        let _ = thread.join();
    }
    let console_activity = match console_process {
        Some(console) => {
            let bytes = console.output_bytes.load(Relaxed);
            console.stop();
            format!("{} KiB of screen updates drawn", bytes / 1024)
        }
        None => format!("{} reads of new events", console_reads.load(Relaxed)),
    };
    let peak_rss_kib = super::daemon::peak_rss_kib(pid).unwrap_or(0);
    let _ = daemon.stop();
    SoakReport {
        saturation,
        rate,
        elapsed,
        samples,
        requests: tally.requests.load(Relaxed),
        ok: tally.ok.load(Relaxed),
        malformed_refused: tally.malformed_refused.load(Relaxed),
        malformed_other: tally.malformed_other.load(Relaxed),
        valid_refused: tally.valid_refused.load(Relaxed),
        server_errors: tally.server_errors.load(Relaxed),
        unanswered: tally.unanswered.load(Relaxed),
        p50_ms: latencies.quantile_ms(0.50),
        p99_ms: latencies.quantile_ms(0.99),
        console: console_name,
        console_activity,
        peak_rss_kib,
        options,
    }
}
