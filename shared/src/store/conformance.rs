//! The storage conformance suite: the same inputs and the same expected answers
//! for every store engine.
//!
//! An engine's integration test implements [`StoreFactory`] (a fresh, empty
//! store per call) and expands [`conformance_tests!`](crate::conformance_tests),
//! which generates one `#[test]` per case:
//!
//! ```text
//! struct MyFactory;
//! impl shared::store::conformance::StoreFactory for MyFactory {
//!     fn open(&self) -> (Box<dyn EventWriter>, Box<dyn EventReader>) { … }
//! }
//! shared::conformance_tests!(MyFactory);
//! ```
//!
//! A runner that decides at run time (say, only when a server is configured)
//! can loop over [`CASES`] instead.
//!
//! Fixtures have fixed timestamps and ids, and every expected value is written
//! out from the fixture, never read back from a store. Where the query types
//! leave a choice open, the suite fixes it so that every engine answers alike:
//!
//! - the browser and referrer filters ignore ASCII case;
//! - the session list sorts devices in [`DeviceClass`] order and puts missing
//!   values (no entry page, no referrer) first when ascending;
//! - the page list breaks ties by page key, ascending, in both directions, and
//!   puts pages without scroll data first when sorting ascending by depth;
//!   `mean_scroll_depth` is the mean over scroll events;
//! - the overview's top pages are the page list sorted by views, descending;
//! - a heatmap click at or beyond its page's width lands in the last column;
//! - the live tail follows storage order, and an event's `cursor` passed back
//!   gives the events stored after it.

use crate::event::{ClientInfo, DeviceClass, Event, EventBatch, EventKind, Rect, Size, Target};
use crate::page_key::{page_key, url_host, PagePattern, QueryKeepList};
use crate::store::query::*;
use crate::store::{AppendOutcome, EventReader, EventWriter};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Gives each case a fresh, empty store.
pub trait StoreFactory {
    /// A writer and a reader over the same new, empty database.
    fn open(&self) -> (Box<dyn EventWriter>, Box<dyn EventReader>);
}

/// The one list of cases, handed to `$callback` after `$args` and a `;`.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ($callback:ident ! ($($args:tt)*)) => {
        $crate::$callback!($($args)*;
            case_append_outcomes,
            case_duplicates_create_no_sessions,
            case_group_commit,
            case_session_rollups,
            case_out_of_order_batches,
            case_rollups_match_raw_events,
            case_sessions_filters,
            case_sessions_sort,
            case_sessions_paging,
            case_overview,
            case_overview_empty_store,
            case_journey,
            case_pages,
            case_pages_sort_and_paging,
            case_heatmap_grid,
            case_heatmap_segments_range_and_filters,
            case_heatmap_unknown_page,
            case_heatmap_rollups_match_raw_clicks,
            case_delete_visitor,
            case_expire_before,
            case_rage_clicks,
            case_rage_clicks_across_batches,
            case_events_query,
            case_live_tail,
            case_change_token,
            case_strings_round_trip,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_test_fns {
    ($factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::store::conformance::$case(&$factory);
            }
        )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_case_table {
    (; $($case:ident),* $(,)?) => {
        /// Every case with its name, in suite order.
        pub const CASES: &[(&str, fn(&dyn StoreFactory))] =
            &[$((stringify!($case), $case as fn(&dyn StoreFactory))),*];
    };
}

/// Expands to one `#[test]` per conformance case, each opening a fresh store
/// from the given [`StoreFactory`] expression.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::__conformance_cases!(__conformance_test_fns!($factory));
    };
}

crate::__conformance_cases!(__conformance_case_table!());

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

/// 2025-11-24 16:00:00 UTC, on the hour.
const T0: i64 = 1_764_000_000_000;
const SEC: i64 = 1_000;
const MIN: i64 = 60_000;
const HOUR: i64 = 3_600_000;

const HOME: &str = "https://shop.example/";
const P1: &str = "https://shop.example/product/1";
const P2: &str = "https://shop.example/product/2";
const REVIEWS: &str = "https://shop.example/product/1/reviews";
const CART: &str = "https://shop.example/cart";
const POST1: &str = "https://blog.example/post/1";
const POST2: &str = "https://blog.example/post/2";

const EVERYTHING: PageRequest = PageRequest {
    offset: 0,
    limit: 100_000,
};

fn key(url: &str) -> String {
    page_key(url, &QueryKeepList::default()).unwrap_or_else(|e| panic!("fixture URL {url}: {e}"))
}

fn size(width: u32, height: u32) -> Size {
    Size { width, height }
}

fn event(kind: EventKind, id: &str, ts: i64, url: &str) -> Event {
    Event {
        id: id.to_owned(),
        kind,
        ts,
        received_at: ts + 40,
        clock_adjusted: false,
        url: url.to_owned(),
        page_key: key(url),
        title: None,
        referrer: None,
        viewport: Some(size(1280, 720)),
        page: Some(size(1280, 3000)),
        x: None,
        y: None,
        target: None,
        depth: None,
        name: None,
        props: None,
    }
}

fn page_view(id: &str, ts: i64, url: &str, referrer: Option<&str>) -> Event {
    Event {
        title: Some(format!("Title {id}")),
        referrer: referrer.map(str::to_owned),
        ..event(EventKind::PageView, id, ts, url)
    }
}

/// A click on a 1280 × 3000 page seen through a 1280 px wide window.
fn click(id: &str, ts: i64, url: &str, x: i32, y: i32) -> Event {
    Event {
        x: Some(x),
        y: Some(y),
        ..event(EventKind::Click, id, ts, url)
    }
}

/// A click with its viewport width and page size.
fn click_sized(
    id: &str,
    ts: i64,
    url: &str,
    (x, y): (i32, i32),
    vw: u32,
    page: (u32, u32),
) -> Event {
    Event {
        viewport: Some(size(vw, 700)),
        page: Some(size(page.0, page.1)),
        ..click(id, ts, url, x, y)
    }
}

fn on(mut click: Event, selector: &str, label: &str) -> Event {
    click.target = Some(Target {
        selector: Some(selector.to_owned()),
        label: Some(label.to_owned()),
        rect: None,
    });
    click
}

fn scroll(id: &str, ts: i64, url: &str, depth: f64) -> Event {
    Event {
        depth: Some(depth),
        ..event(EventKind::Scroll, id, ts, url)
    }
}

