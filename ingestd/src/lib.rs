//! ingestd: the ingestion daemon.
//!
//! ```text
//! accept ─▶ limits (connections, header/body timeouts, body size, per-IP rate) ─▶ route
//! POST /api/events ─▶ parse ─▶ validate (per-event reasons) ─▶ enrich ─▶ CommitQueue (bounded)
//!         ▲                                                                  │
//!         └──────── reply after commit (or 503 + Retry-After) ◀── writer thread: group commit
//! GET|HEAD /healthz · /metrics · /openapi.json · /tracker.js · /layout.js · /demo/…
//! ```
//!
//! [`serve`] runs the whole daemon on a listener until a shutdown future
//! resolves, so tests and the demo run it in-process on `127.0.0.1:0`. The
//! binary (`main.rs`) only parses [`Config`], opens the listener, and wires
//! SIGINT/SIGTERM to the shutdown.
//!
//! Modules: [`config`] (CLI and environment), [`queue`] (bounded queue and the
//! group-commit writer), [`routes`] (HTTP handling), [`refusal`] (every
//! refusal of an ingest request and its answer), [`http_reply`] (answer and
//! error bodies), [`reject_log`] (bounded log lines of refusals), [`metrics`] (Prometheus
//! text), [`rate_limit`] (per-IP token buckets), [`sites`] (site keys, CORS,
//! hostnames, layout capture), [`layouts`] (when a reply asks for a layout
//! snapshot), [`client_ip`] (trusted proxies), [`bots`] (bot filtering),
//! [`cookieless`] (daily-salted visitor ids), [`assets`] (the embedded tracker
//! scripts and demo site), [`refused_body`] (draining refused bodies so that
//! early answers reach clients through proxies), [`host_header`] (the
//! HTTP/1.1 `Host` rule).

#![forbid(unsafe_code)]

pub mod assets;
pub mod bots;
pub mod client_ip;
pub mod config;
pub mod cookieless;
pub mod host_header;
pub mod http_reply;
pub mod layouts;
pub mod metrics;
pub mod queue;
pub mod rate_limit;
pub mod refusal;
pub mod refused_body;
pub mod reject_log;
pub mod routes;
pub mod sites;

pub use config::Config;
pub use queue::WriterOpener;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use metrics::Metrics;
use routes::AppState;
use shared::store::{DbUrl, StoreError};
use std::future::Future;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Errors that stop the daemon.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("the writer thread failed")]
    WriterPanicked,
}

/// A [`WriterOpener`] for a database URL.
pub fn opener_for(db: DbUrl) -> WriterOpener {
    Box::new(move || db.open_writer())
}

/// Runs the daemon on `listener` until `shutdown` resolves, then stops
/// accepting, lets open requests finish (up to the configured grace), commits
/// everything queued, and returns.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    open_writer: WriterOpener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let sites = sites::SiteRules::from_config(&config).map_err(ServeError::Config)?;
    let metrics = Arc::new(Metrics::default());
    // Seeded from the store once the writer opens it.
    let layouts = Arc::new(layouts::MemoryLayouts::new(
        i64::try_from(config.layout_max_age().as_millis()).unwrap_or(i64::MAX),
    ));
    let (queue, writer_thread) = queue::start(
        open_writer,
        queue::QueueLimits {
            max_batches: config.queue_batches,
            max_bytes: config.queue_bytes,
            commit_events: config.commit_events,
            commit_bytes: config.commit_bytes,
            commit_delay: config.commit_delay(),
            retention: config.retention(),
        },
        Arc::clone(&metrics),
        |writer| layouts.seed_from(writer, shared::now_ms()),
    )?;
    let state = Arc::new(AppState::new(
        &config,
        sites,
        queue,
        Arc::clone(&metrics),
        layouts,
    ));

    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout())
        .max_headers(100)
        .max_buf_size(64 * 1024)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(config.max_connections.max(1)));
    tracing::info!(address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "ingestd listening");

    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Out of file descriptors and similar: pause instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = routes::service(Arc::clone(&state), peer.ip());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            metrics.open_connections.fetch_add(1, Relaxed);
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            metrics.open_connections.fetch_sub(1, Relaxed);
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("shutting down: no new connections; finishing open requests");
    if tokio::time::timeout(config.shutdown_grace(), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("open requests did not finish within the grace period");
    }
    state.queue.close();
    drop(state);
    tokio::task::spawn_blocking(move || writer_thread.join())
        .await
        .map_err(|_| ServeError::WriterPanicked)?
        .map_err(|_| ServeError::WriterPanicked)?;
    tracing::info!("queue drained and committed; stopped");
    Ok(())
}
