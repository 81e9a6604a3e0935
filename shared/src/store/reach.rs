//! Scroll reach geometry shared by every engine: which bands of a page a
//! scroll event newly reached, and how the bands' counts become a
//! [`ScrollReach`].
//!
//! A page is cut into bands of [`REACH_ROW_PX`] page pixels; a page view
//! reached band `k` when the bottom of its viewport passed the band's top
//! (`depth × page height > k × REACH_ROW_PX`). The tracker reports a page
//! view's deepest scroll fraction when the view ends or its tab is hidden,
//! again only when it went deeper, and each report names the depth already
//! reported (`depth_from`, 0 on the first). So a report *adds* the bands
//! from the earlier depth to its own ([`ReachSpan`]), and every page view
//! counts once in every band it reached, however many reports it sent.
//! Reports of older trackers, which do not name the earlier depth, count
//! from the top: each is a view.
//!
//! Engines keep spans as differences: +1 at the first band a span adds and
//! −1 just past its last, per page × width segment × day, so that sums over
//! any pages and days add up and a running total gives the views per band
//! ([`reach_of`]). The number of views is the total of the top band.
//!
//! Beside them, per band, the views whose first screen ended in it: a
//! view's first report (the one that reaches from the top) counts its
//! viewport height, in bands, so that any pages and days give the median
//! viewport height of their views: the fold a heatmap draws
//! ([`ScrollReach::fold`]).

use super::heat::{day_of, segment_of};
use super::query::{ReachPoint, ScrollReach, WidthSegment};
use crate::event::Size;
use crate::limits::{MAX_PAGE_DIMENSION, REACH_ROW_PX};
use std::collections::BTreeMap;
use std::ops::AddAssign;

/// The bands `start <= band < end` a scroll report newly reached, with its
/// width segment and day, and on a view's first report the band its first
/// screen ended in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReachSpan {
    pub segment: WidthSegment,
    pub day: i64,
    pub start: i64,
    pub end: i64,
    /// On a report that reaches from the top (a view's first), the
    /// viewport's height in bands, when known.
    pub fold: Option<i64>,
}

/// What one band holds in the reach rollups: the change in page views
/// reached from the band on, and the views whose first screen ended in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BandCounts {
    pub views: i64,
    pub folds: i64,
}

impl BandCounts {
    /// Changes nothing: a band where one report ends and another begins.
    pub fn is_zero(self) -> bool {
        self.views == 0 && self.folds == 0
    }
}

impl AddAssign for BandCounts {
    fn add_assign(&mut self, other: Self) {
        self.views += other.views;
        self.folds += other.folds;
    }
}

/// How many bands `px` page pixels from the top reach into (from 0 to the
/// deepest page's last band).
fn bands_to(px: f64) -> i64 {
    let most = (MAX_PAGE_DIMENSION as i64 + REACH_ROW_PX - 1) / REACH_ROW_PX;
    // NaN (never stored) casts to 0: nothing reached.
    ((px / REACH_ROW_PX as f64).ceil() as i64).clamp(0, most)
}

/// How many bands of a page `page_height` tall a viewport whose bottom is
/// at `fraction` of the page reached.
pub fn bands_reached(fraction: f64, page_height: u32) -> i64 {
    bands_to(fraction.clamp(0.0, 1.0) * f64::from(page_height))
}

/// A report's viewport from its stored width and height: the width alone
/// still decides the segment (a height of 0 is unknown: no fold).
pub fn viewport_of(width: Option<u32>, height: Option<u32>) -> Option<Size> {
    width.map(|width| Size {
        width,
        height: height.unwrap_or(0),
    })
}

impl ReachSpan {
    /// The bands a scroll report at `ts` newly reached: from `depth_from`
    /// (0 when absent) to `depth`, on its page of size `page` seen in a
    /// `viewport` (its width decides the segment, the page width when
    /// unknown). `None` without a depth or a page height, or when it
    /// reached nothing new.
    pub fn of(
        ts: i64,
        depth: Option<f64>,
        depth_from: Option<f64>,
        page: Option<Size>,
        viewport: Option<Size>,
    ) -> Option<Self> {
        let (depth, page) = (depth?, page?);
        if page.height == 0 {
            return None;
        }
        let end = bands_reached(depth, page.height);
        let start = bands_reached(depth_from.unwrap_or(0.0).min(depth), page.height);
        (start < end).then(|| Self {
            segment: segment_of(i64::from(viewport.map_or(page.width, |v| v.width))),
            day: day_of(ts),
            start,
            end,
            fold: viewport
                .filter(|v| start == 0 && v.height > 0)
                .map(|v| bands_to(f64::from(v.height))),
        })
    }

