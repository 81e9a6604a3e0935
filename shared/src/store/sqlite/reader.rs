//! The read side: every console query over a read-only connection.

use super::{register_functions, schema, BUSY_TIMEOUT};
use crate::event::{
    ClientInfo, DeviceClass, Event, EventKind, Size, Target, FLAG_CLOCK_ADJUSTED, FLAG_RAGE_CLICK,
};
use crate::page_key::PagePattern;
use crate::store::core::live;
use crate::store::core::session_filter::{self, Compare, Count, SessionCondition};
use crate::store::core::steps::{is_dead_end, DEAD_END_MS};
use crate::store::query::*;
use crate::store::{EventReader, StoreError};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OpenFlags, Row};
use std::path::Path;

/// A read-only connection to a SQLite database written by [`super::SqliteWriter`].
pub struct SqliteReader {
    pub(super) conn: Connection,
}

impl SqliteReader {
    /// Opens the database at `path` read-only.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if !path.exists() {
            return Err(StoreError::NotFound(path.to_owned()));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "cache_size", -32768)?;
        register_functions(&conn)?;
        schema::check(&conn)?;
        Ok(Self { conn })
    }

    /// Runs `read` in one read transaction, so every statement it makes
    /// sees the same commits; inside the one already open (a
    /// [`EventReader::snapshot`]), in that one.
    pub(super) fn in_snapshot<T>(
        &self,
        read: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if !self.conn.is_autocommit() {
            return read();
        }
        let tx = self.conn.unchecked_transaction()?;
        let answer = read();
        tx.finish()?;
        answer
    }

    pub(super) fn query_rows<T>(
        &self,
        sql: &str,
        params: &[Value],
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params_from_iter(params.iter()), map)?;
        Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
    }

    /// The page list over all time without session conditions: the
    /// `page_totals` rollup holds exactly the sums the general query makes.
    fn page_totals(
        &self,
        filter: &Filter,
        pattern: Option<&PagePattern>,
        sort: Sort<PageSortKey>,
        page: PageRequest,
    ) -> Result<Vec<PageStats>, StoreError> {
        let mut c = Conditions::default();
        c.push("t.sessions > 0", []);
        if let Some(site) = &filter.site {
            c.push(
                "p.site_id = (SELECT id FROM sites WHERE key = ?)",
                [text(site)],
            );
        }
        if let Some(pattern) = pattern {
            c.push("page_match(?, p.key)", [text(pattern.as_str())]);
        }
        let key = match sort.key {
            PageSortKey::Page => "p.key",
            PageSortKey::Views => "2",
            PageSortKey::Visitors => "3",
            PageSortKey::Clicks => "5",
            PageSortKey::ScrollDepth => "6 / NULLIF(7, 0)",
            PageSortKey::RageClicks => "8",
        };
        let key = if sort.key == PageSortKey::ScrollDepth {
            "(t.scroll_sum + t.scroll_err) / NULLIF(t.scroll_count, 0)"
        } else {
            key
        };
        let dir = direction(sort.descending);
        let where_sql = c.sql();
        let paging = limit_offset(&mut c, page);
        let sql = format!(
            "SELECT p.key, t.views, t.visitors, t.sessions, t.clicks,
                    t.scroll_sum + t.scroll_err, t.scroll_count, t.rage_clicks
             FROM page_totals t
             JOIN pages p ON p.id = t.page_id{where_sql}
             ORDER BY {key} {dir}, p.key{paging}"
        );
        self.query_rows(&sql, &c.params, page_stats_row)
    }

    fn session_by_rowid(&self, id: i64) -> Result<Option<SessionSummary>, StoreError> {
        let sql = format!("{SESSION_SELECT} WHERE s.id = ?1");
        Ok(self
            .query_rows(&sql, &[Value::Integer(id)], session_row)?
            .pop())
    }
}

/// A WHERE clause under construction, with its parameters.
#[derive(Default, Clone)]
pub(super) struct Conditions {
    clauses: Vec<String>,
    pub(super) params: Vec<Value>,
}

