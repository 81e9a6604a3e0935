use super::*;
use crate::event::Size;
use crate::layout::{BoxKind, LayoutBox};
use crate::store::heat::{Anchor, Extents};
use crate::store::query::{AnchorCount, ElementBins, HeatBin};
use std::collections::BTreeMap;

fn rect(x: i32, y: i32, width: u32, height: u32) -> Rect {
    Rect {
        x,
        y,
        width,
        height,
    }
}

fn layout(width: u32, boxes: &[(&str, Rect)]) -> Layout {
    Layout::new(
        Size { width, height: 800 },
        Size {
            width,
            height: 2000,
        },
        boxes
            .iter()
            .map(|&(selector, rect)| LayoutBox {
                selector: selector.into(),
                kind: BoxKind::Button,
                label: None,
                rect,
            })
            .collect(),
    )
}

/// A map of 100 columns over pages 1280 wide of the clicks `(x, y, page
/// width, selector, box)`, with their anchors.
fn map_of(clicks: &[(i32, i32, u32, Option<&str>, Rect)]) -> (Heatmap, ElementAnchors) {
    let mut extents = Extents::default();
    extents.add(1280, 1, Some(2000), Some(0));
    let (_, scale) = extents.scale(100).unwrap();
    let mut bins = Bins::new();
    let mut anchorable: BTreeMap<String, Bins> = BTreeMap::new();
    let mut anchors: BTreeMap<(String, Anchor), u64> = BTreeMap::new();
    for &(x, y, pw, selector, element) in clicks {
        let fine = FineCell::of(0, Some(x), Some(y), Some(pw), None).unwrap();
        let (column, row) = scale.cell(fine.gx, fine.gy);
        bins.entry((row, column)).or_default().0 += 1;
        if let Some(selector) = selector {
            let anchor = Anchor::of(Some(x), Some(y), Some(element)).unwrap();
            anchorable
                .entry(selector.to_owned())
                .or_default()
                .entry((row, column))
                .or_default()
                .0 += 1;
            *anchors.entry((selector.to_owned(), anchor)).or_default() += 1;
        }
    }
    let total = clicks.len() as u64;
    let map = scale.heatmap(total, bins, HashMap::new(), anchorable);
    let mut by_element = ElementAnchors::new();
    for ((selector, anchor), clicks) in anchors {
        by_element.entry(selector).or_default().push(AnchorCount {
            anchor,
            clicks,
            rage_clicks: 0,
        });
    }
    (map, by_element)
}

fn clicks_in(map: &Heatmap) -> u64 {
    map.bins.iter().map(|b| b.clicks).sum()
}

#[test]
fn a_button_clicked_at_two_widths_lands_on_the_button_of_the_layout() {
    // A button near the left of a 1280 px page, and near the right of a
    // 1920 px one: by their own widths the clicks on its middle are far
    // apart.
    let left = rect(100, 300, 200, 40);
    let right = rect(1500, 300, 200, 40);
    let (map, anchors) = map_of(&[
        (200, 320, 1280, Some("#buy"), left),
        (1600, 320, 1920, Some("#buy"), right),
    ]);
    assert_eq!(map.bins.len(), 2);
    let drawn = layout(1280, &[("#buy", rect(540, 300, 200, 40))]);
    assert_eq!(selectors_to_place(&map, &drawn), vec!["#buy".to_owned()]);
    let placed = place(&map, &anchors, &drawn);
    assert_eq!(placed.anchored_clicks, 2);
    assert_eq!(clicks_in(&placed.map), 2);
    assert_eq!(placed.map.total_clicks, 2);
    // Both on one cell, inside the button's columns (540/12.8 .. 740/12.8).
    assert_eq!(
        placed.map.bins,
        vec![HeatBin {
            column: 50,
            row: 25,
            clicks: 2,
            rage_clicks: 0
        }]
    );
    assert_eq!(placed.map.max_cell_clicks, 2);
}

#[test]
fn clicks_on_elements_the_layout_lacks_keep_their_place() {
    let button = rect(100, 100, 50, 20);
    let (map, anchors) = map_of(&[
        (110, 110, 1280, Some("#gone"), button),
        (640, 1000, 1280, None, button),
    ]);
    let drawn = layout(1280, &[("#buy", rect(600, 600, 100, 40))]);
    assert!(selectors_to_place(&map, &drawn).is_empty());
    let placed = place(&map, &anchors, &drawn);
    assert_eq!(placed.anchored_clicks, 0);
    assert_eq!(placed.map, map);
}

#[test]
fn without_anchors_or_a_sized_layout_nothing_moves() {
    let button = rect(100, 100, 50, 20);
    let (map, _) = map_of(&[(110, 110, 1280, Some("#buy"), button)]);
    let drawn = layout(1280, &[("#buy", rect(600, 600, 100, 40))]);
    let placed = place(&map, &ElementAnchors::new(), &drawn);
    assert_eq!(placed.map, map);
    let zero = layout(0, &[("#buy", rect(600, 600, 100, 40))]);
    let (map, anchors) = map_of(&[(110, 110, 1280, Some("#buy"), button)]);
    assert_eq!(place(&map, &anchors, &zero).map, map);
    assert_eq!(
        map.anchorable,
        vec![ElementBins {
            selector: "#buy".into(),
            bins: map.bins.clone(),
        }]
    );
}