    /// The span as band counts: `sign` views from `start` to `end`, and its
    /// fold's view.
    pub fn counts(self, sign: i64) -> impl Iterator<Item = (i64, BandCounts)> {
        let views = |views| BandCounts { views, folds: 0 };
        let fold = self.fold.map(|band| {
            (
                band,
                BandCounts {
                    views: 0,
                    folds: sign,
                },
            )
        });
        [(self.start, views(sign)), (self.end, views(-sign))]
            .into_iter()
            .chain(fold)
    }
}

/// The scroll reach of the band counts `deltas` (in any order, repeated
/// bands summed).
pub fn reach_of(deltas: impl IntoIterator<Item = (i64, BandCounts)>) -> ScrollReach {
    let mut by_band: BTreeMap<i64, BandCounts> = BTreeMap::new();
    for (band, counts) in deltas {
        *by_band.entry(band.max(0)).or_default() += counts;
    }
    let views = by_band.get(&0).map_or(0, |c| c.views);
    if views <= 0 {
        return ScrollReach::default();
    }
    let mut points = Vec::new();
    let mut running = 0_i64;
    for (&band, counts) in &by_band {
        if counts.views == 0 {
            continue;
        }
        running += counts.views;
        let share = (running.clamp(0, views) as f64) / views as f64;
        points.push(ReachPoint {
            y: y_of(band),
            share,
        });
    }
    ScrollReach {
        views: views as u64,
        points,
        fold: median_fold(&by_band),
    }
}

/// The median of the views' viewport heights (the lower one of an even
/// count), in page pixels: where the band holding it ends.
fn median_fold(by_band: &BTreeMap<i64, BandCounts>) -> Option<u32> {
    let total: i64 = by_band.values().map(|c| c.folds.max(0)).sum();
    let mut seen = 0;
    by_band.iter().find_map(|(&band, c)| {
        seen += c.folds.max(0);
        (total > 0 && 2 * seen >= total).then(|| y_of(band))
    })
}

