//! Writing: append outcomes, duplicates, group commits.

use super::fixtures::*;
use super::reading::*;
use super::StoreFactory;
use shared::event::EventBatch;
use shared::store::query::*;
use shared::store::EventReader;

/// Append reports inserted and duplicate events per batch; resending, alone or
/// mixed with new events, never counts anything twice; the same event id on
/// another site is another event.
pub fn case_append_outcomes(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    let first = batch(
        "shop",
        "a1",
        "va",
        &chrome(),
        vec![
            page_view("a1-1", T0, HOME, None),
            click("a1-2", T0 + SEC, HOME, 10, 10),
            page_view("a1-3", T0 + 10 * SEC, CART, Some(HOME)),
            scroll("a1-4", T0 + 20 * SEC, CART, 0.5),
        ],
    );
    assert_eq!(
        append(&mut *w, std::slice::from_ref(&first)),
        [outcome(4, 0)]
    );
    assert_eq!(
        append(&mut *w, std::slice::from_ref(&first)),
        [outcome(0, 4)],
        "a resent batch is all duplicates"
    );
    let mixed = batch(
        "shop",
        "a1",
        "va",
        &chrome(),
        vec![
            first.events[0].clone(),
            first.events[2].clone(),
            click("a1-5", T0 + 30 * SEC, CART, 20, 20),
            page_view("a1-6", T0 + 40 * SEC, P1, Some(CART)),
            click("a1-5", T0 + 30 * SEC, CART, 20, 20),
        ],
    );
    assert_eq!(
        append(&mut *w, std::slice::from_ref(&mixed)),
        [outcome(2, 3)],
        "two old ids, two new ones, one new id twice"
    );

    let a1 = SessionSummary {
        start: T0,
        end: T0 + 40 * SEC,
        duration_ms: 40 * SEC,
        events: 6,
        page_views: 3,
        clicks: 2,
        entry_page: some("shop.example/"),
        exit_page: some("shop.example/product/1"),
        ..summary("shop", "a1", "va", chrome())
    };
    let pages = vec![
        stats("shop.example/", 1, 1, 1, 1),
        PageStats {
            mean_scroll_depth: Some(0.5),
            ..stats("shop.example/cart", 1, 1, 1, 1)
        },
        stats("shop.example/product/1", 1, 1, 1, 0),
    ];
    let check = |r: &dyn EventReader, when: &str| {
        assert_eq!(
            sessions_of(r, &site("shop")),
            std::slice::from_ref(&a1),
            "{when}"
        );
        assert_eq!(pages_of(r, &site("shop"), None), pages, "{when}");
        let journey = journey_of(r, Some("shop"), "a1").expect("journey of a1");
        assert_eq!(
            ids_of(&journey.steps),
            ["a1-1", "a1-2", "a1-3", "a1-4", "a1-5", "a1-6"],
            "{when}"
        );
        assert_eq!(journey.session, a1, "{when}");
    };
    check(&*r, "after the mixed batch");

    // The same event ids on another site.
    let other = batch(
        "blog",
        "a1",
        "va",
        &chrome(),
        vec![
            page_view("a1-1", T0 + HOUR, POST1, None),
            click("a1-2", T0 + HOUR + SEC, POST1, 10, 10),
        ],
    );
    assert_eq!(
        append(&mut *w, std::slice::from_ref(&other)),
        [outcome(2, 0)]
    );
    assert_eq!(events_of(&*r, &Filter::default()).len(), 8);
    assert_eq!(ids_of(&events_of(&*r, &site("blog"))), ["a1-1", "a1-2"]);
    assert_eq!(events_of(&*r, &site("shop")).len(), 6);
    assert_eq!(session_ids(&*r, &Filter::default()), ["a1", "a1"]);
    let blog = journey_of(&*r, Some("blog"), "a1").expect("journey of blog/a1");
    assert_eq!(blog.steps.len(), 2);
    assert_eq!(blog.session.events, 2);
    check(&*r, "after the same ids on another site");

    // Everything again, in one call.
    assert_eq!(
        append(&mut *w, &[first, mixed, other]),
        [outcome(0, 4), outcome(0, 5), outcome(0, 2)]
    );
    check(&*r, "after resending everything");
    assert_eq!(events_of(&*r, &Filter::default()).len(), 8);
    assert_eq!(
        pages_of(&*r, &site("blog"), None),
        [stats("blog.example/post/1", 1, 1, 1, 1)]
    );
}

