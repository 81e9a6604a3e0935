//! Terminal injection end to end: hostile events go through a real ingestd
//! (over HTTP) into the store, then every subcommand in every format and the
//! interactive console in a pseudo-terminal show them. No control character
//! may reach the terminal except the console's own sequences: plain outputs
//! carry no escape at all, the ANSI heatmap only SGR colour sequences, and the
//! console only the CSI sequences it draws with — never OSC, DCS, C1, bidi or
//! zero-width characters.

#![cfg(unix)]

mod common;

use common::console_pty::ConsolePty;

use serde_json::{json, Value};
use shared::sanitize::is_forbidden;
use shared::store::DbUrl;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const SESSION: &str = "s-inject";

/// Every kind of terminal attack, in one string.
const NASTY: &str = concat!(
    "A\u{1b}[31mred\u{1b}[0m",                                       // CSI SGR
    "\u{1b}[2J\u{1b}[H",                                             // CSI erase, home
    "\u{1b}]0;pwned title\u{7}",                                     // OSC 0: window title
    "\u{1b}]8;;https://evil.example/\u{1b}\\link\u{1b}]8;;\u{1b}\\", // OSC 8: hyperlink
    "\u{1b}]52;c;ZXZpbA==\u{7}",                                     // OSC 52: clipboard
    "\u{1b}P+q544e\u{1b}\\",                                         // DCS
    "\u{9b}31m\u{9d}0;c1\u{9c}",                                     // C1 CSI, OSC, ST
    "over\rwrite back\u{8}\u{8}space nul\u{0}byte bell\u{7} del\u{7f}",
    "\u{202e}reversed\u{202c} \u{2066}isolate\u{2069}", // bidi
    "zero\u{200b}width\u{200d}joiner\u{feff}\u{2060}end", // invisible
);

/// What a selector can carry past ingestd, which stores selectors as sent
/// (so they still resolve) and drops only those with ASCII controls: C1
/// controls, bidi and invisible characters, and a selector at the limit.
fn nasty_selector(long: bool) -> String {
    let attack = concat!(
        "#a\u{9b}31m\u{9d}0;c1\u{9c}",
        "\u{202e}reversed\u{202c} \u{2066}isolate\u{2069}",
        "zero\u{200b}width\u{200d}joiner\u{feff}\u{2060}end",
    );
    if long {
        let pad = shared::limits::MAX_SELECTOR_CHARS - attack.chars().count();
        format!("{attack}{}", "L".repeat(pad))
    } else {
        attack.to_owned()
    }
}

/// About 10 KB around the attack.
fn long_nasty() -> String {
    format!("{}{NASTY}{}", "L".repeat(5000), "R".repeat(5000))
}

// ---------------------------------------------------------------------------
// A real ingestd, in process

struct Ingest {
    addr: std::net::SocketAddr,
    runtime: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<Result<(), ingestd::ServeError>>>,
}

