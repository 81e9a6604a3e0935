//! Each session's steps ([`crate::store::core::steps`]) in its `sessions`
//! document: `steps`, an array of strings, each the JSON text
//! `[ts, seq, tag, label]` (tag 0: a page view of the page key `label`; 1:
//! the custom event named `label`). Text rather than nested arrays: some
//! servers that speak the protocol turn pushed arrays into JSON text anyway
//! (ARCHITECTURE.md, divergences), so one form is written and read
//! everywhere. Commits `$push` their new steps, in any order (concurrent
//! writers never conflict); readers put them in order. After the push, the
//! sessions whose steps grew get their quick backs counted again.

use super::documents::{fields as f, int, EventDoc};
use super::reader::aggregate;
use super::schema::{EVENTS, META, SESSIONS};
use super::writer::bulk_update;
use crate::event::EventKind;
use crate::progress::Progress;
use crate::store::core::steps::{is_dead_end, merge, quick_backs, step_of, Step, StepLabel};
use crate::store::flow_query::{FlowLabel, FlowStep, StepSet};
use crate::store::StoreError;
use mongodb::bson::{doc, Bson, Document};
use mongodb::Database;
use std::collections::HashMap;

const PAGE: i32 = 0;
const EVENT: i32 = 1;

/// The array element of a step whose page is a page key.
pub(super) fn element(step: &Step<String>) -> Bson {
    let (tag, label) = match &step.label {
        StepLabel::Page(page) => (PAGE, page),
        StepLabel::Event(name) => (EVENT, name),
    };
    let text = serde_json::to_string(&(step.ts, step.order, tag, label)).unwrap_or_default();
    Bson::String(text)
}

/// A session document's steps in order, pages named by `page`; malformed
/// elements are skipped.
fn steps_of<P>(d: &Document, mut page: impl FnMut(&str) -> P) -> Vec<Step<P>> {
    let mut steps = Vec::new();
    if let Ok(items) = d.get_array(f::STEPS) {
        for item in items {
            let Bson::String(text) = item else {
                continue;
            };
            let Ok((ts, order, tag, label)) = serde_json::from_str::<(i64, i64, i32, String)>(text)
            else {
                continue;
            };
            let label = match tag {
                PAGE => StepLabel::Page(page(&label)),
                EVENT => StepLabel::Event(label),
                _ => continue,
            };
            steps.push(Step { ts, order, label });
        }
    }
    merge(&mut steps, Vec::new());
    steps
}

/// Counts the quick backs of the sessions `sids` again from their steps.
pub(super) async fn recount_quick_backs(
    db: &Database,
    sids: Vec<String>,
) -> Result<(), StoreError> {
    for chunk in sids.chunks(500) {
        let rows = aggregate(
            db,
            SESSIONS,
            vec![
                doc! { "$match": { f::ID: { "$in": chunk } } },
                doc! { "$project": { f::STEPS: 1 } },
            ],
        )
        .await?;
        let updates: Vec<Document> = rows
            .iter()
            .filter_map(|d| {
                let id = d.get(f::ID)?.clone();
                let n = quick_backs(&steps_of(d, str::to_owned));
                Some(doc! { "q": { f::ID: id }, "u": { "$set": { f::QUICK_BACKS: n } } })
            })
            .collect();
        bulk_update(db, SESSIONS, &updates).await?;
    }
    Ok(())
}

/// The `meta` document that says every session has its steps.
const BACKFILLED: &str = "steps_backfilled";

/// Gives the sessions stored before steps were kept (page views but no
/// `steps`) their steps and quick backs from their stored events, once per
/// database, reporting them to `progress`.
pub(super) async fn backfill(db: &Database, progress: &dyn Progress) -> Result<(), StoreError> {
    let meta = db.collection::<Document>(META);
    if meta.find_one(doc! { f::ID: BACKFILLED }).await?.is_some() {
        return Ok(());
    }
    let missing = doc! { f::STEPS: { "$exists": false }, f::PAGE_VIEWS: { "$gt": 0_i64 } };
    let rows = aggregate(
        db,
        SESSIONS,
        vec![
            doc! { "$match": missing },
            doc! { "$project": { f::ID: 1 } },
        ],
    )
    .await?;
    let sids: Vec<String> = rows
        .iter()
        .filter_map(|d| d.get_str(f::ID).ok().map(str::to_owned))
        .collect();
    if !sids.is_empty() {
        progress.begin("giving older sessions their steps", Some(sids.len() as u64));
        for chunk in sids.chunks(500) {
            let mut steps: HashMap<String, Vec<Step<String>>> = HashMap::new();
            let mut events = db
                .collection::<EventDoc>(EVENTS)
                .find(doc! {
                    f::SID: { "$in": chunk },
                    f::KIND: { "$in": [EventKind::PageView.code(), EventKind::Custom.code()] },
                })
                .await?;
            while events.advance().await? {
                let e = events.deserialize_current()?;
                let kind = EventKind::from_code(e.kind).unwrap_or(EventKind::Click);
                if let Some(step) = step_of(kind, e.ts, e.seq, &e.page, e.name.as_deref()) {
                    steps.entry(e.sid.clone()).or_default().push(step);
                }
            }
            let updates: Vec<Document> = steps
                .into_iter()
                .map(|(sid, mut list)| {
                    merge(&mut list, Vec::new());
                    let elements: Vec<Bson> = list.iter().map(element).collect();
                    doc! {
                        "q": { f::ID: sid },
                        "u": { "$set": { f::STEPS: elements, f::QUICK_BACKS: quick_backs(&list) } },
                    }
                })
                .collect();
            bulk_update(db, SESSIONS, &updates).await?;
            progress.advance(chunk.len() as u64);
        }
        progress.end();
    }
    meta.insert_one(doc! { f::ID: BACKFILLED }).await?;
    Ok(())
}

/// The steps of the sessions `stages` select, page keys interned.
pub(super) async fn step_set(
    db: &Database,
    mut stages: Vec<Document>,
) -> Result<StepSet, StoreError> {
    stages.push(doc! { "$project": { f::STEPS: 1, f::END: 1, f::LAST_RAGE: 1 } });
    let mut set = StepSet::default();
    for d in aggregate(db, SESSIONS, stages).await? {
        let Ok(key) = d.get_str(f::ID) else {
            continue;
        };
        let steps: Vec<FlowStep> = steps_of(&d, |page| set.page(page))
            .into_iter()
            .map(|step| FlowStep {
                ts: step.ts,
                label: match step.label {
                    StepLabel::Page(page) => FlowLabel::Page(page),
                    StepLabel::Event(name) => FlowLabel::Event(set.name(&name)),
                },
            })
            .collect();
        let end = int(&d, f::END).unwrap_or_default();
        let dead_end = is_dead_end(end, int(&d, f::LAST_RAGE));
        set.push_flagged(key, steps, dead_end);
    }
    Ok(set)
}
