//! The MongoDB server the tests run against (`MONGODB_URI`), shared by the
//! engine tests, the fault tests and the end-to-end engine comparison.

use std::net::{SocketAddr, ToSocketAddrs};

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
