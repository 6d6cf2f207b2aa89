//! Where the service is reached: the base of every absolute URL it writes
//! (the FHIR view's links, `fullUrl`s and `implementation.url`), and the
//! origin of its own pages (the widget), which the partner gate lets call
//! without CORS.
//!
//! For each request it is, in order:
//! 1. `--public-url`, when configured: always, whatever the request says;
//! 2. from a peer in `--trusted-proxies`, the host and scheme that proxy
//!    forwarded (`Forwarded`'s `host=` and `proto=`, `X-Forwarded-Host`,
//!    `X-Forwarded-Proto`), when they are a valid `host[:port]` and `http`
//!    or `https`;
//! 3. else the address the service listens on, `http://{--bind}`.
//!
//! The request's `Host` is never read, nor any forwarding header from a peer
//! not trusted: a client could write them, and what it writes would come back
//! in the links others follow, and would make its own page look like ours to
//! the origin check.

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv6Addr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::http::header::{HeaderMap, HeaderName, X_FORWARDED_HOST, X_FORWARDED_PROTO};

use super::client::TrustedProxies;
use super::forwarded;

/// An absolute `http` or `https` URL with a host and maybe a path, no user,
/// query or fragment; scheme and host in lower case, without the scheme's
/// default port (as browsers write an `Origin`) or a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl {
    /// The whole URL: `scheme://host[:port]`, then the path if any.
    url: Box<str>,
    /// Where the path starts: the origin is what comes before.
    origin_len: usize,
}

impl PublicUrl {
    /// Parses a configured public URL, e.g. `https://locator.example.org` or
    /// `https://example.org/locator` (served under that path by a proxy).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("{text:?} is not a public URL: {why}");
        let (scheme, rest) =
            text.split_once("://").ok_or_else(|| bad("it must start with https:// or http://"))?;
        if rest.contains(['?', '#']) {
            return Err(bad("give the base alone, with no query (?) or fragment (#)"));
        }
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.contains('@') {
            return Err(bad("it must name no user or password (…@)"));
        }
        let path_ok = path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@%".contains(&b))
            // Each `%` begins an escape: two hexadecimal digits.
            && path.split('%').skip(1).all(|after| after.len() >= 2 && after.as_bytes()[..2].iter().all(u8::is_ascii_hexdigit));
        if !path_ok {
            return Err(bad("its path may hold only URL characters (percent-encode the others)"));
        }
        PublicUrl::new(scheme, authority, path.trim_end_matches('/')).map_err(|why| bad(&why))
    }

    /// `scheme://authority` and `path`, the first two checked: `http` or
    /// `https` (any case), and a `host[:port]` (a DNS name, an IPv4 address or
    /// a bracketed IPv6 one).
    fn new(scheme: &str, authority: &str, path: &str) -> Result<Self, String> {
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return Err("the scheme must be http or https".into()),
        };
        let (host, port) =
            host_and_port(authority).ok_or("it needs a host, and a port only as 1 to 65535")?;
        let origin = match port {
            Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
            _ => format!("{scheme}://{host}"),
        };
        Ok(PublicUrl { origin_len: origin.len(), url: format!("{origin}{path}").into() })
    }

    /// `scheme://host[:port]`, as a browser names this service's pages.
    pub fn origin(&self) -> &str {
        &self.url[..self.origin_len]
    }

    /// The absolute URL of `path` (which starts with `/`) under this one.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

/// A `host[:port]`: the host in lower case (an IPv6 address in its short
/// form, bracketed), and the port.
fn host_and_port(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => {
            let (v6, after) = rest.split_once(']')?;
            let port = if after.is_empty() { None } else { Some(after.strip_prefix(':')?) };
            (format!("[{}]", v6.parse::<Ipv6Addr>().ok()?), port)
        }
        None => {
            let (host, port) = authority.split_once(':').map_or((authority, None), |(h, p)| (h, Some(p)));
            // A name's labels are letters and digits, with hyphens (RFC
            // 1123) and underscores (container and service names) inside,
            // and its last begins with a letter (no top-level domain is
            // numeric); anything else must be a dotted IPv4 address, so that
            // no spelling (`0x7f.1`, `999.999.999.999`) means an address to
            // one reader and a name to another.
            let label_ok = |l: &str| {
                (1..=63).contains(&l.len())
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    && l.starts_with(|c: char| c.is_ascii_alphanumeric())
                    && l.ends_with(|c: char| c.is_ascii_alphanumeric())
            };
            let named =
                host.rsplit('.').next().is_some_and(|tld| tld.starts_with(|c: char| c.is_ascii_alphabetic()));
            let valid = if named {
                host.len() <= 253 && host.split('.').all(label_ok)
            } else {
                host.parse::<std::net::Ipv4Addr>().is_ok()
            };
            if !valid {
                return None;
            }
            (host.to_ascii_lowercase(), port)
        }
    };
    let port = match port {
        None => None,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse::<u16>().ok().filter(|&n| n > 0)?),
        Some(_) => return None,
    };
    Some((host, port))
}

