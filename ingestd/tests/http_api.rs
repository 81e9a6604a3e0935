//! The HTTP API over a real socket: statuses, replies, CORS, limits, metrics,
//! idempotency, shutdown draining, and the store's rollups behind it.

mod common;

use common::*;
use serde_json::{json, Value};
use shared::store::query::*;
use shared::store::EventReader;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const URL: &str = "https://shop.example/p/1";

#[tokio::test]
async fn mixed_batch_stores_valid_events_and_lists_rejected() {
    let mut server = TestServer::start(config()).await;
    let mut client = server.client().await;
    let now = now_ms();
    let body = batch(
        "demo",
        "s1",
        vec![
            page_view("e1", URL, now),
            json!({"id": "e2", "type": "teleport", "ts": now, "url": URL}),
            click("e3", URL, now + 10, 100, 200),
            json!({"id": "e4", "type": "click", "ts": now, "url": "ftp://x/"}),
        ],
    );
    let reply = client.post_json(&body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let json = reply.json();
    assert_eq!(json["accepted"], 2);
    assert_eq!(json["duplicates"], 0);
    let rejected: Vec<(u64, &str)> = json["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["index"].as_u64().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(rejected, vec![(1, "unknown_type"), (3, "invalid_url")]);
    assert!(json["rejected"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("teleport"));

    let journey = server
        .reader()
        .journey(&SessionRef {
            site: Some("demo".into()),
            session_id: "s1".into(),
        })
        .unwrap()
        .unwrap();
    let ids: Vec<&str> = journey.steps.iter().map(|s| s.event.id.as_str()).collect();
    assert_eq!(ids, vec!["e1", "e3"]);
    assert_eq!(journey.session.client.browser, "Chrome");
    server.stop().await;
}

#[tokio::test]
async fn resent_batches_are_never_duplicated() {
    let mut server = TestServer::start(config()).await;
    let mut client = server.client().await;
    let now = now_ms();
    let body = batch(
        "demo",
        "s1",
        vec![page_view("a", URL, now), click("b", URL, now + 1, 5, 5)],
    );
    for round in 0..3 {
        let reply = client.post_json(&body).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json()["accepted"], 2);
        assert_eq!(reply.json()["duplicates"], if round == 0 { 0 } else { 2 });
    }
    let mixed = batch(
        "demo",
        "s1",
        vec![
            click("b", URL, now + 1, 5, 5),
            click("c", URL, now + 2, 6, 6),
        ],
    );
    assert_eq!(client.post_json(&mixed).await.json()["duplicates"], 1);

    let reader = server.reader();
    let page = reader
        .sessions(
            &Filter::default(),
            Sort {
                key: SessionSortKey::Start,
                descending: true,
            },
            PageRequest::first(10),
        )
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(
        (
            page.rows[0].events,
            page.rows[0].page_views,
            page.rows[0].clicks
        ),
        (3, 1, 2)
    );
    assert_eq!(
        reader
            .events(&Filter::default(), PageRequest::first(100))
            .unwrap()
            .len(),
        3
    );
    server.stop().await;
}

#[tokio::test]
async fn bad_requests_get_actionable_400s() {
    let mut server = TestServer::start(config()).await;
    let mut client = server.client().await;

    let reply = client.post("{\"site\": \"demo\", ", &[]).await;
    assert_eq!(reply.status, 400);
    assert!(reply.json()["error"]
        .as_str()
        .unwrap()
        .contains("not a valid event batch"));

    let reply = client
        .post_json(&json!({"site": "demo", "session_id": "s", "events": []}))
        .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.json()["error"]
            .as_str()
            .unwrap()
            .contains("visitor_id"),
        "{:?}",
        reply.json()
    );

    let reply = client
        .post_json(&batch(
            "demo",
            "s",
            vec![json!({"id": "x", "type": "click", "ts": now_ms(), "url": URL})],
        ))
        .await;
    assert_eq!(reply.status, 400);
    let json = reply.json();
    assert!(json["error"].as_str().unwrap().contains("no valid event"));
    assert_eq!(json["rejected"][0]["code"], "missing_field");

    let reply = client.post(vec![0xff, 0xfe, 0x00], &[]).await;
    assert_eq!(reply.status, 400);

    let reply = client.get("/nope").await;
    assert_eq!(reply.status, 404);
    let reply = client.get("/api/events").await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("POST, OPTIONS"));
    server.stop().await;
}

