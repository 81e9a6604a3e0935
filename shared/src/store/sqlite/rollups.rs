//! Applying a commit's fold ([`crate::store::core::fold`]) to the SQLite
//! rollups, in the commit's transaction: rage judging first (its flags add to
//! the fold), then the heatmap rollups, the sessions with their share of
//! `session_hours`, and the per-session pages with their all-time totals.

use super::intern::InternCache;
use super::{heat_rollups, rage_clicks, steps};
use crate::event::Rect;
use crate::store::core::fold::{Fold, Keys, PageDelta, SessionDelta, SessionTotals};
use crate::store::core::step_blobs;
use crate::store::core::steps as step_rules;
use crate::store::fast_hash::FastMap;
use crate::store::query::DIRECT_REFERRER;
use rusqlite::{params, Transaction};

/// Sessions, pages and selectors are rows of their tables.
pub(super) struct SqliteKeys;

impl Keys for SqliteKeys {
    type Session = i64;
    type Page = i64;
    type Selector = i64;
}

/// Writes every rollup change of a commit.
pub(super) fn apply(
    tx: &Transaction<'_>,
    cache: &mut InternCache,
    mut fold: Fold<SqliteKeys>,
) -> rusqlite::Result<()> {
    rage_clicks::flag_rage_clicks(tx, &mut cache.recent_clicks, &mut fold)?;
    heat_rollups::apply(tx, &fold.heat)?;
    let mut visitors = FastMap::with_capacity_and_hasher(fold.sessions.len(), Default::default());
    let mut hours = HourDeltas::default();
    for (session_id, delta) in &fold.sessions {
        let visitor = apply_session_delta(tx, cache, *session_id, delta, &mut hours)?;
        visitors.insert(*session_id, visitor);
    }
    hours.write(tx)?;
    apply_page_deltas(tx, &fold.pages, &visitors)
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
    /// Reads the columns of `hour_share_columns!`.
    pub(super) fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let referrer: Option<String> = r.get(4)?;
        Ok(Self::of(
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            referrer.as_deref(),
            r.get(5)?,
            r.get(6)?,
            r.get::<_, String>(7)?,
        ))
    }

    /// The share of a session with these columns.
    #[allow(clippy::too_many_arguments)]
    fn of(
        start: i64,
        end: i64,
        page_views: i64,
        clicks: i64,
        referrer: Option<&str>,
        site_id: i64,
        device: i64,
        browser: impl Into<String>,
    ) -> Self {
        Self {
            hour: start.div_euclid(HOUR_MS) * HOUR_MS,
            duration: end - start,
            page_views,
            clicks,
            referrer: referrer.unwrap_or(DIRECT_REFERRER).to_owned(),
            site_id,
            device,
            browser: browser.into(),
        }
    }

    /// Adds `sign` times this share to its row's change in `hours`.
    pub(super) fn add(self, hours: &mut HourDeltas, sign: i64) {
        let counts = hours
            .0
            .entry((
                self.site_id,
                self.hour,
                self.device,
                self.browser,
                self.referrer,
            ))
            .or_default();
        counts[0] += sign;
        counts[1] += sign * self.page_views;
        counts[2] += sign * self.clicks;
        counts[3] += sign * i64::from(self.page_views == 1);
        counts[4] += sign * i64::from(self.page_views >= 1);
        counts[5] += sign * self.duration;
    }
}

/// The changes to `session_hours` of one commit or removal, summed per row
/// so that each row is written once however many sessions moved in or out
/// of it (a session's share moves on nearly every commit that touches it).
#[derive(Default)]
pub(super) struct HourDeltas(FastMap<HourKey, [i64; 6]>);

/// `(site_id, hour, device, browser, referrer)`.
type HourKey = (i64, i64, i64, String, String);

impl HourDeltas {
    /// Adds the changes to their rows; rows whose changes cancel out are
    /// not touched.
    pub(super) fn write(self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let mut upsert = tx.prepare_cached(
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
        )?;
        for ((site_id, hour, device, browser, referrer), c) in self.0 {
            if c == [0; 6] {
                continue;
            }
            upsert.execute(params![
                site_id, hour, device, browser, referrer, c[0], c[1], c[2], c[3], c[4], c[5],
            ])?;
        }
        Ok(())
    }
}

const HOUR_MS: i64 = 3_600_000;

/// A session row as this connection last wrote it, remembered between
/// commits (in [`InternCache`]) so that the next commit touching the session
/// writes it without reading it first.
#[derive(Clone)]
pub(super) struct SessionRow {
    site_id: i64,
    device: i64,
    browser: String,
    visitor: String,
    totals: SessionTotals<i64>,
    quick_backs: i64,
}

