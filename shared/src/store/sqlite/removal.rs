//! Removing whole sessions — one visitor's, or those past retention — with
//! their events and every contribution they made to the rollups, so that
//! afterwards every read answers as if they had never been stored.
//!
//! Sessions go in chunks, one transaction each, so that a large expiry never
//! holds the write lock for long; each chunk is reported to the caller's
//! [`Progress`] in sessions, out of the count taken before the first.

use super::heat_rollups::{self, scroll_span, SqliteHeat};
use super::rollups::{apply_page_totals, element_of, HourDeltas, HourShare, PageTotalsDelta};
use crate::event::{EventKind, FLAG_RAGE_CLICK};
use crate::progress::Progress;
use crate::store::fast_hash::FastMap;
use crate::store::heat::{click_anchor, FineCell};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, Transaction, TransactionBehavior};
use std::collections::BTreeSet;

/// Sessions removed per transaction.
const SESSIONS_PER_CHUNK: i64 = 500;

/// Removes every session matching `condition` (SQL over `sessions s`, with
/// `params`), chunk by chunk, reporting them as `task`. Returns the number
/// of events removed.
pub(super) fn remove_sessions(
    conn: &mut Connection,
    condition: &str,
    params: &[Value],
    task: &str,
    progress: &dyn Progress,
) -> rusqlite::Result<u64> {
    let total: u64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM sessions s WHERE {condition}"),
        params_from_iter(params.iter()),
        |r| r.get(0),
    )?;
    if total == 0 {
        return Ok(0);
    }
    progress.begin(task, Some(total));
    let removed = remove_in_chunks(conn, condition, params, progress);
    progress.end();
    removed
}

fn remove_in_chunks(
    conn: &mut Connection,
    condition: &str,
    params: &[Value],
    progress: &dyn Progress,
) -> rusqlite::Result<u64> {
    let mut removed = 0;
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<i64> = {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT s.id FROM sessions s WHERE {condition} LIMIT {SESSIONS_PER_CHUNK}"
            ))?;
            let rows = stmt.query_map(params_from_iter(params.iter()), |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if ids.is_empty() {
            tx.commit()?;
            return Ok(removed);
        }
        removed += remove_chunk(&tx, &ids)?;
        tx.commit()?;
        progress.advance(ids.len() as u64);
    }
}

fn remove_chunk(tx: &Transaction<'_>, ids: &[i64]) -> rusqlite::Result<u64> {
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS doomed (id INTEGER PRIMARY KEY);
         DELETE FROM temp.doomed;",
    )?;
    {
        let mut insert = tx.prepare_cached("INSERT INTO temp.doomed (id) VALUES (?1)")?;
        for id in ids {
            insert.execute([id])?;
        }
    }

    // Hourly session shares.
    {
        let mut stmt = tx.prepare_cached(concat!(
            "SELECT ",
            hour_share_columns!(),
            " FROM sessions WHERE id IN temp.doomed AND events > 0"
        ))?;
        let shares = stmt
            .query_map([], HourShare::read)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut hours = HourDeltas::default();
        for share in shares {
            share.add(&mut hours, -1);
        }
        hours.write(tx)?;
    }

    // Heatmap rollups: take the clicks out, then redo what a sum cannot undo.
    let heat = removed_heat(tx)?;

    // Per-page rollups: what the sessions added to each page's all-time
    // totals, taken out again the way the writer put it in (no page's other
    // sessions are read), and which visitors they brought to which pages.
    let RemovedPages {
        mut totals,
        visitors,
    } = removed_page_totals(tx)?;

    let events = tx.execute("DELETE FROM events WHERE session_id IN temp.doomed", [])? as u64;
    tx.execute(
        "DELETE FROM session_pages WHERE session_id IN temp.doomed",
        [],
    )?;
    tx.execute(
        "DELETE FROM session_steps WHERE (start_ts, session_id) IN
             (SELECT start_ts, id FROM sessions WHERE id IN temp.doomed)",
        [],
    )?;
    tx.execute("DELETE FROM sessions WHERE id IN temp.doomed", [])?;
    heat_rollups::apply(tx, &heat)?;
    heat_rollups::refresh_removed(&heat, tx)?;

    // A visitor leaves a page's visitors when none of their remaining
    // sessions saw it: their sessions by the visitor index, each one's row
    // for the page by its key.
    let mut forget = tx.prepare_cached(
        "DELETE FROM page_visitors WHERE page_id = ?1 AND visitor_key = ?2
         AND NOT EXISTS (SELECT 1 FROM sessions s CROSS JOIN session_pages sp
                         ON sp.session_id = s.id AND sp.page_id = ?1
                         WHERE s.visitor_key = ?2)",
    )?;
    for (page_id, visitor) in &visitors {
        let forgotten = forget.execute(params![page_id, visitor])? as i64;
        totals.entry(*page_id).or_default().visitors -= forgotten;
    }
    let pages: Vec<i64> = totals.keys().copied().collect();
    apply_page_totals(tx, totals)?;
    let mut drop_empty =
        tx.prepare_cached("DELETE FROM page_totals WHERE page_id = ?1 AND sessions = 0")?;
    for page_id in pages {
        drop_empty.execute([page_id])?;
    }
    Ok(events)
}

