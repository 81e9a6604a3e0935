//! The MongoDB engine: the storage conformance suite (`testkit::conformance`)
//! against the server named by `MONGODB_URI`, each case in a database of its
//! own that is dropped afterwards, plus what only this engine has (indexes,
//! the TTL backstop, repair after a failed commit, a dead server failing
//! fast).
//!
//! Without `MONGODB_URI` every test prints why it is skipped and passes,
//! unless `REQUIRE_MONGO=1`, when a missing server fails it.

use mongodb::bson::{doc, Document};
use shared::event::{ClientInfo, Event, EventBatch, EventKind};
use shared::store::mongo::{MongoReader, MongoWriter};
use shared::store::query::*;
use shared::store::{Engine, EventReader, EventWriter, StoreError};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};
use testkit::conformance::CASES;
use testkit::mongo::{fresh_name, server, server_address, with_database};
use testkit::relay::Relay;
use testkit::stores::MongoFactory;

/// Every conformance case, each in its own database (dropped afterwards).
/// `MONGODB_CASES=case_a,case_b` runs only those.
#[test]
fn conformance_suite() {
    let Some(uri) = server() else {
        return;
    };
    let factory = MongoFactory::new(uri);
    let only = std::env::var("MONGODB_CASES").unwrap_or_default();
    let mut failed = Vec::new();
    for (name, case) in CASES {
        if !only.is_empty() && !only.split(',').any(|c| c.trim() == *name) {
            continue;
        }
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| case(&factory)));
        factory.drop_all();
        match outcome {
            Ok(()) => eprintln!("ok      {name} ({} ms)", started.elapsed().as_millis()),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                eprintln!("FAILED  {name}: {message}");
                failed.push(*name);
            }
        }
    }
    assert!(failed.is_empty(), "failed cases: {failed:?}");
}

// ---------------------------------------------------------------------------
// MongoDB only
// ---------------------------------------------------------------------------

const T0: i64 = 1_764_000_000_000;

/// A writer and reader over a fresh database, dropped with this value.
struct Fresh {
    uri: String,
    name: String,
    url: String,
}

impl Fresh {
    fn new(uri: &str, what: &str) -> Self {
        let name = fresh_name(what);
        Self {
            url: with_database(uri, &name),
            uri: uri.to_owned(),
            name,
        }
    }

    /// Runs `work` against the raw database.
    fn raw<T>(&self, work: impl AsyncFnOnce(mongodb::Database) -> T) -> T {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let client = mongodb::Client::with_uri_str(&self.uri)
                .await
                .expect("a client");
            work(client.database(&self.name)).await
        })
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        drop_database(&self.uri, &self.name);
    }
}

fn page_view(id: &str, ts: i64) -> Event {
    Event {
        id: id.into(),
        kind: EventKind::PageView,
        ts,
        received_at: ts,
        clock_adjusted: false,
        url: "https://shop.example/".into(),
        page_key: "shop.example/".into(),
        title: None,
        referrer: None,
        viewport: None,
        page: None,
        x: None,
        y: None,
        target: None,
        depth: None,
        depth_from: None,
        name: None,
        props: None,
    }
}

fn click(id: &str, ts: i64, x: i32) -> Event {
    Event {
        kind: EventKind::Click,
        x: Some(x),
        y: Some(100),
        viewport: Some(shared::event::Size {
            width: 1280,
            height: 800,
        }),
        page: Some(shared::event::Size {
            width: 1280,
            height: 3000,
        }),
        ..page_view(id, ts)
    }
}

fn batch(session: &str, visitor: &str, events: Vec<Event>) -> EventBatch {
    EventBatch {
        site: "shop".into(),
        session_id: session.into(),
        visitor_id: visitor.into(),
        client: ClientInfo::default(),
        events,
    }
}

fn collection_docs(db: &Fresh, collection: &'static str) -> Vec<Document> {
    db.raw(async move |db| {
        let mut cursor = db
            .collection::<Document>(collection)
            .find(doc! {})
            .await
            .expect("find");
        let mut docs = Vec::new();
        while cursor.advance().await.expect("advance") {
            docs.push(cursor.deserialize_current().expect("document"));
        }
        docs
    })
}

