//! The write side: one read-write connection, one transaction per group of
//! batches, every rollup updated in that transaction.

use super::checkpoint::Checkpointer;
use super::intern::InternCache;
use super::rage_clicks::StoredClick;
use super::removal::remove_sessions;
use super::rollups::{self, SqliteKeys};
use super::{heat_seal, layouts, register_functions, schema};
use crate::event::{Event, EventBatch, EventKind, Rect, FLAG_CLOCK_ADJUSTED};
use crate::progress::{Progress, Silent};
use crate::store::core::fold::{Fact, Fold};
use crate::store::core::heat_blocks;
use crate::store::core::layouts::{commit_writes, newest_per_page};
use crate::store::layout_query::{SiteLayout, StoredLayout};
use crate::store::{AppendOutcome, Engine, EventWriter, StoreError, DELETING_VISITOR};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OpenFlags, Transaction, TransactionBehavior};
use sqlite_wal_batch as wal_batch;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a commit waits for a write lock held by another connection
/// before it fails. Short, because requests wait behind the commit: a lock
/// held longer turns into quick 503s (and a reopen) instead of stalled requests.
const WRITE_BUSY_TIMEOUT: Duration = Duration::from_secs(1);

/// The only read-write connection to a SQLite database.
pub struct SqliteWriter {
    conn: Connection,
    cache: InternCache,
    /// `PRAGMA data_version` when the cache was last known to be valid.
    data_version: Option<i64>,
    /// When the heat rollups' past days were last sealed ([`heat_seal`]).
    sealed_at: Option<Instant>,
    _checkpointer: Checkpointer,
}

/// How often a commit goes on to seal past days of the heat rollups, and
/// about how long it spends on it: the seal moves a day a day, and late
/// events list a few page days to pack again.
const SEAL_EVERY: Duration = Duration::from_secs(60);
const SEAL_FOR: Duration = Duration::from_millis(50);

impl SqliteWriter {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_reporting(path, &Silent)
    }

    /// [`Self::open`], reporting the progress of a migration to `progress`.
    pub fn open_reporting(path: &Path, progress: &dyn Progress) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Directory {
                path: dir.to_owned(),
                source,
            })?;
        }
        // Through the VFS that writes a commit's WAL frames at once; it
        // relies on `synchronous=FULL`, set below (see its module doc).
        wal_batch::register()?;
        let mut conn = Connection::open_with_flags_and_vfs(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            wal_batch::NAME,
        )?;
        conn.busy_timeout(WRITE_BUSY_TIMEOUT)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Unsupported {
                engine: Engine::Sqlite,
                detail: format!("could not switch the journal to WAL (got {mode})"),
            });
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        // The bundled SQLite enforces foreign keys by default: a parent
        // lookup per reference of every row written, and a statement journal
        // for every session update (it sets the exit page). This connection
        // inserts every parent (interned) before its children in the same
        // transaction and removes children before their parents; tests hold
        // that rule with `PRAGMA foreign_key_check`.
        conn.pragma_update(None, "foreign_keys", false)?;
        conn.pragma_update(None, "cache_size", -8192)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Checkpoints run on their own thread; this is only the safety net.
        conn.pragma_update(None, "wal_autocheckpoint", 16_384)?;
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        // Every statement of a commit stays prepared between commits: the
        // default of 16 is fewer than a commit uses, and an evicted statement
        // is compiled again on its next use.
        conn.set_prepared_statement_cache_capacity(64);
        register_functions(&conn)?;
        schema::migrate(&mut conn, progress)?;
        let checkpointer = Checkpointer::start(path)?;
        Ok(Self {
            conn,
            cache: InternCache::default(),
            data_version: None,
            sealed_at: None,
            _checkpointer: checkpointer,
        })
    }

    /// The connection, for maintenance and tests.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Seals the heat rollups' past days as of `now_ms`, all of them now
    /// (commits seal a little at a time): for tools that write history in
    /// bulk, and tests.
    pub fn seal_heat(&mut self, now_ms: i64) -> Result<(), StoreError> {
        self.seal_heat_for(now_ms, None)
    }

    fn seal_heat_for(&mut self, now_ms: i64, deadline: Option<Instant>) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        heat_seal::seal(&tx, heat_blocks::seal_for(now_ms), deadline)?;
        tx.commit()?;
        self.sealed_at = Some(Instant::now());
        Ok(())
    }

    /// After a commit: seals a little when [`SEAL_EVERY`] has passed. A
    /// failure is left for the next time: until then reads take those days
    /// from their rows, which stay the truth.
    fn seal_now_and_then(&mut self) {
        if self.sealed_at.is_some_and(|at| at.elapsed() < SEAL_EVERY) {
            return;
        }
        let deadline = Instant::now() + SEAL_FOR;
        if self.seal_heat_for(crate::now_ms(), Some(deadline)).is_err() {
            self.sealed_at = Some(Instant::now());
        }
    }
}

impl SqliteWriter {
    /// Forgets remembered ids when another connection has committed since
    /// this one last looked (it may have removed the rows they point at).
    fn notice_other_writers(&mut self) -> rusqlite::Result<()> {
        let version: i64 = self
            .conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?;
        if self.data_version != Some(version) {
            self.cache.clear();
            self.data_version = Some(version);
        }
        Ok(())
    }

    /// Removes sessions, reported as `task`; the ids remembered for them go too.
    fn remove(
        &mut self,
        condition: &str,
        params: &[Value],
        task: &str,
        progress: &dyn Progress,
    ) -> Result<u64, StoreError> {
        let removed = remove_sessions(&mut self.conn, condition, params, task, progress);
        self.cache.clear();
        Ok(removed?)
    }
}

