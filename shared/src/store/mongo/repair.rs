//! Rebuilding rollups from the stored events: after a commit that failed
//! half-way (its events still marked `pending`), and for the heatmap
//! buckets of sessions being removed (maxima and labels cannot be
//! subtracted, so the buckets are recomputed without them).

use super::codec::{int, text};
use super::rollups::Rollups;
use super::schema::{
    cell_group, cell_of_group, key, COMMIT_COUNTER, EVENTS, HEAT_CELLS, HEAT_ELEMENTS,
    HEAT_EXTENTS, PAGES, SESSIONS,
};
use super::writer::{
    apply, bulk_update, bump, clicks_around, judge_clicks, set_rage, SESSION_CHUNK,
};
use crate::store::core::fold::Fold;
use crate::store::StoreError;
use mongodb::bson::{doc, Bson, Document};
use mongodb::Database;
use std::collections::HashMap;

/// A heatmap bucket: its key and the fields of its rollup documents.
pub(super) struct Bucket {
    hk: String,
    fields: Document,
}

/// The heatmap buckets the clicks of `sids` fall in.
pub(super) async fn buckets_of(db: &Database, sids: &[Bson]) -> Result<Vec<Bucket>, StoreError> {
    let mut cursor = db
        .collection::<Document>(EVENTS)
        .aggregate([
            doc! { "$match": { "sid": { "$in": sids }, "hk": { "$exists": true } } },
            doc! { "$group": {
                "_id": "$hk",
                "site": { "$first": "$site" },
                "page": { "$first": "$page" },
                "seg": { "$first": "$seg" },
                "day": { "$first": "$day" },
            } },
        ])
        .await?;
    let mut buckets = Vec::new();
    while cursor.advance().await? {
        let d = cursor.deserialize_current()?;
        let Some(hk) = text(&d, "_id") else {
            continue;
        };
        let mut fields = doc! { "hk": &hk };
        for field in ["site", "page", "seg", "day"] {
            if let Some(value) = d.get(field) {
                fields.insert(field, value.clone());
            }
        }
        buckets.push(Bucket { hk, fields });
    }
    Ok(buckets)
}

/// Buckets rebuilt per round of [`recompute_buckets`].
const BUCKET_CHUNK: usize = 200;

/// Groups the clicks of `hks` by bucket and `part` (a string expression) on
/// the server; returns `(bucket key, part, row)`. The group key joins both
/// with `\u{1}`, which neither a bucket key (page keys are URL-encoded) nor a
/// part (numbers, or selectors cleaned of control characters) contains.
async fn grouped_by_bucket(
    db: &Database,
    hks: &[&str],
    extra: Document,
    part: Bson,
    mut accumulators: Document,
) -> Result<Vec<(String, String, Document)>, StoreError> {
    let mut matched = doc! { "hk": { "$in": hks } };
    matched.extend(extra);
    accumulators.insert("_id", doc! { "$concat": ["$hk", "\u{1}", part] });
    let mut cursor = db
        .collection::<Document>(EVENTS)
        .aggregate([doc! { "$match": matched }, doc! { "$group": accumulators }])
        .await?;
    let mut rows = Vec::new();
    while cursor.advance().await? {
        let row = cursor.deserialize_current()?;
        if let Some((hk, part)) = text(&row, "_id").and_then(|id| {
            id.split_once('\u{1}')
                .map(|(hk, part)| (hk.to_owned(), part.to_owned()))
        }) {
            rows.push((hk, part, row));
        }
    }
    Ok(rows)
}

