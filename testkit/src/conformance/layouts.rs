//! Layout snapshots: stored in the commit, one row per page × width segment ×
//! version, repeats widening the capture span, versions listed newest first
//! and merged across the pages of a pattern.

use super::fixtures::*;
use super::StoreFactory;
use shared::event::{EventBatch, Rect};
use shared::layout::{BoxKind, Fingerprint, Layout, LayoutBox, LayoutEvent};
use shared::page_key::PagePattern;
use shared::store::layout_query::{LayoutQuery, SiteLayout, StoredLayout};
use shared::store::query::WidthSegment;
use shared::store::{AppendOutcome, EventReader, EventWriter};

fn boxed(kind: BoxKind, selector: &str, label: Option<&str>, [x, y, w, h]: [i32; 4]) -> LayoutBox {
    LayoutBox {
        selector: selector.into(),
        kind,
        label: label.map(str::to_owned),
        rect: Rect {
            x,
            y,
            width: w as u32,
            height: h as u32,
        },
    }
}

/// The home page at `width`: a header and a heading as full-width bands (so
/// every width of a segment is one version), the heading labelled `title`, and a
/// buy button; `moved` puts the heading lower (another version).
fn home(width: u32, title: &str, moved: bool) -> Layout {
    let heading_y = if moved { 400 } else { 100 };
    Layout::new(
        size(width, 700),
        size(width, 2400),
        vec![
            boxed(
                BoxKind::Header,
                "body>header",
                None,
                [0, 0, width as i32, 64],
            ),
            boxed(
                BoxKind::Heading,
                "#main>h1",
                Some(title),
                [0, heading_y, width as i32, 48],
            ),
            boxed(BoxKind::Button, "#buy", Some("Buy now"), [40, 600, 120, 40]),
        ],
    )
}

fn snapshot(site: &str, id: &str, ts: i64, url: &str, layout: Layout) -> SiteLayout {
    SiteLayout {
        site: site.into(),
        layout: LayoutEvent {
            id: id.into(),
            ts,
            received_at: ts,
            clock_adjusted: false,
            url: url.into(),
            page_key: key(url),
            layout,
        },
    }
}

#[track_caller]
fn commit(
    w: &mut dyn EventWriter,
    batches: &[EventBatch],
    layouts: &[SiteLayout],
) -> Vec<AppendOutcome> {
    w.append_with_layouts(batches, layouts)
        .unwrap_or_else(|e| panic!("append failed: {e}"))
}

#[track_caller]
fn versions(
    r: &dyn EventReader,
    site: Option<&str>,
    pages: &str,
    segment: WidthSegment,
) -> Vec<StoredLayout> {
    r.layouts(&LayoutQuery {
        site: site.map(str::to_owned),
        pages: PagePattern::new(pages),
        segment,
    })
    .unwrap_or_else(|e| panic!("layouts failed: {e}"))
}

fn stored(
    site: &str,
    url: &str,
    segment: WidthSegment,
    first: i64,
    last: i64,
    layout: Layout,
) -> StoredLayout {
    StoredLayout {
        site: site.into(),
        page_key: key(url),
        segment,
        first_captured_at: first,
        captured_at: last,
        layout,
    }
}

