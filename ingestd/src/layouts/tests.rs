use super::*;
use shared::event::{Rect, Size, Target};
use shared::layout::{BoxKind, Layout, LayoutBox};

const HOUR: i64 = 3_600_000;
const T0: i64 = 1_764_000_000_000;

fn page(page_key: &str, segment: WidthSegment) -> PageAt<'_> {
    PageAt {
        site: "demo",
        page_key,
        segment,
    }
}

fn desktop(page_key: &str) -> PageAt<'_> {
    page(page_key, WidthSegment::Desktop)
}

#[test]
fn asks_once_then_waits_for_the_snapshot_or_the_lease() {
    let book = MemoryLayouts::new(24 * HOUR);
    let home = desktop("a.example/");
    assert!(book.wanted(home, &[], T0), "no snapshot yet");
    assert!(!book.wanted(home, &[], T0 + 1000), "one browser is asked");
    assert!(
        book.wanted(desktop("a.example/other"), &[], T0 + 1000),
        "pages are asked for apart"
    );
    assert!(
        book.wanted(page("a.example/", WidthSegment::Mobile), &[], T0 + 1000),
        "so are segments"
    );
    // The asked browser never answered: after the lease, the next is asked.
    assert!(!book.wanted(home, &[], T0 + ASK_LEASE_MS - 1));
    assert!(book.wanted(home, &[], T0 + ASK_LEASE_MS));
    // Its snapshot arrives: nobody is asked until it is too old.
    book.received(home, &["#a", "#b"], &[], T0 + ASK_LEASE_MS + 500);
    let taken = T0 + ASK_LEASE_MS + 500;
    assert!(!book.wanted(home, &["#a", "#b"], taken + 1000));
    assert!(!book.wanted(home, &[], taken + 24 * HOUR - 1));
    assert!(book.wanted(home, &[], taken + 24 * HOUR));
}

#[test]
fn a_click_the_snapshot_lacks_asks_again_until_a_snapshot_explains_it() {
    let book = MemoryLayouts::new(24 * HOUR);
    let home = desktop("a.example/");
    book.received(home, &["#a"], &[], T0);
    // A new button: its selector is not in the newest snapshot.
    assert!(book.wanted(home, &["#a", "#new"], T0 + 1000));
    assert!(!book.wanted(home, &["#new"], T0 + 2000), "the lease holds");
    // The new snapshot has it: quiet again.
    book.received(home, &["#a", "#new"], &[], T0 + 3000);
    assert!(!book.wanted(home, &["#new", "#a"], T0 + 4000));

    // A paragraph: no snapshot records it. It asks once; the snapshot taken
    // after the click still lacks it, so it asks no more.
    assert!(book.wanted(home, &["main>p:nth-child(3)"], T0 + 5000));
    book.received(home, &["#a", "#new"], &[], T0 + 6000);
    assert!(!book.wanted(home, &["main>p:nth-child(3)"], T0 + 7000));
    // A later snapshot that does hold it (a menu open when it was taken)
    // makes it an ordinary selector again.
    book.received(home, &["#a", "main>p:nth-child(3)"], &[], T0 + 8000);
    assert!(!book.wanted(home, &["main>p:nth-child(3)"], T0 + 9000));
    book.received(home, &["#a"], &[], T0 + 10_000);
    assert!(book.wanted(home, &["main>p:nth-child(3)"], T0 + 11_000));
}

#[test]
fn clicks_sent_with_a_snapshot_that_lacks_them_ask_no_more() {
    let book = MemoryLayouts::new(24 * HOUR);
    let home = desktop("a.example/");
    book.received(home, &["#a"], &["main>p:nth-child(1)"], T0);
    assert!(!book.wanted(home, &["main>p:nth-child(1)"], T0 + 1000));
    // Clicked before the first snapshot, in an earlier batch: the same.
    let blog = desktop("a.example/blog");
    assert!(book.wanted(blog, &["#x"], T0));
    book.received(blog, &["#a"], &[], T0 + 1000);
    assert!(!book.wanted(blog, &["#x"], T0 + 2000));
}

#[test]
fn remembers_a_bounded_number_of_pages() {
    let book = MemoryLayouts::new(24 * HOUR);
    let keys: Vec<String> = (0..=MAX_PAGES).map(|i| format!("a.example/{i}")).collect();
    for (i, key) in keys.iter().enumerate() {
        book.received(desktop(key), &[], &[], T0 + i as i64);
    }
    let len = book.entries.lock().map(|e| e.len()).unwrap_or_default();
    assert_eq!(len, MAX_PAGES);
    // The oldest was forgotten, so it is asked for again; the newest is not.
    assert!(book.wanted(desktop(&keys[0]), &[], T0 + 20_000));
    assert!(!book.wanted(desktop(&keys[MAX_PAGES]), &[], T0 + 20_000));
}

