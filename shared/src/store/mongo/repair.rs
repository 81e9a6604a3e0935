//! Rebuilding rollups from the stored events, by the core fold's rules (the
//! stored events are folded again as if newly stored): after a commit that
//! failed half-way (its events still marked `pending`), and for the heatmap
//! buckets of sessions being removed (maxima and labels cannot be
//! subtracted, so the buckets are recomputed without them).
//!
//! A writer whose commit fails marks that commit's events as *abandoned*
//! (when the server still answers), so that any writer — the one ingestd
//! opens next, or another copy's — repairs them at once; marks that are not
//! abandoned are repaired once older than the lease, since their commit may
//! still be running. Each repair first claims its commits in `meta`, so two
//! writers never rebuild the same rollups at once.

use super::documents::{fields as f, EventDoc};
use super::rollups::{HeatDoc, Rollups};
use super::schema::{COMMIT_COUNTER, EVENTS, META, PAGES, SESSIONS};
use super::steps::recount_quick_backs;
use super::writer::{
    apply, bulk_update, bump, clicks_around, judge_clicks, set_rage, SESSION_CHUNK,
};
use crate::store::core::fold::Fold;
use crate::store::StoreError;
use mongodb::bson::oid::ObjectId;
use mongodb::bson::{doc, Bson, DateTime, Document};
use mongodb::error::ErrorKind;
use mongodb::Database;
use std::time::Duration;

/// A `pending` mark older than this belongs to a commit that failed (no
/// commit lasts longer than [`super::OPERATION_TIMEOUT`]).
pub const PENDING_LEASE: Duration = Duration::from_secs(60);

/// Prefix of the `pending` mark of a commit its writer abandoned.
const ABANDONED: &str = "abandoned:";

/// Buckets rebuilt per round of [`recompute_buckets`].
const BUCKET_CHUNK: usize = 200;

/// Marks the events of the failed commit `token` as abandoned.
pub(super) async fn abandon(db: &Database, token: &str) -> Result<(), StoreError> {
    db.collection::<Document>(EVENTS)
        .update_many(
            doc! { f::PENDING: token },
            doc! { "$set": { f::PENDING: format!("{ABANDONED}{token}") } },
        )
        .await?;
    Ok(())
}

/// The marks to repair now: abandoned ones, and others past the lease.
pub(super) async fn stale_marks(db: &Database) -> Result<Vec<String>, StoreError> {
    let marks = distinct_values(db, f::PENDING, doc! { f::PENDING: { "$exists": true } }).await?;
    let now = DateTime::now().timestamp_millis();
    let lease = PENDING_LEASE.as_millis() as i64;
    Ok(marks
        .into_iter()
        .filter_map(|mark| match mark {
            Bson::String(s) => Some(s),
            _ => None,
        })
        .filter(|mark| {
            ObjectId::parse_str(mark)
                .map_or(true, |id| now - id.timestamp().timestamp_millis() > lease)
        })
        .collect())
}

/// The marks a writer's own failed commit `token` may carry.
pub(super) fn marks_of(token: &str) -> [String; 2] {
    [token.to_owned(), format!("{ABANDONED}{token}")]
}

/// The heatmap bucket keys the clicks of `sids` fall in.
pub(super) async fn buckets_of(db: &Database, sids: &[Bson]) -> Result<Vec<Bson>, StoreError> {
    distinct_values(
        db,
        f::HK,
        doc! { f::SID: { "$in": sids }, f::HK: { "$exists": true } },
    )
    .await
}

/// Rebuilds the heatmap rollups of the buckets `hks` from the stored clicks,
/// leaving out those of the sessions `excluded` (about to be removed). The
/// recomputed documents replace the stored ones and the buckets' other
/// documents are deleted.
pub(super) async fn recompute_buckets(
    db: &Database,
    hks: &[Bson],
    excluded: &[Bson],
) -> Result<(), StoreError> {
    for chunk in hks.chunks(BUCKET_CHUNK) {
        let mut clicks = doc! { f::HK: { "$in": chunk } };
        if !excluded.is_empty() {
            clicks.insert(f::SID, doc! { "$nin": excluded });
        }
        let mut cursor = db.collection::<EventDoc>(EVENTS).find(clicks).await?;
        let mut rollups = Rollups::default();
        while cursor.advance().await? {
            rollups.add_event(&cursor.deserialize_current()?);
        }
        for (collection, docs) in rollups.heat_docs() {
            let docs = docs.into_iter().map(HeatDoc::replacement).collect();
            replace_bucket_documents(db, collection, chunk, docs).await?;
        }
    }
    Ok(())
}

