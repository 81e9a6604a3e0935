//! Writing heatmap deltas ([`crate::store::core::heat_deltas`]) to the
//! SQLite heatmap rollups, and recomputing after a removal what a sum cannot
//! undo.

use super::heat_seal;
use crate::event::{EventKind, Size};
use crate::limits::HEAT_BUCKET_MS;
use crate::store::core::heat_deltas::HeatDeltas;
use crate::store::heat::segment_from_code;
use crate::store::reach::{viewport_of, ReachSpan};
use rusqlite::{params, Row, Transaction};
use std::collections::BTreeMap;

/// The heatmap deltas of SQLite: pages and selectors are rows.
pub(super) type SqliteHeat = HeatDeltas<i64, i64>;

/// The `selector_id` of heat cells whose clicks are not anchored.
pub(super) const NOT_ANCHORED: i64 = 0;

/// The width segment code's viewport widths `[min, max)`.
fn segment_bounds(code: i64) -> (i64, i64) {
    let (min, max) = segment_from_code(code).width_bounds();
    (i64::from(min), i64::from(max))
}

/// After removed clicks were applied and their events deleted: drops the
/// rows left without clicks and recomputes the maxima and labels of the
/// others from the clicks still stored.
pub(super) fn refresh_removed(heat: &SqliteHeat, tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut drop_cell = tx.prepare_cached(
        "DELETE FROM heat_cells WHERE page_id = ?1 AND segment = ?2 AND day = ?3
             AND selector_id = ?4 AND gx = ?5 AND gy = ?6 AND clicks <= 0",
    )?;
    for ((page, segment, day), selector, gx, gy) in heat.cells.keys() {
        let selector = selector.unwrap_or(NOT_ANCHORED);
        drop_cell.execute(params![page, segment, day, selector, gx, gy])?;
    }
    let mut drop_band = tx.prepare_cached(
        "DELETE FROM heat_reach WHERE page_id = ?1 AND segment = ?2 AND day = ?3
             AND band = ?4 AND views = 0 AND folds = 0",
    )?;
    for ((page, segment, day), band) in heat.reach.keys() {
        drop_band.execute(params![page, segment, day, band])?;
    }
    let mut drop_anchor = tx.prepare_cached(
        "DELETE FROM heat_anchors WHERE page_id = ?1 AND segment = ?2 AND day = ?3
             AND selector_id = ?4 AND anchor = ?5 AND clicks <= 0",
    )?;
    for ((page, segment, day), selector, anchor) in heat.anchors.keys() {
        drop_anchor.execute(params![page, segment, day, selector, anchor.code()])?;
    }
    // Extents and elements that keep clicks take their maxima and labels
    // again from the clicks still stored: each bucket's clicks read once
    // for all its keys (a bucket of a busy page holds thousands of clicks,
    // and a removal touches many widths and selectors of it).
    let mut drop_extent = tx.prepare_cached(
        "DELETE FROM heat_extents WHERE page_id = ?1 AND segment = ?2 AND day = ?3
             AND pw = ?4 AND clicks <= 0",
    )?;
    let mut buckets: BTreeMap<(i64, i64, i64), BucketMaxima> = BTreeMap::new();
    for &((page, segment, day), pw) in heat.extents.keys() {
        if drop_extent.execute(params![page, segment, day, pw])? == 0 {
            let bucket = buckets.entry((page, segment, day)).or_default();
            bucket.extents.insert(pw, (None, None));
        }
    }
    let mut drop_element = tx.prepare_cached(
        "DELETE FROM heat_elements WHERE page_id = ?1 AND segment = ?2 AND day = ?3
             AND selector_id = ?4 AND clicks <= 0",
    )?;
    for &((page, segment, day), selector) in heat.elements.keys() {
        if drop_element.execute(params![page, segment, day, selector])? == 0 {
            let bucket = buckets.entry((page, segment, day)).or_default();
            bucket.labels.insert(selector, None);
        }
    }
    // The stored clicks of one bucket, as the rollups placed them. (The
    // kind is written in, not bound: `clicks_by_page` is partial on it.)
    let mut clicks = tx.prepare_cached(&format!(
        "SELECT pw, ph, y, selector_id, label FROM events
         WHERE page_id = ?1 AND kind = {} AND ts >= ?2 AND ts < ?3 AND pw > 0
             AND x IS NOT NULL AND y IS NOT NULL
             AND COALESCE(vw, pw) >= ?4 AND COALESCE(vw, pw) < ?5",
        EventKind::Click.code()
    ))?;
    let mut extent = tx.prepare_cached(
        "UPDATE heat_extents SET max_ph = ?5, max_y = COALESCE(?6, max_y)
             WHERE page_id = ?1 AND segment = ?2 AND day = ?3 AND pw = ?4",
    )?;
    let mut element = tx.prepare_cached(
        "UPDATE heat_elements SET label = ?5
             WHERE page_id = ?1 AND segment = ?2 AND day = ?3 AND selector_id = ?4",
    )?;
    for ((page, segment, day), mut bucket) in buckets {
        let (lo, hi) = segment_bounds(segment);
        let end = day.saturating_add(HEAT_BUCKET_MS);
        let mut rows = clicks.query(params![page, day, end, lo, hi])?;
        while let Some(r) = rows.next()? {
            bucket.add(
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get_ref(4)?.as_str_or_null()?,
            );
        }
        for (pw, (max_ph, max_y)) in bucket.extents {
            extent.execute(params![page, segment, day, pw, max_ph, max_y])?;
        }
        for (selector, label) in bucket.labels {
            element.execute(params![page, segment, day, selector, label])?;
        }
    }
    Ok(())
}

