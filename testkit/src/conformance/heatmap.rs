//! Heatmaps: the grid, width segments, ranges and filters, unknown pages, and
//! rollups against raw clicks over several days.

use super::fixtures::*;
use super::generated::Draws;
use super::reading::*;
use super::StoreFactory;
use fastrand::Rng;
use shared::event::{DeviceClass, EventBatch};
use shared::page_key::PagePattern;
use shared::store::query::*;
use shared::store::EventReader;

pub(super) fn bin(column: u32, row: u32, clicks: u64) -> HeatBin {
    HeatBin {
        column,
        row,
        clicks,
        rage_clicks: 0,
    }
}

pub(super) fn element(selector: &str, label: &str, clicks: u64, share: f64) -> ElementStat {
    ElementStat {
        selector: selector.to_owned(),
        label: some(label),
        clicks,
        share,
        rage_clicks: 0,
    }
}

/// A heatmap with everything but the cells and elements from its click widths.
pub(super) fn grid(page_width: u32, page_height: u32, columns: u32, rows: u32) -> Heatmap {
    Heatmap {
        page_width,
        page_height,
        columns,
        rows,
        cell_px: f64::from(page_width) / f64::from(columns),
        total_clicks: 0,
        rage_clicks: 0,
        max_cell_clicks: 0,
        bins: Vec::new(),
        top_elements: Vec::new(),
        element_clicks: Vec::new(),
        anchorable: Vec::new(),
    }
}

#[track_caller]
pub(super) fn heatmap_of(
    r: &dyn EventReader,
    pages: &str,
    filter: Filter,
    segment: WidthSegment,
    columns: u32,
) -> Heatmap {
    let query = HeatmapQuery {
        pages: PagePattern::new(pages),
        filter,
        segment,
        columns,
    };
    r.heatmap(&query)
        .unwrap_or_else(|e| panic!("heatmap({query:?}): {e}"))
}

/// Compares heatmaps exactly, except cell size and shares to 1e-9.
#[track_caller]
pub(super) fn assert_heatmap(actual: &Heatmap, expected: &Heatmap, what: &str) {
    assert_close(
        actual.cell_px,
        expected.cell_px,
        &format!("{what}: cell_px"),
    );
    assert_eq!(
        actual.top_elements.len(),
        expected.top_elements.len(),
        "{what}: {actual:?}"
    );
    for (a, e) in actual.top_elements.iter().zip(&expected.top_elements) {
        assert_close(
            a.share,
            e.share,
            &format!("{what}: share of {}", e.selector),
        );
    }
    let share_sum: f64 = actual.top_elements.iter().map(|e| e.share).sum();
    assert!(share_sum <= 1.0 + 1e-9, "{what}: shares sum to {share_sum}");
    // Every clicked element, the top rows first.
    assert!(
        actual.element_clicks.starts_with(&actual.top_elements),
        "{what}: element clicks {:?}",
        actual.element_clicks
    );
    let on_elements: u64 = actual.element_clicks.iter().map(|e| e.clicks).sum();
    assert!(on_elements <= actual.total_clicks, "{what}");
    let normal = |h: &Heatmap| Heatmap {
        cell_px: 0.0,
        element_clicks: Vec::new(),
        anchorable: Vec::new(),
        top_elements: h
            .top_elements
            .iter()
            .map(|e| ElementStat {
                share: 0.0,
                ..e.clone()
            })
            .collect(),
        ..h.clone()
    };
    assert_eq!(normal(actual), normal(expected), "{what}");
}