#[tokio::test]
async fn oversized_bodies_get_413_before_buffering() {
    let mut server = TestServer::start(config()).await;
    let limit = shared::limits::MAX_BODY_BYTES;

    // Declared too large: refused from the header alone.
    let mut client = server.client().await;
    let reply = client.post(vec![b' '; limit + 1], &[]).await;
    assert_eq!(reply.status, 413);
    assert!(reply.json()["error"]
        .as_str()
        .unwrap()
        .contains("larger than"));

    // Chunked with no length: refused while streaming, long before the sender finishes.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST /api/events HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n")
        .await
        .unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
    let mut status = String::new();
    for _ in 0..64 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
        let mut buf = [0u8; 64];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(20), stream.read(&mut buf)).await
        {
            status = String::from_utf8_lossy(&buf[..n]).into_owned();
            break;
        }
    }
    assert!(status.starts_with("HTTP/1.1 413"), "got {status:?}");

    // A body exactly at the limit is read (and then judged on its content).
    let mut client = server.client().await;
    let mut body = batch("demo", "s", vec![page_view("a", URL, now_ms())])
        .to_string()
        .into_bytes();
    body.resize(limit, b' ');
    assert_eq!(client.post(body, &[]).await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn slow_bodies_time_out_with_408() {
    let mut server = TestServer::start(ingestd::Config {
        body_timeout_secs: 1,
        ..config()
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST /api/events HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{\"site\":")
        .await
        .unwrap();
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408"));
    server.stop().await;
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let mut server = TestServer::start(ingestd::Config {
        rate_limit: 1.0,
        rate_burst: 3.0,
        ..config()
    })
    .await;
    let mut client = server.client().await;
    let now = now_ms();
    for i in 0..3 {
        let body = batch("demo", "s", vec![page_view(&format!("e{i}"), URL, now)]);
        assert_eq!(client.post_json(&body).await.status, 200);
    }
    let reply = client
        .post_json(&batch("demo", "s", vec![page_view("e9", URL, now)]))
        .await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("retry-after"), Some("1"));
    // Health checks are never limited.
    assert_eq!(client.get("/healthz").await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn full_queue_answers_503_and_stores_nothing() {
    let mut server = TestServer::start(ingestd::Config {
        queue_bytes: 10,
        ..config()
    })
    .await;
    let mut client = server.client().await;
    let reply = client
        .post_json(&batch("demo", "s", vec![page_view("a", URL, now_ms())]))
        .await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert!(server
        .reader()
        .events(&Filter::default(), PageRequest::first(10))
        .unwrap()
        .is_empty());
    let metrics = client.get("/metrics").await;
    assert!(String::from_utf8_lossy(&metrics.body)
        .contains("ingestd_requests_rejected_total{reason=\"queue_full\"} 1"));
    server.stop().await;
}

#[tokio::test]
async fn database_failure_answers_503_then_recovers_by_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("analytics.db");
    let path = db_path.clone();
    let mut opened = 0;
    // The first handle refuses every write, as a database gone read-only does;
    // reopening gives a healthy one.
    let opener: ingestd::WriterOpener = Box::new(move || {
        opened += 1;
        let writer = shared::store::sqlite::SqliteWriter::open(&path)?;
        if opened == 1 {
            writer
                .connection()
                .pragma_update(None, "query_only", true)?;
        }
        Ok(Box::new(writer))
    });
    let mut server = TestServer::start_with(config(), dir, db_path, opener).await;
    let mut client = server.client().await;
    let now = now_ms();
    let reply = client
        .post_json(&batch("demo", "s", vec![page_view("a", URL, now)]))
        .await;
    assert_eq!(reply.status, 503, "{:?}", reply.body);
    assert!(reply.header("retry-after").is_some());
    assert!(reply.json()["error"]
        .as_str()
        .unwrap()
        .contains("nothing was stored"));
    assert!(server
        .reader()
        .events(&Filter::default(), PageRequest::first(10))
        .unwrap()
        .is_empty());

    let mut status = 0;
    for _ in 0..50 {
        status = client
            .post_json(&batch("demo", "s", vec![page_view("a", URL, now)]))
            .await
            .status
            .as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 200);
    assert_eq!(
        server
            .reader()
            .events(&Filter::default(), PageRequest::first(10))
            .unwrap()
            .len(),
        1
    );
    server.stop().await;
}

#[tokio::test]
async fn sites_and_origins_are_enforced_with_cors() {
    let config = ingestd::Config {
        sites: vec!["demo".into(), "shop=https://shop.example".into()],
        ..config()
    };
    let mut server = TestServer::start(config).await;
    let mut client = server.client().await;
    let now = now_ms();

    let reply = client
        .post_json(&batch("unknown", "s", vec![page_view("a", URL, now)]))
        .await;
    assert_eq!(reply.status, 403);

    let body = batch("shop", "s", vec![page_view("b", URL, now)]).to_string();
    let reply = client
        .post(body.clone(), &[("origin", "https://evil.example")])
        .await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.header("access-control-allow-origin"), None);

    let reply = client
        .post(body, &[("origin", "https://shop.example")])
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://shop.example")
    );
    assert_eq!(reply.header("access-control-allow-credentials"), None);
    assert_eq!(
        reply.header("access-control-expose-headers"),
        Some("Retry-After")
    );

    let preflight = hyper::Request::options("/api/events")
        .header("host", "x")
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    let reply = client.send(preflight).await;
    assert_eq!(reply.status, 204);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://shop.example")
    );
    assert!(reply
        .header("access-control-allow-methods")
        .unwrap()
        .contains("POST"));
    server.stop().await;
}

