//! A session's journey, step by step.

use super::fixtures::*;
use super::reading::*;
use super::StoreFactory;
use shared::event::{Event, Rect, Target};
use shared::store::query::*;

/// A session step by step, every field of every event as appended.
pub fn case_journey(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    let product = "https://shop.example/product/1?utm_source=news#top";
    let events = [
        Event {
            title: some("Product 1 — Shop"),
            viewport: Some(size(1440, 900)),
            page: Some(size(1440, 5200)),
            received_at: T0 + 700,
            ..page_view("j-1", T0, product, Some("https://news.example/a"))
        },
        Event {
            target: Some(Target {
                selector: some("main>div.card:nth-of-type(2)>button"),
                label: some("Buy now"),
                rect: Some(Rect {
                    x: 600,
                    y: 1780,
                    width: 120,
                    height: 40,
                }),
            }),
            ..click_sized("j-2", T0 + 2500, product, (700, 1800), 1440, (1440, 5200))
        },
        scroll("j-3", T0 + 4000, product, 0.875),
        Event {
            props: some(r#"{"plan":"pro","qty":2}"#),
            ..custom("j-4", T0 + 5000, product, "add_to_cart")
        },
        Event {
            target: Some(Target {
                selector: None,
                label: some("×"),
                rect: None,
            }),
            ..click("j-5", T0 + 6000, product, 0, 0)
        },
        Event {
            target: Some(Target {
                selector: None,
                label: None,
                rect: Some(Rect {
                    x: -5,
                    y: 10,
                    width: 30,
                    height: 20,
                }),
            }),
            ..click("j-6", T0 + 6500, product, 5, 15)
        },
        Event {
            clock_adjusted: true,
            received_at: T0 + 9000,
            ..page_view("j-7", T0 + 9000, CART, Some(product))
        },
        Event {
            viewport: None,
            page: None,
            received_at: T0 + 8000,
            ..click("j-8", T0 + 8000, product, 700, 1800)
        },
    ];
    let later = batch("shop", "j1", "jv", &chrome(), events[4..].to_vec());
    let earlier = batch("shop", "j1", "jv", &chrome(), events[..4].to_vec());
    load(&mut *w, &[later.clone(), earlier.clone()]);

    let expected_session = SessionSummary {
        start: T0,
        end: T0 + 9000,
        duration_ms: 9000,
        events: 8,
        page_views: 2,
        clicks: 4,
        entry_page: some("shop.example/product/1"),
        exit_page: some("shop.example/cart"),
        referrer: some("news.example"),
        ..summary("shop", "j1", "jv", chrome())
    };
    for site_name in [Some("shop"), None] {
        let journey = journey_of(&*r, site_name, "j1").expect("journey of j1");
        assert_eq!(journey.session, expected_session);
        assert_eq!(
            ids_of(&journey.steps),
            ["j-1", "j-2", "j-3", "j-4", "j-5", "j-6", "j-8", "j-7"]
        );
        assert_round_trip(&journey.steps, &[later.clone(), earlier.clone()]);
        assert!(journey.steps.iter().all(|s| !s.rage_click));
    }

    // The same session id on two sites.
    load(
        &mut *w,
        &[
            batch(
                "shop",
                "dup",
                "dv",
                &chrome(),
                vec![page_view("d-shop", T0 + HOUR, HOME, None)],
            ),
            batch(
                "blog",
                "dup",
                "dv",
                &chrome(),
                vec![
                    page_view("d-blog", T0 + 2 * HOUR, POST1, None),
                    click("d-blog-2", T0 + 2 * HOUR + SEC, POST1, 3, 4),
                ],
            ),
        ],
    );
    let shop = journey_of(&*r, Some("shop"), "dup").expect("shop/dup");
    assert_eq!(
        (shop.session.site.as_str(), ids_of(&shop.steps)),
        ("shop", vec!["d-shop"])
    );
    let blog = journey_of(&*r, Some("blog"), "dup").expect("blog/dup");
    assert_eq!(
        (blog.session.site.as_str(), ids_of(&blog.steps)),
        ("blog", vec!["d-blog", "d-blog-2"])
    );
    assert_eq!(blog.session.clicks, 1);
    assert!(blog
        .steps
        .iter()
        .all(|s| s.site == "blog" && s.session_id == "dup"));

    assert!(journey_of(&*r, None, "nope").is_none());
    assert!(journey_of(&*r, Some("blog"), "j1").is_none());
    assert!(journey_of(&*r, Some("nosuch"), "dup").is_none());
}
