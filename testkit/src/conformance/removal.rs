//! Removal: deleting one visitor and expiring by age leave a store that
//! answers exactly like one that never stored what was removed.

use super::fixtures::*;
use super::generated::generate_sessions;
use super::heatmap::{assert_heatmap, heatmap_of, multi_day_clicks};
use super::reading::*;
use super::StoreFactory;
use fastrand::Rng;
use shared::event::{DeviceClass, EventBatch};
use shared::store::core::flows::paths;
use shared::store::flow_query::{Direction, PathsQuery};
use shared::store::query::*;
use shared::store::{EventReader, EventWriter};

/// The removal fixture in commits: generated sessions over a few hours and
/// multi-day clicks with rage bursts completed by a later commit.
///
/// The seed is one whose sessions give what the cases check they have:
/// visitor `v3` on both sites, and a session across the retention cutoff.
fn removal_commits() -> Vec<Vec<EventBatch>> {
    let (sessions, _) = generate_sessions(&mut Rng::with_seed(0x0de1_e7e6));
    let mut commits: Vec<Vec<EventBatch>> = sessions.chunks(5).map(<[_]>::to_vec).collect();
    commits.extend(multi_day_clicks());
    commits
}

/// Loads `commits` keeping only the batches `keep` accepts.
fn load_kept(
    w: &mut dyn EventWriter,
    commits: &[Vec<EventBatch>],
    keep: &dyn Fn(&EventBatch) -> bool,
) {
    for commit in commits {
        let kept: Vec<EventBatch> = commit.iter().filter(|b| keep(b)).cloned().collect();
        if !kept.is_empty() {
            load(w, &kept);
        }
    }
}

/// Every read of `a` equals the same read of `b` (event cursors aside).
#[track_caller]
fn assert_same_reads(a: &dyn EventReader, b: &dyn EventReader, what: &str) {
    const DAY: i64 = 24 * HOUR;
    let ranges = [
        TimeRange::ALL,
        TimeRange {
            from: Some(T0 + HOUR),
            to: None,
        },
        TimeRange {
            from: Some(T0 - DAY / 2),
            to: Some(T0 + 2 * DAY + 7 * MIN),
        },
    ];
    let filters: Vec<Filter> = ranges
        .iter()
        .flat_map(|&range| {
            [
                Filter {
                    range,
                    ..Filter::default()
                },
                Filter {
                    range,
                    ..site("shop")
                },
                Filter {
                    range,
                    device: Some(DeviceClass::Desktop),
                    ..Filter::default()
                },
            ]
        })
        .collect();
    for filter in &filters {
        let w = format!("{what}, {filter:?}");
        assert_eq!(
            a.overview(filter).expect("overview"),
            b.overview(filter).expect("overview"),
            "overview {w}"
        );
        for key in [
            SessionSortKey::Start,
            SessionSortKey::Events,
            SessionSortKey::Entry,
        ] {
            let sort = Sort {
                key,
                descending: true,
            };
            assert_eq!(
                a.sessions(filter, sort, EVERYTHING).expect("sessions"),
                b.sessions(filter, sort, EVERYTHING).expect("sessions"),
                "sessions by {key:?} {w}"
            );
        }
        let by_views = Sort {
            key: PageSortKey::Views,
            descending: true,
        };
        assert_eq!(
            a.pages(filter, None, by_views, EVERYTHING).expect("pages"),
            b.pages(filter, None, by_views, EVERYTHING).expect("pages"),
            "pages {w}"
        );
        for segment in [WidthSegment::All, WidthSegment::Mobile] {
            for pages in ["/product/*", "**"] {
                let h = |r: &dyn EventReader| heatmap_of(r, pages, filter.clone(), segment, 61);
                assert_heatmap(&h(a), &h(b), &format!("heatmap {pages} {segment:?} {w}"));
            }
        }
        // Paths read the steps each session keeps apart from its events.
        let flows = |r: &dyn EventReader| {
            let query = PathsQuery {
                filter: filter.clone(),
                start: None,
                direction: Direction::Forward,
                depth: 4,
                branches: 10,
            };
            paths(&r.steps(filter).expect("steps"), &query)
        };
        assert_eq!(flows(a), flows(b), "paths {w}");
        let events = |r: &dyn EventReader| -> Vec<StoredEvent> {
            let mut events = r.events(filter, EVERYTHING).expect("events");
            for e in &mut events {
                e.cursor.clear();
            }
            events
        };
        assert_eq!(events(a), events(b), "events {w}");
    }
    let sessions = b
        .sessions(&Filter::default(), by_start(), EVERYTHING)
        .expect("sessions");
    for s in sessions.rows {
        let session = SessionRef {
            site: Some(s.site.clone()),
            session_id: s.session_id.clone(),
        };
        let strip = |j: Option<Journey>| {
            j.map(|mut j| {
                j.steps.iter_mut().for_each(|e| e.cursor.clear());
                j
            })
        };
        assert_eq!(
            strip(a.journey(&session).expect("journey")),
            strip(b.journey(&session).expect("journey")),
            "journey {} {what}",
            s.session_id
        );
    }
}