/// How each request's public URL is found (see the module's doc).
#[derive(Debug)]
pub struct PublicBase {
    configured: Option<PublicUrl>,
    bind: PublicUrl,
}

impl PublicBase {
    /// `configured` (`--public-url`) if any; else forwarded by a trusted
    /// proxy, or `http://{bind}`.
    pub fn new(configured: Option<PublicUrl>, bind: &str) -> Result<Self, String> {
        let bind_url = match bind.parse::<SocketAddr>() {
            // An address the system listens on stands even where no client
            // can reach it (`0.0.0.0`, port 0: warned below).
            Ok(address) => PublicUrl::new("http", &address.to_string(), "").unwrap_or_else(|_| {
                let origin = format!("http://{address}");
                PublicUrl { origin_len: origin.len(), url: origin.into() }
            }),
            Err(_) => PublicUrl::parse(&format!("http://{bind}")).map_err(|e| {
                format!("--bind {bind:?} cannot stand for the public URL ({e}): set --public-url")
            })?,
        };
        let unreachable = bind.parse::<SocketAddr>().is_ok_and(|a| a.ip().is_unspecified() || a.port() == 0);
        if configured.is_none() && unreachable {
            tracing::warn!(
                "without --public-url, absolute URLs (FHIR links) name {bind_url}, which no client can reach"
            );
        }
        Ok(PublicBase { configured, bind: bind_url })
    }

    /// The public URL `req` was sent to.
    pub fn of(&self, req: &HttpRequest, proxies: &TrustedProxies) -> Cow<'_, PublicUrl> {
        if let Some(url) = &self.configured {
            return Cow::Borrowed(url);
        }
        match proxies.trusts_peer(req).then(|| forwarded_url(req.headers())).flatten() {
            Some(url) => Cow::Owned(url),
            None => Cow::Borrowed(&self.bind),
        }
    }
}

/// The scheme and host a trusted proxy forwarded: the right-most `Forwarded`
/// element's `proto=` and `host=`, and the right-most `X-Forwarded-Proto` and
/// `X-Forwarded-Host` entries (the right-most is what the proxy itself wrote;
/// to the left stands what came to it). A host is needed; the scheme is
/// `http` unless given. Anything unreadable or invalid, or the two headers
/// naming different hosts or schemes (one of them came from the client),
/// and none is used.
fn forwarded_url(headers: &HeaderMap) -> Option<PublicUrl> {
    let element = match forwarded::forwarded(headers).pop() {
        Some(None) => return None,
        element => element.flatten(),
    };
    let said = |name| element.as_ref().and_then(|e| e.get(name));
    let last = |name: &HeaderName| {
        forwarded::entries(headers, name).pop().map_or(Some(None), |entry| entry.map(Some))
    };
    let host = agreed(said("host"), last(&X_FORWARDED_HOST)?)??;
    let proto = agreed(said("proto"), last(&X_FORWARDED_PROTO)?)?.unwrap_or("http");
    PublicUrl::new(proto, host, "").ok()
}

