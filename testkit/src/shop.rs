//! A generator of realistic traffic for the console benchmark
//! (`tui/benches/console.rs`): sessions of 5–40 events navigating a small
//! shop (home, product and category pages, a blog, pricing, cart and
//! checkout), with clicks at plausible element positions for the device's
//! page size, scroll depths, some custom events, a few rage bursts, a mix of
//! devices, browsers and referrers, spread over 30 days with a daily rhythm.
//! Everything is written through `SqliteWriter::append` in large group
//! commits, and the heat rollups' past days sealed at the end. Deterministic (a seeded [`fastrand::Rng`]): the same size gives
//! the same database.

use fastrand::Rng;
use shared::event::{ClientInfo, DeviceClass, Event, EventBatch, EventKind, Rect, Size, Target};
use shared::store::sqlite::SqliteWriter;
use shared::store::EventWriter;
use std::path::Path;

/// Start of the generated traffic: 2026-01-01 00:00:00 UTC.
pub const T0: i64 = 1_767_225_600_000;
/// Days of traffic.
pub const DAYS: i64 = 30;
/// "Now" for the generated data: the end of the last day.
pub const NOW: i64 = T0 + DAYS * 86_400_000;
/// The site's host.
pub const HOST: &str = "shop.example";

/// The draws the generator makes on a seeded [`fastrand::Rng`].
trait Draws {
    /// Uniform in `[lo, hi]`.
    fn range(&mut self, lo: i64, hi: i64) -> i64;
    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool;
    /// An index drawn from `weights`.
    fn weighted(&mut self, weights: &[u32]) -> usize;
    /// Roughly Zipf-distributed in `[0, n)`: low numbers are popular.
    fn zipf(&mut self, n: i64) -> i64;
}

impl Draws for Rng {
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        self.i64(lo..=hi)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut pick = self.u32(..total);
        for (i, w) in weights.iter().enumerate() {
            if pick < *w {
                return i;
            }
            pick -= w;
        }
        weights.len() - 1
    }

    fn zipf(&mut self, n: i64) -> i64 {
        let u = self.f64();
        ((n as f64).powf(u) - 1.0).floor() as i64 % n
    }
}

/// The page templates of the shop.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Template {
    Home,
    Category,
    Product,
    Blog,
    Post,
    Pricing,
    Search,
    Cart,
    Checkout,
    About,
}

const PRODUCTS: i64 = 240;
const CATEGORIES: [&str; 6] = ["shoes", "bags", "coats", "shirts", "hats", "sale"];
const POSTS: [&str; 24] = [
    "spring-lookbook",
    "how-to-size-shoes",
    "caring-for-leather",
    "our-new-store",
    "sustainable-cotton",
    "behind-the-seams",
    "winter-layers",
    "packing-light",
    "five-bags-one-trip",
    "the-perfect-coat",
    "wash-less-wear-more",
    "colour-of-the-year",
    "meet-the-makers",
    "repair-not-replace",
    "gift-guide",
    "travel-essentials",
    "hat-etiquette",
    "denim-deep-dive",
    "minimal-wardrobe",
    "summer-sale-recap",
    "shoe-trees-explained",
    "linen-season",
    "rain-ready",
    "studio-visit",
];

/// A page of the site: its path, title and template.
#[derive(Clone)]
struct Page {
    path: String,
    title: String,
}

fn page(rng: &mut Rng, template: Template) -> Page {
    let (path, title) = match template {
        Template::Home => ("/".to_owned(), "Shop".to_owned()),
        Template::Category => {
            let c = CATEGORIES[rng.zipf(CATEGORIES.len() as i64) as usize];
            (format!("/c/{c}"), format!("{c} — Shop"))
        }
        Template::Product => {
            let n = rng.zipf(PRODUCTS) + 1;
            (format!("/product/{n}"), format!("Product {n} — Shop"))
        }
        Template::Blog => ("/blog".to_owned(), "Journal".to_owned()),
        Template::Post => {
            let s = POSTS[rng.zipf(POSTS.len() as i64) as usize];
            (format!("/blog/{s}"), format!("{s} — Journal"))
        }
        Template::Pricing => ("/pricing".to_owned(), "Membership".to_owned()),
        Template::Search => ("/search".to_owned(), "Search".to_owned()),
        Template::Cart => ("/cart".to_owned(), "Your cart".to_owned()),
        Template::Checkout => ("/checkout".to_owned(), "Checkout".to_owned()),
        Template::About => ("/about".to_owned(), "About us".to_owned()),
    };
    Page { path, title }
}

