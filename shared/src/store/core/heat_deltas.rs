//! The heatmap rollup deltas of a commit or a removal: clicks per fine cell,
//! page widths and heights, clicked elements, and where inside their
//! elements clicks fell, per bucket (page, width segment and day; see
//! [`crate::store::heat`]).
//!
//! A fine cell's clicks are kept apart by their *anchor selector*: the
//! selector of an anchored click ([`Anchor`]), none for the others. A
//! heatmap drawn over a layout takes an anchored element's clicks out of
//! their cells and places them on the element's box instead
//! ([`crate::store::core::anchoring`]), which needs to know which cells they
//! were in.
//!
//! Scroll reports add to the scroll reach: +1 at the first band a report
//! newly reached and −1 just past its last, and a view's first report +1
//! fold at its viewport's height ([`crate::store::reach`]).
//!
//! Counts add and subtract. Maxima (tallest page, deepest click) and labels
//! (the greatest) only grow: a removal cannot subtract them, so an engine
//! recomputes them for the buckets a removal touched.

use crate::store::fast_hash::FastMap;
use crate::store::heat::{segment_code, Anchor, FineCell};
use crate::store::reach::{BandCounts, ReachSpan};
use std::hash::Hash;

/// `(page, segment code, day)`.
pub type Bucket<P> = (P, i64, i64);

/// Clicks on one page width of a bucket.
#[derive(Debug, Clone, Default)]
pub struct ExtentDelta {
    pub clicks: i64,
    pub max_ph: Option<i64>,
    pub max_y: i64,
}

/// Clicks on one element of a bucket.
#[derive(Debug, Clone, Default)]
pub struct ElementDelta {
    pub clicks: i64,
    pub rage_clicks: i64,
    pub label: Option<String>,
}

/// Clicks and rage clicks in one fine cell of a bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CellDelta {
    pub clicks: i64,
    pub rage_clicks: i64,
}

/// Every heatmap rollup change of one commit or removal.
pub struct HeatDeltas<P, E> {
    /// Bucket, anchor selector (none for clicks not anchored) and fine
    /// cell `(gx, gy)`.
    pub cells: FastMap<(Bucket<P>, Option<E>, i64, i64), CellDelta>,
    /// Bucket and page width.
    pub extents: FastMap<(Bucket<P>, i64), ExtentDelta>,
    /// Bucket and selector.
    pub elements: FastMap<(Bucket<P>, E), ElementDelta>,
    /// Bucket, selector and anchor of anchored clicks.
    pub anchors: FastMap<(Bucket<P>, E, Anchor), CellDelta>,
    /// Bucket and band: the change in page views reached from that band
    /// on, and the views whose first screen ended in it.
    pub reach: FastMap<(Bucket<P>, i64), BandCounts>,
}

impl<P, E> Default for HeatDeltas<P, E> {
    fn default() -> Self {
        Self {
            cells: FastMap::default(),
            extents: FastMap::default(),
            elements: FastMap::default(),
            anchors: FastMap::default(),
            reach: FastMap::default(),
        }
    }
}

impl<P, E> HeatDeltas<P, E> {
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
            && self.extents.is_empty()
            && self.elements.is_empty()
            && self.anchors.is_empty()
            && self.reach.is_empty()
    }
}

/// The larger of two optional values, `None` only when both are.
pub fn max_some<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn bucket<P: Clone>(page: &P, cell: &FineCell) -> Bucket<P> {
    (page.clone(), segment_code(cell.segment), cell.day)
}

impl<P: Clone + Eq + Hash, E: Clone + Eq + Hash> HeatDeltas<P, E> {
    /// A newly stored click (already a rage click when `rage`).
    #[allow(clippy::too_many_arguments)]
    pub fn add_click(
        &mut self,
        page: &P,
        cell: FineCell,
        selector: Option<&E>,
        anchor: Option<Anchor>,
        label: Option<&str>,
        page_width: i64,
        page_height: Option<i64>,
        y: i64,
        rage: bool,
    ) {
        let b = bucket(page, &cell);
        let rage = i64::from(rage);
        self.count_placed(&b, cell, selector, anchor, 1, rage);
        let extent = self
            .extents
            .entry((b.clone(), page_width))
            .or_insert_with(|| ExtentDelta {
                max_y: y,
                ..ExtentDelta::default()
            });
        extent.clicks += 1;
        extent.max_ph = max_some(extent.max_ph, page_height);
        extent.max_y = extent.max_y.max(y);
        if let Some(selector) = selector {
            let element = self.elements.entry((b, selector.clone())).or_default();
            element.clicks += 1;
            element.rage_clicks += rage;
            element.label = max_some(element.label.take(), label.map(str::to_owned));
        }
    }

    /// A stored click newly flagged as a rage click.
    pub fn add_rage(
        &mut self,
        page: &P,
        cell: FineCell,
        selector: Option<&E>,
        anchor: Option<Anchor>,
    ) {
        let b = bucket(page, &cell);
        self.count_placed(&b, cell, selector, anchor, 0, 1);
        if let Some(selector) = selector {
            self.elements
                .entry((b, selector.clone()))
                .or_default()
                .rage_clicks += 1;
        }
    }

    /// A stored click about to be removed. Its maxima and labels cannot be
    /// subtracted: the engine recomputes them for the keys touched here.
    pub fn remove_click(
        &mut self,
        page: &P,
        cell: FineCell,
        selector: Option<&E>,
        anchor: Option<Anchor>,
        page_width: i64,
        rage: bool,
    ) {
        let b = bucket(page, &cell);
        let rage = i64::from(rage);
        self.count_placed(&b, cell, selector, anchor, -1, -rage);
        self.extents
            .entry((b.clone(), page_width))
            .or_insert_with(|| ExtentDelta {
                max_y: i64::MIN,
                ..ExtentDelta::default()
            })
            .clicks -= 1;
        if let Some(selector) = selector {
            let element = self.elements.entry((b, selector.clone())).or_default();
            element.clicks -= 1;
            element.rage_clicks -= rage;
        }
    }

    /// A scroll report's span: `1` when it is stored, `-1` when it is
    /// removed.
    pub fn count_reach(&mut self, page: &P, span: ReachSpan, sign: i64) {
        let b = (page.clone(), segment_code(span.segment), span.day);
        for (band, counts) in span.counts(sign) {
            *self.reach.entry((b.clone(), band)).or_default() += counts;
        }
    }

    /// Counts `clicks` and `rage` into the click's fine cell (under its
    /// anchor selector) and, when anchored, into its anchor.
    fn count_placed(
        &mut self,
        b: &Bucket<P>,
        cell: FineCell,
        selector: Option<&E>,
        anchor: Option<Anchor>,
        clicks: i64,
        rage: i64,
    ) {
        let anchored = selector.zip(anchor);
        let anchor_selector = anchored.map(|(s, _)| s.clone());
        let c = self
            .cells
            .entry((b.clone(), anchor_selector, cell.gx, cell.gy))
            .or_default();
        c.clicks += clicks;
        c.rage_clicks += rage;
        if let Some((selector, anchor)) = anchored {
            let a = self
                .anchors
                .entry((b.clone(), selector.clone(), anchor))
                .or_default();
            a.clicks += clicks;
            a.rage_clicks += rage;
        }
    }
}
