//! The layout a heatmap is drawn over, as `heatmap --format json` gives it:
//! the newest version of the heatmap's width segment by default
//! (`shared::store::core::layouts` decides which), or the one asked for with
//! `--layout-version`; the console fetches it with the map
//! ([`with_layout`]), and with the map of a range it is compared with
//! ([`with_layout_compared`]: on the same grid, over the same layouts).
//! [`note`] is the line a drawn map says about it.

use crate::filters::Range;
use crate::text::{count, date_minute};
use crate::widgets::wireframe::fold_y;
use anyhow::{anyhow, Result};
use serde::Serialize;
use shared::layout::Fingerprint;
use shared::page_key::PagePattern;
use shared::store::core::anchoring::{place, selectors_to_place, Placed};
use shared::store::core::heat_compare::{compare, HeatCompare};
use shared::store::core::layouts::{clicks_off_layout, drawn_in, heatmap_segment};
use shared::store::heat::Scale;
use shared::store::layout_query::{LayoutQuery, StoredLayout};
use shared::store::query::{
    Filter, Heatmap, HeatmapQuery, ReachPoint, ScrollReach, TimeRange, WidthSegment,
};
use shared::store::{on_snapshot, EventReader, StoreError};

/// A layout in page pixels of its own capture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayoutJson {
    pub width: u32,
    pub height: u32,
    pub viewport_height: u32,
    /// The fingerprint, 16 hexadecimal digits.
    pub version: String,
    /// The latest capture of this version (ms since the epoch).
    pub captured_at: i64,
    pub boxes: Vec<BoxJson>,
}

/// One box of a layout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoxJson {
    pub selector: String,
    pub kind: &'static str,
    pub label: Option<String>,
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl From<&StoredLayout> for LayoutJson {
    fn from(l: &StoredLayout) -> Self {
        let layout = &l.layout;
        Self {
            width: layout.page.width,
            height: layout.page.height,
            viewport_height: layout.viewport.height,
            version: layout.fingerprint.to_string(),
            captured_at: l.captured_at,
            boxes: layout
                .boxes
                .iter()
                .map(|b| BoxJson {
                    selector: b.selector.clone(),
                    kind: b.kind.as_str(),
                    label: b.label.clone(),
                    x: b.rect.x,
                    y: b.rect.y,
                    width: b.rect.width,
                    height: b.rect.height,
                })
                .collect(),
        }
    }
}

/// A heatmap with its layout: the heatmap's fields (its clicks placed over
/// the layout), `layout`, and how many clicks the layout placed on their
/// elements or could not; with `--compare`, `compare`.
#[derive(Debug, Serialize)]
pub struct HeatmapJson<'a> {
    #[serde(flatten)]
    pub map: &'a Heatmap,
    pub layout: Option<LayoutJson>,
    /// Clicks placed on their element's box in `layout` (0 without one).
    pub anchored_clicks: u64,
    /// Clicks on elements `layout` does not have (`null` without a layout).
    pub clicks_off_layout: Option<u64>,
    /// The page views that reported their scroll, and from each `y` (page
    /// pixels) down, the share of them that read that far
    /// ([`ScrollReach::points`]).
    pub scroll_views: u64,
    pub scroll_reach: &'a [ReachPoint],
    /// The fold (page pixels): the median viewport height of the page views
    /// that reported their scroll, or without them the layout's viewport
    /// height (`null` when neither is known), as the wireframe draws it.
    pub fold: Option<u32>,
    /// The map compared with another range (only with `--compare`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compare: Option<&'a HeatCompare>,
}

impl<'a> HeatmapJson<'a> {
    /// `placed` (the map placed over `layout`) with `layout`, the clicks
    /// the layout cannot place, and the pages' scroll reach.
    pub fn new(placed: &'a Placed, layout: Option<&StoredLayout>, reach: &'a ScrollReach) -> Self {
        Self {
            map: &placed.map,
            layout: layout.map(LayoutJson::from),
            anchored_clicks: placed.anchored_clicks,
            clicks_off_layout: layout.map(|l| clicks_off_layout(&placed.map, &l.layout)),
            scroll_views: reach.views,
            scroll_reach: &reach.points,
            fold: fold_y(reach.fold, layout.map(|l| &l.layout)),
            compare: None,
        }
    }
}

