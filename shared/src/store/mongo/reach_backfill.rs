//! Scroll reach for the scroll reports stored before it was kept, and its
//! folds for those stored before they were kept, once per database: each
//! report that reached something gets its heatmap bucket if it has none
//! (`hk`, `seg`, `day`, by the rule new reports get it,
//! [`EventDoc::reach_bucket`]), and every bucket with a report is rebuilt
//! from its stored events ([`recompute_buckets`]), which counts its reach
//! and folds as a commit does. Reports from before `depth_from` each count
//! as a view from the top, as SQLite's back-fill counts them.

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

/// The `meta` document that says the back-fill is done (the reach was
/// once back-filled without folds, under another name).
const BACKFILLED: &str = "reach_folds_backfilled";

/// Reports given their bucket per bulk update.
const CHUNK: usize = 1_000;

/// Counts the stored scroll reports into the scroll reach and its folds,
/// once per database, reporting them to `progress`.
pub(super) async fn backfill(db: &Database, progress: &dyn Progress) -> Result<(), StoreError> {
    let meta = db.collection::<Document>(META);
    if meta.find_one(doc! { f::ID: BACKFILLED }).await?.is_some() {
        return Ok(());
    }
    let reports = doc! { f::KIND: EventKind::Scroll.code() };
    let events = db.collection::<EventDoc>(EVENTS);
    let total = events.count_documents(reports.clone()).await?;
    if total > 0 {
        progress.begin(
            "counting the stored scroll reports into the scroll reach",
            Some(total),
        );
        let mut cursor = events.find(reports).await?;
        let (mut updates, mut seen) = (Vec::new(), 0_u64);
        let mut buckets = BTreeSet::new();
        while cursor.advance().await? {
            let report = cursor.deserialize_current()?;
            if let Some((hk, segment, day)) = report.reach_bucket() {
                if report.hk.is_none() {
                    updates.push(doc! {
                        "q": { f::ID: &report.key },
                        "u": { "$set": { f::HK: &hk, f::SEG: segment, f::DAY: day } },
                    });
                }
                buckets.insert(hk);
            }
            if updates.len() == CHUNK {
                bulk_update(db, EVENTS, &updates).await?;
                updates.clear();
            }
            seen += 1;
            if seen == CHUNK as u64 {
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