/// The heatmap fixture on `shop` (plus one click on `other`):
///
/// | click | page          | x, y        | viewport | page size   | element        |
/// |-------|---------------|-------------|----------|-------------|----------------|
/// | a     | /product/1    | 600, 0      | 1200     | 1200 × 3000 | #buy           |
/// | d     | /product/1/reviews | 600, 50 | 1200    | 1200 × 3000 | #buy           |
/// | b     | /product/2    | 1199, 2000  | 1200     | 1200 × 2400 | #buy           |
/// | c     | /product/1    | 400, 4010   | 767      | 800 × 5000  | #buy (mobile)  |
/// | e     | /product/2    | 0, 1000     | 1024     | 1200 × 2400 | nav>a          |
/// | f     | /product/1    | 1200, 100   | 1200     | 1200 × 3000 | none           |
/// | g     | /product/2    | 400, 850    | 768      | 800 × 1700  | #buy (tablet)  |
/// | o     | other.example/product/1 | 10, 10 | 1200 | 1200 × 3000 | #buy        |
///
/// at T0 + 1, 1.5, 2, 3, 4, 5, 6 and 1 s.
fn heatmap_batches() -> Vec<EventBatch> {
    let buy = |e| on(e, "#buy", "Buy now");
    vec![
        batch(
            "shop",
            "h1",
            "v1",
            &chrome(),
            vec![
                page_view("h1-0", T0, P1, None),
                buy(click_sized(
                    "a",
                    T0 + 1000,
                    P1,
                    (600, 0),
                    1200,
                    (1200, 3000),
                )),
                buy(click_sized(
                    "d",
                    T0 + 1500,
                    REVIEWS,
                    (600, 50),
                    1200,
                    (1200, 3000),
                )),
                buy(click_sized(
                    "b",
                    T0 + 2000,
                    P2,
                    (1199, 2000),
                    1200,
                    (1200, 2400),
                )),
                on(
                    click_sized("e", T0 + 4000, P2, (0, 1000), 1024, (1200, 2400)),
                    "nav>a",
                    "Home",
                ),
                click_sized("f", T0 + 5000, P1, (1200, 100), 1200, (1200, 3000)),
            ],
        ),
        batch(
            "shop",
            "h2",
            "v2",
            &client(DeviceClass::Mobile, "Safari", "iOS"),
            vec![buy(click_sized(
                "c",
                T0 + 3000,
                P1,
                (400, 4010),
                767,
                (800, 5000),
            ))],
        ),
        batch(
            "shop",
            "h3",
            "v3",
            &client(DeviceClass::Tablet, "Firefox", "Android"),
            vec![buy(click_sized(
                "g",
                T0 + 6000,
                P2,
                (400, 850),
                768,
                (800, 1700),
            ))],
        ),
        batch(
            "other",
            "o1",
            "v9",
            &chrome(),
            vec![buy(click_sized(
                "o",
                T0 + 1000,
                "https://other.example/product/1",
                (10, 10),
                1200,
                (1200, 3000),
            ))],
        ),
    ]
}

