//! The client's address: the connection's peer, or — only when the peer is a
//! configured trusted proxy — the address that proxy reports in
//! `X-Forwarded-For`.
//!
//! The header is read from the right: each proxy appends the address it got
//! the request from, so the rightmost entries are the ones our own proxies
//! wrote. Entries are skipped while they are trusted proxies themselves; the
//! first one that is not is the client. Anything a client wrote further left
//! is never believed, and a peer that is not a trusted proxy cannot set the
//! address at all.

use ipnet::IpNet;
use std::net::IpAddr;

/// Addresses and networks whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
}

impl TrustedProxies {
    /// Trusts these networks (an address is a network of one).
    pub fn new(networks: &[IpNet]) -> Self {
        Self {
            networks: networks.iter().map(IpNet::trunc).collect(),
        }
    }

    /// Parses addresses (`10.0.0.7`, `::1`) and networks (`10.0.0.0/8`).
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let networks = entries
            .iter()
            .filter(|e| !e.trim().is_empty())
            .map(|e| parse_network(e))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(&networks))
    }

    /// Whether any proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.networks.iter().any(|n| n.contains(&address))
    }

    /// The client's address for a request from `peer` carrying these
    /// `X-Forwarded-For` header values (in the order they appeared).
    pub fn client_ip<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl DoubleEndedIterator<Item = &'a str>,
    ) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let hops = forwarded_for.rev().flat_map(|value| value.rsplit(','));
        for hop in hops {
            match parse_hop(hop) {
                // A hop we cannot read: nothing to its left can be trusted,
                // so the last proxy that wrote a readable address stands.
                None => break,
                Some(address) => {
                    client = address;
                    if !self.trusts(address) {
                        break;
                    }
                }
            }
        }
        client
    }
}

/// One trusted proxy: an address (`10.0.0.7`, `::1`) or a network
/// (`10.0.0.0/8`). Also the command-line parser of `--trusted-proxy`.
pub fn parse_network(entry: &str) -> Result<IpNet, String> {
    let entry = entry.trim();
    match entry.parse::<IpNet>() {
        Ok(network) => Ok(network.trunc()),
        Err(_) => entry
            .parse::<IpAddr>()
            .map(|address| IpNet::from(address.to_canonical()))
            .map_err(|_| {
                format!("{entry:?} is neither an IP address nor a network like 10.0.0.0/8")
            }),
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port
/// (`192.0.2.1:5000`, `[2001:db8::1]:5000`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(address) = hop.parse::<IpAddr>() {
        return Some(address.to_canonical());
    }
    if let Ok(socket) = hop.parse::<std::net::SocketAddr>() {
        return Some(socket.ip().to_canonical());
    }
    hop.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .and_then(|h| h.parse::<IpAddr>().ok())
        .map(|a| a.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn proxies(entries: &[&str]) -> TrustedProxies {
        let entries: Vec<String> = entries.iter().map(|s| s.to_string()).collect();
        TrustedProxies::parse(&entries).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn untrusted_peers_cannot_set_the_address() {
        let none = proxies(&[]);
        assert_eq!(
            none.client_ip(ip("198.51.100.9"), ["203.0.113.5"].into_iter()),
            ip("198.51.100.9")
        );
        let some = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            some.client_ip(ip("198.51.100.9"), ["203.0.113.5"].into_iter()),
            ip("198.51.100.9")
        );
    }

    #[test]
    fn trusted_peer_gives_the_rightmost_untrusted_hop() {
        let p = proxies(&["10.0.0.0/8", "192.0.2.10"]);
        // The client forged the first entry; our proxies added the rest.
        let header = ["1.2.3.4, 203.0.113.5, 10.1.1.1", "192.0.2.10"];
        assert_eq!(
            p.client_ip(ip("10.0.0.1"), header.into_iter()),
            ip("203.0.113.5")
        );
        // Only trusted hops: the leftmost one is the client.
        assert_eq!(
            p.client_ip(ip("10.0.0.1"), ["10.2.2.2, 10.3.3.3"].into_iter()),
            ip("10.2.2.2")
        );
        // No header: the proxy itself.
        assert_eq!(
            p.client_ip(ip("10.0.0.1"), std::iter::empty()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn garbage_stops_the_walk() {
        let p = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            p.client_ip(ip("10.0.0.1"), ["203.0.113.5, nonsense"].into_iter()),
            ip("10.0.0.1")
        );
        assert_eq!(
            p.client_ip(ip("10.0.0.1"), ["unknown, 203.0.113.5"].into_iter()),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn reads_ports_brackets_and_mapped_addresses() {
        let p = proxies(&["::1", "127.0.0.1"]);
        assert_eq!(
            p.client_ip(ip("::ffff:127.0.0.1"), ["[2001:db8::1]:443"].into_iter()),
            ip("2001:db8::1")
        );
        assert_eq!(
            p.client_ip(ip("::1"), ["203.0.113.5:5000"].into_iter()),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn rejects_bad_entries() {
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.example".into()]).is_err());
        assert!(!proxies(&["10.0.0.1"]).is_empty());
    }
}
