//! The overview's rules, assembled from what an engine's grouped queries
//! return: what a bounce is, the series grid, the top lists' order, and the
//! rates.
//!
//! An engine sums [`SessionTotals`] over the filtered sessions (each session
//! through [`SessionTotals::add_session`], or whole groups by its rollups),
//! counts sessions and page views into a [`SeriesGrid`], groups the top
//! lists, and hands everything to [`assemble`].

use crate::event::DeviceClass;
use crate::store::query::{series_bucket_ms, Count, Overview, SeriesPoint, TimeRange};

/// Rows in each of the overview's top lists.
pub const TOP_LIST_ROWS: u32 = 10;

/// A session bounced when it viewed exactly one page.
pub fn bounced(page_views: u64) -> bool {
    page_views == 1
}

/// Sums over a set of sessions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionTotals {
    pub sessions: u64,
    pub page_views: u64,
    pub clicks: u64,
    /// Sessions that bounced ([`bounced`]).
    pub bounced: u64,
    /// Sessions with at least one page view: the bounce rate's denominator.
    pub viewed: u64,
    /// Sum of the sessions' durations (end − start).
    pub duration_ms: i64,
}

impl SessionTotals {
    /// Counts one session.
    pub fn add_session(&mut self, page_views: u64, clicks: u64, duration_ms: i64) {
        self.add(&Self {
            sessions: 1,
            page_views,
            clicks,
            bounced: u64::from(bounced(page_views)),
            viewed: u64::from(page_views >= 1),
            duration_ms,
        });
    }

    /// Counts a group of sessions.
    pub fn add(&mut self, other: &Self) {
        self.sessions += other.sessions;
        self.page_views += other.page_views;
        self.clicks += other.clicks;
        self.bounced += other.bounced;
        self.viewed += other.viewed;
        self.duration_ms += other.duration_ms;
    }
}

/// The overview's time series: buckets of [`series_bucket_ms`] from the
/// range's start (or the first session's) to its end (or past the last
/// session's start).
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesGrid {
    pub origin: i64,
    pub bucket_ms: i64,
    pub points: Vec<SeriesPoint>,
}

/// The bucket width when there is nothing to show.
const EMPTY_BUCKET_MS: i64 = 3_600_000;

impl SeriesGrid {
    /// Empty buckets over `range`, whose open ends are the earliest and
    /// latest session start.
    pub fn new(range: TimeRange, min_start: i64, max_start: i64) -> Self {
        let from = range.from.unwrap_or(min_start);
        let to = range.to.unwrap_or(max_start + 1).max(from + 1);
        let bucket_ms = series_bucket_ms(to - from);
        let origin = from.div_euclid(bucket_ms) * bucket_ms;
        let buckets = (to - origin + bucket_ms - 1) / bucket_ms;
        let points = (0..buckets)
            .map(|i| SeriesPoint {
                start: origin + i * bucket_ms,
                sessions: 0,
                page_views: 0,
            })
            .collect();
        Self {
            origin,
            bucket_ms,
            points,
        }
    }

    /// The bucket index of a time (may be out of the grid).
    pub fn index_of(&self, at: i64) -> i64 {
        (at - self.origin).div_euclid(self.bucket_ms)
    }

    /// Adds sessions and page views to the bucket at `index` (ignored when
    /// out of the grid).
    pub fn add(&mut self, index: i64, sessions: u64, page_views: u64) {
        if let Some(point) = usize::try_from(index)
            .ok()
            .and_then(|i| self.points.get_mut(i))
        {
            point.sessions += sessions;
            point.page_views += page_views;
        }
    }
}

/// A top list from counts by label: most first, ties by label, empty
/// labels' counts kept, zero counts dropped, at most [`TOP_LIST_ROWS`].
pub fn top(counts: impl IntoIterator<Item = (String, u64)>) -> Vec<Count> {
    rank(
        counts
            .into_iter()
            .filter(|(_, count)| *count > 0)
            .map(|(label, count)| Count { label, count })
            .collect(),
    )
}

/// The order of a top list, zero counts and all: most first, ties by
/// label, at most [`TOP_LIST_ROWS`].
pub fn rank(mut counts: Vec<Count>) -> Vec<Count> {
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    counts.truncate(TOP_LIST_ROWS as usize);
    counts
}

/// The devices top list from counts by device code (ties by code).
pub fn top_devices(counts: impl IntoIterator<Item = (i64, u64)>) -> Vec<Count> {
    let mut counts: Vec<(i64, u64)> = counts.into_iter().filter(|d| d.1 > 0).collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts.truncate(TOP_LIST_ROWS as usize);
    counts
        .into_iter()
        .map(|(code, count)| Count {
            label: device_label(code),
            count,
        })
        .collect()
}

/// How a stored device code is shown.
pub fn device_label(code: i64) -> String {
    DeviceClass::from_code(code).as_str().to_owned()
}

/// The lists an overview shows besides its totals.
pub struct TopLists {
    pub pages: Vec<Count>,
    pub referrers: Vec<Count>,
    pub devices: Vec<Count>,
    pub browsers: Vec<Count>,
}

/// The overview from its parts.
pub fn assemble(
    visitors: u64,
    totals: SessionTotals,
    series: Option<SeriesGrid>,
    lists: TopLists,
) -> Overview {
    let (bucket_ms, series) =
        series.map_or((EMPTY_BUCKET_MS, Vec::new()), |s| (s.bucket_ms, s.points));
    Overview {
        visitors,
        sessions: totals.sessions,
        page_views: totals.page_views,
        clicks: totals.clicks,
        bounce_rate: if totals.viewed == 0 {
            0.0
        } else {
            totals.bounced as f64 / totals.viewed as f64
        },
        mean_duration_ms: if totals.sessions == 0 {
            0.0
        } else {
            totals.duration_ms as f64 / totals.sessions as f64
        },
        bucket_ms,
        series,
        top_pages: lists.pages,
        top_referrers: lists.referrers,
        devices: lists.devices,
        browsers: lists.browsers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounce_is_one_page_view_of_sessions_with_any() {
        let mut t = SessionTotals::default();
        t.add_session(1, 0, 10);
        t.add_session(0, 3, 20);
        t.add_session(4, 1, 30);
        let o = assemble(
            2,
            t,
            None,
            TopLists {
                pages: vec![],
                referrers: vec![],
                devices: vec![],
                browsers: vec![],
            },
        );
        assert_eq!(o.bounce_rate, 0.5);
        assert_eq!(o.mean_duration_ms, 20.0);
        assert_eq!(o.bucket_ms, EMPTY_BUCKET_MS);
    }

    #[test]
    fn top_lists_order_by_count_then_label() {
        let list = top([
            ("b".into(), 2),
            ("a".into(), 2),
            ("c".into(), 5),
            ("z".into(), 0),
        ]);
        let labels: Vec<&str> = list.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["c", "a", "b"]);
    }

    #[test]
    fn the_series_grid_covers_the_range() {
        let grid = SeriesGrid::new(
            TimeRange {
                from: Some(0),
                to: Some(3 * 3_600_000),
            },
            0,
            0,
        );
        assert_eq!(grid.bucket_ms, 5 * 60_000);
        assert_eq!(grid.points.len(), 36);
        assert_eq!(grid.index_of(3_600_000), 12);
    }
}