/// Columns relative to each click's page width, square cells from the median
/// width, rows covering the tallest page, pattern merging and site selection.
pub fn case_heatmap_grid(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    load(&mut *w, &heatmap_batches());
    let all = WidthSegment::All;

    // a, b, c, e, f, g: median width 1200, cell 1200/11 px, height 5000 (c),
    // rows ceil(5000 / 109.09) = 46. a (x 600 of 1200), c (400 of 800) and
    // g (400 of 800) land in the middle column, 5; f (x = width) in the last.
    let h = heatmap_of(&*r, "/product/*", site("shop"), all, 11);
    assert_eq!(
        f64::from(h.rows),
        (f64::from(h.page_height) / h.cell_px).ceil()
    );
    let expected = Heatmap {
        total_clicks: 6,
        max_cell_clicks: 1,
        bins: vec![
            bin(5, 0, 1),
            bin(10, 0, 1),
            bin(5, 7, 1),
            bin(0, 9, 1),
            bin(10, 18, 1),
            bin(5, 36, 1),
        ],
        top_elements: vec![
            element("#buy", "Buy now", 4, 4.0 / 6.0),
            element("nav>a", "Home", 1, 1.0 / 6.0),
        ],
        ..grid(1200, 5000, 11, 46)
    };
    assert_heatmap(&h, &expected, "shop /product/*");

    // Without a site, other.example/product/1 joins in cell (0, 0).
    let h = heatmap_of(&*r, "/product/*", Filter::default(), all, 11);
    let expected = Heatmap {
        total_clicks: 7,
        max_cell_clicks: 1,
        bins: vec![
            bin(0, 0, 1),
            bin(5, 0, 1),
            bin(10, 0, 1),
            bin(5, 7, 1),
            bin(0, 9, 1),
            bin(10, 18, 1),
            bin(5, 36, 1),
        ],
        top_elements: vec![
            element("#buy", "Buy now", 5, 5.0 / 7.0),
            element("nav>a", "Home", 1, 1.0 / 7.0),
        ],
        ..grid(1200, 5000, 11, 46)
    };
    assert_heatmap(&h, &expected, "all sites /product/*");

    // One page: a, c, f.
    let h = heatmap_of(&*r, "shop.example/product/1", Filter::default(), all, 11);
    let expected = Heatmap {
        total_clicks: 3,
        max_cell_clicks: 1,
        bins: vec![bin(5, 0, 1), bin(10, 0, 1), bin(5, 36, 1)],
        top_elements: vec![element("#buy", "Buy now", 2, 2.0 / 3.0)],
        ..grid(1200, 5000, 11, 46)
    };
    assert_heatmap(&h, &expected, "shop.example/product/1");

    // d alone: height 3000, rows ceil(27.5) = 28.
    let h = heatmap_of(&*r, "/product/1/reviews", Filter::default(), all, 11);
    let expected = Heatmap {
        total_clicks: 1,
        max_cell_clicks: 1,
        bins: vec![bin(5, 0, 1)],
        top_elements: vec![element("#buy", "Buy now", 1, 1.0)],
        ..grid(1200, 3000, 11, 28)
    };
    assert_heatmap(&h, &expected, "/product/1/reviews");

    // Two clicks in one cell; page_height from a click below the page.
    let (mut w2, r2) = factory.open();
    load(
        &mut *w2,
        &[batch(
            "shop",
            "k1",
            "v1",
            &chrome(),
            vec![
                click_sized("k-1", T0, P1, (500, 50), 1000, (1000, 800)),
                click_sized("k-2", T0 + 5000, P1, (599, 99), 1000, (1000, 800)),
                click_sized("k-3", T0 + 9000, P1, (999, 1250), 1000, (1000, 800)),
            ],
        )],
    );
    // cell 100 px; height max(800, 1250 + 1) = 1251; rows ceil(12.51) = 13.
    let h = heatmap_of(&*r2, "/product/1", Filter::default(), all, 10);
    let expected = Heatmap {
        total_clicks: 3,
        max_cell_clicks: 2,
        bins: vec![bin(5, 0, 2), bin(9, 12, 1)],
        ..grid(1000, 1251, 10, 13)
    };
    assert_heatmap(&h, &expected, "shared cell");
}