impl SessionRow {
    /// Its share of `session_hours`; none before its first event.
    fn share(&self) -> Option<HourShare> {
        let t = &self.totals;
        (t.events > 0).then(|| {
            HourShare::of(
                t.start,
                t.end,
                t.page_views,
                t.clicks,
                t.referrer.as_deref(),
                self.site_id,
                self.device,
                self.browser.as_str(),
            )
        })
    }

    /// What decides whether the update sets the frustration score and the
    /// last rage click: both, as stored.
    fn frustration(&self) -> (i64, Option<i64>) {
        let t = &self.totals;
        (
            frustration(t.rage_clicks, self.quick_backs, t.end, t.last_rage),
            t.last_rage,
        )
    }
}

/// The `frustration` column of a session with these columns: the core's
/// score ([`step_rules::frustration_score`]), kept on write so that the session
/// list sorts by it through a plain index.
fn frustration(rage_clicks: i64, quick_backs: i64, end: i64, last_rage: Option<i64>) -> i64 {
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let score = step_rules::frustration_score(
        count(rage_clicks),
        count(quick_backs),
        step_rules::is_dead_end(end, last_rage),
    );
    i64::try_from(score).unwrap_or(i64::MAX)
}

/// Stores the frustration score of every session that has one (schema 11;
/// the column starts at 0, the score of a session without rage clicks,
/// quick backs or a last rage click).
pub(super) fn backfill_frustration(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let scores = tx
        .prepare(
            "SELECT id, rage_clicks, quick_backs, end_ts, last_rage_ts FROM sessions
             WHERE rage_clicks > 0 OR quick_backs > 0 OR last_rage_ts IS NOT NULL",
        )?
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                frustration(r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?),
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut update = tx.prepare("UPDATE sessions SET frustration = ?2 WHERE id = ?1")?;
    for (id, score) in scores {
        if score != 0 {
            update.execute(params![id, score])?;
        }
    }
    Ok(())
}

/// Reads a session row.
fn read_session(tx: &Transaction<'_>, session_id: i64) -> rusqlite::Result<SessionRow> {
    tx.prepare_cached(
        "SELECT site_id, device, browser, visitor_key, events, page_views, clicks, rage_clicks,
             start_ts, end_ts, entry_ts, entry_page_id, referrer, exit_ts, exit_page_id,
             last_rage_ts, quick_backs
         FROM sessions WHERE id = ?1",
    )?
    .query_row([session_id], |r| {
        Ok(SessionRow {
            site_id: r.get(0)?,
            device: r.get(1)?,
            browser: r.get(2)?,
            visitor: r.get(3)?,
            totals: SessionTotals {
                events: r.get(4)?,
                page_views: r.get(5)?,
                clicks: r.get(6)?,
                rage_clicks: r.get(7)?,
                start: r.get(8)?,
                end: r.get(9)?,
                entry_ts: r.get(10)?,
                entry_page: r.get(11)?,
                referrer: r.get(12)?,
                exit_ts: r.get(13)?,
                exit_page: r.get(14)?,
                last_rage: r.get(15)?,
            },
            quick_backs: r.get(16)?,
        })
    })
}

/// A session's update setting the columns that move on nearly every
/// commit, and `$set`. SQLite rewrites an index entry whenever a column it
/// holds is set, even to the value it had, so the rest is set only when it
/// moved ([`UPDATE_SESSION`]). All fifteen parameters are bound; the last is
/// always used, so that binding them all is valid in every form.
macro_rules! update_session {
    ($($set:literal),*) => {
        concat!(
            "UPDATE sessions SET events = ?2, page_views = ?3, clicks = ?4, rage_clicks = ?5,
                 end_ts = ?7, exit_ts = ?11, exit_page_id = ?12,
                 quick_backs = coalesce(?15, quick_backs)",
            $(", ", $set,)*
            " WHERE id = ?1"
        )
    };
}

/// A session's update, by whether its start and entry moved, then whether
/// its frustration score or last rage click did:
/// - the start (`sessions_by_start`, `sessions_raged`) moves only with an
///   event earlier than the session's first;
/// - the score (`sessions_by_frustration`) and the last rage click
///   (`sessions_raged`'s condition) move only around rage clicks and quick
///   backs.
///
/// The other session indexes hold the end or the event count, which move on
/// every commit.
const UPDATE_SESSION: [[&str; 2]; 2] = [
    [
        update_session!(),
        update_session!("last_rage_ts = ?13, frustration = ?14"),
    ],
    [
        update_session!("start_ts = ?6, entry_ts = ?8, entry_page_id = ?9, referrer = ?10"),
        update_session!(
            "start_ts = ?6, entry_ts = ?8, entry_page_id = ?9, referrer = ?10",
            "last_rage_ts = ?13, frustration = ?14"
        ),
    ],
];

