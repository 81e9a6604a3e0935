//! The read side's vocabulary: filters, sorts, pages of results, and the shapes
//! every store answers with. Both store engines return exactly these types, so
//! the console and the conformance suite never see an engine's own rows.

use crate::event::{ClientInfo, DeviceClass, Event};
use crate::page_key::PagePattern;
use serde::{Deserialize, Serialize};

/// A half-open time range `[from, to)` in ms since the Unix epoch; `None` is
/// unbounded on that side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl TimeRange {
    /// Everything.
    pub const ALL: TimeRange = TimeRange {
        from: None,
        to: None,
    };

    /// The `span_ms` before `now`.
    pub fn last(span_ms: i64, now: i64) -> Self {
        Self {
            from: Some(now.saturating_sub(span_ms)),
            to: None,
        }
    }

    pub fn contains(&self, ts: i64) -> bool {
        self.from.is_none_or(|f| ts >= f) && self.to.is_none_or(|t| ts < t)
    }

    /// The period of the same length just before this one (an open end is
    /// `now`); `None` for a range without a start, which has no "before".
    pub fn previous(&self, now: i64) -> Option<TimeRange> {
        let from = self.from?;
        let span = self.to.unwrap_or(now).saturating_sub(from).max(0);
        Some(TimeRange {
            from: Some(from.saturating_sub(span)),
            to: Some(from),
        })
    }
}

/// Conditions that narrow every view.
///
/// Session-scoped views (overview, sessions, pages) take the sessions that
/// *started* in `range`; event-scoped views (heatmap, events) take the events
/// that happened in `range`, from sessions matching the other conditions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    pub site: Option<String>,
    pub range: TimeRange,
    pub device: Option<DeviceClass>,
    pub browser: Option<String>,
    /// Referrer host of the session; `direct` selects sessions without one.
    pub referrer: Option<String>,
    pub entry_page: Option<PagePattern>,
    pub min_duration_ms: Option<i64>,
    pub min_events: Option<u32>,
    pub bounced: Option<bool>,
    pub has_rage_clicks: Option<bool>,
    /// Sessions that clicked on a page matching this pattern (the cross-filter).
    pub clicked_page: Option<PagePattern>,
    /// Sessions with (`true`) or without (`false`) a quick back.
    #[serde(default)]
    pub has_quick_backs: Option<bool>,
    /// Dead-end sessions (`true`) or the others (`false`).
    #[serde(default)]
    pub dead_end: Option<bool>,
    /// Only these sessions, by the engine's own keys (as paths and funnels
    /// name them, [`crate::store::flow_query::SessionSteps::key`]).
    #[serde(default)]
    pub sessions: Option<Vec<String>>,
}

impl Filter {
    /// True when only the site and range are set, i.e. no session condition.
    pub fn has_session_conditions(&self) -> bool {
        self.device.is_some()
            || self.browser.is_some()
            || self.referrer.is_some()
            || self.entry_page.is_some()
            || self.min_duration_ms.is_some()
            || self.min_events.is_some()
            || self.bounced.is_some()
            || self.has_rage_clicks.is_some()
            || self.clicked_page.is_some()
            || self.has_quick_backs.is_some()
            || self.dead_end.is_some()
            || self.sessions.is_some()
    }
}

/// The label used for sessions without an external referrer.
pub const DIRECT_REFERRER: &str = "direct";

/// A slice of a long result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    pub offset: u64,
    pub limit: u32,
}

impl PageRequest {
    pub fn first(limit: u32) -> Self {
        Self { offset: 0, limit }
    }
}

/// Columns the session list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionSortKey {
    Start,
    Duration,
    Events,
    Pages,
    Clicks,
    Entry,
    Exit,
    Device,
    Browser,
    Referrer,
    RageClicks,
    /// The frustration score.
    Frustration,
}

impl SessionSortKey {
    pub const ALL: [SessionSortKey; 12] = [
        Self::Start,
        Self::Duration,
        Self::Events,
        Self::Pages,
        Self::Clicks,
        Self::Entry,
        Self::Exit,
        Self::Device,
        Self::Browser,
        Self::Referrer,
        Self::RageClicks,
        Self::Frustration,
    ];
}

/// A sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sort<K> {
    pub key: K,
    pub descending: bool,
}

/// Columns the page list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PageSortKey {
    Page,
    Views,
    Visitors,
    Clicks,
    ScrollDepth,
    RageClicks,
}

