//! The heatmap driver: which sources answer a heatmap query, and how their
//! grouped rows become the answer.
//!
//! Without session conditions, the days wholly inside the range are read
//! from the heatmap rollups and only the partial days at the range's edges
//! from raw clicks; with session conditions, every click comes from the raw
//! clicks joined to their sessions. Both kinds of source bin on the same fine
//! grid ([`crate::store::heat`]), so the answer does not depend on the split.
//! An engine answers three grouped queries per source ([`HeatSource`]);
//! everything else happens here. Where inside their elements the clicks
//! fell is a fourth query, asked only for the elements of a layout
//! ([`anchors`]).

use crate::store::heat::{empty_heatmap, whole_days, Anchor, Bins, ElementSum, Extents, Scale};
use crate::store::query::{AnchorCount, ElementAnchors, Heatmap, HeatmapQuery};
use crate::store::StoreError;
use std::collections::{BTreeMap, HashMap};

/// One source of a heatmap's clicks. Both kinds also take the query's pages,
/// site and width segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeatPart {
    /// The heatmap rollups of the days `first <= day < end` (`first` is
    /// `i64::MIN` and `end` `None` when open).
    Rollups { first: i64, end: Option<i64> },
    /// Raw click events in the query's range, outside the whole days
    /// `[first, end)` when `outside` is set, and of sessions that meet the
    /// filter's session conditions when `joined`.
    Raw {
        outside: Option<(i64, Option<i64>)>,
        joined: bool,
    },
}

/// The sources of `query`'s clicks.
pub fn parts(query: &HeatmapQuery) -> Vec<HeatPart> {
    let filter = &query.filter;
    if filter.has_session_conditions() {
        return vec![HeatPart::Raw {
            outside: None,
            joined: true,
        }];
    }
    let (first, end) = whole_days(filter.range.from, filter.range.to);
    if end.is_none_or(|end| first < end) {
        let mut parts = vec![HeatPart::Rollups { first, end }];
        // A range of whole days (all time, the last 24 hours at midnight)
        // has no clicks outside them: no raw read, which would still seek
        // through the range's clicks to find none.
        let whole = filter.range.from.unwrap_or(i64::MIN) == first && filter.range.to == end;
        if !whole {
            parts.push(HeatPart::Raw {
                outside: Some((first, end)),
                joined: false,
            });
        }
        parts
    } else {
        vec![HeatPart::Raw {
            outside: None,
            joined: false,
        }]
    }
}

/// Clicks on pages of one width.
pub struct ExtentRow {
    pub width: i64,
    pub clicks: u64,
    pub max_ph: Option<i64>,
    pub max_y: Option<i64>,
}

/// Clicks in one cell of the scaled grid, of one anchor selector.
pub struct CellRow {
    /// The selector of these clicks when they are anchored to their
    /// element; `None` for clicks that are not.
    pub selector: Option<String>,
    pub column: u32,
    pub row: u32,
    pub clicks: u64,
    pub rage_clicks: u64,
}

/// Clicks on one element.
pub struct ElementRow {
    pub selector: String,
    pub label: Option<String>,
    pub clicks: u64,
    pub rage_clicks: u64,
}

/// Anchored clicks on one element at one anchor.
pub struct AnchorRow {
    pub selector: String,
    pub anchor: Anchor,
    pub clicks: u64,
    pub rage_clicks: u64,
}

/// The grouped queries an engine answers for one source.
pub trait HeatSource {
    /// Clicks by page width, with the tallest page and lowest click.
    fn extents(&self, query: &HeatmapQuery, part: HeatPart) -> Result<Vec<ExtentRow>, StoreError>;
    /// Clicks by anchor selector and cell of `scale` ([`Scale::cell`] of
    /// their fine cell).
    fn cells(
        &self,
        query: &HeatmapQuery,
        part: HeatPart,
        scale: &Scale,
    ) -> Result<Vec<CellRow>, StoreError>;
    /// Clicks by selector (clicks without one left out), with the greatest label.
    fn elements(&self, query: &HeatmapQuery, part: HeatPart)
        -> Result<Vec<ElementRow>, StoreError>;
    /// Anchored clicks on the elements `selectors` (not empty), by selector
    /// and anchor.
    fn anchors(
        &self,
        query: &HeatmapQuery,
        part: HeatPart,
        selectors: &[String],
    ) -> Result<Vec<AnchorRow>, StoreError>;
}

/// The heatmap of `query` from `source`, on the grid its own clicks give
/// ([`Extents::scale`]).
pub fn heatmap(source: &impl HeatSource, query: &HeatmapQuery) -> Result<Heatmap, StoreError> {
    heatmap_on(source, query, None)
}

