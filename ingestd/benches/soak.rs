//! The soak run: ten minutes (by default) of steady load at half the
//! measured saturation rate, 5 % of it malformed, against the real `ingestd`
//! binary while the real console (`analytics-tui`) shows its live view of the
//! same database. Prints samples of the daemon's RSS, open file descriptors
//! and database files, then one PASS/FAIL line per criterion; exits 1 when a
//! criterion fails.
//!
//! ```text
//! cargo build --release -p tui && cargo bench -p ingestd --bench soak -- --minutes 10
//! ```
//!
//! Options: `--minutes M`, `--warm-up-seconds S` (default: half the run), `--rate R`
//! (requests per second instead of half the measured saturation),
//! `--console PATH` (default: `analytics-tui` in the same target directory;
//! `--console queries` runs the live view's queries on a thread instead).

use std::path::PathBuf;
use std::time::Duration;
use testkit::faults::soak::{run, Console, SoakOptions};

/// `analytics-tui` built into the same target directory as this benchmark.
fn sibling_console() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let console = profile_dir.join("analytics-tui");
    console.is_file().then_some(console)
}

fn main() {
    let mut minutes: f64 = 10.0;
    // Half the run. Caches sized by count fill at the ingest rate: the
    // writer's interned ids (100,000, then it starts over) take about two
    // minutes at 15k requests/s, and RSS is level after the second fill
    // (see BENCHMARKS.md, Reliability).
    let mut warm_up: Option<f64> = None;
    let mut rate = None;
    let mut console = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--minutes" => minutes = args.next().and_then(|v| v.parse().ok()).unwrap_or(minutes),
            "--warm-up-seconds" => warm_up = args.next().and_then(|v| v.parse().ok()),
            "--rate" => rate = args.next().and_then(|v| v.parse().ok()),
            "--console" => console = args.next(),
            _ => {} // cargo bench passes --bench
        }
    }
    let console = match console.as_deref() {
        Some("queries") => Console::Queries,
        Some(path) => Console::Binary(PathBuf::from(path)),
        None => match sibling_console() {
            Some(path) => Console::Binary(path),
            None => {
                println!(
                    "note: no analytics-tui beside this benchmark (cargo build --release -p tui); \
                     the live view's queries run on a thread instead"
                );
                Console::Queries
            }
        },
    };
    testkit::faults::raise_fd_limit();
    let dir = tempfile::tempdir().expect("temp dir");
    let duration = Duration::from_secs_f64(minutes * 60.0);
    let report = run(
        &dir.path().join("soak.db"),
        SoakOptions {
            daemon: env!("CARGO_BIN_EXE_ingestd").into(),
            duration,
            warm_up: Duration::from_secs_f64(warm_up.unwrap_or(minutes * 30.0)),
            rate,
            measure: Duration::from_secs(10),
            malformed_every: 20,
            sample_every: Duration::from_secs(5).min(duration / 20),
            clients: 64,
            console,
        },
    );
    report.print();
    if !report.passed() {
        std::process::exit(1);
    }
}
