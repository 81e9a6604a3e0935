//! What stored events add to every rollup, gathered over a commit and turned
//! into one bulk upsert per collection.
//!
//! Sessions and pages take counts by `$inc`, start and first view by `$min`,
//! end by `$max`; entry and exit pages are `$min` / `$max` of the arrays
//! `[ts, seq, page, referrer]` and `[ts, seq, page]`, which BSON compares
//! element by element: the earliest page view is the entry (on equal times the
//! first stored), the latest the exit (on equal times the last stored), in
//! whatever order the events arrive. Heatmap rollups take counts by `$inc` and
//! the tallest page, deepest click and greatest label by `$max`.

use super::codec::{boolean, float, int, text};
use super::schema::{key, HEAT_CELLS, HEAT_ELEMENTS, HEAT_EXTENTS, PAGES, SESSIONS};
use crate::event::EventKind;
use crate::page_key::url_host;
use mongodb::bson::{doc, Bson, Document};
use std::collections::HashMap;

/// A session's share of one commit.
struct SessionDelta {
    site: String,
    session: String,
    visitor: String,
    device: i64,
    browser: String,
    os: String,
    events: i64,
    page_views: i64,
    clicks: i64,
    rage_clicks: i64,
    start: i64,
    end: i64,
    /// Earliest page view: (ts, seq, page, external referrer host).
    entry: Option<(i64, i64, String, Option<String>)>,
    /// Latest page view: (ts, seq, page).
    exit: Option<(i64, i64, String)>,
}

/// One (session, page) row's share of one commit.
struct PageDelta {
    site: String,
    sid: String,
    page: String,
    visitor: String,
    first_ts: i64,
    views: i64,
    clicks: i64,
    rage_clicks: i64,
    scroll_sum: f64,
    scroll_count: i64,
}

/// Where a click's heatmap rollups live: one page, segment and day.
#[derive(Clone)]
struct Bucket {
    site: String,
    page: String,
    segment: i64,
    day: i64,
}

#[derive(Default)]
struct Counts {
    clicks: i64,
    rage_clicks: i64,
}

struct Extent {
    clicks: i64,
    max_ph: Option<i64>,
    max_y: i64,
}

#[derive(Default)]
struct Element {
    clicks: i64,
    rage_clicks: i64,
    label: Option<String>,
}

/// Every rollup change of one commit.
#[derive(Default)]
pub(crate) struct Rollups {
    sessions: HashMap<String, SessionDelta>,
    pages: HashMap<String, PageDelta>,
    buckets: HashMap<String, Bucket>,
    cells: HashMap<(String, i64, i64), Counts>,
    extents: HashMap<(String, i64), Extent>,
    elements: HashMap<(String, String), Element>,
    /// Per session, the time span of its newly stored clicks.
    pub(crate) click_spans: HashMap<String, (i64, i64)>,
}

/// The fields of an `events` document the rollups need.
struct Fields<'a> {
    d: &'a Document,
    sid: String,
    site: String,
    page: String,
    ts: i64,
    seq: i64,
}

impl<'a> Fields<'a> {
    fn of(d: &'a Document) -> Option<Self> {
        Some(Self {
            d,
            sid: text(d, "sid")?,
            site: text(d, "site")?,
            page: text(d, "page")?,
            ts: int(d, "ts")?,
            seq: int(d, "seq")?,
        })
    }

    fn bucket(&self) -> Option<(String, Bucket)> {
        Some((
            text(self.d, "hk")?,
            Bucket {
                site: self.site.clone(),
                page: self.page.clone(),
                segment: int(self.d, "seg")?,
                day: int(self.d, "day")?,
            },
        ))
    }
}

/// The referrer's host when it is not the page's own host (internal
/// navigation is not a referrer).
fn external_referrer(d: &Document) -> Option<String> {
    let referrer = url_host(&text(d, "referrer")?)?;
    (Some(&referrer) != url_host(&text(d, "url")?).as_ref()).then_some(referrer)
}

impl Rollups {
    fn session(&mut self, f: &Fields<'_>) -> &mut SessionDelta {
        self.sessions
            .entry(f.sid.clone())
            .or_insert_with(|| SessionDelta {
                site: f.site.clone(),
                session: text(f.d, "session").unwrap_or_default(),
                visitor: text(f.d, "visitor").unwrap_or_default(),
                device: int(f.d, "device").unwrap_or(-1),
                browser: text(f.d, "browser").unwrap_or_default(),
                os: text(f.d, "os").unwrap_or_default(),
                events: 0,
                page_views: 0,
                clicks: 0,
                rage_clicks: 0,
                start: i64::MAX,
                end: i64::MIN,
                entry: None,
                exit: None,
            })
    }