/// The page y of the top of `band`.
fn y_of(band: i64) -> u32 {
    u32::try_from(band * REACH_ROW_PX).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: Option<Size> = Some(Size {
        width: 1280,
        height: 800,
    });

    /// A viewport `width` wide and 700 px tall.
    fn viewport(width: u32) -> Option<Size> {
        Some(Size { width, height: 700 })
    }

    /// Band counts of views alone.
    fn views(deltas: &[(i64, i64)]) -> Vec<(i64, BandCounts)> {
        deltas
            .iter()
            .map(|&(band, views)| (band, BandCounts { views, folds: 0 }))
            .collect()
    }

    #[test]
    fn a_band_is_reached_when_the_viewport_bottom_passes_its_top() {
        // 800 px page: depth 0.5 puts the bottom at 400 px, band 50's top.
        assert_eq!(bands_reached(0.5, 800), 50);
        assert_eq!(bands_reached(0.501, 800), 51);
        assert_eq!(bands_reached(0.0, 800), 0);
        assert_eq!(bands_reached(1.0, 800), 100);
        assert_eq!(bands_reached(f64::NAN, 800), 0);
        assert_eq!(bands_reached(2.0, 800), 100);
    }

    #[test]
    fn a_later_report_of_one_view_adds_only_what_it_reached_beyond_the_earlier() {
        let first = ReachSpan::of(5, Some(0.5), None, PAGE, viewport(1280));
        let second = ReachSpan::of(6, Some(0.75), Some(0.5), PAGE, viewport(1280));
        assert_eq!(first.map(|s| (s.start, s.end)), Some((0, 50)));
        assert_eq!(second.map(|s| (s.start, s.end)), Some((50, 75)));
        assert_eq!(
            second.map(|s| (s.segment, s.day)),
            Some((WidthSegment::Desktop, 0))
        );
        // Nothing new, no page height, no depth: no span.
        assert_eq!(ReachSpan::of(6, Some(0.5), Some(0.5), PAGE, None), None);
        assert_eq!(ReachSpan::of(6, Some(0.4), Some(0.5), PAGE, None), None);
        let flat = Some(Size {
            width: 390,
            height: 0,
        });
        assert_eq!(ReachSpan::of(6, Some(0.5), None, flat, None), None);
        assert_eq!(ReachSpan::of(6, None, None, PAGE, None), None);
        // The viewport decides the segment; without one, the page width.
        let narrow = ReachSpan::of(6, Some(0.5), None, PAGE, viewport(390));
        assert_eq!(narrow.map(|s| s.segment), Some(WidthSegment::Mobile));
    }

    #[test]
    fn a_views_first_report_counts_its_viewport_height_as_its_fold() {
        // 700 px: the first screen ends in band 88 (its top at 704 px).
        let first = ReachSpan::of(5, Some(0.5), None, PAGE, viewport(1280));
        assert_eq!(first.and_then(|s| s.fold), Some(88));
        let sent_zero = ReachSpan::of(5, Some(0.5), Some(0.0), PAGE, viewport(1280));
        assert_eq!(sent_zero.and_then(|s| s.fold), Some(88));
        // A later report of the view, or no viewport: no fold.
        let second = ReachSpan::of(6, Some(0.75), Some(0.5), PAGE, viewport(1280));
        assert_eq!(second.map(|s| s.fold), Some(None));
        let unknown = ReachSpan::of(6, Some(0.5), None, PAGE, None);
        assert_eq!(unknown.map(|s| s.fold), Some(None));
        // The counts: the view from its start to its end, its fold apart.
        let counts: Vec<(i64, BandCounts)> = first.into_iter().flat_map(|s| s.counts(-1)).collect();
        assert_eq!(
            counts,
            [
                (
                    0,
                    BandCounts {
                        views: -1,
                        folds: 0
                    }
                ),
                (50, BandCounts { views: 1, folds: 0 }),
                (
                    88,
                    BandCounts {
                        views: 0,
                        folds: -1
                    }
                ),
            ]
        );
    }

    #[test]
    fn the_fold_is_the_median_viewport_height_of_the_views() {
        let span = |height| {
            let viewport = Some(Size {
                width: 1280,
                height,
            });
            ReachSpan::of(0, Some(1.0), None, PAGE, viewport)
        };
        // Heights 640, 700, 700 and 900 px (and a report without a
        // viewport): the lower median, 700 px, ends band 88.
        let spans = [span(640), span(900), span(700), span(700), span(0)];
        let reach = reach_of(spans.into_iter().flatten().flat_map(|s| s.counts(1)));
        assert_eq!(reach.views, 5);
        assert_eq!(reach.fold, Some(704));
        // Removing two views moves it: 640 and 900 left.
        let removed = [span(700), span(700)];
        let both = spans.into_iter().flatten().flat_map(|s| s.counts(1));
        let reach = reach_of(both.chain(removed.into_iter().flatten().flat_map(|s| s.counts(-1))));
        assert_eq!(reach.fold, Some(640));
        // Views without a known viewport have no fold.
        assert_eq!(
            reach_of(span(0).into_iter().flat_map(|s| s.counts(1))).fold,
            None
        );
    }

    #[test]
    fn running_totals_of_the_differences_are_the_views_per_band() {
        // Three views: to band 50 in two reports, to 100, and to 25.
        let spans = [(0, 50), (50, 75), (0, 100), (0, 25)];
        let deltas = spans.iter().flat_map(|&(s, e)| views(&[(s, 1), (e, -1)]));
        let reach = reach_of(deltas);
        assert_eq!(reach.views, 3);
        let points: Vec<(u32, f64)> = reach.points.iter().map(|p| (p.y, p.share)).collect();
        assert_eq!(
            points,
            vec![(0, 1.0), (200, 2.0 / 3.0), (600, 1.0 / 3.0), (800, 0.0)]
        );
        assert_eq!(reach.share_at(199.0), 1.0);
        assert_eq!(reach.share_at(200.0), 2.0 / 3.0);
        assert_eq!(reach.share_at(5000.0), 0.0);
        assert_eq!(reach.depth_of(0.75), Some(200));
        assert_eq!(reach.depth_of(0.5), Some(600));
        assert_eq!(reach.depth_of(0.25), Some(800));
    }

    #[test]
    fn no_views_no_reach() {
        assert_eq!(reach_of([]), ScrollReach::default());
        assert_eq!(reach_of(views(&[(4, 1), (8, -1)])), ScrollReach::default());
        assert_eq!(ScrollReach::default().depth_of(0.5), None);
        assert_eq!(ScrollReach::default().share_at(0.0), 0.0);
    }
}