impl Conditions {
    /// Adds `clause`, numbering its `?` placeholders after those already taken.
    pub(super) fn push(&mut self, clause: &str, params: impl IntoIterator<Item = Value>) {
        let mut params = params.into_iter();
        let mut numbered = String::with_capacity(clause.len() + 8);
        for ch in clause.chars() {
            if ch == '?' {
                if let Some(value) = params.next() {
                    numbered.push_str(&self.next_param(value));
                    continue;
                }
            }
            numbered.push(ch);
        }
        self.clauses.push(numbered);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    pub(super) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    pub(super) fn next_param(&mut self, value: Value) -> String {
        self.params.push(value);
        format!("?{}", self.params.len())
    }
}

pub(super) fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// Sessions started in `range` (session-scoped ranges), by the start
/// column `start` of the table they are read from.
pub(super) fn start_in_range(range: TimeRange, start: &str, c: &mut Conditions) {
    if let Some(from) = range.from {
        c.push(&format!("{start} >= ?"), [Value::Integer(from)]);
    }
    if let Some(to) = range.to {
        c.push(&format!("{start} < ?"), [Value::Integer(to)]);
    }
}

/// Conditions on sessions (alias `s`), as [`session_filter`] decides them.
/// `with_range` applies the time range to session start; event-scoped
/// queries apply it to event time themselves.
pub(super) fn session_conditions(filter: &Filter, with_range: bool, c: &mut Conditions) {
    for condition in session_filter::session_conditions(filter, with_range) {
        session_condition(condition, c);
    }
}

fn session_condition(condition: SessionCondition<'_>, c: &mut Conditions) {
    match condition {
        SessionCondition::Site(site) => c.push(
            "s.site_id = (SELECT id FROM sites WHERE key = ?)",
            [text(site)],
        ),
        SessionCondition::Start(range) => start_in_range(range, "s.start_ts", c),
        SessionCondition::Device(code) => c.push("s.device = ?", [Value::Integer(code)]),
        SessionCondition::Browser(browser) => {
            c.push("s.browser = ? COLLATE NOCASE", [text(browser)]);
        }
        SessionCondition::Referrer(None) => c.push("s.referrer IS NULL", []),
        SessionCondition::Referrer(Some(referrer)) => {
            c.push("s.referrer = ? COLLATE NOCASE", [text(referrer)]);
        }
        SessionCondition::EntryPage(pattern) => c.push(
            "s.entry_page_id IN (SELECT id FROM pages WHERE page_match(?, key))",
            [text(pattern.as_str())],
        ),
        SessionCondition::MinDuration(min) => {
            c.push("s.end_ts - s.start_ts >= ?", [Value::Integer(min)]);
        }
        SessionCondition::Count(count, compare) => {
            let column = match count {
                Count::Events => "s.events",
                Count::PageViews => "s.page_views",
                Count::RageClicks => "s.rage_clicks",
                Count::QuickBacks => "s.quick_backs",
            };
            let (op, n) = match compare {
                Compare::AtLeast(n) => (">=", n),
                Compare::Equal(n) => ("=", n),
                Compare::NotEqual(n) => ("<>", n),
            };
            // Written in rather than bound, so that the planner sees the
            // number (an integer: nothing to escape).
            c.push(&format!("{column} {op} {n}"), []);
        }
        SessionCondition::DeadEnd(dead_end) => c.push(
            "(s.last_rage_ts IS NOT NULL AND s.end_ts - s.last_rage_ts <= ?) = ?",
            [
                Value::Integer(DEAD_END_MS),
                Value::Integer(i64::from(dead_end)),
            ],
        ),
        SessionCondition::Keys(keys) => {
            // Keys are row ids; anything else names no session.
            let ids: Vec<i64> = keys.iter().filter_map(|k| k.parse().ok()).collect();
            c.push(
                "s.id IN (SELECT value FROM json_each(?))",
                [text(&serde_json::to_string(&ids).unwrap_or_default())],
            );
        }
        SessionCondition::ClickedPage { pattern, since } => {
            // The sessions of the clicks on matching pages, from the clicks'
            // index alone (`clicks_by_page` carries the session), bounded
            // below by `since`. The kind is written in, not bound: the index
            // is partial on it.
            let mut clause = format!(
                "s.id IN (SELECT e.session_id FROM events e
                          WHERE e.kind = {} AND e.page_id IN (SELECT id FROM pages WHERE page_match(?, key))",
                EventKind::Click.code()
            );
            let mut params = vec![text(pattern.as_str())];
            if let Some(from) = since {
                clause.push_str(" AND e.ts >= ?");
                params.push(Value::Integer(from));
            }
            clause.push(')');
            c.push(&clause, params);
        }
    }
}

const SESSION_SELECT: &str = "
    SELECT st.key, s.session_key, s.visitor_key, s.start_ts, s.end_ts, s.events, s.page_views,
           s.clicks, s.rage_clicks, pe.key, px.key, s.referrer, s.device, s.browser, s.os,
           s.quick_backs, s.last_rage_ts
    FROM sessions s
    JOIN sites st ON st.id = s.site_id
    LEFT JOIN pages pe ON pe.id = s.entry_page_id
    LEFT JOIN pages px ON px.id = s.exit_page_id";

fn session_row(r: &Row<'_>) -> rusqlite::Result<SessionSummary> {
    let start: i64 = r.get(3)?;
    let end: i64 = r.get(4)?;
    let page_views: u64 = r.get(6)?;
    Ok(SessionSummary {
        site: r.get(0)?,
        session_id: r.get(1)?,
        visitor_id: r.get(2)?,
        start,
        end,
        duration_ms: end - start,
        events: r.get(5)?,
        page_views,
        clicks: r.get(7)?,
        rage_clicks: r.get(8)?,
        entry_page: r.get(9)?,
        exit_page: r.get(10)?,
        referrer: r.get(11)?,
        client: ClientInfo {
            device: DeviceClass::from_code(r.get(12)?),
            browser: r.get(13)?,
            os: r.get(14)?,
        },
        bounced: page_views == 1,
        quick_backs: r.get(15)?,
        dead_end: is_dead_end(end, r.get(16)?),
    })
}

const EVENT_SELECT: &str = "
    SELECT e.id, st.key, s.session_key, s.visitor_key, e.event_key, e.kind, e.ts, e.received_at,
           e.flags, e.url, p.key, e.title, e.referrer, e.vw, e.vh, e.pw, e.ph, e.x, e.y,
           sel.value, e.label, e.bx, e.by, e.bw, e.bh, e.depth, e.name, e.props, e.depth_from
    FROM events e
    JOIN sessions s ON s.id = e.session_id
    JOIN sites st ON st.id = e.site_id
    JOIN pages p ON p.id = e.page_id
    LEFT JOIN selectors sel ON sel.id = e.selector_id";

fn event_row(r: &Row<'_>) -> rusqlite::Result<StoredEvent> {
    let kind_code: i64 = r.get(5)?;
    let kind = EventKind::from_code(kind_code).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            5,
            rusqlite::types::Type::Integer,
            format!("unknown event kind {kind_code}").into(),
        )
    })?;
    let flags: i64 = r.get(8)?;
    let size = |w: usize, h: usize| -> rusqlite::Result<Option<Size>> {
        Ok(
            match (r.get::<_, Option<u32>>(w)?, r.get::<_, Option<u32>>(h)?) {
                (Some(width), Some(height)) => Some(Size { width, height }),
                _ => None,
            },
        )
    };
    let target = Target::from_fields(
        r.get(19)?,
        r.get(20)?,
        r.get(21)?,
        r.get(22)?,
        r.get(23)?,
        r.get(24)?,
    );
    Ok(StoredEvent {
        cursor: r.get::<_, i64>(0)?.to_string(),
        site: r.get(1)?,
        session_id: r.get(2)?,
        visitor_id: r.get(3)?,
        rage_click: flags & FLAG_RAGE_CLICK != 0,
        event: Event {
            id: r.get(4)?,
            kind,
            ts: r.get(6)?,
            received_at: r.get(7)?,
            clock_adjusted: flags & FLAG_CLOCK_ADJUSTED != 0,
            url: r.get(9)?,
            page_key: r.get(10)?,
            title: r.get(11)?,
            referrer: r.get(12)?,
            viewport: size(13, 14)?,
            page: size(15, 16)?,
            x: r.get(17)?,
            y: r.get(18)?,
            target,
            depth: r.get(25)?,
            depth_from: r.get(28)?,
            name: r.get(26)?,
            props: r.get(27)?,
        },
    })
}

