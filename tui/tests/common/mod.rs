//! Fixture databases and a synchronous driver for the console's state.

#![allow(dead_code)]

#[cfg(unix)]
pub mod console_pty;

use shared::event::{ClientInfo, DeviceClass, Event, EventBatch, EventKind, Rect, Size, Target};
use shared::layout::{BoxKind, Layout, LayoutBox, LayoutEvent};
use shared::store::layout_query::SiteLayout;
use shared::store::sqlite::{SqliteReader, SqliteWriter};
use shared::store::{EventReader, EventWriter};
use std::path::PathBuf;
use tempfile::TempDir;
use tui::app::{update, App, Msg};
use tui::worker::{execute, Loaded};

/// 2026-01-01 00:00:00 UTC.
pub const T0: i64 = 1_767_225_600_000;
/// "Now" in the tests: two hours after the first session.
pub const NOW: i64 = T0 + 2 * 3_600_000;

/// A fixture database in a temporary directory.
pub struct Fixture {
    pub dir: TempDir,
    pub path: PathBuf,
}

impl Fixture {
    pub fn reader(&self) -> Box<dyn EventReader> {
        Box::new(SqliteReader::open(&self.path).expect("open the fixture reader"))
    }
}

/// Builds events of one session.
pub struct SessionBuilder {
    pub batch: EventBatch,
    n: usize,
    host: String,
}

impl SessionBuilder {
    pub fn new(session: &str, device: DeviceClass, browser: &str, os: &str) -> Self {
        Self {
            batch: EventBatch {
                site: "demo".into(),
                session_id: session.into(),
                visitor_id: format!("v-{session}"),
                client: ClientInfo {
                    device,
                    browser: browser.into(),
                    os: os.into(),
                },
                events: Vec::new(),
            },
            n: 0,
            host: "shop.example".into(),
        }
    }

