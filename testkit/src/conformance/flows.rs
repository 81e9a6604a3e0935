//! Paths, funnels and frustration signals: the steps an engine keeps per
//! session (in time order, whatever order their events arrive in), quick
//! backs, dead ends, their filters and the session keys paths and funnels
//! hand to the session list. Every expected value is worked out by hand.

use super::fixtures::*;
use super::reading::*;
use super::StoreFactory;
use shared::event::{EventBatch, EventKind};
use shared::page_key::PagePattern;
use shared::store::core::flows::{funnel, funnel_sessions, page_frustration, path_sessions, paths};
use shared::store::flow_query::*;
use shared::store::query::*;
use shared::store::EventReader;

fn shop(path: &str) -> String {
    format!("https://shop.example{path}")
}

fn views(session: &str, pages: &[(i64, &str)]) -> EventBatch {
    let events = pages
        .iter()
        .enumerate()
        .map(|(i, (at, path))| page_view(&format!("{session}-{i}"), T0 + at, &shop(path), None))
        .collect();
    batch("shop", session, &format!("v-{session}"), &chrome(), events)
}

/// The path tree as `a>b` strings (paths without the host) and sessions.
fn tree(p: &Paths) -> Vec<(String, u64)> {
    p.nodes
        .iter()
        .map(|n| {
            let short: Vec<&str> = n
                .path
                .iter()
                .map(|p| p.strip_prefix("shop.example").unwrap_or(p))
                .collect();
            (short.join(">"), n.sessions)
        })
        .collect()
}

fn owned(rows: &[(&str, u64)]) -> Vec<(String, u64)> {
    rows.iter().map(|(p, n)| ((*p).to_owned(), *n)).collect()
}

fn steps_of(r: &dyn EventReader, filter: &Filter) -> StepSet {
    r.steps(filter)
        .unwrap_or_else(|e| panic!("steps({filter:?}): {e}"))
}

/// Paths from a page: repeats once, loops, single-page-app views as pages,
/// steps arriving out of order in several commits, and the range's edge.
pub fn case_paths(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    // f1 arrives in three commits, its last views first.
    let f1 = views(
        "f1",
        &[
            (0, "/"),
            (1_000, "/"),
            (5_000, "/p/1"),
            (9_000, "/cart"),
            (20_000, "/"),
        ],
    );
    let (head, tail) = f1.events.split_at(2);
    let piece = |events: &[shared::event::Event]| EventBatch {
        events: events.to_vec(),
        ..f1.clone()
    };
    append(&mut *w, &[piece(&tail[1..])]);
    append(&mut *w, &[piece(head)]);
    append(&mut *w, &[piece(&tail[..1])]);
    // A loop back to the home page, then an exit.
    load(
        &mut *w,
        &[views("f2", &[(0, "/"), (30_000, "/p/1"), (60_000, "/")])],
    );
    // Single-page-app navigations are page views of their own URLs.
    load(
        &mut *w,
        &[views(
            "f3",
            &[(0, "/"), (2_000, "/p/2"), (4_000, "/p/2/reviews")],
        )],
    );
    // Started before the range: not counted.
    load(
        &mut *w,
        &[views("f4", &[(-HOUR, "/"), (-HOUR + 1_000, "/cart")])],
    );
    // Started in the range, went on after it ends: all its pages count.
    load(
        &mut *w,
        &[views(
            "f5",
            &[(HOUR - 1_000, "/p/1"), (HOUR + 5_000, "/cart")],
        )],
    );
    let in_range = Filter {
        range: TimeRange {
            from: Some(T0),
            to: Some(T0 + HOUR),
        },
        ..site("shop")
    };
    let set = steps_of(&*r, &in_range);
    let query = |start: Option<&str>, direction| PathsQuery {
        filter: in_range.clone(),
        start: start.map(PagePattern::new),
        direction,
        depth: 3,
        branches: 10,
    };
    let from_home = paths(&set, &query(Some("/"), Direction::Forward));
    assert_eq!(from_home.sessions, 3);
    assert_eq!(
        tree(&from_home),
        owned(&[
            ("/", 3),
            ("/>/p/1", 2),
            ("/>/p/1>/", 1),
            ("/>/p/1>/cart", 1),
            ("/>/p/2", 1),
            ("/>/p/2>/p/2/reviews", 1),
        ])
    );
    let to_cart = paths(&set, &query(Some("/cart"), Direction::Backward));
    assert_eq!(
        tree(&to_cart),
        owned(&[
            ("/cart", 2),
            ("/cart>/p/1", 2),
            ("/cart>/p/1>(entry)", 1),
            ("/cart>/p/1>/", 1),
        ])
    );
    let from_entry = paths(&set, &query(None, Direction::Forward));
    assert_eq!(from_entry.sessions, 4);
    assert_eq!(from_entry.nodes[0].path, ["shop.example/"]);
    assert_eq!(from_entry.nodes[0].sessions, 3);
    // The sessions behind a node are what the session list shows.
    let keys = path_sessions(
        &set,
        &query(None, Direction::Forward),
        &[
            "shop.example/p/1".to_owned(),
            "shop.example/cart".to_owned(),
            EXIT_LABEL.to_owned(),
        ],
    );
    assert_eq!(keys.len(), 1);
    let chosen = Filter {
        sessions: Some(keys),
        ..Filter::default()
    };
    assert_eq!(session_ids(&*r, &chosen), ["f5"]);
    let nothing = Filter {
        sessions: Some(vec!["no such key".to_owned()]),
        ..Filter::default()
    };
    assert!(session_ids(&*r, &nothing).is_empty());
}

