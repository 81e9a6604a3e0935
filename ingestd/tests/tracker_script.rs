//! The tracker as shipped: size budget, freshness of the committed build, and
//! how ingestd serves it and the demo site.

mod common;

use common::*;
use std::io::Read;
use std::path::Path;
use std::process::Command;

/// The budget for the script as served, compressed with gzip -9.
const GZIP_BUDGET_BYTES: usize = 1500;

#[test]
fn tracker_fits_the_size_budget() {
    let size = ingestd::assets::gzip(ingestd::assets::TRACKER_JS).len();
    println!(
        "tracker.js: {} bytes, {size} bytes gzip -9",
        ingestd::assets::TRACKER_JS.len()
    );
    assert!(
        size <= GZIP_BUDGET_BYTES,
        "tracker.js is {size} bytes gzip -9; the budget is {GZIP_BUDGET_BYTES}"
    );
}

#[test]
fn committed_build_is_the_current_source() {
    let tracker = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tracker");
    let has_node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let has_terser = tracker.join("node_modules/terser").is_dir();
    if !(has_node && has_terser) {
        let required =
            std::env::var_os("CI").is_some() || std::env::var_os("REQUIRE_NODE").is_some();
        assert!(
            !required,
            "Node and the tracker's minifier are needed: cd tracker && npm ci"
        );
        println!("skipped: no Node or terser (cd tracker && npm ci) to rebuild tracker.js");
        return;
    }
    let output = Command::new("node")
        .arg("build.mjs")
        .arg("--check")
        .current_dir(&tracker)
        .output()
        .expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "tracker/dist/tracker.js is not the build of tracker/src: {text}"
    );
}

#[tokio::test]
async fn serves_the_tracker_compressed_with_etag() {
    let mut server = TestServer::start(config()).await;
    let mut client = server.client().await;
    let get = |headers: &[(&str, &str)]| {
        let mut request = hyper::Request::get("/tracker.js").header("host", "x");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .expect("request")
    };

    let reply = client.send(get(&[("accept-encoding", "gzip, br")])).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-encoding"), Some("gzip"));
    assert!(reply
        .header("content-type")
        .unwrap_or("")
        .starts_with("text/javascript"));
    assert_eq!(reply.header("cache-control"), Some("public, max-age=3600"));
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&reply.body[..])
        .read_to_end(&mut plain)
        .expect("gzip");
    assert_eq!(plain, ingestd::assets::TRACKER_JS);
    let etag = reply.header("etag").expect("etag").to_owned();

    let reply = client
        .send(get(&[
            ("accept-encoding", "gzip"),
            ("if-none-match", &etag),
        ]))
        .await;
    assert_eq!(reply.status, 304);
    assert!(reply.body.is_empty());

    let reply = client.send(get(&[])).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-encoding"), None);
    assert_eq!(&reply.body[..], ingestd::assets::TRACKER_JS);
    server.stop().await;
}

#[tokio::test]
async fn serves_the_demo_site() {
    let mut server = TestServer::start(config()).await;
    let mut client = server.client().await;
    let reply = client.get("/demo").await;
    assert_eq!(reply.status, 301);
    assert_eq!(reply.header("location"), Some("/demo/"));
    for path in [
        "/demo/",
        "/demo/pricing.html",
        "/demo/blog.html",
        "/demo/app",
        "/demo/app/orders",
    ] {
        let reply = client.get(path).await;
        assert_eq!(reply.status, 200, "{path}");
        let html = String::from_utf8_lossy(&reply.body);
        assert!(
            html.contains(r#"<script defer src="/tracker.js" data-site="demo"></script>"#),
            "{path}"
        );
    }
    let app = client.get("/demo/app/settings").await;
    let app_html = client.get("/demo/app").await;
    assert_eq!(app.body, app_html.body);
    assert_eq!(
        client.get("/demo/style.css").await.header("content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(client.get("/demo/../Cargo.toml").await.status, 404);
    server.stop().await;
}
