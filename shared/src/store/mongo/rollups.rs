//! A commit's fold ([`crate::store::core::fold`]) as MongoDB upserts: one
//! bulk upsert per collection.
//!
//! Sessions and pages take counts by `$inc`, start and first view by `$min`,
//! end by `$max`; entry and exit pages are `$min` / `$max` of the arrays
//! `[ts, seq, page, referrer]` and `[ts, seq, page]`, which BSON compares
//! element by element: the fold's `(ts, order)` rule, with `seq` as the
//! order, kept across commits in whatever order the events arrive. Heatmap
//! rollups take counts by `$inc` and the tallest page, deepest click and
//! greatest label by `$max`.

use super::codec::{boolean, float, int, small, text};
use super::schema::{bucket_key, key, HEAT_CELLS, HEAT_ELEMENTS, HEAT_EXTENTS, PAGES, SESSIONS};
use crate::event::{EventKind, Size};
use crate::store::core::fold::{Fact, Fold, Keys};
use crate::store::core::heat_deltas::Bucket;
use crate::store::core::rage::Candidate;
use mongodb::bson::{doc, Bson, Document};
use std::collections::HashMap;

/// Sessions by their key (`sid`), pages by site and page key, selectors by
/// their text.
pub(crate) struct MongoKeys;

/// A page of a site.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SitePage {
    site: String,
    page: String,
}

impl Keys for MongoKeys {
    type Session = String;
    type Page = SitePage;
    type Selector = String;
}

/// What a session's document is created with.
struct SessionInfo {
    site: String,
    session: String,
    visitor: String,
    device: i64,
    browser: String,
    os: String,
}

/// Every rollup change of one commit.
#[derive(Default)]
pub(crate) struct Rollups {
    pub(crate) fold: Fold<MongoKeys>,
    sessions: HashMap<String, SessionInfo>,
}

/// An `events` document as the fold sees it; `None` for a document without
/// the fields every event has.
pub(crate) fn fact_of(d: &Document) -> Option<Fact<'_, MongoKeys>> {
    let page_size = match (int(d, "pw"), int(d, "ph")) {
        (Some(w), Some(h)) => Some(Size {
            width: u32::try_from(w).ok()?,
            height: u32::try_from(h).ok()?,
        }),
        _ => None,
    };
    Some(Fact {
        session: text(d, "sid")?,
        page: SitePage {
            site: text(d, "site")?,
            page: text(d, "page")?,
        },
        order: int(d, "seq")?,
        kind: int(d, "kind").and_then(EventKind::from_code)?,
        ts: int(d, "ts")?,
        url: d.get_str("url").unwrap_or_default(),
        referrer: d.get_str("referrer").ok(),
        viewport_width: int(d, "vw").and_then(|v| u32::try_from(v).ok()),
        page_size,
        x: small(d, "x"),
        y: small(d, "y"),
        selector: text(d, "selector"),
        label: d.get_str("label").ok(),
        depth: float(d, "depth"),
        rage: boolean(d, "rage"),
    })
}

/// A stored click to judge; flagged by its `_id`.
pub(crate) fn candidate_of(d: &Document) -> Option<Candidate<'_, MongoKeys, Bson>> {
    Some(Candidate {
        row: d.get("_id")?.clone(),
        flagged: boolean(d, "rage"),
        fact: fact_of(d)?,
    })
}

impl Rollups {
    /// Counts a newly stored event (an `events` document). Documents missing
    /// the fields every event has are skipped.
    pub(crate) fn add_event(&mut self, d: &Document) {
        let Some(fact) = fact_of(d) else {
            return;
        };
        if !self.sessions.contains_key(&fact.session) {
            let info = SessionInfo {
                site: fact.page.site.clone(),
                session: text(d, "session").unwrap_or_default(),
                visitor: text(d, "visitor").unwrap_or_default(),
                device: int(d, "device").unwrap_or(-1),
                browser: text(d, "browser").unwrap_or_default(),
                os: text(d, "os").unwrap_or_default(),
            };
            self.sessions.insert(fact.session.clone(), info);
        }
        self.fold.add(&fact);
    }

    /// The upserts of every rollup, per collection, in the form of the
    /// `update` command's `updates` array.
    pub(crate) fn upserts(&self) -> Vec<(&'static str, Vec<Document>)> {
        vec![
            (SESSIONS, self.session_upserts()),
            (PAGES, self.page_upserts()),
            (HEAT_CELLS, self.cell_upserts()),
            (HEAT_EXTENTS, self.extent_upserts()),
            (HEAT_ELEMENTS, self.element_upserts()),
        ]
    }

