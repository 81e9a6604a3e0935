//! Configuration: one clap struct; every option also from an environment
//! variable (`INGESTD_…`, and `ANALYTICS_DB` for the database, which every
//! binary of the project reads).

use crate::client_ip::parse_network;
use clap::Parser;
use ipnet::IpNet;
use shared::page_key::QueryKeepList;
use std::net::SocketAddr;
use std::time::Duration;

/// ingestd: receives analytics events over HTTP and commits them in batches.
#[derive(Debug, Clone, Parser)]
#[command(name = "ingestd", version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "INGESTD_LISTEN", default_value = "127.0.0.1:4000")]
    pub listen: SocketAddr,

    /// Database: `sqlite:PATH`, a file path, or `mongodb://…`. Defaults to
    /// analytics.db in the user's data directory.
    #[arg(long, env = "ANALYTICS_DB")]
    pub db: Option<String>,

    /// A site key that may send events, optionally with the origins allowed to
    /// send for it: `demo` or `shop=https://shop.example,https://www.shop.example`.
    /// Repeat for several sites (in the environment, separate them with `;`).
    /// Without any, every site key and origin is accepted.
    #[arg(long = "site", env = "INGESTD_SITES", value_delimiter = ';')]
    pub sites: Vec<String>,

    /// Sites in cookieless mode (comma-separated keys, `*` for all): the
    /// visitor id the browser sends is replaced by a keyed hash of (site, IP,
    /// user agent) with a random salt that lives in memory for one UTC day.
    #[arg(long, env = "INGESTD_COOKIELESS", value_delimiter = ',')]
    pub cookieless: Vec<String>,

    /// Sites whose layout capture is off (comma-separated keys, `*` for all):
    /// their browsers are never asked for a layout snapshot (the wireframe
    /// under heatmaps), and snapshots sent anyway are rejected (`layout_off`).
    #[arg(long, env = "INGESTD_LAYOUT_OFF", value_delimiter = ',')]
    pub layout_off: Vec<String>,

    /// A page × width segment whose newest layout snapshot is older than this
    /// many hours is snapshotted again (by the next browser that sends its
    /// events). A click on an element the newest snapshot lacks asks sooner.
    #[arg(long, env = "INGESTD_LAYOUT_MAX_AGE_HOURS", default_value_t = 24,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub layout_max_age_hours: u32,

    /// Proxies whose `X-Forwarded-For` gives the client address (for rate
    /// limits and cookieless ids): addresses or networks, comma-separated,
    /// e.g. `127.0.0.1,10.0.0.0/8`. Without any, the header is ignored.
    #[arg(long = "trusted-proxy", env = "INGESTD_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_network)]
    pub trusted_proxies: Vec<IpNet>,

    /// Query parameters kept in page keys; `utm_*` keeps every utm_ parameter.
    /// Comma-separated. By default no query parameter is kept.
    #[arg(long, env = "INGESTD_KEEP_QUERY", value_delimiter = ',')]
    pub keep_query: Vec<String>,

    /// Most batches waiting for the writer; beyond it requests get 503. Kept
    /// below `max_connections` (each connection has one request in flight),
    /// so that overload is answered by 503s rather than by ever longer waits.
    #[arg(long, env = "INGESTD_QUEUE_BATCHES", default_value_t = 1024)]
    pub queue_batches: usize,

    /// Most request-body bytes waiting for the writer; beyond it requests get 503.
    #[arg(long, env = "INGESTD_QUEUE_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub queue_bytes: usize,

    /// The writer commits when this many events are gathered…
    #[arg(long, env = "INGESTD_COMMIT_EVENTS", default_value_t = 4096)]
    pub commit_events: usize,

    /// …or this many body bytes…
    #[arg(long, env = "INGESTD_COMMIT_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub commit_bytes: usize,

    /// …or this many milliseconds after the first waiting batch, whichever
    /// comes first. With 0 the writer commits as soon as it is free, and the
    /// batches that arrive during one commit go together into the next.
    #[arg(long, env = "INGESTD_COMMIT_DELAY_MS", default_value_t = 0)]
    pub commit_delay_ms: u64,

    /// Longest wait, in milliseconds, for a request's commit: past it the
    /// request gets 503 with `Retry-After` (the commit may still complete;
    /// resending is safe, the store keeps each event id once). Bounds every
    /// answer while the database hangs.
    #[arg(long, env = "INGESTD_COMMIT_TIMEOUT_MS", default_value_t = 4000)]
    pub commit_timeout_ms: u64,

    /// Retention: sessions whose last event is older than this many days are
    /// deleted with their events (checked at start-up and every hour). 0
    /// keeps everything.
    #[arg(long, env = "INGESTD_RETENTION_DAYS", default_value_t = 0)]
    pub retention_days: u32,

    /// Most open connections; further clients wait in the listen backlog.
    #[arg(long, env = "INGESTD_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,

    /// Seconds a client has to send a request's headers (also the idle keep-alive limit).
    #[arg(long, env = "INGESTD_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds a client has to send a request's body.
    #[arg(long, env = "INGESTD_BODY_TIMEOUT", default_value_t = 10)]
    pub body_timeout_secs: u64,

    /// Requests per second allowed from one IP address (token bucket); 0 turns
    /// rate limiting off.
    #[arg(long, env = "INGESTD_RATE_LIMIT", default_value_t = 50.0)]
    pub rate_limit: f64,

    /// Burst size of the per-IP token bucket.
    #[arg(long, env = "INGESTD_RATE_BURST", default_value_t = 200.0)]
    pub rate_burst: f64,

    /// Seconds a graceful shutdown waits for open requests before closing them.
    #[arg(long, env = "INGESTD_SHUTDOWN_GRACE", default_value_t = 10)]
    pub shutdown_grace_secs: u64,

    /// Log filter, e.g. `info` or `ingestd=debug` (RUST_LOG syntax).
    #[arg(long, env = "INGESTD_LOG", default_value = "info")]
    pub log: String,
}