#[tokio::test]
async fn health_metrics_and_openapi() {
    let mut server = TestServer::start(config()).await;
    let mut client = server.client().await;
    let reply = client.get("/healthz").await;
    assert_eq!(
        (reply.status.as_u16(), &reply.body[..]),
        (200, &b"ok\n"[..])
    );

    let now = now_ms();
    let body = batch(
        "demo",
        "s",
        vec![
            page_view("a", URL, now),
            json!({"id": "b", "type": "nope", "ts": now, "url": URL}),
        ],
    );
    assert_eq!(client.post_json(&body).await.status, 200);
    let metrics = String::from_utf8(client.get("/metrics").await.body.to_vec()).unwrap();
    for line in [
        "ingestd_events_received_total 2",
        "ingestd_events_accepted_total 1",
        "ingestd_events_rejected_total{reason=\"unknown_type\"} 1",
        "ingestd_commit_duration_seconds_count 1",
        "ingestd_commit_batch_events_count 1",
        "ingestd_queue_batches 0",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "missing {line:?} in\n{metrics}"
        );
    }

    let reply = client.get("/openapi.json").await;
    let doc: Value = reply.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["Event"]["discriminator"]["propertyName"], "type",
        "events are one schema per type"
    );
    for (schema, kind, own) in [
        ("PageView", "page_view", &[][..]),
        ("Click", "click", &["x", "y", "page_left", "target"][..]),
        ("Scroll", "scroll", &["depth"][..]),
        ("Custom", "custom", &["name", "props"][..]),
    ] {
        let s = &schemas[schema];
        assert_eq!(s["properties"]["type"]["const"], kind);
        let common = [
            "id", "type", "ts", "url", "title", "referrer", "viewport", "page",
        ];
        for field in common.iter().chain(own) {
            assert!(
                s["properties"].get(field).is_some(),
                "{schema} lacks {field}"
            );
        }
        let required = s["required"].as_array().unwrap();
        for field in ["x", "y", "depth", "name"]
            .iter()
            .filter(|f| own.contains(f))
        {
            assert!(
                required.iter().any(|r| r == field),
                "{schema}: {field} required"
            );
        }
    }
    assert_eq!(schemas["Scroll"]["properties"]["depth"]["maximum"], 1.05);
    assert_eq!(
        doc["components"]["schemas"]["Batch"]["properties"]["events"]["maxItems"],
        shared::limits::MAX_EVENTS_PER_BATCH
    );
    assert!(doc["paths"]["/api/events"]["post"]["responses"]["413"].is_object());
    server.stop().await;
}

#[tokio::test]
async fn shutdown_drains_the_queue_and_answers_every_request() {
    // A long commit delay keeps batches waiting in the queue when shutdown starts.
    let mut server = TestServer::start(ingestd::Config {
        commit_delay_ms: 400,
        commit_events: 100_000,
        ..config()
    })
    .await;
    let now = now_ms();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let addr = server.addr;
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(addr).await;
            let body = batch(
                "demo",
                &format!("s{i}"),
                vec![page_view(&format!("e{i}"), URL, now)],
            );
            client.post_json(&body).await.status.as_u16()
        }));
    }
    // Stop once every request is queued (however slowly the clients start on
    // a loaded machine): each then waits for the commit that shutdown makes.
    let mut probe = server.client().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(&probe.get("/metrics").await.body)
        .contains("ingestd_events_received_total 20\n")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "requests never queued"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(probe);
    server.stop().await;
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let reader = server.reader();
    assert_eq!(
        reader
            .events(&Filter::default(), PageRequest::first(100))
            .unwrap()
            .len(),
        20
    );
    // And nothing is listening any more.
    assert!(TcpStream::connect(server.addr).await.is_err());
}

