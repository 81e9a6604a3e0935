//! The fold of a commit into every rollup delta.
//!
//! Each newly stored event is one [`Fact`]; [`Fold::add`] counts it into the
//! delta of its session, of its (session, page) row and of the heatmap
//! rollups. The rules:
//! - a session's start is its earliest event, its end its latest;
//! - its **entry** is its earliest page view, by `(ts, order)` (on equal
//!   times the first stored), with the page view's *external* referrer (see
//!   [`external_referrer`]); its **exit** is its latest page view (on equal
//!   times the last stored);
//! - a (session, page) row's first view is the earliest event on that page;
//!   scroll events add their depth to a sum and a count (the mean is taken
//!   when read), and what they newly reached to the page's scroll reach
//!   ([`ReachSpan`]);
//! - a click counts into the heatmap when it can be placed
//!   ([`FineCell::of`]), and is anchored to its element ([`Anchor::of`])
//!   when it has a selector and a box; a click already flagged as a rage
//!   click (an engine re-folding stored events) counts as one too.
//!
//! Engines apply the deltas by the same rules across commits: counts add,
//! minima and maxima combine, entry and exit compare `(ts, order)` where
//! `order` grows with storage order.

use super::heat_deltas::HeatDeltas;
use super::steps::{step_of, Step};
use crate::event::{EventKind, Rect, Size};
use crate::limits::RAGE_CLICK_WINDOW_MS;
use crate::page_key::url_host;
use crate::store::fast_hash::FastMap;
use crate::store::heat::{click_anchor, Anchor, FineCell};
use crate::store::reach::{viewport_of, ReachSpan};
use std::hash::Hash;

/// The keys an engine names sessions, pages and selectors by.
pub trait Keys {
    type Session: Clone + Eq + Hash;
    type Page: Clone + Eq + Hash;
    type Selector: Clone + Eq + Hash;
}

/// A stored event as the rollups see it.
pub struct Fact<'a, K: Keys> {
    pub session: K::Session,
    pub page: K::Page,
    /// Grows with storage order: ties in time go by it.
    pub order: i64,
    pub kind: EventKind,
    pub ts: i64,
    pub url: &'a str,
    pub referrer: Option<&'a str>,
    pub viewport_width: Option<u32>,
    /// Read by scroll reports alone (their fold).
    pub viewport_height: Option<u32>,
    pub page_size: Option<Size>,
    pub x: Option<i32>,
    pub y: Option<i32>,
    pub selector: Option<K::Selector>,
    /// The clicked element's box (page pixels).
    pub element: Option<Rect>,
    pub label: Option<&'a str>,
    pub depth: Option<f64>,
    /// The depth a scroll report goes on from.
    pub depth_from: Option<f64>,
    /// A custom event's name.
    pub name: Option<&'a str>,
    /// Already flagged as a rage click.
    pub rage: bool,
}

impl<K: Keys> Fact<'_, K> {
    /// Where the click falls on the heatmap grid, if it can be placed.
    pub fn cell(&self) -> Option<FineCell> {
        FineCell::of(
            self.ts,
            self.x,
            self.y,
            self.page_size.map(|s| s.width),
            self.viewport_width,
        )
    }

    /// The bands of its page a scroll report newly reached, if any.
    pub fn reach(&self) -> Option<ReachSpan> {
        ReachSpan::of(
            self.ts,
            self.depth,
            self.depth_from,
            self.page_size,
            viewport_of(self.viewport_width, self.viewport_height),
        )
    }

    /// Where the click fell inside its element, when it is anchored: it
    /// has a selector and a box.
    pub fn anchor(&self) -> Option<Anchor> {
        click_anchor(self.selector.as_ref(), self.x, self.y, self.element).map(|(_, a)| a)
    }
}

/// A page view that is a session's entry or exit.
#[derive(Debug, Clone, PartialEq)]
pub struct Landmark<P> {
    pub ts: i64,
    pub order: i64,
    pub page: P,
    /// The external referrer host (entries only).
    pub referrer: Option<String>,
}

