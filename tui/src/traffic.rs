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

/// A clickable element: the selector and label `tracker.js` reports for it,
/// where it goes, and its page box `(x, y, w, h)` at each layout (desktop,
/// tablet, mobile). Selectors, labels, boxes and page heights were measured
/// on the demo site in headless Chromium with the tracker's own selector
/// rule, at 1440 and 820 px wide; phones at 500 px (the narrowest headless
/// window, menu open for the navigation) with x and widths scaled to 390.
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
        selector: "li:nth-child(2)>a:nth-child(1)",
        label: "Tea Club",
        goes_to: Some("pricing.html"),
        weight: 6,
        boxes: [(473, 57, 68, 19), (313, 57, 68, 19), (0, 146, 390, 53)],
    },
    Element {
        selector: "li:nth-child(3)>a:nth-child(1)",
        label: "Journal",
        goes_to: Some("blog.html"),
        weight: 5,
        boxes: [(562, 57, 55, 19), (402, 57, 55, 19), (0, 199, 390, 53)],
    },
    Element {
        selector: "li:nth-child(4)>a:nth-child(1)",
        label: "Account",
        goes_to: Some("app"),
        weight: 3,
        boxes: [(640, 57, 65, 19), (480, 57, 65, 19), (0, 251, 390, 53)],
    },
    Element {
        selector: "button:nth-child(3)",
        label: "Cart 0",
        goes_to: None,
        weight: 4,
        boxes: [(1136, 48, 120, 39), (676, 48, 120, 39), (270, 46, 61, 34)],
    },
];

const HOME: &[Element] = &[
    NAV[0],
    NAV[1],
    NAV[2],
    NAV[3],
    Element {
        selector: "#hero-cta",
        label: "Shop the collection",
        goes_to: None,
        weight: 14,
        boxes: [(184, 470, 218, 49), (24, 427, 218, 49), (19, 637, 170, 49)],
    },
    Element {
        selector: "a:nth-child(2)",
        label: "Join the Tea Club",
        goes_to: Some("pricing.html"),
        weight: 8,
        boxes: [(416, 470, 195, 49), (24, 490, 195, 49), (200, 637, 152, 49)],
    },
    Element {
        selector: "button:nth-child(2)",
        label: "Add to cart",
        goes_to: None,
        weight: 12,
        boxes: [
            (382, 1159, 123, 38),
            (128, 1247, 116, 61),
            (259, 1385, 96, 38),
        ],
    },
    Element {
        selector: "article:nth-child(2)>div:nth-child(2)>div:nth-child(4)>button:nth-child(2)",
        label: "Add to cart",
        goes_to: None,
        weight: 9,
        boxes: [
            (747, 1159, 123, 38),
            (390, 1247, 120, 61),
            (259, 1795, 96, 38),
        ],
    },
    Element {
        selector: "article:nth-child(3)>div:nth-child(2)>div:nth-child(4)>button:nth-child(2)",
        label: "Add to cart",
        goes_to: None,
        weight: 10,
        boxes: [
            (1112, 1159, 123, 38),
            (659, 1247, 116, 61),
            (259, 2205, 96, 38),
        ],
    },
    Element {
        selector: "article:nth-child(4)>div:nth-child(2)>div:nth-child(4)>button:nth-child(2)",
        label: "Add to cart",
        goes_to: None,
        weight: 5,
        boxes: [
            (382, 1569, 123, 38),
            (124, 1748, 120, 61),
            (259, 2615, 96, 38),
        ],
    },
    Element {
        selector: "article:nth-child(5)>div:nth-child(2)>div:nth-child(4)>button:nth-child(2)",
        label: "Add to cart",
        goes_to: None,
        weight: 4,
        boxes: [
            (747, 1569, 123, 38),
            (390, 1748, 120, 61),
            (259, 3025, 96, 38),
        ],
    },
    Element {
        selector: "article:nth-child(6)>div:nth-child(2)>div:nth-child(4)>button:nth-child(2)",
        label: "Add to cart",
        goes_to: None,
        weight: 3,
        boxes: [
            (1112, 1569, 123, 38),
            (655, 1748, 120, 61),
            (259, 3435, 96, 38),
        ],
    },
    Element {
        selector: "div:nth-child(1)>a:nth-child(2)",
        label: "Get them monthly →",
        goes_to: Some("pricing.html"),
        weight: 3,
        boxes: [
            (1091, 779, 165, 25),
            (631, 820, 165, 25),
            (19, 1005, 129, 25),
        ],
    },
    Element {
        selector: "input:nth-child(1)",
        label: "",
        goes_to: None,
        weight: 4,
        boxes: [
            (736, 2173, 337, 51),
            (426, 2439, 187, 51),
            (41, 4557, 309, 51),
        ],
    },
    Element {
        selector: "#newsletter>button:nth-child(2)",
        label: "Subscribe",
        goes_to: None,
        weight: 4,
        boxes: [
            (1083, 2173, 133, 51),
            (623, 2439, 133, 51),
            (41, 4618, 309, 49),
        ],
    },
];

