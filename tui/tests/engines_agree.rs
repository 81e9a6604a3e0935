//! Both engines answer alike: two ingestd instances, one on a SQLite file and
//! one on the MongoDB server named by `MONGODB_URI`, receive the same batches
//! over HTTP; the console binary's JSON outputs (overview, sessions, journey,
//! pages, heatmap) must then be identical. And an ingestd on MongoDB answers
//! 503, never 200, once the cluster is gone.
//!
//! Without `MONGODB_URI` the test prints why it is skipped and passes, unless
//! `REQUIRE_MONGO=1`, when a missing server fails it.

use serde_json::{json, Value};
use shared::store::DbUrl;
use std::process::Command;
use std::time::Duration;
use testkit::mongo::{drop_database, server, server_address, with_database};
use testkit::relay::Relay;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

/// The batches both instances receive: three sessions over two pages, with
/// clicks on elements, a rage burst, scrolls, a custom event and referrers.
fn batches(now: i64) -> Vec<(&'static str, Value)> {
    let t0 = now - 3 * 3_600_000;
    let shop = "https://shop.example";
    let click = |id: &str, ts: i64, path: &str, x: i64, y: i64, selector: &str| {
        json!({"id": id, "type": "click", "ts": ts, "url": format!("{shop}{path}"),
               "x": x, "y": y, "viewport": [1280, 720], "page": [1280, 4000],
               "target": {"selector": selector, "text": "Buy now", "box": [x - 10, y - 10, 120, 40]}})
    };
    vec![
        (
            CHROME,
            json!({"site": "shop", "session_id": "e2e-1", "visitor_id": "vis-1", "events": [
                {"id": "a1", "type": "page_view", "ts": t0, "url": format!("{shop}/"),
                 "title": "Home", "referrer": "https://news.example/item",
                 "viewport": [1280, 720], "page": [1280, 3000]},
                click("a2", t0 + 4_000, "/", 640, 200, "main>a.hero"),
                {"id": "a3", "type": "page_view", "ts": t0 + 10_000, "url": format!("{shop}/product/1?utm_source=x"),
                 "title": "Product", "referrer": format!("{shop}/"),
                 "viewport": [1280, 720], "page": [1280, 4000]},
                click("a4", t0 + 12_000, "/product/1", 700, 1800, "#buy"),
                click("a5", t0 + 12_300, "/product/1", 705, 1802, "#buy"),
                click("a6", t0 + 12_600, "/product/1", 702, 1799, "#buy"),
                {"id": "a7", "type": "scroll", "ts": t0 + 15_000, "url": format!("{shop}/product/1"), "depth": 0.75},
                {"id": "a8", "type": "custom", "ts": t0 + 16_000, "url": format!("{shop}/product/1"),
                 "name": "add_to_cart", "props": {"plan": "pro"}},
            ]}),
        ),
        (
            IPHONE,
            json!({"site": "shop", "session_id": "e2e-2", "visitor_id": "vis-2", "events": [
                {"id": "b1", "type": "page_view", "ts": t0 + 3_600_000, "url": format!("{shop}/product/1"),
                 "referrer": "https://search.example/?q=shoes", "viewport": [390, 844], "page": [390, 5200]},
                {"id": "b2", "type": "click", "ts": t0 + 3_605_000, "url": format!("{shop}/product/1"),
                 "x": 195, "y": 2600, "viewport": [390, 844], "page": [390, 5200],
                 "target": {"selector": "#buy", "text": "Buy now"}},
                {"id": "b3", "type": "scroll", "ts": t0 + 3_606_000, "url": format!("{shop}/product/1"), "depth": 0.5},
            ]}),
        ),
        (
            CHROME,
            json!({"site": "shop", "session_id": "e2e-3", "visitor_id": "vis-1", "events": [
                {"id": "c1", "type": "page_view", "ts": t0 + 7_200_000, "url": format!("{shop}/cart"),
                 "viewport": [1280, 720], "page": [1280, 2000]},
                click("c2", t0 + 7_201_000, "/cart", 100, 1900, "footer a"),
            ]}),
        ),
    ]
}

/// POSTs `body` to `/api/events` and returns the status code.
async fn post(addr: std::net::SocketAddr, user_agent: &str, body: &Value) -> u16 {
    let body = body.to_string();
    let request = format!(
        "POST /api/events HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {user_agent}\r\n\
         Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .expect("read the response");
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"))
}

/// Runs the console binary on `db` and parses its JSON output.
fn console(db: &str, args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_analytics-tui"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("ANALYTICS_DB")
        .output()
        .expect("run analytics-tui");
    assert!(
        output.status.success(),
        "analytics-tui {args:?} on {db}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
}

/// Removes, from every object in `value`, the fields each engine sets its
/// own way: the live-tail cursor (a row id or a storage number) and the time
/// each ingestd received the event (two servers, two clocks).
fn without_engine_fields(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("cursor");
            map.remove("received_at");
            map.values_mut().for_each(without_engine_fields);
        }
        Value::Array(items) => items.iter_mut().for_each(without_engine_fields),
        _ => {}
    }
}

/// Drops the test's MongoDB database when the test ends, passed or not.
struct DropDatabase {
    uri: String,
    name: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        // Best effort: a database left behind only takes space.
        let _ = drop_database(&self.uri, &self.name);
    }
}

