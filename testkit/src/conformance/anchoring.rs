//! Anchored clicks: a click naming its element's box counts where inside the
//! box it fell, a heatmap keeps each anchored element's clicks apart, and a
//! map placed over a layout puts them on the element's box there — the same
//! from rollups, raw clicks and joined raw clicks, and after a removal.

use super::fixtures::*;
use super::reading::load;
use super::StoreFactory;
use shared::event::{DeviceClass, Event, EventBatch, Rect, Target};
use shared::layout::{BoxKind, Layout, LayoutBox};
use shared::page_key::PagePattern;
use shared::store::core::anchoring::{place, selectors_to_place};
use shared::store::heat::Anchor;
use shared::store::query::*;
use shared::store::EventReader;

const DAY: i64 = 86_400_000;

fn rect([x, y, width, height]: [i32; 4]) -> Rect {
    Rect {
        x,
        y,
        width: width as u32,
        height: height as u32,
    }
}

/// A click on `selector`, whose box is `element` when known, on a page
/// `width` × 2000 seen through a window as wide.
fn click_on(
    id: &str,
    ts: i64,
    (x, y): (i32, i32),
    width: u32,
    selector: Option<&str>,
    element: Option<[i32; 4]>,
) -> Event {
    let mut click = click_sized(id, ts, P1, (x, y), width, (width, 2000));
    click.target = selector.map(|s| Target {
        selector: Some(s.to_owned()),
        label: Some("Buy".to_owned()),
        rect: element.map(rect),
    });
    click
}

/// | session | width | clicks                                                      |
/// |---------|-------|-------------------------------------------------------------|
/// | a1 (va) | 1280  | #buy (640, 320) in box 540,300 200×40; a rage burst of three at (600, 310) |
/// | a2 (vb) | 1920  | #buy (1000, 330) in box 860,300 200×40; next day (900, 305) |
/// | a3 (vc) | 1280  | #buy (100, 100) without a box; nav>a (50, 20) in box 20,10 100×30; (700, 1500) on nothing |
fn anchored_batches() -> Vec<EventBatch> {
    let buy = Some("#buy");
    let small = Some([540, 300, 200, 40]);
    let wide = Some([860, 300, 200, 40]);
    vec![
        batch(
            "shop",
            "a1",
            "va",
            &chrome(),
            vec![
                page_view("a1-0", T0, P1, None),
                click_on("a1-1", T0 + SEC, (640, 320), 1280, buy, small),
                click_on("a1-2", T0 + 5 * SEC, (600, 310), 1280, buy, small),
                click_on("a1-3", T0 + 5 * SEC + 300, (600, 310), 1280, buy, small),
                click_on("a1-4", T0 + 5 * SEC + 600, (600, 310), 1280, buy, small),
            ],
        ),
        batch(
            "shop",
            "a2",
            "vb",
            &chrome(),
            vec![
                page_view("a2-0", T0 + MIN, P1, None),
                click_on("a2-1", T0 + MIN + SEC, (1000, 330), 1920, buy, wide),
                click_on("a2-2", T0 + DAY, (900, 305), 1920, buy, wide),
            ],
        ),
        batch(
            "shop",
            "a3",
            "vc",
            &client(DeviceClass::Desktop, "Firefox", "Linux"),
            vec![
                page_view("a3-0", T0 + 2 * MIN, P1, None),
                click_on("a3-1", T0 + 2 * MIN + SEC, (100, 100), 1280, buy, None),
                click_on(
                    "a3-2",
                    T0 + 2 * MIN + 2 * SEC,
                    (50, 20),
                    1280,
                    Some("nav>a"),
                    Some([20, 10, 100, 30]),
                ),
                click_on(
                    "a3-3",
                    T0 + 2 * MIN + 3 * SEC,
                    (700, 1500),
                    1280,
                    None,
                    None,
                ),
            ],
        ),
    ]
}

/// The page at 1280 px: the button centred, the link at the top left.
fn layout_1280() -> Layout {
    let boxed = |selector: &str, kind, r| LayoutBox {
        selector: selector.into(),
        kind,
        label: None,
        rect: rect(r),
    };
    Layout::new(
        size(1280, 800),
        size(1280, 2000),
        vec![
            boxed("#buy", BoxKind::Button, [540, 300, 200, 40]),
            boxed("nav>a", BoxKind::Link, [20, 10, 100, 30]),
        ],
    )
}

fn query(filter: Filter) -> HeatmapQuery {
    HeatmapQuery {
        pages: PagePattern::new("/product/1"),
        filter,
        segment: WidthSegment::All,
        columns: 128,
    }
}

