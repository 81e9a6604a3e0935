//! Ids of sites, pages, selectors and sessions, interned in their own tables
//! and remembered between transactions, with the session rows last written.

use super::rage_clicks::RecentClicks;
use super::rollups::SessionRow;
use crate::event::EventBatch;
use rusqlite::{params, OptionalExtension, Transaction};
use std::collections::HashMap;

/// Interned ids remembered between transactions; dropped after a failed one,
/// since a rolled-back insert leaves a remembered id pointing at nothing.
#[derive(Default)]
pub(super) struct InternCache {
    sites: HashMap<String, i64>,
    /// Site → page key → id.
    pages: HashMap<i64, HashMap<String, i64>>,
    selectors: HashMap<String, i64>,
    /// Site → session key → row.
    sessions: HashMap<i64, HashMap<String, i64>>,
    remembered: usize,
    /// Session row → the row as last written.
    session_rows: HashMap<i64, SessionRow>,
    /// Each session's recent clicks, for rage judging.
    pub(super) recent_clicks: RecentClicks,
}

/// Beyond this many remembered ids, the cache starts over.
const INTERN_CACHE_LIMIT: usize = 100_000;

/// Beyond this many remembered session rows, they start over. Far fewer than
/// ids: a row is larger, and only sessions still receiving events gain from it.
const SESSION_ROW_LIMIT: usize = 10_000;

impl InternCache {
    pub(super) fn clear(&mut self) {
        self.sites.clear();
        self.pages.clear();
        self.selectors.clear();
        self.sessions.clear();
        self.remembered = 0;
        self.session_rows.clear();
        self.recent_clicks.clear();
    }

    /// The session row as last written, if remembered; the caller keeps it
    /// again once written.
    pub(super) fn take_session_row(&mut self, id: i64) -> Option<SessionRow> {
        self.session_rows.remove(&id)
    }

    pub(super) fn keep_session_row(&mut self, id: i64, row: SessionRow) {
        if self.session_rows.len() >= SESSION_ROW_LIMIT {
            self.session_rows.clear();
        }
        self.session_rows.insert(id, row);
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
    pub(super) fn session(
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
        // min/max), not from duplicates the batch may carry. A session this
        // connection does not remember may exist: it is then looked up. (An
        // upsert that sets the key to itself would do both in one statement,
        // but it rewrites the key's index entry and runs under a statement
        // journal even when it inserts.)
        let inserted = tx
            .prepare_cached(
                "INSERT INTO sessions (site_id, session_key, visitor_key, start_ts, end_ts, device, browser, os)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (site_id, session_key) DO NOTHING
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
            )
            .optional()?;
        let id = match inserted {
            Some(id) => id,
            None => tx
                .prepare_cached("SELECT id FROM sessions WHERE site_id = ?1 AND session_key = ?2")?
                .query_row(params![site_id, batch.session_id], |r| r.get(0))?,
        };
        self.make_room();
        self.sessions
            .entry(site_id)
            .or_default()
            .insert(batch.session_id.clone(), id);
        Ok(id)
    }

    pub(super) fn site(&mut self, tx: &Transaction<'_>, key: &str) -> rusqlite::Result<i64> {
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

    pub(super) fn page(
        &mut self,
        tx: &Transaction<'_>,
        site_id: i64,
        key: &str,
    ) -> rusqlite::Result<i64> {
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

    pub(super) fn selector(&mut self, tx: &Transaction<'_>, value: &str) -> rusqlite::Result<i64> {
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
    pub(super) fn drop_session_if_empty(
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
            // Its row id may be given to the next new session.
            self.session_rows.remove(&session_id);
            if let Some(sessions) = self.sessions.get_mut(&site_id) {
                sessions.remove(&batch.session_id);
            }
        }
        Ok(())
    }
}