fn event(kind: EventKind, id: &str, ts: i64, page_key: &str, width: u32) -> Event {
    Event {
        id: id.into(),
        kind,
        ts,
        received_at: ts,
        clock_adjusted: false,
        url: format!("https://{page_key}"),
        page_key: page_key.into(),
        title: None,
        referrer: None,
        viewport: Some(Size { width, height: 800 }),
        page: Some(Size {
            width,
            height: 3000,
        }),
        x: None,
        y: None,
        target: None,
        depth: None,
        depth_from: None,
        name: None,
        props: None,
    }
}

fn click(id: &str, ts: i64, page_key: &str, selector: &str) -> Event {
    Event {
        target: Some(Target {
            selector: Some(selector.into()),
            label: None,
            rect: None,
        }),
        ..event(EventKind::Click, id, ts, page_key, 1280)
    }
}

fn snapshot(ts: i64, page_key: &str, width: u32, selectors: &[&str]) -> LayoutEvent {
    let boxes = selectors
        .iter()
        .map(|s| LayoutBox {
            selector: (*s).into(),
            kind: BoxKind::Button,
            label: None,
            rect: Rect {
                x: 0,
                y: 0,
                width: 10,
                height: 10,
            },
        })
        .collect();
    let size = Size { width, height: 800 };
    LayoutEvent {
        id: format!("l{ts}"),
        ts,
        received_at: ts,
        clock_adjusted: false,
        url: format!("https://{page_key}"),
        page_key: page_key.into(),
        layout: Layout::new(size, size, boxes),
    }
}

/// The answer to a committed batch of `events` and `layouts` of site `demo`.
fn answer(book: &MemoryLayouts, events: &[Event], layouts: &[LayoutEvent], now_ms: i64) -> bool {
    BatchLayouts::of(events, layouts).answer(book, "demo", true, now_ms)
}

#[test]
fn a_batch_is_answered_for_its_newest_page() {
    let book = MemoryLayouts::new(24 * HOUR);
    let old = event(EventKind::PageView, "1", T0, "a.example/old", 1280);
    let new = event(EventKind::PageView, "2", T0 + 5, "a.example/new", 1280);
    assert!(answer(&book, &[new.clone(), old], &[], T0));
    // It was the newest page that was asked for.
    assert!(!book.wanted(desktop("a.example/new"), &[], T0 + 1));
    assert!(book.wanted(desktop("a.example/old"), &[], T0 + 1));
    // A batch without a size says nothing; nor does an empty one.
    let sizeless = Event {
        viewport: None,
        page: None,
        ..event(EventKind::Custom, "3", T0, "a.example/x", 0)
    };
    assert!(!answer(&book, &[sizeless], &[], T0));
    assert!(!answer(&book, &[], &[], T0));
}

#[test]
fn a_batch_that_brings_a_snapshot_is_not_asked_for_another() {
    let book = MemoryLayouts::new(24 * HOUR);
    let key = "a.example/";
    let clicks = [click("c1", T0, key, "main>p:nth-child(2)")];
    assert!(!answer(
        &book,
        &clicks,
        &[snapshot(T0 + 10, key, 1280, &["#buy"])],
        T0 + 20
    ));
    // The paragraph clicked before the snapshot is one no layout holds.
    assert!(!answer(&book, &clicks, &[], T0 + 30));
    // A click on an element the snapshot lacks asks for a new one.
    let new = [click("c2", T0 + 40, key, "#new-button")];
    assert!(answer(&book, &new, &[], T0 + 50));
    // A phone's view of the page is another layout.
    let phone = [event(EventKind::PageView, "p", T0 + 60, key, 390)];
    assert!(answer(&book, &phone, &[], T0 + 70));
    // A snapshot of the desktop layout does not answer for the phone.
    assert!(!answer(
        &book,
        &[],
        &[snapshot(T0 + 80, key, 1280, &["#buy", "#new-button"])],
        T0 + 90
    ));
    assert!(!book.wanted(desktop(key), &["#new-button"], T0 + 100));
}

#[test]
fn a_beacon_is_never_asked_but_its_snapshot_counts() {
    let book = MemoryLayouts::new(24 * HOUR);
    let key = "a.example/";
    let view = [event(EventKind::PageView, "1", T0, key, 1280)];
    let beacon = |events: &[Event], layouts: &[LayoutEvent], now| {
        BatchLayouts::of(events, layouts).answer(&book, "demo", false, now)
    };
    assert!(!beacon(&view, &[], T0));
    // No lease was taken: the next reader is asked.
    assert!(answer(&book, &view, &[], T0 + 10));
    assert!(!beacon(
        &[],
        &[snapshot(T0 + 20, key, 1280, &["#a"])],
        T0 + 30
    ));
    assert!(
        !book.wanted(desktop(key), &["#a"], T0 + 40),
        "the snapshot arrived"
    );
}
