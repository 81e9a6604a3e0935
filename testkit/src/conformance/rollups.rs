//! Session rollups: the standard fixture's rows, batches out of order, and
//! rows of pseudo-random sessions against what their raw events give.

use super::fixtures::*;
use super::generated::{expected_pages, expected_summary, generate_sessions, Draws};
use super::reading::*;
use super::StoreFactory;
use fastrand::Rng;
use shared::event::{Event, EventBatch};
use shared::store::query::*;
use shared::store::EventReader;
use std::collections::BTreeSet;

/// Session rows of the standard fixture, field by field.
pub fn case_session_rollups(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    load(&mut *w, &standard_batches());
    let expected = standard_summaries();
    let actual = sessions_of(&*r, &Filter::default());
    assert_eq!(actual.len(), expected.len());
    for (a, e) in actual.iter().zip(&expected) {
        assert_eq!(a, e, "session {}", e.session_id);
    }
}

/// Batches of one session arriving out of order: start, end, entry and exit
/// follow event time, and the referrer is that of the earliest page view (an
/// internal referrer is none).
pub fn case_out_of_order_batches(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    let shop = |path: &str| format!("https://shop.example{path}");
    let (a, b, c) = (shop("/a"), shop("/b"), shop("/c"));
    let o1 = |events| batch("shop", "o1", "ov", &chrome(), events);

    append(
        &mut *w,
        &[o1(vec![
            page_view("o1-3", T0 + 50 * SEC, &b, Some(a.as_str())),
            click("o1-4", T0 + 55 * SEC, &b, 10, 10),
        ])],
    );
    let base = summary("shop", "o1", "ov", chrome());
    assert_eq!(
        the_session(&*r, "shop", "o1"),
        SessionSummary {
            start: T0 + 50 * SEC,
            end: T0 + 55 * SEC,
            duration_ms: 5 * SEC,
            events: 2,
            page_views: 1,
            clicks: 1,
            entry_page: some("shop.example/b"),
            exit_page: some("shop.example/b"),
            bounced: true,
            ..base.clone()
        },
        "internal referrer is no referrer"
    );

    append(
        &mut *w,
        &[o1(vec![page_view(
            "o1-5",
            T0 + 90 * SEC,
            &c,
            Some("https://other.example/"),
        )])],
    );
    assert_eq!(
        the_session(&*r, "shop", "o1"),
        SessionSummary {
            start: T0 + 50 * SEC,
            end: T0 + 90 * SEC,
            duration_ms: 40 * SEC,
            events: 3,
            page_views: 2,
            clicks: 1,
            entry_page: some("shop.example/b"),
            exit_page: some("shop.example/c"),
            ..base.clone()
        },
        "a later page view's referrer is not the session's"
    );

    append(
        &mut *w,
        &[o1(vec![
            page_view(
                "o1-2",
                T0 + 10 * SEC,
                &a,
                Some("https://WWW.Ext.Example:8080/path"),
            ),
            custom("o1-1", T0 + 5 * SEC, &a, "x"),
        ])],
    );
    let o1_final = SessionSummary {
        start: T0 + 5 * SEC,
        end: T0 + 90 * SEC,
        duration_ms: 85 * SEC,
        events: 5,
        page_views: 3,
        clicks: 1,
        entry_page: some("shop.example/a"),
        exit_page: some("shop.example/c"),
        referrer: some("www.ext.example"),
        ..base
    };
    assert_eq!(the_session(&*r, "shop", "o1"), o1_final);

    // An earlier page view with an internal referrer arrives last.
    let o2 = |events| batch("shop", "o2", "ov", &chrome(), events);
    append(
        &mut *w,
        &[o2(vec![page_view(
            "o2-2",
            T0 + HOUR + 20 * SEC,
            &b,
            Some("https://ext.example/"),
        )])],
    );
    assert_eq!(
        the_session(&*r, "shop", "o2").referrer.as_deref(),
        Some("ext.example")
    );
    append(
        &mut *w,
        &[o2(vec![page_view(
            "o2-1",
            T0 + HOUR + 10 * SEC,
            &a,
            Some(HOME),
        )])],
    );
    assert_eq!(
        the_session(&*r, "shop", "o2"),
        SessionSummary {
            start: T0 + HOUR + 10 * SEC,
            end: T0 + HOUR + 20 * SEC,
            duration_ms: 10 * SEC,
            events: 2,
            page_views: 2,
            entry_page: some("shop.example/a"),
            exit_page: some("shop.example/b"),
            ..summary("shop", "o2", "ov", chrome())
        }
    );
    let journey = journey_of(&*r, Some("shop"), "o1").expect("journey of o1");
    assert_eq!(
        ids_of(&journey.steps),
        ["o1-1", "o1-2", "o1-3", "o1-4", "o1-5"]
    );
    assert_eq!(journey.session, o1_final);
}

