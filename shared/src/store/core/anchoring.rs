//! Element-anchored placement: a heatmap drawn over a layout puts each
//! anchored click on its element's box in that layout.
//!
//! A click is anchored when it names an element with a box
//! ([`crate::store::heat::Anchor`]). When the drawn layout has a box with the
//! click's selector (the first, when several share it), the click is taken
//! out of the cell its own page width put it in ([`Heatmap::anchorable`])
//! and placed at the centre of its anchor's cell inside that box, then
//! binned as a point of the layout's page (x as a fraction of the layout's
//! width, y in page pixels: the rule the wireframe's outlines are drawn
//! by). The same button clicked at 1280 and at 1920 px wide lands on the
//! button. Every other click keeps its place; totals do not change.

use crate::event::Rect;
use crate::layout::Layout;
use crate::store::heat::{bin_list, click_anchor, Bins, FineCell, Scale};
use crate::store::query::{ElementAnchors, Heatmap};
use std::collections::HashMap;

/// A heatmap placed over a layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub map: Heatmap,
    /// How many clicks were placed on their element's box.
    pub anchored_clicks: u64,
}

/// The selectors of `map`'s anchored clicks that `layout` has a box for:
/// the elements whose anchors a placement over `layout` needs.
pub fn selectors_to_place(map: &Heatmap, layout: &Layout) -> Vec<String> {
    let boxes = boxes_by_selector(layout);
    map.anchorable
        .iter()
        .filter(|e| boxes.contains_key(e.selector.as_str()))
        .map(|e| e.selector.clone())
        .collect()
}

/// `map` with the anchored clicks on elements `layout` has moved onto their
/// boxes, from where inside the elements they fell (`anchors`).
pub fn place(map: &Heatmap, anchors: &ElementAnchors, layout: &Layout) -> Placed {
    let unchanged = || Placed {
        map: map.clone(),
        anchored_clicks: 0,
    };
    if map.columns == 0 || map.rows == 0 || map.page_width == 0 || layout.page.width == 0 {
        return unchanged();
    }
    let boxes = boxes_by_selector(layout);
    let scale = Scale::new(
        map.columns,
        i64::from(map.page_width),
        i64::from(map.page_height),
    );
    let mut bins: Bins = map
        .bins
        .iter()
        .map(|b| ((b.row, b.column), (b.clicks, b.rage_clicks)))
        .collect();
    let mut anchored_clicks = 0;
    for element in &map.anchorable {
        let (Some(rect), Some(counts)) = (
            boxes.get(element.selector.as_str()),
            anchors.get(&element.selector),
        ) else {
            continue;
        };
        for b in &element.bins {
            let bin = bins.entry((b.row, b.column)).or_default();
            bin.0 = bin.0.saturating_sub(b.clicks);
            bin.1 = bin.1.saturating_sub(b.rage_clicks);
        }
        for count in counts {
            let (x, y) = count.anchor.point_in(*rect);
            let Some(fine) = FineCell::of(0, Some(x), Some(y), Some(layout.page.width), None)
            else {
                continue;
            };
            let (column, row) = scale.cell(fine.gx, fine.gy);
            let bin = bins.entry((row, column)).or_default();
            bin.0 += count.clicks;
            bin.1 += count.rage_clicks;
            anchored_clicks += count.clicks;
        }
    }
    let bins = bin_list(bins);
    Placed {
        map: Heatmap {
            max_cell_clicks: bins.iter().map(|b| b.clicks).max().unwrap_or(0),
            bins,
            ..map.clone()
        },
        anchored_clicks,
    }
}

/// Where [`place`] puts one click at `(x, y)` on the element `selector`
/// with box `element`: its point on `layout`'s page and that page's width,
/// when the click is anchored and `layout` has its element.
pub fn anchored_point(
    x: i32,
    y: i32,
    selector: Option<&str>,
    element: Option<Rect>,
    layout: &Layout,
) -> Option<(i32, i32, u32)> {
    let (selector, anchor) = click_anchor(selector, Some(x), Some(y), element)?;
    // One box: looked up directly (this runs on every frame of the journey).
    let rect = placeable_boxes(layout).find(|(s, _)| *s == selector)?.1;
    let (x, y) = anchor.point_in(rect);
    (layout.page.width > 0).then_some((x, y, layout.page.width))
}

/// The boxes of `layout` clicks can be placed in (those with an area), in
/// order: a selector's box is the first of them that names it.
fn placeable_boxes(layout: &Layout) -> impl Iterator<Item = (&str, Rect)> {
    layout
        .boxes
        .iter()
        .filter(|b| b.rect.width > 0 && b.rect.height > 0)
        .map(|b| (b.selector.as_str(), b.rect))
}

/// The box of each selector in `layout` ([`placeable_boxes`]).
fn boxes_by_selector(layout: &Layout) -> HashMap<&str, Rect> {
    let mut boxes = HashMap::new();
    for (selector, rect) in placeable_boxes(layout) {
        boxes.entry(selector).or_insert(rect);
    }
    boxes
}

#[cfg(test)]
mod tests;