/// Where a visitor goes next from a template.
fn next_template(rng: &mut Rng, from: Template) -> Template {
    use Template::*;
    let (targets, weights): (&[Template], &[u32]) = match from {
        Home => (
            &[Category, Product, Blog, Pricing, Search, About],
            &[35, 30, 10, 8, 12, 5],
        ),
        Category => (&[Product, Category, Home, Search], &[70, 12, 8, 10]),
        Product => (
            &[Product, Cart, Category, Home, Search],
            &[45, 18, 20, 7, 10],
        ),
        Blog => (&[Post, Home, Product], &[75, 10, 15]),
        Post => (&[Post, Product, Blog, Home], &[35, 30, 20, 15]),
        Pricing => (&[Checkout, Home, About], &[40, 40, 20]),
        Search => (&[Product, Category, Search], &[75, 10, 15]),
        Cart => (&[Checkout, Product, Home], &[55, 35, 10]),
        Checkout => (&[Home, Product, Cart], &[50, 25, 25]),
        About => (&[Home, Blog, Pricing], &[50, 30, 20]),
    };
    targets[rng.weighted(weights)]
}

/// An element visitors click: selector, label, and its box as fractions of
/// the page width and absolute CSS pixels down the page for a 1× layout.
struct Element {
    selector: &'static str,
    label: &'static str,
    /// Left and width as fractions of the page width.
    x: f64,
    w: f64,
    /// Top as a fraction of the page height, height in px.
    y: f64,
    h: u32,
    weight: u32,
}

const fn el(
    selector: &'static str,
    label: &'static str,
    x: f64,
    w: f64,
    y: f64,
    h: u32,
    weight: u32,
) -> Element {
    Element {
        selector,
        label,
        x,
        w,
        y,
        h,
        weight,
    }
}

const NAV: [Element; 3] = [
    el("header>a.logo", "Shop", 0.03, 0.12, 0.005, 40, 4),
    el(
        "header>nav>a:nth-of-type(2)",
        "Shop all",
        0.40,
        0.08,
        0.005,
        32,
        3,
    ),
    el("header>button.cart", "Cart", 0.90, 0.06, 0.005, 36, 3),
];

