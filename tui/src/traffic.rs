//! Simulated visitors of the demo site, for the live demo and its
//! back-filled history: each visit is the list of wire batches `tracker.js`
//! would send (one per page), with a device-specific user agent, viewport and
//! page size, a referrer, clicks on the demo site's real elements (their
//! selectors, labels and boxes measured at each layout: desktop, tablet,
//! mobile), scroll depths, custom events and the occasional rage-click burst.
//!
//! Randomness comes from a seeded [`fastrand::Rng`], so a seed gives the same
//! traffic every time.

use fastrand::Rng;
use serde_json::{json, Value};

/// A simulated client.
#[derive(Debug, Clone, Copy)]
struct Device {
    user_agent: &'static str,
    viewport: (u32, u32),
    /// Index into an element's layouts: 0 desktop, 1 tablet, 2 mobile.
    layout: usize,
}

const DEVICES: &[(u32, Device)] = &[
    (30, Device { user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36", viewport: (1440, 900), layout: 0 }),
    (14, Device { user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", viewport: (1280, 800), layout: 0 }),
    (10, Device { user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", viewport: (1366, 768), layout: 0 }),
    (8, Device { user_agent: "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", viewport: (820, 1180), layout: 1 }),
    (24, Device { user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", viewport: (390, 844), layout: 2 }),
    (14, Device { user_agent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36", viewport: (412, 915), layout: 2 }),
];

const REFERRERS: &[(u32, Option<&str>)] = &[
    (40, None),
    (25, Some("https://www.google.com/")),
    (8, Some("https://duckduckgo.com/")),
    (10, Some("https://news.ycombinator.com/")),
    (7, Some("https://www.reddit.com/r/tea/")),
    (6, Some("https://t.co/x1y2z3")),
    (4, Some("https://newsletter.example/issue-12")),
];

/// A clickable element: selector, label, where it goes, and its page box
/// `(x, y, w, h)` at each layout (desktop, tablet, mobile).
#[derive(Clone, Copy)]
struct Element {
    selector: &'static str,
    label: &'static str,
    goes_to: Option<&'static str>,
    weight: u32,
    boxes: [(i32, i32, u32, u32); 3],
}

/// A page of the demo site with its height at each layout.
struct Page {
    path: &'static str,
    title: &'static str,
    heights: [u32; 3],
    elements: &'static [Element],
}

const NAV: [Element; 4] = [
    Element {
        selector: "header.nav>div.wrap>ul.links>li:nth-of-type(2)>a",
        label: "Tea Club",
        goes_to: Some("pricing.html"),
        weight: 6,
        boxes: [(820, 60, 70, 20), (560, 60, 70, 20), (20, 120, 350, 40)],
    },
    Element {
        selector: "header.nav>div.wrap>ul.links>li:nth-of-type(3)>a",
        label: "Journal",
        goes_to: Some("blog.html"),
        weight: 5,
        boxes: [(918, 60, 62, 20), (640, 60, 62, 20), (20, 160, 350, 40)],
    },
    Element {
        selector: "header.nav>div.wrap>ul.links>li:nth-of-type(4)>a",
        label: "Account",
        goes_to: Some("app"),
        weight: 3,
        boxes: [(1008, 60, 66, 20), (716, 60, 66, 20), (20, 200, 350, 40)],
    },
    Element {
        selector: "header.nav>div.wrap>button.cart",
        label: "Cart 0",
        goes_to: None,
        weight: 4,
        boxes: [(1180, 52, 86, 36), (700, 52, 86, 36), (290, 50, 60, 36)],
    },
];

const HOME: &[Element] = &[
    NAV[0], NAV[1], NAV[2], NAV[3],
    Element { selector: "#hero-cta", label: "Shop the collection", goes_to: None, weight: 14, boxes: [(184, 470, 210, 52), (48, 470, 210, 52), (24, 560, 342, 52)] },
    Element { selector: "section.hero>div.wrap>div>div.actions>a.btn.alt", label: "Join the Tea Club", goes_to: Some("pricing.html"), weight: 8, boxes: [(410, 470, 190, 52), (274, 470, 190, 52), (24, 624, 342, 52)] },
    Element { selector: "main>section#shop>div.wrap>div.grid>article.card:nth-of-type(1)>div.body>div.buy>button", label: "Add to cart", goes_to: None, weight: 12, boxes: [(370, 1180, 110, 40), (290, 1200, 110, 40), (250, 1500, 110, 40)] },
    Element { selector: "main>section#shop>div.wrap>div.grid>article.card:nth-of-type(2)>div.body>div.buy>button", label: "Add to cart", goes_to: None, weight: 9, boxes: [(730, 1180, 110, 40), (640, 1200, 110, 40), (250, 1980, 110, 40)] },
    Element { selector: "main>section#shop>div.wrap>div.grid>article.card:nth-of-type(3)>div.body>div.buy>button", label: "Add to cart", goes_to: None, weight: 10, boxes: [(1090, 1180, 110, 40), (290, 1700, 110, 40), (250, 2460, 110, 40)] },
    Element { selector: "main>section#shop>div.wrap>div.grid>article.card:nth-of-type(4)>div.body>div.buy>button", label: "Add to cart", goes_to: None, weight: 5, boxes: [(370, 1660, 110, 40), (640, 1700, 110, 40), (250, 2940, 110, 40)] },
    Element { selector: "main>section#shop>div.wrap>div.grid>article.card:nth-of-type(5)>div.body>div.buy>button", label: "Add to cart", goes_to: None, weight: 4, boxes: [(730, 1660, 110, 40), (290, 2200, 110, 40), (250, 3420, 110, 40)] },
    Element { selector: "main>section#shop>div.wrap>div.grid>article.card:nth-of-type(6)>div.body>div.buy>button", label: "Add to cart", goes_to: None, weight: 3, boxes: [(1090, 1660, 110, 40), (640, 2200, 110, 40), (250, 3900, 110, 40)] },
    Element { selector: "main>section#shop>div.wrap>div.section-head>a", label: "Get them monthly →", goes_to: Some("pricing.html"), weight: 3, boxes: [(1010, 790, 160, 24), (600, 790, 160, 24), (24, 820, 160, 24)] },
    Element { selector: "#newsletter>input", label: "", goes_to: None, weight: 4, boxes: [(700, 2330, 300, 48), (380, 2830, 260, 48), (24, 4900, 342, 48)] },
    Element { selector: "#newsletter>button.btn.amber", label: "Subscribe", goes_to: None, weight: 4, boxes: [(1012, 2330, 130, 48), (652, 2830, 130, 48), (24, 4960, 342, 48)] },
];

const PRICING: &[Element] = &[
    NAV[1],
    NAV[2],
    NAV[3],
    Element {
        selector: "main>section>div.wrap>div.plans>div.plan:nth-of-type(1)>button",
        label: "Choose Sampler",
        goes_to: Some("app"),
        weight: 5,
        boxes: [(190, 820, 300, 48), (60, 820, 320, 48), (24, 900, 342, 48)],
    },
    Element {
        selector: "main>section>div.wrap>div.plans>div.plan:nth-of-type(2)>button",
        label: "Choose Daily Steeper",
        goes_to: Some("app"),
        weight: 12,
        boxes: [
            (570, 820, 300, 48),
            (430, 820, 320, 48),
            (24, 1500, 342, 48),
        ],
    },
    Element {
        selector: "main>section>div.wrap>div.plans>div.plan:nth-of-type(3)>button",
        label: "Choose Tea Gardener",
        goes_to: Some("app"),
        weight: 6,
        boxes: [
            (950, 820, 300, 48),
            (60, 1420, 320, 48),
            (24, 2100, 342, 48),
        ],
    },
    Element {
        selector: "#faq>details:nth-of-type(1)>summary",
        label: "Can I skip a month?",
        goes_to: None,
        weight: 4,
        boxes: [
            (200, 1240, 900, 40),
            (60, 1820, 700, 40),
            (24, 2600, 342, 56),
        ],
    },
    Element {
        selector: "form>button.btn",
        label: "Send message",
        goes_to: None,
        weight: 2,
        boxes: [
            (200, 1820, 160, 48),
            (60, 2400, 160, 48),
            (24, 3300, 342, 48),
        ],
    },
];

const BLOG: &[Element] = &[
    NAV[0],
    NAV[2],
    NAV[3],
    Element {
        selector: "article.article>nav.toc>ol>li:nth-of-type(3)>a",
        label: "How long to steep",
        goes_to: None,
        weight: 6,
        boxes: [(420, 520, 170, 24), (160, 520, 170, 24), (48, 640, 170, 24)],
    },
    Element {
        selector: "article.article>nav.toc>ol>li:nth-of-type(1)>a",
        label: "Start with the leaves",
        goes_to: None,
        weight: 3,
        boxes: [(420, 460, 190, 24), (160, 460, 190, 24), (48, 580, 190, 24)],
    },
    Element {
        selector: "article.article>p>a:nth-of-type(1)",
        label: "Iron Goddess Oolong",
        goes_to: Some(""),
        weight: 4,
        boxes: [
            (560, 2300, 180, 24),
            (300, 2500, 180, 24),
            (100, 4200, 180, 24),
        ],
    },
    Element {
        selector: "article.article>a.btn",
        label: "Join the Tea Club",
        goes_to: Some("pricing.html"),
        weight: 7,
        boxes: [
            (420, 3900, 200, 52),
            (160, 4200, 200, 52),
            (24, 7100, 342, 52),
        ],
    },
];

/// The account page: its side navigation (client-side views) and the
/// dashboard's actions.
const APP: &[Element] = &[
    NAV[0],
    NAV[1],
    Element {
        selector: "main.wrap>nav.side>a:nth-of-type(2)",
        label: "Orders",
        goes_to: None,
        weight: 7,
        boxes: [(40, 180, 180, 36), (24, 180, 160, 36), (24, 140, 110, 36)],
    },
    Element {
        selector: "main.wrap>nav.side>a:nth-of-type(3)",
        label: "Settings",
        goes_to: None,
        weight: 4,
        boxes: [(40, 220, 180, 36), (24, 220, 160, 36), (140, 140, 110, 36)],
    },
    Element {
        selector: "#view>p>a.btn",
        label: "Track your orders",
        goes_to: None,
        weight: 6,
        boxes: [(300, 520, 190, 48), (220, 520, 190, 48), (24, 700, 342, 48)],
    },
    Element {
        selector: "#view>p>button.btn.alt",
        label: "Skip this month",
        goes_to: None,
        weight: 3,
        boxes: [(506, 520, 170, 48), (426, 520, 170, 48), (24, 760, 342, 48)],
    },
];

const PAGES: &[Page] = &[
    Page {
        path: "",
        title: "Northwind Tea — small-batch loose leaf tea",
        heights: [2700, 3300, 5600],
        elements: HOME,
    },
    Page {
        path: "pricing.html",
        title: "Tea Club — Northwind Tea",
        heights: [2200, 2900, 3900],
        elements: PRICING,
    },
    Page {
        path: "blog.html",
        title: "How to brew better tea — Northwind Journal",
        heights: [4400, 4800, 7800],
        elements: BLOG,
    },
    Page {
        path: "app",
        title: "Dashboard — Your account — Northwind Tea",
        heights: [1000, 1100, 1200],
        elements: APP,
    },
];

fn weighted<T: Copy>(rng: &mut Rng, items: &[(u32, T)]) -> T {
    let total: u64 = items.iter().map(|(w, _)| u64::from(*w)).sum();
    let mut at = below(rng, total);
    for (w, item) in items {
        if at < u64::from(*w) {
            return *item;
        }
        at -= u64::from(*w);
    }
    items[0].1
}

/// A number in `0..n` (0 when `n` is 0).
fn below(rng: &mut Rng, n: u64) -> u64 {
    if n == 0 {
        0
    } else {
        rng.u64(..n)
    }
}

/// True with probability `p`.
fn chance(rng: &mut Rng, p: f64) -> bool {
    rng.f64() < p
}

/// A tracker-style id: 16 letters and digits.
pub fn id(rng: &mut Rng) -> String {
    (0..16).map(|_| rng.alphanumeric()).collect()
}

fn page_index(path: &str) -> usize {
    PAGES.iter().position(|p| p.path == path).unwrap_or(0)
}

/// The custom event a click on `element` stands for: the demo site's own
/// `newsletter_signup` on Subscribe, and what a shop's code would track when
/// a product goes into the cart or a Tea Club plan is chosen.
fn custom_event(element: &Element) -> Option<(&'static str, Value)> {
    match element.label {
        "Add to cart" => Some(("add_to_cart", json!({ "source": "home" }))),
        "Subscribe" => Some(("newsletter_signup", json!({ "source": "home" }))),
        label => label
            .strip_prefix("Choose ")
            .map(|plan| ("plan_selected", json!({ "plan": plan.to_lowercase() }))),
    }
}

/// Someone who visits: an id kept across visits and one device.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub id: String,
    device: Device,
}

impl Visitor {
    /// A new visitor on a device drawn by its share of the traffic.
    pub fn new(rng: &mut Rng) -> Self {
        Self {
            id: id(rng),
            device: weighted(rng, DEVICES),
        }
    }

    /// The user agent their browser sends.
    pub fn user_agent(&self) -> &'static str {
        self.device.user_agent
    }
}

/// One simulated visit starting at `start` (ms): the wire batches (one per
/// page) with the pause before each, in ms.
pub fn session_batches(
    rng: &mut Rng,
    base: &str,
    start: i64,
    visitor: &Visitor,
) -> Vec<(u64, Value)> {
    let device = visitor.device;
    let referrer = weighted(rng, REFERRERS);
    let session_id = id(rng);
    let entry_weights: &[(u32, usize)] = &[(60, 0), (18, 1), (18, 2), (4, 3)];
    let mut page = weighted(rng, entry_weights);
    let mut batches = Vec::new();
    let mut ts = start;
    let mut referrer = referrer.map(str::to_owned);
    let pages_in_visit = 1 + below(rng, 5);
    let width = device.viewport.0;
    for visit in 0..pages_in_visit {
        let p = &PAGES[page];
        let height = p.heights[device.layout];
        let url = format!("{base}{}", p.path);
        let mut events = vec![json!({
            "id": id(rng), "type": "page_view", "ts": ts, "url": url, "title": p.title,
            "referrer": referrer.clone().unwrap_or_default(),
            "viewport": [device.viewport.0, device.viewport.1], "page": [width, height],
        })];
        let mut next_page = None;
        let clicks = if visit + 1 == pages_in_visit {
            below(rng, 3)
        } else {
            1 + below(rng, 3)
        };
        for _ in 0..clicks {
            let weights: Vec<(u32, usize)> = p
                .elements
                .iter()
                .enumerate()
                .map(|(i, e)| (e.weight, i))
                .collect();
            let element = &p.elements[weighted(rng, &weights)];
            let (bx, by, bw, bh) = element.boxes[device.layout];
            let bx = bx.min(width as i32 - bw as i32).max(0);
            ts += 1500 + below(rng, 12_000) as i64;
            let x = bx + below(rng, u64::from(bw)) as i32;
            let y = by + below(rng, u64::from(bh)) as i32;
            let click = |id: String, ts: i64, dx: i32, dy: i32| {
                json!({
                    "id": id, "type": "click", "ts": ts, "url": url,
                    "x": x + dx, "y": y + dy,
                    "viewport": [device.viewport.0, device.viewport.1], "page": [width, height],
                    "target": {"selector": element.selector, "text": element.label, "box": [bx, by, bw, bh]},
                })
            };
            events.push(click(id(rng), ts, 0, 0));
            if let Some((name, props)) = custom_event(element) {
                events.push(json!({
                    "id": id(rng), "type": "custom", "ts": ts + 20, "url": url,
                    "name": name, "props": props,
                }));
            }
            // Now and then a frustrated visitor hammers an element that does nothing.
            if element.goes_to.is_none() && chance(rng, 0.06) {
                for k in 1..=3 + below(rng, 3) as i64 {
                    let (dx, dy) = (below(rng, 9) as i32 - 4, below(rng, 9) as i32 - 4);
                    events.push(click(id(rng), ts + k * 180, dx, dy));
                }
                ts += 1000;
            }
            if let Some(target) = element.goes_to {
                next_page = Some(page_index(target));
                break;
            }
        }
        ts += 800 + below(rng, 4000) as i64;
        events.push(json!({
            "id": id(rng), "type": "scroll", "ts": ts, "url": url,
            "depth": ((30 + below(rng, 71)) as f64 / 100.0),
        }));
        let batch = json!({
            "site": "demo", "session_id": session_id, "visitor_id": visitor.id,
            "sent_at": ts, "events": events,
        });
        let pause = if visit == 0 {
            0
        } else {
            1500 + below(rng, 6000)
        };
        batches.push((pause, batch));
        referrer = Some(url);
        page = next_page.unwrap_or_else(|| below(rng, PAGES.len() as u64) as usize);
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_sessions_are_valid_batches() {
        let mut rng = Rng::with_seed(7);
        let mut custom = 0;
        for _ in 0..50 {
            let visitor = Visitor::new(&mut rng);
            let batches = session_batches(
                &mut rng,
                "http://127.0.0.1:4000/demo/",
                1_700_000_000_000,
                &visitor,
            );
            assert!(!batches.is_empty());
            for (_, batch) in &batches {
                let body = serde_json::to_vec(batch).unwrap_or_default();
                let ctx = shared::validate::RequestContext {
                    user_agent: Some(visitor.user_agent()),
                    received_at: 1_700_000_000_000,
                    keep_query: &Default::default(),
                };
                let prepared = shared::validate::prepare(&body, &ctx);
                assert!(
                    prepared.as_ref().is_ok_and(|p| p.rejected.is_empty()),
                    "{prepared:?}"
                );
                custom += batch["events"]
                    .as_array()
                    .map_or(0, |e| e.iter().filter(|e| e["type"] == "custom").count());
            }
        }
        assert!(custom > 0, "clicks on buttons send custom events");
    }

    #[test]
    fn a_seed_gives_the_same_traffic() {
        let visit = |seed| {
            let mut rng = Rng::with_seed(seed);
            let visitor = Visitor::new(&mut rng);
            session_batches(&mut rng, "http://h/demo/", 0, &visitor)
        };
        assert_eq!(visit(3), visit(3));
        assert_ne!(visit(3), visit(4));
    }
}
