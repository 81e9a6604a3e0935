//! End to end in a real browser: headless Chromium loads the demo site from an
//! in-process ingestd, clicks, navigates, reloads and goes offline, and each
//! test then reads the store and checks coordinates, journeys, sessions and
//! delivery exactly.
//!
//! Chromium is `$CHROMIUM` or `/usr/bin/chromium` (Debian package `chromium`).
//! Without it every test prints `skipped: no Chromium …` and passes, unless
//! `REQUIRE_BROWSER=1`.

mod browser_support;

use browser_support::*;
use shared::event::EventKind;
use shared::page_key::PagePattern;
use shared::store::query::{
    Filter, HeatmapQuery, PageRequest, SessionRef, SessionSortKey, Sort, StoredEvent, WidthSegment,
};
use shared::store::sqlite::{SqliteReader, SqliteWriter};
use shared::store::EventReader;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Sets up a daemon and a browser, or returns from the test when there is no
/// Chromium.
macro_rules! setup {
    () => {
        setup!(Daemon::start().await)
    };
    ($daemon:expr) => {{
        let Some(executable) = chromium() else {
            return;
        };
        let daemon = $daemon;
        let chrome = Chrome::launch(&executable).await;
        (daemon, chrome)
    }};
}

fn page_views(events: &[StoredEvent]) -> Vec<&StoredEvent> {
    of_kind(events, EventKind::PageView)
}

fn clicks(events: &[StoredEvent]) -> Vec<&StoredEvent> {
    of_kind(events, EventKind::Click)
}

/// How many times each custom event name is stored.
fn name_counts(events: &[StoredEvent]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for e in of_kind(events, EventKind::Custom) {
        *counts
            .entry(e.event.name.clone().unwrap_or_default())
            .or_default() += 1;
    }
    counts
}

/// Every stored event id is distinct (the store's own guarantee), and every
/// name in `names` is stored exactly once.
fn assert_exactly_once(events: &[StoredEvent], names: &[String]) {
    let ids: BTreeSet<&str> = events.iter().map(|e| e.event.id.as_str()).collect();
    assert_eq!(
        ids.len(),
        events.len(),
        "duplicate ids:\n{}",
        describe(events)
    );
    let counts = name_counts(events);
    for name in names {
        assert_eq!(
            counts.get(name),
            Some(&1),
            "custom event {name} is not stored exactly once:\n{}",
            describe(events)
        );
    }
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}-{i}")).collect()
}

/// True when every name in `names` is stored.
fn has_names(events: &[StoredEvent], names: &[String]) -> bool {
    let counts = name_counts(events);
    names.iter().all(|n| counts.contains_key(n))
}

