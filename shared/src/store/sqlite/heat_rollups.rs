//! The heatmap rollups of one commit: clicks per fine cell, page widths and
//! heights, and clicked elements, per page, width segment and day (see
//! [`crate::store::heat`]). Gathered over a commit's batches and written once.

use crate::limits::HEAT_BUCKET_MS;
use crate::store::heat::{segment_code, segment_from_code, FineCell};
use rusqlite::{params, Transaction};
use std::collections::HashMap;

/// `(page, segment code, day)`.
type Bucket = (i64, i64, i64);

#[derive(Default)]
struct ExtentDelta {
    clicks: i64,
    max_ph: Option<i64>,
    max_y: i64,
}

#[derive(Default)]
struct ElementDelta {
    clicks: i64,
    rage_clicks: i64,
    label: Option<String>,
}

/// Every heatmap rollup change of one commit.
#[derive(Default)]
pub(super) struct HeatDeltas {
    /// Bucket and fine cell → (clicks, rage clicks).
    cells: HashMap<(Bucket, i64, i64), (i64, i64)>,
    /// Bucket and page width → extent.
    extents: HashMap<(Bucket, i64), ExtentDelta>,
    /// Bucket and selector → element.
    elements: HashMap<(Bucket, i64), ElementDelta>,
}

/// The width segment code's viewport widths `[min, max)`.
fn segment_bounds(code: i64) -> (i64, i64) {
    let (min, max) = segment_from_code(code).width_bounds();
    (i64::from(min), i64::from(max))
}

fn bucket(page_id: i64, cell: &FineCell) -> Bucket {
    (page_id, segment_code(cell.segment), cell.day)
}

/// The larger of two optional values, `None` only when both are.
fn max_some<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