#[tokio::test]
async fn rollups_match_raw_events_after_http_ingest() {
    let mut server = TestServer::start(config()).await;
    let mut client = server.client().await;
    let t = now_ms() - 60_000;
    let pages = [
        "https://shop.example/",
        "https://shop.example/p/1",
        "https://shop.example/p/2",
    ];
    for s in 0..6 {
        let mut events = Vec::new();
        for (i, page) in pages.iter().enumerate().take(1 + s % 3) {
            let ts = t + (s * 1000 + i * 100) as i64;
            events.push(page_view(&format!("s{s}-pv{i}"), page, ts));
            events.push(click(
                &format!("s{s}-c{i}"),
                page,
                ts + 10,
                100 + s as i64,
                200,
            ));
        }
        // Send in two out-of-order halves.
        let (first, second) = events.split_at(events.len() / 2);
        assert_eq!(
            client
                .post_json(&batch("demo", &format!("s{s}"), second.to_vec()))
                .await
                .status,
            200
        );
        assert_eq!(
            client
                .post_json(&batch("demo", &format!("s{s}"), first.to_vec()))
                .await
                .status,
            200
        );
    }
    let reader = server.reader();
    let raw = reader
        .events(&Filter::default(), PageRequest::first(1000))
        .unwrap();
    let sessions = reader
        .sessions(
            &Filter::default(),
            Sort {
                key: SessionSortKey::Start,
                descending: false,
            },
            PageRequest::first(100),
        )
        .unwrap();
    assert_eq!(sessions.total, 6);
    for summary in &sessions.rows {
        let mine: Vec<_> = raw
            .iter()
            .filter(|e| e.session_id == summary.session_id)
            .collect();
        let views: Vec<_> = mine
            .iter()
            .filter(|e| e.event.kind == shared::event::EventKind::PageView)
            .collect();
        assert_eq!(summary.events as usize, mine.len());
        assert_eq!(summary.page_views as usize, views.len());
        assert_eq!(summary.clicks as usize, mine.len() - views.len());
        assert_eq!(
            summary.start,
            mine.iter().map(|e| e.event.ts).min().unwrap()
        );
        assert_eq!(summary.end, mine.iter().map(|e| e.event.ts).max().unwrap());
        assert_eq!(
            summary.entry_page.as_deref(),
            Some(views[0].event.page_key.as_str())
        );
        assert_eq!(
            summary.exit_page.as_deref(),
            Some(views[views.len() - 1].event.page_key.as_str())
        );
    }
    let page_stats = reader
        .pages(
            &Filter::default(),
            None,
            Sort {
                key: PageSortKey::Page,
                descending: false,
            },
            PageRequest::first(10),
        )
        .unwrap();
    for stats in page_stats {
        let views = raw
            .iter()
            .filter(|e| {
                e.event.page_key == stats.page && e.event.kind == shared::event::EventKind::PageView
            })
            .count();
        assert_eq!(stats.views as usize, views, "{}", stats.page);
    }
    server.stop().await;
}