fn count(ax: i64, ay: i64, clicks: u64, rage_clicks: u64) -> AnchorCount {
    AnchorCount {
        anchor: Anchor { ax, ay },
        clicks,
        rage_clicks,
    }
}

fn bin(column: u32, row: u32, clicks: u64, rage_clicks: u64) -> HeatBin {
    HeatBin {
        column,
        row,
        clicks,
        rage_clicks,
    }
}

/// The map of `filter`, its anchors, and the map placed over the 1280 px
/// layout.
#[track_caller]
fn read(r: &dyn EventReader, filter: Filter) -> (Heatmap, ElementAnchors, Heatmap, u64) {
    let q = query(filter);
    let map = r.heatmap(&q).expect("heatmap");
    let layout = layout_1280();
    let selectors = selectors_to_place(&map, &layout);
    let anchors = r.heat_anchors(&q, &selectors).expect("heat anchors");
    let placed = place(&map, &anchors, &layout);
    (map, anchors, placed.map, placed.anchored_clicks)
}

fn clicks_of(bins: &[HeatBin]) -> u64 {
    bins.iter().map(|b| b.clicks).sum()
}

/// Anchors counted per element from the box each click named; each
/// anchored element's clicks kept apart in the map; placed on the layout's
/// boxes; the same from every source; a removal takes its anchors out.
pub fn case_heatmap_anchored_clicks(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    load(&mut *w, &anchored_batches());
    let shop = site("shop");
    let (map, anchors, placed, anchored) = read(&*r, shop.clone());

    // 9 clicks, median width 1280: 128 columns of 10 px, 200 rows.
    assert_eq!((map.total_clicks, map.page_width, map.rows), (9, 1280, 200));
    assert_eq!(map.rage_clicks, 3);
    let anchorable: Vec<(&str, u64)> = map
        .anchorable
        .iter()
        .map(|e| (e.selector.as_str(), clicks_of(&e.bins)))
        .collect();
    // #buy without a box is not anchored; the click on nothing neither.
    assert_eq!(anchorable, vec![("#buy", 6), ("nav>a", 1)]);

    // Offsets on the 32 × 32 grid over each box: (640 − 540) × 32 / 200 = 16,
    // (320 − 300) × 32 / 40 = 16; and so on.
    let mut expected = ElementAnchors::new();
    expected.insert(
        "#buy".into(),
        vec![
            count(6, 4, 1, 0),
            count(9, 8, 3, 3),
            count(16, 16, 1, 0),
            count(22, 24, 1, 0),
        ],
    );
    expected.insert("nav>a".into(), vec![count(9, 10, 1, 0)]);
    assert_eq!(anchors, expected);

    // Placed at each anchor's centre in the layout's boxes: (16, 16) →
    // x 540 + 33 × 200 / 64 = 643, y 300 + 33 × 40 / 64 = 320 → column 64,
    // row 32. Every #buy click lands inside the button (columns 54–73, rows
    // 30–33); the clicks without an anchor keep their cells.
    assert_eq!(anchored, 7);
    assert_eq!(
        placed.bins,
        vec![
            bin(4, 1, 1, 0),
            bin(9, 10, 1, 0),
            bin(57, 30, 1, 0),
            bin(59, 30, 3, 3),
            bin(64, 32, 1, 0),
            bin(67, 32, 1, 0),
            bin(69, 150, 1, 0),
        ]
    );
    assert_eq!(
        (
            placed.total_clicks,
            placed.rage_clicks,
            placed.max_cell_clicks
        ),
        (9, 3, 3)
    );

    // Partial days from raw clicks, whole days from rollups, or every click
    // joined to its session: the same answer.
    let edges = Filter {
        range: TimeRange {
            from: Some(T0 - HOUR),
            to: Some(T0 + 2 * DAY),
        },
        ..shop.clone()
    };
    let joined = Filter {
        device: Some(DeviceClass::Desktop),
        ..shop.clone()
    };
    for (what, filter) in [("edges", edges), ("joined", joined)] {
        let (m, a, p, n) = read(&*r, filter);
        assert_eq!(m.anchorable, map.anchorable, "{what}");
        assert_eq!(a, anchors, "{what}");
        assert_eq!((p.bins, n), (placed.bins.clone(), anchored), "{what}");
    }

    // Removing visitor vb takes its two clicks' anchors and cells out.
    w.delete_visitor("shop", "vb").expect("delete visitor");
    let (map, anchors, placed, anchored) = read(&*r, shop);
    assert_eq!(map.total_clicks, 7);
    assert_eq!(
        anchors.get("#buy"),
        Some(&vec![count(9, 8, 3, 3), count(16, 16, 1, 0)])
    );
    assert_eq!(anchored, 5);
    assert_eq!(clicks_of(&placed.bins), 7);
}