/// Rebuilds the heatmap rollups of `buckets` from the stored clicks, leaving
/// out those of the sessions `excluded` (about to be removed). Recomputed
/// documents are written by `$set` upserts and the bucket's other documents
/// deleted, so a rollup touched by a concurrent commit is never a conflict.
pub(super) async fn recompute_buckets(
    db: &Database,
    buckets: &[Bucket],
    excluded: &[Bson],
) -> Result<(), StoreError> {
    let keep = if excluded.is_empty() {
        Document::new()
    } else {
        doc! { "sid": { "$nin": excluded } }
    };
    for chunk in buckets.chunks(BUCKET_CHUNK) {
        let fields: HashMap<&str, &Document> =
            chunk.iter().map(|b| (b.hk.as_str(), &b.fields)).collect();
        let hks: Vec<&str> = fields.keys().copied().collect();
        let number = |expr: Bson| Bson::Document(doc! { "$toString": expr });
        let cells = grouped_by_bucket(
            db,
            &hks,
            keep.clone(),
            number(Bson::Document(cell_group())),
            doc! { "clicks": { "$sum": 1 }, "rage_clicks": { "$sum": "$rage" } },
        )
        .await?;
        let extents = grouped_by_bucket(
            db,
            &hks,
            keep.clone(),
            number(Bson::String("$pw".into())),
            doc! {
                "clicks": { "$sum": 1 },
                "max_ph": { "$max": "$ph" },
                "max_y": { "$max": "$y" },
            },
        )
        .await?;
        let elements = grouped_by_bucket(
            db,
            &hks,
            {
                let mut extra = keep.clone();
                extra.insert("selector", doc! { "$exists": true });
                extra
            },
            Bson::String("$selector".into()),
            doc! {
                "clicks": { "$sum": 1 },
                "rage_clicks": { "$sum": "$rage" },
                "label": { "$max": "$label" },
            },
        )
        .await?;
        let base = |hk: &str| -> Document {
            fields
                .get(hk)
                .map_or_else(|| doc! { "hk": hk }, |f| (*f).clone())
        };
        let rebuilt: [(&str, Vec<Document>); 3] = [
            (HEAT_CELLS, cell_documents(cells, &base)),
            (HEAT_EXTENTS, extent_documents(extents, &base)),
            (HEAT_ELEMENTS, element_documents(elements, &base)),
        ];
        for (collection, docs) in rebuilt {
            replace_bucket_documents(db, collection, &hks, docs).await?;
        }
    }
    Ok(())
}

/// Grouped rows of a bucket, by bucket key, part and row.
type Groups = Vec<(String, String, Document)>;

fn cell_documents(cells: Groups, base: &impl Fn(&str) -> Document) -> Vec<Document> {
    let mut docs = Vec::new();
    for (hk, part, row) in cells {
        let Ok(cell) = part.parse::<i64>() else {
            continue;
        };
        let (gx, gy) = cell_of_group(cell);
        let mut d = base(&hk);
        d.insert("_id", key(&[&hk, &gx.to_string(), &gy.to_string()]));
        d.insert("gx", gx);
        d.insert("gy", gy);
        d.insert("clicks", int(&row, "clicks").unwrap_or(0));
        d.insert("rage_clicks", int(&row, "rage_clicks").unwrap_or(0));
        docs.push(d);
    }
    docs
}

fn extent_documents(extents: Groups, base: &impl Fn(&str) -> Document) -> Vec<Document> {
    let mut docs = Vec::new();
    for (hk, part, row) in extents {
        let Ok(pw) = part.parse::<i64>() else {
            continue;
        };
        let mut d = base(&hk);
        d.insert("_id", key(&[&hk, &pw.to_string()]));
        d.insert("pw", pw);
        d.insert("clicks", int(&row, "clicks").unwrap_or(0));
        d.insert("max_y", int(&row, "max_y").unwrap_or(0));
        if let Some(ph) = int(&row, "max_ph") {
            d.insert("max_ph", ph);
        }
        docs.push(d);
    }
    docs
}

