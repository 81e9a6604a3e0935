//! The overview: totals, the series and the top lists, filtered and not,
//! and an empty store.

use super::fixtures::*;
use super::reading::*;
use super::StoreFactory;
use shared::event::DeviceClass;
use shared::store::query::*;

/// Checks that `counts` is ordered by count and holds exactly `want` (ties in
/// any order).
#[track_caller]
fn assert_ranked(counts: &[Count], want: &[(&str, u64)], what: &str) {
    for pair in counts.windows(2) {
        assert!(
            pair[0].count >= pair[1].count,
            "{what} not by count: {counts:?}"
        );
    }
    let mut actual: Vec<(String, u64)> =
        counts.iter().map(|c| (c.label.clone(), c.count)).collect();
    let mut want: Vec<(String, u64)> = want.iter().map(|(l, c)| ((*l).to_owned(), *c)).collect();
    actual.sort();
    want.sort();
    assert_eq!(actual, want, "{what}");
}

fn counts(list: &[(&str, u64)]) -> Vec<Count> {
    list.iter()
        .map(|(label, count)| Count {
            label: (*label).to_owned(),
            count: *count,
        })
        .collect()
}

/// The series: consecutive buckets, each holding exactly the sessions (and
/// their page views) that started in it.
#[track_caller]
fn assert_series(o: &Overview, sessions: &[SessionSummary]) {
    assert!(o.bucket_ms > 0);
    for pair in o.series.windows(2) {
        assert_eq!(
            pair[1].start - pair[0].start,
            o.bucket_ms,
            "buckets are consecutive"
        );
    }
    for point in &o.series {
        let inside: Vec<&SessionSummary> = sessions
            .iter()
            .filter(|s| s.start >= point.start && s.start < point.start + o.bucket_ms)
            .collect();
        assert_eq!(
            point.sessions,
            inside.len() as u64,
            "sessions of bucket {}",
            point.start
        );
        let views: u64 = inside.iter().map(|s| s.page_views).sum();
        assert_eq!(
            point.page_views, views,
            "page views of bucket {}",
            point.start
        );
    }
    assert_eq!(o.series.iter().map(|p| p.sessions).sum::<u64>(), o.sessions);
    assert_eq!(
        o.series.iter().map(|p| p.page_views).sum::<u64>(),
        o.page_views
    );
}

