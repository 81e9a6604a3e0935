//! The write side: one read-write connection, one transaction per group of
//! batches, every rollup updated in that transaction.

use super::checkpoint::Checkpointer;
use super::heat_rollups::HeatDeltas;
use super::rage::{rage_rows, ClickPoint};
use super::removal::remove_sessions;
use super::{register_functions, schema};
use crate::event::{EventBatch, EventKind, FLAG_CLOCK_ADJUSTED, FLAG_RAGE_CLICK};
use crate::limits::RAGE_CLICK_WINDOW_MS;
use crate::page_key::url_host;
use crate::progress::{Progress, Silent};
use crate::store::heat::FineCell;
use crate::store::query::DIRECT_REFERRER;
use crate::store::{AppendOutcome, EventWriter, StoreError, DELETING_VISITOR};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OpenFlags, Transaction, TransactionBehavior};
use std::collections::HashMap;
use std::path::Path;

/// Interned ids remembered between transactions; dropped after a failed one,
/// since a rolled-back insert leaves a remembered id pointing at nothing.
#[derive(Default)]
struct InternCache {
    sites: HashMap<String, i64>,
    /// Site → page key → id.
    pages: HashMap<i64, HashMap<String, i64>>,
    selectors: HashMap<String, i64>,
    /// Site → session key → row.
    sessions: HashMap<i64, HashMap<String, i64>>,
    remembered: usize,
}

/// Beyond this many remembered ids, the cache starts over.
const INTERN_CACHE_LIMIT: usize = 100_000;

/// How long a commit waits for a write lock held by another connection
/// before it fails. Short, because requests wait behind the commit: a lock
/// held longer turns into quick 503s (and a reopen) instead of stalled requests.
const WRITE_BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

impl InternCache {
    fn clear(&mut self) {
        self.sites.clear();
        self.pages.clear();
        self.selectors.clear();
        self.sessions.clear();
        self.remembered = 0;
    }

    /// Starts over when too much is remembered; the next lookups go to the database.
    fn make_room(&mut self) {
        self.remembered += 1;
        if self.remembered > INTERN_CACHE_LIMIT {
            self.clear();
        }
    }

    /// The row of the batch's session, created on first sight with the client
    /// description of its first batch.
    fn session(
        &mut self,
        tx: &Transaction<'_>,
        site_id: i64,
        batch: &EventBatch,
    ) -> rusqlite::Result<i64> {
        let known = self
            .sessions
            .get(&site_id)
            .and_then(|m| m.get(&batch.session_id));
        if let Some(&id) = known {
            return Ok(id);
        }
        // Start and end come from the events actually stored (the rollup takes
        // min/max), not from duplicates the batch may carry.
        let id = tx
            .prepare_cached(
                "INSERT INTO sessions (site_id, session_key, visitor_key, start_ts, end_ts, device, browser, os)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (site_id, session_key) DO UPDATE SET session_key = excluded.session_key
                 RETURNING id",
            )?
            .query_row(
                params![
                    site_id,
                    batch.session_id,
                    batch.visitor_id,
                    i64::MAX,
                    i64::MIN,
                    batch.client.device.code(),
                    batch.client.browser,
                    batch.client.os
                ],
                |r| r.get(0),
            )?;
        self.make_room();
        self.sessions
            .entry(site_id)
            .or_default()
            .insert(batch.session_id.clone(), id);
        Ok(id)
    }

    fn site(&mut self, tx: &Transaction<'_>, key: &str) -> rusqlite::Result<i64> {
        if let Some(&id) = self.sites.get(key) {
            return Ok(id);
        }
        let id = tx
            .prepare_cached(
                "INSERT INTO sites (key) VALUES (?1)
                 ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING id",
            )?
            .query_row([key], |r| r.get(0))?;
        self.sites.insert(key.to_owned(), id);
        Ok(id)
    }

