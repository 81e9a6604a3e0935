//! The real `analytics-tui` binary in a pseudo-terminal: keys typed into it,
//! its output kept whole and read as a screen through a terminal emulator.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use testkit::pty::spawn_in_pty;

pub struct ConsolePty {
    pub child: Child,
    input: File,
    output: Arc<Mutex<Vec<u8>>>,
    rows: u16,
    cols: u16,
}

impl ConsolePty {
    /// Starts the console on `db` (all time) in a `rows` × `cols` terminal
    /// that declares 256 colours and true colour.
    pub fn start(db: &Path, rows: u16, cols: u16) -> Self {
        Self::start_with(&["--since", "all"], db, rows, cols)
    }

    /// Starts `analytics-tui ARGS` on `db` in the same kind of terminal.
    /// `--views-file` in `ARGS` overrides the views file beside `db`.
    pub fn start_with(args: &[&str], db: &Path, rows: u16, cols: u16) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_analytics-tui"));
        command
            .args(args)
            .env("ANALYTICS_DB", db)
            // Saved views from beside the fixture (none, unless a test writes
            // them), never the user's own.
            .env("ANALYTICS_VIEWS_FILE", db.with_file_name("views.toml"))
            .env("TERM", "xterm-256color")
            .env("COLORTERM", "truecolor")
            .env_remove("NO_COLOR");
        let (child, input, mut reader) = spawn_in_pty(&mut command, rows, cols);
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
            rows,
            cols,
        }
    }

    /// Every byte the console wrote so far.
    pub fn raw(&self) -> Vec<u8> {
        self.output.lock().expect("output lock").clone()
    }

    /// The screen as a terminal of this size shows it now.
    pub fn screen(&self) -> String {
        let mut parser = vt100::Parser::new(self.rows, self.cols, 0);
        parser.process(&self.raw());
        parser.screen().contents()
    }

    /// Waits (up to 20 s) until the screen shows `text`; returns the screen.
    pub fn wait_for(&self, text: &str) -> String {
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

    /// Types `keys`.
    pub fn send(&mut self, keys: &str) {
        self.input.write_all(keys.as_bytes()).expect("type");
        self.input.flush().expect("flush");
    }

    /// Waits (up to 10 s) for the console to exit.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "the console did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ConsolePty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
