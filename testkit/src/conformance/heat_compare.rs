//! Heatmaps of two ranges on one grid, and their comparison: the compared
//! range is binned on the current range's grid even when its own clicks
//! would give another (a different median page width), so the cells line up.

use super::fixtures::*;
use super::heatmap::{assert_heatmap, bin, element, grid, heatmap_of};
use super::reading::{assert_close, load};
use super::StoreFactory;
use shared::event::EventBatch;
use shared::page_key::PagePattern;
use shared::store::core::heat_compare::{compare, ElementChange};
use shared::store::heat::Scale;
use shared::store::query::*;

/// 2025-11-25 00:00 UTC, the first midnight after [`T0`].
const MIDNIGHT: i64 = T0 + 8 * HOUR;
const DAY: i64 = 24 * HOUR;

/// The range compared with, `[MIDNIGHT + 1 h, MIDNIGHT + 2 d + 1 h)`: one
/// whole day (from the rollups) and partial days (from raw clicks).
const BEFORE: TimeRange = TimeRange {
    from: Some(MIDNIGHT + HOUR),
    to: Some(MIDNIGHT + 2 * DAY + HOUR),
};

/// The current range, the period of the same length after [`BEFORE`].
const NOW: TimeRange = TimeRange {
    from: Some(MIDNIGHT + 2 * DAY + HOUR),
    to: Some(MIDNIGHT + 4 * DAY + HOUR),
};

/// On `/product/1` of `shop`, 10 columns:
///
/// | click | time           | x, y      | page size   | element             |
/// |-------|----------------|-----------|-------------|---------------------|
/// | b1    | M + 1 d + 5 h  | 960, 0    | 1920 × 1920 | #buy "Buy now"      |
/// | b2    | M + 2 d + 30 m | 960, 384  | 1920 × 1920 | #old "Old link"     |
/// | n1    | M + 2 d + 2 h  | 64, 0     | 1280 × 2560 | #buy "Buy now"      |
/// | n2    | M + 2 d + 2 h  | 640, 0    | 1280 × 2560 | #buy "Buy now"      |
/// | n3    | M + 3 d + 1 h  | 640, 256  | 1280 × 2560 | nav>a "Home"        |
/// | n4    | M + 4 d + 30 m | 1216,1280 | 1280 × 2560 | none                |
/// | x     | M + 4 d + 2 h  | 0, 0      | 1280 × 2560 | none (in neither)   |
///
/// (M = midnight; b1 and b2 are [`BEFORE`]'s, n1–n4 [`NOW`]'s.)
fn batches() -> Vec<EventBatch> {
    let wide = |id, ts, at| click_sized(id, ts, P1, at, 1920, (1920, 1920));
    let narrow = |id, ts, at| click_sized(id, ts, P1, at, 1280, (1280, 2560));
    let session = |id: &str, events| batch("shop", id, "v1", &chrome(), events);
    vec![
        session(
            "c1",
            vec![on(
                wide("b1", MIDNIGHT + DAY + 5 * HOUR, (960, 0)),
                "#buy",
                "Buy now",
            )],
        ),
        session(
            "c2",
            vec![
                on(
                    wide("b2", MIDNIGHT + 2 * DAY + 30 * MIN, (960, 384)),
                    "#old",
                    "Old link",
                ),
                on(
                    narrow("n1", MIDNIGHT + 2 * DAY + 2 * HOUR, (64, 0)),
                    "#buy",
                    "Buy now",
                ),
                on(
                    narrow("n2", MIDNIGHT + 2 * DAY + 2 * HOUR + SEC, (640, 0)),
                    "#buy",
                    "Buy now",
                ),
            ],
        ),
        session(
            "c3",
            vec![on(
                narrow("n3", MIDNIGHT + 3 * DAY + HOUR, (640, 256)),
                "nav>a",
                "Home",
            )],
        ),
        session(
            "c4",
            vec![
                narrow("n4", MIDNIGHT + 4 * DAY + 30 * MIN, (1216, 1280)),
                narrow("x", MIDNIGHT + 4 * DAY + 2 * HOUR, (0, 0)),
            ],
        ),
    ]
}

fn filter(range: TimeRange) -> Filter {
    Filter {
        range,
        ..site("shop")
    }
}