/// Changes to one session's rollup.
#[derive(Debug, Clone)]
pub struct SessionDelta<P> {
    pub events: i64,
    pub page_views: i64,
    pub clicks: i64,
    pub rage_clicks: i64,
    /// Earliest and latest event time (`i64::MAX` / `i64::MIN` when none).
    pub start: i64,
    pub end: i64,
    pub entry: Option<Landmark<P>>,
    pub exit: Option<Landmark<P>>,
    /// Time span of the clicks newly stored, for rage judging.
    pub click_span: Option<(i64, i64)>,
    /// The time of the latest rage click counted.
    pub last_rage: Option<i64>,
    /// New page views and custom events, in the order folded.
    pub steps: Vec<Step<P>>,
}

impl<P> Default for SessionDelta<P> {
    fn default() -> Self {
        Self {
            events: 0,
            page_views: 0,
            clicks: 0,
            rage_clicks: 0,
            start: i64::MAX,
            end: i64::MIN,
            entry: None,
            exit: None,
            click_span: None,
            last_rage: None,
            steps: Vec::new(),
        }
    }
}

/// A session's rollup as stored, for an engine that keeps it in memory and
/// writes it whole: [`SessionTotals::apply`] combines a commit's delta with
/// it by the rules above (steps and quick backs aside: they merge by
/// [`super::steps::merge`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionTotals<P> {
    pub events: i64,
    pub page_views: i64,
    pub clicks: i64,
    pub rage_clicks: i64,
    /// Earliest and latest event time (`i64::MAX` / `i64::MIN` when none).
    pub start: i64,
    pub end: i64,
    pub entry_ts: Option<i64>,
    pub entry_page: Option<P>,
    /// The entry's external referrer host.
    pub referrer: Option<String>,
    pub exit_ts: Option<i64>,
    pub exit_page: Option<P>,
    pub last_rage: Option<i64>,
}

impl<P: Clone> SessionTotals<P> {
    /// Adds a commit's delta. The delta's events were stored after every
    /// event already counted, so on equal times the stored entry stays and
    /// the new exit wins.
    pub fn apply(&mut self, d: &SessionDelta<P>) {
        self.events += d.events;
        self.page_views += d.page_views;
        self.clicks += d.clicks;
        self.rage_clicks += d.rage_clicks;
        self.start = self.start.min(d.start);
        self.end = self.end.max(d.end);
        if let Some(entry) = &d.entry {
            if self.entry_ts.is_none_or(|ts| entry.ts < ts) {
                self.entry_ts = Some(entry.ts);
                self.entry_page = Some(entry.page.clone());
                self.referrer.clone_from(&entry.referrer);
            }
        }
        if let Some(exit) = &d.exit {
            if self.exit_ts.is_none_or(|ts| exit.ts >= ts) {
                self.exit_ts = Some(exit.ts);
                self.exit_page = Some(exit.page.clone());
            }
        }
        self.last_rage = self.last_rage.max(d.last_rage);
    }
}

/// Changes to one (session, page) rollup row.
#[derive(Debug, Clone, Default)]
pub struct PageDelta {
    pub first_ts: i64,
    pub views: i64,
    pub clicks: i64,
    pub rage_clicks: i64,
    pub scroll_sum: f64,
    pub scroll_count: i64,
}

/// Every rollup change of one commit, gathered over all its batches so that
/// a session or page touched by several batches is written once.
pub struct Fold<K: Keys> {
    pub sessions: FastMap<K::Session, SessionDelta<K::Page>>,
    pub pages: FastMap<(K::Session, K::Page), PageDelta>,
    pub heat: HeatDeltas<K::Page, K::Selector>,
}

impl<K: Keys> Default for Fold<K> {
    fn default() -> Self {
        Self {
            sessions: FastMap::default(),
            pages: FastMap::default(),
            heat: HeatDeltas::default(),
        }
    }
}