/// Deleting a visitor removes their sessions, events and every rollup share:
/// the store then answers exactly like one that never stored them, and their
/// journeys are gone. Other sites' visitors with the same id stay.
pub fn case_delete_visitor(factory: &dyn StoreFactory) {
    let commits = removal_commits();
    let doomed = |b: &EventBatch| b.site == "shop" && b.visitor_id == "v3";
    let doomed_events: usize = commits
        .iter()
        .flatten()
        .filter(|b| doomed(b))
        .map(|b| b.events.len())
        .sum();
    assert!(doomed_events > 0, "the fixture has no events of shop/v3");
    assert!(
        commits
            .iter()
            .flatten()
            .any(|b| b.site == "blog" && b.visitor_id == "v3"),
        "the fixture has no v3 on the other site"
    );

    let (mut full, full_r) = factory.open();
    load_kept(&mut *full, &commits, &|_| true);
    let removed = full.delete_visitor("shop", "v3").expect("delete visitor");
    assert_eq!(removed, doomed_events as u64);
    assert_eq!(
        full.delete_visitor("shop", "v3").expect("again"),
        0,
        "nothing left to delete"
    );
    assert_eq!(
        full.delete_visitor("nosuch", "v1").expect("unknown site"),
        0
    );

    let (mut kept, kept_r) = factory.open();
    load_kept(&mut *kept, &commits, &|b| !doomed(b));
    assert_same_reads(&*full_r, &*kept_r, "after deleting shop/v3");
    for b in commits.iter().flatten().filter(|b| doomed(b)) {
        let session = SessionRef {
            site: Some("shop".into()),
            session_id: b.session_id.clone(),
        };
        assert_eq!(
            full_r.journey(&session).expect("journey"),
            None,
            "{}",
            b.session_id
        );
    }

    // The same visitor may come back: a new session is stored afresh.
    let back = batch(
        "shop",
        "back",
        "v3",
        &chrome(),
        vec![page_view("back-1", T0, HOME, None)],
    );
    load(&mut *full, std::slice::from_ref(&back));
    load(&mut *kept, &[back]);
    assert_same_reads(&*full_r, &*kept_r, "after v3 came back");
}

/// Removing clicks takes back what a sum cannot: the page height and an
/// element's label (the greatest) come again from the clicks that stay, on
/// a day the writer packed and on today's.
pub fn case_delete_visitor_takes_back_heights_and_labels(factory: &dyn StoreFactory) {
    let url = "https://shop.example/tall";
    let ranges = [
        T0,
        // Today: a day no engine has packed.
        shared::now_ms() - 3_600_000,
    ];
    for (n, ts) in ranges.into_iter().enumerate() {
        let tall = batch(
            "shop",
            &format!("tall-{n}"),
            "v-tall",
            &chrome(),
            vec![on(
                click_sized("t", ts, url, (100, 8_500), 1280, (1280, 9_000)),
                "#buy",
                "zeta",
            )],
        );
        let short = batch(
            "shop",
            &format!("short-{n}"),
            "v-short",
            &chrome(),
            vec![
                on(
                    click_sized("s", ts + 60_000, url, (100, 1_000), 1280, (1280, 4_000)),
                    "#buy",
                    "beta",
                ),
                on(
                    click_sized("s2", ts + 70_000, url, (300, 900), 1280, (1280, 3_000)),
                    "#buy",
                    "alpha",
                ),
            ],
        );
        let heat =
            |r: &dyn EventReader| heatmap_of(r, "/tall", Filter::default(), WidthSegment::All, 61);
        let label = |h: &Heatmap| h.element_clicks.first().and_then(|e| e.label.clone());

        let (mut full, full_r) = factory.open();
        load(&mut *full, &[tall, short.clone()]);
        let before = heat(&*full_r);
        assert_eq!(before.page_height, 9_000, "{n}");
        assert_eq!(label(&before).as_deref(), Some("zeta"), "{n}");

        assert_eq!(full.delete_visitor("shop", "v-tall").expect("delete"), 1);
        let (mut kept, kept_r) = factory.open();
        load(&mut *kept, &[short]);
        let after = heat(&*full_r);
        assert_eq!(after.page_height, 4_000, "{n}");
        assert_eq!(label(&after).as_deref(), Some("beta"), "{n}");
        assert_heatmap(
            &after,
            &heat(&*kept_r),
            &format!("{n}: after the tall visitor left"),
        );
    }
}

/// Retention removes whole sessions whose last event is older than the
/// cutoff, exactly like deleting them; younger sessions stay whole, even
/// those that started before the cutoff.
pub fn case_expire_before(factory: &dyn StoreFactory) {
    let commits = removal_commits();
    let end = |b: &EventBatch| -> i64 {
        commits
            .iter()
            .flatten()
            .filter(|o| o.site == b.site && o.session_id == b.session_id)
            .flat_map(|o| o.events.iter().map(|e| e.ts))
            .max()
            .unwrap_or(i64::MIN)
    };
    let mut ends: Vec<i64> = commits.iter().flatten().map(end).collect();
    ends.sort_unstable();
    let cutoff = ends[ends.len() / 2];
    let straddles = commits
        .iter()
        .flatten()
        .any(|b| end(b) >= cutoff && b.events.iter().any(|e| e.ts < cutoff));
    assert!(straddles, "the fixture has no session across the cutoff");

    let (mut full, full_r) = factory.open();
    load_kept(&mut *full, &commits, &|_| true);
    let expired_events: usize = commits
        .iter()
        .flatten()
        .filter(|b| end(b) < cutoff)
        .map(|b| b.events.len())
        .sum();
    assert_eq!(
        full.expire_before(cutoff).expect("expire"),
        expired_events as u64
    );
    assert_eq!(full.expire_before(cutoff).expect("expire again"), 0);

    let (mut kept, kept_r) = factory.open();
    load_kept(&mut *kept, &commits, &|b| end(b) >= cutoff);
    assert_same_reads(
        &*full_r,
        &*kept_r,
        &format!("after expiring before {cutoff}"),
    );

    assert!(full.expire_before(i64::MAX).expect("expire all") > 0);
    let (_, empty_r) = factory.open();
    assert_same_reads(&*full_r, &*empty_r, "after expiring everything");
}
