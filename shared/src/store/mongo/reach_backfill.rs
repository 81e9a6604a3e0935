//! Scroll reach for the scroll reports stored before it was kept, once per
//! database: each report that reached something gets its heatmap bucket
//! (`hk`, `seg`, `day`, by the rule new reports get it,
//! [`EventDoc::reach_bucket`]), and the buckets it touches are rebuilt from
//! their stored events ([`recompute_buckets`]), which counts their reach.
//! Those reports predate `depth_from`, so each counts as a view from the top,
//! as SQLite's schema 7 back-fill counts them.

use super::documents::{fields as f, EventDoc};
use super::repair::recompute_buckets;
use super::schema::{EVENTS, META};
use super::writer::bulk_update;
use crate::event::EventKind;
use crate::progress::Progress;
use crate::store::StoreError;
use mongodb::bson::{doc, Bson, Document};
use mongodb::Database;
use std::collections::BTreeSet;

/// The `meta` document that says the back-fill is done.
const BACKFILLED: &str = "reach_backfilled";

/// Reports given their bucket per bulk update.
const CHUNK: usize = 1_000;

/// Counts the scroll reports without a bucket into the scroll reach, once
/// per database, reporting them to `progress`.
pub(super) async fn backfill(db: &Database, progress: &dyn Progress) -> Result<(), StoreError> {
    let meta = db.collection::<Document>(META);
    if meta.find_one(doc! { f::ID: BACKFILLED }).await?.is_some() {
        return Ok(());
    }
    let older = doc! { f::KIND: EventKind::Scroll.code(), f::HK: { "$exists": false } };
    let events = db.collection::<EventDoc>(EVENTS);
    let total = events.count_documents(older.clone()).await?;
    if total > 0 {
        progress.begin(
            "counting older scroll reports into the scroll reach",
            Some(total),
        );
        let mut cursor = events.find(older).await?;
        let (mut updates, mut seen) = (Vec::new(), 0_u64);
        let mut buckets = BTreeSet::new();
        while cursor.advance().await? {
            let report = cursor.deserialize_current()?;
            if let Some((hk, segment, day)) = report.reach_bucket() {
                updates.push(doc! {
                    "q": { f::ID: &report.key },
                    "u": { "$set": { f::HK: &hk, f::SEG: segment, f::DAY: day } },
                });
                buckets.insert(hk);
            }
            seen += 1;
            if updates.len() == CHUNK {
                bulk_update(db, EVENTS, &updates).await?;
                updates.clear();
                progress.advance(seen);
                seen = 0;
            }
        }
        bulk_update(db, EVENTS, &updates).await?;
        progress.advance(seen);
        let hks: Vec<Bson> = buckets.into_iter().map(Bson::String).collect();
        recompute_buckets(db, &hks, &[]).await?;
        progress.end();
    }
    meta.insert_one(doc! { f::ID: BACKFILLED }).await?;
    Ok(())
}