/// A batch that stores nothing (empty, or only events already stored under
/// another session) creates no session, and a batch mixing such an event with
/// a new one counts only the new one.
pub fn case_duplicates_create_no_sessions(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    let p1 = batch(
        "shop",
        "p1",
        "v1",
        &chrome(),
        vec![
            page_view("p1-1", T0 + SEC, HOME, None),
            click("p1-2", T0 + 2 * SEC, HOME, 5, 5),
        ],
    );
    assert_eq!(append(&mut *w, std::slice::from_ref(&p1)), [outcome(2, 0)]);
    let stolen = EventBatch {
        session_id: "p2".into(),
        visitor_id: "v2".into(),
        ..p1.clone()
    };
    let empty = batch("shop", "p3", "v3", &chrome(), Vec::new());
    assert_eq!(
        append(&mut *w, &[stolen, empty]),
        [outcome(0, 2), outcome(0, 0)]
    );
    assert_eq!(session_ids(&*r, &Filter::default()), ["p1"]);
    assert!(journey_of(&*r, Some("shop"), "p2").is_none());
    assert!(journey_of(&*r, Some("shop"), "p3").is_none());
    let overview = r.overview(&Filter::default()).expect("overview");
    assert_eq!((overview.sessions, overview.visitors), (1, 1));

    let p4 = batch(
        "shop",
        "p4",
        "v4",
        &chrome(),
        vec![
            p1.events[0].clone(),
            page_view("p4-1", T0 + 500 * SEC, CART, None),
        ],
    );
    assert_eq!(append(&mut *w, &[p4]), [outcome(1, 1)]);
    assert_eq!(
        the_session(&*r, "shop", "p4"),
        SessionSummary {
            start: T0 + 500 * SEC,
            end: T0 + 500 * SEC,
            events: 1,
            page_views: 1,
            entry_page: some("shop.example/cart"),
            exit_page: some("shop.example/cart"),
            bounced: true,
            ..summary("shop", "p4", "v4", chrome())
        }
    );
    assert_eq!(
        the_session(&*r, "shop", "p1"),
        SessionSummary {
            start: T0 + SEC,
            end: T0 + 2 * SEC,
            duration_ms: SEC,
            events: 2,
            page_views: 1,
            clicks: 1,
            entry_page: some("shop.example/"),
            exit_page: some("shop.example/"),
            bounced: true,
            ..summary("shop", "p1", "v1", chrome())
        }
    );
}

/// One append of several batches returns one outcome per batch, in order, and
/// later batches see the earlier ones of the same call.
pub fn case_group_commit(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    assert!(append(&mut *w, &[]).is_empty(), "nothing to commit");
    let b1 = batch(
        "shop",
        "g1",
        "v1",
        &chrome(),
        vec![
            page_view("g1-1", T0, HOME, None),
            click("g1-2", T0 + SEC, HOME, 1, 1),
        ],
    );
    let b2 = batch(
        "blog",
        "g2",
        "v2",
        &chrome(),
        vec![
            page_view("g2-1", T0, POST1, None),
            page_view("g2-2", T0 + SEC, POST2, Some(POST1)),
            scroll("g2-3", T0 + 2 * SEC, POST2, 0.25),
        ],
    );
    let mut b3 = b1.clone();
    b3.events
        .push(page_view("g1-3", T0 + 2 * SEC, CART, Some(HOME)));
    assert_eq!(
        append(&mut *w, &[b1, b2, b3]),
        [outcome(2, 0), outcome(3, 0), outcome(1, 2)]
    );
    let g1 = the_session(&*r, "shop", "g1");
    assert_eq!((g1.events, g1.page_views, g1.clicks), (3, 2, 1));
    assert_eq!(g1.exit_page.as_deref(), Some("shop.example/cart"));
    let g2 = the_session(&*r, "blog", "g2");
    assert_eq!((g2.events, g2.page_views, g2.clicks), (3, 2, 0));
    assert_eq!(events_of(&*r, &Filter::default()).len(), 6);
}
