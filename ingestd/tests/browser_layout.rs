//! Layout snapshots in a real browser: headless Chromium loads a test page
//! (`tests/fixtures/layout.html`, from another origin than the daemon's)
//! whose tracker is asked for a snapshot; the tests read what `layout.js`
//! sent, compare its boxes with the page, and count what the daemon asked.
//!
//! What the browser sent is read in the page, exactly as sent (the store
//! keeps the server's reading of it) (an init script records the tracker's request bodies and the
//! replies it read) and what the daemon asked for and received from its
//! metrics.
//!
//! Chromium is `$CHROMIUM` or `/usr/bin/chromium`; without it every test
//! prints `skipped: no Chromium …` and passes, unless `REQUIRE_BROWSER=1`.

mod browser_support;

use browser_support::*;
use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use serde_json::Value;
use shared::event::EventKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

macro_rules! setup {
    () => {{
        let Some(executable) = chromium() else {
            return;
        };
        let daemon = Daemon::start().await;
        let chrome = Chrome::launch(&executable).await;
        (daemon, chrome)
    }};
}

/// Records, before any script of the page runs, every body the tracker
/// posts (with the scroll position then) and every JSON reply it reads.
const RECORD: &str = r#"
window.__sent = [];
window.__replies = [];
const realFetch = window.fetch;
window.fetch = function (url, init) {
  if (init && typeof init.body == 'string') window.__sent.push({body: init.body, scrollY});
  return realFetch.apply(this, arguments).then((r) => {
    r.clone().json().then((j) => window.__replies.push(j), () => {});
    return r;
  });
};
"#;

/// A tab that records what the tracker sends, for a new visitor: visitors'
/// tabs share nothing (the tabs of one visitor share the tracker's queue, so
/// one tab's reply can answer for another tab's page).
async fn open_as_visitor(chrome: &Chrome, url: &str) -> Tab {
    let visitor = chrome.new_visitor().await;
    let options = Open {
        init_script: Some(RECORD),
        visitor: Some(&visitor),
        // A context has no window of its own yet to open a tab in.
        new_window: true,
    };
    chrome.open_with(url, options).await
}

/// A JavaScript condition: the tab has sent a layout snapshot.
const SENT_A_LAYOUT: &str = "window.__sent.some((s) => s.body.includes('\"type\":\"layout\"'))";

/// The layout events a tab sent, with the raw body and scroll position of
/// the request that carried each.
async fn sent_layouts(tab: &Tab) -> Vec<(Value, String, f64)> {
    let sent: Vec<Value> = tab.js("window.__sent").await;
    let mut layouts = Vec::new();
    for s in sent {
        let body = s["body"].as_str().unwrap_or_default().to_owned();
        let parsed: Value = serde_json::from_str(&body).expect("the tracker sends JSON");
        for event in parsed["events"].as_array().into_iter().flatten() {
            if event["type"] == "layout" {
                layouts.push((
                    event.clone(),
                    body.clone(),
                    s["scrollY"].as_f64().unwrap_or(0.0),
                ));
            }
        }
    }
    layouts
}

/// Whether the tab's document requested `layout.js`.
async fn loaded_layout_js(tab: &Tab) -> bool {
    tab.js("performance.getEntriesByType('resource').some((e) => /\\/layout\\.js$/.test(e.name))")
        .await
}

/// A counter of the daemon's `/metrics`.
async fn metric(addr: SocketAddr, name: &str) -> u64 {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.expect("read");
    reply
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
}

/// Polls the counter `name` until it is `want`.
async fn wait_for_metric(addr: SocketAddr, name: &str, want: u64) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let got = metric(addr, name).await;
        if got == want {
            return;
        }
        assert!(Instant::now() < deadline, "{name} is {got}, not {want}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const ASKS: &str = "ingestd_layout_asks_total";
const RECEIVED: &str = "ingestd_layouts_received_total";

/// The page box (`getBoundingClientRect()` + scroll) of the element each
/// selector names (` >>> ` crossing into shadow roots), or null.
async fn page_boxes(tab: &Tab, selectors: &[String]) -> Vec<Option<[f64; 4]>> {
    let selectors = serde_json::to_string(selectors).expect("selectors");
    tab.js(&format!(
        "{selectors}.map((s) => {{
            let el = null
            for (const part of s.split(' >>> ')) el = (el ? el.shadowRoot : document).querySelector(part)
            if (!el) return null
            const r = el.getBoundingClientRect()
            return [r.x + scrollX, r.y + scrollY, r.width, r.height]
        }})"
    ))
    .await
}

// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn layout_boxes_are_the_page_boxes_and_hold_no_private_text() {
    let (daemon, chrome) = setup!();
    let pages = Pages::start(&daemon).await;
    let tab = open_as_visitor(&chrome, &pages.url("layout.html")).await;
    // Before the snapshot (taken after the first reply, a second or more
    // after the page view): type into a field and scroll down.
    tab.type_into("document.getElementById('typed')", "typed-secret")
        .await;
    tab.js::<Value>("window.scrollTo(0, 1200)").await;
    tab.wait_until("the layout snapshot", SENT_A_LAYOUT).await;
    wait_for_metric(daemon.addr, RECEIVED, 1).await;

    let layouts = sent_layouts(&tab).await;
    assert_eq!(layouts.len(), 1, "one snapshot per page view");
    let (layout, body, scroll_y) = &layouts[0];
    assert_eq!(*scroll_y, 1200.0, "the page was scrolled when it was sent");
    let typed: String = tab.js("document.getElementById('typed').value").await;
    assert_eq!(typed, "typed-secret");

    // Nothing typed, prefilled, editable or private reaches the request.
    for secret in [
        "secret",
        "account-title",
        "private-button",
        "private-link",
        "#account>",
    ] {
        assert!(!body.contains(secret), "{secret} was sent: {body}");
    }

    let boxes = layout["boxes"].as_array().expect("boxes");
    let selectors: Vec<String> = boxes
        .iter()
        .map(|b| b["selector"].as_str().expect("selector").to_owned())
        .collect();
    let of = |selector: &str| {
        boxes
            .iter()
            .find(|b| b["selector"] == selector)
            .unwrap_or_else(|| panic!("no box {selector} in {boxes:#?}"))
    };

    // Every box is its element's page box, within 1 px, on the scrolled page
    // and in the centred container.
    let actual = page_boxes(&tab, &selectors).await;
    for ((b, selector), actual) in boxes.iter().zip(&selectors).zip(&actual) {
        let actual = actual.unwrap_or_else(|| panic!("{selector} resolves to nothing"));
        let sent: Vec<f64> = b["box"]
            .as_array()
            .expect("box")
            .iter()
            .map(|v| v.as_f64().expect("number"))
            .collect();
        for (s, a) in sent.iter().zip(actual) {
            assert!(
                (s - a).abs() <= 1.0,
                "{selector}: sent {sent:?}, page {actual:?}"
            );
        }
    }
    let main = of("#main")["box"][0].as_f64().unwrap_or_default();
    assert!(main > 100.0, "the container is centred: main at x {main}");
    assert_eq!(
        of("#top")["box"][1],
        0,
        "the header's page y, scrolled away"
    );

    // Kinds, in the tracker's order of priority (structure first).
    let kinds: Vec<&str> = boxes.iter().filter_map(|b| b["kind"].as_str()).collect();
    let rank = |k: &str| {
        shared::layout::BoxKind::from_code(k)
            .unwrap_or_else(|| panic!("unknown kind {k}"))
            .index()
    };
    assert!(
        kinds.windows(2).all(|w| rank(w[0]) <= rank(w[1])),
        "{kinds:?}"
    );
    for kind in [
        "header", "nav", "main", "section", "article", "form", "heading", "button", "link",
        "input", "tracked", "image", "media", "footer",
    ] {
        assert!(kinds.contains(&kind), "no {kind} box: {kinds:?}");
    }
    assert_eq!(of("#photo")["kind"], "image");
    assert_eq!(of("#chart")["kind"], "media");
    assert_eq!(
        of("#account")["kind"],
        "section",
        "a private element's own box is kept"
    );
    let count = |kind: &str| kinds.iter().filter(|k| **k == kind).count();
    assert_eq!(count("image"), 1, "the 16 px icon is left out");
    assert_eq!(count("media"), 1, "the 30×12 canvas is left out");
    assert_eq!(
        count("button"),
        4,
        "the hidden button is left out: {kinds:?}"
    );
    assert_eq!(count("input"), 4);

    // Labels: headings, buttons and links only, blanks collapsed, 40 at most.
    let label = |selector: &str| of(selector)["text"].as_str().map(str::to_owned);
    assert_eq!(label("#buy-sencha").as_deref(), Some("Add to cart"));
    assert_eq!(label("#send").as_deref(), Some("Send"));
    for b in boxes {
        let kind = b["kind"].as_str().unwrap_or_default();
        let text = b["text"].as_str();
        if !["heading", "button", "link"].contains(&kind) {
            assert_eq!(text, None, "{b}");
        }
        assert!(text.is_none_or(|t| t.chars().count() <= 40), "{b}");
    }
    let headings: Vec<&str> = boxes
        .iter()
        .filter(|b| b["kind"] == "heading")
        .filter_map(|b| b["text"].as_str())
        .collect();
    assert!(headings.contains(&"Green tea, plainly"), "{headings:?}");
    assert!(
        headings.contains(&"Chamomile with a name far longer than fo"),
        "{headings:?}"
    );
    let links: Vec<&str> = boxes
        .iter()
        .filter(|b| b["kind"] == "link")
        .filter_map(|b| b["text"].as_str())
        .collect();
    assert!(links.contains(&"Shop all teas"), "{links:?}");

    // Inside an open shadow root, named as a click inside it would be.
    assert_eq!(of("#shadowed >>> #inner")["kind"], "button");

    // A click names the same selector as the layout box of its element.
    let clicked = "document.querySelectorAll('#offers button')[1]";
    tab.click_element(clicked, true).await;
    tab.flush().await;
    let events = daemon
        .wait_for("the click", |e| !of_kind(e, EventKind::Click).is_empty())
        .await;
    let click = of_kind(&events, EventKind::Click)[0];
    let click_selector = click.event.target.as_ref().and_then(|t| t.selector.clone());
    let click_selector = click_selector.expect("the click's selector");
    assert!(click_selector.contains(":nth-child("), "{click_selector}");
    assert_eq!(of(&click_selector)["kind"], "button");

    // The daemon took it as the one snapshot it asked for; nothing was stored.
    assert_eq!(metric(daemon.addr, ASKS).await, 1);
    assert!(
        events
            .iter()
            .all(|e| matches!(e.event.kind, EventKind::PageView | EventKind::Click)),
        "{}",
        describe(&events)
    );
    tab.assert_no_tracker_problems();
    chrome.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_snapshot_is_asked_for_once_per_page_and_segment_and_again_when_the_page_changes() {
    let (daemon, chrome) = setup!();
    let pages = Pages::start(&daemon).await;
    let url = pages.url("layout.html");

    // The first page view of the page is asked for a snapshot.
    let first = open_as_visitor(&chrome, &url).await;
    first.wait_until("the first snapshot", SENT_A_LAYOUT).await;
    wait_for_metric(daemon.addr, RECEIVED, 1).await;
    assert!(loaded_layout_js(&first).await);
    assert_eq!(metric(daemon.addr, ASKS).await, 1);

    // The next page view of it, at the same width, loads nothing more.
    let second = open_as_visitor(&chrome, &url).await;
    second.flush().await;
    second
        .wait_until("the reply", "window.__replies.length > 0")
        .await;
    let asked: bool = second
        .js("window.__replies.some((r) => r.layout === true)")
        .await;
    assert!(!asked, "asked for a snapshot the daemon has");
    assert!(!loaded_layout_js(&second).await);
    assert_eq!(metric(daemon.addr, ASKS).await, 1);

    // The same page on a phone is another width segment: asked again.
    let phone = open_as_visitor(&chrome, &url).await;
    phone
        .page
        .execute(SetDeviceMetricsOverrideParams::new(390, 800, 1.0, false))
        .await
        .expect("phone viewport");
    phone.reload().await;
    phone
        .wait_until("the phone's snapshot", SENT_A_LAYOUT)
        .await;
    wait_for_metric(daemon.addr, RECEIVED, 2).await;
    let phone_layouts = sent_layouts(&phone).await;
    assert_eq!(phone_layouts[0].0["viewport"][0], 390);
    assert_eq!(metric(daemon.addr, ASKS).await, 2);

    // The page changes: a click on a new button, which the newest snapshot
    // lacks, asks for a new one, which has it.
    second
        .js::<Value>(
            "document.getElementById('offers').append(Object.assign(document.createElement('button'), \
             {id: 'new-offer', textContent: 'New offer'}))",
        )
        .await;
    second.click("#new-offer").await;
    second.flush().await;
    second
        .wait_until("the snapshot of the changed page", SENT_A_LAYOUT)
        .await;
    wait_for_metric(daemon.addr, RECEIVED, 3).await;
    assert_eq!(metric(daemon.addr, ASKS).await, 3);
    assert!(loaded_layout_js(&second).await);
    let changed = sent_layouts(&second).await;
    assert_eq!(changed.len(), 1);
    let has_new = changed[0].0["boxes"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|b| b["selector"] == "#new-offer");
    assert!(has_new, "the new snapshot has the new button");

    // Clicking it again asks nothing: the snapshot has it.
    second.click("#new-offer").await;
    second.flush().await;
    let third = open_as_visitor(&chrome, &url).await;
    third.flush().await;
    third
        .wait_until("the reply", "window.__replies.length > 0")
        .await;
    assert_eq!(metric(daemon.addr, ASKS).await, 3);
    assert!(!loaded_layout_js(&third).await);

    for tab in [&first, &second, &phone, &third] {
        tab.assert_no_tracker_problems();
    }
    chrome.close().await;
}

