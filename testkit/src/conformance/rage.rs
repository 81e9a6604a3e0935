//! Rage clicks: bursts judged by the writer, within one batch and across
//! batches and commits.

use super::fixtures::*;
use super::heatmap::{assert_heatmap, bin, element, grid, heatmap_of};
use super::reading::*;
use super::StoreFactory;
use shared::store::query::*;
use shared::store::EventReader;

/// Three clicks within 1 s and 30 px are rage clicks, everywhere they show;
/// two clicks, spread clicks and slow clicks are not.
pub fn case_rage_clicks(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    let buy = |e| on(e, "#buy", "Buy now");
    let r1 = batch(
        "shop",
        "r1",
        "v1",
        &chrome(),
        vec![
            page_view("r-0", T0, P1, None),
            // A burst: 900 ms, at most 22.4 px apart.
            buy(click("r-1", T0 + 1000, P1, 100, 100)),
            buy(click("r-2", T0 + 1400, P1, 110, 100)),
            buy(click("r-3", T0 + 1900, P1, 100, 120)),
            // Only two.
            click("r-4", T0 + 10_000, P1, 500, 500),
            click("r-5", T0 + 10_200, P1, 500, 500),
            // Spread: first and last 50 px apart.
            click("r-6", T0 + 20_000, P1, 0, 300),
            click("r-7", T0 + 20_100, P1, 25, 300),
            click("r-8", T0 + 20_200, P1, 50, 300),
            // Slow: first and last 1.2 s apart.
            click("r-9", T0 + 30_000, P1, 1000, 2000),
            click("r-10", T0 + 30_600, P1, 1000, 2000),
            click("r-11", T0 + 31_200, P1, 1000, 2000),
        ],
    );
    let r2 = batch(
        "shop",
        "r2",
        "v2",
        &chrome(),
        vec![click("r2-1", T0 + 1100, P1, 100, 100)],
    );
    load(&mut *w, &[r1.clone(), r2.clone()]);

    let check = |r: &dyn EventReader, when: &str| {
        let flagged: Vec<String> = events_of(r, &Filter::default())
            .into_iter()
            .filter(|e| e.rage_click)
            .map(|e| e.event.id)
            .collect();
        assert_eq!(flagged, ["r-1", "r-2", "r-3"], "{when}");
        assert_eq!(
            the_session(r, "shop", "r1"),
            SessionSummary {
                start: T0,
                end: T0 + 31_200,
                duration_ms: 31_200,
                events: 12,
                page_views: 1,
                clicks: 11,
                rage_clicks: 3,
                entry_page: some("shop.example/product/1"),
                exit_page: some("shop.example/product/1"),
                bounced: true,
                ..summary("shop", "r1", "v1", chrome())
            },
            "{when}"
        );
        assert_eq!(the_session(r, "shop", "r2").rage_clicks, 0, "{when}");
        assert_eq!(
            pages_of(r, &Filter::default(), None),
            [PageStats {
                rage_clicks: 3,
                ..stats("shop.example/product/1", 1, 2, 2, 12)
            }],
            "{when}"
        );
        let rage = |v| Filter {
            has_rage_clicks: Some(v),
            ..Filter::default()
        };
        assert_eq!(session_ids(r, &rage(true)), ["r1"], "{when}");
        assert_eq!(session_ids(r, &rage(false)), ["r2"], "{when}");

        // 1280 px pages, 10 columns: cells of 128 px, rows ceil(3000/128) = 24.
        let h = heatmap_of(r, "/product/1", Filter::default(), WidthSegment::All, 10);
        let expected = Heatmap {
            total_clicks: 12,
            rage_clicks: 3,
            max_cell_clicks: 4,
            bins: vec![
                HeatBin {
                    column: 0,
                    row: 0,
                    clicks: 4,
                    rage_clicks: 3,
                },
                bin(0, 2, 3),
                bin(3, 3, 2),
                bin(7, 15, 3),
            ],
            top_elements: vec![ElementStat {
                rage_clicks: 3,
                ..element("#buy", "Buy now", 3, 3.0 / 12.0)
            }],
            ..grid(1280, 3000, 10, 24)
        };
        assert_heatmap(&h, &expected, when);
    };
    check(&*r, "after the first append");
    assert_eq!(append(&mut *w, &[r1, r2]), [outcome(0, 12), outcome(0, 1)]);
    check(&*r, "after resending");
}

/// A burst whose clicks arrive in different batches, out of order, is still a
/// burst; a click joining it later counts once more; resending counts nothing;
/// clicks of another session never join.
pub fn case_rage_clicks_across_batches(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    let q = |events| batch("shop", "q1", "v1", &chrome(), events);
    let first = q(vec![
        click("q-1", T0 + 1000, P1, 50, 50),
        click("q-2", T0 + 1500, P1, 55, 50),
    ]);
    let other = batch(
        "shop",
        "z1",
        "v2",
        &chrome(),
        vec![
            click("z-1", T0 + 1100, P1, 50, 50),
            click("z-2", T0 + 1300, P1, 52, 50),
        ],
    );
    load(&mut *w, &[first.clone(), other]);
    let flagged = |r: &dyn EventReader| -> Vec<String> {
        events_of(r, &Filter::default())
            .into_iter()
            .filter(|e| e.rage_click)
            .map(|e| e.event.id)
            .collect()
    };
    let rage_of = |r: &dyn EventReader, id: &str| the_session(r, "shop", id).rage_clicks;
    assert!(flagged(&*r).is_empty(), "two clicks per session");
    assert_eq!((rage_of(&*r, "q1"), rage_of(&*r, "z1")), (0, 0));

    // The middle click arrives last.
    let middle = q(vec![click("q-3", T0 + 1200, P1, 52, 52)]);
    load(&mut *w, std::slice::from_ref(&middle));
    assert_eq!(flagged(&*r), ["q-1", "q-3", "q-2"]);
    assert_eq!((rage_of(&*r, "q1"), rage_of(&*r, "z1")), (3, 0));
    assert_eq!(pages_of(&*r, &site("shop"), None)[0].rage_clicks, 3);

    assert_eq!(
        append(&mut *w, &[middle, first]),
        [outcome(0, 1), outcome(0, 2)]
    );
    assert_eq!(rage_of(&*r, "q1"), 3, "resending counts nothing");

    let fourth = q(vec![click("q-4", T0 + 1700, P1, 50, 55)]);
    load(&mut *w, std::slice::from_ref(&fourth));
    assert_eq!(flagged(&*r), ["q-1", "q-3", "q-2", "q-4"]);
    assert_eq!(rage_of(&*r, "q1"), 4);
    assert_eq!(pages_of(&*r, &site("shop"), None)[0].rage_clicks, 4);
    let h = heatmap_of(&*r, "/product/1", Filter::default(), WidthSegment::All, 10);
    assert_eq!((h.total_clicks, h.rage_clicks), (6, 4));
    assert_eq!(append(&mut *w, &[fourth]), [outcome(0, 1)]);
    assert_eq!(rage_of(&*r, "q1"), 4);
}