fn custom(id: &str, ts: i64, url: &str, name: &str) -> Event {
    Event {
        name: Some(name.to_owned()),
        props: Some(r#"{"plan":"pro"}"#.to_owned()),
        ..event(EventKind::Custom, id, ts, url)
    }
}

fn client(device: DeviceClass, browser: &str, os: &str) -> ClientInfo {
    ClientInfo {
        device,
        browser: browser.to_owned(),
        os: os.to_owned(),
    }
}

fn chrome() -> ClientInfo {
    client(DeviceClass::Desktop, "Chrome", "Linux")
}

fn batch(
    site: &str,
    session: &str,
    visitor: &str,
    client: &ClientInfo,
    events: Vec<Event>,
) -> EventBatch {
    EventBatch {
        site: site.to_owned(),
        session_id: session.to_owned(),
        visitor_id: visitor.to_owned(),
        client: client.clone(),
        events,
    }
}

/// A session row with nothing counted yet, for struct-update syntax.
fn summary(site: &str, session: &str, visitor: &str, client: ClientInfo) -> SessionSummary {
    SessionSummary {
        site: site.to_owned(),
        session_id: session.to_owned(),
        visitor_id: visitor.to_owned(),
        start: 0,
        end: 0,
        duration_ms: 0,
        events: 0,
        page_views: 0,
        clicks: 0,
        rage_clicks: 0,
        entry_page: None,
        exit_page: None,
        referrer: None,
        client,
        bounced: false,
    }
}

fn stats(page: &str, views: u64, visitors: u64, sessions: u64, clicks: u64) -> PageStats {
    PageStats {
        page: page.to_owned(),
        views,
        visitors,
        sessions,
        clicks,
        mean_scroll_depth: None,
        rage_clicks: 0,
    }
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

fn outcome(inserted: usize, duplicates: usize) -> AppendOutcome {
    AppendOutcome {
        inserted,
        duplicates,
    }
}

fn site(name: &str) -> Filter {
    Filter {
        site: some(name),
        ..Filter::default()
    }
}

fn range(from: Option<i64>, to: Option<i64>) -> Filter {
    Filter {
        range: TimeRange { from, to },
        ..Filter::default()
    }
}

fn pattern(text: &str) -> Option<PagePattern> {
    Some(PagePattern::new(text))
}

/// The standard fixture: five sessions on `shop`, one on `blog`, in seven
/// batches (the first session's later half arrives first). The expected rows
/// are [`standard_summaries`].
///
/// | session | site | visitor | client              | starts     | events                         |
/// |---------|------|---------|---------------------|------------|--------------------------------|
/// | s1      | shop | v1      | desktop Chrome      | T0         | pv / (news), click, pv /product/1, scroll .5, click, pv /cart |
/// | s6      | blog | v1      | desktop Chrome      | T0 + 30 m  | pv /post/1 (news), pv /post/2  |
/// | s2      | shop | v2      | mobile Safari       | T0 + 1 h   | pv /product/2 (search), 3 rage clicks |
/// | s3      | shop | v1      | desktop Chrome      | T0 + 2 h   | pv / (direct), pv /product/1, custom |
/// | s4      | shop | v3      | tablet Firefox      | T0 + 3 h   | pv /product/1/reviews (news), scroll 1 |
/// | s5      | shop | v4      | desktop Firefox     | T0 + 4 h   | custom on /, click on / (no page view) |
fn standard_batches() -> Vec<EventBatch> {
    let safari = client(DeviceClass::Mobile, "Safari", "iOS");
    let tablet = client(DeviceClass::Tablet, "Firefox", "Android");
    let firefox = client(DeviceClass::Desktop, "Firefox", "Windows");
    let s1 = [
        page_view("s1-1", T0, HOME, Some("https://news.example/item?id=1")),
        click("s1-2", T0 + 5 * SEC, HOME, 100, 200),
        page_view("s1-3", T0 + 10 * SEC, P1, Some(HOME)),
        scroll("s1-4", T0 + 20 * SEC, P1, 0.5),
        click("s1-5", T0 + 30 * SEC, P1, 640, 900),
        page_view("s1-6", T0 + MIN, CART, Some(P1)),
    ];
    let t2 = T0 + HOUR;
    let mobile_page = Event {
        viewport: Some(size(375, 667)),
        page: Some(size(375, 2000)),
        ..page_view("s2-1", t2, P2, Some("https://search.example/?q=shoes"))
    };
    let s2 = vec![
        mobile_page,
        click_sized("s2-2", t2 + 1000, P2, (200, 400), 375, (375, 2000)),
        click_sized("s2-3", t2 + 1300, P2, (205, 402), 375, (375, 2000)),
        click_sized("s2-4", t2 + 1600, P2, (198, 398), 375, (375, 2000)),
    ];
    let t3 = T0 + 2 * HOUR;
    let s3 = vec![
        page_view("s3-1", t3, HOME, None),
        page_view("s3-2", t3 + 2 * MIN, P1, Some(HOME)),
        custom("s3-3", t3 + 2 * MIN + 10 * SEC, P1, "signup"),
    ];
    let t4 = T0 + 3 * HOUR;
    let s4 = vec![
        page_view("s4-1", t4, REVIEWS, Some("https://news.example/")),
        scroll("s4-2", t4 + 2 * SEC, REVIEWS, 1.0),
    ];
    let t5 = T0 + 4 * HOUR;
    let s5 = vec![
        custom("s5-1", t5, HOME, "ping"),
        click("s5-2", t5 + 500, HOME, 10, 10),
    ];
    let t6 = T0 + 30 * MIN;
    let s6 = vec![
        page_view("s6-1", t6, POST1, Some("https://news.example/")),
        page_view("s6-2", t6 + 5 * MIN, POST2, Some(POST1)),
    ];
    vec![
        batch("shop", "s1", "v1", &chrome(), s1[3..].to_vec()),
        batch("shop", "s1", "v1", &chrome(), s1[..3].to_vec()),
        batch("shop", "s2", "v2", &safari, s2),
        batch("shop", "s3", "v1", &chrome(), s3),
        batch("shop", "s4", "v3", &tablet, s4),
        batch("shop", "s5", "v4", &firefox, s5),
        batch("blog", "s6", "v1", &chrome(), s6),
    ]
}

/// The standard fixture's sessions, by start.
fn standard_summaries() -> Vec<SessionSummary> {
    vec![
        SessionSummary {
            start: T0,
            end: T0 + MIN,
            duration_ms: MIN,
            events: 6,
            page_views: 3,
            clicks: 2,
            entry_page: some("shop.example/"),
            exit_page: some("shop.example/cart"),
            referrer: some("news.example"),
            ..summary("shop", "s1", "v1", chrome())
        },
        SessionSummary {
            start: T0 + 30 * MIN,
            end: T0 + 35 * MIN,
            duration_ms: 5 * MIN,
            events: 2,
            page_views: 2,
            entry_page: some("blog.example/post/1"),
            exit_page: some("blog.example/post/2"),
            referrer: some("news.example"),
            ..summary("blog", "s6", "v1", chrome())
        },
        SessionSummary {
            start: T0 + HOUR,
            end: T0 + HOUR + 1600,
            duration_ms: 1600,
            events: 4,
            page_views: 1,
            clicks: 3,
            rage_clicks: 3,
            entry_page: some("shop.example/product/2"),
            exit_page: some("shop.example/product/2"),
            referrer: some("search.example"),
            bounced: true,
            ..summary(
                "shop",
                "s2",
                "v2",
                client(DeviceClass::Mobile, "Safari", "iOS"),
            )
        },
        SessionSummary {
            start: T0 + 2 * HOUR,
            end: T0 + 2 * HOUR + 130 * SEC,
            duration_ms: 130 * SEC,
            events: 3,
            page_views: 2,
            entry_page: some("shop.example/"),
            exit_page: some("shop.example/product/1"),
            ..summary("shop", "s3", "v1", chrome())
        },
        SessionSummary {
            start: T0 + 3 * HOUR,
            end: T0 + 3 * HOUR + 2 * SEC,
            duration_ms: 2 * SEC,
            events: 2,
            page_views: 1,
            entry_page: some("shop.example/product/1/reviews"),
            exit_page: some("shop.example/product/1/reviews"),
            referrer: some("news.example"),
            bounced: true,
            ..summary(
                "shop",
                "s4",
                "v3",
                client(DeviceClass::Tablet, "Firefox", "Android"),
            )
        },
        SessionSummary {
            start: T0 + 4 * HOUR,
            end: T0 + 4 * HOUR + 500,
            duration_ms: 500,
            events: 2,
            clicks: 1,
            ..summary(
                "shop",
                "s5",
                "v4",
                client(DeviceClass::Desktop, "Firefox", "Windows"),
            )
        },
    ]
}

/// The standard fixture's pages, by key.
fn standard_pages() -> Vec<PageStats> {
    vec![
        stats("blog.example/post/1", 1, 1, 1, 0),
        stats("blog.example/post/2", 1, 1, 1, 0),
        // s1 (view, click), s3 (view), s5 (click, custom); visitors v1 and v4.
        stats("shop.example/", 2, 2, 3, 2),
        stats("shop.example/cart", 1, 1, 1, 0),
        PageStats {
            mean_scroll_depth: Some(0.5),
            ..stats("shop.example/product/1", 2, 1, 2, 1)
        },
        PageStats {
            mean_scroll_depth: Some(1.0),
            ..stats("shop.example/product/1/reviews", 1, 1, 1, 0)
        },
        PageStats {
            rage_clicks: 3,
            ..stats("shop.example/product/2", 1, 1, 1, 3)
        },
    ]
}

// ---------------------------------------------------------------------------
// Reading helpers
// ---------------------------------------------------------------------------

#[track_caller]
fn append(w: &mut dyn EventWriter, batches: &[EventBatch]) -> Vec<AppendOutcome> {
    w.append(batches)
        .unwrap_or_else(|e| panic!("append failed: {e}"))
}

/// Appends `batches` in one call and checks that every event was new.
#[track_caller]
fn load(w: &mut dyn EventWriter, batches: &[EventBatch]) {
    let want: Vec<_> = batches.iter().map(|b| outcome(b.events.len(), 0)).collect();
    assert_eq!(append(w, batches), want, "loading a fresh fixture");
}

fn by_start() -> Sort<SessionSortKey> {
    Sort {
        key: SessionSortKey::Start,
        descending: false,
    }
}

/// Every session matching `filter`, by start; checks `total`.
#[track_caller]
fn sessions_of(r: &dyn EventReader, filter: &Filter) -> Vec<SessionSummary> {
    let page = r
        .sessions(filter, by_start(), EVERYTHING)
        .unwrap_or_else(|e| panic!("sessions({filter:?}): {e}"));
    assert_eq!(page.total, page.rows.len() as u64, "total of {filter:?}");
    page.rows
}

/// Sorted ids of the sessions matching `filter`.
#[track_caller]
fn session_ids(r: &dyn EventReader, filter: &Filter) -> Vec<String> {
    let mut ids: Vec<String> = sessions_of(r, filter)
        .into_iter()
        .map(|s| s.session_id)
        .collect();
    ids.sort();
    ids
}

#[track_caller]
fn the_session(r: &dyn EventReader, site_name: &str, id: &str) -> SessionSummary {
    sessions_of(r, &site(site_name))
        .into_iter()
        .find(|s| s.session_id == id)
        .unwrap_or_else(|| panic!("no session {site_name}/{id}"))
}

/// Every page matching `filter` and `pattern`, by key.
#[track_caller]
fn pages_of(r: &dyn EventReader, filter: &Filter, pattern: Option<&str>) -> Vec<PageStats> {
    let pattern = pattern.map(PagePattern::new);
    let sort = Sort {
        key: PageSortKey::Page,
        descending: false,
    };
    r.pages(filter, pattern.as_ref(), sort, EVERYTHING)
        .unwrap_or_else(|e| panic!("pages({filter:?}, {pattern:?}): {e}"))
}

#[track_caller]
fn events_of(r: &dyn EventReader, filter: &Filter) -> Vec<StoredEvent> {
    r.events(filter, EVERYTHING)
        .unwrap_or_else(|e| panic!("events({filter:?}): {e}"))
}

fn ids_of(events: &[StoredEvent]) -> Vec<&str> {
    events.iter().map(|e| e.event.id.as_str()).collect()
}

#[track_caller]
fn journey_of(r: &dyn EventReader, site_name: Option<&str>, session: &str) -> Option<Journey> {
    r.journey(&SessionRef {
        site: site_name.map(str::to_owned),
        session_id: session.to_owned(),
    })
    .unwrap_or_else(|e| panic!("journey({site_name:?}, {session}): {e}"))
}

#[track_caller]
fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{what}: {actual} != {expected}"
    );
}

