//! Simulated visitors of the demo site, for the live demo and its
//! back-filled history: each visit is the list of wire batches `tracker.js`
//! would send (one per page), with a device-specific user agent, viewport and
//! page size, a referrer, clicks on the demo site's real elements (their
//! selectors, labels and boxes as a real browser lays them out at that
//! device's viewport: [`crate::demo_site`]), scroll depths, custom events and
//! the occasional rage-click burst. When the reply to a page's batch asks
//! for a layout snapshot, [`PageBatch::layout_batch`] is what `layout.js`
//! would then send: the page's snapshot at that viewport, measured in the
//! same browser run.
//!
//! Randomness comes from a seeded [`fastrand::Rng`], so a seed gives the same
//! traffic every time.

use crate::demo_site;
use fastrand::Rng;
use serde_json::{json, Value};

/// A simulated client.
#[derive(Debug, Clone, Copy)]
struct Device {
    user_agent: &'static str,
    /// Every viewport here is one [`crate::demo_site`] measured.
    viewport: (u32, u32),
}

const DEVICES: &[(u32, Device)] = &[
    (30, Device { user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36", viewport: (1440, 900) }),
    (14, Device { user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", viewport: (1280, 800) }),
    (10, Device { user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", viewport: (1366, 768) }),
    (8, Device { user_agent: "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", viewport: (820, 1180) }),
    (24, Device { user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", viewport: (390, 844) }),
    (14, Device { user_agent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36", viewport: (412, 915) }),
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

/// A clickable element: the selector and label `tracker.js` reports for it
/// on a wide screen (a unit test checks both against the browser's
/// measurements; clicks carry the label measured at their viewport), where it
/// goes, and how often it is clicked. Its box at each viewport, and the
/// page's size, are [`crate::demo_site`]'s.
#[derive(Clone, Copy)]
struct Element {
    selector: &'static str,
    label: &'static str,
    goes_to: Option<&'static str>,
    weight: u32,
}

/// A page of the demo site.
struct Page {
    path: &'static str,
    title: &'static str,
    elements: &'static [Element],
}

const NAV: [Element; 4] = [
    Element {
        selector: "li:nth-child(2)>a:nth-child(1)",
        label: "Tea Club",
        goes_to: Some("pricing.html"),
        weight: 6,
    },
    Element {
        selector: "li:nth-child(3)>a:nth-child(1)",
        label: "Journal",
        goes_to: Some("blog.html"),
        weight: 5,
    },
    Element {
        selector: "li:nth-child(4)>a:nth-child(1)",
        label: "Account",
        goes_to: Some("app"),
        weight: 3,
    },
    Element {
        selector: "button:nth-child(3)",
        label: "Cart 0",
        goes_to: None,
        weight: 4,
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
    },
    Element {
        selector: "a:nth-child(2)",
        label: "Join the Tea Club",
        goes_to: Some("pricing.html"),
        weight: 8,
    },
    Element {
        selector: "button:nth-child(2)",
        label: "Add to cart",
        goes_to: None,
        weight: 12,
    },
    Element {
        selector: "article:nth-child(2)>div:nth-child(2)>div:nth-child(4)>button:nth-child(2)",
        label: "Add to cart",
        goes_to: None,
        weight: 9,
    },
    Element {
        selector: "article:nth-child(3)>div:nth-child(2)>div:nth-child(4)>button:nth-child(2)",
        label: "Add to cart",
        goes_to: None,
        weight: 10,
    },
    Element {
        selector: "article:nth-child(4)>div:nth-child(2)>div:nth-child(4)>button:nth-child(2)",
        label: "Add to cart",
        goes_to: None,
        weight: 5,
    },
    Element {
        selector: "article:nth-child(5)>div:nth-child(2)>div:nth-child(4)>button:nth-child(2)",
        label: "Add to cart",
        goes_to: None,
        weight: 4,
    },
    Element {
        selector: "article:nth-child(6)>div:nth-child(2)>div:nth-child(4)>button:nth-child(2)",
        label: "Add to cart",
        goes_to: None,
        weight: 3,
    },
    Element {
        selector: "div:nth-child(1)>a:nth-child(2)",
        label: "Get them monthly →",
        goes_to: Some("pricing.html"),
        weight: 3,
    },
    Element {
        selector: "input:nth-child(1)",
        label: "",
        goes_to: None,
        weight: 4,
    },
    Element {
        selector: "#newsletter>button:nth-child(2)",
        label: "Subscribe",
        goes_to: None,
        weight: 4,
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
    },
    Element {
        selector: "button:nth-child(6)",
        label: "Choose Daily Steeper",
        goes_to: Some("app"),
        weight: 12,
    },
    Element {
        selector: "div:nth-child(3)>button:nth-child(5)",
        label: "Choose Tea Gardener",
        goes_to: Some("app"),
        weight: 6,
    },
    Element {
        selector: "summary:nth-child(1)",
        label: "When does my box ship?",
        goes_to: None,
        weight: 4,
    },
    Element {
        selector: "button:nth-child(1)",
        label: "Send message",
        goes_to: None,
        weight: 2,
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
    },
    Element {
        selector: "ol:nth-child(2)>li:nth-child(1)>a:nth-child(1)",
        label: "Start with the leaves",
        goes_to: None,
        weight: 3,
    },
    Element {
        selector: "p:nth-child(33)>a:nth-child(1)",
        label: "Iron Goddess Oolong",
        goes_to: Some(""),
        weight: 4,
    },
    Element {
        selector: "p:nth-child(34)>a:nth-child(1)",
        label: "Join the Tea Club",
        goes_to: Some("pricing.html"),
        weight: 7,
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
    },
    Element {
        selector: "a:nth-child(3)",
        label: "Settings",
        goes_to: None,
        weight: 4,
    },
    Element {
        selector: "p:nth-child(6)>a:nth-child(1)",
        label: "Track your orders",
        goes_to: None,
        weight: 6,
    },
    Element {
        selector: "button:nth-child(2)",
        label: "Skip this month",
        goes_to: None,
        weight: 3,
    },
];

const PAGES: &[Page] = &[
    Page {
        path: "",
        title: "Northwind Tea — small-batch loose leaf tea",
        elements: HOME,
    },
    Page {
        path: "pricing.html",
        title: "Tea Club — Northwind Tea",
        elements: PRICING,
    },
    Page {
        path: "blog.html",
        title: "How to brew better tea — Northwind Journal",
        elements: BLOG,
    },
    Page {
        path: "app",
        title: "Dashboard — Your account — Northwind Tea",
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

/// One page of a visit: its wire batch, the pause before it (ms), and what
/// `layout.js` would send of the page if the reply asked.
#[derive(Debug, Clone, PartialEq)]
pub struct PageBatch {
    pub pause: u64,
    pub batch: Value,
    /// The page's path and the visitor's viewport width: where
    /// [`demo_site::measured`] finds the page as a browser laid it out.
    path: &'static str,
    width: u32,
}

impl PageBatch {
    /// The batch the visitor's tracker sends when the reply to this page's
    /// batch asks for a layout snapshot (`"layout": true`): one `layout`
    /// event, `id`, taken and sent at `ts` (ms), of this page at the
    /// visitor's viewport, with the page size and boxes `layout.js` sent
    /// there in a real browser. `None` when the page was not measured at
    /// that viewport.
    pub fn layout_batch(&self, id: String, ts: i64) -> Option<Value> {
        let m = demo_site::measured(self.path, self.width)?;
        let b = &self.batch;
        Some(json!({
            "site": b["site"], "session_id": b["session_id"], "visitor_id": b["visitor_id"],
            "sent_at": ts,
            "events": [{
                "id": id, "type": "layout", "ts": ts, "url": b["events"][0]["url"],
                "viewport": m.viewport, "page": m.page, "page_left": m.page_left,
                "boxes": m.boxes,
            }],
        }))
    }
}

/// How deep a page view at `url`, seen through a viewport on a page of
/// `(viewport, page)` sizes, was read, reported at `ts`: at least the first
/// screen. Now and then the tab was hidden half-way and the reader came
/// back for more: two reports, the second naming the depth of the first.
fn scroll_reports(
    rng: &mut Rng,
    ts: i64,
    url: &str,
    (viewport, page): ([u32; 2], [u32; 2]),
) -> Vec<Value> {
    let fold = (f64::from(viewport[1]) / f64::from(page[1].max(1))).min(1.0);
    let depth = fold.max((30 + below(rng, 71)) as f64 / 100.0);
    let mut reports = Vec::new();
    let mut reported = 0.0;
    if depth > fold && chance(rng, 0.2) {
        let part = ((fold + depth) / 2.0 * 100.0).round() / 100.0;
        reports.push(json!({
            "id": id(rng), "type": "scroll", "ts": ts - 500, "url": url,
            "viewport": viewport, "page": page, "depth": part, "from": 0,
        }));
        reported = part;
    }
    reports.push(json!({
        "id": id(rng), "type": "scroll", "ts": ts, "url": url,
        "viewport": viewport, "page": page, "depth": depth, "from": reported,
    }));
    reports
}

/// One simulated visit starting at `start` (ms): the wire batches (one per
/// page) with the pause before each, in ms.
pub fn session_batches(rng: &mut Rng, base: &str, start: i64, visitor: &Visitor) -> Vec<PageBatch> {
    let device = visitor.device;
    let referrer = weighted(rng, REFERRERS);
    let session_id = id(rng);
    let entry_weights: &[(u32, usize)] = &[(60, 0), (18, 1), (18, 2), (4, 3)];
    let mut page = weighted(rng, entry_weights);
    let mut batches = Vec::new();
    let mut ts = start;
    let mut referrer = referrer.map(str::to_owned);
    let pages_in_visit = 1 + below(rng, 5);
    let (width, viewport_height) = device.viewport;
    for visit in 0..pages_in_visit {
        let p = &PAGES[page];
        let measured = demo_site::measured(p.path, width);
        let height = measured.map_or(viewport_height, |m| m.page[1]);
        let url = format!("{base}{}", p.path);
        let mut events = vec![json!({
            "id": id(rng), "type": "page_view", "ts": ts, "url": url, "title": p.title,
            "referrer": referrer.clone().unwrap_or_default(),
            "viewport": [width, viewport_height], "page": [width, height],
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
            ts += 1500 + below(rng, 12_000) as i64;
            // (Every element is measured at every viewport: a unit test says so.)
            let Some(target) = measured.and_then(|m| m.target(element.selector)) else {
                continue;
            };
            let [bx, by, bw, bh] = target.rect;
            let x = bx + below(rng, bw.max(0) as u64) as i32;
            let y = by + below(rng, bh.max(0) as u64) as i32;
            let click = |id: String, ts: i64, dx: i32, dy: i32| {
                json!({
                    "id": id, "type": "click", "ts": ts, "url": url,
                    "x": x + dx, "y": y + dy,
                    "viewport": [width, viewport_height], "page": [width, height],
                    "target": {"selector": element.selector, "text": target.label, "box": [bx, by, bw, bh]},
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
        let size = ([width, viewport_height], [width, height]);
        events.extend(scroll_reports(rng, ts, &url, size));
        let batch = json!({
            "site": "demo", "session_id": session_id, "visitor_id": visitor.id,
            "sent_at": ts, "events": events,
        });
        let pause = if visit == 0 {
            0
        } else {
            1500 + below(rng, 6000)
        };
        batches.push(PageBatch {
            pause,
            batch,
            path: p.path,
            width,
        });
        referrer = Some(url);
        page = next_page.unwrap_or_else(|| below(rng, PAGES.len() as u64) as usize);
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::validate::{prepare, PreparedBatch, RequestContext};

    fn prepared(batch: &Value, user_agent: &str) -> PreparedBatch {
        let body = serde_json::to_vec(batch).unwrap_or_default();
        let ctx = RequestContext {
            user_agent: Some(user_agent),
            client_hints: Default::default(),
            received_at: 1_700_000_000_000,
            keep_query: &Default::default(),
        };
        let prepared = prepare(&body, &ctx);
        assert!(
            prepared.as_ref().is_ok_and(|p| p.rejected.is_empty()),
            "{prepared:?}"
        );
        prepared.expect("checked above")
    }

    #[test]
    fn simulated_sessions_are_valid_batches() {
        let mut rng = Rng::with_seed(7);
        let (mut custom, mut clicks) = (0, 0);
        for _ in 0..50 {
            let visitor = Visitor::new(&mut rng);
            let batches = session_batches(
                &mut rng,
                "http://127.0.0.1:4000/demo/",
                1_700_000_000_000,
                &visitor,
            );
            assert!(!batches.is_empty());
            for page in &batches {
                let events = prepared(&page.batch, visitor.user_agent()).batch.events;
                custom += events
                    .iter()
                    .filter(|e| e.kind == shared::event::EventKind::Custom)
                    .count();
                clicks += events
                    .iter()
                    .filter(|e| e.kind == shared::event::EventKind::Click)
                    .count();
            }
        }
        assert!(custom > 0, "clicks on buttons send custom events");
        assert!(clicks > 50, "{clicks} clicks");
    }

    #[test]
    fn a_page_s_layout_batch_is_the_snapshot_layout_js_sent_at_that_viewport() {
        let mut rng = Rng::with_seed(5);
        let mut widths = std::collections::BTreeSet::new();
        for _ in 0..60 {
            let visitor = Visitor::new(&mut rng);
            for page in session_batches(&mut rng, "http://h/demo/", 1_700_000_000_000, &visitor) {
                let Some(batch) = page.layout_batch(id(&mut rng), 1_700_000_009_000) else {
                    panic!("every page is measured at {:?}", visitor.device.viewport);
                };
                let p = prepared(&batch, visitor.user_agent());
                assert!(p.batch.events.is_empty());
                assert_eq!(p.layouts.len(), 1);
                let snapshot = &p.layouts[0];
                assert_eq!(snapshot.url, page.batch["events"][0]["url"]);
                let layout = &snapshot.layout;
                assert_eq!(layout.viewport.width, visitor.device.viewport.0);
                assert_eq!(layout.viewport.height, visitor.device.viewport.1);
                // The page size of the page's own events.
                assert_eq!(
                    json!([layout.page.width, layout.page.height]),
                    page.batch["events"][0]["page"]
                );
                // Every box layout.js sent is kept.
                assert_eq!(
                    Some(layout.boxes.len()),
                    batch["events"][0]["boxes"].as_array().map(Vec::len)
                );
                widths.insert(layout.viewport.width);
            }
        }
        assert_eq!(widths.len(), DEVICES.len(), "{widths:?}");
    }

    #[test]
    fn every_clicked_element_is_measured_at_every_viewport_with_its_label() {
        for page in PAGES {
            for (_, device) in DEVICES {
                let width = device.viewport.0;
                let Some(m) = demo_site::measured(page.path, width) else {
                    panic!("{:?} not measured at {width}", page.path);
                };
                assert_eq!(m.viewport, [device.viewport.0, device.viewport.1]);
                for element in page.elements {
                    let Some(target) = m.target(element.selector) else {
                        panic!("{} on {:?} at {width}", element.selector, page.path);
                    };
                    // The label the tracker reads there (the cart button is
                    // its count alone on a phone, its text hidden).
                    let label = match (element.label, width < 768) {
                        ("Cart 0", true) => "0",
                        (label, _) => label,
                    };
                    assert_eq!(target.label, label, "{} at {width}", element.selector);
                    // An element in the snapshot has the box clicks on it have.
                    let in_snapshot = m
                        .boxes
                        .iter()
                        .find(|b| b["selector"] == element.selector)
                        .map(|b| b["box"].clone());
                    if let Some(snapshot_box) = in_snapshot {
                        assert_eq!(snapshot_box, json!(target.rect), "{}", element.selector);
                    } else {
                        // Only the menu's links (closed when layout.js looks)
                        // and elements layout.js does not record are absent.
                        assert!(
                            target.menu
                                || element.label.is_empty()
                                || element.selector.starts_with("summary"),
                            "{} on {:?} at {width}",
                            element.selector,
                            page.path
                        );
                    }
                }
            }
        }
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