const PRICING: &[Element] = &[
    NAV[1],
    NAV[2],
    NAV[3],
    Element {
        selector: "button:nth-child(5)",
        label: "Choose Sampler",
        goes_to: Some("app"),
        weight: 5,
        boxes: [(213, 693, 283, 49), (53, 713, 183, 74), (41, 614, 307, 49)],
    },
    Element {
        selector: "button:nth-child(6)",
        label: "Choose Daily Steeper",
        goes_to: Some("app"),
        weight: 12,
        boxes: [
            (579, 692, 281, 49),
            (319, 712, 181, 74),
            (42, 1097, 306, 49),
        ],
    },
    Element {
        selector: "div:nth-child(3)>button:nth-child(5)",
        label: "Choose Tea Gardener",
        goes_to: Some("app"),
        weight: 6,
        boxes: [
            (944, 693, 283, 49),
            (584, 713, 183, 74),
            (41, 1549, 307, 49),
        ],
    },
    Element {
        selector: "summary:nth-child(1)",
        label: "When does my box ship?",
        goes_to: None,
        weight: 4,
        boxes: [
            (203, 963, 1034, 25),
            (43, 1007, 734, 25),
            (34, 1819, 323, 25),
        ],
    },
    Element {
        selector: "button:nth-child(1)",
        label: "Send message",
        goes_to: None,
        weight: 2,
        boxes: [
            (184, 1736, 174, 49),
            (24, 1781, 174, 49),
            (19, 2687, 136, 49),
        ],
    },
];

const BLOG: &[Element] = &[
    NAV[0],
    NAV[2],
    NAV[3],
    Element {
        selector: "ol:nth-child(2)>li:nth-child(3)>a:nth-child(1)",
        label: "How long to steep",
        goes_to: None,
        weight: 6,
        boxes: [(429, 504, 163, 21), (119, 409, 163, 21), (54, 431, 127, 21)],
    },
    Element {
        selector: "ol:nth-child(2)>li:nth-child(1)>a:nth-child(1)",
        label: "Start with the leaves",
        goes_to: None,
        weight: 3,
        boxes: [(429, 449, 186, 21), (119, 354, 186, 21), (54, 376, 145, 21)],
    },
    Element {
        selector: "p:nth-child(33)>a:nth-child(1)",
        label: "Iron Goddess Oolong",
        goes_to: Some(""),
        weight: 4,
        boxes: [
            (636, 4054, 187, 21),
            (326, 3959, 187, 21),
            (215, 4854, 146, 21),
        ],
    },
    Element {
        selector: "p:nth-child(34)>a:nth-child(1)",
        label: "Join the Tea Club",
        goes_to: Some("pricing.html"),
        weight: 7,
        boxes: [
            (384, 4128, 213, 52),
            (74, 4033, 213, 52),
            (19, 4956, 166, 52),
        ],
    },
];

/// The account page: its side navigation (client-side views) and the
/// dashboard's actions.
const APP: &[Element] = &[
    NAV[0],
    NAV[1],
    Element {
        selector: "a:nth-child(2)",
        label: "Orders",
        goes_to: None,
        weight: 7,
        boxes: [(184, 193, 220, 45), (24, 193, 220, 45), (113, 134, 64, 45)],
    },
    Element {
        selector: "a:nth-child(3)",
        label: "Settings",
        goes_to: None,
        weight: 4,
        boxes: [(184, 244, 220, 45), (24, 244, 220, 45), (182, 134, 73, 45)],
    },
    Element {
        selector: "p:nth-child(6)>a:nth-child(1)",
        label: "Track your orders",
        goes_to: None,
        weight: 6,
        boxes: [(465, 518, 202, 49), (305, 513, 202, 49), (41, 803, 158, 49)],
    },
    Element {
        selector: "button:nth-child(5)",
        label: "Skip this month",
        goes_to: None,
        weight: 3,
        boxes: [
            (673, 518, 186, 49),
            (513, 513, 186, 49),
            (204, 803, 145, 49),
        ],
    },
];

const PAGES: &[Page] = &[
    Page {
        path: "",
        title: "Northwind Tea — small-batch loose leaf tea",
        heights: [2606, 2908, 5159],
        elements: HOME,
    },
    Page {
        path: "pricing.html",
        title: "Tea Club — Northwind Tea",
        heights: [2104, 2167, 3200],
        elements: PRICING,
    },
    Page {
        path: "blog.html",
        title: "How to brew better tea — Northwind Journal",
        heights: [4512, 4435, 5485],
        elements: BLOG,
    },
    Page {
        path: "app",
        title: "Dashboard — Your account — Northwind Tea",
        heights: [906, 1093, 1336],
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
                    client_hints: Default::default(),
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