#[tokio::test]
async fn slow_headers_are_cut_off() {
    let mut server = TestServer::start(ingestd::Config {
        header_timeout_secs: 1,
        ..config()
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST /api/events HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = vec![0u8; 1024];
    // The server closes the connection (possibly after a 408) once the header timeout passes.
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(_)) => continue,
            Err(_) => panic!("connection still open after 5 s"),
        }
    }
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "closed too early: {waited:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let mut server = TestServer::start(ingestd::Config {
        max_connections: 2,
        ..config()
    })
    .await;
    let mut first = server.client().await;
    let mut second = server.client().await;
    assert_eq!(first.get("/healthz").await.status, 200);
    assert_eq!(second.get("/healthz").await.status, 200);
    // A third connection is not served while two are open…
    let addr = server.addr;
    let third = tokio::spawn(async move {
        let mut client = Client::connect(addr).await;
        client.get("/healthz").await.status.as_u16()
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !third.is_finished(),
        "third connection was served beyond the cap"
    );
    // …and is served as soon as one closes.
    drop(first);
    let status = tokio::time::timeout(Duration::from_secs(5), third)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status, 200);
    drop(second);
    server.stop().await;
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let mut server = TestServer::start(config()).await;
    for path in [
        "/healthz",
        "/metrics",
        "/openapi.json",
        "/tracker.js",
        "/demo/",
        "/demo/style.css",
        "/demo",
    ] {
        let get = raw_exchange(
            server.addr,
            format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes(),
        )
        .await;
        // A second request pipelined behind the HEAD: had the HEAD answer
        // carried a body, the second answer would not start right after it.
        let head = raw_exchange(
            server.addr,
            format!(
                "HEAD {path} HTTP/1.1\r\nhost: x\r\n\r\nGET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .await;
        let (get_status, mut get_fields, get_body) = split_head(&get);
        let (head_status, mut head_fields, after_head) = split_head(&head);
        assert_eq!(head_status, get_status, "{path}");
        assert!(!get_body.is_empty(), "{path}");
        let (next_status, _, next_body) = split_head(after_head);
        assert_eq!(
            next_status, "HTTP/1.1 200 OK",
            "{path}: bytes after the HEAD answer"
        );
        assert_eq!(next_body, b"ok\n", "{path}");
        // Same fields, bar the date, `connection: close` (asked for on the
        // GET only) and the length of the metrics text, which counts the
        // requests themselves.
        for fields in [&mut get_fields, &mut head_fields] {
            fields.retain(|(name, _)| {
                name != "date"
                    && name != "connection"
                    && !(path == "/metrics" && name == "content-length")
            });
            fields.sort();
        }
        assert_eq!(head_fields, get_fields, "{path}");
        assert!(
            path == "/metrics" || head_fields.iter().any(|(n, _)| n == "content-length"),
            "{path}: HEAD states the length GET would send"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn allow_lists_every_method_a_route_takes() {
    let mut server = TestServer::start(config()).await;
    let mut client = server.client().await;
    for path in [
        "/api/events",
        "/healthz",
        "/metrics",
        "/openapi.json",
        "/tracker.js",
        "/demo",
        "/demo/index.html",
    ] {
        let request = hyper::Request::delete(path)
            .header("host", "localhost")
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap();
        let reply = client.send(request).await;
        assert_eq!(reply.status, 405, "{path}");
        let allow = reply.header("allow").unwrap_or("").to_owned();
        let methods: Vec<&str> = allow.split(", ").collect();
        let expected: &[&str] = if path == "/api/events" {
            &["POST", "OPTIONS"]
        } else {
            &["GET", "HEAD"]
        };
        assert_eq!(methods, expected, "{path}");
        // Every method listed is answered by something other than 405.
        for method in methods {
            let request = hyper::Request::builder()
                .method(method)
                .uri(path)
                .header("host", "localhost")
                .body(http_body_util::Full::new(bytes::Bytes::new()))
                .unwrap();
            let status = client.send(request).await.status;
            assert_ne!(status, 405, "{method} {path}");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn http_1_1_requests_need_exactly_one_valid_host() {
    let mut server = TestServer::start(config()).await;
    let status_of = |reply: Vec<u8>| split_head(&reply).0;
    for (request, expected) in [
        (&b"GET /healthz HTTP/1.1\r\nconnection: close\r\n\r\n"[..], "HTTP/1.1 400 Bad Request"),
        (
            b"GET /healthz HTTP/1.1\r\nhost: a.example\r\nhost: a.example\r\nconnection: close\r\n\r\n",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"GET /healthz HTTP/1.1\r\nhost: a.example\r\nconnection: close\r\nhost: b.example\r\n\r\n",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"GET /healthz HTTP/1.1\r\nhost: a b\r\nconnection: close\r\n\r\n",
            "HTTP/1.1 400 Bad Request",
        ),
        (
            b"GET /healthz HTTP/1.1\r\nhost: a.example:8080\r\nconnection: close\r\n\r\n",
            "HTTP/1.1 200 OK",
        ),
        // HTTP/1.0 predates Host.
        (b"GET /healthz HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK"),
    ] {
        let reply = raw_exchange(server.addr, request).await;
        assert_eq!(
            status_of(reply),
            expected,
            "{}",
            String::from_utf8_lossy(request)
        );
    }

    // A POST without Host is refused before its body is read; the body is
    // read and dropped, and the connection serves the next request.
    let body = batch("demo", "s", vec![page_view("a", URL, now_ms())]).to_string();
    let request = format!(
        "POST /api/events HTTP/1.1\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{body}GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let reply = raw_exchange(server.addr, request.as_bytes()).await;
    let (status, _, rest) = split_head(&reply);
    assert_eq!(status, "HTTP/1.1 400 Bad Request");
    let text = String::from_utf8_lossy(rest);
    assert!(text.contains("Host"), "{text}");
    assert!(text.contains("HTTP/1.1 200 OK"), "{text}");
    assert!(server
        .reader()
        .events(&Filter::default(), PageRequest::first(10))
        .unwrap()
        .is_empty());
    server.stop().await;
}