/// Width segments by viewport width, the time range on click time, and
/// session conditions.
pub fn case_heatmap_segments_range_and_filters(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    load(&mut *w, &heatmap_batches());
    let shop = site("shop");

    // a, b, e (viewport 1024), f: all 1200 wide; height 3000; rows 28.
    let h = heatmap_of(&*r, "/product/*", shop.clone(), WidthSegment::Desktop, 11);
    let desktop = Heatmap {
        total_clicks: 4,
        max_cell_clicks: 1,
        bins: vec![bin(5, 0, 1), bin(10, 0, 1), bin(0, 9, 1), bin(10, 18, 1)],
        top_elements: vec![
            element("#buy", "Buy now", 2, 0.5),
            element("nav>a", "Home", 1, 0.25),
        ],
        ..grid(1200, 3000, 11, 28)
    };
    assert_heatmap(&h, &desktop, "desktop");

    // g (viewport 768): cell 800/11, rows ceil(23.375) = 24, y 850 in row 11.
    let h = heatmap_of(&*r, "/product/*", shop.clone(), WidthSegment::Tablet, 11);
    let tablet = Heatmap {
        total_clicks: 1,
        max_cell_clicks: 1,
        bins: vec![bin(5, 11, 1)],
        top_elements: vec![element("#buy", "Buy now", 1, 1.0)],
        ..grid(800, 1700, 11, 24)
    };
    assert_heatmap(&h, &tablet, "tablet");

    // c (viewport 767, page 800 wide: mobile by its viewport): cell 800/11,
    // rows ceil(68.75) = 69, y 4010 in row 55.
    let h = heatmap_of(&*r, "/product/*", shop.clone(), WidthSegment::Mobile, 11);
    let mobile = Heatmap {
        total_clicks: 1,
        max_cell_clicks: 1,
        bins: vec![bin(5, 55, 1)],
        top_elements: vec![element("#buy", "Buy now", 1, 1.0)],
        ..grid(800, 5000, 11, 69)
    };
    assert_heatmap(&h, &mobile, "mobile");

    // Clicks in [T0 + 2 s, T0 + 5 s): b, c, e.
    let window = Filter {
        range: TimeRange {
            from: Some(T0 + 2000),
            to: Some(T0 + 5000),
        },
        ..shop.clone()
    };
    let h = heatmap_of(&*r, "/product/*", window, WidthSegment::All, 11);
    let expected = Heatmap {
        total_clicks: 3,
        max_cell_clicks: 1,
        bins: vec![bin(0, 9, 1), bin(10, 18, 1), bin(5, 36, 1)],
        top_elements: vec![
            element("#buy", "Buy now", 2, 2.0 / 3.0),
            element("nav>a", "Home", 1, 1.0 / 3.0),
        ],
        ..grid(1200, 5000, 11, 46)
    };
    assert_heatmap(&h, &expected, "time range");

    // The session started before the range; only the click's time counts.
    let just_a = Filter {
        range: TimeRange {
            from: Some(T0 + 1000),
            to: Some(T0 + 1001),
        },
        ..shop.clone()
    };
    let h = heatmap_of(&*r, "/product/*", just_a, WidthSegment::All, 11);
    let expected = Heatmap {
        total_clicks: 1,
        max_cell_clicks: 1,
        bins: vec![bin(5, 0, 1)],
        top_elements: vec![element("#buy", "Buy now", 1, 1.0)],
        ..grid(1200, 3000, 11, 28)
    };
    assert_heatmap(&h, &expected, "one click in range");

    // Session conditions: the mobile session's click is c.
    let mobile_sessions = Filter {
        device: Some(DeviceClass::Mobile),
        ..Filter::default()
    };
    let h = heatmap_of(&*r, "/product/*", mobile_sessions, WidthSegment::All, 11);
    assert_heatmap(&h, &mobile, "mobile sessions");
    let tablet_sessions = Filter {
        browser: some("firefox"),
        ..shop.clone()
    };
    let h = heatmap_of(&*r, "/product/*", tablet_sessions, WidthSegment::All, 11);
    assert_heatmap(&h, &tablet, "Firefox sessions");
    let nothing = Filter {
        device: Some(DeviceClass::Desktop),
        ..shop
    };
    let h = heatmap_of(&*r, "/product/*", nothing, WidthSegment::Mobile, 11);
    assert_eq!(
        (h.total_clicks, h.bins.len(), h.top_elements.len()),
        (0, 0, 0)
    );
}

/// Clicks over five days, on pages of several widths, with rage bursts
/// completed by a later commit, loaded in three commits.
pub(super) fn multi_day_clicks() -> Vec<Vec<EventBatch>> {
    const DAY: i64 = 24 * HOUR;
    let mut rng = Rng::with_seed(7);
    let clients = [
        chrome(),
        client(DeviceClass::Mobile, "Safari", "iOS"),
        client(DeviceClass::Tablet, "Firefox", "Android"),
    ];
    let widths = [
        (1280, 1280),
        (1440, 1440),
        (1024, 1100),
        (800, 820),
        (375, 390),
    ];
    let mut commits = vec![Vec::new(), Vec::new(), Vec::new()];
    for s in 0..15_i64 {
        let start = T0 - DAY + s * 8 * HOUR + (rng.below(3_600) as i64) * SEC;
        let (vw, pw) = *rng.pick(&widths);
        let url = if s % 3 == 0 { P2 } else { P1 };
        let mut events = Vec::new();
        let mut late = Vec::new();
        for k in 0..20_i64 {
            let ts = start + k * 97 * SEC;
            let id = format!("m{s}-{k}");
            let x = rng.below(pw as usize + 40) as i32 - 20;
            let y = rng.below(6_000) as i32;
            let label = *rng.pick(&["Buy", "Add", "Menu"]);
            let c = click_sized(&id, ts, url, (x, y), vw, (pw, 5_000 + 100 * s as u32));
            let selector = ["#buy", "#add", "nav>a"][rng.below(3)];
            events.push(on(c, selector, label));
        }
        // A burst of three: two now, the third in a later commit.
        let (bx, by) = (rng.below(pw as usize) as i32, rng.below(3_000) as i32);
        for j in 0..3_i64 {
            let id = format!("m{s}-r{j}");
            let c = click_sized(
                &id,
                start + 30 * SEC + 150 * j,
                url,
                (bx + j as i32, by),
                vw,
                (pw, 5_000),
            );
            let c = on(c, "#buy", "Buy");
            if j == 2 {
                late.push(c)
            } else {
                events.push(c)
            }
        }
        let b = batch(
            "shop",
            &format!("m{s}"),
            &format!("mv{}", s % 4),
            rng.pick(&clients),
            events,
        );
        let mut later = b.clone();
        later.events = late;
        commits[(s % 2) as usize].push(b);
        commits[2].push(later);
    }
    commits
}