/// What decides whether the update may leave the start and the entry out:
/// the start, and the entry's time (its page and referrer move only with it,
/// [`SessionTotals::apply`]), compared without a copy of the referrer on
/// every commit.
fn entry_of(t: &SessionTotals<i64>) -> (i64, Option<i64>) {
    (t.start, t.entry_ts)
}

/// Applies a session's delta and moves its share of `session_hours` (its
/// start, referrer and counts may all have changed). Returns its visitor.
fn apply_session_delta(
    tx: &Transaction<'_>,
    cache: &mut InternCache,
    session_id: i64,
    d: &SessionDelta<i64>,
    hours: &mut HourDeltas,
) -> rusqlite::Result<String> {
    let mut row = match cache.take_session_row(session_id) {
        Some(row) => row,
        None => read_session(tx, session_id)?,
    };
    let before = row.share();
    let old_start = row.totals.start;
    // The steps with the new ones merged in place, and the quick backs they
    // make; `None` leaves both as they are. The stored steps are read only
    // when new ones merge in. A blob that cannot be read is started afresh
    // rather than failing every commit of its session.
    let steps = if d.steps.is_empty() {
        None
    } else {
        let stored = steps::stored(tx, session_id, old_start)?;
        Some(
            step_blobs::merged(stored.as_deref(), &d.steps)
                .or_else(|_| step_blobs::merged(None, &d.steps))
                .unwrap_or_default(),
        )
    };
    let (steps, quick_backs) = steps.unzip();
    let entry_before = entry_of(&row.totals);
    let frustration_before = row.frustration();
    row.totals.apply(d);
    if let Some(quick_backs) = quick_backs {
        row.quick_backs = quick_backs;
    }
    steps::store(
        tx,
        session_id,
        old_start,
        row.totals.start,
        steps.as_deref(),
    )?;
    let frustration = row.frustration();
    let t = &row.totals;
    let update = UPDATE_SESSION[usize::from(entry_of(t) != entry_before)]
        [usize::from(frustration != frustration_before)];
    tx.prepare_cached(update)?.execute(params![
        session_id,
        t.events,
        t.page_views,
        t.clicks,
        t.rage_clicks,
        t.start,
        t.end,
        t.entry_ts,
        t.entry_page,
        t.referrer,
        t.exit_ts,
        t.exit_page,
        t.last_rage,
        frustration.0,
        quick_backs
    ])?;
    let after = row.share();
    match (before, after) {
        (Some(before), Some(after)) if before == after => {}
        (before, after) => {
            if let Some(before) = before {
                before.add(hours, -1);
            }
            if let Some(after) = after {
                after.add(hours, 1);
            }
        }
    }
    let visitor = row.visitor.clone();
    cache.keep_session_row(session_id, row);
    Ok(visitor)
}

fn apply_page_deltas(
    tx: &Transaction<'_>,
    pages: &FastMap<(i64, i64), PageDelta>,
    visitors: &FastMap<i64, String>,
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
    let mut totals: FastMap<i64, PageTotalsDelta> = FastMap::default();
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

/// Adds each page's share of the commit (or of a removal, negative) to its
/// all-time totals.
pub(super) fn apply_page_totals(
    tx: &Transaction<'_>,
    totals: FastMap<i64, PageTotalsDelta>,
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
             scroll_sum = CASE WHEN ?10 THEN excluded.scroll_sum ELSE scroll_sum END,
             scroll_err = CASE WHEN ?10 THEN excluded.scroll_err ELSE scroll_err END,
             scroll_count = scroll_count + excluded.scroll_count",
    )?;
    for (page_id, t) in totals {
        // The stored sum is read only when scroll depths add to it.
        let mut total = if t.scroll.is_empty() {
            ExactSum::default()
        } else {
            read.query_row([page_id], |r| {
                Ok(ExactSum {
                    sum: r.get(0)?,
                    err: r.get(1)?,
                })
            })
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(ExactSum::default()),
                e => Err(e),
            })?
        };
        let scrolled = !t.scroll.is_empty();
        for x in t.scroll {
            total.add(x);
        }
        upsert.execute(params![
            page_id,
            t.views,
            t.sessions,
            t.visitors,
            t.clicks,
            t.rage_clicks,
            total.sum,
            total.err,
            t.scroll_count,
            scrolled
        ])?;
    }
    Ok(())
}

