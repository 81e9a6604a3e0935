//! Security and privacy over real sockets: no raw IP address or user agent in
//! the database files, cookieless visitor ids, `X-Forwarded-For` only from
//! trusted proxies, the site's hostnames, and bot filtering with its metrics.

mod common;

use bytes::Bytes;
use common::*;
use http_body_util::Full;
use hyper::Request;
use serde_json::{json, Value};
use shared::store::query::*;
use shared::store::EventReader;
use std::path::Path;

/// A desktop Chrome whose version token appears nowhere else.
const UNIQUE_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.4242 Safari/537.36";
const CLIENT_IP: &str = "203.0.113.77";
const SHOP: &str = "https://shop.example/p/1";
const BLOG: &str = "https://blog.example/post/9";

fn request(
    body: &Value,
    user_agent: Option<&str>,
    headers: &[(&str, &str)],
) -> Request<Full<Bytes>> {
    let mut builder = Request::post("/api/events")
        .header("host", "localhost")
        .header("content-type", "text/plain");
    if let Some(ua) = user_agent {
        builder = builder.header("user-agent", ua);
    }
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("request")
}

fn privacy_config() -> ingestd::Config {
    ingestd::Config {
        sites: vec![
            "shop=https://shop.example".into(),
            "blog=https://blog.example".into(),
        ],
        cookieless: vec!["blog".into()],
        trusted_proxies: vec![ingestd::client_ip::parse_network("127.0.0.1").unwrap()],
        ..config()
    }
}

fn stored(server: &TestServer) -> Vec<StoredEvent> {
    server
        .reader()
        .events(&Filter::default(), PageRequest::first(1000))
        .unwrap()
}

/// The bytes of the database and its WAL (and shared-memory index, if any).
fn database_bytes(db: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", db.display());
        if let Ok(bytes) = std::fs::read(&path) {
            files.push((path, bytes));
        }
    }
    files
}

