//! Who the client is, by address: the peer of the connection, or, when the
//! peer is a reverse proxy the operator trusts (`--trusted-proxies`), the
//! address that proxy forwarded.
//!
//! A forwarding header is a chain of hops, each proxy appending the address
//! it heard from; everything left of the last trusted proxy's entry was
//! written by the client and proves nothing. So the chain is read from the
//! right, skipping trusted proxies, and the first address that is not one is
//! the client; each hop is read on its own, as bytes ([`super::forwarded`]),
//! so a byte a client writes spoils its own hop, never the one its proxy
//! appended. From an untrusted peer the headers are ignored altogether:
//! nobody gets a fresh rate-limit bucket by sending one.
//!
//! Addresses decide buckets only: they are never logged nor used as metric
//! labels.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use actix_web::HttpRequest;
use actix_web::http::header::X_FORWARDED_FOR;

use super::forwarded;
use crate::error::Error;

/// An address block, `192.0.2.0/24` or `2001:db8::/32`; a bare address is a
/// block of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(text: &str) -> Result<Self, String> {
        let (address, prefix) = text.split_once('/').map_or((text, None), |(a, p)| (a, Some(p)));
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or a CIDR block such as 10.0.0.0/8"))?;
        let network = network.to_canonical();
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix =
            match prefix {
                None => bits,
                Some(p) => p.parse().ok().filter(|p| *p <= bits).ok_or_else(|| {
                    format!("{text:?}: the prefix length must be a number from 0 to {bits}")
                })?,
            };
        Ok(Cidr { network, prefix })
    }

    fn contains(&self, address: IpAddr) -> bool {
        // The top `prefix` bits of a `width`-bit address.
        let mask = |width: u32| u128::MAX.checked_shl(width - u32::from(self.prefix)).unwrap_or(0);
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = mask(32) as u32;
                net.to_bits() & mask == a.to_bits() & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => net.to_bits() & mask(128) == a.to_bits() & mask(128),
            _ => false,
        }
    }
}

/// The reverse proxies whose forwarding headers are believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Parses comma-separated CIDR blocks or addresses; empty trusts none.
    pub fn parse(text: &str) -> Result<Self, String> {
        let blocks = text.split(',').map(str::trim).filter(|t| !t.is_empty());
        blocks.map(Cidr::parse).collect::<Result<_, _>>().map(TrustedProxies)
    }

    /// Whether it trusts no proxy at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|block| block.contains(address))
    }

    /// Whether the request comes straight from a trusted proxy, whose
    /// forwarding headers may then be read.
    pub fn trusts_peer(&self, req: &HttpRequest) -> bool {
        self.trusts(peer(req))
    }

    /// The client's address. When `Forwarded` and `X-Forwarded-For` are both
    /// present and name different clients, one of them was written by the
    /// client itself, and which one cannot be told: the request is refused
    /// (counting it as the proxy's own would hand every such client the
    /// proxy's bucket, and let it lock the proxy out of the admin API).
    pub fn client_address(&self, req: &HttpRequest) -> Result<IpAddr, Error> {
        let peer = peer(req);
        if !self.trusts(peer) {
            return Ok(peer);
        }
        let headers = req.headers();
        let forwarded = forwarded::forwarded(headers)
            .into_iter()
            .map(|element| element.as_ref().and_then(|e| e.get("for")).and_then(node_address));
        let x_forwarded =
            forwarded::entries(headers, &X_FORWARDED_FOR).into_iter().map(|e| e.and_then(node_address));
        match (self.forwarded_client(peer, forwarded), self.forwarded_client(peer, x_forwarded)) {
            (Some(a), Some(b)) if a != b => Err(Error::param(
                "Forwarded",
                "names another client than X-Forwarded-For: the proxy writes one of them; send neither",
            )),
            (Some(client), _) | (None, Some(client)) => Ok(client),
            (None, None) => Ok(peer),
        }
    }

    /// The client as a header's chain of hops (left to right, each read on
    /// its own: [`forwarded`]) tells it, if the request has that header: the
    /// right-most hop that is not a trusted proxy. A hop that is no address
    /// (`unknown`, an obfuscated name, a malformed or unreadable entry) ends
    /// the walk: no hop left of it can be trusted, and the last trusted one
    /// stands for the client. Since each hop is read alone, what a client
    /// wrote itself never hides the hop its proxy appended.
    fn forwarded_client(
        &self,
        peer: IpAddr,
        hops: impl DoubleEndedIterator<Item = Option<IpAddr>> + ExactSizeIterator,
    ) -> Option<IpAddr> {
        if hops.len() == 0 {
            return None;
        }
        let mut client = peer;
        for hop in hops.rev() {
            let Some(address) = hop else { break };
            client = address;
            if !self.trusts(address) {
                break;
            }
        }
        Some(client)
    }
}

