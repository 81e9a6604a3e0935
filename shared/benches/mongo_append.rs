//! MongoDB write benchmark: events per second through `MongoWriter::append`
//! against the server named by `MONGODB_URI`, without HTTP, for the same
//! group commits as the SQLite `append` benchmark. Each run writes to a fresh
//! database, dropped afterwards. Prints figures; asserts nothing.
//!
//! ```text
//! MONGODB_URI=mongodb://127.0.0.1:27017 cargo bench -p shared --bench mongo_append
//! ```

use shared::event::{ClientInfo, DeviceClass, Event, EventBatch, EventKind, Rect, Size, Target};
use shared::store::mongo::MongoWriter;
use shared::store::EventWriter;
use std::time::Instant;

fn event(n: u64, ts: i64) -> Event {
    let click = n % 4 != 0;
    Event {
        id: format!("e{n}"),
        kind: if click {
            EventKind::Click
        } else {
            EventKind::PageView
        },
        ts,
        received_at: ts,
        clock_adjusted: false,
        url: format!("https://shop.example/p/{}", n % 50),
        page_key: format!("shop.example/p/{}", n % 50),
        title: Some("Product".into()),
        referrer: None,
        viewport: Some(Size {
            width: 1280,
            height: 720,
        }),
        page: Some(Size {
            width: 1280,
            height: 4200,
        }),
        x: click.then_some((n % 1280) as i32),
        y: click.then_some(((n * 7) % 4200) as i32),
        target: click.then(|| Target {
            selector: Some("main>div.card:nth-of-type(2)>button".into()),
            label: Some("Buy now".into()),
            rect: Some(Rect {
                x: 600,
                y: 1780,
                width: 120,
                height: 40,
            }),
        }),
        depth: None,
        name: None,
        props: None,
    }
}

/// `uri` with its database replaced by `name`.
fn with_database(uri: &str, name: &str) -> String {
    let (scheme, rest) = uri.split_once("://").unwrap_or(("mongodb", uri));
    let hosts = rest.split(['/', '?']).next().unwrap_or(rest);
    match rest.split_once('?') {
        Some((_, query)) => format!("{scheme}://{hosts}/{name}?{query}"),
        None => format!("{scheme}://{hosts}/{name}"),
    }
}

fn drop_database(uri: &str, name: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let client = mongodb::Client::with_uri_str(uri).await.expect("a client");
        client
            .database(name)
            .drop()
            .await
            .expect("drop the database");
    });
}

fn run(uri: &str, label: &str, batches_per_commit: usize, events_per_batch: usize, commits: usize) {
    let name = format!(
        "analytics_bench_{}_{batches_per_commit}_{events_per_batch}",
        std::process::id()
    );
    let mut writer = MongoWriter::open(&with_database(uri, &name)).expect("open");
    let client = ClientInfo {
        device: DeviceClass::Desktop,
        browser: "Chrome".into(),
        os: "Linux".into(),
    };
    let mut n = 0u64;
    let ts0 = 1_764_000_000_000i64;
    let started = Instant::now();
    for _ in 0..commits {
        let batches: Vec<EventBatch> = (0..batches_per_commit)
            .map(|b| EventBatch {
                site: "bench".into(),
                session_id: format!("s{}-{}", b, n / 1000),
                visitor_id: format!("v{b}"),
                client: client.clone(),
                events: (0..events_per_batch)
                    .map(|_| {
                        n += 1;
                        event(n, ts0 + n as i64 * 37)
                    })
                    .collect(),
            })
            .collect();
        writer.append(&batches).expect("append");
    }
    let secs = started.elapsed().as_secs_f64();
    drop(writer);
    drop_database(uri, &name);
    let events = (commits * batches_per_commit * events_per_batch) as f64;
    println!(
        "{label:<40} {:>9.0} events/s  {:>7.3} ms per commit",
        events / secs,
        secs * 1000.0 / commits as f64
    );
}

fn main() {
    let Some(uri) = std::env::var("MONGODB_URI")
        .ok()
        .filter(|u| !u.trim().is_empty())
    else {
        println!("skipped: no MongoDB (set MONGODB_URI=mongodb://HOST:PORT to run)");
        return;
    };
    run(&uri, "64 single-event batches per commit", 64, 1, 100);
    run(&uri, "64 batches of 20 events per commit", 64, 20, 20);
    run(&uri, "1 single-event batch per commit", 1, 1, 300);
}
