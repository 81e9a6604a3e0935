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

use super::documents::{fields as f, EventDoc};
use super::schema::{
    bucket_key, key, HEAT_ANCHORS, HEAT_CELLS, HEAT_ELEMENTS, HEAT_EXTENTS, HEAT_REACH, PAGES,
    SESSIONS,
};
use super::steps::element;
use crate::store::core::fold::{Fold, Keys};
use crate::store::core::heat_deltas::Bucket;
use crate::store::core::rage::Candidate;
use crate::store::core::steps::{Step, StepLabel};
use mongodb::bson::{doc, Bson, Document};
use std::collections::HashMap;

/// Sessions by their key (`sid`), pages by site and page key, selectors by
/// their text.
pub(crate) struct MongoKeys;

/// A page of a site.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SitePage {
    pub(crate) site: String,
    pub(crate) page: String,
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

/// A stored click to judge; flagged by its `_id`.
pub(crate) fn candidate_of(d: &EventDoc) -> Option<Candidate<'_, MongoKeys, Bson>> {
    Some(Candidate {
        row: Bson::String(d.key.clone()),
        flagged: d.rage != 0,
        fact: d.fact()?,
    })
}

/// A heatmap rollup document: its key, the fields it is created with, its
/// counts and its maxima.
pub(crate) struct HeatDoc {
    id: String,
    fixed: Document,
    counts: Document,
    maxima: Document,
}

impl HeatDoc {
    /// As an upsert adding a commit's clicks.
    fn upsert(self) -> Document {
        let mut update = doc! { "$setOnInsert": self.fixed, "$inc": self.counts };
        if !self.maxima.is_empty() {
            update.insert("$max", self.maxima);
        }
        upsert(&self.id, update)
    }

    /// As the whole document, recomputed from every stored click.
    pub(crate) fn replacement(self) -> Document {
        let mut whole = doc! { f::ID: self.id };
        whole.extend(self.fixed);
        whole.extend(self.counts);
        whole.extend(self.maxima);
        whole
    }
}

impl Rollups {
    /// Counts a newly stored event; one of an unknown kind is skipped.
    pub(crate) fn add_event(&mut self, d: &EventDoc) {
        let Some(fact) = d.fact() else {
            return;
        };
        self.sessions
            .entry(d.sid.clone())
            .or_insert_with(|| SessionInfo {
                site: d.site.clone(),
                session: d.session.clone(),
                visitor: d.visitor.clone(),
                device: d.device,
                browser: d.browser.clone(),
                os: d.os.clone(),
            });
        self.fold.add(&fact);
    }

    /// The sessions whose steps grew.
    pub(crate) fn stepped_sessions(&self) -> Vec<String> {
        let grew = self
            .fold
            .sessions
            .iter()
            .filter(|(_, d)| !d.steps.is_empty());
        grew.map(|(sid, _)| sid.clone()).collect()
    }