/// A click on one button from a window 1280 px wide and one from 1920 px:
/// by their own page widths they fall in different columns (the page's
/// container is centred), and on the heatmap placed over the page's layout
/// both land inside the button's box.
#[tokio::test(flavor = "multi_thread")]
async fn one_button_clicked_at_two_widths_lands_on_its_box_in_the_layout() {
    use shared::page_key::PagePattern;
    use shared::store::core::anchoring::{place, selectors_to_place};
    use shared::store::heat::{FineCell, Scale};
    use shared::store::layout_query::LayoutQuery;
    use shared::store::query::{Filter, HeatmapQuery, WidthSegment};
    use shared::store::sqlite::SqliteReader;
    use shared::store::EventReader;

    let (daemon, chrome) = setup!();
    let pages = Pages::start(&daemon).await;
    let url = pages.url("layout.html");
    let pattern = PagePattern::new("/layout.html");
    let desktop_layout = |reader: &SqliteReader| {
        let query = LayoutQuery {
            site: None,
            pages: pattern.clone(),
            segment: WidthSegment::Desktop,
        };
        reader
            .layout(&query, WidthSegment::Desktop, None)
            .expect("layouts")
    };

    for (width, height) in [(1280, 800), (1920, 1000)] {
        let tab = open_as_visitor(&chrome, &url).await;
        tab.page
            .execute(SetDeviceMetricsOverrideParams::new(
                width, height, 1.0, false,
            ))
            .await
            .expect("window size");
        tab.reload().await;
        if width == 1280 {
            // The first desktop page view is asked for the snapshot.
            tab.wait_until("the desktop snapshot", SENT_A_LAYOUT).await;
            let deadline = Instant::now() + DEADLINE;
            while desktop_layout(&SqliteReader::open(&daemon.db_path).expect("reader")).is_none() {
                assert!(Instant::now() < deadline, "no desktop layout stored");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let clicked = tab
            .click_element_at(
                "document.querySelector('#buy-sencha')",
                true,
                Some([6.0, 5.0]),
            )
            .await;
        assert_eq!(clicked.size.viewport[0], width as u32);
        tab.flush().await;
        tab.assert_no_tracker_problems();
    }
    daemon
        .wait_for("both clicks", |events| {
            events
                .iter()
                .filter(|e| e.event.kind == EventKind::Click)
                .count()
                == 2
        })
        .await;

    let reader = SqliteReader::open(&daemon.db_path).expect("reader");
    let query = HeatmapQuery {
        pages: pattern.clone(),
        filter: Filter::default(),
        segment: WidthSegment::Desktop,
        columns: 160,
    };
    let map = reader.heatmap(&query).expect("heatmap");
    assert_eq!(map.total_clicks, 2);
    let columns: Vec<u32> = map.bins.iter().map(|b| b.column).collect();
    assert!(
        columns.len() == 2 && columns[0].abs_diff(columns[1]) > 5,
        "by their own widths the clicks are apart: {:?}",
        map.bins
    );

    let layout = desktop_layout(&reader).expect("the desktop layout").layout;
    let button = layout
        .boxes
        .iter()
        .find(|b| b.selector.ends_with("#buy-sencha"))
        .unwrap_or_else(|| panic!("the layout has the button: {:?}", layout.boxes))
        .rect;
    let anchors = reader
        .heat_anchors(&query, &selectors_to_place(&map, &layout))
        .expect("anchors");
    let placed = place(&map, &anchors, &layout);
    assert_eq!(placed.anchored_clicks, 2);
    // The button's cells, by the rule the wireframe outlines it with.
    let scale = Scale::new(
        map.columns,
        i64::from(map.page_width),
        i64::from(map.page_height),
    );
    let corner = |x: i32, y: i32| {
        let fine = FineCell::of(0, Some(x), Some(y), Some(layout.page.width), None).expect("cell");
        scale.cell(fine.gx, fine.gy)
    };
    let (left, top) = corner(button.x, button.y);
    let (right, bottom) = corner(
        button.x + button.width as i32 - 1,
        button.y + button.height as i32 - 1,
    );
    for bin in &placed.map.bins {
        assert!(
            (left..=right).contains(&bin.column) && (top..=bottom).contains(&bin.row),
            "{bin:?} is outside the button's cells {left}..={right} × {top}..={bottom}"
        );
    }
    assert_eq!(placed.map.bins.iter().map(|b| b.clicks).sum::<u64>(), 2);
    chrome.close().await;
}
