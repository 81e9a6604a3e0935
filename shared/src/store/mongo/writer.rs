//! The write side. One commit:
//!
//! 1. numbers its events in storage order (one `$inc` of the `seq` counter);
//! 2. inserts them unordered in one round trip, each marked `pending` with the
//!    commit's token; duplicate keys are the events already stored;
//! 3. re-judges rage clicks around the new clicks of each session and flags
//!    the new bursts;
//! 4. bulk-upserts every rollup;
//! 5. clears the `pending` marks and bumps the change token.
//!
//! Every write waits for a journaled majority. MongoDB has no transaction
//! here (they would serialise every ingestd copy on the hot rollup
//! documents), so a commit that fails half-way leaves its events marked
//! `pending`; [`super::repair`] says who rebuilds the rollups they touch, and
//! when. A failed commit answers an error, so the client resends; the resent
//! events are then duplicates and the repaired rollups already count them.

use super::documents::{fields as f, int, text, EventDoc};
use super::layouts;
use super::repair::{abandon, buckets_of, marks_of, recompute_buckets, repair, stale_marks};
use super::rollups::{candidate_of, Rollups};
use super::schema::{
    create_indexes, COMMIT_COUNTER, EVENTS, META, PAGES, SEQ_COUNTER, SESSIONS, TTL_INDEX,
};
use super::steps::recount_quick_backs;
use super::{write_concern_doc, Connection};
use crate::event::{EventBatch, EventKind};
use crate::progress::{Progress, Silent};
use crate::store::core::fold::Fold;
use crate::store::core::layouts::{commit_writes, newest_per_page};
use crate::store::core::rage;
use crate::store::layout_query::{SiteLayout, StoredLayout};
use crate::store::{AppendOutcome, Engine, EventWriter, StoreError, DELETING_VISITOR};
use mongodb::bson::oid::ObjectId;
use mongodb::bson::{doc, Bson, Document};
use mongodb::error::ErrorKind;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Database, IndexModel};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

/// How often a writer looks for marks that other writers left behind.
const STALE_CHECK_INTERVAL: Duration = Duration::from_secs(30);

/// Updates and deletes sent per command.
const WRITE_CHUNK: usize = 1_000;
/// Sessions handled per step of a removal or repair.
pub(super) const SESSION_CHUNK: usize = 500;

const DAY_MS: i64 = 86_400_000;
/// How long the TTL index keeps events beyond the retention the purge keeps.
const TTL_GRACE_DAYS: i64 = 2;

/// The write side of a MongoDB database.
pub struct MongoWriter {
    conn: Connection,
    /// Tokens of this writer's commits that failed after inserting.
    failed: Vec<String>,
    /// When marks left by any writer were last looked for.
    stale_checked: Instant,
}