/// A drawn map compared with another range, as the subcommand prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedComparison {
    /// The compared range's map on the map's grid, placed over the same
    /// layout.
    pub before: Placed,
    pub diff: HeatCompare,
}

impl PlacedComparison {
    /// The map of `query`, `placed` over `layout`, compared with the range
    /// `range`: its map on the same grid (placing keeps the grid), placed
    /// over `layout` the same way.
    pub fn new(
        store: &dyn EventReader,
        query: &HeatmapQuery,
        placed: &Placed,
        layout: Option<&StoredLayout>,
        range: TimeRange,
    ) -> Result<Self, StoreError> {
        let before_query = over_range(query, range);
        let before = before_map(store, &before_query, &placed.map)?;
        let before = placed_map(store, &before_query, before, layout)?;
        let reach = store.scroll_reach(&before_query)?;
        Ok(Self {
            diff: compare(&placed.map, &before.map, range).with_reach(reach),
            before,
        })
    }

    /// The map whose grid the comparison is drawn on: `now`, or the
    /// compared range's when `now` has no clicks (and so no grid).
    pub fn grid<'a>(&'a self, now: &'a Heatmap) -> &'a Heatmap {
        drawn_grid(now, &self.before.map)
    }
}

/// The grid a comparison of `now` with `before` is drawn on: `now`'s, or
/// `before`'s when `now` has none (both are binned on it then).
fn drawn_grid<'a>(now: &'a Heatmap, before: &'a Heatmap) -> &'a Heatmap {
    if Scale::of(now).is_some() {
        now
    } else {
        before
    }
}

/// `map` (of `query`) placed over `layouts`, one answer per layout: the
/// anchors of every element the layouts have are read once.
pub fn placed_over(
    store: &dyn EventReader,
    query: &HeatmapQuery,
    map: &Heatmap,
    layouts: &[&StoredLayout],
) -> Result<Vec<Placed>, StoreError> {
    let mut selectors: Vec<String> = layouts
        .iter()
        .flat_map(|l| selectors_to_place(map, &l.layout))
        .collect();
    selectors.sort_unstable();
    selectors.dedup();
    let anchors = store.heat_anchors(query, &selectors)?;
    Ok(layouts
        .iter()
        .map(|l| place(map, &anchors, &l.layout))
        .collect())
}

/// `map` placed over `layout`, or as it is without one.
pub fn placed_map(
    store: &dyn EventReader,
    query: &HeatmapQuery,
    map: Heatmap,
    layout: Option<&StoredLayout>,
) -> Result<Placed, StoreError> {
    let Some(layout) = layout else {
        return Ok(Placed {
            map,
            anchored_clicks: 0,
        });
    };
    let anchors = store.heat_anchors(query, &selectors_to_place(&map, &layout.layout))?;
    Ok(place(&map, &anchors, &layout.layout))
}

/// Reads `--layout-version`: the 16 hexadecimal digits a layout's `version`
/// shows.
pub fn parse_version(text: &str) -> Result<Fingerprint, String> {
    let digits = text.trim();
    if digits.is_empty() || digits.len() > 16 {
        return Err(format!(
            "{text:?} is not a layout version (16 hexadecimal digits)"
        ));
    }
    u64::from_str_radix(digits, 16)
        .map(Fingerprint)
        .map_err(|_| format!("{text:?} is not a layout version (16 hexadecimal digits)"))
}

/// The layout a map is drawn over, `found` by [`stored_layout`]: an error
/// when `version` was asked for and the pages have no such version.
pub fn checked_layout(
    found: Option<StoredLayout>,
    version: Option<Fingerprint>,
) -> Result<Option<StoredLayout>> {
    match (version, found) {
        (Some(v), None) => Err(anyhow!("the pages have no layout version {v}")),
        (_, found) => Ok(found),
    }
}

/// One layout version a map can be drawn over, with what drawing over it
/// gives: worked out on the query thread, once, rather than on every frame.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnOver {
    pub layout: StoredLayout,
    /// The map placed over it (anchored clicks on their elements' boxes).
    pub map: Heatmap,
    /// Its clicks placed on their elements, and those on elements the
    /// layout does not have ([`clicks_off_layout`]).
    pub clicks: OnLayout,
}