impl EventWriter for SqliteWriter {
    fn delete_visitor_reporting(
        &mut self,
        site: &str,
        visitor_id: &str,
        progress: &dyn Progress,
    ) -> Result<u64, StoreError> {
        self.remove(
            "s.site_id = (SELECT id FROM sites WHERE key = ?1) AND s.visitor_key = ?2",
            &[
                Value::Text(site.to_owned()),
                Value::Text(visitor_id.to_owned()),
            ],
            DELETING_VISITOR,
            progress,
        )
    }

    fn expire_before(&mut self, cutoff_ms: i64) -> Result<u64, StoreError> {
        self.remove(
            "s.start_ts < ?1 AND s.end_ts < ?1",
            &[Value::Integer(cutoff_ms)],
            "removing expired sessions",
            &Silent,
        )
    }

    fn newest_layouts(&mut self, since_ms: i64) -> Result<Vec<StoredLayout>, StoreError> {
        Ok(newest_per_page(layouts::since(&self.conn, since_ms)?))
    }

    fn append_with_layouts(
        &mut self,
        batches: &[EventBatch],
        snapshots: &[SiteLayout],
    ) -> Result<Vec<AppendOutcome>, StoreError> {
        if let Err(e) = self.notice_other_writers() {
            self.cache.clear();
            return Err(e.into());
        }
        let result = (|| -> rusqlite::Result<Vec<AppendOutcome>> {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut fold = Fold::default();
            let outcomes = batches
                .iter()
                .map(|batch| insert_batch(&tx, &mut self.cache, batch, &mut fold))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rollups::apply(&tx, &mut self.cache, fold)?;
            layouts::write(&tx, &mut self.cache, &commit_writes(snapshots))?;
            tx.commit()?;
            Ok(outcomes)
        })();
        if result.is_err() {
            self.cache.clear();
        } else {
            self.seal_now_and_then();
        }
        Ok(result?)
    }
}

/// An event as the fold reads it, stored as `row` (row ids grow with
/// storage order).
fn fact_of(
    event: &Event,
    row: i64,
    session: i64,
    page: i64,
    selector: Option<i64>,
    element: Option<Rect>,
) -> Fact<'_, SqliteKeys> {
    Fact {
        session,
        page,
        order: row,
        kind: event.kind,
        ts: event.ts,
        url: &event.url,
        referrer: event.referrer.as_deref(),
        viewport_width: event.viewport.map(|s| s.width),
        viewport_height: event.viewport.map(|s| s.height),
        page_size: event.page,
        x: event.x,
        y: event.y,
        selector,
        element,
        label: event.target.as_ref().and_then(|t| t.label.as_deref()),
        depth: event.depth,
        depth_from: event.depth_from,
        name: event.name.as_deref(),
        rage: false,
    }
}

/// Inserts a batch's events, skipping those already stored, and folds each
/// new one into `fold`.
fn insert_batch(
    tx: &Transaction<'_>,
    cache: &mut InternCache,
    batch: &EventBatch,
    fold: &mut Fold<SqliteKeys>,
) -> rusqlite::Result<AppendOutcome> {
    // A request of layout snapshots alone: no session to touch.
    if batch.events.is_empty() {
        return Ok(AppendOutcome::default());
    }
    let site_id = cache.site(tx, &batch.site)?;
    let session_id = cache.session(tx, site_id, batch)?;

    let mut outcome = AppendOutcome::default();
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO events (site_id, event_key, session_id, kind, ts, received_at, flags,
             page_id, url, title, referrer, vw, vh, pw, ph, x, y, selector_id, label, bx, by, bw, bh,
             depth, name, props, depth_from)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
             ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
    )?;
    for event in &batch.events {
        let page_id = cache.page(tx, site_id, &event.page_key)?;
        let target = event.target.as_ref();
        let selector_id = match target.and_then(|t| t.selector.as_deref()) {
            Some(selector) => Some(cache.selector(tx, selector)?),
            None => None,
        };
        let label = target.and_then(|t| t.label.as_deref());
        let rect = target.and_then(|t| t.rect);
        let flags = if event.clock_adjusted {
            FLAG_CLOCK_ADJUSTED
        } else {
            0
        };
        let inserted = insert.execute(params![
            site_id,
            event.id,
            session_id,
            event.kind.code(),
            event.ts,
            event.received_at,
            flags,
            page_id,
            event.url,
            event.title,
            event.referrer,
            event.viewport.map(|s| s.width),
            event.viewport.map(|s| s.height),
            event.page.map(|s| s.width),
            event.page.map(|s| s.height),
            event.x,
            event.y,
            selector_id,
            label,
            rect.map(|r| r.x),
            rect.map(|r| r.y),
            rect.map(|r| r.width),
            rect.map(|r| r.height),
            event.depth,
            event.name,
            event.props,
            event.depth_from,
        ])?;
        if inserted == 0 {
            outcome.duplicates += 1;
            continue;
        }
        outcome.inserted += 1;
        let row = tx.last_insert_rowid();
        if event.kind == EventKind::Click {
            let click = StoredClick::new(row, event, page_id, selector_id, rect);
            cache.recent_clicks.stored(session_id, click);
        }
        fold.add(&fact_of(event, row, session_id, page_id, selector_id, rect));
    }
    drop(insert);
    if outcome.inserted == 0 {
        cache.drop_session_if_empty(tx, site_id, session_id, batch)?;
    }
    Ok(outcome)
}
