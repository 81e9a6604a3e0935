//! The heatmap's grouped queries on MongoDB ([`HeatSource`]): each source
//! is grouped by the server — by fine cell, by page width, by selector — and
//! the driver ([`crate::store::core::heatmap`]) assembles the answer.

use super::conditions::{pattern_regex, time_range};
use super::documents::{count, fields as f, int, text};
use super::reader::{aggregate, joined_session_stages};
use super::schema::{
    cell_group, cell_of_group, EVENTS, HEAT_ANCHORS, HEAT_CELLS, HEAT_ELEMENTS, HEAT_EXTENTS,
};
use super::Connection;
use crate::event::EventKind;
use crate::store::core::heatmap::{
    AnchorRow, CellRow, ElementRow, ExtentRow, HeatPart, HeatSource,
};
use crate::store::heat::{segment_code, Anchor, Scale};
use crate::store::query::{HeatmapQuery, WidthSegment};
use crate::store::StoreError;
use mongodb::bson::{doc, Bson, Document};

/// Between the parts of a grouping key joined into one string.
const KEY_SEPARATOR: &str = "\u{1}";

/// A grouping key of a number and a text joined into one string: servers
/// that speak the protocol do not all group by documents.
fn number_and_text(number: impl Into<Bson>, text: impl Into<Bson>) -> Document {
    doc! { "$concat": [{ "$toString": number.into() }, KEY_SEPARATOR, text.into()] }
}

/// The number and text of a group's [`number_and_text`] key.
fn split_key(d: &Document) -> Option<(i64, String)> {
    let (number, rest) = text(d, f::ID)?
        .split_once(KEY_SEPARATOR)
        .map(|(n, t)| (n.parse().ok(), t.to_owned()))?;
    Some((number?, rest))
}

/// One source of clicks.
pub(super) struct Part {
    /// Raw click events (one document per click) rather than rollups.
    pub(super) raw: bool,
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
                Bson::Document(doc! { "$sum": f::path::RAGE }),
            )
        } else {
            (
                Bson::Document(doc! { "$sum": f::path::CLICKS }),
                Bson::Document(doc! { "$sum": f::path::RAGE_CLICKS }),
            )
        }
    }

    /// The selector of anchored clicks, `""` for the others.
    fn anchor_selector(&self) -> Bson {
        let selector = if self.raw {
            // Anchor code 0 is an anchor: compare with a number, not truth.
            Bson::Document(doc! { "$cond": [
                { "$gte": [{ "$ifNull": [f::path::AK, -1_i64] }, 0_i64] },
                f::path::SELECTOR,
                Bson::Null,
            ] })
        } else {
            Bson::String(f::path::ASEL.to_owned())
        };
        Bson::Document(doc! { "$ifNull": [selector, ""] })
    }

    fn with(&self, tail: Vec<Document>) -> Vec<Document> {
        let mut stages = self.stages.clone();
        stages.extend(tail);
        stages
    }
}

/// The stages of one source of `query`'s clicks.
fn source(query: &HeatmapQuery, part: HeatPart) -> Part {
    source_of(query, part, EventKind::Click)
}

/// The stages of one source of `query`'s events of `kind` (raw: those with
/// a heatmap bucket, which the rollups counted).
pub(super) fn source_of(query: &HeatmapQuery, part: HeatPart, kind: EventKind) -> Part {
    let filter = &query.filter;
    let mut common = doc! { f::PAGE: pattern_regex(&query.pages) };
    if let Some(site) = &filter.site {
        common.insert(f::SITE, site);
    }
    if query.segment != WidthSegment::All {
        common.insert(f::SEG, segment_code(query.segment));
    }
    match part {
        HeatPart::Rollups { first, end } => {
            let mut day = Document::new();
            if first != i64::MIN {
                day.insert("$gte", first);
            }
            if let Some(end) = end {
                day.insert("$lt", end);
            }
            if !day.is_empty() {
                common.insert(f::DAY, day);
            }
            Part {
                raw: false,
                stages: vec![doc! { "$match": common }],
            }
        }
        HeatPart::Raw { outside, joined } => {
            let mut raw = common;
            raw.insert(f::KIND, kind.code());
            // Only events that can be placed carry a bucket.
            raw.insert(f::HK, doc! { "$exists": true });
            if let Some(ts) = time_range(filter.range) {
                raw.insert(f::TS, ts);
            }
            let matched = match outside {
                Some((first, Some(end))) => doc! { "$and": [raw, { "$or": [
                    { f::TS: { "$lt": first } },
                    { f::TS: { "$gte": end } },
                ] }] },
                Some((first, None)) => doc! { "$and": [raw, { f::TS: { "$lt": first } }] },
                None => raw,
            };
            let mut stages = vec![doc! { "$match": matched }];
            if joined {
                stages.extend(joined_session_stages(filter));
            }
            Part { raw: true, stages }
        }
    }
}