/// A sum of floats that carries its rounding error (Neumaier), so that it
/// stays as close to exact as SQLite's own `SUM`.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct ExactSum {
    pub(super) sum: f64,
    pub(super) err: f64,
}

impl ExactSum {
    pub(super) fn add(&mut self, x: f64) {
        let s = self.sum + x;
        self.err += if self.sum.abs() >= x.abs() {
            (self.sum - s) + x
        } else {
            (x - s) + self.sum
        };
        self.sum = s;
    }

    pub(super) fn value(&self) -> f64 {
        self.sum + self.err
    }
}

/// Changes to one page's all-time totals from one commit or removal.
#[derive(Default)]
pub(super) struct PageTotalsDelta {
    pub(super) views: i64,
    pub(super) sessions: i64,
    pub(super) visitors: i64,
    pub(super) clicks: i64,
    pub(super) rage_clicks: i64,
    /// The scroll depths' sums to add, each with its rounding error carried.
    pub(super) scroll: Vec<f64>,
    pub(super) scroll_count: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{ClientInfo, Event, EventBatch, EventKind, Size};
    use crate::store::sqlite::SqliteWriter;
    use crate::store::EventWriter;
    use rusqlite::StatementStatus;

    fn click(id: usize, ts: i64) -> Event {
        Event {
            id: format!("c{id}"),
            kind: EventKind::Click,
            ts,
            received_at: ts,
            clock_adjusted: false,
            url: "https://a.example/".into(),
            page_key: "a.example/".into(),
            title: None,
            referrer: None,
            viewport: Some(Size {
                width: 1280,
                height: 800,
            }),
            page: Some(Size {
                width: 1280,
                height: 3000,
            }),
            x: Some(100),
            y: Some(200),
            target: None,
            depth: None,
            depth_from: None,
            name: None,
            props: None,
        }
    }

    fn event(id: &str, kind: EventKind, ts: i64) -> Event {
        let mut e = click(0, ts);
        e.id = id.to_owned();
        e.kind = kind;
        if kind != EventKind::Click {
            (e.x, e.y) = (None, None);
        }
        if kind == EventKind::PageView {
            e.referrer = Some("https://b.example/".into());
        }
        if kind == EventKind::Scroll {
            e.depth = Some(0.5);
        }
        e
    }

