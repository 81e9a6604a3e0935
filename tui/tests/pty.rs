//! Runs the real binary in a pseudo-terminal against a fixture database,
//! types keys and reads the screen through a terminal emulator.

#![cfg(unix)]

mod common;

use common::*;
use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
use rustix::termios::{tcsetwinsize, Winsize};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Session {
    child: Child,
    input: File,
    output: Arc<Mutex<Vec<u8>>>,
}

impl Session {
    fn start(db: &std::path::Path) -> Self {
        let master: OwnedFd = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("a pty");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname(&master, Vec::new()).expect("ptsname");
        tcsetwinsize(
            &master,
            Winsize {
                ws_row: 24,
                ws_col: 80,
                ws_xpixel: 0,
                ws_ypixel: 0,
            },
        )
        .expect("window size");
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(name.to_str().expect("a utf-8 pty name"))
            .expect("open the pty's slave side");
        let mut command = Command::new(env!("CARGO_BIN_EXE_analytics-tui"));
        command
            .args(["--since", "all"])
            .env("ANALYTICS_DB", db)
            .env("TERM", "xterm-256color")
            .env_remove("NO_COLOR")
            .stdin(Stdio::from(slave.try_clone().expect("dup")))
            .stdout(Stdio::from(slave.try_clone().expect("dup")))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(|| {
                rustix::process::setsid().map_err(std::io::Error::from)?;
                rustix::process::ioctl_tiocsctty(std::io::stdin().as_fd())
                    .map_err(std::io::Error::from)?;
                Ok(())
            });
        }
        let child = command.spawn().expect("start analytics-tui");
        let input = File::from(master.try_clone().expect("dup the master"));
        let mut reader = File::from(master);
        let output = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = reader.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .expect("output lock")
                    .extend_from_slice(&chunk[..n]);
            }
        });
        Self {
            child,
            input,
            output,
        }
    }

    fn screen(&self) -> String {
        let bytes = self.output.lock().expect("output lock").clone();
        let mut parser = vt100::Parser::new(24, 80, 0);
        parser.process(&bytes);
        parser.screen().contents()
    }

    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{text:?} never appeared; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn send(&mut self, keys: &str) {
        self.input.write_all(keys.as_bytes()).expect("type");
        self.input.flush().expect("flush");
    }

    fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "the console did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn raw(&self) -> Vec<u8> {
        self.output.lock().expect("output lock").clone()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn keys_switch_views_and_q_restores_the_terminal() {
    let fx = shop();
    let mut tui = Session::start(&fx.path);
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
    let mut tui = Session::start(&fx.path);
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
