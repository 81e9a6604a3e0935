//! What the database holds after a run, read with a connection of its own,
//! and a write lock held by another connection (another process, from the
//! daemon's point of view).

use rusqlite::{Connection, OpenFlags};
use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

/// The stored state that the fault tests check.
pub struct Stored {
    /// `PRAGMA integrity_check`: `ok` when the file is sound.
    pub integrity: String,
    /// Every stored event id.
    pub ids: HashSet<String>,
    /// Event rows (equals `ids.len()` unless an id is stored twice).
    pub rows: u64,
    /// Ids stored more than once within a site.
    pub duplicated: u64,
    /// Sum of the per-session event counts (equals `rows` when the rollups
    /// were committed atomically with the events).
    pub session_events: i64,
}

/// Reads the database at `db` (the daemon may be running: WAL readers do
/// not disturb the writer).
pub fn inspect(db: &Path) -> Stored {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the database read-only");
    conn.busy_timeout(Duration::from_secs(10))
        .expect("busy timeout");
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity check");
    let mut statement = conn
        .prepare("SELECT event_key FROM events")
        .expect("select ids");
    let mut ids = HashSet::new();
    let mut rows = 0;
    let keys = statement
        .query_map([], |r| r.get::<_, String>(0))
        .expect("ids");
    for key in keys {
        ids.insert(key.expect("an id"));
        rows += 1;
    }
    let duplicated: u64 = conn
        .query_row(
            "SELECT COUNT(*) FROM (SELECT 1 FROM events GROUP BY site_id, event_key HAVING COUNT(*) > 1)",
            [],
            |r| r.get(0),
        )
        .expect("duplicates");
    let session_events: i64 = conn
        .query_row("SELECT COALESCE(SUM(events), 0) FROM sessions", [], |r| {
            r.get(0)
        })
        .expect("session rollups");
    Stored {
        integrity,
        ids,
        rows,
        duplicated,
        session_events,
    }
}

/// A read-only connection that has read once, so that it holds its shared
/// lock on the database file until dropped, like an open console.
pub fn open_reader(db: &Path) -> Connection {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the database read-only");
    let _: i64 = conn
        .query_row("SELECT COUNT(*) FROM sites", [], |r| r.get(0))
        .expect("a first read");
    conn
}

/// Every stored event id, through the engine's own reader (any engine):
/// the ids and the number of events listed.
pub fn stored_ids(url: &str) -> (HashSet<String>, u64) {
    use shared::store::query::{Filter, PageRequest};
    let reader = shared::store::DbUrl::parse(url)
        .and_then(|db| db.open_reader())
        .expect("open the reader");
    let mut ids = HashSet::new();
    let mut listed = 0;
    let mut offset = 0;
    loop {
        let page = reader
            .events(
                &Filter::default(),
                PageRequest {
                    offset,
                    limit: 1000,
                },
            )
            .expect("list events");
        if page.is_empty() {
            return (ids, listed);
        }
        offset += page.len() as u64;
        listed += page.len() as u64;
        ids.extend(page.into_iter().map(|e| e.event.id));
    }
}

/// A write transaction held open on the database by a connection of this
/// process (`BEGIN EXCLUSIVE`), released on drop.
pub struct WriteLock {
    conn: Connection,
}

impl WriteLock {
    /// Waits (up to 10 s, behind a commit in progress) for the write lock.
    pub fn hold(db: &Path) -> Self {
        let conn = Connection::open(db).expect("open the database");
        conn.busy_timeout(Duration::from_secs(10))
            .expect("busy timeout");
        conn.execute_batch("BEGIN EXCLUSIVE")
            .expect("take the write lock");
        Self { conn }
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        let _ = self.conn.execute_batch("ROLLBACK");
    }
}