/// A funnel of pages and custom events through the engine's steps.
pub fn case_funnel(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    let buy = |session: &str, steps: &[(i64, &str)]| {
        let events = steps
            .iter()
            .enumerate()
            .map(|(i, (at, what))| {
                let id = format!("{session}-{i}");
                match what.strip_prefix("event:") {
                    Some(name) => custom(&id, T0 + at, &shop("/cart"), name),
                    None => page_view(&id, T0 + at, &shop(what), None),
                }
            })
            .collect();
        batch("shop", session, "v", &chrome(), events)
    };
    load(
        &mut *w,
        &[
            buy(
                "u1",
                &[
                    (0, "/p/1"),
                    (4_000, "/"),
                    (10_000, "/cart"),
                    (70_000, "event:checkout"),
                ],
            ),
            buy("u2", &[(0, "/p/2"), (6_000, "/cart")]),
            buy("u3", &[(0, "/p/3")]),
            // The cart before the product: only the first step.
            buy("u4", &[(0, "/cart"), (1_000, "/p/4")]),
        ],
    );
    let query = FunnelQuery {
        filter: site("shop"),
        steps: ["page:/p/*", "page:/cart", "event:checkout"]
            .iter()
            .map(|s| FunnelStep::parse(s).expect("a step"))
            .collect(),
        within_ms: None,
    };
    let set = steps_of(&*r, &query.filter);
    let f = funnel(&set, &query);
    let rows: Vec<(u64, Option<i64>)> = f
        .steps
        .iter()
        .map(|s| (s.sessions, s.median_ms_from_previous))
        .collect();
    assert_eq!(rows, [(4, None), (2, Some(6_000)), (1, Some(60_000))]);
    assert_eq!(f.steps[1].conversion_from_previous, 0.5);
    assert_eq!(f.steps[2].conversion_from_first, 0.25);
    let dropped = Filter {
        sessions: Some(funnel_sessions(&set, &query, 1, true)),
        ..Filter::default()
    };
    assert_eq!(session_ids(&*r, &dropped), ["u3", "u4"]);
    let within = FunnelQuery {
        within_ms: Some(MIN),
        ..query.clone()
    };
    assert_eq!(funnel(&set, &within).steps[2].sessions, 0);
}

/// Quick backs at 9 s and 11 s, dead ends, their filters, and the sort by
/// frustration score.
pub fn case_frustration_signals(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    // Back to / 9 s after leaving it: a quick back; to /p/1 11 s after: not.
    let q1 = views(
        "q1",
        &[(0, "/"), (1_000, "/p/1"), (10_000, "/"), (21_000, "/p/1")],
    );
    // The return arrives first, in its own commit.
    let (early, late) = q1.events.split_at(2);
    append(
        &mut *w,
        &[EventBatch {
            events: late.to_vec(),
            ..q1.clone()
        }],
    );
    append(
        &mut *w,
        &[EventBatch {
            events: early.to_vec(),
            ..q1.clone()
        }],
    );
    // A rage burst 10 s before the end: a dead end; 11 s before: not.
    let burst = |session: &str, end_after: i64| {
        let mut events = vec![page_view(&format!("{session}-v"), T0, &shop("/p/9"), None)];
        for i in 0..3 {
            events.push(click(
                &format!("{session}-c{i}"),
                T0 + 1_000 + 100 * i,
                &shop("/p/9"),
                50,
                50,
            ));
        }
        events.push(event(
            EventKind::Scroll,
            &format!("{session}-s"),
            T0 + 1_200 + end_after,
            &shop("/p/9"),
        ));
        batch("shop", session, "v", &chrome(), events)
    };
    load(&mut *w, &[burst("d1", 10_000), burst("d2", 11_000)]);
    let one = |id: &str| the_session(&*r, "shop", id);
    assert_eq!((one("q1").quick_backs, one("q1").dead_end), (1, false));
    assert_eq!((one("d1").quick_backs, one("d1").dead_end), (0, true));
    assert!(!one("d2").dead_end);
    assert_eq!(one("d1").frustration(), 3 + 5);
    let with = |f: Filter| session_ids(&*r, &f);
    let base = site("shop");
    assert_eq!(
        with(Filter {
            has_quick_backs: Some(true),
            ..base.clone()
        }),
        ["q1"]
    );
    assert_eq!(
        with(Filter {
            has_quick_backs: Some(false),
            ..base.clone()
        }),
        ["d1", "d2"]
    );
    assert_eq!(
        with(Filter {
            dead_end: Some(true),
            ..base.clone()
        }),
        ["d1"]
    );
    assert_eq!(
        with(Filter {
            dead_end: Some(false),
            ..base.clone()
        }),
        ["d2", "q1"]
    );
    let ranked = r
        .sessions(
            &base,
            Sort {
                key: SessionSortKey::Frustration,
                descending: true,
            },
            EVERYTHING,
        )
        .expect("sessions by frustration");
    let order: Vec<&str> = ranked.rows.iter().map(|s| s.session_id.as_str()).collect();
    // d1: 3 + 5; d2: 3; q1: 2.
    assert_eq!(order, ["d1", "d2", "q1"]);
    // By page: q1 backed out of /p/1 (not the second time: 11 s); d1 ended
    // on /p/9.
    let by_page: Vec<(String, u64, u64)> = page_frustration(&steps_of(&*r, &base))
        .into_iter()
        .map(|p| (p.page, p.quick_backs, p.dead_ends))
        .collect();
    assert_eq!(
        by_page,
        [
            ("shop.example/p/1".to_owned(), 1, 0),
            ("shop.example/p/9".to_owned(), 0, 1)
        ]
    );
}