/// Snapshots are stored in the commit with its events (or alone); a repeat
/// of a version adds no row but widens its span and brings the latest
/// capture's content; another version, segment or site is another row;
/// versions come newest first, and one can be picked.
pub fn case_layout_versions(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    let events = batch(
        "shop",
        "l1",
        "vl",
        &chrome(),
        vec![page_view("l1-1", T0, HOME, None)],
    );
    let first = snapshot("shop", "ly-1", T0 + SEC, HOME, home(1280, "Welcome", false));
    assert_eq!(commit(&mut *w, &[events], &[first]), [outcome(1, 0)]);
    // Alone, in two later commits: the same version at another desktop
    // width (a new label), a new version, a tablet one, another site's.
    commit(
        &mut *w,
        &[],
        &[
            snapshot("shop", "ly-2", T0 + HOUR, HOME, home(1440, "Hello", false)),
            snapshot(
                "shop",
                "ly-3",
                T0 + 2 * HOUR,
                HOME,
                home(1280, "Moved", true),
            ),
        ],
    );
    commit(
        &mut *w,
        &[],
        &[
            snapshot(
                "shop",
                "ly-4",
                T0 + 3 * HOUR,
                HOME,
                home(800, "Tablet", false),
            ),
            snapshot(
                "blog",
                "ly-5",
                T0 + 4 * HOUR,
                POST1,
                home(1280, "Post", false),
            ),
        ],
    );
    let moved = stored(
        "shop",
        HOME,
        WidthSegment::Desktop,
        T0 + 2 * HOUR,
        T0 + 2 * HOUR,
        home(1280, "Moved", true),
    );
    let hello = stored(
        "shop",
        HOME,
        WidthSegment::Desktop,
        T0 + SEC,
        T0 + HOUR,
        home(1440, "Hello", false),
    );
    let tablet = stored(
        "shop",
        HOME,
        WidthSegment::Tablet,
        T0 + 3 * HOUR,
        T0 + 3 * HOUR,
        home(800, "Tablet", false),
    );
    assert_ne!(moved.layout.fingerprint, hello.layout.fingerprint);
    assert_eq!(
        versions(&*r, Some("shop"), "/", WidthSegment::Desktop),
        [moved.clone(), hello.clone()],
        "newest first; the repeat kept one row with the latest content"
    );
    assert_eq!(
        versions(&*r, Some("shop"), "/", WidthSegment::All),
        [tablet.clone(), moved.clone(), hello.clone()]
    );
    assert_eq!(versions(&*r, Some("shop"), "/", WidthSegment::Mobile), []);
    assert_eq!(versions(&*r, Some("shop"), "/cart", WidthSegment::All), []);
    let query = LayoutQuery {
        site: Some("shop".into()),
        pages: PagePattern::new("/"),
        segment: WidthSegment::Desktop,
    };
    let pick = |version| {
        r.layout(&query, WidthSegment::Desktop, version)
            .unwrap_or_else(|e| panic!("layout failed: {e}"))
    };
    assert_eq!(pick(None), Some(moved));
    assert_eq!(pick(Some(hello.layout.fingerprint)), Some(hello));
    assert_eq!(pick(Some(Fingerprint(7))), None);
    let blog = versions(&*r, None, "/post/*", WidthSegment::All);
    assert_eq!(blog.len(), 1);
    assert_eq!(
        (blog[0].site.as_str(), blog[0].captured_at),
        ("blog", T0 + 4 * HOUR)
    );
}

/// A capture older than the stored one (a late batch) widens the span but
/// keeps the newer content; pages of a pattern sharing a version merge into
/// one, with the latest capture's content; a resent commit changes nothing.
pub fn case_layout_repeats_out_of_order(factory: &dyn StoreFactory) {
    let (mut w, r) = factory.open();
    let late = [snapshot(
        "shop",
        "lo-1",
        T0 + HOUR,
        P1,
        home(1280, "New", false),
    )];
    commit(&mut *w, &[], &late);
    commit(&mut *w, &[], &late);
    commit(
        &mut *w,
        &[],
        &[
            snapshot("shop", "lo-2", T0, P1, home(1300, "Old", false)),
            snapshot("shop", "lo-3", T0 + 2 * HOUR, P2, home(1280, "Two", false)),
            snapshot("shop", "lo-4", T0 - HOUR, P2, home(1280, "Older", false)),
        ],
    );
    assert_eq!(
        versions(&*r, Some("shop"), "/product/1", WidthSegment::Desktop),
        [stored(
            "shop",
            P1,
            WidthSegment::Desktop,
            T0,
            T0 + HOUR,
            home(1280, "New", false)
        )]
    );
    assert_eq!(
        versions(&*r, Some("shop"), "/product/*", WidthSegment::Desktop),
        [stored(
            "shop",
            P2,
            WidthSegment::Desktop,
            T0 - HOUR,
            T0 + 2 * HOUR,
            home(1280, "Two", false)
        )],
        "one version across the pages, its widest span, the latest content"
    );
}

/// What ingestd reads at start: the newest version of each site × page ×
/// segment captured since a time.
pub fn case_newest_layouts(factory: &dyn StoreFactory) {
    let (mut w, _r) = factory.open();
    commit(
        &mut *w,
        &[],
        &[
            snapshot("shop", "ln-1", T0, HOME, home(1280, "Old", false)),
            snapshot("shop", "ln-2", T0 + HOUR, HOME, home(1280, "New", true)),
            snapshot(
                "shop",
                "ln-3",
                T0 + 2 * HOUR,
                HOME,
                home(390, "Phone", false),
            ),
            snapshot("shop", "ln-4", T0 - HOUR, CART, home(1280, "Cart", false)),
        ],
    );
    let newest = w
        .newest_layouts(T0)
        .unwrap_or_else(|e| panic!("newest_layouts failed: {e}"));
    assert_eq!(
        newest,
        [
            stored(
                "shop",
                HOME,
                WidthSegment::Mobile,
                T0 + 2 * HOUR,
                T0 + 2 * HOUR,
                home(390, "Phone", false)
            ),
            stored(
                "shop",
                HOME,
                WidthSegment::Desktop,
                T0 + HOUR,
                T0 + HOUR,
                home(1280, "New", true)
            ),
        ]
    );
}