/// A heatmap with the layouts it can be drawn over, as the console fetches
/// them.
#[derive(Debug, Clone, PartialEq)]
pub struct MapWithLayout {
    pub map: Heatmap,
    /// The layout versions of the map's segment, newest first (the one drawn
    /// unless the user picks another); empty when none was captured.
    pub versions: Vec<DrawnOver>,
    /// How far down its pages were read ([`with_layout_and_reach`]; empty
    /// from [`with_layout`]).
    pub reach: ScrollReach,
    /// The map compared with another range, when asked.
    pub compared: Option<ComparedMaps>,
}

/// A heatmap compared with another range's ([`compare`]), drawn as it is
/// and over each layout version of its [`MapWithLayout`].
#[derive(Debug, Clone, PartialEq)]
pub struct ComparedMaps {
    /// The compared range's map, on the map's grid ([`before_map`]).
    pub before: Heatmap,
    /// The comparison without a layout.
    pub plain: HeatCompare,
    /// The comparison of the maps placed over each layout version, in the
    /// order of [`MapWithLayout::versions`].
    pub versions: Vec<HeatCompare>,
}

impl ComparedMaps {
    /// The comparison drawn over version `index`, or without a layout.
    pub fn drawn(&self, index: Option<usize>) -> &HeatCompare {
        index
            .and_then(|i| self.versions.get(i))
            .unwrap_or(&self.plain)
    }

    /// The map whose grid the comparison is drawn on: `now`, or the
    /// compared range's when `now` has no clicks (and so no grid).
    pub fn grid<'a>(&'a self, now: &'a Heatmap) -> &'a Heatmap {
        drawn_grid(now, &self.before)
    }
}

/// `query` over `range` instead.
pub fn over_range(query: &HeatmapQuery, range: TimeRange) -> HeatmapQuery {
    HeatmapQuery {
        filter: Filter {
            range,
            ..query.filter.clone()
        },
        ..query.clone()
    }
}

/// The heatmap of `query` (another range's) on the grid of `map`, so the
/// two line up cell for cell; on its own grid when `map` has none (no
/// clicks).
pub fn before_map(
    store: &dyn EventReader,
    query: &HeatmapQuery,
    map: &Heatmap,
) -> Result<Heatmap, StoreError> {
    match Scale::of(map) {
        Some(grid) => store.heatmap_on(query, &grid),
        None => store.heatmap(query),
    }
}

/// The heatmap of `query` and the newest layout of its segment.
pub fn with_layout(
    store: &dyn EventReader,
    query: &HeatmapQuery,
) -> Result<MapWithLayout, StoreError> {
    on_snapshot(store, |store| with_layout_compared(store, query, None))
}

/// [`with_layout`], compared with the range `compared` when given: its map
/// on the same grid, placed over the same layout versions the same way,
/// then compared version by version.
pub fn with_layout_compared(
    store: &dyn EventReader,
    query: &HeatmapQuery,
    compared: Option<TimeRange>,
) -> Result<MapWithLayout, StoreError> {
    let map = store.heatmap(query)?;
    let segment = heatmap_segment(query.segment, map.page_width);
    let layouts = store
        .layouts(&layout_query(query, segment))?
        .into_iter()
        .filter(|l| drawn_in(l, segment))
        .collect::<Vec<_>>();
    let drawn_over: Vec<&StoredLayout> = layouts.iter().collect();
    let placed = placed_over(store, query, &map, &drawn_over)?;
    let compared = match compared {
        Some(range) => {
            let before_query = over_range(query, range);
            let before = before_map(store, &before_query, &map)?;
            let placed_before = placed_over(store, &before_query, &before, &drawn_over)?;
            let reach = store.scroll_reach(&before_query)?;
            let compared = |now, then| compare(now, then, range).with_reach(reach.clone());
            Some(ComparedMaps {
                plain: compared(&map, &before),
                versions: placed
                    .iter()
                    .zip(&placed_before)
                    .map(|(now, then)| compared(&now.map, &then.map))
                    .collect(),
                before,
            })
        }
        None => None,
    };
    let versions = layouts
        .into_iter()
        .zip(placed)
        .map(|(layout, placed)| DrawnOver {
            clicks: OnLayout {
                anchored: placed.anchored_clicks,
                off: clicks_off_layout(&map, &layout.layout),
            },
            layout,
            map: placed.map,
        })
        .collect();
    Ok(MapWithLayout {
        map,
        versions,
        reach: ScrollReach::default(),
        compared,
    })
}

