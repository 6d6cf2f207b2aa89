//! The forwarding headers as proxies write them, read as bytes: the elements
//! of `Forwarded` (RFC 7239) and the entries of the comma-separated
//! `X-Forwarded-*` lists, each in order across the header's lines. Whom to
//! believe is decided elsewhere ([`super::client`] for the client's address,
//! [`super::public_url`] for the host and scheme); this only reads, and marks
//! what cannot be read.
//!
//! Each entry is read on its own: a byte that is not ASCII, or a malformed
//! pair, makes that entry unreadable and no other, so what a client writes on
//! the left never hides the entry its proxy appended on the right. For the
//! same reason lists are split at every comma (and `Forwarded` pairs at every
//! semicolon), quoted or not: no value a proxy writes (an address, a host, a
//! scheme) holds one, and a client's unclosed quote must not swallow the rest
//! of the line.

use actix_web::http::header::{FORWARDED, HeaderMap, HeaderName};

/// The entries of the comma-separated list header `name`, left to right over
/// all its lines, trimmed; `None` for one that is not ASCII text. Empty when
/// the request has no such header.
pub fn entries<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Vec<Option<&'h str>> {
    headers.get_all(name).flat_map(|value| value.as_bytes().split(|&b| b == b',')).map(text).collect()
}

/// One element of `Forwarded`: what one proxy said about the request it took.
#[derive(Debug, PartialEq, Eq)]
pub struct Element(Vec<(String, String)>);

impl Element {
    /// The value of the pair `name` (lower case), unquoted.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// `for=a;host=b`: pairs of a token and a value, each name at most once
    /// (RFC 7239 §4); names are case-insensitive. A value is a quoted string
    /// or bare; bare, it may hold what RFC 7239 would have quoted (`:`, `[`,
    /// as proxies write `host=example.org:8443`): what a value means is
    /// checked by whoever reads it.
    fn parse(text: &str) -> Option<Self> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for pair in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=')?;
            let name = name.trim_end().to_ascii_lowercase();
            let value = value.trim_start();
            let value = match value.strip_prefix('"') {
                Some(quoted) => unquote(quoted.strip_suffix('"')?)?,
                None => is_bare(value).then(|| value.to_owned())?,
            };
            if !is_token(&name) || pairs.iter().any(|(n, _)| *n == name) {
                return None;
            }
            pairs.push((name, value));
        }
        Some(Element(pairs))
    }
}

/// The elements of `Forwarded`, left to right over all its lines; `None` for
/// one that cannot be read. Empty when the request has none.
pub fn forwarded(headers: &HeaderMap) -> Vec<Option<Element>> {
    entries(headers, &FORWARDED).into_iter().map(|entry| entry.and_then(Element::parse)).collect()
}

/// An entry as text: ASCII, without the spaces around it.
fn text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok().filter(|t| t.is_ascii()).map(|t| t.trim_matches([' ', '\t']))
}

/// RFC 9110 token characters, at least one.
fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A value written without quotes: visible ASCII, no quote, at least one.
fn is_bare(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic() && b != b'"')
}

/// The inside of a quoted string: `\x` stands for `x`; a `"` not so
/// escaped, a `\` with nothing after it, or a control character is malformed.
fn unquote(inner: &str) -> Option<String> {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        let c = match c {
            '\\' => chars.next()?,
            '"' => return None,
            c => c,
        };
        if c.is_ascii_control() {
            return None;
        }
        out.push(c);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderValue, X_FORWARDED_FOR};

    fn headers(name: HeaderName, values: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(name.clone(), HeaderValue::from_bytes(value).unwrap());
        }
        map
    }

    #[test]
    fn list_entries_are_read_one_by_one_as_bytes() {
        let map = headers(X_FORWARDED_FOR, &[b"\x80\x81, 198.51.100.77", b"caf\xc3\xa9,\t10.0.0.2 "]);
        assert_eq!(entries(&map, &X_FORWARDED_FOR), [None, Some("198.51.100.77"), None, Some("10.0.0.2")]);
        assert!(entries(&HeaderMap::new(), &X_FORWARDED_FOR).is_empty());
    }

    #[test]
    fn forwarded_elements_take_tokens_and_quoted_strings() {
        let map = headers(
            FORWARDED,
            &[b"For=\"[2001:db8::7]:4711\";PROTO=https;host=\"a.example\"", b"for=10.0.0.2;host=b.example"],
        );
        let elements = forwarded(&map);
        let first = elements[0].as_ref().unwrap();
        assert_eq!(first.get("for"), Some("[2001:db8::7]:4711"));
        assert_eq!(first.get("proto"), Some("https"));
        assert_eq!(first.get("host"), Some("a.example"));
        assert_eq!(elements[1].as_ref().unwrap().get("host"), Some("b.example"));
        assert_eq!(Element::parse("host=\"a\\.example\"").unwrap().get("host"), Some("a.example"));
    }

    #[test]
    fn a_malformed_element_costs_only_itself() {
        for bad in [
            "for=\"198.51.100.1",
            "for=a b",
            "for",
            "=x",
            "for=1;for=2",
            "host=\"a\"b\"",
            "host=\"a\\\"",
            "host=caf\u{e9}",
            "host=\"evil\x01\"",
        ] {
            assert_eq!(Element::parse(bad), None, "{bad:?}");
        }
        // A client's unclosed quote does not swallow the proxy's element.
        let map = headers(FORWARDED, &[b"for=\"198.51.100.1, for=203.0.113.7"]);
        let elements = forwarded(&map);
        assert_eq!(elements.len(), 2);
        assert_eq!(elements[0], None);
        assert_eq!(elements[1].as_ref().unwrap().get("for"), Some("203.0.113.7"));
    }
}
