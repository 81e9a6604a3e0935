//! Layout versions: every rule about stored layout snapshots, above the
//! engines.
//!
//! - **Key**: a snapshot is stored under site × page key × width segment (of
//!   its viewport, [`segment_of`], the heatmap's segments) × fingerprint
//!   (the *version*, [`crate::layout::Fingerprint`]).
//! - **A repeat** of a stored version does not add a row: it widens the
//!   version's capture span (`first_captured_at` the earliest,
//!   `captured_at` the latest) and, when it is the latest capture (or ties
//!   it: the later stored wins), replaces the content (viewport, page size,
//!   boxes), so labels and the fold are those last seen. Repeats within one
//!   commit are merged here first ([`commit_writes`]), so an engine applies
//!   at most one write per key per commit.
//! - **Newest** is the greatest `captured_at`, then the smaller version
//!   ([`newest_first`]), a total order every engine sorts by.
//! - **Merging** for a page pattern: versions of several pages that share a
//!   fingerprint (pages of one template) are one version per segment, with
//!   the widest span and the latest capture's content ([`versions`]).
//! - **Boxes** are stored as compact JSON text, one array per box
//!   (`[selector, kind, label, x, y, width, height]`), the same in every
//!   engine ([`encode_boxes`]).
//!
//! An engine stores [`LayoutWrite`]s and hands back [`StoredLayout`] rows of
//! the pages a query matches; the rest happens here.

use crate::event::Size;
use crate::layout::{BoxKind, Fingerprint, Layout, LayoutBox};
use crate::store::heat::segment_of;
use crate::store::layout_query::{SiteLayout, StoredLayout};
use crate::store::query::{Heatmap, WidthSegment};
use crate::store::StoreError;
use std::cmp::Ordering;
use std::collections::HashMap;

/// The clicks of `map` on elements `layout` does not have (by selector, the
/// rule clicks and boxes share): what a heatmap drawn over an older or newer
/// layout cannot place on its element. Clicks without an element are not
/// counted.
pub fn clicks_off_layout(map: &Heatmap, layout: &Layout) -> u64 {
    let present: std::collections::HashSet<&str> =
        layout.boxes.iter().map(|b| b.selector.as_str()).collect();
    map.element_clicks
        .iter()
        .filter(|e| !present.contains(e.selector.as_str()))
        .map(|e| e.clicks)
        .sum()
}

/// One version's write of a commit: the repeats of the commit merged.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutWrite<'a> {
    pub site: &'a str,
    pub page_key: &'a str,
    pub segment: WidthSegment,
    pub version: Fingerprint,
    pub first_captured_at: i64,
    pub captured_at: i64,
    pub viewport: Size,
    pub page: Size,
    /// [`encode_boxes`] of the latest capture's boxes.
    pub boxes: String,
}

/// The width segment a snapshot is stored under.
pub fn layout_segment(viewport: Size) -> WidthSegment {
    segment_of(i64::from(viewport.width))
}

/// The writes of a commit's snapshots, one per key, in first-seen order.
pub fn commit_writes(layouts: &[SiteLayout]) -> Vec<LayoutWrite<'_>> {
    let mut writes: Vec<LayoutWrite<'_>> = Vec::new();
    let mut index: HashMap<(&str, &str, WidthSegment, Fingerprint), usize> = HashMap::new();
    for l in layouts {
        let event = &l.layout;
        let layout = &event.layout;
        let segment = layout_segment(layout.viewport);
        let key = (
            l.site.as_str(),
            event.page_key.as_str(),
            segment,
            layout.fingerprint,
        );
        let write = LayoutWrite {
            site: &l.site,
            page_key: &event.page_key,
            segment,
            version: layout.fingerprint,
            first_captured_at: event.ts,
            captured_at: event.ts,
            viewport: layout.viewport,
            page: layout.page,
            boxes: encode_boxes(&layout.boxes),
        };
        match index.get(&key) {
            Some(&i) => {
                let known = &mut writes[i];
                let first = known.first_captured_at.min(write.first_captured_at);
                if write.captured_at >= known.captured_at {
                    *known = write;
                }
                known.first_captured_at = first;
            }
            None => {
                index.insert(key, writes.len());
                writes.push(write);
            }
        }
    }
    writes
}