/// One row of the session list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub site: String,
    pub session_id: String,
    pub visitor_id: String,
    pub start: i64,
    pub end: i64,
    pub duration_ms: i64,
    pub events: u64,
    pub page_views: u64,
    pub clicks: u64,
    pub rage_clicks: u64,
    pub entry_page: Option<String>,
    pub exit_page: Option<String>,
    pub referrer: Option<String>,
    pub client: ClientInfo,
    /// One page view and no more.
    pub bounced: bool,
    /// Returns to a page within 10 s of leaving it (see
    /// [`crate::store::core::steps`]).
    #[serde(default)]
    pub quick_backs: u64,
    /// Ended within 10 s of a rage click.
    #[serde(default)]
    pub dead_end: bool,
}

impl SessionSummary {
    /// The session's frustration score ([`crate::store::core::steps::frustration_score`]).
    pub fn frustration(&self) -> u64 {
        crate::store::core::steps::frustration_score(
            self.rage_clicks,
            self.quick_backs,
            self.dead_end,
        )
    }
}

/// A page of the session list with the number of sessions matching in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionPage {
    pub total: u64,
    pub rows: Vec<SessionSummary>,
}

/// Most points in the overview's series.
const SERIES_TARGET_POINTS: i64 = 60;

/// The bucket width of the overview's series over a range of `span_ms`: the
/// first round duration (1 min … 1 week) that gives at most 60 points, else
/// the range split evenly into 60. Every engine uses it, so series agree.
pub fn series_bucket_ms(span_ms: i64) -> i64 {
    const STEPS: [i64; 10] = [
        60_000,
        5 * 60_000,
        15 * 60_000,
        30 * 60_000,
        3_600_000,
        3 * 3_600_000,
        6 * 3_600_000,
        12 * 3_600_000,
        86_400_000,
        7 * 86_400_000,
    ];
    STEPS
        .into_iter()
        .find(|step| span_ms / step <= SERIES_TARGET_POINTS)
        .unwrap_or_else(|| (span_ms / SERIES_TARGET_POINTS).max(1))
}

/// One bucket of the overview's time series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesPoint {
    pub start: i64,
    pub sessions: u64,
    pub page_views: u64,
}

/// A label and how many sessions (or views) it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub label: String,
    pub count: u64,
}

/// The overview's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub visitors: u64,
    pub sessions: u64,
    pub page_views: u64,
    pub clicks: u64,
    /// Sessions with exactly one page view over sessions with at least one.
    pub bounce_rate: f64,
    pub mean_duration_ms: f64,
    pub bucket_ms: i64,
    pub series: Vec<SeriesPoint>,
    pub top_pages: Vec<Count>,
    pub top_referrers: Vec<Count>,
    pub devices: Vec<Count>,
    pub browsers: Vec<Count>,
}

/// A stored event with its session and a cursor for the live tail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub cursor: String,
    pub site: String,
    pub session_id: String,
    pub visitor_id: String,
    pub rage_click: bool,
    #[serde(flatten)]
    pub event: Event,
}

/// One session, step by step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journey {
    pub session: SessionSummary,
    pub steps: Vec<StoredEvent>,
}

/// Identifies a session; without a site, the first session with that id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRef {
    pub site: Option<String>,
    pub session_id: String,
}

/// One row of the page list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageStats {
    pub page: String,
    pub views: u64,
    pub visitors: u64,
    pub sessions: u64,
    pub clicks: u64,
    pub mean_scroll_depth: Option<f64>,
    pub rage_clicks: u64,
}

/// Width segments of a heatmap, by viewport width at click time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WidthSegment {
    All,
    /// Viewport at least 1024 px wide.
    Desktop,
    /// Viewport 768 to 1023 px wide.
    Tablet,
    /// Viewport under 768 px wide.
    Mobile,
}

impl WidthSegment {
    pub const ALL: [WidthSegment; 4] = [Self::All, Self::Desktop, Self::Tablet, Self::Mobile];

    /// The viewport widths `[min, max)` of the segment.
    pub fn width_bounds(self) -> (u32, u32) {
        match self {
            Self::All => (0, u32::MAX),
            Self::Desktop => (1024, u32::MAX),
            Self::Tablet => (768, 1024),
            Self::Mobile => (0, 768),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Desktop => "desktop",
            Self::Tablet => "tablet",
            Self::Mobile => "mobile",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name))
    }
}

/// What heatmap to build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeatmapQuery {
    pub pages: PagePattern,
    pub filter: Filter,
    pub segment: WidthSegment,
    /// Columns of the grid across the representative page width; rows follow so
    /// that cells are square in page pixels.
    pub columns: u32,
}

/// One non-empty cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeatBin {
    pub column: u32,
    pub row: u32,
    pub clicks: u64,
    pub rage_clicks: u64,
}

/// A clicked element and its share of the page's clicks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElementStat {
    pub selector: String,
    pub label: Option<String>,
    pub clicks: u64,
    pub share: f64,
    pub rage_clicks: u64,
}

