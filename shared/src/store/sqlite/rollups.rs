//! Applying a commit's fold ([`crate::store::core::fold`]) to the SQLite
//! rollups, in the commit's transaction: rage judging first (its flags add to
//! the fold), then the heatmap rollups, the sessions with their share of
//! `session_hours`, and the per-session pages with their all-time totals.

use super::{heat_rollups, steps};
use crate::event::{EventKind, Rect, Size, FLAG_RAGE_CLICK};
use crate::store::core::fold::{Fact, Fold, Keys, PageDelta, SessionDelta};
use crate::store::core::rage::{self, Candidate};
use crate::store::query::DIRECT_REFERRER;
use rusqlite::{params, Transaction};
use std::collections::HashMap;

/// Sessions, pages and selectors are rows of their tables.
pub(super) struct SqliteKeys;

impl Keys for SqliteKeys {
    type Session = i64;
    type Page = i64;
    type Selector = i64;
}

/// Writes every rollup change of a commit.
pub(super) fn apply(tx: &Transaction<'_>, mut fold: Fold<SqliteKeys>) -> rusqlite::Result<()> {
    flag_rage_clicks(tx, &mut fold)?;
    heat_rollups::apply(tx, &fold.heat)?;
    let mut visitors = HashMap::with_capacity(fold.sessions.len());
    for (session_id, delta) in &fold.sessions {
        let visitor = apply_session_delta(tx, *session_id, delta)?;
        visitors.insert(*session_id, visitor);
    }
    apply_page_deltas(tx, &fold.pages, &visitors)
}

/// Re-judges the clicks around each session's new clicks and flags the new
/// rage clicks (the judge counts them into `fold`).
fn flag_rage_clicks(tx: &Transaction<'_>, fold: &mut Fold<SqliteKeys>) -> rusqlite::Result<()> {
    let mut select = tx.prepare_cached(
        "SELECT id, ts, x, y, flags, page_id, pw, ph, vw, selector_id, bx, by, bw, bh
         FROM events
         WHERE session_id = ?1 AND ts BETWEEN ?2 AND ?3 AND kind = ?4",
    )?;
    let mut clicks = Vec::new();
    for (session_id, lo, hi) in fold.rage_windows() {
        let rows = select.query_map(params![session_id, lo, hi, EventKind::Click.code()], |r| {
            let id: i64 = r.get(0)?;
            let flags: i64 = r.get(4)?;
            let page_size = match (r.get::<_, Option<u32>>(6)?, r.get::<_, Option<u32>>(7)?) {
                (Some(width), Some(height)) => Some(Size { width, height }),
                _ => None,
            };
            Ok(Candidate {
                row: id,
                flagged: flags & FLAG_RAGE_CLICK != 0,
                fact: Fact {
                    session: session_id,
                    page: r.get(5)?,
                    order: id,
                    kind: EventKind::Click,
                    ts: r.get(1)?,
                    url: "",
                    referrer: None,
                    viewport_width: r.get(8)?,
                    page_size,
                    x: r.get(2)?,
                    y: r.get(3)?,
                    selector: r.get(9)?,
                    element: element_of(r, 10)?,
                    label: None,
                    depth: None,
                    name: None,
                    rage: false,
                },
            })
        })?;
        for row in rows {
            clicks.push(row?);
        }
    }
    let mut flag = tx.prepare_cached("UPDATE events SET flags = flags | ?1 WHERE id = ?2")?;
    for row in rage::judge(fold, clicks) {
        flag.execute(params![FLAG_RAGE_CLICK, row])?;
    }
    Ok(())
}

/// The element box stored in the four columns `bx, by, bw, bh` from
/// `first` on.
pub(super) fn element_of(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Option<Rect>> {
    Ok(
        match (
            r.get::<_, Option<i32>>(first)?,
            r.get::<_, Option<i32>>(first + 1)?,
            r.get::<_, Option<u32>>(first + 2)?,
            r.get::<_, Option<u32>>(first + 3)?,
        ) {
            (Some(x), Some(y), Some(width), Some(height)) => Some(Rect {
                x,
                y,
                width,
                height,
            }),
            _ => None,
        },
    )
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
    d: &SessionDelta<i64>,
) -> rusqlite::Result<String> {
    let (visitor, before, stored_steps) = tx
        .prepare_cached(concat!(
            "SELECT ",
            hour_share_columns!(),
            ", events, visitor_key, steps FROM sessions WHERE id = ?1"
        ))?
        .query_row([session_id], |r| {
            // A session without stored events has no share yet.
            let share = if r.get::<_, i64>(8)? > 0 {
                Some(HourShare::read(r)?)
            } else {
                None
            };
            // The stored steps are copied out only when new ones merge in.
            let steps = if d.steps.is_empty() {
                None
            } else {
                r.get::<_, Option<Vec<u8>>>(10)?
            };
            Ok((r.get::<_, String>(9)?, share, steps))
        })?;
    // The steps with the new ones merged in place, and the quick backs they
    // make; `None` leaves both as they are. A blob that cannot be read is
    // started afresh rather than failing every commit of its session.
    let steps = (!d.steps.is_empty()).then(|| {
        steps::merged(stored_steps.as_deref(), &d.steps)
            .or_else(|_| steps::merged(None, &d.steps))
            .unwrap_or_default()
    });
    let (steps, quick_backs) = steps.unzip();
    let (entry_ts, entry_page, referrer) = match &d.entry {
        Some(entry) => (Some(entry.ts), Some(entry.page), entry.referrer.as_deref()),
        None => (None, None, None),
    };
    let (exit_ts, exit_page) = d
        .exit
        .as_ref()
        .map_or((None, None), |exit| (Some(exit.ts), Some(exit.page)));
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
                                  THEN ?11 ELSE exit_ts END,
             steps         = coalesce(?13, steps),
             quick_backs   = coalesce(?14, quick_backs),
             last_rage_ts  = CASE WHEN last_rage_ts IS NULL OR ?15 > last_rage_ts
                                  THEN coalesce(?15, last_rage_ts) ELSE last_rage_ts END
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
                exit_page,
                steps,
                quick_backs,
                d.last_rage
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
    apply_page_totals(tx, totals)
}

/// Adds each page's share of the commit to its all-time totals.
fn apply_page_totals(
    tx: &Transaction<'_>,
    totals: HashMap<i64, PageTotalsDelta>,
) -> rusqlite::Result<()> {
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
