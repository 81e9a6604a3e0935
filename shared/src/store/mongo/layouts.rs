//! Layout snapshots in the `layouts` collection: one [`LayoutDoc`] per site ×
//! page × width segment × version, keyed by a composite `_id`.
//!
//! A commit's writes ([`crate::store::core::layouts::commit_writes`]) take
//! two unordered bulk updates: an upsert widening the capture span (`$min`
//! of `first_ts`, `$max` of `captured_at`, the content set on insert), then
//! a `$set` of the content where `captured_at` equals this capture's time,
//! which after the `$max` holds exactly when it is the latest capture (or
//! ties it): the core's repeat rule, without a transaction. Both are
//! idempotent, so a resend after a failure stores nothing twice.

use super::conditions::pattern_regex;
use super::documents::{fields as f, LayoutDoc};
use super::schema::{key, LAYOUTS};
use super::writer::bulk_update;
use crate::store::core::layouts::LayoutWrite;
use crate::store::heat::segment_code;
use crate::store::layout_query::{LayoutQuery, StoredLayout};
use crate::store::query::WidthSegment;
use crate::store::StoreError;
use mongodb::bson::{doc, Document};
use mongodb::Database;

/// The `_id` of a layout version.
fn layout_key(w: &LayoutWrite<'_>) -> String {
    key(&[
        w.site,
        &segment_code(w.segment).to_string(),
        &w.version.to_string(),
        w.page_key,
    ])
}

/// Stores a commit's writes.
pub(super) async fn write(db: &Database, writes: &[LayoutWrite<'_>]) -> Result<(), StoreError> {
    if writes.is_empty() {
        return Ok(());
    }
    let content = |w: &LayoutWrite<'_>| {
        doc! {
            f::VW: i64::from(w.viewport.width),
            f::VH: i64::from(w.viewport.height),
            f::PW: i64::from(w.page.width),
            f::PH: i64::from(w.page.height),
            f::BOXES: &w.boxes,
        }
    };
    let mut upserts = Vec::with_capacity(writes.len());
    let mut latest = Vec::with_capacity(writes.len());
    for w in writes {
        let id = layout_key(w);
        let mut inserted = content(w);
        inserted.extend(doc! {
            f::SITE: w.site,
            f::PAGE: w.page_key,
            f::SEG: segment_code(w.segment),
            f::VERSION: w.version.to_string(),
        });
        upserts.push(doc! {
            "q": { f::ID: &id },
            "u": {
                "$setOnInsert": inserted,
                "$min": { f::FIRST_TS: w.first_captured_at },
                "$max": { f::CAPTURED_AT: w.captured_at },
            },
            "upsert": true,
        });
        latest.push(doc! {
            "q": { f::ID: &id, f::CAPTURED_AT: w.captured_at },
            "u": { "$set": content(w) },
        });
    }
    bulk_update(db, LAYOUTS, &upserts).await?;
    bulk_update(db, LAYOUTS, &latest).await
}

/// The stored versions of the pages `query` matches at its segment.
pub(super) async fn rows(
    db: &Database,
    query: &LayoutQuery,
) -> Result<Vec<StoredLayout>, StoreError> {
    let mut filter = doc! { f::PAGE: pattern_regex(&query.pages) };
    if let Some(site) = &query.site {
        filter.insert(f::SITE, site);
    }
    if query.segment != WidthSegment::All {
        filter.insert(f::SEG, segment_code(query.segment));
    }
    find(db, filter).await
}

/// The versions captured at or after `since_ms`.
pub(super) async fn since(db: &Database, since_ms: i64) -> Result<Vec<StoredLayout>, StoreError> {
    find(db, doc! { f::CAPTURED_AT: { "$gte": since_ms } }).await
}

async fn find(db: &Database, filter: Document) -> Result<Vec<StoredLayout>, StoreError> {
    let mut cursor = db.collection::<LayoutDoc>(LAYOUTS).find(filter).await?;
    let mut rows = Vec::new();
    while cursor.advance().await? {
        rows.push(cursor.deserialize_current()?.stored()?);
    }
    Ok(rows)
}