fn js_str(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn clicks_are_stored_at_their_page_coordinates_with_resolving_selectors() {
    let (daemon, chrome) = setup!();
    let tab = chrome.open(&daemon.url("/demo/")).await;

    // The page view of the load.
    let (href, title): (String, String) = tab.js("[location.href, document.title]").await;
    let size = tab.size().await;
    assert_eq!(size.viewport, [WIDTH, HEIGHT]);
    tab.flush().await;
    let events = daemon
        .wait_for("the page view", |e| !page_views(e).is_empty())
        .await;
    let views = page_views(&events);
    assert_eq!(views.len(), 1, "{}", describe(&events));
    let view = &views[0].event;
    assert_eq!(view.url, href);
    assert_eq!(view.title.as_deref(), Some(title.as_str()));
    assert_eq!(view.referrer, None);
    let wh = |s: Option<shared::event::Size>| s.map(|s| [s.width, s.height]);
    assert_eq!(wh(view.viewport), Some(size.viewport));
    assert_eq!(wh(view.page), Some(size.page));
    assert_eq!(views[0].site, "demo");

    // A button with a data-track attribute, one with neither id nor a
    // selector attribute (lower down, so the page is scrolled), and one in
    // the sticky header without any attribute.
    let targets = [
        "[data-product='sencha']",
        "[data-product='chamomile']",
        "header .cart",
    ];
    let mut clicked = Vec::new();
    for target in targets {
        clicked.push(tab.click(target).await);
    }
    assert!(
        clicked[1].scroll[1] > 0.0,
        "the second click should be on a scrolled page: {clicked:?}"
    );
    tab.flush().await;
    let events = daemon
        .wait_for("three clicks", |e| clicks(e).len() >= targets.len())
        .await;
    let stored = clicks(&events);
    assert_eq!(stored.len(), targets.len(), "{}", describe(&events));

    for ((target, at), event) in targets.iter().zip(&clicked).zip(&stored) {
        let e = &event.event;
        let (x, y) = (e.x.expect("x") as f64, e.y.expect("y") as f64);
        assert!(
            (x - at.x).abs() <= 1.0 && (y - at.y).abs() <= 1.0,
            "{target}: stored ({x}, {y}), clicked at ({}, {})",
            at.x,
            at.y
        );
        assert_eq!(wh(e.page), Some(at.size.page), "{target}: page size");
        assert_eq!(wh(e.viewport), Some(at.size.viewport), "{target}: viewport");
        assert_eq!(e.url, href);
        assert_eq!(event.session_id, views[0].session_id);
        let t = e.target.as_ref().expect("target");
        let rect = t.rect.expect("box");
        assert_eq!(
            [
                rect.x as i64,
                rect.y as i64,
                rect.width as i64,
                rect.height as i64
            ],
            at.rect,
            "{target}: box"
        );
        let selector = t.selector.as_deref().expect("selector");
        let same: bool = tab
            .js(&format!(
                "document.querySelector({}) === document.querySelector({})",
                js_str(selector),
                js_str(target)
            ))
            .await;
        assert!(
            same,
            "{target}: stored selector {selector} does not resolve to it"
        );
    }
    let selector = |i: usize| {
        stored[i]
            .event
            .target
            .as_ref()
            .unwrap()
            .selector
            .clone()
            .unwrap()
    };
    let label = |i: usize| stored[i].event.target.as_ref().unwrap().label.clone();
    // None of them has an id: paths of tag:nth-child(n) steps.
    for (i, target) in targets.iter().enumerate() {
        let s = selector(i);
        assert!(
            s.contains(":nth-child(") && !s.contains('[') && !s.contains('#'),
            "{target}: expected a path selector, got {s}"
        );
    }
    assert_eq!(label(0).as_deref(), Some("Add to cart"));
    assert_eq!(label(1).as_deref(), Some("Add to cart"));
    // The cart counts the two products added before.
    assert_eq!(label(2).as_deref(), Some("Cart 2"));

    tab.assert_no_tracker_problems();
    chrome.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn single_page_app_navigations_are_page_views_of_one_session() {
    let (daemon, chrome) = setup!();
    let tab = chrome.open(&daemon.url("/demo/app")).await;
    // The tracker looks at the URL ten times a second (and before every
    // click): a person stays on a view longer than that, a test need not, so
    // each navigation waits until its page view is stored before the next.
    let views_stored = |n: usize| move |e: &[StoredEvent]| page_views(e).len() >= n;
    tab.click(".side a[href='/demo/app/orders']").await;
    tab.wait_until("the orders view", "location.pathname == '/demo/app/orders'")
        .await;
    daemon.wait_for("two page views", views_stored(2)).await;
    tab.click(".side a[href='/demo/app/settings']").await;
    tab.wait_until(
        "the settings view",
        "location.pathname == '/demo/app/settings'",
    )
    .await;
    daemon.wait_for("three page views", views_stored(3)).await;
    tab.js::<serde_json::Value>("history.back()").await;
    tab.wait_until("back to orders", "location.pathname == '/demo/app/orders'")
        .await;
    tab.flush().await;

    let expected: Vec<(String, &str)> = [
        ("/demo/app", "Dashboard"),
        ("/demo/app/orders", "Orders"),
        ("/demo/app/settings", "Settings"),
        ("/demo/app/orders", "Orders"),
    ]
    .iter()
    .map(|(path, view)| (daemon.url(path), *view))
    .collect();
    let events = daemon
        .wait_for("four page views", |e| page_views(e).len() >= expected.len())
        .await;
    let views: Vec<(String, String)> = page_views(&events)
        .iter()
        .map(|e| {
            (
                e.event.url.clone(),
                e.event.title.clone().unwrap_or_default(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = expected
        .iter()
        .map(|(url, view)| {
            (
                url.clone(),
                format!("{view} — Your account — Northwind Tea"),
            )
        })
        .collect();
    assert_eq!(views, want, "{}", describe(&events));

    // One session, and its journey has the views in order.
    let sessions: BTreeSet<&str> = events.iter().map(|e| e.session_id.as_str()).collect();
    assert_eq!(sessions.len(), 1, "{}", describe(&events));
    let reader = SqliteReader::open(&daemon.db_path).unwrap();
    let listed = reader
        .sessions(
            &Filter::default(),
            Sort {
                key: SessionSortKey::Start,
                descending: false,
            },
            PageRequest::first(10),
        )
        .unwrap();
    assert_eq!(listed.total, 1);
    let journey = reader
        .journey(&SessionRef {
            site: Some("demo".into()),
            session_id: events[0].session_id.clone(),
        })
        .unwrap()
        .expect("journey");
    let path: Vec<&str> = journey
        .steps
        .iter()
        .filter(|s| s.event.kind == EventKind::PageView)
        .map(|s| s.event.url.as_str())
        .collect();
    let want_path: Vec<&str> = expected.iter().map(|(u, _)| u.as_str()).collect();
    assert_eq!(path, want_path);
    assert_eq!(journey.session.page_views, 4);
    assert_eq!(
        journey.session.entry_page.as_deref(),
        Some(page_views(&events)[0].event.page_key.as_str())
    );
    assert_eq!(
        journey.session.exit_page.as_deref(),
        Some(page_views(&events)[3].event.page_key.as_str())
    );
    // The link clicks are there too, on the page they were clicked on.
    let link_clicks: Vec<(String, Option<String>)> = clicks(&events)
        .iter()
        .map(|e| {
            (
                e.event.url.clone(),
                e.event.target.as_ref().and_then(|t| t.label.clone()),
            )
        })
        .collect();
    assert_eq!(
        link_clicks,
        vec![
            (daemon.url("/demo/app"), Some("Orders".to_string())),
            (daemon.url("/demo/app/orders"), Some("Settings".to_string())),
        ]
    );

    tab.assert_no_tracker_problems();
    chrome.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_survive_reloads_end_after_idling_and_span_tabs() {
    let (daemon, chrome) = setup!();
    let tab = chrome.open(&daemon.url("/demo/")).await;
    tab.flush().await;
    let events = daemon
        .wait_for("the first page view", |e| page_views(e).len() == 1)
        .await;
    let first = page_views(&events)[0].clone();
    let state = tab.state().await;
    assert_eq!(state["session"]["id"], first.session_id.as_str());
    assert_eq!(state["visitor"], first.visitor_id.as_str());

    // A reload continues the session.
    tab.reload().await;
    tab.flush().await;
    let events = daemon
        .wait_for("the page view after the reload", |e| {
            page_views(e).len() == 2
        })
        .await;
    for view in page_views(&events) {
        assert_eq!(view.session_id, first.session_id, "{}", describe(&events));
        assert_eq!(view.visitor_id, first.visitor_id);
    }

    // 31 minutes without an event: the next one starts a new session.
    tab.js::<serde_json::Value>(
        "(() => {
            const s = JSON.parse(localStorage.analytics)
            s.session.last -= 31 * 60 * 1000
            localStorage.analytics = JSON.stringify(s)
            analyticsTracker.track('after-idle', {})
        })()",
    )
    .await;
    tab.flush().await;
    let events = daemon
        .wait_for("the event after idling", |e| {
            !named(e, "after-idle").is_empty()
        })
        .await;
    let after = named(&events, "after-idle")[0].clone();
    assert_ne!(after.session_id, first.session_id, "{}", describe(&events));
    assert_eq!(after.visitor_id, first.visitor_id);
    assert_eq!(
        tab.state().await["session"]["id"],
        after.session_id.as_str()
    );

    // A second tab of the same browser shares the session. It opens in a
    // window of its own so that the first tab stays visible and idle: two tabs
    // that record events at the same moment can lose one (see
    // `tabs_recording_at_the_same_moment_lose_no_events`).
    let pricing = daemon.url("/demo/pricing.html");
    let tab2 = chrome
        .open_with(
            &pricing,
            Open {
                new_window: true,
                ..Open::default()
            },
        )
        .await;
    assert_eq!(
        tab.js::<String>("document.visibilityState").await,
        "visible"
    );
    tab2.track("in-tab-2").await;
    tab2.flush().await;
    daemon
        .wait_for("the second tab's events", |e| {
            has_names(e, &["in-tab-2".into()])
                && page_views(e).iter().any(|v| v.event.url == pricing)
        })
        .await;
    // localStorage reaches the other tab asynchronously: wait until it has.
    let state2: String = tab2.js("localStorage.analytics").await;
    tab.wait_until(
        "the first tab to see the second tab's state",
        &format!("localStorage.analytics == {}", js_str(&state2)),
    )
    .await;
    tab.track("in-tab-1").await;
    tab.flush().await;
    let events = daemon
        .wait_for("the first tab's event", |e| {
            has_names(e, &["in-tab-1".into(), "in-tab-2".into()])
        })
        .await;
    let view2 = page_views(&events)
        .into_iter()
        .find(|v| v.event.url == pricing)
        .unwrap()
        .clone();
    for e in [
        &view2,
        named(&events, "in-tab-1")[0],
        named(&events, "in-tab-2")[0],
    ] {
        assert_eq!(e.session_id, after.session_id, "{}", describe(&events));
        assert_eq!(e.visitor_id, first.visitor_id);
    }
    let sessions: BTreeSet<&str> = events.iter().map(|e| e.session_id.as_str()).collect();
    assert_eq!(
        sessions,
        BTreeSet::from([first.session_id.as_str(), after.session_id.as_str()])
    );
    assert_eq!(
        tab2.state().await["session"]["id"],
        after.session_id.as_str()
    );

    tab.assert_no_tracker_problems();
    tab2.assert_no_tracker_problems();
    chrome.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn events_refused_with_503_arrive_exactly_once_after_recovery() {
    // The first database handle refuses every write, as a database gone
    // read-only does; reopening it fails while `failing` is set.
    let failing = Arc::new(AtomicBool::new(true));
    let opened = Arc::new(AtomicUsize::new(0));
    let (daemon, chrome) = setup!({
        let (failing, opened) = (Arc::clone(&failing), Arc::clone(&opened));
        Daemon::start_with(move |path| {
            let path = path.to_path_buf();
            Box::new(move || {
                let n = opened.fetch_add(1, Ordering::SeqCst) + 1;
                if n > 1 && failing.load(Ordering::SeqCst) {
                    // Its directory: no database can be opened there.
                    return Ok(Box::new(SqliteWriter::open(path.parent().unwrap())?));
                }
                let writer = SqliteWriter::open(&path)?;
                if n == 1 {
                    writer
                        .connection()
                        .pragma_update(None, "query_only", true)?;
                }
                Ok(Box::new(writer))
            })
        })
        .await
    });
    let tab = chrome.open(&daemon.url("/demo/")).await;
    let wait_opened = |n: usize| {
        let opened = Arc::clone(&opened);
        async move {
            let deadline = Instant::now() + DEADLINE;
            while opened.load(Ordering::SeqCst) < n {
                assert!(Instant::now() < deadline, "no retry reached the database");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    // The page view was refused and a retry was refused too.
    wait_opened(2).await;

    let during = names("during-failure", 12);
    for (i, name) in during.iter().enumerate() {
        tab.track(name).await;
        if i % 4 == 0 {
            tab.click(&format!(".grid article:nth-of-type({}) button", i / 4 + 1))
                .await;
        }
    }
    // A retry carrying them is refused as well.
    let before = opened.load(Ordering::SeqCst);
    wait_opened(before + 1).await;
    assert!(daemon.events().is_empty(), "{}", describe(&daemon.events()));

    failing.store(false, Ordering::SeqCst);
    let after = names("after-recovery", 3);
    for name in &after {
        tab.track(name).await;
    }
    let all: Vec<String> = during.iter().chain(&after).cloned().collect();
    let events = daemon
        .wait_for("every event", |e| {
            has_names(e, &all) && clicks(e).len() >= 3 && !page_views(e).is_empty()
        })
        .await;
    tab.wait_until(
        "the tracker's queue to empty",
        "JSON.parse(localStorage.analytics).queue.length == 0",
    )
    .await;
    let events_now = daemon.events();
    assert_eq!(events_now.len(), events.len(), "{}", describe(&events_now));
    assert_exactly_once(&events_now, &all);
    assert_eq!(page_views(&events_now).len(), 1);
    assert_eq!(clicks(&events_now).len(), 3);
    assert_eq!(of_kind(&events_now, EventKind::Custom).len(), all.len());

    tab.assert_no_tracker_problems();
    chrome.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn events_made_while_the_daemon_restarts_arrive_exactly_once() {
    let (mut daemon, chrome) = setup!();
    let tab = chrome.open(&daemon.url("/demo/")).await;
    tab.flush().await;
    daemon
        .wait_for("the page view", |e| page_views(e).len() == 1)
        .await;

    daemon.stop().await;
    // Ten queued events make the tracker send at once; that fails, and
    // flush() settles when the retry is scheduled.
    let down = names("while-down", 10);
    for name in &down {
        tab.track(name).await;
    }
    tab.click("[data-product='earl-grey']").await;
    tab.flush().await;
    tab.click("[data-product='oolong']").await;

    daemon.restart().await;
    let up = names("after-restart", 3);
    for name in &up {
        tab.track(name).await;
    }
    tab.click("[data-product='sencha']").await;

    let all: Vec<String> = down.iter().chain(&up).cloned().collect();
    daemon
        .wait_for("every event", |e| {
            has_names(e, &all) && clicks(e).len() >= 3
        })
        .await;
    tab.wait_until(
        "the tracker's queue to empty",
        "JSON.parse(localStorage.analytics).queue.length == 0",
    )
    .await;
    let events = daemon.events();
    assert_exactly_once(&events, &all);
    assert_eq!(page_views(&events).len(), 1, "{}", describe(&events));
    assert_eq!(clicks(&events).len(), 3, "{}", describe(&events));
    assert_eq!(of_kind(&events, EventKind::Custom).len(), all.len());

    tab.assert_no_tracker_problems();
    chrome.close().await;
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn events_pending_when_the_page_goes_away_are_delivered() {
    let (daemon, chrome) = setup!();

    // Navigating away: no page of the site is left to re-send them.
    let tab = chrome.open(&daemon.url("/demo/")).await;
    tab.flush().await;
    daemon
        .wait_for("the page view", |e| page_views(e).len() == 1)
        .await;
    tab.click("[data-product='earl-grey']").await;
    tab.click("[data-product='sencha']").await;
    tab.track("leaving-by-navigation").await;
    tab.page.goto("about:blank").await.expect("navigate away");
    let events = daemon
        .wait_for("the events sent on navigating away", |e| {
            clicks(e).len() == 2 && !named(e, "leaving-by-navigation").is_empty()
        })
        .await;
    assert_exactly_once(&events, &["leaving-by-navigation".into()]);
    tab.assert_no_tracker_problems();

    // Closing the tab.
    let tab2 = chrome.open(&daemon.url("/demo/pricing.html")).await;
    let pricing = daemon.url("/demo/pricing.html");
    tab2.flush().await;
    daemon
        .wait_for("the pricing page view", |e| {
            page_views(e).iter().any(|v| v.event.url == pricing)
        })
        .await;
    tab2.click("[data-plan='sampler']").await;
    tab2.track("leaving-by-close").await;
    tab2.assert_no_tracker_problems();
    tab2.close().await;
    let events = daemon
        .wait_for("the events sent on closing the tab", |e| {
            clicks(e).iter().any(|c| c.event.url == pricing)
                && !named(e, "leaving-by-close").is_empty()
        })
        .await;
    assert_exactly_once(
        &events,
        &["leaving-by-navigation".into(), "leaving-by-close".into()],
    );
    assert_eq!(clicks(&events).len(), 3, "{}", describe(&events));
    assert_eq!(page_views(&events).len(), 2, "{}", describe(&events));

    chrome.close().await;
}

/// Makes reading `window.localStorage` throw, as a browser blocking storage does.
const BLOCK_LOCAL_STORAGE: &str = "Object.defineProperty(window, 'localStorage', \
    {configurable: true, get() { throw new DOMException('denied', 'SecurityError') }})";

#[tokio::test(flavor = "multi_thread")]
async fn the_tracker_raises_no_script_errors_even_without_local_storage() {
    let (daemon, chrome) = setup!();

    // A normal visit: clicks, scrolling, pages, the app, a custom event.
    let tab = chrome.open(&daemon.url("/demo/")).await;
    tab.click("[data-product='masala-chai']").await;
    tab.click("#hero-cta").await;
    tab.js::<serde_json::Value>("scrollTo(0, document.documentElement.scrollHeight)")
        .await;
    tab.goto(&daemon.url("/demo/blog.html")).await;
    tab.js::<serde_json::Value>("scrollTo(0, document.documentElement.scrollHeight / 2)")
        .await;
    tab.click("header .cart").await;
    tab.goto(&daemon.url("/demo/app")).await;
    tab.click(".side a[href='/demo/app/settings']").await;
    tab.click("#settings button[type=submit]").await;
    tab.track("visit-done").await;
    tab.flush().await;
    daemon
        .wait_for("the visit", |e| {
            !named(e, "visit-done").is_empty() && page_views(e).len() == 4
        })
        .await;
    tab.assert_no_tracker_problems();

    // With localStorage blocked the tracker keeps its state in memory.
    let blocked = daemon.url("/demo/?storage=blocked");
    let tab2 = chrome
        .open_with(
            &blocked,
            Open {
                init_script: Some(BLOCK_LOCAL_STORAGE),
                ..Open::default()
            },
        )
        .await;
    let error: String = tab2
        .js("(() => { try { window.localStorage; return 'readable' } catch (e) { return e.name } })()")
        .await;
    assert_eq!(error, "SecurityError");
    tab2.click("[data-product='oolong']").await;
    tab2.track("without-storage").await;
    tab2.flush().await;
    let events = daemon
        .wait_for("the page view without localStorage", |e| {
            page_views(e).iter().any(|v| v.event.url == blocked)
                && clicks(e).iter().any(|c| c.event.url == blocked)
                && !named(e, "without-storage").is_empty()
        })
        .await;
    let view = page_views(&events)
        .into_iter()
        .find(|v| v.event.url == blocked)
        .unwrap();
    let custom = named(&events, "without-storage")[0];
    assert_eq!(custom.session_id, view.session_id);
    assert_ne!(
        view.session_id,
        page_views(&events)[0].session_id,
        "storage is separate"
    );
    tab2.assert_no_tracker_problems();

    chrome.close().await;
}

/// Two visible tabs record events alternately, a few milliseconds apart.
/// Every event must arrive.
#[tokio::test(flavor = "multi_thread")]
async fn tabs_recording_at_the_same_moment_lose_no_events() {
    let (daemon, chrome) = setup!();
    let window = Open {
        new_window: true,
        ..Open::default()
    };
    let tab1 = chrome.open_with(&daemon.url("/demo/"), window).await;
    let tab2 = chrome
        .open_with(&daemon.url("/demo/pricing.html"), window)
        .await;
    let mut all = Vec::new();
    for i in 1..=10 {
        for (tab, name) in [(&tab1, format!("tab-1-{i}")), (&tab2, format!("tab-2-{i}"))] {
            tab.track(&name).await;
            all.push(name);
        }
    }
    tab1.flush().await;
    tab2.flush().await;
    let events = daemon
        .wait_for("every event of both tabs", |e| has_names(e, &all))
        .await;
    assert_exactly_once(&events, &all);
    chrome.close().await;
}

// ---------------------------------------------------------------------------
// The hard cases: `tests/fixtures/hard_cases*.html`, served from another origin
// than the daemon's, as a real site embeds the tracker.

/// The stored clicks, in time order, with their targets.
fn click_targets(events: &[StoredEvent]) -> Vec<(&StoredEvent, &shared::event::Target)> {
    clicks(events)
        .into_iter()
        .map(|e| (e, e.event.target.as_ref().expect("a click target")))
        .collect()
}

/// `document.querySelector(selector) === element` in the page, where each
/// ` >>> ` of the selector goes into the open shadow root of the element found
/// so far (the notation of `tracker/README.md`).
async fn resolves_to(tab: &Tab, selector: &str, element: &str) -> bool {
    tab.js(&format!(
        "(() => {{
            let found = null
            for (const part of {}.split(' >>> '))
                found = (found ? found.shadowRoot : document).querySelector(part)
            return found === ({element})
        }})()",
        js_str(selector)
    ))
    .await
}

/// How many code points the tracker keeps of a label.
const LABEL_CODE_POINTS: usize = 128;

#[tokio::test(flavor = "multi_thread")]
async fn labels_leave_out_typed_text_and_form_fields_and_are_cut_on_code_points() {
    let (daemon, chrome) = setup!();
    let pages = Pages::start(&daemon).await;
    let tab = chrome.open(&pages.url("hard_cases.html")).await;

    // Text typed through the browser into every kind of field and editor.
    let shadow_editor = "document.querySelector('#note').shadowRoot.querySelector('.editor')";
    let typed = [
        ("document.querySelector('#notes-editor')", "SECRET-NOTES"),
        ("document.querySelector('#bio-editor')", "SECRET-BIO"),
        (
            "document.querySelector('#empty-attribute-editor').parentNode",
            "SECRET-DRAFT",
        ),
        ("document.querySelector('#comment')", "SECRET-COMMENT"),
        ("document.querySelector('#name')", "SECRET-NAME"),
        (shadow_editor, "SECRET-SHADOW"),
    ];
    for (element, text) in typed {
        tab.type_into(element, text).await;
        let landed: bool = tab
            .js(&format!(
                "(() => {{ const e = {element}; return (e.value ?? e.innerText).includes({}) }})()",
                js_str(text)
            ))
            .await;
        assert!(landed, "{text} was not typed into {element}");
    }

    // The wrapper, through its heading; the large section, on its padding;
    // a button whose label has an emoji where labels are cut.
    tab.click("#notes-title").await;
    tab.click_element_at("document.querySelector('#big')", true, Some([6.0, 6.0]))
        .await;
    tab.click("#emoji").await;
    tab.flush().await;
    let events = daemon
        .wait_for("three clicks", |e| clicks(e).len() >= 3)
        .await;
    let stored = click_targets(&events);
    assert_eq!(stored.len(), 3, "{}", describe(&events));
    let labels: Vec<String> = stored
        .iter()
        .map(|(_, t)| t.label.clone().unwrap_or_default())
        .collect();
    for label in &labels {
        assert!(
            !label.contains("SECRET"),
            "typed text in a label: {label:?}"
        );
    }

    let wrapper = &labels[0];
    assert_eq!(
        stored[0].1.selector.as_deref(),
        Some("#notes-card"),
        "the [data-testid] wrapper is the clicked element"
    );
    assert_eq!(wrapper, "Meeting notes Saved automatically");

    let section = &labels[1];
    // The text before and after the fields and editors (up to the cut).
    assert!(
        section.starts_with("Your profile Tell us about yourself End of"),
        "{section:?}"
    );
    for left_out in [
        "Draft kept here",
        "Default comment",
        "Prefilled name",
        "Atlantis",
        "Lemuria",
        "Hidden helper text",
        "script text",
    ] {
        assert!(!section.contains(left_out), "{left_out:?} in {section:?}");
    }

    // Cut after the emoji (a UTF-16 cut would split it).
    let emoji_label = &labels[2];
    let expected: String = "a".repeat(LABEL_CODE_POINTS - 1) + "\u{1F600}";
    assert_eq!(emoji_label, &expected);
    let cut_in_utf16: String = std::char::decode_utf16(
        ("a".repeat(LABEL_CODE_POINTS - 1) + "\u{1F600}")
            .encode_utf16()
            .take(LABEL_CODE_POINTS),
    )
    .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
    .collect();
    assert_ne!(emoji_label, &cut_in_utf16);

    tab.assert_no_tracker_problems();
    chrome.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn clicks_on_a_right_to_left_page_scrolled_sideways_are_placed_from_its_left_edge() {
    let (daemon, chrome) = setup!();
    let pages = Pages::start(&daemon).await;
    let tab = chrome.open(&pages.url("hard_cases_rtl.html")).await;
    let middle = "document.querySelector('#middle')";

    // The same button at two horizontal scroll positions; the page extends
    // to the left of its initial view, so pageX is negative at the first.
    let mut expected = Vec::new();
    for scroll_x in [-1000, -600] {
        let at: f64 = tab
            .js(&format!(
                "(async () => {{
                    scrollTo({scroll_x}, 0)
                    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
                    return scrollX
                }})()"
            ))
            .await;
        assert_eq!(at, f64::from(scroll_x), "the page did not scroll sideways");
        // The document's left edge (the wide block's) and the button, in the
        // viewport, just before the click.
        let (edge, button): (f64, f64) = tab
            .js(&format!(
                "[document.querySelector('#wide').getBoundingClientRect().left, \
                  {middle}.getBoundingClientRect().left]"
            ))
            .await;
        let clicked = tab.click_element(middle, false).await;
        if scroll_x == -1000 {
            assert!(clicked.x < 0.0, "pageX should be negative: {clicked:?}");
        }
        expected.push((clicked.viewport_point[0] - edge, button - edge));
    }
    tab.flush().await;
    let events = daemon
        .wait_for("two clicks", |e| clicks(e).len() >= 2)
        .await;
    let stored = click_targets(&events);
    assert_eq!(stored.len(), 2, "{}", describe(&events));
    for ((event, target), (x, box_x)) in stored.iter().zip(&expected) {
        let stored_x = f64::from(event.event.x.expect("x"));
        assert!(
            (stored_x - x).abs() <= 1.0,
            "stored x {stored_x}, distance from the left edge {x}"
        );
        let rect = target.rect.expect("box");
        assert!(
            (f64::from(rect.x) - box_x).abs() <= 1.0,
            "stored box x {}, distance from the left edge {box_x}",
            rect.x
        );
    }
    assert!(
        (stored[0].0.event.x.expect("x") - stored[1].0.event.x.expect("x")).abs() <= 1,
        "the same point of the same element is stored at the same x: {}",
        describe(&events)
    );

    tab.assert_no_tracker_problems();
    chrome.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn selectors_resolve_after_the_round_trip_and_stay_within_the_limit() {
    let (daemon, chrome) = setup!();
    let pages = Pages::start(&daemon).await;
    let tab = chrome.open(&pages.url("hard_cases.html")).await;

    let by_id = |id: &str| format!("document.getElementById({})", js_str(id));
    let long_id = "x".repeat(600);
    let deep = "document.querySelector('.card-list__item-wrapper--highlighted-and-selected-state-modifier-9 > button')";
    let targets = [
        by_id("save "),
        by_id("pay\u{a0}now"),
        by_id("ship\u{200b}it"),
        by_id(&long_id),
        deep.to_string(),
    ];
    let class_chars: usize = tab
        .js(&format!(
            "(() => {{ let n = {deep}, s = 0; for (; n; n = n.parentElement) s += n.className.length; return s }})()"
        ))
        .await;
    assert!(
        class_chars > 520,
        "the deep path has {class_chars} characters of classes"
    );
    for target in &targets {
        tab.click_element(target, true).await;
    }
    tab.flush().await;
    let events = daemon
        .wait_for("five clicks", |e| clicks(e).len() >= targets.len())
        .await;
    let stored = click_targets(&events);
    assert_eq!(stored.len(), targets.len(), "{}", describe(&events));

    for (i, ((_, target), element)) in stored.iter().zip(&targets).enumerate() {
        let selector = target.selector.as_deref();
        if i == 3 {
            // "#xxx…" is over 512 characters and no other step fits: none.
            assert_eq!(selector, None, "{element}");
            continue;
        }
        let selector = selector.unwrap_or_else(|| panic!("{element}: no selector"));
        assert!(selector.chars().count() <= 512, "{element}: {selector}");
        if i < 3 {
            assert!(selector.starts_with('#'), "{element}: {selector:?}");
        }
        assert!(
            resolves_to(&tab, selector, element).await,
            "{element}: stored selector {selector:?} does not resolve to it"
        );
    }

    tab.assert_no_tracker_problems();
    chrome.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_click_on_a_label_is_stored_once() {
    let (daemon, chrome) = setup!();
    let pages = Pages::start(&daemon).await;
    let tab = chrome.open(&pages.url("hard_cases.html")).await;

    // A label with for=, a label around its checkbox, then a checkbox itself.
    tab.click("#agree-label").await;
    tab.click("#news-label").await;
    let checked: [bool; 2] = tab
        .js("[document.querySelector('#agree').checked, document.querySelector('#news').checked]")
        .await;
    assert_eq!(
        checked,
        [true, true],
        "the labels did not reach their checkboxes"
    );
    tab.click("#agree").await;
    let checked: bool = tab.js("document.querySelector('#agree').checked").await;
    assert!(!checked);
    tab.track("after-the-clicks").await;
    tab.flush().await;
    let events = daemon
        .wait_for("the clicks", |e| !named(e, "after-the-clicks").is_empty())
        .await;
    let stored: Vec<(Option<String>, Option<String>)> = click_targets(&events)
        .iter()
        .map(|(_, t)| (t.selector.clone(), t.label.clone()))
        .collect();
    assert_eq!(
        stored,
        [
            (
                Some("#agree-label".to_string()),
                Some("I agree to the terms".to_string())
            ),
            (
                Some("#news-label".to_string()),
                Some("Send me the newsletter".to_string())
            ),
            (Some("#agree".to_string()), None),
        ],
        "{}",
        describe(&events)
    );

    tab.assert_no_tracker_problems();
    chrome.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn clicks_inside_nested_shadow_roots_name_the_inner_element() {
    let (daemon, chrome) = setup!();
    let pages = Pages::start(&daemon).await;
    let tab = chrome.open(&pages.url("hard_cases.html")).await;

    let panel =
        "document.querySelector('#card').shadowRoot.querySelector('inner-panel').shadowRoot";
    let button = format!("{panel}.querySelector('button.go')");
    // A span whose steps also match a decoy before it: its path is only
    // unique from the top of its shadow root.
    let span = format!(
        "[...{panel}.querySelectorAll('span')].find((s) => s.textContent == 'Target text')"
    );
    tab.click_element(&button, true).await;
    tab.click_element(&span, true).await;
    tab.flush().await;
    let events = daemon
        .wait_for("two clicks", |e| clicks(e).len() >= 2)
        .await;
    let stored = click_targets(&events);
    assert_eq!(stored.len(), 2, "{}", describe(&events));

    for ((_, target), (element, label)) in stored
        .iter()
        .zip([(&button, "Open the report"), (&span, "Target text")])
    {
        assert_eq!(target.label.as_deref(), Some(label));
        let selector = target.selector.as_deref().expect("selector");
        let parts: Vec<&str> = selector.split(" >>> ").collect();
        assert_eq!(parts.len(), 3, "host, inner host, element: {selector:?}");
        assert_eq!(parts[0], "#card");
        assert!(
            resolves_to(&tab, selector, element).await,
            "{selector:?} does not resolve to {element}"
        );
    }
    let span_selector = stored[1].1.selector.as_deref().unwrap_or_default();
    assert!(
        span_selector.ends_with(" >>> :host>div:nth-child(1)>span:nth-child(2)"),
        "{span_selector:?}"
    );

    tab.assert_no_tracker_problems();
    chrome.close().await;
}

/// The scroll reports of the page views of `url`.
fn reports_of<'a>(events: &'a [StoredEvent], url: &str) -> Vec<&'a StoredEvent> {
    of_kind(events, EventKind::Scroll)
        .into_iter()
        .filter(|e| e.event.url == url)
        .collect()
}

/// A page view read in two visits (its tab hidden by another, then shown
/// again) sends two scroll reports, the second going on from the first's
/// depth; the scroll reach counts the view once, to the depth it reached.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_view_read_in_two_visits_counts_once_in_the_scroll_reach() {
    let (daemon, chrome) = setup!();
    let url = daemon.url("/demo/blog.html");
    let tab = chrome.open(&url).await;
    let room: f64 = tab
        .js("document.documentElement.scrollHeight - innerHeight")
        .await;
    assert!(room > 300.0, "the page must scroll: {room}");
    tab.js::<serde_json::Value>(
        "scrollTo(0, (document.documentElement.scrollHeight - innerHeight) / 3)",
    )
    .await;
    // Another tab in front hides this one: the first report.
    let other = chrome.open(&daemon.url("/demo/pricing.html")).await;
    daemon
        .wait_for("the first report", |e| reports_of(e, &url).len() == 1)
        .await;
    tab.bring_to_front().await;
    tab.js::<serde_json::Value>("scrollTo(0, document.documentElement.scrollHeight)")
        .await;
    // Leaving the page ends the view: the second report.
    tab.goto(&daemon.url("/demo/")).await;
    let events = daemon
        .wait_for("the second report", |e| reports_of(e, &url).len() == 2)
        .await;
    let reports = reports_of(&events, &url);
    let (first, second) = (&reports[0].event, &reports[1].event);
    let reached = first.depth.expect("a depth");
    assert!(reached > 0.2 && reached < 0.9, "{first:?}");
    assert_eq!(first.depth_from, Some(0.0));
    assert_eq!(second.depth_from, first.depth);
    assert_eq!(second.depth, Some(1.0));

    let reader = SqliteReader::open(&daemon.db_path).expect("reader");
    let reach = reader
        .scroll_reach(&HeatmapQuery {
            pages: PagePattern::new("/demo/blog.html"),
            filter: Filter::default(),
            segment: WidthSegment::All,
            columns: 100,
        })
        .expect("scroll reach");
    let height = second.page.expect("a page size").height;
    assert_eq!(reach.views, 1, "{reach:?}");
    let shares: Vec<f64> = reach.points.iter().map(|p| p.share).collect();
    assert_eq!(shares, [1.0, 0.0], "one view, to the bottom: {reach:?}");
    let bottom = reach.points[1].y;
    assert!(
        bottom.abs_diff(height) <= 8,
        "{bottom} vs the page's {height} px"
    );
    tab.assert_no_tracker_problems();
    other.assert_no_tracker_problems();
    chrome.close().await;
}