fn elements(template: Template) -> &'static [Element] {
    const HOME: [Element; 4] = [
        el(
            "section.hero>a.cta",
            "Shop the collection",
            0.38,
            0.24,
            0.12,
            48,
            30,
        ),
        el(
            "div.tiles>a:nth-of-type(1)",
            "Shoes",
            0.05,
            0.28,
            0.35,
            260,
            15,
        ),
        el(
            "div.tiles>a:nth-of-type(2)",
            "Bags",
            0.36,
            0.28,
            0.35,
            260,
            12,
        ),
        el(
            "div.tiles>a:nth-of-type(3)",
            "Coats",
            0.67,
            0.28,
            0.35,
            260,
            10,
        ),
    ];
    const CATEGORY: [Element; 4] = [
        el(
            "ul.grid>li:nth-of-type(1)>a",
            "First product",
            0.05,
            0.28,
            0.18,
            320,
            25,
        ),
        el(
            "ul.grid>li:nth-of-type(2)>a",
            "Second product",
            0.36,
            0.28,
            0.18,
            320,
            20,
        ),
        el(
            "ul.grid>li:nth-of-type(3)>a",
            "Third product",
            0.67,
            0.28,
            0.18,
            320,
            15,
        ),
        el("aside>select.sort", "Sort by", 0.75, 0.2, 0.08, 36, 8),
    ];
    const PRODUCT: [Element; 5] = [
        el(
            "button.add-to-cart",
            "Add to cart",
            0.55,
            0.35,
            0.22,
            52,
            40,
        ),
        el(
            "div.gallery>img",
            "Product photo",
            0.05,
            0.45,
            0.08,
            480,
            20,
        ),
        el("select.size", "Size", 0.55, 0.35, 0.17, 40, 18),
        el("details.reviews>summary", "Reviews", 0.05, 0.9, 0.55, 40, 8),
        el(
            "ul.related>li>a",
            "You may also like",
            0.05,
            0.9,
            0.75,
            300,
            10,
        ),
    ];
    const POST: [Element; 2] = [
        el("article a.inline", "read more", 0.15, 0.3, 0.4, 24, 10),
        el(
            "form.newsletter>button",
            "Subscribe",
            0.35,
            0.3,
            0.85,
            44,
            6,
        ),
    ];
    const PRICING: [Element; 3] = [
        el(
            "div.plan:nth-of-type(1)>button",
            "Choose Basic",
            0.08,
            0.22,
            0.3,
            48,
            10,
        ),
        el(
            "div.plan:nth-of-type(2)>button",
            "Choose Plus",
            0.39,
            0.22,
            0.3,
            48,
            20,
        ),
        el(
            "div.plan:nth-of-type(3)>button",
            "Choose Pro",
            0.70,
            0.22,
            0.3,
            48,
            12,
        ),
    ];
    const CART: [Element; 2] = [
        el("button.checkout", "Checkout", 0.6, 0.3, 0.3, 52, 30),
        el("button.remove", "Remove", 0.85, 0.1, 0.15, 30, 6),
    ];
    const CHECKOUT: [Element; 2] = [
        el(
            "form.pay>button[type=submit]",
            "Pay now",
            0.3,
            0.4,
            0.7,
            56,
            25,
        ),
        el(
            "form.pay>input[name=card]",
            "Card number",
            0.3,
            0.4,
            0.4,
            40,
            20,
        ),
    ];
    const SEARCH: [Element; 2] = [
        el("form.search>input", "Search", 0.2, 0.6, 0.02, 40, 20),
        el("ol.results>li>a", "Result", 0.1, 0.8, 0.2, 400, 25),
    ];
    match template {
        Template::Home => &HOME,
        Template::Category => &CATEGORY,
        Template::Product => &PRODUCT,
        Template::Blog | Template::Post | Template::About => &POST,
        Template::Pricing => &PRICING,
        Template::Cart => &CART,
        Template::Checkout => &CHECKOUT,
        Template::Search => &SEARCH,
    }
}

/// Page height of a template at a device class (CSS px).
fn page_height(template: Template, device: DeviceClass) -> u32 {
    let base = match template {
        Template::Home => 3600,
        Template::Category => 4200,
        Template::Product => 3200,
        Template::Blog => 2800,
        Template::Post => 5200,
        Template::Pricing => 2200,
        Template::Search => 3000,
        Template::Cart => 1400,
        Template::Checkout => 1800,
        Template::About => 2400,
    };
    match device {
        DeviceClass::Mobile => base * 2,
        DeviceClass::Tablet => base * 3 / 2,
        _ => base,
    }
}

struct Client {
    info: ClientInfo,
    viewport: Size,
}

