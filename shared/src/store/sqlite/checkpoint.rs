//! WAL checkpoints off the commit path.
//!
//! SQLite normally checkpoints inside the commit that crosses the WAL size
//! threshold, so one unlucky commit (and every request waiting on it) pays
//! for copying megabytes into the database file. A [`Checkpointer`] thread runs
//! passive checkpoints on its own connection every few hundred milliseconds
//! instead; passive checkpoints never block the writer or readers. The
//! writer's own automatic checkpoint stays on at a much higher threshold as a
//! safety net, and `journal_size_limit` truncates the WAL file after a reset.

use crate::store::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Time between passive checkpoints.
const INTERVAL: Duration = Duration::from_millis(250);

type StopSignal = Arc<(Mutex<bool>, Condvar)>;

pub(super) struct Checkpointer {
    stop: StopSignal,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub(super) fn start(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_millis(100))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let stop: StopSignal = Arc::new((Mutex::new(false), Condvar::new()));
        let signal = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&conn, &signal))
            .map_err(|source| StoreError::Spawn {
                what: "checkpoint thread",
                source,
            })?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

fn run(conn: &Connection, signal: &StopSignal) {
    let (lock, wake) = &**signal;
    let Ok(mut stopped) = lock.lock() else {
        return;
    };
    loop {
        match wake.wait_timeout(stopped, INTERVAL) {
            Ok((guard, _)) => stopped = guard,
            Err(_) => return,
        }
        if *stopped {
            return;
        }
        // Busy or failing checkpoints are simply tried again next time; the
        // writer's automatic checkpoint bounds the WAL meanwhile.
        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (lock, wake) = &*self.stop;
        if let Ok(mut stopped) = lock.lock() {
            *stopped = true;
        }
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