    /// The upserts of every rollup, per collection, in the form of the
    /// `update` command's `updates` array.
    pub(crate) fn upserts(&self) -> Vec<(&'static str, Vec<Document>)> {
        let mut all = vec![
            (SESSIONS, self.session_upserts()),
            (PAGES, self.page_upserts()),
        ];
        for (collection, docs) in self.heat_docs() {
            all.push((collection, docs.into_iter().map(HeatDoc::upsert).collect()));
        }
        all
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
                    min.insert(f::START, d.start);
                    max.insert(f::END, d.end);
                }
                if let Some(entry) = &d.entry {
                    let referrer = entry.referrer.clone().map_or(Bson::Null, Bson::String);
                    let page = Bson::from(&entry.page.page);
                    min.insert(
                        f::ENTRY,
                        vec![entry.ts.into(), entry.order.into(), page, referrer],
                    );
                }
                if let Some(exit) = &d.exit {
                    let page = Bson::from(&exit.page.page);
                    max.insert(f::EXIT, vec![Bson::from(exit.ts), exit.order.into(), page]);
                }
                let mut update = doc! {
                    "$setOnInsert": {
                        f::SITE: &info.site,
                        f::SESSION: &info.session,
                        f::VISITOR: &info.visitor,
                        f::DEVICE: info.device,
                        f::BROWSER: &info.browser,
                        f::BROWSER_KEY: info.browser.to_ascii_lowercase(),
                        f::OS: &info.os,
                    },
                    "$inc": {
                        f::EVENTS: d.events,
                        f::PAGE_VIEWS: d.page_views,
                        f::CLICKS: d.clicks,
                        f::RAGE_CLICKS: d.rage_clicks,
                    },
                };
                if let Some(at) = d.last_rage {
                    max.insert(f::LAST_RAGE, at);
                }
                if !min.is_empty() {
                    update.insert("$min", min);
                }
                if !max.is_empty() {
                    update.insert("$max", max);
                }
                if !d.steps.is_empty() {
                    let steps: Vec<Bson> = d
                        .steps
                        .iter()
                        .map(|s| {
                            element(&Step {
                                ts: s.ts,
                                order: s.order,
                                label: match &s.label {
                                    StepLabel::Page(p) => StepLabel::Page(p.page.clone()),
                                    StepLabel::Event(name) => StepLabel::Event(name.clone()),
                                },
                            })
                        })
                        .collect();
                    update.insert("$push", doc! { f::STEPS: { "$each": steps } });
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
                            f::SITE: &p.site,
                            f::SID: sid,
                            f::PID: key(&[&p.site, &p.page]),
                            f::PAGE: &p.page,
                            f::VISITOR: visitor.unwrap_or_default(),
                        },
                        "$min": { f::FIRST_TS: d.first_ts },
                        "$inc": {
                            f::VIEWS: d.views,
                            f::CLICKS: d.clicks,
                            f::RAGE_CLICKS: d.rage_clicks,
                            f::SCROLL_SUM: d.scroll_sum,
                            f::SCROLL_COUNT: d.scroll_count,
                        },
                    },
                )
            })
            .collect()
    }

    /// The heatmap rollup documents of the fold, per collection.
    pub(crate) fn heat_docs(&self) -> [(&'static str, Vec<HeatDoc>); 5] {
        let heat = &self.fold.heat;
        let cells = heat.cells.iter().map(|((bucket, selector, gx, gy), c)| {
            let (hk, mut fixed) = bucket_fields(bucket);
            fixed.insert(f::GX, *gx);
            fixed.insert(f::GY, *gy);
            let (gx, gy) = (gx.to_string(), gy.to_string());
            // Cells of clicks not anchored keep the key they always had.
            let id = match selector {
                Some(selector) => {
                    fixed.insert(f::ASEL, selector);
                    key(&[&hk, &gx, &gy, selector])
                }
                None => key(&[&hk, &gx, &gy]),
            };
            HeatDoc {
                id,
                fixed,
                counts: doc! { f::CLICKS: c.clicks, f::RAGE_CLICKS: c.rage_clicks },
                maxima: Document::new(),
            }
        });
        let extents = heat.extents.iter().map(|((bucket, pw), e)| {
            let (hk, mut fixed) = bucket_fields(bucket);
            fixed.insert(f::PW, *pw);
            let mut maxima = doc! { f::MAX_Y: e.max_y };
            if let Some(ph) = e.max_ph {
                maxima.insert(f::MAX_PH, ph);
            }
            HeatDoc {
                id: key(&[&hk, &pw.to_string()]),
                fixed,
                counts: doc! { f::CLICKS: e.clicks },
                maxima,
            }
        });
        let elements = heat.elements.iter().map(|((bucket, selector), e)| {
            let (hk, mut fixed) = bucket_fields(bucket);
            fixed.insert(f::SELECTOR, selector);
            let mut maxima = Document::new();
            if let Some(label) = &e.label {
                maxima.insert(f::LABEL, label);
            }
            HeatDoc {
                id: key(&[&hk, selector]),
                fixed,
                counts: doc! { f::CLICKS: e.clicks, f::RAGE_CLICKS: e.rage_clicks },
                maxima,
            }
        });
        let anchors = heat.anchors.iter().map(|((bucket, selector, anchor), c)| {
            let (hk, mut fixed) = bucket_fields(bucket);
            fixed.insert(f::SELECTOR, selector);
            fixed.insert(f::AK, anchor.code());
            HeatDoc {
                id: key(&[&hk, &anchor.code().to_string(), selector]),
                fixed,
                counts: doc! { f::CLICKS: c.clicks, f::RAGE_CLICKS: c.rage_clicks },
                maxima: Document::new(),
            }
        });
        let reach = heat.reach.iter().filter(|(_, c)| !c.is_zero());
        let reach = reach.map(|((bucket, band), c)| {
            let (hk, mut fixed) = bucket_fields(bucket);
            fixed.insert(f::BAND, *band);
            HeatDoc {
                id: key(&[&hk, &band.to_string()]),
                fixed,
                counts: doc! { f::VIEWS: c.views, f::FOLDS: c.folds },
                maxima: Document::new(),
            }
        });
        [
            (HEAT_CELLS, cells.collect()),
            (HEAT_EXTENTS, extents.collect()),
            (HEAT_ELEMENTS, elements.collect()),
            (HEAT_ANCHORS, anchors.collect()),
            (HEAT_REACH, reach.collect()),
        ]
    }
}

fn upsert(id: &str, update: Document) -> Document {
    doc! { "q": { f::ID: id }, "u": update, "upsert": true }
}

/// A heatmap bucket's key and the fields its rollup documents carry.
fn bucket_fields((page, segment, day): &Bucket<SitePage>) -> (String, Document) {
    let hk = bucket_key(&page.site, &page.page, *segment, *day);
    let fields = doc! {
        f::HK: &hk,
        f::SITE: &page.site,
        f::PAGE: &page.page,
        f::SEG: *segment,
        f::DAY: *day,
    };
    (hk, fields)
}
