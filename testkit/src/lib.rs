//! Test code the workspace's tests and benchmarks share, kept out of the
//! shipped crates: every crate takes it as a dev-dependency only, so nothing
//! here is compiled into `ingestd` or `analytics-tui`.
//!
//! - [`conformance`] — the storage conformance suite every engine passes
//!   ([`conformance_tests!`], [`conformance::CASES`]);
//! - [`stores`] — fresh, empty stores for it: SQLite files in temporary
//!   directories, databases on the MongoDB test server;
//! - [`faults`] — the fault-injection harness of ingestd's reliability tests
//!   and soak benchmark: the real binary as a process, load, disk faults;
//! - [`mongo`] — the MongoDB test server (`MONGODB_URI`, `REQUIRE_MONGO`),
//!   database names on it and dropping them;
//! - [`ports`] — loopback ports for the processes tests start, each known
//!   to be listened on by its own process;
//! - [`relay`] — a TCP relay in front of a database server that can be cut
//!   away and restored;
//! - [`pty`] — a program started in a pseudo-terminal of a given size;
//! - [`workload`] — the write workload of the store benchmarks;
//! - [`shop`] — a shop's generated traffic, the console benchmark's data.

pub mod conformance;
pub mod faults;
pub mod mongo;
pub mod ports;
#[cfg(unix)]
pub mod pty;
pub mod relay;
pub mod shop;
pub mod stores;
pub mod workload;