    /// The session rollups and non-empty hourly shares of a database.
    fn rollup_rows(writer: &SqliteWriter) -> (Vec<Vec<Option<i64>>>, Vec<Vec<String>>) {
        let conn = writer.connection();
        let sessions = conn
            .prepare(
                "SELECT events, page_views, clicks, rage_clicks, start_ts, end_ts, entry_ts,
                     entry_page_id, exit_ts, exit_page_id, last_rage_ts, quick_backs,
                     length(referrer), frustration
                 FROM sessions ORDER BY session_key",
            )
            .and_then(|mut s| {
                s.query_map([], |r| (0..14).map(|i| r.get(i)).collect())?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .expect("sessions");
        let hours = conn
            .prepare(
                "SELECT hour || ' ' || referrer || ' ' || sessions || ' ' || page_views || ' ' ||
                     clicks || ' ' || bounced || ' ' || viewed || ' ' || duration_sum
                 FROM session_hours
                 WHERE sessions <> 0 OR page_views <> 0 OR clicks <> 0 OR duration_sum <> 0
                 ORDER BY 1",
            )
            .and_then(|mut s| {
                s.query_map([], |r| Ok(vec![r.get::<_, String>(0)?]))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .expect("hours");
        (sessions, hours)
    }

    #[test]
    fn sessions_written_from_memory_match_one_commit_of_the_same_events() {
        let hour = 1_767_225_600_000i64;
        // Later commits without page views write the remembered row; one
        // moves the start into the previous hour, one holds a rage burst.
        let commits: Vec<Vec<(&str, &str, EventKind, i64)>> = vec![
            vec![
                ("s1", "a", EventKind::PageView, hour + 500),
                ("s1", "b", EventKind::Click, hour + 600),
                ("s2", "c", EventKind::PageView, hour + 700),
            ],
            vec![
                ("s1", "d", EventKind::Click, hour + 700),
                ("s1", "e", EventKind::Click, hour + 800),
                ("s2", "f", EventKind::Scroll, hour + 900),
            ],
            vec![("s1", "g", EventKind::Scroll, hour - 500)],
            vec![
                ("s1", "h", EventKind::Click, hour + 60_000),
                ("s2", "i", EventKind::PageView, hour + 60_000),
                ("s1", "a", EventKind::PageView, hour + 500),
            ],
        ];
        let batches = |events: &[(&str, &str, EventKind, i64)]| -> Vec<EventBatch> {
            events
                .iter()
                .map(|(session, id, kind, ts)| EventBatch {
                    site: "a".into(),
                    session_id: (*session).into(),
                    visitor_id: "v".into(),
                    client: ClientInfo::default(),
                    events: vec![event(id, *kind, *ts)],
                })
                .collect()
        };
        let dir = tempfile::tempdir().expect("dir");
        let mut several = SqliteWriter::open(&dir.path().join("several.db")).expect("writer");
        for commit in &commits {
            several.append(&batches(commit)).expect("append");
        }
        let mut once = SqliteWriter::open(&dir.path().join("once.db")).expect("writer");
        once.append(&batches(&commits.concat())).expect("append");
        let (sessions, hours) = rollup_rows(&several);
        assert_eq!((sessions.clone(), hours.clone()), rollup_rows(&once));
        // s1: 6 stored events (the resent page view is a duplicate), 3 rage clicks.
        assert_eq!(sessions[0][..4], [Some(6), Some(1), Some(4), Some(3)]);
        assert_eq!(hours.len(), 2, "{hours:?}");
    }

    /// Crowds of clicks on one spot in several sessions, then one more
    /// click each: the flags the memory keeps count every click once.
    #[test]
    fn crowded_sessions_count_each_rage_click_once() {
        let at = 1_767_225_600_000i64;
        let crowd = |commit: usize, clicks: usize| -> Vec<EventBatch> {
            (0..6)
                .map(|session| EventBatch {
                    site: "a".into(),
                    session_id: format!("s{session}"),
                    visitor_id: "v".into(),
                    client: ClientInfo::default(),
                    events: (0..clicks)
                        .map(|i| click(commit * 10_000 + session * 1_000 + i, at + 10 * i as i64))
                        .collect(),
                })
                .collect()
        };
        let dir = tempfile::tempdir().expect("dir");
        let mut several = SqliteWriter::open(&dir.path().join("several.db")).expect("writer");
        let mut once = SqliteWriter::open(&dir.path().join("once.db")).expect("writer");
        let commits = [crowd(0, 60), crowd(1, 1), crowd(2, 2)];
        for commit in &commits {
            several.append(commit).expect("append");
        }
        once.append(&commits.concat()).expect("append");
        let (sessions, _) = rollup_rows(&several);
        assert_eq!(sessions, rollup_rows(&once).0);
        for session in &sessions {
            assert_eq!(session[3], Some(63), "{sessions:?}");
        }
    }

    /// The clicks around new ones are read back once per session, then
    /// taken from memory, and again for clicks older than it reaches; the
    /// statement is compiled once.
    #[test]
    fn clicks_are_read_back_only_when_not_remembered() {
        let dir = tempfile::tempdir().expect("dir");
        let mut writer = SqliteWriter::open(&dir.path().join("a.db")).expect("writer");
        let at = 1_767_225_600_000i64;
        let one_click = |id: usize, ts: i64| EventBatch {
            site: "a".into(),
            session_id: "s".into(),
            visitor_id: "v".into(),
            client: ClientInfo::default(),
            events: vec![click(id, ts)],
        };
        let stats = |writer: &SqliteWriter| {
            let conn = writer.connection();
            let rage: i64 = conn
                .query_row("SELECT SUM(rage_clicks) FROM sessions", [], |r| r.get(0))
                .expect("sessions");
            let select = conn
                .prepare_cached(rage_clicks::clicks_from_sql())
                .expect("cached");
            let runs = select.get_status(StatementStatus::Run);
            assert_eq!(select.get_status(StatementStatus::RePrepare), 0);
            (rage, runs)
        };
        for i in 0..5 {
            writer
                .append(&[one_click(i, at + i as i64 * 100)])
                .expect("append");
        }
        assert_eq!(stats(&writer), (5, 1), "one read, every click judged");
        // A late burst, a minute before what is remembered (which stays the
        // session's latest clicks): each of its commits reads back.
        for i in 5..8 {
            writer
                .append(&[one_click(i, at - 60_000 + i as i64 * 100)])
                .expect("append");
        }
        assert_eq!(stats(&writer), (8, 4));
        writer.append(&[one_click(8, at + 600)]).expect("append");
        assert_eq!(stats(&writer), (9, 4), "the latest clicks still remembered");
    }
}