impl MongoWriter {
    /// Connects, creates the indexes, and repairs what failed commits of any
    /// writer left behind.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_reporting(url, &Silent)
    }

    /// [`Self::open`], reporting the index set-up to `progress`.
    pub fn open_reporting(url: &str, progress: &dyn Progress) -> Result<Self, StoreError> {
        let conn = Connection::open(url)?;
        create_indexes(&conn, progress)?;
        let mut writer = Self {
            conn,
            failed: Vec::new(),
            stale_checked: Instant::now(),
        };
        writer.repair_stale()?;
        let db = writer.conn.db().clone();
        writer.conn.run(async move {
            super::steps::backfill(&db, progress).await?;
            super::reach_backfill::backfill(&db, progress).await
        })?;
        Ok(writer)
    }

    /// The name of the database written.
    pub fn database_name(&self) -> &str {
        self.conn.database_name()
    }

    /// Rebuilds after this writer's own failed commits.
    fn repair_failed(&mut self) -> Result<(), StoreError> {
        if self.failed.is_empty() {
            return Ok(());
        }
        let marks = self.failed.iter().flat_map(|t| marks_of(t)).collect();
        let db = self.conn.db().clone();
        self.conn.run(repair(&db, marks))?;
        self.failed.clear();
        Ok(())
    }

    /// Rebuilds after failed commits of any writer, once their lease is over.
    fn repair_stale(&mut self) -> Result<(), StoreError> {
        self.stale_checked = Instant::now();
        let db = self.conn.db().clone();
        self.conn.run(async move {
            let stale = stale_marks(&db).await?;
            if !stale.is_empty() {
                repair(&db, stale).await?;
            }
            Ok(())
        })
    }

    /// Makes the TTL index keep events `retention` days plus the grace.
    fn ensure_ttl(&self, cutoff_ms: i64) -> Result<(), StoreError> {
        let now = mongodb::bson::DateTime::now().timestamp_millis();
        // The retention the caller purges by, in whole days (it computes the
        // cutoff from its own clock, a moment before this one).
        let days = (now.saturating_sub(cutoff_ms).max(0) + DAY_MS / 2) / DAY_MS;
        let seconds = (days + TTL_GRACE_DAYS) * DAY_MS / 1000;
        let db = self.conn.db().clone();
        self.conn.run(async move {
            let events = db.collection::<Document>(EVENTS);
            let mut cursor = events.list_indexes().await?;
            let mut existing = None;
            while cursor.advance().await? {
                let index = cursor.deserialize_current()?;
                if index.keys == doc! { f::AT: 1 } {
                    let name = index.options.as_ref().and_then(|o| o.name.clone());
                    let after = index
                        .options
                        .as_ref()
                        .and_then(|o| o.expire_after)
                        .map(|d| d.as_secs() as i64);
                    existing = Some((name, after));
                }
            }
            match existing {
                Some((_, Some(after))) if after == seconds => {}
                Some((Some(name), _)) => {
                    db.run_command(doc! {
                        "collMod": EVENTS,
                        "index": { "name": name, "expireAfterSeconds": seconds },
                    })
                    .await?;
                }
                _ => {
                    events
                        .create_index(
                            IndexModel::builder()
                                .keys(doc! { f::AT: 1 })
                                .options(
                                    IndexOptions::builder()
                                        .name(TTL_INDEX.to_owned())
                                        .expire_after(Duration::from_secs(seconds as u64))
                                        .build(),
                                )
                                .build(),
                        )
                        .await?;
                }
            }
            Ok(())
        })
    }

    /// Removes `sessions` (keys) with their events and rollup contributions,
    /// reporting them as `task` a chunk at a time; returns the number of
    /// events removed.
    fn remove_sessions(
        &mut self,
        sessions: Vec<String>,
        task: &str,
        progress: &dyn Progress,
    ) -> Result<u64, StoreError> {
        if sessions.is_empty() {
            return Ok(0);
        }
        progress.begin(task, Some(sessions.len() as u64));
        let removed = self.remove_in_chunks(sessions, progress);
        progress.end();
        removed
    }

    fn remove_in_chunks(
        &mut self,
        sessions: Vec<String>,
        progress: &dyn Progress,
    ) -> Result<u64, StoreError> {
        let db = self.conn.db().clone();
        self.conn.run(async move {
            let mut removed = 0;
            for chunk in sessions.chunks(SESSION_CHUNK) {
                let sids: Vec<Bson> = chunk.iter().map(|s| Bson::String(s.clone())).collect();
                // Heatmaps first, without these sessions' clicks, then the
                // events, then the sessions: an interrupted removal is
                // completed by running it again.
                let buckets = buckets_of(&db, &sids).await?;
                recompute_buckets(&db, &buckets, &sids).await?;
                removed += db
                    .collection::<Document>(EVENTS)
                    .delete_many(doc! { f::SID: { "$in": &sids } })
                    .await?
                    .deleted_count;
                db.collection::<Document>(PAGES)
                    .delete_many(doc! { f::SID: { "$in": &sids } })
                    .await?;
                db.collection::<Document>(SESSIONS)
                    .delete_many(doc! { f::ID: { "$in": &sids } })
                    .await?;
                progress.advance(chunk.len() as u64);
            }
            bump(&db, COMMIT_COUNTER, 1).await?;
            Ok(removed)
        })
    }

    /// Keys of the sessions matching `filter`.
    fn session_keys(&self, filter: Document) -> Result<Vec<String>, StoreError> {
        let db = self.conn.db().clone();
        self.conn.run(async move {
            let mut cursor = db
                .collection::<Document>(SESSIONS)
                .find(filter)
                .projection(doc! { f::ID: 1 })
                .await?;
            let mut keys = Vec::new();
            while cursor.advance().await? {
                if let Some(id) = text(&cursor.deserialize_current()?, f::ID) {
                    keys.push(id);
                }
            }
            Ok(keys)
        })
    }
}