    fn session_upserts(&self) -> Vec<Document> {
        self.fold
            .sessions
            .iter()
            .filter_map(|(sid, d)| {
                let info = self.sessions.get(sid)?;
                let mut min = Document::new();
                let mut max = Document::new();
                if d.events > 0 {
                    min.insert("start", d.start);
                    max.insert("end", d.end);
                }
                if let Some(entry) = &d.entry {
                    let referrer = entry.referrer.clone().map_or(Bson::Null, Bson::String);
                    let page = Bson::from(&entry.page.page);
                    min.insert(
                        "entry",
                        vec![entry.ts.into(), entry.order.into(), page, referrer],
                    );
                }
                if let Some(exit) = &d.exit {
                    let page = Bson::from(&exit.page.page);
                    max.insert("exit", vec![Bson::from(exit.ts), exit.order.into(), page]);
                }
                let mut update = doc! {
                    "$setOnInsert": {
                        "site": &info.site,
                        "session": &info.session,
                        "visitor": &info.visitor,
                        "device": info.device,
                        "browser": &info.browser,
                        "browser_key": info.browser.to_ascii_lowercase(),
                        "os": &info.os,
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
                Some(upsert(sid, update))
            })
            .collect()
    }

    fn page_upserts(&self) -> Vec<Document> {
        self.fold
            .pages
            .iter()
            .map(|((sid, p), d)| {
                let visitor = self.sessions.get(sid).map(|s| s.visitor.as_str());
                upsert(
                    &key(&[sid, &p.page]),
                    doc! {
                        "$setOnInsert": {
                            "site": &p.site,
                            "sid": sid,
                            "pid": key(&[&p.site, &p.page]),
                            "page": &p.page,
                            "visitor": visitor.unwrap_or_default(),
                        },
                        "$min": { "first_ts": d.first_ts },
                        "$inc": {
                            "views": d.views,
                            "clicks": d.clicks,
                            "rage_clicks": d.rage_clicks,
                            "scroll_sum": d.scroll_sum,
                            "scroll_count": d.scroll_count,
                        },
                    },
                )
            })
            .collect()
    }

    fn cell_upserts(&self) -> Vec<Document> {
        self.fold
            .heat
            .cells
            .iter()
            .map(|((bucket, gx, gy), c)| {
                let (hk, mut insert) = bucket_fields(bucket);
                insert.insert("gx", *gx);
                insert.insert("gy", *gy);
                upsert(
                    &key(&[&hk, &gx.to_string(), &gy.to_string()]),
                    doc! {
                        "$setOnInsert": insert,
                        "$inc": { "clicks": c.clicks, "rage_clicks": c.rage_clicks },
                    },
                )
            })
            .collect()
    }

    fn extent_upserts(&self) -> Vec<Document> {
        self.fold
            .heat
            .extents
            .iter()
            .map(|((bucket, pw), e)| {
                let (hk, mut insert) = bucket_fields(bucket);
                insert.insert("pw", *pw);
                let mut max = doc! { "max_y": e.max_y };
                if let Some(ph) = e.max_ph {
                    max.insert("max_ph", ph);
                }
                upsert(
                    &key(&[&hk, &pw.to_string()]),
                    doc! {
                        "$setOnInsert": insert,
                        "$inc": { "clicks": e.clicks },
                        "$max": max,
                    },
                )
            })
            .collect()
    }

    fn element_upserts(&self) -> Vec<Document> {
        self.fold
            .heat
            .elements
            .iter()
            .map(|((bucket, selector), e)| {
                let (hk, mut insert) = bucket_fields(bucket);
                insert.insert("selector", selector);
                let mut update = doc! {
                    "$setOnInsert": insert,
                    "$inc": { "clicks": e.clicks, "rage_clicks": e.rage_clicks },
                };
                if let Some(label) = &e.label {
                    update.insert("$max", doc! { "label": label });
                }
                upsert(&key(&[&hk, selector]), update)
            })
            .collect()
    }
}

fn upsert(id: &str, update: Document) -> Document {
    doc! { "q": { "_id": id }, "u": update, "upsert": true }
}

/// A heatmap bucket's key and the fields its rollup documents carry.
fn bucket_fields((page, segment, day): &Bucket<SitePage>) -> (String, Document) {
    let hk = bucket_key(&page.site, &page.page, *segment, *day);
    let fields = doc! {
        "hk": &hk,
        "site": &page.site,
        "page": &page.page,
        "seg": *segment,
        "day": *day,
    };
    (hk, fields)
}
