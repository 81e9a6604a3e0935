//! Soak, short version: steady load at half the measured saturation rate
//! with 5 % malformed requests while the live view's queries read the
//! database. After warm-up the daemon's RSS grows less than 10 %, its open
//! file descriptors stay put, the write-ahead log stays bounded and keeps
//! restarting (checkpoints are not starved by the reader), and nothing gets
//! a 5xx.
//!
//! The documented ten-minute run, with the real console in its live view:
//!
//! ```text
//! cargo build --release -p tui && cargo bench -p ingestd --bench soak -- --minutes 10
//! ```

use std::time::Duration;
use testkit::faults::soak::{run, Console, SoakOptions};
use testkit::faults::{long, raise_fd_limit};

#[test]
fn soak_at_half_saturation_with_a_live_reader() {
    raise_fd_limit();
    let dir = tempfile::tempdir().expect("temp dir");
    let (duration, warm_up) = if long() {
        (Duration::from_secs(600), Duration::from_secs(60))
    } else {
        // The database's page caches (about 10 MiB) fill during the warm-up.
        (Duration::from_secs(24), Duration::from_secs(12))
    };
    let report = run(
        &dir.path().join("soak.db"),
        SoakOptions {
            daemon: env!("CARGO_BIN_EXE_ingestd").into(),
            duration,
            warm_up,
            rate: None,
            measure: Duration::from_secs(2),
            malformed_every: 20,
            sample_every: Duration::from_millis(500),
            clients: 64,
            console: Console::Queries,
        },
    );
    report.print();
    for verdict in report.verdicts() {
        assert!(verdict.pass, "{}: {}", verdict.name, verdict.detail);
    }
}
