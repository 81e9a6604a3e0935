//! The overview on SQLite. With session conditions, by grouped queries over
//! `sessions`; without, whole hours of the range come from the
//! `session_hours` rollup and only the partial hours at its edges from
//! `sessions`. Both feed the rules of [`crate::store::core::overview`].

use super::reader::{session_conditions, text, Conditions, SqliteReader};
use crate::store::core::overview::{
    assemble, device_label, rank, top, top_devices, SeriesGrid, SessionTotals, TopLists,
    TOP_LIST_ROWS,
};
use crate::store::fast_hash::FastMap;
use crate::store::query::*;
use crate::store::{EventReader, StoreError};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Row};
use std::collections::HashMap;

/// The granularity of `session_hours`.
const HOUR_MS: i64 = 3_600_000;

/// A group of sessions for the overview: a whole hour of `session_hours`, or
/// one session of a partial hour.
struct HourShare {
    /// The hour, or the session's start.
    at: i64,
    device: i64,
    browser: String,
    referrer: String,
    totals: SessionTotals,
}

fn hour_share_row(r: &Row<'_>) -> rusqlite::Result<HourShare> {
    Ok(HourShare {
        at: r.get(0)?,
        device: r.get(1)?,
        browser: r.get(2)?,
        referrer: r.get(3)?,
        totals: SessionTotals {
            sessions: r.get(4)?,
            page_views: r.get(5)?,
            clicks: r.get(6)?,
            bounced: r.get(7)?,
            viewed: r.get(8)?,
            duration_ms: r.get(9)?,
        },
    })
}

/// The hours wholly inside the range: `[lo, hi)`, either end open.
fn whole_hours(range: TimeRange) -> (Option<i64>, Option<i64>) {
    let floor = |t: i64| t.div_euclid(HOUR_MS) * HOUR_MS;
    let lo = range.from.map(|f| {
        if f.rem_euclid(HOUR_MS) == 0 {
            f
        } else {
            floor(f) + HOUR_MS
        }
    });
    (lo, range.to.map(floor))
}

impl SqliteReader {
    pub(super) fn overview_of(&self, filter: &Filter) -> Result<Overview, StoreError> {
        if filter.has_session_conditions() {
            self.overview_exact(filter)
        } else {
            self.overview_from_rollup(filter)
        }
    }

