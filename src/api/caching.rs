//! HTTP caching of the read answers: an `ETag` from the directory's head
//! (its version and the stamp of the write that made it) and the normalised
//! request, `Cache-Control`, and 304 for a matching `If-None-Match`. An
//! answer is a function of the two (a snapshot never changes), so no body
//! needs hashing; and since a head is never reused for other content, not
//! even after a restore, neither is a tag.

use std::fmt::Write;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::directory::Head;
use crate::error::Error;

/// The entity tag of `req`'s answer from the directory at `head`: its
/// version, for people reading it, then a digest of its stamp and the query's
/// parameters in sorted order, so that their order does not matter, and the
/// representation (`variant`, e.g. JSON or GeoJSON). Weak, because the same
/// content goes out gzip-, brotli- or un-encoded, and a strong tag would have
/// to differ between those.
///
/// The request is digested with SHA-256, 128 bits of it kept, because the tag
/// is also the key of the compressed answers kept for everyone (see
/// `compression`): two requests with one tag get one answer's bytes. A
/// 64-bit FNV, as here before, can be made to collide by a client choosing
/// the digits of a radius, and so serve its answer to another's search.
fn etag(head: &Head, req: &HttpRequest, variant: &str) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    let normalised = format!("{}|{}|{pairs:?}|{variant}", head.stamp, req.path());
    let digest = Sha256::digest(normalised.as_bytes());
    let mut tag = format!("W/\"{}-", head.version);
    for byte in &digest[..16] {
        write!(tag, "{byte:02x}").expect("writing to a String does not fail");
    }
    tag.push('"');
    tag
}

/// Whether `If-None-Match` names `tag` (weak comparison: `W/` ignored on
/// both sides) or is `*` (the whole field, over all its lines: in a list it
/// is no tag).
fn matches(req: &HttpRequest, tag: &str) -> bool {
    fn opaque(tag: &str) -> &str {
        tag.strip_prefix("W/").unwrap_or(tag)
    }
    let listed: Vec<&str> = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|candidate| !candidate.is_empty())
        .collect();
    listed == ["*"] || listed.iter().any(|candidate| opaque(candidate) == opaque(tag))
}

/// Answers `req` with 304 when the client holds the current answer, otherwise
/// with `answer()`; either way marked cacheable for `max_age` seconds.
/// Errors pass through unmarked.
pub fn cacheable(
    req: &HttpRequest,
    max_age: u32,
    head: &Head,
    variant: &str,
    answer: impl FnOnce() -> Result<HttpResponse, Error>,
) -> Result<HttpResponse, Error> {
    let tag = etag(head, req, variant);
    let mut response = if matches(req, &tag) { HttpResponse::NotModified().finish() } else { answer()? };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, HeaderValue::from_str(&tag).expect("digits, a dash and quotes"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_str(&format!("public, max-age={max_age}")).expect("ASCII"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(response)
}
