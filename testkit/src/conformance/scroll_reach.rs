//! Scroll reach: the share of a page's views that reached each depth, with
//! a view's later reports adding only what they reached beyond the earlier
//! ones, and the median height of the views' windows (the fold) — the same
//! from rollups, raw reports at a range's edges and raw reports joined to
//! their sessions, per width segment, and after a removal.

use super::fixtures::*;
use super::reading::load;
use super::StoreFactory;
use shared::event::{DeviceClass, Event, EventBatch};
use shared::page_key::PagePattern;
use shared::store::query::*;
use shared::store::EventReader;

const DAY: i64 = 86_400_000;

/// A scroll report to `depth` going on from `from`, on a page `page` tall
/// and as wide as its window (`width`, 700 px tall).
fn report(
    id: &str,
    ts: i64,
    url: &str,
    depth: f64,
    from: Option<f64>,
    width: u32,
    page: u32,
) -> Event {
    Event {
        depth_from: from,
        viewport: Some(size(width, 700)),
        page: Some(size(width, page)),
        ..scroll(id, ts, url, depth)
    }
}

/// `report` seen in a window `height` px tall.
fn tall(mut report: Event, height: u32) -> Event {
    report.viewport = report.viewport.map(|v| size(v.width, height));
    report
}

/// | session | visitor | window     | reports on /product/1 (page height)              | reached | fold    |
/// |---------|---------|------------|----------------------------------------------------|---------|---------|
/// | r1      | v1      | 1280 × 700 | 0.4, then 0.8 from 0.4 (3000); 0.9 → 0.8 adds none | 2400 px | 704 px  |
/// | r2      | v2      | 1280 × 900 | 0.4 with no `from` (3000); /product/2 to 1.0       | 1200 px | 904 px  |
/// | r3      | v3      | 390 × 844  | 0.5 (6000), phone                                  | 3000 px | 848 px  |
/// | r4      | v1      | 1280 × 1000| next day: 1.0 (3000); a report without a page size | 3000 px | 1000 px |
///
/// A fold is the window's height rounded up to a band of 8 px, counted on a
/// view's first report only (r1's later ones have a 1000 px window).
fn reach_batches() -> Vec<EventBatch> {
    let phone = client(DeviceClass::Mobile, "Safari", "iOS");
    let mut unsized_report = report("r4-3", T0 + DAY + 3 * SEC, P1, 0.5, None, 1280, 3000);
    unsized_report.page = None;
    vec![
        batch(
            "shop",
            "r1",
            "v1",
            &chrome(),
            vec![
                page_view("r1-0", T0, P1, None),
                report("r1-1", T0 + SEC, P1, 0.4, Some(0.0), 1280, 3000),
                tall(
                    report("r1-2", T0 + 2 * SEC, P1, 0.8, Some(0.4), 1280, 3000),
                    1000,
                ),
                tall(
                    report("r1-3", T0 + 3 * SEC, P1, 0.8, Some(0.9), 1280, 3000),
                    1000,
                ),
            ],
        ),
        batch(
            "shop",
            "r2",
            "v2",
            &chrome(),
            vec![
                page_view("r2-0", T0 + MIN, P1, None),
                tall(
                    report("r2-1", T0 + MIN + SEC, P1, 0.4, None, 1280, 3000),
                    900,
                ),
                page_view("r2-2", T0 + 2 * MIN, P2, None),
                report("r2-3", T0 + 2 * MIN + SEC, P2, 1.0, None, 1280, 3000),
            ],
        ),
        batch(
            "shop",
            "r3",
            "v3",
            &phone,
            vec![
                page_view("r3-0", T0 + 3 * MIN, P1, None),
                tall(
                    report("r3-1", T0 + 3 * MIN + SEC, P1, 0.5, None, 390, 6000),
                    844,
                ),
            ],
        ),
        batch(
            "shop",
            "r4",
            "v1",
            &chrome(),
            vec![
                page_view("r4-0", T0 + DAY, P1, None),
                tall(
                    report("r4-1", T0 + DAY + SEC, P1, 1.0, None, 1280, 3000),
                    1000,
                ),
                unsized_report,
            ],
        ),
    ]
}

/// Views, `(y, share)` points and fold.
type Reach = (u64, Vec<(u32, f64)>, Option<u32>);

#[track_caller]
fn reach(r: &dyn EventReader, filter: Filter, segment: WidthSegment) -> Reach {
    let q = HeatmapQuery {
        pages: PagePattern::new("/product/1"),
        filter,
        segment,
        columns: 100,
    };
    let reach = r.scroll_reach(&q).expect("scroll reach");
    let points = reach.points.iter().map(|p| (p.y, p.share)).collect();
    (reach.views, points, reach.fold)
}

/// Per view the depth it reached, whatever its reports; by segment, day
/// and session; from every source alike; a removal takes its reports out.
pub fn case_scroll_reach(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    load(&mut *w, &reach_batches());
    let shop = site("shop");
    let third = 1.0 / 3.0;

    // Four views reached 2400, 1200, 3000 and 3000 px; their folds are at
    // 704, 848, 904 and 1000 px: the lower median is 848.
    let all = (
        4,
        vec![(0, 1.0), (1200, 0.75), (2400, 0.5), (3000, 0.0)],
        Some(848),
    );
    assert_eq!(reach(&*r, shop.clone(), WidthSegment::All), all);
    let desktop = (
        3,
        vec![(0, 1.0), (1200, 2.0 * third), (2400, third), (3000, 0.0)],
        Some(904),
    );
    assert_eq!(reach(&*r, shop.clone(), WidthSegment::Desktop), desktop);
    let phone = (1, vec![(0, 1.0), (3000, 0.0)], Some(848));
    assert_eq!(reach(&*r, shop.clone(), WidthSegment::Mobile), phone);
    assert_eq!(
        reach(&*r, shop.clone(), WidthSegment::Tablet),
        (0, Vec::new(), None)
    );

    // Partial days from raw reports, whole days from rollups, or every
    // report joined to its session: the same answer.
    let edges = Filter {
        range: TimeRange {
            from: Some(T0 - HOUR),
            to: Some(T0 + 2 * DAY),
        },
        ..shop.clone()
    };
    assert_eq!(reach(&*r, edges, WidthSegment::All), all);
    let desktops = Filter {
        device: Some(DeviceClass::Desktop),
        ..shop.clone()
    };
    assert_eq!(reach(&*r, desktops, WidthSegment::All), desktop);
    let next_day = Filter {
        range: TimeRange {
            from: Some(T0 + DAY - HOUR),
            to: None,
        },
        ..shop.clone()
    };
    assert_eq!(
        reach(&*r, next_day, WidthSegment::All),
        (1, vec![(0, 1.0), (3000, 0.0)], Some(1000))
    );

    // Removing visitor v1 takes r1's and r4's reports out.
    w.delete_visitor("shop", "v1").expect("delete visitor");
    assert_eq!(
        reach(&*r, shop, WidthSegment::All),
        (2, vec![(0, 1.0), (1200, 0.5), (3000, 0.0)], Some(848))
    );
}
