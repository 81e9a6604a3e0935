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

use super::heat::{day_of, segment_of};
use super::query::{ReachPoint, ScrollReach, WidthSegment};
use crate::event::Size;
use crate::limits::{MAX_PAGE_DIMENSION, REACH_ROW_PX};
use std::collections::BTreeMap;

/// The bands `start <= band < end` a scroll report newly reached, with its
/// width segment and day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReachSpan {
    pub segment: WidthSegment,
    pub day: i64,
    pub start: i64,
    pub end: i64,
}

/// How many bands of a page `page_height` tall a viewport whose bottom is
/// at `fraction` of the page reached.
pub fn bands_reached(fraction: f64, page_height: u32) -> i64 {
    let most = (MAX_PAGE_DIMENSION as i64 + REACH_ROW_PX - 1) / REACH_ROW_PX;
    let px = fraction.clamp(0.0, 1.0) * f64::from(page_height);
    // NaN (never stored) casts to 0: nothing reached.
    ((px / REACH_ROW_PX as f64).ceil() as i64).clamp(0, most)
}

impl ReachSpan {
    /// The bands a scroll report at `ts` newly reached: from `depth_from`
    /// (0 when absent) to `depth`, on its page of size `page` seen in a
    /// viewport `viewport_width` wide (the page width when unknown). `None`
    /// without a depth or a page height, or when it reached nothing new.
    pub fn of(
        ts: i64,
        depth: Option<f64>,
        depth_from: Option<f64>,
        page: Option<Size>,
        viewport_width: Option<u32>,
    ) -> Option<Self> {
        let (depth, page) = (depth?, page?);
        if page.height == 0 {
            return None;
        }
        let end = bands_reached(depth, page.height);
        let start = bands_reached(depth_from.unwrap_or(0.0).min(depth), page.height);
        (start < end).then(|| Self {
            segment: segment_of(i64::from(viewport_width.unwrap_or(page.width))),
            day: day_of(ts),
            start,
            end,
        })
    }
}

/// The scroll reach of the band differences `deltas` (`(band, change)`,
/// in any order, repeated bands summed).
pub fn reach_of(deltas: impl IntoIterator<Item = (i64, i64)>) -> ScrollReach {
    let mut by_band: BTreeMap<i64, i64> = BTreeMap::new();
    for (band, change) in deltas {
        *by_band.entry(band.max(0)).or_default() += change;
    }
    let views = by_band.get(&0).copied().unwrap_or(0);
    if views <= 0 {
        return ScrollReach::default();
    }
    let mut points = Vec::new();
    let mut running = 0_i64;
    for (band, change) in by_band {
        if change == 0 {
            continue;
        }
        running += change;
        let share = (running.clamp(0, views) as f64) / views as f64;
        let y = u32::try_from(band * REACH_ROW_PX).unwrap_or(u32::MAX);
        points.push(ReachPoint { y, share });
    }
    ScrollReach {
        views: views as u64,
        points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: Option<Size> = Some(Size {
        width: 1280,
        height: 800,
    });

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
        let first = ReachSpan::of(5, Some(0.5), None, PAGE, Some(1280));
        let second = ReachSpan::of(6, Some(0.75), Some(0.5), PAGE, Some(1280));
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
        let narrow = ReachSpan::of(6, Some(0.5), None, PAGE, Some(390));
        assert_eq!(narrow.map(|s| s.segment), Some(WidthSegment::Mobile));
    }

    #[test]
    fn running_totals_of_the_differences_are_the_views_per_band() {
        // Three views: to band 50 in two reports, to 100, and to 25.
        let spans = [(0, 50), (50, 75), (0, 100), (0, 25)];
        let deltas = spans.iter().flat_map(|&(s, e)| [(s, 1), (e, -1)]);
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
        assert_eq!(reach_of([(4, 1), (8, -1)]), ScrollReach::default());
        assert_eq!(ScrollReach::default().depth_of(0.5), None);
        assert_eq!(ScrollReach::default().share_at(0.0), 0.0);
    }
}