/// The compared range binned on the current range's grid (page 1280 ×
/// 2560 px, cells of 128 px, 20 rows), not on the 1920 px grid its own
/// clicks give; the comparison's shares and ranking from the fixture.
pub fn case_heatmap_compare_on_one_grid(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    load(&mut *w, &batches());
    let all = WidthSegment::All;

    // n1 (x 64 of 1280: fine column 10 → column 0), n2 and n3 (the middle,
    // column 5; n3 at y 256 → row 2), n4 (fine column 190 → 9, y 1280 →
    // row 10).
    let now = heatmap_of(&*r, "/product/1", filter(NOW), all, 10);
    let expected_now = Heatmap {
        total_clicks: 4,
        max_cell_clicks: 1,
        bins: vec![bin(0, 0, 1), bin(5, 0, 1), bin(5, 2, 1), bin(9, 10, 1)],
        top_elements: vec![
            element("#buy", "Buy now", 2, 0.5),
            element("nav>a", "Home", 1, 0.25),
        ],
        ..grid(1280, 2560, 10, 20)
    };
    assert_heatmap(&now, &expected_now, "the current range");

    // On its own, the compared range is 1920 px wide: b2 (y 384) in row 2
    // of 10 rows of 192 px.
    let own = heatmap_of(&*r, "/product/1", filter(BEFORE), all, 10);
    let expected_own = Heatmap {
        total_clicks: 2,
        max_cell_clicks: 1,
        bins: vec![bin(5, 0, 1), bin(5, 2, 1)],
        top_elements: vec![
            element("#buy", "Buy now", 1, 0.5),
            element("#old", "Old link", 1, 0.5),
        ],
        ..grid(1920, 1920, 10, 10)
    };
    assert_heatmap(&own, &expected_own, "the compared range on its own grid");

    // On the current grid: b2 (y 384 of 128 px rows) in row 3.
    let Some(scale) = Scale::of(&now) else {
        panic!("the current map has a grid: {now:?}");
    };
    let query = HeatmapQuery {
        pages: PagePattern::new("/product/1"),
        filter: filter(BEFORE),
        segment: all,
        columns: 10,
    };
    let before = r
        .heatmap_on(&query, &scale)
        .unwrap_or_else(|e| panic!("heatmap_on: {e}"));
    let expected_before = Heatmap {
        bins: vec![bin(5, 0, 1), bin(5, 3, 1)],
        ..grid(1280, 2560, 10, 20)
    };
    let expected_before = Heatmap {
        total_clicks: 2,
        max_cell_clicks: 1,
        top_elements: expected_own.top_elements.clone(),
        ..expected_before
    };
    assert_heatmap(&before, &expected_before, "the compared range on one grid");

    // Now a quarter in each of its cells; before a half in (5, 0) and (5, 3).
    let c = compare(&now, &before, BEFORE);
    assert_eq!(c.range, BEFORE);
    assert_eq!(c.total_clicks, 2);
    let deltas: Vec<(u32, u32, f64)> = c
        .bins
        .iter()
        .map(|b| (b.column, b.row, b.share_delta))
        .collect();
    let expected = [
        (0, 0, 0.25),
        (5, 0, -0.25),
        (5, 2, 0.25),
        (5, 3, -0.5),
        (9, 10, 0.25),
    ];
    assert_eq!(deltas.len(), expected.len(), "{deltas:?}");
    for (a, e) in deltas.iter().zip(&expected) {
        assert_eq!((a.0, a.1), (e.0, e.1), "{deltas:?}");
        assert_close(a.2, e.2, "share delta");
    }
    // #old lost its half, nav>a gained a quarter, #buy kept its half.
    let change = |selector: &str, label: &str, share, share_before| ElementChange {
        selector: selector.to_owned(),
        label: some(label),
        share,
        share_before,
    };
    assert_eq!(
        c.top_elements,
        vec![
            change("#old", "Old link", 0.0, 0.5),
            change("nav>a", "Home", 0.25, 0.0),
            change("#buy", "Buy now", 0.5, 0.5),
        ]
    );

    // A range without clicks on the grid: the grid, no cells.
    let empty = r
        .heatmap_on(
            &HeatmapQuery {
                filter: filter(TimeRange {
                    from: Some(MIDNIGHT + 5 * DAY),
                    to: None,
                }),
                ..query
            },
            &scale,
        )
        .unwrap_or_else(|e| panic!("heatmap_on: {e}"));
    assert_heatmap(&empty, &grid(1280, 2560, 10, 20), "no clicks on the grid");
}
