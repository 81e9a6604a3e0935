//! The heatmap rollup deltas of a commit or a removal: clicks per fine cell,
//! page widths and heights, and clicked elements, per bucket (page, width
//! segment and day; see [`crate::store::heat`]).
//!
//! Counts add and subtract. Maxima (tallest page, deepest click) and labels
//! (the greatest) only grow: a removal cannot subtract them, so an engine
//! recomputes them for the buckets a removal touched.

use crate::store::heat::{segment_code, FineCell};
use std::collections::HashMap;
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
    /// Bucket and fine cell `(gx, gy)`.
    pub cells: HashMap<(Bucket<P>, i64, i64), CellDelta>,
    /// Bucket and page width.
    pub extents: HashMap<(Bucket<P>, i64), ExtentDelta>,
    /// Bucket and selector.
    pub elements: HashMap<(Bucket<P>, E), ElementDelta>,
}

impl<P, E> Default for HeatDeltas<P, E> {
    fn default() -> Self {
        Self {
            cells: HashMap::new(),
            extents: HashMap::new(),
            elements: HashMap::new(),
        }
    }
}

impl<P, E> HeatDeltas<P, E> {
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty() && self.extents.is_empty() && self.elements.is_empty()
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
        label: Option<&str>,
        page_width: i64,
        page_height: Option<i64>,
        y: i64,
        rage: bool,
    ) {
        let b = bucket(page, &cell);
        let rage = i64::from(rage);
        let c = self.cells.entry((b.clone(), cell.gx, cell.gy)).or_default();
        c.clicks += 1;
        c.rage_clicks += rage;
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
    pub fn add_rage(&mut self, page: &P, cell: FineCell, selector: Option<&E>) {
        let b = bucket(page, &cell);
        self.cells
            .entry((b.clone(), cell.gx, cell.gy))
            .or_default()
            .rage_clicks += 1;
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
        page_width: i64,
        rage: bool,
    ) {
        let b = bucket(page, &cell);
        let rage = i64::from(rage);
        let c = self.cells.entry((b.clone(), cell.gx, cell.gy)).or_default();
        c.clicks -= 1;
        c.rage_clicks -= rage;
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
}