fn client(rng: &mut Rng) -> Client {
    let device = [
        DeviceClass::Desktop,
        DeviceClass::Mobile,
        DeviceClass::Tablet,
    ][rng.weighted(&[52, 40, 8])];
    type Profile = (
        &'static [u32],
        u32,
        &'static [(&'static str, u32)],
        &'static [&'static str],
    );
    let (widths, height, browsers, oses): Profile = match device {
        DeviceClass::Desktop => (
            &[1280, 1366, 1440, 1536, 1920, 2560],
            860,
            &[
                ("Chrome", 58),
                ("Edge", 14),
                ("Firefox", 12),
                ("Safari", 16),
            ],
            &["Windows 10", "Mac OS X", "Linux"],
        ),
        DeviceClass::Mobile => (
            &[360, 375, 390, 393, 412, 414, 430],
            780,
            &[
                ("Mobile Safari", 45),
                ("Chrome", 45),
                ("Samsung Browser", 10),
            ],
            &["iOS", "Android"],
        ),
        _ => (
            &[768, 810, 820, 834],
            1040,
            &[("Mobile Safari", 60), ("Chrome", 40)],
            &["iPadOS", "Android"],
        ),
    };
    let width = widths[rng.zipf(widths.len() as i64) as usize];
    let weights: Vec<u32> = browsers.iter().map(|b| b.1).collect();
    let browser = browsers[rng.weighted(&weights)].0;
    let os = match browser {
        "Mobile Safari" | "Safari" => {
            if device == DeviceClass::Desktop {
                "Mac OS X"
            } else {
                oses[0]
            }
        }
        _ => oses[rng.range(0, oses.len() as i64 - 1) as usize],
    };
    Client {
        info: ClientInfo {
            device,
            browser: browser.into(),
            os: os.into(),
        },
        viewport: Size { width, height },
    }
}

const REFERRERS: [(Option<&str>, u32); 10] = [
    (None, 38),
    (Some("https://www.google.com/"), 30),
    (Some("https://www.bing.com/search?q=shop"), 3),
    (Some("https://duckduckgo.com/"), 3),
    (Some("https://news.ycombinator.com/item?id=4242"), 4),
    (Some("https://t.co/abc"), 5),
    (Some("https://www.facebook.com/"), 5),
    (Some("https://www.reddit.com/r/malefashionadvice/"), 4),
    (Some("https://newsletter.shop.example/"), 5),
    (Some("https://www.instagram.com/"), 3),
];

/// A fraction of each day's sessions by hour (UTC), a daily rhythm.
const HOURLY: [u32; 24] = [
    2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 9, 10, 10, 8, 6, 4,
];