impl EventWriter for MongoWriter {
    fn newest_layouts(&mut self, since_ms: i64) -> Result<Vec<StoredLayout>, StoreError> {
        let db = self.conn.db().clone();
        let rows = self
            .conn
            .run(async move { layouts::since(&db, since_ms).await })?;
        Ok(newest_per_page(rows))
    }

    fn append_with_layouts(
        &mut self,
        batches: &[EventBatch],
        snapshots: &[SiteLayout],
    ) -> Result<Vec<AppendOutcome>, StoreError> {
        self.repair_failed()?;
        // A writer that failed may have been dropped (ingestd reopens after a
        // failure) or have crashed: its marks are found here once stale.
        if self.stale_checked.elapsed() >= STALE_CHECK_INTERVAL {
            self.repair_stale()?;
        }
        // Layouts first, on their own: their writes are idempotent, so a
        // commit failing later leaves nothing a resend would count twice.
        if !snapshots.is_empty() {
            let db = self.conn.db().clone();
            self.conn.run(async move {
                layouts::write(&db, &commit_writes(snapshots)).await?;
                bump(&db, COMMIT_COUNTER, 1).await?;
                Ok(())
            })?;
        }
        let total: usize = batches.iter().map(|b| b.events.len()).sum();
        if total == 0 {
            return Ok(vec![AppendOutcome::default(); batches.len()]);
        }
        let token = ObjectId::new().to_hex();
        let db = self.conn.db().clone();
        let commit_token = token.clone();
        let result = self.conn.run(async move {
            let last = bump(&db, SEQ_COUNTER, total as i64).await?;
            let first = last - total as i64 + 1;
            let docs: Vec<EventDoc> = batches
                .iter()
                .flat_map(|b| b.events.iter().map(move |e| (b, e)))
                .zip(first..)
                .map(|((b, e), seq)| EventDoc::new(b, e, seq, &commit_token))
                .collect();
            let duplicates = insert_new(&db, &docs).await?;
            let mut outcomes = Vec::with_capacity(batches.len());
            let mut rollups = Rollups::default();
            let mut index = 0;
            for batch in batches {
                let mut outcome = AppendOutcome::default();
                for _ in &batch.events {
                    if duplicates.contains(&index) {
                        outcome.duplicates += 1;
                    } else {
                        outcome.inserted += 1;
                        rollups.add_event(&docs[index]);
                    }
                    index += 1;
                }
                outcomes.push(outcome);
            }
            if outcomes.iter().all(|o| o.inserted == 0) {
                return Ok(outcomes);
            }
            flag_rage_clicks(&db, &mut rollups).await?;
            apply(&db, &rollups, None).await?;
            recount_quick_backs(&db, rollups.stepped_sessions()).await?;
            db.collection::<Document>(EVENTS)
                .update_many(
                    doc! { f::PENDING: &commit_token },
                    doc! { "$unset": { f::PENDING: "" } },
                )
                .await?;
            bump(&db, COMMIT_COUNTER, 1).await?;
            Ok(outcomes)
        });
        if result.is_err() {
            // From now on any writer may repair it, if the server still
            // answers; if not, the mark waits for its lease (or this writer).
            let db = self.conn.db().clone();
            let abandoned = token.clone();
            let _ = self.conn.run(async move { abandon(&db, &abandoned).await });
            self.failed.push(token);
        }
        result
    }

    fn delete_visitor_reporting(
        &mut self,
        site: &str,
        visitor_id: &str,
        progress: &dyn Progress,
    ) -> Result<u64, StoreError> {
        self.repair_failed()?;
        let sessions = self.session_keys(doc! { f::SITE: site, f::VISITOR: visitor_id })?;
        self.remove_sessions(sessions, DELETING_VISITOR, progress)
    }

    fn expire_before(&mut self, cutoff_ms: i64) -> Result<u64, StoreError> {
        self.repair_failed()?;
        self.repair_stale()?;
        self.ensure_ttl(cutoff_ms)?;
        let sessions = self.session_keys(doc! { f::END: { "$lt": cutoff_ms } })?;
        self.remove_sessions(sessions, "removing expired sessions", &Silent)
    }
}