/// Totals, series and top lists, unfiltered and filtered.
pub fn case_overview(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    load(&mut *w, &standard_batches());
    let summaries = standard_summaries();

    let o = r.overview(&Filter::default()).expect("overview");
    assert_eq!(
        (o.visitors, o.sessions, o.page_views, o.clicks),
        (4, 6, 9, 6)
    );
    // s2 and s4 bounced, of the five sessions with a page view.
    assert_close(o.bounce_rate, 0.4, "bounce rate");
    // (60000 + 300000 + 1600 + 130000 + 2000 + 500) / 6
    assert_close(o.mean_duration_ms, 82_350.0, "mean duration");
    assert_series(&o, &summaries);
    assert_eq!(
        o.top_pages,
        counts(&[
            ("shop.example/", 2),
            ("shop.example/product/1", 2),
            ("blog.example/post/1", 1),
            ("blog.example/post/2", 1),
            ("shop.example/cart", 1),
            ("shop.example/product/1/reviews", 1),
            ("shop.example/product/2", 1),
        ])
    );
    assert_ranked(
        &o.top_referrers,
        &[
            ("news.example", 3),
            (DIRECT_REFERRER, 2),
            ("search.example", 1),
        ],
        "referrers",
    );
    assert_ranked(
        &o.devices,
        &[("desktop", 4), ("tablet", 1), ("mobile", 1)],
        "devices",
    );
    assert_ranked(
        &o.browsers,
        &[("Chrome", 3), ("Firefox", 2), ("Safari", 1)],
        "browsers",
    );

    let desktop = Filter {
        device: Some(DeviceClass::Desktop),
        ..Filter::default()
    };
    let o = r.overview(&desktop).expect("overview of desktop");
    assert_eq!(
        (o.visitors, o.sessions, o.page_views, o.clicks),
        (2, 4, 7, 3)
    );
    assert_close(o.bounce_rate, 0.0, "bounce rate of desktop");
    // (60000 + 300000 + 130000 + 500) / 4
    assert_close(o.mean_duration_ms, 122_625.0, "mean duration of desktop");
    let desktop_sessions: Vec<SessionSummary> = summaries
        .iter()
        .filter(|s| s.client.device == DeviceClass::Desktop)
        .cloned()
        .collect();
    assert_series(&o, &desktop_sessions);
    assert_eq!(
        o.top_pages,
        counts(&[
            ("shop.example/", 2),
            ("shop.example/product/1", 2),
            ("blog.example/post/1", 1),
            ("blog.example/post/2", 1),
            ("shop.example/cart", 1),
        ])
    );
    assert_ranked(
        &o.top_referrers,
        &[("news.example", 2), (DIRECT_REFERRER, 2)],
        "referrers of desktop",
    );
    assert_ranked(&o.devices, &[("desktop", 4)], "devices of desktop");
    assert_ranked(
        &o.browsers,
        &[("Chrome", 3), ("Firefox", 1)],
        "browsers of desktop",
    );

    let o = r.overview(&site("blog")).expect("overview of blog");
    assert_eq!(
        (o.visitors, o.sessions, o.page_views, o.clicks),
        (1, 1, 2, 0)
    );
    assert_close(o.bounce_rate, 0.0, "bounce rate of blog");
    assert_close(o.mean_duration_ms, 300_000.0, "mean duration of blog");
    assert_eq!(
        o.top_pages,
        counts(&[("blog.example/post/1", 1), ("blog.example/post/2", 1)])
    );

    // Sessions that started in [1 h, 3 h): s2 and s3.
    let window = range(Some(T0 + HOUR), Some(T0 + 3 * HOUR));
    let o = r.overview(&window).expect("overview of a range");
    assert_eq!(
        (o.visitors, o.sessions, o.page_views, o.clicks),
        (2, 2, 3, 3)
    );
    assert_close(o.bounce_rate, 0.5, "bounce rate of the range");
    assert_close(o.mean_duration_ms, 65_800.0, "mean duration of the range");
    let in_window: Vec<SessionSummary> = summaries[2..4].to_vec();
    assert_series(&o, &in_window);
    if let (Some(first), Some(last)) = (o.series.first(), o.series.last()) {
        assert!(first.start <= T0 + HOUR && last.start + o.bucket_ms >= T0 + 3 * HOUR);
    }
    assert_ranked(
        &o.top_referrers,
        &[("search.example", 1), (DIRECT_REFERRER, 1)],
        "referrers of the range",
    );
}

/// An empty store answers with zeros and empty lists.
pub fn case_overview_empty_store(factory: &dyn StoreFactory) {
    let (_w, r) = factory.open();
    for filter in [
        Filter::default(),
        range(Some(T0), Some(T0 + HOUR)),
        Filter {
            device: Some(DeviceClass::Mobile),
            ..site("shop")
        },
    ] {
        let o = r.overview(&filter).expect("overview of an empty store");
        assert_eq!(
            (o.visitors, o.sessions, o.page_views, o.clicks),
            (0, 0, 0, 0)
        );
        assert_eq!((o.bounce_rate, o.mean_duration_ms), (0.0, 0.0));
        assert!(o
            .series
            .iter()
            .all(|p| p.sessions == 0 && p.page_views == 0));
        assert!(o.top_pages.is_empty() && o.top_referrers.is_empty());
        assert!(o.devices.is_empty() && o.browsers.is_empty());
        let page = r
            .sessions(&filter, by_start(), EVERYTHING)
            .expect("sessions");
        assert_eq!((page.total, page.rows.len()), (0, 0));
        assert!(pages_of(&*r, &filter, None).is_empty());
        assert!(events_of(&*r, &filter).is_empty());
    }
    assert!(journey_of(&*r, None, "s1").is_none());
    let tail = r.live_tail(None, 10).expect("live tail");
    assert!(tail.events.is_empty());
}