/// The connection's peer (unspecified when the transport has none).
fn peer(req: &HttpRequest) -> IpAddr {
    req.peer_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip().to_canonical())
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`,
/// `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn node_address(node: &str) -> Option<IpAddr> {
    if let Some(rest) = node.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(|p| p.parse::<u16>().is_ok());
        return port_ok.then(|| v6.parse::<Ipv6Addr>().ok().map(|a| IpAddr::V6(a).to_canonical()))?;
    }
    if let Ok(address) = node.parse::<IpAddr>() {
        return Some(address.to_canonical());
    }
    let (v4, port) = node.split_once(':')?;
    port.parse::<u16>().ok()?;
    v4.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn client(proxies: &str, peer: &str, headers: &[(&str, &str)]) -> IpAddr {
        let mut req = TestRequest::default().peer_addr(std::net::SocketAddr::new(ip(peer), 5000));
        for (name, value) in headers {
            req = req.append_header((*name, *value));
        }
        TrustedProxies::parse(proxies).unwrap().client_address(&req.to_http_request()).unwrap()
    }

    #[test]
    fn parses_blocks_and_refuses_what_is_not_one() {
        let proxies = TrustedProxies::parse(" 10.0.0.0/8, ::1 ,2001:db8::/32,192.0.2.5").unwrap();
        for inside in ["10.1.2.3", "::1", "2001:db8:ffff::1", "192.0.2.5", "::ffff:10.9.9.9"] {
            assert!(proxies.trusts(ip(inside)), "{inside}");
        }
        for outside in ["11.0.0.1", "::2", "2001:db9::1", "192.0.2.6"] {
            assert!(!proxies.trusts(ip(outside)), "{outside}");
        }
        assert_eq!(TrustedProxies::parse("").unwrap(), TrustedProxies::default());
        assert!(TrustedProxies::parse("0.0.0.0/0").unwrap().trusts(ip("203.0.113.1")));
        for bad in ["10.0.0.0/33", "::/129", "10.0.0/8", "proxy.example", "10.0.0.0/-1", "10.0.0.0/"] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let spoof = [("X-Forwarded-For", "198.51.100.1"), ("Forwarded", "for=198.51.100.2")];
        assert_eq!(client("", "203.0.113.9", &spoof), ip("203.0.113.9"));
        assert_eq!(client("10.0.0.0/8", "203.0.113.9", &spoof), ip("203.0.113.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_client_is_the_right_most_untrusted_hop() {
        let proxies = "10.0.0.0/8";
        let xff = |v| client(proxies, "10.0.0.1", &[("X-Forwarded-For", v)]);
        assert_eq!(xff("203.0.113.7"), ip("203.0.113.7"));
        // What the client wrote itself, left of its real address, is ignored.
        assert_eq!(xff("198.51.100.1, 203.0.113.7"), ip("203.0.113.7"));
        assert_eq!(xff("198.51.100.1, 203.0.113.7, 10.0.0.2"), ip("203.0.113.7"));
        // Every hop trusted: the left-most is as far as the chain goes.
        assert_eq!(xff("10.0.0.3, 10.0.0.2"), ip("10.0.0.3"));
        // Unreadable hops end the walk at the last trusted one.
        assert_eq!(xff("203.0.113.7, unknown, 10.0.0.2"), ip("10.0.0.2"));
        assert_eq!(xff("203.0.113.7, garbage"), ip("10.0.0.1"));
        assert_eq!(xff("203.0.113.7:4711"), ip("203.0.113.7"));
        assert_eq!(xff("[2001:db8::7]:4711"), ip("2001:db8::7"));
        // Several header lines are one list, in order.
        let two_lines = [("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-For", "10.0.0.2")];
        assert_eq!(client(proxies, "10.0.0.1", &two_lines), ip("203.0.113.7"));
    }

    #[test]
    fn a_hop_that_is_no_text_costs_only_itself() {
        let raw = |name, value: &[u8]| {
            let req = TestRequest::default()
                .peer_addr(std::net::SocketAddr::new(ip("10.0.0.1"), 5000))
                .append_header((name, actix_web::http::header::HeaderValue::from_bytes(value).unwrap()));
            TrustedProxies::parse("10.0.0.0/8").unwrap().client_address(&req.to_http_request()).unwrap()
        };
        // What the client wrote cannot be read; what the proxy appended can.
        assert_eq!(raw("X-Forwarded-For", b"\x80\x81, 198.51.100.77"), ip("198.51.100.77"));
        assert_eq!(raw("X-Forwarded-For", b"198.51.100.1\xff, 198.51.100.77, 10.0.0.2"), ip("198.51.100.77"));
        assert_eq!(raw("Forwarded", b"for=\"\x80\", for=198.51.100.77"), ip("198.51.100.77"));
        assert_eq!(raw("Forwarded", b"for=\"198.51.100.1, for=198.51.100.77"), ip("198.51.100.77"));
        // An unreadable hop still ends the walk at the last trusted one.
        assert_eq!(raw("X-Forwarded-For", b"198.51.100.77, \xe9, 10.0.0.2"), ip("10.0.0.2"));
    }

    #[test]
    fn reads_rfc_7239_forwarded() {
        let proxies = "10.0.0.0/8, 2001:db8::/32";
        let fwd = |v| client(proxies, "10.0.0.1", &[("Forwarded", v)]);
        assert_eq!(fwd("for=203.0.113.7"), ip("203.0.113.7"));
        assert_eq!(fwd("For=\"[2001:db9::7]:4711\";proto=https, for=10.0.0.2"), ip("2001:db9::7"));
        assert_eq!(fwd("for=198.51.100.1, for=203.0.113.7;by=10.0.0.1"), ip("203.0.113.7"));
        assert_eq!(fwd("for=_hidden, for=10.0.0.2"), ip("10.0.0.2"));
        assert_eq!(fwd("proto=https"), ip("10.0.0.1"));
        assert_eq!(fwd("for=\"203.0.113.7:80\""), ip("203.0.113.7"));
    }

    #[test]
    fn two_headers_that_disagree_are_refused() {
        let both = |f, x| {
            let req = TestRequest::default()
                .peer_addr(std::net::SocketAddr::new(ip("10.0.0.1"), 5000))
                .append_header(("Forwarded", f))
                .append_header(("X-Forwarded-For", x));
            TrustedProxies::parse("10.0.0.0/8").unwrap().client_address(&req.to_http_request())
        };
        assert_eq!(both("for=203.0.113.7", "203.0.113.7").unwrap(), ip("203.0.113.7"));
        let Err(Error::InvalidParams(errors)) = both("for=198.51.100.1", "203.0.113.7") else { panic!() };
        assert_eq!(errors[0].parameter, "Forwarded");
    }
}
