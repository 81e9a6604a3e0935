//! Pseudo-random sessions from a fixed seed, with the session and page rows
//! their raw events give: the fixture of the rollup and removal cases. The
//! draws come from a seeded [`fastrand::Rng`]; the cases assert what the
//! generated events give, never the numbers a seed draws.

use super::fixtures::*;
use fastrand::Rng;
use shared::event::{DeviceClass, Event, EventBatch, EventKind};
use shared::page_key::url_host;
use shared::store::query::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// The draws the fixtures make on a seeded [`Rng`].
pub(super) trait Draws {
    /// Uniform in `[0, n)`.
    fn below(&mut self, n: usize) -> usize;
    /// One of `items`, uniformly.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T;
}

impl Draws for Rng {
    fn below(&mut self, n: usize) -> usize {
        self.usize(..n)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Sessions of pseudo-random events: one batch per session, in time order,
/// and the ids of the clicks that form rage-click bursts.
///
/// Every timestamp is unique (`ts ≡ session index mod 16`). Steps of a session
/// are at least 1.6 s apart, and a burst is 3 or 4 clicks 160 ms apart within
/// 8 px of each other, so the rage clicks are exactly the burst clicks however
/// the events arrive.
pub(super) fn generate_sessions(rng: &mut Rng) -> (Vec<EventBatch>, HashSet<String>) {
    const SESSIONS: i64 = 12;
    let shop_paths = [
        "/",
        "/product/1",
        "/product/2",
        "/product/1/reviews",
        "/cart",
    ];
    let blog_paths = ["/", "/post/1", "/post/2"];
    let clients = [
        chrome(),
        client(DeviceClass::Mobile, "Safari", "iOS"),
        client(DeviceClass::Tablet, "Firefox", "Android"),
    ];
    let selectors = ["#buy", "nav>a", "footer a"];
    let mut sessions = Vec::new();
    let mut rage = HashSet::new();
    for i in 0..SESSIONS {
        let (site_name, host, paths) = if i % 4 == 3 {
            ("blog", "https://blog.example", &blog_paths[..])
        } else {
            ("shop", "https://shop.example", &shop_paths[..])
        };
        let internal = format!("{host}/");
        let referrers = [
            None,
            Some("https://news.example/a"),
            Some("https://Search.Example/q?x=1"),
            Some(internal.as_str()),
        ];
        let visitor = format!("v{}", rng.below(7));
        let client = rng.pick(&clients).clone();
        let at = |k: i64| T0 + 16 * k + i;
        let mut k = rng.below(1_000_000) as i64;
        let mut page = format!("{host}{}", rng.pick(paths));
        let mut events: Vec<Event> = Vec::new();
        let steps = 10 + rng.below(25);
        for _ in 0..steps {
            k += 100 + rng.below(300) as i64;
            let id = format!("g{i}-{}", events.len());
            match rng.below(100) {
                0..=24 => {
                    page = format!("{host}{}", rng.pick(paths));
                    let referrer = *rng.pick(&referrers);
                    events.push(page_view(&id, at(k), &page, referrer));
                }
                25..=49 => {
                    let vw = *rng.pick(&[1280, 800, 375]);
                    let xy = (rng.below(1280) as i32, rng.below(4000) as i32);
                    let c = click_sized(&id, at(k), &page, xy, vw, (vw, 4000));
                    let selector = *rng.pick(&selectors);
                    events.push(on(c, selector, "Label"));
                }
                50..=64 => {
                    let depth = rng.below(9) as f64 / 8.0;
                    events.push(scroll(&id, at(k), &page, depth));
                }
                65..=74 => events.push(custom(&id, at(k), &page, "signup")),
                _ => {
                    let (bx, by) = (20 + rng.below(1200) as i32, 20 + rng.below(3900) as i32);
                    let count = 3 + rng.below(2);
                    for j in 0..count {
                        let id = format!("g{i}-{}", events.len());
                        let xy = (bx + rng.below(6) as i32, by + rng.below(6) as i32);
                        let ts = at(k + 10 * j as i64);
                        events.push(on(
                            click_sized(&id, ts, &page, xy, 1280, (1280, 4000)),
                            "#buy",
                            "Buy",
                        ));
                        rage.insert(id);
                    }
                    k += 10 * (count as i64 - 1);
                }
            }
        }
        sessions.push(batch(
            site_name,
            &format!("g{i}"),
            &visitor,
            &client,
            events,
        ));
    }
    (sessions, rage)
}

/// The referrer host of a page view when it is not the page's own host.
pub(super) fn external_referrer(e: &Event) -> Option<String> {
    let host = url_host(e.referrer.as_deref()?)?;
    (Some(&host) != url_host(&e.url).as_ref()).then_some(host)
}

/// A session row computed from its raw events.
pub(super) fn expected_summary(b: &EventBatch, rage: &HashSet<String>) -> SessionSummary {
    let start = b.events.iter().map(|e| e.ts).min().unwrap_or_default();
    let end = b.events.iter().map(|e| e.ts).max().unwrap_or_default();
    let mut views: Vec<&Event> = b
        .events
        .iter()
        .filter(|e| e.kind == EventKind::PageView)
        .collect();
    views.sort_by_key(|e| e.ts);
    let count = |kind: EventKind| b.events.iter().filter(|e| e.kind == kind).count() as u64;
    SessionSummary {
        start,
        end,
        duration_ms: end - start,
        events: b.events.len() as u64,
        page_views: views.len() as u64,
        clicks: count(EventKind::Click),
        rage_clicks: b.events.iter().filter(|e| rage.contains(&e.id)).count() as u64,
        entry_page: views.first().map(|e| e.page_key.clone()),
        exit_page: views.last().map(|e| e.page_key.clone()),
        referrer: views.first().and_then(|e| external_referrer(e)),
        bounced: views.len() == 1,
        quick_backs: expected_quick_backs(&views),
        dead_end: b
            .events
            .iter()
            .filter(|e| rage.contains(&e.id))
            .map(|e| e.ts)
            .max()
            .is_some_and(|last| end - last <= 10_000),
        ..summary(&b.site, &b.session_id, &b.visitor_id, b.client.clone())
    }
}

/// Returns to a page at most 10 s after leaving it, over page views in time
/// order with repeats of one page counted once.
fn expected_quick_backs(views: &[&Event]) -> u64 {
    let mut visits: Vec<(&str, i64)> = Vec::new();
    for e in views {
        if visits.last().map(|(page, _)| *page) != Some(e.page_key.as_str()) {
            visits.push((&e.page_key, e.ts));
        }
    }
    let mut n = 0;
    for i in 2..visits.len() {
        if visits[i].0 == visits[i - 2].0 && visits[i].1 - visits[i - 1].1 <= 10_000 {
            n += 1;
        }
    }
    n
}

/// Page rows computed from raw events (page keys of the sessions never repeat
/// across sites).
pub(super) fn expected_pages(sessions: &[EventBatch], rage: &HashSet<String>) -> Vec<PageStats> {
    #[derive(Default)]
    struct Acc {
        views: u64,
        visitors: BTreeSet<String>,
        sessions: BTreeSet<String>,
        clicks: u64,
        scroll_sum: f64,
        scrolls: u64,
        rage: u64,
    }
    let mut pages: BTreeMap<String, Acc> = BTreeMap::new();
    for b in sessions {
        for e in &b.events {
            let acc = pages.entry(e.page_key.clone()).or_default();
            acc.visitors.insert(b.visitor_id.clone());
            acc.sessions.insert(format!("{}/{}", b.site, b.session_id));
            match e.kind {
                EventKind::PageView => acc.views += 1,
                EventKind::Click => acc.clicks += 1,
                EventKind::Scroll => {
                    acc.scroll_sum += e.depth.unwrap_or_default();
                    acc.scrolls += 1;
                }
                EventKind::Custom => {}
            }
            if rage.contains(&e.id) {
                acc.rage += 1;
            }
        }
    }
    pages
        .into_iter()
        .map(|(page, a)| PageStats {
            page,
            views: a.views,
            visitors: a.visitors.len() as u64,
            sessions: a.sessions.len() as u64,
            clicks: a.clicks,
            mean_scroll_depth: (a.scrolls > 0).then(|| a.scroll_sum / a.scrolls as f64),
            rage_clicks: a.rage,
        })
        .collect()
}
