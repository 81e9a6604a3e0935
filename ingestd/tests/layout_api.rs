//! Layout snapshots over HTTP: when a `200` reply asks for one, what a
//! snapshot costs and is answered with, and sites with capture turned off.

mod common;

use common::*;
use serde_json::{json, Value};
use shared::page_key::PagePattern;
use shared::store::layout_query::LayoutQuery;
use shared::store::query::{Filter, PageRequest, WidthSegment};
use shared::store::EventReader;

const URL: &str = "https://shop.example/p/1";

fn view_at(id: &str, width: u32) -> Value {
    json!({"id": id, "type": "page_view", "ts": now_ms(), "url": URL,
           "viewport": [width, 800], "page": [width, 3000]})
}

fn click_on(id: &str, selector: &str) -> Value {
    json!({"id": id, "type": "click", "ts": now_ms(), "url": URL, "x": 100, "y": 100,
           "viewport": [1280, 800], "page": [1280, 3000],
           "target": {"selector": selector, "box": [90, 90, 20, 20]}})
}

fn snapshot(id: &str, width: u32, selectors: &[&str]) -> Value {
    let boxes: Vec<Value> = selectors
        .iter()
        .map(|s| json!({"selector": s, "kind": "button", "text": "Buy", "box": [10, 10, 80, 30]}))
        .collect();
    json!({"id": id, "type": "layout", "ts": now_ms(), "url": URL,
           "viewport": [width, 800], "page": [width, 3000], "boxes": boxes})
}