/// The maxima of one bucket's stored clicks that a removal recomputes:
/// per page width, the greatest page height and click height; per
/// selector, the greatest label (SQL's `MAX`: byte order, `NULL`s skipped).
#[derive(Default)]
struct BucketMaxima {
    extents: BTreeMap<i64, (Option<i64>, Option<i64>)>,
    labels: BTreeMap<i64, Option<String>>,
}

impl BucketMaxima {
    fn add(
        &mut self,
        pw: i64,
        ph: Option<i64>,
        y: i64,
        selector: Option<i64>,
        label: Option<&str>,
    ) {
        if let Some((max_ph, max_y)) = self.extents.get_mut(&pw) {
            *max_ph = (*max_ph).max(ph);
            *max_y = (*max_y).max(Some(y));
        }
        if let Some(stored) = selector.and_then(|s| self.labels.get_mut(&s)) {
            if let Some(label) = label.filter(|l| stored.as_deref().is_none_or(|s| *l > s)) {
                *stored = Some(label.to_owned());
            }
        }
    }
}

/// The scroll reach of the scroll reports stored, for the schema that
/// gives it its folds (the reach is empty then): each report placed by the
/// fold's rule.
pub(super) fn backfill_reach(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut heat = SqliteHeat::default();
    let mut stmt = tx.prepare(&format!(
        "SELECT page_id, {} FROM events WHERE kind = {}",
        scroll_columns(""),
        EventKind::Scroll.code()
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        if let Some(span) = scroll_span(r, 1)? {
            heat.count_reach(&r.get(0)?, span, 1);
        }
    }
    apply_rows(tx, &heat)
}

/// The columns of a scroll report [`scroll_span`] reads, of the events
/// table named `alias` (with its dot; empty for none).
pub(super) fn scroll_columns(alias: &str) -> String {
    ["ts", "depth", "depth_from", "pw", "ph", "vw", "vh"]
        .map(|c| format!("{alias}{c}"))
        .join(", ")
}

/// The reach of a scroll report from its [`scroll_columns`] starting at
/// `first`.
pub(super) fn scroll_span(r: &Row<'_>, first: usize) -> rusqlite::Result<Option<ReachSpan>> {
    let page = match (
        r.get::<_, Option<u32>>(first + 3)?,
        r.get::<_, Option<u32>>(first + 4)?,
    ) {
        (Some(width), Some(height)) => Some(Size { width, height }),
        _ => None,
    };
    Ok(ReachSpan::of(
        r.get(first)?,
        r.get(first + 1)?,
        r.get(first + 2)?,
        page,
        viewport_of(r.get(first + 5)?, r.get(first + 6)?),
    ))
}

/// Adds the deltas to the heatmap rollups; sealed days that change are
/// read from their rows until they are packed again.
pub(super) fn apply(tx: &Transaction<'_>, heat: &SqliteHeat) -> rusqlite::Result<()> {
    let days = (heat.cells.keys().map(|k| k.0))
        .chain(heat.anchors.keys().map(|k| k.0))
        .chain(heat.extents.keys().map(|k| k.0))
        .chain(heat.elements.keys().map(|k| k.0))
        .chain(heat.reach.keys().map(|k| k.0));
    heat_seal::unseal(tx, days)?;
    apply_rows(tx, heat)
}

/// Adds the deltas to the rollup rows alone: for the migration that
/// back-fills the reach, which runs before any day is sealed.
fn apply_rows(tx: &Transaction<'_>, heat: &SqliteHeat) -> rusqlite::Result<()> {
    if !heat.cells.is_empty() {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO heat_cells (page_id, segment, day, selector_id, gx, gy, clicks,
                     rage_clicks)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (page_id, segment, day, selector_id, gx, gy) DO UPDATE SET
                     clicks = clicks + excluded.clicks,
                     rage_clicks = rage_clicks + excluded.rage_clicks",
        )?;
        for (((page, segment, day), selector, gx, gy), c) in &heat.cells {
            let selector = selector.unwrap_or(NOT_ANCHORED);
            upsert.execute(params![
                page,
                segment,
                day,
                selector,
                gx,
                gy,
                c.clicks,
                c.rage_clicks
            ])?;
        }
    }
    if !heat.anchors.is_empty() {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO heat_anchors (page_id, segment, day, selector_id, anchor, clicks,
                     rage_clicks)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (page_id, segment, day, selector_id, anchor) DO UPDATE SET
                     clicks = clicks + excluded.clicks,
                     rage_clicks = rage_clicks + excluded.rage_clicks",
        )?;
        for (((page, segment, day), selector, anchor), c) in &heat.anchors {
            upsert.execute(params![
                page,
                segment,
                day,
                selector,
                anchor.code(),
                c.clicks,
                c.rage_clicks
            ])?;
        }
    }
    if !heat.reach.is_empty() {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO heat_reach (page_id, segment, day, band, views, folds)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (page_id, segment, day, band) DO UPDATE SET
                     views = views + excluded.views,
                     folds = folds + excluded.folds",
        )?;
        for (((page, segment, day), band), c) in heat.reach.iter().filter(|(_, c)| !c.is_zero()) {
            upsert.execute(params![page, segment, day, band, c.views, c.folds])?;
        }
    }
    if !heat.extents.is_empty() {
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
        for (((page, segment, day), pw), e) in &heat.extents {
            upsert.execute(params![page, segment, day, pw, e.clicks, e.max_ph, e.max_y])?;
        }
    }
    if !heat.elements.is_empty() {
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
        for (((page, segment, day), selector), e) in &heat.elements {
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
