//! Ingest benchmark: drives the real `ingestd` binary over loopback and prints
//! figures; it asserts nothing about time.
//!
//! ```text
//! cargo bench -p ingestd --bench ingest [-- --seconds 5 --connections 64]
//! ```
//!
//! `--daemon PATH` runs another build of `ingestd` (a copy of an earlier
//! one, say) under the same load, so two builds compare in one sitting.
//!
//! Phases, each on the same daemon process and database file:
//! 1. `GET /healthz` at full speed: the HTTP ceiling of this machine;
//! 2. single-event `POST /api/events`, keep-alive, `--connections` concurrent;
//! 3. batched POSTs of 20 events;
//! 4. single-event POSTs paced at half the rate phase 2 reached, for latency.
//!
//! Events are a page view, its scroll report and two clicks on an element,
//! in turn. Then it prints the daemon's peak RSS (VmHWM). The load generator is a minimal
//! HTTP/1.1 client on one thread, so the daemon gets most of the CPU.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use testkit::faults::daemon::{peak_rss_kib, Daemon};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Options {
    seconds: f64,
    connections: usize,
    extra_daemon_args: Vec<String>,
    daemon: std::path::PathBuf,
}

fn options() -> Options {
    let mut o = Options {
        seconds: 5.0,
        connections: 64,
        extra_daemon_args: Vec::new(),
        daemon: env!("CARGO_BIN_EXE_ingestd").into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                o.seconds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(o.seconds)
            }
            "--connections" => {
                o.connections = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(o.connections)
            }
            "--daemon-arg" => o.extra_daemon_args.extend(args.next()),
            "--daemon" => o.daemon = args.next().map_or(o.daemon, Into::into),
            _ => {} // cargo bench passes --bench
        }
    }
    o
}

/// CPU time the daemon's writer thread has used so far: with other work on
/// the machine, its time per event is steadier than the rates.
fn writer_cpu(pid: u32) -> Option<Duration> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
        if comm.trim() != "ingestd-writer" {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
        // Fields after the command's closing parenthesis; utime and stime
        // are the 14th and 15th of the whole line, in clock ticks (100/s).
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        return Some(Duration::from_millis(ticks * 10));
    }
    None
}

/// Prints the writer's CPU time per event of a phase.
fn report_writer(before: Option<Duration>, after: Option<Duration>, r: &PhaseResult) {
    if let (Some(before), Some(after)) = (before, after) {
        let used = after.saturating_sub(before);
        println!(
            "{:<34} writer CPU {:>6.1} µs per event ({:.0} % of one core)",
            "",
            used.as_secs_f64() * 1e6 / (r.events.max(1) as f64),
            used.as_secs_f64() * 100.0 / r.elapsed.as_secs_f64()
        );
    }
}

/// What one phase sends.
#[derive(Clone, Copy)]
enum Load {
    Health,
    Events { per_request: usize },
}

struct PhaseResult {
    requests: u64,
    events: u64,
    errors: u64,
    elapsed: Duration,
    latencies_us: Vec<u32>,
}

impl PhaseResult {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() - 1) as f64 * p).round() as usize;
        f64::from(self.latencies_us[i]) / 1000.0
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Requests a connection sends before it starts a new session.
const REQUESTS_PER_SESSION: u64 = 20;