/// The heatmap of `query` from `source` on `grid` when given (another
/// heatmap's, [`Scale::of`]), else on the grid of its own clicks as
/// [`heatmap`]. Two ranges binned on one grid line up cell for cell, which
/// a comparison needs ([`crate::store::core::heat_compare`]); `query.columns`
/// is then the grid's. Clicks below the grid's page fall in its last row, as
/// [`Scale::cell`] places them; without clicks the answer is the grid with
/// no cells.
pub fn heatmap_on(
    source: &impl HeatSource,
    query: &HeatmapQuery,
    grid: Option<&Scale>,
) -> Result<Heatmap, StoreError> {
    let columns = query.columns.clamp(1, 10_000);
    let parts = parts(query);

    let mut extents = Extents::default();
    for &part in &parts {
        for e in source.extents(query, part)? {
            extents.add(e.width, e.clicks, e.max_ph, e.max_y);
        }
    }
    let (total, scale) = match (grid, extents.scale(columns)) {
        (_, None) => {
            return Ok(grid.map_or_else(|| empty_heatmap(columns), Scale::empty_heatmap));
        }
        (Some(grid), Some((total, _))) => (total, *grid),
        (None, Some(own)) => own,
    };

    let mut bins = Bins::new();
    let mut anchorable: BTreeMap<String, Bins> = BTreeMap::new();
    for &part in &parts {
        for c in source.cells(query, part, &scale)? {
            let cell = (c.row.min(scale.rows - 1), c.column.min(scale.columns - 1));
            let add = |bins: &mut Bins| {
                let bin = bins.entry(cell).or_default();
                bin.0 += c.clicks;
                bin.1 += c.rage_clicks;
            };
            add(&mut bins);
            if let Some(selector) = c.selector {
                add(anchorable.entry(selector).or_default());
            }
        }
    }

    let mut elements: HashMap<String, ElementSum> = HashMap::new();
    for &part in &parts {
        for e in source.elements(query, part)? {
            let sum = elements.entry(e.selector).or_default();
            sum.label = sum.label.take().max(e.label);
            sum.clicks += e.clicks;
            sum.rage_clicks += e.rage_clicks;
        }
    }
    Ok(scale.heatmap(total, bins, elements, anchorable))
}

/// Where inside their elements the anchored clicks of `query` on the
/// elements `selectors` fell, from `source`: the same sources as
/// [`heatmap`], so the counts match its [`Heatmap::anchorable`].
pub fn anchors(
    source: &impl HeatSource,
    query: &HeatmapQuery,
    selectors: &[String],
) -> Result<ElementAnchors, StoreError> {
    let mut sums: BTreeMap<(String, Anchor), (u64, u64)> = BTreeMap::new();
    if !selectors.is_empty() {
        for part in parts(query) {
            for a in source.anchors(query, part, selectors)? {
                let sum = sums.entry((a.selector, a.anchor)).or_default();
                sum.0 += a.clicks;
                sum.1 += a.rage_clicks;
            }
        }
    }
    let mut anchors = ElementAnchors::new();
    for ((selector, anchor), (clicks, rage_clicks)) in sums {
        if clicks > 0 {
            anchors.entry(selector).or_default().push(AnchorCount {
                anchor,
                clicks,
                rage_clicks,
            });
        }
    }
    Ok(anchors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page_key::PagePattern;
    use crate::store::query::{Filter, TimeRange, WidthSegment};

    fn parts_of(from: Option<i64>, to: Option<i64>) -> Vec<HeatPart> {
        parts(&HeatmapQuery {
            pages: PagePattern::new("/"),
            filter: Filter {
                range: TimeRange { from, to },
                ..Filter::default()
            },
            segment: WidthSegment::All,
            columns: 10,
        })
    }

    /// Whole days come from the rollups alone; raw clicks only fill the
    /// partial days at a range's edges.
    #[test]
    fn raw_clicks_are_read_only_for_partial_days() {
        let day = 86_400_000;
        assert_eq!(
            parts_of(None, None),
            [HeatPart::Rollups {
                first: i64::MIN,
                end: None
            }]
        );
        assert_eq!(
            parts_of(Some(3 * day), Some(4 * day)),
            [HeatPart::Rollups {
                first: 3 * day,
                end: Some(4 * day)
            }]
        );
        assert_eq!(
            parts_of(Some(3 * day + 5), None),
            [
                HeatPart::Rollups {
                    first: 4 * day,
                    end: None
                },
                HeatPart::Raw {
                    outside: Some((4 * day, None)),
                    joined: false
                }
            ]
        );
        assert_eq!(
            parts_of(Some(3 * day), Some(4 * day + 1)).len(),
            2,
            "a partial last day is read raw"
        );
    }
}