    fn page(&mut self, f: &Fields<'_>, visitor: String) -> &mut PageDelta {
        let page = self
            .pages
            .entry(key(&[&f.sid, &f.page]))
            .or_insert_with(|| PageDelta {
                site: f.site.clone(),
                sid: f.sid.clone(),
                page: f.page.clone(),
                visitor,
                first_ts: f.ts,
                views: 0,
                clicks: 0,
                rage_clicks: 0,
                scroll_sum: 0.0,
                scroll_count: 0,
            });
        page.first_ts = page.first_ts.min(f.ts);
        page
    }

    /// Counts a newly stored event (an `events` document). Documents missing
    /// the fields every event has are skipped.
    pub(crate) fn add_event(&mut self, d: &Document) {
        let Some(f) = Fields::of(d) else {
            return;
        };
        let kind = int(d, "kind").and_then(EventKind::from_code);
        let session = self.session(&f);
        session.events += 1;
        session.start = session.start.min(f.ts);
        session.end = session.end.max(f.ts);
        let visitor = session.visitor.clone();
        match kind {
            Some(EventKind::PageView) => {
                session.page_views += 1;
                let earlier = session
                    .entry
                    .as_ref()
                    .is_none_or(|(ts, seq, ..)| (f.ts, f.seq) < (*ts, *seq));
                if earlier {
                    session.entry = Some((f.ts, f.seq, f.page.clone(), external_referrer(d)));
                }
                let later = session
                    .exit
                    .as_ref()
                    .is_none_or(|(ts, seq, _)| (f.ts, f.seq) > (*ts, *seq));
                if later {
                    session.exit = Some((f.ts, f.seq, f.page.clone()));
                }
                self.page(&f, visitor).views += 1;
            }
            Some(EventKind::Click) => {
                session.clicks += 1;
                if boolean(d, "rage") {
                    session.rage_clicks += 1;
                }
                self.click_spans
                    .entry(f.sid.clone())
                    .and_modify(|(lo, hi)| {
                        *lo = (*lo).min(f.ts);
                        *hi = (*hi).max(f.ts);
                    })
                    .or_insert((f.ts, f.ts));
                let page = self.page(&f, visitor);
                page.clicks += 1;
                if boolean(d, "rage") {
                    page.rage_clicks += 1;
                }
                self.add_click_to_heat(&f);
            }
            Some(EventKind::Scroll) => {
                let page = self.page(&f, visitor);
                page.scroll_sum += float(d, "depth").unwrap_or_default();
                page.scroll_count += 1;
            }
            Some(EventKind::Custom) | None => {
                self.page(&f, visitor);
            }
        }
    }

    fn add_click_to_heat(&mut self, f: &Fields<'_>) {
        let Some((hk, bucket)) = f.bucket() else {
            return;
        };
        let (Some(gx), Some(gy), Some(pw)) = (int(f.d, "gx"), int(f.d, "gy"), int(f.d, "pw"))
        else {
            return;
        };
        let rage = i64::from(boolean(f.d, "rage"));
        let y = int(f.d, "y").unwrap_or_default();
        let cell = self.cells.entry((hk.clone(), gx, gy)).or_default();
        cell.clicks += 1;
        cell.rage_clicks += rage;
        let extent = self.extents.entry((hk.clone(), pw)).or_insert(Extent {
            clicks: 0,
            max_ph: None,
            max_y: y,
        });
        extent.clicks += 1;
        extent.max_ph = extent.max_ph.max(int(f.d, "ph"));
        extent.max_y = extent.max_y.max(y);
        if let Some(selector) = text(f.d, "selector") {
            let element = self.elements.entry((hk.clone(), selector)).or_default();
            element.clicks += 1;
            element.rage_clicks += rage;
            element.label = element.label.take().max(text(f.d, "label"));
        }
        self.buckets.entry(hk).or_insert(bucket);
    }

    /// Counts a stored click newly flagged as a rage click (its document as
    /// it was before the flag).
    pub(crate) fn add_rage(&mut self, d: &Document) {
        let Some(f) = Fields::of(d) else {
            return;
        };
        let session = self.session(&f);
        session.rage_clicks += 1;
        let visitor = session.visitor.clone();
        self.page(&f, visitor).rage_clicks += 1;
        if let Some((hk, bucket)) = f.bucket() {
            if let (Some(gx), Some(gy)) = (int(d, "gx"), int(d, "gy")) {
                self.cells
                    .entry((hk.clone(), gx, gy))
                    .or_default()
                    .rage_clicks += 1;
            }
            if let Some(selector) = text(d, "selector") {
                self.elements
                    .entry((hk.clone(), selector))
                    .or_default()
                    .rage_clicks += 1;
            }
            self.buckets.entry(hk).or_insert(bucket);
        }
    }