fn page_stats_row(r: &Row<'_>) -> rusqlite::Result<PageStats> {
    let scroll_sum: f64 = r.get(5)?;
    let scroll_count: u64 = r.get(6)?;
    Ok(PageStats {
        page: r.get(0)?,
        views: r.get(1)?,
        visitors: r.get(2)?,
        sessions: r.get(3)?,
        clicks: r.get(4)?,
        mean_scroll_depth: (scroll_count > 0).then(|| scroll_sum / scroll_count as f64),
        rage_clicks: r.get(7)?,
    })
}

fn limit_offset(c: &mut Conditions, page: PageRequest) -> String {
    let limit = c.next_param(Value::Integer(i64::from(page.limit)));
    let offset = c.next_param(Value::Integer(
        i64::try_from(page.offset).unwrap_or(i64::MAX),
    ));
    format!(" LIMIT {limit} OFFSET {offset}")
}

fn direction(descending: bool) -> &'static str {
    if descending {
        "DESC"
    } else {
        "ASC"
    }
}

impl EventReader for SqliteReader {
    fn layouts(
        &self,
        query: &crate::store::layout_query::LayoutQuery,
    ) -> Result<Vec<crate::store::layout_query::StoredLayout>, StoreError> {
        Ok(crate::store::core::layouts::versions(super::layouts::rows(
            &self.conn, query,
        )?))
    }

