//! The `ingestd` binary itself: configuration from the environment, and a
//! graceful exit 0 on SIGTERM and SIGINT with every acknowledged event stored.

mod common;

use common::*;
use shared::store::query::{Filter, PageRequest};
use shared::store::EventReader;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "ingestd did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn run_and_stop(signal_name: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("env.db");
    let (mut child, addr) = spawn_ingestd(&db, &[], &Stdio::inherit);
    let mut client = Client::connect(addr).await;
    let now = now_ms();
    for i in 0..10 {
        let body = batch(
            "demo",
            "s1",
            vec![page_view(&format!("e{i}"), "https://a.example/", now + i)],
        );
        assert_eq!(client.post_json(&body).await.status, 200);
    }
    drop(client);
    signal(&child, signal_name);
    let status = wait_exit(&mut child);
    assert_eq!(status.code(), Some(0), "exit status after SIG{signal_name}");
    let reader = shared::store::sqlite::SqliteReader::open(&db).expect("reader");
    assert_eq!(
        reader
            .events(&Filter::default(), PageRequest::first(100))
            .expect("events")
            .len(),
        10
    );
}

/// Refused requests and rejected events are logged with their reason and
/// site, and a flood of them costs a few lines per reason, not one each.
#[tokio::test]
async fn logs_refusals_by_reason_and_site_within_a_budget() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("log.db");
    let (mut child, addr) = spawn_ingestd(&db, &[], &Stdio::piped);
    let mut client = Client::connect(addr).await;
    let now = now_ms();
    for i in 0..40 {
        let body = batch(
            "shop",
            "s1",
            vec![click(&format!("c{i}"), "https://a.example/", now, -5, 10)],
        );
        assert_eq!(client.post_json(&body).await.status, 400);
    }
    let mixed = batch(
        "shop",
        "s1",
        vec![
            page_view("ok", "https://a.example/", now),
            page_view("bad", "ftp://a.example/", now),
        ],
    );
    assert_eq!(client.post_json(&mixed).await.status, 200);
    drop(client);
    signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child).code(), Some(0));
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut log)
        .expect("read stderr");

    let lines = |what: &str, reason: &str| {
        log.lines()
            .filter(|l| l.contains(what) && l.contains(&format!("reason=\"{reason}\"")))
            .collect::<Vec<_>>()
    };
    let invalid = lines("event rejected", "invalid_number");
    assert!(
        (1..=5).contains(&invalid.len()),
        "40 rejected clicks gave {} lines:\n{log}",
        invalid.len()
    );
    assert!(invalid
        .iter()
        .all(|l| l.contains("site=\"shop\"") && l.contains("x must be")));
    let refused = lines("request refused", "nothing_valid");
    assert!((1..=5).contains(&refused.len()), "{log}");
    assert!(refused[0].contains("status=400"), "{}", refused[0]);
    // The bucket reports what it held back.
    assert!(log.contains("suppressed=0"), "{log}");
    // An event rejected from an accepted request is logged too.
    assert_eq!(lines("event rejected", "invalid_url").len(), 1, "{log}");
}

/// The glibc heaps of a process other than its main one: anonymous
/// mappings that start on the 64 MiB boundary an arena is aligned to.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn malloc_arenas_beside_the_main_one(pid: u32) -> usize {
    const HEAP_ALIGN: u64 = 64 << 20;
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("maps");
    maps.lines()
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let start = fields[0]
                .split('-')
                .next()
                .and_then(|a| u64::from_str_radix(a, 16).ok());
            fields.len() == 5
                && fields[1].starts_with("rw")
                && start.is_some_and(|a| a % HEAP_ALIGN == 0)
        })
        .count()
}

/// Each thread that allocates gets a glibc arena of its own (HTTP workers,
/// the writer, the checkpointer), and each holds memory it once used: the
/// daemon caps them at two, unless its operator says otherwise.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[tokio::test]
async fn keeps_at_most_two_malloc_arenas_unless_told_otherwise() {
    for env in [None, Some("8")] {
        let dir = tempfile::tempdir().expect("temp dir");
        let vars: Vec<(&str, &str)> = env.map(|n| ("MALLOC_ARENA_MAX", n)).into_iter().collect();
        let (mut child, addr) = spawn_ingestd(&dir.path().join("a.db"), &vars, &Stdio::inherit);
        let now = now_ms();
        let clients = (0..4).map(|c| async move {
            let mut client = Client::connect(addr).await;
            for i in 0..25 {
                let body = batch(
                    "demo",
                    &format!("s{c}"),
                    vec![page_view(
                        &format!("e{c}-{i}"),
                        "https://a.example/",
                        now + i,
                    )],
                );
                assert_eq!(client.post_json(&body).await.status, 200);
            }
        });
        futures::future::join_all(clients).await;
        let arenas = malloc_arenas_beside_the_main_one(child.id());
        signal(&child, "TERM");
        assert_eq!(wait_exit(&mut child).code(), Some(0));
        match env {
            None => assert!(arenas <= 1, "{arenas} arenas beside the main one"),
            // The probe sees arenas: with the operator's limit, each thread has one.
            Some(_) => assert!(arenas >= 2, "{arenas} arenas with MALLOC_ARENA_MAX=8"),
        }
    }
}

#[tokio::test]
async fn configured_by_environment_and_exits_cleanly_on_sigterm() {
    run_and_stop("TERM").await;
}

#[tokio::test]
async fn exits_cleanly_on_sigint() {
    run_and_stop("INT").await;
}

#[test]
fn bad_configuration_fails_at_start_with_a_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_ingestd"))
        .args(["--db", "postgres://nope", "--listen", "127.0.0.1:0"])
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid database URL"));
    let output = Command::new(env!("CARGO_BIN_EXE_ingestd"))
        .args([
            "--site",
            "=https://x.example",
            "--listen",
            "127.0.0.1:0",
            "--db",
        ])
        .arg(std::env::temp_dir().join(format!("ingestd-bad-site-{}.db", std::process::id())))
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("has no site key"));
}
