//! `analytics-tui demo`: ingestd in the same process on 127.0.0.1:4000 (or a
//! free port), simulated visitors browsing the demo site, and the console in
//! live mode. Quitting the console stops the traffic, then ingestd (which
//! commits what it has queued).
//!
//! Before ingestd starts, an empty database gets two weeks of history
//! ([`crate::backfill`], with a progress bar on a terminal), so every view
//! has something to show at once. Then the simulated visitors
//! ([`crate::traffic`]) post their wire batches to ingestd over HTTP, as
//! `tracker.js` would, in real time, and send a page's layout snapshot when
//! ingestd's reply asks for one, as `layout.js` would ([`play`]).

use crate::backfill::{self, Outcome, Plan};
use crate::runtime::{self, Options};
use crate::traffic::{session_batches, PageBatch, Visitor};
use crate::worker::Source;
use anyhow::{Context, Result};
use serde_json::{json, Value};
use shared::store::DbUrl;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Runs the demo until the console, started with `console`, quits.
/// `history`: sessions a weekday in the back-filled fortnight (0: none).
pub fn run(
    db: DbUrl,
    port: u16,
    sessions_per_minute: u32,
    history: u32,
    console: Options,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let listener = runtime.block_on(bind(port))?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}/demo/");
    if history > 0 {
        fill_history(&db, &url, history)?;
    }
    let config = ingestd::Config {
        listen: addr,
        db: Some(db.to_string()),
        rate_limit: 0.0,
        shutdown_grace_secs: 3,
        ..ingestd::Config::default()
    };
    let (stop_server, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(ingestd::serve(
        listener,
        config,
        ingestd::opener_for(db.clone()),
        async move {
            let _ = stopped.await;
        },
    ));
    let running = Arc::new(AtomicBool::new(true));
    let traffic = (sessions_per_minute > 0)
        .then(|| runtime.spawn(simulate(addr, sessions_per_minute, Arc::clone(&running))));

    println!("demo site: {url}  (database {db})");
    let result = runtime::run(
        Source::Url(db.clone()),
        Options {
            source: format!("demo site {url}"),
            ..console
        },
    );

    running.store(false, Ordering::Relaxed);
    if let Some(traffic) = traffic {
        traffic.abort();
    }
    let _ = stop_server.send(());
    let served =
        runtime.block_on(async { tokio::time::timeout(Duration::from_secs(10), server).await });
    runtime.shutdown_timeout(Duration::from_secs(1));
    result?;
    match served {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(error))) => return Err(error).context("ingestd stopped with an error"),
        Ok(Err(_)) | Err(_) => anyhow::bail!("ingestd did not stop in time"),
    }
    println!("demo stopped; the data stays in {db}");
    Ok(())
}

/// Back-fills the demo's history into an empty database, through a writer
/// closed again before ingestd opens its own.
fn fill_history(db: &DbUrl, site_url: &str, sessions_per_day: u32) -> Result<()> {
    let progress = crate::progress::reporter();
    let mut writer = db.open_writer_reporting(progress.as_ref())?;
    let reader = db.open_reader()?;
    let outcome = backfill::fill_if_empty(
        writer.as_mut(),
        reader.as_ref(),
        site_url,
        shared::now_ms(),
        &Plan::two_weeks(sessions_per_day),
        progress.as_ref(),
    )?;
    if let Outcome::Filled { sessions, events } = outcome {
        println!(
            "history: {sessions} simulated sessions ({events} events) over the last two weeks"
        );
    }
    Ok(())
}

async fn bind(port: u16) -> Result<TcpListener> {
    match TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => Ok(listener),
        Err(_) => TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("cannot listen on 127.0.0.1"),
    }
}