/// The events of `batches` that must come back from a store, by id.
fn fixture_events(batches: &[EventBatch]) -> BTreeMap<String, (&EventBatch, &Event)> {
    batches
        .iter()
        .flat_map(|b| b.events.iter().map(move |e| (e.id.clone(), (b, e))))
        .collect()
}

/// Checks that each stored event is the appended one, in its session.
#[track_caller]
fn assert_round_trip(stored: &[StoredEvent], batches: &[EventBatch]) {
    let sent = fixture_events(batches);
    for s in stored {
        let (b, e) = sent
            .get(&s.event.id)
            .unwrap_or_else(|| panic!("unknown event {}", s.event.id));
        assert_eq!(&s.event, *e, "stored event {}", e.id);
        assert_eq!(
            (
                s.site.as_str(),
                s.session_id.as_str(),
                s.visitor_id.as_str()
            ),
            (
                b.site.as_str(),
                b.session_id.as_str(),
                b.visitor_id.as_str()
            ),
            "session of event {}",
            e.id
        );
    }
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------

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

/// A fixed-seed generator (PCG multiplier), so fixtures need no crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    fn below(&mut self, n: usize) -> usize {
        self.next() as usize % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Sessions of pseudo-random events: one batch per session, in time order,
/// and the ids of the clicks that form rage-click bursts.
///
/// Every timestamp is unique (`ts ≡ session index mod 16`). Steps of a session
/// are at least 1.6 s apart, and a burst is 3 or 4 clicks 160 ms apart within
/// 8 px of each other, so the rage clicks are exactly the burst clicks however
/// the events arrive.
fn generate_sessions(rng: &mut Lcg) -> (Vec<EventBatch>, HashSet<String>) {
    const SESSIONS: i64 = 12;
    let shop_paths = [
        "/",
        "/product/1",
        "/product/2",
        "/product/1/reviews",
        "/cart",
    ];
    let blog_paths = ["/", "/post/1", "/post/2"];
    let clients = [
        chrome(),
        client(DeviceClass::Mobile, "Safari", "iOS"),
        client(DeviceClass::Tablet, "Firefox", "Android"),
    ];
    let selectors = ["#buy", "nav>a", "footer a"];
    let mut sessions = Vec::new();
    let mut rage = HashSet::new();
    for i in 0..SESSIONS {
        let (site_name, host, paths) = if i % 4 == 3 {
            ("blog", "https://blog.example", &blog_paths[..])
        } else {
            ("shop", "https://shop.example", &shop_paths[..])
        };
        let internal = format!("{host}/");
        let referrers = [
            None,
            Some("https://news.example/a"),
            Some("https://Search.Example/q?x=1"),
            Some(internal.as_str()),
        ];
        let visitor = format!("v{}", rng.below(7));
        let client = rng.pick(&clients).clone();
        let at = |k: i64| T0 + 16 * k + i;
        let mut k = rng.below(1_000_000) as i64;
        let mut page = format!("{host}{}", rng.pick(paths));
        let mut events: Vec<Event> = Vec::new();
        let steps = 10 + rng.below(25);
        for _ in 0..steps {
            k += 100 + rng.below(300) as i64;
            let id = format!("g{i}-{}", events.len());
            match rng.below(100) {
                0..=24 => {
                    page = format!("{host}{}", rng.pick(paths));
                    let referrer = *rng.pick(&referrers);
                    events.push(page_view(&id, at(k), &page, referrer));
                }
                25..=49 => {
                    let vw = *rng.pick(&[1280, 800, 375]);
                    let xy = (rng.below(1280) as i32, rng.below(4000) as i32);
                    let c = click_sized(&id, at(k), &page, xy, vw, (vw, 4000));
                    let selector = *rng.pick(&selectors);
                    events.push(on(c, selector, "Label"));
                }
                50..=64 => {
                    let depth = rng.below(9) as f64 / 8.0;
                    events.push(scroll(&id, at(k), &page, depth));
                }
                65..=74 => events.push(custom(&id, at(k), &page, "signup")),
                _ => {
                    let (bx, by) = (20 + rng.below(1200) as i32, 20 + rng.below(3900) as i32);
                    let count = 3 + rng.below(2);
                    for j in 0..count {
                        let id = format!("g{i}-{}", events.len());
                        let xy = (bx + rng.below(6) as i32, by + rng.below(6) as i32);
                        let ts = at(k + 10 * j as i64);
                        events.push(on(
                            click_sized(&id, ts, &page, xy, 1280, (1280, 4000)),
                            "#buy",
                            "Buy",
                        ));
                        rage.insert(id);
                    }
                    k += 10 * (count as i64 - 1);
                }
            }
        }
        sessions.push(batch(
            site_name,
            &format!("g{i}"),
            &visitor,
            &client,
            events,
        ));
    }
    (sessions, rage)
}

/// The referrer host of a page view when it is not the page's own host.
fn external_referrer(e: &Event) -> Option<String> {
    let host = url_host(e.referrer.as_deref()?)?;
    (Some(&host) != url_host(&e.url).as_ref()).then_some(host)
}

/// A session row computed from its raw events.
fn expected_summary(b: &EventBatch, rage: &HashSet<String>) -> SessionSummary {
    let start = b.events.iter().map(|e| e.ts).min().unwrap_or_default();
    let end = b.events.iter().map(|e| e.ts).max().unwrap_or_default();
    let mut views: Vec<&Event> = b
        .events
        .iter()
        .filter(|e| e.kind == EventKind::PageView)
        .collect();
    views.sort_by_key(|e| e.ts);
    let count = |kind: EventKind| b.events.iter().filter(|e| e.kind == kind).count() as u64;
    SessionSummary {
        start,
        end,
        duration_ms: end - start,
        events: b.events.len() as u64,
        page_views: views.len() as u64,
        clicks: count(EventKind::Click),
        rage_clicks: b.events.iter().filter(|e| rage.contains(&e.id)).count() as u64,
        entry_page: views.first().map(|e| e.page_key.clone()),
        exit_page: views.last().map(|e| e.page_key.clone()),
        referrer: views.first().and_then(|e| external_referrer(e)),
        bounced: views.len() == 1,
        ..summary(&b.site, &b.session_id, &b.visitor_id, b.client.clone())
    }
}

/// Page rows computed from raw events (page keys of the sessions never repeat
/// across sites).
fn expected_pages(sessions: &[EventBatch], rage: &HashSet<String>) -> Vec<PageStats> {
    #[derive(Default)]
    struct Acc {
        views: u64,
        visitors: BTreeSet<String>,
        sessions: BTreeSet<String>,
        clicks: u64,
        scroll_sum: f64,
        scrolls: u64,
        rage: u64,
    }
    let mut pages: BTreeMap<String, Acc> = BTreeMap::new();
    for b in sessions {
        for e in &b.events {
            let acc = pages.entry(e.page_key.clone()).or_default();
            acc.visitors.insert(b.visitor_id.clone());
            acc.sessions.insert(format!("{}/{}", b.site, b.session_id));
            match e.kind {
                EventKind::PageView => acc.views += 1,
                EventKind::Click => acc.clicks += 1,
                EventKind::Scroll => {
                    acc.scroll_sum += e.depth.unwrap_or_default();
                    acc.scrolls += 1;
                }
                EventKind::Custom => {}
            }
            if rage.contains(&e.id) {
                acc.rage += 1;
            }
        }
    }
    pages
        .into_iter()
        .map(|(page, a)| PageStats {
            page,
            views: a.views,
            visitors: a.visitors.len() as u64,
            sessions: a.sessions.len() as u64,
            clicks: a.clicks,
            mean_scroll_depth: (a.scrolls > 0).then(|| a.scroll_sum / a.scrolls as f64),
            rage_clicks: a.rage,
        })
        .collect()
}

/// A few hundred pseudo-random events over twelve sessions, appended in
/// shuffled pieces (with some pieces sent twice): every session row, every page
/// row, every event and the overview's totals equal what the raw events give.
pub fn case_rollups_match_raw_events(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    let mut rng = Lcg(0x5eed_2025);
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

/// A session-list column as a comparable value.
#[derive(Debug, PartialEq, PartialOrd)]
enum SortValue {
    Int(i64),
    Text(Option<String>),
    Device(DeviceClass),
    Real(Option<f64>),
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
    }
}

#[track_caller]
fn assert_ordered<T: PartialOrd + std::fmt::Debug>(values: &[T], descending: bool, what: &str) {
    for pair in values.windows(2) {
        let ok = if descending {
            pair[0] >= pair[1]
        } else {
            pair[0] <= pair[1]
        };
        assert!(
            ok,
            "{what}: {:?} before {:?} in {values:?}",
            pair[0], pair[1]
        );
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

// ---------------------------------------------------------------------------
// Overview
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Journey
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------

/// Page rows: counts, patterns and session-scoped filters.
pub fn case_pages(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    load(&mut *w, &standard_batches());
    let all = Filter::default();
    let expected = standard_pages();
    assert_eq!(pages_of(&*r, &all, None), expected);
    let select = |keys: &[&str]| -> Vec<PageStats> {
        expected
            .iter()
            .filter(|p| keys.contains(&p.page.as_str()))
            .cloned()
            .collect()
    };
    let patterns: &[(&str, &[&str])] = &[
        (
            "/product/*",
            &["shop.example/product/1", "shop.example/product/2"],
        ),
        (
            "/product/**",
            &[
                "shop.example/product/1",
                "shop.example/product/1/reviews",
                "shop.example/product/2",
            ],
        ),
        ("shop.example/product/1", &["shop.example/product/1"]),
        ("/", &["shop.example/"]),
        (
            "blog.example/**",
            &["blog.example/post/1", "blog.example/post/2"],
        ),
        ("/nope", &[]),
    ];
    for (p, keys) in patterns {
        assert_eq!(pages_of(&*r, &all, Some(p)), select(keys), "pattern {p}");
    }
    assert_eq!(
        pages_of(&*r, &site("blog"), None),
        select(&["blog.example/post/1", "blog.example/post/2"])
    );
    assert!(pages_of(&*r, &site("blog"), Some("/product/*")).is_empty());
    let mobile = Filter {
        device: Some(DeviceClass::Mobile),
        ..all.clone()
    };
    assert_eq!(
        pages_of(&*r, &mobile, None),
        select(&["shop.example/product/2"])
    );
    let rage = Filter {
        has_rage_clicks: Some(false),
        ..site("shop")
    };
    let no_rage = select(&[
        "shop.example/",
        "shop.example/cart",
        "shop.example/product/1",
        "shop.example/product/1/reviews",
    ]);
    assert_eq!(pages_of(&*r, &rage, None), no_rage);

    // Sessions that started in the range count with all their events: s3
    // started inside it, its view of /product/1 two minutes later counts too.
    let started = range(Some(T0 + 2 * HOUR), Some(T0 + 2 * HOUR + MIN));
    assert_eq!(
        pages_of(&*r, &started, None),
        [
            stats("shop.example/", 1, 1, 1, 0),
            stats("shop.example/product/1", 1, 1, 1, 0)
        ]
    );
}

fn page_sort_value(key: PageSortKey, p: &PageStats) -> SortValue {
    use SortValue::*;
    match key {
        PageSortKey::Page => Text(Some(p.page.clone())),
        PageSortKey::Views => Int(p.views as i64),
        PageSortKey::Visitors => Int(p.visitors as i64),
        PageSortKey::Clicks => Int(p.clicks as i64),
        PageSortKey::ScrollDepth => Real(p.mean_scroll_depth),
        PageSortKey::RageClicks => Int(p.rage_clicks as i64),
    }
}

/// Every page sort key both ways (ties by page key, ascending) and paging.
pub fn case_pages_sort_and_paging(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    load(&mut *w, &standard_batches());
    let all = Filter::default();
    let keys = [
        PageSortKey::Page,
        PageSortKey::Views,
        PageSortKey::Visitors,
        PageSortKey::Clicks,
        PageSortKey::ScrollDepth,
        PageSortKey::RageClicks,
    ];
    for key in keys {
        for descending in [false, true] {
            let mut expected = standard_pages();
            expected.sort_by(|a, b| {
                let (va, vb) = (page_sort_value(key, a), page_sort_value(key, b));
                let by_key = va.partial_cmp(&vb).unwrap_or(std::cmp::Ordering::Equal);
                let by_key = if descending { by_key.reverse() } else { by_key };
                by_key.then_with(|| a.page.cmp(&b.page))
            });
            let actual = r
                .pages(&all, None, Sort { key, descending }, EVERYTHING)
                .unwrap_or_else(|e| panic!("pages by {key:?}: {e}"));
            let names =
                |rows: &[PageStats]| rows.iter().map(|p| p.page.clone()).collect::<Vec<_>>();
            assert_eq!(
                names(&actual),
                names(&expected),
                "{key:?} descending={descending}"
            );
            assert_eq!(actual, expected);
        }
    }
    let by_page = Sort {
        key: PageSortKey::Page,
        descending: false,
    };
    let slice = |offset, limit| -> Vec<String> {
        r.pages(&all, None, by_page, PageRequest { offset, limit })
            .expect("pages slice")
            .into_iter()
            .map(|p| p.page)
            .collect()
    };
    assert_eq!(
        slice(0, 3),
        [
            "blog.example/post/1",
            "blog.example/post/2",
            "shop.example/"
        ]
    );
    assert_eq!(
        slice(3, 3),
        [
            "shop.example/cart",
            "shop.example/product/1",
            "shop.example/product/1/reviews"
        ]
    );
    assert_eq!(slice(6, 3), ["shop.example/product/2"]);
    assert!(slice(7, 3).is_empty());
    let by_views = Sort {
        key: PageSortKey::Views,
        descending: true,
    };
    let top: Vec<String> = r
        .pages(
            &all,
            Some(&PagePattern::new("shop.example/**")),
            by_views,
            PageRequest::first(2),
        )
        .expect("top pages")
        .into_iter()
        .map(|p| p.page)
        .collect();
    assert_eq!(top, ["shop.example/", "shop.example/product/1"]);
}

// ---------------------------------------------------------------------------
// Heatmaps
// ---------------------------------------------------------------------------

fn bin(column: u32, row: u32, clicks: u64) -> HeatBin {
    HeatBin {
        column,
        row,
        clicks,
        rage_clicks: 0,
    }
}

fn element(selector: &str, label: &str, clicks: u64, share: f64) -> ElementStat {
    ElementStat {
        selector: selector.to_owned(),
        label: some(label),
        clicks,
        share,
        rage_clicks: 0,
    }
}

/// A heatmap with everything but the cells and elements from its click widths.
fn grid(page_width: u32, page_height: u32, columns: u32, rows: u32) -> Heatmap {
    Heatmap {
        page_width,
        page_height,
        columns,
        rows,
        cell_px: f64::from(page_width) / f64::from(columns),
        total_clicks: 0,
        rage_clicks: 0,
        max_cell_clicks: 0,
        bins: Vec::new(),
        top_elements: Vec::new(),
    }
}

#[track_caller]
fn heatmap_of(
    r: &dyn EventReader,
    pages: &str,
    filter: Filter,
    segment: WidthSegment,
    columns: u32,
) -> Heatmap {
    let query = HeatmapQuery {
        pages: PagePattern::new(pages),
        filter,
        segment,
        columns,
    };
    r.heatmap(&query)
        .unwrap_or_else(|e| panic!("heatmap({query:?}): {e}"))
}

/// Compares heatmaps exactly, except cell size and shares to 1e-9.
#[track_caller]
fn assert_heatmap(actual: &Heatmap, expected: &Heatmap, what: &str) {
    assert_close(
        actual.cell_px,
        expected.cell_px,
        &format!("{what}: cell_px"),
    );
    assert_eq!(
        actual.top_elements.len(),
        expected.top_elements.len(),
        "{what}: {actual:?}"
    );
    for (a, e) in actual.top_elements.iter().zip(&expected.top_elements) {
        assert_close(
            a.share,
            e.share,
            &format!("{what}: share of {}", e.selector),
        );
    }
    let share_sum: f64 = actual.top_elements.iter().map(|e| e.share).sum();
    assert!(share_sum <= 1.0 + 1e-9, "{what}: shares sum to {share_sum}");
    let normal = |h: &Heatmap| Heatmap {
        cell_px: 0.0,
        top_elements: h
            .top_elements
            .iter()
            .map(|e| ElementStat {
                share: 0.0,
                ..e.clone()
            })
            .collect(),
        ..h.clone()
    };
    assert_eq!(normal(actual), normal(expected), "{what}");
}

/// The heatmap fixture on `shop` (plus one click on `other`):
///
/// | click | page          | x, y        | viewport | page size   | element        |
/// |-------|---------------|-------------|----------|-------------|----------------|
/// | a     | /product/1    | 600, 0      | 1200     | 1200 × 3000 | #buy           |
/// | d     | /product/1/reviews | 600, 50 | 1200    | 1200 × 3000 | #buy           |
/// | b     | /product/2    | 1199, 2000  | 1200     | 1200 × 2400 | #buy           |
/// | c     | /product/1    | 400, 4010   | 767      | 800 × 5000  | #buy (mobile)  |
/// | e     | /product/2    | 0, 1000     | 1024     | 1200 × 2400 | nav>a          |
/// | f     | /product/1    | 1200, 100   | 1200     | 1200 × 3000 | none           |
/// | g     | /product/2    | 400, 850    | 768      | 800 × 1700  | #buy (tablet)  |
/// | o     | other.example/product/1 | 10, 10 | 1200 | 1200 × 3000 | #buy        |
///
/// at T0 + 1, 1.5, 2, 3, 4, 5, 6 and 1 s.
fn heatmap_batches() -> Vec<EventBatch> {
    let buy = |e| on(e, "#buy", "Buy now");
    vec![
        batch(
            "shop",
            "h1",
            "v1",
            &chrome(),
            vec![
                page_view("h1-0", T0, P1, None),
                buy(click_sized(
                    "a",
                    T0 + 1000,
                    P1,
                    (600, 0),
                    1200,
                    (1200, 3000),
                )),
                buy(click_sized(
                    "d",
                    T0 + 1500,
                    REVIEWS,
                    (600, 50),
                    1200,
                    (1200, 3000),
                )),
                buy(click_sized(
                    "b",
                    T0 + 2000,
                    P2,
                    (1199, 2000),
                    1200,
                    (1200, 2400),
                )),
                on(
                    click_sized("e", T0 + 4000, P2, (0, 1000), 1024, (1200, 2400)),
                    "nav>a",
                    "Home",
                ),
                click_sized("f", T0 + 5000, P1, (1200, 100), 1200, (1200, 3000)),
            ],
        ),
        batch(
            "shop",
            "h2",
            "v2",
            &client(DeviceClass::Mobile, "Safari", "iOS"),
            vec![buy(click_sized(
                "c",
                T0 + 3000,
                P1,
                (400, 4010),
                767,
                (800, 5000),
            ))],
        ),
        batch(
            "shop",
            "h3",
            "v3",
            &client(DeviceClass::Tablet, "Firefox", "Android"),
            vec![buy(click_sized(
                "g",
                T0 + 6000,
                P2,
                (400, 850),
                768,
                (800, 1700),
            ))],
        ),
        batch(
            "other",
            "o1",
            "v9",
            &chrome(),
            vec![buy(click_sized(
                "o",
                T0 + 1000,
                "https://other.example/product/1",
                (10, 10),
                1200,
                (1200, 3000),
            ))],
        ),
    ]
}

/// Columns relative to each click's page width, square cells from the median
/// width, rows covering the tallest page, pattern merging and site selection.
pub fn case_heatmap_grid(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    load(&mut *w, &heatmap_batches());
    let all = WidthSegment::All;

    // a, b, c, e, f, g: median width 1200, cell 1200/11 px, height 5000 (c),
    // rows ceil(5000 / 109.09) = 46. a (x 600 of 1200), c (400 of 800) and
    // g (400 of 800) land in the middle column, 5; f (x = width) in the last.
    let h = heatmap_of(&*r, "/product/*", site("shop"), all, 11);
    assert_eq!(
        f64::from(h.rows),
        (f64::from(h.page_height) / h.cell_px).ceil()
    );
    let expected = Heatmap {
        total_clicks: 6,
        max_cell_clicks: 1,
        bins: vec![
            bin(5, 0, 1),
            bin(10, 0, 1),
            bin(5, 7, 1),
            bin(0, 9, 1),
            bin(10, 18, 1),
            bin(5, 36, 1),
        ],
        top_elements: vec![
            element("#buy", "Buy now", 4, 4.0 / 6.0),
            element("nav>a", "Home", 1, 1.0 / 6.0),
        ],
        ..grid(1200, 5000, 11, 46)
    };
    assert_heatmap(&h, &expected, "shop /product/*");

    // Without a site, other.example/product/1 joins in cell (0, 0).
    let h = heatmap_of(&*r, "/product/*", Filter::default(), all, 11);
    let expected = Heatmap {
        total_clicks: 7,
        max_cell_clicks: 1,
        bins: vec![
            bin(0, 0, 1),
            bin(5, 0, 1),
            bin(10, 0, 1),
            bin(5, 7, 1),
            bin(0, 9, 1),
            bin(10, 18, 1),
            bin(5, 36, 1),
        ],
        top_elements: vec![
            element("#buy", "Buy now", 5, 5.0 / 7.0),
            element("nav>a", "Home", 1, 1.0 / 7.0),
        ],
        ..grid(1200, 5000, 11, 46)
    };
    assert_heatmap(&h, &expected, "all sites /product/*");

    // One page: a, c, f.
    let h = heatmap_of(&*r, "shop.example/product/1", Filter::default(), all, 11);
    let expected = Heatmap {
        total_clicks: 3,
        max_cell_clicks: 1,
        bins: vec![bin(5, 0, 1), bin(10, 0, 1), bin(5, 36, 1)],
        top_elements: vec![element("#buy", "Buy now", 2, 2.0 / 3.0)],
        ..grid(1200, 5000, 11, 46)
    };
    assert_heatmap(&h, &expected, "shop.example/product/1");

    // d alone: height 3000, rows ceil(27.5) = 28.
    let h = heatmap_of(&*r, "/product/1/reviews", Filter::default(), all, 11);
    let expected = Heatmap {
        total_clicks: 1,
        max_cell_clicks: 1,
        bins: vec![bin(5, 0, 1)],
        top_elements: vec![element("#buy", "Buy now", 1, 1.0)],
        ..grid(1200, 3000, 11, 28)
    };
    assert_heatmap(&h, &expected, "/product/1/reviews");

    // Two clicks in one cell; page_height from a click below the page.
    let (mut w2, r2) = factory.open();
    load(
        &mut *w2,
        &[batch(
            "shop",
            "k1",
            "v1",
            &chrome(),
            vec![
                click_sized("k-1", T0, P1, (500, 50), 1000, (1000, 800)),
                click_sized("k-2", T0 + 5000, P1, (599, 99), 1000, (1000, 800)),
                click_sized("k-3", T0 + 9000, P1, (999, 1250), 1000, (1000, 800)),
            ],
        )],
    );
    // cell 100 px; height max(800, 1250 + 1) = 1251; rows ceil(12.51) = 13.
    let h = heatmap_of(&*r2, "/product/1", Filter::default(), all, 10);
    let expected = Heatmap {
        total_clicks: 3,
        max_cell_clicks: 2,
        bins: vec![bin(5, 0, 2), bin(9, 12, 1)],
        ..grid(1000, 1251, 10, 13)
    };
    assert_heatmap(&h, &expected, "shared cell");
}

/// Width segments by viewport width, the time range on click time, and
/// session conditions.
pub fn case_heatmap_segments_range_and_filters(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    load(&mut *w, &heatmap_batches());
    let shop = site("shop");

    // a, b, e (viewport 1024), f: all 1200 wide; height 3000; rows 28.
    let h = heatmap_of(&*r, "/product/*", shop.clone(), WidthSegment::Desktop, 11);
    let desktop = Heatmap {
        total_clicks: 4,
        max_cell_clicks: 1,
        bins: vec![bin(5, 0, 1), bin(10, 0, 1), bin(0, 9, 1), bin(10, 18, 1)],
        top_elements: vec![
            element("#buy", "Buy now", 2, 0.5),
            element("nav>a", "Home", 1, 0.25),
        ],
        ..grid(1200, 3000, 11, 28)
    };
    assert_heatmap(&h, &desktop, "desktop");

    // g (viewport 768): cell 800/11, rows ceil(23.375) = 24, y 850 in row 11.
    let h = heatmap_of(&*r, "/product/*", shop.clone(), WidthSegment::Tablet, 11);
    let tablet = Heatmap {
        total_clicks: 1,
        max_cell_clicks: 1,
        bins: vec![bin(5, 11, 1)],
        top_elements: vec![element("#buy", "Buy now", 1, 1.0)],
        ..grid(800, 1700, 11, 24)
    };
    assert_heatmap(&h, &tablet, "tablet");

    // c (viewport 767, page 800 wide: mobile by its viewport): cell 800/11,
    // rows ceil(68.75) = 69, y 4010 in row 55.
    let h = heatmap_of(&*r, "/product/*", shop.clone(), WidthSegment::Mobile, 11);
    let mobile = Heatmap {
        total_clicks: 1,
        max_cell_clicks: 1,
        bins: vec![bin(5, 55, 1)],
        top_elements: vec![element("#buy", "Buy now", 1, 1.0)],
        ..grid(800, 5000, 11, 69)
    };
    assert_heatmap(&h, &mobile, "mobile");

    // Clicks in [T0 + 2 s, T0 + 5 s): b, c, e.
    let window = Filter {
        range: TimeRange {
            from: Some(T0 + 2000),
            to: Some(T0 + 5000),
        },
        ..shop.clone()
    };
    let h = heatmap_of(&*r, "/product/*", window, WidthSegment::All, 11);
    let expected = Heatmap {
        total_clicks: 3,
        max_cell_clicks: 1,
        bins: vec![bin(0, 9, 1), bin(10, 18, 1), bin(5, 36, 1)],
        top_elements: vec![
            element("#buy", "Buy now", 2, 2.0 / 3.0),
            element("nav>a", "Home", 1, 1.0 / 3.0),
        ],
        ..grid(1200, 5000, 11, 46)
    };
    assert_heatmap(&h, &expected, "time range");

    // The session started before the range; only the click's time counts.
    let just_a = Filter {
        range: TimeRange {
            from: Some(T0 + 1000),
            to: Some(T0 + 1001),
        },
        ..shop.clone()
    };
    let h = heatmap_of(&*r, "/product/*", just_a, WidthSegment::All, 11);
    let expected = Heatmap {
        total_clicks: 1,
        max_cell_clicks: 1,
        bins: vec![bin(5, 0, 1)],
        top_elements: vec![element("#buy", "Buy now", 1, 1.0)],
        ..grid(1200, 3000, 11, 28)
    };
    assert_heatmap(&h, &expected, "one click in range");

    // Session conditions: the mobile session's click is c.
    let mobile_sessions = Filter {
        device: Some(DeviceClass::Mobile),
        ..Filter::default()
    };
    let h = heatmap_of(&*r, "/product/*", mobile_sessions, WidthSegment::All, 11);
    assert_heatmap(&h, &mobile, "mobile sessions");
    let tablet_sessions = Filter {
        browser: some("firefox"),
        ..shop.clone()
    };
    let h = heatmap_of(&*r, "/product/*", tablet_sessions, WidthSegment::All, 11);
    assert_heatmap(&h, &tablet, "Firefox sessions");
    let nothing = Filter {
        device: Some(DeviceClass::Desktop),
        ..shop
    };
    let h = heatmap_of(&*r, "/product/*", nothing, WidthSegment::Mobile, 11);
    assert_eq!(
        (h.total_clicks, h.bins.len(), h.top_elements.len()),
        (0, 0, 0)
    );
}

/// Clicks over five days, on pages of several widths, with rage bursts
/// completed by a later commit, loaded in three commits.
fn multi_day_clicks() -> Vec<Vec<EventBatch>> {
    const DAY: i64 = 24 * HOUR;
    let mut rng = Lcg(7);
    let clients = [
        chrome(),
        client(DeviceClass::Mobile, "Safari", "iOS"),
        client(DeviceClass::Tablet, "Firefox", "Android"),
    ];
    let widths = [
        (1280, 1280),
        (1440, 1440),
        (1024, 1100),
        (800, 820),
        (375, 390),
    ];
    let mut commits = vec![Vec::new(), Vec::new(), Vec::new()];
    for s in 0..15_i64 {
        let start = T0 - DAY + s * 8 * HOUR + (rng.below(3_600) as i64) * SEC;
        let (vw, pw) = *rng.pick(&widths);
        let url = if s % 3 == 0 { P2 } else { P1 };
        let mut events = Vec::new();
        let mut late = Vec::new();
        for k in 0..20_i64 {
            let ts = start + k * 97 * SEC;
            let id = format!("m{s}-{k}");
            let x = rng.below(pw as usize + 40) as i32 - 20;
            let y = rng.below(6_000) as i32;
            let label = *rng.pick(&["Buy", "Add", "Menu"]);
            let c = click_sized(&id, ts, url, (x, y), vw, (pw, 5_000 + 100 * s as u32));
            let selector = ["#buy", "#add", "nav>a"][rng.below(3)];
            events.push(on(c, selector, label));
        }
        // A burst of three: two now, the third in a later commit.
        let (bx, by) = (rng.below(pw as usize) as i32, rng.below(3_000) as i32);
        for j in 0..3_i64 {
            let id = format!("m{s}-r{j}");
            let c = click_sized(
                &id,
                start + 30 * SEC + 150 * j,
                url,
                (bx + j as i32, by),
                vw,
                (pw, 5_000),
            );
            let c = on(c, "#buy", "Buy");
            if j == 2 {
                late.push(c)
            } else {
                events.push(c)
            }
        }
        let b = batch(
            "shop",
            &format!("m{s}"),
            &format!("mv{}", s % 4),
            rng.pick(&clients),
            events,
        );
        let mut later = b.clone();
        later.events = late;
        commits[(s % 2) as usize].push(b);
        commits[2].push(later);
    }
    commits
}

/// Heatmaps read from the rollups (no session condition) equal heatmaps
/// built from raw clicks (a session condition every session meets), for
/// ranges cutting days anywhere, every segment and several grid widths; and
/// fine cells are scaled to the asked grid by the documented integer rule.
pub fn case_heatmap_rollups_match_raw_clicks(factory: &dyn StoreFactory) {
    const DAY: i64 = 24 * HOUR;
    let (mut w, r) = factory.open();
    for commit in multi_day_clicks() {
        load(&mut *w, &commit);
    }
    let ranges = [
        TimeRange::ALL,
        TimeRange {
            from: Some(T0 + DAY / 2 + 7 * SEC),
            to: Some(T0 + 2 * DAY + 3 * HOUR),
        },
        TimeRange {
            from: Some(T0 + HOUR),
            to: None,
        },
        TimeRange {
            from: None,
            to: Some(T0 + DAY + 5 * HOUR),
        },
        TimeRange {
            from: Some(T0 + 2 * HOUR),
            to: Some(T0 + 3 * HOUR),
        },
        TimeRange::last(2 * DAY, T0 + 3 * DAY),
    ];
    let mut compared = 0;
    for range in ranges {
        for segment in WidthSegment::ALL {
            for columns in [7, 80, 333] {
                for pages in ["/product/*", "shop.example/product/1"] {
                    let rolled = Filter {
                        range,
                        ..site("shop")
                    };
                    let raw = Filter {
                        min_events: Some(1),
                        ..rolled.clone()
                    };
                    let a = heatmap_of(&*r, pages, rolled, segment, columns);
                    let b = heatmap_of(&*r, pages, raw, segment, columns);
                    let what = format!("{pages} {range:?} {segment:?} {columns}");
                    assert_heatmap(&a, &b, &what);
                    compared += usize::from(a.total_clicks > 0);
                    assert!(a.rage_clicks <= a.total_clicks, "{what}");
                }
            }
        }
    }
    assert!(
        compared > 100,
        "too few non-empty heatmaps compared: {compared}"
    );
    let all = heatmap_of(&*r, "/product/*", site("shop"), WidthSegment::All, 80);
    assert_eq!((all.total_clicks, all.rage_clicks), (15 * 23, 15 * 3));

    // The fine grid: x 997 of 1000 is fine column 199, which is column
    // 199 × 333 / 200 = 331 of 333; y 7 is fine row 1, row 1 × 4 × 333 / 1000 = 1.
    let (mut w, r) = factory.open();
    load(
        &mut *w,
        &[batch(
            "shop",
            "fine",
            "v",
            &chrome(),
            vec![click_sized("z", T0, P1, (997, 7), 1280, (1000, 1000))],
        )],
    );
    let h = heatmap_of(&*r, "/product/*", Filter::default(), WidthSegment::All, 333);
    assert_eq!(h.bins, vec![bin(331, 1, 1)]);
    assert_eq!((h.page_width, h.page_height, h.rows), (1000, 1000, 333));
}

/// A page without clicks gives an empty heatmap, not an error.
pub fn case_heatmap_unknown_page(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    for loaded in [false, true] {
        if loaded {
            load(&mut *w, &heatmap_batches());
        }
        for (pages, filter) in [
            ("/nope", Filter::default()),
            ("/product/*", site("nosuch")),
            ("shop.example/cart", Filter::default()),
            ("/product/*", range(Some(T0 + HOUR), None)),
        ] {
            let h = heatmap_of(&*r, pages, filter, WidthSegment::All, 11);
            assert_eq!(h.total_clicks, 0, "{pages}");
            assert_eq!((h.rage_clicks, h.max_cell_clicks), (0, 0), "{pages}");
            assert!(h.bins.is_empty() && h.top_elements.is_empty(), "{pages}");
        }
    }
}

// ---------------------------------------------------------------------------
// Removal: one visitor, retention
// ---------------------------------------------------------------------------

/// The removal fixture in commits: generated sessions over a few hours and
/// multi-day clicks with rage bursts completed by a later commit.
fn removal_commits() -> Vec<Vec<EventBatch>> {
    let (sessions, _) = generate_sessions(&mut Lcg(0x0de1_e7e5));
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

// ---------------------------------------------------------------------------
// Rage clicks
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Events, live tail, change token
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------

/// Strings come back exactly as validation left them: non-ASCII text, and
/// ids, URLs, titles, selectors, labels and names at their length limits.
pub fn case_strings_round_trip(factory: &dyn StoreFactory) {
    use crate::limits::*;
    use crate::validate::{prepare, RequestContext};
    use serde_json::json;

    let (mut w, r) = factory.open();
    let site_key = format!("site~!@#$%^&*()_+{{}}|:<>?{}", "s".repeat(64));
    let session = format!("session-{}", "S".repeat(64));
    let visitor = format!("visitor-{}", "V".repeat(64));
    let long_id = |n: u32| format!("{n}-evt~!@#$%^&*()[]{{}}|;:'\",.<>/?{}", "x".repeat(64));
    let url = format!("https://shop.example/wiki/{}", "Ω".repeat(2100));
    let title = format!("Grüße — 日本語 🎉 {}", "é".repeat(300));
    // Selectors are stored as sent up to the limit (a longer one is dropped).
    let selector = format!("main>div.card:nth-of-type(2)>button{}", ">span".repeat(200))
        .chars()
        .take(MAX_SELECTOR_CHARS)
        .collect::<String>();
    let label = format!("Купить сейчас {}", "ж".repeat(200));
    let name = "注册".repeat(40);
    let referrer = "https://bücher.example/straße?q=日本";
    let body = json!({
        "site": &site_key[..MAX_ID_CHARS],
        "session_id": &session[..MAX_ID_CHARS],
        "visitor_id": &visitor[..MAX_ID_CHARS],
        "events": [
            {"id": &long_id(1)[..MAX_ID_CHARS], "type": "page_view", "ts": T0 + 1000, "url": url,
             "title": title, "referrer": referrer, "viewport": [1280, 720], "page": [1280, 4000]},
            {"id": &long_id(2)[..MAX_ID_CHARS], "type": "click", "ts": T0 + 2000, "url": url,
             "x": 640, "y": 1800, "viewport": [1280, 720], "page": [1280, 4000],
             "target": {"selector": selector, "text": label, "box": [600, 1780, 120, 40]}},
            {"id": &long_id(3)[..MAX_ID_CHARS], "type": "custom", "ts": T0 + 3000, "url": url,
             "name": name, "props": {"plan": "pró ✓", "emoji": "🎉", "n": 1.5, "ok": true, "none": null}},
            {"id": "short", "type": "page_view", "ts": T0 + 4000, "url": "https://shop.example/café?q=ü",
             "title": "  Tabs\tand\nnewlines\u{202E} cleaned  "}
        ]
    });
    let keep = QueryKeepList::default();
    let ctx = RequestContext {
        user_agent: Some(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        ),
        client_hints: Default::default(),
        received_at: T0 + MIN,
        keep_query: &keep,
    };
    let prepared = prepare(body.to_string().as_bytes(), &ctx).expect("a valid batch");
    assert!(prepared.rejected.is_empty(), "{:?}", prepared.rejected);
    let b = prepared.batch;
    // The fixture reaches every limit.
    let chars = |s: &Option<String>| s.as_deref().map_or(0, |s| s.chars().count());
    let [view, clicked, named, short] = &b.events[..] else {
        panic!("four events expected");
    };
    assert_eq!(b.site.len(), MAX_ID_CHARS);
    assert!(b.events[..3].iter().all(|e| e.id.len() == MAX_ID_CHARS));
    assert_eq!(view.url.chars().count(), MAX_URL_CHARS);
    assert_eq!(view.page_key.chars().count(), MAX_URL_CHARS);
    assert_eq!(chars(&view.title), MAX_TITLE_CHARS);
    let target = clicked.target.clone().expect("a target");
    assert_eq!(chars(&target.selector), MAX_SELECTOR_CHARS);
    assert_eq!(chars(&target.label), MAX_LABEL_CHARS);
    assert_eq!(chars(&named.name), MAX_EVENT_NAME_CHARS);
    assert_eq!(short.title.as_deref(), Some("Tabs and newlines cleaned"));

    load(&mut *w, std::slice::from_ref(&b));
    let journey = journey_of(&*r, Some(&b.site), &b.session_id).expect("the journey");
    assert_eq!(journey.steps.len(), 4);
    assert_round_trip(&journey.steps, std::slice::from_ref(&b));
    assert_eq!(journey.session.visitor_id, b.visitor_id);
    assert_eq!(journey.session.client, b.client);
    assert_eq!(
        journey.session.entry_page.as_deref(),
        Some(view.page_key.as_str())
    );
    assert_eq!(
        journey.session.exit_page.as_deref(),
        Some("shop.example/caf%C3%A9")
    );
    assert_eq!(
        journey.session.referrer.as_deref(),
        Some("xn--bcher-kva.example")
    );
    assert_round_trip(&events_of(&*r, &site(&b.site)), std::slice::from_ref(&b));
    assert_round_trip(
        &r.live_tail(None, 10).expect("tail").events,
        std::slice::from_ref(&b),
    );

    let pages = pages_of(&*r, &Filter::default(), None);
    let keys: Vec<&str> = pages.iter().map(|p| p.page.as_str()).collect();
    assert_eq!(keys, ["shop.example/caf%C3%A9", view.page_key.as_str()]);
    let h = heatmap_of(&*r, &view.page_key, site(&b.site), WidthSegment::All, 10);
    assert_eq!(h.total_clicks, 1);
    assert_eq!(h.top_elements.len(), 1);
    assert_eq!(Some(&h.top_elements[0].selector), target.selector.as_ref());
    assert_eq!(h.top_elements[0].label, target.label);
    let by_referrer = Filter {
        referrer: some("xn--bcher-kva.example"),
        ..site(&b.site)
    };
    assert_eq!(
        session_ids(&*r, &by_referrer),
        std::slice::from_ref(&b.session_id)
    );
}
