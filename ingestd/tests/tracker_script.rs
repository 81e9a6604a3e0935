//! The tracker scripts as shipped: size budgets, freshness of the committed
//! builds, and how ingestd serves them and the demo site.

mod common;

use common::*;
use std::io::Read;
use std::path::Path;
use std::process::Command;

/// The budgets of the scripts as served, compressed with gzip -9: 1,500
/// bytes for the tracker before it loaded `layout.js`, 1,600 since (the
/// ceiling; tracker/README.md says what the added bytes buy), and 2,000 for
/// `layout.js`.
const TRACKER_GZIP_BUDGET_BYTES: usize = 1600;
const LAYOUT_GZIP_BUDGET_BYTES: usize = 2000;

fn assert_fits(name: &str, script: &[u8], budget: usize) {
    let size = ingestd::assets::gzip(script).len();
    println!("{name}: {} bytes, {size} bytes gzip -9", script.len());
    assert!(
        size <= budget,
        "{name} is {size} bytes gzip -9; the budget is {budget}"
    );
}

#[test]
fn tracker_fits_the_size_budget() {
    assert_fits(
        "tracker.js",
        ingestd::assets::TRACKER_JS,
        TRACKER_GZIP_BUDGET_BYTES,
    );
}

#[test]
fn layout_script_fits_the_size_budget() {
    assert_fits(
        "layout.js",
        ingestd::assets::LAYOUT_JS,
        LAYOUT_GZIP_BUDGET_BYTES,
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
        "tracker/dist is not the build of tracker/src: {text}"
    );
}

#[tokio::test]
async fn serves_the_tracker_compressed_with_etag() {
    let reply = serves_compressed_with_etag("/tracker.js", ingestd::assets::TRACKER_JS).await;
    // Only pages load it, as a classic script: no CORS header.
    assert_eq!(reply.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn serves_the_layout_script_compressed_with_etag_to_any_origin() {
    let reply = serves_compressed_with_etag("/layout.js", ingestd::assets::LAYOUT_JS).await;
    // The tracker imports it as a module from the page's origin.
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    let text = String::from_utf8_lossy(ingestd::assets::LAYOUT_JS);
    assert!(text.contains("export default"), "layout.js is a module");
}

/// `path` is `script` as shipped: gzip when accepted, `304` for its ETag,
/// an hour of caching; the plain answer is returned.
async fn serves_compressed_with_etag(path: &str, script: &[u8]) -> Reply {
    let mut server = TestServer::start(config()).await;
    let mut client = server.client().await;
    let get = |headers: &[(&str, &str)]| {
        let mut request = hyper::Request::get(path).header("host", "x");
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
    assert_eq!(plain, script);
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
    assert_eq!(&reply.body[..], script);
    server.stop().await;
    reply
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