impl<K: Keys> Fold<K> {
    /// Counts a newly stored event.
    pub fn add(&mut self, f: &Fact<'_, K>) {
        let rage = i64::from(f.rage);
        let session = self.sessions.entry(f.session.clone()).or_default();
        session.events += 1;
        session.start = session.start.min(f.ts);
        session.end = session.end.max(f.ts);
        session
            .steps
            .extend(step_of(f.kind, f.ts, f.order, &f.page, f.name));
        match f.kind {
            EventKind::PageView => {
                session.page_views += 1;
                let at = (f.ts, f.order);
                if session.entry.as_ref().is_none_or(|e| at < (e.ts, e.order)) {
                    session.entry = Some(Landmark {
                        ts: f.ts,
                        order: f.order,
                        page: f.page.clone(),
                        referrer: external_referrer(f.referrer, f.url),
                    });
                }
                if session.exit.as_ref().is_none_or(|e| at > (e.ts, e.order)) {
                    session.exit = Some(Landmark {
                        ts: f.ts,
                        order: f.order,
                        page: f.page.clone(),
                        referrer: None,
                    });
                }
                self.page(f).views += 1;
            }
            EventKind::Click => {
                session.clicks += 1;
                session.rage_clicks += rage;
                if f.rage {
                    session.last_rage = session.last_rage.max(Some(f.ts));
                }
                session.click_span = Some(match session.click_span {
                    None => (f.ts, f.ts),
                    Some((lo, hi)) => (lo.min(f.ts), hi.max(f.ts)),
                });
                let page = self.page(f);
                page.clicks += 1;
                page.rage_clicks += rage;
                if let (Some(cell), Some(size)) = (f.cell(), f.page_size) {
                    self.heat.add_click(
                        &f.page,
                        cell,
                        f.selector.as_ref(),
                        f.anchor(),
                        f.label,
                        i64::from(size.width),
                        Some(i64::from(size.height)),
                        i64::from(f.y.unwrap_or_default()),
                        f.rage,
                    );
                }
            }
            EventKind::Scroll => {
                let page = self.page(f);
                page.scroll_sum += f.depth.unwrap_or_default();
                page.scroll_count += 1;
                if let Some(span) = f.reach() {
                    self.heat.count_reach(&f.page, span, 1);
                }
            }
            EventKind::Custom => {
                self.page(f);
            }
        }
    }

    /// Counts a stored click newly flagged as a rage click.
    pub fn add_rage(&mut self, f: &Fact<'_, K>) {
        let session = self.sessions.entry(f.session.clone()).or_default();
        session.rage_clicks += 1;
        session.last_rage = session.last_rage.max(Some(f.ts));
        self.page(f).rage_clicks += 1;
        if let Some(cell) = f.cell() {
            self.heat
                .add_rage(&f.page, cell, f.selector.as_ref(), f.anchor());
        }
    }

    /// Per session with new clicks, the times whose clicks must be judged
    /// again: the span of its new clicks widened by the rage window.
    pub fn rage_windows(&self) -> Vec<(K::Session, i64, i64)> {
        self.sessions
            .iter()
            .filter_map(|(session, d)| {
                d.click_span.map(|(lo, hi)| {
                    (
                        session.clone(),
                        lo - RAGE_CLICK_WINDOW_MS,
                        hi + RAGE_CLICK_WINDOW_MS,
                    )
                })
            })
            .collect()
    }

    fn page(&mut self, f: &Fact<'_, K>) -> &mut PageDelta {
        let page = self
            .pages
            .entry((f.session.clone(), f.page.clone()))
            .or_insert_with(|| PageDelta {
                first_ts: f.ts,
                ..PageDelta::default()
            });
        page.first_ts = page.first_ts.min(f.ts);
        page
    }
}