async fn post(client: &mut Client, session: &str, events: Vec<Value>) -> Value {
    let reply = client.post_json(&batch("demo", session, events)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.json()
}

/// Whether a reply asks for a snapshot: `"layout": true`, absent otherwise.
fn asks(reply: &Value) -> bool {
    match reply.get("layout") {
        None => false,
        Some(Value::Bool(true)) => true,
        Some(other) => panic!("layout is {other}: absent when false"),
    }
}

#[tokio::test]
async fn a_reply_asks_for_a_snapshot_once_per_page_and_width_segment() {
    let mut server = TestServer::start(config()).await;
    let mut client = server.client().await;
    assert!(asks(
        &post(&mut client, "s1", vec![view_at("v1", 1280)]).await
    ));
    // Asked already: the next visitor is not asked while it is on its way.
    assert!(!asks(
        &post(&mut client, "s2", vec![view_at("v2", 1440)]).await
    ));
    // A phone's width is another layout.
    assert!(asks(
        &post(&mut client, "s3", vec![view_at("v3", 390)]).await
    ));

    // The snapshot alone: committed as a layout (not an event), not asked again.
    let reply = post(&mut client, "s1", vec![snapshot("l1", 1280, &["#buy"])]).await;
    assert_eq!(reply["accepted"], 1);
    assert_eq!(reply["rejected"], json!([]));
    assert!(!asks(&reply));
    assert!(!asks(
        &post(&mut client, "s4", vec![view_at("v4", 1280)]).await
    ));
    let stored = server
        .reader()
        .events(&Filter::default(), PageRequest::first(100))
        .expect("events");
    let ids: Vec<&str> = stored.iter().map(|e| e.event.id.as_str()).collect();
    assert_eq!(ids.len(), 4, "the page views only: {ids:?}");
    assert!(!ids.contains(&"l1"));
    let layouts = server
        .reader()
        .layouts(&LayoutQuery {
            site: Some("demo".into()),
            pages: PagePattern::new("/p/1"),
            segment: WidthSegment::Desktop,
        })
        .expect("layouts");
    assert_eq!(layouts.len(), 1, "the snapshot is stored: {layouts:?}");
    assert_eq!(layouts[0].layout.boxes[0].selector, "#buy");

    let metrics = client.get("/metrics").await;
    let text = String::from_utf8_lossy(&metrics.body);
    assert!(text.contains("ingestd_layout_asks_total 2\n"), "{text}");
    assert!(
        text.contains("ingestd_layouts_received_total 1\n"),
        "{text}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_beacon_is_not_asked_for_a_snapshot() {
    let mut server = TestServer::start(config()).await;
    let mut client = server.client().await;
    let body = batch("demo", "s1", vec![view_at("v1", 1280)]).to_string();
    let reply = client.post(body, &[("sec-fetch-mode", "no-cors")]).await;
    assert_eq!(reply.status, 200);
    assert!(!asks(&reply.json()), "nobody reads a beacon's reply");
    // The same events again by fetch: that reply is read, so it asks.
    let body = batch("demo", "s1", vec![view_at("v1", 1280)]).to_string();
    let reply = client.post(body, &[("sec-fetch-mode", "cors")]).await;
    assert!(asks(&reply.json()));
    server.stop().await;
}

#[tokio::test]
async fn a_click_on_an_element_the_snapshot_lacks_asks_for_a_new_one() {
    let mut server = TestServer::start(config()).await;
    let mut client = server.client().await;
    let first = post(
        &mut client,
        "s1",
        vec![view_at("v1", 1280), snapshot("l1", 1280, &["#buy"])],
    )
    .await;
    assert_eq!(first["accepted"], 2);
    assert!(!asks(&first), "the batch brought one");
    assert!(!asks(
        &post(&mut client, "s1", vec![click_on("c1", "#buy")]).await
    ));
    // A new element: the page changed.
    assert!(asks(
        &post(&mut client, "s2", vec![click_on("c2", "#new")]).await
    ));
    let reply = post(
        &mut client,
        "s2",
        vec![snapshot("l2", 1280, &["#buy", "#new"])],
    )
    .await;
    assert!(!asks(&reply));
    assert!(!asks(
        &post(&mut client, "s3", vec![click_on("c3", "#new")]).await
    ));
    server.stop().await;
}

#[tokio::test]
async fn a_bad_snapshot_costs_itself_alone() {
    let mut server = TestServer::start(config()).await;
    let mut client = server.client().await;
    let mut broken = snapshot("l1", 1280, &["#buy"]);
    broken["boxes"][0]["box"] = json!([0, 0, -5, 10]);
    let reply = post(&mut client, "s1", vec![view_at("v1", 1280), broken]).await;
    assert_eq!(reply["accepted"], 1);
    assert_eq!(reply["rejected"][0]["index"], 1);
    assert_eq!(reply["rejected"][0]["code"], "invalid_layout");
    let reason = reply["rejected"][0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("boxes[0].box"), "{reason}");

    // A batch of nothing but a bad snapshot is refused.
    let mut broken = snapshot("l2", 1280, &["#buy"]);
    broken["boxes"] = Value::Null;
    let reply = client.post_json(&batch("demo", "s1", vec![broken])).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["rejected"][0]["code"], "missing_field");
    server.stop().await;
}

#[tokio::test]
async fn a_site_with_capture_off_is_never_asked_and_its_snapshots_are_rejected() {
    let mut server = TestServer::start(ingestd::Config {
        sites: vec!["demo".into(), "other".into()],
        layout_off: vec!["demo".into()],
        ..config()
    })
    .await;
    let mut client = server.client().await;
    let reply = post(&mut client, "s1", vec![view_at("v1", 1280)]).await;
    assert!(!asks(&reply));
    let reply = post(
        &mut client,
        "s1",
        vec![view_at("v2", 1280), snapshot("l1", 1280, &["#buy"])],
    )
    .await;
    assert_eq!(reply["accepted"], 1);
    assert_eq!(reply["rejected"][0]["code"], "layout_off");
    let reply = client
        .post_json(&batch("demo", "s1", vec![snapshot("l2", 1280, &["#buy"])]))
        .await;
    assert_eq!(reply.status, 400);
    // Another site keeps its capture.
    let reply = client
        .post_json(&batch("other", "s2", vec![view_at("v3", 1280)]))
        .await;
    assert!(asks(&reply.json()));
    server.stop().await;
}

#[tokio::test]
async fn snapshots_of_pages_on_other_hosts_are_rejected() {
    let mut server = TestServer::start(ingestd::Config {
        sites: vec!["demo=https://shop.example".into()],
        ..config()
    })
    .await;
    let mut client = server.client().await;
    let mut elsewhere = snapshot("l1", 1280, &["#buy"]);
    elsewhere["url"] = json!("https://evil.example/");
    let reply = post(&mut client, "s1", vec![view_at("v1", 1280), elsewhere]).await;
    assert_eq!(reply["rejected"][0]["code"], "host_not_allowed");
    server.stop().await;
}

#[tokio::test]
async fn the_contract_document_describes_layouts() {
    let mut server = TestServer::start(config()).await;
    let mut client = server.client().await;
    let doc = client.get("/openapi.json").await.json();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["Event"]["discriminator"]["mapping"]["layout"],
        "#/components/schemas/Layout"
    );
    assert_eq!(schemas["Layout"]["properties"]["boxes"]["maxItems"], 400);
    assert_eq!(
        schemas["Layout"]["required"],
        json!(["id", "type", "ts", "url", "viewport", "page", "boxes"])
    );
    assert_eq!(
        schemas["IngestReply"]["properties"]["layout"]["type"],
        "boolean"
    );
    let codes = &schemas["RejectedEvent"]["properties"]["code"]["enum"];
    let codes: Vec<&str> = codes
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert!(codes.contains(&"invalid_layout") && codes.contains(&"layout_off"));
    server.stop().await;
}

#[tokio::test]
async fn a_restart_remembers_the_stored_snapshots() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("analytics.db");
    let opener = || ingestd::opener_for(shared::store::DbUrl::Sqlite(db_path.clone()));
    let mut first = TestServer::start_with(config(), dir, db_path.clone(), opener()).await;
    let mut client = first.client().await;
    assert!(asks(
        &post(&mut client, "s1", vec![view_at("v1", 1280)]).await
    ));
    post(&mut client, "s1", vec![snapshot("l1", 1280, &["#buy"])]).await;
    first.stop().await;

    let spare = tempfile::tempdir().expect("temp dir");
    let mut second = TestServer::start_with(config(), spare, db_path.clone(), opener()).await;
    let mut client = second.client().await;
    assert!(
        !asks(&post(&mut client, "s2", vec![view_at("v2", 1440)]).await),
        "the desktop snapshot was read from the store"
    );
    assert!(
        asks(&post(&mut client, "s3", vec![view_at("v3", 390)]).await),
        "a phone's layout was never taken"
    );
    second.stop().await;
}