/// Binned clicks over a page of representative size.
///
/// A click at page x on a page `w` wide lands in column `floor(x / w × columns)`,
/// so positions are relative to each click's own page width (responsive layouts
/// stretch), while rows are absolute page pixels of `cell_px` each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heatmap {
    /// Median page width of the clicks (CSS pixels).
    pub page_width: u32,
    /// Tallest page height seen with the clicks (CSS pixels).
    pub page_height: u32,
    pub columns: u32,
    pub rows: u32,
    /// Width and height of one cell in page pixels.
    pub cell_px: f64,
    pub total_clicks: u64,
    pub rage_clicks: u64,
    pub max_cell_clicks: u64,
    /// Non-empty cells, by row then column.
    pub bins: Vec<HeatBin>,
    pub top_elements: Vec<ElementStat>,
    /// Every clicked element, the most clicked first (`top_elements` are
    /// the first rows): what a layout is checked against
    /// ([`crate::store::core::layouts::clicks_off_layout`]) and two ranges
    /// are compared by ([`crate::store::core::heat_compare`]), labels
    /// included. Not in the JSON.
    #[serde(skip)]
    pub element_clicks: Vec<ElementStat>,
    /// Per element with anchored clicks, those clicks as `bins` places them
    /// (by their own page width), by selector: what a heatmap drawn over a
    /// layout takes out before it places them on the element's box
    /// ([`crate::store::core::anchoring`]). Not in the JSON.
    #[serde(skip)]
    pub anchorable: Vec<ElementBins>,
}

/// The anchored clicks on one element, binned as [`Heatmap::bins`] bins them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ElementBins {
    pub selector: String,
    /// Non-empty cells, by row then column.
    pub bins: Vec<HeatBin>,
}

/// Anchored clicks on one element at one offset inside its box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnchorCount {
    pub anchor: crate::store::heat::Anchor,
    pub clicks: u64,
    pub rage_clicks: u64,
}

/// Where inside their elements a heatmap's anchored clicks fell: per
/// selector, the non-empty anchors in order.
pub type ElementAnchors = std::collections::BTreeMap<String, Vec<AnchorCount>>;

/// How far down its pages a heatmap's page views were read: the share of
/// the page views that reached each depth ([`crate::store::reach`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ScrollReach {
    /// Page views that reported how deep they were read.
    pub views: u64,
    /// Where the share changes, top down: from `y` (page pixels) until the
    /// next point, `share` of the views reached. The first point is at 0
    /// (every view); the last has share 0, just past the deepest reached.
    /// Empty without views.
    pub points: Vec<ReachPoint>,
    /// The median viewport height of the views whose first report named
    /// it, in page pixels (rounded up to a band of
    /// [`crate::limits::REACH_ROW_PX`]): where a typical view's first screen
    /// ended, the fold. `None` when no view's viewport is known.
    #[serde(default)]
    pub fold: Option<u32>,
}

/// From page `y` down, `share` of the page views reached (see [`ScrollReach`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReachPoint {
    pub y: u32,
    pub share: f64,
}

impl ScrollReach {
    /// The share of the views that reached page `y` (0 without views).
    pub fn share_at(&self, y: f64) -> f64 {
        self.points
            .iter()
            .take_while(|p| f64::from(p.y) <= y)
            .last()
            .map_or(0.0, |p| p.share)
    }

    /// Where fewer than `share` of the views read on: the first `y` whose
    /// share is below it (`None` without views).
    pub fn depth_of(&self, share: f64) -> Option<u32> {
        if self.views == 0 {
            return None;
        }
        self.points.iter().find(|p| p.share < share).map(|p| p.y)
    }
}

/// New events since a cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveTail {
    /// Pass back to get what came after.
    pub cursor: Option<String>,
    pub events: Vec<StoredEvent>,
}

#[cfg(test)]
mod tests {
    use super::{series_bucket_ms, TimeRange};

    #[test]
    fn the_previous_period_has_the_same_length() {
        let last_day = TimeRange::last(86_400_000, 1_000_000_000);
        assert_eq!(
            last_day.previous(1_000_000_000),
            Some(TimeRange {
                from: Some(1_000_000_000 - 2 * 86_400_000),
                to: Some(1_000_000_000 - 86_400_000),
            })
        );
        let days = TimeRange {
            from: Some(100),
            to: Some(150),
        };
        assert_eq!(days.previous(0).and_then(|p| p.from), Some(50));
        assert_eq!(TimeRange::ALL.previous(5), None);
    }

    #[test]
    fn series_buckets_are_round() {
        assert_eq!(series_bucket_ms(3_600_000), 60_000);
        assert_eq!(series_bucket_ms(86_400_000), 30 * 60_000);
        assert_eq!(series_bucket_ms(30 * 86_400_000), 12 * 3_600_000);
        assert_eq!(series_bucket_ms(1), 60_000);
    }
}