    fn page(&mut self, tx: &Transaction<'_>, site_id: i64, key: &str) -> rusqlite::Result<i64> {
        if let Some(&id) = self.pages.get(&site_id).and_then(|m| m.get(key)) {
            return Ok(id);
        }
        let id = tx
            .prepare_cached(
                "INSERT INTO pages (site_id, key) VALUES (?1, ?2)
                 ON CONFLICT (site_id, key) DO UPDATE SET key = excluded.key RETURNING id",
            )?
            .query_row(params![site_id, key], |r| r.get(0))?;
        self.make_room();
        self.pages
            .entry(site_id)
            .or_default()
            .insert(key.to_owned(), id);
        Ok(id)
    }

    fn selector(&mut self, tx: &Transaction<'_>, value: &str) -> rusqlite::Result<i64> {
        if let Some(&id) = self.selectors.get(value) {
            return Ok(id);
        }
        let id = tx
            .prepare_cached(
                "INSERT INTO selectors (value) VALUES (?1)
                 ON CONFLICT (value) DO UPDATE SET value = excluded.value RETURNING id",
            )?
            .query_row([value], |r| r.get(0))?;
        self.make_room();
        self.selectors.insert(value.to_owned(), id);
        Ok(id)
    }

    /// Removes the batch's session row when no event of it is stored (the
    /// batch was empty or held only events stored under another session).
    fn drop_session_if_empty(
        &mut self,
        tx: &Transaction<'_>,
        site_id: i64,
        session_id: i64,
        batch: &EventBatch,
    ) -> rusqlite::Result<()> {
        let deleted = tx
            .prepare_cached(
                "DELETE FROM sessions WHERE id = ?1
                 AND NOT EXISTS (SELECT 1 FROM events WHERE session_id = ?1)",
            )?
            .execute([session_id])?;
        if deleted > 0 {
            if let Some(sessions) = self.sessions.get_mut(&site_id) {
                sessions.remove(&batch.session_id);
            }
        }
        Ok(())
    }
}

/// The only read-write connection to a SQLite database.
pub struct SqliteWriter {
    conn: Connection,
    cache: InternCache,
    /// `PRAGMA data_version` when the cache was last known to be valid.
    data_version: Option<i64>,
    _checkpointer: Checkpointer,
}

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
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(WRITE_BUSY_TIMEOUT)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt(format!(
                "could not switch the journal to WAL (got {mode})"
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "cache_size", -8192)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Checkpoints run on their own thread; this is only the safety net.
        conn.pragma_update(None, "wal_autocheckpoint", 16_384)?;
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        register_functions(&conn)?;
        schema::migrate(&mut conn, progress)?;
        let checkpointer = Checkpointer::start(path)?;
        Ok(Self {
            conn,
            cache: InternCache::default(),
            data_version: None,
            _checkpointer: checkpointer,
        })
    }

    /// The connection, for maintenance and tests.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

impl SqliteWriter {
    /// Forgets remembered ids when another connection has committed since
    /// this one last looked (it may have removed the rows they point at).
    fn notice_other_writers(&mut self) -> rusqlite::Result<()> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?;
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

    fn append(&mut self, batches: &[EventBatch]) -> Result<Vec<AppendOutcome>, StoreError> {
        if let Err(e) = self.notice_other_writers() {
            self.cache.clear();
            return Err(StoreError::Sqlite(e));
        }
        let result = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut rollups = Rollups::default();
            let outcomes = batches
                .iter()
                .map(|batch| insert_batch(&tx, &mut self.cache, batch, &mut rollups))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rollups.apply(&tx)?;
            tx.commit()?;
            Ok(outcomes)
        })();
        if result.is_err() {
            self.cache.clear();
        }
        result.map_err(StoreError::Sqlite)
    }
}

/// Changes to one session's rollup from one commit.
struct SessionDelta {
    events: i64,
    page_views: i64,
    clicks: i64,
    rage_clicks: i64,
    start: i64,
    end: i64,
    /// Earliest page view: (ts, page, external referrer host).
    entry: Option<(i64, i64, Option<String>)>,
    /// Latest page view: (ts, page).
    exit: Option<(i64, i64)>,
    /// Time span of the clicks newly stored, for rage detection.
    click_span: Option<(i64, i64)>,
}

