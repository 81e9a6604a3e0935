//! Fault-injection harness of ingestd's reliability tests (`crash`,
//! `db_faults`, `overload`, `slow_clients`, `soak`) and its soak benchmark.
//!
//! - [`daemon`]: the real `ingestd` binary (the caller's) as a child process
//!   that can be killed with SIGKILL, restarted on the same port and
//!   database, and probed through `/proc` (RSS, open file descriptors) and
//!   `/metrics`;
//! - [`http`]: a minimal HTTP/1.1 client over tokio and the request bodies;
//! - [`store`]: what the database holds after the fact (integrity, ids,
//!   duplicates) and a write lock held by another connection;
//! - [`disk`]: read-only files and a full filesystem;
//! - [`load`]: steady clients and the record of every request they sent;
//! - [`soak`]: the soak run (steady load, malformed requests, a live reader);
//! - [`crate::relay`]: a database server that goes away and comes back.
//!
//! Every test runs a short version by default (fast enough for CI) and the
//! long version with `FAULTS_LONG=1`. `FAULTS_SEED` replays a randomised run.

pub mod daemon;
pub mod disk;
pub mod http;
pub mod load;
pub mod soak;
pub mod store;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{SystemTime, UNIX_EPOCH};

/// Reports a case that cannot run here: `skipped: …` on the real stderr
/// (past the test harness's capture, so it shows in CI logs), or a panic
/// when `FAULTS_REQUIRE=1` says every case must run.
pub fn skip(reason: &str) {
    if std::env::var("FAULTS_REQUIRE").is_ok_and(|v| v == "1") {
        panic!("{reason} (FAULTS_REQUIRE=1)");
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {reason}");
}

/// Whether the long version was asked for (`FAULTS_LONG=1`).
pub fn long() -> bool {
    std::env::var("FAULTS_LONG").is_ok_and(|v| v == "1")
}

/// A number from the environment, or `default`.
pub fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The seed of this run: `FAULTS_SEED`, else the clock. Printed, so a failing
/// run can be replayed.
pub fn seed() -> u64 {
    let seed = std::env::var("FAULTS_SEED")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    println!("FAULTS_SEED={seed}");
    seed
}

/// Raises this process's open-file limit to its hard limit; the daemon,
/// started from here, inherits it. Returns the new soft limit.
pub fn raise_fd_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    let raised = Rlimit {
        current: limit.maximum,
        maximum: limit.maximum,
    };
    if setrlimit(Resource::Nofile, raised).is_ok() {
        limit.maximum.unwrap_or(u64::MAX)
    } else {
        limit.current.unwrap_or(u64::MAX)
    }
}

/// Holds every thread of process `daemon` to one CPU and every thread of
/// this process (the load generator) to another, so that the generator can
/// offer more than the daemon sustains instead of taking the daemon's CPU.
/// Returns the two CPUs, or `None` when fewer than two are available.
/// Threads started later inherit the CPU of the thread that starts them.
pub fn pin_apart(daemon: u32) -> Option<(usize, usize)> {
    use rustix::thread::{sched_getaffinity, sched_setaffinity, CpuSet, Pid};
    let allowed = sched_getaffinity(None).ok()?;
    let mut cpus = (0..CpuSet::MAX_CPU).filter(|&cpu| allowed.is_set(cpu));
    let (daemon_cpu, own_cpu) = (cpus.next()?, cpus.next()?);
    let pin = |pid: u32, cpu: usize| -> Option<()> {
        let mut set = CpuSet::new();
        set.set(cpu);
        for task in std::fs::read_dir(format!("/proc/{pid}/task"))
            .ok()?
            .flatten()
        {
            let tid = task.file_name().to_str()?.parse::<i32>().ok()?;
            sched_setaffinity(Pid::from_raw(tid), &set).ok()?;
        }
        Some(())
    };
    pin(daemon, daemon_cpu)?;
    pin(std::process::id(), own_cpu)?;
    Some((daemon_cpu, own_cpu))
}

/// Unique ids for events, distinct between runs and between processes.
pub struct IdSource {
    prefix: String,
    next: AtomicU64,
}

impl IdSource {
    pub fn new(label: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let label: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(16)
            .collect();
        Self {
            prefix: format!("{label}-{}-{:x}", std::process::id(), nanos & 0xff_ffff),
            next: AtomicU64::new(0),
        }
    }

    pub fn next(&self) -> String {
        format!("{}-{}", self.prefix, self.next.fetch_add(1, Relaxed))
    }

    pub fn take(&self, n: usize) -> Vec<String> {
        (0..n).map(|_| self.next()).collect()
    }
}

/// A multi-threaded tokio runtime with two workers, like the machine.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}