/// The line that says what a compared map compares: the range drawn
/// (`now`, as the caller names it) with its clicks, and the range compared
/// with and its clicks.
pub fn compared_note(now: &str, clicks: u64, diff: &HeatCompare) -> String {
    format!(
        "{now}: {} clicks vs {}: {} clicks",
        count(clicks),
        Range::Between(diff.range).label(),
        count(diff.total_clicks)
    )
}

/// [`with_layout_compared`] and the scroll reach of the map's pages, all
/// read on one snapshot: what the heatmap view draws.
pub fn with_layout_and_reach(
    store: &dyn EventReader,
    query: &HeatmapQuery,
    compared: Option<TimeRange>,
) -> Result<MapWithLayout, StoreError> {
    on_snapshot(store, |store| {
        let mut answer = with_layout_compared(store, query, compared)?;
        answer.reach = store.scroll_reach(query)?;
        Ok(answer)
    })
}

/// What a drawn map says when it has no layout to draw.
pub const NO_LAYOUT: &str = "no layout captured for this page × width; showing clicks only";

/// Which of how many versions a drawn layout is (0: the newest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionOf {
    pub index: usize,
    pub count: usize,
}

/// How a drawn map's clicks sit on its layout: placed on their elements
/// (`anchored`), or on elements the layout does not have (`off`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OnLayout {
    pub anchored: u64,
    pub off: u64,
}

/// The line under a drawn map about its layout: the version's first 8
/// hexadecimal digits (and which of the segment's versions it is, when there
/// are several), the latest capture and the width segment, how many of the
/// map's clicks were placed on their elements and how many are on elements
/// the layout does not have, and whether the wireframe is `shown`; or
/// [`NO_LAYOUT`].
pub fn note(layout: Option<&StoredLayout>, of: VersionOf, clicks: OnLayout, shown: bool) -> String {
    let Some(stored) = layout else {
        return NO_LAYOUT.to_owned();
    };
    let which = match of {
        VersionOf { count: 0 | 1, .. } => String::new(),
        VersionOf { index: 0, count } => format!(" (newest of {count})"),
        VersionOf { index, count } => format!(" ({} of {count}, older)", index + 1),
    };
    let version = stored.layout.fingerprint.to_string();
    let anchored = match clicks.anchored {
        0 => String::new(),
        n => format!(" · {n} on their elements"),
    };
    let off = match clicks.off {
        0 => String::new(),
        1 => " · 1 click off layout".to_owned(),
        n => format!(" · {n} clicks off layout"),
    };
    let hidden = if shown { "" } else { " · wireframe hidden" };
    format!(
        "layout {}{which} · captured {} · {}{hidden}{anchored}{off}",
        version.get(..8).unwrap_or(&version),
        date_minute(stored.captured_at),
        stored.segment.as_str(),
    )
}

/// The layout `map` (of `query`) is drawn over: `version` when given,
/// else the newest of the heatmap's segment; `None` when none was captured
/// (or the version asked for is not the pages': [`checked_layout`]).
pub fn stored_layout(
    store: &dyn EventReader,
    query: &HeatmapQuery,
    map: &Heatmap,
    version: Option<Fingerprint>,
) -> Result<Option<StoredLayout>, StoreError> {
    let segment = heatmap_segment(query.segment, map.page_width);
    // A version asked for is looked up in every segment.
    let searched = if version.is_some() {
        WidthSegment::All
    } else {
        segment
    };
    store.layout(&layout_query(query, searched), segment, version)
}

/// The layouts of the heatmap's pages at `segment`.
fn layout_query(query: &HeatmapQuery, segment: WidthSegment) -> LayoutQuery {
    LayoutQuery {
        site: query.filter.site.clone(),
        pages: PagePattern::new(query.pages.as_str()),
        segment,
    }
}