    fn base(&mut self, kind: EventKind, ts: i64, path: &str) -> Event {
        self.n += 1;
        Event {
            id: format!("{}-{}", self.batch.session_id, self.n),
            kind,
            ts,
            received_at: ts,
            clock_adjusted: false,
            url: format!("https://{}{path}", self.host),
            page_key: format!("{}{path}", self.host),
            title: None,
            referrer: None,
            viewport: Some(Size {
                width: 1280,
                height: 800,
            }),
            page: Some(Size {
                width: 1280,
                height: 3200,
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

    pub fn view(mut self, ts: i64, path: &str, title: &str, referrer: Option<&str>) -> Self {
        let mut e = self.base(EventKind::PageView, ts, path);
        e.title = Some(title.into());
        e.referrer = referrer.map(str::to_owned);
        self.batch.events.push(e);
        self
    }

    pub fn click(
        mut self,
        ts: i64,
        path: &str,
        x: i32,
        y: i32,
        selector: &str,
        label: &str,
    ) -> Self {
        let mut e = self.base(EventKind::Click, ts, path);
        e.x = Some(x);
        e.y = Some(y);
        e.target = Some(Target {
            selector: Some(selector.into()),
            label: Some(label.into()),
            rect: Some(Rect {
                x: x - 10,
                y: y - 10,
                width: 20,
                height: 20,
            }),
        });
        self.batch.events.push(e);
        self
    }

    pub fn scroll(mut self, ts: i64, path: &str, depth: f64) -> Self {
        let mut e = self.base(EventKind::Scroll, ts, path);
        e.depth = Some(depth);
        self.batch.events.push(e);
        self
    }

    pub fn custom(mut self, ts: i64, path: &str, name: &str) -> Self {
        let mut e = self.base(EventKind::Custom, ts, path);
        e.name = Some(name.into());
        e.props = Some("{\"plan\":\"pro\"}".into());
        self.batch.events.push(e);
        self
    }

    pub fn page_size(mut self, width: u32, height: u32) -> Self {
        for e in &mut self.batch.events {
            e.page = Some(Size { width, height });
            e.viewport = Some(Size { width, height: 800 });
        }
        self
    }

    pub fn build(self) -> EventBatch {
        self.batch
    }
}

/// Writes `batches` into a new database.
pub fn fixture_with(batches: Vec<EventBatch>) -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("analytics.db");
    let mut writer = SqliteWriter::open(&path).expect("open the fixture writer");
    if !batches.is_empty() {
        writer.append(&batches).expect("write the fixture");
    }
    drop(writer);
    Fixture { dir, path }
}

const MIN: i64 = 60_000;

/// Three sessions on a small shop: a desktop visit that buys, a mobile visit
/// that rage-clicks, and a tablet bounce.
pub fn shop() -> Fixture {
    let s = |m: i64| T0 + m * MIN;
    let a = SessionBuilder::new("sess-alpha", DeviceClass::Desktop, "Chrome", "Windows 10")
        .view(s(0), "/", "Shop home", Some("https://www.google.com/"))
        .click(
            s(0) + 4_000,
            "/",
            640,
            400,
            "#hero-cta",
            "Shop the collection",
        )
        .scroll(s(0) + 9_000, "/", 0.8)
        .view(s(1), "/pricing", "Pricing", Some("https://shop.example/"))
        .click(
            s(1) + 5_000,
            "/pricing",
            300,
            900,
            "div.plan:nth-of-type(1)>button",
            "Choose Basic",
        )
        .click(
            s(1) + 9_000,
            "/pricing",
            960,
            900,
            "div.plan:nth-of-type(3)>button",
            "Choose Pro",
        )
        .custom(s(1) + 9_500, "/pricing", "signup")
        .view(
            s(3),
            "/app",
            "Account",
            Some("https://shop.example/pricing"),
        )
        .build();
    let b = SessionBuilder::new("sess-bravo", DeviceClass::Mobile, "Mobile Safari", "iOS")
        .view(
            s(20),
            "/",
            "Shop home",
            Some("https://news.ycombinator.com/item?id=1"),
        )
        .click(s(20) + 3_000, "/", 640, 1800, "button.cart", "Cart")
        .click(s(20) + 3_200, "/", 642, 1802, "button.cart", "Cart")
        .click(s(20) + 3_400, "/", 641, 1801, "button.cart", "Cart")
        .click(s(20) + 3_600, "/", 643, 1799, "button.cart", "Cart")
        .view(s(22), "/blog", "Journal", Some("https://shop.example/"))
        .scroll(s(23), "/blog", 0.35)
        .build();
    let c = SessionBuilder::new("sess-charlie", DeviceClass::Tablet, "Firefox", "Android")
        .view(s(50), "/pricing", "Pricing", None)
        .click(
            s(50) + 7_000,
            "/pricing",
            640,
            900,
            "div.plan:nth-of-type(2)>button",
            "Choose Plus",
        )
        .build();
    fixture_with(vec![a, b, c])
}

/// The home page's layout snapshot, captured at `ts` on a desktop 1280 px
/// wide: a header with a nav in it, an h1, the hero button the desktop
/// visitor clicked, and a footer, on a page 1280 × 3200 px seen through a
/// viewport 720 px tall.
///
/// Drawn 80 cells wide (braille or half blocks) one cell is 16 × 32 px: row
/// `y / 32`, and column `floor(floor(x × 200 / 1280) × 80 / 200)` (the
/// store's fine grid is 200 columns): header columns 0–79 rows 0–4, nav
/// 40–75 × 1–3, h1 4–53 × 7–9, button 34–53 on row 12 (the click at 640,400
/// is cell 40,12), fold row 22, footer rows 90–99.
pub fn home_layout(ts: i64) -> SiteLayout {
    let boxed = |kind: BoxKind, label: Option<&str>, [x, y, w, h]: [i32; 4]| LayoutBox {
        selector: format!("{}-{x}-{y}", kind.as_str()),
        kind,
        label: label.map(str::to_owned),
        rect: Rect {
            x,
            y,
            width: w as u32,
            height: h as u32,
        },
    };
    SiteLayout {
        site: "demo".into(),
        layout: LayoutEvent {
            id: format!("layout-{ts}"),
            ts,
            received_at: ts,
            clock_adjusted: false,
            url: "https://shop.example/".into(),
            page_key: "shop.example/".into(),
            layout: Layout::new(
                Size {
                    width: 1280,
                    height: 720,
                },
                Size {
                    width: 1280,
                    height: 3200,
                },
                vec![
                    boxed(BoxKind::Header, None, [0, 0, 1280, 160]),
                    boxed(BoxKind::Nav, None, [640, 32, 576, 96]),
                    boxed(BoxKind::Heading, Some("Summer sale"), [64, 224, 800, 96]),
                    boxed(
                        BoxKind::Button,
                        Some("Shop the collection"),
                        [544, 384, 320, 32],
                    ),
                    boxed(BoxKind::Footer, None, [0, 2880, 1280, 320]),
                ],
            ),
        },
    }
}

/// Stores `layouts` in the fixture's database.
pub fn add_layouts(fixture: &Fixture, layouts: &[SiteLayout]) {
    let mut writer = SqliteWriter::open(&fixture.path).expect("open the fixture writer");
    writer
        .append_with_layouts(&[], layouts)
        .expect("store the layouts");
}

/// An empty database.
pub fn empty() -> Fixture {
    fixture_with(Vec::new())
}

/// Runs the app's queued file jobs, and its queries against `store`, until
/// none are left.
pub fn settle(app: &mut App, store: &dyn EventReader) {
    for _ in 0..32 {
        let jobs = app.take_jobs();
        let ran_jobs = !jobs.is_empty();
        for job in jobs {
            send(app, Msg::from(job.run()));
        }
        let requests = app.take_requests();
        if requests.is_empty() && !ran_jobs {
            return;
        }
        for request in requests {
            let result = execute(store, request.query).map_err(|e| e.to_string());
            send(
                app,
                Msg::Loaded(Box::new(Loaded {
                    id: request.id,
                    result,
                })),
            );
        }
    }
}

/// Applies a message and its follow-ups.
pub fn send(app: &mut App, msg: Msg) {
    let mut next = Some(msg);
    while let Some(msg) = next {
        next = update(app, msg);
    }
}