    /// The upserts of every rollup, per collection, in the form of the
    /// `update` command's `updates` array.
    pub(crate) fn upserts(&self) -> Vec<(&'static str, Vec<Document>)> {
        let upsert =
            |id: &str, update: Document| doc! { "q": { "_id": id }, "u": update, "upsert": true };
        let sessions = self
            .sessions
            .iter()
            .map(|(sid, d)| {
                let mut min = Document::new();
                let mut max = Document::new();
                if d.events > 0 {
                    min.insert("start", d.start);
                    max.insert("end", d.end);
                }
                if let Some((ts, seq, page, referrer)) = &d.entry {
                    let referrer = referrer.clone().map_or(Bson::Null, Bson::String);
                    min.insert(
                        "entry",
                        vec![(*ts).into(), (*seq).into(), page.into(), referrer],
                    );
                }
                if let Some((ts, seq, page)) = &d.exit {
                    max.insert("exit", vec![Bson::from(*ts), (*seq).into(), page.into()]);
                }
                let mut update = doc! {
                    "$setOnInsert": {
                        "site": &d.site,
                        "session": &d.session,
                        "visitor": &d.visitor,
                        "device": d.device,
                        "browser": &d.browser,
                        "browser_key": d.browser.to_ascii_lowercase(),
                        "os": &d.os,
                    },
                    "$inc": {
                        "events": d.events,
                        "page_views": d.page_views,
                        "clicks": d.clicks,
                        "rage_clicks": d.rage_clicks,
                    },
                };
                if !min.is_empty() {
                    update.insert("$min", min);
                }
                if !max.is_empty() {
                    update.insert("$max", max);
                }
                upsert(sid, update)
            })
            .collect();
        let pages = self
            .pages
            .iter()
            .map(|(id, p)| {
                upsert(
                    id,
                    doc! {
                        "$setOnInsert": {
                            "site": &p.site,
                            "sid": &p.sid,
                            "pid": key(&[&p.site, &p.page]),
                            "page": &p.page,
                            "visitor": &p.visitor,
                        },
                        "$min": { "first_ts": p.first_ts },
                        "$inc": {
                            "views": p.views,
                            "clicks": p.clicks,
                            "rage_clicks": p.rage_clicks,
                            "scroll_sum": p.scroll_sum,
                            "scroll_count": p.scroll_count,
                        },
                    },
                )
            })
            .collect();
        let bucket_fields = |hk: &str| -> Document {
            let mut fields = doc! { "hk": hk };
            if let Some(b) = self.buckets.get(hk) {
                fields.insert("site", &b.site);
                fields.insert("page", &b.page);
                fields.insert("seg", b.segment);
                fields.insert("day", b.day);
            }
            fields
        };
        let cells = self
            .cells
            .iter()
            .map(|((hk, gx, gy), c)| {
                let mut insert = bucket_fields(hk);
                insert.insert("gx", *gx);
                insert.insert("gy", *gy);
                upsert(
                    &key(&[hk, &gx.to_string(), &gy.to_string()]),
                    doc! {
                        "$setOnInsert": insert,
                        "$inc": { "clicks": c.clicks, "rage_clicks": c.rage_clicks },
                    },
                )
            })
            .collect();
        let extents = self
            .extents
            .iter()
            .map(|((hk, pw), e)| {
                let mut insert = bucket_fields(hk);
                insert.insert("pw", *pw);
                let mut max = doc! { "max_y": e.max_y };
                if let Some(ph) = e.max_ph {
                    max.insert("max_ph", ph);
                }
                upsert(
                    &key(&[hk, &pw.to_string()]),
                    doc! {
                        "$setOnInsert": insert,
                        "$inc": { "clicks": e.clicks },
                        "$max": max,
                    },
                )
            })
            .collect();
        let elements = self
            .elements
            .iter()
            .map(|((hk, selector), e)| {
                let mut insert = bucket_fields(hk);
                insert.insert("selector", selector);
                let mut update = doc! {
                    "$setOnInsert": insert,
                    "$inc": { "clicks": e.clicks, "rage_clicks": e.rage_clicks },
                };
                if let Some(label) = &e.label {
                    update.insert("$max", doc! { "label": label });
                }
                upsert(&key(&[hk, selector]), update)
            })
            .collect();
        vec![
            (SESSIONS, sessions),
            (PAGES, pages),
            (HEAT_CELLS, cells),
            (HEAT_EXTENTS, extents),
            (HEAT_ELEMENTS, elements),
        ]
    }
}