#[test]
fn sqlite_and_mongodb_give_the_console_the_same_answers() {
    let Some(uri) = server() else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sqlite = format!("sqlite:{}", dir.path().join("analytics.db").display());
    let database = format!("analytics_e2e_{}", std::process::id());
    let mongo = with_database(&uri, &database);
    let _cleanup = DropDatabase {
        uri: uri.clone(),
        name: database.clone(),
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let now = shared::now_ms();
    let mut stops = Vec::new();
    let mut servers = Vec::new();
    let mut addrs = Vec::new();
    for db in [&sqlite, &mongo] {
        let url = DbUrl::parse(db).expect("a database URL");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let config = ingestd::Config {
            listen: addr,
            rate_limit: 0.0,
            shutdown_grace_secs: 2,
            ..ingestd::Config::default()
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let _guard = runtime.enter();
        servers.push(runtime.spawn(ingestd::serve(
            listener,
            config,
            ingestd::opener_for(url),
            async move {
                let _ = stopped.await;
            },
        )));
        stops.push(stop);
        addrs.push(addr);
    }
    for (user_agent, body) in batches(now) {
        for &addr in &addrs {
            let status = runtime.block_on(post(addr, user_agent, &body));
            assert_eq!(status, 200, "POST to {addr}");
        }
    }
    for stop in stops {
        let _ = stop.send(());
    }
    for server in servers {
        runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(10), server).await })
            .expect("ingestd stops")
            .expect("the server task")
            .expect("ingestd ran without error");
    }

    let queries: Vec<Vec<&str>> = vec![
        vec!["overview", "--format", "json"],
        vec!["sessions", "--format", "json", "--limit", "100"],
        vec![
            "sessions",
            "--format",
            "json",
            "--sort",
            "rage_clicks",
            "--asc",
        ],
        vec!["sessions", "--format", "json", "--device", "mobile"],
        vec!["journey", "e2e-1", "--site", "shop", "--format", "json"],
        vec!["journey", "e2e-2", "--format", "json"],
        vec!["pages", "--format", "json"],
        vec![
            "pages",
            "--format",
            "json",
            "--page",
            "/product/*",
            "--sort",
            "visitors",
        ],
        vec!["pages", "--format", "json", "--referrer", "news.example"],
        vec!["heatmap", "--page", "/product/1", "--format", "json"],
        vec![
            "heatmap", "--page", "/**", "--format", "json", "--width", "33",
        ],
        vec![
            "heatmap",
            "--page",
            "/**",
            "--format",
            "json",
            "--segment",
            "mobile",
        ],
        vec![
            "heatmap", "--page", "/**", "--format", "json", "--since", "2h",
        ],
    ];
    let mut compared = 0;
    for args in &queries {
        let mut a = console(&sqlite, args);
        let mut b = console(&mongo, args);
        without_engine_fields(&mut a);
        without_engine_fields(&mut b);
        assert_eq!(a, b, "analytics-tui {args:?}");
        assert_ne!(a, Value::Null, "{args:?} answered nothing");
        compared += 1;
    }
    assert_eq!(compared, queries.len());
    // The fixture is really there, not two empty answers.
    let overview = console(&sqlite, &["overview", "--format", "json"]);
    assert_eq!(overview["sessions"], json!(3), "{overview}");
}

#[test]
fn ingestd_answers_503_when_mongodb_goes_away() {
    let Some(uri) = server() else {
        return;
    };
    let database = format!("analytics_e2e_gone_{}", std::process::id());
    let _cleanup = DropDatabase {
        uri: uri.clone(),
        name: database.clone(),
    };
    let relay = Relay::start(server_address(&uri));
    let url = format!(
        "mongodb://127.0.0.1:{}/{database}?directConnection=true",
        relay.port
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let config = ingestd::Config {
        listen: addr,
        rate_limit: 0.0,
        shutdown_grace_secs: 2,
        ..ingestd::Config::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server_task = {
        let _guard = runtime.enter();
        runtime.spawn(ingestd::serve(
            listener,
            config,
            ingestd::opener_for(DbUrl::parse(&url).expect("a MongoDB URL")),
            async move {
                let _ = stopped.await;
            },
        ))
    };
    let now = shared::now_ms();
    let body = |id: &str| {
        json!({"site": "shop", "session_id": "gone-1", "visitor_id": "v", "events": [
            {"id": id, "type": "page_view", "ts": now - 1_000, "url": "https://shop.example/"}]})
    };
    assert_eq!(runtime.block_on(post(addr, CHROME, &body("g1"))), 200);
    relay.cut();
    let started = std::time::Instant::now();
    let status = runtime.block_on(post(addr, CHROME, &body("g2")));
    assert_eq!(
        status, 503,
        "a commit the cluster never saw is not accepted"
    );
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "answered only after {:?}",
        started.elapsed()
    );
    let _ = stop.send(());
    let _ = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(10), server_task).await });

    // Only the first event reached the database.
    let events = console(
        &with_database(&uri, &database),
        &["events", "--format", "json"],
    );
    assert_eq!(events["id"], json!("g1"), "{events}");
}
