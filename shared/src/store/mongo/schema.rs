//! Collections, their indexes, and the composite string keys used as `_id`.
//!
//! | collection | one document per | `_id` |
//! |---|---|---|
//! | `events` | stored event | site, event id |
//! | `sessions` | session (rollup) | site, session id |
//! | `pages` | session × page (rollup) | site, session id, page key |
//! | `heat_cells` | page × width segment × day × fine cell (× selector of anchored clicks) | bucket, gx, gy (, selector) |
//! | `heat_extents` | page × width segment × day × page width | bucket, width |
//! | `heat_elements` | page × width segment × day × selector | bucket, selector |
//! | `heat_anchors` | page × width segment × day × anchor × selector | bucket, anchor, selector |
//! | `heat_reach` | page × width segment × day × band of scroll reach | bucket, band |
//! | `layouts` | site × page × width segment × layout version | site, segment, version, page |
//! | `meta` | counter (`seq`: storage order, `commits`: change token) | name |
//!
//! Keys are strings with every part but the last prefixed by its length
//! (`4:shopa1-1`), so no choice of characters in a part can make two keys meet.

use super::documents::fields as f;
use super::Connection;
use crate::progress::Progress;
use crate::store::StoreError;
use mongodb::bson::{doc, Document};
use mongodb::options::IndexOptions;
use mongodb::IndexModel;

pub(crate) const EVENTS: &str = "events";
pub(crate) const SESSIONS: &str = "sessions";
pub(crate) const PAGES: &str = "pages";
pub(crate) const HEAT_CELLS: &str = "heat_cells";
pub(crate) const HEAT_EXTENTS: &str = "heat_extents";
pub(crate) const HEAT_ELEMENTS: &str = "heat_elements";
pub(crate) const HEAT_ANCHORS: &str = "heat_anchors";
pub(crate) const HEAT_REACH: &str = "heat_reach";
pub(crate) const LAYOUTS: &str = "layouts";
pub(crate) const META: &str = "meta";

/// The counter that numbers stored events in storage order.
pub(crate) const SEQ_COUNTER: &str = "seq";
/// The counter bumped after every commit and deletion: the change token.
pub(crate) const COMMIT_COUNTER: &str = "commits";

/// Name of the TTL index on `events.at`.
pub(crate) const TTL_INDEX: &str = "events_ttl";

/// A composite key: each part but the last prefixed by `len:`.
pub(crate) fn key(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len() + 4).sum());
    if let Some((last, head)) = parts.split_last() {
        for part in head {
            out.push_str(&part.len().to_string());
            out.push(':');
            out.push_str(part);
        }
        out.push_str(last);
    }
    out
}

/// The key of a session.
pub(crate) fn session_key(site: &str, session: &str) -> String {
    key(&[site, session])
}

/// The key of a heatmap bucket: one page, width segment and day.
pub(crate) fn bucket_key(site: &str, page: &str, segment: i64, day: i64) -> String {
    key(&[site, &segment.to_string(), &day.to_string(), page])
}

/// Fine cells are grouped by the server under one number, `gy × 256 + gx`
/// (`gx` < [`crate::limits::HEAT_GRID_X`] ≤ 256): this expression…
pub(crate) fn cell_group() -> Document {
    doc! { "$add": [{ "$multiply": [f::path::GY, CELL_GROUP_BASE] }, f::path::GX] }
}

/// …and its inverse, `(gx, gy)`.
pub(crate) fn cell_of_group(group: i64) -> (i64, i64) {
    (
        group.rem_euclid(CELL_GROUP_BASE),
        group.div_euclid(CELL_GROUP_BASE),
    )
}

const CELL_GROUP_BASE: i64 = 256;

fn index(keys: Document, name: &str) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(IndexOptions::builder().name(name.to_owned()).build())
        .build()
}

fn sparse_index(keys: Document, name: &str) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(
            IndexOptions::builder()
                .name(name.to_owned())
                .sparse(true)
                .build(),
        )
        .build()
}

