//! Raw events, the live tail and the change token.

use super::fixtures::*;
use super::reading::*;
use super::StoreFactory;
use shared::event::DeviceClass;
use shared::store::query::*;

/// Raw events: time order, event-time range, session conditions, paging.
pub fn case_events_query(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    let batches = standard_batches();
    load(&mut *w, &batches);
    let all = events_of(&*r, &Filter::default());
    assert_eq!(
        ids_of(&all),
        [
            "s1-1", "s1-2", "s1-3", "s1-4", "s1-5", "s1-6", "s6-1", "s6-2", "s2-1", "s2-2", "s2-3",
            "s2-4", "s3-1", "s3-2", "s3-3", "s4-1", "s4-2", "s5-1", "s5-2",
        ]
    );
    assert_round_trip(&all, &batches);
    let rage: Vec<&str> = all
        .iter()
        .filter(|e| e.rage_click)
        .map(|e| e.event.id.as_str())
        .collect();
    assert_eq!(rage, ["s2-2", "s2-3", "s2-4"]);

    let cases: Vec<(Filter, &[&str])> = vec![
        (
            range(Some(T0 + HOUR + 1000), Some(T0 + 2 * HOUR + 2 * MIN)),
            &["s2-2", "s2-3", "s2-4", "s3-1"],
        ),
        (
            Filter {
                device: Some(DeviceClass::Desktop),
                ..range(Some(T0 + 2 * HOUR + 100 * SEC), None)
            },
            &["s3-2", "s3-3", "s5-1", "s5-2"],
        ),
        (site("blog"), &["s6-1", "s6-2"]),
        (
            Filter {
                has_rage_clicks: Some(true),
                ..Filter::default()
            },
            &["s2-1", "s2-2", "s2-3", "s2-4"],
        ),
        (
            Filter {
                entry_page: pattern("shop.example/"),
                ..range(None, Some(T0 + 10 * SEC))
            },
            &["s1-1", "s1-2"],
        ),
        (range(Some(T0 + 5 * HOUR), None), &[]),
    ];
    for (filter, want) in cases {
        assert_eq!(ids_of(&events_of(&*r, &filter)), want, "{filter:?}");
    }

    let mut joined = Vec::new();
    for offset in (0..=20).step_by(5) {
        let page = r
            .events(&Filter::default(), PageRequest { offset, limit: 5 })
            .expect("events page");
        let expected_len = [5, 5, 5, 4, 0][offset as usize / 5];
        assert_eq!(page.len(), expected_len, "page at {offset}");
        joined.extend(page);
    }
    assert_eq!(joined, all);
}

/// The live tail: the newest events, then only what was stored after a cursor.
pub fn case_live_tail(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    let t = |events| batch("shop", "t1", "v1", &chrome(), events);
    let a = t(vec![
        page_view("a1", T0, HOME, None),
        click("a2", T0 + 1, HOME, 1, 1),
        scroll("a3", T0 + 2, HOME, 0.5),
    ]);
    load(&mut *w, std::slice::from_ref(&a));
    let ids = |tail: &LiveTail| {
        tail.events
            .iter()
            .map(|e| e.event.id.clone())
            .collect::<Vec<_>>()
    };

    let newest = r.live_tail(None, 2).expect("tail");
    assert_eq!(ids(&newest), ["a2", "a3"]);
    assert_eq!(
        newest.cursor.as_deref(),
        Some(newest.events[1].cursor.as_str())
    );
    let everything = r.live_tail(None, 10).expect("tail");
    assert_eq!(ids(&everything), ["a1", "a2", "a3"]);
    assert_round_trip(&everything.events, std::slice::from_ref(&a));
    let c1 = everything.cursor.clone().expect("a cursor");

    let after_first = r
        .live_tail(Some(&everything.events[0].cursor), 10)
        .expect("tail");
    assert_eq!(ids(&after_first), ["a2", "a3"]);
    let quiet = r.live_tail(Some(&c1), 10).expect("tail");
    assert!(quiet.events.is_empty());
    assert_eq!(quiet.cursor.as_deref(), Some(c1.as_str()));

    let b = t(vec![
        page_view("b1", T0 + 10, CART, Some(HOME)),
        click("b2", T0 + 11, CART, 2, 2),
    ]);
    load(&mut *w, std::slice::from_ref(&b));
    let tail = r.live_tail(Some(&c1), 10).expect("tail");
    assert_eq!(ids(&tail), ["b1", "b2"]);
    assert_round_trip(&tail.events, std::slice::from_ref(&b));
    let c2 = tail.cursor.clone().expect("a cursor");
    assert_ne!(c2, c1);
    let quiet = r.live_tail(Some(&c2), 10).expect("tail");
    assert!(quiet.events.is_empty());
    assert_eq!(quiet.cursor.as_deref(), Some(c2.as_str()));

    assert_eq!(append(&mut *w, &[b]), [outcome(0, 2)]);
    assert!(
        r.live_tail(Some(&c2), 10).expect("tail").events.is_empty(),
        "duplicates are not new"
    );

    let c = t(vec![
        custom("c1", T0 + 20, CART, "x"),
        click("c2", T0 + 21, CART, 3, 3),
        click("c3", T0 + 22, CART, 400, 400),
    ]);
    load(&mut *w, &[c]);
    let first_two = r.live_tail(Some(&c2), 2).expect("tail");
    assert_eq!(ids(&first_two), ["c1", "c2"]);
    let c3 = first_two.cursor.clone().expect("a cursor");
    assert_eq!(ids(&r.live_tail(Some(&c3), 2).expect("tail")), ["c3"]);
    assert_eq!(
        ids(&r.live_tail(None, 3).expect("tail")),
        ["c1", "c2", "c3"]
    );
}

/// The change token moves when the writer commits, and only then.
pub fn case_change_token(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    let before = r.change_token().expect("token");
    assert_eq!(
        r.change_token().expect("token"),
        before,
        "no commit, no change"
    );
    load(
        &mut *w,
        &[batch(
            "shop",
            "c1",
            "v1",
            &chrome(),
            vec![page_view("c-1", T0, HOME, None)],
        )],
    );
    let after = r.change_token().expect("token");
    assert_ne!(after, before, "a commit changes the token");
    let _ = sessions_of(&*r, &Filter::default());
    let _ = r.overview(&Filter::default()).expect("overview");
    assert_eq!(
        r.change_token().expect("token"),
        after,
        "reading changes nothing"
    );
    load(
        &mut *w,
        &[batch(
            "shop",
            "c1",
            "v1",
            &chrome(),
            vec![click("c-2", T0 + 1, HOME, 1, 1)],
        )],
    );
    let again = r.change_token().expect("token");
    assert_ne!(again, after, "a second commit changes the token again");
}
