//! The session list: every filter condition, every sort key, paging.

use super::fixtures::*;
use super::reading::*;
use super::StoreFactory;
use shared::event::DeviceClass;
use shared::store::query::*;

/// Every filter condition of the session list, alone and combined.
pub fn case_sessions_filters(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    load(&mut *w, &standard_batches());
    let all = Filter::default();
    let cases: Vec<(Filter, &[&str])> = vec![
        (all.clone(), &["s1", "s2", "s3", "s4", "s5", "s6"]),
        (site("shop"), &["s1", "s2", "s3", "s4", "s5"]),
        (site("blog"), &["s6"]),
        (site("nosuch"), &[]),
        (range(Some(T0 + HOUR), Some(T0 + 3 * HOUR)), &["s2", "s3"]),
        (range(Some(T0 + 3 * HOUR), None), &["s4", "s5"]),
        (range(None, Some(T0 + HOUR)), &["s1", "s6"]),
        (range(Some(T0 + 5 * HOUR), None), &[]),
        (
            Filter {
                device: Some(DeviceClass::Mobile),
                ..all.clone()
            },
            &["s2"],
        ),
        (
            Filter {
                device: Some(DeviceClass::Tablet),
                ..all.clone()
            },
            &["s4"],
        ),
        (
            Filter {
                device: Some(DeviceClass::Desktop),
                ..all.clone()
            },
            &["s1", "s3", "s5", "s6"],
        ),
        (
            Filter {
                device: Some(DeviceClass::Bot),
                ..all.clone()
            },
            &[],
        ),
        (
            Filter {
                browser: some("Firefox"),
                ..all.clone()
            },
            &["s4", "s5"],
        ),
        (
            Filter {
                browser: some("firefox"),
                ..all.clone()
            },
            &["s4", "s5"],
        ),
        (
            Filter {
                browser: some("Safari"),
                ..all.clone()
            },
            &["s2"],
        ),
        (
            Filter {
                browser: some("Edge"),
                ..all.clone()
            },
            &[],
        ),
        (
            Filter {
                referrer: some("news.example"),
                ..all.clone()
            },
            &["s1", "s4", "s6"],
        ),
        (
            Filter {
                referrer: some("NEWS.example"),
                ..all.clone()
            },
            &["s1", "s4", "s6"],
        ),
        (
            Filter {
                referrer: some(DIRECT_REFERRER),
                ..all.clone()
            },
            &["s3", "s5"],
        ),
        (
            // Direct visits are named in any case, as referrers are.
            Filter {
                referrer: some("Direct"),
                ..all.clone()
            },
            &["s3", "s5"],
        ),
        (
            Filter {
                referrer: some("search.example"),
                ..all.clone()
            },
            &["s2"],
        ),
        (
            Filter {
                entry_page: pattern("/product/*"),
                ..all.clone()
            },
            &["s2"],
        ),
        (
            Filter {
                entry_page: pattern("/product/**"),
                ..all.clone()
            },
            &["s2", "s4"],
        ),
        (
            Filter {
                entry_page: pattern("shop.example/"),
                ..all.clone()
            },
            &["s1", "s3"],
        ),
        (
            Filter {
                entry_page: pattern("/"),
                ..all.clone()
            },
            &["s1", "s3"],
        ),
        (
            Filter {
                entry_page: pattern("blog.example/**"),
                ..all.clone()
            },
            &["s6"],
        ),
        (
            Filter {
                min_duration_ms: Some(MIN),
                ..all.clone()
            },
            &["s1", "s3", "s6"],
        ),
        (
            Filter {
                min_duration_ms: Some(MIN + 1),
                ..all.clone()
            },
            &["s3", "s6"],
        ),
        (
            Filter {
                min_events: Some(3),
                ..all.clone()
            },
            &["s1", "s2", "s3"],
        ),
        (
            Filter {
                min_events: Some(4),
                ..all.clone()
            },
            &["s1", "s2"],
        ),
        (
            Filter {
                bounced: Some(true),
                ..all.clone()
            },
            &["s2", "s4"],
        ),
        (
            Filter {
                bounced: Some(false),
                ..all.clone()
            },
            &["s1", "s3", "s5", "s6"],
        ),
        (
            Filter {
                has_rage_clicks: Some(true),
                ..all.clone()
            },
            &["s2"],
        ),
        (
            Filter {
                has_rage_clicks: Some(false),
                ..all.clone()
            },
            &["s1", "s3", "s4", "s5", "s6"],
        ),
        (
            Filter {
                clicked_page: pattern("/product/*"),
                ..all.clone()
            },
            &["s1", "s2"],
        ),
        (
            Filter {
                clicked_page: pattern("shop.example/"),
                ..all.clone()
            },
            &["s1", "s5"],
        ),
        (
            Filter {
                clicked_page: pattern("/cart"),
                ..all.clone()
            },
            &[],
        ),
        (
            Filter {
                device: Some(DeviceClass::Desktop),
                referrer: some(DIRECT_REFERRER),
                ..site("shop")
            },
            &["s3", "s5"],
        ),
        (
            Filter {
                range: TimeRange {
                    from: Some(T0),
                    to: Some(T0 + 2 * HOUR),
                },
                bounced: Some(false),
                ..site("shop")
            },
            &["s1"],
        ),
    ];
    for (filter, want) in cases {
        assert_eq!(session_ids(&*r, &filter), want, "{filter:?}");
    }
}

