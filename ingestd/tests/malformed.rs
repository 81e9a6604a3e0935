//! The malformed-request suite against the real binary: every hostile body
//! or header gets its documented 4xx, the daemon neither panics nor dies, the
//! valid events of mixed batches are stored, and its peak resident memory
//! grows by less than twice the body limit over its footprint after start-up.

mod common;

use serde_json::{json, Value};
use shared::limits::MAX_BODY_BYTES;
use shared::store::query::{Filter, PageRequest};
use shared::store::EventReader;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const UA: &str = common::DESKTOP_UA;
const URL: &str = "https://shop.example/p/1";

struct Daemon {
    child: Child,
    addr: SocketAddr,
    stderr: std::path::PathBuf,
    db: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Daemon {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("malformed.db");
        let stderr = dir.path().join("stderr.log");
        let (child, addr) = common::spawn_ingestd(&db, &[("INGESTD_BODY_TIMEOUT", "1")], &|| {
            std::fs::File::create(&stderr).expect("stderr file").into()
        });
        Self {
            child,
            addr,
            stderr,
            db,
            _dir: dir,
        }
    }

    /// A line of `/proc/PID/status` in KiB (`VmHWM`: peak resident size).
    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|rest| rest.trim_start_matches(':').trim().strip_suffix("kB"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in\n{status}"))
    }

