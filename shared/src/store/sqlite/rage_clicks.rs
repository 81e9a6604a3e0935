//! Rage judging on commit: each session's stored clicks around its new ones
//! are handed to the core's judge (`core::rage`), and the clicks it finds in
//! a new burst are flagged.
//!
//! The clicks around a session's new ones are mostly those of its last
//! second, which the previous commits wrote. This connection remembers them
//! ([`RecentClicks`]): per session, every stored click from a time on, with
//! its flag, so that a commit reads the database only for a session it does
//! not remember, or for a click older than what it remembers (a late event).
//! The memory is dropped with the rest of [`super::intern::InternCache`]:
//! after a failed transaction, another connection's commit, or a removal.

use super::rollups::{element_of, SqliteKeys};
use crate::event::{Event, EventKind, Rect, Size, FLAG_RAGE_CLICK};
use crate::limits::RAGE_CLICK_WINDOW_MS;
use crate::store::core::fold::{Fact, Fold};
use crate::store::core::rage::{self, Candidate};
use crate::store::fast_hash::{FastMap, FastSet};
use rusqlite::{params, Transaction};
use std::sync::LazyLock;

/// A stored click, as the judge needs it.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct StoredClick {
    pub(super) row: i64,
    pub(super) ts: i64,
    pub(super) x: Option<i32>,
    pub(super) y: Option<i32>,
    pub(super) flagged: bool,
    pub(super) page: i64,
    pub(super) page_size: Option<Size>,
    pub(super) viewport_width: Option<u32>,
    pub(super) selector: Option<i64>,
    pub(super) element: Option<Rect>,
}

impl StoredClick {
    /// A click just stored as `row`, with its interned page and selector.
    pub(super) fn new(
        row: i64,
        event: &Event,
        page: i64,
        selector: Option<i64>,
        element: Option<Rect>,
    ) -> Self {
        Self {
            row,
            ts: event.ts,
            x: event.x,
            y: event.y,
            flagged: false,
            page,
            page_size: event.page,
            viewport_width: event.viewport.map(|s| s.width),
            selector,
            element,
        }
    }

    fn candidate(&self, session: i64) -> Candidate<'static, SqliteKeys, i64> {
        Candidate {
            row: self.row,
            flagged: self.flagged,
            fact: Fact {
                session,
                page: self.page,
                order: self.row,
                kind: EventKind::Click,
                ts: self.ts,
                url: "",
                referrer: None,
                viewport_width: self.viewport_width,
                viewport_height: None,
                page_size: self.page_size,
                x: self.x,
                y: self.y,
                selector: self.selector,
                element: self.element,
                label: None,
                depth: None,
                depth_from: None,
                name: None,
                rage: false,
            },
        }
    }

    /// Reads the columns of [`clicks_from_sql`].
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let flags: i64 = r.get(4)?;
        let page_size = match (r.get::<_, Option<u32>>(6)?, r.get::<_, Option<u32>>(7)?) {
            (Some(width), Some(height)) => Some(Size { width, height }),
            _ => None,
        };
        Ok(Self {
            row: r.get(0)?,
            ts: r.get(1)?,
            x: r.get(2)?,
            y: r.get(3)?,
            flagged: flags & FLAG_RAGE_CLICK != 0,
            page: r.get(5)?,
            page_size,
            viewport_width: r.get(8)?,
            selector: r.get(9)?,
            element: element_of(r, 10)?,
        })
    }
}

/// A session's stored clicks from a time on, all of them.
struct Remembered {
    from: i64,
    clicks: Vec<StoredClick>,
}

/// Per session, its stored clicks from a time on; and the clicks this
/// transaction stored so far.
#[derive(Default)]
pub(super) struct RecentClicks {
    sessions: FastMap<i64, Remembered>,
    /// The clicks in `sessions`.
    remembered: usize,
    new: FastMap<i64, Vec<StoredClick>>,
}

/// Beyond this many clicks remembered (about 100 bytes each), only the
/// sessions of the last commit are kept: a session that ended keeps its
/// last clicks until then.
const CLICKS_LIMIT: usize = 30_000;

/// How far back from its latest click a session's memory reaches: a new
/// click is judged with the clicks of the rage window before it, and clicks
/// come about in time order.
const KEEP_MS: i64 = 2 * RAGE_CLICK_WINDOW_MS;