/// Adds `by` to counter `name` and returns its new value.
pub(super) async fn bump(db: &Database, name: &str, by: i64) -> Result<i64, StoreError> {
    let counter = db
        .collection::<Document>(META)
        .find_one_and_update(doc! { f::ID: name }, doc! { "$inc": { f::N: by } })
        .upsert(true)
        .return_document(ReturnDocument::After)
        .await?;
    counter
        .as_ref()
        .and_then(|d| int(d, f::N))
        .ok_or_else(|| StoreError::Corrupt(format!("counter {name} has no value")))
}

/// Inserts `docs` unordered; returns the positions of those already stored.
async fn insert_new(db: &Database, docs: &[EventDoc]) -> Result<HashSet<usize>, StoreError> {
    let result = db
        .collection::<EventDoc>(EVENTS)
        .insert_many(docs)
        .ordered(false)
        .await;
    match result {
        Ok(_) => Ok(HashSet::new()),
        Err(error) => match error.kind.as_ref() {
            ErrorKind::InsertMany(failure) if failure.write_concern_error.is_none() => {
                let errors = failure.write_errors.as_deref().unwrap_or_default();
                if errors.iter().all(|e| e.code == DUPLICATE_KEY) {
                    Ok(errors.iter().map(|e| e.index).collect())
                } else {
                    Err(error.into())
                }
            }
            _ => Err(error.into()),
        },
    }
}

const DUPLICATE_KEY: i32 = 11000;

/// Sends `updates` (elements of an `update` command) unordered, in chunks,
/// and fails on any write or write-concern error.
pub(super) async fn bulk_update(
    db: &Database,
    collection: &str,
    updates: &[Document],
) -> Result<(), StoreError> {
    for chunk in updates.chunks(WRITE_CHUNK) {
        let reply = db
            .run_command(doc! {
                "update": collection,
                "updates": chunk.to_vec(),
                "ordered": false,
                "writeConcern": write_concern_doc(),
            })
            .await?;
        check_write_reply(collection, &reply)?;
    }
    Ok(())
}

/// Errors a write command answered with `ok: 1`.
fn check_write_reply(collection: &str, reply: &Document) -> Result<(), StoreError> {
    if let Ok(errors) = reply.get_array("writeErrors") {
        if let Some(first) = errors.first() {
            return Err(StoreError::WriteFailed {
                engine: Engine::Mongo,
                detail: format!(
                    "{} of the writes to {collection} failed, first: {first}",
                    errors.len()
                ),
            });
        }
    }
    if let Ok(error) = reply.get_document("writeConcernError") {
        return Err(StoreError::WriteFailed {
            engine: Engine::Mongo,
            detail: format!("writes to {collection} not acknowledged by a majority: {error}"),
        });
    }
    Ok(())
}

/// Writes the rollups; `only` restricts them to some collections.
pub(super) async fn apply(
    db: &Database,
    rollups: &Rollups,
    only: Option<&[&str]>,
) -> Result<(), StoreError> {
    for (collection, updates) in rollups.upserts() {
        if only.is_some_and(|only| !only.contains(&collection)) || updates.is_empty() {
            continue;
        }
        bulk_update(db, collection, &updates).await?;
    }
    Ok(())
}