impl Default for SessionDelta {
    fn default() -> Self {
        Self {
            events: 0,
            page_views: 0,
            clicks: 0,
            rage_clicks: 0,
            start: i64::MAX,
            end: i64::MIN,
            entry: None,
            exit: None,
            click_span: None,
        }
    }
}

/// Changes to one (session, page) rollup row.
#[derive(Default)]
struct PageDelta {
    first_ts: i64,
    views: i64,
    clicks: i64,
    rage_clicks: i64,
    scroll_sum: f64,
    scroll_count: i64,
}

/// Every rollup change of one commit, gathered over all its batches so that a
/// session or page touched by several batches is written once.
#[derive(Default)]
struct Rollups {
    sessions: HashMap<i64, SessionDelta>,
    pages: HashMap<(i64, i64), PageDelta>,
    heat: HeatDeltas,
}

impl Rollups {
    fn page(&mut self, session_id: i64, page_id: i64, ts: i64) -> &mut PageDelta {
        let page = self
            .pages
            .entry((session_id, page_id))
            .or_insert_with(|| PageDelta {
                first_ts: ts,
                ..PageDelta::default()
            });
        page.first_ts = page.first_ts.min(ts);
        page
    }

    fn apply(mut self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let spans: Vec<(i64, (i64, i64))> = self
            .sessions
            .iter()
            .filter_map(|(id, d)| d.click_span.map(|span| (*id, span)))
            .collect();
        for (session_id, (lo, hi)) in spans {
            flag_rage_clicks(tx, session_id, lo, hi, &mut self)?;
        }
        self.heat.apply(tx)?;
        let mut visitors = HashMap::with_capacity(self.sessions.len());
        for (session_id, delta) in &self.sessions {
            let visitor = apply_session_delta(tx, *session_id, delta)?;
            visitors.insert(*session_id, visitor);
        }
        apply_page_deltas(tx, &self.pages, &visitors)
    }
}

fn insert_batch(
    tx: &Transaction<'_>,
    cache: &mut InternCache,
    batch: &EventBatch,
    rollups: &mut Rollups,
) -> rusqlite::Result<AppendOutcome> {
    let site_id = cache.site(tx, &batch.site)?;
    let session_id = cache.session(tx, site_id, batch)?;

    let mut outcome = AppendOutcome::default();
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO events (site_id, event_key, session_id, kind, ts, received_at, flags,
             page_id, url, title, referrer, vw, vh, pw, ph, x, y, selector_id, label, bx, by, bw, bh,
             depth, name, props)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
             ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
    )?;
    for event in &batch.events {
        let page_id = cache.page(tx, site_id, &event.page_key)?;
        let target = event.target.as_ref();
        let selector_id = match target.and_then(|t| t.selector.as_deref()) {
            Some(selector) => Some(cache.selector(tx, selector)?),
            None => None,
        };
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
            target.and_then(|t| t.label.as_deref()),
            rect.map(|r| r.x),
            rect.map(|r| r.y),
            rect.map(|r| r.width),
            rect.map(|r| r.height),
            event.depth,
            event.name,
            event.props,
        ])?;
        if inserted == 0 {
            outcome.duplicates += 1;
            continue;
        }
        outcome.inserted += 1;

        let session = rollups.sessions.entry(session_id).or_default();
        session.events += 1;
        session.start = session.start.min(event.ts);
        session.end = session.end.max(event.ts);
        match event.kind {
            EventKind::PageView => {
                session.page_views += 1;
                if session.entry.as_ref().is_none_or(|(ts, ..)| event.ts < *ts) {
                    session.entry = Some((event.ts, page_id, external_referrer(event)));
                }
                if session.exit.is_none_or(|(ts, _)| event.ts >= ts) {
                    session.exit = Some((event.ts, page_id));
                }
                rollups.page(session_id, page_id, event.ts).views += 1;
            }
            EventKind::Click => {
                session.clicks += 1;
                session.click_span = Some(match session.click_span {
                    None => (event.ts, event.ts),
                    Some((lo, hi)) => (lo.min(event.ts), hi.max(event.ts)),
                });
                rollups.page(session_id, page_id, event.ts).clicks += 1;
                if let Some(cell) = FineCell::of(
                    event.ts,
                    event.x,
                    event.y,
                    event.page.map(|s| s.width),
                    event.viewport.map(|s| s.width),
                ) {
                    rollups.heat.add_click(
                        page_id,
                        cell,
                        selector_id,
                        target.and_then(|t| t.label.as_deref()),
                        event.page.map(|s| i64::from(s.width)).unwrap_or_default(),
                        event.page.map(|s| i64::from(s.height)),
                        i64::from(event.y.unwrap_or_default()),
                    );
                }
            }
            EventKind::Scroll => {
                let page = rollups.page(session_id, page_id, event.ts);
                page.scroll_sum += event.depth.unwrap_or_default();
                page.scroll_count += 1;
            }
            EventKind::Custom => {
                rollups.page(session_id, page_id, event.ts);
            }
        }
    }
    drop(insert);
    if outcome.inserted == 0 {
        cache.drop_session_if_empty(tx, site_id, session_id, batch)?;
    }
    Ok(outcome)
}

