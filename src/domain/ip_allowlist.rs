//! A key's IP allow-list: the IPv4 and IPv6 networks (CIDRs) it may be used from.
//!
//! Empty means any address. A key with a list is checked against the address it was
//! presented from, and fails closed when that address is not known.

use super::validation::{FieldError, Problem};
use ipnet::IpNet;
use std::net::IpAddr;

/// Most networks on one key.
pub const MAX_NETWORKS: usize = 50;

/// The networks a key may be used from, normalised (host bits cleared, no duplicates,
/// in the order first given). Empty: any address.
///
/// One pointer wide, and no allocation when empty: every cached key holds one, and most
/// keys have no list (`KeyFacts` stays small).
// A boxed `Vec` on purpose: a thin pointer, where `Box<[IpNet]>` would be two words.
#[allow(clippy::box_collection)]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpAllowList(Option<Box<Vec<IpNet>>>);

impl IpAllowList {
    /// Reads networks separated by line breaks, commas or spaces. A bare address is a
    /// network of one (`/32`, `/128`); `10.1.2.3/8` becomes `10.0.0.0/8`. An IPv4 address
    /// written as IPv6 (`::ffff:10.0.0.1`) is read as IPv4.
    pub fn parse(field: &str, text: &str) -> Result<Self, FieldError> {
        let mut nets: Vec<IpNet> = Vec::new();
        for entry in text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
        {
            let net =
                parse_network(entry).ok_or_else(|| FieldError::new(field, Problem::IpNetwork))?;
            if !nets.contains(&net) {
                nets.push(net);
            }
            if nets.len() > MAX_NETWORKS {
                return Err(FieldError::new(field, Problem::IpNetworksTooMany));
            }
        }
        nets.shrink_to_fit();
        Ok(Self((!nets.is_empty()).then(|| Box::new(nets))))
    }

    /// The networks.
    fn nets(&self) -> &[IpNet] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }

    /// Whether no network is listed (any address may use the key).
    pub fn is_empty(&self) -> bool {
        self.nets().is_empty()
    }

    /// How many networks are listed.
    pub fn len(&self) -> usize {
        self.nets().len()
    }

    /// Whether `ip` is in one of the networks. An empty list allows every address.
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.is_empty() || self.nets().iter().any(|net| net.contains(&ip))
    }

    /// The networks, each as `address/prefix`.
    pub fn networks(&self) -> impl Iterator<Item = String> + '_ {
        self.nets().iter().map(IpNet::to_string)
    }

    /// The stored form: the networks separated by spaces, or `None` for an empty list.
    pub fn to_stored(&self) -> Option<String> {
        (!self.is_empty()).then(|| self.networks().collect::<Vec<_>>().join(" "))
    }
}

impl serde::Serialize for IpAllowList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.networks())
    }
}

/// One network or address, normalised; `None` if it is neither.
fn parse_network(entry: &str) -> Option<IpNet> {
    let net = match entry.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => IpNet::from(entry.parse::<IpAddr>().ok()?),
    };
    let net = match net {
        // `::ffff:a.b.c.d/p` with p ≥ 96 is an IPv4 network.
        IpNet::V6(v6) => match v6.addr().to_ipv4_mapped() {
            Some(v4) if v6.prefix_len() >= 96 => {
                IpNet::new(IpAddr::V4(v4), v6.prefix_len() - 96).ok()?
            }
            _ => net,
        },
        IpNet::V4(_) => net,
    };
    Some(net.trunc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    #[test]
    fn parse_normalises_and_deduplicates() {
        let list = IpAllowList::parse(
            "ips",
            "10.1.2.3/8, 192.0.2.7\n2001:db8::1/32 10.0.0.0/8\n::ffff:198.51.100.9",
        )
        .unwrap_or_default();
        assert_eq!(
            list.networks().collect::<Vec<_>>(),
            [
                "10.0.0.0/8",
                "192.0.2.7/32",
                "2001:db8::/32",
                "198.51.100.9/32"
            ]
        );
        assert_eq!(
            list.to_stored().as_deref(),
            Some("10.0.0.0/8 192.0.2.7/32 2001:db8::/32 198.51.100.9/32")
        );
        assert_eq!(
            IpAllowList::parse("ips", " \n ,"),
            Ok(IpAllowList::default())
        );
        assert_eq!(IpAllowList::default().to_stored(), None);
    }

    #[test]
    fn parse_refuses_junk_and_long_lists() {
        for bad in [
            "10.0.0.0/33",
            "example.com",
            "10.0.0",
            "2001:db8::/129",
            "10.0.0.1/-1",
        ] {
            let err = IpAllowList::parse("ips", bad).err();
            assert_eq!(err.map(|e| e.problem), Some(Problem::IpNetwork), "{bad}");
        }
        let fifty: Vec<String> = (0..50).map(|i| format!("10.0.{i}.0/24")).collect();
        assert_eq!(
            IpAllowList::parse("ips", &fifty.join(",")).map(|l| l.len()),
            Ok(50)
        );
        let fifty_one = format!("{},10.1.0.0/16", fifty.join(","));
        assert_eq!(
            IpAllowList::parse("ips", &fifty_one)
                .err()
                .map(|e| e.problem),
            Some(Problem::IpNetworksTooMany)
        );
    }

    #[test]
    fn allows_addresses_in_its_networks_only() {
        let list = IpAllowList::parse("ips", "203.0.113.0/24 2001:db8:aa::/48").unwrap_or_default();
        assert!(list.allows(ip("203.0.113.200")));
        assert!(list.allows(ip("::ffff:203.0.113.5")), "IPv4-mapped IPv6");
        assert!(list.allows(ip("2001:db8:aa:1::7")));
        assert!(!list.allows(ip("203.0.114.1")));
        assert!(!list.allows(ip("2001:db8:ab::1")));
        assert!(!list.allows(ip("::1")));
        assert!(
            IpAllowList::default().allows(ip("198.51.100.1")),
            "empty: any address"
        );
    }
}
