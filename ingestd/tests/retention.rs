//! `--retention-days`: the daemon's writer deletes sessions past retention at
//! start-up (and hourly), between commits, and keeps taking events.

mod common;

use common::*;
use hyper::StatusCode;
use shared::event::{ClientInfo, Event, EventBatch, EventKind};
use shared::store::query::{Filter, PageRequest, SessionSortKey, Sort};
use shared::store::sqlite::SqliteWriter;
use shared::store::{DbUrl, EventReader, EventWriter};
use std::time::{Duration, Instant};

const DAY: i64 = 86_400_000;

fn stored_session(id: &str, ts: i64) -> EventBatch {
    EventBatch {
        site: "demo".into(),
        session_id: id.into(),
        visitor_id: format!("v-{id}"),
        client: ClientInfo::default(),
        events: vec![Event {
            id: format!("{id}-1"),
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
        }],
    }
}

fn session_ids(server: &TestServer) -> Vec<String> {
    let sort = Sort {
        key: SessionSortKey::Start,
        descending: false,
    };
    let mut ids: Vec<String> = server
        .reader()
        .sessions(&Filter::default(), sort, PageRequest::first(100))
        .expect("sessions")
        .rows
        .into_iter()
        .map(|s| s.session_id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn sessions_past_retention_are_deleted_and_ingest_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("analytics.db");
    let now = now_ms();
    {
        let mut writer = SqliteWriter::open(&db_path).expect("create");
        writer
            .append(&[
                stored_session("old", now - 10 * DAY),
                stored_session("edge", now - 3 * DAY + 60_000),
                stored_session("recent", now - DAY / 2),
            ])
            .expect("append");
    }
    let config = ingestd::Config {
        retention_days: 3,
        ..config()
    };
    let opener = ingestd::opener_for(DbUrl::Sqlite(db_path.clone()));
    let mut server = TestServer::start_with(config, dir, db_path, opener).await;

    let deadline = Instant::now() + Duration::from_secs(10);
    while session_ids(&server).contains(&"old".to_owned()) {
        assert!(Instant::now() < deadline, "the old session was not expired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(session_ids(&server), ["edge", "recent"]);

    let mut client = server.client().await;
    let reply = client
        .post_json(&batch(
            "demo",
            "fresh",
            vec![page_view("fresh-1", "https://shop.example/", now)],
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(session_ids(&server), ["edge", "fresh", "recent"]);
    server.stop().await;
}