/// Writes the recomputed documents of the buckets `hks` to `collection`
/// and deletes the buckets' other documents.
async fn replace_bucket_documents(
    db: &Database,
    collection: &str,
    hks: &[Bson],
    docs: Vec<Document>,
) -> Result<(), StoreError> {
    let ids: Vec<&Bson> = docs.iter().filter_map(|d| d.get(f::ID)).collect();
    // The key is in the replacement too: some servers that speak the
    // protocol do not take it from the query when upserting.
    let replacements: Vec<Document> = docs
        .iter()
        .map(|whole| doc! { "q": { f::ID: whole.get(f::ID) }, "u": whole, "upsert": true })
        .collect();
    bulk_update(db, collection, &replacements).await?;
    db.collection::<Document>(collection)
        .delete_many(doc! { f::HK: { "$in": hks }, f::ID: { "$nin": ids } })
        .await?;
    Ok(())
}

/// Rebuilds every rollup touched by the events pending under `marks` that
/// no other writer is repairing, then clears their marks.
pub(super) async fn repair(db: &Database, marks: Vec<String>) -> Result<(), StoreError> {
    let mut claimed = Vec::new();
    for mark in marks {
        if claim(db, &mark).await? {
            claimed.push(mark);
        }
    }
    if claimed.is_empty() {
        return Ok(());
    }
    rebuild(db, &claimed).await?;
    db.collection::<Document>(META)
        .delete_many(
            doc! { f::ID: { "$in": claimed.iter().map(|m| claim_key(m)).collect::<Vec<_>>() } },
        )
        .await?;
    Ok(())
}

fn claim_key(mark: &str) -> String {
    format!("repair:{mark}")
}

/// Claims the repair of `mark`; `false` when another writer holds a claim
/// younger than the lease (an older one is taken over).
async fn claim(db: &Database, mark: &str) -> Result<bool, StoreError> {
    let meta = db.collection::<Document>(META);
    let now = DateTime::now();
    let expired = DateTime::from_millis(now.timestamp_millis() - PENDING_LEASE.as_millis() as i64);
    meta.delete_one(doc! { f::ID: claim_key(mark), f::AT: { "$lt": expired } })
        .await?;
    match meta
        .insert_one(doc! { f::ID: claim_key(mark), f::AT: now })
        .await
    {
        Ok(_) => Ok(true),
        Err(error) => match error.kind.as_ref() {
            ErrorKind::Write(mongodb::error::WriteFailure::WriteError(e)) if e.code == 11000 => {
                Ok(false)
            }
            _ => Err(error.into()),
        },
    }
}

/// Rebuilds the rollups of the sessions with events pending under `marks`.
async fn rebuild(db: &Database, marks: &[String]) -> Result<(), StoreError> {
    let events = db.collection::<Document>(EVENTS);
    let pending = doc! { f::PENDING: { "$in": marks } };
    let sids = distinct_values(db, f::SID, pending.clone()).await?;
    for chunk in sids.chunks(SESSION_CHUNK) {
        // Rage flags over whole sessions, as if every click were new; the
        // rollups are rebuilt below from the flagged events.
        let windows: Vec<(String, Option<(i64, i64)>)> = chunk
            .iter()
            .filter_map(|s| s.as_str().map(|sid| (sid.to_owned(), None)))
            .collect();
        let clicks = clicks_around(db, &windows).await?;
        set_rage(db, judge_clicks(&mut Fold::default(), &clicks)).await?;

        // Sessions and pages, from their stored events.
        let mut cursor = db
            .collection::<EventDoc>(EVENTS)
            .find(doc! { f::SID: { "$in": chunk } })
            .sort(doc! { f::SEQ: 1 })
            .await?;
        let mut rollups = Rollups::default();
        while cursor.advance().await? {
            rollups.add_event(&cursor.deserialize_current()?);
        }
        db.collection::<Document>(PAGES)
            .delete_many(doc! { f::SID: { "$in": chunk } })
            .await?;
        db.collection::<Document>(SESSIONS)
            .delete_many(doc! { f::ID: { "$in": chunk } })
            .await?;
        apply(db, &rollups, Some(&[SESSIONS, PAGES])).await?;
        recount_quick_backs(db, rollups.stepped_sessions()).await?;
        recompute_buckets(db, &buckets_of(db, chunk).await?, &[]).await?;
        // What is repaired stays repaired if a later chunk fails.
        let mut repaired = pending.clone();
        repaired.insert(f::SID, doc! { "$in": chunk });
        events
            .update_many(repaired, doc! { "$unset": { f::PENDING: "" } })
            .await?;
    }
    bump(db, COMMIT_COUNTER, 1).await?;
    Ok(())
}

/// The distinct values of `field` among the events matching `filter`,
/// grouped on the server (`distinct` is avoided: some servers that speak the
/// protocol ignore operators such as `$in` in its filter).
pub(super) async fn distinct_values(
    db: &Database,
    field: &str,
    filter: Document,
) -> Result<Vec<Bson>, StoreError> {
    let mut cursor = db
        .collection::<Document>(EVENTS)
        .aggregate([
            doc! { "$match": filter },
            doc! { "$group": { f::ID: format!("${field}") } },
        ])
        .await?;
    let mut values = Vec::new();
    while cursor.advance().await? {
        if let Some(value) = cursor.deserialize_current()?.remove(f::ID) {
            if value != Bson::Null {
                values.push(value);
            }
        }
    }
    Ok(values)
}