/// Creates every index the queries use (a no-op when they exist), reporting
/// one step per collection indexed. Building an index over a large existing
/// collection is the long part of setting a database up.
pub(crate) fn create_indexes(conn: &Connection, progress: &dyn Progress) -> Result<(), StoreError> {
    let db = conn.db();
    let plan: [(&str, Vec<IndexModel>); 9] = [
        (
            EVENTS,
            vec![
                index(doc! { f::SID: 1, f::TS: 1 }, "events_by_session"),
                index(doc! { f::TS: 1 }, "events_by_time"),
                index(doc! { f::SEQ: 1 }, "events_by_seq"),
                sparse_index(doc! { f::HK: 1, f::TS: 1 }, "clicks_by_bucket"),
                sparse_index(doc! { f::PENDING: 1 }, "events_pending"),
            ],
        ),
        (
            SESSIONS,
            vec![
                index(doc! { f::START: 1 }, "sessions_by_start"),
                index(doc! { f::SITE: 1, f::VISITOR: 1 }, "sessions_by_visitor"),
                index(doc! { f::END: 1 }, "sessions_by_end"),
                index(doc! { f::SESSION: 1, f::SITE: 1 }, "sessions_by_id"),
            ],
        ),
        (PAGES, vec![index(doc! { f::SID: 1 }, "pages_by_session")]),
        (
            HEAT_CELLS,
            vec![
                index(doc! { f::PAGE: 1, f::DAY: 1 }, "cells_by_page"),
                index(doc! { f::HK: 1 }, &format!("{HEAT_CELLS}_by_bucket")),
            ],
        ),
        (
            HEAT_EXTENTS,
            vec![
                index(doc! { f::PAGE: 1, f::DAY: 1 }, "extents_by_page"),
                index(doc! { f::HK: 1 }, &format!("{HEAT_EXTENTS}_by_bucket")),
            ],
        ),
        (
            HEAT_ELEMENTS,
            vec![
                index(doc! { f::PAGE: 1, f::DAY: 1 }, "elements_by_page"),
                index(doc! { f::HK: 1 }, &format!("{HEAT_ELEMENTS}_by_bucket")),
            ],
        ),
        (
            HEAT_ANCHORS,
            vec![
                index(doc! { f::PAGE: 1, f::DAY: 1 }, "anchors_by_page"),
                index(doc! { f::HK: 1 }, &format!("{HEAT_ANCHORS}_by_bucket")),
            ],
        ),
        (
            HEAT_REACH,
            vec![
                index(doc! { f::PAGE: 1, f::DAY: 1 }, "reach_by_page"),
                index(doc! { f::HK: 1 }, &format!("{HEAT_REACH}_by_bucket")),
            ],
        ),
        (
            LAYOUTS,
            vec![
                index(doc! { f::PAGE: 1, f::SEG: 1 }, "layouts_by_page"),
                index(doc! { f::CAPTURED_AT: 1 }, "layouts_by_time"),
            ],
        ),
    ];
    // All at once: with the cluster gone, opening fails after one server
    // selection timeout rather than one per collection.
    let [a, b, c, d, e, f, g, h, i] = plan.map(|(collection, models)| {
        let collection = db.collection::<Document>(collection);
        async move {
            collection.create_indexes(models).await?;
            progress.advance(1);
            Ok::<_, mongodb::error::Error>(())
        }
    });
    progress.begin("creating the MongoDB indexes", Some(9));
    let created = conn.run(async {
        tokio::try_join!(a, b, c, d, e, f, g, h, i)?;
        Ok(())
    });
    progress.end();
    created
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_never_meet() {
        assert_eq!(key(&["shop", "a1"]), "4:shopa1");
        assert_ne!(key(&["ab", "c"]), key(&["a", "bc"]));
        assert_ne!(key(&["a:b", "c"]), key(&["a", "b:c"]));
        assert_eq!(key(&["only"]), "only");
        assert_ne!(bucket_key("s", "p", 0, 10), bucket_key("s", "p", 1, 0));
    }
}
