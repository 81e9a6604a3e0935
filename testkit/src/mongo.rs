//! The MongoDB server the tests run against (`MONGODB_URI`), shared by the
//! engine tests, the fault tests, the end-to-end engine comparison and the
//! MongoDB write benchmark: finding it ([`server`]), naming a database on it
//! ([`with_database`], [`fresh_name`]), reaching it through a relay
//! ([`server_address`]) and dropping a test database afterwards
//! ([`drop_database`]).

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU32, Ordering};

/// The server's URI, or `None` (after saying why) to skip; with
/// `REQUIRE_MONGO=1` a missing URI fails instead.
pub fn server() -> Option<String> {
    match std::env::var("MONGODB_URI") {
        Ok(uri) if !uri.trim().is_empty() => Some(uri.trim().to_owned()),
        _ => {
            let required = std::env::var("REQUIRE_MONGO").is_ok_and(|v| v == "1");
            assert!(!required, "REQUIRE_MONGO=1 but MONGODB_URI is not set");
            eprintln!("skipped: no MongoDB (set MONGODB_URI=mongodb://HOST:PORT to run)");
            None
        }
    }
}

/// `uri` with its database replaced by `name` (its options kept).
pub fn with_database(uri: &str, name: &str) -> String {
    let (scheme, rest) = uri.split_once("://").unwrap_or(("mongodb", uri));
    let (hosts, query) = match rest.split_once('/') {
        Some((hosts, tail)) => (hosts, tail.split_once('?').map(|(_, q)| q)),
        None => match rest.split_once('?') {
            Some((hosts, q)) => (hosts, Some(q)),
            None => (rest, None),
        },
    };
    match query {
        Some(q) => format!("{scheme}://{hosts}/{name}?{q}"),
        None => format!("{scheme}://{hosts}/{name}"),
    }
}

/// The address of the first host `uri` names (for a relay in front of it).
pub fn server_address(uri: &str) -> SocketAddr {
    let host = uri
        .split_once("://")
        .map_or(uri, |(_, rest)| rest)
        .rsplit('@')
        .next()
        .unwrap_or_default()
        .split(['/', '?', ','])
        .next()
        .unwrap_or_default();
    host.to_socket_addrs()
        .expect("the server's address")
        .next()
        .expect("an address")
}

static NEXT_DATABASE: AtomicU32 = AtomicU32::new(0);

/// A database name no other test of this run uses (nor another process).
pub fn fresh_name(what: &str) -> String {
    format!(
        "analytics_test_{}_{}_{}",
        std::process::id(),
        NEXT_DATABASE.fetch_add(1, Ordering::Relaxed),
        what
    )
}

/// Drops database `name` on the server at `uri`, through a client of its own
/// (tests and benchmarks that write to MongoDB clean up after themselves).
pub fn drop_database(uri: &str, name: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("a runtime: {e}"))?;
    runtime.block_on(async {
        let client = mongodb::Client::with_uri_str(uri)
            .await
            .map_err(|e| format!("a client: {e}"))?;
        client
            .database(name)
            .drop()
            .await
            .map_err(|e| format!("drop database {name}: {e}"))
    })
}
