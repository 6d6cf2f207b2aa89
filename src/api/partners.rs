//! Who is calling: partner sites identified by an `X-Api-Key`, or anonymous
//! callers by their address; how many requests a minute each may make, and
//! which browser origins may call with a partner's key.
//!
//! Partners are configured in a TOML file (`LOCATOR_PARTNERS_FILE`) that holds
//! only the SHA-256 of each key, so the file can be read by more people than
//! the keys themselves:
//!
//! ```toml
//! [[partner]]
//! name = "lems-foundation"
//! key_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
//! requests_per_minute = 600
//! allowed_origins = ["https://lems-foundation.example"]
//! ```

use std::net::IpAddr;
use std::num::NonZeroU32;

use actix_web::HttpRequest;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::client::TrustedProxies;
use crate::error::Error;

/// The request header that carries a partner's key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// A browser origin, `scheme://host[:port]`, lower-cased as browsers send it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    /// Parses an origin as configured: http or https, a host, an optional
    /// port, nothing after (no path, not even a trailing slash).
    pub fn parse(text: &str) -> Result<Self, String> {
        let lower = text.trim().to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .ok_or_else(|| format!("origin {text:?} must start with https:// or http://"))?;
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (host, Some(port)),
            _ => (rest, None),
        };
        let host_ok = !host.is_empty()
            && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.[]".contains(&b) || b == b':');
        let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
        if host_ok && port_ok {
            Ok(Origin(lower))
        } else {
            Err(format!("origin {text:?} is not scheme://host[:port] (no path, no trailing slash)"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which browser origins may call: a list, or any (`*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origins {
    Any,
    Listed(Vec<Origin>),
}

impl Origins {
    /// Parses a comma-separated list; `*` alone allows any origin.
    pub fn parse_list(text: &str) -> Result<Self, String> {
        let entries: Vec<&str> = text.split(',').map(str::trim).filter(|e| !e.is_empty()).collect();
        if entries == ["*"] {
            return Ok(Origins::Any);
        }
        entries.into_iter().map(Origin::parse).collect::<Result<_, _>>().map(Origins::Listed)
    }

    /// The origins as a CSP source list (`frame-ancestors`): `*`, the
    /// origins, or `'none'` for an empty list.
    pub fn sources(&self) -> String {
        match self {
            Origins::Any => "*".to_owned(),
            Origins::Listed(list) if list.is_empty() => "'none'".to_owned(),
            Origins::Listed(list) => list.iter().map(Origin::as_str).collect::<Vec<_>>().join(" "),
        }
    }

    /// Whether `origin` (as the browser sent it) may call.
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            Origins::Any => true,
            Origins::Listed(list) => list.iter().any(|o| o.0.eq_ignore_ascii_case(origin)),
        }
    }
}

/// One partner from the file.
#[derive(Debug)]
pub struct Partner {
    pub name: String,
    key_sha256: [u8; 32],
    pub requests_per_minute: NonZeroU32,
    pub allowed_origins: Origins,
}

/// The file's layout: `[[partner]]` tables, nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartnersFile {
    #[serde(default)]
    partner: Vec<PartnerEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartnerEntry {
    name: String,
    key_sha256: String,
    requests_per_minute: NonZeroU32,
    #[serde(default)]
    allowed_origins: Vec<String>,
}

/// Who a request comes from, for rate limiting and CORS.
#[derive(Clone, Copy, Debug)]
pub enum Caller<'a> {
    Partner(&'a Partner),
    /// No key: limited per client address.
    Anonymous(IpAddr),
}

impl Caller<'_> {
    /// The partner's name, or `anonymous`: how metrics name the caller.
    pub fn name(&self) -> &str {
        match self {
            Caller::Partner(p) => &p.name,
            Caller::Anonymous(_) => "anonymous",
        }
    }
}

/// The access policy: partners, the anonymous limit, the default origins.
#[derive(Debug)]
pub struct Access {
    partners: Vec<Partner>,
    anonymous_per_minute: NonZeroU32,
    default_origins: Origins,
    trusted_proxies: TrustedProxies,
}

/// How many requests a minute an anonymous client address may make unless configured.
pub const DEFAULT_ANONYMOUS_PER_MINUTE: u32 = 120;

impl Default for Access {
    /// No partners, the default anonymous limit, no cross-origin callers.
    fn default() -> Self {
        Access {
            partners: Vec::new(),
            anonymous_per_minute: NonZeroU32::new(DEFAULT_ANONYMOUS_PER_MINUTE).expect("not zero"),
            default_origins: Origins::Listed(Vec::new()),
            trusted_proxies: TrustedProxies::default(),
        }
    }
}

impl Access {
    pub fn new(partners: Vec<Partner>, anonymous_per_minute: NonZeroU32, default_origins: Origins) -> Self {
        Access { partners, anonymous_per_minute, default_origins, trusted_proxies: TrustedProxies::default() }
    }

    /// Believes the forwarding headers of these reverse proxies.
    pub fn with_trusted_proxies(self, trusted_proxies: TrustedProxies) -> Self {
        Access { trusted_proxies, ..self }
    }

    /// Parses a partners file. Names and key hashes must be unique; a key
    /// hash is 64 hex digits; a partner's origins are listed, never `*`.
    pub fn parse_partners(toml_text: &str) -> Result<Vec<Partner>, Error> {
        let bad = |message: String| Error::Config(format!("partners file: {message}"));
        let file: PartnersFile = toml::from_str(toml_text).map_err(|e| bad(e.to_string()))?;
        let mut partners: Vec<Partner> = Vec::new();
        for entry in file.partner {
            let name = entry.name.trim().to_owned();
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
                return Err(bad(format!("partner name {name:?} must be letters, digits, - _ or .")));
            }
            let key_sha256 = parse_sha256(&entry.key_sha256)
                .ok_or_else(|| bad(format!("{name}: key_sha256 must be 64 hex digits")))?;
            if partners.iter().any(|p| p.name == name || p.key_sha256 == key_sha256) {
                return Err(bad(format!("{name}: the name or key appears twice")));
            }
            let origins = entry
                .allowed_origins
                .iter()
                .map(|o| Origin::parse(o))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad(format!("{name}: {e}")))?;
            partners.push(Partner {
                name,
                key_sha256,
                requests_per_minute: entry.requests_per_minute,
                allowed_origins: Origins::Listed(origins),
            });
        }
        Ok(partners)
    }

    /// Identifies the caller: a known key's partner, or the client address
    /// when no key is given. An unknown key is a 401, not an anonymous call,
    /// so a partner with a mistyped key finds out at once.
    pub fn identify(&self, req: &HttpRequest) -> Result<Caller<'_>, Error> {
        let Some(key) = req.headers().get(API_KEY_HEADER) else {
            return self.client_address(req).map(Caller::Anonymous);
        };
        self.partner(key.as_bytes()).map(Caller::Partner).ok_or(Error::UnknownApiKey)
    }

    /// The partner holding `key`, if any.
    pub fn partner(&self, key: &[u8]) -> Option<&Partner> {
        let digest: [u8; 32] = Sha256::digest(key).into();
        self.partners.iter().find(|p| p.key_sha256 == digest)
    }

    /// The client's address, through the trusted proxies.
    pub fn client_address(&self, req: &HttpRequest) -> Result<IpAddr, Error> {
        self.trusted_proxies.client_address(req)
    }

    /// The reverse proxies whose forwarding headers are believed.
    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.trusted_proxies
    }

    pub fn partners(&self) -> impl Iterator<Item = &Partner> {
        self.partners.iter()
    }

    /// The requests a minute each anonymous client network may make.
    pub fn anonymous_per_minute(&self) -> NonZeroU32 {
        self.anonymous_per_minute
    }

    /// The origins whose pages may call as `caller`.
    pub fn origins<'a>(&'a self, caller: Caller<'a>) -> &'a Origins {
        match caller {
            Caller::Partner(p) => &p.allowed_origins,
            Caller::Anonymous(_) => self.default_origins(),
        }
    }

    /// The origins whose pages may call without a key.
    pub fn default_origins(&self) -> &Origins {
        &self.default_origins
    }

    /// Whether any caller may call from `origin`: the answer to a CORS
    /// preflight, which browsers send without the key.
    pub fn any_allows(&self, origin: &str) -> bool {
        self.default_origins.allows(origin) || self.partners.iter().any(|p| p.allowed_origins.allows(origin))
    }

    pub fn partner_count(&self) -> usize {
        self.partners.len()
    }
}

fn parse_sha256(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim().as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // SHA-256 of "test" (echo -n test | sha256sum).
    const TEST_HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn parses_a_partners_file() {
        let text = format!(
            "[[partner]]\nname = \"lems-foundation\"\nkey_sha256 = \"{TEST_HASH}\"\nrequests_per_minute = 600\n\
             allowed_origins = [\"https://lems.example\", \"http://localhost:3000\"]\n"
        );
        let partners = Access::parse_partners(&text).unwrap();
        assert_eq!(partners.len(), 1);
        assert_eq!(partners[0].key_sha256, <[u8; 32]>::from(Sha256::digest(b"test")));
        assert!(partners[0].allowed_origins.allows("https://LEMS.example"));
        assert!(!partners[0].allowed_origins.allows("https://evil.example"));
        assert!(Access::parse_partners("").unwrap().is_empty());
    }

    #[test]
    fn refuses_bad_partner_entries() {
        let entry = |name: &str, hash: &str, rpm: &str, origins: &str| {
            format!(
                "[[partner]]\nname = \"{name}\"\nkey_sha256 = \"{hash}\"\nrequests_per_minute = {rpm}\nallowed_origins = [{origins}]\n"
            )
        };
        for text in [
            entry("a", "abc", "1", ""),
            entry("a", TEST_HASH, "0", ""),
            entry("a b", TEST_HASH, "1", ""),
            entry("a", TEST_HASH, "1", "\"*\""),
            entry("a", TEST_HASH, "1", "\"https://x.example/\""),
            format!("{}{}", entry("a", TEST_HASH, "1", ""), entry("b", TEST_HASH, "1", "")),
            format!("{}extra = 1\n", entry("a", TEST_HASH, "1", "")),
        ] {
            assert!(Access::parse_partners(&text).is_err(), "{text}");
        }
    }

    #[test]
    fn parses_origin_lists() {
        assert_eq!(Origins::parse_list("*"), Ok(Origins::Any));
        let listed = Origins::parse_list("https://a.example, http://localhost:8080").unwrap();
        assert!(listed.allows("http://localhost:8080") && !listed.allows("http://localhost:8081"));
        assert_eq!(Origins::parse_list(""), Ok(Origins::Listed(Vec::new())));
        assert_eq!(listed.sources(), "https://a.example http://localhost:8080");
        assert_eq!(
            (Origins::Any.sources(), Origins::Listed(Vec::new()).sources()),
            ("*".into(), "'none'".into())
        );
        for bad in [
            "a.example",
            "https://",
            "https://a.example/path",
            "ftp://a.example",
            "https://a:0",
            "*,https://a.example",
        ] {
            assert!(Origins::parse_list(bad).is_err(), "{bad}");
        }
    }
}