/// Generates one session of about 5–40 events, split into the batches a
/// tracker would send (a flush every few events).
fn session(rng: &mut Rng, index: u64, visitors: u64, start: i64) -> Vec<EventBatch> {
    let session_id = format!("s{index:09x}");
    // Returning visitors: low visitor numbers come back more often.
    let visitor = if rng.chance(0.35) {
        rng.zipf(visitors as i64) as u64
    } else {
        rng.u64(..visitors)
    };
    let visitor_id = format!("v{visitor:09x}");
    let client = client(rng);
    let device = client.info.device;
    let vw = client.viewport.width;
    let pw = if device == DeviceClass::Desktop {
        vw - 15
    } else {
        vw
    };
    let referrer = REFERRERS[rng.weighted(&REFERRERS.map(|r| r.1))].0;
    let target_events = if rng.chance(0.25) {
        rng.range(5, 8)
    } else {
        rng.range(6, 40)
    } as usize;
    let mut events: Vec<Event> = Vec::with_capacity(target_events + 8);
    let mut ts = start;
    let mut n = 0u32;
    let mut template = match referrer {
        Some(r) if r.contains("google") || r.contains("bing") || r.contains("duckduckgo") => {
            [Template::Product, Template::Home, Template::Post][rng.weighted(&[50, 30, 20])]
        }
        Some(r) if r.contains("newsletter") || r.contains("news.") => Template::Post,
        Some(r) if r.contains("t.co") || r.contains("instagram") || r.contains("facebook") => {
            [Template::Product, Template::Home][rng.weighted(&[60, 40])]
        }
        _ => [Template::Home, Template::Product, Template::Pricing][rng.weighted(&[70, 20, 10])],
    };
    let mut previous_url: Option<String> = referrer.map(str::to_owned);
    let rage_session = rng.chance(0.015);
    while events.len() < target_events {
        let p = page(rng, template);
        let url = format!("https://{HOST}{}", p.path);
        let key = format!("{HOST}{}", p.path);
        let ph = page_height(template, device);
        let mut make = |kind: EventKind, ts: i64| {
            n += 1;
            Event {
                id: format!("{session_id}-{n}"),
                kind,
                ts,
                received_at: ts + 150,
                clock_adjusted: false,
                url: url.clone(),
                page_key: key.clone(),
                title: None,
                referrer: None,
                viewport: Some(client.viewport),
                page: Some(Size {
                    width: pw,
                    height: ph,
                }),
                x: None,
                y: None,
                target: None,
                depth: None,
                depth_from: None,
                name: None,
                props: None,
            }
        };
        let mut view = make(EventKind::PageView, ts);
        view.title = Some(p.title.clone());
        view.referrer = previous_url.clone();
        events.push(view);
        previous_url = Some(url.clone());

        // Time on the page, with scrolls and clicks inside it.
        let dwell = rng.range(4_000, 90_000);
        let mut t = ts;
        let scrolls = rng.weighted(&[25, 35, 25, 15]);
        // Each report names the depth already reported, as the tracker does
        // when a reader comes back to a hidden tab and reads on.
        let (mut depth, mut sent) = (0.0f64, 0.0f64);
        for _ in 0..scrolls {
            t += rng.range(1_500, dwell / 4 + 1_600);
            depth = (depth + rng.f64() * 0.45 + 0.1).min(1.0);
            let mut e = make(EventKind::Scroll, t);
            let reported = (depth * 100.0).round() / 100.0;
            (e.depth, e.depth_from) = (Some(reported), Some(sent));
            sent = reported;
            events.push(e);
        }
        let clicks = rng.weighted(&[20, 40, 25, 10, 5]);
        let elems = elements(template);
        for c in 0..clicks {
            let pick = if rng.chance(0.12) {
                None
            } else {
                Some(&elems[rng.weighted(&elems.iter().map(|e| e.weight).collect::<Vec<_>>())])
            };
            let pick = pick.unwrap_or(&NAV[rng.range(0, NAV.len() as i64 - 1) as usize]);
            let bx = (pick.x * f64::from(pw)) as i32;
            let bw = ((pick.w * f64::from(pw)) as u32).max(24);
            let by = (pick.y * f64::from(ph)) as i32;
            let bh = pick.h;
            let x = bx + rng.range(2, i64::from(bw) - 2) as i32;
            let y = by + rng.range(2, i64::from(bh).max(5) - 2) as i32;
            t += rng.range(800, dwell / 3 + 900);
            let target = Target {
                selector: Some(pick.selector.to_owned()),
                label: Some(pick.label.to_owned()),
                rect: Some(Rect {
                    x: bx,
                    y: by,
                    width: bw,
                    height: bh,
                }),
            };
            let mut e = make(EventKind::Click, t);
            e.x = Some(x);
            e.y = Some(y);
            e.target = Some(target.clone());
            events.push(e);
            // A burst of frustrated clicks on the same spot.
            if rage_session && c == 0 {
                for _ in 0..rng.range(3, 6) {
                    t += rng.range(90, 220);
                    let mut e = make(EventKind::Click, t);
                    e.x = Some(x + rng.range(-4, 4) as i32);
                    e.y = Some(y + rng.range(-4, 4) as i32);
                    e.target = Some(target.clone());
                    events.push(e);
                }
            }
        }
        let custom = match template {
            Template::Cart if rng.chance(0.5) => Some(("begin_checkout", r#"{"items":2}"#)),
            Template::Product if rng.chance(0.12) => Some(("add_to_cart", r#"{"qty":1}"#)),
            Template::Checkout if rng.chance(0.4) => Some(("purchase", r#"{"value":129}"#)),
            Template::Post if rng.chance(0.05) => Some(("newsletter_signup", "{}")),
            _ => None,
        };
        if let Some((name, props)) = custom {
            t += rng.range(300, 3_000);
            let mut e = make(EventKind::Custom, t);
            e.name = Some(name.to_owned());
            e.props = Some(props.to_owned());
            events.push(e);
        }
        ts = t.max(ts + dwell);
        template = next_template(rng, template);
    }
    // The tracker flushes every few events.
    let mut batches = Vec::new();
    let mut rest = events.as_slice();
    while !rest.is_empty() {
        let take = (rng.range(3, 12) as usize).min(rest.len());
        batches.push(EventBatch {
            site: "shop".into(),
            session_id: session_id.clone(),
            visitor_id: visitor_id.clone(),
            client: client.info.clone(),
            events: rest[..take].to_vec(),
        });
        rest = &rest[take..];
    }
    batches
}

/// Fills a new database at `path` with about `events` events. Returns the
/// number of events written.
pub fn generate(path: &Path, events: u64, mut progress: impl FnMut(u64)) -> u64 {
    let mut writer = SqliteWriter::open(path).expect("open the database");
    let mut rng = Rng::with_seed(0x5EED ^ events);
    // About 1.7 sessions per visitor (at about 20 events per session).
    let visitors = (events / 34).max(1);
    let mut written = 0u64;
    let mut index = 0u64;
    let mut pending: Vec<EventBatch> = Vec::new();
    let mut pending_events = 0usize;
    // Session starts are drawn in time order, hour by hour, so that the
    // traffic fills the whole span whatever the mean session length.
    let hours = DAYS * 24;
    let weight = |h: i64| f64::from(HOURLY[(h % 24) as usize]);
    let mut remaining_weight: f64 = (0..hours).map(weight).sum();
    let mut budget = 0.0f64;
    for hour in 0..hours {
        let per_session = if index == 0 {
            20.0
        } else {
            written as f64 / index as f64
        };
        let remaining = events.saturating_sub(written) as f64 / per_session;
        budget += remaining * weight(hour) / remaining_weight;
        remaining_weight -= weight(hour);
        let count = budget.floor() as u64;
        budget -= count as f64;
        let hour_start = T0 + hour * 3_600_000;
        let mut starts: Vec<i64> = (0..count)
            .map(|_| hour_start + rng.range(0, 3_599_999))
            .collect();
        starts.sort_unstable();
        for start in starts {
            for batch in session(&mut rng, index, visitors, start) {
                written += batch.events.len() as u64;
                pending_events += batch.events.len();
                pending.push(batch);
            }
            index += 1;
            if pending_events >= 50_000 {
                writer.append(&pending).expect("append");
                pending.clear();
                pending_events = 0;
                progress(written);
            }
        }
    }
    if !pending.is_empty() {
        writer.append(&pending).expect("append");
    }
    // The days are all past: sealed at once, as a writer would have sealed
    // them day by day.
    writer
        .seal_heat(shared::now_ms())
        .expect("seal the heat rollups");
    progress(written);
    written
}

/// The layout snapshot of a product page `width` px wide on a desktop, with
/// the boxes the generated clicks name (as [`generate`] places them): what a
/// site capturing layouts would have stored, for the benchmark's heatmaps
/// drawn over a layout.
pub fn product_layout(id: &str, width: u32) -> shared::store::layout_query::SiteLayout {
    use shared::layout::{BoxKind, Layout, LayoutBox, LayoutEvent};
    let height = page_height(Template::Product, DeviceClass::Desktop);
    let boxes = NAV
        .iter()
        .chain(elements(Template::Product))
        .map(|e| LayoutBox {
            selector: e.selector.to_owned(),
            kind: BoxKind::Link,
            label: Some(e.label.to_owned()),
            rect: Rect {
                x: (e.x * f64::from(width)) as i32,
                y: (e.y * f64::from(height)) as i32,
                width: ((e.w * f64::from(width)) as u32).max(24),
                height: e.h,
            },
        })
        .collect();
    let layout = Layout::new(Size { width, height: 900 }, Size { width, height }, boxes);
    shared::store::layout_query::SiteLayout {
        site: "shop".into(),
        layout: LayoutEvent {
            id: id.to_owned(),
            ts: NOW - 3_600_000,
            received_at: NOW - 3_600_000,
            clock_adjusted: false,
            url: format!("https://{HOST}/product/1"),
            page_key: format!("{HOST}/product/1"),
            layout,
        },
    }
}