fn request_bytes(load: Load, connection: usize, sequence: u64) -> Vec<u8> {
    match load {
        Load::Health => b"GET /healthz HTTP/1.1\r\nhost: bench\r\n\r\n".to_vec(),
        Load::Events { per_request } => {
            let now = shared::now_ms();
            let mut events = String::with_capacity(per_request * 200);
            for i in 0..per_request {
                let id = NEXT_ID.fetch_add(1, Relaxed);
                if i > 0 {
                    events.push(',');
                }
                if id % 4 == 0 {
                    events.push_str(&format!(
                        r#"{{"id":"e{id}","type":"page_view","ts":{now},"url":"https://shop.example/p/{}","title":"Product","viewport":[1280,720],"page":[1280,4200]}}"#,
                        id % 50
                    ));
                } else if id % 4 == 1 {
                    // One scroll report per page view, as pages are read.
                    events.push_str(&format!(
                        r#"{{"id":"e{id}","type":"scroll","ts":{now},"url":"https://shop.example/p/{}","viewport":[1280,720],"page":[1280,4200],"depth":0.{},"from":0}}"#,
                        id % 50,
                        2 + id % 8
                    ));
                } else {
                    events.push_str(&format!(
                        r#"{{"id":"e{id}","type":"click","ts":{now},"url":"https://shop.example/p/{}","x":{},"y":{},"viewport":[1280,720],"page":[1280,4200],"target":{{"selector":"main>div.card:nth-of-type(2)>button","text":"Buy now","box":[600,1780,120,40]}}}}"#,
                        id % 50,
                        id % 1280,
                        (id * 7) % 4200
                    ));
                }
            }
            let body = format!(
                r#"{{"site":"bench","session_id":"s{connection}-{}-{}","visitor_id":"v{connection}","events":[{events}]}}"#,
                std::process::id(),
                sequence / REQUESTS_PER_SESSION
            );
            let mut bytes = format!(
                "POST /api/events HTTP/1.1\r\nhost: bench\r\ncontent-type: text/plain\r\nuser-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\ncontent-length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            bytes.extend_from_slice(body.as_bytes());
            bytes
        }
    }
}

/// Reads one response; returns its status.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<u16> {
    buf.clear();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok(status);
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Runs `connections` keep-alive loops for `seconds`; with `interval`, each
/// connection sends at most one request per interval (paced load).
async fn run_phase(
    addr: SocketAddr,
    load: Load,
    connections: usize,
    seconds: f64,
    interval: Option<Duration>,
) -> PhaseResult {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for c in 0..connections {
        let errors = Arc::clone(&errors);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut requests = 0u64;
            let Ok(mut stream) = TcpStream::connect(addr).await else {
                errors.fetch_add(1, Relaxed);
                return (requests, latencies);
            };
            let _ = stream.set_nodelay(true);
            let mut buf = Vec::with_capacity(8192);
            let mut next = Instant::now();
            while Instant::now() < deadline {
                if let Some(interval) = interval {
                    tokio::time::sleep_until(next.into()).await;
                    next += interval;
                }
                let bytes = request_bytes(load, c, requests);
                let sent = Instant::now();
                if stream.write_all(&bytes).await.is_err() {
                    errors.fetch_add(1, Relaxed);
                    break;
                }
                match read_response(&mut stream, &mut buf).await {
                    Ok(200) => {
                        requests += 1;
                        latencies.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    }
                    Ok(_) => {
                        errors.fetch_add(1, Relaxed);
                    }
                    Err(_) => {
                        errors.fetch_add(1, Relaxed);
                        break;
                    }
                }
            }
            (requests, latencies)
        }));
    }
    let mut result = PhaseResult {
        requests: 0,
        events: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
    };
    for task in tasks {
        if let Ok((requests, latencies)) = task.await {
            result.requests += requests;
            result.latencies_us.extend(latencies);
        }
    }
    result.elapsed = started.elapsed();
    result.errors = errors.load(Relaxed);
    result.events = match load {
        Load::Health => 0,
        Load::Events { per_request } => result.requests * per_request as u64,
    };
    result.latencies_us.sort_unstable();
    result
}

fn report(name: &str, r: &PhaseResult) -> f64 {
    let secs = r.elapsed.as_secs_f64();
    let req_rate = r.requests as f64 / secs;
    let ev_rate = r.events as f64 / secs;
    println!(
        "{name:<34} {req_rate:>10.0} req/s {ev_rate:>10.0} events/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {}",
        r.percentile(0.50),
        r.percentile(0.99),
        r.errors
    );
    if r.events > 0 {
        ev_rate
    } else {
        req_rate
    }
}

fn main() {
    let o = options();
    let dir = tempfile::tempdir().expect("temp dir");
    let extra: Vec<&str> = o.extra_daemon_args.iter().map(String::as_str).collect();
    // Rate limit off, warnings logged (the harness's defaults), its own port.
    let daemon = Daemon::start(&o.daemon, &dir.path().join("bench.db"), &extra);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "ingest benchmark: {} connections, {} s per phase, {} cores, ingestd pid {}",
        o.connections,
        o.seconds,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        daemon.pid()
    );
    runtime.block_on(async {
        // Warm up connections, caches and the database file.
        run_phase(
            daemon.addr,
            Load::Events { per_request: 1 },
            o.connections,
            1.0,
            None,
        )
        .await;
        let health = run_phase(daemon.addr, Load::Health, o.connections, o.seconds, None).await;
        let health_rate = report("GET /healthz", &health);
        let pid = daemon.pid();
        let cpu = writer_cpu(pid);
        let single = run_phase(
            daemon.addr,
            Load::Events { per_request: 1 },
            o.connections,
            o.seconds,
            None,
        )
        .await;
        let single_rate = report("POST 1 event", &single);
        let cpu_single = writer_cpu(pid);
        report_writer(cpu, cpu_single, &single);
        let batched = run_phase(
            daemon.addr,
            Load::Events { per_request: 20 },
            o.connections,
            o.seconds,
            None,
        )
        .await;
        report("POST 20 events", &batched);
        report_writer(cpu_single, writer_cpu(pid), &batched);
        let half = single_rate / 2.0;
        let interval = Duration::from_secs_f64(o.connections as f64 / half.max(1.0));
        let paced = run_phase(
            daemon.addr,
            Load::Events { per_request: 1 },
            o.connections,
            o.seconds,
            Some(interval),
        )
        .await;
        report(&format!("POST 1 event paced at {half:.0}/s"), &paced);
        println!(
            "single-event rate / healthz rate: {:.2}",
            single_rate / health_rate.max(1.0)
        );
        if let Some(commits) = daemon.metric("ingestd_commit_duration_seconds_count") {
            let value = |name: &str| daemon.metric(name).unwrap_or(0.0);
            println!(
                "commits: {commits:.0}, mean {:.2} ms, mean {:.1} events per commit",
                value("ingestd_commit_duration_seconds_sum") * 1000.0 / commits.max(1.0),
                value("ingestd_commit_batch_events_sum") / commits.max(1.0)
            );
        }
    });
    match peak_rss_kib(daemon.pid()) {
        Some(kib) => println!("ingestd peak RSS: {:.1} MiB", kib as f64 / 1024.0),
        None => println!("ingestd peak RSS: unavailable"),
    }
}