/// Heatmaps read from the rollups (no session condition) equal heatmaps
/// built from raw clicks (a session condition every session meets), for
/// ranges cutting days anywhere, every segment and several grid widths; and
/// fine cells are scaled to the asked grid by the documented integer rule.
pub fn case_heatmap_rollups_match_raw_clicks(factory: &dyn StoreFactory) {
    const DAY: i64 = 24 * HOUR;
    let (mut w, r) = factory.open();
    for commit in multi_day_clicks() {
        load(&mut *w, &commit);
    }
    let ranges = [
        TimeRange::ALL,
        TimeRange {
            from: Some(T0 + DAY / 2 + 7 * SEC),
            to: Some(T0 + 2 * DAY + 3 * HOUR),
        },
        TimeRange {
            from: Some(T0 + HOUR),
            to: None,
        },
        TimeRange {
            from: None,
            to: Some(T0 + DAY + 5 * HOUR),
        },
        TimeRange {
            from: Some(T0 + 2 * HOUR),
            to: Some(T0 + 3 * HOUR),
        },
        TimeRange::last(2 * DAY, T0 + 3 * DAY),
    ];
    let mut compared = 0;
    for range in ranges {
        for segment in WidthSegment::ALL {
            for columns in [7, 80, 333] {
                for pages in ["/product/*", "shop.example/product/1"] {
                    let rolled = Filter {
                        range,
                        ..site("shop")
                    };
                    let raw = Filter {
                        min_events: Some(1),
                        ..rolled.clone()
                    };
                    let a = heatmap_of(&*r, pages, rolled, segment, columns);
                    let b = heatmap_of(&*r, pages, raw, segment, columns);
                    let what = format!("{pages} {range:?} {segment:?} {columns}");
                    assert_heatmap(&a, &b, &what);
                    compared += usize::from(a.total_clicks > 0);
                    assert!(a.rage_clicks <= a.total_clicks, "{what}");
                }
            }
        }
    }
    assert!(
        compared > 100,
        "too few non-empty heatmaps compared: {compared}"
    );
    let all = heatmap_of(&*r, "/product/*", site("shop"), WidthSegment::All, 80);
    assert_eq!((all.total_clicks, all.rage_clicks), (15 * 23, 15 * 3));

    // The fine grid: x 997 of 1000 is fine column 199, which is column
    // 199 × 333 / 200 = 331 of 333; y 7 is fine row 1, row 1 × 4 × 333 / 1000 = 1.
    let (mut w, r) = factory.open();
    load(
        &mut *w,
        &[batch(
            "shop",
            "fine",
            "v",
            &chrome(),
            vec![click_sized("z", T0, P1, (997, 7), 1280, (1000, 1000))],
        )],
    );
    let h = heatmap_of(&*r, "/product/*", Filter::default(), WidthSegment::All, 333);
    assert_eq!(h.bins, vec![bin(331, 1, 1)]);
    assert_eq!((h.page_width, h.page_height, h.rows), (1000, 1000, 333));
}

/// A page without clicks gives an empty heatmap, not an error.
pub fn case_heatmap_unknown_page(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    for loaded in [false, true] {
        if loaded {
            load(&mut *w, &heatmap_batches());
        }
        for (pages, filter) in [
            ("/nope", Filter::default()),
            ("/product/*", site("nosuch")),
            ("shop.example/cart", Filter::default()),
            ("/product/*", range(Some(T0 + HOUR), None)),
        ] {
            let h = heatmap_of(&*r, pages, filter, WidthSegment::All, 11);
            assert_eq!(h.total_clicks, 0, "{pages}");
            assert_eq!((h.rage_clicks, h.max_cell_clicks), (0, 0), "{pages}");
            assert!(h.bins.is_empty() && h.top_elements.is_empty(), "{pages}");
        }
    }
}
