//! Before/after: how a page's clicks moved between two ranges.
//!
//! Two ranges rarely have the same number of clicks, so counts are not
//! compared: each range is normalised by its own clicks, and a cell's change
//! is its *share* of the range's clicks minus its share of the compared
//! range's (`clicks / total − clicks_before / total_before`; a range without
//! clicks has share 0 everywhere). The two maps must be binned on one grid
//! ([`crate::store::core::heatmap::heatmap_on`]) and, when drawn over a
//! layout, placed over the same version ([`crate::store::core::anchoring`]),
//! or their cells would not be the same places on the page.
//!
//! Elements are compared the same way, by share of each range's clicks,
//! and ranked by how much their share moved (the absolute change, largest
//! first, ties by selector), as many as a heatmap lists
//! ([`TOP_ELEMENT_ROWS`]).
//!
//! Scroll reach is a share of each range's page views already
//! ([`ScrollReach`]): a comparison carries the compared range's
//! ([`HeatCompare::with_reach`]), and a depth's change is its share now
//! minus its share then.

use crate::store::heat::TOP_ELEMENT_ROWS;
use crate::store::query::{HeatBin, Heatmap, ReachPoint, ScrollReach, TimeRange};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A heatmap compared with the heatmap of another range on the same grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeatCompare {
    /// The range compared with.
    pub range: TimeRange,
    /// The compared range's clicks.
    pub total_clicks: u64,
    /// The cells with clicks in either range, by row then column.
    pub bins: Vec<ShareDelta>,
    /// The elements whose share moved most.
    pub top_elements: Vec<ElementChange>,
    /// The compared range's page views that reported their scroll…
    #[serde(default)]
    pub scroll_views: u64,
    /// …and its scroll reach ([`ScrollReach::points`]).
    #[serde(default)]
    pub scroll_reach: Vec<ReachPoint>,
}

/// The change of one cell's share of the clicks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ShareDelta {
    pub column: u32,
    pub row: u32,
    /// The cell's share now minus its share in the compared range (−1 to 1).
    pub share_delta: f64,
}

/// One element's share of the clicks in both ranges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElementChange {
    pub selector: String,
    /// The current range's label, else the compared range's.
    pub label: Option<String>,
    pub share: f64,
    pub share_before: f64,
}

impl ElementChange {
    /// How much the share moved (negative: lost).
    pub fn change(&self) -> f64 {
        self.share - self.share_before
    }
}

impl HeatCompare {
    /// With the compared range's scroll reach.
    pub fn with_reach(self, reach: ScrollReach) -> Self {
        Self {
            scroll_views: reach.views,
            scroll_reach: reach.points,
            ..self
        }
    }

    /// The compared range's scroll reach.
    pub fn reach(&self) -> ScrollReach {
        ScrollReach {
            views: self.scroll_views,
            points: self.scroll_reach.clone(),
            // The fold drawn is the map's own, not the compared range's.
            fold: None,
        }
    }

    /// The largest change of a cell's share, either way (0 without cells):
    /// what a diverging ramp's intensity is relative to.
    pub fn max_abs_delta(&self) -> f64 {
        self.bins
            .iter()
            .map(|b| b.share_delta.abs())
            .fold(0.0, f64::max)
    }
}

/// `now` compared with `before`, the heatmap of the range `range` on the
/// same grid.
pub fn compare(now: &Heatmap, before: &Heatmap, range: TimeRange) -> HeatCompare {
    HeatCompare {
        range,
        total_clicks: before.total_clicks,
        bins: cell_deltas(now, before),
        top_elements: element_changes(now, before),
        scroll_views: 0,
        scroll_reach: Vec::new(),
    }
}

/// `clicks` as a share of `total` (0 without clicks).
fn share(clicks: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        clicks as f64 / total as f64
    }
}

/// The share of each cell of `bins` by `(row, column)`, added into `shares`
/// at `side` (0: now, 1: before).
fn add_shares(
    shares: &mut BTreeMap<(u32, u32), [f64; 2]>,
    bins: &[HeatBin],
    total: u64,
    side: usize,
) {
    for b in bins.iter().filter(|b| b.clicks > 0) {
        shares.entry((b.row, b.column)).or_default()[side] += share(b.clicks, total);
    }
}

