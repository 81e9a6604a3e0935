//! The heatmap query. Without session conditions, the days wholly inside the
//! range come from the heatmap rollups and only the partial days at the
//! range's edges from raw clicks; with session conditions, every click comes
//! from the events joined to their sessions. Each part is grouped by the
//! server — by fine cell, by page width, by selector — and the groups are
//! scaled to the asked grid here, by the rules of [`crate::store::heat`].

use super::codec::{count, int, text};
use super::conditions::pattern_regex;
use super::reader::{aggregate, joined_session_stages};
use super::schema::{EVENTS, HEAT_CELLS, HEAT_ELEMENTS, HEAT_EXTENTS};
use crate::event::EventKind;
use crate::store::heat::{empty_heatmap, segment_code, whole_days, Bins, ElementSum, Extents};
use crate::store::query::{Heatmap, HeatmapQuery, WidthSegment};
use crate::store::StoreError;
use mongodb::bson::{doc, Bson, Document};
use mongodb::Database;
use std::collections::HashMap;

/// One source of clicks.
struct Part {
    /// Raw click events (one document per click) rather than rollups.
    raw: bool,
    /// Stages selecting the source's documents.
    stages: Vec<Document>,
}

impl Part {
    fn collection(&self, rollup: &'static str) -> &'static str {
        if self.raw {
            EVENTS
        } else {
            rollup
        }
    }

    /// Sum of clicks and of rage clicks of the source's documents.
    fn sums(&self) -> (Bson, Bson) {
        if self.raw {
            (
                Bson::Document(doc! { "$sum": 1 }),
                Bson::Document(doc! { "$sum": "$rage" }),
            )
        } else {
            (
                Bson::Document(doc! { "$sum": "$clicks" }),
                Bson::Document(doc! { "$sum": "$rage_clicks" }),
            )
        }
    }

    fn with(&self, tail: Vec<Document>) -> Vec<Document> {
        let mut stages = self.stages.clone();
        stages.extend(tail);
        stages
    }
}

/// The parts of `query`: rollups over whole days (when there is no session
/// condition and the range holds a whole day) and raw clicks for the rest.
fn parts(query: &HeatmapQuery) -> Vec<Part> {
    let filter = &query.filter;
    let (from, to) = (filter.range.from, filter.range.to);
    let mut common = doc! { "page": pattern_regex(&query.pages) };
    if let Some(site) = &filter.site {
        common.insert("site", site);
    }
    if query.segment != WidthSegment::All {
        common.insert("seg", segment_code(query.segment));
    }

    let mut raw = common.clone();
    raw.insert("kind", EventKind::Click.code());
    // Only clicks that can be placed carry a bucket.
    raw.insert("hk", doc! { "$exists": true });
    let mut ts = Document::new();
    if let Some(from) = from {
        ts.insert("$gte", from);
    }
    if let Some(to) = to {
        ts.insert("$lt", to);
    }
    if !ts.is_empty() {
        raw.insert("ts", ts);
    }

    let mut parts = Vec::with_capacity(2);
    let mut raw_stages = Vec::new();
    if filter.has_session_conditions() {
        raw_stages.push(doc! { "$match": raw });
        raw_stages.extend(joined_session_stages(filter));
    } else {
        let (first, end) = whole_days(from, to);
        if end.is_none_or(|end| first < end) {
            let mut rolled = common;
            let mut day = Document::new();
            if first != i64::MIN {
                day.insert("$gte", first);
            }
            if let Some(end) = end {
                day.insert("$lt", end);
            }
            if !day.is_empty() {
                rolled.insert("day", day);
            }
            parts.push(Part {
                raw: false,
                stages: vec![doc! { "$match": rolled }],
            });
            let outside = match end {
                Some(end) => doc! { "$or": [
                    { "ts": { "$lt": first } },
                    { "ts": { "$gte": end } },
                ] },
                None => doc! { "ts": { "$lt": first } },
            };
            raw_stages.push(doc! { "$match": { "$and": [raw, outside] } });
        } else {
            raw_stages.push(doc! { "$match": raw });
        }
    }
    parts.push(Part {
        raw: true,
        stages: raw_stages,
    });
    parts
}

pub(super) async fn heatmap(db: &Database, query: &HeatmapQuery) -> Result<Heatmap, StoreError> {
    let columns = query.columns.clamp(1, 10_000);
    let parts = parts(query);

    // Page widths and heights, by width.
    let mut extents = Extents::default();
    for part in &parts {
        let (clicks, _) = part.sums();
        let (ph, y) = if part.raw {
            ("$ph", "$y")
        } else {
            ("$max_ph", "$max_y")
        };
        let rows = aggregate(
            db,
            part.collection(HEAT_EXTENTS),
            part.with(vec![doc! { "$group": {
                "_id": "$pw",
                "clicks": clicks,
                "ph": { "$max": ph },
                "y": { "$max": y },
            } }]),
        )
        .await?;
        for d in rows {
            if let Some(width) = int(&d, "_id") {
                extents.add(width, count(&d, "clicks"), int(&d, "ph"), int(&d, "y"));
            }
        }
    }
    let Some((total, scale)) = extents.scale(columns) else {
        return Ok(empty_heatmap(columns));
    };

    // Fine cells, grouped by the server under one number (gy × 256 + gx;
    // gx < 200), scaled here.
    let mut bins = Bins::new();
    for part in &parts {
        let (clicks, rage) = part.sums();
        let rows = aggregate(
            db,
            part.collection(HEAT_CELLS),
            part.with(vec![doc! { "$group": {
                "_id": { "$add": [{ "$multiply": ["$gy", 256] }, "$gx"] },
                "clicks": clicks,
                "rage": rage,
            } }]),
        )
        .await?;
        for d in rows {
            let Some(cell) = int(&d, "_id") else {
                continue;
            };
            let (column, row) = scale.cell(cell.rem_euclid(256), cell.div_euclid(256));
            let bin = bins.entry((row, column)).or_default();
            bin.0 += count(&d, "clicks");
            bin.1 += count(&d, "rage");
        }
    }

    // Clicked elements.
    let mut elements: HashMap<String, ElementSum> = HashMap::new();
    for part in &parts {
        let (clicks, rage) = part.sums();
        let rows = aggregate(
            db,
            part.collection(HEAT_ELEMENTS),
            part.with(vec![
                doc! { "$match": { "selector": { "$exists": true } } },
                doc! { "$group": {
                    "_id": "$selector",
                    "clicks": clicks,
                    "rage": rage,
                    "label": { "$max": "$label" },
                } },
            ]),
        )
        .await?;
        for d in rows {
            let Some(selector) = text(&d, "_id") else {
                continue;
            };
            let e = elements.entry(selector).or_default();
            e.label = e.label.take().max(text(&d, "label"));
            e.clicks += count(&d, "clicks");
            e.rage_clicks += count(&d, "rage");
        }
    }
    Ok(scale.heatmap(total, bins, elements))
}
