//! Runs the real binary in a pseudo-terminal against a fixture database,
//! types keys and reads the screen through a terminal emulator.

#![cfg(unix)]

mod common;

use common::console_pty::ConsolePty;
use common::*;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn keys_switch_views_and_q_restores_the_terminal() {
    let fx = shop();
    let mut tui = ConsolePty::start(&fx.path, 24, 80);
    tui.wait_for("visitors 3");
    tui.send("2");
    let screen = tui.wait_for("Sessions 1–3 of 3");
    assert!(
        screen.contains("Mobile S") && screen.contains("tablet"),
        "{screen}"
    );
    tui.send("j");
    tui.send("\r");
    tui.wait_for("step 1 of 7");
    tui.send("q");
    let status = tui.wait_exit();
    assert!(status.success(), "{status:?}");
    let raw = tui.raw();
    assert!(
        contains(&raw, b"\x1b[?1049h"),
        "entered the alternate screen"
    );
    assert!(contains(&raw, b"\x1b[?1049l"), "left the alternate screen");
}

#[test]
fn sigterm_quits_cleanly() {
    let fx = shop();
    let mut tui = ConsolePty::start(&fx.path, 24, 80);
    tui.wait_for("visitors 3");
    let pid = rustix::process::Pid::from_raw(tui.child.id() as i32).expect("a pid");
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("send SIGTERM");
    let status = tui.wait_exit();
    assert!(status.success(), "{status:?}");
    assert!(
        contains(&tui.raw(), b"\x1b[?1049l"),
        "left the alternate screen"
    );
}

#[test]
fn a_broken_views_file_is_named_and_the_console_starts() {
    let fx = shop();
    let views = fx.dir.path().join("views.toml");
    std::fs::write(&views, "[views.a]\nview = \"pages\nrange = \"7d\"\n").expect("write");
    let views_arg = views.to_string_lossy().into_owned();
    let mut tui = ConsolePty::start_with(
        &["--since", "all", "--views-file", &views_arg],
        &fx.path,
        24,
        100,
    );
    tui.wait_for("views.toml line 2: invalid basic string");
    let screen = tui.wait_for("visitors 3");
    assert!(screen.contains("views.toml line 2:"), "{screen}");
    tui.send("q");
    assert!(tui.wait_exit().success());
}