fn cell_deltas(now: &Heatmap, before: &Heatmap) -> Vec<ShareDelta> {
    let mut shares: BTreeMap<(u32, u32), [f64; 2]> = BTreeMap::new();
    add_shares(&mut shares, &now.bins, now.total_clicks, 0);
    add_shares(&mut shares, &before.bins, before.total_clicks, 1);
    shares
        .into_iter()
        .map(|((row, column), [now, before])| ShareDelta {
            column,
            row,
            share_delta: now - before,
        })
        .collect()
}

fn element_changes(now: &Heatmap, before: &Heatmap) -> Vec<ElementChange> {
    // Every clicked element of both ranges, not only their top rows: an
    // element outside both lists can still have moved the most.
    let mut elements: BTreeMap<&str, ElementChange> = BTreeMap::new();
    for (map, side) in [(now, 0), (before, 1)] {
        for e in &map.element_clicks {
            let entry = elements
                .entry(e.selector.as_str())
                .or_insert_with(|| ElementChange {
                    selector: e.selector.clone(),
                    label: None,
                    share: 0.0,
                    share_before: 0.0,
                });
            let share = share(e.clicks, map.total_clicks);
            if side == 0 {
                entry.share = share;
            } else {
                entry.share_before = share;
            }
            if entry.label.is_none() {
                entry.label = e.label.clone();
            }
        }
    }
    let mut ranked: Vec<ElementChange> = elements.into_values().collect();
    ranked.sort_by(|a, b| {
        b.change()
            .abs()
            .total_cmp(&a.change().abs())
            .then_with(|| a.selector.cmp(&b.selector))
    });
    ranked.truncate(TOP_ELEMENT_ROWS);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::heat::Scale;
    use crate::store::query::ElementStat;

    const RANGE: TimeRange = TimeRange {
        from: Some(0),
        to: Some(100),
    };

    /// A map on a 4 × 4 grid with `cells` (column, row, clicks) and
    /// `elements` (selector, label, clicks), every click counted in the total.
    fn map(cells: &[(u32, u32, u64)], elements: &[(&str, Option<&str>, u64)]) -> Heatmap {
        let mut map = Scale::new(4, 400, 400).empty_heatmap();
        map.total_clicks = cells.iter().map(|c| c.2).sum();
        map.bins = cells
            .iter()
            .map(|&(column, row, clicks)| HeatBin {
                column,
                row,
                clicks,
                rage_clicks: 0,
            })
            .collect();
        map.bins.sort_by_key(|b| (b.row, b.column));
        map.element_clicks = elements
            .iter()
            .map(|&(selector, label, clicks)| ElementStat {
                selector: selector.to_owned(),
                label: label.map(str::to_owned),
                clicks,
                share: clicks as f64 / map.total_clicks as f64,
                rage_clicks: 0,
            })
            .collect();
        map
    }

    fn deltas(c: &HeatCompare) -> Vec<(u32, u32, f64)> {
        c.bins
            .iter()
            .map(|b| (b.column, b.row, b.share_delta))
            .collect()
    }

    #[track_caller]
    fn assert_deltas(actual: &HeatCompare, expected: &[(u32, u32, f64)]) {
        let actual = deltas(actual);
        assert_eq!(actual.len(), expected.len(), "{actual:?}");
        for (a, e) in actual.iter().zip(expected) {
            assert_eq!((a.0, a.1), (e.0, e.1), "{actual:?}");
            assert!((a.2 - e.2).abs() < 1e-12, "{actual:?} vs {expected:?}");
        }
    }

    #[test]
    fn each_range_is_normalised_by_its_own_clicks() {
        // Now 4 clicks, half of them in (1, 0); before 10 clicks, half of
        // them there too: twice as many clicks, no change of share.
        let now = map(&[(1, 0, 2), (2, 3, 2)], &[]);
        let before = map(&[(1, 0, 5), (2, 3, 5)], &[]);
        let c = compare(&now, &before, RANGE);
        assert_deltas(&c, &[(1, 0, 0.0), (2, 3, 0.0)]);
        assert_eq!(c.total_clicks, 10);
        assert_eq!(c.range, RANGE);
        assert_eq!(c.max_abs_delta(), 0.0);
    }

    #[test]
    fn cells_of_either_range_are_listed_by_row_then_column() {
        // (3, 0) only now, (0, 2) only before, (1, 1) in both.
        let now = map(&[(3, 0, 1), (1, 1, 3)], &[]);
        let before = map(&[(1, 1, 1), (0, 2, 1)], &[]);
        let c = compare(&now, &before, RANGE);
        assert_deltas(&c, &[(3, 0, 0.25), (1, 1, 0.25), (0, 2, -0.5)]);
        assert_eq!(c.max_abs_delta(), 0.5);
    }

    #[test]
    fn a_range_without_clicks_has_share_zero_everywhere() {
        let now = map(&[(0, 0, 1), (1, 0, 3)], &[("#a", Some("A"), 3)]);
        let before = Scale::new(4, 400, 400).empty_heatmap();
        let c = compare(&now, &before, RANGE);
        assert_deltas(&c, &[(0, 0, 0.25), (1, 0, 0.75)]);
        assert_eq!(c.total_clicks, 0);
        assert_eq!(
            c.top_elements,
            vec![ElementChange {
                selector: "#a".into(),
                label: Some("A".into()),
                share: 0.75,
                share_before: 0.0,
            }]
        );
        // The other way round: everything lost.
        let c = compare(&before, &now, RANGE);
        assert_deltas(&c, &[(0, 0, -0.25), (1, 0, -0.75)]);
        assert_eq!(c.top_elements[0].change(), -0.75);
    }

    #[test]
    fn elements_are_ranked_by_absolute_change_then_selector() {
        // Now 8 clicks, before 4.
        let now = map(
            &[(0, 0, 8)],
            &[
                ("#steady", Some("Steady"), 4), // 1/2 → 1/2
                ("#up", None, 2),               // 1/4 ← 0
                ("#b", Some("B new"), 2),       // 1/4 ← 1/2
            ],
        );
        let before = map(
            &[(0, 0, 4)],
            &[
                ("#steady", Some("Steady"), 2),
                ("#b", Some("B old"), 2),
                ("#gone", Some("Gone"), 1), // 0 ← 1/4
            ],
        );
        let c = compare(&now, &before, RANGE);
        let ranked: Vec<(&str, Option<&str>, f64, f64)> = c
            .top_elements
            .iter()
            .map(|e| {
                (
                    e.selector.as_str(),
                    e.label.as_deref(),
                    e.share,
                    e.share_before,
                )
            })
            .collect();
        assert_eq!(
            ranked,
            vec![
                // Three moved by a quarter: by selector.
                ("#b", Some("B new"), 0.25, 0.5),
                ("#gone", Some("Gone"), 0.0, 0.25),
                ("#up", None, 0.25, 0.0),
                ("#steady", Some("Steady"), 0.5, 0.5),
            ]
        );
    }

    #[test]
    fn at_most_a_heatmaps_rows_of_elements() {
        let names: Vec<String> = (0..TOP_ELEMENT_ROWS + 5)
            .map(|i| format!("#e{i:02}"))
            .collect();
        let elements: Vec<(&str, Option<&str>, u64)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), None, i as u64 + 1))
            .collect();
        let now = map(&[(0, 0, 200)], &elements);
        let before = map(&[(0, 0, 1)], &[]);
        let c = compare(&now, &before, RANGE);
        assert_eq!(c.top_elements.len(), TOP_ELEMENT_ROWS);
        // The most clicked now gained the most share.
        assert_eq!(
            c.top_elements[0].selector,
            format!("#e{:02}", TOP_ELEMENT_ROWS + 4)
        );
    }

    #[test]
    fn the_json_has_the_documented_fields() {
        let now = map(&[(1, 2, 1)], &[("#a", Some("A"), 1)]);
        let before = map(&[], &[]);
        let reach = ScrollReach {
            views: 2,
            points: vec![
                ReachPoint { y: 0, share: 1.0 },
                ReachPoint { y: 640, share: 0.0 },
            ],
            fold: None,
        };
        let c = compare(&now, &before, RANGE).with_reach(reach.clone());
        assert_eq!(c.reach(), reach);
        let json = serde_json::to_value(&c).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({
                "range": {"from": 0, "to": 100},
                "total_clicks": 0,
                "bins": [{"column": 1, "row": 2, "share_delta": 1.0}],
                "top_elements": [
                    {"selector": "#a", "label": "A", "share": 1.0, "share_before": 0.0}
                ],
                "scroll_views": 2,
                "scroll_reach": [{"y": 0, "share": 1.0}, {"y": 640, "share": 0.0}],
            })
        );
    }
}