/// A few hundred pseudo-random events over twelve sessions, appended in
/// shuffled pieces (with some pieces sent twice): every session row, every page
/// row, every event and the overview's totals equal what the raw events give.
pub fn case_rollups_match_raw_events(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    let mut rng = Rng::with_seed(0x5eed_2025);
    let (sessions, rage) = generate_sessions(&mut rng);
    let total_events: usize = sessions.iter().map(|b| b.events.len()).sum();
    assert!(total_events >= 200, "fixture too small: {total_events}");
    assert!(!rage.is_empty(), "fixture has no rage clicks");

    let mut pieces: Vec<EventBatch> = Vec::new();
    for b in &sessions {
        let mut events = b.events.clone();
        rng.shuffle(&mut events);
        while !events.is_empty() {
            let n = (1 + rng.below(8)).min(events.len());
            let rest = events.split_off(n);
            pieces.push(EventBatch {
                events,
                ..b.clone()
            });
            events = rest;
        }
    }
    rng.shuffle(&mut pieces);
    let mut next = 0;
    while next < pieces.len() {
        let n = (1 + rng.below(3)).min(pieces.len() - next);
        let mut group = pieces[next..next + n].to_vec();
        let mut want: Vec<_> = group.iter().map(|p| outcome(p.events.len(), 0)).collect();
        if next > 0 && rng.below(5) == 0 {
            let again = pieces[rng.below(next)].clone();
            want.push(outcome(0, again.events.len()));
            group.push(again);
        }
        assert_eq!(append(&mut *w, &group), want, "pieces from {next}");
        next += n;
    }

    let check = |r: &dyn EventReader, when: &str| {
        let mut expected: Vec<SessionSummary> = sessions
            .iter()
            .map(|b| expected_summary(b, &rage))
            .collect();
        expected.sort_by_key(|s| s.start);
        let actual = sessions_of(r, &Filter::default());
        assert_eq!(actual.len(), expected.len(), "{when}");
        for (a, e) in actual.iter().zip(&expected) {
            assert_eq!(a, e, "{when}: session {}", e.session_id);
        }

        let want_pages = expected_pages(&sessions, &rage);
        let actual_pages = pages_of(r, &Filter::default(), None);
        assert_eq!(actual_pages.len(), want_pages.len(), "{when}");
        for (a, e) in actual_pages.iter().zip(&want_pages) {
            assert_eq!(a, e, "{when}: page {}", e.page);
        }

        let mut raw: Vec<(&EventBatch, &Event)> = sessions
            .iter()
            .flat_map(|b| b.events.iter().map(move |e| (b, e)))
            .collect();
        raw.sort_by_key(|(_, e)| e.ts);
        let stored = events_of(r, &Filter::default());
        assert_eq!(stored.len(), raw.len(), "{when}");
        for (s, (b, e)) in stored.iter().zip(&raw) {
            assert_eq!(&s.event, *e, "{when}: event {}", e.id);
            assert_eq!(
                (&s.site, &s.session_id, &s.visitor_id),
                (&b.site, &b.session_id, &b.visitor_id)
            );
            assert_eq!(
                s.rage_click,
                rage.contains(&e.id),
                "{when}: rage flag of {}",
                e.id
            );
        }

        let o = r.overview(&Filter::default()).expect("overview");
        let visitors: BTreeSet<&str> = sessions.iter().map(|b| b.visitor_id.as_str()).collect();
        assert_eq!(o.visitors, visitors.len() as u64, "{when}");
        assert_eq!(o.sessions, expected.len() as u64, "{when}");
        assert_eq!(
            o.page_views,
            expected.iter().map(|s| s.page_views).sum::<u64>(),
            "{when}"
        );
        assert_eq!(
            o.clicks,
            expected.iter().map(|s| s.clicks).sum::<u64>(),
            "{when}"
        );
        let viewed = expected.iter().filter(|s| s.page_views > 0).count() as f64;
        let bounced = expected.iter().filter(|s| s.bounced).count() as f64;
        assert_close(o.bounce_rate, bounced / viewed, "bounce rate");
        let durations: i64 = expected.iter().map(|s| s.duration_ms).sum();
        assert_close(
            o.mean_duration_ms,
            durations as f64 / expected.len() as f64,
            "mean duration",
        );
    };
    check(&*r, "after the shuffled pieces");

    let want: Vec<_> = pieces.iter().map(|p| outcome(0, p.events.len())).collect();
    assert_eq!(append(&mut *w, &pieces), want);
    check(&*r, "after resending every piece");
}