impl Ingest {
    fn start(db: &Path) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let config = ingestd::Config {
            rate_limit: 0.0,
            ..ingestd::Config::default()
        };
        let opener = ingestd::opener_for(DbUrl::Sqlite(db.to_path_buf()));
        let handle = runtime.spawn(ingestd::serve(listener, config, opener, async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            runtime,
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    /// Posts a batch; returns the status and the reply.
    fn post(&self, body: &Value) -> (u16, String) {
        let body = body.to_string();
        let mut stream = std::net::TcpStream::connect(self.addr).expect("connect");
        write!(
            stream,
            "POST /api/events HTTP/1.1\r\nhost: x\r\nuser-agent: {UA}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("send");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("reply");
        let status = reply.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        (status, reply)
    }

    fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            self.runtime
                .block_on(handle)
                .expect("serve task")
                .expect("serve");
        }
    }
}

fn hostile_batch() -> Value {
    let now = shared::now_ms();
    let long = long_nasty();
    let page = format!("https://shop.example/p/{NASTY}?q={NASTY}#{NASTY}");
    let long_page = format!("https://shop.example/long/{long}");
    let mut events = vec![
        json!({"id": "pv1", "type": "page_view", "ts": now - 60_000, "url": page,
               "title": NASTY, "referrer": format!("https://ref.example/{NASTY}"),
               "viewport": [1280, 720], "page": [1280, 3000]}),
        json!({"id": "pv2", "type": "page_view", "ts": now - 50_000, "url": long_page,
               "title": long, "referrer": format!("https://{NASTY}.example/{long}"),
               "viewport": [1280, 720], "page": [1280, 3000]}),
        json!({"id": "sc1", "type": "scroll", "ts": now - 40_000, "url": page, "depth": 0.5}),
        json!({"id": "cu1", "type": "custom", "ts": now - 30_000, "url": page, "name": NASTY,
               "props": {NASTY: NASTY, "long": long}}),
    ];
    for i in 0..6 {
        events.push(json!({"id": format!("ck{i}"), "type": "click", "ts": now - 20_000 + i * 2000,
            "url": if i % 2 == 0 { &page } else { &long_page }, "x": 100 + i * 150, "y": 200 + i * 300,
            "viewport": [1280, 720], "page": [1280, 3000],
            "target": {"selector": nasty_selector(i % 2 == 1),
                       "text": if i % 2 == 0 { long.clone() } else { NASTY.to_owned() },
                       "box": [90 + i * 150, 190 + i * 300, 40, 20]}}));
    }
    json!({"site": "demo", "session_id": SESSION, "visitor_id": "v-inject", "events": events})
}

// ---------------------------------------------------------------------------
// What may reach the terminal

/// Characters other than the console's own that must never be written:
/// C0 (but newline), DEL, C1, bidi and invisible format characters.
fn bad_chars(text: &str, allowed: &[char]) -> Vec<char> {
    text.chars()
        .filter(|c| is_forbidden(*c) && !allowed.contains(c))
        .collect()
}

/// Removes SGR sequences (`ESC [ digits;… m`), the only ones the ANSI
/// heatmap writes; any other escape is left in place to be caught.
fn strip_sgr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\u{1b}[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let params = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[params..].starts_with('m') {
            rest = &after[params + 1..];
        } else {
            out.push('\u{1b}');
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// Checks the console's raw output: every escape sequence is a CSI sequence
/// of the kinds a ratatui/crossterm console draws with; no OSC, DCS, APC, PM,
/// SOS, C1 or other control character; no bidi or zero-width character.
fn check_console_stream(raw: &[u8]) -> Result<usize, String> {
    let text = std::str::from_utf8(raw).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut chars = text.char_indices().peekable();
    let mut sequences = 0;
    while let Some((at, c)) = chars.next() {
        match c {
            '\u{1b}' => {
                let Some((_, kind)) = chars.next() else {
                    return Err(format!("a lone ESC at the end (byte {at})"));
                };
                if kind != '[' {
                    return Err(format!(
                        "ESC {kind:?} at byte {at}: only CSI sequences are the console's ({:?})",
                        &text[at..text.len().min(at + 40)]
                    ));
                }
                // CSI: parameter bytes 0x30–0x3F, intermediates 0x20–0x2F, one final.
                let mut body = String::new();
                let final_byte = loop {
                    match chars.next() {
                        Some((_, p)) if ('\u{30}'..='\u{3f}').contains(&p) => body.push(p),
                        Some((_, i)) if ('\u{20}'..='\u{2f}').contains(&i) => body.push(i),
                        Some((_, f)) if ('\u{40}'..='\u{7e}').contains(&f) => break f,
                        other => {
                            return Err(format!("a broken CSI at byte {at}: {other:?}"));
                        }
                    }
                };
                // Colours, cursor movement and position, erasing, modes
                // (alternate screen, cursor, mouse), scrolling.
                if !"mHfJKABCDGdhlrSTXsu".contains(final_byte) {
                    return Err(format!(
                        "CSI {body:?} {final_byte:?} at byte {at} is not a console sequence"
                    ));
                }
                sequences += 1;
            }
            '\r' | '\n' => {}
            c if is_forbidden(c) => {
                return Err(format!(
                    "control or invisible character {c:?} at byte {at}: {:?}",
                    &text[at.saturating_sub(20)..text.len().min(at + 20)]
                ));
            }
            _ => {}
        }
    }
    Ok(sequences)
}

// ---------------------------------------------------------------------------
// The console in a pseudo-terminal

/// Types `keys` and lets the console draw the result before the next.
fn type_keys(tui: &mut ConsolePty, keys: &str) {
    tui.send(keys);
    std::thread::sleep(Duration::from_millis(250));
}

// ---------------------------------------------------------------------------

fn ingest_hostile_events(dir: &Path) -> PathBuf {
    let db = dir.join("inject.db");
    let mut ingest = Ingest::start(&db);
    let (status, reply) = ingest.post(&hostile_batch());
    assert_eq!(status, 200, "{reply}");
    assert!(reply.contains("\"accepted\":10"), "{reply}");
    assert!(reply.contains("\"rejected\":[]"), "{reply}");
    ingest.stop();
    db
}

fn run_subcommand(db: &Path, args: &[&str]) -> Vec<u8> {
    let output = Command::new(env!("CARGO_BIN_EXE_analytics-tui"))
        .args(args)
        .env("ANALYTICS_DB", db)
        .env("COLORTERM", "truecolor")
        .env_remove("NO_COLOR")
        .output()
        .expect("run analytics-tui");
    assert!(
        output.status.success(),
        "{args:?}: {:?}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let mut all = output.stdout;
    all.extend_from_slice(&output.stderr);
    all
}

#[test]
fn hostile_strings_never_reach_the_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = ingest_hostile_events(dir.path());

    // Every subcommand, every format.
    let tabular = ["table", "json", "csv"];
    let mut runs: Vec<Vec<String>> = Vec::new();
    for format in tabular {
        for command in [
            vec!["overview"],
            vec!["sessions"],
            vec!["journey", SESSION],
            vec!["pages"],
            vec!["events"],
        ] {
            let mut args: Vec<String> = command.iter().map(|s| s.to_string()).collect();
            args.extend(["--format".into(), format.into()]);
            runs.push(args);
        }
    }
    for format in ["text", "ansi", "json"] {
        for dots in ["braille", "half"] {
            runs.push(
                [
                    "heatmap", "--page", "/**", "--format", format, "--dots", dots,
                ]
                .map(str::to_owned)
                .to_vec(),
            );
        }
    }
    let mut total = 0;
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let bytes = run_subcommand(&db, &args);
        let text = String::from_utf8(bytes).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert!(!text.trim().is_empty(), "{args:?} printed nothing");
        let checked = if args.contains(&"ansi") {
            assert!(text.contains("\u{1b}["), "{args:?}: no colour at all");
            strip_sgr(&text)
        } else {
            text.clone()
        };
        let bad = bad_chars(&checked, &['\n']);
        assert!(bad.is_empty(), "{args:?} wrote {bad:?}:\n{text}");
        total += text.len();
    }
    // The visible remains of the attack are shown as text, so the data did
    // come through (only its control characters are gone).
    let events =
        String::from_utf8(run_subcommand(&db, &["events", "--format", "json"])).expect("utf-8");
    assert!(events.contains("[31mred[0m"), "{events}");
    println!("{} subcommand runs, {total} bytes checked", runs.len());

    // The interactive console: every view, a journey stepped through, the
    // heatmap of the hostile page, the live tail and the help screen.
    let (rows, cols) = (40, 160);
    let mut tui = ConsolePty::start(&db, rows, cols);
    tui.wait_for("visitors 1");
    for keys in [
        "2", "\r", "j", "j", "j", "j", "j", "G", "1", "5", "\r", "b", "w", "5", "j", "\r", "6",
        "?", "?", "3", "4",
    ] {
        type_keys(&mut tui, keys);
    }
    let screen = tui.screen();
    type_keys(&mut tui, "q");
    let status = tui.wait_exit();
    assert!(status.success(), "{status:?}\n{screen}");
    let raw = tui.raw();
    match check_console_stream(&raw) {
        Ok(sequences) => println!(
            "console: {} bytes, {sequences} escape sequences, all the console's own",
            raw.len()
        ),
        Err(problem) => panic!("{problem}\nlast screen:\n{screen}"),
    }
    // The hostile strings were drawn, as text.
    let shown = raw
        .windows(8)
        .any(|w| w[0] != 0x1b && &w[1..] == b"[31mred");
    assert!(shown, "the console never drew the hostile title");
    let whole = tui.screen();
    assert!(
        bad_chars(&whole, &['\n']).is_empty(),
        "the screen holds {:?}",
        bad_chars(&whole, &['\n'])
    );
}

#[test]
fn the_checks_catch_what_they_look_for() {
    assert_eq!(
        check_console_stream(b"\x1b[?1049h\x1b[1;1H\x1b[38;5;12mok\x1b[0m\r\n"),
        Ok(4)
    );
    for hostile in [
        &b"\x1b]0;title\x07"[..],
        b"\x1b]8;;http://x\x1b\\",
        b"\x1bP+q\x1b\\",
        "\u{9b}2J".as_bytes(),
        b"\x1b[2i",
        b"a\x08b",
        b"a\x00b",
        "\u{202e}x".as_bytes(),
        "x\u{200b}".as_bytes(),
        b"\x1b",
    ] {
        assert!(check_console_stream(hostile).is_err(), "{hostile:?}");
    }
    assert_eq!(strip_sgr("\u{1b}[38;2;1;2;3mX\u{1b}[0m"), "X");
    assert_eq!(strip_sgr("\u{1b}]0;t\u{7}"), "\u{1b}]0;t\u{7}");
    assert_eq!(bad_chars("ok\n\u{1b}", &['\n']), vec!['\u{1b}']);
}