    /// Resets the peak (`VmHWM`) to the current resident size; returns it.
    fn reset_peak(&self) -> u64 {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5")
            .expect("reset the peak resident size");
        self.status_kib("VmHWM")
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    fn stop(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "ingestd did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the client does once its parts are written.
#[derive(Clone, Copy, PartialEq)]
enum Then {
    /// Keep the connection open and wait for the answer.
    Wait,
    /// Close the sending side (the body ends early).
    CloseWrite,
}

/// Sends `parts` on a fresh connection while a reader thread collects the
/// answer; stops sending as soon as an answer arrives or the server closes.
/// Returns the statuses of every response received.
fn talk(addr: SocketAddr, parts: impl Iterator<Item = Vec<u8>>, then: Then) -> Vec<u16> {
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let answered = Arc::new(AtomicBool::new(false));
    let mut reader = stream.try_clone().expect("clone");
    let flag = Arc::clone(&answered);
    let collector = std::thread::spawn(move || {
        let mut received = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        while let Ok(n) = reader.read(&mut chunk) {
            if n == 0 {
                break;
            }
            received.extend_from_slice(&chunk[..n]);
            flag.store(true, Ordering::Relaxed);
        }
        received
    });
    let mut writer = stream;
    for part in parts {
        if answered.load(Ordering::Relaxed) || writer.write_all(&part).is_err() {
            break;
        }
    }
    if then == Then::CloseWrite {
        let _ = writer.shutdown(Shutdown::Write);
    }
    let received = collector.join().expect("reader thread");
    let text = String::from_utf8_lossy(&received);
    text.match_indices("HTTP/1.1 ")
        .filter_map(|(i, _)| text.get(i + 9..i + 12))
        .filter_map(|code| code.parse().ok())
        .collect()
}

fn head(extra: &str, length: Option<usize>) -> Vec<u8> {
    let length = length.map_or_else(String::new, |n| format!("content-length: {n}\r\n"));
    format!(
        "POST /api/events HTTP/1.1\r\nhost: x\r\nuser-agent: {UA}\r\ncontent-type: text/plain\r\nconnection: close\r\n{length}{extra}\r\n"
    )
    .into_bytes()
}

/// A whole request with a correct `Content-Length`.
fn post(body: &[u8]) -> Vec<Vec<u8>> {
    vec![head("", Some(body.len())), body.to_vec()]
}

fn chunked(data: impl Iterator<Item = Vec<u8>> + 'static) -> impl Iterator<Item = Vec<u8>> {
    std::iter::once(head("transfer-encoding: chunked\r\n", None)).chain(data.map(|d| {
        let mut chunk = format!("{:x}\r\n", d.len()).into_bytes();
        chunk.extend_from_slice(&d);
        chunk.extend_from_slice(b"\r\n");
        chunk
    }))
}

fn envelope(session: &str, events: Vec<Value>) -> Value {
    json!({"site": "demo", "session_id": session, "visitor_id": "v-malformed", "events": events})
}

fn page_view(id: &str) -> Value {
    common::page_view(id, URL, common::now_ms())
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

struct Case {
    name: &'static str,
    parts: Box<dyn Iterator<Item = Vec<u8>>>,
    then: Then,
    expected: &'static [u16],
}

fn case(
    name: &'static str,
    parts: impl Iterator<Item = Vec<u8>> + 'static,
    expected: &'static [u16],
) -> Case {
    Case {
        name,
        parts: Box::new(parts),
        then: Then::Wait,
        expected,
    }
}

/// Every hostile request, with the valid event ids that must be stored.
fn cases() -> (Vec<Case>, Vec<String>) {
    let limit = MAX_BODY_BYTES;
    let mut kept = Vec::new();
    let mut cases = Vec::new();

    // Sizes and lengths.
    cases.push(case(
        "body at the limit + 1 byte, with Content-Length",
        post(&vec![b' '; limit + 1]).into_iter(),
        &[413],
    ));
    let mut at_limit = envelope("s-limit", vec![page_view("at-limit")])
        .to_string()
        .into_bytes();
    at_limit.resize(limit, b' ');
    kept.push("at-limit".to_owned());
    cases.push(case(
        "body exactly at the limit",
        post(&at_limit).into_iter(),
        &[200],
    ));
    let mut over = at_limit.clone();
    over.push(b' ');
    let pieces: Vec<Vec<u8>> = over.chunks(16 * 1024).map(<[u8]>::to_vec).collect();
    cases.push(case(
        "body at the limit + 1 byte, chunked",
        chunked(pieces.into_iter()).chain(std::iter::once(b"0\r\n\r\n".to_vec())),
        &[413],
    ));
    cases.push(case(
        "endless chunked body",
        chunked(std::iter::repeat_n(vec![b' '; 64 * 1024], 4096)),
        &[413],
    ));
    let body = envelope("s-short", vec![page_view("never-1")]).to_string();
    cases.push(case(
        "Content-Length shorter than the body",
        vec![head("", Some(20)), body.clone().into_bytes()].into_iter(),
        // The cut body is not JSON (and the connection closes after it).
        &[400],
    ));
    cases.push(case(
        "Content-Length longer than the body, client waits",
        vec![head("", Some(body.len() + 100)), body.clone().into_bytes()].into_iter(),
        &[408],
    ));
    cases.push(Case {
        then: Then::CloseWrite,
        ..case(
            "Content-Length longer than the body, client closes",
            vec![head("", Some(body.len() + 100)), body.clone().into_bytes()].into_iter(),
            &[400],
        )
    });
    cases.push(case(
        "Content-Length not a number",
        vec![head("content-length: twelve\r\n", None), body.into_bytes()].into_iter(),
        &[400],
    ));
    cases.push(case(
        "chunk size not hexadecimal",
        vec![
            head("transfer-encoding: chunked\r\n", None),
            b"zz\r\n{}\r\n0\r\n\r\n".to_vec(),
        ]
        .into_iter(),
        &[400],
    ));

    // Compression: not accepted, so a bomb never expands.
    let bomb = {
        use flate2::{write::GzEncoder, Compression};
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..16 {
            encoder.write_all(&zeros).expect("gzip");
        }
        encoder.finish().expect("gzip")
    };
    let mut gzip = vec![head("content-encoding: gzip\r\n", Some(bomb.len()))];
    gzip.push(bomb.clone());
    cases.push(case(
        "gzip bomb with Content-Encoding: gzip",
        gzip.into_iter(),
        &[415],
    ));
    cases.push(case(
        "gzip bytes without Content-Encoding",
        post(&bomb).into_iter(),
        &[400],
    ));

    // JSON structure.
    cases.push(case(
        "JSON nested 10,000 deep",
        post(nested(10_000).as_bytes()).into_iter(),
        &[400],
    ));
    let deep_events = format!(
        r#"{{"site":"demo","session_id":"s-deep","visitor_id":"v","events":[{},{},{},{}]}}"#,
        page_view("deep-ok"),
        nested(10_000),
        json!({"id": "deep-props", "type": "custom", "ts": common::now_ms(), "url": URL,
               "name": "n", "props": {"a": "PLACEHOLDER"}})
        .to_string()
        .replace("\"PLACEHOLDER\"", &nested(10_000)),
        json!({"id": "deep-extra", "type": "page_view", "ts": common::now_ms(), "url": URL,
               "extra": "PLACEHOLDER"})
        .to_string()
        .replace("\"PLACEHOLDER\"", &nested(10_000)),
    );
    kept.extend(["deep-ok".to_owned(), "deep-extra".to_owned()]);
    cases.push(case(
        "events nested 10,000 deep beside valid ones",
        post(deep_events.as_bytes()).into_iter(),
        &[200],
    ));
    let keys = |n: usize| {
        (0..n)
            .map(|i| format!("\"k{i}\":0"))
            .collect::<Vec<_>>()
            .join(",")
    };
    cases.push(case(
        "an event with 100,000 keys",
        post(
            format!(
                r#"{{"site":"demo","session_id":"s","visitor_id":"v","events":[{{{}}}]}}"#,
                keys(100_000)
            )
            .as_bytes(),
        )
        .into_iter(),
        &[413],
    ));
    let many_props = format!(
        r#"{{"site":"demo","session_id":"s-props","visitor_id":"v","events":[{},{{"id":"props","type":"custom","ts":{},"url":"{URL}","name":"n","props":{{{}}}}}]}}"#,
        page_view("props-ok"),
        common::now_ms(),
        keys(20_000)
    );
    assert!(many_props.len() < limit);
    kept.push("props-ok".to_owned());
    cases.push(case(
        "props with 20,000 keys beside a valid event",
        post(many_props.as_bytes()).into_iter(),
        &[200],
    ));
    let tiny_events = format!(
        r#"{{"site":"demo","session_id":"s","visitor_id":"v","events":[{}]}}"#,
        vec!["0"; 100_000].join(",")
    );
    cases.push(case(
        "100,000 events",
        post(tiny_events.as_bytes()).into_iter(),
        &[400],
    ));
    cases.push(case("empty body", post(b"").into_iter(), &[400]));
    cases.push(case(
        "body is not an object",
        post(b"[1,2,3]").into_iter(),
        &[400],
    ));

    // Encoding and values.
    let mut bad_utf8 = envelope("s-utf8", vec![page_view("never-2")])
        .to_string()
        .into_bytes();
    let at = bad_utf8.len() - 10;
    bad_utf8.splice(at..at, [0xff, 0xfe, 0xc3]);
    cases.push(case("invalid UTF-8", post(&bad_utf8).into_iter(), &[400]));
    let c1 = envelope("s-c1", vec![page_view("never-3")])
        .to_string()
        .replace("Page", "Pa\u{1b}ge")
        .into_bytes()
        .into_iter()
        .map(|b| if b == 0x1b { 0x9b } else { b })
        .collect::<Vec<u8>>();
    cases.push(case(
        "a raw C1 byte (0x9B) in a string",
        post(&c1).into_iter(),
        &[400],
    ));
    let nan = envelope("s-nan", vec![page_view("never-4")])
        .to_string()
        .replacen("\"ts\":", "\"ts\":NaN,\"was\":", 1);
    cases.push(case("NaN", post(nan.as_bytes()).into_iter(), &[400]));
    let ts = common::now_ms();
    let mixed = format!(
        r#"{{"site":"demo","session_id":"s-mixed","visitor_id":"v","events":[
        {ok1},
        {{"id":5,"type":"page_view","ts":{ts},"url":"{URL}"}},
        {{"id":"t","type":"page_view","ts":"yesterday","url":"{URL}"}},
        {{"id":"u","type":"page_view","ts":{ts}}},
        {{"id":"c","type":"click","ts":{ts},"url":"{URL}"}},
        {{"id":"x","type":"click","ts":{ts},"url":"{URL}","x":1e308,"y":1}},
        {{"id":"big","type":"page_view","ts":1e400,"url":"{URL}"}},
        {{"id":"vp","type":"page_view","ts":{ts},"url":"{URL}","viewport":[1e300,1]}},
        {{"id":"neg","type":"scroll","ts":{ts},"url":"{URL}","depth":-1e-300}},
        {{"id":"ty","type":42,"ts":{ts},"url":"{URL}"}},
        null, [], "event", 7,
        {{"id":"tgt","type":"click","ts":{ts},"url":"{URL}","x":1,"y":1,"target":"button"}},
        {{"id":"long","type":"page_view","ts":{ts},"url":"{URL}","title":{long}}},
        {ok2}]}}"#,
        ok1 = page_view("mixed-ok-1"),
        ok2 = page_view("mixed-ok-2"),
        long = json!("x".repeat(100_000)),
    );
    kept.extend(["mixed-ok-1", "long", "mixed-ok-2"].map(str::to_owned));
    cases.push(case(
        "wrong types, missing fields, huge numbers beside valid events",
        post(mixed.as_bytes()).into_iter(),
        &[200],
    ));
    let bad_ids = json!({"site": "de\u{1b}mo", "session_id": "s", "visitor_id": "v",
                         "events": [page_view("never-5")]})
    .to_string();
    cases.push(case(
        "a control character in the site key",
        post(bad_ids.as_bytes()).into_iter(),
        &[400],
    ));

    // Headers.
    let many: String = (0..200).map(|i| format!("x-h{i}: {i}\r\n")).collect();
    let body = envelope("s-headers", vec![page_view("never-6")]).to_string();
    cases.push(case(
        "200 headers",
        vec![head(&many, Some(body.len())), body.clone().into_bytes()].into_iter(),
        &[431],
    ));
    let huge = format!("x-big: {}\r\n", "a".repeat(1024 * 1024));
    cases.push(case(
        "a 1 MiB header",
        vec![head(&huge, Some(body.len())), body.into_bytes()].into_iter(),
        &[431],
    ));
    (cases, kept)
}

/// Runs every case once; returns the failures (wrong statuses).
fn run_suite(daemon: &mut Daemon, pass: &str) -> (Vec<String>, Vec<String>) {
    let baseline = daemon.status_kib("VmHWM");
    let (cases, kept) = cases();
    let mut failures = Vec::new();
    for case in cases {
        let name = case.name;
        let started = Instant::now();
        let statuses = talk(daemon.addr, case.parts, case.then);
        let peak = daemon.status_kib("VmHWM");
        println!(
            "{pass} {name:<62} {statuses:?}  peak +{} KiB  {:?}",
            peak.saturating_sub(baseline),
            started.elapsed()
        );
        if statuses != case.expected {
            failures.push(format!(
                "{name}: expected {:?}, got {statuses:?}",
                case.expected
            ));
        }
        assert!(daemon.alive(), "ingestd died on {name}");
    }
    (failures, kept)
}

/// Measured passes at most: see the test.
const MEASURED_PASSES: usize = 3;

#[test]
fn every_malformed_request_gets_its_4xx_within_bounded_memory() {
    let mut daemon = Daemon::start();
    // The first pass faults in the code and sizes the caches (the binary's
    // text pages count as resident memory too). Then each measured pass resets
    // the peak to the current size and measures how far handling these
    // requests lifts the daemon above its running footprint.
    //
    // The allocator serves a request from the arena of whichever thread runs
    // it, so one pass can show an arena's first growth to the size of a body
    // it has not held before (a few hundred KiB, at random). A leak or a body
    // buffered past the limit shows in every pass, so the bound must hold in
    // at least one of a few passes; statuses must be right in all of them.
    let (mut failures, mut kept) = run_suite(&mut daemon, "first ");
    let bound = 2 * MAX_BODY_BYTES as u64 / 1024;
    let mut growths = Vec::new();
    for pass in 1..=MEASURED_PASSES {
        let footprint = daemon.reset_peak();
        let (again, _) = run_suite(&mut daemon, &format!("pass {pass}"));
        failures.extend(again);
        let peak = daemon.status_kib("VmHWM");
        let growth = peak.saturating_sub(footprint);
        println!(
            "resident memory: {footprint} KiB before pass {pass}, peak {peak} KiB during it \
             (+{growth} KiB; bound: twice the body limit, {bound} KiB)"
        );
        growths.push(growth);
        if growth < bound {
            break;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        growths.iter().any(|&g| g < bound),
        "peak memory rose by {growths:?} KiB in {MEASURED_PASSES} passes, each over twice the \
         body limit ({bound} KiB)"
    );

    let health = talk(
        daemon.addr,
        std::iter::once(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec()),
        Then::Wait,
    );
    assert_eq!(health, [200]);
    let status = daemon.stop();
    assert!(status.success(), "{status:?}");
    let log = std::fs::read_to_string(&daemon.stderr).unwrap_or_default();
    assert!(!log.contains("panicked"), "{log}");

    let reader = shared::store::sqlite::SqliteReader::open(&daemon.db).expect("reader");
    let mut stored: Vec<String> = reader
        .events(&Filter::default(), PageRequest::first(1000))
        .expect("events")
        .into_iter()
        .map(|e| e.event.id)
        .collect();
    stored.sort();
    kept.sort();
    assert_eq!(stored, kept);
}
