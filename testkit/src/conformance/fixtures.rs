//! The fixtures every case builds on: fixed instants and URLs, event and
//! batch builders, and the standard fixture (six sessions on two sites) with
//! the session and page rows it must give, written out by hand.

use shared::event::{ClientInfo, DeviceClass, Event, EventBatch, EventKind, Size, Target};
use shared::page_key::{page_key, PagePattern, QueryKeepList};
use shared::store::query::*;
use shared::store::AppendOutcome;

/// 2025-11-24 16:00:00 UTC, on the hour.
pub(super) const T0: i64 = 1_764_000_000_000;
pub(super) const SEC: i64 = 1_000;
pub(super) const MIN: i64 = 60_000;
pub(super) const HOUR: i64 = 3_600_000;

pub(super) const HOME: &str = "https://shop.example/";
pub(super) const P1: &str = "https://shop.example/product/1";
pub(super) const P2: &str = "https://shop.example/product/2";
pub(super) const REVIEWS: &str = "https://shop.example/product/1/reviews";
pub(super) const CART: &str = "https://shop.example/cart";
pub(super) const POST1: &str = "https://blog.example/post/1";
pub(super) const POST2: &str = "https://blog.example/post/2";

pub(super) const EVERYTHING: PageRequest = PageRequest {
    offset: 0,
    limit: 100_000,
};

pub(super) fn key(url: &str) -> String {
    page_key(url, &QueryKeepList::default()).unwrap_or_else(|e| panic!("fixture URL {url}: {e}"))
}

pub(super) fn size(width: u32, height: u32) -> Size {
    Size { width, height }
}

pub(super) fn event(kind: EventKind, id: &str, ts: i64, url: &str) -> Event {
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
        depth_from: None,
        name: None,
        props: None,
    }
}

pub(super) fn page_view(id: &str, ts: i64, url: &str, referrer: Option<&str>) -> Event {
    Event {
        title: Some(format!("Title {id}")),
        referrer: referrer.map(str::to_owned),
        ..event(EventKind::PageView, id, ts, url)
    }
}

/// A click on a 1280 × 3000 page seen through a 1280 px wide window.
pub(super) fn click(id: &str, ts: i64, url: &str, x: i32, y: i32) -> Event {
    Event {
        x: Some(x),
        y: Some(y),
        ..event(EventKind::Click, id, ts, url)
    }
}

/// A click with its viewport width and page size.
pub(super) fn click_sized(
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

pub(super) fn on(mut click: Event, selector: &str, label: &str) -> Event {
    click.target = Some(Target {
        selector: Some(selector.to_owned()),
        label: Some(label.to_owned()),
        rect: None,
    });
    click
}

pub(super) fn scroll(id: &str, ts: i64, url: &str, depth: f64) -> Event {
    Event {
        depth: Some(depth),
        ..event(EventKind::Scroll, id, ts, url)
    }
}

pub(super) fn custom(id: &str, ts: i64, url: &str, name: &str) -> Event {
    Event {
        name: Some(name.to_owned()),
        props: Some(r#"{"plan":"pro"}"#.to_owned()),
        ..event(EventKind::Custom, id, ts, url)
    }
}

pub(super) fn client(device: DeviceClass, browser: &str, os: &str) -> ClientInfo {
    ClientInfo {
        device,
        browser: browser.to_owned(),
        os: os.to_owned(),
    }
}

pub(super) fn chrome() -> ClientInfo {
    client(DeviceClass::Desktop, "Chrome", "Linux")
}

pub(super) fn batch(
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
pub(super) fn summary(
    site: &str,
    session: &str,
    visitor: &str,
    client: ClientInfo,
) -> SessionSummary {
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
        quick_backs: 0,
        dead_end: false,
    }
}

pub(super) fn stats(
    page: &str,
    views: u64,
    visitors: u64,
    sessions: u64,
    clicks: u64,
) -> PageStats {
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

pub(super) fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

pub(super) fn outcome(inserted: usize, duplicates: usize) -> AppendOutcome {
    AppendOutcome {
        inserted,
        duplicates,
    }
}

pub(super) fn site(name: &str) -> Filter {
    Filter {
        site: some(name),
        ..Filter::default()
    }
}

pub(super) fn range(from: Option<i64>, to: Option<i64>) -> Filter {
    Filter {
        range: TimeRange { from, to },
        ..Filter::default()
    }
}

pub(super) fn pattern(text: &str) -> Option<PagePattern> {
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
pub(super) fn standard_batches() -> Vec<EventBatch> {
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
pub(super) fn standard_summaries() -> Vec<SessionSummary> {
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
            // It ends with its rage burst: a dead end.
            dead_end: true,
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
pub(super) fn standard_pages() -> Vec<PageStats> {
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