impl Default for Config {
    fn default() -> Self {
        // Every field has a default, so parsing no arguments cannot fail; the
        // environment is deliberately not consulted here.
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
            db: None,
            sites: Vec::new(),
            cookieless: Vec::new(),
            layout_off: Vec::new(),
            layout_max_age_hours: 24,
            trusted_proxies: Vec::new(),
            keep_query: Vec::new(),
            queue_batches: 1024,
            queue_bytes: 32 * 1024 * 1024,
            commit_events: 4096,
            commit_bytes: 4 * 1024 * 1024,
            commit_delay_ms: 0,
            commit_timeout_ms: 4000,
            retention_days: 0,
            max_connections: 4096,
            header_timeout_secs: 10,
            body_timeout_secs: 10,
            rate_limit: 50.0,
            rate_burst: 200.0,
            shutdown_grace_secs: 10,
            log: "info".into(),
        }
    }
}

impl Config {
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs.max(1))
    }

    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_secs.max(1))
    }

    pub fn commit_delay(&self) -> Duration {
        Duration::from_millis(self.commit_delay_ms)
    }

    pub fn commit_timeout(&self) -> Duration {
        Duration::from_millis(self.commit_timeout_ms.max(1))
    }

    /// How long events are kept, when limited.
    pub fn retention(&self) -> Option<Duration> {
        (self.retention_days > 0)
            .then(|| Duration::from_secs(u64::from(self.retention_days) * 86_400))
    }

    /// How old the newest layout snapshot of a page may be before another
    /// is asked for.
    pub fn layout_max_age(&self) -> Duration {
        Duration::from_secs(u64::from(self.layout_max_age_hours.max(1)) * 3600)
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }

    pub fn keep_list(&self) -> QueryKeepList {
        QueryKeepList::new(
            self.keep_query
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_cli() {
        let parsed = Config::try_parse_from(["ingestd"]).map_err(|e| e.to_string());
        let parsed = parsed.unwrap_or_else(|e| panic!("{e}"));
        let default = Config::default();
        assert_eq!(
            format!("{:?}", Config { db: None, ..parsed }),
            format!("{default:?}")
        );
    }

    #[test]
    fn parses_sites_and_keep_list() {
        let c = Config::try_parse_from([
            "ingestd",
            "--site",
            "demo",
            "--site",
            "shop=https://shop.example",
            "--keep-query",
            "utm_*,ref",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.sites, vec!["demo", "shop=https://shop.example"]);
        assert_eq!(c.keep_list(), QueryKeepList::new(["utm_*", "ref"]));
    }

    #[test]
    fn parses_privacy_options() {
        let c = Config::try_parse_from([
            "ingestd",
            "--cookieless",
            "shop,blog",
            "--trusted-proxy",
            "127.0.0.1,10.0.0.0/8",
            "--trusted-proxy",
            "::1",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.cookieless, vec!["shop", "blog"]);
        let nets: Vec<String> = c.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(nets, vec!["127.0.0.1/32", "10.0.0.0/8", "::1/128"]);
        assert!(Config::try_parse_from(["ingestd", "--trusted-proxy", "proxy.example"]).is_err());
    }

    #[test]
    fn parses_layout_options() {
        let c = Config::try_parse_from([
            "ingestd",
            "--layout-off",
            "shop,blog",
            "--layout-max-age-hours",
            "6",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.layout_off, vec!["shop", "blog"]);
        assert_eq!(c.layout_max_age(), Duration::from_secs(6 * 3600));
        assert!(Config::try_parse_from(["ingestd", "--layout-max-age-hours", "0"]).is_err());
    }
}