    /// The overview by the general queries over `sessions` (any filter).
    pub(super) fn overview_exact(&self, filter: &Filter) -> Result<Overview, StoreError> {
        let mut c = Conditions::default();
        session_conditions(filter, true, &mut c);
        let where_sql = c.sql();
        let totals_sql = format!(
            "SELECT COUNT(*), COUNT(DISTINCT s.visitor_key), COALESCE(SUM(s.page_views), 0),
                    COALESCE(SUM(s.clicks), 0), COALESCE(SUM(s.page_views = 1), 0),
                    COALESCE(SUM(s.page_views >= 1), 0), COALESCE(SUM(s.end_ts - s.start_ts), 0),
                    MIN(s.start_ts), MAX(s.start_ts)
             FROM sessions s{where_sql}"
        );
        let (visitors, totals, starts) = self.conn.prepare_cached(&totals_sql)?.query_row(
            params_from_iter(c.params.iter()),
            |r| {
                let totals = SessionTotals {
                    sessions: r.get(0)?,
                    page_views: r.get(2)?,
                    clicks: r.get(3)?,
                    bounced: r.get(4)?,
                    viewed: r.get(5)?,
                    duration_ms: r.get(6)?,
                };
                let starts = (r.get::<_, Option<i64>>(7)?, r.get::<_, Option<i64>>(8)?);
                Ok((r.get::<_, u64>(1)?, totals, starts))
            },
        )?;
        let series = match starts {
            (Some(min), Some(max)) => {
                let mut grid = SeriesGrid::new(filter.range, min, max);
                self.fill_series(filter, &mut grid)?;
                Some(grid)
            }
            _ => None,
        };
        let grouped = |expr: &str| -> Result<Vec<(Value, u64)>, StoreError> {
            let sql = format!(
                "SELECT {expr}, COUNT(*) FROM sessions s{where_sql}
                 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP_LIST_ROWS}"
            );
            self.query_rows(&sql, &c.params, |r| Ok((r.get::<_, Value>(0)?, r.get(1)?)))
        };
        let counts = |rows: Vec<(Value, u64)>, label: fn(Value) -> String| -> Vec<Count> {
            rows.into_iter()
                .map(|(v, count)| Count {
                    label: label(v),
                    count,
                })
                .collect()
        };
        let lists = TopLists {
            pages: self.top_pages(filter)?,
            referrers: counts(
                grouped(&format!("COALESCE(s.referrer, '{DIRECT_REFERRER}')"))?,
                value_label,
            ),
            devices: counts(grouped("s.device")?, |v| match v {
                Value::Integer(code) => device_label(code),
                _ => device_label(-1),
            }),
            browsers: counts(grouped("s.browser")?, value_label),
        };
        Ok(assemble(visitors, totals, series, lists))
    }

    /// The overview without session conditions: whole hours of the range come
    /// from `session_hours`, the partial hours at its edges from `sessions`.
    pub(super) fn overview_from_rollup(&self, filter: &Filter) -> Result<Overview, StoreError> {
        let shares = self.hour_shares(filter)?;
        let mut totals = SessionTotals::default();
        let mut referrers: HashMap<&str, u64> = HashMap::new();
        let mut browsers: HashMap<&str, u64> = HashMap::new();
        let mut devices: HashMap<i64, u64> = HashMap::new();
        for share in &shares {
            let sessions = share.totals.sessions;
            totals.add(&share.totals);
            *referrers.entry(&share.referrer).or_default() += sessions;
            *browsers.entry(&share.browser).or_default() += sessions;
            *devices.entry(share.device).or_default() += sessions;
        }
        let series = if totals.sessions > 0 {
            self.rollup_series(filter, &shares)?
        } else {
            None
        };
        let lists = TopLists {
            pages: self.top_pages(filter)?,
            referrers: top(owned(referrers)),
            devices: top_devices(devices),
            browsers: top(owned(browsers)),
        };
        Ok(assemble(self.visitors(filter)?, totals, series, lists))
    }

    /// The filter's sessions as hour shares: whole hours from the rollup,
    /// single sessions at the edges.
    fn hour_shares(&self, filter: &Filter) -> Result<Vec<HourShare>, StoreError> {
        let (from, to) = (filter.range.from, filter.range.to);
        let (lo, hi) = whole_hours(filter.range);
        let mut shares = Vec::new();
        let mut edges: Vec<TimeRange> = Vec::new();
        if lo.zip(hi).is_none_or(|(lo, hi)| lo < hi) {
            shares = self.rolled_hours(filter, lo, hi)?;
            if let Some((from, lo)) = from.zip(lo).filter(|(from, lo)| from < lo) {
                edges.push(TimeRange {
                    from: Some(from),
                    to: Some(lo),
                });
            }
            if let Some((hi, to)) = hi.zip(to).filter(|(hi, to)| hi < to) {
                edges.push(TimeRange {
                    from: Some(hi),
                    to: Some(to),
                });
            }
        } else {
            edges.push(filter.range);
        }
        for range in edges {
            let mut c = Conditions::default();
            let edge = Filter {
                site: filter.site.clone(),
                range,
                ..Filter::default()
            };
            session_conditions(&edge, true, &mut c);
            shares.extend(self.query_rows(
                &format!(
                    "SELECT s.start_ts, s.device, s.browser, COALESCE(s.referrer, '{DIRECT_REFERRER}'),
                            1, s.page_views, s.clicks, s.page_views = 1, s.page_views >= 1,
                            s.end_ts - s.start_ts
                     FROM sessions s{}",
                    c.sql()
                ),
                &c.params,
                hour_share_row,
            )?);
        }
        Ok(shares)
    }

    /// The `session_hours` rows of the site within `[lo, hi)`.
    fn rolled_hours(
        &self,
        filter: &Filter,
        lo: Option<i64>,
        hi: Option<i64>,
    ) -> Result<Vec<HourShare>, StoreError> {
        let mut c = Conditions::default();
        if let Some(site) = &filter.site {
            c.push(
                "h.site_id = (SELECT id FROM sites WHERE key = ?)",
                [text(site)],
            );
        }
        if let Some(lo) = lo {
            c.push("h.hour >= ?", [Value::Integer(lo)]);
        }
        if let Some(hi) = hi {
            c.push("h.hour < ?", [Value::Integer(hi)]);
        }
        c.push("h.sessions > 0", []);
        self.query_rows(
            &format!(
                "SELECT h.hour, h.device, h.browser, h.referrer, h.sessions, h.page_views,
                        h.clicks, h.bounced, h.viewed, h.duration_sum
                 FROM session_hours h{}",
                c.sql()
            ),
            &c.params,
            hour_share_row,
        )
    }

    /// Distinct visitors of the filter's sessions.
    fn visitors(&self, filter: &Filter) -> Result<u64, StoreError> {
        let mut c = Conditions::default();
        session_conditions(filter, true, &mut c);
        // A bounded range reads its sessions by start; otherwise the visitor
        // index gives the distinct count without sorting.
        let by_start = if filter.range.from.is_some() || filter.range.to.is_some() {
            " INDEXED BY sessions_by_start"
        } else {
            ""
        };
        let sql = format!(
            "SELECT COUNT(DISTINCT s.visitor_key) FROM sessions s{by_start}{}",
            c.sql()
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(c.params.iter()), |r| r.get(0))?)
    }

    /// The series from hour shares when its buckets are whole hours, else
    /// from the sessions.
    fn rollup_series(
        &self,
        filter: &Filter,
        shares: &[HourShare],
    ) -> Result<Option<SeriesGrid>, StoreError> {
        let mut c = Conditions::default();
        session_conditions(filter, true, &mut c);
        let sql = format!(
            "SELECT MIN(s.start_ts), MAX(s.start_ts) FROM sessions s{}",
            c.sql()
        );
        let starts: (Option<i64>, Option<i64>) = self
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(c.params.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        let (Some(min), Some(max)) = starts else {
            return Ok(None);
        };
        let mut grid = SeriesGrid::new(filter.range, min, max);
        if grid.bucket_ms % HOUR_MS == 0 {
            for share in shares {
                let index = (share.at - grid.origin) / grid.bucket_ms;
                grid.add(index, share.totals.sessions, share.totals.page_views);
            }
        } else {
            self.fill_series(filter, &mut grid)?;
        }
        Ok(Some(grid))
    }

    /// Counts sessions and page views into `grid` from the sessions table.
    fn fill_series(&self, filter: &Filter, grid: &mut SeriesGrid) -> Result<(), StoreError> {
        let mut sc = Conditions::default();
        let origin = sc.next_param(Value::Integer(grid.origin));
        let bucket = sc.next_param(Value::Integer(grid.bucket_ms));
        session_conditions(filter, true, &mut sc);
        let sql = format!(
            "SELECT (s.start_ts - {origin}) / {bucket}, COUNT(*), SUM(s.page_views)
             FROM sessions s{} GROUP BY 1",
            sc.sql()
        );
        for (index, n, views) in self.query_rows(&sql, &sc.params, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, u64>(1)?,
                r.get::<_, u64>(2)?,
            ))
        })? {
            grid.add(index, n, views);
        }
        Ok(())
    }

    /// The overview's most viewed pages: the first rows of the page list
    /// by views (ties by key). Over all time the list reads its rollup;
    /// over a range, the views of the range's session pages are summed in a
    /// hash, since the list's visitor counts (a sort of every row) are not
    /// shown here.
    fn top_pages(&self, filter: &Filter) -> Result<Vec<Count>, StoreError> {
        let sort = Sort {
            key: PageSortKey::Views,
            descending: true,
        };
        if filter.range == TimeRange::ALL && !filter.has_session_conditions() {
            let rows = self.pages(filter, None, sort, PageRequest::first(TOP_LIST_ROWS))?;
            return Ok(rows
                .into_iter()
                .map(|p| Count {
                    label: p.page,
                    count: p.views,
                })
                .collect());
        }
        let mut c = Conditions::default();
        session_conditions(filter, true, &mut c);
        let sql = format!(
            "SELECT sp.page_id, sp.views
             FROM sessions s CROSS JOIN session_pages sp ON sp.session_id = s.id{}",
            c.sql()
        );
        let mut views: FastMap<i64, u64> = FastMap::default();
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(c.params.iter()))?;
        while let Some(r) = rows.next()? {
            *views.entry(r.get(0)?).or_default() += r.get::<_, u64>(1)?;
        }
        // Only pages with at least the views of the last row shown can be
        // shown: their keys settle the ties.
        let mut ranked: Vec<(i64, u64)> = views.into_iter().collect();
        ranked.sort_unstable_by_key(|r| std::cmp::Reverse(r.1));
        let Some(&(_, least)) = ranked.get(TOP_LIST_ROWS as usize - 1).or(ranked.last()) else {
            return Ok(Vec::new());
        };
        let mut key = self
            .conn
            .prepare_cached("SELECT key FROM pages WHERE id = ?1")?;
        let top = ranked
            .into_iter()
            .take_while(|(_, n)| *n >= least)
            .map(|(id, count)| {
                Ok(Count {
                    label: key.query_row([id], |r| r.get(0))?,
                    count,
                })
            })
            .collect::<Result<Vec<Count>, StoreError>>()?;
        // Pages without views stay listed, as in the page list.
        Ok(rank(top))
    }
}

fn value_label(v: Value) -> String {
    match v {
        Value::Text(t) => t,
        Value::Integer(i) => i.to_string(),
        _ => String::new(),
    }
}

fn owned(counts: HashMap<&str, u64>) -> impl Iterator<Item = (String, u64)> + '_ {
    counts.into_iter().map(|(k, v)| (k.to_owned(), v))
}
