//! The real `ingestd` binary as a child process: start, SIGKILL, restart on
//! the same port and database, graceful stop, and probes of its RSS, open
//! file descriptors and `/metrics`.
//!
//! The binary is the caller's: ingestd's tests and benchmarks pass
//! `env!("CARGO_BIN_EXE_ingestd")`, the one cargo built for them.

use crate::ports::{self, Started};
use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Options every fault test starts the daemon with, unless it passes its own.
const DEFAULT_ARGS: &[(&str, &str)] = &[("--rate-limit", "0"), ("--log", "warn")];

/// How long a (debug-built) daemon may take to start answering.
const START_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Daemon {
    child: Option<Child>,
    pub addr: SocketAddr,
    /// The SQLite file (empty for another engine).
    pub db: PathBuf,
    db_url: String,
    binary: PathBuf,
    args: Vec<String>,
    user: Option<(u32, u32)>,
    /// The log lives apart from the database, so that it neither fills nor
    /// needs the database's filesystem.
    _log_dir: tempfile::TempDir,
    log: PathBuf,
    /// Times it was started.
    pub starts: u32,
}

impl Daemon {
    /// Starts the `ingestd` binary at `binary` on a free port over the SQLite
    /// file `db` and waits until it answers `/healthz`.
    pub fn start(binary: impl AsRef<Path>, db: &Path, args: &[&str]) -> Self {
        Self::start_as(binary, db, args, None)
    }

    /// Starts the binary on the database `url` (any engine).
    pub fn start_url(binary: impl AsRef<Path>, url: &str, args: &[&str]) -> Self {
        Self::launch(binary.as_ref(), PathBuf::new(), url.to_owned(), args, None)
    }

    /// Like [`Daemon::start`], running as the user and group `user` when given.
    pub fn start_as(
        binary: impl AsRef<Path>,
        db: &Path,
        args: &[&str],
        user: Option<(u32, u32)>,
    ) -> Self {
        Self::launch(
            binary.as_ref(),
            db.to_owned(),
            format!("sqlite:{}", db.display()),
            args,
            user,
        )
    }

    fn launch(
        built: &Path,
        db: PathBuf,
        db_url: String,
        args: &[&str],
        user: Option<(u32, u32)>,
    ) -> Self {
        let log_dir = tempfile::tempdir().expect("log dir");
        // Another user may not reach the build directory (it may sit in
        // root's home): that user runs a copy kept beside its database.
        let binary = match (user, db.parent()) {
            (Some(_), Some(dir)) => {
                let copy = dir.join("ingestd");
                std::fs::copy(built, &copy).expect("copy the ingestd binary");
                copy
            }
            _ => built.to_owned(),
        };
        let log = log_dir.path().join("ingestd.log");
        let mut daemon = Self {
            child: None,
            // Chosen by the first start.
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            db,
            db_url,
            binary,
            args: args.iter().map(|a| a.to_string()).collect(),
            user,
            _log_dir: log_dir,
            log,
            starts: 0,
        };
        daemon.first_start();
        daemon
    }

    /// Starts the process on a free port, and again on another while it
    /// exits before it listens there ([`ports`]: the port was taken
    /// between choosing and binding); restarts keep the port it got.
    fn first_start(&mut self) {
        for _ in 0..5 {
            self.addr = SocketAddr::from(([127, 0, 0, 1], ports::free_port()));
            self.spawn();
            let port = self.addr.port();
            let child = self.child.as_mut().expect("a daemon just started");
            match ports::wait_listening(child, &[port], START_TIMEOUT) {
                Started::Listening => {
                    self.wait_ready();
                    return;
                }
                Started::Exited => {}
                Started::TimedOut => {
                    panic!("ingestd did not listen in time; log:\n{}", self.log_tail())
                }
            }
        }
        panic!(
            "ingestd exited at start-up five times; log:\n{}",
            self.log_tail()
        );
    }

    fn spawn(&mut self) {
        let mut command = Command::new(&self.binary);
        command
            .arg("--listen")
            .arg(self.addr.to_string())
            .arg("--db")
            .arg(&self.db_url);
        for (flag, value) in DEFAULT_ARGS {
            if !self.args.iter().any(|a| a == flag) {
                command.args([flag, value]);
            }
        }
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("daemon log file");
        command
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log));
        if let Some((uid, gid)) = self.user {
            command.uid(uid).gid(gid);
        }
        self.child = Some(command.spawn().expect("start ingestd"));
        self.starts += 1;
    }

    /// Waits until `/healthz` answers 200; panics (with the log) if the
    /// process exits or does not answer in time.
    pub fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!(
                        "ingestd exited at start-up ({status}); log:\n{}",
                        self.log_tail()
                    );
                }
            }
            // Its own socket: a port taken meanwhile may answer for another.
            let own = self
                .child
                .as_ref()
                .is_some_and(|c| ports::listening(c.id(), self.addr.port()));
            if own && get(self.addr, "/healthz").is_some_and(|(status, _)| status == 200) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "ingestd did not answer in time; log:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .map(Child::id)
            .expect("a running daemon")
    }

    /// `kill -9`, then reaps the process.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the process again on the same port and database and waits for it.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
        self.wait_ready();
    }

    /// SIGTERM, then waits for the exit (graceful shutdown drains the queue).
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("a running daemon");
        let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("a pid");
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "ingestd did not stop after SIGTERM; log:\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Resident set size in KiB (`VmRSS`).
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid()).unwrap_or(0)
    }

    /// Open file descriptors (entries of `/proc/PID/fd`).
    pub fn fd_count(&self) -> usize {
        fd_count(self.pid()).unwrap_or(0)
    }

    /// The value of one metric line (`name` including labels), from a fresh
    /// connection.
    pub fn metric(&self, name: &str) -> Option<f64> {
        let (_, text) = get(self.addr, "/metrics")?;
        metric_value(&text, name)
    }

    /// The last 40 lines of the daemon's log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Lines of the log that contain `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(needle))
            .count()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The value of the metric line starting with `name ` in a Prometheus text.
pub fn metric_value(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// One blocking `GET` on a fresh connection: status and body.
pub fn get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: faults\r\nconnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let status = text.get(9..12)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

/// `VmRSS` of a process in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    status_field(pid, "VmRSS:")
}

/// `VmHWM` (peak RSS) of a process in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    status_field(pid, "VmHWM:")
}

fn status_field(pid: u32, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Open file descriptors of a process.
pub fn fd_count(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// The size of a file, 0 when it does not exist.
pub fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The path of a database's write-ahead log.
pub fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}