/// The grouped queries of the heatmap driver, run on the connection.
pub(super) struct MongoHeat<'a> {
    pub(super) conn: &'a Connection,
}

impl MongoHeat<'_> {
    pub(super) fn grouped(
        &self,
        part: &Part,
        rollup: &'static str,
        tail: Vec<Document>,
    ) -> Result<Vec<Document>, StoreError> {
        let db = self.conn.db().clone();
        let (collection, stages) = (part.collection(rollup), part.with(tail));
        self.conn
            .run(async move { aggregate(&db, collection, stages).await })
    }
}

impl HeatSource for MongoHeat<'_> {
    fn extents(&self, query: &HeatmapQuery, part: HeatPart) -> Result<Vec<ExtentRow>, StoreError> {
        let part = source(query, part);
        let (clicks, _) = part.sums();
        let (ph, y) = if part.raw {
            (f::path::PH, f::path::Y)
        } else {
            (f::path::MAX_PH, f::path::MAX_Y)
        };
        let rows = self.grouped(
            &part,
            HEAT_EXTENTS,
            vec![doc! { "$group": {
                f::ID: f::path::PW,
                f::CLICKS: clicks,
                f::PH: { "$max": ph },
                f::Y: { "$max": y },
            } }],
        )?;
        Ok(rows
            .iter()
            .filter_map(|d| {
                Some(ExtentRow {
                    width: int(d, f::ID)?,
                    clicks: count(d, f::CLICKS),
                    max_ph: int(d, f::PH),
                    max_y: int(d, f::Y),
                })
            })
            .collect())
    }

    fn cells(
        &self,
        query: &HeatmapQuery,
        part: HeatPart,
        scale: &Scale,
    ) -> Result<Vec<CellRow>, StoreError> {
        let part = source(query, part);
        let (clicks, rage) = part.sums();
        // Fine cells grouped by the server under one number, scaled here.
        let rows = self.grouped(
            &part,
            HEAT_CELLS,
            vec![doc! { "$group": {
                f::ID: number_and_text(cell_group(), part.anchor_selector()),
                f::CLICKS: clicks,
                f::RAGE: rage,
            } }],
        )?;
        Ok(rows
            .iter()
            .filter_map(|d| {
                let (cell, selector) = split_key(d)?;
                let (gx, gy) = cell_of_group(cell);
                let (column, row) = scale.cell(gx, gy);
                Some(CellRow {
                    selector: (!selector.is_empty()).then_some(selector),
                    column,
                    row,
                    clicks: count(d, f::CLICKS),
                    rage_clicks: count(d, f::RAGE),
                })
            })
            .collect())
    }

    fn elements(
        &self,
        query: &HeatmapQuery,
        part: HeatPart,
    ) -> Result<Vec<ElementRow>, StoreError> {
        let part = source(query, part);
        let (clicks, rage) = part.sums();
        let rows = self.grouped(
            &part,
            HEAT_ELEMENTS,
            vec![
                doc! { "$match": { f::SELECTOR: { "$exists": true } } },
                doc! { "$group": {
                    f::ID: f::path::SELECTOR,
                    f::CLICKS: clicks,
                    f::RAGE: rage,
                    f::LABEL: { "$max": f::path::LABEL },
                } },
            ],
        )?;
        Ok(rows
            .iter()
            .filter_map(|d| {
                Some(ElementRow {
                    selector: text(d, f::ID)?,
                    label: text(d, f::LABEL),
                    clicks: count(d, f::CLICKS),
                    rage_clicks: count(d, f::RAGE),
                })
            })
            .collect())
    }

    fn anchors(
        &self,
        query: &HeatmapQuery,
        part: HeatPart,
        selectors: &[String],
    ) -> Result<Vec<AnchorRow>, StoreError> {
        let part = source(query, part);
        let (clicks, rage) = part.sums();
        let rows = self.grouped(
            &part,
            HEAT_ANCHORS,
            vec![
                doc! { "$match": {
                    f::AK: { "$exists": true },
                    f::SELECTOR: { "$in": selectors },
                } },
                doc! { "$group": {
                    f::ID: number_and_text(f::path::AK, f::path::SELECTOR),
                    f::CLICKS: clicks,
                    f::RAGE: rage,
                } },
            ],
        )?;
        Ok(rows
            .iter()
            .filter_map(|d| {
                let (code, selector) = split_key(d)?;
                Some(AnchorRow {
                    selector,
                    anchor: Anchor::from_code(code)?,
                    clicks: count(d, f::CLICKS),
                    rage_clicks: count(d, f::RAGE),
                })
            })
            .collect())
    }
}