/// Clicks of the sessions in `windows` within each session's window (`None`:
/// all its clicks), by session.
pub(super) async fn clicks_around(
    db: &Database,
    windows: &[(String, Option<(i64, i64)>)],
) -> Result<BTreeMap<String, Vec<EventDoc>>, StoreError> {
    let mut by_session: BTreeMap<String, Vec<EventDoc>> = BTreeMap::new();
    for chunk in windows.chunks(200) {
        // One indexed query per chunk: the sessions' clicks within the
        // union of their windows; each session's own window is applied here.
        let sids: Vec<&str> = chunk.iter().map(|(sid, _)| sid.as_str()).collect();
        let windows: HashMap<&str, Option<(i64, i64)>> = chunk
            .iter()
            .map(|(sid, window)| (sid.as_str(), *window))
            .collect();
        let mut filter = doc! { f::SID: { "$in": &sids }, f::KIND: EventKind::Click.code() };
        let bounded: Option<Vec<(i64, i64)>> = windows.values().copied().collect();
        if let Some(bounds) = bounded {
            if let (Some(lo), Some(hi)) = (
                bounds.iter().map(|b| b.0).min(),
                bounds.iter().map(|b| b.1).max(),
            ) {
                filter.insert(f::TS, doc! { "$gte": lo, "$lte": hi });
            }
        }
        let mut cursor = db.collection::<EventDoc>(EVENTS).find(filter).await?;
        while cursor.advance().await? {
            let d = cursor.deserialize_current()?;
            let inside = match windows.get(d.sid.as_str()) {
                Some(Some((lo, hi))) => (*lo..=*hi).contains(&d.ts),
                Some(None) => true,
                None => false,
            };
            if inside {
                by_session.entry(d.sid.clone()).or_default().push(d);
            }
        }
    }
    Ok(by_session)
}

/// Judges `clicks` (by session) and returns the `_id`s of the clicks newly
/// found in a burst, counting them into `fold`.
pub(super) fn judge_clicks(
    fold: &mut Fold<super::rollups::MongoKeys>,
    clicks: &BTreeMap<String, Vec<EventDoc>>,
) -> Vec<Bson> {
    let candidates = clicks.values().flatten().filter_map(candidate_of).collect();
    rage::judge(fold, candidates)
}

pub(super) async fn set_rage(db: &Database, ids: Vec<Bson>) -> Result<(), StoreError> {
    for chunk in ids.chunks(WRITE_CHUNK) {
        db.collection::<Document>(EVENTS)
            .update_many(
                doc! { f::ID: { "$in": chunk.to_vec() } },
                doc! { "$set": { f::RAGE: 1_i32 } },
            )
            .await?;
    }
    Ok(())
}

/// Re-judges the clicks around each session's new clicks, flags new bursts
/// and counts the flagged clicks into `rollups`.
async fn flag_rage_clicks(db: &Database, rollups: &mut Rollups) -> Result<(), StoreError> {
    let windows: Vec<(String, Option<(i64, i64)>)> = rollups
        .fold
        .rage_windows()
        .into_iter()
        .map(|(sid, lo, hi)| (sid, Some((lo, hi))))
        .collect();
    if windows.is_empty() {
        return Ok(());
    }
    let clicks = clicks_around(db, &windows).await?;
    let ids = judge_clicks(&mut rollups.fold, &clicks);
    set_rage(db, ids).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn click(seq: i64, ts: i64, x: i32, rage: bool) -> EventDoc {
        mongodb::bson::from_document(doc! {
            f::ID: seq.to_string(), f::SITE: "a", f::SESSION: "s", f::VISITOR: "v", f::SID: "s",
            f::DEVICE: 1, f::BROWSER: "b", f::OS: "o", f::EVENT_ID: seq.to_string(),
            f::KIND: EventKind::Click.code(), f::TS: ts, f::AT: mongodb::bson::DateTime::from_millis(ts),
            f::RECEIVED_AT: ts, f::SEQ: seq, f::URL: "https://a.example/", f::PAGE: "a.example/",
            f::X: x, f::Y: 0, f::RAGE: rage,
        })
        .expect("an event document")
    }

    #[test]
    fn only_unflagged_burst_clicks_are_new() {
        let clicks = [
            click(1, 0, 0, true),
            click(2, 100, 2, false),
            click(3, 200, 4, false),
            click(4, 5_000, 4, false),
        ];
        let by_session = BTreeMap::from([("s".to_owned(), clicks.to_vec())]);
        let new: Vec<Bson> = judge_clicks(&mut Fold::default(), &by_session);
        assert_eq!(new, [Bson::from("2"), Bson::from("3")]);
    }

    #[test]
    fn write_replies_with_errors_fail() {
        assert!(check_write_reply("x", &doc! { "ok": 1, "n": 2 }).is_ok());
        assert!(check_write_reply("x", &doc! { "ok": 1, "writeErrors": [{ "code": 2 }] }).is_err());
        assert!(
            check_write_reply("x", &doc! { "ok": 1, "writeConcernError": { "code": 64 } }).is_err()
        );
    }
}
