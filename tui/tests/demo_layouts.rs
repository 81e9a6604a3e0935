//! The demo's layout snapshots: the live demo's simulated visitors send the
//! snapshots a real ingestd on a real socket asks for, and it stores them;
//! the back-fill stores them too, and on its centred layout every click on
//! the home page's call to action, from each desktop width, falls inside the
//! call to action's box of the snapshot taken at that width.

use shared::event::{Event, EventKind};
use shared::page_key::PagePattern;
use shared::store::layout_query::{LayoutQuery, StoredLayout};
use shared::store::query::{Filter, PageRequest, WidthSegment};
use shared::store::sqlite::{SqliteReader, SqliteWriter};
use shared::store::{DbUrl, EventReader};
use std::collections::BTreeMap;
use std::path::Path;
use tui::backfill::{fill_if_empty, Outcome, Plan};
use tui::demo::{play, Played};
use tui::traffic::{session_batches, Visitor};

const HOME: &str = "#hero-cta";
const DESKTOP_WIDTHS: [u32; 3] = [1440, 1366, 1280];

/// The newest layout of the demo's home page at `segment`.
fn home_layout(reader: &dyn EventReader, segment: WidthSegment) -> Option<StoredLayout> {
    reader
        .layout(&query(segment), segment, None)
        .expect("layout")
}

fn query(segment: WidthSegment) -> LayoutQuery {
    LayoutQuery {
        site: Some("demo".into()),
        pages: PagePattern::new("/demo/"),
        segment,
    }
}

/// The page box of the element `selector` in `layout`.
fn box_of(layout: &StoredLayout, selector: &str) -> Option<shared::event::Rect> {
    layout
        .layout
        .boxes
        .iter()
        .find(|b| b.selector == selector)
        .map(|b| b.rect)
}

fn clicks_on(reader: &dyn EventReader, selector: &str) -> Vec<Event> {
    reader
        .events(&Filter::default(), PageRequest::first(1_000_000))
        .expect("events")
        .into_iter()
        .map(|e| e.event)
        .filter(|e| e.kind == EventKind::Click)
        .filter(|e| e.target.as_ref().and_then(|t| t.selector.as_deref()) == Some(selector))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_s_visitors_send_the_snapshots_ingestd_asks_for_and_it_stores_them() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("analytics.db");
    let db = DbUrl::Sqlite(path.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let config = ingestd::Config {
        listen: addr,
        rate_limit: 0.0,
        ..ingestd::Config::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(ingestd::serve(
        listener,
        config,
        ingestd::opener_for(db),
        async move {
            let _ = stopped.await;
        },
    ));

    // Forty visits at once, without the pauses between their pages.
    let mut rng = fastrand::Rng::with_seed(21);
    let base = format!("http://{addr}/demo/");
    let mut visits = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let visitor = Visitor::new(&mut rng);
        let mut batches = session_batches(&mut rng, &base, shared::now_ms(), &visitor);
        for page in &mut batches {
            page.pause = 0;
        }
        let ids = fastrand::Rng::with_seed(rng.u64(..));
        visits.spawn(async move { play(addr, &visitor, batches, ids).await });
    }
    let mut total = Played::default();
    while let Some(played) = visits.join_next().await {
        let p = played.expect("a visit");
        total.batches += p.batches;
        total.asked += p.asked;
        total.layouts += p.layouts;
        total.layouts_accepted += p.layouts_accepted;
        total.failed += p.failed;
    }
    let _ = stop.send(());
    server
        .await
        .expect("the server task")
        .expect("ingestd stops cleanly");

    assert_eq!(total.failed, 0, "{total:?}");
    assert!(total.asked > 0, "{total:?}");
    assert!(
        total.asked < total.batches,
        "most batches are not asked: {total:?}"
    );
    assert_eq!(
        total.layouts, total.asked,
        "every ask is answered: {total:?}"
    );
    assert_eq!(total.layouts_accepted, total.layouts, "{total:?}");

    let reader = SqliteReader::open(&path).expect("reader");
    for (segment, width) in [(WidthSegment::Desktop, 1024), (WidthSegment::Mobile, 0)] {
        let Some(layout) = home_layout(&reader, segment) else {
            panic!("no layout of the home page at {segment:?}");
        };
        assert!(layout.layout.viewport.width >= width);
        let cta = layout
            .layout
            .boxes
            .iter()
            .find(|b| b.selector == HOME)
            .expect("the call to action is in the snapshot");
        assert_eq!(cta.label.as_deref(), Some("Shop the collection"));
        assert!(
            layout.layout.boxes.len() > 40,
            "{}",
            layout.layout.boxes.len()
        );
    }
}

/// Back-fills two weeks into a new database at `path`.
fn fill(path: &Path) {
    let mut writer = SqliteWriter::open(path).expect("open the writer");
    let reader = SqliteReader::open(path).expect("open the reader");
    let plan = Plan {
        days: 14,
        sessions_per_day: 120,
        seed: 11,
        utc_offset_ms: 0,
    };
    let now = 1_767_225_600_000 + 14 * 86_400_000;
    let outcome = fill_if_empty(
        &mut writer,
        &reader,
        "http://127.0.0.1:4000/demo/",
        now,
        &plan,
        &shared::progress::Silent,
    )
    .expect("back-fill");
    assert!(matches!(outcome, Outcome::Filled { .. }), "{outcome:?}");
}

#[test]
fn after_a_back_fill_every_click_on_the_call_to_action_is_inside_its_box_at_its_own_width() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("analytics.db");
    fill(&path);
    let reader = SqliteReader::open(&path).expect("reader");
    assert!(home_layout(&reader, WidthSegment::Desktop).is_some());
    assert!(home_layout(&reader, WidthSegment::Mobile).is_some());

    // Every version of the home page's layout, by the viewport width it was
    // taken at (a version is a structure: each width of a centred layout is
    // one of its own).
    let mut at_width = BTreeMap::new();
    for segment in [
        WidthSegment::Desktop,
        WidthSegment::Tablet,
        WidthSegment::Mobile,
    ] {
        for version in reader.layouts(&query(segment)).expect("layouts") {
            at_width
                .entry(version.layout.viewport.width)
                .or_insert(version);
        }
    }
    let mut checked: BTreeMap<u32, usize> = BTreeMap::new();
    for click in clicks_on(&reader, HOME) {
        let width = click.viewport.map_or(0, |v| v.width);
        let Some(layout) = at_width.get(&width) else {
            assert!(
                !DESKTOP_WIDTHS.contains(&width),
                "no snapshot of the home page at {width} px: {:?}",
                at_width.keys()
            );
            continue;
        };
        let cta = box_of(layout, HOME).expect("the call to action is in every snapshot");
        let (x, y) = (click.x.unwrap_or(-1), click.y.unwrap_or(-1));
        // The box the click reported is the snapshot's box…
        assert_eq!(
            click.target.as_ref().and_then(|t| t.rect),
            Some(cta),
            "the click's box from {width} px"
        );
        // …and the click is inside it (a rage-click burst scatters up to
        // 4 px around its first click, which is inside).
        let inside = x >= cta.x - 4
            && x < cta.x + cta.width as i32 + 4
            && y >= cta.y - 4
            && y < cta.y + cta.height as i32 + 4;
        assert!(
            inside,
            "a click at ({x}, {y}) from {width} px is outside the call to action {cta:?} of the snapshot taken at {width} px"
        );
        *checked.entry(width).or_default() += 1;
    }
    for width in DESKTOP_WIDTHS {
        assert!(
            checked.get(&width).is_some_and(|n| *n > 5),
            "clicks checked per width: {checked:?}"
        );
    }
}
