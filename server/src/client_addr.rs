//! Who the client is: the one place that decides a request's client address.
//!
//! Behind a reverse proxy every TCP peer is the proxy. Only when the peer is one of the
//! configured trusted proxies is `X-Forwarded-For` read, and then from the right: each
//! proxy appends the address it received the request from, so the rightmost entry that
//! is not itself a trusted proxy is the first address no trusted party vouches for
//! forwarding, the client. Entries further left were written by the client and prove
//! nothing. Sign-in throttling, the audit log, sessions and (later) usage and IP
//! allow-lists all see this address, through [`ClientIp`].

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request};
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The client's address, as decided by [`TrustedProxies::client_ip`]. Put into every
/// request's extensions by [`layer`]; absent when the request came from no socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

/// Longest `X-Forwarded-For` chain read (a client can send any number of entries; the
/// real hops are few).
const MAX_HOPS: usize = 32;

impl TrustedProxies {
    /// Trusts these networks.
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    /// Whether `ip` is a trusted proxy.
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client address of a request that arrived from `peer`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        // Every X-Forwarded-For line, in order, as one list; read from the right.
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect::<Vec<_>>();
        for hop in hops.iter().rev().take(MAX_HOPS) {
            let Some(ip) = parse_hop(hop) else {
                // Garbage where an address should be: the last hop we trust stands.
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: `1.2.3.4`, `2001:db8::1`, or with a port
/// (`1.2.3.4:5678`, `[2001:db8::1]:5678`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(addr) = hop.parse::<SocketAddr>() {
        return Some(canonical(addr.ip()));
    }
    hop.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .and_then(|h| h.parse::<IpAddr>().ok())
        .map(canonical)
}

/// IPv4 clients of a dual-stack socket arrive as `::ffff:a.b.c.d`: one client, one form.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// A layer that decides each request's [`ClientIp`] from its [`ConnectInfo`] and headers.
/// A plain function over the request (no boxing): it sits in front of every route,
/// key verification included.
pub fn layer(
    proxies: Arc<TrustedProxies>,
) -> tower::util::MapRequestLayer<
    impl Fn(Request<axum::body::Body>) -> Request<axum::body::Body> + Clone,
> {
    tower::util::MapRequestLayer::new(move |mut req: Request<axum::body::Body>| {
        if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
            let ip = proxies.client_ip(peer.ip(), req.headers());
            req.extensions_mut().insert(ClientIp(ip));
        }
        req
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|n| n.parse().unwrap()).collect())
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn client_ip_ignores_forwarded_for_from_an_untrusted_peer() {
        let p = proxies(&["10.0.0.0/8"]);
        let h = xff(&["1.1.1.1"]);
        assert_eq!(p.client_ip(ip("203.0.113.9"), &h), ip("203.0.113.9"));
        assert_eq!(
            TrustedProxies::default().client_ip(ip("10.0.0.1"), &h),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn client_ip_reads_from_the_right_skipping_trusted_hops() {
        let p = proxies(&["10.0.0.0/8", "192.168.1.10/32"]);
        // The client forged the leftmost entry; the proxies appended the rest.
        let h = xff(&["6.6.6.6, 198.51.100.7, 10.1.2.3"]);
        assert_eq!(p.client_ip(ip("192.168.1.10"), &h), ip("198.51.100.7"));
        // The same chain split over several header lines.
        let h = xff(&["6.6.6.6", "198.51.100.7", "10.1.2.3"]);
        assert_eq!(p.client_ip(ip("10.9.9.9"), &h), ip("198.51.100.7"));
    }

    #[test]
    fn client_ip_without_forwarded_for_is_the_peer() {
        let p = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            p.client_ip(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn client_ip_stops_at_garbage_and_takes_the_last_trusted_hop() {
        let p = proxies(&["10.0.0.0/8"]);
        let h = xff(&["1.2.3.4, not-an-ip, 10.0.0.2"]);
        assert_eq!(p.client_ip(ip("10.0.0.1"), &h), ip("10.0.0.2"));
    }

    #[test]
    fn client_ip_reads_ports_brackets_and_mapped_addresses() {
        let p = proxies(&["10.0.0.0/8", "::ffff:0:0/96"]);
        let h = xff(&["[2001:db8::1]:4711"]);
        assert_eq!(p.client_ip(ip("10.0.0.1"), &h), ip("2001:db8::1"));
        let h = xff(&["203.0.113.5:1234"]);
        assert_eq!(p.client_ip(ip("10.0.0.1"), &h), ip("203.0.113.5"));
        // A dual-stack peer ::ffff:10.0.0.1 is the trusted IPv4 proxy 10.0.0.1.
        let h = xff(&["::ffff:203.0.113.5"]);
        assert_eq!(p.client_ip(ip("::ffff:10.0.0.1"), &h), ip("203.0.113.5"));
    }

    #[test]
    fn client_ip_of_an_all_trusted_chain_is_its_leftmost_hop() {
        let p = proxies(&["10.0.0.0/8"]);
        let h = xff(&["10.0.0.3, 10.0.0.2"]);
        assert_eq!(p.client_ip(ip("10.0.0.1"), &h), ip("10.0.0.3"));
    }
}