fn session_sort_value(key: SessionSortKey, s: &SessionSummary) -> SortValue {
    use SortValue::*;
    match key {
        SessionSortKey::Start => Int(s.start),
        SessionSortKey::Duration => Int(s.duration_ms),
        SessionSortKey::Events => Int(s.events as i64),
        SessionSortKey::Pages => Int(s.page_views as i64),
        SessionSortKey::Clicks => Int(s.clicks as i64),
        SessionSortKey::Entry => Text(s.entry_page.clone()),
        SessionSortKey::Exit => Text(s.exit_page.clone()),
        SessionSortKey::Device => Device(s.client.device),
        SessionSortKey::Browser => Text(Some(s.client.browser.clone())),
        SessionSortKey::Referrer => Text(s.referrer.clone()),
        SessionSortKey::RageClicks => Int(s.rage_clicks as i64),
        SessionSortKey::Frustration => Int(s.frustration() as i64),
    }
}

/// Every session sort key, both directions; ties ordered by session id,
/// then site, in the sort's direction.
pub fn case_sessions_sort(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    load(&mut *w, &standard_batches());
    let all = Filter::default();
    let sorted = |key, descending| {
        let page = r
            .sessions(&all, Sort { key, descending }, EVERYTHING)
            .unwrap_or_else(|e| panic!("sessions by {key:?}: {e}"));
        assert_eq!(page.total, 6);
        page.rows
    };
    for key in SessionSortKey::ALL {
        for descending in [false, true] {
            let rows = sorted(key, descending);
            let mut ids: Vec<&str> = rows.iter().map(|s| s.session_id.as_str()).collect();
            ids.sort_unstable();
            assert_eq!(ids, ["s1", "s2", "s3", "s4", "s5", "s6"], "{key:?}");
            // Ties break by session id, then site, in the same direction.
            let values: Vec<(SortValue, &str, &str)> = rows
                .iter()
                .map(|s| {
                    (
                        session_sort_value(key, s),
                        s.session_id.as_str(),
                        s.site.as_str(),
                    )
                })
                .collect();
            assert_ordered(
                &values,
                descending,
                &format!("{key:?} descending={descending}"),
            );
        }
    }
    let order = |key, descending| -> Vec<String> {
        sorted(key, descending)
            .into_iter()
            .map(|s| s.session_id)
            .collect()
    };
    assert_eq!(
        order(SessionSortKey::Start, false),
        ["s1", "s6", "s2", "s3", "s4", "s5"]
    );
    assert_eq!(
        order(SessionSortKey::Start, true),
        ["s5", "s4", "s3", "s2", "s6", "s1"]
    );
    assert_eq!(
        order(SessionSortKey::Duration, false),
        ["s5", "s2", "s4", "s1", "s3", "s6"]
    );
    assert_eq!(
        order(SessionSortKey::Duration, true),
        ["s6", "s3", "s1", "s4", "s2", "s5"]
    );
    let devices: Vec<DeviceClass> = sorted(SessionSortKey::Device, false)
        .iter()
        .map(|s| s.client.device)
        .collect();
    use DeviceClass::{Desktop, Mobile, Tablet};
    assert_eq!(
        devices,
        [Desktop, Desktop, Desktop, Desktop, Tablet, Mobile]
    );
    let entries: Vec<Option<String>> = sorted(SessionSortKey::Entry, false)
        .into_iter()
        .map(|s| s.entry_page)
        .collect();
    assert_eq!(entries[0], None, "no entry page sorts first");
    assert_eq!(entries[5].as_deref(), Some("shop.example/product/2"));
    let referrers: Vec<Option<String>> = sorted(SessionSortKey::Referrer, true)
        .into_iter()
        .map(|s| s.referrer)
        .collect();
    assert_eq!(
        referrers,
        [
            some("search.example"),
            some("news.example"),
            some("news.example"),
            some("news.example"),
            None,
            None
        ]
    );
    assert_eq!(order(SessionSortKey::RageClicks, true)[0], "s2");
    assert_eq!(order(SessionSortKey::Events, true)[..3], ["s1", "s2", "s3"]);
}

/// Offset and limit slice the list; the total does not depend on the slice,
/// and slices never overlap, also when the sort key has ties.
pub fn case_sessions_paging(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    load(&mut *w, &standard_batches());
    let all = Filter::default();
    let slice = |sort, offset, limit| {
        let page = r
            .sessions(&all, sort, PageRequest { offset, limit })
            .unwrap_or_else(|e| panic!("sessions page: {e}"));
        assert_eq!(page.total, 6, "total at offset {offset}");
        page.rows
            .into_iter()
            .map(|s| s.session_id)
            .collect::<Vec<_>>()
    };
    let start = by_start();
    assert_eq!(slice(start, 0, 2), ["s1", "s6"]);
    assert_eq!(slice(start, 2, 2), ["s2", "s3"]);
    assert_eq!(slice(start, 4, 2), ["s4", "s5"]);
    assert!(slice(start, 6, 2).is_empty());
    assert_eq!(slice(start, 5, 10), ["s5"]);
    assert!(slice(start, 0, 0).is_empty());

    let filtered = r
        .sessions(
            &site("shop"),
            start,
            PageRequest {
                offset: 1,
                limit: 2,
            },
        )
        .expect("sessions page");
    assert_eq!(filtered.total, 5);
    let ids: Vec<&str> = filtered
        .rows
        .iter()
        .map(|s| s.session_id.as_str())
        .collect();
    assert_eq!(ids, ["s2", "s3"]);

    // Events has ties (2, 2, 2): pages must still partition the list.
    for descending in [false, true] {
        let sort = Sort {
            key: SessionSortKey::Events,
            descending,
        };
        let whole = slice(sort, 0, 6);
        for limit in [1, 2, 4] {
            let mut joined = Vec::new();
            let mut offset = 0;
            while offset < 6 {
                joined.extend(slice(sort, offset, limit));
                offset += u64::from(limit);
            }
            assert_eq!(joined, whole, "pages of {limit}, descending={descending}");
        }
    }
}