    fn overview(&self, filter: &Filter) -> Result<Overview, StoreError> {
        self.overview_of(filter)
    }

    fn sessions(
        &self,
        filter: &Filter,
        sort: Sort<SessionSortKey>,
        page: PageRequest,
    ) -> Result<SessionPage, StoreError> {
        let mut c = Conditions::default();
        session_conditions(filter, true, &mut c);
        let count_sql = format!("SELECT COUNT(*) FROM sessions s{}", c.sql());
        let total: u64 = self
            .conn
            .prepare_cached(&count_sql)?
            .query_row(params_from_iter(c.params.iter()), |r| r.get(0))?;
        let key = match sort.key {
            SessionSortKey::Start => "s.start_ts",
            SessionSortKey::Duration => "s.end_ts - s.start_ts",
            SessionSortKey::Events => "s.events",
            SessionSortKey::Pages => "s.page_views",
            SessionSortKey::Clicks => "s.clicks",
            SessionSortKey::Entry => "pe.key",
            SessionSortKey::Exit => "px.key",
            SessionSortKey::Device => "s.device",
            SessionSortKey::Browser => "s.browser",
            SessionSortKey::Referrer => "s.referrer",
            SessionSortKey::RageClicks => "s.rage_clicks",
            SessionSortKey::Frustration => "s.frustration",
        };
        let dir = direction(sort.descending);
        let order = format!("{key} {dir}, s.session_key {dir}, s.site_id {dir}");
        let joins = match sort.key {
            SessionSortKey::Entry => " LEFT JOIN pages pe ON pe.id = s.entry_page_id",
            SessionSortKey::Exit => " LEFT JOIN pages px ON px.id = s.exit_page_id",
            _ => "",
        };
        let where_sql = c.sql();
        let paging = limit_offset(&mut c, page);
        // The page's rows are picked by their ids alone (an index walk for
        // the indexed keys, however deep the offset), then read in full.
        let sql = format!(
            "{SESSION_SELECT} JOIN (SELECT s.id FROM sessions s{joins}{where_sql}
                                     ORDER BY {order}{paging}) picked ON picked.id = s.id
             ORDER BY {order}"
        );
        let rows = self.query_rows(&sql, &c.params, session_row)?;
        Ok(SessionPage { total, rows })
    }

    fn journey(&self, session: &SessionRef) -> Result<Option<Journey>, StoreError> {
        let mut c = Conditions::default();
        c.push("s.session_key = ?", [text(&session.session_id)]);
        if let Some(site) = &session.site {
            c.push(
                "s.site_id = (SELECT id FROM sites WHERE key = ?)",
                [text(site)],
            );
        }
        let sql = format!(
            "SELECT s.id FROM sessions s JOIN sites st ON st.id = s.site_id{}
             ORDER BY st.key LIMIT 1",
            c.sql()
        );
        let Some(rowid) = self
            .query_rows(&sql, &c.params, |r| r.get::<_, i64>(0))?
            .pop()
        else {
            return Ok(None);
        };
        let Some(summary) = self.session_by_rowid(rowid)? else {
            return Ok(None);
        };
        let sql = format!("{EVENT_SELECT} WHERE e.session_id = ?1 ORDER BY e.ts, e.event_key");
        let steps = self.query_rows(&sql, &[Value::Integer(rowid)], event_row)?;
        Ok(Some(Journey {
            session: summary,
            steps,
        }))
    }

    fn pages(
        &self,
        filter: &Filter,
        pattern: Option<&PagePattern>,
        sort: Sort<PageSortKey>,
        page: PageRequest,
    ) -> Result<Vec<PageStats>, StoreError> {
        if filter.range == TimeRange::ALL && !filter.has_session_conditions() {
            return self.page_totals(filter, pattern, sort, page);
        }
        super::page_list::page_list(self, filter, pattern, sort, page)
    }

    fn scroll_reach(&self, query: &HeatmapQuery) -> Result<ScrollReach, StoreError> {
        self.in_snapshot(|| crate::store::core::scroll_reach::scroll_reach(self, query))
    }

    fn heatmap(&self, query: &HeatmapQuery) -> Result<Heatmap, StoreError> {
        self.heatmap_query(query)
    }

    fn snapshot(
        &self,
        read: &mut dyn FnMut(&dyn EventReader) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.in_snapshot(|| read(self))
    }

    fn heatmap_on(
        &self,
        query: &HeatmapQuery,
        grid: &crate::store::heat::Scale,
    ) -> Result<Heatmap, StoreError> {
        self.in_snapshot(|| crate::store::core::heatmap::heatmap_on(self, query, Some(grid)))
    }

    fn heat_anchors(
        &self,
        query: &HeatmapQuery,
        selectors: &[String],
    ) -> Result<crate::store::query::ElementAnchors, StoreError> {
        self.in_snapshot(|| crate::store::core::heatmap::anchors(self, query, selectors))
    }

    fn events(&self, filter: &Filter, page: PageRequest) -> Result<Vec<StoredEvent>, StoreError> {
        let mut c = Conditions::default();
        if let Some(from) = filter.range.from {
            c.push("e.ts >= ?", [Value::Integer(from)]);
        }
        if let Some(to) = filter.range.to {
            c.push("e.ts < ?", [Value::Integer(to)]);
        }
        session_conditions(filter, false, &mut c);
        let where_sql = c.sql();
        let paging = limit_offset(&mut c, page);
        let sql =
            format!("{EVENT_SELECT}{where_sql} ORDER BY e.ts, e.event_key, e.site_id{paging}");
        self.query_rows(&sql, &c.params, event_row)
    }

    fn live_tail(&self, cursor: Option<&str>, limit: u32) -> Result<LiveTail, StoreError> {
        let after = live::position(cursor)?;
        let limit = Value::Integer(i64::from(limit));
        let mut events = match after {
            Some(after) => {
                let sql = format!("{EVENT_SELECT} WHERE e.id > ?1 ORDER BY e.id LIMIT ?2");
                self.query_rows(&sql, &[Value::Integer(after), limit], event_row)?
            }
            None => {
                let sql = format!("{EVENT_SELECT} ORDER BY e.id DESC LIMIT ?1");
                let mut newest = self.query_rows(&sql, &[limit], event_row)?;
                newest.reverse();
                newest
            }
        };
        events.shrink_to_fit();
        Ok(LiveTail {
            cursor: live::next(&events, after),
            events,
        })
    }

    fn steps(&self, filter: &Filter) -> Result<crate::store::flow_query::StepSet, StoreError> {
        super::steps::step_set(self, filter)
    }

    fn change_token(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventBatch, Size};
    use crate::store::sqlite::SqliteWriter;
    use crate::store::EventWriter;

    const HOUR_MS: i64 = 3_600_000;

    /// Sessions at odd times, some sent out of order over several commits.
    fn rollup_fixture(dir: &Path) -> SqliteReader {
        let path = dir.join("rollups.db");
        let mut writer = SqliteWriter::open(&path).expect("writer");
        let t0 = 1_767_225_600_000i64;
        let mut commits: Vec<Vec<EventBatch>> = vec![Vec::new(), Vec::new(), Vec::new()];
        for n in 0..40i64 {
            let start = t0 + n * 1_234_567 % (9 * HOUR_MS);
            let device = DeviceClass::from_code(n % 3 + 1);
            let events: Vec<Event> = (0..(n % 7 + 1))
                .map(|i| {
                    let kind = [EventKind::PageView, EventKind::Click, EventKind::Scroll]
                        [(i % 3) as usize];
                    let path = format!("/p/{}", (n + i) % 5);
                    Event {
                        id: format!("e{n}-{i}"),
                        kind,
                        ts: start + i * 61_000,
                        received_at: start,
                        clock_adjusted: false,
                        url: format!("https://a.example{path}"),
                        page_key: format!("a.example{path}"),
                        title: None,
                        referrer: (n % 4 == 0 && i == 0).then(|| "https://b.example/".to_owned()),
                        viewport: Some(Size {
                            width: 1280,
                            height: 800,
                        }),
                        page: Some(Size {
                            width: 1280,
                            height: 3000,
                        }),
                        x: (kind == EventKind::Click).then_some(100),
                        y: (kind == EventKind::Click).then_some(200),
                        target: None,
                        depth: (kind == EventKind::Scroll).then_some(0.1 * (n % 9) as f64 + 0.07),
                        depth_from: None,
                        name: None,
                        props: None,
                    }
                })
                .collect();
            let batch = |events: Vec<Event>| EventBatch {
                site: "a".into(),
                session_id: format!("s{n}"),
                visitor_id: format!("v{}", n % 11),
                client: ClientInfo {
                    device,
                    browser: ["Chrome", "Firefox"][(n % 2) as usize].into(),
                    os: "Linux".into(),
                },
                events,
            };
            // Later events first, the earliest in a later commit.
            let (first, rest) = events.split_at(1);
            commits[(n % 2) as usize].push(batch(rest.to_vec()));
            commits[2].push(batch(first.to_vec()));
        }
        for commit in commits {
            writer.append(&commit).expect("append");
        }
        drop(writer);
        SqliteReader::open(&path).expect("reader")
    }

    #[test]
    fn rollups_answer_like_the_general_queries() {
        let dir = tempfile::tempdir().expect("dir");
        let r = rollup_fixture(dir.path());
        let t0 = 1_767_225_600_000i64;
        let ranges = [
            TimeRange::ALL,
            TimeRange {
                from: Some(t0 + 1_000),
                to: None,
            },
            TimeRange {
                from: Some(t0 + 90 * 60_000),
                to: Some(t0 + 7 * HOUR_MS + 17),
            },
            TimeRange {
                from: None,
                to: Some(t0 + 5 * HOUR_MS - 1),
            },
            TimeRange {
                from: Some(t0 + 10 * 60_000),
                to: Some(t0 + 50 * 60_000),
            },
        ];
        for range in ranges {
            for site in [None, Some("a".to_owned())] {
                let filter = Filter {
                    site,
                    range,
                    ..Filter::default()
                };
                assert_eq!(
                    r.overview_from_rollup(&filter).expect("rollup"),
                    r.overview_exact(&filter).expect("exact"),
                    "overview of {range:?}"
                );
            }
        }
        let everything = Filter {
            range: TimeRange {
                from: Some(i64::MIN),
                to: None,
            },
            ..Filter::default()
        };
        for key in [
            PageSortKey::Page,
            PageSortKey::Views,
            PageSortKey::ScrollDepth,
        ] {
            let sort = Sort {
                key,
                descending: true,
            };
            assert_eq!(
                r.pages(&Filter::default(), None, sort, PageRequest::first(50))
                    .expect("rollup"),
                r.pages(&everything, None, sort, PageRequest::first(50))
                    .expect("exact"),
                "pages by {key:?}"
            );
        }
    }

    #[test]
    fn conditions_number_their_parameters() {
        let mut c = Conditions::default();
        c.push("a = ?", [Value::Integer(1)]);
        c.push("b BETWEEN ? AND ?", [Value::Integer(2), Value::Integer(3)]);
        c.push("c = ? OR d = ?", (2..4).map(Value::Integer));
        assert_eq!(
            c.sql(),
            " WHERE a = ?1 AND b BETWEEN ?2 AND ?3 AND c = ?4 OR d = ?5"
        );
        assert_eq!(c.next_param(Value::Null), "?6");
    }
}