/// Newest first: the greatest `captured_at`, then the smaller version, then
/// the page key and site (so that the order is total).
pub fn newest_first(a: &StoredLayout, b: &StoredLayout) -> Ordering {
    b.captured_at
        .cmp(&a.captured_at)
        .then(a.layout.fingerprint.cmp(&b.layout.fingerprint))
        .then_with(|| a.page_key.cmp(&b.page_key))
        .then_with(|| a.site.cmp(&b.site))
}

/// The versions among `rows` (the stored rows of the pages a query
/// matched), one per segment × version, newest first.
pub fn versions(mut rows: Vec<StoredLayout>) -> Vec<StoredLayout> {
    rows.sort_by(newest_first);
    let mut merged: Vec<StoredLayout> = Vec::new();
    let mut index: HashMap<(WidthSegment, Fingerprint), usize> = HashMap::new();
    for row in rows {
        match index.get(&(row.segment, row.layout.fingerprint)) {
            // Rows come newest first: the one kept has the latest content.
            Some(&i) => {
                let kept = &mut merged[i];
                kept.first_captured_at = kept.first_captured_at.min(row.first_captured_at);
            }
            None => {
                index.insert((row.segment, row.layout.fingerprint), merged.len());
                merged.push(row);
            }
        }
    }
    merged
}

/// The newest version of each site × page × segment among `rows`, newest
/// first (what ingestd remembers at start).
pub fn newest_per_page(mut rows: Vec<StoredLayout>) -> Vec<StoredLayout> {
    rows.sort_by(newest_first);
    let mut seen = std::collections::HashSet::new();
    rows.retain(|r| seen.insert((r.site.clone(), r.page_key.clone(), r.segment)));
    rows
}

/// The segment whose layout a heatmap of `segment` draws: the segment
/// itself, or for every width the segment of the heatmap's representative
/// page width (a desktop wireframe under mostly desktop clicks); without
/// clicks (width 0), every segment (the newest layout of any).
pub fn heatmap_segment(segment: WidthSegment, page_width: u32) -> WidthSegment {
    match segment {
        WidthSegment::All if page_width > 0 => segment_of(i64::from(page_width)),
        one => one,
    }
}

/// Whether version `v` can be drawn under a heatmap of `segment` (every
/// version under a heatmap of every width).
pub fn drawn_in(v: &StoredLayout, segment: WidthSegment) -> bool {
    segment == WidthSegment::All || v.segment == segment
}

/// The version to draw from `versions` (newest first): `version` when given
/// (of any segment listed), else the newest of `segment`.
pub fn pick(
    versions: Vec<StoredLayout>,
    segment: WidthSegment,
    version: Option<Fingerprint>,
) -> Option<StoredLayout> {
    versions.into_iter().find(|v| match version {
        Some(wanted) => v.layout.fingerprint == wanted,
        None => drawn_in(v, segment),
    })
}

type BoxRow = (String, String, Option<String>, i32, i32, u32, u32);

/// The stored text of `boxes`.
pub fn encode_boxes(boxes: &[LayoutBox]) -> String {
    let rows: Vec<BoxRow> = boxes
        .iter()
        .map(|b| {
            let r = b.rect;
            let kind = b.kind.as_str().to_owned();
            (
                b.selector.clone(),
                kind,
                b.label.clone(),
                r.x,
                r.y,
                r.width,
                r.height,
            )
        })
        .collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".to_owned())
}

/// The boxes stored as `text`. A kind this version does not know (a newer
/// writer's) drops its box, as validation drops it.
pub fn decode_boxes(text: &str) -> Result<Vec<LayoutBox>, StoreError> {
    let rows: Vec<BoxRow> = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("stored layout boxes: {e}")))?;
    Ok(rows
        .into_iter()
        .filter_map(|(selector, kind, label, x, y, width, height)| {
            Some(LayoutBox {
                selector,
                kind: BoxKind::from_code(&kind)?,
                label,
                rect: crate::event::Rect {
                    x,
                    y,
                    width,
                    height,
                },
            })
        })
        .collect())
}

#[cfg(test)]
mod tests;