/// The referrer's host when it is not the page's own host (internal
/// navigation is not a referrer).
fn external_referrer(event: &crate::event::Event) -> Option<String> {
    let referrer = url_host(event.referrer.as_deref()?)?;
    (Some(&referrer) != url_host(&event.url).as_ref()).then_some(referrer)
}

/// Re-judges the session's clicks around `[lo, hi]` and flags new rage clicks,
/// counting each newly flagged click into the rollups.
fn flag_rage_clicks(
    tx: &Transaction<'_>,
    session_id: i64,
    lo: i64,
    hi: i64,
    rollups: &mut Rollups,
) -> rusqlite::Result<()> {
    let mut select = tx.prepare_cached(
        "SELECT id, ts, x, y, flags, page_id, pw, vw, selector_id FROM events
         WHERE session_id = ?1 AND ts BETWEEN ?2 AND ?3 AND kind = ?4
         ORDER BY ts, id",
    )?;
    let mut clicks = Vec::new();
    let mut meta = HashMap::new();
    let rows = select.query_map(
        params![
            session_id,
            lo - RAGE_CLICK_WINDOW_MS,
            hi + RAGE_CLICK_WINDOW_MS,
            EventKind::Click.code()
        ],
        |r| {
            Ok((
                ClickPoint {
                    row: r.get(0)?,
                    ts: r.get(1)?,
                    x: r.get::<_, Option<f64>>(2)?.unwrap_or_default(),
                    y: r.get::<_, Option<f64>>(3)?.unwrap_or_default(),
                },
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                FineCell::of(r.get(1)?, r.get(2)?, r.get(3)?, r.get(6)?, r.get(7)?),
                r.get::<_, Option<i64>>(8)?,
            ))
        },
    )?;
    for row in rows {
        let (point, flags, page_id, cell, selector_id) = row?;
        meta.insert(point.row, (flags, page_id, point.ts, cell, selector_id));
        clicks.push(point);
    }
    let mut flag = tx.prepare_cached("UPDATE events SET flags = flags | ?1 WHERE id = ?2")?;
    for row in rage_rows(&clicks) {
        let Some(&(flags, page_id, ts, cell, selector_id)) = meta.get(&row) else {
            continue;
        };
        if flags & FLAG_RAGE_CLICK != 0 {
            continue;
        }
        flag.execute(params![FLAG_RAGE_CLICK, row])?;
        rollups.sessions.entry(session_id).or_default().rage_clicks += 1;
        rollups.page(session_id, page_id, ts).rage_clicks += 1;
        if let Some(cell) = cell {
            rollups.heat.add_rage(page_id, cell, selector_id);
        }
    }
    Ok(())
}

/// A session's contribution to `session_hours`.
#[derive(Clone, PartialEq)]
pub(super) struct HourShare {
    site_id: i64,
    hour: i64,
    device: i64,
    browser: String,
    referrer: String,
    page_views: i64,
    clicks: i64,
    duration: i64,
}