/// Feeds simulated sessions to the daemon at `addr` until `running` is false.
async fn simulate(addr: SocketAddr, per_minute: u32, running: Arc<AtomicBool>) {
    let mut rng = fastrand::Rng::new();
    let base = format!("http://{addr}/demo/");
    let gap_ms = 60_000 / u64::from(per_minute.max(1));
    while running.load(Ordering::Relaxed) {
        let visitor = Visitor::new(&mut rng);
        let batches = session_batches(&mut rng, &base, shared::now_ms(), &visitor);
        let ids = fastrand::Rng::with_seed(rng.u64(..));
        tokio::spawn(async move { play(addr, &visitor, batches, ids).await });
        // The history fills the views; the live stream is steady.
        tokio::time::sleep(Duration::from_millis(gap_ms / 2 + rng.u64(..gap_ms.max(1)))).await;
    }
}

/// How long after the reply that asks for it the snapshot is sent: the
/// tracker loads `layout.js`, which waits for the browser to be idle, and
/// the event waits for the tracker's next flush.
pub const SNAPSHOT_DELAY: Duration = Duration::from_millis(1200);

/// What [`play`] posted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Played {
    /// Page batches posted.
    pub batches: u32,
    /// Replies that asked for a layout snapshot (`"layout": true`).
    pub asked: u32,
    /// Layout snapshots posted.
    pub layouts: u32,
    /// Layout snapshots ingestd answered with `200` and no rejected event.
    pub layouts_accepted: u32,
    /// Posts of any kind that did not get a `200` (or got no reply).
    pub failed: u32,
}

/// Plays one visit against the daemon at `addr` as the visitor's tracker
/// would: each page's batch after its pause, retimed to the moment it is
/// sent; when the reply asks for a layout snapshot, the page's snapshot
/// ([`crate::traffic::PageBatch::layout_batch`], ids from `ids`) after
/// [`SNAPSHOT_DELAY`].
pub async fn play(
    addr: SocketAddr,
    visitor: &Visitor,
    visit: Vec<PageBatch>,
    mut ids: fastrand::Rng,
) -> Played {
    let mut played = Played::default();
    for page in visit {
        tokio::time::sleep(Duration::from_millis(page.pause)).await;
        let mut batch = page.batch.clone();
        // Real time, so the events appear when they are sent.
        retime(&mut batch, shared::now_ms());
        played.batches += 1;
        let reply = post(addr, visitor.user_agent(), &batch).await;
        let Some(reply) = reply.ok().filter(|r| r.status == 200) else {
            played.failed += 1;
            continue;
        };
        if reply.body.get("layout") != Some(&Value::Bool(true)) {
            continue;
        }
        played.asked += 1;
        tokio::time::sleep(SNAPSHOT_DELAY).await;
        let Some(snapshot) = page.layout_batch(crate::traffic::id(&mut ids), shared::now_ms())
        else {
            continue;
        };
        played.layouts += 1;
        match post(addr, visitor.user_agent(), &snapshot).await {
            Ok(r)
                if r.status == 200 && r.body["rejected"].as_array().is_some_and(Vec::is_empty) =>
            {
                played.layouts_accepted += 1
            }
            Ok(r) if r.status == 200 => {}
            _ => played.failed += 1,
        }
    }
    played
}

/// Shifts a batch's timestamps so that it starts at `now`.
fn retime(batch: &mut Value, now: i64) {
    let Some(events) = batch.get_mut("events").and_then(Value::as_array_mut) else {
        return;
    };
    let first = events
        .first()
        .and_then(|e| e.get("ts"))
        .and_then(Value::as_i64)
        .unwrap_or(now);
    let shift = now - first;
    let mut last = now;
    for event in events.iter_mut() {
        if let Some(ts) = event.get("ts").and_then(Value::as_i64) {
            last = ts + shift;
            event["ts"] = json!(last);
        }
    }
    batch["sent_at"] = json!(last);
}

/// A reply of ingestd: its status and its JSON body (`null` if none).
struct Reply {
    status: u16,
    body: Value,
}

/// POSTs one batch; returns the reply.
async fn post(addr: SocketAddr, user_agent: &str, batch: &Value) -> std::io::Result<Reply> {
    let body = serde_json::to_vec(batch).map_err(std::io::Error::other)?;
    let mut stream = TcpStream::connect(addr).await?;
    let head = format!(
        "POST /api/events HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {user_agent}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&body).await?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await?;
    let reply = String::from_utf8_lossy(&reply);
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or((&reply, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok(Reply {
        status,
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    })
}