fn element_documents(elements: Groups, base: &impl Fn(&str) -> Document) -> Vec<Document> {
    let mut docs = Vec::new();
    for (hk, selector, row) in elements {
        let mut d = base(&hk);
        d.insert("_id", key(&[&hk, &selector]));
        d.insert("selector", selector);
        d.insert("clicks", int(&row, "clicks").unwrap_or(0));
        d.insert("rage_clicks", int(&row, "rage_clicks").unwrap_or(0));
        if let Some(label) = text(&row, "label") {
            d.insert("label", label);
        }
        docs.push(d);
    }
    docs
}

/// Writes the recomputed documents of the buckets `hks` to `collection`
/// and deletes the buckets' other documents.
async fn replace_bucket_documents(
    db: &Database,
    collection: &str,
    hks: &[&str],
    docs: Vec<Document>,
) -> Result<(), StoreError> {
    let ids: Vec<Bson> = docs.iter().filter_map(|d| d.get("_id").cloned()).collect();
    let upserts: Vec<Document> = docs
        .into_iter()
        .map(|mut d| {
            let id = d.remove("_id").unwrap_or(Bson::Null);
            let mut update = Document::new();
            // Maxima the remaining clicks no longer have go.
            let gone: Document = ["max_ph", "label"]
                .into_iter()
                .filter(|f| collection != HEAT_CELLS && !d.contains_key(*f))
                .map(|f| (f.to_owned(), Bson::String(String::new())))
                .collect();
            update.insert("$set", d);
            if !gone.is_empty() {
                update.insert("$unset", gone);
            }
            doc! { "q": { "_id": id }, "u": update, "upsert": true }
        })
        .collect();
    bulk_update(db, collection, &upserts).await?;
    db.collection::<Document>(collection)
        .delete_many(doc! { "hk": { "$in": hks }, "_id": { "$nin": ids } })
        .await?;
    Ok(())
}

/// Rebuilds every rollup touched by the events pending under `tokens`, then
/// clears their marks.
pub(super) async fn repair(db: &Database, tokens: Vec<String>) -> Result<(), StoreError> {
    let events = db.collection::<Document>(EVENTS);
    let pending = doc! { "pending": { "$in": &tokens } };
    let sids = distinct_values(db, "sid", pending.clone()).await?;
    for chunk in sids.chunks(SESSION_CHUNK) {
        // Rage flags over whole sessions, as if every click were new.
        let keys: Vec<String> = chunk
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect();
        let windows: Vec<(String, Option<(i64, i64)>)> =
            keys.into_iter().map(|sid| (sid, None)).collect();
        let clicks = clicks_around(db, &windows).await?;
        // The rollups are rebuilt below from the flagged events.
        let ids = judge_clicks(&mut Fold::default(), &clicks);
        set_rage(db, ids).await?;

        // Sessions and pages, from their stored events.
        let mut cursor = events
            .find(doc! { "sid": { "$in": chunk } })
            .sort(doc! { "seq": 1 })
            .await?;
        let mut rollups = Rollups::default();
        while cursor.advance().await? {
            rollups.add_event(&cursor.deserialize_current()?);
        }
        db.collection::<Document>(PAGES)
            .delete_many(doc! { "sid": { "$in": chunk } })
            .await?;
        db.collection::<Document>(SESSIONS)
            .delete_many(doc! { "_id": { "$in": chunk } })
            .await?;
        apply(db, &rollups, Some(&[SESSIONS, PAGES])).await?;

        let buckets = buckets_of(db, chunk).await?;
        recompute_buckets(db, &buckets, &[]).await?;
        // What is repaired stays repaired if a later chunk fails.
        let mut repaired = pending.clone();
        repaired.insert("sid", doc! { "$in": chunk });
        events
            .update_many(repaired, doc! { "$unset": { "pending": "" } })
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
            doc! { "$group": { "_id": format!("${field}") } },
        ])
        .await?;
    let mut values = Vec::new();
    while cursor.advance().await? {
        if let Some(value) = cursor.deserialize_current()?.remove("_id") {
            if value != Bson::Null {
                values.push(value);
            }
        }
    }
    Ok(values)
}