impl HeatDeltas {
    /// A newly stored click.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn add_click(
        &mut self,
        page_id: i64,
        cell: FineCell,
        selector_id: Option<i64>,
        label: Option<&str>,
        page_width: i64,
        page_height: Option<i64>,
        y: i64,
    ) {
        let b = bucket(page_id, &cell);
        self.cells.entry((b, cell.gx, cell.gy)).or_default().0 += 1;
        let extent = self
            .extents
            .entry((b, page_width))
            .or_insert_with(|| ExtentDelta {
                max_y: y,
                ..ExtentDelta::default()
            });
        extent.clicks += 1;
        extent.max_ph = max_some(extent.max_ph, page_height);
        extent.max_y = extent.max_y.max(y);
        if let Some(selector_id) = selector_id {
            let element = self.elements.entry((b, selector_id)).or_default();
            element.clicks += 1;
            element.label = max_some(element.label.take(), label.map(str::to_owned));
        }
    }

    /// A stored click newly flagged as a rage click.
    pub(super) fn add_rage(&mut self, page_id: i64, cell: FineCell, selector_id: Option<i64>) {
        let b = bucket(page_id, &cell);
        self.cells.entry((b, cell.gx, cell.gy)).or_default().1 += 1;
        if let Some(selector_id) = selector_id {
            self.elements
                .entry((b, selector_id))
                .or_default()
                .rage_clicks += 1;
        }
    }

    /// A stored click about to be removed. Its maxima and labels cannot be
    /// subtracted: [`Self::refresh_removed`] recomputes them afterwards.
    pub(super) fn remove_click(
        &mut self,
        page_id: i64,
        cell: FineCell,
        selector_id: Option<i64>,
        page_width: i64,
        rage: bool,
    ) {
        let b = bucket(page_id, &cell);
        let rage = i64::from(rage);
        let c = self.cells.entry((b, cell.gx, cell.gy)).or_default();
        c.0 -= 1;
        c.1 -= rage;
        self.extents
            .entry((b, page_width))
            .or_insert_with(|| ExtentDelta {
                max_y: i64::MIN,
                ..ExtentDelta::default()
            })
            .clicks -= 1;
        if let Some(selector_id) = selector_id {
            let element = self.elements.entry((b, selector_id)).or_default();
            element.clicks -= 1;
            element.rage_clicks -= rage;
        }
    }

    /// After removed clicks were applied and their events deleted: drops the
    /// rows left without clicks and recomputes the maxima and labels of the
    /// others from the clicks still stored.
    pub(super) fn refresh_removed(&self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let mut drop_cell = tx.prepare_cached(
            "DELETE FROM heat_cells WHERE page_id = ?1 AND segment = ?2 AND day = ?3
             AND gx = ?4 AND gy = ?5 AND clicks <= 0",
        )?;
        for ((page, segment, day), gx, gy) in self.cells.keys() {
            drop_cell.execute(params![page, segment, day, gx, gy])?;
        }
        // The stored clicks of one bucket, as the rollups placed them.
        const BUCKET_CLICKS: &str = "FROM events WHERE page_id = ?1 AND kind = 1
             AND ts >= ?3 AND ts < ?3 + ?4 AND pw > 0 AND x IS NOT NULL AND y IS NOT NULL
             AND COALESCE(vw, pw) >= ?5 AND COALESCE(vw, pw) < ?6";
        let mut extent = tx.prepare_cached(&format!(
            "UPDATE heat_extents SET
                 max_ph = (SELECT MAX(ph) {BUCKET_CLICKS} AND pw = ?7),
                 max_y = COALESCE((SELECT MAX(y) {BUCKET_CLICKS} AND pw = ?7), max_y)
             WHERE page_id = ?1 AND segment = ?2 AND day = ?3 AND pw = ?7"
        ))?;
        let mut drop_extent = tx.prepare_cached(
            "DELETE FROM heat_extents WHERE page_id = ?1 AND segment = ?2 AND day = ?3
             AND pw = ?4 AND clicks <= 0",
        )?;
        for ((page, segment, day), pw) in self.extents.keys() {
            if drop_extent.execute(params![page, segment, day, pw])? == 0 {
                let (lo, hi) = segment_bounds(*segment);
                extent.execute(params![page, segment, day, HEAT_BUCKET_MS, lo, hi, pw])?;
            }
        }
        let mut element = tx.prepare_cached(&format!(
            "UPDATE heat_elements SET label = (SELECT MAX(label) {BUCKET_CLICKS}
                                               AND selector_id = ?7)
             WHERE page_id = ?1 AND segment = ?2 AND day = ?3 AND selector_id = ?7"
        ))?;
        let mut drop_element = tx.prepare_cached(
            "DELETE FROM heat_elements WHERE page_id = ?1 AND segment = ?2 AND day = ?3
             AND selector_id = ?4 AND clicks <= 0",
        )?;
        for ((page, segment, day), selector) in self.elements.keys() {
            if drop_element.execute(params![page, segment, day, selector])? == 0 {
                let (lo, hi) = segment_bounds(*segment);
                element.execute(params![
                    page,
                    segment,
                    day,
                    HEAT_BUCKET_MS,
                    lo,
                    hi,
                    selector
                ])?;
            }
        }
        Ok(())
    }

    pub(super) fn apply(&self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        if !self.cells.is_empty() {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO heat_cells (page_id, segment, day, gx, gy, clicks, rage_clicks)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (page_id, segment, day, gx, gy) DO UPDATE SET
                     clicks = clicks + excluded.clicks,
                     rage_clicks = rage_clicks + excluded.rage_clicks",
            )?;
            for (((page, segment, day), gx, gy), (clicks, rage)) in &self.cells {
                upsert.execute(params![page, segment, day, gx, gy, clicks, rage])?;
            }
        }
        if !self.extents.is_empty() {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO heat_extents (page_id, segment, day, pw, clicks, max_ph, max_y)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (page_id, segment, day, pw) DO UPDATE SET
                     clicks = clicks + excluded.clicks,
                     max_ph = CASE WHEN max_ph IS NULL THEN excluded.max_ph
                                   WHEN excluded.max_ph IS NULL THEN max_ph
                                   ELSE max(max_ph, excluded.max_ph) END,
                     max_y = max(max_y, excluded.max_y)",
            )?;
            for (((page, segment, day), pw), e) in &self.extents {
                upsert.execute(params![page, segment, day, pw, e.clicks, e.max_ph, e.max_y])?;
            }
        }
        if !self.elements.is_empty() {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO heat_elements (page_id, segment, day, selector_id, clicks,
                     rage_clicks, label)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (page_id, segment, day, selector_id) DO UPDATE SET
                     clicks = clicks + excluded.clicks,
                     rage_clicks = rage_clicks + excluded.rage_clicks,
                     label = CASE WHEN label IS NULL THEN excluded.label
                                  WHEN excluded.label IS NULL THEN label
                                  ELSE max(label, excluded.label) END",
            )?;
            for (((page, segment, day), selector), e) in &self.elements {
                upsert.execute(params![
                    page,
                    segment,
                    day,
                    selector,
                    e.clicks,
                    e.rage_clicks,
                    e.label
                ])?;
            }
        }
        Ok(())
    }
}