/// What two headers say, if they do not contradict each other.
fn agreed<'a>(a: Option<&'a str>, b: Option<&'a str>) -> Option<Option<&'a str>> {
    match (a, b) {
        (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b) => None,
        _ => Some(a.or(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn parses_and_normalises_a_public_url() {
        let cases = [
            ("https://locator.example.org", "https://locator.example.org", "https://locator.example.org"),
            (
                "HTTPS://Locator.Example.ORG:443/Dir/",
                "https://locator.example.org",
                "https://locator.example.org/Dir",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://host_1:80/", "http://host_1", "http://host_1"),
            ("https://a.example:0443", "https://a.example", "https://a.example"),
            ("http://[2001:DB8:0::1]:8443/a/b", "http://[2001:db8::1]:8443", "http://[2001:db8::1]:8443/a/b"),
        ];
        for (text, origin, whole) in cases {
            let url = PublicUrl::parse(text).unwrap();
            assert_eq!((url.origin(), url.to_string().as_str()), (origin, whole), "{text}");
        }
        assert_eq!(
            PublicUrl::parse("https://a.example/x").unwrap().join("/fhir"),
            "https://a.example/x/fhir"
        );
    }

    #[test]
    fn refuses_what_is_no_public_url() {
        for bad in [
            "",
            "locator.example.org",
            "ftp://locator.example.org",
            "javascript://locator.example.org",
            "https://",
            "https:///fhir",
            "https://user:secret@locator.example.org",
            "https://evil.example:1@attacker.example",
            "https://locator.example.org/?a=1",
            "https://locator.example.org#top",
            "https://locator.example.org:0",
            "https://locator.example.org:65536",
            "https://locator.example.org:+80",
            "https://locator.example.org:",
            "https://locator..example.org",
            "https://locator.example.org.",
            "https://locator example.org",
            "https://locator.example.org/a b",
            "https://[::1",
            "https://[not-v6]",
            "https://caf\u{e9}.example",
            "https://-evil-.example",
            "https://_",
            "https://0x7f.1",
            "https://999.999.999.999",
            "https://127.1",
            "https://locator.example.org/%zz",
            "https://locator.example.org/%4",
        ] {
            let refused = PublicUrl::parse(bad).expect_err(bad);
            assert!(refused.contains("is not a public URL"), "{bad}: {refused}");
        }
    }

    /// The public URL of a request from `peer` with `headers`, behind
    /// proxies at 10.0.0.0/8, configured with `configured`.
    fn public(configured: Option<&str>, peer: [u8; 4], headers: &[(&str, &[u8])]) -> String {
        let base =
            PublicBase::new(configured.map(|c| PublicUrl::parse(c).unwrap()), "127.0.0.1:8080").unwrap();
        let mut req = TestRequest::default().peer_addr(std::net::SocketAddr::from((peer, 5000)));
        for (name, value) in headers {
            req =
                req.append_header((*name, actix_web::http::header::HeaderValue::from_bytes(value).unwrap()));
        }
        base.of(&req.to_http_request(), &TrustedProxies::parse("10.0.0.0/8").unwrap()).to_string()
    }

    #[test]
    fn the_bind_address_stands_as_it_is_listened_on() {
        for (bind, want) in [
            ("127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("127.0.0.1:80", "http://127.0.0.1"),
            ("0.0.0.0:0", "http://0.0.0.0:0"),
            ("[::]:8080", "http://[::]:8080"),
            ("LocalHost:8080", "http://localhost:8080"),
        ] {
            let base = PublicBase::new(None, bind).unwrap();
            assert_eq!(base.bind.to_string(), want, "{bind}");
        }
        assert!(PublicBase::new(None, "local host:8080").unwrap_err().contains("set --public-url"));
    }

    const BIND: &str = "http://127.0.0.1:8080";
    const PROXY: [u8; 4] = [10, 0, 0, 1];

    #[test]
    fn an_untrusted_peer_says_nothing_about_the_public_url() {
        let hostile: [(&str, &[u8]); 4] = [
            ("Host", b"evil.example:1@attacker.example"),
            ("Forwarded", b"host=\"evil.example\";proto=https"),
            ("X-Forwarded-Host", b"evil.example"),
            ("X-Forwarded-Proto", b"https"),
        ];
        assert_eq!(public(None, [203, 0, 113, 9], &hostile), BIND);
        // A configured URL wins over everything, a trusted proxy included.
        let configured = Some("https://locator.example.org/dir");
        assert_eq!(public(configured, [203, 0, 113, 9], &hostile), "https://locator.example.org/dir");
        assert_eq!(public(configured, PROXY, &hostile), "https://locator.example.org/dir");
    }

    type Headers<'a> = &'a [(&'a str, &'a [u8])];

    #[test]
    fn a_trusted_proxy_forwards_a_valid_host_and_scheme_or_nothing() {
        let cases: [(Headers, &str); 16] = [
            (&[("Forwarded", b"host=\"public.example\";proto=https")], "https://public.example"),
            (
                &[("Forwarded", b"HOST=Public.Example:8443;Proto=HTTPS;for=203.0.113.7")],
                "https://public.example:8443",
            ),
            (
                &[("Forwarded", b"host=evil.example;proto=https, for=203.0.113.7;host=public.example")],
                "http://public.example",
            ),
            (&[("Forwarded", b"for=203.0.113.7;host=public.example"), ("Forwarded", b"for=10.0.0.2")], BIND),
            (
                &[("X-Forwarded-Host", b"public.example"), ("X-Forwarded-Proto", b"https")],
                "https://public.example",
            ),
            (
                &[("X-Forwarded-Host", b"evil.example, public.example:443"), ("X-Forwarded-Proto", b"https")],
                "https://public.example",
            ),
            (
                &[("Forwarded", b"host=public.example;proto=https"), ("X-Forwarded-Host", b"PUBLIC.example")],
                "https://public.example",
            ),
            // Invalid, unreadable or contradicting: none of it.
            (&[("Forwarded", b"host=\"evil.example\";proto=javascript")], BIND),
            (&[("Forwarded", b"host=\"evil.example:1@attacker.example\"")], BIND),
            (&[("Forwarded", b"host=public.example, host=\"unclosed")], BIND),
            (&[("Forwarded", b"host=public.example;host=evil.example")], BIND),
            (&[("X-Forwarded-Host", b"public.example"), ("X-Forwarded-Proto", b"javascript")], BIND),
            (&[("X-Forwarded-Host", b"public.example, \xff")], BIND),
            (&[("Forwarded", b"host=public.example"), ("X-Forwarded-Host", b"evil.example")], BIND),
            (&[("Forwarded", b"host=public.example;proto=https"), ("X-Forwarded-Proto", b"http")], BIND),
            (&[("X-Forwarded-Proto", b"https")], BIND),
        ];
        for (headers, want) in cases {
            assert_eq!(public(None, PROXY, headers), want, "{headers:?}");
        }
    }
}