impl HourShare {
    pub(super) fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let start: i64 = r.get(0)?;
        let end: i64 = r.get(1)?;
        Ok(Self {
            hour: start.div_euclid(HOUR_MS) * HOUR_MS,
            duration: end - start,
            page_views: r.get(2)?,
            clicks: r.get(3)?,
            referrer: r
                .get::<_, Option<String>>(4)?
                .unwrap_or_else(|| DIRECT_REFERRER.to_owned()),
            site_id: r.get(5)?,
            device: r.get(6)?,
            browser: r.get(7)?,
        })
    }

    /// Adds `sign` times this share to its row.
    pub(super) fn add(&self, tx: &Transaction<'_>, sign: i64) -> rusqlite::Result<()> {
        tx.prepare_cached(
            "INSERT INTO session_hours (site_id, hour, device, browser, referrer, sessions,
                 page_views, clicks, bounced, viewed, duration_sum)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (hour, site_id, device, browser, referrer) DO UPDATE SET
                 sessions = sessions + excluded.sessions,
                 page_views = page_views + excluded.page_views,
                 clicks = clicks + excluded.clicks,
                 bounced = bounced + excluded.bounced,
                 viewed = viewed + excluded.viewed,
                 duration_sum = duration_sum + excluded.duration_sum",
        )?
        .execute(params![
            self.site_id,
            self.hour,
            self.device,
            self.browser,
            self.referrer,
            sign,
            sign * self.page_views,
            sign * self.clicks,
            sign * i64::from(self.page_views == 1),
            sign * i64::from(self.page_views >= 1),
            sign * self.duration,
        ])?;
        Ok(())
    }
}

const HOUR_MS: i64 = 3_600_000;

/// Applies a session's delta and moves its share of `session_hours` (its
/// start, referrer and counts may all have changed). Returns its visitor.
fn apply_session_delta(
    tx: &Transaction<'_>,
    session_id: i64,
    d: &SessionDelta,
) -> rusqlite::Result<String> {
    let (visitor, before) = tx
        .prepare_cached(concat!(
            "SELECT ",
            hour_share_columns!(),
            ", events, visitor_key FROM sessions WHERE id = ?1"
        ))?
        .query_row([session_id], |r| {
            // A session without stored events has no share yet.
            let share = if r.get::<_, i64>(8)? > 0 {
                Some(HourShare::read(r)?)
            } else {
                None
            };
            Ok((r.get::<_, String>(9)?, share))
        })?;
    let (entry_ts, entry_page, referrer) = match &d.entry {
        Some((ts, page, referrer)) => (Some(*ts), Some(*page), referrer.as_deref()),
        None => (None, None, None),
    };
    let (exit_ts, exit_page) = d.exit.map_or((None, None), |(t, p)| (Some(t), Some(p)));
    // In SQLite every SET expression sees the row as it was before the update.
    let after = tx
        .prepare_cached(concat!(
            "UPDATE sessions SET
             events = events + ?2, page_views = page_views + ?3, clicks = clicks + ?4,
             rage_clicks = rage_clicks + ?5,
             start_ts = min(start_ts, ?6), end_ts = max(end_ts, ?7),
             entry_page_id = CASE WHEN ?8 IS NOT NULL AND (entry_ts IS NULL OR ?8 < entry_ts)
                                  THEN ?9 ELSE entry_page_id END,
             referrer      = CASE WHEN ?8 IS NOT NULL AND (entry_ts IS NULL OR ?8 < entry_ts)
                                  THEN ?10 ELSE referrer END,
             entry_ts      = CASE WHEN ?8 IS NOT NULL AND (entry_ts IS NULL OR ?8 < entry_ts)
                                  THEN ?8 ELSE entry_ts END,
             exit_page_id  = CASE WHEN ?11 IS NOT NULL AND (exit_ts IS NULL OR ?11 >= exit_ts)
                                  THEN ?12 ELSE exit_page_id END,
             exit_ts       = CASE WHEN ?11 IS NOT NULL AND (exit_ts IS NULL OR ?11 >= exit_ts)
                                  THEN ?11 ELSE exit_ts END
 WHERE id = ?1
         RETURNING ",
            hour_share_columns!()
        ))?
        .query_row(
            params![
                session_id,
                d.events,
                d.page_views,
                d.clicks,
                d.rage_clicks,
                d.start,
                d.end,
                entry_ts,
                entry_page,
                referrer,
                exit_ts,
                exit_page
            ],
            HourShare::read,
        )?;
    if d.events > 0 || before.is_some() {
        match before {
            Some(before) if before == after => {}
            Some(before) => {
                before.add(tx, -1)?;
                after.add(tx, 1)?;
            }
            None => after.add(tx, 1)?,
        }
    }
    Ok(visitor)
}