#[test]
fn the_writer_creates_its_indexes_and_keys_events_by_site_and_id() {
    let Some(uri) = server() else {
        return;
    };
    let db = Fresh::new(&uri, "indexes");
    let mut writer = MongoWriter::open(&db.url).expect("writer");
    assert_eq!(writer.database_name(), db.name);
    writer
        .append(&[batch("s1", "v1", vec![page_view("e1", T0)])])
        .expect("append");
    let names = db.raw(async |db| {
        let names = db
            .collection::<Document>("events")
            .list_index_names()
            .await
            .expect("indexes");
        names
    });
    assert!(names.len() >= 5, "{names:?}");
    let events = collection_docs(&db, "events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].get_str("_id").expect("an _id"), "4:shope1");
    assert!(
        events[0].get("pending").is_none(),
        "a finished commit leaves no mark"
    );
    assert!(matches!(
        events[0].get("at"),
        Some(mongodb::bson::Bson::DateTime(_))
    ));
}

#[test]
fn expiring_creates_the_ttl_backstop_and_removes_old_sessions() {
    let Some(uri) = server() else {
        return;
    };
    let db = Fresh::new(&uri, "ttl");
    let mut writer = MongoWriter::open(&db.url).expect("writer");
    let reader = MongoReader::open(&db.url).expect("reader");
    let now = shared::now_ms();
    let day = 86_400_000;
    writer
        .append(&[
            // Past the retention, within the TTL backstop's grace: the purge
            // (not the TTL) removes it, with its rollups.
            batch("old", "v1", vec![page_view("o1", now - 31 * day)]),
            batch("new", "v2", vec![page_view("n1", now - day)]),
        ])
        .expect("append");
    let removed = writer.expire_before(now - 30 * day).expect("expire");
    assert_eq!(removed, 1);
    let indexes = db.raw(async |db| {
        let mut cursor = db
            .collection::<Document>("events")
            .list_indexes()
            .await
            .expect("indexes");
        let mut ttl = Vec::new();
        while cursor.advance().await.expect("advance") {
            let index = cursor.deserialize_current().expect("index");
            if let Some(after) = index.options.and_then(|o| o.expire_after) {
                ttl.push((index.keys, after));
            }
        }
        ttl
    });
    assert_eq!(
        indexes,
        [(doc! { "at": 1 }, Duration::from_secs(32 * 86_400))],
        "retention plus two days"
    );
    let sessions = reader
        .sessions(
            &Filter::default(),
            Sort {
                key: SessionSortKey::Start,
                descending: false,
            },
            PageRequest::first(10),
        )
        .expect("sessions");
    let ids: Vec<&str> = sessions
        .rows
        .iter()
        .map(|s| s.session_id.as_str())
        .collect();
    assert_eq!(ids, ["new"]);
}

#[test]
fn a_commit_that_failed_half_way_is_repaired_before_the_next() {
    let Some(uri) = server() else {
        return;
    };
    let db = Fresh::new(&uri, "repair");
    // A commit that stopped after its inserts: events marked pending, no
    // rollup, and a rage burst half counted.
    let mut writer = MongoWriter::open(&db.url).expect("writer");
    writer
        .append(&[batch("s1", "v1", vec![page_view("p1", T0)])])
        .expect("append");
    writer
        .append(&[batch("s2", "v2", vec![page_view("q1", T0)])])
        .expect("append");
    drop(writer);
    // A token from 1970: long past its lease.
    let stale =
        mongodb::bson::oid::ObjectId::from_bytes([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]).to_hex();
    db.raw(async |raw| {
        let events = raw.collection::<Document>("events");
        let template = events
            .find_one(doc! {})
            .await
            .expect("find")
            .expect("the event");
        for (i, x) in [(0_i64, 10_i32), (1, 11), (2, 12)] {
            let mut d = template.clone();
            d.insert("_id", format!("4:shopc{i}"));
            d.insert("id", format!("c{i}"));
            d.insert("kind", EventKind::Click.code());
            d.insert("ts", T0 + 1000 + 100 * i);
            d.insert("seq", 100 + i);
            d.insert("x", x);
            d.insert("y", 100);
            d.insert("pw", 1280_i64);
            d.insert("vw", 1280_i64);
            d.insert("ph", 3000_i64);
            d.insert("pending", &stale);
            d.insert("hk", "bucket");
            d.insert("seg", 0_i64);
            d.insert("day", T0 - T0 % 86_400_000);
            d.insert("gx", 2_i64);
            d.insert("gy", 25_i64);
            events.insert_one(d).await.expect("insert");
        }
        // A session with nothing pending: the repair must leave it alone.
        raw.collection::<Document>("sessions")
            .update_one(
                doc! { "session": "s2" },
                doc! { "$set": { "untouched": 1 } },
            )
            .await
            .expect("mark s2");
    });
    let mut writer = MongoWriter::open(&db.url).expect("reopen repairs");
    let reader = MongoReader::open(&db.url).expect("reader");
    let journey = reader
        .journey(&SessionRef {
            site: Some("shop".into()),
            session_id: "s1".into(),
        })
        .expect("journey")
        .expect("the session");
    assert_eq!(
        (
            journey.session.events,
            journey.session.clicks,
            journey.session.rage_clicks
        ),
        (4, 3, 3)
    );
    assert!(journey.steps.iter().filter(|e| e.rage_click).count() == 3);
    let sessions = collection_docs(&db, "sessions");
    let s2 = sessions
        .iter()
        .find(|d| d.get_str("session") == Ok("s2"))
        .expect("session s2");
    assert!(
        s2.get("untouched").is_some(),
        "the repair rebuilt a session that had nothing pending: {s2}"
    );
    assert!(collection_docs(&db, "events")
        .iter()
        .all(|d| d.get("pending").is_none()));
    let cells = collection_docs(&db, "heat_cells");
    assert_eq!(cells.len(), 1, "{cells:?}");
    let number = |field: &str| match cells[0].get(field) {
        Some(mongodb::bson::Bson::Int32(n)) => i64::from(*n),
        Some(mongodb::bson::Bson::Int64(n)) => *n,
        other => panic!("{field} is {other:?}"),
    };
    assert_eq!((number("clicks"), number("rage_clicks")), (3, 3));
    // The resent events are duplicates and count nothing twice.
    let outcome = writer
        .append(&[batch(
            "s1",
            "v1",
            vec![click("c0", T0 + 1000, 10), click("c9", T0 + 5000, 500)],
        )])
        .expect("append");
    assert_eq!((outcome[0].inserted, outcome[0].duplicates), (1, 1));
    let page = reader
        .pages(
            &Filter::default(),
            None,
            Sort {
                key: PageSortKey::Page,
                descending: false,
            },
            PageRequest::first(10),
        )
        .expect("pages");
    assert_eq!((page[0].clicks, page[0].rage_clicks), (4, 3));
}

/// ingestd drops a writer whose commit failed and opens another: the new
/// writer repairs that commit before its own first commit, without waiting
/// for the lease that protects other writers' commits in flight.
#[test]
fn a_writer_opened_after_a_failed_one_repairs_its_commits_at_once() {
    let Some(uri) = server() else {
        return;
    };
    let db = Fresh::new(&uri, "handover");
    let mut writer = MongoWriter::open(&db.url).expect("writer");
    writer
        .append(&[batch("s1", "v1", vec![page_view("p1", T0)])])
        .expect("append");
    // Two sessions of one site can no longer be stored: the next commit
    // inserts its events, then fails on its session rollup.
    db.raw(async |raw| {
        raw.collection::<Document>("sessions")
            .create_index(
                mongodb::IndexModel::builder()
                    .keys(doc! { "site": 1 })
                    .options(
                        mongodb::options::IndexOptions::builder()
                            .unique(true)
                            .name("one_session_per_site".to_owned())
                            .build(),
                    )
                    .build(),
            )
            .await
            .expect("unique index");
    });
    let failed = writer.append(&[batch(
        "s2",
        "v2",
        vec![page_view("q1", T0 + 1000), click("c1", T0 + 2000, 10)],
    )]);
    assert!(failed.is_err(), "the commit should fail: {failed:?}");
    let pending = |db: &Fresh| {
        collection_docs(db, "events")
            .iter()
            .filter(|d| d.get("pending").is_some())
            .count()
    };
    assert_eq!(pending(&db), 2, "the failed commit's events stay marked");
    drop(writer);
    db.raw(async |raw| {
        // Found by its key: some servers rename the indexes they are given.
        let sessions = raw.collection::<Document>("sessions");
        let mut indexes = sessions.list_indexes().await.expect("indexes");
        while indexes.advance().await.expect("next index") {
            let index = indexes.deserialize_current().expect("an index");
            if index.keys == doc! { "site": 1 } {
                let name = index.options.and_then(|o| o.name).expect("its name");
                sessions.drop_index(name).await.expect("drop the index");
            }
        }
    });
    let mut writer = MongoWriter::open(&db.url).expect("a new writer");
    writer
        .append(&[batch("s3", "v3", vec![page_view("r1", T0 + 3000)])])
        .expect("the next commit");
    assert_eq!(pending(&db), 0, "the new writer repaired the failed commit");
    let reader = MongoReader::open(&db.url).expect("reader");
    let journey = reader
        .journey(&SessionRef {
            site: Some("shop".into()),
            session_id: "s2".into(),
        })
        .expect("journey")
        .expect("session s2 rebuilt from its events");
    assert_eq!((journey.session.events, journey.session.clicks), (2, 1));
}

#[test]
fn a_dead_server_fails_an_append_within_seconds() {
    let Some(uri) = server() else {
        return;
    };
    let db = Fresh::new(&uri, "dead");
    let relay = Relay::start(server_address(&uri));
    let url = format!(
        "mongodb://127.0.0.1:{}/{}?directConnection=true",
        relay.port, db.name
    );
    let mut writer = MongoWriter::open(&url).expect("writer through the relay");
    writer
        .append(&[batch("s1", "v1", vec![page_view("e1", T0)])])
        .expect("append while the server is up");
    relay.cut();
    let started = Instant::now();
    let failed = writer.append(&[batch("s1", "v1", vec![page_view("e2", T0 + 1)])]);
    assert!(
        failed.as_ref().err().and_then(StoreError::engine) == Some(Engine::Mongo),
        "{:?}",
        failed.map(|o| o.len())
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "gave up only after {:?}",
        started.elapsed()
    );
    // A server that accepts connections and never answers fails too.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let opened = MongoWriter::open(&format!("mongodb://127.0.0.1:{port}/x"));
    assert_eq!(
        opened.as_ref().err().and_then(StoreError::engine),
        Some(Engine::Mongo)
    );
}

/// Drops database `name`; a test fails if its database cannot be dropped.
fn drop_database(uri: &str, name: &str) {
    testkit::mongo::drop_database(uri, name).unwrap_or_else(|e| panic!("{e}"));
}

/// Sessions stored before steps were kept get them, and their quick backs,
/// from their events when a writer opens the database (once).
#[test]
fn sessions_stored_before_steps_get_them_when_a_writer_opens() {
    let Some(uri) = server() else {
        return;
    };
    let db = Fresh::new(&uri, "steps");
    let view = |id: &str, ts: i64, path: &str| Event {
        url: format!("https://shop.example{path}"),
        page_key: format!("shop.example{path}"),
        ..page_view(id, ts)
    };
    let mut writer = MongoWriter::open(&db.url).expect("writer");
    writer
        .append(&[batch(
            "s1",
            "v1",
            vec![
                view("a", T0, "/a"),
                view("b", T0 + 1_000, "/b"),
                view("c", T0 + 3_000, "/a"),
            ],
        )])
        .expect("append");
    drop(writer);
    let read = || {
        let reader = MongoReader::open(&db.url).expect("reader");
        let steps = reader.steps(&Filter::default()).expect("steps");
        let session = reader
            .sessions(
                &Filter::default(),
                Sort {
                    key: SessionSortKey::Start,
                    descending: false,
                },
                PageRequest::first(5),
            )
            .expect("sessions")
            .rows;
        (
            steps.sessions().map(|s| s.steps.len()).collect::<Vec<_>>(),
            session[0].quick_backs,
        )
    };
    assert_eq!(read(), (vec![3], 1));
    // As an older version left it.
    db.raw(async |raw| {
        raw.collection::<Document>("sessions")
            .update_many(
                doc! {},
                doc! { "$unset": { "steps": "", "quick_backs": "" } },
            )
            .await
            .expect("unset");
        raw.collection::<Document>("meta")
            .delete_many(doc! { "_id": "steps_backfilled" })
            .await
            .expect("forget the back-fill");
    });
    assert_eq!(read(), (vec![], 0));
    drop(MongoWriter::open(&db.url).expect("a writer back-fills"));
    assert_eq!(read(), (vec![3], 1));
}

/// Scroll reports stored before scroll reach was kept (no bucket, no
/// `heat_reach`), or before its folds were, are counted into it when a
/// writer opens the database (once), as reports stored since are.
#[test]
fn scroll_reports_stored_before_reach_are_counted_when_a_writer_opens() {
    let Some(uri) = server() else {
        return;
    };
    let db = Fresh::new(&uri, "reach");
    let report = |id: &str, ts: i64, depth: f64| Event {
        kind: EventKind::Scroll,
        depth: Some(depth),
        viewport: Some(shared::event::Size {
            width: 1280,
            height: 700,
        }),
        page: Some(shared::event::Size {
            width: 1280,
            height: 2000,
        }),
        ..page_view(id, ts)
    };
    let mut writer = MongoWriter::open(&db.url).expect("writer");
    writer
        .append(&[
            batch(
                "s1",
                "v1",
                vec![page_view("a", T0), report("b", T0 + 1_000, 0.5)],
            ),
            batch(
                "s2",
                "v2",
                vec![page_view("c", T0), report("d", T0 + 2_000, 1.0)],
            ),
        ])
        .expect("append");
    drop(writer);
    let read = || {
        let reader = MongoReader::open(&db.url).expect("reader");
        let reach = reader
            .scroll_reach(&HeatmapQuery {
                pages: shared::page_key::PagePattern::new("/"),
                filter: Filter::default(),
                segment: WidthSegment::All,
                columns: 100,
            })
            .expect("scroll reach");
        let points: Vec<(u32, f64)> = reach.points.iter().map(|p| (p.y, p.share)).collect();
        (reach.views, points, reach.fold)
    };
    // 700 px viewports: the fold ends the band at 704 px.
    let counted = (2, vec![(0, 1.0), (1000, 0.5), (2000, 0.0)], Some(704));
    assert_eq!(read(), counted);
    // As the version before folds left it.
    db.raw(async |raw| {
        raw.collection::<Document>("heat_reach")
            .update_many(doc! {}, doc! { "$unset": { "folds": "" } })
            .await
            .expect("unset the folds");
        raw.collection::<Document>("meta")
            .delete_many(doc! { "_id": "reach_folds_backfilled" })
            .await
            .expect("forget the back-fill");
    });
    assert_eq!(read(), (counted.0, counted.1.clone(), None));
    drop(MongoWriter::open(&db.url).expect("a writer back-fills the folds"));
    assert_eq!(read(), counted);
    // As an older version left it.
    db.raw(async |raw| {
        raw.collection::<Document>("events")
            .update_many(
                doc! { "kind": EventKind::Scroll.code() },
                doc! { "$unset": { "hk": "", "seg": "", "day": "" } },
            )
            .await
            .expect("unset");
        raw.collection::<Document>("heat_reach")
            .delete_many(doc! {})
            .await
            .expect("drop the reach");
        raw.collection::<Document>("meta")
            .delete_many(doc! { "_id": "reach_folds_backfilled" })
            .await
            .expect("forget the back-fill");
    });
    assert_eq!(read(), (0, vec![], None));
    drop(MongoWriter::open(&db.url).expect("a writer back-fills"));
    assert_eq!(read(), counted);
}