/// The referrer's host when it is not the page's own host (internal
/// navigation is not a referrer).
pub fn external_referrer(referrer: Option<&str>, url: &str) -> Option<String> {
    let referrer = url_host(referrer?)?;
    (Some(&referrer) != url_host(url).as_ref()).then_some(referrer)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Test;
    impl Keys for Test {
        type Session = u8;
        type Page = &'static str;
        type Selector = u8;
    }

    fn view(page: &'static str, ts: i64, order: i64) -> Fact<'static, Test> {
        Fact {
            session: 1,
            page,
            order,
            kind: EventKind::PageView,
            ts,
            url: "https://a.example/",
            referrer: Some("https://b.example/x"),
            viewport_width: None,
            viewport_height: None,
            page_size: None,
            x: None,
            y: None,
            selector: None,
            element: None,
            label: None,
            depth: None,
            depth_from: None,
            name: None,
            rage: false,
        }
    }

    #[test]
    fn entry_is_the_earliest_and_exit_the_latest_page_view() {
        let mut fold = Fold::<Test>::default();
        fold.add(&view("/b", 20, 1));
        fold.add(&view("/a", 10, 2));
        fold.add(&view("/c", 20, 3));
        fold.add(&view("/d", 10, 4));
        let s = &fold.sessions[&1];
        let entry = s.entry.as_ref().map(|e| (e.page, e.referrer.clone()));
        assert_eq!(entry, Some(("/a", Some("b.example".to_owned()))));
        assert_eq!(s.exit.as_ref().map(|e| e.page), Some("/c"));
        assert_eq!((s.start, s.end, s.page_views), (10, 20, 4));
        assert_eq!(fold.pages[&(1, "/b")].first_ts, 20);
    }

    #[test]
    fn totals_keep_the_first_entry_and_take_the_last_exit_across_commits() {
        let mut first = Fold::<Test>::default();
        first.add(&view("/a", 10, 1));
        first.add(&view("/b", 20, 2));
        let mut totals = SessionTotals {
            events: 0,
            page_views: 0,
            clicks: 0,
            rage_clicks: 0,
            start: i64::MAX,
            end: i64::MIN,
            entry_ts: None,
            entry_page: None,
            referrer: None,
            exit_ts: None,
            exit_page: None,
            last_rage: Some(5),
        };
        totals.apply(&first.sessions[&1]);
        // A later commit: equal times, then an earlier page view.
        let mut second = Fold::<Test>::default();
        second.add(&view("/c", 10, 3));
        second.add(&view("/d", 20, 4));
        let mut rage = view("/d", 15, 5);
        rage.kind = EventKind::Click;
        second.add_rage(&rage);
        totals.apply(&second.sessions[&1]);
        assert_eq!(
            (totals.events, totals.page_views, totals.rage_clicks),
            (4, 4, 1)
        );
        assert_eq!((totals.start, totals.end), (10, 20));
        assert_eq!((totals.entry_ts, totals.entry_page), (Some(10), Some("/a")));
        assert_eq!(totals.referrer.as_deref(), Some("b.example"));
        assert_eq!((totals.exit_ts, totals.exit_page), (Some(20), Some("/d")));
        assert_eq!(totals.last_rage, Some(15));
        let mut third = Fold::<Test>::default();
        let mut early = view("/e", 5, 6);
        early.referrer = None;
        third.add(&early);
        totals.apply(&third.sessions[&1]);
        assert_eq!((totals.entry_page, totals.referrer), (Some("/e"), None));
        assert_eq!((totals.start, totals.exit_page), (5, Some("/d")));
    }

    #[test]
    fn internal_navigation_is_not_a_referrer() {
        assert_eq!(
            external_referrer(Some("https://a.example/x"), "https://a.example/y"),
            None
        );
        assert_eq!(
            external_referrer(Some("https://b.example/"), "https://a.example/"),
            Some("b.example".to_owned())
        );
        assert_eq!(external_referrer(None, "https://a.example/"), None);
    }
}