fn apply_page_deltas(
    tx: &Transaction<'_>,
    pages: &HashMap<(i64, i64), PageDelta>,
    visitors: &HashMap<i64, String>,
) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO session_pages (session_id, page_id, first_ts, views, clicks,
             rage_clicks, scroll_sum, scroll_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut update = tx.prepare_cached(
        "UPDATE session_pages SET
             first_ts = min(first_ts, ?3),
             views = views + ?4,
             clicks = clicks + ?5,
             rage_clicks = rage_clicks + ?6,
             scroll_sum = scroll_sum + ?7,
             scroll_count = scroll_count + ?8
         WHERE session_id = ?1 AND page_id = ?2",
    )?;
    let mut visitor = tx.prepare_cached(
        "INSERT OR IGNORE INTO page_visitors (page_id, visitor_key) VALUES (?1, ?2)",
    )?;
    // Totals per page over all time; the scroll sum carries its rounding error
    // (Neumaier) so that it stays as close to exact as SQL's own sum.
    let mut totals: HashMap<i64, PageTotalsDelta> = HashMap::new();
    for ((session_id, page_id), d) in pages {
        let values = params![
            session_id,
            page_id,
            d.first_ts,
            d.views,
            d.clicks,
            d.rage_clicks,
            d.scroll_sum,
            d.scroll_count
        ];
        let new_row = insert.execute(values)? > 0;
        if !new_row {
            update.execute(values)?;
        }
        let t = totals.entry(*page_id).or_default();
        t.views += d.views;
        t.clicks += d.clicks;
        t.rage_clicks += d.rage_clicks;
        t.scroll_count += d.scroll_count;
        if d.scroll_count > 0 {
            t.scroll.push(d.scroll_sum);
        }
        if new_row {
            t.sessions += 1;
            if let Some(key) = visitors.get(session_id) {
                t.visitors += visitor.execute(params![page_id, key])? as i64;
            }
        }
    }
    let mut read =
        tx.prepare_cached("SELECT scroll_sum, scroll_err FROM page_totals WHERE page_id = ?1")?;
    let mut upsert = tx.prepare_cached(
        "INSERT INTO page_totals (page_id, views, sessions, visitors, clicks, rage_clicks,
             scroll_sum, scroll_err, scroll_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (page_id) DO UPDATE SET
             views = views + excluded.views,
             sessions = sessions + excluded.sessions,
             visitors = visitors + excluded.visitors,
             clicks = clicks + excluded.clicks,
             rage_clicks = rage_clicks + excluded.rage_clicks,
             scroll_sum = excluded.scroll_sum,
             scroll_err = excluded.scroll_err,
             scroll_count = scroll_count + excluded.scroll_count",
    )?;
    for (page_id, t) in totals {
        let (mut sum, mut err) = read
            .query_row([page_id], |r| {
                Ok((r.get::<_, f64>(0)?, r.get::<_, f64>(1)?))
            })
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok((0.0, 0.0)),
                e => Err(e),
            })?;
        for x in t.scroll {
            let s = sum + x;
            err += if sum.abs() >= x.abs() {
                (sum - s) + x
            } else {
                (x - s) + sum
            };
            sum = s;
        }
        upsert.execute(params![
            page_id,
            t.views,
            t.sessions,
            t.visitors,
            t.clicks,
            t.rage_clicks,
            sum,
            err,
            t.scroll_count
        ])?;
    }
    Ok(())
}

/// Changes to one page's all-time totals from one commit.
#[derive(Default)]
struct PageTotalsDelta {
    views: i64,
    sessions: i64,
    visitors: i64,
    clicks: i64,
    rage_clicks: i64,
    scroll: Vec<f64>,
    scroll_count: i64,
}