impl RecentClicks {
    pub(super) fn clear(&mut self) {
        self.sessions.clear();
        self.remembered = 0;
        self.new.clear();
    }

    fn take(&mut self, session: i64) -> Option<Remembered> {
        let taken = self.sessions.remove(&session)?;
        self.remembered -= taken.clicks.len();
        Some(taken)
    }

    fn keep(&mut self, session: i64, remembered: Remembered) {
        self.remembered += remembered.clicks.len();
        if let Some(replaced) = self.sessions.insert(session, remembered) {
            self.remembered -= replaced.clicks.len();
        }
    }

    /// Past the limit, forgets the sessions `touched` does not hold, then,
    /// if still past it, every session.
    fn bound(&mut self, touched: &[i64]) {
        if self.remembered <= CLICKS_LIMIT {
            return;
        }
        let touched: FastSet<i64> = touched.iter().copied().collect();
        self.sessions.retain(|session, _| touched.contains(session));
        self.remembered = self.sessions.values().map(|m| m.clicks.len()).sum();
        if self.remembered > CLICKS_LIMIT {
            self.sessions.clear();
            self.remembered = 0;
        }
    }

    /// A click this transaction stored.
    pub(super) fn stored(&mut self, session: i64, click: StoredClick) {
        self.new.entry(session).or_default().push(click);
    }
}

/// The clicks of a session from a time on. The kind is written into the
/// statement, not bound: a bound value that the partial index
/// `clicks_by_page` (`WHERE kind = 1`) is judged by makes SQLite compile the
/// statement again on every execution.
pub(super) fn clicks_from_sql() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT id, ts, x, y, flags, page_id, pw, ph, vw, selector_id, bx, by, bw, bh
             FROM events WHERE session_id = ?1 AND ts >= ?2 AND kind = {}",
            EventKind::Click.code()
        )
    });
    &SQL
}

/// Re-judges the clicks around each session's new clicks, flags the new
/// rage clicks (the judge counts them into `fold`), and remembers each
/// session's recent clicks for the next commit.
pub(super) fn flag_rage_clicks(
    tx: &Transaction<'_>,
    recent: &mut RecentClicks,
    fold: &mut Fold<SqliteKeys>,
) -> rusqlite::Result<()> {
    let mut new = std::mem::take(&mut recent.new);
    let mut windows = Vec::new();
    for (session, lo, hi) in fold.rage_windows() {
        let added = new.remove(&session).unwrap_or_default();
        let known = recent.take(session).filter(|m| m.from <= lo);
        let remembered = match known {
            Some(mut m) => {
                m.clicks.extend(added);
                m
            }
            // Every stored click from `lo` on: those of this transaction
            // included, and any stored earlier with a later time.
            None => Remembered {
                from: lo,
                clicks: tx
                    .prepare_cached(clicks_from_sql())?
                    .query_map(params![session, lo], StoredClick::read)?
                    .collect::<rusqlite::Result<_>>()?,
            },
        };
        windows.push((session, lo, hi, remembered));
    }
    // A session whose new clicks had no window (none is judged without a
    // place) is not remembered: its memory would miss them.
    for session in new.keys() {
        recent.take(*session);
    }
    let candidates = windows
        .iter()
        .flat_map(|(session, lo, hi, m)| {
            m.clicks
                .iter()
                .filter(|c| (*lo..=*hi).contains(&c.ts))
                .map(|c| c.candidate(*session))
        })
        .collect();
    let mut flagged = rage::judge(fold, candidates);
    // Looked up for every remembered click below: a crowd of clicks can
    // flag hundreds a commit among thousands remembered.
    flagged.sort_unstable();
    let mut flag = tx.prepare_cached("UPDATE events SET flags = flags | ?1 WHERE id = ?2")?;
    for row in &flagged {
        flag.execute(params![FLAG_RAGE_CLICK, row])?;
    }
    let touched: Vec<i64> = windows.iter().map(|(session, ..)| *session).collect();
    for (session, _, _, mut m) in windows {
        for click in &mut m.clicks {
            click.flagged |= flagged.binary_search(&click.row).is_ok();
        }
        let latest = m.clicks.iter().map(|c| c.ts).max().unwrap_or(m.from);
        m.from = m.from.max(latest - KEEP_MS);
        let from = m.from;
        m.clicks.retain(|c| c.ts >= from);
        recent.keep(session, m);
    }
    recent.bound(&touched);
    Ok(())
}