/// What the doomed sessions brought to the pages.
struct RemovedPages {
    /// Their share of each page's all-time totals, negated.
    totals: FastMap<i64, PageTotalsDelta>,
    /// The (page, visitor) pairs they touched.
    visitors: BTreeSet<(i64, String)>,
}

fn removed_page_totals(tx: &Transaction<'_>) -> rusqlite::Result<RemovedPages> {
    let mut stmt = tx.prepare_cached(
        "SELECT sp.page_id, s.visitor_key, sp.views, sp.clicks, sp.rage_clicks, sp.scroll_sum,
                sp.scroll_count
         FROM temp.doomed d CROSS JOIN session_pages sp ON sp.session_id = d.id
         JOIN sessions s ON s.id = d.id",
    )?;
    let mut totals: FastMap<i64, PageTotalsDelta> = FastMap::default();
    let mut visitors = BTreeSet::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let page_id: i64 = r.get(0)?;
        visitors.insert((page_id, r.get::<_, String>(1)?));
        let t = totals.entry(page_id).or_default();
        t.sessions -= 1;
        t.views -= r.get::<_, i64>(2)?;
        t.clicks -= r.get::<_, i64>(3)?;
        t.rage_clicks -= r.get::<_, i64>(4)?;
        let scroll_count: i64 = r.get(6)?;
        if scroll_count > 0 {
            t.scroll.push(-r.get::<_, f64>(5)?);
        }
        t.scroll_count -= scroll_count;
    }
    Ok(RemovedPages { totals, visitors })
}

/// The heatmap deltas of taking out the clicks and scroll reports of the
/// doomed sessions.
fn removed_heat(tx: &Transaction<'_>) -> rusqlite::Result<SqliteHeat> {
    let mut heat = SqliteHeat::default();
    // The kind is written into the statement, not bound: SQLite compiles a
    // statement again on every run when a bound value decides whether the
    // partial index `clicks_by_page` (`WHERE kind = 1`) applies.
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT page_id, ts, x, y, pw, vw, ph, selector_id, label, flags, bx, by, bw, bh
         FROM events WHERE session_id IN temp.doomed AND kind = {}",
        EventKind::Click.code()
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let cell = FineCell::of(r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
        if let Some(cell) = cell {
            let flags: i64 = r.get(9)?;
            let selector: Option<i64> = r.get(7)?;
            let anchor = click_anchor(selector, r.get(2)?, r.get(3)?, element_of(r, 10)?);
            heat.remove_click(
                &r.get(0)?,
                cell,
                selector.as_ref(),
                anchor.map(|(_, a)| a),
                r.get::<_, Option<i64>>(4)?.unwrap_or_default(),
                flags & FLAG_RAGE_CLICK != 0,
            );
        }
    }
    drop(rows);
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT page_id, {} FROM events WHERE session_id IN temp.doomed AND kind = {}",
        heat_rollups::scroll_columns(""),
        EventKind::Scroll.code()
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        if let Some(span) = scroll_span(r, 1)? {
            heat.count_reach(&r.get(0)?, span, -1);
        }
    }
    Ok(heat)
}