fn find(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn assert_absent(db: &Path, marker: &str) {
    let files = database_bytes(db);
    assert!(!files.is_empty(), "no database file at {}", db.display());
    // The scan does see what was stored: the page title is there.
    assert!(
        files.iter().any(|(_, b)| find(b, marker.as_bytes())),
        "the stored marker {marker:?} is in none of the files"
    );
    for (path, bytes) in &files {
        for secret in [
            CLIENT_IP,
            "127.0.0.1",
            UNIQUE_UA,
            "6778.4242",
            "X11; Linux x86_64",
        ] {
            assert!(!find(bytes, secret.as_bytes()), "{secret:?} is in {path}");
        }
    }
}

#[tokio::test]
async fn no_raw_ip_address_or_user_agent_reaches_the_disk() {
    let mut server = TestServer::start(privacy_config()).await;
    let mut client = server.client().await;
    let now = now_ms();
    let marker = "Checkout-7f3a9c";
    for (site, url) in [("shop", SHOP), ("blog", BLOG)] {
        let mut view = page_view(&format!("{site}-pv"), url, now);
        view["title"] = json!(marker);
        view["referrer"] = json!("https://news.example/");
        let body = batch(
            site,
            &format!("s-{site}"),
            vec![
                view,
                click(&format!("{site}-c"), url, now + 1, 100, 200),
                json!({"id": format!("{site}-x"), "type": "custom", "ts": now + 2, "url": url,
                       "name": "signup", "props": {"plan": "pro"}}),
            ],
        );
        let reply = client
            .send(request(
                &body,
                Some(UNIQUE_UA),
                &[("x-forwarded-for", CLIENT_IP)],
            ))
            .await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        assert_eq!(reply.json()["accepted"], 3);
    }
    let events = stored(&server);
    assert_eq!(events.len(), 6);
    // Only what is derived from the user agent is kept.
    let sessions = server
        .reader()
        .sessions(
            &Filter::default(),
            Sort {
                key: SessionSortKey::Start,
                descending: true,
            },
            PageRequest::first(10),
        )
        .unwrap();
    for s in &sessions.rows {
        assert_eq!(
            (
                s.client.device.as_str(),
                s.client.browser.as_str(),
                s.client.os.as_str()
            ),
            ("desktop", "Chrome", "Linux")
        );
    }
    // While the daemon runs (the WAL holds the commits) and after it stopped.
    assert_absent(&server.db_path, marker);
    server.stop().await;
    assert_absent(&server.db_path, marker);
}

#[tokio::test]
async fn cookieless_sites_get_keyed_hashes_as_visitor_ids() {
    let mut server = TestServer::start(privacy_config()).await;
    let mut client = server.client().await;
    let now = now_ms();
    let send = |site: &str, n: usize, ip: &str, ua: &str, url: &str| {
        let mut body = batch(
            site,
            &format!("s{n}"),
            vec![page_view(&format!("e{n}"), url, now)],
        );
        body["visitor_id"] = json!(format!("sent-by-browser-{n}"));
        request(&body, Some(ua), &[("x-forwarded-for", ip)])
    };
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    for request in [
        send("blog", 1, CLIENT_IP, UNIQUE_UA, BLOG),
        send("blog", 2, CLIENT_IP, UNIQUE_UA, BLOG),
        send("blog", 3, "198.51.100.4", UNIQUE_UA, BLOG),
        send("blog", 4, CLIENT_IP, firefox, BLOG),
        send("shop", 5, CLIENT_IP, UNIQUE_UA, SHOP),
    ] {
        let reply = client.send(request).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
    }
    let visitor = |id: &str| {
        stored(&server)
            .into_iter()
            .find(|e| e.event.id == id)
            .map(|e| e.visitor_id)
            .unwrap_or_else(|| panic!("{id} not stored"))
    };
    let (v1, v2, v3, v4, v5) = (
        visitor("e1"),
        visitor("e2"),
        visitor("e3"),
        visitor("e4"),
        visitor("e5"),
    );
    assert_eq!(v1.len(), 32, "{v1}");
    assert!(v1.bytes().all(|b| b.is_ascii_hexdigit()), "{v1}");
    assert_eq!(
        v1, v2,
        "same site, address and agent on one day: one visitor"
    );
    assert_ne!(v1, v3, "another address");
    assert_ne!(v1, v4, "another user agent");
    assert!(!v1.contains("sent-by-browser"));
    // A site not in cookieless mode keeps the browser's id.
    assert_eq!(v5, "sent-by-browser-5");
    server.stop().await;
}

#[tokio::test]
async fn forwarded_for_counts_only_from_trusted_proxies() {
    let limited = |trusted: bool| ingestd::Config {
        rate_limit: 0.001,
        rate_burst: 2.0,
        trusted_proxies: if trusted {
            vec![ingestd::client_ip::parse_network("127.0.0.0/8").unwrap()]
        } else {
            Vec::new()
        },
        ..config()
    };
    let now = now_ms();
    let body = |n: usize| batch("demo", "s", vec![page_view(&format!("e{n}"), SHOP, now)]);

    // Behind a trusted proxy each forwarded client has its own bucket; a
    // forged entry to the left of the proxy's own is ignored.
    let mut server = TestServer::start(limited(true)).await;
    let mut client = server.client().await;
    let mut statuses = Vec::new();
    for (n, xff) in [
        "198.51.100.1",
        "10.9.9.9, 198.51.100.1",
        "198.51.100.1",
        "198.51.100.2",
        "198.51.100.1, 198.51.100.2",
    ]
    .into_iter()
    .enumerate()
    {
        let reply = client
            .send(request(
                &body(n),
                Some(UNIQUE_UA),
                &[("x-forwarded-for", xff)],
            ))
            .await;
        statuses.push(reply.status.as_u16());
    }
    assert_eq!(statuses, [200, 200, 429, 200, 200]);
    server.stop().await;

    // From an untrusted peer the header is ignored: one bucket for all.
    let mut server = TestServer::start(limited(false)).await;
    let mut client = server.client().await;
    let mut statuses = Vec::new();
    for (n, xff) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .into_iter()
        .enumerate()
    {
        let reply = client
            .send(request(
                &body(n),
                Some(UNIQUE_UA),
                &[("x-forwarded-for", xff)],
            ))
            .await;
        statuses.push(reply.status.as_u16());
    }
    assert_eq!(statuses, [200, 200, 429]);
    server.stop().await;
}

#[tokio::test]
async fn events_for_pages_on_other_hosts_are_rejected_one_by_one() {
    let mut server = TestServer::start(privacy_config()).await;
    let mut client = server.client().await;
    let now = now_ms();
    let mixed = batch(
        "shop",
        "s",
        vec![
            page_view("a", SHOP, now),
            page_view("b", "https://evil.example/p/1", now),
            page_view("c", "https://shop.example:8443/p/2", now),
            page_view("d", "https://shop.example.evil.example/", now),
        ],
    );
    let reply = client.send(request(&mixed, Some(UNIQUE_UA), &[])).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let json = reply.json();
    assert_eq!(json["accepted"], 2);
    let rejected: Vec<(u64, &str)> = json["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["index"].as_u64().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(rejected, [(1, "host_not_allowed"), (3, "host_not_allowed")]);
    assert!(json["rejected"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("evil.example"));
    let ids: Vec<String> = stored(&server).into_iter().map(|e| e.event.id).collect();
    assert_eq!(ids, ["a", "c"]);

    // Nothing on the site's hosts: the batch is refused with every reason.
    let foreign = batch("shop", "s2", vec![page_view("e", BLOG, now)]);
    let reply = client.send(request(&foreign, Some(UNIQUE_UA), &[])).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["rejected"][0]["code"], "host_not_allowed");

    let metrics = String::from_utf8(client.get("/metrics").await.body.to_vec()).unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l == "ingestd_events_rejected_total{reason=\"host_not_allowed\"} 3"),
        "{metrics}"
    );
    let doc = client.get("/openapi.json").await.json();
    let codes = &doc["components"]["schemas"]["RejectedEvent"]["properties"]["code"]["enum"];
    for code in ["host_not_allowed", "bot"] {
        assert!(
            codes.as_array().unwrap().iter().any(|c| c == code),
            "{code} missing from {codes}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn bots_are_refused_with_reasons_and_counted() {
    let mut server = TestServer::start(config()).await;
    let mut client = server.client().await;
    let now = now_ms();
    let agents = [
        Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
        Some("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"),
        Some("curl/8.5.0"),
        None,
    ];
    for (n, ua) in agents.into_iter().enumerate() {
        let body = batch(
            "demo",
            "s",
            vec![
                page_view(&format!("p{n}"), SHOP, now),
                click(&format!("c{n}"), SHOP, now, 10, 10),
                json!({"id": format!("x{n}"), "type": "nope", "ts": now, "url": SHOP}),
            ],
        );
        let reply = client.send(request(&body, ua, &[])).await;
        assert_eq!(reply.status, 403, "{ua:?}: {:?}", reply.body);
        let json = reply.json();
        assert!(json["error"].as_str().unwrap().contains("bots"), "{json}");
        let codes: Vec<&str> = json["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["bot", "bot", "unknown_type"], "{ua:?}");
    }
    assert!(stored(&server).is_empty());
    // A browser still gets through.
    let body = batch("demo", "s", vec![page_view("ok", SHOP, now)]);
    assert_eq!(
        client
            .send(request(&body, Some(UNIQUE_UA), &[]))
            .await
            .status,
        200
    );

    let metrics = String::from_utf8(client.get("/metrics").await.body.to_vec()).unwrap();
    for line in [
        "ingestd_bot_requests_total{reason=\"crawler\"} 1",
        "ingestd_bot_requests_total{reason=\"automation\"} 1",
        "ingestd_bot_requests_total{reason=\"bot_pattern\"} 1",
        "ingestd_bot_requests_total{reason=\"no_user_agent\"} 1",
        "ingestd_requests_rejected_total{reason=\"bot\"} 4",
        "ingestd_events_rejected_total{reason=\"bot\"} 8",
        "ingestd_events_rejected_total{reason=\"unknown_type\"} 4",
        "ingestd_events_received_total 13",
        "ingestd_events_accepted_total 1",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "missing {line:?} in\n{metrics}"
        );
    }
    server.stop().await;
}

/// The device, browser and OS stored for each session id.
fn clients(server: &TestServer) -> std::collections::HashMap<String, (String, String, String)> {
    let sessions = server
        .reader()
        .sessions(
            &Filter::default(),
            Sort {
                key: SessionSortKey::Start,
                descending: true,
            },
            PageRequest::first(100),
        )
        .unwrap();
    sessions
        .rows
        .into_iter()
        .map(|s| {
            let c = s.client;
            (
                s.session_id,
                (c.device.as_str().to_owned(), c.browser, c.os),
            )
        })
        .collect()
}

/// Extra request headers, as (name, value).
type Headers<'a> = &'a [(&'a str, &'a str)];

#[tokio::test]
async fn agents_are_read_lossily_and_client_hints_refine_them() {
    let mut server = TestServer::start(config()).await;
    let mut client = server.client().await;
    let now = now_ms();
    let reduced_android = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    let cases: [(&str, &[u8], Headers); 4] = [
        // A Latin-1 byte (not UTF-8) in an otherwise ordinary agent.
        (
            "latin1",
            b"Mozilla/5.0 (Windows NT 10.0; Win64; x64; Caf\xe9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            &[],
        ),
        // An Android tablet's reduced agent, told apart by its hints.
        (
            "hinted",
            reduced_android.as_bytes(),
            &[
                ("sec-ch-ua", r#""Chromium";v="131", "Not_A Brand";v="24", "Brave";v="131""#),
                ("sec-ch-ua-mobile", "?0"),
                ("sec-ch-ua-platform", r#""Android""#),
            ],
        ),
        (
            "phone",
            reduced_android.as_bytes(),
            &[("sec-ch-ua-mobile", "?1"), ("sec-ch-ua-platform", r#""Android""#)],
        ),
        (
            "tv",
            b"Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.5) AppleWebKit/537.36 (KHTML, like Gecko) 85.0.4183.93/6.5 TV Safari/537.36",
            &[],
        ),
    ];
    for (session, ua, hints) in cases {
        let body = batch(
            "demo",
            session,
            vec![page_view(&format!("p-{session}"), SHOP, now)],
        );
        let mut builder = Request::post("/api/events")
            .header("host", "localhost")
            .header("content-type", "text/plain")
            .header(
                "user-agent",
                hyper::header::HeaderValue::from_bytes(ua).unwrap(),
            );
        for (name, value) in hints {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap();
        let reply = client.send(request).await;
        assert_eq!(reply.status, 200, "{session}: {:?}", reply.body);
    }
    let clients = clients(&server);
    let got = |s: &str| {
        let (d, b, o) = &clients[s];
        (d.as_str(), b.as_str(), o.as_str())
    };
    assert_eq!(got("latin1"), ("desktop", "Chrome", "Windows 10"));
    assert_eq!(got("hinted"), ("tablet", "Brave", "Android"));
    assert_eq!(got("phone"), ("mobile", "Chrome", "Android"));
    assert_eq!(got("tv").0, "tv");
    server.stop().await;
}
